/* HTTP extraction: header parser, TCP stream engine, log formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "vxtap/http.h"
#include "vxtap/out.h"

/* ---- header parser ---- */

static int str_is(const struct vx_http_str *s, const char *want)
{
	return s->len == strlen(want) && memcmp(s->p, want, s->len) == 0;
}

static int parse(const char *s, struct vx_http_message *m)
{
	return vx_http_parse_head(s, strlen(s), m);
}

static void test_parse_request(void **state)
{
	(void)state;
	struct vx_http_message m;
	const char *req = "GET /wiki/Main_Page HTTP/1.1\r\n"
			  "Host: en.wikipedia.org\r\n"
			  "User-Agent:   curl/7.88.1  \r\n"
			  "Accept: */*\r\n"
			  "\r\n"
			  "trailing body";
	int rc = parse(req, &m);
	assert_int_equal(rc, (int)(strstr(req, "trailing") - req));
	assert_int_equal(m.kind, VX_HTTP_REQUEST);
	assert_true(str_is(&m.method, "GET"));
	assert_true(str_is(&m.uri, "/wiki/Main_Page"));
	assert_true(str_is(&m.version, "HTTP/1.1"));
	assert_true(str_is(&m.host, "en.wikipedia.org"));
	assert_true(str_is(&m.user_agent, "curl/7.88.1"));
	assert_int_equal(m.content_type.len, 0);
	assert_int_equal(m.content_length, -1);
	assert_false(m.chunked);

	/* Any uppercase token is a method; bare LF line ends are accepted. */
	const char *prop = "PROPFIND /dav HTTP/1.0\nContent-Length: 12\nContent-Type: text/xml\n\n";
	assert_int_equal(parse(prop, &m), (int)strlen(prop));
	assert_true(str_is(&m.method, "PROPFIND"));
	assert_true(str_is(&m.version, "HTTP/1.0"));
	assert_int_equal(m.content_length, 12);
	assert_true(str_is(&m.content_type, "text/xml"));

	const char *post = "POST /u HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
	assert_int_equal(parse(post, &m), (int)strlen(post));
	assert_true(m.chunked);
	const char *notch = "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	assert_int_equal(parse(notch, &m), (int)strlen(notch));
	assert_false(m.chunked);
}

static void test_parse_response(void **state)
{
	(void)state;
	struct vx_http_message m;
	const char *r1 = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
			 "Content-Type: text/html; charset=utf-8\r\n\r\n";
	assert_int_equal(parse(r1, &m), (int)strlen(r1));
	assert_int_equal(m.kind, VX_HTTP_RESPONSE);
	assert_int_equal(m.status, 404);
	assert_true(str_is(&m.reason, "Not Found"));
	assert_true(str_is(&m.version, "HTTP/1.1"));
	assert_int_equal(m.content_length, 0);
	assert_true(str_is(&m.content_type, "text/html; charset=utf-8"));
	assert_int_equal(m.host.len, 0);

	const char *r2 = "HTTP/1.0 200\r\n\r\n";
	assert_int_equal(parse(r2, &m), (int)strlen(r2));
	assert_int_equal(m.status, 200);
	assert_int_equal(m.reason.len, 0);
	assert_true(str_is(&m.version, "HTTP/1.0"));
}

static void test_parse_incomplete(void **state)
{
	(void)state;
	struct vx_http_message m;
	const char *full = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

	/* Every proper prefix needs more bytes. */
	for (size_t i = 0; i < strlen(full); i++)
		assert_int_equal(vx_http_parse_head(full, i, &m), 0);
	assert_int_equal(vx_http_parse_head(full, strlen(full), &m), (int)strlen(full));
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nServer: x\r\n", &m), 0);
	assert_int_equal(parse("HTTP/1.1 20", &m), 0);
}

static void test_parse_garbage(void **state)
{
	(void)state;
	struct vx_http_message m;
	static const char *bad[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		"get / HTTP/1.1\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 x\r\n\r\n",
		"GET /\r\n\r\n",
		"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 20x OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Odd\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
		"GET / HTTX",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &m), -1);
	/* A 16-letter method is the longest accepted. */
	assert_true(parse("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n\r\n", &m) > 0);
	/* No reliance on a terminating NUL: a block cut anywhere is incomplete. */
	char buf[5] = {'G', 'E', 'T', ' ', '/'};
	assert_int_equal(vx_http_parse_head(buf, sizeof(buf), &m), 0);
}

