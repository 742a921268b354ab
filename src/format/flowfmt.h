/*
 * Flow records as text: JSON lines (goflow2's field names and renderings) and CSV, both driven
 * by the field table (include/ofd/fields.def) so that every output names and renders a field
 * the same way: one writer per field, generated from its kind.
 */
#ifndef OFD_FLOWFMT_H
#define OFD_FLOWFMT_H

#include "ofd/flow.h"
#include "wbuf.h"

enum ofd_fmt_kind { OFD_FMT_JSON, OFD_FMT_CSV };

struct ofd_fmt_field {
	const char *name; /* the JSON key */
	unsigned name_len;
	char json_key[48]; /* ,"name": (padded, so that it can be copied as a whole) */
	unsigned json_key_len;
	void (*put)(struct ofd_wbuf *w, const struct ofd_flow *f, int quote);
	const char *csv; /* the CSV column */
	unsigned csv_len;
};

/* Every field, indexed by id (enum ofd_field). */
extern const struct ofd_fmt_field ofd_fmt_fields[OFD_F__COUNT];

/*
 * One JSON object and a newline, with all base fields and the keys goflow2 v2.2 always prints:
 * bgp_communities and as_path (arrays, [] when absent), mpls_label as an array ([] without a
 * label, [label] with one), and mpls_ttl, mpls_ip, layer_stack, layer_size,
 * ipv6_routing_header_addresses ([]) and ipv6_routing_header_seg_left (0), which overflowd does
 * not decode.
 */
void ofd_fmt_json(struct ofd_wbuf *w, const struct ofd_flow *f);
/* A record marked sparse (ofd_flow.sparse, dropfields) is written with only its present fields,
   base ones included, by both JSON writers: what dropfields cleared is left out, not zero. */

/* CSV over every goflow2 field (`dump --format csv`); ofd_fmt_csv_ids below for chosen fields. */
void ofd_fmt_csv_header(struct ofd_wbuf *w);
void ofd_fmt_csv(struct ofd_wbuf *w, const struct ofd_flow *f);

/*
 * etype and proto as goflow2 v2.2 renders them: etype "IPv4", "IPv6", "ARP" (ofd_etype_name),
 * "" for 0 and the decimal number for others; proto the IANA protocol-numbers keyword
 * (ofd_proto_keyword: "HOPOPT", "IPv6-ICMP", "OSPFIGP"), the decimal number where the registry
 * has none. ofd_proto_name: overflowd's short names ("ICMPv6", "OSPF") for text meant for people.
 * Each returns NULL for a value it has no name for.
 */
const char *ofd_etype_name(uint16_t etype);
const char *ofd_proto_keyword(uint8_t proto);
const char *ofd_proto_name(uint8_t proto);

/*
 * Enriched fields (class ENRICHED in fields.def): written to JSON only when their present bit
 * is set, always as a column in CSV. Names are snake_case like the rest. Strings are cut at
 * OFD_FMT_TEXT_MAX bytes (on a UTF-8 boundary); in JSON, invalid UTF-8 bytes are written as
 * '?' and C0, DEL and C1 controls as \u00XX; in CSV, controls and invalid bytes are escaped as
 * util/termtext.h says (\x1b, \u009b), so neither output can drive a terminal. Lists
 * (as_path, bgp_communities) are JSON arrays of numbers and space-separated numbers in CSV;
 * bgp_large_communities are "global:local1:local2" strings (a JSON array; space-separated in CSV).
 */
#define OFD_FMT_TEXT_MAX 255

/* The base fields and the enriched fields as sets (storage-less fields are in neither). */
extern const struct ofd_fieldset ofd_fmt_base;
extern const struct ofd_fieldset ofd_fmt_enriched;

/*
 * The entry of any field by its id (enum ofd_field), base, enriched or storage-less (whose
 * writer writes its kind's zero: 0, "", [], as an unset field of that kind); NULL when out of
 * range.
 */
const struct ofd_fmt_field *ofd_fmt_field_get(unsigned id);

/* ofd_field_by_name(): snake_case, CSV or flowpipeline names (SrcIfName = in_if_name, ...). */
int ofd_fmt_field_id(const char *name);

/* ofd_fmt_json, plus the enriched fields whose present bit is set. Same text when none is. */
void ofd_fmt_json_enriched(struct ofd_wbuf *w, const struct ofd_flow *f);

/* CSV over field ids (base or enriched); strings are quoted when they hold , or " (CR and LF
   are escaped). */
void ofd_fmt_csv_ids_header(struct ofd_wbuf *w, const uint8_t *ids, unsigned n);
void ofd_fmt_csv_ids(struct ofd_wbuf *w, const struct ofd_flow *f, const uint8_t *ids, unsigned n);

/*
 * A JSON string's body (no quotes) as the json output writes string fields: cut at
 * OFD_FMT_TEXT_MAX bytes on a UTF-8 boundary, escaped as said above (up to 6 bytes per byte).
 */
void ofd_fmt_json_text(struct ofd_wbuf *w, const char *s, size_t n);

/* Names for the rpki field: "unknown", "valid", "invalid", "notfound". */
const char *ofd_rpki_name(unsigned rpki);

#endif
