/* Decoder unit tests: crafted frames for each protocol and each reason, and
 * real captures read with libpcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
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

static void build_vxlan(struct tframe *f, uint32_t vni, const struct tframe *inner)
{
	tf_reset(f);
	tf_eth(f, 0x0800);
	tf_ipv4(f, "172.31.0.238", "172.31.17.188", 17, (uint16_t)(8 + 8 + inner->len));
	tf_udp(f, 65500, 4789, (uint16_t)(8 + inner->len));
	tf_vxlan(f, vni);
	tf_bytes(f, inner->b, inner->len);
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
		cmocka_unit_test_setup(test_captures_all_prefixes, setup),
		cmocka_unit_test_setup(test_aws_mirror_capture, setup),
		cmocka_unit_test_setup(test_reason_names, setup),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
