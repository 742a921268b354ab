/*
 * Pipeline config loader, first half: libyaml's event parser builds a tree of struct
 * ofd_cfg_node (every node and string in one arena owned by struct ofd_cfg_file), with the
 * variables expanded. config_shape.c checks the tree into the list of pipeline entries.
 *
 * Decisions:
 * - Expansion applies to every scalar VALUE (list items and map values, whatever their quoting
 *   style), never to map keys: keys name config fields and stay literal. `$NAME` and `${NAME}`
 *   (NAME = [A-Za-z_][A-Za-z0-9_]*) come from the environment, `$0`..`$9` (one digit) and `${N}`
 *   from the extra arguments, numbered from 0 as flowpipeline numbers them (`$0` is the first),
 *   `$$` is one `$`. An undefined variable or argument expands to "" as in flowpipeline, with a
 *   warning "FILE:LINE: undefined variable $NAME, expanded to an empty string"; with
 *   OFD_CFG_STRICT_ENV it is an error instead. A `$` followed by anything else (a space,
 *   punctuation, the end of the value) is kept as it is, so "5$" and "a $ b" need no escaping;
 *   a malformed `${...}` is an error. Expansion is done once; expanded text is not expanded
 *   again.
 * - Aliases (*name) are refused (no billion laughs); anchors (&name) and tags are ignored.
 * - Only one YAML document; map keys must be scalars; duplicate keys in a map are refused.
 * - Bounds (config.h): file size, node count, nesting depth, expanded value length, total
 *   memory, branch nesting.
 * - An empty value (`then:` with nothing after it) is a scalar "". For `config:`, `then:` and
 *   `else:` it means absent (then/else absent: the flows pass through).
 * - An empty file and an empty top-level list are refused.
 */
#include "core/config.h"
#include "core/config_int.h"
#include "ofd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A list or map being built: its items are collected here, then copied into the arena. */
struct cfg_frame {
	struct ofd_cfg_node *node;
	struct ofd_cfg_node **items;
	const char **keys;
	unsigned *key_lines;
	size_t n, cap;
	int have_key; /* map: keys[n] is read, its value comes next */
};

struct cfg_loader {
	struct ofd_cfg_file *f;
	const char *name;
	char *const *args;
	size_t nargs;
	int expand;
	unsigned flags; /* OFD_CFG_STRICT_ENV */
	char *err;
	size_t errlen;
	struct cfg_frame stack[OFD_CFG_MAX_DEPTH];
	unsigned depth;
	size_t nodes;
	unsigned docs;
};

int ofd_cfg_errorf(char *err, size_t errlen, const char *file, unsigned line, const char *seg,
		   const char *key, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return OFD_ECONFIG;
	size_t off = 0;
	int n = 0;
	if (file && line)
		n = snprintf(err, errlen, "%s:%u: ", file, line);
	else if (file)
		n = snprintf(err, errlen, "%s: ", file);
	off = n > 0 ? (size_t)n : 0;
	if (seg && off < errlen) {
		n = snprintf(err + off, errlen - off, "segment %s: ", seg);
		off += n > 0 ? (size_t)n : 0;
	}
	if (key && off < errlen) {
		n = snprintf(err + off, errlen - off, "key %s: ", key);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + off, errlen - off, fmt, ap);
		va_end(ap);
	}
	return OFD_ECONFIG;
}

void *ofd_cfg_alloc(struct ofd_cfg_file *f, size_t size)
{
	const size_t align = sizeof(max_align_t);
	if (size > OFD_CFG_MAX_BYTES)
		return NULL;
	size = (size + align - 1) / align * align;
	struct cfg_block *b = f->blocks;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > 16384 ? size : 16384;
		if (f->bytes + cap > OFD_CFG_MAX_BYTES)
			return NULL;
		b = calloc(1, sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->next = f->blocks;
		f->blocks = b;
		f->bytes += cap;
	}
	void *p = (unsigned char *)b->data + b->used;
	b->used += size;
	return p;
}

