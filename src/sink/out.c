/* Buffered text output: log lines are appended to one buffer and written in
 * large chunks, so printing a line costs no syscall. */
#include "vxtap/out.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vx_out_init(struct vx_out *o, int fd, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->cap = cap < 4096 ? 4096 : cap;
	o->buf = malloc(o->cap);
	return o->buf ? 0 : -ENOMEM;
}

void vx_out_free(struct vx_out *o)
{
	vx_out_flush(o);
	free(o->buf);
	o->buf = NULL;
}

int vx_out_flush(struct vx_out *o)
{
	size_t done = 0;
	int rc = 0;

	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A closed pipe or full disk must not stop the data path:
			 * count it and drop the buffered text. */
			o->write_errors++;
			if (errno == EPIPE)
				o->reader_gone = 1;
			rc = -errno;
			break;
		}
		done += (size_t)n;
	}
	o->len = 0;
	return rc;
}

void vx_out_reserve(struct vx_out *o, size_t n)
{
	if (o->cap - o->len < n)
		vx_out_flush(o);
}

void vx_out_mem_slow(struct vx_out *o, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		if (o->len == o->cap)
			vx_out_flush(o);
		size_t room = o->cap - o->len;
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void vx_out_counter(struct vx_out *o, const char *name, uint64_t v)
{
	vx_out_str(o, name);
	vx_out_char(o, ' ');
	vx_out_u64(o, v);
	vx_out_char(o, '\n');
}

void vx_out_u64(struct vx_out *o, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	vx_out_mem(o, tmp + i, sizeof(tmp) - i);
}

void vx_out_i64(struct vx_out *o, int64_t v)
{
	if (v < 0) {
		vx_out_char(o, '-');
		vx_out_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		vx_out_u64(o, (uint64_t)v);
	}
}

static const char hexdigits[] = "0123456789abcdef";

void vx_out_hex8(struct vx_out *o, uint8_t v)
{
	char t[2] = {hexdigits[v >> 4], hexdigits[v & 15]};
	vx_out_mem(o, t, 2);
}

void vx_out_printf(struct vx_out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	vx_out_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void vx_out_addr(struct vx_out *o, const uint8_t *addr, int family)
{
	char tmp[64];
	vx_out_mem(o, tmp, vx_addr_format(tmp, sizeof(tmp), addr, family));
}

void vx_out_time(struct vx_out *o, const struct vx_time *t, int nanosecond)
{
	char frac[9];
	uint32_t v = nanosecond ? t->nsec : t->nsec / 1000;
	int digits = nanosecond ? 9 : 6;

	vx_out_i64(o, t->sec);
	vx_out_char(o, '.');
	for (int i = digits - 1; i >= 0; i--) {
		frac[i] = (char)('0' + v % 10);
		v /= 10;
	}
	vx_out_mem(o, frac, (size_t)digits);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t min;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

void vx_out_json_str(struct vx_out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	vx_out_char(o, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c == '"' || c == '\\') {
			vx_out_char(o, '\\');
			vx_out_char(o, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			vx_out_str(o, "\\u00");
			vx_out_hex8(o, c);
			i++;
		} else {
			size_t k = utf8_len(u + i, n - i);
			if (k == 0) {
				/* Not UTF-8: keep the byte visible rather than emit
				 * invalid JSON. */
				vx_out_str(o, "\\u00");
				vx_out_hex8(o, c);
				i++;
			} else {
				vx_out_mem(o, u + i, k);
				i += k;
			}
		}
	}
	vx_out_char(o, '"');
}

static inline int safe_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void vx_out_safe(struct vx_out *o, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		/* Copy each run of plain characters at once. */
		size_t run = i;
		while (run < n && safe_char((unsigned char)s[run]))
			run++;
		vx_out_mem(o, s + i, run - i);
		if (run == n)
			break;
		vx_out_str(o, "\\x");
		vx_out_hex8(o, (uint8_t)s[run]);
		i = run + 1;
	}
}
