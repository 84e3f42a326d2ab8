/* TCP: ports, sequence numbers, flags, header length with options. */
#include "internal.h"

void vx_dec_tcp(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	p->l4_off = off;
	/* Ports first: a snaplen cut inside the options still leaves a usable flow key. */
	if (!vx_dec_need(st, off, 4, VX_REASON_TRUNC_TCP, VX_REASON_SHORT_TCP))
		return;
	const uint8_t *h = st->d + off;
	p->key.sport = vx_be16(h);
	p->key.dport = vx_be16(h + 2);
	p->has_ports = true;
	if (!vx_dec_need(st, off, 20, VX_REASON_TRUNC_TCP, VX_REASON_SHORT_TCP))
		return;
	p->tcp_seq = vx_be32(h + 4);
	p->tcp_ack = vx_be32(h + 8);
	p->tcp_flags = h[13];
	p->tcp_window = vx_be16(h + 14);
	uint32_t hlen = (uint32_t)(h[12] >> 4) * 4;
	if (hlen < 20) {
		vx_dec_fail(st, VX_REASON_TCP_HDR_LEN);
		return;
	}
	if (!vx_dec_need(st, off, hlen, VX_REASON_TRUNC_TCP, VX_REASON_TCP_HDR_LEN))
		return;
	if (!vx_dec_layer(st, VX_LAYER_TCP, off, hlen))
		return;
	p->has_l4 = true;
	vx_dec_transport_payload(st, off + hlen);
	vx_dec_payload(st, off + hlen);
}
