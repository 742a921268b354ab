/*
 * Pipeline configuration: the YAML file read into a tree of nodes with line numbers, the
 * pipeline's segment entries, and the application of config maps to segment state.
 *
 * File shape (flowpipeline's): a list of entries, each a map with `segment: NAME`, optional
 * `config: {...}`, optional `jobs: N`, and for `segment: branch` the lists `if`, `then`,
 * `else`. `$VAR` and `${VAR}` in scalars expand from the environment, `$1`, `$2`... from the
 * extra command-line arguments, `$$` is a literal `$`; an undefined one is an error.
 * Errors are reported as "FILE:LINE: segment NAME: key KEY: reason" (parts that do not apply
 * are left out) and the whole config is refused.
 */
#ifndef OFD_CONFIG_H
#define OFD_CONFIG_H

#include <stddef.h>

#include "ofd/cfg.h"
#include "ofd/err.h"

/* One entry of a pipeline list. */
struct ofd_cfg_entry {
	const char *segment;		   /* the segment's name */
	unsigned line;			   /* line of the entry */
	unsigned jobs;			   /* `jobs:`, 1 when absent */
	const struct ofd_cfg_node *config; /* the `config:` map, or NULL */
	/* branch only */
	struct ofd_cfg_pipeline *if_, *then_, *else_;
};

struct ofd_cfg_pipeline {
	struct ofd_cfg_entry *v;
	size_t n;
};

struct ofd_cfg_file; /* owns every node and string of one loaded file */

/*
 * Load and expand a config file. args/nargs are $1..$N. On error returns a negative code and
 * writes the message (FILE:LINE: reason) into err.
 */
int ofd_cfg_load(struct ofd_cfg_file **out, const char *path, char *const *args, size_t nargs, char *err,
		 size_t errlen) OFD_MUST_CHECK;

/* The same from a string (tests, fuzzing); `name` stands for the file name in messages. */
int ofd_cfg_load_string(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			char *const *args, size_t nargs, char *err, size_t errlen) OFD_MUST_CHECK;

const struct ofd_cfg_pipeline *ofd_cfg_pipeline(const struct ofd_cfg_file *f);
const char *ofd_cfg_path(const struct ofd_cfg_file *f);
void ofd_cfg_free(struct ofd_cfg_file *f);

/*
 * Check `config` (a map node, or NULL) against `keys` and write the values (or defaults) into
 * state. On error returns OFD_ECONFIG with "FILE:LINE: segment SEG: key KEY: reason" in err.
 */
int ofd_cfg_apply(const struct ofd_cfg_key *keys, const struct ofd_cfg_node *config, void *state,
		  const char *file, const char *seg, unsigned seg_line, char *err,
		  size_t errlen) OFD_MUST_CHECK;

/* Free what ofd_cfg_apply allocated in state (strings, string lists). */
void ofd_cfg_release(const struct ofd_cfg_key *keys, void *state);

#endif
