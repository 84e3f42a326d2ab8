/* pcap writer: files read back by libpcap byte for byte; rotation by size and
 * by time; the --rotate parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "vxtap/pcapwriter.h"

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	return tu_tmp_make(tmpdir, sizeof(tmpdir), "pcapwriter");
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

static void frame_bytes(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 31 + i);
}

static struct vx_pcap_writer *open_writer(const char *path, int nsec, uint64_t bytes,
                                          uint32_t seconds)
{
	struct vx_pcap_writer_config cfg = {
	    .path = path,
	    .snaplen = 0,
	    .nanosecond = nsec,
	    .rotate_bytes = bytes,
	    .rotate_seconds = seconds,
	};
	char err[512] = "";
	struct vx_pcap_writer *w = vx_pcap_writer_open(&cfg, err, sizeof(err));

	if (!w)
		print_error("%s\n", err);
	assert_non_null(w);
	return w;
}

static void write_frame(struct vx_pcap_writer *w, int64_t sec, uint32_t nsec, uint32_t caplen,
                        uint32_t wirelen, uint32_t seed)
{
	static uint8_t b[65536];
	struct vx_time ts = {.sec = sec, .nsec = nsec};

	frame_bytes(b, caplen, seed);
	assert_int_equal(vx_pcap_writer_write(w, &ts, b, caplen, wirelen), 0);
}

/* Read path with libpcap and check count frames: seeds first_seed..., caplen
 * from lens[], timestamps from secs[]. */
static void check_file(const char *path, int nsec, int count, const uint32_t *lens,
                       const int64_t *secs, uint32_t first_seed)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
	    path, nsec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	static uint8_t want[65536];

	if (!p)
		print_error("%s: %s\n", path, ebuf);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), 262144);
	assert_int_equal(pcap_major_version(p), 2);
	assert_int_equal(pcap_minor_version(p), 4);
	assert_false(pcap_is_swapped(p));
	for (int i = 0; i < count; i++) {
		assert_int_equal(pcap_next_ex(p, &h, &d), 1);
		assert_int_equal(h->caplen, lens[i]);
		assert_int_equal(h->ts.tv_sec, secs[i]);
		frame_bytes(want, lens[i], first_seed + (uint32_t)i);
		assert_memory_equal(d, want, lens[i]);
	}
	assert_int_equal(pcap_next_ex(p, &h, &d), PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void read_raw(const char *path, uint8_t *buf, size_t len)
{
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, len, fp), len);
	fclose(fp);
}

static void test_write_usec(void **state)
{
	char path[512], ebuf[PCAP_ERRBUF_SIZE];
	struct vx_pcap_writer *w;
	struct vx_pcap_writer_stats st;
	uint8_t hdr[24 + 16];
	static const uint8_t want_hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
	                                     0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
	const uint32_t lens[] = {60, 1514, 9000};
	const int64_t secs[] = {1700000000, 1700000000, 1700000005};
	pcap_t *p;
	struct pcap_pkthdr *h;
	const u_char *d;

	(void)state;
	tmp_path(path, sizeof(path), "usec.pcap");
	w = open_writer(path, 0, 0, 0);
	write_frame(w, secs[0], 123456789, lens[0], 60, 0);
	write_frame(w, secs[1], 999999999, lens[1], 1514, 1);
	write_frame(w, secs[2], 0, lens[2], 9500, 2);
	vx_pcap_writer_stats(w, &st);
	assert_int_equal(st.frames, 3);
	assert_int_equal(st.files, 1);
	assert_int_equal(vx_pcap_writer_close(w), 0);

	read_raw(path, hdr, sizeof(hdr));
	assert_memory_equal(hdr, want_hdr, 24);
	check_file(path, 0, 3, lens, secs, 0);

	/* Microseconds are the nanoseconds cut, wire lengths kept. */
	p = pcap_open_offline(path, ebuf);
	assert_non_null(p);
	assert_int_equal(pcap_next_ex(p, &h, &d), 1);
	assert_int_equal(h->ts.tv_usec, 123456);
	assert_int_equal(h->len, 60);
	assert_int_equal(pcap_next_ex(p, &h, &d), 1);
	assert_int_equal(h->ts.tv_usec, 999999);
	assert_int_equal(pcap_next_ex(p, &h, &d), 1);
	assert_int_equal(h->len, 9500);
	pcap_close(p);
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0644);
		assert_int_equal((uint64_t)sb.st_size, 24 + 3 * 16 + 60 + 1514 + 9000);
	}
}

