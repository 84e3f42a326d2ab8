/* Flow-log record text: the LogFormat parser, the header line, and every
 * documented example record of SPEC.md §2.8 reproduced byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/flowlog_format.h"

static void set_addr(uint8_t *a, const char *text)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, a), 1);
}

/* An OK record; pkt-srcaddr/pkt-dstaddr equal srcaddr/dstaddr. */
static struct vx_flow_record flow(const char *eni, const char *src, uint16_t sport, const char *dst,
                                  uint16_t dport, uint8_t proto, uint64_t packets, uint64_t bytes,
                                  int64_t start, int64_t end, enum vx_flow_action action)
{
	struct vx_flow_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.interface_id, sizeof(r.interface_id), "%s", eni);
	r.log_status = VX_FLOW_OK;
	r.family = strchr(src, ':') ? 6 : 4;
	set_addr(r.srcaddr, src);
	set_addr(r.dstaddr, dst);
	set_addr(r.pkt_srcaddr, src);
	set_addr(r.pkt_dstaddr, dst);
	r.srcport = sport;
	r.dstport = dport;
	r.protocol = proto;
	r.packets = packets;
	r.bytes = bytes;
	r.start = start;
	r.end = end;
	r.action = action;
	return r;
}

static struct vx_flow_record no_traffic(const char *eni, enum vx_flow_log_status status,
                                        int64_t start, int64_t end)
{
	struct vx_flow_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.interface_id, sizeof(r.interface_id), "%s", eni);
	r.log_status = status;
	r.start = start;
	r.end = end;
	return r;
}

static struct vx_flowlog_format compile(const char *text)
{
	struct vx_flowlog_format f;
	char err[256] = "";
	int rc = vx_flowlog_format_parse(text, &f, err, sizeof(err));
	if (rc != 0)
		fail_msg("format '%s': %s", text, err);
	return f;
}

/* "a b c" (a header line) as the LogFormat "${a} ${b} ${c}". */
static struct vx_flowlog_format compile_names(const char *names)
{
	char text[2048] = "";
	size_t n = 0;
	for (const char *p = names; *p;) {
		size_t w = strcspn(p, " ");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s${%.*s}", n ? " " : "", (int)w,
		                      p);
		assert_true(n < sizeof(text));
		p += w;
		p += *p == ' ';
	}
	return compile(text);
}

/* The record renders as `want` plus '\n'; any smaller buffer gives 0, an
 * empty string and no write past its end (heap buffers of the exact size,
 * so the address sanitizer sees an overrun). */
static void expect_line(const struct vx_flowlog_format *f, const struct vx_flow_record *r,
                        const struct vx_flow_meta *m, const char *want)
{
	char line[VX_FLOWLOG_LINE_MAX];
	size_t n = vx_flowlog_render(f, r, m, line, sizeof(line));
	size_t wn = strlen(want);
	assert_int_equal(n, wn + 1);
	assert_true(line[wn] == '\n' && line[wn + 1] == '\0');
	line[wn] = '\0';
	assert_string_equal(line, want);

	assert_int_equal(vx_flowlog_render(f, r, m, line, 0), 0);
	for (size_t len = 1; len <= n + 1; len++) {
		char *b = malloc(len);
		assert_non_null(b);
		memset(b, 'x', len);
		size_t got = vx_flowlog_render(f, r, m, b, len);
		if (len <= n) {
			assert_int_equal(got, 0);
			assert_int_equal(b[0], '\0');
		} else {
			assert_int_equal(got, n);
			assert_memory_equal(b, want, wn);
		}
		free(b);
	}
}

static void expect_header(const struct vx_flowlog_format *f, const char *want)
{
	char line[VX_FLOWLOG_LINE_MAX];
	size_t n = vx_flowlog_format_header(f, line, sizeof(line));
	assert_int_equal(n, strlen(want) + 1);
	line[n - 1] = '\0';
	assert_string_equal(line, want);
	char tight[VX_FLOWLOG_LINE_MAX];
	assert_int_equal(vx_flowlog_format_header(f, tight, n), 0);
	assert_int_equal(tight[0], '\0');
	assert_int_equal(vx_flowlog_format_header(f, tight, n + 1), n);
}

