/* Sources: files must give what libpcap gives for the same file, frame by
 * frame; the UDP listener must batch, time out and count cut datagrams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vxtap/source.h"

#define PCAPS VXTAP_TEST_DATA "/pcaps/"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	return tu_tmp_make(tmpdir, sizeof(tmpdir), "source");
}

static int teardown_tmp(void **state)
{
	(void)state;
	return tu_tmp_remove(tmpdir);
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	tu_tmp_path(tmpdir, buf, len, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* --- a tiny pcap builder, either byte order ----------------------------- */

struct pbuf {
	uint8_t b[1 << 16];
	size_t len;
	int big;
};

static void pb_u32(struct pbuf *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p->b[p->len + (size_t)i] = (uint8_t)(p->big ? v >> (24 - 8 * i) : v >> (8 * i));
	p->len += 4;
}

static void pb_u16(struct pbuf *p, uint16_t v)
{
	p->b[p->len] = (uint8_t)(p->big ? v >> 8 : v);
	p->b[p->len + 1] = (uint8_t)(p->big ? v : v >> 8);
	p->len += 2;
}

static void pb_header(struct pbuf *p, int big, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
	p->len = 0;
	p->big = big;
	pb_u32(p, magic);
	pb_u16(p, 2);
	pb_u16(p, 4);
	pb_u32(p, 0);
	pb_u32(p, 0);
	pb_u32(p, snaplen);
	pb_u32(p, linktype);
}

static void pb_record(struct pbuf *p, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                      const uint8_t *data, size_t datalen)
{
	pb_u32(p, sec);
	pb_u32(p, frac);
	pb_u32(p, caplen);
	pb_u32(p, len);
	memcpy(p->b + p->len, data, datalen);
	p->len += datalen;
}

/* --- compare a file read by us and by libpcap ---------------------------- */

struct cmp_result {
	uint64_t frames;
	int lib_error; /* libpcap stopped with an error */
	char lib_msg[PCAP_ERRBUF_SIZE];
	int our_end; /* our last return value */
};

/* Read path with both, max frames per batch, and assert every frame agrees. */
static void compare_with_libpcap(const char *path, int max, struct cmp_result *res)
{
	char err[512] = "", ebuf[PCAP_ERRBUF_SIZE];
	struct vx_source *s = vx_source_open_file(path, err, sizeof(err));
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	struct vx_frame frames[64];
	int lib_done = 0;

	memset(res, 0, sizeof(*res));
	if (!s)
		print_error("%s: %s\n", path, err);
	assert_non_null(s);
	assert_non_null(p);
	assert_int_equal((int)vx_source_link(s), vx_link_from_dlt(pcap_datalink(p)));
	for (;;) {
		int n = vx_source_next(s, frames, max, 0);

		if (n <= 0) {
			res->our_end = n;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct pcap_pkthdr *h;
			const u_char *d;
			int rc = pcap_next_ex(p, &h, &d);

			assert_int_equal(rc, 1);
			assert_int_equal(frames[i].caplen, h->caplen);
			assert_int_equal(frames[i].wirelen, h->len);
			assert_int_equal(frames[i].ts.sec, (int64_t)h->ts.tv_sec);
			assert_int_equal(frames[i].ts.nsec, (uint32_t)h->ts.tv_usec);
			assert_memory_equal(frames[i].data, d, h->caplen);
			res->frames++;
		}
	}
	/* libpcap must have nothing more either. */
	while (!lib_done) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(p, &h, &d);

		assert_int_not_equal(rc, 1);
		if (rc == PCAP_ERROR) {
			res->lib_error = 1;
			snprintf(res->lib_msg, sizeof(res->lib_msg), "%s", pcap_geterr(p));
		}
		lib_done = 1;
	}
	pcap_close(p);
	vx_source_close(s);
}

static void test_all_captures_match_libpcap(void **state)
{
	DIR *d = opendir(PCAPS);
	struct dirent *e;
	int files = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1024];
		struct cmp_result r;
		size_t len = strlen(e->d_name);

		if (len < 5 || (strcmp(e->d_name + len - 5, ".pcap") != 0 &&
		                (len < 7 || strcmp(e->d_name + len - 7, ".pcapng") != 0)))
			continue;
		snprintf(path, sizeof(path), "%s%s", PCAPS, e->d_name);
		/* Odd batch sizes cross every batch boundary. */
		compare_with_libpcap(path, 7, &r);
		assert_int_equal(r.our_end, VX_SOURCE_EOF);
		assert_false(r.lib_error);
		assert_true(r.frames > 0);
		compare_with_libpcap(path, 64, &r);
		files++;
	}
	closedir(d);
	assert_true(files >= 30);
}

