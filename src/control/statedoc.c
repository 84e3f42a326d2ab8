/* The whole state as one JSON document: ExportState writes it, ApplyState
 * replaces the store's objects with it in one transaction, creating every
 * object through the same handlers (and so the same validation) as the CLI.
 * A document that fails anywhere changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

#define STATE_DOC_VERSION 1

/* Run a describe action and take one list out of its response. */
static json_t *describe_list(struct vx_call *c, const char *action, const char *list)
{
	json_t *req = json_object(), *resp = NULL;
	if (vx_action_run_nested(c->store, vx_action_by_name(action), req, NULL, &resp, c->err) < 0) {
		json_decref(req);
		return NULL;
	}
	json_decref(req);
	json_t *items = json_incref(json_object_get(resp, list));
	json_decref(resp);
	return items;
}

static json_t *export_interfaces(struct vx_call *c)
{
	json_t *list = json_array();
	sqlite3_stmt *s;
	sqlite3_prepare_v2(vx_store_db(c->store),
			   "SELECT id, kind, ifname, description, private_ip, subnet_id "
			   "FROM network_interface ORDER BY kind, ifname, id",
			   -1, &s, NULL);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *o = json_pack("{s:s, s:s}", "NetworkInterfaceId", vx_col_text(s, 0), "Kind",
				      vx_col_text(s, 1));
		if (vx_col_text(s, 2))
			json_object_set_new(o, "InterfaceName", json_string(vx_col_text(s, 2)));
		json_object_set_new(o, "Description", json_string(vx_col_text(s, 3)));
		if (vx_col_text(s, 4) && !strcmp(vx_col_text(s, 1), "remote"))
			json_object_set_new(o, "PrivateIpAddress", json_string(vx_col_text(s, 4)));
		if (vx_col_text(s, 5))
			json_object_set_new(o, "SubnetId", json_string(vx_col_text(s, 5)));
		json_object_set_new(o, "Tags", vx_tags_json(c->store, vx_col_text(s, 0)));
		json_t *groups = vx_interface_groups_json(c->store, vx_col_text(s, 0)), *g;
		json_t *ids = json_array();
		size_t k;
		json_array_foreach(groups, k, g) json_array_append(ids, json_object_get(g, "GroupId"));
		json_decref(groups);
		json_object_set_new(o, "Groups", ids);
		json_array_append_new(list, o);
	}
	sqlite3_finalize(s);
	return list;
}

int vx_h_export_state(struct vx_call *c)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "Version", json_integer(STATE_DOC_VERSION));
	json_t *host = describe_list(c, "DescribeHost", "Host");
	json_object_set_new(doc, "Host", host ? host : json_object());
	json_object_set_new(doc, "NetworkInterfaces", export_interfaces(c));
	static const char *const parts[][2] = {
		{"DescribeLoadBalancers", "LoadBalancers"},
		{"DescribeTrafficMirrorTargets", "TrafficMirrorTargets"},
		{"DescribeTrafficMirrorFilters", "TrafficMirrorFilters"},
		{"DescribeTrafficMirrorSessions", "TrafficMirrorSessions"},
		{"DescribeFlowLogs", "FlowLogs"},
		{"DescribeSecurityGroups", "SecurityGroups"},
		{"DescribeSecurityGroupRules", "SecurityGroupRules"},
		{"DescribeNetworkAcls", "NetworkAcls"},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		json_t *items = describe_list(c, parts[i][0], parts[i][1]);
		if (!items) {
			json_decref(doc);
			return -1;
		}
		json_object_set_new(doc, parts[i][1], items);
	}
	c->resp = json_pack("{s:o}", "State", doc);
	return 0;
}

/* ---- apply ---- */

static void copy_member(json_t *dst, json_t *src, const char *from, const char *to)
{
	json_t *v = json_object_get(src, from);
	if (v)
		json_object_set(dst, to ? to : from, v);
}

static void tag_specs(json_t *req, json_t *obj, const char *tags_key, const char *rtype)
{
	json_t *tags = json_object_get(obj, tags_key);
	if (json_array_size(tags))
		json_object_set_new(req, "TagSpecifications",
				    json_pack("[{s:s, s:O}]", "ResourceType", rtype, "Tags", tags));
}

