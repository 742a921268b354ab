/*
 * The segment reference, printed from the registry's type descriptors (`overflowd --segments`,
 * `overflowd --segments --markdown`).
 *
 * ofd_segdoc_list() prints the plain list: one line per type (name, kind, summary, the module
 * path of a custom one), its config keys under it, and the engine's `branch` last.
 *
 * ofd_segdoc_markdown() prints the README's segment reference (the text between its
 * `<!-- segments:begin -->` and `<!-- segments:end -->` markers, kept current by `make readme`):
 * a short legend, then the types grouped by kind (input, flow, enrich, analyze, output; kinds
 * without a type are left out), each kind in registry order. Per type: a level-5 heading with
 * the name, the aliases that stand for it, the summary as a sentence, the flags in words, the
 * module of a custom type, a table of its config keys (key, type, default, required, bounds,
 * choices, help; `|` escaped), its own counters and its metric families (the name /metrics
 * shows, counter or gauge, labels with the implied `segment` first, help). Nothing in it depends on the time,
 * the locale or the machine: the same registry gives the same bytes.
 *
 * Both write to f and return 0, or -EIO when f reports a write error.
 */
#ifndef OFD_CLI_SEGDOC_H
#define OFD_CLI_SEGDOC_H

#include <stdio.h>

#include "core/registry.h"

int ofd_segdoc_list(const struct ofd_registry *r, FILE *f);
int ofd_segdoc_markdown(const struct ofd_registry *r, FILE *f);

#endif