static struct vx_source *open_ok(const char *path)
{
	char err[512] = "";
	struct vx_source *s = vx_source_open_file(path, err, sizeof(err));

	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	assert_int_equal(vx_source_kind(s), VX_SOURCE_FILE);
	return s;
}

static int count_frames(struct vx_source *s, int *end)
{
	struct vx_frame f[64];
	int total = 0, n;

	while ((n = vx_source_next(s, f, 64, 0)) > 0)
		total += n;
	*end = n;
	return total;
}

/* A file bigger than the mapped window (32 MiB), with records of every size
 * up to 64 KiB so that some straddle each window's end: the same frames as
 * libpcap's, mapped and (with every guard slot taken by other open files)
 * read with read(). */
static void write_big_capture(const char *path)
{
	static struct pbuf p;
	uint8_t data[65535];
	FILE *fp = fopen(path, "wb");
	size_t total = 0;
	uint32_t len = 1;

	assert_non_null(fp);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	pb_header(&p, 0, 0xa1b2c3d4u, 65535, 1);
	assert_int_equal(fwrite(p.b, 1, p.len, fp), p.len);
	for (uint32_t rec = 0; total < (40u << 20); rec++) {
		p.len = 0;
		data[0] = (uint8_t)rec;
		pb_record(&p, 1700000000 + rec / 1000, rec % 1000000, len, len + 4, data, len);
		assert_int_equal(fwrite(p.b, 1, p.len, fp), p.len);
		total += p.len;
		len = len * 5 % 65521 + 1;
	}
	assert_int_equal(fclose(fp), 0);
}

/* Bytes of this process's mappings with no access: what a window's
 * reservation leaves behind if it is not given back. */
static unsigned long long inaccessible_mappings(void)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long long n = 0, lo, hi;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, " ---p ") && sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			n += hi - lo;
	fclose(fp);
	return n;
}

static void test_big_file_mapped_and_read(void **state)
{
	char path[512], err[512];
	struct cmp_result res;
	struct vx_source *held[16];
	unsigned long long before;
	(void)state;

	tmp_path(path, sizeof(path), "big.pcap");
	write_big_capture(path);
	memset(&res, 0, sizeof(res));
	before = inaccessible_mappings();
	compare_with_libpcap(path, 64, &res);
#if !ASAN
	/* (The address sanitizer's own allocator reserves and releases
	 * inaccessible memory as it goes.) */
	assert_int_equal(inaccessible_mappings(), before);
#else
	(void)before;
#endif
	assert_true(res.frames > 1000);
	assert_int_equal(res.our_end, VX_SOURCE_EOF);
	assert_int_equal(res.lib_error, 0);
	/* Every guard slot taken: the next file is read with read(). */
	for (int i = 0; i < 16; i++) {
		held[i] = vx_source_open_file(path, err, sizeof(err));
		assert_non_null(held[i]);
	}
	memset(&res, 0, sizeof(res));
	compare_with_libpcap(path, 7, &res);
	assert_true(res.frames > 1000);
	assert_int_equal(res.our_end, VX_SOURCE_EOF);
	for (int i = 0; i < 16; i++)
		vx_source_close(held[i]);
	unlink(path);
}

/* A mapped file cut shorter while it is read: an error that says so, not a
 * SIGBUS. */
