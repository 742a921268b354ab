/*
 * net/rtr_conn (the RTR client on a TCP socket) against a real stayrtr (Debian) started by the
 * test on 127.0.0.1 with a free port, serving a copy of vrps-sample.json: the client gets
 * exactly the 6 VRPs and every RFC 6811 answer of data/README.md; then the test removes a VRP
 * and adds one in the file, stayrtr (polling it every second) sends a Serial Notify and the
 * client, with a Serial Query, holds the new set (as a delta: one withdrawal, one
 * announcement); then stayrtr restarts on the same port with a new session id and one more
 * VRP: the client reconnects, its Serial Query of the old session is refused by stayrtr with
 * an Error Report (Corrupt Data, "Session ID mismatch"), it forgets the session and resets,
 * and holds the 7 VRPs. The same restart under the default backoff (1 s doubling): whether
 * stayrtr refuses the old session's Serial Query or just closes the connection, the client
 * forgets the session, resets at once and holds the new set within 10 s. Then stayrtr limited to RFC 6810
 * (the client falls back to version 0 and reconnects), and a port where nothing listens (failures counted and
 * logged). Waits are bounded condition waits woken by the client's callbacks: no sleeps.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/rtr.h"
#include "net/rtr_conn.h"
#include "net/vrp.h"
#include "stayrtr.h"
#include "vrp_oracle.h"

static enum ofd_rpki state(const struct ofd_vrpset *s, const char *route, uint32_t origin)
{
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, route), 0);
	return ofd_vrpset_validate(s, &p, origin);
}

struct collector {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ofd_vrpset *set;
	unsigned sets;
	char log[4096];
};

static void on_set(void *ctx, struct ofd_vrpset *s)
{
	struct collector *c = ctx;
	pthread_mutex_lock(&c->mu);
	ofd_vrpset_free(c->set);
	c->set = s;
	c->sets++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void on_log(void *ctx, const char *msg)
{
	struct collector *c = ctx;
	pthread_mutex_lock(&c->mu);
	size_t l = strlen(c->log);
	snprintf(c->log + l, sizeof(c->log) - l, "%s\n", msg);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Wait (at most ms) until c->sets >= n: 1, or 0 on timeout. */
static int wait_sets(struct collector *c, unsigned n, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mu);
	while (c->sets < n)
		if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0)
			break;
	int ok = c->sets >= n;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

static void *run_conn(void *arg)
{
	ofd_rtr_conn_run(arg);
	return NULL;
}

/* The sample's answers, but for AS64511's VRP (removed by the test: its route is invalid) and
   10.0.0.0/8 (covered by the VRPs the test added: invalid for AS64496). */
static void vrp_check_sample_except_64511(const struct ofd_vrpset *s)
{
	size_t n = sizeof(vrp_sample_cases) / sizeof(vrp_sample_cases[0]);
	for (size_t i = 0; i < n; i++) {
		const struct vrp_case *k = &vrp_sample_cases[i];
		enum ofd_rpki want =
		    k->origin == 64511 || strcmp(k->route, "10.0.0.0/8") == 0 ? OFD_RPKI_INVALID : k->want;
		if (state(s, k->route, k->origin) != want)
			fail_msg("%s AS%u: want %d", k->route, k->origin, (int)want);
	}
}

/* The sample's answers, but for 10.0.0.0/8 (covered by the VRP the test added: invalid for
   AS64496). */
static void vrp_check_sample_except_10_8(const struct ofd_vrpset *s)
{
	size_t n = sizeof(vrp_sample_cases) / sizeof(vrp_sample_cases[0]);
	for (size_t i = 0; i < n; i++) {
		const struct vrp_case *k = &vrp_sample_cases[i];
		enum ofd_rpki want = strcmp(k->route, "10.0.0.0/8") == 0 ? OFD_RPKI_INVALID : k->want;
		if (state(s, k->route, k->origin) != want)
			fail_msg("%s AS%u: want %d", k->route, k->origin, (int)want);
	}
}

/* A driver on 127.0.0.1:port with a backoff from backoff_ms (0: the default, 1 s doubling up to
   60 s) up to 10 times that: it retries until the server listens. */
static struct ofd_rtr_conn *client_backoff(struct collector *col, const char *port, pthread_t *th,
					   int backoff_ms)
{
	struct ofd_rtr_conn_opts o = {.host = "127.0.0.1",
				      .port = port,
				      .connect_timeout_ms = 1000,
				      .backoff_min_ms = backoff_ms,
				      .backoff_max_ms = backoff_ms * 10,
				      .on_set = on_set,
				      .on_log = on_log,
				      .ctx = col};
	struct ofd_rtr_conn *c;
	assert_int_equal(ofd_rtr_conn_new(&c, &o), 0);
	assert_int_equal(pthread_create(th, NULL, run_conn, c), 0);
	return c;
}

