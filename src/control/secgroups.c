/* Security groups, their rules, and the security groups of network
 * interfaces, with AWS's rules for the groups of a VPC: names and
 * descriptions, rule shapes (IpPermissions), duplicates and limits. The
 * host's VPC is the only VPC; it is dual-stack (IPv4 and IPv6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "vxtap/netaddr.h"

#define GROUPS_PER_VPC	 2500
#define RULES_PER_GROUP	 60 /* per direction, counted per address family */
#define GROUPS_PER_IFACE 5
#define TEXT_MAX	 255

#define NOT_FOUND_GROUP "InvalidGroup.NotFound"
#define NOT_FOUND_SGR	"InvalidSecurityGroupRuleId.NotFound"
#define NOT_FOUND_ENI	"InvalidNetworkInterfaceID.NotFound"

/* The characters AWS allows in the names and descriptions of a VPC's
 * groups and rules: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* */
static const char TEXT_PATTERN[] = "^[]a-zA-Z0-9 ._:/()#,@+=&;{}!$*[-]*$";
#define TEXT_CHARS "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"

static void set_str_if(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static bool text_ok(const char *s, size_t min)
{
	size_t n = strlen(s);
	return n >= min && n <= TEXT_MAX && vx_text_matches(s, TEXT_PATTERN);
}

static int check_description(struct vx_call *c, const char *member, const char *desc)
{
	if (desc && !text_ok(desc, 0))
		return vx_invalid(c, member, desc,
				  "A description has at most 255 characters: " TEXT_CHARS ".");
	return 0;
}

static bool group_exists(struct vx_store *st, const char *id)
{
	return vx_id_ok(id, "sg") && vx_row_exists(st, "security_group", "id", id);
}

/* ---- rendering (model member order) ---- */

/* Protocols whose rules have ports (TCP, UDP) or ICMP type and code. */
static bool has_ports(const char *protocol)
{
	return !strcmp(protocol, "tcp") || !strcmp(protocol, "udp") || !strcmp(protocol, "icmp") ||
	       !strcmp(protocol, "icmpv6");
}

static long long member_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return v ? json_integer_value(v) : -1;
}

/* A group's rules of one direction as AWS shows them: one IpPermission per
 * protocol and port range (in the order the rules were added), holding
 * every peer of those rules. */
static json_t *permissions(struct vx_store *st, const char *group, bool egress,
			   const struct vx_host *host)
{
	json_t *list = json_array();
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT protocol, from_port, to_port, cidr_ipv4, cidr_ipv6, ref_group_id, "
			       "description FROM security_group_rule WHERE group_id=? AND egress=? "
			       "ORDER BY created, rowid",
			       -1, &s, NULL) != SQLITE_OK)
		return list;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, egress);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *protocol = vx_col_text(s, 0);
		int from = sqlite3_column_int(s, 1), to = sqlite3_column_int(s, 2);
		json_t *perm = NULL, *p;
		size_t i;
		json_array_foreach(list, i, p) {
			if (!strcmp(json_string_value(json_object_get(p, "IpProtocol")), protocol) &&
			    member_int(p, "FromPort") == from && member_int(p, "ToPort") == to) {
				perm = p;
				break;
			}
		}
		if (!perm) {
			perm = json_object();
			json_object_set_new(perm, "IpProtocol", json_string(protocol));
			if (has_ports(protocol)) {
				json_object_set_new(perm, "FromPort", json_integer(from));
				json_object_set_new(perm, "ToPort", json_integer(to));
			}
			json_object_set_new(perm, "UserIdGroupPairs", json_array());
			json_object_set_new(perm, "IpRanges", json_array());
			json_object_set_new(perm, "Ipv6Ranges", json_array());
			json_object_set_new(perm, "PrefixListIds", json_array());
			json_array_append_new(list, perm);
		}
		json_t *peer = json_object();
		set_str_if(peer, "Description", vx_col_text(s, 6));
		if (vx_col_text(s, 3)) {
			json_object_set_new(peer, "CidrIp", json_string(vx_col_text(s, 3)));
			json_array_append_new(json_object_get(perm, "IpRanges"), peer);
		} else if (vx_col_text(s, 4)) {
			json_object_set_new(peer, "CidrIpv6", json_string(vx_col_text(s, 4)));
			json_array_append_new(json_object_get(perm, "Ipv6Ranges"), peer);
		} else {
			json_object_set_new(peer, "UserId", json_string(host->account_id));
			json_object_set_new(peer, "GroupId", json_string(vx_col_text(s, 5)));
			json_array_append_new(json_object_get(perm, "UserIdGroupPairs"), peer);
		}
	}
	sqlite3_finalize(s);
	return list;
}

#define GROUP_COLS "id, name, description"

static json_t *render_group(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	const struct vx_host *host = ctx;
	const char *id = vx_col_text(s, 0);
	char arn[160];
	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:security-group/%s", host->region,
		 host->account_id, id);
	json_t *o = json_object();
	json_object_set_new(o, "GroupId", json_string(id));
	json_object_set_new(o, "IpPermissionsEgress", permissions(st, id, true, host));
	json_t *tags = vx_tags_json(st, id);
	if (json_array_size(tags)) /* EC2 leaves an untagged group's tag set out */
		json_object_set_new(o, "Tags", tags);
	else
		json_decref(tags);
	json_object_set_new(o, "VpcId", json_string(host->vpc_id));
	json_object_set_new(o, "SecurityGroupArn", json_string(arn));
	json_object_set_new(o, "OwnerId", json_string(host->account_id));
	json_object_set_new(o, "GroupName", json_string(vx_col_text(s, 1)));
	json_object_set_new(o, "Description", json_string(vx_col_text(s, 2)));
	json_object_set_new(o, "IpPermissions", permissions(st, id, false, host));
	return o;
}

