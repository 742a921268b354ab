/*
 * postgres: ours (flowpipeline writes ClickHouse instead). Every flow becomes a row of `table`
 * in a PostgreSQL database reached through libpq with `conninfo`, over the chosen `fields`
 * (default: all 149 of EnrichedFlow's, flowpipeline's column names as the sqlite output's),
 * with types for PostgreSQL's operators (postgres.h: inet, macaddr, bigint, bigint[], text).
 * At start one connection creates the table and the indexes on the time and address columns
 * when missing (`create`, `indexes`), and refuses a table that lacks a chosen column.
 *
 * Writing: a blocking output on the writer pool (common/wpool.h). Rows are rendered in COPY's
 * text format into the pool's chunks (postgres_copy.c); each of `workers` threads owns a
 * connection and sends a whole chunk as one `COPY table (cols) FROM STDIN` (one transaction: a
 * chunk is written whole or not at all). A lost connection is reconnected and the chunk sent
 * again (`retries`, `backoff`); rows the server refuses (a constraint, a type) fail the whole
 * chunk at once, with the server's message: counted lost and logged at a rate limit.
 */
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/time.h"
#include "postgres.h"

enum { C_WRITTEN, C_LOST, C_RETRIED, C_WAITS, C_CLAMPED };
static const char *const counters[] = {"written", "lost", "retried", "waits", "clamped", NULL};
static const char *const index_modes[] = {"live", "atclose", "none", NULL};
enum { TIX_BRIN, TIX_BTREE };
static const char *const timeindex_modes[] = {"brin", "btree", NULL};

#define CHUNK_MAX  (32u << 20)	/* bytes a chunk is sized for at most (plus one row) */
#define COPY_PIECE (256u << 10) /* bytes per PQputCopyData */
#define IDENT_MAX  63		/* PostgreSQL's NAMEDATALEN - 1 */

struct colset {
	struct ofd_sqlcol c[OFD_FIELDLIST_MAX];
	unsigned n;
};

static int add_col(void *ctx, const char *name)
{
	struct colset *s = ctx;
	if (s->n >= OFD_FIELDLIST_MAX)
		return OFD_FIELDLIST_FULL;
	struct ofd_sqlcol c;
	if (ofd_sqlcol_by_name(&c, name) < 0)
		return OFD_FIELDLIST_UNKNOWN;
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].c.name, c.c.name))
			return 0; /* a column once */
	s->c[s->n++] = c;
	return 0;
}

/* `table`: an identifier, or schema.identifier, of [A-Za-z_][A-Za-z0-9_]* each (written unquoted:
   PostgreSQL folds it to lower case). 0, or -1 with the reason in err. */
static int check_table(const char *t, char *err, size_t errlen)
{
	unsigned parts = 0;
	const char *p = t;
	for (;;) {
		const char *b = p;
		if (!(isalpha((unsigned char)*p) || *p == '_'))
			break;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p - b > IDENT_MAX - 16) {
			snprintf(err, errlen, "key table: \"%s\": a name longer than %d characters", t,
				 IDENT_MAX - 16);
			return -1;
		}
		parts++;
		if (*p == 0)
			return 0;
		if (*p != '.' || parts == 2)
			break;
		p++;
	}
	snprintf(err, errlen,
		 "key table: \"%s\": a name of letters, digits and _ (not starting with a digit), "
		 "optionally schema.name",
		 t);
	return -1;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg, (void)msg;
}

/* Connect with conninfo: libpq's defaults, environment (PGHOST, PGPASSWORD...) and ~/.pgpass
   fill what it leaves out; UTF-8 (the rows are rendered so); a 10 s connect timeout unless it
   says otherwise. NULL with the reason in err. */
static PGconn *connect_db(const struct postgres_state *s, char *err, size_t errlen)
{
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
				    "client_encoding", NULL};
	const char *const vals[] = {"10", "overflowd", s->conninfo ? s->conninfo : "", "UTF8", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL); /* "already exists, skipping" and the like */
	return c;
}

