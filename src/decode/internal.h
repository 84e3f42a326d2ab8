/* Shared state of one decode pass; private to src/decode/. Each protocol
 * file decodes its header at an offset, records a layer and hands the rest
 * to the next protocol. */
#ifndef VXTAP_DECODE_INTERNAL_H
#define VXTAP_DECODE_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "vxtap/decode.h"

struct vx_dstate {
	const struct vx_decode_config *cfg;
	struct vx_packet *p;
	const uint8_t *d;
	uint32_t lim;  /* bytes usable by the current layer: captured and inside every enclosing length */
	uint32_t wlim; /* where the current layer ends according to the wire and enclosing lengths */
	uint8_t depth; /* encapsulations crossed so far */
	uint8_t vlan_tags;
	/* Inside a tunnel, until an inner IP header states its length, a frame
	 * that ends early was cut by the sender (a mirror session's packet
	 * length), not malformed. */
	uint8_t cut_ok;
};

static inline uint16_t vx_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t vx_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void vx_dec_fail(struct vx_dstate *st, enum vx_reason r);

/* 1 when n bytes at off can be read. Otherwise records why: bytes that exist
 * on the wire but were not captured make a truncated frame; bytes beyond
 * what the enclosing headers declare make a malformed one. */
static inline int vx_dec_need(struct vx_dstate *st, uint32_t off, uint32_t n, enum vx_reason trunc,
			      enum vx_reason shortr)
{
	uint64_t want = (uint64_t)off + n;

	if (want <= st->lim)
		return 1;
	vx_dec_fail(st, want <= st->wlim || st->cut_ok ? trunc : shortr);
	return 0;
}

/* Append a layer; 0 when the layer table is full (the frame is then
 * malformed). Inline: it runs for every header of every packet. */
static inline int vx_dec_layer(struct vx_dstate *st, enum vx_layer_kind kind, uint32_t off,
			       uint32_t len)
{
	struct vx_packet *p = st->p;

	if (p->nlayers == VX_MAX_LAYERS) {
		vx_dec_fail(st, VX_REASON_LAYERS_TOO_MANY);
		return 0;
	}
	struct vx_layer *l = &p->layers[p->nlayers++];
	l->kind = (uint8_t)kind;
	l->inner = st->depth;
	l->len = len > 0xffff ? 0xffff : (uint16_t)len;
	l->off = off;
	return 1;
}

/* Record whatever follows the last header as a payload layer. */
static inline void vx_dec_payload(struct vx_dstate *st, uint32_t off)
{
	if (st->lim > off)
		vx_dec_layer(st, VX_LAYER_PAYLOAD, off, st->lim - off);
}

void vx_dec_ethernet(struct vx_dstate *st, uint32_t off);
void vx_dec_ethertype(struct vx_dstate *st, uint16_t type, uint32_t off);
void vx_dec_vlan(struct vx_dstate *st, uint32_t off);
void vx_dec_mpls(struct vx_dstate *st, uint32_t off);
void vx_dec_arp(struct vx_dstate *st, uint32_t off);
void vx_dec_null(struct vx_dstate *st, uint32_t off);
void vx_dec_sll(struct vx_dstate *st, uint32_t off);
void vx_dec_raw_ip(struct vx_dstate *st, uint32_t off);
void vx_dec_ipv4(struct vx_dstate *st, uint32_t off);
void vx_dec_ipv6(struct vx_dstate *st, uint32_t off);
void vx_dec_ipproto(struct vx_dstate *st, uint8_t proto, uint32_t off);
void vx_dec_tcp(struct vx_dstate *st, uint32_t off);
void vx_dec_udp(struct vx_dstate *st, uint32_t off);
void vx_dec_icmp(struct vx_dstate *st, uint32_t off);
void vx_dec_icmpv6(struct vx_dstate *st, uint32_t off);
void vx_dec_vxlan(struct vx_dstate *st, uint32_t off);
void vx_dec_geneve(struct vx_dstate *st, uint32_t off);

/* Enter an encapsulated frame that starts at off and whose declared end
 * (from the enclosing UDP length) is end. 0 when the depth limit is hit. */
int vx_dec_enter(struct vx_dstate *st, uint32_t off, uint32_t end);

/* Fill the transport payload fields for a header that ends at off. */
static inline void vx_dec_transport_payload(struct vx_dstate *st, uint32_t off)
{
	struct vx_packet *p = st->p;

	p->payload_off = off;
	p->payload_caplen = st->lim > off ? st->lim - off : 0;
	p->payload_wirelen = st->wlim > off ? st->wlim - off : 0;
}

#endif
