/* The mirroring agent: capture workers, the configuration they read, the
 * health checks of load-balancer members, counters (see vxtap/agent.h). */
#include "vxtap/agent.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "vxtap/flowlog_live.h"
#include "vxtap/mirror_select.h"
#include "vxtap/nexthop.h"
#include "vxtap/rate_gate.h"
#include "vxtap/ring.h"
#include "vxtap/vxlan_encap.h"

#define BATCH		 64
#define ETH_HEADER	 14
#define DEFAULT_PATH_MTU 1500

/* Counters of one session; they outlive configurations (keyed by ID). */
struct session_counters {
	char id[32];
	bool live;
	_Atomic uint64_t mirrored_packets, mirrored_bytes, truncated, filtered_out;
	_Atomic uint64_t dropped_send, dropped_no_target, dropped_rate;
	struct session_counters *next;
};

/* Health of one load-balancer member, checked by connecting to its TCP
 * health-check port; also outlives configurations. */
struct member_health {
	char address[46];
	uint16_t hc_port;
	struct in_addr addr;
	_Atomic uint8_t up;
	bool live;
	unsigned ok_streak, fail_streak;
	uint32_t interval_s, timeout_s, healthy, unhealthy;
	int64_t next_check_ms;
	uint64_t checks_ok, checks_failed;
	struct member_health *next;
};

/* The way to one target address at the link layer (vxtap/nexthop.h),
 * refreshed by the health thread; it outlives configurations. Workers read
 * it per packet under a sequence lock: w0 = destination MAC and the first
 * two bytes of the source MAC, w1 = the rest of the source MAC and the
 * interface index (0: not resolved, send on the IP path), mtu = the
 * interface's MTU (0: unknown). */
struct member_link {
	struct in_addr addr;
	_Atomic uint32_t seq;
	_Atomic uint64_t w0, w1;
	_Atomic uint32_t mtu;
	bool live;
	int64_t next_refresh_ms;
	char why[160]; /* why it is not resolved */
	struct member_link *next;
};

struct plan_member {
	struct sockaddr_in dst; /* address and data port */
	uint64_t id;
	uint32_t max_inner; /* the path MTU less the outer headers */
	struct member_health *health; /* NULL for a single-address target */
	struct member_link *link;
};

struct plan_target {
	char id[32];
	bool group;
	/* The flow hash's seed. For a group it comes from the load balancer's
	 * ARN, so every agent that mirrors to the group (with the same state)
	 * sends a flow to the same member. */
	uint64_t seed;
	size_t n;
	struct plan_member *members;
	uint64_t *member_ids;
};

struct plan_session {
	struct plan_target *target;
	struct session_counters *ctr;
	struct vx_rate_caps caps; /* one worker's share */
};

struct plan_source {
	struct vx_source_cfg cfg; /* a copy: sessions with their filters */
	uint8_t src_ip[4];
	bool has_ip;
	struct plan_session sessions[VX_SESSIONS_PER_SOURCE];
	unsigned n_flow_logs; /* the flow logs that cover the interface */
	const struct vx_flowlog_cfg *flow_logs[VX_FLOWLOGS_PER_IFACE];
};

/* One configuration as the workers read it; immutable once published. */
struct plan {
	int64_t generation;
	struct vx_host host;
	size_t n_sources, n_targets, n_flow_logs;
	struct plan_source *sources;
	struct plan_target *targets;
	struct vx_flowlog_cfg *flow_logs; /* a copy */
	struct vx_policy_cfg policy;	  /* a copy: security groups and ACLs */
	struct plan *next_retired;
};

/* The copies sent at the link layer go through a PACKET_TX_RING (TPACKET_V2)
 * when the kernel gives one: each copy is encapsulated straight into a
 * frame of the mapped ring and one send() per batch hands them all to the
 * kernel, without a message to copy in per copy (see tx_flush). Frames
 * start with a virtio_net_hdr (PACKET_VNET_HDR) whose hdr_len is the whole
 * frame, so the kernel copies the frame into the skb instead of attaching
 * the ring's page to it: a page lent from the ring is copied out again, to
 * a page allocated per packet, wherever the copy is forwarded on this host
 * (a veth, a target in a namespace), which measured slower than the copy
 * (bench/RESULTS.md). With virtio headers the kernel no longer checks a
 * frame against the interface's MTU; the worker does. Never
 * PACKET_QDISC_BYPASS: the copies queue in the interface's qdisc. */
#define TX_FRAME_SIZE 2048
#define TX_BLOCK_SIZE (64 * 1024)
#define TX_BLOCKS     32 /* 1024 frames, 2 MiB per worker */
#define TX_FRAMES     (TX_BLOCK_SIZE / TX_FRAME_SIZE * TX_BLOCKS)
#define TX_DATA       TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) /* frame data, from the frame */
#define TX_VNET       sizeof(struct virtio_net_hdr)
/* The longest copy (Ethernet, outer headers, inner bytes) a frame holds;
 * a longer one is sent with sendmmsg. */
#define TX_MAX_COPY (TX_FRAME_SIZE - TX_DATA - TX_VNET)

struct tx_ring {
	int fd; /* -1: no ring, the copies go out with sendmmsg */
	uint8_t *map;
	uint32_t start; /* the first pending frame: where the kernel's next send starts */
	uint32_t n;	/* pending frames: filled, not yet handed over (at most BATCH) */
	int ifindex;	/* the interface of the pending frames */
	uint8_t session_of[BATCH];
	uint32_t inner[BATCH]; /* the inner bytes of each pending copy */
};

struct worker {
	struct vx_agent *agent;
	char ifname[IF_NAMESIZE];
	pthread_t thread;
	bool running;
	bool keep; /* set while a new configuration is applied */
	struct vx_flowlog_live *flowlogs;
	int64_t flowlog_generation; /* the plan the flow logs were synced to */
	int64_t last_tick;
	int64_t gate_generation; /* the plan the gates were set for */
	struct vx_rate_gate gates[VX_SESSIONS_PER_SOURCE];
	atomic_bool stop;
	_Atomic(struct plan *) hazard; /* the plan this worker is reading */
	struct vx_ring *ring;
	int sock;    /* raw IP: members without a resolved next hop */
	int l2_sock; /* AF_PACKET: frames with their Ethernet header */
	struct tx_ring tx; /* the same, through a transmit ring */
	char error[300];
	_Atomic uint64_t frames, mirrored, not_selected, malformed, send_errors, link_layer;
	_Atomic uint64_t excluded[VX_EXCL_COUNT];
	struct worker *next;
};

