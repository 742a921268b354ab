/*
 * The segment contract: everything a built-in or custom segment needs (with flow.h, batch.h,
 * cfg.h, err.h, log.h, metrics.h, stats.h). A custom segment is a shared object loaded with `-p FILE.so`
 * that exports `const struct ofd_segment_type *ofd_segments[]` (NULL-terminated), each with
 * abi == OFD_SEGMENT_ABI; a mismatch is refused at load.
 *
 * Lifecycle, all in the order of the config: the core zeroes `state_size` bytes, writes the
 * config keys into them, calls init(); inputs then get start() in their own thread; flow,
 * enrich, analyze and output segments get process() for every batch and tick() about every
 * 100 ms of wall time; fini() at the end (also after a failed init: it must tolerate a half-done
 * init). An instance's callbacks are never called concurrently, except collect() (metrics.h);
 * it keeps no mutable globals and no pointer into a batch after process() returns.
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
#include "metrics.h"
#include "stats.h"

#define OFD_SEGMENT_ABI 2

/* The first members of every descriptor: { OFD_SEGMENT_VERSION, .name = "...", ... }. */
#define OFD_SEGMENT_VERSION .abi = OFD_SEGMENT_ABI, .layout = OFD_SEGMENT_LAYOUT

/*
 * The layouts a module compiles in and shares with the core: the flow record (OFD_FLOW_LAYOUT),
 * the batch (its inline functions, capacity and arena), the config key and metric descriptors.
 * Any change to one of them changes this constant, and a module built with another is refused.
 */
#define OFD_SEGMENT_LAYOUT                                                                                   \
	((uint32_t)(OFD_FLOW_LAYOUT ^ (uint32_t)sizeof(struct ofd_batch) * 2654435761u ^                     \
		    (uint32_t)offsetof(struct ofd_batch, arena) << 7 ^                                       \
		    (uint32_t)sizeof(struct ofd_cfg_key) << 13 ^ (uint32_t)sizeof(struct ofd_metric) << 19 ^ \
		    (uint32_t)OFD_METRIC_LABELS_MAX << 27))

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
	OFD_SEGF_EMITS = 1 << 2,    /* process() may add records (a flow cache): see below */
	OFD_SEGF_DGRAMS = 1 << 3,   /* process() reads the batch's source datagrams (b->dg, batch.h):
				       the engine has the inputs' decoders carry them, and calls it
				       also on batches with datagrams but no live records; not with
				       OFD_SEGF_BLOCKING (a copy carries no datagrams) */
};

/*
 * OFD_SEGF_EMITS: process() may add records to the batch it is given: into the slots of records
 * it took out of that batch in the same call, and after b->n up to OFD_BATCH_CAP (setting their
 * live bits and b->n; strings only in the batch's arena or in text that outlives the pipeline).
 * The engine also calls it with batches without records, which other segments do not see:
 * while running, a "flush" batch about every 10 ticks (1 s), so that what it holds can leave
 * when no records come; and when the inputs have returned, "drain" batches, with
 * ofd_segment_draining() true, until a round in which no such segment added a record, so that
 * it empties itself into them, a batch at a time. Not for inputs and blocking segments (the
 * registry refuses them: a blocking segment's records are copies that go nowhere), nor inside
 * a branch's `if`.
 */

#define OFD_SEGMENT_COUNTERS_MAX 8

struct ofd_segment; /* an instance, owned by the core */

