/* The compiled form of a policy configuration; private to src/policy/.
 * compile.c turns a struct vx_policy_cfg into flat arrays that
 * policy.c walks per packet: no strings, no allocation. */
#ifndef VXTAP_POLICY_INTERNAL_H
#define VXTAP_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxtap/policy.h"

enum { POL_IN = 0, POL_OUT = 1 };    /* direction */
enum { POL_V4 = 0, POL_V6 = 1 };     /* family */
enum { POL_TCP = 1, POL_UDP = 2 };   /* bits of pol_iface.open */
enum { M_ANY = 0, M_PORTS, M_ICMP }; /* what a rule's ports mean */

#define POL_NO_GROUP UINT32_MAX

/* One security-group rule or ACL entry, for one family. 48 bytes. */
struct pol_rule {
	uint64_t net[2], mask[2]; /* the CIDR, masked (by address) */
	uint32_t group;           /* by group: its index; POL_NO_GROUP: by address */
	int16_t proto;            /* -1: any */
	uint8_t kind;             /* M_ANY, M_PORTS, M_ICMP */
	uint8_t all;              /* the CIDR is 0.0.0.0/0 or ::/0 */
	uint16_t lo, hi;          /* M_PORTS: ports; M_ICMP: types */
	uint8_t code_lo, code_hi; /* M_ICMP: codes */
	uint8_t allow;            /* ACL entries: allow (1) or deny (0) */
	uint8_t pad;
};

struct pol_span {
	uint32_t off, n;
};

struct pol_iface {
	char eni[32];
	bool present;    /* a hole (an index freed by an update) when false */
	bool has_groups; /* no security group: the groups allow everything */
	int32_t nacl;    /* index of its ACL, -1: none */
	/* The rules of all its groups, per [direction][family]: rules naming
	 * every address first, then other CIDRs, then groups. */
	struct pol_span rules[2][2];
	/* [direction][family]: POL_TCP / POL_UDP when a rule of the direction
	 * allows the protocol on all ports to or from every address. */
	uint8_t open[2][2];
	uint32_t tcp_established, udp_stream, udp; /* timeouts, s */
};

/* Address -> the groups of the interfaces that carry it. */
struct pol_addr {
	uint8_t addr[16];
	uint8_t family; /* 0: empty slot */
	uint8_t pad[3];
	uint32_t off, n; /* into members[] */
};

struct pol_compiled {
	struct pol_rule *rules;   /* security-group rules, per interface */
	struct pol_rule *entries; /* ACL entries, per ACL, sorted by number */
	struct pol_span (*nacls)[2][2];
	size_t n_rules, n_entries, n_nacls;
	struct pol_iface *ifaces; /* indexed as vx_policy_interface answers */
	size_t n_ifaces;          /* index space, holes included */
	struct pol_addr *addrs;   /* open addressing, power-of-two size */
	uint32_t addr_mask;
	uint32_t *members; /* group indices */
	uint64_t seed;
};

/* Compile cfg. Interfaces also present in prev (may be NULL) keep their
 * index there; new ones take the lowest free index. 0, or -1 with a
 * reason in err (out is then empty). */
int pol_compile(const struct vx_policy_cfg *cfg, const struct pol_compiled *prev, uint64_t seed,
                struct pol_compiled *out, char *err, size_t errlen);
void pol_compiled_free(struct pol_compiled *c);

/* The groups carrying an address (count in *n), or NULL. */
const uint32_t *pol_addr_groups(const struct pol_compiled *c, uint8_t family, const uint8_t *addr,
                                uint32_t *n);

#endif
