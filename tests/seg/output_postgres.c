/*
 * postgres (src/segments/output/postgres.c) through the segment harness against a real
 * PostgreSQL 15 server started by the test (tests/seg/pg_server.h: its own cluster, Unix socket
 * only), read back with libpq: the schema (types, indexes, the index used for <<), the values of
 * concrete records (inet, macaddr, bigint[], text with escapes and invalid UTF-8, clamping), the
 * NetFlow v5 sample's 78,684 records and their sums, a table lacking a column refused at start,
 * a chunk the server refuses lost whole while the next is written, the server restarted under a
 * running output (reconnect, retried), and config errors. Run as seg_postgres.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ofd/log.h"
#include "ofd/time.h"
#include "segtest.h"
#include "pg_server.h"
#include "segments/output/postgres.h"

extern const struct ofd_segment_type ofd_seg_postgres;
#ifdef OFD_HAVE_SEGMENT_PCAP
extern const struct ofd_segment_type ofd_seg_pcap;
#endif

static int up;

/* The log lines (an init failure's reason is logged; the harness says "init failed"). */
static char logged[16384];
static void sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl, (void)ctx;
	size_t n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "%s", line);
	fputs(line, stderr);
}

static int setup(void **st)
{
	if (st_dir_make(st))
		return -1;
	ofd_log_set_sink(sink, NULL);
	if (!pg_have())
		return 0; /* every test skips */
	pg_initdb();
	pg_start();
	up = 1;
	pg_q("postgres", "CREATE DATABASE t1");
	return 0;
}

static int teardown(void **st)
{
	pg_stop();
	return st_dir_remove(st);
}

/* Send what the output holds and wait until the pool wrote it (the harness has no acking
   input): the state's first member is the pool. */
static uint64_t drain(struct ofd_harness *h)
{
	struct postgres_state *s = ofd_harness_state(h);
	return ofd_wpool_drain(s->wp);
}

static struct ofd_harness *open_pg(const char *more)
{
	char cfg[1400];
	snprintf(cfg, sizeof(cfg), "{conninfo: \"%s\"%s}", pg_conninfo("t1"), more);
	return st_open(&ofd_seg_postgres, cfg);
}

static void fill(struct ofd_flow *f, unsigned i)
{
	f->type = OFD_FT_NETFLOW_V9;
	f->time_received_ns = 1700000000123456789ull + i * 1000000000ull;
	f->time_flow_start_ns = 1700000000000000000ull + i;
	f->bytes = 1500 + i;
	f->packets = 3;
	char a[32];
	snprintf(a, sizeof(a), "10.%u.0.1", i);
	assert_int_equal(ofd_ip_parse(&f->src_addr, a), 0);
	assert_int_equal(ofd_ip_parse(&f->dst_addr, "2001:db8::5"), 0);
	f->proto = 17;
	f->etype = 0x86dd;
	f->src_port = 53;
	f->dst_port = (uint16_t)(40000 + i);
}

