/* Traffic-mirroring objects: targets, filters, filter rules, sessions.
 * Limits and semantics follow SPEC.md §1 (AWS VPC Traffic Mirroring). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "handlers.h"
#include "vxtap/netaddr.h"

#define RULE_NUMBER_MAX	     32766 /* AWS leaves it undocumented; NACLs use 1-32766 */
#define SESSION_NUMBER_MAX   32766
#define RULES_PER_FILTER     10
#define SESSIONS_PER_SOURCE  3
#define SOURCES_PER_ENI_TGT  10
#define OBJECTS_PER_ACCOUNT  10000
#define VNI_MAX		     16777215
#define PACKET_LENGTH_MIN    35	  /* 14 Ethernet + 20 IPv4 + 1 (SPEC.md §1.5) */
#define PACKET_LENGTH_MAX    8961 /* an 8,947-byte packet and its Ethernet header */
#define PACKET_LENGTH_NLB    8500
#define DESCRIPTION_MAX	     255

static const char TYPE_ENI[] = "network-interface";
static const char TYPE_NLB[] = "network-load-balancer";

/* ---- rendering (model member order) ---- */

static void set_str_if(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static json_t *render_target(struct vx_store *st, sqlite3_stmt *s, const void *owner)
{
	json_t *o = json_object();
	const char *id = vx_col_text(s, 0);
	json_object_set_new(o, "TrafficMirrorTargetId", json_string(id));
	set_str_if(o, "NetworkInterfaceId", vx_col_text(s, 2));
	set_str_if(o, "NetworkLoadBalancerArn", vx_col_text(s, 3));
	json_object_set_new(o, "Type", json_string(vx_col_text(s, 1)));
	set_str_if(o, "Description", vx_col_text(s, 4));
	json_object_set_new(o, "OwnerId", json_string(owner));
	json_object_set_new(o, "Tags", vx_tags_json(st, id));
	return o;
}

#define TARGET_COLS "id, type, eni_id, lb_arn, description"

static json_t *target_json(struct vx_store *st, const char *id)
{
	struct vx_host host;
	vx_store_host(st, &host, NULL);
	return vx_row_json(st, "SELECT " TARGET_COLS " FROM mirror_target WHERE id=?", id,
			   render_target, host.account_id);
}

#define RULE_COLS                                                                                  \
	"id, filter_id, direction, rule_number, action, protocol, dst_from, dst_to, src_from, "   \
	"src_to, dst_cidr, src_cidr, description"

static json_t *render_rule(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)st;
	(void)ctx;
	json_t *o = json_object();
	json_object_set_new(o, "TrafficMirrorFilterRuleId", json_string(vx_col_text(s, 0)));
	json_object_set_new(o, "TrafficMirrorFilterId", json_string(vx_col_text(s, 1)));
	json_object_set_new(o, "TrafficDirection", json_string(vx_col_text(s, 2)));
	json_object_set_new(o, "RuleNumber", json_integer(sqlite3_column_int(s, 3)));
	json_object_set_new(o, "RuleAction", json_string(vx_col_text(s, 4)));
	if (sqlite3_column_type(s, 5) != SQLITE_NULL)
		json_object_set_new(o, "Protocol", json_integer(sqlite3_column_int(s, 5)));
	if (sqlite3_column_type(s, 6) != SQLITE_NULL)
		json_object_set_new(o, "DestinationPortRange",
				    json_pack("{s:i, s:i}", "FromPort", sqlite3_column_int(s, 6),
					      "ToPort", sqlite3_column_int(s, 7)));
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		json_object_set_new(o, "SourcePortRange",
				    json_pack("{s:i, s:i}", "FromPort", sqlite3_column_int(s, 8),
					      "ToPort", sqlite3_column_int(s, 9)));
	json_object_set_new(o, "DestinationCidrBlock", json_string(vx_col_text(s, 10)));
	json_object_set_new(o, "SourceCidrBlock", json_string(vx_col_text(s, 11)));
	set_str_if(o, "Description", vx_col_text(s, 12));
	return o;
}

static json_t *rule_json(struct vx_store *st, const char *id)
{
	return vx_row_json(st, "SELECT " RULE_COLS " FROM mirror_filter_rule WHERE id=?", id,
			   render_rule, NULL);
}

static const char INGRESS_RULES_SQL[] = "SELECT " RULE_COLS " FROM mirror_filter_rule "
					"WHERE filter_id=? AND direction='ingress' ORDER BY rule_number";
static const char EGRESS_RULES_SQL[] = "SELECT " RULE_COLS " FROM mirror_filter_rule "
				       "WHERE filter_id=? AND direction='egress' ORDER BY rule_number";

static json_t *render_filter(struct vx_store *st, sqlite3_stmt *s, const void *ctx)
{
	(void)ctx;
	const char *id = vx_col_text(s, 0);
	json_t *o = json_object();
	json_object_set_new(o, "TrafficMirrorFilterId", json_string(id));
	json_object_set_new(o, "IngressFilterRules",
			    vx_rows_json(st, INGRESS_RULES_SQL, id, render_rule, NULL));
	json_object_set_new(o, "EgressFilterRules",
			    vx_rows_json(st, EGRESS_RULES_SQL, id, render_rule, NULL));
	json_t *services = json_array();
	if (sqlite3_column_int(s, 2))
		json_array_append_new(services, json_string("amazon-dns"));
	json_object_set_new(o, "NetworkServices", services);
	set_str_if(o, "Description", vx_col_text(s, 1));
	json_object_set_new(o, "Tags", vx_tags_json(st, id));
	return o;
}

#define FILTER_COLS "id, description, amazon_dns"