static void test_parse_case_insensitive(void **state)
{
	(void)state;
	struct vx_http_message m;
	const char *req = "PUT /x HTTP/1.1\r\nhOsT: h.example\r\nUSER-AGENT: ua\r\n"
			  "content-TYPE: a/b\r\ncontent-length: 5\r\nTRANSFER-ENCODING: Chunked\r\n\r\n";
	assert_int_equal(parse(req, &m), (int)strlen(req));
	assert_true(str_is(&m.host, "h.example"));
	assert_true(str_is(&m.user_agent, "ua"));
	assert_true(str_is(&m.content_type, "a/b"));
	assert_int_equal(m.content_length, 5);
	assert_true(m.chunked);
}

static void test_parse_bad_content_length(void **state)
{
	(void)state;
	struct vx_http_message m;
	static const char *bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Still a message, with an unknown length. */
		assert_int_equal(parse(bad[i], &m), (int)strlen(bad[i]));
		assert_int_equal(m.status, 200);
		assert_int_equal(m.content_length, -1);
	}
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", &m),
			 (int)strlen("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n"));
	assert_int_equal(m.content_length, 7);
}

/* ---- stream engine ---- */

#define MAX_RECS 64

struct rec {
	char desc[256];
	struct vx_flow_key key;
	struct vx_time ts;
	uint32_t vni;
};

static struct rec recs[MAX_RECS];
static int nrec;

static void on_message(void *ctx, const struct vx_http_message *m)
{
	(void)ctx;
	assert_true(nrec < MAX_RECS);
	struct rec *r = &recs[nrec++];
	if (m->kind == VX_HTTP_REQUEST)
		snprintf(r->desc, sizeof(r->desc), "%.*s %.*s cl=%lld", (int)m->method.len,
			 m->method.p, (int)m->uri.len, m->uri.p, (long long)m->content_length);
	else
		snprintf(r->desc, sizeof(r->desc), "%u cl=%lld", m->status,
			 (long long)m->content_length);
	r->key = m->key;
	r->ts = m->ts;
	r->vni = m->vni;
}

static const uint8_t CLI[4] = {10, 0, 0, 1};
static const uint8_t SRV[4] = {10, 0, 0, 2};
static int64_t clock_sec = 1000;
static uint16_t cli_port = 40000;

/* One segment: dir 0 client to server, 1 server to client. */
static void seg_full(struct vx_http *h, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
		     const char *data, size_t caplen, size_t wirelen)
{
	struct vx_packet p;
	memset(&p, 0, sizeof(p));
	p.data = (const uint8_t *)data;
	p.caplen = (uint32_t)caplen;
	p.wirelen = (uint32_t)wirelen;
	p.ts.sec = clock_sec;
	p.ts.nsec = 1000u * (uint32_t)nrec;
	p.vni = VX_VNI_NONE;
	p.has_l3 = true;
	p.has_l4 = true;
	p.payload_off = 0;
	p.payload_caplen = (uint32_t)caplen;
	p.payload_wirelen = (uint32_t)wirelen;
	p.key.family = 4;
	p.key.proto = 6;
	memcpy(p.key.src, dir ? SRV : CLI, 4);
	memcpy(p.key.dst, dir ? CLI : SRV, 4);
	p.key.sport = dir ? 80 : cli_port;
	p.key.dport = dir ? cli_port : 80;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.tcp_flags = flags;
	vx_http_packet(h, &p);
}

static void seg(struct vx_http *h, int dir, uint32_t seq, const char *s)
{
	seg_full(h, dir, seq, 0, VX_TCP_ACK | VX_TCP_PSH, s, strlen(s), strlen(s));
}

/* Client ISN 1000 (data from 1001), server ISN 5000 (data from 5001). */
static void handshake(struct vx_http *h)
{
	seg_full(h, 0, 1000, 0, VX_TCP_SYN, NULL, 0, 0);
	seg_full(h, 1, 5000, 1001, VX_TCP_SYN | VX_TCP_ACK, NULL, 0, 0);
	seg_full(h, 0, 1001, 5001, VX_TCP_ACK, NULL, 0, 0);
}

