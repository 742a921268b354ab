#include "flowfmt.h"

#include <string.h>

#include "names.h"
#include "util/termtext.h"
#include "util/utf8.h"

static void put_str(struct ofd_wbuf *w, const char *s, size_t n, int quote)
{
	if (quote)
		ofd_wbuf_ch(w, '"');
	ofd_wbuf_mem(w, s, n);
	if (quote)
		ofd_wbuf_ch(w, '"');
}

/* An address at p: dotted quad, inet_ntop's IPv6 text, nothing for none; quoted when quote. */
static inline char *put_ip_at(char *p, const struct ofd_ip *ip, int quote)
{
	*p = '"';
	p += quote;
	if (ip->family == OFD_AF_INET)
		p = ofd_wbuf_put_ip4(p, ip->b + 12);
	else if (ip->family == OFD_AF_INET6)
		p = ofd_wbuf_put_ip6(p, ip->b);
	*p = '"';
	return p + quote;
}

static void put_ip(struct ofd_wbuf *w, const struct ofd_ip *ip, int quote)
{
	ofd_wbuf_set_end(w, put_ip_at(ofd_wbuf_end(w), ip, quote));
}

static inline char *put_mac_at(char *p, uint64_t mac, int quote)
{
	*p = '"';
	p = ofd_wbuf_put_mac(p + quote, mac);
	*p = '"';
	return p + quote;
}

static void put_mac(struct ofd_wbuf *w, uint64_t mac, int quote)
{
	ofd_wbuf_set_end(w, put_mac_at(ofd_wbuf_end(w), mac, quote));
}

/* goflow2 renders src_net/dst_net as the masked network in CIDR form. */
static char *put_net_at(char *p, const struct ofd_ip *addr, unsigned len, int quote)
{
	*p = '"';
	p += quote;
	if (addr->family != OFD_AF_INET6) { /* IPv4 (none: 0.0.0.0): mask the four bytes at once */
		uint32_t a = addr->family == OFD_AF_INET ? ofd_ip_v4(addr) : 0;
		uint32_t mask = len == 0 ? 0 : len >= 32 ? UINT32_MAX : UINT32_MAX << (32 - len);
		uint8_t b[4];
		a &= mask;
		b[0] = (uint8_t)(a >> 24), b[1] = (uint8_t)(a >> 16), b[2] = (uint8_t)(a >> 8),
		b[3] = (uint8_t)a;
		p = ofd_wbuf_put_ip4(p, b);
	} else {
		uint8_t b[16] = {0};
		unsigned bits = len > 128 ? 128 : len, full = bits / 8;
		memcpy(b, addr->b, full);
		if (bits % 8)
			b[full] = (uint8_t)(addr->b[full] & (0xff << (8 - bits % 8)));
		p = ofd_wbuf_put_ip6(p, b);
	}
	*p++ = '/';
	p = ofd_wbuf_put_u32(p, len);
	*p = '"';
	return p + quote;
}

static void put_net(struct ofd_wbuf *w, const struct ofd_ip *addr, unsigned len, int quote)
{
	ofd_wbuf_set_end(w, put_net_at(ofd_wbuf_end(w), addr, len, quote));
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

/* goflow2 writes "" for an etype it has no name for; so do we for 0 (no etype), the number for
   the others (so that the value survives). */
static void put_etype_name(struct ofd_wbuf *w, uint16_t etype, int quote)
{
	if (etype == 0)
		put_str(w, "", 0, quote);
	else
		put_named(w, ofd_etype_name(etype), etype, quote);
}

/* JSON string body: escapes quote, backslash, C0 controls, DEL and the C1 controls (so that
   the text is safe on a terminal too); invalid UTF-8 becomes '?'. */
static void put_json_text(struct ofd_wbuf *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		uint32_t cp = c;
		size_t len = 1;
		if (c == '"' || c == '\\') {
			ofd_wbuf_ch(w, '\\');
			ofd_wbuf_ch(w, (char)c);
		} else if (c >= 0x20 && c < 0x7f) {
			ofd_wbuf_ch(w, (char)c);
		} else if (c != 0x7f && c >= 0x20 && !(len = ofd_utf8_decode(s + i, n - i, &cp))) {
			ofd_wbuf_ch(w, '?');
			len = 1;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			ofd_wbuf_lit(w, "\\u00");
			ofd_wbuf_ch(w, hex[cp >> 4]);
			ofd_wbuf_ch(w, hex[cp & 15]);
		} else {
			ofd_wbuf_mem(w, (const char *)s + i, len);
		}
		i += len;
	}
}

