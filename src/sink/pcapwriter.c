/* pcapwriter — classic pcap files, written through one 1 MiB buffer with
 * write(2), rotated by size or by packet time (see pcapwriter.h). */
#include "vxtap/pcapwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PW_BUF_SIZE      (1u << 20)
#define PW_FILE_HDR      24u
#define PW_REC_HDR       16u
#define PW_SNAPLEN       262144u
#define PW_MAGIC_USEC    0xa1b2c3d4u
#define PW_MAGIC_NSEC    0xa1b23c4du
#define PW_LINK_ETHERNET 1u

struct vx_pcap_writer {
	struct vx_pcap_writer_config cfg;
	char *stem; /* rotation: STEM.NNNNN.EXT */
	char *ext;
	char path[4096]; /* the file being written */
	int fd;
	uint32_t seq;     /* number of the next rotated file */
	uint64_t written; /* bytes of the current file on disk */
	uint64_t frames_in_file;
	int64_t rotate_at; /* time rotation: first second of the next file */
	struct vx_pcap_writer_stats stats;
	char err[512];
	size_t used;
	uint8_t buf[PW_BUF_SIZE];
};

static void pw_seterr(struct vx_pcap_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pw_seterr(struct vx_pcap_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Write all of iov, retrying short writes and signals. */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Write iov (whole records) to the current file. On failure the file is cut
 * back to its last whole record, so it stays readable, and the data is lost. */
static int pw_output(struct vx_pcap_writer *w, struct iovec *iov, int n)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (w->fd < 0) {
		w->stats.write_errors++;
		return -1;
	}
	if (write_all(w->fd, iov, n) < 0) {
		pw_seterr(w, "%s: write: %s", w->path, strerror(errno));
		w->stats.write_errors++;
		if (ftruncate(w->fd, (off_t)w->written) == 0)
			(void)lseek(w->fd, (off_t)w->written, SEEK_SET);
		return -1;
	}
	w->written += total;
	w->stats.bytes += total;
	return 0;
}

static int pw_flush_buf(struct vx_pcap_writer *w)
{
	struct iovec iov = {.iov_base = w->buf, .iov_len = w->used};
	int rc;

	if (w->used == 0)
		return 0;
	rc = pw_output(w, &iov, 1);
	w->used = 0;
	return rc;
}

static int pw_open_file(struct vx_pcap_writer *w)
{
	uint8_t *h = w->buf;

	if (w->stem) {
		snprintf(w->path, sizeof(w->path), "%s.%05" PRIu32 "%s", w->stem, w->seq, w->ext);
		w->seq++;
	}
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	w->written = 0;
	w->frames_in_file = 0;
	w->used = 0;
	if (w->fd < 0) {
		pw_seterr(w, "%s: %s", w->path, strerror(errno));
		return -1;
	}
	w->stats.files++;
	/* Little-endian header, version 2.4, Ethernet. */
	put32(h, w->cfg.nanosecond ? PW_MAGIC_NSEC : PW_MAGIC_USEC);
	h[4] = 2;
	h[5] = 0;
	h[6] = 4;
	h[7] = 0;
	put32(h + 8, 0);  /* thiszone */
	put32(h + 12, 0); /* sigfigs */
	put32(h + 16, w->cfg.snaplen);
	put32(h + 20, PW_LINK_ETHERNET);
	w->used = PW_FILE_HDR;
	return 0;
}

static int pw_close_file(struct vx_pcap_writer *w)
{
	int rc = 0;

	if (w->fd < 0)
		return 0;
	if (pw_flush_buf(w) < 0)
		rc = -1;
	if (close(w->fd) < 0 && rc == 0) {
		pw_seterr(w, "%s: close: %s", w->path, strerror(errno));
		w->stats.write_errors++;
		rc = -1;
	}
	w->fd = -1;
	return rc;
}

/* Split PATH into STEM and .EXT (".pcap" when the name has none). */
static int pw_split(struct vx_pcap_writer *w, const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base) { /* no extension, or a dot file */
		w->stem = strdup(path);
		w->ext = strdup(".pcap");
	} else {
		w->stem = strndup(path, (size_t)(dot - path));
		w->ext = strdup(dot);
	}
	return w->stem && w->ext ? 0 : -1;
}

