/* The flow-log meter (see vxtap/flowmeter.h). */
#include "vxtap/flowmeter.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
/* Inlined: the key has a fixed size, so the compiler specialises the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define DEFAULT_MAX_FLOWS 1000000u
#define MAX_MAX_FLOWS	  (1u << 28)
/* A jump in packet time (a capture with a gap, a clock step) emits NODATA
 * for at most this many empty windows; the rest are counted, not written. */
#define MAX_EMPTY_WINDOWS 1440
/* The part of the index in use starts at this many slots (16 KiB) and
 * doubles with the window's flows, so that a window of few flows probes a
 * small, cache-resident region of the index instead of one spread over all
 * of it. */
#define MIN_INDEX_SLOTS 4096u

/* What makes two packets the same record: 40 bytes. Only the 5-tuple is
 * hashed, so that a batch can be hashed from the decoded packets alone,
 * before the interface, direction and action are known; records that
 * differ only in those share a probe sequence. The 5-tuple is laid out as
 * in struct vx_flow_key, so both hash the same way (tuple_hash). */
struct flow_key {
	uint8_t src[16], dst[16]; /* as the packet carried them */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t bits; /* KEY_V6 | KEY_EGRESS | KEY_REJECT */
	uint16_t iface;
};

#define TUPLE_LEN offsetof(struct flow_key, bits)
_Static_assert(offsetof(struct flow_key, sport) == offsetof(struct vx_flow_key, sport) &&
		   offsetof(struct flow_key, proto) == offsetof(struct vx_flow_key, proto),
	       "a flow key starts with a vx_flow_key's 5-tuple");

#define KEY_V6	   0x01
#define KEY_EGRESS 0x02
#define KEY_REJECT 0x04

/* One tracked flow: 64 bytes. Times are seconds after the window's start. */
struct flow_entry {
	struct flow_key key;
	uint32_t packets;
	uint32_t first, last;
	uint8_t tcp_flags;
	uint64_t bytes;
};

_Static_assert(sizeof(struct flow_key) == 40, "flow key is 40 bytes");
_Static_assert(sizeof(struct flow_entry) == 64, "flow entry is 64 bytes");

struct meter_iface {
	char id[32];
	uint8_t primary[4];
	bool has_primary;
	bool seen;	      /* carried traffic once: idle windows get NODATA */
	bool skipped;	      /* the full table skipped some of its packets this window */
	uint32_t flows;	      /* records this window */
	/* Shared with the other meters of the interface (vx_meter_share_nodata). */
	struct vx_meter_nodata *shared;
	bool writes_nodata; /* this meter writes the shared NODATA records */
	bool marked;	    /* this window's traffic is marked in shared */
};

struct vx_meter {
	struct vx_meter_options opt;
	struct flow_entry *entries; /* this window's flows, in first-seen order */
	uint32_t *index;	    /* open addressing: entry number + 1, 0 empty */
	uint32_t index_mask;	    /* the part in use: at least twice the flows */
	uint32_t index_max_mask;    /* all of it: at least twice max_flows */
	uint32_t count;
	bool open;	/* a window is open (traffic was seen once) */
	bool flushed;	/* flushed once: start is where the next window starts */
	int64_t start;	/* the open window's start, a multiple of the interval */
	struct meter_iface ifaces[VX_METER_MAX_INTERFACES];
	int n_ifaces;
	struct vx_meter_stats stats;
	uint64_t mix[2]; /* from the seed: the IPv4 tuple hash's keys */
};

