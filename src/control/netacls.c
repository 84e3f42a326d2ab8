/* Network ACLs: numbered allow/deny entries per direction, and the ACL of
 * each subnet (its association), with AWS's rules and limits. The host's
 * VPC is dual-stack, so every ACL ends with AWS's two implicit deny
 * entries per direction: * (32767) for IPv4 and * (32768) for IPv6. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "vxtap/netaddr.h"

#define ACLS_PER_VPC	200
#define ENTRIES_PER_ACL 20 /* per direction and address family */
#define RULE_NUMBER_MAX 32766

#define NOT_FOUND_ACL	"InvalidNetworkAclID.NotFound"
#define NOT_FOUND_ASSOC "InvalidAssociationID.NotFound"

/* ---- rendering (model member order) ---- */

#define ENTRY_COLS                                                                                 \
	"egress, rule_number, protocol, action, cidr_ipv4, cidr_ipv6, port_from, port_to, "        \
	"icmp_type, icmp_code"

static json_t *render_entry(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)st;
	(void)ctx;
	json_t *o = json_object();
	char protocol[8];
	snprintf(protocol, sizeof(protocol), "%d", sqlite3_column_int(s, 2));
	if (vx_col_text(s, 4))
		json_object_set_new(o, "CidrBlock", json_string(vx_col_text(s, 4)));
	json_object_set_new(o, "Egress", json_boolean(sqlite3_column_int(s, 0)));
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		json_object_set_new(o, "IcmpTypeCode",
				    json_pack("{s:i, s:i}", "Code", sqlite3_column_int(s, 9), "Type",
					      sqlite3_column_int(s, 8)));
	if (vx_col_text(s, 5))
		json_object_set_new(o, "Ipv6CidrBlock", json_string(vx_col_text(s, 5)));
	if (sqlite3_column_type(s, 6) != SQLITE_NULL)
		json_object_set_new(o, "PortRange",
				    json_pack("{s:i, s:i}", "From", sqlite3_column_int(s, 6), "To",
					      sqlite3_column_int(s, 7)));
	json_object_set_new(o, "Protocol", json_string(protocol));
	json_object_set_new(o, "RuleAction", json_string(vx_col_text(s, 3)));
	json_object_set_new(o, "RuleNumber", json_integer(sqlite3_column_int(s, 1)));
	return o;
}

/* Egress entries, then ingress entries, each by rule number and closed by
 * the implicit deny entries, as EC2 lists them. */
static json_t *entries_json(struct vx_store *st, const char *acl)
{
	json_t *list = json_array();
	for (int egress = 1; egress >= 0; egress--) {
		json_t *part = vx_rows_json(st,
					    egress ? "SELECT " ENTRY_COLS " FROM network_acl_entry "
						     "WHERE acl_id=? AND egress=1 ORDER BY rule_number"
						   : "SELECT " ENTRY_COLS " FROM network_acl_entry "
						     "WHERE acl_id=? AND egress=0 ORDER BY rule_number",
					    acl, render_entry, NULL);
		json_array_extend(list, part);
		json_decref(part);
		json_array_append_new(list, json_pack("{s:s, s:b, s:s, s:s, s:i}", "CidrBlock",
						      "0.0.0.0/0", "Egress", egress, "Protocol", "-1",
						      "RuleAction", "deny", "RuleNumber", 32767));
		json_array_append_new(list, json_pack("{s:b, s:s, s:s, s:s, s:i}", "Egress", egress,
						      "Ipv6CidrBlock", "::/0", "Protocol", "-1",
						      "RuleAction", "deny", "RuleNumber", 32768));
	}
	return list;
}

static json_t *render_association(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)st;
	(void)ctx;
	return json_pack("{s:s, s:s, s:s}", "NetworkAclAssociationId", vx_col_text(s, 0),
			 "NetworkAclId", vx_col_text(s, 1), "SubnetId", vx_col_text(s, 2));
}

#define ACL_COLS "id, is_default"

