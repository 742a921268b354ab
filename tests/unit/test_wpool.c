/*
 * The writer pool (src/segments/common/wpool.h) against an in-memory "server" with scripted
 * answers: every row written once, transient errors retried and counted, refused chunks lost
 * and counted while the next is written, back-pressure waits counted, a dead server given up
 * without holding the stop, old chunks flushed by age.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/harness.h"
#include "ofd/time.h"
#include "segments/common/wpool.h"

enum { C_WRITTEN, C_LOST, C_RETRIED, C_WAITS };
static const char *const wp_counters[] = {"written", "lost", "retried", "waits", NULL};

struct wp_state {
	int unused;
};

static void wp_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	(void)b;
}

static const struct ofd_segment_type wp_type = {
    OFD_SEGMENT_VERSION,
    .name = "wptest",
    .kind = OFD_SEG_OUTPUT,
    .summary = "writer pool test",
    .state_size = sizeof(struct wp_state),
    .counters = wp_counters,
    .process = wp_process,
};

/* The server: sums the numbers of the rows it took; a row "bad" makes its chunk refused,
   fail_sends transient failures come first, fail_opens refused connections. */
struct server {
	pthread_mutex_t mu;
	uint64_t sum, rows, sends, opens;
	atomic_int fail_sends, fail_opens, dead;
	atomic_int gate_closed; /* send waits while set */
	atomic_int bad;		/* a send saw what it should not (asserted on the main thread) */
};

static void *srv_open(void *arg, unsigned w, char *err, size_t errlen)
{
	struct server *s = arg;
	(void)w;
	if (atomic_load(&s->dead) || atomic_fetch_sub(&s->fail_opens, 1) > 0) {
		snprintf(err, errlen, "connection refused");
		return NULL;
	}
	pthread_mutex_lock(&s->mu);
	s->opens++;
	pthread_mutex_unlock(&s->mu);
	return s;
}

static int srv_send(void *arg, void *conn, const char *data, size_t len, uint32_t rows, char *err,
		    size_t errlen)
{
	struct server *s = arg;
	if (conn != s)
		atomic_store(&s->bad, 1);
	while (atomic_load(&s->gate_closed))
		;
	if (atomic_fetch_sub(&s->fail_sends, 1) > 0) {
		snprintf(err, errlen, "server busy");
		return OFD_WP_RECONNECT;
	}
	if (memmem(data, len, "bad", 3)) {
		snprintf(err, errlen, "invalid row");
		return OFD_WP_FAIL;
	}
	uint64_t sum = 0, n = 0;
	for (const char *p = data; p < data + len; n++) {
		sum += strtoull(p, NULL, 10);
		p = (const char *)memchr(p, '\n', (size_t)(data + len - p)) + 1;
	}
	if (n != rows)
		atomic_store(&s->bad, 1);
	pthread_mutex_lock(&s->mu);
	s->sum += sum;
	s->rows += n;
	s->sends++;
	pthread_mutex_unlock(&s->mu);
	return OFD_WP_OK;
}

static const struct ofd_wpool_ops srv_ops = {srv_open, srv_send, NULL};

static struct ofd_harness *h;

static struct ofd_wpool *start_b(struct server *s, unsigned workers, unsigned retries, int dead,
				 uint64_t backoff_ns)
{
	char err[256];
	memset(s, 0, sizeof(*s));
	atomic_store(&s->dead, dead);
	pthread_mutex_init(&s->mu, NULL);
	assert_int_equal(ofd_harness_new(&h, &wp_type, "{}", err, sizeof(err)), 0);
	struct ofd_wpool_conf c = {workers, 4096, retries, backoff_ns, C_WRITTEN, C_LOST, C_RETRIED, C_WAITS};
	struct ofd_wpool *wp;
	assert_int_equal(ofd_wpool_start(&wp, ofd_harness_segment(h), &srv_ops, s, &c), 0);
	return wp;
}

static struct ofd_wpool *start(struct server *s, unsigned workers, unsigned retries, int dead)
{
	return start_b(s, workers, retries, dead, 1000000);
}

static void row(struct ofd_wpool *wp, const char *text)
{
	struct ofd_wpool_chunk *c = ofd_wpool_chunk(wp);
	size_t n = strlen(text);
	assert_true(c->len + n + 1 <= c->cap);
	memcpy(c->data + c->len, text, n);
	c->data[c->len + n] = '\n';
	c->len += n + 1;
	c->rows++;
}

static void finish(struct ofd_wpool *wp, struct server *s)
{
	ofd_wpool_stop(wp);
	assert_int_equal(atomic_load(&s->bad), 0);
	ofd_harness_free(h);
	pthread_mutex_destroy(&s->mu);
}

