/*
 * The tracer emitter's amplification budget: bytes of tracers sent per byte of export received,
 * per exporter (the flow's sampler_address).
 *
 * Every budgeted record earns its export_bytes x ratio of credit for its exporter (capped at
 * `burst` bytes: what an idle exporter can save up). A tracer about such a record is offered to
 * the sender only when its exporter's credit covers the most its deliveries could cost
 * (ofd_budget_covers), and then it spends what the deliveries admitted cost (ofd_budget_spend).
 * Credit never goes below zero, so whatever the input, the bytes of tracers about an exporter's
 * records never exceed ratio x the bytes of export received in its name, plus nothing: the
 * budget starts empty.
 *
 * The table is bounded: OFD_BUDGET_ENTRIES exporters in an open-addressed table keyed by SipHash
 * (a random key per instance), OFD_BUDGET_PROBE slots probed. When a new exporter finds no room
 * among them, the one with the least credit there is forgotten: forgetting loses credit and
 * never gains any, so the bound holds under any churn of exporter addresses. The last exporter
 * looked up is remembered, so records of one export datagram (a batch is mostly one exporter)
 * cost one 17-byte compare each.
 *
 * One instance per emitter (one thread); not thread-safe. Credit is kept in 1/65536 byte.
 */
#ifndef OFD_TRACER_BUDGET_H
#define OFD_TRACER_BUDGET_H

#include <stdint.h>
#include <string.h>

#include "ofd/flow.h"

#define OFD_BUDGET_ENTRIES 4096 /* a power of two */
#define OFD_BUDGET_PROBE   16
#define OFD_BUDGET_SHIFT   16 /* credit unit: 2^-16 byte */

struct ofd_budget_slot {
	struct ofd_ip a; /* family OFD_AF_NONE: free (an exporter without address is one key too) */
	uint8_t used;
	uint64_t credit; /* 2^-16 byte */
};

struct ofd_budget {
	uint64_t ratio_q; /* ratio in 2^-16, rounded down */
	uint64_t burst_q;
	uint8_t key[16];
	struct ofd_budget_slot *last; /* the slot last looked up, checked against its address */
	uint64_t earned_q, spent_q;   /* totals, for tests and figures */
	uint64_t forgotten;	      /* exporters forgotten for room */
	struct ofd_budget_slot slot[OFD_BUDGET_ENTRIES];
};

/* Empty table; ratio in (0, 1), burst in bytes (at least 1). */
void ofd_budget_init(struct ofd_budget *b, double ratio, uint64_t burst);

/* The slot of exporter a, added when missing (never NULL). */
struct ofd_budget_slot *ofd_budget_slot(struct ofd_budget *b, const struct ofd_ip *a);

/* Exporter a received export_bytes (in one record or several): credit += export_bytes x ratio,
   capped at the burst. */
static inline void ofd_budget_earn(struct ofd_budget *b, const struct ofd_ip *a, uint64_t export_bytes)
{
	struct ofd_budget_slot *s = b->last;
	if (!s || memcmp(&s->a, a, sizeof(*a)) != 0)
		s = ofd_budget_slot(b, a);
	uint64_t add = export_bytes * b->ratio_q;
	b->earned_q += add;
	s->credit = s->credit + add > b->burst_q ? b->burst_q : s->credit + add;
}

/* Whether exporter a has at least cost bytes of credit. */
int ofd_budget_covers(struct ofd_budget *b, const struct ofd_ip *a, uint64_t cost);

/* Spend cost bytes of a's credit (down to zero at most). */
void ofd_budget_spend(struct ofd_budget *b, const struct ofd_ip *a, uint64_t cost);

/* a's credit in whole bytes (0 for an exporter not in the table). */
uint64_t ofd_budget_credit(struct ofd_budget *b, const struct ofd_ip *a);

#endif
