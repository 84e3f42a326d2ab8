/* The policy engine: ACL and security groups per packet (see vxtap/policy.h). */
#include "vxtap/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "vxtap/conntrack.h"

#define DEFAULT_MAX_CONNECTIONS 262144u

/* Timeouts AWS does not let one set, seconds. */
#define TCP_OPENING_TIMEOUT 120 /* one side only has sent */
#define TCP_CLOSING_TIMEOUT 120 /* after a first FIN */
#define ICMP_TIMEOUT        30
#define OTHER_TIMEOUT       600 /* AWS: "within 600 seconds" */

/* Slots the sweep looks at per packet, and before giving up on a full table. */
#define SWEEP_PER_PACKET 2
#define SWEEP_WHEN_FULL  256

/* vx_ct_entry.state */
#define ST_ORIG_LO    0x01 /* the side that opened it is the key's lo side */
#define ST_SEEN_REPLY 0x02 /* the other side has sent */
#define ST_FIN_ORIG   0x04
#define ST_FIN_REPLY  0x08
#define ST_STREAM     0x10 /* UDP: the opening side sent again after a reply */
#define ST_DENIED     0x20 /* not a connection: its opening was rejected */

enum l4kind { K_TCP, K_UDP, K_ICMP, K_OTHER };

struct vx_policy {
	struct pol_compiled c;
	struct vx_ct *ct;
	uint64_t seed;
	int64_t clock_base; /* the tracking clock's zero, in packet time */
	bool clock_set;
	struct vx_policy_stats stats;
};

/* ---- setup ---- */

static const struct vx_policy_cfg EMPTY;

struct vx_policy *vx_policy_new(const struct vx_policy_cfg *cfg,
                                const struct vx_policy_options *opt, char *err, size_t errlen)
{
	struct vx_policy_options o = {0};
	if (opt)
		o = *opt;
	if (!o.max_connections)
		o.max_connections = DEFAULT_MAX_CONNECTIONS;
	if (o.max_connections > VX_CT_MAX_CAPACITY) {
		snprintf(err, errlen,
		         "tracking table of %u connections is not valid (allowed: 1-%u)",
		         o.max_connections, VX_CT_MAX_CAPACITY);
		return NULL;
	}
	if (!o.seed && getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
		o.seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	struct vx_policy *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory for the policy engine");
		return NULL;
	}
	p->seed = o.seed;
	if (pol_compile(cfg ? cfg : &EMPTY, NULL, p->seed, &p->c, err, errlen) < 0) {
		free(p);
		return NULL;
	}
	p->ct = vx_ct_new(o.max_connections, p->seed);
	if (!p->ct) {
		snprintf(err, errlen, "out of memory for a tracking table of %u connections",
		         o.max_connections);
		vx_policy_free(p);
		return NULL;
	}
	return p;
}

void vx_policy_free(struct vx_policy *p)
{
	if (!p)
		return;
	pol_compiled_free(&p->c);
	vx_ct_free(p->ct);
	free(p);
}

int vx_policy_update(struct vx_policy *p, const struct vx_policy_cfg *cfg, char *err, size_t errlen)
{
	struct pol_compiled next;
	if (pol_compile(cfg ? cfg : &EMPTY, &p->c, p->seed, &next, err, errlen) < 0)
		return -1;
	/* Interfaces that went away take their connections with them, so that
	 * an interface given their index later starts clean. */
	for (size_t i = 0; i < p->c.n_ifaces; i++) {
		if (!p->c.ifaces[i].present)
			continue;
		if (i < next.n_ifaces && next.ifaces[i].present &&
		    !strcmp(next.ifaces[i].eni, p->c.ifaces[i].eni))
			continue;
		vx_ct_remove_iface(p->ct, (uint16_t)i);
	}
	pol_compiled_free(&p->c);
	p->c = next;
	return 0;
}

