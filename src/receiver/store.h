/*
 * The receiver's store: verified tracers in SQLite (WAL mode), with per-key history, duplicate
 * suppression and retention. Schema and migrations live in store.c; the schema version is kept
 * in PRAGMA user_version and checked at open (a newer one is refused).
 */
#ifndef OFD_RECEIVER_STORE_H
#define OFD_RECEIVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"
#include "tracer/tracer.h"

struct ofd_store;

int ofd_store_open(struct ofd_store **out, const char *path, char *err, size_t errlen) OFD_MUST_CHECK;

/*
 * Store one verified tracer: m from ofd_tracer_verify (the signed bytes are parsed again here
 * for the flow's fields), raw = the line as received, sender = who sent it, recv_ns = when.
 * Returns 1 when stored, 0 for a duplicate (same key and signed bytes: counted, not stored
 * again), or a negative error. Updates the key's history in the same transaction.
 */
int ofd_store_add(struct ofd_store *s, const struct ofd_tracer_msg *m, const char *raw, size_t rawlen,
		  const struct ofd_ip *sender, uint64_t recv_ns);

/* Delete tracers older than max_age_s (0: no limit) and beyond max_rows newest (0: no limit),
   in small steps; returns the rows deleted. */
int64_t ofd_store_prune(struct ofd_store *s, uint64_t now_s, uint64_t max_age_s, uint64_t max_rows);

void ofd_store_close(struct ofd_store *s);

#endif
