/*
 * replay (src/segments/input/replay.c) through the segment harness, on real SQLite files: one
 * written by the sqlite output read back field for field; the original timing (11 flows over
 * 10 s released within 10 ms of their recorded offsets) and ignoretiming; hostile files (not a
 * database, no table flows, no known column: refused at start; a bad row counted and skipped;
 * a truncated file). Run as seg_replay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_replay;
extern const struct ofd_segment_type ofd_seg_sqlite;

static void sql(const char *path, const char *text)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) {
		print_error("%s: %s\n", text, msg);
		fail();
	}
	sqlite3_close(db);
}

static struct ofd_harness *replay(const char *path, const char *more)
{
	char cfg[700];
	snprintf(cfg, sizeof(cfg), "{filename: %s%s}", path, more);
	return st_open(&ofd_seg_replay, cfg);
}

static void test_roundtrip(void **st)
{
	(void)st;
	const char *path = st_path("rt.sqlite");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path);
	struct ofd_harness *h = st_open(&ofd_seg_sqlite, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	struct ofd_flow *f = &b->flows[0];
	f->type = OFD_FT_IPFIX;
	f->time_received_ns = 2000000000000000000ull; /* written second, read back second */
	f->time_flow_start_ns = 1999999999123456789ull;
	f->bytes = 123456789012ull;
	f->packets = 77;
	assert_int_equal(ofd_ip_parse(&f->src_addr, "2001:db8::1"), 0);
	assert_int_equal(ofd_ip_parse(&f->dst_addr, "192.0.2.9"), 0);
	f->src_mac = 0x0a0b0c0d0e0full;
	f->proto = 6, f->etype = 0x800, f->src_port = 443, f->dst_port = 50000, f->tcp_flags = 0x12;
	f->src_net = 48;
	f->as_path[0] = 1, f->as_path[1] = 2, f->as_path[2] = 3, f->as_path_len = 3;
	f->bgp_communities.v[0] = 0xfde80001u, f->bgp_communities.n = 1;
	f->src_addr_anon = 1; /* CryptoPAN */
	f->rpki = OFD_RPKI_INVALID;
	memcpy(f->src_country, "DE", 2);
	f->src_host_name = ofd_batch_strdup(b, "host.example", 12);
	ofd_flow_set(f, OFD_F_SRC_HOST_NAME);
	f->in_if_speed = 10000000000ull;
	b->flows[1].type = OFD_FT_NETFLOW_V5;
	b->flows[1].time_received_ns = 1000000000000000000ull;
	b->flows[1].bytes = 1;
	ofd_harness_process(h, b);
	ofd_harness_free(h);

	struct st_collect c = ST_COLLECT_INIT;
	h = replay(path, ", ignoretiming: true");
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(ofd_harness_counter(h, "replayed"), 2);
	assert_int_equal(ofd_harness_counter(h, "bad_rows"), 0);
	ofd_harness_free(h);
	const struct ofd_flow *g = &c.v[1], *e = &c.v[0];
	assert_int_equal(e->bytes, 1); /* time order */
	assert_int_equal(e->type, OFD_FT_NETFLOW_V5);
	assert_int_equal(g->type, OFD_FT_IPFIX);
	assert_int_equal(g->time_received_ns, 2000000000000000000ull);
	assert_int_equal(g->time_flow_start_ns, 1999999999123456789ull); /* the ns column wins over s/ms */
	assert_int_equal(g->bytes, 123456789012ull);
	assert_int_equal(g->packets, 77);
	char a[OFD_IP_STRLEN];
	ofd_ip_str(&g->src_addr, a);
	assert_string_equal(a, "2001:db8::1");
	ofd_ip_str(&g->dst_addr, a);
	assert_string_equal(a, "192.0.2.9");
	assert_int_equal(g->dst_addr.family, OFD_AF_INET);
	assert_int_equal(g->src_mac, 0x0a0b0c0d0e0full);
	assert_int_equal(g->proto, 6);
	assert_int_equal(g->etype, 0x800);
	assert_int_equal(g->src_port, 443);
	assert_int_equal(g->dst_port, 50000);
	assert_int_equal(g->tcp_flags, 0x12);
	assert_int_equal(g->src_net, 48);
	assert_int_equal(g->as_path_len, 3);
	assert_int_equal(g->as_path[2], 3);
	assert_int_equal(g->bgp_communities.n, 1);
	assert_int_equal(g->bgp_communities.v[0], 0xfde80001u);
	assert_int_equal(g->src_addr_anon, 1);
	assert_int_equal(g->rpki, OFD_RPKI_INVALID);
	assert_memory_equal(g->src_country, "DE", 2);
	assert_string_equal(g->src_host_name, "host.example");
	assert_true(ofd_flow_has(g, OFD_F_SRC_HOST_NAME));
	assert_int_equal(g->in_if_speed, 10000000000ull); /* Mbit/s there */
	assert_null(e->src_host_name);
	assert_false(ofd_flow_has(e, OFD_F_SRC_HOST_NAME));
	st_collect_reset(&c);
}