void ofd_fmt_json_text(struct ofd_wbuf *w, const char *s, size_t n)
{
	put_json_text(w, (const unsigned char *)s, ofd_utf8_cut(s, n, OFD_FMT_TEXT_MAX));
}

/* A string field: JSON-escaped and quoted (quote), or a CSV cell quoted when it must be. */
static void put_text(struct ofd_wbuf *w, const char *s, size_t n, int quote)
{
	if (!s)
		s = "", n = 0;
	n = ofd_utf8_cut(s, n, OFD_FMT_TEXT_MAX);
	if (quote) {
		ofd_wbuf_ch(w, '"');
		put_json_text(w, (const unsigned char *)s, n);
		ofd_wbuf_ch(w, '"');
		return;
	}
	char esc[OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX)];
	if (!ofd_termtext_plain(s, n)) /* control characters, invalid UTF-8: escaped, as \x1b */
		n = ofd_termtext_escape(esc, sizeof(esc), s, n), s = esc;
	if (n == 0 || (!memchr(s, '"', n) && !memchr(s, ',', n))) {
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

/* Numbers as a list: JSON [1,2,3]; CSV 1 2 3 (space-separated, one cell). */
static void put_u32s(struct ofd_wbuf *w, const uint32_t *v, unsigned n, unsigned max, int quote)
{
	if (n > max)
		n = max;
	if (quote)
		ofd_wbuf_ch(w, '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, quote ? ',' : ' ');
		ofd_wbuf_u64(w, v[i]);
	}
	if (quote)
		ofd_wbuf_ch(w, ']');
}

/* Large communities as RFC 8092 text: JSON ["64496:1:2"]; CSV 64496:1:2 64496:3:4. */
static void put_lcomms(struct ofd_wbuf *w, const struct ofd_large_communities *c, int quote)
{
	unsigned n = c->n > OFD_LARGE_COMMUNITIES_MAX ? OFD_LARGE_COMMUNITIES_MAX : c->n;
	if (quote)
		ofd_wbuf_ch(w, '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, quote ? ',' : ' ');
		if (quote)
			ofd_wbuf_ch(w, '"');
		ofd_wbuf_u64(w, c->v[i].global);
		ofd_wbuf_ch(w, ':');
		ofd_wbuf_u64(w, c->v[i].local1);
		ofd_wbuf_ch(w, ':');
		ofd_wbuf_u64(w, c->v[i].local2);
		if (quote)
			ofd_wbuf_ch(w, '"');
	}
	if (quote)
		ofd_wbuf_ch(w, ']');
}

static void put_cstr(struct ofd_wbuf *w, const char *s, int quote)
{
	put_str(w, s, strlen(s), quote);
}

/* An MPLS label stack: JSON its entries as numbers, top first ([65540417,69888]); CSV its labels
   joined by '/' (16001/17). */
static void put_mpls(struct ofd_wbuf *w, const struct ofd_mpls_stack *s, int quote)
{
	unsigned n = s->n > OFD_MPLS_MAX ? OFD_MPLS_MAX : s->n;
	if (quote) {
		put_u32s(w, s->lse, n, OFD_MPLS_MAX, quote);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, '/');
		ofd_wbuf_u64(w, OFD_MPLS_LSE_LABEL(s->lse[i]));
	}
}

/* ---- one writer per field, generated from the field table ----------------------------------- */

