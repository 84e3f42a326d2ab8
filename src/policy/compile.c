/* Policy configuration -> flat per-interface rule arrays (see internal.h). */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define ID_LEN 32

/* An ID and where it is: for sorting and bsearch. */
struct named {
	const char *id;
	uint32_t index;
};

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->id, ((const struct named *)b)->id);
}

static int64_t find_named(const struct named *v, size_t n, const char *id)
{
	struct named k = {.id = id};
	const struct named *hit = n ? bsearch(&k, v, n, sizeof(*v), named_cmp) : NULL;
	return hit ? (int64_t)hit->index : -1;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* An ID: 1-31 characters. */
static bool id_ok(const char *id)
{
	size_t n = strnlen(id, ID_LEN);
	return n > 0 && n < ID_LEN;
}

/* Sort IDs; -1 on a duplicate, its index in *dup. */
static int sort_ids(struct named *v, size_t n, uint32_t *dup)
{
	qsort(v, n, sizeof(*v), named_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i - 1].id, v[i].id)) {
			*dup = v[i].index;
			return -1;
		}
	return 0;
}

/* ---- matches ---- */

/* Check a protocol and its ports / type and code. `what` names the rule. */
static int check_match(const struct vx_policy_match *m, const char *what, char *err, size_t errlen)
{
	if (m->protocol < -1 || m->protocol > 255) {
		fail(err, errlen,
		     "InvalidParameterValue: %s: protocol %d is not valid (allowed: -1 for all, "
		     "0-255)",
		     what, m->protocol);
		return -1;
	}
	if (m->protocol == 6 || m->protocol == 17) {
		bool all = m->from_port == -1 && m->to_port == -1;
		if (!all && (m->from_port < 0 || m->to_port > 65535 || m->from_port > m->to_port)) {
			fail(err, errlen,
			     "InvalidParameterValue: %s: port range %d-%d is not valid (allowed: "
			     "from <= to within 0-65535, or -1 and -1 for all ports)",
			     what, m->from_port, m->to_port);
			return -1;
		}
	} else if (m->protocol == 1 || m->protocol == 58) {
		if (m->from_port < -1 || m->from_port > 255 || m->to_port < -1 ||
		    m->to_port > 255) {
			fail(err, errlen,
			     "InvalidParameterValue: %s: ICMP type %d code %d is not valid "
			     "(allowed: 0-255 each, -1 for any)",
			     what, m->from_port, m->to_port);
			return -1;
		}
	}
	return 0;
}

static int check_cidr(const struct vx_cidr *c, const char *what, char *err, size_t errlen)
{
	if (c->family != 4 && c->family != 6) {
		fail(err, errlen,
		     "InvalidParameterValue: %s: CIDR family %u is not valid (allowed: 4, 6)", what,
		     c->family);
		return -1;
	}
	unsigned max = c->family == 4 ? 32 : 128;
	if (c->prefix > max) {
		fail(err, errlen,
		     "InvalidParameterValue: %s: CIDR prefix length %u is not valid (allowed: "
		     "0-%u)",
		     what, c->prefix, max);
		return -1;
	}
	return 0;
}

/* Fill the protocol part of r for family fam; false when the rule cannot
 * match that family (ICMP is IPv4's, ICMPv6 IPv6's). */
static bool compile_match(const struct vx_policy_match *m, int fam, struct pol_rule *r)
{
	r->proto = m->protocol;
	r->kind = M_ANY;
	switch (m->protocol) {
	case 6:
	case 17:
		r->kind = M_PORTS;
		if (m->from_port == -1 && m->to_port == -1) {
			r->lo = 0;
			r->hi = 65535;
		} else {
			r->lo = (uint16_t)m->from_port;
			r->hi = (uint16_t)m->to_port;
		}
		return true;
	case 1:
	case 58:
		if ((m->protocol == 1) != (fam == POL_V4))
			return false;
		r->kind = M_ICMP;
		r->lo = m->from_port < 0 ? 0 : (uint16_t)m->from_port;
		r->hi = m->from_port < 0 ? 255 : (uint16_t)m->from_port;
		r->code_lo = m->to_port < 0 ? 0 : (uint8_t)m->to_port;
		r->code_hi = m->to_port < 0 ? 255 : (uint8_t)m->to_port;
		return true;
	default:
		return true;
	}
}