static struct vx_http *mk(uint32_t max_conn, uint32_t buf_bytes)
{
	struct vx_http_config cfg;
	vx_http_config_default(&cfg);
	assert_int_equal(cfg.max_connections, 65536);
	assert_int_equal(cfg.buffer_bytes, 16384);
	assert_int_equal(cfg.idle_seconds, 300);
	if (max_conn)
		cfg.max_connections = max_conn;
	if (buf_bytes)
		cfg.buffer_bytes = buf_bytes;
	nrec = 0;
	cli_port = 40000;
	struct vx_http *h = vx_http_create(&cfg, on_message, NULL);
	assert_non_null(h);
	return h;
}

static struct vx_http_stats stats(struct vx_http *h)
{
	struct vx_http_stats s;
	vx_http_stats(h, &s);
	return s;
}

static void test_split_request(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	const char *a = "GET /index.h";
	const char *b = "tml HTTP/1.1\r\nHost: exam";
	const char *c = "ple.com\r\n\r\n";
	handshake(h);
	seg(h, 0, 1001, a);
	seg(h, 0, 1001 + (uint32_t)strlen(a), b);
	assert_int_equal(nrec, 0);
	clock_sec++;
	seg(h, 0, 1001 + (uint32_t)(strlen(a) + strlen(b)), c);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].desc, "GET /index.html cl=-1");
	/* Oriented as the message's direction, stamped with the last segment. */
	assert_memory_equal(recs[0].key.src, CLI, 4);
	assert_memory_equal(recs[0].key.dst, SRV, 4);
	assert_int_equal(recs[0].key.sport, 40000);
	assert_int_equal(recs[0].key.dport, 80);
	assert_int_equal(recs[0].key.family, 4);
	assert_int_equal(recs[0].ts.sec, clock_sec);
	assert_int_equal(recs[0].vni, VX_VNI_NONE);

	seg(h, 1, 5001, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(nrec, 2);
	assert_memory_equal(recs[1].key.src, SRV, 4);
	assert_int_equal(recs[1].key.sport, 80);
	struct vx_http_stats s = stats(h);
	assert_int_equal(s.requests, 1);
	assert_int_equal(s.responses, 1);
	assert_int_equal(s.tcp_segments, 4);
	assert_int_equal(s.connections, 1);
	assert_int_equal(s.gaps + s.overflows + s.parse_errors + s.out_of_order, 0);
	vx_http_destroy(h);
}

static void test_content_length_pipelined(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	handshake(h);
	seg(h, 0, 1001, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	assert_int_equal(nrec, 2);
	const char *r1 = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789";
	const char *r2 = "0123456789HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc";
	const char *r3 = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
	uint32_t seq = 5001;
	seg(h, 1, seq, r1);
	seq += (uint32_t)strlen(r1);
	seg(h, 1, seq, r2);
	seq += (uint32_t)strlen(r2);
	seg(h, 1, seq, r3);
	assert_int_equal(nrec, 5);
	assert_string_equal(recs[0].desc, "GET /a cl=-1");
	assert_string_equal(recs[1].desc, "GET /b cl=-1");
	assert_string_equal(recs[2].desc, "200 cl=20");
	assert_string_equal(recs[3].desc, "201 cl=3");
	assert_string_equal(recs[4].desc, "202 cl=0");
	assert_int_equal(stats(h).parse_errors, 0);
	vx_http_destroy(h);
}

static void test_chunked(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	handshake(h);
	seg(h, 0, 1001, "GET /c HTTP/1.1\r\n\r\n");
	/* Sizes, extensions, CRLFs and trailers all split at segment ends. */
	static const char *parts[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1",
		"0\r\n0123456789abcdef",
		"\r",
		"\n5;ext=1\r\nhello\r\nA",
		"\r\n0123456789\r\n0\r\nX-Trailer: 1\r",
		"\nX-Other: 2\r\n\r",
		"\nHTTP/1.1 204 No Content\r\n\r\n",
	};
	uint32_t seq = 5001;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		seg(h, 1, seq, parts[i]);
		seq += (uint32_t)strlen(parts[i]);
	}
	assert_int_equal(nrec, 3);
	assert_string_equal(recs[1].desc, "200 cl=-1");
	assert_string_equal(recs[2].desc, "204 cl=-1");

	/* Chunked request body followed by a pipelined request. */
	const char *req = "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab";
	const char *req2 = "c\r\n0\r\n\r\nGET /after HTTP/1.1\r\n\r\n";
	uint32_t cseq = 1001 + (uint32_t)strlen("GET /c HTTP/1.1\r\n\r\n");
	seg(h, 0, cseq, req);
	seg(h, 0, cseq + (uint32_t)strlen(req), req2);
	assert_int_equal(nrec, 5);
	assert_string_equal(recs[3].desc, "POST /p cl=-1");
	assert_string_equal(recs[4].desc, "GET /after cl=-1");
	assert_int_equal(stats(h).parse_errors, 0);
	vx_http_destroy(h);
}

