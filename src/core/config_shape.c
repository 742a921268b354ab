/*
 * Pipeline config loader, second half: the node tree (config.c) checked into the pipeline's
 * entries (segment, config, jobs, branches with if/then/else), allocated in the file's arena,
 * and the top level's process-wide settings.
 *
 * The top level is the list of segments, or a map of process-wide settings that holds it under
 * `pipeline:` beside `metrics: ADDR:PORT` (the HTTP /metrics address, net/hostport.h). A map
 * with neither key is refused as before ("expected a list of segments"), since it is most
 * likely a single entry written without its dash.
 *
 * flowpipeline's `skip` (condition, skip: N, invert) is no segment here: each list is rewritten
 * once built (cfg_skip_list), a skip entry and the N entries after it becoming one branch whose
 * `if` is a flowfilter on the condition (the skip's line and jobs) and whose `else` (`then` when
 * inverted) holds those N entries: the flows the condition selects take the empty side, which
 * skips them. An empty or absent condition selects every flow, as flowpipeline's empty filter
 * does. `skip: 0`, and as in flowpipeline a count past the end of the list (with a warning), keep
 * the branch with both sides empty: nothing is skipped, the condition is still checked. A skip
 * among the entries another skip skips must end within them (else refused: overlapping skips are
 * no nesting of branches).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/config_int.h"
#include "net/hostport.h"
#include "ofd/log.h"

/* Checking the shape of a parsed tree into pipeline entries (allocated in f's arena). */
struct cfg_shape {
	struct ofd_cfg_file *f;
	const char *name;
	char *err;
	size_t errlen;
};

static int cfg_build_pipeline(struct cfg_shape *S, const struct ofd_cfg_node *list, unsigned depth,
			      struct ofd_cfg_pipeline *out);

static const char *cfg_kind_name(const struct ofd_cfg_node *n)
{
	return n->kind == OFD_CFGN_MAP ? "a map" : n->kind == OFD_CFGN_LIST ? "a list" : "a string";
}

/* `if`, `then` or `else` of a branch at `depth` (branch nesting) into *out (NULL: absent). */
static int cfg_build_branch(struct cfg_shape *S, const struct ofd_cfg_entry *e, const char *key,
			    const struct ofd_cfg_node *v, unsigned line, unsigned depth,
			    struct ofd_cfg_pipeline **out)
{
	if (strcasecmp(e->segment, "branch"))
		return ofd_cfg_errorf(S->err, S->errlen, S->name, line, e->segment, key,
				      "only allowed on segment: branch");
	if (v->kind == OFD_CFGN_SCALAR && !v->text[0] && strcmp(key, "if"))
		return 0;
	if (v->kind != OFD_CFGN_LIST)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, v->line, e->segment, key,
				      "expected a list of segments, got %s",
				      v->kind == OFD_CFGN_SCALAR && !v->text[0] ? "an empty value"
										: cfg_kind_name(v));
	if (depth + 1 > OFD_CFG_MAX_BRANCH)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, line, e->segment, key,
				      "branches nested deeper than %u", OFD_CFG_MAX_BRANCH);
	*out = ofd_cfg_alloc(S->f, sizeof(**out));
	if (!*out)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, line, NULL, NULL, "out of memory");
	return cfg_build_pipeline(S, v, depth + 1, *out);
}

static int cfg_build_jobs(struct cfg_shape *S, struct ofd_cfg_entry *e, const struct ofd_cfg_node *v)
{
	static const struct ofd_cfg_key jobs = {
	    .key = "jobs", .type = OFD_CFG_UINT, .min = 1, .max = OFD_CFG_MAX_JOBS};
	uint64_t n = 0;
	int rc = ofd_cfg_apply_one(&jobs, v, &n, S->name, e->segment, S->err, S->errlen);
	if (!rc)
		e->jobs = (unsigned)n;
	return rc;
}

