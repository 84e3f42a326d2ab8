/*
 * vxtap-gen — deterministic synthetic pcap generator for the benchmarks.
 *
 * Traffic model (see bench/README.md):
 *  - ~88% of packets belong to --flows HTTP/1.1 TCP connections whose sizes follow a
 *    Zipf-like law (exponent 1.1): a few connections carry most packets. Each connection
 *    has a full handshake, keep-alive request/response exchanges with consistent
 *    sequence/ack numbers, delayed client ACKs every second segment, and a FIN close.
 *  - ~10% DNS query/answer pairs over UDP 53, ~2% ICMP echo request/reply pairs.
 *  - Connections live over part of the capture and are interleaved through a heap keyed
 *    on a virtual clock; the output timestamps are then spread evenly over --duration.
 *
 * Everything is derived from --seed through integer hashes and IEEE double arithmetic
 * without libm, so the same options give the same bytes on any machine.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EPOCH_SEC      1700000000u /* 2023-11-14 22:13:20 UTC */
#define VT_SLOT        65536u      /* virtual-clock units per output packet slot */
#define NCLIENT        (250u * 64u)
#define NSERVER        48u
#define PORT_SPAN      28232u /* Linux ephemeral range 32768-60999 */
#define MSS_V4         1448u  /* 1500 - 20 (IPv4) - 20 (TCP) - 12 (timestamps) */
#define MSS_V6         1428u
#define FRAME_MAX      1600u
#define VXLAN_OVERHEAD 50u /* outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 */
#define VXLAN_PORT     4789u
#define REC_HDR        16u
#define INNER_OFF      (REC_HDR + VXLAN_OVERHEAD)
#define RING           65536u

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define MAX_PACKETS 1000000000ull
#define MAX_FLOWS   1000000ull

struct opts {
	uint64_t packets, flows, seed, duration, vni, vnis, v6share;
	bool vxlan, vni_set, vnis_set;
	const char *out;
};

/* ---- deterministic randomness ---------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t hash3(uint64_t a, uint64_t b, uint64_t c)
{
	return mix64(mix64(mix64(a) ^ b) ^ c);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return mix64(r->s);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

static uint32_t between(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + below(r, hi - lo + 1);
}

/* Uniform draw squared: sizes cluster near lo with a long tail toward hi. */
static uint32_t skewed(struct rng *r, uint32_t lo, uint32_t hi)
{
	uint64_t u = rnd(r) >> 40;
	uint64_t span = (uint64_t)hi - lo + 1;
	return lo + (uint32_t)((((u * u) >> 24) * span) >> 24);
}

/* x^(1/10) for x >= 1 by Newton's method; avoids libm (and its last-bit differences). */
static double root10(double x)
{
	double y = 1.0, y9;
	while (1) {
		double y2 = (2 * y) * (2 * y), y10 = y2 * y2 * y2 * y2 * y2;
		if (y10 > x)
			break;
		y *= 2;
	}
	y *= 2; /* start above the root: Newton then decreases monotonically */
	for (int i = 0; i < 60; i++) {
		double y3 = y * y * y;
		y9 = y3 * y3 * y3;
		double next = (9 * y + x / y9) / 10;
		if (next >= y)
			break;
		y = next;
	}
	return y;
}

/* ---- addresses ------------------------------------------------------------------------- */

static void client_addr(uint32_t cl, bool v6, uint8_t *b)
{
	memset(b, 0, 16);
	if (!v6) {
		b[0] = 10, b[1] = 1, b[2] = (uint8_t)(cl / 250), b[3] = (uint8_t)(4 + cl % 250);
		return;
	}
	b[0] = 0xfd, b[7] = 1; /* fd00:0:0:1::/64 */
	b[13] = (uint8_t)(cl >> 16), b[14] = (uint8_t)(cl >> 8), b[15] = (uint8_t)cl;
	b[12] = 0x01;
}

static void server_addr(uint32_t sv, bool v6, uint8_t *b)
{
	memset(b, 0, 16);
	if (!v6) {
		b[0] = 10, b[1] = 0, b[2] = (uint8_t)(16 + sv / 250), b[3] = (uint8_t)(10 + sv % 250);
		return;
	}
	b[0] = 0xfd, b[7] = 2; /* fd00:0:0:2::/64 */
	b[14] = 0x01, b[15] = (uint8_t)sv;
}

/* The VPC resolver sits at the base of the VPC range plus two, as in AWS. */
static void resolver_addr(bool v6, uint8_t *b)
{
	memset(b, 0, 16);
	if (!v6) {
		b[0] = 10, b[3] = 2;
		return;
	}
	b[0] = 0xfd, b[14] = 0x00, b[15] = 0x02;
}

