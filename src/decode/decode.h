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
	uint32_t max_exporters; /* template-keeping exporters (addr, port, domain) */
	uint32_t max_templates_per_exporter;
	uint32_t max_templates_total;
	uint32_t max_fields;	     /* per template */
	uint32_t template_timeout_s; /* 0: never expire */
};

#define OFD_DECODE_LIMITS_DEFAULT                                                                            \
	{                                                                                                    \
		4096, 1024, 65536, 256, 1800                                                                 \
	}

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
	/* the decoder's drops (not the sockets' or capture files') by exporter */
	struct ofd_exporter_drop_table by_exporter;
};

struct ofd_decoder {
	struct ofd_decode_limits lim;
	struct ofd_decode_stats st;
	struct ofd_tmpl_cache *tc;
	struct ofd_ratelimit rl; /* log limiter for malformed-input messages */
};

int ofd_decoder_new(struct ofd_decoder **out, const struct ofd_decode_limits *lim) OFD_MUST_CHECK;
void ofd_decoder_free(struct ofd_decoder *d);

/*
 * Decode one datagram, appending its records to b (flushing b when full). Returns the number
 * of records added, or a negative OFD_E* code; every failure is already counted under a drop
 * reason and logged at a rate limit. Records decoded before an error in a later set are kept.
 */
int ofd_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b);

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
