/*
 * A BGP RIB for flow enrichment (see bgp_rib.h): interned attribute sets, a mutable prefix map,
 * frozen lpm snapshots swapped in for one reader thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/bgp_rib_int.h"
#include "ofd/time.h"

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint32_t key_hash(const uint8_t *k, uint8_t len)
{
	uint64_t a, b;
	memcpy(&a, k, 8);
	memcpy(&b, k + 8, 8);
	return (uint32_t)mix64(a ^ mix64(b ^ ((uint64_t)len << 56)));
}

static uint32_t attrs_hash(const struct ofd_bgp_attrs *a, size_t words)
{
	const uint8_t *p = (const uint8_t *)a + HDR_CMP_OFF;
	size_t n = offsetof(struct ofd_bgp_attrs, v) - HDR_CMP_OFF;
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < words; i++)
		h = mix64(h ^ a->v[i]);
	return (uint32_t)(h ^ h >> 32);
}

static size_t attrs_words(const struct ofd_bgp_attrs *a)
{
	return (size_t)a->n_path + a->n_comms + 3u * a->n_lcomms;
}

int ofd_bgp_rib_new(struct ofd_bgp_rib **out, size_t max_paths)
{
	struct ofd_bgp_rib *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cap = 1024;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	r->ht_cap = 1024;
	r->ht = calloc(r->ht_cap, sizeof(*r->ht));
	r->scratch_cap = 1024;
	r->scratch = calloc(1, sizeof(*r->scratch) + r->scratch_cap * 4);
	if (!r->slots || !r->ht || !r->scratch) {
		ofd_bgp_rib_free(r);
		return -ENOMEM;
	}
	r->max_paths = max_paths ? max_paths : 4u << 20;
	atomic_init(&r->pending, NULL);
	atomic_init(&r->retired, NULL);
	r->dirty = 1;
	*out = r;
	return 0;
}

/* ---- attribute sets ---------------------------------------------------------------------- */

void bgp_attrs_unref(struct ofd_bgp_rib *r, struct ofd_bgp_attrs *a)
{
	if (--a->refs)
		return;
	struct ofd_bgp_attrs **pp = &r->ht[a->hash & (r->ht_cap - 1)];
	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	r->ht_n--;
	r->attr_bytes -= sizeof(*a) + attrs_words(a) * 4;
	free(a);
}

static int ht_grow(struct ofd_bgp_rib *r)
{
	size_t nc = r->ht_cap * 2;
	struct ofd_bgp_attrs **n = calloc(nc, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < r->ht_cap; i++)
		for (struct ofd_bgp_attrs *a = r->ht[i], *nx; a; a = nx) {
			nx = a->hnext;
			a->hnext = n[a->hash & (nc - 1)];
			n[a->hash & (nc - 1)] = a;
		}
	free(r->ht);
	r->ht = n;
	r->ht_cap = nc;
	return 0;
}

