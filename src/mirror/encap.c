/* VXLAN encapsulation of mirrored frames (SPEC.md §1.6), the symmetric flow
 * hash behind the outer UDP source port and the load-balancer member choice
 * (SPEC.md §1.3, DESIGN.md "Mirroring semantics"). */
#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <xxhash.h>

#include "vxtap/vxlan_encap.h"

#define VXLAN_FLAG_I    0x08
#define VNI_MASK        0xffffffu
#define IPV6_FLOOR      55 /* 14 Ethernet + 40 IPv6 + 1 (SPEC.md §1.5) */
#define SPORT_BASE      49152
#define IP_PROTO_TCP    6
#define IP_PROTO_UDP    17
#define IP_PROTO_SCTP   132
#define ENCAP_UDP_VXLAN 16 /* UDP (8) + VXLAN (8) */
#define ENCAP_MAX_INNER (UINT16_MAX - VX_ENCAP_HEADROOM)

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool has_ports(uint8_t proto)
{
	return proto == IP_PROTO_TCP || proto == IP_PROTO_UDP || proto == IP_PROTO_SCTP;
}

/* -1, 0, 1 as endpoint a (address, then port) sorts before, with or after b. */
static int endpoint_cmp(const uint8_t *a_addr, uint16_t a_port, const uint8_t *b_addr,
                        uint16_t b_port, size_t alen)
{
	int c = memcmp(a_addr, b_addr, alen);
	if (c)
		return c;
	return (a_port > b_port) - (a_port < b_port);
}

/* The hashed bytes, in a fixed layout so that the value does not depend on
 * struct padding or on the host's byte order:
 *   [0] family  [1] proto  [2..17] low endpoint address  [18..33] high
 *   endpoint address  [34..35] low endpoint port  [36..37] high endpoint port
 * (ports big-endian, zero when the protocol has none).
 *
 * Which fields count. SPEC.md §1.6 says AWS hashes the 5-tuple for TCP, UDP
 * and ICMP and the 3-tuple (addresses + protocol) for anything else. Our flow
 * key has ports only for TCP and UDP (and SCTP here, for the day the decoder
 * reads them); ICMP and ICMPv6 have none in the key, so in practice they
 * hash as the 3-tuple, like every other protocol. That still keeps one ICMP
 * conversation on one port/member. A non-first fragment has ports 0 in the
 * key, so it hashes differently from its flow's first fragment.
 *
 * Symmetry is our own guarantee, not AWS's (SPEC.md §1.3, Part 3 item 4):
 * the endpoints are ordered before hashing, so A→B and B→A give one value. */
uint64_t vx_flow_hash_symmetric(const struct vx_flow_key *k, uint64_t seed)
{
	uint8_t buf[38];
	memset(buf, 0, sizeof(buf));

	if (!k || (k->family != 4 && k->family != 6))
		return XXH3_64bits_withSeed(buf, sizeof(buf), seed); /* no IP layer: one value */

	size_t alen = k->family == 4 ? 4 : 16;
	bool ports = has_ports(k->proto);
	uint16_t sp = ports ? k->sport : 0, dp = ports ? k->dport : 0;
	const uint8_t *lo = k->src, *hi = k->dst;
	uint16_t lo_port = sp, hi_port = dp;
	if (endpoint_cmp(k->src, sp, k->dst, dp, alen) > 0) {
		lo = k->dst;
		hi = k->src;
		lo_port = dp;
		hi_port = sp;
	}

	buf[0] = k->family;
	buf[1] = k->proto;
	memcpy(buf + 2, lo, alen);
	memcpy(buf + 18, hi, alen);
	put_be16(buf + 34, lo_port);
	put_be16(buf + 36, hi_port);
	return XXH3_64bits_withSeed(buf, sizeof(buf), seed);
}

uint16_t vx_encap_source_port(uint64_t flow_hash)
{
	/* The top 14 bits: 16384 ports, 49152-65535. */
	return (uint16_t)(SPORT_BASE + (flow_hash >> 50));
}

static uint16_t ipv4_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void vx_encap_headers(uint8_t *out, const uint8_t src_ip[4], const uint8_t dst_ip[4],
                      uint16_t src_port, uint16_t dst_port, uint32_t vni, uint32_t inner_len)
{
	/* Callers cap inner_len (vx_encap_inner_length's max_len) and take the
	 * VNI from a validated session; these are programming errors. Clip
	 * anyway so that a build without asserts still writes sane headers. */
	assert(vni <= VNI_MASK);
	assert(inner_len <= ENCAP_MAX_INNER);
	vni &= VNI_MASK;
	if (inner_len > ENCAP_MAX_INNER)
		inner_len = ENCAP_MAX_INNER;

	uint8_t *ip = out, *udp = out + 20, *vx = out + 28;

	ip[0] = 0x45; /* version 4, IHL 5 */
	ip[1] = 0;    /* DSCP 0, ECN 0 */
	put_be16(ip + 2, (uint16_t)(VX_ENCAP_HEADROOM + inner_len));
	put_be16(ip + 4, 0);      /* ID: 0 is fine with DF (RFC 6864) */
	put_be16(ip + 6, 0x4000); /* DF, offset 0 */
	ip[8] = 64;               /* TTL */
	ip[9] = IP_PROTO_UDP;
	put_be16(ip + 10, 0);
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	put_be16(ip + 10, ipv4_checksum(ip, 20));

	put_be16(udp, src_port);
	put_be16(udp + 2, dst_port);
	put_be16(udp + 4, (uint16_t)(ENCAP_UDP_VXLAN + inner_len));
	put_be16(udp + 6, 0); /* no checksum over IPv4 (RFC 7348 §5) */

	vx[0] = VXLAN_FLAG_I;
	vx[1] = vx[2] = vx[3] = 0;
	vx[4] = (uint8_t)(vni >> 16);
	vx[5] = (uint8_t)(vni >> 8);
	vx[6] = (uint8_t)vni;
	vx[7] = 0;
}

/* The 35-byte IPv4 floor is not applied here: a session's PacketLength is
 * validated to be at least 35 when it is set (src/control/mirror.c), so
 * only IPv6 packets, whose floor is higher, need lifting per packet. */
uint32_t vx_encap_inner_length(uint32_t frame_len, uint32_t packet_length, int ip_family,
                               uint32_t max_len)
{
	uint32_t n = frame_len;
	if (packet_length) {
		uint32_t want = packet_length;
		if (ip_family == 6 && want < IPV6_FLOOR)
			want = IPV6_FLOOR;
		if (want < n)
			n = want;
	}
	if (max_len && n > max_len)
		n = max_len;
	return n;
}

/* Rendezvous hashing: each (flow, member) pair gets an independent
 * pseudo-random score, and the flow goes to the up member with the highest
 * one. Taking a member down moves only the flows it had won (each to its
 * runner-up); every other flow's winner is unchanged. The flow hash is
 * already seeded per agent, so the scores need no seed of their own. Ties
 * (equal scores: practically only duplicate ids) go to the lowest index. */
int vx_pick_member(uint64_t flow_hash, const uint64_t *member_ids, const uint8_t *up, size_t n)
{
	int best = -1;
	uint64_t best_score = 0;
	uint8_t buf[16];

	put_le64(buf, flow_hash);
	for (size_t i = 0; i < n && i <= INT_MAX; i++) {
		if (!up[i])
			continue;
		put_le64(buf + 8, member_ids[i]);
		uint64_t score = XXH3_64bits(buf, sizeof(buf));
		if (best < 0 || score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	return best;
}