static void mac_of(const uint8_t *addr, bool v6, uint8_t *mac)
{
	const uint8_t *t = v6 ? addr + 12 : addr;
	mac[0] = 0x02, mac[1] = v6 ? 0x66 : 0x44;
	memcpy(mac + 2, t, 4);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- generator state ------------------------------------------------------------------- */

enum phase {
	PH_SYN,
	PH_SYNACK,
	PH_HSACK,
	PH_REQ,
	PH_RESP,
	PH_RESPACK,
	PH_FIN_C,
	PH_ACK_S,
	PH_FIN_S,
	PH_LAST,
	PH_DONE
};

struct conn {
	uint64_t seed;
	uint64_t vt, gap;
	struct rng jit;
	uint32_t target, count, npk;
	uint32_t client, ex;
	uint32_t c_nxt, s_nxt;
	uint32_t req_len, req_hdr, resp_len, resp_hdr, off;
	uint32_t tsv_c, tsv_s;
	uint16_t cport, sport, server, ipid_c, ipid_s;
	uint8_t v6, phase, unacked, close4;
};

struct seg {
	uint8_t from_srv, flags, msg; /* msg: 0 none, 1 request, 2 response */
	uint32_t seq, ack, len, off;
};

enum mini_kind { MINI_DNS, MINI_ICMP };

struct mini {
	uint32_t client, name;
	uint16_t id, port; /* ICMP: port holds the echo sequence number */
	uint8_t kind, v6, qtype, reply;
};

struct hent {
	uint64_t vt;
	uint32_t id;
};

struct gen {
	struct opts o;
	FILE *f;
	uint64_t idx, t_base, t_frac, t_last, step, rem, now_us;
	uint16_t outer_ipid;
	struct conn *conns;
	uint32_t nconn;
	struct mini *minis;
	uint32_t nminis, capminis, *freelist, nfree;
	struct hent *heap;
	uint32_t nheap, capheap;
	/* spawner of DNS/ICMP exchanges */
	struct rng srng;
	uint64_t spawn_j, spawn_n, left_dns, left_icmp, left_lone;
	/* stats */
	uint64_t bytes, n_tcp, n_udp, n_icmp, n_req, n_resp, n_dns, n_ping;
	uint8_t frame[INNER_OFF + FRAME_MAX];
};

static uint8_t ring_text[RING + 2048], ring_json[RING + 2048], ring_bin[RING + 2048];

static void init_rings(void)
{
	static const char *const words[] = {
	    "lorem", "ipsum", "dolor", "sit",    "amet",    "consectetur", "adipiscing", "elit",
	    "sed",   "do",    "tempor", "labore", "magna",   "aliqua",      "veniam",     "quis",
	    "nisi",  "ut",    "ex",     "ea",     "commodo", "duis",        "aute",       "irure"};
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
	struct rng r = {0x7674617067656eull};
	size_t n = 0, col = 0;
	while (n < sizeof ring_text) {
		const char *w = words[below(&r, sizeof words / sizeof words[0])];
		for (; *w && n < sizeof ring_text; w++, col++)
			ring_text[n++] = (uint8_t)*w;
		if (n < sizeof ring_text) {
			ring_text[n++] = col > 70 ? '\n' : ' ';
			col = col > 70 ? 0 : col + 1;
		}
	}
	for (size_t i = 0; i < sizeof ring_json; i++)
		ring_json[i] = (uint8_t)alnum[below(&r, sizeof alnum - 1)];
	for (size_t i = 0; i < sizeof ring_bin; i++)
		ring_bin[i] = (uint8_t)rnd(&r);
}

/* ---- HTTP exchanges -------------------------------------------------------------------- */

enum kind { K_API, K_STATIC, K_NOTMOD, K_HTML, K_HEALTH, K_SEARCH, K_POST, K_NOTFOUND, K_DOWNLOAD };
enum fill { FILL_TEXT, FILL_JSON, FILL_BIN };

struct plan {
	uint8_t kind, variant, fill;
	uint16_t status;
	uint32_t req_body, resp_body, a, b, etag, seed;
	const char *ctype;
};

static const char *const hosts[] = {"www.example.com",    "api.example.com",  "shop.example.net",
				    "static.example.org", "cdn.example.net",  "auth.example.com",
				    "search.example.org", "blog.example.net", "orders.example.com",
				    "img.example.org",    "m.example.com",    "pay.example.net"};
#define NHOSTS (sizeof hosts / sizeof hosts[0])

static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)"};
#define NAGENTS (sizeof agents / sizeof agents[0])

static const char *const terms[] = {"shoes", "laptop", "coffee+maker", "headphones", "desk+lamp",
				    "backpack", "monitor", "running+socks"};

static void plan_exchange(const struct conn *c, uint32_t ex, struct plan *p)
{
	struct rng r = {hash3(c->seed, ex, 0x68747470)};
	uint32_t w = below(&r, 1000);
	memset(p, 0, sizeof *p);
	p->status = 200;
	p->fill = FILL_JSON;
	p->ctype = "application/json";
	p->variant = (uint8_t)below(&r, 4);
	p->a = between(&r, 1, 99999);
	p->b = between(&r, 1, 40);
	p->etag = (uint32_t)rnd(&r);
	p->seed = (uint32_t)rnd(&r);
	/* Weights per mille; about two thirds of responses are under 2 kB. */
	if (w < 330) {
		p->kind = K_API;
		p->resp_body = skewed(&r, 80, 2000);
	} else if (w < 480) {
		p->kind = K_STATIC;
		p->fill = FILL_TEXT;
		p->ctype = (p->variant & 1) ? "text/css" : "application/javascript";
		p->resp_body = skewed(&r, 10000, 100000);
	} else if (w < 580) {
		p->kind = K_NOTMOD;
		p->status = 304;
		p->ctype = NULL;
	} else if (w < 680) {
		p->kind = K_HTML;
		p->fill = FILL_TEXT;
		p->ctype = "text/html; charset=utf-8";
		p->resp_body = skewed(&r, 2000, 40000);
	} else if (w < 740) {
		p->kind = K_HEALTH;
		p->fill = FILL_TEXT;
		p->ctype = "text/plain";
		p->resp_body = between(&r, 2, 20);
	} else if (w < 790) {
		p->kind = K_SEARCH;
		p->resp_body = skewed(&r, 500, 8000);
	} else if (w < 940) {
		p->kind = K_POST;
		p->req_body = skewed(&r, 40, 3000);
		p->status = (p->variant & 1) ? 201 : 200;
		p->resp_body = skewed(&r, 20, 600);
	} else if (w < 980) {
		p->kind = K_NOTFOUND;
		p->status = 404;
		p->fill = FILL_TEXT;
		p->ctype = "text/html";
		p->resp_body = between(&r, 150, 600);
	} else {
		p->kind = K_DOWNLOAD;
		p->fill = FILL_BIN;
		p->ctype = "application/octet-stream";
		p->resp_body = skewed(&r, 100000, 1000000);
	}
}

