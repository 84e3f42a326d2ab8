/* Running one action: request shape checks, the transaction, DryRun,
 * ClientToken idempotency, the generation bump and the audit line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"

const struct vx_action *vx_action_by_verb(const char *verb)
{
	for (const struct vx_action *a = vx_actions; a->name; a++)
		if (!strcmp(a->verb, verb))
			return a;
	return NULL;
}

const struct vx_action *vx_action_by_name(const char *name)
{
	for (const struct vx_action *a = vx_actions; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

static int bad_type(struct vx_err *err, const char *member, const json_t *v, const char *expected)
{
	char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	vx_err_set(err, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected %s.",
		   txt ? txt : "?", member, expected);
	free(txt);
	return -1;
}

/* Check that obj has only the given members, each of the given JSON type
 * ('s' string, 'i' integer, 'b' boolean, 'a' array). */
static int check_struct(struct vx_err *err, const char *member, json_t *obj, const char *const *keys,
			const char *types)
{
	if (!json_is_object(obj))
		return bad_type(err, member, obj, "a structure");
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int idx = -1;
		for (int i = 0; keys[i]; i++)
			if (!strcmp(keys[i], k))
				idx = i;
		if (idx < 0)
			return vx_err_set(err, "UnknownParameter",
					  "The parameter %s.%s is not recognized.", member, k);
		char full[160];
		snprintf(full, sizeof(full), "%s.%s", member, k);
		switch (types[idx]) {
		case 's':
			if (!json_is_string(v))
				return bad_type(err, full, v, "a string");
			break;
		case 'i':
			if (!json_is_integer(v))
				return bad_type(err, full, v, "an integer");
			break;
		case 'b':
			if (!json_is_boolean(v))
				return bad_type(err, full, v, "true or false");
			break;
		case 'a':
			if (!json_is_array(v))
				return bad_type(err, full, v, "a list");
			break;
		}
	}
	return 0;
}

static int check_string_list(struct vx_err *err, const char *member, json_t *v)
{
	if (!json_is_array(v))
		return bad_type(err, member, v, "a list of strings");
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) if (!json_is_string(e)) return bad_type(err, member, e, "a string");
	return 0;
}

static int check_member(struct vx_err *err, const struct vx_param *p, json_t *v)
{
	size_t i;
	json_t *e;
	switch (p->type) {
	case VX_T_STRING:
		return json_is_string(v) ? 0 : bad_type(err, p->member, v, "a string");
	case VX_T_INT:
		return json_is_integer(v) ? 0 : bad_type(err, p->member, v, "an integer");
	case VX_T_BOOL:
		return json_is_boolean(v) ? 0 : bad_type(err, p->member, v, "true or false");
	case VX_T_STRING_LIST:
		return check_string_list(err, p->member, v);
	case VX_T_PORT_RANGE: {
		static const char *const keys[] = {"FromPort", "ToPort", NULL};
		return check_struct(err, p->member, v, keys, "ii");
	}
	case VX_T_DEST_OPTIONS: {
		static const char *const keys[] = {"FileFormat", "HiveCompatiblePartitions",
						   "PerHourPartition", NULL};
		return check_struct(err, p->member, v, keys, "sbb");
	}
	case VX_T_FILTERS:
		if (!json_is_array(v))
			return bad_type(err, p->member, v, "a list of Name=…,Values=… filters");
		json_array_foreach(v, i, e) {
			static const char *const keys[] = {"Name", "Values", NULL};
			if (check_struct(err, p->member, e, keys, "sa") < 0)
				return -1;
			if (!json_is_string(json_object_get(e, "Name")))
				return vx_err_set(err, "MissingParameter",
						  "The request must contain the parameter %s.Name.",
						  p->member);
			json_t *values = json_object_get(e, "Values");
			if (values && check_string_list(err, "Filter.Values", values) < 0)
				return -1;
		}
		return 0;
	case VX_T_TAG_SPECS:
		if (!json_is_array(v))
			return bad_type(err, p->member, v, "a list of tag specifications");
		json_array_foreach(v, i, e) {
			static const char *const keys[] = {"ResourceType", "Tags", NULL};
			static const char *const tkeys[] = {"Key", "Value", NULL};
			if (check_struct(err, p->member, e, keys, "sa") < 0)
				return -1;
			size_t j;
			json_t *t;
			json_array_foreach(json_object_get(e, "Tags"), j, t) if (
				check_struct(err, "Tag", t, tkeys, "ss") < 0) return -1;
		}
		return 0;
	case VX_T_DOCUMENT:
		return json_is_object(v) ? 0 : bad_type(err, p->member, v, "a JSON object");
	case VX_T_IP_PERMISSIONS:
		if (!json_is_array(v))
			return bad_type(err, p->member, v, "a list of IP permissions");
		json_array_foreach(v, i, e) {
			static const char *const keys[] = {"IpProtocol",       "FromPort", "ToPort",
							   "UserIdGroupPairs", "IpRanges", "Ipv6Ranges",
							   "PrefixListIds",    NULL};
			static const char *const pair_keys[] = {"Description", "UserId", "GroupName",
								"GroupId", "VpcId", "VpcPeeringConnectionId",
								"PeeringStatus", NULL};
			static const char *const range_keys[] = {"Description", "CidrIp", NULL};
			static const char *const range6_keys[] = {"Description", "CidrIpv6", NULL};
			static const char *const prefix_keys[] = {"Description", "PrefixListId", NULL};
			static const struct {
				const char *member, *full;
				const char *const *keys;
				const char *types;
			} lists[] = {
				{"UserIdGroupPairs", "IpPermissions.UserIdGroupPairs", pair_keys,
				 "sssssss"},
				{"IpRanges", "IpPermissions.IpRanges", range_keys, "ss"},
				{"Ipv6Ranges", "IpPermissions.Ipv6Ranges", range6_keys, "ss"},
				{"PrefixListIds", "IpPermissions.PrefixListIds", prefix_keys, "ss"},
			};
			if (check_struct(err, p->member, e, keys, "siiaaaa") < 0)
				return -1;
			for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
				size_t j;
				json_t *x;
				json_array_foreach(json_object_get(e, lists[l].member), j, x) if (
					check_struct(err, lists[l].full, x, lists[l].keys,
						     lists[l].types) < 0) return -1;
			}
		}
		return 0;
	case VX_T_ACL_PORT_RANGE: {
		static const char *const keys[] = {"From", "To", NULL};
		return check_struct(err, p->member, v, keys, "ii");
	}
	case VX_T_ICMP_TYPE_CODE: {
		static const char *const keys[] = {"Code", "Type", NULL};
		return check_struct(err, p->member, v, keys, "ii");
	}
	case VX_T_LB_TARGETS:
		if (!json_is_array(v))
			return bad_type(err, p->member, v, "a list of Id=address,Port=port targets");
		json_array_foreach(v, i, e) {
			static const char *const keys[] = {"Id", "Port", NULL};
			if (check_struct(err, p->member, e, keys, "si") < 0)
				return -1;
		}
		return 0;
	}
	return 0;
}

