/*
 * A fixed table of talkers (an address, or an address pair) with a ring of byte and packet
 * buckets each: the heavy-hitter structure of toptalkers_metrics and traffic_specific_toptalkers.
 *
 * Memory is fixed at init from a byte budget (the table never grows, whatever the input): as
 * many sets of TALKERTAB_WAYS slots as fit, two candidate sets per key from a keyed SipHash (so that chosen
 * addresses cannot aim at one set). A new key whose two sets are full evicts the way with the
 * fewest bytes in its window (space-saving's "replace the minimum", within 2 x 8 candidates).
 *
 * Error bound: counts of a resident key are exact since it was (last) admitted, never over the
 * truth. A key is evicted only as the least busy of a newcomer's 16 candidates, and its own set
 * is one of the newcomer's two: the 7 other keys of its set hold at least as many window bytes
 * as it does. So a key holding more than an eighth of its own set's window bytes is never
 * evicted. With the keyed hash spreading keys evenly a set holds W / nsets = 8 W / slots of
 * the table's window bytes W, so a key above W / slots is kept exact unless its set carries
 * more than its share; heavy hitters stay, the churn of a flood stays among the small ones.
 * (tests/seg/analyze_toptalkers_metrics.c checks the bound on a table of 64 slots.)
 */
#ifndef OFD_SEG_TALKERTAB_H
#define OFD_SEG_TALKERTAB_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TALKERTAB_WAYS	   8
#define TALKERTAB_KEYBYTES 33 /* family, then 16 bytes of address, then 16 more (pairs) or zero */

struct talkertab_bucket {
	uint64_t bytes, packets;
};

struct talkertab_slot {
	uint8_t key[TALKERTAB_KEYBYTES];
	uint64_t cur;	   /* the bucket number last written */
	uint64_t wbytes;   /* the sum of the ring's bytes (the eviction order) */
	uint64_t wpackets; /* the sum of the ring's packets */
	struct talkertab_bucket b[];
};

struct talkertab {
	unsigned char *mem; /* nslots slots of stride bytes (mmap) */
	uint32_t *tags;	    /* per slot: 0 free, else hash bits of its key */
	size_t stride, mem_len, tags_len;
	uint64_t nsets, nslots;
	uint32_t nbuckets;
	uint32_t keylen; /* the bytes of a key that are hashed and compared (the rest are zero):
			    TALKERTAB_KEYBYTES, or 17 for single addresses (set after init) */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	uint64_t evicted, admitted;
};

static inline struct talkertab_slot *talkertab_at(const struct talkertab *t, uint64_t i)
{
	return (struct talkertab_slot *)(t->mem + i * t->stride);
}

static inline int talkertab_used(const struct talkertab *t, uint64_t i)
{
	return t->tags[i] != 0;
}

/* Move slot i's ring forward to bucket number c (buckets that fell out are emptied, and taken
   off wbytes and wpackets). A c before the slot's own is ignored. */
void talkertab_advance_slow(struct talkertab *t, uint64_t i, uint64_t c);
static inline void talkertab_advance(struct talkertab *t, uint64_t i, uint64_t c)
{
	if (c > talkertab_at(t, i)->cur)
		talkertab_advance_slow(t, i, c);
}

/* Add to slot way's bucket c (or its last one, when c is before it). */
static inline uint64_t talkertab_add_to(struct talkertab *t, uint64_t way, uint64_t c, uint64_t bytes,
					uint64_t packets)
{
	struct talkertab_slot *sl = talkertab_at(t, way);
	if (c < sl->cur) /* a clock that went back */
		c = sl->cur;
	talkertab_advance(t, way, c);
	struct talkertab_bucket *bk = &sl->b[c % t->nbuckets];
	bk->bytes += bytes;
	bk->packets += packets;
	sl->wbytes += bytes;
	sl->wpackets += packets;
	return way;
}

/* The bytes a table of that many buckets per slot takes for `slots` slots. */
size_t talkertab_bytes(uint64_t slots, uint32_t nbuckets);

/* The largest table (a power of two of sets) within budget bytes: 0, or -ENOMEM when not even
   one set fits or the memory cannot be had. */
int talkertab_init(struct talkertab *t, size_t budget, uint32_t nbuckets);
/* A table of at least `slots` slots (a power of two of sets): 0 or -ENOMEM. */
int talkertab_init_slots(struct talkertab *t, uint64_t slots, uint32_t nbuckets);
void talkertab_free(struct talkertab *t);

