/* Ethernet II and the ethertype dispatch shared by every layer-2 header. */
#include "internal.h"

#define ETH_HLEN 14

void vx_dec_ethernet(struct vx_dstate *st, uint32_t off)
{
	if (!vx_dec_need(st, off, ETH_HLEN, VX_REASON_TRUNC_ETH, VX_REASON_SHORT_ETH))
		return;
	if (!vx_dec_layer(st, VX_LAYER_ETH, off, ETH_HLEN))
		return;
	vx_dec_ethertype(st, vx_be16(st->d + off + 12), off + ETH_HLEN);
}

void vx_dec_ethertype(struct vx_dstate *st, uint16_t type, uint32_t off)
{
	switch (type) {
	case 0x0800:
		vx_dec_ipv4(st, off);
		break;
	case 0x86dd:
		vx_dec_ipv6(st, off);
		break;
	case 0x8100: /* 802.1Q */
	case 0x88a8: /* 802.1ad S-tag */
	case 0x9100: /* pre-standard QinQ */
		vx_dec_vlan(st, off);
		break;
	case 0x8847: /* MPLS unicast */
	case 0x8848: /* MPLS multicast */
		vx_dec_mpls(st, off);
		break;
	case 0x0806:
		vx_dec_arp(st, off);
		break;
	default:
		vx_dec_payload(st, off);
		break;
	}
}