/* One line of a libpq message (its newlines as spaces, the last one dropped). */
static void one_line(char *m)
{
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		m[--n] = 0;
	for (char *p = m; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

static int exec_ok(struct ofd_segment *seg, PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char m[512];
		snprintf(m, sizeof(m), "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
		one_line(m);
		ofd_seg_log(seg, OFD_LOG_ERR, "%.100s: %s", sql, m);
		PQclear(r);
		return -EIO;
	}
	PQclear(r);
	return 0;
}

/* Append to buf (cap bytes, *n used); -1 when full. */
static int app(char *buf, size_t cap, size_t *n, const char *a, const char *b)
{
	int k = snprintf(buf + *n, cap - *n, "%s%s", a, b);
	if (k < 0 || (size_t)k >= cap - *n)
		return -1;
	*n += (size_t)k;
	return 0;
}

/* 1: a time column, 2: an address column, 0: not indexed */
static int indexed(const char *name)
{
	static const char *const cols[] = {
	    "TimeReceivedNs", "TimeReceived", "TimeFlowStartNs", "TimeFlowStartMs",
	    "TimeFlowStart",  "SrcAddr",      "DstAddr",	 NULL};
	for (unsigned i = 0; cols[i]; i++)
		if (!strcmp(name, cols[i]))
			return i < 5 ? 1 : 2;
	return 0;
}

/* Indexes on the time columns chosen (BRIN, summarized as pages fill, or btree: timeindex) and
   the address columns (btree: it serves inet's << and <<= as a range scan, and costs a quarter
   of GiST's insert time), named TABLE_COLUMN in the table's schema; each once (IF NOT EXISTS). */
static int make_indexes(struct ofd_segment *seg, struct postgres_state *s, PGconn *c)
{
	const char *bare = strrchr(s->table, '.');
	bare = bare ? bare + 1 : s->table;
	for (unsigned i = 0; i < s->ncols; i++) {
		int k = indexed(s->cols[i].s.c.name);
		if (!k)
			continue;
		int brin = k == 1 && s->timeindex == TIX_BRIN;
		char sql[512];
		snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s_%s ON %s USING %s (%s)%s", bare,
			 s->cols[i].lname, s->table, brin ? "brin" : "btree", s->cols[i].lname,
			 brin ? " WITH (autosummarize = on)" : "");
		int err = exec_ok(seg, c, sql);
		if (err)
			return err;
	}
	return 0;
}

/* Every chosen column must be in the table (information_schema, the table as search_path finds
   it); a column of another type than ours is worth a warning (COPY may refuse its values). */
static int check_columns(struct ofd_segment *seg, struct postgres_state *s, PGconn *c)
{
	const char *params[1] = {s->table};
	PGresult *r = PQexecParams(
	    c,
	    "SELECT col.column_name, col.data_type, col.udt_name FROM information_schema.columns col "
	    "JOIN pg_class r ON r.oid = to_regclass($1) JOIN pg_namespace n ON n.oid = r.relnamespace "
	    "WHERE col.table_schema = n.nspname AND col.table_name = r.relname",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char m[512];
		snprintf(m, sizeof(m), "%s", PQresultErrorMessage(r));
		one_line(m);
		ofd_seg_log(seg, OFD_LOG_ERR, "table %s: %s", s->table, m);
		PQclear(r);
		return -EIO;
	}
	int rows = PQntuples(r);
	if (rows == 0) {
		ofd_seg_log(seg, OFD_LOG_ERR, "table %s does not exist%s", s->table,
			    s->create ? "" : " (create: false)");
		PQclear(r);
		return OFD_ECONFIG;
	}
	int err = 0;
	for (unsigned i = 0; i < s->ncols && !err; i++) {
		int found = -1;
		for (int k = 0; k < rows && found < 0; k++)
			if (!strcmp(PQgetvalue(r, k, 0), s->cols[i].lname))
				found = k;
		if (found < 0) {
			ofd_seg_log(seg, OFD_LOG_ERR,
				    "table %s has no column %s (created with other fields): choose another "
				    "table, or add the column",
				    s->table, s->cols[i].s.c.name);
			err = OFD_ECONFIG;
			break;
		}
		const char *want = ofd_pgcol_type(&s->cols[i]);
		const char *dt = PQgetvalue(r, found, 1), *udt = PQgetvalue(r, found, 2);
		int same =
		    !strcmp(dt, want) || (s->cols[i].type == OFD_PG_BIGINT_ARRAY && !strcmp(udt, "_int8"));
		if (!same)
			ofd_seg_log(seg, OFD_LOG_WARN,
				    "table %s: column %s is %s, not %s (values may be refused)", s->table,
				    s->cols[i].lname, dt, want);
	}
	PQclear(r);
	return err;
}

/* Create the table when missing (and asked to), check it, index it (indexes: live). */
static int prepare_table(struct ofd_segment *seg, struct postgres_state *s)
{
	char why[512];
	PGconn *c = connect_db(s, why, sizeof(why));
	if (!c) {
		one_line(why);
		ofd_seg_log(seg, OFD_LOG_ERR, "connect: %s", why);
		return -ECONNREFUSED;
	}
	int err = 0;
	/* rows are UTF-8 (invalid bytes repaired to U+FFFD): a database of another encoding refuses
	   a whole chunk for one character it cannot hold */
	const char *enc = PQparameterStatus(c, "server_encoding");
	if (enc && strcmp(enc, "UTF8") && strcmp(enc, "SQL_ASCII"))
		ofd_seg_log(seg, OFD_LOG_WARN,
			    "the database's encoding is %s: a chunk with a character it cannot hold is "
			    "refused whole (lost); create the database WITH ENCODING 'UTF8'",
			    enc);
	if (s->create) {
		size_t cap = 64 + strlen(s->table) + (size_t)s->ncols * 64, n = 0;
		char *sql = malloc(cap);
		if (!sql) {
			PQfinish(c);
			return -ENOMEM;
		}
		int full =
		    app(sql, cap, &n, "CREATE TABLE IF NOT EXISTS ", s->table) || app(sql, cap, &n, " (", "");
		for (unsigned i = 0; i < s->ncols && !full; i++)
			full = app(sql, cap, &n, i ? ", " : "", s->cols[i].s.c.name) ||
			       app(sql, cap, &n, " ", ofd_pgcol_type(&s->cols[i]));
		full = full || app(sql, cap, &n, ")", "");
		err = full ? OFD_ELIMIT : exec_ok(seg, c, sql);
		free(sql);
	}
	if (!err)
		err = check_columns(seg, s, c);
	if (!err && s->create && s->indexes == OFD_PGIX_LIVE)
		err = make_indexes(seg, s, c);
	PQfinish(c);
	return err;
}

/* ---- the workers ---- */

static void *pg_open(void *arg, unsigned w, char *err, size_t errlen)
{
	(void)w;
	PGconn *c = connect_db(arg, err, errlen);
	if (!c)
		one_line(err);
	return c;
}

static void pg_close(void *arg, void *conn)
{
	(void)arg;
	PQfinish(conn);
}

/* What to do after an error: the connection's state first, then the SQLSTATE's class. */
static int classify(PGconn *c, const PGresult *r)
{
	if (PQstatus(c) != CONNECTION_OK)
		return OFD_WP_RECONNECT;
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!st)
		return OFD_WP_RECONNECT; /* no answer from the server: a broken connection */
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3) || !strcmp(st, "25006"))
		return OFD_WP_RECONNECT; /* connection exception, admin shutdown, crash; a read-only
					    server (a standby: target_session_attrs=read-write in
					    conninfo finds the new primary on reconnecting) */
	if (!strncmp(st, "40", 2) || !strncmp(st, "53", 2) || !strncmp(st, "58", 2) || !strcmp(st, "57014") ||
	    !strcmp(st, "55P03"))
		return OFD_WP_RETRY; /* deadlock, disk full, I/O error, timeout, lock */
	return OFD_WP_FAIL;	     /* the rows (or the table): not better next time */
}

