/* The AWS CLI's shorthand syntax (see vxtap/shorthand.h). One word goes
 * through a small recursive-descent parser into a loose tree (every leaf a
 * string, lists, structures), as the AWS CLI's shorthand parser does; then the
 * parameter's shape types that tree: integers and booleans from their text, a
 * lone value where a list belongs becomes a one-element list, unknown keys are
 * refused, and objects are rebuilt in the model's member order. JSON input
 * skips the first step and is typed strictly.
 *
 * Everything here reads untrusted text: the parser works on (pointer, length)
 * with an explicit index, values are unescaped into one scratch buffer as long
 * as the word (a value is never longer than the text it came from), nesting is
 * bounded, and user text quoted in messages is clipped and made printable. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vxtap/shorthand.h"

#define MAX_DEPTH    32  /* [ and { nested deeper than this are refused */
#define WORD_QUOTE   200 /* bytes of the word quoted in a message */
#define DETAIL_QUOTE 64  /* bytes of a key or value quoted in a message */
#define ERR_CODE     "InvalidParameterValue"
#define PATH_LEN     128 /* a member's name in messages: "[0].Tags[12].Key" */

/* ---- Shapes: what each structured parameter holds ---- */

enum fkind {
	F_STRING,
	F_INT,
	F_BOOL,
	F_STRING_LIST,
	F_STRUCT_LIST,
};

struct shape;

struct field {
	const char *name;
	enum fkind kind;
	const struct shape *elem; /* F_STRUCT_LIST: the elements' shape */
};

struct shape {
	const struct field *fields;
	size_t nfields;
};

#define SHAPE(f)                                                                                   \
	{                                                                                          \
		f, sizeof(f) / sizeof((f)[0])                                                      \
	}

static const struct field port_range_fields[] = {
    {"FromPort", F_INT, NULL},
    {"ToPort", F_INT, NULL},
};
static const struct shape port_range_shape = SHAPE(port_range_fields);

static const struct field dest_options_fields[] = {
    {"FileFormat", F_STRING, NULL},
    {"HiveCompatiblePartitions", F_BOOL, NULL},
    {"PerHourPartition", F_BOOL, NULL},
};
static const struct shape dest_options_shape = SHAPE(dest_options_fields);

static const struct field filter_fields[] = {
    {"Name", F_STRING, NULL},
    {"Values", F_STRING_LIST, NULL},
};
static const struct shape filter_shape = SHAPE(filter_fields);

static const struct field tag_fields[] = {
    {"Key", F_STRING, NULL},
    {"Value", F_STRING, NULL},
};
static const struct shape tag_shape = SHAPE(tag_fields);

static const struct field tag_spec_fields[] = {
    {"ResourceType", F_STRING, NULL},
    {"Tags", F_STRUCT_LIST, &tag_shape},
};
static const struct shape tag_spec_shape = SHAPE(tag_spec_fields);

static const struct field lb_target_fields[] = {
    {"Id", F_STRING, NULL},
    {"Port", F_INT, NULL},
};
static const struct shape lb_target_shape = SHAPE(lb_target_fields);

static const struct field group_pair_fields[] = {
    {"Description", F_STRING, NULL}, {"UserId", F_STRING, NULL},
    {"GroupName", F_STRING, NULL},   {"GroupId", F_STRING, NULL},
    {"VpcId", F_STRING, NULL},       {"VpcPeeringConnectionId", F_STRING, NULL},
    {"PeeringStatus", F_STRING, NULL},
};
static const struct shape group_pair_shape = SHAPE(group_pair_fields);

static const struct field ip_range_fields[] = {
    {"Description", F_STRING, NULL},
    {"CidrIp", F_STRING, NULL},
};
static const struct shape ip_range_shape = SHAPE(ip_range_fields);

static const struct field ipv6_range_fields[] = {
    {"Description", F_STRING, NULL},
    {"CidrIpv6", F_STRING, NULL},
};
static const struct shape ipv6_range_shape = SHAPE(ipv6_range_fields);

static const struct field prefix_list_fields[] = {
    {"Description", F_STRING, NULL},
    {"PrefixListId", F_STRING, NULL},
};
static const struct shape prefix_list_shape = SHAPE(prefix_list_fields);

