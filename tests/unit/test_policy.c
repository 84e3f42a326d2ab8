/* Security groups and network ACLs (SPEC.md §2.4, Part 3 item 20): a table
 * of rule sets with packet sequences and the exact ACCEPT/REJECT of each
 * (ports, ICMP type/code, families, group references, ACL order and the
 * implicit deny, tracked replies, the documented ping example, TCP close,
 * idle timeouts), then the tracking table when full, configuration updates
 * (the seed scenario of two groups naming each other), untracked flows,
 * configuration errors and the tracking table itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vxtap/conntrack.h"
#include "vxtap/policy.h"

/* ---- configuration from text ------------------------------------------- */

#define MAX_RULES 32

struct world {
	struct vx_sg_cfg groups[8];
	struct vx_sg_rule rules[8][MAX_RULES];
	struct vx_nacl_cfg nacls[4];
	struct vx_nacl_entry entries[4][MAX_RULES];
	struct vx_policy_iface ifaces[8];
	struct vx_policy_cfg cfg;
};

static int parse_proto(const char *s)
{
	if (!strcmp(s, "all"))
		return -1;
	if (!strcmp(s, "tcp"))
		return 6;
	if (!strcmp(s, "udp"))
		return 17;
	if (!strcmp(s, "icmp"))
		return 1;
	if (!strcmp(s, "icmpv6"))
		return 58;
	char *end;
	long v = strtol(s, &end, 10);
	assert_int_equal(*end, '\0');
	return (int)v;
}

/* "*": -1 -1; "A-B": ports; "T:C": ICMP type and code (-1 any). */
static void parse_range(const char *s, struct vx_policy_match *m)
{
	char *end;
	if (!strcmp(s, "*")) {
		m->from_port = m->to_port = -1;
	} else if (strchr(s, ':')) {
		m->from_port = (int32_t)strtol(s, &end, 10);
		assert_int_equal(*end, ':');
		m->to_port = (int32_t)strtol(end + 1, &end, 10);
		assert_int_equal(*end, '\0');
	} else {
		m->from_port = (int32_t)strtol(s, &end, 10);
		assert_int_equal(*end, '-');
		m->to_port = (int32_t)strtol(end + 1, &end, 10);
		assert_int_equal(*end, '\0');
	}
}

static void parse_cidr(const char *s, struct vx_cidr *c)
{
	char why[128];
	if (vx_cidr_parse(s, c, why, sizeof(why)) < 0)
		fail_msg("bad CIDR in the test: %s: %s", s, why);
}

/* Split "a; b; c" into at most max parts (modifies buf). */
static int split(char *buf, const char *sep, char **out, int max)
{
	int n = 0;
	char *save;
	for (char *t = strtok_r(buf, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		assert_true(n < max);
		out[n++] = t;
	}
	return n;
}

/* "in|out PROTO RANGE PEER; ..." where PEER is a CIDR or a group ID. */
static void add_group(struct world *w, const char *id, const char *text)
{
	size_t g = w->cfg.n_groups++;
	struct vx_sg_cfg *sg = &w->groups[g];
	memset(sg, 0, sizeof(*sg));
	snprintf(sg->id, sizeof(sg->id), "%s", id);
	sg->rules = w->rules[g];
	char buf[1024], *parts[MAX_RULES];
	snprintf(buf, sizeof(buf), "%s", text ? text : "");
	int n = split(buf, ";", parts, MAX_RULES);
	for (int i = 0; i < n; i++) {
		char *tok[4];
		assert_int_equal(split(parts[i], " ", tok, 4), 4);
		struct vx_sg_rule *r = &sg->rules[sg->n_rules++];
		memset(r, 0, sizeof(*r));
		r->egress = !strcmp(tok[0], "out");
		r->match.protocol = (int16_t)parse_proto(tok[1]);
		parse_range(tok[2], &r->match);
		if (!strncmp(tok[3], "sg-", 3)) {
			r->by_group = true;
			snprintf(r->group_id, sizeof(r->group_id), "%s", tok[3]);
		} else {
			parse_cidr(tok[3], &r->cidr);
		}
	}
}

/* "NUMBER in|out allow|deny PROTO RANGE CIDR; ..." */
static void add_nacl(struct world *w, const char *id, const char *text)
{
	size_t a = w->cfg.n_nacls++;
	struct vx_nacl_cfg *acl = &w->nacls[a];
	memset(acl, 0, sizeof(*acl));
	snprintf(acl->id, sizeof(acl->id), "%s", id);
	acl->entries = w->entries[a];
	char buf[1024], *parts[MAX_RULES];
	snprintf(buf, sizeof(buf), "%s", text);
	int n = split(buf, ";", parts, MAX_RULES);
	for (int i = 0; i < n; i++) {
		char *tok[6];
		assert_int_equal(split(parts[i], " ", tok, 6), 6);
		struct vx_nacl_entry *e = &acl->entries[acl->n_entries++];
		memset(e, 0, sizeof(*e));
		e->number = (uint16_t)atoi(tok[0]);
		e->egress = !strcmp(tok[1], "out");
		e->allow = !strcmp(tok[2], "allow");
		e->match.protocol = (int16_t)parse_proto(tok[3]);
		parse_range(tok[4], &e->match);
		parse_cidr(tok[5], &e->cidr);
	}
}

/* Addresses "a,b", groups "sg-x,sg-y" (NULL: none), ACL ID (NULL: none). */
static struct vx_policy_iface *add_iface(struct world *w, const char *eni, const char *addrs,
                                         const char *groups, const char *nacl)
{
	struct vx_policy_iface *pi = &w->ifaces[w->cfg.n_ifaces++];
	memset(pi, 0, sizeof(*pi));
	snprintf(pi->eni, sizeof(pi->eni), "%s", eni);
	char buf[256], *parts[8];
	snprintf(buf, sizeof(buf), "%s", addrs);
	int n = split(buf, ",", parts, 8);
	for (int i = 0; i < n; i++) {
		assert_int_equal(
		    vx_addr_parse(parts[i], &pi->addresses[i].family, pi->addresses[i].addr), 0);
		pi->n_addresses++;
	}
	if (groups) {
		snprintf(buf, sizeof(buf), "%s", groups);
		n = split(buf, ",", parts, 8);
		for (int i = 0; i < n; i++)
			snprintf(pi->groups[pi->n_groups++], 32, "%s", parts[i]);
	}
	if (nacl)
		snprintf(pi->nacl_id, sizeof(pi->nacl_id), "%s", nacl);
	return pi;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->cfg.groups = w->groups;
	w->cfg.nacls = w->nacls;
	w->cfg.ifaces = w->ifaces;
}

static struct vx_policy *engine(const struct world *w, uint32_t max_connections)
{
	struct vx_policy_options o = {.max_connections = max_connections, .seed = 0x5eed};
	char err[256] = "";
	struct vx_policy *p = vx_policy_new(&w->cfg, &o, err, sizeof(err));
	if (!p)
		fail_msg("vx_policy_new: %s", err);
	return p;
}

/* ---- packets ------------------------------------------------------------ */

/* A decoded packet as the decoder leaves it. TCP/UDP: ports and flags;
 * ICMP/ICMPv6: a = type, b = code, and the query identifier in the
 * captured header when id is not 0. */
struct tpkt {
	struct vx_packet p;
	uint8_t icmp[8];
};

static void make_pkt(struct tpkt *t, int proto, const char *src, int a, const char *dst, int b,
                     uint8_t flags, uint16_t id)
{
	memset(t, 0, sizeof(*t));
	struct vx_packet *p = &t->p;
	int family = strchr(src, ':') ? 6 : 4;
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, src, p->key.src), 1);
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, dst, p->key.dst), 1);
	p->key.family = (uint8_t)family;
	p->key.proto = (uint8_t)proto;
	p->has_l3 = true;
	p->has_l4 = true;
	p->ip_len = 60;
	if (proto == 6 || proto == 17) {
		p->key.sport = (uint16_t)a;
		p->key.dport = (uint16_t)b;
		p->has_ports = true;
		p->tcp_flags = proto == 6 ? flags : 0;
	} else if (proto == 1 || proto == 58) {
		p->icmp_type = (uint8_t)a;
		p->icmp_code = (uint8_t)b;
		if (id) {
			t->icmp[0] = (uint8_t)a;
			t->icmp[1] = (uint8_t)b;
			t->icmp[4] = (uint8_t)(id >> 8);
			t->icmp[5] = (uint8_t)id;
			p->data = t->icmp;
			p->caplen = p->wirelen = sizeof(t->icmp);
			p->l4_off = 0;
		}
	}
}