static void test_file_cut_while_mapped(void **state)
{
	static struct pbuf p;
	char path[512];
	uint8_t data[1000];
	struct vx_frame f[64];
	struct vx_source *s;
	FILE *fp;
	int n, total = 0;
	(void)state;

	memset(data, 0xab, sizeof(data));
	tmp_path(path, sizeof(path), "cut.pcap");
	fp = fopen(path, "wb");
	assert_non_null(fp);
	pb_header(&p, 0, 0xa1b2c3d4u, 65535, 1);
	assert_int_equal(fwrite(p.b, 1, p.len, fp), p.len);
	for (int i = 0; i < 8000; i++) {
		p.len = 0;
		pb_record(&p, 1700000000, (uint32_t)i, sizeof(data), sizeof(data), data,
		          sizeof(data));
		assert_int_equal(fwrite(p.b, 1, p.len, fp), p.len);
	}
	assert_int_equal(fclose(fp), 0);

	s = open_ok(path);
	n = vx_source_next(s, f, 64, 0);
	assert_int_equal(n, 64);
	assert_int_equal(truncate(path, 1 << 20), 0);
	while ((n = vx_source_next(s, f, 64, 0)) > 0)
		total += n;
	assert_int_equal(n, VX_SOURCE_ERROR);
	assert_non_null(strstr(vx_source_error(s), "became shorter while it was read"));
	/* Nothing that starts past the new end (the record that straddles it
	 * was handed out before the fault, its missing bytes as zeros). */
	assert_true(64 + total >= (1 << 20) / (16 + (int)sizeof(data)));
	assert_true((64 + total - 1) * (16 + (int)sizeof(data)) < (1 << 20));
	vx_source_close(s);
	unlink(path);
}

static void test_formats(void **state)
{
	struct vx_source *s;
	struct vx_source_stats st;
	struct vx_frame f[64];
	int end;

	(void)state;
	s = open_ok(PCAPS "tcpdump-vxlan.pcap");
	assert_int_equal(vx_source_link(s), VX_LINK_ETHERNET);
	assert_false(vx_source_nanosecond(s));
	assert_int_equal(vx_source_next(s, f, 64, 0), 10);
	/* First record: 2013-05-18 20:21:44.837063, 148 bytes. */
	assert_int_equal(f[0].ts.sec, 1368908504);
	assert_int_equal(f[0].ts.nsec, 837063000);
	assert_int_equal(f[0].caplen, 148);
	assert_int_equal(f[0].wirelen, 148);
	assert_int_equal(f[0].data[0], 0x00);
	assert_int_equal(f[0].data[1], 0x16);
	assert_int_equal(vx_source_next(s, f, 64, 0), VX_SOURCE_EOF);
	vx_source_stats(s, &st);
	assert_int_equal(st.frames, 10);
	assert_int_equal(st.bad_records, 0);
	assert_string_equal(vx_source_error(s), "");
	vx_source_close(s);

	s = open_ok(PCAPS "ndpi-http.pcapng");
	assert_int_equal(vx_source_link(s), VX_LINK_ETHERNET);
	assert_true(vx_source_nanosecond(s));
	assert_true(count_frames(s, &end) > 0);
	assert_int_equal(end, VX_SOURCE_EOF);
	vx_source_close(s);

	s = open_ok(PCAPS "sv-ipv6-http-port8000.pcap");
	assert_int_equal(vx_source_link(s), VX_LINK_NULL);
	assert_int_equal(vx_source_next(s, f, 1, 0), 1);
	/* BSD loopback header: AF_INET6 as written on macOS (30). */
	assert_int_equal(f[0].data[0], 30);
	vx_source_close(s);
}

/* Header snaplen 1, one record with caplen 8 and len 78: libpcap hands out
 * one byte (the record is longer than the snaplen but sane). */
static void test_snaplen_smaller_than_record(void **state)
{
	struct cmp_result r;
	struct vx_source *s;
	struct vx_frame f[4];

	(void)state;
	compare_with_libpcap(PCAPS "zeek-trunc-hdr.pcap", 4, &r);
	assert_int_equal(r.frames, 1);
	s = open_ok(PCAPS "zeek-trunc-hdr.pcap");
	assert_int_equal(vx_source_next(s, f, 4, 0), 1);
	assert_int_equal(f[0].caplen, 1);
	assert_int_equal(f[0].wirelen, 78);
	assert_int_equal(f[0].data[0], 0x00);
	assert_int_equal(vx_source_next(s, f, 4, 0), VX_SOURCE_EOF);
	vx_source_close(s);

	/* A fuzzed record whose wire length is absurd is still handed out. */
	compare_with_libpcap(PCAPS "tcpdump-tcp_header_heapoverflow.pcap", 4, &r);
	assert_false(r.lib_error);
	s = open_ok(PCAPS "tcpdump-tcp_header_heapoverflow.pcap");
	assert_int_equal(vx_source_next(s, f, 4, 0), 1);
	assert_int_equal(f[0].caplen, 46);
	assert_int_equal(f[0].wirelen, 0x40000);
	assert_int_equal(f[0].ts.sec, 0x30303030);
	assert_int_equal(f[0].ts.nsec, 999999000);
	vx_source_close(s);
}

