/* Flow-log sinks: S3 key layouts (plain, per-hour, Hive, Hive per-hour) with
 * the objects read back through zlib byte for byte, atomic publication, the
 * size cap, deterministic names; CloudWatch stream files; stdout; errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "testutil.h"
#include "vxtap/flowlog_sink.h"

#define HEADER                                                                                     \
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "  \
	"start end action log-status\n"
#define ACCOUNT "123456789012"
#define REGION  "us-east-1"
#define FLOW_ID "fl-1234abcd"

/* 2023-01-21 23:55:00 UTC and 2023-01-22 00:00:00 UTC: two periods, two days. */
#define T_2355 1674345300
#define T_0000 1674345600

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	return tu_tmp_make(tmpdir, sizeof(tmpdir), "flowlog-sink");
}

static int teardown_tmp(void **state)
{
	(void)state;
	return tu_tmp_remove(tmpdir);
}

/* ---- helpers ------------------------------------------------------------- */

struct line {
	struct vx_flow_record r;
	char text[256];
	size_t len;
};

static void make_line(struct line *l, const char *iface, int64_t start, int64_t end, int n)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->r.interface_id, sizeof(l->r.interface_id), "%s", iface);
	l->r.start = start;
	l->r.end = end;
	l->r.log_status = VX_FLOW_OK;
	l->len = (size_t)snprintf(l->text, sizeof(l->text),
	                          "2 " ACCOUNT " %s 10.0.0.%d 10.0.1.%d 443 %d 6 %d %d %" PRId64
	                          " %" PRId64 " ACCEPT OK\n",
	                          iface, n % 250, (n * 7) % 250, 1024 + n, 1 + n % 90,
	                          (1 + n % 90) * 1400, start, end);
}

static struct vx_flowlog_sink *open_s3(const char *dir, bool hive, bool per_hour, uint64_t cap)
{
	struct vx_flowlog_sink_options o = {
	    .kind = VX_FLOWLOG_SINK_S3_DIR,
	    .directory = dir,
	    .account_id = ACCOUNT,
	    .region = REGION,
	    .flow_log_id = FLOW_ID,
	    .header = HEADER,
	    .hive = hive,
	    .per_hour = per_hour,
	    .max_file_bytes = cap,
	};
	char err[512] = "";
	struct vx_flowlog_sink *s = vx_flowlog_sink_open(&o, err, sizeof(err));

	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	return s;
}

static void sink_put(struct vx_flowlog_sink *s, const struct line *l)
{
	assert_int_equal(vx_flowlog_sink_write(s, &l->r, l->text, l->len), 0);
}

/* Every regular file under a directory, relative, sorted. */
static char *found[4096];
static int nfound;
static size_t root_len;

static int collect_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && nfound < 4096)
		found[nfound++] = strdup(path + root_len + 1);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *root)
{
	for (int i = 0; i < nfound; i++)
		free(found[i]);
	nfound = 0;
	root_len = strlen(root);
	assert_int_equal(nftw(root, collect_cb, 16, FTW_PHYS), 0);
	qsort(found, (size_t)nfound, sizeof(found[0]), cmp_str);
}

static int count_hidden(void)
{
	int n = 0;

	for (int i = 0; i < nfound; i++) {
		const char *base = strrchr(found[i], '/');

		if ((base ? base[1] : found[i][0]) == '.')
			n++;
	}
	return n;
}