/* The interned set for u's attributes with next hop nh (a reference taken), or NULL (ENOMEM). */
static struct ofd_bgp_attrs *attrs_intern(struct ofd_bgp_rib *r, const struct ofd_bgp_update *u,
					  const struct ofd_ip *nh)
{
	size_t words = (size_t)u->path.n_asn + u->n_comms + 3u * u->n_lcomms;
	if (words > r->scratch_cap) {
		struct ofd_bgp_attrs *s = realloc(r->scratch, sizeof(*s) + words * 4);
		if (!s)
			return NULL;
		r->scratch = s;
		r->scratch_cap = words;
	}
	struct ofd_bgp_attrs *s = r->scratch;
	memset(s, 0, sizeof(*s));
	if (nh)
		s->next_hop = *nh;
	s->origin = OFD_BGP_HAS(u, OFD_BGP_ATTR_ORIGIN) ? u->origin : 0;
	if (OFD_BGP_HAS(u, OFD_BGP_ATTR_MED)) {
		s->flags |= OFD_BGPA_MED;
		s->med = u->med;
	}
	if (OFD_BGP_HAS(u, OFD_BGP_ATTR_LOCAL_PREF)) {
		s->flags |= OFD_BGPA_LOCAL_PREF;
		s->local_pref = u->local_pref;
	}
	uint32_t oas;
	if (ofd_bgp_origin_as(&u->path, &oas)) {
		s->flags |= OFD_BGPA_ORIGIN_AS;
		s->origin_as = oas;
	}
	s->n_path = u->path.n_asn;
	unsigned plen = 0;
	for (unsigned i = 0; i < u->path.n_seg; i++) {
		uint8_t t = u->path.seg[i].type;
		plen += t == OFD_BGP_AS_SEQUENCE ? u->path.seg[i].n : t == OFD_BGP_AS_SET ? 1 : 0;
	}
	s->path_len = (uint16_t)(plen > 0xffff ? 0xffff : plen);
	s->n_comms = u->n_comms;
	s->n_lcomms = u->n_lcomms;
	uint32_t *v = s->v;
	memcpy(v, u->path.asn, (size_t)u->path.n_asn * 4);
	v += u->path.n_asn;
	for (unsigned i = 0; i < u->n_comms; i++)
		*v++ = ofd_bgp_comm(u, i);
	for (unsigned i = 0; i < u->n_lcomms; i++, v += 3)
		ofd_bgp_lcomm(u, i, &v[0], &v[1], &v[2]);
	uint32_t h = attrs_hash(s, words);
	size_t cmp = offsetof(struct ofd_bgp_attrs, v) - HDR_CMP_OFF + words * 4;
	for (struct ofd_bgp_attrs *a = r->ht[h & (r->ht_cap - 1)]; a; a = a->hnext)
		if (a->hash == h && !memcmp((uint8_t *)a + HDR_CMP_OFF, (uint8_t *)s + HDR_CMP_OFF, cmp)) {
			a->refs++;
			return a;
		}
	if (r->ht_n >= r->ht_cap && ht_grow(r))
		return NULL;
	size_t sz = sizeof(*s) + words * 4;
	struct ofd_bgp_attrs *a = malloc(sz);
	if (!a)
		return NULL;
	memcpy(a, s, sz);
	a->hash = h;
	a->refs = 1;
	a->hnext = r->ht[h & (r->ht_cap - 1)];
	r->ht[h & (r->ht_cap - 1)] = a;
	r->ht_n++;
	r->attr_bytes += sz;
	return a;
}

/* ---- the prefix map ---------------------------------------------------------------------- */

static inline size_t home(size_t cap, uint32_t h)
{
	return (size_t)(((uint64_t)h * cap) >> 32);
}

static inline size_t next(size_t cap, size_t i)
{
	return i + 1 == cap ? 0 : i + 1;
}

static struct slot *map_find(const struct ofd_bgp_rib *r, const uint8_t *k, uint8_t len, uint32_t h)
{
	for (size_t i = home(r->cap, h);; i = next(r->cap, i)) {
		struct slot *s = &r->slots[i];
		if (!s->used)
			return NULL;
		if (s->hash == h && s->len == len && !memcmp(s->k, k, 16))
			return s;
	}
}

struct slot *bgp_map_find(const struct ofd_bgp_rib *r, const uint8_t *k, uint8_t len)
{
	return map_find(r, k, len, key_hash(k, len));
}

static int map_grow(struct ofd_bgp_rib *r)
{
	size_t nc = r->cap + r->cap / 2;
	struct slot *n = calloc(nc, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < r->cap; i++) {
		if (!r->slots[i].used)
			continue;
		size_t j = home(nc, r->slots[i].hash);
		while (n[j].used)
			j = next(nc, j);
		n[j] = r->slots[i];
	}
	free(r->slots);
	r->slots = n;
	r->cap = nc;
	return 0;
}