static void compile_cidr(const struct vx_cidr *c, struct pol_rule *r)
{
	uint8_t mask[16] = {0}, net[16];
	for (unsigned bit = 0; bit < c->prefix; bit++)
		mask[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	for (int i = 0; i < 16; i++)
		net[i] = c->addr[i] & mask[i];
	memcpy(r->net, net, 16);
	memcpy(r->mask, mask, 16);
	r->all = c->prefix == 0;
	r->group = POL_NO_GROUP;
}

/* ---- security groups ---- */

struct sg_ctx {
	const struct vx_policy_cfg *cfg;
	struct named *groups; /* sorted */
	uint32_t *rule_group; /* per rule (flattened), the named group's index */
	size_t *first_rule;   /* per group, its first rule in rule_group */
};

static int check_groups(struct sg_ctx *x, char *err, size_t errlen)
{
	const struct vx_policy_cfg *cfg = x->cfg;
	char what[96];
	size_t total = 0;
	for (size_t g = 0; g < cfg->n_groups; g++) {
		const struct vx_sg_cfg *sg = &cfg->groups[g];
		if (!id_ok(sg->id)) {
			fail(err, errlen,
			     "InvalidParameterValue: security group %zu: its ID must be 1-%d "
			     "characters",
			     g + 1, ID_LEN - 1);
			return -1;
		}
		x->groups[g] = (struct named){.id = sg->id, .index = (uint32_t)g};
		x->first_rule[g] = total;
		total += sg->n_rules;
	}
	uint32_t dup;
	if (sort_ids(x->groups, cfg->n_groups, &dup) < 0) {
		fail(err, errlen, "InvalidParameterValue: security group %s is defined twice",
		     cfg->groups[dup].id);
		return -1;
	}
	for (size_t g = 0; g < cfg->n_groups; g++) {
		const struct vx_sg_cfg *sg = &cfg->groups[g];
		for (size_t i = 0; i < sg->n_rules; i++) {
			const struct vx_sg_rule *r = &sg->rules[i];
			snprintf(what, sizeof(what), "security group %s rule %zu", sg->id, i + 1);
			if (check_match(&r->match, what, err, errlen) < 0)
				return -1;
			uint32_t *slot = &x->rule_group[x->first_rule[g] + i];
			*slot = POL_NO_GROUP;
			if (!r->by_group) {
				if (check_cidr(&r->cidr, what, err, errlen) < 0)
					return -1;
				continue;
			}
			int64_t ref = id_ok(r->group_id)
			                  ? find_named(x->groups, cfg->n_groups, r->group_id)
			                  : -1;
			if (ref < 0) {
				fail(err, errlen,
				     "InvalidGroup.NotFound: %s names security group '%.*s', which "
				     "is not defined",
				     what, ID_LEN - 1, r->group_id);
				return -1;
			}
			*slot = (uint32_t)ref;
		}
	}
	return 0;
}

/* The interface's distinct groups, by index; count returned. */
static unsigned iface_groups(const struct vx_policy_iface *pi, const struct named *groups,
                             size_t n_groups, uint32_t out[VX_SG_PER_INTERFACE])
{
	unsigned n = 0;
	for (unsigned k = 0; k < pi->n_groups; k++) {
		uint32_t g = (uint32_t)find_named(groups, n_groups, pi->groups[k]);
		bool seen = false;
		for (unsigned j = 0; j < n; j++)
			seen |= out[j] == g;
		if (!seen)
			out[n++] = g;
	}
	return n;
}

/* Append the rules of one interface, one direction, one family, in three
 * passes: every-address CIDRs, other CIDRs, groups. */
static void add_iface_rules(const struct sg_ctx *x, const uint32_t *gs, unsigned ng, int dir,
                            int fam, struct pol_rule *out, size_t *n)
{
	const struct vx_policy_cfg *cfg = x->cfg;
	for (int pass = 0; pass < 3; pass++)
		for (unsigned k = 0; k < ng; k++) {
			const struct vx_sg_cfg *sg = &cfg->groups[gs[k]];
			for (size_t i = 0; i < sg->n_rules; i++) {
				const struct vx_sg_rule *r = &sg->rules[i];
				if (r->egress != (dir == POL_OUT))
					continue;
				int want = r->by_group ? 2 : r->cidr.prefix == 0 ? 0 : 1;
				if (want != pass)
					continue;
				if (!r->by_group && r->cidr.family != (fam == POL_V4 ? 4 : 6))
					continue;
				struct pol_rule c;
				memset(&c, 0, sizeof(c));
				if (!compile_match(&r->match, fam, &c))
					continue;
				if (r->by_group)
					c.group = x->rule_group[x->first_rule[gs[k]] + i];
				else
					compile_cidr(&r->cidr, &c);
				c.allow = 1;
				if (out)
					out[*n] = c;
				(*n)++;
			}
		}
}

/* POL_TCP / POL_UDP when the rules allow the protocol on all ports to or
 * from every address. */
static uint8_t open_bits(const struct pol_rule *r, uint32_t n)
{
	uint8_t bits = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!r[i].all || r[i].group != POL_NO_GROUP)
			continue;
		bool all_ports = r[i].kind == M_ANY || (r[i].lo == 0 && r[i].hi == 65535);
		if (r[i].proto == -1)
			bits |= POL_TCP | POL_UDP;
		else if (r[i].proto == 6 && all_ports)
			bits |= POL_TCP;
		else if (r[i].proto == 17 && all_ports)
			bits |= POL_UDP;
	}
	return bits;
}