/* 20..200 ms */
static struct ofd_rtr_conn *client(struct collector *col, const char *port, pthread_t *th)
{
	return client_backoff(col, port, th, 20);
}

static void stayrtr(void **state_)
{
	(void)state_;
	if (access(STAYRTR, X_OK) != 0)
		skip();
	char dir[] = "/tmp/ofd-rtr-XXXXXX", json[600], port[16] = "";
	static char text[8192];
	stayrtr_scratch(dir, json, sizeof(json), text, sizeof(text));
	pid_t pid = stayrtr_start(dir, json, 2, port, sizeof(port)); /* its default: 8210bis */
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client(&col, port, &th);
	/* until stayrtr listens and answers: 15 s at most */
	int ok = wait_sets(&col, 1, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	vrp_check_sample(col.set);
	pthread_mutex_unlock(&col.mu);

	/* a VRP removed (AS64511's), one added (10.0.0.0/8-16 AS64512): stayrtr sees the file
	   change within its 1 s refresh, sends a Serial Notify, the client asks for the deltas */
	char *cut = strstr(text, "\t\t{ \"asn\": \"AS64511\"");
	assert_non_null(cut);
	char *eol = strchr(cut, '\n');
	memmove(cut, eol + 1, strlen(eol + 1) + 1);
	char *last = strstr(text, "\t]");
	assert_non_null(last);
	char tail[256];
	snprintf(tail, sizeof(tail), "%s", last);
	snprintf(last - 1, sizeof(text) - (size_t)(last - 1 - text),
		 ",\n\t\t{ \"asn\": \"AS64512\", \"prefix\": \"10.0.0.0/8\", \"maxLength\": 16, \"ta\": "
		 "\"test\" }\n%s",
		 tail);
	stayrtr_write(json, text);
	ok = wait_sets(&col, 2, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	assert_int_equal(state(col.set, "198.51.100.0/24", 64511), OFD_RPKI_INVALID);
	assert_int_equal(state(col.set, "198.51.100.0/24", 64510), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.1.0.0/16", 64512), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.1.1.0/24", 64512), OFD_RPKI_INVALID);
	assert_int_equal(state(col.set, "192.0.2.0/24", 64496), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "3fff:0:0:ff00::/56", 64496), OFD_RPKI_INVALID);
	pthread_mutex_unlock(&col.mu);

	/* stayrtr restarts (a new session id) on the same port with one more VRP: the client
	   reconnects (backoff), its Serial Query of the old session is answered somehow (a Cache
	   Reset, or a session it refuses and resets), and it ends with the whole new set */
	stayrtr_kill(pid);
	last = strstr(text, "\t]");
	assert_non_null(last);
	snprintf(tail, sizeof(tail), "%s", last);
	snprintf(last - 1, sizeof(text) - (size_t)(last - 1 - text),
		 ",\n\t\t{ \"asn\": \"AS64513\", \"prefix\": \"10.0.0.0/8\", \"maxLength\": 8, \"ta\": "
		 "\"test\" }\n%s",
		 tail);
	stayrtr_write(json, text);
	pid = stayrtr_start(dir, json, 2, port, sizeof(port));
	ok = wait_sets(&col, 3, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 7);
	assert_int_equal(state(col.set, "10.0.0.0/8", 64513), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.1.0.0/16", 64512), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.1.0.0/16", 64513), OFD_RPKI_INVALID);
	vrp_check_sample_except_64511(col.set);
	pthread_mutex_unlock(&col.mu);

	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	const struct ofd_rtr *r = ofd_rtr_conn_rtr(c);
	assert_int_equal(ofd_rtr_version(r), 1);
	assert_true(ofd_rtr_stats(r)->notifies >= 1);
	assert_int_equal(ofd_rtr_stats(r)->withdrawn, 1); /* the second set came as a delta */
	assert_true(atomic_load(&ofd_rtr_conn_stats(c)->connects) >= 2);
	assert_int_equal(atomic_load(&ofd_rtr_conn_stats(c)->sets), 3);
	ofd_rtr_conn_free(c);
	ofd_vrpset_free(col.set);
	stayrtr_stop(pid, dir);
}

/* stayrtr restarted (a new session id, one more VRP) under the default backoff (1 s doubling):
   the client's Serial Query of the old session is either refused with an Error Report or its
   connection just closed; either way the client forgets the session, reconnects at once with a
   Reset Query and holds the new set within the first backoff step and a bit (~1 s; the bound is
   10 s: before, an unanswered Serial Query was retried with the backoff, 15 s and more). */
