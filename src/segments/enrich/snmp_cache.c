/*
 * The snmp segment's shared cache and request queue (snmp_int.h): fixed at init, never grown.
 * The cache is set-associative: a key hashes to a bucket of SNMP_BUCKET slots and lives in one
 * of them; a new key takes a free slot or replaces the least recently used entry of its bucket
 * that has no request queued or in flight. Nothing is deleted, so there are no tombstones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "segments/enrich/snmp_int.h"

int snmp_shared_init(struct snmp_shared *sh, size_t maxentries, size_t queuesize)
{
	size_t nb = 1;
	while (nb * SNMP_BUCKET < maxentries)
		nb <<= 1;
	sh->wakefd = -1;
	sh->tab = calloc(nb * SNMP_BUCKET, sizeof(*sh->tab));
	sh->q = calloc(queuesize, sizeof(*sh->q));
	sh->garbage = calloc(SNMP_GARBAGE, sizeof(*sh->garbage));
	if (!sh->tab || !sh->q || !sh->garbage)
		goto fail;
	sh->nbuckets = nb;
	sh->qcap = queuesize;
	sh->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sh->wakefd < 0)
		goto fail;
	if (pthread_mutex_init(&sh->mu, NULL) != 0)
		goto fail;
	return 0;
fail:
	free(sh->tab);
	free(sh->q);
	free(sh->garbage);
	if (sh->wakefd >= 0)
		close(sh->wakefd);
	memset(sh, 0, sizeof(*sh));
	sh->wakefd = -1;
	return -ENOMEM;
}

void snmp_shared_fini(struct snmp_shared *sh)
{
	if (!sh->tab)
		return;
	for (size_t i = 0; i < sh->nbuckets * SNMP_BUCKET; i++)
		free(sh->tab[i].text);
	snmp_cache_collect(sh);
	free(sh->garbage);
	free(sh->tab);
	free(sh->q);
	close(sh->wakefd);
	pthread_mutex_destroy(&sh->mu);
	memset(sh, 0, sizeof(*sh));
	sh->wakefd = -1;
}

static inline int key_eq(const struct snmp_key *a, const struct snmp_key *b)
{
	return a->ifindex == b->ifindex && a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

/* The key's bucket: a multiplicative hash of the address's last 8 bytes (IPv4 is in the last
   4; the rest of an IPv6 address mixed in) and the interface. */
static inline size_t bucket_of(const struct snmp_shared *sh, const struct snmp_key *k)
{
	uint64_t hi, lo;
	memcpy(&hi, k->addr, 8);
	memcpy(&lo, k->addr + 8, 8);
	uint64_t h = (lo ^ (hi * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)k->ifindex << 32 | k->family)) *
		     0xff51afd7ed558ccdULL;
	h ^= h >> 29;
	return (size_t)(h * 0xc4ceb9fe1a85ec53ULL >> 32) & (sh->nbuckets - 1);
}

struct snmp_entry *snmp_cache_find(struct snmp_shared *sh, const struct snmp_key *k)
{
	struct snmp_entry *b = &sh->tab[bucket_of(sh, k) * SNMP_BUCKET];
	for (size_t i = 0; i < SNMP_BUCKET; i++)
		if (b[i].used && key_eq(&b[i].key, k))
			return &b[i];
	return NULL;
}

void snmp_cache_collect(struct snmp_shared *sh)
{
	for (size_t i = 0; i < sh->ngarbage; i++)
		free(sh->garbage[i]);
	sh->ngarbage = 0;
}

struct snmp_entry *snmp_cache_slot(struct snmp_shared *sh, const struct snmp_key *k, int *fresh, int defer)
{
	struct snmp_entry *b = &sh->tab[bucket_of(sh, k) * SNMP_BUCKET], *victim = NULL;
	*fresh = 0;
	for (size_t i = 0; i < SNMP_BUCKET; i++) {
		if (!b[i].used) {
			if (!victim || victim->used)
				victim = &b[i];
			continue;
		}
		if (key_eq(&b[i].key, k))
			return &b[i];
		if (!b[i].queued && (!victim || (victim->used && b[i].last_used < victim->last_used)))
			victim = &b[i];
	}
	if (!victim)
		return NULL;
	if (victim->used) {
		if (defer && victim->text && sh->ngarbage < SNMP_GARBAGE)
			sh->garbage[sh->ngarbage++] = victim->text; /* no free() in process() */
		else
			free(victim->text); /* the poller's, or a full garbage list */
	} else {
		sh->used++;
	}
	memset(victim, 0, sizeof(*victim));
	victim->key = *k;
	victim->used = 1;
	*fresh = 1;
	return victim;
}

int snmp_queue_push(struct snmp_shared *sh, const struct snmp_key *k)
{
	if (sh->qlen == sh->qcap)
		return -1;
	sh->q[(sh->qhead + sh->qlen) % sh->qcap].key = *k;
	sh->qlen++;
	return 0;
}

size_t snmp_queue_pop(struct snmp_shared *sh, struct snmp_req *out, size_t n)
{
	size_t k = 0;
	while (k < n && sh->qlen) {
		out[k++] = sh->q[sh->qhead];
		sh->qhead = (sh->qhead + 1) % sh->qcap;
		sh->qlen--;
	}
	return k;
}

void snmp_cache_publish(struct snmp_shared *sh, struct snmp_result *r, uint64_t now)
{
	int fresh = 0;
	struct snmp_entry *e = snmp_cache_slot(sh, &r->key, &fresh, 0);
	if (!e) { /* the bucket is all queued: the answer is lost, it is asked for again later */
		free(r->text);
		r->text = NULL;
		return;
	}
	e->queued = 0;
	if (fresh)
		e->last_used = now;
	switch (r->outcome) {
	case SNMP_OK:
	case SNMP_NONE:
		free(e->text);
		e->text = r->text;
		r->text = NULL;
		e->name_len = r->name_len;
		e->desc_len = r->desc_len;
		e->speed = r->speed;
		e->has_speed = r->has_speed;
		e->has_data = r->outcome == SNMP_OK;
		e->fetched = now;
		e->retry = r->retry;
		break;
	case SNMP_FAILED:
	case SNMP_DROPPED:
		e->retry = r->retry; /* older data (if any) stays until it is too old */
		free(r->text);
		r->text = NULL;
		break;
	}
}
