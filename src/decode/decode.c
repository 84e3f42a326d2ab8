/* The decode driver: link-layer entry points, layer bookkeeping, reasons. */
#include <arpa/inet.h>
#include <stdio.h>

#include "internal.h"

static const char *const reason_names[VX_REASON_COUNT] = {
#define VX_REASON_NAME(name, status, text) [VX_REASON_##name] = text,
	VX_REASONS(VX_REASON_NAME)
#undef VX_REASON_NAME
};

static const uint8_t reason_status[VX_REASON_COUNT] = {
#define VX_REASON_STATUS(name, status, text) [VX_REASON_##name] = VX_STATUS_##status,
	VX_REASONS(VX_REASON_STATUS)
#undef VX_REASON_STATUS
};

static const char *const layer_names[VX_LAYER_KIND_COUNT] = {
	[VX_LAYER_NULL] = "null",   [VX_LAYER_SLL] = "sll",
	[VX_LAYER_ETH] = "eth",     [VX_LAYER_VLAN] = "vlan",
	[VX_LAYER_MPLS] = "mpls",   [VX_LAYER_ARP] = "arp",
	[VX_LAYER_IPV4] = "ipv4",   [VX_LAYER_IPV6] = "ipv6",
	[VX_LAYER_IPV6_EXT] = "ipv6-ext", [VX_LAYER_IPV6_FRAG] = "ipv6-frag",
	[VX_LAYER_TCP] = "tcp",     [VX_LAYER_UDP] = "udp",
	[VX_LAYER_ICMP] = "icmp",   [VX_LAYER_ICMPV6] = "icmpv6",
	[VX_LAYER_VXLAN] = "vxlan", [VX_LAYER_GENEVE] = "geneve",
	[VX_LAYER_PAYLOAD] = "payload",
};

const char *vx_reason_name(enum vx_reason r)
{
	return (unsigned)r < VX_REASON_COUNT ? reason_names[r] : "unknown";
}

enum vx_status vx_reason_status(enum vx_reason r)
{
	return (unsigned)r < VX_REASON_COUNT ? (enum vx_status)reason_status[r] : VX_STATUS_MALFORMED;
}

const char *vx_layer_name(enum vx_layer_kind k)
{
	return (unsigned)k < VX_LAYER_KIND_COUNT ? layer_names[k] : "unknown";
}

void vx_decode_config_default(struct vx_decode_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vxlan_ports[0] = 4789;
	cfg->n_vxlan_ports = 1;
	cfg->geneve_port = 6081;
	cfg->max_encap_depth = 4;
}

void vx_dec_fail(struct vx_dstate *st, enum vx_reason r)
{
	st->p->reason = (uint8_t)r;
	st->p->status = reason_status[r];
}

int vx_dec_enter(struct vx_dstate *st, uint32_t off, uint32_t end)
{
	struct vx_packet *p = st->p;

	if (st->depth >= st->cfg->max_encap_depth) {
		vx_dec_fail(st, VX_REASON_ENCAP_TOO_DEEP);
		return 0;
	}
	st->depth++;
	p->encap_depth = st->depth;
	p->inner_off = off;
	/* The inner frame replaces whatever outer flow was found. */
	p->has_l3 = p->has_l4 = p->has_ports = p->is_fragment = p->first_fragment = false;
	memset(&p->key, 0, sizeof(p->key));
	p->tcp_flags = 0;
	st->wlim = end;
	if (st->lim > end)
		st->lim = end;
	st->vlan_tags = 0;
	st->cut_ok = 1;
	return 1;
}

/* The most common frame, decoded straight through: Ethernet II, IPv4
 * without options and not a fragment, then a whole TCP header or a UDP
 * header whose port is not a tunnel's, with lengths that agree. Anything
 * else (short, cut, odd or other) returns 0 and takes the general decoder,
 * which gives the same result for these frames (tests/unit/test_decode.c
 * compares the two on every capture). The scalar fields are already reset.
 *
 * The frame starts at `base` of d (0, or 50 inside VXLAN): lim and wlim are
 * the captured and the wire end of what encloses it, depth its
 * encapsulation depth, and its layers go from layers[first] on. Nothing is
 * written unless it returns 1. Always inlined, so that the plain frame's copy
 * is specialised for base 0. */
