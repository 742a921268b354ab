/*
 * A harness for segment tests, built-in and custom: one segment instance, configured the way
 * the engine configures it (a zeroed state, the `config:` text applied through the type's own
 * config map, so keys, defaults, types and bounds are exercised), then check() and init().
 *
 * Flow, enrich, analyze and output segments run synchronously: ofd_harness_process() calls
 * process() on a batch you built, in your thread, and returns when it does. Inputs need the
 * engine (their batches, back-pressure, stopping): ofd_harness_start() runs the input in a
 * real pipeline whose only other segment hands every batch of live records to your callback.
 *
 *   struct ofd_harness *h;
 *   char err[512];
 *   if (ofd_harness_new(&h, &my_type, "{threshold: 10}", err, sizeof(err)) != 0) ...fail(err)
 *   struct ofd_batch *b = ofd_harness_batch(h, 3);  // three zeroed live records
 *   ... fill b->flows[0..2] ...
 *   ofd_harness_process(h, b);
 *   assert(ofd_batch_live_count(b) == 1 && ofd_harness_counter(h, "dropped_small") == 2);
 *   ofd_harness_free(h);                             // fini(), then the config is released
 *
 * Errors are written to err as the engine writes them ("test.yml:1: segment NAME: key KEY:
 * reason"); the instance is named after its type, in file "test.yml" at line 1.
 */
#ifndef OFD_HARNESS_H
#define OFD_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "segment.h"

struct ofd_harness;

/*
 * Build and init one instance of t with config (YAML flow-map text on one line, such as
 * "{filter: proto udp}", or NULL for none). On error returns OFD_ECONFIG (a config key, or check()), or
 * init()'s error, with the reason in err; *out is then NULL and nothing is left to free.
 */
OFD_API int ofd_harness_new(struct ofd_harness **out, const struct ofd_segment_type *t, const char *config,
			    char *err, size_t errlen) OFD_MUST_CHECK;

/* fini(), background threads joined first; the config released. NULL: nothing. */
OFD_API void ofd_harness_free(struct ofd_harness *h);

/* The instance and its private state (the type's state struct). */
OFD_API struct ofd_segment *ofd_harness_segment(struct ofd_harness *h);
OFD_API void *ofd_harness_state(struct ofd_harness *h);

/* A batch of n zeroed live records (n <= OFD_BATCH_CAP), owned by the harness (valid until the
   next call or ofd_harness_free); for an OFD_SEGF_DGRAMS segment with an empty datagram area
   (add datagrams with ofd_batch_dgram_add, or by decoding into it). */
OFD_API struct ofd_batch *ofd_harness_batch(struct ofd_harness *h, uint32_t n);

/* Not inputs: process() on b, and tick() with a wall-clock time. */
OFD_API void ofd_harness_process(struct ofd_harness *h, struct ofd_batch *b);
OFD_API void ofd_harness_tick(struct ofd_harness *h, uint64_t now_ns);

/* OFD_SEGF_EMITS segments: process() on b as on a drain batch (ofd_segment_draining() is true);
   the engine sends them with no records when the inputs have returned. */
OFD_API void ofd_harness_drain(struct ofd_harness *h, struct ofd_batch *b);

/* Not inputs: whether the segment asked to stop the pipeline (ofd_segment_stop_pipeline). */
OFD_API int ofd_harness_stop_requested(struct ofd_harness *h);

/* The segment's own counter of that name (the type's `counters`); UINT64_MAX if none is. */
OFD_API uint64_t ofd_harness_counter(struct ofd_harness *h, const char *name);

/* The sum of the series of one of the type's metric families whose first label value is
   `value` (any, when NULL), as collect() reports them now; ofd_harness_metric_n also says how
   many series that sum covers (*nseries, when not NULL). */
OFD_API uint64_t ofd_harness_metric(struct ofd_harness *h, const char *family, const char *value);
OFD_API uint64_t ofd_harness_metric_n(struct ofd_harness *h, const char *family, const char *value,
				      size_t *nseries);

/*
 * Inputs: start the input in a pipeline; on_batch(ctx, b) is called for every batch in order,
 * on the pipeline's thread, with b's live records (read them, do not keep pointers). Then
 * ofd_harness_wait() until the input returned by itself (files), or ofd_harness_stop() to stop
 * it (sockets); both leave the instance for ofd_harness_counter/metric and ofd_harness_free.
 */
typedef void (*ofd_harness_batch_fn)(void *ctx, const struct ofd_batch *b);
OFD_API int ofd_harness_start(struct ofd_harness *h, ofd_harness_batch_fn on_batch, void *ctx) OFD_MUST_CHECK;
/* 1 once the input returned from start() (within timeout_ms), else 0. */
OFD_API int ofd_harness_wait(struct ofd_harness *h, unsigned timeout_ms);
/* Stop the input, drain the pipeline; returns the input's start() result. */
OFD_API int ofd_harness_stop(struct ofd_harness *h);

#endif