static json_t *filter_json(struct vx_store *st, const char *id)
{
	return vx_row_json(st, "SELECT " FILTER_COLS " FROM mirror_filter WHERE id=?", id,
			   render_filter, NULL);
}

#define SESSION_COLS                                                                               \
	"id, target_id, filter_id, eni_id, packet_length, session_number, vni, description"

static json_t *render_session(struct vx_store *st, sqlite3_stmt *s, const void *owner)
{
	const char *id = vx_col_text(s, 0);
	json_t *o = json_object();
	json_object_set_new(o, "TrafficMirrorSessionId", json_string(id));
	json_object_set_new(o, "TrafficMirrorTargetId", json_string(vx_col_text(s, 1)));
	json_object_set_new(o, "TrafficMirrorFilterId", json_string(vx_col_text(s, 2)));
	json_object_set_new(o, "NetworkInterfaceId", json_string(vx_col_text(s, 3)));
	json_object_set_new(o, "OwnerId", json_string(owner));
	if (sqlite3_column_type(s, 4) != SQLITE_NULL)
		json_object_set_new(o, "PacketLength", json_integer(sqlite3_column_int(s, 4)));
	json_object_set_new(o, "SessionNumber", json_integer(sqlite3_column_int(s, 5)));
	json_object_set_new(o, "VirtualNetworkId", json_integer(sqlite3_column_int(s, 6)));
	set_str_if(o, "Description", vx_col_text(s, 7));
	json_object_set_new(o, "Tags", vx_tags_json(st, id));
	return o;
}

static json_t *session_json(struct vx_store *st, const char *id)
{
	struct vx_host host;
	vx_store_host(st, &host, NULL);
	return vx_row_json(st, "SELECT " SESSION_COLS " FROM mirror_session WHERE id=?", id,
			   render_session, host.account_id);
}

/* ---- shared checks ---- */

static int check_description(struct vx_call *c, const char *desc)
{
	if (desc && strlen(desc) > DESCRIPTION_MAX)
		return vx_invalid(c, "Description", desc, "A description has at most 255 characters.");
	return 0;
}

static int check_id(struct vx_call *c, const char *id, const char *prefix, const char *table,
		    const char *code, const char *what)
{
	if (!vx_id_ok(id, prefix) || !vx_row_exists(c->store, table, "id", id))
		return vx_not_found(c, code, what, id);
	return 0;
}

#define NOT_FOUND_TARGET  "InvalidTrafficMirrorTargetId.NotFound"
#define NOT_FOUND_FILTER  "InvalidTrafficMirrorFilterId.NotFound"
#define NOT_FOUND_RULE	  "InvalidTrafficMirrorFilterRuleId.NotFound"
#define NOT_FOUND_SESSION "InvalidTrafficMirrorSessionId.NotFound"
#define NOT_FOUND_ENI	  "InvalidNetworkInterfaceID.NotFound"

static void set_client_token(struct vx_call *c)
{
	const char *token = vx_req_str(c, "ClientToken");
	if (token)
		json_object_set_new(c->resp, "ClientToken", json_string(token));
}

static void created_now(char *buf, size_t len)
{
	snprintf(buf, len, "%lld", (long long)vx_now_ms());
}

/* ---- targets ---- */

int vx_h_create_target(struct vx_call *c)
{
	const char *eni = vx_req_str(c, "NetworkInterfaceId");
	const char *nlb = vx_req_str(c, "NetworkLoadBalancerArn");
	const char *gwlb = vx_req_str(c, "GatewayLoadBalancerEndpointId");
	const char *desc = vx_req_str(c, "Description");
	int given = !!eni + !!nlb + !!gwlb;
	if (given == 0)
		return vx_err_set(c->err, "MissingParameter",
				  "The request must contain one of NetworkInterfaceId, "
				  "NetworkLoadBalancerArn or GatewayLoadBalancerEndpointId.");
	if (given > 1)
		return vx_err_set(c->err, "InvalidParameterCombination",
				  "Give only one of NetworkInterfaceId, NetworkLoadBalancerArn and "
				  "GatewayLoadBalancerEndpointId.");
	if (gwlb)
		return vx_invalid(c, "GatewayLoadBalancerEndpointId", gwlb,
				  "vxtap has no gateway load balancer endpoints; use a "
				  "network-interface or network-load-balancer target.");
	if (check_description(c, desc) < 0 || vx_tags_validate(c, "traffic-mirror-target") < 0)
		return -1;
	char other[64];
	if (eni) {
		if (check_id(c, eni, "eni", "network_interface", NOT_FOUND_ENI, "networkInterface") < 0)
			return -1;
		if (*vx_first_text(c->store, "SELECT private_ip FROM network_interface WHERE id=?", eni,
				other, sizeof(other)) == '\0')
			return vx_invalid(c, "NetworkInterfaceId", eni,
					  "The network interface has no IPv4 address to send "
					  "mirrored traffic to.");
		if (*vx_first_text(c->store, "SELECT id FROM mirror_session WHERE eni_id=?", eni, other,
				sizeof(other)))
			return vx_invalid(c, "NetworkInterfaceId", eni,
					  "The network interface is the source of mirror session "
					  "%s; an interface cannot be both a source and a target.",
					  other);
		if (*vx_first_text(c->store, "SELECT id FROM mirror_target WHERE eni_id=?", eni, other,
				sizeof(other)))
			return vx_invalid(c, "NetworkInterfaceId", eni,
					  "The network interface is already traffic mirror target %s.",
					  other);
	} else {
		if (!vx_row_exists(c->store, "load_balancer", "arn", nlb))
			return vx_err_set(c->err, "NetworkLoadBalancerNotFoundException",
					  "The network load balancer '%s' does not exist.", nlb);
		if (*vx_first_text(c->store, "SELECT id FROM mirror_target WHERE lb_arn=?", nlb, other,
				sizeof(other)))
			return vx_err_set(c->err, "NlbInUseByTrafficMirrorTargetException",
					  "The network load balancer '%s' is already traffic mirror "
					  "target %s.",
					  nlb, other);
	}
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM mirror_target", NULL) >= OBJECTS_PER_ACCOUNT)
		return vx_err_set(c->err, "TrafficMirrorTargetLimitExceeded",
				  "The account already has %d traffic mirror targets, the most allowed.",
				  OBJECTS_PER_ACCOUNT);
	char id[40], created[24];
	vx_new_object_id(c, "tmt", id, sizeof(id));
	created_now(created, sizeof(created));
	const char *args[] = {id, eni ? TYPE_ENI : TYPE_NLB, eni, nlb, desc, created};
	if (vx_store_exec(c->store, c->err, "INSERT INTO mirror_target VALUES(?,?,?,?,?,?)", 6, args) <
		    0 ||
	    vx_tags_store(c, id) < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorTarget", target_json(c->store, id));
	set_client_token(c);
	return 0;
}

int vx_h_delete_target(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorTargetId");
	if (check_id(c, id, "tmt", "mirror_target", NOT_FOUND_TARGET, "traffic mirror target") < 0)
		return -1;
	char user[64];
	if (*vx_first_text(c->store,
			"SELECT id FROM mirror_session WHERE target_id=? "
			"ORDER BY created, rowid",
			id, user, sizeof(user)))
		return vx_err_set(c->err, "TrafficMirrorTargetInUse",
				  "Cannot delete %s. Target is in use by %s", id, user);
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err, "DELETE FROM mirror_target WHERE id=?", 1, args) < 0 ||
	    vx_tags_delete(c, id) < 0)
		return -1;
	c->resp = json_pack("{s:s}", "TrafficMirrorTargetId", id);
	return 0;
}