struct vx_agent {
	struct vx_agent_options opt;
	uint64_t seed;
	struct vx_host_services services;
	pthread_mutex_t lock; /* apply, maintain, stats, health: never the workers */
	_Atomic(struct plan *) plan;
	struct plan *retired;
	struct worker *workers;
	struct session_counters *counters;
	struct member_health *health;
	struct member_link *links;
	bool tx_ring_warned; /* said once that a worker has no transmit ring */
	/* Per interface mirrored by several workers: their shared flow-log
	 * NODATA state, kept for the agent's life (workers come and go). */
	struct nodata_group_of {
		char ifname[IF_NAMESIZE];
		struct vx_flowlog_nodata_group *group;
		struct nodata_group_of *next;
	} *nodata_groups;
	pthread_t health_thread;
	atomic_bool stop_health;
	char last_error[300];
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/* ---- link-layer next hops ---- */

#define LINK_REFRESH_MS 2000

static void link_store(struct member_link *l, const struct vx_nexthop *nh)
{
	uint64_t w0 = 0, w1 = 0;
	uint32_t mtu = 0;
	if (nh) {
		for (int i = 0; i < 6; i++)
			w0 |= (uint64_t)nh->dst_mac[i] << (8 * i);
		w0 |= (uint64_t)nh->src_mac[0] << 48 | (uint64_t)nh->src_mac[1] << 56;
		for (int i = 2; i < 6; i++)
			w1 |= (uint64_t)nh->src_mac[i] << (8 * (i - 2));
		w1 |= (uint64_t)(uint32_t)nh->ifindex << 32;
		mtu = nh->mtu > 0 ? (uint32_t)nh->mtu : 0;
	}
	atomic_fetch_add_explicit(&l->seq, 1, memory_order_acq_rel); /* odd: writing */
	atomic_store_explicit(&l->w0, w0, memory_order_relaxed);
	atomic_store_explicit(&l->w1, w1, memory_order_relaxed);
	atomic_store_explicit(&l->mtu, mtu, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->seq, 1, memory_order_release);
}

/* The Ethernet header toward the member and the interface's MTU (0:
 * unknown), or false: use the IP path. */
static bool link_header(struct member_link *l, uint8_t eth[14], int *ifindex, uint32_t *mtu)
{
	if (!l)
		return false;
	uint32_t s1, s2;
	uint64_t w0, w1;
	do {
		s1 = atomic_load_explicit(&l->seq, memory_order_acquire);
		w0 = atomic_load_explicit(&l->w0, memory_order_relaxed);
		w1 = atomic_load_explicit(&l->w1, memory_order_relaxed);
		*mtu = atomic_load_explicit(&l->mtu, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&l->seq, memory_order_relaxed);
	} while (s1 != s2 || (s1 & 1));
	*ifindex = (int)(w1 >> 32);
	if (!*ifindex)
		return false;
	for (int i = 0; i < 6; i++)
		eth[i] = (uint8_t)(w0 >> (8 * i));
	eth[6] = (uint8_t)(w0 >> 48);
	eth[7] = (uint8_t)(w0 >> 56);
	for (int i = 0; i < 4; i++)
		eth[8 + i] = (uint8_t)(w1 >> (8 * i));
	eth[12] = 0x08; /* IPv4 */
	eth[13] = 0x00;
	return true;
}

static void link_resolve(struct member_link *l)
{
	struct vx_nexthop nh;
	if (vx_nexthop_resolve((const uint8_t *)&l->addr, &nh, l->why, sizeof(l->why)) == 0) {
		l->why[0] = '\0';
		link_store(l, &nh);
	} else {
		link_store(l, NULL);
	}
	l->next_refresh_ms = now_ms() + LINK_REFRESH_MS;
}

static struct member_link *link_for(struct vx_agent *a, struct in_addr addr)
{
	struct member_link *l = a->links;
	while (l && l->addr.s_addr != addr.s_addr)
		l = l->next;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		l->addr = addr;
		link_resolve(l);
		l->next = a->links;
		a->links = l;
	}
	l->live = true;
	return l;
}

/* ---- health checks ---- */

/* Health checks run in rounds: every member due starts a non-blocking TCP
 * connect (marked, so the capture never sees it), and one poll() waits for
 * all of them, each until its own timeout. A member that drops the SYNs
 * silently does not delay the others' checks. */
#define HEALTH_ROUND 256

struct health_probe {
	struct member_health *h;
	int fd;
	int64_t deadline_ms;
	bool ok, done;
};

static void probe_start(struct health_probe *p, uint32_t mark, int64_t now)
{
	const struct member_health *h = p->h;
	p->ok = p->done = false;
	p->deadline_ms = now + (int64_t)h->timeout_s * 1000;
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		p->done = true;
		return;
	}
	setsockopt(p->fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(h->hc_port),
				 .sin_addr = h->addr};
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		p->ok = p->done = true;
	else if (errno != EINPROGRESS)
		p->done = true;
}

/* Wait for the round's connects; each ends connected, refused or timed out.
 * Waits in slices so that stopping the agent never waits for a timeout. */
static void probes_wait(struct health_probe *probes, int n, atomic_bool *stop)
{
	struct pollfd pfd[HEALTH_ROUND];
	for (;;) {
		int64_t now = now_ms(), wait = -1;
		int np = 0, map[HEALTH_ROUND];
		for (int i = 0; i < n; i++) {
			if (probes[i].done)
				continue;
			if (probes[i].deadline_ms <= now) {
				probes[i].done = true; /* timed out */
				continue;
			}
			int64_t left = probes[i].deadline_ms - now;
			if (wait < 0 || left < wait)
				wait = left;
			pfd[np] = (struct pollfd){.fd = probes[i].fd, .events = POLLOUT};
			map[np++] = i;
		}
		if (!np || atomic_load(stop))
			return;
		if (poll(pfd, (nfds_t)np, wait < 200 ? (int)wait : 200) < 0 && errno != EINTR)
			return;
		for (int k = 0; k < np; k++) {
			if (!pfd[k].revents)
				continue;
			struct health_probe *p = &probes[map[k]];
			int err = 0;
			socklen_t len = sizeof(err);
			p->ok = getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
			p->done = true;
		}
	}
}

static void health_record(struct member_health *h, bool ok)
{
	if (ok) {
		h->checks_ok++;
		h->fail_streak = 0;
		if (++h->ok_streak >= h->healthy)
			atomic_store(&h->up, 1);
	} else {
		h->checks_failed++;
		h->ok_streak = 0;
		if (++h->fail_streak >= h->unhealthy)
			atomic_store(&h->up, 0);
	}
}

