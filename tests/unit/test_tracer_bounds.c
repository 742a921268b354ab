/*
 * Hostile values and stale tracers. Signed tracers whose numbers a store cannot hold (pcount =
 * INT64_MAX, the report's integer overflow), ports above 65535, times beyond 2^33 s, counters
 * that are strings: invalid "bad_value" at verification, counted so by a listener. The
 * receiver's limits: a size cap (4096, a sealed line may be its sealed length), and the
 * freshness window (24 h back, 10 min ahead) on metadata.time: "stale". And the spoofing
 * report over rows an older receiver stored with pcount = INT64_MAX (a version 1 database,
 * migrated): it works, with the sums saturated instead of an SQLite integer overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "receiver/listen.h"
#include "receiver/query.h"
#include "store_help.h"

#define NOW_S 1800000000ull /* the tests' clock: 2027-01-15 */
#define NS    UINT64_C(1000000000)

static uint8_t scratch[OFD_TRACER_MAX];

/* A tracer line around arbitrary signed bytes body, signed by k. Its length. */
static size_t sign_body(char *line, size_t cap, const struct ofd_key *k, const char *body)
{
	int n = ofd_tracer_sign(line, cap, body, strlen(body), k);
	assert_true(n > 0);
	return (size_t)n;
}

/* The signed bytes of a tracer with data members `data` and metadata.time t. */
static const char *body_with(const char *data, const char *time)
{
	static char b[6144];
	snprintf(
	    b, sizeof(b),
	    "{\"flowdata\": {\"sourcetype\": {\"type\": \"Netflow\", \"version\": 5}, \"data\": {\"saddr\": "
	    "\"192.0.2.1\", \"daddr\": \"198.51.100.1\", \"sport\": 1234, \"dport\": 80, \"protocol\": 6, "
	    "%s}}, "
	    "\"metadata\": {\"info\": \"FLOWSEEN\", \"class\": \"INFORMATIONAL\"%s%s}}",
	    data, time ? ", \"time\": " : "", time ? time : "");
	return b;
}

static enum ofd_tv_error verify_body(const struct ofd_key *k, const char *body)
{
	static char line[OFD_TRACER_MAX + 1];
	struct ofd_tracer_msg m;
	size_t n = sign_body(line, sizeof(line), k, body);
	enum ofd_tv_error e = ofd_tracer_verify(line, n, NULL, scratch, &m);
	return e;
}

