/*
 * net/prefix: parsing (lengths, host bits, bare addresses), the text form, the well-formedness
 * check, matching at the boundaries of IPv4 and IPv6 prefixes, v4/v6 separation
 * (::ffff:0:0/96), the longest match in a list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/prefix.h"

static struct ofd_ip ip(const char *s)
{
	struct ofd_ip a;
	assert_int_equal(ofd_ip_parse(&a, s), 0);
	return a;
}

static struct ofd_prefix pfx(const char *s)
{
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, s), 0);
	return p;
}

static void test_parse(void **state)
{
	(void)state;
	struct ofd_prefix p = pfx("192.0.2.0/24");
	assert_int_equal(p.len, 120);
	assert_int_equal(p.addr.family, OFD_AF_INET);
	static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 0};
	assert_memory_equal(p.addr.b, v4, 16);
	p = pfx("2001:db8::/32");
	assert_int_equal(p.len, 32);
	assert_int_equal(p.addr.family, OFD_AF_INET6);
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	assert_memory_equal(p.addr.b, v6, 16);
	assert_int_equal(pfx("10.1.2.3").len, 128);
	assert_int_equal(pfx("2001:db8::1").len, 128);
	assert_int_equal(pfx("0.0.0.0/0").len, 96);
	assert_int_equal(pfx("::/0").len, 0);
	assert_int_equal(pfx("::ffff:0:0/96").len, 96);
	assert_int_equal(pfx("255.255.255.255/32").len, 128);
	assert_int_equal(pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128").len, 128);

	static const char *const bad[] = {"",
					  "/24",
					  "192.0.2.0/",
					  "192.0.2.0/33",
					  "192.0.2.1/24",
					  "192.0.2.0/024",
					  "192.0.2.0/+24",
					  "192.0.2.0/24/",
					  "2001:db8::/129",
					  "2001:db9::/15",
					  "::1/127",
					  "x/8",
					  "192.0.2.0 /24",
					  "192.0.2.0/2 4"};
	p = pfx("198.51.100.0/24");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ofd_prefix_parse(&p, bad[i]) != OFD_EFORMAT)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(p.len, 120); /* unchanged */
	}
}

static void test_str_check(void **state)
{
	(void)state;
	static const char *const in[] = {"192.0.2.0/24",  "0.0.0.0/0", "10.0.0.1/32",
					 "2001:db8::/32", "::/0",      "::1/128"};
	char buf[OFD_PREFIX_STRLEN];
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct ofd_prefix p = pfx(in[i]);
		assert_int_equal(ofd_prefix_str(&p, buf), (int)strlen(in[i]));
		assert_string_equal(buf, in[i]);
		assert_int_equal(ofd_prefix_check(&p), 0);
	}
	struct ofd_prefix p = pfx("192.0.2.0/24");
	p.len = 119; /* 192.0.2.0/23 has host bit 23 clear: fine */
	assert_int_equal(ofd_prefix_check(&p), 0);
	p.len = 90; /* an IPv4 family shorter than /96 */
	assert_int_equal(ofd_prefix_check(&p), OFD_EFORMAT);
	p = pfx("192.0.2.0/24");
	p.addr.b[15] = 1; /* host bit */
	assert_int_equal(ofd_prefix_check(&p), OFD_EFORMAT);
	p = pfx("::/0");
	p.len = 129;
	assert_int_equal(ofd_prefix_check(&p), OFD_EFORMAT);
	memset(&p, 0, sizeof(p)); /* no family */
	assert_int_equal(ofd_prefix_check(&p), OFD_EFORMAT);
}

static void test_match_boundaries(void **state)
{
	(void)state;
	struct ofd_prefix p = pfx("198.51.100.0/22");
	struct ofd_ip first = ip("198.51.100.0"), last = ip("198.51.103.255");
	struct ofd_ip below = ip("198.51.99.255"), above = ip("198.51.104.0");
	assert_int_equal(ofd_prefix_match(&p, &first), 1);
	assert_int_equal(ofd_prefix_match(&p, &last), 1);
	assert_int_equal(ofd_prefix_match(&p, &below), 0);
	assert_int_equal(ofd_prefix_match(&p, &above), 0);

	p = pfx("2001:db8:8000::/33");
	first = ip("2001:db8:8000::");
	last = ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	below = ip("2001:db8:7fff:ffff:ffff:ffff:ffff:ffff");
	above = ip("2001:db9::");
	assert_int_equal(ofd_prefix_match(&p, &first), 1);
	assert_int_equal(ofd_prefix_match(&p, &last), 1);
	assert_int_equal(ofd_prefix_match(&p, &below), 0);
	assert_int_equal(ofd_prefix_match(&p, &above), 0);

	p.len = 129;
	assert_int_equal(ofd_prefix_match(&p, &first), 0);
}

/* An IPv4 prefix matches v4-mapped addresses only; ::/0 matches both families. */
static void test_v4_v6(void **state)
{
	(void)state;
	struct ofd_prefix any4 = pfx("0.0.0.0/0"), any6 = pfx("::/0"), mapped = pfx("::ffff:0:0/96");
	struct ofd_ip a4 = ip("203.0.113.9"), a6 = ip("2001:db8::9"), a6m = ip("::ffff:203.0.113.9");
	struct ofd_ip compat = ip("::203.0.113.9"); /* deprecated IPv4-compatible: not v4-mapped */
	assert_int_equal(ofd_prefix_match(&any4, &a4), 1);
	assert_int_equal(ofd_prefix_match(&any4, &a6), 0);
	assert_int_equal(ofd_prefix_match(&any4, &a6m), 1);
	assert_int_equal(ofd_prefix_match(&any4, &compat), 0);
	assert_int_equal(ofd_prefix_match(&mapped, &a4), 1);
	assert_int_equal(ofd_prefix_match(&any6, &a4), 1);
	assert_int_equal(ofd_prefix_match(&any6, &a6), 1);
	assert_int_equal(ofd_ip_is_v4mapped(&a4), 1);
	assert_int_equal(ofd_ip_is_v4mapped(&a6m), 1);
	assert_int_equal(ofd_ip_is_v4mapped(&a6), 0);
	assert_int_equal(ofd_ip_is_v4mapped(&compat), 0);
}

static void test_longest(void **state)
{
	(void)state;
	struct ofd_prefix l[] = {pfx("10.0.0.0/8"), pfx("10.1.0.0/16"), pfx("::/0"), pfx("10.1.2.0/24"),
				 pfx("2001:db8::/32")};
	struct ofd_ip a = ip("10.1.2.3"), b = ip("10.1.3.3"), c = ip("10.2.0.0"), d = ip("2001:db8::1");
	struct ofd_ip e = ip("2001:db9::1");
	assert_int_equal(ofd_prefix_longest(l, 5, &a), 120);
	assert_int_equal(ofd_prefix_longest(l, 5, &b), 112);
	assert_int_equal(ofd_prefix_longest(l, 5, &c), 104);
	assert_int_equal(ofd_prefix_longest(l, 5, &d), 32);
	assert_int_equal(ofd_prefix_longest(l, 5, &e), 0);
	assert_int_equal(ofd_prefix_longest(l, 2, &e), -1);
	assert_int_equal(ofd_prefix_longest(NULL, 0, &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_str_check),
	    cmocka_unit_test(test_match_boundaries),
	    cmocka_unit_test(test_v4_v6),
	    cmocka_unit_test(test_longest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