/* How each kind writes member m (aux: its companion member); w, f and quote are in scope. */
#define PUT_U8(m, aux)	     ((void)quote, ofd_wbuf_u64(w, f->m))
#define PUT_U16(m, aux)	     PUT_U8(m, aux)
#define PUT_U32(m, aux)	     PUT_U8(m, aux)
#define PUT_U64(m, aux)	     PUT_U8(m, aux)
#define PUT_IP(m, aux)	     put_ip(w, &f->m, quote)
#define PUT_MAC(m, aux)	     put_mac(w, f->m, quote)
#define PUT_NET(m, aux)	     put_net(w, &f->aux, f->m, quote)
#define PUT_STR(m, aux)	     put_text(w, f->m, f->m ? strlen(f->m) : 0, quote)
#define PUT_CC(m, aux)	     put_text(w, f->m, f->m[0] ? 2 : 0, quote)
#define PUT_ASPATH(m, aux)   put_u32s(w, f->m, f->aux, OFD_AS_PATH_MAX, quote)
#define PUT_COMMS(m, aux)    put_u32s(w, f->m.v, f->m.n, OFD_COMMUNITIES_MAX, quote)
#define PUT_LCOMMS(m, aux)   put_lcomms(w, &f->m, quote)
#define PUT_FLOWTYPE(m, aux) put_cstr(w, ofd_flow_type_name(f->m), quote)
#define PUT_ETYPE(m, aux)    put_etype_name(w, f->m, quote)
#define PUT_PROTO(m, aux)    put_named(w, ofd_proto_keyword(f->m), f->m, quote)
#define PUT_RPKI(m, aux)     put_cstr(w, ofd_rpki_name(f->m), quote)
#define PUT_MPLS(m, aux)     put_mpls(w, &f->m, quote)

/* How each kind writes its zero: a storage-less field (OFD_FIELD_NAME) as an unset one. */
#define PUT0_U8	      ofd_wbuf_u64(w, 0)
#define PUT0_U16      PUT0_U8
#define PUT0_U32      PUT0_U8
#define PUT0_U64      PUT0_U8
#define PUT0_IP	      put_ip(w, &(const struct ofd_ip){0}, quote)
#define PUT0_MAC      put_mac(w, 0, quote)
#define PUT0_NET      put_net(w, &(const struct ofd_ip){0}, 0, quote)
#define PUT0_STR      put_text(w, NULL, 0, quote)
#define PUT0_CC	      PUT0_STR
#define PUT0_ASPATH   put_u32s(w, NULL, 0, 0, quote)
#define PUT0_COMMS    PUT0_ASPATH
#define PUT0_LCOMMS   put_lcomms(w, &(const struct ofd_large_communities){0}, quote)
#define PUT0_FLOWTYPE put_cstr(w, ofd_flow_type_name(0), quote)
#define PUT0_ETYPE    put_etype_name(w, 0, quote)
#define PUT0_PROTO    put_named(w, ofd_proto_keyword(0), 0, quote)
#define PUT0_RPKI     put_cstr(w, ofd_rpki_name(0), quote)
#define PUT0_MPLS     put_mpls(w, &(const struct ofd_mpls_stack){0}, quote)

#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux)                                                      \
	static void put_##m(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                         \
	{                                                                                                    \
		PUT_##kind(m, aux);                                                                          \
	}                                                                                                    \
	_Static_assert(sizeof(json) + 3 < 48, "JSON key of " #m " too long for json_key");
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)                                                              \
	static void put_named_##ID(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                  \
	{                                                                                                    \
		(void)f, (void)quote;                                                                        \
		PUT0_##kind;                                                                                 \
	}                                                                                                    \
	_Static_assert(sizeof(json) + 3 < 48, "JSON key of " json " too long for json_key");
#include "ofd/fields.def"