/* ---- network ACLs ---- */

static int entry_cmp(const void *a, const void *b)
{
	const struct vx_nacl_entry *x = *(const struct vx_nacl_entry *const *)a;
	const struct vx_nacl_entry *y = *(const struct vx_nacl_entry *const *)b;
	if (x->egress != y->egress)
		return x->egress - y->egress;
	return (x->number > y->number) - (x->number < y->number);
}

static int compile_nacls(const struct vx_policy_cfg *cfg, struct named *nacls,
                         struct pol_compiled *out, char *err, size_t errlen)
{
	char what[96];
	size_t total = 0, most = 0;
	for (size_t a = 0; a < cfg->n_nacls; a++) {
		const struct vx_nacl_cfg *acl = &cfg->nacls[a];
		if (!id_ok(acl->id)) {
			fail(err, errlen,
			     "InvalidParameterValue: network ACL %zu: its ID must be 1-%d "
			     "characters",
			     a + 1, ID_LEN - 1);
			return -1;
		}
		nacls[a] = (struct named){.id = acl->id, .index = (uint32_t)a};
		total += acl->n_entries;
		if (acl->n_entries > most)
			most = acl->n_entries;
		for (size_t i = 0; i < acl->n_entries; i++) {
			const struct vx_nacl_entry *e = &acl->entries[i];
			snprintf(what, sizeof(what), "network ACL %s entry %u", acl->id, e->number);
			if (e->number < 1 || e->number > 32766) {
				fail(err, errlen,
				     "InvalidParameterValue: network ACL %s: rule number %u is not "
				     "valid (allowed: 1-32766)",
				     acl->id, e->number);
				return -1;
			}
			if (check_match(&e->match, what, err, errlen) < 0 ||
			    check_cidr(&e->cidr, what, err, errlen) < 0)
				return -1;
		}
	}
	uint32_t dup;
	if (sort_ids(nacls, cfg->n_nacls, &dup) < 0) {
		fail(err, errlen, "InvalidParameterValue: network ACL %s is defined twice",
		     cfg->nacls[dup].id);
		return -1;
	}
	out->n_nacls = cfg->n_nacls;
	out->nacls = calloc(cfg->n_nacls ? cfg->n_nacls : 1, sizeof(*out->nacls));
	/* An entry lands in one family (two for neither: never). */
	out->entries = calloc(total ? total : 1, sizeof(*out->entries));
	const struct vx_nacl_entry **sorted = calloc(most ? most : 1, sizeof(*sorted));
	if (!out->nacls || !out->entries || !sorted) {
		free(sorted);
		fail(err, errlen, "out of memory for %zu network ACL entries", total);
		return -1;
	}
	size_t n = 0;
	for (size_t a = 0; a < cfg->n_nacls; a++) {
		const struct vx_nacl_cfg *acl = &cfg->nacls[a];
		for (size_t i = 0; i < acl->n_entries; i++)
			sorted[i] = &acl->entries[i];
		qsort(sorted, acl->n_entries, sizeof(*sorted), entry_cmp);
		for (size_t i = 1; i < acl->n_entries; i++)
			if (sorted[i]->egress == sorted[i - 1]->egress &&
			    sorted[i]->number == sorted[i - 1]->number) {
				fail(err, errlen,
				     "NetworkAclEntryAlreadyExists: network ACL %s has two %s "
				     "entries numbered %u",
				     acl->id, sorted[i]->egress ? "egress" : "ingress",
				     sorted[i]->number);
				free(sorted);
				return -1;
			}
		for (int dir = 0; dir < 2; dir++)
			for (int fam = 0; fam < 2; fam++) {
				struct pol_span *s = &out->nacls[a][dir][fam];
				s->off = (uint32_t)n;
				for (size_t i = 0; i < acl->n_entries; i++) {
					const struct vx_nacl_entry *e = sorted[i];
					if (e->egress != (dir == POL_OUT) ||
					    e->cidr.family != (fam == POL_V4 ? 4 : 6))
						continue;
					struct pol_rule c;
					memset(&c, 0, sizeof(c));
					if (!compile_match(&e->match, fam, &c))
						continue;
					compile_cidr(&e->cidr, &c);
					c.allow = e->allow;
					out->entries[n++] = c;
				}
				s->n = (uint32_t)(n - s->off);
			}
	}
	out->n_entries = n;
	free(sorted);
	return 0;
}

