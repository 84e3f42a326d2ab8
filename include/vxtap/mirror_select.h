/* mirror_select — which session (if any) mirrors a packet of a source
 * interface: SPEC.md §1.4, §1.5, §1.7.
 *
 * Input:  the source's sessions (vxtap/config.h, in session-number order),
 *         the packet's direction and innermost flow key (vxtap/decode.h),
 *         and the host services that are never or specially mirrored.
 * Output: the index of the one session that mirrors the packet, or -1.
 * Pure functions: no allocation, no locks, no I/O; safe per packet. */
#ifndef VXTAP_MIRROR_SELECT_H
#define VXTAP_MIRROR_SELECT_H

#include "vxtap/config.h"
#include "vxtap/decode.h"

enum vx_direction { VX_DIR_INGRESS = 0, VX_DIR_EGRESS = 1 };

enum vx_rule_verdict { VX_RULE_NO_MATCH = 0, VX_RULE_ACCEPT, VX_RULE_REJECT };

/* The filter's rules of that direction, lowest number first; the first rule
 * that matches decides. IPv4 rules never match IPv6 packets (and back);
 * a rule's CIDRs are compared with the packet's own source and destination
 * whatever the direction; a rule with a port range matches only TCP and UDP
 * packets, whose ports are compared as decoded (0 on a non-first fragment);
 * a rule without a protocol matches every IP protocol. *matched (when not NULL)
 * gets the deciding rule or NULL. A packet without an IP layer matches no
 * rule. */
enum vx_rule_verdict vx_filter_eval(const struct vx_filter_cfg *f, enum vx_direction dir,
				    const struct vx_flow_key *k, const struct vx_rule_cfg **matched);

/* Why a packet is not eligible for mirroring whatever the rules say. */
enum vx_exclusion {
	VX_EXCL_NONE = 0,
	VX_EXCL_NOT_IP,	  /* ARP and anything else without an IP layer */
	VX_EXCL_DHCP,	  /* UDP 67/68 (IPv4), 546/547 (IPv6) */
	VX_EXCL_METADATA, /* 169.254.169.254 and fd00:ec2::254 (instance metadata) */
	VX_EXCL_TIME,	  /* 169.254.169.123 and fd00:ec2::123 (time sync), any protocol */
	VX_EXCL_DNS,	  /* TCP/UDP port 53 of a host resolver: only with amazon-dns */
	VX_EXCL_COUNT
};
const char *vx_exclusion_name(enum vx_exclusion e);

/* The host's DNS resolvers (what "amazon-dns" means on a host). */
#define VX_MAX_RESOLVERS 4
struct vx_host_services {
	unsigned n_resolvers;
	struct {
		uint8_t family;
		uint8_t addr[16];
	} resolvers[VX_MAX_RESOLVERS];
};

/* Read the nameserver lines of a resolv.conf file (NULL: /etc/resolv.conf).
 * A missing or unreadable file leaves no resolvers; returns how many. */
unsigned vx_host_services_load(struct vx_host_services *hs, const char *resolv_conf);

enum vx_exclusion vx_mirror_exclusion(const struct vx_host_services *hs,
				      const struct vx_flow_key *k);

/* The session that mirrors the packet: sessions are tried in order (lowest
 * session number first) and the first whose filter accepts it wins; a
 * reject rule only means "not this session" (SPEC.md Part 4, our choice).
 * Resolver traffic is mirrored only by a session whose filter has the
 * amazon-dns service, and then whatever its rules say. Returns the session
 * index or -1; *why (when not NULL) gets the exclusion for -1 cases
 * (VX_EXCL_NONE when no filter accepts) and VX_EXCL_NONE when a session is
 * returned. */
int vx_mirror_pick_session(const struct vx_source_cfg *src, const struct vx_host_services *hs,
			   enum vx_direction dir, const struct vx_flow_key *k,
			   enum vx_exclusion *why);

#endif