static void test_head_response(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	handshake(h);
	seg(h, 0, 1001, "HEAD /big HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\n\r\n");
	/* The HEAD answer announces 1000 bytes but carries none. */
	seg(h, 1, 5001,
	    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	    "HTTP/1.1 100 Continue\r\n\r\n");
	assert_int_equal(nrec, 5);
	assert_string_equal(recs[0].desc, "HEAD /big cl=-1");
	assert_string_equal(recs[2].desc, "200 cl=1000");
	assert_string_equal(recs[3].desc, "200 cl=2");
	assert_string_equal(recs[4].desc, "100 cl=-1");
	assert_int_equal(stats(h).parse_errors, 0);
	vx_http_destroy(h);
}

static void test_out_of_order(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	const char *a = "GET /ooo HTTP/1.1\r\n";
	const char *b = "Host: x\r\n";
	const char *c = "\r\nGET /next HTTP/1.1\r\n\r\n";
	uint32_t sa = 1001, sb = sa + (uint32_t)strlen(a), sc = sb + (uint32_t)strlen(b);
	handshake(h);
	seg(h, 0, sc, c);
	seg(h, 0, sb, b);
	assert_int_equal(nrec, 0);
	seg(h, 0, sa, a);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].desc, "GET /ooo cl=-1");
	assert_string_equal(recs[1].desc, "GET /next cl=-1");
	struct vx_http_stats s = stats(h);
	assert_int_equal(s.out_of_order, 2);
	assert_int_equal(s.gaps, 0);
	vx_http_destroy(h);
}

static void test_lost_segment(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	const char *a = "POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
	const char *lost = "0123456789GET /lost HTTP/1.1\r\n\r\n";
	const char *c = "GET /found HTTP/1.1\r\n\r\n";
	uint32_t sa = 1001, sb = sa + (uint32_t)strlen(a), sc = sb + (uint32_t)strlen(lost);
	handshake(h);
	seg(h, 0, sa, a);
	/* The body and the next request are lost: the hole runs past the
	 * body's end, so the stream resynchronises on the next request. */
	seg(h, 0, sc, c);
	assert_int_equal(nrec, 1);
	assert_int_equal(stats(h).out_of_order, 1);
	/* The server acknowledges beyond the hole: it will never be filled. */
	seg_full(h, 1, 5001, sc + (uint32_t)strlen(c), VX_TCP_ACK, NULL, 0, 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].desc, "GET /found cl=-1");
	assert_int_equal(stats(h).gaps, 1);
	vx_http_destroy(h);

	/* Without acknowledgements: a full buffer gives up on the hole. */
	h = mk(0, 256);
	handshake(h);
	seg(h, 0, 1001, "GET /1 HTTP/1.1\r\n");
	uint32_t seq = 1001 + 17 + 40; /* 40 bytes never seen */
	char big[116]; /* 17 + 2 * 115 fit in 256 bytes, a third segment does not */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	seg(h, 0, seq, big);
	seq += 115;
	seg(h, 0, seq, big);
	seq += 115;
	assert_int_equal(nrec, 0);
	assert_int_equal(stats(h).gaps, 0);
	seg(h, 0, seq, "GET /2 HTTP/1.1\r\n\r\n");
	assert_int_equal(stats(h).gaps, 1);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].desc, "GET /2 cl=-1");
	assert_int_equal(stats(h).parse_errors, 0);
	vx_http_destroy(h);
}

