/* Session selection tests: a table of filter rule sets (SPEC.md §1.4 and its
 * documented examples A–E) with packets and the exact verdict and deciding
 * rule, session priority (§1.5), amazon-dns and the never-mirrored traffic
 * (§1.7), and reading resolv.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vxtap/mirror_select.h"

/* ---- helpers: rules and packets from text ----------------------------- */

/* "N" -> N..N, "A-B" -> A..B, "-" -> any (-1, -1). */
static void parse_ports(const char *s, int32_t *lo, int32_t *hi)
{
	if (!s || !strcmp(s, "-")) {
		*lo = *hi = -1;
		return;
	}
	char *end;
	long a = strtol(s, &end, 10), b = a;
	if (*end == '-')
		b = strtol(end + 1, &end, 10);
	assert_int_equal(*end, '\0');
	assert_true(a >= 0 && a <= 65535 && b >= a && b <= 65535);
	*lo = (int32_t)a;
	*hi = (int32_t)b;
}

/* "DIR NUMBER ACTION PROTO SRC-CIDR DST-CIDR [SPORTS [DPORTS]]", e.g.
 * "ingress 10 reject 6 0.0.0.0/0 10.0.0.0/16 - 22"; PROTO "-" is all. */
static void parse_rule(const char *text, struct vx_rule_cfg *r, enum vx_direction *dir)
{
	char buf[256], *save = NULL, *tok[8] = {0};
	unsigned n = 0;
	assert_true(strlen(text) < sizeof(buf));
	strcpy(buf, text);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		assert_true(n < 8);
		tok[n++] = t;
	}
	assert_true(n >= 6);
	memset(r, 0, sizeof(*r));
	if (!strcmp(tok[0], "ingress"))
		*dir = VX_DIR_INGRESS;
	else if (!strcmp(tok[0], "egress"))
		*dir = VX_DIR_EGRESS;
	else
		fail_msg("bad direction in '%s'", text);
	r->number = (uint16_t)atoi(tok[1]);
	snprintf(r->id, sizeof(r->id), "tmfr-%s-%u", tok[0], r->number);
	assert_true(!strcmp(tok[2], "accept") || !strcmp(tok[2], "reject"));
	r->accept = !strcmp(tok[2], "accept");
	r->protocol = (int16_t)(strcmp(tok[3], "-") ? atoi(tok[3]) : -1);
	char why[128] = "";
	if (vx_cidr_parse(tok[4], &r->src, why, sizeof(why)) < 0 ||
	    vx_cidr_parse(tok[5], &r->dst, why, sizeof(why)) < 0)
		fail_msg("bad CIDR in '%s': %s", text, why);
	assert_int_equal(r->src.family, r->dst.family);
	parse_ports(tok[6], &r->sport_lo, &r->sport_hi);
	parse_ports(tok[7], &r->dport_lo, &r->dport_hi);
}

/* A filter from a NULL-terminated list of rule texts (ascending numbers per
 * direction, as the configuration loader hands them over). */
static void build_filter(struct vx_filter_cfg *f, const char *const *rules, bool amazon_dns)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->id, "tmf-test");
	f->amazon_dns = amazon_dns;
	for (; rules && *rules; rules++) {
		struct vx_rule_cfg r;
		enum vx_direction dir;
		parse_rule(*rules, &r, &dir);
		struct vx_rule_cfg *arr = dir == VX_DIR_INGRESS ? f->ingress : f->egress;
		uint8_t *n = dir == VX_DIR_INGRESS ? &f->n_ingress : &f->n_egress;
		assert_true(*n < VX_RULES_PER_FILTER);
		if (*n)
			assert_true(arr[*n - 1].number < r.number);
		arr[(*n)++] = r;
	}
}

/* "DIR PROTO SRC SPORT DST DPORT" (DIR "in" or "out"), or "DIR arp" for a
 * frame without an IP layer. */
static void parse_packet(const char *text, struct vx_flow_key *k, enum vx_direction *dir)
{
	char d[8], proto[8], src[64], dst[64];
	unsigned sport = 0, dport = 0;
	memset(k, 0, sizeof(*k));
	int n = sscanf(text, "%7s %7s %63s %u %63s %u", d, proto, src, &sport, dst, &dport);
	assert_true(n >= 2);
	assert_true(!strcmp(d, "in") || !strcmp(d, "out"));
	*dir = !strcmp(d, "in") ? VX_DIR_INGRESS : VX_DIR_EGRESS;
	if (!strcmp(proto, "arp")) {
		k->family = 0;
		return;
	}
	assert_int_equal(n, 6);
	uint8_t f1, f2;
	assert_int_equal(vx_addr_parse(src, &f1, k->src), 0);
	assert_int_equal(vx_addr_parse(dst, &f2, k->dst), 0);
	assert_int_equal(f1, f2);
	k->family = f1;
	k->proto = (uint8_t)atoi(proto);
	assert_true(sport <= 65535 && dport <= 65535);
	k->sport = (uint16_t)sport;
	k->dport = (uint16_t)dport;
}

static struct vx_flow_key key(const char *text)
{
	struct vx_flow_key k;
	enum vx_direction dir;
	parse_packet(text, &k, &dir);
	return k;
}

/* ---- the rule-set table ---------------------------------------------- */

struct pcase {
	const char *pkt;  /* parse_packet() text */
	const char *want; /* "accept N", "reject N" or "none" */
};

struct rcase {
	const char *name;
	const char *rules[VX_RULES_PER_FILTER + 1];
	struct pcase pkts[12];
};

#define ALL4 "0.0.0.0/0 0.0.0.0/0"
#define ALL6 "::/0 ::/0"