static void test_write_nsec(void **state)
{
	char path[512], ebuf[PCAP_ERRBUF_SIZE];
	struct vx_pcap_writer *w;
	uint8_t magic[4];
	pcap_t *p;
	struct pcap_pkthdr *h;
	const u_char *d;

	(void)state;
	tmp_path(path, sizeof(path), "nsec.pcap");
	w = open_writer(path, 1, 0, 0);
	write_frame(w, 1700000000, 123456789, 100, 100, 5);
	write_frame(w, 1700000001, 1, 64, 64, 6);
	assert_int_equal(vx_pcap_writer_close(w), 0);
	read_raw(path, magic, 4);
	assert_int_equal(magic[0], 0x4d);
	assert_int_equal(magic[1], 0x3c);
	assert_int_equal(magic[2], 0xb2);
	assert_int_equal(magic[3], 0xa1);
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	assert_non_null(p);
	assert_int_equal(pcap_next_ex(p, &h, &d), 1);
	assert_int_equal(h->ts.tv_sec, 1700000000);
	assert_int_equal(h->ts.tv_usec, 123456789);
	assert_int_equal(pcap_next_ex(p, &h, &d), 1);
	assert_int_equal(h->ts.tv_usec, 1);
	assert_int_equal(pcap_next_ex(p, &h, &d), PCAP_ERROR_BREAK);
	pcap_close(p);
}

/* Frames bigger than the 1 MiB buffer go straight to the file. */
static void test_big_frame(void **state)
{
	char path[512];
	struct vx_pcap_writer *w;
	const uint32_t big = (3u << 19) + 3; /* 1.5 MiB + 3 */
	uint8_t *b = malloc(big), *back = malloc(24 + 16 * 3 + 10 + big + 20);
	struct vx_time ts = {.sec = 10, .nsec = 0};

	(void)state;
	assert_non_null(b);
	assert_non_null(back);
	frame_bytes(b, big, 9);
	tmp_path(path, sizeof(path), "big.pcap");
	w = open_writer(path, 0, 0, 0);
	assert_int_equal(vx_pcap_writer_write(w, &ts, b, 10, 10), 0);
	assert_int_equal(vx_pcap_writer_write(w, &ts, b, big, big), 0);
	assert_int_equal(vx_pcap_writer_write(w, &ts, b, 20, 20), 0);
	assert_int_equal(vx_pcap_writer_close(w), 0);
	read_raw(path, back, 24 + 16 * 3 + 10 + big + 20);
	/* Records in order: 10 bytes, the big one, 20 bytes. */
	assert_memory_equal(back + 24 + 16, b, 10);
	assert_int_equal(back[24 + 16 + 10 + 8] | back[24 + 16 + 10 + 9] << 8 |
	                     back[24 + 16 + 10 + 10] << 16,
	                 big);
	assert_memory_equal(back + 24 + 16 + 10 + 16, b, big);
	assert_memory_equal(back + 24 + 16 * 3 + 10 + big, b, 20);
	free(b);
	free(back);
}

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void test_rotate_by_size(void **state)
{
	char path[512], name[512];
	struct vx_pcap_writer *w;
	struct vx_pcap_writer_stats st;
	const uint32_t lens[] = {100, 100, 100, 100, 100};
	const int64_t secs[] = {1, 2, 3, 4, 5};
	const uint32_t one_big[] = {1000};
	const int64_t big_sec[] = {6};

	(void)state;
	/* Room for the header and exactly two 100-byte frames. */
	tmp_path(path, sizeof(path), "size.pcap");
	w = open_writer(path, 0, 24 + 2 * (16 + 100), 0);
	for (uint32_t i = 0; i < 5; i++)
		write_frame(w, secs[i], 0, 100, 100, i);
	/* Alone in its file although it is past the limit. */
	write_frame(w, 6, 0, 1000, 1000, 5);
	vx_pcap_writer_stats(w, &st);
	assert_int_equal(st.files, 4);
	assert_int_equal(vx_pcap_writer_close(w), 0);

	assert_false(file_exists(path));
	tmp_path(name, sizeof(name), "size.00000.pcap");
	check_file(name, 0, 2, lens, secs, 0);
	tmp_path(name, sizeof(name), "size.00001.pcap");
	check_file(name, 0, 2, lens + 2, secs + 2, 2);
	tmp_path(name, sizeof(name), "size.00002.pcap");
	check_file(name, 0, 1, lens + 4, secs + 4, 4);
	tmp_path(name, sizeof(name), "size.00003.pcap");
	check_file(name, 0, 1, one_big, big_sec, 5);
	tmp_path(name, sizeof(name), "size.00004.pcap");
	assert_false(file_exists(name));
}