struct vx_meter *vx_meter_new(const struct vx_meter_options *opt, char *err, size_t errlen)
{
	struct vx_meter_options o = *opt;
	if (!o.max_flows)
		o.max_flows = DEFAULT_MAX_FLOWS;
	if (!o.interval_s)
		o.interval_s = 600;
	if (o.interval_s != 60 && o.interval_s != 600) {
		snprintf(err, errlen, "aggregation interval %u s is not valid (allowed: 60, 600)",
			 o.interval_s);
		return NULL;
	}
	if (o.max_flows > MAX_MAX_FLOWS) {
		snprintf(err, errlen, "flow table of %u flows is not valid (allowed: 1-%u)",
			 o.max_flows, MAX_MAX_FLOWS);
		return NULL;
	}
	if (!o.emit) {
		snprintf(err, errlen, "no record callback");
		return NULL;
	}
	if (!o.seed && getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
		o.seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	struct vx_meter *m = calloc(1, sizeof(*m));
	uint32_t slots = 2;
	while (slots < 2 * (uint64_t)o.max_flows) /* load factor at most 1/2 */
		slots <<= 1;
	if (m) {
		m->opt = o;
		m->mix[0] = XXH3_64bits_withSeed("vxtap flow meter 0", 18, o.seed);
		m->mix[1] = XXH3_64bits_withSeed("vxtap flow meter 1", 18, o.seed);
		m->index_max_mask = slots - 1;
		m->index_mask = (slots < MIN_INDEX_SLOTS ? slots : MIN_INDEX_SLOTS) - 1;
		m->entries = malloc((size_t)o.max_flows * sizeof(*m->entries));
		m->index = calloc(slots, sizeof(*m->index));
	}
	if (!m || !m->entries || !m->index) {
		snprintf(err, errlen, "out of memory for a table of %u flows", o.max_flows);
		vx_meter_free(m);
		return NULL;
	}
	return m;
}

void vx_meter_free(struct vx_meter *m)
{
	if (!m)
		return;
	free(m->entries);
	free(m->index);
	free(m);
}

void vx_meter_nodata_init(struct vx_meter_nodata *shared)
{
	atomic_init(&shared->last_window, INT64_MIN);
	atomic_init(&shared->decided_to, INT64_MIN);
}

int vx_meter_share_nodata(struct vx_meter *m, int iface, struct vx_meter_nodata *shared,
			  bool writer)
{
	if (iface < 0 || iface >= m->n_ifaces)
		return -1;
	m->ifaces[iface].shared = shared;
	m->ifaces[iface].writes_nodata = writer;
	return 0;
}

int vx_meter_add_interface(struct vx_meter *m, const char *interface_id,
			   const uint8_t primary_ipv4[4])
{
	if (m->n_ifaces == VX_METER_MAX_INTERFACES)
		return -1;
	struct meter_iface *i = &m->ifaces[m->n_ifaces];
	memset(i, 0, sizeof(*i));
	snprintf(i->id, sizeof(i->id), "%s", interface_id);
	if (primary_ipv4) {
		memcpy(i->primary, primary_ipv4, 4);
		i->has_primary = true;
	}
	return m->n_ifaces++;
}

/* ---- records ---- */

static void emit_status(struct vx_meter *m, const struct meter_iface *i,
			enum vx_flow_log_status status)
{
	struct vx_flow_record r;
	memset(&r, 0, sizeof(r));
	memcpy(r.interface_id, i->id, sizeof(r.interface_id));
	r.log_status = status;
	r.start = m->start;
	r.end = m->start + m->opt.interval_s - 1;
	if (status == VX_FLOW_NODATA)
		m->stats.nodata++;
	else
		m->stats.skipdata++;
	m->opt.emit(&r, m->opt.emit_ctx);
}

/* The record of one flow: the interface's side of an IPv4 flow shows its
 * primary private address (SPEC.md §2.6); the packets' addresses stay in
 * pkt-srcaddr and pkt-dstaddr. */
static void emit_flow(struct vx_meter *m, const struct flow_entry *e)
{
	const struct meter_iface *i = &m->ifaces[e->key.iface];
	struct vx_flow_record r;
	memset(&r, 0, sizeof(r));
	memcpy(r.interface_id, i->id, sizeof(r.interface_id));
	r.log_status = VX_FLOW_OK;
	r.start = m->start + e->first;
	r.end = m->start + e->last;
	r.family = (e->key.bits & KEY_V6) ? 6 : 4;
	memcpy(r.pkt_srcaddr, e->key.src, 16);
	memcpy(r.pkt_dstaddr, e->key.dst, 16);
	memcpy(r.srcaddr, e->key.src, 16);
	memcpy(r.dstaddr, e->key.dst, 16);
	r.direction = (e->key.bits & KEY_EGRESS) ? VX_FLOW_EGRESS : VX_FLOW_INGRESS;
	if (r.family == 4 && i->has_primary) {
		if (r.direction == VX_FLOW_EGRESS)
			memcpy(r.srcaddr, i->primary, 4);
		else
			memcpy(r.dstaddr, i->primary, 4);
	}
	r.srcport = e->key.sport;
	r.dstport = e->key.dport;
	r.protocol = e->key.proto;
	r.tcp_flags = e->tcp_flags;
	r.packets = e->packets;
	r.bytes = e->bytes;
	r.action = (e->key.bits & KEY_REJECT) ? VX_FLOW_REJECT : VX_FLOW_ACCEPT;
	m->stats.records++;
	m->opt.emit(&r, m->opt.emit_ctx);
}

/* NODATA for the open window: the interface carried traffic once and none
 * in this window; when meters share the interface, none of them saw any and
 * only the one that writes for them all says so. */
static bool nodata(const struct vx_meter *m, const struct meter_iface *i)
{
	if (!i->shared)
		return i->seen && !i->flows;
	int64_t last = atomic_load_explicit(&i->shared->last_window, memory_order_acquire);
	return i->writes_nodata && !i->flows && last != INT64_MIN && last < m->start;
}

/* Emit the open window's records and start the next window, empty. */
static void close_window(struct vx_meter *m)
{
	for (uint32_t n = 0; n < m->count; n++)
		emit_flow(m, &m->entries[n]);
	for (int k = 0; k < m->n_ifaces; k++) {
		struct meter_iface *i = &m->ifaces[k];
		if (i->skipped)
			emit_status(m, i, VX_FLOW_SKIPDATA);
		else if (nodata(m, i))
			emit_status(m, i, VX_FLOW_NODATA);
		if (i->shared && i->writes_nodata)
			atomic_store_explicit(&i->shared->decided_to, m->start + m->opt.interval_s,
					      memory_order_release);
		i->skipped = false;
		i->flows = 0;
		i->marked = false;
	}
	if (m->count > m->stats.peak_flows)
		m->stats.peak_flows = m->count;
	if (m->count)
		memset(m->index, 0, ((size_t)m->index_mask + 1) * sizeof(*m->index));
	/* The next window starts with the index this one's flows needed. */
	uint32_t mask =
	    m->index_max_mask < MIN_INDEX_SLOTS - 1 ? m->index_max_mask : MIN_INDEX_SLOTS - 1;
	while (mask < m->index_mask && (uint64_t)m->count * 2 > (uint64_t)mask + 1)
		mask = mask * 2 + 1;
	m->index_mask = mask;
	m->count = 0;
	m->stats.windows++;
	m->start += m->opt.interval_s;
}

/* Close windows until the one starting at `target` is open. */
static void advance_to(struct vx_meter *m, int64_t target)
{
	if (m->start >= target)
		return;
	close_window(m);
	int64_t empty = (target - m->start) / m->opt.interval_s;
	if (empty > MAX_EMPTY_WINDOWS) {
		m->stats.empty_windows_not_written += (uint64_t)(empty - MAX_EMPTY_WINDOWS);
		m->start = target - (int64_t)MAX_EMPTY_WINDOWS * m->opt.interval_s;
	}
	while (m->start < target)
		close_window(m);
	if (m->opt.closed)
		m->opt.closed(m->start, m->opt.emit_ctx);
}

/* The hash of a 5-tuple laid out as in struct vx_flow_key (ports zero when
 * there are none). It reads the tuple where it already is, a packet's or an
 * entry's: a copy made just before would be read back before the CPU has
 * finished writing it, which costs more than the hash. An IPv4 tuple's
 * addresses are 4 bytes each and the rest zeros: its 13 bytes that matter
 * are mixed as XXH3 mixes 9 to 16 bytes, with one multiplication. */
static __attribute__((noinline)) uint64_t tuple_hash_v6(const struct vx_meter *m,
							  const uint8_t *t)
{
	return XXH3_64bits_withSeed(t, TUPLE_LEN, m->opt.seed);
}

static inline uint64_t tuple_hash(const struct vx_meter *m, const uint8_t *t, bool v6)
{
	if (v6)
		return tuple_hash_v6(m, t);
	uint32_t src, dst, ports;
	memcpy(&src, t, 4);
	memcpy(&dst, t + 16, 4);
	memcpy(&ports, t + offsetof(struct flow_key, sport), 4);
	uint64_t lo = ((uint64_t)src << 32 | dst) ^ m->mix[0];
	uint64_t hi = ((uint64_t)ports << 8 | t[offsetof(struct flow_key, proto)]) ^ m->mix[1];
	__uint128_t product = (__uint128_t)lo * hi;
	uint64_t h = 13 + __builtin_bswap64(lo) + hi + ((uint64_t)product ^ (uint64_t)(product >> 64));
	h ^= h >> 37; /* XXH3's avalanche */
	h *= 0x165667919e3779f9ull;
	return h ^ (h >> 32);
}

uint64_t vx_meter_hash(const struct vx_meter *m, const struct vx_packet *p)
{
	if (!p->has_ports && (p->key.sport || p->key.dport)) {
		/* Ports the packet does not carry are not part of its key. */
		struct vx_flow_key k = p->key;
		k.sport = k.dport = 0;
		return tuple_hash(m, (const uint8_t *)&k, k.family == 6);
	}
	return tuple_hash(m, (const uint8_t *)&p->key, p->key.family == 6);
}

/* Hashing a whole batch in one loop lets the CPU overlap the hashes' long
 * multiplications, which it cannot do between the table lookups of
 * vx_meter_packet; the slots, then the entries, those hashes name are
 * loaded on the way (together about 10 ns less per packet than hashing and
 * looking up one packet at a time). */
void vx_meter_hash_batch(const struct vx_meter *m, const struct vx_packet *pkts, int n,
			 uint64_t *hashes)
{
	uint32_t mask = m->index_mask;
	for (int i = 0; i < n; i++) {
		hashes[i] = vx_meter_hash(m, &pkts[i]);
		__builtin_prefetch(&m->index[(uint32_t)hashes[i] & mask]);
	}
	for (int i = 0; i < n; i++) {
		uint32_t v = m->index[(uint32_t)hashes[i] & mask];
		if (v)
			__builtin_prefetch(&m->entries[v - 1], 1);
	}
}

/* Double the part of the index in use and place the window's flows in it
 * again; returns the new mask. Amortised over the flows that filled it,
 * this costs about one more hash per flow. */
static uint32_t grow_index(struct vx_meter *m)
{
	uint32_t mask = m->index_mask * 2 + 1;
	memset(m->index, 0, ((size_t)mask + 1) * sizeof(*m->index));
	for (uint32_t n = 0; n < m->count; n++) {
		const struct flow_key *k = &m->entries[n].key;
		uint32_t slot = (uint32_t)tuple_hash(m, k->src, k->bits & KEY_V6) & mask;
		while (m->index[slot])
			slot = (slot + 1) & mask;
		m->index[slot] = n + 1;
	}
	return m->index_mask = mask;
}

static int64_t window_of(const struct vx_meter *m, int64_t t)
{
	int64_t w = t / m->opt.interval_s;
	if (t < 0 && t % m->opt.interval_s)
		w--;
	return w * m->opt.interval_s;
}

void vx_meter_packet(struct vx_meter *m, int iface, enum vx_flow_direction dir,
		     enum vx_flow_action action, const struct vx_packet *p)
{
	vx_meter_packet_hashed(m, iface, dir, action, p, vx_meter_hash(m, p));
}

void vx_meter_packet_hashed(struct vx_meter *m, int iface, enum vx_flow_direction dir,
			    enum vx_flow_action action, const struct vx_packet *p, uint64_t h)
{
	if (!p->has_l3 || (p->key.family != 4 && p->key.family != 6) || iface < 0 ||
	    iface >= m->n_ifaces) {
		m->stats.not_ip++;
		return;
	}
	/* Most packets fall in the open window: no division for them. */
	int64_t w = m->start;
	if (!m->open || p->ts.sec < m->start ||
	    (uint64_t)p->ts.sec - (uint64_t)m->start >= m->opt.interval_s)
		w = window_of(m, p->ts.sec);
	if (!m->open) {
		m->open = true;
		m->start = w;
	} else if (w > m->start) {
		advance_to(m, w);
	}
	uint32_t offset = 0;
	if (w < m->start)
		m->stats.late_packets++; /* metered in the open window, at its start */
	else
		offset = (uint32_t)(p->ts.sec - m->start);