/* The whole uncompressed content of a gzip file (malloc'd, NUL-terminated). */
static char *gunzip_file(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	int r;

	assert_non_null(g);
	assert_non_null(buf);
	while ((r = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	assert_int_equal(r, 0);
	assert_int_equal(gzclose(g), Z_OK);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static void join(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s/%s", a, b);
}

static uint32_t name_hash(const char *content, size_t len, uint32_t index)
{
	return (uint32_t)XXH3_64bits_withSeed(content, len, index);
}

/* ---- S3 key layouts ------------------------------------------------------ */

static void check_layout(bool hive, bool per_hour, const char *dir_a, const char *dir_b)
{
	char root[512], a[4096], b[4096], path[4096], want[2][4096];
	struct line l[4];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	size_t la, lb, got_len;
	char *got;

	snprintf(root, sizeof(root), "%s/layout-%d%d", tmpdir, hive, per_hour);
	s = open_s3(root, hive, per_hour, 0);
	make_line(&l[0], "eni-0a1b2c3d", T_2355 + 100, T_2355 + 130, 1); /* 23:57:10 */
	make_line(&l[1], "eni-0a1b2c3d", T_0000 - 60, T_0000, 2);        /* 00:00:00 */
	make_line(&l[2], "eni-0a1b2c3d", T_0000 - 60, T_0000 - 1, 3);    /* 23:59:59 */
	make_line(&l[3], "eni-0a1b2c3d", T_0000 + 240, T_0000 + 299, 4); /* 00:04:59 */
	for (int i = 0; i < 4; i++)
		sink_put(s, &l[i]);
	assert_int_equal(vx_flowlog_sink_flush(s), 0);
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.files_published, 2);
	assert_int_equal(st.records_lost, 0);
	assert_int_equal(st.write_errors, 0);
	assert_int_equal(vx_flowlog_sink_close(s), 0);

	la = (size_t)snprintf(a, sizeof(a), "%s%s%s", HEADER, l[0].text, l[2].text);
	lb = (size_t)snprintf(b, sizeof(b), "%s%s%s", HEADER, l[1].text, l[3].text);
	snprintf(want[0], sizeof(want[0]),
	         "%s/" ACCOUNT "_vpcflowlogs_" REGION "_" FLOW_ID "_20230121T2355Z_%08x.log.gz",
	         dir_a, name_hash(a, la, 0));
	snprintf(want[1], sizeof(want[1]),
	         "%s/" ACCOUNT "_vpcflowlogs_" REGION "_" FLOW_ID "_20230122T0000Z_%08x.log.gz",
	         dir_b, name_hash(b, lb, 0));

	collect(root);
	assert_int_equal(nfound, 2);
	assert_string_equal(found[0], want[0]);
	assert_string_equal(found[1], want[1]);

	join(path, sizeof(path), root, want[0]);
	got = gunzip_file(path, &got_len);
	assert_int_equal(got_len, la);
	assert_memory_equal(got, a, la);
	free(got);
	join(path, sizeof(path), root, want[1]);
	got = gunzip_file(path, &got_len);
	assert_int_equal(got_len, lb);
	assert_memory_equal(got, b, lb);
	free(got);

	/* a standard gzip file: the gzip tool reads it too */
	if (system("command -v gzip >/dev/null 2>&1") == 0) {
		char cmd[4600];

		snprintf(cmd, sizeof(cmd), "gzip -t '%s'", path);
		assert_int_equal(system(cmd), 0);
	}
}

static void s3_plain_layout(void **state)
{
	(void)state;
	check_layout(false, false, "AWSLogs/" ACCOUNT "/vpcflowlogs/" REGION "/2023/01/21",
	             "AWSLogs/" ACCOUNT "/vpcflowlogs/" REGION "/2023/01/22");
}

static void s3_per_hour_layout(void **state)
{
	(void)state;
	check_layout(false, true, "AWSLogs/" ACCOUNT "/vpcflowlogs/" REGION "/2023/01/21/23",
	             "AWSLogs/" ACCOUNT "/vpcflowlogs/" REGION "/2023/01/22/00");
}

#define HIVE_PREFIX "AWSLogs/aws-account-id=" ACCOUNT "/aws-service=vpcflowlogs/aws-region=" REGION

static void s3_hive_layout(void **state)
{
	(void)state;
	check_layout(true, false, HIVE_PREFIX "/year=2023/month=01/day=21",
	             HIVE_PREFIX "/year=2023/month=01/day=22");
}

static void s3_hive_per_hour_layout(void **state)
{
	(void)state;
	check_layout(true, true, HIVE_PREFIX "/year=2023/month=01/day=21/hour=23",
	             HIVE_PREFIX "/year=2023/month=01/day=22/hour=00");
}

/* The documented example: records ending 16:20:00-16:24:59 are in the
 * 20180620T1620Z object; 16:25:00 starts the next one. */
static void s3_period_edges(void **state)
{
	const int64_t t1620 = 1529511600;
	char root[512];
	struct line l[3];
	struct vx_flowlog_sink *s;

	(void)state;
	snprintf(root, sizeof(root), "%s/edges", tmpdir);
	s = open_s3(root, false, false, 0);
	make_line(&l[0], "eni-1235b8ca", t1620 - 50, t1620, 1);
	make_line(&l[1], "eni-1235b8ca", t1620 - 50, t1620 + 299, 2);
	make_line(&l[2], "eni-1235b8ca", t1620 - 50, t1620 + 300, 3);
	for (int i = 0; i < 3; i++)
		sink_put(s, &l[i]);
	assert_int_equal(vx_flowlog_sink_close(s), 0);
	collect(root);
	assert_int_equal(nfound, 2);
	assert_non_null(strstr(found[0], "/2018/06/20/" ACCOUNT "_vpcflowlogs_" REGION "_" FLOW_ID
	                                 "_20180620T1620Z_"));
	assert_non_null(strstr(found[1], "_20180620T1625Z_"));
}

/* advance() publishes the periods that ended, and only those; until then a
 * file is a hidden temporary. */
static void s3_advance_publishes_ended_periods(void **state)
{
	char root[512];
	struct line l[2];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;

	(void)state;
	snprintf(root, sizeof(root), "%s/advance", tmpdir);
	s = open_s3(root, false, false, 0);
	make_line(&l[0], "eni-0a1b2c3d", T_2355, T_2355 + 10, 1);
	make_line(&l[1], "eni-0a1b2c3d", T_2355, T_0000 + 10, 2);
	sink_put(s, &l[0]);
	sink_put(s, &l[1]);
	collect(root);
	assert_int_equal(nfound, 2);
	assert_int_equal(count_hidden(), 2);

	vx_flowlog_sink_advance(s, T_0000 - 1); /* 23:55 not over yet */
	collect(root);
	assert_int_equal(count_hidden(), 2);

	vx_flowlog_sink_advance(s, T_0000);
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.files_published, 1);
	collect(root);
	assert_int_equal(nfound, 2);
	assert_int_equal(count_hidden(), 1);
	assert_non_null(strstr(found[0], "/2023/01/21/" ACCOUNT "_"));
	assert_non_null(strstr(found[0], "_20230121T2355Z_"));
	assert_non_null(strstr(found[1], "/2023/01/22/." ACCOUNT "_"));

	assert_int_equal(vx_flowlog_sink_close(s), 0);
	collect(root);
	assert_int_equal(nfound, 2);
	assert_int_equal(count_hidden(), 0);
}

/* Incompressible lines and a small cap: several files per period, none
 * past the cap, each starting with the header, the records all there in
 * order, each named by the hash seeded with its index. */
static void check_cap(uint64_t cap, int nlines, bool random_text, double min_fill)
{
	char root[512], path[4096];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	char **content = calloc((size_t)nlines, sizeof(char *));
	size_t *clen = calloc((size_t)nlines, sizeof(size_t));
	char *all = malloc((size_t)nlines * 256), *joined;
	size_t all_len = 0, joined_len = 0, hl = strlen(HEADER);
	uint64_t seed = 88172645463325252ull;

	assert_non_null(content);
	assert_non_null(clen);
	assert_non_null(all);
	snprintf(root, sizeof(root), "%s/cap-%" PRIu64 "-%d", tmpdir, cap, random_text);
	s = open_s3(root, false, false, cap);
	for (int i = 0; i < nlines; i++) {
		struct line l;

		make_line(&l, "eni-0a1b2c3d", T_2355, T_2355 + 60, i);
		if (random_text) { /* a line of random letters after a sortable number */
			size_t n = (size_t)snprintf(l.text, sizeof(l.text), "%08d ", i);

			while (n < 200) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				l.text[n++] = (char)('!' + seed % 90);
			}
			l.text[n++] = '\n';
			l.len = n;
		} else {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%08d %s", i, l.text);
			l.len = strlen(tmp);
			assert_true(l.len < sizeof(l.text));
			memcpy(l.text, tmp, l.len + 1);
		}
		memcpy(all + all_len, l.text, l.len);
		all_len += l.len;
		sink_put(s, &l);
	}
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.records_lost, 0);
	assert_true(st.files_published >= 2); /* full files are published at once */
	assert_int_equal(vx_flowlog_sink_close(s), 0);

	collect(root);
	assert_true(nfound >= 3);
	assert_int_equal(count_hidden(), 0);
	joined = malloc(all_len + 1);
	assert_non_null(joined);
	/* order the files by their first record's number */
	for (int i = 0; i < nfound; i++) {
		join(path, sizeof(path), root, found[i]);
		assert_true(file_size(path) <= cap);
		content[i] = gunzip_file(path, &clen[i]);
		assert_true(clen[i] > hl);
		assert_memory_equal(content[i], HEADER, hl);
	}
	for (int i = 0; i < nfound; i++) {
		for (int j = i + 1; j < nfound; j++) {
			if (strcmp(content[j] + hl, content[i] + hl) < 0) {
				char *t = content[i], *tf = found[i];
				size_t tl = clen[i];

				content[i] = content[j], found[i] = found[j], clen[i] = clen[j];
				content[j] = t, found[j] = tf, clen[j] = tl;
			}
		}
	}
	for (int i = 0; i < nfound; i++) {
		char suffix[32];

		snprintf(suffix, sizeof(suffix), "_%08x.log.gz",
		         name_hash(content[i], clen[i], (uint32_t)i));
		assert_non_null(strstr(found[i], suffix));
		memcpy(joined + joined_len, content[i] + hl, clen[i] - hl);
		joined_len += clen[i] - hl;
		if (i < nfound - 1) { /* every file but the last is nearly full */
			join(path, sizeof(path), root, found[i]);
			assert_true((double)file_size(path) >= min_fill * (double)cap);
		}
		free(content[i]);
	}
	assert_int_equal(joined_len, all_len);
	assert_memory_equal(joined, all, all_len);

	free(joined);
	free(all);
	free(clen);
	free(content);
}

