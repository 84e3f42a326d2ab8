/* Decoder unit tests: crafted frames for each protocol and each reason, and
 * real captures read with libpcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <string.h>

#include "testutil.h"
#include "vxtap/decode.h"

static struct vx_decode_config cfg;
static struct vx_packet pkt;

static int setup(void **state)
{
	(void)state;
	vx_decode_config_default(&cfg);
	return 0;
}

static enum vx_status dec(const struct tframe *f)
{
	return vx_decode(&cfg, VX_LINK_ETHERNET, f->b, (uint32_t)f->len, (uint32_t)f->len, &pkt);
}

static enum vx_status dec_cut(const struct tframe *f, uint32_t caplen)
{
	return vx_decode(&cfg, VX_LINK_ETHERNET, f->b, caplen, (uint32_t)f->len, &pkt);
}

static void assert_kinds(const enum vx_layer_kind *kinds, unsigned n)
{
	assert_int_equal(pkt.nlayers, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pkt.layers[i].kind, kinds[i]);
}

static void test_tcp4(void **state)
{
	(void)state;
	struct tframe f;
	tf_tcp4_frame(&f, "10.0.0.1", 40000, "10.0.0.2", 80, 1000, 2000, VX_TCP_SYN | VX_TCP_ACK,
		      "hello", 5);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_TCP, VX_LAYER_PAYLOAD};
	assert_kinds(k, 4);
	assert_int_equal(pkt.key.family, 4);
	assert_int_equal(pkt.key.proto, 6);
	assert_int_equal(pkt.key.sport, 40000);
	assert_int_equal(pkt.key.dport, 80);
	assert_memory_equal(pkt.key.src, "\x0a\x00\x00\x01", 4);
	assert_memory_equal(pkt.key.dst, "\x0a\x00\x00\x02", 4);
	assert_int_equal(pkt.tcp_seq, 1000);
	assert_int_equal(pkt.tcp_ack, 2000);
	assert_int_equal(pkt.tcp_flags, VX_TCP_SYN | VX_TCP_ACK);
	assert_true(pkt.has_l4);
	assert_int_equal(pkt.payload_off, 54);
	assert_int_equal(pkt.payload_caplen, 5);
	assert_int_equal(pkt.payload_wirelen, 5);
	assert_int_equal(pkt.vni, VX_VNI_NONE);
}

static void test_ethernet_padding_not_payload(void **state)
{
	(void)state;
	struct tframe f;
	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, VX_TCP_ACK, NULL, 0);
	memset(f.b + f.len, 0, 6); /* pad to the 60-byte Ethernet minimum */
	f.len += 6;
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.payload_caplen, 0);
	assert_int_equal(pkt.nlayers, 3);
}

static void test_ipv4_options_and_fragments(void **state)
{
	(void)state;
	struct tframe f;
	tf_reset(&f);
	tf_eth(&f, 0x0800);
	/* IHL 6: one 4-byte option (NOP NOP NOP EOL); first fragment, MF set. */
	const uint8_t ip[] = {0x46, 0,  0,  24 + 8, 0, 1, 0x20, 0x00, 64, 17, 0, 0,
			      1,    2,  3,  4,      5, 6, 7,    8,    1,  1,  1, 0};
	tf_bytes(&f, ip, sizeof(ip));
	tf_udp(&f, 53, 5353, 100); /* length covers the whole datagram, not this fragment */
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.layers[1].len, 24);
	assert_true(pkt.is_fragment);
	assert_true(pkt.first_fragment);
	assert_true(pkt.has_ports);
	assert_int_equal(pkt.key.dport, 5353);

	/* A later fragment: no transport header, no ports. */
	f.b[14 + 6] = 0x00;
	f.b[14 + 7] = 0x03; /* offset 24 bytes */
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_true(pkt.is_fragment);
	assert_false(pkt.first_fragment);
	assert_false(pkt.has_ports);
	assert_int_equal(pkt.key.proto, 17);
	assert_int_equal(pkt.layers[pkt.nlayers - 1].kind, VX_LAYER_PAYLOAD);
}

static void test_ipv4_malformed(void **state)
{
	(void)state;
	struct tframe f;
	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	f.b[14] = 0x44; /* IHL 4 */
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV4_HDR_LEN);

	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	f.b[14] = 0x55;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV4_VERSION);

	/* Total length larger than the frame on the wire. */
	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	f.b[16] = 0x01;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV4_TOTAL_LEN);

	/* Total length smaller than the header. */
	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	f.b[16] = 0;
	f.b[17] = 10;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV4_TOTAL_LEN);
}

static void test_truncated_vs_malformed(void **state)
{
	(void)state;
	struct tframe f;
	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, "data", 4);

	/* Snaplen cut inside the IPv4 header: truncated. */
	assert_int_equal(dec_cut(&f, 20), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_IPV4);
	assert_false(pkt.has_l3);

	/* The same bytes as a whole frame: the header does not fit, malformed. */
	f.len = 20;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_SHORT_IPV4);

	/* Cut inside TCP after the ports: truncated, ports still known. */
	tf_tcp4_frame(&f, "10.0.0.1", 1111, "10.0.0.2", 2222, 0, 0, 0, "data", 4);
	assert_int_equal(dec_cut(&f, 14 + 20 + 10), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_TCP);
	assert_true(pkt.has_ports);
	assert_false(pkt.has_l4);
	assert_int_equal(pkt.key.sport, 1111);

	/* Cut in the payload: the headers are whole, so the frame is fine. */
	assert_int_equal(dec_cut(&f, 14 + 20 + 20 + 2), VX_STATUS_OK);
	assert_int_equal(pkt.payload_caplen, 2);
	assert_int_equal(pkt.payload_wirelen, 4);

	/* TCP data offset below 5. */
	tf_tcp4_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	f.b[14 + 20 + 12] = 0x40;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_TCP_HDR_LEN);

	/* TCP options beyond the IP packet. */
	f.b[14 + 20 + 12] = 0xf0;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_TCP_HDR_LEN);

	/* Runt Ethernet frame. */
	f.len = 10;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_SHORT_ETH);
	assert_int_equal(dec_cut(&f, 0), VX_STATUS_MALFORMED);
}

