/*
 * A batch: a fixed array of flow records with a live mask.
 *
 * Producers (decoders) append with ofd_batch_add(); when the batch is full it is handed to its
 * `full` callback, which must consume the records and leave the batch empty (ofd_batch_reset).
 * Segments drop a record by clearing its live bit; they never keep pointers into a batch.
 *
 * `flows` points at the batch's own `store` after ofd_batch_init(), or at another batch's store
 * after ofd_batch_swap(): the pipeline hands a full batch on by swapping stores, never by copying.
 *
 * Strings. A string field that a segment sets points into the batch's arena (ofd_batch_strdup):
 * OFD_BATCH_ARENA bytes that travel with the records (swapped with them, emptied by
 * ofd_batch_reset, copied with the pointers rebased by ofd_batch_copy_live). A string that
 * outlives the pipeline (configuration text, a segment's own table kept until its fini) may be
 * pointed at directly. Nobody keeps a pointer into the records or the arena after process().
 */
#ifndef OFD_BATCH_H
#define OFD_BATCH_H

#include <stdint.h>
#include <string.h>

#include "api.h"
#include "flow.h"

#define OFD_BATCH_CAP	512
#define OFD_BATCH_ARENA (64u * 1024) /* bytes of strings per batch */

struct ofd_batch;
typedef void (*ofd_batch_full_fn)(struct ofd_batch *b, void *ctx);

struct ofd_batch {
	uint32_t n;
	uint32_t arena_used;
	uint64_t live[OFD_BATCH_CAP / 64];
	ofd_batch_full_fn full;
	void *full_ctx;
	struct ofd_flow *flows; /* OFD_BATCH_CAP records */
	char *arena;		/* OFD_BATCH_ARENA bytes, arena_used of them taken */
	struct ofd_flow store[OFD_BATCH_CAP];
	char arena_store[OFD_BATCH_ARENA];
};

static inline void ofd_batch_reset(struct ofd_batch *b)
{
	b->n = 0;
	b->arena_used = 0;
	memset(b->live, 0, sizeof(b->live));
}

static inline void ofd_batch_init(struct ofd_batch *b, ofd_batch_full_fn full, void *ctx)
{
	b->full = full;
	b->full_ctx = ctx;
	b->flows = b->store;
	b->arena = b->arena_store;
	ofd_batch_reset(b);
}

/* Exchange the records (store, count, live mask, arena) of two batches; callbacks stay. */
static inline void ofd_batch_swap(struct ofd_batch *a, struct ofd_batch *b)
{
	struct ofd_flow *f = a->flows;
	a->flows = b->flows;
	b->flows = f;
	char *ar = a->arena;
	a->arena = b->arena;
	b->arena = ar;
	uint32_t n = a->n;
	a->n = b->n;
	b->n = n;
	n = a->arena_used;
	a->arena_used = b->arena_used;
	b->arena_used = n;
	for (unsigned i = 0; i < OFD_BATCH_CAP / 64; i++) {
		uint64_t l = a->live[i];
		a->live[i] = b->live[i];
		b->live[i] = l;
	}
}

/* Number of live records. */
static inline uint32_t ofd_batch_live_count(const struct ofd_batch *b)
{
	uint32_t c = 0;
	for (unsigned i = 0; i < OFD_BATCH_CAP / 64; i++)
		c += (uint32_t)__builtin_popcountll(b->live[i]);
	return c;
}

/* Hand a non-empty batch to its consumer. */
static inline void ofd_batch_flush(struct ofd_batch *b)
{
	if (b->n && b->full)
		b->full(b, b->full_ctx);
	ofd_batch_reset(b);
}

/* A zeroed, live record at the end of the batch; flushes first if the batch is full. */
static inline struct ofd_flow *ofd_batch_add(struct ofd_batch *b)
{
	if (b->n == OFD_BATCH_CAP)
		ofd_batch_flush(b);
	uint32_t i = b->n++;
	b->live[i >> 6] |= UINT64_C(1) << (i & 63);
	struct ofd_flow *f = &b->flows[i];
	ofd_flow_zero(f);
	return f;
}

/* Take back the record just added (a decoder that found it malformed). */
static inline void ofd_batch_unadd(struct ofd_batch *b)
{
	if (b->n) {
		b->n--;
		b->live[b->n >> 6] &= ~(UINT64_C(1) << (b->n & 63));
	}
}

/* Free bytes in the arena. */
static inline uint32_t ofd_batch_arena_free(const struct ofd_batch *b)
{
	return OFD_BATCH_ARENA - b->arena_used;
}

/*
 * A NUL-terminated copy of s[0..len) in the batch's arena, for a string field of one of its
 * records; NULL when the arena has no room (leave the field unset, and count it). Valid while
 * the record is in this batch (see the top of this file).
 */
static inline const char *ofd_batch_strdup(struct ofd_batch *b, const char *s, size_t len)
{
	if (len >= ofd_batch_arena_free(b))
		return NULL;
	char *d = b->arena + b->arena_used;
	memcpy(d, s, len);
	d[len] = 0;
	b->arena_used += (uint32_t)len + 1;
	return d;
}

/*
 * Append src's live records to dst, with the strings they point at in src's arena copied into
 * dst's arena and the pointers rebased (strings elsewhere are kept as they are). dst must have
 * room for the records (OFD_BATCH_CAP - dst->n; more are not copied) and the arena bytes (an
 * empty dst always has; without room the copies' strings from src's arena are unset).
 */
OFD_API void ofd_batch_copy_live(struct ofd_batch *dst, const struct ofd_batch *src);

static inline int ofd_batch_is_live(const struct ofd_batch *b, uint32_t i)
{
	return (int)(b->live[i >> 6] >> (i & 63) & 1);
}

static inline void ofd_batch_kill(struct ofd_batch *b, uint32_t i)
{
	b->live[i >> 6] &= ~(UINT64_C(1) << (i & 63));
}

#endif
