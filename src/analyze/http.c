/* HTTP extraction over TCP: a fixed connection table, per-direction
 * reassembly in sequence order, and message framing (Content-Length,
 * chunked, no-body responses, read-until-close) to find each header block.
 *
 * Memory is allocated once in vx_http_create(). Per-direction buffers come
 * from a preallocated pool and are held only while a direction has a split
 * header block or out-of-order segments; whole header blocks inside one
 * segment are parsed in place.
 */
#include "vxtap/http.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
/* Inlined: the connection hash runs for every TCP packet. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define VX_HTTP_MAX_HELD  16 /* out-of-order segments held per direction */
#define VX_HTTP_FIFO_MAX  16 /* pending request methods per connection */
#define VX_HTTP_MIN_BUF   32
#define VX_HTTP_METHOD_MAX 16

enum {
	ST_HEAD,   /* at a message boundary or inside a header block */
	ST_RESYNC, /* after a gap or an error: wait for a segment that starts a message */
	ST_BODY,   /* Content-Length body: left bytes to skip */
	ST_CH_SIZE,
	ST_CH_EXT,
	ST_CH_SIZE_LF,
	ST_CH_DATA,
	ST_CH_DATA_CR,
	ST_CH_DATA_LF,
	ST_CH_TRAILER,
	ST_CH_TRAILER_LINE,
	ST_CH_TRAILER_LF,
	ST_UNTIL_CLOSE, /* response without a length: the body ends with the connection */
	ST_STOP,        /* upgraded or tunnelled: not HTTP any more */
};

/* Request methods a response has to know about. */
enum { REQ_OTHER = 0, REQ_HEAD = 1, REQ_CONNECT = 2 };

struct vx_http_dir {
	uint64_t left; /* body or chunk bytes to skip; the chunk size being read */
	uint32_t next_seq;
	uint32_t isn; /* sequence number of the SYN, when seen_syn */
	uint32_t buf; /* pool slot + 1; 0 when none */
	uint8_t state;
	uint8_t synced;
	uint8_t fin;
	uint8_t digits; /* chunk-size digits read */
	uint8_t seen_syn;
};

/* Endpoints in a canonical order so both directions find the same entry.
 * Zeroed before filling: it is hashed and compared as bytes. */
struct vx_http_ckey {
	uint8_t a[16];
	uint8_t b[16];
	uint32_t vni;
	uint16_t pa;
	uint16_t pb;
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
};

struct vx_http_conn {
	struct vx_http_ckey key;
	uint32_t bucket;
	uint32_t hnext; /* bucket chain or free list, index + 1 */
	uint32_t prev;  /* LRU list, index + 1 */
	uint32_t next;
	int64_t last_sec;
	struct vx_http_dir dir[2];
	uint32_t fifo; /* 2 bits per pending request, oldest in the low bits */
	uint8_t nfifo;
	uint8_t in_use;
	uint8_t seen_msg;
	uint8_t drop;
};

/* A segment that arrived ahead of the expected sequence. */
struct vx_http_held {
	uint32_t seq;
	uint32_t caplen;
	uint32_t wirelen;
	uint32_t off;
};

/* Pool buffer: a partial header block grows from the start, held segments
 * are stacked down from the end. */
struct vx_http_buf {
	uint32_t head;
	uint32_t low;
	uint32_t nheld;
	struct vx_http_held held[VX_HTTP_MAX_HELD];
};

struct vx_http {
	struct vx_http_config cfg;
	vx_http_callback cb;
	void *ctx;
	uint64_t seed;
	struct vx_http_stats st;
	struct vx_time now;

	struct vx_http_conn *conns;
	uint32_t *buckets; /* index + 1 */
	uint32_t mask;
	uint32_t free_conn; /* freed entries, index + 1 */
	uint32_t fresh;     /* entries [fresh, max_connections) were never used */
	uint32_t lru_head; /* most recently used */
	uint32_t lru_tail;

	unsigned char *pool;
	size_t stride;
	uint32_t nbufs;
	uint32_t nfree;
	uint32_t *free_bufs;
};

void vx_http_config_default(struct vx_http_config *cfg)
{
	cfg->max_connections = 65536;
	cfg->buffer_bytes = 16384;
	cfg->idle_seconds = 300;
}

