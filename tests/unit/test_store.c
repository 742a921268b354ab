/*
 * The receiver store on real SQLite files: exact fields read back, duplicates stored once and
 * counted, key history across senders (first/last seen, counts, /24 and /48 networks, contact
 * change), retention by age and by count, reopening an existing database, and a database with a
 * newer schema refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "store_help.h"

#define NS UINT64_C(1000000000)

static const struct tflow flow1 = {
    .saddr = "192.0.2.10",
    .daddr = "203.0.113.77",
    .exporter = "10.0.0.1",
    .sport = 4568,
    .dport = 20999,
    .packets = 17001,
    .bytes = 682512,
    .stime = 1325252876,
    .etime = 1325314888,
    .cls = OFD_TC_MACHINE_SUSPECTED,
    .contact = "abuse@a.example",
    .time = 1477778027.138109,
};

static int64_t scalar(struct ofd_store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(ofd_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void key_hex(const struct ofd_key *k, char hex[65])
{
	ofd_key_public_hex(k, hex);
}

static void test_fields(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *k = th_key(1);
	static struct tr t;
	th_make(&t, k, &flow1);
	assert_int_equal(th_add(s, &t, "198.51.100.7", 1700000000 * NS + 123), 1);

	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(
		ofd_store_db(s),
		"SELECT recv_ns, sender, sender_net, key, class, info, contact, msg_time,"
		" saddr, daddr, sport, dport, proto, packets, bytes, stime, etime,"
		" exporter, src_type, src_version, body, sig, sealed, dups, transport FROM tracers",
		-1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char hex[65];
	key_hex(k, hex);
	assert_true(sqlite3_column_int64(st, 0) == (int64_t)(1700000000 * NS + 123));
	assert_string_equal(sqlite3_column_text(st, 1), "198.51.100.7");
	assert_string_equal(sqlite3_column_text(st, 2), "198.51.100.0/24");
	assert_string_equal(sqlite3_column_text(st, 3), hex);
	assert_string_equal(sqlite3_column_text(st, 4), "MACHINE_SUSPECTED");
	assert_string_equal(sqlite3_column_text(st, 5), "FLOWSEEN");
	assert_string_equal(sqlite3_column_text(st, 6), "abuse@a.example");
	assert_true(sqlite3_column_double(st, 7) == 1477778027.138109);
	assert_string_equal(sqlite3_column_text(st, 8), "192.0.2.10");
	assert_string_equal(sqlite3_column_text(st, 9), "203.0.113.77");
	assert_int_equal(sqlite3_column_int(st, 10), 4568);
	assert_int_equal(sqlite3_column_int(st, 11), 20999);
	assert_int_equal(sqlite3_column_int(st, 12), 6);
	assert_int_equal(sqlite3_column_int64(st, 13), 17001);
	assert_int_equal(sqlite3_column_int64(st, 14), 682512);
	assert_int_equal(sqlite3_column_int64(st, 15), 1325252876);
	assert_int_equal(sqlite3_column_int64(st, 16), 1325314888);
	assert_string_equal(sqlite3_column_text(st, 17), "10.0.0.1");
	assert_string_equal(sqlite3_column_text(st, 18), "Netflow");
	assert_int_equal(sqlite3_column_int(st, 19), 5);
	assert_int_equal(sqlite3_column_bytes(st, 20), (int)t.m.body_len);
	assert_memory_equal(sqlite3_column_text(st, 20), t.m.body, t.m.body_len);
	assert_int_equal(sqlite3_column_bytes(st, 21), OFD_SIG_LEN); /* the signature, once */
	assert_memory_equal(sqlite3_column_blob(st, 21), t.m.sig, OFD_SIG_LEN);
	assert_int_equal(sqlite3_column_int(st, 22), 0);
	assert_int_equal(sqlite3_column_int(st, 23), 0);
	assert_int_equal(sqlite3_column_type(st, 24), SQLITE_NULL); /* transport not said */
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(scalar(s, "PRAGMA user_version"), 2);
	sqlite3_stmt *jm;
	assert_int_equal(sqlite3_prepare_v2(ofd_store_db(s), "PRAGMA journal_mode", -1, &jm, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(jm), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(jm, 0), "wal");
	sqlite3_finalize(jm);

	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *k = th_key(2);
	static struct tr t, t2;
	th_make(&t, k, &flow1);
	struct tflow f2 = flow1;
	f2.packets = 1;
	th_make(&t2, k, &f2);
	assert_int_equal(th_add(s, &t, "198.51.100.7", 10 * NS), 1);
	assert_int_equal(th_add(s, &t, "203.0.113.1", 11 * NS), 0); /* same tracer, another sender */
	assert_int_equal(th_add(s, &t, "198.51.100.7", 12 * NS), 0);
	assert_int_equal(th_add(s, &t2, "198.51.100.7", 13 * NS), 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 2);
	assert_int_equal(scalar(s, "SELECT dups FROM tracers WHERE packets = 17001"), 2);
	assert_int_equal(scalar(s, "SELECT dups FROM tracers WHERE packets = 1"), 0);
	assert_int_equal(scalar(s, "SELECT count FROM keys"), 2);
	assert_int_equal(scalar(s, "SELECT duplicates FROM keys"), 2);
	assert_int_equal(scalar(s, "SELECT last_seen FROM keys"), (int64_t)(13 * NS));
	/* the duplicate's sender is not a network the key reported from */
	assert_int_equal(scalar(s, "SELECT count(*) FROM key_networks"), 1);
	struct ofd_store_stats st;
	ofd_store_get_stats(s, &st);
	assert_int_equal(st.stored, 2);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.errors, 0);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void check_net(struct ofd_store *s, const char *key, const char *net, int64_t count, uint64_t first,
		      uint64_t last)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(ofd_store_db(s),
					    "SELECT count, first_seen, last_seen FROM key_networks"
					    " WHERE key = ?1 AND network = ?2",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, net, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), count);
	assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)first);
	assert_int_equal(sqlite3_column_int64(st, 2), (int64_t)last);
	sqlite3_finalize(st);
}