int vx_policy_interface(const struct vx_policy *p, const char *eni)
{
	for (size_t i = 0; i < p->c.n_ifaces; i++)
		if (p->c.ifaces[i].present && !strncmp(p->c.ifaces[i].eni, eni, 32))
			return (int)i;
	return -1;
}

void vx_policy_get_stats(const struct vx_policy *p, struct vx_policy_stats *out)
{
	*out = p->stats;
	out->connections = vx_ct_count(p->ct);
}

/* ---- matching ---- */

/* What of a packet the rules look at. */
struct view {
	const uint8_t *peer; /* the remote side: source for ingress, destination for egress */
	uint8_t family;
	int fam; /* POL_V4 / POL_V6 */
	int16_t proto;
	bool has_l4; /* ports or ICMP type and code are known */
	uint16_t dport;
	uint8_t type, code;
	/* The peer's groups, looked up once when a rule names a group. */
	bool groups_done;
	const uint32_t *groups;
	uint32_t n_groups;
};

static inline bool cidr_has(const struct pol_rule *r, const uint8_t *addr)
{
	uint64_t a[2];
	memcpy(a, addr, 16);
	return ((a[0] & r->mask[0]) == r->net[0]) & ((a[1] & r->mask[1]) == r->net[1]);
}

static inline bool l4_matches(const struct pol_rule *r, const struct view *v)
{
	if (r->proto >= 0 && r->proto != v->proto)
		return false;
	if (r->kind == M_ANY || !v->has_l4)
		return true;
	if (r->kind == M_PORTS)
		return v->dport >= r->lo && v->dport <= r->hi;
	return v->type >= r->lo && v->type <= r->hi && v->code >= r->code_lo &&
	       v->code <= r->code_hi;
}

static bool peer_in_group(const struct pol_compiled *c, struct view *v, uint32_t group)
{
	if (!v->groups_done) {
		v->groups = pol_addr_groups(c, v->family, v->peer, &v->n_groups);
		v->groups_done = true;
	}
	for (uint32_t i = 0; i < v->n_groups; i++)
		if (v->groups[i] == group)
			return true;
	return false;
}

/* The network ACL: allow (true) or deny. */
static bool acl_allows(const struct pol_compiled *c, const struct pol_iface *pi, int dir,
                       const struct view *v)
{
	if (pi->nacl < 0)
		return true;
	const struct pol_span *s = &c->nacls[pi->nacl][dir][v->fam];
	const struct pol_rule *e = &c->entries[s->off];
	for (uint32_t i = 0; i < s->n; i++)
		if (l4_matches(&e[i], v) && cidr_has(&e[i], v->peer))
			return e[i].allow;
	return false; /* the implicit "*" entry */
}

/* The security-group rules: 0 none allows; 1 one allows; 2 one naming
 * every address allows. Those rules come first in a span, so the first
 * match tells. */
static int rules_allow(const struct pol_compiled *c, const struct pol_iface *pi, int dir,
                       struct view *v)
{
	const struct pol_span *s = &pi->rules[dir][v->fam];
	const struct pol_rule *r = &c->rules[s->off];
	for (uint32_t i = 0; i < s->n; i++) {
		if (!l4_matches(&r[i], v))
			continue;
		if (r[i].group != POL_NO_GROUP ? !peer_in_group(c, v, r[i].group)
		                               : !cidr_has(&r[i], v->peer))
			continue;
		return r[i].all ? 2 : 1;
	}
	return 0;
}

/* ---- tracking ---- */

/* ICMP queries: the request type of a request or a reply, or -1. */
static int icmp_query(int fam, uint8_t type, bool *reply)
{
	*reply = false;
	if (fam == POL_V6) {
		if (type == 128)
			return 128;
		if (type == 129) {
			*reply = true;
			return 128;
		}
		return -1;
	}
	switch (type) {
	case 8:
	case 13:
	case 15:
	case 17:
		return type;
	case 0:
		*reply = true;
		return 8;
	case 14:
	case 16:
	case 18:
		*reply = true;
		return type - 1;
	default:
		return -1;
	}
}

