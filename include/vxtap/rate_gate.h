/* rate_gate — per-session caps on mirrored traffic, in megabits/s and
 * packets/s, as a GCRA (the virtual-scheduling form of a token bucket).
 *
 * Input:  the caps, the share of them one capture worker applies, and per
 *         packet the time (once per batch) and the packet's size.
 * Work:   a gate remembers when the traffic it let through would have been
 *         sent at exactly the cap; a packet that would push that more than
 *         the burst allowance (50 ms at the cap, at least one packet) ahead
 *         of now is refused. Nothing waits: the caller drops and counts.
 * Output: admit or refuse. No allocation, no syscall, no lock (one gate
 *         belongs to one worker). */
#ifndef VXTAP_RATE_GATE_H
#define VXTAP_RATE_GATE_H

#include <stdbool.h>
#include <stdint.h>

struct vx_rate_caps {
	uint32_t max_mbps, max_pps; /* the whole caps, 0: none (for the stats) */
	double ns_per_byte, ns_per_packet, burst_ns;
};

struct vx_rate_gate {
	double bytes_tat_ns, packets_tat_ns; /* 0: idle since forever */
};

/* Caps of max_mbps and max_pps (0: none) of which one worker of `workers`
 * applies an equal share. */
struct vx_rate_caps vx_rate_caps_make(uint32_t max_mbps, uint32_t max_pps, unsigned workers);

static inline bool vx_rate_caps_none(const struct vx_rate_caps *c)
{
	return c->ns_per_byte <= 0 && c->ns_per_packet <= 0;
}

/* Let a packet of `bytes` through at time now_ns, or refuse it. */
static inline bool vx_rate_gate_admit(struct vx_rate_gate *g, const struct vx_rate_caps *c,
				      double now_ns, uint32_t bytes)
{
	double b = g->bytes_tat_ns, p = g->packets_tat_ns;
	if (c->ns_per_byte > 0) {
		b = (b > now_ns ? b : now_ns) + bytes * c->ns_per_byte;
		if (b - now_ns > c->burst_ns)
			return false;
	}
	if (c->ns_per_packet > 0) {
		p = (p > now_ns ? p : now_ns) + c->ns_per_packet;
		if (p - now_ns > c->burst_ns)
			return false;
	}
	g->bytes_tat_ns = b;
	g->packets_tat_ns = p;
	return true;
}

#endif
