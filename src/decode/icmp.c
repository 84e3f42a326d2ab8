/* ICMP (IPv4): type and code; no ports (flow keys keep 0/0 as flow logs do). */
#include "internal.h"

void vx_dec_icmp(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	p->l4_off = off;
	if (!vx_dec_need(st, off, 8, VX_REASON_TRUNC_ICMP, VX_REASON_SHORT_ICMP))
		return;
	if (!vx_dec_layer(st, VX_LAYER_ICMP, off, 8))
		return;
	p->icmp_type = st->d[off];
	p->icmp_code = st->d[off + 1];
	p->has_l4 = true;
	vx_dec_transport_payload(st, off + 8);
	vx_dec_payload(st, off + 8);
}
