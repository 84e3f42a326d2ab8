/* http — HTTP/1.x requests and responses from decoded TCP packets.
 *
 * Input:  decoded packets (struct vx_packet) in capture order.
 * Output: one struct vx_http_message per request or response header block,
 *         handed to a callback as soon as the header block is complete.
 *
 * Each TCP connection (keyed by its 5-tuple and VNI) has two directions; each
 * direction is reassembled in sequence order with a bounded buffer, so a
 * header block split over segments is found, and bodies (Content-Length or
 * chunked) are skipped to find the next pipelined message. Gaps, overflows
 * and evictions are counted and never fatal: the direction resynchronises on
 * the next segment that starts a message. Connections live in a fixed-size
 * table allocated once; the packet path does not allocate.
 */
#ifndef VXTAP_HTTP_H
#define VXTAP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxtap/decode.h"

/* A piece of a header block or a request line: pointer + length, not
 * NUL-terminated; len 0 when absent. Valid only during the callback. */
struct vx_http_str {
	const char *p;
	uint32_t len;
};

enum vx_http_kind { VX_HTTP_REQUEST, VX_HTTP_RESPONSE };

struct vx_http_message {
	enum vx_http_kind kind;
	struct vx_time ts;       /* time of the segment that completed the header block */
	uint32_t vni;            /* VX_VNI_NONE when not encapsulated */
	struct vx_flow_key key;  /* src/dst of this message's direction */
	struct vx_http_str method;  /* request */
	struct vx_http_str uri;     /* request */
	struct vx_http_str version; /* "HTTP/1.1" */
	uint16_t status;            /* response */
	struct vx_http_str reason;  /* response */
	struct vx_http_str host;
	struct vx_http_str user_agent;
	struct vx_http_str content_type;
	int64_t content_length; /* -1 when absent or invalid */
	bool chunked;
};

struct vx_http_stats {
	uint64_t requests;
	uint64_t responses;
	uint64_t tcp_segments;    /* TCP segments with payload looked at */
	uint64_t connections;     /* connections tracked */
	uint64_t gaps;            /* missing bytes in a direction (loss, capture cut) */
	uint64_t overflows;       /* header block or out-of-order data beyond the buffer */
	uint64_t parse_errors;    /* after HTTP messages, data where a message should start that is not HTTP */
	uint64_t not_http;        /* connections whose first data is not HTTP (TLS, SSH...): no longer watched */
	uint64_t evictions;       /* connections dropped because the table was full */
	uint64_t out_of_order;    /* segments ahead of the expected sequence, held */
};

struct vx_http_config {
	uint32_t max_connections; /* table capacity; default 65536 */
	uint32_t buffer_bytes;    /* per direction, for split headers and out-of-order data; default 16384 */
	uint32_t idle_seconds;    /* connections idle this long (packet time) are dropped; default 300 */
};

typedef void (*vx_http_callback)(void *ctx, const struct vx_http_message *m);

struct vx_http;

void vx_http_config_default(struct vx_http_config *cfg);
struct vx_http *vx_http_create(const struct vx_http_config *cfg, vx_http_callback cb, void *ctx);
/* Feed one decoded packet; non-TCP packets and packets without payload or
 * flags of interest are ignored cheaply. */
void vx_http_packet(struct vx_http *h, const struct vx_packet *p);
/* Optional: start loading the table entries the next n packets will need
 * (up to VX_HTTP_PREFETCH_MAX), then feed them one by one. Changes nothing. */
#define VX_HTTP_PREFETCH_MAX 64
void vx_http_prefetch(const struct vx_http *h, const struct vx_packet *pkts, int n);
void vx_http_stats(const struct vx_http *h, struct vx_http_stats *out);
void vx_http_destroy(struct vx_http *h);

/* Parse one complete header block (start line through the empty line).
 * Returns the block's length in bytes (> 0) when buf holds a complete block,
 * 0 when more bytes are needed, -1 when the bytes are not HTTP/1.x.
 * Fills m's start-line and header fields (pointers into buf). */
int vx_http_parse_head(const char *buf, size_t len, struct vx_http_message *m);

/* Log line writers (text or JSON lines) for the analyzer's --http stage. */
struct vx_out;
void vx_http_log_text(struct vx_out *o, const struct vx_http_message *m, int nanosecond);
void vx_http_log_json(struct vx_out *o, const struct vx_http_message *m, int nanosecond);

#endif