/* Records with the mono time each arrived at. */
struct timed {
	pthread_mutex_t mu;
	uint64_t at[64];
	uint64_t bytes[64];
	unsigned n;
};

static void on_timed(void *ctx, const struct ofd_batch *b)
{
	struct timed *t = ctx;
	uint64_t now = ofd_time_mono_ns();
	pthread_mutex_lock(&t->mu);
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && t->n < 64) {
			t->at[t->n] = now;
			t->bytes[t->n++] = b->flows[i].bytes;
		}
	pthread_mutex_unlock(&t->mu);
}

/* 11 flows recorded over 10 s (not evenly, out of insertion order): each released within 10 ms
   of its offset from the first. */
static void test_timing(void **st)
{
	(void)st;
	static const unsigned ms[11] = {0, 7000, 1, 250, 1000, 2500, 2501, 4999, 9999, 10000, 6000};
	const char *path = st_path("timed.sqlite");
	char text[2048];
	size_t n = (size_t)snprintf(
	    text, sizeof(text), "CREATE TABLE flows (TimeReceivedNs INTEGER, Bytes INTEGER, SrcAddr TEXT);");
	for (unsigned i = 0; i < 11; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "INSERT INTO flows VALUES (%llu, %u, '10.0.0.%u');",
				      1700000000000000000ull + ms[i] * 1000000ull, ms[i], i);
	sql(path, text);
	struct timed t = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct ofd_harness *h = replay(path, "");
	uint64_t t0 = ofd_time_mono_ns();
	assert_int_equal(ofd_harness_start(h, on_timed, &t), 0);
	while (!ofd_harness_wait(h, 1000))
		;
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(t.n, 11);
	uint64_t total = ofd_time_mono_ns() - t0;
	assert_true(total >= 10000000000ull && total < 11000000000ull);
	/* within 10 ms; a loaded test machine (ctest -j, sanitizers) may hold the receiving thread
	   back now and then: at most two flows late, by at most 50 ms */
	unsigned late = 0;
	for (unsigned i = 0; i < 11; i++) {
		if (i)
			assert_true(t.bytes[i] >= t.bytes[i - 1]); /* time order */
		int64_t got = (int64_t)(t.at[i] - t.at[0]), want = (int64_t)t.bytes[i] * 1000000;
		int64_t d = got - want;
		if (d < -10000000 || d > 10000000) {
			print_message("flow at %llu ms released at %lld ms\n", (unsigned long long)t.bytes[i],
				      (long long)(got / 1000000));
			late++;
			assert_true(d > -10000000 && d < 50000000);
		}
	}
	assert_true(late <= 2);
	ofd_harness_free(h);

	/* ignoretiming: the same 11 at once */
	struct timed u = {.mu = PTHREAD_MUTEX_INITIALIZER};
	h = replay(path, ", ignoretiming: true");
	t0 = ofd_time_mono_ns();
	assert_int_equal(ofd_harness_start(h, on_timed, &u), 0);
	while (!ofd_harness_wait(h, 1000))
		;
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(u.n, 11);
	assert_true(ofd_time_mono_ns() - t0 < 1000000000ull);
	assert_int_equal(u.bytes[10], 10000);
	ofd_harness_free(h);
}

static char logbuf[4096];

static void sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	(void)ctx;
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 1);
}

/* Refused at start, and the log says why (with the file's name). */
static void refused(const char *path, const char *why)
{
	char cfg[700], err[512] = "";
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path);
	struct ofd_harness *h = NULL;
	logbuf[0] = 0;
	ofd_log_set_sink(sink, NULL);
	int rc = ofd_harness_new(&h, &ofd_seg_replay, cfg, err, sizeof(err));
	ofd_log_set_sink(NULL, NULL);
	assert_int_equal(rc, OFD_EFORMAT);
	assert_null(h);
	if (!strstr(logbuf, why) || !strstr(logbuf, path))
		fail_msg("log \"%s\" does not say \"%s\" of %s", logbuf, why, path);
}

