/* source — the dispatch shared by the file, UDP and live sources, and the
 * mapping from libpcap link types to ours. */
#include "source_internal.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vx_source_init(struct vx_source *s, const struct vx_source_ops *ops, enum vx_source_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->kind = kind;
}

void vx_source_seterr(struct vx_source *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

int vx_arena_init(struct vx_arena *a, size_t size)
{
	a->buf = malloc(size);
	a->size = a->buf ? size : 0;
	a->used = 0;
	return a->buf ? 0 : -1;
}

void vx_arena_free(struct vx_arena *a)
{
	free(a->buf);
	a->buf = NULL;
	a->size = a->used = 0;
}

const uint8_t *vx_arena_copy(struct vx_arena *a, const void *p, size_t n)
{
	uint8_t *dst;

	if (n > a->size - a->used)
		return NULL;
	dst = a->buf + a->used;
	if (n)
		memcpy(dst, p, n);
	/* Keep every frame 8-byte aligned so decoders see the same alignment
	 * as with a fresh buffer. */
	a->used += (n + 7) & ~(size_t)7;
	if (a->used > a->size)
		a->used = a->size;
	return dst;
}

const char *vx_dlt_name(int dlt)
{
	const char *name = pcap_datalink_val_to_name(dlt);

	return name ? name : "unknown";
}

int vx_link_from_dlt(int dlt)
{
	switch (dlt) {
	case 1: /* DLT_EN10MB */
		return VX_LINK_ETHERNET;
	case 0:   /* DLT_NULL */
	case 108: /* DLT_LOOP (Linux value) */
		return VX_LINK_NULL;
	case 12:  /* DLT_RAW on most systems */
	case 14:  /* DLT_RAW on OpenBSD */
	case 101: /* LINKTYPE_RAW, as written in files */
		return VX_LINK_RAW;
	case 113: /* DLT_LINUX_SLL */
		return VX_LINK_SLL;
	default:
		return -1;
	}
}

int vx_source_next(struct vx_source *s, struct vx_frame *frames, int max, int timeout_ms)
{
	int n;

	if (max <= 0) {
		vx_source_seterr(s, "vx_source_next: max must be positive, got %d", max);
		return VX_SOURCE_ERROR;
	}
	n = s->ops->next(s, frames, max, timeout_ms);
	if (n > 0) {
		uint64_t bytes = 0;

		for (int i = 0; i < n; i++)
			bytes += frames[i].caplen;
		s->stats.frames += (uint64_t)n;
		s->stats.bytes += bytes;
	}
	return n;
}

enum vx_link vx_source_link(const struct vx_source *s)
{
	return s->link;
}

enum vx_source_kind vx_source_kind(const struct vx_source *s)
{
	return s->kind;
}

int vx_source_streaming(const struct vx_source *s)
{
	return s->kind != VX_SOURCE_FILE || s->streaming;
}

int vx_source_nanosecond(const struct vx_source *s)
{
	return s->nanosecond;
}

const char *vx_source_error(const struct vx_source *s)
{
	return s->err;
}

void vx_source_stats(struct vx_source *s, struct vx_source_stats *out)
{
	if (s->ops->stats)
		s->ops->stats(s);
	*out = s->stats;
}

void vx_source_close(struct vx_source *s)
{
	if (s)
		s->ops->close(s);
}

int vx_source_wait(struct vx_source *s, int fd, int timeout_ms, const char *what)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int rc;

	if (timeout_ms == 0)
		return VX_SOURCE_TIMEOUT;
	rc = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	if (rc == 0 || (rc < 0 && errno == EINTR))
		return VX_SOURCE_TIMEOUT;
	if (rc < 0) {
		vx_source_seterr(s, "%s: poll: %s", what, strerror(errno));
		return VX_SOURCE_ERROR;
	}
	return 0;
}
