/* One flow log at work: meter → traffic type → format → sink (see
 * vxtap/flowlogger.h). */
#include "vxtap/flowlogger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/flowlog_format.h"
#include "vxtap/flowmeter.h"

enum traffic_type { TT_ALL, TT_ACCEPT, TT_REJECT };

struct vx_flowlogger {
	struct vx_flowlog_format format;
	enum traffic_type traffic;
	struct vx_meter *meter;
	struct vx_flowlog_sink *sink;
	char meta_text[6][64];
	struct vx_flow_meta meta;
	struct vx_flowlogger_stats stats;
	char line[VX_FLOWLOG_LINE_MAX];
};

static void on_record(const struct vx_flow_record *r, void *ctx)
{
	struct vx_flowlogger *l = ctx;
	if (r->log_status == VX_FLOW_OK &&
	    ((l->traffic == TT_ACCEPT && r->action != VX_FLOW_ACCEPT) ||
	     (l->traffic == TT_REJECT && r->action != VX_FLOW_REJECT))) {
		l->stats.records_filtered++;
		return;
	}
	size_t n = vx_flowlog_render(&l->format, r, &l->meta, l->line, sizeof(l->line));
	if (!n) {
		l->stats.records_too_long++;
		return;
	}
	l->stats.records_delivered++;
	vx_flowlog_sink_write(l->sink, r, l->line, n);
}

/* Tell the sink when windows have closed: its 5-minute files may be done. */
static void on_closed(int64_t next_start, void *ctx)
{
	struct vx_flowlogger *l = ctx;
	vx_flowlog_sink_advance(l->sink, next_start);
}

static const char *keep(struct vx_flowlogger *l, int slot, const char *value)
{
	if (!value || !*value)
		return NULL;
	snprintf(l->meta_text[slot], sizeof(l->meta_text[slot]), "%s", value);
	return l->meta_text[slot];
}

struct vx_flowlogger *vx_flowlogger_new(const struct vx_flowlogger_options *o, char *err,
					size_t errlen)
{
	struct vx_flowlogger *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char why[256];
	const char *fmt = o->log_format ? o->log_format : VX_FLOWLOG_DEFAULT_FORMAT;
	if (vx_flowlog_format_parse(fmt, &l->format, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "log format '%s' is not valid: %s", fmt, why);
		free(l);
		return NULL;
	}
	const char *tt = o->traffic_type ? o->traffic_type : "ALL";
	if (!strcmp(tt, "ACCEPT")) {
		l->traffic = TT_ACCEPT;
	} else if (!strcmp(tt, "REJECT")) {
		l->traffic = TT_REJECT;
	} else if (strcmp(tt, "ALL")) {
		snprintf(err, errlen, "traffic type '%s' is not valid (allowed: ALL, ACCEPT, REJECT)",
			 tt);
		free(l);
		return NULL;
	}
	l->meta = (struct vx_flow_meta){
		.account_id = keep(l, 0, o->account_id),
		.region = keep(l, 1, o->region),
		.vpc_id = keep(l, 2, o->vpc_id),
		.subnet_id = keep(l, 3, o->subnet_id),
		.instance_id = keep(l, 4, o->instance_id),
		.az_id = keep(l, 5, o->az_id),
	};
	char header[VX_FLOWLOG_LINE_MAX];
	vx_flowlog_format_header(&l->format, header, sizeof(header));
	struct vx_flowlog_sink_options so = o->sink;
	so.header = header;
	/* Every flow log of a log group writes an interface's records into one
	 * stream, "<eni>-all": an ACCEPT-only and a REJECT-only flow log
	 * together give all traffic there (SPEC.md §2.11). */
	so.traffic_type = "ALL";
	l->sink = vx_flowlog_sink_open(&so, err, errlen);
	struct vx_meter_options mo = {.max_flows = o->max_flows,
				      .interval_s = o->interval_s,
				      .seed = o->seed,
				      .emit = on_record,
				      .closed = on_closed,
				      .emit_ctx = l};
	if (l->sink)
		l->meter = vx_meter_new(&mo, err, errlen);
	if (!l->sink || !l->meter) {
		vx_flowlog_sink_close(l->sink);
		free(l);
		return NULL;
	}
	return l;
}

int vx_flowlogger_interface(struct vx_flowlogger *l, const char *interface_id,
			    const uint8_t primary_ipv4[4])
{
	return vx_meter_add_interface(l->meter, interface_id, primary_ipv4);
}

void vx_flowlogger_packet(struct vx_flowlogger *l, int iface, enum vx_flow_direction dir,
			  enum vx_flow_action action, const struct vx_packet *p)
{
	vx_flowlogger_packet_hashed(l, iface, dir, action, p, vx_meter_hash(l->meter, p));
}

int vx_flowlogger_share_nodata(struct vx_flowlogger *l, int iface, struct vx_meter_nodata *shared,
				bool writer)
{
	return vx_meter_share_nodata(l->meter, iface, shared, writer);
}

void vx_flowlogger_hash_batch(const struct vx_flowlogger *l, const struct vx_packet *pkts, int n,
			      uint64_t *hashes)
{
	vx_meter_hash_batch(l->meter, pkts, n, hashes);
}

void vx_flowlogger_packet_hashed(struct vx_flowlogger *l, int iface, enum vx_flow_direction dir,
				 enum vx_flow_action action, const struct vx_packet *p,
				 uint64_t hash)
{
	vx_meter_packet_hashed(l->meter, iface, dir, action, p, hash);
}

void vx_flowlogger_tick(struct vx_flowlogger *l, int64_t now_s)
{
	vx_meter_advance(l->meter, now_s);
}

int vx_flowlogger_flush(struct vx_flowlogger *l)
{
	vx_meter_flush(l->meter);
	int rc = vx_flowlog_sink_flush(l->sink);
	struct vx_flowlog_sink_stats ss;
	vx_flowlog_sink_get_stats(l->sink, &ss);
	return rc < 0 || ss.write_errors ? -1 : 0;
}

void vx_flowlogger_get_stats(const struct vx_flowlogger *l, struct vx_flowlogger_stats *own,
			     struct vx_meter_stats *meter, struct vx_flowlog_sink_stats *sink)
{
	if (own)
		*own = l->stats;
	if (meter)
		vx_meter_get_stats(l->meter, meter);
	if (sink)
		vx_flowlog_sink_get_stats(l->sink, sink);
}

const char *vx_flowlogger_error(const struct vx_flowlogger *l)
{
	return vx_flowlog_sink_error(l->sink);
}

int vx_flowlogger_close(struct vx_flowlogger *l)
{
	if (!l)
		return 0;
	int rc = vx_flowlogger_flush(l);
	vx_meter_free(l->meter);
	if (vx_flowlog_sink_close(l->sink) < 0)
		rc = -1;
	free(l);
	return rc;
}