static char *cfg_strndup(struct ofd_cfg_file *f, const char *s, size_t len)
{
	char *p = ofd_cfg_alloc(f, len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int cfg_nomem(struct cfg_loader *L, unsigned line)
{
	ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL, "config too large or out of memory");
	return OFD_ELIMIT;
}

/* A growable buffer for expansion, bounded by OFD_CFG_MAX_SCALAR. */
struct cfg_buf {
	char *p;
	size_t n, cap;
};

static int cfg_buf_put(struct cfg_buf *b, const char *s, size_t len)
{
	if (len > OFD_CFG_MAX_SCALAR - b->n)
		return OFD_ELIMIT;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

static int cfg_is_name0(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int cfg_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An undefined variable or argument: "" with a warning, or (strict) an error. */
static int cfg_undefined(struct cfg_loader *L, unsigned line, const char *what, const char *name, size_t len,
			 size_t given)
{
	char why[32] = "";
	if (what[0] == 'a')
		snprintf(why, sizeof(why), " (%zu given)", given);
	int n = (int)(len > 64 ? 64 : len);
	if (L->flags & OFD_CFG_STRICT_ENV)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL, "undefined %s $%.*s%s",
				      what, n, name, why);
	ofd_warn("%s:%u: undefined %s $%.*s%s, expanded to an empty string", L->name, line, what, n, name,
		 why);
	return 0;
}

/* Append the value of variable name[0..len) (a name or a positional number from 0) to b. */
static int cfg_expand_var(struct cfg_loader *L, struct cfg_buf *b, const char *name, size_t len,
			  unsigned line)
{
	const char *val = NULL;
	if (cfg_is_digit(name[0])) {
		size_t idx = 0;
		for (size_t i = 0; i < len; i++)
			idx = idx < 100000 ? idx * 10 + (size_t)(name[i] - '0') : idx;
		if (idx < L->nargs)
			val = L->args[idx];
		if (!val)
			return cfg_undefined(L, line, "argument", name, len > 20 ? 20 : len, L->nargs);
	} else {
		char tmp[256];
		if (len < sizeof(tmp)) {
			memcpy(tmp, name, len);
			tmp[len] = '\0';
			val = getenv(tmp);
		}
		if (!val)
			return cfg_undefined(L, line, "variable", name, len, 0);
	}
	int rc = cfg_buf_put(b, val, strlen(val));
	if (rc)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      rc == OFD_ELIMIT ? "value too long after expansion" : "out of memory");
	return 0;
}

/* Parse the variable reference after a `$` at s (s < end); *used gets its length, 0: literal. */
static int cfg_expand_ref(struct cfg_loader *L, struct cfg_buf *b, const char *s, const char *end,
			  unsigned line, size_t *used)
{
	size_t len = 0;
	*used = 0;
	if (cfg_is_name0(*s)) {
		while (s + len < end && (cfg_is_name0(s[len]) || cfg_is_digit(s[len])))
			len++;
		*used = len;
		return cfg_expand_var(L, b, s, len, line);
	}
	if (cfg_is_digit(*s)) {
		*used = 1;
		return cfg_expand_var(L, b, s, 1, line);
	}
	if (*s != '{')
		return 0;
	const char *close = memchr(s, '}', (size_t)(end - s));
	if (!close)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "unterminated ${ in value");
	const char *name = s + 1;
	len = (size_t)(close - name);
	int ok = len > 0;
	for (size_t i = 0; ok && i < len; i++)
		ok = cfg_is_digit(name[0]) ? cfg_is_digit(name[i])
					   : cfg_is_name0(name[i]) || cfg_is_digit(name[i]);
	if (!ok)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "bad variable name '${%.*s}'", (int)(len > 64 ? 64 : len), name);
	*used = len + 2;
	return cfg_expand_var(L, b, name, len, line);
}