/* All fields, AWS table order up to version 10 (SPEC.md §2.3). */
static const char ALL_FIELDS[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr "
    "pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service "
    "pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name "
    "ecs-container-instance-arn ecs-container-instance-id ecs-container-id "
    "ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn "
    "ecs-task-id reject-reason resource-id encryption-status";

static void test_field_table(void **state)
{
	(void)state;
	static const int versions[VX_FLOWLOG_FIELD_COUNT] = {
	    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3,
	    4, 4, 4, 4, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 9, 10};
	assert_int_equal(VX_FLOWLOG_FIELD_COUNT, 42);
	char joined[1024] = "";
	for (int i = 0; i < VX_FLOWLOG_FIELD_COUNT; i++) {
		assert_non_null(vx_flowlog_field_name(i));
		if (i)
			strcat(joined, " ");
		strcat(joined, vx_flowlog_field_name(i));
		assert_int_equal(vx_flowlog_field_version(i), versions[i]);
	}
	assert_string_equal(joined, ALL_FIELDS);
	assert_null(vx_flowlog_field_name(-1));
	assert_null(vx_flowlog_field_name(VX_FLOWLOG_FIELD_COUNT));
	assert_int_equal(vx_flowlog_field_version(-1), 0);
	assert_int_equal(vx_flowlog_field_version(VX_FLOWLOG_FIELD_COUNT), 0);

	struct vx_flowlog_format f = compile_names(ALL_FIELDS);
	assert_int_equal(f.count, VX_FLOWLOG_FIELD_COUNT);
	for (int i = 0; i < VX_FLOWLOG_FIELD_COUNT; i++)
		assert_int_equal(f.fields[i], i);
	assert_int_equal(f.version, 10);
	expect_header(&f, ALL_FIELDS);
}

static void test_default_format(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile(VX_FLOWLOG_DEFAULT_FORMAT);
	assert_int_equal(f.count, 14);
	assert_int_equal(f.version, 2);
	/* SPEC.md §2.10: the header of a default-format S3 object. */
	expect_header(&f, "version account-id interface-id srcaddr dstaddr srcport dstport "
	                  "protocol packets bytes start end action log-status");
}

/* version = the highest version among the fields present (SPEC.md §2.2). */
static void test_versions(void **state)
{
	(void)state;
	static const struct {
		const char *format;
		int version;
	} cases[] = {
	    {"${srcaddr}", 2},
	    {"${version} ${srcaddr} ${dstaddr} ${bytes} ${packets}", 2},
	    {"${version} ${vpc-id} ${region}", 4},
	    {"${srcaddr} ${tcp-flags} ${az-id} ${dstaddr}", 4},
	    {"${region} ${version}", 4},
	    {"${version} ${flow-direction}", 5},
	    {"${ecs-task-id}", 7},
	    {"${version} ${ecs-cluster-name} ${srcaddr}", 7},
	    {"${reject-reason}", 8},
	    {"${resource-id} ${version}", 9},
	    {"${encryption-status}", 10},
	    {"${version} ${interface-id} ${tcp-flags} ${flow-direction} ${reject-reason} "
	     "${encryption-status}",
	     10},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_flowlog_format f = compile(cases[i].format);
		assert_int_equal(f.version, cases[i].version);
	}
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *format, *why;
	} bad[] = {
	    {"", "A log format names at least one ${field}."},
	    {"${version} ${bogus}", "Unknown field 'bogus'; see docs/CLI.md for the fields."},
	    {"${Version}", "Unknown field 'Version'; see docs/CLI.md for the fields."},
	    {"${}", "Unknown field ''; see docs/CLI.md for the fields."},
	    {"${version ${srcaddr}",
	     "Unknown field 'version ${srcaddr'; see docs/CLI.md for the fields."},
	    {"${version}  ${srcaddr}", "Fields are separated by exactly one space."},
	    {"${version} ${srcaddr} ", "Fields are separated by exactly one space."},
	    {"${version}${srcaddr}", "Fields are separated by exactly one space."},
	    {"${version},${srcaddr}", "Fields are separated by exactly one space."},
	    {"${version}\t${srcaddr}", "Fields are separated by exactly one space."},
	    {"version srcaddr",
	     "Expected ${field} tokens separated by single spaces; found 'version srcaddr'."},
	    {"${version} srcaddr",
	     "Expected ${field} tokens separated by single spaces; found 'srcaddr'."},
	    {" ${version}",
	     "Expected ${field} tokens separated by single spaces; found ' ${version}'."},
	    {"${version} ${srcaddr", "A ${ has no closing }."},
	    {"${", "A ${ has no closing }."},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vx_flowlog_format f, before;
		memset(&f, 0xa5, sizeof(f));
		before = f;
		char err[256] = "";
		assert_int_equal(vx_flowlog_format_parse(bad[i].format, &f, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].why);
		assert_memory_equal(&f, &before, sizeof(f));
		/* Without a message buffer, or with a short one. */
		assert_int_equal(vx_flowlog_format_parse(bad[i].format, &f, NULL, 0), -1);
		char small[8];
		assert_int_equal(vx_flowlog_format_parse(bad[i].format, &f, small, sizeof(small)),
		                 -1);
		assert_int_equal(strlen(small), sizeof(small) - 1);
	}
}

