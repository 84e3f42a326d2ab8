/* Helpers shared by the action handlers: request access, EC2-style errors,
 * tags, and the describe engine (IDs, filters, pagination). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "vxtap/config.h"

json_t *vx_req(struct vx_call *c, const char *member)
{
	return json_object_get(c->req, member);
}

const char *vx_req_str(struct vx_call *c, const char *member)
{
	return json_string_value(vx_req(c, member));
}

int vx_req_int(struct vx_call *c, const char *member, long long *out)
{
	json_t *v = vx_req(c, member);
	if (!json_is_integer(v))
		return 0;
	*out = json_integer_value(v);
	return 1;
}

bool vx_req_bool(struct vx_call *c, const char *member)
{
	return json_is_true(vx_req(c, member));
}

int vx_invalid(struct vx_call *c, const char *member, const char *value, const char *fmt, ...)
{
	char allowed[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(allowed, sizeof(allowed), fmt, ap);
	va_end(ap);
	return vx_err_set(c->err, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. %s",
			  value, member, allowed);
}

int vx_invalid_int(struct vx_call *c, const char *member, long long value, const char *allowed)
{
	char txt[32];
	snprintf(txt, sizeof(txt), "%lld", value);
	return vx_invalid(c, member, txt, "%s", allowed);
}

int vx_missing(struct vx_call *c, const char *member)
{
	return vx_err_set(c->err, "MissingParameter", "The request must contain the parameter %s.",
			  member);
}

int vx_not_found(struct vx_call *c, const char *code, const char *what, const char *id)
{
	return vx_err_set(c->err, code, "The %s ID '%s' does not exist.", what, id);
}

bool vx_id_ok(const char *id, const char *prefix)
{
	size_t plen = strlen(prefix);
	if (!id || strncmp(id, prefix, plen) || id[plen] != '-')
		return false;
	size_t n = 0;
	for (const char *p = id + plen + 1; *p; p++, n++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return n == 8 || n == 17;
}

bool vx_row_exists(struct vx_store *st, const char *table, const char *key, const char *id)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE %s=?", table, key);
	sqlite3_stmt *stmt;
	bool found = false;
	if (sqlite3_prepare_v2(vx_store_db(st), sql, -1, &stmt, NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
		found = sqlite3_step(stmt) == SQLITE_ROW;
	}
	sqlite3_finalize(stmt);
	return found;
}

long long vx_count_rows(struct vx_store *st, const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	long long n = 0;
	if (sqlite3_prepare_v2(vx_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

const char *vx_first_text(struct vx_store *st, const char *sql, const char *arg, char *buf,
			  size_t len)
{
	sqlite3_stmt *s;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(vx_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return buf;
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(buf, len, "%s", vx_col_text(s, 0));
	sqlite3_finalize(s);
	return buf;
}

void vx_new_object_id(struct vx_call *c, const char *prefix, char *out, size_t len)
{
	if (c->fixed_id)
		snprintf(out, len, "%s", c->fixed_id);
	else
		vx_store_new_id(prefix, out, len);
}

json_t *vx_rows_json(struct vx_store *st, const char *sql, const char *arg, vx_row_render render,
		     const void *ctx)
{
	json_t *list = json_array();
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(vx_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return list;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(list, render(st, s, ctx));
	sqlite3_finalize(s);
	return list;
}

json_t *vx_row_json(struct vx_store *st, const char *sql, const char *arg, vx_row_render render,
		    const void *ctx)
{
	json_t *list = vx_rows_json(st, sql, arg, render, ctx);
	json_t *first = json_incref(json_array_get(list, 0));
	json_decref(list);
	return first;
}

const char *vx_col_text(void *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

int64_t vx_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vx_format_time_ms(int64_t ms, char *out, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%06d+00:00", base, (int)(ms % 1000) * 1000);
}

bool vx_text_matches(const char *s, const char *pattern)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
		return false;
	bool ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* ---- tags ---- */

static bool utf8_len_le(const char *s, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n <= max;
}

/* Tags under "vxtap:" are settings of the data path: the known ones are
 * checked here so that a typo is refused instead of silently ignored. */
static int check_vxtap_tag(struct vx_call *c, const char *resource_type, const char *key,
			   const char *value)
{
	static const struct {
		const char *key;
		long long lo, hi;
		const char *allowed;
	} known[] = {
		{VX_TAG_MAX_MBPS, 1, 100000, "an integer 1-100000 (megabits per second)"},
		{VX_TAG_MAX_PPS, 1, 100000000, "an integer 1-100000000 (packets per second)"},
	};
	if (strcmp(resource_type, "traffic-mirror-session"))
		return vx_invalid(c, "Tag.Key", key,
				  "Tag keys starting with '" VX_TAG_PREFIX
				  "' are reserved for traffic mirror sessions.");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(key, known[i].key))
			continue;
		char *end;
		errno = 0;
		long long n = strtoll(value, &end, 10);
		if (!*value || *end || errno || n < known[i].lo || n > known[i].hi)
			return vx_invalid(c, "Tag.Value", value, "Allowed for %s: %s.", key,
					  known[i].allowed);
		return 0;
	}
	return vx_invalid(c, "Tag.Key", key,
			  "Known '" VX_TAG_PREFIX "' tags: " VX_TAG_MAX_MBPS ", " VX_TAG_MAX_PPS ".");
}