static void test_values(void **state)
{
	(void)state;
	struct ofd_key *k = th_key(0x41);
	static const struct {
		const char *data;
		enum ofd_tv_error want;
	} cases[] = {
	    {"\"pcount\": 9223372036854775807, \"bcount\": 1", OFD_TV_BAD_VALUE}, /* INT64_MAX */
	    {"\"pcount\": 1, \"bcount\": 9223372036854775807", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 9007199254740992, \"bcount\": 9007199254740992", OFD_TV_OK}, /* 2^53 */
	    {"\"pcount\": 9007199254740993, \"bcount\": 1", OFD_TV_BAD_VALUE},
	    {"\"pcount\": -1, \"bcount\": 1", OFD_TV_BAD_VALUE},
	    {"\"pcount\": \"12\", \"bcount\": 1", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 1.5, \"bcount\": 1", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 1, \"bcount\": 1, \"stime\": 1700000000, \"etime\": 1700000060", OFD_TV_OK},
	    {"\"pcount\": 1, \"bcount\": 1, \"stime\": 8589934593", OFD_TV_BAD_VALUE}, /* 2^33 + 1 */
	    {"\"pcount\": 1, \"bcount\": 1, \"etime\": -5", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 1, \"bcount\": 1, \"flags\": 65536", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 1, \"bcount\": 1, \"tos\": 256", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 1, \"bcount\": 1, \"src_as\": 4294967295, \"in_if\": 4294967295", OFD_TV_OK},
	    {"\"pcount\": 1, \"bcount\": 1, \"dst_as\": 4294967296", OFD_TV_BAD_VALUE},
	    {"\"pcount\": 1, \"bcount\": 1, \"exporter\": \"10.0.0.1\"", OFD_TV_OK},
	    {"\"pcount\": 1, \"bcount\": 1, \"exporter\": \"10.0.0.1\\u001b[2J\"", OFD_TV_BAD_VALUE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ofd_tv_error e = verify_body(k, body_with(cases[i].data, "1800000000.5"));
		if (e != cases[i].want) {
			fprintf(stderr, "case %zu: %s\n", i, ofd_tv_error_name(e));
			fail();
		}
	}
	/* ports, protocol, addresses, the data's type, a time no double holds as a second count */
	assert_int_equal(verify_body(k, "{\"flowdata\": {\"data\": {\"dport\": 65536}}, \"metadata\": {}}"),
			 OFD_TV_BAD_VALUE);
	assert_int_equal(verify_body(k, "{\"flowdata\": {\"data\": {\"sport\": 65535, \"protocol\": 256}}, "
					"\"metadata\": {}}"),
			 OFD_TV_BAD_VALUE);
	assert_int_equal(verify_body(k, "{\"flowdata\": {\"data\": {\"saddr\": \"not an address\"}}, "
					"\"metadata\": {}}"),
			 OFD_TV_BAD_VALUE);
	assert_int_equal(verify_body(k, "{\"flowdata\": {\"data\": 5}, \"metadata\": {}}"), OFD_TV_BAD_VALUE);
	assert_int_equal(verify_body(k, "{\"flowdata\": {}, \"metadata\": {\"time\": 1e300}}"),
			 OFD_TV_BAD_VALUE);
	assert_string_equal(ofd_tv_error_slug(OFD_TV_BAD_VALUE), "bad_value");
	assert_string_equal(ofd_tv_error_slug(OFD_TV_STALE), "stale");
	ofd_key_free(k);
}

/* Two tracers with pcount = INT64_MAX, as the attacker signed them: a listener counts
   them invalid, bad_value, and never hands them on. */
static int accepted;
static int count_accept(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
			const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	(void)ctx, (void)m, (void)raw, (void)len, (void)sender, (void)recv_ns, (void)token;
	accepted++;
	return 1;
}

static void test_int64_max_listener(void **state)
{
	(void)state;
	struct ofd_key *k = th_key(0x42);
	struct ofd_listen_cfg cfg = {.accept = count_accept};
	struct ofd_listen *l;
	assert_int_equal(ofd_listen_start(&l, &cfg), 0);
	struct ofd_ip from;
	assert_int_equal(ofd_ip_parse(&from, "203.0.113.5"), 0);
	for (int i = 0; i < 2; i++) {
		struct ofd_flow f;
		memset(&f, 0, sizeof(f));
		f.type = OFD_FT_NETFLOW_V5;
		assert_int_equal(ofd_ip_parse(&f.src_addr, "192.0.2.10"), 0);
		assert_int_equal(ofd_ip_parse(&f.dst_addr, "198.51.100.9"), 0);
		f.packets = INT64_MAX;
		f.bytes = 1000 + (uint64_t)i;
		struct ofd_tracer_meta meta = {.cls = OFD_TC_INFORMATIONAL, .time = 1700000000.5};
		char body[OFD_TRACER_MAX], line[OFD_TRACER_MAX];
		int bn = ofd_tracer_body(body, sizeof(body), &f, &meta, 0);
		assert_true(bn > 0);
		assert_non_null(strstr(body, "\"pcount\": 9223372036854775807"));
		size_t n = sign_body(line, sizeof(line), k, body);
		int stored = 0;
		assert_int_equal(
		    ofd_listen_handle(l, line, n, &from, 1, OFD_TRANSPORT_HTTP, scratch, &stored),
		    OFD_TV_BAD_VALUE);
	}
	struct ofd_listen_counters c;
	ofd_listen_counters(l, &c);
	assert_int_equal(c.invalid[OFD_TV_BAD_VALUE], 2);
	assert_int_equal(c.valid, 0);
	assert_int_equal(accepted, 0);
	char m[8192];
	assert_true(ofd_listen_metrics(l, m, sizeof(m)) > 0);
	assert_non_null(strstr(m, "overflowd_tracers_invalid_total{reason=\"bad_value\"} 2\n"));
	ofd_listen_stop(l);
	ofd_key_free(k);
}

/* The spoofing report over a version 1 database holding two rows with pcount = INT64_MAX (as a
   receiver before the bounds stored them): migrated at open, the report works; the sums of
   packets and bytes saturate at INT64_MAX instead of failing. */
static void test_int64_max_report(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
	static const char v1[] =
	    "CREATE TABLE tracers (id INTEGER PRIMARY KEY, recv_ns INTEGER NOT NULL, sender TEXT NOT NULL,"
	    " sender_net TEXT NOT NULL, key TEXT NOT NULL, class TEXT, info TEXT, contact TEXT, msg_time "
	    "REAL,"
	    " saddr TEXT, daddr TEXT, sport INTEGER, dport INTEGER, proto INTEGER, packets INTEGER,"
	    " bytes INTEGER, stime INTEGER, etime INTEGER, exporter TEXT, src_type TEXT, src_version INTEGER,"
	    " body_hash BLOB NOT NULL, body TEXT NOT NULL, raw TEXT NOT NULL, sealed INTEGER NOT NULL "
	    "DEFAULT 0,"
	    " dups INTEGER NOT NULL DEFAULT 0, UNIQUE (key, body_hash));"
	    "CREATE INDEX tracers_recv ON tracers (recv_ns);"
	    "CREATE INDEX tracers_key ON tracers (key, recv_ns);"
	    "CREATE INDEX tracers_class ON tracers (class, recv_ns);"
	    "CREATE TABLE keys (key TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT "
	    "NULL,"
	    " count INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0,"
	    " contact_changed INTEGER NOT NULL DEFAULT 0, last_contact TEXT);"
	    "CREATE TABLE key_networks (key TEXT NOT NULL, network TEXT NOT NULL, first_seen INTEGER NOT "
	    "NULL,"
	    " last_seen INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, network)) WITHOUT ROWID;"
	    "CREATE TABLE key_contacts (key TEXT NOT NULL, contact TEXT NOT NULL, first_seen INTEGER NOT "
	    "NULL,"
	    " last_seen INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, contact)) WITHOUT ROWID;"
	    "INSERT INTO tracers (recv_ns, sender, sender_net, key, saddr, daddr, packets, bytes, stime, "
	    "etime,"
	    " body_hash, body, raw) VALUES"
	    " (1, '203.0.113.5', '203.0.113.0/24', 'aa', '192.0.2.10', '198.51.100.9', 9223372036854775807,"
	    " 1000, 100, 200, x'01', '{}', 'raw line 1'),"
	    " (2, '203.0.113.5', '203.0.113.0/24', 'aa', '192.0.2.11', '198.51.100.9', 9223372036854775807,"
	    " 1001, 150, 250, x'02', '{}', 'raw line 2');"
	    "PRAGMA user_version = 1;";
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	/* the report as it was: an integer overflow */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sum(packets) FROM tracers", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
	assert_string_equal(sqlite3_errmsg(db), "integer overflow");
	sqlite3_finalize(st);
	sqlite3_close(db);

	struct ofd_store *s = th_open(d.db); /* migrates to version 2 */
	struct ofd_prefix mine;
	assert_int_equal(ofd_prefix_parse(&mine, "192.0.2.0/24"), 0);
	struct ofd_query q = {.mine = &mine, .nmine = 1, .fmt = OFD_QF_CSV};
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(ofd_query_spoofed(s, &q, f), 1);
	fclose(f);
	assert_string_equal(buf, "key,network,transport,tracers,duplicates,packets,bytes,first,last,contact\n"
				 "aa,203.0.113.0/24,,2,0,9223372036854775807,2001,1970-01-01T00:01:40Z,"
				 "1970-01-01T00:04:10Z,\n");
	free(buf);
	ofd_store_close(s);
	th_dir_rm(&d);
}

/* The receiver's limits: the size cap before anything else, the freshness window last. */
static void test_limits(void **state)
{
	(void)state;
	struct ofd_key *k = th_key(0x43), *ours = th_key(0x44);
	static char line[OFD_TRACER_MAX + 1], sealed[OFD_TRACER_MAX + 1];
	struct ofd_tracer_msg m;
	const struct ofd_tv_limits lim = {.max_len = 4096, .past_s = 86400, .future_s = 600};
	uint64_t now = NOW_S * NS;
	static const struct {
		const char *time;
		enum ofd_tv_error want;
	} cases[] = {
	    {"1800000000.25", OFD_TV_OK},
	    {"1799913601", OFD_TV_OK},		 /* 23:59:59 ago */
	    {"1799913599", OFD_TV_STALE},	 /* 24 h and a second ago */
	    {"1800000599", OFD_TV_OK},		 /* 9:59 ahead */
	    {"1800000601", OFD_TV_STALE},	 /* 10:01 ahead */
	    {"1477778027.138109", OFD_TV_STALE}, /* a tracer of 2016, replayed */
	    {NULL, OFD_TV_STALE},		 /* no time at all */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = sign_body(line, sizeof(line), k, body_with("\"pcount\": 1", cases[i].time));
		enum ofd_tv_error e = ofd_tracer_verify_at(line, n, NULL, &lim, now, scratch, &m);
		if (e != cases[i].want) {
			fprintf(stderr, "case %zu: %s\n", i, ofd_tv_error_name(e));
			fail();
		}
		if (e == OFD_TV_OK) {
			assert_non_null(m.doc);
			ofd_tracer_msg_release(&m);
		} else {
			assert_null(m.doc);
			assert_null(m.body);
		}
	}
	/* without a window: any time, also none */
	size_t n = sign_body(line, sizeof(line), k, body_with("\"pcount\": 1", NULL));
	assert_int_equal(ofd_tracer_verify_at(line, n, NULL, NULL, now, scratch, &m), OFD_TV_OK);
	ofd_tracer_msg_release(&m);

	/* the size cap: the longest plain tracer up to 4096 bytes passes, the next one (a byte more
	   of signed bytes) is too large, refused before its signature is checked */
	static char info[4096], data[4200];
	size_t pad = 0, last = 0;
	for (;; pad++) {
		memset(info, 'x', pad);
		info[pad] = 0;
		snprintf(data, sizeof(data), "\"pcount\": 1, \"note\": \"%s\"", info);
		n = sign_body(line, sizeof(line), k, body_with(data, "1800000000"));
		if (n > 4096)
			break;
		last = n;
	}
	assert_true(last > 4090 && last <= 4096);
	for (int over = 0; over <= 1; over++) {
		memset(info, 'x', pad - 1 + (size_t)over);
		info[pad - 1 + (size_t)over] = 0;
		snprintf(data, sizeof(data), "\"pcount\": 1, \"note\": \"%s\"", info);
		n = sign_body(line, sizeof(line), k, body_with(data, "1800000000"));
		assert_true(over ? n > 4096 : n == last);
		enum ofd_tv_error want_e = over ? OFD_TV_TOO_LARGE : OFD_TV_OK;
		enum ofd_tv_error e = ofd_tracer_verify_at(line, n, NULL, &lim, now, scratch, &m);
		assert_int_equal(e, want_e);
		ofd_tracer_msg_release(&m);
		/* sealed: the line is longer than the cap, its content is what counts */
		int sn = ofd_tracer_seal(sealed, sizeof(sealed), line, n, ofd_key_public(ours));
		assert_true(sn > 4096);
		e = ofd_tracer_verify_at(sealed, (size_t)sn, ours, &lim, now, scratch, &m);
		assert_int_equal(e, want_e);
		assert_int_equal(m.sealed, !over); /* over: refused before it was opened */
		ofd_tracer_msg_release(&m);
	}
	/* anything longer than a sealed tracer of the cap is refused before it is parsed */
	memset(line, '{', sizeof(line) - 1);
	assert_int_equal(
	    ofd_tracer_verify_at(line, ofd_tracer_sealed_len(4096) + 1, NULL, &lim, now, scratch, &m),
	    OFD_TV_TOO_LARGE);
	assert_int_equal(
	    ofd_tracer_verify_at(line, ofd_tracer_sealed_len(4096), NULL, &lim, now, scratch, &m),
	    OFD_TV_NOT_JSON);
	ofd_key_free(k);
	ofd_key_free(ours);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_int64_max_listener),
	    cmocka_unit_test(test_int64_max_report),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
