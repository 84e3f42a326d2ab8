/* analyze — the analyzer's pipeline: frames from a source are decoded
 * (decapsulating VXLAN/Geneve) and the innermost frame goes through the
 * chosen stages: dump, HTTP log, pcap writer, flow logs. A summary of counters is
 * written on exit and on request (SIGUSR1), with those of the health-check
 * listener when there is one.
 */
#ifndef VXTAP_ANALYZE_H
#define VXTAP_ANALYZE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "vxtap/decode.h"
#include "vxtap/flowlog_stage.h"
#include "vxtap/health.h"
#include "vxtap/http.h"
#include "vxtap/source.h"

enum vx_dump_mode { VX_DUMP_NONE = 0, VX_DUMP_BRIEF, VX_DUMP_LAYERS };

struct vx_analyze_config {
	struct vx_decode_config decode;
	enum vx_dump_mode dump;
	bool http;
	bool json;       /* HTTP log as JSON lines */
	bool vxlan_only; /* stages see only frames that arrived VXLAN-encapsulated */
	const char *write_path;
	uint64_t rotate_bytes;
	uint32_t rotate_seconds;
	uint64_t max_frames;   /* stop after this many frames; 0 = no limit */
	uint32_t duration_sec; /* stop after this long (wall clock); 0 = no limit */
	int out_fd;            /* stage output */
	struct vx_http_config http_cfg;
	/* Health-check listener whose counters the summary shows; NULL: none.
	 * Owned by the caller, which closes it after the analyzer. */
	const struct vx_health *health;
	/* Flow logs of the traffic (vxtap/flowlog_stage.h); NULL: none. */
	const struct vx_flowlog_stage_options *flowlogs;
};

struct vx_analyze_stats {
	struct vx_decode_stats decode;
	uint64_t skipped_not_vxlan;   /* --vxlan-only */
	uint64_t write_not_ethernet;  /* innermost frame without Ethernet header, not written */
};

struct vx_analyzer;

void vx_analyze_config_default(struct vx_analyze_config *cfg);
struct vx_analyzer *vx_analyzer_create(const struct vx_analyze_config *cfg, int nanosecond,
				       char *err, size_t errlen);
/* Run one batch of frames of the given link type through decode and the stages. */
void vx_analyzer_frames(struct vx_analyzer *a, enum vx_link link, const struct vx_frame *frames,
			int n);
/* Read the source until it ends, *stop is set, or a limit is reached.
 * *report set: write the summary to summary_fd and clear it.
 * Returns 0, or -1 on a source read error (message in vx_source_error). */
int vx_analyzer_run(struct vx_analyzer *a, struct vx_source *src,
		    volatile sig_atomic_t *stop, volatile sig_atomic_t *report, int summary_fd);
void vx_analyzer_summary(struct vx_analyzer *a, struct vx_source *src, int fd);
/* Flush every stage's output; returns 0, or -1 if something could not be
 * written at any time during the run (vx_analyzer_write_error says what). */
int vx_analyzer_flush(struct vx_analyzer *a);
/* The output problem to report after vx_analyzer_flush() failed: a line
 * naming the file and the counter to look at. */
const char *vx_analyzer_write_error(struct vx_analyzer *a);
void vx_analyzer_stats(const struct vx_analyzer *a, struct vx_analyze_stats *out);
void vx_analyzer_destroy(struct vx_analyzer *a);

#endif
