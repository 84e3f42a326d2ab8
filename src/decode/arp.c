/* ARP: fixed 8-byte header plus two hardware and two protocol addresses. */
#include "internal.h"

void vx_dec_arp(struct vx_dstate *st, uint32_t off)
{
	if (!vx_dec_need(st, off, 8, VX_REASON_TRUNC_ARP, VX_REASON_SHORT_ARP))
		return;
	uint32_t len = 8 + 2u * (st->d[off + 4] + st->d[off + 5]);
	if (!vx_dec_need(st, off, len, VX_REASON_TRUNC_ARP, VX_REASON_SHORT_ARP))
		return;
	if (!vx_dec_layer(st, VX_LAYER_ARP, off, len))
		return;
	vx_dec_payload(st, off + len);
}
