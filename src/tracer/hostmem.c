/* Hosts that do not answer (contracts in hostmem.h). */
#include "tracer/hostmem.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define WAYS	    8
#define MAX_ENTRIES ((size_t)1 << 24)
#define SEC	    UINT64_C(1000000000)

struct hm_entry {
	uint8_t addr[16];
	uint16_t port;
	uint8_t used;
	uint8_t fails;	   /* failures in a row (the backoff is base << (fails - 1)) */
	uint64_t until_ns; /* skipped until then */
};

struct ofd_hostmem {
	size_t nsets, used;
	uint64_t base_ns, max_ns;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct hm_entry e[];
};

int ofd_hostmem_new(struct ofd_hostmem **out, size_t entries, uint32_t base_s, uint32_t max_s)
{
	size_t n = WAYS;
	if (entries > MAX_ENTRIES)
		return OFD_ELIMIT;
	if (base_s == 0 || max_s < base_s)
		return OFD_ECONFIG;
	while (n < entries)
		n *= 2;
	if (sodium_init() < 0)
		return -EIO;
	struct ofd_hostmem *m = calloc(1, sizeof(*m) + n * sizeof(struct hm_entry));
	if (!m)
		return -ENOMEM;
	m->nsets = n / WAYS;
	m->base_ns = (uint64_t)base_s * SEC;
	m->max_ns = (uint64_t)max_s * SEC;
	randombytes_buf(m->key, sizeof(m->key));
	*out = m;
	return 0;
}

static struct hm_entry *hm_set(const struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port)
{
	uint8_t k[18], h[crypto_shorthash_BYTES];
	memcpy(k, a->b, 16);
	k[16] = (uint8_t)(port >> 8);
	k[17] = (uint8_t)port;
	crypto_shorthash(h, k, sizeof(k), m->key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return (struct hm_entry *)&m->e[(v & (m->nsets - 1)) * WAYS];
}

static struct hm_entry *hm_find(struct hm_entry *set, const struct ofd_ip *a, uint16_t port)
{
	for (int i = 0; i < WAYS; i++)
		if (set[i].used && set[i].port == port && memcmp(set[i].addr, a->b, 16) == 0)
			return &set[i];
	return NULL;
}

int ofd_hostmem_skip(const struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port, uint64_t now_ns)
{
	const struct hm_entry *e = hm_find(hm_set(m, a, port), a, port);
	return e && now_ns < e->until_ns;
}

/* A way for a new pair: an empty one, else the one whose skip ends first. */
static struct hm_entry *hm_victim(struct ofd_hostmem *m, struct hm_entry *set)
{
	struct hm_entry *v = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (!set[i].used) {
			m->used++;
			return &set[i];
		}
		if (set[i].until_ns < v->until_ns)
			v = &set[i];
	}
	return v;
}

uint32_t ofd_hostmem_failed(struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port, uint64_t now_ns)
{
	struct hm_entry *set = hm_set(m, a, port), *e = hm_find(set, a, port);
	if (e && now_ns < e->until_ns)
		return (uint32_t)((e->until_ns - now_ns) / SEC); /* a failure already counted */
	if (e && now_ns - e->until_ns > m->max_ns)
		e->fails = 0; /* quiet for long: start again */
	if (!e) {
		e = hm_victim(m, set);
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, a->b, 16);
		e->port = port;
		e->used = 1;
	}
	uint64_t backoff = m->base_ns;
	for (unsigned i = 0; i < e->fails && backoff < m->max_ns; i++)
		backoff *= 2;
	backoff = backoff < m->max_ns ? backoff : m->max_ns;
	if (e->fails < UINT8_MAX)
		e->fails++;
	e->until_ns = now_ns + backoff;
	return (uint32_t)(backoff / SEC);
}

void ofd_hostmem_answered(struct ofd_hostmem *m, const struct ofd_ip *a, uint16_t port)
{
	struct hm_entry *e = hm_find(hm_set(m, a, port), a, port);
	if (e) {
		memset(e, 0, sizeof(*e));
		m->used--;
	}
}

size_t ofd_hostmem_used(const struct ofd_hostmem *m)
{
	return m->used;
}

size_t ofd_hostmem_capacity(const struct ofd_hostmem *m)
{
	return m->nsets * WAYS;
}

void ofd_hostmem_free(struct ofd_hostmem *m)
{
	free(m);
}
