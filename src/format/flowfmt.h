/*
 * Flow records as text: JSON lines (goflow2's field names and renderings) and CSV, both driven
 * by one field table so that every output names and renders a field the same way.
 */
#ifndef OFD_FLOWFMT_H
#define OFD_FLOWFMT_H

#include "ofd/flow.h"
#include "wbuf.h"

enum ofd_fmt_kind { OFD_FMT_JSON, OFD_FMT_CSV };

struct ofd_fmt_field {
	const char *name;
	unsigned name_len;
	char json_key[32]; /* ,"name": (padded, so that it can be copied as a whole) */
	unsigned json_key_len;
	void (*put)(struct ofd_wbuf *w, const struct ofd_flow *f, int quote);
};

/* Every field in output order; terminated by a NULL name. */
extern const struct ofd_fmt_field ofd_fmt_fields[];

/* Index of a field by name in ofd_fmt_fields, or -1. */
int ofd_fmt_field_find(const char *name);

/* One JSON object and a newline, with all fields. */
void ofd_fmt_json(struct ofd_wbuf *w, const struct ofd_flow *f);

/* CSV over a chosen list of field indexes (NULL, 0: all fields). */
void ofd_fmt_csv_header(struct ofd_wbuf *w, const int *idx, int n);
void ofd_fmt_csv(struct ofd_wbuf *w, const struct ofd_flow *f, const int *idx, int n);

/* Names used for etype and proto (goflow2's renderings); numbers for the rest. */
const char *ofd_etype_name(uint16_t etype);
const char *ofd_proto_name(uint8_t proto);

#endif