static void *health_main(void *arg)
{
	struct vx_agent *a = arg;
	static struct health_probe probes[HEALTH_ROUND];
	while (!atomic_load(&a->stop_health)) {
		/* Pick the members due now under the lock, check them without it.
		 * Members are freed only when the agent is, after this thread. */
		int n = 0;
		pthread_mutex_lock(&a->lock);
		int64_t now = now_ms();
		for (struct member_health *h = a->health; h && n < HEALTH_ROUND; h = h->next)
			if (h->live && h->next_check_ms <= now) {
				h->next_check_ms = now + (int64_t)h->interval_s * 1000;
				probes[n++].h = h;
			}
		pthread_mutex_unlock(&a->lock);
		for (int i = 0; i < n; i++)
			probe_start(&probes[i], a->opt.mark, now);
		probes_wait(probes, n, &a->stop_health);
		pthread_mutex_lock(&a->lock);
		for (int i = 0; i < n; i++) {
			if (probes[i].fd >= 0)
				close(probes[i].fd);
			health_record(probes[i].h, probes[i].ok);
		}
		pthread_mutex_unlock(&a->lock);
		/* Next hops change (a neighbour's MAC, a route): look again now
		 * and then; a failed lookup leaves the member on the IP path. */
		pthread_mutex_lock(&a->lock);
		int64_t t = now_ms();
		for (struct member_link *l = a->links; l; l = l->next)
			if (l->live && l->next_refresh_ms <= t)
				link_resolve(l);
		pthread_mutex_unlock(&a->lock);
		struct timespec ts = {.tv_nsec = 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ---- plans ---- */

static struct session_counters *counters_for(struct vx_agent *a, const char *id)
{
	for (struct session_counters *c = a->counters; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	struct session_counters *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->next = a->counters;
	a->counters = c;
	return c;
}

static struct member_health *health_for(struct vx_agent *a, const struct vx_member_cfg *m,
					const struct vx_target_cfg *t)
{
	struct member_health *h = a->health;
	while (h && (strcmp(h->address, m->address) || h->hc_port != t->hc_port))
		h = h->next;
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return NULL;
		snprintf(h->address, sizeof(h->address), "%s", m->address);
		inet_pton(AF_INET, m->address, &h->addr);
		h->hc_port = t->hc_port;
		atomic_store(&h->up, 1); /* up until checks say otherwise: mirror at once */
		h->next = a->health;
		a->health = h;
	}
	/* The thresholds may have changed with the configuration. */
	h->interval_s = t->hc_interval_s;
	h->timeout_s = t->hc_timeout_s;
	h->healthy = t->healthy_threshold;
	h->unhealthy = t->unhealthy_threshold;
	return h;
}

/* The route's MTU toward an address, less the outer headers. */
static uint32_t max_inner_toward(const struct sockaddr_in *dst)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int mtu = DEFAULT_PATH_MTU;
	if (fd >= 0 && connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == 0) {
		socklen_t len = sizeof(mtu);
		if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) < 0)
			mtu = DEFAULT_PATH_MTU;
	}
	if (fd >= 0)
		close(fd);
	return mtu > VX_ENCAP_HEADROOM ? (uint32_t)mtu - VX_ENCAP_HEADROOM : 0;
}

static void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_targets; i++) {
		free(p->targets[i].members);
		free(p->targets[i].member_ids);
	}
	free(p->targets);
	free(p->sources);
	free(p->flow_logs);
	vx_policy_cfg_release(&p->policy);
	free(p);
}

static uint64_t member_id(const struct vx_member_cfg *m)
{
	/* Stable across configurations: the same address and port keep their
	 * place in the rendezvous hash. */
	uint64_t h = 1469598103934665603ull;
	for (const char *c = m->address; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	return (h ^ m->port) * 1099511628211ull;
}

static unsigned workers_per_source(const struct vx_agent *a)
{
	return a->opt.capture_workers ? a->opt.capture_workers : 1;
}

/* A session's caps (its tags, else the agent's defaults), split over the
 * source's workers. */
static struct vx_rate_caps caps_for(const struct vx_agent *a, const struct vx_session_cfg *s)
{
	return vx_rate_caps_make(s->max_mbps ? s->max_mbps : a->opt.default_max_mbps,
				 s->max_pps ? s->max_pps : a->opt.default_max_pps,
				 workers_per_source(a));
}

/* Each host interface's flow logs go with its source; an interface with
 * flow logs and no session becomes a source of its own. */
static void attach_flow_logs(struct plan *p, const struct vx_config *cfg)
{
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct vx_iface_cfg *ic = &cfg->ifaces[i];
		if (!ic->n_flow_logs || !ic->ifname[0])
			continue;
		struct plan_source *ps = NULL;
		for (size_t k = 0; k < p->n_sources && !ps; k++)
			if (!strcmp(p->sources[k].cfg.eni, ic->eni))
				ps = &p->sources[k];
		if (!ps) {
			ps = &p->sources[p->n_sources++];
			snprintf(ps->cfg.eni, sizeof(ps->cfg.eni), "%s", ic->eni);
			snprintf(ps->cfg.ifname, sizeof(ps->cfg.ifname), "%s", ic->ifname);
			snprintf(ps->cfg.address, sizeof(ps->cfg.address), "%s", ic->address);
			ps->cfg.present = ic->present;
			ps->has_ip = inet_pton(AF_INET, ic->address, ps->src_ip) == 1;
		}
		for (unsigned j = 0; j < ic->n_flow_logs; j++)
			ps->flow_logs[ps->n_flow_logs++] = &p->flow_logs[ic->flow_logs[j]];
	}
}

static struct plan *plan_build(struct vx_agent *a, const struct vx_config *cfg)
{
	struct plan *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->generation = cfg->generation;
	p->host = cfg->host;
	p->targets = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*p->targets));
	/* Sources: interfaces with sessions, then those with flow logs only. */
	p->sources = calloc(cfg->n_sources + cfg->n_ifaces + 1, sizeof(*p->sources));
	p->flow_logs = calloc(cfg->n_flow_logs + 1, sizeof(*p->flow_logs));
	if (!p->targets || !p->sources || !p->flow_logs)
		goto fail;
	if (cfg->n_flow_logs)
		memcpy(p->flow_logs, cfg->flow_logs, cfg->n_flow_logs * sizeof(*p->flow_logs));
	p->n_flow_logs = cfg->n_flow_logs;
	if (vx_policy_cfg_copy(&p->policy, &cfg->policy) < 0)
		goto fail;
	for (struct member_health *h = a->health; h; h = h->next)
		h->live = false;
	for (struct member_link *l = a->links; l; l = l->next)
		l->live = false;
	for (struct session_counters *c = a->counters; c; c = c->next)
		c->live = false;
	for (size_t i = 0; i < cfg->n_targets; i++) {
		const struct vx_target_cfg *t = &cfg->targets[i];
		struct plan_target *pt = &p->targets[p->n_targets++];
		snprintf(pt->id, sizeof(pt->id), "%s", t->id);
		pt->group = t->group;
		pt->seed = t->group ? XXH3_64bits(t->lb_arn, strlen(t->lb_arn)) : a->seed;
		pt->members = calloc(t->n_members ? t->n_members : 1, sizeof(*pt->members));
		pt->member_ids = calloc(t->n_members ? t->n_members : 1, sizeof(*pt->member_ids));
		if (!pt->members || !pt->member_ids)
			goto fail;
		for (size_t m = 0; m < t->n_members; m++) {
			struct plan_member *pm = &pt->members[pt->n];
			pm->dst.sin_family = AF_INET;
			pm->dst.sin_port = htons(t->members[m].port);
			if (inet_pton(AF_INET, t->members[m].address, &pm->dst.sin_addr) != 1)
				continue; /* IPv6 analyzers: not carried yet (IPv4 outer only) */
			pm->id = member_id(&t->members[m]);
			pm->max_inner = max_inner_toward(&pm->dst);
			pm->link = link_for(a, pm->dst.sin_addr);
			if (t->group) {
				pm->health = health_for(a, &t->members[m], t);
				if (!pm->health)
					goto fail;
				pm->health->live = true;
			}
			pt->member_ids[pt->n++] = pm->id;
		}
	}
	for (size_t i = 0; i < cfg->n_sources; i++) {
		struct plan_source *ps = &p->sources[p->n_sources++];
		ps->cfg = cfg->sources[i];
		ps->has_ip = inet_pton(AF_INET, ps->cfg.address, ps->src_ip) == 1;
		for (unsigned k = 0; k < ps->cfg.n_sessions; k++) {
			const struct vx_session_cfg *s = &ps->cfg.sessions[k];
			for (size_t t = 0; t < p->n_targets; t++)
				if (s->target && !strcmp(p->targets[t].id, s->target->id))
					ps->sessions[k].target = &p->targets[t];
			ps->sessions[k].ctr = counters_for(a, s->id);
			if (!ps->sessions[k].ctr)
				goto fail;
			ps->sessions[k].ctr->live = true;
			ps->sessions[k].caps = caps_for(a, s);
			/* The copied session must not point into the caller's config. */
			ps->cfg.sessions[k].target = NULL;
		}
	}
	attach_flow_logs(p, cfg);
	return p;