/* clang-format off */
#define ENTRY(m, json, csv)                                                                                  \
	{json, sizeof(json) - 1, ",\"" json "\":", sizeof(json) + 3, put_##m, csv, sizeof(csv) - 1}
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) [OFD_F_##ID] = ENTRY(m, json, csv),
#define OFD_FIELD_NAME(ID, json, csv, fp, kind) [OFD_F_##ID] = ENTRY(named_##ID, json, csv),
const struct ofd_fmt_field ofd_fmt_fields[OFD_F__COUNT] = {
#include "ofd/fields.def"
};

/* The base fields, in table order (what ofd_fmt_json and ofd_fmt_csv write). */
#define SEL_BASE(...) __VA_ARGS__
#define SEL_ENRICHED(...)
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) SEL_##cls(ENTRY(m, json, csv),)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
static const struct ofd_fmt_field fmt_base[] = {
#include "ofd/fields.def"
};

/* The base and the enriched fields as sets (JSON writes enriched ones whose present bit is set);
   storage-less fields are in neither. */
#define CLS_IN_WORD(id, cls, want, word) | ((cls) == (want) && OFD_FS_WORD(id) == (word) ? OFD_FS_BIT(id) : 0)
const struct ofd_fieldset ofd_fmt_base = {{
	0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_BASE, 0)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_BASE, 1)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_BASE, 2)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_BASE, 3)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
}};
const struct ofd_fieldset ofd_fmt_enriched = {{
	0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_ENRICHED, 0)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_ENRICHED, 1)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_ENRICHED, 2)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) CLS_IN_WORD(OFD_F_##ID, OFD_FC_##cls, OFD_FC_ENRICHED, 3)
#define OFD_FIELD_NAME(ID, json, csv, fp, kind)
#include "ofd/fields.def"
}};
/* clang-format on */
_Static_assert(OFD_FIELDSET_WORDS == 4, "ofd_fmt_base and ofd_fmt_enriched are built for four words");

#define NBASE ((int)(sizeof(fmt_base) / sizeof(fmt_base[0])))

/* ---- the JSON layout: goflow2 v2.2's keys ------------------------------------------------- */

/*
 * goflow2's MPLS keys, from mpls_stack when the record has one: mpls_ttl the entries' TTLs ([]
 * when none carries one, as IPFIX/v9 label sections do not), mpls_label all labels (else
 * [mpls_label] for a record with only the top label, [] without a label), mpls_ip the top label's
 * address (mplsTopLabelIPv4/IPv6Address) or [].
 */
__attribute__((noinline)) static void json_mpls_keys(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	const struct ofd_mpls_stack *s = &f->mpls_stack;
	unsigned n = ofd_flow_has(f, OFD_F_MPLS_STACK) ? (s->n > OFD_MPLS_MAX ? OFD_MPLS_MAX : s->n) : 0;
	uint32_t ttls = 0;
	for (unsigned i = 0; i < n; i++)
		ttls |= OFD_MPLS_LSE_TTL(s->lse[i]);
	ofd_wbuf_lit(w, ",\"mpls_ttl\":[");
	for (unsigned i = 0; ttls && i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_wbuf_u64(w, OFD_MPLS_LSE_TTL(s->lse[i]));
	}
	ofd_wbuf_lit(w, "],\"mpls_label\":[");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_wbuf_u64(w, OFD_MPLS_LSE_LABEL(s->lse[i]));
	}
	if (!n && f->mpls_label)
		ofd_wbuf_u64(w, f->mpls_label);
	ofd_wbuf_lit(w, "],\"mpls_ip\":[");
	if (ofd_flow_has(f, OFD_F_MPLS_IP))
		put_ip(w, &f->mpls_ip, 1);
	ofd_wbuf_ch(w, ']');
}

static inline void json_mpls(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	if (!f->mpls_label && !(f->present.w[OFD_FS_WORD(OFD_F_MPLS_STACK)] & OFD_FS_BIT(OFD_F_MPLS_STACK)) &&
	    !(f->present.w[OFD_FS_WORD(OFD_F_MPLS_IP)] & OFD_FS_BIT(OFD_F_MPLS_IP)))
		ofd_wbuf_lit(w, ",\"mpls_ttl\":[],\"mpls_label\":[],\"mpls_ip\":[]");
	else
		json_mpls_keys(w, f);
}

