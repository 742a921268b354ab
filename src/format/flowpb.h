/*
 * Flows as protobuf: flowpipeline's EnrichedFlow (proto/enrichedflow.proto, the schema of its
 * Kafka topics) and goflow2's FlowMessage (proto/flow.proto, `legacy: true`), both ways, one
 * message per record.
 *
 * The codec is ours, driven by the same table as protojson (protojson_fields.def: schema number,
 * conversion, our field id) and the same value rules (pjconv.h), and checked byte for byte
 * against protobuf-c's packing of the same message (tests/unit/test_flowpb.c): fields in
 * ascending number order, as protobuf-c and Go write them; zero values and absent enriched
 * fields left out (proto3; a sparse record, from dropfields, leaves out every absent field);
 * repeated scalars packed; the legacy second/millisecond times and the fields overflowd keeps
 * nothing for (SKIP) never written. Strings as the json output writes them: cut at 255 bytes on a
 * UTF-8 boundary, invalid UTF-8 bytes as '?'. FlowMessage is the subset of EnrichedFlow's fields
 * goflow2 v2 has, at the same numbers with the same types. Measured faster than building
 * protobuf-c's message struct and packing it (bench/bench_pb.c).
 *
 * Decoding takes untrusted bytes: any field order, unknown fields (and the schema's SKIP ones)
 * skipped by wire type, packed and unpacked repeated fields (appended, the first ones kept), the
 * last of a repeated scalar winning. Refused (OFD_ETRUNC: a length, varint or fixed field past
 * the end; OFD_EFORMAT otherwise): a varint of more than ten bytes or beyond 64 bits, a group or
 * wire type 6/7, a wire type that does not match the schema's field, field number 0, a value
 * our field cannot hold (as protojson refuses it: a uint32 is first cut to 32 bits, as protobuf
 * does; 64-bit fields stop at INT64_MAX), an address not of 0, 4 or 16 bytes, a country not of
 * two printable letters, a string that is not UTF-8 (Go refuses those too), an enum number
 * without a name. Nothing is allocated: strings go to the batch's arena, and a refused message
 * leaves none there. Legacy second/millisecond times fill the *_ns field only when it did not
 * come.
 *
 * Delimited streams (goflow2's `-format=bin`, protodelim): each message preceded by its length
 * as a varint.
 */
#ifndef OFD_FLOWPB_H
#define OFD_FLOWPB_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/batch.h"
#include "ofd/err.h"
#include "ofd/flow.h"

enum ofd_pb_schema {
	OFD_PB_ENRICHED, /* flowpb.EnrichedFlow (flowpipeline) */
	OFD_PB_LEGACY,	 /* flowpb.FlowMessage (goflow2): the fields it has, same numbers */
};

/* Room that always holds one encoded record (strings included) and its length prefix (the
   longest record takes under 8 KiB). */
#define OFD_PB_MAX (OFD_BATCH_ARENA + 4096)

/* One record into out[0..cap): the bytes written, or 0 when cap is too small (or the record
   has nothing to write). Thread-safe; tables are built at the first call. */
size_t ofd_pb_encode(const struct ofd_flow *f, enum ofd_pb_schema s, uint8_t *out, size_t cap);

/*
 * One message p[0..n) into f (zeroed first); strings into the arena of strs (may be NULL:
 * strings left unset); a string that does not fit adds 1 to *dropped. 0, OFD_EFORMAT or
 * OFD_ETRUNC.
 */
int ofd_pb_decode(struct ofd_flow *f, const uint8_t *p, size_t n, enum ofd_pb_schema s,
		  struct ofd_batch *strs, unsigned *dropped) OFD_MUST_CHECK;

/* A varint length prefix for a message of len bytes into out (10 bytes of room): its size. */
size_t ofd_pb_put_len(uint8_t *out, uint64_t len);

/*
 * The next length-delimited message of p[0..n) from *off: 1 and (*msg, *len) with *off moved
 * past it, 0 at the end, or OFD_ETRUNC / OFD_EFORMAT (a prefix or message past the end).
 */
int ofd_pb_next_delim(const uint8_t *p, size_t n, size_t *off, const uint8_t **msg, size_t *len);

#endif
