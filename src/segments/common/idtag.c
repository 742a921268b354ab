/*
 * addcid and addnetid (idtag.h), as flowpipeline's segments of those names behave:
 *
 * Without matchboth, the local side is the one RemoteAddr does not name (1: the source is
 * remote, so the destination is looked up; 2: the source); a flow with no remote address
 * marked passes untouched (counted `noremote`; dropped with dropunmatched). The id found is
 * written to the id field (Cid / NetId, or CidString / NetIdString without useintids); no id
 * (no prefix, or one with id 0 or "") leaves it unset (counted `unmatched`; dropped with
 * dropunmatched).
 *
 * With matchboth, source and destination are looked up each (in that order) into the source
 * and destination fields (SrcCid/DstCid; SrcId/DstId or SrcIdString/DstIdString), and the id
 * field gets the one that matched when only one did. When both did, flowpipeline leaves the
 * id field alone; here, when RemoteAddr names a remote side, the id field gets the other
 * (local) side's id, and otherwise it is left alone as there. Neither: `unmatched` (dropped
 * with dropunmatched: flowpipeline's addnetid drops there, its addcid never drops with
 * matchboth).
 *
 * The addresses of a batch are looked up together (ofd_lpm_lookup_batch: the memory accesses
 * overlap); string ids are copied into the batch's arena once per batch per distinct id.
 */
#include <string.h>

#include "segments/common/idtag.h"

/* (what dropunmatched drops is the entry's `dropped`, which the engine counts) */
const char *const idtag_counters[] = {"unmatched", "noremote",	    "arena_full",
				      "reloads",   "reload_failed", NULL};

int idtag_init(struct ofd_segment *seg, struct idtag_state *s, const struct idtag_fields *fields)
{
	s->fields = fields;
	return pfx_src_open(&s->src, seg, s->filename, s->useintids ? PFX_INT : PFX_STR, s->check_ns,
			    IDT_C_RELOADS, IDT_C_RELOAD_FAILED);
}

void idtag_tick(struct idtag_state *s)
{
	if (atomic_load_explicit(&s->src.pending, memory_order_relaxed))
		pfx_src_adopt(&s->src);
}

void idtag_fini(struct idtag_state *s)
{
	pfx_src_close(&s->src);
}

static inline uint32_t *u32_at(struct ofd_flow *f, unsigned id)
{
	return (uint32_t *)(void *)((char *)f + ofd_fields[id].off);
}

static inline const char **str_at(struct ofd_flow *f, unsigned id)
{
	return (const char **)(void *)((char *)f + ofd_fields[id].off);
}

struct ctx {
	struct ofd_segment *seg;
	struct idtag_state *s;
	struct pfx_table *t;
	struct ofd_batch *b;
	uint64_t arena_full;
};

/* Set field id (and its string companion) from a looked-up value v (0: none); 1 if set. */
static inline int put(struct ctx *c, struct ofd_flow *f, unsigned id, unsigned id_str, uint32_t v)
{
	if (c->s->useintids) {
		if (id == OFD_F__COUNT)
			return v != 0;
		*u32_at(f, id) = v;
		if (v)
			ofd_flow_set(f, id);
		else
			ofd_flow_clear(f, id);
		return v != 0;
	}
	if (id_str == OFD_F__COUNT)
		return v != 0;
	if (v == 0) {
		*str_at(f, id_str) = NULL;
		ofd_flow_clear(f, id_str);
		return 0;
	}
	const char *str = pfx_str_in_batch(c->t, v, c->s->src.stamp, c->b);
	if (!str) {
		c->arena_full++;
		return 1; /* matched all the same */
	}
	*str_at(f, id_str) = str;
	ofd_flow_set(f, id_str);
	return 1;
}

