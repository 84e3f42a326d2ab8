/* A growing string (see vxtap/strbuf.h). */
#include "vxtap/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vx_strbuf_put(struct vx_strbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->limit && n > b->limit - b->len) {
		b->bad = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->bad = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void vx_strbuf_puts(struct vx_strbuf *b, const char *s)
{
	vx_strbuf_put(b, s, strlen(s));
}

void vx_strbuf_putc(struct vx_strbuf *b, char c)
{
	vx_strbuf_put(b, &c, 1);
}

void vx_strbuf_printf(struct vx_strbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->bad = true;
	else
		vx_strbuf_put(b, tmp, (size_t)n);
}

char *vx_strbuf_take(struct vx_strbuf *b, size_t *len)
{
	if (b->bad) {
		free(b->p);
		b->p = NULL;
		if (len)
			*len = 0;
		return NULL;
	}
	char *p = b->p ? b->p : strdup(""); /* nothing appended: an empty string */
	if (len)
		*len = b->len;
	b->p = NULL;
	return p;
}