static int uri_text(const struct plan *p, char *buf, size_t cap)
{
	switch (p->kind) {
	case K_API:
		if (p->variant == 0)
			return snprintf(buf, cap, "/api/v1/users/%u", p->a);
		if (p->variant == 1)
			return snprintf(buf, cap, "/api/v1/orders?page=%u&limit=50", p->b);
		if (p->variant == 2)
			return snprintf(buf, cap, "/api/v2/products/%u/reviews?sort=recent&page=%u",
					p->a, p->b);
		return snprintf(buf, cap, "/api/v1/cart?session=%08x", p->etag);
	case K_STATIC:
		return snprintf(buf, cap, (p->variant & 1) ? "/static/css/main.%08x.css"
							   : "/static/js/app.%08x.js",
				p->etag);
	case K_NOTMOD:
		return snprintf(buf, cap, "/static/js/vendor.%08x.js", p->etag);
	case K_HTML:
		if (p->variant == 0)
			return snprintf(buf, cap, "/");
		if (p->variant == 1)
			return snprintf(buf, cap, "/index.html");
		if (p->variant == 2)
			return snprintf(buf, cap, "/products/%u", p->a);
		return snprintf(buf, cap, "/blog/2023/11/post-%u.html", p->b);
	case K_HEALTH:
		return snprintf(buf, cap, "/healthz");
	case K_SEARCH:
		return snprintf(buf, cap, "/search?q=%s&lang=en&page=%u",
				terms[p->a % (sizeof terms / sizeof terms[0])], p->b % 5 + 1);
	case K_POST:
		if (p->variant == 0)
			return snprintf(buf, cap, "/api/v1/events");
		if (p->variant == 1)
			return snprintf(buf, cap, "/api/v1/cart/items");
		if (p->variant == 2)
			return snprintf(buf, cap, "/graphql");
		return snprintf(buf, cap, "/api/v1/login");
	case K_NOTFOUND:
		if (p->variant == 0)
			return snprintf(buf, cap, "/wp-login.php");
		if (p->variant == 1)
			return snprintf(buf, cap, "/.env");
		if (p->variant == 2)
			return snprintf(buf, cap, "/favicon.ico");
		return snprintf(buf, cap, "/api/v1/users/%u/avatar", p->a);
	default:
		return snprintf(buf, cap, "/downloads/release-%u.%u.%u.tar.gz", p->b % 4 + 1,
				p->a % 20, p->a % 7);
	}
}

static uint32_t req_text(const struct conn *c, const struct plan *p, char *buf, size_t cap)
{
	char uri[128];
	const char *accept = "*/*";
	uint32_t ua = (uint32_t)(mix64(c->client * 2u + c->v6) % NAGENTS);
	int n;
	uri_text(p, uri, sizeof uri);
	if (p->kind == K_HTML || p->kind == K_NOTFOUND)
		accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
	else if (p->kind == K_API || p->kind == K_SEARCH || p->kind == K_POST)
		accept = "application/json";
	else if (p->kind == K_STATIC && (p->variant & 1))
		accept = "text/css,*/*;q=0.1";
	n = snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: %s\r\n",
		     p->kind == K_POST ? "POST" : "GET", uri, hosts[c->server % NHOSTS],
		     agents[ua], accept);
	if (p->kind == K_POST)
		n += snprintf(buf + n, cap - (size_t)n,
			      "Content-Type: application/json\r\nContent-Length: %u\r\n",
			      p->req_body);
	if (p->kind == K_NOTMOD)
		n += snprintf(buf + n, cap - (size_t)n, "If-None-Match: \"%08x\"\r\n", p->etag);
	n += snprintf(buf + n, cap - (size_t)n, "\r\n");
	return (uint32_t)n;
}

/* RFC 7231 IMF-fixdate; always 29 characters, so header lengths do not depend on time. */
static void http_date(uint64_t unix_sec, char *out)
{
	static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	uint64_t days = unix_sec / 86400, sod = unix_sec % 86400;
	/* civil_from_days (H. Hinnant), valid for dates after 1970 */
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(out, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT", wd[days % 7], (unsigned)d,
		 mo[m - 1], (unsigned)(y % 10000), (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60),
		 (unsigned)(sod % 60));
}

static const char *reason(uint16_t status)
{
	switch (status) {
	case 201:
		return "Created";
	case 304:
		return "Not Modified";
	case 404:
		return "Not Found";
	default:
		return "OK";
	}
}

static uint32_t resp_text(const struct plan *p, uint64_t unix_sec, char *buf, size_t cap)
{
	char date[32];
	int n;
	http_date(unix_sec, date);
	n = snprintf(buf, cap, "HTTP/1.1 %u %s\r\nDate: %s\r\nServer: nginx/1.24.0\r\n", p->status,
		     reason(p->status), date);
	if (p->ctype)
		n += snprintf(buf + n, cap - (size_t)n,
			      "Content-Type: %s\r\nContent-Length: %u\r\n", p->ctype,
			      p->resp_body);
	if (p->kind == K_STATIC || p->kind == K_NOTMOD)
		n += snprintf(buf + n, cap - (size_t)n,
			      "ETag: \"%08x\"\r\nCache-Control: public, max-age=31536000\r\n",
			      p->etag);
	n += snprintf(buf + n, cap - (size_t)n, "Connection: keep-alive\r\n\r\n");
	return (uint32_t)n;
}

/* Body bytes [off, off+n) of a body of length len; JSON bodies are one valid object. */
static void fill_body(uint8_t *dst, int fill, uint32_t seed, uint32_t len, uint32_t off,
		      uint32_t n)
{
	const uint8_t *ring = fill == FILL_TEXT ? ring_text : fill == FILL_JSON ? ring_json : ring_bin;
	static const char pre[] = "{\"d\":\"", suf[] = "\"}";
	memcpy(dst, ring + ((seed + off) & (RING - 1)), n);
	if (fill != FILL_JSON)
		return;
	if (len < 8) {
		for (uint32_t i = 0; i < n; i++)
			dst[i] = off + i == 0 ? '{' : off + i == 1 ? '}' : ' ';
		return;
	}
	for (uint32_t b = off; b < 6 && b < off + n; b++)
		dst[b - off] = (uint8_t)pre[b];
	for (uint32_t b = off > len - 2 ? off : len - 2; b < off + n; b++)
		dst[b - off] = (uint8_t)suf[b - (len - 2)];
}

/* ---- TCP connection state machine ------------------------------------------------------ */

static void conn_setup(struct conn *c, const struct opts *o, uint64_t i)
{
	uint64_t h = hash3(o->seed, i, 0x636f6e6e);
	memset(c, 0, sizeof *c);
	c->seed = h;
	/* (client, port) is unique per connection so no two share a 4-tuple. */
	c->client = (uint32_t)((i + o->seed % NCLIENT) % NCLIENT);
	c->cport = (uint16_t)(32768 + ((i / NCLIENT) * 7919u +
				       hash3(o->seed, c->client, 0x706f7274) % PORT_SPAN) %
					  PORT_SPAN);
	c->server = (uint16_t)(h % NSERVER);
	c->sport = ((h >> 8) % 10) < 7 ? 80 : 8080;
	c->v6 = ((h >> 16) % 100) < o->v6share;
	c->close4 = (h >> 24) & 1;
}

