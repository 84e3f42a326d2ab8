/* flowlog_sink — flow-log records to stdout, to gzip objects in the S3 key
 * layout, or to CloudWatch-style stream files (see flowlog_sink.h). */
#include "vxtap/flowlog_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#define ZBUF_SIZE          (256u * 1024)
#define CW_BUF_SIZE        (16u * 1024)
#define CW_DEFAULT_STREAMS 128
#define ID_MAX             64  /* account, region and flow-log ID */
#define GROUP_MAX          512 /* CloudWatch log-group name */
#define TMP_TRIES          1000

/* One S3 object being written: one 5-minute period's current file. */
struct s3_file {
	bool open;
	bool z_ready;
	int fd;
	int64_t period;    /* Unix second the period starts at */
	uint32_t index;    /* the file's index within its period: the hash seed */
	uint64_t records;  /* records in this file */
	uint64_t unsynced; /* uncompressed bytes given to zlib since its output was last complete */
	z_stream z;
	XXH3_state_t *xxh;
	unsigned char *buf; /* compressed bytes not yet written, ZBUF_SIZE */
	char stem[256];     /* <account>_vpcflowlogs_<region>_<flow-log-id>_<time> */
	char dir[PATH_MAX];
	char tmp[PATH_MAX];
};

/* One CloudWatch stream file; fd -1: the slot is free. */
struct cw_stream {
	int fd;
	char iface[32];
	uint64_t last_use;
	uint64_t pending; /* records in buf */
	size_t used;
	char *buf; /* CW_BUF_SIZE */
};

struct vx_flowlog_sink {
	enum vx_flowlog_sink_kind kind;
	char *directory;
	char account[ID_MAX + 1], region[ID_MAX + 1], flow_log_id[ID_MAX + 1];
	char *header;
	size_t header_len;
	bool hive, per_hour;
	uint64_t max_file_bytes;
	int gzip_level;
	uint64_t tmp_seq;
	struct s3_file *files[VX_FLOWLOG_SINK_OPEN_PERIODS];

	char *group_dir;
	char traffic[8]; /* lowercase */
	struct cw_stream *streams;
	unsigned max_streams;
	uint64_t tick;
	char *scratch; /* one formatted CloudWatch event */
	size_t scratch_cap;

	FILE *out;
	bool own_out; /* opened from append_path: closed with the sink */
	/* Lines gathered for out, OUT_BUFFER bytes, and how many records they
	 * hold; NULL for a terminal, which gets each line as it comes. */
	char *pend;
	size_t pend_used;
	uint64_t pend_records;

