/* Per-session caps on mirrored traffic (see vxtap/rate_gate.h). */
#include "vxtap/rate_gate.h"

/* The largest packet a gate ever sees: an IPv4 packet. */
#define LARGEST_PACKET 65535.0
#define BURST_NS       50e6

struct vx_rate_caps vx_rate_caps_make(uint32_t max_mbps, uint32_t max_pps, unsigned workers)
{
	struct vx_rate_caps c = {.max_mbps = max_mbps, .max_pps = max_pps};
	double share = workers ? workers : 1;
	if (max_mbps) /* 1 Mbit/s: a byte every 8000 ns */
		c.ns_per_byte = 8000.0 * share / max_mbps;
	if (max_pps)
		c.ns_per_packet = 1e9 * share / max_pps;
	/* An idle gate always lets one packet through, however large. */
	c.burst_ns = BURST_NS;
	if (c.ns_per_byte * LARGEST_PACKET > c.burst_ns)
		c.burst_ns = c.ns_per_byte * LARGEST_PACKET;
	if (c.ns_per_packet > c.burst_ns)
		c.burst_ns = c.ns_per_packet;
	return c;
}
