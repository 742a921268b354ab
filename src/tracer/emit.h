/*
 * Turning flows into tracers: the odds, escalation, admission by the sender, signing, printing
 * and queueing to the sender (admission before signing: see emit.c's emit_one).
 * One instance per thread (the CLI's tracer modes, or one tracer segment instance).
 *
 * A flow is picked with probability min(1, rate × m × packets), where packets is scaled by the
 * flow's sampling rate when `normalize` is on (and the flow is not already normalized), and m is
 * the multiplier of the first `escalate` rule whose filter matches (1 when none does); that
 * rule's class replaces the default class.
 *
 * Admission (see emit.c): only records of local origin or of a listed exporter may produce
 * tracers (ofd_flow.origin; `from_any` lets unlisted ones in too); the bytes of tracers sent
 * about a non-local record's exporter are bounded by the per-exporter budget (budget.h); the
 * fields named by `redact` are left out of the tracer; and a tracer is made in the forms its
 * deliveries need: the full one (below full_max, OFD_TRACER_HTTP_MAX by default) for HTTP(S)
 * and print, and, when that is too long for one UDP datagram and UDP is a delivery, a form
 * shortened to fit one (optional fields left out, the contact cut, marked "truncated").
 */
#ifndef OFD_TRACER_EMIT_H
#define OFD_TRACER_EMIT_H

#include "flowfilter/flowfilter.h"
#include "format/wbuf.h"
#include "ofd/batch.h"
#include "tracer/budget.h"
#include "tracer/send.h"
#include "tracer/tracer.h"

#define OFD_TRACER_RATE_DEFAULT 1e-6
#define OFD_EMIT_AMPLIFICATION	0.5   /* bytes of tracers per byte of export, per exporter */
#define OFD_EMIT_BODY_MIN	256   /* less than any body: the credit a tracer needs at the very least */
#define OFD_EMIT_BURST_MIN	65536 /* an exporter's credit is capped at max(this, 4 x the dearest tracer) */

/* What a delivery costs beyond the tracer's bytes (counted against the budget, conservatively). */
#define OFD_EMIT_UDP_OVERHEAD	48   /* IPv6 and UDP headers */
#define OFD_EMIT_HTTP_OVERHEAD	512  /* TCP handshake, teardown and the request's headers */
#define OFD_EMIT_HTTPS_OVERHEAD 2048 /* ... and a TLS handshake */

/* Fields left out of tracers (`redact`): cleared on a copy of the flow before the body is made. */
enum {
	OFD_REDACT_EXPORTER = 1 << 0,	/* sampler_address */
	OFD_REDACT_INTERFACES = 1 << 1, /* in_if, out_if */
	OFD_REDACT_AS = 1 << 2,		/* src_as, dst_as, next_hop_as, the AS path */
	OFD_REDACT_NEXTHOP = 1 << 3,	/* next_hop, bgp_next_hop */
	OFD_REDACT_ALL = (1 << 4) - 1,
};

/* The OFD_REDACT_* bit of a name (exporter, interfaces, as, nexthop), all for "all", 0 for
   "none", -1 for anything else. */
int ofd_redact_parse(const char *name);

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
	/* admission */
	int from_any;	      /* 1: records of unlisted exporters may produce tracers too (budgeted) */
	double amplification; /* in (0, 1): per-exporter budget [OFD_EMIT_AMPLIFICATION] */
	unsigned redact;      /* OFD_REDACT_* */
	/* the sender's deliveries, for the forms and the cost of a tracer (with a sender) */
	unsigned methods;     /* OFD_SEND_* a flow end is tried with [all three] */
	unsigned relay_kinds; /* OFD_SEND_* kinds of the relays; 0: none (tracers go to flow ends) */
	unsigned nrelays;
	int sealing;	 /* some destinations get tracers sealed (longer: ofd_tracer_sealed_len) */
	size_t full_max; /* the full form's line stays below this [OFD_TRACER_HTTP_MAX] */
};

struct ofd_emit_stats {
	uint64_t flows;	     /* live flows considered */
	uint64_t selected;   /* picked by the odds */
	uint64_t escalated;  /* of those, picked under an escalate rule */
	uint64_t failed;     /* could not be made for any delivery (why: `why`) */
	uint64_t signatures; /* tracers signed: the selected ones printed or admitted by the sender
				(a tracer no destination admits is not signed; its UDP form is
				counted once more) */
	uint64_t unlisted;   /* live records of unlisted exporters (no tracers unless from_any) */
	uint64_t budget;     /* selected, not offered to the sender: the exporter's credit was short */
	uint64_t fitted;     /* tracers with a UDP form shortened to fit one datagram */
	uint64_t http_only;  /* tracers too long for UDP even shortened: HTTP(S) only */
	uint64_t charged;    /* bytes of deliveries charged to budgets */
	const char *why;     /* the reason of the last failure (a static string), or NULL */
};

struct ofd_emit {
	struct ofd_emit_cfg cfg;
	struct ofd_odds odds;
	struct ofd_emit_stats st;
	int udp, full; /* the forms the deliveries need */
	char body[OFD_TRACER_MAX];
	char line[OFD_TRACER_MAX];
	char ubody[OFD_TRACER_UDP_MAX];
	char uline[OFD_TRACER_UDP_MAX];
	struct ofd_budget budget;
};

void ofd_emit_init(struct ofd_emit *e, const struct ofd_emit_cfg *cfg);

/*
 * The bytes one delivery of a tracer costs the budget: per method it is tried with (flow ends),
 * or the dearest relay kind, the length on the wire (sealed when sealing: an upper bound) plus
 * the transport's overhead. len: the full form; udp_len: the UDP form, 0 when there is none
 * (then the full form goes over UDP if it fits, else nothing does).
 */
uint64_t ofd_emit_cost(const struct ofd_emit *e, size_t len, size_t udp_len);

/*
 * The longest prefix of contact (in bytes, cut at a UTF-8 boundary) with which the smallest
 * possible tracer (an IPv4 flow, zero counters, class cls) stays below full_max: strlen(contact)
 * when the whole contact fits. Below strlen, no tracer can carry the whole contact in its full
 * form (HTTP(S), print); the UDP form can always cut it. For checks at start.
 */
size_t ofd_emit_contact_fit(const char *contact, enum ofd_tracer_class cls, size_t full_max);

/* The probability of picking f, and the class it would carry. */
double ofd_emit_p(const struct ofd_emit *e, const struct ofd_flow *f, enum ofd_tracer_class *cls);

/* Consider every live flow of b; returns the number of tracers made. */
uint32_t ofd_emit_batch(struct ofd_emit *e, const struct ofd_batch *b, uint64_t now_ns);

#endif