static uint64_t random_seed(const void *salt)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* No entropy yet (early boot): still vary per process and run. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)salt;
	return XXH3_64bits(&seed, sizeof(seed));
}

struct vx_http *vx_http_create(const struct vx_http_config *cfg, vx_http_callback cb, void *ctx)
{
	struct vx_http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	vx_http_config_default(&h->cfg);
	if (cfg) {
		if (cfg->max_connections)
			h->cfg.max_connections = cfg->max_connections;
		if (cfg->buffer_bytes)
			h->cfg.buffer_bytes = cfg->buffer_bytes;
		if (cfg->idle_seconds)
			h->cfg.idle_seconds = cfg->idle_seconds;
	}
	if (h->cfg.max_connections > (1u << 30))
		h->cfg.max_connections = 1u << 30;
	if (h->cfg.buffer_bytes < VX_HTTP_MIN_BUF)
		h->cfg.buffer_bytes = VX_HTTP_MIN_BUF;
	if (h->cfg.buffer_bytes > (1u << 30))
		h->cfg.buffer_bytes = 1u << 30;
	h->cb = cb;
	h->ctx = ctx;
	h->seed = random_seed(h);

	uint32_t n = h->cfg.max_connections;
	uint32_t nb = 1;
	while (nb < n)
		nb <<= 1;
	h->mask = nb - 1;
	/* Only directions with a split header or held segments need a buffer. */
	uint64_t nbufs = n / 16;
	uint64_t floor = 2ull * n < 64 ? 2ull * n : 64;
	if (nbufs < floor)
		nbufs = floor;
	h->nbufs = (uint32_t)nbufs;
	h->stride = (sizeof(struct vx_http_buf) + h->cfg.buffer_bytes + 15) & ~(size_t)15;

	h->conns = calloc(n, sizeof(*h->conns));
	h->buckets = calloc(nb, sizeof(*h->buckets));
	h->free_bufs = calloc(h->nbufs, sizeof(*h->free_bufs));
	h->pool = malloc(h->stride * h->nbufs);
	if (!h->conns || !h->buckets || !h->free_bufs || !h->pool) {
		vx_http_destroy(h);
		return NULL;
	}
	/* Entries are taken in order before any is reused, so the table's
	 * memory is only touched as connections appear. */
	h->free_conn = 0;
	h->fresh = 0;
	for (uint32_t i = 0; i < h->nbufs; i++)
		h->free_bufs[i] = h->nbufs - 1 - i;
	h->nfree = h->nbufs;
	return h;
}

void vx_http_destroy(struct vx_http *h)
{
	if (!h)
		return;
	free(h->conns);
	free(h->buckets);
	free(h->free_bufs);
	free(h->pool);
	free(h);
}

void vx_http_stats(const struct vx_http *h, struct vx_http_stats *out)
{
	*out = h->st;
}

/* ---- buffers ---- */

static struct vx_http_buf *buf_at(const struct vx_http *h, uint32_t slot)
{
	return (struct vx_http_buf *)(h->pool + (size_t)(slot - 1) * h->stride);
}

static char *buf_data(struct vx_http_buf *b)
{
	return (char *)(b + 1);
}

static struct vx_http_buf *dir_buf(struct vx_http *h, struct vx_http_dir *r)
{
	if (r->buf)
		return buf_at(h, r->buf);
	if (h->nfree == 0)
		return NULL;
	r->buf = h->free_bufs[--h->nfree] + 1;
	struct vx_http_buf *b = buf_at(h, r->buf);
	b->head = 0;
	b->low = h->cfg.buffer_bytes;
	b->nheld = 0;
	return b;
}

static uint32_t dir_nheld(const struct vx_http *h, const struct vx_http_dir *r)
{
	return r->buf ? buf_at(h, r->buf)->nheld : 0;
}

/* Give the buffer back once it holds nothing (force: drop what it holds). */
static void dir_release(struct vx_http *h, struct vx_http_dir *r, int force)
{
	if (!r->buf)
		return;
	struct vx_http_buf *b = buf_at(h, r->buf);
	if (!force && (b->head || b->nheld))
		return;
	h->free_bufs[h->nfree++] = r->buf - 1;
	r->buf = 0;
}

static void dir_resync(struct vx_http *h, struct vx_http_dir *r)
{
	if (r->state == ST_STOP)
		return;
	r->state = ST_RESYNC;
	if (r->buf)
		buf_at(h, r->buf)->head = 0;
}

