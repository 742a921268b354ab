#include "gen_sflow.h"

#include <string.h>

void gen_eth(struct gen_buf *g, uint64_t dst, uint64_t src, uint16_t etype)
{
	gen_u16(g, (uint16_t)(dst >> 32));
	gen_u32(g, (uint32_t)dst);
	gen_u16(g, (uint16_t)(src >> 32));
	gen_u32(g, (uint32_t)src);
	gen_u16(g, etype);
}

void gen_vlan(struct gen_buf *g, uint16_t tci, uint16_t next_etype)
{
	gen_u16(g, tci);
	gen_u16(g, next_etype);
}

void gen_mpls(struct gen_buf *g, uint32_t label, uint8_t tc, int bos, uint8_t ttl)
{
	gen_u32(g, label << 12 | (uint32_t)(tc & 7) << 9 | (bos ? 1u << 8 : 0) | ttl);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void gen_ipv4(struct gen_buf *g, const struct gen_ip4 *h, size_t payload_len)
{
	size_t start = g->len;
	size_t hl = 20 + 4u * h->opt_words;
	gen_u8(g, (uint8_t)(0x40 | hl / 4));
	gen_u8(g, h->tos);
	gen_u16(g, h->total_len ? h->total_len : (uint16_t)(hl + payload_len));
	gen_u16(g, h->id);
	gen_u16(g, (uint16_t)((h->flags & 7) << 13 | (h->frag_offset & 0x1fff)));
	gen_u8(g, h->ttl);
	gen_u8(g, h->proto);
	gen_u16(g, 0);
	gen_u32(g, h->src);
	gen_u32(g, h->dst);
	for (unsigned i = 0; i < h->opt_words; i++)
		gen_u32(g, 0x01010101); /* NOPs */
	gen_put16(g, start + 10, csum(g->p + start, hl));
}

void gen_ipv6(struct gen_buf *g, const struct gen_ip6 *h)
{
	gen_u32(g, 6u << 28 | (uint32_t)h->tclass << 20 | (h->flow_label & 0xfffff));
	gen_u16(g, h->payload_len);
	gen_u8(g, h->next);
	gen_u8(g, h->hlim);
	gen_bytes(g, h->src, 16);
	gen_bytes(g, h->dst, 16);
}

void gen_ipv6_ext(struct gen_buf *g, uint8_t next, size_t len8)
{
	gen_u8(g, next);
	gen_u8(g, (uint8_t)(len8 - 1));
	for (size_t i = 2; i < len8 * 8; i++)
		gen_u8(g, i == 2 ? 1 : 0); /* PadN-ish filler */
}

void gen_ipv6_frag(struct gen_buf *g, uint8_t next, uint16_t offset, int more, uint32_t id)
{
	gen_u8(g, next);
	gen_u8(g, 0);
	gen_u16(g, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	gen_u32(g, id);
}

void gen_tcp(struct gen_buf *g, uint16_t sport, uint16_t dport, uint8_t flags)
{
	gen_u16(g, sport);
	gen_u16(g, dport);
	gen_u32(g, 0x11223344); /* seq */
	gen_u32(g, 0x55667788); /* ack */
	gen_u8(g, 5 << 4);
	gen_u8(g, flags);
	gen_u16(g, 65535); /* window */
	gen_u16(g, 0);
	gen_u16(g, 0);
}

void gen_udp(struct gen_buf *g, uint16_t sport, uint16_t dport, size_t payload_len, uint16_t udp_len)
{
	gen_u16(g, sport);
	gen_u16(g, dport);
	gen_u16(g, udp_len ? udp_len : (uint16_t)(8 + payload_len));
	gen_u16(g, 0);
}

void gen_icmp(struct gen_buf *g, uint8_t type, uint8_t code)
{
	gen_u8(g, type);
	gen_u8(g, code);
	gen_u16(g, 0);
	gen_u32(g, 0x00010002); /* id, sequence */
}

static size_t l4_len(const struct gen_frame *f)
{
	switch (f->proto) {
	case 6: return 20;
	case 17: return 8;
	case 1:
	case 58: return 8;
	default: return 0;
	}
}

void gen_frame(struct gen_buf *g, const struct gen_frame *f)
{
	uint16_t l3 = f->mpls_label ? 0x8847 : f->v6 ? 0x86dd : 0x0800;
	uint16_t inner = f->vlan ? 0x8100 : l3;
	gen_eth(g, f->dst_mac, f->src_mac, f->outer_vlan ? 0x88a8 : inner);
	if (f->outer_vlan)
		gen_vlan(g, f->outer_vlan, inner);
	if (f->vlan)
		gen_vlan(g, f->vlan, l3);
	if (f->mpls_label)
		gen_mpls(g, f->mpls_label, 0, 1, 64);
	size_t pl = l4_len(f) + f->payload_len;
	if (f->v6) {
		struct gen_ip6 h = {
		    .next = f->proto, .tclass = f->tos, .hlim = f->ttl, .payload_len = (uint16_t)pl};
		memcpy(h.src, f->src, 16);
		memcpy(h.dst, f->dst, 16);
		gen_ipv6(g, &h);
	} else {
		struct gen_ip4 h = {
		    .proto = f->proto, .tos = f->tos, .ttl = f->ttl, .id = 0x1234, .flags = 2};
		h.src = (uint32_t)f->src[0] << 24 | (uint32_t)f->src[1] << 16 | (uint32_t)f->src[2] << 8 |
			f->src[3];
		h.dst = (uint32_t)f->dst[0] << 24 | (uint32_t)f->dst[1] << 16 | (uint32_t)f->dst[2] << 8 |
			f->dst[3];
		gen_ipv4(g, &h, pl);
	}
	if (f->proto == 6)
		gen_tcp(g, f->sport, f->dport, f->tcp_flags);
	else if (f->proto == 17)
		gen_udp(g, f->sport, f->dport, f->payload_len, 0);
	else if (f->proto == 1 || f->proto == 58)
		gen_icmp(g, f->icmp_type, f->icmp_code);
	for (size_t i = 0; i < f->payload_len; i++)
		gen_u8(g, f->payload ? f->payload[i] : 0);
}

/* ---- sFlow v5 ---- */

static void put_addr(struct gen_buf *g, const struct ofd_ip *ip)
{
	if (ip->family == OFD_AF_INET6) {
		gen_u32(g, 2);
		gen_bytes(g, ip->b, 16);
	} else if (ip->family == OFD_AF_INET) {
		gen_u32(g, 1);
		gen_bytes(g, ip->b + 12, 4);
	} else {
		gen_u32(g, 0);
	}
}

void gen_sflow_begin(struct gen_sflow *s, struct gen_buf *g, const struct gen_sflow_hdr *h)
{
	memset(s, 0, sizeof(*s));
	s->g = g;
	gen_u32(g, 5);
	put_addr(g, &h->agent);
	gen_u32(g, h->sub_agent);
	gen_u32(g, h->seq);
	gen_u32(g, h->uptime_ms);
	s->nsamples_off = g->len;
	gen_u32(g, 0);
}

void gen_sflow_end(struct gen_sflow *s)
{
	gen_put32(s->g, s->nsamples_off, s->nsamples);
}

static void sample_begin(struct gen_sflow *s, uint32_t tag)
{
	gen_u32(s->g, tag);
	s->sample_off = s->g->len;
	gen_u32(s->g, 0);
	s->nrec = 0;
	s->nsamples++;
}

void gen_sflow_flow_begin(struct gen_sflow *s, const struct gen_sflow_fs *fs)
{
	struct gen_buf *g = s->g;
	sample_begin(s, fs->expanded ? 3 : 1);
	gen_u32(g, fs->seq);
	if (fs->expanded) {
		gen_u32(g, fs->src_type);
		gen_u32(g, fs->src_index);
	} else {
		gen_u32(g, fs->src_type << 24 | (fs->src_index & 0xffffff));
	}
	gen_u32(g, fs->rate);
	gen_u32(g, fs->pool);
	gen_u32(g, fs->drops);
	if (fs->expanded) {
		gen_u32(g, fs->in_fmt);
		gen_u32(g, fs->in);
		gen_u32(g, fs->out_fmt);
		gen_u32(g, fs->out);
	} else {
		gen_u32(g, fs->in_fmt << 30 | (fs->in & 0x3fffffff));
		gen_u32(g, fs->out_fmt << 30 | (fs->out & 0x3fffffff));
	}
	s->nrec_off = g->len;
	gen_u32(g, 0);
}

void gen_sflow_counter_begin(struct gen_sflow *s, int expanded, uint32_t seq, uint32_t src_type,
			     uint32_t src_index)
{
	struct gen_buf *g = s->g;
	sample_begin(s, expanded ? 4 : 2);
	gen_u32(g, seq);
	if (expanded) {
		gen_u32(g, src_type);
		gen_u32(g, src_index);
	} else {
		gen_u32(g, src_type << 24 | (src_index & 0xffffff));
	}
	s->nrec_off = g->len;
	gen_u32(g, 0);
}

void gen_sflow_sample_end(struct gen_sflow *s)
{
	gen_put32(s->g, s->sample_off, (uint32_t)(s->g->len - s->sample_off - 4));
	gen_put32(s->g, s->nrec_off, s->nrec);
}

void gen_sflow_sample_opaque(struct gen_sflow *s, uint32_t tag, const void *body, size_t len)
{
	gen_u32(s->g, tag);
	gen_u32(s->g, (uint32_t)len);
	gen_bytes(s->g, body, len);
	s->nsamples++;
}

/* Record header; returns the offset of its length field, filled by rec_end. */
static size_t rec_begin(struct gen_sflow *s, uint32_t tag)
{
	gen_u32(s->g, tag);
	size_t off = s->g->len;
	gen_u32(s->g, 0);
	s->nrec++;
	return off;
}

static void rec_end(struct gen_sflow *s, size_t off)
{
	gen_put32(s->g, off, (uint32_t)(s->g->len - off - 4));
}

void gen_sflow_rec_raw(struct gen_sflow *s, uint32_t proto, uint32_t frame_len, uint32_t stripped,
		       const uint8_t *hdr, size_t hlen)
{
	size_t off = rec_begin(s, 1);
	gen_u32(s->g, proto);
	gen_u32(s->g, frame_len);
	gen_u32(s->g, stripped);
	gen_u32(s->g, (uint32_t)hlen);
	gen_bytes(s->g, hdr, hlen);
	while ((s->g->len - off) % 4)
		gen_u8(s->g, 0);
	rec_end(s, off);
}

static void put_mac(struct gen_buf *g, uint64_t mac)
{
	gen_u16(g, (uint16_t)(mac >> 32));
	gen_u32(g, (uint32_t)mac);
	gen_u16(g, 0); /* XDR padding */
}

void gen_sflow_rec_eth(struct gen_sflow *s, uint32_t len, uint64_t src_mac, uint64_t dst_mac, uint32_t type)
{
	size_t off = rec_begin(s, 2);
	gen_u32(s->g, len);
	put_mac(s->g, src_mac);
	put_mac(s->g, dst_mac);
	gen_u32(s->g, type);
	rec_end(s, off);
}

void gen_sflow_rec_ip(struct gen_sflow *s, const struct gen_sflow_ip *ip)
{
	int v6 = ip->src.family == OFD_AF_INET6;
	size_t off = rec_begin(s, v6 ? 4 : 3);
	gen_u32(s->g, ip->len);
	gen_u32(s->g, ip->proto);
	gen_bytes(s->g, v6 ? ip->src.b : ip->src.b + 12, v6 ? 16 : 4);
	gen_bytes(s->g, v6 ? ip->dst.b : ip->dst.b + 12, v6 ? 16 : 4);
	gen_u32(s->g, ip->sport);
	gen_u32(s->g, ip->dport);
	gen_u32(s->g, ip->tcp_flags);
	gen_u32(s->g, ip->tos);
	rec_end(s, off);
}

void gen_sflow_rec_switch(struct gen_sflow *s, uint32_t src_vlan, uint32_t src_prio, uint32_t dst_vlan,
			  uint32_t dst_prio)
{
	size_t off = rec_begin(s, 1001);
	gen_u32(s->g, src_vlan);
	gen_u32(s->g, src_prio);
	gen_u32(s->g, dst_vlan);
	gen_u32(s->g, dst_prio);
	rec_end(s, off);
}

void gen_sflow_rec_router(struct gen_sflow *s, const struct ofd_ip *nh, uint32_t src_mask, uint32_t dst_mask)
{
	size_t off = rec_begin(s, 1002);
	put_addr(s->g, nh);
	gen_u32(s->g, src_mask);
	gen_u32(s->g, dst_mask);
	rec_end(s, off);
}

void gen_sflow_rec_gateway(struct gen_sflow *s, const struct ofd_ip *nh, uint32_t as, uint32_t src_as,
			   uint32_t src_peer_as, const uint32_t *segs, uint32_t nseg, const uint32_t *path)
{
	size_t off = rec_begin(s, 1003);
	put_addr(s->g, nh);
	gen_u32(s->g, as);
	gen_u32(s->g, src_as);
	gen_u32(s->g, src_peer_as);
	gen_u32(s->g, nseg);
	for (uint32_t i = 0, k = 0; i < nseg; i++) {
		gen_u32(s->g, 2); /* AS_SEQUENCE */
		gen_u32(s->g, segs[i]);
		for (uint32_t j = 0; j < segs[i]; j++)
			gen_u32(s->g, path[k++]);
	}
	gen_u32(s->g, 1); /* communities */
	gen_u32(s->g, 0xfde80001);
	gen_u32(s->g, 100); /* localpref */
	rec_end(s, off);
}

void gen_sflow_rec_if_counters(struct gen_sflow *s, uint32_t ifindex, uint64_t in_octets, uint64_t out_octets)
{
	size_t off = rec_begin(s, 1);
	gen_u32(s->g, ifindex);
	gen_u32(s->g, 6);	   /* ifType ethernetCsmacd */
	gen_u64(s->g, 1000000000); /* ifSpeed */
	gen_u32(s->g, 1);	   /* ifDirection full-duplex */
	gen_u32(s->g, 3);	   /* ifStatus up/up */
	gen_u64(s->g, in_octets);
	for (int i = 0; i < 5; i++)
		gen_u32(s->g, (uint32_t)i); /* in ucast, mcast, bcast, discards, errors */
	gen_u32(s->g, 0);		    /* in unknown protos */
	gen_u64(s->g, out_octets);
	for (int i = 0; i < 5; i++)
		gen_u32(s->g, (uint32_t)i); /* out ucast, mcast, bcast, discards, errors */
	gen_u32(s->g, 0);		    /* promiscuous mode */
	rec_end(s, off);
}

void gen_sflow_rec_opaque(struct gen_sflow *s, uint32_t tag, const void *body, size_t len)
{
	size_t off = rec_begin(s, tag);
	gen_bytes(s->g, body, len);
	rec_end(s, off);
}

void gen_sflow_simple(struct gen_buf *g, const struct gen_sflow_hdr *h, const struct gen_sflow_fs *fs,
		      const struct gen_frame *f, uint32_t frame_len)
{
	struct gen_buf fr = {0};
	gen_frame(&fr, f);
	struct gen_sflow s;
	gen_sflow_begin(&s, g, h);
	gen_sflow_flow_begin(&s, fs);
	gen_sflow_rec_raw(&s, 1, frame_len ? frame_len : (uint32_t)fr.len + 4, 4, fr.p, fr.len);
	gen_sflow_sample_end(&s);
	gen_sflow_end(&s);
	gen_free(&fr);
}