/* ---- addresses -> groups ---- */

struct addr_group {
	uint8_t family;
	uint8_t addr[16];
	uint32_t group;
};

static int addr_group_cmp(const void *a, const void *b)
{
	const struct addr_group *x = a, *y = b;
	if (x->family != y->family)
		return x->family - y->family;
	int c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	return (x->group > y->group) - (x->group < y->group);
}

static uint64_t addr_hash(uint64_t seed, uint8_t family, const uint8_t *addr)
{
	return XXH3_64bits_withSeed(addr, 16, seed ^ family);
}

const uint32_t *pol_addr_groups(const struct pol_compiled *c, uint8_t family, const uint8_t *addr,
                                uint32_t *n)
{
	uint32_t i = (uint32_t)addr_hash(c->seed, family, addr) & c->addr_mask;
	for (;; i = (i + 1) & c->addr_mask) {
		const struct pol_addr *a = &c->addrs[i];
		if (!a->family)
			return NULL;
		if (a->family == family && !memcmp(a->addr, addr, 16)) {
			*n = a->n;
			return &c->members[a->off];
		}
	}
}

static int build_addr_index(const struct vx_policy_cfg *cfg, const struct named *groups,
                            struct pol_compiled *out, char *err, size_t errlen)
{
	size_t n_pairs = 0;
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		n_pairs += cfg->ifaces[i].n_addresses * cfg->ifaces[i].n_groups;
	struct addr_group *pairs = calloc(n_pairs ? n_pairs : 1, sizeof(*pairs));
	out->members = calloc(n_pairs ? n_pairs : 1, sizeof(*out->members));
	if (!pairs || !out->members) {
		free(pairs);
		fail(err, errlen, "out of memory for %zu interface addresses", n_pairs);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct vx_policy_iface *pi = &cfg->ifaces[i];
		uint32_t gs[VX_SG_PER_INTERFACE];
		unsigned ng = iface_groups(pi, groups, cfg->n_groups, gs);
		for (size_t a = 0; a < pi->n_addresses; a++)
			for (unsigned k = 0; k < ng; k++) {
				pairs[n].family = pi->addresses[a].family;
				memcpy(pairs[n].addr, pi->addresses[a].addr, 16);
				if (pairs[n].family == 4)
					memset(pairs[n].addr + 4, 0, 12);
				pairs[n].group = gs[k];
				n++;
			}
	}
	qsort(pairs, n, sizeof(*pairs), addr_group_cmp);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || memcmp(&pairs[i], &pairs[i - 1], 17);
	uint32_t size = 2;
	while (size < 2 * distinct)
		size <<= 1;
	out->addrs = calloc(size, sizeof(*out->addrs));
	if (!out->addrs) {
		free(pairs);
		fail(err, errlen, "out of memory for %zu interface addresses", distinct);
		return -1;
	}
	out->addr_mask = size - 1;
	uint32_t m = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint32_t off = m;
		for (; j < n && !memcmp(&pairs[j], &pairs[i], 17); j++)
			if (j == i || pairs[j].group != pairs[j - 1].group)
				out->members[m++] = pairs[j].group;
		uint32_t s =
		    (uint32_t)addr_hash(out->seed, pairs[i].family, pairs[i].addr) & out->addr_mask;
		while (out->addrs[s].family)
			s = (s + 1) & out->addr_mask;
		struct pol_addr *pa = &out->addrs[s];
		pa->family = pairs[i].family;
		memcpy(pa->addr, pairs[i].addr, 16);
		pa->off = off;
		pa->n = m - off;
		i = j;
	}
	free(pairs);
	return 0;
}

