/*
 * net/limiter with an injected clock: bucket arithmetic (burst, refill at exact ns, peek
 * leaves the bucket as it was), the per-address table (peek spends nothing and creates
 * nothing, IPv6 counted by the configured prefix, v4-mapped addresses as IPv4, the table bound
 * under 100k addresses, eviction of refilled entries first, no limit), and argument bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/limiter.h"

#define SEC  UINT64_C(1000000000)
#define MSEC UINT64_C(1000000)
#define T0   (UINT64_C(1700000000) * SEC)

static struct ofd_ip v4(uint32_t a)
{
	struct ofd_ip ip;
	ofd_ip_set4u(&ip, a);
	return ip;
}

/* 2001:db8:0:<net>::<host> */
static struct ofd_ip v6(uint16_t net, uint16_t host)
{
	uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, (uint8_t)(net >> 8), (uint8_t)net};
	b[14] = (uint8_t)(host >> 8);
	b[15] = (uint8_t)host;
	struct ofd_ip ip;
	ofd_ip_set6(&ip, b);
	return ip;
}

static void test_bucket(void **state)
{
	(void)state;
	struct ofd_bucket b;
	/* 4 per second (one every 250 ms), burst 2 */
	ofd_bucket_init(&b, 4, 2, T0);
	assert_int_equal(b.interval_ns, 250 * MSEC);
	assert_int_equal(b.tolerance_ns, 250 * MSEC);
	assert_true(ofd_bucket_full(&b, T0));
	for (int i = 0; i < 5; i++)
		assert_int_equal(ofd_bucket_peek(&b, T0), 1); /* peeking spends nothing */
	assert_int_equal(ofd_bucket_take(&b, T0), 1);
	assert_false(ofd_bucket_full(&b, T0));
	assert_int_equal(ofd_bucket_take(&b, T0), 1);
	assert_int_equal(ofd_bucket_peek(&b, T0), 0);
	assert_int_equal(ofd_bucket_take(&b, T0), 0);
	assert_int_equal(ofd_bucket_peek(&b, T0 + 250 * MSEC - 1), 0);
	assert_int_equal(ofd_bucket_peek(&b, T0 + 250 * MSEC), 1);
	assert_int_equal(ofd_bucket_peek(&b, T0 + 250 * MSEC), 1);
	assert_int_equal(ofd_bucket_take(&b, T0 + 250 * MSEC), 1);
	assert_int_equal(ofd_bucket_take(&b, T0 + 250 * MSEC), 0);
	assert_false(ofd_bucket_full(&b, T0 + 750 * MSEC - 1)); /* two tokens: 500 ms more */
	assert_true(ofd_bucket_full(&b, T0 + 750 * MSEC));
	/* a long pause refills the burst only */
	int n = 0;
	while (ofd_bucket_take(&b, T0 + 3600 * SEC))
		n++;
	assert_int_equal(n, 2);
	/* a peek with a clock that went back changes nothing either */
	struct ofd_bucket before = b;
	assert_int_equal(ofd_bucket_peek(&b, T0), 0);
	assert_memory_equal(&before, &b, sizeof(b));
	/* no limit */
	ofd_bucket_init(&b, -1, 0, T0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ofd_bucket_take(&b, T0), 1);
	assert_int_equal(ofd_bucket_peek(&b, T0), 1);
}

static void test_peek_spends_nothing(void **state)
{
	(void)state;
	struct ofd_limiter *l;
	assert_int_equal(ofd_limiter_new(&l, 64, 1, 3, 64), 0);
	struct ofd_ip a = v4(0xc0000201), b = v4(0xc0000202);
	/* an unknown address: allowed, and not remembered */
	for (int i = 0; i < 10; i++)
		assert_int_equal(ofd_limiter_peek(l, &a, T0), 1);
	assert_int_equal(ofd_limiter_used(l), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ofd_limiter_peek(l, &a, T0), 1);
		assert_int_equal(ofd_limiter_take(l, &a, T0), 1);
	}
	assert_int_equal(ofd_limiter_used(l), 1);
	assert_int_equal(ofd_limiter_peek(l, &a, T0), 0);
	assert_int_equal(ofd_limiter_take(l, &a, T0), 0);
	assert_int_equal(ofd_limiter_peek(l, &b, T0), 1); /* addresses are independent */
	/* one token back after exactly 1 s; peeks do not take it */
	assert_int_equal(ofd_limiter_peek(l, &a, T0 + SEC - 1), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ofd_limiter_peek(l, &a, T0 + SEC), 1);
	assert_int_equal(ofd_limiter_take(l, &a, T0 + SEC), 1);
	assert_int_equal(ofd_limiter_peek(l, &a, T0 + SEC), 0);
	assert_int_equal(ofd_limiter_used(l), 1);
	ofd_limiter_free(l);
}

