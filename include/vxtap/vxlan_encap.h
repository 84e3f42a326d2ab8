/* vxlan_encap — the mirrored packet on the wire (SPEC.md §1.6): outer IPv4,
 * UDP to the target's port (4789), VXLAN with the session's VNI, then the
 * original Ethernet frame cut to the session's packet length. And the flow
 * hash that picks the outer UDP source port and a load balancer's member.
 * Pure functions: no allocation, no I/O. */
#ifndef VXTAP_VXLAN_ENCAP_H
#define VXTAP_VXLAN_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#include "vxtap/decode.h"

/* Outer IPv4 (20) + UDP (8) + VXLAN (8). */
#define VX_ENCAP_HEADROOM 36

/* A hash of the flow that is the same for both directions (the endpoints
 * are ordered before hashing) — so a load balancer sends a connection's two
 * directions to one analyzer, which AWS does not promise (SPEC.md §1.3).
 * For packets without ports (ICMP, others) the 3-tuple is hashed. The seed
 * is per agent, so crafted traffic cannot aim at one member. */
uint64_t vx_flow_hash_symmetric(const struct vx_flow_key *k, uint64_t seed);

/* The outer UDP source port for a flow hash: in 49152-65535, so that ECMP
 * and load balancers spread flows and one flow keeps one port. */
uint16_t vx_encap_source_port(uint64_t flow_hash);

/* Write outer IPv4 + UDP + VXLAN headers for an inner frame of inner_len
 * bytes into out[0..VX_ENCAP_HEADROOM). Addresses in network order, ports
 * in host order. The IPv4 checksum is computed; the UDP checksum is 0
 * (allowed over IPv4, RFC 7348 §5). TTL 64, DF set, ID 0. */
void vx_encap_headers(uint8_t *out, const uint8_t src_ip[4], const uint8_t dst_ip[4],
		      uint16_t src_port, uint16_t dst_port, uint32_t vni, uint32_t inner_len);

/* How many bytes of a frame a session sends: the whole frame, or its first
 * packet_length bytes (0 = whole), never below the IPv6 floor of 55 bytes
 * for IPv6 packets (SPEC.md §1.5) and never above max_len. */
uint32_t vx_encap_inner_length(uint32_t frame_len, uint32_t packet_length, int ip_family,
			       uint32_t max_len);

/* A load balancer's member for a flow: rendezvous (highest random weight)
 * hashing over the members that are up (up[i] != 0). When a member goes
 * down only its flows move; the others stay. Returns the index or -1 when
 * none is up. */
int vx_pick_member(uint64_t flow_hash, const uint64_t *member_ids, const uint8_t *up, size_t n);

#endif
