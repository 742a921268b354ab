#include "core/metric_table.h"

#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mt_sink_put(struct ofd_metric_sink *s, const struct ofd_metric *m, const char *const *values,
			uint64_t v)
{
	ofd_mt_put((struct ofd_metric_table *)s, s->segment, m, values, v);
}

void ofd_mt_init(struct ofd_metric_table *t)
{
	memset(t, 0, sizeof(*t));
	t->sink.put = mt_sink_put;
	t->sink.segment = "";
}

void ofd_mt_fini(struct ofd_metric_table *t)
{
	free(t->v);
	free(t->index);
	free(t->fam);
	free(t->fam_n);
	ofd_mt_init(t);
}

void ofd_mt_clear(struct ofd_metric_table *t)
{
	t->n = 0;
	t->nfam = 0;
	t->refused = 0;
	t->sorted = 0;
	if (t->index)
		memset(t->index, 0, t->icap * sizeof(*t->index));
}

unsigned ofd_mt_nlabels(const struct ofd_metric *m)
{
	unsigned n = 0;
	while (n < OFD_METRIC_LABELS_MAX && m->labels[n])
		n++;
	return n;
}

/* src into dst[0..n), cut on a UTF-8 character boundary when it does not fit. */
static void mt_copy(char *dst, size_t n, const char *src)
{
	size_t len = ofd_utf8_cut(src, strlen(src), n - 1);
	memcpy(dst, src, len);
	dst[len] = 0;
}

/* FNV-1a over a string and its terminator, continuing h. */
static uint64_t mt_hash(uint64_t h, const char *s)
{
	do {
		h ^= (uint8_t)*s;
		h *= UINT64_C(0x100000001b3);
	} while (*s++);
	return h;
}

static int mt_same(const struct ofd_mt_series *a, const struct ofd_mt_series *b)
{
	if (a->hash != b->hash || strcmp(a->m->name, b->m->name) != 0 || strcmp(a->segment, b->segment) != 0)
		return 0;
	for (unsigned i = 0; i < OFD_METRIC_LABELS_MAX; i++)
		if (strcmp(a->values[i], b->values[i]) != 0)
			return 0;
	return 1;
}

/* Grow the index to twice the series' room and place every series again. */
static int mt_reindex(struct ofd_metric_table *t, size_t icap)
{
	uint32_t *ix = calloc(icap, sizeof(*ix));
	if (!ix)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = (size_t)t->v[i].hash & (icap - 1);
		while (ix[k])
			k = (k + 1) & (icap - 1);
		ix[k] = (uint32_t)(i + 1);
	}
	free(t->index);
	t->index = ix;
	t->icap = icap;
	return 0;
}

static int mt_family(struct ofd_metric_table *t, const struct ofd_metric *m, unsigned *fam)
{
	for (size_t i = 0; i < t->nfam; i++) {
		if (t->fam[i] == m || strcmp(t->fam[i]->name, m->name) == 0) {
			*fam = (unsigned)i;
			return 0;
		}
	}
	if (t->nfam == t->famcap) {
		size_t cap = t->famcap ? 2 * t->famcap : 16;
		const struct ofd_metric **f = realloc(t->fam, cap * sizeof(*f));
		if (!f)
			return -1;
		t->fam = f;
		size_t *fn = realloc(t->fam_n, cap * sizeof(*fn));
		if (!fn)
			return -1;
		t->fam_n = fn;
		t->famcap = cap;
	}
	t->fam[t->nfam] = m;
	t->fam_n[t->nfam] = 0;
	*fam = (unsigned)t->nfam++;
	return 0;
}

/* Room for one more series and its index slot. */
static int mt_room(struct ofd_metric_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct ofd_mt_series *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	if (2 * (t->n + 1) > t->icap)
		return mt_reindex(t, t->icap ? 2 * t->icap : 128);
	return 0;
}

void ofd_mt_put(struct ofd_metric_table *t, const char *segment, const struct ofd_metric *m,
		const char *const *values, uint64_t v)
{
	struct ofd_mt_series key = {.m = m};
	unsigned nl = ofd_mt_nlabels(m);
	if (!(m->flags & OFD_METRIC_GLOBAL) && segment)
		mt_copy(key.segment, sizeof(key.segment), segment);
	uint64_t h = mt_hash(UINT64_C(0xcbf29ce484222325), m->name);
	h = mt_hash(h, key.segment);
	for (unsigned i = 0; i < nl; i++) {
		mt_copy(key.values[i], sizeof(key.values[i]), values && values[i] ? values[i] : "");
		h = mt_hash(h, key.values[i]);
	}
	key.hash = h;
	if (t->sorted)
		goto refuse;
	for (size_t k = t->icap ? (size_t)h & (t->icap - 1) : 0; t->icap && t->index[k];
	     k = (k + 1) & (t->icap - 1)) {
		struct ofd_mt_series *s = &t->v[t->index[k] - 1];
		if (mt_same(s, &key)) {
			s->v += v;
			return;
		}
	}
	if (mt_family(t, m, &key.fam) || t->fam_n[key.fam] >= OFD_METRIC_SERIES_MAX || mt_room(t))
		goto refuse;
	size_t k = (size_t)h & (t->icap - 1);
	while (t->index[k])
		k = (k + 1) & (t->icap - 1);
	key.v = v;
	t->v[t->n] = key;
	t->index[k] = (uint32_t)(++t->n);
	t->fam_n[key.fam]++;
	return;
refuse:
	t->refused++;
}

void ofd_mt_sort(struct ofd_metric_table *t)
{
	if (t->sorted || t->n == 0) {
		t->sorted = 1;
		return;
	}
	struct ofd_mt_series *out = malloc(t->cap * sizeof(*out));
	size_t *at = calloc(t->nfam, sizeof(*at));
	if (out && at) {
		for (size_t f = 1; f < t->nfam; f++)
			at[f] = at[f - 1] + t->fam_n[f - 1];
		for (size_t i = 0; i < t->n; i++)
			out[at[t->v[i].fam]++] = t->v[i];
		free(t->v);
		t->v = out;
		out = NULL;
	} else {
		/* no memory for the copy: an insertion sort in place, stable */
		for (size_t i = 1; i < t->n; i++) {
			struct ofd_mt_series x = t->v[i];
			size_t j = i;
			for (; j > 0 && t->v[j - 1].fam > x.fam; j--)
				t->v[j] = t->v[j - 1];
			t->v[j] = x;
		}
	}
	free(out);
	free(at);
	t->sorted = 1;
}

const struct ofd_metric *ofd_mt_family(const struct ofd_metric_table *t, size_t i,
				       const struct ofd_mt_series **series, size_t *n)
{
	if (!t->sorted || i >= t->nfam)
		return NULL;
	size_t at = 0;
	for (size_t f = 0; f < i; f++)
		at += t->fam_n[f];
	*series = t->v + at;
	*n = t->fam_n[i];
	return t->fam[i];
}