static void test_udp_length(void **state)
{
	(void)state;
	struct tframe f;
	tf_reset(&f);
	tf_eth(&f, 0x0800);
	tf_ipv4(&f, "1.1.1.1", "2.2.2.2", 17, 8 + 4);
	tf_udp(&f, 1000, 53, 4);
	tf_bytes(&f, "abcd", 4);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.payload_caplen, 4);

	f.b[14 + 20 + 5] = 200; /* UDP length beyond the IP payload */
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_UDP_LEN);

	f.b[14 + 20 + 5] = 4; /* below the header size */
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_UDP_LEN);
}

static void test_vlan_qinq_mpls(void **state)
{
	(void)state;
	struct tframe f;
	tf_reset(&f);
	tf_eth(&f, 0x88a8);
	tf_be16(&f, 200);
	tf_be16(&f, 0x8100);
	tf_be16(&f, 0x2000 | 2001);
	tf_be16(&f, 0x0800);
	tf_ipv4(&f, "1.1.1.1", "2.2.2.2", 1, 8);
	tf_be32(&f, 0x08000000);
	tf_be32(&f, 0);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_VLAN, VX_LAYER_VLAN, VX_LAYER_IPV4,
					VX_LAYER_ICMP};
	assert_kinds(k, 5);
	assert_int_equal(pkt.icmp_type, 8);
	assert_false(pkt.has_ports);

	/* Five tags: too many. */
	tf_reset(&f);
	tf_eth(&f, 0x8100);
	for (int i = 0; i < 5; i++) {
		tf_be16(&f, 1);
		tf_be16(&f, 0x8100);
	}
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_VLAN_TOO_DEEP);

	/* MPLS: two labels then IPv4. */
	tf_reset(&f);
	tf_eth(&f, 0x8847);
	tf_be32(&f, (16u << 12) | 64);
	tf_be32(&f, (29u << 12) | 0x100 | 64);
	tf_ipv4(&f, "1.1.1.1", "2.2.2.2", 6, 20);
	tf_tcp(&f, 23, 4000, 0, 0, VX_TCP_ACK);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.layers[1].kind, VX_LAYER_MPLS);
	assert_int_equal(pkt.layers[1].len, 8);
	assert_int_equal(pkt.key.sport, 23);
}

static void test_ipv6_ext_chain(void **state)
{
	(void)state;
	struct tframe f;
	tf_reset(&f);
	tf_eth(&f, 0x86dd);
	tf_ipv6(&f, "2001:db8::1", "2001:db8::2", 0, 8 + 8 + 20);
	/* hop-by-hop (8 bytes) → fragment (atomic) → TCP */
	const uint8_t hbh[] = {44, 0, 1, 4, 0, 0, 0, 0};
	const uint8_t frag[] = {6, 0, 0, 0, 0, 0, 0, 7};
	tf_bytes(&f, hbh, 8);
	tf_bytes(&f, frag, 8);
	tf_tcp(&f, 80, 5000, 1, 2, VX_TCP_ACK);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV6, VX_LAYER_IPV6_EXT,
					VX_LAYER_IPV6_FRAG, VX_LAYER_TCP};
	assert_kinds(k, 5);
	assert_false(pkt.is_fragment); /* atomic fragment */
	assert_int_equal(pkt.key.family, 6);
	assert_int_equal(pkt.key.proto, 6);
	assert_int_equal(pkt.key.sport, 80);

	/* A non-first fragment: no ports, protocol from the fragment header. */
	f.b[14 + 40 + 8 + 3] = 0x10; /* offset 16 */
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_true(pkt.is_fragment);
	assert_false(pkt.has_ports);
	assert_int_equal(pkt.key.proto, 6);

	/* A chain of nine destination-options headers: too long. */
	tf_reset(&f);
	tf_eth(&f, 0x86dd);
	tf_ipv6(&f, "::1", "::2", 60, 9 * 8);
	for (int i = 0; i < 9; i++) {
		const uint8_t d[] = {60, 0, 1, 4, 0, 0, 0, 0};
		tf_bytes(&f, d, 8);
	}
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV6_EXT_CHAIN);

	/* Payload length beyond the frame. */
	tf_reset(&f);
	tf_eth(&f, 0x86dd);
	tf_ipv6(&f, "::1", "::2", 59, 100);
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV6_PAYLOAD_LEN);
}

/* A VXLAN frame around inner; outer_vlan non-zero tags the underlay frame. */
static void build_vxlan_vlan(struct tframe *f, uint16_t outer_vlan, uint32_t vni,
			     const struct tframe *inner)
{
	tf_reset(f);
	if (outer_vlan) {
		tf_eth(f, 0x8100);
		tf_be16(f, outer_vlan);
		tf_be16(f, 0x0800);
	} else {
		tf_eth(f, 0x0800);
	}
	tf_ipv4(f, "172.31.0.238", "172.31.17.188", 17, (uint16_t)(8 + 8 + inner->len));
	tf_udp(f, 65500, 4789, (uint16_t)(8 + inner->len));
	tf_vxlan(f, vni);
	tf_bytes(f, inner->b, inner->len);
}

static void build_vxlan(struct tframe *f, uint32_t vni, const struct tframe *inner)
{
	build_vxlan_vlan(f, 0, vni, inner);
}

static void test_vxlan(void **state)
{
	(void)state;
	struct tframe inner, f;
	tf_tcp4_frame(&inner, "10.1.1.1", 22, "10.2.2.2", 50000, 5, 6, VX_TCP_ACK | VX_TCP_PSH,
		      "ssh", 3);
	build_vxlan(&f, 5569041, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.vni, 5569041);
	assert_int_equal(pkt.encap_depth, 1);
	assert_int_equal(pkt.inner_off, 14 + 20 + 8 + 8);
	assert_int_equal(pkt.inner_link, VX_LINK_ETHERNET);
	assert_int_equal(pkt.key.sport, 22);
	assert_int_equal(pkt.key.dport, 50000);
	assert_memory_equal(pkt.key.src, "\x0a\x01\x01\x01", 4);
	assert_int_equal(pkt.layers[4].kind, VX_LAYER_ETH);
	assert_int_equal(pkt.layers[4].inner, 1);
	assert_int_equal(pkt.layers[3].inner, 0);
	assert_int_equal(pkt.payload_caplen, 3);

	/* Reserved bits set: still decoded (RFC 7348 §5). */
	f.b[50 - 8] = 0xff;
	f.b[50 - 1] = 0x77;
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.vni, 5569041);

	/* I flag clear: not decapsulated. */
	f.b[50 - 8] = 0x00;
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_VXLAN_NO_VNI);
	assert_int_equal(pkt.vni, VX_VNI_NONE);

	/* Another port is not VXLAN unless configured. */
	f.b[50 - 8] = 0x08;
	f.b[14 + 20 + 2] = 8472 >> 8;
	f.b[14 + 20 + 3] = 8472 & 0xff;
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.vni, VX_VNI_NONE);
	cfg.vxlan_ports[1] = 8472;
	cfg.n_vxlan_ports = 2;
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(pkt.vni, 5569041);
}

