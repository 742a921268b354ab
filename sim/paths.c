#include "paths.h"

#include <stdlib.h>
#include <string.h>

#include "net/mrt.h"
#include "ofd/err.h"
#include "util/fileio.h"

#define RIB_MAX ((size_t)4 << 30) /* the largest RIB file read (a full table is ~100 MB) */

/* ASN -> index, open addressing */
struct asmap {
	uint32_t *key, *val;
	uint32_t cap, n;
};

static int map_grow(struct asmap *m);

static uint32_t map_get(struct asmap *m, uint32_t asn, struct sim_paths *p)
{
	uint32_t h = (asn * 2654435761u) & (m->cap - 1);
	while (m->val[h] != UINT32_MAX) {
		if (m->key[h] == asn)
			return m->val[h];
		h = (h + 1) & (m->cap - 1);
	}
	m->key[h] = asn;
	m->val[h] = p->nas;
	m->n++;
	return p->nas++;
}

static int map_grow(struct asmap *m)
{
	uint32_t ncap = m->cap ? m->cap * 2 : 1024;
	uint32_t *k = malloc(ncap * sizeof(*k)), *v = malloc(ncap * sizeof(*v));
	if (!k || !v) {
		free(k), free(v);
		return -ENOMEM;
	}
	memset(v, 0xff, ncap * sizeof(*v));
	for (uint32_t i = 0; i < m->cap; i++) {
		if (m->val[i] == UINT32_MAX)
			continue;
		uint32_t h = (m->key[i] * 2654435761u) & (ncap - 1);
		while (v[h] != UINT32_MAX)
			h = (h + 1) & (ncap - 1);
		k[h] = m->key[i], v[h] = m->val[i];
	}
	free(m->key), free(m->val);
	m->key = k, m->val = v, m->cap = ncap;
	return 0;
}

struct build {
	struct sim_paths *p;
	struct asmap map;
	size_t ncap, acap, nidx;
	uint32_t *asn_tab;
	size_t asn_cap;
	int err;
};

static int add_route(struct build *b, const uint32_t *path, unsigned len)
{
	struct sim_paths *p = b->p;
	uint32_t tmp[SIM_PATH_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < len && n < SIM_PATH_MAX; i++)
		if (!n || tmp[n - 1] != path[i]) /* prepending collapsed */
			tmp[n++] = path[i];
	if (n < 1)
		return 0;
	if (p->nroutes + 2 > b->ncap) {
		size_t nc = b->ncap ? b->ncap * 2 : 4096;
		uint32_t *o = realloc(p->off, nc * sizeof(*o));
		if (!o)
			return -ENOMEM;
		p->off = o, b->ncap = nc;
	}
	if (b->nidx + n > b->acap) {
		size_t nc = b->acap ? b->acap * 2 : 16384;
		uint32_t *a = realloc(p->as_idx, nc * sizeof(*a));
		if (!a)
			return -ENOMEM;
		p->as_idx = a, b->acap = nc;
	}
	if (!p->nroutes)
		p->off[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		if ((b->map.n + 1) * 2 > b->map.cap && map_grow(&b->map))
			return -ENOMEM;
		uint32_t before = p->nas;
		uint32_t idx = map_get(&b->map, tmp[i], p);
		if (p->nas != before) {
			if (p->nas > b->asn_cap) {
				size_t nc = b->asn_cap ? b->asn_cap * 2 : 4096;
				uint32_t *t = realloc(b->asn_tab, nc * sizeof(*t));
				if (!t)
					return -ENOMEM;
				b->asn_tab = t, b->asn_cap = nc;
			}
			b->asn_tab[idx] = tmp[i];
		}
		p->as_idx[b->nidx++] = idx;
	}
	p->off[++p->nroutes] = (uint32_t)b->nidx;
	return 0;
}

static int one(void *ctx, const struct ofd_mrt_route *r)
{
	struct build *b = ctx;
	/* routes cut at OFD_MRT_PATH_MAX are left out: their origin is not on the path */
	if (r->path_cut || !r->path_len)
		return 0;
	return add_route(b, r->path, r->path_len);
}

