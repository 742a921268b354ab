/* The dedup window (contract in ratelimit.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tracer/ratelimit.h"

#define WAYS 8

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

int ofd_dedup_peek(const struct ofd_dedup *d, const struct ofd_flow *f, const struct ofd_ip *dest,
		   uint64_t now_ns)
{
	if (d->window_ns == 0)
		return 0;
	uint8_t k[64];
	uint64_t fp = keyed_hash(d->key, k, dedup_key(k, f, dest));
	const struct dedup_entry *s = &d->e[(fp & (d->nsets - 1)) * WAYS];
	for (unsigned w = 0; w < WAYS; w++)
		if (s[w].expires_ns > now_ns && s[w].fp == fp)
			return 1;
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
