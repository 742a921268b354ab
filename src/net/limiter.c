/* Token buckets and the per-address table (contracts in limiter.h). */
#include "net/limiter.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define WAYS	    8
#define MAX_ENTRIES ((size_t)1 << 30)

void ofd_bucket_init(struct ofd_bucket *b, double rate, double burst, uint64_t now_ns)
{
	memset(b, 0, sizeof(*b));
	b->unlimited = rate < 0;
	/* bounded so that the schedule never overflows: a zero rate refills once in 30 years */
	double iv = rate > 0 ? 1e9 / rate : 1e18;
	iv = iv > 1e18 ? 1e18 : iv;
	double tol = (burst < 1 ? 0 : burst - 1) * iv;
	tol = tol > 4e18 ? 4e18 : tol;
	b->interval_ns = (uint64_t)(iv + 0.5);
	b->tolerance_ns = (uint64_t)(tol + 0.5);
	b->tat_ns = now_ns;
	b->last_ns = now_ns;
}

/* A clock that went back moves the schedule back with it: the bucket keeps its level. */
static void bucket_clock(struct ofd_bucket *b, uint64_t now_ns)
{
	if (now_ns < b->last_ns) {
		uint64_t back = b->last_ns - now_ns;
		b->tat_ns = b->tat_ns > back ? b->tat_ns - back : 0;
	}
	b->last_ns = now_ns;
}

int ofd_bucket_full(const struct ofd_bucket *b, uint64_t now_ns)
{
	/* with a clock that went back, tat is compared as bucket_clock() would move it */
	return b->unlimited || b->tat_ns <= (now_ns > b->last_ns ? now_ns : b->last_ns);
}

int ofd_bucket_take(struct ofd_bucket *b, uint64_t now_ns)
{
	if (b->unlimited)
		return 1;
	bucket_clock(b, now_ns);
	uint64_t limit = now_ns > UINT64_MAX - b->tolerance_ns ? UINT64_MAX : now_ns + b->tolerance_ns;
	if (b->tat_ns > limit)
		return 0;
	uint64_t base = b->tat_ns > now_ns ? b->tat_ns : now_ns;
	b->tat_ns = base > UINT64_MAX - b->interval_ns ? UINT64_MAX : base + b->interval_ns;
	return 1;
}

int ofd_bucket_peek(const struct ofd_bucket *b, uint64_t now_ns)
{
	struct ofd_bucket copy = *b;
	return ofd_bucket_take(&copy, now_ns);
}

/* ---- the per-address table ---- */

struct lim_entry {
	uint8_t addr[16]; /* masked */
	uint8_t used;
	uint64_t tick; /* last take, for LRU */
	struct ofd_bucket b;
};

struct ofd_limiter {
	size_t nsets, used;
	double rate, burst;
	unsigned v6_prefix;
	uint64_t tick;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct lim_entry e[];
};

int ofd_limiter_new(struct ofd_limiter **out, size_t entries, double rate, double burst, unsigned v6_prefix)
{
	size_t n = WAYS;
	if (entries > MAX_ENTRIES)
		return OFD_ELIMIT;
	if (v6_prefix > 128)
		return OFD_ECONFIG;
	while (n < entries)
		n *= 2;
	if (sodium_init() < 0)
		return -EIO;
	struct ofd_limiter *l = calloc(1, sizeof(*l) + n * sizeof(struct lim_entry));
	if (!l)
		return -ENOMEM;
	l->nsets = n / WAYS;
	l->rate = rate;
	l->burst = burst;
	l->v6_prefix = v6_prefix;
	randombytes_buf(l->key, sizeof(l->key));
	*out = l;
	return 0;
}

/* a's key (v6 masked to the prefix) into k, and its set. */
static struct lim_entry *lim_set(const struct ofd_limiter *l, const struct ofd_ip *a, uint8_t k[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(k, a->b, 16);
	if (memcmp(k, mapped, sizeof(mapped)) != 0) {
		unsigned p = l->v6_prefix, whole = p / 8;
		if (whole < 16) {
			k[whole] &= (uint8_t)(0xff00u >> (p % 8));
			memset(k + whole + 1, 0, 15 - whole);
		}
	}
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, k, 16, l->key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return (struct lim_entry *)&l->e[(v & (l->nsets - 1)) * WAYS];
}

static struct lim_entry *lim_find(struct lim_entry *s, const uint8_t k[16])
{
	for (unsigned w = 0; w < WAYS; w++)
		if (s[w].used && memcmp(s[w].addr, k, 16) == 0)
			return &s[w];
	return NULL;
}

/* The way of set s to give a new address: empty, else refilled to full, else least recently used. */
static struct lim_entry *lim_victim(struct lim_entry *s, uint64_t now_ns)
{
	struct lim_entry *lru = &s[0];
	for (unsigned w = 0; w < WAYS; w++)
		if (!s[w].used)
			return &s[w];
	for (unsigned w = 0; w < WAYS; w++) {
		if (ofd_bucket_full(&s[w].b, now_ns))
			return &s[w];
		if (s[w].tick < lru->tick)
			lru = &s[w];
	}
	return lru;
}

int ofd_limiter_take(struct ofd_limiter *l, const struct ofd_ip *a, uint64_t now_ns)
{
	if (l->rate < 0)
		return 1;
	uint8_t k[16];
	struct lim_entry *s = lim_set(l, a, k), *e = lim_find(s, k);
	if (!e) {
		e = lim_victim(s, now_ns);
		if (!e->used)
			l->used++;
		e->used = 1;
		memcpy(e->addr, k, sizeof(e->addr));
		ofd_bucket_init(&e->b, l->rate, l->burst, now_ns);
	}
	e->tick = ++l->tick;
	return ofd_bucket_take(&e->b, now_ns);
}

int ofd_limiter_peek(const struct ofd_limiter *l, const struct ofd_ip *a, uint64_t now_ns)
{
	if (l->rate < 0)
		return 1;
	uint8_t k[16];
	const struct lim_entry *e = lim_find(lim_set(l, a, k), k);
	return e ? ofd_bucket_peek(&e->b, now_ns) : 1;
}

size_t ofd_limiter_used(const struct ofd_limiter *l)
{
	return l->used;
}

size_t ofd_limiter_capacity(const struct ofd_limiter *l)
{
	return l->nsets * WAYS;
}

void ofd_limiter_free(struct ofd_limiter *l)
{
	free(l);
}