static int check_request(const struct vx_action *a, json_t *req, struct vx_err *err)
{
	if (!json_is_object(req))
		return vx_err_set(err, "InvalidParameterValue", "The request must be a JSON object.");
	const char *k;
	json_t *v;
	json_object_foreach(req, k, v) {
		if (!strcmp(k, "DryRun")) {
			if (!json_is_boolean(v))
				return bad_type(err, k, v, "true or false");
			continue;
		}
		if (!strcmp(k, "ClientToken") && (a->flags & VX_A_CLIENT_TOKEN)) {
			const char *t = json_string_value(v);
			if (!t || !*t || strlen(t) > 64)
				return bad_type(err, k, v, "a string of 1-64 ASCII characters");
			continue;
		}
		const struct vx_param *p = a->params;
		while (p && p->member && (strcmp(p->member, k) || (p->flags & VX_P_CLI_PERMISSION)))
			p++;
		if (!p || !p->member)
			return vx_err_set(err, "UnknownParameter", "The parameter %s is not recognized.", k);
		if (check_member(err, p, v) < 0)
			return -1;
	}
	for (const struct vx_param *p = a->params; p && p->member; p++)
		if ((p->flags & VX_P_REQUIRED) && !json_object_get(req, p->member))
			return vx_err_set(err, "MissingParameter",
					  "The request must contain the parameter %s.", p->member);
	return 0;
}

/* The request as compared for ClientToken reuse: members sorted, no
 * DryRun/ClientToken. */
static char *canonical_request(json_t *req)
{
	json_t *copy = json_deep_copy(req);
	json_object_del(copy, "DryRun");
	json_object_del(copy, "ClientToken");
	char *txt = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return txt;
}

/* Secrets (an access key's SecretAccessKey) never reach the audit log. */
static void redact_secrets(json_t *v)
{
	json_t *m;
	size_t i;
	if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			if (!strcmp(json_object_iter_key(it), "SecretAccessKey"))
				json_object_iter_set_new(v, it, json_string("REDACTED"));
			else
				redact_secrets(json_object_iter_value(it));
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) redact_secrets(m);
	}
}