#define SYN    VX_TCP_SYN
#define SYNACK (VX_TCP_SYN | VX_TCP_ACK)
#define ACK    VX_TCP_ACK
#define FIN    (VX_TCP_FIN | VX_TCP_ACK)
#define RST    VX_TCP_RST
#define ACC    VX_FLOW_ACCEPT
#define REJ    VX_FLOW_REJECT
#define IN     VX_FLOW_INGRESS
#define OUT    VX_FLOW_EGRESS

static const char *action_name(enum vx_flow_action a)
{
	return a == VX_FLOW_ACCEPT ? "ACCEPT" : "REJECT";
}

static enum vx_flow_action decide(struct vx_policy *p, const char *eni, enum vx_flow_direction dir,
                                  int proto, const char *src, int a, const char *dst, int b,
                                  uint8_t flags, int64_t t)
{
	struct tpkt k;
	make_pkt(&k, proto, src, a, dst, b, flags, 0);
	return vx_policy_decide(p, vx_policy_interface(p, eni), dir, &k.p, t);
}

static void expect(struct vx_policy *p, const char *eni, enum vx_flow_direction dir, int proto,
                   const char *src, int a, const char *dst, int b, uint8_t flags, int64_t t,
                   enum vx_flow_action want, const char *what)
{
	enum vx_flow_action got = decide(p, eni, dir, proto, src, a, dst, b, flags, t);
	if (got != want)
		fail_msg("%s: %s at %s %s %s:%d -> %s:%d: got %s, want %s", what, eni,
		         dir == IN ? "ingress" : "egress", proto == 6 ? "tcp" : "proto", src, a,
		         dst, b, action_name(got), action_name(want));
}

/* ---- the table ------------------------------------------------------------
 *
 * Interface A (eni-a: 10.5.1.10, 2001:db8:1::10) carries sg-a (rules from
 * the case; none when NULL) and acl-a (entries from the case; none when
 * NULL). B (eni-b: 10.5.2.20, 2001:db8:2::20) is in sg-b; C (eni-c:
 * 10.5.1.11) is in sg-a. Every step is a packet on A. */

#define A4 "10.5.1.10"
#define A6 "2001:db8:1::10"
#define B4 "10.5.2.20"
#define B6 "2001:db8:2::20"
#define C4 "10.5.1.11"
#define H4 "203.0.113.12" /* the documented ping example's home computer */
#define X4 "198.51.100.7"
#define X6 "2001:db8:9::7"

struct step {
	enum vx_flow_direction dir;
	int proto;
	const char *src;
	int a; /* source port, or ICMP type */
	const char *dst;
	int b; /* destination port, or ICMP code */
	uint8_t flags;
	int64_t t;
	enum vx_flow_action want;
	uint16_t id; /* ICMP query identifier, 0: not captured */
};

struct pcase {
	const char *name;
	const char *sg_a;
	const char *acl_a;
	struct step steps[10];
};

#define T  6
#define U  17
#define I  1
#define I6 58