int vx_h_describe_targets(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *items = vx_rows_json(c->store,
				     "SELECT " TARGET_COLS " FROM mirror_target ORDER BY created, rowid",
				     NULL, render_target, host.account_id);
	static const struct vx_filter_name names[] = {
		{"description", "Description"},
		{"network-interface-id", "NetworkInterfaceId"},
		{"network-load-balancer-arn", "NetworkLoadBalancerArn"},
		{"owner-id", "OwnerId"},
		{"traffic-mirror-target-id", "TrafficMirrorTargetId"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "TrafficMirrorTargetIds", "TrafficMirrorTargetId",
				  NOT_FOUND_TARGET, "traffic mirror target", "Filters", names,
				  "TrafficMirrorTargets", 5, 1000);
}

/* ---- filters ---- */

int vx_h_create_filter(struct vx_call *c)
{
	const char *desc = vx_req_str(c, "Description");
	if (check_description(c, desc) < 0 || vx_tags_validate(c, "traffic-mirror-filter") < 0)
		return -1;
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM mirror_filter", NULL) >= OBJECTS_PER_ACCOUNT)
		return vx_err_set(c->err, "TrafficMirrorFilterLimitExceeded",
				  "The account already has %d traffic mirror filters, the most allowed.",
				  OBJECTS_PER_ACCOUNT);
	char id[40], created[24];
	vx_new_object_id(c, "tmf", id, sizeof(id));
	created_now(created, sizeof(created));
	const char *args[] = {id, desc, created};
	if (vx_store_exec(c->store, c->err, "INSERT INTO mirror_filter VALUES(?,?,0,?)", 3, args) < 0 ||
	    vx_tags_store(c, id) < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorFilter", filter_json(c->store, id));
	set_client_token(c);
	return 0;
}

int vx_h_delete_filter(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorFilterId");
	if (check_id(c, id, "tmf", "mirror_filter", NOT_FOUND_FILTER, "traffic mirror filter") < 0)
		return -1;
	char user[64];
	if (*vx_first_text(c->store,
			"SELECT id FROM mirror_session WHERE filter_id=? "
			"ORDER BY created, rowid",
			id, user, sizeof(user)))
		return vx_err_set(c->err, "TrafficMirrorFilterInUse",
				  "Cannot delete %s. Filter is in use by %s", id, user);
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err,
			  "DELETE FROM tag WHERE resource_id IN "
			  "(SELECT id FROM mirror_filter_rule WHERE filter_id=?1)",
			  1, args) < 0 ||
	    vx_store_exec(c->store, c->err, "DELETE FROM mirror_filter WHERE id=?", 1, args) < 0 ||
	    vx_tags_delete(c, id) < 0)
		return -1;
	c->resp = json_pack("{s:s}", "TrafficMirrorFilterId", id);
	return 0;
}

