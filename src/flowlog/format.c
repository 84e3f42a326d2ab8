/* Flow-log record text (see vxtap/flowlog_format.h). */
#include "vxtap/flowlog_format.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	uint8_t version;
} FIELDS[VX_FLOWLOG_FIELD_COUNT] = {
    [VX_FL_VERSION] = {"version", 2},
    [VX_FL_ACCOUNT_ID] = {"account-id", 2},
    [VX_FL_INTERFACE_ID] = {"interface-id", 2},
    [VX_FL_SRCADDR] = {"srcaddr", 2},
    [VX_FL_DSTADDR] = {"dstaddr", 2},
    [VX_FL_SRCPORT] = {"srcport", 2},
    [VX_FL_DSTPORT] = {"dstport", 2},
    [VX_FL_PROTOCOL] = {"protocol", 2},
    [VX_FL_PACKETS] = {"packets", 2},
    [VX_FL_BYTES] = {"bytes", 2},
    [VX_FL_START] = {"start", 2},
    [VX_FL_END] = {"end", 2},
    [VX_FL_ACTION] = {"action", 2},
    [VX_FL_LOG_STATUS] = {"log-status", 2},
    [VX_FL_VPC_ID] = {"vpc-id", 3},
    [VX_FL_SUBNET_ID] = {"subnet-id", 3},
    [VX_FL_INSTANCE_ID] = {"instance-id", 3},
    [VX_FL_TCP_FLAGS] = {"tcp-flags", 3},
    [VX_FL_TYPE] = {"type", 3},
    [VX_FL_PKT_SRCADDR] = {"pkt-srcaddr", 3},
    [VX_FL_PKT_DSTADDR] = {"pkt-dstaddr", 3},
    [VX_FL_REGION] = {"region", 4},
    [VX_FL_AZ_ID] = {"az-id", 4},
    [VX_FL_SUBLOCATION_TYPE] = {"sublocation-type", 4},
    [VX_FL_SUBLOCATION_ID] = {"sublocation-id", 4},
    [VX_FL_PKT_SRC_AWS_SERVICE] = {"pkt-src-aws-service", 5},
    [VX_FL_PKT_DST_AWS_SERVICE] = {"pkt-dst-aws-service", 5},
    [VX_FL_FLOW_DIRECTION] = {"flow-direction", 5},
    [VX_FL_TRAFFIC_PATH] = {"traffic-path", 5},
    [VX_FL_ECS_CLUSTER_ARN] = {"ecs-cluster-arn", 7},
    [VX_FL_ECS_CLUSTER_NAME] = {"ecs-cluster-name", 7},
    [VX_FL_ECS_CONTAINER_INSTANCE_ARN] = {"ecs-container-instance-arn", 7},
    [VX_FL_ECS_CONTAINER_INSTANCE_ID] = {"ecs-container-instance-id", 7},
    [VX_FL_ECS_CONTAINER_ID] = {"ecs-container-id", 7},
    [VX_FL_ECS_SECOND_CONTAINER_ID] = {"ecs-second-container-id", 7},
    [VX_FL_ECS_SERVICE_NAME] = {"ecs-service-name", 7},
    [VX_FL_ECS_TASK_DEFINITION_ARN] = {"ecs-task-definition-arn", 7},
    [VX_FL_ECS_TASK_ARN] = {"ecs-task-arn", 7},
    [VX_FL_ECS_TASK_ID] = {"ecs-task-id", 7},
    [VX_FL_REJECT_REASON] = {"reject-reason", 8},
    [VX_FL_RESOURCE_ID] = {"resource-id", 9},
    [VX_FL_ENCRYPTION_STATUS] = {"encryption-status", 10},
};

