/* RPKI VRP sets and RFC 6811 origin validation: see vrp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/lpm.h"
#include "net/vrp.h"

#define NO_PARENT UINT32_MAX
#define MAX_RUN	  0xffffffu /* entries per node: 24 bits */

struct vrp_ent {
	uint32_t asn;
	uint8_t maxlen;
};

struct vrp_node {
	uint32_t first;	 /* first entry */
	uint32_t parent; /* node index, or NO_PARENT */
	uint32_t n_len;	 /* entries (low 24 bits), prefix length (high 8) */
};

struct ofd_vrpset {
	int frozen;
	int broken;
	struct ofd_vrp *list; /* before freezing */
	size_t n, cap;
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
	int rc = ofd_lpm_new(&s->lpm);
	if (rc)
		return rc;
	s->nodes = malloc((np ? np : 1) * sizeof(*s->nodes));
	s->ents = malloc((n ? n : 1) * sizeof(*s->ents));
	size_t *nfirst = malloc((np ? np : 1) * sizeof(*nfirst)); /* node -> its first VRP in list */
	if (!s->nodes || !s->ents || !nfirst) {
		free(nfirst);
		return -ENOMEM;
	}
	uint32_t stack[130];
	int depth = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ofd_vrp *v = &s->list[i];
		s->ents[i].asn = v->asn;
		s->ents[i].maxlen = v->maxlen;
		if (k && same_prefix(&s->list[nfirst[k - 1]].prefix, &v->prefix) &&
		    (s->nodes[k - 1].n_len & MAX_RUN) < MAX_RUN) {
			s->nodes[k - 1].n_len++;
			continue;
		}
		/* a new node (or a run too long: a sibling node with the same prefix, chained) */
		while (depth > 0 && !contains(&s->list[nfirst[stack[depth - 1]]].prefix, &v->prefix))
			depth--;
		s->nodes[k].first = (uint32_t)i;
		s->nodes[k].parent = depth > 0 ? stack[depth - 1] : NO_PARENT;
		s->nodes[k].n_len = 1u | (uint32_t)v->prefix.len << 24;
		nfirst[k] = i;
		if (depth < 130)
			stack[depth++] = (uint32_t)k;
		rc = ofd_lpm_add(s->lpm, &v->prefix, (uint32_t)k);
		if (rc) {
			free(nfirst);
			return rc;
		}
		k++;
	}
	s->nnodes = k;
	s->nents = n;
	free(nfirst);
	free(s->list);
	s->list = NULL;
	s->cap = 0;
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

enum ofd_rpki ofd_vrpset_validate(const struct ofd_vrpset *s, const struct ofd_prefix *route, uint32_t origin)
{
	uint32_t idx;
	if (!s->frozen || s->broken || !ofd_lpm_lookup(s->lpm, &route->addr, &idx))
		return OFD_RPKI_NOTFOUND;
	const struct vrp_node *nodes = s->nodes;
	unsigned rlen = route->len;
	unsigned floor = rlen >= 96 && ofd_ip_is_v4mapped(&route->addr) ? 96 : 0;
	while ((nodes[idx].n_len >> 24) > rlen) {
		idx = nodes[idx].parent;
		if (idx == NO_PARENT)
			return OFD_RPKI_NOTFOUND;
	}
	if ((nodes[idx].n_len >> 24) < floor)
		return OFD_RPKI_NOTFOUND;
	if (origin == 0)
		return OFD_RPKI_INVALID;
	for (;;) {
		const struct vrp_node *nd = &nodes[idx];
		const struct vrp_ent *e = &s->ents[nd->first];
		uint32_t cnt = nd->n_len & MAX_RUN;
		for (uint32_t i = 0; i < cnt; i++)
			if (e[i].asn == origin && rlen <= e[i].maxlen)
				return OFD_RPKI_VALID;
		idx = nd->parent;
		if (idx == NO_PARENT || (nodes[idx].n_len >> 24) < floor)
			return OFD_RPKI_INVALID;
	}
}

size_t ofd_vrpset_count(const struct ofd_vrpset *s)
{
	return s->frozen ? s->nents : s->n;
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
