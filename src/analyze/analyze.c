/* The analyzer pipeline: source batches → decode → stages. */
#include "vxtap/analyze.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vxtap/dump.h"
#include "vxtap/out.h"
#include "vxtap/pcapwriter.h"

#define BATCH 64

struct vx_analyzer {
	struct vx_analyze_config cfg;
	int nanosecond;
	struct vx_out out;
	struct vx_http *http;
	struct vx_pcap_writer *writer;
	struct vx_flowlog_stage *flowlogs;
	struct vx_analyze_stats stats;
	uint64_t frame_no;
	struct vx_packet pkts[BATCH];
	uint32_t senders[BATCH]; /* the frames' UDP senders */
	uint64_t flow_hashes[BATCH]; /* the flow-log meter's, per packet */
	char errbuf[4352];
};

void vx_analyze_config_default(struct vx_analyze_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	vx_decode_config_default(&cfg->decode);
	vx_http_config_default(&cfg->http_cfg);
	cfg->out_fd = 1;
}

static void on_http(void *ctx, const struct vx_http_message *m)
{
	struct vx_analyzer *a = ctx;

	if (a->cfg.json)
		vx_http_log_json(&a->out, m, a->nanosecond);
	else
		vx_http_log_text(&a->out, m, a->nanosecond);
}

struct vx_analyzer *vx_analyzer_create(const struct vx_analyze_config *cfg, int nanosecond,
				       char *err, size_t errlen)
{
	struct vx_analyzer *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	a->nanosecond = nanosecond;
	if (vx_out_init(&a->out, cfg->out_fd, 1 << 20) < 0) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	if (cfg->http) {
		a->http = vx_http_create(&cfg->http_cfg, on_http, a);
		if (!a->http) {
			snprintf(err, errlen, "cannot allocate the HTTP connection table (%u connections)",
				 cfg->http_cfg.max_connections);
			vx_analyzer_destroy(a);
			return NULL;
		}
	}
	if (cfg->flowlogs) {
		a->flowlogs = vx_flowlog_stage_new(cfg->flowlogs, err, errlen);
		if (!a->flowlogs) {
			vx_analyzer_destroy(a);
			return NULL;
		}
	}
	if (cfg->write_path) {
		struct vx_pcap_writer_config wc = {
			.path = cfg->write_path,
			.snaplen = 262144,
			.nanosecond = nanosecond,
			.rotate_bytes = cfg->rotate_bytes,
			.rotate_seconds = cfg->rotate_seconds,
		};
		a->writer = vx_pcap_writer_open(&wc, err, errlen);
		if (!a->writer) {
			vx_analyzer_destroy(a);
			return NULL;
		}
	}
	return a;
}