static const char *const AWS_SERVICES[VX_AWS_SERVICE_COUNT] = {
    [VX_AWS_AMAZON] = "AMAZON",
    [VX_AWS_AMAZON_APPFLOW] = "AMAZON_APPFLOW",
    [VX_AWS_AMAZON_CONNECT] = "AMAZON_CONNECT",
    [VX_AWS_API_GATEWAY] = "API_GATEWAY",
    [VX_AWS_CHIME_MEETINGS] = "CHIME_MEETINGS",
    [VX_AWS_CHIME_VOICECONNECTOR] = "CHIME_VOICECONNECTOR",
    [VX_AWS_CLOUD9] = "CLOUD9",
    [VX_AWS_CLOUDFRONT] = "CLOUDFRONT",
    [VX_AWS_CODEBUILD] = "CODEBUILD",
    [VX_AWS_DYNAMODB] = "DYNAMODB",
    [VX_AWS_EBS] = "EBS",
    [VX_AWS_EC2] = "EC2",
    [VX_AWS_EC2_INSTANCE_CONNECT] = "EC2_INSTANCE_CONNECT",
    [VX_AWS_GLOBALACCELERATOR] = "GLOBALACCELERATOR",
    [VX_AWS_KINESIS_VIDEO_STREAMS] = "KINESIS_VIDEO_STREAMS",
    [VX_AWS_ROUTE53] = "ROUTE53",
    [VX_AWS_ROUTE53_HEALTHCHECKS] = "ROUTE53_HEALTHCHECKS",
    [VX_AWS_ROUTE53_HEALTHCHECKS_PUBLISHING] = "ROUTE53_HEALTHCHECKS_PUBLISHING",
    [VX_AWS_ROUTE53_RESOLVER] = "ROUTE53_RESOLVER",
    [VX_AWS_S3] = "S3",
    [VX_AWS_WORKSPACES_GATEWAYS] = "WORKSPACES_GATEWAYS",
};

/* The line bound counts every value as at most VX_FLOWLOG_VALUE_MAX bytes. */
#define IP6_TEXT_MAX 39 /* eight groups of four; mixed notation is shorter */
_Static_assert(IP6_TEXT_MAX <= VX_FLOWLOG_VALUE_MAX, "an address fits a value");
_Static_assert(sizeof("ecs-container-instance-arn") - 1 <= VX_FLOWLOG_VALUE_MAX,
               "a field name fits a value");
_Static_assert(sizeof("ROUTE53_HEALTHCHECKS_PUBLISHING") - 1 <= VX_FLOWLOG_VALUE_MAX,
               "a service name fits a value");
_Static_assert(sizeof(((struct vx_flow_record *)0)->interface_id) - 1 <= VX_FLOWLOG_VALUE_MAX,
               "an interface ID fits a value");
_Static_assert(VX_FLOWLOG_FIELDS_MAX <= UINT8_MAX, "count is a uint8_t");

const char *vx_flowlog_field_name(int id)
{
	return id >= 0 && id < VX_FLOWLOG_FIELD_COUNT ? FIELDS[id].name : NULL;
}

