/*
 * The columns of flowpipeline's sqlite file (its `sqlite` output, read back by its `replay`
 * input), shared by our sqlite output and replay input: one table `flows`, one column per chosen
 * field named as EnrichedFlow's Go field (TimeFlowStart, SrcAddr), INTEGER for what is a
 * uint32/uint64 there (numbers, MACs as the 48-bit number, Etype, Proto, SrcNet as the prefix
 * length), TEXT for the rest: addresses as net.IP text ("" for none), enums by name (Type
 * NETFLOW_V9), lists as "[1 2 3]", strings as they are, booleans as true/false.
 *
 * A column knows how to bind its value from a record (writer) and how to set a record from a
 * row's value (reader). Seconds and milliseconds columns (TimeFlowStart, TimeFlowStartMs,
 * TimeReceived) are derived from our nanosecond times when written and give them back when
 * read (the finer column wins when a file has both). Lists of large communities, MPLS stacks,
 * MplsIp and storage-less fields are written as flowpipeline renders them but not read back
 * (their columns are ignored by the reader).
 */
#ifndef OFD_SEG_SQLCOLS_H
#define OFD_SEG_SQLCOLS_H

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "format/fpcsv.h"
#include "format/wbuf.h"
#include "ofd/batch.h"
#include "ofd/flow.h"

enum ofd_sqlcol_how {
	OFD_SQLCOL_INT,	   /* a numeric member, INTEGER */
	OFD_SQLCOL_SPEED,  /* bit/s here, Mbit/s there, INTEGER */
	OFD_SQLCOL_SCALED, /* a nanosecond time as seconds or ms, INTEGER */
	OFD_SQLCOL_ZERO,   /* storage-less number: INTEGER 0, not read */
	OFD_SQLCOL_IP,	   /* TEXT address */
	OFD_SQLCOL_STR,	   /* TEXT string (also CC) */
	OFD_SQLCOL_ENUM,   /* TEXT enum name */
	OFD_SQLCOL_LIST,   /* TEXT "[a b c]" of AS path or communities */
	OFD_SQLCOL_TEXT,   /* TEXT as fpcsv renders it, not read back */
};

struct ofd_sqlcol {
	struct ofd_fpcsv_col c; /* its name and field (fpcsv.h) */
	uint8_t how;		/* enum ofd_sqlcol_how */
	uint8_t id;		/* the member it reads/writes (SCALED: the ns field) */
	uint32_t div;		/* SCALED: ns per unit */
};

/* The column of a name (EnrichedFlow's Go name, or any name ofd_field_by_name takes); -1 when
   unknown. */
int ofd_sqlcol_by_name(struct ofd_sqlcol *c, const char *name);

/* The unsigned value of numeric field id of f, whatever its width (1, 2, 4 or 8 bytes). */
static inline uint64_t ofd_sqlcol_get_u(const struct ofd_flow *f, unsigned id)
{
	const struct ofd_field_info *d = &ofd_fields[id];
	const unsigned char *m = (const unsigned char *)f + d->off;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	switch (d->size) {
	case 1: memcpy(&v8, m, 1); return v8;
	case 2: memcpy(&v16, m, 2); return v16;
	case 4: memcpy(&v32, m, 4); return v32;
	case 8: memcpy(&v64, m, 8); return v64;
	default: return 0;
	}
}

/* All of EnrichedFlow's columns in its order (OFD_FPCSV_NCOLS). */
void ofd_sqlcol_all(struct ofd_sqlcol *cols);

/* "INTEGER" or "TEXT". */
const char *ofd_sqlcol_type(const struct ofd_sqlcol *c);

/* Bind column c of f to parameter i (1-based) of st; scratch holds rendered text until the
   statement has run. Returns an SQLite result code. */
int ofd_sqlcol_bind(sqlite3_stmt *st, int i, const struct ofd_sqlcol *c, const struct ofd_flow *f,
		    struct ofd_wbuf *scratch);

/* Set f from result column i of st (the current row) as column c says; strings into b's arena.
   0, or -1 when the value does not fit the column (the row is bad). */
int ofd_sqlcol_read(sqlite3_stmt *st, int i, const struct ofd_sqlcol *c, struct ofd_flow *f,
		    struct ofd_batch *b);

/* Whether column c is read back by ofd_sqlcol_read. */
int ofd_sqlcol_readable(const struct ofd_sqlcol *c);

#endif
