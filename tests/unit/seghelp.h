/*
 * Segment tests: one segment run synchronously on given records (ARCHITECTURE.md section 9).
 *
 * seg_open() builds an instance the way the engine does (a zeroed state, the `config:` map
 * applied through the segment's own config map, so keys, defaults and types are exercised) and
 * calls init(); seg_run() calls process() on a batch; seg_close() calls fini() and releases the
 * config. The instance is a struct ofd_segment with its config entry, enough for every
 * ofd_segment_* call a flow or output segment makes (name, file, line, counters).
 *
 * Inputs need a running pipeline (ofd_segment_stopping, ofd_input_batch): seg_pipeline_run()
 * builds one from YAML over a registry of the input under test and `t_collect`, a collector
 * that copies every live record it sees into `collected` (with copies of its strings).
 */
#ifndef OFD_TEST_SEGHELP_H
#define OFD_TEST_SEGHELP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/metric_table.h"
#include "core/pipeline.h"
#include "core/registry.h"
#include "ofd/segment.h"

struct seg_fixture {
	const struct ofd_segment_type *type;
	struct pl_entry entry;
	struct ofd_segment seg;
	struct ofd_cfg_file *cfg;
	void *state;
	int init_rc;
};

/* Build an instance with `config` (YAML flow map text, e.g. "{filter: proto udp}", or NULL). */
static inline void seg_open(struct seg_fixture *fx, const struct ofd_segment_type *t, const char *config)
{
	char err[512] = "";
	memset(fx, 0, sizeof(*fx));
	fx->type = t;
	fx->entry.name = t->name;
	fx->entry.file = "test.yml";
	fx->entry.line = 7;
	fx->entry.type = t;
	fx->entry.jobs = 1;
	while (t->counters && t->counters[fx->entry.ncounters])
		fx->entry.ncounters++;
	fx->seg.type = t;
	fx->seg.entry = &fx->entry;
	fx->state = calloc(1, t->state_size ? t->state_size : 1);
	fx->seg.state = fx->state;
	if (!fx->state)
		abort();
	const struct ofd_cfg_node *node = NULL;
	if (config) {
		if (ofd_cfg_parse_tree(&fx->cfg, "test.yml", config, strlen(config), 0, err, sizeof(err))) {
			fprintf(stderr, "config: %s\n", err);
			abort();
		}
		node = ofd_cfg_root(fx->cfg);
	}
	if (t->config &&
	    ofd_cfg_apply(t->config, node, fx->state, "test.yml", t->name, 7, err, sizeof(err))) {
		fprintf(stderr, "config: %s\n", err);
		fx->init_rc = OFD_ECONFIG;
		return;
	}
	fx->init_rc = t->init ? t->init(&fx->seg, fx->state) : 0;
}

static inline uint64_t seg_counter(struct seg_fixture *fx, unsigned i)
{
	return atomic_load(&fx->entry.own[i]);
}

static inline void seg_run(struct seg_fixture *fx, struct ofd_batch *b)
{
	fx->type->process(&fx->seg, fx->state, b);
}

static inline void seg_close(struct seg_fixture *fx)
{
	if (fx->type->fini)
		fx->type->fini(&fx->seg, fx->state);
	if (fx->type->config)
		ofd_cfg_release(fx->type->config, fx->state);
	free(fx->state);
	ofd_cfg_free(fx->cfg);
	fx->state = NULL;
	fx->cfg = NULL;
}

/* A batch of n zeroed live records (n <= OFD_BATCH_CAP), no consumer. */
static inline struct ofd_batch *batch_new(uint32_t n)
{
	struct ofd_batch *b = malloc(sizeof(*b));
	if (!b)
		abort();
	ofd_batch_init(b, NULL, NULL);
	for (uint32_t i = 0; i < n; i++)
		(void)ofd_batch_add(b);
	return b;
}

/* ---- inputs, through a real pipeline ---- */

struct collected {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ofd_flow *v;
	size_t n, cap;
};

static struct collected collected = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0};

