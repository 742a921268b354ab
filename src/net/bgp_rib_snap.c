/*
 * net/bgp_rib: the best path of a prefix and the snapshots (see bgp_rib.h): freezing the best
 * paths into an lpm table, publishing it for the reader thread, freeing retired ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/bgp_rib_int.h"
#include "ofd/time.h"

/* ---- best path, snapshots ---------------------------------------------------------------- */

/* 1 if path x is better than y (the rule in bgp_rib.h). */
static int better(const struct rpath *x, const struct rpath *y)
{
	if (x->stale != y->stale)
		return !x->stale;
	uint32_t lx = x->a->flags & OFD_BGPA_LOCAL_PREF ? x->a->local_pref : 100;
	uint32_t ly = y->a->flags & OFD_BGPA_LOCAL_PREF ? y->a->local_pref : 100;
	if (lx != ly)
		return lx > ly;
	if (x->a->path_len != y->a->path_len)
		return x->a->path_len < y->a->path_len;
	uint32_t mx = x->a->flags & OFD_BGPA_MED ? x->a->med : 0;
	uint32_t my = y->a->flags & OFD_BGPA_MED ? y->a->med : 0;
	if (mx != my)
		return mx < my;
	return x->pid < y->pid;
}

static const struct rpath *best_of(struct slot *s)
{
	const struct rpath *b = &s->p0;
	for (unsigned i = 1; i < s->n; i++)
		if (better(path_at(s, i), b))
			b = path_at(s, i);
	return b;
}

const struct ofd_bgp_attrs *ofd_bgp_rib_best(const struct ofd_bgp_rib *r, const struct ofd_prefix *p)
{
	struct slot *s = bgp_map_find(r, p->addr.b, p->len);
	return s ? best_of(s)->a : NULL;
}

void bgp_snap_free(struct ofd_bgp_rib *r, struct ofd_bgp_snap *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n_attrs; i++)
		bgp_attrs_unref(r, s->attrs[i]);
	free(s->attrs);
	ofd_lpm_free(s->lpm);
	free(s);
}

void ofd_bgp_rib_reap(struct ofd_bgp_rib *r)
{
	struct ofd_bgp_snap *s = atomic_exchange_explicit(&r->retired, NULL, memory_order_acquire);
	while (s) {
		struct ofd_bgp_snap *n = s->next;
		bgp_snap_free(r, s);
		s = n;
	}
}

static int snap_build(struct ofd_bgp_rib *r, struct ofd_bgp_snap **out)
{
	uint64_t t0 = ofd_time_mono_ns();
	struct ofd_bgp_snap *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int rc = ofd_lpm_new(&s->lpm);
	if (rc) {
		free(s);
		return rc;
	}
	uint32_t cap = 0, gen = ++r->gen;
	for (size_t i = 0; i < r->cap; i++) {
		struct slot *sl = &r->slots[i];
		if (!sl->used)
			continue;
		struct ofd_bgp_attrs *a = best_of(sl)->a;
		if (a->snap_gen != gen) {
			if (s->n_attrs == cap) {
				uint32_t nc = cap ? cap * 2 : 1024;
				struct ofd_bgp_attrs **na =
				    nc <= (1u << 24) ? realloc(s->attrs, nc * sizeof(*na)) : NULL;
				if (!na)
					goto nomem;
				s->attrs = na;
				cap = nc;
			}
			a->snap_gen = gen;
			a->snap_idx = s->n_attrs;
			s->attrs[s->n_attrs++] = a;
			a->refs++;
		}
		struct ofd_prefix p;
		memcpy(p.addr.b, sl->k, 16);
		p.len = sl->len;
		p.addr.family = ofd_ip_is_v4mapped(&p.addr) && p.len >= 96 ? OFD_AF_INET : OFD_AF_INET6;
		if ((rc = ofd_lpm_add(s->lpm, &p, a->snap_idx << 8 | sl->len)) == -ENOMEM)
			goto nomem;
		s->n_routes++;
	}
	if (ofd_lpm_freeze(s->lpm))
		goto nomem;
	s->built_ns = ofd_time_mono_ns();
	s->freeze_ns = s->built_ns - t0;
	*out = s;
	return 0;
nomem:
	bgp_snap_free(r, s);
	return -ENOMEM;
}

int ofd_bgp_rib_publish(struct ofd_bgp_rib *r, int force)
{
	ofd_bgp_rib_reap(r);
	if (!r->dirty && !force)
		return 0;
	struct ofd_bgp_snap *s;
	int rc = snap_build(r, &s);
	if (rc)
		return rc;
	r->dirty = 0;
	r->st.snapshots++;
	r->st.last_freeze_ns = s->freeze_ns;
	r->snap_bytes = ofd_lpm_memory(s->lpm) + s->n_attrs * sizeof(*s->attrs) + sizeof(*s);
	struct ofd_bgp_snap *old = atomic_exchange_explicit(&r->pending, s, memory_order_acq_rel);
	bgp_snap_free(r, old); /* published but never taken: no reader */
	return 1;
}

void ofd_bgp_rib_adopt(struct ofd_bgp_rib *r)
{
	struct ofd_bgp_snap *t = atomic_exchange_explicit(&r->pending, NULL, memory_order_acq_rel);
	if (!t)
		return;
	struct ofd_bgp_snap *old = r->cur;
	r->cur = t;
	if (!old)
		return;
	old->next = atomic_load_explicit(&r->retired, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&r->retired, &old->next, old, memory_order_release,
						      memory_order_relaxed))
		;
}

const struct ofd_bgp_snap *ofd_bgp_rib_current(const struct ofd_bgp_rib *r)
{
	return r->cur;
}
