/* flowlogger — one flow log at work: decoded packets in, delivered records
 * out. It ties the meter (vxtap/flowmeter.h), the record format
 * (vxtap/flowlog_format.h) and a sink (vxtap/flowlog_sink.h) together and
 * applies the flow log's traffic type (SPEC.md §2.1).
 *
 * Input:  interfaces (eni- ID and primary IPv4), then per packet the
 *         interface, direction and action; a clock tick for live capture.
 * Work:   records of the traffic type (ACCEPT, REJECT or ALL; NODATA and
 *         SKIPDATA always) are rendered and handed to the sink; when a
 *         window closes, the sink may publish the 5-minute files it ended.
 * Output: the sink's files or lines, and counters. */
#ifndef VXTAP_FLOWLOGGER_H
#define VXTAP_FLOWLOGGER_H

#include <stdbool.h>
#include <stdint.h>

#include "vxtap/decode.h"
#include "vxtap/flowlog.h"
#include "vxtap/flowlog_sink.h"
#include "vxtap/flowmeter.h"

struct vx_flowlogger_options {
	const char *log_format;	  /* ${field} list; NULL: the default format */
	uint32_t interval_s;	  /* MaxAggregationInterval: 60 or 600; 0: 600 */
	const char *traffic_type; /* ALL, ACCEPT or REJECT; NULL: ALL */
	uint32_t max_flows;	  /* the meter's table; 0: 1,000,000 */
	uint64_t seed;		  /* the meter's hash seed; 0: random */
	/* The host identity the records show (copied). */
	const char *account_id, *region, *vpc_id, *subnet_id, *instance_id, *az_id;
	/* Where records go; its header is set from the format. */
	struct vx_flowlog_sink_options sink;
};

struct vx_flowlogger_stats {
	uint64_t records_delivered; /* handed to the sink */
	uint64_t records_filtered;  /* not of the flow log's traffic type */
	uint64_t records_too_long;  /* a line over VX_FLOWLOG_LINE_MAX: counted, not written */
};

struct vx_flowlogger;

/* NULL with a reason in err naming the option, the value and what is allowed. */
struct vx_flowlogger *vx_flowlogger_new(const struct vx_flowlogger_options *o, char *err,
					size_t errlen);

/* Register an interface (see vx_meter_add_interface); its index or -1. */
int vx_flowlogger_interface(struct vx_flowlogger *l, const char *interface_id,
			    const uint8_t primary_ipv4[4]);

void vx_flowlogger_packet(struct vx_flowlogger *l, int iface, enum vx_flow_direction dir,
			  enum vx_flow_action action, const struct vx_packet *p);
/* NODATA decided with the other loggers of the interface: see
 * vx_meter_share_nodata(). */
int vx_flowlogger_share_nodata(struct vx_flowlogger *l, int iface, struct vx_meter_nodata *shared,
				bool writer);

/* A batch: see vx_meter_hash_batch() and vx_meter_packet_hashed(). */
void vx_flowlogger_hash_batch(const struct vx_flowlogger *l, const struct vx_packet *pkts, int n,
			      uint64_t *hashes);
void vx_flowlogger_packet_hashed(struct vx_flowlogger *l, int iface, enum vx_flow_direction dir,
				 enum vx_flow_action action, const struct vx_packet *p,
				 uint64_t hash);

/* Live capture: close the windows that ended by now_s (Unix seconds). */
void vx_flowlogger_tick(struct vx_flowlogger *l, int64_t now_s);

/* Close the open window and publish everything. 0, or -1 if the sink failed
 * at any time (vx_flowlogger_error says where). */
int vx_flowlogger_flush(struct vx_flowlogger *l);

/* Counters of the flowlogger, its meter and its sink. */
void vx_flowlogger_get_stats(const struct vx_flowlogger *l, struct vx_flowlogger_stats *own,
			     struct vx_meter_stats *meter, struct vx_flowlog_sink_stats *sink);
const char *vx_flowlogger_error(const struct vx_flowlogger *l);

/* Flush (see above) and free; returns what the flush returned. */
int vx_flowlogger_close(struct vx_flowlogger *l);

#endif
