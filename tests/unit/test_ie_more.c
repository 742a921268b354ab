/*
 * More of what devices send (issue 12, defect 8), NetFlow v9 and IPFIX: the whole MPLS label
 * stack (70-79) and the top label's address (47/140), flowEndReason (136), flowDirection (61) in
 * `dump` JSON, NAT (225-228, 281/282), physical interfaces (252/253, standing in for 10/14 when
 * those are absent), VLANs (243/254 behind 58/59, customer VLANs 245/255). Datagrams built in
 * code; the JSON of one record compared key by key; the JSON read back by the stdin parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode/decode.h"
#include "format/flowfmt.h"
#include "format/flowjson_parse.h"
#include "gen_v9ipfix.h"

#define EXPORT_S 1700000200u
#define RECV_NS	 1700000201000000000ull
#define SRC4	 0xc0000282u

static struct gv_sink sink;

static void begin(struct gv_msg *m, int v9)
{
	if (v9)
		gv_v9_begin(m, 100000, EXPORT_S, 1, 7);
	else
		gv_ipfix_begin(m, EXPORT_S, 1, 7);
}

/* A 3-byte label stack section: label, exp, bottom of stack. */
static uint64_t section(uint32_t label, unsigned exp, unsigned s)
{
	return (uint64_t)label << 4 | exp << 1 | s;
}

static char *json_line(const struct ofd_flow *f)
{
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 16), 0);
	ofd_fmt_json_enriched(&w, f);
	char *s = calloc(1, w.len + 1);
	assert_non_null(s);
	memcpy(s, w.buf, w.len);
	w.len = 0;
	ofd_wbuf_fini(&w);
	return s;
}

struct want {
	const char *key;
	const char *json; /* compact JSON text of the value; NULL: the key must be absent */
};

/* The keys of one rendered record, one by one, with their JSON types and values. */
static void check_json(const char *line, const struct want *want, size_t n)
{
	json_error_t err;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		fail_msg("not JSON: %s (%s)", line, err.text);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(o, want[i].key);
		if (!want[i].json) {
			if (v)
				fail_msg("key %s present in %s", want[i].key, line);
			continue;
		}
		if (!v)
			fail_msg("key %s missing in %s", want[i].key, line);
		char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (strcmp(got, want[i].json) != 0)
			fail_msg("key %s: %s, want %s", want[i].key, got, want[i].json);
		free(got);
	}
	json_decref(o);
}

/* The record read back from its JSON line is the record (but `present` of the base fields). */
static void round_trip(const struct ofd_flow *f, const char *line)
{
	struct ofd_flow g;
	assert_int_equal(ofd_flowjson_parse(&g, line, strlen(line), NULL, NULL), 0);
	struct ofd_flow a = *f;
	memset(&a.present, 0, sizeof(a.present));
	memset(&g.present, 0, sizeof(g.present));
	a.origin = g.origin;
	a.export_bytes = g.export_bytes;
	a.normalized = g.normalized;
	assert_memory_equal(&a, &g, sizeof(a));
}

/* ---- the MPLS label stack ---- */

