/*
 * The segment test harness (include/ofd/harness.h). A synchronous instance is a struct
 * ofd_segment with a config entry of its own and no pipeline; an input runs in a real pipeline
 * built from YAML with the harness's sink behind it.
 */
#include "ofd/harness.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/metric_table.h"
#include "core/pipeline_int.h"
#include "core/registry.h"

#define HN_FILE "test.yml"
#define HN_LINE 1

struct ofd_harness {
	const struct ofd_segment_type *t;
	struct ofd_cfg_file *cfg;
	/* synchronous */
	struct pl_entry entry;
	struct ofd_segment seg;
	struct ofd_batch *b;
	struct ofd_dgrams *dg; /* b's datagram area, for OFD_SEGF_DGRAMS segments */
	/* inputs */
	struct ofd_registry *reg;
	struct ofd_pipeline *p;
	int started, stopped, rc;
};

/* ---- the sink behind an input ---- */

struct hn_sink {
	ofd_harness_batch_fn fn;
	void *ctx;
};

static void hn_sink_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct hn_sink *s = state;
	(void)seg;
	if (s->fn)
		s->fn(s->ctx, b);
}

static const struct ofd_segment_type hn_sink_type = {
    OFD_SEGMENT_VERSION,
    .name = "harness_sink",
    .kind = OFD_SEG_OUTPUT,
    .summary = "the test harness's sink",
    .state_size = sizeof(struct hn_sink),
    .process = hn_sink_process,
};

static int hn_new_input(struct ofd_harness *h, const char *config, char *err, size_t errlen)
{
	size_t len = strlen(h->t->name) + (config ? strlen(config) : 0) + 128;
	char *yaml = malloc(len);
	if (!yaml)
		return -ENOMEM;
	snprintf(yaml, len, "- segment: %s\n%s%s%s- segment: harness_sink\n", h->t->name,
		 config ? "  config: " : "", config ? config : "", config ? "\n" : "");
	int rc = ofd_registry_new_empty(&h->reg);
	if (!rc)
		rc = ofd_registry_add(h->reg, h->t, "test", err, errlen);
	if (!rc)
		rc = ofd_registry_add(h->reg, &hn_sink_type, "harness", err, errlen);
	if (!rc)
		rc = ofd_cfg_load_string(&h->cfg, HN_FILE, yaml, strlen(yaml), NULL, 0, err, errlen);
	free(yaml);
	if (!rc)
		rc = ofd_pipeline_new(&h->p, h->reg, ofd_cfg_pipeline(h->cfg), HN_FILE, NULL, err, errlen);
	if (!rc)
		rc = ofd_pipeline_init(h->p, err, errlen);
	return rc;
}

/* ---- a synchronous instance ---- */

static int hn_new_sync(struct ofd_harness *h, const char *config, char *err, size_t errlen)
{
	const struct ofd_segment_type *t = h->t;
	h->entry.name = t->name;
	h->entry.file = HN_FILE;
	h->entry.line = HN_LINE;
	h->entry.type = t;
	h->entry.jobs = 1;
	while (t->counters && t->counters[h->entry.ncounters] &&
	       h->entry.ncounters < OFD_SEGMENT_COUNTERS_MAX)
		h->entry.ncounters++;
	h->seg = (struct ofd_segment){.type = t,
				      .entry = &h->entry,
				      .bgmu = PTHREAD_MUTEX_INITIALIZER,
				      .bgcv = PTHREAD_COND_INITIALIZER};
	h->entry.inst = &h->seg;
	if (!(h->seg.state = calloc(1, t->state_size ? t->state_size : 1)))
		return -ENOMEM;
	const struct ofd_cfg_node *node = NULL;
	int rc = 0;
	if (config) {
		rc = ofd_cfg_parse_tree(&h->cfg, HN_FILE, config, strlen(config), 1, err, errlen);
		if (rc)
			return rc;
		node = ofd_cfg_root(h->cfg);
	}
	h->seg.applied = 1;
	if (t->config)
		rc = ofd_cfg_apply(t->config, node, h->seg.state, HN_FILE, t->name, HN_LINE, err, errlen);
	else if (node && node->kind == OFD_CFGN_MAP && node->n)
		rc = ofd_cfg_errorf(err, errlen, HN_FILE, HN_LINE, t->name, node->keys[0], "unknown key");
	if (!rc && t->check) {
		char why[256] = "";
		if ((rc = t->check(h->seg.state, why, sizeof(why))) != 0)
			rc = ofd_cfg_errorf(err, errlen, HN_FILE, HN_LINE, t->name, NULL, "%s", why);
	}
	if (rc)
		return rc;
	h->seg.inited = 1;
	if (t->init && (rc = t->init(&h->seg, h->seg.state)) != 0) {
		(void)ofd_cfg_errorf(err, errlen, HN_FILE, HN_LINE, t->name, NULL, "init failed: %s",
				     ofd_strerror(rc));
		return rc;
	}
	h->seg.collectable = 1;
	return 0;
}

