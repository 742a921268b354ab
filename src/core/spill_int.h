/*
 * The spill's private parts (core/spill.h), shared by spill.c (files) and spill_frame.c (a batch
 * as the raw bytes of one frame). Not for segments.
 */
#ifndef OFD_SPILL_INT_H
#define OFD_SPILL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ofd/batch.h"

/* The largest raw frame: the counts, every record, a full arena. */
#define SP_RAW_MAX (8u + OFD_BATCH_CAP * sizeof(struct ofd_flow) + OFD_BATCH_ARENA)

/*
 * Raw frame: u32 records n, u32 string bytes a, n records (b's live ones, in order; a string
 * field holds its offset + 1 into the strings, 0 when unset), a bytes of NUL-terminated strings
 * (b's arena, then copies of strings that lie outside it, while they fit OFD_BATCH_ARENA; one
 * that does not is unset). Encode into raw (SP_RAW_MAX bytes): the length, *nrec the records.
 */
size_t ofd_spill_encode(unsigned char *raw, const struct ofd_batch *b, uint32_t *nrec);

/* Decode raw[0..len) of a frame that says nrec records into the empty batch b: 0, or -1 when
   it does not hold together (counts, lengths, a string offset out of bounds or unterminated);
   counts and enum fields of the records are clamped to what the writers know. */
int ofd_spill_decode(const unsigned char *raw, size_t len, uint32_t nrec, struct ofd_batch *b);

#endif
