/* Every UDP datagram of a capture, held in memory: input for benchmarks and tests. */
#ifndef OFD_GEN_LOAD_H
#define OFD_GEN_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

struct gen_dgrams {
	struct ofd_dgram *dg; /* dg[i].data points into bytes */
	uint8_t *bytes;
	size_t n, bytes_len;
};

/* Load every datagram of a capture (as ofd_pcapfile reads it). Returns 0 or -1. */
int gen_load(const char *path, struct gen_dgrams *s);
void gen_load_free(struct gen_dgrams *s);

/* CPU time of this process in seconds. */
double gen_cpu_now(void);

#endif