static inline __attribute__((always_inline)) int
plain_ipv4_at(const struct vx_decode_config *cfg, const uint8_t *d, uint32_t base, uint32_t lim_in,
	      uint32_t wlim_in, uint8_t depth, unsigned first, struct vx_packet *p)
{
	const uint8_t *e = d + base;
	uint32_t caplen = lim_in - base, wlim = wlim_in - base;
	if (caplen < 14 + 20 + 8 || e[12] != 0x08 || e[13] != 0x00 || e[14] != 0x45)
		return 0;
	const uint8_t *ip = e + 14, *l4 = e + 34;
	uint32_t total = vx_be16(ip + 2);
	if (total < 20 || total > wlim - 14 || (vx_be16(ip + 6) & 0x3fff))
		return 0;
	uint32_t wend = 14 + total, lim = caplen < wend ? caplen : wend, hlen;
	uint8_t proto = ip[9];
	uint16_t dport = vx_be16(l4 + 2);

	if (proto == 6) {
		if (lim < 34 + 20)
			return 0;
		hlen = (uint32_t)(l4[12] >> 4) * 4;
		if (hlen < 20 || 34 + hlen > lim)
			return 0;
		p->tcp_seq = vx_be32(l4 + 4);
		p->tcp_ack = vx_be32(l4 + 8);
		p->tcp_flags = l4[13];
		p->tcp_window = vx_be16(l4 + 14);
	} else if (proto == 17) {
		uint32_t ulen = vx_be16(l4 + 4);
		if (lim < 34 + 8 || ulen < 8 || ulen > wend - 34)
			return 0;
		for (unsigned i = 0; i < cfg->n_vxlan_ports; i++)
			if (cfg->vxlan_ports[i] == dport)
				return 0;
		if (cfg->geneve_port && dport == cfg->geneve_port)
			return 0;
		hlen = 8;
		wend = 34 + ulen;
		if (lim > wend)
			lim = wend;
	} else {
		return 0;
	}
	p->has_l3 = true;
	p->l3_off = base + 14;
	p->ip_len = (uint16_t)total;
	p->ttl = ip[8];
	p->key.family = 4;
	p->key.proto = proto;
	memcpy(p->key.src, ip + 12, 4);
	memcpy(p->key.dst, ip + 16, 4);
	p->key.sport = vx_be16(l4);
	p->key.dport = dport;
	p->first_fragment = true;
	p->has_ports = true;
	p->has_l4 = true;
	p->l4_off = base + 34;

	uint32_t off = 34 + hlen;
	p->payload_off = base + off;
	p->payload_caplen = lim > off ? lim - off : 0;
	p->payload_wirelen = wend > off ? wend - off : 0;
	struct vx_layer *l = &p->layers[first];
	l[0] = (struct vx_layer){.kind = VX_LAYER_ETH, .inner = depth, .len = 14, .off = base};
	l[1] = (struct vx_layer){.kind = VX_LAYER_IPV4, .inner = depth, .len = 20, .off = base + 14};
	l[2] = (struct vx_layer){.kind = proto == 6 ? VX_LAYER_TCP : VX_LAYER_UDP,
				 .inner = depth,
				 .len = (uint16_t)hlen,
				 .off = base + 34};
	p->nlayers = (uint8_t)(first + 3);
	if (lim > off) {
		uint32_t n = lim - off;
		l[3] = (struct vx_layer){.kind = VX_LAYER_PAYLOAD,
					 .inner = depth,
					 .len = n > 0xffff ? 0xffff : (uint16_t)n,
					 .off = base + off};
		p->nlayers = (uint8_t)(first + 4);
	}
	return 1;
}

static int decode_plain_ipv4(const struct vx_decode_config *cfg, const uint8_t *d,
			     uint32_t caplen, uint32_t wlim, struct vx_packet *p)
{
	return plain_ipv4_at(cfg, d, 0, caplen, wlim, 0, 0, p);
}

/* Mirrored traffic, decoded straight through: a plain Ethernet/IPv4/UDP
 * frame to a VXLAN port whose VXLAN header has the I flag, around a plain
 * frame as decode_plain_ipv4() takes them. The same contract: anything
 * else returns 0, having written nothing, and takes the general decoder. */