int vx_tags_validate(struct vx_call *c, const char *resource_type)
{
	json_t *specs = vx_req(c, "TagSpecifications");
	size_t i, j;
	json_t *spec, *tag;
	json_array_foreach(specs, i, spec) {
		const char *rt = json_string_value(json_object_get(spec, "ResourceType"));
		if (!rt || strcmp(rt, resource_type))
			return vx_invalid(c, "TagSpecifications.ResourceType", rt ? rt : "",
					  "This call creates a %s; tag specifications must name that "
					  "resource type.",
					  resource_type);
		json_array_foreach(json_object_get(spec, "Tags"), j, tag) {
			const char *k = json_string_value(json_object_get(tag, "Key"));
			const char *v = json_string_value(json_object_get(tag, "Value"));
			if (!k || !*k || !utf8_len_le(k, 127))
				return vx_invalid(c, "Tag.Key", k ? k : "",
						  "A tag key has 1-127 characters.");
			if (!strncmp(k, "aws:", 4))
				return vx_invalid(c, "Tag.Key", k,
						  "Tag keys starting with 'aws:' are reserved.");
			if (v && !utf8_len_le(v, 256))
				return vx_invalid(c, "Tag.Value", v,
						  "A tag value has at most 256 characters.");
			if (!strncmp(k, VX_TAG_PREFIX, strlen(VX_TAG_PREFIX)) &&
			    check_vxtap_tag(c, resource_type, k, v ? v : "") < 0)
				return -1;
		}
	}
	return 0;
}

int vx_tags_store(struct vx_call *c, const char *id)
{
	json_t *specs = vx_req(c, "TagSpecifications");
	size_t i, j;
	json_t *spec, *tag;
	int seq = 0;
	json_array_foreach(specs, i, spec) {
		json_array_foreach(json_object_get(spec, "Tags"), j, tag) {
			const char *k = json_string_value(json_object_get(tag, "Key"));
			const char *v = json_string_value(json_object_get(tag, "Value"));
			char seqtxt[16];
			snprintf(seqtxt, sizeof(seqtxt), "%d", seq++);
			const char *args[] = {id, k, v ? v : "", seqtxt};
			if (vx_store_exec(c->store, c->err,
					  "INSERT OR REPLACE INTO tag VALUES(?,?,?,CAST(? AS INTEGER))",
					  4, args) < 0)
				return -1;
		}
	}
	return 0;
}

int vx_tags_delete(struct vx_call *c, const char *id)
{
	const char *args[] = {id};
	return vx_store_exec(c->store, c->err, "DELETE FROM tag WHERE resource_id=?", 1, args);
}

json_t *vx_tags_json(struct vx_store *st, const char *id)
{
	json_t *tags = json_array();
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(vx_store_db(st),
			       "SELECT key, value FROM tag WHERE resource_id=? ORDER BY seq, key", -1,
			       &stmt, NULL) != SQLITE_OK)
		return tags;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", vx_col_text(stmt, 0),
						      "Value", vx_col_text(stmt, 1)));
	sqlite3_finalize(stmt);
	return tags;
}

/* ---- describe ---- */

/* Does any value at path (dots descend; arrays fan out) match pattern? */
static bool path_matches(json_t *v, const char *path, const char *pattern)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) if (path_matches(e, path, pattern)) return true;
		return false;
	}
	if (*path) {
		const char *dot = strchr(path, '.');
		char key[128];
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return false;
		memcpy(key, path, n);
		key[n] = '\0';
		return path_matches(json_object_get(v, key), dot ? dot + 1 : "", pattern);
	}
	char txt[64];
	const char *s;
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(txt, sizeof(txt), "%lld", (long long)json_integer_value(v));
		s = txt;
	} else if (json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	else
		return false;
	return fnmatch(pattern, s, 0) == 0;
}

static bool tag_matches(json_t *item, const char *key, const char *pattern)
{
	json_t *tags = json_object_get(item, "Tags");
	if (!tags)
		tags = json_object_get(item, "TagSet");
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		const char *k = json_string_value(json_object_get(t, "Key"));
		if (!k)
			continue;
		if (key) {
			if (!strcmp(k, key) &&
			    fnmatch(pattern, json_string_value(json_object_get(t, "Value")), 0) == 0)
				return true;
		} else if (fnmatch(pattern, k, 0) == 0) {
			return true;
		}
	}
	return false;
}