/* Create one object; on error, prefix the message with where it is. */
static int create(struct vx_call *c, const char *action, json_t *req, const char *fixed_id,
		  const char *where, size_t index)
{
	json_t *resp = NULL;
	int rc = vx_action_run_nested(c->store, vx_action_by_name(action), req, fixed_id, &resp,
				      c->err);
	if (rc == 0 && json_array_size(json_object_get(resp, "Unsuccessful"))) {
		json_t *e = json_object_get(json_array_get(json_object_get(resp, "Unsuccessful"), 0),
					    "Error");
		rc = vx_err_set(c->err, json_string_value(json_object_get(e, "Code")), "%s",
				json_string_value(json_object_get(e, "Message")));
	}
	json_decref(resp);
	json_decref(req);
	if (rc < 0) {
		char msg[800];
		snprintf(msg, sizeof(msg), "%.790s", c->err->message);
		snprintf(c->err->message, sizeof(c->err->message), "State.%s[%zu] (%.120s): %s", where,
			 index, fixed_id ? fixed_id : "?", msg);
	}
	return rc;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The ID an object of the document keeps. It must have the shape the API
 * accepts (prefix-hex), or the object could never be named again. */
static const char *doc_id(struct vx_call *c, json_t *o, const char *member, const char *prefix,
			  const char *where, size_t index)
{
	const char *id = str(o, member);
	if (id && vx_id_ok(id, prefix))
		return id;
	vx_err_set(c->err, "InvalidParameterValue", "State.%s[%zu]: %s '%s' is not a %s- ID.",
		   where, index, member, id ? id : "", prefix);
	return NULL;
}

static int apply_interfaces(struct vx_call *c, json_t *list)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		const char *id = str(o, "NetworkInterfaceId"), *kind = str(o, "Kind");
		if (!id || !vx_id_ok(id, "eni"))
			return vx_err_set(c->err, "InvalidParameterValue",
					  "State.NetworkInterfaces[%zu]: NetworkInterfaceId '%s' is "
					  "not an eni- ID.",
					  i, id ? id : "");
		if (kind && !strcmp(kind, "host")) {
			const char *name = str(o, "InterfaceName");
			if (!name)
				return vx_err_set(c->err, "MissingParameter",
						  "State.NetworkInterfaces[%zu] (%s): a host interface "
						  "needs InterfaceName.",
						  i, id);
			/* The document's ID for this interface name wins. */
			const char *args[] = {name, id};
			if (vx_store_exec(c->store, c->err,
					  "DELETE FROM network_interface WHERE ifname=?1 AND id != ?2",
					  2, args) < 0 ||
			    vx_store_exec(c->store, c->err,
					  "INSERT OR IGNORE INTO network_interface(id, kind, ifname, "
					  "description, present, created) VALUES(?2,'host',?1,?1,0,0)",
					  2, args) < 0)
				return -1;
			json_t *tags = json_object_get(o, "Tags");
			if (json_array_size(tags)) {
				json_t *req = json_object();
				tag_specs(req, o, "Tags", "network-interface");
				struct vx_call sub = *c;
				sub.req = req;
				int rc = vx_tags_store(&sub, id);
				json_decref(req);
				if (rc < 0)
					return -1;
			}
			if (json_array_size(json_object_get(o, "Groups")) &&
			    create(c, "ModifyNetworkInterfaceAttribute",
				   json_pack("{s:s, s:O}", "NetworkInterfaceId", id, "Groups",
					     json_object_get(o, "Groups")),
				   id, "NetworkInterfaces", i) < 0)
				return -1;
		} else if (kind && !strcmp(kind, "remote")) {
			json_t *req = json_object();
			copy_member(req, o, "PrivateIpAddress", NULL);
			copy_member(req, o, "SubnetId", NULL);
			copy_member(req, o, "Description", NULL);
			if (json_array_size(json_object_get(o, "Groups")))
				copy_member(req, o, "Groups", NULL);
			tag_specs(req, o, "Tags", "network-interface");
			if (create(c, "CreateNetworkInterface", req, id, "NetworkInterfaces", i) < 0)
				return -1;
		} else {
			return vx_err_set(c->err, "InvalidParameterValue",
					  "State.NetworkInterfaces[%zu] (%s): Kind '%s' is not valid; "
					  "allowed: host, remote.",
					  i, id, kind ? kind : "");
		}
	}
	/* The host's interfaces as they are now keep or get their IDs. */
	return vx_interfaces_sync(c->store, c->err);
}