static void test_schema_and_values(void **st)
{
	(void)st;
	if (!up)
		skip();
	struct ofd_harness *h = open_pg("");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (unsigned i = 0; i < 4; i++)
		fill(&b->flows[i], i);
	struct ofd_flow *f = &b->flows[1];
	f->src_as = 64500;
	f->as_path[0] = 64500, f->as_path[1] = 3320, f->as_path_len = 2;
	f->src_mac = 0x0011223344ffull;
	ofd_flow_set(f, OFD_F_SRC_MAC);
	f->src_country[0] = 'D', f->src_country[1] = 'E';
	f->in_if_desc = "uplink\tto \\core\nrack 7 \xff\xfe end"; /* escapes, invalid UTF-8 */
	f->src_host_name = "h\xc3\xa9.example";			  /* valid UTF-8 kept */
	f->bytes = UINT64_MAX;					  /* above bigint: clamped and counted */
	memset(&b->flows[2].dst_addr, 0, sizeof(b->flows[2].dst_addr)); /* no address: NULL */
	ofd_batch_kill(b, 3);
	ofd_harness_process(h, b);
	assert_int_equal(drain(h), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 3);
	assert_int_equal(ofd_harness_counter(h, "clamped"), 1);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	ofd_harness_free(h);

	assert_string_equal(pg_q("t1", "SELECT count(*) FROM information_schema.columns WHERE "
				       "table_name = 'flows'"),
			    "149");
	assert_string_equal(
	    pg_q("t1",
		 "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) "
		 "FROM information_schema.columns WHERE table_name = 'flows' AND ordinal_position <= 5"),
	    "type text,timereceived bigint,timereceivedns bigint,sequencenum bigint,samplingrate bigint");
	assert_string_equal(pg_q("t1",
				 "SELECT string_agg(data_type, ',' ORDER BY column_name) FROM "
				 "information_schema.columns WHERE table_name = 'flows' AND column_name "
				 "IN ('srcaddr', 'srcmac', 'aspath', 'proto', 'srcifdesc')"),
			    "ARRAY,integer,inet,text,macaddr");
	assert_string_equal(pg_q("t1", "SELECT count(*) FROM flows"), "3");
	assert_string_equal(
	    pg_q("t1", "SELECT concat_ws('|', Type, TimeReceived, TimeReceivedNs, TimeFlowStartMs, Bytes, "
		       "SrcAddr, DstAddr, Proto, Etype, DstPort) FROM flows WHERE SrcAddr = '10.0.0.1'"),
	    "NETFLOW_V9|1700000000|1700000000123456789|1700000000000|1500|10.0.0.1|2001:db8::5|17|34525|"
	    "40000");
	/* inet's operators */
	assert_string_equal(pg_q("t1", "SELECT count(*) FROM flows WHERE SrcAddr << '10.0.0.0/15'"), "2");
	assert_string_equal(pg_q("t1", "SELECT count(*) FROM flows WHERE DstAddr IS NULL"), "1");
	assert_string_equal(pg_q("t1", "SELECT family(DstAddr) FROM flows WHERE SrcAddr = '10.0.0.1'"), "6");
	/* the record with everything */
	assert_string_equal(
	    pg_q("t1", "SELECT concat_ws('|', Bytes, SrcAs, AsPath, 3320 = ANY(AsPath), SrcMac, SrcCountry, "
		       "SrcHostName, DstMac IS NULL, BgpCommunities, ValidationStatus, HasMpls) FROM flows "
		       "WHERE SrcAddr = '10.1.0.1'"),
	    "9223372036854775807|64500|{64500,3320}|t|00:11:22:33:44:ff|DE|h\xc3\xa9.example|t|{}|Unknown|"
	    "false");
	assert_string_equal(pg_q("t1", "SELECT SrcIfDesc FROM flows WHERE SrcAddr = '10.1.0.1'"),
			    "uplink\tto \\core\nrack 7 \xef\xbf\xbd\xef\xbf\xbd end");
	assert_string_equal(pg_q("t1", "SELECT SrcCountry IS NULL AND SrcIfDesc IS NULL FROM flows WHERE "
				       "SrcAddr = '10.0.0.1'"),
			    "t");
	/* indexes: btree on the time and address columns, used by << */
	assert_string_equal(pg_q("t1", "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
				       "WHERE tablename = 'flows'"),
			    "flows_dstaddr,flows_srcaddr,flows_timeflowstart,flows_timeflowstartms,flows_"
			    "timeflowstartns,flows_timereceived,flows_timereceivedns");
	PGconn *c = PQconnectdb(pg_conninfo("t1"));
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQclear(PQexec(c, "SET enable_seqscan = off"));
	PGresult *r = PQexec(c, "EXPLAIN SELECT * FROM flows WHERE SrcAddr << '10.0.0.0/8'");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	int used = 0;
	for (int i = 0; i < PQntuples(r); i++)
		used |= strstr(PQgetvalue(r, i, 0), "flows_srcaddr") != NULL;
	assert_true(used);
	PQclear(r);
	PQfinish(c);
}

