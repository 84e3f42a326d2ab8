/* Flow-log record text (see vxtap/flowlog_format.h). */
#include "vxtap/flowlog_format.h"

#include <pthread.h>
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

static void octets_init(void);
static pthread_once_t octets_once = PTHREAD_ONCE_INIT;

/* A LogFormat is ${field} tokens separated by single spaces (SPEC.md §2.2). */
int vx_flowlog_format_parse(const char *text, struct vx_flowlog_format *out, char *err,
                            size_t errlen)
{
	struct vx_flowlog_format f = {.count = 0};
	const char *p = text;
	/* Rendering needs the octet table: made here, once, not per address. */
	pthread_once(&octets_once, octets_init);
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
	static const uint8_t DEFAULT_FIELDS[] = {
	    VX_FL_VERSION,  VX_FL_ACCOUNT_ID, VX_FL_INTERFACE_ID, VX_FL_SRCADDR, VX_FL_DSTADDR,
	    VX_FL_SRCPORT,  VX_FL_DSTPORT,    VX_FL_PROTOCOL,	  VX_FL_PACKETS, VX_FL_BYTES,
	    VX_FL_START,    VX_FL_END,	      VX_FL_ACTION,	  VX_FL_LOG_STATUS};
	f.is_default = f.count == sizeof(DEFAULT_FIELDS) &&
		       !memcmp(f.fields, DEFAULT_FIELDS, sizeof(DEFAULT_FIELDS));
	*out = f;
	return 0;
}

/* The header line: output with a bound, a piece that does not fit marks the
 * line full. */
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

/* Record lines are written without a check per piece: the caller gives
 * room for VX_FLOWLOG_VALUE_MAX + 1 bytes per field, and every writer below
 * stays within VX_FLOWLOG_VALUE_MAX (asserted above for the longest ones).
 * Short constant strings are copied as 8 bytes, a word, then the pointer
 * moves by their length. */
static inline char *w_word(char *p, const char s[8], size_t n)
{
	memcpy(p, s, 8);
	return p + n;
}

static inline char *w_dash(char *p)
{
	*p = '-';
	return p + 1;
}

static const char DIGIT_PAIRS[201] = "00010203040506070809101112131415161718192021222324252627282930"
				     "31323334353637383940414243444546474849505152535455565758596061"
				     "62636465666768697071727374757677787980818283848586878889909192"
				     "93949596979899";

/* Decimal digits of v, without a branch that depends on it. */
static unsigned digits(uint64_t v)
{
	static const uint64_t POW10[20] = {1ull,
					   10ull,
					   100ull,
					   1000ull,
					   10000ull,
					   100000ull,
					   1000000ull,
					   10000000ull,
					   100000000ull,
					   1000000000ull,
					   10000000000ull,
					   100000000000ull,
					   1000000000000ull,
					   10000000000000ull,
					   100000000000000ull,
					   1000000000000000ull,
					   10000000000000000ull,
					   100000000000000000ull,
					   1000000000000000000ull,
					   10000000000000000000ull};
	uint64_t w = v | 1; /* 0 has one digit, as 1 has */
	unsigned bits = 64u - (unsigned)__builtin_clzll(w);
	unsigned t = bits * 1233u >> 12; /* about bits * log10(2) */
	return t + 1 - (w < POW10[t]);
}

static inline void put_pair(char *at, unsigned v)
{
	memcpy(at, DIGIT_PAIRS + 2 * v, 2);
}

/* Four digits per step: the division that carries from one step to the
 * next is the only chain; the digits of a step come from independent ones. */
static char *w_u64(char *p, uint64_t v)
{
	unsigned n = digits(v);
	char *e = p + n;
	while (v >= 10000) {
		unsigned r = (unsigned)(v % 10000);
		v /= 10000;
		e -= 4;
		put_pair(e, r / 100);
		put_pair(e + 2, r % 100);
	}
	unsigned w = (unsigned)v;
	if (w >= 100) {
		e -= 2;
		put_pair(e, w % 100);
		w /= 100;
	}
	if (w >= 10)
		put_pair(e - 2, w);
	else
		e[-1] = (char)('0' + w);
	return p + n;
}

static char *w_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return w_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return w_u64(p, (uint64_t)v);
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

/* "d.", "dd." or "ddd." for each octet, and its length without the dot:
 * an address is four copies, with no branch on the octets' values. */
static struct octet_text {
	char s[4];
	uint8_t len;
} OCTETS[256];

static void octets_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		char *e = dec_u8(OCTETS[v].s, (uint8_t)v);
		*e = '.';
		OCTETS[v].len = (uint8_t)(e - OCTETS[v].s);
	}
}

static char *ip4_text(char *p, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		memcpy(p, OCTETS[a[i]].s, 4);
		p += OCTETS[a[i]].len + 1;
	}
	return p - 1;
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

