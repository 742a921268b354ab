/*
 * The protobuf codec's private types (flowpb.c builds the tables and encodes, flowpb_decode.c
 * decodes): an entry per schema field with its tag, member and operation, and per schema the
 * entries sorted for writing and indexed by number for reading.
 */
#ifndef OFD_FLOWPB_INT_H
#define OFD_FLOWPB_INT_H

#include <stdint.h>

#include "flowpb.h"
#include "pjconv.h"
#include "protojson.h"

/* What an entry does with its value. */
enum pb_op {
	PB_NUM, /* a plain number (MAC included) whose member lies 8 bytes inside the record: `mask`, `size`
		 */
	PB_N8,	/* a plain number in a member of 1, 2, 4, 8 bytes */
	PB_N16,
	PB_N32,
	PB_N64,
	PB_MAC,	   /* uint64, 48 bits */
	PB_MBPS,   /* uint32 Mbit/s, bit/s in the record */
	PB_ENUM,   /* one of ofd_pj_enums (aux) */
	PB_SEC,	   /* legacy uint64 seconds / milliseconds: read only, into an absent *_ns field */
	PB_MS,	   /*   */
	PB_IP,	   /* bytes: 4 or 16 */
	PB_STR,	   /* string */
	PB_CC,	   /* string of two letters */
	PB_PATH,   /* repeated uint32: as_path */
	PB_COMMS,  /* repeated uint32: bgp_communities */
	PB_MTTL,   /* repeated uint32: the label stack's TTLs */
	PB_MLABEL, /* repeated uint32: its labels */
	PB_MIP,	   /* repeated bytes: the top label's address (the first kept) */
	PB_SKIP,   /* in the schema, not kept: skipped like an unknown field */
};

struct pb_ent {
	uint8_t tag[3], taglen; /* the tag as written, wire type included */
	uint8_t op;		/* enum pb_op */
	uint8_t wt;		/* the schema's wire type: 0 varint, 2 length-delimited */
	uint8_t enriched;	/* written only when the field is present */
	uint8_t u32;		/* a 32-bit schema type: values read are cut to 32 bits */
	uint8_t aux;		/* PB_ENUM: index in ofd_pj_enums */
	uint16_t off;		/* the member */
	uint64_t mask;		/* PB_NUM: the member's bits of the 8 bytes at off */
	uint8_t at;		/* an enriched entry: the base entries before it (by number) */
	uint8_t size;		/* PB_NUM: the member's size */
	uint16_t num;
	int16_t field;	     /* enum ofd_field, OFD_PJ_NONE for SKIP */
	uint64_t max;	     /* the largest value read into the member */
	uint64_t trunc;	     /* what a value read keeps: the low 32 bits for a 32-bit schema type */
	uint64_t legacy_bit; /* the field's bit in pb_dec.legacy (ids < 64) */
};

/* The fields of EnrichedFlow (protojson_fields.def). */
enum {
	PB_NDEF = 0
#define OFD_PJ(num, json, proto, conv, field) +1
#include "protojson_fields.def"
};

#define PB_NUMS	   2560 /* field numbers below this are looked up in a table (the schema's top: 2540) */
#define PB_SCRATCH 8192 /* room for any record (checked at init) */

struct pb_schema {
	struct pb_ent base[PB_NDEF]; /* the written BASE fields, by number */
	struct pb_ent enr[PB_NDEF];  /* the written ENRICHED fields, by number */
	struct pb_ent dec[PB_NDEF];  /* every field of the schema */
	unsigned nbase, nenr, ndec;
	size_t worst;			/* the longest message a record can make */
	uint8_t idx[PB_NUMS];		/* number -> dec index + 1, 0: unknown */
	uint8_t enr_idx[OFD_F__STORED]; /* enriched field -> enr index + 1, 0: not written */
};

/* The tables of schema s, built at first use (any thread). */
const struct pb_schema *ofd_pb_schema(enum ofd_pb_schema s);

#endif