static void s3_size_cap_incompressible(void **state)
{
	(void)state;
	check_cap(8192, 300, true, 0.9);
}

static void s3_size_cap_text(void **state)
{
	(void)state;
	check_cap(64 * 1024, 20000, false, 0.97);
}

/* The same input gives the same names and bytes. */
static void s3_deterministic(void **state)
{
	char root[2][512], pa[4096], pb[4096];
	char *first[64];
	int n0;

	(void)state;
	for (int run = 0; run < 2; run++) {
		struct vx_flowlog_sink *s;

		snprintf(root[run], sizeof(root[run]), "%s/det-%d", tmpdir, run);
		s = open_s3(root[run], true, true, 4096);
		for (int i = 0; i < 200; i++) {
			struct line l;

			make_line(&l, i % 2 ? "eni-0a1b2c3d" : "eni-99999999", T_2355 + i,
			          T_2355 + i * 7, i);
			sink_put(s, &l);
			if (i == 100)
				vx_flowlog_sink_advance(s, T_0000);
		}
		assert_int_equal(vx_flowlog_sink_close(s), 0);
		collect(root[run]);
		if (run == 0) {
			n0 = nfound;
			assert_true(n0 > 2 && n0 < 64);
			for (int i = 0; i < nfound; i++)
				first[i] = strdup(found[i]);
		}
	}
	assert_int_equal(nfound, n0);
	for (int i = 0; i < nfound; i++) {
		FILE *fa, *fb;
		char ba[8192], bb[8192];
		size_t na, nb;

		assert_string_equal(found[i], first[i]);
		join(pa, sizeof(pa), root[0], first[i]);
		join(pb, sizeof(pb), root[1], found[i]);
		fa = fopen(pa, "rb");
		fb = fopen(pb, "rb");
		assert_non_null(fa);
		assert_non_null(fb);
		na = fread(ba, 1, sizeof(ba), fa);
		nb = fread(bb, 1, sizeof(bb), fb);
		assert_int_equal(na, nb);
		assert_memory_equal(ba, bb, na);
		fclose(fa);
		fclose(fb);
		free(first[i]);
	}
}

