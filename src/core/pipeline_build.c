/* The pipeline engine, building: the config's entries into instances and operations, init. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/registry.h"
#include "core/spill.h"
#include "pipeline_int.h"

const struct ofd_cfg_key ofd_pl_no_keys[] = {{.key = NULL}};

/* ---- building ---- */

static void pl_count(const struct ofd_cfg_pipeline *c, size_t *ne, size_t *nops)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		const struct ofd_cfg_entry *ce = &c->v[i];
		(*ne)++;
		if (strcasecmp(ce->segment, "branch") == 0) {
			*nops += 4;
			pl_count(ce->if_, ne, nops);
			pl_count(ce->then_, ne, nops);
			pl_count(ce->else_, ne, nops);
		} else {
			(*nops)++;
		}
	}
}

struct pl_build {
	struct ofd_pipeline *p;
	char *err;
	size_t errlen;
};

static void pl_op(struct ofd_pipeline *p, enum pl_op_kind k, struct pl_entry *e, unsigned slot)
{
	p->ops[p->nops++] = (struct pl_op){k, e, slot};
}

static int pl_build_list(struct pl_build *B, const struct ofd_cfg_pipeline *c, unsigned depth);

/* A warning about an entry, as "FILE:LINE: segment NAME: key KEY: reason". */
__attribute__((format(printf, 3, 4))) static void pl_warn(const struct pl_entry *e, const char *key,
							  const char *fmt, ...)
{
	char why[256], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	(void)ofd_cfg_errorf(msg, sizeof(msg), e->file, e->line, e->name, key, "%s", why);
	ofd_warn("%s", msg);
}

struct pl_branch_cfg {
	int bypass;
};

static const struct ofd_cfg_key pl_branch_keys[] = {
    OFD_KEY("bypass-messages", OFD_CFG_BOOL, struct pl_branch_cfg, bypass, .def = "false",
	    .help = "every flow that entered the branch leaves it, whether then or else dropped it"),
    OFD_KEY_END,
};

static int pl_build_branch(struct pl_build *B, const struct ofd_cfg_entry *ce, struct pl_entry *e)
{
	struct ofd_pipeline *p = B->p;
	struct pl_branch_cfg bc = {0};
	int rc = ofd_cfg_apply(pl_branch_keys, ce->config, &bc, p->file, e->name, e->line, B->err, B->errlen);
	if (rc)
		return rc;
	e->bypass = bc.bypass;
	if (e->jobs > 1) {
		pl_warn(
		    e, "jobs",
		    "a branch runs no jobs of its own: jobs %u ignored (give jobs to the segments inside it)",
		    e->jobs);
		e->jobs = 1;
	}
	unsigned slot = p->nslots++;
	pl_op(p, PL_BEGIN, e, slot);
	if ((rc = pl_build_list(B, ce->if_, e->depth + 1)) != 0)
		return rc;
	pl_op(p, PL_THEN, e, slot);
	if ((rc = pl_build_list(B, ce->then_, e->depth + 1)) != 0)
		return rc;
	pl_op(p, PL_ELSE, e, slot);
	if ((rc = pl_build_list(B, ce->else_, e->depth + 1)) != 0)
		return rc;
	pl_op(p, PL_END, e, slot);
	return 0;
}

/* The key `workers` of an input's or a blocking output's config map (an output with a writer
   pool, whose server takes parallel writes), or NULL. */
static const struct ofd_cfg_key *pl_workers_key(const struct ofd_segment_type *t)
{
	int takes = t->kind == OFD_SEG_INPUT || (t->kind == OFD_SEG_OUTPUT && (t->flags & OFD_SEGF_BLOCKING));
	for (const struct ofd_cfg_key *k = t->config; takes && k && k->key; k++)
		if (!strcmp(k->key, "workers") && (k->type == OFD_CFG_UINT || k->type == OFD_CFG_INT))
			return k;
	return NULL;
}

/* `workers` when the config does not give them: from `jobs`, else for an input from -n. */
static int pl_apply_workers(struct pl_build *B, const struct ofd_cfg_entry *ce, struct pl_entry *e,
			    unsigned jobs, void *state)
{
	const struct ofd_cfg_key *k = pl_workers_key(e->type);
	char text[16];
	if (!k || ofd_cfg_node_get(ce->config, "workers"))
		return 0;
	snprintf(text, sizeof(text), "%u", jobs);
	struct ofd_cfg_node v = {.kind = OFD_CFGN_SCALAR, .line = e->line, .text = text};
	if (jobs <= 1 && (!B->p->o.input_workers || e->type->kind != OFD_SEG_INPUT))
		return 0;
	if (jobs <= 1)
		v.text = B->p->o.input_workers;
	return ofd_cfg_apply_one(k, &v, state, e->file, e->name, B->err, B->errlen);
}

/*
 * `jobs: N` is taken on every segment, as flowpipeline takes it; what it does depends on the
 * segment: a stateless one (OFD_SEGF_PARALLEL) runs N instances and the next stage restores the
 * order; an input or a blocking output with `workers` (readers, a writer pool) gets N workers
 * (unless its config gives them); anything else
 * keeps one instance with a warning that says why (an output writes one ordered stream, a
 * stateful segment such as count or elephant would split its state). Returns the jobs to run.
 */