static json_t *render_acl(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	const struct vx_host *host = ctx;
	const char *id = vx_col_text(s, 0);
	json_t *o = json_object();
	json_object_set_new(o, "Associations",
			    vx_rows_json(st,
					 "SELECT id, acl_id, subnet_id FROM network_acl_association "
					 "WHERE acl_id=? ORDER BY subnet_id",
					 id, render_association, NULL));
	json_object_set_new(o, "Entries", entries_json(st, id));
	json_object_set_new(o, "IsDefault", json_boolean(sqlite3_column_int(s, 1)));
	json_object_set_new(o, "NetworkAclId", json_string(id));
	json_object_set_new(o, "Tags", vx_tags_json(st, id));
	json_object_set_new(o, "VpcId", json_string(host->vpc_id));
	json_object_set_new(o, "OwnerId", json_string(host->account_id));
	return o;
}

static json_t *acl_json(struct vx_store *st, const char *id)
{
	struct vx_host host;
	vx_store_host(st, &host, NULL);
	return vx_row_json(st, "SELECT " ACL_COLS " FROM network_acl WHERE id=?", id, render_acl,
			   &host);
}

/* ---- checks ---- */

static int check_acl(struct vx_call *c, const char *id)
{
	if (!vx_id_ok(id, "acl") || !vx_row_exists(c->store, "network_acl", "id", id))
		return vx_not_found(c, NOT_FOUND_ACL, "network ACL", id);
	return 0;
}

/* A network ACL entry as a request gives it. -1: unset. */
struct entry {
	const char *acl, *action;
	long long number;
	bool egress;
	int protocol;
	char cidr[64];
	int family;
	long long port_from, port_to, icmp_type, icmp_code;
};

/* Protocol: a number 0-255, -1 (all), or tcp, udp, icmp, icmpv6, all. */
static bool parse_protocol(const char *in, int *out)
{
	static const struct {
		const char *name;
		int number;
	} named[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"all", -1}, {"-1", -1}};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(in, named[i].name)) {
			*out = named[i].number;
			return true;
		}
	size_t n = strlen(in);
	if (n < 1 || n > 3 || strspn(in, "0123456789") != n || (n > 1 && in[0] == '0'))
		return false;
	*out = atoi(in);
	return *out <= 255;
}

static int read_cidr(struct vx_call *c, struct entry *e)
{
	const char *v4 = vx_req_str(c, "CidrBlock"), *v6 = vx_req_str(c, "Ipv6CidrBlock");
	if (v4 && v6)
		return vx_err_set(c->err, "InvalidParameterCombination",
				  "Give CidrBlock or Ipv6CidrBlock, not both.");
	if (!v4 && !v6)
		return vx_err_set(c->err, "MissingParameter",
				  "The request must contain the parameter CidrBlock or Ipv6CidrBlock.");
	const char *member = v4 ? "CidrBlock" : "Ipv6CidrBlock", *v = v4 ? v4 : v6;
	struct vx_cidr net;
	char why[160];
	if (vx_cidr_parse(v, &net, why, sizeof(why)) < 0)
		return vx_invalid(c, member, v, "This is not a valid CIDR block: %s.", why);
	if (v4 && net.family != 4)
		return vx_invalid(c, member, v,
				  "This is not an IPv4 CIDR block; IPv6 blocks go in Ipv6CidrBlock.");
	if (v6 && net.family != 6)
		return vx_invalid(c, member, v,
				  "This is not an IPv6 CIDR block; IPv4 blocks go in CidrBlock.");
	e->family = net.family;
	vx_cidr_format(&net, e->cidr, sizeof(e->cidr));
	return 0;
}

/* The ports of a TCP or UDP entry; AWS ignores them for other protocols. */
static int read_ports(struct vx_call *c, struct entry *e)
{
	json_t *r = vx_req(c, "PortRange");
	if (!r)
		return vx_missing(c, "PortRange");
	json_t *f = json_object_get(r, "From"), *t = json_object_get(r, "To");
	if (!f || !t)
		return vx_missing(c, f ? "PortRange.To" : "PortRange.From");
	e->port_from = json_integer_value(f);
	e->port_to = json_integer_value(t);
	if (e->port_from < 0 || e->port_from > 65535)
		return vx_invalid_int(c, "PortRange.From", e->port_from, "Allowed: 0-65535.");
	if (e->port_to < 0 || e->port_to > 65535)
		return vx_invalid_int(c, "PortRange.To", e->port_to, "Allowed: 0-65535.");
	if (e->port_from > e->port_to) {
		char txt[48];
		snprintf(txt, sizeof(txt), "%lld-%lld", e->port_from, e->port_to);
		return vx_invalid(c, "PortRange", txt, "From must not be greater than To.");
	}
	return 0;
}

