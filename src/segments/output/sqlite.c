/*
 * sqlite: flowpipeline's `sqlite` output. Every flow becomes a row of the table `flows` in the
 * SQLite file `filename`, over the chosen `fields` (default: all 149 of EnrichedFlow's, in its
 * order), with flowpipeline's column names and types (segments/common/sqlcols.h), so that its
 * tools and our `replay` input read the file. The table is created when missing and appended
 * to when it exists (it must have every chosen column); indexes on the time and address
 * columns chosen are created with it.
 *
 * Writing: a blocking output (the core runs it in its own thread behind its bounded queue).
 * Rows go through one prepared INSERT into an open transaction, committed every `batchsize`
 * rows and at the latest `flushinterval` after it was opened (on tick), and before process()
 * returns when the input acknowledges its source; in WAL mode, synchronous=NORMAL. The last
 * transaction is committed in fini(), after the pipeline drained (SIGTERM included).
 * A row SQLite refuses is counted (insert_errors) and logged at a rate limit; a failed commit
 * loses its rows, which are counted (lost) and logged; when the input acknowledges its source,
 * either stops the pipeline as not through (the source gives them again).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ofd/segment.h"
#include "segments/common/fieldlist.h"
#include "segments/common/sqlcols.h"

#define SQLITE_SCRATCH (4 * 12288)

enum { IX_ATCLOSE, IX_LIVE, IX_NONE };
static const char *const index_modes[] = {"atclose", "live", "none", NULL};

enum { C_WRITTEN, C_INSERT_ERRORS, C_LOST };
static const char *const counters[] = {"written", "insert_errors", "lost", NULL};

struct sqlite_state {
	char *filename;
	struct ofd_strlist fields;
	uint64_t batchsize;
	uint64_t flush_ns;
	uint64_t cache_bytes;
	int indexes; /* IX_* */
	int follow_symlinks;
	struct ofd_sqlcol cols[OFD_FIELDLIST_MAX];
	unsigned ncols;
	sqlite3 *db;
	sqlite3_stmt *ins;
	int in_tx;
	uint64_t pending;   /* rows in the open transaction */
	uint64_t tx_start;  /* wall ns of its first row (0: not known yet) */
	uint64_t last_tick; /* wall ns of the last tick */
	struct ofd_wbuf scratch;
	struct ofd_ratelimit rl;
};

static int add_col(void *ctx, const char *name)
{
	struct sqlite_state *s = ctx;
	if (s->ncols >= OFD_FIELDLIST_MAX)
		return OFD_FIELDLIST_FULL;
	struct ofd_sqlcol c;
	if (ofd_sqlcol_by_name(&c, name) < 0)
		return OFD_FIELDLIST_UNKNOWN;
	for (unsigned i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i].c.name, c.c.name))
			return 0; /* a column once */
	s->cols[s->ncols++] = c;
	return 0;
}

