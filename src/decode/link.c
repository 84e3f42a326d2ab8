/* Non-Ethernet link headers: BSD loopback (DLT_NULL/DLT_LOOP), Linux cooked
 * capture (DLT_LINUX_SLL) and raw IP (DLT_RAW). */
#include "internal.h"

void vx_dec_null(struct vx_dstate *st, uint32_t off)
{
	if (!vx_dec_need(st, off, 4, VX_REASON_TRUNC_LINK, VX_REASON_SHORT_LINK))
		return;
	if (!vx_dec_layer(st, VX_LAYER_NULL, off, 4))
		return;
	/* The family is in the byte order of the machine that captured, so
	 * accept either; IPv6 values differ between BSDs (24, 28, 30) and Linux (10). */
	const uint8_t *b = st->d + off;
	uint32_t le = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	uint32_t be = vx_be32(b);
	uint32_t fam = le < 256 ? le : be;

	switch (fam) {
	case 2:
		vx_dec_ipv4(st, off + 4);
		break;
	case 10:
	case 24:
	case 28:
	case 30:
		vx_dec_ipv6(st, off + 4);
		break;
	default:
		vx_dec_fail(st, VX_REASON_LINK_FAMILY);
		break;
	}
}

void vx_dec_sll(struct vx_dstate *st, uint32_t off)
{
	if (!vx_dec_need(st, off, 16, VX_REASON_TRUNC_LINK, VX_REASON_SHORT_LINK))
		return;
	if (!vx_dec_layer(st, VX_LAYER_SLL, off, 16))
		return;
	vx_dec_ethertype(st, vx_be16(st->d + off + 14), off + 16);
}

void vx_dec_raw_ip(struct vx_dstate *st, uint32_t off)
{
	if (!vx_dec_need(st, off, 1, VX_REASON_TRUNC_LINK, VX_REASON_SHORT_LINK))
		return;
	switch (st->d[off] >> 4) {
	case 4:
		vx_dec_ipv4(st, off);
		break;
	case 6:
		vx_dec_ipv6(st, off);
		break;
	default:
		vx_dec_fail(st, VX_REASON_LINK_FAMILY);
		break;
	}
}
