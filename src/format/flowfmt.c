#include "flowfmt.h"

#include <string.h>

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

/* "0." to "255.": each octet of an IPv4 address with its dot, and its length with the dot */
struct octet {
	char s[4];
	uint8_t n;
};
#define OCT_D(x) ((char)('0' + (x)))
#define OCT(v)                                                                                               \
	{                                                                                                    \
		{(v) < 10    ? OCT_D(v)                                                                      \
		 : (v) < 100 ? OCT_D((v) / 10)                                                               \
			     : OCT_D((v) / 100),                                                             \
		 (v) < 10    ? '.'                                                                           \
		 : (v) < 100 ? OCT_D((v) % 10)                                                               \
			     : OCT_D((v) / 10 % 10),                                                         \
		 (v) < 10    ? 0                                                                             \
		 : (v) < 100 ? '.'                                                                           \
			     : OCT_D((v) % 10),                                                              \
		 (v) < 100 ? 0 : '.'},                                                                       \
		    (v) < 10	? 2                                                                          \
		    : (v) < 100 ? 3                                                                          \
				: 4                                                                          \
	}
#define OCT4(v)	 OCT(v), OCT((v) + 1), OCT((v) + 2), OCT((v) + 3)
#define OCT16(v) OCT4(v), OCT4((v) + 4), OCT4((v) + 8), OCT4((v) + 12)
#define OCT64(v) OCT16(v), OCT16((v) + 16), OCT16((v) + 32), OCT16((v) + 48)
static const struct octet octets[256] = {OCT64(0), OCT64(64), OCT64(128), OCT64(192)};

