/*
 * JSON lines back into flow records: the inverse of ofd_fmt_json_enriched() (flowfmt.c), with
 * the same field names. The input is untrusted (a pipe, a file from elsewhere): every value is
 * type- and range-checked, and a line that does not parse, or holds a known key with a value of
 * the wrong type or out of range, is refused as a whole. Unknown keys are ignored, so that
 * newer or foreign producers still load, and so are the keys of storage-less fields (fields.def
 * OFD_FIELD_NAME), whatever their value. Each known key sets its present bit.
 *
 * Strings that records point at (string fields: interface names, host names, notes, ...) are
 * copied into the arena of the batch the record is in (include/ofd/batch.h), so they live as
 * long as the record does, and cut at OFD_FMT_TEXT_MAX bytes on a UTF-8 boundary.
 * Keys and value types come from the field table (include/ofd/fields.def).
 *
 * flowpipeline's JSON (protojson of its EnrichedFlow, format/protojson.h) is recognised per line
 * and read as such: a key with an upper-case letter (ours have none) switches to it, and so does
 * a value our format refuses under a key the protojson schema knows too (protojson by proto
 * names: "src_addr" in base64, "bytes" as a string): the line is then read as protojson, and
 * refused when that refuses it too.
 */
#ifndef OFD_FLOWJSON_PARSE_H
#define OFD_FLOWJSON_PARSE_H

#include <stddef.h>

#include "ofd/batch.h"
#include "ofd/err.h"
#include "ofd/flow.h"

/*
 * Parse one JSON object (line[0..len), surrounding white space allowed) into f, which is
 * zeroed first. Strings go to the arena of strs (the batch f is in), at most len + the number
 * of string fields bytes; strs may be NULL: string fields are then left unset. A string that
 * does not fit leaves its field unset and adds 1 to *dropped (when not NULL). Returns 0 or
 * OFD_EFORMAT (a refused line may have used arena bytes until the batch is reset).
 */
int ofd_flowjson_parse(struct ofd_flow *f, const char *line, size_t len, struct ofd_batch *strs,
		       unsigned *dropped) OFD_MUST_CHECK;

#endif