/* Remove slot s (empty) with backward-shift deletion. */
static void map_delete(struct ofd_bgp_rib *r, struct slot *s)
{
	size_t i = (size_t)(s - r->slots);
	free(s->more);
	for (size_t j = next(r->cap, i); r->slots[j].used; j = next(r->cap, j)) {
		size_t k = home(r->cap, r->slots[j].hash);
		/* j's entry may move to i when its home k is not cyclically in (i, j] */
		int in = i <= j ? (k > i && k <= j) : (k > i || k <= j);
		if (!in) {
			r->slots[i] = r->slots[j];
			i = j;
		}
	}
	memset(&r->slots[i], 0, sizeof(r->slots[i]));
	r->used--;
}

static void path_remove(struct ofd_bgp_rib *r, struct slot *s, unsigned i)
{
	bgp_attrs_unref(r, path_at(s, i)->a);
	*path_at(s, i) = *path_at(s, s->n - 1u);
	s->n--;
	if (s->more)
		s->more->n = (uint16_t)(s->n ? s->n - 1 : 0);
	r->paths--;
	r->dirty = 1;
	if (!s->n)
		map_delete(r, s);
}

static int announce(struct ofd_bgp_rib *r, const struct ofd_prefix *p, uint32_t pid, struct ofd_bgp_attrs *a)
{
	uint32_t h = key_hash(p->addr.b, p->len);
	struct slot *s = map_find(r, p->addr.b, p->len, h);
	if (s) {
		for (unsigned i = 0; i < s->n; i++) {
			struct rpath *rp = path_at(s, i);
			if (rp->pid != pid)
				continue;
			if (rp->a != a || rp->stale)
				r->dirty = 1;
			bgp_attrs_unref(r, rp->a);
			rp->a = a;
			rp->stale = 0;
			return 1;
		}
	}
	if (r->paths >= r->max_paths) {
		r->st.refused_cap++;
		bgp_attrs_unref(r, a);
		return 0;
	}
	if (!s) {
		if ((r->used + 1) * 5 > r->cap * 4) {
			if (map_grow(r)) {
				bgp_attrs_unref(r, a);
				return -ENOMEM;
			}
		}
		size_t i = home(r->cap, h);
		while (r->slots[i].used)
			i = next(r->cap, i);
		s = &r->slots[i];
		memcpy(s->k, p->addr.b, 16);
		s->len = p->len;
		s->used = 1;
		s->hash = h;
		s->p0 = (struct rpath){a, pid, 0};
		s->n = 1;
		r->used++;
	} else {
		if (s->n == 0xffff) {
			r->st.refused_cap++;
			bgp_attrs_unref(r, a);
			return 0;
		}
		unsigned need = s->n; /* entries in more after adding */
		if (!s->more || s->more->cap < need) {
			unsigned nc = s->more ? s->more->cap * 2u : 2u;
			if (nc > 0xffff)
				nc = 0xffff;
			struct more *mo = realloc(s->more, sizeof(*mo) + nc * sizeof(struct rpath));
			if (!mo) {
				bgp_attrs_unref(r, a);
				return -ENOMEM;
			}
			mo->cap = (uint16_t)nc;
			s->more = mo;
		}
		s->more->v[need - 1] = (struct rpath){a, pid, 0};
		s->n++;
		s->more->n = (uint16_t)(s->n - 1);
	}
	r->paths++;
	r->dirty = 1;
	return 1;
}

int ofd_bgp_rib_withdraw(struct ofd_bgp_rib *r, const struct ofd_prefix *p, uint32_t path_id)
{
	struct slot *s = map_find(r, p->addr.b, p->len, key_hash(p->addr.b, p->len));
	if (!s)
		return 0;
	for (unsigned i = 0; i < s->n; i++)
		if (path_at(s, i)->pid == path_id) {
			path_remove(r, s, i);
			r->st.withdrawn++;
			return 1;
		}
	return 0;
}