static __attribute__((noinline)) int decode_plain_vxlan(const struct vx_decode_config *cfg,
						       const uint8_t *d,
			      uint32_t caplen, uint32_t wlim, struct vx_packet *p)
{
	if (caplen < 50 || d[12] != 0x08 || d[13] != 0x00 || d[14] != 0x45 || d[23] != 17 ||
	    cfg->max_encap_depth < 1)
		return 0;
	uint32_t total = vx_be16(d + 16);
	if (total < 20 || total > wlim - 14 || (vx_be16(d + 20) & 0x3fff))
		return 0;
	uint32_t wend = 14 + total, lim = caplen < wend ? caplen : wend;
	uint32_t ulen = vx_be16(d + 38);
	uint16_t dport = vx_be16(d + 36);
	bool vxlan = false;
	for (unsigned i = 0; i < cfg->n_vxlan_ports; i++)
		vxlan |= cfg->vxlan_ports[i] == dport;
	if (!vxlan || ulen < 16 || ulen > wend - 34 || !(d[42] & 0x08))
		return 0;
	uint32_t udp_end = 34 + ulen;
	if (lim > udp_end)
		lim = udp_end;
	if (lim < 50 || !plain_ipv4_at(cfg, d, 50, lim, udp_end, 1, 4, p))
		return 0;
	p->layers[0] = (struct vx_layer){.kind = VX_LAYER_ETH, .len = 14, .off = 0};
	p->layers[1] = (struct vx_layer){.kind = VX_LAYER_IPV4, .len = 20, .off = 14};
	p->layers[2] = (struct vx_layer){.kind = VX_LAYER_UDP, .len = 8, .off = 34};
	p->layers[3] = (struct vx_layer){.kind = VX_LAYER_VXLAN, .len = 8, .off = 42};
	p->vni = (uint32_t)d[46] << 16 | (uint32_t)d[47] << 8 | d[48];
	p->encap_depth = 1;
	p->inner_off = 50;
	p->inner_link = VX_LINK_ETHERNET;
	return 1;
}

enum vx_status vx_decode(const struct vx_decode_config *cfg, enum vx_link link,
			 const uint8_t *data, uint32_t caplen, uint32_t wirelen,
			 struct vx_packet *p)
{
	struct vx_dstate st = {
		.cfg = cfg,
		.p = p,
		.d = data,
		.lim = caplen,
		.wlim = wirelen > caplen ? wirelen : caplen,
	};

	/* Only the scalar fields; layers[] is valid up to nlayers. */
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->status = VX_STATUS_OK;
	p->reason = VX_REASON_NONE;
	p->nlayers = 0;
	p->encap_depth = 0;
	p->vni = VX_VNI_NONE;
	p->inner_off = 0;
	p->inner_link = (uint8_t)link;
	p->has_l3 = p->has_l4 = p->has_ports = p->is_fragment = p->first_fragment = false;
	p->l3_off = p->l4_off = p->payload_off = 0;
	p->payload_caplen = p->payload_wirelen = 0;
	memset(&p->key, 0, sizeof(p->key));
	p->ip_len = 0;
	p->ttl = 0;
	p->tcp_flags = 0;
	p->tcp_seq = p->tcp_ack = 0;
	p->tcp_window = 0;
	p->icmp_type = p->icmp_code = 0;

	if (link == VX_LINK_ETHERNET && !cfg->general_only &&
	    (decode_plain_ipv4(cfg, data, caplen, st.wlim, p) ||
	     /* UDP in IPv4, if anything: the rest goes straight on. */
	     (caplen > 23 && data[23] == 17 && decode_plain_vxlan(cfg, data, caplen, st.wlim, p))))
		return VX_STATUS_OK;
	switch (link) {
	case VX_LINK_ETHERNET:
		vx_dec_ethernet(&st, 0);
		break;
	case VX_LINK_NULL:
		vx_dec_null(&st, 0);
		break;
	case VX_LINK_RAW:
		vx_dec_raw_ip(&st, 0);
		break;
	case VX_LINK_SLL:
		vx_dec_sll(&st, 0);
		break;
	case VX_LINK_VXLAN:
		vx_dec_vxlan(&st, 0);
		break;
	case VX_LINK_GENEVE:
		vx_dec_geneve(&st, 0);
		break;
	}
	return (enum vx_status)p->status;
}

size_t vx_addr_format(char *buf, size_t size, const uint8_t *addr, int family)
{
	if (family == 4) {
		/* By hand: this runs for every logged message. */
		char t[16];
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				t[n++] = (char)('0' + v / 100);
			if (v >= 10)
				t[n++] = (char)('0' + v / 10 % 10);
			t[n++] = (char)('0' + v % 10);
			t[n++] = '.';
		}
		n--; /* the last dot */
		if (size == 0)
			return 0;
		if (n >= size)
			n = size - 1;
		memcpy(buf, t, n);
		buf[n] = 0;
		return n;
	}
	if (family == 6 && inet_ntop(AF_INET6, addr, buf, (socklen_t)size))
		return strlen(buf);
	if (size)
		buf[0] = 0;
	return 0;
}
