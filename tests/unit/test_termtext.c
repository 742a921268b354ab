/*
 * util/termtext: C0, DEL, C1, bidirectional controls and invalid UTF-8 escaped, the rest
 * (ASCII, valid multi-byte UTF-8, backslashes) copied; the escaped length; cutting at cap never
 * splits an escape or a character; the stream writer writes the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/termtext.h"

struct esc_case {
	const char *in;
	size_t n;
	const char *want;
};

#define C(s, w)                                                                                              \
	{                                                                                                    \
		s, sizeof(s) - 1, w                                                                          \
	}

static const struct esc_case cases[] = {
    C("plain text, 1.2.3.4:80", "plain text, 1.2.3.4:80"),
    C("", ""),
    C("\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J"),
    C("tab\there\nline\r", "tab\\x09here\\x0aline\\x0d"),
    C("nul\0in", "nul\\x00in"),
    C("del\x7f", "del\\x7f"),
    C("c1 csi \xc2\x9b"
      "31m",
      "c1 csi \\u009b31m"),				     /* U+009B, 8-bit CSI, as UTF-8 */
    C("\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0"), /* U+00A0 is printable */
    C("raw c1 \x9b"
      "2J",
      "raw c1 \\x9b2J"), /* a lone C1 byte: invalid UTF-8 */
    C("bidi \xe2\x80\xae"
      "cba",
      "bidi \\u202ecba"), /* U+202E RIGHT-TO-LEFT OVERRIDE */
    C("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c", "\\u2066\\u2069\\u200f\\u061c"),
    C("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
    C("overlong \xc0\xaf", "overlong \\xc0\\xaf"),
    C("cut \xe2\x80", "cut \\xe2\\x80"),
    C("surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"),
    C("back\\slash \\x1b", "back\\slash \\x1b"),
};

static void test_escape(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esc_case *c = &cases[i];
		char out[256];
		size_t len = ofd_termtext_escape(out, sizeof(out), c->in, c->n);
		if (strcmp(out, c->want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out, c->want);
		assert_int_equal(len, strlen(c->want));
		assert_int_equal(ofd_termtext_len(c->in, c->n), len);
		assert_int_equal(ofd_termtext_plain(c->in, c->n),
				 strcmp(c->in, c->want) == 0 && !memchr(c->in, 0, c->n));
		assert_true(len < OFD_TERMTEXT_CAP(c->n));
		/* no control byte is left in what is written */
		for (size_t k = 0; k < len; k++)
			assert_true((unsigned char)out[k] >= 0x20 && out[k] != 0x7f);
	}
}

static void test_cut(void **state)
{
	(void)state;
	const char *in = "ab\x1b"
			 "c\xc3\xa9";
	char out[16];
	/* cap 1..: "", "a", "ab", "ab" (the escape needs 4), ..., "ab\x1b" whole at cap 7 */
	static const char *const want[] = {"",	 "a",	    "ab",	"ab",	    "ab",
					   "ab", "ab\\x1b", "ab\\x1bc", "ab\\x1bc", "ab\\x1bc\xc3\xa9"};
	for (size_t cap = 1; cap <= 10; cap++) {
		size_t len = ofd_termtext_escape(out, cap, in, strlen(in));
		if (strcmp(out, want[cap - 1]) != 0)
			fail_msg("cap %zu: got '%s', want '%s'", cap, out, want[cap - 1]);
		assert_int_equal(len, strlen(out));
	}
	/* the worst case fits OFD_TERMTEXT_CAP */
	char worst[64], big[OFD_TERMTEXT_CAP(64)];
	memset(worst, 0x1b, sizeof(worst));
	assert_int_equal(ofd_termtext_escape(big, sizeof(big), worst, sizeof(worst)), 4 * 64);
}

static void test_fputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esc_case *c = &cases[i];
		if (memchr(c->in, 0, c->n))
			continue; /* fputs takes NUL-terminated text */
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		assert_int_equal(ofd_termtext_fputs(f, c->in), 0);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(buf, c->want);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_fputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