/* json_base below writes every base field: a field added to fields.def must be added there. */
_Static_assert(sizeof(fmt_base) / sizeof(fmt_base[0]) == 44, "json_base writes the 44 base fields");

/* The enriched fields written by ofd_fmt_json already (as goflow2's always-printed keys). */
#define JSON_IN_BASE(k)                                                                                      \
	((k) == OFD_FS_WORD(OFD_F_AS_PATH) ? OFD_FS_BIT(OFD_F_AS_PATH) : 0) |                                \
	    ((k) == OFD_FS_WORD(OFD_F_BGP_COMMUNITIES) ? OFD_FS_BIT(OFD_F_BGP_COMMUNITIES) : 0) |            \
	    ((k) == OFD_FS_WORD(OFD_F_MPLS_IP) ? OFD_FS_BIT(OFD_F_MPLS_IP) : 0)

/*
 * Every base field (in the field table's order) and goflow2's always-printed keys, in goflow2's
 * key order: bgp_communities, as_path and mpls_ip are written here ([] when absent), not again
 * with the enriched fields; mpls_ttl and mpls_label come from the label stack (json_mpls);
 * layer_stack, layer_size, ipv6_routing_header_addresses are [] and ipv6_routing_header_seg_left
 * 0 (not decoded). Straight-line code: the keys are literals (adjacent constant ones merged), the
 * values formatted in place.
 */
#define JK(lit) ofd_wbuf_lit(w, lit)

/* The flow type, etype and proto values of json_head: quoted names from fixed literals. */
static char *json_type(char *p, unsigned type)
{
	switch (type) {
	case OFD_FT_SFLOW_5: return OFD_WBUF_LIT(p, "\"SFLOW_5\"");
	case OFD_FT_NETFLOW_V5: return OFD_WBUF_LIT(p, "\"NETFLOW_V5\"");
	case OFD_FT_NETFLOW_V9: return OFD_WBUF_LIT(p, "\"NETFLOW_V9\"");
	case OFD_FT_IPFIX: return OFD_WBUF_LIT(p, "\"IPFIX\"");
	default: {
		const char *s = ofd_flow_type_name(type);
		size_t n = strlen(s);
		*p = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		return p + n + 2;
	}
	}
}

static char *json_etype(char *p, uint16_t etype)
{
	switch (etype) { /* the names of ofd_etype_name */
	case 0: return OFD_WBUF_LIT(p, "\"\"");
	case 0x0800: return OFD_WBUF_LIT(p, "\"IPv4\"");
	case 0x86dd: return OFD_WBUF_LIT(p, "\"IPv6\"");
	case 0x0806: return OFD_WBUF_LIT(p, "\"ARP\"");
	default:
		*p = '"';
		p = ofd_wbuf_put_u32(p + 1, etype);
		*p = '"';
		return p + 1;
	}
}

static char *json_proto(char *p, uint8_t proto)
{
	const struct ofd_proto_name *e = &ofd_iana_proto[proto];
	*p++ = '"';
	if (e->n) {
		memcpy(p, e->s, sizeof(e->s)); /* a fixed-size copy; the room is reserved */
		p += e->n;
	} else {
		p = ofd_wbuf_put_u32(p, proto);
	}
	*p = '"';
	return p + 1;
}

