/*
 * sqlite (src/segments/output/sqlite.c) through the segment harness, against real SQLite files
 * read back with libsqlite3: the schema (flowpipeline's table, column names and types, WAL,
 * indexes), the values of concrete records, batching by size and by time, appending to a file
 * and refusing one whose table lacks a chosen column, and config errors. Run as seg_sqlite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_sqlite;

/* One text value of a query on file path ("" for NULL), into a static buffer. */
static const char *q(const char *path, const char *sql)
{
	static char out[4][512];
	static unsigned k;
	char *o = out[k++ & 3];
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		print_error("%s: %s\n", sql, sqlite3_errmsg(db));
		fail();
	}
	o[0] = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(o, 512, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return o;
}

static void fill(struct ofd_flow *f, unsigned i)
{
	f->type = OFD_FT_NETFLOW_V9;
	f->time_received_ns = 1700000000123456789ull + i * 1000000000ull;
	f->time_flow_start_ns = 1700000000000000000ull + i;
	f->bytes = 1500 + i;
	f->packets = 3;
	assert_int_equal(ofd_ip_parse(&f->src_addr, "10.0.0.1"), 0);
	assert_int_equal(ofd_ip_parse(&f->dst_addr, "2001:db8::5"), 0);
	f->proto = 17;
	f->etype = 0x86dd;
	f->src_port = 53;
	f->dst_port = (uint16_t)(40000 + i);
}

static void test_schema_and_values(void **st)
{
	(void)st;
	const char *path = st_path("all.sqlite");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path);
	struct ofd_harness *h = st_open(&ofd_seg_sqlite, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (unsigned i = 0; i < 3; i++)
		fill(&b->flows[i], i);
	b->flows[1].src_as = 64500;
	b->flows[1].as_path[0] = 64500, b->flows[1].as_path[1] = 3320, b->flows[1].as_path_len = 2;
	ofd_batch_kill(b, 2);
	ofd_harness_process(h, b);
	ofd_harness_free(h); /* fini: the last transaction is committed */

	assert_string_equal(q(path, "PRAGMA journal_mode"), "wal");
	assert_string_equal(q(path, "SELECT count(*) FROM pragma_table_info('flows')"), "149");
	assert_string_equal(
	    q(path, "SELECT group_concat(name || ' ' || type, ',') FROM (SELECT * FROM "
		    "pragma_table_info('flows') WHERE cid < 5)"),
	    "Type TEXT,TimeReceived INTEGER,TimeReceivedNs INTEGER,SequenceNum INTEGER,SamplingRate "
	    "INTEGER");
	assert_string_equal(q(path, "SELECT type FROM pragma_table_info('flows') WHERE name = 'SrcAddr'"),
			    "TEXT");
	assert_string_equal(q(path, "SELECT count(*) FROM flows"), "2"); /* the killed one is not written */
	assert_string_equal(
	    q(path, "SELECT Type || '|' || TimeReceived || '|' || TimeReceivedNs || '|' || "
		    "TimeFlowStartMs || '|' || Bytes || '|' || SrcAddr || '|' || DstAddr || '|' || Proto "
		    "|| '|' || Etype || '|' || DstPort FROM flows ORDER BY rowid LIMIT 1"),
	    "NETFLOW_V9|1700000000|1700000000123456789|1700000000000|1500|10.0.0.1|2001:db8::5|17|34525|"
	    "40000");
	assert_string_equal(q(path,
			      "SELECT AsPath || '|' || SrcAs || '|' || typeof(Bytes) || '|' || HasMpls || "
			      "'|' || ValidationStatus FROM flows WHERE rowid = 2"),
			    "[64500 3320]|64500|integer|false|Unknown");
	assert_string_equal(q(path,
			      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
			      "type = 'index' ORDER BY name)"),
			    "flows_DstAddr,flows_SrcAddr,flows_TimeFlowStart,flows_TimeFlowStartMs,flows_"
			    "TimeFlowStartNs,flows_TimeReceived,flows_TimeReceivedNs");
	assert_string_equal(q(path, "PRAGMA integrity_check"), "ok");
}