static int apply_load_balancers(struct vx_call *c, json_t *list)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		json_t *req = json_object(), *hc = json_object_get(o, "HealthCheck");
		copy_member(req, o, "LoadBalancerName", "Name");
		copy_member(req, o, "Targets", NULL);
		copy_member(req, hc, "Port", "HealthCheckPort");
		copy_member(req, hc, "IntervalSeconds", "HealthCheckIntervalSeconds");
		copy_member(req, hc, "TimeoutSeconds", "HealthCheckTimeoutSeconds");
		copy_member(req, hc, "HealthyThresholdCount", NULL);
		copy_member(req, hc, "UnhealthyThresholdCount", NULL);
		if (create(c, "CreateLoadBalancer", req, str(o, "LoadBalancerArn"), "LoadBalancers",
			   i) < 0)
			return -1;
	}
	return 0;
}

/* How an object of the document is created again: the create action, the
 * member holding its ID and that ID's prefix, the tag resource type (NULL:
 * the action takes no tags), and the members the action takes as they are. */
struct doc_kind {
	const char *action, *id_member, *prefix, *tag_type;
	const char *const *members;
};

static const char *const TARGET_MEMBERS[] = {"NetworkInterfaceId", "NetworkLoadBalancerArn",
					     "Description", NULL};
static const char *const FILTER_MEMBERS[] = {"Description", NULL};
static const char *const RULE_MEMBERS[] = {
	"TrafficMirrorFilterId", "TrafficDirection", "RuleNumber",	     "RuleAction",
	"DestinationPortRange",	 "SourcePortRange",  "Protocol",	     "DestinationCidrBlock",
	"SourceCidrBlock",	 "Description",	     NULL};
static const char *const SESSION_MEMBERS[] = {
	"NetworkInterfaceId", "TrafficMirrorTargetId", "TrafficMirrorFilterId", "PacketLength",
	"SessionNumber",      "VirtualNetworkId",      "Description",		NULL};

static const struct doc_kind TARGET = {"CreateTrafficMirrorTarget", "TrafficMirrorTargetId", "tmt",
				       "traffic-mirror-target", TARGET_MEMBERS};
static const struct doc_kind FILTER = {"CreateTrafficMirrorFilter", "TrafficMirrorFilterId", "tmf",
				       "traffic-mirror-filter", FILTER_MEMBERS};
static const struct doc_kind RULE = {"CreateTrafficMirrorFilterRule", "TrafficMirrorFilterRuleId",
				     "tmfr", NULL, RULE_MEMBERS};
static const struct doc_kind SESSION = {"CreateTrafficMirrorSession", "TrafficMirrorSessionId",
					"tms", "traffic-mirror-session", SESSION_MEMBERS};

/* Create the document's object where[i] of that kind; its ID in *id_out. */
static int create_from_doc(struct vx_call *c, const struct doc_kind *k, json_t *o,
			   const char *where, size_t i, const char **id_out)
{
	const char *id = doc_id(c, o, k->id_member, k->prefix, where, i);
	if (!id)
		return -1;
	json_t *req = json_object();
	for (const char *const *m = k->members; *m; m++)
		copy_member(req, o, *m, NULL);
	if (k->tag_type)
		tag_specs(req, o, "Tags", k->tag_type);
	if (id_out)
		*id_out = id;
	return create(c, k->action, req, id, where, i);
}

static int apply_list(struct vx_call *c, json_t *list, const struct doc_kind *k, const char *where)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		if (create_from_doc(c, k, o, where, i, NULL) < 0)
			return -1;
	}
	return 0;
}

static int apply_filters(struct vx_call *c, json_t *list)
{
	static const char *const directions[] = {"IngressFilterRules", "EgressFilterRules"};
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		const char *id;
		if (create_from_doc(c, &FILTER, o, "TrafficMirrorFilters", i, &id) < 0)
			return -1;
		if (json_array_size(json_object_get(o, "NetworkServices"))) {
			json_t *req = json_pack("{s:s, s:O}", "TrafficMirrorFilterId", id,
						"AddNetworkServices",
						json_object_get(o, "NetworkServices"));
			if (create(c, "ModifyTrafficMirrorFilterNetworkServices", req, id,
				   "TrafficMirrorFilters", i) < 0)
				return -1;
		}
		for (int d = 0; d < 2; d++) {
			char where[64];
			snprintf(where, sizeof(where), "TrafficMirrorFilters[%zu].%s", i,
				 directions[d]);
			if (apply_list(c, json_object_get(o, directions[d]), &RULE, where) < 0)
				return -1;
		}
	}
	return 0;
}