static int exec(struct ofd_segment *seg, sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%.80s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* Append the strings a, b, c to base (cap bytes, *len used); 0, or -1 when it is full. */
static int app(char *base, size_t cap, size_t *len, const char *a, const char *b, const char *c)
{
	int n = snprintf(base + *len, cap - *len, "%s%s%s", a, b, c);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/* Every chosen column must be in an existing table: refuse at start rather than at each row. */
static int check_columns(struct ofd_segment *seg, struct sqlite_state *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info('flows')", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	uint64_t seen[(OFD_FIELDLIST_MAX + 63) / 64] = {0};
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		for (unsigned i = 0; n && i < s->ncols; i++)
			if (!strcmp(n, s->cols[i].c.name))
				seen[i / 64] |= 1ull << (i % 64);
	}
	sqlite3_finalize(st);
	for (unsigned i = 0; i < s->ncols; i++)
		if (!(seen[i / 64] & 1ull << (i % 64))) {
			ofd_seg_log(
			    seg, OFD_LOG_ERR,
			    "%s: its table flows has no column %s (written with other fields): choose "
			    "another file",
			    s->filename, s->cols[i].c.name);
			return OFD_ECONFIG;
		}
	return 0;
}

static int indexed(const char *name)
{
	static const char *const cols[] = {
	    "TimeReceivedNs", "TimeReceived", "TimeFlowStartNs", "TimeFlowStartMs",
	    "TimeFlowStart",  "SrcAddr",      "DstAddr",	 NULL};
	for (unsigned i = 0; cols[i]; i++)
		if (!strcmp(name, cols[i]))
			return 1;
	return 0;
}

/* The indexes on the time and address columns chosen (each once: IF NOT EXISTS). */
static int make_indexes(struct ofd_segment *seg, struct sqlite_state *s)
{
	int err;
	for (unsigned i = 0; i < s->ncols; i++)
		if (indexed(s->cols[i].c.name)) {
			char ix[256];
			snprintf(ix, sizeof(ix), "CREATE INDEX IF NOT EXISTS \"flows_%s\" ON flows (\"%s\")",
				 s->cols[i].c.name, s->cols[i].c.name);
			if ((err = exec(seg, s->db, ix)))
				return err;
		}
	return 0;
}

static int sqlite_init(struct ofd_segment *seg, void *state)
{
	struct sqlite_state *s = state;
	int err = ofd_fieldlist_each(seg, "fields", &s->fields, add_col, s);
	if (err)
		return err;
	if (!s->ncols) {
		ofd_sqlcol_all(s->cols);
		s->ncols = OFD_FPCSV_NCOLS;
	}
	err = ofd_wbuf_init(&s->scratch, -1, SQLITE_SCRATCH);
	if (err)
		return err;
	struct stat sb;
	if (!s->follow_symlinks && lstat(s->filename, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		ofd_seg_log(seg, OFD_LOG_ERR,
			    "%s: a symbolic link (refused; follow_symlinks: true writes through it)",
			    s->filename);
		return -ELOOP;
	}
	int rc = sqlite3_open_v2(s->filename, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				     (s->follow_symlinks ? 0 : SQLITE_OPEN_NOFOLLOW),
				 NULL);
	if (rc != SQLITE_OK) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s: %s", s->filename,
			    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		return -EIO;
	}
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
		ofd_seg_log(seg, OFD_LOG_WARN, "%s: not in WAL mode: %s", s->filename,
			    sqlite3_column_text(st, 0));
	if (rc == SQLITE_OK)
		rc = sqlite3_finalize(st);
	if (rc != SQLITE_OK) { /* not a database, or not writable */
		ofd_seg_log(seg, OFD_LOG_ERR, "%s: %s", s->filename, sqlite3_errmsg(s->db));
		return -EIO;
	}
	if ((err = exec(seg, s->db, "PRAGMA synchronous=NORMAL")))
		return err;
	char cache[64]; /* the indexes on addresses take random pages: keep them in memory */
	snprintf(cache, sizeof(cache), "PRAGMA cache_size=-%llu",
		 (unsigned long long)(s->cache_bytes / 1024));
	if ((err = exec(seg, s->db, cache)))
		return err;

	char sql[16384], ins[16384];
	size_t n = 0, m = 0;
	int full = app(sql, sizeof(sql), &n, "CREATE TABLE IF NOT EXISTS flows (", "", "") ||
		   app(ins, sizeof(ins), &m, "INSERT INTO flows (", "", "");
	for (unsigned i = 0; i < s->ncols && !full; i++) {
		const char *sep = i ? "," : "";
		full |= app(sql, sizeof(sql), &n, sep, "\"", s->cols[i].c.name) ||
			app(sql, sizeof(sql), &n, "\" ", ofd_sqlcol_type(&s->cols[i]), "") ||
			app(ins, sizeof(ins), &m, sep, "\"", s->cols[i].c.name) ||
			app(ins, sizeof(ins), &m, "\"", "", "");
	}
	full |= app(sql, sizeof(sql), &n, ")", "", "") || app(ins, sizeof(ins), &m, ") VALUES (", "", "");
	for (unsigned i = 0; i < s->ncols && !full; i++)
		full |= app(ins, sizeof(ins), &m, i ? "," : "", "?", "");
	full |= app(ins, sizeof(ins), &m, ")", "", "");
	if (full)
		return OFD_ELIMIT;
	if ((err = exec(seg, s->db, sql)) || (err = check_columns(seg, s)))
		return err;
	if (s->indexes == IX_LIVE && (err = make_indexes(seg, s)))
		return err;
	rc = sqlite3_prepare_v3(s->db, ins, -1, SQLITE_PREPARE_PERSISTENT, &s->ins, NULL);
	if (rc != SQLITE_OK) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s: %s", s->filename, sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

/* Commit the open transaction; a failure loses its rows (counted, logged, not through). */
static void commit(struct ofd_segment *seg, struct sqlite_state *s)
{
	if (!s->in_tx)
		return;
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ofd_log_rl(&s->rl, OFD_LOG_ERR, "sqlite %s: commit of %llu rows failed: %s", s->filename,
			   (unsigned long long)s->pending, sqlite3_errmsg(s->db));
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		ofd_segment_count(seg, C_LOST, s->pending);
		if (ofd_segment_acking(seg)) /* the source keeps them for the next start */
			ofd_segment_not_through(seg);
	} else {
		ofd_segment_count(seg, C_WRITTEN, s->pending);
	}
	s->in_tx = 0;
	s->pending = 0;
	s->tx_start = 0;
}

static void sqlite_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct sqlite_state *s = state;
	uint64_t failed = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (!s->in_tx) {
			int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				failed++;
				ofd_log_rl(&s->rl, OFD_LOG_ERR, "sqlite %s: BEGIN: %s", s->filename,
					   sqlite3_errmsg(s->db));
				continue;
			}
			s->in_tx = 1;
			s->tx_start = s->last_tick;
		}
		const struct ofd_flow *f = &b->flows[i];
		int rc = SQLITE_OK;
		for (unsigned c = 0; c < s->ncols && rc == SQLITE_OK; c++)
			rc = ofd_sqlcol_bind(s->ins, (int)c + 1, &s->cols[c], f, &s->scratch);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(s->ins);
		if (rc != SQLITE_DONE) {
			failed++;
			ofd_log_rl(&s->rl, OFD_LOG_ERR, "sqlite %s: insert: %s", s->filename,
				   sqlite3_errmsg(s->db));
			if (s->in_tx && sqlite3_get_autocommit(s->db)) {
				/* SQLite rolled the transaction back itself (disk full, I/O error, out of
				   memory): its rows are gone; the next row begins a new one */
				ofd_segment_count(seg, C_LOST, s->pending);
				s->pending = 0;
				s->in_tx = 0;
				if (ofd_segment_acking(seg))
					ofd_segment_not_through(seg);
			}
		} else {
			s->pending++;
		}
		sqlite3_reset(s->ins);
		if (s->pending >= s->batchsize)
			commit(seg, s);
	}
	if (failed) {
		ofd_segment_count(seg, C_INSERT_ERRORS, failed);
		if (ofd_segment_acking(seg))
			ofd_segment_not_through(seg);
	}
	if (ofd_segment_acking(seg))
		commit(seg, s);
}

