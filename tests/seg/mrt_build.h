/*
 * Building MRT TABLE_DUMP_V2 files byte by byte for the aslookup test (tests/seg/
 * enrich_aslookup.c): records, attributes, AS path segments, RIB entries. Include after
 * <cmocka.h>.
 */
#ifndef OFD_TEST_MRT_BUILD_H
#define OFD_TEST_MRT_BUILD_H

#include <stdint.h>
#include <string.h>

struct mb {
	uint8_t b[16384];
	size_t n;
};

static inline void put(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}
static inline void u8(struct mb *m, unsigned v)
{
	uint8_t x = (uint8_t)v;
	put(m, &x, 1);
}
static inline void u16(struct mb *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v);
}
static inline void u32(struct mb *m, uint32_t v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}

/* An MRT record of TABLE_DUMP_V2 subtype sub around body. */
static inline void rec(struct mb *out, unsigned sub, const struct mb *body)
{
	u32(out, 1700000000);
	u16(out, 13);
	u16(out, sub);
	u32(out, (uint32_t)body->n);
	put(out, body->b, body->n);
}

/* An attribute (extended length when ext). */
static inline void attr(struct mb *m, unsigned type, const struct mb *v, int ext)
{
	u8(m, ext ? 0x50 : 0x40);
	u8(m, type);
	if (ext)
		u16(m, (unsigned)v->n);
	else
		u8(m, (unsigned)v->n);
	put(m, v->b, v->n);
}

/* A path segment of n ASNs of asz bytes. */
static inline void seg(struct mb *m, unsigned type, unsigned asz, const uint32_t *as, unsigned n)
{
	u8(m, type);
	u8(m, n);
	for (unsigned i = 0; i < n; i++)
		asz == 4 ? u32(m, as[i]) : u16(m, as[i]);
}

/* A RIB entry of peer with the attributes in a. */
static inline void entry(struct mb *m, unsigned peer, const struct mb *a)
{
	u16(m, peer);
	u32(m, 1700000000);
	u16(m, (unsigned)a->n);
	put(m, a->b, a->n);
}

static inline void rib_head(struct mb *m, unsigned seq, const uint8_t *pfx, unsigned len, unsigned entries)
{
	u32(m, seq);
	u8(m, len);
	put(m, pfx, (len + 7) / 8);
	u16(m, entries);
}

#endif