static const struct rcase rule_sets[] = {
    {"A: inbound, SSH from my network not mirrored, other IPv4 TCP mirrored",
     {"ingress 10 reject 6 198.51.100.0/24 10.0.0.0/16 - 22", "ingress 20 accept 6 " ALL4},
     {{"in 6 198.51.100.7 40000 10.0.3.4 22", "reject 10"},
      {"in 6 203.0.113.9 40000 10.0.3.4 22", "accept 20"},
      {"in 6 198.51.100.7 40000 10.0.3.4 443", "accept 20"},
      {"in 6 198.51.100.7 40000 10.1.0.1 22", "accept 20"}, /* not the VPC */
      {"in 17 198.51.100.7 40000 10.0.3.4 22", "none"},     /* UDP */
      {"in 1 198.51.100.7 0 10.0.3.4 0", "none"},           /* ICMP */
      {"out 6 10.0.3.4 22 198.51.100.7 40000", "none"},     /* no egress rules */
      {"in 6 2001:db8::1 40000 2001:db8::2 22", "none"}}},  /* IPv6 */
    {"B: inbound HTTPS, one rule per family",
     {"ingress 10 accept 6 " ALL4 " - 443", "ingress 20 accept 6 " ALL6 " - 443"},
     {{"in 6 192.0.2.1 50000 10.0.0.5 443", "accept 10"},
      {"in 6 2001:db8::1 50000 2001:db8:1::5 443", "accept 20"},
      {"in 6 192.0.2.1 50000 10.0.0.5 80", "none"},
      {"in 6 192.0.2.1 443 10.0.0.5 50000", "none"},  /* 443 is the source port */
      {"in 17 192.0.2.1 50000 10.0.0.5 443", "none"}, /* QUIC: UDP */
      {"out 6 10.0.0.5 50000 192.0.2.1 443", "none"}}},
    {"C: mirror non-local VPC traffic (10.0.0.0/16, all protocols)",
     {"egress 10 reject - 0.0.0.0/0 10.0.0.0/16", "egress 20 accept - " ALL4,
      "ingress 10 reject - 10.0.0.0/16 0.0.0.0/0", "ingress 20 accept - " ALL4},
     {{"out 6 10.0.1.5 40000 10.0.2.6 80", "reject 10"},
      {"out 6 10.0.1.5 40000 93.184.216.34 80", "accept 20"},
      {"out 1 10.0.1.5 0 10.0.255.255 0", "reject 10"},
      {"out 1 10.0.1.5 0 10.1.0.0 0", "accept 20"},
      {"in 17 10.0.9.9 53 10.0.1.5 40000", "reject 10"},
      {"in 17 8.8.8.8 53 10.0.1.5 40000", "accept 20"},
      {"in 47 192.0.2.1 0 10.0.1.5 0", "accept 20"},
      {"out 6 2001:db8::1 1 2001:db8::2 2", "none"}}},
    {"D: CloudFormation sample, UDP 10.0.0.0/16 ports 10-50 to 10.0.0.0/16 ports 50-100",
     {"ingress 10 accept 17 10.0.0.0/16 10.0.0.0/16 10-50 50-100"},
     {{"in 17 10.0.1.1 10 10.0.2.2 50", "accept 10"},
      {"in 17 10.0.1.1 50 10.0.2.2 100", "accept 10"},
      {"in 17 10.0.1.1 30 10.0.2.2 75", "accept 10"},
      {"in 17 10.0.1.1 9 10.0.2.2 75", "none"},
      {"in 17 10.0.1.1 51 10.0.2.2 75", "none"},
      {"in 17 10.0.1.1 30 10.0.2.2 49", "none"},
      {"in 17 10.0.1.1 30 10.0.2.2 101", "none"},
      {"in 6 10.0.1.1 30 10.0.2.2 75", "none"},
      {"in 17 10.1.1.1 30 10.0.2.2 75", "none"},
      {"out 17 10.0.1.1 30 10.0.2.2 75", "none"}}},
    {"E, filter 1: TCP to appliance A",
     {"ingress 10 accept 6 " ALL4},
     {{"in 6 192.0.2.1 1 10.0.0.5 2", "accept 10"},
      {"in 17 192.0.2.1 1 10.0.0.5 2", "none"},
      {"in 1 192.0.2.1 0 10.0.0.5 0", "none"}}},
    {"E, filter 2: UDP to appliance B",
     {"ingress 10 accept 17 " ALL4},
     {{"in 17 192.0.2.1 1 10.0.0.5 2", "accept 10"}, {"in 6 192.0.2.1 1 10.0.0.5 2", "none"}}},
    {"reject before a wider accept: the lower number wins",
     {"ingress 10 reject - 10.1.0.0/16 0.0.0.0/0", "ingress 20 accept - 10.0.0.0/8 0.0.0.0/0"},
     {{"in 6 10.1.2.3 1 192.0.2.1 2", "reject 10"},
      {"in 6 10.2.2.3 1 192.0.2.1 2", "accept 20"},
      {"in 6 11.0.0.1 1 192.0.2.1 2", "none"}}},
    {"accept before a wider reject",
     {"ingress 10 accept - 10.1.0.0/16 0.0.0.0/0", "ingress 20 reject - 10.0.0.0/8 0.0.0.0/0"},
     {{"in 6 10.1.2.3 1 192.0.2.1 2", "accept 10"},
      {"in 6 10.2.2.3 1 192.0.2.1 2", "reject 20"},
      {"in 6 11.0.0.1 1 192.0.2.1 2", "none"}}},
    {"numbers with gaps: 5, 100, 32766",
     {"egress 5 reject 17 " ALL4 " - 53", "egress 100 accept 17 " ALL4,
      "egress 32766 reject - " ALL4},
     {{"out 17 10.0.0.5 40000 192.0.2.1 53", "reject 5"},
      {"out 17 10.0.0.5 40000 192.0.2.1 54", "accept 100"},
      {"out 6 10.0.0.5 40000 192.0.2.1 53", "reject 32766"}}},
    {"/32 hosts on both sides",
     {"egress 10 accept - 10.0.0.5/32 192.0.2.10/32"},
     {{"out 6 10.0.0.5 1 192.0.2.10 2", "accept 10"},
      {"out 6 10.0.0.4 1 192.0.2.10 2", "none"},
      {"out 6 10.0.0.6 1 192.0.2.10 2", "none"},
      {"out 6 10.0.0.5 1 192.0.2.11 2", "none"},
      {"out 6 192.0.2.10 2 10.0.0.5 1", "none"}}}, /* swapped: CIDRs are per side */
    {"odd prefix lengths: /12, /25, /1, /31",
     {"ingress 10 accept - 172.16.0.0/12 0.0.0.0/0",
      "ingress 20 accept - 192.168.1.128/25 0.0.0.0/0", "ingress 30 accept - 0.0.0.0/0 128.0.0.0/1",
      "ingress 40 reject - 0.0.0.0/0 10.9.9.8/31"},
     {{"in 6 172.31.255.255 1 10.0.0.1 2", "accept 10"},
      {"in 6 172.16.0.0 1 10.0.0.1 2", "accept 10"},
      {"in 6 172.32.0.0 1 10.0.0.1 2", "none"},
      {"in 6 172.15.255.255 1 10.0.0.1 2", "none"},
      {"in 6 192.168.1.128 1 10.0.0.1 2", "accept 20"},
      {"in 6 192.168.1.255 1 10.0.0.1 2", "accept 20"},
      {"in 6 192.168.1.127 1 10.0.0.1 2", "none"},
      {"in 6 1.1.1.1 1 200.1.1.1 2", "accept 30"},
      {"in 6 1.1.1.1 1 127.255.255.255 2", "none"},
      {"in 6 1.1.1.1 1 10.9.9.9 2", "reject 40"},
      {"in 6 1.1.1.1 1 10.9.9.8 2", "reject 40"},
      {"in 6 1.1.1.1 1 10.9.9.10 2", "none"}}},
    {"all protocols, /0 both sides",
     {"ingress 10 accept - " ALL4},
     {{"in 1 192.0.2.1 0 10.0.0.5 0", "accept 10"},
      {"in 6 192.0.2.1 1 10.0.0.5 2", "accept 10"},
      {"in 17 192.0.2.1 1 10.0.0.5 2", "accept 10"},
      {"in 47 192.0.2.1 0 10.0.0.5 0", "accept 10"},
      {"in 0 0.0.0.0 0 255.255.255.255 0", "accept 10"},
      {"in 1 2001:db8::1 0 2001:db8::2 0", "none"},
      {"in arp", "none"}}},
    {"source port range only (ephemeral clients)",
     {"ingress 10 accept 6 " ALL4 " 1024-65535"},
     {{"in 6 192.0.2.1 1024 10.0.0.5 80", "accept 10"},
      {"in 6 192.0.2.1 65535 10.0.0.5 80", "accept 10"},
      {"in 6 192.0.2.1 1023 10.0.0.5 80", "none"},
      {"in 6 192.0.2.1 0 10.0.0.5 80", "none"}}},
    {"destination port with all protocols: TCP and UDP only",
     {"ingress 10 accept - " ALL4 " - 53"},
     {{"in 17 192.0.2.1 40000 10.0.0.5 53", "accept 10"},
      {"in 6 192.0.2.1 40000 10.0.0.5 53", "accept 10"},
      {"in 1 192.0.2.1 0 10.0.0.5 53", "none"},       /* ICMP, even if the field were 53 */
      {"in 132 192.0.2.1 40000 10.0.0.5 53", "none"}, /* SCTP has ports, not ours */
      {"in 17 192.0.2.1 40000 10.0.0.5 5353", "none"}}},
    {"rules with ports against ICMP packets",
     {"ingress 10 reject - " ALL4 " 0-65535 0-65535", "ingress 20 reject 1 " ALL4 " - 0-65535",
      "ingress 30 accept 1 " ALL4},
     {{"in 1 192.0.2.1 0 10.0.0.5 0", "accept 30"},
      {"in 6 192.0.2.1 1 10.0.0.5 2", "reject 10"},
      {"in 17 192.0.2.1 0 10.0.0.5 0", "reject 10"},
      {"in 58 192.0.2.1 0 10.0.0.5 0", "none"}}},
    {"fragments: ports 0 compare as 0",
     {"egress 10 reject 17 " ALL4 " - 4789", "egress 20 accept 17 " ALL4 " 0-100 0-100"},
     {{"out 17 10.0.0.5 0 192.0.2.1 0", "accept 20"}, /* non-first fragment */
      {"out 17 10.0.0.5 40000 192.0.2.1 4789", "reject 10"},
      {"out 17 10.0.0.5 100 192.0.2.1 100", "accept 20"},
      {"out 17 10.0.0.5 101 192.0.2.1 100", "none"}}},
    {"IPv6 prefixes /32, /64, /128",
     {"ingress 10 reject 6 2001:db8:0:1::/64 ::/0 - 22", "ingress 20 accept 6 2001:db8::/32 ::/0",
      "ingress 30 accept - ::/0 2001:db8:ffff::1/128"},
     {{"in 6 2001:db8:0:1::9 40000 2001:db8:9::1 22", "reject 10"},
      {"in 6 2001:db8:0:2::9 40000 2001:db8:9::1 22", "accept 20"},
      {"in 6 2001:db8:ffff:ffff::1 1 2001:db8:9::1 2", "accept 20"},
      {"in 6 2001:db9:: 1 2001:db8:9::1 2", "none"},
      {"in 58 2001:db9::1 0 2001:db8:ffff::1 0", "accept 30"},
      {"in 58 2001:db9::1 0 2001:db8:ffff::2 0", "none"},
      {"in 6 10.0.0.1 40000 10.0.0.2 22", "none"}}},
    {"IPv6 link-local rejected before ::/0",
     {"egress 10 reject - ::/0 fe80::/10", "egress 20 accept 58 " ALL6,
      "egress 30 accept 17 " ALL6 " 546-547 -"},
     {{"out 58 2001:db8::1 0 fe80::1 0", "reject 10"},
      {"out 58 2001:db8::1 0 febf:ffff::1 0", "reject 10"},
      {"out 58 2001:db8::1 0 fec0::1 0", "accept 20"},
      {"out 17 2001:db8::1 546 2001:db8::2 547", "accept 30"},
      {"out 17 2001:db8::1 545 2001:db8::2 547", "none"},
      {"out 1 10.0.0.1 0 10.0.0.2 0", "none"}}},
    {"both families in one direction, IPv6 first",
     {"ingress 10 reject - " ALL6, "ingress 20 accept - " ALL4},
     {{"in 6 2001:db8::1 1 2001:db8::2 2", "reject 10"},
      {"in 6 10.0.0.1 1 10.0.0.2 2", "accept 20"},
      {"in 6 ::ffff:10.0.0.1 1 ::ffff:10.0.0.2 2", "reject 10"}}}, /* mapped is IPv6 */
    {"only ingress rules: egress packets are not mirrored",
     {"ingress 10 accept - " ALL4, "ingress 20 accept - " ALL6},
     {{"in 6 192.0.2.1 1 10.0.0.5 2", "accept 10"},
      {"out 6 10.0.0.5 2 192.0.2.1 1", "none"},
      {"out 58 2001:db8::1 0 2001:db8::2 0", "none"},
      {"in 58 2001:db8::1 0 2001:db8::2 0", "accept 20"}}},
    {"only egress rules: ingress packets are not mirrored",
     {"egress 10 accept - " ALL4},
     {{"out 6 10.0.0.5 2 192.0.2.1 1", "accept 10"}, {"in 6 192.0.2.1 1 10.0.0.5 2", "none"}}},
    {"no rules at all",
     {NULL},
     {{"in 6 192.0.2.1 1 10.0.0.5 2", "none"},
      {"out 6 10.0.0.5 2 192.0.2.1 1", "none"},
      {"in arp", "none"}}},
    {"CIDRs are the packet's own source and destination, not local/remote",
     {"egress 10 accept - 10.0.0.0/16 0.0.0.0/0", "ingress 10 accept - 10.0.0.0/16 0.0.0.0/0"},
     {{"out 6 10.0.0.5 40000 8.8.8.8 443", "accept 10"},
      {"out 6 8.8.8.8 443 10.0.0.5 40000", "none"},
      {"in 6 8.8.8.8 443 10.0.0.5 40000", "none"},
      {"in 6 10.0.0.5 40000 8.8.8.8 443", "accept 10"}}},
    {"ten rules, the last one decides",
     {"ingress 1 reject 6 " ALL4 " - 1", "ingress 2 reject 6 " ALL4 " - 2",
      "ingress 3 reject 6 " ALL4 " - 3", "ingress 4 reject 6 " ALL4 " - 4",
      "ingress 5 reject 6 " ALL4 " - 5", "ingress 6 reject 6 " ALL4 " - 6",
      "ingress 7 reject 6 " ALL4 " - 7", "ingress 8 reject 6 " ALL4 " - 8",
      "ingress 9 reject 6 " ALL4 " - 9", "ingress 10 accept 6 " ALL4 " - 10"},
     {{"in 6 192.0.2.1 1 10.0.0.5 10", "accept 10"},
      {"in 6 192.0.2.1 1 10.0.0.5 7", "reject 7"},
      {"in 6 192.0.2.1 1 10.0.0.5 11", "none"}}},
    {"explicit protocol numbers: 0 and 58 are protocols, not 'all'",
     {"ingress 10 accept 0 " ALL6, "ingress 20 reject 58 " ALL6, "ingress 30 accept 50 " ALL4},
     {{"in 0 2001:db8::1 0 2001:db8::2 0", "accept 10"},
      {"in 58 2001:db8::1 0 2001:db8::2 0", "reject 20"},
      {"in 6 2001:db8::1 0 2001:db8::2 0", "none"},
      {"in 50 192.0.2.1 0 10.0.0.5 0", "accept 30"},
      {"in 51 192.0.2.1 0 10.0.0.5 0", "none"}}},
    {"single source and destination ports together",
     {"egress 10 accept 17 " ALL4 " 123 123", "egress 20 reject 17 " ALL4 " 123 -"},
     {{"out 17 10.0.0.5 123 192.0.2.1 123", "accept 10"},
      {"out 17 10.0.0.5 123 192.0.2.1 124", "reject 20"},
      {"out 17 10.0.0.5 124 192.0.2.1 123", "none"},
      {"out 6 10.0.0.5 123 192.0.2.1 123", "none"}}},
};