/* The expanded copy of a scalar, in the arena. */
static int cfg_expand(struct cfg_loader *L, const char *s, size_t len, unsigned line, char **out)
{
	struct cfg_buf b = {0};
	const char *end = s + len;
	int rc = 0;
	while (s < end) {
		const char *d = memchr(s, '$', (size_t)(end - s));
		size_t lit = d ? (size_t)(d - s) : (size_t)(end - s);
		if ((rc = cfg_buf_put(&b, s, lit)))
			goto out_long;
		if (!d)
			break;
		s = d + 1;
		size_t used = 0;
		if (s < end && *s == '$')
			used = 1; /* `$$`: one `$`, put below */
		else if (s < end && (rc = cfg_expand_ref(L, &b, s, end, line, &used)))
			goto out_buf;
		int literal = used == 0 || *s == '$'; /* used > 0 implies s < end */
		if (literal && (rc = cfg_buf_put(&b, "$", 1)))
			goto out_long;
		s += used;
	}
	*out = cfg_strndup(L->f, b.p ? b.p : "", b.n);
	rc = *out ? 0 : cfg_nomem(L, line);
	goto out_buf;
out_long:
	rc = ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
			    rc == OFD_ELIMIT ? "value too long after expansion" : "out of memory");
out_buf:
	free(b.p);
	return rc;
}

static int cfg_count_node(struct cfg_loader *L, unsigned line)
{
	if (++L->nodes <= OFD_CFG_MAX_NODES)
		return 0;
	ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL, "too many nodes (more than %u)",
		       OFD_CFG_MAX_NODES);
	return OFD_ELIMIT;
}

static int cfg_frame_grow(struct cfg_frame *fr)
{
	if (fr->n < fr->cap)
		return 0;
	size_t cap = fr->cap ? fr->cap * 2 : 8;
	struct ofd_cfg_node **items = realloc(fr->items, cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	fr->items = items;
	const char **keys = realloc(fr->keys, cap * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	fr->keys = keys;
	unsigned *lines = realloc(fr->key_lines, cap * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	fr->key_lines = lines;
	fr->cap = cap;
	return 0;
}

/* Hang a new node under the open list or map (or make it the root). */
static int cfg_attach(struct cfg_loader *L, struct ofd_cfg_node *node)
{
	if (L->depth == 0) {
		L->f->root = node;
		return 0;
	}
	struct cfg_frame *fr = &L->stack[L->depth - 1];
	if (fr->node->kind == OFD_CFGN_LIST && cfg_frame_grow(fr))
		return cfg_nomem(L, node->line);
	fr->items[fr->n++] = node;
	fr->have_key = 0;
	return 0;
}

static struct ofd_cfg_node *cfg_new_node(struct cfg_loader *L, enum ofd_cfg_node_kind kind,
					 const yaml_mark_t *m)
{
	struct ofd_cfg_node *node = ofd_cfg_alloc(L->f, sizeof(*node));
	if (node) {
		node->kind = kind;
		node->line = (unsigned)m->line + 1;
		node->col = (unsigned)m->column + 1;
	}
	return node;
}

static int cfg_on_scalar(struct cfg_loader *L, const yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (memchr(s, '\0', len))
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "NUL character in a value");
	int rc = cfg_count_node(L, line);
	if (rc)
		return rc;
	struct cfg_frame *fr = L->depth ? &L->stack[L->depth - 1] : NULL;
	if (fr && fr->node->kind == OFD_CFGN_MAP && !fr->have_key) {
		if (cfg_frame_grow(fr))
			return cfg_nomem(L, line);
		fr->keys[fr->n] = cfg_strndup(L->f, s, len);
		if (!fr->keys[fr->n])
			return cfg_nomem(L, line);
		fr->key_lines[fr->n] = line;
		fr->have_key = 1;
		return 0;
	}
	struct ofd_cfg_node *node = cfg_new_node(L, OFD_CFGN_SCALAR, &ev->start_mark);
	if (!node)
		return cfg_nomem(L, line);
	char *text = NULL;
	if (L->expand)
		rc = cfg_expand(L, s, len, line, &text);
	else if (!(text = cfg_strndup(L->f, s, len)))
		rc = cfg_nomem(L, line);
	if (rc)
		return rc;
	node->text = text;
	return cfg_attach(L, node);
}

static int cfg_on_start(struct cfg_loader *L, const yaml_event_t *ev, enum ofd_cfg_node_kind kind)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	struct cfg_frame *fr = L->depth ? &L->stack[L->depth - 1] : NULL;
	if (fr && fr->node->kind == OFD_CFGN_MAP && !fr->have_key)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "map keys must be scalars");
	if (L->depth >= OFD_CFG_MAX_DEPTH)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "nested deeper than %u levels", OFD_CFG_MAX_DEPTH);
	int rc = cfg_count_node(L, line);
	if (rc)
		return rc;
	struct ofd_cfg_node *node = cfg_new_node(L, kind, &ev->start_mark);
	if (!node)
		return cfg_nomem(L, line);
	if ((rc = cfg_attach(L, node)))
		return rc;
	L->stack[L->depth++] = (struct cfg_frame){.node = node};
	return 0;
}