struct ofd_segment_type {
	uint32_t abi;	 /* OFD_SEGMENT_ABI (set both with OFD_SEGMENT_VERSION) */
	uint32_t layout; /* OFD_SEGMENT_LAYOUT: a module built with other layouts is refused */
	const char *name;
	enum ofd_segment_kind kind;
	unsigned flags;
	const char *summary;		  /* one line for --help and the README */
	size_t state_size;		  /* private state, zeroed before config is applied */
	const struct ofd_cfg_key *config; /* NULL, or ends with a {NULL} key */
	/* names of the segment's own counters (drop reasons and the like), NULL-terminated;
	   at most OFD_SEGMENT_COUNTERS_MAX; printed on exit and SIGUSR1 beside in/out */
	const char *const *counters;
	/* optional: metric families of its own (include/ofd/metrics.h), ending with {NULL}, and the
	   callback that reports their values; collect() runs on another thread (see metrics.h) */
	const struct ofd_metric *metrics;
	void (*collect)(struct ofd_segment *seg, void *state, struct ofd_metric_sink *s);

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
OFD_API const char *ofd_segment_name(const struct ofd_segment *seg);

/* The config file path and the line of this segment's entry, for error messages. */
OFD_API const char *ofd_segment_file(const struct ofd_segment *seg);
OFD_API unsigned ofd_segment_line(const struct ofd_segment *seg);

/* Log as the instance: "FILE:LINE: segment NAME: message". */
OFD_API void ofd_seg_log(const struct ofd_segment *seg, enum ofd_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add n to the segment's own counter i (index into the type's `counters`). Thread-safe. */
OFD_API void ofd_segment_count(struct ofd_segment *seg, unsigned i, uint64_t n);

/* Inputs: true once the pipeline is stopping (SIGINT, SIGTERM, or a fatal error). */
OFD_API int ofd_segment_stopping(const struct ofd_segment *seg);

/* OFD_SEGF_EMITS segments, in process(): the batch is a drain batch (see OFD_SEGF_EMITS). */
OFD_API int ofd_segment_draining(const struct ofd_segment *seg);

/*
 * Inputs that acknowledge their source only once the records are through (at-least-once, e.g.
 * kafkaconsumer's offset commits). Every batch the pipeline takes gets the next number of one
 * sequence: ofd_segment_handed() is the number after the last batch this input handed on (read
 * it right after ofd_batch_flush(); 0 before the first), ofd_segment_done() the number below
 * which every batch has passed every segment, the blocking ones' own threads included (outputs
 * have written it). What an input handed on before noting H is through once done >= H. After
 * the pipeline has finished (in fini()) everything handed on is through. Without a pipeline (a
 * harness instance) both are 0.
 */
OFD_API uint64_t ofd_segment_handed(const struct ofd_segment *seg);
OFD_API uint64_t ofd_segment_done(const struct ofd_segment *seg);

/*
 * Such an input says so from its init() (ofd_segment_set_acking); then "through" must mean
 * written: outputs that buffer write out (or wait for delivery of) what a batch gave them before
 * process() returns when ofd_segment_acking() is true, so that a crash after the source was
 * acknowledged loses nothing. Otherwise they keep their own pace (flush on tick).
 */
OFD_API void ofd_segment_set_acking(struct ofd_segment *seg);
OFD_API int ofd_segment_acking(const struct ofd_segment *seg);

/*
 * An output that could not write or deliver what a batch gave it (call it from that batch's
 * process(), or from the thread that learned it while that batch was being processed): nothing
 * from that batch on counts as through any more (ofd_segment_done stops where it is), and the
 * pipeline stops, so that an acknowledging source keeps what was not written and gives it again
 * at the next start. Any thread; without a pipeline a no-op.
 */
OFD_API void ofd_segment_not_through(struct ofd_segment *seg);

/*
 * Background work a segment owns (feed refresh, pollers, delivery): ofd_segment_spawn() from
 * init() (or later) starts fn(seg, arg) in a thread of its own, at most OFD_SEGMENT_THREADS per
 * instance. The thread runs while the pipeline does and while it drains; it must return soon
 * after ofd_segment_thread_stopping() turns true, and may sleep with ofd_segment_thread_wait(),
 * which wakes at once when it does. Shutdown order: the inputs return, every stage drains, the
 * final tick() runs, then for each instance in config order its threads are told to stop and
 * joined (in the order spawned), its metrics are taken a last time (kept for the exit summary
 * and later scrapes; what fini() counts is not reported), and its fini() runs. A failed init()
 * gets the same: threads it spawned are joined before its fini(). Returns 0, OFD_ELIMIT, or a
 * negative errno from pthread_create.
 */
#define OFD_SEGMENT_THREADS 8
typedef void (*ofd_segment_thread_fn)(struct ofd_segment *seg, void *arg);
OFD_API int ofd_segment_spawn(struct ofd_segment *seg, ofd_segment_thread_fn fn, void *arg) OFD_MUST_CHECK;
OFD_API int ofd_segment_thread_stopping(const struct ofd_segment *seg);
/* Sleep up to ns nanoseconds, or until the threads are told to stop; returns stopping. */
OFD_API int ofd_segment_thread_wait(struct ofd_segment *seg, uint64_t ns);

/*
 * Ask the pipeline to stop, as SIGINT/SIGTERM does (e.g. a segment that has seen enough: limit):
 * the inputs see ofd_segment_stopping() and return; what is already on its way still reaches
 * every segment, so a segment that wants no more records must drop them itself. Any segment,
 * any thread, any number of times.
 */
OFD_API void ofd_segment_stop_pipeline(struct ofd_segment *seg);

/*
 * Reloading data files (prefix lists, databases): SIGHUP, or a test, calls ofd_reload_request(),
 * which only counts up a process-wide generation (async-signal-safe). A segment that reloads
 * compares ofd_reload_generation() with the one it last saw (in tick() or its own thread), builds
 * the new table aside and swaps it in whole; on a failure it logs why and keeps the old one. The
 * pipeline itself is not rebuilt (issue 20 does that).
 */
OFD_API void ofd_reload_request(void);
OFD_API uint64_t ofd_reload_generation(void);

/*
 * Inputs: the batch to append records to (with ofd_batch_add, or by handing it to a decoder).
 * When it fills up it is passed to the pipeline by itself, waiting while the pipeline's queue is
 * full (back-pressure, counted); ofd_input_flush() passes a partly filled batch on now (call it
 * when the source goes idle, so that records are not held back).
 */
OFD_API struct ofd_batch *ofd_input_batch(struct ofd_segment *seg);
OFD_API void ofd_input_flush(struct ofd_segment *seg);

/* Inputs that run threads of their own (the udp input's workers): set up b as a further batch
   of this input, for one such thread; full batches go on as ofd_input_batch()'s do. The thread
   flushes it (ofd_batch_flush) before start() returns. */
OFD_API void ofd_input_batch_init(struct ofd_segment *seg, struct ofd_batch *b);

#endif
