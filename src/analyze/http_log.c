/* HTTP log lines: one per request or response, as text or JSON. */
#include "vxtap/http.h"
#include "vxtap/out.h"

static void out_endpoint(struct vx_out *o, const uint8_t *addr, int family, uint16_t port)
{
	if (family == 6)
		vx_out_char(o, '[');
	vx_out_addr(o, addr, family);
	if (family == 6)
		vx_out_char(o, ']');
	vx_out_char(o, ':');
	vx_out_u64(o, port);
}

static void text_str(struct vx_out *o, const char *name, const struct vx_http_str *s)
{
	vx_out_char(o, ' ');
	vx_out_str(o, name);
	vx_out_char(o, '=');
	if (!s->len) {
		vx_out_char(o, '-');
		return;
	}
	vx_out_char(o, '"');
	vx_out_safe(o, s->p, s->len);
	vx_out_char(o, '"');
}

static void text_bare(struct vx_out *o, const struct vx_http_str *s)
{
	vx_out_char(o, ' ');
	if (s->len)
		vx_out_safe(o, s->p, s->len);
	else
		vx_out_char(o, '-');
}

void vx_http_log_text(struct vx_out *o, const struct vx_http_message *m, int nanosecond)
{
	const struct vx_flow_key *k = &m->key;

	vx_out_time(o, &m->ts, nanosecond);
	vx_out_str(o, " vni=");
	if (m->vni == VX_VNI_NONE)
		vx_out_char(o, '-');
	else
		vx_out_u64(o, m->vni);
	vx_out_char(o, ' ');
	out_endpoint(o, k->src, k->family, k->sport);
	vx_out_str(o, " > ");
	out_endpoint(o, k->dst, k->family, k->dport);
	if (m->kind == VX_HTTP_REQUEST) {
		vx_out_str(o, " request");
		text_bare(o, &m->method);
		text_bare(o, &m->uri);
		text_bare(o, &m->version);
		text_str(o, "host", &m->host);
		text_str(o, "user_agent", &m->user_agent);
	} else {
		vx_out_str(o, " response");
		text_bare(o, &m->version);
		vx_out_char(o, ' ');
		vx_out_u64(o, m->status);
		text_str(o, "reason", &m->reason);
	}
	text_str(o, "content_type", &m->content_type);
	vx_out_str(o, " content_length=");
	if (m->content_length < 0)
		vx_out_char(o, '-');
	else
		vx_out_i64(o, m->content_length);
	vx_out_char(o, '\n');
}

static void json_key(struct vx_out *o, const char *key)
{
	vx_out_str(o, ",\"");
	vx_out_str(o, key);
	vx_out_str(o, "\":");
}

static void json_str(struct vx_out *o, const char *key, const struct vx_http_str *s)
{
	json_key(o, key);
	if (s->len)
		vx_out_json_str(o, s->p, s->len);
	else
		vx_out_str(o, "null");
}

static void json_addr(struct vx_out *o, const char *key, const uint8_t *addr, int family)
{
	json_key(o, key);
	vx_out_char(o, '"');
	vx_out_addr(o, addr, family);
	vx_out_char(o, '"');
}

void vx_http_log_json(struct vx_out *o, const struct vx_http_message *m, int nanosecond)
{
	const struct vx_flow_key *k = &m->key;
	int req = m->kind == VX_HTTP_REQUEST;

	vx_out_str(o, "{\"ts\":");
	vx_out_time(o, &m->ts, nanosecond);
	json_key(o, "vni");
	if (m->vni == VX_VNI_NONE)
		vx_out_str(o, "null");
	else
		vx_out_u64(o, m->vni);
	json_addr(o, "src", k->src, k->family);
	json_key(o, "sport");
	vx_out_u64(o, k->sport);
	json_addr(o, "dst", k->dst, k->family);
	json_key(o, "dport");
	vx_out_u64(o, k->dport);
	json_key(o, "type");
	vx_out_str(o, req ? "\"request\"" : "\"response\"");
	json_str(o, "method", &m->method);
	json_str(o, "uri", &m->uri);
	json_str(o, "version", &m->version);
	json_key(o, "status");
	if (req)
		vx_out_str(o, "null");
	else
		vx_out_u64(o, m->status);
	json_str(o, "reason", &m->reason);
	json_str(o, "host", &m->host);
	json_str(o, "user_agent", &m->user_agent);
	json_str(o, "content_type", &m->content_type);
	json_key(o, "content_length");
	if (m->content_length < 0)
		vx_out_str(o, "null");
	else
		vx_out_i64(o, m->content_length);
	vx_out_str(o, "}\n");
}
