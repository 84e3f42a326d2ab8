/* policy — security groups and network ACLs: the ACCEPT or REJECT a
 * flow-log record carries (SPEC.md §2.4).
 *
 * Configuration (loaded from the store by vxtap/config.h):
 *   - security groups: allow rules per direction (protocol, port range or
 *     ICMP type/code, and a CIDR or another security group: "from any
 *     interface that is a member of that group"); stateful.
 *   - network ACLs: numbered allow/deny entries per direction, lowest number
 *     first, first match decides, then the implicit deny-all; stateless.
 *   - interfaces: each host or registered interface with its addresses, its
 *     security groups (at most 5) and the network ACL of its subnet (or none).
 *
 * Decision (per packet, on one interface, in one direction):
 *   ACL: the entries of the packet's direction decide, whatever came before.
 *   Security groups: a packet of a tracked connection passes (replies of an
 *   allowed flow are allowed whatever the rules say); otherwise a packet
 *   passes if a rule of the direction, in any of the interface's groups,
 *   allows it, and then its connection is tracked. Tracking is bounded (a
 *   fixed table; when full, new connections are not tracked and counted),
 *   with per-protocol idle timeouts; a TCP connection closed by FIN from
 *   both sides or by RST stops being tracked, so later packets that no rule
 *   allows are rejected.
 *   The packet is ACCEPT only if both allow it.
 *
 * An interface with no security group and no ACL accepts everything (a
 * host without policy configured logs ACCEPT, as before).
 *
 * Rejected openings: vxtap watches, it does not drop, so a host answers
 * connections the rules rejected. A rejected TCP SYN, UDP datagram or
 * packet of another protocol that no entry knows is remembered for the idle
 * timeout of an opening connection (renewed by its packets), while rejected
 * traffic holds less than half of the table. Its packets are judged by the
 * rules of their direction, and the other side's answers do not open a
 * tracked connection, so the rejected side's later packets stay REJECT. A
 * packet of the opening side that the rules now allow, or a SYN from the
 * other side, starts afresh.
 *
 * The details, as AWS documents them or, where it does not, as vxtap
 * decides them:
 *
 *   Matching. The peer is the source for ingress, the destination for
 *   egress; a port range applies to the destination port. An IPv4 CIDR
 *   never matches an IPv6 packet, nor the reverse. Protocol -1 matches
 *   every protocol; 6 and 17 match a port range (from -1 and to -1: all
 *   ports); 1 (ICMP, IPv4 only) and 58 (ICMPv6, IPv6 only) match from =
 *   type and to = code, -1 any; any other number ignores the ports. A rule
 *   naming a group matches a peer address listed on any interface that is a
 *   member of that group (either family).
 *
 *   Order. Ingress: the ACL, then the security groups (a packet the ACL
 *   denies never reaches them: it is not tracked). Egress: the security
 *   groups (which may track it), then the ACL. A REJECT is counted against
 *   the first layer that denied it.
 *
 *   Tracking key. TCP and UDP: the two addresses and ports, in either
 *   direction. ICMP and ICMPv6 queries (echo 8/0 and 128/129; timestamp
 *   13/14, information 15/16, address mask 17/18): the two addresses, the
 *   query's identifier and its kind; only a request creates an entry, and a
 *   tracked entry lets further requests from the same side and replies from
 *   the other side pass. Other ICMP messages (unreachable, time exceeded...)
 *   are judged by the rules alone, as AWS asks for a rule to let path-MTU
 *   messages in. Other protocols: the two addresses and the protocol, in
 *   either direction (AWS: "only the IP address and protocol number").
 *
 *   Untracked flows (AWS). A TCP or UDP packet allowed by a rule naming
 *   0.0.0.0/0 (or ::/0), on an interface whose rules of the other
 *   direction allow that protocol on all ports to and from 0.0.0.0/0 (or
 *   ::/0), is not tracked: its replies pass on those rules. Removing such
 *   a rule cuts the flow at once; it takes no table entry.
 *
 *   Idle timeouts, from packet time. TCP: 432000 s once both sides have
 *   sent (per interface, 60-432000); 120 s before that and after a first
 *   FIN. UDP: 30 s (per interface, 30-60) until the flow is a stream (the
 *   first side sends again after a reply), then 180 s (per interface,
 *   60-180). ICMP queries: 30 s. Other protocols: 600 s (AWS). TCP: the
 *   packet carrying RST, or the second side's FIN, passes and ends the
 *   tracking; a packet after it (the last ACK, a retransmission) is
 *   judged by the rules, and REJECT when they do not allow it (SPEC.md
 *   §2.4: "packets that arrived after the connection was closed"). A SYN
 *   on the ports of a half-closed connection starts it over. AWS
 *   documents the TCP-established, UDP and "other" values; the others
 *   are vxtap's.
 *
 *   Full table. A new connection that finds the table full (after expired
 *   entries are swept) is judged by the rules as usual but not tracked
 *   (stats.track_full): its packets in the direction the rules allowed are
 *   ACCEPT, and its replies are judged by the rules of their own
 *   direction, so a reply that only tracking would have let through is
 *   REJECT. Size max_connections so that track_full stays 0.
 *
 *   Packets without a transport header (a non-first fragment, a capture
 *   cut inside the TCP/UDP/ICMP header): the ACL treats port and type
 *   conditions as met; the security groups let them pass (the first
 *   fragment, which carries the ports, is the one judged). Frames without
 *   IP (ARP): ACCEPT.
 *
 *   Configuration changes. vx_policy_update keeps tracked connections: a
 *   connection allowed before a change keeps passing (in both directions)
 *   until it closes or idles out, as AWS documents; new connections follow
 *   the new rules. An interface keeps its index across updates; an
 *   interface the new configuration drops loses its tracked connections.
 *
 * Memory: the tracking table is allocated once (48 bytes per connection,
 * 1.5 slots each: 72 bytes); the compiled rules take 48 bytes per rule and
 * family for each distinct set of groups (interfaces with the same groups
 * share them), plus about 40 bytes per interface address. The per-packet
 * path does not allocate, lock or make a syscall; a peer address is looked
 * up (hashed with a random seed) only when a rule names a group. One engine
 * belongs to one thread. */
