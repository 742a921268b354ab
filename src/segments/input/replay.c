/*
 * replay: flowpipeline's `replay` input. Reads the table `flows` of a SQLite file written by a
 * `sqlite` output (ours or flowpipeline's: segments/common/sqlcols.h) back into the pipeline,
 * in time order (the first of TimeReceivedNs, TimeReceived, TimeFlowStartNs, TimeFlowStartMs,
 * TimeFlowStart the file has with a value other than 0; insertion order among equal times), either with the
 * original timing (each flow released when as much time has passed since the first one as between their
 * recorded times; the batch built so far is passed on before each wait) or, with
 * `ignoretiming: true`, as fast as the pipeline takes them. The input ends after the last row.
 *
 * The file is hostile: opened read-only; one that is not a SQLite database, has no table
 * `flows`, or no column this reader knows is refused at start with the reason. Columns it does
 * not know are ignored (named once in a warning). A row whose value does not fit its column
 * (text in a number column, a malformed address, a number out of range) is skipped and counted
 * (bad_rows, a rate-limited warning with its place in the replay order and the column); a read error in the
 * middle (a corrupt page) ends the input, counted (read_errors) and logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/fieldlist.h"
#include "segments/common/sqlcols.h"

#define REPLAY_WAIT_MAX_NS 100000000ull /* check stopping at least this often */
#define REPLAY_ROW_STRINGS (32 * 257)	/* arena a row's strings may take, at most */
#define REPLAY_VALUE_MAX   (64 * 1024)	/* bytes of a value (or row) SQLite may hand us */

enum { C_REPLAYED, C_BAD_ROWS, C_READ_ERRORS };
static const char *const counters[] = {"replayed", "bad_rows", "read_errors", NULL};

struct replay_state {
	char *filename;
	int ignoretiming;
	sqlite3 *db;
	sqlite3_stmt *sel;
	int ncols;
	struct ofd_sqlcol cols[OFD_FIELDLIST_MAX]; /* by result column; how TEXT: ignored */
	int time_col;				   /* result column of the order, -1: none */
	uint64_t time_mul;			   /* its ns per unit */
	struct ofd_ratelimit rl;
};

static const struct {
	const char *name;
	uint64_t mul;
} time_cols[] = {
    {"TimeReceivedNs", 1},	     {"TimeReceived", 1000000000ull},  {"TimeFlowStartNs", 1},
    {"TimeFlowStartMs", 1000000ull}, {"TimeFlowStart", 1000000000ull},
};

static int refuse(struct ofd_segment *seg, struct replay_state *s, const char *why)
{
	ofd_seg_log(seg, OFD_LOG_ERR, "%s: %s", s->filename, why);
	return OFD_EFORMAT;
}

/* A time column the writer filled: one row has a value other than 0 (a sqlite output that was
   not given the Ns fields writes them as 0; ordering by them would be insertion order). */
static int has_times(sqlite3 *db, const char *col)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM flows WHERE \"%s\" <> 0 LIMIT 1", col);
	sqlite3_stmt *q = NULL;
	int r = sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return r;
}
static int replay_init(struct ofd_segment *seg, void *state)
{
	struct replay_state *s = state;
	s->time_col = -1;
	int rc = sqlite3_open_v2(s->filename, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return refuse(seg, s, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	/* the file is hostile: no schema code we did not write (views, triggers, functions in its
	   schema), no value bigger than a record can hold, and `flows` must be a plain table (a
	   recursive view would replay for ever) */
	(void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	(void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	(void)sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, REPLAY_VALUE_MAX);
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(s->db, "SELECT type FROM sqlite_schema WHERE name = 'flows'", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		int table = rc == SQLITE_ROW && sqlite3_column_text(st, 0) &&
			    !strcmp((const char *)sqlite3_column_text(st, 0), "table");
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW && !table)
			return refuse(seg, s, "not a sqlite output's file: flows is not a table");
	}
	rc = sqlite3_prepare_v2(s->db, "SELECT * FROM flows LIMIT 0", -1, &st, NULL);
	if (rc != SQLITE_OK) { /* "file is not a database", "no such table: flows" */
		char why[256];
		snprintf(why, sizeof(why), "not a sqlite output's file: %s", sqlite3_errmsg(s->db));
		return refuse(seg, s, why);
	}
	int n = sqlite3_column_count(st), known = 0;
	if (n > OFD_FIELDLIST_MAX) {
		sqlite3_finalize(st);
		return refuse(seg, s, "not a sqlite output's file: more than 256 columns");
	}
	char ignored[256] = "";
	size_t il = 0;
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		struct ofd_sqlcol *c = &s->cols[i];
		if (!name || ofd_sqlcol_by_name(c, name) < 0) {
			c->how = OFD_SQLCOL_TEXT; /* ignored */
			int w = snprintf(ignored + il, sizeof(ignored) - il, "%s%.40s", il ? ", " : "",
					 name ? name : "?");
			if (w > 0 && (size_t)w < sizeof(ignored) - il)
				il += (size_t)w;
			continue;
		}
		known += ofd_sqlcol_readable(c);
	}
	s->ncols = n;
	for (unsigned t = 0; t < sizeof(time_cols) / sizeof(time_cols[0]) && s->time_col < 0; t++)
		for (int i = 0; i < n; i++)
			if (sqlite3_column_name(st, i) &&
			    !strcmp(sqlite3_column_name(st, i), time_cols[t].name) &&
			    has_times(s->db, time_cols[t].name)) {
				s->time_col = i;
				s->time_mul = time_cols[t].mul;
				break;
			}
	char sql[256];
	if (s->time_col >= 0)
		snprintf(sql, sizeof(sql), "SELECT * FROM flows ORDER BY \"%s\", rowid",
			 sqlite3_column_name(st, s->time_col));
	else
		snprintf(sql, sizeof(sql), "SELECT * FROM flows");
	sqlite3_finalize(st);
	if (!known)
		return refuse(seg, s,
			      "not a sqlite output's file: its table flows has no column of a flow field");
	if (il)
		ofd_seg_log(seg, OFD_LOG_WARN, "%s: columns ignored (not flow fields): %s", s->filename,
			    ignored);
	if (s->time_col < 0 && !s->ignoretiming)
		ofd_seg_log(seg, OFD_LOG_WARN,
			    "%s: no time column: replayed in insertion order, as fast as possible",
			    s->filename);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &s->sel, NULL);
	if (rc != SQLITE_OK && s->time_col >= 0) { /* a table without rowid */
		snprintf(sql, sizeof(sql), "SELECT * FROM flows ORDER BY %d", s->time_col + 1);
		rc = sqlite3_prepare_v2(s->db, sql, -1, &s->sel, NULL);
	}
	if (rc != SQLITE_OK)
		return refuse(seg, s, sqlite3_errmsg(s->db));
	return 0;
}

