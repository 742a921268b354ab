/*
 * Export datagram decoding: NetFlow v5, NetFlow v9, IPFIX and sFlow v5 into flow records.
 *
 * One decoder instance per input thread; it owns the template cache and the counters and is
 * never shared between threads. A datagram is parsed in place and not referenced afterwards.
 */
#ifndef OFD_DECODE_H
#define OFD_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/batch.h"
#include "ofd/err.h"
#include "ofd/flow.h"
#include "ofd/log.h"
#include "ofd/stats.h"

#include "net/dgram.h"

struct ofd_tmpl_cache;

struct ofd_decode_limits {
	uint32_t max_exporters; /* template-keeping exporters (addr, port, domain) of the main budget */
	uint32_t max_templates_per_exporter;
	uint32_t max_templates_total;	 /* templates of the main budget */
	uint32_t max_fields;		 /* per template */
	uint32_t template_timeout_s;	 /* 0: never expire */
	uint32_t max_bytes_per_exporter; /* an exporter's templates, plans and fields; 0: no bound */
	uint32_t unlisted_exporters;	 /* the unlisted budget (see template.h) */
	uint32_t unlisted_templates;
};

#define OFD_DECODE_LIMITS_DEFAULT                                                                            \
	{                                                                                                    \
		4096, 1024, 65536, 256, 1800, 1u << 20, 64, 512                                              \
	}

/*
 * Template budgets (template.h): the main one holds the templates of local and listed
 * exporters, and of every exporter of an input without an `exporters` list; the unlisted one
 * (limits unlisted_exporters, unlisted_templates) those of exporters off an input's list, which
 * can never take room from the main one.
 */
enum ofd_tmpl_budget { OFD_TMPL_BUDGET_MAIN, OFD_TMPL_BUDGET_UNLISTED, OFD_TMPL_BUDGET__COUNT };

/* Why an exporter's templates were evicted to make room for another's. */
enum ofd_tmpl_evict {
	OFD_TMPL_EVICT_NO_DATA, /* no data was ever decoded with its templates */
	OFD_TMPL_EVICT_IDLE,	/* it had data, and was the least recently heard of */
	OFD_TMPL_EVICT__COUNT
};

/* Why a template was refused (each also counted as a drop, OFD_DROP_TEMPLATE_LIMIT). */
enum ofd_tmpl_refuse {
	OFD_TMPL_REFUSE_FIELDS,		    /* more fields than max_fields */
	OFD_TMPL_REFUSE_EXPORTER_TEMPLATES, /* the exporter has max_templates_per_exporter */
	OFD_TMPL_REFUSE_EXPORTER_BYTES,	    /* the exporter's templates would pass max_bytes_per_exporter */
	OFD_TMPL_REFUSE_BUDGET,		    /* the budget is full and nothing else can be evicted */
	OFD_TMPL_REFUSE__COUNT
};

/* Stable snake_case names, for metric labels and the summary. */
const char *ofd_tmpl_budget_name(enum ofd_tmpl_budget b);
const char *ofd_tmpl_evict_name(enum ofd_tmpl_evict e);
const char *ofd_tmpl_refuse_name(enum ofd_tmpl_refuse r);

/*
 * Drops by exporter address (the datagram's source), bounded: an open-addressed table of
 * OFD_EXPORTER_DROP_SLOTS slots. An address is looked up in the OFD_EXPORTER_DROP_WINDOW slots
 * from its hash; a new one takes the first empty slot there, or else replaces the slot with the
 * fewest drops if that holds no more than it brings (the replaced count moves to `other`), or
 * else is counted under `other`. Heavy droppers keep their slot, a flood of new (spoofed)
 * addresses only evicts itself, and no drop is lost: the slots plus `other` add up to every
 * drop counted through ofd_decode_drop(). Fixed size, no allocation.
 */
#define OFD_EXPORTER_DROP_SLOTS	 256 /* a power of two */
#define OFD_EXPORTER_DROP_WINDOW 16

struct ofd_exporter_drops {
	uint64_t drops; /* 0: an empty slot */
	struct ofd_ip addr;
};

struct ofd_exporter_drop_table {
	uint64_t other; /* drops of exporters without a slot (or evicted from one) */
	struct ofd_exporter_drops slot[OFD_EXPORTER_DROP_SLOTS];
};

/* Add n drops of exporter a. */
void ofd_exporter_drops_add(struct ofd_exporter_drop_table *t, const struct ofd_ip *a, uint64_t n);

/* Add every slot of src (and its other) into dst. */
void ofd_exporter_drops_merge(struct ofd_exporter_drop_table *dst, const struct ofd_exporter_drop_table *src);

