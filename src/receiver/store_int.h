/*
 * The store's private state, shared by store.c (schema, adds, the disk budget) and prune.c
 * (retention and the key history's pruning). Not for other modules: they use store.h.
 */
#ifndef OFD_RECEIVER_STORE_INT_H
#define OFD_RECEIVER_STORE_INT_H

#include <sqlite3.h>

#include "receiver/keyhist.h"
#include "receiver/quota.h"
#include "receiver/store.h"

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVE,
	ST_RELEASE,
	ST_UNDO,
	ST_INSERT,
	ST_DUP,
	ST_PAGES,
	ST_FREE,
	ST__COUNT
};

struct ofd_store {
	sqlite3 *db;
	char *dir; /* the database's directory, for the free space */
	sqlite3_stmt *st[ST__COUNT];
	struct ofd_keyhist *kh; /* key history, written at each commit */
	struct ofd_quota *qkey, *qnet;
	struct ofd_store_limits lim;
	struct ofd_store_stats stats;
	int batch;	  /* inside ofd_store_begin .. ofd_store_commit: each add is a savepoint */
	int batch_failed; /* a write of the batch's key history failed: the commit rolls back */
	uint64_t pend_stored, pend_dups; /* the open batch's adds, counted in stats at its commit */
	/* the disk budget: the database's used bytes when last measured, adds since then, and the
	   free space of its filesystem (measured at most once a second) */
	uint64_t used, page_size, free_bytes, free_at_ns;
	unsigned since_measure;
	int full; /* over the budget at the last measure */
};

/* The database's used bytes (pages in use, not the free list); 0 when unknown. */
uint64_t ofd_store_used(struct ofd_store *s);

#endif