static void mpls_stack(int v9)
{
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0},	 {12, 4, 0}, {4, 1, 0},	 {70, 3, 0},  {71, 3, 0},
				     {72, 3, 0}, {73, 3, 0}, {47, 4, 0}, {140, 16, 0}};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	begin(&m, v9);
	gv_set_begin(&m, v9 ? 0 : 2);
	gv_template(&m, 300, f, nf);
	gv_set_begin(&m, 300);
	/* three labels: 16001 exp 5, 17, 3 (bottom); the fourth section not in use; the v4 top-label
	   address set, the v6 one zeros */
	const uint64_t r1[] = {
	    0x0a000001, 0x0a000002, 6, section(16001, 5, 0), section(17, 0, 0), section(3, 0, 1),
	    0,		0xc0000209, 0};
	gv_record(&m, f, nf, r1);
	/* no MPLS at all: every section and address zeros */
	const uint64_t r2[] = {0x0a000001, 0x0a000002, 17, 0, 0, 0, 0, 0, 0};
	gv_record(&m, f, nf, r2);
	assert_int_equal(gv_decode_msg(d, &m, SRC4, 4739, RECV_NS, &sink), 2);
	assert_int_equal(sink.n, 2);

	const struct ofd_flow *a = &sink.got[0];
	assert_int_equal(a->mpls_label, 16001);
	assert_true(ofd_flow_has(a, OFD_F_MPLS_LABEL));
	assert_true(ofd_flow_has(a, OFD_F_MPLS_STACK));
	assert_int_equal(a->mpls_stack.n, 3);
	assert_int_equal(a->mpls_stack.lse[0], 16001u << 12 | 5u << 9);
	assert_int_equal(a->mpls_stack.lse[1], 17u << 12);
	assert_int_equal(a->mpls_stack.lse[2], 3u << 12 | 1u << 8);
	assert_int_equal(a->mpls_stack.lse[3], 0);
	assert_int_equal(OFD_MPLS_LSE_LABEL(a->mpls_stack.lse[0]), 16001);
	assert_int_equal(OFD_MPLS_LSE_EXP(a->mpls_stack.lse[0]), 5);
	assert_int_equal(OFD_MPLS_LSE_S(a->mpls_stack.lse[2]), 1);
	assert_int_equal(OFD_MPLS_LSE_TTL(a->mpls_stack.lse[2]), 0);
	assert_true(ofd_flow_has(a, OFD_F_MPLS_IP));
	assert_int_equal(a->mpls_ip.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&a->mpls_ip), 0xc0000209);

	const struct ofd_flow *b = &sink.got[1];
	assert_int_equal(b->mpls_label, 0);
	assert_false(ofd_flow_has(b, OFD_F_MPLS_STACK));
	assert_int_equal(b->mpls_stack.n, 0);
	assert_false(ofd_flow_has(b, OFD_F_MPLS_IP));

	/* goflow2's keys: every label, no TTLs (label sections carry none), the address; the whole
	   entries as mpls_stack */
	char *la = json_line(a);
	char stack[80];
	snprintf(stack, sizeof(stack), "[%u,%u,%u]", 16001u << 12 | 5u << 9, 17u << 12, 3u << 12 | 1u << 8);
	const struct want wa[] = {{"mpls_ttl", "[]"},
				  {"mpls_label", "[16001,17,3]"},
				  {"mpls_ip", "[\"192.0.2.9\"]"},
				  {"mpls_stack", stack}};
	check_json(la, wa, sizeof(wa) / sizeof(wa[0]));
	assert_non_null(
	    strstr(la, ",\"mpls_ttl\":[],\"mpls_label\":[16001,17,3],\"mpls_ip\":[\"192.0.2.9\"],"));
	round_trip(a, la);
	char *lb = json_line(b);
	const struct want wb[] = {
	    {"mpls_ttl", "[]"}, {"mpls_label", "[]"}, {"mpls_ip", "[]"}, {"mpls_stack", NULL}};
	check_json(lb, wb, sizeof(wb) / sizeof(wb[0]));
	round_trip(b, lb);
	free(la);
	free(lb);
	ofd_decoder_free(d);
}

static void test_mpls_stack_ipfix(void **state)
{
	(void)state;
	mpls_stack(0);
}

static void test_mpls_stack_v9(void **state)
{
	(void)state;
	mpls_stack(1);
}

/* Sections sent out of order, and one of the middle missing from the template: by position. */
static void test_mpls_positions(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{8, 4, 0}, {79, 3, 0}, {71, 3, 0}, {70, 3, 0}, {140, 16, 0}};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 301, f, 5);
	gv_set_begin(&m, 301);
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09};
	gv_ip4(&m, 0x0a000001);
	gv_uint(&m, section(99, 7, 1), 3);
	gv_uint(&m, section(200, 0, 0), 3);
	gv_uint(&m, 0, 3); /* top section zero: label 0 kept as the first entry of the stack */
	gv_bytes(&m, v6, 16);
	m.count++;
	assert_int_equal(gv_decode_msg(d, &m, SRC4, 4739, RECV_NS, &sink), 1);
	const struct ofd_flow *a = &sink.got[0];
	assert_int_equal(a->mpls_label, 0);
	assert_int_equal(a->mpls_stack.n, 10);
	assert_int_equal(a->mpls_stack.lse[0], 0);
	assert_int_equal(a->mpls_stack.lse[1], 200u << 12);
	for (unsigned i = 2; i < 9; i++)
		assert_int_equal(a->mpls_stack.lse[i], 0);
	assert_int_equal(a->mpls_stack.lse[9], 99u << 12 | 7u << 9 | 1u << 8);
	assert_int_equal(a->mpls_ip.family, OFD_AF_INET6);
	assert_memory_equal(a->mpls_ip.b, v6, 16);
	char *l = json_line(a);
	const struct want w[] = {{"mpls_label", "[0,200,0,0,0,0,0,0,0,99]"},
				 {"mpls_ip", "[\"2001:db8::9\"]"}};
	check_json(l, w, 2);
	round_trip(a, l);
	/* CSV: the labels joined by '/' */
	struct ofd_wbuf wb;
	assert_int_equal(ofd_wbuf_init(&wb, -1, 1 << 16), 0);
	const uint8_t ids[] = {OFD_F_MPLS_STACK, OFD_F_MPLS_IP};
	ofd_fmt_csv_ids_header(&wb, ids, 2);
	ofd_fmt_csv_ids(&wb, a, ids, 2);
	assert_int_equal(wb.len, strlen("mpls_labels,mpls_ip\n0/200/0/0/0/0/0/0/0/99,2001:db8::9\n"));
	assert_memory_equal(wb.buf, "mpls_labels,mpls_ip\n0/200/0/0/0/0/0/0/0/99,2001:db8::9\n", wb.len);
	wb.len = 0;
	ofd_wbuf_fini(&wb);
	free(l);
	ofd_decoder_free(d);
}

