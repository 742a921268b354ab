/*
 * influx (src/segments/output/influx.c) through the segment harness: the line protocol renderer
 * (escaping, integer fields, clamping, empty tags left out); against a loopback HTTP responder
 * (a real socket): the v2 request (line, headers, body), auto's fallback to /write on a 404,
 * a 500 retried, a 400 losing its chunk but not the next; against a real InfluxDB 1.6 (Debian's
 * influxd, started here): the points read back (counts and sums per tag, timestamps, escaped
 * tag and string values), auto falling back to 1.x, distinct timestamps with time: now; config
 * errors. Run as seg_influx.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

#include "ofd/time.h"

#include "http_peer.h"
#include "influxd_peer.h"
#include "segments/common/fieldlist.h"
#include "segments/common/lineproto.h"
#include "segments/output/influx.h"

extern const struct ofd_segment_type ofd_seg_influx;

static int have_influxd;

#define T0 1700000000000000000ull

static const char *const protos[] = {"TCP", "UDP", "a b,c=d"};

/* Record i: ProtoName protos[i % 3], 10.0.0.(i+1), Bytes 100 (i+1), Packets i+1, received T0 +
   i seconds. */
static void fill(struct ofd_flow *f, unsigned i)
{
	f->proto_name = protos[i % 3];
	assert_int_equal(ofd_ip_parse(&f->src_addr, i % 2 ? "10.0.0.2" : "10.0.0.1"), 0);
	f->bytes = 100 * (i + 1);
	f->packets = i + 1;
	f->time_received_ns = T0 + i * 1000000000ull;
	f->in_if_desc = "Gi0/1 \"up\" \\ x";
}

/* Let the pool write what the output has given it. */
static void written(struct ofd_harness *h)
{
	struct influx_state *s = ofd_harness_state(h);
	(void)ofd_wpool_drain(s->wp);
}

static void test_lineproto(void **st)
{
	(void)st;
	char out[1024];
	char *e = ofd_lp_escape(out, out + sizeof(out), "a b,c=d\\", 8, 'k');
	assert_non_null(e);
	*e = 0;
	assert_string_equal(out, "a\\ b\\,c\\=d\\x5c");
	e = ofd_lp_escape(out, out + sizeof(out), "x \"q\" \\", 7, 's');
	*e = 0;
	assert_string_equal(out, "x \\\"q\\\" \\\\");
	e = ofd_lp_escape(out, out + sizeof(out), "m=1 ,", 5, 'm');
	*e = 0;
	assert_string_equal(out, "m=1\\ \\,");
	assert_null(ofd_lp_escape(out, out + 3, "a,b", 3, 'k')); /* no room */
	/* a backslash stays a byte (before an escaped one too) but the last: \x5c, which cannot escape the
	 * delimiter */
	e = ofd_lp_escape(out, out + sizeof(out), " b,c\"\\\\", 7, 'k');
	*e = 0;
	assert_string_equal(out, "\\ b\\,c\"\\\\x5c");
	e = ofd_lp_escape(out, out + sizeof(out), "x\\y\\\\,z\\", 8, 'k');
	*e = 0;
	assert_string_equal(out, "x\\y\\\\\\,z\\x5c");

	struct ofd_lp lp;
	assert_int_equal(ofd_lp_init(&lp, "flow data"), 0);
	const char *names[] = {"ProtoName", "SrcAddr", "Cid", "DstAddr"};
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(ofd_lp_add_tag(&lp, names[i]), 0);
	assert_int_equal(ofd_lp_add_field(&lp, "Packets"), 0);
	assert_int_equal(ofd_lp_add_field(&lp, "bytes"), 0); /* our name for Bytes */
	assert_int_equal(ofd_lp_add_field(&lp, "SrcIfDesc"), 0);
	assert_int_equal(ofd_lp_add_field(&lp, "Type"), 0);
	assert_int_equal(ofd_lp_add_field(&lp, "Bytes"), 0); /* once */
	assert_int_equal(ofd_lp_add_field(&lp, "NoSuchField"), OFD_FIELDLIST_UNKNOWN);
	assert_null(ofd_lp_finish(&lp));
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.proto_name = "a b,c=d\\";
	assert_int_equal(ofd_ip_parse(&f.src_addr, "2001:db8::1"), 0);
	f.cid = 42;
	f.bytes = UINT64_MAX; /* does not fit: 2^63-1, counted */
	f.packets = 3;
	f.type = OFD_FT_NETFLOW_V5;
	f.in_if_desc = "Gi0/1 \"up\"\n";
	e = ofd_lp_row(&lp, &f, T0 + 5, out, out + sizeof(out));
	assert_non_null(e);
	*e = 0;
	/* tags and fields by key; DstAddr empty: left out */
	assert_string_equal(out,
			    "flow\\ data,Cid=42,ProtoName=a\\ b\\,c\\=d\\x5c,SrcAddr=2001:db8::1 "
			    "Bytes=9223372036854775807i,Packets=3i,SrcIfDesc=\"Gi0/1 \\\"up\\\"\\\\x0a\","
			    "Type=\"NETFLOW_V5\" 1700000000000000005\n");
	assert_int_equal(lp.clamped, 1);
	assert_null(ofd_lp_row(&lp, &f, T0, out, out + 40)); /* does not fit */
	assert_int_equal(ofd_lp_add_field(&lp, "ProtoName"), 0);
	assert_string_equal(ofd_lp_finish(&lp), "ProtoName"); /* both a tag and a field */
	ofd_lp_fini(&lp);
}