static int audit(struct vx_store *st, const struct vx_action *a, json_t *req,
		 const struct vx_caller *caller, json_t *resp, const struct vx_err *failure,
		 struct vx_err *err)
{
	char when[40];
	vx_iso_now(when, sizeof(when));
	json_t *result = failure ? json_pack("{s:{s:s, s:s}}", "Error", "Code", failure->code,
					     "Message", failure->message)
				 : json_pack("{s:o}", "Response", json_deep_copy(resp));
	redact_secrets(result);
	char *req_txt = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *res_txt = json_dumps(result, JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *args[] = {when,
			      caller && caller->principal ? caller->principal : "unknown",
			      caller && caller->source ? caller->source : "unknown",
			      a->name,
			      req_txt ? req_txt : "{}",
			      res_txt ? res_txt : "{}"};
	int rc = vx_store_exec(st, err,
			       "INSERT INTO audit(time, principal, source, action, request, result) "
			       "VALUES(?,?,?,?,?,?)",
			       6, args);
	free(req_txt);
	free(res_txt);
	json_decref(result);
	return rc;
}

/* A failed or dry-run change still leaves its line in the audit log. */
static void audit_failure(struct vx_store *st, const struct vx_action *a, json_t *req,
			  const struct vx_caller *caller, const struct vx_err *failure)
{
	struct vx_err ignored;
	if (vx_store_begin(st, true, &ignored) < 0)
		return;
	if (audit(st, a, req, caller, NULL, failure, &ignored) < 0 ||
	    vx_store_commit(st, &ignored) < 0)
		vx_store_rollback(st);
}

int vx_action_run_nested(struct vx_store *st, const struct vx_action *action, json_t *req,
			 const char *fixed_id, json_t **resp, struct vx_err *err)
{
	*resp = NULL;
	if (check_request(action, req, err) < 0)
		return -1;
	struct vx_call call = {.store = st, .action = action, .req = req, .err = err,
			       .fixed_id = fixed_id};
	if (action->run(&call) < 0) {
		json_decref(call.resp);
		return -1;
	}
	*resp = call.resp;
	return 0;
}

/* Look up a ClientToken: 1 = replay (resp set), 0 = new, -1 = mismatch. */
static int client_token_lookup(struct vx_store *st, const struct vx_action *a, const char *token,
			       const char *canon, json_t **resp, struct vx_err *err)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT action, request, response FROM client_token WHERE token=?", -1,
			       &stmt, NULL) != SQLITE_OK)
		return vx_store_fail(st, err, "read client tokens");
	sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		if (strcmp(vx_col_text(stmt, 0), a->name) || strcmp(vx_col_text(stmt, 1), canon)) {
			rc = vx_err_set(err, "IdempotentParameterMismatch",
					"The client token '%s' was already used with a different "
					"request; use a new token for a new request.",
					token);
		} else {
			*resp = json_loads(vx_col_text(stmt, 2), JSON_DECODE_ANY, NULL);
			rc = 1;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

int vx_action_invoke(struct vx_store *st, const struct vx_action *action, json_t *req,
		     const struct vx_caller *caller, json_t **resp, struct vx_err *err)
{
	*resp = NULL;
	bool mutates = action->flags & VX_A_MUTATES;
	if (check_request(action, req, err) < 0) {
		if (mutates)
			audit_failure(st, action, req, caller, err);
		return -1;
	}
	bool dry_run = json_is_true(json_object_get(req, "DryRun"));
	/* Every call takes the write lock: host interfaces are synced first, so
	 * that an interface that appeared since the last call has its eni-. */
	if (vx_store_begin(st, true, err) < 0)
		return -1;
	int changes_before = sqlite3_total_changes(vx_store_db(st));
	if (vx_interfaces_sync(st, err) < 0)
		goto fail;

	const char *token = json_string_value(json_object_get(req, "ClientToken"));
	char *canon = NULL;
	if (token && (action->flags & VX_A_CLIENT_TOKEN)) {
		canon = canonical_request(req);
		int found = client_token_lookup(st, action, token, canon, resp, err);
		if (found < 0) {
			free(canon);
			goto fail;
		}
		if (found > 0) { /* the same request again: the same answer, no change */
			free(canon);
			vx_store_rollback(st);
			if (dry_run) {
				json_decref(*resp);
				*resp = NULL;
				return vx_err_set(err, "DryRunOperation",
						  "Request would have succeeded, but DryRun flag is set.");
			}
			return 0;
		}
	}

	struct vx_call call = {.store = st, .action = action, .req = req, .err = err};
	/* A change may add or remove a subnet (configure, registered
	 * interfaces): each subnet keeps exactly one network ACL association. */
	if (action->run(&call) < 0 ||
	    (mutates && vx_store_sync_acl_associations(st, err) < 0)) {
		free(canon);
		json_decref(call.resp);
		goto fail;
	}
	if (dry_run) {
		free(canon);
		json_decref(call.resp);
		vx_err_set(err, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
		goto fail;
	}
	bool changed = sqlite3_total_changes(vx_store_db(st)) != changes_before;
	if (canon) {
		char *resp_txt = json_dumps(call.resp, JSON_COMPACT | JSON_PRESERVE_ORDER);
		char created[24];
		snprintf(created, sizeof(created), "%lld", (long long)vx_now_ms());
		const char *args[] = {token, action->name, canon, resp_txt ? resp_txt : "{}", created};
		int rc = vx_store_exec(st, err, "INSERT INTO client_token VALUES(?,?,?,?,?)", 5, args);
		free(resp_txt);
		free(canon);
		if (rc < 0) {
			json_decref(call.resp);
			goto fail;
		}
	}
	if ((changed && vx_store_bump_generation(st, err) < 0) ||
	    (mutates && audit(st, action, req, caller, call.resp, NULL, err) < 0) ||
	    vx_store_commit(st, err) < 0) {
		json_decref(call.resp);
		goto fail;
	}
	*resp = call.resp;
	return 0;

fail:
	vx_store_rollback(st);
	if (mutates)
		audit_failure(st, action, req, caller, err);
	return -1;
}

char *vx_action_format(const json_t *resp)
{
	return json_dumps(resp, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
}