/* Where a key may live: its two sets (first slot of each) and its tag. */
struct talkertab_hash {
	uint64_t base[2];
	uint32_t tag;
};

static inline struct talkertab_hash talkertab_hash(const struct talkertab *t, const uint8_t *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, t->keylen, t->hkey);
	uint64_t hv;
	memcpy(&hv, h, sizeof(hv));
	/* two sets from the two halves (multiply-shift onto [0, nsets)), a tag from the middle */
	struct talkertab_hash r = {{(((hv & 0xffffffffu) * t->nsets) >> 32) * TALKERTAB_WAYS,
				    (((hv >> 32) * t->nsets) >> 32) * TALKERTAB_WAYS},
				   (uint32_t)(hv >> 16) | 1u}; /* never 0 */
	return r;
}

/* Batches: prefetch the tag lines of h's sets (after hashing a batch), then the slot of h's
   tag if one has it (returned, or UINT64_MAX), so that talkertab_add_h finds them in cache. */
static inline void talkertab_prefetch_tags(const struct talkertab *t, const struct talkertab_hash *h)
{
	__builtin_prefetch(&t->tags[h->base[0]]);
	__builtin_prefetch(&t->tags[h->base[1]]);
}
static inline uint64_t talkertab_prefetch_slot(const struct talkertab *t, const struct talkertab_hash *h,
					       uint64_t c)
{
	for (unsigned j = 0; j < 2; j++)
		for (uint64_t w = h->base[j]; w < h->base[j] + TALKERTAB_WAYS; w++)
			if (t->tags[w] == h->tag) {
				const struct talkertab_slot *sl = talkertab_at(t, w);
				__builtin_prefetch(sl, 1);
				__builtin_prefetch(&sl->b[c % t->nbuckets], 1);
				return w;
			}
	return UINT64_MAX;
}

/* Add to key's bucket number c (a c before the key's last one, a clock that went back, adds to
   its last one); h is talkertab_hash(t, key). Returns the key's slot. */
uint64_t talkertab_add_h(struct talkertab *t, const struct talkertab_hash *h, const uint8_t *key, uint64_t c,
			 uint64_t bytes, uint64_t packets);

/* As talkertab_add_h, with the slot talkertab_prefetch_slot returned for it (tried first). */
/* Whether slot w holds key (constant lengths, so that the compiler compares inline). */
static inline int talkertab_is(const struct talkertab *t, uint64_t w, const uint8_t *key)
{
	const uint8_t *k = talkertab_at(t, w)->key;
	return t->keylen == 17 ? memcmp(k, key, 17) == 0 : memcmp(k, key, TALKERTAB_KEYBYTES) == 0;
}

static inline uint64_t talkertab_add_at(struct talkertab *t, const struct talkertab_hash *h, uint64_t cand,
					const uint8_t *key, uint64_t c, uint64_t bytes, uint64_t packets)
{
	if (cand != UINT64_MAX && t->tags[cand] == h->tag && talkertab_is(t, cand, key))
		return talkertab_add_to(t, cand, c, bytes, packets);
	return talkertab_add_h(t, h, key, c, bytes, packets);
}

static inline void talkertab_add(struct talkertab *t, const uint8_t *key, uint64_t c, uint64_t bytes,
				 uint64_t packets)
{
	struct talkertab_hash h = talkertab_hash(t, key);
	talkertab_add_h(t, &h, key, c, bytes, packets);
}

/* The slot holding key, or UINT64_MAX. */
static inline uint64_t talkertab_find(const struct talkertab *t, const uint8_t *key)
{
	struct talkertab_hash h = talkertab_hash(t, key);
	for (unsigned j = 0; j < 2; j++)
		for (uint64_t w = h.base[j]; w < h.base[j] + TALKERTAB_WAYS; w++)
			if (t->tags[w] == h.tag && talkertab_is(t, w, key))
				return w;
	return UINT64_MAX;
}

/* Sums of slot i's buckets numbered [c - n, c) (the n whole buckets before bucket c). */
void talkertab_sum(const struct talkertab *t, uint64_t i, uint64_t c, uint32_t n, uint64_t *bytes,
		   uint64_t *packets);

/* Forget slot i (its window emptied). */
static inline void talkertab_drop(struct talkertab *t, uint64_t i)
{
	t->tags[i] = 0;
}

#endif
