/* Internal to src/control: the action handlers and the helpers they share.
 * The public face of this folder is vxtap/action.h and vxtap/store.h. */
#ifndef VXTAP_CONTROL_HANDLERS_H
#define VXTAP_CONTROL_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "vxtap/action.h"

/* Request accessors: NULL / 0 when the member is absent. */
json_t *vx_req(struct vx_call *c, const char *member);
const char *vx_req_str(struct vx_call *c, const char *member);
/* 1 and *out when present, 0 when absent. */
int vx_req_int(struct vx_call *c, const char *member, long long *out);
bool vx_req_bool(struct vx_call *c, const char *member);

/* Errors in EC2's words. Each returns -1. */
int vx_invalid(struct vx_call *c, const char *member, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int vx_invalid_int(struct vx_call *c, const char *member, long long value, const char *allowed);
int vx_missing(struct vx_call *c, const char *member);
int vx_not_found(struct vx_call *c, const char *code, const char *what, const char *id);

/* Check an ID's shape (prefix-hex); a malformed ID is reported as NotFound
 * like EC2 does for IDs it cannot have issued. */
bool vx_id_ok(const char *id, const char *prefix);

/* Whether a row with this id exists in table. */
bool vx_row_exists(struct vx_store *st, const char *table, const char *key, const char *id);

/* The first column of the first row of a query with at most one text
 * parameter (arg may be NULL): a count, or a text into buf ("" if none). */
long long vx_count_rows(struct vx_store *st, const char *sql, const char *arg);
const char *vx_first_text(struct vx_store *st, const char *sql, const char *arg, char *buf,
			  size_t len);

/* An ID from the call's fixed_id (apply) or a new random one. */
void vx_new_object_id(struct vx_call *c, const char *prefix, char *out, size_t len);

/* Tags: apply the TagSpecifications of a create call (their ResourceType
 * must be resource_type) to the object id; render an object's tags. */
int vx_tags_validate(struct vx_call *c, const char *resource_type);
int vx_tags_store(struct vx_call *c, const char *id);
json_t *vx_tags_json(struct vx_store *st, const char *id);
int vx_tags_delete(struct vx_call *c, const char *id);

/* Describe: keep the items whose id is in ids_member (when given) and that
 * pass the request's filters (names mapped to member paths such as
 * "Attachment.InstanceId"; "tag:K" and "tag-key" always work), then page
 * with MaxResults/NextToken and set resp = {list_member: [...], NextToken}.
 * Takes ownership of items. An ID asked for but missing is an error with
 * not_found_code. */
struct vx_filter_name {
	const char *name;
	const char *path;
};
int vx_describe_finish(struct vx_call *c, json_t *items, const char *ids_member,
		       const char *id_key, const char *not_found_code, const char *what,
		       const char *filters_member, const struct vx_filter_name *names,
		       const char *list_member, long long max_min, long long max_max);

/* Wall-clock milliseconds, and a timestamp as the AWS CLI prints one. */
int64_t vx_now_ms(void);
void vx_format_time_ms(int64_t ms, char *out, size_t len);

/* Whether s matches the extended regular expression pattern (a format check). */
bool vx_text_matches(const char *s, const char *pattern);

/* Run sql (with arg bound to its one parameter, when not NULL) and render
 * each row: all of them as a new array, or the first one (NULL if none). */
typedef json_t *(*vx_row_render)(struct vx_store *st, sqlite3_stmt *s, const void *ctx);
json_t *vx_rows_json(struct vx_store *st, const char *sql, const char *arg, vx_row_render render,
		     const void *ctx);
json_t *vx_row_json(struct vx_store *st, const char *sql, const char *arg, vx_row_render render,
		    const void *ctx);

/* SQLite helpers: the text of a column or NULL. */
const char *vx_col_text(void *stmt, int col);

/* Sync this host's Linux interfaces into network_interface (new ones get a
 * new eni- ID, known ones keep theirs). Inside a write transaction. */
int vx_interfaces_sync(struct vx_store *st, struct vx_err *err);

/* Security groups of a network interface: check the list in request
 * member `member` (IDs of existing groups, at most 5, duplicates once),
 * then replace the interface's groups with it; render them as
 * [{GroupId, GroupName}] in their order. */
int vx_interface_groups_check(struct vx_call *c, const char *member);
int vx_interface_groups_write(struct vx_call *c, const char *eni, const char *member);
json_t *vx_interface_groups_json(struct vx_store *st, const char *eni);

/* Handlers, one per action. */
int vx_h_create_target(struct vx_call *c);
int vx_h_delete_target(struct vx_call *c);
int vx_h_describe_targets(struct vx_call *c);
int vx_h_create_filter(struct vx_call *c);
int vx_h_delete_filter(struct vx_call *c);
int vx_h_describe_filters(struct vx_call *c);
int vx_h_modify_filter_services(struct vx_call *c);
int vx_h_create_rule(struct vx_call *c);
int vx_h_modify_rule(struct vx_call *c);
int vx_h_delete_rule(struct vx_call *c);
int vx_h_describe_rules(struct vx_call *c);
int vx_h_create_session(struct vx_call *c);
int vx_h_modify_session(struct vx_call *c);
int vx_h_delete_session(struct vx_call *c);
int vx_h_describe_sessions(struct vx_call *c);
int vx_h_create_flow_logs(struct vx_call *c);
int vx_h_delete_flow_logs(struct vx_call *c);
int vx_h_describe_flow_logs(struct vx_call *c);
int vx_h_describe_interfaces(struct vx_call *c);
int vx_h_create_interface(struct vx_call *c);
int vx_h_delete_interface(struct vx_call *c);
int vx_h_create_load_balancer(struct vx_call *c);
int vx_h_delete_load_balancer(struct vx_call *c);
int vx_h_describe_load_balancers(struct vx_call *c);
int vx_h_register_targets(struct vx_call *c);
int vx_h_deregister_targets(struct vx_call *c);
int vx_h_configure_host(struct vx_call *c);
int vx_h_describe_host(struct vx_call *c);
int vx_h_export_state(struct vx_call *c);
int vx_h_apply_state(struct vx_call *c);
int vx_h_create_security_group(struct vx_call *c);
int vx_h_delete_security_group(struct vx_call *c);
int vx_h_describe_security_groups(struct vx_call *c);
int vx_h_authorize_ingress(struct vx_call *c);
int vx_h_authorize_egress(struct vx_call *c);
int vx_h_revoke_ingress(struct vx_call *c);
int vx_h_revoke_egress(struct vx_call *c);
int vx_h_describe_security_group_rules(struct vx_call *c);
int vx_h_modify_interface_attribute(struct vx_call *c);
int vx_h_create_network_acl(struct vx_call *c);
int vx_h_delete_network_acl(struct vx_call *c);
int vx_h_describe_network_acls(struct vx_call *c);
int vx_h_create_network_acl_entry(struct vx_call *c);
int vx_h_replace_network_acl_entry(struct vx_call *c);
int vx_h_delete_network_acl_entry(struct vx_call *c);
int vx_h_replace_network_acl_association(struct vx_call *c);
int vx_h_create_access_key(struct vx_call *c);
int vx_h_list_access_keys(struct vx_call *c);
int vx_h_update_access_key(struct vx_call *c);
int vx_h_delete_access_key(struct vx_call *c);

#endif