/* ---- message framing ---- */

static int looks_like_start(const char *d, uint32_t n)
{
	if (n >= 7 && memcmp(d, "HTTP/1.", 7) == 0)
		return 1;
	uint32_t i = 0;
	while (i < n && i < VX_HTTP_METHOD_MAX && d[i] >= 'A' && d[i] <= 'Z')
		i++;
	return i > 0 && i < n && d[i] == ' ';
}

static int method_class(const struct vx_http_str *m)
{
	if (m->len == 4 && memcmp(m->p, "HEAD", 4) == 0)
		return REQ_HEAD;
	if (m->len == 7 && memcmp(m->p, "CONNECT", 7) == 0)
		return REQ_CONNECT;
	return REQ_OTHER;
}

static void fifo_push(struct vx_http_conn *c, int cls)
{
	/* A full FIFO forgets the newest: only HEAD/CONNECT answers misframe. */
	if (c->nfifo >= VX_HTTP_FIFO_MAX)
		return;
	c->fifo |= (uint32_t)cls << (2 * c->nfifo);
	c->nfifo++;
}

static int fifo_pop(struct vx_http_conn *c)
{
	if (c->nfifo == 0)
		return REQ_OTHER;
	int cls = (int)(c->fifo & 3);
	c->fifo >>= 2;
	c->nfifo--;
	return cls;
}

static void conn_stop(struct vx_http *h, struct vx_http_conn *c)
{
	for (int i = 0; i < 2; i++) {
		c->dir[i].state = ST_STOP;
		if (c->dir[i].buf)
			buf_at(h, c->dir[i].buf)->head = 0;
	}
}

static void msg_key(const struct vx_http_conn *c, int di, struct vx_flow_key *k)
{
	const struct vx_http_ckey *ck = &c->key;

	memset(k, 0, sizeof(*k));
	memcpy(k->src, di ? ck->b : ck->a, 16);
	memcpy(k->dst, di ? ck->a : ck->b, 16);
	k->sport = di ? ck->pb : ck->pa;
	k->dport = di ? ck->pa : ck->pb;
	k->proto = ck->proto;
	k->family = ck->family;
}

static void chunk_start(struct vx_http_dir *r)
{
	r->state = ST_CH_SIZE;
	r->left = 0;
	r->digits = 0;
}

/* A header block was found: report it and set up the framing of its body. */
static void dir_message(struct vx_http *h, struct vx_http_conn *c, int di,
			struct vx_http_message *m)
{
	struct vx_http_dir *r = &c->dir[di];

	m->ts = h->now;
	m->vni = c->key.vni;
	msg_key(c, di, &m->key);
	c->seen_msg = 1;
	if (h->cb)
		h->cb(h->ctx, m);

	if (m->kind == VX_HTTP_REQUEST) {
		h->st.requests++;
		fifo_push(c, method_class(&m->method));
		if (m->chunked) {
			chunk_start(r);
		} else if (m->content_length > 0) {
			r->state = ST_BODY;
			r->left = (uint64_t)m->content_length;
		} else {
			r->state = ST_HEAD;
		}
		return;
	}

	h->st.responses++;
	unsigned st = m->status;
	/* Interim 1xx responses come before the final one to the same request. */
	int cls = (st >= 200 || st == 101) ? fifo_pop(c) : REQ_OTHER;
	if (st == 101 || (cls == REQ_CONNECT && st / 100 == 2)) {
		conn_stop(h, c);
	} else if (st < 200 || st == 204 || st == 304 || cls == REQ_HEAD) {
		r->state = ST_HEAD;
	} else if (m->chunked) {
		chunk_start(r);
	} else if (m->content_length > 0) {
		r->state = ST_BODY;
		r->left = (uint64_t)m->content_length;
	} else if (m->content_length == 0) {
		r->state = ST_HEAD;
	} else {
		r->state = ST_UNTIL_CLOSE;
	}
}

static void dir_error(struct vx_http *h, struct vx_http_conn *c, struct vx_http_dir *r)
{
	dir_resync(h, r);
	/* Never HTTP (TLS, SSH...): not an error of HTTP; free the entry
	 * rather than keep watching. */
	if (!c->seen_msg) {
		h->st.not_http++;
		c->drop = 1;
	} else {
		h->st.parse_errors++;
	}
}