	/* The key's fields, compared with each entry's where they are. */
	uint16_t sport = p->has_ports ? p->key.sport : 0;
	uint16_t dport = p->has_ports ? p->key.dport : 0;
	uint8_t proto = p->key.proto;
	uint8_t bits = (uint8_t)((p->key.family == 6 ? KEY_V6 : 0) |
				 (dir == VX_FLOW_EGRESS ? KEY_EGRESS : 0) |
				 (action == VX_FLOW_REJECT ? KEY_REJECT : 0));

	m->stats.packets++;
	struct meter_iface *mi = &m->ifaces[iface];
	mi->seen = true;
	if (mi->shared && !mi->marked) {
		/* Once per window: the window has traffic, for all the meters. */
		int64_t last = atomic_load_explicit(&mi->shared->last_window, memory_order_relaxed);
		while (last < m->start &&
		       !atomic_compare_exchange_weak_explicit(&mi->shared->last_window, &last,
							      m->start, memory_order_release,
							      memory_order_relaxed))
			;
		mi->marked = true;
	}
	uint32_t mask = m->index_mask;
	uint32_t slot = (uint32_t)h & mask;
	struct flow_entry *e = NULL;
	for (;;) {
		uint32_t v = m->index[slot];
		if (!v)
			break;
		const struct flow_key *c = &m->entries[v - 1].key;
		if (c->sport == sport && c->dport == dport && c->proto == proto && c->bits == bits &&
		    c->iface == iface && !memcmp(c->src, p->key.src, 32)) {
			e = &m->entries[v - 1];
			break;
		}
		slot = (slot + 1) & mask;
	}
	if (!e) {
		if (m->count == m->opt.max_flows) {
			m->stats.skipped_packets++;
			m->ifaces[iface].skipped = true;
			return;
		}
		if ((uint64_t)m->count * 2 + 2 > (uint64_t)mask + 1 && mask < m->index_max_mask) {
			mask = grow_index(m);
			slot = (uint32_t)h & mask;
			while (m->index[slot])
				slot = (slot + 1) & mask;
		}
		e = &m->entries[m->count];
		m->index[slot] = ++m->count;
		memcpy(e->key.src, p->key.src, 16);
		memcpy(e->key.dst, p->key.dst, 16);
		e->key.sport = sport;
		e->key.dport = dport;
		e->key.proto = proto;
		e->key.bits = bits;
		e->key.iface = (uint16_t)iface;
		e->packets = 0;
		e->bytes = 0;
		e->tcp_flags = 0;
		e->first = offset;
		e->last = offset;
		m->ifaces[iface].flows++;
	}
	e->packets++;
	e->bytes += p->ip_len;
	if (offset > e->last)
		e->last = offset;
	if (offset < e->first)
		e->first = offset;
	/* A TCP header cut inside its options (a snaplen, a mirror session's
	 * packet length) still holds its flags; the decoder leaves tcp_flags 0
	 * when the 20 bytes that carry them are not there. */
	if (proto == 6)
		e->tcp_flags |= vx_flow_tcp_flags(p->tcp_flags);
}

void vx_meter_advance(struct vx_meter *m, int64_t now_s)
{
	if (!m->open) {
		/* Nothing is published before the first traffic: this meter's,
		 * or that of the meters it writes NODATA for. */
		int64_t first = INT64_MAX;
		for (int k = 0; k < m->n_ifaces; k++) {
			const struct meter_iface *i = &m->ifaces[k];
			if (!i->shared || !i->writes_nodata)
				continue;
			int64_t last = atomic_load_explicit(&i->shared->last_window,
							    memory_order_acquire);
			/* A writer before this one (a restarted worker)
			 * decided the windows before decided_to. */
			int64_t done = atomic_load_explicit(&i->shared->decided_to,
							    memory_order_acquire);
			if (last != INT64_MIN && done > last)
				last = done;
			if (last != INT64_MIN && last < first)
				first = last;
		}
		if (first == INT64_MAX)
			return;
		/* After a flush, the windows already closed stay closed. */
		if (m->flushed && first < m->start)
			first = m->start;
		m->open = true;
		m->start = first;
	}
	int64_t w = window_of(m, now_s);
	if (w > m->start)
		advance_to(m, w);
}

void vx_meter_flush(struct vx_meter *m)
{
	if (m->open)
		close_window(m);
	m->open = false; /* the next packet, if any, opens its own window */
	m->flushed = true;
}

void vx_meter_get_stats(const struct vx_meter *m, struct vx_meter_stats *out)
{
	*out = m->stats;
}