static void test_vxlan_inner_cut_by_mirror(void **state)
{
	(void)state;
	struct tframe inner, f;
	char body[400];
	memset(body, 'x', sizeof(body));
	tf_tcp4_frame(&inner, "10.1.1.1", 80, "10.2.2.2", 50000, 5, 6, VX_TCP_ACK, body,
		      sizeof(body));
	inner.len = 100; /* a session packet length of 100 */
	build_vxlan(&f, 7, &inner);
	assert_int_equal(dec(&f), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_INNER_CUT);
	assert_true(pkt.has_l4);
	assert_int_equal(pkt.key.sport, 80);
	assert_int_equal(pkt.payload_caplen, 100 - 54);
	assert_int_equal(pkt.payload_wirelen, 400);

	/* Cut inside the inner IPv4 header: truncated, not malformed. */
	inner.len = 30;
	build_vxlan(&f, 7, &inner);
	assert_int_equal(dec(&f), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_IPV4);
}

static void test_nested_encap_bounded(void **state)
{
	(void)state;
	struct tframe a, b;
	tf_tcp4_frame(&a, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	for (int i = 1; i <= 5; i++) {
		build_vxlan(&b, (uint32_t)i, &a);
		a = b;
	}
	/* Five levels against the default limit of four. */
	assert_int_equal(dec(&a), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_ENCAP_TOO_DEEP);
	cfg.max_encap_depth = 5;
	assert_int_equal(dec(&a), VX_STATUS_OK);
	assert_int_equal(pkt.vni, 1);
	assert_int_equal(pkt.encap_depth, 5);
}

static void test_null_and_raw_links(void **state)
{
	(void)state;
	struct tframe f;
	tf_reset(&f);
	tf_bytes(&f, "\x1e\x00\x00\x00", 4); /* AF_INET6 on macOS, little-endian */
	tf_ipv6(&f, "::1", "::1", 17, 8);
	tf_udp(&f, 1, 2, 0);
	assert_int_equal(vx_decode(&cfg, VX_LINK_NULL, f.b, (uint32_t)f.len, (uint32_t)f.len, &pkt),
			 VX_STATUS_OK);
	assert_int_equal(pkt.key.family, 6);
	assert_int_equal(pkt.key.dport, 2);

	f.b[0] = 99;
	assert_int_equal(vx_decode(&cfg, VX_LINK_NULL, f.b, (uint32_t)f.len, (uint32_t)f.len, &pkt),
			 VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_LINK_FAMILY);

	assert_int_equal(vx_decode(&cfg, VX_LINK_RAW, f.b + 4, (uint32_t)f.len - 4,
				   (uint32_t)f.len - 4, &pkt),
			 VX_STATUS_OK);
	assert_int_equal(pkt.key.sport, 1);
}

static void test_vxlan_link(void **state)
{
	(void)state;
	struct tframe inner, f;
	tf_tcp4_frame(&inner, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	tf_reset(&f);
	tf_vxlan(&f, 4242);
	tf_bytes(&f, inner.b, inner.len);
	assert_int_equal(vx_decode(&cfg, VX_LINK_VXLAN, f.b, (uint32_t)f.len, (uint32_t)f.len, &pkt),
			 VX_STATUS_OK);
	assert_int_equal(pkt.vni, 4242);
	assert_int_equal(pkt.inner_off, 8);
}

/* A Geneve listener's datagram: Geneve (4 bytes of options) around VXLAN. */
static void test_geneve_link(void **state)
{
	(void)state;
	struct tframe inner, f;
	tf_tcp4_frame(&inner, "10.0.0.1", 1, "10.0.0.2", 2, 0, 0, 0, NULL, 0);
	tf_reset(&f);
	tf_u8(&f, 1); /* version 0, 1 word of options */
	tf_u8(&f, 0);
	tf_be16(&f, 0x6558);
	tf_be32(&f, 77 << 8);
	tf_be32(&f, 0x01020304);
	tf_bytes(&f, inner.b, inner.len);
	assert_int_equal(vx_decode(&cfg, VX_LINK_GENEVE, f.b, (uint32_t)f.len, (uint32_t)f.len, &pkt),
			 VX_STATUS_OK);
	assert_int_equal(pkt.layers[0].kind, VX_LAYER_GENEVE);
	assert_int_equal(pkt.layers[0].len, 12);
	assert_int_equal(pkt.inner_off, 12);
	assert_int_equal(pkt.inner_link, VX_LINK_ETHERNET);
	assert_int_equal(pkt.key.sport, 1);
	assert_int_equal(pkt.key.dport, 2);
	/* Version 1 is not Geneve as RFC 8926 defines it. */
	f.b[0] |= 0x40;
	assert_int_equal(vx_decode(&cfg, VX_LINK_GENEVE, f.b, (uint32_t)f.len, (uint32_t)f.len, &pkt),
			 VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_GENEVE_VERSION);
}

/* ---- decoding inside a VXLAN tunnel ---- */

/* Where build_vxlan puts the inner frame: outer Ethernet, IPv4, UDP, VXLAN. */
#define INNER_OFF (14 + 20 + 8 + 8)

static void assert_layer(unsigned i, enum vx_layer_kind kind, unsigned inner, uint32_t off,
			 uint32_t len)
{
	assert_true(i < pkt.nlayers);
	assert_int_equal(pkt.layers[i].kind, kind);
	assert_int_equal(pkt.layers[i].inner, inner);
	assert_int_equal(pkt.layers[i].off, off);
	assert_int_equal(pkt.layers[i].len, len);
}

/* The id a VLAN layer carries, read as the layered dump reads it. */
static unsigned vlan_id(unsigned i)
{
	assert_int_equal(pkt.layers[i].kind, VX_LAYER_VLAN);
	const uint8_t *h = pkt.data + pkt.layers[i].off;
	return (unsigned)(h[0] << 8 | h[1]) & 0xfff;
}

/* All 16 bytes: an IPv4 address must leave the other 12 zero. */
static void assert_addr(const uint8_t *got, int family, const char *want)
{
	uint8_t a[16] = {0};
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, want, a), 1);
	assert_memory_equal(got, a, 16);
}

