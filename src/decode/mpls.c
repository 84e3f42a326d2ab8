/* MPLS label stack, recorded as one layer; what follows the bottom label is
 * guessed from the IP version nibble, as MPLS carries no next-protocol field. */
#include "internal.h"

#define MPLS_MAX_LABELS 8

void vx_dec_mpls(struct vx_dstate *st, uint32_t off)
{
	uint32_t n = 0;

	for (;;) {
		if (n == MPLS_MAX_LABELS) {
			vx_dec_fail(st, VX_REASON_MPLS_TOO_DEEP);
			return;
		}
		if (!vx_dec_need(st, off + 4 * n, 4, VX_REASON_TRUNC_MPLS, VX_REASON_SHORT_MPLS))
			return;
		int bottom = st->d[off + 4 * n + 2] & 1;
		n++;
		if (bottom)
			break;
	}
	if (!vx_dec_layer(st, VX_LAYER_MPLS, off, 4 * n))
		return;
	off += 4 * n;
	if (off >= st->lim) {
		vx_dec_payload(st, off);
		return;
	}
	switch (st->d[off] >> 4) {
	case 4:
		vx_dec_ipv4(st, off);
		break;
	case 6:
		vx_dec_ipv6(st, off);
		break;
	default:
		vx_dec_payload(st, off);
		break;
	}
}
