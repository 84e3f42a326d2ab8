/* pcapwriter — writes frames to classic pcap files (Ethernet link type),
 * buffered, with optional rotation by size or by capture time.
 *
 * Rotation names: without rotation the file is PATH. With rotation the files
 * are STEM.00000.EXT, STEM.00001.EXT, ... where PATH = STEM.EXT (".pcap" if
 * PATH has no extension). Time rotation uses packet timestamps, so replaying
 * the same input gives the same files.
 *
 * By size: a frame that would take the file past rotate_bytes starts the next
 * file, unless the current file holds no frame yet (one frame bigger than the
 * limit gets a file of its own). By time: periods are aligned to multiples of
 * rotate_seconds since the epoch; a frame whose second lies at or past the
 * end of the period of the current file's first frame starts the next file
 * (no empty files for idle periods; a frame older than the period stays).
 * The first file is created by vx_pcap_writer_open(), so that a bad path is
 * reported at once.
 */
#ifndef VXTAP_PCAPWRITER_H
#define VXTAP_PCAPWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "vxtap/decode.h"

struct vx_pcap_writer_config {
	const char *path;
	uint32_t snaplen;        /* written in the file header; frames are not cut further */
	int nanosecond;          /* write the nanosecond pcap magic */
	uint64_t rotate_bytes;   /* 0 = never by size */
	uint32_t rotate_seconds; /* 0 = never by time */
};

struct vx_pcap_writer_stats {
	uint64_t frames;
	uint64_t bytes; /* bytes written to files, headers included */
	uint32_t files;
	uint64_t write_errors;
};

struct vx_pcap_writer;

struct vx_pcap_writer *vx_pcap_writer_open(const struct vx_pcap_writer_config *cfg, char *err,
					   size_t errlen);
/* Append one frame. Returns 0, or -1 after a write error (counted; the writer
 * keeps trying with the next frame). */
int vx_pcap_writer_write(struct vx_pcap_writer *w, const struct vx_time *ts, const uint8_t *data,
			 uint32_t caplen, uint32_t wirelen);
int vx_pcap_writer_flush(struct vx_pcap_writer *w);
void vx_pcap_writer_stats(const struct vx_pcap_writer *w, struct vx_pcap_writer_stats *out);
/* The last write or open error, naming the file; "" when there was none. */
const char *vx_pcap_writer_error(const struct vx_pcap_writer *w);
/* Flush and close; returns 0 or -1 if the final flush failed. */
int vx_pcap_writer_close(struct vx_pcap_writer *w);

/* Parse "100M", "1G", "500k" (bytes) or "60s", "5m", "1h" (seconds) for --rotate.
 * Units: k/K, M, G are powers of 1024, a bare number is bytes; s, m, h.
 * Sets only *bytes or only *seconds; returns 0, or -1 for anything else,
 * zero, or a value that overflows. */
int vx_parse_rotate(const char *text, uint64_t *bytes, uint32_t *seconds);

#endif