/* More periods than can be open: the oldest are published early; a late
 * record for a published period starts another file; nothing is lost. */
static void s3_many_periods(void **state)
{
	char root[512], path[4096];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	size_t total = 0, want = 0;
	struct line l;

	(void)state;
	snprintf(root, sizeof(root), "%s/many", tmpdir);
	s = open_s3(root, false, false, 0);
	for (int i = 0; i < 12; i++) {
		make_line(&l, "eni-0a1b2c3d", T_2355 + i * 300, T_2355 + i * 300 + 5, i);
		sink_put(s, &l);
		want += l.len;
	}
	make_line(&l, "eni-0a1b2c3d", T_2355, T_2355 + 6, 99); /* late: period 0 again */
	assert_int_equal(vx_flowlog_sink_write(s, &l.r, l.text, l.len - 1), 0); /* no '\n' */
	want += l.len;
	assert_int_equal(vx_flowlog_sink_close(s), 0);
	(void)st;
	collect(root);
	assert_int_equal(nfound, 13);
	for (int i = 0; i < nfound; i++) {
		size_t n;
		char *c;

		join(path, sizeof(path), root, found[i]);
		c = gunzip_file(path, &n);
		total += n - strlen(HEADER);
		free(c);
	}
	assert_int_equal(total, want);
}

