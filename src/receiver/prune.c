/*
 * The store's retention (see store.h, ofd_store_prune): tracers by age, by rows and by the
 * database's size, then the key history that no stored tracer supports any more. Each DELETE
 * runs in steps of PRUNE_STEP rows, one transaction each, so that readers and the writer's
 * next batch are never held long.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "receiver/store_int.h"

#define PRUNE_STEP 1000

/* Run a DELETE with parameters ?1 arg and ?2 a LIMIT repeatedly (one transaction each) until it
   deletes fewer than asked or `budget` rows are gone; the rows deleted. */
static int64_t prune_loop(struct ofd_store *s, const char *sql, int64_t arg, int64_t budget)
{
	sqlite3_stmt *st;
	int64_t total = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return OFD_EFORMAT;
	while (budget > 0) {
		int64_t step = budget < PRUNE_STEP ? budget : PRUNE_STEP;
		sqlite3_bind_int64(st, 1, arg);
		sqlite3_bind_int64(st, 2, step);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			total = total ? total : OFD_EFORMAT;
			break;
		}
		int n = sqlite3_changes(s->db);
		total += n;
		budget -= n;
		if (n < step)
			break;
	}
	sqlite3_finalize(st);
	return total;
}

static int64_t count_rows(struct ofd_store *s)
{
	sqlite3_stmt *st;
	int64_t rows = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM tracers", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		rows = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rows;
}

static const char oldest_sql[] = "DELETE FROM tracers WHERE id IN (SELECT id FROM tracers WHERE ?1 = ?1"
				 " ORDER BY recv_ns, id LIMIT ?2)";

/* The oldest tracers beyond max_rows. */
static int64_t prune_rows(struct ofd_store *s, uint64_t max_rows)
{
	int64_t rows = count_rows(s);
	if (rows < 0)
		return OFD_EFORMAT;
	if (rows <= (int64_t)max_rows)
		return 0;
	return prune_loop(s, oldest_sql, 0, rows - (int64_t)max_rows);
}

/* The oldest tracers while the database uses more than the prune mark of max_size: as many as
   the average row's share of the bytes says, measured again after each round (at most 8). */
static int64_t prune_size(struct ofd_store *s)
{
	int64_t total = 0;
	double mark = OFD_STORE_PRUNE_MARK * (double)s->lim.max_size;
	for (int round = 0; round < 8; round++) {
		s->used = ofd_store_used(s);
		int64_t rows = count_rows(s);
		if ((double)s->used <= mark || rows <= 0)
			break;
		double per_row = (double)s->used / (double)rows;
		int64_t want = (int64_t)(((double)s->used - 0.9 * mark) / per_row) + 1;
		int64_t n = prune_loop(s, oldest_sql, 0, want < rows ? want : rows);
		if (n <= 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

/*
 * The key history of what is gone: keys without a tracer, (key, network) and (key, contact)
 * pairs no tracer has. A network row is matched by the tracers of its key (index tracers_key).
 */
static int64_t prune_history(struct ofd_store *s)
{
	static const char *const sql[] = {
	    "DELETE FROM keys WHERE rowid IN (SELECT rowid FROM keys k WHERE ?1 = ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM tracers t WHERE t.key = k.key) LIMIT ?2)",
	    "DELETE FROM key_networks WHERE (key, network) IN (SELECT key, network FROM key_networks n"
	    " WHERE ?1 = ?1 AND NOT EXISTS (SELECT 1 FROM tracers t WHERE t.key = n.key AND"
	    " t.sender_net = n.network) LIMIT ?2)",
	    "DELETE FROM key_contacts WHERE (key, contact) IN (SELECT key, contact FROM key_contacts c"
	    " WHERE ?1 = ?1 AND NOT EXISTS (SELECT 1 FROM tracers t WHERE t.key = c.key AND"
	    " t.contact = c.contact) LIMIT ?2)",
	};
	int64_t total = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		int64_t n = prune_loop(s, sql[i], 0, INT64_MAX);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

int64_t ofd_store_prune(struct ofd_store *s, uint64_t now_s, uint64_t max_age_s, uint64_t max_rows)
{
	int64_t total = 0, n;
	if (s->batch)
		return OFD_EFORMAT;
	if (max_age_s && max_age_s < now_s) {
		uint64_t cut = (now_s - max_age_s) * UINT64_C(1000000000);
		n = prune_loop(s,
			       "DELETE FROM tracers WHERE id IN (SELECT id FROM tracers WHERE recv_ns < ?1"
			       " ORDER BY recv_ns LIMIT ?2)",
			       cut > INT64_MAX ? INT64_MAX : (int64_t)cut, INT64_MAX);
		if (n < 0)
			return n;
		total += n;
	}
	if (max_rows && max_rows < INT64_MAX) {
		n = prune_rows(s, max_rows);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	if (s->lim.max_size) {
		n = prune_size(s);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	s->stats.pruned += (uint64_t)total;
	if (total > 0) {
		n = prune_history(s);
		if (n > 0)
			s->stats.history_pruned += (uint64_t)n;
	}
	return total;
}
