/*
 * The pipeline engine's private types, shared by pipeline_build.c (configuration into
 * instances and operations) and pipeline.c (threads, running, counters). Not for segments.
 */
#ifndef OFD_PIPELINE_INT_H
#define OFD_PIPELINE_INT_H

#include "pipeline.h"

struct ofd_spill;

#define PL_POOL_DEFAULT	  16
#define PL_COPIES_DEFAULT 4
#define PL_TICK_DEFAULT	  (100u * 1000000u)
#define PL_WORDS	  (OFD_BATCH_CAP / 64)
#define PL_FLUSH_TICKS	  10 /* a flush batch for OFD_SEGF_EMITS segments every so many ticks */

/* Batches without records for OFD_SEGF_EMITS segments (pl_batch.drain): a flush while running,
   so that what they hold can leave in a pipeline without records; a drain at the end. */
enum { PL_FLUSH = 1, PL_DRAIN = 2 };

/* PL_BLOCK_TAIL: a blocking segment that is the last operation of all: its thread gets the
   batch's records themselves (stores swapped with a free copy), not a copy of them. */
enum pl_op_kind { PL_SEG, PL_BLOCK, PL_BLOCK_TAIL, PL_BEGIN, PL_THEN, PL_ELSE, PL_END };

struct pl_op {
	enum pl_op_kind kind;
	struct pl_entry *e;
	unsigned slot; /* branches: index of the branch's three saved masks */
};

/* A pool batch: the records, their sequence number, and the branch masks. */
struct pl_batch {
	struct ofd_batch b;
	uint64_t seq;
	uint64_t (*mask)[PL_WORDS]; /* 3 per branch: entry, if survivors, then survivors */
	int drain;		    /* PL_FLUSH, PL_DRAIN: OFD_SEGF_EMITS segments see it even empty */
};

struct pl_stage;

struct pl_worker {
	struct ofd_pipeline *p;
	struct pl_stage *st;
	unsigned idx; /* instance index in a parallel stage */
	pthread_t thread;
	int started;
};

/* A range of operations run by one worker, or by `jobs` workers for a parallel segment. */
struct pl_stage {
	size_t op0, op1;
	unsigned nworkers;
	int reorder; /* one worker after a parallel stage: put batches back in sequence */
	int last;
	struct ofd_ring in;
	struct pl_worker *w;
	struct pl_batch **park; /* reorder table, npool slots */
	uint64_t expect;
};

enum pl_phase { PL_BUILT, PL_INITED, PL_STARTED, PL_DONE };

struct ofd_pipeline {
	const char *file;
	const struct ofd_registry *reg;
	struct ofd_pipeline_opts o;
	struct pl_entry *e;
	size_t ne;
	struct pl_op *ops;
	size_t nops;
	unsigned nslots;
	size_t ninputs; /* input instances */
	struct pl_stage *st;
	size_t nst;
	struct pl_batch *pool;
	uint64_t (*masks)[PL_WORDS];
	size_t npool;
	struct ofd_ring free;
	int free_ok;
	enum pl_phase phase;
	_Atomic int stopping;
	_Atomic uint64_t seq, batches, rec_in, rec_out;
	/* ofd_segment_done(): batches below `done` have left the last stage; fin marks the ones
	   above it that have (in flight are at most npool, so seq % npool is their slot). pushmu
	   numbers a batch and queues it in one step, so that every single-worker stage and every
	   blocking segment's queue sees batches in sequence */
	pthread_mutex_t donemu, pushmu;
	_Atomic uint64_t done;
	_Atomic int acking;    /* an input acknowledges its source: outputs write out per batch */
	_Atomic uint64_t hold; /* ofd_pl_hold: `done` goes no higher (UINT64_MAX: no hold) */
	uint8_t *fin;
	_Atomic int rings_ready; /* the pool, stages and rings exist (set once, at start) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t mmu; /* collect() against fini(): guards every instance's collectable */
	unsigned inputs_running;
	int failed;
	/* drain batches (OFD_SEGF_EMITS): emitting entries, records they added, rounds done (mu) */
	unsigned nemit;
	_Atomic uint64_t drain_added;
	uint64_t drains_done;
	/* diskbuffer (pipeline_spill.c, core/spill.h): the entry, its spill once running threaded
	   (NULL: none, the one comparison on the input path), the reader thread; spillmu orders
	   the inputs' batches against the ones read back */
	struct pl_entry *spill_e;
	struct ofd_spill *spill;
	pthread_mutex_t spillmu;
	pthread_cond_t spillcv;
	pthread_t spill_thread;
	int spill_started;
	int spill_quit;	     /* under spillmu: 1 leave the rest on disk, 2 read everything back first */
	unsigned spill_held; /* under spillmu: batches dropped while the input acknowledges */
	/* source datagrams (OFD_SEGF_DGRAMS, batch.h): whether a segment reads them, and every
	   datagram area given to a batch (under mu; they move between batches, freed at the end) */
	int dgrams;
	struct ofd_dgrams **dgblk;
	size_t ndgblk, capdgblk;
	/* inline mode (pipeline_inline.c) */
	int inline_mode;
	pthread_mutex_t imu; /* one batch or one round of ticks at a time */
	pthread_cond_t icv;
	int ticker_stop, ticker_started;
	pthread_t ticker;
};

