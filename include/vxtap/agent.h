/* agent — the mirroring data path on a source host (SPEC.md §1).
 *
 * Input:  configurations from the daemon (vxtap/config.h): per source
 *         interface, up to three sessions with filter, target, VNI, length.
 * Work:   capture workers per source interface (AF_PACKET rings, both
 *         directions; several share a PACKET_FANOUT group); per packet:
 *         the session that mirrors it (vxtap/mirror_select.h), the target
 *         member (symmetric flow hash over the members that pass their
 *         health check), VXLAN headers (vxtap/vxlan_encap.h); sent in
 *         batches with sendmmsg on a raw socket that never blocks: a copy
 *         over its session's cap, or meeting a full send path, is dropped
 *         and counted. Its packets carry a socket mark that the capture
 *         rings drop in the kernel, so the agent never mirrors itself.
 *         The same workers meter the interfaces' flow logs
 *         (vxtap/flowlog_live.h); an interface with flow logs and no
 *         session is captured for them alone.
 * Output: mirrored packets, flow-log records, and counters per session,
 *         source and flow log. */
#ifndef VXTAP_AGENT_H
#define VXTAP_AGENT_H

#include <jansson.h>
#include <stdint.h>

#include "vxtap/config.h"

/* The default mark of the agent's own packets ("vxtp"). */
#define VX_AGENT_MARK 0x76787470u

struct vx_agent_options {
	uint32_t mark;		 /* 0: VX_AGENT_MARK */
	const char *resolv_conf; /* NULL: /etc/resolv.conf (what amazon-dns means) */
	uint32_t ring_block_count; /* 0: 16 blocks of 1 MiB per worker */
	unsigned capture_workers;  /* per source interface, one fanout group; 0: 1 */
	/* Caps of sessions without vxtap:max-mbps / vxtap:max-pps tags; 0: none. */
	uint32_t default_max_mbps, default_max_pps;
	/* Flow logs: where destinations that are not a directory go (see
	 * vxtap/flowlog_live.h), and each flow log's table per worker. */
	const char *flow_log_root; /* NULL: no flow logs are written */
	uint32_t flow_table_size;  /* 0: 1,000,000 */
};

struct vx_agent;

struct vx_agent *vx_agent_new(const struct vx_agent_options *opt, char *err, size_t errlen);

/* Take a new configuration: workers start for new source interfaces and stop
 * for removed ones; sessions, filters and targets change between two batches
 * without stopping capture. Returns 0 (problems with one interface are
 * reported in the stats, not here). */
int vx_agent_apply(struct vx_agent *a, const struct vx_config *cfg);

/* Counters and state as JSON, for `vxtap stats` and `vxtap status`. */
json_t *vx_agent_stats_json(struct vx_agent *a);

/* Free configurations no worker uses any more; call now and then. */
void vx_agent_maintain(struct vx_agent *a);

/* Stop every worker and free everything. */
void vx_agent_free(struct vx_agent *a);

#endif