/* The identifier of an ICMP query (bytes 4-5 of its header), when captured. */
static uint16_t icmp_id(const struct vx_packet *pkt)
{
	if (!pkt->data || (uint64_t)pkt->l4_off + 8 > pkt->caplen)
		return 0;
	const uint8_t *h = pkt->data + pkt->l4_off;
	return (uint16_t)(h[4] << 8 | h[5]);
}

static uint32_t clock_of(struct vx_policy *p, int64_t now_s)
{
	if (!p->clock_set) {
		p->clock_base = now_s;
		p->clock_set = true;
	}
	int64_t t = now_s - p->clock_base;
	if (t < 0)
		return 0; /* older than the first packet: as old as it */
	if (t > UINT32_MAX / 2)
		return UINT32_MAX / 2;
	return (uint32_t)t;
}

static uint32_t timeout_of(const struct pol_iface *pi, enum l4kind k, uint8_t st)
{
	switch (k) {
	case K_TCP:
		if (st & (ST_FIN_ORIG | ST_FIN_REPLY))
			return TCP_CLOSING_TIMEOUT;
		return st & ST_SEEN_REPLY ? pi->tcp_established : TCP_OPENING_TIMEOUT;
	case K_UDP:
		return st & ST_STREAM ? pi->udp_stream : pi->udp;
	case K_ICMP:
		return ICMP_TIMEOUT;
	default:
		return OTHER_TIMEOUT;
	}
}

/* Remember a rejected opening (ST_DENIED; see groups_allow): a TCP SYN, a
 * UDP datagram or a packet of another protocol that no entry knows. Not
 * an ICMP query: its reply opens nothing anyway. Rejected traffic may use
 * at most half of the table, so that a flood of it cannot keep allowed
 * connections from being tracked; past that, nothing is remembered. */
static void deny(struct vx_policy *p, const struct pol_iface *pi, enum l4kind k,
                 const struct vx_packet *pkt, const struct vx_ct_key *key, uint64_t hash,
                 bool unknown, bool src_lo, uint32_t now)
{
	if (!unknown || k == K_ICMP ||
	    (k == K_TCP &&
	     (pkt->tcp_flags & (VX_TCP_SYN | VX_TCP_ACK | VX_TCP_RST)) != VX_TCP_SYN) ||
	    vx_ct_count(p->ct) >= vx_ct_capacity(p->ct) / 2)
		return;
	struct vx_ct_entry *e = vx_ct_insert(p->ct, key, hash);
	if (!e)
		return;
	e->state = ST_DENIED | (src_lo ? ST_ORIG_LO : 0);
	e->expires = now + timeout_of(pi, k, 0);
}