static void test_rotate_by_time(void **state)
{
	char path[512], name[512];
	struct vx_pcap_writer *w;
	const int64_t secs[] = {100, 110, 119, 120, 200, 300, 301, 150};
	const uint32_t lens[] = {50, 50, 50, 50, 50, 50, 50, 50};

	(void)state;
	/* No extension: ".pcap" is added. Periods are [60,120), [120,180), ... */
	tmp_path(path, sizeof(path), "timed");
	w = open_writer(path, 1, 0, 60);
	for (uint32_t i = 0; i < 8; i++)
		write_frame(w, secs[i], 5, 50, 50, i);
	assert_int_equal(vx_pcap_writer_close(w), 0);

	tmp_path(name, sizeof(name), "timed.00000.pcap");
	check_file(name, 1, 3, lens, secs, 0);
	tmp_path(name, sizeof(name), "timed.00001.pcap");
	check_file(name, 1, 1, lens + 3, secs + 3, 3);
	tmp_path(name, sizeof(name), "timed.00002.pcap");
	check_file(name, 1, 1, lens + 4, secs + 4, 4);
	/* An older frame stays in the current file. */
	tmp_path(name, sizeof(name), "timed.00003.pcap");
	check_file(name, 1, 3, lens + 5, secs + 5, 5);
	tmp_path(name, sizeof(name), "timed.00004.pcap");
	assert_false(file_exists(name));

	/* Same input, same files: the period comes from the packets. */
	tmp_path(path, sizeof(path), "dir.d");
	assert_int_equal(mkdir(path, 0755), 0);
	tmp_path(path, sizeof(path), "dir.d/cap.pcapx");
	w = open_writer(path, 0, 0, 3600);
	write_frame(w, 7199, 0, 50, 50, 0);
	write_frame(w, 7200, 0, 50, 50, 1);
	assert_int_equal(vx_pcap_writer_close(w), 0);
	tmp_path(name, sizeof(name), "dir.d/cap.00000.pcapx");
	check_file(name, 0, 1, lens, (const int64_t[]){7199}, 0);
	tmp_path(name, sizeof(name), "dir.d/cap.00001.pcapx");
	check_file(name, 0, 1, lens, (const int64_t[]){7200}, 1);
}

static void test_open_error(void **state)
{
	char path[512], err[600] = "";
	struct vx_pcap_writer_config cfg = {.path = path};

	(void)state;
	tmp_path(path, sizeof(path), "missing-dir/out.pcap");
	assert_null(vx_pcap_writer_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
}

static void test_write_error(void **state)
{
	struct vx_pcap_writer_config cfg = {.path = "/dev/full"};
	char err[512];
	struct vx_pcap_writer *w;
	struct vx_pcap_writer_stats st;
	struct vx_time ts = {1, 0};
	uint8_t b[64] = {0};

	(void)state;
	w = vx_pcap_writer_open(&cfg, err, sizeof(err));
	if (!w)
		skip();
	assert_int_equal(vx_pcap_writer_write(w, &ts, b, sizeof(b), sizeof(b)), 0);
	assert_int_equal(vx_pcap_writer_flush(w), -1);
	assert_non_null(strstr(vx_pcap_writer_error(w), "/dev/full"));
	vx_pcap_writer_stats(w, &st);
	assert_int_equal(st.write_errors, 1);
	assert_int_equal(vx_pcap_writer_close(w), 0); /* nothing left to write */
}

static void test_parse_rotate(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
		uint32_t seconds;
	} good[] = {
	    {"1", 1, 0},
	    {"1000", 1000, 0},
	    {"500k", 500ull * 1024, 0},
	    {"500K", 500ull * 1024, 0},
	    {"100M", 100ull << 20, 0},
	    {"1G", 1ull << 30, 0},
	    {"17179869183G", 17179869183ull << 30, 0},
	    {"60s", 0, 60},
	    {"5m", 0, 300},
	    {"1h", 0, 3600},
	    {"007s", 0, 7},
	    {"4294967295s", 0, 4294967295u},
	    {"18446744073709551615", 18446744073709551615ull, 0},
	};
	static const char *const bad[] = {
	    "",
	    "0",
	    "0M",
	    "0s",
	    "k",
	    "M",
	    "-1",
	    "+1",
	    " 1",
	    "1 ",
	    "1.5G",
	    "1g",
	    "1T",
	    "1MB",
	    "1mb",
	    "1ss",
	    "1d",
	    "1S",
	    "1H",
	    "x",
	    "1e3",
	    "4294967296s",
	    "71582789m",
	    "1193047h",
	    "18446744073709551616",
	    "17179869184G",
	    "18014398509481984k",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t bytes = 0;
		uint32_t seconds = 0;

		if (vx_parse_rotate(good[i].text, &bytes, &seconds) != 0)
			print_error("rejected \"%s\"\n", good[i].text);
		assert_int_equal(vx_parse_rotate(good[i].text, &bytes, &seconds), 0);
		assert_int_equal(bytes, good[i].bytes);
		assert_int_equal(seconds, good[i].seconds);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t bytes = 7;
		uint32_t seconds = 7;

		if (vx_parse_rotate(bad[i], &bytes, &seconds) != -1)
			print_error("accepted \"%s\"\n", bad[i]);
		assert_int_equal(vx_parse_rotate(bad[i], &bytes, &seconds), -1);
		assert_int_equal(bytes, 7);
		assert_int_equal(seconds, 7);
	}
	assert_int_equal(vx_parse_rotate(NULL, NULL, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_usec),     cmocka_unit_test(test_write_nsec),
	    cmocka_unit_test(test_big_frame),      cmocka_unit_test(test_rotate_by_size),
	    cmocka_unit_test(test_rotate_by_time), cmocka_unit_test(test_open_error),
	    cmocka_unit_test(test_write_error),    cmocka_unit_test(test_parse_rotate),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