/* ---- flowEndReason, flowDirection, NAT, physical interfaces, VLANs ---- */

static const struct gv_field more_f[] = {
    {8, 4, 0},	 {12, 4, 0},  {4, 1, 0},   {7, 2, 0},	{11, 2, 0},   {136, 1, 0},  {61, 1, 0},
    {225, 4, 0}, {226, 4, 0}, {227, 2, 0}, {228, 2, 0}, {281, 16, 0}, {282, 16, 0}, {252, 4, 0},
    {253, 4, 0}, {243, 2, 0}, {254, 2, 0}, {245, 2, 0}, {255, 2, 0},
};
#define NMORE (sizeof(more_f) / sizeof(more_f[0]))
static const uint64_t more_v[NMORE] = {
    0x0a000001,
    0x0a000002,
    6,
    51000,
    443,
    3 /* end of flow detected */,
    1 /* egress */,
    0xc6336407,
    0xcb007109,
    40000,
    8443,
    0,
    0,
    7,
    9,
    0x1064,
    0x20c8,
    300,
    0xf190 /* priority bits above the 12-bit id */,
};

static void more(int v9)
{
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	begin(&m, v9);
	gv_set_begin(&m, v9 ? 0 : 2);
	gv_template(&m, 302, more_f, NMORE);
	gv_set_begin(&m, 302);
	gv_record(&m, more_f, NMORE, more_v);
	assert_int_equal(gv_decode_msg(d, &m, SRC4, 4739, RECV_NS, &sink), 1);
	const struct ofd_flow *a = &sink.got[0];
	assert_int_equal(a->flow_end_reason, 3);
	assert_int_equal(a->flow_direction, OFD_DIR_EGRESS);
	assert_int_equal(a->post_nat_src_addr.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&a->post_nat_src_addr), 0xc6336407);
	assert_int_equal(ofd_ip_v4(&a->post_nat_dst_addr), 0xcb007109);
	assert_int_equal(a->post_nat_src_port, 40000);
	assert_int_equal(a->post_nat_dst_port, 8443);
	/* no 10/14: the physical interfaces are the interfaces */
	assert_int_equal(a->in_if_phys, 7);
	assert_int_equal(a->out_if_phys, 9);
	assert_int_equal(a->in_if, 7);
	assert_int_equal(a->out_if, 9);
	/* no 58/59: dot1qVlanId and postDot1qVlanId are the VLANs */
	assert_int_equal(a->src_vlan, 0x064);
	assert_int_equal(a->vlan_id, 0x064);
	assert_int_equal(a->dst_vlan, 0x0c8);
	assert_int_equal(a->src_cvlan, 300);
	assert_int_equal(a->dst_cvlan, 0x190);
	static const unsigned set[] = {OFD_F_FLOW_END_REASON,
				       OFD_F_FLOW_DIRECTION,
				       OFD_F_POST_NAT_SRC_ADDR,
				       OFD_F_POST_NAT_DST_ADDR,
				       OFD_F_POST_NAT_SRC_PORT,
				       OFD_F_POST_NAT_DST_PORT,
				       OFD_F_IN_IF_PHYS,
				       OFD_F_OUT_IF_PHYS,
				       OFD_F_IN_IF,
				       OFD_F_OUT_IF,
				       OFD_F_SRC_VLAN,
				       OFD_F_DST_VLAN,
				       OFD_F_VLAN_ID,
				       OFD_F_SRC_CVLAN,
				       OFD_F_DST_CVLAN};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		assert_true(ofd_flow_has(a, set[i]));
	assert_false(ofd_flow_has(a, OFD_F_MPLS_STACK));
	assert_false(ofd_flow_has(a, OFD_F_LOCAL_PREF));

	/* what `dump --format json` writes, key by key */
	char *l = json_line(a);
	const struct want w[] = {
	    {"type", v9 ? "\"NETFLOW_V9\"" : "\"IPFIX\""},
	    {"src_addr", "\"10.0.0.1\""},
	    {"dst_addr", "\"10.0.0.2\""},
	    {"proto", "\"TCP\""},
	    {"src_port", "51000"},
	    {"dst_port", "443"},
	    {"in_if", "7"},
	    {"out_if", "9"},
	    {"src_vlan", "100"},
	    {"dst_vlan", "200"},
	    {"vlan_id", "100"},
	    {"mpls_ttl", "[]"},
	    {"mpls_label", "[]"},
	    {"mpls_ip", "[]"},
	    {"flow_direction", "1"},
	    {"in_if_phys", "7"},
	    {"out_if_phys", "9"},
	    {"post_nat_src_port", "40000"},
	    {"post_nat_dst_port", "8443"},
	    {"src_cvlan", "300"},
	    {"dst_cvlan", "400"},
	    {"post_nat_src_addr", "\"198.51.100.7\""},
	    {"post_nat_dst_addr", "\"203.0.113.9\""},
	    {"flow_end_reason", "3"},
	    {"mpls_stack", NULL},
	    {"local_pref", NULL},
	};
	check_json(l, w, sizeof(w) / sizeof(w[0]));
	/* the enriched keys follow the base ones in table order */
	const char *tail = strstr(l, ",\"flow_direction\"");
	assert_non_null(tail);
	assert_string_equal(tail, ",\"flow_direction\":1,\"in_if_phys\":7,\"out_if_phys\":9,"
				  "\"post_nat_src_port\":40000,\"post_nat_dst_port\":8443,\"src_cvlan\":300,"
				  "\"dst_cvlan\":400,\"post_nat_src_addr\":\"198.51.100.7\","
				  "\"post_nat_dst_addr\":\"203.0.113.9\",\"flow_end_reason\":3}\n");
	round_trip(a, l);
	free(l);
	ofd_decoder_free(d);
}

