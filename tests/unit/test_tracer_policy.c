/*
 * Tracer destination policy: prefix parsing and matching, every reserved range refused (first,
 * middle and last address) with its neighbours outside accepted, allow overriding reserved only
 * when at least as specific, deny with and without allow, IPv4-mapped IPv6, relay URL syntax.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracer/policy.h"

static struct ofd_ip ip(const char *s)
{
	struct ofd_ip a;
	assert_int_equal(ofd_ip_parse(&a, s), 0);
	return a;
}

#define MAXP 8

/* The verdict for addr under allow/deny lists given as NULL-terminated string arrays. */
static enum ofd_policy_verdict verdict(const char *addr, const char *const *allow, const char *const *deny)
{
	struct ofd_prefix a[MAXP], d[MAXP];
	size_t na = 0, nd = 0;
	for (; allow && allow[na]; na++)
		assert_int_equal(ofd_prefix_parse(&a[na], allow[na]), 0);
	for (; deny && deny[nd]; nd++)
		assert_int_equal(ofd_prefix_parse(&d[nd], deny[nd]), 0);
	struct ofd_policy p = {a, na, d, nd};
	struct ofd_ip x = ip(addr);
	return ofd_policy_check(&p, &x);
}

static void test_prefix_parse(void **state)
{
	(void)state;
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, "10.0.0.0/8"), 0);
	assert_int_equal(p.len, 104);
	assert_int_equal(p.addr.family, OFD_AF_INET);
	assert_int_equal(p.addr.b[10], 0xff);
	assert_int_equal(p.addr.b[12], 10);
	assert_int_equal(ofd_prefix_parse(&p, "1.2.3.4"), 0);
	assert_int_equal(p.len, 128);
	assert_int_equal(ofd_prefix_parse(&p, "0.0.0.0/0"), 0);
	assert_int_equal(p.len, 96);
	assert_int_equal(ofd_prefix_parse(&p, "::/0"), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(ofd_prefix_parse(&p, "2001:db8::/32"), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(p.addr.family, OFD_AF_INET6);
	assert_int_equal(ofd_prefix_parse(&p, "::1"), 0);
	assert_int_equal(p.len, 128);

	static const char *const bad[] = {"",
					  "10.0.0.1/8",
					  "10.0.0.0/33",
					  "/8",
					  "10.0.0.0/",
					  "10.0.0.0/08",
					  "10.0.0.0/-1",
					  "10.0.0.0/8 ",
					  " 10.0.0.0/8",
					  "fe80::/129",
					  "2001:db8::1/32",
					  "abc",
					  "10.0.0/8",
					  "10.0.0.0/1000"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ofd_prefix_parse(&p, bad[i]) != OFD_EFORMAT)
			fail_msg("accepted bad prefix \"%s\"", bad[i]);
	}
}

static void test_prefix_match(void **state)
{
	(void)state;
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, "100.64.0.0/10"), 0);
	struct ofd_ip a = ip("100.127.255.255"), b = ip("100.128.0.0"), c = ip("100.63.255.255");
	assert_true(ofd_prefix_match(&p, &a));
	assert_false(ofd_prefix_match(&p, &b));
	assert_false(ofd_prefix_match(&p, &c));
	assert_int_equal(ofd_prefix_parse(&p, "0.0.0.0/0"), 0);
	struct ofd_ip v6 = ip("2001:4860::1");
	assert_true(ofd_prefix_match(&p, &a));
	assert_false(ofd_prefix_match(&p, &v6)); /* an IPv4 prefix never matches IPv6 */
	assert_int_equal(ofd_prefix_parse(&p, "::/0"), 0);
	assert_true(ofd_prefix_match(&p, &v6));
}