static struct ofd_harness *open_peer(const struct peer *p, const char *more)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg), "{address: \"http://127.0.0.1:%u/\", bucket: b, %s}", p->port, more);
	return st_open(&ofd_seg_influx, cfg);
}

static void test_v2_request(void **st)
{
	(void)st;
	struct peer p;
	peer_start(&p, NULL, 0, NULL);
	struct ofd_harness *h =
	    open_peer(&p, "org: \"my org\", token: tok, api: v2, time: TimeReceived, fields: Bytes");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (unsigned i = 0; i < 3; i++)
		fill(&b->flows[i], i);
	ofd_batch_kill(b, 1);
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	ofd_harness_free(h);
	peer_stop(&p);
	assert_int_equal(p.nreq, 1);
	assert_string_equal(p.req[0].line, "POST /api/v2/write?org=my%20org&bucket=b&precision=ns HTTP/1.1");
	assert_non_null(strstr(p.req[0].head, "\r\nAuthorization: Token tok\r\n"));
	assert_non_null(strstr(p.req[0].head, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	assert_null(strcasestr(p.req[0].head, "Expect:"));
	assert_string_equal(p.req[0].body,
			    "flowdata,ProtoName=TCP Bytes=100i 1700000000000000000\n"
			    "flowdata,ProtoName=a\\ b\\,c\\=d Bytes=300i 1700000002000000000\n");
	peer_free(&p);
}

static void test_auto_fallback(void **st)
{
	(void)st;
	struct peer p;
	int script[] = {404};
	peer_start(&p, script, 1, "404 page not found");
	struct ofd_harness *h = open_peer(&p, "org: o, token: \"u:p\", batchsize: 1");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	for (unsigned i = 0; i < 2; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	assert_int_equal(ofd_harness_counter(h, "api_fallbacks"), 1);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	assert_int_equal(ofd_harness_counter(h, "refused"), 0);
	ofd_harness_free(h);
	peer_stop(&p);
	assert_int_equal(p.nreq, 3); /* v2 once, then /write for both */
	assert_string_equal(p.req[0].line, "POST /api/v2/write?org=o&bucket=b&precision=ns HTTP/1.1");
	assert_string_equal(p.req[1].line, "POST /write?db=b&precision=ns HTTP/1.1");
	assert_string_equal(p.req[2].line, "POST /write?db=b&precision=ns HTTP/1.1");
	assert_non_null(strstr(p.req[1].head, "\r\nAuthorization: Basic dTpw\r\n")); /* u:p */
	assert_string_equal(p.req[0].body, p.req[1].body);
	assert_non_null(strstr(p.req[2].body, "flowdata,ProtoName=UDP Bytes=200i,Packets=2i "));
	peer_free(&p);
}

static void test_v1_no_token(void **st)
{
	(void)st;
	struct peer p;
	peer_start(&p, NULL, 0, NULL);
	struct ofd_harness *h = open_peer(&p, "api: v1, tags: [Cid, SrcAddr], fields: \"Packets,ProtoName\"");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	fill(&b->flows[0], 0);
	b->flows[0].cid = 7;
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 1);
	ofd_harness_free(h);
	peer_stop(&p);
	assert_int_equal(p.nreq, 1);
	assert_string_equal(p.req[0].line, "POST /write?db=b&precision=ns HTTP/1.1");
	assert_null(strcasestr(p.req[0].head, "Authorization"));
	assert_non_null(
	    strstr(p.req[0].body, "flowdata,Cid=7,SrcAddr=10.0.0.1 Packets=1i,ProtoName=\"TCP\" "));
	peer_free(&p);
}

static void test_retry_500(void **st)
{
	(void)st;
	struct peer p;
	int script[] = {500};
	peer_start(&p, script, 1, "{\"error\":\"busy\"}");
	struct ofd_harness *h = open_peer(&p, "org: o, token: t, api: v2, backoff: 1ms");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (unsigned i = 0; i < 3; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 3);
	assert_int_equal(ofd_harness_counter(h, "retried"), 1);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	ofd_harness_free(h);
	peer_stop(&p);
	assert_int_equal(p.nreq, 2);
	assert_string_equal(p.req[0].body, p.req[1].body);
	assert_int_equal(strlen(p.req[0].body) > 0, 1);
	peer_free(&p);
}

static void test_refused_400(void **st)
{
	(void)st;
	struct peer p;
	int script[] = {400};
	peer_start(&p, script, 1, "{\"error\":\"unable to parse 'x': bad\"}");
	struct ofd_harness *h = open_peer(&p, "org: o, token: t, api: v2, batchsize: 2, backoff: 1ms");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (unsigned i = 0; i < 4; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "lost"), 2);
	assert_int_equal(ofd_harness_counter(h, "refused"), 1);
	assert_int_equal(ofd_harness_counter(h, "retried"), 0);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	ofd_harness_free(h);
	peer_stop(&p);
	assert_int_equal(p.nreq, 2);
	assert_non_null(strstr(p.req[1].body, "Bytes=300i"));
	assert_non_null(strstr(p.req[1].body, "Bytes=400i"));
	assert_null(strstr(p.req[1].body, "Bytes=100i"));
	peer_free(&p);
}

static void test_flush_on_tick(void **st)
{
	(void)st;
	struct peer p;
	peer_start(&p, NULL, 0, NULL);
	struct ofd_harness *h = open_peer(&p, "org: o, token: t, flushinterval: 0s");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	fill(&b->flows[0], 0);
	fill(&b->flows[1], 1);
	ofd_harness_process(h, b);
	assert_false(peer_wait(&p, 1, 200)); /* 2 of batchsize 5000: held */
	ofd_harness_tick(h, ofd_time_now_ns());
	assert_true(peer_wait(&p, 1, 10000)); /* open longer than flushinterval: sent on the tick */
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	ofd_harness_free(h);
	peer_stop(&p);
	assert_int_equal(p.nreq, 1);
	peer_free(&p);
}

/* Nobody listens: connecting fails, is retried, then the rows are lost. */
static void test_transport_error(void **st)
{
	(void)st;
	char cfg[300];
	snprintf(cfg, sizeof(cfg),
		 "{address: \"http://127.0.0.1:%u\", org: o, bucket: b, token: t, retries: 2, backoff: 1ms}",
		 free_tcp_port());
	struct ofd_harness *h = st_open(&ofd_seg_influx, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (unsigned i = 0; i < 3; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "lost"), 3);
	assert_int_equal(ofd_harness_counter(h, "retried"), 2);
	assert_int_equal(ofd_harness_counter(h, "written"), 0);
	assert_int_equal(ofd_harness_counter(h, "refused"), 0);
	ofd_harness_free(h);
}

static void create_db(const char *db)
{
	char q[128];
	struct resp r;
	snprintf(q, sizeof(q), "CREATE DATABASE %s", db);
	influxd_query("", q, &r);
}

static void test_influxd_v1(void **st)
{
	(void)st;
	if (!have_influxd)
		skip();
	create_db("flows");
	char cfg[600];
	snprintf(
	    cfg, sizeof(cfg),
	    "{address: \"http://127.0.0.1:%u\", bucket: flows, token: \"u:p\", api: v1, time: "
	    "TimeReceived, tags: \"ProtoName,SrcAddr\", fields: [Bytes, Packets, SrcIfDesc], batchsize: 4, "
	    "workers: 2}",
	    influxd_port);
	struct ofd_harness *h = st_open(&ofd_seg_influx, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 9);
	for (unsigned i = 0; i < 9; i++)
		fill(&b->flows[i], i);
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 9);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	ofd_harness_free(h);

	struct resp r;
	const char *j = influxd_query_has(
	    "flows", "SELECT count(Bytes), sum(Bytes), sum(Packets) FROM flowdata GROUP BY ProtoName",
	    "\"tags\":{\"ProtoName\":\"TCP\"},\"columns\":[\"time\",\"count\",\"sum\","
	    "\"sum_1\"],\"values\":[[0,3,1200,12]]",
	    &r);
	/* TCP: records 0 3 6; UDP: 1 4 7; "a b,c=d": 2 5 8 */
	assert_non_null(strstr(j, "\"tags\":{\"ProtoName\":\"UDP\"},\"columns\":[\"time\",\"count\",\"sum\","
				  "\"sum_1\"],\"values\":[[0,3,1500,15]]"));
	assert_non_null(strstr(j, "\"tags\":{\"ProtoName\":\"a b,c=d\"},\"columns\":[\"time\",\"count\","
				  "\"sum\",\"sum_1\"],\"values\":[[0,3,1800,18]]"));
	j = influxd_query("flows", "SELECT Bytes, SrcIfDesc FROM flowdata WHERE SrcAddr = '10.0.0.2'", &r);
	assert_non_null(strstr(j, "\"values\":[[1700000001000000000,200,\"Gi0/1 \\\"up\\\" \\\\ x\"],"
				  "[1700000003000000000,400,"));
	assert_non_null(strstr(j, "[1700000007000000000,800,"));
	j = influxd_query("flows", "SELECT count(Bytes) FROM flowdata", &r);
	assert_non_null(strstr(j, "\"values\":[[0,9]]"));
}