/* An empty line ("\n\n" or "\n\r\n") in data[from..len)? */
static int has_end(const char *data, uint32_t from, uint32_t len)
{
	for (uint32_t i = from; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n' || (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n'))
			return 1;
	}
	return 0;
}

/* Header-block bytes; returns how many of d were consumed. */
static uint32_t dir_head(struct vx_http *h, struct vx_http_conn *c, int di, const char *d,
			 uint32_t n)
{
	struct vx_http_dir *r = &c->dir[di];
	struct vx_http_buf *b = r->buf ? buf_at(h, r->buf) : NULL;
	struct vx_http_message m;
	int rc;

	if (!b || b->head == 0) {
		/* Stray line ends between messages are tolerated (RFC 9112 2.2). */
		uint32_t skip = 0;
		while (skip < n && (d[skip] == '\r' || d[skip] == '\n'))
			skip++;
		if (skip)
			return skip;
		rc = vx_http_parse_head(d, n, &m);
		if (rc > 0) {
			dir_message(h, c, di, &m);
			return (uint32_t)rc;
		}
		if (rc < 0) {
			dir_error(h, c, r);
			return n;
		}
		if (n >= h->cfg.buffer_bytes || !(b = dir_buf(h, r)) || b->low < n) {
			h->st.overflows++;
			dir_resync(h, r);
			return n;
		}
		memcpy(buf_data(b), d, n);
		b->head = n;
		return n;
	}

	char *data = buf_data(b);
	uint32_t old = b->head;
	uint32_t room = b->low - old;
	uint32_t k = n < room ? n : room;
	memcpy(data + old, d, k);
	b->head = old + k;
	/* Parse only when the block may be complete, or the start line just
	 * completed: tiny segments must not cost a rescan each. */
	if (has_end(data, old > 2 ? old - 2 : 0, b->head) ||
	    (memchr(data + old, '\n', k) && !memchr(data, '\n', old))) {
		rc = vx_http_parse_head(data, b->head, &m);
		if (rc > 0) {
			dir_message(h, c, di, &m);
			b->head = 0;
			return (uint32_t)rc - old;
		}
		if (rc < 0) {
			dir_error(h, c, r);
			return n;
		}
	}
	if (k < n) {
		h->st.overflows++;
		dir_resync(h, r);
	}
	return n;
}

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static void chunk_size_done(struct vx_http_dir *r)
{
	r->state = r->left ? ST_CH_DATA : ST_CH_TRAILER;
}

/* One byte of chunk framing; 0 on a framing error. */
static int chunk_byte(struct vx_http_dir *r, unsigned char ch)
{
	switch (r->state) {
	case ST_CH_SIZE: {
		int v = hexval(ch);
		if (v >= 0) {
			if (r->left >> 59)
				return 0;
			r->left = r->left << 4 | (uint64_t)v;
			r->digits = 1;
		} else if (!r->digits) {
			return 0;
		} else if (ch == ';' || ch == ' ' || ch == '\t') {
			r->state = ST_CH_EXT;
		} else if (ch == '\r') {
			r->state = ST_CH_SIZE_LF;
		} else if (ch == '\n') {
			chunk_size_done(r);
		} else {
			return 0;
		}
		return 1;
	}
	case ST_CH_SIZE_LF:
		if (ch != '\n')
			return 0;
		chunk_size_done(r);
		return 1;
	case ST_CH_DATA_CR:
		if (ch == '\r')
			r->state = ST_CH_DATA_LF;
		else if (ch == '\n')
			chunk_start(r);
		else
			return 0;
		return 1;
	case ST_CH_DATA_LF:
		if (ch != '\n')
			return 0;
		chunk_start(r);
		return 1;
	case ST_CH_TRAILER:
		if (ch == '\r')
			r->state = ST_CH_TRAILER_LF;
		else if (ch == '\n')
			r->state = ST_HEAD;
		else
			r->state = ST_CH_TRAILER_LINE;
		return 1;
	case ST_CH_TRAILER_LF:
		r->state = ch == '\n' ? ST_HEAD : ST_CH_TRAILER_LINE;
		return 1;
	default:
		return 0;
	}
}