static unsigned pl_jobs(const struct ofd_segment_type *t, struct pl_entry *e)
{
	if (e->jobs <= 1 || ((t->flags & OFD_SEGF_PARALLEL) && !(t->flags & OFD_SEGF_BLOCKING)))
		return e->jobs;
	if (pl_workers_key(t))
		return 1; /* pl_apply_workers() */
	if (t->kind == OFD_SEG_INPUT)
		pl_warn(e, "jobs", "an input reads its source once: jobs %u ignored", e->jobs);
	else if (t->flags & OFD_SEGF_BLOCKING)
		pl_warn(e, "jobs",
			"%s writes one stream in order from one thread: jobs %u ignored (parallel writers "
			"would interleave the records)",
			t->name, e->jobs);
	else
		pl_warn(e, "jobs",
			"%s keeps state across all flows (one instance sees them all): jobs %u ignored",
			t->name, e->jobs);
	return 1;
}

/* Create the instances of a segment entry and write its config into their state. */
static int pl_build_instances(struct pl_build *B, const struct ofd_cfg_entry *ce, struct pl_entry *e)
{
	struct ofd_pipeline *p = B->p;
	const struct ofd_segment_type *t = e->type;
	e->inst = calloc(e->jobs, sizeof(*e->inst));
	if (!e->inst)
		return -ENOMEM;
	for (unsigned j = 0; j < e->jobs; j++) {
		struct ofd_segment *s = &e->inst[j];
		*s = (struct ofd_segment){.type = t,
					  .entry = e,
					  .p = p,
					  .bgmu = PTHREAD_MUTEX_INITIALIZER,
					  .bgcv = PTHREAD_COND_INITIALIZER};
		s->state = calloc(1, t->state_size ? t->state_size : 1);
		if (!s->state)
			return -ENOMEM;
		s->applied = 1;
		ofd_cfg_set_quiet(j > 0);
		int rc = ofd_cfg_apply(t->config ? t->config : ofd_pl_no_keys, ce->config, s->state, p->file,
				       e->name, e->line, B->err, B->errlen);
		ofd_cfg_set_quiet(0);
		if (!rc)
			rc = pl_apply_workers(B, ce, e, ce->jobs, s->state);
		if (rc)
			return rc;
		if (t->check && j == 0) {
			char why[512] = "";
			if (t->check(s->state, why, sizeof(why)))
				return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL,
						      "%s", why[0] ? why : "invalid configuration");
		}
		if (t->kind == OFD_SEG_INPUT) {
			s->ibatch = malloc(sizeof(*s->ibatch));
			if (!s->ibatch)
				return -ENOMEM;
			ofd_batch_init(s->ibatch, ofd_pipeline_input_full, s);
			p->ninputs++;
		}
	}
	return 0;
}

static int pl_build_entry(struct pl_build *B, const struct ofd_cfg_entry *ce, unsigned depth)
{
	struct ofd_pipeline *p = B->p;
	struct pl_entry *e = &p->e[p->ne++];
	e->name = ce->segment;
	e->file = p->file;
	e->line = ce->line;
	e->depth = depth;
	e->jobs = ce->jobs ? ce->jobs : 1;
	if (strcasecmp(ce->segment, "branch") == 0)
		return pl_build_branch(B, ce, e);

	const struct ofd_segment_type *t = ofd_registry_find(p->reg, ce->segment);
	if (!t) {
		const char *near = ofd_registry_closest(p->reg, ce->segment);
		const char *off = ofd_registry_off_reason(p->reg, ce->segment);
		if (off)
			return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL,
					      "unknown segment (%s is not in this overflowd: %s)",
					      ce->segment, off);
		if (ofd_registry_is_flowpipeline(ce->segment))
			return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL,
					      "unknown segment (flowpipeline's %s is not in this overflowd)",
					      ce->segment);
		if (near)
			return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL,
					      "unknown segment (did you mean %s?)", near);
		return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL, "unknown segment");
	}
	e->type = t;
	if (t->kind == OFD_SEG_INPUT && depth)
		return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL,
				      "an input cannot be inside a branch");
	int rc;
	if (t->config == ofd_spill_keys && (rc = ofd_pl_spill_place(p, e, B->err, B->errlen)) != 0)
		return rc;
	e->jobs = pl_jobs(t, e);
	while (t->counters && e->ncounters < OFD_SEGMENT_COUNTERS_MAX && t->counters[e->ncounters])
		e->ncounters++;
	rc = pl_build_instances(B, ce, e);
	if (rc == -ENOMEM)
		return ofd_cfg_errorf(B->err, B->errlen, p->file, e->line, e->name, NULL, "out of memory");
	if (rc)
		return rc;
	if (t->kind != OFD_SEG_INPUT) {
		e->blocking = (t->flags & OFD_SEGF_BLOCKING) != 0;
		if ((t->flags & OFD_SEGF_EMITS) && !e->blocking)
			p->nemit++;
		if (t->flags & OFD_SEGF_DGRAMS)
			p->dgrams = 1;
		pl_op(p, e->blocking ? PL_BLOCK : PL_SEG, e, 0);
	}
	return 0;
}

