/* The per-exporter amplification budget (budget.h). */
#include <math.h>
#include <sodium.h>

#include "tracer/budget.h"

void ofd_budget_init(struct ofd_budget *b, double ratio, uint64_t burst)
{
	memset(b, 0, sizeof(*b));
	double q = floor(ratio * (double)(1u << OFD_BUDGET_SHIFT));
	b->ratio_q = q > 0 ? (uint64_t)q : 0;
	b->burst_q = (burst ? burst : 1) << OFD_BUDGET_SHIFT;
	randombytes_buf(b->key, sizeof(b->key));
}

static uint64_t slot_hash(const struct ofd_budget *b, const struct ofd_ip *a)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)a, sizeof(*a), b->key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return v;
}

/* The slot of a, or NULL; *room gets a free slot or the poorest one on the probe path. */
static struct ofd_budget_slot *find(struct ofd_budget *b, const struct ofd_ip *a,
				    struct ofd_budget_slot **room)
{
	uint64_t h = slot_hash(b, a);
	*room = NULL;
	for (unsigned i = 0; i < OFD_BUDGET_PROBE; i++) {
		struct ofd_budget_slot *s = &b->slot[(h + i) & (OFD_BUDGET_ENTRIES - 1)];
		if (!s->used) { /* slots are never freed: a is not further on */
			*room = s;
			return NULL;
		}
		if (memcmp(&s->a, a, sizeof(*a)) == 0)
			return s;
		if (!*room || s->credit < (*room)->credit)
			*room = s;
	}
	return NULL;
}

struct ofd_budget_slot *ofd_budget_slot(struct ofd_budget *b, const struct ofd_ip *a)
{
	struct ofd_budget_slot *room, *s = find(b, a, &room);
	if (!s) {
		s = room;
		if (s->used)
			b->forgotten++;
		s->a = *a;
		s->used = 1;
		s->credit = 0;
	}
	b->last = s;
	return s;
}

static struct ofd_budget_slot *lookup(struct ofd_budget *b, const struct ofd_ip *a)
{
	struct ofd_budget_slot *room;
	if (b->last && memcmp(&b->last->a, a, sizeof(*a)) == 0)
		return b->last;
	return find(b, a, &room);
}

int ofd_budget_covers(struct ofd_budget *b, const struct ofd_ip *a, uint64_t cost)
{
	struct ofd_budget_slot *s = lookup(b, a);
	return s && cost <= s->credit >> OFD_BUDGET_SHIFT;
}

void ofd_budget_spend(struct ofd_budget *b, const struct ofd_ip *a, uint64_t cost)
{
	struct ofd_budget_slot *s = lookup(b, a);
	if (!s)
		return;
	uint64_t q = cost << OFD_BUDGET_SHIFT;
	q = q > s->credit ? s->credit : q;
	s->credit -= q;
	b->spent_q += q;
}

uint64_t ofd_budget_credit(struct ofd_budget *b, const struct ofd_ip *a)
{
	struct ofd_budget_slot *s = lookup(b, a);
	return s ? s->credit >> OFD_BUDGET_SHIFT : 0;
}