static int apply_flow_logs(struct vx_call *c, json_t *list)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		const char *id = doc_id(c, o, "FlowLogId", "fl", "FlowLogs", i);
		if (!id)
			return -1;
		const char *rid = str(o, "ResourceId");
		const char *rtype = !rid			      ? ""
				    : !strncmp(rid, "eni-", 4)	      ? "NetworkInterface"
				    : !strncmp(rid, "subnet-", 7) ? "Subnet"
								  : "VPC";
		json_t *req = json_pack("{s:[s], s:s}", "ResourceIds", rid ? rid : "", "ResourceType",
					rtype);
		static const char *const members[] = {
			"DeliverLogsPermissionArn", "DeliverCrossAccountRole", "LogGroupName",
			"TrafficType",		    "LogDestinationType",      "LogFormat",
			"MaxAggregationInterval",   "DestinationOptions",
		};
		for (size_t k = 0; k < sizeof(members) / sizeof(members[0]); k++)
			copy_member(req, o, members[k], NULL);
		if (!json_object_get(o, "LogGroupName"))
			copy_member(req, o, "LogDestination", NULL);
		tag_specs(req, o, "Tags", "vpc-flow-log");
		if (create(c, "CreateFlowLogs", req, id, "FlowLogs", i) < 0)
			return -1;
	}
	return 0;
}

/* A default object (the default group, the default ACL) of the document:
 * inserted as it is, since no create action makes one. */
static int insert_default(struct vx_call *c, const char *sql, const char *const *args, int nargs,
			  json_t *o, const char *tag_type, const char *id)
{
	if (vx_store_exec(c->store, c->err, sql, nargs, args) < 0)
		return -1;
	json_t *req = json_object();
	tag_specs(req, o, "Tags", tag_type);
	struct vx_call sub = *c;
	sub.req = req;
	int rc = vx_tags_store(&sub, id);
	json_decref(req);
	return rc;
}

static int apply_security_groups(struct vx_call *c, json_t *list)
{
	size_t i;
	json_t *o;
	bool have_default = false;
	json_array_foreach(list, i, o) {
		const char *id = doc_id(c, o, "GroupId", "sg", "SecurityGroups", i);
		if (!id)
			return -1;
		const char *name = str(o, "GroupName");
		if (name && !strcmp(name, "default") && !have_default) {
			have_default = true;
			char created[24];
			snprintf(created, sizeof(created), "%lld", (long long)vx_now_ms());
			const char *args[] = {id, str(o, "Description") ? str(o, "Description") : "",
					      created};
			if (insert_default(c,
					   "INSERT INTO security_group(id, name, description, "
					   "is_default, created) VALUES(?,'default',?,1,"
					   "CAST(? AS INTEGER))",
					   args, 3, o, "security-group", id) < 0)
				return -1;
			continue;
		}
		json_t *req = json_object();
		copy_member(req, o, "GroupName", NULL);
		copy_member(req, o, "Description", NULL);
		copy_member(req, o, "VpcId", NULL);
		tag_specs(req, o, "Tags", "security-group");
		if (create(c, "CreateSecurityGroup", req, id, "SecurityGroups", i) < 0)
			return -1;
	}
	return 0;
}

/* One rule per call, so that it keeps its sgr- ID. */
static int apply_security_group_rules(struct vx_call *c, json_t *list)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		const char *id = doc_id(c, o, "SecurityGroupRuleId", "sgr", "SecurityGroupRules", i);
		if (!id)
			return -1;
		json_t *perm = json_object(), *peer = json_object();
		copy_member(perm, o, "IpProtocol", NULL);
		copy_member(perm, o, "FromPort", NULL);
		copy_member(perm, o, "ToPort", NULL);
		copy_member(peer, o, "Description", NULL);
		const char *list_name = "UserIdGroupPairs";
		if (json_object_get(o, "CidrIpv4")) {
			copy_member(peer, o, "CidrIpv4", "CidrIp");
			list_name = "IpRanges";
		} else if (json_object_get(o, "CidrIpv6")) {
			copy_member(peer, o, "CidrIpv6", NULL);
			list_name = "Ipv6Ranges";
		} else {
			copy_member(peer, json_object_get(o, "ReferencedGroupInfo"), "GroupId", NULL);
		}
		json_object_set_new(perm, list_name, json_pack("[o]", peer));
		json_t *req = json_pack("{s:[o]}", "IpPermissions", perm);
		copy_member(req, o, "GroupId", NULL);
		tag_specs(req, o, "Tags", "security-group-rule");
		if (create(c,
			   json_is_true(json_object_get(o, "IsEgress")) ? "AuthorizeSecurityGroupEgress"
									: "AuthorizeSecurityGroupIngress",
			   req, id, "SecurityGroupRules", i) < 0)
			return -1;
	}
	return 0;
}

