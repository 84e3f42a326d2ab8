/* pcapfile — the file source.
 *
 * Classic pcap files (microsecond or nanosecond magic, either byte order) are
 * mapped a window at a time (filemap.c) and their cache lines prefetched in
 * order ahead of the reader; a frame points into the window, so a batch costs
 * no copy and no system call. Mapping is about twice as fast as read() from
 * the page cache, but only with the prefetch: records touched one header at a
 * time miss the cache on every record and are slower than read(). Where the
 * file cannot be guarded against shrinking while mapped, it is read with
 * large sequential read() calls into one buffer allocated at open instead.
 * Records are checked the way libpcap 1.10 checks them (sf-pcap.c,
 * pcap_next_packet), so both readers hand out the same frames.
 * Everything else (pcapng, the rarer pcap variants, pipes and stdin, or a file
 * that cannot be mapped) goes through libpcap; libpcap reuses one buffer per
 * packet, so the frames of a batch are copied into an arena allocated at open.
 *
 * A record cut by the end of the file ends the input: it is counted in
 * bad_records, a warning is left in vx_source_error() and the source reports
 * EOF, not an error (a capture that was still being written is common).
 */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_USEC      0xa1b2c3d4u
#define MAGIC_NSEC      0xa1b23c4du
#define MAGIC_KUZNETZOV 0xa1b2cd34u
#define MAGIC_PCAPNG    0x0a0d0d0au
#define FILE_HDR_LEN    24
#define REC_HDR_LEN     16
#define MAX_CAPLEN      262144u /* libpcap's max_snaplen_for_dlt() for our link types */
#define ARENA_SIZE      (4u << 20)
/* Read granularity: big enough to make system calls rare, small enough that
 * the bytes just read are still in the L2 cache when they are decoded. */
#define READ_CHUNK      (128u << 10)
/* Refill when fewer bytes than this are left unread: the tail moved to the
 * start of the buffer stays small. */
#define READ_LOW        (16u << 10)
#define READ_BUF_SIZE   (READ_CHUNK + REC_HDR_LEN + MAX_CAPLEN)
/* How far ahead of the reader a mapped file's lines are prefetched: 6 to
 * 12 KiB measured the same, 2 KiB and 4 KiB 2-4% slower. */
#define PREFETCH_AHEAD  6144u

enum file_state { ST_READING, ST_EOF, ST_ERROR };

/* How caplen and len are ordered in records (pcap 2.3 swapped them). */
enum len_order { LEN_NORMAL, LEN_SWAPPED, LEN_MAYBE_SWAPPED };

struct file_source {
	struct vx_source base;
	char name[4096];
	enum file_state state;
	uint64_t recno; /* records read so far */

	/* Classic pcap, mapped or read into rbuf; buf points at either, and
	 * bytes [pos, len) of it are not handed out yet. */
	int fd;
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int at_eof; /* read() returned 0, or the window reaches the end */
	uint8_t *rbuf; /* read() mode: the buffer */
	int mapped;
	struct vx_filemap fmap;
	uint64_t buf_off;  /* mapped: file offset of buf[0] */
	const uint8_t *pf; /* mapped: prefetched up to here */
	int swapped;
	enum len_order len_order;
	uint32_t snapshot;
	uint32_t frac_scale; /* 1000 for microsecond files, 1 for nanosecond */

	/* libpcap. */
	pcap_t *pcap;
	struct vx_arena arena;
	int pending; /* a packet read by pcap_next_ex that did not fit the last batch */
	struct pcap_pkthdr pend_hdr;
	const u_char *pend_data;
};

static inline uint32_t bswap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint32_t rd32(const uint8_t *p, int swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, int swapped)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap16(v) : v;
}

/* libpcap's linktype_to_dlt() for the values that differ and that we may
 * meet; only used to name unsupported types the way libpcap would. */
static int linktype_to_dlt(uint32_t linktype)
{
	switch (linktype) {
	case 100: /* LINKTYPE_ATM_RFC1483 */
		return 11;
	case 101: /* LINKTYPE_RAW */
		return 12;
	case 102: /* LINKTYPE_SLIP_BSDOS */
		return 15;
	case 103: /* LINKTYPE_PPP_BSDOS */
		return 16;
	default:
		return (int)linktype;
	}
}

static void file_truncated(struct file_source *f, const char *what, size_t want, size_t have)
{
	f->base.stats.bad_records++;
	vx_source_seterr(&f->base,
	                 "%s: record %" PRIu64 " %s cut short by the end of the file "
	                 "(%zu of %zu bytes); reading stopped there",
	                 f->name, f->recno + 1, what, have, want);
	f->state = ST_EOF;
}

