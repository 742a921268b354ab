/*
 * The built-in segments of this build: one `const struct ofd_segment_type ofd_seg_<name>` per
 * stanza of src/segments/segments.cmake whose option is on (OFD_HAVE_SEGMENT_<NAME> is defined
 * for each), declared by the generated builtin_decls.h and listed in the generated builtin.c.
 * `branch` is not a segment type: the pipeline engine implements it.
 */
#ifndef OFD_SEGMENTS_BUILTIN_H
#define OFD_SEGMENTS_BUILTIN_H

#include "core/registry.h"
#include "ofd/segment.h"

#include "builtin_decls.h"

/* NULL-terminated, in the order of segments.cmake. */
extern const struct ofd_segment_type *const ofd_builtin_segments[];

/* NULL-terminated: the optional segments built in (reason: their pkg-config modules) and the
   segments left out (reason: why), for `overflowd --version`. */
extern const struct ofd_registry_off ofd_builtin_optional[];
extern const struct ofd_registry_off ofd_builtin_off[];

/* A registry holding the built-in segments. */
int ofd_registry_new(struct ofd_registry **out) OFD_MUST_CHECK;

#endif
