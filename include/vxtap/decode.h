/* decode — one bounds-checked pass over a frame, from the link layer down
 * through any VXLAN/Geneve encapsulation to the innermost transport header.
 *
 * Input:  a frame (pointer, captured length, wire length) and its link type.
 * Output: struct vx_packet: the layers found (kind, offset, length), the
 *         innermost flow key, TCP fields, the VNI, and a status with a named
 *         reason when the frame is truncated or malformed.
 * It never allocates, copies or writes outside *out; every read is checked
 * against the captured length first.
 */
#ifndef VXTAP_DECODE_H
#define VXTAP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the first byte of a frame is. */
enum vx_link {
	VX_LINK_ETHERNET = 0, /* DLT_EN10MB */
	VX_LINK_NULL,         /* DLT_NULL / DLT_LOOP: 4-byte address family */
	VX_LINK_RAW,          /* DLT_RAW: bare IPv4 or IPv6 */
	VX_LINK_SLL,          /* DLT_LINUX_SLL: 16-byte Linux cooked header */
	VX_LINK_VXLAN,        /* a UDP payload that starts with a VXLAN header */
	VX_LINK_GENEVE,       /* a UDP payload that starts with a Geneve header */
};

enum vx_layer_kind {
	VX_LAYER_NULL = 0, /* BSD loopback header */
	VX_LAYER_SLL,
	VX_LAYER_ETH,
	VX_LAYER_VLAN, /* one 802.1Q or 802.1ad tag */
	VX_LAYER_MPLS, /* one label stack entry */
	VX_LAYER_ARP,
	VX_LAYER_IPV4,
	VX_LAYER_IPV6,
	VX_LAYER_IPV6_EXT, /* one IPv6 extension header (hop-by-hop, routing, dest opts) */
	VX_LAYER_IPV6_FRAG,
	VX_LAYER_TCP,
	VX_LAYER_UDP,
	VX_LAYER_ICMP,
	VX_LAYER_ICMPV6,
	VX_LAYER_VXLAN,
	VX_LAYER_GENEVE,
	VX_LAYER_PAYLOAD, /* whatever follows the last decoded header */
	VX_LAYER_KIND_COUNT
};

/* Outcome of a decode. Truncated: the capture (snaplen) or a mirror session's
 * packet length cut the frame inside a header we needed. Malformed: the bytes
 * that are there contradict themselves. Decoding stops at the first problem;
 * everything decoded before it stays valid. */
enum vx_status { VX_STATUS_OK = 0, VX_STATUS_TRUNCATED, VX_STATUS_MALFORMED };

/* Reasons a decode stopped early. "_truncated": the capture's snaplen or a
 * mirror session's packet length cut the frame inside that header (status
 * TRUNCATED). "_short": the header does not fit inside what the enclosing
 * headers or the wire length say the packet holds (status MALFORMED). The
 * others name a field whose value is invalid. */
