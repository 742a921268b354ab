/*
 * addrstrings: adds the text forms of the addresses that are set, as flowpipeline's
 * addrstrings segment does (it has no configuration):
 *
 *   - segment: addrstrings
 *
 *   source_ip (SourceIP)           from src_addr         an address is set when it has a family
 *   destination_ip (DestinationIP) from dst_addr
 *   next_hop_ip (NextHopIP)        from next_hop
 *   sampler_ip (SamplerIP)         from sampler_address
 *   source_mac (SourceMAC)         from src_mac          a MAC is set when it is not 0
 *   destination_mac (DestinationMAC) from dst_mac
 *
 * Addresses are written as Go's net/netip writes them (what flowpipeline prints): IPv4 dotted,
 * IPv6 per RFC 5952 (lowercase, the first longest run of two or more zero words as "::",
 * "::ffff:a.b.c.d" for an IPv4-mapped IPv6 address, but no dotted form for the deprecated
 * IPv4-compatible ::a.b.c.d, which glibc's inet_ntop would write); MACs as aa:bb:cc:dd:ee:ff.
 * The strings go into the batch's arena; when it is full the field stays unset and is counted
 * (arena_full). Meant to be followed by dropfields that removes the binary fields.
 */
#include <stddef.h>
#include <stdint.h>

#include "format/wbuf.h"
#include "ofd/segment.h"

enum { C_ARENA_FULL };
static const char *const addrstrings_counters[] = {"arena_full", NULL};

/* The text of an address with a family into buf (at least 64 bytes); its length. */
static size_t ip_text(char *buf, const struct ofd_ip *a)
{
	char *p;
	if (a->family == OFD_AF_INET) {
		p = ofd_wbuf_put_ip4(buf, a->b + 12);
	} else {
		static const uint8_t zero12[12];
		if (memcmp(a->b, zero12, 12) == 0 && (a->b[12] | a->b[13])) {
			/* ::w6:w7, where inet_ntop would write ::a.b.c.d */
			static const char hex[] = "0123456789abcdef";
			p = buf;
			*p++ = ':';
			*p++ = ':';
			for (int w = 6; w < 8; w++) {
				unsigned v = (unsigned)a->b[2 * w] << 8 | a->b[2 * w + 1];
				int started = 0;
				for (int sh = 12; sh >= 0; sh -= 4) {
					unsigned d = v >> sh & 15;
					if (d || started || sh == 0) {
						*p++ = hex[d];
						started = 1;
					}
				}
				if (w == 6)
					*p++ = ':';
			}
		} else {
			p = ofd_wbuf_put_ip6(buf, a->b);
		}
	}
	return (size_t)(p - buf);
}

/* Set the string field id of f to text[0..len) in b's arena; 0, or 1 when the arena is full. */
static unsigned put(struct ofd_batch *b, struct ofd_flow *f, const char **field, unsigned id,
		    const char *text, size_t len)
{
	const char *s = ofd_batch_strdup(b, text, len);
	if (!s)
		return 1;
	*field = s;
	ofd_flow_set(f, id);
	return 0;
}

static void addrstrings_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	(void)state;
	unsigned full = 0;
	char buf[64];
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		if (f->src_addr.family)
			full += put(b, f, &f->source_ip, OFD_F_SOURCE_IP, buf, ip_text(buf, &f->src_addr));
		if (f->dst_addr.family)
			full += put(b, f, &f->destination_ip, OFD_F_DESTINATION_IP, buf,
				    ip_text(buf, &f->dst_addr));
		if (f->next_hop.family)
			full +=
			    put(b, f, &f->next_hop_ip, OFD_F_NEXT_HOP_IP, buf, ip_text(buf, &f->next_hop));
		if (f->sampler_address.family)
			full += put(b, f, &f->sampler_ip, OFD_F_SAMPLER_IP, buf,
				    ip_text(buf, &f->sampler_address));
		if (f->src_mac)
			full += put(b, f, &f->source_mac, OFD_F_SOURCE_MAC, buf,
				    (size_t)(ofd_wbuf_put_mac(buf, f->src_mac) - buf));
		if (f->dst_mac)
			full += put(b, f, &f->destination_mac, OFD_F_DESTINATION_MAC, buf,
				    (size_t)(ofd_wbuf_put_mac(buf, f->dst_mac) - buf));
	}
	if (full)
		ofd_segment_count(seg, C_ARENA_FULL, full);
}

const struct ofd_segment_type ofd_seg_addrstrings = {
    OFD_SEGMENT_VERSION,
    .name = "addrstrings",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary =
	"add text forms of the addresses: source_ip, destination_ip, next_hop_ip, sampler_ip, source_mac, "
	"destination_mac (SourceIP... as flowpipeline)",
    .counters = addrstrings_counters,
    .process = addrstrings_process,
};
