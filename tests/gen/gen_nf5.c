#include "gen_nf5.h"

void gen_nf5(struct gen_buf *g, const struct gen_nf5_hdr *h, const struct gen_nf5_rec *r, unsigned n)
{
	gen_u16(g, 5);
	gen_u16(g, (uint16_t)n);
	gen_u32(g, h->uptime_ms);
	gen_u32(g, h->unix_secs);
	gen_u32(g, h->unix_nsecs);
	gen_u32(g, h->sequence);
	gen_u8(g, h->engine_type);
	gen_u8(g, h->engine_id);
	gen_u16(g, h->sampling);
	for (unsigned i = 0; i < n; i++) {
		gen_u32(g, r[i].src);
		gen_u32(g, r[i].dst);
		gen_u32(g, r[i].nexthop);
		gen_u16(g, r[i].in_if);
		gen_u16(g, r[i].out_if);
		gen_u32(g, r[i].packets);
		gen_u32(g, r[i].bytes);
		gen_u32(g, r[i].first);
		gen_u32(g, r[i].last);
		gen_u16(g, r[i].src_port);
		gen_u16(g, r[i].dst_port);
		gen_u8(g, 0);
		gen_u8(g, r[i].tcp_flags);
		gen_u8(g, r[i].proto);
		gen_u8(g, r[i].tos);
		gen_u16(g, r[i].src_as);
		gen_u16(g, r[i].dst_as);
		gen_u8(g, r[i].src_mask);
		gen_u8(g, r[i].dst_mask);
		gen_u16(g, 0);
	}
}
