/* The talker table (talkertab.h). */
#include "segments/common/talkertab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

size_t talkertab_bytes(uint64_t slots, uint32_t nbuckets)
{
	size_t stride =
	    (sizeof(struct talkertab_slot) + nbuckets * sizeof(struct talkertab_bucket) + 63) & ~(size_t)63;
	size_t tags = (slots * sizeof(uint32_t) + 63) & ~(size_t)63;
	return slots * stride + tags;
}

static int alloc(struct talkertab *t)
{
	t->nslots = t->nsets * TALKERTAB_WAYS;
	t->stride = (sizeof(struct talkertab_slot) + t->nbuckets * sizeof(struct talkertab_bucket) + 63) &
		    ~(size_t)63;
	t->mem_len = t->nslots * t->stride;
	t->tags_len = (t->nslots * sizeof(uint32_t) + 63) & ~(size_t)63;
	/* zeroed pages, touched only as talkers arrive (no huge pages: a few scattered talkers
	   would commit 2 MiB each) */
	void *m = mmap(NULL, t->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->mem = m == MAP_FAILED ? NULL : m;
	t->tags = aligned_alloc(64, t->tags_len);
	if (!t->mem || !t->tags) {
		talkertab_free(t);
		return -ENOMEM;
	}
	memset(t->tags, 0, t->tags_len);
	randombytes_buf(t->hkey, sizeof(t->hkey));
	t->keylen = TALKERTAB_KEYBYTES;
	return 0;
}

int talkertab_init(struct talkertab *t, size_t budget, uint32_t nbuckets)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = nbuckets;
	if (talkertab_bytes(TALKERTAB_WAYS, nbuckets) > budget)
		return -ENOMEM;
	/* the most sets that fit (any number: the hash maps onto them by multiplication) */
	uint64_t lo = 1, hi = 1ull << 28;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (talkertab_bytes(mid * TALKERTAB_WAYS, nbuckets) <= budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	t->nsets = lo;
	return alloc(t);
}

int talkertab_init_slots(struct talkertab *t, uint64_t slots, uint32_t nbuckets)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = nbuckets;
	t->nsets = (slots + TALKERTAB_WAYS - 1) / TALKERTAB_WAYS;
	if (t->nsets < 1)
		t->nsets = 1;
	if (t->nsets > (1ull << 28))
		return -ENOMEM;
	return alloc(t);
}

void talkertab_free(struct talkertab *t)
{
	if (t->mem)
		munmap(t->mem, t->mem_len);
	free(t->tags);
	t->mem = NULL;
	t->tags = NULL;
}

void talkertab_advance_slow(struct talkertab *t, uint64_t i, uint64_t c)
{
	struct talkertab_slot *sl = talkertab_at(t, i);
	if (c - sl->cur >= t->nbuckets) {
		memset(sl->b, 0, t->nbuckets * sizeof(sl->b[0]));
		sl->wbytes = sl->wpackets = 0;
	} else {
		for (uint64_t k = sl->cur + 1; k <= c; k++) {
			sl->wbytes -= sl->b[k % t->nbuckets].bytes;
			sl->wpackets -= sl->b[k % t->nbuckets].packets;
			sl->b[k % t->nbuckets] = (struct talkertab_bucket){0, 0};
		}
	}
	sl->cur = c;
}

static uint64_t window_bytes(struct talkertab *t, uint64_t i, uint64_t c)
{
	talkertab_advance(t, i, c);
	return talkertab_at(t, i)->wbytes;
}

uint64_t talkertab_add_h(struct talkertab *t, const struct talkertab_hash *hh, const uint8_t *key, uint64_t c,
			 uint64_t bytes, uint64_t packets)
{
	const uint64_t *base = hh->base;
	uint32_t tag = hh->tag;
	uint64_t free_way[2] = {UINT64_MAX, UINT64_MAX};
	unsigned used[2] = {0, 0};
	uint64_t way = UINT64_MAX;
	for (unsigned j = 0; j < 2 && way == UINT64_MAX; j++)
		for (uint64_t w = base[j]; w < base[j] + TALKERTAB_WAYS; w++) {
			if (!t->tags[w]) {
				if (free_way[j] == UINT64_MAX)
					free_way[j] = w;
				continue;
			}
			used[j]++;
			if (t->tags[w] == tag && talkertab_is(t, w, key)) {
				way = w;
				break;
			}
		}
	if (way == UINT64_MAX) {
		way = used[1] < used[0] ? free_way[1] : free_way[0];
		if (way == UINT64_MAX)
			way = free_way[0] != UINT64_MAX ? free_way[0] : free_way[1];
		if (way == UINT64_MAX) { /* both sets full: the way with the fewest window bytes goes */
			uint64_t least = UINT64_MAX;
			for (unsigned j = 0; j < 2; j++)
				for (uint64_t w = base[j]; w < base[j] + TALKERTAB_WAYS; w++) {
					uint64_t v = window_bytes(t, w, c);
					if (v < least)
						least = v, way = w;
				}
			t->evicted++;
		}
		struct talkertab_slot *ns = talkertab_at(t, way);
		memcpy(ns->key, key, TALKERTAB_KEYBYTES);
		memset(ns->b, 0, t->nbuckets * sizeof(ns->b[0]));
		ns->cur = c;
		ns->wbytes = ns->wpackets = 0;
		t->tags[way] = tag;
		t->admitted++;
	}
	return talkertab_add_to(t, way, c, bytes, packets);
}

void talkertab_sum(const struct talkertab *t, uint64_t i, uint64_t c, uint32_t n, uint64_t *bytes,
		   uint64_t *packets)
{
	const struct talkertab_slot *sl = talkertab_at(t, i);
	uint64_t by = 0, pk = 0;
	for (uint64_t k = c >= n ? c - n : 0; k < c; k++) {
		/* bucket k is held when it is in the ring behind sl->cur */
		if (k > sl->cur || sl->cur - k >= t->nbuckets)
			continue;
		by += sl->b[k % t->nbuckets].bytes;
		pk += sl->b[k % t->nbuckets].packets;
	}
	*bytes = by;
	*packets = pk;
}