int ofd_bgp_rib_announce(struct ofd_bgp_rib *r, const struct ofd_prefix *p, uint32_t path_id,
			 const struct ofd_bgp_update *u)
{
	const struct ofd_ip *nh = NULL;
	struct ofd_ip v4;
	if (ofd_ip_is_v4mapped(&p->addr) && OFD_BGP_HAS(u, OFD_BGP_ATTR_NEXT_HOP)) {
		memset(&v4, 0, sizeof(v4));
		v4.family = OFD_AF_INET;
		v4.b[10] = v4.b[11] = 0xff;
		v4.b[12] = (uint8_t)(u->next_hop >> 24);
		v4.b[13] = (uint8_t)(u->next_hop >> 16);
		v4.b[14] = (uint8_t)(u->next_hop >> 8);
		v4.b[15] = (uint8_t)u->next_hop;
		nh = &v4;
	} else if (u->mp_nh.family) {
		nh = &u->mp_nh;
	}
	struct ofd_bgp_attrs *a = attrs_intern(r, u, nh);
	if (!a)
		return -ENOMEM;
	int rc = announce(r, p, path_id, a);
	if (rc > 0)
		r->st.announced++;
	return rc;
}

/* tag/mask: the path ids as stored (id & mask | tag; see ofd_bgp_rib_apply_src) */
static int walk(struct ofd_bgp_rib *r, const struct ofd_bgp_nlri *b, const struct ofd_bgp_update *u,
		int withdraw, uint32_t tag, uint32_t mask)
{
	if (!b->p || b->safi != OFD_BGP_SAFI_UNICAST)
		return 0;
	struct ofd_bgp_nlri_it it;
	struct ofd_prefix p;
	uint32_t pid;
	int changed = 0;
	ofd_bgp_nlri_begin(&it, b);
	while (ofd_bgp_nlri_next(&it, &p, &pid) == 1) {
		pid = (pid & mask) | tag;
		int rc = withdraw ? ofd_bgp_rib_withdraw(r, &p, pid) : ofd_bgp_rib_announce(r, &p, pid, u);
		if (rc < 0)
			return rc;
		changed += rc;
	}
	return changed;
}

static int apply(struct ofd_bgp_rib *r, const struct ofd_bgp_update *u, uint32_t tag, uint32_t mask)
{
	if (u->outcome == OFD_BGP_SESSION_RESET)
		return 0;
	int tw = u->outcome == OFD_BGP_TREAT_AS_WITHDRAW, n = 0, rc;
	if ((rc = walk(r, &u->withdrawn, u, 1, tag, mask)) < 0)
		return rc;
	n += rc;
	if ((rc = walk(r, &u->mp_unreach, u, 1, tag, mask)) < 0)
		return rc;
	n += rc;
	if ((rc = walk(r, &u->nlri, u, tw, tag, mask)) < 0)
		return rc;
	n += rc;
	if ((rc = walk(r, &u->mp_reach, u, tw, tag, mask)) < 0)
		return rc;
	return n + rc;
}

int ofd_bgp_rib_apply(struct ofd_bgp_rib *r, const struct ofd_bgp_update *u)
{
	return apply(r, u, 0, UINT32_MAX);
}

int ofd_bgp_rib_apply_src(struct ofd_bgp_rib *r, const struct ofd_bgp_update *u, uint32_t src)
{
	return apply(r, u, src << OFD_BGP_RIB_SRC_SHIFT, (1u << OFD_BGP_RIB_SRC_SHIFT) - 1);
}

static size_t mark_stale(struct ofd_bgp_rib *r, uint32_t src)
{
	size_t n = 0;
	for (size_t i = 0; i < r->cap; i++) {
		struct slot *s = &r->slots[i];
		for (unsigned j = 0; s->used && j < s->n; j++) {
			struct rpath *p = path_at(s, j);
			if (src == OFD_BGP_RIB_SRC_ANY || p->pid >> OFD_BGP_RIB_SRC_SHIFT == src) {
				p->stale = 1;
				n++;
			}
		}
	}
	if (n)
		r->dirty = 1;
	return n;
}

size_t ofd_bgp_rib_mark_stale(struct ofd_bgp_rib *r)
{
	return mark_stale(r, OFD_BGP_RIB_SRC_ANY);
}

