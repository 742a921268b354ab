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

/* One JSON object and a newline, with all fields. */
void ofd_fmt_json(struct ofd_wbuf *w, const struct ofd_flow *f);

/* CSV over every goflow2 field (`dump --format csv`); ofd_fmt_csv_ids below for chosen fields. */
void ofd_fmt_csv_header(struct ofd_wbuf *w);
void ofd_fmt_csv(struct ofd_wbuf *w, const struct ofd_flow *f);

/* Names used for etype and proto (goflow2's renderings); numbers for the rest. */
const char *ofd_etype_name(uint16_t etype);
const char *ofd_proto_name(uint8_t proto);

/*
 * Enriched fields (OFD_F_IN_IF_NAME .. OFD_F_RPKI): written to JSON only when their present bit
 * is set, always as a column in CSV. Names are snake_case like the rest: in_if_name in_if_desc
 * in_if_speed out_if_name out_if_desc out_if_speed src_cid dst_cid src_vrf dst_vrf med local_pref
 * as_path src_country dst_country flow_direction normalized rpki. Strings are cut at
 * OFD_FMT_TEXT_MAX bytes (on a UTF-8 boundary); invalid UTF-8 bytes are written as '?'.
 */
#define OFD_FMT_TEXT_MAX      255
#define OFD_FMT_ENRICHED_MASK (~(OFD_BIT(OFD_F_IN_IF_NAME) - 1) & (OFD_BIT(OFD_F__COUNT) - 1))

/* The entry of any field by its id (enum ofd_field), base or enriched; NULL when out of range. */
const struct ofd_fmt_field *ofd_fmt_field_get(unsigned id);

/*
 * The field id (enum ofd_field) of a name, or -1. Accepts our snake_case names, and
 * flowpipeline's CamelCase names where they map onto ours: case and underscores are ignored, a
 * trailing "ns" is optional (TimeReceived = time_received_ns), and SrcIf/DstIf{Name,Desc,Speed}
 * stand for in_if_* / out_if_*.
 */
int ofd_fmt_field_id(const char *name);

/* ofd_fmt_json, plus the enriched fields whose present bit is set. Same text when none is. */
void ofd_fmt_json_enriched(struct ofd_wbuf *w, const struct ofd_flow *f);

/* CSV over field ids (base or enriched); strings are quoted when they hold , " CR or LF. */
void ofd_fmt_csv_ids_header(struct ofd_wbuf *w, const uint8_t *ids, unsigned n);
void ofd_fmt_csv_ids(struct ofd_wbuf *w, const struct ofd_flow *f, const uint8_t *ids, unsigned n);

/* Names for the rpki field: "unknown", "valid", "invalid", "notfound". */
const char *ofd_rpki_name(unsigned rpki);

#endif