fail:
	plan_free(p);
	return NULL;
}

/* ---- workers ---- */

static struct plan *hazard_acquire(struct worker *w)
{
	struct plan *p;
	do {
		p = atomic_load(&w->agent->plan);
		atomic_store(&w->hazard, p);
	} while (p != atomic_load(&w->agent->plan));
	return p;
}

static const struct plan_source *find_source(const struct plan *p, const char *ifname)
{
	for (size_t i = 0; p && i < p->n_sources; i++)
		if (!strcmp(p->sources[i].cfg.ifname, ifname))
			return &p->sources[i];
	return NULL;
}

/* Per-batch tallies, added to the shared counters once per batch. */
struct batch_tally {
	uint64_t packets[VX_SESSIONS_PER_SOURCE], bytes[VX_SESSIONS_PER_SOURCE];
	uint64_t truncated[VX_SESSIONS_PER_SOURCE], filtered_out[VX_SESSIONS_PER_SOURCE];
	uint64_t dropped_send[VX_SESSIONS_PER_SOURCE], no_target[VX_SESSIONS_PER_SOURCE];
	uint64_t dropped_rate[VX_SESSIONS_PER_SOURCE];
	uint64_t excluded[VX_EXCL_COUNT];
	uint64_t not_selected, malformed, send_errors;
	uint64_t link_layer; /* sent with their Ethernet header (the rest: IP path) */
};

/* Send the batch; what went out counts as mirrored, what the kernel would
 * not take counts as dropped. */
static int send_batch(int sock, struct mmsghdr *msgs, const uint8_t *session_of, int n,
		      struct batch_tally *t)
{
	int done = 0, sent = 0;
	while (done < n) {
		int r = sendmmsg(sock, msgs + done, (unsigned)(n - done), MSG_DONTWAIT);
		if (r > 0) {
			for (int i = done; i < done + r; i++) {
				t->packets[session_of[i]]++;
				t->bytes[session_of[i]] += msgs[i].msg_hdr.msg_iov[1].iov_len;
			}
			done += r;
			sent += r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			/* The send path is full: production traffic comes first. */
			for (int i = done; i < n; i++)
				t->dropped_send[session_of[i]]++;
			return sent;
		}
		/* Any other error belongs to one message: count it, skip it. */
		t->send_errors++;
		t->dropped_send[session_of[done]]++;
		done++;
	}
	return sent;
}

/* ---- the transmit ring ---- */

static struct tpacket2_hdr *tx_frame(const struct tx_ring *r, uint32_t i)
{
	return (struct tpacket2_hdr *)(r->map + (size_t)(i % TX_FRAMES) * TX_FRAME_SIZE);
}

static uint32_t tx_status(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

static void tx_set_status(struct tpacket2_hdr *h, uint32_t status)
{
	__atomic_store_n(&h->tp_status, status, __ATOMIC_RELEASE);
}

/* Map a transmit ring on a new AF_PACKET socket; 0, or -1 with the step
 * that failed in why (the worker then sends with sendmmsg). The ring is not
 * bound and does not bypass the qdisc: copies queue behind the interface's
 * traffic control like the host's own packets. */
static int tx_ring_open(struct tx_ring *r, uint32_t mark, int sndbuf, char *why, size_t whylen)
{
	const char *step = "socket";
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: sends only */
	if (r->fd < 0)
		goto fail;
	step = "SO_MARK";
	if (setsockopt(r->fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		goto fail;
	setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	int version = TPACKET_V2, on = 1;
	step = "PACKET_VERSION";
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0)
		goto fail;
	step = "PACKET_VNET_HDR";
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)) < 0)
		goto fail;
	struct tpacket_req req = {.tp_block_size = TX_BLOCK_SIZE,
				  .tp_block_nr = TX_BLOCKS,
				  .tp_frame_size = TX_FRAME_SIZE,
				  .tp_frame_nr = TX_FRAMES};
	step = "PACKET_TX_RING";
	if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0)
		goto fail;
	step = "mmap";
	void *map = mmap(NULL, (size_t)TX_BLOCK_SIZE * TX_BLOCKS, PROT_READ | PROT_WRITE,
			 MAP_SHARED, r->fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	r->map = map;
	r->start = r->n = 0;
	r->ifindex = 0;
	return 0;
fail:
	snprintf(why, whylen, "%s: %s", step, strerror(errno));
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	return -1;
}