static void test_retransmission(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	const char *a = "GET /once HTTP/1.1\r\n\r\n";
	const char *b = "GET /twice HTTP/1.1\r\n\r\n";
	handshake(h);
	seg(h, 0, 1001, a);
	seg(h, 0, 1001, a);
	assert_int_equal(nrec, 1);
	/* Overlap: old bytes followed by new ones in one segment. */
	char both[128];
	snprintf(both, sizeof(both), "%s%s", a, b);
	seg(h, 0, 1001, both);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].desc, "GET /twice cl=-1");
	seg(h, 0, 1001 + (uint32_t)strlen(a), b);
	assert_int_equal(nrec, 2);
	/* A retransmitted SYN does not restart the stream. */
	seg_full(h, 0, 1000, 0, VX_TCP_SYN, NULL, 0, 0);
	seg(h, 0, 1001, a);
	assert_int_equal(nrec, 2);
	assert_int_equal(stats(h).gaps, 0);
	vx_http_destroy(h);
}

static void test_overflow(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 64);
	handshake(h);
	const char *a = "GET /long HTTP/1.1\r\n";
	const char *b = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
	const char *c = "\r\n";
	const char *d = "GET /short HTTP/1.1\r\n\r\n";
	uint32_t seq = 1001;
	seg(h, 0, seq, a);
	seq += (uint32_t)strlen(a);
	seg(h, 0, seq, b);
	seq += (uint32_t)strlen(b);
	assert_int_equal(stats(h).overflows, 1);
	seg(h, 0, seq, c);
	seq += (uint32_t)strlen(c);
	assert_int_equal(nrec, 0);
	/* Resynchronised on the next segment that starts a request. */
	seg(h, 0, seq, d);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].desc, "GET /short cl=-1");
	assert_int_equal(stats(h).overflows, 1);
	assert_int_equal(stats(h).parse_errors, 0);
	vx_http_destroy(h);
}

