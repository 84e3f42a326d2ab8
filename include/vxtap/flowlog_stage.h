/* flowlog_stage — the analyzer's flow-log stage: which interface and which
 * direction a decoded packet belongs to, then the flow log
 * (vxtap/flowlogger.h).
 *
 * Mirrored traffic (a frame that arrived in VXLAN): one interface per outer
 * source address and VNI. The outer source is the mirrored interface's
 * primary private IPv4 (SPEC.md §1.6), so the record shows it on the
 * interface's side; its ID is "eni-" and 17 hex digits of a hash of the two,
 * the same in every run. A packet whose inner source is that address (or in
 * a local network) left the interface: egress; any other arrived: ingress.
 *
 * Plain traffic (a capture made on a host): one interface, --interface-id.
 * A packet from one of its --interface-address values or from a
 * --local-net is egress, any other ingress. Its primary address is the
 * first IPv4 --interface-address.
 *
 * Action: with a policy, the security groups and network ACLs of the
 * interface (looked up by its eni- ID; an interface the policy does not
 * name accepts everything) decide, with packet time for connection
 * tracking; without one, every record is ACCEPT.
 *
 * Output: the flow log's records; counters for the summary. */
#ifndef VXTAP_FLOWLOG_STAGE_H
#define VXTAP_FLOWLOG_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "vxtap/decode.h"
#include "vxtap/flowlogger.h"
#include "vxtap/netaddr.h"
#include "vxtap/out.h"
#include "vxtap/policy.h"

#define VX_FLOWLOG_STAGE_LOCAL_MAX 32

struct vx_flowlog_stage_options {
	struct vx_flowlogger_options logger;
	const char *interface_id; /* plain traffic; NULL: from the primary address */
	struct vx_cidr local[VX_FLOWLOG_STAGE_LOCAL_MAX]; /* addresses (/32, /128) and nets */
	int n_local;
	uint8_t primary[4]; /* the first IPv4 interface address */
	bool has_primary;
	/* Security groups and ACLs deciding ACCEPT or REJECT (vxtap/policy.h)
	 * for the interfaces they name; NULL: every record is ACCEPT. */
	const struct vx_policy_cfg *policy;
};

struct vx_flowlog_stage_stats {
	uint64_t mirrored_packets, plain_packets;
	uint64_t interfaces;	    /* interfaces seen (mirrored sources + the plain one) */
	uint64_t interfaces_full;   /* packets of sources beyond the meter's interface table */
};

struct vx_flowlog_stage;

struct vx_flowlog_stage *vx_flowlog_stage_new(const struct vx_flowlog_stage_options *o, char *err,
					      size_t errlen);
/* sender_ipv4: the UDP sender of a datagram that starts at the VXLAN header
 * (struct vx_frame), else 0. */
void vx_flowlog_stage_packet(struct vx_flowlog_stage *s, const struct vx_packet *p,
			     uint32_t sender_ipv4);
/* A batch, faster: hash pkts[0..n) into hashes[] first, then pass each
 * packet with its hash (see vx_meter_hash_batch). */
void vx_flowlog_stage_hash_batch(const struct vx_flowlog_stage *s, const struct vx_packet *pkts,
				 int n, uint64_t *hashes);
void vx_flowlog_stage_packet_hashed(struct vx_flowlog_stage *s, const struct vx_packet *p,
				    uint32_t sender_ipv4, uint64_t hash);
void vx_flowlog_stage_tick(struct vx_flowlog_stage *s, int64_t now_s);
int vx_flowlog_stage_flush(struct vx_flowlog_stage *s);
const char *vx_flowlog_stage_error(const struct vx_flowlog_stage *s);
/* "flowlog.*" counter lines for the analyzer's summary. */
void vx_flowlog_stage_summary(const struct vx_flowlog_stage *s, struct vx_out *o);
void vx_flowlog_stage_free(struct vx_flowlog_stage *s);

#endif
