/* libFuzzer target: the decoder and the layered dump on arbitrary bytes, and
 * the decoder's shortcut for plain frames against its general path (they
 * must agree on every field). Byte 0 picks the link type and decoder
 * settings, byte 1 how much longer the frame claims to have been on the
 * wire; the rest is the frame. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vxtap/decode.h"
#include "vxtap/dump.h"
#include "vxtap/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vx_out out;
	static int ready;
	struct vx_decode_config cfg;
	static struct vx_packet pkt, general;

	if (size < 2)
		return 0;
	if (!ready) {
		vx_out_init(&out, open("/dev/null", O_WRONLY), 1 << 16);
		ready = 1;
	}
	vx_decode_config_default(&cfg);
	cfg.max_encap_depth = (uint8_t)(1 + (data[0] >> 4) % 8);
	if (data[0] & 8)
		cfg.vxlan_ports[cfg.n_vxlan_ports++] = 8472;
	enum vx_link link = (enum vx_link)(data[0] % 6);
	uint32_t caplen = (uint32_t)(size - 2);
	uint32_t wirelen = caplen + data[1];

	memset(&pkt, 0xa5, sizeof(pkt)); /* a field left alone by one path shows */
	memset(&general, 0xa5, sizeof(general));
	vx_decode(&cfg, link, data + 2, caplen, wirelen, &pkt);
	cfg.general_only = true;
	vx_decode(&cfg, link, data + 2, caplen, wirelen, &general);
	if (memcmp(&pkt, &general, sizeof(pkt)) != 0)
		abort();
	vx_dump_layers(&out, 1, &pkt, data[1] & 1);
	out.len = 0; /* keep the buffer from being written each run */
	return 0;
}