static int read_icmp(struct vx_call *c, struct entry *e)
{
	json_t *r = vx_req(c, "IcmpTypeCode");
	if (!r)
		return vx_missing(c, "IcmpTypeCode");
	json_t *t = json_object_get(r, "Type"), *k = json_object_get(r, "Code");
	if (!t || !k)
		return vx_missing(c, t ? "IcmpTypeCode.Code" : "IcmpTypeCode.Type");
	e->icmp_type = json_integer_value(t);
	e->icmp_code = json_integer_value(k);
	if (e->icmp_type < -1 || e->icmp_type > 255)
		return vx_invalid_int(c, "IcmpTypeCode.Type", e->icmp_type,
				      "Allowed: an ICMP type 0-255, or -1 for all types.");
	if (e->icmp_code < -1 || e->icmp_code > 255)
		return vx_invalid_int(c, "IcmpTypeCode.Code", e->icmp_code,
				      "Allowed: an ICMP code 0-255, or -1 for all codes.");
	if (e->icmp_type == -1 && e->icmp_code != -1)
		return vx_invalid_int(c, "IcmpTypeCode.Code", e->icmp_code,
				      "Allowed: -1 when the ICMP type is -1.");
	return 0;
}

static int read_rule_number(struct vx_call *c, struct entry *e)
{
	vx_req_int(c, "RuleNumber", &e->number);
	if (e->number < 1 || e->number > RULE_NUMBER_MAX)
		return vx_invalid_int(c, "RuleNumber", e->number,
				      "Allowed: 1-32766 (the * entries cannot be changed).");
	return 0;
}

/* Everything create-network-acl-entry and replace-network-acl-entry take. */
static int read_entry(struct vx_call *c, struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->port_from = e->port_to = e->icmp_type = e->icmp_code = -1;
	e->acl = vx_req_str(c, "NetworkAclId");
	e->action = vx_req_str(c, "RuleAction");
	const char *protocol = vx_req_str(c, "Protocol");
	if (check_acl(c, e->acl) < 0)
		return -1;
	if (!vx_req(c, "Egress"))
		return vx_missing(c, "Egress");
	e->egress = vx_req_bool(c, "Egress");
	if (read_rule_number(c, e) < 0)
		return -1;
	if (!parse_protocol(protocol, &e->protocol))
		return vx_invalid(c, "Protocol", protocol,
				  "Allowed: a protocol number 0-255, -1 for all protocols, or tcp, "
				  "udp, icmp, icmpv6, all.");
	if (strcmp(e->action, "allow") && strcmp(e->action, "deny"))
		return vx_invalid(c, "RuleAction", e->action, "Allowed: allow, deny.");
	if (read_cidr(c, e) < 0)
		return -1;
	/* AWS: ports for TCP and UDP; a type and code for ICMP, and for
	 * ICMPv6 with an IPv6 block; other protocols match all their traffic. */
	if ((e->protocol == 6 || e->protocol == 17) && read_ports(c, e) < 0)
		return -1;
	if ((e->protocol == 1 || (e->protocol == 58 && e->family == 6)) && read_icmp(c, e) < 0)
		return -1;
	return 0;
}

/* Whether the entry of that number and direction exists. */
static bool entry_exists(struct vx_store *st, const char *acl, bool egress, long long number)
{
	sqlite3_stmt *s;
	bool found = false;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT 1 FROM network_acl_entry WHERE acl_id=? AND egress=? AND "
			       "rule_number=?",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, acl, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, egress);
		sqlite3_bind_int64(s, 3, number);
		found = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return found;
}

/* 20 entries per direction for IPv4 and 20 for IPv6 (the implicit ones
 * aside); replacing an entry does not count it twice. */
static int check_entry_limit(struct vx_call *c, const struct entry *e, bool replacing)
{
	sqlite3_stmt *s;
	long long n = 0;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "SELECT COUNT(*) FROM network_acl_entry WHERE acl_id=? AND egress=? AND "
			   "(cidr_ipv4 IS NOT NULL)=? AND rule_number != ?",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, e->acl, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, e->egress);
	sqlite3_bind_int(s, 3, e->family == 4);
	sqlite3_bind_int64(s, 4, replacing ? e->number : -1);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (n >= ENTRIES_PER_ACL)
		return vx_err_set(c->err, "NetworkAclEntryLimitExceeded",
				  "The maximum number of network ACL entries has been reached: %s "
				  "already has %d %s %s entries.",
				  e->acl, ENTRIES_PER_ACL, e->family == 4 ? "IPv4" : "IPv6",
				  e->egress ? "outbound" : "inbound");
	return 0;
}

