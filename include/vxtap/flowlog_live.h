/* flowlog_live — the flow logs of one captured interface in the agent: the
 * flow-log objects of the store (vxtap/config.h) running as flowloggers
 * (vxtap/flowlogger.h) on a capture worker's packets.
 *
 * Input:  the flow logs that cover the interface, whenever the configuration
 *         changes; per packet its direction; a clock tick.
 * Work:   one flowlogger per flow log (flow logs are immutable: a new ID is a
 *         new logger, a vanished one is flushed and closed). Destinations:
 *           s3 to an absolute directory     that directory, S3 key layout
 *           s3 to arn:aws:s3:::bucket/pfx   <root>/s3/bucket/pfx, the same
 *                                           layout, for an uploader to ship
 *           cloud-watch-logs                <root>/cloudwatch/<group>/<eni>-all.log
 *           kinesis-data-firehose           <root>/firehose/<stream>.log, lines
 *         Traffic SPEC.md §2.9 never logs (Amazon DNS, metadata, time sync,
 *         DHCP, ...) is counted and skipped.
 * Output: records in the destinations; counters as JSON.
 *
 * One belongs to one capture thread; only the counters are read by others
 * (a snapshot taken at each tick, under a lock). */
#ifndef VXTAP_FLOWLOG_LIVE_H
#define VXTAP_FLOWLOG_LIVE_H

#include <jansson.h>
#include <stdint.h>

#include "vxtap/config.h"
#include "vxtap/decode.h"
#include "vxtap/flowlog.h"
#include "vxtap/mirror_select.h"
#include "vxtap/policy.h"

/* What the capture workers of one interface share per flow log: its NODATA
 * state (vxtap/flowmeter.h), so that a window none of them saw traffic in
 * gets one NODATA record and a window another worker had traffic in gets
 * none. Made once per interface; it must outlive the workers using it. */
struct vx_flowlog_nodata_group;

struct vx_flowlog_nodata_group *vx_flowlog_nodata_group_new(void);
void vx_flowlog_nodata_group_free(struct vx_flowlog_nodata_group *g);

struct vx_flowlog_live_options {
	const char *root;   /* where non-directory destinations go */
	uint32_t max_flows; /* per flow log and worker; 0: 1,000,000 */
	const struct vx_host_services *services; /* what Amazon DNS is on this host */
	/* With several workers on the interface: their group, and whether this
	 * worker writes the NODATA records (exactly one does). NULL: this
	 * worker alone decides NODATA. */
	struct vx_flowlog_nodata_group *nodata_group;
	bool nodata_writer;
};

struct vx_flowlog_live;

struct vx_flowlog_live *vx_flowlog_live_new(const struct vx_flowlog_live_options *o,
					    const char *ifname);

/* Run exactly these flow logs (n at most VX_FLOWLOGS_PER_IFACE) for the
 * interface eni with primary address primary_ipv4 (NULL: none). A flow log
 * that cannot start (its directory cannot be made) is reported in the
 * counters and tried again at the next sync. Records take their action
 * from the security groups and network ACLs in `policy` (vxtap/policy.h),
 * decided on this worker with its own connection tracking. */
void vx_flowlog_live_sync(struct vx_flowlog_live *l, const struct vx_flowlog_cfg *const *logs,
			  unsigned n, const struct vx_host *host, const char *eni,
			  const uint8_t *primary_ipv4, const struct vx_policy_cfg *policy);

void vx_flowlog_live_packet(struct vx_flowlog_live *l, enum vx_flow_direction dir,
			    const struct vx_packet *p);

/* Close windows that ended by now_s (wall-clock Unix seconds) and refresh
 * the counters' snapshot. */
void vx_flowlog_live_tick(struct vx_flowlog_live *l, int64_t now_s);

/* Append one object per running flow log to `array` (any thread). */
void vx_flowlog_live_stats_json(struct vx_flowlog_live *l, json_t *array);

/* Flush every flow log (records of the open windows are written) and free. */
void vx_flowlog_live_free(struct vx_flowlog_live *l);

#endif