static void check_written(const char *name, int big, uint32_t magic, int nsec)
{
	static struct pbuf pb;
	uint8_t data[100];
	char path[512];
	struct vx_source *s;
	struct vx_frame f[8];
	struct cmp_result r;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	pb_header(&pb, big, magic, 65535, 1);
	pb_record(&pb, 1700000000, nsec ? 123456789 : 123456, 60, 60, data, 60);
	pb_record(&pb, 1700000001, nsec ? 999999999 : 999999, 100, 1514, data, 100);
	tmp_path(path, sizeof(path), name);
	write_file(path, pb.b, pb.len);

	s = open_ok(path);
	assert_int_equal(vx_source_nanosecond(s), nsec);
	assert_int_equal(vx_source_next(s, f, 8, 0), 2);
	assert_int_equal(f[0].ts.sec, 1700000000);
	assert_int_equal(f[0].ts.nsec, nsec ? 123456789 : 123456000);
	assert_int_equal(f[0].caplen, 60);
	assert_int_equal(f[0].wirelen, 60);
	assert_memory_equal(f[0].data, data, 60);
	assert_int_equal(f[1].ts.sec, 1700000001);
	assert_int_equal(f[1].ts.nsec, nsec ? 999999999 : 999999000);
	assert_int_equal(f[1].caplen, 100);
	assert_int_equal(f[1].wirelen, 1514);
	assert_memory_equal(f[1].data, data, 100);
	assert_int_equal(vx_source_next(s, f, 8, 0), VX_SOURCE_EOF);
	vx_source_close(s);
	compare_with_libpcap(path, 1, &r);
	assert_int_equal(r.frames, 2);
}

static void test_byte_orders_and_precisions(void **state)
{
	(void)state;
	check_written("le-usec.pcap", 0, 0xa1b2c3d4, 0);
	check_written("be-usec.pcap", 1, 0xa1b2c3d4, 0);
	check_written("le-nsec.pcap", 0, 0xa1b23c4d, 1);
	check_written("be-nsec.pcap", 1, 0xa1b23c4d, 1);
}

