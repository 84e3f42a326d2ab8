/* out — a buffered text writer for log lines (dump, HTTP log, summary).
 * Appends go to a fixed buffer and reach the file descriptor in large
 * writes; nothing here allocates after vx_out_init().
 */
#ifndef VXTAP_OUT_H
#define VXTAP_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vxtap/decode.h"

struct vx_out {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
	uint64_t write_errors;
	int reader_gone; /* a write failed with EPIPE: nobody reads the output any more */
};

int vx_out_init(struct vx_out *o, int fd, size_t cap);
void vx_out_free(struct vx_out *o);
int vx_out_flush(struct vx_out *o);

/* Make room for n bytes; flushes when needed. */
void vx_out_reserve(struct vx_out *o, size_t n);
/* Slow path of vx_out_mem: n bytes that may not fit the buffer. */
void vx_out_mem_slow(struct vx_out *o, const void *p, size_t n);

/* Inline: log lines are built from many small appends. */
static inline void vx_out_mem(struct vx_out *o, const void *p, size_t n)
{
	if (n <= o->cap - o->len) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	} else {
		vx_out_mem_slow(o, p, n);
	}
}

static inline void vx_out_str(struct vx_out *o, const char *s)
{
	vx_out_mem(o, s, strlen(s));
}

static inline void vx_out_char(struct vx_out *o, char c)
{
	if (o->len == o->cap)
		vx_out_flush(o);
	o->buf[o->len++] = c;
}
void vx_out_u64(struct vx_out *o, uint64_t v);
/* A summary line: "name value\n". */
void vx_out_counter(struct vx_out *o, const char *name, uint64_t v);
void vx_out_i64(struct vx_out *o, int64_t v);
void vx_out_hex8(struct vx_out *o, uint8_t v);
void vx_out_printf(struct vx_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An address (family 4 or 6). */
void vx_out_addr(struct vx_out *o, const uint8_t *addr, int family);
/* "sec.usec" (or nsec when nanosecond is set). */
void vx_out_time(struct vx_out *o, const struct vx_time *t, int nanosecond);
/* A JSON string with quotes, escaping control characters, quote and backslash;
 * bytes that are not valid UTF-8 are written as \u00XX. */
void vx_out_json_str(struct vx_out *o, const char *s, size_t n);
/* Text for a log field: printable ASCII as is, anything else as \xHH. */
void vx_out_safe(struct vx_out *o, const char *s, size_t n);

#endif