/* In-order stream bytes of one direction. seg_start: d begins a segment. */
static void dir_stream(struct vx_http *h, struct vx_http_conn *c, int di, const char *d,
		       uint32_t n, int seg_start)
{
	struct vx_http_dir *r = &c->dir[di];

	while (n > 0) {
		uint32_t k;
		switch (r->state) {
		case ST_STOP:
		case ST_UNTIL_CLOSE:
			return;
		case ST_RESYNC:
			if (!seg_start || !looks_like_start(d, n))
				return;
			r->state = ST_HEAD;
			continue;
		case ST_HEAD:
			k = dir_head(h, c, di, d, n);
			break;
		case ST_BODY:
		case ST_CH_DATA:
			k = r->left < n ? (uint32_t)r->left : n;
			r->left -= k;
			if (r->left == 0)
				r->state = r->state == ST_BODY ? ST_HEAD : ST_CH_DATA_CR;
			break;
		case ST_CH_EXT:
		case ST_CH_TRAILER_LINE: {
			const char *lf = memchr(d, '\n', n);
			if (!lf)
				return;
			k = (uint32_t)(lf - d) + 1;
			if (r->state == ST_CH_EXT)
				chunk_size_done(r);
			else
				r->state = ST_CH_TRAILER;
			break;
		}
		default:
			if (!chunk_byte(r, (unsigned char)*d)) {
				h->st.parse_errors++;
				dir_resync(h, r);
				return;
			}
			k = 1;
			break;
		}
		d += k;
		n -= k;
		seg_start = 0;
	}
}

/* n stream bytes will never be seen: skip them inside a body of known
 * length, otherwise resynchronise on the next message. */
static void dir_missing(struct vx_http *h, struct vx_http_dir *r, uint64_t n)
{
	switch (r->state) {
	case ST_BODY:
	case ST_CH_DATA:
		if (r->left >= n) {
			r->left -= n;
			if (r->left == 0)
				r->state = r->state == ST_BODY ? ST_HEAD : ST_CH_DATA_CR;
			return;
		}
		break;
	case ST_UNTIL_CLOSE:
	case ST_STOP:
	case ST_RESYNC:
		return;
	default:
		break;
	}
	dir_resync(h, r);
}

/* A segment at or before next_seq: trim what was seen, process the rest. */
static void dir_deliver(struct vx_http *h, struct vx_http_conn *c, int di, uint32_t seq,
			const char *d, uint32_t cap, uint32_t wire)
{
	struct vx_http_dir *r = &c->dir[di];
	uint32_t skip = r->next_seq - seq;

	if (skip >= wire)
		return;
	int seg_start = skip == 0;
	if (skip < cap) {
		d += skip;
		cap -= skip;
	} else {
		cap = 0;
	}
	wire -= skip;
	r->next_seq += cap;
	if (cap)
		dir_stream(h, c, di, d, cap, seg_start);
	if (wire > cap) {
		/* The capture cut this segment short. */
		h->st.gaps++;
		r->next_seq += wire - cap;
		dir_missing(h, r, wire - cap);
	}
}

static void held_recompute_low(struct vx_http *h, struct vx_http_buf *b)
{
	b->low = h->cfg.buffer_bytes;
	for (uint32_t j = 0; j < b->nheld; j++)
		if (b->held[j].off < b->low)
			b->low = b->held[j].off;
}

/* Process held segments that the stream has caught up with. */
static void dir_drain(struct vx_http *h, struct vx_http_conn *c, int di)
{
	struct vx_http_dir *r = &c->dir[di];

	while (r->buf) {
		struct vx_http_buf *b = buf_at(h, r->buf);
		uint32_t i;
		for (i = 0; i < b->nheld; i++)
			if ((int32_t)(b->held[i].seq - r->next_seq) <= 0)
				break;
		if (i == b->nheld)
			return;
		struct vx_http_held s = b->held[i];
		/* Drop the record but keep low: its bytes stay protected from
		 * header appends until they are processed. */
		b->held[i] = b->held[--b->nheld];
		dir_deliver(h, c, di, s.seq, buf_data(b) + s.off, s.caplen, s.wirelen);
		held_recompute_low(h, b);
	}
}

static uint32_t held_min_seq(const struct vx_http_buf *b)
{
	uint32_t m = b->held[0].seq;

	for (uint32_t i = 1; i < b->nheld; i++)
		if ((int32_t)(b->held[i].seq - m) < 0)
			m = b->held[i].seq;
	return m;
}

