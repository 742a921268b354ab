/* The table-driven text writers of format/wbuf.h against the C library's own formatting:
   integers against snprintf, addresses against inet_ntop, edge values spelled out. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format/wbuf.h"

/* A deterministic generator (xorshift64*), so that a failure repeats. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* The writers may write up to 3 bytes past their end (documented in wbuf.h): not more. */
#define GUARD 3

static void check_u64(uint64_t v)
{
	char want[32], got[64];
	memset(got, '#', sizeof(got));
	int n = snprintf(want, sizeof(want), "%" PRIu64, v);
	char *e = ofd_wbuf_put_u64(got, v);
	assert_int_equal(e - got, n);
	assert_memory_equal(got, want, (size_t)n);
	for (int i = n + GUARD; i < (int)sizeof(got); i++)
		assert_int_equal(got[i], '#');
	if (v <= UINT32_MAX) {
		memset(got, '#', sizeof(got));
		e = ofd_wbuf_put_u32(got, (uint32_t)v);
		assert_int_equal(e - got, n);
		assert_memory_equal(got, want, (size_t)n);
		for (int i = n + GUARD; i < (int)sizeof(got); i++)
			assert_int_equal(got[i], '#');
	}
}

static void test_integers_edges(void **state)
{
	(void)state;
	check_u64(0);
	check_u64(9);
	check_u64(UINT8_MAX);
	check_u64(UINT16_MAX);
	check_u64(UINT32_MAX);
	check_u64((uint64_t)UINT32_MAX + 1);
	check_u64(UINT64_MAX);
	check_u64(1185523201000000000ull); /* a nanosecond time */
	check_u64(999999999999999999ull);  /* 18 digits: the general path */
	check_u64(1000000000000000000ull); /* the first of 19 digits: the fixed path */
	check_u64(9999999999999999999ull); /* the last of 19 digits */
	check_u64(10000000000000000000ull);
	/* every power of ten and its neighbours */
	for (uint64_t p = 1; p <= 1000000000000000000ull * 10; p *= 10) {
		check_u64(p - 1);
		check_u64(p);
		check_u64(p + 1);
		if (p > UINT64_MAX / 10)
			break;
	}
	for (uint64_t v = 0; v < 100000; v++)
		check_u64(v);
}

static void test_integers_random(void **state)
{
	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t r = next_rand();
		check_u64(r >> (r % 64)); /* every magnitude */
		check_u64((uint32_t)r);
	}
}

static void check_ip6(const uint8_t *b)
{
	char want[INET6_ADDRSTRLEN], got[64];
	assert_non_null(inet_ntop(AF_INET6, b, want, sizeof(want)));
	memset(got, '#', sizeof(got));
	char *e = ofd_wbuf_put_ip6(got, b);
	*e = 0;
	assert_string_equal(got, want);
	for (size_t i = strlen(want) + 3; i < sizeof(got); i++)
		assert_int_equal(got[i], '#');
}

static void check_ip6_text(const char *text, const char *printed)
{
	uint8_t b[16];
	char got[64];
	assert_int_equal(inet_pton(AF_INET6, text, b), 1);
	check_ip6(b);
	*ofd_wbuf_put_ip6(got, b) = 0;
	assert_string_equal(got, printed);
}

