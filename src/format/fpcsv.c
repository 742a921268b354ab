/*
 * flowpipeline's CSV: see fpcsv.h. What Go's fmt prints for each EnrichedFlow type, rebuilt from
 * its output: uint32/uint64 in decimal, []byte addresses as net.IP text ("" when empty, IPv4
 * dotted), enums by name, repeated fields as "[a b c]", bool as true/false.
 */
#include "fpcsv.h"

#include <string.h>

#include "flowfmt.h"
#include "util/termtext.h"
#include "util/utf8.h"

/* EnrichedFlow's Go field names, in its order (the default columns). */
static const char *const fp_cols[OFD_FPCSV_NCOLS] = {
    "Type",
    "TimeReceived",
    "TimeReceivedNs",
    "SequenceNum",
    "SamplingRate",
    "FlowDirection",
    "TimeFlowStartNs",
    "TimeFlowEndNs",
    "SamplerAddress",
    "TimeFlowEnd",
    "TimeFlowStartMs",
    "TimeFlowEndMs",
    "Bytes",
    "Packets",
    "SrcAddr",
    "DstAddr",
    "Etype",
    "Proto",
    "SrcPort",
    "DstPort",
    "InIf",
    "OutIf",
    "SrcMac",
    "DstMac",
    "SrcVlan",
    "DstVlan",
    "VlanId",
    "IngressVrfId",
    "EgressVrfId",
    "IpTos",
    "ForwardingStatus",
    "IpTtl",
    "IpFlags",
    "TcpFlags",
    "IcmpType",
    "IcmpCode",
    "Ipv6FlowLabel",
    "FragmentId",
    "FragmentOffset",
    "BiFlowDirection",
    "SrcAs",
    "DstAs",
    "NextHop",
    "NextHopAs",
    "SrcNet",
    "DstNet",
    "BgpNextHop",
    "BgpCommunities",
    "AsPath",
    "MplsTtl",
    "MplsLabel",
    "MplsIp",
    "HasMpls",
    "MplsCount",
    "Mpls_1Ttl",
    "Mpls_1Label",
    "Mpls_2Ttl",
    "Mpls_2Label",
    "Mpls_3Ttl",
    "Mpls_3Label",
    "MplsLastTtl",
    "MplsLastLabel",
    "MplsLabelIp",
    "ObservationDomainId",
    "ObservationPointId",
    "SrcCountry",
    "DstCountry",
    "LayerStack",
    "LayerSize",
    "Ipv6RoutingHeaderAddresses",
    "Ipv6RoutingHeaderSegLeft",
    "PacketBytesMin",
    "PacketBytesMax",
    "PacketBytesMean",
    "PacketBytesStdDev",
    "PacketIATMin",
    "PacketIATMax",
    "PacketIATMean",
    "PacketIATStdDev",
    "HeaderBytes",
    "FINFlagCount",
    "SYNFlagCount",
    "RSTFlagCount",
    "PSHFlagCount",
    "ACKFlagCount",
    "URGFlagCount",
    "CWRFlagCount",
    "ECEFlagCount",
    "PayloadPackets",
    "TimeActiveMin",
    "TimeActiveMax",
    "TimeActiveMean",
    "TimeActiveStdDev",
    "TimeIdleMin",
    "TimeIdleMax",
    "TimeIdleMean",
    "TimeIdleStdDev",
    "Cid",
    "CidString",
    "SrcCid",
    "DstCid",
    "NetId",
    "NetIdString",
    "SrcId",
    "SrcIdString",
    "DstId",
    "DstIdString",
    "SrcAddrAnon",
    "DstAddrAnon",
    "SrcAddrPreservedLen",
    "DstAddrPreservedLen",
    "SamplerAddrAnon",
    "SamplerAddrPreservedPrefixLen",
    "NextHopAnon",
    "NextHopAnonPreservedPrefixLen",
    "Med",
    "LocalPref",
    "ValidationStatus",
    "RemoteCountry",
    "SrcCountryBW",
    "DstCountryBW",
    "Normalized",
    "ProtoName",
    "RemoteAddr",
    "SrcHostName",
    "DstHostName",
    "NextHopHostName",
    "SrcASName",
    "DstASName",
    "NextHopASName",
    "SamplerHostName",
    "SrcIfName",
    "SrcIfDesc",
    "SrcIfSpeed",
    "DstIfName",
    "DstIfDesc",
    "DstIfSpeed",
    "Note",
    "SourceIP",
    "DestinationIP",
    "NextHopIP",
    "SamplerIP",
    "SourceMAC",
    "DestinationMAC",
    "IngressVrfIDBW",
    "EgressVrfIDBW",
    "TimeFlowStart",
    "SrcAsPath",
    "DstAsPath",
};