/* The security groups: allow (true) or deny. */
static bool groups_allow(struct vx_policy *p, int iface, const struct pol_iface *pi, int dir,
                         const struct vx_packet *pkt, struct view *v, int64_t now_s)
{
	if (!pi->has_groups)
		return true;
	enum l4kind k = K_OTHER;
	if (v->proto == 6)
		k = K_TCP;
	else if (v->proto == 17)
		k = K_UDP;
	else if ((v->proto == 1 && v->fam == POL_V4) || (v->proto == 58 && v->fam == POL_V6))
		k = K_ICMP;
	if (k != K_OTHER && !v->has_l4)
		return true; /* no transport header: judged with its first fragment */

	/* The tracking key: both endpoints, the lower first. */
	const struct vx_flow_key *fk = &pkt->key;
	struct vx_ct_key key;
	memset(&key, 0, sizeof(key));
	bool trackable = true, reply = false;
	int query = -1;
	uint16_t sport = 0, dport = 0;
	if (k == K_TCP || k == K_UDP) {
		sport = fk->sport;
		dport = fk->dport;
	} else if (k == K_ICMP) {
		query = icmp_query(v->fam, v->type, &reply);
		trackable = query >= 0;
		sport = dport = icmp_id(pkt);
	}
	int c = memcmp(fk->src, fk->dst, 16);
	bool src_lo = c < 0 || (c == 0 && sport <= dport);
	memcpy(key.lo, src_lo ? fk->src : fk->dst, 16);
	memcpy(key.hi, src_lo ? fk->dst : fk->src, 16);
	if (k == K_ICMP) {
		key.lo_port = sport; /* the identifier */
		key.hi_port = (uint16_t)(query < 0 ? 0 : query);
	} else {
		key.lo_port = src_lo ? sport : dport;
		key.hi_port = src_lo ? dport : sport;
	}
	key.iface = (uint16_t)iface;
	key.proto = (uint8_t)v->proto;
	key.family = v->family;

	uint32_t now = clock_of(p, now_s);
	p->stats.expired += vx_ct_sweep(p->ct, now, SWEEP_PER_PACKET);
	uint64_t hash = 0;
	struct vx_ct_entry *e = NULL;
	if (trackable) {
		hash = vx_ct_hash(p->ct, &key);
		e = vx_ct_find(p->ct, &key, hash);
		if (e && now > e->expires) {
			vx_ct_remove(p->ct, e);
			p->stats.expired++;
			e = NULL;
		}
	}
	if (e && (e->state & ST_DENIED)) {
		/* A connection whose opening the rules rejected: vxtap watches,
		 * it does not drop, so the host may answer it, but in a VPC it
		 * would not exist. Its packets are judged by the rules of their
		 * direction, and the host's answers (a SYN-ACK, ACKs, a
		 * reply datagram) do not make it a tracked connection whose
		 * further packets would pass as replies. The opening side's
		 * packet that the rules now allow, or a SYN from the other side
		 * (a connection of its own on these ports), starts afresh. */
		bool opener = src_lo == !!(e->state & ST_ORIG_LO);
		int allowed = rules_allow(&p->c, pi, dir, v);
		if ((opener && allowed) ||
		    (!opener && k == K_TCP &&
		     (pkt->tcp_flags & (VX_TCP_SYN | VX_TCP_ACK)) == VX_TCP_SYN)) {
			vx_ct_remove(p->ct, e);
			e = NULL;
		} else {
			e->expires = now + timeout_of(pi, k, 0);
			return allowed != 0;
		}
	}
	if (e) {
		uint8_t st = e->state;
		bool fwd = src_lo == !!(st & ST_ORIG_LO);
		/* A query's requests come from the side that opened it, its
		 * replies from the other; anything else goes to the rules. */
		bool ok = k != K_ICMP || fwd != reply;
		if (ok) {
			if (k == K_TCP && (pkt->tcp_flags & VX_TCP_RST)) {
				vx_ct_remove(p->ct, e);
				p->stats.closed++;
				return true;
			}
			if (k == K_TCP &&
			    (pkt->tcp_flags & (VX_TCP_SYN | VX_TCP_ACK)) == VX_TCP_SYN &&
			    (st & (ST_FIN_ORIG | ST_FIN_REPLY))) {
				/* A new connection on the ports of a half-closed
				 * one: it starts over, opened by this side. */
				st = src_lo ? ST_ORIG_LO : 0;
				fwd = true;
			}
			if (!fwd)
				st |= ST_SEEN_REPLY;
			else if (k == K_UDP && (st & ST_SEEN_REPLY))
				st |= ST_STREAM;
			if (k == K_TCP && (pkt->tcp_flags & VX_TCP_FIN))
				st |= fwd ? ST_FIN_ORIG : ST_FIN_REPLY;
			if (k == K_TCP && (st & ST_FIN_ORIG) && (st & ST_FIN_REPLY)) {
				vx_ct_remove(p->ct, e);
				p->stats.closed++;
				return true;
			}
			e->state = st;
			e->expires = now + timeout_of(pi, k, st);
			return true;
		}
	}

	/* Untracked flows (AWS): a rule naming every address allows one side
	 * of the flow and a rule naming every address allows every port the
	 * other way. This packet may be either side: its own direction's
	 * rule, or the reverse packet's. */
	uint8_t bit = k == K_TCP ? POL_TCP : k == K_UDP ? POL_UDP : 0;
	int allowed = rules_allow(&p->c, pi, dir, v);
	if (!allowed) {
		deny(p, pi, k, pkt, &key, hash, trackable && !e, src_lo, now);
		return false;
	}
	bool untracked = allowed == 2 && bit && (pi->open[!dir][v->fam] & bit);
	if (!untracked && bit && (pi->open[dir][v->fam] & bit)) {
		struct view rev = *v; /* the same peer, the ports swapped */
		rev.dport = fk->sport;
		untracked = rules_allow(&p->c, pi, !dir, &rev) == 2;
	}
	if (untracked) {
		p->stats.untracked++;
		return true;
	}
	/* Only what opens a connection gets an entry: not a query's reply, not
	 * a RST, not a packet whose key is taken (a reply-side request). */
	if (!trackable || e || (k == K_ICMP && reply) ||
	    (k == K_TCP && (pkt->tcp_flags & VX_TCP_RST)))
		return true;
	e = vx_ct_insert(p->ct, &key, hash);
	if (!e) {
		p->stats.expired += vx_ct_sweep(p->ct, now, SWEEP_WHEN_FULL);
		e = vx_ct_insert(p->ct, &key, hash);
	}
	if (!e) {
		p->stats.track_full++;
		return true;
	}
	uint8_t st = src_lo ? ST_ORIG_LO : 0;
	if (k == K_TCP && (pkt->tcp_flags & VX_TCP_FIN))
		st |= ST_FIN_ORIG;
	e->state = st;
	e->expires = now + timeout_of(pi, k, st);
	p->stats.tracked++;
	return true;
}

