/* A hash set of VRPs: see vrp_table.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/vrp_table.h"

static uint64_t hash(const struct ofd_vrp_key *k)
{
	uint64_t a, b;
	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	uint64_t c = (uint64_t)k->len | (uint64_t)k->maxlen << 8 | (uint64_t)k->asn << 16;
	uint64_t h = a * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 29) ^ b) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 31) ^ c) * 0x94d049bb133111ebull;
	return h ^ (h >> 32);
}

static int same(const struct ofd_vrp_key *a, const struct ofd_vrp_key *b)
{
	return a->len == b->len && a->maxlen == b->maxlen && a->asn == b->asn &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static size_t find(const struct ofd_vrp_table *t, const struct ofd_vrp_key *k, int *found)
{
	size_t i = hash(k) & t->mask;
	while (t->slot[i].used) {
		if (same(&t->slot[i], k)) {
			*found = 1;
			return i;
		}
		i = (i + 1) & t->mask;
	}
	*found = 0;
	return i;
}

int ofd_vrp_table_has(const struct ofd_vrp_table *t, const struct ofd_vrp_key *k)
{
	int f = 0;
	if (t->slot)
		(void)find(t, k, &f);
	return f;
}

static int grow(struct ofd_vrp_table *t)
{
	size_t nslots = t->slot ? (t->mask + 1) * 2 : 64;
	struct ofd_vrp_key *ns = calloc(nslots, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	struct ofd_vrp_table nt = {ns, nslots - 1, t->n};
	for (size_t i = 0; t->slot && i <= t->mask; i++) {
		if (!t->slot[i].used)
			continue;
		int f;
		size_t j = find(&nt, &t->slot[i], &f);
		nt.slot[j] = t->slot[i];
	}
	free(t->slot);
	*t = nt;
	return 0;
}

int ofd_vrp_table_add(struct ofd_vrp_table *t, const struct ofd_vrp_key *k)
{
	if (!t->slot || (t->n + 1) * 2 > t->mask + 1) {
		int rc = grow(t);
		if (rc)
			return rc;
	}
	int f;
	size_t i = find(t, k, &f);
	if (f)
		return 1;
	t->slot[i] = *k;
	t->slot[i].used = 1;
	t->slot[i].pad = 0;
	t->n++;
	return 0;
}

int ofd_vrp_table_del(struct ofd_vrp_table *t, const struct ofd_vrp_key *k)
{
	int f = 0;
	size_t i = t->slot ? find(t, k, &f) : 0;
	if (!f)
		return 1;
	/* backward shift: move later members of the cluster into the hole when allowed */
	size_t j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slot[j].used)
			break;
		size_t home = hash(&t->slot[j]) & t->mask;
		/* can slot j move to i? only if home is not cyclically in (i, j] */
		int in = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!in) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	memset(&t->slot[i], 0, sizeof(t->slot[i]));
	t->n--;
	return 0;
}

void ofd_vrp_table_clear(struct ofd_vrp_table *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

int ofd_vrp_table_copy(struct ofd_vrp_table *dst, const struct ofd_vrp_table *src)
{
	ofd_vrp_table_clear(dst);
	if (!src->slot)
		return 0;
	dst->slot = malloc((src->mask + 1) * sizeof(*dst->slot));
	if (!dst->slot)
		return -ENOMEM;
	memcpy(dst->slot, src->slot, (src->mask + 1) * sizeof(*dst->slot));
	dst->mask = src->mask;
	dst->n = src->n;
	return 0;
}

void ofd_vrp_key_to_vrp(const struct ofd_vrp_key *k, struct ofd_vrp *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->prefix.addr.b, k->addr, 16);
	v->prefix.len = k->len;
	v->prefix.addr.family =
	    k->len >= 96 && ofd_ip_is_v4mapped(&v->prefix.addr) ? OFD_AF_INET : OFD_AF_INET6;
	v->maxlen = k->maxlen;
	v->asn = k->asn;
}

int ofd_vrp_table_freeze(const struct ofd_vrp_table *t, struct ofd_vrpset **out)
{
	struct ofd_vrpset *s;
	int rc = ofd_vrpset_new(&s);
	if (rc)
		return rc;
	for (size_t i = 0; t->slot && i <= t->mask && rc == 0; i++) {
		if (!t->slot[i].used)
			continue;
		struct ofd_vrp v;
		ofd_vrp_key_to_vrp(&t->slot[i], &v);
		rc = ofd_vrpset_add(s, &v);
		if (rc == OFD_EFORMAT)
			rc = 0; /* never: keys are checked before they go in */
	}
	if (rc == 0)
		rc = ofd_vrpset_freeze(s);
	if (rc) {
		ofd_vrpset_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