static void start_exchange(struct conn *c)
{
	struct plan p;
	char buf[1024];
	plan_exchange(c, c->ex, &p);
	c->req_hdr = req_text(c, &p, buf, sizeof buf);
	c->req_len = c->req_hdr + p.req_body;
	c->resp_hdr = resp_text(&p, EPOCH_SEC, buf, sizeof buf);
	c->resp_len = c->resp_hdr + p.resp_body;
	c->off = 0;
	c->phase = PH_REQ;
}

static void conn_reset(struct conn *c)
{
	uint64_t h = mix64(c->seed ^ 0x69736e);
	c->phase = PH_SYN;
	c->count = 0;
	c->ex = 0;
	c->c_nxt = (uint32_t)h;
	c->s_nxt = (uint32_t)(h >> 32);
	c->ipid_c = (uint16_t)mix64(h);
	c->ipid_s = (uint16_t)mix64(h + 1);
	c->tsv_c = c->tsv_s = 0;
	c->unacked = 0;
	c->jit.s = mix64(h + 2);
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Produces the connection's next segment; returns false once the connection is closed. */
static bool conn_step(struct conn *c, struct seg *s)
{
	uint32_t mss = c->v6 ? MSS_V6 : MSS_V4, n;
	memset(s, 0, sizeof *s);
	s->flags = TH_ACK;
	s->seq = c->c_nxt;
	s->ack = c->s_nxt;
	switch (c->phase) {
	case PH_SYN:
		s->flags = TH_SYN;
		s->ack = 0;
		c->c_nxt++;
		c->phase = PH_SYNACK;
		break;
	case PH_SYNACK:
		s->from_srv = 1;
		s->flags = TH_SYN | TH_ACK;
		s->seq = c->s_nxt++;
		s->ack = c->c_nxt;
		c->phase = PH_HSACK;
		break;
	case PH_HSACK:
		start_exchange(c);
		break;
	case PH_REQ:
		n = min32(mss, c->req_len - c->off);
		s->msg = 1, s->off = c->off, s->len = n;
		c->c_nxt += n;
		c->off += n;
		if (c->off == c->req_len) {
			s->flags |= TH_PSH;
			c->off = 0;
			c->unacked = 0;
			c->phase = PH_RESP;
		}
		break;
	case PH_RESP:
		if (c->unacked >= 2) { /* delayed ACK: one per two full segments */
			c->unacked = 0;
			break;
		}
		n = min32(mss, c->resp_len - c->off);
		s->from_srv = 1, s->msg = 2, s->off = c->off, s->len = n;
		s->seq = c->s_nxt, s->ack = c->c_nxt;
		c->s_nxt += n;
		c->off += n;
		c->unacked++;
		if (c->off == c->resp_len) {
			s->flags |= TH_PSH;
			c->phase = PH_RESPACK;
		}
		break;
	case PH_RESPACK:
		c->ex++;
		/* Another request while the connection is below its packet budget. */
		if (c->count + 4u + c->close4 < c->target)
			start_exchange(c);
		else
			c->phase = PH_FIN_C;
		break;
	case PH_FIN_C:
		s->flags = TH_FIN | TH_ACK;
		c->c_nxt++;
		c->phase = c->close4 ? PH_ACK_S : PH_FIN_S;
		break;
	case PH_ACK_S:
		s->from_srv = 1, s->seq = c->s_nxt, s->ack = c->c_nxt;
		c->phase = PH_FIN_S;
		break;
	case PH_FIN_S:
		s->from_srv = 1, s->flags = TH_FIN | TH_ACK, s->seq = c->s_nxt, s->ack = c->c_nxt;
		c->s_nxt++;
		c->phase = PH_LAST;
		break;
	default:
		c->phase = PH_DONE;
		break;
	}
	c->count++;
	return c->phase != PH_DONE;
}

static uint32_t conn_count(struct conn *c)
{
	struct seg s;
	conn_reset(c);
	while (conn_step(c, &s))
		;
	return c->count;
}

/* ---- frame construction ---------------------------------------------------------------- */

static void next_time(struct gen *g)
{
	uint64_t jit = g->step ? mix64(g->o.seed ^ (g->idx * 0x2545f4914f6cdd1dull)) % g->step : 0;
	uint64_t t = g->t_base + jit;
	if (g->idx && t <= g->t_last)
		t = g->t_last + (g->step ? 1 : 0);
	g->t_last = t;
	g->now_us = (uint64_t)EPOCH_SEC * 1000000 + t;
	g->t_base += g->step;
	g->t_frac += g->rem;
	if (g->t_frac >= g->o.packets) {
		g->t_base++;
		g->t_frac -= g->o.packets;
	}
}

/* Ethernet + IP header for an inner frame at g->frame + INNER_OFF; returns the L4 offset. */
static uint32_t put_l3(struct gen *g, bool v6, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, uint32_t l4len, uint16_t ipid, uint8_t ttl, uint32_t flow)
{
	uint8_t *p = g->frame + INNER_OFF;
	mac_of(dst, v6, p);
	mac_of(src, v6, p + 6);
	if (!v6) {
		uint8_t *ip = p + 14;
		put16(p + 12, 0x0800);
		ip[0] = 0x45, ip[1] = 0;
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, ipid);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = ttl, ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		return 34;
	}
	uint8_t *ip = p + 14;
	put16(p + 12, 0x86dd);
	put32(ip, 0x60000000u | (flow & 0xfffff));
	put16(ip + 4, l4len);
	ip[6] = proto, ip[7] = ttl;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return 54;
}

static uint16_t l4_csum(bool v6, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			const uint8_t *l4, uint32_t len)
{
	uint64_t sum = csum_add(0, src, v6 ? 16 : 4);
	sum = csum_add(sum, dst, v6 ? 16 : 4);
	sum += proto + len;
	sum = csum_add(sum, l4, len);
	return csum_fold(sum);
}