static void test_hostile(void **st)
{
	(void)st;
	st_write(st_path("text.sqlite"),
		 "SQLite format 3 but not really; a text file pretending to be a database\n");
	refused(st_path("text.sqlite"), "file is not a database");
	refused(st_path("missing.sqlite"), "unable to open");
	sql(st_path("other.sqlite"), "CREATE TABLE other (a INTEGER);");
	refused(st_path("other.sqlite"), "no such table: flows");
	sql(st_path("nocols.sqlite"),
	    "CREATE TABLE flows (Foo INTEGER, Bar TEXT); INSERT INTO flows VALUES (1, 'x');");
	refused(st_path("nocols.sqlite"), "no column");

	/* a view is no table (a recursive one would replay for ever); schema code is not run */
	sql(st_path("view.sqlite"), "CREATE VIEW flows AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL "
				    "SELECT x + 1 FROM n) SELECT x AS Bytes FROM n;");
	refused(st_path("view.sqlite"), "flows is not a table");

	/* a row without a time (0) first: released at once, the timed ones after it keep their
	   spacing (the 0 used to be the start: the next row waited for decades) */
	sql(st_path("zero.sqlite"), "CREATE TABLE flows (TimeReceivedNs INTEGER, Bytes INTEGER);"
				    "INSERT INTO flows VALUES (0, 1);"
				    "INSERT INTO flows VALUES (1700000000000000000, 2);"
				    "INSERT INTO flows VALUES (1700000000010000000, 3);");
	struct st_collect z = ST_COLLECT_INIT;
	struct ofd_harness *hz = replay(st_path("zero.sqlite"), "");
	uint64_t z0 = ofd_time_mono_ns();
	st_run_to_end(hz, &z);
	assert_int_equal(z.n, 3);
	assert_true(ofd_time_mono_ns() - z0 < 5000000000ull);
	ofd_harness_free(hz);
	st_collect_reset(&z);

	/* a seconds column written and its Ns column all 0 (a writer without the Ns fields): the
	   order and the times are the seconds column's, the zeros overwrite nothing */
	sql(st_path("secs.sqlite"), "CREATE TABLE flows (TimeReceived INTEGER, Bytes INTEGER, "
				    "TimeReceivedNs INTEGER);"
				    "INSERT INTO flows VALUES (1700000002, 1, 0);"
				    "INSERT INTO flows VALUES (1700000001, 2, 0);");
	struct ofd_harness *hs = replay(st_path("secs.sqlite"), ", ignoretiming: true");
	st_run_to_end(hs, &z);
	assert_int_equal(z.n, 2);
	assert_int_equal(z.v[0].bytes, 2);
	assert_int_equal(z.v[0].time_received_ns, 1700000001000000000ull);
	assert_int_equal(z.v[1].time_received_ns, 1700000002000000000ull);
	ofd_harness_free(hs);
	st_collect_reset(&z);

	/* bad rows: counted and skipped, the good ones replayed */
	sql(st_path("bad.sqlite"),
	    "CREATE TABLE flows (TimeReceivedNs INTEGER, Bytes INTEGER, SrcAddr TEXT, SrcPort INTEGER, Type "
	    "TEXT, "
	    "Extra TEXT);"
	    "INSERT INTO flows VALUES (1, 10, '10.0.0.1', 80, 'IPFIX', 'x');"
	    "INSERT INTO flows VALUES (2, 'lots', '10.0.0.2', 80, 'IPFIX', 'x');"   /* text in a number */
	    "INSERT INTO flows VALUES (3, 30, '10.0.0.300', 80, 'IPFIX', 'x');"	    /* not an address */
	    "INSERT INTO flows VALUES (4, 40, '10.0.0.4', 65536, 'IPFIX', 'x');"    /* out of range */
	    "INSERT INTO flows VALUES (5, -5, '10.0.0.5', 80, 'IPFIX', 'x');"	    /* negative */
	    "INSERT INTO flows VALUES (6, 60, '10.0.0.6', 80, 'NETFLOW_V11', 'x');" /* no such type */
	    "INSERT INTO flows VALUES (7, 70, NULL, NULL, NULL, NULL);");
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = replay(st_path("bad.sqlite"), ", ignoretiming: true");
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].bytes, 10);
	assert_int_equal(c.v[0].type, OFD_FT_IPFIX);
	assert_int_equal(c.v[1].bytes, 70);
	assert_int_equal(c.v[1].src_addr.family, OFD_AF_NONE);
	assert_int_equal(ofd_harness_counter(h, "bad_rows"), 5);
	assert_int_equal(ofd_harness_counter(h, "replayed"), 2);
	ofd_harness_free(h);
	st_collect_reset(&c);
}

/* A file cut short: what can be read is, the rest counted as a read error; never a crash. */
static void test_truncated(void **st)
{
	(void)st;
	const char *path = st_path("cut.sqlite");
	sql(path,
	    "PRAGMA page_size=1024; CREATE TABLE flows (TimeReceivedNs INTEGER, Bytes INTEGER, Note TEXT);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
	    "INSERT INTO flows SELECT i, i, printf('%0100d', i) FROM n;");
	size_t len;
	char *all = st_slurp(path, &len);
	assert_true(len > 100000);
	FILE *fp = fopen(path, "r+b");
	assert_non_null(fp);
	/* zero the middle pages */
	memset(all + len / 3, 0, len / 3);
	assert_int_equal(fwrite(all, 1, len, fp), len);
	fclose(fp);
	free(all);
	struct st_collect c = ST_COLLECT_INIT;
	char cfg[700], err[512] = "";
	snprintf(cfg, sizeof(cfg), "{filename: %s, ignoretiming: true}", path);
	struct ofd_harness *h = NULL;
	int rc = ofd_harness_new(&h, &ofd_seg_replay, cfg, err, sizeof(err));
	if (rc == 0) {
		st_run_to_end(h, &c);
		assert_true(c.n < 5000);
		assert_int_equal(
		    ofd_harness_counter(h, "read_errors") + ofd_harness_counter(h, "bad_rows") > 0, 1);
		ofd_harness_free(h);
	} else {
		assert_int_equal(rc, OFD_EFORMAT);
	}
	st_collect_reset(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_timing),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
