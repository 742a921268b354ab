/*
 * Turning flows into tracers: the odds, escalation, admission by the sender, signing, printing
 * and queueing to the sender (admission before signing: see emit.c's emit_one).
 * One instance per thread (the CLI's tracer modes, or one tracer segment instance).
 *
 * A flow is picked with probability min(1, rate × m × packets), where packets is scaled by the
 * flow's sampling rate when `normalize` is on (and the flow is not already normalized), and m is
 * the multiplier of the first `escalate` rule whose filter matches (1 when none does); that
 * rule's class replaces the default class.
 */
#ifndef OFD_TRACER_EMIT_H
#define OFD_TRACER_EMIT_H

#include "flowfilter/flowfilter.h"
#include "format/wbuf.h"
#include "ofd/batch.h"
#include "tracer/send.h"
#include "tracer/tracer.h"

#define OFD_TRACER_RATE_DEFAULT 1e-6

struct ofd_escalate {
	struct ofd_filter *filter;
	double mult;
	enum ofd_tracer_class cls;
};

struct ofd_emit_cfg {
	double rate;
	int normalize;
	enum ofd_tracer_class cls;
	const char *contact;
	const struct ofd_escalate *esc;
	size_t nesc;
	const struct ofd_key *key;
	struct ofd_sender *sender; /* NULL: not sent */
	struct ofd_wbuf *print;	   /* NULL: not printed; else one tracer per line */
	int seeded;
	uint64_t seed;
};

struct ofd_emit_stats {
	uint64_t flows;	     /* live flows considered */
	uint64_t selected;   /* picked by the odds */
	uint64_t escalated;  /* of those, picked under an escalate rule */
	uint64_t failed;     /* could not be built (a field too large even when truncated) */
	uint64_t signatures; /* tracers signed: the selected ones printed or admitted by the sender
				(a tracer no destination admits is not signed) */
};

struct ofd_emit {
	struct ofd_emit_cfg cfg;
	struct ofd_odds odds;
	struct ofd_emit_stats st;
	char body[OFD_TRACER_MAX];
	char line[OFD_TRACER_MAX];
};

void ofd_emit_init(struct ofd_emit *e, const struct ofd_emit_cfg *cfg);

/* The probability of picking f, and the class it would carry. */
double ofd_emit_p(const struct ofd_emit *e, const struct ofd_flow *f, enum ofd_tracer_class *cls);

/* Consider every live flow of b; returns the number of tracers made. */
uint32_t ofd_emit_batch(struct ofd_emit *e, const struct ofd_batch *b, uint64_t now_ns);

#endif