static int finish(struct build *b)
{
	struct sim_paths *p = b->p;
	free(b->map.key), free(b->map.val);
	p->asn = b->asn_tab;
	if (!p->nroutes || !p->nas)
		return OFD_EFORMAT;
	p->rank = calloc(p->nas, sizeof(*p->rank));
	p->transit = calloc(p->nas, sizeof(*p->transit));
	if (!p->rank || !p->transit)
		return -ENOMEM;
	sim_paths_rank(p, 50000, 1);
	return 0;
}

int sim_paths_load(struct sim_paths *p, const char *file, const char **why)
{
	memset(p, 0, sizeof(*p));
	char *buf = NULL;
	size_t len = 0;
	int rc = ofd_read_file(file, RIB_MAX, &buf, &len);
	if (rc < 0) {
		*why = "cannot read the file";
		return rc;
	}
	struct build b = {.p = p};
	struct ofd_mrt_stats st;
	rc = ofd_mrt_walk((const uint8_t *)buf, len, one, &b, &st);
	free(buf);
	p->peers = st.peers;
	if (rc < 0) {
		*why = st.error ? st.error : "out of memory";
		free(b.map.key), free(b.map.val);
		p->asn = b.asn_tab;
		return rc;
	}
	rc = finish(&b);
	if (rc < 0)
		*why = rc == OFD_EFORMAT ? "no AS paths in the file" : "out of memory";
	return rc;
}

int sim_paths_from(struct sim_paths *p, unsigned n, const uint32_t *const *asns, const unsigned *len)
{
	memset(p, 0, sizeof(*p));
	struct build b = {.p = p};
	for (unsigned i = 0; i < n; i++) {
		int rc = add_route(&b, asns[i], len[i]);
		if (rc < 0) {
			free(b.map.key), free(b.map.val);
			p->asn = b.asn_tab;
			return rc;
		}
	}
	return finish(&b);
}

void sim_paths_free(struct sim_paths *p)
{
	free(p->off), free(p->as_idx), free(p->asn), free(p->rank), free(p->transit);
	memset(p, 0, sizeof(*p));
}

unsigned sim_paths_join(const struct sim_paths *p, uint32_t a, uint32_t v, uint32_t *out)
{
	const uint32_t *pa = p->as_idx + p->off[a], *pv = p->as_idx + p->off[v];
	unsigned la = p->off[a + 1] - p->off[a], lv = p->off[v + 1] - p->off[v];
	if (pa[la - 1] == pv[lv - 1])
		return 0;
	/* the deepest AS both routes share (the routes part after it); none: they meet at the
	 * collector, which is not on the path */
	unsigned c = 0;
	while (c < la && c < lv && pa[c] == pv[c])
		c++;
	unsigned n = 0;
	for (unsigned i = la; i-- > (c ? c - 1 : 0);)
		out[n++] = pa[i];
	for (unsigned i = c; i < lv; i++)
		out[n++] = pv[i];
	/* refuse loops (an AS twice) */
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (out[i] == out[j])
				return 0;
	return n;
}

unsigned sim_paths_pick(const struct sim_paths *p, struct sim_rng *g, uint32_t *out)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t a = sim_below(g, p->nroutes), v = sim_below(g, p->nroutes);
		unsigned n = sim_paths_join(p, a, v, out);
		if (n >= 2)
			return n;
	}
	return 0;
}

static const uint64_t *rank_key;
static int by_transit(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	if (rank_key[a] != rank_key[b])
		return rank_key[a] > rank_key[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

void sim_paths_rank(struct sim_paths *p, unsigned samples, uint64_t seed)
{
	struct sim_rng g;
	sim_rng_seed(&g, seed);
	uint32_t path[2 * SIM_PATH_MAX];
	memset(p->transit, 0, p->nas * sizeof(*p->transit));
	for (unsigned s = 0; s < samples; s++) {
		unsigned n = sim_paths_pick(p, &g, path);
		for (unsigned i = 1; i + 1 < n; i++)
			p->transit[path[i]]++;
	}
	uint32_t *order = malloc(p->nas * sizeof(*order));
	if (!order) {
		for (uint32_t i = 0; i < p->nas; i++)
			p->rank[i] = i;
		return;
	}
	for (uint32_t i = 0; i < p->nas; i++)
		order[i] = i;
	rank_key = p->transit;
	qsort(order, p->nas, sizeof(*order), by_transit);
	for (uint32_t i = 0; i < p->nas; i++)
		p->rank[order[i]] = i;
	free(order);
}