int vx_flowlog_field_version(int id)
{
	return id >= 0 && id < VX_FLOWLOG_FIELD_COUNT ? FIELDS[id].version : 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int lookup(const char *name, size_t n)
{
	for (int i = 0; i < VX_FLOWLOG_FIELD_COUNT; i++)
		if (strlen(FIELDS[i].name) == n && !memcmp(FIELDS[i].name, name, n))
			return i;
	return -1;
}

/* A LogFormat is ${field} tokens separated by single spaces (SPEC.md §2.2). */
int vx_flowlog_format_parse(const char *text, struct vx_flowlog_format *out, char *err,
                            size_t errlen)
{
	struct vx_flowlog_format f = {.count = 0};
	const char *p = text;
	if (!*p)
		return fail(err, errlen, "A log format names at least one ${field}.");
	while (*p) {
		if (strncmp(p, "${", 2))
			return fail(err, errlen,
			            "Expected ${field} tokens separated by single spaces; "
			            "found '%.20s'.",
			            p);
		const char *close = strchr(p, '}');
		if (!close)
			return fail(err, errlen, "A ${ has no closing }.");
		size_t n = (size_t)(close - p - 2);
		int id = lookup(p + 2, n);
		if (id < 0)
			return fail(err, errlen,
			            "Unknown field '%.*s'; see docs/CLI.md for the fields.",
			            n > 1024 ? 1024 : (int)n, p + 2);
		if (f.count == VX_FLOWLOG_FIELDS_MAX)
			return fail(err, errlen, "A log format has at most %d fields.",
			            VX_FLOWLOG_FIELDS_MAX);
		f.fields[f.count++] = (uint8_t)id;
		if (FIELDS[id].version > f.version)
			f.version = FIELDS[id].version;
		p = close + 1;
		if (*p == ' ' && p[1] != '\0' && p[1] != ' ')
			p++;
		else if (*p)
			return fail(err, errlen, "Fields are separated by exactly one space.");
	}
	*out = f;
	return 0;
}

/* Output with a bound: a piece that does not fit marks the line full. */
struct out {
	char *p, *end; /* end: the last byte, kept for the NUL */
	bool full;
};

static inline void put(struct out *o, const char *s, size_t n)
{
	if ((size_t)(o->end - o->p) < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static inline void put_dash(struct out *o)
{
	put(o, "-", 1);
}

static inline void put_str(struct out *o, const char *s)
{
	if (s && *s)
		put(o, s, strlen(s));
	else
		put_dash(o);
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	char *e = tmp + sizeof(tmp), *s = e;
	do {
		*--s = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, s, (size_t)(e - s));
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, "-", 1);
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

static char *dec_u8(char *p, uint8_t v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *ip4_text(char *p, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = dec_u8(p, a[i]);
	}
	return p;
}

/* RFC 5952: lowercase hex without leading zeros, the longest run of two or
 * more zero groups (the first of equal runs) as "::", and IPv4-mapped
 * addresses in mixed notation. */
static char *ip6_text(char *p, const uint8_t *a)
{
	static const char HEX[] = "0123456789abcdef";
	uint16_t w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	bool mapped = !w[0] && !w[1] && !w[2] && !w[3] && !w[4] && w[5] == 0xffff;
	int groups = mapped ? 6 : 8;
	int best = -1, best_len = 1;
	for (int i = 0; i < groups;) {
		int j = i;
		while (j < groups && !w[j])
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	bool gap = false;
	for (int i = 0; i < groups;) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len;
			gap = true;
			continue;
		}
		if (i && !gap)
			*p++ = ':';
		gap = false;
		bool lead = true;
		for (int shift = 12; shift >= 0; shift -= 4) {
			unsigned d = w[i] >> shift & 0xf;
			if (lead && d == 0 && shift)
				continue;
			lead = false;
			*p++ = HEX[d];
		}
		i++;
	}
	if (mapped) {
		*p++ = ':';
		p = ip4_text(p, a + 12);
	}
	return p;
}

static void put_addr(struct out *o, uint8_t family, const uint8_t *a)
{
	char tmp[IP6_TEXT_MAX + 1];
	char *e;
	if (family == 4)
		e = ip4_text(tmp, a);
	else if (family == 6)
		e = ip6_text(tmp, a);
	else {
		put_dash(o);
		return;
	}
	put(o, tmp, (size_t)(e - tmp));
}

static void put_small(struct out *o, unsigned v)
{
	char tmp[3];
	put(o, tmp, (size_t)(dec_u8(tmp, (uint8_t)v) - tmp));
}

static const char *meta_field(const struct vx_flow_meta *m, int id)
{
	if (!m)
		return NULL;
	switch (id) {
	case VX_FL_ACCOUNT_ID:
		return m->account_id;
	case VX_FL_VPC_ID:
		return m->vpc_id;
	case VX_FL_SUBNET_ID:
		return m->subnet_id;
	case VX_FL_INSTANCE_ID:
		return m->instance_id;
	case VX_FL_REGION:
		return m->region;
	default:
		return m->az_id;
	}
}

static size_t finish(struct out *o, char *buf)
{
	if (o->full) {
		buf[0] = '\0';
		return 0;
	}
	*o->p = '\0';
	return (size_t)(o->p - buf);
}

size_t vx_flowlog_format_header(const struct vx_flowlog_format *f, char *buf, size_t len)
{
	if (!buf || !len)
		return 0;
	struct out o = {buf, buf + len - 1, false};
	for (unsigned i = 0; i < f->count; i++) {
		if (i)
			put(&o, " ", 1);
		put_str(&o, vx_flowlog_field_name(f->fields[i]));
	}
	put(&o, "\n", 1);
	return finish(&o, buf);
}

size_t vx_flowlog_render(const struct vx_flowlog_format *f, const struct vx_flow_record *r,
                         const struct vx_flow_meta *m, char *buf, size_t len)
{
	if (!buf || !len)
		return 0;
	struct out o = {buf, buf + len - 1, false};
	/* NODATA and SKIPDATA records describe the interface, not traffic. */
	bool ok = r->log_status == VX_FLOW_OK;
	for (unsigned i = 0; i < f->count && !o.full; i++) {
		int id = f->fields[i];
		if (i)
			put(&o, " ", 1);
		switch (id) {
		case VX_FL_VERSION:
			put_small(&o, f->version);
			break;
		case VX_FL_ACCOUNT_ID:
		case VX_FL_VPC_ID:
		case VX_FL_SUBNET_ID:
		case VX_FL_INSTANCE_ID:
		case VX_FL_REGION:
		case VX_FL_AZ_ID:
			put_str(&o, meta_field(m, id));
			break;
		case VX_FL_INTERFACE_ID: {
			size_t n = strnlen(r->interface_id, sizeof(r->interface_id));
			if (n)
				put(&o, r->interface_id, n);
			else
				put_dash(&o);
			break;
		}
		case VX_FL_START:
			put_i64(&o, r->start);
			break;
		case VX_FL_END:
			put_i64(&o, r->end);
			break;
		case VX_FL_LOG_STATUS:
			put_str(&o, r->log_status == VX_FLOW_OK       ? "OK"
			            : r->log_status == VX_FLOW_NODATA ? "NODATA"
			                                              : "SKIPDATA");
			break;
		default:
			if (!ok) {
				put_dash(&o);
				break;
			}
			switch (id) {
			case VX_FL_SRCADDR:
				put_addr(&o, r->family, r->srcaddr);
				break;
			case VX_FL_DSTADDR:
				put_addr(&o, r->family, r->dstaddr);
				break;
			case VX_FL_PKT_SRCADDR:
				put_addr(&o, r->family, r->pkt_srcaddr);
				break;
			case VX_FL_PKT_DSTADDR:
				put_addr(&o, r->family, r->pkt_dstaddr);
				break;
			case VX_FL_SRCPORT:
				put_u64(&o, r->srcport);
				break;
			case VX_FL_DSTPORT:
				put_u64(&o, r->dstport);
				break;
			case VX_FL_PROTOCOL:
				put_u64(&o, r->protocol);
				break;
			case VX_FL_PACKETS:
				put_u64(&o, r->packets);
				break;
			case VX_FL_BYTES:
				put_u64(&o, r->bytes);
				break;
			case VX_FL_ACTION:
				put_str(&o, r->action == VX_FLOW_REJECT ? "REJECT" : "ACCEPT");
				break;
			case VX_FL_TCP_FLAGS:
				/* Only TCP carries flags; other protocols show none. */
				if (r->protocol != 6)
					put(&o, "0", 1);
				else if (r->tcp_flags_unknown)
					put_dash(&o);
				else
					put_small(&o, r->tcp_flags);
				break;
			case VX_FL_TYPE:
				put_str(&o, r->family == 4   ? "IPv4"
				            : r->family == 6 ? "IPv6"
				                             : NULL);
				break;
			case VX_FL_PKT_SRC_AWS_SERVICE:
				put_str(&o, r->pkt_src_aws_service < VX_AWS_SERVICE_COUNT
				                ? AWS_SERVICES[r->pkt_src_aws_service]
				                : NULL);
				break;
			case VX_FL_PKT_DST_AWS_SERVICE:
				put_str(&o, r->pkt_dst_aws_service < VX_AWS_SERVICE_COUNT
				                ? AWS_SERVICES[r->pkt_dst_aws_service]
				                : NULL);
				break;
			case VX_FL_FLOW_DIRECTION:
				put_str(&o, r->direction == VX_FLOW_EGRESS ? "egress" : "ingress");
				break;
			case VX_FL_TRAFFIC_PATH:
				if (r->direction == VX_FLOW_EGRESS && r->traffic_path >= 1 &&
				    r->traffic_path <= 8)
					put_small(&o, r->traffic_path);
				else
					put_dash(&o);
				break;
			case VX_FL_ENCRYPTION_STATUS:
				if (r->encryption_status > VX_FLOW_ENC_UNKNOWN &&
				    r->encryption_status <= VX_FLOW_ENC_BOTH)
					put_small(&o, r->encryption_status - 1u);
				else
					put_dash(&o);
				break;
			default: /* sublocation, ECS, reject-reason, resource-id */
				put_dash(&o);
				break;
			}
		}
	}
	put(&o, "\n", 1);
	return finish(&o, buf);
}