/* A directory that cannot be made: the record is counted lost, the error
 * names the path; once the obstacle is gone, records go through. */
static void s3_errors_counted(void **state)
{
	char root[512], block[600], err_copy[600];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	struct line l;
	FILE *f;

	(void)state;
	snprintf(root, sizeof(root), "%s/errors", tmpdir);
	s = open_s3(root, false, false, 0);
	snprintf(block, sizeof(block), "%s/AWSLogs", root);
	f = fopen(block, "w");
	assert_non_null(f);
	fclose(f);

	make_line(&l, "eni-0a1b2c3d", T_2355, T_2355 + 10, 1);
	assert_int_equal(vx_flowlog_sink_write(s, &l.r, l.text, l.len), -1);
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.records_lost, 1);
	assert_int_equal(st.write_errors, 1);
	snprintf(err_copy, sizeof(err_copy), "%s", vx_flowlog_sink_error(s));
	assert_non_null(strstr(err_copy, "cannot create directory"));
	assert_non_null(strstr(err_copy, block));
	assert_non_null(strstr(err_copy, "Not a directory"));

	assert_int_equal(unlink(block), 0);
	sink_put(s, &l);
	assert_int_equal(vx_flowlog_sink_close(s), 0);
	collect(root);
	assert_int_equal(nfound, 1);
}

/* ---- CloudWatch ---------------------------------------------------------- */

