/* libFuzzer target: the HTTP header parser, the log writers and the stream
 * engine (reassembly, framing, resynchronisation) on arbitrary input.
 *
 * Byte 0 picks the table and buffer sizes. The rest is parsed as a header
 * block once, then replayed as a script of TCP segments:
 *   [ctl][flags][seq delta hi][seq delta lo][len] then len payload bytes
 * ctl bit 0: direction; bits 1-2: which of four client ports (connections);
 * bit 3: capture cuts the segment in half. The sequence delta is signed and
 * relative to the direction's last sequence, so holes, overlaps and
 * retransmissions all occur. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vxtap/decode.h"
#include "vxtap/http.h"
#include "vxtap/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vx_out out;

static void on_message(void *ctx, const struct vx_http_message *m)
{
	(void)ctx;
	vx_http_log_text(&out, m, 0);
	vx_http_log_json(&out, m, 1);
	out.len = 0; /* keep the buffer from being written each run */
}

static const uint8_t CLI[4] = {10, 0, 0, 1};
static const uint8_t SRV[4] = {10, 0, 0, 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vx_http_message m;

	if (size < 1)
		return 0;
	if (!ready) {
		vx_out_init(&out, open("/dev/null", O_WRONLY), 1 << 16);
		ready = 1;
	}

	memset(&m, 0, sizeof(m));
	if (vx_http_parse_head((const char *)data + 1, size - 1, &m) > 0)
		on_message(NULL, &m);

	struct vx_http_config cfg;
	vx_http_config_default(&cfg);
	cfg.max_connections = 1u + (data[0] & 3);
	cfg.buffer_bytes = 64u << ((data[0] >> 2) & 3);
	struct vx_http *h = vx_http_create(&cfg, on_message, NULL);
	if (!h)
		return 0;

	uint32_t last_seq[2][4] = {{1000, 1000, 1000, 1000}, {5000, 5000, 5000, 5000}};
	size_t i = 1;
	uint32_t tick = 0;
	while (i + 5 <= size) {
		uint8_t ctl = data[i];
		uint8_t flags = data[i + 1];
		int16_t delta = (int16_t)((data[i + 2] << 8) | data[i + 3]);
		uint32_t len = data[i + 4];
		i += 5;
		if (len > size - i)
			len = (uint32_t)(size - i);
		int dir = ctl & 1;
		int conn = (ctl >> 1) & 3;

		struct vx_packet p;
		memset(&p, 0, sizeof(p));
		p.data = data + i;
		p.caplen = (ctl & 8) ? len / 2 : len;
		p.wirelen = len;
		p.payload_off = 0;
		p.payload_caplen = p.caplen;
		p.payload_wirelen = len;
		p.ts.sec = tick++ / 4;
		p.vni = VX_VNI_NONE;
		p.has_l3 = true;
		p.has_l4 = true;
		p.key.family = 4;
		p.key.proto = 6;
		memcpy(p.key.src, dir ? SRV : CLI, 4);
		memcpy(p.key.dst, dir ? CLI : SRV, 4);
		p.key.sport = dir ? 80 : (uint16_t)(40000 + conn);
		p.key.dport = dir ? (uint16_t)(40000 + conn) : 80;
		last_seq[dir][conn] += (uint32_t)(int32_t)delta;
		p.tcp_seq = last_seq[dir][conn];
		p.tcp_ack = last_seq[!dir][conn] + (uint32_t)(flags >> 5);
		p.tcp_flags = flags;
		vx_http_packet(h, &p);
		i += len;
	}
	vx_http_destroy(h);
	return 0;
}