/* An entry key neither project knows, with "did you mean" when one is close. */
static int cfg_unknown_entry_key(struct cfg_shape *S, const struct ofd_cfg_entry *e, const char *k,
				 unsigned line, int branch)
{
	static const char *const known[] = {"segment", "config", "jobs", "if", "then", "else"};
	const char *near = NULL;
	for (size_t i = 0; i < (branch ? 6u : 3u) && !near; i++)
		if (ofd_cfg_is_close(k, known[i]))
			near = known[i];
	return ofd_cfg_errorf(S->err, S->errlen, S->name, line, e->segment, k, "unknown key (%s%s%s%s)",
			      near ? "did you mean " : "", near ? near : "", near ? "? " : "",
			      branch ? "a branch takes segment, config, jobs, if, then, else"
				     : "an entry takes segment, config, jobs");
}

static int cfg_build_entry(struct cfg_shape *S, const struct ofd_cfg_node *m, unsigned depth,
			   struct ofd_cfg_entry *e)
{
	if (m->kind != OFD_CFGN_MAP)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, m->line, NULL, NULL,
				      "expected a map with a segment key, got %s", cfg_kind_name(m));
	const struct ofd_cfg_node *seg = ofd_cfg_node_get(m, "segment");
	if (!seg)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, m->line, NULL, "segment",
				      "missing required key");
	if (seg->kind != OFD_CFGN_SCALAR || !seg->text[0])
		return ofd_cfg_errorf(S->err, S->errlen, S->name, seg->line, NULL, "segment",
				      "expected a segment name, got %s",
				      seg->kind == OFD_CFGN_SCALAR ? "an empty value" : cfg_kind_name(seg));
	*e = (struct ofd_cfg_entry){.segment = seg->text, .line = m->line, .jobs = 1};
	int branch = !strcasecmp(e->segment, "branch");
	int rc = 0;
	for (size_t i = 0; i < m->n && !rc; i++) {
		const char *k = m->keys[i];
		const struct ofd_cfg_node *v = m->items[i];
		if (!strcmp(k, "segment"))
			continue;
		if (!strcmp(k, "config")) {
			if (v->kind == OFD_CFGN_MAP)
				e->config = v;
			else if (v->kind != OFD_CFGN_SCALAR || v->text[0])
				rc = ofd_cfg_errorf(S->err, S->errlen, S->name, v->line, e->segment, k,
						    "expected a map, got %s", cfg_kind_name(v));
		} else if (!strcmp(k, "jobs")) {
			rc = cfg_build_jobs(S, e, v);
		} else if (!strcmp(k, "if")) {
			rc = cfg_build_branch(S, e, k, v, m->key_lines[i], depth, &e->if_);
		} else if (!strcmp(k, "then")) {
			rc = cfg_build_branch(S, e, k, v, m->key_lines[i], depth, &e->then_);
		} else if (!strcmp(k, "else")) {
			rc = cfg_build_branch(S, e, k, v, m->key_lines[i], depth, &e->else_);
		} else {
			rc = cfg_unknown_entry_key(S, e, k, m->key_lines[i], branch);
		}
	}
	if (!rc && branch && !e->if_)
		rc = ofd_cfg_errorf(S->err, S->errlen, S->name, e->line, e->segment, "if",
				    "missing required key");
	return rc;
}

/* ---- flowpipeline's skip, rewritten as a branch ---- */

struct cfg_skip {
	char *condition;
	uint64_t skip;
	int invert;
};

const struct ofd_cfg_key ofd_cfg_skip_keys[] = {
    OFD_KEY("condition", OFD_CFG_STRING, struct cfg_skip, condition,
	    .help = "flowfilter expression: the flows it matches skip the next `skip` segments of this "
		    "list, the others go through them; empty or absent: every flow skips"),
    OFD_KEY("skip", OFD_CFG_UINT, struct cfg_skip, skip, .def = "1", .min = 0, .max = 4294967295.0,
	    .help = "how many of the following segments to skip; 0, or more than follow in this list "
		    "(with a warning, as flowpipeline), skips nothing"),
    OFD_KEY("invert", OFD_CFG_BOOL, struct cfg_skip, invert, .def = "false",
	    .help = "the flows the condition does not match skip instead"),
    OFD_KEY_END,
};

static int cfg_is_skip(const struct ofd_cfg_entry *e)
{
	return !strcasecmp(e->segment, "skip");
}