static void result_err(PGconn *c, const PGresult *r, char *err, size_t errlen)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	snprintf(err, errlen, "%s", *m ? m : PQerrorMessage(c));
	one_line(err);
}

static int pg_send(void *arg, void *conn, const char *data, size_t len, uint32_t rows, char *err,
		   size_t errlen)
{
	const struct postgres_state *s = arg;
	PGconn *c = conn;
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "connection lost");
		return OFD_WP_RECONNECT;
	}
	PGresult *r = PQexec(c, s->copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		result_err(c, r, err, errlen);
		int rc = classify(c, r);
		PQclear(r);
		while ((r = PQgetResult(c)))
			PQclear(r);
		return rc;
	}
	PQclear(r);
	int ok = 1;
	for (size_t at = 0; at < len && ok; at += COPY_PIECE) {
		size_t k = len - at < COPY_PIECE ? len - at : COPY_PIECE;
		ok = PQputCopyData(c, data + at, (int)k) == 1;
	}
	if (!ok || PQputCopyEnd(c, NULL) != 1) {
		snprintf(err, errlen, "COPY: %s", PQerrorMessage(c));
		one_line(err);
		return OFD_WP_RECONNECT;
	}
	int rc = OFD_WP_OK;
	while ((r = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK) {
			const char *t = PQcmdTuples(r);
			if (rc == OFD_WP_OK && strtoull(t, NULL, 10) != rows) {
				snprintf(err, errlen, "COPY wrote %s rows of %u", t, rows);
				rc = OFD_WP_FAIL; /* counted as lost: they are not all there */
			}
		} else if (rc == OFD_WP_OK) {
			result_err(c, r, err, errlen);
			rc = classify(c, r);
		}
		PQclear(r);
		if (st == PGRES_COPY_IN) /* not expected after the end: give up the connection */
			return OFD_WP_RECONNECT;
	}
	if (rc == OFD_WP_OK && PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "connection lost before COPY's result");
		rc = OFD_WP_RECONNECT;
	}
	return rc;
}

