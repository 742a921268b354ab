/*
 * flowpipeline's CSV (its `csv` output segment): a header of EnrichedFlow's Go field names, then
 * one row per flow with each value as flowpipeline renders it: numbers in decimal (etype 2048,
 * proto 17, MACs as the 48-bit number, src_net/dst_net as the prefix length), addresses as text
 * ("" for none), enums by their names (NETFLOW_V9, Valid, Yes, Src, CryptoPAN), lists as
 * "[1 2 3]", booleans as true/false, strings as they are, quoted as Go's encoding/csv quotes.
 * By default all 149 fields in EnrichedFlow's order; fields overflowd does not have are written
 * as their zero value.
 */
#ifndef OFD_FPCSV_H
#define OFD_FPCSV_H

#include <stdint.h>

#include "ofd/flow.h"
#include "wbuf.h"

/* The columns of EnrichedFlow, in its order. */
#define OFD_FPCSV_NCOLS 149

/* A column: its header and the field it renders (how: 0, or a rendering of its own). */
struct ofd_fpcsv_col {
	const char *name;
	uint8_t id; /* enum ofd_field */
	uint8_t how;
};

/*
 * The column of a name into c: EnrichedFlow's Go name exactly (MplsLabel: the label list), else
 * any name ofd_field_by_name takes (headed by the field's flowpipeline name). -1 when unknown.
 */
int ofd_fpcsv_col_by_name(struct ofd_fpcsv_col *c, const char *name);

/* EnrichedFlow's OFD_FPCSV_NCOLS columns, in its order, into cols. */
void ofd_fpcsv_all(struct ofd_fpcsv_col *cols);

void ofd_fpcsv_header(struct ofd_wbuf *w, const struct ofd_fpcsv_col *cols, unsigned n);
void ofd_fpcsv_row(struct ofd_wbuf *w, const struct ofd_flow *f, const struct ofd_fpcsv_col *cols,
		   unsigned n);

#endif
