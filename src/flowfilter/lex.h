/*
 * flowfilter lexer: splits an expression into words, quoted strings and parentheses.
 *
 * A word is a maximal run of printable ASCII characters other than whitespace, `(`, `)`, `"` and
 * `'`; its meaning (keyword, number, range, address) is decided by the parser from context, so
 * `10.0.0.0/8`, `fe80::/10`, `<1024`, `9100-9999` and `passes-through` are each one word. A string
 * is anything between a pair of `"` or of `'` (no escapes). Columns are 1-based byte offsets.
 */
#ifndef OFD_FF_LEX_H
#define OFD_FF_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/err.h"

#define OFD_FF_MAX_TOKENS 4096	/* tokens in one expression, the end marker not counted */
#define OFD_FF_MAX_LEN	  65536 /* characters in one expression */
#define OFD_FF_MAX_DEPTH  64	/* nested parentheses and `not` */

enum ofd_ff_tok_type { OFD_FF_T_END = 0, OFD_FF_T_WORD, OFD_FF_T_STRING, OFD_FF_T_LPAREN, OFD_FF_T_RPAREN };

struct ofd_ff_tok {
	uint8_t type; /* enum ofd_ff_tok_type */
	uint32_t off; /* first byte of the text (for a string: after the opening quote) */
	uint32_t len; /* bytes of text (for a string: without the quotes) */
	uint32_t col; /* 1-based column of the token's first character (the quote for a string) */
};

/*
 * Tokenize expr into *out (allocated, ends with an OFD_FF_T_END token whose col is one past the
 * last character; *n counts the tokens without it). On a lexical error, or past the token or
 * length bound, returns OFD_EFORMAT and writes "column N: reason" into err (if errlen > 0);
 * -ENOMEM on allocation failure.
 */
int ofd_ff_lex(const char *expr, struct ofd_ff_tok **out, uint32_t *n, char *err,
	       size_t errlen) OFD_MUST_CHECK;

/* 1 if the token's text equals the lowercase keyword kw, ignoring ASCII case. */
int ofd_ff_tok_is(const char *src, const struct ofd_ff_tok *t, const char *kw);

/*
 * Parse an unsigned integer from s[0..len): decimal, 0x hex, 0b binary or, after a leading 0,
 * octal (flowpipeline reads numbers as Go's strconv.ParseUint with base 0). Returns 0, OFD_EFORMAT
 * when the text is not a number, or OFD_ELIMIT when it does not fit in 64 bits.
 */
int ofd_ff_parse_uint(const char *s, size_t len, uint64_t *v) OFD_MUST_CHECK;

#endif
