/* Field-name lists in segment configs (csv fields, dropfields fields). */
#ifndef OFD_SEG_FIELDLIST_H
#define OFD_SEG_FIELDLIST_H

#include <stdint.h>

#include "ofd/cfg.h"
#include "ofd/segment.h"

#define OFD_FIELDLIST_MAX 256 /* entries, repeats included */

/*
 * Resolve the names in list (each item may itself be a comma-separated string, as flowpipeline
 * writes them; spaces around names are ignored) into field ids (enum ofd_field) in order.
 * An unknown or empty name, or more than OFD_FIELDLIST_MAX, is logged as
 * "FILE:LINE: segment NAME: key KEY: ..." and returns OFD_ECONFIG.
 */
/*
 * The names of list one by one (split, trimmed and checked as ofd_fieldlist_parse does) to fn,
 * which returns 0, OFD_FIELDLIST_UNKNOWN (refused as an unknown field) or OFD_FIELDLIST_FULL
 * (refused as too many). Returns 0 or OFD_ECONFIG (logged).
 */
enum { OFD_FIELDLIST_UNKNOWN = 1, OFD_FIELDLIST_FULL = 2 };
int ofd_fieldlist_each(struct ofd_segment *seg, const char *key, const struct ofd_strlist *list,
		       int (*fn)(void *ctx, const char *name), void *ctx) OFD_MUST_CHECK;
/* The same walk with the reason written to err instead of logged (for check()): "unknown field
   \"x\"", "empty field name in ...", "too many fields at ...". */
int ofd_fieldlist_walk(const struct ofd_strlist *list, int (*fn)(void *ctx, const char *name), void *ctx,
		       char *err, size_t errlen) OFD_MUST_CHECK;

int ofd_fieldlist_parse(struct ofd_segment *seg, const char *key, const struct ofd_strlist *list,
			uint8_t *ids, unsigned *n) OFD_MUST_CHECK;

/* The same check for a segment's check() (--check): "key KEY: unknown field \"x\"" in err. */
int ofd_fieldlist_check(const char *key, const struct ofd_strlist *list, char *err,
			size_t errlen) OFD_MUST_CHECK;

#endif
