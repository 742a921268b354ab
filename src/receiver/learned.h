/*
 * Sealing keys learned from tracers we received: a key that signed tracers sent from one
 * network (/24 or /48), and no other key from there, in quantity, is taken to be that
 * network's own overflowd key, and tracers we send to addresses in that network are sealed to
 * it. The receiver's key history (receiver/store.h, table key_networks) is the source; this
 * lives with the receiver because it reads the receiver's tables (tracer/ includes nothing from
 * receiver/; the tracer segment and the CLI call it).
 */
#ifndef OFD_RECEIVER_LEARNED_H
#define OFD_RECEIVER_LEARNED_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "tracer/send.h"

#define OFD_LEARNED_MAX 4096 /* learned recipients at most (the busiest networks first) */

/*
 * The configured recipients conf[0..nconf) followed by the learned ones from the receiver
 * database db: every network from which exactly one key reported, at least min_count times.
 * *out is malloc'd (free() it; NULL when there are none), *n its length. Returns the number
 * learned, or a negative error with the reason in err (the database cannot be opened or read).
 */
int ofd_learned_recipients(const char *db, uint64_t min_count, const struct ofd_sender_recipient *conf,
			   size_t nconf, struct ofd_sender_recipient **out, size_t *n, char *err,
			   size_t errlen);

#endif
