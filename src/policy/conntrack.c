/* The connection-tracking table (see vxtap/conntrack.h). */
#include "vxtap/conntrack.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

_Static_assert(sizeof(struct vx_ct_key) == 40, "tracking key is 40 bytes");
_Static_assert(sizeof(struct vx_ct_entry) == 48, "tracking entry is 48 bytes");

struct vx_ct {
	struct vx_ct_entry *slots;
	uint32_t n_slots;
	uint32_t capacity;
	uint32_t count;
	uint32_t cursor; /* the sweep's next slot */
	uint64_t seed;
};

struct vx_ct *vx_ct_new(uint32_t capacity, uint64_t seed)
{
	if (!capacity || capacity > VX_CT_MAX_CAPACITY)
		return NULL;
	struct vx_ct *ct = calloc(1, sizeof(*ct));
	if (!ct)
		return NULL;
	/* At most two thirds full: a miss probes about five slots on average. */
	ct->n_slots = capacity + capacity / 2 + 1;
	ct->capacity = capacity;
	ct->seed = seed;
	ct->slots = calloc(ct->n_slots, sizeof(*ct->slots));
	if (!ct->slots) {
		free(ct);
		return NULL;
	}
	return ct;
}

void vx_ct_free(struct vx_ct *ct)
{
	if (!ct)
		return;
	free(ct->slots);
	free(ct);
}

uint32_t vx_ct_count(const struct vx_ct *ct)
{
	return ct->count;
}

uint32_t vx_ct_capacity(const struct vx_ct *ct)
{
	return ct->capacity;
}

uint64_t vx_ct_hash(const struct vx_ct *ct, const struct vx_ct_key *k)
{
	return XXH3_64bits_withSeed(k, sizeof(*k), ct->seed);
}

/* The home slot of a hash: its top 32 bits scaled to the slot count. */
static inline uint32_t home_of(const struct vx_ct *ct, uint64_t hash)
{
	return (uint32_t)(((hash >> 32) * (uint64_t)ct->n_slots) >> 32);
}

/* 40 bytes as five words: cheaper than a memcmp call per probe. */
static inline bool key_eq(const struct vx_ct_key *a, const struct vx_ct_key *b)
{
	uint64_t x[5], y[5];
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

static inline uint32_t next_slot(const struct vx_ct *ct, uint32_t i)
{
	return i + 1 == ct->n_slots ? 0 : i + 1;
}

struct vx_ct_entry *vx_ct_find(struct vx_ct *ct, const struct vx_ct_key *k, uint64_t hash)
{
	for (uint32_t i = home_of(ct, hash);; i = next_slot(ct, i)) {
		struct vx_ct_entry *e = &ct->slots[i];
		if (!e->key.family)
			return NULL;
		if (key_eq(&e->key, k))
			return e;
	}
}

struct vx_ct_entry *vx_ct_insert(struct vx_ct *ct, const struct vx_ct_key *k, uint64_t hash)
{
	if (ct->count >= ct->capacity)
		return NULL;
	uint32_t i = home_of(ct, hash);
	while (ct->slots[i].key.family)
		i = next_slot(ct, i);
	struct vx_ct_entry *e = &ct->slots[i];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	ct->count++;
	return e;
}

/* Empty slot i and pull back the entries after it that probed past it, so
 * that every entry stays reachable from its home slot. */
static void remove_slot(struct vx_ct *ct, uint32_t i)
{
	uint32_t j = i;
	for (;;) {
		j = next_slot(ct, j);
		struct vx_ct_entry *e = &ct->slots[j];
		if (!e->key.family)
			break;
		uint32_t home = home_of(ct, vx_ct_hash(ct, &e->key));
		/* The entry may fill the hole unless its home lies cyclically
		 * in (i, j]: then it would sit before its home. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		ct->slots[i] = *e;
		i = j;
	}
	memset(&ct->slots[i], 0, sizeof(ct->slots[i]));
	ct->count--;
}

void vx_ct_remove(struct vx_ct *ct, struct vx_ct_entry *e)
{
	remove_slot(ct, (uint32_t)(e - ct->slots));
}

uint32_t vx_ct_sweep(struct vx_ct *ct, uint32_t now, uint32_t slots)
{
	uint32_t removed = 0;
	if (!ct->count)
		return 0;
	if (slots > ct->n_slots)
		slots = ct->n_slots;
	while (slots--) {
		struct vx_ct_entry *e = &ct->slots[ct->cursor];
		if (e->key.family && now > e->expires) {
			/* An entry from further on may move into this slot:
			 * look at it again next time. */
			remove_slot(ct, ct->cursor);
			removed++;
			continue;
		}
		ct->cursor = next_slot(ct, ct->cursor);
	}
	return removed;
}

uint32_t vx_ct_remove_iface(struct vx_ct *ct, uint16_t iface)
{
	uint32_t removed = 0;
	/* A removal pulls entries from later slots into slot i, which is then
	 * looked at again; entries pulled from the first slots (a cluster that
	 * wraps) were looked at already and stay. */
	for (uint32_t i = 0; i < ct->n_slots;) {
		struct vx_ct_entry *e = &ct->slots[i];
		if (e->key.family && e->key.iface == iface) {
			remove_slot(ct, i);
			removed++;
			continue; /* look at what moved in */
		}
		i++;
	}
	return removed;
}