/* The local-side lookups: addresses of the live records with a remote side marked. */
static void process_local(struct ctx *c, uint64_t *unmatched, uint64_t *noremote)
{
	const struct idtag_fields *fl = c->s->fields;
	struct ofd_batch *b = c->b;
	const struct ofd_ip *a[OFD_BATCH_CAP];
	uint16_t at[OFD_BATCH_CAP];
	uint32_t v[OFD_BATCH_CAP];
	size_t n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		pfx_prefetch(b, i + PFX_PREFETCH_AHEAD);
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		if (f->remote_addr == OFD_REMOTE_SRC)
			a[n] = pfx_addr(&f->dst_addr);
		else if (f->remote_addr == OFD_REMOTE_DST)
			a[n] = pfx_addr(&f->src_addr);
		else {
			(*noremote)++;
			if (c->s->dropunmatched)
				ofd_batch_kill(b, i);
			continue;
		}
		at[n++] = (uint16_t)i;
	}
	pfx_lookup(c->t, a, n, v);
	if (c->s->useintids) { /* the common case, without put()'s branches */
		unsigned id = fl->id;
		size_t off = ofd_fields[id].off;
		for (size_t k = 0; k < n; k++) {
			struct ofd_flow *f = &b->flows[at[k]];
			*(uint32_t *)(void *)((char *)f + off) = v[k];
			if (v[k]) {
				ofd_flow_set(f, id);
				continue;
			}
			ofd_flow_clear(f, id);
			(*unmatched)++;
			if (c->s->dropunmatched)
				ofd_batch_kill(b, at[k]);
		}
		return;
	}
	for (size_t k = 0; k < n; k++) {
		struct ofd_flow *f = &b->flows[at[k]];
		if (put(c, f, fl->id, fl->id_str, v[k]))
			continue;
		(*unmatched)++;
		if (c->s->dropunmatched)
			ofd_batch_kill(b, at[k]);
	}
}

static void process_both(struct ctx *c, uint64_t *unmatched)
{
	const struct idtag_fields *fl = c->s->fields;
	struct ofd_batch *b = c->b;
	const struct ofd_ip *a[2 * OFD_BATCH_CAP];
	uint16_t at[OFD_BATCH_CAP];
	uint32_t v[2 * OFD_BATCH_CAP];
	size_t n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		pfx_prefetch(b, i + PFX_PREFETCH_AHEAD);
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		a[2 * n] = pfx_addr(&f->src_addr);
		a[2 * n + 1] = pfx_addr(&f->dst_addr);
		at[n++] = (uint16_t)i;
	}
	pfx_lookup(c->t, a, 2 * n, v);
	for (size_t k = 0; k < n; k++) {
		struct ofd_flow *f = &b->flows[at[k]];
		uint32_t vs = v[2 * k], vd = v[2 * k + 1];
		int ms = put(c, f, fl->src, fl->src_str, vs);
		int md = put(c, f, fl->dst, fl->dst_str, vd);
		uint32_t one = 0;
		if (ms && !md)
			one = vs;
		else if (md && !ms)
			one = vd;
		else if (ms && md && f->remote_addr == OFD_REMOTE_SRC)
			one = vd;
		else if (ms && md && f->remote_addr == OFD_REMOTE_DST)
			one = vs;
		if (one) {
			(void)put(c, f, fl->id, fl->id_str, one);
		} else if (!ms && !md) {
			(*unmatched)++;
			if (c->s->dropunmatched)
				ofd_batch_kill(b, at[k]);
		}
	}
}

void idtag_process(struct ofd_segment *seg, struct idtag_state *s, struct ofd_batch *b)
{
	struct ctx c = {.seg = seg, .s = s, .b = b};
	c.t = pfx_src_begin(&s->src);
	uint64_t unmatched = 0, noremote = 0;
	if (s->matchboth)
		process_both(&c, &unmatched);
	else
		process_local(&c, &unmatched, &noremote);
	if (unmatched)
		ofd_segment_count(seg, IDT_C_UNMATCHED, unmatched);
	if (noremote)
		ofd_segment_count(seg, IDT_C_NOREMOTE, noremote);
	if (c.arena_full)
		ofd_segment_count(seg, IDT_C_ARENA_FULL, c.arena_full);
}