static inline void collect_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)seg;
	(void)state;
	pthread_mutex_lock(&collected.mu);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (collected.n == collected.cap) {
			collected.cap = collected.cap ? 2 * collected.cap : 4096;
			collected.v = realloc(collected.v, collected.cap * sizeof(*collected.v));
			if (!collected.v)
				abort();
		}
		/* strings belong to the segment that set them, until its fini(): keep copies */
		struct ofd_flow *f = &collected.v[collected.n++];
		*f = b->flows[i];
		const char **str[] = {&f->in_if_name, &f->in_if_desc, &f->out_if_name, &f->out_if_desc};
		for (int k = 0; k < 4; k++)
			if (*str[k] && !(*str[k] = strdup(*str[k])))
				abort();
	}
	pthread_cond_broadcast(&collected.cv);
	pthread_mutex_unlock(&collected.mu);
}

static const struct ofd_segment_type t_collect = {
    OFD_SEGMENT_VERSION,
    .name = "t_collect",
    .kind = OFD_SEG_OUTPUT,
    .process = collect_process,
};

static inline void collected_reset(void)
{
	pthread_mutex_lock(&collected.mu);
	for (size_t i = 0; i < collected.n; i++) {
		struct ofd_flow *f = &collected.v[i];
		free((char *)f->in_if_name);
		free((char *)f->in_if_desc);
		free((char *)f->out_if_name);
		free((char *)f->out_if_desc);
	}
	free(collected.v);
	collected.v = NULL;
	collected.n = collected.cap = 0;
	pthread_mutex_unlock(&collected.mu);
}

/* Wait until at least n records were collected (no timeout: ctest's ends a hung test). */
static inline void collected_wait(size_t n)
{
	pthread_mutex_lock(&collected.mu);
	while (collected.n < n)
		pthread_cond_wait(&collected.cv, &collected.mu);
	pthread_mutex_unlock(&collected.mu);
}

struct seg_pipeline {
	struct ofd_registry *reg;
	struct ofd_cfg_file *cfg;
	struct ofd_pipeline *p;
};

/* Build and init a pipeline from yaml over the given types and t_collect; 0 or init's error. */
static inline int seg_pipeline_open(struct seg_pipeline *sp, const char *yaml,
				    const struct ofd_segment_type *const *types)
{
	char err[512] = "";
	memset(sp, 0, sizeof(*sp));
	if (ofd_registry_new_empty(&sp->reg))
		abort();
	for (size_t i = 0; types[i]; i++)
		if (ofd_registry_add(sp->reg, types[i], "test", err, sizeof(err)))
			abort();
	if (ofd_registry_add(sp->reg, &t_collect, "test", err, sizeof(err)))
		abort();
	if (ofd_cfg_load_string(&sp->cfg, "test.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (ofd_pipeline_new(&sp->p, sp->reg, ofd_cfg_pipeline(sp->cfg), "test.yml", NULL, err,
			     sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	int rc = ofd_pipeline_init(sp->p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "init: %s\n", err);
	return rc;
}

/* The sum of the series of a segments' metric family (include/ofd/metrics.h) whose first label
   value is `value` (any, when NULL); *nseries (when not NULL): how many series were summed. */
static inline uint64_t seg_metric_n(struct ofd_pipeline *p, const char *family, const char *value,
				    size_t *nseries)
{
	struct ofd_metric_table t;
	uint64_t sum = 0;
	size_t n = 0;
	ofd_mt_init(&t);
	ofd_pipeline_collect(p, &t.sink);
	for (size_t i = 0; i < t.n; i++) {
		if (strcmp(t.v[i].m->name, family) != 0 || (value && strcmp(t.v[i].values[0], value) != 0))
			continue;
		sum += t.v[i].v;
		n++;
	}
	ofd_mt_fini(&t);
	if (nseries)
		*nseries = n;
	return sum;
}

static inline uint64_t seg_metric(struct ofd_pipeline *p, const char *family, const char *value)
{
	return seg_metric_n(p, family, value, NULL);
}

static inline void seg_pipeline_close(struct seg_pipeline *sp)
{
	ofd_pipeline_free(sp->p);
	ofd_cfg_free(sp->cfg);
	ofd_registry_free(sp->reg);
}

#endif
