/* The analyzer's flow-log stage (see vxtap/flowlog_stage.h). */
#include "vxtap/flowlog_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Twice the meter's interfaces: the table is at most half full. */
#define SOURCE_SLOTS (2 * VX_METER_MAX_INTERFACES)

struct mirrored_source {
	uint32_t outer; /* IPv4, network order; 0 with iface 0: empty */
	uint32_t vni;
	int iface; /* the meter's index, or -1 when the table was full */
	int policy_iface; /* -1: the policy does not name it */
	bool used;
};

struct vx_flowlog_stage {
	struct vx_flowlog_stage_options opt;
	struct vx_flowlogger *logger;
	int plain_iface; /* -1 until the first plain packet */
	int plain_policy_iface;
	struct vx_policy *policy; /* NULL: every record is ACCEPT */
	struct mirrored_source sources[SOURCE_SLOTS];
	unsigned n_sources;
	struct mirrored_source full; /* stands for every source past the limit */
	struct mirrored_source *last; /* the previous packet's source: most runs repeat it */
	struct vx_flowlog_stage_stats stats;
	/* Packets of interfaces the policy does not name: accepted without
	 * asking it, and counted with its own accepted ones. */
	uint64_t policy_unnamed;
};

/* "eni-" and 17 hex digits of a hash of bytes: stable names for interfaces
 * that have no ID of their own. */
static void derived_eni(char out[32], const void *bytes, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(bytes, n);
	snprintf(out, 32, "eni-%01x%016llx", (unsigned)(h.high64 & 0xf),
		 (unsigned long long)h.low64);
}

struct vx_flowlog_stage *vx_flowlog_stage_new(const struct vx_flowlog_stage_options *o, char *err,
					      size_t errlen)
{
	struct vx_flowlog_stage *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->opt = *o;
	s->plain_iface = -1;
	s->plain_policy_iface = -1;
	if (o->policy) {
		struct vx_policy_options po = {0};
		s->policy = vx_policy_new(o->policy, &po, err, errlen);
		if (!s->policy) {
			free(s);
			return NULL;
		}
	}
	s->logger = vx_flowlogger_new(&o->logger, err, errlen);
	if (!s->logger) {
		vx_policy_free(s->policy);
		free(s);
		return NULL;
	}
	return s;
}

static bool is_local(const struct vx_flowlog_stage *s, const uint8_t *addr, uint8_t family)
{
	for (int i = 0; i < s->opt.n_local; i++)
		if (s->opt.local[i].family == family && vx_cidr_contains(&s->opt.local[i], addr))
			return true;
	return false;
}

/* The mirror session of a decapsulated frame: its VXLAN header is the
 * outermost one (a Gateway Load Balancer wraps it in Geneve, and mirrored
 * traffic may carry VXLAN of its own), its VNI the session's, and the IPv4
 * header that carries it has the mirrored interface's primary address as
 * source (SPEC.md §1.6). False when no IPv4 header carries that VXLAN. */
static bool mirror_source(const struct vx_packet *p, uint32_t sender, uint32_t *outer,
			  uint32_t *vni)
{
	unsigned i = 0;
	while (i < p->nlayers && p->layers[i].kind != VX_LAYER_VXLAN)
		i++;
	if (i == p->nlayers || (uint64_t)p->layers[i].off + 8 > p->caplen)
		return false;
	const uint8_t *h = p->data + p->layers[i].off;
	*vni = (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6];
	while (i-- > 0) {
		const struct vx_layer *l = &p->layers[i];
		if (l->kind == VX_LAYER_IPV6)
			return false;
		if (l->kind == VX_LAYER_IPV4) {
			if ((uint64_t)l->off + 16 > p->caplen)
				return false;
			memcpy(outer, p->data + l->off + 12, 4);
			return true;
		}
	}
	/* A datagram from a UDP listener starts at the VXLAN header: the
	 * outer source is the datagram's sender. */
	*outer = sender;
	return sender != 0;
}

static struct mirrored_source *source_for(struct vx_flowlog_stage *s, uint32_t outer, uint32_t vni)
{
	if (s->last && s->last->outer == outer && s->last->vni == vni)
		return s->last;
	uint32_t slot = (uint32_t)((outer * 0x9e3779b1u) ^ (vni * 0x85ebca6bu)) & (SOURCE_SLOTS - 1);
	while (s->sources[slot].used) {
		struct mirrored_source *m = &s->sources[slot];
		if (m->outer == outer && m->vni == vni)
			return s->last = m;
		slot = (slot + 1) & (SOURCE_SLOTS - 1);
	}
	if (s->n_sources == VX_METER_MAX_INTERFACES) {
		s->full.iface = -1; /* counted per packet by the caller */
		s->full.policy_iface = -1;
		return &s->full;
	}
	s->n_sources++;
	struct mirrored_source *m = &s->sources[slot];
	m->used = true;
	m->outer = outer;
	m->vni = vni;
	uint8_t key[8];
	memcpy(key, &outer, 4);
	memcpy(key + 4, &vni, 4);
	char eni[32];
	derived_eni(eni, key, sizeof(key));
	m->iface = vx_flowlogger_interface(s->logger, eni, (const uint8_t *)&outer);
	m->policy_iface = s->policy ? vx_policy_interface(s->policy, eni) : -1;
	if (m->iface >= 0)
		s->stats.interfaces++;
	return s->last = m;
}