int vx_h_describe_filters(struct vx_call *c)
{
	json_t *items = vx_rows_json(c->store,
				     "SELECT " FILTER_COLS " FROM mirror_filter ORDER BY created, rowid",
				     NULL, render_filter, NULL);
	static const struct vx_filter_name names[] = {
		{"description", "Description"},
		{"traffic-mirror-filter-id", "TrafficMirrorFilterId"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "TrafficMirrorFilterIds", "TrafficMirrorFilterId",
				  NOT_FOUND_FILTER, "traffic mirror filter", "Filters", names,
				  "TrafficMirrorFilters", 5, 1000);
}

static int check_services(struct vx_call *c, const char *member)
{
	size_t i;
	json_t *v;
	json_array_foreach(vx_req(c, member), i, v) if (strcmp(json_string_value(v), "amazon-dns"))
		return vx_invalid(c, member, json_string_value(v),
				  "The only network service is amazon-dns.");
	return 0;
}

int vx_h_modify_filter_services(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorFilterId");
	if (check_id(c, id, "tmf", "mirror_filter", NOT_FOUND_FILTER, "traffic mirror filter") < 0 ||
	    check_services(c, "AddNetworkServices") < 0 ||
	    check_services(c, "RemoveNetworkServices") < 0)
		return -1;
	bool add = json_array_size(vx_req(c, "AddNetworkServices")) > 0;
	bool del = json_array_size(vx_req(c, "RemoveNetworkServices")) > 0;
	if (add && del)
		return vx_err_set(c->err, "InvalidParameterCombination",
				  "amazon-dns cannot be both added and removed in one request.");
	if (add || del) {
		const char *args[] = {add ? "1" : "0", id};
		if (vx_store_exec(c->store, c->err,
				  "UPDATE mirror_filter SET amazon_dns=CAST(? AS INTEGER) WHERE id=?",
				  2, args) < 0)
			return -1;
	}
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorFilter", filter_json(c->store, id));
	return 0;
}

/* ---- filter rules ---- */

/* A rule's fields while it is being created or modified; NULL/-1 = unset. */
struct rule_fields {
	const char *filter_id, *direction, *action, *dst_cidr, *src_cidr, *description;
	long long number, protocol;
	long long dst_from, dst_to, src_from, src_to;
};

static int port_range(struct vx_call *c, const char *member, long long *from, long long *to)
{
	json_t *r = vx_req(c, member);
	if (!r)
		return 0;
	json_t *f = json_object_get(r, "FromPort"), *t = json_object_get(r, "ToPort");
	char name[64];
	if (!f || !t) {
		snprintf(name, sizeof(name), "%s.%s", member, f ? "ToPort" : "FromPort");
		return vx_missing(c, name);
	}
	*from = json_integer_value(f);
	*to = json_integer_value(t);
	snprintf(name, sizeof(name), "%s.FromPort", member);
	if (*from < 0 || *from > 65535)
		return vx_invalid_int(c, name, *from, "Allowed: 0-65535.");
	snprintf(name, sizeof(name), "%s.ToPort", member);
	if (*to < 0 || *to > 65535)
		return vx_invalid_int(c, name, *to, "Allowed: 0-65535.");
	if (*from > *to) {
		char txt[32];
		snprintf(txt, sizeof(txt), "%lld-%lld", *from, *to);
		return vx_invalid(c, member, txt, "FromPort must not be greater than ToPort.");
	}
	return 0;
}

/* Everything about a rule that does not depend on its neighbours. */
static int check_rule_fields(struct vx_call *c, const struct rule_fields *r)
{
	if (strcmp(r->direction, "ingress") && strcmp(r->direction, "egress"))
		return vx_invalid(c, "TrafficDirection", r->direction, "Allowed: ingress, egress.");
	if (r->number < 1 || r->number > RULE_NUMBER_MAX)
		return vx_invalid_int(c, "RuleNumber", r->number, "Allowed: 1-32766.");
	if (strcmp(r->action, "accept") && strcmp(r->action, "reject"))
		return vx_invalid(c, "RuleAction", r->action, "Allowed: accept, reject.");
	/* -1 stands for an omitted Protocol; a -1 in the request is a bad value. */
	long long protocol = r->protocol;
	if ((vx_req_int(c, "Protocol", &protocol) || protocol != -1) &&
	    (protocol < 0 || protocol > 255))
		return vx_invalid_int(c, "Protocol", protocol,
				      "Allowed: an IANA protocol number 0-255 (omit for all).");
	struct vx_cidr dst, src;
	char why[160];
	if (vx_cidr_parse(r->dst_cidr, &dst, why, sizeof(why)) < 0)
		return vx_invalid(c, "DestinationCidrBlock", r->dst_cidr,
				  "This is not a valid CIDR block: %s.", why);
	if (vx_cidr_parse(r->src_cidr, &src, why, sizeof(why)) < 0)
		return vx_invalid(c, "SourceCidrBlock", r->src_cidr,
				  "This is not a valid CIDR block: %s.", why);
	if (dst.family != src.family)
		return vx_err_set(c->err, "InvalidParameterCombination",
				  "SourceCidrBlock (%s) and DestinationCidrBlock (%s) must both be "
				  "IPv4 or both be IPv6.",
				  r->src_cidr, r->dst_cidr);
	bool ports = r->dst_from >= 0 || r->src_from >= 0;
	if (ports && r->protocol != 6 && r->protocol != 17) {
		char proto[16];
		snprintf(proto, sizeof(proto), "%lld", r->protocol);
		return vx_err_set(c->err, "InvalidParameterCombination",
				  "%s is allowed only with Protocol 6 (TCP) or 17 (UDP); Protocol "
				  "is %s.",
				  r->dst_from >= 0 ? "DestinationPortRange" : "SourcePortRange",
				  r->protocol == -1 ? "not set (all protocols)" : proto);
	}
	return check_description(c, r->description);
}

/* Rule-number uniqueness per direction and the per-filter rule count. */
static int check_rule_neighbours(struct vx_call *c, const struct rule_fields *r, const char *self)
{
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "SELECT id FROM mirror_filter_rule WHERE filter_id=? AND direction=? AND "
			   "rule_number=? AND id IS NOT ?",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, r->filter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->direction, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->number);
	sqlite3_bind_text(s, 4, self, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = vx_err_set(c->err, "TrafficMirrorFilterRuleAlreadyExists",
				"Rule number %lld is already used in the %s rules of %s by %s.",
				r->number, r->direction, r->filter_id, vx_col_text(s, 0));
	sqlite3_finalize(s);
	if (rc < 0)
		return -1;
	if (!self && vx_count_rows(c->store, "SELECT COUNT(*) FROM mirror_filter_rule WHERE filter_id=?",
				r->filter_id) >= RULES_PER_FILTER)
		return vx_err_set(c->err, "TrafficMirrorFilterRuleLimitExceeded",
				  "Filter %s already has %d rules, the most a filter may have.",
				  r->filter_id, RULES_PER_FILTER);
	return 0;
}

static int write_rule(struct vx_call *c, const char *id, const struct rule_fields *r, bool insert)
{
	sqlite3_stmt *s;
	const char *sql =
		insert ? "INSERT INTO mirror_filter_rule(filter_id, direction, rule_number, action, "
			 "protocol, dst_from, dst_to, src_from, src_to, dst_cidr, src_cidr, "
			 "description, created, id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
		       : "UPDATE mirror_filter_rule SET filter_id=?1, direction=?2, rule_number=?3, "
			 "action=?4, protocol=?5, dst_from=?6, dst_to=?7, src_from=?8, src_to=?9, "
			 "dst_cidr=?10, src_cidr=?11, description=?12 WHERE id=?14";
	if (sqlite3_prepare_v2(vx_store_db(c->store), sql, -1, &s, NULL) != SQLITE_OK)
		return vx_store_fail(c->store, c->err, "prepare rule");
	sqlite3_bind_text(s, 1, r->filter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->direction, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->number);
	sqlite3_bind_text(s, 4, r->action, -1, SQLITE_STATIC);
	const long long opt[] = {r->protocol, r->dst_from, r->dst_to, r->src_from, r->src_to};
	for (int i = 0; i < 5; i++)
		if (opt[i] >= 0)
			sqlite3_bind_int64(s, 5 + i, opt[i]);
	sqlite3_bind_text(s, 10, r->dst_cidr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, r->src_cidr, -1, SQLITE_STATIC);
	if (r->description)
		sqlite3_bind_text(s, 12, r->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, vx_now_ms());
	sqlite3_bind_text(s, 14, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vx_store_fail(c->store, c->err, "write rule");
}

int vx_h_create_rule(struct vx_call *c)
{
	struct rule_fields r = {
		.filter_id = vx_req_str(c, "TrafficMirrorFilterId"),
		.direction = vx_req_str(c, "TrafficDirection"),
		.action = vx_req_str(c, "RuleAction"),
		.dst_cidr = vx_req_str(c, "DestinationCidrBlock"),
		.src_cidr = vx_req_str(c, "SourceCidrBlock"),
		.description = vx_req_str(c, "Description"),
		.protocol = -1, .dst_from = -1, .dst_to = -1, .src_from = -1, .src_to = -1,
	};
	vx_req_int(c, "RuleNumber", &r.number);
	vx_req_int(c, "Protocol", &r.protocol);
	if (check_id(c, r.filter_id, "tmf", "mirror_filter", NOT_FOUND_FILTER,
		     "traffic mirror filter") < 0 ||
	    port_range(c, "DestinationPortRange", &r.dst_from, &r.dst_to) < 0 ||
	    port_range(c, "SourcePortRange", &r.src_from, &r.src_to) < 0 ||
	    check_rule_fields(c, &r) < 0 || check_rule_neighbours(c, &r, NULL) < 0)
		return -1;
	char id[40];
	vx_new_object_id(c, "tmfr", id, sizeof(id));
	if (write_rule(c, id, &r, true) < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorFilterRule", rule_json(c->store, id));
	set_client_token(c);
	return 0;
}

static bool remove_field(struct vx_call *c, const char *field)
{
	size_t i;
	json_t *v;
	json_array_foreach(vx_req(c, "RemoveFields"), i, v) if (!strcmp(json_string_value(v), field))
		return true;
	return false;
}

static int check_remove_fields(struct vx_call *c, const char *const *allowed,
			       const char *const *members, const char *allowed_txt)
{
	size_t i;
	json_t *v;
	json_array_foreach(vx_req(c, "RemoveFields"), i, v) {
		const char *f = json_string_value(v);
		int k = 0;
		while (allowed[k] && strcmp(allowed[k], f))
			k++;
		if (!allowed[k])
			return vx_invalid(c, "RemoveFields", f, "Allowed: %s.", allowed_txt);
		if (vx_req(c, members[k]))
			return vx_err_set(c->err, "InvalidParameterCombination",
					  "%s cannot be both set and removed in one request.",
					  members[k]);
	}
	return 0;
}

int vx_h_modify_rule(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorFilterRuleId");
	if (check_id(c, id, "tmfr", "mirror_filter_rule", NOT_FOUND_RULE,
		     "traffic mirror filter rule") < 0)
		return -1;
	static const char *const fields[] = {"destination-port-range", "source-port-range",
					     "protocol", "description", NULL};
	static const char *const members[] = {"DestinationPortRange", "SourcePortRange",
					      "Protocol", "Description", NULL};
	if (check_remove_fields(c, fields, members,
				"destination-port-range, source-port-range, protocol, description") <
	    0)
		return -1;
	/* Start from the stored rule, then apply the request on top. */
	json_t *cur = rule_json(c->store, id);
	struct rule_fields r = {
		.filter_id = json_string_value(json_object_get(cur, "TrafficMirrorFilterId")),
		.direction = json_string_value(json_object_get(cur, "TrafficDirection")),
		.action = json_string_value(json_object_get(cur, "RuleAction")),
		.dst_cidr = json_string_value(json_object_get(cur, "DestinationCidrBlock")),
		.src_cidr = json_string_value(json_object_get(cur, "SourceCidrBlock")),
		.description = json_string_value(json_object_get(cur, "Description")),
		.number = json_integer_value(json_object_get(cur, "RuleNumber")),
		.protocol = -1, .dst_from = -1, .dst_to = -1, .src_from = -1, .src_to = -1,
	};
	json_t *v;
	if ((v = json_object_get(cur, "Protocol")))
		r.protocol = json_integer_value(v);
	if ((v = json_object_get(cur, "DestinationPortRange"))) {
		r.dst_from = json_integer_value(json_object_get(v, "FromPort"));
		r.dst_to = json_integer_value(json_object_get(v, "ToPort"));
	}
	if ((v = json_object_get(cur, "SourcePortRange"))) {
		r.src_from = json_integer_value(json_object_get(v, "FromPort"));
		r.src_to = json_integer_value(json_object_get(v, "ToPort"));
	}
	if (vx_req(c, "TrafficDirection"))
		r.direction = vx_req_str(c, "TrafficDirection");
	if (vx_req(c, "RuleAction"))
		r.action = vx_req_str(c, "RuleAction");
	if (vx_req(c, "DestinationCidrBlock"))
		r.dst_cidr = vx_req_str(c, "DestinationCidrBlock");
	if (vx_req(c, "SourceCidrBlock"))
		r.src_cidr = vx_req_str(c, "SourceCidrBlock");
	if (vx_req(c, "Description"))
		r.description = vx_req_str(c, "Description");
	vx_req_int(c, "RuleNumber", &r.number);
	vx_req_int(c, "Protocol", &r.protocol);
	if (remove_field(c, "protocol"))
		r.protocol = -1;
	if (remove_field(c, "description"))
		r.description = NULL;
	if (remove_field(c, "destination-port-range"))
		r.dst_from = r.dst_to = -1;
	if (remove_field(c, "source-port-range"))
		r.src_from = r.src_to = -1;
	int rc = -1;
	if (port_range(c, "DestinationPortRange", &r.dst_from, &r.dst_to) == 0 &&
	    port_range(c, "SourcePortRange", &r.src_from, &r.src_to) == 0 &&
	    check_rule_fields(c, &r) == 0 && check_rule_neighbours(c, &r, id) == 0)
		rc = write_rule(c, id, &r, false);
	json_decref(cur);
	if (rc < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorFilterRule", rule_json(c->store, id));
	return 0;
}

int vx_h_delete_rule(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorFilterRuleId");
	if (check_id(c, id, "tmfr", "mirror_filter_rule", NOT_FOUND_RULE,
		     "traffic mirror filter rule") < 0)
		return -1;
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err, "DELETE FROM mirror_filter_rule WHERE id=?", 1, args) < 0)
		return -1;
	c->resp = json_pack("{s:s}", "TrafficMirrorFilterRuleId", id);
	return 0;
}

/* ---- sessions ---- */

struct session_fields {
	const char *eni, *target, *filter, *description;
	long long number, vni, packet_length; /* packet_length -1 = whole packet */
};

/* A random VNI no other session uses (SPEC.md §1.5: account-unique). */
static long long random_vni(struct vx_store *st)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t v;
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint32_t)rand();
		v &= VNI_MAX;
		char txt[16];
		snprintf(txt, sizeof(txt), "%u", v);
		if (!vx_count_rows(st, "SELECT COUNT(*) FROM mirror_session WHERE vni=CAST(? AS INTEGER)",
				txt))
			return v;
	}
	return -1;
}