static void test_influxd_auto_now(void **st)
{
	(void)st;
	if (!have_influxd)
		skip();
	create_db("auto");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{address: \"http://127.0.0.1:%u\", org: o, bucket: auto, token: t}",
		 influxd_port);
	struct ofd_harness *h = st_open(&ofd_seg_influx, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	for (unsigned i = 0; i < 5; i++) {
		fill(&b->flows[i], i);
		b->flows[i].proto_name = "ICMP"; /* one series: equal timestamps would overwrite */
	}
	uint64_t before = (uint64_t)time(NULL) * 1000000000ull;
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 5);
	assert_int_equal(ofd_harness_counter(h, "api_fallbacks"), 1); /* 1.6 has no /api/v2/write */
	ofd_harness_free(h);
	struct resp r;
	const char *j = influxd_query("auto", "SELECT count(Bytes), sum(Bytes) FROM flowdata", &r);
	assert_non_null(strstr(j, "\"values\":[[0,5,1500]]"));
	j = influxd_query("auto", "SELECT first(Bytes) FROM flowdata", &r);
	const char *v = strstr(j, "\"values\":[[");
	assert_non_null(v);
	uint64_t t = strtoull(v + 11, NULL, 10);
	assert_true(t >= before && t < before + 600 * 1000000000ull); /* written now, in ns */
}

