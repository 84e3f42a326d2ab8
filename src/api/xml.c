/* EC2 Query responses: a JSON response written as EC2's XML by the
 * operation's output shape, and errors as EC2's <Response><Errors>.
 *
 * botocore (parsers.py, EC2QueryParser) reads a member from the element
 * named by its locationName, a list from the children of its element
 * whatever their name, a boolean from true/false and a timestamp from ISO
 * 8601 text. Text is escaped, and made valid XML 1.0 whatever it holds:
 * bytes that are not UTF-8 and characters XML cannot carry (C0 controls
 * other than tab, newline and carriage return) become U+FFFD. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/api.h"
#include "vxtap/strbuf.h"

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), 0
 * if there is none; *allowed says whether XML 1.0 may carry its character
 * (not U+FFFE, U+FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n, bool *allowed)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	*allowed = true;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	unsigned cp = c & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*allowed = cp != 0xfffe && cp != 0xffff;
	return len;
}

static void put_text(struct vx_strbuf *b, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, run = 0; /* bytes [i - run, i) are copied as they are */
	while (i < n) {
		unsigned char c = s[i];
		const char *rep = NULL;
		size_t adv = 1;
		bool allowed = true;
		if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '&')
			rep = "&amp;";
		else if (c == '\r') /* a parser would turn a bare CR into LF */
			rep = "&#13;";
		else if (c < 0x20 && c != '\t' && c != '\n')
			rep = "\xef\xbf\xbd";
		else if (c >= 0x80) {
			adv = utf8_len(s + i, n - i, &allowed);
			if (!adv || !allowed)
				rep = "\xef\xbf\xbd";
			if (!adv)
				adv = 1; /* one U+FFFD per byte that is not UTF-8 */
		}
		if (rep) {
			vx_strbuf_put(b, text + i - run, run);
			run = 0;
			vx_strbuf_puts(b, rep);
		} else {
			run += adv;
		}
		i += adv;
	}
	vx_strbuf_put(b, text + n - run, run);
}

static void open_tag(struct vx_strbuf *b, const char *name)
{
	vx_strbuf_puts(b, "<");
	vx_strbuf_puts(b, name);
	vx_strbuf_puts(b, ">");
}

static void close_tag(struct vx_strbuf *b, const char *name)
{
	vx_strbuf_puts(b, "</");
	vx_strbuf_puts(b, name);
	vx_strbuf_puts(b, ">");
}

/* 2026-11-25T11:29:03.194000+00:00 (the control plane's form, the AWS CLI
 * v2's) as EC2 sends it: 2026-11-25T11:29:03.194Z. Anything else as it is. */
static void put_timestamp(struct vx_strbuf *b, const char *t)
{
	size_t n = strlen(t);
	if (n == 32 && t[10] == 'T' && t[19] == '.' && !strcmp(t + 26, "+00:00")) {
		char out[32];
		memcpy(out, t, 23);
		memcpy(out + 23, "Z", 2);
		put_text(b, out, strlen(out));
		return;
	}
	put_text(b, t, n);
}

static void put_value(struct vx_strbuf *b, const json_t *v, const struct vx_ec2_shape *sh, int depth);

static void put_member(struct vx_strbuf *b, const char *name, const json_t *v,
		       const struct vx_ec2_shape *sh, int depth)
{
	open_tag(b, name);
	put_value(b, v, sh, depth + 1);
	close_tag(b, name);
}

static bool fits(const json_t *v, enum vx_ec2_type t)
{
	switch (t) {
	case VX_EC2_STRUCTURE:
		return json_is_object(v);
	case VX_EC2_LIST:
		return json_is_array(v);
	case VX_EC2_INTEGER:
	case VX_EC2_LONG:
		return json_is_integer(v);
	case VX_EC2_BOOLEAN:
		return json_is_boolean(v);
	case VX_EC2_DOUBLE:
		return json_is_number(v);
	case VX_EC2_STRING:
	case VX_EC2_TIMESTAMP:
		return json_is_string(v) || json_is_number(v);
	}
	return false;
}