/* ---- interfaces ---- */

static int check_timeout(uint32_t v, uint32_t lo, uint32_t hi, const char *eni, const char *name,
                         char *err, size_t errlen)
{
	if (v && (v < lo || v > hi)) {
		fail(err, errlen,
		     "InvalidParameterValue: interface %s: %s timeout %u s is not valid (allowed: "
		     "%u-%u)",
		     eni, name, v, lo, hi);
		return -1;
	}
	return 0;
}

static int check_ifaces(const struct vx_policy_cfg *cfg, const struct named *groups,
                        const struct named *nacls, struct named *enis, char *err, size_t errlen)
{
	if (cfg->n_ifaces > VX_POLICY_MAX_INTERFACES) {
		fail(err, errlen, "InvalidParameterValue: %zu interfaces (allowed: at most %d)",
		     cfg->n_ifaces, VX_POLICY_MAX_INTERFACES);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct vx_policy_iface *pi = &cfg->ifaces[i];
		if (!id_ok(pi->eni)) {
			fail(err, errlen,
			     "InvalidParameterValue: interface %zu: its ID must be 1-%d characters",
			     i + 1, ID_LEN - 1);
			return -1;
		}
		enis[i] = (struct named){.id = pi->eni, .index = (uint32_t)i};
		if (pi->n_addresses > sizeof(pi->addresses) / sizeof(pi->addresses[0])) {
			fail(err, errlen,
			     "InvalidParameterValue: interface %s: %zu addresses (allowed: at most "
			     "%zu)",
			     pi->eni, pi->n_addresses,
			     sizeof(pi->addresses) / sizeof(pi->addresses[0]));
			return -1;
		}
		for (size_t a = 0; a < pi->n_addresses; a++)
			if (pi->addresses[a].family != 4 && pi->addresses[a].family != 6) {
				fail(err, errlen,
				     "InvalidParameterValue: interface %s: address %zu has family "
				     "%u (allowed: 4, 6)",
				     pi->eni, a + 1, pi->addresses[a].family);
				return -1;
			}
		if (pi->n_groups > VX_SG_PER_INTERFACE) {
			fail(
			    err, errlen,
			    "SecurityGroupsPerInterfaceLimitExceeded: interface %s has %u security "
			    "groups (allowed: at most %d)",
			    pi->eni, pi->n_groups, VX_SG_PER_INTERFACE);
			return -1;
		}
		for (unsigned k = 0; k < pi->n_groups; k++)
			if (!id_ok(pi->groups[k]) ||
			    find_named(groups, cfg->n_groups, pi->groups[k]) < 0) {
				fail(err, errlen,
				     "InvalidGroup.NotFound: interface %s names security group "
				     "'%.*s', which is not defined",
				     pi->eni, ID_LEN - 1, pi->groups[k]);
				return -1;
			}
		if (pi->nacl_id[0] &&
		    (!id_ok(pi->nacl_id) || find_named(nacls, cfg->n_nacls, pi->nacl_id) < 0)) {
			fail(err, errlen,
			     "InvalidNetworkAclID.NotFound: interface %s names network ACL '%.*s', "
			     "which is not defined",
			     pi->eni, ID_LEN - 1, pi->nacl_id);
			return -1;
		}
		if (check_timeout(pi->timeouts.tcp_established, 60, 432000, pi->eni,
		                  "TCP established", err, errlen) < 0 ||
		    check_timeout(pi->timeouts.udp_stream, 60, 180, pi->eni, "UDP stream", err,
		                  errlen) < 0 ||
		    check_timeout(pi->timeouts.udp, 30, 60, pi->eni, "UDP", err, errlen) < 0)
			return -1;
	}
	uint32_t dup;
	if (sort_ids(enis, cfg->n_ifaces, &dup) < 0) {
		fail(err, errlen, "InvalidParameterValue: interface %s is listed twice",
		     cfg->ifaces[dup].eni);
		return -1;
	}
	return 0;
}