static void verdict_text(char *buf, size_t len, enum vx_rule_verdict v, const struct vx_rule_cfg *r)
{
	if (v == VX_RULE_NO_MATCH)
		snprintf(buf, len, "none%s", r ? " (with a rule!)" : "");
	else
		snprintf(buf, len, "%s %u", v == VX_RULE_ACCEPT ? "accept" : "reject",
		         r ? r->number : 0u);
}

static void test_rule_table(void **state)
{
	(void)state;
	size_t n_sets = sizeof(rule_sets) / sizeof(rule_sets[0]);
	unsigned n_packets = 0, failures = 0;
	assert_true(n_sets >= 20);
	for (size_t i = 0; i < n_sets; i++) {
		const struct rcase *c = &rule_sets[i];
		struct vx_filter_cfg f;
		build_filter(&f, c->rules, false);
		for (const struct pcase *p = c->pkts; p < c->pkts + 12 && p->pkt; p++) {
			struct vx_flow_key k;
			enum vx_direction dir;
			parse_packet(p->pkt, &k, &dir);
			const struct vx_rule_cfg *m = (const void *)1;
			enum vx_rule_verdict v = vx_filter_eval(&f, dir, &k, &m);
			char got[48];
			verdict_text(got, sizeof(got), v, m);
			/* The deciding rule is one of this direction's rules. */
			const struct vx_rule_cfg *arr =
			    dir == VX_DIR_INGRESS ? f.ingress : f.egress;
			unsigned cnt = dir == VX_DIR_INGRESS ? f.n_ingress : f.n_egress;
			bool in_dir = m == NULL ? v == VX_RULE_NO_MATCH : m >= arr && m < arr + cnt;
			if (strcmp(got, p->want) || !in_dir) {
				print_error("rule set '%s', packet '%s': got %s, want %s%s\n",
				            c->name, p->pkt, got, p->want,
				            in_dir ? "" : " (rule of the wrong direction)");
				failures++;
			}
			/* Without *matched the verdict is the same. */
			if (vx_filter_eval(&f, dir, &k, NULL) != v)
				failures++;
			n_packets++;
		}
	}
	print_message("%zu rule sets, %u packets\n", n_sets, n_packets);
	assert_int_equal(failures, 0);
}

