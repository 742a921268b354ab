/*
 * flowpipeline's flow JSON: the proto3 canonical JSON mapping ("protojson", as Go's protojson
 * package writes it) of its EnrichedFlow message (proto/enrichedflow.proto), both ways.
 *
 * Writing (ofd_protojson_write): the fields in the message's declaration order (Go's order),
 * lowerCamelCase keys (flowpipeline's own fields keep their upper-case names: SrcIfName),
 * uint64 values as decimal strings, uint32 as numbers, addresses as base64 of their bytes (4 for
 * IPv4, 16 for IPv6), enums by name; fields that are zero, empty or (enriched) absent are left
 * out. Compact: one line without blanks; pretty: Go's multi-line form (two-space indent,
 * `"key": value`). Strings are escaped as the json output does (flowfmt.h).
 *
 * Reading (ofd_protojson_parse, ofd_protojson_from_object): what a protojson reader accepts:
 * keys by JSON or proto name, in any order; numbers as JSON numbers or decimal strings; bytes as
 * standard or URL-safe base64, padded or not; enums by name or number; null as absent. Keys the
 * schema has but overflowd keeps no field for (proto/enrichedflow.proto, `SKIP` in
 * protojson_fields.def) and unknown keys are ignored. The line is refused (OFD_EFORMAT) as a whole
 * when a known key has a value of the wrong type or out of range (also: an address that is not
 * 0, 4 or 16 bytes, bad base64, a number beyond its field; uint64 values beyond INT64_MAX, which
 * our own format cannot carry). The input is untrusted: nothing is
 * allocated but jansson's parse of the line and the strings in the batch's arena.
 */
#ifndef OFD_PROTOJSON_H
#define OFD_PROTOJSON_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/batch.h"
#include "ofd/err.h"
#include "ofd/flow.h"
#include "wbuf.h"

/* How a schema field maps to ours (the CONV column of protojson_fields.def). */
enum ofd_pj_conv {
	OFD_PJ_U32,	   /* uint32: a number */
	OFD_PJ_U64,	   /* uint64: a decimal string */
	OFD_PJ_SEC,	   /* uint64 seconds, read into a *_ns field when that is absent */
	OFD_PJ_MS,	   /* uint64 milliseconds, likewise */
	OFD_PJ_MBPS,	   /* uint32 Mbit/s; the record holds bit/s */
	OFD_PJ_IP,	   /* bytes: 4 or 16 bytes of address */
	OFD_PJ_MAC,	   /* uint64: the 48-bit MAC address */
	OFD_PJ_STR,	   /* string */
	OFD_PJ_CC,	   /* string: two-letter country code */
	OFD_PJ_EFT,	   /* enum FlowType */
	OFD_PJ_ERPKI,	   /* enum ValidationStatusType */
	OFD_PJ_EANON,	   /* enum AnonymizedType */
	OFD_PJ_ENORM,	   /* enum NormalizedType */
	OFD_PJ_EREMOTE,	   /* enum RemoteAddrType */
	OFD_PJ_REPEATED,   /* repeated uint32: as_path, bgp_communities */
	OFD_PJ_MPLS_TTL,   /* repeated uint32: the label stack's TTLs */
	OFD_PJ_MPLS_LABEL, /* repeated uint32: the label stack's labels, top first */
	OFD_PJ_MPLS_IP,	   /* repeated bytes: the top label's addresses (we keep the first) */
	OFD_PJ_SKIP,	   /* in the schema, not kept by overflowd */
};

#define OFD_PJ_NONE (-1)

/* One field of EnrichedFlow (protojson_fields.def). */
struct ofd_pj_field {
	const char *json;  /* proto3 JSON name */
	const char *proto; /* name in the schema */
	uint16_t number;   /* protobuf field number */
	uint8_t conv;	   /* enum ofd_pj_conv */
	int16_t field;	   /* enum ofd_field, or OFD_PJ_NONE */
};

/* The schema's fields in declaration order. */
extern const struct ofd_pj_field ofd_pj_fields[];
extern const unsigned ofd_pj_nfields;

/* One record as a protojson object and a newline (pretty: multi-line, as Go's Multiline). */
void ofd_protojson_write(struct ofd_wbuf *w, const struct ofd_flow *f, int pretty);

/*
 * One protojson object (line[0..len)) into f (zeroed first); strings into the arena of strs (may
 * be NULL: strings left unset); a string that does not fit adds 1 to *dropped. 0 or OFD_EFORMAT.
 */
int ofd_protojson_parse(struct ofd_flow *f, const char *line, size_t len, struct ofd_batch *strs,
			unsigned *dropped) OFD_MUST_CHECK;

/* The same from an object jansson parsed already (a json_t *; flowjson_parse.c's hook). */
struct json_t;
int ofd_protojson_from_object(struct ofd_flow *f, const struct json_t *root, struct ofd_batch *strs,
			      unsigned *dropped) OFD_MUST_CHECK;

/* 1 when a JSON key can only be protojson's: it has an upper-case letter (ours never do). */
int ofd_protojson_key(const char *key);

/* 1 when key names a field of the schema (its JSON or proto name). */
int ofd_protojson_known(const char *key);

#endif
