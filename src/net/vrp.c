/* RPKI VRP sets and RFC 6811 origin validation: see vrp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/lpm.h"
#include "net/vrp.h"

#define NO_PARENT UINT32_MAX
#define MAX_EXTRA 0xffffu /* entries after the inline one, per node */
#define BATCH	  256

struct vrp_ent {
	uint32_t asn;
	uint8_t maxlen;
};

/* A distinct VRP prefix: its first (maxlen, asn) inline, the others in ents[first..+nextra). */
struct vrp_node {
	uint32_t parent; /* node index, or NO_PARENT */
	uint32_t asn0;
	uint32_t first;
	uint8_t len;
	uint8_t maxlen0;
	uint16_t nextra;
};

struct ofd_vrpset {
	int frozen;
	int broken;
	struct ofd_vrp *list; /* before freezing */
	size_t n, cap;
	size_t count;	     /* distinct VRPs, once frozen */
	struct ofd_lpm *lpm; /* prefix -> node index */
	struct vrp_node *nodes;
	size_t nnodes;
	struct vrp_ent *ents;
	size_t nents;
};

int ofd_vrp_make(struct ofd_vrp *v, const struct ofd_prefix *p, unsigned maxlength, uint32_t asn)
{
	if (ofd_prefix_check(p) != 0)
		return OFD_EFORMAT;
	unsigned len = p->len, top = 128, base = 0;
	if (p->addr.family == OFD_AF_INET) {
		top = 32;
		base = 96;
	} else if (len >= 96 && ofd_ip_is_v4mapped(&p->addr)) {
		return OFD_EFORMAT; /* an IPv6 VRP inside ::ffff:0:0/96 */
	}
	if (maxlength > top || maxlength + base < len)
		return OFD_EFORMAT;
	v->prefix = *p;
	v->maxlen = (uint8_t)(maxlength + base);
	v->asn = asn;
	return 0;
}

int ofd_vrpset_new(struct ofd_vrpset **out)
{
	struct ofd_vrpset *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

int ofd_vrpset_add(struct ofd_vrpset *s, const struct ofd_vrp *v)
{
	if (s->frozen)
		return -EBUSY;
	if (ofd_prefix_check(&v->prefix) != 0 || v->maxlen < v->prefix.len || v->maxlen > 128)
		return OFD_EFORMAT;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct ofd_vrp *nl = realloc(s->list, nc * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		s->list = nl;
		s->cap = nc;
	}
	struct ofd_vrp *d = &s->list[s->n++];
	memset(d, 0, sizeof(*d));
	d->prefix.len = v->prefix.len;
	memcpy(d->prefix.addr.b, v->prefix.addr.b, 16);
	d->prefix.addr.family = ofd_vrp_is_v4(&v->prefix) ? OFD_AF_INET : OFD_AF_INET6;
	d->maxlen = v->maxlen;
	d->asn = v->asn;
	return 0;
}

static int cmp_vrp(const void *pa, const void *pb)
{
	const struct ofd_vrp *a = pa, *b = pb;
	int c = memcmp(a->prefix.addr.b, b->prefix.addr.b, 16);
	if (c)
		return c;
	if (a->prefix.len != b->prefix.len)
		return a->prefix.len < b->prefix.len ? -1 : 1;
	if (a->maxlen != b->maxlen)
		return a->maxlen < b->maxlen ? -1 : 1;
	if (a->asn != b->asn)
		return a->asn < b->asn ? -1 : 1;
	return 0;
}

static int same_prefix(const struct ofd_prefix *a, const struct ofd_prefix *b)
{
	return a->len == b->len && memcmp(a->addr.b, b->addr.b, 16) == 0;
}

/* Does a contain b? */
static int contains(const struct ofd_prefix *a, const struct ofd_prefix *b)
{
	return a->len <= b->len && ofd_prefix_match(a, &b->addr);
}

static int do_freeze(struct ofd_vrpset *s)
{
	if (s->n)
		qsort(s->list, s->n, sizeof(*s->list), cmp_vrp);
	/* merge duplicates, count prefixes */
	size_t n = 0, np = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (n && cmp_vrp(&s->list[n - 1], &s->list[i]) == 0)
			continue;
		if (!n || !same_prefix(&s->list[n - 1].prefix, &s->list[i].prefix))
			np++;
		s->list[n++] = s->list[i];
	}
	s->n = n;
	s->count = n;
	int rc = ofd_lpm_new(&s->lpm);
	if (rc)
		return rc;
	/* at most n nodes (a run over MAX_EXTRA + 1 makes more than one node per prefix) */
	s->nodes = malloc((n ? n : 1) * sizeof(*s->nodes));
	s->ents = malloc((n - np + 1) * sizeof(*s->ents));
	size_t *nfirst = malloc((n ? n : 1) * sizeof(*nfirst)); /* node -> its first VRP in list */
	if (!s->nodes || !s->ents || !nfirst) {
		free(nfirst);
		return -ENOMEM;
	}
	uint32_t stack[132];
	int depth = 0;
	size_t k = 0, ne = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ofd_vrp *v = &s->list[i];
		if (k && same_prefix(&s->list[nfirst[k - 1]].prefix, &v->prefix) &&
		    s->nodes[k - 1].nextra < MAX_EXTRA && ne < n - np + 1) {
			s->ents[ne].asn = v->asn;
			s->ents[ne].maxlen = v->maxlen;
			ne++;
			s->nodes[k - 1].nextra++;
			continue;
		}
		/* a new node (or a run too long: a node with the same prefix again, its child) */
		while (depth > 0 && !contains(&s->list[nfirst[stack[depth - 1]]].prefix, &v->prefix))
			depth--;
		struct vrp_node *nd = &s->nodes[k];
		nd->parent = depth > 0 ? stack[depth - 1] : NO_PARENT;
		nd->asn0 = v->asn;
		nd->maxlen0 = v->maxlen;
		nd->len = v->prefix.len;
		nd->first = (uint32_t)ne;
		nd->nextra = 0;
		nfirst[k] = i;
		if (depth < 132)
			stack[depth++] = (uint32_t)k;
		rc = ofd_lpm_add(s->lpm, &v->prefix, (uint32_t)k);
		if (rc) {
			free(nfirst);
			return rc;
		}
		k++;
	}
	s->nnodes = k;
	s->nents = ne;
	free(nfirst);
	free(s->list);
	s->list = NULL;
	s->cap = 0;
	s->n = 0;
	struct vrp_node *shrunk = realloc(s->nodes, (k ? k : 1) * sizeof(*s->nodes));
	if (shrunk)
		s->nodes = shrunk;
	return ofd_lpm_freeze(s->lpm);
}