/* Wait until mono time due, or stopping; passes on what was read so far first. */
static void wait_until(struct ofd_segment *seg, uint64_t due)
{
	uint64_t now = ofd_time_mono_ns();
	if (now >= due)
		return;
	ofd_input_flush(seg);
	while (!ofd_segment_stopping(seg) && (now = ofd_time_mono_ns()) < due) {
		uint64_t d = due - now;
		struct timespec ts = ofd_time_ts(d > REPLAY_WAIT_MAX_NS ? REPLAY_WAIT_MAX_NS : d);
		nanosleep(&ts, NULL);
	}
}

static int replay_start(struct ofd_segment *seg, void *state)
{
	struct replay_state *s = state;
	uint64_t done = 0, bad = 0, t0 = 0, mono0 = 0;
	int first = 1, rc;
	while (!ofd_segment_stopping(seg) && (rc = sqlite3_step(s->sel)) == SQLITE_ROW) {
		if (s->time_col >= 0 && !s->ignoretiming &&
		    sqlite3_column_type(s->sel, s->time_col) == SQLITE_INTEGER) {
			sqlite3_int64 v = sqlite3_column_int64(s->sel, s->time_col);
			uint64_t t =
			    v > 0 && (uint64_t)v <= UINT64_MAX / s->time_mul ? (uint64_t)v * s->time_mul : 0;
			if (t == 0) {
				/* no time (0, negative): released at once, never the start of the timing
				   (a time of 0 first would hold the next row back for decades) */
			} else if (first) {
				t0 = t, mono0 = ofd_time_mono_ns(), first = 0;
			} else if (t > t0) {
				wait_until(seg, mono0 + (t - t0));
				if (ofd_segment_stopping(seg))
					break;
			}
		}
		struct ofd_batch *b = ofd_input_batch(seg);
		if (ofd_batch_arena_free(b) < REPLAY_ROW_STRINGS)
			ofd_input_flush(seg);
		b = ofd_input_batch(seg);
		struct ofd_flow *f = ofd_batch_add(b);
		int ok = 1;
		for (int i = 0; i < s->ncols && ok; i++)
			if (ofd_sqlcol_read(s->sel, i, &s->cols[i], f, b) < 0) {
				ok = 0;
				ofd_log_rl(&s->rl, OFD_LOG_WARN,
					   "replay %s: row %d: column %s: value does not fit, row skipped",
					   s->filename, (int)done + (int)bad + 1, s->cols[i].c.name);
			}
		if (!ok) {
			ofd_batch_unadd(b);
			bad++;
			continue;
		}
		if (++done % OFD_BATCH_CAP == 0) {
			ofd_segment_count(seg, C_REPLAYED, OFD_BATCH_CAP);
		}
	}
	ofd_segment_count(seg, C_REPLAYED, done % OFD_BATCH_CAP);
	ofd_segment_count(seg, C_BAD_ROWS, bad);
	ofd_input_flush(seg);
	if (!ofd_segment_stopping(seg) && rc != SQLITE_DONE) {
		ofd_segment_count(seg, C_READ_ERRORS, 1);
		ofd_seg_log(seg, OFD_LOG_ERR, "%s: reading stopped after %llu rows: %s", s->filename,
			    (unsigned long long)(done + bad), sqlite3_errmsg(s->db));
	}
	return 0;
}

static void replay_fini(struct ofd_segment *seg, void *state)
{
	struct replay_state *s = state;
	(void)seg;
	sqlite3_finalize(s->sel);
	s->sel = NULL;
	sqlite3_close(s->db);
	s->db = NULL;
}

static const struct ofd_cfg_key replay_keys[] = {
    OFD_KEY("filename", OFD_CFG_STRING, struct replay_state, filename, .required = 1,
	    .help = "the SQLite file to read (a sqlite output's: table flows), opened read-only"),
    OFD_KEY("ignoretiming", OFD_CFG_BOOL, struct replay_state, ignoretiming, .def = "false",
	    .help =
		"true: as fast as possible; false: each flow released at its recorded time relative to the "
		"first (TimeReceivedNs, else TimeReceived, TimeFlowStartNs, TimeFlowStartMs, TimeFlowStart)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_replay = {
    OFD_SEGMENT_VERSION,
    .name = "replay",
    .kind = OFD_SEG_INPUT,
    .summary = "read flows back from a sqlite output's file, in time order, with their timing or as fast as "
	       "possible",
    .state_size = sizeof(struct replay_state),
    .config = replay_keys,
    .counters = counters,
    .init = replay_init,
    .start = replay_start,
    .fini = replay_fini,
};