/* json_base up to bgp_next_hop: one cursor, literal keys, values formatted in place. */
#define KEY(lit) (p = OFD_WBUF_LIT(p, lit))
#define NUM(v)	 (p = ofd_wbuf_put_u32(p, (v)))
#define NUM64(v) (p = ofd_wbuf_put_u64(p, (v)))
#define IP(a)	 (p = put_ip_at(p, &(a), 1))
static char *json_head(char *p, const struct ofd_flow *f)
{
	KEY("{\"type\":");
	p = json_type(p, f->type);
	KEY(",\"time_received_ns\":");
	NUM64(f->time_received_ns);
	KEY(",\"sequence_num\":");
	NUM(f->sequence_num);
	KEY(",\"sampling_rate\":");
	NUM(f->sampling_rate);
	KEY(",\"sampler_address\":");
	IP(f->sampler_address);
	KEY(",\"time_flow_start_ns\":");
	NUM64(f->time_flow_start_ns);
	KEY(",\"time_flow_end_ns\":");
	NUM64(f->time_flow_end_ns);
	KEY(",\"bytes\":");
	NUM64(f->bytes);
	KEY(",\"packets\":");
	NUM64(f->packets);
	KEY(",\"src_addr\":");
	IP(f->src_addr);
	KEY(",\"dst_addr\":");
	IP(f->dst_addr);
	KEY(",\"etype\":");
	p = json_etype(p, f->etype);
	KEY(",\"proto\":");
	p = json_proto(p, f->proto);
	KEY(",\"src_port\":");
	NUM(f->src_port);
	KEY(",\"dst_port\":");
	NUM(f->dst_port);
	KEY(",\"in_if\":");
	NUM(f->in_if);
	KEY(",\"out_if\":");
	NUM(f->out_if);
	KEY(",\"src_mac\":");
	p = put_mac_at(p, f->src_mac, 1);
	KEY(",\"dst_mac\":");
	p = put_mac_at(p, f->dst_mac, 1);
	KEY(",\"src_vlan\":");
	NUM(f->src_vlan);
	KEY(",\"dst_vlan\":");
	NUM(f->dst_vlan);
	KEY(",\"vlan_id\":");
	NUM(f->vlan_id);
	KEY(",\"ip_tos\":");
	NUM(f->ip_tos);
	KEY(",\"forwarding_status\":");
	NUM(f->forwarding_status);
	KEY(",\"ip_ttl\":");
	NUM(f->ip_ttl);
	KEY(",\"ip_flags\":");
	NUM(f->ip_flags);
	KEY(",\"tcp_flags\":");
	NUM(f->tcp_flags);
	KEY(",\"icmp_type\":");
	NUM(f->icmp_type);
	KEY(",\"icmp_code\":");
	NUM(f->icmp_code);
	KEY(",\"ipv6_flow_label\":");
	NUM(f->ipv6_flow_label);
	KEY(",\"fragment_id\":");
	NUM(f->fragment_id);
	KEY(",\"fragment_offset\":");
	NUM(f->fragment_offset);
	KEY(",\"src_as\":");
	NUM(f->src_as);
	KEY(",\"dst_as\":");
	NUM(f->dst_as);
	KEY(",\"next_hop\":");
	IP(f->next_hop);
	KEY(",\"next_hop_as\":");
	NUM(f->next_hop_as);
	KEY(",\"src_net\":");
	p = put_net_at(p, &f->src_addr, f->src_net, 1);
	KEY(",\"dst_net\":");
	p = put_net_at(p, &f->dst_addr, f->dst_net, 1);
	KEY(",\"bgp_next_hop\":");
	IP(f->bgp_next_hop);
	return p;
}
#undef KEY
#undef NUM
#undef NUM64
#undef IP

static void json_base(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	const int quote = 1;
	ofd_wbuf_set_end(w, json_head(ofd_wbuf_end(w), f));
	JK(",\"bgp_communities\":");
	PUT_COMMS(bgp_communities, 0);
	JK(",\"as_path\":");
	PUT_ASPATH(as_path, as_path_len);
	json_mpls(w, f);
	JK(",\"observation_domain_id\":");
	PUT_U32(observation_domain_id, 0);
	JK(",\"observation_point_id\":");
	PUT_U32(observation_point_id, 0);
	JK(",\"layer_stack\":[],\"layer_size\":[],\"ipv6_routing_header_addresses\":[],"
	   "\"ipv6_routing_header_seg_left\":0,\"engine_type\":");
	PUT_U8(engine_type, 0);
	JK(",\"engine_id\":");
	PUT_U8(engine_id, 0);
}

