/*
 * The pipeline engine: builds segment instances from a loaded config and runs them.
 *
 * Threads. Each input instance runs start() in its own thread and appends to its own batch;
 * a full batch is handed on by taking a free batch from a bounded pool (waiting while the pool
 * is empty: back-pressure, counted as queue-full waits), swapping stores with it and pushing it
 * into the first stage's ring. The other segments are compiled into a flat list of operations
 * (segment, blocking hand-off, branch begin/then/else/end) run by stage workers in config
 * order; the last stage returns the batch to the pool. Without `jobs` there is one stage and one
 * worker thread. A segment with OFD_SEGF_PARALLEL and `jobs: N` (N > 1) is a stage of its own
 * with N workers, worker i calling instance i on whole batches; the next stage puts the batches
 * back in their original order (sequence numbers; at most pool-size batches are in flight, so a
 * pool-sized reorder table never collides), so the order of records is kept everywhere.
 * Every ring holds the whole pool, so only the pool (and a blocking segment's copies) ever
 * waits. A segment with OFD_SEGF_BLOCKING runs in its own thread behind a bounded ring of
 * private batches: the worker copies the live records into a free one (waiting, counted, when
 * none is free) and goes on with the original at once; the copy's fate does not change the main
 * stream (a blocking segment cannot drop records for the segments after it).
 *
 * Branches: at `begin` the live mask is saved; after `if` the survivors are saved and `then`
 * runs on them; before `else` then's survivors are saved and the live mask becomes the flows
 * that `if` dropped; at `end` then's survivors are OR-ed back in. The masks travel with the
 * batch (one set per branch, allocated with the pool), so branches nest and stages may split
 * them.
 *
 * tick(now) runs about every tick_ns (100 ms) in the thread that runs the instance's process(),
 * and once more after that thread drained its input. With opts.inline_run (pipeline_inline.c)
 * every segment runs in the thread of the input that filled the batch, one batch at a time, and
 * ticks come from a ticker thread; never concurrently with a process(). fini() runs for every instance in
 * config order on the thread that calls ofd_pipeline_finish(), after all threads are joined.
 *
 * Counters: per config entry in (live records entering), out (leaving), dropped (in - out) and
 * the type's own counters; for inputs the records handed on and decoder statistics; for the
 * engine batches and queue-full waits. A branch entry counts the flows entering and leaving the
 * whole branch, so the top-level entries' drops add up to the pipeline's.
 */
#ifndef OFD_PIPELINE_H
#define OFD_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/ring.h"
#include "ofd/metrics.h"
#include "ofd/segment.h"

struct ofd_registry;
struct ofd_pipeline;

struct ofd_pipeline_opts {
	unsigned pool_batches;	   /* batches between inputs and segments; 0: 16 */
	unsigned blocking_batches; /* copies queued per blocking segment; 0: 4 */
	uint64_t tick_ns;	   /* 0: 100 ms */
	/* called by a thread about to wait for a free batch (pool or blocking copies) */
	ofd_ring_wait_fn on_queue_wait;
	void *on_queue_wait_ctx;
	/* run every segment in the thread of the input that filled the batch, one batch at a time
	   (pipeline_inline.c): for batch commands (dump, -f) where one thread per record is the
	   cheapest; ignored when a segment has jobs > 1 */
	int inline_run;
	/* `overflowd -n N`: the `workers` of every input whose config map takes that key and whose
	   config does not give it (YAML text, "0": one per core); NULL: the inputs' own default */
	const char *input_workers;
};

/*
 * Build every instance of cfg (resolving names in reg, checking flags and `jobs`, applying each
 * config map into fresh state). Nothing is opened: init() is not called. On error returns
 * OFD_ECONFIG (or -ENOMEM) with "FILE:LINE: segment NAME: key KEY: reason" in err. `file` is the
 * config's name for messages; reg and cfg must outlive the pipeline. opts may be NULL.
 */