#define VX_REASONS(X)                                                                              \
	X(NONE, OK, "none")                                                                        \
	X(INNER_CUT, TRUNCATED, "inner_frame_cut")                                                 \
	X(TRUNC_LINK, TRUNCATED, "link_truncated")                                                 \
	X(TRUNC_ETH, TRUNCATED, "ethernet_truncated")                                              \
	X(TRUNC_VLAN, TRUNCATED, "vlan_truncated")                                                 \
	X(TRUNC_MPLS, TRUNCATED, "mpls_truncated")                                                 \
	X(TRUNC_ARP, TRUNCATED, "arp_truncated")                                                   \
	X(TRUNC_IPV4, TRUNCATED, "ipv4_truncated")                                                 \
	X(TRUNC_IPV6, TRUNCATED, "ipv6_truncated")                                                 \
	X(TRUNC_IPV6_EXT, TRUNCATED, "ipv6_ext_truncated")                                         \
	X(TRUNC_TCP, TRUNCATED, "tcp_truncated")                                                   \
	X(TRUNC_UDP, TRUNCATED, "udp_truncated")                                                   \
	X(TRUNC_ICMP, TRUNCATED, "icmp_truncated")                                                 \
	X(TRUNC_ICMPV6, TRUNCATED, "icmpv6_truncated")                                             \
	X(TRUNC_VXLAN, TRUNCATED, "vxlan_truncated")                                               \
	X(TRUNC_GENEVE, TRUNCATED, "geneve_truncated")                                             \
	X(SHORT_LINK, MALFORMED, "link_short")                                                     \
	X(SHORT_ETH, MALFORMED, "ethernet_short")                                                  \
	X(SHORT_VLAN, MALFORMED, "vlan_short")                                                     \
	X(SHORT_MPLS, MALFORMED, "mpls_short")                                                     \
	X(SHORT_ARP, MALFORMED, "arp_short")                                                       \
	X(SHORT_IPV4, MALFORMED, "ipv4_short")                                                     \
	X(SHORT_IPV6, MALFORMED, "ipv6_short")                                                     \
	X(SHORT_IPV6_EXT, MALFORMED, "ipv6_ext_short")                                             \
	X(SHORT_TCP, MALFORMED, "tcp_short")                                                       \
	X(SHORT_UDP, MALFORMED, "udp_short")                                                       \
	X(SHORT_ICMP, MALFORMED, "icmp_short")                                                     \
	X(SHORT_ICMPV6, MALFORMED, "icmpv6_short")                                                 \
	X(SHORT_VXLAN, MALFORMED, "vxlan_short")                                                   \
	X(SHORT_GENEVE, MALFORMED, "geneve_short")                                                 \
	X(LINK_FAMILY, MALFORMED, "link_unknown_family")                                          \
	X(VLAN_TOO_DEEP, MALFORMED, "vlan_too_many_tags")                                          \
	X(MPLS_TOO_DEEP, MALFORMED, "mpls_too_many_labels")                                        \
	X(IPV4_VERSION, MALFORMED, "ipv4_bad_version")                                             \
	X(IPV4_HDR_LEN, MALFORMED, "ipv4_bad_header_length")                                       \
	X(IPV4_TOTAL_LEN, MALFORMED, "ipv4_bad_total_length")                                      \
	X(IPV6_VERSION, MALFORMED, "ipv6_bad_version")                                             \
	X(IPV6_PAYLOAD_LEN, MALFORMED, "ipv6_bad_payload_length")                                  \
	X(IPV6_EXT_CHAIN, MALFORMED, "ipv6_ext_chain_too_long")                                    \
	X(TCP_HDR_LEN, MALFORMED, "tcp_bad_header_length")                                         \
	X(UDP_LEN, MALFORMED, "udp_bad_length")                                                    \
	X(VXLAN_NO_VNI, MALFORMED, "vxlan_i_flag_clear")                                           \
	X(GENEVE_VERSION, MALFORMED, "geneve_bad_version")                                         \
	X(ENCAP_TOO_DEEP, MALFORMED, "encap_too_deep")                                             \
	X(LAYERS_TOO_MANY, MALFORMED, "too_many_layers")

enum vx_reason {
#define VX_REASON_ENUM(name, status, text) VX_REASON_##name,
	VX_REASONS(VX_REASON_ENUM)
#undef VX_REASON_ENUM
	VX_REASON_COUNT
};

const char *vx_reason_name(enum vx_reason r);
enum vx_status vx_reason_status(enum vx_reason r);
const char *vx_layer_name(enum vx_layer_kind k);

#define VX_MAX_LAYERS    24
#define VX_VNI_NONE      UINT32_MAX
#define VX_MAX_VXLAN_PORTS 8

/* TCP flag bits as on the wire. */
enum {
	VX_TCP_FIN = 0x01,
	VX_TCP_SYN = 0x02,
	VX_TCP_RST = 0x04,
	VX_TCP_PSH = 0x08,
	VX_TCP_ACK = 0x10,
	VX_TCP_URG = 0x20,
	VX_TCP_ECE = 0x40,
	VX_TCP_CWR = 0x80,
};

struct vx_layer {
	uint8_t kind;  /* enum vx_layer_kind */
	uint8_t inner; /* encapsulation depth this layer sits at (0 = outermost) */
	uint16_t len;  /* header length (payload layer: captured bytes, capped at 65535) */
	uint32_t off;  /* offset from the start of the frame */
};