static const struct pcase CASES[] = {
    /* Security-group rules: protocol, ports, ICMP type/code. */
    {"tcp port allowed and not",
     "in tcp 22-22 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0}, {IN, T, X4, 40001, A4, 23, SYN, 0, REJ, 0}}},
    {"tcp port range edges",
     "in tcp 1000-2000 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 999, SYN, 0, REJ, 0},
      {IN, T, X4, 40001, A4, 1000, SYN, 0, ACC, 0},
      {IN, T, X4, 40002, A4, 2000, SYN, 0, ACC, 0},
      {IN, T, X4, 40003, A4, 2001, SYN, 0, REJ, 0}}},
    {"the range is the destination port",
     "in tcp 22-22 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 22, A4, 40000, SYN, 0, REJ, 0}}},
    {"udp rule is not tcp",
     "in udp 53-53 0.0.0.0/0",
     NULL,
     {{IN, U, X4, 40000, A4, 53, 0, 0, ACC, 0}, {IN, T, X4, 40000, A4, 53, SYN, 0, REJ, 0}}},
    {"tcp and udp -1 -1 is all ports",
     "in tcp * 0.0.0.0/0; in udp * 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 1, A4, 0, SYN, 0, ACC, 0}, {IN, U, X4, 1, A4, 65535, 0, 0, ACC, 0}}},
    {"protocol -1 is every protocol",
     "in all * 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 80, SYN, 0, ACC, 0},
      {IN, U, X4, 40000, A4, 514, 0, 0, ACC, 0},
      {IN, I, X4, 8, A4, 0, 0, 0, ACC, 0},
      {IN, 47, X4, 0, A4, 0, 0, 0, ACC, 0}}},
    {"another protocol number ignores ports",
     "in 47 5-5 0.0.0.0/0",
     NULL,
     {{IN, 47, X4, 0, A4, 0, 0, 0, ACC, 0}, {IN, 50, X4, 0, A4, 0, 0, 0, REJ, 0}}},
    {"cidr prefix",
     "in tcp 22-22 203.0.113.0/24",
     NULL,
     {{IN, T, "203.0.113.255", 40000, A4, 22, SYN, 0, ACC, 0},
      {IN, T, "203.0.114.0", 40000, A4, 22, SYN, 0, REJ, 0}}},
    {"ipv4 cidr never matches ipv6",
     "in all * 0.0.0.0/0",
     NULL,
     {{IN, T, X6, 40000, A6, 22, SYN, 0, REJ, 0}, {IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0}}},
    {"ipv6 cidr never matches ipv4",
     "in all * ::/0",
     NULL,
     {{IN, T, X6, 40000, A6, 22, SYN, 0, ACC, 0}, {IN, T, X4, 40000, A4, 22, SYN, 0, REJ, 0}}},
    {"ipv6 prefix",
     "in tcp 443-443 2001:db8:9::/64",
     NULL,
     {{IN, T, "2001:db8:9::ffff", 40000, A6, 443, SYN, 0, ACC, 0},
      {IN, T, "2001:db8:9:1::1", 40000, A6, 443, SYN, 0, REJ, 0}}},
    {"icmp type, any code",
     "in icmp 8:-1 0.0.0.0/0",
     NULL,
     {{IN, I, X4, 8, A4, 0, 0, 0, ACC, 0}, {IN, I, X4, 3, A4, 4, 0, 0, REJ, 0}}},
    {"icmp type and code",
     "in icmp 3:4 0.0.0.0/0",
     NULL,
     {{IN, I, X4, 3, A4, 4, 0, 0, ACC, 0}, {IN, I, X4, 3, A4, 1, 0, 0, REJ, 0}}},
    {"icmp is not icmpv6",
     "in icmp -1:-1 0.0.0.0/0; in icmp -1:-1 ::/0",
     NULL,
     {{IN, I6, X6, 128, A6, 0, 0, 0, REJ, 0}, {IN, I, X4, 8, A4, 0, 0, 0, ACC, 0}}},
    {"icmpv6 type",
     "in icmpv6 128:-1 ::/0",
     NULL,
     {{IN, I6, X6, 128, A6, 0, 0, 0, ACC, 0}, {IN, I6, X6, 135, A6, 0, 0, 0, REJ, 0}}},

    /* Peers named by security group. */
    {"source group, both families",
     "in tcp 5432-5432 sg-b",
     NULL,
     {{IN, T, B4, 40000, A4, 5432, SYN, 0, ACC, 0},
      {IN, T, B6, 40000, A6, 5432, SYN, 0, ACC, 0},
      {IN, T, "10.5.2.21", 40000, A4, 5432, SYN, 0, REJ, 0}}},
    {"destination group",
     "out tcp 443-443 sg-b",
     NULL,
     {{OUT, T, A4, 40000, B4, 443, SYN, 0, ACC, 0},
      {IN, T, B4, 443, A4, 40000, SYNACK, 0, ACC, 0},
      {OUT, T, A4, 40001, "10.5.3.1", 443, SYN, 0, REJ, 0}}},
    {"own group (another member)",
     "in all * sg-a",
     NULL,
     {{IN, U, C4, 5000, A4, 5000, 0, 0, ACC, 0}, {IN, U, B4, 5000, A4, 5000, 0, 0, REJ, 0}}},

    /* Stateful security groups. */
    {"tracked reply passes a group with no egress rule",
     "in tcp 22-22 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {OUT, T, A4, 22, X4, 40000, SYNACK, 0, ACC, 0},
      {IN, T, X4, 40000, A4, 22, ACK, 1, ACC, 0},
      {OUT, T, A4, 22, X4, 40000, ACK, 1, ACC, 0},
      {OUT, T, A4, 22, X4, 40001, SYNACK, 1, REJ, 0}}},
    {"tracked reply passes a group with no ingress rule",
     "out all * 0.0.0.0/0",
     NULL,
     {{OUT, T, A4, 40000, X4, 443, SYN, 0, ACC, 0},
      {IN, T, X4, 443, A4, 40000, SYNACK, 0, ACC, 0},
      {IN, T, X4, 443, A4, 40001, SYN, 0, REJ, 0}}},
    {"udp reply tracked",
     "out udp 53-53 0.0.0.0/0",
     NULL,
     {{OUT, U, A4, 33000, X4, 53, 0, 0, ACC, 0},
      {IN, U, X4, 53, A4, 33000, 0, 0, ACC, 0},
      {IN, U, X4, 53, A4, 33001, 0, 0, REJ, 0}}},
    {"icmp echo reply tracked, by identifier",
     "in icmp 8:-1 0.0.0.0/0",
     NULL,
     {{IN, I, X4, 8, A4, 0, 0, 0, ACC, 7},
      {OUT, I, A4, 0, X4, 0, 0, 0, REJ, 8},
      {OUT, I, A4, 0, X4, 0, 0, 0, ACC, 7},
      {OUT, I, A4, 8, X4, 0, 0, 0, REJ, 7}}},
    {"icmp reply without request",
     "in icmp 8:-1 0.0.0.0/0",
     NULL,
     {{OUT, I, A4, 0, X4, 0, 0, 0, REJ, 0}}},
    {"icmpv6 echo reply tracked",
     "out icmpv6 128:-1 ::/0",
     NULL,
     {{OUT, I6, A6, 128, X6, 0, 0, 0, ACC, 0}, {IN, I6, X6, 129, A6, 0, 0, 0, ACC, 0}}},
    {"icmp error is not a reply",
     "out tcp 443-443 0.0.0.0/0",
     NULL,
     {{OUT, T, A4, 40000, X4, 443, SYN, 0, ACC, 0}, {IN, I, X4, 3, A4, 4, 0, 0, REJ, 0}}},
    {"other protocol tracked by addresses",
     "out 47 * 0.0.0.0/0",
     NULL,
     {{OUT, 47, A4, 0, X4, 0, 0, 0, ACC, 0},
      {IN, 47, X4, 0, A4, 0, 0, 0, ACC, 0},
      {IN, 47, B4, 0, A4, 0, 0, 0, REJ, 0}}},

    /* The documented ping example (SPEC.md §2.4). */
    {"ping: acl allows inbound icmp only",
     "in icmp -1:-1 0.0.0.0/0",
     "100 in allow icmp -1:-1 0.0.0.0/0",
     {{IN, I, H4, 8, A4, 0, 0, 0, ACC, 0}, {OUT, I, A4, 0, H4, 0, 0, 0, REJ, 0}}},
    {"ping: acl allows both ways",
     "in icmp -1:-1 0.0.0.0/0",
     "100 in allow icmp -1:-1 0.0.0.0/0; 100 out allow icmp -1:-1 0.0.0.0/0",
     {{IN, I, H4, 8, A4, 0, 0, 0, ACC, 0}, {OUT, I, A4, 0, H4, 0, 0, 0, ACC, 0}}},
    {"ping: group denies inbound icmp",
     "in tcp 22-22 0.0.0.0/0",
     "100 in allow icmp -1:-1 0.0.0.0/0; 100 out allow icmp -1:-1 0.0.0.0/0",
     {{IN, I, H4, 8, A4, 0, 0, 0, REJ, 0}}},

    /* Network ACLs. */
    {"acl allow before deny by number",
     "in all * 0.0.0.0/0",
     "100 in allow tcp 22-22 0.0.0.0/0; 200 in deny tcp 0-65535 0.0.0.0/0; 300 in allow all * "
     "0.0.0.0/0",
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {IN, T, X4, 40000, A4, 80, SYN, 0, REJ, 0},
      {IN, U, X4, 40000, A4, 80, 0, 0, ACC, 0}}},
    {"acl deny before allow by number",
     "in all * 0.0.0.0/0",
     "100 in deny tcp 22-22 203.0.113.0/24; 200 in allow all * 0.0.0.0/0",
     {{IN, T, "203.0.113.5", 40000, A4, 22, SYN, 0, REJ, 0},
      {IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {IN, T, "203.0.113.5", 40000, A4, 23, SYN, 0, ACC, 0}}},
    {"acl entries in any order",
     "in all * 0.0.0.0/0",
     "300 in allow all * 0.0.0.0/0; 100 in deny tcp 22-22 0.0.0.0/0",
     {{IN, T, X4, 40000, A4, 22, SYN, 0, REJ, 0}, {IN, T, X4, 40000, A4, 21, SYN, 0, ACC, 0}}},
    {"acl implicit deny",
     "in all * 0.0.0.0/0",
     "100 in allow tcp 80-80 0.0.0.0/0",
     {{IN, T, X4, 40000, A4, 80, SYN, 0, ACC, 0},
      {IN, T, X4, 40000, A4, 443, SYN, 0, REJ, 0},
      {IN, U, X4, 40000, A4, 80, 0, 0, REJ, 0}}},
    {"acl port range edges",
     "in all * 0.0.0.0/0",
     "100 in allow udp 1024-65535 0.0.0.0/0",
     {{IN, U, X4, 53, A4, 1023, 0, 0, REJ, 0},
      {IN, U, X4, 53, A4, 1024, 0, 0, ACC, 0},
      {IN, U, X4, 53, A4, 65535, 0, 0, ACC, 0}}},
    {"acl ipv4 entry never matches ipv6",
     "in all * 0.0.0.0/0; in all * ::/0",
     "100 in allow all * 0.0.0.0/0",
     {{IN, T, X6, 40000, A6, 22, SYN, 0, REJ, 0}, {IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0}}},
    {"acl ipv6 entry",
     "in all * ::/0",
     "100 in deny tcp 22-22 2001:db8:9::/48; 110 in allow all * ::/0",
     {{IN, T, X6, 40000, A6, 22, SYN, 0, REJ, 0}, {IN, T, B6, 40000, A6, 22, SYN, 0, ACC, 0}}},
    {"acl icmp type and code",
     "in all * 0.0.0.0/0",
     "100 in allow icmp 8:0 0.0.0.0/0",
     {{IN, I, X4, 8, A4, 0, 0, 0, ACC, 0}, {IN, I, X4, 3, A4, 4, 0, 0, REJ, 0}}},
    {"acl is stateless: reply needs an egress entry",
     "in tcp 80-80 0.0.0.0/0",
     "100 in allow tcp 80-80 0.0.0.0/0; 100 out allow tcp 80-80 0.0.0.0/0",
     {{IN, T, X4, 40000, A4, 80, SYN, 0, ACC, 0}, {OUT, T, A4, 80, X4, 40000, SYNACK, 0, REJ, 0}}},
    {"acl with ephemeral ports lets the reply out",
     "in tcp 80-80 0.0.0.0/0",
     "100 in allow tcp 80-80 0.0.0.0/0; 100 out allow tcp 1024-65535 0.0.0.0/0",
     {{IN, T, X4, 40000, A4, 80, SYN, 0, ACC, 0}, {OUT, T, A4, 80, X4, 40000, SYNACK, 0, ACC, 0}}},
    {"no group and no acl: everything",
     NULL,
     NULL,
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {OUT, U, A6, 40000, X6, 53, 0, 0, ACC, 0},
      {IN, I, X4, 8, A4, 0, 0, 0, ACC, 0}}},
    {"no group: the acl alone decides",
     NULL,
     "100 in allow tcp 22-22 0.0.0.0/0",
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {IN, T, X4, 40000, A4, 23, SYN, 0, REJ, 0},
      {OUT, T, A4, 22, X4, 40000, SYNACK, 0, REJ, 0}}},
    {"a group with no rules: nothing new",
     "",
     NULL,
     {{IN, T, X4, 40000, A4, 22, SYN, 0, REJ, 0}, {OUT, T, A4, 40000, X4, 22, SYN, 0, REJ, 0}}},

    /* TCP close: the closing packet passes, later packets follow the rules. */
    {"tcp after fin from both sides",
     "in tcp 80-80 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 80, SYN, 0, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, SYNACK, 0, ACC, 0},
      {IN, T, X4, 40000, A4, 80, ACK, 0, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, FIN, 1, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, ACK, 1, ACC, 0},
      {IN, T, X4, 40000, A4, 80, FIN, 1, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, ACK, 1, REJ, 0},
      {IN, T, X4, 40000, A4, 80, ACK, 2, ACC, 0}}},
    {"tcp after rst",
     "out tcp 443-443 0.0.0.0/0",
     NULL,
     {{OUT, T, A4, 40000, X4, 443, SYN, 0, ACC, 0},
      {IN, T, X4, 443, A4, 40000, SYNACK, 0, ACC, 0},
      {IN, T, X4, 443, A4, 40000, RST, 1, ACC, 0},
      {IN, T, X4, 443, A4, 40000, ACK, 1, REJ, 0},
      {OUT, T, A4, 40000, X4, 443, ACK, 1, ACC, 0}}},

    {"tcp ports reused after a half close",
     "in tcp 80-80 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 80, SYN, 0, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, SYNACK, 0, ACC, 0},
      {IN, T, X4, 40000, A4, 80, FIN, 1, ACC, 0},
      {IN, T, X4, 40000, A4, 80, SYN, 2, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, SYNACK, 2, ACC, 0},
      {OUT, T, A4, 80, X4, 40000, ACK, 123, ACC, 0}}},

    /* Idle timeouts, from packet time (expired when idle longer). */
    {"udp: 30 s until a stream",
     "in udp 53-53 0.0.0.0/0",
     NULL,
     {{IN, U, X4, 33000, A4, 53, 0, 0, ACC, 0},
      {OUT, U, A4, 53, X4, 33000, 0, 30, ACC, 0},
      {OUT, U, A4, 53, X4, 33000, 0, 61, REJ, 0}}},
    {"udp stream: 180 s",
     "in udp 53-53 0.0.0.0/0",
     NULL,
     {{IN, U, X4, 33000, A4, 53, 0, 0, ACC, 0},
      {OUT, U, A4, 53, X4, 33000, 0, 1, ACC, 0},
      {IN, U, X4, 33000, A4, 53, 0, 2, ACC, 0},
      {OUT, U, A4, 53, X4, 33000, 0, 182, ACC, 0},
      {OUT, U, A4, 53, X4, 33000, 0, 363, REJ, 0}}},
    {"tcp established: 432000 s",
     "in tcp 22-22 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {OUT, T, A4, 22, X4, 40000, SYNACK, 1, ACC, 0},
      {OUT, T, A4, 22, X4, 40000, ACK, 432001, ACC, 0},
      {OUT, T, A4, 22, X4, 40000, ACK, 864002, REJ, 0}}},
    {"tcp unanswered: 120 s",
     "in tcp 22-22 0.0.0.0/0",
     NULL,
     {{IN, T, X4, 40000, A4, 22, SYN, 0, ACC, 0},
      {OUT, T, A4, 22, X4, 40000, SYNACK, 121, REJ, 0}}},
    {"icmp: 30 s",
     "in icmp 8:-1 0.0.0.0/0",
     NULL,
     {{IN, I, X4, 8, A4, 0, 0, 0, ACC, 0},
      {OUT, I, A4, 0, X4, 0, 0, 30, ACC, 0},
      {IN, I, X4, 8, A4, 0, 0, 31, ACC, 0},
      {OUT, I, A4, 0, X4, 0, 0, 62, REJ, 0}}},
    {"other protocol: 600 s",
     "out 47 * 0.0.0.0/0",
     NULL,
     {{OUT, 47, A4, 0, X4, 0, 0, 0, ACC, 0},
      {IN, 47, X4, 0, A4, 0, 0, 600, ACC, 0},
      {IN, 47, X4, 0, A4, 0, 0, 1201, REJ, 0}}},
};

