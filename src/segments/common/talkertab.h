/*
 * A fixed table of talkers (an address, or an address pair) with a ring of byte and packet
 * buckets each: the heavy-hitter structure of toptalkers_metrics and traffic_specific_toptalkers.
 *
 * Memory is fixed at init from a byte budget (the table never grows, whatever the input): slots
 * in sets of TALKERTAB_WAYS, two candidate sets per key from a keyed SipHash (so that chosen
 * addresses cannot aim at one set). A new key whose two sets are full evicts the way with the
 * fewest bytes in its window (space-saving's "replace the minimum", within 2 x 8 candidates).
 *
 * Error bound (see /work/notes/arch-toptm.md): counts of a resident key are exact since it was
 * (last) admitted, never over. A key is evicted only while its window bytes are the least of
 * the 16 ways of its two sets, so at most W2/16, W2 the window bytes of those two sets; with
 * the keyed hash spreading keys evenly, E[W2] = 2 W / nsets = 16 W / slots (W: the window bytes
 * of the whole table), so a key holding more than W / slots of the window bytes is expected never
 * to be evicted, and one holding more than 2 W / slots is not evicted unless its two sets
 * carry twice their share. Heavy hitters are exact; the churn of a flood stays in the small ones.
 */
#ifndef OFD_SEG_TALKERTAB_H
#define OFD_SEG_TALKERTAB_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#define TALKERTAB_WAYS	   8
#define TALKERTAB_KEYBYTES 33 /* family, then 16 bytes of address, then 16 more (pairs) or zero */

struct talkertab_bucket {
	uint64_t bytes, packets;
};

struct talkertab_slot {
	uint8_t key[TALKERTAB_KEYBYTES];
	uint64_t cur;	 /* the bucket number last written */
	uint64_t wbytes; /* the sum of the ring's bytes (the eviction order) */
	struct talkertab_bucket b[];
};

struct talkertab {
	unsigned char *mem; /* nslots slots of stride bytes (mmap) */
	uint32_t *tags;	    /* per slot: 0 free, else hash bits of its key */
	size_t stride, mem_len, tags_len;
	uint64_t nsets, nslots;
	uint32_t nbuckets;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	uint64_t evicted, admitted;
};

/* The bytes a table of that many buckets per slot takes for `slots` slots. */
size_t talkertab_bytes(uint64_t slots, uint32_t nbuckets);

/* The largest table (a power of two of sets) within budget bytes: 0, or -ENOMEM when not even
   one set fits or the memory cannot be had. */
int talkertab_init(struct talkertab *t, size_t budget, uint32_t nbuckets);
void talkertab_free(struct talkertab *t);

/* Where a key may live: its two sets (first slot of each) and its tag. */
struct talkertab_hash {
	uint64_t base[2];
	uint32_t tag;
};

struct talkertab_hash talkertab_hash(const struct talkertab *t, const uint8_t *key);

/* Batches: prefetch the tag lines of h's sets (after hashing a batch), then the slot of h's
   tag if one has it (returned, or UINT64_MAX), so that talkertab_add_h finds them in cache. */
static inline void talkertab_prefetch_tags(const struct talkertab *t, const struct talkertab_hash *h)
{
	__builtin_prefetch(&t->tags[h->base[0]]);
	__builtin_prefetch(&t->tags[h->base[1]]);
}
uint64_t talkertab_prefetch_slot(const struct talkertab *t, const struct talkertab_hash *h, uint64_t c);

/* Add to key's bucket number c (c never goes back for a key); h is talkertab_hash(t, key). */
void talkertab_add_h(struct talkertab *t, const struct talkertab_hash *h, const uint8_t *key, uint64_t c,
		     uint64_t bytes, uint64_t packets);

static inline void talkertab_add(struct talkertab *t, const uint8_t *key, uint64_t c, uint64_t bytes,
				 uint64_t packets)
{
	struct talkertab_hash h = talkertab_hash(t, key);
	talkertab_add_h(t, &h, key, c, bytes, packets);
}

static inline struct talkertab_slot *talkertab_at(const struct talkertab *t, uint64_t i)
{
	return (struct talkertab_slot *)(t->mem + i * t->stride);
}

static inline int talkertab_used(const struct talkertab *t, uint64_t i)
{
	return t->tags[i] != 0;
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