enum { HOW_AUTO, HOW_MPLS_LABELS, HOW_MPLS_IP };

int ofd_fpcsv_col_by_name(struct ofd_fpcsv_col *c, const char *name)
{
	int id = -1;
	c->how = HOW_AUTO;
	for (unsigned i = 0; i < OFD_FPCSV_NCOLS; i++)
		if (strcmp(fp_cols[i], name) == 0) {
			c->name = fp_cols[i];
			if (strcmp(name, "MplsLabel") == 0) /* the labels, not the top one */
				id = OFD_F_MPLS_STACK, c->how = HOW_MPLS_LABELS;
			else if (strcmp(name, "MplsIp") == 0)
				id = OFD_F_MPLS_IP, c->how = HOW_MPLS_IP;
			else
				id = ofd_field_by_name(name);
			break;
		}
	if (id < 0) {
		id = ofd_field_by_name(name);
		if (id < 0)
			return -1;
		c->name = ofd_fields[id].fp;
	}
	c->id = (uint8_t)id;
	return 0;
}

void ofd_fpcsv_all(struct ofd_fpcsv_col *cols)
{
	for (unsigned i = 0; i < OFD_FPCSV_NCOLS; i++)
		if (ofd_fpcsv_col_by_name(&cols[i], fp_cols[i]) < 0) /* cannot be: test_fpcsv */
			cols[i] = (struct ofd_fpcsv_col){fp_cols[i], OFD_F_TYPE, HOW_AUTO};
}

/* A string cell as Go's encoding/csv writes it: quoted (quotes doubled) when it holds a comma,
   a quote, CR or LF, starts with white space or is \. ; controls and invalid UTF-8 escaped
   first (util/termtext.h), so a cell never drives a terminal. */