static void world_of_case(struct world *w, const struct pcase *c)
{
	world_init(w);
	add_group(w, "sg-a", c->sg_a);
	add_group(w, "sg-b", "in all * sg-a; out all * 0.0.0.0/0");
	if (c->acl_a)
		add_nacl(w, "acl-a", c->acl_a);
	add_iface(w, "eni-a", A4 "," A6, c->sg_a ? "sg-a" : NULL, c->acl_a ? "acl-a" : NULL);
	add_iface(w, "eni-b", B4 "," B6, "sg-b", NULL);
	add_iface(w, "eni-c", C4, "sg-a", NULL);
}

static void test_table(void **state)
{
	(void)state;
	size_t n_cases = sizeof(CASES) / sizeof(CASES[0]);
	assert_true(n_cases >= 30);
	for (size_t i = 0; i < n_cases; i++) {
		const struct pcase *c = &CASES[i];
		struct world w;
		world_of_case(&w, c);
		struct vx_policy *p = engine(&w, 0);
		int a = vx_policy_interface(p, "eni-a");
		assert_true(a >= 0);
		for (int s = 0; s < 10 && c->steps[s].src; s++) {
			const struct step *st = &c->steps[s];
			struct tpkt k;
			make_pkt(&k, st->proto, st->src, st->a, st->dst, st->b, st->flags, st->id);
			enum vx_flow_action got = vx_policy_decide(p, a, st->dir, &k.p, st->t);
			if (got != st->want)
				fail_msg("case \"%s\", step %d (%s %s:%d -> %s:%d at %lld s): got "
				         "%s, want %s",
				         c->name, s + 1, st->dir == IN ? "ingress" : "egress",
				         st->src, st->a, st->dst, st->b, (long long)st->t,
				         action_name(got), action_name(st->want));
		}
		vx_policy_free(p);
	}
}

