/* EC2 Query requests: the form parameters of a request, and the JSON
 * request they stand for.
 *
 * The SDKs flatten a request by the input shape (botocore's EC2Serializer):
 * a member is sent under its query name (vxtap/ec2_shapes.h), a list's
 * elements as NAME.1, NAME.2, …, a structure's members as NAME.MEMBER, a
 * boolean as true/false and a number as decimal text. Here the names are
 * walked down the same shapes to rebuild the request with the model's
 * member names and JSON types. Every byte is untrusted: the form's size,
 * its parameter count, name lengths and list indexes are bounded, and a
 * value is checked against its member's type before it reaches the control
 * plane. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vxtap/api.h"

/* ---- the form ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one name or value (len bytes) into a new NUL-terminated string;
 * *outlen gets its length. NULL on a bad %-escape (or no memory). */
static char *form_decode(const char *s, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+') {
			out[o++] = ' ';
		} else if (c == '%') {
			int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* The value shown in a message: at most 64 bytes, anything unprintable
 * as '?', so that the message stays readable and valid UTF-8. */
static void shown_value(char *out, size_t outlen, const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 4 < outlen && n < 64; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (len > 64 && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int quote_err(struct vx_err *err, const char *code, const char *what, const char *s,
		     size_t len)
{
	char shown[80];
	shown_value(shown, sizeof(shown), s, len);
	return vx_err_set(err, code, "%s: '%s'.", what, shown);
}

int vx_form_parse(struct vx_form *form, const char *text, size_t len, struct vx_err *err)
{
	size_t pos = 0;
	while (pos < len) {
		const char *seg = text + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t seglen = amp ? (size_t)(amp - seg) : len - pos;
		pos += seglen + (amp ? 1 : 0);
		if (!seglen)
			continue;
		const char *eq = memchr(seg, '=', seglen);
		size_t klen = eq ? (size_t)(eq - seg) : seglen;
		const char *val = eq ? eq + 1 : seg + seglen;
		size_t vlen = eq ? seglen - klen - 1 : 0;
		if (form->n >= VX_API_MAX_PARAMS)
			return vx_err_set(err, "InvalidQueryParameter",
					  "The request has more than %d parameters.", VX_API_MAX_PARAMS);
		if (!klen)
			return quote_err(err, "MalformedQueryString",
					 "A parameter has no name", seg, seglen);
		if (klen > 3 * VX_API_MAX_KEY)
			return quote_err(err, "MalformedQueryString", "A parameter name is too long",
					 seg, klen);
		size_t dklen, dvlen;
		char *key = form_decode(seg, klen, &dklen);
		if (!key)
			return quote_err(err, "MalformedQueryString",
					 "A parameter name has a bad %-escape", seg, klen);
		if (dklen > VX_API_MAX_KEY || strlen(key) != dklen) {
			int rc = quote_err(err, "MalformedQueryString",
					   dklen > VX_API_MAX_KEY ? "A parameter name is too long"
								  : "A parameter name holds a NUL",
					   seg, klen);
			free(key);
			return rc;
		}
		char *value = form_decode(val, vlen, &dvlen);
		if (!value) {
			free(key);
			return quote_err(err, "MalformedQueryString",
					 "A parameter value has a bad %-escape", seg, seglen);
		}
		if (form->n == form->cap) {
			size_t cap = form->cap ? form->cap * 2 : 16;
			struct vx_form_param *p = realloc(form->p, cap * sizeof(*p));
			if (!p) {
				free(key);
				free(value);
				return vx_err_set(err, "InternalFailure", "Out of memory.");
			}
			form->p = p;
			form->cap = cap;
		}
		form->p[form->n++] = (struct vx_form_param){key, value, dvlen};
	}
	return 0;
}

void vx_form_free(struct vx_form *form)
{
	for (size_t i = 0; i < form->n; i++) {
		free(form->p[i].key);
		free(form->p[i].value);
	}
	free(form->p);
	*form = (struct vx_form){0};
}

const struct vx_form_param *vx_form_get(const struct vx_form *form, const char *key, size_t *count)
{
	const struct vx_form_param *found = NULL;
	size_t n = 0;
	for (size_t i = 0; i < form->n; i++)
		if (!strcmp(form->p[i].key, key)) {
			if (!found)
				found = &form->p[i];
			n++;
		}
	if (count)
		*count = n;
	return found;
}

bool vx_query_is_protocol_param(const char *key)
{
	return !strcmp(key, "Action") || !strcmp(key, "Version") || !strncmp(key, "X-Amz-", 6);
}

/* ---- the JSON request ---- */

static const struct vx_ec2_member *find_member(const struct vx_ec2_shape *sh, const char *query,
					       size_t len)
{
	for (size_t i = 0; i < sh->n_members; i++) {
		const char *q = sh->members[i].query;
		if (strlen(q) == len && !memcmp(q, query, len))
			return &sh->members[i];
	}
	return NULL;
}

static bool is_scalar(enum vx_ec2_type t)
{
	return t != VX_EC2_STRUCTURE && t != VX_EC2_LIST;
}

/* As the control plane words a value of the wrong type (invoke.c). */
static json_t *bad_value(struct vx_err *err, const char *key, const char *v, size_t len,
			 const char *expected)
{
	char shown[80];
	shown_value(shown, sizeof(shown), v, len);
	vx_err_set(err, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected %s.",
		   shown, key, expected);
	return NULL;
}

/* The value of one parameter as its member's JSON type, or NULL with err. */
static json_t *scalar_value(const struct vx_ec2_shape *sh, const char *key,
			    const struct vx_form_param *p, struct vx_err *err)
{
	const char *v = p->value;
	size_t len = p->value_len;
	if (memchr(v, '\0', len))
		return bad_value(err, key, v, len, "text without NUL characters");
	switch (sh->type) {
	case VX_EC2_INTEGER:
	case VX_EC2_LONG: {
		bool ok = len > 0 && len < 24 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'));
		long long n = 0;
		if (ok) {
			char *end;
			errno = 0;
			n = strtoll(v, &end, 10);
			ok = !errno && end != v && !*end;
		}
		if (ok && sh->type == VX_EC2_INTEGER && (n < INT_MIN || n > INT_MAX))
			ok = false;
		if (!ok)
			return bad_value(err, key, v, len,
					 sh->type == VX_EC2_INTEGER ? "a 32-bit integer" : "an integer");
		return json_integer(n);
	}
	case VX_EC2_BOOLEAN:
		if (!strcasecmp(v, "true"))
			return json_true();
		if (!strcasecmp(v, "false"))
			return json_false();
		return bad_value(err, key, v, len, "true or false");
	case VX_EC2_DOUBLE: {
		bool ok = len > 0 && len < 64;
		double d = 0;
		if (ok) {
			char *end;
			errno = 0;
			d = strtod(v, &end);
			ok = !errno && end != v && !*end && isfinite(d);
		}
		return ok ? json_real(d) : bad_value(err, key, v, len, "a number");
	}
	default: {
		json_t *s = json_stringn(v, len);
		return s ? s : bad_value(err, key, v, len, "UTF-8 text");
	}
	}
}

static int given_twice(struct vx_err *err, const char *key)
{
	return vx_err_set(err, "InvalidParameter",
			  "The parameter %s is given more than once, or both with a value and "
			  "with members.",
			  key);
}

/* Place one parameter in the tree. Lists are built as objects keyed by the
 * element's index ("1", "2", …) and made arrays by finish(). */
static int place(json_t *root, const struct vx_ec2_shape *input, const struct vx_form_param *p,
		 struct vx_err *err)
{
	const char *key = p->key;
	const struct vx_ec2_shape *sh = input;
	json_t *node = root;
	const char *seg = key;
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
		bool last = !dot;
		const struct vx_ec2_shape *child;
		char slot[24];
		const char *name;
		if (sh->type == VX_EC2_STRUCTURE) {
			const struct vx_ec2_member *m = find_member(sh, seg, len);
			if (!m)
				return vx_err_set(err, "UnknownParameter",
						  "The parameter %s is not recognized.", key);
			child = &vx_ec2_shapes[m->shape];
			name = m->name;
		} else { /* a list: the segment is the element's index */
			unsigned long idx = 0;
			bool ok = len > 0 && len <= 5 && seg[0] != '0';
			for (size_t i = 0; ok && i < len; i++) {
				ok = seg[i] >= '0' && seg[i] <= '9';
				idx = idx * 10 + (unsigned long)(seg[i] - '0');
			}
			if (!ok || idx < 1 || idx > VX_API_MAX_LIST_INDEX)
				return vx_err_set(err, "InvalidParameter",
						  "The parameter %s is not valid: a list element "
						  "is named by its index, 1-%d.",
						  key, VX_API_MAX_LIST_INDEX);
			snprintf(slot, sizeof(slot), "%lu", idx);
			child = &vx_ec2_shapes[sh->member];
			name = slot;
		}
		json_t *existing = json_object_get(node, name);
		if (last) {
			if (existing)
				return given_twice(err, key);
			json_t *v;
			if (is_scalar(child->type)) {
				v = scalar_value(child, key, p, err);
			} else if (child->type == VX_EC2_LIST && p->value_len == 0) {
				/* NAME= is an empty list (the query protocol's form). */
				v = json_object();
			} else {
				vx_err_set(err, "InvalidParameter",
					   "The parameter %s takes members (%s.%s), not a value.",
					   key, key,
					   child->type == VX_EC2_LIST ? "1" : "Member");
				return -1;
			}
			if (!v)
				return -1;
			json_object_set_new(node, name, v);
			return 0;
		}
		if (is_scalar(child->type))
			return vx_err_set(err, "UnknownParameter",
					  "The parameter %s is not recognized.", key);
		if (!existing) {
			existing = json_object();
			json_object_set_new(node, name, existing);
		}
		node = existing;
		sh = child;
		seg = dot + 1;
	}
}

struct index_entry {
	unsigned long idx;
	json_t *v;
};

static int by_index(const void *a, const void *b)
{
	const struct index_entry *x = a, *y = b;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Turn the tree's list objects into arrays, in index order. */
static json_t *finish(json_t *node, const struct vx_ec2_shape *sh)
{
	if (sh->type == VX_EC2_STRUCTURE) {
		json_t *out = json_object();
		/* In the model's member order, as the control plane prints. */
		for (size_t i = 0; i < sh->n_members; i++) {
			json_t *v = json_object_get(node, sh->members[i].name);
			if (v)
				json_object_set_new(out, sh->members[i].name,
						    finish(v, &vx_ec2_shapes[sh->members[i].shape]));
		}
		return out;
	}
	if (sh->type == VX_EC2_LIST) {
		size_t n = json_object_size(node);
		struct index_entry *e = n ? malloc(n * sizeof(*e)) : NULL;
		json_t *arr = json_array();
		if (n && !e)
			return arr;
		size_t i = 0;
		const char *k;
		json_t *v;
		json_object_foreach(node, k, v) e[i++] = (struct index_entry){strtoul(k, NULL, 10), v};
		if (n)
			qsort(e, n, sizeof(*e), by_index);
		for (i = 0; i < n; i++)
			json_array_append_new(arr, finish(e[i].v, &vx_ec2_shapes[sh->member]));
		free(e);
		return arr;
	}
	return json_incref(node);
}

json_t *vx_query_request(const struct vx_ec2_operation *op, const struct vx_form *form,
			 struct vx_err *err)
{
	if (op->input < 0) {
		for (size_t i = 0; i < form->n; i++)
			if (!vx_query_is_protocol_param(form->p[i].key)) {
				vx_err_set(err, "UnknownParameter", "The parameter %s is not recognized.",
					   form->p[i].key);
				return NULL;
			}
		return json_object();
	}
	const struct vx_ec2_shape *input = &vx_ec2_shapes[op->input];
	json_t *tree = json_object();
	for (size_t i = 0; i < form->n; i++) {
		if (vx_query_is_protocol_param(form->p[i].key))
			continue;
		if (place(tree, input, &form->p[i], err) < 0) {
			json_decref(tree);
			return NULL;
		}
	}
	json_t *req = finish(tree, input);
	json_decref(tree);
	return req;
}