/* Where each configured interface goes: its index in prev when it was
 * there, else the lowest free index. Returns the index space's size. */
static size_t assign_indices(const struct vx_policy_cfg *cfg, const struct pol_compiled *prev,
                             uint32_t *slot_of, char *err, size_t errlen)
{
	size_t n_prev = prev ? prev->n_ifaces : 0;
	size_t space = n_prev > cfg->n_ifaces ? n_prev : cfg->n_ifaces;
	bool *used = calloc(space ? space : 1, 1);
	struct named *old = calloc(n_prev ? n_prev : 1, sizeof(*old));
	if (!used || !old) {
		free(used);
		free(old);
		fail(err, errlen, "out of memory for %zu interfaces", space);
		return SIZE_MAX;
	}
	size_t n_old = 0;
	for (size_t i = 0; i < n_prev; i++)
		if (prev->ifaces[i].present)
			old[n_old++] =
			    (struct named){.id = prev->ifaces[i].eni, .index = (uint32_t)i};
	qsort(old, n_old, sizeof(*old), named_cmp);
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		int64_t k = find_named(old, n_old, cfg->ifaces[i].eni);
		slot_of[i] = k < 0 ? UINT32_MAX : (uint32_t)k;
		if (k >= 0)
			used[k] = true;
	}
	size_t next = 0, top = 0;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		if (slot_of[i] == UINT32_MAX) {
			while (used[next])
				next++;
			slot_of[i] = (uint32_t)next;
			used[next] = true;
		}
		if (slot_of[i] + 1 > top)
			top = slot_of[i] + 1;
	}
	free(used);
	free(old);
	return top;
}

/* An interface's set of groups, sorted: interfaces with the same set
 * share one compiled copy of its rules. */
struct gset {
	uint32_t gs[VX_SG_PER_INTERFACE];
	unsigned ng;
	uint32_t iface; /* in cfg */
};

static int gset_cmp(const void *a, const void *b)
{
	const struct gset *x = a, *y = b;
	if (x->ng != y->ng)
		return x->ng < y->ng ? -1 : 1;
	for (unsigned k = 0; k < x->ng; k++)
		if (x->gs[k] != y->gs[k])
			return x->gs[k] < y->gs[k] ? -1 : 1;
	return 0;
}