static void test_eviction(void **state)
{
	(void)state;
	struct vx_http *h = mk(4, 0);
	for (int i = 0; i < 6; i++) {
		cli_port = (uint16_t)(50000 + i);
		seg(h, 0, 1, "GET / HTTP/1.1\r\n\r\n");
	}
	struct vx_http_stats s = stats(h);
	assert_int_equal(s.connections, 6);
	assert_int_equal(s.evictions, 2);
	assert_int_equal(s.requests, 6);
	/* The newest connections are still tracked: their responses are seen
	 * in sequence; the first one's was evicted and starts afresh. */
	cli_port = 50005;
	seg(h, 1, 9000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(stats(h).connections, 6);
	cli_port = 50000;
	seg(h, 1, 9000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	s = stats(h);
	assert_int_equal(s.connections, 7);
	assert_int_equal(s.evictions, 3);
	assert_int_equal(s.responses, 2);
	vx_http_destroy(h);
}

static void test_idle_and_close(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	handshake(h);
	seg(h, 0, 1001, "GET /x HTTP/1.1\r\n\r\n");
	/* Response without a length: read until the connection closes. */
	seg(h, 1, 5001, "HTTP/1.0 200 OK\r\n\r\nGET /not-a-request HTTP/1.1\r\n\r\n");
	assert_int_equal(nrec, 2);
	seg(h, 1, 5001 + 100, "HTTP/1.1 200 OK\r\n\r\n");
	assert_int_equal(nrec, 2);
	seg_full(h, 1, 5200, 0, VX_TCP_FIN | VX_TCP_ACK, NULL, 0, 0);
	seg_full(h, 0, 1020, 0, VX_TCP_FIN | VX_TCP_ACK, NULL, 0, 0);
	/* Freed: a later segment of the old stream creates nothing. */
	seg(h, 1, 5300, "garbage");
	assert_int_equal(stats(h).connections, 1);

	/* Idle entries expire in packet time. */
	cli_port = 41000;
	seg(h, 0, 1, "GET /idle HTTP/1.1\r\nContent-Length: 10\r\n\r\n");
	clock_sec += 301;
	seg(h, 0, 45, "GET /fresh HTTP/1.1\r\n\r\n");
	assert_int_equal(stats(h).connections, 3);
	assert_string_equal(recs[nrec - 1].desc, "GET /fresh cl=-1");
	vx_http_destroy(h);
}

static void test_midstream_and_errors(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	/* No SYN seen: body bytes are skipped without error until a message. */
	seg(h, 1, 7000, "tail of some body");
	assert_int_equal(stats(h).connections, 0);
	seg(h, 1, 7017, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(nrec, 1);
	assert_int_equal(stats(h).parse_errors, 0);
	/* Garbage where the next message should start. */
	seg(h, 1, 7017 + 38, "HTTX/1.1 200 OK\r\n\r\n");
	assert_int_equal(stats(h).parse_errors, 1);
	assert_int_equal(stats(h).not_http, 0);
	seg(h, 1, 7017 + 38 + 19, "more junk");
	assert_int_equal(stats(h).parse_errors, 1);
	seg(h, 1, 7017 + 38 + 28, "HTTP/1.1 304 Not Modified\r\n\r\n");
	assert_int_equal(nrec, 2);
	vx_http_destroy(h);

	/* A non-HTTP connection (TLS) is dropped after its first bytes. */
	h = mk(0, 0);
	handshake(h);
	seg(h, 0, 1001, "\x16\x03\x01\x02\x00\x01");
	struct vx_http_stats s = stats(h);
	assert_int_equal(s.parse_errors, 0);
	assert_int_equal(s.not_http, 1);
	seg(h, 1, 5001, "HTTP/1.1 200 OK\r\n\r\n");
	assert_int_equal(stats(h).connections, 2);
	vx_http_destroy(h);
}

static void test_upgrade_and_cut(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	handshake(h);
	const char *req = "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
	seg(h, 0, 1001, req);
	seg(h, 1, 5001, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n\x81\x05hello");
	seg(h, 0, 1001 + (uint32_t)strlen(req), "GET /frame-looks-like HTTP/1.1\r\n\r\n");
	assert_int_equal(nrec, 2);
	assert_int_equal(stats(h).parse_errors, 0);
	vx_http_destroy(h);

	/* Capture cut: the body's missing bytes are skipped, the next message found. */
	h = mk(0, 0);
	handshake(h);
	seg(h, 0, 1001, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
	const char *r1 = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n";
	char big[600];
	snprintf(big, sizeof(big), "%s", r1);
	memset(big + strlen(r1), 'z', 500);
	seg_full(h, 1, 5001, 0, VX_TCP_ACK, big, strlen(r1) + 10, strlen(r1) + 500);
	assert_int_equal(stats(h).gaps, 1);
	seg(h, 1, 5001 + (uint32_t)strlen(r1) + 500, "HTTP/1.1 404 Not Found\r\n\r\n");
	assert_int_equal(nrec, 4);
	assert_string_equal(recs[3].desc, "404 cl=-1");
	/* A cut through a header block loses it and resynchronises. */
	seg_full(h, 0, 1001 + 36, 0, VX_TCP_ACK, "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n", 10, 28);
	seg(h, 0, 1001 + 36 + 28, "Host: b\r\n\r\n");
	seg(h, 0, 1001 + 36 + 28 + 11, "GET /4 HTTP/1.1\r\n\r\n");
	assert_int_equal(stats(h).gaps, 2);
	assert_int_equal(nrec, 5);
	assert_string_equal(recs[4].desc, "GET /4 cl=-1");
	vx_http_destroy(h);
}

static void test_connect_and_wrap(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	/* Sequence numbers wrap around 2^32 mid-message. */
	seg_full(h, 0, 0xfffffff0u, 0, VX_TCP_SYN, NULL, 0, 0);
	const char *a = "CONNECT host:443 HTTP/1.1\r\n";
	seg(h, 0, 0xfffffff1u, a);
	seg(h, 0, 0xfffffff1u + (uint32_t)strlen(a), "Host: host:443\r\n\r\n");
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].desc, "CONNECT host:443 cl=-1");
	seg(h, 1, 300, "HTTP/1.1 200 Connection established\r\n\r\n");
	seg(h, 1, 300 + 39, "HTTP/1.1 200 tunnelled bytes\r\n\r\n");
	assert_int_equal(nrec, 2);
	vx_http_destroy(h);
}

/* ---- decoded frames inside VXLAN ---- */

#define TUN_VNI 7100

/* One segment of the CLI:cli_port <-> SRV:80 connection as a capture of the
 * underlay shows it: inside VXLAN between the VTEPs 172.31.0.238 and
 * 172.31.17.188, each segment with its own outer UDP source port (VTEPs
 * vary it for entropy). Decoded from the bytes by vx_decode, so the engine
 * sees what the decoder reports, not a hand-filled packet. */
static void tun_seg(struct vx_http *h, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
		    const char *s)
{
	struct vx_decode_config dcfg;
	struct tframe inner, f;
	struct vx_packet p;
	size_t n = s ? strlen(s) : 0;

	tf_tcp4_frame(&inner, dir ? "10.0.0.2" : "10.0.0.1", dir ? 80 : cli_port,
		      dir ? "10.0.0.1" : "10.0.0.2", dir ? cli_port : 80, seq, ack, flags, s, n);
	tf_reset(&f);
	tf_eth(&f, 0x0800);
	tf_ipv4(&f, dir ? "172.31.17.188" : "172.31.0.238", dir ? "172.31.0.238" : "172.31.17.188",
		17, (uint16_t)(8 + 8 + inner.len));
	tf_udp(&f, (uint16_t)(49152 | (seq & 0x3fff)), 4789, (uint16_t)(8 + inner.len));
	tf_vxlan(&f, TUN_VNI);
	tf_bytes(&f, inner.b, inner.len);

	vx_decode_config_default(&dcfg);
	assert_int_equal(vx_decode(&dcfg, VX_LINK_ETHERNET, f.b, (uint32_t)f.len, (uint32_t)f.len,
				   &p),
			 VX_STATUS_OK);
	assert_int_equal(p.vni, TUN_VNI);
	assert_int_equal(p.payload_caplen, n);
	p.ts.sec = clock_sec;
	p.ts.nsec = 0;
	vx_http_packet(h, &p);
}

static void test_vxlan_decoded_split(void **state)
{
	(void)state;
	struct vx_http *h = mk(0, 0);
	const char *qa = "GET /api/v1/items?id=7 HTTP/1.1\r\nHo";
	const char *qb = "st: svc.internal\r\n\r\n";
	const char *ra = "HTTP/1.1 404 Not Fo";
	const char *rb = "und\r\nContent-Length: 0\r\n\r\n";
	uint32_t cseq = 1001, sseq = 5001;

	cli_port = 43210;
	tun_seg(h, 0, 1000, 0, VX_TCP_SYN, NULL);
	tun_seg(h, 1, 5000, 1001, VX_TCP_SYN | VX_TCP_ACK, NULL);
	tun_seg(h, 0, 1001, 5001, VX_TCP_ACK, NULL);

	tun_seg(h, 0, cseq, sseq, VX_TCP_ACK, qa);
	assert_int_equal(nrec, 0);
	clock_sec++;
	tun_seg(h, 0, cseq + (uint32_t)strlen(qa), sseq, VX_TCP_ACK | VX_TCP_PSH, qb);
	cseq += (uint32_t)(strlen(qa) + strlen(qb));
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].desc, "GET /api/v1/items?id=7 cl=-1");
	/* The inner flow and the tunnel's VNI, not the VTEPs. */
	assert_int_equal(recs[0].vni, TUN_VNI);
	assert_int_equal(recs[0].key.family, 4);
	assert_memory_equal(recs[0].key.src, CLI, 4);
	assert_memory_equal(recs[0].key.dst, SRV, 4);
	assert_int_equal(recs[0].key.sport, 43210);
	assert_int_equal(recs[0].key.dport, 80);
	assert_int_equal(recs[0].ts.sec, clock_sec);

	tun_seg(h, 1, sseq, cseq, VX_TCP_ACK, ra);
	assert_int_equal(nrec, 1);
	clock_sec++;
	tun_seg(h, 1, sseq + (uint32_t)strlen(ra), cseq, VX_TCP_ACK | VX_TCP_PSH, rb);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].desc, "404 cl=0");
	assert_int_equal(recs[1].vni, TUN_VNI);
	assert_int_equal(recs[1].key.family, 4);
	assert_memory_equal(recs[1].key.src, SRV, 4);
	assert_memory_equal(recs[1].key.dst, CLI, 4);
	assert_int_equal(recs[1].key.sport, 80);
	assert_int_equal(recs[1].key.dport, 43210);
	assert_int_equal(recs[1].ts.sec, clock_sec);

	/* One connection despite the outer source ports and directions changing. */
	struct vx_http_stats s = stats(h);
	assert_int_equal(s.requests, 1);
	assert_int_equal(s.responses, 1);
	assert_int_equal(s.tcp_segments, 4);
	assert_int_equal(s.connections, 1);
	assert_int_equal(s.gaps + s.overflows + s.parse_errors + s.out_of_order, 0);
	vx_http_destroy(h);
}