#define RULE_COLS                                                                                  \
	"id, group_id, egress, protocol, from_port, to_port, cidr_ipv4, cidr_ipv6, ref_group_id, " \
	"description"

static json_t *render_rule(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	const struct vx_host *host = ctx;
	const char *id = vx_col_text(s, 0);
	char arn[160];
	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:security-group-rule/%s", host->region,
		 host->account_id, id);
	json_t *o = json_object();
	json_object_set_new(o, "SecurityGroupRuleId", json_string(id));
	json_object_set_new(o, "GroupId", json_string(vx_col_text(s, 1)));
	json_object_set_new(o, "GroupOwnerId", json_string(host->account_id));
	json_object_set_new(o, "IsEgress", json_boolean(sqlite3_column_int(s, 2)));
	json_object_set_new(o, "IpProtocol", json_string(vx_col_text(s, 3)));
	json_object_set_new(o, "FromPort", json_integer(sqlite3_column_int(s, 4)));
	json_object_set_new(o, "ToPort", json_integer(sqlite3_column_int(s, 5)));
	set_str_if(o, "CidrIpv4", vx_col_text(s, 6));
	set_str_if(o, "CidrIpv6", vx_col_text(s, 7));
	if (vx_col_text(s, 8))
		json_object_set_new(o, "ReferencedGroupInfo",
				    json_pack("{s:s, s:s}", "GroupId", vx_col_text(s, 8), "UserId",
					      host->account_id));
	set_str_if(o, "Description", vx_col_text(s, 9));
	json_object_set_new(o, "Tags", vx_tags_json(st, id));
	json_object_set_new(o, "SecurityGroupRuleArn", json_string(arn));
	return o;
}

static json_t *render_revoked(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)st;
	(void)ctx;
	json_t *o = json_object();
	json_object_set_new(o, "SecurityGroupRuleId", json_string(vx_col_text(s, 0)));
	json_object_set_new(o, "GroupId", json_string(vx_col_text(s, 1)));
	json_object_set_new(o, "IsEgress", json_boolean(sqlite3_column_int(s, 2)));
	json_object_set_new(o, "IpProtocol", json_string(vx_col_text(s, 3)));
	json_object_set_new(o, "FromPort", json_integer(sqlite3_column_int(s, 4)));
	json_object_set_new(o, "ToPort", json_integer(sqlite3_column_int(s, 5)));
	set_str_if(o, "CidrIpv4", vx_col_text(s, 6));
	set_str_if(o, "CidrIpv6", vx_col_text(s, 7));
	set_str_if(o, "ReferencedGroupId", vx_col_text(s, 8));
	set_str_if(o, "Description", vx_col_text(s, 9));
	return o;
}

static json_t *rule_json(struct vx_store *st, const char *id, vx_row_render render)
{
	struct vx_host host;
	vx_store_host(st, &host, NULL);
	return vx_row_json(st, "SELECT " RULE_COLS " FROM security_group_rule WHERE id=?", id,
			   render, &host);
}

/* ---- groups ---- */

/* The group a call names with GroupId or GroupName (either, not both). */
static int resolve_group(struct vx_call *c, char *out, size_t len)
{
	const char *id = vx_req_str(c, "GroupId"), *name = vx_req_str(c, "GroupName");
	if (id && name)
		return vx_err_set(c->err, "InvalidParameterCombination",
				  "Give GroupId or GroupName, not both.");
	if (!id && !name)
		return vx_err_set(c->err, "MissingParameter",
				  "The request must contain the parameter GroupId or GroupName.");
	if (id) {
		if (!group_exists(c->store, id))
			return vx_not_found(c, NOT_FOUND_GROUP, "security group", id);
		snprintf(out, len, "%s", id);
		return 0;
	}
	if (!*vx_first_text(c->store, "SELECT id FROM security_group WHERE name=?", name, out, len)) {
		struct vx_host host;
		vx_store_host(c->store, &host, NULL);
		return vx_err_set(c->err, NOT_FOUND_GROUP,
				  "The security group '%s' does not exist in VPC '%s'.", name,
				  host.vpc_id);
	}
	return 0;
}

static int check_vpc(struct vx_call *c, const char *vpc, const struct vx_host *host)
{
	if (vpc && strcmp(vpc, host->vpc_id))
		return vx_not_found(c, "InvalidVpcID.NotFound", "vpc", vpc);
	return 0;
}

static int insert_rule(struct vx_call *c, const char *id, const char *group, bool egress,
		       const char *protocol, long long from, long long to, const char *cidr4,
		       const char *cidr6, const char *ref, const char *description)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(vx_store_db(c->store),
			       "INSERT INTO security_group_rule(id, group_id, egress, protocol, "
			       "from_port, to_port, cidr_ipv4, cidr_ipv6, ref_group_id, description, "
			       "created) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
			       -1, &s, NULL) != SQLITE_OK)
		return vx_store_fail(c->store, c->err, "prepare rule");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, egress);
	sqlite3_bind_text(s, 4, protocol, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, from);
	sqlite3_bind_int64(s, 6, to);
	sqlite3_bind_text(s, 7, cidr4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, cidr6, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, vx_now_ms());
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vx_store_fail(c->store, c->err, "write rule");
}