/* The innermost flow of a frame that crossed exactly one VXLAN header at inner_off. */
static void assert_inner_flow(uint32_t vni, uint32_t inner_off, int family, uint8_t proto,
			      const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	assert_int_equal(pkt.vni, vni);
	assert_int_equal(pkt.encap_depth, 1);
	assert_int_equal(pkt.inner_off, inner_off);
	assert_int_equal(pkt.inner_link, VX_LINK_ETHERNET);
	assert_true(pkt.has_l3);
	assert_int_equal(pkt.key.family, family);
	assert_int_equal(pkt.key.proto, proto);
	assert_addr(pkt.key.src, family, src);
	assert_addr(pkt.key.dst, family, dst);
	assert_int_equal(pkt.key.sport, sport);
	assert_int_equal(pkt.key.dport, dport);
}

/* Inner Ethernet with the given tags (TPID, TCI pairs), then IPv4/TCP with "abcd". */
static void inner_tagged_tcp4(struct tframe *f, const uint16_t *tags, unsigned ntags)
{
	tf_reset(f);
	tf_eth(f, ntags ? tags[0] : 0x0800);
	for (unsigned i = 0; i < ntags; i++) {
		tf_be16(f, tags[2 * i + 1]);
		tf_be16(f, i + 1 < ntags ? tags[2 * i + 2] : 0x0800);
	}
	tf_ipv4(f, "10.1.1.1", "10.2.2.2", 6, 20 + 4);
	tf_tcp(f, 33000, 443, 7, 8, VX_TCP_ACK | VX_TCP_PSH);
	tf_bytes(f, "abcd", 4);
}

static void test_vxlan_inner_vlan(void **state)
{
	(void)state;
	struct tframe inner, f;
	const uint16_t dot1q[] = {0x8100, (5 << 13) | 100}; /* PCP 5, VLAN 100 */
	inner_tagged_tcp4(&inner, dot1q, 1);
	build_vxlan(&f, 3000, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_UDP, VX_LAYER_VXLAN,
					VX_LAYER_ETH, VX_LAYER_VLAN, VX_LAYER_IPV4, VX_LAYER_TCP,
					VX_LAYER_PAYLOAD};
	assert_kinds(k, 9);
	assert_layer(4, VX_LAYER_ETH, 1, INNER_OFF, 14);
	assert_layer(5, VX_LAYER_VLAN, 1, INNER_OFF + 14, 4);
	assert_int_equal(vlan_id(5), 100);
	assert_layer(6, VX_LAYER_IPV4, 1, INNER_OFF + 18, 20);
	assert_inner_flow(3000, INNER_OFF, 4, 6, "10.1.1.1", 33000, "10.2.2.2", 443);
	assert_true(pkt.has_l4);
	assert_int_equal(pkt.l3_off, INNER_OFF + 18);
	assert_int_equal(pkt.l4_off, INNER_OFF + 18 + 20);
	assert_int_equal(pkt.tcp_seq, 7);
	assert_int_equal(pkt.payload_off, INNER_OFF + 18 + 40);
	assert_int_equal(pkt.payload_caplen, 4);
	assert_int_equal(pkt.payload_wirelen, 4);
}

static void test_vxlan_inner_qinq(void **state)
{
	(void)state;
	struct tframe inner, f;
	/* S-tag 300 (802.1ad), C-tag 400 with PCP 1, on a tagged underlay (VLAN 12). */
	const uint16_t qinq[] = {0x88a8, 300, 0x8100, 0x2000 | 400};
	const uint32_t in = INNER_OFF + 4;
	inner_tagged_tcp4(&inner, qinq, 2);
	build_vxlan_vlan(&f, 12, 16777215, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_VLAN, VX_LAYER_IPV4, VX_LAYER_UDP,
					VX_LAYER_VXLAN, VX_LAYER_ETH, VX_LAYER_VLAN, VX_LAYER_VLAN,
					VX_LAYER_IPV4, VX_LAYER_TCP, VX_LAYER_PAYLOAD};
	assert_kinds(k, 11);
	/* Each tag is attributed to its own frame. */
	assert_layer(1, VX_LAYER_VLAN, 0, 14, 4);
	assert_int_equal(vlan_id(1), 12);
	assert_layer(6, VX_LAYER_VLAN, 1, in + 14, 4);
	assert_int_equal(vlan_id(6), 300);
	assert_layer(7, VX_LAYER_VLAN, 1, in + 18, 4);
	assert_int_equal(vlan_id(7), 400);
	assert_layer(8, VX_LAYER_IPV4, 1, in + 22, 20);
	assert_inner_flow(16777215, in, 4, 6, "10.1.1.1", 33000, "10.2.2.2", 443);
	assert_true(pkt.has_l4);
	assert_int_equal(pkt.l4_off, in + 22 + 20);
	assert_int_equal(pkt.payload_caplen, 4);

	/* The tag limit is per frame: the underlay's tag does not use up the
	 * inner frame's four... */
	const uint16_t four[] = {0x88a8, 1, 0x8100, 2, 0x8100, 3, 0x8100, 4};
	inner_tagged_tcp4(&inner, four, 4);
	build_vxlan_vlan(&f, 12, 9, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_int_equal(vlan_id(9), 4);
	assert_int_equal(pkt.key.dport, 443);

	/* ...but a fifth inner tag is too many. */
	const uint16_t five[] = {0x88a8, 1, 0x8100, 2, 0x8100, 3, 0x8100, 4, 0x8100, 5};
	inner_tagged_tcp4(&inner, five, 5);
	build_vxlan(&f, 9, &inner);
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_VLAN_TOO_DEEP);
	assert_int_equal(pkt.vni, 9);
	assert_false(pkt.has_l3);
}

/* Inner Ethernet/IPv4/TCP frame whose IPv4 header is ihl words long: the
 * options are NOPs closed by an end-of-list. */
