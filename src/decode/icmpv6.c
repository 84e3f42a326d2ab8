/* ICMPv6: type and code. */
#include "internal.h"

void vx_dec_icmpv6(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	p->l4_off = off;
	if (!vx_dec_need(st, off, 4, VX_REASON_TRUNC_ICMPV6, VX_REASON_SHORT_ICMPV6))
		return;
	if (!vx_dec_layer(st, VX_LAYER_ICMPV6, off, 4))
		return;
	p->icmp_type = st->d[off];
	p->icmp_code = st->d[off + 1];
	p->has_l4 = true;
	vx_dec_transport_payload(st, off + 4);
	vx_dec_payload(st, off + 4);
}