int vx_h_create_security_group(struct vx_call *c)
{
	const char *name = vx_req_str(c, "GroupName");
	const char *desc = vx_req_str(c, "Description");
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	if (!text_ok(name, 1))
		return vx_invalid(c, "GroupName", name,
				  "A group name has 1-255 characters: " TEXT_CHARS ".");
	if (!strncmp(name, "sg-", 3))
		return vx_invalid(c, "GroupName", name, "A group name cannot start with sg-.");
	if (!text_ok(desc, 0))
		return vx_invalid(c, "Description", desc,
				  "A description has at most 255 characters: " TEXT_CHARS ".");
	if (check_vpc(c, vx_req_str(c, "VpcId"), &host) < 0)
		return -1;
	if (!strcmp(name, "default"))
		return vx_err_set(c->err, "InvalidGroup.Reserved",
				  "The security group 'default' is reserved.");
	char other[40];
	if (*vx_first_text(c->store, "SELECT id FROM security_group WHERE name=?", name, other,
			sizeof(other)))
		return vx_err_set(c->err, "InvalidGroup.Duplicate",
				  "The security group '%s' already exists for VPC '%s'.", name,
				  host.vpc_id);
	if (vx_tags_validate(c, "security-group") < 0)
		return -1;
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM security_group", NULL) >= GROUPS_PER_VPC)
		return vx_err_set(c->err, "SecurityGroupLimitExceeded",
				  "VPC %s already has %d security groups, the most a VPC may have.",
				  host.vpc_id, GROUPS_PER_VPC);
	char id[40], created[24];
	vx_new_object_id(c, "sg", id, sizeof(id));
	snprintf(created, sizeof(created), "%lld", (long long)vx_now_ms());
	const char *args[] = {id, name, desc, created};
	if (vx_store_exec(c->store, c->err,
			  "INSERT INTO security_group(id, name, description, is_default, created) "
			  "VALUES(?,?,?,0,CAST(? AS INTEGER))",
			  4, args) < 0 ||
	    vx_tags_store(c, id) < 0)
		return -1;
	/* A new group allows all outbound traffic, as in AWS. vxtap apply
	 * (fixed_id) recreates the rules the document lists instead. */
	if (!c->fixed_id) {
		char r4[40], r6[40];
		vx_store_new_id("sgr", r4, sizeof(r4));
		vx_store_new_id("sgr", r6, sizeof(r6));
		if (insert_rule(c, r4, id, true, "-1", -1, -1, "0.0.0.0/0", NULL, NULL, NULL) < 0 ||
		    insert_rule(c, r6, id, true, "-1", -1, -1, NULL, "::/0", NULL, NULL) < 0)
			return -1;
	}
	char arn[160];
	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:security-group/%s", host.region,
		 host.account_id, id);
	c->resp = json_object();
	json_object_set_new(c->resp, "GroupId", json_string(id));
	json_t *tags = vx_tags_json(c->store, id);
	if (json_array_size(tags))
		json_object_set_new(c->resp, "Tags", tags);
	else
		json_decref(tags);
	json_object_set_new(c->resp, "SecurityGroupArn", json_string(arn));
	return 0;
}

int vx_h_delete_security_group(struct vx_call *c)
{
	char id[40], user[40];
	if (resolve_group(c, id, sizeof(id)) < 0)
		return -1;
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM security_group WHERE id=? AND is_default=1",
		       id))
		return vx_err_set(c->err, "CannotDelete",
				  "the specified group: \"%s\" name: \"default\" cannot be deleted "
				  "by a user",
				  id);
	if (*vx_first_text(c->store,
			"SELECT eni_id FROM network_interface_group WHERE group_id=?1 UNION ALL "
			"SELECT group_id FROM security_group_rule WHERE ref_group_id=?1 AND "
			"group_id != ?1",
			id, user, sizeof(user)))
		return vx_err_set(c->err, "DependencyViolation",
				  "resource %s has a dependent object (%s)", id, user);
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err,
			  "DELETE FROM tag WHERE resource_id IN "
			  "(SELECT id FROM security_group_rule WHERE group_id=?1)",
			  1, args) < 0 ||
	    vx_store_exec(c->store, c->err, "DELETE FROM security_group_rule WHERE group_id=?", 1,
			  args) < 0 ||
	    vx_store_exec(c->store, c->err, "DELETE FROM security_group WHERE id=?", 1, args) < 0 ||
	    vx_tags_delete(c, id) < 0)
		return -1;
	c->resp = json_pack("{s:b, s:s}", "Return", 1, "GroupId", id);
	return 0;
}