void vx_analyzer_frames(struct vx_analyzer *a, enum vx_link link, const struct vx_frame *frames,
			int n)
{
	while (n > BATCH) {
		vx_analyzer_frames(a, link, frames, BATCH);
		frames += BATCH;
		n -= BATCH;
	}
	/* The whole batch is decoded first, so that the HTTP stage can start
	 * loading its table entries for all of it at once. */
	for (int i = 0; i < n; i++) {
		const struct vx_frame *f = &frames[i];
		struct vx_packet *p = &a->pkts[i];

		vx_decode(&a->cfg.decode, link, f->data, f->caplen, f->wirelen, p);
		p->ts = f->ts;
		a->senders[i] = f->sender_ipv4;
		vx_decode_stats_add(&a->stats.decode, p);
	}
	if (a->http)
		vx_http_prefetch(a->http, a->pkts, n);
	if (a->flowlogs)
		vx_flowlog_stage_hash_batch(a->flowlogs, a->pkts, n, a->flow_hashes);

	for (int i = 0; i < n; i++) {
		const struct vx_packet *p = &a->pkts[i];

		a->frame_no++;
		if (a->cfg.vxlan_only && p->vni == VX_VNI_NONE) {
			a->stats.skipped_not_vxlan++;
			continue;
		}
		if (a->cfg.dump == VX_DUMP_BRIEF)
			vx_dump_brief(&a->out, a->frame_no, p, a->nanosecond);
		else if (a->cfg.dump == VX_DUMP_LAYERS)
			vx_dump_layers(&a->out, a->frame_no, p, a->nanosecond);
		if (a->http)
			vx_http_packet(a->http, p);
		if (a->flowlogs)
			vx_flowlog_stage_packet_hashed(a->flowlogs, p, a->senders[i],
						       a->flow_hashes[i]);
		if (a->writer) {
			if (p->inner_link != VX_LINK_ETHERNET) {
				a->stats.write_not_ethernet++;
			} else {
				uint32_t off = p->inner_off;
				vx_pcap_writer_write(a->writer, &p->ts, p->data + off, p->caplen - off,
						     p->wirelen > off ? p->wirelen - off : 0);
			}
		}
	}
}

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int vx_analyzer_run(struct vx_analyzer *a, struct vx_source *src, volatile sig_atomic_t *stop,
		    volatile sig_atomic_t *report, int summary_fd)
{
	struct vx_frame frames[BATCH];
	enum vx_link link = vx_source_link(src);
	int is_file = vx_source_kind(src) == VX_SOURCE_FILE;
	/* A person may be watching: lines leave per batch. */
	int streaming = vx_source_streaming(src);
	double deadline = a->cfg.duration_sec ? now_sec() + a->cfg.duration_sec : 0;

	/* Once the reader of the stage output is gone (a pipe into head),
	 * reading on would only count write errors. */
	while (!*stop && !a->out.reader_gone) {
		int max = BATCH;
		if (a->cfg.max_frames) {
			uint64_t left = a->cfg.max_frames - a->stats.decode.packets;
			if (left == 0)
				break;
			if (left < (uint64_t)max)
				max = (int)left;
		}
		int n = vx_source_next(src, frames, max, 200);
		if (n > 0) {
			vx_analyzer_frames(a, link, frames, n);
			if (streaming)
				vx_out_flush(&a->out);
		} else if (n == VX_SOURCE_EOF) {
			break;
		} else if (n == VX_SOURCE_TIMEOUT) {
			/* Idle: what was captured so far becomes visible. */
			vx_out_flush(&a->out);
			if (a->writer)
				vx_pcap_writer_flush(a->writer);
		} else {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Live input: windows close on the clock, also when idle. */
		if (!is_file && a->flowlogs)
			vx_flowlog_stage_tick(a->flowlogs, (int64_t)time(NULL));
		if (*report) {
			*report = 0;
			vx_out_flush(&a->out);
			vx_analyzer_summary(a, src, summary_fd);
		}
		if (deadline && now_sec() >= deadline)
			break;
	}
	return 0;
}

int vx_analyzer_flush(struct vx_analyzer *a)
{
	int rc = 0;

	if (a->flowlogs && vx_flowlog_stage_flush(a->flowlogs) < 0)
		rc = -1;
	if (a->writer) {
		struct vx_pcap_writer_stats ws;
		if (vx_pcap_writer_flush(a->writer) < 0)
			rc = -1;
		vx_pcap_writer_stats(a->writer, &ws);
		if (ws.write_errors)
			rc = -1;
	}
	if (vx_out_flush(&a->out) < 0 || a->out.write_errors)
		rc = -1;
	return rc;
}

const char *vx_analyzer_write_error(struct vx_analyzer *a)
{
	if (a->flowlogs && *vx_flowlog_stage_error(a->flowlogs)) {
		snprintf(a->errbuf, sizeof(a->errbuf), "flow logs: %s (see flowlog.write_errors)",
			 vx_flowlog_stage_error(a->flowlogs));
		return a->errbuf;
	}
	if (a->writer) {
		struct vx_pcap_writer_stats ws;
		vx_pcap_writer_stats(a->writer, &ws);
		if (ws.write_errors) {
			snprintf(a->errbuf, sizeof(a->errbuf),
				 "%s (%" PRIu64 " write errors, see pcap.write_errors)",
				 vx_pcap_writer_error(a->writer), ws.write_errors);
			return a->errbuf;
		}
	}
	if (a->out.write_errors) {
		snprintf(a->errbuf, sizeof(a->errbuf),
			 "stage output could not be written (%" PRIu64
			 " write errors, see output.write_errors)",
			 a->out.write_errors);
		return a->errbuf;
	}
	return "";
}

void vx_analyzer_stats(const struct vx_analyzer *a, struct vx_analyze_stats *out)
{
	*out = a->stats;
}

static void reasons(struct vx_out *o, const struct vx_decode_stats *d, enum vx_status status)
{
	for (int r = 1; r < VX_REASON_COUNT; r++) {
		if (!d->by_reason[r] || vx_reason_status((enum vx_reason)r) != status)
			continue;
		vx_out_str(o, status == VX_STATUS_TRUNCATED ? "truncated." : "malformed.");
		vx_out_counter(o, vx_reason_name((enum vx_reason)r), d->by_reason[r]);
	}
}

void vx_analyzer_summary(struct vx_analyzer *a, struct vx_source *src, int fd)
{
	struct vx_out o;
	const struct vx_decode_stats *d = &a->stats.decode;

	if (vx_out_init(&o, fd, 8192) < 0)
		return;
	vx_out_str(&o, "# vxtap analyze summary\n");
	vx_out_counter(&o, "frames", d->packets);
	vx_out_counter(&o, "bytes", d->bytes);
	vx_out_counter(&o, "vxlan_frames", d->vxlan);
	vx_out_counter(&o, "non_vxlan_frames", d->non_vxlan);
	vx_out_counter(&o, "truncated", d->truncated);
	reasons(&o, d, VX_STATUS_TRUNCATED);
	vx_out_counter(&o, "malformed", d->malformed);
	reasons(&o, d, VX_STATUS_MALFORMED);
	if (a->cfg.vxlan_only)
		vx_out_counter(&o, "skipped_not_vxlan", a->stats.skipped_not_vxlan);
	if (src) {
		struct vx_source_stats ss;
		vx_source_stats(src, &ss);
		vx_out_counter(&o, "source.bad_records", ss.bad_records);
		if (vx_source_kind(src) != VX_SOURCE_FILE) {
			vx_out_counter(&o, "source.kernel_drops", ss.kernel_drops);
			vx_out_counter(&o, "source.oversize", ss.oversize);
		}
	}
	if (a->cfg.health) {
		struct vx_health_stats hs;
		vx_health_stats(a->cfg.health, &hs);
		vx_out_counter(&o, "health.checks", hs.checks);
		vx_out_counter(&o, "health.accept_errors", hs.accept_errors);
	}
	if (a->http) {
		struct vx_http_stats hs;
		vx_http_stats(a->http, &hs);
		vx_out_counter(&o, "http.requests", hs.requests);
		vx_out_counter(&o, "http.responses", hs.responses);
		vx_out_counter(&o, "http.connections", hs.connections);
		vx_out_counter(&o, "http.gaps", hs.gaps);
		vx_out_counter(&o, "http.out_of_order", hs.out_of_order);
		vx_out_counter(&o, "http.overflows", hs.overflows);
		vx_out_counter(&o, "http.parse_errors", hs.parse_errors);
		vx_out_counter(&o, "http.not_http", hs.not_http);
		vx_out_counter(&o, "http.evictions", hs.evictions);
	}
	if (a->writer) {
		struct vx_pcap_writer_stats ws;
		vx_pcap_writer_stats(a->writer, &ws);
		vx_out_counter(&o, "pcap.frames", ws.frames);
		vx_out_counter(&o, "pcap.files", ws.files);
		vx_out_counter(&o, "pcap.write_errors", ws.write_errors);
		vx_out_counter(&o, "pcap.not_ethernet", a->stats.write_not_ethernet);
	}
	if (a->flowlogs)
		vx_flowlog_stage_summary(a->flowlogs, &o);
	vx_out_counter(&o, "output.write_errors", a->out.write_errors);
	vx_out_free(&o);
}

void vx_analyzer_destroy(struct vx_analyzer *a)
{
	if (!a)
		return;
	if (a->http)
		vx_http_destroy(a->http);
	if (a->writer)
		vx_pcap_writer_close(a->writer);
	vx_flowlog_stage_free(a->flowlogs);
	vx_out_free(&a->out);
	free(a);
}