/* A document without SecurityGroupRules: each group's IpPermissions (the
 * rules get new sgr- IDs). */
static int apply_group_permissions(struct vx_call *c, json_t *list)
{
	static const char *const kinds[][2] = {{"IpPermissions", "AuthorizeSecurityGroupIngress"},
					       {"IpPermissionsEgress", "AuthorizeSecurityGroupEgress"}};
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		for (int k = 0; k < 2; k++) {
			if (!json_array_size(json_object_get(o, kinds[k][0])))
				continue;
			json_t *req = json_object();
			copy_member(req, o, "GroupId", NULL);
			copy_member(req, o, kinds[k][0], "IpPermissions");
			if (create(c, kinds[k][1], req, NULL, "SecurityGroups", i) < 0)
				return -1;
		}
	}
	return 0;
}

static int apply_acl_entries(struct vx_call *c, json_t *o, const char *id, size_t i)
{
	static const char *const members[] = {"RuleNumber",    "Protocol",     "RuleAction",
					      "Egress",	       "CidrBlock",    "Ipv6CidrBlock",
					      "IcmpTypeCode", "PortRange"};
	char where[64];
	snprintf(where, sizeof(where), "NetworkAcls[%zu].Entries", i);
	size_t j;
	json_t *e;
	json_array_foreach(json_object_get(o, "Entries"), j, e) {
		json_t *n = json_object_get(e, "RuleNumber");
		if (json_is_integer(n) && json_integer_value(n) > 32766)
			continue; /* the implicit deny entries */
		json_t *req = json_pack("{s:s}", "NetworkAclId", id);
		for (size_t k = 0; k < sizeof(members) / sizeof(members[0]); k++)
			copy_member(req, e, members[k], NULL);
		if (create(c, "CreateNetworkAclEntry", req, id, where, j) < 0)
			return -1;
	}
	return 0;
}

static int apply_network_acls(struct vx_call *c, json_t *list)
{
	struct vx_host host;
	vx_store_host(c->store, &host, NULL);
	size_t i, j;
	json_t *o, *a;
	bool have_default = false;
	json_array_foreach(list, i, o) {
		const char *id = doc_id(c, o, "NetworkAclId", "acl", "NetworkAcls", i);
		if (!id)
			return -1;
		if (json_is_true(json_object_get(o, "IsDefault"))) {
			if (have_default)
				return vx_err_set(c->err, "InvalidParameterValue",
						  "State.NetworkAcls[%zu] (%s): only one network ACL "
						  "is the default.",
						  i, id);
			have_default = true;
			char created[24];
			snprintf(created, sizeof(created), "%lld", (long long)vx_now_ms());
			const char *args[] = {id, created};
			if (insert_default(c,
					   "INSERT INTO network_acl(id, is_default, created) "
					   "VALUES(?,1,CAST(? AS INTEGER))",
					   args, 2, o, "network-acl", id) < 0)
				return -1;
		} else {
			json_t *req = json_pack("{s:s}", "VpcId", host.vpc_id);
			copy_member(req, o, "VpcId", NULL);
			tag_specs(req, o, "Tags", "network-acl");
			if (create(c, "CreateNetworkAcl", req, id, "NetworkAcls", i) < 0)
				return -1;
		}
		if (apply_acl_entries(c, o, id, i) < 0)
			return -1;
		/* A subnet keeps its association ID; the associations of
		 * subnets that do not exist go when the interfaces are in. */
		json_array_foreach(json_object_get(o, "Associations"), j, a) {
			const char *assoc = str(a, "NetworkAclAssociationId");
			const char *subnet = str(a, "SubnetId");
			if (!assoc || !vx_id_ok(assoc, "aclassoc") || !subnet)
				return vx_err_set(c->err, "InvalidParameterValue",
						  "State.NetworkAcls[%zu].Associations[%zu]: an "
						  "association needs an aclassoc- ID and a SubnetId.",
						  i, j);
			if (vx_row_exists(c->store, "network_acl_association", "subnet_id", subnet) ||
			    vx_row_exists(c->store, "network_acl_association", "id", assoc))
				return vx_err_set(c->err, "InvalidParameterValue",
						  "State.NetworkAcls[%zu].Associations[%zu] (%s): "
						  "subnet %s or this association is listed twice.",
						  i, j, assoc, subnet);
			const char *args[] = {assoc, subnet, id};
			if (vx_store_exec(c->store, c->err,
					  "INSERT INTO network_acl_association VALUES(?,?,?)", 3,
					  args) < 0)
				return -1;
		}
	}
	return 0;
}