/* ---- beyond the table ------------------------------------------------------ */

/* The seed scenario: SG-ABC (A) lets in all traffic from SG-DEF, SG-DEF (B)
 * from SG-ABC, both the default egress allow-all. Then SG-ABC's rule is
 * replaced by one for 10.5.1.0/24 only (B is 10.5.2.20): A's tracked
 * connections go on both ways, B's new connections are rejected at A. */
static void seed_world(struct world *w, const char *abc_in)
{
	world_init(w);
	add_group(w, "sg-abc", abc_in);
	add_group(w, "sg-def", "in all * sg-abc; out all * 0.0.0.0/0");
	add_iface(w, "eni-a", A4, "sg-abc", NULL);
	add_iface(w, "eni-b", B4, "sg-def", NULL);
}

static void test_seed_scenario(void **state)
{
	(void)state;
	struct world w;
	seed_world(&w, "in all * sg-def; out all * 0.0.0.0/0");
	struct vx_policy *p = engine(&w, 0);

	/* A -> B (port 5432), at A then at B, and the reply. */
	expect(p, "eni-a", OUT, T, A4, 40000, B4, 5432, SYN, 0, ACC, "A->B at A");
	expect(p, "eni-b", IN, T, A4, 40000, B4, 5432, SYN, 0, ACC, "A->B at B");
	expect(p, "eni-b", OUT, T, B4, 5432, A4, 40000, SYNACK, 0, ACC, "reply at B");
	expect(p, "eni-a", IN, T, B4, 5432, A4, 40000, SYNACK, 0, ACC, "reply at A");
	/* B -> A (port 22). */
	expect(p, "eni-b", OUT, T, B4, 50000, A4, 22, SYN, 1, ACC, "B->A at B");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, SYN, 1, ACC, "B->A at A");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, SYNACK, 1, ACC, "reply at A");
	expect(p, "eni-b", IN, T, A4, 22, B4, 50000, SYNACK, 1, ACC, "reply at B");
	/* UDP and ICMP too ("all traffic"). */
	expect(p, "eni-a", IN, U, B4, 5353, A4, 5353, 0, 1, ACC, "udp B->A at A");
	expect(p, "eni-a", IN, I, B4, 8, A4, 0, 0, 1, ACC, "ping B->A at A");

	seed_world(&w, "in all * 10.5.1.0/24; out all * 0.0.0.0/0");
	char err[256];
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);

	/* A's connection to B and its replies: tracked, still ACCEPT at A. */
	expect(p, "eni-a", OUT, T, A4, 40000, B4, 5432, ACK, 10, ACC, "A->B after");
	expect(p, "eni-a", IN, T, B4, 5432, A4, 40000, ACK, 10, ACC, "reply after");
	/* B's connection opened before the change: tracked, still ACCEPT. */
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 10, ACC, "old B->A after");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, ACK, 10, ACC, "old reply after");
	/* New connections from B: REJECT at A (B still sends them: ACCEPT at B). */
	expect(p, "eni-b", OUT, T, B4, 50001, A4, 22, SYN, 11, ACC, "new B->A at B");
	expect(p, "eni-a", IN, T, B4, 50001, A4, 22, SYN, 11, REJ, "new B->A at A");
	expect(p, "eni-a", IN, U, B4, 5354, A4, 5353, 0, 11, REJ, "new udp B->A at A");
	/* New connections from A: ACCEPT both ways at A. */
	expect(p, "eni-a", OUT, T, A4, 40001, B4, 5432, SYN, 12, ACC, "new A->B");
	expect(p, "eni-a", IN, T, B4, 5432, A4, 40001, SYNACK, 12, ACC, "its reply");
	/* Once B's old connection closes, its late packets are judged anew. */
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, FIN, 13, ACC, "B's FIN");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, FIN, 13, ACC, "A's FIN");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 13, REJ, "B's last ACK");

	struct vx_policy_stats st;
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.rejected_by_group, 3);
	assert_int_equal(st.rejected_by_acl, 0);
	assert_int_equal(st.closed, 1);
	vx_policy_free(p);
}

/* vxtap watches, it does not drop: after a rejected SYN the host still
 * answers. Its answers (egress, allowed by the rules) must not open a
 * tracked connection that lets the rejected peer's further packets pass as
 * replies: in a VPC that connection would not exist. The seed scenario's
 * second configuration: B (10.5.2.20) may not reach A. */
