/* IPv4: header with options, total length, fragments. Only a first fragment
 * carries the transport header, so only it yields ports. */
#include "internal.h"

void vx_dec_ipv4(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	if (!vx_dec_need(st, off, 20, VX_REASON_TRUNC_IPV4, VX_REASON_SHORT_IPV4))
		return;
	const uint8_t *h = st->d + off;
	if (h[0] >> 4 != 4) {
		vx_dec_fail(st, VX_REASON_IPV4_VERSION);
		return;
	}
	uint32_t hlen = (uint32_t)(h[0] & 15) * 4;
	if (hlen < 20) {
		vx_dec_fail(st, VX_REASON_IPV4_HDR_LEN);
		return;
	}
	uint32_t total = vx_be16(h + 2);
	uint32_t wire_room = st->wlim - off;

	if (total == 0) {
		/* TSO and BIG TCP super-frames carry 0: the frame gives the length. */
		total = wire_room;
	} else if (total < hlen) {
		vx_dec_fail(st, VX_REASON_IPV4_TOTAL_LEN);
		return;
	} else if (total > wire_room) {
		/* Inside a tunnel the inner frame was cut by the sender (a mirror
		 * session's packet length): truncated. Outside, the frame is
		 * shorter than its header claims: malformed. Either way the
		 * bytes that are there still decode, as tcpdump does. */
		vx_dec_fail(st, st->cut_ok ? VX_REASON_INNER_CUT : VX_REASON_IPV4_TOTAL_LEN);
		if (!st->cut_ok)
			total = wire_room;
	}
	if (!vx_dec_need(st, off, hlen, VX_REASON_TRUNC_IPV4, VX_REASON_IPV4_HDR_LEN))
		return;
	if (!vx_dec_layer(st, VX_LAYER_IPV4, off, hlen))
		return;

	/* The IP payload ends where the total length says; Ethernet padding after it is not payload. */
	st->wlim = off + total;
	st->cut_ok = 0;
	if (st->lim > st->wlim)
		st->lim = st->wlim;

	p->has_l3 = true;
	p->l3_off = off;
	p->ip_len = (uint16_t)(total > 0xffff ? 0xffff : total);
	p->ttl = h[8];
	memset(&p->key, 0, sizeof(p->key));
	p->key.family = 4;
	p->key.proto = h[9];
	memcpy(p->key.src, h + 12, 4);
	memcpy(p->key.dst, h + 16, 4);

	uint16_t frag = vx_be16(h + 6);
	uint16_t frag_off = (uint16_t)((frag & 0x1fff) * 8);
	p->is_fragment = (frag & 0x2000) || frag_off;
	p->first_fragment = frag_off == 0;
	if (frag_off) {
		vx_dec_payload(st, off + hlen);
		return;
	}
	vx_dec_ipproto(st, h[9], off + hlen);
}

void vx_dec_ipproto(struct vx_dstate *st, uint8_t proto, uint32_t off)
{
	switch (proto) {
	case 6:
		vx_dec_tcp(st, off);
		break;
	case 17:
		vx_dec_udp(st, off);
		break;
	case 1:
		vx_dec_icmp(st, off);
		break;
	case 58:
		vx_dec_icmpv6(st, off);
		break;
	default:
		st->p->payload_off = off;
		vx_dec_transport_payload(st, off);
		vx_dec_payload(st, off);
		break;
	}
}