/* Check skip entry e's config; *n the segments it skips in a list where `after` follow it. */
static int cfg_skip_count(struct cfg_shape *S, const struct ofd_cfg_entry *e, size_t after, size_t *n,
			  int *invert)
{
	struct cfg_skip k = {0};
	int rc =
	    ofd_cfg_apply(ofd_cfg_skip_keys, e->config, &k, S->name, e->segment, e->line, S->err, S->errlen);
	ofd_cfg_release(ofd_cfg_skip_keys, &k);
	if (rc)
		return rc;
	*invert = k.invert;
	*n = (size_t)k.skip;
	if (k.skip > after) {
		ofd_warn("%s:%u: segment %s: key skip: %llu segments, but %zu follow in this list: nothing "
			 "is skipped (as flowpipeline does)",
			 S->name, e->line, e->segment, (unsigned long long)k.skip, after);
		*n = 0;
	}
	return 0;
}

/* A list of the n entries at v, in f's arena (NULL for none). */
static struct ofd_cfg_pipeline *cfg_sublist(struct cfg_shape *S, const struct ofd_cfg_entry *v, size_t n,
					    unsigned line)
{
	if (!n)
		return NULL;
	struct ofd_cfg_pipeline *l = ofd_cfg_alloc(S->f, sizeof(*l));
	if (l)
		l->v = ofd_cfg_alloc(S->f, n * sizeof(*l->v));
	if (!l || !l->v) {
		ofd_cfg_errorf(S->err, S->errlen, S->name, line, NULL, NULL, "out of memory");
		return NULL;
	}
	memcpy(l->v, v, n * sizeof(*v));
	l->n = n;
	return l;
}

/* Skip entry *e (with side = the entries it skips, or NULL) into a branch on its condition. */
static int cfg_skip_branch(struct cfg_shape *S, struct ofd_cfg_entry *e, struct ofd_cfg_pipeline *side,
			   int invert)
{
	struct ofd_cfg_pipeline *if_ = ofd_cfg_alloc(S->f, sizeof(*if_));
	struct ofd_cfg_entry *ff = ofd_cfg_alloc(S->f, sizeof(*ff));
	if (!if_ || !ff)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, e->line, NULL, NULL, "out of memory");
	const struct ofd_cfg_node *cond = ofd_cfg_node_get(e->config, "condition");
	*ff = (struct ofd_cfg_entry){.segment = "flowfilter", .line = e->line, .jobs = e->jobs};
	if (cond) {
		struct ofd_cfg_node *m = ofd_cfg_alloc(S->f, sizeof(*m));
		struct ofd_cfg_node **items = ofd_cfg_alloc(S->f, sizeof(*items));
		const char **keys = ofd_cfg_alloc(S->f, sizeof(*keys));
		unsigned *lines = ofd_cfg_alloc(S->f, sizeof(*lines));
		if (!m || !items || !keys || !lines)
			return ofd_cfg_errorf(S->err, S->errlen, S->name, e->line, NULL, NULL,
					      "out of memory");
		items[0] = (struct ofd_cfg_node *)cond;
		keys[0] = "filter";
		lines[0] = cond->line;
		*m = (struct ofd_cfg_node){.kind = OFD_CFGN_MAP,
					   .line = e->config->line,
					   .col = e->config->col,
					   .n = 1,
					   .items = items,
					   .keys = keys,
					   .key_lines = lines};
		ff->config = m;
	}
	*if_ = (struct ofd_cfg_pipeline){.v = ff, .n = 1};
	*e = (struct ofd_cfg_entry){.segment = "branch", .line = e->line, .jobs = 1, .if_ = if_};
	if (invert)
		e->then_ = side;
	else
		e->else_ = side;
	return 0;
}

/*
 * The entries v[lo, hi) of a list of `all` entries with every skip in them rewritten, appended
 * at out[*n]. `inside` is the skip whose skipped entries these are (NULL: the whole list), depth
 * the branch nesting they sit at (a skip's branch counts as one).
 */
