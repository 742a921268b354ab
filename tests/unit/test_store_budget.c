/*
 * The store's bounds on real SQLite files. Anyone can mint keys: 5,000 valid tracers from
 * 5,000 fresh keys, each from a network of its own (what forged UDP sources look like), stay
 * within a 2 MiB budget, refused with -ENOSPC at it (no retention) or making room by pruning
 * the oldest (retention by size), and the key history (keys, networks, contacts) goes with the
 * tracers. Hourly quotas per key and per sender network refuse (-EDQUOT) and count, never a
 * duplicate, and start again the next hour. The writer hands -ENOSPC to its callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "receiver/writer.h"
#include "store_help.h"

#define NS     UINT64_C(1000000000)
#define BUDGET (UINT64_C(2) << 20)
#define FRESH  5000

static int64_t scalar(struct ofd_store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(ofd_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A key of its own for tracer i. */
static struct ofd_key *fresh_key(uint32_t i)
{
	uint8_t seed[32];
	struct ofd_key *k;
	memset(seed, 0x77, sizeof(seed));
	memcpy(seed, &i, sizeof(i));
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	return k;
}

/* Tracer i, signed by a fresh key, with a contact of its own. */
static void fresh_tracer(struct tr *t, uint32_t i)
{
	char contact[64];
	snprintf(contact, sizeof(contact), "abuse-%u@example.net", i);
	struct tflow tf = {.saddr = "192.0.2.10",
			   .daddr = "198.51.100.9",
			   .exporter = "10.0.0.1",
			   .sport = 443,
			   .dport = 51000,
			   .packets = 10 + i,
			   .bytes = 15000,
			   .stime = 1800000000,
			   .etime = 1800000060,
			   .cls = OFD_TC_MACHINE_SUSPECTED,
			   .contact = contact,
			   .time = 1800000061};
	struct ofd_key *k = fresh_key(i);
	th_make(t, k, &tf);
	ofd_key_free(k);
}

/* The sender of tracer i: a /24 of its own. */
static void sender_of(char *buf, size_t cap, uint32_t i)
{
	snprintf(buf, cap, "10.%u.%u.7", (i >> 8) & 255, i & 255);
}

