/*
 * reversedns's cache and rings (rdns.h). The cache is set-associative: RDNS_WAYS entries per
 * bucket, so that it is bounded and a lookup reads one line of tags and one entry; a full
 * bucket gives up its least recently used entry. Only process() touches it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdns.h"

int rdns_cache_init(struct rdns_cache *c, uint64_t entries, uint64_t seed)
{
	uint32_t nb = 2; /* at least one bit of hash, so that the shift stays below 64 */
	unsigned bits = 1;
	while ((uint64_t)nb * RDNS_WAYS < entries && bits < 28) {
		nb <<= 1;
		bits++;
	}
	memset(c, 0, sizeof(*c));
	c->nbuckets = nb;
	c->shift = 64 - bits;
	c->seed = seed;
	size_t n = (size_t)nb * RDNS_WAYS;
	c->tags = calloc(n, sizeof(*c->tags));
	c->e = calloc(n, sizeof(*c->e));
	c->overflow = calloc(n, OFD_DNS_NAME_MAX); /* untouched pages cost no memory */
	if (!c->tags || !c->e || !c->overflow) {
		rdns_cache_fini(c);
		return -ENOMEM;
	}
	return 0;
}

void rdns_cache_fini(struct rdns_cache *c)
{
	free(c->tags);
	free(c->e);
	free(c->overflow);
	memset(c, 0, sizeof(*c));
}

struct rdns_entry *rdns_take(struct rdns_cache *c, uint64_t h, uint64_t k0, uint64_t k1, int *evicted)
{
	size_t bases[2] = {(size_t)rdns_bucket_of(c, h) * RDNS_WAYS,
			   (size_t)rdns_bucket2_of(c, h) * RDNS_WAYS};
	size_t v = SIZE_MAX;
	*evicted = 0;
	for (int k = 0; k < 2 && (v == SIZE_MAX || c->tags[v]); k++) {
		for (size_t w = 0; w < RDNS_WAYS; w++) {
			size_t i = bases[k] + w;
			if (c->tags[i] == 0) {
				v = i;
				break;
			}
			if (v == SIZE_MAX || c->e[i].used < c->e[v].used)
				v = i;
		}
	}
	if (c->tags[v])
		*evicted = 1;
	else
		c->count++;
	struct rdns_entry *e = &c->e[v];
	memset(e, 0, offsetof(struct rdns_entry, name));
	e->name[0] = '\0';
	e->k0 = k0;
	e->k1 = k1;
	c->tags[v] = rdns_tag_of(h);
	return e;
}

void rdns_set_name(struct rdns_cache *c, struct rdns_entry *e, const char *name, size_t len)
{
	e->namelen = (uint8_t)len;
	memcpy(rdns_name(c, e), name, len);
	rdns_name(c, e)[len] = '\0';
}

int rdns_ring_init(struct rdns_ring *r, uint32_t min_cap, uint32_t size)
{
	uint32_t cap = 1;
	while (cap < min_cap)
		cap <<= 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->cap = cap;
	r->size = size;
	r->v = calloc(cap, size);
	return r->v ? 0 : -ENOMEM;
}

void rdns_ring_fini(struct rdns_ring *r)
{
	free(r->v);
	r->v = NULL;
}

int rdns_ring_push(struct rdns_ring *r, const void *elem)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (t - atomic_load_explicit(&r->head, memory_order_acquire) == r->cap)
		return -1;
	memcpy(r->v + (size_t)(t & (r->cap - 1)) * r->size, elem, r->size);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 0;
}

int rdns_ring_pop(struct rdns_ring *r, void *elem)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (atomic_load_explicit(&r->tail, memory_order_acquire) == h)
		return -1;
	memcpy(elem, r->v + (size_t)(h & (r->cap - 1)) * r->size, r->size);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 0;
}

uint32_t rdns_ring_len(struct rdns_ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_acquire) -
	       atomic_load_explicit(&r->head, memory_order_acquire);
}