int vx_h_describe_security_groups(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *names = vx_req(c, "GroupNames");
	size_t i, j;
	json_t *v, *item;
	json_array_foreach(names, i, v) {
		char id[40];
		if (!*vx_first_text(c->store, "SELECT id FROM security_group WHERE name=?",
				 json_string_value(v), id, sizeof(id)))
			return vx_err_set(c->err, NOT_FOUND_GROUP,
					  "The security group '%s' does not exist in VPC '%s'.",
					  json_string_value(v), host.vpc_id);
	}
	json_t *all = vx_rows_json(c->store,
				   "SELECT " GROUP_COLS " FROM security_group ORDER BY created, rowid",
				   NULL, render_group, &host);
	json_t *items = all;
	if (json_array_size(names)) {
		items = json_array();
		json_array_foreach(all, i, item) {
			bool wanted = false;
			json_array_foreach(names, j, v) {
				wanted = wanted || json_equal(json_object_get(item, "GroupName"), v);
			}
			if (wanted)
				json_array_append(items, item);
		}
		json_decref(all);
	}
	static const struct vx_filter_name filters[] = {
		{"description", "Description"},
		{"egress.ip-permission.cidr", "IpPermissionsEgress.IpRanges.CidrIp"},
		{"egress.ip-permission.from-port", "IpPermissionsEgress.FromPort"},
		{"egress.ip-permission.group-id", "IpPermissionsEgress.UserIdGroupPairs.GroupId"},
		{"egress.ip-permission.ipv6-cidr", "IpPermissionsEgress.Ipv6Ranges.CidrIpv6"},
		{"egress.ip-permission.protocol", "IpPermissionsEgress.IpProtocol"},
		{"egress.ip-permission.to-port", "IpPermissionsEgress.ToPort"},
		{"egress.ip-permission.user-id", "IpPermissionsEgress.UserIdGroupPairs.UserId"},
		{"group-id", "GroupId"},
		{"group-name", "GroupName"},
		{"ip-permission.cidr", "IpPermissions.IpRanges.CidrIp"},
		{"ip-permission.from-port", "IpPermissions.FromPort"},
		{"ip-permission.group-id", "IpPermissions.UserIdGroupPairs.GroupId"},
		{"ip-permission.ipv6-cidr", "IpPermissions.Ipv6Ranges.CidrIpv6"},
		{"ip-permission.protocol", "IpPermissions.IpProtocol"},
		{"ip-permission.to-port", "IpPermissions.ToPort"},
		{"ip-permission.user-id", "IpPermissions.UserIdGroupPairs.UserId"},
		{"owner-id", "OwnerId"},
		{"vpc-id", "VpcId"},
		{NULL, NULL},
	};
	if (vx_describe_finish(c, items, "GroupIds", "GroupId", NOT_FOUND_GROUP, "security group",
			       "Filters", filters, "SecurityGroups", 5, 1000) < 0)
		return -1;
	/* This result has NextToken first in the model. */
	json_t *token = json_object_get(c->resp, "NextToken");
	if (token) {
		json_t *resp = json_pack("{s:O, s:O}", "NextToken", token, "SecurityGroups",
					 json_object_get(c->resp, "SecurityGroups"));
		json_decref(c->resp);
		c->resp = resp;
	}
	return 0;
}

/* ---- rules: IpPermissions into single rules ---- */

/* One rule a request names: a protocol, its ports (TCP, UDP) or ICMP type
 * and code (-1 when the protocol has none), and one peer. */
struct spec {
	char protocol[8];
	long long from, to;
	char cidr4[48], cidr6[64], ref[40];
	const char *description;
};

struct specs {
	struct spec *v;
	size_t n, cap;
};

static struct spec *spec_add(struct vx_call *c, struct specs *l, const char *protocol,
			     long long from, long long to, const char *description)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct spec *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			vx_err_set(c->err, "InternalFailure", "out of memory");
			return NULL;
		}
		l->v = v;
		l->cap = cap;
	}
	struct spec *s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->protocol, sizeof(s->protocol), "%s", protocol);
	s->from = from;
	s->to = to;
	s->description = description;
	return s;
}

/* IpProtocol as AWS stores it: tcp, udp, icmp, icmpv6 (also for 6, 17, 1,
 * 58), -1, or the number of any other protocol. false: not a protocol. */
static bool parse_protocol(const char *in, char *out, size_t len)
{
	static const struct {
		const char *name;
		int number;
	} named[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(in, named[i].name)) {
			snprintf(out, len, "%s", in);
			return true;
		}
	if (!strcmp(in, "-1")) {
		snprintf(out, len, "-1");
		return true;
	}
	size_t n = strlen(in);
	if (n < 1 || n > 3 || strspn(in, "0123456789") != n || (n > 1 && in[0] == '0'))
		return false;
	int number = atoi(in);
	if (number > 255)
		return false;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (number == named[i].number) {
			snprintf(out, len, "%s", named[i].name);
			return true;
		}
	snprintf(out, len, "%d", number);
	return true;
}

static bool is_icmp(const char *protocol)
{
	return !strcmp(protocol, "icmp") || !strcmp(protocol, "icmpv6");
}