static int write_entry(struct vx_call *c, const struct entry *e, bool insert)
{
	sqlite3_stmt *s;
	const char *sql =
		insert ? "INSERT INTO network_acl_entry(acl_id, egress, rule_number, protocol, "
			 "action, cidr_ipv4, cidr_ipv6, port_from, port_to, icmp_type, icmp_code) "
			 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
		       : "UPDATE network_acl_entry SET protocol=?4, action=?5, cidr_ipv4=?6, "
			 "cidr_ipv6=?7, port_from=?8, port_to=?9, icmp_type=?10, icmp_code=?11 "
			 "WHERE acl_id=?1 AND egress=?2 AND rule_number=?3";
	if (sqlite3_prepare_v2(vx_store_db(c->store), sql, -1, &s, NULL) != SQLITE_OK)
		return vx_store_fail(c->store, c->err, "prepare network ACL entry");
	sqlite3_bind_text(s, 1, e->acl, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, e->egress);
	sqlite3_bind_int64(s, 3, e->number);
	sqlite3_bind_int(s, 4, e->protocol);
	sqlite3_bind_text(s, 5, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, e->family == 4 ? 6 : 7, e->cidr, -1, SQLITE_STATIC);
	if (e->port_from >= 0) {
		sqlite3_bind_int64(s, 8, e->port_from);
		sqlite3_bind_int64(s, 9, e->port_to);
	}
	if (e->protocol == 1 || (e->protocol == 58 && e->family == 6)) {
		sqlite3_bind_int64(s, 10, e->icmp_type);
		sqlite3_bind_int64(s, 11, e->icmp_code);
	}
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vx_store_fail(c->store, c->err, "write network ACL entry");
}

/* ---- handlers ---- */

int vx_h_create_network_acl(struct vx_call *c)
{
	const char *vpc = vx_req_str(c, "VpcId");
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	if (strcmp(vpc, host.vpc_id))
		return vx_not_found(c, "InvalidVpcID.NotFound", "vpc", vpc);
	if (vx_tags_validate(c, "network-acl") < 0)
		return -1;
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM network_acl", NULL) >= ACLS_PER_VPC)
		return vx_err_set(c->err, "NetworkAclLimitExceeded",
				  "VPC %s already has %d network ACLs, the most a VPC may have.",
				  host.vpc_id, ACLS_PER_VPC);
	char id[40], created[24];
	vx_new_object_id(c, "acl", id, sizeof(id));
	snprintf(created, sizeof(created), "%lld", (long long)vx_now_ms());
	const char *args[] = {id, created};
	if (vx_store_exec(c->store, c->err,
			  "INSERT INTO network_acl(id, is_default, created) "
			  "VALUES(?,0,CAST(? AS INTEGER))",
			  2, args) < 0 ||
	    vx_tags_store(c, id) < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "NetworkAcl", acl_json(c->store, id));
	const char *token = vx_req_str(c, "ClientToken");
	if (token)
		json_object_set_new(c->resp, "ClientToken", json_string(token));
	return 0;
}

int vx_h_delete_network_acl(struct vx_call *c)
{
	const char *id = vx_req_str(c, "NetworkAclId");
	if (check_acl(c, id) < 0)
		return -1;
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM network_acl WHERE id=? AND is_default=1", id))
		return vx_err_set(c->err, "InvalidParameterValue",
				  "cannot delete default network ACL %s", id);
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM network_acl_association WHERE acl_id=?", id))
		return vx_err_set(c->err, "DependencyViolation",
				  "The network ACL '%s' has dependencies and cannot be deleted.", id);
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err, "DELETE FROM network_acl_entry WHERE acl_id=?", 1,
			  args) < 0 ||
	    vx_store_exec(c->store, c->err, "DELETE FROM network_acl WHERE id=?", 1, args) < 0 ||
	    vx_tags_delete(c, id) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