/* every byte value in a string, and a string far longer than the cut: the chunk is never refused */
static void test_hostile_strings(void **st)
{
	(void)st;
	if (!up)
		skip();
	static char all[256], longs[5001];
	for (unsigned i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	memset(longs, 'x', 5000);
	memcpy(longs + 1021, "\xc3\xa9\xc3\xa9", 4); /* the cut at 1024 falls inside the second */
	struct ofd_harness *h =
	    open_pg(", table: hostile, fields: [SrcAddr, SrcHostName, DstHostName, Note]");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	fill(&b->flows[0], 0);
	fill(&b->flows[1], 1);
	b->flows[0].src_host_name = all;
	b->flows[0].dst_host_name = "\\."; /* COPY's end-of-data marker, were it not escaped */
	b->flows[0].note = "a\\Nb\tc\r\n"; /* \N in the text is not a NULL */
	b->flows[1].src_host_name = longs;
	ofd_harness_process(h, b);
	assert_int_equal(drain(h), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	ofd_harness_free(h);
	/* 1..127 as they are, 128..255 (none a valid sequence) each U+FFFD */
	assert_string_equal(pg_q("t1",
				 "SELECT concat_ws(' ', char_length(SrcHostName), octet_length(SrcHostName), "
				 "left(SrcHostName, 3) = E'\\x01\\x02\\x03', right(SrcHostName, 1) = "
				 "E'\\uFFFD', DstHostName, Note = E'a\\\\Nb\\tc\\r\\n') FROM hostile WHERE "
				 "SrcAddr = '10.0.0.1'"),
			    "255 511 t t \\. t");
	assert_string_equal(pg_q("t1",
				 "SELECT concat_ws(' ', octet_length(SrcHostName), right(SrcHostName, 3)) "
				 "FROM hostile WHERE SrcAddr = '10.1.0.1'"),
			    "1023 xx\xc3\xa9");
}

#ifdef OFD_HAVE_SEGMENT_PCAP
static void test_sample(void **st)
{
	(void)st;
	const char *capture = st_data("netflow_4M.pcap");
	if (!up || access(capture, R_OK) != 0)
		skip();
	char cfg[1200];
	snprintf(cfg, sizeof(cfg), "{filename: [%s]}", capture);
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *in = st_open(&ofd_seg_pcap, cfg);
	st_run_to_end(in, &c);
	ofd_harness_free(in);
	assert_int_equal(c.n, 78684);

	struct ofd_harness *h =
	    open_pg(", table: sample, fields: [TimeFlowStartNs, SrcAddr, DstAddr, SrcPort, DstPort, Proto, "
		    "Bytes, Packets, SamplerAddress, Type], workers: 2, batchsize: 5000");
	for (size_t at = 0; at < c.n; at += OFD_BATCH_CAP) {
		uint32_t n = (uint32_t)(c.n - at < OFD_BATCH_CAP ? c.n - at : OFD_BATCH_CAP);
		struct ofd_batch *b = ofd_harness_batch(h, n);
		memcpy(b->flows, &c.v[at], n * sizeof(struct ofd_flow));
		ofd_harness_process(h, b);
	}
	st_collect_reset(&c);
	assert_int_equal(drain(h), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 78684);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	ofd_harness_free(h);
	assert_string_equal(
	    pg_q("t1", "SELECT concat_ws(' ', count(*), sum(Bytes), sum(Packets)) FROM sample"),
	    "78684 2048144412 2862857");
	assert_string_equal(pg_q("t1", "SELECT concat_ws(' ', count(DISTINCT SamplerAddress), "
				       "min(SamplerAddress), min(Type)) FROM sample"),
			    "1 122.166.4.242 NETFLOW_V5");
	/* a prefix query on the real addresses agrees with a text match */
	assert_string_equal(pg_q("t1",
				 "SELECT count(*) = count(*) FILTER (WHERE host(SrcAddr) LIKE '130.89.%') "
				 "FROM sample WHERE SrcAddr << '130.89.0.0/16'"),
			    "t");
}
#endif

static void test_missing_column(void **st)
{
	(void)st;
	if (!up)
		skip();
	struct ofd_harness *h = open_pg(", table: few, fields: \"SrcAddr,Bytes\"");
	ofd_harness_free(h);
	char cfg[1200], err[512] = "";
	snprintf(cfg, sizeof(cfg), "{conninfo: \"%s\", table: few, fields: [SrcAddr, Bytes, Packets]}",
		 pg_conninfo("t1"));
	h = NULL;
	logged[0] = 0;
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_postgres, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(logged,
			       "segment postgres: table few has no column Packets (created with other "
			       "fields)"));
	/* create: false and no table */
	snprintf(cfg, sizeof(cfg), "{conninfo: \"%s\", table: nosuch, create: false}", pg_conninfo("t1"));
	logged[0] = 0;
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_postgres, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(logged, "table nosuch does not exist (create: false)"));
	assert_string_equal(pg_q("t1", "SELECT count(*) FROM pg_tables WHERE tablename = 'nosuch'"), "0");
	/* create: false and a table with the columns: written to (fewer fields than it has) */
	h = open_pg(", table: few, fields: Bytes, create: false");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 3);
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	assert_string_equal(
	    pg_q("t1", "SELECT concat_ws(' ', count(*), sum(Bytes), count(SrcAddr)) FROM few"), "1 1503 0");
}