static int plain_interface(struct vx_flowlog_stage *s)
{
	if (s->plain_iface >= 0)
		return s->plain_iface;
	char eni[32];
	if (s->opt.interface_id)
		snprintf(eni, sizeof(eni), "%s", s->opt.interface_id);
	else if (s->opt.has_primary)
		derived_eni(eni, s->opt.primary, 4);
	else
		snprintf(eni, sizeof(eni), "eni-00000000000000000");
	s->plain_iface =
		vx_flowlogger_interface(s->logger, eni, s->opt.has_primary ? s->opt.primary : NULL);
	s->plain_policy_iface = s->policy ? vx_policy_interface(s->policy, eni) : -1;
	if (s->plain_iface >= 0)
		s->stats.interfaces++;
	return s->plain_iface;
}

void vx_flowlog_stage_hash_batch(const struct vx_flowlog_stage *s, const struct vx_packet *pkts,
				 int n, uint64_t *hashes)
{
	vx_flowlogger_hash_batch(s->logger, pkts, n, hashes);
}

void vx_flowlog_stage_packet(struct vx_flowlog_stage *s, const struct vx_packet *p,
			     uint32_t sender_ipv4)
{
	uint64_t hash;
	vx_flowlogger_hash_batch(s->logger, p, 1, &hash);
	vx_flowlog_stage_packet_hashed(s, p, sender_ipv4, hash);
}

void vx_flowlog_stage_packet_hashed(struct vx_flowlog_stage *s, const struct vx_packet *p,
				    uint32_t sender_ipv4, uint64_t hash)
{
	int iface, policy_iface;
	bool egress;
	uint32_t outer, vni;
	if (p->vni != VX_VNI_NONE && mirror_source(p, sender_ipv4, &outer, &vni)) {
		s->stats.mirrored_packets++;
		struct mirrored_source *m = source_for(s, outer, vni);
		iface = m->iface;
		policy_iface = m->policy_iface;
		egress = (p->key.family == 4 && !memcmp(p->key.src, &outer, 4)) ||
			 is_local(s, p->key.src, p->key.family);
	} else {
		s->stats.plain_packets++;
		iface = plain_interface(s);
		policy_iface = s->plain_policy_iface;
		egress = is_local(s, p->key.src, p->key.family);
	}
	if (iface < 0) {
		s->stats.interfaces_full++;
		return;
	}
	enum vx_flow_direction dir = egress ? VX_FLOW_EGRESS : VX_FLOW_INGRESS;
	enum vx_flow_action action = VX_FLOW_ACCEPT;
	if (policy_iface >= 0)
		action = vx_policy_decide(s->policy, policy_iface, dir, p, p->ts.sec);
	else
		s->policy_unnamed++;
	vx_flowlogger_packet_hashed(s->logger, iface, dir, action, p, hash);
}

void vx_flowlog_stage_tick(struct vx_flowlog_stage *s, int64_t now_s)
{
	vx_flowlogger_tick(s->logger, now_s);
}

int vx_flowlog_stage_flush(struct vx_flowlog_stage *s)
{
	return vx_flowlogger_flush(s->logger);
}

const char *vx_flowlog_stage_error(const struct vx_flowlog_stage *s)
{
	return vx_flowlogger_error(s->logger);
}

void vx_flowlog_stage_summary(const struct vx_flowlog_stage *s, struct vx_out *o)
{
	struct vx_flowlogger_stats ls;
	struct vx_meter_stats ms;
	struct vx_flowlog_sink_stats ss;
	vx_flowlogger_get_stats(s->logger, &ls, &ms, &ss);
	vx_out_counter(o, "flowlog.packets", ms.packets);
	vx_out_counter(o, "flowlog.mirrored_packets", s->stats.mirrored_packets);
	vx_out_counter(o, "flowlog.plain_packets", s->stats.plain_packets);
	vx_out_counter(o, "flowlog.not_ip", ms.not_ip);
	vx_out_counter(o, "flowlog.interfaces", s->stats.interfaces);
	vx_out_counter(o, "flowlog.interfaces_full", s->stats.interfaces_full);
	vx_out_counter(o, "flowlog.windows", ms.windows);
	vx_out_counter(o, "flowlog.peak_flows", ms.peak_flows);
	vx_out_counter(o, "flowlog.records", ms.records);
	vx_out_counter(o, "flowlog.nodata", ms.nodata);
	vx_out_counter(o, "flowlog.skipdata", ms.skipdata);
	vx_out_counter(o, "flowlog.skipped_packets", ms.skipped_packets);
	vx_out_counter(o, "flowlog.late_packets", ms.late_packets);
	vx_out_counter(o, "flowlog.empty_windows_not_written", ms.empty_windows_not_written);
	vx_out_counter(o, "flowlog.records_filtered", ls.records_filtered);
	vx_out_counter(o, "flowlog.records_too_long", ls.records_too_long);
	vx_out_counter(o, "flowlog.records_delivered", ls.records_delivered);
	vx_out_counter(o, "flowlog.records_lost", ss.records_lost);
	vx_out_counter(o, "flowlog.files_published", ss.files_published);
	vx_out_counter(o, "flowlog.write_errors", ss.write_errors);
	if (s->policy) {
		struct vx_policy_stats ps;
		vx_policy_get_stats(s->policy, &ps);
		vx_out_counter(o, "policy.accepted", ps.accepted + s->policy_unnamed);
		vx_out_counter(o, "policy.rejected", ps.rejected);
		vx_out_counter(o, "policy.rejected_by_acl", ps.rejected_by_acl);
		vx_out_counter(o, "policy.rejected_by_group", ps.rejected_by_group);
		vx_out_counter(o, "policy.track_full", ps.track_full);
	}
}

void vx_flowlog_stage_free(struct vx_flowlog_stage *s)
{
	if (!s)
		return;
	vx_flowlogger_close(s->logger);
	vx_policy_free(s->policy);
	free(s);
}
