/* flowlog — one VPC Flow Logs record, as the flow meter finishes it and the
 * formatter and sinks take it (SPEC.md §2).
 *
 * A record is about one interface (an `eni-`), one direction of one flow
 * (5-tuple) and one aggregation window. Addresses are kept twice: as the
 * packet carried them (pkt-srcaddr / pkt-dstaddr) and as the record shows
 * them (srcaddr / dstaddr: the interface's side replaced by its primary
 * private IPv4, SPEC.md §2.6). NODATA and SKIPDATA records carry only the
 * interface and the window. */
#ifndef VXTAP_FLOWLOG_H
#define VXTAP_FLOWLOG_H

#include <stdbool.h>
#include <stdint.h>

enum vx_flow_action { VX_FLOW_ACCEPT, VX_FLOW_REJECT };

enum vx_flow_log_status { VX_FLOW_OK, VX_FLOW_NODATA, VX_FLOW_SKIPDATA };

enum vx_flow_direction { VX_FLOW_INGRESS, VX_FLOW_EGRESS };

/* pkt-src-aws-service / pkt-dst-aws-service: the AWS ip-ranges service of an
 * address (SPEC.md §2.3); VX_AWS_NONE shows as "-". */
enum vx_aws_service {
	VX_AWS_NONE,
	VX_AWS_AMAZON,
	VX_AWS_AMAZON_APPFLOW,
	VX_AWS_AMAZON_CONNECT,
	VX_AWS_API_GATEWAY,
	VX_AWS_CHIME_MEETINGS,
	VX_AWS_CHIME_VOICECONNECTOR,
	VX_AWS_CLOUD9,
	VX_AWS_CLOUDFRONT,
	VX_AWS_CODEBUILD,
	VX_AWS_DYNAMODB,
	VX_AWS_EBS,
	VX_AWS_EC2,
	VX_AWS_EC2_INSTANCE_CONNECT,
	VX_AWS_GLOBALACCELERATOR,
	VX_AWS_KINESIS_VIDEO_STREAMS,
	VX_AWS_ROUTE53,
	VX_AWS_ROUTE53_HEALTHCHECKS,
	VX_AWS_ROUTE53_HEALTHCHECKS_PUBLISHING,
	VX_AWS_ROUTE53_RESOLVER,
	VX_AWS_S3,
	VX_AWS_WORKSPACES_GATEWAYS,
	VX_AWS_SERVICE_COUNT
};

/* encryption-status (SPEC.md §2.3), shown as the value minus one: 0 clear
 * text, 1 Nitro-encrypted, 2 application-encrypted, 3 both. Unknown, the
 * zero value, shows as "-". */
enum vx_flow_encryption {
	VX_FLOW_ENC_UNKNOWN,
	VX_FLOW_ENC_CLEAR,
	VX_FLOW_ENC_NITRO,
	VX_FLOW_ENC_APPLICATION,
	VX_FLOW_ENC_BOTH
};

/* tcp-flags as AWS reports them: FIN 1, SYN 2, RST 4, and 18 for SYN-ACK
 * (ACK appears only with SYN); ORed over the window. */
#define VX_FLOW_TCP_FIN	    0x01
#define VX_FLOW_TCP_SYN	    0x02
#define VX_FLOW_TCP_RST	    0x04
#define VX_FLOW_TCP_SYN_ACK 0x12

struct vx_flow_record {
	char interface_id[32];
	enum vx_flow_log_status log_status;
	int64_t start, end; /* Unix seconds: first and last packet in the window */
	/* The rest is meaningful only when log_status is VX_FLOW_OK. */
	uint8_t family;				   /* 4 or 6 */
	uint8_t srcaddr[16], dstaddr[16];	   /* as the record shows them */
	uint8_t pkt_srcaddr[16], pkt_dstaddr[16]; /* as the packets carried them */
	uint16_t srcport, dstport;		   /* 0 for protocols without ports */
	uint8_t protocol;
	uint8_t tcp_flags;
	bool tcp_flags_unknown; /* an invalid combination: the field is "-" */
	uint64_t packets, bytes;
	enum vx_flow_action action;
	enum vx_flow_direction direction;
	uint8_t traffic_path; /* 1-8 for egress when known, 0: "-" */
	uint8_t pkt_src_aws_service, pkt_dst_aws_service; /* enum vx_aws_service */
	uint8_t encryption_status;                        /* enum vx_flow_encryption */
};

/* What a record does not carry but its fields may show: the host's
 * identity (configured once, SPEC.md §1.2) for the interface. */
struct vx_flow_meta {
	const char *account_id, *region, *vpc_id, *subnet_id, *instance_id, *az_id;
};

#endif
