/*
 * Tracer rate limits with a fake clock: token bucket arithmetic (burst, refill, cap, a clock that
 * goes back, no limit), the per-address table staying bounded under 100k distinct addresses while
 * a repeated address stays limited, and the dedup window (same flow and address suppressed until
 * the window ends; another address, port or start time is not a duplicate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracer/ratelimit.h"

#define SEC  UINT64_C(1000000000)
#define T0   (UINT64_C(1700000000) * SEC)
#define MSEC UINT64_C(1000000)

static void test_bucket(void **state)
{
	(void)state;
	struct ofd_bucket b;
	ofd_bucket_init(&b, 2, 3, T0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ofd_bucket_take(&b, T0), 1);
	assert_int_equal(ofd_bucket_take(&b, T0), 0);
	assert_int_equal(ofd_bucket_take(&b, T0 + 499 * MSEC), 0); /* 0.998 tokens */
	assert_int_equal(ofd_bucket_take(&b, T0 + 500 * MSEC), 1); /* 1.0 */
	assert_int_equal(ofd_bucket_take(&b, T0 + 500 * MSEC), 0);
	/* a long pause fills it to the burst, no more */
	int n = 0;
	while (ofd_bucket_take(&b, T0 + 100 * SEC))
		n++;
	assert_int_equal(n, 3);
	/* the clock goes back: nothing refills, and refilling resumes from there */
	assert_int_equal(ofd_bucket_take(&b, T0 + 50 * SEC), 0);
	assert_int_equal(ofd_bucket_take(&b, T0 + 50 * SEC + 500 * MSEC), 1);
	/* sustained rate: 2/s over 10 s after the burst gives 20 */
	ofd_bucket_init(&b, 2, 1, T0);
	n = 0;
	for (uint64_t t = T0; t <= T0 + 10 * SEC; t += 10 * MSEC)
		n += ofd_bucket_take(&b, t);
	assert_int_equal(n, 21);
	/* burst below 1 acts as 1; negative rate means no limit */
	ofd_bucket_init(&b, 1, 0.2, T0);
	assert_int_equal(ofd_bucket_take(&b, T0), 1);
	assert_int_equal(ofd_bucket_take(&b, T0), 0);
	ofd_bucket_init(&b, -1, 1, T0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ofd_bucket_take(&b, T0), 1);
	/* fractional rate: one token every 10 s */
	ofd_bucket_init(&b, 0.1, 1, T0);
	assert_int_equal(ofd_bucket_take(&b, T0), 1);
	assert_int_equal(ofd_bucket_take(&b, T0 + 9 * SEC), 0);
	assert_false(ofd_bucket_full(&b, T0 + 9 * SEC));
	assert_true(ofd_bucket_full(&b, T0 + 10 * SEC));
	assert_int_equal(ofd_bucket_take(&b, T0 + 10 * SEC), 1);
	/* zero rate: the burst, then nothing for a very long time */
	ofd_bucket_init(&b, 0, 5, T0);
	n = 0;
	for (int i = 0; i < 10; i++)
		n += ofd_bucket_take(&b, T0 + (uint64_t)i * 1000 * SEC);
	assert_int_equal(n, 5);
}

static struct ofd_ip v4(uint32_t a)
{
	struct ofd_ip ip;
	ofd_ip_set4u(&ip, a);
	return ip;
}

static void test_addrlim(void **state)
{
	(void)state;
	struct ofd_limiter *l;
	assert_int_equal(ofd_limiter_new(&l, 4096, 1, 5, 128), 0);
	assert_int_equal(ofd_limiter_capacity(l), 4096);
	struct ofd_ip victim = v4(0x08080808), other = v4(0x01010101);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ofd_limiter_take(l, &victim, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &victim, T0), 0);
	assert_int_equal(ofd_limiter_take(l, &other, T0), 1); /* addresses are independent */
	assert_int_equal(ofd_limiter_take(l, &victim, T0 + SEC), 1);
	assert_int_equal(ofd_limiter_take(l, &victim, T0 + SEC), 0);
	/* the same host as v4-mapped IPv6 shares the bucket */
	struct ofd_ip mapped = victim;
	mapped.family = OFD_AF_INET6;
	assert_int_equal(ofd_limiter_take(l, &mapped, T0 + SEC), 0);

	/* a few hundred other addresses do not make the victim forget its state */
	for (uint32_t i = 0; i < 300; i++) {
		struct ofd_ip a = v4(0x0b000000 + i);
		assert_int_equal(ofd_limiter_take(l, &a, T0 + SEC), 1);
	}
	assert_int_equal(ofd_limiter_take(l, &victim, T0 + SEC), 0);

	/* 100k distinct addresses: each is new (gets its burst), the table stays at its size */
	for (uint32_t i = 0; i < 100000; i++) {
		struct ofd_ip a = v4(0x0c000000 + i);
		assert_int_equal(ofd_limiter_take(l, &a, T0 + 2 * SEC), 1);
		assert_true(ofd_limiter_used(l) <= 4096);
	}
	assert_int_equal(ofd_limiter_used(l), 4096);
	ofd_limiter_free(l);

	/* the size rounds up to a power of two */
	assert_int_equal(ofd_limiter_new(&l, 1000, 1, 1, 128), 0);
	assert_int_equal(ofd_limiter_capacity(l), 1024);
	ofd_limiter_free(l);
	/* no limit */
	assert_int_equal(ofd_limiter_new(&l, 8, -1, 1, 128), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ofd_limiter_take(l, &victim, T0), 1);
	ofd_limiter_free(l);
}

