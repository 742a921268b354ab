/*
 * Bounds-checked big-endian reader over network bytes.
 *
 * Every load checks first; a short read sets the sticky `err` flag, returns 0 and never moves
 * past `end`. Callers decode a whole structure and test `err` once at the end.
 */
#ifndef OFD_RD_H
#define OFD_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ofd_rd {
	const uint8_t *p;
	const uint8_t *end;
	int err;
};

static inline struct ofd_rd ofd_rd_make(const void *p, size_t len)
{
	struct ofd_rd r = {(const uint8_t *)p, (const uint8_t *)p + len, 0};
	return r;
}

static inline size_t ofd_rd_left(const struct ofd_rd *r)
{
	return (size_t)(r->end - r->p);
}

/* True if n bytes can be read; otherwise sets err. */
static inline int ofd_rd_need(struct ofd_rd *r, size_t n)
{
	if (r->err || ofd_rd_left(r) < n) {
		r->err = 1;
		r->p = r->end;
		return 0;
	}
	return 1;
}

static inline uint8_t ofd_rd_u8(struct ofd_rd *r)
{
	if (!ofd_rd_need(r, 1))
		return 0;
	return *r->p++;
}

static inline uint16_t ofd_rd_u16(struct ofd_rd *r)
{
	if (!ofd_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((uint16_t)r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static inline uint32_t ofd_rd_u32(struct ofd_rd *r)
{
	if (!ofd_rd_need(r, 4))
		return 0;
	uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return v;
}

static inline uint64_t ofd_rd_u64(struct ofd_rd *r)
{
	uint64_t hi = ofd_rd_u32(r);
	return hi << 32 | ofd_rd_u32(r);
}

/* Copy n bytes out; zero-fills dst on a short read. */
static inline void ofd_rd_bytes(struct ofd_rd *r, void *dst, size_t n)
{
	if (!ofd_rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
}

static inline void ofd_rd_skip(struct ofd_rd *r, size_t n)
{
	if (ofd_rd_need(r, n))
		r->p += n;
}

/* Split off a sub-reader of n bytes and advance past them. */
static inline struct ofd_rd ofd_rd_sub(struct ofd_rd *r, size_t n)
{
	struct ofd_rd s = {r->p, r->p, 0};
	if (!ofd_rd_need(r, n)) {
		s.err = 1;
		return s;
	}
	s.end = r->p + n;
	r->p += n;
	return s;
}

/* Fixed loads from raw memory (no bounds check: the caller checked the whole structure). */
static inline uint16_t ofd_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t ofd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ofd_be64(const uint8_t *p)
{
	return (uint64_t)ofd_be32(p) << 32 | ofd_be32(p + 4);
}

/* Unsigned big-endian integer of 1..8 bytes from raw memory (no bounds check: caller checked). */
static inline uint64_t ofd_be_uint(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

#endif