static const struct field ip_permission_fields[] = {
    {"IpProtocol", F_STRING, NULL},
    {"FromPort", F_INT, NULL},
    {"ToPort", F_INT, NULL},
    {"UserIdGroupPairs", F_STRUCT_LIST, &group_pair_shape},
    {"IpRanges", F_STRUCT_LIST, &ip_range_shape},
    {"Ipv6Ranges", F_STRUCT_LIST, &ipv6_range_shape},
    {"PrefixListIds", F_STRUCT_LIST, &prefix_list_shape},
};
static const struct shape ip_permission_shape = SHAPE(ip_permission_fields);

static const struct field acl_port_range_fields[] = {
    {"From", F_INT, NULL},
    {"To", F_INT, NULL},
};
static const struct shape acl_port_range_shape = SHAPE(acl_port_range_fields);

static const struct field icmp_type_code_fields[] = {
    {"Code", F_INT, NULL},
    {"Type", F_INT, NULL},
};
static const struct shape icmp_type_code_shape = SHAPE(icmp_type_code_fields);

/* ---- Errors ---- */

struct ctx {
	const char *option; /* "--filters" */
	const char *syntax; /* what the option takes: "Name=<string>,… or JSON" */
	const char *word;   /* the word at fault, quoted in messages; NULL: none */
	struct vx_err *err;
	char q[3][DETAIL_QUOTE + 8]; /* clipped user text for one message */
};

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/* Copy s[0..n) into out (size outsz > 4) for quoting in a message: at most
 * outsz - 4 bytes, control characters and bytes that are not UTF-8 as '?',
 * and "..." when it had to be cut. */
static const char *clip_n(char *out, size_t outsz, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t max = outsz - 4, i = 0, o = 0;
	while (i < n) {
		size_t len = utf8_seq(u + i, n - i);
		if (o + (len ? len : 1) > max)
			break;
		if (len == 0 || (len == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static const char *clip(struct ctx *cx, int slot, const char *s)
{
	return clip_n(cx->q[slot], sizeof(cx->q[slot]), s, strlen(s));
}

/* A message cut at the end of err->message may end inside a UTF-8
 * sequence: drop the partial character. */
static void trim_partial_utf8(struct vx_err *err)
{
	size_t len = strlen(err->message), k = 0;
	while (k < len && k < 3 && ((unsigned char)err->message[len - 1 - k] & 0xc0) == 0x80)
		k++;
	if (k == len)
		return;
	size_t lead = len - 1 - k;
	if (utf8_seq((const unsigned char *)err->message + lead, k + 1) != k + 1 &&
	    (unsigned char)err->message[lead] >= 0x80)
		err->message[lead] = '\0';
}

/* Set err: "Error parsing parameter '<option>': expected <syntax>, got
 * '<word>'", then ": <detail>" when fmt is given. Returns NULL. */
static json_t *fail(struct ctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *fail(struct ctx *cx, const char *fmt, ...)
{
	char detail[512] = "";
	char word[WORD_QUOTE + 8];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (!cx->err)
		return NULL;
	if (cx->word)
		vx_err_set(cx->err, ERR_CODE,
		           "Error parsing parameter '%s': expected %s, got '%s'%s%s", cx->option,
		           cx->syntax, clip_n(word, sizeof(word), cx->word, strlen(cx->word)),
		           *detail ? ": " : "", detail);
	else
		vx_err_set(cx->err, ERR_CODE, "Error parsing parameter '%s': expected %s%s%s",
		           cx->option, cx->syntax, *detail ? ": " : "", detail);
	trim_partial_utf8(cx->err);
	return NULL;
}

/* How a message names a JSON value's type. */
static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a structure";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* ---- Scalars ---- */

/* A decimal integer, optional leading '-', nothing else. 1: ok, 0: not an
 * integer, -1: out of range. */
static int parse_ll(const char *s, long long *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	if (*d < '0' || *d > '9')
		return 0;
	for (const char *c = d; *c; c++)
		if (*c < '0' || *c > '9')
			return 0;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (errno || *end)
		return 0;
	*out = v;
	return 1;
}

/* 1: true, 0: false, -1: neither. */
static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "true"))
		return 1;
	if (!strcasecmp(s, "false"))
		return 0;
	return -1;
}

static json_t *string_or_fail(struct ctx *cx, const char *s)
{
	json_t *v = json_string(s);
	return v ? v : fail(cx, "not valid UTF-8");
}

/* ---- The shorthand parser: one word into a loose tree ---- */

struct parser {
	struct ctx *cx;
	const char *s;
	size_t n, i;
	char *tmp; /* n + 1 bytes: one value, unescaped */
	int depth;
};

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '#' || c == '/' || c == ':';
}

static int cur(const struct parser *p)
{
	return p->i < p->n ? (unsigned char)p->s[p->i] : -1;
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && is_ws((unsigned char)p->s[p->i]))
		p->i++;
}