/* Each reserved range: first, a middle and the last address refused; the name reported. */
static void test_reserved_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *first, *mid, *last, *name;
	} r[] = {
	    {"0.0.0.0", "0.1.2.3", "0.255.255.255", "this network"},
	    {"10.0.0.0", "10.20.30.40", "10.255.255.255", "private"},
	    {"100.64.0.0", "100.100.0.1", "100.127.255.255", "shared address space"},
	    {"127.0.0.0", "127.0.0.1", "127.255.255.255", "loopback"},
	    {"169.254.0.0", "169.254.1.1", "169.254.255.255", "link-local"},
	    {"172.16.0.0", "172.20.1.1", "172.31.255.255", "private"},
	    {"192.0.0.0", "192.0.0.9", "192.0.0.255", "IETF protocol assignments"},
	    {"192.0.2.0", "192.0.2.1", "192.0.2.255", "documentation (TEST-NET-1)"},
	    {"192.88.99.0", "192.88.99.2", "192.88.99.255", "6to4 relay anycast"},
	    {"192.168.0.0", "192.168.1.1", "192.168.255.255", "private"},
	    {"198.18.0.0", "198.19.0.1", "198.19.255.255", "benchmarking"},
	    {"198.51.100.0", "198.51.100.7", "198.51.100.255", "documentation (TEST-NET-2)"},
	    {"203.0.113.0", "203.0.113.5", "203.0.113.255", "documentation (TEST-NET-3)"},
	    {"224.0.0.0", "239.1.2.3", "239.255.255.255", "multicast"},
	    {"240.0.0.0", "250.1.2.3", "255.255.255.254", "reserved"},
	    {"255.255.255.255", "255.255.255.255", "255.255.255.255", "limited broadcast"},
	    {"::", "::", "::", "unspecified"},
	    {"::1", "::1", "::1", "loopback"},
	    {"64:ff9b::", "64:ff9b::a00:1", "64:ff9b::ffff:ffff", "IPv4/IPv6 translation"},
	    {"64:ff9b:1::", "64:ff9b:1::1", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
	     "local-use IPv4/IPv6 translation"},
	    {"100::", "100::1", "100::ffff:ffff:ffff:ffff", "discard-only"},
	    {"2001::", "2001:1::1", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "IETF protocol assignments"},
	    {"2001:db8::", "2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation"},
	    {"2002::", "2002:a00:1::1", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "6to4"},
	    {"3fff::", "3fff::1", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "documentation"},
	    {"5f00::", "5f00::1", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "segment routing SIDs"},
	    {"fc00::", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local"},
	    {"fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local"},
	    {"ff00::", "ff02::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"},
	    {"::2", "1::1", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not global unicast"},
	    {"4000::", "4001::1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not global unicast"},
	    {"8000::", "c000::1", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not global unicast"},
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		const char *as[3] = {r[i].first, r[i].mid, r[i].last};
		for (int j = 0; j < 3; j++) {
			const char *name = NULL;
			struct ofd_ip a = ip(as[j]);
			if (verdict(as[j], NULL, NULL) != OFD_PV_RESERVED)
				fail_msg("%s not refused", as[j]);
			assert_true(ofd_policy_reserved(&a, &name) >= 0);
			if (strcmp(name, r[i].name) != 0)
				fail_msg("%s: range \"%s\", expected \"%s\"", as[j], name, r[i].name);
		}
	}
}

/* Public addresses, including the neighbours just outside reserved ranges. */
static void test_public_accepted(void **state)
{
	(void)state;
	static const char *const pub[] = {
	    "1.0.0.0",		"8.8.8.8",	   "9.255.255.255",
	    "11.0.0.0",		"100.63.255.255",  "100.128.0.0",
	    "126.255.255.255",	"128.0.0.0",	   "169.253.255.255",
	    "169.255.0.0",	"172.15.255.255",  "172.32.0.0",
	    "192.0.1.255",	"192.0.3.0",	   "192.88.98.255",
	    "192.88.100.0",	"192.167.255.255", "192.169.0.0",
	    "198.17.255.255",	"198.20.0.0",	   "198.51.99.255",
	    "198.51.101.0",	"203.0.112.255",   "203.0.114.0",
	    "223.255.255.255",	"2000::1",	   "2001:200::1",
	    "2001:db7:ffff::1", "2001:db9::1",	   "2001:4860:4860::8888",
	    "2003::1",		"2a00:1450::1",	   "3ffe::1",
	    "3fff:1000::1",	"::ffff:8.8.8.8",
	};
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		struct ofd_ip a = ip(pub[i]);
		if (verdict(pub[i], NULL, NULL) != OFD_PV_ALLOW)
			fail_msg("public %s refused", pub[i]);
		assert_int_equal(ofd_policy_reserved(&a, NULL), -1);
	}
}

static void test_allow_overrides_reserved(void **state)
{
	(void)state;
	static const char *const lo[] = {"127.0.0.0/8", NULL};
	assert_int_equal(verdict("127.0.0.1", lo, NULL), OFD_PV_ALLOW);
	assert_int_equal(verdict("127.255.255.255", lo, NULL), OFD_PV_ALLOW);
	assert_int_equal(verdict("10.0.0.1", lo, NULL), OFD_PV_RESERVED);
	assert_int_equal(verdict("::1", lo, NULL), OFD_PV_RESERVED);

	/* less specific than the reserved range: opens nothing */
	static const char *const all[] = {"0.0.0.0/0", "::/0", NULL};
	assert_int_equal(verdict("127.0.0.1", all, NULL), OFD_PV_RESERVED);
	assert_int_equal(verdict("fe80::1", all, NULL), OFD_PV_RESERVED);
	assert_int_equal(verdict("8.8.8.8", all, NULL), OFD_PV_ALLOW);

	/* more specific: opens its part only */
	static const char *const part[] = {"10.1.0.0/16", "::1/128", "fe80::/10", NULL};
	assert_int_equal(verdict("10.1.2.3", part, NULL), OFD_PV_ALLOW);
	assert_int_equal(verdict("10.2.0.1", part, NULL), OFD_PV_RESERVED);
	assert_int_equal(verdict("::1", part, NULL), OFD_PV_ALLOW);
	assert_int_equal(verdict("fe80::1234", part, NULL), OFD_PV_ALLOW);
	assert_int_equal(verdict("fc00::1", part, NULL), OFD_PV_RESERVED);

	struct ofd_ip none = {0};
	struct ofd_policy p = {NULL, 0, NULL, 0};
	assert_int_equal(ofd_policy_check(&p, &none), OFD_PV_RESERVED);
}

static void test_deny(void **state)
{
	(void)state;
	static const char *const deny[] = {"8.8.8.0/24", "2a00:1450::/32", NULL};
	assert_int_equal(verdict("8.8.8.8", NULL, deny), OFD_PV_DENIED);
	assert_int_equal(verdict("8.8.4.4", NULL, deny), OFD_PV_ALLOW);
	assert_int_equal(verdict("2a00:1450::1", NULL, deny), OFD_PV_DENIED);
	assert_int_equal(verdict("::ffff:8.8.8.8", NULL, deny), OFD_PV_DENIED);

	static const char *const host[] = {"8.8.8.8/32", NULL};
	assert_int_equal(verdict("8.8.8.8", host, deny), OFD_PV_ALLOW); /* more specific allow */
	assert_int_equal(verdict("8.8.8.9", host, deny), OFD_PV_DENIED);

	static const char *const same[] = {"8.8.8.0/24", NULL};
	assert_int_equal(verdict("8.8.8.8", same, deny), OFD_PV_ALLOW); /* equal: allow wins */

	static const char *const wide[] = {"8.0.0.0/8", NULL};
	assert_int_equal(verdict("8.8.8.8", wide, deny), OFD_PV_DENIED); /* deny more specific */
	assert_int_equal(verdict("8.9.0.1", wide, deny), OFD_PV_ALLOW);

	/* a deny inside an allowed reserved range */
	static const char *const lo[] = {"127.0.0.0/8", NULL};
	static const char *const one[] = {"127.0.0.5/32", NULL};
	assert_int_equal(verdict("127.0.0.5", lo, one), OFD_PV_DENIED);
	assert_int_equal(verdict("127.0.0.6", lo, one), OFD_PV_ALLOW);
	/* a reserved address that is also denied is reported as reserved */
	assert_int_equal(verdict("10.0.0.1", NULL, (const char *const[]){"10.0.0.0/24", NULL}),
			 OFD_PV_RESERVED);
}

/* IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry. */
static void test_v4mapped(void **state)
{
	(void)state;
	struct ofd_ip a = ip("::ffff:10.0.0.1");
	assert_int_equal(a.family, OFD_AF_INET6);
	assert_true(ofd_ip_is_v4mapped(&a));
	assert_int_equal(verdict("::ffff:10.0.0.1", NULL, NULL), OFD_PV_RESERVED);
	assert_int_equal(verdict("::ffff:127.0.0.1", NULL, NULL), OFD_PV_RESERVED);
	assert_int_equal(verdict("::ffff:8.8.8.8", NULL, NULL), OFD_PV_ALLOW);
	assert_int_equal(verdict("::ffff:224.0.0.1", NULL, NULL), OFD_PV_RESERVED);
	static const char *const lo[] = {"127.0.0.0/8", NULL};
	assert_int_equal(verdict("::ffff:127.0.0.1", lo, NULL), OFD_PV_ALLOW);
	const char *name = NULL;
	assert_int_equal(ofd_policy_reserved(&a, &name), 104);
	assert_string_equal(name, "private");
	struct ofd_ip v6 = ip("::1:2");
	assert_false(ofd_ip_is_v4mapped(&v6));
}

static void test_dest_url(void **state)
{
	(void)state;
	struct ofd_dest_url u;
	assert_int_equal(ofd_dest_url_parse(&u, "udp://127.0.0.1:65535"), 0);
	assert_int_equal(u.kind, OFD_DEST_UDP);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 65535);
	assert_int_equal(ofd_dest_url_parse(&u, "UDP://[::1]:9"), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9);
	assert_int_equal(ofd_dest_url_parse(&u, "http://collector.example.org/tracers/in"), 0);
	assert_int_equal(u.kind, OFD_DEST_HTTP);
	assert_string_equal(u.host, "collector.example.org");
	assert_int_equal(u.port, 80);
	assert_string_equal(u.path, "/tracers/in");
	assert_int_equal(ofd_dest_url_parse(&u, "https://[2001:db8::2]:8443"), 0);
	assert_int_equal(u.kind, OFD_DEST_HTTPS);
	assert_string_equal(u.host, "2001:db8::2");
	assert_int_equal(u.port, 8443);
	assert_string_equal(u.path, "");
	assert_int_equal(ofd_dest_url_parse(&u, "https://cert.example"), 0);
	assert_int_equal(u.port, 443);

	static const char *const bad[] = {
	    "ftp://1.2.3.4/",
	    "udp://127.0.0.1",
	    "udp://127.0.0.1:0",
	    "udp://127.0.0.1:65536",
	    "udp://127.0.0.1:9/x",
	    "udp://::1:9",
	    "udp://[::1:9",
	    "udp://[host]:9",
	    "http://",
	    "http://:80/",
	    "http://u:p@host/",
	    "http://host:/x",
	    "http://host/a b",
	    "http://ho%st/",
	    "http://host:8080x",
	    "udp://127.0.0.1:123456",
	    "127.0.0.1:9",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ofd_dest_url_parse(&u, bad[i]) != OFD_EFORMAT)
			fail_msg("accepted bad URL \"%s\"", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_parse),
	    cmocka_unit_test(test_prefix_match),
	    cmocka_unit_test(test_reserved_ranges),
	    cmocka_unit_test(test_public_accepted),
	    cmocka_unit_test(test_allow_overrides_reserved),
	    cmocka_unit_test(test_deny),
	    cmocka_unit_test(test_v4mapped),
	    cmocka_unit_test(test_dest_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
