#include "flowfmt.h"

#include <string.h>

#include "util/utf8.h"

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

void ofd_fmt_csv_header(struct ofd_wbuf *w)
{
	ofd_wbuf_reserve(w);
	for (int i = 0; i < NFIELDS; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_wbuf_mem(w, ofd_fmt_fields[i].name, ofd_fmt_fields[i].name_len);
	}
	ofd_wbuf_ch(w, '\n');
}

void ofd_fmt_csv(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	ofd_wbuf_reserve(w);
	for (int i = 0; i < NFIELDS; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_fmt_fields[i].put(w, f, 0);
	}
	ofd_wbuf_ch(w, '\n');
}

/* ---- enriched fields ---------------------------------------------------------------------- */

/* JSON string body: escapes quote, backslash and control bytes; invalid UTF-8 becomes '?'. */
static void put_json_text(struct ofd_wbuf *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') {
			ofd_wbuf_ch(w, '\\');
			ofd_wbuf_ch(w, (char)c);
			i++;
		} else if (c < 0x20) {
			ofd_wbuf_lit(w, "\\u00");
			ofd_wbuf_ch(w, hex[c >> 4]);
			ofd_wbuf_ch(w, hex[c & 15]);
			i++;
		} else {
			size_t len = ofd_utf8_decode(s + i, n - i, NULL);
			if (!len) {
				ofd_wbuf_ch(w, '?');
				i++;
			} else {
				ofd_wbuf_mem(w, (const char *)s + i, len);
				i += len;
			}
		}
	}
}

/* A string field: JSON-escaped and quoted (quote), or a CSV cell quoted when it must be. */
static void put_text(struct ofd_wbuf *w, const char *s, size_t n, int quote)
{
	if (!s)
		s = "", n = 0;
	if (n > OFD_FMT_TEXT_MAX) {
		n = OFD_FMT_TEXT_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
			n--;
	}
	if (quote) {
		ofd_wbuf_ch(w, '"');
		put_json_text(w, (const unsigned char *)s, n);
		ofd_wbuf_ch(w, '"');
		return;
	}
	if (n == 0 ||
	    (!memchr(s, '"', n) && !memchr(s, ',', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n))) {
		ofd_wbuf_mem(w, s, n);
		return;
	}
	ofd_wbuf_ch(w, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			ofd_wbuf_ch(w, '"');
		ofd_wbuf_ch(w, s[i]);
	}
	ofd_wbuf_ch(w, '"');
}

const char *ofd_rpki_name(unsigned rpki)
{
	switch (rpki) {
	case OFD_RPKI_VALID: return "valid";
	case OFD_RPKI_INVALID: return "invalid";
	case OFD_RPKI_NOTFOUND: return "notfound";
	default: return "unknown";
	}
}

#define STR(field)                                                                                           \
	static void put_##field(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                     \
	{                                                                                                    \
		put_text(w, f->field, f->field ? strlen(f->field) : 0, quote);                               \
	}
#define CC(field)                                                                                            \
	static void put_##field(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                     \
	{                                                                                                    \
		put_text(w, f->field, f->field[0] ? 2 : 0, quote);                                           \
	}

STR(in_if_name)
STR(in_if_desc)
STR(out_if_name)
STR(out_if_desc)
NUM(in_if_speed)
NUM(out_if_speed)
NUM(src_cid)
NUM(dst_cid)
NUM(src_vrf)
NUM(dst_vrf)
NUM(med)
NUM(local_pref)
NUM(flow_direction)
NUM(normalized)
CC(src_country)
CC(dst_country)

/* JSON: [64496,64511]; CSV: 64496 64511 (space-separated, one cell). */
static void put_as_path(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	unsigned n = f->as_path_len > OFD_AS_PATH_MAX ? OFD_AS_PATH_MAX : f->as_path_len;
	if (quote)
		ofd_wbuf_ch(w, '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, quote ? ',' : ' ');
		ofd_wbuf_u64(w, f->as_path[i]);
	}
	if (quote)
		ofd_wbuf_ch(w, ']');
}

static void put_rpki(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)
{
	const char *s = ofd_rpki_name(f->rpki);
	put_str(w, s, strlen(s), quote);
}

/* clang-format off */
#define F(name) {#name, sizeof(#name) - 1, ",\"" #name "\":", sizeof(#name) + 3, put_##name}
/* in enum ofd_field order, from OFD_F_IN_IF_NAME */
static const struct ofd_fmt_field fmt_enriched[] = {
    F(in_if_name),
    F(in_if_desc),
    F(in_if_speed),
    F(out_if_name),
    F(out_if_desc),
    F(out_if_speed),
    F(src_cid),
    F(dst_cid),
    F(src_vrf),
    F(dst_vrf),
    F(med),
    F(local_pref),
    F(as_path),
    F(src_country),
    F(dst_country),
    F(flow_direction),
    F(normalized),
    F(rpki),
};
#undef F
/* clang-format on */