static void test_more_ipfix(void **state)
{
	(void)state;
	more(0);
}

static void test_more_v9(void **state)
{
	(void)state;
	more(1);
}

/* With their primaries: 10/14 and 58/59 win; IPv6 NAT addresses after zero IPv4 ones. */
static void test_primaries_win(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	const struct gv_field f[] = {{253, 4, 0}, {252, 4, 0},	{10, 4, 0},  {14, 4, 0},
				     {254, 2, 0}, {243, 2, 0},	{58, 2, 0},  {59, 2, 0},
				     {225, 4, 0}, {281, 16, 0}, {226, 4, 0}, {282, 16, 0}};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 303, f, nf);
	gv_set_begin(&m, 303);
	static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};
	static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b};
	gv_uint(&m, 1009, 4);
	gv_uint(&m, 1007, 4);
	gv_uint(&m, 17, 4);
	gv_uint(&m, 19, 4);
	gv_uint(&m, 2222, 2);
	gv_uint(&m, 1111, 2);
	gv_uint(&m, 11, 2);
	gv_uint(&m, 22, 2);
	gv_ip4(&m, 0);
	gv_bytes(&m, v6a, 16);
	gv_ip4(&m, 0);
	gv_bytes(&m, v6b, 16);
	m.count++;
	assert_int_equal(gv_decode_msg(d, &m, SRC4, 4739, RECV_NS, &sink), 1);
	const struct ofd_flow *a = &sink.got[0];
	assert_int_equal(a->in_if, 17);
	assert_int_equal(a->out_if, 19);
	assert_int_equal(a->in_if_phys, 1007);
	assert_int_equal(a->out_if_phys, 1009);
	assert_int_equal(a->src_vlan, 11);
	assert_int_equal(a->vlan_id, 11);
	assert_int_equal(a->dst_vlan, 22);
	assert_int_equal(a->post_nat_src_addr.family, OFD_AF_INET6);
	assert_memory_equal(a->post_nat_src_addr.b, v6a, 16);
	assert_int_equal(a->post_nat_dst_addr.family, OFD_AF_INET6);
	assert_memory_equal(a->post_nat_dst_addr.b, v6b, 16);
	ofd_decoder_free(d);
}