static void test_rejected_opening(void **state)
{
	(void)state;
	struct world w;
	seed_world(&w, "in all * 10.5.1.0/24; out all * 0.0.0.0/0");
	struct vx_policy *p = engine(&w, 0);

	/* B connects to A's port 22, A answers the whole exchange. */
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, SYN, 0, REJ, "B's SYN");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, SYN, 1, REJ, "B's SYN again");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, SYNACK, 1, ACC, "A's SYN-ACK");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 1, REJ, "B's ACK");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 2, REJ, "B's data");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, ACK, 2, ACC, "A's ACK");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, ACK, 3, ACC, "A's data");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 3, REJ, "B's ACK of it");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, FIN, 4, REJ, "B's FIN");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, FIN, 4, ACC, "A's FIN");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 4, REJ, "B's last ACK");
	/* The same with UDP: A's reply does not let B's next datagrams in. */
	expect(p, "eni-a", IN, U, B4, 5353, A4, 53, 0, 5, REJ, "B's query");
	expect(p, "eni-a", OUT, U, A4, 53, B4, 5353, 0, 5, ACC, "A's answer");
	expect(p, "eni-a", IN, U, B4, 5353, A4, 53, 0, 6, REJ, "B's next query");
	/* And ICMP (a reply never opened anything). */
	expect(p, "eni-a", IN, I, B4, 8, A4, 0, 0, 6, REJ, "B's ping");
	expect(p, "eni-a", OUT, I, A4, 0, B4, 0, 0, 6, ACC, "A's echo reply");
	expect(p, "eni-a", IN, I, B4, 8, A4, 0, 0, 7, REJ, "B's next ping");

	struct vx_policy_stats st;
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.tracked, 0);
	assert_int_equal(st.rejected_by_group, 11);

	/* A connection of A's own on the same ports starts afresh. */
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, SYN, 10, ACC, "A's SYN, same ports");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, SYNACK, 10, ACC, "B's SYN-ACK");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 10, ACC, "B's data");

	/* Once the rules let B in, its packets open a tracked connection. */
	expect(p, "eni-a", IN, T, B4, 50001, A4, 22, SYN, 20, REJ, "B's SYN, 50001");
	seed_world(&w, "in all * sg-def");
	char err[256];
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	expect(p, "eni-a", IN, T, B4, 50001, A4, 22, SYN, 21, ACC, "B's SYN, allowed now");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50001, SYNACK, 21, ACC, "A's SYN-ACK, tracked");
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.tracked, 2);
	vx_policy_free(p);

	/* A rejected opening is remembered for its idle timeout (TCP: 120 s
	 * before both sides have sent), and while rejected traffic holds less
	 * than half of the table; past that, the host's answer opens tracking
	 * as any packet seen first does. */
	seed_world(&w, "in all * 10.5.1.0/24; out all * 0.0.0.0/0");
	p = engine(&w, 4);
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, SYN, 0, REJ, "first");
	expect(p, "eni-a", IN, T, B4, 50001, A4, 22, SYN, 0, REJ, "second");
	expect(p, "eni-a", IN, T, B4, 50002, A4, 22, SYN, 0, REJ, "third, not remembered");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50002, SYNACK, 0, ACC, "its answer");
	expect(p, "eni-a", IN, T, B4, 50002, A4, 22, ACK, 0, ACC, "then a reply");
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50000, SYNACK, 0, ACC, "first's answer");
	expect(p, "eni-a", IN, T, B4, 50000, A4, 22, ACK, 0, REJ, "first, still");
	expect(p, "eni-a", OUT, T, A4, 40000, B4, 80, SYN, 0, ACC, "A->B, tracked");
	expect(p, "eni-a", IN, T, B4, 80, A4, 40000, SYNACK, 0, ACC, "its reply");
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.tracked, 2);
	assert_int_equal(st.connections, 4);
	expect(p, "eni-a", OUT, T, A4, 22, B4, 50001, ACK, 121, ACC, "second's answer, late");
	expect(p, "eni-a", IN, T, B4, 50001, A4, 22, ACK, 121, ACC, "then a reply");
	vx_policy_free(p);
}

/* When the table is full, new connections follow the rules untracked: the
 * direction the rules allow is ACCEPT, replies only tracking would allow
 * are REJECT. Expired entries make room again. */
static void test_table_full(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	add_group(&w, "sg-a", "in tcp 22-22 0.0.0.0/0");
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	struct vx_policy *p = engine(&w, 2);

	expect(p, "eni-a", IN, T, X4, 40000, A4, 22, SYN, 0, ACC, "first");
	expect(p, "eni-a", IN, T, X4, 40001, A4, 22, SYN, 0, ACC, "second");
	expect(p, "eni-a", IN, T, X4, 40002, A4, 22, SYN, 0, ACC, "third, untracked");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40000, SYNACK, 0, ACC, "first reply");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40001, SYNACK, 0, ACC, "second reply");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40002, SYNACK, 0, REJ, "third reply");
	/* Its client side is still allowed by the rule, every packet. */
	expect(p, "eni-a", IN, T, X4, 40002, A4, 22, ACK, 0, ACC, "third again");
	struct vx_policy_stats st;
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.tracked, 2);
	assert_int_equal(st.track_full, 2); /* the SYN and the ACK each tried */
	assert_int_equal(st.connections, 2);

	/* Both tracked connections idle past the established timeout: a new
	 * connection finds the table full of expired entries, sweeps them
	 * and is tracked. */
	expect(p, "eni-a", IN, T, X4, 40003, A4, 22, SYN, 432001, ACC, "fourth");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40003, SYNACK, 432001, ACC, "fourth reply");
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.tracked, 3);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.connections, 1);
	vx_policy_free(p);
}

/* An update keeps connections and interface indices; new connections follow
 * the new rules; an interface that goes away loses its connections. */
static void test_update(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	add_group(&w, "sg-a", "in tcp 22-22 0.0.0.0/0");
	add_iface(&w, "eni-x", "10.9.9.9", NULL, NULL);
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	struct vx_policy *p = engine(&w, 0);
	int a = vx_policy_interface(p, "eni-a");
	assert_int_equal(a, 1);
	assert_int_equal(vx_policy_interface(p, "eni-x"), 0);
	assert_int_equal(vx_policy_interface(p, "eni-nope"), -1);
	expect(p, "eni-a", IN, T, X4, 40000, A4, 22, SYN, 0, ACC, "before");

	/* The rule goes; eni-x goes; eni-new comes (in the free index 0). */
	world_init(&w);
	add_group(&w, "sg-a", "in tcp 80-80 0.0.0.0/0");
	add_iface(&w, "eni-new", "10.9.9.10", "sg-a", NULL);
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	char err[256];
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	assert_int_equal(vx_policy_interface(p, "eni-a"), a);
	assert_int_equal(vx_policy_interface(p, "eni-new"), 0);
	assert_int_equal(vx_policy_interface(p, "eni-x"), -1);

	expect(p, "eni-a", OUT, T, A4, 22, X4, 40000, SYNACK, 1, ACC, "reply after");
	expect(p, "eni-a", IN, T, X4, 40000, A4, 22, ACK, 1, ACC, "client after");
	expect(p, "eni-a", IN, T, X4, 40001, A4, 22, SYN, 1, REJ, "new on 22");
	expect(p, "eni-a", IN, T, X4, 40001, A4, 80, SYN, 1, ACC, "new on 80");

	/* A failed update keeps what was there. */
	world_init(&w);
	add_iface(&w, "eni-a", A4, "sg-missing", NULL);
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "InvalidGroup.NotFound"));
	expect(p, "eni-a", IN, T, X4, 40002, A4, 80, SYN, 2, ACC, "after failed update");

	/* eni-a goes away and comes back: its connections went with it. */
	world_init(&w);
	add_group(&w, "sg-a", "in tcp 80-80 0.0.0.0/0");
	add_iface(&w, "eni-new", "10.9.9.10", "sg-a", NULL);
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	struct vx_policy_stats st;
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.connections, 0);
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40000, ACK, 3, REJ, "old reply, re-added");
	/* A stale index of a removed interface: unknown, ACCEPT. */
	world_init(&w);
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	struct tpkt k;
	make_pkt(&k, T, X4, 1, A4, 2, SYN, 0);
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 4), ACC);
	vx_policy_free(p);
}

/* AWS: TCP/UDP allowed from 0.0.0.0/0 while the other direction allows
 * all ports to 0.0.0.0/0 is not tracked, so removing the rule cuts it at
 * once; narrower rules are tracked and survive the change. */