static char *w_addr(char *p, uint8_t family, const uint8_t *a)
{
	if (family == 4)
		return ip4_text(p, a);
	if (family == 6)
		return ip6_text(p, a);
	return w_dash(p);
}

/* A string of at most VX_FLOWLOG_VALUE_MAX bytes, or "-" when empty. */
static char *w_str(char *p, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n)
		return w_dash(p);
	memcpy(p, s, n);
	return p + n;
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
		const char *name = vx_flowlog_field_name(f->fields[i]);
		put(&o, name, strlen(name));
	}
	put(&o, "\n", 1);
	return finish(&o, buf);
}

/* A time in seconds: the ten digits of any time from 2001 to 2286 in five
 * pairs, other values as w_i64() writes them. */
static inline char *w_time(char *p, int64_t t)
{
	if (t < 1000000000 || t > 9999999999)
		return w_i64(p, t);
	uint64_t v = (uint64_t)t;
	unsigned lo = (unsigned)(v % 10000), mid = (unsigned)(v / 10000 % 10000);
	put_pair(p, (unsigned)(v / 100000000));
	put_pair(p + 2, mid / 100);
	put_pair(p + 4, mid % 100);
	put_pair(p + 6, lo / 100);
	put_pair(p + 8, lo % 100);
	return p + 10;
}

/* The record's line at p, which has room for VX_FLOWLOG_VALUE_MAX + 1 bytes
 * per field and one more; returns its end, or NULL when a meta value is
 * longer than VX_FLOWLOG_VALUE_MAX (the line bound does not hold then). */
static char *render_line(const struct vx_flowlog_format *f, const struct vx_flow_record *r,
			 const struct vx_flow_meta *m, char *p)
{
	static const char STATUS[3][8] = {"OK", "NODATA", "SKIPDATA"};
	static const uint8_t STATUS_LEN[3] = {2, 6, 8};
	/* NODATA and SKIPDATA records describe the interface, not traffic. */
	bool ok = r->log_status == VX_FLOW_OK;
	for (unsigned i = 0; i < f->count; i++) {
		int id = f->fields[i];
		if (i)
			*p++ = ' ';
		switch (id) {
		case VX_FL_VERSION:
			p = dec_u8(p, f->version);
			break;
		case VX_FL_ACCOUNT_ID:
		case VX_FL_VPC_ID:
		case VX_FL_SUBNET_ID:
		case VX_FL_INSTANCE_ID:
		case VX_FL_REGION:
		case VX_FL_AZ_ID: {
			const char *v = meta_field(m, id);
			if (v && strnlen(v, VX_FLOWLOG_VALUE_MAX + 1) > VX_FLOWLOG_VALUE_MAX)
				return NULL;
			p = w_str(p, v);
			break;
		}
		case VX_FL_INTERFACE_ID: {
			/* The whole array (within the value bound), then its length. */
			size_t n = strnlen(r->interface_id, sizeof(r->interface_id));
			memcpy(p, r->interface_id, sizeof(r->interface_id));
			p = n ? p + n : w_dash(p);
			break;
		}
		case VX_FL_START:
			p = w_time(p, r->start);
			break;
		case VX_FL_END:
			p = w_time(p, r->end);
			break;
		case VX_FL_LOG_STATUS: {
			unsigned st = r->log_status <= VX_FLOW_SKIPDATA ? r->log_status : 2;
			p = w_word(p, STATUS[st], STATUS_LEN[st]);
			break;
		}
		default:
			if (!ok) {
				p = w_dash(p);
				break;
			}
			switch (id) {
			case VX_FL_SRCADDR:
				p = w_addr(p, r->family, r->srcaddr);
				break;
			case VX_FL_DSTADDR:
				p = w_addr(p, r->family, r->dstaddr);
				break;
			case VX_FL_PKT_SRCADDR:
				p = w_addr(p, r->family, r->pkt_srcaddr);
				break;
			case VX_FL_PKT_DSTADDR:
				p = w_addr(p, r->family, r->pkt_dstaddr);
				break;
			case VX_FL_SRCPORT:
				p = w_u64(p, r->srcport);
				break;
			case VX_FL_DSTPORT:
				p = w_u64(p, r->dstport);
				break;
			case VX_FL_PROTOCOL:
				p = dec_u8(p, r->protocol);
				break;
			case VX_FL_PACKETS:
				p = w_u64(p, r->packets);
				break;
			case VX_FL_BYTES:
				p = w_u64(p, r->bytes);
				break;
			case VX_FL_ACTION:
				p = w_word(p, r->action == VX_FLOW_REJECT ? "REJECT\0" : "ACCEPT\0", 6);
				break;
			case VX_FL_TCP_FLAGS:
				/* Only TCP carries flags; other protocols show none. */
				if (r->protocol != 6)
					*p++ = '0';
				else if (r->tcp_flags_unknown)
					p = w_dash(p);
				else
					p = dec_u8(p, r->tcp_flags);
				break;
			case VX_FL_TYPE:
				if (r->family == 4 || r->family == 6)
					p = w_word(p, r->family == 4 ? "IPv4\0\0\0" : "IPv6\0\0\0", 4);
				else
					p = w_dash(p);
				break;
			case VX_FL_PKT_SRC_AWS_SERVICE:
				p = w_str(p, r->pkt_src_aws_service < VX_AWS_SERVICE_COUNT
						 ? AWS_SERVICES[r->pkt_src_aws_service]
						 : NULL);
				break;
			case VX_FL_PKT_DST_AWS_SERVICE:
				p = w_str(p, r->pkt_dst_aws_service < VX_AWS_SERVICE_COUNT
						 ? AWS_SERVICES[r->pkt_dst_aws_service]
						 : NULL);
				break;
			case VX_FL_FLOW_DIRECTION:
				if (r->direction == VX_FLOW_EGRESS)
					p = w_word(p, "egress\0", 6);
				else
					p = w_word(p, "ingress", 7);
				break;
			case VX_FL_TRAFFIC_PATH:
				if (r->direction == VX_FLOW_EGRESS && r->traffic_path >= 1 &&
				    r->traffic_path <= 8)
					p = dec_u8(p, r->traffic_path);
				else
					p = w_dash(p);
				break;
			case VX_FL_ENCRYPTION_STATUS:
				if (r->encryption_status > VX_FLOW_ENC_UNKNOWN &&
				    r->encryption_status <= VX_FLOW_ENC_BOTH)
					p = dec_u8(p, (uint8_t)(r->encryption_status - 1u));
				else
					p = w_dash(p);
				break;
			default: /* sublocation, ECS, reject-reason, resource-id */
				p = w_dash(p);
				break;
			}
		}
	}
	*p++ = '\n';
	return p;
}