static struct vx_flowlog_sink *open_cw(const char *dir, const char *group, const char *traffic,
                                       unsigned max_streams)
{
	struct vx_flowlog_sink_options o = {
	    .kind = VX_FLOWLOG_SINK_CLOUDWATCH_DIR,
	    .directory = dir,
	    .log_group = group,
	    .traffic_type = traffic,
	    .max_open_streams = max_streams,
	};
	char err[512] = "";
	struct vx_flowlog_sink *s = vx_flowlog_sink_open(&o, err, sizeof(err));

	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	return s;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void cw_event_text(char *buf, size_t len, const struct line *l)
{
	snprintf(buf, len, "{\"timestamp\":%" PRId64 "000,\"message\":\"%.*s\"}\n", l->r.start,
	         (int)l->len - 1, l->text);
}

static void cw_streams(void **state)
{
	char root[512], path[4096], want[2][4096];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	struct line l[4];
	char *got;

	(void)state;
	snprintf(root, sizeof(root), "%s/cw", tmpdir);
	s = open_cw(root, "/aws/vpc/flow-logs", "ALL", 0);
	make_line(&l[0], "eni-63e3e655", 1418530010, 1418530070, 1);
	make_line(&l[1], "eni-1235b8ca", 1418530010, 1418530070, 2);
	make_line(&l[2], "eni-63e3e655", 1418530070, 1418530130, 3);
	make_line(&l[3], "eni-63e3e655", 1418530130, 1418530190, 4);
	for (int i = 0; i < 4; i++)
		sink_put(s, &l[i]);
	vx_flowlog_sink_advance(s, 1418530200);
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.streams_opened, 2);
	assert_int_equal(vx_flowlog_sink_close(s), 0);

	want[0][0] = want[1][0] = '\0';
	for (int i = 0; i < 4; i++) {
		char ev[512];
		int k = i == 1;

		cw_event_text(ev, sizeof(ev), &l[i]);
		strcat(want[k], ev);
	}
	collect(root);
	assert_int_equal(nfound, 2);
	assert_string_equal(found[0], "aws/vpc/flow-logs/eni-1235b8ca-all.log");
	assert_string_equal(found[1], "aws/vpc/flow-logs/eni-63e3e655-all.log");
	join(path, sizeof(path), root, found[1]);
	got = read_text(path);
	assert_string_equal(got, want[0]);
	free(got);
	join(path, sizeof(path), root, found[0]);
	got = read_text(path);
	assert_string_equal(got, want[1]);
	free(got);
	/* the first event, spelled out */
	{
		static const char first[] = "{\"timestamp\":1418530010000,\"message\":\"2 " ACCOUNT
		                            " eni-63e3e655 10.0.0.1 10.0.1.7 443 1025 6 2 2800 "
		                            "1418530010 1418530070 ACCEPT OK\"}\n";

		assert_memory_equal(want[0], first, sizeof(first) - 1);
	}
}

/* Two flow logs with the same group and traffic type share the stream file. */
static void cw_shared_stream(void **state)
{
	char root[512], path[4096], want[2048] = "", ev[512];
	struct vx_flowlog_sink *s1, *s2;
	struct line l[4];
	char *got;

	(void)state;
	snprintf(root, sizeof(root), "%s/cw-shared", tmpdir);
	s1 = open_cw(root, "FlowLogGroup", "ALL", 0);
	s2 = open_cw(root, "FlowLogGroup", "all", 0);
	for (int i = 0; i < 4; i++) {
		make_line(&l[i], "eni-63e3e655", 1418530010 + i, 1418530070 + i, i);
		sink_put(i % 2 ? s2 : s1, &l[i]);
		vx_flowlog_sink_advance(i % 2 ? s2 : s1, 0);
		cw_event_text(ev, sizeof(ev), &l[i]);
		strcat(want, ev);
	}
	assert_int_equal(vx_flowlog_sink_close(s1), 0);
	assert_int_equal(vx_flowlog_sink_close(s2), 0);
	snprintf(path, sizeof(path), "%s/FlowLogGroup/eni-63e3e655-all.log", root);
	got = read_text(path);
	assert_string_equal(got, want);
	free(got);
}

/* More streams than may be open: the least recently used is closed and
 * reopened later; every event is kept, in order. */
static void cw_lru(void **state)
{
	static const char *const ifaces[] = {"eni-00000001", "eni-00000002", "eni-00000003"};
	char root[512], path[4096], want[3][16384], ev[512];
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	struct line l;

	(void)state;
	snprintf(root, sizeof(root), "%s/cw-lru", tmpdir);
	s = open_cw(root, "g", "REJECT", 2);
	for (int k = 0; k < 3; k++)
		want[k][0] = '\0';
	for (int i = 0; i < 30; i++) {
		make_line(&l, ifaces[i % 3], 1418530010 + i, 1418530070 + i, i);
		sink_put(s, &l);
		cw_event_text(ev, sizeof(ev), &l);
		strcat(want[i % 3], ev);
	}
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.streams_opened, 30);
	assert_int_equal(vx_flowlog_sink_close(s), 0);
	for (int k = 0; k < 3; k++) {
		char *got;

		snprintf(path, sizeof(path), "%s/g/%s-reject.log", root, ifaces[k]);
		got = read_text(path);
		assert_string_equal(got, want[k]);
		free(got);
	}
}