static void write_frame(struct gen *g, uint32_t inner_len, uint32_t client, uint64_t flowhash)
{
	uint8_t *rec;
	uint32_t len = inner_len;
	if (g->o.vxlan) {
		/* AWS-style mirror: the source ENI (the client) sends to the target in VXLAN. */
		uint8_t *p = g->frame + REC_HDR, *ip = p + 14, *udp = ip + 20, *vx = udp + 8;
		uint8_t src[16], dst[4] = {10, 0, 200, 10};
		uint32_t vni = (uint32_t)(g->o.vni + mix64(client) % g->o.vnis);
		client_addr(client, false, src);
		mac_of(dst, false, p);
		mac_of(src, false, p + 6);
		put16(p + 12, 0x0800);
		ip[0] = 0x45, ip[1] = 0;
		put16(ip + 2, 20 + 8 + 8 + inner_len);
		put16(ip + 4, g->outer_ipid++);
		put16(ip + 6, 0);
		ip[8] = 64, ip[9] = 17;
		put16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		/* Source port from a symmetric hash of the inner 5-tuple: both directions
		 * of a flow take the same ECMP path and land on the same receive queue. */
		put16(udp, 49152 + (uint32_t)(flowhash % 16384));
		put16(udp + 2, VXLAN_PORT);
		put16(udp + 4, 8 + 8 + inner_len);
		put16(udp + 6, 0); /* zero UDP checksum, as RFC 7348 recommends */
		put32(vx, 0x08000000u);
		put32(vx + 4, vni << 8);
		len += VXLAN_OVERHEAD;
		rec = g->frame;
	} else {
		rec = g->frame + VXLAN_OVERHEAD;
	}
	put32le(rec, (uint32_t)(g->now_us / 1000000));
	put32le(rec + 4, (uint32_t)(g->now_us % 1000000));
	put32le(rec + 8, len);
	put32le(rec + 12, len);
	fwrite(rec, 1, REC_HDR + len, g->f);
	g->bytes += REC_HDR + len;
	g->idx++;
}

static uint64_t flow_hash(uint8_t proto, const uint8_t *caddr, const uint8_t *saddr,
			  uint32_t cport, uint32_t sport)
{
	uint64_t a, b;
	memcpy(&a, caddr, 8);
	memcpy(&b, caddr + 8, 8);
	uint64_t h = mix64(a ^ mix64(b ^ proto));
	memcpy(&a, saddr, 8);
	memcpy(&b, saddr + 8, 8);
	return mix64(h ^ mix64(a ^ mix64(b ^ ((uint64_t)cport << 16 | sport))));
}

static void write_tcp(struct gen *g, struct conn *c, const struct seg *s)
{
	uint8_t ca[16], sa[16], *p = g->frame + INNER_OFF;
	const uint8_t *src, *dst;
	bool v6 = c->v6, syn = s->flags & TH_SYN;
	uint32_t optlen = syn ? 20 : 12, thl = 20 + optlen, l4, tsv;
	client_addr(c->client, v6, ca);
	server_addr(c->server, v6, sa);
	src = s->from_srv ? sa : ca;
	dst = s->from_srv ? ca : sa;
	l4 = put_l3(g, v6, src, dst, 6, thl + s->len, s->from_srv ? c->ipid_s++ : c->ipid_c++,
		    64, (uint32_t)(c->seed >> (s->from_srv ? 20 : 40)));
	uint8_t *t = p + l4, *o = t + 20;
	put16(t, s->from_srv ? c->sport : c->cport);
	put16(t + 2, s->from_srv ? c->cport : c->sport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = s->flags;
	put16(t + 14, syn ? (v6 ? 64800 : 64240) : (s->from_srv ? 509 : 502));
	put16(t + 16, 0);
	put16(t + 18, 0);
	/* TCP timestamps: each host's millisecond clock with a per-connection offset. */
	tsv = (uint32_t)(g->now_us / 1000) + (uint32_t)(c->seed >> (s->from_srv ? 0 : 32));
	if (syn) {
		o[0] = 2, o[1] = 4;
		put16(o + 2, v6 ? 1440 : 1460);
		o[4] = 4, o[5] = 2; /* SACK permitted */
		o += 6;
	} else {
		o[0] = 1, o[1] = 1;
		o += 2;
	}
	o[0] = 8, o[1] = 10;
	put32(o + 2, tsv);
	put32(o + 6, s->from_srv ? c->tsv_c : c->tsv_s);
	if (syn)
		o[10] = 1, o[11] = 3, o[12] = 3, o[13] = 7; /* NOP, window scale 7 */
	if (s->from_srv)
		c->tsv_s = tsv;
	else
		c->tsv_c = tsv;
	if (s->len) {
		struct plan pl;
		uint8_t *d = t + thl;
		uint32_t hdr = s->msg == 1 ? c->req_hdr : c->resp_hdr;
		uint32_t total = s->msg == 1 ? c->req_len : c->resp_len, done = 0;
		plan_exchange(c, c->ex, &pl);
		if (s->off < hdr) {
			char buf[1024];
			uint32_t h = s->msg == 1 ? req_text(c, &pl, buf, sizeof buf)
						 : resp_text(&pl, g->now_us / 1000000, buf, sizeof buf);
			done = min32(h - s->off, s->len);
			memcpy(d, buf + s->off, done);
			if (s->off == 0) {
				if (s->msg == 1)
					g->n_req++;
				else
					g->n_resp++;
			}
		}
		if (done < s->len)
			fill_body(d + done, s->msg == 1 ? FILL_JSON : pl.fill, pl.seed, total - hdr,
				  s->off + done - hdr, s->len - done);
	}
	put16(t + 16, l4_csum(v6, src, dst, 6, t, thl + s->len));
	g->n_tcp++;
	write_frame(g, l4 + thl + s->len, c->client, flow_hash(6, ca, sa, c->cport, c->sport));
}

static const char *const dns_names[] = {
    "www.example.com",    "api.example.com",   "shop.example.net",   "static.example.org",
    "cdn.example.net",    "auth.example.com",  "search.example.org", "blog.example.net",
    "orders.example.com", "img.example.org",   "m.example.com",      "pay.example.net",
    "ntp.example.org",    "mail.example.com",  "vpn.example.net",    "git.example.org"};
#define NDNS (sizeof dns_names / sizeof dns_names[0])

static void write_dns(struct gen *g, const struct mini *m)
{
	uint8_t ca[16], ra[16], *p = g->frame + INNER_OFF;
	bool v6 = m->v6, ans = m->reply;
	uint32_t l4, n = 12, nans = ans ? 1 + m->name % 2 : 0;
	uint8_t q[300];
	const char *name = dns_names[m->name % NDNS];
	client_addr(m->client, v6, ca);
	resolver_addr(v6, ra);
	/* DNS message first (into q), then headers in front of it. */
	put16(q, m->id);
	put16(q + 2, ans ? 0x8180 : 0x0100);
	put16(q + 4, 1);
	put16(q + 6, nans);
	put16(q + 8, 0);
	put16(q + 10, 0);
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		q[n++] = (uint8_t)len;
		memcpy(q + n, name, len);
		n += (uint32_t)len;
		name += len + (dot ? 1 : 0);
	}
	q[n++] = 0;
	put16(q + n, m->qtype);
	put16(q + n + 2, 1);
	n += 4;
	for (uint32_t i = 0; i < nans; i++) {
		uint32_t rdlen = m->qtype == 28 ? 16 : 4;
		put16(q + n, 0xc00c);
		put16(q + n + 2, m->qtype);
		put16(q + n + 4, 1);
		put32(q + n + 6, 60 + m->name * 15);
		put16(q + n + 10, rdlen);
		n += 12;
		memset(q + n, 0, rdlen);
		if (rdlen == 4)
			q[n] = 203, q[n + 1] = 0, q[n + 2] = 113, q[n + 3] = (uint8_t)(m->name * 8 + i);
		else
			q[n] = 0x20, q[n + 1] = 0x01, q[n + 2] = 0x0d, q[n + 3] = 0xb8,
			q[n + 15] = (uint8_t)(m->name * 8 + i);
		n += rdlen;
	}
	l4 = put_l3(g, v6, ans ? ra : ca, ans ? ca : ra, 17, 8 + n, m->id, 64, m->id);
	uint8_t *u = p + l4;
	put16(u, ans ? 53 : m->port);
	put16(u + 2, ans ? m->port : 53);
	put16(u + 4, 8 + n);
	put16(u + 6, 0);
	memcpy(u + 8, q, n);
	uint16_t cs = l4_csum(v6, ans ? ra : ca, ans ? ca : ra, 17, u, 8 + n);
	put16(u + 6, cs ? cs : 0xffff);
	g->n_udp++;
	if (!ans)
		g->n_dns++;
	write_frame(g, l4 + 8 + n, m->client, flow_hash(17, ca, ra, m->port, 53));
}