/* ---- log formats ---- */

static char logbuf[4096];

static const char *render(const struct vx_http_message *m, int json, int nanosecond)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	struct vx_out o;
	assert_int_equal(vx_out_init(&o, fileno(f), 4096), 0);
	if (json)
		vx_http_log_json(&o, m, nanosecond);
	else
		vx_http_log_text(&o, m, nanosecond);
	vx_out_free(&o);
	rewind(f);
	size_t n = fread(logbuf, 1, sizeof(logbuf) - 1, f);
	logbuf[n] = 0;
	fclose(f);
	return logbuf;
}

static void test_log_formats(void **state)
{
	(void)state;
	struct vx_http_message m;
	const char *req = "GET /wiki/Main_Page HTTP/1.1\r\nHost: en.wikipedia.org\r\n"
			  "User-Agent: curl/7.88.1\r\n\r\n";
	assert_true(parse(req, &m) > 0);
	m.ts.sec = 1320279566;
	m.ts.nsec = 452502123;
	m.key.family = 4;
	m.key.proto = 6;
	memcpy(m.key.src, (uint8_t[]){141, 142, 220, 118}, 4);
	memcpy(m.key.dst, (uint8_t[]){208, 80, 152, 2}, 4);
	m.key.sport = 35640;
	m.key.dport = 80;
	assert_string_equal(render(&m, 0, 0),
			    "1320279566.452502 vni=- 141.142.220.118:35640 > 208.80.152.2:80 request "
			    "GET /wiki/Main_Page HTTP/1.1 host=\"en.wikipedia.org\" "
			    "user_agent=\"curl/7.88.1\" content_type=- content_length=-\n");
	assert_string_equal(
		render(&m, 1, 0),
		"{\"ts\":1320279566.452502,\"vni\":null,\"src\":\"141.142.220.118\",\"sport\":35640,"
		"\"dst\":\"208.80.152.2\",\"dport\":80,\"type\":\"request\",\"method\":\"GET\","
		"\"uri\":\"/wiki/Main_Page\",\"version\":\"HTTP/1.1\",\"status\":null,"
		"\"reason\":null,\"host\":\"en.wikipedia.org\",\"user_agent\":\"curl/7.88.1\","
		"\"content_type\":null,\"content_length\":null}\n");

	/* A response over IPv6 inside VXLAN, with characters needing escapes. */
	const char *resp = "HTTP/1.1 200 O\"K\\\r\nContent-Type: text/html\x01\r\n"
			   "Content-Length: 1234\r\n\r\n";
	assert_true(parse(resp, &m) > 0);
	m.ts.sec = 1700000000;
	m.ts.nsec = 5;
	m.vni = 4242;
	m.key.family = 6;
	memset(m.key.src, 0, 16);
	memset(m.key.dst, 0, 16);
	memcpy(m.key.src, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
	m.key.src[15] = 1;
	memcpy(m.key.dst, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
	m.key.dst[15] = 2;
	m.key.sport = 80;
	m.key.dport = 51000;
	assert_string_equal(render(&m, 0, 1),
			    "1700000000.000000005 vni=4242 [2001:db8::1]:80 > [2001:db8::2]:51000 "
			    "response HTTP/1.1 200 reason=\"O\\x22K\\x5c\" "
			    "content_type=\"text/html\\x01\" content_length=1234\n");
	assert_string_equal(
		render(&m, 1, 1),
		"{\"ts\":1700000000.000000005,\"vni\":4242,\"src\":\"2001:db8::1\",\"sport\":80,"
		"\"dst\":\"2001:db8::2\",\"dport\":51000,\"type\":\"response\",\"method\":null,"
		"\"uri\":null,\"version\":\"HTTP/1.1\",\"status\":200,\"reason\":\"O\\\"K\\\\\","
		"\"host\":null,\"user_agent\":null,\"content_type\":\"text/html\\u0001\","
		"\"content_length\":1234}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_request),
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test(test_parse_incomplete),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_case_insensitive),
		cmocka_unit_test(test_parse_bad_content_length),
		cmocka_unit_test(test_split_request),
		cmocka_unit_test(test_content_length_pipelined),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_head_response),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_lost_segment),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_idle_and_close),
		cmocka_unit_test(test_midstream_and_errors),
		cmocka_unit_test(test_upgrade_and_cut),
		cmocka_unit_test(test_connect_and_wrap),
		cmocka_unit_test(test_vxlan_decoded_split),
		cmocka_unit_test(test_log_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
