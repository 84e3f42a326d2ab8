/* VXLAN (RFC 7348): 8-byte header, I flag, 24-bit VNI, then an Ethernet frame.
 * Reserved bits are ignored on receipt as §5 of the RFC says (real senders set
 * them); a header without the I flag has no valid VNI and is not decapsulated,
 * as the Linux vxlan driver does. */
#include "internal.h"

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08

void vx_dec_vxlan(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	if (!vx_dec_need(st, off, VXLAN_HLEN, VX_REASON_TRUNC_VXLAN, VX_REASON_SHORT_VXLAN))
		return;
	const uint8_t *h = st->d + off;
	if (!vx_dec_layer(st, VX_LAYER_VXLAN, off, VXLAN_HLEN))
		return;
	if (!(h[0] & VXLAN_FLAG_I)) {
		vx_dec_fail(st, VX_REASON_VXLAN_NO_VNI);
		return;
	}
	uint32_t vni = (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6];
	if (!vx_dec_enter(st, off + VXLAN_HLEN, st->wlim))
		return;
	p->vni = vni;
	p->inner_link = VX_LINK_ETHERNET;
	vx_dec_ethernet(st, off + VXLAN_HLEN);
}
