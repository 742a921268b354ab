/*
 * flowfilter parser: expression structure and code generation (the match keywords are in
 * match.c).
 *
 *   expr  := and ( "or" and )*
 *   and   := unary ( "and" unary )*
 *   unary := "not" unary | "(" expr ")" | match
 *
 * Precedence: `not` binds to the one statement after it, `and` binds tighter than `or`, so
 * `a and b or c` is `(a and b) or c`. Parentheses and `not` nest at most OFD_FF_MAX_DEPTH (64)
 * deep; an expression holds at most 4096 tokens and 65536 characters.
 *
 * Configs written for flowpipeline: BelWü's flowfilter has no precedence; each `and` / `or` joins
 * the statement on its left with everything to its right, so it reads `a and b or c` as
 * `a and (b or c)`. The two readings agree whenever no `and` is followed by an `or` at the same
 * parenthesis level: expressions of only `and`s, of only `or`s, `a or b and c` (both:
 * `a or (b and c)`), anything fully parenthesized. They differ when an `and` is followed by an
 * `or`: `a and b or c`, `a or b and c or d` (flowpipeline: `a or (b and (c or d))`, here:
 * `a or (b and c) or d`). To keep flowpipeline's meaning, parenthesize what follows such an
 * `and`: `a and (b or c)`. `not` means the same in both.
 *
 * Compilation (see eval.h): every leaf becomes one test; code generation walks the tree with
 * a "true target" and a "false target": an `and` sends each child's true exit to the next child
 * and its false exit to the `and`'s false target, an `or` the converse, and `not` swaps the
 * targets. Leaves are laid out in source order, so all jumps go forward.
 */
#include "flowfilter/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ofd_ff_fail(struct ofd_ff_parser *p, uint32_t col, const char *fmt, ...)
{
	if (p->errlen) {
		int n = snprintf(p->err, p->errlen, "column %u: ", col);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return OFD_EFORMAT;
}

int ofd_ff_expected(struct ofd_ff_parser *p, const char *what)
{
	const struct ofd_ff_tok *t = ofd_ff_cur(p);
	switch (t->type) {
	case OFD_FF_T_END: return ofd_ff_fail(p, t->col, "expected %s, found end of expression", what);
	case OFD_FF_T_STRING: return ofd_ff_fail(p, t->col, "expected %s, found a string", what);
	default: {
		int len = t->len > 40 ? 40 : (int)t->len;
		return ofd_ff_fail(p, t->col, "expected %s, found '%.*s%s'", what, len, p->src + t->off,
				   t->len > 40 ? "..." : "");
	}
	}
}

/* Make room for one more element of size elem in *arr (capacity *cap, used n). */
static int grow(void **arr, uint32_t *cap, uint32_t n, uint32_t more, size_t elem)
{
	if (n + more <= *cap)
		return 0;
	uint32_t c = *cap ? *cap : 16;
	while (c < n + more)
		c *= 2;
	void *a = realloc(*arr, (size_t)c * elem);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = c;
	return 0;
}

static int add_node(struct ofd_ff_parser *p, uint8_t type, uint32_t child, uint32_t size, uint32_t *node)
{
	int rc = grow((void **)&p->nodes, &p->cap_nodes, p->nnodes, 1, sizeof(*p->nodes));
	if (rc)
		return rc;
	p->nodes[p->nnodes] =
	    (struct ofd_ff_node){.type = type, .child = child, .next = OFD_FF_NONE, .size = size};
	*node = p->nnodes++;
	return 0;
}

int ofd_ff_add_leaf(struct ofd_ff_parser *p, const struct ofd_ff_insn *in, uint32_t *node)
{
	if (p->nleaves >= OFD_FF_MAX_INSNS)
		return ofd_ff_fail(p, ofd_ff_cur(p)->col, "too many matches");
	int rc = grow((void **)&p->leaves, &p->cap_leaves, p->nleaves, 1, sizeof(*p->leaves));
	if (rc)
		return rc;
	p->leaves[p->nleaves] = *in;
	rc = add_node(p, OFD_FF_N_LEAF, p->nleaves, 1, node);
	if (rc)
		return rc;
	p->nleaves++;
	return 0;
}

int ofd_ff_add_or2(struct ofd_ff_parser *p, uint32_t a, uint32_t b, uint32_t *node)
{
	int rc = add_node(p, OFD_FF_N_OR, a, p->nodes[a].size + p->nodes[b].size, node);
	if (rc)
		return rc;
	p->nodes[a].next = b;
	return 0;
}

int ofd_ff_add_prefix(struct ofd_ff_parser *p, const struct ofd_ff_prefix *pfx, uint32_t *index)
{
	int rc = grow((void **)&p->prefixes, &p->cap_prefixes, p->nprefixes, 1, sizeof(*p->prefixes));
	if (rc)
		return rc;
	p->prefixes[p->nprefixes] = *pfx;
	*index = p->nprefixes++;
	return 0;
}

int ofd_ff_add_string(struct ofd_ff_parser *p, const char *s, size_t len, uint32_t *index)
{
	/* len < OFD_FF_MAX_LEN, and the total is bounded by the expression's length */
	int rc = grow((void **)&p->strings, &p->cap_strings, p->strings_len, (uint32_t)len + 1, 1);
	if (rc)
		return rc;
	char *d = p->strings + p->strings_len;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		d[i] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
	}
	d[len] = 0;
	*index = p->strings_len;
	p->strings_len += (uint32_t)len + 1;
	return 0;
}

