/*
 * Pipeline-level tests (the engine, /metrics): a pipeline built from YAML over a registry of
 * the given segment types, through the engine's own API (core/registry.h, core/config.h,
 * core/pipeline.h), no engine internals. Tests of one segment use the public harness
 * (include/ofd/harness.h) in tests/seg/ instead.
 */
#ifndef OFD_TEST_PIPEHELP_H
#define OFD_TEST_PIPEHELP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/pipeline.h"
#include "core/registry.h"
#include "ofd/segment.h"

struct seg_pipeline {
	struct ofd_registry *reg;
	struct ofd_cfg_file *cfg;
	struct ofd_pipeline *p;
};

/* Build and init a pipeline from yaml over the NULL-terminated types with opts (may be NULL);
   0 or init's error (the reason printed). A config that does not load or build aborts. */
static inline int seg_pipeline_open_opts(struct seg_pipeline *sp, const char *yaml,
					 const struct ofd_segment_type *const *types,
					 const struct ofd_pipeline_opts *opts)
{
	char err[512] = "";
	memset(sp, 0, sizeof(*sp));
	if (ofd_registry_new_empty(&sp->reg))
		abort();
	for (size_t i = 0; types[i]; i++)
		if (ofd_registry_add(sp->reg, types[i], "test", err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
	if (ofd_cfg_load_string(&sp->cfg, "test.yml", yaml, strlen(yaml), NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (ofd_pipeline_new(&sp->p, sp->reg, ofd_cfg_pipeline(sp->cfg), "test.yml", opts, err,
			     sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	int rc = ofd_pipeline_init(sp->p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "init: %s\n", err);
	return rc;
}

static inline int seg_pipeline_open(struct seg_pipeline *sp, const char *yaml,
				    const struct ofd_segment_type *const *types)
{
	return seg_pipeline_open_opts(sp, yaml, types, NULL);
}

/* Finish (when still running) and free everything. */
static inline void seg_pipeline_close(struct seg_pipeline *sp)
{
	ofd_pipeline_free(sp->p);
	ofd_cfg_free(sp->cfg);
	ofd_registry_free(sp->reg);
	memset(sp, 0, sizeof(*sp));
}

#endif
