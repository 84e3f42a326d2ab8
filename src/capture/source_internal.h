/* source_internal — what the file, UDP and live sources share with the
 * dispatch in source.c. Not part of the public API. */
#ifndef VXTAP_SOURCE_INTERNAL_H
#define VXTAP_SOURCE_INTERNAL_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "vxtap/source.h"

#define VX_SOURCE_ERRLEN 512

struct vx_source_ops {
	int (*next)(struct vx_source *s, struct vx_frame *frames, int max, int timeout_ms);
	/* Refresh counters only the backend knows (kernel drops); may be NULL. */
	void (*stats)(struct vx_source *s);
	void (*close)(struct vx_source *s);
};

/* Every backend embeds this as its first member. */
struct vx_source {
	const struct vx_source_ops *ops;
	enum vx_source_kind kind;
	enum vx_link link;
	int nanosecond;
	int streaming; /* a file read from a pipe or stdin (see vx_source_streaming) */
	struct vx_source_stats stats;
	char err[VX_SOURCE_ERRLEN];
};

void vx_source_init(struct vx_source *s, const struct vx_source_ops *ops, enum vx_source_kind kind);
void vx_source_seterr(struct vx_source *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Wait up to timeout_ms (negative: no limit, 0: not at all) for fd to be
 * readable. Returns 0 when it is, VX_SOURCE_TIMEOUT (also when a signal
 * interrupted the wait), or VX_SOURCE_ERROR with "<what>: poll: ..." set. */
int vx_source_wait(struct vx_source *s, int fd, int timeout_ms, const char *what);

/* A copy arena for backends whose library reuses its packet buffer: frames of
 * one batch are copied into it; vx_arena_reset() at the start of each batch. */
struct vx_arena {
	uint8_t *buf;
	size_t size;
	size_t used;
};

int vx_arena_init(struct vx_arena *a, size_t size);
void vx_arena_free(struct vx_arena *a);
static inline void vx_arena_reset(struct vx_arena *a)
{
	a->used = 0;
}
/* Copy n bytes in; NULL when they do not fit. */
const uint8_t *vx_arena_copy(struct vx_arena *a, const void *p, size_t n);

/* A timestamp with the fraction carried into the seconds, so that a corrupt
 * fraction (negative, or a second or more) still gives nsec < 10^9. */
static inline struct vx_time vx_time_make(int64_t sec, int64_t nsec)
{
	struct vx_time t;

	if (nsec < 0 || nsec >= 1000000000) {
		int64_t carry = nsec / 1000000000 - (nsec % 1000000000 < 0);

		sec += carry;
		nsec -= carry * 1000000000;
	}
	t.sec = sec;
	t.nsec = (uint32_t)nsec;
	return t;
}

/* Name of a DLT for messages ("unknown" when libpcap has none). */
const char *vx_dlt_name(int dlt);

/* A sliding read-only window over a regular file (filemap.c). */
#define VX_FILEMAP_WINDOW (32u << 20)
#define VX_FILEMAP_ALIGN  (2u << 20)

struct vx_filemap {
	int fd;
	uint8_t *map; /* the window, or NULL */
	size_t map_len;
	uint64_t map_off; /* file offset of map[0] */
	int slot;         /* in the SIGBUS guard */
	/* Set by the guard: the file became shorter than a mapped page, whose
	 * bytes now read as zeros. */
	volatile sig_atomic_t cut;
};

/* Start on fd (not owned). Returns -1 when the file cannot be guarded
 * against shrinking: read it some other way. */
int vx_filemap_open(struct vx_filemap *m, int fd);
/* Map a window starting at file offset at: *p points at that byte, *avail
 * bytes follow it (0 at or past the end), *last is set when the window
 * reaches the file's current end. The previous window is unmapped first.
 * Returns 0, or -1 with err set. */
int vx_filemap_window(struct vx_filemap *m, uint64_t at, const uint8_t **p, size_t *avail,
                      int *last, char *err, size_t errlen);
void vx_filemap_close(struct vx_filemap *m);

#endif
