/* NetFlow v5 datagrams built in code. */
#ifndef OFD_GEN_NF5_H
#define OFD_GEN_NF5_H

#include "gen.h"

struct gen_nf5_hdr {
	uint32_t uptime_ms;
	uint32_t unix_secs;
	uint32_t unix_nsecs;
	uint32_t sequence;
	uint8_t engine_type;
	uint8_t engine_id;
	uint16_t sampling; /* raw field: mode in the top two bits */
};

struct gen_nf5_rec {
	uint32_t src, dst, nexthop;
	uint16_t in_if, out_if;
	uint32_t packets, bytes, first, last;
	uint16_t src_port, dst_port;
	uint8_t tcp_flags, proto, tos;
	uint16_t src_as, dst_as;
	uint8_t src_mask, dst_mask;
};

/* Header with count n, then the n records. */
void gen_nf5(struct gen_buf *g, const struct gen_nf5_hdr *h, const struct gen_nf5_rec *r, unsigned n);

#endif