static int cfg_skip_range(struct cfg_shape *S, struct ofd_cfg_entry *v, size_t lo, size_t hi, size_t all,
			  const struct ofd_cfg_entry *inside, unsigned depth, struct ofd_cfg_entry *out,
			  size_t *n)
{
	size_t i = lo;
	while (i < hi) {
		if (!cfg_is_skip(&v[i])) {
			out[(*n)++] = v[i++];
			continue;
		}
		size_t k = 0, m = 0;
		int invert = 0, rc = cfg_skip_count(S, &v[i], all - i - 1, &k, &invert);
		if (rc)
			return rc;
		if (k > hi - i - 1 && inside)
			return ofd_cfg_errorf(S->err, S->errlen, S->name, v[i].line, v[i].segment, "skip",
					      "%zu segments reach past the %zu that the %s on line %u skips "
					      "(overlapping skips are not supported)",
					      k, hi - lo, inside->segment, inside->line);
		if (depth + 1 > OFD_CFG_MAX_BRANCH)
			return ofd_cfg_errorf(S->err, S->errlen, S->name, v[i].line, v[i].segment, NULL,
					      "branches nested deeper than %u (a skip is a branch)",
					      OFD_CFG_MAX_BRANCH);
		struct ofd_cfg_entry *sub = NULL;
		if (k && !(sub = ofd_cfg_alloc(S->f, k * sizeof(*sub))))
			return ofd_cfg_errorf(S->err, S->errlen, S->name, v[i].line, NULL, NULL,
					      "out of memory");
		if (k && (rc = cfg_skip_range(S, v, i + 1, i + 1 + k, all, &v[i], depth + 1, sub, &m)))
			return rc;
		struct ofd_cfg_pipeline *side = cfg_sublist(S, sub, m, v[i].line);
		if (m && !side)
			return OFD_ECONFIG;
		out[*n] = v[i];
		if ((rc = cfg_skip_branch(S, &out[*n], side, invert)))
			return rc;
		(*n)++;
		i += 1 + k;
	}
	return 0;
}

/* Rewrite the skips of a built list (its entries stay in the arena; the array shrinks). */
static int cfg_skip_list(struct cfg_shape *S, struct ofd_cfg_pipeline *l, unsigned depth)
{
	size_t i = 0;
	while (i < l->n && !cfg_is_skip(&l->v[i]))
		i++;
	if (i == l->n)
		return 0;
	struct ofd_cfg_entry *out = ofd_cfg_alloc(S->f, l->n * sizeof(*out));
	if (!out)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, l->v[0].line, NULL, NULL, "out of memory");
	size_t n = 0;
	int rc = cfg_skip_range(S, l->v, 0, l->n, l->n, NULL, depth, out, &n);
	if (!rc) {
		l->v = out;
		l->n = n;
	}
	return rc;
}

static int cfg_build_pipeline(struct cfg_shape *S, const struct ofd_cfg_node *list, unsigned depth,
			      struct ofd_cfg_pipeline *out)
{
	out->n = 0;
	out->v = NULL;
	if (!list->n)
		return 0;
	out->v = ofd_cfg_alloc(S->f, list->n * sizeof(*out->v));
	if (!out->v)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, list->line, NULL, NULL, "out of memory");
	for (size_t i = 0; i < list->n; i++) {
		int rc = cfg_build_entry(S, list->items[i], depth, &out->v[i]);
		if (rc)
			return rc;
		out->n++;
	}
	return cfg_skip_list(S, out, depth);
}

/* The top-level map: `pipeline:` (the list, into *list) and `metrics:`. */
static int cfg_build_top(struct cfg_shape *S, const struct ofd_cfg_node *map,
			 const struct ofd_cfg_node **list)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i];
		const struct ofd_cfg_node *v = map->items[i];
		if (!strcmp(k, "pipeline")) {
			*list = v;
		} else if (!strcmp(k, "metrics")) {
			if (v->kind != OFD_CFGN_SCALAR)
				return ofd_cfg_errorf(S->err, S->errlen, S->name, v->line, NULL, k,
						      "expected ADDR:PORT, got %s", cfg_kind_name(v));
			if (v->text[0] && ofd_hostport_parse(v->text, NULL, NULL))
				return ofd_cfg_errorf(S->err, S->errlen, S->name, v->line, NULL, k,
						      "expected " OFD_HOSTPORT_FORMS " (e.g. "
						      "127.0.0.1:9100), got \"%s\"",
						      v->text);
			S->f->metrics = v->text[0] ? v->text : NULL;
		} else {
			return ofd_cfg_errorf(S->err, S->errlen, S->name, map->key_lines[i], NULL, k,
					      "unknown top-level key (known: pipeline, metrics)");
		}
	}
	if (!*list)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, map->line, NULL, "pipeline",
				      "missing required key (the list of segments)");
	if ((*list)->kind != OFD_CFGN_LIST)
		return ofd_cfg_errorf(S->err, S->errlen, S->name, (*list)->line, NULL, "pipeline",
				      "expected a list of segments, got %s", cfg_kind_name(*list));
	return 0;
}