int vx_h_apply_state(struct vx_call *c)
{
	json_t *doc = vx_req(c, "State");
	json_t *version = json_object_get(doc, "Version");
	if (!json_is_integer(version) || json_integer_value(version) != STATE_DOC_VERSION) {
		char *txt = version ? json_dumps(version, JSON_ENCODE_ANY) : NULL;
		vx_invalid(c, "State.Version", txt ? txt : "(missing)",
			   "This vxtap reads state documents of version %d.", STATE_DOC_VERSION);
		free(txt);
		return -1;
	}
	static const char *const lists[] = {"NetworkInterfaces",    "LoadBalancers",
					    "TrafficMirrorTargets", "TrafficMirrorFilters",
					    "TrafficMirrorSessions", "FlowLogs",
					    "SecurityGroups",	    "SecurityGroupRules",
					    "NetworkAcls"};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		json_t *l = json_object_get(doc, lists[i]);
		if (l && !json_is_array(l))
			return vx_err_set(c->err, "InvalidParameterValue",
					  "State.%s must be a list.", lists[i]);
	}
	/* Everything goes, then everything in the document is created again. */
	static const char *const wipe[] = {
		"DELETE FROM tag",	    "DELETE FROM mirror_session",
		"DELETE FROM mirror_filter_rule", "DELETE FROM mirror_filter",
		"DELETE FROM mirror_target",	    "DELETE FROM load_balancer_member",
		"DELETE FROM load_balancer",	    "DELETE FROM flow_log",
		"DELETE FROM network_interface_group",
		"DELETE FROM security_group_rule",
		"DELETE FROM security_group",
		"DELETE FROM network_acl_association",
		"DELETE FROM network_acl_entry",
		"DELETE FROM network_acl",
		"DELETE FROM network_interface WHERE kind='remote'",
	};
	for (size_t i = 0; i < sizeof(wipe) / sizeof(wipe[0]); i++)
		if (vx_store_exec(c->store, c->err, wipe[i], 0, NULL) < 0)
			return -1;
	json_t *host = json_object_get(doc, "Host");
	if (host) {
		json_t *req = json_deep_copy(host);
		if (create(c, "ConfigureHost", req, NULL, "Host", 0) < 0)
			return -1;
	}
	/* Groups, then their rules (which may name any group), then ACLs;
	 * a document without a default group or ACL gets AWS's. Interfaces
	 * come after the groups they name. */
	json_t *groups = json_object_get(doc, "SecurityGroups");
	json_t *rules = json_object_get(doc, "SecurityGroupRules");
	if (apply_security_groups(c, groups) < 0 ||
	    (rules ? apply_security_group_rules(c, rules) : apply_group_permissions(c, groups)) < 0 ||
	    apply_network_acls(c, json_object_get(doc, "NetworkAcls")) < 0 ||
	    vx_store_seed_policy(c->store, c->err) < 0)
		return -1;
	if (apply_interfaces(c, json_object_get(doc, "NetworkInterfaces")) < 0 ||
	    apply_load_balancers(c, json_object_get(doc, "LoadBalancers")) < 0 ||
	    apply_list(c, json_object_get(doc, "TrafficMirrorTargets"), &TARGET,
		       "TrafficMirrorTargets") < 0 ||
	    apply_filters(c, json_object_get(doc, "TrafficMirrorFilters")) < 0 ||
	    apply_list(c, json_object_get(doc, "TrafficMirrorSessions"), &SESSION,
		       "TrafficMirrorSessions") < 0 ||
	    apply_flow_logs(c, json_object_get(doc, "FlowLogs")) < 0)
		return -1;
	c->resp = json_pack("{s:b}", "Return", 1);
	return 0;
}
