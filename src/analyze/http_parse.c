/* HTTP/1.x header block parser. A pure function over a byte range: every
 * read is checked against len, nothing relies on NUL termination, and the
 * fields it fills point into the caller's buffer. */
#include "vxtap/http.h"

#include <limits.h>
#include <string.h>

#define VX_HTTP_METHOD_MAX 16

static int is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int ieq(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	if (n != k)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return 0;
	return 1;
}

/* Compare s[0..n) with a prefix of lit. Returns 1 when s covers all of lit
 * and matches, 0 when s is a matching but shorter prefix, -1 on mismatch. */
static int match_prefix(const char *s, size_t n, const char *lit, size_t k)
{
	size_t m = n < k ? n : k;

	if (memcmp(s, lit, m) != 0)
		return -1;
	return n >= k ? 1 : 0;
}

/* "HTTP/1.x": returns 1 when complete, 0 on a valid prefix, -1 otherwise. */
static int version_at(const char *s, size_t n)
{
	int r = match_prefix(s, n, "HTTP/1.", 7);

	if (r <= 0)
		return r;
	if (n < 8)
		return 0;
	return is_digit((unsigned char)s[7]) ? 1 : -1;
}

static void set_str(struct vx_http_str *f, const char *p, size_t n)
{
	f->p = p;
	f->len = (uint32_t)n;
}

/* The status line, s[0..n) being the whole line (partial when !complete). */
static int status_line(const char *s, size_t n, int complete, struct vx_http_message *m)
{
	int r = version_at(s, n);

	if (r < 0)
		return -1;
	if (r == 0)
		return complete ? -1 : 0;
	if (n == 8)
		return complete ? -1 : 0;
	if (s[8] != ' ')
		return -1;
	unsigned status = 0;
	for (size_t i = 9; i < 12; i++) {
		if (i >= n)
			return complete ? -1 : 0;
		if (!is_digit((unsigned char)s[i]))
			return -1;
		status = status * 10 + (unsigned)(s[i] - '0');
	}
	if (status < 100)
		return -1;
	if (n > 12 && s[12] != ' ')
		return -1;
	if (!complete)
		return 0;
	m->kind = VX_HTTP_RESPONSE;
	set_str(&m->version, s, 8);
	m->status = (uint16_t)status;
	if (n > 13) {
		size_t e = n;
		while (e > 13 && is_ws((unsigned char)s[e - 1]))
			e--;
		set_str(&m->reason, s + 13, e - 13);
	}
	return 1;
}

/* The start line: 1 valid and complete, 0 valid prefix, -1 not HTTP. */
static int start_line(const char *s, size_t n, int complete, struct vx_http_message *m)
{
	size_t i = 0;

	while (i < n && i < VX_HTTP_METHOD_MAX && is_upper((unsigned char)s[i]))
		i++;
	if (i == n)
		return complete ? -1 : 0;
	if (i == 4 && s[i] == '/' && memcmp(s, "HTTP", 4) == 0)
		return status_line(s, n, complete, m);
	if (i == 0 || s[i] != ' ')
		return -1;
	size_t mlen = i++;
	size_t u = i;
	while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] != 0x7f)
		i++;
	if (i == n)
		return complete ? -1 : 0;
	if (i == u || s[i] != ' ')
		return -1;
	size_t ulen = i - u;
	i++;
	int r = version_at(s + i, n - i);
	if (r < 0)
		return -1;
	if (!complete)
		return (r == 1 && n - i > 8 && s[i + 8] != '\r') ? -1 : 0;
	if (r == 0 || n - i != 8)
		return -1;
	m->kind = VX_HTTP_REQUEST;
	set_str(&m->method, s, mlen);
	set_str(&m->uri, s + u, ulen);
	set_str(&m->version, s + i, 8);
	return 1;
}

/* Offset just past the first empty line at or after from (from indexes a
 * LF), or 0 when the block is not complete yet. */
static size_t block_end(const char *buf, size_t from, size_t len)
{
	for (size_t i = from; i < len; i++) {
		const char *lf = memchr(buf + i, '\n', len - i);
		if (!lf)
			return 0;
		i = (size_t)(lf - buf);
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int64_t parse_length(const char *s, size_t n)
{
	int64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

/* Transfer-Encoding is chunked when chunked is the last coding applied. */
static int last_coding_chunked(const char *s, size_t n)
{
	size_t b = n;

	while (b > 0 && s[b - 1] != ',')
		b--;
	while (b < n && is_ws((unsigned char)s[b]))
		b++;
	return ieq(s + b, n - b, "chunked");
}

static void header(struct vx_http_message *m, const char *s, size_t n, int *cl_seen)
{
	const char *colon = memchr(s, ':', n);

	if (!colon || colon == s)
		return;
	size_t nlen = (size_t)(colon - s);
	size_t vb = nlen + 1;
	size_t ve = n;
	while (vb < ve && is_ws((unsigned char)s[vb]))
		vb++;
	while (ve > vb && is_ws((unsigned char)s[ve - 1]))
		ve--;
	const char *v = s + vb;
	size_t vlen = ve - vb;

	switch (lower((unsigned char)s[0])) {
	case 'h':
		if (!m->host.p && ieq(s, nlen, "host"))
			set_str(&m->host, v, vlen);
		break;
	case 'u':
		if (!m->user_agent.p && ieq(s, nlen, "user-agent"))
			set_str(&m->user_agent, v, vlen);
		break;
	case 'c':
		if (!m->content_type.p && ieq(s, nlen, "content-type")) {
			set_str(&m->content_type, v, vlen);
		} else if (ieq(s, nlen, "content-length")) {
			int64_t cl = parse_length(v, vlen);
			/* Conflicting lengths make the framing unknowable. */
			if (*cl_seen && cl != m->content_length)
				cl = -1;
			m->content_length = cl;
			*cl_seen = 1;
		}
		break;
	case 't':
		if (ieq(s, nlen, "transfer-encoding"))
			m->chunked = last_coding_chunked(v, vlen);
		break;
	default:
		break;
	}
}

int vx_http_parse_head(const char *buf, size_t len, struct vx_http_message *m)
{
	memset(m, 0, sizeof(*m));
	m->content_length = -1;
	m->vni = VX_VNI_NONE;
	if (len > INT_MAX)
		len = INT_MAX;

	const char *lf = memchr(buf, '\n', len);
	if (!lf)
		return start_line(buf, len, 0, m) < 0 ? -1 : 0;
	size_t eol = (size_t)(lf - buf);
	size_t llen = eol;
	if (llen > 0 && buf[llen - 1] == '\r')
		llen--;
	if (start_line(buf, llen, 1, m) != 1)
		return -1;

	size_t end = block_end(buf, eol, len);
	if (end == 0)
		return 0;

	int cl_seen = 0;
	for (size_t pos = eol + 1; pos < end;) {
		const char *nl = memchr(buf + pos, '\n', end - pos);
		size_t next = nl ? (size_t)(nl - buf) + 1 : end;
		size_t e = nl ? (size_t)(nl - buf) : end;
		if (e > pos && buf[e - 1] == '\r')
			e--;
		/* Folded continuation lines carry nothing we report. */
		if (e > pos && !is_ws((unsigned char)buf[pos]))
			header(m, buf + pos, e - pos, &cl_seen);
		pos = next;
	}
	return (int)end;
}
