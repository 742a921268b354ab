/*
 * The receiver's store writer: tracers queued from several threads at once are all stored,
 * duplicates counted once each, the results reported through the callback; a queue smaller
 * than the load makes the submitters wait, nothing is lost; a lone tracer is committed within
 * the batch time (seen by another connection); retention runs in the writer thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <errno.h>
#include <time.h>

#include "receiver/writer.h"
#include "store_help.h"

#define THREADS 3
#define PER	40 /* distinct tracers per thread */

static _Atomic unsigned n_stored, n_dup, n_err;

static _Atomic unsigned tokens_seen; /* a bit per token of test_offer */

static void done(void *ctx, int rc, void *token)
{
	(void)ctx;
	if (token)
		tokens_seen |= 1u << (*(unsigned *)token);
	if (rc > 0)
		n_stored++;
	else if (rc == 0)
		n_dup++;
	else
		n_err++;
}

static int64_t scalar(struct ofd_store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(ofd_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

struct feeder {
	struct ofd_writer *w;
	struct ofd_key *k;
	unsigned id;
	int rc;
};

/* Thread id submits PER distinct tracers, each twice (the second a duplicate). */
static void *feed(void *arg)
{
	struct feeder *f = arg;
	static _Thread_local struct tr t;
	struct ofd_ip sender;
	ofd_ip_set4u(&sender, 0xc6330009u + (f->id << 8)); /* 198.51.ID.9: a /24 each */
	for (unsigned i = 0; i < PER; i++) {
		struct tflow tf = {.saddr = "192.0.2.1",
				   .daddr = "198.51.100.9",
				   .sport = 123,
				   .dport = 4444,
				   .packets = 1000 * f->id + i + 1,
				   .bytes = 468,
				   .stime = 1700000000,
				   .etime = 1700000060,
				   .cls = OFD_TC_MACHINE_SUSPECTED,
				   .contact = "abuse@x.example",
				   .time = 1700000100};
		th_make(&t, f->k, &tf);
		for (int copy = 0; copy < 2; copy++)
			f->rc |= ofd_writer_submit(f->w, &t.m, t.line, t.len, &sender,
						   UINT64_C(1700000100000000000) + i);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_writer *w;
	n_stored = n_dup = n_err = 0;
	/* 8 slots for 240 submissions: the submitters wait for the writer, nothing is dropped */
	struct ofd_writer_cfg cfg = {.store = s, .queue = 8, .batch_max = 16, .done = done};
	assert_int_equal(ofd_writer_start(&w, &cfg), 0);
	struct feeder f[THREADS];
	pthread_t th[THREADS];
	struct ofd_key *k = th_key(9);
	for (unsigned i = 0; i < THREADS; i++) {
		f[i] = (struct feeder){.w = w, .k = k, .id = i + 1};
		assert_int_equal(pthread_create(&th[i], NULL, feed, &f[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(f[i].rc, 0);
	}
	ofd_writer_stop(w);
	assert_int_equal(n_stored, THREADS * PER);
	assert_int_equal(n_dup, THREADS * PER);
	assert_int_equal(n_err, 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tracers"), THREADS * PER);
	assert_int_equal(scalar(s, "SELECT sum(dups) FROM tracers"), THREADS * PER);
	assert_int_equal(scalar(s, "SELECT count FROM keys"), THREADS * PER);
	assert_int_equal(scalar(s, "SELECT duplicates FROM keys"), THREADS * PER);
	assert_int_equal(scalar(s, "SELECT count(*) FROM key_networks"), THREADS); /* one /24 each */
	assert_int_equal(scalar(s, "SELECT sum(packets) FROM tracers WHERE sender = '198.51.2.9'"),
			 PER * 2000 + PER * (PER + 1) / 2);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

/* A lone tracer is committed once the batch time passes, while the writer runs. */
static void test_commit_by_time(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db), *r;
	struct ofd_writer *w;
	n_stored = n_dup = n_err = 0;
	struct ofd_writer_cfg cfg = {.store = s, .batch_ms = 20, .done = done};
	assert_int_equal(ofd_writer_start(&w, &cfg), 0);
	char err[256];
	assert_int_equal(ofd_store_open_mode(&r, d.db, 1, err, sizeof(err)), 0);
	static struct tr t;
	struct ofd_key *k = th_key(10);
	struct tflow tf = {.saddr = "192.0.2.7",
			   .daddr = "198.51.100.7",
			   .packets = 5,
			   .bytes = 500,
			   .stime = 1700000000,
			   .etime = 1700000001,
			   .time = 1700000002};
	th_make(&t, k, &tf);
	assert_int_equal(ofd_writer_submit(w, &t.m, t.line, t.len, NULL, 1), 0);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t rows = 0;
	do { /* bounded: 5 s; the result is reported right after the commit */
		rows = scalar(r, "SELECT count(*) FROM tracers");
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((rows == 0 || n_stored == 0) && now.tv_sec - t0.tv_sec < 5);
	assert_int_equal(rows, 1);
	assert_int_equal(n_stored, 1);
	ofd_writer_stop(w);
	ofd_store_close(r);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

/* Retention in the writer thread: at most max_rows rows stay. */
static void test_prune(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_writer *w;
	n_stored = n_dup = n_err = 0;
	struct ofd_writer_cfg cfg = {
	    .store = s, .max_rows = 3, .prune_every_s = 1, .batch_ms = 10, .done = done};
	assert_int_equal(ofd_writer_start(&w, &cfg), 0);
	static struct tr t;
	struct ofd_key *k = th_key(11);
	for (unsigned i = 0; i < 10; i++) {
		struct tflow tf = {.saddr = "192.0.2.8",
				   .daddr = "198.51.100.8",
				   .packets = i + 1,
				   .bytes = 1,
				   .stime = 1700000000,
				   .etime = 1700000001,
				   .time = 1700000002};
		th_make(&t, k, &tf);
		assert_int_equal(ofd_writer_submit(w, &t.m, t.line, t.len, NULL, 100 + i), 0);
	}
	struct ofd_store *r;
	char err[256];
	assert_int_equal(ofd_store_open_mode(&r, d.db, 1, err, sizeof(err)), 0);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t rows;
	do { /* all 10 stored, then pruned to 3 (the first prune is due 1 s after the start; 3 rows
		before all 10 are stored is the first batch, not the prune); bounded: 5 s */
		rows = scalar(r, "SELECT count(*) FROM tracers");
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((rows != 3 || n_stored != 10) && now.tv_sec - t0.tv_sec < 5);
	assert_int_equal(rows, 3);
	assert_int_equal(scalar(r, "SELECT min(packets) FROM tracers"), 8); /* the newest stay */
	ofd_writer_stop(w);
	assert_int_equal(n_stored, 10);
	ofd_store_close(r);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

/* Never waiting: with the database's write lock held by another connection (an admin's
   shell), a queue of 4 takes 4 tracers and refuses the fifth with -EAGAIN at once; once the
   lock goes, the 4 are stored and their results come back with their tokens. */
static void test_offer(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	sqlite3 *admin;
	assert_int_equal(sqlite3_open(d.db, &admin), SQLITE_OK);
	assert_int_equal(sqlite3_exec(admin, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	struct ofd_writer *w;
	n_stored = n_dup = n_err = 0;
	tokens_seen = 0;
	struct ofd_writer_cfg cfg = {.store = s, .queue = 4, .batch_ms = 10, .done = done};
	assert_int_equal(ofd_writer_start(&w, &cfg), 0);
	static struct tr t;
	static unsigned ids[5] = {0, 1, 2, 3, 4};
	struct ofd_key *k = th_key(12);
	for (unsigned i = 0; i < 5; i++) {
		struct tflow tf = {.saddr = "192.0.2.9",
				   .daddr = "198.51.100.9",
				   .packets = i + 1,
				   .bytes = 1,
				   .stime = 1700000000,
				   .etime = 1700000001,
				   .time = 1700000002};
		th_make(&t, k, &tf);
		int rc = ofd_writer_offer(w, &t.m, t.line, t.len, NULL, 1, &ids[i]);
		assert_int_equal(rc, i < 4 ? 0 : -EAGAIN);
		if (rc)
			ofd_tracer_msg_release(&t.m);
	}
	assert_int_equal(n_stored + n_err, 0);
	assert_int_equal(sqlite3_exec(admin, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(admin);
	ofd_writer_stop(w);
	assert_int_equal(n_stored, 4);
	assert_int_equal(tokens_seen, 0xf);
	ofd_key_free(k);
	ofd_store_close(s);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_commit_by_time),
	    cmocka_unit_test(test_prune),
	    cmocka_unit_test(test_offer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