/* The innermost IP flow. Addresses are in network order; an IPv4 address
 * takes the first 4 bytes and the rest are zero. Ports in host order; 0 when
 * the protocol has none or the packet is a non-first fragment. */
struct vx_flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t family; /* 4 or 6; 0 when there is no IP layer */
};

struct vx_time {
	int64_t sec;
	uint32_t nsec;
};

struct vx_packet {
	const uint8_t *data; /* the frame as captured */
	uint32_t caplen;     /* bytes present at data */
	uint32_t wirelen;    /* bytes the frame had on the wire */
	struct vx_time ts;

	uint8_t status; /* enum vx_status */
	uint8_t reason; /* enum vx_reason */
	uint8_t nlayers;
	uint8_t encap_depth; /* VXLAN/Geneve headers crossed */

	uint32_t vni;       /* innermost VXLAN VNI, VX_VNI_NONE when not VXLAN */
	uint32_t inner_off; /* offset of the innermost (decapsulated) frame; 0 if none */
	uint8_t inner_link; /* enum vx_link of the frame at inner_off */

	/* Innermost network and transport layer (valid when has_l3 / has_l4). */
	bool has_l3;
	bool has_l4;         /* transport header complete and decoded */
	bool has_ports;      /* key.sport/dport read from a TCP or UDP header */
	bool is_fragment;    /* IPv4 MF/offset or IPv6 fragment header */
	bool first_fragment; /* offset 0: carries the transport header */
	uint32_t l3_off;
	uint32_t l4_off;
	uint32_t payload_off;     /* first byte after the transport header */
	uint32_t payload_caplen;  /* payload bytes present in the capture */
	uint32_t payload_wirelen; /* payload bytes the IP header says there are */
	struct vx_flow_key key;
	uint16_t ip_len; /* inner IP total length (IPv4) or 40 + payload length (IPv6) */
	uint8_t ttl;     /* TTL / hop limit */
	uint8_t tcp_flags;
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint16_t tcp_window;
	uint8_t icmp_type;
	uint8_t icmp_code;

	struct vx_layer layers[VX_MAX_LAYERS];
};

struct vx_decode_config {
	uint16_t vxlan_ports[VX_MAX_VXLAN_PORTS]; /* UDP destination ports decoded as VXLAN */
	uint8_t n_vxlan_ports;
	uint16_t geneve_port; /* 0 disables Geneve */
	uint8_t max_encap_depth;
	/* Decode every frame with the general decoder, without the shortcut
	 * for plain Ethernet/IPv4/TCP-or-UDP frames (the tests compare both). */
	bool general_only;
};

/* Defaults: VXLAN on 4789, Geneve on 6081, at most 4 nested encapsulations. */
void vx_decode_config_default(struct vx_decode_config *cfg);

/* Decode one frame into *out. Returns out->status. */
enum vx_status vx_decode(const struct vx_decode_config *cfg, enum vx_link link,
			 const uint8_t *data, uint32_t caplen, uint32_t wirelen,
			 struct vx_packet *out);

/* Per-reason counters, for the summary. */
struct vx_decode_stats {
	uint64_t packets;
	uint64_t bytes; /* wire bytes */
	uint64_t vxlan; /* frames that carried at least one VXLAN header */
	uint64_t non_vxlan;
	uint64_t truncated;
	uint64_t malformed;
	uint64_t by_reason[VX_REASON_COUNT];
};

static inline void vx_decode_stats_add(struct vx_decode_stats *s, const struct vx_packet *p)
{
	s->packets++;
	s->bytes += p->wirelen;
	if (p->vni != VX_VNI_NONE)
		s->vxlan++;
	else
		s->non_vxlan++;
	s->by_reason[p->reason]++;
	s->truncated += p->status == VX_STATUS_TRUNCATED;
	s->malformed += p->status == VX_STATUS_MALFORMED;
}

/* Write an address of the given family (4 or 6) as text; returns the length. */
size_t vx_addr_format(char *buf, size_t size, const uint8_t *addr, int family);

#endif
