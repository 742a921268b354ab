/*
 * Pipeline configuration: the YAML file read into a tree of nodes with line numbers, the
 * pipeline's segment entries, and the application of config maps to segment state.
 *
 * File shape (flowpipeline's): a list of entries, each a map with `segment: NAME`, optional
 * `config: {...}`, optional `jobs: N`, and for `segment: branch` the lists `if`, `then`,
 * `else`. Or, at the top, a map: `pipeline:` holding that list, and `metrics: ADDR:PORT` (the
 * /metrics HTTP address of `overflowd -c`). `$VAR` and `${VAR}` in scalars expand from the
 * environment, `$0`, `$1`... from the extra command-line arguments (`$0` the first, as in
 * flowpipeline), `$$` is a literal `$`; an undefined one expands to "" with a warning naming it
 * and its line (OFD_CFG_STRICT_ENV: an error). Errors are reported as "FILE:LINE: segment NAME: key KEY:
 * reason" (parts that do not apply are left out) and the whole config is refused.
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
 * Load and expand a config file. args/nargs are $0..$N-1. On error returns a negative code and
 * writes the message (FILE:LINE: reason) into err.
 */
int ofd_cfg_load(struct ofd_cfg_file **out, const char *path, char *const *args, size_t nargs, char *err,
		 size_t errlen) OFD_MUST_CHECK;

/* Flags of ofd_cfg_load_flags(). */
enum {
	OFD_CFG_STRICT_ENV = 1 << 0, /* an undefined variable or argument is an error, not "" */
};

/* ofd_cfg_load() and ofd_cfg_load_string() with flags. */
int ofd_cfg_load_flags(struct ofd_cfg_file **out, const char *path, char *const *args, size_t nargs,
		       unsigned flags, char *err, size_t errlen) OFD_MUST_CHECK;
int ofd_cfg_load_string_flags(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			      char *const *args, size_t nargs, unsigned flags, char *err,
			      size_t errlen) OFD_MUST_CHECK;

/* The same from a string (tests, fuzzing); `name` stands for the file name in messages. */
int ofd_cfg_load_string(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len,
			char *const *args, size_t nargs, char *err, size_t errlen) OFD_MUST_CHECK;

const struct ofd_cfg_pipeline *ofd_cfg_pipeline(const struct ofd_cfg_file *f);

/* The top-level `metrics:` address (checked with ofd_hostport_parse), or NULL (off). */
const char *ofd_cfg_metrics(const struct ofd_cfg_file *f);
const char *ofd_cfg_path(const struct ofd_cfg_file *f);
void ofd_cfg_free(struct ofd_cfg_file *f);

/*
 * Check `config` (a map node, or NULL) against `keys` and write the values (or defaults) into
 * state. On error returns OFD_ECONFIG with "FILE:LINE: segment SEG: key KEY: reason" in err.
 */
int ofd_cfg_apply(const struct ofd_cfg_key *keys, const struct ofd_cfg_node *config, void *state,
		  const char *file, const char *seg, unsigned seg_line, char *err,
		  size_t errlen) OFD_MUST_CHECK;

/* In this thread, ofd_cfg_apply() leaves out its warnings (ignored keys) while on: for the further
   instances of a `jobs: N` entry, whose config was applied (and warned about) once already. */
void ofd_cfg_set_quiet(int on);

/* Free what ofd_cfg_apply allocated in state (strings, string lists). */
void ofd_cfg_release(const struct ofd_cfg_key *keys, void *state);

/* Bounds of a loaded config (exceeding one is a config error). */
#define OFD_CFG_MAX_FILE   (1u << 20)  /* bytes of YAML text */
#define OFD_CFG_MAX_NODES  65536u      /* nodes and map keys */
#define OFD_CFG_MAX_DEPTH  128u	       /* nesting of YAML lists and maps */
#define OFD_CFG_MAX_BRANCH 32u	       /* nesting of branch segments */
#define OFD_CFG_MAX_SCALAR (1u << 20)  /* bytes of one value after expansion */
#define OFD_CFG_MAX_BYTES  (64u << 20) /* all memory of one loaded file */
#define OFD_CFG_MAX_JOBS   64u

/* The root node of a loaded file (the top-level list, or the map that holds it under `pipeline:`),
   or NULL for an empty one. */
const struct ofd_cfg_node *ofd_cfg_root(const struct ofd_cfg_file *f);

/*
 * Parse YAML text into a node tree only (no pipeline checks, no shape required); expansion of
 * $VAR/$N only when `expand`. Used for the defaults of config maps; free with ofd_cfg_free.
 */
int ofd_cfg_parse_tree(struct ofd_cfg_file **out, const char *name, const char *yaml, size_t len, int expand,
		       char *err, size_t errlen) OFD_MUST_CHECK;

/*
 * Write "FILE:LINE: segment SEG: key KEY: " and the formatted reason into err; file, seg and key
 * may be NULL and line 0 to leave that part out. Returns OFD_ECONFIG (for the engine's own
 * messages such as "unknown segment" too).
 */
int ofd_cfg_errorf(char *err, size_t errlen, const char *file, unsigned line, const char *seg,
		   const char *key, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Levenshtein distance of a and b, letter case ignored and `-` equal to `_` (SIZE_MAX past 64
   characters); ofd_cfg_is_close() says whether cand is close enough to word for "did you mean". */
size_t ofd_cfg_edit_distance(const char *a, const char *b);
int ofd_cfg_is_close(const char *word, const char *cand);

/* Check and convert one value for key k into state (ofd_cfg_apply's step for one key). */
int ofd_cfg_apply_one(const struct ofd_cfg_key *k, const struct ofd_cfg_node *v, void *state,
		      const char *file, const char *seg, char *err, size_t errlen) OFD_MUST_CHECK;

#endif
