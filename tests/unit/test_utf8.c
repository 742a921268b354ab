/*
 * util/utf8: every class of sequence with its exact length and code point (the RFC 3629
 * bounds: 1..4 bytes, no overlong forms, no surrogates, nothing above U+10FFFF), sequences cut
 * short by the length or by a NUL, and the flow formatter's use of it (invalid bytes as '?'),
 * control characters escaped in JSON and CSV.
 * The Prometheus escaper ('?') and the tracer wire writer (U+FFFD) are checked by
 * test_promtext.c and test_tracer_wire.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "format/flowfmt.h"
#include "util/utf8.h"

struct seq {
	const char *s;
	size_t n; /* bytes offered */
	size_t len;
	uint32_t cp;
};

static void check(const struct seq *t, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t cp = 0xdeadbeef;
		size_t len = ofd_utf8_decode((const unsigned char *)t[i].s, t[i].n, &cp);
		if (len != t[i].len || (len && cp != t[i].cp))
			fail_msg("case %zu: length %zu code point %#x, want %zu %#x", i, len, cp, t[i].len,
				 t[i].cp);
		assert_int_equal(ofd_utf8_decode((const unsigned char *)t[i].s, t[i].n, NULL), t[i].len);
	}
}

static void test_valid(void **state)
{
	(void)state;
	static const struct seq t[] = {
	    {"A", 1, 1, 0x41},
	    {"", 1, 1, 0}, /* the NUL is a character */
	    {"\x7f", 1, 1, 0x7f},
	    {"\xc2\x80", 2, 2, 0x80},
	    {"\xc3\xb6z", 3, 2, 0xf6}, /* only the first sequence */
	    {"\xdf\xbf", 2, 2, 0x7ff},
	    {"\xe0\xa0\x80", 3, 3, 0x800},
	    {"\xe2\x82\xac", 3, 3, 0x20ac},
	    {"\xed\x9f\xbf", 3, 3, 0xd7ff}, /* just below the surrogates */
	    {"\xee\x80\x80", 3, 3, 0xe000}, /* just above */
	    {"\xef\xbf\xbf", 3, 3, 0xffff},
	    {"\xf0\x90\x80\x80", 4, 4, 0x10000},
	    {"\xf0\x9f\x98\x80", 4, 4, 0x1f600},
	    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	};
	check(t, sizeof(t) / sizeof(t[0]));
}

static void test_invalid(void **state)
{
	(void)state;
	static const struct seq t[] = {
	    /* nothing offered */
	    {"A", 0, 0, 0},
	    /* stray continuation bytes and lead bytes no sequence has */
	    {"\x80", 1, 0, 0},
	    {"\xbf", 1, 0, 0},
	    {"\xc0\x80", 2, 0, 0},
	    {"\xc1\xbf", 2, 0, 0},
	    {"\xf5\x80\x80\x80", 4, 0, 0},
	    {"\xf8\x88\x80\x80\x80", 5, 0, 0},
	    {"\xff", 1, 0, 0},
	    /* overlong forms */
	    {"\xe0\x80\x80", 3, 0, 0},
	    {"\xe0\x9f\xbf", 3, 0, 0},
	    {"\xf0\x80\x80\x80", 4, 0, 0},
	    {"\xf0\x8f\xbf\xbf", 4, 0, 0},
	    /* surrogates */
	    {"\xed\xa0\x80", 3, 0, 0},
	    {"\xed\xb2\x80", 3, 0, 0},
	    {"\xed\xbf\xbf", 3, 0, 0},
	    /* above U+10FFFF */
	    {"\xf4\x90\x80\x80", 4, 0, 0},
	    {"\xf4\xbf\xbf\xbf", 4, 0, 0},
	    /* cut short by n, by a byte that is not a continuation, by a NUL */
	    {"\xc3\xb6", 1, 0, 0},
	    {"\xe2\x82\xac", 2, 0, 0},
	    {"\xf0\x9f\x98\x80", 3, 0, 0},
	    {"\xe2\x28\xa1", 3, 0, 0},
	    {"\xf0\x9f\x98z", 4, 0, 0},
	    {"\xe2\x82", 4, 0, 0}, /* n beyond the string: the NUL stops the scan */
	};
	check(t, sizeof(t) / sizeof(t[0]));
}

/* The JSON flow formatter writes each invalid byte as '?' and valid sequences as they are. */
static void test_flowfmt_text(void **state)
{
	(void)state;
	struct ofd_wbuf w;
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.in_if_name = "a\xc3\xb6\xc0\xaf\xed\xa0\x80\xf0\x9f\x98\x80\xe2\x82";
	ofd_flow_set(&f, OFD_F_IN_IF_NAME);
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 16), 0);
	ofd_fmt_json_enriched(&w, &f);
	w.buf[w.len] = 0;
	assert_non_null(strstr(w.buf, ",\"in_if_name\":\"a\xc3\xb6?????\xf0\x9f\x98\x80??\"}"));
	w.len = 0;
	ofd_wbuf_fini(&w);
}

/* Control characters from an enricher (or stdin JSON) reach neither output raw: JSON escapes
   C0, DEL and C1 as \u00XX, CSV escapes them and invalid bytes as util/termtext.h says. */
static void test_flowfmt_controls(void **state)
{
	(void)state;
	struct ofd_wbuf w;
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.in_if_desc = "x\x1b]0;pwned\x07\x1b[2J\x7f\xc2\x9b"
		       "1m\xc3\xa9\x9b,\"\n";
	ofd_flow_set(&f, OFD_F_IN_IF_DESC);
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 16), 0);
	ofd_fmt_json_enriched(&w, &f);
	w.buf[w.len] = 0;
	assert_non_null(strstr(
	    w.buf,
	    ",\"in_if_desc\":\"x\\u001b]0;pwned\\u0007\\u001b[2J\\u007f\\u009b1m\xc3\xa9?,\\\"\\u000a\"}"));
	w.len = 0;
	const uint8_t ids[] = {OFD_F_BYTES, OFD_F_IN_IF_DESC, OFD_F_PACKETS};
	ofd_fmt_csv_ids(&w, &f, ids, 3);
	w.buf[w.len] = 0;
	assert_string_equal(w.buf,
			    "0,\"x\\x1b]0;pwned\\x07\\x1b[2J\\x7f\\u009b1m\xc3\xa9\\x9b,\"\"\\x0a\",0\n");
	for (size_t i = 0; i < w.len - 1; i++)
		assert_true((unsigned char)w.buf[i] >= 0x20 && w.buf[i] != 0x7f);
	w.len = 0;
	ofd_wbuf_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_flowfmt_text),
	    cmocka_unit_test(test_flowfmt_controls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