static void tx_ring_close(struct tx_ring *r)
{
	if (r->map)
		munmap(r->map, (size_t)TX_BLOCK_SIZE * TX_BLOCKS);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

/* Pending frame i failed on its own: shift the frames after it one slot
 * back (the kernel starts again where it stopped, at frame i). Rare: only
 * after an error of that frame. */
static void tx_skip(struct tx_ring *r, uint32_t i)
{
	for (uint32_t j = i; j + 1 < r->n; j++) {
		struct tpacket2_hdr *dst = tx_frame(r, r->start + j);
		const struct tpacket2_hdr *src = tx_frame(r, r->start + j + 1);
		memcpy((uint8_t *)dst + TX_DATA, (const uint8_t *)src + TX_DATA, src->tp_len);
		dst->tp_len = src->tp_len;
		tx_set_status(dst, TP_STATUS_SEND_REQUEST);
		r->session_of[j] = r->session_of[j + 1];
		r->inner[j] = r->inner[j + 1];
	}
	tx_set_status(tx_frame(r, r->start + r->n - 1), TP_STATUS_AVAILABLE);
	r->n--;
}

/* Hand the pending frames to the kernel: one send() for all of them. The
 * kernel sends them in ring order and stops at the first it cannot send
 * (socket buffer or qdisc full: the frame stays TP_STATUS_SEND_REQUEST; a
 * frame it refuses: TP_STATUS_WRONG_FORMAT). What went out counts as
 * mirrored; what it would not take now is dropped and counted, as with
 * sendmmsg, and its frames are free again. The kernel's next send starts
 * at the first frame it did not take, so the next copy is written there. */
static void tx_flush(struct tx_ring *r, struct batch_tally *t)
{
	uint32_t done = 0;
	while (done < r->n) {
		struct sockaddr_ll to = {.sll_family = AF_PACKET,
					 .sll_protocol = htons(ETH_P_IP),
					 .sll_ifindex = r->ifindex};
		int err = 0;
		if (sendto(r->fd, NULL, 0, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
			err = errno;
		uint32_t status = 0;
		for (; done < r->n; done++) {
			status = tx_status(tx_frame(r, r->start + done));
			if (status & (TP_STATUS_SEND_REQUEST | TP_STATUS_WRONG_FORMAT))
				break;
			t->packets[r->session_of[done]]++;
			t->bytes[r->session_of[done]] += r->inner[done];
			t->link_layer++;
		}
		if (done == r->n)
			break;
		if (!(status & TP_STATUS_WRONG_FORMAT)) {
			/* The send path is full: production traffic comes first. */
			if (!err || err == EAGAIN || err == ENOBUFS)
				break;
			/* The interface is gone or down: no copy to it goes out. */
			if (err == ENXIO || err == ENETDOWN) {
				t->send_errors += r->n - done;
				break;
			}
		}
		/* An error that belongs to this frame: count it, skip it. */
		t->send_errors++;
		t->dropped_send[r->session_of[done]]++;
		tx_skip(r, done);
	}
	for (uint32_t i = done; i < r->n; i++) {
		t->dropped_send[r->session_of[i]]++;
		tx_set_status(tx_frame(r, r->start + i), TP_STATUS_AVAILABLE);
	}
	r->start = (r->start + done) % TX_FRAMES;
	r->n = 0;
}

/* The frame data (Ethernet header onward) for the next copy to ifindex, or
 * NULL when the ring has no free frame (the kernel still holds it). Pending
 * frames to another interface are handed over first: one send() names one
 * interface. */
static uint8_t *tx_claim(struct tx_ring *r, int ifindex, uint32_t copy_len, struct batch_tally *t)
{
	if (r->n && r->ifindex != ifindex)
		tx_flush(r, t);
	r->ifindex = ifindex;
	struct tpacket2_hdr *h = tx_frame(r, r->start + r->n);
	if (tx_status(h) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT))
		return NULL;
	uint8_t *d = (uint8_t *)h + TX_DATA;
	/* hdr_len: the bytes the kernel copies into the skb's linear part. */
	struct virtio_net_hdr vh = {.hdr_len = (uint16_t)copy_len};
	memcpy(d, &vh, sizeof(vh));
	h->tp_len = (uint32_t)(TX_VNET + copy_len);
	return d + TX_VNET;
}

/* The frame claimed last is filled: it goes with the next flush. */
static void tx_queue(struct tx_ring *r, int session, uint32_t inner)
{
	r->session_of[r->n] = (uint8_t)session;
	r->inner[r->n] = inner;
	tx_set_status(tx_frame(r, r->start + r->n), TP_STATUS_SEND_REQUEST);
	r->n++;
}

static void flush_tally(struct worker *w, const struct plan_source *src, const struct batch_tally *t,
			int nframes)
{
	atomic_fetch_add_explicit(&w->frames, (uint64_t)nframes, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->not_selected, t->not_selected, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->malformed, t->malformed, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->send_errors, t->send_errors, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->link_layer, t->link_layer, memory_order_relaxed);
	for (int e = 0; e < VX_EXCL_COUNT; e++)
		if (t->excluded[e])
			atomic_fetch_add_explicit(&w->excluded[e], t->excluded[e],
						  memory_order_relaxed);
	uint64_t mirrored = 0;
	for (unsigned k = 0; src && k < src->cfg.n_sessions; k++) {
		struct session_counters *c = src->sessions[k].ctr;
		mirrored += t->packets[k];
		atomic_fetch_add_explicit(&c->mirrored_packets, t->packets[k], memory_order_relaxed);
		atomic_fetch_add_explicit(&c->mirrored_bytes, t->bytes[k], memory_order_relaxed);
		atomic_fetch_add_explicit(&c->truncated, t->truncated[k], memory_order_relaxed);
		atomic_fetch_add_explicit(&c->filtered_out, t->filtered_out[k], memory_order_relaxed);
		atomic_fetch_add_explicit(&c->dropped_send, t->dropped_send[k], memory_order_relaxed);
		atomic_fetch_add_explicit(&c->dropped_no_target, t->no_target[k],
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&c->dropped_rate, t->dropped_rate[k],
					  memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&w->mirrored, mirrored, memory_order_relaxed);
}

/* The flow logs follow the configuration: synced when a new plan arrives. */
static void flowlog_sync(struct worker *w, const struct plan *p, const struct plan_source *src)
{
	w->flowlog_generation = p->generation;
	if (!w->flowlogs)
		return;
	vx_flowlog_live_sync(w->flowlogs, src ? src->flow_logs : NULL, src ? src->n_flow_logs : 0,
			     &p->host, src ? src->cfg.eni : "",
			     src && src->has_ip ? src->src_ip : NULL, &p->policy);
}

/* Flow-log windows close on the wall clock, also when no packet comes. */
static void flowlog_clock(struct worker *w)
{
	if (!w->flowlogs)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec == w->last_tick)
		return;
	w->last_tick = ts.tv_sec;
	vx_flowlog_live_tick(w->flowlogs, ts.tv_sec);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct vx_agent *a = w->agent;
	struct vx_decode_config dcfg;
	vx_decode_config_default(&dcfg);
	dcfg.n_vxlan_ports = 0; /* the host's packets as they are: no tunnel decoding */
	dcfg.geneve_port = 0;
	static __thread struct vx_ring_frame frames[BATCH];
	static __thread struct vx_packet pkt;
	/* Per batch, copies at the link layer go into the transmit ring (or,
	 * without one or when too long for its frames, into a list of messages
	 * for the AF_PACKET socket), packets for the raw IP socket into another
	 * list of messages. */
	static __thread uint8_t headers[BATCH][ETH_HEADER + VX_ENCAP_HEADROOM];
	static __thread struct iovec iov[BATCH][2];
	static __thread struct mmsghdr msgs[BATCH], l2_msgs[BATCH];
	static __thread struct sockaddr_ll l2_to[BATCH];
	static __thread uint8_t session_of[BATCH], l2_session_of[BATCH];
	static __thread uint8_t up[VX_SESSIONS_PER_SOURCE][1024];

	while (!atomic_load(&w->stop)) {
		int n = vx_ring_next(w->ring, frames, BATCH, 100);
		flowlog_clock(w);
		if (n <= 0) {
			/* Idle: flow logs still follow the configuration. */
			struct plan *p = hazard_acquire(w);
			if (p && p->generation != w->flowlog_generation)
				flowlog_sync(w, p, find_source(p, w->ifname));
			atomic_store(&w->hazard, NULL);
			continue;
		}
		struct plan *p = hazard_acquire(w);
		const struct plan_source *src = find_source(p, w->ifname);
		if (p && p->generation != w->flowlog_generation)
			flowlog_sync(w, p, src);
		bool metered = src && src->n_flow_logs && w->flowlogs;
		struct batch_tally t;
		memset(&t, 0, sizeof(t));
		int nmsg = 0, nl2 = 0, nbuf = 0;
		double now = (double)now_ns();
		if (p && p->generation != w->gate_generation) {
			memset(w->gates, 0, sizeof(w->gates)); /* session slots may have moved */
			w->gate_generation = p->generation;
		}
		if (src) {
			/* Member health, read once per batch. */
			for (unsigned k = 0; k < src->cfg.n_sessions; k++) {
				const struct plan_target *tg = src->sessions[k].target;
				for (size_t m = 0; tg && tg->group && m < tg->n && m < 1024; m++)
					up[k][m] = atomic_load_explicit(&tg->members[m].health->up,
									memory_order_relaxed);
			}
		}
		for (int i = 0; src && i < n; i++) {
			const struct vx_ring_frame *f = &frames[i];
			if (vx_decode(&dcfg, VX_LINK_ETHERNET, f->data, f->caplen, f->wirelen, &pkt) ==
			    VX_STATUS_MALFORMED)
				t.malformed++;
			if (metered) {
				pkt.ts = f->ts;
				vx_flowlog_live_packet(w->flowlogs,
						       f->egress ? VX_FLOW_EGRESS : VX_FLOW_INGRESS, &pkt);
			}
			if (!src->cfg.n_sessions)
				continue; /* captured for its flow logs alone */
			enum vx_exclusion why = VX_EXCL_NONE;
			int k = vx_mirror_pick_session(&src->cfg, &a->services,
						       f->egress ? VX_DIR_EGRESS : VX_DIR_INGRESS,
						       &pkt.key, &why);
			if (k < 0) {
				if (why != VX_EXCL_NONE)
					t.excluded[why]++;
				else
					t.not_selected++;
				for (unsigned s = 0; why == VX_EXCL_NONE && s < src->cfg.n_sessions; s++)
					t.filtered_out[s]++;
				continue;
			}
			for (int s = 0; s < k; s++)
				t.filtered_out[s]++;
			const struct plan_target *tg = src->sessions[k].target;
			const struct vx_session_cfg *s = &src->cfg.sessions[k];
			uint64_t hash = vx_flow_hash_symmetric(&pkt.key, tg ? tg->seed : a->seed);
			int m = -1;
			if (tg && tg->n)
				m = tg->group ? vx_pick_member(hash, tg->member_ids, up[k],
							       tg->n < 1024 ? tg->n : 1024)
					      : 0;
			if (m < 0) {
				t.no_target[k]++;
				continue;
			}
			const struct plan_member *pm = &tg->members[m];
			uint32_t inner = vx_encap_inner_length(f->caplen, s->packet_length,
							       pkt.key.family, pm->max_inner);
			if (!vx_rate_gate_admit(&w->gates[k], &src->sessions[k].caps, now,
						inner + VX_ENCAP_HEADROOM)) {
				t.dropped_rate[k]++;
				continue;
			}
			if (inner < f->wirelen)
				t.truncated[k]++;
			uint8_t *hdr = headers[nbuf];
			int ifindex;
			uint32_t mtu;
			bool l2 = w->l2_sock >= 0 && link_header(pm->link, hdr, &ifindex, &mtu);
			uint32_t copy_len = ETH_HEADER + VX_ENCAP_HEADROOM + inner;
			/* The ring's frames skip the kernel's MTU check: a copy
			 * longer than the interface takes goes by sendmmsg, which
			 * refuses it as before. */
			/* Straight into a frame of the transmit ring, or into
			 * the batch's headers for a message. */
			uint8_t *frame = NULL;
			if (l2 && w->tx.fd >= 0 && copy_len <= TX_MAX_COPY &&
			    copy_len <= mtu + ETH_HEADER) {
				frame = tx_claim(&w->tx, ifindex, copy_len, &t);
				if (!frame) {
					t.dropped_send[k]++; /* the ring is full */
					continue;
				}
				memcpy(frame, hdr, ETH_HEADER);
			}
			vx_encap_headers((frame ? frame : hdr) + ETH_HEADER, src->src_ip,
					 (const uint8_t *)&pm->dst.sin_addr.s_addr,
					 vx_encap_source_port(hash), ntohs(pm->dst.sin_port), s->vni,
					 inner);
			if (frame) {
				memcpy(frame + ETH_HEADER + VX_ENCAP_HEADROOM, f->data, inner);
				tx_queue(&w->tx, k, inner);
				continue;
			}
			struct iovec *v = iov[nbuf++];
			v[1] = (struct iovec){(void *)f->data, inner};
			if (l2) {
				v[0] = (struct iovec){hdr, ETH_HEADER + VX_ENCAP_HEADROOM};
				l2_to[nl2] = (struct sockaddr_ll){.sll_family = AF_PACKET,
								  .sll_ifindex = ifindex,
								  .sll_protocol = htons(ETH_P_IP)};
				l2_msgs[nl2].msg_hdr = (struct msghdr){
					.msg_name = &l2_to[nl2],
					.msg_namelen = sizeof(l2_to[nl2]),
					.msg_iov = v,
					.msg_iovlen = 2,
				};
				l2_session_of[nl2++] = (uint8_t)k;
				continue;
			}
			v[0] = (struct iovec){hdr + ETH_HEADER, VX_ENCAP_HEADROOM};
			msgs[nmsg].msg_hdr = (struct msghdr){
				.msg_name = (void *)&pm->dst,
				.msg_namelen = sizeof(pm->dst),
				.msg_iov = v,
				.msg_iovlen = 2,
			};
			session_of[nmsg++] = (uint8_t)k;
		}
		if (w->tx.n)
			tx_flush(&w->tx, &t);
		if (nl2)
			t.link_layer += (uint64_t)send_batch(w->l2_sock, l2_msgs, l2_session_of, nl2, &t);
		if (nmsg)
			send_batch(w->sock, msgs, session_of, nmsg, &t);
		flush_tally(w, src, &t, n);
		atomic_store(&w->hazard, NULL);
	}
	return NULL;
}

/* The NODATA group of ifname's workers, made on first use; NULL when out of
 * memory (each worker then decides NODATA alone). */
static struct vx_flowlog_nodata_group *nodata_group(struct vx_agent *a, const char *ifname)
{
	struct nodata_group_of *g = a->nodata_groups;
	while (g && strcmp(g->ifname, ifname))
		g = g->next;
	if (!g && (g = calloc(1, sizeof(*g))) != NULL) {
		snprintf(g->ifname, sizeof(g->ifname), "%s", ifname);
		if (!(g->group = vx_flowlog_nodata_group_new())) {
			free(g);
			return NULL;
		}
		g->next = a->nodata_groups;
		a->nodata_groups = g;
	}
	return g ? g->group : NULL;
}

/* One capture worker on ifname; fanout_group as in struct vx_ring_options;
 * nodata (NULL: a lone worker) and nodata_writer as in struct
 * vx_flowlog_live_options. */
static struct worker *worker_start(struct vx_agent *a, const char *ifname, int fanout_group,
				   struct vx_flowlog_nodata_group *nodata, bool nodata_writer)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->agent = a;
	w->sock = -1;
	w->l2_sock = -1;
	w->tx.fd = -1;
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	struct vx_ring_options ro = {.ifname = ifname,
				     .block_count = a->opt.ring_block_count,
				     .fanout_group = fanout_group,
				     .ignore_mark = a->opt.mark};
	w->ring = vx_ring_open(&ro, w->error, sizeof(w->error));
	if (!w->ring)
		return w;
	w->flowlog_generation = -1;
	if (a->opt.flow_log_root) {
		struct vx_flowlog_live_options lo = {.root = a->opt.flow_log_root,
						     .max_flows = a->opt.flow_table_size,
						     .services = &a->services,
						     .nodata_group = nodata,
						     .nodata_writer = nodata_writer};
		w->flowlogs = vx_flowlog_live_new(&lo, ifname);
	}
	/* A raw socket: the outer IPv4 header is ours (source port per flow). */
	w->sock = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	int sndbuf = 4 << 20;
	if (w->sock < 0 ||
	    setsockopt(w->sock, SOL_SOCKET, SO_MARK, &a->opt.mark, sizeof(a->opt.mark)) < 0) {
		snprintf(w->error, sizeof(w->error), "%s: raw socket for mirrored packets: %s", ifname,
			 strerror(errno));
		vx_ring_close(w->ring);
		w->ring = NULL;
		return w;
	}
	setsockopt(w->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Protocol 0: this socket only sends. Without it, every copy takes the
	 * IP path. */
	w->l2_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (w->l2_sock >= 0 &&
	    setsockopt(w->l2_sock, SOL_SOCKET, SO_MARK, &a->opt.mark, sizeof(a->opt.mark)) < 0) {
		close(w->l2_sock);
		w->l2_sock = -1;
	}
	if (w->l2_sock >= 0)
		setsockopt(w->l2_sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* The transmit ring for the link-layer copies; without it they go out
	 * with sendmmsg on l2_sock, which also takes copies too long for a
	 * frame of the ring. */
	char why[160];
	if (w->l2_sock >= 0 && tx_ring_open(&w->tx, a->opt.mark, sndbuf, why, sizeof(why)) < 0 &&
	    !a->tx_ring_warned) {
		a->tx_ring_warned = true;
		fprintf(stderr,
			"vxtap run: mirroring %s: no transmit ring (%s), copies sent with sendmmsg\n",
			ifname, why);
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		snprintf(w->error, sizeof(w->error), "%s: cannot start a thread", ifname);
		return w;
	}
	w->running = true;
	return w;
}

static void worker_stop(struct worker *w)
{
	if (w->running) {
		atomic_store(&w->stop, true);
		pthread_join(w->thread, NULL);
	}
	vx_flowlog_live_free(w->flowlogs); /* the open windows' records are written */
	vx_ring_close(w->ring);
	if (w->sock >= 0)
		close(w->sock);
	if (w->l2_sock >= 0)
		close(w->l2_sock);
	tx_ring_close(&w->tx);
	free(w);
}

static unsigned running_workers(const struct vx_agent *a, const char *ifname)
{
	unsigned n = 0;
	for (const struct worker *w = a->workers; w; w = w->next)
		n += w->running && !strcmp(w->ifname, ifname);
	return n;
}

/* Start n workers on ifname; with more than one they share a new fanout
 * group, which spreads flows over them by the kernel's (symmetric) flow
 * hash. */
static void start_source(struct vx_agent *a, const char *ifname, unsigned n)
{
	int group = n > 1 ? VX_RING_FANOUT_NEW : -1;
	/* Several workers meter shares of the interface's flows: one NODATA
	 * decision for them all, written by the first. */
	struct vx_flowlog_nodata_group *nodata =
	    n > 1 && a->opt.flow_log_root ? nodata_group(a, ifname) : NULL;
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = worker_start(a, ifname, group, nodata, i == 0);
		if (!w)
			return;
		w->next = a->workers;
		a->workers = w;
		if (!w->running) {
			fprintf(stderr, "vxtap run: mirroring %s: %s\n", ifname, w->error);
			return;
		}
		if (group == VX_RING_FANOUT_NEW)
			group = vx_ring_fanout_id(w->ring);
	}
}

/* ---- the agent ---- */

struct vx_agent *vx_agent_new(const struct vx_agent_options *opt, char *err, size_t errlen)
{
	struct vx_agent *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opt)
		a->opt = *opt;
	if (!a->opt.mark)
		a->opt.mark = VX_AGENT_MARK;
	if (getrandom(&a->seed, sizeof(a->seed), 0) != sizeof(a->seed))
		a->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	vx_host_services_load(&a->services, a->opt.resolv_conf);
	pthread_mutex_init(&a->lock, NULL);
	if (pthread_create(&a->health_thread, NULL, health_main, a) != 0) {
		snprintf(err, errlen, "cannot start the health-check thread");
		free(a);
		return NULL;
	}
	return a;
}

/* Free retired plans that no worker reads any more. */
static void reclaim(struct vx_agent *a)
{
	struct plan **pp = &a->retired;
	while (*pp) {
		bool used = false;
		for (struct worker *w = a->workers; w && !used; w = w->next)
			used = atomic_load(&w->hazard) == *pp;
		if (used) {
			pp = &(*pp)->next_retired;
			continue;
		}
		struct plan *dead = *pp;
		*pp = dead->next_retired;
		plan_free(dead);
	}
}

int vx_agent_apply(struct vx_agent *a, const struct vx_config *cfg)
{
	pthread_mutex_lock(&a->lock);
	struct plan *p = plan_build(a, cfg);
	if (!p) {
		snprintf(a->last_error, sizeof(a->last_error),
			 "out of memory building generation %lld", (long long)cfg->generation);
		pthread_mutex_unlock(&a->lock);
		return -1;
	}
	struct plan *old = atomic_exchange(&a->plan, p);
	if (old) {
		old->next_retired = a->retired;
		a->retired = old;
	}
	/* Workers follow the sources that have sessions and exist now. The
	 * workers of a source share one fanout group, so a source where one
	 * failed to start is started again as a whole. */
	unsigned per_source = workers_per_source(a);
	for (struct worker *w = a->workers; w; w = w->next) {
		const struct plan_source *s = find_source(p, w->ifname);
		w->keep = s && s->cfg.present && (s->cfg.n_sessions || s->n_flow_logs) &&
			  running_workers(a, w->ifname) == per_source;
	}
	struct worker **wp = &a->workers;
	while (*wp) {
		if ((*wp)->keep) {
			wp = &(*wp)->next;
			continue;
		}
		struct worker *dead = *wp;
		*wp = dead->next;
		worker_stop(dead);
	}
	for (size_t i = 0; i < p->n_sources; i++) {
		const struct plan_source *s = &p->sources[i];
		if (s->cfg.present && (s->cfg.n_sessions || s->n_flow_logs) &&
		    !running_workers(a, s->cfg.ifname))
			start_source(a, s->cfg.ifname, per_source);
	}
	reclaim(a);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

void vx_agent_maintain(struct vx_agent *a)
{
	pthread_mutex_lock(&a->lock);
	reclaim(a);
	pthread_mutex_unlock(&a->lock);
}

/* The counters of all workers of one interface, summed. */
static json_t *source_stats_json(const struct vx_agent *a, const char *ifname)
{
	uint64_t frames = 0, drops = 0, mirrored = 0, not_selected = 0, malformed = 0;
	uint64_t send_errors = 0, link_layer = 0, excluded[VX_EXCL_COUNT] = {0};
	unsigned workers = 0, running = 0;
	const char *error = NULL;
	for (struct worker *w = a->workers; w; w = w->next) {
		if (strcmp(w->ifname, ifname))
			continue;
		struct vx_ring_stats rs = {0};
		if (w->ring)
			vx_ring_stats(w->ring, &rs);
		workers++;
		running += w->running;
		frames += atomic_load(&w->frames);
		drops += rs.kernel_drops;
		mirrored += atomic_load(&w->mirrored);
		not_selected += atomic_load(&w->not_selected);
		malformed += atomic_load(&w->malformed);
		send_errors += atomic_load(&w->send_errors);
		link_layer += atomic_load(&w->link_layer);
		for (int e = 1; e < VX_EXCL_COUNT; e++)
			excluded[e] += atomic_load(&w->excluded[e]);
		if (w->error[0])
			error = w->error;
	}
	json_t *never = json_object();
	for (int e = 1; e < VX_EXCL_COUNT; e++)
		json_object_set_new(never, vx_exclusion_name((enum vx_exclusion)e),
				    json_integer((json_int_t)excluded[e]));
	json_t *o = json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "InterfaceName",
			      ifname, "Capturing", workers && running == workers, "Workers",
			      (int)workers, "Frames", (json_int_t)frames, "KernelDrops",
			      (json_int_t)drops, "Mirrored", (json_int_t)mirrored, "NotSelected",
			      (json_int_t)not_selected, "Malformed", (json_int_t)malformed,
			      "SendErrors", (json_int_t)send_errors, "NeverMirrored", never);
	if (o)
		json_object_set_new(o, "MirroredLinkLayer", json_integer((json_int_t)link_layer));
	if (o && error)
		json_object_set_new(o, "Error", json_string(error));
	return o;
}

json_t *vx_agent_stats_json(struct vx_agent *a)
{
	pthread_mutex_lock(&a->lock);
	json_t *sessions = json_array();
	for (struct session_counters *c = a->counters; c; c = c->next) {
		if (!c->live)
			continue;
		json_array_append_new(
			sessions,
			json_pack("{s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}",
				  "TrafficMirrorSessionId", c->id, "MirroredPackets",
				  (json_int_t)atomic_load(&c->mirrored_packets), "MirroredBytes",
				  (json_int_t)atomic_load(&c->mirrored_bytes), "TruncatedPackets",
				  (json_int_t)atomic_load(&c->truncated), "FilteredOutPackets",
				  (json_int_t)atomic_load(&c->filtered_out), "DroppedPackets",
				  "OverCap", (json_int_t)atomic_load(&c->dropped_rate), "SendPathFull",
				  (json_int_t)atomic_load(&c->dropped_send), "NoTargetUp",
				  (json_int_t)atomic_load(&c->dropped_no_target)));
	}
	json_t *sources = json_array();
	for (struct worker *first = a->workers; first; first = first->next) {
		bool seen = false; /* one entry per interface: its workers summed */
		for (struct worker *w = a->workers; w != first && !seen; w = w->next)
			seen = !strcmp(w->ifname, first->ifname);
		if (seen)
			continue;
		json_t *o = source_stats_json(a, first->ifname);
		if (o)
			json_array_append_new(sources, o);
	}
	json_t *next_hops = json_array();
	for (struct member_link *l = a->links; l; l = l->next) {
		if (!l->live)
			continue;
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &l->addr, addr, sizeof(addr));
		int ifindex;
		uint32_t mtu;
		uint8_t eth[ETH_HEADER];
		bool ok = link_header(l, eth, &ifindex, &mtu);
		json_t *o = json_pack("{s:s, s:b}", "Address", addr, "LinkLayer", ok);
		if (o && !ok && l->why[0])
			json_object_set_new(o, "Why", json_string(l->why));
		if (o)
			json_array_append_new(next_hops, o);
	}
	json_t *flow_logs = json_array();
	for (struct worker *w = a->workers; w; w = w->next)
		if (w->flowlogs)
			vx_flowlog_live_stats_json(w->flowlogs, flow_logs);
	json_t *members = json_array();
	for (struct member_health *h = a->health; h; h = h->next)
		if (h->live)
			json_array_append_new(
				members, json_pack("{s:s, s:i, s:s, s:I, s:I}", "Address", h->address,
						   "HealthCheckPort", h->hc_port, "State",
						   atomic_load(&h->up) ? "healthy" : "unhealthy",
						   "ChecksOk", (json_int_t)h->checks_ok, "ChecksFailed",
						   (json_int_t)h->checks_failed));
	pthread_mutex_unlock(&a->lock);
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "Sources", sources, "Sessions", sessions,
			 "TargetMembers", members, "NextHops", next_hops, "FlowLogs", flow_logs);
}

void vx_agent_free(struct vx_agent *a)
{
	if (!a)
		return;
	atomic_store(&a->stop_health, true);
	pthread_join(a->health_thread, NULL);
	while (a->workers) {
		struct worker *w = a->workers;
		a->workers = w->next;
		worker_stop(w);
	}
	plan_free(atomic_load(&a->plan));
	while (a->retired) {
		struct plan *p = a->retired;
		a->retired = p->next_retired;
		plan_free(p);
	}
	while (a->counters) {
		struct session_counters *c = a->counters;
		a->counters = c->next;
		free(c);
	}
	while (a->health) {
		struct member_health *h = a->health;
		a->health = h->next;
		free(h);
	}
	while (a->links) {
		struct member_link *l = a->links;
		a->links = l->next;
		free(l);
	}
	while (a->nodata_groups) {
		struct nodata_group_of *g = a->nodata_groups;
		a->nodata_groups = g->next;
		vx_flowlog_nodata_group_free(g->group);
		free(g);
	}
	pthread_mutex_destroy(&a->lock);
	free(a);
}