/* The key history holds exactly what the stored tracers support. */
static void history_matches(struct ofd_store *s)
{
	assert_int_equal(scalar(s, "SELECT count(*) FROM keys"),
			 scalar(s, "SELECT count(DISTINCT key) FROM tracers"));
	assert_int_equal(scalar(s, "SELECT count(*) FROM key_networks"),
			 scalar(s, "SELECT count(*) FROM (SELECT DISTINCT key, sender_net FROM tracers)"));
	assert_int_equal(scalar(s, "SELECT count(*) FROM key_contacts"),
			 scalar(s, "SELECT count(*) FROM (SELECT DISTINCT key, contact FROM tracers)"));
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* Add the FRESH tracers in batches of 100 as the writer does; prune = 1: retention by size. */
static void flood(struct ofd_store *s, int prune, int *stored, int *full)
{
	static struct tr t;
	char sender[32];
	*stored = *full = 0;
	for (uint32_t i = 0; i < FRESH; i++) {
		if (i % 100 == 0)
			assert_int_equal(ofd_store_begin(s), 0);
		fresh_tracer(&t, i);
		sender_of(sender, sizeof(sender), i);
		int rc = th_add_via(s, &t, sender, (1800000100 + i) * NS, OFD_TRANSPORT_UDP);
		assert_true(rc == 1 || rc == OFD_STORE_FULL);
		*(rc == 1 ? stored : full) += 1;
		if (i % 100 == 99) {
			assert_int_equal(ofd_store_commit(s), 0);
			if (prune && ofd_store_wants_prune(s))
				assert_true(ofd_store_prune(s, 1800000100 + i, 0, 0) > 0);
		}
	}
}

static void test_fresh_keys_refused(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	const struct ofd_store_limits lim = {.max_size = BUDGET};
	ofd_store_set_limits(s, &lim);
	int stored, full;
	flood(s, 0, &stored, &full);
	struct ofd_store_stats st;
	ofd_store_get_stats(s, &st);
	fprintf(stderr, "no retention: stored %d, refused full %d, %.0f bytes per tracer\n", stored, full,
		(double)file_size(d.db) / stored);
	assert_true(stored > 500 && full > 0);
	assert_int_equal(stored + full, FRESH);
	assert_int_equal(st.full, (uint64_t)full);
	assert_int_equal(st.stored, (uint64_t)stored);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), stored);
	assert_true(file_size(d.db) <= BUDGET + 65536); /* the last add's pages at most */
	history_matches(s);
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void test_fresh_keys_pruned(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	const struct ofd_store_limits lim = {.max_size = BUDGET};
	ofd_store_set_limits(s, &lim);
	int stored, full;
	flood(s, 1, &stored, &full);
	struct ofd_store_stats st;
	ofd_store_get_stats(s, &st);
	int64_t rows = scalar(s, "SELECT count(*) FROM tracers");
	fprintf(stderr, "retention by size: stored %d, refused %d, kept %lld, pruned %llu (history %llu)\n",
		stored, full, (long long)rows, (unsigned long long)st.pruned,
		(unsigned long long)st.history_pruned);
	assert_int_equal(full, 0); /* pruning made room before the budget was reached */
	assert_int_equal(stored, FRESH);
	assert_int_equal((uint64_t)rows + st.pruned, FRESH);
	assert_true(st.pruned > 0 && rows > 500);
	assert_int_equal(st.history_pruned, 3 * st.pruned); /* a key, a network, a contact each */
	/* the newest are kept */
	assert_int_equal(scalar(s, "SELECT max(recv_ns) FROM tracers"),
			 (int64_t)(1800000100 + FRESH - 1) * (int64_t)NS);
	assert_true(file_size(d.db) <= BUDGET + 65536);
	history_matches(s);
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void test_quotas(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	const struct ofd_store_limits lim = {.key_hour = 5, .net_hour = 8};
	ofd_store_set_limits(s, &lim);
	struct ofd_key *a = th_key(51), *b = th_key(52);
	static struct tr t[16];
	const uint64_t h0 = UINT64_C(1800000000) / 3600 * 3600 * NS; /* the start of an hour */
	int res[16];
	for (int i = 0; i < 7; i++) { /* key A from 198.51.100.0/24: 5 stored, 2 over the key quota */
		struct tflow tf = {.saddr = "192.0.2.1",
				   .daddr = "198.51.100.9",
				   .packets = 1 + (uint64_t)i,
				   .bytes = 1,
				   .time = 1800000000};
		th_make(&t[i], a, &tf);
		res[i] = th_add_via(s, &t[i], "198.51.100.7", h0 + (uint64_t)i * NS, OFD_TRANSPORT_HTTP);
	}
	int want_a[] = {1, 1, 1, 1, 1, OFD_STORE_QUOTA, OFD_STORE_QUOTA};
	for (int i = 0; i < 7; i++)
		assert_int_equal(res[i], want_a[i]);
	assert_int_equal(th_add_via(s, &t[0], "198.51.100.7", h0 + 10 * NS, OFD_TRANSPORT_HTTP),
			 0);	      /* a dup */
	for (int i = 0; i < 4; i++) { /* key B from the same /24: 3 stored (8 from the network), 1 over */
		struct tflow tf = {.saddr = "192.0.2.1",
				   .daddr = "198.51.100.9",
				   .packets = 100 + (uint64_t)i,
				   .bytes = 1,
				   .time = 1800000000};
		th_make(&t[8 + i], b, &tf);
		res[i] = th_add_via(s, &t[8 + i], "198.51.100.99", h0 + (20 + (uint64_t)i) * NS,
				    OFD_TRANSPORT_UDP);
	}
	int want_b[] = {1, 1, 1, OFD_STORE_QUOTA};
	for (int i = 0; i < 4; i++)
		assert_int_equal(res[i], want_b[i]);
	/* from another network, key B is within both */
	assert_int_equal(th_add_via(s, &t[11], "203.0.113.5", h0 + 30 * NS, OFD_TRANSPORT_UDP), 1);
	struct ofd_store_stats st;
	ofd_store_get_stats(s, &st);
	assert_int_equal(st.stored, 9);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.quota_key, 2);
	assert_int_equal(st.quota_net, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 9);
	assert_int_equal(scalar(s, "SELECT count FROM keys WHERE count = 5"), 5); /* refused: not counted */
	/* the next hour: key A again */
	assert_int_equal(th_add_via(s, &t[5], "198.51.100.7", h0 + 3600 * NS, OFD_TRANSPORT_HTTP), 1);
	/* in a batch: a refused add is taken back, the others stay */
	assert_int_equal(ofd_store_begin(s), 0);
	assert_int_equal(th_add_via(s, &t[6], "198.51.100.7", h0 + 3601 * NS, OFD_TRANSPORT_HTTP), 1);
	const struct ofd_store_limits tight = {.key_hour = 2, .net_hour = 8};
	ofd_store_set_limits(s, &tight);
	struct tflow tf = {
	    .saddr = "192.0.2.1", .daddr = "198.51.100.9", .packets = 999, .bytes = 1, .time = 1};
	th_make(&t[12], a, &tf);
	assert_int_equal(th_add_via(s, &t[12], "198.51.100.7", h0 + 3602 * NS, OFD_TRANSPORT_HTTP),
			 OFD_STORE_QUOTA);
	assert_int_equal(ofd_store_commit(s), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 11);
	assert_int_equal(scalar(s, "SELECT count FROM keys WHERE count = 7"), 7);
	ofd_key_free(a);
	ofd_key_free(b);
	ofd_store_close(s);
	th_dir_rm(&d);
}

/* The writer's callback gets -ENOSPC for an add over the budget. */
static int results[4], nresults;
static void done(void *ctx, int rc, void *token)
{
	(void)ctx, (void)token;
	if (nresults < 4)
		results[nresults] = rc;
	nresults++;
}

static void test_writer_full(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	static struct tr t;
	fresh_tracer(&t, 1);
	assert_int_equal(th_add(s, &t, "192.0.2.1", 1), 1);
	const struct ofd_store_limits lim = {.max_size = 4096}; /* less than the database already */
	ofd_store_set_limits(s, &lim);
	struct ofd_writer *w;
	struct ofd_writer_cfg cfg = {.store = s, .done = done};
	assert_int_equal(ofd_writer_start(&w, &cfg), 0);
	fresh_tracer(&t, 2);
	struct ofd_ip from;
	assert_int_equal(ofd_ip_parse(&from, "192.0.2.1"), 0);
	assert_int_equal(ofd_writer_submit(w, &t.m, t.line, t.len, &from, 2), 0);
	ofd_writer_stop(w);
	assert_int_equal(nresults, 1);
	assert_int_equal(results[0], -ENOSPC);
	struct ofd_store_stats st;
	ofd_store_get_stats(s, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 1);
	ofd_store_close(s);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fresh_keys_refused),
	    cmocka_unit_test(test_fresh_keys_pruned),
	    cmocka_unit_test(test_quotas),
	    cmocka_unit_test(test_writer_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