static void test_prefix(void **state)
{
	(void)state;
	struct ofd_limiter *l;
	/* /64: every address of 2001:db8:0:1::/64 is one sender, 2001:db8:0:2:: another */
	assert_int_equal(ofd_limiter_new(&l, 64, 1, 2, 64), 0);
	struct ofd_ip a1 = v6(1, 1), a2 = v6(1, 0xffff), other = v6(2, 1);
	assert_int_equal(ofd_limiter_take(l, &a1, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &a2, T0), 1);
	assert_int_equal(ofd_limiter_peek(l, &a1, T0), 0);
	assert_int_equal(ofd_limiter_take(l, &a2, T0), 0);
	assert_int_equal(ofd_limiter_take(l, &other, T0), 1);
	assert_int_equal(ofd_limiter_used(l), 2);
	/* IPv4 is never masked: 192.0.2.1 and 192.0.2.2 are two senders */
	struct ofd_ip b1 = v4(0xc0000201), b2 = v4(0xc0000202);
	assert_int_equal(ofd_limiter_take(l, &b1, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &b1, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &b1, T0), 0);
	assert_int_equal(ofd_limiter_take(l, &b2, T0), 1);
	/* ... and a v4-mapped address marked IPv6 is the same IPv4 sender */
	struct ofd_ip mapped = b2;
	mapped.family = OFD_AF_INET6;
	assert_int_equal(ofd_limiter_take(l, &mapped, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &b2, T0), 0);
	ofd_limiter_free(l);

	/* /128: every address alone; /0: all IPv6 one sender; /60: a prefix inside a byte */
	assert_int_equal(ofd_limiter_new(&l, 64, 1, 1, 128), 0);
	assert_int_equal(ofd_limiter_take(l, &a1, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &a2, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &a1, T0), 0);
	ofd_limiter_free(l);
	assert_int_equal(ofd_limiter_new(&l, 64, 1, 1, 0), 0);
	assert_int_equal(ofd_limiter_take(l, &a1, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &other, T0), 0);
	ofd_limiter_free(l);
	assert_int_equal(ofd_limiter_new(&l, 64, 1, 1, 60), 0);
	struct ofd_ip n15 = v6(15, 1), n16 = v6(16, 1);
	assert_int_equal(ofd_limiter_take(l, &a1, T0), 1);
	assert_int_equal(ofd_limiter_take(l, &n15, T0), 0); /* 2001:db8:0:0..f: one /60 */
	assert_int_equal(ofd_limiter_take(l, &n16, T0), 1); /* 2001:db8:0:10: the next */
	ofd_limiter_free(l);
}

static void test_bound(void **state)
{
	(void)state;
	struct ofd_limiter *l;
	assert_int_equal(ofd_limiter_new(&l, 4096, 1, 5, 64), 0);
	assert_int_equal(ofd_limiter_capacity(l), 4096);
	struct ofd_ip victim = v4(0x08080808);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ofd_limiter_take(l, &victim, T0), 1);
	/* a few hundred others do not make the victim forget */
	for (uint32_t i = 0; i < 300; i++) {
		struct ofd_ip a = v4(0x0b000000 + i);
		assert_int_equal(ofd_limiter_take(l, &a, T0), 1);
	}
	assert_int_equal(ofd_limiter_peek(l, &victim, T0), 0);
	assert_int_equal(ofd_limiter_used(l), 301);
	/* 65536 hosts of one /64 are one entry, and only the first got a token from the burst */
	unsigned allowed = 0;
	for (uint32_t i = 0; i < 65536; i++) {
		struct ofd_ip a = v6(7, (uint16_t)i);
		allowed += (unsigned)ofd_limiter_take(l, &a, T0);
	}
	assert_int_equal(allowed, 5);
	assert_int_equal(ofd_limiter_used(l), 302);
	/* 100k distinct /64s: each new one gets its burst, the table stays at its size (IPv4
	   floods: test_tracer_ratelimit.c) */
	for (uint32_t i = 0; i < 100000; i++) {
		struct ofd_ip a = v6((uint16_t)i, 1);
		a.b[4] = 0x80; /* not the /64 above */
		a.b[5] = (uint8_t)(i >> 16);
		assert_int_equal(ofd_limiter_take(l, &a, T0), 1);
	}
	assert_int_equal(ofd_limiter_used(l), 4096);
	ofd_limiter_free(l);

	/* at least one set of 8 */
	assert_int_equal(ofd_limiter_new(&l, 0, 1, 1, 64), 0);
	assert_int_equal(ofd_limiter_capacity(l), 8);
	ofd_limiter_free(l);
	l = NULL;
	assert_int_equal(ofd_limiter_new(&l, ((size_t)1 << 30) + 1, 1, 1, 64), OFD_ELIMIT);
	assert_int_equal(ofd_limiter_new(&l, 8, 1, 1, 129), OFD_ECONFIG);
	assert_null(l);
	ofd_limiter_free(NULL);
}

/* Eviction in a full set (a table of 8 is one set; refilled entries first is in
   test_tracer_ratelimit.c): a peek is not a use, so the address taken from longest ago goes
   even when it was peeked at since, and it is then forgotten. */
static void test_eviction(void **state)
{
	(void)state;
	struct ofd_limiter *l;
	struct ofd_ip a[9];
	assert_int_equal(ofd_limiter_new(&l, 8, 1, 1, 64), 0);
	for (uint16_t i = 0; i < 9; i++)
		a[i] = v6((uint16_t)(i + 1), 1);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(ofd_limiter_take(l, &a[i], T0 + i), 1);
	assert_int_equal(ofd_limiter_peek(l, &a[0], T0 + 8), 0);
	assert_int_equal(ofd_limiter_take(l, &a[8], T0 + 8), 1); /* nothing refilled: a[0] goes */
	assert_int_equal(ofd_limiter_used(l), 8);
	assert_int_equal(ofd_limiter_peek(l, &a[0], T0 + 8), 1);
	for (unsigned i = 1; i < 9; i++)
		assert_int_equal(ofd_limiter_peek(l, &a[i], T0 + 8), 0);
	ofd_limiter_free(l);

	/* no limit: every take succeeds and nothing is remembered */
	assert_int_equal(ofd_limiter_new(&l, 8, -1, 1, 64), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ofd_limiter_take(l, &a[0], T0), 1);
	assert_int_equal(ofd_limiter_peek(l, &a[0], T0), 1);
	assert_int_equal(ofd_limiter_used(l), 0);
	ofd_limiter_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket),   cmocka_unit_test(test_peek_spends_nothing),
	    cmocka_unit_test(test_prefix),   cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_eviction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