/* The ports (or ICMP type and code) of IpPermissions[i]. */
static int perm_ports(struct vx_call *c, json_t *perm, const char *where, const char *protocol,
		      long long *from, long long *to)
{
	json_t *f = json_object_get(perm, "FromPort"), *t = json_object_get(perm, "ToPort");
	char member[128];
	*from = *to = -1;
	if (!strcmp(protocol, "tcp") || !strcmp(protocol, "udp")) {
		if (!f || !t)
			return vx_err_set(c->err, "InvalidParameterValue",
					  "%s: protocol %s needs both FromPort and ToPort (0-65535).",
					  where, protocol);
		*from = json_integer_value(f);
		*to = json_integer_value(t);
		snprintf(member, sizeof(member), "%s.FromPort", where);
		if (*from < 0 || *from > 65535)
			return vx_invalid_int(c, member, *from, "Allowed: 0-65535 for TCP and UDP.");
		snprintf(member, sizeof(member), "%s.ToPort", where);
		if (*to < 0 || *to > 65535)
			return vx_invalid_int(c, member, *to, "Allowed: 0-65535 for TCP and UDP.");
		if (*from > *to) {
			char txt[48];
			snprintf(txt, sizeof(txt), "%lld-%lld", *from, *to);
			return vx_invalid(c, where, txt, "FromPort must not be greater than ToPort.");
		}
	} else if (is_icmp(protocol)) {
		if (f)
			*from = json_integer_value(f);
		if (t)
			*to = json_integer_value(t);
		snprintf(member, sizeof(member), "%s.FromPort", where);
		if (*from < -1 || *from > 255)
			return vx_invalid_int(c, member, *from,
					      "Allowed: an ICMP type 0-255, or -1 for all types.");
		snprintf(member, sizeof(member), "%s.ToPort", where);
		if (*to < -1 || *to > 255)
			return vx_invalid_int(c, member, *to,
					      "Allowed: an ICMP code 0-255, or -1 for all codes.");
		if (*from == -1 && *to != -1)
			return vx_invalid_int(c, member, *to,
					      "Allowed: -1 when the ICMP type (FromPort) is -1.");
	}
	/* Other protocols: AWS ignores the ports. */
	return 0;
}

static int cidr_peer(struct vx_call *c, const char *member, const char *cidr, int family,
		     char *out, size_t len)
{
	struct vx_cidr net;
	char why[160];
	if (vx_cidr_canonical(cidr, &net, why, sizeof(why)) < 0)
		return vx_invalid(c, member, cidr, "This is not a valid CIDR block: %s.", why);
	if (net.family != family)
		return vx_invalid(c, member, cidr,
				  family == 4 ? "This is not an IPv4 CIDR block; IPv6 blocks go in "
						"Ipv6Ranges."
					      : "This is not an IPv6 CIDR block; IPv4 blocks go in "
						"IpRanges.");
	vx_cidr_format(&net, out, len);
	return 0;
}

static int group_peer(struct vx_call *c, json_t *pair, const char *where,
		      const struct vx_host *host, char *out, size_t len)
{
	char member[160];
	const char *v;
	if ((v = json_string_value(json_object_get(pair, "VpcPeeringConnectionId")))) {
		snprintf(member, sizeof(member), "%s.VpcPeeringConnectionId", where);
		return vx_invalid(c, member, v, "vxtap has no VPC peering connections.");
	}
	if ((v = json_string_value(json_object_get(pair, "UserId"))) && strcmp(v, host->account_id)) {
		snprintf(member, sizeof(member), "%s.UserId", where);
		return vx_invalid(c, member, v,
				  "Only the groups of this account (%s) can be referenced.",
				  host->account_id);
	}
	if (check_vpc(c, json_string_value(json_object_get(pair, "VpcId")), host) < 0)
		return -1;
	const char *id = json_string_value(json_object_get(pair, "GroupId"));
	const char *name = json_string_value(json_object_get(pair, "GroupName"));
	if (id) {
		if (!group_exists(c->store, id))
			return vx_not_found(c, NOT_FOUND_GROUP, "security group", id);
		snprintf(out, len, "%s", id);
		return 0;
	}
	if (!name) {
		snprintf(member, sizeof(member), "%s.GroupId", where);
		return vx_missing(c, member);
	}
	if (!*vx_first_text(c->store, "SELECT id FROM security_group WHERE name=?", name, out, len))
		return vx_err_set(c->err, NOT_FOUND_GROUP,
				  "The security group '%s' does not exist in VPC '%s'.", name,
				  host->vpc_id);
	return 0;
}

/* The IpPermissions of the request, or the one (or, for a source group
 * without a protocol, three) that the older top-level members describe. */
static json_t *request_permissions(struct vx_call *c)
{
	static const char *const top[] = {"IpProtocol", "FromPort", "ToPort", "CidrIp",
					  "SourceSecurityGroupName", "SourceSecurityGroupOwnerId"};
	bool any = false;
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		any = any || vx_req(c, top[i]);
	json_t *perms = vx_req(c, "IpPermissions");
	if (!any)
		return perms ? json_incref(perms) : json_array();
	if (perms) {
		vx_err_set(c->err, "InvalidParameterCombination",
			   "Give either IpPermissions or IpProtocol, FromPort, ToPort, CidrIp, "
			   "SourceSecurityGroupName and SourceSecurityGroupOwnerId, not both.");
		return NULL;
	}
	json_t *pair = NULL;
	const char *source = vx_req_str(c, "SourceSecurityGroupName");
	if (source || vx_req(c, "SourceSecurityGroupOwnerId")) {
		pair = json_object();
		if (source)
			json_object_set_new(pair, strncmp(source, "sg-", 3) ? "GroupName" : "GroupId",
					    json_string(source));
		if (vx_req(c, "SourceSecurityGroupOwnerId"))
			json_object_set(pair, "UserId", vx_req(c, "SourceSecurityGroupOwnerId"));
	}
	json_t *list = json_array();
	if (pair && !vx_req(c, "IpProtocol")) {
		/* AWS: a source group alone grants all of TCP, UDP and ICMP. */
		json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:[O]}", "IpProtocol", "tcp",
						      "FromPort", 0, "ToPort", 65535,
						      "UserIdGroupPairs", pair));
		json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:[O]}", "IpProtocol", "udp",
						      "FromPort", 0, "ToPort", 65535,
						      "UserIdGroupPairs", pair));
		json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:[o]}", "IpProtocol", "icmp",
						      "FromPort", -1, "ToPort", -1,
						      "UserIdGroupPairs", pair));
		return list;
	}
	json_t *perm = json_object();
	static const char *const copy[] = {"IpProtocol", "FromPort", "ToPort"};
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		if (vx_req(c, copy[i]))
			json_object_set(perm, copy[i], vx_req(c, copy[i]));
	if (pair)
		json_object_set_new(perm, "UserIdGroupPairs", json_pack("[o]", pair));
	if (vx_req(c, "CidrIp"))
		json_object_set_new(perm, "IpRanges", json_pack("[{s:O}]", "CidrIp", vx_req(c, "CidrIp")));
	json_array_append_new(list, perm);
	return list;
}

