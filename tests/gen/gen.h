/* Builders of export datagrams for tests, fuzz seeds and benchmarks. */
#ifndef OFD_GEN_H
#define OFD_GEN_H

#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer with big-endian appenders (test code: aborts on allocation failure). */
struct gen_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

void gen_reset(struct gen_buf *g);
void gen_free(struct gen_buf *g);
void gen_u8(struct gen_buf *g, uint8_t v);
void gen_u16(struct gen_buf *g, uint16_t v);
void gen_u32(struct gen_buf *g, uint32_t v);
void gen_u64(struct gen_buf *g, uint64_t v);
void gen_bytes(struct gen_buf *g, const void *p, size_t n);
/* Overwrite a big-endian u16 at offset (for length fields filled in afterwards). */
void gen_put16(struct gen_buf *g, size_t off, uint16_t v);
void gen_put32(struct gen_buf *g, size_t off, uint32_t v);

#endif
