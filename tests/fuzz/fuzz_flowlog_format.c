/* libFuzzer target: the flow-log LogFormat parser and the record renderer.
 *
 * The input up to the first NUL is the format text; the bytes after it fill
 * a record. When the format parses, the record is rendered into a buffer of
 * the documented maximum, then again into buffers of exactly the length
 * needed and one byte less (heap buffers, so an overrun is caught).
 *
 * Besides the sanitizers, it checks the contract: a rejected format comes
 * with a message; a line has one value per field separated by single spaces,
 * no control bytes, and ends in '\n'; a too-small buffer gives 0. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/flowlog_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads bytes from the input tail, zeros once it is used up. */
struct bytes {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct bytes *b, size_t width)
{
	uint64_t v = 0;
	for (size_t i = 0; i < width; i++) {
		v = v << 8 | (b->n ? *b->p : 0);
		if (b->n) {
			b->p++;
			b->n--;
		}
	}
	return v;
}

static void record_from(struct bytes *b, struct vx_flow_record *r)
{
	memset(r, 0, sizeof(*r));
	size_t idlen = take(b, 1) % (sizeof(r->interface_id) + 1);
	for (size_t i = 0; i < idlen; i++)
		r->interface_id[i] = (char)('a' + take(b, 1) % 26);
	r->log_status = (enum vx_flow_log_status)(take(b, 1) % 3);
	r->start = (int64_t)take(b, 8);
	r->end = (int64_t)take(b, 8);
	r->family = (uint8_t)take(b, 1) % 8;
	for (int i = 0; i < 16; i++) {
		r->srcaddr[i] = (uint8_t)take(b, 1);
		r->dstaddr[i] = (uint8_t)take(b, 1);
		r->pkt_srcaddr[i] = (uint8_t)take(b, 1);
		r->pkt_dstaddr[i] = (uint8_t)take(b, 1);
	}
	r->srcport = (uint16_t)take(b, 2);
	r->dstport = (uint16_t)take(b, 2);
	r->protocol = (uint8_t)take(b, 1);
	r->tcp_flags = (uint8_t)take(b, 1);
	r->tcp_flags_unknown = take(b, 1) & 1;
	r->packets = take(b, 8);
	r->bytes = take(b, 8);
	r->action = (enum vx_flow_action)(take(b, 1) % 2);
	r->direction = (enum vx_flow_direction)(take(b, 1) % 2);
	r->traffic_path = (uint8_t)take(b, 1);
	r->pkt_src_aws_service = (uint8_t)take(b, 1);
	r->pkt_dst_aws_service = (uint8_t)take(b, 1);
	r->encryption_status = (uint8_t)take(b, 1);
}

static void check_line(const char *line, size_t n, unsigned fields)
{
	if (n == 0 || line[n - 1] != '\n' || line[n] != '\0') {
		fprintf(stderr, "line not ended by a newline and a NUL\n");
		abort();
	}
	unsigned values = 1;
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f) {
			fprintf(stderr, "control byte 0x%02x in line: %s\n", c, line);
			abort();
		}
		if (c == ' ') {
			if (i == 0 || line[i - 1] == ' ' || i + 2 == n) {
				fprintf(stderr, "empty value in line: %s\n", line);
				abort();
			}
			values++;
		}
	}
	if (values != fields) {
		fprintf(stderr, "%u values for %u fields: %s\n", values, fields, line);
		abort();
	}
}

static void tight(const struct vx_flowlog_format *f, const struct vx_flow_record *r,
                  const struct vx_flow_meta *m, const char *want, size_t n)
{
	char *b = malloc(n + 1);
	if (!b)
		return;
	size_t got =
	    r ? vx_flowlog_render(f, r, m, b, n + 1) : vx_flowlog_format_header(f, b, n + 1);
	if (got != n || memcmp(b, want, n + 1)) {
		fprintf(stderr, "a buffer of the exact size gives another result\n");
		abort();
	}
	got = r ? vx_flowlog_render(f, r, m, b, n) : vx_flowlog_format_header(f, b, n);
	if (got != 0 || b[0] != '\0') {
		fprintf(stderr, "a buffer one byte short is not refused\n");
		abort();
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *text = malloc(tlen + 1);
	if (!text)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = '\0';

	struct vx_flowlog_format f;
	char err[256] = "";
	if (vx_flowlog_format_parse(text, &f, err, sizeof(err)) < 0) {
		if (!err[0]) {
			fprintf(stderr, "rejected without a message\n");
			abort();
		}
		free(text);
		return 0;
	}
	if (f.count == 0 || f.count > VX_FLOWLOG_FIELDS_MAX || f.version < 2 || f.version > 10) {
		fprintf(stderr, "bad compiled format: %u fields, version %u\n", f.count, f.version);
		abort();
	}

	static char line[VX_FLOWLOG_LINE_MAX];
	size_t n = vx_flowlog_format_header(&f, line, sizeof(line));
	check_line(line, n, f.count);
	tight(&f, NULL, NULL, line, n);

	struct bytes b = {nul ? nul + 1 : data + size, nul ? size - tlen - 1 : 0};
	struct vx_flow_record r;
	record_from(&b, &r);
	static const struct vx_flow_meta full = {
	    "123456789012",        "us-east-1", "vpc-0123456789abcdef0", "subnet-0123456789abcdef0",
	    "i-0123456789abcdef0", "use1-az1"};
	static const struct vx_flow_meta blank = {"", NULL, "", NULL, "", NULL};
	const struct vx_flow_meta *metas[] = {&full, &blank, NULL};
	for (size_t i = 0; i < sizeof(metas) / sizeof(metas[0]); i++) {
		n = vx_flowlog_render(&f, &r, metas[i], line, sizeof(line));
		check_line(line, n, f.count);
		tight(&f, &r, metas[i], line, n);
	}
	free(text);
	return 0;
}