int ofd_cfg_load_string(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			char *const *args, size_t nargs, char *err, size_t errlen)
{
	return ofd_cfg_load_string_flags(out, name, yaml, len, args, nargs, 0, err, errlen);
}

int ofd_cfg_load_string_flags(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			      char *const *args, size_t nargs, unsigned flags, char *err, size_t errlen)
{
	struct ofd_cfg_file *f;
	int rc = ofd_cfg_parse_flags(&f, name, yaml, len, args, nargs, 1, flags, err, errlen);
	*out = NULL;
	if (rc)
		return rc;
	const struct ofd_cfg_node *root = f->root;
	struct cfg_shape S = {f, f->path, err, errlen};
	if (root && root->kind == OFD_CFGN_MAP &&
	    (ofd_cfg_node_get(root, "pipeline") || ofd_cfg_node_get(root, "metrics"))) {
		const struct ofd_cfg_node *list = NULL;
		if ((rc = cfg_build_top(&S, root, &list)) != 0) {
			ofd_cfg_free(f);
			return rc;
		}
		root = list;
	}
	rc = OFD_ECONFIG;
	if (!root || (root->kind == OFD_CFGN_SCALAR && !root->text[0]))
		ofd_cfg_errorf(err, errlen, name, 1, NULL, NULL,
			       "the file is empty, expected a list of segments");
	else if (root->kind != OFD_CFGN_LIST)
		ofd_cfg_errorf(err, errlen, name, root->line, NULL, NULL, "expected a list of segments");
	else if (root->n == 0)
		ofd_cfg_errorf(err, errlen, name, root->line, NULL, NULL, "the list of segments is empty");
	else
		rc = cfg_build_pipeline(&S, root, 0, &f->pipeline);
	if (rc) {
		ofd_cfg_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int ofd_cfg_load(struct ofd_cfg_file **out, const char *path, char *const *args, size_t nargs, char *err,
		 size_t errlen)
{
	return ofd_cfg_load_flags(out, path, args, nargs, 0, err, errlen);
}

int ofd_cfg_load_flags(struct ofd_cfg_file **out, const char *path, char *const *args, size_t nargs,
		       unsigned flags, char *err, size_t errlen)
{
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		int e = errno;
		ofd_cfg_errorf(err, errlen, path, 0, NULL, NULL, "cannot open: %s", strerror(e));
		return -e;
	}
	int rc = 0;
	char *buf = malloc(OFD_CFG_MAX_FILE + 1);
	if (!buf) {
		rc = -ENOMEM;
		ofd_cfg_errorf(err, errlen, path, 0, NULL, NULL, "out of memory");
		goto out_file;
	}
	errno = 0;
	size_t n = fread(buf, 1, OFD_CFG_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		rc = errno ? -errno : -EIO;
		ofd_cfg_errorf(err, errlen, path, 0, NULL, NULL, "cannot read: %s", strerror(-rc));
	} else if (n > OFD_CFG_MAX_FILE) {
		rc = ofd_cfg_errorf(err, errlen, path, 0, NULL, NULL, "larger than %u bytes",
				    OFD_CFG_MAX_FILE);
	} else {
		rc = ofd_cfg_load_string_flags(out, path, buf, n, args, nargs, flags, err, errlen);
	}
	free(buf);
out_file:
	fclose(fp);
	return rc;
}

const struct ofd_cfg_pipeline *ofd_cfg_pipeline(const struct ofd_cfg_file *f)
{
	return &f->pipeline;
}

const char *ofd_cfg_path(const struct ofd_cfg_file *f)
{
	return f->path;
}

const char *ofd_cfg_metrics(const struct ofd_cfg_file *f)
{
	return f->metrics;
}

const struct ofd_cfg_node *ofd_cfg_root(const struct ofd_cfg_file *f)
{
	return f->root;
}