static void write_icmp(struct gen *g, const struct mini *m)
{
	uint8_t ca[16], sa[16], *p = g->frame + INNER_OFF;
	bool v6 = m->v6, rep = m->reply;
	uint32_t l4, sv = m->name % NSERVER;
	client_addr(m->client, v6, ca);
	server_addr(sv, v6, sa);
	/* 64-byte echo like Linux ping: 16-byte timeval, then bytes 0x10..0x37. */
	l4 = put_l3(g, v6, rep ? sa : ca, rep ? ca : sa, v6 ? 58 : 1, 64, m->id + m->port, 64, 0);
	uint8_t *ic = p + l4;
	ic[0] = v6 ? (rep ? 129 : 128) : (rep ? 0 : 8);
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, m->id);
	put16(ic + 6, m->port);
	memset(ic + 8, 0, 16);
	put32le(ic + 8, (uint32_t)(g->now_us / 1000000));
	put32le(ic + 16, (uint32_t)(g->now_us % 1000000));
	for (uint32_t i = 0; i < 40; i++)
		ic[24 + i] = (uint8_t)(0x10 + i);
	if (v6)
		put16(ic + 2, l4_csum(true, rep ? sa : ca, rep ? ca : sa, 58, ic, 64));
	else
		put16(ic + 2, csum_fold(csum_add(0, ic, 64)));
	g->n_icmp++;
	if (!rep)
		g->n_ping++;
	write_frame(g, l4 + 64, m->client, flow_hash(v6 ? 58 : 1, ca, sa, m->id, 0));
}

/* ---- scheduling heap ------------------------------------------------------------------- */

static bool hless(const struct hent *a, const struct hent *b)
{
	return a->vt < b->vt || (a->vt == b->vt && a->id < b->id);
}