/* The character at p->i, for a message. */
static const char *cur_desc(const struct parser *p, char *buf, size_t len)
{
	int c = cur(p);
	if (c < 0)
		snprintf(buf, len, "end of input");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", (unsigned)c);
	return buf;
}

/* Fail with "<detail> at character <at + 1>". */
static json_t *perr(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *perr(struct parser *p, size_t at, const char *fmt, ...)
{
	char detail[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return fail(p->cx, "%s at character %zu", detail, at + 1);
}

/* Does a key and '=' start here? (Ends a comma-separated list: in
 * `Values=a,b,Name=c`, "Name=" is the next key, not a third value.) */
static bool at_key(const struct parser *p)
{
	size_t j = p->i;
	while (j < p->n && is_key_char((unsigned char)p->s[j]))
		j++;
	if (j == p->i)
		return false;
	while (j < p->n && is_ws((unsigned char)p->s[j]))
		j++;
	return j < p->n && p->s[j] == '=';
}

/* One value: unquoted text up to ',', ']', '}' (and '=' unless allow_eq),
 * with '…' and "…" parts and backslash escapes; unescaped trailing blanks
 * dropped. *given: the user wrote something (text or quotes), which tells
 * `a,` from `a,''`. */
static json_t *read_value(struct parser *p, bool allow_eq, bool *given)
{
	size_t o = 0, keep = 0;
	*given = false;
	while (p->i < p->n) {
		char c = p->s[p->i];
		if (c == ',' || c == ']' || c == '}' || (c == '=' && !allow_eq))
			break;
		if (c == '\\') {
			if (p->i + 1 < p->n)
				p->i++;
			p->tmp[o++] = p->s[p->i++];
			keep = o;
			*given = true;
			continue;
		}
		if (c == '\'' || c == '"') {
			size_t open = p->i++;
			while (p->i < p->n && p->s[p->i] != c) {
				if (p->s[p->i] == '\\' && p->i + 1 < p->n)
					p->i++;
				p->tmp[o++] = p->s[p->i++];
			}
			if (p->i >= p->n)
				return perr(p, open, "unterminated %c quote", c);
			p->i++;
			keep = o;
			*given = true;
			continue;
		}
		p->tmp[o++] = c;
		p->i++;
		if (!is_ws((unsigned char)c)) {
			keep = o;
			*given = true;
		}
	}
	json_t *v = json_stringn(p->tmp, keep);
	if (!v)
		return fail(p->cx, "value '%s' is not valid UTF-8",
		            clip_n(p->cx->q[2], sizeof(p->cx->q[2]), p->tmp, keep));
	return v;
}

/* key "=": returns the key (malloc'd), with p->i past '=' and blanks. */
static char *read_key(struct parser *p)
{
	char d[32];
	skip_ws(p);
	size_t start = p->i;
	while (p->i < p->n && is_key_char((unsigned char)p->s[p->i]))
		p->i++;
	if (p->i == start) {
		perr(p, p->i, "expected a key (letters, digits, -_.#/:), got %s",
		     cur_desc(p, d, sizeof(d)));
		return NULL;
	}
	char *key = strndup(p->s + start, p->i - start);
	if (!key) {
		fail(p->cx, "out of memory");
		return NULL;
	}
	skip_ws(p);
	if (cur(p) != '=') {
		perr(p, p->i, "missing '=' after key '%s', got %s", clip(p->cx, 0, key),
		     cur_desc(p, d, sizeof(d)));
		free(key);
		return NULL;
	}
	p->i++;
	skip_ws(p);
	return key;
}

/* After an item of a list or structure opened at `open`: 1 when the closing
 * bracket follows, 0 when a comma does (consumed, and another item must
 * follow), -1 with the error reported otherwise. */
static int after_item(struct parser *p, size_t open, char close, const char *what)
{
	char d[32];
	skip_ws(p);
	if (cur(p) == close)
		return 1;
	if (cur(p) != ',') {
		if (cur(p) < 0)
			perr(p, open, "unterminated '%c'", close == ']' ? '[' : '{');
		else
			perr(p, p->i, "expected ',' or '%c', got %s", close, cur_desc(p, d, sizeof(d)));
		return -1;
	}
	size_t comma = p->i++;
	skip_ws(p);
	if (cur(p) == close) {
		perr(p, comma, "trailing comma in a %s", what);
		return -1;
	}
	if (cur(p) < 0) {
		perr(p, open, "unterminated '%c'", close == ']' ? '[' : '{');
		return -1;
	}
	return 0;
}

static json_t *parse_list(struct parser *p);
static json_t *parse_hash(struct parser *p);

/* A value inside [...] or {...}: a list, a structure or one value. */
static json_t *parse_inner_value(struct parser *p, bool *given)
{
	skip_ws(p);
	*given = true;
	if (cur(p) == '[')
		return parse_list(p);
	if (cur(p) == '{')
		return parse_hash(p);
	return read_value(p, true, given);
}

static bool enter(struct parser *p)
{
	if (p->depth >= MAX_DEPTH) {
		perr(p, p->i, "more than %d nested lists or structures", MAX_DEPTH);
		return false;
	}
	p->depth++;
	return true;
}

/* explicit-list = "[" [value *("," value)] "]" */
static json_t *parse_list(struct parser *p)
{
	char d[32];
	size_t open = p->i;
	if (!enter(p))
		return NULL;
	p->i++;
	json_t *arr = json_array();
	if (!arr)
		return fail(p->cx, "out of memory");
	skip_ws(p);
	if (cur(p) == ']')
		goto done;
	for (;;) {
		bool given;
		size_t at = p->i;
		json_t *v = parse_inner_value(p, &given);
		if (!v)
			goto fail;
		if (!given) {
			json_decref(v);
			perr(p, at, "expected a value in the list opened at character %zu, got %s",
			     open + 1, cur_desc(p, d, sizeof(d)));
			goto fail;
		}
		json_array_append_new(arr, v);
		int next = after_item(p, open, ']', "list");
		if (next < 0)
			goto fail;
		if (next > 0)
			goto done;
	}
done:
	p->i++;
	p->depth--;
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* Add key=v to obj (v's reference is taken), refusing a duplicate key. */
static int add_member(struct parser *p, json_t *obj, char *key, size_t at, json_t *v)
{
	int rc = 0;
	if (json_object_get(obj, key)) {
		perr(p, at, "duplicate key '%s'", clip(p->cx, 0, key));
		json_decref(v);
		rc = -1;
	} else if (json_object_set_new(obj, key, v) < 0) {
		fail(p->cx, "out of memory");
		rc = -1;
	}
	free(key);
	return rc;
}

/* hash-literal = "{" [key "=" value *("," key "=" value)] "}" */
static json_t *parse_hash(struct parser *p)
{
	size_t open = p->i;
	if (!enter(p))
		return NULL;
	p->i++;
	json_t *obj = json_object();
	if (!obj)
		return fail(p->cx, "out of memory");
	skip_ws(p);
	if (cur(p) == '}')
		goto done;
	for (;;) {
		bool given;
		size_t at = p->i;
		char *key = read_key(p);
		if (!key)
			goto fail;
		json_t *v = parse_inner_value(p, &given);
		if (!v) {
			free(key);
			goto fail;
		}
		if (add_member(p, obj, key, at, v) < 0)
			goto fail;
		int next = after_item(p, open, '}', "structure");
		if (next < 0)
			goto fail;
		if (next > 0)
			goto done;
	}
done:
	p->i++;
	p->depth--;
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

/* csv-list = value *("," value), ending before a "key=": a single value is a
 * string, several a list. */
static json_t *parse_csv(struct parser *p)
{
	char d[32];
	bool given, first_given;
	size_t first_at = p->i;
	json_t *first = read_value(p, true, &first_given);
	json_t *list = NULL;
	if (!first)
		return NULL;
	for (;;) {
		skip_ws(p);
		if (cur(p) != ',')
			break;
		size_t comma = p->i++;
		skip_ws(p);
		if (cur(p) < 0) {
			perr(p, comma, "trailing comma");
			goto fail;
		}
		if (at_key(p)) {
			p->i = comma;
			break;
		}
		if (!first_given) {
			perr(p, first_at, "expected a value before ','");
			goto fail;
		}
		size_t at = p->i;
		json_t *v = read_value(p, false, &given);
		if (!v)
			goto fail;
		if (!given) {
			json_decref(v);
			perr(p, at, "expected a value after ',', got %s",
			     cur_desc(p, d, sizeof(d)));
			goto fail;
		}
		if (!list) {
			list = json_array();
			if (!list || json_array_append(list, first) < 0) {
				json_decref(v);
				fail(p->cx, "out of memory");
				goto fail;
			}
		}
		json_array_append_new(list, v);
	}
	if (list) {
		json_decref(first);
		return list;
	}
	return first;
fail:
	json_decref(first);
	json_decref(list);
	return NULL;
}

/* parameter = key "=" values *("," key "=" values) */
static json_t *parse_params(struct parser *p)
{
	char d[32];
	json_t *obj = json_object();
	if (!obj)
		return fail(p->cx, "out of memory");
	skip_ws(p);
	if (cur(p) < 0) {
		fail(p->cx, "empty value");
		goto fail;
	}
	for (;;) {
		size_t at = p->i;
		char *key = read_key(p);
		if (!key)
			goto fail;
		json_t *v;
		if (cur(p) == '[')
			v = parse_list(p);
		else if (cur(p) == '{')
			v = parse_hash(p);
		else
			v = parse_csv(p);
		if (!v) {
			free(key);
			goto fail;
		}
		if (add_member(p, obj, key, at, v) < 0)
			goto fail;
		skip_ws(p);
		if (cur(p) < 0)
			return obj;
		if (cur(p) != ',') {
			perr(p, p->i, "expected ',' or the end, got %s", cur_desc(p, d, sizeof(d)));
			goto fail;
		}
		size_t comma = p->i++;
		skip_ws(p);
		if (cur(p) < 0) {
			perr(p, comma, "trailing comma");
			goto fail;
		}
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *parse_shorthand(struct ctx *cx, const char *word)
{
	struct parser p = {.cx = cx, .s = word, .n = strlen(word)};
	p.tmp = malloc(p.n + 1);
	if (!p.tmp)
		return fail(cx, "out of memory");
	json_t *v = parse_params(&p);
	free(p.tmp);
	return v;
}

/* ---- Typing a tree by its shape ---- */

static json_t *conv_struct(struct ctx *cx, const struct shape *sh, json_t *in, bool typed,
                           const char *where);

/* A member that takes one value got a list of strings from shorthand, as
 * `FromPort=80,ToPort` (a key without '=') or `Name=a,b` (a ',' to quote)
 * give: fail naming the list as the user wrote it. */
static json_t *fail_scalar_list(struct ctx *cx, const char *where, const char *what, json_t *v)
{
	size_t i, len = 0;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return fail(cx, "%s must be %s, not a list", where, what);
		len += json_string_length(e) + 1;
	}
	char *joined = malloc(len + 1);
	if (!joined)
		return fail(cx, "%s must be %s, not a list", where, what);
	len = 0;
	json_array_foreach(v, i, e)
	{
		size_t n = json_string_length(e);
		if (i)
			joined[len++] = ',';
		memcpy(joined + len, json_string_value(e), n);
		len += n;
	}
	clip_n(cx->q[1], sizeof(cx->q[1]), joined, len);
	free(joined);
	return fail(cx,
	            "%s must be %s, not the list '%s' (is a key missing its '=', or does a value "
	            "hold a ',' that needs quoting?)",
	            where, what, cx->q[1]);
}

/* Convert one member. where: how messages name it ("ToPort", "Tags[1].Key"). */
static json_t *conv_field(struct ctx *cx, const struct field *f, json_t *v, bool typed,
                          const char *where)
{
	const char *s = json_string_value(v);
	switch (f->kind) {
	case F_STRING:
		if (!typed && json_is_array(v))
			return fail_scalar_list(cx, where, "a string", v);
		if (!json_is_string(v))
			return fail(cx, "%s must be a string, not %s", where, json_kind(v));
		return json_incref(v);
	case F_INT: {
		long long n;
		int rc;
		if (json_is_integer(v))
			return json_incref(v);
		if (!typed && json_is_array(v))
			return fail_scalar_list(cx, where, "an integer", v);
		if (typed || !s)
			return fail(cx, "%s must be an integer, not %s", where, json_kind(v));
		rc = parse_ll(s, &n);
		if (rc < 0)
			return fail(cx, "%s: '%s' is out of range", where, clip(cx, 1, s));
		if (rc == 0)
			return fail(cx, "%s: '%s' is not an integer", where, clip(cx, 1, s));
		return json_integer((json_int_t)n);
	}
	case F_BOOL:
		if (json_is_boolean(v))
			return json_incref(v);
		if (!typed && json_is_array(v))
			return fail_scalar_list(cx, where, "true or false", v);
		if (typed || !s)
			return fail(cx, "%s must be true or false, not %s", where, json_kind(v));
		switch (parse_bool(s)) {
		case 1:
			return json_true();
		case 0:
			return json_false();
		}
		return fail(cx, "%s: '%s' is not true or false", where, clip(cx, 1, s));
	case F_STRING_LIST: {
		if (!typed && s)
			return json_pack("[O]", v);
		if (!json_is_array(v))
			return fail(cx, "%s must be a list of strings, not %s", where,
			            json_kind(v));
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e))
				return fail(cx, "%s[%zu] must be a string, not %s", where, i,
				            json_kind(e));
		}
		return json_copy(v);
	}
	case F_STRUCT_LIST: {
		char at[PATH_LEN];
		if (!typed && json_is_object(v)) {
			snprintf(at, sizeof(at), "%.100s[0]", where);
			json_t *one = conv_struct(cx, f->elem, v, typed, at);
			return one ? json_pack("[o]", one) : NULL;
		}
		if (!json_is_array(v))
			return fail(cx, "%s must be a list of structures, not %s", where,
			            json_kind(v));
		json_t *out = json_array();
		size_t i;
		json_t *e;
		if (!out)
			return fail(cx, "out of memory");
		json_array_foreach(v, i, e)
		{
			snprintf(at, sizeof(at), "%.100s[%zu]", where, i);
			json_t *c = conv_struct(cx, f->elem, e, typed, at);
			if (!c) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, c);
		}
		return out;
	}
	}
	return fail(cx, "unsupported member %s", where);
}

/* Convert a structure: known keys only, rebuilt in the shape's order. where:
 * the structure's name in messages, "" at the top. */
static json_t *conv_struct(struct ctx *cx, const struct shape *sh, json_t *in, bool typed,
                           const char *where)
{
	const char *k;
	json_t *v;
	if (!json_is_object(in))
		return fail(cx, "%s%sexpected a structure, not %s", where, *where ? ": " : "",
		            json_kind(in));
	json_object_foreach(in, k, v)
	{
		size_t f = 0;
		while (f < sh->nfields && strcmp(sh->fields[f].name, k))
			f++;
		if (f < sh->nfields)
			continue;
		char allowed[200] = "";
		size_t len = 0;
		for (size_t j = 0; j < sh->nfields && len < sizeof(allowed); j++)
			len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s",
			                        j ? ", " : "", sh->fields[j].name);
		return fail(cx, "unknown key '%s'%s%s (allowed: %s)", clip(cx, 0, k),
		            *where ? " in " : "", where, allowed);
	}
	json_t *out = json_object();
	if (!out)
		return fail(cx, "out of memory");
	for (size_t f = 0; f < sh->nfields; f++) {
		const struct field *fd = &sh->fields[f];
		v = json_object_get(in, fd->name);
		if (!v)
			continue;
		char name[PATH_LEN];
		snprintf(name, sizeof(name), "%.100s%s%.24s", where, *where ? "." : "", fd->name);
		json_t *c = conv_field(cx, fd, v, typed, name);
		if (!c || json_object_set_new(out, fd->name, c) < 0) {
			json_decref(out);
			return c ? fail(cx, "out of memory") : NULL;
		}
	}
	return out;
}

/* ---- Words ---- */

/* The first non-blank character of a word. */
static char first_char(const char *w)
{
	while (is_ws((unsigned char)*w))
		w++;
	return *w;
}

static json_t *load_json(struct ctx *cx, const char *word)
{
	json_error_t jerr;
	json_t *v = json_loads(word, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return fail(cx, "invalid JSON at character %d: %s", jerr.position + 1,
		            clip(cx, 0, jerr.text));
	return v;
}

/* One structure: a JSON object or shorthand. */
static json_t *struct_word(struct ctx *cx, const struct shape *sh, const char *word, bool in_list)
{
	cx->word = word;
	char c = first_char(word);
	bool typed = c == '{';
	json_t *in;
	if (c == '[')
		return in_list ? fail(cx, "a JSON list must be the option's only value")
		               : fail(cx, "expected one structure, not a list");
	in = typed ? load_json(cx, word) : parse_shorthand(cx, word);
	if (!in)
		return NULL;
	json_t *out = conv_struct(cx, sh, in, typed, "");
	json_decref(in);
	return out;
}

/* A list of structures: one word that is a JSON list, or one structure per word. */
static json_t *struct_list(struct ctx *cx, const struct shape *sh, char *const *words, int nwords)
{
	json_t *out;
	if (nwords == 1 && first_char(words[0]) == '[') {
		cx->word = words[0];
		json_t *in = load_json(cx, words[0]);
		if (!in)
			return NULL;
		if (!json_is_array(in)) {
			json_decref(in);
			return fail(cx, "expected a JSON list");
		}
		out = json_array();
		size_t i;
		json_t *e;
		json_array_foreach(in, i, e)
		{
			char where[PATH_LEN];
			snprintf(where, sizeof(where), "[%zu]", i);
			json_t *c = out ? conv_struct(cx, sh, e, true, where) : NULL;
			if (!c || json_array_append_new(out, c) < 0) {
				if (out && c)
					fail(cx, "out of memory");
				json_decref(out);
				json_decref(in);
				return NULL;
			}
		}
		json_decref(in);
		return out;
	}
	out = json_array();
	if (!out)
		return fail(cx, "out of memory");
	for (int i = 0; i < nwords; i++) {
		json_t *c = struct_word(cx, sh, words[i], true);
		if (!c || json_array_append_new(out, c) < 0) {
			json_decref(out);
			return c ? fail(cx, "out of memory") : NULL;
		}
	}
	return out;
}

static json_t *string_list(struct ctx *cx, char *const *words, int nwords)
{
	json_t *out;
	if (nwords == 1 && first_char(words[0]) == '[') {
		cx->word = words[0];
		out = load_json(cx, words[0]);
		if (!out)
			return NULL;
		if (!json_is_array(out)) {
			json_decref(out);
			return fail(cx, "expected a JSON list");
		}
		size_t i;
		json_t *e;
		json_array_foreach(out, i, e)
		{
			if (!json_is_string(e)) {
				fail(cx, "element %zu must be a string, not %s", i, json_kind(e));
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	out = json_array();
	if (!out)
		return fail(cx, "out of memory");
	for (int i = 0; i < nwords; i++) {
		cx->word = words[i];
		json_t *s = string_or_fail(cx, words[i]);
		if (!s || json_array_append_new(out, s) < 0) {
			json_decref(out);
			return s ? fail(cx, "out of memory") : NULL;
		}
	}
	return out;
}

static json_t *scalar(struct ctx *cx, enum vx_ptype type, const char *word)
{
	long long n;
	int rc;
	cx->word = word;
	switch (type) {
	case VX_T_STRING:
		return string_or_fail(cx, word);
	case VX_T_INT:
		rc = parse_ll(word, &n);
		if (rc < 0)
			return fail(cx, "out of range");
		if (rc == 0)
			return fail(cx, NULL);
		return json_integer((json_int_t)n);
	case VX_T_BOOL:
		rc = parse_bool(word);
		if (rc < 0)
			return fail(cx, NULL);
		return json_boolean(rc);
	default:
		return fail(cx, "internal error: not a scalar type");
	}
}

json_t *vx_shorthand_parse(const char *option, enum vx_ptype type, char *const *words, int nwords,
                           struct vx_err *err)
{
	struct ctx cx = {.option = option ? option : "?", .err = err};
	bool list = false;
	const struct shape *sh = NULL;
	switch (type) {
	case VX_T_STRING:
		cx.syntax = "a string";
		break;
	case VX_T_INT:
		cx.syntax = "an integer";
		break;
	case VX_T_BOOL:
		cx.syntax = "true or false";
		break;
	case VX_T_STRING_LIST:
		cx.syntax = "one or more strings or a JSON list of strings";
		list = true;
		break;
	case VX_T_PORT_RANGE:
		cx.syntax = "FromPort=<int>,ToPort=<int> or JSON";
		sh = &port_range_shape;
		break;
	case VX_T_DEST_OPTIONS:
		cx.syntax = "FileFormat=<string>,HiveCompatiblePartitions=<true|false>,"
		            "PerHourPartition=<true|false> or JSON";
		sh = &dest_options_shape;
		break;
	case VX_T_FILTERS:
		cx.syntax = "Name=<string>,Values=<string>,<string>... or JSON";
		sh = &filter_shape;
		list = true;
		break;
	case VX_T_TAG_SPECS:
		cx.syntax =
		    "ResourceType=<string>,Tags=[{Key=<string>,Value=<string>},...] or JSON";
		sh = &tag_spec_shape;
		list = true;
		break;
	case VX_T_LB_TARGETS:
		cx.syntax = "Id=<address>,Port=<int> or JSON";
		sh = &lb_target_shape;
		list = true;
		break;
	case VX_T_IP_PERMISSIONS:
		cx.syntax = "IpProtocol=<string>,FromPort=<int>,ToPort=<int>,IpRanges=[{CidrIp=<cidr>}],"
		            "Ipv6Ranges=[{CidrIpv6=<cidr>}],UserIdGroupPairs=[{GroupId=<sg-id>}] or JSON";
		sh = &ip_permission_shape;
		list = true;
		break;
	case VX_T_ACL_PORT_RANGE:
		cx.syntax = "From=<int>,To=<int> or JSON";
		sh = &acl_port_range_shape;
		break;
	case VX_T_ICMP_TYPE_CODE:
		cx.syntax = "Type=<int>,Code=<int> or JSON";
		sh = &icmp_type_code_shape;
		break;
	default:
		cx.syntax = "a value";
		return fail(&cx, "internal error: unknown parameter type %d", (int)type);
	}

	if (nwords < 0 || (nwords > 0 && !words))
		return fail(&cx, "internal error: no words");
	for (int i = 0; i < nwords; i++)
		if (!words[i])
			return fail(&cx, "internal error: word %d is NULL", i);
	if (list && nwords < 1)
		return fail(&cx, "no value given");
	if (!list && nwords != 1)
		return nwords ? fail(&cx, "%d values given, one expected", nwords)
		              : fail(&cx, "no value given");

	if (type == VX_T_STRING_LIST)
		return string_list(&cx, words, nwords);
	if (list)
		return struct_list(&cx, sh, words, nwords);
	if (sh)
		return struct_word(&cx, sh, words[0], false);
	return scalar(&cx, type, words[0]);
}
