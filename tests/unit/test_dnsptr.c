/*
 * net/dnsptr: PTR question names, and the answer reader on responses built here byte by byte:
 * plain and compressed answers, CNAME chains (RFC 2317), TTLs, names that are not host names,
 * and hostile messages (truncations, pointer loops, forward pointers, overlong names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "gen.h"
#include "net/dnsptr.h"

static void ip(struct ofd_ip *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	struct in_addr v4;
	if (inet_pton(AF_INET, text, &v4) == 1) {
		a->family = OFD_AF_INET;
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &v4, 4);
	} else {
		a->family = OFD_AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, a->b), 1);
	}
}

static void test_qname(void **state)
{
	(void)state;
	struct ofd_ip a;
	char q[OFD_DNS_QNAME_MAX];
	ip(&a, "192.0.2.10");
	assert_int_equal(ofd_dns_ptr_qname(&a, q), strlen("10.2.0.192.in-addr.arpa"));
	assert_string_equal(q, "10.2.0.192.in-addr.arpa");
	ip(&a, "0.0.0.0");
	ofd_dns_ptr_qname(&a, q);
	assert_string_equal(q, "0.0.0.0.in-addr.arpa");
	ip(&a, "255.100.9.1");
	ofd_dns_ptr_qname(&a, q);
	assert_string_equal(q, "1.9.100.255.in-addr.arpa");
	ip(&a, "2001:db8::1");
	size_t n = ofd_dns_ptr_qname(&a, q);
	assert_string_equal(q, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(n, 72);
	ip(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_true(ofd_dns_ptr_qname(&a, q) < OFD_DNS_QNAME_MAX);
}

static void test_hostname_ok(void **state)
{
	(void)state;
	assert_true(ofd_dns_hostname_ok("host.example.", 13));
	assert_true(ofd_dns_hostname_ok("host.example", 12));
	assert_true(ofd_dns_hostname_ok("_a-b.C9", 7));
	assert_false(ofd_dns_hostname_ok(".", 1));
	assert_false(ofd_dns_hostname_ok("", 0));
	assert_false(ofd_dns_hostname_ok("a..b", 4));
	assert_false(ofd_dns_hostname_ok("a b", 3));
	assert_false(ofd_dns_hostname_ok("a\"b", 3));
	assert_false(ofd_dns_hostname_ok("a\x1b[2Jb", 6));
	assert_false(ofd_dns_hostname_ok("caf\xc3\xa9", 5));
	char l[80];
	memset(l, 'a', 64);
	assert_false(ofd_dns_hostname_ok(l, 64)); /* a label of 64 */
	assert_true(ofd_dns_hostname_ok(l, 63));
	char big[300];
	for (int i = 0; i < 300; i++)
		big[i] = i % 2 ? '.' : 'a';
	assert_true(ofd_dns_hostname_ok(big, 253));
	assert_false(ofd_dns_hostname_ok(big, 255));
}

/* A response header: flags 0x8180 (answer, RD, RA) | rcode, one question, an answers. */
static void header(struct gen_buf *g, uint16_t rcode, uint16_t an)
{
	gen_reset(g);
	gen_u16(g, 0x1234);
	gen_u16(g, (uint16_t)(0x8180 | rcode));
	gen_u16(g, 1);
	gen_u16(g, an);
	gen_u16(g, 0);
	gen_u16(g, 0);
}

/* A name in wire form from dotted text ("" is the root). */
static void name(struct gen_buf *g, const char *text)
{
	while (*text) {
		const char *dot = strchr(text, '.');
		size_t len = dot ? (size_t)(dot - text) : strlen(text);
		gen_u8(g, (uint8_t)len);
		gen_bytes(g, text, len);
		text += len;
		if (*text == '.')
			text++;
	}
	gen_u8(g, 0);
}

static void question(struct gen_buf *g, const char *qname)
{
	name(g, qname);
	gen_u16(g, 12);
	gen_u16(g, 1);
}

/* An RR with owner as a pointer to offset 12 (the question) and rdata a name in text. */
static void rr_ptr_at_q(struct gen_buf *g, uint16_t type, uint32_t ttl, const char *target)
{
	gen_u16(g, 0xc00c);
	gen_u16(g, type);
	gen_u16(g, 1);
	gen_u32(g, ttl);
	size_t at = g->len;
	gen_u16(g, 0);
	name(g, target);
	gen_put16(g, at, (uint16_t)(g->len - at - 2));
}

static const char *Q = "10.2.0.192.in-addr.arpa";

static void test_answer_plain(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	char out[OFD_DNS_NAME_MAX];
	uint32_t ttl = 0;
	header(&g, 0, 1);
	question(&g, Q);
	rr_ptr_at_q(&g, 12, 3600, "host.example");
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_FOUND);
	assert_string_equal(out, "host.example.");
	assert_int_equal(ttl, 3600);
	/* the owner compared without case */
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, "10.2.0.192.IN-ADDR.ARPA", out, &ttl),
			 OFD_DNS_PTR_FOUND);
	/* another question's name: no PTR for ours */
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, "11.2.0.192.in-addr.arpa", out, &ttl),
			 OFD_DNS_PTR_NODATA);
	/* a TTL with the top bit set counts as 0 (RFC 2181) */
	header(&g, 0, 1);
	question(&g, Q);
	rr_ptr_at_q(&g, 12, 0x80000001u, "host.example");
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_FOUND);
	assert_int_equal(ttl, 0);
	/* NXDOMAIN, no answer records */
	header(&g, 3, 0);
	question(&g, Q);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_NODATA);
	header(&g, 0, 0);
	question(&g, Q);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_NODATA);
	gen_free(&g);
}

