/*
 * The receiver's store: verified tracers in SQLite (WAL mode), with per-key history, duplicate
 * suppression, retention, a disk budget and hourly quotas. Schema and migrations live in store.c; the schema
 * version is kept in PRAGMA user_version and checked at open (a newer one is refused).
 */
#ifndef OFD_RECEIVER_STORE_H
#define OFD_RECEIVER_STORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"
#include "ofd/flow.h"
#include "tracer/tracer.h"

struct ofd_store;

int ofd_store_open(struct ofd_store **out, const char *path, char *err, size_t errlen) OFD_MUST_CHECK;

/*
 * Store one verified tracer: m from ofd_tracer_verify (its doc when set, else the signed bytes
 * parsed again here for the flow's fields; m->transport how it came), sender = who sent it,
 * recv_ns = when. The signed bytes and the signature are stored, once; raw (the line as
 * received) is only checked for its length. Returns 1 when stored, 0 for a duplicate (same key
 * and signed bytes: counted, not stored again), or a negative error: OFD_STORE_FULL (-ENOSPC)
 * over the disk budget, OFD_STORE_QUOTA (-EDQUOT) over the key's or the sender network's hourly
 * quota (duplicates are never refused for either), OFD_EFORMAT for SQLite errors. Updates the
 * key's history in the same transaction.
 */
#define OFD_STORE_FULL	(-ENOSPC)
#define OFD_STORE_QUOTA (-EDQUOT)

int ofd_store_add(struct ofd_store *s, const struct ofd_tracer_msg *m, const char *raw, size_t rawlen,
		  const struct ofd_ip *sender, uint64_t recv_ns);

/* Delete tracers older than max_age_s (0: no limit), beyond max_rows newest (0: no limit) and
   the oldest while the database uses more than OFD_STORE_PRUNE_MARK of the limits' max_size, in
   small steps; then the key history (keys, their networks and contacts) of the keys, networks
   and contacts no stored tracer has any more. Returns the tracers deleted. */
int64_t ofd_store_prune(struct ofd_store *s, uint64_t now_s, uint64_t max_age_s, uint64_t max_rows);

void ofd_store_close(struct ofd_store *s);

/* Open for reading only (readonly = 1: the CLI's listings; no schema change, and a schema other
   than the code's is refused) or as ofd_store_open (readonly = 0). */
int ofd_store_open_mode(struct ofd_store **out, const char *path, int readonly, char *err,
			size_t errlen) OFD_MUST_CHECK;

/* The connection, for the queries (query.h). Not thread-safe: one user at a time. */
struct sqlite3 *ofd_store_db(struct ofd_store *s);

struct ofd_store_stats {
	uint64_t stored;	 /* tracers stored */
	uint64_t duplicates;	 /* tracers already stored (counted on the stored row and the key) */
	uint64_t errors;	 /* ofd_store_add failures (SQLite errors) */
	uint64_t pruned;	 /* rows removed by retention */
	uint64_t full;		 /* refused: over the disk budget */
	uint64_t quota_key;	 /* refused: the key's hourly quota */
	uint64_t quota_net;	 /* refused: the sender network's hourly quota */
	uint64_t history_pruned; /* key history rows removed with their tracers */
};

/*
 * The disk budget and the quotas (all 0: none, the state after open). max_size: the bytes the
 * database's pages in use may take (its file does not grow much beyond: freed pages are reused;
 * the WAL adds up to about 4 MiB, truncated to 8 MiB after checkpoints); an add at or over it,
 * or with less than min_free bytes free on the database's filesystem, is OFD_STORE_FULL, and
 * ofd_store_prune deletes the oldest tracers down to OFD_STORE_PRUNE_MARK of it. key_hour,
 * net_hour: tracers stored per key, per sender network (/24, /48), per hour of recv_ns.
 */
struct ofd_store_limits {
	uint64_t max_size;
	uint64_t min_free;
	uint32_t key_hour;
	uint32_t net_hour;
};

#define OFD_STORE_PRUNE_MARK 0.9

void ofd_store_set_limits(struct ofd_store *s, const struct ofd_store_limits *lim);

/* 1 when the database uses more than OFD_STORE_PRUNE_MARK of max_size (as last measured): the
   writer prunes at its next commit instead of its interval. */
int ofd_store_wants_prune(const struct ofd_store *s);

/*
 * Batching, for throughput: ofd_store_add calls between ofd_store_begin and ofd_store_commit
 * share one transaction (each add still all-or-nothing, through a savepoint); an add's result
 * stands once the commit succeeded (a failed commit rolls every add of the batch back: they are
 * then counted as errors, not as stored). Measured: about
 * 13,500 adds/s one transaction each, 25,000-28,000/s in batches of 100-1000. Commit at least every few
 * milliseconds so that readers see new rows and ofd_store_prune (which must not run inside a batch) gets its
 * turn. 0, OFD_STORE_FULL (the disk filled up: the batch is rolled back) or OFD_EFORMAT (begin inside a
 * batch, commit outside one, or another SQLite error: the batch is then rolled back).
 */
int ofd_store_begin(struct ofd_store *s);
int ofd_store_commit(struct ofd_store *s);

void ofd_store_get_stats(const struct ofd_store *s, struct ofd_store_stats *st);

/* The network a sender is counted under: "a.b.c.0/24" for IPv4, "x:y:z::/48" for IPv6, "" for
   an address without a family. Returns the length or OFD_ELIMIT. */
int ofd_store_network(const struct ofd_ip *a, char *buf, size_t cap);

#endif
