/*
 * The receiver's store writer: one thread owns the SQLite store and adds the verified tracers
 * that the verifying threads queue, in transactions of at most batch_max adds or batch_ms, and
 * prunes at its interval. Verification (a signature check per tracer) then never waits for the
 * database, and the database sees one writer with long transactions. The queue is bounded: a
 * full queue makes the verifying threads wait (and the sockets' buffers fill), it never grows;
 * ofd_writer_offer() never waits (HTTP threads: a full queue is answered 503 at once).
 * Each add's result goes to a callback in the writer thread (the listener's counters and the
 * HTTP answers) with the submitter's token, once it stands: after its transaction committed.
 */
#ifndef OFD_RECEIVER_WRITER_H
#define OFD_RECEIVER_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"
#include "receiver/store.h"
#include "tracer/tracer.h"

/* An add's result, once committed: 1 stored, 0 duplicate, < 0 store error (OFD_STORE_FULL
   -ENOSPC over the disk budget, OFD_STORE_QUOTA -EDQUOT over a quota (store.h), the commit's own
   error for every add of a transaction that failed to commit); token as
   submitted (NULL from ofd_writer_submit). */
typedef void (*ofd_writer_done_fn)(void *ctx, int rc, void *token);

struct ofd_writer_cfg {
	struct ofd_store *store; /* used by the writer thread alone until ofd_writer_stop */
	unsigned queue;		 /* slots (0: 256) */
	unsigned batch_max;	 /* adds per transaction (0: 512) */
	unsigned batch_ms;	 /* the longest a transaction stays open (0: 50) */
	uint64_t max_age_s;	 /* retention (0: none), checked every prune_every_s (0: 60), and
				    at most once a second while the store wants it (its size) */
	uint64_t max_rows;
	unsigned prune_every_s;
	ofd_writer_done_fn done; /* may be NULL */
	void *ctx;
};

struct ofd_writer;

int ofd_writer_start(struct ofd_writer **out, const struct ofd_writer_cfg *cfg) OFD_MUST_CHECK;

/* Queue a copy of a verified tracer (m from ofd_tracer_verify_doc); on success the writer has
   taken m->doc, the parsed signed bytes (not copied: the caller must not release them), on
   failure they stay the caller's. Waits while the queue is full. Thread-safe. 0, or OFD_EEOF
   once the writer is stopping. */
int ofd_writer_submit(struct ofd_writer *w, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		      const struct ofd_ip *sender, uint64_t recv_ns);

/* As ofd_writer_submit, but never waits: -EAGAIN when the queue is full (nothing taken). The
   result comes to the done callback with token. */
int ofd_writer_offer(struct ofd_writer *w, const struct ofd_tracer_msg *m, const char *raw, size_t len,
		     const struct ofd_ip *sender, uint64_t recv_ns, void *token);

/* The store's counters (store.h) as of the last commit or prune: published by the writer
   thread before the results of a commit are reported, so a done callback's tracer is counted.
   Thread-safe (while the writer runs, the store's own ofd_store_get_stats is not). */
void ofd_writer_stats(struct ofd_writer *w, struct ofd_store_stats *st);

/* Add everything queued, commit, stop the thread and free the writer (the store stays open). */
void ofd_writer_stop(struct ofd_writer *w);

#endif