/* indexes: live (there from the start), atclose (made when the output closes), none */
static void test_index_modes(void **st)
{
	(void)st;
	if (!up)
		skip();
	static const char *const modes[3] = {"live", "atclose", "none"};
	static const char *const open_want[3] = {"3", "0", "0"}, *const closed_want[3] = {"3", "3", "0"};
	for (unsigned m = 0; m < 3; m++) {
		char more[200], count[200];
		snprintf(more, sizeof(more),
			 ", table: ix_%s, fields: [TimeFlowStartNs, SrcAddr, DstAddr, Bytes], indexes: %s",
			 modes[m], modes[m]);
		snprintf(count, sizeof(count), "SELECT count(*) FROM pg_indexes WHERE tablename = 'ix_%s'",
			 modes[m]);
		struct ofd_harness *h = open_pg(more);
		struct ofd_batch *b = ofd_harness_batch(h, 2);
		fill(&b->flows[0], 0);
		fill(&b->flows[1], 1);
		ofd_harness_process(h, b);
		assert_int_equal(drain(h), 0);
		assert_string_equal(pg_q("t1", count), open_want[m]);
		ofd_harness_free(h);
		assert_string_equal(pg_q("t1", count), closed_want[m]);
	}
	assert_string_equal(
	    pg_q("t1", "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_atclose_srcaddr'"),
	    "CREATE INDEX ix_atclose_srcaddr ON public.ix_atclose USING btree (srcaddr)");
	assert_string_equal(
	    pg_q("t1", "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_live_timeflowstartns'"),
	    "CREATE INDEX ix_live_timeflowstartns ON public.ix_live USING brin (timeflowstartns) WITH "
	    "(autosummarize='on')");
	/* timeindex: btree */
	struct ofd_harness *h = open_pg(", table: ix_bt, fields: [TimeReceived, Bytes], timeindex: btree");
	ofd_harness_free(h);
	assert_string_equal(pg_q("t1", "SELECT indexdef FROM pg_indexes WHERE tablename = 'ix_bt'"),
			    "CREATE INDEX ix_bt_timereceived ON public.ix_bt USING btree (timereceived)");
}

/* a chunk younger than batchsize rows goes out on tick once flushinterval old (no drain: the
   table is polled, each poll a round trip to the server, at most 5000) */
static void test_flush_on_tick(void **st)
{
	(void)st;
	if (!up)
		skip();
	struct ofd_harness *h = open_pg(", table: ticked, fields: [SrcAddr, Bytes], flushinterval: 1ms");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	fill(&b->flows[0], 0);
	fill(&b->flows[1], 1);
	ofd_harness_process(h, b);
	assert_string_equal(pg_q("t1", "SELECT count(*) FROM ticked"), "0"); /* 2 of 5000: held */
	unsigned polls = 0;
	while (strcmp(pg_q("t1", "SELECT count(*) FROM ticked"), "2") != 0 && ++polls < 5000)
		ofd_harness_tick(h, ofd_time_now_ns());
	assert_true(polls < 5000);
	assert_int_equal(drain(h), 0); /* nothing left to send: waits for the worker's bookkeeping */
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	ofd_harness_free(h);
}