static const struct ofd_wpool_ops pg_ops = {.open = pg_open, .send = pg_send, .close = pg_close};

/* ---- the segment ---- */

static size_t typical(const struct ofd_pgcol *c)
{
	switch ((enum ofd_pgtype)c->type) {
	case OFD_PG_INTEGER: return 4;
	case OFD_PG_BIGINT: return 12;
	case OFD_PG_INET: return 20;
	case OFD_PG_MACADDR: return 18;
	default: return 16;
	}
}

static int postgres_init(struct ofd_segment *seg, void *state)
{
	struct postgres_state *s = state;
	struct colset *set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	int err = ofd_fieldlist_each(seg, "fields", &s->fields, add_col, set);
	if (err) {
		free(set);
		return err;
	}
	if (!set->n) {
		ofd_sqlcol_all(set->c);
		set->n = OFD_FPCSV_NCOLS;
	}
	for (unsigned i = 0; i < set->n; i++)
		ofd_pgcol_init(&s->cols[i], &set->c[i]);
	s->ncols = set->n;
	free(set);
	s->row_max = ofd_pgcol_row_max(s->cols, s->ncols);

	size_t cap = 64 + strlen(s->table) + (size_t)s->ncols * 48, n = 0;
	if (!(s->copy_sql = malloc(cap)))
		return -ENOMEM;
	int full = app(s->copy_sql, cap, &n, "COPY ", s->table) || app(s->copy_sql, cap, &n, " (", "");
	for (unsigned i = 0; i < s->ncols && !full; i++)
		full = app(s->copy_sql, cap, &n, i ? ", " : "", s->cols[i].lname);
	if (full || app(s->copy_sql, cap, &n, ") FROM STDIN", ""))
		return OFD_ELIMIT;

	if ((err = prepare_table(seg, s)))
		return err;

	size_t per_row = 1;
	for (unsigned i = 0; i < s->ncols; i++)
		per_row += typical(&s->cols[i]) + 1;
	uint64_t want = s->batchsize * per_row;
	struct ofd_wpool_conf wc = {
	    .workers = (unsigned)s->workers,
	    .chunk_bytes = s->row_max + (want < CHUNK_MAX ? (size_t)want : CHUNK_MAX),
	    .retries = (unsigned)s->retries,
	    .backoff_ns = s->backoff_ns,
	    .c_written = C_WRITTEN,
	    .c_lost = C_LOST,
	    .c_retried = C_RETRIED,
	    .c_waits = C_WAITS,
	};
	return ofd_wpool_start(&s->wp, seg, &pg_ops, s, &wc);
}

static void postgres_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct postgres_state *s = state;
	uint64_t clamped = 0;
	struct ofd_wpool_chunk *ch = NULL; /* taken at the first row (taking may wait) */
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (!ch)
			ch = ofd_wpool_chunk(s->wp);
		if (ch->cap - ch->len < s->row_max) { /* full before batchsize rows */
			ofd_wpool_submit(s->wp);
			ch = ofd_wpool_chunk(s->wp);
		}
		ofd_pgcopy_row(ch->data, &ch->len, &b->flows[i], s->cols, s->ncols, &clamped);
		if (++ch->rows >= s->batchsize) {
			ofd_wpool_submit(s->wp);
			ch = NULL;
		}
	}
	if (clamped)
		ofd_segment_count(seg, C_CLAMPED, clamped);
	if (ofd_segment_acking(seg))
		(void)ofd_wpool_drain(s->wp); /* the pool reports what it lost (not through) */
}

