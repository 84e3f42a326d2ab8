/* IPv6 and its extension-header chain (hop-by-hop, routing, destination
 * options, fragment, AH, mobility), bounded in length. */
#include "internal.h"

#define IPV6_MAX_EXT 8

void vx_dec_ipv6(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	if (!vx_dec_need(st, off, 40, VX_REASON_TRUNC_IPV6, VX_REASON_SHORT_IPV6))
		return;
	const uint8_t *h = st->d + off;
	if (h[0] >> 4 != 6) {
		vx_dec_fail(st, VX_REASON_IPV6_VERSION);
		return;
	}
	uint32_t plen = vx_be16(h + 4);
	uint32_t wire_room = st->wlim - off - 40;

	if (plen == 0) {
		/* Jumbogram / BIG TCP: the hop-by-hop jumbo option or the frame
		 * gives the length; the frame is what we can trust here. */
		plen = wire_room;
	} else if (plen > wire_room) {
		/* As for IPv4: truncated inside a tunnel, malformed outside;
		 * decode what is there. */
		vx_dec_fail(st, st->cut_ok ? VX_REASON_INNER_CUT : VX_REASON_IPV6_PAYLOAD_LEN);
		if (!st->cut_ok)
			plen = wire_room;
	}
	if (!vx_dec_layer(st, VX_LAYER_IPV6, off, 40))
		return;
	st->wlim = off + 40 + plen;
	st->cut_ok = 0;
	if (st->lim > st->wlim)
		st->lim = st->wlim;

	p->has_l3 = true;
	p->l3_off = off;
	p->ip_len = (uint16_t)(40 + plen > 0xffff ? 0xffff : 40 + plen);
	p->ttl = h[7];
	p->key.family = 6;
	memcpy(p->key.src, h + 8, 16);
	memcpy(p->key.dst, h + 24, 16);
	p->key.sport = p->key.dport = 0;

	uint8_t next = h[6];
	off += 40;
	for (int n = 0;; n++) {
		uint32_t len;
		enum vx_layer_kind kind = VX_LAYER_IPV6_EXT;

		switch (next) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 51:  /* AH */
			break;
		case 44: /* fragment */
			kind = VX_LAYER_IPV6_FRAG;
			break;
		default:
			p->key.proto = next;
			vx_dec_ipproto(st, next, off);
			return;
		}
		if (n == IPV6_MAX_EXT) {
			vx_dec_fail(st, VX_REASON_IPV6_EXT_CHAIN);
			return;
		}
		if (!vx_dec_need(st, off, 8, VX_REASON_TRUNC_IPV6_EXT, VX_REASON_SHORT_IPV6_EXT))
			return;
		const uint8_t *e = st->d + off;
		if (kind == VX_LAYER_IPV6_FRAG)
			len = 8;
		else if (next == 51)
			len = ((uint32_t)e[1] + 2) * 4;
		else
			len = ((uint32_t)e[1] + 1) * 8;
		if (!vx_dec_need(st, off, len, VX_REASON_TRUNC_IPV6_EXT, VX_REASON_SHORT_IPV6_EXT))
			return;
		if (!vx_dec_layer(st, kind, off, len))
			return;
		if (kind == VX_LAYER_IPV6_FRAG) {
			uint16_t fo = vx_be16(e + 2);
			uint16_t frag_off = fo & 0xfff8;
			/* An atomic fragment (offset 0, no more fragments) is a whole packet. */
			p->is_fragment = frag_off || (fo & 1);
			p->first_fragment = frag_off == 0;
			if (frag_off) {
				p->key.proto = e[0];
				vx_dec_payload(st, off + len);
				return;
			}
		}
		next = e[0];
		off += len;
	}
}