static void inner_tcp4_opts(struct tframe *f, unsigned ihl, const char *payload, size_t plen)
{
	tf_reset(f);
	tf_eth(f, 0x0800);
	size_t ip = f->len;
	tf_ipv4(f, "10.1.1.1", "10.2.2.2", 6, (uint16_t)((ihl - 5) * 4 + 20 + plen));
	f->b[ip] = (uint8_t)(0x40 | ihl);
	for (unsigned i = 20; i < ihl * 4 - 1; i++)
		tf_u8(f, 1);
	tf_u8(f, 0);
	tf_tcp(f, 33000, 8080, 1, 2, VX_TCP_ACK);
	tf_bytes(f, payload, plen);
}

static void test_vxlan_inner_ipv4_options(void **state)
{
	(void)state;
	struct tframe inner, f;

	/* IHL 7 and the largest, IHL 15: the TCP header follows the options. */
	for (unsigned ihl = 7; ihl <= 15; ihl += 8) {
		uint32_t hlen = ihl * 4;
		inner_tcp4_opts(&inner, ihl, "hello", 5);
		build_vxlan(&f, 77, &inner);
		assert_int_equal(dec(&f), VX_STATUS_OK);
		const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_UDP,
						VX_LAYER_VXLAN, VX_LAYER_ETH, VX_LAYER_IPV4,
						VX_LAYER_TCP, VX_LAYER_PAYLOAD};
		assert_kinds(k, 8);
		assert_layer(5, VX_LAYER_IPV4, 1, INNER_OFF + 14, hlen);
		assert_layer(6, VX_LAYER_TCP, 1, INNER_OFF + 14 + hlen, 20);
		assert_inner_flow(77, INNER_OFF, 4, 6, "10.1.1.1", 33000, "10.2.2.2", 8080);
		assert_true(pkt.has_l4);
		assert_int_equal(pkt.ip_len, hlen + 20 + 5);
		assert_int_equal(pkt.l4_off, INNER_OFF + 14 + hlen);
		assert_int_equal(pkt.tcp_ack, 2);
		assert_int_equal(pkt.payload_off, INNER_OFF + 14 + hlen + 20);
		assert_int_equal(pkt.payload_caplen, 5);
		assert_int_equal(pkt.payload_wirelen, 5);
		assert_memory_equal(pkt.data + pkt.payload_off, "hello", 5);
	}
}

