/* dump — text renderings of a decoded frame for people.
 *
 * Brief: one line per frame: number, time, VNI, innermost protocol and
 * endpoints, lengths, decode status.
 *   #7 1566848876.012345 vni=5569041 tcp 172.31.0.238:22 > 203.0.113.9:51012 len=110 cap=110 ok
 * Layered: the brief line, one indented line per layer with its fields (inner
 * layers indented one step per encapsulation), then the innermost frame in
 * hex and ASCII.
 */
#ifndef VXTAP_DUMP_H
#define VXTAP_DUMP_H

#include <stdint.h>

#include "vxtap/decode.h"

struct vx_out;

void vx_dump_brief(struct vx_out *o, uint64_t number, const struct vx_packet *p, int nanosecond);
void vx_dump_layers(struct vx_out *o, uint64_t number, const struct vx_packet *p, int nanosecond);
/* Hex and ASCII, 16 bytes a line, offsets from 0 (as tcpdump -X). */
void vx_dump_hex(struct vx_out *o, const uint8_t *data, uint32_t len);

#endif