static void check_key(struct ofd_store *s, const char *key, int64_t count, uint64_t first, uint64_t last,
		      int changed, const char *contact, int64_t nets, int64_t contacts)
{
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(ofd_store_db(s),
			       "SELECT count, first_seen, last_seen, contact_changed, last_contact,"
			       " (SELECT count(*) FROM key_networks n WHERE n.key = k.key),"
			       " (SELECT count(*) FROM key_contacts c WHERE c.key = k.key)"
			       " FROM keys k WHERE key = ?1",
			       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), count);
	assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)first);
	assert_int_equal(sqlite3_column_int64(st, 2), (int64_t)last);
	assert_int_equal(sqlite3_column_int(st, 3), changed);
	if (contact)
		assert_string_equal(sqlite3_column_text(st, 4), contact);
	else
		assert_int_equal(sqlite3_column_type(st, 4), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int64(st, 5), nets);
	assert_int_equal(sqlite3_column_int64(st, 6), contacts);
	sqlite3_finalize(st);
}

/* batched: 0 every add alone; 1 the adds in two batches (the history is counted in memory and
   written at each commit, so a batch's counts must merge with what is already stored) */
static void key_history(int batched)
{
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *ka = th_key(3), *kb = th_key(4), *kc = th_key(5);
	char ha[65], hb[65], hc[65];
	key_hex(ka, ha);
	key_hex(kb, hb);
	key_hex(kc, hc);
	static struct tr t;
	struct tflow f = flow1;
	static const struct {
		const char *sender, *contact;
		uint64_t t;
	} a[] = {
	    {"198.51.100.7", "abuse@a.example", 100},
	    {"198.51.100.99", "abuse@a.example", 200},
	    {"203.0.113.5", NULL, 50}, /* out of order: first seen moves back */
	    {"2001:db8:1:2::1", "abuse@a.example", 300},
	    {"2001:db8:1:ffff::2", "noc@b.example", 400},
	    {"2001:db8:2::1", NULL, 500},
	};
	if (batched)
		assert_int_equal(ofd_store_begin(s), 0);
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		f.packets = i + 1;
		f.contact = a[i].contact;
		th_make(&t, ka, &f);
		assert_int_equal(th_add(s, &t, a[i].sender, a[i].t * NS), 1);
		if (batched && i == 2) {
			assert_int_equal(ofd_store_commit(s), 0);
			assert_int_equal(ofd_store_begin(s), 0);
		}
	}
	f.contact = "noc@b.example";
	for (uint64_t i = 0; i < 3; i++) {
		f.packets = 100 + i;
		th_make(&t, kb, &f);
		assert_int_equal(th_add(s, &t, "192.0.2.1", (1000 + i) * NS), 1);
	}
	f.contact = NULL;
	th_make(&t, kc, &f);
	assert_int_equal(th_add(s, &t, "2001:db8:9::1", 7 * NS), 1);
	if (batched)
		assert_int_equal(ofd_store_commit(s), 0);

	check_key(s, ha, 6, 50 * NS, 500 * NS, 1, "noc@b.example", 4, 2);
	check_net(s, ha, "198.51.100.0/24", 2, 100 * NS, 200 * NS);
	check_net(s, ha, "203.0.113.0/24", 1, 50 * NS, 50 * NS);
	check_net(s, ha, "2001:db8:1::/48", 2, 300 * NS, 400 * NS);
	check_net(s, ha, "2001:db8:2::/48", 1, 500 * NS, 500 * NS);
	assert_int_equal(scalar(s, "SELECT count FROM key_contacts WHERE contact = 'abuse@a.example'"), 3);
	check_key(s, hb, 3, 1000 * NS, 1002 * NS, 0, "noc@b.example", 1, 1);
	check_net(s, hb, "192.0.2.0/24", 3, 1000 * NS, 1002 * NS);
	check_key(s, hc, 1, 7 * NS, 7 * NS, 0, NULL, 1, 0);
	check_net(s, hc, "2001:db8:9::/48", 1, 7 * NS, 7 * NS);
	ofd_key_free(ka);
	ofd_key_free(kb);
	ofd_key_free(kc);
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void test_key_history(void **state)
{
	(void)state;
	key_history(0);
}