static void put_value(struct vx_strbuf *b, const json_t *v, const struct vx_ec2_shape *sh, int depth)
{
	char num[64];
	if (depth > 64) /* the model's shapes are far shallower */
		return;
	switch (sh->type) {
	case VX_EC2_STRUCTURE:
		for (size_t i = 0; i < sh->n_members; i++) {
			const struct vx_ec2_member *m = &sh->members[i];
			const struct vx_ec2_shape *ms = &vx_ec2_shapes[m->shape];
			json_t *mv = json_object_get(v, m->name);
			if (mv && fits(mv, ms->type))
				put_member(b, m->xml, mv, ms, depth);
		}
		return;
	case VX_EC2_LIST: {
		const struct vx_ec2_shape *es = &vx_ec2_shapes[sh->member];
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) if (fits(e, es->type)) put_member(b, sh->item, e, es, depth);
		return;
	}
	case VX_EC2_BOOLEAN:
		vx_strbuf_puts(b, json_is_true(v) ? "true" : "false");
		return;
	case VX_EC2_INTEGER:
	case VX_EC2_LONG:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		vx_strbuf_puts(b, num);
		return;
	case VX_EC2_DOUBLE:
		snprintf(num, sizeof(num), "%.17g", json_number_value(v));
		vx_strbuf_puts(b, num);
		return;
	case VX_EC2_STRING:
	case VX_EC2_TIMESTAMP:
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			vx_strbuf_puts(b, num);
		} else if (json_is_real(v)) {
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
			vx_strbuf_puts(b, num);
		} else if (sh->type == VX_EC2_TIMESTAMP) {
			put_timestamp(b, json_string_value(v));
		} else {
			put_text(b, json_string_value(v), json_string_length(v));
		}
		return;
	}
}

static char *finish(struct vx_strbuf *b, size_t *len)
{
	if (b->bad) {
		free(b->p);
		return NULL;
	}
	if (len)
		*len = b->len;
	return b->p;
}

char *vx_xml_response(const struct vx_ec2_operation *op, const json_t *resp,
		      const char *request_id, size_t *len)
{
	struct vx_strbuf b = {0};
	vx_strbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
	vx_strbuf_puts(&b, op->name);
	vx_strbuf_puts(&b, "Response xmlns=\"" VX_API_NAMESPACE "\">\n    <requestId>");
	put_text(&b, request_id, strlen(request_id));
	vx_strbuf_puts(&b, "</requestId>");
	if (op->output >= 0 && json_is_object(resp))
		put_value(&b, resp, &vx_ec2_shapes[op->output], 0);
	else if (op->output < 0)
		vx_strbuf_puts(&b, "<return>true</return>");
	vx_strbuf_puts(&b, "\n</");
	vx_strbuf_puts(&b, op->name);
	vx_strbuf_puts(&b, "Response>\n");
	return finish(&b, len);
}

char *vx_xml_error(const char *code, const char *message, const char *request_id, size_t *len)
{
	struct vx_strbuf b = {0};
	vx_strbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<Response><Errors><Error><Code>");
	put_text(&b, code, strlen(code));
	vx_strbuf_puts(&b, "</Code><Message>");
	put_text(&b, message, strlen(message));
	vx_strbuf_puts(&b, "</Message></Error></Errors><RequestID>");
	put_text(&b, request_id, strlen(request_id));
	vx_strbuf_puts(&b, "</RequestID></Response>\n");
	return finish(&b, len);
}

unsigned vx_api_error_status(const char *code)
{
	static const struct {
		const char *code;
		unsigned status;
	} map[] = {
		{"DryRunOperation", 412},
		{"AuthFailure", 401},
		{"IncompleteSignature", 400},
		{"MissingAuthenticationToken", 403},
		{"InvalidClientTokenId", 403},
		{"SignatureDoesNotMatch", 403},
		{"UnauthorizedOperation", 403},
		{"RequestExpired", 400},
		{"RequestLimitExceeded", 503},
		{"ServiceUnavailable", 503},
		{"Unavailable", 503},
		{"InternalError", 500},
		{"InternalFailure", 500},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].code, code))
			return map[i].status;
	return 400;
}