static int check_session(struct vx_call *c, const struct session_fields *s, const char *self)
{
	if (check_id(c, s->target, "tmt", "mirror_target", NOT_FOUND_TARGET,
		     "traffic mirror target") < 0 ||
	    check_id(c, s->filter, "tmf", "mirror_filter", NOT_FOUND_FILTER,
		     "traffic mirror filter") < 0)
		return -1;
	if (s->number < 1 || s->number > SESSION_NUMBER_MAX)
		return vx_invalid_int(c, "SessionNumber", s->number, "Allowed: 1-32766.");
	if (s->vni < 0 || s->vni > VNI_MAX)
		return vx_invalid_int(c, "VirtualNetworkId", s->vni,
				      "Allowed: 0-16777215 (a 24-bit VXLAN network identifier).");
	char type[32];
	vx_first_text(c->store, "SELECT type FROM mirror_target WHERE id=?", s->target, type,
		   sizeof(type));
	bool nlb = !strcmp(type, TYPE_NLB);
	long long max = nlb ? PACKET_LENGTH_NLB : PACKET_LENGTH_MAX;
	/* -1 stands for whole packets; a -1 in the request is a bad value. */
	long long given;
	if ((vx_req_int(c, "PacketLength", &given) || s->packet_length != -1) &&
	    (s->packet_length < PACKET_LENGTH_MIN || s->packet_length > max)) {
		char allowed[160];
		snprintf(allowed, sizeof(allowed),
			 "Allowed: %d-%lld bytes for a %s target, counted from the inner Ethernet "
			 "header.",
			 PACKET_LENGTH_MIN, max, type);
		return vx_invalid_int(c, "PacketLength", s->packet_length, allowed);
	}
	if (check_description(c, s->description) < 0)
		return -1;

	sqlite3_stmt *q;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "SELECT id FROM mirror_session WHERE eni_id=? AND session_number=? AND "
			   "id IS NOT ?",
			   -1, &q, NULL);
	sqlite3_bind_text(q, 1, s->eni, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, s->number);
	sqlite3_bind_text(q, 3, self, -1, SQLITE_STATIC);
	char dup[64] = "";
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(dup, sizeof(dup), "%s", vx_col_text(q, 0));
	sqlite3_finalize(q);
	if (*dup) {
		char txt[24];
		snprintf(txt, sizeof(txt), "%lld", s->number);
		return vx_invalid(c, "SessionNumber", txt,
				  "Session %s already has this number on %s; the sessions of a source "
				  "have distinct numbers.",
				  dup, s->eni);
	}

	/* An ENI target takes at most 10 sources (SPEC.md §1.8). */
	if (!nlb) {
		sqlite3_prepare_v2(vx_store_db(c->store),
				   "SELECT COUNT(DISTINCT eni_id) FROM mirror_session WHERE "
				   "target_id=?1 AND eni_id != ?2 AND id IS NOT ?3",
				   -1, &q, NULL);
		sqlite3_bind_text(q, 1, s->target, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, s->eni, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, self, -1, SQLITE_STATIC);
		long long sources = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
		sqlite3_finalize(q);
		if (sources >= SOURCES_PER_ENI_TGT)
			return vx_err_set(c->err, "TrafficMirrorSourcesPerTargetLimitExceeded",
					  "Target %s already receives from %d sources, the most a "
					  "network-interface target may have.",
					  s->target, SOURCES_PER_ENI_TGT);
	}
	return 0;
}