static void stayrtr_restart(void **state_)
{
	(void)state_;
	if (access(STAYRTR, X_OK) != 0)
		skip();
	char dir[] = "/tmp/ofd-rtr-XXXXXX", json[600], port[16] = "";
	static char text[8192];
	stayrtr_scratch(dir, json, sizeof(json), text, sizeof(text));
	pid_t pid = stayrtr_start(dir, json, 2, port, sizeof(port));
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client_backoff(&col, port, &th, 0);
	int ok = wait_sets(&col, 1, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	pthread_mutex_unlock(&col.mu);

	stayrtr_kill(pid);
	char *last = strstr(text, "\t]");
	assert_non_null(last);
	char tail[256];
	snprintf(tail, sizeof(tail), "%s", last);
	snprintf(last - 1, sizeof(text) - (size_t)(last - 1 - text),
		 ",\n\t\t{ \"asn\": \"AS64513\", \"prefix\": \"10.0.0.0/8\", \"maxLength\": 8, \"ta\": "
		 "\"test\" }\n%s",
		 tail);
	stayrtr_write(json, text);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = stayrtr_start(dir, json, 2, port, sizeof(port));
	ok = wait_sets(&col, 2, 10000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	print_message("new set %.0f ms after the restart\n",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 7);
	assert_int_equal(state(col.set, "10.0.0.0/8", 64513), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.0.0.0/8", 64496), OFD_RPKI_INVALID);
	vrp_check_sample_except_10_8(col.set);
	/* the reason is logged: the client's own "session forgotten", or stayrtr's Error Report */
	ok = strstr(col.log, "session forgotten, a Reset Query next") != NULL ||
	     strstr(col.log, "Session ID mismatch") != NULL;
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_unlock(&col.mu);

	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	const struct ofd_rtr *r = ofd_rtr_conn_rtr(c);
	assert_int_equal(ofd_rtr_stats(r)->reset_queries, 2); /* the first sync, the restart */
	assert_int_equal(ofd_rtr_stats(r)->unanswered + ofd_rtr_stats(r)->errors_recv, 1);
	assert_int_equal(atomic_load(&ofd_rtr_conn_stats(c)->resets), 1);
	assert_int_equal(atomic_load(&ofd_rtr_conn_stats(c)->sets), 2);
	print_message("unanswered Serial Queries %lu, Error Reports %lu\n",
		      (unsigned long)ofd_rtr_stats(r)->unanswered,
		      (unsigned long)ofd_rtr_stats(r)->errors_recv);
	ofd_rtr_conn_free(c);
	ofd_vrpset_free(col.set);
	stayrtr_stop(pid, dir);
}

/* stayrtr limited to RFC 6810 answers our version 1 Reset Query in version 0: the client falls
   back, reconnects in version 0 and gets the same set */
static void stayrtr_version0(void **state_)
{
	(void)state_;
	if (access(STAYRTR, X_OK) != 0)
		skip();
	char dir[] = "/tmp/ofd-rtr-XXXXXX", json[600], port[16] = "";
	static char text[8192];
	stayrtr_scratch(dir, json, sizeof(json), text, sizeof(text));
	pid_t pid = stayrtr_start(dir, json, 0, port, sizeof(port));
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client(&col, port, &th);
	int ok = wait_sets(&col, 1, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	vrp_check_sample(col.set);
	assert_non_null(strstr(col.log, "falling back to RTR version 0"));
	pthread_mutex_unlock(&col.mu);
	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	const struct ofd_rtr *r = ofd_rtr_conn_rtr(c);
	assert_int_equal(ofd_rtr_version(r), 0);
	assert_int_equal(ofd_rtr_stats(r)->downgrades, 1);
	unsigned a, b, e;
	ofd_rtr_intervals(r, &a, &b, &e);
	assert_int_equal(a, 3600);
	assert_int_equal(e, 7200);
	assert_true(atomic_load(&ofd_rtr_conn_stats(c)->connects) >= 2);
	ofd_rtr_conn_free(c);
	ofd_vrpset_free(col.set);
	stayrtr_stop(pid, dir);
}

/* nothing listens: connect failures are counted and logged, stop ends run() at once */
static void refused_connect(void **state_)
{
	(void)state_;
	char port[16];
	snprintf(port, sizeof(port), "%u", test_free_port(SOCK_STREAM));
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client(&col, port, &th);
	/* wait (10 s at most) for two failed attempts: the first at once, the next after 20 ms;
	   each is logged, and the log wakes us */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	int n = 0;
	pthread_mutex_lock(&col.mu);
	while ((n = (int)atomic_load(&ofd_rtr_conn_stats(c)->connect_failures)) < 2)
		if (pthread_cond_timedwait(&col.cv, &col.mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&col.mu);
	n = (int)atomic_load(&ofd_rtr_conn_stats(c)->connect_failures);
	assert_true(n >= 2);
	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	assert_non_null(strstr(col.log, "Connection refused"));
	assert_int_equal(atomic_load(&ofd_rtr_conn_stats(c)->connects), 0);
	ofd_rtr_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(stayrtr),
	    cmocka_unit_test(stayrtr_restart),
	    cmocka_unit_test(stayrtr_version0),
	    cmocka_unit_test(refused_connect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