static bool item_passes(json_t *item, json_t *filters, const struct vx_filter_name *names)
{
	size_t i, j;
	json_t *f, *val;
	json_array_foreach(filters, i, f) {
		const char *name = json_string_value(json_object_get(f, "Name"));
		bool any = false;
		json_array_foreach(json_object_get(f, "Values"), j, val) {
			const char *pattern = json_string_value(val);
			if (!strncmp(name, "tag:", 4))
				any = tag_matches(item, name + 4, pattern);
			else if (!strcmp(name, "tag-key"))
				any = tag_matches(item, NULL, pattern);
			else
				for (const struct vx_filter_name *n = names; n->name; n++)
					if (!strcmp(n->name, name)) {
						any = path_matches(item, n->path, pattern);
						break;
					}
			if (any)
				break;
		}
		if (!any)
			return false; /* filters are ANDed, values ORed */
	}
	return true;
}

int vx_describe_finish(struct vx_call *c, json_t *items, const char *ids_member,
		       const char *id_key, const char *not_found_code, const char *what,
		       const char *filters_member, const struct vx_filter_name *names,
		       const char *list_member, long long max_min, long long max_max)
{
	json_t *filters = filters_member ? vx_req(c, filters_member) : NULL;
	size_t i, j;
	json_t *f, *idv;
	json_array_foreach(filters, i, f) {
		const char *name = json_string_value(json_object_get(f, "Name"));
		bool known = name && (!strncmp(name, "tag:", 4) || !strcmp(name, "tag-key"));
		for (const struct vx_filter_name *n = names; !known && n->name; n++)
			known = !strcmp(n->name, name);
		if (!known) {
			json_decref(items);
			vx_err_set(c->err, "InvalidParameterValue",
				   "The filter '%s' is invalid. Valid filters: ", name ? name : "");
			for (const struct vx_filter_name *n = names; n->name; n++) {
				size_t len = strlen(c->err->message);
				snprintf(c->err->message + len, sizeof(c->err->message) - len, "%s%s",
					 n->name, n[1].name ? ", " : ", tag:<key>, tag-key.");
			}
			return -1;
		}
		if (!json_array_size(json_object_get(f, "Values"))) {
			json_decref(items);
			return vx_err_set(c->err, "InvalidParameterValue",
					  "The filter '%s' has no values; give at least one.", name);
		}
	}
	json_t *ids = ids_member ? vx_req(c, ids_member) : NULL;
	json_array_foreach(ids, i, idv) {
		bool found = false;
		json_array_foreach(items, j, f) if (json_equal(json_object_get(f, id_key), idv))
		{
			found = true;
			break;
		}
		if (!found) {
			json_decref(items);
			return vx_not_found(c, not_found_code, what, json_string_value(idv));
		}
	}
	json_t *kept = json_array();
	json_array_foreach(items, i, f) {
		if (json_array_size(ids)) {
			bool wanted = false;
			json_array_foreach(ids, j, idv) if (json_equal(json_object_get(f, id_key), idv))
				wanted = true;
			if (!wanted)
				continue;
		}
		if (item_passes(f, filters, names))
			json_array_append(kept, f);
	}
	json_decref(items);

	long long max = 0, start = 0;
	if (vx_req_int(c, "MaxResults", &max) && (max < max_min || max > max_max)) {
		json_decref(kept);
		char allowed[64];
		snprintf(allowed, sizeof(allowed), "Allowed: %lld-%lld.", max_min, max_max);
		return vx_invalid_int(c, "MaxResults", max, allowed);
	}
	const char *token = vx_req_str(c, "NextToken");
	if (token) {
		char *end;
		start = strncmp(token, "vx-", 3) ? -1 : strtoll(token + 3, &end, 10);
		if (start < 0 || (start >= 0 && *end) || (size_t)start > json_array_size(kept)) {
			json_decref(kept);
			return vx_invalid(c, "NextToken", token,
					  "Pass the NextToken of the previous response unchanged.");
		}
	}
	json_t *page = json_array();
	size_t total = json_array_size(kept);
	size_t stop = max ? (size_t)(start + max) : total;
	if (stop > total)
		stop = total;
	for (size_t k = (size_t)start; k < stop; k++)
		json_array_append(page, json_array_get(kept, k));
	json_decref(kept);
	c->resp = json_object();
	json_object_set_new(c->resp, list_member, page);
	if (stop < total) {
		char next[32];
		snprintf(next, sizeof(next), "vx-%zu", stop);
		json_object_set_new(c->resp, "NextToken", json_string(next));
	}
	return 0;
}