struct cfg_keyref {
	const char *key;
	size_t idx;
};

static int cfg_keyref_cmp(const void *a, const void *b)
{
	const struct cfg_keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Refuse a key given twice: report the first repetition in document order. */
static int cfg_check_dups(struct cfg_loader *L, const struct ofd_cfg_node *map)
{
	if (map->n < 2)
		return 0;
	struct cfg_keyref *v = malloc(map->n * sizeof(*v));
	if (!v)
		return cfg_nomem(L, map->line);
	for (size_t i = 0; i < map->n; i++)
		v[i] = (struct cfg_keyref){map->keys[i], i};
	qsort(v, map->n, sizeof(*v), cfg_keyref_cmp);
	size_t dup = map->n, first = 0;
	for (size_t i = 1; i < map->n; i++)
		if (!strcmp(v[i].key, v[i - 1].key) && v[i].idx < dup) {
			dup = v[i].idx;
			first = v[i - 1].idx;
		}
	free(v);
	if (dup == map->n)
		return 0;
	return ofd_cfg_errorf(L->err, L->errlen, L->name, map->key_lines[dup], NULL, NULL,
			      "duplicate key '%.64s' (first on line %u)", map->keys[dup],
			      map->key_lines[first]);
}

/* Close the innermost list or map: copy its items into the arena. */
static int cfg_on_end(struct cfg_loader *L)
{
	struct cfg_frame *fr = &L->stack[L->depth - 1];
	struct ofd_cfg_node *node = fr->node;
	int rc = 0;
	node->n = fr->n;
	if (fr->n) {
		struct ofd_cfg_node **items = ofd_cfg_alloc(L->f, fr->n * sizeof(*items));
		if (!items)
			return cfg_nomem(L, node->line);
		memcpy(items, fr->items, fr->n * sizeof(*items));
		node->items = items;
	}
	if (node->kind == OFD_CFGN_MAP && fr->n) {
		const char **keys = ofd_cfg_alloc(L->f, fr->n * sizeof(*keys));
		unsigned *lines = ofd_cfg_alloc(L->f, fr->n * sizeof(*lines));
		if (!keys || !lines)
			return cfg_nomem(L, node->line);
		memcpy(keys, fr->keys, fr->n * sizeof(*keys));
		memcpy(lines, fr->key_lines, fr->n * sizeof(*lines));
		node->keys = keys;
		node->key_lines = lines;
		rc = cfg_check_dups(L, node);
	}
	free(fr->items);
	free(fr->keys);
	free(fr->key_lines);
	L->depth--;
	return rc;
}

static int cfg_on_event(struct cfg_loader *L, const yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++L->docs > 1)
			return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
					      "only one YAML document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "YAML aliases are not supported (*%.64s)",
				      (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT: return cfg_on_scalar(L, ev);
	case YAML_SEQUENCE_START_EVENT: return cfg_on_start(L, ev, OFD_CFGN_LIST);
	case YAML_MAPPING_START_EVENT: return cfg_on_start(L, ev, OFD_CFGN_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: return cfg_on_end(L);
	default: return 0;
	}
}

/* libyaml's error as "FILE:LINE: YAML syntax error: problem (context)". */
static int cfg_syntax_error(struct cfg_loader *L, const yaml_parser_t *p, const char *yaml, size_t len)
{
	if (p->error == YAML_MEMORY_ERROR)
		return cfg_nomem(L, 0);
	unsigned line = (unsigned)p->problem_mark.line + 1;
	if (p->error == YAML_READER_ERROR) {
		line = 1;
		for (size_t i = 0; i < p->problem_offset && i < len; i++)
			line += yaml[i] == '\n';
	}
	const char *problem = p->problem ? p->problem : "unknown error";
	if (p->context)
		return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL,
				      "YAML syntax error: %s (%s on line %u)", problem, p->context,
				      (unsigned)p->context_mark.line + 1);
	return ofd_cfg_errorf(L->err, L->errlen, L->name, line, NULL, NULL, "YAML syntax error: %s", problem);
}