struct vx_pcap_writer *vx_pcap_writer_open(const struct vx_pcap_writer_config *cfg, char *err,
                                           size_t errlen)
{
	struct vx_pcap_writer *w;

	if (!cfg->path || !cfg->path[0]) {
		snprintf(err, errlen, "pcap writer: no output file given");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "%s: out of memory", cfg->path);
		return NULL;
	}
	w->cfg = *cfg;
	w->cfg.path = NULL; /* not kept: the caller owns it */
	w->fd = -1;
	if (w->cfg.snaplen == 0)
		w->cfg.snaplen = PW_SNAPLEN;
	if (cfg->rotate_bytes || cfg->rotate_seconds) {
		if (pw_split(w, cfg->path) < 0) {
			snprintf(err, errlen, "%s: out of memory", cfg->path);
			goto fail;
		}
	} else {
		snprintf(w->path, sizeof(w->path), "%s", cfg->path);
	}
	if (pw_open_file(w) < 0) {
		snprintf(err, errlen, "%s", w->err);
		goto fail;
	}
	return w;
fail:
	free(w->stem);
	free(w->ext);
	free(w);
	return NULL;
}

/* Whether the frame must start a new file. */
static int pw_must_rotate(const struct vx_pcap_writer *w, const struct vx_time *ts, uint32_t caplen)
{
	if (w->frames_in_file == 0)
		return 0;
	if (w->cfg.rotate_bytes && w->written + w->used + PW_REC_HDR + caplen > w->cfg.rotate_bytes)
		return 1;
	if (w->cfg.rotate_seconds && ts->sec >= w->rotate_at)
		return 1;
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

int vx_pcap_writer_write(struct vx_pcap_writer *w, const struct vx_time *ts, const uint8_t *data,
                         uint32_t caplen, uint32_t wirelen)
{
	uint8_t *r;
	int rc = 0;

	if (pw_must_rotate(w, ts, caplen) || w->fd < 0) {
		/* A failed open is retried with the next frame (under the next
		 * name when rotating). */
		if (pw_close_file(w) < 0)
			rc = -1;
		if (pw_open_file(w) < 0) {
			w->stats.write_errors++;
			return -1;
		}
	}
	if (w->frames_in_file == 0 && w->cfg.rotate_seconds) {
		/* Files cover whole multiples of the period since the epoch. */
		int64_t period = w->cfg.rotate_seconds;

		w->rotate_at = (floor_div(ts->sec, period) + 1) * period;
	}

	if (PW_REC_HDR + (size_t)caplen > PW_BUF_SIZE - w->used && pw_flush_buf(w) < 0)
		rc = -1;
	r = w->buf + w->used;
	put32(r, (uint32_t)ts->sec);
	put32(r + 4, w->cfg.nanosecond ? ts->nsec : ts->nsec / 1000);
	put32(r + 8, caplen);
	put32(r + 12, wirelen);
	if (PW_REC_HDR + (size_t)caplen <= PW_BUF_SIZE - w->used) {
		memcpy(r + PW_REC_HDR, data, caplen);
		w->used += PW_REC_HDR + caplen;
	} else {
		/* Bigger than the buffer: header and data in one write. */
		struct iovec iov[2] = {{.iov_base = r, .iov_len = PW_REC_HDR},
		                       {.iov_base = (void *)data, .iov_len = caplen}};

		if (pw_output(w, iov, 2) < 0)
			rc = -1;
	}
	w->frames_in_file++;
	w->stats.frames++;
	return rc;
}

int vx_pcap_writer_flush(struct vx_pcap_writer *w)
{
	return pw_flush_buf(w);
}

void vx_pcap_writer_stats(const struct vx_pcap_writer *w, struct vx_pcap_writer_stats *out)
{
	*out = w->stats;
}

const char *vx_pcap_writer_error(const struct vx_pcap_writer *w)
{
	return w->err;
}

int vx_pcap_writer_close(struct vx_pcap_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = pw_close_file(w);
	free(w->stem);
	free(w->ext);
	free(w);
	return rc;
}

/* Multiply-add with overflow checks. */
static int mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

int vx_parse_rotate(const char *text, uint64_t *bytes, uint32_t *seconds)
{
	uint64_t n = 0, mult = 1, v;
	int is_time = 0;
	const char *p = text;

	if (!text || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (mul_u64(n, 10, &n) < 0 || __builtin_add_overflow(n, (uint64_t)(*p - '0'), &n))
			return -1;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1024;
		break;
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	case 's':
		is_time = 1;
		break;
	case 'm':
		is_time = 1;
		mult = 60;
		break;
	case 'h':
		is_time = 1;
		mult = 3600;
		break;
	default:
		return -1;
	}
	if (*p && p[1] != '\0')
		return -1;
	if (n == 0 || mul_u64(n, mult, &v) < 0)
		return -1;
	if (is_time) {
		if (v > UINT32_MAX)
			return -1;
		*seconds = (uint32_t)v;
	} else {
		*bytes = v;
	}
	return 0;
}