static void test_refused_chunk(void **st)
{
	(void)st;
	if (!up)
		skip();
	struct ofd_harness *h = open_pg(", table: checked, fields: [SrcAddr, Bytes], batchsize: 2, "
					"retries: 2, backoff: 1ms");
	pg_q("t1", "ALTER TABLE checked ADD CONSTRAINT small CHECK (Bytes < 1000000)");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (unsigned i = 0; i < 4; i++)
		fill(&b->flows[i], i);
	b->flows[1].bytes = 5000000; /* the first chunk (rows 0, 1) is refused whole */
	ofd_harness_process(h, b);
	assert_int_equal(drain(h), 2);
	assert_int_equal(ofd_harness_counter(h, "lost"), 2);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	assert_int_equal(ofd_harness_counter(h, "retried"), 0); /* refused rows are not tried again */
	ofd_harness_free(h);
	assert_string_equal(pg_q("t1", "SELECT string_agg(host(SrcAddr), ',' ORDER BY SrcAddr) FROM checked"),
			    "10.2.0.1,10.3.0.1");
}

static void test_restart(void **st)
{
	(void)st;
	if (!up)
		skip();
	struct ofd_harness *h =
	    open_pg(", table: restarted, fields: [SrcAddr, Bytes], retries: 5, backoff: 10ms");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	fill(&b->flows[0], 0);
	fill(&b->flows[1], 1);
	ofd_harness_process(h, b);
	assert_int_equal(drain(h), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	/* the server goes away and comes back: the worker's connection is dead */
	pg_stop();
	pg_start();
	b = ofd_harness_batch(h, 3);
	for (unsigned i = 0; i < 3; i++)
		fill(&b->flows[i], 10 + i);
	ofd_harness_process(h, b);
	assert_int_equal(drain(h), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 5);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	uint64_t retried = ofd_harness_counter(h, "retried");
	assert_true(retried >= 1);
	/* its backend terminated by an administrator (57P01; the call waits until it has exited):
	   reconnected too */
	assert_string_equal(pg_q("t1",
				 "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE "
				 "application_name = 'overflowd'"),
			    "1");
	b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 20);
	ofd_harness_process(h, b);
	assert_int_equal(drain(h), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 6);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	assert_true(ofd_harness_counter(h, "retried") > retried);
	ofd_harness_free(h);
	assert_string_equal(pg_q("t1", "SELECT concat_ws(' ', count(*), sum(Bytes)) FROM restarted"),
			    "6 9054");
}

static void test_config_errors(void **st)
{
	(void)st;
	char err[512] = "";
	struct ofd_harness *h = NULL;
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_postgres, "{fields: \"Bytes,NoSuchField\"}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "NoSuchField"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_postgres, "{table: \"flows; DROP TABLE x\"}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "key table"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_postgres, "{conninfo: \"host=x nosuchoption=1\"}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "key conninfo"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_postgres, "{workers: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	/* nobody listens there: refused at start with libpq's reason */
	char cfg[700];
	snprintf(cfg, sizeof(cfg), "{conninfo: \"host=%s user=ofd dbname=t1\"}", st_path("nosock"));
	logged[0] = 0;
	assert_true(ofd_harness_new(&h, &ofd_seg_postgres, cfg, err, sizeof(err)) < 0);
	assert_null(h);
	assert_non_null(strstr(logged, "segment postgres: connect: connection to server on socket"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_and_values),
	    cmocka_unit_test(test_hostile_strings),
#ifdef OFD_HAVE_SEGMENT_PCAP
	    cmocka_unit_test(test_sample),
#endif
	    cmocka_unit_test(test_missing_column),
	    cmocka_unit_test(test_index_modes),
	    cmocka_unit_test(test_flush_on_tick),
	    cmocka_unit_test(test_refused_chunk),
	    cmocka_unit_test(test_restart),
	    cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
