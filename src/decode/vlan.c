/* 802.1Q / 802.1ad tags: each tag is its own layer. */
#include "internal.h"

#define VLAN_TAG_LEN 4
#define VLAN_MAX_TAGS 4

void vx_dec_vlan(struct vx_dstate *st, uint32_t off)
{
	if (st->vlan_tags == VLAN_MAX_TAGS) {
		vx_dec_fail(st, VX_REASON_VLAN_TOO_DEEP);
		return;
	}
	if (!vx_dec_need(st, off, VLAN_TAG_LEN, VX_REASON_TRUNC_VLAN, VX_REASON_SHORT_VLAN))
		return;
	if (!vx_dec_layer(st, VX_LAYER_VLAN, off, VLAN_TAG_LEN))
		return;
	st->vlan_tags++;
	vx_dec_ethertype(st, vx_be16(st->d + off + 2), off + VLAN_TAG_LEN);
}