/* The parser helper itself: what it builds for a documented example rule. */
static void test_rule_helper(void **state)
{
	(void)state;
	struct vx_rule_cfg r;
	enum vx_direction dir;
	parse_rule("ingress 10 reject 6 0.0.0.0/0 10.0.0.0/16 - 22", &r, &dir);
	assert_int_equal(dir, VX_DIR_INGRESS);
	assert_int_equal(r.number, 10);
	assert_false(r.accept);
	assert_int_equal(r.protocol, 6);
	assert_int_equal(r.src.family, 4);
	assert_int_equal(r.src.prefix, 0);
	assert_int_equal(r.dst.prefix, 16);
	assert_memory_equal(r.dst.addr, "\x0a\x00\x00\x00", 4);
	assert_int_equal(r.sport_lo, -1);
	assert_int_equal(r.sport_hi, -1);
	assert_int_equal(r.dport_lo, 22);
	assert_int_equal(r.dport_hi, 22);
	parse_rule("egress 32766 accept - ::/0 fe80::/10 10-50", &r, &dir);
	assert_int_equal(dir, VX_DIR_EGRESS);
	assert_true(r.accept);
	assert_int_equal(r.protocol, -1);
	assert_int_equal(r.src.family, 6);
	assert_int_equal(r.sport_lo, 10);
	assert_int_equal(r.sport_hi, 50);
	assert_int_equal(r.dport_lo, -1);
}