static int pl_build_list(struct pl_build *B, const struct ofd_cfg_pipeline *c, unsigned depth)
{
	if (!c)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		int rc = pl_build_entry(B, &c->v[i], depth);
		if (rc)
			return rc;
	}
	return 0;
}

int ofd_pipeline_new(struct ofd_pipeline **out, const struct ofd_registry *reg,
		     const struct ofd_cfg_pipeline *cfg, const char *file,
		     const struct ofd_pipeline_opts *opts, char *err, size_t errlen)
{
	int rc = -ENOMEM;
	size_t ne = 0, nops = 0;
	struct ofd_pipeline *p = calloc(1, sizeof(*p));
	*out = NULL;
	if (!p)
		goto fail;
	p->file = file;
	p->reg = reg;
	if (opts)
		p->o = *opts;
	if (!p->o.pool_batches)
		p->o.pool_batches = PL_POOL_DEFAULT;
	if (!p->o.blocking_batches)
		p->o.blocking_batches = PL_COPIES_DEFAULT;
	if (!p->o.tick_ns)
		p->o.tick_ns = PL_TICK_DEFAULT;
	if (pthread_mutex_init(&p->mu, NULL)) {
		free(p);
		p = NULL;
		goto fail;
	}
	pthread_mutex_init(&p->mmu, NULL);
	pthread_mutex_init(&p->donemu, NULL);
	atomic_init(&p->hold, UINT64_MAX);
	pthread_mutex_init(&p->pushmu, NULL);
	pthread_mutex_init(&p->spillmu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_cond_init(&p->spillcv, &ca);
	pthread_condattr_destroy(&ca);

	pl_count(cfg, &ne, &nops);
	p->e = calloc(ne ? ne : 1, sizeof(*p->e));
	p->ops = calloc(nops ? nops : 1, sizeof(*p->ops));
	if (!p->e || !p->ops)
		goto fail;
	struct pl_build B = {p, err, errlen};
	if ((rc = pl_build_list(&B, cfg, 0)) != 0)
		goto fail;
	/* a blocking segment at the very end takes the batch's records instead of a copy */
	if (p->nops && p->ops[p->nops - 1].kind == PL_BLOCK && p->ops[p->nops - 1].e->depth == 0)
		p->ops[p->nops - 1].kind = PL_BLOCK_TAIL;
	if (!p->ninputs) {
		rc = ofd_cfg_errorf(err, errlen, file, 0, NULL, NULL,
				    "no input segment (a pipeline starts with an input such as pcap or udp)");
		goto fail;
	}
	*out = p;
	return 0;

fail:
	if (rc == -ENOMEM)
		(void)ofd_cfg_errorf(err, errlen, file, 0, NULL, NULL, "out of memory");
	ofd_pipeline_free(p);
	return rc;
}

/* ---- init and fini ---- */

/* Out of metrics, background threads stopped and joined, then fini(). */
static void pl_fini_instance(struct ofd_segment *s)
{
	ofd_pl_bg_join(s);
	ofd_pl_collect_final(s);
	if (s->inited && s->type->fini)
		s->type->fini(s, s->state);
	s->inited = 0;
}

/* fini every instance, in config order (forward) or in reverse from entry `from`. */
void ofd_pl_fini_all(struct ofd_pipeline *p, int reverse, size_t from)
{
	if (!reverse) {
		for (size_t i = 0; i < p->ne; i++)
			for (unsigned j = 0; p->e[i].type && j < p->e[i].jobs; j++)
				pl_fini_instance(&p->e[i].inst[j]);
		return;
	}
	for (size_t i = from + 1; i-- > 0;)
		for (unsigned j = p->e[i].jobs; p->e[i].type && j-- > 0;)
			pl_fini_instance(&p->e[i].inst[j]);
}

int ofd_pipeline_init(struct ofd_pipeline *p, char *err, size_t errlen)
{
	if (p->phase != PL_BUILT)
		return -EINVAL;
	for (size_t i = 0; i < p->ne; i++) {
		struct pl_entry *e = &p->e[i];
		for (unsigned j = 0; e->type && j < e->jobs; j++) {
			struct ofd_segment *s = &e->inst[j];
			s->inited = 1;
			int rc = e->type->init ? e->type->init(s, s->state) : 0;
			if (rc) {
				(void)ofd_cfg_errorf(err, errlen, p->file, e->line, e->name, NULL,
						     "init failed: %s", ofd_strerror(rc));
				ofd_pl_fini_all(p, 1, i);
				p->phase = PL_DONE;
				return rc < 0 ? rc : OFD_ECONFIG;
			}
			pthread_mutex_lock(&p->mmu);
			s->collectable = 1;
			pthread_mutex_unlock(&p->mmu);
		}
	}
	p->phase = PL_INITED;
	return 0;
}

/* ---- running ---- */
