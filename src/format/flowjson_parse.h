/*
 * JSON lines back into flow records: the inverse of ofd_fmt_json_enriched() (flowfmt.c), with
 * the same field names. The input is untrusted (a pipe, a file from elsewhere): every value is
 * type- and range-checked, and a line that does not parse, or holds a known key with a value of
 * the wrong type or out of range, is refused as a whole. Unknown keys are ignored, so that
 * newer or foreign producers still load. Each known key sets its present bit.
 *
 * Strings that records point at (string fields: interface names, host names, notes, ...) are
 * interned in a bounded table that lives as long as the records may (until the pipeline ends).
 * Keys and value types come from the field table (include/ofd/fields.def).
 */
#ifndef OFD_FLOWJSON_PARSE_H
#define OFD_FLOWJSON_PARSE_H

#include <stddef.h>

#include "ofd/err.h"
#include "ofd/flow.h"

struct ofd_strtab;

/* A table of at most max_strings distinct strings of at most OFD_FMT_TEXT_MAX bytes each. */
int ofd_strtab_new(struct ofd_strtab **out, unsigned max_strings) OFD_MUST_CHECK;
void ofd_strtab_free(struct ofd_strtab *t);

/* The interned copy of s[0..n) (cut at OFD_FMT_TEXT_MAX on a UTF-8 boundary), NULL when full. */
const char *ofd_strtab_intern(struct ofd_strtab *t, const char *s, size_t n);

/* Strings refused because the table was full (their fields were left unset). */
unsigned long ofd_strtab_refused(const struct ofd_strtab *t);

/*
 * Parse one JSON object (line[0..len), surrounding white space allowed) into f, which is
 * zeroed first. strs may be NULL: string fields are then left unset. Returns 0 or OFD_EFORMAT.
 */
int ofd_flowjson_parse(struct ofd_flow *f, const char *line, size_t len,
		       struct ofd_strtab *strs) OFD_MUST_CHECK;

#endif