/* Refilled entries are evicted before depleted ones: a table of 8 (one set). */
static void test_addrlim_eviction(void **state)
{
	(void)state;
	struct ofd_limiter *l;
	assert_int_equal(ofd_limiter_new(&l, 8, 1, 1, 128), 0);
	struct ofd_ip victim = v4(0x08080808);
	assert_int_equal(ofd_limiter_take(l, &victim, T0), 1);
	/* 7 more fill the set; 10 s later they and the victim are full again, but the victim is
	 * used again first: depleted */
	for (uint32_t i = 0; i < 7; i++) {
		struct ofd_ip a = v4(0x0b000000 + i);
		assert_int_equal(ofd_limiter_take(l, &a, T0), 1);
	}
	assert_int_equal(ofd_limiter_take(l, &victim, T0 + 10 * SEC), 1);
	/* newcomers now evict the 7 refilled entries, never the depleted victim */
	for (uint32_t i = 0; i < 7; i++) {
		struct ofd_ip a = v4(0x0c000000 + i);
		assert_int_equal(ofd_limiter_take(l, &a, T0 + 10 * SEC), 1);
	}
	assert_int_equal(ofd_limiter_take(l, &victim, T0 + 10 * SEC), 0);
	assert_int_equal(ofd_limiter_used(l), 8);
	/* when nothing is refilled, the least recently used goes */
	struct ofd_ip n = v4(0x0d000000);
	assert_int_equal(ofd_limiter_take(l, &n, T0 + 10 * SEC), 1);
	ofd_limiter_free(l);
}

static struct ofd_flow flow(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint64_t start)
{
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	ofd_ip_set4u(&f.src_addr, src);
	ofd_ip_set4u(&f.dst_addr, dst);
	f.src_port = sport;
	f.dst_port = dport;
	f.proto = 6;
	f.time_flow_start_ns = start;
	return f;
}

static void test_dedup(void **state)
{
	(void)state;
	struct ofd_dedup *d;
	assert_int_equal(ofd_dedup_new(&d, 1024, 300), 0);
	assert_int_equal(ofd_dedup_capacity(d), 1024);
	struct ofd_flow f = flow(0x01020304, 0x05060708, 1234, 80, T0);
	assert_int_equal(ofd_dedup_seen(d, &f, &f.src_addr, T0), 0);
	assert_int_equal(ofd_dedup_seen(d, &f, &f.dst_addr, T0), 0); /* the other end */
	assert_int_equal(ofd_dedup_seen(d, &f, &f.src_addr, T0 + SEC), 1);
	assert_int_equal(ofd_dedup_seen(d, &f, &f.dst_addr, T0 + 299 * SEC), 1);
	/* the window runs from the first offer and is not extended by repeats */
	assert_int_equal(ofd_dedup_seen(d, &f, &f.src_addr, T0 + 300 * SEC), 0);
	assert_int_equal(ofd_dedup_seen(d, &f, &f.src_addr, T0 + 301 * SEC), 1);

	/* any field of the key makes a different flow */
	struct ofd_flow g = f;
	g.src_port = 1235;
	assert_int_equal(ofd_dedup_seen(d, &g, &g.src_addr, T0 + SEC), 0);
	g = f;
	g.time_flow_start_ns += 1;
	assert_int_equal(ofd_dedup_seen(d, &g, &g.src_addr, T0 + SEC), 0);
	g = f;
	g.proto = 17;
	assert_int_equal(ofd_dedup_seen(d, &g, &g.src_addr, T0 + SEC), 0);
	g = f;
	ofd_ip_set4u(&g.dst_addr, 0x05060709);
	assert_int_equal(ofd_dedup_seen(d, &g, &g.src_addr, T0 + SEC), 0);
	assert_int_equal(ofd_dedup_seen(d, &g, &g.src_addr, T0 + 2 * SEC), 1);

	/* many distinct flows: bounded, and the most recent are still remembered */
	for (uint32_t i = 0; i < 100000; i++) {
		struct ofd_flow h = flow(0x0a000000 + i, 0x05060708, 1, 2, T0);
		assert_int_equal(ofd_dedup_seen(d, &h, &h.dst_addr, T0 + 10 * SEC), 0);
	}
	struct ofd_flow last = flow(0x0a000000 + 99999, 0x05060708, 1, 2, T0);
	assert_int_equal(ofd_dedup_seen(d, &last, &last.dst_addr, T0 + 11 * SEC), 1);
	ofd_dedup_free(d);

	/* window 0: off */
	assert_int_equal(ofd_dedup_new(&d, 8, 0), 0);
	assert_int_equal(ofd_dedup_seen(d, &f, &f.src_addr, T0), 0);
	assert_int_equal(ofd_dedup_seen(d, &f, &f.src_addr, T0), 0);
	ofd_dedup_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket),
	    cmocka_unit_test(test_addrlim),
	    cmocka_unit_test(test_addrlim_eviction),
	    cmocka_unit_test(test_dedup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
