/* flowfilter lexer (see lex.h). */
#include "flowfilter/lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Printable ASCII that may appear in a word. */
static int is_word(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '"' && c != '\'';
}

int ofd_ff_tok_is(const char *src, const struct ofd_ff_tok *t, const char *kw)
{
	if (t->type != OFD_FF_T_WORD)
		return 0;
	size_t n = strlen(kw);
	if (n != t->len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[t->off + i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		if (c != (unsigned char)kw[i])
			return 0;
	}
	return 1;
}

static int digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

int ofd_ff_parse_uint(const char *s, size_t len, uint64_t *v)
{
	unsigned base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	} else if (len > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
		len -= 2;
	} else if (len > 1 && s[0] == '0') { /* as Go's ParseUint with base 0: 010 is 8 */
		base = 8;
		s++;
		len--;
	}
	if (len == 0)
		return OFD_EFORMAT;
	uint64_t r = 0;
	int overflow = 0;
	for (size_t i = 0; i < len; i++) {
		int d = digit_value((unsigned char)s[i]);
		if (d < 0 || (unsigned)d >= base)
			return OFD_EFORMAT;
		if (r > (UINT64_MAX - (unsigned)d) / base)
			overflow = 1;
		r = r * base + (unsigned)d;
	}
	if (overflow)
		return OFD_ELIMIT;
	*v = r;
	return 0;
}

static int lex_fail(char *err, size_t errlen, int rc, size_t col, const char *msg, unsigned byte)
{
	if (errlen)
		snprintf(err, errlen, "column %zu: %s%02x%s", col, msg, byte,
			 byte < 0x80 ? "" : " outside a string");
	return rc;
}

static int lex_fail_msg(char *err, size_t errlen, int rc, size_t col, const char *msg)
{
	if (errlen)
		snprintf(err, errlen, "column %zu: %s", col, msg);
	return rc;
}

/* Scan one token starting at s[i] (not whitespace); fills t, returns the index after it or -1. */
static long lex_one(const char *s, size_t i, struct ofd_ff_tok *t, char *err, size_t errlen, int *rc)
{
	unsigned char c = (unsigned char)s[i];
	t->col = (uint32_t)(i + 1);
	if (c == '(' || c == ')') {
		t->type = c == '(' ? OFD_FF_T_LPAREN : OFD_FF_T_RPAREN;
		t->off = (uint32_t)i;
		t->len = 1;
		return (long)i + 1;
	}
	if (c == '"' || c == '\'') {
		size_t j = i + 1;
		while (s[j] && s[j] != (char)c)
			j++;
		if (!s[j]) {
			*rc = lex_fail_msg(err, errlen, OFD_EFORMAT, i + 1, "unterminated string");
			return -1;
		}
		t->type = OFD_FF_T_STRING;
		t->off = (uint32_t)(i + 1);
		t->len = (uint32_t)(j - i - 1);
		return (long)j + 1;
	}
	if (!is_word(c)) {
		*rc = lex_fail(err, errlen, OFD_EFORMAT, i + 1, "unexpected byte 0x", c);
		return -1;
	}
	size_t j = i;
	while (is_word((unsigned char)s[j]))
		j++;
	t->type = OFD_FF_T_WORD;
	t->off = (uint32_t)i;
	t->len = (uint32_t)(j - i);
	return (long)j;
}

int ofd_ff_lex(const char *expr, struct ofd_ff_tok **out, uint32_t *n, char *err, size_t errlen)
{
	int rc = 0;
	size_t len = strnlen(expr, OFD_FF_MAX_LEN + 1);
	if (len > OFD_FF_MAX_LEN)
		return lex_fail_msg(err, errlen, OFD_EFORMAT, OFD_FF_MAX_LEN + 1,
				    "expression longer than 65536 characters");
	/* a token is at least one character: at most len tokens, plus the end marker */
	size_t cap = (len < OFD_FF_MAX_TOKENS ? len : OFD_FF_MAX_TOKENS) + 1;
	struct ofd_ff_tok *toks = calloc(cap, sizeof(*toks));
	if (!toks)
		return -ENOMEM;
	uint32_t count = 0;
	size_t i = 0;
	for (;;) {
		while (is_space((unsigned char)expr[i]))
			i++;
		if (!expr[i])
			break;
		if (count == OFD_FF_MAX_TOKENS) {
			rc = lex_fail_msg(err, errlen, OFD_EFORMAT, i + 1,
					  "expression longer than 4096 tokens");
			goto fail_toks;
		}
		long next = lex_one(expr, i, &toks[count], err, errlen, &rc);
		if (next < 0)
			goto fail_toks;
		count++;
		i = (size_t)next;
	}
	toks[count].type = OFD_FF_T_END;
	toks[count].off = (uint32_t)len;
	toks[count].len = 0;
	toks[count].col = (uint32_t)len + 1;
	*out = toks;
	*n = count;
	return 0;

fail_toks:
	free(toks);
	return rc;
}
