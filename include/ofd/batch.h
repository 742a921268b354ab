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
 *
 * Source datagrams. When a segment of the pipeline declares OFD_SEGF_DGRAMS (forward), the engine
 * gives each of its batches a datagram area (`dg`, else NULL), and the decoder (decode.h) copies
 * every export datagram it decodes into the batch that gets its first records, with the exporter's
 * address: ofd_batch_dgram_add() before decoding, ofd_batch_dgram_done() after. The area travels
 * with the records (swapped with them, emptied by ofd_batch_reset; not copied by
 * ofd_batch_copy_live, not kept by a diskbuffer). A datagram's records are those from its `first`
 * to the next datagram's (or b->n); one whose records did not all fit is split, its later records
 * go on in the next batch without it (state OFD_DGRAM_SPLIT). A batch with datagrams and no
 * records (templates only) is handed on too, and reaches the OFD_SEGF_DGRAMS segments.
 */
#ifndef OFD_BATCH_H
#define OFD_BATCH_H

#include <stdint.h>
#include <string.h>

#include "api.h"
#include "flow.h"

#define OFD_BATCH_CAP	512
#define OFD_BATCH_ARENA (64u * 1024) /* bytes of strings per batch */

#define OFD_BATCH_DGRAMS      OFD_BATCH_CAP /* source datagrams per batch, at most */
#define OFD_BATCH_DGRAM_BYTES (256u * 1024) /* their bytes, at most */

/* What the decoder made of a source datagram. */
enum ofd_dgram_state {
	OFD_DGRAM_SPLIT = 0,   /* not known here: its records went on in more than this batch */
	OFD_DGRAM_DECODED = 1, /* decoded whole (with or without records) */
	OFD_DGRAM_FAILED = 2,  /* the decoder refused it, or part of it (see decode.h) */
};

/* Flags of a source datagram. */
enum {
	OFD_DGRAM_CONTROL = 1 << 0, /* it carried templates, options templates or options data (a
				       collector needs them to decode the others) */
};

struct ofd_batch_dgram {
	struct ofd_ip src; /* the exporter: the datagram's source address */
	uint16_t src_port;
	uint8_t state; /* enum ofd_dgram_state */
	uint8_t flags; /* OFD_DGRAM_* */
	uint32_t off;  /* its bytes: dgrams->bytes + off */
	uint32_t len;
	uint32_t first; /* its first record's index in the batch */
};

struct ofd_dgrams {
	uint32_t n;    /* datagrams */
	uint32_t used; /* bytes */
	struct ofd_batch_dgram d[OFD_BATCH_DGRAMS];
	uint8_t bytes[OFD_BATCH_DGRAM_BYTES];
};

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
	struct ofd_dgrams *dg;	/* the source datagrams (NULL: not carried) */
	struct ofd_flow store[OFD_BATCH_CAP];
	char arena_store[OFD_BATCH_ARENA];
};

static inline void ofd_batch_reset(struct ofd_batch *b)
{
	b->n = 0;
	b->arena_used = 0;
	memset(b->live, 0, sizeof(b->live));
	if (b->dg)
		b->dg->n = b->dg->used = 0;
}

static inline void ofd_batch_init(struct ofd_batch *b, ofd_batch_full_fn full, void *ctx)
{
	b->full = full;
	b->full_ctx = ctx;
	b->flows = b->store;
	b->arena = b->arena_store;
	b->dg = NULL;
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
	struct ofd_dgrams *dg = a->dg;
	a->dg = b->dg;
	b->dg = dg;
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

/* Hand a non-empty batch (records or source datagrams) to its consumer. */
static inline void ofd_batch_flush(struct ofd_batch *b)
{
	if ((b->n || (b->dg && b->dg->n)) && b->full)
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

/* Whether b carries source datagrams and has room for one more of len bytes. */
static inline int ofd_batch_dgram_room(const struct ofd_batch *b, size_t len)
{
	return b->dg && b->dg->n < OFD_BATCH_DGRAMS && len <= OFD_BATCH_DGRAM_BYTES - b->dg->used;
}

/*
 * Append a copy of a source datagram (its records are those added next), state OFD_DGRAM_SPLIT
 * until ofd_batch_dgram_done(). Returns its index, or -1 without room (ofd_batch_dgram_room).
 */
static inline int ofd_batch_dgram_add(struct ofd_batch *b, const void *data, size_t len,
				      const struct ofd_ip *src, uint16_t src_port)
{
	if (!ofd_batch_dgram_room(b, len))
		return -1;
	struct ofd_dgrams *g = b->dg;
	struct ofd_batch_dgram *d = &g->d[g->n];
	d->src = *src;
	d->src_port = src_port;
	d->state = OFD_DGRAM_SPLIT;
	d->flags = 0;
	d->off = g->used;
	d->len = (uint32_t)len;
	d->first = b->n;
	memcpy(g->bytes + g->used, data, len);
	g->used += (uint32_t)len;
	return (int)g->n++;
}

/* The datagram added as index i is decoded: its state and flags, if it is still in b (it is not
   when b was handed on while its records were added: it went with them, as OFD_DGRAM_SPLIT). */
static inline void ofd_batch_dgram_done(struct ofd_batch *b, int i, enum ofd_dgram_state state,
					unsigned flags)
{
	if (i >= 0 && b->dg && b->dg->n == (uint32_t)i + 1) {
		b->dg->d[i].state = (uint8_t)state;
		b->dg->d[i].flags = (uint8_t)flags;
	}
}

/* One past the last record of datagram i of b. */
static inline uint32_t ofd_batch_dgram_end(const struct ofd_batch *b, uint32_t i)
{
	return i + 1 < b->dg->n ? b->dg->d[i + 1].first : b->n;
}

#endif