static void sqlite_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct sqlite_state *s = state;
	s->last_tick = now_ns;
	if (s->in_tx && !s->tx_start)
		s->tx_start = now_ns;
	if (s->in_tx && now_ns - s->tx_start >= s->flush_ns)
		commit(seg, s);
}

static void sqlite_fini(struct ofd_segment *seg, void *state)
{
	struct sqlite_state *s = state;
	if (s->db)
		commit(seg, s);
	if (s->db && s->ins && s->indexes == IX_ATCLOSE)
		(void)make_indexes(seg, s); /* logged; the rows are in */
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		ofd_seg_log(seg, OFD_LOG_ERR, "%s: close: %s", s->filename, sqlite3_errmsg(s->db));
	s->db = NULL;
	s->scratch.len = 0;
	ofd_wbuf_fini(&s->scratch);
}

/* --check refuses what init would: an unknown field name */
static int sqlite_check(const void *state, char *err, size_t errlen)
{
	struct sqlite_state tmp;
	const struct sqlite_state *s = state;
	tmp.ncols = 0;
	char why[160];
	if (ofd_fieldlist_walk(&s->fields, add_col, &tmp, why, sizeof(why))) {
		snprintf(err, errlen, "key fields: %s", why);
		return OFD_ECONFIG;
	}
	return 0;
}

static const struct ofd_cfg_key sqlite_keys[] = {
    OFD_KEY("filename", OFD_CFG_STRING, struct sqlite_state, filename, .required = 1,
	    .help = "the SQLite file to write (created when missing; its table flows is created, or appended "
		    "to when it has every chosen column)"),
    OFD_KEY("fields", OFD_CFG_STRLIST, struct sqlite_state, fields,
	    .help =
		"the columns, a list or a comma-separated string of EnrichedFlow field names "
		"(flowpipeline's; our snake_case names are taken too); default: all 149 in EnrichedFlow's "
		"order"),
    OFD_KEY("batchsize", OFD_CFG_UINT, struct sqlite_state, batchsize, .def = "1000", .min = 1,
	    .max = 10000000, .help = "rows per transaction (flowpipeline's key and default)"),
    OFD_KEY("flushinterval", OFD_CFG_DURATION, struct sqlite_state, flush_ns, .def = "1s",
	    .help = "ours: an open transaction is committed at the latest this long after its first row"),
    OFD_KEY(
	"indexes", OFD_CFG_ENUM, struct sqlite_state, indexes, .def = "atclose", .choices = index_modes,
	.help =
	    "ours: the indexes on the time and address columns chosen (TimeReceivedNs, TimeReceived, "
	    "TimeFlowStartNs, TimeFlowStartMs, TimeFlowStart, SrcAddr, DstAddr): atclose builds them when "
	    "the output closes (rows go in about 10 times faster), live creates them at start and keeps "
	    "them current with every row, none leaves them out"),
    OFD_KEY("follow_symlinks", OFD_CFG_BOOL, struct sqlite_state, follow_symlinks, .def = "false",
	    .help =
		"write through a symbolic link at filename (refused by default, as the other outputs do)"),
    OFD_KEY("cachesize", OFD_CFG_SIZE, struct sqlite_state, cache_bytes, .def = "64M", .min = 1024,
	    .max = 1ull << 40,
	    .help = "ours: SQLite's page cache for this file (PRAGMA cache_size); the address indexes need "
		    "it to keep up"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_sqlite = {
    OFD_SEGMENT_VERSION,
    .name = "sqlite",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary =
	"write flows into a SQLite file (flowpipeline's table flows), batched transactions in WAL mode",
    .state_size = sizeof(struct sqlite_state),
    .config = sqlite_keys,
    .counters = counters,
    .check = sqlite_check,
    .init = sqlite_init,
    .process = sqlite_process,
    .tick = sqlite_tick,
    .fini = sqlite_fini,
};