static void hpush(struct gen *g, uint64_t vt, uint32_t id)
{
	if (g->nheap == g->capheap) {
		g->capheap = g->capheap ? g->capheap * 2 : 1024;
		g->heap = realloc(g->heap, g->capheap * sizeof *g->heap);
		if (!g->heap) {
			fprintf(stderr, "vxtap-gen: out of memory\n");
			exit(1);
		}
	}
	uint32_t i = g->nheap++;
	struct hent e = {vt, id};
	while (i && hless(&e, &g->heap[(i - 1) / 2])) {
		g->heap[i] = g->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	g->heap[i] = e;
}

static struct hent hpop(struct gen *g)
{
	struct hent top = g->heap[0], e = g->heap[--g->nheap];
	uint32_t i = 0, n = g->nheap;
	while (1) {
		uint32_t l = 2 * i + 1, m = l;
		if (l >= n)
			break;
		if (l + 1 < n && hless(&g->heap[l + 1], &g->heap[l]))
			m = l + 1;
		if (!hless(&g->heap[m], &e))
			break;
		g->heap[i] = g->heap[m];
		i = m;
	}
	if (n)
		g->heap[i] = e;
	return top;
}

static uint32_t mini_alloc(struct gen *g)
{
	if (g->nfree)
		return g->freelist[--g->nfree];
	if (g->nminis == g->capminis) {
		g->capminis = g->capminis ? g->capminis * 2 : 256;
		g->minis = realloc(g->minis, g->capminis * sizeof *g->minis);
		g->freelist = realloc(g->freelist, g->capminis * sizeof *g->freelist);
		if (!g->minis || !g->freelist) {
			fprintf(stderr, "vxtap-gen: out of memory\n");
			exit(1);
		}
	}
	return g->nminis++;
}

static uint64_t spawn_vt(struct gen *g, uint64_t j)
{
	uint64_t slot = j * g->o.packets / g->spawn_n;
	return slot * VT_SLOT + below(&g->srng, VT_SLOT);
}

/* One DNS or ICMP exchange: the query now, the answer a few packet slots later. */
static void spawn(struct gen *g, uint64_t vt)
{
	struct rng *r = &g->srng;
	struct mini m;
	uint64_t left = g->left_dns + g->left_icmp;
	memset(&m, 0, sizeof m);
	m.client = below(r, NCLIENT);
	m.v6 = below(r, 100) < g->o.v6share;
	m.name = below(r, 1u << 16);
	m.id = (uint16_t)rnd(r);
	if (left && (uint64_t)below(r, 1u << 30) * left < (uint64_t)g->left_icmp << 30) {
		m.kind = MINI_ICMP;
		m.port = (uint16_t)(g->spawn_j + 1);
		g->left_icmp--;
	} else {
		m.kind = MINI_DNS;
		m.port = (uint16_t)(32768 + below(r, PORT_SPAN));
		m.qtype = below(r, 100) < (m.v6 ? 50u : 20u) ? 28 : 1;
		if (left)
			g->left_dns--;
		else
			g->left_lone--;
	}
	if (m.kind == MINI_DNS)
		write_dns(g, &m);
	else
		write_icmp(g, &m);
	if (left) {
		uint32_t k = mini_alloc(g);
		m.reply = 1;
		g->minis[k] = m;
		hpush(g, vt + between(r, 1, 8) * (uint64_t)VT_SLOT + below(r, VT_SLOT),
		      g->nconn + 1 + k);
	}
}

/* ---- options --------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vxtap-gen --out FILE [options]\n"
		"Write a deterministic synthetic capture (classic pcap, Ethernet, usec, snaplen\n"
		"65535): Zipf-skewed HTTP/1.1 TCP connections plus ~10%% DNS and ~2%% ICMP echo.\n"
		"The same options always produce the same bytes.\n"
		"\n"
		"  --out FILE          output file, '-' for stdout (required)\n"
		"  --packets N         packets to write (default 1000000)\n"
		"  --flows N           TCP connections (default 10000; fewer when --packets is\n"
		"                      too small to give each a few exchanges)\n"
		"  --seed N            random seed (default 1)\n"
		"  --duration SECONDS  capture length; timestamps start at %u (default 1800)\n"
		"  --ipv6-share PCT    percentage of flows over IPv6 (default 10)\n"
		"  --vxlan             wrap every frame in VXLAN (UDP 4789) as AWS traffic\n"
		"                      mirroring does\n"
		"  --vni N             VXLAN network identifier (default 5569041)\n"
		"  --vnis K            spread traffic over K VNIs: N .. N+K-1 (default 1)\n"
		"  -h, --help          show this help\n",
		EPOCH_SEC);
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x;
	errno = 0;
	if (*s >= '0' && *s <= '9') {
		x = strtoull(s, &end, 10);
		if (!errno && *end == '\0' && x >= lo && x <= hi) {
			*v = x;
			return 0;
		}
	}
	fprintf(stderr,
		"vxtap-gen: invalid value '%s' for --%s: expected an integer from %" PRIu64
		" to %" PRIu64 "\n",
		s, opt, lo, hi);
	return -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"packets", required_argument, NULL, 'p'},	  {"flows", required_argument, NULL, 'f'},
	    {"seed", required_argument, NULL, 's'},	  {"vxlan", no_argument, NULL, 'x'},
	    {"vni", required_argument, NULL, 'v'},	  {"vnis", required_argument, NULL, 'k'},
	    {"duration", required_argument, NULL, 'd'}, {"ipv6-share", required_argument, NULL, '6'},
	    {"out", required_argument, NULL, 'o'},	  {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int ch, idx;
	*o = (struct opts){.packets = 1000000,
			   .flows = 10000,
			   .seed = 1,
			   .duration = 1800,
			   .vni = 5569041,
			   .vnis = 1,
			   .v6share = 10};
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, &idx)) != -1) {
		int rc = 0;
		switch (ch) {
		case 'p':
			rc = parse_u64("packets", optarg, 1, MAX_PACKETS, &o->packets);
			break;
		case 'f':
			rc = parse_u64("flows", optarg, 1, MAX_FLOWS, &o->flows);
			break;
		case 's':
			rc = parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed);
			break;
		case 'x':
			o->vxlan = true;
			break;
		case 'v':
			rc = parse_u64("vni", optarg, 0, 0xffffff, &o->vni);
			o->vni_set = true;
			break;
		case 'k':
			rc = parse_u64("vnis", optarg, 1, 256, &o->vnis);
			o->vnis_set = true;
			break;
		case 'd':
			rc = parse_u64("duration", optarg, 1, 10u * 365 * 86400, &o->duration);
			break;
		case '6':
			rc = parse_u64("ipv6-share", optarg, 0, 100, &o->v6share);
			break;
		case 'o':
			o->out = optarg;
			if (!*optarg) {
				fprintf(stderr, "vxtap-gen: invalid value '' for --out: expected a "
						"file name or '-'\n");
				rc = -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "vxtap-gen: option %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "vxtap-gen: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
		if (rc)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "vxtap-gen: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	if (!o->out) {
		fprintf(stderr, "vxtap-gen: missing --out FILE (see --help)\n");
		return -1;
	}
	if ((o->vni_set || o->vnis_set) && !o->vxlan) {
		fprintf(stderr, "vxtap-gen: --%s only applies with --vxlan\n",
			o->vni_set ? "vni" : "vnis");
		return -1;
	}
	if (o->vni + o->vnis - 1 > 0xffffff) {
		fprintf(stderr,
			"vxtap-gen: invalid value '%" PRIu64 "' for --vnis: with --vni %" PRIu64
			" it must be at most %" PRIu64 " (VNIs are 24-bit)\n",
			o->vnis, o->vni, 0x1000000 - o->vni);
		return -1;
	}
	return 0;
}

/* ---- main ------------------------------------------------------------------------------ */

/* Chooses each connection's packet budget (Zipf over rank) and measures what it yields. */
static uint64_t plan_conns(struct gen *g, uint64_t tcp_budget)
{
	uint32_t n = g->nconn;
	double *w, hsum = 0, scale = 1.0;
	uint64_t total = 0;
	if (n == 0)
		return 0;
	if (!(w = malloc(n * sizeof *w))) {
		fprintf(stderr, "vxtap-gen: out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < n; i++) {
		double r = (double)(i + 1);
		w[i] = 1.0 / (r * root10(r)); /* r^-1.1 */
		hsum += w[i];
	}
	/* Budgets only steer the number of exchanges; iterate until the sum is near target. */
	for (int iter = 0; iter < 16; iter++) {
		total = 0;
		for (uint32_t i = 0; i < n; i++) {
			double t = scale * (double)tcp_budget * w[i] / hsum;
			g->conns[i].target = t < 1 ? 1 : t > 4e9 ? 4000000000u : (uint32_t)t;
			g->conns[i].npk = conn_count(&g->conns[i]);
			total += g->conns[i].npk;
		}
		if (total <= tcp_budget && total * 100 >= tcp_budget * 99)
			break;
		scale *= (double)tcp_budget / (double)total;
	}
	free(w);
	while (g->nconn && total > tcp_budget)
		total -= g->conns[--g->nconn].npk;
	return total;
}

int main(int argc, char **argv)
{
	struct gen *g = calloc(1, sizeof *g);
	struct timespec t0, t1;
	uint64_t tcp_total = 0, others, pairs, N;
	if (!g) {
		fprintf(stderr, "vxtap-gen: out of memory\n");
		return 1;
	}
	if (parse_opts(argc, argv, &g->o))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	N = g->o.packets;
	init_rings();

	/* 88% TCP; each connection should get room for a few exchanges. */
	uint64_t tcp_budget = N * 88 / 100;
	uint64_t nconn = g->o.flows;
	if (nconn > tcp_budget / 30)
		nconn = tcp_budget / 30;
	if (nconn == 0 && tcp_budget >= 12)
		nconn = 1;
	g->nconn = (uint32_t)nconn;
	g->conns = calloc(nconn ? nconn : 1, sizeof *g->conns);
	if (!g->conns) {
		fprintf(stderr, "vxtap-gen: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < g->nconn; i++)
		conn_setup(&g->conns[i], &g->o, i);
	tcp_total = plan_conns(g, tcp_budget);
	others = N - tcp_total;
	/* DNS and ICMP come in pairs; fix parity with a 3- vs 4-packet TCP close. */
	if ((others & 1) && g->nconn) {
		struct conn *c = &g->conns[0];
		tcp_total -= c->npk;
		c->close4 ^= 1;
		c->npk = conn_count(c);
		tcp_total += c->npk;
		others = N - tcp_total;
	}
	pairs = others / 2;
	g->left_icmp = pairs / 6; /* 2% of packets against 10% DNS */
	g->left_dns = pairs - g->left_icmp;
	g->left_lone = others & 1;
	g->spawn_n = pairs + g->left_lone;
	g->srng.s = hash3(g->o.seed, 0x73706177, 0);

	if (strcmp(g->o.out, "-") == 0) {
		g->f = stdout;
	} else if (!(g->f = fopen(g->o.out, "wb"))) {
		fprintf(stderr, "vxtap-gen: cannot create --out '%s': %s\n", g->o.out,
			strerror(errno));
		return 1;
	}
	setvbuf(g->f, NULL, _IOFBF, 1 << 22);
	uint8_t gh[24];
	put32le(gh, 0xa1b2c3d4);
	gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
	put32le(gh + 8, 0);
	put32le(gh + 12, 0);
	put32le(gh + 16, 65535);
	put32le(gh + 20, 1);
	fwrite(gh, 1, sizeof gh, g->f);

	uint64_t dur_us = g->o.duration * 1000000;
	g->step = dur_us / N;
	g->rem = dur_us % N;

	/* Each connection lives over a random window: 2-64 packet slots per own packet. */
	for (uint32_t i = 0; i < g->nconn; i++) {
		struct conn *c = &g->conns[i];
		struct rng r = {hash3(g->o.seed, i, 0x6c696665)};
		uint64_t life = (uint64_t)c->npk * between(&r, 2, 64);
		if (life > N)
			life = N;
		c->gap = life * VT_SLOT / c->npk;
		conn_reset(c);
		c->vt = (rnd(&r) % (N - life + 1)) * VT_SLOT + below(&r, VT_SLOT);
		hpush(g, c->vt, i);
	}
	if (g->spawn_n)
		hpush(g, spawn_vt(g, 0), g->nconn);

	while (g->nheap) {
		struct hent e = hpop(g);
		next_time(g);
		if (e.id < g->nconn) {
			struct conn *c = &g->conns[e.id];
			struct seg s;
			bool more = conn_step(c, &s);
			write_tcp(g, c, &s);
			if (more) {
				c->vt = e.vt + c->gap / 2 + rnd(&c->jit) % (c->gap + 1);
				hpush(g, c->vt, e.id);
			}
		} else if (e.id == g->nconn) {
			spawn(g, e.vt);
			if (++g->spawn_j < g->spawn_n) {
				uint64_t vt = spawn_vt(g, g->spawn_j);
				hpush(g, vt < e.vt ? e.vt : vt, g->nconn);
			}
		} else {
			uint32_t k = e.id - g->nconn - 1;
			if (g->minis[k].kind == MINI_DNS)
				write_dns(g, &g->minis[k]);
			else
				write_icmp(g, &g->minis[k]);
			g->freelist[g->nfree++] = k;
		}
	}
	if (fflush(g->f) || ferror(g->f) || (g->f != stdout && fclose(g->f))) {
		fprintf(stderr, "vxtap-gen: write to '%s' failed: %s\n", g->o.out, strerror(errno));
		return 1;
	}
	if (g->idx != N) {
		fprintf(stderr, "vxtap-gen: internal error: wrote %" PRIu64 " of %" PRIu64 " packets\n",
			g->idx, N);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr,
		"vxtap-gen: %" PRIu64 " packets, %" PRIu64 " bytes -> %s%s\n"
		"  %u TCP connections (%" PRIu64 " packets, %" PRIu64 " HTTP requests, %" PRIu64
		" responses), %" PRIu64 " DNS queries (%" PRIu64 " UDP packets), %" PRIu64
		" ICMP echos (%" PRIu64 " packets); %.2f s\n",
		g->idx, g->bytes + 24, g->o.out, g->o.vxlan ? " (VXLAN)" : "", g->nconn, g->n_tcp,
		g->n_req, g->n_resp, g->n_dns, g->n_udp, g->n_ping, g->n_icmp,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(g->conns);
	free(g->minis);
	free(g->freelist);
	free(g->heap);
	free(g);
	return 0;
}