int ofd_ff_add_asns(struct ofd_ff_parser *p, const uint32_t *asns, uint32_t n, uint32_t *index)
{
	int rc = grow((void **)&p->asns, &p->cap_asns, p->nasns, n, sizeof(*p->asns));
	if (rc)
		return rc;
	memcpy(p->asns + p->nasns, asns, n * sizeof(*asns));
	*index = p->nasns;
	p->nasns += n;
	return 0;
}

static int parse_or(struct ofd_ff_parser *p, uint32_t *node);

static int enter(struct ofd_ff_parser *p)
{
	if (p->depth >= OFD_FF_MAX_DEPTH)
		return ofd_ff_fail(p, ofd_ff_cur(p)->col, "nesting deeper than %d", OFD_FF_MAX_DEPTH);
	p->depth++;
	p->pos++;
	return 0;
}

static int parse_unary(struct ofd_ff_parser *p, uint32_t *node)
{
	const struct ofd_ff_tok *t = ofd_ff_cur(p);
	uint32_t child;
	int rc;
	if (ofd_ff_at(p, "not")) {
		if ((rc = enter(p)) || (rc = parse_unary(p, &child)))
			return rc;
		p->depth--;
		return add_node(p, OFD_FF_N_NOT, child, p->nodes[child].size, node);
	}
	if (t->type == OFD_FF_T_LPAREN) {
		if ((rc = enter(p)) || (rc = parse_or(p, node)))
			return rc;
		if (ofd_ff_cur(p)->type != OFD_FF_T_RPAREN) {
			char what[64];
			snprintf(what, sizeof(what), "'and', 'or' or ')' to close '(' at column %u", t->col);
			return ofd_ff_expected(p, what);
		}
		p->pos++;
		p->depth--;
		return 0;
	}
	if (t->type != OFD_FF_T_WORD || ofd_ff_at(p, "and") || ofd_ff_at(p, "or"))
		return ofd_ff_expected(p, "a match, 'not' or '('");
	return ofd_ff_parse_match(p, node);
}