/*
 * A sparse record (f->sparse, set by dropfields): only the fields whose present bit is set (and of
 * those, in `only`: never a storage-less one), in table order, each as the full writer renders it: mpls_label
 * and mpls_ip as goflow2's one-element arrays; goflow2's always-printed keys only when their field is set.
 */
__attribute__((noinline)) static void json_sparse(struct ofd_wbuf *w, const struct ofd_flow *f,
						  const struct ofd_fieldset *only)
{
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '{');
	int first = 1;
	for (unsigned k = 0; k < OFD_FIELDSET_WORDS; k++) {
		uint64_t m = f->present.w[k] & only->w[k];
		for (; m; m &= m - 1) {
			unsigned id = 64 * k + (unsigned)__builtin_ctzll(m);
			if (id >= OFD_F__COUNT)
				break;
			const struct ofd_fmt_field *d = &ofd_fmt_fields[id];
			ofd_wbuf_reserve(w);
			ofd_wbuf_mem(w, d->json_key + first, d->json_key_len - (unsigned)first);
			first = 0;
			if (id == OFD_F_MPLS_LABEL || id == OFD_F_MPLS_IP) {
				ofd_wbuf_ch(w, '[');
				d->put(w, f, 1);
				ofd_wbuf_ch(w, ']');
			} else {
				d->put(w, f, 1);
			}
		}
	}
	ofd_wbuf_lit(w, "}\n");
}

void ofd_fmt_json(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	if (f->sparse) {
		json_sparse(w, f, &ofd_fmt_base);
		return;
	}
	ofd_wbuf_reserve(w);
	json_base(w, f);
	ofd_wbuf_lit(w, "}\n");
}

void ofd_fmt_csv_header(struct ofd_wbuf *w)
{
	ofd_wbuf_reserve(w);
	for (int i = 0; i < NBASE; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		ofd_wbuf_mem(w, fmt_base[i].csv, fmt_base[i].csv_len);
	}
	ofd_wbuf_ch(w, '\n');
}

void ofd_fmt_csv(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	ofd_wbuf_reserve(w);
	for (int i = 0; i < NBASE; i++) {
		if (i)
			ofd_wbuf_ch(w, ',');
		fmt_base[i].put(w, f, 0);
	}
	ofd_wbuf_ch(w, '\n');
}

const struct ofd_fmt_field *ofd_fmt_field_get(unsigned id)
{
	return id < OFD_F__COUNT ? &ofd_fmt_fields[id] : NULL;
}

int ofd_fmt_field_id(const char *name)
{
	return ofd_field_by_name(name);
}

void ofd_fmt_json_enriched(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	if (f->sparse) {
		struct ofd_fieldset stored = ofd_fmt_base;
		ofd_fieldset_or(&stored, &ofd_fmt_enriched);
		json_sparse(w, f, &stored);
		return;
	}
	ofd_wbuf_reserve(w);
	json_base(w, f);
	for (unsigned k = 0; k < OFD_FIELDSET_WORDS; k++) {
		uint64_t m = f->present.w[k] & ofd_fmt_enriched.w[k] & ~(JSON_IN_BASE(k));
		for (; m; m &= m - 1) {
			const struct ofd_fmt_field *d =
			    &ofd_fmt_fields[64 * k + (unsigned)__builtin_ctzll(m)];
			/* one enriched field takes at most 6 * OFD_FMT_TEXT_MAX + 40 bytes: room per field */
			ofd_wbuf_reserve(w);
			memcpy(ofd_wbuf_end(w), d->json_key,
			       sizeof(d->json_key)); /* padded: one fixed copy */
			w->len += d->json_key_len;
			d->put(w, f, 1);
		}
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
			ofd_wbuf_mem(w, d->csv, d->csv_len);
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
