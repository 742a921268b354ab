/* Token buckets, the per-address table and the dedup window (contracts in ratelimit.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tracer/ratelimit.h"

#define WAYS 8

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

/* Entries rounded up to a power of two and to whole sets; 0 on overflow. */
static size_t table_size(size_t entries)
{
	size_t n = WAYS;
	while (n < entries) {
		if (n > SIZE_MAX / 2)
			return 0;
		n *= 2;
	}
	return n;
}

static uint64_t keyed_hash(const uint8_t key[crypto_shorthash_KEYBYTES], const uint8_t *m, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, m, n, key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return v;
}

/* ---- per-address buckets ---- */

struct addr_entry {
	uint8_t addr[16];
	uint8_t used;
	uint64_t tick; /* last use, for LRU */
	struct ofd_bucket b;
};

struct ofd_addrlim {
	size_t nsets, used;
	double rate, burst;
	uint64_t tick;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct addr_entry e[];
};

int ofd_addrlim_new(struct ofd_addrlim **out, size_t entries, double rate, double burst)
{
	size_t n = table_size(entries);
	if (n == 0 || n > (SIZE_MAX - sizeof(struct ofd_addrlim)) / sizeof(struct addr_entry))
		return OFD_ELIMIT;
	if (sodium_init() < 0)
		return -EIO;
	struct ofd_addrlim *l = calloc(1, sizeof(*l) + n * sizeof(struct addr_entry));
	if (!l)
		return -ENOMEM;
	l->nsets = n / WAYS;
	l->rate = rate;
	l->burst = burst;
	randombytes_buf(l->key, sizeof(l->key));
	*out = l;
	return 0;
}

/* The way of set s to give a new address: empty, else refilled to full, else least recently used. */
static struct addr_entry *addrlim_victim(struct addr_entry *s, uint64_t now_ns)
{
	struct addr_entry *lru = &s[0];
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

int ofd_addrlim_take(struct ofd_addrlim *l, const struct ofd_ip *a, uint64_t now_ns)
{
	if (l->rate < 0)
		return 1;
	uint64_t h = keyed_hash(l->key, a->b, sizeof(a->b));
	struct addr_entry *s = &l->e[(h & (l->nsets - 1)) * WAYS], *e = NULL;
	for (unsigned w = 0; w < WAYS && !e; w++)
		if (s[w].used && memcmp(s[w].addr, a->b, sizeof(a->b)) == 0)
			e = &s[w];
	if (!e) {
		e = addrlim_victim(s, now_ns);
		if (!e->used)
			l->used++;
		e->used = 1;
		memcpy(e->addr, a->b, sizeof(e->addr));
		ofd_bucket_init(&e->b, l->rate, l->burst, now_ns);
	}
	e->tick = ++l->tick;
	return ofd_bucket_take(&e->b, now_ns);
}

size_t ofd_addrlim_used(const struct ofd_addrlim *l)
{
	return l->used;
}
size_t ofd_addrlim_capacity(const struct ofd_addrlim *l)
{
	return l->nsets * WAYS;
}
void ofd_addrlim_free(struct ofd_addrlim *l)
{
	free(l);
}

/* ---- dedup window ---- */

struct dedup_entry {
	uint64_t fp;
	uint64_t expires_ns; /* 0: empty */
};

struct ofd_dedup {
	size_t nsets;
	uint64_t window_ns;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct dedup_entry e[];
};

int ofd_dedup_new(struct ofd_dedup **out, size_t entries, uint32_t window_s)
{
	size_t n = table_size(entries);
	if (n == 0 || n > (SIZE_MAX - sizeof(struct ofd_dedup)) / sizeof(struct dedup_entry))
		return OFD_ELIMIT;
	if (sodium_init() < 0)
		return -EIO;
	struct ofd_dedup *d = calloc(1, sizeof(*d) + n * sizeof(struct dedup_entry));
	if (!d)
		return -ENOMEM;
	d->nsets = n / WAYS;
	d->window_ns = (uint64_t)window_s * 1000000000u;
	randombytes_buf(d->key, sizeof(d->key));
	*out = d;
	return 0;
}

/* Flow 5-tuple, start time and destination, serialized for hashing. */
static size_t dedup_key(uint8_t *k, const struct ofd_flow *f, const struct ofd_ip *dest)
{
	uint8_t *p = k;
	memcpy(p, f->src_addr.b, 16);
	p += 16;
	memcpy(p, f->dst_addr.b, 16);
	p += 16;
	*p++ = (uint8_t)(f->src_port >> 8);
	*p++ = (uint8_t)f->src_port;
	*p++ = (uint8_t)(f->dst_port >> 8);
	*p++ = (uint8_t)f->dst_port;
	*p++ = f->proto;
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(f->time_flow_start_ns >> (8 * i));
	memcpy(p, dest->b, 16);
	p += 16;
	return (size_t)(p - k);
}

int ofd_dedup_seen(struct ofd_dedup *d, const struct ofd_flow *f, const struct ofd_ip *dest, uint64_t now_ns)
{
	if (d->window_ns == 0)
		return 0;
	uint8_t k[64];
	uint64_t fp = keyed_hash(d->key, k, dedup_key(k, f, dest));
	struct dedup_entry *s = &d->e[(fp & (d->nsets - 1)) * WAYS], *victim = &s[0];
	for (unsigned w = 0; w < WAYS; w++) {
		if (s[w].expires_ns > now_ns && s[w].fp == fp)
			return 1;
		if (s[w].expires_ns < victim->expires_ns)
			victim = &s[w];
	}
	victim->fp = fp;
	victim->expires_ns = now_ns > UINT64_MAX - d->window_ns ? UINT64_MAX : now_ns + d->window_ns;
	return 0;
}

size_t ofd_dedup_capacity(const struct ofd_dedup *d)
{
	return d->nsets * WAYS;
}
void ofd_dedup_free(struct ofd_dedup *d)
{
	free(d);
}