static void test_vxlan_inner_ipv4_fragments(void **state)
{
	(void)state;
	struct tframe inner, f;
	const uint32_t ip = INNER_OFF + 14;

	/* First fragment of a 1000-byte UDP datagram: MF set, offset 0. */
	tf_reset(&inner);
	tf_eth(&inner, 0x0800);
	tf_ipv4(&inner, "10.1.1.1", "10.2.2.2", 17, 8 + 16);
	inner.b[14 + 6] = 0x20;
	inner.b[14 + 7] = 0x00;
	tf_udp(&inner, 5353, 53, 1000); /* the length covers the whole datagram */
	tf_bytes(&inner, "0123456789abcdef", 16);
	build_vxlan(&f, 4242, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_inner_flow(4242, INNER_OFF, 4, 17, "10.1.1.1", 5353, "10.2.2.2", 53);
	assert_true(pkt.is_fragment);
	assert_true(pkt.first_fragment);
	assert_true(pkt.has_ports);
	assert_true(pkt.has_l4);
	assert_layer(6, VX_LAYER_UDP, 1, ip + 20, 8);
	/* Only this fragment's bytes are payload. */
	assert_int_equal(pkt.payload_off, ip + 28);
	assert_int_equal(pkt.payload_caplen, 16);
	assert_int_equal(pkt.payload_wirelen, 16);

	/* A later fragment (offset 1480, MF set): no transport header, so no
	 * ports; the bytes where UDP's were are data. */
	inner.b[14 + 6] = 0x20;
	inner.b[14 + 7] = 1480 / 8;
	build_vxlan(&f, 4242, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_inner_flow(4242, INNER_OFF, 4, 17, "10.1.1.1", 0, "10.2.2.2", 0);
	assert_true(pkt.is_fragment);
	assert_false(pkt.first_fragment);
	assert_false(pkt.has_ports);
	assert_false(pkt.has_l4);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_UDP, VX_LAYER_VXLAN,
					VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_PAYLOAD};
	assert_kinds(k, 7);
	assert_layer(6, VX_LAYER_PAYLOAD, 1, ip + 20, 24);

	/* The last fragment (MF clear, offset set) is a fragment too. */
	inner.b[14 + 6] = 0x00;
	build_vxlan(&f, 4242, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_true(pkt.is_fragment);
	assert_false(pkt.first_fragment);
	assert_false(pkt.has_ports);
	assert_int_equal(pkt.vni, 4242);
}

/* Inner Ethernet/IPv6 from 2001:db8:1::10 to 2001:db8:2::20 carrying exts, then TCP and "xy". */
static void inner_ipv6_tcp(struct tframe *f, uint8_t next, const uint8_t *exts, size_t extlen)
{
	tf_reset(f);
	tf_eth(f, 0x86dd);
	tf_ipv6(f, "2001:db8:1::10", "2001:db8:2::20", next, (uint16_t)(extlen + 20 + 2));
	tf_bytes(f, exts, extlen);
	tf_tcp(f, 51000, 80, 100, 200, VX_TCP_ACK);
	tf_bytes(f, "xy", 2);
}

static void test_vxlan_inner_ipv6_fragment(void **state)
{
	(void)state;
	struct tframe inner, f;
	const uint32_t ip6 = INNER_OFF + 14;

	/* First fragment: offset 0, M set; the TCP header follows. */
	const uint8_t frag[] = {6, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
	inner_ipv6_tcp(&inner, 44, frag, sizeof(frag));
	build_vxlan(&f, 600, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_UDP, VX_LAYER_VXLAN,
					VX_LAYER_ETH, VX_LAYER_IPV6, VX_LAYER_IPV6_FRAG,
					VX_LAYER_TCP, VX_LAYER_PAYLOAD};
	assert_kinds(k, 9);
	assert_layer(6, VX_LAYER_IPV6_FRAG, 1, ip6 + 40, 8);
	assert_inner_flow(600, INNER_OFF, 6, 6, "2001:db8:1::10", 51000, "2001:db8:2::20", 80);
	assert_true(pkt.is_fragment);
	assert_true(pkt.first_fragment);
	assert_true(pkt.has_ports);
	assert_true(pkt.has_l4);
	assert_int_equal(pkt.l4_off, ip6 + 48);
	assert_int_equal(pkt.ip_len, 40 + 8 + 22);

	/* A later fragment (offset 1232): protocol from the fragment header, no ports. */
	inner.b[14 + 40 + 2] = 1232 >> 8;
	inner.b[14 + 40 + 3] = (1232 & 0xf8) | 1;
	build_vxlan(&f, 600, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	assert_inner_flow(600, INNER_OFF, 6, 6, "2001:db8:1::10", 0, "2001:db8:2::20", 0);
	assert_true(pkt.is_fragment);
	assert_false(pkt.first_fragment);
	assert_false(pkt.has_ports);
	assert_false(pkt.has_l4);
	assert_int_equal(pkt.nlayers, 8);
	assert_layer(7, VX_LAYER_PAYLOAD, 1, ip6 + 48, 22);
}

static void test_vxlan_inner_ipv6_ext_chain(void **state)
{
	(void)state;
	struct tframe inner, f;
	const uint32_t ip6 = INNER_OFF + 14;

	/* Hop-by-hop (8 bytes: PadN) then destination options (16 bytes:
	 * Hdr Ext Len 1, PadN) then TCP. */
	const uint8_t exts[] = {60, 0, 1, 4, 0, 0, 0, 0,
				6,  1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	inner_ipv6_tcp(&inner, 0, exts, sizeof(exts));
	build_vxlan(&f, 601, &inner);
	assert_int_equal(dec(&f), VX_STATUS_OK);
	const enum vx_layer_kind k[] = {VX_LAYER_ETH, VX_LAYER_IPV4, VX_LAYER_UDP, VX_LAYER_VXLAN,
					VX_LAYER_ETH, VX_LAYER_IPV6, VX_LAYER_IPV6_EXT,
					VX_LAYER_IPV6_EXT, VX_LAYER_TCP, VX_LAYER_PAYLOAD};
	assert_kinds(k, 10);
	assert_layer(5, VX_LAYER_IPV6, 1, ip6, 40);
	assert_layer(6, VX_LAYER_IPV6_EXT, 1, ip6 + 40, 8);
	assert_layer(7, VX_LAYER_IPV6_EXT, 1, ip6 + 48, 16);
	assert_layer(8, VX_LAYER_TCP, 1, ip6 + 64, 20);
	assert_inner_flow(601, INNER_OFF, 6, 6, "2001:db8:1::10", 51000, "2001:db8:2::20", 80);
	assert_false(pkt.is_fragment);
	assert_true(pkt.has_l4);
	assert_int_equal(pkt.tcp_seq, 100);
	assert_int_equal(pkt.payload_off, ip6 + 84);
	assert_int_equal(pkt.payload_caplen, 2);
	assert_int_equal(pkt.payload_wirelen, 2);
}

static void test_vxlan_inner_truncated_vs_malformed(void **state)
{
	(void)state;
	struct tframe inner, f;
	const uint32_t tcp = INNER_OFF + 14 + 20;

	/* Snaplen cut inside the inner TCP header, after its ports. */
	tf_tcp4_frame(&inner, "10.1.1.1", 1111, "10.2.2.2", 2222, 9, 9, VX_TCP_ACK, "data", 4);
	build_vxlan(&f, 31, &inner);
	assert_int_equal(dec_cut(&f, tcp + 10), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_TCP);
	assert_inner_flow(31, INNER_OFF, 4, 6, "10.1.1.1", 1111, "10.2.2.2", 2222);
	assert_true(pkt.has_ports);
	assert_false(pkt.has_l4);
	assert_int_equal(pkt.layers[pkt.nlayers - 1].kind, VX_LAYER_IPV4);

	/* Cut before the ports: the inner addresses, no ports, and not the outer UDP's. */
	assert_int_equal(dec_cut(&f, tcp + 3), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_TCP);
	assert_inner_flow(31, INNER_OFF, 4, 6, "10.1.1.1", 0, "10.2.2.2", 0);
	assert_false(pkt.has_ports);

	/* The mirror session cut the inner frame at the same place (the outer
	 * lengths agree with the cut, the inner IPv4 length does not). */
	inner.len = 14 + 20 + 10;
	build_vxlan(&f, 31, &inner);
	assert_int_equal(dec(&f), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_TCP);
	assert_int_equal(pkt.key.sport, 1111);
	assert_false(pkt.has_l4);

	/* The mirror session cut inside an inner 802.1Q tag: before any inner
	 * IP length, the frame ending early is a cut, not a short header. */
	const uint16_t dot1q[] = {0x8100, 100};
	inner_tagged_tcp4(&inner, dot1q, 1);
	inner.len = 14 + 2;
	build_vxlan(&f, 31, &inner);
	assert_int_equal(dec(&f), VX_STATUS_TRUNCATED);
	assert_int_equal(pkt.reason, VX_REASON_TRUNC_VLAN);
	assert_int_equal(pkt.vni, 31);
	assert_false(pkt.has_l3);

	/* Inner IHL 4: malformed. The outer flow must not stand in for it. */
	tf_tcp4_frame(&inner, "10.1.1.1", 1111, "10.2.2.2", 2222, 9, 9, VX_TCP_ACK, "data", 4);
	inner.b[14] = 0x44;
	build_vxlan(&f, 31, &inner);
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV4_HDR_LEN);
	assert_string_equal(vx_reason_name(pkt.reason), "ipv4_bad_header_length");
	assert_int_equal(pkt.vni, 31);
	assert_int_equal(pkt.encap_depth, 1);
	assert_false(pkt.has_l3);
	assert_false(pkt.has_ports);
	assert_int_equal(pkt.key.family, 0);
	assert_int_equal(pkt.layers[pkt.nlayers - 1].kind, VX_LAYER_ETH);
	assert_int_equal(pkt.layers[pkt.nlayers - 1].inner, 1);

	/* Inner IHL 15 (60 bytes) in a packet whose total length is 44:
	 * the total length contradicts the header, as tcpdump's "bad-len". */
	inner.b[14] = 0x4f;
	build_vxlan(&f, 31, &inner);
	assert_int_equal(dec(&f), VX_STATUS_MALFORMED);
	assert_int_equal(pkt.reason, VX_REASON_IPV4_TOTAL_LEN);
	assert_false(pkt.has_l3);
}

/* Every prefix of every frame of every capture decodes without reading out
 * of bounds (ASan checks the reads; this checks the invariants). */
static void check_invariants(const struct vx_packet *p)
{
	for (unsigned i = 0; i < p->nlayers; i++) {
		assert_true(p->layers[i].off <= p->caplen);
		if (p->layers[i].kind != VX_LAYER_PAYLOAD)
			assert_true(p->layers[i].off + p->layers[i].len <= p->caplen);
	}
	assert_true(p->payload_off + p->payload_caplen <= p->caplen || p->payload_caplen == 0);
	assert_true(p->inner_off <= p->caplen);
}

static void test_captures_all_prefixes(void **state)
{
	(void)state;
	static const char *files[] = {
		"sv-vxlan-aws-traffic-mirror.pcap", "zeek-vxlan-triple-v2.pcap",
		"zeek-geneve-vxlan-dns-truncated.pcap", "zeek-ipv6-http-atomic-frag.pcap",
		"zeek-mixed-vlan-mpls.pcap", "tcpdump-tcp_header_heapoverflow.pcap",
		"sv-ipv4-truncated-udp-len.pcap", "tcpdump-gso-ipv6-vxlan-ipv6.pcap",
	};
	char errbuf[PCAP_ERRBUF_SIZE], path[512];
	unsigned frames = 0;

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/pcaps/%s", VXTAP_TEST_DATA, files[i]);
		pcap_t *pc = pcap_open_offline(path, errbuf);
		assert_non_null(pc);
		struct pcap_pkthdr *h;
		const u_char *d;
		while (pcap_next_ex(pc, &h, &d) == 1) {
			for (uint32_t cut = 0; cut <= h->caplen; cut++) {
				vx_decode(&cfg, VX_LINK_ETHERNET, d, cut, h->len, &pkt);
				check_invariants(&pkt);
			}
			frames++;
		}
		pcap_close(pc);
	}
	assert_true(frames > 100);
}

/* The shortcut for plain Ethernet/IPv4/TCP-or-UDP frames must give exactly
 * what the general decoder gives: every frame of every capture, every
 * prefix of it, and variants of the plain ones with each field the shortcut
 * checks changed (lengths, header length, fragment bits, tunnel ports). */
/* Frames of the VXLAN shortcut's kind seen by decode_both_equal(). */
static unsigned vxlan_shortcut_kind;

static void decode_both_equal(const uint8_t *d, uint32_t caplen, uint32_t wirelen,
			      unsigned *shortcut)
{
	static struct vx_packet a, b;
	struct vx_decode_config general = cfg;
	general.general_only = true;
	/* Filled with the same garbage first: a field one path leaves alone
	 * and the other writes shows as a difference. */
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	vx_decode(&cfg, VX_LINK_ETHERNET, d, caplen, wirelen, &a);
	vx_decode(&general, VX_LINK_ETHERNET, d, caplen, wirelen, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0) {
		print_error("caplen %u wirelen %u: status %u/%u reason %u/%u nlayers %u/%u "
			    "payload %u+%u/%u+%u ip_len %u/%u\n",
			    caplen, wirelen, a.status, b.status, a.reason, b.reason, a.nlayers,
			    b.nlayers, a.payload_off, a.payload_caplen, b.payload_off,
			    b.payload_caplen, a.ip_len, b.ip_len);
		fail();
	}
	*shortcut += a.status == VX_STATUS_OK && a.nlayers >= 3 && a.layers[1].kind == VX_LAYER_IPV4 &&
		     a.layers[0].kind == VX_LAYER_ETH && a.encap_depth == 0;
	vxlan_shortcut_kind += a.status == VX_STATUS_OK && a.nlayers >= 7 &&
			       a.layers[3].kind == VX_LAYER_VXLAN && a.encap_depth == 1 &&
			       a.layers[5].kind == VX_LAYER_IPV4;
}

static void test_shortcut_equals_general(void **state)
{
	(void)state;
	/* Offsets in a plain frame and values to put there. */
	static const struct {
		unsigned off, len;
		uint32_t values[6];
		unsigned nvalues;
	} edits[] = {
		{14, 1, {0x44, 0x46, 0x4f, 0x65, 0x05}, 5},	   /* version / IHL */
		{16, 2, {0, 19, 20, 21, 40, 0xffff}, 6},	   /* total length */
		{20, 2, {0x2000, 0x0001, 0x4000, 0x8000, 0x1fff}, 5}, /* flags, offset */
		{23, 1, {1, 6, 17, 58, 47}, 5},			   /* protocol */
		{36, 2, {4789, 6081, 4790, 53, 0}, 5},		   /* destination port */
		{38, 2, {0, 7, 8, 9, 0xffff}, 5},		   /* UDP length / TCP seq */
		{46, 1, {0x00, 0x40, 0x50, 0x60, 0xf0}, 5},	   /* TCP data offset */
		/* Inside VXLAN: its flags, then the inner frame's fields. */
		{42, 1, {0x00, 0x08, 0x0c, 0xf7, 0xff}, 5},	   /* VXLAN flags */
		{62, 2, {0x0800, 0x86dd, 0x8100, 0x0806, 0}, 5},  /* inner ethertype */
		{64, 1, {0x44, 0x46, 0x4f, 0x65, 0x05}, 5},	   /* inner version / IHL */
		{66, 2, {0, 19, 20, 21, 40, 0xffff}, 6},	   /* inner total length */
		{70, 2, {0x2000, 0x0001, 0x4000, 0x8000, 0x1fff}, 5}, /* inner flags, offset */
		{73, 1, {1, 6, 17, 58, 47}, 5},			   /* inner protocol */
		{86, 2, {4789, 6081, 53, 0, 0xffff}, 5},	   /* inner destination port */
		{96, 1, {0x00, 0x40, 0x50, 0x60, 0xf0}, 5},	   /* inner TCP data offset */
	};
	char errbuf[PCAP_ERRBUF_SIZE], path[768];
	uint8_t buf[2048];
	unsigned frames = 0, shortcut = 0, files = 0;
	DIR *dir = opendir(VXTAP_TEST_DATA "/pcaps");
	struct dirent *de;

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (!strstr(de->d_name, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/pcaps/%s", VXTAP_TEST_DATA, de->d_name);
		pcap_t *pc = pcap_open_offline(path, errbuf);
		assert_non_null(pc);
		if (pcap_datalink(pc) != DLT_EN10MB) {
			pcap_close(pc);
			continue;
		}
		files++;
		struct pcap_pkthdr *h;
		const u_char *d;
		unsigned in_file = 0;
		while (pcap_next_ex(pc, &h, &d) == 1) {
			/* Every prefix of the first frames of each capture. */
			for (uint32_t cut = in_file++ < 200 ? 0 : h->caplen; cut <= h->caplen; cut++)
				decode_both_equal(d, cut, h->len, &shortcut);
			frames++;
			if (h->caplen > sizeof(buf) || h->caplen < 54 || d[12] != 8 || d[13] != 0)
				continue;
			for (unsigned e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
				if (edits[e].off + edits[e].len > h->caplen)
					continue;
				for (unsigned v = 0; v < edits[e].nvalues; v++) {
					memcpy(buf, d, h->caplen);
					uint32_t val = edits[e].values[v];
					if (edits[e].len == 2) {
						buf[edits[e].off] = (uint8_t)(val >> 8);
						buf[edits[e].off + 1] = (uint8_t)val;
					} else {
						buf[edits[e].off] = (uint8_t)val;
					}
					decode_both_equal(buf, h->caplen, h->len, &shortcut);
					decode_both_equal(buf, h->caplen, h->len + 100, &shortcut);
					decode_both_equal(buf, h->caplen - 1, h->len, &shortcut);
				}
			}
			/* Lengths one off either way from what the frame holds. */
			for (int delta = -1; delta <= 1; delta++) {
				uint32_t total = h->len - 14 + (uint32_t)delta;
				uint32_t ulen = (uint32_t)(d[16] << 8 | d[17]) - 20 + (uint32_t)delta;
				memcpy(buf, d, h->caplen);
				buf[16] = (uint8_t)(total >> 8);
				buf[17] = (uint8_t)total;
				decode_both_equal(buf, h->caplen, h->len, &shortcut);
				memcpy(buf, d, h->caplen);
				buf[23] = 17; /* as UDP, if it was not */
				buf[38] = (uint8_t)(ulen >> 8);
				buf[39] = (uint8_t)ulen;
				decode_both_equal(buf, h->caplen, h->len, &shortcut);
				/* A TCP header as long as the captured bytes, and one more. */
				uint32_t room = (h->caplen - 34) / 4 + (uint32_t)(delta + 1) / 2;
				memcpy(buf, d, h->caplen);
				buf[46] = (uint8_t)((room > 15 ? 15 : room) << 4);
				decode_both_equal(buf, h->caplen, h->len, &shortcut);
				decode_both_equal(buf, 34 + 4 * (room > 15 ? 15 : room) - 1, h->len, &shortcut);
			}
		}
		pcap_close(pc);
	}
	closedir(dir);
	assert_true(files > 30);
	assert_true(frames > 1000);
	assert_true(shortcut > 1000); /* frames of the shortcut's kind were among them */
	assert_true(vxlan_shortcut_kind > 100); /* and of the VXLAN shortcut's */
}

static void test_aws_mirror_capture(void **state)
{
	(void)state;
	char errbuf[PCAP_ERRBUF_SIZE], path[512];
	snprintf(path, sizeof(path), "%s/pcaps/sv-vxlan-aws-traffic-mirror.pcap", VXTAP_TEST_DATA);
	pcap_t *pc = pcap_open_offline(path, errbuf);
	assert_non_null(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		assert_int_equal(vx_decode(&cfg, VX_LINK_ETHERNET, d, h->caplen, h->len, &pkt),
				 VX_STATUS_OK);
		assert_int_equal(pkt.vni, 5569041);
		assert_true(pkt.has_l4);
		n++;
	}
	pcap_close(pc);
	assert_int_equal(n, 100);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(vx_reason_name(VX_REASON_NONE), "none");
	assert_string_equal(vx_reason_name(VX_REASON_TRUNC_TCP), "tcp_truncated");
	assert_int_equal(vx_reason_status(VX_REASON_TRUNC_TCP), VX_STATUS_TRUNCATED);
	assert_int_equal(vx_reason_status(VX_REASON_UDP_LEN), VX_STATUS_MALFORMED);
	for (int r = 0; r < VX_REASON_COUNT; r++)
		assert_non_null(vx_reason_name((enum vx_reason)r));
	char buf[64];
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	vx_addr_format(buf, sizeof(buf), a6, 6);
	assert_string_equal(buf, "2001:db8::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tcp4, setup),
		cmocka_unit_test_setup(test_ethernet_padding_not_payload, setup),
		cmocka_unit_test_setup(test_ipv4_options_and_fragments, setup),
		cmocka_unit_test_setup(test_ipv4_malformed, setup),
		cmocka_unit_test_setup(test_truncated_vs_malformed, setup),
		cmocka_unit_test_setup(test_udp_length, setup),
		cmocka_unit_test_setup(test_vlan_qinq_mpls, setup),
		cmocka_unit_test_setup(test_ipv6_ext_chain, setup),
		cmocka_unit_test_setup(test_vxlan, setup),
		cmocka_unit_test_setup(test_vxlan_inner_cut_by_mirror, setup),
		cmocka_unit_test_setup(test_nested_encap_bounded, setup),
		cmocka_unit_test_setup(test_null_and_raw_links, setup),
		cmocka_unit_test_setup(test_vxlan_link, setup),
		cmocka_unit_test_setup(test_geneve_link, setup),
		cmocka_unit_test_setup(test_vxlan_inner_vlan, setup),
		cmocka_unit_test_setup(test_vxlan_inner_qinq, setup),
		cmocka_unit_test_setup(test_vxlan_inner_ipv4_options, setup),
		cmocka_unit_test_setup(test_vxlan_inner_ipv4_fragments, setup),
		cmocka_unit_test_setup(test_vxlan_inner_ipv6_fragment, setup),
		cmocka_unit_test_setup(test_vxlan_inner_ipv6_ext_chain, setup),
		cmocka_unit_test_setup(test_vxlan_inner_truncated_vs_malformed, setup),
		cmocka_unit_test_setup(test_captures_all_prefixes, setup),
		cmocka_unit_test_setup(test_shortcut_equals_general, setup),
		cmocka_unit_test_setup(test_aws_mirror_capture, setup),
		cmocka_unit_test_setup(test_reason_names, setup),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