/* Backslashes and specials in a tag value, as the real server stores them. */
static void test_influxd_backslashes(void **st)
{
	(void)st;
	if (!have_influxd)
		skip();
	create_db("esc");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{address: \"http://127.0.0.1:%u\", bucket: esc, api: v1}", influxd_port);
	struct ofd_harness *h = st_open(&ofd_seg_influx, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	fill(&b->flows[0], 0);
	fill(&b->flows[1], 1);
	b->flows[0].proto_name = "x\\y\\\\,z\\"; /* x\y\\,z\ */
	b->flows[1].proto_name = " b,c\"\\\\";
	ofd_harness_process(h, b);
	written(h);
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	ofd_harness_free(h);
	struct resp r;
	const char *j = influxd_query("esc", "SHOW TAG VALUES FROM flowdata WITH KEY = ProtoName", &r);
	/* stored: the text, a last backslash as \x5c */
	assert_non_null(strstr(j, "[\"ProtoName\",\" b,c\\\"\\\\\\\\x5c\"]"));
	assert_non_null(strstr(j, "[\"ProtoName\",\"x\\\\y\\\\\\\\,z\\\\x5c\"]"));
	j = influxd_query("esc", "SELECT count(Bytes) FROM flowdata", &r);
	assert_non_null(strstr(j, "\"values\":[[0,2]]"));
}

static void test_config_errors(void **st)
{
	(void)st;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_influx, "{org: o, bucket: b, token: t, tags: Nope}",
					 err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "tags"));
	assert_non_null(strstr(err, "Nope"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_influx,
					 "{org: o, bucket: b, token: t, tags: Bytes, fields: Bytes}", err,
					 sizeof(err)),
			 OFD_ECONFIG);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_influx,
					 "{address: \"ftp://x\", org: o, bucket: b, token: t}", err,
					 sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "address"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_influx, "{bucket: b, token: t}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "org"));
	/* no token: taken (flowpipeline's configs write token: $VAR), warned about, nothing sent */
	h = st_open(&ofd_seg_influx, "{org: o, bucket: b, address: \"http://127.0.0.1:9\"}");
	ofd_harness_free(h);
	h = NULL;
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_influx, "{org: o, token: t}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "bucket"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_influx, "{org: o, bucket: b, token: t, api: v3}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_null(h);
	/* v1 needs neither org nor token */
	h = st_open(&ofd_seg_influx, "{bucket: b, api: v1, address: \"http://127.0.0.1:9\"}");
	ofd_harness_free(h);
}

static int setup(void **st)
{
	if (st_dir_make(st) || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	have_influxd = access(INFLUXD, X_OK) == 0;
	if (have_influxd && influxd_start() != 0)
		return -1;
	return 0;
}

static int teardown(void **st)
{
	influxd_stop();
	curl_global_cleanup();
	return st_dir_remove(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lineproto),		cmocka_unit_test(test_v2_request),
	    cmocka_unit_test(test_auto_fallback),	cmocka_unit_test(test_v1_no_token),
	    cmocka_unit_test(test_retry_500),		cmocka_unit_test(test_refused_400),
	    cmocka_unit_test(test_flush_on_tick),	cmocka_unit_test(test_transport_error),
	    cmocka_unit_test(test_influxd_v1),		cmocka_unit_test(test_influxd_auto_now),
	    cmocka_unit_test(test_influxd_backslashes), cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
