/*
 * flowfilter parser: expression structure and code generation (the match keywords are in
 * match.c).
 *
 *   input      := [ expression ]                 (empty: every flow passes)
 *   expression := statement ( ("and" | "or") statement )*
 *   statement  := [ "not" ] ( "(" expression ")" | match )
 *
 * As BelWü's flowfilter (flowpipeline) reads it: `and` and `or` have no precedence, each joins
 * the statement on its left with everything to its right, so `a and b or c` is `a and (b or c)`
 * and `a or b and c or d` is `a or (b and (c or d))`. `not` negates the one statement after it
 * and is not repeated (`not not a` is refused, `not (not a)` is not). `( )` is refused.
 * ofd_filter_mixed() finds where `and` and `or` mix without parentheses, for --check to warn.
 * Parentheses and `not` nest at most OFD_FF_MAX_DEPTH (64) deep, a chain changes between `and`
 * and `or` at most OFD_FF_MAX_SWITCHES (256) times; an expression holds at most 4096 tokens and
 * 65536 characters.
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

static int parse_expr(struct ofd_ff_parser *p, uint32_t *node);

static int enter(struct ofd_ff_parser *p)
{
	if (p->depth >= OFD_FF_MAX_DEPTH)
		return ofd_ff_fail(p, ofd_ff_cur(p)->col, "nesting deeper than %d", OFD_FF_MAX_DEPTH);
	p->depth++;
	p->pos++;
	return 0;
}

/* statement := ["not"] ( "(" expression ")" | match ) */
static int parse_statement(struct ofd_ff_parser *p, uint32_t *node)
{
	uint32_t child;
	int rc;
	if (ofd_ff_at(p, "not")) {
		if ((rc = enter(p)))
			return rc;
		if (ofd_ff_at(p, "not"))
			return ofd_ff_fail(
			    p, ofd_ff_cur(p)->col,
			    "'not not' is refused (as flowpipeline does); write 'not (not ...)'");
		if ((rc = parse_statement(p, &child)))
			return rc;
		p->depth--;
		return add_node(p, OFD_FF_N_NOT, child, p->nodes[child].size, node);
	}
	const struct ofd_ff_tok *t = ofd_ff_cur(p);
	if (t->type == OFD_FF_T_LPAREN) {
		if ((rc = enter(p)))
			return rc;
		if (ofd_ff_cur(p)->type == OFD_FF_T_RPAREN)
			return ofd_ff_expected(p, "a match, 'not' or '(' inside '( )'");
		if ((rc = parse_expr(p, node)))
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

/*
 * expression := statement ( ("and" | "or") statement )*, grouped to the right: each conjunction
 * joins the statement on its left with everything to its right. The statements and conjunctions
 * are collected on p->chain (a stack shared by nested expressions), then joined from the right;
 * a conjunction equal to the one of the node on its right extends that node's list (`and` and
 * `or` are associative), another one starts a new node.
 */
static int parse_expr(struct ofd_ff_parser *p, uint32_t *node)
{
	uint32_t base = p->nchain, n, switches = 0;
	uint8_t op = 0;
	int rc;
	for (;;) {
		uint32_t s;
		if ((rc = parse_statement(p, &s)))
			return rc;
		if (p->nchain == p->cap_chain) {
			uint32_t c = p->cap_chain ? p->cap_chain * 2 : 16;
			struct ofd_ff_link *a = realloc(p->chain, (size_t)c * sizeof(*a));
			if (!a)
				return -ENOMEM;
			p->chain = a;
			p->cap_chain = c;
		}
		struct ofd_ff_link *l = &p->chain[p->nchain++];
		l->node = s;
		l->op = 0;
		l->col = ofd_ff_cur(p)->col;
		if (ofd_ff_at(p, "and"))
			l->op = OFD_FF_N_AND;
		else if (ofd_ff_at(p, "or"))
			l->op = OFD_FF_N_OR;
		else
			break;
		if (op && l->op != op) {
			if (!p->mix_col)
				p->mix_col = l->col;
			if (++switches > OFD_FF_MAX_SWITCHES)
				return ofd_ff_fail(
				    p, l->col,
				    "more than %d changes between 'and' and 'or' without parentheses",
				    OFD_FF_MAX_SWITCHES);
		}
		op = l->op;
		p->pos++;
	}
	n = p->nchain - base;
	uint32_t right = p->chain[base + n - 1].node;
	for (uint32_t i = n - 1; i-- > 0;) {
		const struct ofd_ff_link *l = &p->chain[base + i];
		struct ofd_ff_node *r = &p->nodes[right];
		if (r->type == l->op) {
			p->nodes[l->node].next = r->child;
			r->child = l->node;
			r->size += p->nodes[l->node].size;
			continue;
		}
		uint32_t list;
		if ((rc = add_node(p, l->op, l->node, p->nodes[l->node].size + p->nodes[right].size, &list)))
			return rc;
		p->nodes[l->node].next = right;
		right = list;
	}
	p->nchain = base;
	*node = right;
	return 0;
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
	free(p->chain);
	free(p->nodes);
	free(p->leaves);
	free(p->prefixes);
	free(p->strings);
	free(p->asns);
}

/* Parse the whole token array into p; returns the root node in *root (OFD_FF_NONE: the empty
 * expression, which passes every flow). */
static int parse_all(struct ofd_ff_parser *p, uint32_t *root)
{
	*root = OFD_FF_NONE;
	if (ofd_ff_cur(p)->type == OFD_FF_T_END)
		return 0;
	int rc = parse_expr(p, root);
	if (rc)
		return rc;
	if (ofd_ff_cur(p)->type != OFD_FF_T_END)
		return ofd_ff_expected(p, "'and', 'or' or end of expression");
	return 0;
}

static int compile(struct ofd_filter **out, const char *expr, char *err, size_t errlen, uint32_t *mix_col)
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
	f->code = calloc(p.nleaves ? p.nleaves : 1, sizeof(*f->code));
	if (!f->code)
		goto fail_filter;
	f->n = p.nleaves;
	if (root != OFD_FF_NONE)
		gen(&p, root, 0, OFD_FF_ACCEPT, OFD_FF_REJECT, f->code);
	*mix_col = p.mix_col;
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

int ofd_filter_compile(struct ofd_filter **out, const char *expr, char *err, size_t errlen)
{
	uint32_t mix_col;
	return compile(out, expr, err, errlen, &mix_col);
}

int ofd_filter_mixed(const char *expr, char *msg, size_t msglen)
{
	struct ofd_filter *f = NULL;
	uint32_t col = 0;
	if (msglen)
		msg[0] = 0;
	if (compile(&f, expr, NULL, 0, &col))
		return 0;
	ofd_filter_free(f);
	if (!col)
		return 0;
	if (msglen)
		snprintf(
		    msg, msglen,
		    "column %u: 'and' and 'or' mixed without parentheses; read as flowpipeline reads it, "
		    "each joining the statement on its left with everything to its right "
		    "('a and b or c' is 'a and (b or c)'); add parentheses to say which is meant",
		    col);
	return 1;
}