/* RFC 2317: a CNAME into a delegated zone, then the PTR there (records in either order). */
static void test_answer_cname(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	char out[OFD_DNS_NAME_MAX];
	uint32_t ttl = 0;
	for (int order = 0; order < 2; order++) {
		header(&g, 0, 2);
		question(&g, Q);
		/* the PTR's owner written out: 10.0/25.2.0.192.in-addr.arpa has a '/' in a label */
		if (order == 0)
			rr_ptr_at_q(&g, 5, 600, "10.sub.2.0.192.in-addr.arpa");
		name(&g, "10.sub.2.0.192.in-addr.arpa");
		gen_u16(&g, 12);
		gen_u16(&g, 1);
		gen_u32(&g, 7200);
		size_t at = g.len;
		gen_u16(&g, 0);
		name(&g, "delegated.example");
		gen_put16(&g, at, (uint16_t)(g.len - at - 2));
		if (order == 1)
			rr_ptr_at_q(&g, 5, 600, "10.sub.2.0.192.in-addr.arpa");
		assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_FOUND);
		assert_string_equal(out, "delegated.example.");
		assert_int_equal(ttl, 600); /* the smaller of the CNAME's and the PTR's */
	}
	/* a CNAME loop ends after OFD_DNS_CNAME_MAX steps without a PTR */
	header(&g, 0, 2);
	question(&g, Q);
	rr_ptr_at_q(&g, 5, 600, "a.example");
	name(&g, "a.example");
	gen_u16(&g, 5);
	gen_u16(&g, 1);
	gen_u32(&g, 600);
	gen_u16(&g, 2);
	gen_u16(&g, 0xc00c); /* back to the question's name */
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_NODATA);
	gen_free(&g);
}

static void test_answer_badname(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	char out[OFD_DNS_NAME_MAX] = "";
	uint32_t ttl = 0;
	static const char *const bad[] = {"evil name.example", "a\x1b[31m.example", "x\"y.example",
					  "a,b.example", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		header(&g, 0, 1);
		question(&g, Q);
		rr_ptr_at_q(&g, 12, 60, bad[i]);
		assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_BADNAME);
	}
	/* a dot or a NUL inside a label is not two labels */
	header(&g, 0, 1);
	question(&g, Q);
	gen_u16(&g, 0xc00c);
	gen_u16(&g, 12);
	gen_u16(&g, 1);
	gen_u32(&g, 60);
	gen_u16(&g, 13);
	gen_bytes(&g,
		  "\x03"
		  "a.b\x07"
		  "example\x00",
		  13);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_BADNAME);
	g.p[g.len - 11] = 0; /* "a\0b" */
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_BADNAME);
	/* a bad name first, a good one second: the good one */
	header(&g, 0, 2);
	question(&g, Q);
	rr_ptr_at_q(&g, 12, 60, "bad name");
	rr_ptr_at_q(&g, 12, 60, "good.example");
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_FOUND);
	assert_string_equal(out, "good.example.");
	gen_free(&g);
}

static void test_answer_hostile(void **state)
{
	(void)state;
	struct gen_buf g = {0};
	char out[OFD_DNS_NAME_MAX];
	uint32_t ttl = 0;
	header(&g, 0, 1);
	question(&g, Q);
	rr_ptr_at_q(&g, 12, 60, "host.example");
	/* every truncation */
	for (size_t n = 0; n < g.len; n++)
		assert_int_equal(ofd_dns_ptr_answer(g.p, n, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	/* rdata longer than its name */
	size_t full = g.len;
	gen_u8(&g, 0);
	gen_put16(&g, full - 16, 15);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	/* a query, not a response */
	header(&g, 0, 1);
	question(&g, Q);
	rr_ptr_at_q(&g, 12, 60, "host.example");
	g.p[2] &= 0x7f;
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	/* a pointer to itself, and one pointing forwards */
	header(&g, 0, 1);
	question(&g, Q);
	size_t at = g.len;
	gen_u16(&g, (uint16_t)(0xc000 | at));
	gen_u16(&g, 12);
	gen_u16(&g, 1);
	gen_u32(&g, 60);
	gen_u16(&g, 0);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	gen_put16(&g, at, (uint16_t)(0xc000 | (at + 4)));
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	/* a name of more than 255 bytes on the wire, in labels of 63 */
	header(&g, 0, 1);
	question(&g, Q);
	gen_u16(&g, 0xc00c);
	gen_u16(&g, 12);
	gen_u16(&g, 1);
	gen_u32(&g, 60);
	gen_u16(&g, 5 * 64 + 1);
	for (int i = 0; i < 5; i++) {
		gen_u8(&g, 63);
		for (int k = 0; k < 63; k++)
			gen_u8(&g, 'a');
	}
	gen_u8(&g, 0);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	/* label types 01 and 10 */
	header(&g, 0, 0);
	gen_u8(&g, 0x41);
	assert_int_equal(ofd_dns_ptr_answer(g.p, g.len, Q, out, &ttl), OFD_DNS_PTR_MALFORMED);
	gen_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qname),	   cmocka_unit_test(test_hostname_ok),
	    cmocka_unit_test(test_answer_plain),   cmocka_unit_test(test_answer_cname),
	    cmocka_unit_test(test_answer_badname), cmocka_unit_test(test_answer_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