static void test_key_history_batched(void **state)
{
	(void)state;
	key_history(1);
}

/* More keys in one batch than the history keeps in memory: written early, nothing lost. */
static void test_key_history_many(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	static struct tr t;
	struct tflow f = flow1;
	assert_int_equal(ofd_store_begin(s), 0);
	for (unsigned i = 0; i < 150; i++) {
		struct ofd_key *k = th_key((uint8_t)(20 + i % 100));
		f.packets = i + 1;
		th_make(&t, k, &f);
		assert_int_equal(th_add(s, &t, i % 2 ? "192.0.2.1" : "198.51.100.1", (100 + i) * NS), 1);
		assert_int_equal(th_add(s, &t, "192.0.2.1", (100 + i) * NS), 0); /* and its duplicate */
		ofd_key_free(k);
	}
	assert_int_equal(ofd_store_commit(s), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM keys"), 100);
	assert_int_equal(scalar(s, "SELECT sum(count) FROM keys"), 150);
	assert_int_equal(scalar(s, "SELECT sum(duplicates) FROM keys"), 150);
	assert_int_equal(scalar(s, "SELECT sum(count) FROM key_networks"), 150);
	assert_int_equal(scalar(s, "SELECT count(*) FROM key_networks"), 100); /* i, i + 100: one network */
	assert_int_equal(scalar(s, "SELECT max(last_seen) FROM keys"), (int64_t)(249 * NS));
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void test_network(void **state)
{
	(void)state;
	struct ofd_ip ip;
	char buf[64];
	assert_int_equal(ofd_ip_parse(&ip, "10.1.2.3"), 0);
	assert_int_equal(ofd_store_network(&ip, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "10.1.2.0/24");
	assert_int_equal(ofd_ip_parse(&ip, "2001:db8:abcd:12::1"), 0);
	assert_true(ofd_store_network(&ip, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "2001:db8:abcd::/48");
	memset(&ip, 0, sizeof(ip));
	assert_int_equal(ofd_store_network(&ip, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* n tracers from key k received at base, base + 1, ... seconds */
static void fill(struct ofd_store *s, const struct ofd_key *k, int n, uint64_t base)
{
	static struct tr t;
	struct tflow f = flow1;
	for (int i = 0; i < n; i++) {
		f.packets = base + (uint64_t)i;
		th_make(&t, k, &f);
		assert_int_equal(th_add(s, &t, "198.51.100.7", (base + (uint64_t)i) * NS), 1);
	}
}

static void test_retention(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *k = th_key(6);
	fill(s, k, 10, 1000);
	assert_int_equal(ofd_store_prune(s, 1010, 0, 0), 0);
	assert_int_equal(ofd_store_prune(s, 1010, 5, 0), 5); /* received before 1005 */
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 5);
	assert_int_equal(scalar(s, "SELECT min(recv_ns) FROM tracers"), (int64_t)(1005 * NS));
	assert_int_equal(ofd_store_prune(s, 1010, 5, 0), 0);
	/* by count, over several steps of 1000 */
	fill(s, k, 2495, 2000);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 2500);
	assert_int_equal(ofd_store_prune(s, 5000, 0, 100), 2400);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 100);
	assert_int_equal(scalar(s, "SELECT min(recv_ns) FROM tracers"), (int64_t)((2000 + 2395) * NS));
	assert_int_equal(ofd_store_prune(s, 5000, 0, 100), 0);
	/* the key's history stays */
	assert_int_equal(scalar(s, "SELECT count FROM keys"), 2505);
	struct ofd_store_stats st;
	ofd_store_get_stats(s, &st);
	assert_int_equal(st.pruned, 2405);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

static void test_reopen(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *k = th_key(7);
	fill(s, k, 3, 100);
	ofd_store_close(s);
	s = th_open(d.db);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 3);
	assert_int_equal(scalar(s, "SELECT count FROM keys"), 3);
	static struct tr t;
	struct tflow f = flow1;
	f.packets = 100; /* the first tracer again: a duplicate across the restart */
	th_make(&t, k, &f);
	assert_int_equal(th_add(s, &t, "198.51.100.7", 200 * NS), 0);
	f.packets = 99;
	th_make(&t, k, &f);
	assert_int_equal(th_add(s, &t, "198.51.100.7", 201 * NS), 1);
	ofd_store_close(s);
	/* and read-only, as the CLI opens it */
	char err[256];
	assert_int_equal(ofd_store_open_mode(&s, d.db, 1, err, sizeof(err)), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), 4);
	assert_int_equal(scalar(s, "SELECT count FROM keys"), 4);
	assert_int_equal(scalar(s, "SELECT duplicates FROM keys"), 1);
	assert_int_equal(scalar(s, "SELECT last_seen FROM keys"), (int64_t)(201 * NS));
	ofd_store_close(s);
	ofd_key_free(k);
	th_dir_rm(&d);
}

static void test_newer_schema(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	ofd_store_close(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char err[256] = "";
	s = (struct ofd_store *)&err; /* must be reset */
	assert_int_equal(ofd_store_open(&s, d.db, err, sizeof(err)), OFD_EVERSION);
	assert_null(s);
	assert_non_null(strstr(err, "schema version 99 is newer"));
	err[0] = 0;
	assert_int_equal(ofd_store_open_mode(&s, d.db, 1, err, sizeof(err)), OFD_EVERSION);
	assert_non_null(strstr(err, "newer"));
	/* unchanged by the refusal */
	assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 99);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* a read-only open of a missing file fails and creates nothing */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.db", d.dir);
	assert_true(ofd_store_open_mode(&s, missing, 1, err, sizeof(err)) < 0);
	assert_int_equal(access(missing, F_OK), -1);
	th_dir_rm(&d);
}

static void test_batch(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *k = th_key(8);
	static struct tr t;
	th_make(&t, k, &flow1);
	assert_int_equal(ofd_store_commit(s), OFD_EFORMAT);
	assert_int_equal(ofd_store_begin(s), 0);
	assert_int_equal(ofd_store_begin(s), OFD_EFORMAT);
	assert_int_equal(th_add(s, &t, "198.51.100.7", 10 * NS), 1);
	assert_int_equal(th_add(s, &t, "198.51.100.7", 11 * NS), 0);
	fill(s, k, 3, 100);
	assert_int_equal(ofd_store_prune(s, 1000, 1, 0), OFD_EFORMAT);
	/* another connection does not see the open batch */
	struct ofd_store *r;
	char err[256];
	assert_int_equal(ofd_store_open_mode(&r, d.db, 1, err, sizeof(err)), 0);
	assert_int_equal(scalar(r, "SELECT count(*) FROM tracers"), 0);
	assert_int_equal(ofd_store_commit(s), 0);
	assert_int_equal(scalar(r, "SELECT count(*) FROM tracers"), 4);
	assert_int_equal(scalar(r, "SELECT count FROM keys"), 4);
	assert_int_equal(scalar(r, "SELECT duplicates FROM keys"), 1);
	ofd_store_close(r);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),	     cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_key_history),	     cmocka_unit_test(test_key_history_batched),
	    cmocka_unit_test(test_key_history_many), cmocka_unit_test(test_network),
	    cmocka_unit_test(test_retention),	     cmocka_unit_test(test_reopen),
	    cmocka_unit_test(test_newer_schema),     cmocka_unit_test(test_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
