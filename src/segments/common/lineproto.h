/*
 * InfluxDB line protocol for the influx output: one point per flow,
 *
 *   MEASUREMENT[,TAG=VALUE...] FIELD=VALUE[,FIELD=VALUE...] TIMESTAMP_NS\n
 *
 * over flowpipeline's field names (EnrichedFlow's Go names, or our snake_case ones; the column
 * knowledge of sqlcols.h: what is a number, an address, an enum, a list). Tags and fields are
 * written in byte order of their keys (as InfluxDB's Go client does, and as the server prefers).
 *
 * Tags: a value rendered as flowpipeline's influx segment renders it: numbers in decimal,
 * addresses as text, strings as they are, enums by name, lists as "[1 2 3]"; an empty value
 * leaves the tag out (line protocol has no empty tag value). Fields: numeric columns as integers
 * ("1500i"; an unsigned value of 2^63 or more does not fit and is written as 2^63-1, counted);
 * any other column as a string field ("\"TCP\"").
 *
 * Escaping: measurement: comma and space; tag keys, tag values, field keys: comma, equals sign,
 * space; a backslash that ends a name or tag value (it would escape the delimiter after it) is
 * written as the text \x5c.
 * String field values: double quote and backslash. Text from outside (strings, interface
 * descriptions) is cut at OFD_FMT_TEXT_MAX bytes and its control characters and invalid UTF-8
 * are escaped as text first (util/termtext.h): a point is always one line.
 */
#ifndef OFD_SEG_LINEPROTO_H
#define OFD_SEG_LINEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "format/wbuf.h"
#include "ofd/flow.h"
#include "segments/common/sqlcols.h"

#define OFD_LP_MAX     64 /* tags, and fields */
#define OFD_LP_KEY_MAX 96 /* an escaped key or measurement, bytes */

struct ofd_lp_col {
	struct ofd_sqlcol col;
	char key[OFD_LP_KEY_MAX]; /* escaped, then '=' */
	uint8_t keylen;		  /* with the '=' */
	uint8_t number;		  /* field: an integer (else a string field) */
};

struct ofd_lp {
	char meas[OFD_LP_KEY_MAX];
	uint8_t measlen;
	struct ofd_lp_col tags[OFD_LP_MAX], fields[OFD_LP_MAX];
	unsigned ntags, nfields;
	struct ofd_wbuf scratch; /* enums and lists rendered by fpcsv */
	uint64_t clamped;	 /* integer fields written as 2^63-1 (read and reset by the caller) */
};

/* Set up lp for measurement meas (0, OFD_ECONFIG when it is empty or too long; -ENOMEM). */
int ofd_lp_init(struct ofd_lp *lp, const char *meas);
void ofd_lp_fini(struct ofd_lp *lp);

/* Add a tag or a field by field name: 0, OFD_FIELDLIST_UNKNOWN or OFD_FIELDLIST_FULL (the
   codes of fieldlist.h); a repeated name is taken once. */
int ofd_lp_add_tag(struct ofd_lp *lp, const char *name);
int ofd_lp_add_field(struct ofd_lp *lp, const char *name);

/* Sort tags and fields by key; the name of one that is both a tag and a field, else NULL. */
const char *ofd_lp_finish(struct ofd_lp *lp);

/* Write the point of f with timestamp ts (ns) at p, at most up to end; returns its end (after
   the newline), or NULL when it does not fit (nothing usable written). */
char *ofd_lp_row(struct ofd_lp *lp, const struct ofd_flow *f, uint64_t ts, char *p, char *end);

/* Escapes, for tests and the renderer: s[0..n) as a measurement (kind 'm'), a key or tag value
   ('k') or a string field value without its quotes ('s'), at p up to end; the end, or NULL when
   it does not fit. */
char *ofd_lp_escape(char *p, char *end, const char *s, size_t n, int kind);

#endif