/* A list of operands joined by op ("and": parse_unary operands, "or": parse_and operands). */
static int parse_list(struct ofd_ff_parser *p, uint32_t *node, const char *op, uint8_t type,
		      int (*operand)(struct ofd_ff_parser *, uint32_t *))
{
	uint32_t first, last, list;
	int rc = operand(p, &first);
	if (rc || !ofd_ff_at(p, op)) {
		*node = first;
		return rc;
	}
	if ((rc = add_node(p, type, first, p->nodes[first].size, &list)))
		return rc;
	last = first;
	while (ofd_ff_at(p, op)) {
		uint32_t c;
		p->pos++;
		if ((rc = operand(p, &c)))
			return rc;
		p->nodes[last].next = c;
		p->nodes[list].size += p->nodes[c].size;
		last = c;
	}
	*node = list;
	return 0;
}

static int parse_and(struct ofd_ff_parser *p, uint32_t *node)
{
	return parse_list(p, node, "and", OFD_FF_N_AND, parse_unary);
}

static int parse_or(struct ofd_ff_parser *p, uint32_t *node)
{
	return parse_list(p, node, "or", OFD_FF_N_OR, parse_and);
}

/*
 * Lay out the tests of node n from code[pos] on; t and f are where its true and false exits go.
 * Recursion depth is bounded by the nesting bound (each level is a `not`, a parenthesis or an
 * `and`/`or` list inside one).
 */
static void gen(const struct ofd_ff_parser *p, uint32_t n, uint32_t pos, uint16_t t, uint16_t f,
		struct ofd_ff_insn *code)
{
	const struct ofd_ff_node *nd = &p->nodes[n];
	switch (nd->type) {
	case OFD_FF_N_LEAF:
		code[pos] = p->leaves[nd->child];
		code[pos].jt = t;
		code[pos].jf = f;
		return;
	case OFD_FF_N_NOT: gen(p, nd->child, pos, f, t, code); return;
	default:
		for (uint32_t c = nd->child; c != OFD_FF_NONE; c = p->nodes[c].next) {
			uint32_t next = pos + p->nodes[c].size;
			int last = p->nodes[c].next == OFD_FF_NONE;
			if (nd->type == OFD_FF_N_AND)
				gen(p, c, pos, last ? t : (uint16_t)next, f, code);
			else
				gen(p, c, pos, t, last ? f : (uint16_t)next, code);
			pos = next;
		}
	}
}

static void parser_free(struct ofd_ff_parser *p)
{
	free(p->nodes);
	free(p->leaves);
	free(p->prefixes);
	free(p->strings);
	free(p->asns);
}

/* Parse the whole token array into p; returns the root node in *root. */
static int parse_all(struct ofd_ff_parser *p, uint32_t *root)
{
	int rc = parse_or(p, root);
	if (rc)
		return rc;
	if (ofd_ff_cur(p)->type != OFD_FF_T_END)
		return ofd_ff_expected(p, "'and', 'or' or end of expression");
	return 0;
}

int ofd_filter_compile(struct ofd_filter **out, const char *expr, char *err, size_t errlen)
{
	struct ofd_ff_parser p = {.src = expr, .err = err, .errlen = err ? errlen : 0};
	struct ofd_ff_tok *toks = NULL;
	struct ofd_filter *f = NULL;
	uint32_t root;
	int rc;
	*out = NULL;
	if (p.errlen)
		err[0] = 0;
	if (!expr)
		return ofd_ff_fail(&p, 1, "no expression");
	rc = ofd_ff_lex(expr, &toks, &p.ntok, p.err, p.errlen);
	if (rc)
		return rc;
	p.tok = toks;
	if ((rc = parse_all(&p, &root)))
		goto fail_parse;
	rc = -ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto fail_parse;
	f->code = calloc(p.nleaves, sizeof(*f->code));
	if (!f->code)
		goto fail_filter;
	f->n = p.nleaves;
	gen(&p, root, 0, OFD_FF_ACCEPT, OFD_FF_REJECT, f->code);
	f->prefixes = p.prefixes;
	f->strings = p.strings;
	f->asns = p.asns;
	p.prefixes = NULL;
	p.strings = NULL;
	p.asns = NULL;
	parser_free(&p);
	free(toks);
	*out = f;
	return 0;

fail_filter:
	free(f);
fail_parse:
	parser_free(&p);
	free(toks);
	return rc;
}