/* Move the unread tail to the start of the buffer and read until at least
 * want bytes are unread or the file ends. The frames of the last batch are
 * released by then. Returns 0, or -1 on a read error (state set). */
static int refill(struct file_source *f, size_t want)
{
	size_t tail = f->len - f->pos;

	if (f->mapped) {
		/* A new window from the first unread byte: it holds any record
		 * whole (VX_FILEMAP_WINDOW > REC_HDR_LEN + MAX_CAPLEN). */
		uint64_t at = f->buf_off + f->pos;
		char e[128];

		if (vx_filemap_window(&f->fmap, at, &f->buf, &f->len, &f->at_eof, e, sizeof(e)) <
		    0) {
			vx_source_seterr(&f->base, "%s: %s", f->name, e);
			f->state = ST_ERROR;
			return -1;
		}
		f->buf_off = at;
		f->pos = 0;
		f->pf = f->buf;
		return 0;
	}
	if (f->pos > 0) {
		memmove(f->rbuf, f->buf + f->pos, tail);
		f->len = tail;
		f->pos = 0;
	}
	if (want < READ_CHUNK)
		want = READ_CHUNK;
	while (f->len < want && !f->at_eof) {
		ssize_t got = read(f->fd, f->rbuf + f->len, READ_BUF_SIZE - f->len);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			vx_source_seterr(&f->base, "%s: read error: %s", f->name, strerror(errno));
			f->state = ST_ERROR;
			return -1;
		}
		if (got == 0)
			f->at_eof = 1;
		f->len += (size_t)got;
	}
	return 0;
}

/* One batch from the buffer; mirrors libpcap's pcap_next_packet(). Always
 * inlined with `swapped` a constant, so that reading a record's fields does
 * not test the byte order four times. The position, the prefetch point and
 * the record number live in locals while records are read: each store into
 * frames could otherwise change them, as far as the compiler knows, and
 * they would be loaded again for every record. */
static inline __attribute__((always_inline)) int buf_next_as(struct file_source *f,
                                                             struct vx_frame *frames, int max,
                                                             const int swapped)
{
	int n = 0;

	if (f->state == ST_READING && f->len - f->pos < READ_LOW && !f->at_eof)
		(void)refill(f, READ_LOW);

	const int mapped = f->mapped;
	const enum len_order order = f->len_order;
	const uint32_t snapshot = f->snapshot, frac_scale = f->frac_scale;
	const uint8_t *buf = f->buf, *pf = f->pf;
	size_t pos = f->pos, end = f->len;
	uint64_t recno = f->recno;
/* Hand the locals back before a call that reads or moves them, and take
 * them again after one that moves them (refill). */
#define SAVE() (f->pos = pos, f->pf = pf, f->recno = recno)
#define LOAD() (buf = f->buf, pf = f->pf, pos = f->pos, end = f->len)

	while (n < max && f->state == ST_READING) {
		const uint8_t *r = buf + pos;
		size_t left = end - pos;
		uint32_t sec, frac, caplen, len;
		int64_t ssec, sfrac;

		if (mapped) {
			const uint8_t *ahead = r + (left < PREFETCH_AHEAD ? left : PREFETCH_AHEAD);

			/* Every line, in order, one at a time, with the
			 * non-temporal hint: every other line, four lines a step
			 * or a hint to keep them in the outer caches each
			 * measured 20% slower or more. */
			for (; pf < ahead; pf += 64)
				__builtin_prefetch(pf, 0, 0);
		}
		if (left < REC_HDR_LEN) {
			SAVE();
			if (!f->at_eof) {
				/* More in the file: end the batch, or refill if
				 * nothing was handed out yet. */
				if (n > 0 || refill(f, REC_HDR_LEN) < 0)
					break;
				LOAD();
				continue;
			}
			if (left == 0)
				f->state = ST_EOF;
			else
				file_truncated(f, "header", REC_HDR_LEN, left);
			break;
		}
		sec = rd32(r, swapped);
		frac = rd32(r + 4, swapped);
		caplen = rd32(r + 8, swapped);
		len = rd32(r + 12, swapped);
		/* libpcap reads the record's fields as signed 32-bit in a file
		 * of our byte order, unsigned after a swap; do the same. */
		ssec = swapped ? (int64_t)sec : (int64_t)(int32_t)sec;
		sfrac = swapped ? (int64_t)frac : (int64_t)(int32_t)frac;

		if (order == LEN_SWAPPED || (order == LEN_MAYBE_SWAPPED && caplen > len)) {
			uint32_t t = caplen;

			caplen = len;
			len = t;
		}
		if (caplen > MAX_CAPLEN) {
			SAVE();
			f->base.stats.bad_records++;
			if (caplen > snapshot)
				vx_source_seterr(&f->base,
				                 "%s: record %" PRIu64 ": invalid packet capture "
				                 "length %" PRIu32
				                 ", bigger than snaplen of %" PRIu32,
				                 f->name, recno + 1, caplen, snapshot);
			else
				vx_source_seterr(&f->base,
				                 "%s: record %" PRIu64 ": invalid packet capture "
				                 "length %" PRIu32 ", bigger than maximum of %u",
				                 f->name, recno + 1, caplen, MAX_CAPLEN);
			f->state = ST_ERROR;
			break;
		}
		/* libpcap reads (and discards past the snaplen) all caplen bytes,
		 * so a record is whole only when all of them are in the file. */
		if (caplen > left - REC_HDR_LEN) {
			SAVE();
			if (!f->at_eof) {
				if (n > 0 || refill(f, REC_HDR_LEN + (size_t)caplen) < 0)
					break;
				LOAD();
				continue;
			}
			file_truncated(f, "data", caplen, left - REC_HDR_LEN);
			break;
		}
		if (f->fmap.cut) {
			/* The header just read may be the guard's zeros. */
			SAVE();
			vx_source_seterr(&f->base,
			                 "%s: the file became shorter while it was read "
			                 "(record %" PRIu64 "); reading stopped there",
			                 f->name, recno + 1);
			f->state = ST_ERROR;
			break;
		}
		recno++;
		frames[n].data = r + REC_HDR_LEN;
		/* Longer than the file's snaplen but sane: libpcap hands out the
		 * first snaplen bytes. */
		frames[n].caplen = caplen > snapshot ? snapshot : caplen;
		frames[n].wirelen = len;
		frames[n].ts = vx_time_make(ssec, sfrac * frac_scale);
		frames[n].sender_ipv4 = 0;
		pos += REC_HDR_LEN + (size_t)caplen;
		n++;
	}
	if (f->state == ST_READING)
		SAVE();
#undef SAVE
#undef LOAD
	if (n > 0)
		return n;
	return f->state == ST_ERROR ? VX_SOURCE_ERROR : VX_SOURCE_EOF;
}