size_t ofd_bgp_rib_mark_stale_src(struct ofd_bgp_rib *r, uint32_t src)
{
	return mark_stale(r, src);
}

/* Remove every path for which drop(path) holds. */
static size_t remove_if(struct ofd_bgp_rib *r, int (*drop)(const struct rpath *, uint32_t), uint32_t arg)
{
	size_t n = 0;
	for (size_t i = 0; i < r->cap;) {
		struct slot *s = &r->slots[i];
		int again = 0;
		for (unsigned j = 0; s->used && j < s->n;) {
			if (!drop(path_at(s, j), arg)) {
				j++;
				continue;
			}
			int last = s->n == 1;
			path_remove(r, s, j);
			n++;
			if (last) { /* the slot was deleted: another entry may have shifted into it */
				again = 1;
				break;
			}
		}
		if (!again)
			i++;
	}
	return n;
}

static int is_stale(const struct rpath *p, uint32_t arg)
{
	(void)arg;
	return p->stale;
}

static int of_src(const struct rpath *p, uint32_t src)
{
	uint32_t f = p->pid >> OFD_BGP_RIB_SRC_SHIFT;
	return src == OFD_BGP_RIB_SRC_ANY ? f != 0 : f == src; /* ANY: the BMP feeds' */
}

size_t ofd_bgp_rib_sweep_stale(struct ofd_bgp_rib *r)
{
	size_t n = remove_if(r, is_stale, 0);
	r->st.stale_swept += n;
	return n;
}

size_t ofd_bgp_rib_remove_src(struct ofd_bgp_rib *r, uint32_t src)
{
	size_t n = remove_if(r, of_src, src);
	r->st.withdrawn += n;
	return n;
}

void ofd_bgp_rib_clear(struct ofd_bgp_rib *r)
{
	for (size_t i = 0; i < r->cap; i++) {
		struct slot *s = &r->slots[i];
		for (unsigned j = 0; s->used && j < s->n; j++)
			bgp_attrs_unref(r, path_at(s, j)->a);
		free(s->more);
	}
	memset(r->slots, 0, r->cap * sizeof(*r->slots));
	if (r->used)
		r->dirty = 1;
	r->used = r->paths = 0;
}

int ofd_bgp_rib_dirty(const struct ofd_bgp_rib *r)
{
	return r->dirty;
}

uint64_t ofd_bgp_rib_paths(const struct ofd_bgp_rib *r, uint64_t *sets)
{
	if (sets)
		*sets = r->ht_n;
	return r->paths;
}

uint64_t ofd_bgp_rib_refused(const struct ofd_bgp_rib *r)
{
	return r->st.refused_cap;
}

void ofd_bgp_rib_stats(const struct ofd_bgp_rib *r, struct ofd_bgp_rib_stats *st)
{
	*st = r->st;
	st->prefixes = r->used;
	st->paths = r->paths;
	st->attr_sets = r->ht_n;
	st->map_bytes = r->cap * sizeof(struct slot);
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].more)
			st->map_bytes += sizeof(struct more) + r->slots[i].more->cap * sizeof(struct rpath);
	st->attr_bytes = r->attr_bytes + r->ht_cap * sizeof(*r->ht);
	st->snap_bytes = r->snap_bytes;
}

void ofd_bgp_rib_free(struct ofd_bgp_rib *r)
{
	if (!r)
		return;
	if (r->slots) {
		bgp_snap_free(r, r->cur);
		bgp_snap_free(r, atomic_exchange(&r->pending, NULL));
		ofd_bgp_rib_reap(r);
		ofd_bgp_rib_clear(r);
	}
	/* every set is unreferenced now; free leftovers anyway (a failed new) */
	for (size_t i = 0; r->ht && i < r->ht_cap; i++)
		for (struct ofd_bgp_attrs *a = r->ht[i], *n; a; a = n) {
			n = a->hnext;
			free(a);
		}
	free(r->ht);
	free(r->slots);
	free(r->scratch);
	free(r);
}
