#include "flowfmt.h"

#include <string.h>

static void put_str(struct ofd_wbuf *w, const char *s, size_t n, int quote)
{
	if (quote)
		ofd_wbuf_ch(w, '"');
	ofd_wbuf_mem(w, s, n);
	if (quote)
		ofd_wbuf_ch(w, '"');
}

static void put_ip(struct ofd_wbuf *w, const struct ofd_ip *ip, int quote)
{
	char buf[OFD_IP_STRLEN];
	int n = ofd_ip_str(ip, buf);
	put_str(w, buf, (size_t)n, quote);
}

static void put_mac(struct ofd_wbuf *w, uint64_t mac, int quote)
{
	static const char hex[] = "0123456789abcdef";
	char buf[17];
	for (int i = 0; i < 6; i++) {
		unsigned b = (unsigned)(mac >> (40 - 8 * i)) & 0xff;
		buf[3 * i] = hex[b >> 4];
		buf[3 * i + 1] = hex[b & 15];
		if (i < 5)
			buf[3 * i + 2] = ':';
	}
	put_str(w, buf, sizeof(buf), quote);
}

/* goflow2 renders src_net/dst_net as the masked network in CIDR form. */
static void put_net(struct ofd_wbuf *w, const struct ofd_ip *addr, unsigned len, int quote)
{
	struct ofd_ip net = *addr;
	if (net.family == OFD_AF_NONE)
		net.family = OFD_AF_INET, net.b[10] = net.b[11] = 0xff;
	unsigned bits = net.family == OFD_AF_INET ? 96 + (len > 32 ? 32 : len) : (len > 128 ? 128 : len);
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;
		if (lo >= bits)
			net.b[i] = 0;
		else if (bits - lo < 8)
			net.b[i] &= (uint8_t)(0xff << (8 - (bits - lo)));
	}
	char buf[OFD_IP_STRLEN + 4];
	int n = ofd_ip_str(&net, buf);
	buf[n++] = '/';
	if (len >= 100)
		buf[n++] = (char)('0' + len / 100);
	if (len >= 10)
		buf[n++] = (char)('0' + len / 10 % 10);
	buf[n++] = (char)('0' + len % 10);
	put_str(w, buf, (size_t)n, quote);
}

const char *ofd_etype_name(uint16_t etype)
{
	switch (etype) {
	case 0x0800: return "IPv4";
	case 0x86dd: return "IPv6";
	case 0x0806: return "ARP";
	default: return NULL;
	}
}

const char *ofd_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 41: return "IPv6";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "ICMPv6";
	case 89: return "OSPF";
	case 103: return "PIM";
	case 112: return "VRRP";
	case 132: return "SCTP";
	default: return NULL;
	}
}

static void put_named(struct ofd_wbuf *w, const char *name, uint64_t v, int quote)
{
	if (name) {
		put_str(w, name, strlen(name), quote);
		return;
	}
	if (quote)
		ofd_wbuf_ch(w, '"');
	ofd_wbuf_u64(w, v);
	if (quote)
		ofd_wbuf_ch(w, '"');
}

#define NUM(field)                                                                                           \
	static void put_##field(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                     \
	{                                                                                                    \
		(void)quote;                                                                                 \
		ofd_wbuf_u64(w, f->field);                                                                   \
	}
#define IP(field)                                                                                            \
	static void put_##field(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                     \
	{                                                                                                    \
		put_ip(w, &f->field, quote);                                                                 \
	}
#define MAC(field)                                                                                           \
	static void put_##field(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                     \
	{                                                                                                    \
		put_mac(w, f->field, quote);                                                                 \
	}

NUM(time_received_ns)
NUM(sequence_num)
NUM(sampling_rate)
NUM(time_flow_start_ns)
NUM(time_flow_end_ns)
NUM(bytes)
NUM(packets)
NUM(src_port)
NUM(dst_port)
NUM(in_if)
NUM(out_if)
NUM(src_vlan)
NUM(dst_vlan)
NUM(vlan_id)
NUM(ip_tos)
NUM(forwarding_status)
NUM(ip_ttl)
NUM(ip_flags)
NUM(tcp_flags)
NUM(icmp_type)
NUM(icmp_code)
NUM(ipv6_flow_label)
NUM(fragment_id)
NUM(fragment_offset)
NUM(src_as)
NUM(dst_as)
NUM(next_hop_as)
NUM(mpls_label)
NUM(observation_domain_id)
NUM(observation_point_id)
NUM(engine_type)
NUM(engine_id)
IP(sampler_address)
IP(src_addr)
IP(dst_addr)
IP(next_hop)
IP(bgp_next_hop)
MAC(src_mac)
MAC(dst_mac)

