/*
 * The sender's per-destination HTTP(S) queues (sendq.h): bounds per destination and overall,
 * round robin between destinations, in-flight bounds, dropping a destination's waiting jobs of
 * one kind; and the table of hosts that do not answer (hostmem.h): backoff from the base,
 * doubling to the cap, forgotten after an answer or after a long quiet time, bounded memory.
 * Time is passed in, so no test waits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracer/hostmem.h"
#include "tracer/sendq.h"

#define SEC UINT64_C(1000000000)

static struct ofd_sendq_key key(const char *addr)
{
	struct ofd_sendq_key k;
	memset(&k, 0, sizeof(k));
	assert_int_equal(ofd_ip_parse(&k.addr, addr), 0);
	return k;
}

static int push(struct ofd_sendq *q, const char *addr, uint32_t slot, uint8_t kind)
{
	struct ofd_sendq_key k = key(addr);
	struct ofd_sendq_job j = {.slot = slot, .kind = kind, .dest = 0};
	return ofd_sendq_push(q, &k, &j, 1, 3);
}

/* The next job's slot and its id in *id; -1 when none. */
static int64_t next_slot(struct ofd_sendq *q, uint32_t *id)
{
	struct ofd_sendq_job j;
	int64_t i = ofd_sendq_next(q, &j);
	if (i < 0)
		return -1;
	*id = (uint32_t)i;
	return j.slot;
}

static void test_round_robin(void **state)
{
	(void)state;
	struct ofd_sendq *q = NULL;
	assert_int_equal(ofd_sendq_new(&q, 8), 0);
	/* A: 4 (1 may be in flight, 3 wait; the 5th is refused), B: 2, C: 1 */
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(push(q, "192.0.2.1", 10 + i, 1), 0);
	assert_int_equal(push(q, "192.0.2.1", 14, 1), OFD_SENDQ_DEST_FULL);
	assert_int_equal(push(q, "2001:db8::1", 20, 1), 0);
	assert_int_equal(push(q, "2001:db8::1", 21, 2), 0);
	assert_int_equal(push(q, "192.0.2.3", 30, 1), 0);
	assert_int_equal(ofd_sendq_jobs(q), 7);
	assert_int_equal(ofd_sendq_dests(q), 3);
	/* one each, in the order they came: then all three are at their in-flight bound */
	uint32_t a = 0, b = 0, c = 0, x = 0;
	assert_int_equal(next_slot(q, &a), 10);
	assert_int_equal(next_slot(q, &b), 20);
	assert_int_equal(next_slot(q, &c), 30);
	assert_int_equal(next_slot(q, &x), -1);
	assert_int_equal(ofd_sendq_waiting(q), 4);
	assert_int_equal(push(q, "192.0.2.1", 14, 1), OFD_SENDQ_DEST_FULL); /* 1 in flight, 3 wait */
	/* C is done and forgotten; B done: its next job; A (a tarpit) holds only its own */
	ofd_sendq_done(q, c);
	assert_int_equal(ofd_sendq_dests(q), 2);
	ofd_sendq_done(q, b);
	assert_int_equal(next_slot(q, &b), 21);
	assert_int_equal(next_slot(q, &x), -1);
	/* the pool: 8 jobs; 5 in use + 3 more, then full */
	assert_int_equal(push(q, "192.0.2.4", 40, 1), 0);
	assert_int_equal(push(q, "192.0.2.5", 50, 1), 0);
	assert_int_equal(push(q, "192.0.2.6", 60, 1), 0);
	assert_int_equal(ofd_sendq_jobs(q), 8);
	assert_int_equal(push(q, "192.0.2.8", 80, 1), OFD_SENDQ_FULL);
	assert_int_equal(push(q, "192.0.2.1", 81, 1), OFD_SENDQ_DEST_FULL); /* A's own bound first */
	/* round robin: B and A wait for their transfers; the new ones go in their order */
	assert_int_equal(next_slot(q, &x), 40);
	assert_int_equal(next_slot(q, &x), 50);
	ofd_sendq_done(q, a); /* A's turn comes after 60 */
	assert_int_equal(next_slot(q, &x), 60);
	assert_int_equal(next_slot(q, &a), 11);
	assert_int_equal(next_slot(q, &x), -1);
	ofd_sendq_free(q);
}

static uint32_t Dropped[16], NDropped;