/* An OK record in the default format: the fields in a straight line, which
 * costs well under half of the loop over fields in render_line() (the unit
 * tests compare the two on random records). Same contract as render_line(). */
static char *render_default(const struct vx_flow_record *r, const struct vx_flow_meta *m, char *p)
{
	const char *account = m ? m->account_id : NULL;
	size_t n = account ? strnlen(account, VX_FLOWLOG_VALUE_MAX + 1) : 0;
	if (n > VX_FLOWLOG_VALUE_MAX)
		return NULL;
	p = w_word(p, "2 \0\0\0\0\0", 2);
	if (n) {
		memcpy(p, account, n);
		p += n;
	} else {
		p = w_dash(p);
	}
	*p++ = ' ';
	n = strnlen(r->interface_id, sizeof(r->interface_id));
	memcpy(p, r->interface_id, sizeof(r->interface_id));
	p = n ? p + n : w_dash(p);
	*p++ = ' ';
	if (r->family == 4) {
		p = ip4_text(p, r->srcaddr);
		*p++ = ' ';
		p = ip4_text(p, r->dstaddr);
	} else {
		p = w_addr(p, r->family, r->srcaddr);
		*p++ = ' ';
		p = w_addr(p, r->family, r->dstaddr);
	}
	*p++ = ' ';
	p = w_u64(p, r->srcport);
	*p++ = ' ';
	p = w_u64(p, r->dstport);
	*p++ = ' ';
	p = dec_u8(p, r->protocol);
	*p++ = ' ';
	p = w_u64(p, r->packets);
	*p++ = ' ';
	p = w_u64(p, r->bytes);
	*p++ = ' ';
	p = w_time(p, r->start);
	*p++ = ' ';
	p = w_time(p, r->end);
	p = w_word(p, r->action == VX_FLOW_REJECT ? " REJECT " : " ACCEPT ", 8);
	return w_word(p, "OK\n\0\0\0\0\0", 3);
}

size_t vx_flowlog_render(const struct vx_flowlog_format *f, const struct vx_flow_record *r,
                         const struct vx_flow_meta *m, char *buf, size_t len)
{
	if (!buf || !len)
		return 0;
	/* Values, separators and '\n' in count * (VALUE_MAX + 1) bytes, plus
	 * the NUL; the longest piece written at once (8 bytes, or the 32-byte
	 * interface ID array) fits within a value's room. */
	size_t room = (size_t)f->count * (VX_FLOWLOG_VALUE_MAX + 1) + 1;
	char scratch[VX_FLOWLOG_LINE_MAX];
	char *line = len >= room ? buf : scratch;
	char *end = f->is_default && r->log_status == VX_FLOW_OK ? render_default(r, m, line)
	                                                       : render_line(f, r, m, line);
	size_t n = end ? (size_t)(end - line) : 0;
	if (!end || n >= len) {
		buf[0] = '\0';
		return 0;
	}
	if (line != buf)
		memcpy(buf, line, n);
	buf[n] = '\0';
	return n;
}
