/*
 * Byte-vector builders for the BGP and BMP codec tests (tests/unit/test_bgp_msg.c,
 * test_bmp.c): messages written field by field, so each test states the bytes it checks.
 * With BGPMSG_SEED_DIR set, vec_seed() also writes each vector there (fuzz seed corpora).
 */
#ifndef OFD_TEST_BGP_VEC_H
#define OFD_TEST_BGP_VEC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vec {
	uint8_t d[70000];
	size_t n;
};

static inline void v_u8(struct vec *v, unsigned x)
{
	v->d[v->n++] = (uint8_t)x;
}
static inline void v_u16(struct vec *v, unsigned x)
{
	v_u8(v, x >> 8);
	v_u8(v, x);
}
static inline void v_u32(struct vec *v, uint32_t x)
{
	v_u16(v, x >> 16);
	v_u16(v, x & 0xffff);
}
static inline void v_bytes(struct vec *v, const void *p, size_t n)
{
	if (n)
		memcpy(v->d + v->n, p, n);
	v->n += n;
}
/* patch a 16-bit length at off */
static inline void v_put16(struct vec *v, size_t off, unsigned x)
{
	v->d[off] = (uint8_t)(x >> 8);
	v->d[off + 1] = (uint8_t)x;
}

/* A path attribute: flags, type, then n bytes (extended length when flags has 0x10). */
static inline void v_attr(struct vec *v, unsigned flags, unsigned type, const void *p, size_t n)
{
	v_u8(v, flags);
	v_u8(v, type);
	if (flags & 0x10)
		v_u16(v, (unsigned)n);
	else
		v_u8(v, (unsigned)n);
	v_bytes(v, p, n);
}

/* A BGP message of a type around a body. */
static inline void v_msg(struct vec *out, unsigned type, const uint8_t *body, size_t n)
{
	out->n = 0;
	memset(out->d, 0xff, 16);
	out->n = 16;
	v_u16(out, (unsigned)(19 + n));
	v_u8(out, type);
	v_bytes(out, body, n);
}

/* An UPDATE from withdrawn routes, attributes and NLRI. */
static inline void v_update(struct vec *out, const struct vec *wd, const struct vec *attrs,
			    const struct vec *nlri)
{
	static struct vec body;
	body.n = 0;
	v_u16(&body, wd ? (unsigned)wd->n : 0);
	if (wd)
		v_bytes(&body, wd->d, wd->n);
	v_u16(&body, attrs ? (unsigned)attrs->n : 0);
	if (attrs)
		v_bytes(&body, attrs->d, attrs->n);
	if (nlri)
		v_bytes(&body, nlri->d, nlri->n);
	v_msg(out, 2, body.d, body.n);
}

static inline void vec_seed(const char *name, const uint8_t *p, size_t n)
{
	const char *dir = getenv("BGPMSG_SEED_DIR");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

#endif
