#include "gen.h"

#include <stdlib.h>
#include <string.h>

static void grow(struct gen_buf *g, size_t n)
{
	if (g->len + n <= g->cap)
		return;
	size_t cap = g->cap ? g->cap * 2 : 256;
	while (cap < g->len + n)
		cap *= 2;
	uint8_t *p = realloc(g->p, cap);
	if (!p)
		abort();
	g->p = p;
	g->cap = cap;
}

void gen_reset(struct gen_buf *g)
{
	g->len = 0;
}

void gen_free(struct gen_buf *g)
{
	free(g->p);
	memset(g, 0, sizeof(*g));
}

void gen_bytes(struct gen_buf *g, const void *p, size_t n)
{
	if (!n)
		return;
	grow(g, n);
	memcpy(g->p + g->len, p, n);
	g->len += n;
}

void gen_u8(struct gen_buf *g, uint8_t v)
{
	gen_bytes(g, &v, 1);
}

void gen_u16(struct gen_buf *g, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	gen_bytes(g, b, 2);
}

void gen_u32(struct gen_buf *g, uint32_t v)
{
	gen_u16(g, (uint16_t)(v >> 16));
	gen_u16(g, (uint16_t)v);
}

void gen_u64(struct gen_buf *g, uint64_t v)
{
	gen_u32(g, (uint32_t)(v >> 32));
	gen_u32(g, (uint32_t)v);
}

void gen_put16(struct gen_buf *g, size_t off, uint16_t v)
{
	g->p[off] = (uint8_t)(v >> 8);
	g->p[off + 1] = (uint8_t)v;
}

void gen_put32(struct gen_buf *g, size_t off, uint32_t v)
{
	gen_put16(g, off, (uint16_t)(v >> 16));
	gen_put16(g, off + 2, (uint16_t)v);
}
