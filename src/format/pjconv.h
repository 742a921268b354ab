/*
 * Conversions between flowpipeline's EnrichedFlow values and our record that its two encodings
 * share: the proto3 JSON (protojson.c, protojson_parse.c) and the protobuf wire format
 * (flowpb.c). One place decides each rule (value ranges, enum numbering, the MPLS label stack,
 * strings), so that a record reads the same from either encoding and writes the same to both.
 */
#ifndef OFD_PJCONV_H
#define OFD_PJCONV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ofd/batch.h"
#include "ofd/flow.h"

/* The value of a plain number field of any width (1, 2, 4 or 8 bytes). */
static inline uint64_t ofd_pj_num(const void *at, unsigned size)
{
	const unsigned char *p = at;
	switch (size) {
	case 1: return *p;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
}

/* Store x into a plain number field of `size` bytes. */
static inline void ofd_pj_store(void *at, unsigned size, uint64_t x)
{
	unsigned char *p = at;
	switch (size) {
	case 1: *p = (uint8_t)x; break;
	case 2: memcpy(p, &(uint16_t){(uint16_t)x}, 2); break;
	case 4: memcpy(p, &(uint32_t){(uint32_t)x}, 4); break;
	default: memcpy(p, &x, 8); break;
	}
}

/*
 * The largest value a reader takes for a plain field (NET: a prefix length). 64-bit fields stop
 * at INT64_MAX, as in our own JSON (a number there), so that every record read can be written
 * and read again in any format.
 */
static inline uint64_t ofd_pj_max(const struct ofd_field_info *d)
{
	if (d->kind == OFD_FK_NET)
		return 128;
	return d->size == 8 ? INT64_MAX : (UINT64_C(1) << (8 * d->size)) - 1;
}

/* The label stack entries written (labels, TTLs): those of the stack when it is present. */
static inline unsigned ofd_pj_mpls_n(const struct ofd_flow *f)
{
	unsigned n = ofd_flow_has(f, OFD_F_MPLS_STACK) ? f->mpls_stack.n : 0;
	return n < OFD_MPLS_MAX ? n : OFD_MPLS_MAX;
}

/* 1 when the stack's TTLs are written (any of its first n entries has one). */
static inline int ofd_pj_mpls_ttls(const struct ofd_flow *f, unsigned n)
{
	uint32_t ttls = 0;
	for (unsigned i = 0; i < n; i++)
		ttls |= OFD_MPLS_LSE_TTL(f->mpls_stack.lse[i]);
	return ttls != 0;
}

/*
 * The schema's enums (EFT, ERPKI, EANON, ENORM, EREMOTE: enum ofd_pj_conv's order from
 * OFD_PJ_EFT): value names in the schema's numbering, and our value of each schema number.
 * ValidationStatus numbers NotFound 2 and Invalid 3, we the other way round; FlowType's EBPF (5)
 * reads as unknown.
 */
struct ofd_pj_enum {
	const char *names[6];
	uint8_t ours[6];
	unsigned n;
};
extern const struct ofd_pj_enum ofd_pj_enums[5];

/* The schema number of our value v of enum e (v itself when it has none). */
static inline uint64_t ofd_pj_enum_number(const struct ofd_pj_enum *e, uint64_t v)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->ours[i] == v)
			return i;
	return v;
}

/*
 * A string value s[0..n) into *out, a copy in the arena of strs cut at OFD_FMT_TEXT_MAX bytes on
 * a UTF-8 boundary: 1 set, 0 left unset (empty, strs NULL, a NUL in it or no room in the arena:
 * the last two add 1 to *dropped, when dropped is not NULL).
 */
int ofd_pj_text(struct ofd_batch *strs, unsigned *dropped, const char *s, size_t n, const char **out);

/*
 * The label stack from the lists of labels and TTLs read (top first): the top label (mpls_label,
 * present whenever a label list came); the stack when there is more to keep than it (several
 * labels, or a TTL other than 0), its last entry the bottom of the stack. -1 when a label exceeds
 * 20 bits.
 */
int ofd_pj_mpls_apply(struct ofd_flow *f, const uint32_t *labels, unsigned nlabels, const uint32_t *ttls,
		      unsigned nttls, int have_labels);

#endif