/* Message text is a JSON string: quote, backslash and control bytes escaped. */
static void cw_escapes(void **state)
{
	char root[512], path[4096];
	struct vx_flowlog_sink *s;
	struct line l;
	char *got;

	(void)state;
	snprintf(root, sizeof(root), "%s/cw-esc", tmpdir);
	s = open_cw(root, "g", "ACCEPT", 0);
	make_line(&l, "eni-63e3e655", 5, 6, 1);
	strcpy(l.text, "a\"b\\c\td\x01\xc3\xa9");
	l.len = strlen(l.text); /* no '\n' */
	sink_put(s, &l);
	assert_int_equal(vx_flowlog_sink_close(s), 0);
	snprintf(path, sizeof(path), "%s/g/eni-63e3e655-accept.log", root);
	got = read_text(path);
	assert_string_equal(got, "{\"timestamp\":5000,\"message\":\"a\\\"b\\\\c\\u0009d\\u0001"
	                         "\\u00c3\\u00a9\"}\n");
	free(got);
}

/* ---- stdout, options ----------------------------------------------------- */

static void stdout_lines(void **state)
{
	struct vx_flowlog_sink_options o = {.kind = VX_FLOWLOG_SINK_STDOUT};
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	struct line l[2];
	char err[256], buf[1024], want[1024];
	size_t n;

	(void)state;
	o.out = tmpfile();
	assert_non_null(o.out);
	s = vx_flowlog_sink_open(&o, err, sizeof(err));
	assert_non_null(s);
	make_line(&l[0], "eni-63e3e655", 10, 20, 1);
	make_line(&l[1], "eni-63e3e655", 10, 20, 2);
	sink_put(s, &l[0]);
	assert_int_equal(vx_flowlog_sink_write(s, &l[1].r, l[1].text, l[1].len - 1), 0);
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(vx_flowlog_sink_close(s), 0);
	rewind(o.out);
	n = fread(buf, 1, sizeof(buf) - 1, o.out);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%s%s", l[0].text, l[1].text);
	assert_string_equal(buf, want);
	fclose(o.out);
}

/* append_path: lines appended to a file whose directory is made; two sinks
 * on one file (two flow logs of one stream) append both. */
static void append_path_lines(void **state)
{
	struct vx_flowlog_sink_options o = {.kind = VX_FLOWLOG_SINK_STDOUT};
	struct line l[2];
	char err[256], path[512], buf[1024], want[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/firehose/deep/stream.log", tmpdir);
	o.append_path = path;
	make_line(&l[0], "eni-63e3e655", 10, 20, 1);
	make_line(&l[1], "eni-63e3e655", 10, 20, 2);
	for (int i = 0; i < 2; i++) {
		struct vx_flowlog_sink *s = vx_flowlog_sink_open(&o, err, sizeof(err));
		assert_non_null(s);
		sink_put(s, &l[i]);
		assert_int_equal(vx_flowlog_sink_close(s), 0);
	}
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	snprintf(want, sizeof(want), "%s%s", l[0].text, l[1].text);
	assert_string_equal(buf, want);
}

/* A failed write of the output is counted and named. */
static void stdout_error(void **state)
{
	struct vx_flowlog_sink_options o = {.kind = VX_FLOWLOG_SINK_STDOUT};
	struct vx_flowlog_sink *s;
	struct vx_flowlog_sink_stats st;
	struct line l;
	char err[256];

	(void)state;
	o.out = fopen("/dev/full", "w");
	if (!o.out)
		skip();
	s = vx_flowlog_sink_open(&o, err, sizeof(err));
	assert_non_null(s);
	make_line(&l, "eni-63e3e655", 10, 20, 1);
	for (int i = 0; i < 3; i++)
		sink_put(s, &l); /* buffered */
	assert_int_equal(vx_flowlog_sink_flush(s), -1);
	vx_flowlog_sink_get_stats(s, &st);
	assert_int_equal(st.write_errors, 1);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.records_lost, 3); /* the buffered ones */
	assert_non_null(strstr(vx_flowlog_sink_error(s), "No space left"));
	vx_flowlog_sink_close(s);
	fclose(o.out);
}