static int cfg_parse_events(struct cfg_loader *L, const char *yaml, size_t len)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return cfg_nomem(L, 0);
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	int rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			rc = cfg_syntax_error(L, &p, yaml, len);
			break;
		}
		int done = ev.type == YAML_STREAM_END_EVENT;
		rc = cfg_on_event(L, &ev);
		yaml_event_delete(&ev);
		if (rc || done)
			break;
	}
	yaml_parser_delete(&p);
	while (L->depth) {
		struct cfg_frame *fr = &L->stack[--L->depth];
		free(fr->items);
		free(fr->keys);
		free(fr->key_lines);
	}
	return rc;
}

void ofd_cfg_free(struct ofd_cfg_file *f)
{
	if (!f)
		return;
	struct cfg_block *b = f->blocks;
	while (b) {
		struct cfg_block *next = b->next;
		free(b);
		b = next;
	}
	free(f);
}

int ofd_cfg_parse(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
		  char *const *args, size_t nargs, int expand, char *err, size_t errlen)
{
	return ofd_cfg_parse_flags(out, name, yaml, len, args, nargs, expand, 0, err, errlen);
}

int ofd_cfg_parse_flags(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			char *const *args, size_t nargs, int expand, unsigned flags, char *err, size_t errlen)
{
	*out = NULL;
	if (len > OFD_CFG_MAX_FILE)
		return ofd_cfg_errorf(err, errlen, name, 0, NULL, NULL, "larger than %u bytes",
				      OFD_CFG_MAX_FILE);
	struct cfg_loader *L = calloc(1, sizeof(*L));
	struct ofd_cfg_file *f = calloc(1, sizeof(*f));
	int rc = -ENOMEM;
	if (!L || !f) {
		ofd_cfg_errorf(err, errlen, name, 0, NULL, NULL, "out of memory");
		goto out_free;
	}
	*L = (struct cfg_loader){.f = f,
				 .name = name,
				 .args = args,
				 .nargs = nargs,
				 .expand = expand,
				 .flags = flags,
				 .err = err,
				 .errlen = errlen};
	if (!(f->path = cfg_strndup(f, name, strlen(name)))) {
		rc = cfg_nomem(L, 0);
		goto out_free;
	}
	if ((rc = cfg_parse_events(L, yaml, len)))
		goto out_free;
	*out = f;
	f = NULL;
out_free:
	ofd_cfg_free(f);
	free(L);
	return rc;
}

int ofd_cfg_parse_tree(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len, int expand,
		       char *err, size_t errlen)
{
	return ofd_cfg_parse(out, name, yaml, len, NULL, 0, expand, err, errlen);
}