/* Every rule the request's IpPermissions name, checked. */
static int collect(struct vx_call *c, json_t *perms, struct specs *out)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	size_t i, j;
	json_t *perm, *x;
	json_array_foreach(perms, i, perm) {
		char where[48], member[128], protocol[8];
		snprintf(where, sizeof(where), "IpPermissions[%zu]", i);
		const char *given = json_string_value(json_object_get(perm, "IpProtocol"));
		snprintf(member, sizeof(member), "%s.IpProtocol", where);
		if (!given)
			return vx_missing(c, member);
		if (!parse_protocol(given, protocol, sizeof(protocol)))
			return vx_invalid(c, member, given,
					  "Allowed: tcp, udp, icmp, icmpv6, a protocol number 0-255, "
					  "or -1 for all protocols.");
		long long from, to;
		if (perm_ports(c, perm, where, protocol, &from, &to) < 0)
			return -1;
		size_t before = out->n;
		json_array_foreach(json_object_get(perm, "PrefixListIds"), j, x) {
			const char *pl = json_string_value(json_object_get(x, "PrefixListId"));
			return vx_not_found(c, "InvalidPrefixListID.NotFound", "prefix list",
					    pl ? pl : "");
		}
		static const struct {
			const char *list, *key;
			int family;
		} ranges[] = {{"IpRanges", "CidrIp", 4}, {"Ipv6Ranges", "CidrIpv6", 6}};
		for (size_t r = 0; r < 2; r++) {
			json_array_foreach(json_object_get(perm, ranges[r].list), j, x) {
				const char *cidr = json_string_value(json_object_get(x, ranges[r].key));
				const char *desc = json_string_value(json_object_get(x, "Description"));
				snprintf(member, sizeof(member), "%s.%s[%zu].%s", where, ranges[r].list,
					 j, ranges[r].key);
				if (!cidr)
					return vx_missing(c, member);
				struct spec *s = spec_add(c, out, protocol, from, to, desc);
				if (!s)
					return -1;
				char *dst = ranges[r].family == 4 ? s->cidr4 : s->cidr6;
				size_t dlen = ranges[r].family == 4 ? sizeof(s->cidr4) : sizeof(s->cidr6);
				if (cidr_peer(c, member, cidr, ranges[r].family, dst, dlen) < 0)
					return -1;
				snprintf(member, sizeof(member), "%s.%s[%zu].Description", where,
					 ranges[r].list, j);
				if (check_description(c, member, desc) < 0)
					return -1;
			}
		}
		json_array_foreach(json_object_get(perm, "UserIdGroupPairs"), j, x) {
			const char *desc = json_string_value(json_object_get(x, "Description"));
			snprintf(member, sizeof(member), "%s.UserIdGroupPairs[%zu]", where, j);
			struct spec *s = spec_add(c, out, protocol, from, to, desc);
			if (!s || group_peer(c, x, member, &host, s->ref, sizeof(s->ref)) < 0)
				return -1;
			snprintf(member, sizeof(member), "%s.UserIdGroupPairs[%zu].Description",
				 where, j);
			if (check_description(c, member, desc) < 0)
				return -1;
		}
		if (out->n == before)
			return vx_err_set(c->err, "MissingParameter",
					  "%s names no peer: give IpRanges, Ipv6Ranges or "
					  "UserIdGroupPairs.",
					  where);
	}
	return 0;
}

/* The stored rule of group and direction that s names, into id ("" if none). */
static void find_rule(struct vx_store *st, const char *group, bool egress, const struct spec *s,
		      char *id, size_t len)
{
	sqlite3_stmt *q;
	id[0] = '\0';
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT id FROM security_group_rule WHERE group_id=?1 AND egress=?2 AND "
			       "protocol=?3 AND from_port=?4 AND to_port=?5 AND cidr_ipv4 IS ?6 AND "
			       "cidr_ipv6 IS ?7 AND ref_group_id IS ?8",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, egress);
	sqlite3_bind_text(q, 3, s->protocol, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, s->from);
	sqlite3_bind_int64(q, 5, s->to);
	const char *peers[] = {s->cidr4, s->cidr6, s->ref};
	for (int k = 0; k < 3; k++)
		if (*peers[k])
			sqlite3_bind_text(q, 6 + k, peers[k], -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(id, len, "%s", vx_col_text(q, 0));
	sqlite3_finalize(q);
}

static bool same_rule(const struct spec *a, const struct spec *b)
{
	return !strcmp(a->protocol, b->protocol) && a->from == b->from && a->to == b->to &&
	       !strcmp(a->cidr4, b->cidr4) && !strcmp(a->cidr6, b->cidr6) && !strcmp(a->ref, b->ref);
}