/* Declare the bytes up to target lost and go on from there. */
static void dir_skip_to(struct vx_http *h, struct vx_http_conn *c, int di, uint32_t target)
{
	struct vx_http_dir *r = &c->dir[di];
	uint32_t missing = target - r->next_seq;

	h->st.gaps++;
	r->next_seq = target;
	if (r->buf)
		buf_at(h, r->buf)->head = 0;
	dir_missing(h, r, missing);
	dir_drain(h, c, di);
}

/* Move held segments to the top of the buffer to join free space. */
static void held_compact(struct vx_http *h, struct vx_http_buf *b)
{
	char *data = buf_data(b);
	uint32_t top = h->cfg.buffer_bytes;
	uint32_t done = 0; /* bitmask of moved records */

	for (uint32_t n = 0; n < b->nheld; n++) {
		uint32_t best = UINT32_MAX;
		for (uint32_t i = 0; i < b->nheld; i++)
			if (!(done >> i & 1) && (best == UINT32_MAX || b->held[i].off > b->held[best].off))
				best = i;
		struct vx_http_held *s = &b->held[best];
		top -= s->caplen;
		memmove(data + top, data + s->off, s->caplen);
		s->off = top;
		done |= 1u << best;
	}
	b->low = top;
}

static int dir_hold(struct vx_http *h, struct vx_http_dir *r, uint32_t seq, const char *d,
		    uint32_t cap, uint32_t wire)
{
	struct vx_http_buf *b = dir_buf(h, r);

	if (!b)
		return 0;
	for (uint32_t i = 0; i < b->nheld; i++)
		if (b->held[i].seq == seq && b->held[i].wirelen >= wire && b->held[i].caplen >= cap)
			return 1; /* retransmission of a held segment */
	if (b->nheld == VX_HTTP_MAX_HELD)
		return 0;
	if (b->low - b->head < cap)
		held_compact(h, b);
	if (b->low - b->head < cap)
		return 0;
	b->low -= cap;
	memcpy(buf_data(b) + b->low, d, cap);
	b->held[b->nheld++] = (struct vx_http_held){seq, cap, wire, b->low};
	h->st.out_of_order++;
	return 1;
}

static void dir_segment(struct vx_http *h, struct vx_http_conn *c, int di, uint32_t seq,
			const char *d, uint32_t cap, uint32_t wire)
{
	struct vx_http_dir *r = &c->dir[di];

	if (r->state == ST_STOP)
		return;
	if (!r->synced) {
		/* First seen mid-stream: start at a message. */
		if (!looks_like_start(d, cap))
			return;
		r->synced = 1;
		r->next_seq = seq;
		r->state = ST_HEAD;
	}
	while ((int32_t)(seq - r->next_seq) > 0) {
		if (dir_hold(h, r, seq, d, cap, wire))
			return;
		/* No room to wait for the hole: give it up, go on from the
		 * held data (or this segment) and resynchronise there. */
		uint32_t target = seq;
		if (dir_nheld(h, r)) {
			uint32_t m = held_min_seq(buf_at(h, r->buf));
			if ((int32_t)(m - seq) < 0)
				target = m;
		}
		dir_skip_to(h, c, di, target);
	}
	dir_deliver(h, c, di, seq, d, cap, wire);
	dir_drain(h, c, di);
}

/* Held data still waiting for a hole that will never fill. */
static void dir_flush(struct vx_http *h, struct vx_http_conn *c, int di)
{
	struct vx_http_dir *r = &c->dir[di];

	while (dir_nheld(h, r))
		dir_skip_to(h, c, di, held_min_seq(buf_at(h, r->buf)));
}

static void dir_reset(struct vx_http *h, struct vx_http_dir *r)
{
	dir_release(h, r, 1);
	memset(r, 0, sizeof(*r));
}

/* ---- connection table ---- */

static void lru_unlink(struct vx_http *h, struct vx_http_conn *c)
{
	if (c->prev)
		h->conns[c->prev - 1].next = c->next;
	else
		h->lru_head = c->next;
	if (c->next)
		h->conns[c->next - 1].prev = c->prev;
	else
		h->lru_tail = c->prev;
	c->prev = c->next = 0;
}

