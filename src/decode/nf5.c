/*
 * NetFlow v5: a 24-byte header and up to 30 fixed 48-byte records.
 *
 * Flow times are router uptime in ms; they become wall-clock ns through the header's export
 * time (unix_secs, unix_nsecs) and its sysUptime. Unsigned 32-bit differences make the uptime
 * wrap after 49.7 days harmless.
 */
#include "decode.h"
#include "ofd/rd.h"

#define NF5_HDR_LEN 24
#define NF5_REC_LEN 48

static void nf5_record(struct ofd_flow *f, const uint8_t *p, uint64_t export_ns, uint32_t uptime_ms)
{
	ofd_ip_set4(&f->src_addr, p);
	ofd_ip_set4(&f->dst_addr, p + 4);
	ofd_ip_set4(&f->next_hop, p + 8);
	f->in_if = ofd_be16(p + 12);
	f->out_if = ofd_be16(p + 14);
	f->packets = ofd_be32(p + 16);
	f->bytes = ofd_be32(p + 20);
	uint32_t first = ofd_be32(p + 24), last = ofd_be32(p + 28);
	f->time_flow_start_ns = export_ns - (uint64_t)(uint32_t)(uptime_ms - first) * 1000000u;
	f->time_flow_end_ns = export_ns - (uint64_t)(uint32_t)(uptime_ms - last) * 1000000u;
	f->src_port = ofd_be16(p + 32);
	f->dst_port = ofd_be16(p + 34);
	f->tcp_flags = p[37];
	f->proto = p[38];
	f->ip_tos = p[39];
	f->src_as = ofd_be16(p + 40);
	f->dst_as = ofd_be16(p + 42);
	f->src_net = p[44];
	f->dst_net = p[45];
	f->etype = 0x0800;
}

#define NF5_PRESENT                                                                                          \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SEQUENCE_NUM) |                     \
	 OFD_W0(OFD_F_SAMPLING_RATE) | OFD_W0(OFD_F_SAMPLER_ADDRESS) | OFD_W0(OFD_F_TIME_FLOW_START) |       \
	 OFD_W0(OFD_F_TIME_FLOW_END) | OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_PACKETS) |                         \
	 OFD_W0(OFD_F_SRC_ADDR) | OFD_W0(OFD_F_DST_ADDR) | OFD_W0(OFD_F_ETYPE) | OFD_W0(OFD_F_PROTO) |       \
	 OFD_W0(OFD_F_SRC_PORT) | OFD_W0(OFD_F_DST_PORT) | OFD_W0(OFD_F_IN_IF) | OFD_W0(OFD_F_OUT_IF) |      \
	 OFD_W0(OFD_F_IP_TOS) | OFD_W0(OFD_F_TCP_FLAGS) | OFD_W0(OFD_F_SRC_AS) | OFD_W0(OFD_F_DST_AS) |      \
	 OFD_W0(OFD_F_NEXT_HOP) | OFD_W0(OFD_F_SRC_NET) | OFD_W0(OFD_F_DST_NET) |                            \
	 OFD_W0(OFD_F_ENGINE_TYPE) | OFD_W0(OFD_F_ENGINE_ID))

int ofd_nf5_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	const uint8_t *h = dg->data;
	if (dg->len < NF5_HDR_LEN)
		return ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC, "NetFlow v5 header cut short");
	uint32_t count = ofd_be16(h + 2);
	uint32_t uptime_ms = ofd_be32(h + 4);
	uint64_t export_ns = (uint64_t)ofd_be32(h + 8) * 1000000000u + ofd_be32(h + 12) % 1000000000u;
	uint32_t seq = ofd_be32(h + 16);
	uint8_t engine_type = h[20], engine_id = h[21];
	uint32_t sampling = ofd_be16(h + 22) & 0x3fff; /* top two bits: sampling mode */

	size_t avail = (dg->len - NF5_HDR_LEN) / NF5_REC_LEN;
	uint32_t n = count <= avail ? count : (uint32_t)avail;
	const uint8_t *p = h + NF5_HDR_LEN;
	for (uint32_t i = 0; i < n; i++, p += NF5_REC_LEN) {
		struct ofd_flow *f = ofd_decode_add(d, b);
		f->present.w[0] = NF5_PRESENT; /* the record is zeroed: words 1.. stay 0 */
		f->type = OFD_FT_NETFLOW_V5;
		f->time_received_ns = dg->time_ns;
		f->sequence_num = seq;
		f->sampling_rate = sampling;
		f->sampler_address = dg->src;
		f->engine_type = engine_type;
		f->engine_id = engine_id;
		nf5_record(f, p, export_ns, uptime_ms);
		ofd_flow_icmp_from_port(f);
	}
	if (n < count) {
		ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC,
				"NetFlow v5 count exceeds the datagram");
		return (int)n;
	}
	if (count == 0 && dg->len > NF5_HDR_LEN)
		ofd_decode_drop(d, dg, OFD_DROP_BAD_LENGTH, OFD_EFORMAT,
				"NetFlow v5 count 0 with records following");
	return (int)n;
}