static void expect_rejected(struct vx_flowlog_sink_options o, const char *needle)
{
	char err[512] = "";
	struct vx_flowlog_sink *s = vx_flowlog_sink_open(&o, err, sizeof(err));

	if (s)
		print_error("accepted where '%s' was expected\n", needle);
	assert_null(s);
	if (!strstr(err, needle))
		print_error("error '%s' lacks '%s'\n", err, needle);
	assert_non_null(strstr(err, needle));
}

static void open_rejects_bad_options(void **state)
{
	char root[512], file[600];
	struct vx_flowlog_sink_options s3 = {
	    .kind = VX_FLOWLOG_SINK_S3_DIR,
	    .directory = root,
	    .account_id = ACCOUNT,
	    .region = REGION,
	    .flow_log_id = FLOW_ID,
	    .header = HEADER,
	};
	struct vx_flowlog_sink_options cw = {
	    .kind = VX_FLOWLOG_SINK_CLOUDWATCH_DIR,
	    .directory = root,
	    .log_group = "g",
	    .traffic_type = "ALL",
	};
	struct vx_flowlog_sink_options o;
	FILE *f;

	(void)state;
	snprintf(root, sizeof(root), "%s/opts", tmpdir);
	o = s3;
	o.account_id = "1234/56";
	expect_rejected(o, "Invalid account_id '1234/56'");
	o = s3;
	o.region = "";
	expect_rejected(o, "Invalid region ''");
	o = s3;
	o.flow_log_id = "fl_1";
	expect_rejected(o, "Invalid flow_log_id 'fl_1'");
	o = s3;
	o.header = NULL;
	expect_rejected(o, "header line");
	o = s3;
	o.gzip_level = 10;
	expect_rejected(o, "Invalid gzip level 10");
	o = s3;
	o.directory = NULL;
	expect_rejected(o, "needs a directory");
	o = cw;
	o.traffic_type = "SOME";
	expect_rejected(o, "Invalid traffic type 'SOME'");
	o = cw;
	o.log_group = "a/../b";
	expect_rejected(o, "Invalid log group 'a/../b'");
	o = cw;
	o.log_group = "a b";
	expect_rejected(o, "Invalid log group");
	o = cw;
	o.log_group = "/";
	expect_rejected(o, "Invalid log group");

	/* a directory below a regular file */
	snprintf(file, sizeof(file), "%s/plain-file", tmpdir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	o = s3;
	o.directory = file;
	expect_rejected(o, "cannot create directory");
	snprintf(root, sizeof(root), "%s/plain-file/sub", tmpdir);
	o = cw;
	expect_rejected(o, "Not a directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(s3_plain_layout),
	    cmocka_unit_test(s3_per_hour_layout),
	    cmocka_unit_test(s3_hive_layout),
	    cmocka_unit_test(s3_hive_per_hour_layout),
	    cmocka_unit_test(s3_period_edges),
	    cmocka_unit_test(s3_advance_publishes_ended_periods),
	    cmocka_unit_test(s3_size_cap_incompressible),
	    cmocka_unit_test(s3_size_cap_text),
	    cmocka_unit_test(s3_deterministic),
	    cmocka_unit_test(s3_many_periods),
	    cmocka_unit_test(s3_errors_counted),
	    cmocka_unit_test(cw_streams),
	    cmocka_unit_test(cw_shared_stream),
	    cmocka_unit_test(cw_lru),
	    cmocka_unit_test(cw_escapes),
	    cmocka_unit_test(stdout_lines),
	    cmocka_unit_test(append_path_lines),
	    cmocka_unit_test(stdout_error),
	    cmocka_unit_test(open_rejects_bad_options),
	};
	int rc = cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);

	for (int i = 0; i < nfound; i++)
		free(found[i]);
	return rc;
}