static void test_batches_and_append(void **st)
{
	(void)st;
	const char *path = st_path("some.sqlite");
	char cfg[600];
	snprintf(cfg, sizeof(cfg),
		 "{filename: %s, fields: \"TimeFlowStart,SrcAddr,DstAddr,Bytes\", batchsize: 2}", path);
	struct ofd_harness *h = st_open(&ofd_seg_sqlite, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (unsigned i = 0; i < 3; i++)
		fill(&b->flows[i], i);
	ofd_harness_tick(h, 1000000000ull); /* the clock starts */
	ofd_harness_process(h, b);
	/* batchsize 2: two rows committed, the third in the open transaction */
	assert_string_equal(q(path, "SELECT count(*) FROM flows"), "2");
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	ofd_harness_tick(h, 1500000000ull); /* 0.5 s: not yet */
	assert_string_equal(q(path, "SELECT count(*) FROM flows"), "2");
	ofd_harness_tick(h, 2000000000ull); /* flushinterval 1 s after the transaction began */
	assert_string_equal(q(path, "SELECT count(*) FROM flows"), "3");
	assert_int_equal(ofd_harness_counter(h, "written"), 3);
	assert_int_equal(ofd_harness_counter(h, "insert_errors"), 0);
	ofd_harness_free(h);
	assert_string_equal(
	    q(path, "SELECT group_concat(name || ' ' || type, ',') FROM pragma_table_info('flows')"),
	    "TimeFlowStart INTEGER,SrcAddr TEXT,DstAddr TEXT,Bytes INTEGER");

	/* appended to with the same or fewer fields */
	snprintf(cfg, sizeof(cfg), "{filename: %s, fields: [Bytes, SrcAddr]}", path);
	h = st_open(&ofd_seg_sqlite, cfg);
	b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 7);
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	assert_string_equal(q(path, "SELECT count(*) || ' ' || sum(Bytes) FROM flows"), "4 6010");

	/* a column the table lacks: refused at start, with the reason */
	snprintf(cfg, sizeof(cfg), "{filename: %s, fields: [Bytes, Packets]}", path);
	char err[512] = "";
	h = NULL;
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_sqlite, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
}

/* indexes: atclose (none while open, all after), live (there from the start), none */
static void test_index_modes(void **st)
{
	(void)st;
	static const char *const idx = "SELECT count(*) FROM sqlite_master WHERE type = 'index'";
	const char *modes[3] = {"atclose", "live", "none"};
	const char *open_want[3] = {"0", "3", "0"}, *closed_want[3] = {"3", "3", "0"};
	for (unsigned m = 0; m < 3; m++) {
		char name[64], cfg[700];
		snprintf(name, sizeof(name), "ix_%s.sqlite", modes[m]);
		char path[512];
		snprintf(path, sizeof(path), "%s", st_path(name));
		snprintf(cfg, sizeof(cfg),
			 "{filename: %s, fields: [TimeFlowStartNs, SrcAddr, DstAddr, Bytes], indexes: %s}",
			 path, modes[m]);
		struct ofd_harness *h = st_open(&ofd_seg_sqlite, cfg);
		struct ofd_batch *b = ofd_harness_batch(h, 2);
		fill(&b->flows[0], 0);
		fill(&b->flows[1], 1);
		ofd_harness_process(h, b);
		assert_string_equal(q(path, idx), open_want[m]);
		ofd_harness_free(h);
		assert_string_equal(q(path, idx), closed_want[m]);
		assert_string_equal(q(path, "SELECT count(*) FROM flows"), "2");
	}
	/* the time index is used for time ranges */
	char path[512];
	snprintf(path, sizeof(path), "%s", st_path("ix_live.sqlite"));
	sqlite3 *db;
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT * FROM flows WHERE TimeFlowStartNs > 5", -1,
			       &stmt, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(stmt, 3), "INDEX flows_TimeFlowStartNs"));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static void test_config_errors(void **st)
{
	(void)st;
	char cfg[600], err[512] = "";
	struct ofd_harness *h = NULL;
	snprintf(cfg, sizeof(cfg), "{filename: %s, fields: \"Bytes,NoSuchField\"}", st_path("x.sqlite"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_sqlite, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	snprintf(cfg, sizeof(cfg), "{filename: %s, batchsize: 0}", st_path("x.sqlite"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_sqlite, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "batchsize"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_sqlite, "{fields: Bytes}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "filename"));
	st_assert_symlink_refused(&ofd_seg_sqlite, "");
	/* not a database */
	st_write(st_path("junk.sqlite"),
		 "this is not a database, just text that is long enough to be a header......\n");
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("junk.sqlite"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_sqlite, cfg, err, sizeof(err)), -EIO);
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_and_values),
	    cmocka_unit_test(test_batches_and_append),
	    cmocka_unit_test(test_index_modes),
	    cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