static void test_untracked_flows(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	/* The narrower rule first: a packet both allow is still untracked. */
	add_group(&w, "sg-a",
	          "in tcp 80-80 203.0.113.0/24; in tcp 80-80 0.0.0.0/0; in tcp 22-22 "
	          "203.0.113.0/24; out all * 0.0.0.0/0");
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	struct vx_policy *p = engine(&w, 0);
	expect(p, "eni-a", IN, T, X4, 40000, A4, 80, SYN, 0, ACC, "http");
	expect(p, "eni-a", OUT, T, A4, 80, X4, 40000, SYNACK, 0, ACC, "http reply");
	expect(p, "eni-a", IN, T, H4, 40001, A4, 80, SYN, 0, ACC, "http from the /24");
	expect(p, "eni-a", IN, T, H4, 40000, A4, 22, SYN, 0, ACC, "ssh");
	expect(p, "eni-a", OUT, T, A4, 22, H4, 40000, SYNACK, 0, ACC, "ssh reply");
	/* ICMP is always tracked. */
	expect(p, "eni-a", OUT, I, A4, 8, X4, 0, 0, 0, ACC, "ping out");
	struct vx_policy_stats st;
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.tracked, 2);   /* ssh and the ping */
	assert_int_equal(st.untracked, 3); /* http */

	world_init(&w);
	add_group(&w, "sg-a", "out all * 0.0.0.0/0");
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	char err[256];
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	expect(p, "eni-a", IN, T, X4, 40000, A4, 80, ACK, 1, REJ, "http cut");
	expect(p, "eni-a", IN, T, H4, 40001, A4, 80, ACK, 1, REJ, "http from the /24 cut");
	expect(p, "eni-a", IN, T, H4, 40000, A4, 22, ACK, 1, ACC, "ssh goes on");
	expect(p, "eni-a", IN, I, X4, 0, A4, 0, 0, 1, ACC, "ping reply");
	vx_policy_free(p);
}

/* Per-interface timeouts (AWS ConnectionTrackingSpecification). */
static void test_interface_timeouts(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	add_group(&w, "sg-a", "in tcp 22-22 0.0.0.0/0; in udp 53-53 0.0.0.0/0");
	struct vx_policy_iface *pi = add_iface(&w, "eni-a", A4, "sg-a", NULL);
	pi->timeouts.tcp_established = 60;
	pi->timeouts.udp = 45;
	struct vx_policy *p = engine(&w, 0);
	expect(p, "eni-a", IN, T, X4, 40000, A4, 22, SYN, 0, ACC, "syn");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40000, SYNACK, 0, ACC, "syn-ack");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40000, ACK, 60, ACC, "at 60 s");
	expect(p, "eni-a", OUT, T, A4, 22, X4, 40000, ACK, 121, REJ, "after 61 s idle");
	expect(p, "eni-a", IN, U, X4, 5000, A4, 53, 0, 200, ACC, "query");
	expect(p, "eni-a", OUT, U, A4, 53, X4, 5000, 0, 245, ACC, "reply at 45 s");
	expect(p, "eni-a", OUT, U, A4, 53, X4, 5000, 0, 291, REJ, "after 46 s idle");

	pi->timeouts.udp = 10;
	char err[256];
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "UDP timeout 10 s is not valid (allowed: 30-60)"));
	vx_policy_free(p);
}

/* Packets the rules cannot fully see, and interfaces the engine does not know. */
static void test_edges(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	add_group(&w, "sg-a", "in udp 53-53 0.0.0.0/0");
	add_nacl(&w, "acl-a", "100 in deny udp 5000-5000 0.0.0.0/0; 200 in allow all * 0.0.0.0/0");
	add_iface(&w, "eni-a", A4, "sg-a", "acl-a");
	struct vx_policy *p = engine(&w, 0);
	int a = vx_policy_interface(p, "eni-a");

	/* A non-first fragment: no ports. The ACL's port entry matches it
	 * (ports unknown count as met); the groups let it pass. */
	struct tpkt k;
	make_pkt(&k, U, X4, 0, A4, 0, 0, 0);
	k.p.has_ports = false;
	k.p.has_l4 = false;
	k.p.is_fragment = true;
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 0), REJ);
	struct vx_policy_stats st;
	vx_policy_get_stats(p, &st);
	assert_int_equal(st.rejected_by_acl, 1);

	world_init(&w);
	add_group(&w, "sg-a", "in udp 53-53 0.0.0.0/0");
	add_iface(&w, "eni-a", A4, "sg-a", NULL);
	char err[256];
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 0), ACC);
	/* ... even of a protocol no rule names (TCP here). */
	k.p.key.proto = T;
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 0), ACC);

	/* Not IP (ARP): ACCEPT. */
	memset(&k, 0, sizeof(k));
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 0), ACC);
	/* Unknown interface index: ACCEPT. */
	make_pkt(&k, T, X4, 1, A4, 23, SYN, 0);
	assert_int_equal(vx_policy_decide(p, -1, IN, &k.p, 0), ACC);
	assert_int_equal(vx_policy_decide(p, 7, IN, &k.p, 0), ACC);
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 0), REJ);

	/* A truncated ICMP header in a cut capture: the identifier is not
	 * read past the captured bytes. */
	add_group(&w, "sg-b", "in icmp 8:-1 0.0.0.0/0");
	snprintf(w.ifaces[0].groups[0], 32, "sg-b");
	assert_int_equal(vx_policy_update(p, &w.cfg, err, sizeof(err)), 0);
	make_pkt(&k, I, X4, 8, A4, 0, 0, 9);
	k.p.caplen = 6;
	assert_int_equal(vx_policy_decide(p, a, IN, &k.p, 0), ACC);
	make_pkt(&k, I, A4, 0, X4, 0, 0, 0);
	assert_int_equal(vx_policy_decide(p, a, OUT, &k.p, 0), ACC);

	vx_policy_get_stats(p, &st);
	assert_int_equal(st.accepted + st.rejected, 9);
	vx_policy_free(p);
}

/* Interfaces with the same groups (in any order) share compiled rules;
 * each still has its own ACL, timeouts and connections. */
static void test_shared_groups(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	add_group(&w, "sg-a", "in tcp 22-22 0.0.0.0/0");
	add_group(&w, "sg-b", "in tcp 80-80 0.0.0.0/0");
	add_nacl(&w, "acl-1", "100 in deny tcp 80-80 0.0.0.0/0; 200 in allow all * 0.0.0.0/0");
	add_iface(&w, "eni-1", "10.0.0.1", "sg-a,sg-b", "acl-1");
	add_iface(&w, "eni-2", "10.0.0.2", "sg-b,sg-a", NULL);
	add_iface(&w, "eni-3", "10.0.0.3", "sg-b", NULL);
	add_iface(&w, "eni-4", "10.0.0.4", "sg-a,sg-a", NULL);
	struct vx_policy *p = engine(&w, 0);
	expect(p, "eni-1", IN, T, X4, 40000, "10.0.0.1", 22, SYN, 0, ACC, "1 on 22");
	expect(p, "eni-1", IN, T, X4, 40000, "10.0.0.1", 80, SYN, 0, REJ, "1 on 80 (ACL)");
	expect(p, "eni-2", IN, T, X4, 40000, "10.0.0.2", 22, SYN, 0, ACC, "2 on 22");
	expect(p, "eni-2", IN, T, X4, 40000, "10.0.0.2", 80, SYN, 0, ACC, "2 on 80");
	expect(p, "eni-3", IN, T, X4, 40000, "10.0.0.3", 22, SYN, 0, REJ, "3 on 22");
	expect(p, "eni-3", IN, T, X4, 40000, "10.0.0.3", 80, SYN, 0, ACC, "3 on 80");
	expect(p, "eni-4", IN, T, X4, 40000, "10.0.0.4", 22, SYN, 0, ACC, "4 on 22");
	expect(p, "eni-4", IN, T, X4, 40000, "10.0.0.4", 80, SYN, 0, REJ, "4 on 80");
	/* Connections are per interface: 2's reply is not 3's. */
	expect(p, "eni-2", OUT, T, "10.0.0.2", 22, X4, 40000, SYNACK, 0, ACC, "2's reply");
	expect(p, "eni-3", OUT, T, "10.0.0.2", 22, X4, 40000, SYNACK, 0, REJ, "not 3's");
	vx_policy_free(p);
}