static void on_drop(void *ctx, const struct ofd_sendq_job *j)
{
	assert_ptr_equal(ctx, Dropped);
	Dropped[NDropped++] = j->slot;
}

static void test_drop(void **state)
{
	(void)state;
	struct ofd_sendq *q = NULL;
	assert_int_equal(ofd_sendq_new(&q, 8), 0);
	assert_int_equal(push(q, "192.0.2.1", 1, 1), 0);
	assert_int_equal(push(q, "192.0.2.1", 2, 2), 0);
	assert_int_equal(push(q, "192.0.2.1", 3, 1), 0);
	assert_int_equal(push(q, "192.0.2.9", 9, 1), 0);
	uint32_t a = 0, b = 0, x = 0;
	assert_int_equal(next_slot(q, &a), 1);
	assert_int_equal(next_slot(q, &b), 9);
	assert_int_equal(push(q, "192.0.2.1", 4, 2), 0);
	/* 192.0.2.1 does not answer on kind 1: slot 3 is dropped, 2 and 4 (kind 2) stay */
	NDropped = 0;
	assert_int_equal(ofd_sendq_drop(q, a, 1, on_drop, Dropped), 1);
	assert_int_equal(NDropped, 1);
	assert_int_equal(Dropped[0], 3);
	ofd_sendq_done(q, a);
	assert_int_equal(next_slot(q, &a), 2);
	ofd_sendq_done(q, a);
	assert_int_equal(next_slot(q, &a), 4);
	ofd_sendq_done(q, a);
	assert_int_equal(next_slot(q, &x), -1);
	assert_int_equal(ofd_sendq_dests(q), 1);
	/* every waiting job dropped while its destination is in the ready list: it is forgotten */
	ofd_sendq_done(q, b);
	assert_int_equal(push(q, "192.0.2.2", 5, 1), 0);
	assert_int_equal(push(q, "192.0.2.2", 6, 1), 0);
	assert_int_equal(next_slot(q, &a), 5);
	assert_int_equal(ofd_sendq_drop(q, a, 1, on_drop, Dropped), 1);
	ofd_sendq_done(q, a);
	assert_int_equal(ofd_sendq_dests(q), 0);
	assert_int_equal(ofd_sendq_jobs(q), 0);
	assert_int_equal(next_slot(q, &x), -1);
	/* all 8 jobs usable again, 8 destinations */
	char addr[32];
	for (int i = 0; i < 8; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		assert_int_equal(push(q, addr, (uint32_t)(100 + i), 1), 0);
	}
	assert_int_equal(ofd_sendq_dests(q), 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(next_slot(q, &a), 100 + i);
	ofd_sendq_free(q);
}

static void test_relay_keys(void **state)
{
	(void)state;
	struct ofd_sendq *q = NULL;
	assert_int_equal(ofd_sendq_new(&q, 16), 0);
	/* a relay: its own bounds (4 in flight), one destination whatever the address field */
	struct ofd_sendq_key r = key("192.0.2.1");
	r.relay = 1;
	for (uint32_t i = 0; i < 6; i++) {
		struct ofd_sendq_job j = {.slot = i, .kind = 1, .dest = 0};
		r.addr.b[15] = (uint8_t)i;
		assert_int_equal(ofd_sendq_push(q, &r, &j, 4, 16), 0);
	}
	assert_int_equal(push(q, "192.0.2.1", 50, 1), 0); /* the flow end of the same address */
	assert_int_equal(ofd_sendq_dests(q), 2);
	uint32_t id;
	int64_t got[8];
	int n = 0;
	while (n < 8 && (got[n] = next_slot(q, &id)) >= 0)
		n++;
	assert_int_equal(n, 5); /* 4 to the relay, 1 to the flow end, interleaved */
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 50);
	assert_int_equal(got[2], 1);
	assert_int_equal(got[3], 2);
	assert_int_equal(got[4], 3);
	ofd_sendq_free(q);
	assert_int_equal(ofd_sendq_new(&q, 0), -EINVAL);
	ofd_sendq_free(NULL);
}

/* ---- hostmem ---- */

static struct ofd_ip ip(const char *s)
{
	struct ofd_ip a;
	assert_int_equal(ofd_ip_parse(&a, s), 0);
	return a;
}