static void put_ip(struct ofd_wbuf *w, const struct ofd_ip *ip, int quote)
{
	if (ip->family == OFD_AF_INET) { /* table-driven: four 4-byte copies */
		char *p = w->buf + w->len;
		size_t n = (size_t)quote;
		p[0] = '"';
		for (int i = 12; i < 16; i++) {
			memcpy(p + n, octets[ip->b[i]].s, 4);
			n += octets[ip->b[i]].n;
		}
		n--; /* the last dot */
		if (quote)
			p[n++] = '"';
		w->len += n;
		return;
	}
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
	if (net.family != OFD_AF_INET6) { /* IPv4 (none: 0.0.0.0): mask the four bytes at once */
		uint32_t a = net.family == OFD_AF_INET ? ofd_ip_v4(&net) : 0;
		uint32_t mask = len == 0 ? 0 : len >= 32 ? UINT32_MAX : UINT32_MAX << (32 - len);
		ofd_ip_set4u(&net, a & mask);
		put_ip(w, &net, quote);
		if (quote)
			w->len--; /* reopen the string */
		ofd_wbuf_ch(w, '/');
		ofd_wbuf_u64(w, len);
		if (quote)
			ofd_wbuf_ch(w, '"');
		return;
	}
	unsigned bits = len > 128 ? 128 : len;
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

/* The IANA protocol-numbers registry's keywords (what goflow2 v2.2 prints), NULL where the
   registry has none (61, 63, 68, 99, 114, 146-255). */
static const char *const iana_proto[256] = {
    [0] = "HOPOPT",
    [1] = "ICMP",
    [2] = "IGMP",
    [3] = "GGP",
    [4] = "IPv4",
    [5] = "ST",
    [6] = "TCP",
    [7] = "CBT",
    [8] = "EGP",
    [9] = "IGP",
    [10] = "BBN-RCC-MON",
    [11] = "NVP-II",
    [12] = "PUP",
    [13] = "ARGUS",
    [14] = "EMCON",
    [15] = "XNET",
    [16] = "CHAOS",
    [17] = "UDP",
    [18] = "MUX",
    [19] = "DCN-MEAS",
    [20] = "HMP",
    [21] = "PRM",
    [22] = "XNS-IDP",
    [23] = "TRUNK-1",
    [24] = "TRUNK-2",
    [25] = "LEAF-1",
    [26] = "LEAF-2",
    [27] = "RDP",
    [28] = "IRTP",
    [29] = "ISO-TP4",
    [30] = "NETBLT",
    [31] = "MFE-NSP",
    [32] = "MERIT-INP",
    [33] = "DCCP",
    [34] = "3PC",
    [35] = "IDPR",
    [36] = "XTP",
    [37] = "DDP",
    [38] = "IDPR-CMTP",
    [39] = "TP++",
    [40] = "IL",
    [41] = "IPv6",
    [42] = "SDRP",
    [43] = "IPv6-Route",
    [44] = "IPv6-Frag",
    [45] = "IDRP",
    [46] = "RSVP",
    [47] = "GRE",
    [48] = "DSR",
    [49] = "BNA",
    [50] = "ESP",
    [51] = "AH",
    [52] = "I-NLSP",
    [53] = "SWIPE",
    [54] = "NARP",
    [55] = "Min-IPv4",
    [56] = "TLSP",
    [57] = "SKIP",
    [58] = "IPv6-ICMP",
    [59] = "IPv6-NoNxt",
    [60] = "IPv6-Opts",
    [62] = "CFTP",
    [64] = "SAT-EXPAK",
    [65] = "KRYPTOLAN",
    [66] = "RVD",
    [67] = "IPPC",
    [69] = "SAT-MON",
    [70] = "VISA",
    [71] = "IPCV",
    [72] = "CPNX",
    [73] = "CPHB",
    [74] = "WSN",
    [75] = "PVP",
    [76] = "BR-SAT-MON",
    [77] = "SUN-ND",
    [78] = "WB-MON",
    [79] = "WB-EXPAK",
    [80] = "ISO-IP",
    [81] = "VMTP",
    [82] = "SECURE-VMTP",
    [83] = "VINES",
    [84] = "IPTM",
    [85] = "NSFNET-IGP",
    [86] = "DGP",
    [87] = "TCF",
    [88] = "EIGRP",
    [89] = "OSPFIGP",
    [90] = "Sprite-RPC",
    [91] = "LARP",
    [92] = "MTP",
    [93] = "AX.25",
    [94] = "IPIP",
    [95] = "MICP",
    [96] = "SCC-SP",
    [97] = "ETHERIP",
    [98] = "ENCAP",
    [100] = "GMTP",
    [101] = "IFMP",
    [102] = "PNNI",
    [103] = "PIM",
    [104] = "ARIS",
    [105] = "SCPS",
    [106] = "QNX",
    [107] = "A/N",
    [108] = "IPComp",
    [109] = "SNP",
    [110] = "Compaq-Peer",
    [111] = "IPX-in-IP",
    [112] = "VRRP",
    [113] = "PGM",
    [115] = "L2TP",
    [116] = "DDX",
    [117] = "IATP",
    [118] = "STP",
    [119] = "SRP",
    [120] = "UTI",
    [121] = "SMP",
    [122] = "SM",
    [123] = "PTP",
    [124] = "ISIS over IPv4",
    [125] = "FIRE",
    [126] = "CRTP",
    [127] = "CRUDP",
    [128] = "SSCOPMCE",
    [129] = "IPLT",
    [130] = "SPS",
    [131] = "PIPE",
    [132] = "SCTP",
    [133] = "FC",
    [134] = "RSVP-E2E-IGNORE",
    [135] = "Mobility Header",
    [136] = "UDPLite",
    [137] = "MPLS-in-IP",
    [138] = "manet",
    [139] = "HIP",
    [140] = "Shim6",
    [141] = "WESP",
    [142] = "ROHC",
    [143] = "Ethernet",
    [144] = "AGGFRAG",
    [145] = "NSH",
};

const char *ofd_proto_keyword(uint8_t proto)
{
	return iana_proto[proto];
}

/* overflowd's short names, for text meant for people (the print segment). */
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

const char *ofd_rpki_name(unsigned rpki)
{
	switch (rpki) {
	case OFD_RPKI_VALID: return "valid";
	case OFD_RPKI_INVALID: return "invalid";
	case OFD_RPKI_NOTFOUND: return "notfound";
	default: return "unknown";
	}
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

#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux)                                                      \
	static void put_##m(struct ofd_wbuf *w, const struct ofd_flow *f, int quote)                         \
	{                                                                                                    \
		PUT_##kind(m, aux);                                                                          \
	}                                                                                                    \
	_Static_assert(sizeof(json) + 3 < 48, "JSON key of " #m " too long for json_key");
#include "ofd/fields.def"

/* clang-format off */
#define ENTRY(m, json, csv)                                                                                  \
	{json, sizeof(json) - 1, ",\"" json "\":", sizeof(json) + 3, put_##m, csv, sizeof(csv) - 1}
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) [OFD_F_##ID] = ENTRY(m, json, csv),
const struct ofd_fmt_field ofd_fmt_fields[OFD_F__COUNT] = {
#include "ofd/fields.def"
};

/* The base fields, in table order (what ofd_fmt_json and ofd_fmt_csv write). */
#define SEL_BASE(...) __VA_ARGS__
#define SEL_ENRICHED(...)
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) SEL_##cls(ENTRY(m, json, csv),)
static const struct ofd_fmt_field fmt_base[] = {
#include "ofd/fields.def"
};

/* The enriched fields as a set (JSON writes those whose present bit is set). */
#define ENRICHED_IN_WORD(id, cls, word)                                                                      \
	| ((cls) == OFD_FC_ENRICHED && OFD_FS_WORD(id) == (word) ? OFD_FS_BIT(id) : 0)
const struct ofd_fieldset ofd_fmt_enriched = {{
	0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) ENRICHED_IN_WORD(OFD_F_##ID, OFD_FC_##cls, 0)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) ENRICHED_IN_WORD(OFD_F_##ID, OFD_FC_##cls, 1)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) ENRICHED_IN_WORD(OFD_F_##ID, OFD_FC_##cls, 2)
#include "ofd/fields.def"
	, 0
#define OFD_FIELD(ID, m, json, csv, fp, kind, cls, aux) ENRICHED_IN_WORD(OFD_F_##ID, OFD_FC_##cls, 3)
#include "ofd/fields.def"
}};
/* clang-format on */
_Static_assert(OFD_FIELDSET_WORDS == 4, "ofd_fmt_enriched is built for four words");

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
static void json_base(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	const int quote = 1;
	JK("{\"type\":");
	PUT_FLOWTYPE(type, type);
	JK(",\"time_received_ns\":");
	PUT_U64(time_received_ns, 0);
	JK(",\"sequence_num\":");
	PUT_U32(sequence_num, 0);
	JK(",\"sampling_rate\":");
	PUT_U32(sampling_rate, 0);
	JK(",\"sampler_address\":");
	PUT_IP(sampler_address, 0);
	JK(",\"time_flow_start_ns\":");
	PUT_U64(time_flow_start_ns, 0);
	JK(",\"time_flow_end_ns\":");
	PUT_U64(time_flow_end_ns, 0);
	JK(",\"bytes\":");
	PUT_U64(bytes, 0);
	JK(",\"packets\":");
	PUT_U64(packets, 0);
	JK(",\"src_addr\":");
	PUT_IP(src_addr, 0);
	JK(",\"dst_addr\":");
	PUT_IP(dst_addr, 0);
	JK(",\"etype\":");
	PUT_ETYPE(etype, 0);
	JK(",\"proto\":");
	PUT_PROTO(proto, 0);
	JK(",\"src_port\":");
	PUT_U16(src_port, 0);
	JK(",\"dst_port\":");
	PUT_U16(dst_port, 0);
	JK(",\"in_if\":");
	PUT_U32(in_if, 0);
	JK(",\"out_if\":");
	PUT_U32(out_if, 0);
	JK(",\"src_mac\":");
	PUT_MAC(src_mac, 0);
	JK(",\"dst_mac\":");
	PUT_MAC(dst_mac, 0);
	JK(",\"src_vlan\":");
	PUT_U16(src_vlan, 0);
	JK(",\"dst_vlan\":");
	PUT_U16(dst_vlan, 0);
	JK(",\"vlan_id\":");
	PUT_U16(vlan_id, 0);
	JK(",\"ip_tos\":");
	PUT_U8(ip_tos, 0);
	JK(",\"forwarding_status\":");
	PUT_U8(forwarding_status, 0);
	JK(",\"ip_ttl\":");
	PUT_U8(ip_ttl, 0);
	JK(",\"ip_flags\":");
	PUT_U8(ip_flags, 0);
	JK(",\"tcp_flags\":");
	PUT_U8(tcp_flags, 0);
	JK(",\"icmp_type\":");
	PUT_U8(icmp_type, 0);
	JK(",\"icmp_code\":");
	PUT_U8(icmp_code, 0);
	JK(",\"ipv6_flow_label\":");
	PUT_U32(ipv6_flow_label, 0);
	JK(",\"fragment_id\":");
	PUT_U32(fragment_id, 0);
	JK(",\"fragment_offset\":");
	PUT_U16(fragment_offset, 0);
	JK(",\"src_as\":");
	PUT_U32(src_as, 0);
	JK(",\"dst_as\":");
	PUT_U32(dst_as, 0);
	JK(",\"next_hop\":");
	PUT_IP(next_hop, 0);
	JK(",\"next_hop_as\":");
	PUT_U32(next_hop_as, 0);
	JK(",\"src_net\":");
	PUT_NET(src_net, src_addr);
	JK(",\"dst_net\":");
	PUT_NET(dst_net, dst_addr);
	JK(",\"bgp_next_hop\":");
	PUT_IP(bgp_next_hop, 0);
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

void ofd_fmt_json(struct ofd_wbuf *w, const struct ofd_flow *f)
{
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
	ofd_wbuf_reserve(w);
	json_base(w, f);
	for (unsigned k = 0; k < OFD_FIELDSET_WORDS; k++) {
		uint64_t m = f->present.w[k] & ofd_fmt_enriched.w[k] & ~(JSON_IN_BASE(k));
		for (; m; m &= m - 1) {
			const struct ofd_fmt_field *d =
			    &ofd_fmt_fields[64 * k + (unsigned)__builtin_ctzll(m)];
			/* one enriched field takes at most 6 * OFD_FMT_TEXT_MAX + 40 bytes: room per field */
			ofd_wbuf_reserve(w);
			ofd_wbuf_mem(w, d->json_key, d->json_key_len);
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