static void lru_push(struct vx_http *h, struct vx_http_conn *c, uint32_t idx1)
{
	c->prev = 0;
	c->next = h->lru_head;
	if (h->lru_head)
		h->conns[h->lru_head - 1].prev = idx1;
	h->lru_head = idx1;
	if (!h->lru_tail)
		h->lru_tail = idx1;
}

static void conn_free(struct vx_http *h, struct vx_http_conn *c)
{
	uint32_t idx1 = (uint32_t)(c - h->conns) + 1;
	uint32_t *pp = &h->buckets[c->bucket];

	while (*pp && *pp != idx1)
		pp = &h->conns[*pp - 1].hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(h, c);
	dir_release(h, &c->dir[0], 1);
	dir_release(h, &c->dir[1], 1);
	memset(c, 0, sizeof(*c));
	c->hnext = h->free_conn;
	h->free_conn = idx1;
}

static void conn_expire(struct vx_http *h, int64_t now)
{
	while (h->lru_tail) {
		struct vx_http_conn *c = &h->conns[h->lru_tail - 1];
		if (c->last_sec + (int64_t)h->cfg.idle_seconds >= now)
			return;
		conn_free(h, c);
	}
}

static struct vx_http_conn *conn_find(struct vx_http *h, const struct vx_http_ckey *k,
				      uint32_t bucket)
{
	for (uint32_t i = h->buckets[bucket]; i; i = h->conns[i - 1].hnext)
		if (memcmp(&h->conns[i - 1].key, k, sizeof(*k)) == 0)
			return &h->conns[i - 1];
	return NULL;
}

static struct vx_http_conn *conn_new(struct vx_http *h, const struct vx_http_ckey *k,
				     uint32_t bucket)
{
	if (!h->free_conn && h->fresh < h->cfg.max_connections) {
		h->free_conn = ++h->fresh;
		h->conns[h->free_conn - 1].hnext = 0;
	} else if (!h->free_conn) {
		/* Full: the least recently used entry makes room. */
		conn_free(h, &h->conns[h->lru_tail - 1]);
		h->st.evictions++;
	}
	uint32_t idx1 = h->free_conn;
	struct vx_http_conn *c = &h->conns[idx1 - 1];
	h->free_conn = c->hnext;
	memset(c, 0, sizeof(*c));
	c->key = *k;
	c->in_use = 1;
	c->bucket = bucket;
	c->hnext = h->buckets[bucket];
	h->buckets[bucket] = idx1;
	lru_push(h, c, idx1);
	h->st.connections++;
	return c;
}

/* Canonical key; returns the direction (0: packet source is endpoint a). */
static int make_key(const struct vx_packet *p, struct vx_http_ckey *k)
{
	const struct vx_flow_key *f = &p->key;
	int cmp = memcmp(f->src, f->dst, 16);
	int di = cmp > 0 || (cmp == 0 && f->sport > f->dport);

	memset(k, 0, sizeof(*k));
	memcpy(k->a, di ? f->dst : f->src, 16);
	memcpy(k->b, di ? f->src : f->dst, 16);
	k->pa = di ? f->dport : f->sport;
	k->pb = di ? f->sport : f->dport;
	k->vni = p->vni;
	k->proto = f->proto;
	k->family = f->family;
	return di;
}

static inline int is_tcp_segment(const struct vx_packet *p)
{
	return p->has_l4 && p->key.proto == 6 && !p->is_fragment;
}

static inline uint32_t key_bucket(const struct vx_http *h, const struct vx_http_ckey *key)
{
	return (uint32_t)XXH3_64bits_withSeed(key, sizeof(*key), h->seed) & h->mask;
}

void vx_http_prefetch(const struct vx_http *h, const struct vx_packet *pkts, int n)
{
	uint32_t bucket[VX_HTTP_PREFETCH_MAX];
	struct vx_http_ckey key;

	if (n > VX_HTTP_PREFETCH_MAX)
		n = VX_HTTP_PREFETCH_MAX;
	/* Two passes, so that the misses of a batch overlap: the buckets
	 * first, then the entries the buckets point to. */
	for (int i = 0; i < n; i++) {
		bucket[i] = UINT32_MAX;
		if (!is_tcp_segment(&pkts[i]))
			continue;
		make_key(&pkts[i], &key);
		bucket[i] = key_bucket(h, &key);
		__builtin_prefetch(&h->buckets[bucket[i]]);
	}
	for (int i = 0; i < n; i++) {
		if (bucket[i] == UINT32_MAX)
			continue;
		uint32_t c = h->buckets[bucket[i]];
		if (c) {
			const char *e = (const char *)&h->conns[c - 1];
			__builtin_prefetch(e);
			__builtin_prefetch(e + 64);
			__builtin_prefetch(e + sizeof(struct vx_http_conn) - 1);
		}
	}
}