#ifndef VXTAP_POLICY_H
#define VXTAP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "vxtap/decode.h"
#include "vxtap/flowlog.h"
#include "vxtap/netaddr.h"

#define VX_SG_PER_INTERFACE      5
#define VX_POLICY_MAX_INTERFACES 65535

/* Default idle timeouts (AWS ConnectionTrackingSpecification), seconds. */
#define VX_POLICY_TCP_ESTABLISHED_TIMEOUT 432000
#define VX_POLICY_UDP_STREAM_TIMEOUT      180
#define VX_POLICY_UDP_TIMEOUT             30

/* A protocol, as AWS rules name it: -1 all; 6, 17, 1, 58 or any number. */
struct vx_policy_match {
	int16_t protocol;
	/* TCP/UDP: ports from-to (-1, -1: all). ICMP/ICMPv6: from = type,
	 * to = code (-1: any). Other protocols: unused. */
	int32_t from_port, to_port;
};

struct vx_sg_rule {
	bool egress;
	struct vx_policy_match match;
	bool by_group;       /* the peer is named by a security group ... */
	char group_id[32];   /* ... this one */
	struct vx_cidr cidr; /* otherwise by address (IPv4 or IPv6 CIDR) */
};

struct vx_sg_cfg {
	char id[32];
	size_t n_rules;
	struct vx_sg_rule *rules;
};

struct vx_nacl_entry {
	uint16_t number; /* 1-32766, unique per direction within an ACL */
	bool egress;
	bool allow;
	struct vx_policy_match match;
	struct vx_cidr cidr;
};

struct vx_nacl_cfg {
	char id[32];
	size_t n_entries;
	struct vx_nacl_entry *entries; /* any order: the engine sorts */
};

struct vx_policy_iface {
	char eni[32];
	size_t n_addresses;
	struct {
		uint8_t family;
		uint8_t addr[16];
	} addresses[8];
	unsigned n_groups;
	char groups[VX_SG_PER_INTERFACE][32];
	char nacl_id[32]; /* "": no ACL */
	/* Idle timeouts of tracked connections, seconds; 0: the default
	 * (AWS's ConnectionTrackingSpecification of the interface). */
	struct {
		uint32_t tcp_established; /* 60-432000, default 432000 */
		uint32_t udp_stream;      /* 60-180, default 180 */
		uint32_t udp;             /* 30-60, default 30 */
	} timeouts;
};

/* Every ID named must be defined: an interface's groups and ACL, and a
 * rule's group (InvalidGroup.NotFound, InvalidNetworkAclID.NotFound). */
struct vx_policy_cfg {
	size_t n_groups, n_nacls, n_ifaces;
	struct vx_sg_cfg *groups;
	struct vx_nacl_cfg *nacls;
	struct vx_policy_iface *ifaces;
};

/* The engine. */

struct vx_policy_options {
	uint32_t max_connections; /* tracked connections; 0: 262144 */
	uint64_t seed;            /* the tracking table's hash seed; 0: random */
};

struct vx_policy_stats {
	uint64_t accepted, rejected;
	uint64_t rejected_by_acl, rejected_by_group;
	uint64_t tracked;     /* connections that got an entry */
	uint64_t track_full;  /* packets of new connections the full table could not take */
	uint64_t expired;     /* entries removed after their idle timeout */
	uint64_t closed;      /* TCP entries removed on FIN from both sides or RST */
	uint64_t untracked;   /* packets allowed as untracked flows (see above) */
	uint64_t connections; /* entries now in the table */
};

struct vx_policy;

/* Compile a configuration (copied: cfg may be freed afterwards). NULL with
 * a reason. */
struct vx_policy *vx_policy_new(const struct vx_policy_cfg *cfg,
                                const struct vx_policy_options *opt, char *err, size_t errlen);

/* Replace the configuration, keeping tracked connections (a rule change
 * does not cut established flows, as in AWS). 0, or -1 with a reason (the
 * engine keeps the configuration it had). */
int vx_policy_update(struct vx_policy *p, const struct vx_policy_cfg *cfg, char *err,
                     size_t errlen);

/* The index of an interface by eni- ID, or -1 (unknown: accept all). An
 * interface keeps its index across updates; an index freed by an update
 * may be given to an interface added later, so look indices up again
 * after an update. */
int vx_policy_interface(const struct vx_policy *p, const char *eni);

/* Decide one packet seen on interface `iface` in direction `dir` (ingress:
 * arriving at the interface; egress: leaving it) at time now_s (packet
 * time). Updates the tracking table. An unknown index: ACCEPT. */
enum vx_flow_action vx_policy_decide(struct vx_policy *p, int iface, enum vx_flow_direction dir,
                                     const struct vx_packet *pkt, int64_t now_s);

void vx_policy_get_stats(const struct vx_policy *p, struct vx_policy_stats *out);
void vx_policy_free(struct vx_policy *p);

/* A deep copy of a configuration (for a reader that outlives the
 * original): 0, or -1 when out of memory (dst is then empty). Release frees
 * a configuration whose arrays were allocated with malloc (a copy, or the
 * one vx_config_load fills) and empties it. */
int vx_policy_cfg_copy(struct vx_policy_cfg *dst, const struct vx_policy_cfg *src);
void vx_policy_cfg_release(struct vx_policy_cfg *cfg);

#endif