static int write_session(struct vx_call *c, const char *id, const struct session_fields *s,
			 bool insert)
{
	sqlite3_stmt *q;
	const char *sql = insert ? "INSERT INTO mirror_session(eni_id, target_id, filter_id, "
				   "packet_length, session_number, vni, description, created, id) "
				   "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
				 : "UPDATE mirror_session SET eni_id=?1, target_id=?2, filter_id=?3, "
				   "packet_length=?4, session_number=?5, vni=?6, description=?7 "
				   "WHERE id=?9";
	if (sqlite3_prepare_v2(vx_store_db(c->store), sql, -1, &q, NULL) != SQLITE_OK)
		return vx_store_fail(c->store, c->err, "prepare session");
	sqlite3_bind_text(q, 1, s->eni, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, s->filter, -1, SQLITE_STATIC);
	if (s->packet_length >= 0)
		sqlite3_bind_int64(q, 4, s->packet_length);
	sqlite3_bind_int64(q, 5, s->number);
	sqlite3_bind_int64(q, 6, s->vni);
	if (s->description)
		sqlite3_bind_text(q, 7, s->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, vx_now_ms());
	sqlite3_bind_text(q, 9, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : vx_store_fail(c->store, c->err, "write session");
}

static bool target_is_nlb(struct vx_store *st, const char *target)
{
	char type[32];
	vx_first_text(st, "SELECT type FROM mirror_target WHERE id=?", target, type, sizeof(type));
	return !strcmp(type, TYPE_NLB);
}

int vx_h_create_session(struct vx_call *c)
{
	struct session_fields s = {
		.eni = vx_req_str(c, "NetworkInterfaceId"),
		.target = vx_req_str(c, "TrafficMirrorTargetId"),
		.filter = vx_req_str(c, "TrafficMirrorFilterId"),
		.description = vx_req_str(c, "Description"),
		.packet_length = -1,
		.vni = -2,
	};
	vx_req_int(c, "SessionNumber", &s.number);
	vx_req_int(c, "PacketLength", &s.packet_length);
	vx_req_int(c, "VirtualNetworkId", &s.vni);
	if (check_id(c, s.eni, "eni", "network_interface", NOT_FOUND_ENI, "networkInterface") < 0 ||
	    vx_tags_validate(c, "traffic-mirror-session") < 0)
		return -1;
	char other[64];
	if (strcmp(vx_first_text(c->store, "SELECT kind FROM network_interface WHERE id=?", s.eni, other,
			      sizeof(other)),
		   "host"))
		return vx_err_set(c->err, "NetworkInterfaceNotSupported",
				  "%s is not an interface of this host (it was created with "
				  "create-network-interface); only host interfaces can be mirror "
				  "sources.",
				  s.eni);
	if (*vx_first_text(c->store, "SELECT id FROM mirror_target WHERE eni_id=?", s.eni, other,
			sizeof(other)))
		return vx_err_set(c->err, "NetworkInterfaceNotSupported",
				  "%s is traffic mirror target %s; an interface cannot be both a "
				  "source and a target.",
				  s.eni, other);
	if (!vx_req(c, "VirtualNetworkId")) {
		s.vni = random_vni(c->store);
		if (s.vni < 0)
			return vx_err_set(c->err, "InternalFailure", "no free VXLAN network identifier");
	}
	if (!vx_req(c, "PacketLength") && vx_req(c, "TrafficMirrorTargetId") &&
	    vx_id_ok(s.target, "tmt") && target_is_nlb(c->store, s.target))
		s.packet_length = PACKET_LENGTH_NLB; /* AWS's default for NLB targets */
	if (check_session(c, &s, NULL) < 0)
		return -1;
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM mirror_session WHERE eni_id=?", s.eni) >=
	    SESSIONS_PER_SOURCE)
		return vx_err_set(c->err, "TrafficMirrorSessionsPerInterfaceLimitExceeded",
				  "%s already has %d traffic mirror sessions, the most a source may "
				  "have.",
				  s.eni, SESSIONS_PER_SOURCE);
	if (vx_count_rows(c->store, "SELECT COUNT(*) FROM mirror_session", NULL) >= OBJECTS_PER_ACCOUNT)
		return vx_err_set(c->err, "TrafficMirrorSessionLimitExceeded",
				  "The account already has %d traffic mirror sessions, the most "
				  "allowed.",
				  OBJECTS_PER_ACCOUNT);
	char id[40];
	vx_new_object_id(c, "tms", id, sizeof(id));
	if (write_session(c, id, &s, true) < 0 || vx_tags_store(c, id) < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorSession", session_json(c->store, id));
	set_client_token(c);
	return 0;
}

int vx_h_modify_session(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorSessionId");
	if (check_id(c, id, "tms", "mirror_session", NOT_FOUND_SESSION,
		     "traffic mirror session") < 0)
		return -1;
	static const char *const fields[] = {"packet-length", "description", "virtual-network-id",
					     NULL};
	static const char *const members[] = {"PacketLength", "Description", "VirtualNetworkId",
					      NULL};
	if (check_remove_fields(c, fields, members,
				"packet-length, description, virtual-network-id") < 0)
		return -1;
	json_t *cur = session_json(c->store, id);
	struct session_fields s = {
		.eni = json_string_value(json_object_get(cur, "NetworkInterfaceId")),
		.target = json_string_value(json_object_get(cur, "TrafficMirrorTargetId")),
		.filter = json_string_value(json_object_get(cur, "TrafficMirrorFilterId")),
		.description = json_string_value(json_object_get(cur, "Description")),
		.number = json_integer_value(json_object_get(cur, "SessionNumber")),
		.vni = json_integer_value(json_object_get(cur, "VirtualNetworkId")),
		.packet_length = json_object_get(cur, "PacketLength")
					 ? json_integer_value(json_object_get(cur, "PacketLength"))
					 : -1,
	};
	if (vx_req(c, "TrafficMirrorTargetId"))
		s.target = vx_req_str(c, "TrafficMirrorTargetId");
	if (vx_req(c, "TrafficMirrorFilterId"))
		s.filter = vx_req_str(c, "TrafficMirrorFilterId");
	if (vx_req(c, "Description"))
		s.description = vx_req_str(c, "Description");
	vx_req_int(c, "SessionNumber", &s.number);
	vx_req_int(c, "VirtualNetworkId", &s.vni);
	vx_req_int(c, "PacketLength", &s.packet_length);
	if (remove_field(c, "description"))
		s.description = NULL;
	if (remove_field(c, "packet-length"))
		s.packet_length = -1;
	int rc = 0;
	if (remove_field(c, "virtual-network-id") && (s.vni = random_vni(c->store)) < 0)
		rc = vx_err_set(c->err, "InternalFailure", "no free VXLAN network identifier");
	/* A load-balancer target has no whole-packet mode: 8500 is its default
	 * (SPEC.md §1.3), also when the length is removed or the target changes. */
	if (rc == 0 && s.packet_length == -1 && !vx_req(c, "PacketLength") &&
	    vx_id_ok(s.target, "tmt") && target_is_nlb(c->store, s.target))
		s.packet_length = PACKET_LENGTH_NLB;
	if (rc == 0)
		rc = check_session(c, &s, id);
	if (rc == 0)
		rc = write_session(c, id, &s, false);
	json_decref(cur);
	if (rc < 0)
		return -1;
	c->resp = json_object();
	json_object_set_new(c->resp, "TrafficMirrorSession", session_json(c->store, id));
	return 0;
}

int vx_h_delete_session(struct vx_call *c)
{
	const char *id = vx_req_str(c, "TrafficMirrorSessionId");
	if (check_id(c, id, "tms", "mirror_session", NOT_FOUND_SESSION,
		     "traffic mirror session") < 0)
		return -1;
	const char *args[] = {id};
	if (vx_store_exec(c->store, c->err, "DELETE FROM mirror_session WHERE id=?", 1, args) < 0 ||
	    vx_tags_delete(c, id) < 0)
		return -1;
	c->resp = json_pack("{s:s}", "TrafficMirrorSessionId", id);
	return 0;
}

int vx_h_describe_sessions(struct vx_call *c)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	json_t *items = vx_rows_json(c->store,
				     "SELECT " SESSION_COLS " FROM mirror_session ORDER BY created, rowid",
				     NULL, render_session, host.account_id);
	static const struct vx_filter_name names[] = {
		{"description", "Description"},
		{"network-interface-id", "NetworkInterfaceId"},
		{"owner-id", "OwnerId"},
		{"packet-length", "PacketLength"},
		{"session-number", "SessionNumber"},
		{"traffic-mirror-filter-id", "TrafficMirrorFilterId"},
		{"traffic-mirror-session-id", "TrafficMirrorSessionId"},
		{"traffic-mirror-target-id", "TrafficMirrorTargetId"},
		{"virtual-network-id", "VirtualNetworkId"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "TrafficMirrorSessionIds", "TrafficMirrorSessionId",
				  NOT_FOUND_SESSION, "traffic mirror session", "Filters", names,
				  "TrafficMirrorSessions", 5, 1000);
}

int vx_h_describe_rules(struct vx_call *c)
{
	const char *filter = vx_req_str(c, "TrafficMirrorFilterId");
	if (filter && check_id(c, filter, "tmf", "mirror_filter", NOT_FOUND_FILTER,
			       "traffic mirror filter") < 0)
		return -1;
	json_t *items = vx_rows_json(c->store,
				     "SELECT " RULE_COLS " FROM mirror_filter_rule r WHERE ?1 IS NULL OR "
				     "filter_id=?1 ORDER BY (SELECT created FROM mirror_filter f WHERE "
				     "f.id=r.filter_id), filter_id, direction DESC, rule_number",
				     filter, render_rule, NULL);
	static const struct vx_filter_name names[] = {
		{"traffic-mirror-filter-rule-id", "TrafficMirrorFilterRuleId"},
		{"traffic-mirror-filter-id", "TrafficMirrorFilterId"},
		{"rule-number", "RuleNumber"},
		{"rule-action", "RuleAction"},
		{"traffic-direction", "TrafficDirection"},
		{"protocol", "Protocol"},
		{"source-cidr-block", "SourceCidrBlock"},
		{"destination-cidr-block", "DestinationCidrBlock"},
		{"description", "Description"},
		{NULL, NULL},
	};
	return vx_describe_finish(c, items, "TrafficMirrorFilterRuleIds", "TrafficMirrorFilterRuleId",
				  NOT_FOUND_RULE, "traffic mirror filter rule", "Filters", names,
				  "TrafficMirrorFilterRules", 5, 1000);
}