/* A half-given port range and a corrupt prefix length never misbehave. */
static void test_rule_edge_fields(void **state)
{
	(void)state;
	struct vx_filter_cfg f;
	const char *rules[] = {"ingress 10 accept 6 " ALL4, NULL};
	build_filter(&f, rules, false);
	struct vx_flow_key k = key("in 6 192.0.2.1 1 10.0.0.5 8080");
	f.ingress[0].dport_lo = 8000; /* only "from" given: up to 65535 */
	assert_int_equal(vx_filter_eval(&f, VX_DIR_INGRESS, &k, NULL), VX_RULE_ACCEPT);
	f.ingress[0].dport_lo = 8081;
	assert_int_equal(vx_filter_eval(&f, VX_DIR_INGRESS, &k, NULL), VX_RULE_NO_MATCH);
	f.ingress[0].dport_lo = -1;
	f.ingress[0].dport_hi = 8080; /* only "to" given: from 0 */
	assert_int_equal(vx_filter_eval(&f, VX_DIR_INGRESS, &k, NULL), VX_RULE_ACCEPT);
	f.ingress[0].dport_hi = -1;
	f.ingress[0].src.prefix = 200; /* corrupt: no match, no overread */
	assert_int_equal(vx_filter_eval(&f, VX_DIR_INGRESS, &k, NULL), VX_RULE_NO_MATCH);
	f.ingress[0].src.prefix = 0;
	f.n_ingress = 250; /* corrupt count: clamped to the array */
	assert_int_equal(vx_filter_eval(&f, VX_DIR_INGRESS, &k, NULL), VX_RULE_ACCEPT);
}

/* ---- sessions ------------------------------------------------------- */

static void add_session(struct vx_source_cfg *src, uint16_t number, const char *const *rules,
                        bool amazon_dns)
{
	assert_true(src->n_sessions < VX_SESSIONS_PER_SOURCE);
	struct vx_session_cfg *s = &src->sessions[src->n_sessions++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "tms-%u", number);
	s->number = number;
	s->vni = 100u + number;
	build_filter(&s->filter, rules, amazon_dns);
}

static void init_source(struct vx_source_cfg *src)
{
	memset(src, 0, sizeof(*src));
	strcpy(src->eni, "eni-test");
	strcpy(src->ifname, "eth0");
	strcpy(src->address, "10.0.0.5");
	src->present = true;
}

static int pick(const struct vx_source_cfg *src, const struct vx_host_services *hs, const char *pkt,
                enum vx_exclusion *why)
{
	struct vx_flow_key k;
	enum vx_direction dir;
	parse_packet(pkt, &k, &dir);
	*why = VX_EXCL_COUNT; /* must be overwritten */
	return vx_mirror_pick_session(src, hs, dir, &k, why);
}

static void test_session_priority(void **state)
{
	(void)state;
	struct vx_source_cfg src;
	init_source(&src);
	const char *http[] = {"ingress 10 accept 6 " ALL4 " - 80", NULL};
	const char *tcp[] = {"ingress 10 accept 6 " ALL4, NULL};
	const char *all[] = {"ingress 10 accept - " ALL4, "egress 10 accept - " ALL4, NULL};
	add_session(&src, 1, http, false);
	add_session(&src, 2, tcp, false);
	add_session(&src, 3, all, false);
	enum vx_exclusion why;
	/* Every session accepts HTTP: the lowest number takes it, once. */
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 80", &why), 0);
	assert_int_equal(why, VX_EXCL_NONE);
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 22", &why), 1);
	assert_int_equal(why, VX_EXCL_NONE);
	assert_int_equal(pick(&src, NULL, "in 17 192.0.2.1 40000 10.0.0.5 80", &why), 2);
	assert_int_equal(pick(&src, NULL, "out 6 10.0.0.5 80 192.0.2.1 40000", &why), 2);
	/* Nobody has IPv6 rules. */
	assert_int_equal(pick(&src, NULL, "in 6 2001:db8::1 40000 2001:db8::5 80", &why), -1);
	assert_int_equal(why, VX_EXCL_NONE);

	/* A reject in session 1 means "not this session": session 2 still gets it. */
	init_source(&src);
	const char *no_ssh[] = {"ingress 10 reject 6 " ALL4 " - 22", "ingress 20 accept - " ALL4,
	                        NULL};
	add_session(&src, 1, no_ssh, false);
	add_session(&src, 2, tcp, false);
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 22", &why), 1);
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 23", &why), 0);
	assert_int_equal(pick(&src, NULL, "in 17 192.0.2.1 40000 10.0.0.5 22", &why), 0);
	/* Rejected everywhere: not mirrored, no exclusion. */
	const char *reject_all[] = {"ingress 10 reject - " ALL4, NULL};
	init_source(&src);
	add_session(&src, 1, reject_all, false);
	add_session(&src, 2, reject_all, false);
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 22", &why), -1);
	assert_int_equal(why, VX_EXCL_NONE);

	/* No sessions. */
	init_source(&src);
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 22", &why), -1);
	assert_int_equal(why, VX_EXCL_NONE);
	struct vx_flow_key k = key("in 6 192.0.2.1 40000 10.0.0.5 22");
	assert_int_equal(vx_mirror_pick_session(&src, NULL, VX_DIR_INGRESS, &k, NULL), -1);
}

/* SPEC.md §1.4 example E: TCP to appliance A (session 1), UDP to B (session 2). */
static void test_example_e_sessions(void **state)
{
	(void)state;
	struct vx_source_cfg src;
	init_source(&src);
	const char *tcp[] = {"ingress 10 accept 6 " ALL4, NULL};
	const char *udp[] = {"ingress 10 accept 17 " ALL4, NULL};
	add_session(&src, 1, tcp, false);
	add_session(&src, 2, udp, false);
	enum vx_exclusion why;
	assert_int_equal(pick(&src, NULL, "in 6 192.0.2.1 40000 10.0.0.5 443", &why), 0);
	assert_int_equal(pick(&src, NULL, "in 17 192.0.2.1 40000 10.0.0.5 443", &why), 1);
	assert_int_equal(pick(&src, NULL, "in 1 192.0.2.1 0 10.0.0.5 0", &why), -1);
	assert_int_equal(why, VX_EXCL_NONE);
	assert_int_equal(pick(&src, NULL, "out 6 10.0.0.5 443 192.0.2.1 40000", &why), -1);
}