static void put_type(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	const char *s = ofd_flow_type_name(f->type);
	put_str(w, s, strlen(s), quote);
}

static void put_etype(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	put_named(w, ofd_etype_name(f->etype), f->etype, quote);
}

static void put_proto(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	put_named(w, ofd_proto_name(f->proto), f->proto, quote);
}

static void put_src_net(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	put_net(w, &f->src_addr, f->src_net, quote);
}

static void put_dst_net(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	put_net(w, &f->dst_addr, f->dst_net, quote);
}

/* clang-format off */
#define F(name) {#name, sizeof(#name) - 1, ",\"" #name "\":", sizeof(#name) + 3, put_##name}
const struct ofd_fmt_field ofd_fmt_fields[] = {
    F(type),
    F(time_received_ns),
    F(sequence_num),
    F(sampling_rate),
    F(sampler_address),
    F(time_flow_start_ns),
    F(time_flow_end_ns),
    F(bytes),
    F(packets),
    F(src_addr),
    F(dst_addr),
    F(etype),
    F(proto),
    F(src_port),
    F(dst_port),
    F(in_if),
    F(out_if),
    F(src_mac),
    F(dst_mac),
    F(src_vlan),
    F(dst_vlan),
    F(vlan_id),
    F(ip_tos),
    F(forwarding_status),
    F(ip_ttl),
    F(ip_flags),
    F(tcp_flags),
    F(icmp_type),
    F(icmp_code),
    F(ipv6_flow_label),
    F(fragment_id),
    F(fragment_offset),
    F(src_as),
    F(dst_as),
    F(next_hop),
    F(next_hop_as),
    F(src_net),
    F(dst_net),
    F(bgp_next_hop),
    F(mpls_label),
    F(observation_domain_id),
    F(observation_point_id),
    F(engine_type),
    F(engine_id),
    {NULL, 0, "", 0, NULL},
};
#undef F
/* clang-format on */

#define NFIELDS ((int)(sizeof(ofd_fmt_fields) / sizeof(ofd_fmt_fields[0])) - 1)

int ofd_fmt_field_find(const char *name)
{
	for (int i = 0; i < NFIELDS; i++)
		if (strcmp(ofd_fmt_fields[i].name, name) == 0)
			return i;
	return -1;
}

void ofd_fmt_json(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '{');
	for (int i = 0; i < NFIELDS; i++) {
		const struct ofd_fmt_field *d = &ofd_fmt_fields[i];
		/* copy the whole padded key: a fixed-size copy is two vector moves */
		unsigned skip = i == 0; /* no comma before the first key */
		memcpy(w->buf + w->len, d->json_key + skip, sizeof(d->json_key) - 1);
		w->len += d->json_key_len - skip;
		d->put(w, f, 1);
	}
	ofd_wbuf_lit(w, "}\n");
}

void ofd_fmt_csv_header(struct ofd_wbuf *w, const int *idx, int n)
{
	ofd_wbuf_reserve(w);
	int count = idx ? n : NFIELDS;
	for (int i = 0; i < count; i++) {
		const struct ofd_fmt_field *d = &ofd_fmt_fields[idx ? idx[i] : i];
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_wbuf_mem(w, d->name, d->name_len);
	}
	ofd_wbuf_ch(w, '\n');
}

void ofd_fmt_csv(struct ofd_wbuf *w, const struct ofd_flow *f, const int *idx, int n)
{
	ofd_wbuf_reserve(w);
	int count = idx ? n : NFIELDS;
	for (int i = 0; i < count; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_fmt_fields[idx ? idx[i] : i].put(w, f, 0);
	}
	ofd_wbuf_ch(w, '\n');
}