static void postgres_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	(void)seg;
	(void)now_ns; /* wall time; the pool's chunks are stamped with the monotonic clock */
	struct postgres_state *s = state;
	if (s->wp)
		ofd_wpool_flush_old(s->wp, ofd_time_mono_ns(), s->flush_ns);
}

static void postgres_fini(struct ofd_segment *seg, void *state)
{
	struct postgres_state *s = state;
	if (s->wp) {
		ofd_wpool_stop(s->wp);
		s->wp = NULL;
		if (s->create && s->indexes == OFD_PGIX_ATCLOSE) {
			char why[512];
			PGconn *c = connect_db(s, why, sizeof(why));
			if (c) {
				(void)make_indexes(seg, s, c); /* logged; the rows are in */
				PQfinish(c);
			} else {
				one_line(why);
				ofd_seg_log(seg, OFD_LOG_ERR, "indexes not made: connect: %s", why);
			}
		}
	}
	free(s->copy_sql);
	s->copy_sql = NULL;
}

/* --check refuses what init would without connecting: fields, table, conninfo's syntax */
static int postgres_check(const void *state, char *err, size_t errlen)
{
	const struct postgres_state *s = state;
	struct colset *tmp = calloc(1, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	char why[200];
	int bad = ofd_fieldlist_walk(&s->fields, add_col, tmp, why, sizeof(why));
	free(tmp);
	if (bad) {
		snprintf(err, errlen, "key fields: %s", why);
		return OFD_ECONFIG;
	}
	if (check_table(s->table ? s->table : "", err, errlen))
		return OFD_ECONFIG;
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(s->conninfo ? s->conninfo : "", &msg);
	if (!o) {
		if (msg)
			one_line(msg);
		snprintf(err, errlen, "key conninfo: %s", msg ? msg : "out of memory");
		PQfreemem(msg);
		return OFD_ECONFIG;
	}
	PQconninfoFree(o);
	return 0;
}

static const struct ofd_cfg_key postgres_keys[] = {
    OFD_KEY("conninfo", OFD_CFG_STRING, struct postgres_state, conninfo, .def = "",
	    .help = "the libpq connection string or URI (host=db1 dbname=flows user=ofd, or "
		    "postgresql://ofd@db1/flows); what it leaves out comes from libpq's environment "
		    "(PGHOST, PGDATABASE, PGUSER, PGPASSWORD...) and ~/.pgpass"),
    OFD_KEY("table", OFD_CFG_STRING, struct postgres_state, table, .def = "flows",
	    .help = "the table (name or schema.name, folded to lower case as PostgreSQL does)"),
    OFD_KEY("fields", OFD_CFG_STRLIST, struct postgres_state, fields,
	    .help = "the columns, a list or a comma-separated string of EnrichedFlow field names "
		    "(flowpipeline's; our snake_case names are taken too); default: all 149 in "
		    "EnrichedFlow's order"),
    OFD_KEY("create", OFD_CFG_BOOL, struct postgres_state, create, .def = "true",
	    .help = "create the table (and its indexes) when missing; an existing table must have every "
		    "chosen column either way"),
    OFD_KEY("indexes", OFD_CFG_ENUM, struct postgres_state, indexes, .def = "live", .choices = index_modes,
	    .help = "with create: indexes TABLE_COLUMN on the time and address columns chosen "
		    "(TimeReceivedNs, TimeReceived, TimeFlowStartNs, TimeFlowStartMs, TimeFlowStart; "
		    "SrcAddr, DstAddr as btree, which serves <<): live creates them at start, atclose when "
		    "the output closes, none leaves them out"),
    OFD_KEY("timeindex", OFD_CFG_ENUM, struct postgres_state, timeindex, .def = "brin",
	    .choices = timeindex_modes,
	    .help = "the time columns' index: brin (block ranges, summarized as pages fill: small, "
		    "cheap to keep for rows written in time order) or btree"),
    OFD_WPOOL_KEYS(struct postgres_state, "COPY"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_postgres = {
    OFD_SEGMENT_VERSION,
    .name = "postgres",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_BLOCKING,
    .summary = "write flows into a PostgreSQL table (inet addresses, bigint counters) with COPY, "
	       "over parallel connections",
    .state_size = sizeof(struct postgres_state),
    .config = postgres_keys,
    .counters = counters,
    .check = postgres_check,
    .init = postgres_init,
    .process = postgres_process,
    .tick = postgres_tick,
    .fini = postgres_fini,
};
