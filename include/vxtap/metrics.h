/* Prometheus metrics: the daemon's status (what `vxtap status` prints) in
 * the text exposition format 0.0.4, for GET /metrics.
 *
 * Families (each with # HELP and # TYPE; a family with no sample is left
 * out), samples sorted by their labels:
 *   vxtap_daemon_up                          1 with a status, 0 without
 *   vxtap_daemon_generation, _reloads_total, _reload_failures_total,
 *   vxtap_daemon_start_time_seconds, _last_apply_time_seconds
 *   vxtap_session_info{session_id, network_interface_id, interface,
 *     session_number, vni, filter_id, target_id, target_type}  1
 *   vxtap_session_{mirrored_packets,mirrored_bytes,truncated_packets,
 *     filtered_out_packets}_total{session_id}
 *   vxtap_session_dropped_packets_total{session_id, reason}
 *   vxtap_source_{frames,kernel_drops,mirrored_packets,...}_total{interface},
 *   vxtap_source_capturing, vxtap_source_workers,
 *   vxtap_source_never_mirrored_packets_total{interface, reason}
 *   vxtap_target_member_healthy{address, port} 1/0, with its check counts
 *   vxtap_next_hop_link_layer{address} 1/0
 *   vxtap_flow_log_{packets,records,nodata,skipdata,...}_total{flow_log_id,
 *     interface}, summed over capture workers; _running, _peak_flows,
 *   _tracked_connections
 * Label values are escaped (\\, \", \n). */
#ifndef VXTAP_METRICS_H
#define VXTAP_METRICS_H

#include <jansson.h>

/* The exposition text (malloc'd; NULL when memory runs out). status may be
 * NULL (no daemon answered): then only vxtap_daemon_up 0. */
char *vx_metrics_render(json_t *status);

/* The Content-Type to serve it with. */
#define VX_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
