/*
 * A per-instance, direct-mapped cache from an address (the 16 bytes of struct ofd_ip) to a
 * uint32 answer, for segments whose lookups cost more than a cache line (an mmdb walk is
 * 200-500 ns). A slot holds one address; a new address evicts whatever shared its slot. Sized
 * once (a power of two of slots, 24 bytes each), never allocates after init, cleared whole when
 * the data behind it changes. The answer 0 is a valid cached value ("looked up, nothing"), so
 * misses are cached too. Not thread-safe: one instance's process() owns it.
 */
#ifndef OFD_SEG_ADDRCACHE_H
#define OFD_SEG_ADDRCACHE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/flow.h"

struct addrcache_slot {
	uint64_t lo, hi; /* the address; hi == 0 && lo == 0 with used == 0 is an empty slot */
	uint32_t v;
	uint32_t used;
};

struct addrcache {
	struct addrcache_slot *slot; /* NULL: no cache */
	uint64_t mask;
	unsigned shift;
};

/* A cache of at least `entries` slots (rounded up to a power of two, at most 2^26); 0 entries:
   none (every lookup misses). 0 or -ENOMEM. */
static inline int addrcache_init(struct addrcache *c, uint64_t entries)
{
	memset(c, 0, sizeof(*c));
	if (entries == 0)
		return 0;
	unsigned bits = 1;
	while (bits < 26 && ((uint64_t)1 << bits) < entries)
		bits++;
	c->slot = calloc((size_t)1 << bits, sizeof(*c->slot));
	if (!c->slot)
		return -ENOMEM;
	c->mask = ((uint64_t)1 << bits) - 1;
	c->shift = 64 - bits;
	return 0;
}

static inline void addrcache_free(struct addrcache *c)
{
	free(c->slot);
	c->slot = NULL;
}

static inline void addrcache_clear(struct addrcache *c)
{
	if (c->slot)
		memset(c->slot, 0, (size_t)(c->mask + 1) * sizeof(*c->slot));
}

static inline struct addrcache_slot *addrcache_slot(const struct addrcache *c, const struct ofd_ip *a,
						    uint64_t *lo, uint64_t *hi)
{
	memcpy(lo, a->b, 8);
	memcpy(hi, a->b + 8, 8);
	uint64_t h = (*lo * 0x9e3779b97f4a7c15ull ^ *hi) * 0xff51afd7ed558ccdull;
	return &c->slot[(h ^ h >> 29) >> c->shift];
}

/* 1 and *v if a is cached, else 0. */
static inline int addrcache_get(const struct addrcache *c, const struct ofd_ip *a, uint32_t *v)
{
	if (!c->slot)
		return 0;
	uint64_t lo, hi;
	const struct addrcache_slot *s = addrcache_slot(c, a, &lo, &hi);
	if (s->used && s->lo == lo && s->hi == hi) {
		*v = s->v;
		return 1;
	}
	return 0;
}

static inline void addrcache_put(struct addrcache *c, const struct ofd_ip *a, uint32_t v)
{
	if (!c->slot)
		return;
	uint64_t lo, hi;
	struct addrcache_slot *s = addrcache_slot(c, a, &lo, &hi);
	s->lo = lo;
	s->hi = hi;
	s->v = v;
	s->used = 1;
}

#endif
