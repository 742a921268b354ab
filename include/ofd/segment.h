/*
 * The segment contract: everything a built-in or custom segment needs (with flow.h, batch.h,
 * cfg.h, err.h, log.h, stats.h). A custom segment is a shared object loaded with `-p FILE.so`
 * that exports `const struct ofd_segment_type *ofd_segments[]` (NULL-terminated), each with
 * abi == OFD_SEGMENT_ABI; a mismatch is refused at load.
 *
 * Lifecycle, all in the order of the config: the core zeroes `state_size` bytes, writes the
 * config keys into them, calls init(); inputs then get start() in their own thread; flow,
 * enrich, analyze and output segments get process() for every batch and tick() about every
 * 100 ms of wall time; fini() at the end (also after a failed init: it must tolerate a half-done
 * init). An instance is never called concurrently and keeps no mutable globals; it keeps no
 * pointer into a batch after process() returns.
 */
#ifndef OFD_SEGMENT_H
#define OFD_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "batch.h"
#include "cfg.h"
#include "err.h"
#include "flow.h"
#include "log.h"
#include "stats.h"

#define OFD_SEGMENT_ABI 1

enum ofd_segment_kind {
	OFD_SEG_INPUT,
	OFD_SEG_FLOW,	 /* filters, branch, field policies */
	OFD_SEG_ENRICH,	 /* adds data to records */
	OFD_SEG_ANALYZE, /* windows, aggregates, tracers */
	OFD_SEG_OUTPUT,	 /* writes records somewhere; passes them on unchanged */
};

/* Flags of a segment type. */
enum {
	OFD_SEGF_BLOCKING = 1 << 0, /* process() may block (files, network): the core runs it in its
				       own thread behind a bounded queue, on a copy of the live
				       records; the original batch goes on at once */
	OFD_SEGF_PARALLEL = 1 << 1, /* stateless per record: `jobs: N` may run N instances */
};

#define OFD_SEGMENT_COUNTERS_MAX 8

struct ofd_segment; /* an instance, owned by the core */

struct ofd_segment_type {
	uint32_t abi; /* OFD_SEGMENT_ABI */
	const char *name;
	enum ofd_segment_kind kind;
	unsigned flags;
	const char *summary;		  /* one line for --help and the README */
	size_t state_size;		  /* private state, zeroed before config is applied */
	const struct ofd_cfg_key *config; /* NULL, or ends with a {NULL} key */
	/* names of the segment's own counters (drop reasons and the like), NULL-terminated;
	   at most OFD_SEGMENT_COUNTERS_MAX; printed on exit and SIGUSR1 beside in/out */
	const char *const *counters;

	/* optional: validate the applied config without opening anything (run by --check and at
	   start, before any init); on error write the reason into err and return OFD_ECONFIG */
	int (*check)(const void *state, char *err, size_t errlen);
	/* after config is applied; return 0 or a negative OFD_E* (the start is refused) */
	int (*init)(struct ofd_segment *seg, void *state);
	/* inputs only: produce records until done (end of file) or ofd_segment_stopping() */
	int (*start)(struct ofd_segment *seg, void *state);
	/* everything else: look at, change, or drop (ofd_batch_kill) the live records */
	void (*process)(struct ofd_segment *seg, void *state, struct ofd_batch *b);
	/* optional: windows, timeouts, flushes; now_ns is wall-clock time */
	void (*tick)(struct ofd_segment *seg, void *state, uint64_t now_ns);
	/* optional: final flush and release; called once, also after a failed init */
	void (*fini)(struct ofd_segment *seg, void *state);
};

/* The instance's name as configured, for log messages. */
const char *ofd_segment_name(const struct ofd_segment *seg);

/* The config file path and the line of this segment's entry, for error messages. */
const char *ofd_segment_file(const struct ofd_segment *seg);
unsigned ofd_segment_line(const struct ofd_segment *seg);

/* Add n to the segment's own counter i (index into the type's `counters`). Thread-safe. */
void ofd_segment_count(struct ofd_segment *seg, unsigned i, uint64_t n);

/* Inputs: true once the pipeline is stopping (SIGINT, SIGTERM, or a fatal error). */
int ofd_segment_stopping(const struct ofd_segment *seg);

/*
 * Ask the pipeline to stop, as SIGINT/SIGTERM does (e.g. a segment that has seen enough: limit):
 * the inputs see ofd_segment_stopping() and return; what is already on its way still reaches
 * every segment, so a segment that wants no more records must drop them itself. Any segment,
 * any thread, any number of times.
 */
OFD_API void ofd_segment_stop_pipeline(struct ofd_segment *seg);

/*
 * Inputs: the batch to append records to (with ofd_batch_add, or by handing it to a decoder).
 * When it fills up it is passed to the pipeline by itself, waiting while the pipeline's queue is
 * full (back-pressure, counted); ofd_input_flush() passes a partly filled batch on now (call it
 * when the source goes idle, so that records are not held back).
 */
struct ofd_batch *ofd_input_batch(struct ofd_segment *seg);
void ofd_input_flush(struct ofd_segment *seg);

/* Inputs that run threads of their own (the udp input's workers): set up b as a further batch
   of this input, for one such thread; full batches go on as ofd_input_batch()'s do. The thread
   flushes it (ofd_batch_flush) before start() returns. */
void ofd_input_batch_init(struct ofd_segment *seg, struct ofd_batch *b);

/* Inputs: report decoder counters for the exit summary and metrics (may be called repeatedly
   with cumulative values). */
struct ofd_decode_stats;
void ofd_input_decode_stats(struct ofd_segment *seg, const struct ofd_decode_stats *st);

#endif