static void test_ipv6_cases(void **state)
{
	(void)state;
	check_ip6_text("::", "::");
	check_ip6_text("::1", "::1");
	check_ip6_text("1::", "1::");
	check_ip6_text("::ffff:1.2.3.4", "::ffff:1.2.3.4"); /* IPv4-mapped */
	check_ip6_text("::ffff:0.0.0.0", "::ffff:0.0.0.0");
	check_ip6_text("::1.2.3.4", "::1.2.3.4"); /* IPv4-compatible */
	check_ip6_text("::2", "::2");
	check_ip6_text("::1:2", "::0.1.0.2");		    /* as inet_ntop prints it */
	check_ip6_text("::fffe:1.2.3.4", "::fffe:102:304"); /* not mapped */
	check_ip6_text("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
	check_ip6_text("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"); /* one zero word: not compressed */
	check_ip6_text("0:0:1:2:3:4:5:6", "::1:2:3:4:5:6");   /* leading run */
	check_ip6_text("1:2:3:4:5:6:0:0", "1:2:3:4:5:6::");   /* trailing run */
	check_ip6_text("1:0:0:2:0:0:0:3", "1:0:0:2::3");      /* the longest run */
	check_ip6_text("1:0:0:2:3:0:0:4", "1::2:3:0:0:4");    /* equal runs: the first */
	check_ip6_text("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0");
	check_ip6_text("2001:db8::", "2001:db8::");
	check_ip6_text("2001:db8:0:0:1::1", "2001:db8::1:0:0:1");
	check_ip6_text("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	check_ip6_text("fe80::a:bc:def:1234", "fe80::a:bc:def:1234");
	check_ip6_text("0:f:f0:f00:f000:ff:fff:abcd", "0:f:f0:f00:f000:ff:fff:abcd");
}

static void test_ipv6_random(void **state)
{
	(void)state;
	uint8_t b[16];
	for (int i = 0; i < 200000; i++) {
		uint64_t r = next_rand(), zeros = next_rand();
		for (int k = 0; k < 8; k++) {
			/* words are zero half of the time, and short (1-3 hex digits) often */
			unsigned w = (unsigned)(r >> (8 * k)) & 0xffff;
			if (zeros >> (2 * k) & 1)
				w = 0;
			else if (zeros >> (2 * k + 1) & 1)
				w >>= (unsigned)(zeros >> (16 + 4 * k) & 15);
			b[2 * k] = (uint8_t)(w >> 8);
			b[2 * k + 1] = (uint8_t)w;
		}
		if (i % 16 == 0) /* the IPv4-compatible and IPv4-mapped prefixes */
			memset(b, 0, 10 + (i % 32 == 0 ? 2 : 0));
		if (i % 32 == 16)
			b[10] = b[11] = 0xff;
		check_ip6(b);
	}
}

static void test_ipv4(void **state)
{
	(void)state;
	char want[INET_ADDRSTRLEN], got[32];
	uint8_t b[4] = {0, 0, 0, 0};
	*ofd_wbuf_put_ip4(got, b) = 0;
	assert_string_equal(got, "0.0.0.0");
	memset(b, 255, 4);
	*ofd_wbuf_put_ip4(got, b) = 0;
	assert_string_equal(got, "255.255.255.255");
	for (int i = 0; i < 100000; i++) {
		uint64_t r = next_rand();
		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(r >> (8 * k));
		if (i < 256) /* every octet value in every position */
			b[i % 4] = (uint8_t)i, b[(i + 1) % 4] = (uint8_t)(255 - i);
		assert_non_null(inet_ntop(AF_INET, b, want, sizeof(want)));
		memset(got, '#', sizeof(got));
		char *e = ofd_wbuf_put_ip4(got, b);
		assert_int_equal((size_t)(e - got), strlen(want));
		assert_memory_equal(got, want, strlen(want));
		assert_int_equal(got[strlen(want) + 3], '#');
	}
}

static void test_mac(void **state)
{
	(void)state;
	char got[32];
	*ofd_wbuf_put_mac(got, 0) = 0;
	assert_string_equal(got, "00:00:00:00:00:00");
	*ofd_wbuf_put_mac(got, 0xffffffffffffull) = 0;
	assert_string_equal(got, "ff:ff:ff:ff:ff:ff");
	*ofd_wbuf_put_mac(got, 0xffff0a1b2c3d4e5full) = 0; /* bits above 48 are not written */
	assert_string_equal(got, "0a:1b:2c:3d:4e:5f");
	for (int i = 0; i < 10000; i++) {
		uint64_t m = next_rand() & 0xffffffffffffull;
		char want[32];
		snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(m >> 40) & 255,
			 (unsigned)(m >> 32) & 255, (unsigned)(m >> 24) & 255, (unsigned)(m >> 16) & 255,
			 (unsigned)(m >> 8) & 255, (unsigned)m & 255);
		*ofd_wbuf_put_mac(got, m) = 0;
		assert_string_equal(got, want);
	}
}

/* The buffer form: digits appended at the end, the length kept. */
static void test_wbuf_u64(void **state)
{
	(void)state;
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, -1, 0), 0);
	ofd_wbuf_lit(&w, "x=");
	ofd_wbuf_u64(&w, 0);
	ofd_wbuf_ch(&w, ',');
	ofd_wbuf_u64(&w, UINT64_MAX);
	ofd_wbuf_ch(&w, ',');
	ofd_wbuf_u64(&w, 1185523201000000000ull);
	assert_int_equal(w.len, strlen("x=0,18446744073709551615,1185523201000000000"));
	assert_memory_equal(w.buf, "x=0,18446744073709551615,1185523201000000000", w.len);
	w.len = 0; /* nothing to write to fd -1 */
	ofd_wbuf_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integers_edges), cmocka_unit_test(test_integers_random),
	    cmocka_unit_test(test_ipv6_cases),	   cmocka_unit_test(test_ipv6_random),
	    cmocka_unit_test(test_ipv4),	   cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_wbuf_u64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