static void test_hostmem_backoff(void **state)
{
	(void)state;
	struct ofd_hostmem *m = NULL;
	assert_int_equal(ofd_hostmem_new(&m, 4096, 600, 86400), 0);
	assert_int_equal(ofd_hostmem_capacity(m), 4096);
	struct ofd_ip a = ip("192.0.2.1"), b = ip("::ffff:192.0.2.1"), c = ip("2001:db8::1");
	uint64_t t = 1000 * SEC;
	assert_false(ofd_hostmem_skip(m, &a, 80, t));
	assert_int_equal(ofd_hostmem_failed(m, &a, 80, t), 600);
	assert_true(ofd_hostmem_skip(m, &a, 80, t));
	assert_true(ofd_hostmem_skip(m, &b, 80, t + 599 * SEC)); /* the same 16 bytes */
	assert_false(ofd_hostmem_skip(m, &a, 443, t));		 /* another port */
	assert_false(ofd_hostmem_skip(m, &c, 80, t));
	assert_false(ofd_hostmem_skip(m, &a, 80, t + 600 * SEC));
	/* a failure while skipped changes nothing; each failure after that doubles, up to a day */
	assert_int_equal(ofd_hostmem_failed(m, &a, 80, t + 300 * SEC), 300);
	static const uint32_t want[] = {1200, 2400, 4800, 9600, 19200, 38400, 76800, 86400, 86400};
	uint64_t now = t + 600 * SEC;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(ofd_hostmem_failed(m, &a, 80, now), want[i]);
		assert_true(ofd_hostmem_skip(m, &a, 80, now + (uint64_t)want[i] * SEC - 1));
		now += (uint64_t)want[i] * SEC;
		assert_false(ofd_hostmem_skip(m, &a, 80, now));
	}
	assert_int_equal(ofd_hostmem_used(m), 1);
	/* an answer forgets it: the next failure starts again from 10 minutes */
	ofd_hostmem_answered(m, &a, 80);
	assert_int_equal(ofd_hostmem_used(m), 0);
	assert_int_equal(ofd_hostmem_failed(m, &a, 80, now), 600);
	/* so does a quiet day after the skip ended */
	assert_int_equal(ofd_hostmem_failed(m, &a, 80, now + 600 * SEC), 1200);
	now += 1800 * SEC + 86400 * SEC + SEC;
	assert_int_equal(ofd_hostmem_failed(m, &a, 80, now), 600);
	ofd_hostmem_answered(m, &c, 80); /* not there: nothing */
	assert_int_equal(ofd_hostmem_used(m), 1);
	ofd_hostmem_free(m);
	assert_int_equal(ofd_hostmem_new(&m, 8, 0, 10), OFD_ECONFIG);
	assert_int_equal(ofd_hostmem_new(&m, 8, 20, 10), OFD_ECONFIG);
	ofd_hostmem_free(NULL);
}

static void test_hostmem_bounded(void **state)
{
	(void)state;
	struct ofd_hostmem *m = NULL;
	assert_int_equal(ofd_hostmem_new(&m, 64, 600, 86400), 0);
	assert_int_equal(ofd_hostmem_capacity(m), 64);
	/* 10,000 failing hosts: the table stays at its size; the last ones are all remembered
	   unless their set filled up with later ones (each set keeps the 8 whose skip ends last) */
	uint64_t t = 1000 * SEC;
	struct ofd_ip a = ip("10.0.0.0");
	for (uint32_t i = 0; i < 10000; i++) {
		a.b[13] = (uint8_t)(i >> 16), a.b[14] = (uint8_t)(i >> 8), a.b[15] = (uint8_t)i;
		(void)ofd_hostmem_failed(m, &a, 80, t + i * SEC);
	}
	assert_int_equal(ofd_hostmem_used(m), 64);
	unsigned remembered = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		a.b[13] = (uint8_t)(i >> 16), a.b[14] = (uint8_t)(i >> 8), a.b[15] = (uint8_t)i;
		remembered += (unsigned)ofd_hostmem_skip(m, &a, 80, t + 10000 * SEC);
	}
	assert_int_equal(remembered, 64);
	a.b[13] = 0, a.b[14] = (uint8_t)(9999 >> 8), a.b[15] = (uint8_t)9999;
	assert_true(ofd_hostmem_skip(m, &a, 80, t + 10000 * SEC)); /* the latest is always kept */
	ofd_hostmem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_robin),	    cmocka_unit_test(test_drop),
	    cmocka_unit_test(test_relay_keys),	    cmocka_unit_test(test_hostmem_backoff),
	    cmocka_unit_test(test_hostmem_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
