/* The configuration the data path runs on: the store's objects resolved
 * into plain structs (sessions sorted by number per source, each with its
 * filter's parsed rules and its target's addresses). The daemon loads one
 * snapshot per store generation and hands it to the data path. */
#ifndef VXTAP_CONFIG_H
#define VXTAP_CONFIG_H

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "vxtap/netaddr.h"
#include "vxtap/policy.h"
#include "vxtap/store.h"

#define VX_RULES_PER_FILTER  10
#define VX_SESSIONS_PER_SOURCE 3

/* Session tags that set the data path's per-session caps (AWS has none;
 * tags keep the AWS vocabulary of every verb). */
#define VX_TAG_PREFIX	"vxtap:"
#define VX_TAG_MAX_MBPS "vxtap:max-mbps"
#define VX_TAG_MAX_PPS	"vxtap:max-pps"

struct vx_rule_cfg {
	char id[32];
	uint16_t number;
	bool accept;
	int16_t protocol; /* -1: all protocols */
	struct vx_cidr src, dst;
	int32_t sport_lo, sport_hi, dport_lo, dport_hi; /* -1: any port */
};

struct vx_filter_cfg {
	char id[32];
	bool amazon_dns;
	uint8_t n_ingress, n_egress;
	struct vx_rule_cfg ingress[VX_RULES_PER_FILTER]; /* ascending rule number */
	struct vx_rule_cfg egress[VX_RULES_PER_FILTER];
};

struct vx_member_cfg {
	char address[46];
	uint16_t port;
};

struct vx_target_cfg {
	char id[32];
	bool group; /* network-load-balancer */
	char lb_arn[200];
	size_t n_members;
	struct vx_member_cfg *members;
	uint16_t hc_port;
	uint32_t hc_interval_s, hc_timeout_s, healthy_threshold, unhealthy_threshold;
};

struct vx_session_cfg {
	char id[32];
	uint16_t number;
	uint32_t vni;
	uint32_t packet_length; /* 0: whole packet */
	uint32_t max_mbps;	/* mirrored megabits/s (outer packets); 0: no cap */
	uint32_t max_pps;	/* mirrored packets/s; 0: no cap */
	struct vx_filter_cfg filter;
	const struct vx_target_cfg *target;
};

struct vx_source_cfg {
	char eni[32];
	char ifname[IF_NAMESIZE];
	char address[46]; /* primary IPv4, the outer source */
	bool present;			   /* the interface exists now */
	uint8_t n_sessions;
	struct vx_session_cfg sessions[VX_SESSIONS_PER_SOURCE]; /* ascending number */
};

struct vx_flowlog_cfg {
	char id[32];
	char resource_type[24];
	char resource_id[40];
	char traffic_type[8];
	char destination_type[24];
	char destination[1024];
	char log_group[520];
	char format[2048];
	unsigned max_interval_s;
	bool hive, per_hour;
};

#define VX_FLOWLOGS_PER_IFACE 8

/* A host interface and the flow logs that cover it (by its ENI, its subnet
 * or the host's VPC). */
struct vx_iface_cfg {
	char eni[32];
	char ifname[IF_NAMESIZE];
	char address[46]; /* primary IPv4 */
	bool present;
	uint8_t n_flow_logs;
	uint16_t flow_logs[VX_FLOWLOGS_PER_IFACE]; /* indexes into vx_config.flow_logs */
	unsigned flow_logs_over;		   /* covering flow logs beyond the limit */
};

struct vx_config {
	int64_t generation;
	struct vx_host host;
	size_t n_sources, n_targets, n_flow_logs, n_ifaces;
	struct vx_source_cfg *sources;
	struct vx_target_cfg *targets;
	struct vx_flowlog_cfg *flow_logs;
	struct vx_iface_cfg *ifaces;
	/* Security groups, network ACLs, and every interface (host and
	 * registered) with its addresses, groups and its subnet's ACL. */
	struct vx_policy_cfg policy;
};

/* Read one consistent snapshot of the store. */
int vx_config_load(struct vx_store *st, struct vx_config **out, struct vx_err *err);
void vx_config_free(struct vx_config *cfg);

/* The configuration as JSON, for `vxtap status`. */
json_t *vx_config_json(const struct vx_config *cfg);

#endif
