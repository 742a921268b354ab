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

struct ofd_tmpl_cache;

/* One received export datagram. */
struct ofd_dgram {
	const uint8_t *data;
	size_t len;
	struct ofd_ip src; /* the exporter's address as seen by us */
	uint16_t src_port;
	uint64_t time_ns; /* receive time (capture time for files) */
};

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

struct ofd_decode_stats {
	uint64_t datagrams;
	uint64_t records;
	uint64_t datagrams_by_type[5]; /* index: enum ofd_flow_type */
	uint64_t records_by_type[5];
	uint64_t templates; /* template records accepted (incl. refreshes) */
	uint64_t options_templates;
	uint64_t template_withdrawals;
	uint64_t templates_expired;
	uint64_t options_records; /* options data records consumed (sampling etc.) */
	uint64_t sflow_counter_samples;
	uint64_t drops[OFD_DROP__COUNT];
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

/* The sum of all drop reasons. */
uint64_t ofd_decode_drops_total(const struct ofd_decode_stats *st);

/* Print the counters (non-zero drops only) to stderr. */
void ofd_decode_stats_print(const struct ofd_decode_stats *st, const char *prefix);

#endif