/* The empty config map of segment types that declare none. */
extern const struct ofd_cfg_key ofd_pl_no_keys[];

/* Inline mode: decide it at start (0, or a negative errno), hand a full input batch through every
   segment in the calling thread, stop the ticker and run the final ticks (at finish). */
int ofd_pl_inline_start(struct ofd_pipeline *p);
void ofd_pl_inline_full(struct ofd_pipeline *p, struct ofd_segment *in, struct ofd_batch *b);
void ofd_pl_inline_finish(struct ofd_pipeline *p);

/* Threaded mode: a flush batch into the first stage if one is free (stage 0's worker 0). */
void ofd_pl_flush(struct ofd_pipeline *p);

/* Inline mode: the drain rounds, after the final ticks (pipeline_inline.c). */
void ofd_pl_inline_drain(struct ofd_pipeline *p);

/* Number a batch and queue it into the first stage (pipeline.c); its number. */
uint64_t ofd_pl_push_first(struct ofd_pipeline *p, struct pl_batch *pb);

/* The at-least-once watermark (ofd_segment_done) of the pipeline. */
uint64_t ofd_pl_done(struct ofd_pipeline *p);

/* Nothing at or above limit is through any more, and the pipeline stops (a lost write). */
void ofd_pl_hold(struct ofd_pipeline *p, uint64_t limit);

/* diskbuffer (pipeline_spill.c): refuse it anywhere but directly after the inputs (at build);
   start its reader (threaded mode; a warning in inline mode); an input's full batch: to disk
   or on in order (1), or the normal path (0); the inputs have returned: stop the reader
   (`leave`: the rest stays on disk) or let it read everything back, and join it; everything
   is through: let the spill delete what it read. */
int ofd_pl_spill_place(struct ofd_pipeline *p, struct pl_entry *e, char *err, size_t errlen);
int ofd_pl_spill_start(struct ofd_pipeline *p);
int ofd_pl_spill_full(struct ofd_pipeline *p, struct ofd_segment *in, struct ofd_batch *b);
void ofd_pl_spill_stop(struct ofd_pipeline *p, int leave);
void ofd_pl_spill_through(struct ofd_pipeline *p);

/* Give b a datagram area when the pipeline carries source datagrams (pipeline.c). 0 or -ENOMEM. */
int ofd_pl_dgrams_give(struct ofd_pipeline *p, struct ofd_batch *b);

/* Run one operation on a batch (pipeline.c); idx is the worker's instance index. */
void ofd_pl_exec(const struct pl_op *op, struct pl_batch *pb, unsigned idx);

/* fini() every initialised instance: in config order, or in reverse from entry `from`. */
void ofd_pl_fini_all(struct ofd_pipeline *p, int reverse, size_t from);

#endif
