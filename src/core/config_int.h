/*
 * The config loader's private parts, shared by config.c (YAML into a node tree) and
 * config_shape.c (the tree into pipeline entries). Not for segments.
 */
#ifndef OFD_CORE_CONFIG_INT_H
#define OFD_CORE_CONFIG_INT_H

#include <stddef.h>

#include "core/config.h"

struct cfg_block {
	struct cfg_block *next;
	size_t used, cap;
	max_align_t data[];
};

struct ofd_cfg_file {
	struct cfg_block *blocks;
	size_t bytes;
	const char *path;
	struct ofd_cfg_node *root;
	struct ofd_cfg_pipeline pipeline;
	const char *metrics; /* top-level `metrics:`, NULL when absent or empty */
};

/* Zeroed, aligned memory from the file's arena; NULL when out of memory or over the bound. */
void *ofd_cfg_alloc(struct ofd_cfg_file *f, size_t size);

/* Parse yaml into a new file's node tree, expanding variables (expand: 1) from the environment
   and args. Errors as "NAME:LINE: reason" in err. */
int ofd_cfg_parse(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
		  char *const *args, size_t nargs, int expand, char *err, size_t errlen);
/* The same with flags (OFD_CFG_STRICT_ENV). */
int ofd_cfg_parse_flags(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			char *const *args, size_t nargs, int expand, unsigned flags, char *err,
			size_t errlen);

/* cfg_suggest.c: "FILE:LINE: segment S: key K: unknown key (did you mean ...? known: ...)" for key
   i of config (OFD_ECONFIG); the warning about an ignored key (none while ofd_cfg_set_quiet). */
int ofd_cfg_unknown_key(const struct ofd_cfg_key *keys, const struct ofd_cfg_node *config, size_t i,
			const char *file, const char *seg, char *err, size_t errlen);
void ofd_cfg_ignored_key(const struct ofd_cfg_key *k, const char *key, unsigned line, const char *file,
			 const char *seg);

/* config_shape.c: the keys of flowpipeline's `skip`, which the loader rewrites into a branch
   (also for --segments). */
extern const struct ofd_cfg_key ofd_cfg_skip_keys[];

#endif
