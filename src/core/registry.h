/*
 * The segment registry: segment types by name, the built-in ones (added by segments/builtin.h's
 * ofd_registry_new) and custom ones loaded from shared objects (`overflowd -p FILE.so`).
 *
 * A custom segment module exports `const struct ofd_segment_type *ofd_segments[]`, a
 * NULL-terminated array. Every type is checked before any is added (ABI version first, since a
 * different ABI may mean a different struct layout; then name, kind, callbacks, counters), and
 * a name already registered is refused: a module is taken whole or not at all. `branch` and
 * `skip` are reserved for the engine (the config loader builds them). Modules stay loaded until
 * ofd_registry_free(), which must come after every pipeline built from the registry is freed.
 */
#ifndef OFD_REGISTRY_H
#define OFD_REGISTRY_H

#include <stddef.h>

#include "ofd/segment.h"

struct ofd_registry;

/* An empty registry (the built-in segments: ofd_registry_new() in segments/builtin.h). */
int ofd_registry_new_empty(struct ofd_registry **out) OFD_MUST_CHECK;
void ofd_registry_free(struct ofd_registry *r);

/* Check one type descriptor; on error OFD_EVERSION (ABI) or OFD_ECONFIG, reason in err. */
int ofd_registry_check(const struct ofd_segment_type *t, char *err, size_t errlen) OFD_MUST_CHECK;

/* Add one type (checked, name unique); `origin` names where it came from in messages. */
int ofd_registry_add(struct ofd_registry *r, const struct ofd_segment_type *t, const char *origin, char *err,
		     size_t errlen) OFD_MUST_CHECK;

/* Load a module and add its types. Errors: "PATH: reason" in err. */
int ofd_registry_load(struct ofd_registry *r, const char *path, char *err, size_t errlen) OFD_MUST_CHECK;

/* The type called name (or one of its aliases), in any letter case, or NULL. */
const struct ofd_segment_type *ofd_registry_find(const struct ofd_registry *r, const char *name);

/* flowpipeline's segment names (all it registers, in any release): the i-th, NULL past the end;
   whether name (any letter case) is one of them. */
const char *ofd_registry_flowpipeline_name(size_t i);
int ofd_registry_is_flowpipeline(const char *name);

/* Segments this build left out (a NULL name ends the list; the list must outlive r), so that a
   config naming one learns why: the reason for name (any letter case), or NULL. */
struct ofd_registry_off {
	const char *name, *reason;
};
void ofd_registry_set_off(struct ofd_registry *r, const struct ofd_registry_off *off);
const char *ofd_registry_off_reason(const struct ofd_registry *r, const char *name);

/* The registered name, alias or `branch` closest to an unknown name (for "did you mean"), or NULL. */
const char *ofd_registry_closest(const struct ofd_registry *r, const char *name);

/* Iterate: the i-th registered type (built-ins first, in their order), NULL past the end. */
const struct ofd_segment_type *ofd_registry_at(const struct ofd_registry *r, size_t i, const char **origin);

/* Iterate the aliases (other names ofd_registry_find() accepts, e.g. flowpipeline's): the i-th
   alias, with the name of the type it stands for in *target; NULL past the end. */
const char *ofd_registry_alias_at(const struct ofd_registry *r, size_t i, const char **target);

#endif