static void test_open_errors(void **state)
{
	char err[512], path[512], want[600];
	static const char text[] = "these are notes, not packets\n";

	(void)state;
	tmp_path(path, sizeof(path), "nosuch.pcap");
	assert_null(vx_source_open_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);

	tmp_path(path, sizeof(path), "notes.txt");
	write_file(path, text, sizeof(text) - 1);
	assert_null(vx_source_open_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a pcap or pcapng file", path);
	assert_string_equal(err, want);

	tmp_path(path, sizeof(path), "empty.pcap");
	write_file(path, "", 0);
	assert_null(vx_source_open_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: empty file", path);
	assert_string_equal(err, want);

	/* A pcap magic and nothing else. */
	tmp_path(path, sizeof(path), "short.pcap");
	write_file(path, "\xd4\xc3\xb2\xa1\x02\x00", 6);
	assert_null(vx_source_open_file(path, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated pcap file header"));
	assert_memory_equal(err, path, strlen(path));

	assert_null(vx_source_open_file(tmpdir, err, sizeof(err)));
	assert_non_null(strstr(err, "Is a directory"));
}

static void test_unsupported_link(void **state)
{
	static struct pbuf pb;
	char err[512], path[512], want[600];

	(void)state;
	pb_header(&pb, 0, 0xa1b2c3d4, 65535, 105);
	tmp_path(path, sizeof(path), "wifi.pcap");
	write_file(path, pb.b, pb.len);
	assert_null(vx_source_open_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: unsupported link type 105 (IEEE802_11)", path);
	assert_string_equal(err, want);

	/* libpcap has no name for the user types. */
	pb_header(&pb, 0, 0xa1b2c3d4, 65535, 147);
	tmp_path(path, sizeof(path), "user0.pcap");
	write_file(path, pb.b, pb.len);
	assert_null(vx_source_open_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: unsupported link type 147 (unknown)", path);
	assert_string_equal(err, want);

	/* LINKTYPE_RAW as written in files is DLT_RAW. */
	pb_header(&pb, 0, 0xa1b2c3d4, 65535, 101);
	tmp_path(path, sizeof(path), "raw.pcap");
	write_file(path, pb.b, pb.len);
	{
		struct vx_source *s = open_ok(path);

		assert_int_equal(vx_source_link(s), VX_LINK_RAW);
		vx_source_close(s);
	}
	assert_int_equal(vx_link_from_dlt(DLT_EN10MB), VX_LINK_ETHERNET);
	assert_int_equal(vx_link_from_dlt(DLT_NULL), VX_LINK_NULL);
	assert_int_equal(vx_link_from_dlt(DLT_LOOP), VX_LINK_NULL);
	assert_int_equal(vx_link_from_dlt(DLT_RAW), VX_LINK_RAW);
	assert_int_equal(vx_link_from_dlt(101), VX_LINK_RAW);
	assert_int_equal(vx_link_from_dlt(14), VX_LINK_RAW);
	assert_int_equal(vx_link_from_dlt(DLT_LINUX_SLL), VX_LINK_SLL);
	assert_int_equal(vx_link_from_dlt(DLT_IEEE802_11), -1);
}

static void test_truncated_last_record(void **state)
{
	static struct pbuf pb;
	uint8_t data[200] = {0};
	char path[512];
	struct vx_source *s;
	struct vx_source_stats st;
	struct vx_frame f[8];
	struct cmp_result r;

	(void)state;
	pb_header(&pb, 0, 0xa1b2c3d4, 65535, 1);
	pb_record(&pb, 1, 0, 60, 60, data, 60);
	pb_record(&pb, 2, 0, 60, 60, data, 60);
	pb_record(&pb, 3, 0, 200, 200, data, 50); /* cut: 150 bytes missing */
	tmp_path(path, sizeof(path), "cut.pcap");
	write_file(path, pb.b, pb.len);

	/* libpcap gives the two whole records, then an error. */
	compare_with_libpcap(path, 8, &r);
	assert_int_equal(r.frames, 2);
	assert_true(r.lib_error);
	assert_non_null(strstr(r.lib_msg, "truncated dump file"));

	/* We give the same two, then EOF with a warning and a bad record. */
	s = open_ok(path);
	assert_int_equal(vx_source_next(s, f, 8, 0), 2);
	assert_int_equal(f[1].ts.sec, 2);
	assert_int_equal(vx_source_next(s, f + 2, 6, 0), VX_SOURCE_EOF);
	/* The frames already handed out stay valid. */
	assert_int_equal(f[1].caplen, 60);
	assert_int_equal(f[1].data[0], 0);
	vx_source_stats(s, &st);
	assert_int_equal(st.bad_records, 1);
	assert_int_equal(st.frames, 2);
	assert_non_null(strstr(vx_source_error(s), path));
	assert_non_null(strstr(vx_source_error(s), "record 3"));
	assert_int_equal(vx_source_next(s, f, 8, 0), VX_SOURCE_EOF);
	vx_source_close(s);

	/* A record header cut in the middle. */
	pb.len -= 16 + 50 - 7;
	write_file(path, pb.b, pb.len);
	s = open_ok(path);
	assert_int_equal(vx_source_next(s, f, 8, 0), 2);
	assert_int_equal(vx_source_next(s, f, 8, 0), VX_SOURCE_EOF);
	vx_source_stats(s, &st);
	assert_int_equal(st.bad_records, 1);
	assert_non_null(strstr(vx_source_error(s), "header"));
	vx_source_close(s);
}

static void test_insane_caplen(void **state)
{
	static struct pbuf pb;
	uint8_t data[64] = {0};
	char path[512];
	struct vx_source *s;
	struct vx_source_stats st;
	struct vx_frame f[8];
	struct cmp_result r;

	(void)state;
	pb_header(&pb, 0, 0xa1b2c3d4, 65535, 1);
	pb_record(&pb, 1, 0, 60, 60, data, 60);
	pb_record(&pb, 2, 0, 262145, 262145, data, 64);
	tmp_path(path, sizeof(path), "insane.pcap");
	write_file(path, pb.b, pb.len);

	compare_with_libpcap(path, 8, &r);
	assert_int_equal(r.frames, 1);
	assert_true(r.lib_error);
	assert_non_null(strstr(r.lib_msg, "invalid packet capture length 262145"));

	s = open_ok(path);
	assert_int_equal(vx_source_next(s, f, 8, 0), 1);
	assert_int_equal(vx_source_next(s, f, 8, 0), VX_SOURCE_ERROR);
	assert_non_null(strstr(vx_source_error(s), path));
	assert_non_null(strstr(vx_source_error(s), "record 2"));
	assert_non_null(strstr(vx_source_error(s), r.lib_msg));
	vx_source_stats(s, &st);
	assert_int_equal(st.bad_records, 1);
	vx_source_close(s);
}

/* A pipe cannot be mapped: libpcap reads it and frames are copied. */
static void test_pipe_through_libpcap(void **state)
{
	char fifo[512];
	const char *src = PCAPS "ndpi-vxlan-outer-vlan-tls.pcap";
	pid_t pid;
	struct vx_source *s;
	struct vx_frame f[64];
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int n, total = 0, status;

	(void)state;
	tmp_path(fifo, sizeof(fifo), "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("cp", "cp", src, fifo, (char *)NULL);
		_exit(127);
	}
	s = open_ok(fifo);
	p = pcap_open_offline_with_tstamp_precision(src, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	assert_non_null(p);
	while ((n = vx_source_next(s, f, 64, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			struct pcap_pkthdr *h;
			const u_char *d;

			assert_int_equal(pcap_next_ex(p, &h, &d), 1);
			assert_int_equal(f[i].caplen, h->caplen);
			assert_int_equal(f[i].ts.nsec, (uint32_t)h->ts.tv_usec);
			/* Every frame of the batch is still intact. */
			assert_memory_equal(f[i].data, d, h->caplen);
		}
		total += n;
	}
	assert_int_equal(n, VX_SOURCE_EOF);
	assert_int_equal(total, 127);
	pcap_close(p);
	vx_source_close(s);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* pcapng goes through libpcap: a cut block ends the input the same way. */
static void test_truncated_pcapng(void **state)
{
	static uint8_t b[1 << 20];
	char path[512];
	FILE *fp = fopen(PCAPS "ndpi-http.pcapng", "rb");
	size_t len;
	struct cmp_result r;
	struct vx_source *s;
	struct vx_source_stats st;
	int end, n;

	(void)state;
	assert_non_null(fp);
	len = fread(b, 1, sizeof(b), fp);
	fclose(fp);
	assert_true(len > 100 && len < sizeof(b));
	tmp_path(path, sizeof(path), "cut.pcapng");
	write_file(path, b, len - 10);

	compare_with_libpcap(path, 5, &r);
	assert_true(r.lib_error);
	assert_non_null(strstr(r.lib_msg, "truncated"));
	s = open_ok(path);
	n = count_frames(s, &end);
	assert_int_equal((uint64_t)n, r.frames);
	assert_int_equal(end, VX_SOURCE_EOF);
	vx_source_stats(s, &st);
	assert_int_equal(st.bad_records, 1);
	assert_non_null(strstr(vx_source_error(s), path));
	vx_source_close(s);
}

/* "-" reads standard input through libpcap. */
static void test_stdin(void **state)
{
	int saved = dup(0);
	int fd = open(PCAPS "tcpdump-vxlan.pcap", O_RDONLY);
	struct vx_source *s;
	int end;

	(void)state;
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	s = open_ok("-");
	assert_int_equal(dup2(saved, 0), 0); /* the source keeps its own copy */
	close(saved);
	assert_int_equal(vx_source_link(s), VX_LINK_ETHERNET);
	assert_int_equal(count_frames(s, &end), 10);
	assert_int_equal(end, VX_SOURCE_EOF);
	vx_source_close(s);
}

/* --- UDP ------------------------------------------------------------------ */

static int udp_sender(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_vxlan(int fd, uint32_t seq, size_t len)
{
	static uint8_t b[70000];

	memset(b, 0, len);
	b[0] = 0x08; /* I flag */
	b[4] = 0;
	b[5] = 0;
	b[6] = 42; /* VNI 42 */
	memcpy(b + 8, &seq, sizeof(seq));
	assert_int_equal(send(fd, b, len, 0), (ssize_t)len);
}

static void udp_batch(const char *listen)
{
	char err[256] = "";
	struct vx_source *s = vx_source_open_udp(listen, 1 << 20, err, sizeof(err));
	struct vx_frame f[64];
	struct timespec now;
	int port, fd, got = 0, calls = 0;

	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	assert_int_equal(vx_source_kind(s), VX_SOURCE_UDP);
	assert_int_equal(vx_source_link(s), VX_LINK_VXLAN);
	assert_true(vx_source_nanosecond(s));
	port = vx_source_udp_port(s);
	assert_true(port > 0);
	fd = udp_sender(port);
	for (uint32_t i = 0; i < 100; i++)
		send_vxlan(fd, i, 50 + i);
	clock_gettime(CLOCK_REALTIME, &now);
	while (got < 100 && calls < 10) {
		int n = vx_source_next(s, f, 64, 1000);

		calls++;
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			uint32_t seq;

			memcpy(&seq, f[i].data + 8, sizeof(seq));
			assert_int_equal(seq, (uint32_t)(got + i));
			assert_int_equal(f[i].caplen, 50 + seq);
			assert_int_equal(f[i].wirelen, 50 + seq);
			assert_int_equal(f[i].data[0], 0x08);
			/* Kernel receive time: within a few seconds of now. */
			assert_true(f[i].ts.sec >= now.tv_sec - 5 && f[i].ts.sec <= now.tv_sec + 5);
			assert_true(f[i].ts.nsec < 1000000000u);
		}
		got += n;
	}
	assert_int_equal(got, 100);
	/* Loopback delivers them all before the first call: 64 + 36. */
	assert_true(calls <= 3);
	assert_int_equal(vx_source_next(s, f, 64, 20), VX_SOURCE_TIMEOUT);
	{
		struct vx_source_stats st;

		vx_source_stats(s, &st);
		assert_int_equal(st.frames, 100);
		assert_int_equal(st.oversize, 0);
		assert_int_equal(st.kernel_drops, 0);
	}
	close(fd);
	vx_source_close(s);
}

static void test_udp_batches(void **state)
{
	(void)state;
	udp_batch("127.0.0.1:0");
	udp_batch(":0"); /* dual stack: IPv4 reaches the IPv6 socket */
}

static void test_udp_timeout(void **state)
{
	char err[256];
	struct vx_source *s = vx_source_open_udp("127.0.0.1:0", 0, err, sizeof(err));
	struct vx_frame f[4];
	struct timespec a, b;
	long ms;

	(void)state;
	assert_non_null(s);
	assert_int_equal(vx_source_next(s, f, 4, 0), VX_SOURCE_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(vx_source_next(s, f, 4, 100), VX_SOURCE_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 90 && ms < 2000);
	vx_source_close(s);
}

static void test_udp_oversize(void **state)
{
	char err[256];
	struct vx_source *s = vx_source_open_udp_slots("127.0.0.1:0", 0, 256, err, sizeof(err));
	struct vx_source_stats st;
	struct vx_frame f[4];
	int fd;

	(void)state;
	assert_non_null(s);
	fd = udp_sender(vx_source_udp_port(s));
	send_vxlan(fd, 7, 1000);
	send_vxlan(fd, 8, 256);
	assert_int_equal(vx_source_next(s, f, 4, 1000), 2);
	assert_int_equal(f[0].caplen, 256);
	assert_int_equal(f[0].wirelen, 1000);
	assert_int_equal(f[1].caplen, 256);
	assert_int_equal(f[1].wirelen, 256);
	vx_source_stats(s, &st);
	assert_int_equal(st.oversize, 1);
	close(fd);
	vx_source_close(s);
}

/* A tiny receive buffer overflows; the next datagram queued carries the
 * socket's drop counter. */
static void test_udp_kernel_drops(void **state)
{
	char err[256];
	struct vx_source *s = vx_source_open_udp("127.0.0.1:0", 4096, err, sizeof(err));
	struct vx_source_stats st;
	struct vx_frame f[64];
	int fd, n, got = 0;

	(void)state;
	assert_non_null(s);
	fd = udp_sender(vx_source_udp_port(s));
	for (uint32_t i = 0; i < 200; i++)
		send_vxlan(fd, i, 1000);
	while ((n = vx_source_next(s, f, 64, 0)) > 0)
		got += n;
	assert_true(got > 0 && got < 200);
	send_vxlan(fd, 999, 100);
	assert_int_equal(vx_source_next(s, f, 64, 1000), 1);
	vx_source_stats(s, &st);
	assert_int_equal(st.kernel_drops, (uint64_t)(200 - got));
	assert_int_equal(st.frames, (uint64_t)got + 1);
	close(fd);
	vx_source_close(s);
}

static void test_udp_listen_errors(void **state)
{
	static const struct {
		const char *listen;
		const char *want;
	} bad[] = {
	    {"4789", "bad listen address \"4789\""},
	    {"1.2.3.4", "bad listen address \"1.2.3.4\""},
	    {"1.2.3.4:", "bad port \"\""},
	    {"1.2.3.4:65536", "bad port \"65536\""},
	    {"1.2.3.4:-1", "bad port \"-1\""},
	    {"1.2.3.4:47x", "bad port \"47x\""},
	    {"::1:4789", "put an IPv6 address in brackets"},
	    {"[::1]4789", "expected [V6ADDR]:PORT"},
	    {"[::1", "expected [V6ADDR]:PORT"},
	    {"[zz]:4789", "numeric IPv6 address"},
	    {"localhost:4789", "numeric IPv4 address"},
	    {"1.2.3:4789", "numeric IPv4 address"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(vx_source_open_udp(bad[i].listen, 0, err, sizeof(err)));
		if (!strstr(err, bad[i].want))
			print_error("%s -> %s\n", bad[i].listen, err);
		assert_non_null(strstr(err, bad[i].want));
	}
	/* A valid IPv6 listener. */
	{
		struct vx_source *s = vx_source_open_udp("[::1]:0", 0, err, sizeof(err));

		if (s) { /* hosts without IPv6 cannot bind ::1 */
			assert_true(vx_source_udp_port(s) > 0);
			vx_source_close(s);
		}
	}
}

/* --- live ------------------------------------------------------------------ */

static void test_live_errors(void **state)
{
	char err[512];
	struct vx_source *s;

	(void)state;
	assert_null(vx_source_open_live("vxtapnosuch0", NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "vxtapnosuch0"));

	/* What follows needs the right to capture. */
	s = vx_source_open_live("lo", "udp port", 0, err, sizeof(err));
	if (!s && strstr(err, "permission denied")) {
		assert_non_null(strstr(err, "CAP_NET_RAW"));
		skip();
	}
	assert_null(s);
	assert_non_null(strstr(err, "bad filter \"udp port\""));
}

static void test_live_loopback(void **state)
{
	char err[512], filter[64];
	struct vx_source *s;
	struct vx_frame f[64];
	struct vx_source_stats st;
	int fd, port, got = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof(sa);

	(void)state;
	/* A port nobody else uses: bind one, then capture traffic to it. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	port = ntohs(sa.sin_port);
	snprintf(filter, sizeof(filter), "udp dst port %d", port);
	s = vx_source_open_live("lo", filter, 0, err, sizeof(err));
	if (!s) {
		close(fd);
		print_message("live capture unavailable: %s\n", err);
		skip();
	}
	assert_int_equal(vx_source_kind(s), VX_SOURCE_LIVE);
	assert_int_equal(vx_source_link(s), VX_LINK_ETHERNET);
	assert_int_equal(vx_source_next(s, f, 64, 0), VX_SOURCE_TIMEOUT);
	{
		int tx = udp_sender(port);

		for (uint32_t i = 0; i < 20; i++)
			send_vxlan(tx, i, 64);
		close(tx);
	}
	for (int tries = 0; got < 20 && tries < 50; tries++) {
		int n = vx_source_next(s, f, 64, 100);

		if (n == VX_SOURCE_TIMEOUT)
			continue;
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			uint32_t seq;

			/* Ethernet 14 + IPv4 20 + UDP 8, then our payload. */
			assert_int_equal(f[i].caplen, 14 + 20 + 8 + 64);
			memcpy(&seq, f[i].data + 42 + 8, sizeof(seq));
			assert_int_equal(seq, (uint32_t)(got + i));
		}
		got += n;
	}
	assert_int_equal(got, 20);
	vx_source_stats(s, &st);
	assert_int_equal(st.frames, 20);
	vx_source_close(s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_captures_match_libpcap),
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_big_file_mapped_and_read),
	    cmocka_unit_test(test_file_cut_while_mapped),
	    cmocka_unit_test(test_snaplen_smaller_than_record),
	    cmocka_unit_test(test_byte_orders_and_precisions),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_unsupported_link),
	    cmocka_unit_test(test_truncated_last_record),
	    cmocka_unit_test(test_insane_caplen),
	    cmocka_unit_test(test_pipe_through_libpcap),
	    cmocka_unit_test(test_truncated_pcapng),
	    cmocka_unit_test(test_stdin),
	    cmocka_unit_test(test_udp_batches),
	    cmocka_unit_test(test_udp_timeout),
	    cmocka_unit_test(test_udp_oversize),
	    cmocka_unit_test(test_udp_kernel_drops),
	    cmocka_unit_test(test_udp_listen_errors),
	    cmocka_unit_test(test_live_errors),
	    cmocka_unit_test(test_live_loopback),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