/* ---- amazon-dns ----------------------------------------------------- */

static void resolvers(struct vx_host_services *hs)
{
	memset(hs, 0, sizeof(*hs));
	const char *addrs[] = {"10.0.0.2", "fd00:ec2::253"};
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(
		    vx_addr_parse(addrs[i], &hs->resolvers[i].family, hs->resolvers[i].addr), 0);
		hs->n_resolvers++;
	}
}

static void test_amazon_dns(void **state)
{
	(void)state;
	struct vx_host_services hs;
	resolvers(&hs);
	struct vx_source_cfg src;
	const char *all[] = {"ingress 10 accept - " ALL4, "egress 10 accept - " ALL4,
	                     "ingress 20 accept - " ALL6, "egress 20 accept - " ALL6, NULL};
	const char *none[] = {NULL};
	const char *reject_all[] = {"egress 10 reject - " ALL4, "ingress 10 reject - " ALL4, NULL};
	enum vx_exclusion why;

	/* Without the service, resolver traffic is not eligible whatever the rules. */
	init_source(&src);
	add_session(&src, 1, all, false);
	const char *dns_pkts[] = {
	    "out 17 10.0.0.5 40000 10.0.0.2 53",         "in 17 10.0.0.2 53 10.0.0.5 40000",
	    "out 6 10.0.0.5 40000 10.0.0.2 53",          "in 6 10.0.0.2 53 10.0.0.5 40000",
	    "out 17 2001:db8::5 40000 fd00:ec2::253 53", "in 17 fd00:ec2::253 53 2001:db8::5 40000",
	};
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(pick(&src, &hs, dns_pkts[i], &why), -1);
		assert_int_equal(why, VX_EXCL_DNS);
	}
	/* Not resolver traffic: port 53 elsewhere, other ports to the resolver,
	 * port 53 on the wrong side, other protocols. */
	const char *other[] = {
	    "out 17 10.0.0.5 40000 8.8.8.8 53",
	    "out 17 10.0.0.5 40000 10.0.0.2 54",
	    "out 17 10.0.0.5 53 10.0.0.2 40000",
	    "in 17 10.0.0.2 40000 10.0.0.5 53",
	    "out 1 10.0.0.5 0 10.0.0.2 0",
	    "out 132 10.0.0.5 40000 10.0.0.2 53",
	    "out 17 10.0.0.5 40000 10.0.0.3 53",
	    "out 17 2001:db8::5 40000 fd00:ec2::252 53",
	    "out 17 2001:db8::5 40000 ::ffff:10.0.0.2 53",
	};
	for (unsigned i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		struct vx_flow_key k = key(other[i]);
		assert_int_equal(vx_mirror_exclusion(&hs, &k), VX_EXCL_NONE);
		assert_int_equal(pick(&src, &hs, other[i], &why), 0);
		assert_int_equal(why, VX_EXCL_NONE);
	}
	/* Without resolvers (or services) nothing is DNS. */
	assert_int_equal(pick(&src, NULL, dns_pkts[0], &why), 0);
	struct vx_host_services empty = {0};
	assert_int_equal(pick(&src, &empty, dns_pkts[1], &why), 0);

	/* With the service on session 2: session 2 mirrors all of it, even
	 * though its filter has no rules and session 1 would accept it. */
	add_session(&src, 2, none, true);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(pick(&src, &hs, dns_pkts[i], &why), 1);
		assert_int_equal(why, VX_EXCL_NONE);
	}
	/* Other traffic still follows the rules: session 1. */
	assert_int_equal(pick(&src, &hs, "out 17 10.0.0.5 40000 8.8.8.8 53", &why), 0);

	/* The service wins over the filter's own rejects; the first session
	 * with the service takes it. */
	init_source(&src);
	add_session(&src, 1, all, false);
	add_session(&src, 2, reject_all, true);
	add_session(&src, 3, all, true);
	assert_int_equal(pick(&src, &hs, dns_pkts[0], &why), 1);
	assert_int_equal(pick(&src, &hs, dns_pkts[3], &why), 1);
	/* ...but not elsewhere: session 2's reject applies to other traffic. */
	assert_int_equal(pick(&src, &hs, "in 6 192.0.2.1 1 10.0.0.5 2", &why), 0);
	init_source(&src);
	add_session(&src, 1, reject_all, true);
	assert_int_equal(pick(&src, &hs, "in 6 192.0.2.1 1 10.0.0.5 2", &why), -1);
	assert_int_equal(why, VX_EXCL_NONE);
	assert_int_equal(pick(&src, &hs, dns_pkts[1], &why), 0);
}

/* ---- never mirrored ------------------------------------------------- */

struct xcase {
	const char *pkt;
	enum vx_exclusion want;
};