int ofd_vrpset_freeze(struct ofd_vrpset *s)
{
	if (s->frozen)
		return -EBUSY;
	s->frozen = 1;
	int rc = do_freeze(s);
	if (rc) {
		s->broken = 1;
		return rc;
	}
	return 0;
}

/* The state of route/origin given idx, the node of the longest VRP prefix containing its address. */
static enum ofd_rpki resolve(const struct ofd_vrpset *s, uint32_t idx, const struct ofd_prefix *route,
			     uint32_t origin)
{
	const struct vrp_node *nodes = s->nodes;
	unsigned rlen = route->len;
	unsigned floor = rlen >= 96 && ofd_ip_is_v4mapped(&route->addr) ? 96 : 0;
	while (nodes[idx].len > rlen) {
		idx = nodes[idx].parent;
		if (idx == NO_PARENT)
			return OFD_RPKI_NOTFOUND;
	}
	if (nodes[idx].len < floor)
		return OFD_RPKI_NOTFOUND;
	if (origin == 0)
		return OFD_RPKI_INVALID;
	for (;;) {
		const struct vrp_node *nd = &nodes[idx];
		if (nd->asn0 == origin && rlen <= nd->maxlen0)
			return OFD_RPKI_VALID;
		const struct vrp_ent *e = &s->ents[nd->first];
		for (unsigned i = 0; i < nd->nextra; i++)
			if (e[i].asn == origin && rlen <= e[i].maxlen)
				return OFD_RPKI_VALID;
		idx = nd->parent;
		if (idx == NO_PARENT || nodes[idx].len < floor)
			return OFD_RPKI_INVALID;
	}
}

enum ofd_rpki ofd_vrpset_validate(const struct ofd_vrpset *s, const struct ofd_prefix *route, uint32_t origin)
{
	uint32_t idx;
	if (!s->frozen || s->broken || !ofd_lpm_lookup(s->lpm, &route->addr, &idx))
		return OFD_RPKI_NOTFOUND;
	return resolve(s, idx, route, origin);
}

void ofd_vrpset_validate_batch(const struct ofd_vrpset *s, const struct ofd_prefix *const *routes,
			       const uint32_t *origins, size_t n, uint8_t *out)
{
	const struct ofd_ip *ips[BATCH];
	uint32_t idx[BATCH];
	if (!s->frozen || s->broken) {
		memset(out, OFD_RPKI_NOTFOUND, n);
		return;
	}
	for (size_t base = 0; base < n; base += BATCH) {
		size_t k = n - base < BATCH ? n - base : BATCH;
		for (size_t i = 0; i < k; i++)
			ips[i] = &routes[base + i]->addr;
		(void)ofd_lpm_lookup_batch(s->lpm, ips, k, idx, NO_PARENT);
		for (size_t i = 0; i < k; i++)
			if (idx[i] != NO_PARENT)
				__builtin_prefetch(&s->nodes[idx[i]]);
		for (size_t i = 0; i < k; i++)
			out[base + i] = (uint8_t)(idx[i] == NO_PARENT ? OFD_RPKI_NOTFOUND
								      : resolve(s, idx[i], routes[base + i],
										origins[base + i]));
	}
}

size_t ofd_vrpset_count(const struct ofd_vrpset *s)
{
	return s->frozen ? s->count : s->n;
}

size_t ofd_vrpset_memory(const struct ofd_vrpset *s)
{
	if (!s->frozen)
		return s->cap * sizeof(*s->list);
	return (s->lpm ? ofd_lpm_memory(s->lpm) : 0) + s->nnodes * sizeof(*s->nodes) +
	       s->nents * sizeof(*s->ents);
}

void ofd_vrpset_free(struct ofd_vrpset *s)
{
	if (!s)
		return;
	free(s->list);
	ofd_lpm_free(s->lpm);
	free(s->nodes);
	free(s->ents);
	free(s);
}
