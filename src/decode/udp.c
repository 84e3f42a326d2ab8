/* UDP, and the hand-off to VXLAN or Geneve by destination port. */
#include "internal.h"

static int is_vxlan_port(const struct vx_decode_config *cfg, uint16_t port)
{
	for (unsigned i = 0; i < cfg->n_vxlan_ports; i++)
		if (cfg->vxlan_ports[i] == port)
			return 1;
	return 0;
}

void vx_dec_udp(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	p->l4_off = off;
	if (!vx_dec_need(st, off, 8, VX_REASON_TRUNC_UDP, VX_REASON_SHORT_UDP))
		return;
	const uint8_t *h = st->d + off;
	p->key.sport = vx_be16(h);
	p->key.dport = vx_be16(h + 2);
	p->has_ports = true;
	uint32_t ulen = vx_be16(h + 4);
	uint32_t wire_room = st->wlim - off;

	if (p->is_fragment) {
		/* The length covers the whole datagram, not this fragment. */
		ulen = wire_room;
	} else if (ulen == 0) {
		/* BIG TCP / GSO super-frames and IPv6 jumbograms carry 0. */
		ulen = wire_room;
	} else if (ulen < 8) {
		vx_dec_fail(st, VX_REASON_UDP_LEN);
		return;
	} else if (ulen > wire_room) {
		vx_dec_fail(st, VX_REASON_UDP_LEN);
		return;
	}
	if (!vx_dec_layer(st, VX_LAYER_UDP, off, 8))
		return;
	p->has_l4 = true;
	st->wlim = off + ulen;
	if (st->lim > st->wlim)
		st->lim = st->wlim;
	vx_dec_transport_payload(st, off + 8);

	if (!p->is_fragment) {
		if (is_vxlan_port(st->cfg, p->key.dport)) {
			vx_dec_vxlan(st, off + 8);
			return;
		}
		if (st->cfg->geneve_port && p->key.dport == st->cfg->geneve_port) {
			vx_dec_geneve(st, off + 8);
			return;
		}
	}
	vx_dec_payload(st, off + 8);
}