int ofd_pipeline_new(struct ofd_pipeline **out, const struct ofd_registry *reg,
		     const struct ofd_cfg_pipeline *cfg, const char *file,
		     const struct ofd_pipeline_opts *opts, char *err, size_t errlen) OFD_MUST_CHECK;

/*
 * init() every instance in config order. If one fails, fini() runs for it and every instance
 * before it, in reverse order, and the error ("FILE:LINE: segment NAME: init failed: reason")
 * is in err; the pipeline can then only be freed.
 */
int ofd_pipeline_init(struct ofd_pipeline *p, char *err, size_t errlen) OFD_MUST_CHECK;

/* Start the workers, the blocking segments' threads, then the inputs. */
int ofd_pipeline_start(struct ofd_pipeline *p) OFD_MUST_CHECK;

/* Wait up to timeout_ms for every input to return from start(); 1 if they all did. */
int ofd_pipeline_wait(struct ofd_pipeline *p, unsigned timeout_ms);

/* Ask the inputs to stop (ofd_segment_stopping() becomes true). Any thread; not a signal handler. */
void ofd_pipeline_stop(struct ofd_pipeline *p);

/*
 * Stop, wait for the inputs to return (their partly filled batches are flushed), drain every
 * ring, run the final ticks, join all threads and fini() every instance in config order.
 * Returns 0, or the first error an input's start() returned.
 */
int ofd_pipeline_finish(struct ofd_pipeline *p);

void ofd_pipeline_free(struct ofd_pipeline *p);

/* The counters, one line per config entry (nested entries indented), then the engine's. */
void ofd_pipeline_print(struct ofd_pipeline *p, FILE *f);

struct ofd_seg_counters {
	uint64_t in, out, dropped;
	uint64_t queue_waits; /* blocking segments: waits for a free copy */
	unsigned nown;
	uint64_t own[OFD_SEGMENT_COUNTERS_MAX];
};

struct ofd_pipeline_totals {
	uint64_t in;	  /* records the inputs handed on (a diskbuffer's: once back from disk, or dropped) */
	uint64_t out;	  /* live records that left the last segment */
	uint64_t dropped; /* in - out once finished */
	uint64_t batches;
	uint64_t queue_waits; /* inputs waiting for a free batch */
};

/* Entries in config order, depth first (a branch, then its if, then, else entries). */
size_t ofd_pipeline_entries(const struct ofd_pipeline *p);
const char *ofd_pipeline_entry_name(const struct ofd_pipeline *p, size_t i);
void ofd_pipeline_entry_counters(struct ofd_pipeline *p, size_t i, struct ofd_seg_counters *c);
void ofd_pipeline_totals(struct ofd_pipeline *p, struct ofd_pipeline_totals *t);

/*
 * Metrics of the segments (include/ofd/metrics.h) into the table t (core/metric_table.h): every
 * initialised instance's collect() with t's sink (its segment set to the entry's label first:
 * its name, or NAME#2, NAME#3... for a later entry of the same name), and the last values of
 * finished ones. Any thread, from ofd_pipeline_new() until ofd_pipeline_free() (not concurrently
 * with it); an instance being finished is skipped, never called during its fini().
 */
struct ofd_metric_table;
void ofd_pipeline_collect(struct ofd_pipeline *p, struct ofd_metric_table *t);

/* The label of entry i in metrics (see above); buf holds OFD_PIPELINE_LABEL_MAX bytes. */
#define OFD_PIPELINE_LABEL_MAX 128
void ofd_pipeline_entry_label(const struct ofd_pipeline *p, size_t i, char *buf);

/*
 * A consistent snapshot of every entry's counters and the totals, for exposition: read
 * downstream before upstream (the pipeline's out, the entries from the last to the first, each
 * out before its dropped and in, then the pipeline's in), so that one snapshot never shows more
 * leaving a point than entering it. c has ofd_pipeline_entries() elements.
 */
