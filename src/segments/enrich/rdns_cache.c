/*
 * reversedns's cache and queue (rdns.h): a set-associative table of RDNS_WAYS entries per
 * bucket, so that it is bounded and a lookup reads one small run of memory; a full bucket
 * gives up its least recently used entry. Names sit in a separate array of RDNS_NAME_CAP-byte
 * slots, touched only when an answer is written or a name is copied into a batch. The caller
 * holds the lock (rdns.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rdns.h"

int rdns_cache_init(struct rdns_cache *c, uint64_t entries, uint32_t queuesize, uint64_t seed)
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
	c->e = calloc(n, sizeof(*c->e));
	c->names = calloc(n, RDNS_NAME_CAP); /* untouched pages cost no memory */
	c->memo_ptr = calloc(n, sizeof(*c->memo_ptr));
	c->q = calloc(queuesize, sizeof(*c->q));
	c->qcap = queuesize;
	if (!c->e || !c->names || !c->memo_ptr || !c->q) {
		rdns_cache_fini(c);
		return -ENOMEM;
	}
	return 0;
}

void rdns_cache_fini(struct rdns_cache *c)
{
	free(c->e);
	free(c->names);
	free(c->memo_ptr);
	free(c->q);
	memset(c, 0, sizeof(*c));
}

struct rdns_entry *rdns_take(struct rdns_cache *c, uint64_t k0, uint64_t k1, int *evicted)
{
	struct rdns_entry *b = &c->e[(size_t)rdns_bucket(c, k0, k1) * RDNS_WAYS];
	struct rdns_entry *v = NULL;
	*evicted = 0;
	for (int w = 0; w < RDNS_WAYS; w++) {
		if (b[w].state == RDNS_EMPTY) {
			v = &b[w];
			break;
		}
		if (!v || b[w].used < v->used)
			v = &b[w];
	}
	if (v->state != RDNS_EMPTY)
		*evicted = 1;
	else
		c->count++;
	memset(v, 0, sizeof(*v));
	v->k0 = k0;
	v->k1 = k1;
	return v;
}

int rdns_push(struct rdns_cache *c, uint64_t k0, uint64_t k1)
{
	if (c->qlen == c->qcap)
		return -1;
	uint32_t i = c->qhead + c->qlen;
	if (i >= c->qcap)
		i -= c->qcap;
	c->q[i].k0 = k0;
	c->q[i].k1 = k1;
	c->qlen++;
	return 0;
}

int rdns_pop(struct rdns_cache *c, struct rdns_key *k)
{
	if (c->qlen == 0)
		return -1;
	*k = c->q[c->qhead];
	if (++c->qhead == c->qcap)
		c->qhead = 0;
	c->qlen--;
	return 0;
}