_Static_assert(OFD_F_IN_IF_NAME == 44 && OFD_F__COUNT == 44 + sizeof(fmt_enriched) / sizeof(fmt_enriched[0]),
	       "ofd_fmt_fields and fmt_enriched must follow enum ofd_field");

const struct ofd_fmt_field *ofd_fmt_field_get(unsigned id)
{
	if (id < OFD_F_IN_IF_NAME)
		return &ofd_fmt_fields[id];
	if (id < OFD_F__COUNT)
		return &fmt_enriched[id - OFD_F_IN_IF_NAME];
	return NULL;
}

/* Lower-case name without underscores into out (cap bytes); 0 when it does not fit. */
static int fold_name(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (n + 1 >= cap)
			return 0;
		out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + ('a' - 'A') : *s);
	}
	out[n] = 0;
	return 1;
}

int ofd_fmt_field_id(const char *name)
{
	static const struct {
		const char *alias; /* folded */
		int id;
	} aliases[] = {
	    {"srcifname", OFD_F_IN_IF_NAME},   {"srcifdesc", OFD_F_IN_IF_DESC},
	    {"srcifspeed", OFD_F_IN_IF_SPEED}, {"dstifname", OFD_F_OUT_IF_NAME},
	    {"dstifdesc", OFD_F_OUT_IF_DESC},  {"dstifspeed", OFD_F_OUT_IF_SPEED},
	};
	for (unsigned id = 0; id < OFD_F__COUNT; id++)
		if (strcmp(ofd_fmt_field_get(id)->name, name) == 0)
			return (int)id;
	char want[64], have[64];
	if (!fold_name(name, want, sizeof(want)) || !want[0])
		return -1;
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		if (!fold_name(ofd_fmt_field_get(id)->name, have, sizeof(have)))
			continue;
		if (strcmp(have, want) == 0)
			return (int)id;
		size_t hl = strlen(have);
		if (hl > 2 && strcmp(have + hl - 2, "ns") == 0 && strlen(want) == hl - 2 &&
		    strncmp(have, want, hl - 2) == 0)
			return (int)id;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, want) == 0)
			return aliases[i].id;
	return -1;
}

void ofd_fmt_json_enriched(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	uint64_t extra = f->present & OFD_FMT_ENRICHED_MASK;
	if (!extra) {
		ofd_fmt_json(w, f);
		return;
	}
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '{');
	for (int i = 0; i < NFIELDS; i++) {
		const struct ofd_fmt_field *d = &ofd_fmt_fields[i];
		unsigned skip = i == 0;
		memcpy(w->buf + w->len, d->json_key + skip, sizeof(d->json_key) - 1);
		w->len += d->json_key_len - skip;
		d->put(w, f, 1);
	}
	for (unsigned id = OFD_F_IN_IF_NAME; id < OFD_F__COUNT; id++) {
		if (!(extra & OFD_BIT(id)))
			continue;
		/* one enriched field takes at most 6 * OFD_FMT_TEXT_MAX + 40 bytes: room per field */
		ofd_wbuf_reserve(w);
		const struct ofd_fmt_field *d = &fmt_enriched[id - OFD_F_IN_IF_NAME];
		ofd_wbuf_mem(w, d->json_key, d->json_key_len);
		d->put(w, f, 1);
	}
	ofd_wbuf_lit(w, "}\n");
}

void ofd_fmt_csv_ids_header(struct ofd_wbuf *w, const uint8_t *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		ofd_wbuf_reserve(w);
		const struct ofd_fmt_field *d = ofd_fmt_field_get(ids[i]);
		if (i)
			ofd_wbuf_ch(w, ',');
		if (d)
			ofd_wbuf_mem(w, d->name, d->name_len);
	}
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '\n');
}

void ofd_fmt_csv_ids(struct ofd_wbuf *w, const struct ofd_flow *f, const uint8_t *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		/* one cell is at most a few hundred bytes: reserving per cell bounds any field list */
		ofd_wbuf_reserve(w);
		const struct ofd_fmt_field *d = ofd_fmt_field_get(ids[i]);
		if (i)
			ofd_wbuf_ch(w, ',');
		if (d)
			d->put(w, f, 0);
	}
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '\n');
}
