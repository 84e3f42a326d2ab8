/* Network interfaces (ENIs) and the host's identity.
 *
 * Each Linux interface of this host is an ENI with a stable eni- ID, kept
 * in the store by interface name. Addresses that are not on this host (the
 * analyzer a target sends to) are registered with create-network-interface. */
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "vxtap/netaddr.h"

#define MAX_HOST_IFS 256

struct host_if {
	char name[IFNAMSIZ];
	char mac[18];
	char ipv4[INET_ADDRSTRLEN];
};

static struct host_if *find_or_add(struct host_if *ifs, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(ifs[i].name, name))
			return &ifs[i];
	if (*n == MAX_HOST_IFS)
		return NULL;
	struct host_if *h = &ifs[(*n)++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	return h;
}

int vx_interfaces_sync(struct vx_store *st, struct vx_err *err)
{
	struct ifaddrs *list;
	if (getifaddrs(&list) < 0)
		return 0; /* nothing to learn; keep what the store knows */
	struct host_if *ifs = calloc(MAX_HOST_IFS, sizeof(*ifs));
	if (!ifs) {
		freeifaddrs(list);
		return vx_err_set(err, "InternalFailure", "out of memory listing interfaces");
	}
	size_t n = 0;
	for (struct ifaddrs *a = list; a; a = a->ifa_next) {
		struct host_if *h = find_or_add(ifs, &n, a->ifa_name);
		if (!h || !a->ifa_addr)
			continue;
		if (a->ifa_addr->sa_family == AF_PACKET) {
			const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;
			if (ll->sll_halen == 6)
				snprintf(h->mac, sizeof(h->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
					 ll->sll_addr[0], ll->sll_addr[1], ll->sll_addr[2],
					 ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
		} else if (a->ifa_addr->sa_family == AF_INET && !h->ipv4[0]) {
			inet_ntop(AF_INET, &((const struct sockaddr_in *)a->ifa_addr)->sin_addr,
				  h->ipv4, sizeof(h->ipv4));
		}
	}
	freeifaddrs(list);

	sqlite3 *db = vx_store_db(st);
	sqlite3_stmt *upd, *ins;
	if (sqlite3_prepare_v2(db,
			       "UPDATE network_interface SET mac=?2, private_ip=?3, present=1 "
			       "WHERE kind='host' AND ifname=?1 AND "
			       "(mac IS NOT ?2 OR private_ip IS NOT ?3 OR present != 1)",
			       -1, &upd, NULL) != SQLITE_OK) {
		free(ifs);
		return vx_store_fail(st, err, "sync interfaces");
	}
	sqlite3_prepare_v2(db,
			   "INSERT INTO network_interface(id, kind, ifname, description, mac, "
			   "private_ip, created) SELECT ?1, 'host', ?2, ?2, ?3, ?4, ?5 WHERE NOT EXISTS "
			   "(SELECT 1 FROM network_interface WHERE ifname=?2)",
			   -1, &ins, NULL);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *mac = ifs[i].mac[0] ? ifs[i].mac : NULL;
		const char *ip = ifs[i].ipv4[0] ? ifs[i].ipv4 : NULL;
		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, ifs[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 2, mac, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 3, ip, -1, SQLITE_STATIC);
		if (sqlite3_step(upd) != SQLITE_DONE)
			rc = -1;
		char id[40];
		vx_store_new_id("eni", id, sizeof(id));
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, ifs[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, mac, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 5, vx_now_ms());
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = -1;
	}
	sqlite3_finalize(upd);
	sqlite3_finalize(ins);
	if (rc < 0) {
		free(ifs);
		return vx_store_fail(st, err, "sync interfaces");
	}
	/* Interfaces that went away keep their ID and show as detached. */
	sqlite3_stmt *gone;
	sqlite3_prepare_v2(db, "SELECT id, ifname FROM network_interface WHERE kind='host' AND present=1",
			   -1, &gone, NULL);
	while (sqlite3_step(gone) == SQLITE_ROW) {
		const char *name = vx_col_text(gone, 1);
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strcmp(ifs[i].name, name);
		if (!seen) {
			const char *args[] = {vx_col_text(gone, 0)};
			if (vx_store_exec(st, err, "UPDATE network_interface SET present=0 WHERE id=?", 1,
					  args) < 0) {
				sqlite3_finalize(gone);
				free(ifs);
				return -1;
			}
		}
	}
	sqlite3_finalize(gone);
	free(ifs);
	return vx_store_sync_acl_associations(st, err);
}

/* ---- describe-network-interfaces ---- */

static json_t *render_interface(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	const struct vx_host *host = ctx;
	const char *id = vx_col_text(s, 0);
	bool on_host = !strcmp(vx_col_text(s, 1), "host");
	bool present = sqlite3_column_int(s, 7);
	const char *ip = vx_col_text(s, 5);
	const char *subnet = vx_col_text(s, 6) ? vx_col_text(s, 6) : host->subnet_id;
	json_t *o = json_object();
	if (on_host && present) {
		char attach[48];
		snprintf(attach, sizeof(attach), "eni-attach-%s", id + 4);
		json_object_set_new(o, "Attachment",
				    json_pack("{s:s, s:b, s:i, s:i, s:s, s:s, s:s}", "AttachmentId",
					      attach, "DeleteOnTermination", 0, "DeviceIndex",
					      if_nametoindex(vx_col_text(s, 2)), "NetworkCardIndex", 0,
					      "InstanceId", host->instance_id, "InstanceOwnerId",
					      host->account_id, "Status", "attached"));
	}
	json_object_set_new(o, "AvailabilityZone", json_string(host->availability_zone));
	json_object_set_new(o, "Description", json_string(vx_col_text(s, 3)));
	json_object_set_new(o, "Groups", vx_interface_groups_json(st, id));
	json_object_set_new(o, "InterfaceType", json_string("interface"));
	json_object_set_new(o, "Ipv6Addresses", json_array());
	if (vx_col_text(s, 4))
		json_object_set_new(o, "MacAddress", json_string(vx_col_text(s, 4)));
	json_object_set_new(o, "NetworkInterfaceId", json_string(id));
	json_object_set_new(o, "OwnerId", json_string(host->account_id));
	json_t *ips = json_array();
	if (ip) {
		json_object_set_new(o, "PrivateIpAddress", json_string(ip));
		json_array_append_new(ips, json_pack("{s:b, s:s}", "Primary", 1, "PrivateIpAddress", ip));
	}
	json_object_set_new(o, "PrivateIpAddresses", ips);
	json_object_set_new(o, "RequesterManaged", json_false());
	json_object_set_new(o, "SourceDestCheck", json_true());
	json_object_set_new(o, "Status", json_string(on_host && present ? "in-use" : "available"));
	json_object_set_new(o, "SubnetId", json_string(subnet));
	json_object_set_new(o, "TagSet", vx_tags_json(st, id));
	json_object_set_new(o, "VpcId", json_string(host->vpc_id));
	return o;
}

#define ENI_COLS "id, kind, ifname, description, mac, private_ip, subnet_id, present"

static json_t *interface_json(struct vx_store *st, const char *id)
{
	struct vx_host host;
	vx_store_host(st, &host, NULL);
	return vx_row_json(st, "SELECT " ENI_COLS " FROM network_interface WHERE id=?", id,
			   render_interface, &host);
}

int vx_h_describe_interfaces(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *items = vx_rows_json(c->store,
				     "SELECT " ENI_COLS " FROM network_interface ORDER BY kind, ifname, id",
				     NULL, render_interface, &host);
	static const struct vx_filter_name names[] = {
		{"attachment.instance-id", "Attachment.InstanceId"},
		{"attachment.status", "Attachment.Status"},
		{"availability-zone", "AvailabilityZone"},
		{"description", "Description"},
		{"group-id", "Groups.GroupId"},
		{"group-name", "Groups.GroupName"},
		{"interface-type", "InterfaceType"},
		{"mac-address", "MacAddress"},
		{"network-interface-id", "NetworkInterfaceId"},
		{"owner-id", "OwnerId"},
		{"private-ip-address", "PrivateIpAddress"},
		{"status", "Status"},
		{"subnet-id", "SubnetId"},
		{"vpc-id", "VpcId"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "NetworkInterfaceIds", "NetworkInterfaceId",
				  "InvalidNetworkInterfaceID.NotFound", "network interface", "Filters",
				  names, "NetworkInterfaces", 5, 1000);
}

int vx_h_create_interface(struct vx_call *c)
{
	const char *ip = vx_req_str(c, "PrivateIpAddress");
	const char *subnet = vx_req_str(c, "SubnetId");
	const char *desc = vx_req_str(c, "Description");
	uint8_t family, addr[16];
	if (vx_addr_parse(ip, &family, addr) < 0)
		return vx_invalid(c, "PrivateIpAddress", ip, "Expected an IPv4 or IPv6 address.");
	if (subnet && !vx_id_ok(subnet, "subnet"))
		return vx_invalid(c, "SubnetId", subnet,
				  "Expected a subnet ID: subnet- and 8 or 17 hex digits.");
	if (desc && strlen(desc) > 255)
		return vx_invalid(c, "Description", desc, "A description has at most 255 characters.");
	if (vx_interface_groups_check(c, "Groups") < 0 ||
	    vx_tags_validate(c, "network-interface") < 0)
		return -1;
	char id[40], created[24];
	vx_new_object_id(c, "eni", id, sizeof(id));
	snprintf(created, sizeof(created), "%lld", (long long)vx_now_ms());
	const char *args[] = {id, desc ? desc : "", ip, subnet, created};
	if (vx_store_exec(c->store, c->err,
			  "INSERT INTO network_interface(id, kind, description, private_ip, "
			  "subnet_id, present, created) VALUES(?,'remote',?,?,?,0,CAST(? AS INTEGER))",
			  5, args) < 0 ||
	    vx_interface_groups_write(c, id, "Groups") < 0 || vx_tags_store(c, id) < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "NetworkInterface", interface_json(c->store, id));
	const char *token = vx_req_str(c, "ClientToken");
	if (token)
		json_object_set_new(c->resp, "ClientToken", json_string(token));
	return 0;
}

int vx_h_delete_interface(struct vx_call *c)
{
	const char *id = vx_req_str(c, "NetworkInterfaceId");
	if (!vx_id_ok(id, "eni") || !vx_row_exists(c->store, "network_interface", "id", id))
		return vx_err_set(c->err, "InvalidNetworkInterfaceID.NotFound",
				  "The networkInterface ID '%s' does not exist.", id);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "SELECT kind, (SELECT id FROM mirror_target WHERE eni_id=?1), "
			   "(SELECT id FROM mirror_session WHERE eni_id=?1), "
			   "(SELECT id FROM flow_log WHERE resource_id=?1) "
			   "FROM network_interface WHERE id=?1",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (!strcmp(vx_col_text(s, 0), "host"))
			rc = vx_err_set(c->err, "InvalidNetworkInterface.InUse",
					"Interface %s is an interface of this host; it is removed "
					"only with the interface itself.",
					id);
		else
			for (int k = 1; k <= 3 && rc == 0; k++)
				if (vx_col_text(s, k))
					rc = vx_err_set(c->err, "InvalidNetworkInterface.InUse",
							"Interface %s is in use by %s.", id,
							vx_col_text(s, k));
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return -1;
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err, "DELETE FROM network_interface WHERE id=?", 1, args) < 0 ||
	    vx_tags_delete(c, id) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

/* ---- the host's identity ---- */

static const struct host_field {
	const char *member, *key, *pattern, *allowed;
} HOST_FIELDS[] = {
	{"AccountId", "account-id", "^[0-9]{12}$", "An account ID is 12 digits."},
	{"Region", "region", "^[a-z]{2}(-[a-z]+)+-[0-9]+$", "A region looks like us-east-1."},
	{"VpcId", "vpc-id", "^vpc-([0-9a-f]{8}|[0-9a-f]{17})$",
	 "A VPC ID is vpc- and 8 or 17 lowercase hex digits."},
	{"SubnetId", "subnet-id", "^subnet-([0-9a-f]{8}|[0-9a-f]{17})$",
	 "A subnet ID is subnet- and 8 or 17 lowercase hex digits."},
	{"InstanceId", "instance-id", "^i-([0-9a-f]{8}|[0-9a-f]{17})$",
	 "An instance ID is i- and 8 or 17 lowercase hex digits."},
	{"AvailabilityZone", "availability-zone", "^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$",
	 "An availability zone is a region and a letter, like us-east-1a."},
	{"AzId", "az-id", "^[a-z]{3,5}[0-9]+-az[0-9]+$", "An AZ ID looks like use1-az1."},
};

static json_t *host_json(struct vx_store *st)
{
	struct vx_host h;
	vx_store_host(st, &h, NULL);
	return json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "Host", "AccountId", h.account_id,
			 "Region", h.region, "VpcId", h.vpc_id, "SubnetId", h.subnet_id,
			 "InstanceId", h.instance_id, "AvailabilityZone", h.availability_zone,
			 "AzId", h.az_id);
}

int vx_h_configure_host(struct vx_call *c)
{
	size_t n = sizeof(HOST_FIELDS) / sizeof(HOST_FIELDS[0]);
	for (size_t i = 0; i < n; i++) {
		const char *v = vx_req_str(c, HOST_FIELDS[i].member);
		if (v && !vx_text_matches(v, HOST_FIELDS[i].pattern))
			return vx_invalid(c, HOST_FIELDS[i].member, v, "%s", HOST_FIELDS[i].allowed);
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = vx_req_str(c, HOST_FIELDS[i].member);
		if (v && vx_store_meta_set(c->store, HOST_FIELDS[i].key, v, c->err) < 0)
			return -1;
	}
	c->resp = host_json(c->store);
	return 0;
}

int vx_h_describe_host(struct vx_call *c)
{
	c->resp = host_json(c->store);
	return 0;
}

int vx_store_sync_interfaces(struct vx_store *st, struct vx_err *err)
{
	if (vx_store_begin(st, true, err) < 0)
		return -1;
	int before = sqlite3_total_changes(vx_store_db(st));
	if (vx_interfaces_sync(st, err) < 0 ||
	    (sqlite3_total_changes(vx_store_db(st)) != before &&
	     vx_store_bump_generation(st, err) < 0)) {
		vx_store_rollback(st);
		return -1;
	}
	return vx_store_commit(st, err);
}
