/*
 * flowfilter parser internals, shared by parse.c (expression structure, code generation) and
 * match.c (the match keywords and their arguments).
 *
 * The parser builds a small tree of nodes (leaf, and, or, not; `and`/`or` nodes are n-ary with
 * their children in a sibling list, built from the right as flowfilter groups) over a token array, then lays
 * the leaves out as jump tests (eval.h). Every array grows by doubling and is bounded by the token limit.
 */
#ifndef OFD_FF_PARSE_H
#define OFD_FF_PARSE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "flowfilter/eval.h"
#include "flowfilter/lex.h"

enum ofd_ff_node_type { OFD_FF_N_LEAF, OFD_FF_N_AND, OFD_FF_N_OR, OFD_FF_N_NOT };

#define OFD_FF_NONE UINT32_MAX

/* Changes between `and` and `or` in one unparenthesized chain (each is a level of nesting). */
#define OFD_FF_MAX_SWITCHES 256

/* One statement of an expression being parsed, and the conjunction after it (0: none). */
struct ofd_ff_link {
	uint32_t node, col; /* col: of the conjunction */
	uint8_t op;	    /* OFD_FF_N_AND, OFD_FF_N_OR or 0 */
};

struct ofd_ff_node {
	uint8_t type;	/* enum ofd_ff_node_type */
	uint32_t child; /* leaf: index into leaves; others: first child node */
	uint32_t next;	/* next sibling, or OFD_FF_NONE */
	uint32_t size;	/* tests (leaves) in this subtree */
};

struct ofd_ff_parser {
	const char *src;
	const struct ofd_ff_tok *tok;
	uint32_t ntok, pos;
	unsigned depth;

	struct ofd_ff_node *nodes;
	uint32_t nnodes, cap_nodes;
	struct ofd_ff_insn *leaves;
	uint32_t nleaves, cap_leaves;
	struct ofd_ff_prefix *prefixes;
	uint32_t nprefixes, cap_prefixes;
	char *strings;
	uint32_t strings_len, cap_strings;
	uint32_t *asns;
	uint32_t nasns, cap_asns;
	struct ofd_ff_link *chain; /* statements of the expressions being parsed, innermost last */
	uint32_t nchain, cap_chain;
	uint32_t mix_col;   /* first conjunction that differs from the one before it, 0: none */
	uint8_t units_seen; /* speed ranges: 1 a number with a unit suffix was read, 2 a bare one */

	char *err;
	size_t errlen;
};

/* The current token (the END token once all are consumed). */
static inline const struct ofd_ff_tok *ofd_ff_cur(const struct ofd_ff_parser *p)
{
	return &p->tok[p->pos];
}

/* 1 if the current token is the word kw (lowercase; ASCII case ignored). */
static inline int ofd_ff_at(const struct ofd_ff_parser *p, const char *kw)
{
	return ofd_ff_tok_is(p->src, ofd_ff_cur(p), kw);
}

/* Write "column N: <fmt>" for token t; returns OFD_EFORMAT. */
int ofd_ff_fail(struct ofd_ff_parser *p, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write "column N: expected <what>, found 'TOKEN'" (or "found end of expression") for the current
 * token; returns OFD_EFORMAT. */
int ofd_ff_expected(struct ofd_ff_parser *p, const char *what);

/* Append a leaf test (jumps filled later) and its node; *node receives the node index. */
int ofd_ff_add_leaf(struct ofd_ff_parser *p, const struct ofd_ff_insn *in, uint32_t *node) OFD_MUST_CHECK;

/* An `or` node over two existing nodes (for undirected matches: src or dst). */
int ofd_ff_add_or2(struct ofd_ff_parser *p, uint32_t a, uint32_t b, uint32_t *node) OFD_MUST_CHECK;

/* Append to the pools; *index receives the position of the new entry. */
int ofd_ff_add_prefix(struct ofd_ff_parser *p, const struct ofd_ff_prefix *pfx,
		      uint32_t *index) OFD_MUST_CHECK;
int ofd_ff_add_string(struct ofd_ff_parser *p, const char *s, size_t len, uint32_t *index) OFD_MUST_CHECK;
int ofd_ff_add_asns(struct ofd_ff_parser *p, const uint32_t *asns, uint32_t n,
		    uint32_t *index) OFD_MUST_CHECK;

/* community NAME | ASN:VALUE | GLOBAL:LOCAL1:LOCAL2 (community.c; the keyword is consumed). */
int ofd_ff_parse_community(struct ofd_ff_parser *p, uint32_t *node) OFD_MUST_CHECK;

/* Parse one match at the current token (match.c); *node receives the node built. */
int ofd_ff_parse_match(struct ofd_ff_parser *p, uint32_t *node) OFD_MUST_CHECK;

#endif
