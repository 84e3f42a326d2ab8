/* nexthop — how to put a mirrored packet on the wire by hand: the outgoing
 * interface and the Ethernet addresses toward an IPv4 target, asked of the
 * kernel's routing and neighbour tables over rtnetlink.
 *
 * Why: the agent sends its copies on an AF_PACKET socket with the Ethernet
 * header already written, which skips the IP output path's route lookup per
 * packet (a raw IP socket routes, and on a directly connected target
 * allocates a route, for every packet). The kernel still queues the frame
 * through the interface's qdisc, so traffic control applies as before.
 *
 * Resolution fails (and the caller keeps the IP path) when the route is not
 * a plain unicast one out of an Ethernet interface, or the next hop has no
 * usable neighbour entry yet (sending on the IP path makes the kernel
 * resolve it; ask again later). */
#ifndef VXTAP_NEXTHOP_H
#define VXTAP_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vx_nexthop {
	int ifindex;
	uint8_t src_mac[6], dst_mac[6];
	int mtu; /* the interface's MTU; 0: unknown */
};

/* Resolve the way to dst (IPv4, network order). 0, or -1 with a reason. */
int vx_nexthop_resolve(const uint8_t dst[4], struct vx_nexthop *out, char *why, size_t whylen);

#endif
