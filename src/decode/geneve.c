/* Geneve (RFC 8926), as a Gateway Load Balancer wraps mirrored VXLAN: 8-byte
 * header plus options, then an Ethernet frame or an IP packet. */
#include "internal.h"

void vx_dec_geneve(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	if (!vx_dec_need(st, off, 8, VX_REASON_TRUNC_GENEVE, VX_REASON_SHORT_GENEVE))
		return;
	const uint8_t *h = st->d + off;
	if (h[0] >> 6 != 0) {
		vx_dec_fail(st, VX_REASON_GENEVE_VERSION);
		return;
	}
	uint32_t hlen = 8 + (uint32_t)(h[0] & 0x3f) * 4;
	if (!vx_dec_need(st, off, hlen, VX_REASON_TRUNC_GENEVE, VX_REASON_SHORT_GENEVE))
		return;
	if (!vx_dec_layer(st, VX_LAYER_GENEVE, off, hlen))
		return;
	uint16_t type = vx_be16(h + 2);
	if (type != 0x6558 && type != 0x0800 && type != 0x86dd) {
		vx_dec_payload(st, off + hlen);
		return;
	}
	if (!vx_dec_enter(st, off + hlen, st->wlim))
		return;
	if (type == 0x6558) {
		p->inner_link = VX_LINK_ETHERNET;
		vx_dec_ethernet(st, off + hlen);
	} else {
		p->inner_link = VX_LINK_RAW;
		vx_dec_ethertype(st, type, off + hlen);
	}
}