/* A rule as AWS's messages quote it. */
static const char *rule_text(const struct spec *s, char *out, size_t len)
{
	const char *peer = *s->cidr4 ? s->cidr4 : *s->cidr6 ? s->cidr6 : s->ref;
	char proto[8];
	size_t i = 0;
	for (; s->protocol[i] && i + 1 < sizeof(proto); i++)
		proto[i] = (char)(s->protocol[i] >= 'a' && s->protocol[i] <= 'z' ? s->protocol[i] - 32
										 : s->protocol[i]);
	proto[i] = '\0';
	if (!strcmp(s->protocol, "-1"))
		snprintf(out, len, "peer: %s, ALL, ALLOW", peer);
	else if (is_icmp(s->protocol))
		snprintf(out, len, "peer: %s, %s, type: %lld, code: %lld, ALLOW", peer, proto, s->from,
			 s->to);
	else if (has_ports(s->protocol))
		snprintf(out, len, "peer: %s, %s, from port: %lld, to port: %lld, ALLOW", peer, proto,
			 s->from, s->to);
	else
		snprintf(out, len, "peer: %s, %s, ALLOW", peer, proto);
	return out;
}

static int authorize(struct vx_call *c, bool egress)
{
	char group[40];
	if (resolve_group(c, group, sizeof(group)) < 0 ||
	    vx_tags_validate(c, "security-group-rule") < 0)
		return -1;
	json_t *perms = request_permissions(c);
	if (!perms)
		return -1;
	struct specs l = {0}; /* descriptions point into perms: it lives as long */
	int rc = collect(c, perms, &l);
	if (rc == 0 && l.n == 0)
		rc = vx_missing(c, "IpPermissions");
	/* Each rule once: not already in the group, not twice in the request. */
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		char id[40], txt[200];
		find_rule(c->store, group, egress, &l.v[i], id, sizeof(id));
		bool dup = *id;
		for (size_t k = 0; k < i && !dup; k++)
			dup = same_rule(&l.v[k], &l.v[i]);
		if (dup)
			rc = vx_err_set(c->err, "InvalidPermission.Duplicate",
					"the specified rule \"%s\" already exists",
					rule_text(&l.v[i], txt, sizeof(txt)));
	}
	/* 60 rules per direction for IPv4 and 60 for IPv6; a rule naming a
	 * group counts for both. */
	if (rc == 0) {
		sqlite3_stmt *q;
		sqlite3_prepare_v2(vx_store_db(c->store),
				   "SELECT COUNT(cidr_ipv4) + COUNT(ref_group_id), COUNT(cidr_ipv6) + "
				   "COUNT(ref_group_id) FROM security_group_rule WHERE group_id=? AND "
				   "egress=?",
				   -1, &q, NULL);
		sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, egress);
		long long v4 = 0, v6 = 0;
		if (sqlite3_step(q) == SQLITE_ROW) {
			v4 = sqlite3_column_int64(q, 0);
			v6 = sqlite3_column_int64(q, 1);
		}
		sqlite3_finalize(q);
		for (size_t i = 0; i < l.n; i++) {
			v4 += *l.v[i].cidr4 || *l.v[i].ref;
			v6 += *l.v[i].cidr6 || *l.v[i].ref;
		}
		if (v4 > RULES_PER_GROUP || v6 > RULES_PER_GROUP)
			rc = vx_err_set(c->err, "RulesPerSecurityGroupLimitExceeded",
					"The maximum number of rules per security group has been "
					"reached: %s would have %lld %s %s rules (at most %d).",
					group, v4 > RULES_PER_GROUP ? v4 : v6,
					v4 > RULES_PER_GROUP ? "IPv4" : "IPv6",
					egress ? "outbound" : "inbound", RULES_PER_GROUP);
	}
	json_t *rules = json_array();
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const struct spec *s = &l.v[i];
		char id[40];
		vx_new_object_id(c, "sgr", id, sizeof(id));
		rc = insert_rule(c, id, group, egress, s->protocol, s->from, s->to,
				 *s->cidr4 ? s->cidr4 : NULL, *s->cidr6 ? s->cidr6 : NULL,
				 *s->ref ? s->ref : NULL, s->description);
		if (rc == 0)
			rc = vx_tags_store(c, id);
		if (rc == 0)
			json_array_append_new(rules, rule_json(c->store, id, render_rule));
	}
	free(l.v);
	json_decref(perms);
	if (rc < 0) {
		json_decref(rules);
		return -1;
	}
	c->resp = json_pack("{s:b, s:o}", "Return", 1, "SecurityGroupRules", rules);
	return 0;
}

int vx_h_authorize_ingress(struct vx_call *c)
{
	return authorize(c, false);
}

int vx_h_authorize_egress(struct vx_call *c)
{
	return authorize(c, true);
}