struct ofd_decode_stats {
	uint64_t datagrams;
	uint64_t records;
	uint64_t datagrams_by_type[5]; /* index: enum ofd_flow_type */
	uint64_t records_by_type[5];
	uint64_t templates; /* template records accepted (incl. refreshes) */
	uint64_t options_templates;
	uint64_t template_withdrawals;
	uint64_t templates_expired;
	uint64_t templates_loaded; /* templates and options templates restored from a state file */
	uint64_t options_records;  /* options data records consumed (sampling etc.) */
	uint64_t sflow_counter_samples;
	uint64_t drops[OFD_DROP__COUNT];
	/* gauges: the template cache now, updated by ofd_decode_stats_refresh() (ofd_decode() calls
	   it after every v9/IPFIX datagram) */
	uint64_t templates_active;	   /* templates and options templates held */
	uint64_t options_templates_active; /* of which options templates */
	uint64_t template_exporters_active;
	/* the template budgets: exporters evicted, templates refused */
	uint64_t template_evictions[OFD_TMPL_BUDGET__COUNT][OFD_TMPL_EVICT__COUNT];
	uint64_t template_refusals[OFD_TMPL_BUDGET__COUNT][OFD_TMPL_REFUSE__COUNT];
	/* the decoder's drops (not the sockets' or capture files') by exporter */
	struct ofd_exporter_drop_table by_exporter;
};

struct ofd_decoder {
	struct ofd_decode_limits lim;
	struct ofd_decode_stats st;
	struct ofd_tmpl_cache *tc;
	struct ofd_ratelimit rl; /* log limiter for malformed-input messages */
	/* the datagram being decoded (ofd_decode_from) */
	uint8_t origin;	    /* enum ofd_origin, given to its records */
	uint8_t budget;	    /* enum ofd_tmpl_budget of its exporter's new templates */
	uint16_t hint;	    /* most records of a recent datagram (at most OFD_DECODE_HINT_MAX) */
	uint16_t hint_max;  /* most records of a datagram in this window */
	uint16_t hint_seen; /* datagrams with records in this window */
};

int ofd_decoder_new(struct ofd_decoder **out, const struct ofd_decode_limits *lim) OFD_MUST_CHECK;
void ofd_decoder_free(struct ofd_decoder *d);

/*
 * Decode one datagram, appending its records to b (flushing b when full). Returns the number
 * of records added, or a negative OFD_E* code; every failure is already counted under a drop
 * reason and logged at a rate limit. Records decoded before an error in a later set are kept.
 *
 * The records get provenance (include/ofd/flow.h): origin, and export_bytes = the datagram's
 * length / the records decoded from it (at least 1). A record handed on before its datagram is
 * done (b filled up in the middle) keeps export_bytes 0, unknown (it earns nothing); to make
 * that rare, b (when it has a `full` callback) is flushed first when it has less room than
 * recent datagrams needed (at most OFD_DECODE_HINT_MAX records).
 * When b carries source datagrams (b->dg, include/ofd/batch.h), the datagram is copied into it
 * before its records (b flushed first when its area is full, and it has a `full` callback; without
 * room it is not carried), then marked decoded or failed, and OFD_DGRAM_CONTROL when it carried
 * templates, options templates, withdrawals or options data.
 * New templates of the datagram's exporter go to `budget` (template.h). ofd_decode() is
 * ofd_decode_from() with OFD_ORIGIN_LOCAL and the main budget: for capture files and tests.
 */
int ofd_decode_from(struct ofd_decoder *d, const struct ofd_dgram *dg, enum ofd_origin origin,
		    enum ofd_tmpl_budget budget, struct ofd_batch *b);
int ofd_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);

#define OFD_DECODE_HINT_MAX (OFD_BATCH_CAP / 4)

/* For the format decoders: a new record of the datagram being decoded (ofd_batch_add, with
   its origin; export_bytes is set when the datagram is done). */
static inline struct ofd_flow *ofd_decode_add(struct ofd_decoder *d, struct ofd_batch *b)
{
	struct ofd_flow *f = ofd_batch_add(b);
	f->origin = d->origin;
	return f;
}

/* Per-format entry points, called by ofd_decode() after it looked at the version field. */
int ofd_nf5_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);
int ofd_nf9_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);
int ofd_ipfix_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);
int ofd_sflow5_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);

/* Count a drop and log it (rate-limited) with the exporter's address. Returns `err`. */
int ofd_decode_drop(struct ofd_decoder *d, const struct ofd_dgram *dg, enum ofd_drop why, int err,
		    const char *what);

/* Add every counter of src into dst (gauges too: several decoders' caches add up); for inputs
   that run several decoders and report them as one. */
void ofd_decode_stats_add(struct ofd_decode_stats *dst, const struct ofd_decode_stats *src);

/* Set the template gauges of d->st from the cache; for whoever changes the cache other than by
   ofd_decode() (a template state restored at start). */
void ofd_decode_stats_refresh(struct ofd_decoder *d);

/* The sum of all drop reasons. */
uint64_t ofd_decode_drops_total(const struct ofd_decode_stats *st);

/* Print the counters (non-zero drops only) to stderr. */
void ofd_decode_stats_print(const struct ofd_decode_stats *st, const char *prefix);

#endif