static void put_cell(struct ofd_wbuf *w, const char *s, size_t n)
{
	char esc[OFD_TERMTEXT_CAP(OFD_FMT_TEXT_MAX)];
	n = ofd_utf8_cut(s, n, OFD_FMT_TEXT_MAX);
	if (!ofd_termtext_plain(s, n))
		n = ofd_termtext_escape(esc, sizeof(esc), s, n), s = esc;
	int quote = n && (memchr(s, '"', n) || memchr(s, ',', n) || s[0] == ' ' || s[0] == '\t' ||
			  (n == 2 && s[0] == '\\' && s[1] == '.'));
	if (!quote) {
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

static void put_cstr(struct ofd_wbuf *w, const char *s)
{
	ofd_wbuf_mem(w, s, strlen(s));
}

/* net.IP's text: IPv4 (and IPv4-mapped IPv6) dotted, IPv6 in RFC 5952 form, "" for none. */
static void put_ip(struct ofd_wbuf *w, const struct ofd_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char *p = ofd_wbuf_end(w);
	if (ip->family == OFD_AF_INET || (ip->family == OFD_AF_INET6 && !memcmp(ip->b, mapped, 12)))
		p = ofd_wbuf_put_ip4(p, ip->b + 12);
	else if (ip->family == OFD_AF_INET6)
		p = ofd_wbuf_put_ip6(p, ip->b);
	ofd_wbuf_set_end(w, p);
}

/* A Go byte slice as fmt prints it: [10 0 0 1]; IPv4 as its 4 bytes. */
static void put_bytes(struct ofd_wbuf *w, const struct ofd_ip *ip)
{
	unsigned from = ip->family == OFD_AF_INET ? 12 : 0;
	ofd_wbuf_ch(w, '[');
	for (unsigned i = from; i < 16; i++) {
		if (i > from)
			ofd_wbuf_ch(w, ' ');
		ofd_wbuf_u64(w, ip->b[i]);
	}
	ofd_wbuf_ch(w, ']');
}

static void put_list(struct ofd_wbuf *w, const uint32_t *v, unsigned n, unsigned max)
{
	if (n > max)
		n = max;
	ofd_wbuf_ch(w, '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, ' ');
		ofd_wbuf_u64(w, v[i]);
	}
	ofd_wbuf_ch(w, ']');
}

static const char *name_of(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : NULL;
}

/* EnrichedFlow's enums by name (Go prints an unnamed value as its number). */
static void put_enum(struct ofd_wbuf *w, const char *name, uint64_t v)
{
	if (name)
		put_cstr(w, name);
	else
		ofd_wbuf_u64(w, v);
}

static const char *const flow_types[] = {"FLOWUNKNOWN", "SFLOW_5", "NETFLOW_V5",
					 "NETFLOW_V9",	"IPFIX",   "EBPF"};
static const char *const anon_types[] = {"NotAnonymized", "CryptoPAN", "Subnet", "SubnetAndCryptoPAN"};
static const char *const normalized_types[] = {"No", "Yes"};
static const char *const remote_types[] = {"Neither", "Src", "Dst"};
#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

/* ValidationStatus: Unknown 0, Valid 1, NotFound 2, Invalid 3 (ours numbers them otherwise). */
static const char *rpki_name(unsigned v)
{
	switch (v) {
	case OFD_RPKI_VALID: return "Valid";
	case OFD_RPKI_NOTFOUND: return "NotFound";
	case OFD_RPKI_INVALID: return "Invalid";
	default: return "Unknown";
	}
}

/* Fields that are enums or a bool in EnrichedFlow but plain numbers in our table. */
static int put_special(struct ofd_wbuf *w, const struct ofd_flow *f, unsigned id)
{
	switch (id) {
	case OFD_F_NORMALIZED:
		put_enum(w, name_of(normalized_types, N(normalized_types), f->normalized), f->normalized);
		return 1;
	case OFD_F_REMOTE_ADDR:
		put_enum(w, name_of(remote_types, N(remote_types), f->remote_addr), f->remote_addr);
		return 1;
	case OFD_F_SRC_ADDR_ANON:
		put_enum(w, name_of(anon_types, N(anon_types), f->src_addr_anon), f->src_addr_anon);
		return 1;
	case OFD_F_DST_ADDR_ANON:
		put_enum(w, name_of(anon_types, N(anon_types), f->dst_addr_anon), f->dst_addr_anon);
		return 1;
	case OFD_F_SAMPLER_ADDR_ANON:
		put_enum(w, name_of(anon_types, N(anon_types), f->sampler_addr_anon), f->sampler_addr_anon);
		return 1;
	case OFD_F_NEXT_HOP_ANON:
		put_enum(w, name_of(anon_types, N(anon_types), f->next_hop_anon), f->next_hop_anon);
		return 1;
	case OFD_F_IN_IF_SPEED: /* bit/s here, Mbit/s in flowpipeline (as its protobuf and JSON) */
		ofd_wbuf_u64(w, f->in_if_speed / 1000000u);
		return 1;
	case OFD_F_OUT_IF_SPEED: ofd_wbuf_u64(w, f->out_if_speed / 1000000u); return 1;
	default: return 0;
	}
}

/*
 * A storage-less field (fields.def OFD_FIELD_NAME: no member, nothing produces it) as Go prints
 * an unset field of its type: 0, "" (strings, bytes), [] (repeated fields), false (HasMpls),
 * the zero enum's name.
 */
static void put_zero(struct ofd_wbuf *w, unsigned id)
{
	switch ((enum ofd_field_kind)ofd_fields[id].kind) {
	case OFD_FK_IP:
	case OFD_FK_STR:
	case OFD_FK_CC: return;
	case OFD_FK_ASPATH:
	case OFD_FK_COMMS:
	case OFD_FK_LCOMMS:
	case OFD_FK_MPLS: put_cstr(w, "[]"); return;
	case OFD_FK_FLOWTYPE: put_cstr(w, flow_types[0]); return;
	case OFD_FK_RPKI: put_cstr(w, rpki_name(OFD_RPKI_UNKNOWN)); return;
	default: put_cstr(w, id == OFD_F_HAS_MPLS ? "false" : "0"); return;
	}
}

/* One cell of field id of f, by its kind. */
static void put_field(struct ofd_wbuf *w, const struct ofd_flow *f, unsigned id)
{
	if (!ofd_field_stored(id)) {
		put_zero(w, id);
		return;
	}
	if (put_special(w, f, id))
		return;
	const struct ofd_field_info *d = &ofd_fields[id];
	const unsigned char *m = (const unsigned char *)f + d->off;
	switch ((enum ofd_field_kind)d->kind) {
	case OFD_FK_U8:
	case OFD_FK_NET:
	case OFD_FK_PROTO: ofd_wbuf_u64(w, *m); return;
	case OFD_FK_U16:
	case OFD_FK_ETYPE: {
		uint16_t v;
		memcpy(&v, m, 2);
		ofd_wbuf_u64(w, v);
		return;
	}
	case OFD_FK_U32: {
		uint32_t v;
		memcpy(&v, m, 4);
		ofd_wbuf_u64(w, v);
		return;
	}
	case OFD_FK_U64:
	case OFD_FK_MAC: {
		uint64_t v;
		memcpy(&v, m, 8);
		ofd_wbuf_u64(w, v);
		return;
	}
	case OFD_FK_IP: put_ip(w, (const struct ofd_ip *)(const void *)m); return;
	case OFD_FK_STR: {
		const char *s;
		memcpy(&s, m, sizeof(s));
		if (s)
			put_cell(w, s, strlen(s));
		return;
	}
	case OFD_FK_CC: put_cell(w, (const char *)m, m[0] ? 2 : 0); return;
	case OFD_FK_ASPATH: put_list(w, f->as_path, f->as_path_len, OFD_AS_PATH_MAX); return;
	case OFD_FK_COMMS: {
		const struct ofd_communities *c = (const struct ofd_communities *)(const void *)m;
		put_list(w, c->v, c->n, OFD_COMMUNITIES_MAX);
		return;
	}
	case OFD_FK_LCOMMS: {
		const struct ofd_large_communities *c = &f->bgp_large_communities;
		unsigned n = c->n > OFD_LARGE_COMMUNITIES_MAX ? OFD_LARGE_COMMUNITIES_MAX : c->n;
		ofd_wbuf_ch(w, '[');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				ofd_wbuf_ch(w, ' ');
			ofd_wbuf_u64(w, c->v[i].global);
			ofd_wbuf_ch(w, ':');
			ofd_wbuf_u64(w, c->v[i].local1);
			ofd_wbuf_ch(w, ':');
			ofd_wbuf_u64(w, c->v[i].local2);
		}
		ofd_wbuf_ch(w, ']');
		return;
	}
	case OFD_FK_FLOWTYPE: put_enum(w, name_of(flow_types, N(flow_types), f->type), f->type); return;
	case OFD_FK_RPKI: put_cstr(w, rpki_name(f->rpki)); return;
	case OFD_FK_MPLS: { /* whole entries, as the JSON output writes them */
		unsigned n = f->mpls_stack.n > OFD_MPLS_MAX ? OFD_MPLS_MAX : f->mpls_stack.n;
		put_list(w, f->mpls_stack.lse, n, OFD_MPLS_MAX);
		return;
	}
	case OFD_FK__COUNT: return;
	}
}

/* MplsLabel: the stack's labels, else the top label alone, else []. */
static void put_mpls_labels(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	unsigned n = ofd_flow_has(f, OFD_F_MPLS_STACK) ? f->mpls_stack.n : 0;
	if (n > OFD_MPLS_MAX)
		n = OFD_MPLS_MAX;
	ofd_wbuf_ch(w, '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			ofd_wbuf_ch(w, ' ');
		ofd_wbuf_u64(w, OFD_MPLS_LSE_LABEL(f->mpls_stack.lse[i]));
	}
	if (!n && f->mpls_label)
		ofd_wbuf_u64(w, f->mpls_label);
	ofd_wbuf_ch(w, ']');
}

void ofd_fpcsv_header(struct ofd_wbuf *w, const struct ofd_fpcsv_col *cols, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		ofd_wbuf_reserve(w);
		if (i)
			ofd_wbuf_ch(w, ',');
		put_cstr(w, cols[i].name);
	}
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '\n');
}

void ofd_fpcsv_row(struct ofd_wbuf *w, const struct ofd_flow *f, const struct ofd_fpcsv_col *cols, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		ofd_wbuf_reserve(w); /* a cell is at most a few hundred bytes */
		if (i)
			ofd_wbuf_ch(w, ',');
		if (cols[i].how == HOW_MPLS_LABELS) {
			put_mpls_labels(w, f);
		} else if (cols[i].how == HOW_MPLS_IP) {
			ofd_wbuf_ch(w, '[');
			if (ofd_flow_has(f, OFD_F_MPLS_IP) && f->mpls_ip.family)
				put_bytes(w, &f->mpls_ip);
			ofd_wbuf_ch(w, ']');
		} else if (cols[i].id < OFD_F__COUNT) {
			put_field(w, f, cols[i].id);
		}
	}
	ofd_wbuf_reserve(w);
	ofd_wbuf_ch(w, '\n');
}