static int buf_next(struct file_source *f, struct vx_frame *frames, int max)
{
	return f->swapped ? buf_next_as(f, frames, max, 1) : buf_next_as(f, frames, max, 0);
}

/* Returns 0 when copied, 1 when handed out in libpcap's buffer (the batch
 * must end there), -1 when it does not fit the rest of the arena. */
static int put_frame(struct file_source *f, struct vx_frame *fr, const struct pcap_pkthdr *h,
                     const u_char *data, int first)
{
	const uint8_t *copy = vx_arena_copy(&f->arena, data, h->caplen);
	int rc = 0;

	if (!copy) {
		if (!first)
			return -1;
		/* Bigger than the whole arena: hand out libpcap's own buffer,
		 * which stays valid until the next pcap_next_ex(), so the batch
		 * ends with this frame. */
		copy = data;
		rc = 1;
	}
	fr->data = copy;
	fr->caplen = h->caplen;
	fr->wirelen = h->len;
	/* Opened with nanosecond precision: tv_usec holds nanoseconds. */
	fr->ts = vx_time_make((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec);
	fr->sender_ipv4 = 0;
	return rc;
}

/* A file read from a pipe has nothing more to hand out without waiting:
 * stdio holds no unread bytes of it and the pipe has none ready. The
 * buffer is looked at first (glibc's FILE fields), so that the poll is
 * made once per buffer refill, not once per record. */
static bool stream_dry(struct file_source *f)
{
	FILE *fp = pcap_file(f->pcap);
	if (!fp)
		return false;
#ifdef __GLIBC__
	if (fp->_IO_read_ptr < fp->_IO_read_end)
		return false;
#endif
	struct pollfd pfd = {.fd = fileno(fp), .events = POLLIN};
	return poll(&pfd, 1, 0) == 0;
}

static int pcap_batch(struct file_source *f, struct vx_frame *frames, int max)
{
	int n = 0, rc;

	vx_arena_reset(&f->arena);
	if (f->pending) {
		f->pending = 0;
		if (put_frame(f, &frames[n++], &f->pend_hdr, f->pend_data, 1) > 0)
			return n;
	}
	while (n < max && f->state == ST_READING) {
		struct pcap_pkthdr *h;
		const u_char *data;

		rc = pcap_next_ex(f->pcap, &h, &data);

		if (rc == PCAP_ERROR_BREAK) {
			f->state = ST_EOF;
			break;
		}
		if (rc < 0) {
			const char *msg = pcap_geterr(f->pcap);

			if (strncmp(msg, "truncated", 9) == 0) {
				f->base.stats.bad_records++;
				vx_source_seterr(
				    &f->base, "%s: record %" PRIu64 ": %s; reading stopped there",
				    f->name, f->recno + 1, msg);
				f->state = ST_EOF;
				break;
			}
			if (strncmp(msg, "error reading", 13) != 0)
				f->base.stats.bad_records++;
			vx_source_seterr(&f->base, "%s: record %" PRIu64 ": %s", f->name,
			                 f->recno + 1, msg);
			f->state = ST_ERROR;
			break;
		}
		if (rc == 0) /* only live captures time out */
			continue;
		f->recno++;
		rc = put_frame(f, &frames[n], h, data, n == 0);
		if (rc < 0) {
			f->pending = 1;
			f->pend_hdr = *h;
			f->pend_data = data;
			break;
		}
		n++;
		if (rc > 0)
			break;
		/* From a pipe, a batch ends with what has come so far: the
		 * records a slow writer sends are not held back for more. */
		if (f->base.streaming && stream_dry(f))
			break;
	}
	if (n > 0)
		return n;
	return f->state == ST_ERROR ? VX_SOURCE_ERROR : VX_SOURCE_EOF;
}

static int file_next(struct vx_source *s, struct vx_frame *frames, int max, int timeout_ms)
{
	struct file_source *f = (struct file_source *)s;

	(void)timeout_ms;
	if (f->buf || f->mapped)
		return buf_next(f, frames, max);
	return pcap_batch(f, frames, max);
}

static void file_close(struct vx_source *s)
{
	struct file_source *f = (struct file_source *)s;

	if (f->mapped)
		vx_filemap_close(&f->fmap);
	if (f->mapped || f->rbuf) {
		free(f->rbuf);
		close(f->fd);
	}
	if (f->pcap)
		pcap_close(f->pcap);
	vx_arena_free(&f->arena);
	free(f);
}

static const struct vx_source_ops file_ops = {
    .next = file_next,
    .stats = NULL,
    .close = file_close,
};

static int set_link(struct file_source *f, int dlt, char *err, size_t errlen)
{
	int link = vx_link_from_dlt(dlt);

	if (link < 0) {
		snprintf(err, errlen, "%s: unsupported link type %d (%s)", f->name, dlt,
		         vx_dlt_name(dlt));
		return -1;
	}
	f->base.link = (enum vx_link)link;
	return 0;
}

/* Check the file header like pcap_check_header() and set up the reader.
 * Returns 0 (fd is owned from here on) or -1 on an error (in err). */
static int open_classic(struct file_source *f, int fd, size_t size, char *err, size_t errlen)
{
	uint8_t h[FILE_HDR_LEN];
	uint32_t magic, snaplen, linktype;
	uint16_t major, minor;
	ssize_t got;

	if (size < FILE_HDR_LEN) {
		snprintf(err, errlen, "%s: truncated pcap file header (%zu of %d bytes)", f->name,
		         size, FILE_HDR_LEN);
		return -1;
	}
	got = pread(fd, h, sizeof(h), 0);
	if (got != (ssize_t)sizeof(h)) {
		snprintf(err, errlen, "%s: %s", f->name,
		         got < 0 ? strerror(errno) : "short read of the file header");
		return -1;
	}
	memcpy(&magic, h, 4);
	f->swapped = magic != MAGIC_USEC && magic != MAGIC_NSEC;
	magic = f->swapped ? bswap32(magic) : magic;
	major = rd16(h + 4, f->swapped);
	minor = rd16(h + 6, f->swapped);
	snaplen = rd32(h + 16, f->swapped);
	linktype = rd32(h + 20, f->swapped) & 0x03ffffffu; /* LT_LINKTYPE() */

	if (major < 2) {
		snprintf(err, errlen, "%s: archaic pcap savefile format", f->name);
		return -1;
	}
	if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) {
		snprintf(err, errlen, "%s: unsupported pcap savefile version %u.%u", f->name, major,
		         minor);
		return -1;
	}
	if (major == 2 && minor < 3)
		f->len_order = LEN_SWAPPED;
	else if (major == 2 && minor == 3)
		f->len_order = LEN_MAYBE_SWAPPED;
	else if (major == 543)
		f->len_order = LEN_SWAPPED;
	else
		f->len_order = LEN_NORMAL;
	/* pcap_adjust_snapshot(): 0 or more than the maximum means the maximum. */
	f->snapshot = (snaplen == 0 || snaplen > MAX_CAPLEN) ? MAX_CAPLEN : snaplen;
	f->frac_scale = magic == MAGIC_NSEC ? 1 : 1000;
	f->base.nanosecond = magic == MAGIC_NSEC;
	if (set_link(f, linktype_to_dlt(linktype), err, errlen) < 0)
		return -1;

	if (lseek(fd, FILE_HDR_LEN, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: %s", f->name, strerror(errno));
		return -1;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (vx_filemap_open(&f->fmap, fd) == 0) {
		f->mapped = 1;
		f->buf_off = FILE_HDR_LEN;
		f->fd = fd;
		return 0;
	}
	vx_filemap_close(&f->fmap);
	f->rbuf = malloc(READ_BUF_SIZE);
	if (!f->rbuf) {
		snprintf(err, errlen, "%s: out of memory", f->name);
		return -1;
	}
	f->buf = f->rbuf;
	f->fd = fd;
	return 0;
}

/* Hand fd (positioned at the start) to libpcap; fd is owned from here on. */
static int open_libpcap(struct file_source *f, int fd, uint32_t magic, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	FILE *fp = fdopen(fd, "rb");

	if (!fp) {
		snprintf(err, errlen, "%s: %s", f->name, strerror(errno));
		close(fd);
		return -1;
	}
	f->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!f->pcap) {
		fclose(fp);
		if (strcmp(ebuf, "unknown file format") == 0)
			snprintf(err, errlen, "%s: not a pcap or pcapng file", f->name);
		else if (strstr(ebuf, "only got 0") && strstr(ebuf, "file header"))
			snprintf(err, errlen, "%s: empty file", f->name);
		else
			snprintf(err, errlen, "%s: %s", f->name, ebuf);
		return -1;
	}
	if (set_link(f, pcap_datalink(f->pcap), err, errlen) < 0)
		return -1;
	if (vx_arena_init(&f->arena, ARENA_SIZE) < 0) {
		snprintf(err, errlen, "%s: out of memory", f->name);
		return -1;
	}
	/* pcapng timestamps come at the precision we asked for; a classic file
	 * read from a pipe is only known to be nanosecond by its magic. */
	f->base.nanosecond = magic == MAGIC_NSEC || bswap32(magic) == MAGIC_NSEC ||
	                     magic == MAGIC_PCAPNG || pcap_major_version(f->pcap) == 1;
	return 0;
}

struct vx_source *vx_source_open_file(const char *path, char *err, size_t errlen)
{
	struct file_source *f = calloc(1, sizeof(*f));
	struct stat st;
	uint32_t magic = 0;
	int fd;

	if (!f) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	vx_source_init(&f->base, &file_ops, VX_SOURCE_FILE);
	snprintf(f->name, sizeof(f->name), "%s", strcmp(path, "-") == 0 ? "stdin" : path);

	if (strcmp(path, "-") == 0) {
		/* A copy of stdin, so that closing the source leaves fd 0 alone. */
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", f->name, strerror(errno));
			goto fail;
		}
		f->base.streaming = 1;
		if (open_libpcap(f, fd, 0, err, errlen) < 0)
			goto fail;
		return &f->base;
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", f->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", f->name, strerror(EISDIR));
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		/* A pipe or a device: cannot be mapped nor peeked at. */
		f->base.streaming = 1;
		if (open_libpcap(f, fd, 0, err, errlen) < 0)
			goto fail;
		return &f->base;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "%s: empty file", f->name);
		close(fd);
		goto fail;
	}
	if (st.st_size < 4 || pread(fd, &magic, 4, 0) != 4) {
		snprintf(err, errlen, "%s: not a pcap or pcapng file", f->name);
		close(fd);
		goto fail;
	}
	if (magic == MAGIC_USEC || magic == MAGIC_NSEC || bswap32(magic) == MAGIC_USEC ||
	    bswap32(magic) == MAGIC_NSEC) {
		if (open_classic(f, fd, (size_t)st.st_size, err, errlen) < 0) {
			close(fd);
			goto fail;
		}
		return &f->base;
	} else if (magic != MAGIC_PCAPNG && magic != MAGIC_KUZNETZOV &&
	           bswap32(magic) != MAGIC_KUZNETZOV) {
		snprintf(err, errlen, "%s: not a pcap or pcapng file", f->name);
		close(fd);
		goto fail;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: %s", f->name, strerror(errno));
		close(fd);
		goto fail;
	}
	if (open_libpcap(f, fd, magic, err, errlen) < 0)
		goto fail;
	return &f->base;
fail:
	file_close(&f->base);
	return NULL;
}