int vx_h_describe_network_acls(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *items = vx_rows_json(c->store,
				     "SELECT " ACL_COLS " FROM network_acl ORDER BY created, rowid",
				     NULL, render_acl, &host);
	static const struct vx_filter_name names[] = {
		{"association.association-id", "Associations.NetworkAclAssociationId"},
		{"association.network-acl-id", "Associations.NetworkAclId"},
		{"association.subnet-id", "Associations.SubnetId"},
		{"default", "IsDefault"},
		{"entry.cidr", "Entries.CidrBlock"},
		{"entry.egress", "Entries.Egress"},
		{"entry.icmp.code", "Entries.IcmpTypeCode.Code"},
		{"entry.icmp.type", "Entries.IcmpTypeCode.Type"},
		{"entry.ipv6-cidr", "Entries.Ipv6CidrBlock"},
		{"entry.port-range.from", "Entries.PortRange.From"},
		{"entry.port-range.to", "Entries.PortRange.To"},
		{"entry.protocol", "Entries.Protocol"},
		{"entry.rule-action", "Entries.RuleAction"},
		{"entry.rule-number", "Entries.RuleNumber"},
		{"network-acl-id", "NetworkAclId"},
		{"owner-id", "OwnerId"},
		{"vpc-id", "VpcId"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "NetworkAclIds", "NetworkAclId", NOT_FOUND_ACL,
				  "network ACL", "Filters", names, "NetworkAcls", 5, 1000);
}

int vx_h_create_network_acl_entry(struct vx_call *c)
{
	struct entry e;
	if (read_entry(c, &e) < 0)
		return -1;
	if (entry_exists(c->store, e.acl, e.egress, e.number))
		return vx_err_set(c->err, "NetworkAclEntryAlreadyExists",
				  "The network acl entry identified by %lld already exists.", e.number);
	if (check_entry_limit(c, &e, false) < 0 || write_entry(c, &e, true) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

static int entry_not_found(struct vx_call *c, const struct entry *e)
{
	return vx_err_set(c->err, "InvalidNetworkAclEntry.NotFound",
			  "The network acl entry identified by %lld (%s) does not exist in %s.",
			  e->number, e->egress ? "egress" : "ingress", e->acl);
}

int vx_h_replace_network_acl_entry(struct vx_call *c)
{
	struct entry e;
	if (read_entry(c, &e) < 0)
		return -1;
	if (!entry_exists(c->store, e.acl, e.egress, e.number))
		return entry_not_found(c, &e);
	if (check_entry_limit(c, &e, true) < 0 || write_entry(c, &e, false) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

int vx_h_delete_network_acl_entry(struct vx_call *c)
{
	struct entry e = {.acl = vx_req_str(c, "NetworkAclId")};
	if (check_acl(c, e.acl) < 0)
		return -1;
	if (!vx_req(c, "Egress"))
		return vx_missing(c, "Egress");
	e.egress = vx_req_bool(c, "Egress");
	if (read_rule_number(c, &e) < 0)
		return -1;
	if (!entry_exists(c->store, e.acl, e.egress, e.number))
		return entry_not_found(c, &e);
	char number[24];
	snprintf(number, sizeof(number), "%lld", e.number);
	const char *args[] = {e.acl, e.egress ? "1" : "0", number};
	if (vx_store_exec(c->store, c->err,
			  "DELETE FROM network_acl_entry WHERE acl_id=? AND egress=CAST(? AS INTEGER) "
			  "AND rule_number=CAST(? AS INTEGER)",
			  3, args) < 0)
		return -1;
	c->resp = json_object();
	return 0;
}

int vx_h_replace_network_acl_association(struct vx_call *c)
{
	const char *assoc = vx_req_str(c, "AssociationId");
	const char *acl = vx_req_str(c, "NetworkAclId");
	if (!vx_id_ok(assoc, "aclassoc") ||
	    !vx_row_exists(c->store, "network_acl_association", "id", assoc))
		return vx_not_found(c, NOT_FOUND_ASSOC, "association", assoc);
	if (check_acl(c, acl) < 0)
		return -1;
	char id[40];
	vx_new_object_id(c, "aclassoc", id, sizeof(id));
	const char *args[] = {id, acl, assoc};
	if (vx_store_exec(c->store, c->err,
			  "UPDATE network_acl_association SET id=?, acl_id=? WHERE id=?", 3, args) < 0)
		return -1;
	c->resp = json_pack("{s:s}", "NewAssociationId", id);
	return 0;
}