static void test_exclusions(void **state)
{
	(void)state;
	struct vx_host_services hs;
	resolvers(&hs);
	static const struct xcase cases[] = {
	    {"in arp", VX_EXCL_NOT_IP},
	    /* Instance metadata, any protocol, either side. */
	    {"out 6 10.0.0.5 40000 169.254.169.254 80", VX_EXCL_METADATA},
	    {"in 6 169.254.169.254 80 10.0.0.5 40000", VX_EXCL_METADATA},
	    {"out 1 10.0.0.5 0 169.254.169.254 0", VX_EXCL_METADATA},
	    {"out 6 2001:db8::5 40000 fd00:ec2::254 80", VX_EXCL_METADATA},
	    {"in 6 fd00:ec2::254 80 2001:db8::5 40000", VX_EXCL_METADATA},
	    {"out 6 10.0.0.5 40000 169.254.169.253 80", VX_EXCL_NONE},
	    {"out 6 2001:db8::5 40000 fd00:ec2::255 80", VX_EXCL_NONE},
	    /* An IPv4 address's bytes in an IPv6 packet are not the IPv4 address. */
	    {"out 6 a9fe:a9fe:: 40000 2001:db8::1 80", VX_EXCL_NONE},
	    /* Time sync service: the addresses, any protocol. */
	    {"out 17 10.0.0.5 123 169.254.169.123 123", VX_EXCL_TIME},
	    {"in 17 169.254.169.123 123 10.0.0.5 123", VX_EXCL_TIME},
	    {"out 6 10.0.0.5 40000 169.254.169.123 80", VX_EXCL_TIME},
	    {"out 17 2001:db8::5 123 fd00:ec2::123 123", VX_EXCL_TIME},
	    {"in 1 fd00:ec2::123 0 2001:db8::5 0", VX_EXCL_TIME},
	    /* NTP to any other server is the host's own traffic. */
	    {"out 17 10.0.0.5 123 203.0.113.1 123", VX_EXCL_NONE},
	    {"out 17 2001:db8::5 123 2001:db8::123 123", VX_EXCL_NONE},
	    /* DHCP: UDP 67/68 over IPv4, 546/547 over IPv6, either port. */
	    {"out 17 0.0.0.0 68 255.255.255.255 67", VX_EXCL_DHCP},
	    {"in 17 10.0.0.1 67 10.0.0.5 68", VX_EXCL_DHCP},
	    {"out 17 10.0.0.5 40000 10.0.0.1 67", VX_EXCL_DHCP},
	    {"out 17 10.0.0.5 68 10.0.0.1 40000", VX_EXCL_DHCP},
	    {"out 17 fe80::1 546 ff02::1:2 547", VX_EXCL_DHCP},
	    {"in 17 fe80::2 547 fe80::1 546", VX_EXCL_DHCP},
	    {"out 6 10.0.0.5 68 10.0.0.1 67", VX_EXCL_NONE},    /* TCP */
	    {"out 17 fe80::1 68 fe80::2 67", VX_EXCL_NONE},     /* v4 ports over v6 */
	    {"out 17 10.0.0.5 546 10.0.0.1 547", VX_EXCL_NONE}, /* v6 ports over v4 */
	    {"out 17 10.0.0.5 0 10.0.0.1 0", VX_EXCL_NONE},     /* a fragment */
	    /* DNS to the host's resolvers. */
	    {"out 17 10.0.0.5 40000 10.0.0.2 53", VX_EXCL_DNS},
	    {"in 6 fd00:ec2::253 53 2001:db8::5 40000", VX_EXCL_DNS},
	    {"out 17 10.0.0.5 40000 10.0.0.2 0", VX_EXCL_NONE}, /* fragment */
	    /* Order: metadata, time, DHCP, DNS. */
	    {"out 17 169.254.169.254 68 169.254.169.123 67", VX_EXCL_METADATA},
	    {"out 17 10.0.0.5 68 169.254.169.123 67", VX_EXCL_TIME},
	    {"out 17 10.0.0.5 67 10.0.0.2 53", VX_EXCL_DHCP},
	    /* Ordinary traffic. */
	    {"out 6 10.0.0.5 40000 192.0.2.1 443", VX_EXCL_NONE},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_flow_key k = key(cases[i].pkt);
		enum vx_exclusion got = vx_mirror_exclusion(&hs, &k);
		if (got != cases[i].want)
			fail_msg("'%s': got %s, want %s", cases[i].pkt, vx_exclusion_name(got),
			         vx_exclusion_name(cases[i].want));
	}

	/* Resolvers at special addresses: the earlier check wins. */
	struct vx_host_services odd = {0};
	odd.n_resolvers = 1;
	odd.resolvers[0].family = 4;
	memcpy(odd.resolvers[0].addr, "\xa9\xfe\xa9\x7b", 4); /* 169.254.169.123 */
	struct vx_flow_key k = key("out 17 10.0.0.5 40000 169.254.169.123 53");
	assert_int_equal(vx_mirror_exclusion(&odd, &k), VX_EXCL_TIME);

	/* Nothing excluded gets mirrored, not even by an amazon-dns session
	 * that accepts everything; *why names the exclusion. */
	struct vx_source_cfg src;
	init_source(&src);
	const char *all[] = {"ingress 10 accept - " ALL4, "egress 10 accept - " ALL4,
	                     "ingress 20 accept - " ALL6, "egress 20 accept - " ALL6, NULL};
	add_session(&src, 1, all, true);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum vx_exclusion why;
		int s = pick(&src, &hs, cases[i].pkt, &why);
		bool mirrored = cases[i].want == VX_EXCL_NONE || cases[i].want == VX_EXCL_DNS;
		if (s != (mirrored ? 0 : -1) || why != (mirrored ? VX_EXCL_NONE : cases[i].want))
			fail_msg("'%s': session %d, why %s", cases[i].pkt, s,
			         vx_exclusion_name(why));
	}
}

static void test_exclusion_names(void **state)
{
	(void)state;
	assert_string_equal(vx_exclusion_name(VX_EXCL_NONE), "none");
	assert_string_equal(vx_exclusion_name(VX_EXCL_NOT_IP), "not_ip");
	assert_string_equal(vx_exclusion_name(VX_EXCL_DHCP), "dhcp");
	assert_string_equal(vx_exclusion_name(VX_EXCL_METADATA), "metadata");
	assert_string_equal(vx_exclusion_name(VX_EXCL_TIME), "time_sync");
	assert_string_equal(vx_exclusion_name(VX_EXCL_DNS), "dns");
	assert_non_null(vx_exclusion_name(VX_EXCL_COUNT));
	assert_non_null(vx_exclusion_name((enum vx_exclusion)99));
}

/* ---- resolv.conf ---------------------------------------------------- */

static char tmpdir[256];

static int tmp_setup(void **state)
{
	(void)state;
	return tu_tmp_make(tmpdir, sizeof(tmpdir), "mirror_select");
}