void ofd_pipeline_snapshot(struct ofd_pipeline *p, struct ofd_seg_counters *c, struct ofd_pipeline_totals *t);

/* Queue depths, once the pipeline started (0 before: the rings do not exist yet). */
struct ofd_pipeline_queues {
	int ready;		/* the pipeline started: the figures below are real */
	size_t pool, pool_free; /* batches of the pool, and of them free */
	size_t stages;		/* stages; depth of each with ofd_pipeline_stage_depth() */
};
void ofd_pipeline_queues(struct ofd_pipeline *p, struct ofd_pipeline_queues *q);
size_t ofd_pipeline_stage_depth(struct ofd_pipeline *p, size_t stage);

/* Entry i's kind, and whether it is a blocking segment with a queue of copies (depth in *depth). */
int ofd_pipeline_entry_is_input(const struct ofd_pipeline *p, size_t i);
int ofd_pipeline_entry_queue(struct ofd_pipeline *p, size_t i, size_t *depth);

/* ---- Engine internals, shared by the engine's files only. ---- */

#include <pthread.h>
#include <stdatomic.h>

struct pl_entry;

struct ofd_segment {
	const struct ofd_segment_type *type;
	struct pl_entry *entry;
	struct ofd_pipeline *p;
	void *state;
	int applied; /* config written into state: released at free */
	int inited;  /* init() called: fini() due */
	/* inputs */
	struct ofd_batch *ibatch;
	pthread_t thread;
	int started;
	int collectable;    /* between a successful init() and fini(): collect() may run (under p->mmu) */
	int stop_requested; /* without a pipeline (a harness instance): ofd_segment_stop_pipeline() */
	int draining;	    /* in process() on a drain batch (OFD_SEGF_EMITS) */
	uint64_t handed;    /* inputs: the pipeline's sequence after the last batch handed on */
	/* segment-owned background threads (ofd_segment_spawn) */
	pthread_mutex_t bgmu;
	pthread_cond_t bgcv;
	int bg_stop;
	unsigned nbg;
	struct pl_bg {
		pthread_t thread;
		ofd_segment_thread_fn fn;
		void *arg;
		struct ofd_segment *seg;
	} bg[OFD_SEGMENT_THREADS];
};

/* One config entry (a branch too): its instances (jobs of them) and counters. */
struct pl_entry {
	const char *name;
	const char *file;
	unsigned line;
	unsigned depth;			     /* branch nesting */
	const struct ofd_segment_type *type; /* NULL: branch */
	unsigned jobs;
	int bypass; /* branch: `bypass-messages`, every flow that entered leaves it */
	unsigned ncounters;
	struct ofd_segment *inst;
	_Atomic uint64_t in, out;
	_Atomic uint64_t dropped; /* in - out, added at once per batch: never seen to go back */
	_Atomic uint64_t own[OFD_SEGMENT_COUNTERS_MAX];
	/* blocking segments: copies go through queue, come back through free */
	int blocking;
	struct ofd_ring queue, free;
	struct ofd_batch *copies;
	uint64_t *copy_seq; /* the sequence number of the batch each copy came from */
	/* the sequence after the last copy queued and after the last one processed: when equal,
	   nothing waits here (ofd_segment_done) */
	_Atomic uint64_t handed, processed;
	pthread_t thread;
	int started;
	/* the last values of finished instances' metrics, so they outlive fini() (under p->mmu) */
	struct ofd_metric_table *final;
};

/* An input's batch is full: hand it to the pipeline (the batch's `full` callback). */
void ofd_pipeline_input_full(struct ofd_batch *b, void *ctx);

/* Take an instance out of metrics, keeping its last values for the entry (before its fini). */
void ofd_pl_collect_final(struct ofd_segment *s);

/* Stop and join an instance's background threads (before its fini). */
void ofd_pl_bg_join(struct ofd_segment *s);

/* Entry i in config order, or NULL. */
struct pl_entry *ofd_pipeline_entry_at(struct ofd_pipeline *p, size_t i);

#endif
