/* Session selection for the mirroring agent (SPEC.md §1.4, §1.5, §1.7).
 *
 * Per packet: vx_mirror_exclusion() first (traffic that is never mirrored,
 * or only with the amazon-dns service), then the source's sessions in
 * session-number order, each filter's rules of the packet's direction in
 * rule-number order. Everything here except vx_host_services_load() is pure:
 * no allocation, no locks, no I/O. */
#include "vxtap/mirror_select.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---- filter rules ---------------------------------------------------- */

static int addr_in(const struct vx_cidr *c, const uint8_t *addr)
{
	/* A prefix longer than the family allows would read past addr[16]. */
	if (c->prefix > (c->family == 4 ? 32 : 128))
		return 0;
	return vx_cidr_contains(c, addr);
}

/* A range given by the rule (-1 on both ends: any port). A half-given range
 * takes 0 or 65535 for the missing end. */
static int port_in(int32_t lo, int32_t hi, uint16_t port)
{
	if (lo < 0 && hi < 0)
		return 1;
	if (lo < 0)
		lo = 0;
	if (hi < 0)
		hi = 65535;
	return port >= lo && port <= hi;
}

static int rule_matches(const struct vx_rule_cfg *r, const struct vx_flow_key *k)
{
	if (r->src.family != k->family || r->dst.family != k->family)
		return 0;
	if (r->protocol >= 0 && r->protocol != k->proto)
		return 0;
	bool has_sport = r->sport_lo >= 0 || r->sport_hi >= 0;
	bool has_dport = r->dport_lo >= 0 || r->dport_hi >= 0;
	if (has_sport || has_dport) {
		/* Port ranges only mean something for TCP and UDP (SPEC.md
		 * Part 3 item 5). The ports are compared as the decoder gives
		 * them: a non-first fragment carries 0 and is compared as 0. */
		if (k->proto != 6 && k->proto != 17)
			return 0;
		if (!port_in(r->sport_lo, r->sport_hi, k->sport) ||
		    !port_in(r->dport_lo, r->dport_hi, k->dport))
			return 0;
	}
	return addr_in(&r->src, k->src) && addr_in(&r->dst, k->dst);
}

enum vx_rule_verdict vx_filter_eval(const struct vx_filter_cfg *f, enum vx_direction dir,
                                    const struct vx_flow_key *k, const struct vx_rule_cfg **matched)
{
	if (matched)
		*matched = NULL;
	if (k->family != 4 && k->family != 6)
		return VX_RULE_NO_MATCH;
	const struct vx_rule_cfg *rules = dir == VX_DIR_EGRESS ? f->egress : f->ingress;
	unsigned n = dir == VX_DIR_EGRESS ? f->n_egress : f->n_ingress;
	if (n > VX_RULES_PER_FILTER)
		n = VX_RULES_PER_FILTER;
	/* The configuration loader sorts each direction by rule number. */
	for (unsigned i = 0; i < n; i++) {
		if (!rule_matches(&rules[i], k))
			continue;
		if (matched)
			*matched = &rules[i];
		return rules[i].accept ? VX_RULE_ACCEPT : VX_RULE_REJECT;
	}
	return VX_RULE_NO_MATCH;
}

/* ---- traffic that is never mirrored ---------------------------------- */

static const uint8_t metadata4[4] = {169, 254, 169, 254};
static const uint8_t time4[4] = {169, 254, 169, 123};
/* fd00:ec2::254 and fd00:ec2::123 */
static const uint8_t metadata6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                      0,    0,    0,    0,    0, 0, 0x02, 0x54};
static const uint8_t time6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23};

static int either_is(const struct vx_flow_key *k, const uint8_t *a4, const uint8_t *a6)
{
	if (k->family == 4)
		return !memcmp(k->src, a4, 4) || !memcmp(k->dst, a4, 4);
	return !memcmp(k->src, a6, 16) || !memcmp(k->dst, a6, 16);
}

static int is_resolver(const struct vx_host_services *hs, uint8_t family, const uint8_t *addr)
{
	unsigned n = hs->n_resolvers < VX_MAX_RESOLVERS ? hs->n_resolvers : VX_MAX_RESOLVERS;
	size_t len = family == 4 ? 4 : 16;
	for (unsigned i = 0; i < n; i++)
		if (hs->resolvers[i].family == family && !memcmp(hs->resolvers[i].addr, addr, len))
			return 1;
	return 0;
}

