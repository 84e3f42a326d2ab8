/* ring — capture on one interface with an AF_PACKET TPACKET_V3 ring, both
 * directions, for the mirroring agent.
 *
 * Input:  an interface name, ring geometry, an optional PACKET_FANOUT group
 *         (several rings sharing one interface by flow hash), and a socket
 *         mark whose packets are dropped in the kernel (the agent marks its
 *         own VXLAN output and health checks, so it never captures them).
 * Output: batches of frames with a direction: ingress (sll_pkttype host,
 *         broadcast, multicast, other host) or egress (outgoing). Frames stay
 *         valid until the next vx_ring_next() or vx_ring_close(): a block is
 *         handed back to the kernel only then, so there is no copy. */
#ifndef VXTAP_RING_H
#define VXTAP_RING_H

#include <stddef.h>
#include <stdint.h>

#include "vxtap/decode.h"

#define VX_RING_FANOUT_NEW (-2)

struct vx_ring_options {
	const char *ifname;
	uint32_t block_size;  /* bytes per block, a multiple of the page size; 0: 1 MiB */
	uint32_t block_count; /* 0: 16 */
	uint32_t snaplen;     /* bytes kept per frame; 0: 65535 */
	int fanout_group;     /* PACKET_FANOUT_HASH group to join, VX_RING_FANOUT_NEW
			       * for a new group with a unique ID, or -1 for none */
	uint32_t ignore_mark; /* drop packets carrying this skb mark; 0: none */
	uint32_t retire_ms;   /* a partly filled block is handed over after this; 0: 10 */
};

struct vx_ring_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	struct vx_time ts;
	uint8_t egress; /* 1: the host sent it; 0: the host received or saw it */
};

struct vx_ring_stats {
	uint64_t frames;       /* frames handed out */
	uint64_t kernel_drops; /* ring full (from PACKET_STATISTICS) */
};

struct vx_ring;

/* Open the ring; NULL with a one-line reason (naming the interface) in err. */
struct vx_ring *vx_ring_open(const struct vx_ring_options *opt, char *err, size_t errlen);

/* Fill up to max frames from the next ready block(s). Returns the count (>0),
 * 0 when nothing arrived within timeout_ms, or -1 on error (errno set). */
int vx_ring_next(struct vx_ring *r, struct vx_ring_frame *frames, int max, int timeout_ms);

void vx_ring_stats(struct vx_ring *r, struct vx_ring_stats *out);
int vx_ring_fd(const struct vx_ring *r);
/* The fanout group's ID (what the other rings of the group join), or -1. */
int vx_ring_fanout_id(const struct vx_ring *r);
void vx_ring_close(struct vx_ring *r);

#endif