int ofd_harness_new(struct ofd_harness **out, const struct ofd_segment_type *t, const char *config, char *err,
		    size_t errlen)
{
	*out = NULL;
	struct ofd_harness *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->t = t;
	int rc = ofd_registry_check(t, err, errlen);
	if (!rc)
		rc = t->kind == OFD_SEG_INPUT ? hn_new_input(h, config, err, errlen)
					      : hn_new_sync(h, config, err, errlen);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		ofd_harness_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void ofd_harness_free(struct ofd_harness *h)
{
	if (!h)
		return;
	if (h->p) {
		(void)ofd_harness_stop(h);
		ofd_pipeline_free(h->p);
	} else if (h->seg.state) {
		ofd_pl_bg_join(&h->seg);
		h->seg.collectable = 0;
		if (h->seg.inited && h->t->fini)
			h->t->fini(&h->seg, h->seg.state);
		if (h->seg.applied && h->t->config)
			ofd_cfg_release(h->t->config, h->seg.state);
		free(h->seg.state);
	}
	ofd_cfg_free(h->cfg);
	ofd_registry_free(h->reg);
	free(h->b);
	free(h->dg);
	free(h);
}

static struct ofd_segment *hn_seg(struct ofd_harness *h)
{
	return h->p ? &ofd_pipeline_entry_at(h->p, 0)->inst[0] : &h->seg;
}

struct ofd_segment *ofd_harness_segment(struct ofd_harness *h)
{
	return hn_seg(h);
}

void *ofd_harness_state(struct ofd_harness *h)
{
	return hn_seg(h)->state;
}

struct ofd_batch *ofd_harness_batch(struct ofd_harness *h, uint32_t n)
{
	if (!h->b && !(h->b = malloc(sizeof(*h->b))))
		return NULL;
	ofd_batch_init(h->b, NULL, NULL);
	if ((h->t->flags & OFD_SEGF_DGRAMS) && !h->dg && !(h->dg = malloc(sizeof(*h->dg))))
		return NULL;
	if (h->t->flags & OFD_SEGF_DGRAMS) {
		h->b->dg = h->dg;
		ofd_batch_reset(h->b);
	}
	for (uint32_t i = 0; i < n && i < OFD_BATCH_CAP; i++)
		(void)ofd_batch_add(h->b);
	return h->b;
}

void ofd_harness_process(struct ofd_harness *h, struct ofd_batch *b)
{
	if (!h->p && h->t->process)
		h->t->process(&h->seg, h->seg.state, b);
}

void ofd_harness_drain(struct ofd_harness *h, struct ofd_batch *b)
{
	if (h->p || !h->t->process)
		return;
	h->seg.draining = 1;
	h->t->process(&h->seg, h->seg.state, b);
	h->seg.draining = 0;
}

void ofd_harness_tick(struct ofd_harness *h, uint64_t now_ns)
{
	if (!h->p && h->t->tick)
		h->t->tick(&h->seg, h->seg.state, now_ns);
}

int ofd_harness_stop_requested(struct ofd_harness *h)
{
	return ofd_segment_stopping(hn_seg(h));
}

uint64_t ofd_harness_counter(struct ofd_harness *h, const char *name)
{
	struct pl_entry *e = hn_seg(h)->entry;
	for (unsigned i = 0; i < e->ncounters; i++)
		if (strcmp(h->t->counters[i], name) == 0)
			return atomic_load_explicit(&e->own[i], memory_order_relaxed);
	return UINT64_MAX;
}

uint64_t ofd_harness_metric(struct ofd_harness *h, const char *family, const char *value)
{
	return ofd_harness_metric_n(h, family, value, NULL);
}

uint64_t ofd_harness_metric_n(struct ofd_harness *h, const char *family, const char *value, size_t *nseries)
{
	struct ofd_metric_table t;
	uint64_t sum = 0;
	size_t n = 0;
	ofd_mt_init(&t);
	if (h->p)
		ofd_pipeline_collect(h->p, &t);
	else if (h->t->collect && h->seg.collectable)
		h->t->collect(&h->seg, h->seg.state, &t.sink);
	for (size_t i = 0; i < t.n; i++)
		if (strcmp(t.v[i].m->name, family) == 0 && (!value || strcmp(t.v[i].values[0], value) == 0)) {
			sum += t.v[i].v;
			n++;
		}
	ofd_mt_fini(&t);
	if (nseries)
		*nseries = n;
	return sum;
}

int ofd_harness_start(struct ofd_harness *h, ofd_harness_batch_fn on_batch, void *ctx)
{
	if (!h->p || h->started)
		return -EINVAL;
	struct hn_sink *s = ofd_pipeline_entry_at(h->p, 1)->inst[0].state;
	s->fn = on_batch;
	s->ctx = ctx;
	int rc = ofd_pipeline_start(h->p);
	h->started = rc == 0;
	return rc;
}

int ofd_harness_wait(struct ofd_harness *h, unsigned timeout_ms)
{
	return h->p && h->started ? ofd_pipeline_wait(h->p, timeout_ms) : 1;
}

int ofd_harness_stop(struct ofd_harness *h)
{
	if (h->p && h->started && !h->stopped) {
		h->rc = ofd_pipeline_finish(h->p);
		h->stopped = 1;
	}
	return h->rc;
}