static int compile_ifaces(const struct vx_policy_cfg *cfg, const struct sg_ctx *x,
                          const struct named *nacls, const uint32_t *slot_of,
                          struct pol_compiled *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct vx_policy_iface *ci = &cfg->ifaces[i];
		struct pol_iface *pi = &out->ifaces[slot_of[i]];
		memcpy(pi->eni, ci->eni, sizeof(pi->eni));
		pi->present = true;
		pi->has_groups = ci->n_groups > 0;
		pi->nacl =
		    ci->nacl_id[0] ? (int32_t)find_named(nacls, cfg->n_nacls, ci->nacl_id) : -1;
		pi->tcp_established = ci->timeouts.tcp_established
		                          ? ci->timeouts.tcp_established
		                          : VX_POLICY_TCP_ESTABLISHED_TIMEOUT;
		pi->udp_stream = ci->timeouts.udp_stream ? ci->timeouts.udp_stream
		                                         : VX_POLICY_UDP_STREAM_TIMEOUT;
		pi->udp = ci->timeouts.udp ? ci->timeouts.udp : VX_POLICY_UDP_TIMEOUT;
	}
	struct gset *sets = calloc(cfg->n_ifaces ? cfg->n_ifaces : 1, sizeof(*sets));
	if (!sets) {
		fail(err, errlen, "out of memory for %zu interfaces", cfg->n_ifaces);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct gset *g = &sets[i];
		g->ng = iface_groups(&cfg->ifaces[i], x->groups, cfg->n_groups, g->gs);
		g->iface = (uint32_t)i;
		for (unsigned a = 1; a < g->ng; a++) /* insertion sort of at most 5 */
			for (unsigned b = a; b > 0 && g->gs[b - 1] > g->gs[b]; b--) {
				uint32_t t = g->gs[b];
				g->gs[b] = g->gs[b - 1];
				g->gs[b - 1] = t;
			}
	}
	qsort(sets, cfg->n_ifaces, sizeof(*sets), gset_cmp);

	/* Count, then fill, once per distinct set. */
	size_t total = 0;
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		if (i == 0 || gset_cmp(&sets[i], &sets[i - 1]))
			for (int dir = 0; dir < 2; dir++)
				for (int fam = 0; fam < 2; fam++)
					add_iface_rules(x, sets[i].gs, sets[i].ng, dir, fam, NULL,
					                &total);
	out->rules = calloc(total ? total : 1, sizeof(*out->rules));
	if (!out->rules) {
		free(sets);
		fail(err, errlen, "out of memory for %zu security-group rules", total);
		return -1;
	}
	size_t n = 0;
	const struct pol_iface *first = NULL; /* the first interface of the set */
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct pol_iface *pi = &out->ifaces[slot_of[sets[i].iface]];
		if (i > 0 && !gset_cmp(&sets[i], &sets[i - 1])) {
			memcpy(pi->rules, first->rules, sizeof(pi->rules));
			memcpy(pi->open, first->open, sizeof(pi->open));
			continue;
		}
		for (int dir = 0; dir < 2; dir++)
			for (int fam = 0; fam < 2; fam++) {
				struct pol_span *sp = &pi->rules[dir][fam];
				sp->off = (uint32_t)n;
				add_iface_rules(x, sets[i].gs, sets[i].ng, dir, fam, out->rules,
				                &n);
				sp->n = (uint32_t)(n - sp->off);
				pi->open[dir][fam] = open_bits(&out->rules[sp->off], sp->n);
			}
		first = pi;
	}
	out->n_rules = n;
	free(sets);
	return 0;
}

void pol_compiled_free(struct pol_compiled *c)
{
	free(c->rules);
	free(c->entries);
	free(c->nacls);
	free(c->ifaces);
	free(c->addrs);
	free(c->members);
	memset(c, 0, sizeof(*c));
}

int pol_compile(const struct vx_policy_cfg *cfg, const struct pol_compiled *prev, uint64_t seed,
                struct pol_compiled *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->seed = seed;
	size_t n_rules = 0;
	for (size_t g = 0; g < cfg->n_groups; g++)
		n_rules += cfg->groups[g].n_rules;
	struct sg_ctx x = {.cfg = cfg};
	x.groups = calloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*x.groups));
	x.first_rule = calloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*x.first_rule));
	x.rule_group = calloc(n_rules ? n_rules : 1, sizeof(*x.rule_group));
	struct named *nacls = calloc(cfg->n_nacls ? cfg->n_nacls : 1, sizeof(*nacls));
	struct named *enis = calloc(cfg->n_ifaces ? cfg->n_ifaces : 1, sizeof(*enis));
	uint32_t *slot_of = calloc(cfg->n_ifaces ? cfg->n_ifaces : 1, sizeof(*slot_of));
	int rc = -1;
	if (!x.groups || !x.first_rule || !x.rule_group || !nacls || !enis || !slot_of) {
		fail(err, errlen, "out of memory for the policy configuration");
		goto done;
	}
	if (check_groups(&x, err, errlen) < 0 || compile_nacls(cfg, nacls, out, err, errlen) < 0 ||
	    check_ifaces(cfg, x.groups, nacls, enis, err, errlen) < 0)
		goto done;
	out->n_ifaces = assign_indices(cfg, prev, slot_of, err, errlen);
	if (out->n_ifaces == SIZE_MAX) {
		out->n_ifaces = 0;
		goto done;
	}
	out->ifaces = calloc(out->n_ifaces ? out->n_ifaces : 1, sizeof(*out->ifaces));
	if (!out->ifaces) {
		fail(err, errlen, "out of memory for %zu interfaces", out->n_ifaces);
		goto done;
	}
	if (compile_ifaces(cfg, &x, nacls, slot_of, out, err, errlen) < 0 ||
	    build_addr_index(cfg, x.groups, out, err, errlen) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		pol_compiled_free(out);
	free(x.groups);
	free(x.first_rule);
	free(x.rule_group);
	free(nacls);
	free(enis);
	free(slot_of);
	return rc;
}