enum vx_exclusion vx_mirror_exclusion(const struct vx_host_services *hs,
                                      const struct vx_flow_key *k)
{
	/* ARP and every other frame without an IP layer. */
	if (k->family != 4 && k->family != 6)
		return VX_EXCL_NOT_IP;
	/* Instance metadata service, any protocol. */
	if (either_is(k, metadata4, metadata6))
		return VX_EXCL_METADATA;
	/* Time sync: only the link-local time service (169.254.169.123,
	 * fd00:ec2::123), whatever the protocol. NTP to any other server is
	 * the host's own traffic, as it would be an instance's, and is
	 * mirrored like any other packet: UDP 123 alone excludes nothing. */
	if (either_is(k, time4, time6))
		return VX_EXCL_TIME;
	/* DHCP: UDP 67/68 (DHCPv4), 546/547 (DHCPv6), either side. */
	if (k->proto == 17) {
		uint16_t a = k->family == 4 ? 67 : 547, b = k->family == 4 ? 68 : 546;
		if (k->sport == a || k->sport == b || k->dport == a || k->dport == b)
			return VX_EXCL_DHCP;
	}
	/* The resolver ("Amazon DNS" on a host): TCP or UDP with port 53 on
	 * the resolver's side of the packet. */
	if (hs && (k->proto == 6 || k->proto == 17)) {
		if ((k->dport == 53 && is_resolver(hs, k->family, k->dst)) ||
		    (k->sport == 53 && is_resolver(hs, k->family, k->src)))
			return VX_EXCL_DNS;
	}
	/* Windows (KMS) activation: not applicable, these are Linux hosts and
	 * there is no host-side activation service to recognise. */
	return VX_EXCL_NONE;
}

const char *vx_exclusion_name(enum vx_exclusion e)
{
	switch (e) {
	case VX_EXCL_NONE:
		return "none";
	case VX_EXCL_NOT_IP:
		return "not_ip";
	case VX_EXCL_DHCP:
		return "dhcp";
	case VX_EXCL_METADATA:
		return "metadata";
	case VX_EXCL_TIME:
		return "time_sync";
	case VX_EXCL_DNS:
		return "dns";
	case VX_EXCL_COUNT:
		break;
	}
	return "unknown";
}

/* ---- session choice -------------------------------------------------- */

int vx_mirror_pick_session(const struct vx_source_cfg *src, const struct vx_host_services *hs,
                           enum vx_direction dir, const struct vx_flow_key *k,
                           enum vx_exclusion *why)
{
	enum vx_exclusion excl = vx_mirror_exclusion(hs, k);
	unsigned n =
	    src->n_sessions < VX_SESSIONS_PER_SOURCE ? src->n_sessions : VX_SESSIONS_PER_SOURCE;
	int pick = -1;

	switch (excl) {
	case VX_EXCL_NONE:
		/* The first session whose filter accepts; a reject only means
		 * "not this session" (SPEC.md §1.5, Part 4: our choice). */
		for (unsigned i = 0; i < n && pick < 0; i++)
			if (vx_filter_eval(&src->sessions[i].filter, dir, k, NULL) ==
			    VX_RULE_ACCEPT)
				pick = (int)i;
		break;
	case VX_EXCL_DNS:
		/* Resolver traffic: the first session with amazon-dns, whatever
		 * its rules say (SPEC.md §1.4). */
		for (unsigned i = 0; i < n && pick < 0; i++)
			if (src->sessions[i].filter.amazon_dns)
				pick = (int)i;
		break;
	default:
		break;
	}
	if (why)
		*why = pick >= 0 ? VX_EXCL_NONE : excl;
	return pick;
}

/* ---- the host's resolvers -------------------------------------------- */

#define RESOLV_LINE_MAX 256

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One line without its newline. Follows glibc's reading of resolv.conf: the
 * keyword starts the line and is followed by a blank; the address is the next
 * field, ended by a blank, ';' or '#'; anything after it is ignored; a
 * "%scope" suffix is dropped. */
static void parse_line(struct vx_host_services *hs, const char *line)
{
	static const char kw[] = "nameserver";
	if (strncmp(line, kw, sizeof(kw) - 1) || !is_blank(line[sizeof(kw) - 1]))
		return;
	const char *p = line + sizeof(kw) - 1;
	while (is_blank(*p))
		p++;
	size_t len = strcspn(p, " \t\r;#%");
	char addr[64];
	if (len == 0 || len >= sizeof(addr))
		return;
	memcpy(addr, p, len);
	addr[len] = '\0';
	uint8_t family, bytes[16];
	if (vx_addr_parse(addr, &family, bytes) < 0)
		return;
	if (hs->n_resolvers >= VX_MAX_RESOLVERS)
		return;
	hs->resolvers[hs->n_resolvers].family = family;
	memcpy(hs->resolvers[hs->n_resolvers].addr, bytes, 16);
	hs->n_resolvers++;
}

unsigned vx_host_services_load(struct vx_host_services *hs, const char *resolv_conf)
{
	memset(hs, 0, sizeof(*hs));
	int fd = open(resolv_conf ? resolv_conf : "/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;

	/* Read in chunks into one fixed line buffer; a line too long for it
	 * cannot be a valid nameserver line and is skipped whole. */
	char chunk[1024], line[RESOLV_LINE_MAX];
	size_t len = 0;
	bool overlong = false;
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			char c = chunk[i];
			if (c == '\n') {
				if (!overlong) {
					line[len] = '\0';
					parse_line(hs, line);
				}
				len = 0;
				overlong = false;
			} else if (c == '\0' || len + 1 >= sizeof(line)) {
				overlong = true; /* also: a NUL byte spoils the line */
			} else if (!overlong) {
				line[len++] = c;
			}
		}
	}
	if (!overlong && len > 0) { /* last line without a newline */
		line[len] = '\0';
		parse_line(hs, line);
	}
	close(fd);
	return hs->n_resolvers;
}