void vx_http_packet(struct vx_http *h, const struct vx_packet *p)
{
	if (!is_tcp_segment(p))
		return;

	const char *d = NULL;
	uint32_t cap = 0;
	uint32_t wire = p->payload_wirelen;
	if (p->data && p->payload_off <= p->caplen) {
		d = (const char *)p->data + p->payload_off;
		cap = p->payload_caplen;
		if (cap > p->caplen - p->payload_off)
			cap = p->caplen - p->payload_off;
	}
	if (wire < cap)
		wire = cap;
	uint8_t flags = p->tcp_flags;
	if (wire == 0 && !(flags & (VX_TCP_SYN | VX_TCP_FIN | VX_TCP_RST | VX_TCP_ACK)))
		return;
	/* A bare ACK matters only to a direction holding segments behind a
	 * hole; with every buffer free there is none, so skip the lookup. */
	if (wire == 0 && !(flags & (VX_TCP_SYN | VX_TCP_FIN | VX_TCP_RST)) && h->nfree == h->nbufs)
		return;
	if (wire)
		h->st.tcp_segments++;

	h->now = p->ts;
	conn_expire(h, p->ts.sec);

	struct vx_http_ckey key;
	int di = make_key(p, &key);
	uint32_t bucket = key_bucket(h, &key);
	struct vx_http_conn *c = conn_find(h, &key, bucket);
	uint32_t seq = p->tcp_seq;
	if (flags & VX_TCP_SYN)
		seq++;

	if (!c) {
		if (flags & VX_TCP_RST)
			return;
		if (!(flags & VX_TCP_SYN) && !(cap && looks_like_start(d, cap)))
			return;
		c = conn_new(h, &key, bucket);
	} else if (c->last_sec != p->ts.sec) {
		/* The list stays in order of last_sec if an entry moves once per
		 * second; idle expiry and eviction need no finer order. */
		lru_unlink(h, c);
		lru_push(h, c, (uint32_t)(c - h->conns) + 1);
	}
	c->last_sec = p->ts.sec;

	struct vx_http_dir *r = &c->dir[di];
	/* A retransmitted SYN (same initial sequence) changes nothing. */
	if ((flags & VX_TCP_SYN) && !(r->seen_syn && r->isn == p->tcp_seq)) {
		if (!r->synced || r->next_seq != seq) {
			/* A new connection on the same ports replaces the old. */
			if (r->synced && !(flags & VX_TCP_ACK)) {
				dir_reset(h, &c->dir[!di]);
				c->fifo = 0;
				c->nfifo = 0;
				c->seen_msg = 0;
			}
			dir_reset(h, r);
			r->synced = 1;
			r->next_seq = seq;
		}
		r->seen_syn = 1;
		r->isn = p->tcp_seq;
	}

	/* The peer acknowledged bytes we never saw: they were lost before the
	 * capture, and the held segments after them will not be completed. */
	struct vx_http_dir *o = &c->dir[!di];
	if ((flags & VX_TCP_ACK) && o->synced && dir_nheld(h, o) &&
	    (int32_t)(p->tcp_ack - o->next_seq) > 0) {
		uint32_t target = held_min_seq(buf_at(h, o->buf));
		if ((int32_t)(target - p->tcp_ack) > 0)
			target = p->tcp_ack;
		dir_skip_to(h, c, !di, target);
	}

	if (wire)
		dir_segment(h, c, di, seq, d, cap, wire);

	if (flags & VX_TCP_FIN)
		r->fin = 1;
	if ((flags & VX_TCP_RST) || (c->dir[0].fin && c->dir[1].fin)) {
		dir_flush(h, c, 0);
		dir_flush(h, c, 1);
		c->drop = 1;
	}
	if (c->drop) {
		conn_free(h, c);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (c->dir[i].state == ST_STOP)
			dir_release(h, &c->dir[i], 1);
		else
			dir_release(h, &c->dir[i], 0);
	}
}