static int revoke(struct vx_call *c, bool egress)
{
	char group[40];
	if (resolve_group(c, group, sizeof(group)) < 0)
		return -1;
	json_t *ids = vx_req(c, "SecurityGroupRuleIds");
	json_t *perms = request_permissions(c);
	if (!perms)
		return -1;
	struct specs l = {0};
	int rc = collect(c, perms, &l);
	json_decref(perms);
	if (rc == 0 && l.n == 0 && !json_array_size(ids))
		rc = vx_missing(c, "IpPermissions");
	json_t *gone = json_array(); /* the IDs of the rules to revoke */
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (rc < 0)
			break;
		const char *id = json_string_value(v);
		char owner[40] = "";
		if (vx_id_ok(id, "sgr"))
			vx_first_text(c->store,
				   egress ? "SELECT group_id FROM security_group_rule WHERE id=? AND "
					    "egress=1"
					  : "SELECT group_id FROM security_group_rule WHERE id=? AND "
					    "egress=0",
				   id, owner, sizeof(owner));
		if (strcmp(owner, group))
			rc = vx_not_found(c, NOT_FOUND_SGR, "security group rule", id);
		else
			json_array_append(gone, v);
	}
	for (size_t k = 0; rc == 0 && k < l.n; k++) {
		char id[40];
		find_rule(c->store, group, egress, &l.v[k], id, sizeof(id));
		if (!*id)
			rc = vx_err_set(c->err, "InvalidPermission.NotFound",
					"The specified rule does not exist in this security group.");
		else
			json_array_append_new(gone, json_string(id));
	}
	free(l.v);
	json_t *revoked = json_array();
	json_array_foreach(gone, i, v) {
		if (rc < 0)
			break;
		const char *id = json_string_value(v);
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = json_equal(json_array_get(gone, k), v);
		if (seen)
			continue;
		json_array_append_new(revoked, rule_json(c->store, id, render_revoked));
		const char *args[] = {id};
		if (vx_store_exec(c->store, c->err, "DELETE FROM security_group_rule WHERE id=?", 1,
				  args) < 0 ||
		    vx_tags_delete(c, id) < 0)
			rc = -1;
	}
	json_decref(gone);
	if (rc < 0) {
		json_decref(revoked);
		return -1;
	}
	c->resp = json_pack("{s:b, s:o}", "Return", 1, "RevokedSecurityGroupRules", revoked);
	return 0;
}

int vx_h_revoke_ingress(struct vx_call *c)
{
	return revoke(c, false);
}

int vx_h_revoke_egress(struct vx_call *c)
{
	return revoke(c, true);
}

int vx_h_describe_security_group_rules(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *items = vx_rows_json(c->store,
				     "SELECT " RULE_COLS " FROM security_group_rule r ORDER BY "
				     "(SELECT created FROM security_group g WHERE g.id=r.group_id), "
				     "(SELECT rowid FROM security_group g WHERE g.id=r.group_id), "
				     "created, rowid",
				     NULL, render_rule, &host);
	static const struct vx_filter_name names[] = {
		{"group-id", "GroupId"},
		{"security-group-rule-id", "SecurityGroupRuleId"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "SecurityGroupRuleIds", "SecurityGroupRuleId",
				  NOT_FOUND_SGR, "security group rule", "Filters", names,
				  "SecurityGroupRules", 5, 1000);
}

/* ---- the security groups of network interfaces ---- */

int vx_interface_groups_check(struct vx_call *c, const char *member)
{
	json_t *list = vx_req(c, member);
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *id = json_string_value(v);
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = json_equal(json_array_get(list, k), v);
		if (seen)
			continue;
		if (!group_exists(c->store, id))
			return vx_not_found(c, NOT_FOUND_GROUP, "security group", id);
		n++;
	}
	if (n > GROUPS_PER_IFACE)
		return vx_err_set(c->err, "SecurityGroupsPerInterfaceLimitExceeded",
				  "%s names %zu security groups; an interface has at most %d.", member,
				  n, GROUPS_PER_IFACE);
	return 0;
}

int vx_interface_groups_write(struct vx_call *c, const char *eni, const char *member)
{
	json_t *list = vx_req(c, member);
	const char *args[] = {eni, NULL, NULL};
	if (vx_store_exec(c->store, c->err, "DELETE FROM network_interface_group WHERE eni_id=?", 1,
			  args) < 0)
		return -1;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		char pos[24];
		snprintf(pos, sizeof(pos), "%zu", i);
		args[1] = json_string_value(v);
		args[2] = pos;
		if (vx_store_exec(c->store, c->err,
				  "INSERT OR IGNORE INTO network_interface_group(eni_id, group_id, "
				  "position) VALUES(?,?,CAST(? AS INTEGER))",
				  3, args) < 0)
			return -1;
	}
	return 0;
}

static json_t *render_iface_group(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)st;
	(void)ctx;
	return json_pack("{s:s, s:s}", "GroupId", vx_col_text(s, 0), "GroupName", vx_col_text(s, 1));
}

json_t *vx_interface_groups_json(struct vx_store *st, const char *eni)
{
	return vx_rows_json(st,
			    "SELECT g.id, g.name FROM network_interface_group m JOIN security_group g "
			    "ON g.id=m.group_id WHERE m.eni_id=? ORDER BY m.position",
			    eni, render_iface_group, NULL);
}

int vx_h_modify_interface_attribute(struct vx_call *c)
{
	const char *eni = vx_req_str(c, "NetworkInterfaceId");
	if (!vx_id_ok(eni, "eni") || !vx_row_exists(c->store, "network_interface", "id", eni))
		return vx_not_found(c, NOT_FOUND_ENI, "networkInterface", eni);
	if (!vx_req(c, "Groups"))
		return vx_err_set(c->err, "MissingParameter",
				  "The request must contain the parameter Groups (the only attribute "
				  "vxtap changes).");
	if (vx_interface_groups_check(c, "Groups") < 0 ||
	    vx_interface_groups_write(c, eni, "Groups") < 0)
		return -1;
	c->resp = json_object();
	return 0;
}
