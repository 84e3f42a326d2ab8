/* strbuf — a growing NUL-terminated string for building text (XML
 * answers, metrics, canonical requests), with an optional size limit.
 * Not for the packet path: it allocates.
 *
 * A failure (out of memory, or the limit passed) is sticky: later appends
 * do nothing, and vx_strbuf_take() gives NULL. */
#ifndef VXTAP_STRBUF_H
#define VXTAP_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct vx_strbuf {
	char *p;
	size_t len, cap;
	size_t limit; /* most bytes it may hold; 0: no limit */
	bool bad;
};

void vx_strbuf_put(struct vx_strbuf *b, const char *s, size_t n);
void vx_strbuf_puts(struct vx_strbuf *b, const char *s);
void vx_strbuf_putc(struct vx_strbuf *b, char c);
/* printf-style, up to 255 bytes per call (longer output is a failure). */
__attribute__((format(printf, 2, 3))) void vx_strbuf_printf(struct vx_strbuf *b,
							    const char *fmt, ...);
/* The string (the caller frees it; "" when nothing was appended), or NULL
 * (freed) after a failure. */
char *vx_strbuf_take(struct vx_strbuf *b, size_t *len);

#endif