	struct vx_flowlog_sink_stats stats;
	bool failing; /* the last operation failed: the next failure is not printed */
	char err[512];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A failed operation: counted, kept, printed if the previous one succeeded. */
static void sink_fail(struct vx_flowlog_sink *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sink_fail(struct vx_flowlog_sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->stats.write_errors++;
	if (!s->failing)
		fprintf(stderr, "vxtap: flow-log sink: %s\n", s->err);
	s->failing = true;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t r = write(fd, c, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int mkdir_p(const char *path);

/* Lines leave in large writes: with stdio's default buffer (a page) a run
 * would make a system call every few dozen records. The sink gathers them
 * in a buffer of its own, written out whenever a window is published, so
 * nothing waits in it longer than with a small one. A terminal gets each
 * line as it comes. */
#define OUT_BUFFER (1u << 20)

/* STDOUT kind to a file: lines appended, its directory made first. */
static int open_append(struct vx_flowlog_sink *s, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	FILE *f = NULL;
	if (slash && slash != path) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (mkdir_p(dir) < 0) {
			set_err(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (!(f = fopen(path, "ae"))) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	s->out = f;
	s->own_out = true;
	return 0;
}

/* mkdir -p; 0 or -1 with errno. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno == EEXIST) {
		if (stat(path, &st) < 0)
			return -1;
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* ---- S3 objects ---------------------------------------------------------- */

/* Write out the compressed bytes zlib has produced so far. */
static int s3_drain(struct vx_flowlog_sink *s, struct s3_file *f)
{
	size_t n = ZBUF_SIZE - f->z.avail_out;

	if (n > 0) {
		if (write_all(f->fd, f->buf, n) < 0) {
			sink_fail(s, "cannot write %s: %s", f->tmp, strerror(errno));
			return -1;
		}
		s->stats.bytes_written += n;
	}
	f->z.next_out = f->buf;
	f->z.avail_out = ZBUF_SIZE;
	return 0;
}

/* Give zlib n bytes (n may be 0 with a flush); with Z_SYNC_FLUSH or
 * Z_FINISH every byte given so far is in the output when this returns. */
static int s3_deflate(struct vx_flowlog_sink *s, struct s3_file *f, const void *p, size_t n,
                      int flush)
{
	f->z.next_in = (unsigned char *)(uintptr_t)p;
	f->z.avail_in = (uInt)n;
	for (;;) {
		int rc = deflate(&f->z, flush);

		if (rc == Z_STREAM_ERROR) {
			sink_fail(s, "cannot compress %s: zlib error", f->tmp);
			return -1;
		}
		if (f->z.avail_out == 0) {
			if (s3_drain(s, f) < 0)
				return -1;
			continue;
		}
		if (flush == Z_FINISH && rc != Z_STREAM_END)
			continue;
		return 0;
	}
}

static int s3_feed(struct vx_flowlog_sink *s, struct s3_file *f, const void *p, size_t n)
{
	XXH3_64bits_update(f->xxh, p, n);
	f->unsynced += n;
	return s3_deflate(s, f, p, n, Z_NO_FLUSH);
}

/* Give up on the file: its temporary name stays, its records are lost. */
static void s3_abandon(struct vx_flowlog_sink *s, struct s3_file *f)
{
	close(f->fd);
	f->fd = -1;
	f->open = false;
	s->stats.records_lost += f->records;
}

static int s3_dir(const struct vx_flowlog_sink *s, const struct tm *t, char *buf, size_t len)
{
	int y = t->tm_year + 1900, mo = t->tm_mon + 1, d = t->tm_mday, h = t->tm_hour;
	int n;

	if (s->hive)
		n = snprintf(buf, len,
		             "%s/AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/"
		             "year=%04d/month=%02d/day=%02d",
		             s->directory, s->account, s->region, y, mo, d);
	else
		n = snprintf(buf, len, "%s/AWSLogs/%s/vpcflowlogs/%s/%04d/%02d/%02d", s->directory,
		             s->account, s->region, y, mo, d);
	if (n >= 0 && (size_t)n < len && s->per_hour)
		n += snprintf(buf + n, len - (size_t)n, s->hive ? "/hour=%02d" : "/%02d", h);
	return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* Start the file of `period` with the given index in slot f (not open). */
static int s3_open_file(struct vx_flowlog_sink *s, struct s3_file *f, int64_t period,
                        uint32_t index)
{
	time_t t = (time_t)period;
	struct tm tm;
	int n;

	if (!f->z_ready) {
		f->buf = malloc(ZBUF_SIZE);
		f->xxh = XXH3_createState();
		memset(&f->z, 0, sizeof(f->z));
		if (!f->buf || !f->xxh ||
		    deflateInit2(&f->z, s->gzip_level, Z_DEFLATED, 15 + 16, 8,
		                 Z_DEFAULT_STRATEGY) != Z_OK) {
			free(f->buf);
			XXH3_freeState(f->xxh);
			f->buf = NULL;
			f->xxh = NULL;
			sink_fail(s, "out of memory for a gzip stream");
			return -1;
		}
		f->z_ready = true;
	} else {
		deflateReset(&f->z);
	}
	f->z.next_out = f->buf;
	f->z.avail_out = ZBUF_SIZE;
	XXH3_64bits_reset_withSeed(f->xxh, index);

	if (!gmtime_r(&t, &tm)) {
		sink_fail(s, "record time %" PRId64 " out of range", period);
		return -1;
	}
	if (s3_dir(s, &tm, f->dir, sizeof(f->dir)) < 0) {
		sink_fail(s, "path too long under %s", s->directory);
		return -1;
	}
	n = snprintf(f->stem, sizeof(f->stem), "%s_vpcflowlogs_%s_%s_%04d%02d%02dT%02d%02dZ",
	             s->account, s->region, s->flow_log_id, tm.tm_year + 1900, tm.tm_mon + 1,
	             tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (n < 0 || (size_t)n >= sizeof(f->stem)) {
		sink_fail(s, "file name too long in %s", f->dir);
		return -1;
	}
	if (mkdir_p(f->dir) < 0) {
		sink_fail(s, "cannot create directory %s: %s", f->dir, strerror(errno));
		return -1;
	}
	f->fd = -1;
	for (int i = 0; i < TMP_TRIES && f->fd < 0; i++) {
		n = snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.%ld.%" PRIu64 ".tmp", f->dir, f->stem,
		             (long)getpid(), s->tmp_seq++);
		if (n < 0 || (size_t)n >= sizeof(f->tmp)) {
			sink_fail(s, "path too long in %s", f->dir);
			return -1;
		}
		f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (f->fd < 0 && errno != EEXIST)
			break;
	}
	if (f->fd < 0) {
		sink_fail(s, "cannot create %s: %s", f->tmp, strerror(errno));
		return -1;
	}
	f->open = true;
	f->period = period;
	f->index = index;
	f->records = 0;
	f->unsynced = 0;
	if (s3_feed(s, f, s->header, s->header_len) < 0) {
		s3_abandon(s, f);
		return -1;
	}
	return 0;
}

/* Finish the file and rename it to its name. */
static int s3_publish(struct vx_flowlog_sink *s, struct s3_file *f)
{
	char path[PATH_MAX];
	uint32_t hash;
	int n;

	if (s3_deflate(s, f, NULL, 0, Z_FINISH) < 0 || s3_drain(s, f) < 0) {
		s3_abandon(s, f);
		return -1;
	}
	if (fsync(f->fd) < 0) {
		sink_fail(s, "cannot sync %s: %s", f->tmp, strerror(errno));
		s3_abandon(s, f);
		return -1;
	}
	if (close(f->fd) < 0) {
		f->fd = -1;
		sink_fail(s, "cannot write %s: %s", f->tmp, strerror(errno));
		f->open = false;
		s->stats.records_lost += f->records;
		return -1;
	}
	f->fd = -1;
	f->open = false;
	hash = (uint32_t)XXH3_64bits_digest(f->xxh);
	n = snprintf(path, sizeof(path), "%s/%s_%08" PRIx32 ".log.gz", f->dir, f->stem, hash);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		sink_fail(s, "path too long for %s", f->tmp);
		s->stats.records_lost += f->records;
		return -1;
	}
	if (rename(f->tmp, path) < 0) {
		sink_fail(s, "cannot rename %s to %s: %s", f->tmp, path, strerror(errno));
		s->stats.records_lost += f->records;
		return -1;
	}
	s->stats.files_published++;
	s->failing = false;
	return 0;
}

/* Would a line of n bytes keep the finished file within the cap? zlib's
 * bound for the bytes it has not surely written out yet, plus what it has. */
static bool s3_fits(const struct vx_flowlog_sink *s, struct s3_file *f, size_t n)
{
	uint64_t bound = deflateBound(&f->z, (uLong)(f->unsynced + n));

	return (uint64_t)f->z.total_out + bound <= s->max_file_bytes;
}

static int64_t period_of(int64_t t)
{
	int64_t q = t / VX_FLOWLOG_SINK_PERIOD_S;

	if (t % VX_FLOWLOG_SINK_PERIOD_S < 0)
		q--;
	return q * VX_FLOWLOG_SINK_PERIOD_S;
}

/* The open file of `period`, or a slot opened for it. */
static struct s3_file *s3_file_for(struct vx_flowlog_sink *s, int64_t period)
{
	struct s3_file *slot = NULL;

	for (int i = 0; i < VX_FLOWLOG_SINK_OPEN_PERIODS; i++) {
		struct s3_file *f = s->files[i];

		if (f && f->open && f->period == period)
			return f;
	}
	for (int i = 0; i < VX_FLOWLOG_SINK_OPEN_PERIODS && !slot; i++) {
		if (!s->files[i]) {
			s->files[i] = calloc(1, sizeof(*s->files[i]));
			if (!s->files[i]) {
				sink_fail(s, "out of memory for a file");
				return NULL;
			}
			s->files[i]->fd = -1;
		}
		if (!s->files[i]->open)
			slot = s->files[i];
	}
	if (!slot) { /* every slot busy: publish the oldest period now */
		slot = s->files[0];
		for (int i = 1; i < VX_FLOWLOG_SINK_OPEN_PERIODS; i++)
			if (s->files[i]->period < slot->period)
				slot = s->files[i];
		s3_publish(s, slot);
	}
	return s3_open_file(s, slot, period, 0) < 0 ? NULL : slot;
}

static int s3_write(struct vx_flowlog_sink *s, const struct vx_flow_record *r, const char *line,
                    size_t len, bool add_nl)
{
	int64_t period = period_of(r->end);
	struct s3_file *f = s3_file_for(s, period);
	size_t n = len + (add_nl ? 1 : 0);

	if (f && f->records > 0 && !s3_fits(s, f, n)) {
		uint32_t index = f->index + 1;

		/* Make zlib write out what it holds: then only this line is unknown. */
		if (f->unsynced > 0 && s3_deflate(s, f, NULL, 0, Z_SYNC_FLUSH) < 0) {
			s3_abandon(s, f);
		} else {
			f->unsynced = 0;
			if (!s3_fits(s, f, n))
				s3_publish(s, f);
		}
		if (!f->open && s3_open_file(s, f, period, index) < 0)
			f = NULL;
	}
	if (!f) {
		s->stats.records_lost++;
		return -1;
	}
	f->records++;
	if (s3_feed(s, f, line, len) < 0 || (add_nl && s3_feed(s, f, "\n", 1) < 0)) {
		s3_abandon(s, f);
		return -1;
	}
	return 0;
}

static int s3_publish_until(struct vx_flowlog_sink *s, int64_t watermark, bool all)
{
	int rc = 0;

	for (;;) { /* oldest period first */
		struct s3_file *f = NULL;

		for (int i = 0; i < VX_FLOWLOG_SINK_OPEN_PERIODS; i++) {
			struct s3_file *g = s->files[i];

			if (g && g->open &&
			    (all || g->period + VX_FLOWLOG_SINK_PERIOD_S <= watermark) &&
			    (!f || g->period < f->period))
				f = g;
		}
		if (!f)
			return rc;
		if (s3_publish(s, f) < 0)
			rc = -1;
	}
}

/* ---- CloudWatch streams -------------------------------------------------- */

static int cw_flush(struct vx_flowlog_sink *s, struct cw_stream *st)
{
	int rc = 0;

	if (st->used == 0)
		return 0;
	if (write_all(st->fd, st->buf, st->used) < 0) {
		sink_fail(s, "cannot write %s/%s-%s.log: %s", s->group_dir, st->iface, s->traffic,
		          strerror(errno));
		s->stats.records_lost += st->pending;
		rc = -1;
	} else {
		s->stats.bytes_written += st->used;
		s->failing = false;
	}
	st->used = 0;
	st->pending = 0;
	return rc;
}

static int cw_flush_all(struct vx_flowlog_sink *s)
{
	int rc = 0;

	for (unsigned i = 0; i < s->max_streams; i++)
		if (s->streams[i].fd >= 0 && cw_flush(s, &s->streams[i]) < 0)
			rc = -1;
	return rc;
}

static bool cw_iface_ok(const char *id)
{
	size_t n = strnlen(id, 32);

	return n > 0 && n < 32 && id[0] != '.' && !memchr(id, '/', n);
}

static struct cw_stream *cw_stream_for(struct vx_flowlog_sink *s, const char *iface)
{
	struct cw_stream *st = NULL;
	char path[PATH_MAX];
	int n;

	for (unsigned i = 0; i < s->max_streams; i++) {
		struct cw_stream *c = &s->streams[i];

		if (c->fd >= 0 && strcmp(c->iface, iface) == 0)
			return c;
		if (!st || (st->fd >= 0 && (c->fd < 0 || c->last_use < st->last_use)))
			st = c;
	}
	if (st->fd >= 0) { /* the least recently used */
		cw_flush(s, st);
		close(st->fd);
		st->fd = -1;
	}
	if (!st->buf && !(st->buf = malloc(CW_BUF_SIZE))) {
		sink_fail(s, "out of memory for a stream");
		return NULL;
	}
	n = snprintf(path, sizeof(path), "%s/%s-%s.log", s->group_dir, iface, s->traffic);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		sink_fail(s, "path too long under %s", s->group_dir);
		return NULL;
	}
	st->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (st->fd < 0 && errno == ENOENT && mkdir_p(s->group_dir) == 0)
		st->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (st->fd < 0) {
		sink_fail(s, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	s->stats.streams_opened++;
	memcpy(st->iface, iface, strlen(iface) + 1);
	st->used = 0;
	st->pending = 0;
	return st;
}

/* {"timestamp":<ms>,"message":"<line>"}\n into s->scratch; its length or 0. */
static size_t cw_event(struct vx_flowlog_sink *s, int64_t start, const char *line, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t need = len * 6 + 64, n;
	char *p;

	if (need > s->scratch_cap) {
		char *b = realloc(s->scratch, need);

		if (!b)
			return 0;
		s->scratch = b;
		s->scratch_cap = need;
	}
	if (start > INT64_MAX / 1000 || start < INT64_MIN / 1000)
		start = start < 0 ? INT64_MIN / 1000 : INT64_MAX / 1000;
	p = s->scratch;
	n = (size_t)snprintf(p, 48, "{\"timestamp\":%" PRId64 ",\"message\":\"", start * 1000);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '"' || c == '\\') {
			p[n++] = '\\';
			p[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(p + n, "\\u00", 4);
			p[n + 4] = hex[c >> 4];
			p[n + 5] = hex[c & 15];
			n += 6;
		} else {
			p[n++] = (char)c;
		}
	}
	memcpy(p + n, "\"}\n", 3);
	return n + 3;
}

static int cw_write(struct vx_flowlog_sink *s, const struct vx_flow_record *r, const char *line,
                    size_t len)
{
	struct cw_stream *st;
	size_t n;

	if (!cw_iface_ok(r->interface_id)) {
		sink_fail(s, "interface ID '%.31s' cannot name a log stream", r->interface_id);
		s->stats.records_lost++;
		return -1;
	}
	st = cw_stream_for(s, r->interface_id);
	n = st ? cw_event(s, r->start, line, len) : 0;
	if (n == 0) {
		if (st)
			sink_fail(s, "out of memory for an event");
		s->stats.records_lost++;
		return -1;
	}
	st->last_use = ++s->tick;
	if (n > CW_BUF_SIZE - st->used)
		cw_flush(s, st); /* on failure the buffered records are counted lost */
	if (n > CW_BUF_SIZE) {
		if (write_all(st->fd, s->scratch, n) < 0) {
			sink_fail(s, "cannot write %s/%s-%s.log: %s", s->group_dir, st->iface,
			          s->traffic, strerror(errno));
			s->stats.records_lost++;
			return -1;
		}
		s->stats.bytes_written += n;
		return 0;
	}
	memcpy(st->buf + st->used, s->scratch, n);
	st->used += n;
	st->pending++;
	return 0;
}

/* ---- stdout -------------------------------------------------------------- */

/* The gathered lines to out; when that fails, their records are lost. They
 * go in one write() where out has a descriptor, so that flow logs appending
 * to one file (two of one Firehose stream) do not cut into each other's
 * lines. */
static int out_drain(struct vx_flowlog_sink *s)
{
	if (!s->pend_used)
		return 0;
	size_t n = s->pend_used;
	uint64_t records = s->pend_records;
	s->pend_used = 0;
	s->pend_records = 0;
	int fd = fileno(s->out);
	int rc = fd >= 0 ? (fflush(s->out) == 0 ? write_all(fd, s->pend, n) : -1)
			 : (fwrite(s->pend, 1, n, s->out) == n ? fflush(s->out) : -1);
	if (rc != 0) {
		sink_fail(s, "cannot write the output: %s", strerror(errno));
		s->stats.records_lost += records;
		return -1;
	}
	return 0;
}

static int out_write(struct vx_flowlog_sink *s, const char *line, size_t len, bool add_nl)
{
	size_t need = len + (add_nl ? 1 : 0);
	/* A copy into the sink's own buffer costs a fraction of a call into
	 * stdio per record. */
	if (s->pend && need <= OUT_BUFFER) {
		if (s->pend_used + need > OUT_BUFFER && out_drain(s) < 0) {
			s->stats.records_lost++;
			return -1;
		}
		memcpy(s->pend + s->pend_used, line, len);
		if (add_nl)
			s->pend[s->pend_used + len] = '\n';
		s->pend_used += need;
		s->pend_records++;
		s->stats.bytes_written += need;
		s->failing = false;
		return 0;
	}
	if (out_drain(s) < 0 || fwrite(line, 1, len, s->out) != len ||
	    (add_nl && fputc('\n', s->out) == EOF)) {
		sink_fail(s, "cannot write the output: %s", strerror(errno));
		s->stats.records_lost++;
		return -1;
	}
	s->stats.bytes_written += len + (add_nl ? 1 : 0);
	s->failing = false;
	return 0;
}

static int out_flush(struct vx_flowlog_sink *s)
{
	if (out_drain(s) < 0)
		return -1;
	if (fflush(s->out) != 0) {
		sink_fail(s, "cannot write the output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the API ------------------------------------------------------------- */

static bool id_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

/* A log-group name without its leading '/'s, or NULL if not allowed. */
static const char *group_ok(const char *g)
{
	size_t n = g ? strlen(g) : 0;
	const char *p;

	if (n == 0 || n > GROUP_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = g[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == '/' || c == '#'))
			return NULL;
	}
	while (*g == '/')
		g++;
	if (!*g)
		return NULL;
	for (p = g;;) { /* each level: not empty, ".", or ".." */
		size_t l = strcspn(p, "/");

		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return NULL;
		if (!p[l])
			return g;
		p += l + 1;
	}
}

static char *dir_dup(const char *d)
{
	size_t n = strlen(d);
	char *c;

	while (n > 1 && d[n - 1] == '/')
		n--;
	c = malloc(n + 1);
	if (c) {
		memcpy(c, d, n);
		c[n] = '\0';
	}
	return c;
}

static int open_s3(struct vx_flowlog_sink *s, const struct vx_flowlog_sink_options *o, char *err,
                   size_t errlen)
{
	static const char *const what[] = {"account_id", "region", "flow_log_id"};
	const char *val[] = {o->account_id, o->region, o->flow_log_id};
	char *dst[] = {s->account, s->region, s->flow_log_id};
	size_t hl;

	for (int i = 0; i < 3; i++) {
		if (!id_ok(val[i])) {
			set_err(err, errlen, "Invalid %s '%s': use 1-%d letters, digits and '-'",
			        what[i], val[i] ? val[i] : "", ID_MAX);
			return -1;
		}
		strcpy(dst[i], val[i]);
	}
	if (!o->header || !o->header[0] || o->header[0] == '\n') {
		set_err(err, errlen, "An S3 sink needs the header line of its format");
		return -1;
	}
	if (o->gzip_level < 0 || o->gzip_level > 9) {
		set_err(err, errlen, "Invalid gzip level %d: use 1-9 (0: 1)", o->gzip_level);
		return -1;
	}
	hl = strlen(o->header);
	s->header = malloc(hl + 2);
	if (!s->header) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(s->header, o->header, hl + 1);
	if (s->header[hl - 1] != '\n') {
		s->header[hl++] = '\n';
		s->header[hl] = '\0';
	}
	s->header_len = hl;
	s->hive = o->hive;
	s->per_hour = o->per_hour;
	s->max_file_bytes = o->max_file_bytes ? o->max_file_bytes : VX_FLOWLOG_SINK_MAX_FILE_BYTES;
	s->gzip_level = o->gzip_level ? o->gzip_level : 1;
	if (mkdir_p(s->directory) < 0) {
		set_err(err, errlen, "cannot create directory %s: %s", s->directory,
		        strerror(errno));
		return -1;
	}
	return 0;
}

static int open_cloudwatch(struct vx_flowlog_sink *s, const struct vx_flowlog_sink_options *o,
                           char *err, size_t errlen)
{
	const char *t = o->traffic_type ? o->traffic_type : "";
	const char *g = group_ok(o->log_group);
	size_t n;

	if (strcasecmp(t, "ALL") != 0 && strcasecmp(t, "ACCEPT") != 0 &&
	    strcasecmp(t, "REJECT") != 0) {
		set_err(err, errlen, "Invalid traffic type '%s': use ALL, ACCEPT or REJECT", t);
		return -1;
	}
	for (n = 0; t[n]; n++)
		s->traffic[n] = (char)(t[n] | 0x20);
	s->traffic[n] = '\0';
	if (!g) {
		set_err(err, errlen,
		        "Invalid log group '%s': use 1-%d of letters, digits, '.', '-', '_', '/', "
		        "'#', without empty, '.' or '..' levels",
		        o->log_group ? o->log_group : "", GROUP_MAX);
		return -1;
	}
	n = strlen(s->directory) + strlen(g) + 2;
	s->group_dir = malloc(n);
	s->max_streams = o->max_open_streams ? o->max_open_streams : CW_DEFAULT_STREAMS;
	s->streams = calloc(s->max_streams, sizeof(*s->streams));
	if (!s->group_dir || !s->streams) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < s->max_streams; i++)
		s->streams[i].fd = -1;
	snprintf(s->group_dir, n, "%s/%s", s->directory, g);
	if (mkdir_p(s->group_dir) < 0) {
		set_err(err, errlen, "cannot create directory %s: %s", s->group_dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}

static void sink_free(struct vx_flowlog_sink *s)
{
	if (s->own_out)
		fclose(s->out);
	free(s->pend);
	for (int i = 0; i < VX_FLOWLOG_SINK_OPEN_PERIODS; i++) {
		struct s3_file *f = s->files[i];

		if (!f)
			continue;
		if (f->fd >= 0)
			close(f->fd);
		if (f->z_ready)
			deflateEnd(&f->z);
		XXH3_freeState(f->xxh);
		free(f->buf);
		free(f);
	}
	if (s->streams) {
		for (unsigned i = 0; i < s->max_streams; i++) {
			if (s->streams[i].fd >= 0)
				close(s->streams[i].fd);
			free(s->streams[i].buf);
		}
	}
	free(s->streams);
	free(s->scratch);
	free(s->group_dir);
	free(s->header);
	free(s->directory);
	free(s);
}

struct vx_flowlog_sink *vx_flowlog_sink_open(const struct vx_flowlog_sink_options *o, char *err,
                                             size_t errlen)
{
	struct vx_flowlog_sink *s;
	int rc = 0;

	set_err(err, errlen, "%s", "");
	if (o->kind != VX_FLOWLOG_SINK_STDOUT && o->kind != VX_FLOWLOG_SINK_S3_DIR &&
	    o->kind != VX_FLOWLOG_SINK_CLOUDWATCH_DIR) {
		set_err(err, errlen, "Invalid sink kind %d", (int)o->kind);
		return NULL;
	}
	if (o->kind != VX_FLOWLOG_SINK_STDOUT && (!o->directory || !o->directory[0])) {
		set_err(err, errlen, "The sink needs a directory");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	s->kind = o->kind;
	s->out = o->out ? o->out : stdout;
	if (o->kind == VX_FLOWLOG_SINK_STDOUT && o->append_path) {
		rc = open_append(s, o->append_path, err, errlen);
	} else if (o->kind != VX_FLOWLOG_SINK_STDOUT && !(s->directory = dir_dup(o->directory))) {
		set_err(err, errlen, "out of memory");
		rc = -1;
	} else if (o->kind == VX_FLOWLOG_SINK_S3_DIR) {
		rc = open_s3(s, o, err, errlen);
	} else if (o->kind == VX_FLOWLOG_SINK_CLOUDWATCH_DIR) {
		rc = open_cloudwatch(s, o, err, errlen);
	}
	if (rc == 0 && o->kind == VX_FLOWLOG_SINK_STDOUT && !isatty(fileno(s->out)) &&
	    !(s->pend = malloc(OUT_BUFFER))) {
		set_err(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc < 0) {
		sink_free(s);
		return NULL;
	}
	return s;
}

int vx_flowlog_sink_write(struct vx_flowlog_sink *s, const struct vx_flow_record *r,
                          const char *line, size_t len)
{
	bool nl = len > 0 && line[len - 1] == '\n';

	s->stats.records++;
	switch (s->kind) {
	case VX_FLOWLOG_SINK_S3_DIR:
		return s3_write(s, r, line, len, !nl);
	case VX_FLOWLOG_SINK_CLOUDWATCH_DIR:
		return cw_write(s, r, line, nl ? len - 1 : len);
	case VX_FLOWLOG_SINK_STDOUT:
	default:
		return out_write(s, line, len, !nl);
	}
}

void vx_flowlog_sink_advance(struct vx_flowlog_sink *s, int64_t watermark_s)
{
	switch (s->kind) {
	case VX_FLOWLOG_SINK_S3_DIR:
		s3_publish_until(s, watermark_s, false);
		break;
	case VX_FLOWLOG_SINK_CLOUDWATCH_DIR:
		cw_flush_all(s);
		break;
	case VX_FLOWLOG_SINK_STDOUT:
	default:
		out_flush(s);
		break;
	}
}

int vx_flowlog_sink_flush(struct vx_flowlog_sink *s)
{
	switch (s->kind) {
	case VX_FLOWLOG_SINK_S3_DIR:
		return s3_publish_until(s, 0, true);
	case VX_FLOWLOG_SINK_CLOUDWATCH_DIR:
		return cw_flush_all(s);
	case VX_FLOWLOG_SINK_STDOUT:
	default:
		return out_flush(s);
	}
}

void vx_flowlog_sink_get_stats(const struct vx_flowlog_sink *s, struct vx_flowlog_sink_stats *out)
{
	*out = s->stats;
}

const char *vx_flowlog_sink_error(const struct vx_flowlog_sink *s)
{
	return s->err;
}

int vx_flowlog_sink_close(struct vx_flowlog_sink *s)
{
	int rc;

	if (!s)
		return 0;
	rc = vx_flowlog_sink_flush(s);
	sink_free(s);
	return rc;
}