/* Configuration errors name the object, the field and what is allowed. */
static void test_config_errors(void **state)
{
	(void)state;
	static const struct {
		const char *group;
		const char *acl;
		const char *iface_groups;
		const char *want;
	} cases[] = {
	    {"in tcp 22-22 sg-zzz", NULL, "sg-a",
	     "InvalidGroup.NotFound: security group sg-a rule 1 names security group 'sg-zzz'"},
	    {"in tcp 80-22 0.0.0.0/0", NULL, "sg-a",
	     "security group sg-a rule 1: port range 80-22 is not valid"},
	    {"in tcp 0-65536 0.0.0.0/0", NULL, "sg-a", "port range 0-65536 is not valid"},
	    {"in 256 * 0.0.0.0/0", NULL, "sg-a", "protocol 256 is not valid"},
	    {"in icmp 300:0 0.0.0.0/0", NULL, "sg-a", "ICMP type 300 code 0 is not valid"},
	    {"", "100 in allow all * 0.0.0.0/0; 100 in deny tcp 22-22 0.0.0.0/0", "sg-a",
	     "NetworkAclEntryAlreadyExists: network ACL acl-a has two ingress entries numbered "
	     "100"},
	    {"", "0 in allow all * 0.0.0.0/0", "sg-a",
	     "rule number 0 is not valid (allowed: 1-32766)"},
	    {"", "32767 in allow all * 0.0.0.0/0", "sg-a", "rule number 32767 is not valid"},
	    {"", NULL, "sg-a,sg-a,sg-a,sg-a,sg-a,sg-a",
	     "SecurityGroupsPerInterfaceLimitExceeded: interface eni-a has 6 security groups"},
	    {"", NULL, "sg-q",
	     "InvalidGroup.NotFound: interface eni-a names security group 'sg-q'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world w;
		world_init(&w);
		add_group(&w, "sg-a", cases[i].group);
		if (cases[i].acl)
			add_nacl(&w, "acl-a", cases[i].acl);
		struct vx_policy_iface *pi = add_iface(&w, "eni-a", A4, NULL, NULL);
		char buf[256], *parts[8];
		snprintf(buf, sizeof(buf), "%s", cases[i].iface_groups);
		int n = split(buf, ",", parts, 8);
		pi->n_groups = (unsigned)n;
		for (int g = 0; g < n && g < VX_SG_PER_INTERFACE; g++)
			snprintf(pi->groups[g], 32, "%s", parts[g]);
		char err[256] = "";
		struct vx_policy *p = vx_policy_new(&w.cfg, NULL, err, sizeof(err));
		if (p || !strstr(err, cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i + 1, err, cases[i].want);
	}

	struct world w;
	world_init(&w);
	add_iface(&w, "eni-a", A4, NULL, "acl-nope");
	char err[256] = "";
	assert_null(vx_policy_new(&w.cfg, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "InvalidNetworkAclID.NotFound: interface eni-a names network "
	                            "ACL 'acl-nope'"));
	world_init(&w);
	add_iface(&w, "eni-a", A4, NULL, NULL);
	add_iface(&w, "eni-a", B4, NULL, NULL);
	assert_null(vx_policy_new(&w.cfg, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "interface eni-a is listed twice"));
	world_init(&w);
	add_group(&w, "sg-a", "");
	add_group(&w, "sg-a", "");
	assert_null(vx_policy_new(&w.cfg, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "security group sg-a is defined twice"));
	world_init(&w);
	struct vx_policy_options o = {.max_connections = VX_CT_MAX_CAPACITY + 1};
	assert_null(vx_policy_new(&w.cfg, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "is not valid (allowed: 1-"));
	/* No configuration at all: every interface is unknown. */
	struct vx_policy *p = vx_policy_new(NULL, NULL, err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(vx_policy_interface(p, "eni-a"), -1);
	vx_policy_free(p);
}

/* The tracking table against a plain list, through inserts, removals
 * (backward shifts across the wrap), sweeps and full states. */
static void test_conntrack_model(void **state)
{
	(void)state;
	enum { CAP = 50, KEYS = 200 };
	struct vx_ct *ct = vx_ct_new(CAP, 42);
	assert_non_null(ct);
	assert_null(vx_ct_new(0, 1));
	static uint32_t expires[KEYS]; /* 0: absent */
	struct vx_ct_key keys[KEYS];
	for (int i = 0; i < KEYS; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		keys[i].family = 4;
		keys[i].proto = 6;
		keys[i].lo[0] = 10;
		keys[i].lo[3] = (uint8_t)i;
		keys[i].lo_port = (uint16_t)(i * 7);
		expires[i] = 0;
	}
	uint32_t seed = 1, count = 0, now = 1;
	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245u + 12345u;
		int i = (int)((seed >> 8) % KEYS);
		int op = (int)((seed >> 20) % 8);
		uint64_t h = vx_ct_hash(ct, &keys[i]);
		struct vx_ct_entry *e = vx_ct_find(ct, &keys[i], h);
		assert_int_equal(e != NULL, expires[i] != 0);
		if (e)
			assert_int_equal(e->expires, expires[i]);
		if (op < 4 && !e) {
			e = vx_ct_insert(ct, &keys[i], h);
			assert_int_equal(e != NULL, count < CAP);
			if (e) {
				e->expires = now + 1 + (seed >> 28);
				expires[i] = e->expires;
				count++;
			}
		} else if (op < 6 && e) {
			vx_ct_remove(ct, e);
			expires[i] = 0;
			count--;
		} else if (op == 6) {
			now++;
			uint32_t removed = vx_ct_sweep(ct, now, 7);
			count -= removed;
			uint32_t seen = 0;
			for (int j = 0; j < KEYS; j++) {
				struct vx_ct_entry *f =
				    vx_ct_find(ct, &keys[j], vx_ct_hash(ct, &keys[j]));
				if (!f && expires[j]) {
					assert_true(now > expires[j]);
					expires[j] = 0;
					seen++;
				}
			}
			assert_int_equal(seen, removed);
		}
		assert_int_equal(vx_ct_count(ct), count);
	}
	assert_int_equal(vx_ct_remove_iface(ct, 0), count);
	assert_int_equal(vx_ct_count(ct), 0);
	keys[0].iface = 3;
	assert_non_null(vx_ct_insert(ct, &keys[0], vx_ct_hash(ct, &keys[0])));
	assert_non_null(vx_ct_insert(ct, &keys[1], vx_ct_hash(ct, &keys[1])));
	assert_int_equal(vx_ct_remove_iface(ct, 3), 1);
	assert_int_equal(vx_ct_count(ct), 1);
	assert_null(vx_ct_find(ct, &keys[0], vx_ct_hash(ct, &keys[0])));
	assert_non_null(vx_ct_find(ct, &keys[1], vx_ct_hash(ct, &keys[1])));
	vx_ct_free(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_seed_scenario),
	    cmocka_unit_test(test_rejected_opening),
	    cmocka_unit_test(test_table_full),
	    cmocka_unit_test(test_update),
	    cmocka_unit_test(test_untracked_flows),
	    cmocka_unit_test(test_interface_timeouts),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_shared_groups),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_conntrack_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
