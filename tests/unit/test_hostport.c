/*
 * net/hostport: every accepted form with the exact address, port and dual flag it gives, every
 * refused form, and the bound-address text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "net/hostport.h"

struct ok_case {
	const char *s;
	int family;
	const char *addr; /* inet_ntop text */
	unsigned port;
	int dual;
};

static void test_accepted(void **state)
{
	(void)state;
	static const struct ok_case t[] = {
	    {"127.0.0.1:9100", AF_INET, "127.0.0.1", 9100, 0},
	    {"0.0.0.0:1", AF_INET, "0.0.0.0", 1, 0}, /* IPv4 any: IPv4 alone */
	    {"10.1.2.3:0", AF_INET, "10.1.2.3", 0, 0},
	    {"255.255.255.255:65535", AF_INET, "255.255.255.255", 65535, 0},
	    {"1.2.3.4:00080", AF_INET, "1.2.3.4", 80, 0}, /* five digits, leading zeros */
	    {"[::1]:0", AF_INET6, "::1", 0, 0},
	    {"[::]:9100", AF_INET6, "::", 9100, 1},
	    {"[0:0:0:0:0:0:0:0]:8080", AF_INET6, "::", 8080, 1},
	    {"[2001:db8::1]:443", AF_INET6, "2001:db8::1", 443, 0},
	    {"[::ffff:192.0.2.1]:80", AF_INET6, "::ffff:192.0.2.1", 80, 0},
	    {":65535", AF_INET6, "::", 65535, 1},
	    {":0", AF_INET6, "::", 0, 1},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sockaddr_storage ss;
		char text[INET6_ADDRSTRLEN];
		int dual = -1;
		memset(&ss, 0xa5, sizeof(ss));
		if (ofd_hostport_parse(t[i].s, &ss, &dual) != 0)
			fail_msg("refused \"%s\"", t[i].s);
		assert_int_equal(ss.ss_family, t[i].family);
		assert_int_equal(dual, t[i].dual);
		if (t[i].family == AF_INET) {
			const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
			assert_int_equal(ntohs(a4->sin_port), t[i].port);
			inet_ntop(AF_INET, &a4->sin_addr, text, sizeof(text));
			assert_memory_equal(a4->sin_zero, "\0\0\0\0\0\0\0\0", 8);
		} else {
			const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
			assert_int_equal(ntohs(a6->sin6_port), t[i].port);
			assert_int_equal(a6->sin6_scope_id, 0);
			assert_int_equal(a6->sin6_flowinfo, 0);
			inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof(text));
		}
		assert_string_equal(text, t[i].addr);
		assert_int_equal(ofd_hostport_parse(t[i].s, NULL, NULL), 0); /* only checking */
	}
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "", ":", "9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:99999",
	    "127.0.0.1:123456", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "127.0.0.1: 80",
	    "127.0.0.1:0x50", "127.0.0.1:80:80", "::1:9100", "::", ":::80", "[::1]9100", "[::1:9100",
	    "::1]:9100", "[]:9100", "[:]:80", "[127.0.0.1]:80", "[::1%lo]:80", "localhost:9100",
	    "example.org:80", "1.2.3:80", "1.2.3.4.5:80", "256.1.1.1:80", " 127.0.0.1:80", "127.0.0.1 :80",
	    "[ ::1]:80", "[2001:db8::1::2]:80",
	    /* longer than any address */
	    "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", NULL};
	struct sockaddr_storage ss;
	int dual = 7;
	for (int i = 0; bad[i]; i++) {
		if (ofd_hostport_parse(bad[i], &ss, &dual) != OFD_ECONFIG)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(dual, 7); /* untouched */
	}
	assert_int_equal(ofd_hostport_parse(NULL, NULL, NULL), OFD_ECONFIG);
	assert_string_equal(OFD_HOSTPORT_FORMS, "ADDR:PORT, [IPV6]:PORT or :PORT");
}

static void test_str(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	char buf[OFD_HOSTPORT_STRLEN];
	assert_int_equal(ofd_hostport_parse("192.0.2.7:9100", &ss, NULL), 0);
	assert_int_equal(ofd_hostport_str(&ss, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "192.0.2.7:9100");
	assert_int_equal(ofd_hostport_parse(":8080", &ss, NULL), 0);
	assert_int_equal(ofd_hostport_str(&ss, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "[::]:8080");
	/* a long one: the text is inet_ntop's */
	assert_int_equal(
	    ofd_hostport_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535", &ss, NULL), 0);
	assert_int_equal(ofd_hostport_str(&ss, buf, sizeof(buf)), 47);
	assert_string_equal(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	assert_int_equal(ofd_hostport_parse("[::ffff:255.255.255.255]:1", &ss, NULL), 0);
	assert_int_equal(ofd_hostport_str(&ss, buf, sizeof(buf)), 26);
	assert_string_equal(buf, "[::ffff:255.255.255.255]:1");
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(ofd_hostport_str(&ss, buf, sizeof(buf)), OFD_EFORMAT);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