static int tmp_teardown(void **state)
{
	(void)state;
	return tu_tmp_remove(tmpdir);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void load_text(struct vx_host_services *hs, const char *name, const char *text,
                      unsigned want)
{
	char path[512];
	tu_tmp_path(tmpdir, path, sizeof(path), name);
	write_file(path, text, strlen(text));
	memset(hs, 0xa5, sizeof(*hs));
	assert_int_equal(vx_host_services_load(hs, path), want);
	assert_int_equal(hs->n_resolvers, want);
}

static void assert_resolver(const struct vx_host_services *hs, unsigned i, const char *addr)
{
	uint8_t family, bytes[16];
	assert_int_equal(vx_addr_parse(addr, &family, bytes), 0);
	assert_true(i < hs->n_resolvers);
	assert_int_equal(hs->resolvers[i].family, family);
	assert_memory_equal(hs->resolvers[i].addr, bytes, 16);
}

static void test_resolv_conf(void **state)
{
	(void)state;
	struct vx_host_services hs;
	load_text(&hs, "basic",
	          "# Generated by NetworkManager\n"
	          "; another comment\n"
	          "search ec2.internal example.com\n"
	          "options timeout:2 attempts:5\n"
	          "nameserver 10.0.0.2\n"
	          "#nameserver 10.0.0.9\n"
	          "nameserver\tfe80::1%eth0\n"
	          "nameserver 10.0.0.300\n"            /* malformed */
	          "nameserver\n"                       /* no address */
	          "nameservers 10.0.0.8\n"             /* another keyword */
	          "nameserver10.0.0.7\n"               /* no blank */
	          "  nameserver 10.0.0.6\n"            /* glibc ignores indented lines */
	          "nameserver example.com\n"           /* not an address */
	          "nameserver 10.0.0.3 # resolver B\n" /* trailing comment */
	          "nameserver fd00:ec2::253 trailing junk\n",
	          4);
	assert_resolver(&hs, 0, "10.0.0.2");
	assert_resolver(&hs, 1, "fe80::1");
	assert_resolver(&hs, 2, "10.0.0.3");
	assert_resolver(&hs, 3, "fd00:ec2::253");

	/* The loaded resolvers drive the DNS exclusion. */
	struct vx_flow_key k = key("out 17 10.0.0.5 40000 10.0.0.3 53");
	assert_int_equal(vx_mirror_exclusion(&hs, &k), VX_EXCL_DNS);
	k = key("out 17 fe80::5 40000 fe80::1 53");
	assert_int_equal(vx_mirror_exclusion(&hs, &k), VX_EXCL_DNS);

	/* At most VX_MAX_RESOLVERS, the first ones in the file. */
	load_text(&hs, "many",
	          "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"
	          "nameserver 10.0.0.4\nnameserver 10.0.0.5\nnameserver 10.0.0.6\n",
	          VX_MAX_RESOLVERS);
	assert_resolver(&hs, 0, "10.0.0.1");
	assert_resolver(&hs, VX_MAX_RESOLVERS - 1, "10.0.0.4");

	/* CRLF line ends, a semicolon comment, no newline at the end. */
	load_text(&hs, "crlf", "nameserver 10.0.0.2\r\nnameserver 10.0.0.3;x\r\nnameserver ::1", 3);
	assert_resolver(&hs, 0, "10.0.0.2");
	assert_resolver(&hs, 1, "10.0.0.3");
	assert_resolver(&hs, 2, "::1");

	/* Empty file, only comments. */
	load_text(&hs, "empty", "", 0);
	load_text(&hs, "comments", "# nothing\n\n\n; here\n", 0);
	/* A scope on an IPv4 address is dropped like any other. */
	load_text(&hs, "scope4", "nameserver 10.0.0.2%eth0\n", 1);
	assert_resolver(&hs, 0, "10.0.0.2");
	/* An over-long address field. */
	load_text(&hs, "longaddr",
	          "nameserver 1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:"
	          "eeee:ffff\n",
	          0);
}

static void test_resolv_conf_long_lines(void **state)
{
	(void)state;
	static char text[20000];
	size_t n = 0;
	/* A very long comment line, then a valid line. */
	text[n++] = '#';
	memset(text + n, 'x', 9000);
	n += 9000;
	n += (size_t)sprintf(text + n, "\nnameserver 10.0.0.2\n");
	/* A nameserver line padded past the line buffer is skipped whole:
	 * it is not parsed from a cut-off prefix. */
	n += (size_t)sprintf(text + n, "nameserver 10.0.0.3 ");
	memset(text + n, ' ', 5000);
	n += 5000;
	n += (size_t)sprintf(text + n, "x\nnameserver 10.0.0.4\n");
	/* A long last line without a newline. */
	n += (size_t)sprintf(text + n, "nameserver 10.0.0.5 ");
	memset(text + n, 'y', 3000);
	n += 3000;
	text[n] = '\0';
	struct vx_host_services hs;
	load_text(&hs, "long", text, 2);
	assert_resolver(&hs, 0, "10.0.0.2");
	assert_resolver(&hs, 1, "10.0.0.4");

	/* A NUL byte spoils its line only. */
	char path[512];
	tu_tmp_path(tmpdir, path, sizeof(path), "nul");
	static const char nul[] = "nameserver 10.0.0.2\0junk\nnameserver 10.0.0.3\n";
	write_file(path, nul, sizeof(nul) - 1);
	assert_int_equal(vx_host_services_load(&hs, path), 1);
	assert_resolver(&hs, 0, "10.0.0.3");
}

static void test_resolv_conf_missing(void **state)
{
	(void)state;
	struct vx_host_services hs;
	char path[512];
	tu_tmp_path(tmpdir, path, sizeof(path), "does-not-exist");
	memset(&hs, 0xa5, sizeof(hs));
	assert_int_equal(vx_host_services_load(&hs, path), 0);
	assert_int_equal(hs.n_resolvers, 0);
	/* A directory is not readable as a file. */
	memset(&hs, 0xa5, sizeof(hs));
	assert_int_equal(vx_host_services_load(&hs, tmpdir), 0);
	assert_int_equal(hs.n_resolvers, 0);
	/* The default path: whatever this machine has, within bounds. */
	unsigned n = vx_host_services_load(&hs, NULL);
	assert_true(n <= VX_MAX_RESOLVERS);
	assert_int_equal(hs.n_resolvers, n);
	for (unsigned i = 0; i < n; i++)
		assert_true(hs.resolvers[i].family == 4 || hs.resolvers[i].family == 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_helper),
	    cmocka_unit_test(test_rule_table),
	    cmocka_unit_test(test_rule_edge_fields),
	    cmocka_unit_test(test_session_priority),
	    cmocka_unit_test(test_example_e_sessions),
	    cmocka_unit_test(test_amazon_dns),
	    cmocka_unit_test(test_exclusions),
	    cmocka_unit_test(test_exclusion_names),
	    cmocka_unit_test(test_resolv_conf),
	    cmocka_unit_test(test_resolv_conf_long_lines),
	    cmocka_unit_test(test_resolv_conf_missing),
	};
	return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