static void test_field_limit(void **state)
{
	(void)state;
	char text[VX_FLOWLOG_FIELDS_MAX * 12 + 16] = "";
	for (int i = 0; i < VX_FLOWLOG_FIELDS_MAX; i++)
		strcat(text, i ? " ${version}" : "${version}");
	struct vx_flowlog_format f = compile(text);
	assert_int_equal(f.count, VX_FLOWLOG_FIELDS_MAX);
	strcat(text, " ${srcaddr}");
	char err[128];
	assert_int_equal(vx_flowlog_format_parse(text, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "A log format has at most 64 fields.");
}

static const struct vx_flow_meta ACCOUNT = {.account_id = "123456789010"};

/* SPEC.md §2.8, default format: accepted SSH, rejected RDP; current 17-hex
 * and older 8-hex interface IDs. */
static void test_default_ssh_rdp(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile(VX_FLOWLOG_DEFAULT_FORMAT);
	static const struct {
		const char *eni, *line_ssh, *line_rdp;
	} v[] = {
	    {"eni-1235b8ca123456789",
	     "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
	     "1418530010 1418530070 ACCEPT OK",
	     "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
	     "1418530010 1418530070 REJECT OK"},
	    {"eni-abc123de",
	     "2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
	     "1418530010 1418530070 ACCEPT OK",
	     "2 123456789010 eni-abc123de 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
	     "1418530010 1418530070 REJECT OK"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vx_flow_record ssh =
		    flow(v[i].eni, "172.31.16.139", 20641, "172.31.16.21", 22, 6, 20, 4249,
		         1418530010, 1418530070, VX_FLOW_ACCEPT);
		expect_line(&f, &ssh, &ACCOUNT, v[i].line_ssh);
		struct vx_flow_record rdp =
		    flow(v[i].eni, "172.31.9.69", 49761, "172.31.9.12", 3389, 6, 20, 4249,
		         1418530010, 1418530070, VX_FLOW_REJECT);
		expect_line(&f, &rdp, &ACCOUNT, v[i].line_rdp);
	}
}

/* SPEC.md §2.8: NODATA and SKIPDATA, both ID lengths. */
static void test_nodata_skipdata(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile(VX_FLOWLOG_DEFAULT_FORMAT);
	static const struct {
		const char *eni;
		enum vx_flow_log_status status;
		const char *line;
	} v[] = {
	    {"eni-1235b8ca123456789", VX_FLOW_NODATA,
	     "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"},
	    {"eni-11111111aaaaaaaaa", VX_FLOW_SKIPDATA,
	     "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"},
	    {"eni-1a2b3c4d", VX_FLOW_NODATA,
	     "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA"},
	    {"eni-4b118871", VX_FLOW_SKIPDATA,
	     "2 123456789010 eni-4b118871 - - - - - - - 1431280876 1431280934 - SKIPDATA"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vx_flow_record r = no_traffic(v[i].eni, v[i].status, 1431280876, 1431280934);
		expect_line(&f, &r, &ACCOUNT, v[i].line);
		/* Whatever flow fields a no-traffic record holds are not shown. */
		struct vx_flow_record junk = flow(v[i].eni, "10.0.0.1", 1, "10.0.0.2", 2, 6, 3, 4,
		                                  1431280876, 1431280934, VX_FLOW_REJECT);
		junk.log_status = v[i].status;
		expect_line(&f, &junk, &ACCOUNT, v[i].line);
	}
}

/* SPEC.md §2.8: the stateful SG / stateless NACL ping. */
static void test_ping_accept_reject(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile(VX_FLOWLOG_DEFAULT_FORMAT);
	struct vx_flow_record in = flow("eni-1235b8ca123456789", "203.0.113.12", 0, "172.31.16.139",
	                                0, 1, 4, 336, 1432917027, 1432917142, VX_FLOW_ACCEPT);
	expect_line(&f, &in, &ACCOUNT,
	            "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 "
	            "1432917027 1432917142 ACCEPT OK");
	struct vx_flow_record out =
	    flow("eni-1235b8ca123456789", "172.31.16.139", 0, "203.0.113.12", 0, 1, 4, 336,
	         1432917094, 1432917142, VX_FLOW_REJECT);
	out.direction = VX_FLOW_EGRESS;
	expect_line(&f, &out, &ACCOUNT,
	            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 "
	            "1432917094 1432917142 REJECT OK");
}

/* SPEC.md §2.8: IPv6 SSH, both ID lengths; addresses in RFC 5952 form. */
static void test_ipv6_ssh(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile(VX_FLOWLOG_DEFAULT_FORMAT);
	static const struct {
		const char *eni, *line;
	} v[] = {
	    {"eni-1235b8ca123456789",
	     "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 "
	     "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 "
	     "ACCEPT OK"},
	    {"eni-f41c42bf",
	     "2 123456789010 eni-f41c42bf 2001:db8:1234:a100:8d6e:3477:df66:f105 "
	     "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 "
	     "ACCEPT OK"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vx_flow_record r = flow(v[i].eni, "2001:0db8:1234:a100:8d6e:3477:df66:f105",
		                               34892, "2001:db8:1234:a102:3304:8879:34cf:4071", 22,
		                               6, 54, 8855, 1477913708, 1477913820, VX_FLOW_ACCEPT);
		expect_line(&f, &r, &ACCOUNT, v[i].line);
	}
}

/* SPEC.md §2.8: the TCP flag sequence, a custom format with bytes before
 * packets. */
static void test_tcp_flag_sequence(void **state)
{
	(void)state;
	static const char names[] =
	    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr "
	    "srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action "
	    "tcp-flags log-status";
	struct vx_flowlog_format f = compile_names(names);
	assert_int_equal(f.version, 3);
	expect_header(&f, names);
	static const struct vx_flow_meta m = {.account_id = "123456789010",
	                                      .vpc_id = "vpc-abcdefab012345678",
	                                      .subnet_id = "subnet-aaaaaaaa012345678",
	                                      .instance_id = "i-01234567890123456"};
	static const char client[] = "52.213.180.42", server[] = "10.0.0.62";
	static const struct {
		bool from_client;
		uint16_t client_port;
		uint64_t bytes, packets;
		int64_t start, end;
		uint8_t flags;
		const char *line;
	} v[] = {
	    /* First interval: SYNs from the client, SYN-ACKs from the server. */
	    {true, 43416, 568, 8, 1566848875, 1566848933, 2,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 "
	     "52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK"},
	    {false, 43416, 376, 7, 1566848875, 1566848933, 18,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43416 "
	     "10.0.0.62 52.213.180.42 6 376 7 1566848875 1566848933 ACCEPT 18 OK"},
	    {true, 43418, 100701, 70, 1566848875, 1566848933, 2,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43418 5001 "
	     "52.213.180.42 10.0.0.62 6 100701 70 1566848875 1566848933 ACCEPT 2 OK"},
	    {false, 43418, 632, 12, 1566848875, 1566848933, 18,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43418 "
	     "10.0.0.62 52.213.180.42 6 632 12 1566848875 1566848933 ACCEPT 18 OK"},
	    /* Second interval: FIN both ways. */
	    {false, 43418, 63388, 1219, 1566848933, 1566849113, 1,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43418 "
	     "10.0.0.62 52.213.180.42 6 63388 1219 1566848933 1566849113 ACCEPT 1 OK"},
	    {true, 43418, 23294588, 15774, 1566848933, 1566849113, 1,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43418 5001 "
	     "52.213.180.42 10.0.0.62 6 23294588 15774 1566848933 1566849113 ACCEPT 1 OK"},
	    /* A short connection: SYN|FIN 3, SYN-ACK|FIN 19. */
	    {true, 43638, 1260, 17, 1566933133, 1566933193, 3,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43638 5001 "
	     "52.213.180.42 10.0.0.62 6 1260 17 1566933133 1566933193 ACCEPT 3 OK"},
	    /* AWS's text has two spaces after 43638 here, a typo in the
	     * documentation; fields are separated by single spaces. */
	    {false, 43638, 967, 14, 1566933133, 1566933193, 19,
	     "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
	     "eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638 "
	     "10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool c = v[i].from_client;
		struct vx_flow_record r =
		    flow("eni-1235b8ca123456789", c ? client : server, c ? v[i].client_port : 5001,
		         c ? server : client, c ? 5001 : v[i].client_port, 6, v[i].packets,
		         v[i].bytes, v[i].start, v[i].end, VX_FLOW_ACCEPT);
		r.tcp_flags = v[i].flags;
		r.direction = c ? VX_FLOW_INGRESS : VX_FLOW_EGRESS;
		expect_line(&f, &r, &m, v[i].line);
	}
}

static struct vx_flow_record addrs(const char *eni, const char *src, const char *dst,
                                   const char *pkt_src, const char *pkt_dst)
{
	struct vx_flow_record r = flow(eni, src, 0, dst, 0, 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
	set_addr(r.pkt_srcaddr, pkt_src);
	set_addr(r.pkt_dstaddr, pkt_dst);
	return r;
}

/* SPEC.md §2.8: NAT gateway, on its requester-managed interface (no
 * instance) and on the instance's own interface. AWS's "#..." annotations on
 * the instance lines are not part of the records. */
static void test_nat_gateway(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile("${instance-id} ${interface-id} ${srcaddr} ${dstaddr} "
	                                     "${pkt-srcaddr} ${pkt-dstaddr}");
	assert_int_equal(f.version, 3);
	static const struct vx_flow_meta nat = {.account_id = "123456789010"};
	static const struct vx_flow_meta inst = {.account_id = "123456789010",
	                                         .instance_id = "i-01234567890123456"};
	static const char *const v[][5] = {
	    {"10.0.1.5", "10.0.0.220", "10.0.1.5", "203.0.113.5",
	     "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5"},
	    {"10.0.0.220", "203.0.113.5", "10.0.0.220", "203.0.113.5",
	     "- eni-1235b8ca123456789 10.0.0.220 203.0.113.5 10.0.0.220 203.0.113.5"},
	    {"203.0.113.5", "10.0.0.220", "203.0.113.5", "10.0.0.220",
	     "- eni-1235b8ca123456789 203.0.113.5 10.0.0.220 203.0.113.5 10.0.0.220"},
	    {"10.0.0.220", "10.0.1.5", "203.0.113.5", "10.0.1.5",
	     "- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vx_flow_record r =
		    addrs("eni-1235b8ca123456789", v[i][0], v[i][1], v[i][2], v[i][3]);
		expect_line(&f, &r, &nat, v[i][4]);
	}
	struct vx_flow_record out =
	    addrs("eni-1111aaaa2222bbbb3", "10.0.1.5", "203.0.113.5", "10.0.1.5", "203.0.113.5");
	expect_line(&f, &out, &inst,
	            "i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 "
	            "203.0.113.5");
	struct vx_flow_record back =
	    addrs("eni-1111aaaa2222bbbb3", "203.0.113.5", "10.0.1.5", "203.0.113.5", "10.0.1.5");
	expect_line(&f, &back, &inst,
	            "i-01234567890123456 eni-1111aaaa2222bbbb3 203.0.113.5 10.0.1.5 203.0.113.5 "
	            "10.0.1.5");
}

/* SPEC.md §2.8: transit gateway; the web server's interface, then the
 * gateway's requester-managed interfaces. */
static void test_transit_gateway(void **state)
{
	(void)state;
	static const char names[] = "version interface-id account-id vpc-id subnet-id instance-id "
	                            "srcaddr dstaddr srcport dstport protocol tcp-flags type "
	                            "pkt-srcaddr pkt-dstaddr action log-status";
	struct vx_flowlog_format f = compile_names(names);
	assert_int_equal(f.version, 3);
	static const struct {
		const char *eni, *subnet, *instance, *src, *dst, *pkt_src, *pkt_dst;
		uint16_t sport, dport;
		uint8_t flags;
		const char *line;
	} v[] = {
	    {"eni-33333333333333333", "subnet-22222222bbbbbbbbb", "i-01234567890123456",
	     "10.20.33.164", "10.40.2.236", "10.20.33.164", "10.40.2.236", 39812, 80, 3,
	     "3 eni-33333333333333333 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb "
	     "i-01234567890123456 10.20.33.164 10.40.2.236 39812 80 6 3 IPv4 10.20.33.164 "
	     "10.40.2.236 ACCEPT OK"},
	    {"eni-33333333333333333", "subnet-22222222bbbbbbbbb", "i-01234567890123456",
	     "10.40.2.236", "10.20.33.164", "10.40.2.236", "10.20.33.164", 80, 39812, 19,
	     "3 eni-33333333333333333 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb "
	     "i-01234567890123456 10.40.2.236 10.20.33.164 80 39812 6 19 IPv4 10.40.2.236 "
	     "10.20.33.164 ACCEPT OK"},
	    {"eni-11111111111111111", "subnet-11111111aaaaaaaaa", NULL, "10.40.1.175",
	     "10.40.2.236", "10.20.33.164", "10.40.2.236", 39812, 80, 3,
	     "3 eni-11111111111111111 123456789010 vpc-abcdefab012345678 subnet-11111111aaaaaaaaa "
	     "- 10.40.1.175 10.40.2.236 39812 80 6 3 IPv4 10.20.33.164 10.40.2.236 ACCEPT OK"},
	    {"eni-22222222222222222", "subnet-22222222bbbbbbbbb", NULL, "10.40.2.236", "10.40.2.31",
	     "10.40.2.236", "10.20.33.164", 80, 39812, 19,
	     "3 eni-22222222222222222 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb "
	     "- 10.40.2.236 10.40.2.31 80 39812 6 19 IPv4 10.40.2.236 10.20.33.164 ACCEPT OK"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vx_flow_meta m = {.account_id = "123456789010",
		                         .vpc_id = "vpc-abcdefab012345678",
		                         .subnet_id = v[i].subnet,
		                         .instance_id = v[i].instance};
		struct vx_flow_record r = flow(v[i].eni, v[i].src, v[i].sport, v[i].dst, v[i].dport,
		                               6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
		set_addr(r.pkt_srcaddr, v[i].pkt_src);
		set_addr(r.pkt_dstaddr, v[i].pkt_dst);
		r.tcp_flags = v[i].flags;
		expect_line(&f, &r, &m, v[i].line);
	}
}

/* SPEC.md §2.8: version 5, an S3 call through the internet gateway. */
static void test_version5(void **state)
{
	(void)state;
	static const char names[] =
	    "version srcaddr dstaddr srcport dstport protocol start end type packets bytes "
	    "account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type "
	    "sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service "
	    "pkt-dst-aws-service traffic-path flow-direction log-status";
	struct vx_flowlog_format f = compile_names(names);
	assert_int_equal(f.version, 5);
	expect_header(&f, names);
	static const struct vx_flow_meta m = {.account_id = "123456789012",
	                                      .region = "ap-southeast-2",
	                                      .vpc_id = "vpc-abcdefab012345678",
	                                      .subnet_id = "subnet-aaaaaaaa012345678",
	                                      .instance_id = "i-0c50d5961bcb2d47b",
	                                      .az_id = "apse2-az3"};
	struct vx_flow_record in =
	    flow("eni-1235b8ca123456789", "52.95.128.179", 80, "10.0.0.71", 34210, 6, 14, 15044,
	         1616729292, 1616729349, VX_FLOW_ACCEPT);
	in.tcp_flags = 19;
	in.pkt_src_aws_service = VX_AWS_S3;
	in.traffic_path = 8; /* not shown on ingress */
	expect_line(
	    &f, &in, &m,
	    "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 "
	    "123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b "
	    "eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 "
	    "10.0.0.71 S3 - - ingress OK");
	struct vx_flow_record out =
	    flow("eni-1235b8ca123456789", "10.0.0.71", 34210, "52.95.128.179", 80, 6, 7, 471,
	         1616729292, 1616729349, VX_FLOW_ACCEPT);
	out.tcp_flags = 3;
	out.pkt_dst_aws_service = VX_AWS_S3;
	out.direction = VX_FLOW_EGRESS;
	out.traffic_path = 8;
	expect_line(
	    &f, &out, &m,
	    "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 "
	    "123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b "
	    "eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 "
	    "52.95.128.179 - S3 8 egress OK");
}

/* SPEC.md §2.8: encryption status, an S3 text object with its header. */
static void test_encryption_status(void **state)
{
	(void)state;
	struct vx_flowlog_format f =
	    compile("${flow-direction} ${traffic-path} ${srcaddr} "
	            "${dstaddr} ${srcport} ${dstport} ${encryption-status}");
	assert_int_equal(f.version, 10);
	expect_header(
	    &f, "flow-direction traffic-path srcaddr dstaddr srcport dstport encryption-status");
	static const struct {
		const char *client;
		uint16_t port;
		enum vx_flow_encryption enc;
		const char *in, *out;
	} v[] = {
	    {"10.0.133.8", 43236, VX_FLOW_ENC_NITRO, "ingress - 10.0.133.8 10.0.128.55 43236 80 1",
	     "egress 1 10.0.128.55 10.0.133.8 80 43236 1"},
	    {"10.0.130.104", 55016, VX_FLOW_ENC_CLEAR,
	     "ingress - 10.0.130.104 10.0.128.55 55016 80 0",
	     "egress 1 10.0.128.55 10.0.130.104 80 55016 0"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vx_flow_record in = flow("eni-1", v[i].client, v[i].port, "10.0.128.55", 80,
		                                6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
		in.encryption_status = (uint8_t)v[i].enc;
		expect_line(&f, &in, NULL, v[i].in);
		struct vx_flow_record out = flow("eni-1", "10.0.128.55", 80, v[i].client, v[i].port,
		                                 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
		out.direction = VX_FLOW_EGRESS;
		out.traffic_path = 1;
		out.encryption_status = (uint8_t)v[i].enc;
		expect_line(&f, &out, NULL, v[i].out);
	}
	struct vx_flow_record r =
	    flow("eni-1", "10.0.0.1", 1, "10.0.0.2", 2, 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
	static const char *const shown[] = {"-", "0", "1", "2", "3", "-"};
	for (unsigned e = 0; e < sizeof(shown) / sizeof(shown[0]); e++) {
		struct vx_flowlog_format one = compile("${encryption-status}");
		r.encryption_status = (uint8_t)e;
		expect_line(&one, &r, NULL, shown[e]);
	}
}

static const struct vx_flow_meta HOST = {.account_id = "123456789010",
                                         .region = "eu-west-1",
                                         .vpc_id = "vpc-0123456789abcdef0",
                                         .subnet_id = "subnet-0123456789abcdef0",
                                         .instance_id = "i-0123456789abcdef0",
                                         .az_id = "euw1-az2"};

/* A no-traffic record with every field: the interface's identity and the
 * window stay, everything about traffic is "-". */
static void test_nodata_all_fields(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile_names(ALL_FIELDS);
	struct vx_flow_record r =
	    no_traffic("eni-0123456789abcdef0", VX_FLOW_NODATA, 1700000000, 1700000059);
	expect_line(&f, &r, &HOST,
	            "10 123456789010 eni-0123456789abcdef0 - - - - - - - 1700000000 1700000059 - "
	            "NODATA vpc-0123456789abcdef0 subnet-0123456789abcdef0 i-0123456789abcdef0 - - "
	            "- - eu-west-1 euw1-az2 - - - - - - - - - - - - - - - - - - -");
	r.log_status = VX_FLOW_SKIPDATA;
	expect_line(
	    &f, &r, NULL,
	    "10 - eni-0123456789abcdef0 - - - - - - - 1700000000 1700000059 - SKIPDATA - - - "
	    "- - - - - - - - - - - - - - - - - - - - - - - - -");
}

static void test_ok_all_fields(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile_names(ALL_FIELDS);
	struct vx_flow_record r = flow("eni-0123456789abcdef0", "2001:db8::1", 0, "fe80::1:2", 0,
	                               58, 3, 312, 1700000000, 1700000042, VX_FLOW_ACCEPT);
	set_addr(r.pkt_dstaddr, "2001:db8::2");
	r.tcp_flags = 18; /* not TCP: 0 whatever the record says */
	r.direction = VX_FLOW_EGRESS;
	r.traffic_path = 1;
	r.pkt_dst_aws_service = VX_AWS_ROUTE53_HEALTHCHECKS_PUBLISHING;
	r.encryption_status = VX_FLOW_ENC_BOTH;
	expect_line(
	    &f, &r, &HOST,
	    "10 123456789010 eni-0123456789abcdef0 2001:db8::1 fe80::1:2 0 0 58 3 312 "
	    "1700000000 1700000042 ACCEPT OK vpc-0123456789abcdef0 subnet-0123456789abcdef0 "
	    "i-0123456789abcdef0 0 IPv6 2001:db8::1 2001:db8::2 eu-west-1 euw1-az2 - - - "
	    "ROUTE53_HEALTHCHECKS_PUBLISHING egress 1 - - - - - - - - - - - - 3");
}

static void test_tcp_flags_field(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile("${protocol} ${tcp-flags}");
	struct vx_flow_record r =
	    flow("eni-1", "10.0.0.1", 1, "10.0.0.2", 2, 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
	expect_line(&f, &r, NULL, "6 0"); /* ACK/PSH only */
	r.tcp_flags = VX_FLOW_TCP_SYN | VX_FLOW_TCP_FIN | VX_FLOW_TCP_RST;
	expect_line(&f, &r, NULL, "6 7");
	r.tcp_flags = VX_FLOW_TCP_SYN_ACK | VX_FLOW_TCP_SYN | VX_FLOW_TCP_FIN | VX_FLOW_TCP_RST;
	expect_line(&f, &r, NULL, "6 23");
	r.tcp_flags_unknown = true;
	expect_line(&f, &r, NULL, "6 -");
	r.protocol = 17;
	expect_line(&f, &r, NULL, "17 0");
	r.protocol = 1;
	r.tcp_flags_unknown = false;
	expect_line(&f, &r, NULL, "1 0");
}

static void test_traffic_path_and_direction(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile("${flow-direction} ${traffic-path}");
	struct vx_flow_record r =
	    flow("eni-1", "10.0.0.1", 1, "10.0.0.2", 2, 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
	expect_line(&f, &r, NULL, "ingress -");
	r.traffic_path = 2;
	expect_line(&f, &r, NULL, "ingress -");
	r.direction = VX_FLOW_EGRESS;
	expect_line(&f, &r, NULL, "egress 2");
	r.traffic_path = 0;
	expect_line(&f, &r, NULL, "egress -");
	r.traffic_path = 8;
	expect_line(&f, &r, NULL, "egress 8");
	r.traffic_path = 9;
	expect_line(&f, &r, NULL, "egress -");
}

/* Meta values and the interface ID: missing or empty is "-"; an interface
 * ID that fills its array has no NUL and is still read within it. */
static void test_identity_fields(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile("${account-id} ${interface-id} ${vpc-id} ${subnet-id} "
	                                     "${instance-id} ${region} ${az-id} ${resource-id}");
	struct vx_flow_record r =
	    flow("", "10.0.0.1", 1, "10.0.0.2", 2, 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
	expect_line(&f, &r, NULL, "- - - - - - - -");
	struct vx_flow_meta empty = {"", "", "", "", "", ""};
	expect_line(&f, &r, &empty, "- - - - - - - -");
	struct vx_flow_meta some = {.account_id = "unknown", .region = "us-east-1"};
	memset(r.interface_id, 'e', sizeof(r.interface_id));
	expect_line(&f, &r, &some, "unknown eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee - - - us-east-1 - -");
}

/* No address family: no type and no addresses. */
static void test_unknown_family(void **state)
{
	(void)state;
	struct vx_flowlog_format f =
	    compile("${type} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr}");
	struct vx_flow_record r =
	    flow("eni-1", "10.0.0.1", 1, "10.0.0.2", 2, 6, 1, 40, 0, 0, VX_FLOW_ACCEPT);
	expect_line(&f, &r, NULL, "IPv4 10.0.0.1 10.0.0.2 10.0.0.1 10.0.0.2");
	r.family = 0;
	expect_line(&f, &r, NULL, "- - - - -");
}

static void test_numbers(void **state)
{
	(void)state;
	struct vx_flowlog_format f =
	    compile("${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end}");
	struct vx_flow_record r = flow("eni-1", "10.0.0.1", 65535, "10.0.0.2", 0, 255, UINT64_MAX,
	                               0, INT64_MIN, INT64_MAX, VX_FLOW_ACCEPT);
	expect_line(&f, &r, NULL,
	            "65535 0 255 18446744073709551615 0 -9223372036854775808 9223372036854775807");
	r = flow("eni-1", "10.0.0.1", 9, "10.0.0.2", 10, 0, 1, 10, -1, 0, VX_FLOW_ACCEPT);
	expect_line(&f, &r, NULL, "9 10 0 1 10 -1 0");

	/* Either side of every power of ten, as printf writes them. */
	struct vx_flowlog_format g = compile("${packets}");
	for (uint64_t p10 = 1, k = 0; k < 20; k++, p10 *= 10) {
		uint64_t vals[3] = {p10 - 1, p10, p10 + 1};
		for (int i = 0; i < 3; i++) {
			char want[32];
			r.packets = vals[i];
			snprintf(want, sizeof(want), "%llu", (unsigned long long)vals[i]);
			expect_line(&g, &r, NULL, want);
		}
	}
	/* Times either side of the ten-digit ones, and inside them. */
	struct vx_flowlog_format t = compile("${start}");
	static const int64_t TIMES[] = {99999999,   100000000,  999999999,   1000000000, 1000000001,
					1700000059, 9999999999, 10000000000, -999999999, -1000000000};
	for (size_t i = 0; i < sizeof(TIMES) / sizeof(TIMES[0]); i++) {
		char want[32];
		r.start = TIMES[i];
		snprintf(want, sizeof(want), "%lld", (long long)TIMES[i]);
		expect_line(&t, &r, NULL, want);
	}
}

static const char *render_addr(const struct vx_flowlog_format *f, struct vx_flow_record *r,
                               const uint8_t *a)
{
	static char line[VX_FLOWLOG_LINE_MAX];
	memcpy(r->srcaddr, a, 16);
	size_t n = vx_flowlog_render(f, r, NULL, line, sizeof(line));
	assert_true(n > 1);
	line[n - 1] = '\0';
	return line;
}

/* IPv6 text in RFC 5952 form: explicit cases, then agreement with
 * inet_ntop on many addresses with zero runs of every length. */
static void test_ipv6_text(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} v[] = {
	    {"::", "::"},
	    {"::1", "::1"},
	    {"1::", "1::"},
	    {"2001:0DB8::0001", "2001:db8::1"},
	    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
	    {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* the longest run */
	    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* the first of equal runs */
	    {"fe80::", "fe80::"},
	    {"0:0:1::", "0:0:1::"},
	    {"1:0:0:0:0:0:0:0", "1::"},
	    {"0:1:0:0:0:0:0:0", "0:1::"},
	    {"::ffff:192.0.2.128", "::ffff:192.0.2.128"},
	    {"::ffff:0:0", "::ffff:0.0.0.0"},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	    {"2001:db8:1234:a100:8d6e:3477:df66:f105", "2001:db8:1234:a100:8d6e:3477:df66:f105"},
	};
	struct vx_flowlog_format f = compile("${srcaddr}");
	struct vx_flow_record r = flow("eni-1", "::", 0, "::", 0, 58, 1, 1, 0, 0, VX_FLOW_ACCEPT);
	uint8_t a[16];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		set_addr(a, v[i].in);
		assert_string_equal(render_addr(&f, &r, a), v[i].out);
	}
	uint32_t x = 12345;
	for (int i = 0; i < 200000; i++) {
		for (int g = 0; g < 8; g++) {
			x = x * 1103515245u + 12345u;
			uint16_t w = (x >> 16) % 3 ? 0 : (uint16_t)(x >> 8);
			if ((x >> 28) == 0)
				w = 0xffff;
			a[2 * g] = (uint8_t)(w >> 8);
			a[2 * g + 1] = (uint8_t)w;
		}
		/* glibc writes the deprecated IPv4-compatible ::a.b.c.d in
		 * mixed notation; RFC 5952 keeps that to IPv4-mapped. */
		static const uint8_t zero12[12];
		if (!memcmp(a, zero12, 12))
			continue;
		char want[INET6_ADDRSTRLEN];
		assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
		assert_string_equal(render_addr(&f, &r, a), want);
	}
}

static void test_ipv4_text(void **state)
{
	(void)state;
	struct vx_flowlog_format f = compile("${srcaddr}");
	struct vx_flow_record r =
	    flow("eni-1", "0.0.0.0", 0, "0.0.0.0", 0, 1, 1, 1, 0, 0, VX_FLOW_ACCEPT);
	uint8_t a[16] = {0};
	uint32_t x = 777;
	for (int i = 0; i < 100000; i++) {
		x = x * 1103515245u + 12345u;
		for (int b = 0; b < 4; b++)
			a[b] = i < 2 ? (uint8_t)(i ? 255 : 0) : (uint8_t)(x >> (8 * b));
		char want[INET_ADDRSTRLEN];
		assert_non_null(inet_ntop(AF_INET, a, want, sizeof(want)));
		assert_string_equal(render_addr(&f, &r, a), want);
	}
}

/* The documented bound: the most fields, each with the longest value. */
static void test_line_max(void **state)
{
	(void)state;
	char text[VX_FLOWLOG_FIELDS_MAX * 40] = "";
	for (int i = 0; i < VX_FLOWLOG_FIELDS_MAX; i++)
		strcat(text, i ? " ${account-id}" : "${account-id}");
	struct vx_flowlog_format f = compile(text);
	char longest[VX_FLOWLOG_VALUE_MAX + 1];
	memset(longest, '9', VX_FLOWLOG_VALUE_MAX);
	longest[VX_FLOWLOG_VALUE_MAX] = '\0';
	struct vx_flow_meta m = {.account_id = longest};
	struct vx_flow_record r = no_traffic("eni-1", VX_FLOW_NODATA, 0, 0);
	char *line = malloc(VX_FLOWLOG_LINE_MAX);
	assert_non_null(line);
	assert_int_equal(vx_flowlog_render(&f, &r, &m, line, VX_FLOWLOG_LINE_MAX),
	                 VX_FLOWLOG_LINE_MAX - 1);
	assert_int_equal(vx_flowlog_render(&f, &r, &m, line, VX_FLOWLOG_LINE_MAX - 1), 0);
	/* A longer meta value than the bound allows for: it does not fit. */
	char *too_long = malloc(VX_FLOWLOG_VALUE_MAX + 2);
	assert_non_null(too_long);
	memset(too_long, '9', VX_FLOWLOG_VALUE_MAX + 1);
	too_long[VX_FLOWLOG_VALUE_MAX + 1] = '\0';
	m.account_id = too_long;
	assert_int_equal(vx_flowlog_render(&f, &r, &m, line, VX_FLOWLOG_LINE_MAX), 0);
	assert_int_equal(line[0], '\0');
	free(too_long);

	/* The header of the longest names fits too. */
	text[0] = '\0';
	for (int i = 0; i < VX_FLOWLOG_FIELDS_MAX; i++)
		strcat(text,
		       i ? " ${ecs-container-instance-arn}" : "${ecs-container-instance-arn}");
	f = compile(text);
	assert_int_equal(vx_flowlog_format_header(&f, line, VX_FLOWLOG_LINE_MAX),
	                 VX_FLOWLOG_FIELDS_MAX * sizeof("ecs-container-instance-arn"));
	free(line);
}

/* The default format's straight path writes what the loop over fields
 * writes, on random records: both address families and odd ones, every
 * size of number, times before, inside and after the ten-digit range,
 * empty and full interface IDs, with and without an account, and buffers
 * too small by one. */
static void test_default_path_equals_general(void **state)
{
	(void)state;
	struct vx_flowlog_format fast = compile(VX_FLOWLOG_DEFAULT_FORMAT);
	struct vx_flowlog_format general = fast;
	assert_true(fast.is_default);
	general.is_default = false;
	assert_false(compile("${version} ${account-id}").is_default);
	static const int64_t TIMES[] = {0,	     -1,	  -1700000000, 999999999,
					1000000000, 1700000000, 9999999999,  10000000000,
					INT64_MAX,  INT64_MIN};
	static const uint8_t FAMILIES[] = {4, 4, 4, 6, 6, 0, 5};
	struct vx_flow_meta meta = HOST;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char a[VX_FLOWLOG_LINE_MAX], b[VX_FLOWLOG_LINE_MAX];
	for (int i = 0; i < 20000; i++) {
		struct vx_flow_record r;
		memset(&r, 0, sizeof(r));
		uint8_t bytes[64];
		for (size_t k = 0; k < sizeof(bytes); k += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(bytes + k, &x, 8);
		}
		r.log_status = VX_FLOW_OK;
		r.family = FAMILIES[bytes[0] % sizeof(FAMILIES)];
		memcpy(r.srcaddr, bytes + 8, 16);
		memcpy(r.dstaddr, bytes + 24, 16);
		if (bytes[1] & 1) /* IPv4-mapped and runs of zeros */
			memset(r.srcaddr, 0, 10 + bytes[2] % 4);
		r.srcport = (uint16_t)(bytes[3] << 8 | bytes[4]) >> (bytes[5] % 16);
		r.dstport = (uint16_t)(bytes[6] << 8 | bytes[7]) >> (bytes[40] % 16);
		r.protocol = bytes[41];
		memcpy(&r.packets, bytes + 42, 4);
		r.packets >>= bytes[46] % 32;
		memcpy(&r.bytes, bytes + 48, 8);
		r.bytes >>= bytes[47] % 64;
		/* Near the extremes the sums wrap around, as unsigned ones do. */
		r.start = (int64_t)((uint64_t)TIMES[bytes[56] % 10] + bytes[57] % 3 - 1);
		r.end = bytes[58] & 1 ? (int64_t)((uint64_t)r.start + bytes[59])
				      : TIMES[bytes[59] % 10];
		r.action = bytes[60] & 1 ? VX_FLOW_REJECT : VX_FLOW_ACCEPT;
		size_t id_len = bytes[61] % 4 == 0 ? 0 : bytes[61] % sizeof(r.interface_id);
		memset(r.interface_id, 'e', id_len);
		meta.account_id = bytes[62] % 4 == 0 ? NULL : bytes[62] % 4 == 1 ? "" : HOST.account_id;
		size_t len = bytes[63] % 8 == 0 ? 0 : sizeof(a);
		size_t na = vx_flowlog_render(&fast, &r, &meta, a, sizeof(a));
		size_t nb = vx_flowlog_render(&general, &r, &meta, b, sizeof(b));
		assert_int_equal(na, nb);
		assert_string_equal(a, b);
		if (len == 0 && na > 0) { /* one byte short of the line and its NUL */
			assert_int_equal(vx_flowlog_render(&fast, &r, &meta, a, na), 0);
			assert_int_equal(vx_flowlog_render(&general, &r, &meta, b, na), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_field_table),
	    cmocka_unit_test(test_default_format),
	    cmocka_unit_test(test_default_path_equals_general),
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_field_limit),
	    cmocka_unit_test(test_default_ssh_rdp),
	    cmocka_unit_test(test_nodata_skipdata),
	    cmocka_unit_test(test_ping_accept_reject),
	    cmocka_unit_test(test_ipv6_ssh),
	    cmocka_unit_test(test_tcp_flag_sequence),
	    cmocka_unit_test(test_nat_gateway),
	    cmocka_unit_test(test_transit_gateway),
	    cmocka_unit_test(test_version5),
	    cmocka_unit_test(test_encryption_status),
	    cmocka_unit_test(test_nodata_all_fields),
	    cmocka_unit_test(test_ok_all_fields),
	    cmocka_unit_test(test_tcp_flags_field),
	    cmocka_unit_test(test_traffic_path_and_direction),
	    cmocka_unit_test(test_identity_fields),
	    cmocka_unit_test(test_unknown_family),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_ipv6_text),
	    cmocka_unit_test(test_ipv4_text),
	    cmocka_unit_test(test_line_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
