/* conntrack — the connection-tracking table behind the security groups
 * (vxtap/policy.h).
 *
 * Input:  keys (interface, protocol, both endpoints in a fixed order, so
 *         that the two directions of a connection give the same key) and
 *         the owner's clock (seconds, 32 bits).
 * Work:   one array of slots allocated once (a fixed capacity; at most two
 *         thirds of the slots are used), open addressing with linear
 *         probing and backward-shift deletion (no tombstones), keyed by XXH3
 *         with a seed, so crafted traffic cannot make the probes degrade.
 *         Entries carry the time they expire; the owner sets it. Expired
 *         entries are removed when the owner meets them, and by a sweep
 *         that looks at a few slots per call.
 * Output: the entry of a key, a new entry, or NULL when the table is full.
 *
 * No call allocates, locks or makes a syscall, except vx_ct_new. One table
 * belongs to one thread. An entry pointer is valid until the next insert or
 * remove. */
#ifndef VXTAP_CONNTRACK_H
#define VXTAP_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#define VX_CT_MAX_CAPACITY (1u << 26)

/* 40 bytes, compared whole: fill with memset first. */
struct vx_ct_key {
	uint8_t lo[16], hi[16]; /* the endpoints' addresses, the lower first */
	uint16_t lo_port, hi_port;
	uint16_t iface;
	uint8_t proto;
	uint8_t family; /* 4 or 6 (0 marks an empty slot) */
};

/* 48 bytes. */
struct vx_ct_entry {
	struct vx_ct_key key;
	uint32_t expires; /* the owner's clock: expired when now > expires */
	uint8_t state;    /* the owner's bits */
	uint8_t pad[3];
};

struct vx_ct;

/* NULL when capacity is 0, above VX_CT_MAX_CAPACITY, or memory is short. */
struct vx_ct *vx_ct_new(uint32_t capacity, uint64_t seed);
void vx_ct_free(struct vx_ct *ct);

uint32_t vx_ct_count(const struct vx_ct *ct);
uint32_t vx_ct_capacity(const struct vx_ct *ct);

uint64_t vx_ct_hash(const struct vx_ct *ct, const struct vx_ct_key *k);

/* The entry of k (hash from vx_ct_hash), or NULL. */
struct vx_ct_entry *vx_ct_find(struct vx_ct *ct, const struct vx_ct_key *k, uint64_t hash);

/* A new entry for k, which must not be in the table (state and expires
 * zero), or NULL when the table holds its capacity. */
struct vx_ct_entry *vx_ct_insert(struct vx_ct *ct, const struct vx_ct_key *k, uint64_t hash);

void vx_ct_remove(struct vx_ct *ct, struct vx_ct_entry *e);

/* Look at the next `slots` slots (round robin) and remove the entries
 * expired at now. Returns how many were removed. */
uint32_t vx_ct_sweep(struct vx_ct *ct, uint32_t now, uint32_t slots);

/* Remove every entry of interface iface. Returns how many. Looks at every
 * slot: for configuration changes, not for the packet path. */
uint32_t vx_ct_remove_iface(struct vx_ct *ct, uint16_t iface);

#endif