/* ---- the decision ---- */

static enum vx_flow_action verdict(struct vx_policy *p, bool accept, bool by_acl)
{
	if (accept) {
		p->stats.accepted++;
		return VX_FLOW_ACCEPT;
	}
	p->stats.rejected++;
	if (by_acl)
		p->stats.rejected_by_acl++;
	else
		p->stats.rejected_by_group++;
	return VX_FLOW_REJECT;
}

enum vx_flow_action vx_policy_decide(struct vx_policy *p, int iface, enum vx_flow_direction dir,
                                     const struct vx_packet *pkt, int64_t now_s)
{
	if (iface < 0 || (size_t)iface >= p->c.n_ifaces || !p->c.ifaces[iface].present ||
	    (pkt->key.family != 4 && pkt->key.family != 6))
		return verdict(p, true, false);
	const struct pol_iface *pi = &p->c.ifaces[iface];
	int d = dir == VX_FLOW_EGRESS ? POL_OUT : POL_IN;
	struct view v = {
	    .peer = d == POL_IN ? pkt->key.src : pkt->key.dst,
	    .family = pkt->key.family,
	    .fam = pkt->key.family == 4 ? POL_V4 : POL_V6,
	    .proto = pkt->key.proto,
	};
	if (v.proto == 6 || v.proto == 17) {
		v.has_l4 = pkt->has_ports;
		v.dport = pkt->key.dport;
	} else if (v.proto == 1 || v.proto == 58) {
		v.has_l4 = pkt->has_l4 && !(pkt->is_fragment && !pkt->first_fragment);
		v.type = pkt->icmp_type;
		v.code = pkt->icmp_code;
	} else {
		v.has_l4 = true;
	}
	/* Ingress: the subnet's ACL, then the interface's groups; egress: the
	 * other way round. */
	if (d == POL_IN && !acl_allows(&p->c, pi, d, &v))
		return verdict(p, false, true);
	if (!groups_allow(p, iface, pi, d, pkt, &v, now_s))
		return verdict(p, false, false);
	if (d == POL_OUT && !acl_allows(&p->c, pi, d, &v))
		return verdict(p, false, true);
	return verdict(p, true, false);
}
