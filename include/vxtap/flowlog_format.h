/* flowlog_format — the text of VPC Flow Logs records (SPEC.md §2.2-2.6, §2.10).
 *
 * Input:  a LogFormat (`${field}` tokens separated by single spaces), once per
 *         flow log; then per record a struct vx_flow_record and the
 *         interface's struct vx_flow_meta.
 * Work:   the format is compiled to its field ids in output order and the
 *         record version (the highest version among its fields); a record is
 *         written field by field, `-` for what does not apply.
 * Output: one line per record, and the header line of S3 text objects, into
 *         the caller's buffer. Rendering does not allocate, lock or make a
 *         syscall. */
#ifndef VXTAP_FLOWLOG_FORMAT_H
#define VXTAP_FLOWLOG_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxtap/flowlog.h"

/* Every field of versions 2-5, 7 and 8-10, in AWS's table order. The
 * version-11 fields (tags, interface-type, next-hop-*) are left out: a host
 * has no values for them and their API is not settled (SPEC.md §2.3). */
enum vx_flowlog_field {
	VX_FL_VERSION,
	VX_FL_ACCOUNT_ID,
	VX_FL_INTERFACE_ID,
	VX_FL_SRCADDR,
	VX_FL_DSTADDR,
	VX_FL_SRCPORT,
	VX_FL_DSTPORT,
	VX_FL_PROTOCOL,
	VX_FL_PACKETS,
	VX_FL_BYTES,
	VX_FL_START,
	VX_FL_END,
	VX_FL_ACTION,
	VX_FL_LOG_STATUS,
	VX_FL_VPC_ID,
	VX_FL_SUBNET_ID,
	VX_FL_INSTANCE_ID,
	VX_FL_TCP_FLAGS,
	VX_FL_TYPE,
	VX_FL_PKT_SRCADDR,
	VX_FL_PKT_DSTADDR,
	VX_FL_REGION,
	VX_FL_AZ_ID,
	VX_FL_SUBLOCATION_TYPE,
	VX_FL_SUBLOCATION_ID,
	VX_FL_PKT_SRC_AWS_SERVICE,
	VX_FL_PKT_DST_AWS_SERVICE,
	VX_FL_FLOW_DIRECTION,
	VX_FL_TRAFFIC_PATH,
	VX_FL_ECS_CLUSTER_ARN,
	VX_FL_ECS_CLUSTER_NAME,
	VX_FL_ECS_CONTAINER_INSTANCE_ARN,
	VX_FL_ECS_CONTAINER_INSTANCE_ID,
	VX_FL_ECS_CONTAINER_ID,
	VX_FL_ECS_SECOND_CONTAINER_ID,
	VX_FL_ECS_SERVICE_NAME,
	VX_FL_ECS_TASK_DEFINITION_ARN,
	VX_FL_ECS_TASK_ARN,
	VX_FL_ECS_TASK_ID,
	VX_FL_REJECT_REASON,
	VX_FL_RESOURCE_ID,
	VX_FL_ENCRYPTION_STATUS,
	VX_FLOWLOG_FIELD_COUNT
};

/* The field's name as written in `${...}` and in the header line, or NULL
 * for an id out of range. */
const char *vx_flowlog_field_name(int id);
/* The flow-log version that introduced the field, or 0 out of range. */
int vx_flowlog_field_version(int id);

/* The default format (fixed; DescribeFlowLogs shows it expanded). */
#define VX_FLOWLOG_DEFAULT_FORMAT                                                                  \
	"${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "    \
	"${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

/* Fields in one format; a field may be named more than once. */
#define VX_FLOWLOG_FIELDS_MAX 64
/* The longest vx_flow_meta value the line bound allows for (IDs and Region
 * names are far shorter); every other value is shorter too (an IPv6 address
 * is at most 39 characters here, a 64-bit number 20). */
#define VX_FLOWLOG_VALUE_MAX 64
/* A buffer this large holds any record line or header line, with its '\n'
 * and a terminating NUL, when the meta values are at most
 * VX_FLOWLOG_VALUE_MAX bytes long. */
#define VX_FLOWLOG_LINE_MAX (VX_FLOWLOG_FIELDS_MAX * (VX_FLOWLOG_VALUE_MAX + 1) + 1)

/* A compiled LogFormat. */
struct vx_flowlog_format {
	uint8_t fields[VX_FLOWLOG_FIELDS_MAX]; /* enum vx_flowlog_field, in output order */
	uint8_t count;
	uint8_t version; /* the record's `version` value */
	/* The fields are the default format's, in its order: OK records are
	 * written by a straight path instead of the loop over fields. */
	bool is_default;
};

/* Compile `text`. Returns 0 and fills *out, or -1 with *out untouched and a
 * message in err (if errlen > 0) naming what is wrong, e.g. "Unknown field
 * 'bogus'; see docs/CLI.md for the fields." or "Fields are separated by
 * exactly one space.". */
int vx_flowlog_format_parse(const char *text, struct vx_flowlog_format *out, char *err,
                            size_t errlen);

/* The S3 header line: the field names separated by single spaces, then '\n'
 * and a NUL. Returns the length without the NUL, or 0 if it does not fit
 * (then buf holds an empty string when len > 0). */
size_t vx_flowlog_format_header(const struct vx_flowlog_format *f, char *buf, size_t len);

/* One record line, then '\n' and a NUL; m may be NULL (its fields are "-").
 * Returns the length without the NUL, or 0 if it does not fit (then buf holds
 * an empty string when len > 0). Nothing is written past buf[len - 1].
 *
 * Values: meta strings as given (NULL or empty: "-"; the caller keeps them
 * free of blanks); NODATA and SKIPDATA records keep the version, the
 * interface's identity (account-id, interface-id, vpc-id, subnet-id,
 * instance-id, region, az-id), start, end and log-status, and show "-" for
 * everything about traffic; tcp-flags is 0 for protocols other than TCP;
 * traffic-path is "-" on ingress; the AWS service and encryption-status
 * fields are "-" unless the record sets them; sublocation, ECS,
 * reject-reason and resource-id fields are "-" (a host has none; the record
 * is about an interface). */
size_t vx_flowlog_render(const struct vx_flowlog_format *f, const struct vx_flow_record *r,
                         const struct vx_flow_meta *m, char *buf, size_t len);

#endif