/* A template without any of these elements sets none of the new fields' bits. */
static void test_absent(void **state)
{
	(void)state;
	struct ofd_decoder *d = gv_decoder_new(&sink);
	struct gv_msg m = {0};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 304, gv_v4_fields, gv_v4_nfields);
	gv_set_begin(&m, 304);
	gv_v4_record(&m, 5);
	m.count++;
	assert_int_equal(gv_decode_msg(d, &m, SRC4, 4739, RECV_NS, &sink), 1);
	static const unsigned none[] = {
	    OFD_F_MPLS_STACK,	     OFD_F_MPLS_IP,	      OFD_F_FLOW_END_REASON,
	    OFD_F_POST_NAT_SRC_ADDR, OFD_F_POST_NAT_DST_ADDR, OFD_F_POST_NAT_SRC_PORT,
	    OFD_F_POST_NAT_DST_PORT, OFD_F_IN_IF_PHYS,	      OFD_F_OUT_IF_PHYS,
	    OFD_F_SRC_CVLAN,	     OFD_F_DST_CVLAN};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_false(ofd_flow_has(&sink.got[0], none[i]));
	ofd_decoder_free(d);
}

/* ---- `overflowd dump --format json` prints flowDirection ---- */

static void put_le(FILE *fp, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		fputc((int)(v >> (8 * i) & 0xff), fp);
}

static void put_be(FILE *fp, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		fputc((int)(v >> (8 * i) & 0xff), fp);
}

/* A classic pcap file of one Ethernet/IPv4/UDP frame carrying payload (checksums left zero). */
static void write_pcap(const char *path, const uint8_t *payload, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	put_le(fp, 0xa1b2c3d4, 4);
	put_le(fp, 2, 2);
	put_le(fp, 4, 2);
	put_le(fp, 0, 8);
	put_le(fp, 65535, 4);
	put_le(fp, 1, 4); /* Ethernet */
	size_t frame = 14 + 20 + 8 + n;
	put_le(fp, EXPORT_S + 1, 4);
	put_le(fp, 0, 4);
	put_le(fp, frame, 4);
	put_le(fp, frame, 4);
	put_be(fp, 0x020000000001, 6);
	put_be(fp, 0x020000000002, 6);
	put_be(fp, 0x0800, 2);
	put_be(fp, 0x4500, 2);
	put_be(fp, 20 + 8 + n, 2);
	put_be(fp, 0, 4);
	put_be(fp, 0x4011, 2); /* TTL 64, UDP */
	put_be(fp, 0, 2);
	put_be(fp, SRC4, 4);
	put_be(fp, 0x7f000001, 4);
	put_be(fp, 40000, 2);
	put_be(fp, 4739, 2);
	put_be(fp, 8 + n, 2);
	put_be(fp, 0, 2);
	assert_int_equal(fwrite(payload, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void test_dump_flow_direction(void **state)
{
	(void)state;
	const char *bin = getenv("OFD_BIN");
	if (!bin)
		skip();
	char dir[] = "/tmp/ofd_ie_more_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pcap[64], out[64], cmd[512];
	snprintf(pcap, sizeof(pcap), "%s/in.pcap", dir);
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	struct gv_msg m = {0};
	begin(&m, 0);
	gv_set_begin(&m, 2);
	gv_template(&m, 305, more_f, NMORE);
	gv_set_begin(&m, 305);
	gv_record(&m, more_f, NMORE, more_v);
	size_t len = gv_end(&m);
	write_pcap(pcap, m.g.p, len);
	gv_free(&m);
	snprintf(cmd, sizeof(cmd), "'%s' dump --format json '%s' >'%s' 2>/dev/null", bin, pcap, out);
	assert_int_equal(system(cmd), 0);
	FILE *fp = fopen(out, "r");
	assert_non_null(fp);
	char line[8192];
	assert_non_null(fgets(line, sizeof(line), fp));
	char extra[16];
	assert_null(fgets(extra, sizeof(extra), fp)); /* one record */
	fclose(fp);
	const struct want w[] = {{"type", "\"IPFIX\""},
				 {"flow_direction", "1"},
				 {"flow_end_reason", "3"},
				 {"in_if_phys", "7"},
				 {"post_nat_src_port", "40000"},
				 {"dst_cvlan", "400"},
				 {"post_nat_dst_addr", "\"203.0.113.9\""}};
	check_json(line, w, sizeof(w) / sizeof(w[0]));
	unlink(pcap);
	unlink(out);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mpls_stack_ipfix), cmocka_unit_test(test_mpls_stack_v9),
	    cmocka_unit_test(test_mpls_positions),   cmocka_unit_test(test_more_ipfix),
	    cmocka_unit_test(test_more_v9),	     cmocka_unit_test(test_primaries_win),
	    cmocka_unit_test(test_absent),	     cmocka_unit_test(test_dump_flow_direction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
