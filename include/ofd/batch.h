/*
 * A batch: a fixed array of flow records with a live mask.
 *
 * Producers (decoders) append with ofd_batch_add(); when the batch is full it is handed to its
 * `full` callback, which must consume the records and leave the batch empty (ofd_batch_reset).
 * Segments drop a record by clearing its live bit; they never keep pointers into a batch.
 *
 * `flows` points at the batch's own `store` after ofd_batch_init(), or at another batch's store
 * after ofd_batch_swap(): the pipeline hands a full batch on by swapping stores, never by copying.
 */
#ifndef OFD_BATCH_H
#define OFD_BATCH_H

#include <stdint.h>
#include <string.h>

#include "flow.h"

#define OFD_BATCH_CAP 512

struct ofd_batch;
typedef void (*ofd_batch_full_fn)(struct ofd_batch *b, void *ctx);

struct ofd_batch {
	uint32_t n;
	uint64_t live[OFD_BATCH_CAP / 64];
	ofd_batch_full_fn full;
	void *full_ctx;
	struct ofd_flow *flows; /* OFD_BATCH_CAP records */
	struct ofd_flow store[OFD_BATCH_CAP];
};

static inline void ofd_batch_reset(struct ofd_batch *b)
{
	b->n = 0;
	memset(b->live, 0, sizeof(b->live));
}

static inline void ofd_batch_init(struct ofd_batch *b, ofd_batch_full_fn full, void *ctx)
{
	b->full = full;
	b->full_ctx = ctx;
	b->flows = b->store;
	ofd_batch_reset(b);
}

/* Exchange the records (store, count, live mask) of two batches; callbacks stay. */
static inline void ofd_batch_swap(struct ofd_batch *a, struct ofd_batch *b)
{
	struct ofd_flow *f = a->flows;
	a->flows = b->flows;
	b->flows = f;
	uint32_t n = a->n;
	a->n = b->n;
	b->n = n;
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

static inline int ofd_batch_is_live(const struct ofd_batch *b, uint32_t i)
{
	return (int)(b->live[i >> 6] >> (i & 63) & 1);
}

static inline void ofd_batch_kill(struct ofd_batch *b, uint32_t i)
{
	b->live[i >> 6] &= ~(UINT64_C(1) << (i & 63));
}

#endif