static void test_all_rows_once(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start(&s, 3, 2, 0);
	uint64_t want = 0;
	for (unsigned i = 1; i <= 10000; i++) {
		char t[16];
		snprintf(t, sizeof(t), "%u", i);
		row(wp, t);
		want += i;
		if (i % 100 == 0)
			ofd_wpool_submit(wp);
	}
	assert_int_equal(ofd_wpool_drain(wp), 0);
	assert_int_equal(s.rows, 10000);
	assert_int_equal(s.sum, want);
	assert_int_equal(s.sends, 100);
	assert_int_equal(ofd_harness_counter(h, "written"), 10000);
	assert_int_equal(ofd_harness_counter(h, "lost"), 0);
	finish(wp, &s);
	assert_int_equal(s.opens, 3); /* each worker connected once (a late starter may not have
					 before the drain: the threads are joined by now) */
}

static void test_transient_retried(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start(&s, 1, 3, 0);
	atomic_store(&s.fail_sends, 2); /* two failed attempts, each reconnects */
	row(wp, "7");
	row(wp, "8");
	assert_int_equal(ofd_wpool_drain(wp), 0);
	assert_int_equal(s.sum, 15);
	assert_int_equal(ofd_harness_counter(h, "retried"), 2);
	assert_int_equal(s.opens, 3); /* the first connection and two after the failures */
	assert_int_equal(ofd_harness_counter(h, "written"), 2);
	finish(wp, &s);
}

static void test_refused_chunk_lost_next_written(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start(&s, 1, 3, 0);
	row(wp, "1");
	row(wp, "bad");
	row(wp, "2");
	ofd_wpool_submit(wp);
	row(wp, "40");
	assert_int_equal(ofd_wpool_drain(wp), 3); /* the refused chunk's rows */
	assert_int_equal(s.sum, 40);
	assert_int_equal(ofd_harness_counter(h, "lost"), 3);
	assert_int_equal(ofd_harness_counter(h, "retried"), 0); /* refused is not retried */
	assert_int_equal(ofd_harness_counter(h, "written"), 1);
	row(wp, "2");
	assert_int_equal(ofd_wpool_drain(wp), 0); /* counted once per drain */
	finish(wp, &s);
}

static void *open_gate_on_wait(void *arg)
{
	struct server *s = arg;
	while (ofd_harness_counter(h, "waits") < 1)
		;
	atomic_store(&s->gate_closed, 0);
	return NULL;
}

static void test_backpressure_waits(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start(&s, 1, 0, 0);
	atomic_store(&s.gate_closed, 1);
	row(wp, "1");
	ofd_wpool_submit(wp); /* in flight, held at the gate */
	row(wp, "2");
	ofd_wpool_submit(wp); /* ready: both chunks of one worker are used */
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, open_gate_on_wait, &s), 0);
	row(wp, "3"); /* waits until a chunk comes back */
	pthread_join(t, NULL);
	assert_int_equal(ofd_wpool_drain(wp), 0);
	assert_int_equal(s.sum, 6);
	assert_int_equal(ofd_harness_counter(h, "waits"), 1);
	finish(wp, &s);
}

static void test_dead_server_given_up(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start(&s, 2, 2, 1);
	row(wp, "5");
	row(wp, "6");
	assert_int_equal(ofd_wpool_drain(wp), 2);
	assert_int_equal(ofd_harness_counter(h, "lost"), 2);
	assert_int_equal(ofd_harness_counter(h, "retried"), 2);
	assert_int_equal(s.rows, 0);
	finish(wp, &s);
}

/* A stop does not wait out a long backoff: at most a second per remaining attempt. */
static void test_stop_bounds_backoff(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start_b(&s, 1, 1, 1, 10 * OFD_NS_PER_S); /* 10 s before the retry */
	row(wp, "7");
	uint64_t t0 = ofd_time_mono_ns();
	ofd_wpool_stop(wp);
	uint64_t took = ofd_time_mono_ns() - t0;
	if (took > 3 * OFD_NS_PER_S)
		fail_msg("the stop took %llu ms", (unsigned long long)(took / 1000000));
	assert_int_equal(ofd_harness_counter(h, "lost"), 1);
	assert_int_equal(ofd_harness_counter(h, "retried"), 1);
	ofd_harness_free(h);
	pthread_mutex_destroy(&s.mu);
}

static void test_flush_by_age(void **state)
{
	(void)state;
	struct server s;
	struct ofd_wpool *wp = start(&s, 1, 0, 0);
	ofd_wpool_flush_old(wp, 0, 0); /* nothing open: nothing happens */
	row(wp, "9");
	uint64_t opened = ofd_wpool_chunk(wp)->opened_ns;
	assert_true(opened > 0);
	ofd_wpool_flush_old(wp, opened + 999, 1000); /* too young */
	assert_int_equal(ofd_wpool_chunk(wp)->rows, 1);
	ofd_wpool_flush_old(wp, opened + 1000, 1000);
	assert_int_equal(ofd_wpool_drain(wp), 0);
	assert_int_equal(s.sum, 9);
	assert_int_equal(ofd_harness_counter(h, "written"), 1);
	finish(wp, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_rows_once),
	    cmocka_unit_test(test_transient_retried),
	    cmocka_unit_test(test_refused_chunk_lost_next_written),
	    cmocka_unit_test(test_backpressure_waits),
	    cmocka_unit_test(test_dead_server_given_up),
	    cmocka_unit_test(test_stop_bounds_backoff),
	    cmocka_unit_test(test_flush_by_age),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
