/*
 * `dump --format json` as a goflow2 v2.2 consumer reads it: one datagram of each format (NetFlow
 * v5, v9, IPFIX, sFlow v5) built in code, decoded, rendered, parsed back with jansson and compared
 * key by key with goflow2's keys, JSON types included; then the renderer's names (proto keywords,
 * etype "") and the parser reading goflow2's own lines.
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

#include "decode/decode.h"
#include "format/flowfmt.h"
#include "format/flowjson_parse.h"
#include "gen_nf5.h"
#include "gen_sflow.h"
#include "gen_v9ipfix.h"

#define T_RECV 1185523201000000000ull

/* goflow2 v2.2's keys with the JSON type it writes: u an integer, s a string, a an array. */
static const struct {
	const char *key;
	char type;
} goflow2_keys[] = {
    {"type", 's'},
    {"time_received_ns", 'u'},
    {"sequence_num", 'u'},
    {"sampling_rate", 'u'},
    {"sampler_address", 's'},
    {"time_flow_start_ns", 'u'},
    {"time_flow_end_ns", 'u'},
    {"bytes", 'u'},
    {"packets", 'u'},
    {"src_addr", 's'},
    {"dst_addr", 's'},
    {"etype", 's'},
    {"proto", 's'},
    {"src_port", 'u'},
    {"dst_port", 'u'},
    {"in_if", 'u'},
    {"out_if", 'u'},
    {"src_mac", 's'},
    {"dst_mac", 's'},
    {"src_vlan", 'u'},
    {"dst_vlan", 'u'},
    {"vlan_id", 'u'},
    {"ip_tos", 'u'},
    {"forwarding_status", 'u'},
    {"ip_ttl", 'u'},
    {"ip_flags", 'u'},
    {"tcp_flags", 'u'},
    {"icmp_type", 'u'},
    {"icmp_code", 'u'},
    {"ipv6_flow_label", 'u'},
    {"fragment_id", 'u'},
    {"fragment_offset", 'u'},
    {"src_as", 'u'},
    {"dst_as", 'u'},
    {"next_hop", 's'},
    {"next_hop_as", 'u'},
    {"src_net", 's'},
    {"dst_net", 's'},
    {"bgp_next_hop", 's'},
    {"bgp_communities", 'a'},
    {"as_path", 'a'},
    {"mpls_ttl", 'a'},
    {"mpls_label", 'a'},
    {"mpls_ip", 'a'},
    {"observation_domain_id", 'u'},
    {"observation_point_id", 'u'},
    {"layer_stack", 'a'},
    {"layer_size", 'a'},
    {"ipv6_routing_header_addresses", 'a'},
    {"ipv6_routing_header_seg_left", 'u'},
};
#define NKEYS (sizeof(goflow2_keys) / sizeof(goflow2_keys[0]))

/* overflowd's keys beyond goflow2's (documented in the README's table) */
static const char *const extra_keys[] = {"engine_type", "engine_id"};

/* An expected value: the JSON text of the value (compact: "\"IPv4\"", "15000", "[100]"). */
struct want {
	const char *key;
	const char *json;
};

static json_t *render(const struct ofd_flow *f, char *line, size_t cap)
{
	struct ofd_wbuf w = {0};
	w.buf = malloc(OFD_WBUF_RECORD_MAX * 2);
	w.cap = OFD_WBUF_RECORD_MAX * 2;
	assert_non_null(w.buf);
	ofd_fmt_json(&w, f);
	assert_true(w.len < cap);
	memcpy(line, w.buf, w.len);
	line[w.len] = 0;
	free(w.buf);
	json_error_t err;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(o);
	assert_true(json_is_object(o));
	return o;
}

/* Every goflow2 key with goflow2's type, no other key but ours, and the wanted values. */
static void check(const struct ofd_flow *f, const struct want *want, size_t nwant)
{
	char line[OFD_WBUF_RECORD_MAX];
	json_t *o = render(f, line, sizeof(line));
	for (size_t i = 0; i < NKEYS; i++) {
		json_t *v = json_object_get(o, goflow2_keys[i].key);
		if (!v)
			fail_msg("key %s missing in %s", goflow2_keys[i].key, line);
		int ok = goflow2_keys[i].type == 'u'   ? json_is_integer(v) && json_integer_value(v) >= 0
			 : goflow2_keys[i].type == 's' ? json_is_string(v)
						       : json_is_array(v);
		if (!ok)
			fail_msg("key %s: not of type %c in %s", goflow2_keys[i].key, goflow2_keys[i].type,
				 line);
	}
	assert_int_equal(json_object_size(o), NKEYS + sizeof(extra_keys) / sizeof(extra_keys[0]));
	for (size_t i = 0; i < sizeof(extra_keys) / sizeof(extra_keys[0]); i++)
		assert_true(json_is_integer(json_object_get(o, extra_keys[i])));
	for (size_t i = 0; i < nwant; i++) {
		json_t *v = json_object_get(o, want[i].key);
		assert_non_null(v);
		char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (strcmp(got, want[i].json) != 0)
			fail_msg("key %s: %s, want %s", want[i].key, got, want[i].json);
		free(got);
	}
	json_decref(o);
	/* and our parser reads the line back to the same record */
	struct ofd_flow g;
	assert_int_equal(ofd_flowjson_parse(&g, line, strlen(line), NULL, NULL), 0);
	char again[OFD_WBUF_RECORD_MAX];
	json_decref(render(&g, again, sizeof(again)));
	assert_string_equal(again, line);
}

struct sink {
	struct ofd_flow got[8];
	unsigned n;
};

static void collect(struct ofd_batch *b, void *ctx)
{
	struct sink *s = ctx;
	for (uint32_t i = 0; i < b->n && s->n < 8; i++)
		if (ofd_batch_is_live(b, i))
			s->got[s->n++] = b->flows[i];
}

/* Decode one datagram from 122.166.4.242:9500 received at T_RECV. */
static unsigned decode(const uint8_t *p, size_t len, struct sink *s)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	ofd_batch_init(b, collect, s);
	struct ofd_dgram dg = {.data = p, .len = len, .src_port = 9500, .time_ns = T_RECV};
	ofd_ip_set4u(&dg.src, 0x7aa604f2);
	assert_true(ofd_decode(d, &dg, b) > 0);
	ofd_batch_flush(b);
	free(b);
	ofd_decoder_free(d);
	return s->n;
}

static void test_netflow_v5(void **state)
{
	(void)state;
	static const struct gen_nf5_hdr hdr = {3600000, 1185523200, 500000000, 4242, 1, 7, 0x4000 | 100};
	static const struct gen_nf5_rec rec[] = {
	    {0xc0000201, 0xc6336402, 0x0a000001, 3, 4, 10, 15000, 3590000, 3599000, 123, 44321, 0x12, 6, 0xb8,
	     64496, 64511, 24, 16},
	};
	struct gen_buf g = {0};
	gen_nf5(&g, &hdr, rec, 1);
	struct sink s = {0};
	assert_int_equal(decode(g.p, g.len, &s), 1);
	static const struct want want[] = {
	    {"type", "\"NETFLOW_V5\""},
	    {"time_received_ns", "1185523201000000000"},
	    {"sequence_num", "4242"},
	    {"sampling_rate", "100"},
	    {"sampler_address", "\"122.166.4.242\""},
	    {"time_flow_start_ns", "1185523190500000000"},
	    {"time_flow_end_ns", "1185523199500000000"},
	    {"bytes", "15000"},
	    {"packets", "10"},
	    {"src_addr", "\"192.0.2.1\""},
	    {"dst_addr", "\"198.51.100.2\""},
	    {"etype", "\"IPv4\""},
	    {"proto", "\"TCP\""},
	    {"src_port", "123"},
	    {"dst_port", "44321"},
	    {"in_if", "3"},
	    {"out_if", "4"},
	    {"src_mac", "\"00:00:00:00:00:00\""},
	    {"ip_tos", "184"},
	    {"tcp_flags", "18"},
	    {"src_as", "64496"},
	    {"dst_as", "64511"},
	    {"next_hop", "\"10.0.0.1\""},
	    {"src_net", "\"192.0.2.0/24\""},
	    {"dst_net", "\"198.51.0.0/16\""},
	    {"bgp_next_hop", "\"\""},
	    {"bgp_communities", "[]"},
	    {"as_path", "[]"},
	    {"mpls_ttl", "[]"},
	    {"mpls_label", "[]"},
	    {"mpls_ip", "[]"},
	    {"layer_stack", "[]"},
	    {"layer_size", "[]"},
	    {"ipv6_routing_header_addresses", "[]"},
	    {"ipv6_routing_header_seg_left", "0"},
	    {"engine_type", "1"},
	    {"engine_id", "7"},
	};
	check(&s.got[0], want, sizeof(want) / sizeof(want[0]));
	gen_free(&g);
}

static void test_netflow_v9(void **state)
{
	(void)state;
	static const struct gv_field tf[] = {{8, 4, 0},	 {12, 4, 0}, {4, 1, 0},	 {1, 4, 0},
					     {2, 4, 0},	 {7, 2, 0},  {11, 2, 0}, {10, 2, 0},
					     {14, 2, 0}, {22, 4, 0}, {21, 4, 0}, {70, 3, 0}};
	struct gv_msg m = {0};
	gv_v9_begin(&m, 3600000, 1185523200, 77, 5);
	gv_set_begin(&m, 0);
	gv_template(&m, 256, tf, sizeof(tf) / sizeof(tf[0]));
	gv_set_begin(&m, 256);
	/* proto 0 (HOPOPT), MPLS label 16001 (label << 4 | bottom of stack) */
	const uint64_t v[] = {0x0a000001, 0x0a000002, 0, 1500,	  3,	   0,
			      0,	  1,	      2, 3590000, 3599000, (16001u << 4) | 1};
	gv_record(&m, tf, sizeof(tf) / sizeof(tf[0]), v);
	size_t len = gv_end(&m);
	struct sink s = {0};
	assert_int_equal(decode(m.g.p, len, &s), 1);
	static const struct want want[] = {
	    {"type", "\"NETFLOW_V9\""},
	    {"sequence_num", "77"},
	    {"sampling_rate", "0"},
	    {"sampler_address", "\"122.166.4.242\""},
	    {"time_flow_start_ns", "1185523190000000000"},
	    {"time_flow_end_ns", "1185523199000000000"},
	    {"bytes", "1500"},
	    {"packets", "3"},
	    {"src_addr", "\"10.0.0.1\""},
	    {"dst_addr", "\"10.0.0.2\""},
	    {"etype", "\"IPv4\""},
	    {"proto", "\"HOPOPT\""},
	    {"in_if", "1"},
	    {"out_if", "2"},
	    {"src_net", "\"0.0.0.0/0\""},
	    {"mpls_label", "[16001]"},
	    {"bgp_communities", "[]"},
	    {"as_path", "[]"},
	    {"observation_domain_id", "5"},
	};
	check(&s.got[0], want, sizeof(want) / sizeof(want[0]));
	gv_free(&m);
}

static void test_ipfix(void **state)
{
	(void)state;
	static const struct gv_field tf[] = {{27, 16, 0}, {28, 16, 0}, {4, 1, 0},   {1, 8, 0},
					     {2, 8, 0},	  {152, 8, 0}, {153, 8, 0}, {61, 1, 0}};
	static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, 1185523200, 9, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 300, tf, sizeof(tf) / sizeof(tf[0]));
	gv_set_begin(&m, 300);
	gv_bytes(&m, a, 16);
	gv_bytes(&m, b, 16);
	gv_uint(&m, 89, 1); /* OSPF */
	gv_uint(&m, 4200000000ull, 8);
	gv_uint(&m, 7, 8);
	gv_uint(&m, 1185523190000ull, 8);
	gv_uint(&m, 1185523199000ull, 8);
	gv_uint(&m, 0, 1);
	size_t len = gv_end(&m);
	struct sink s = {0};
	assert_int_equal(decode(m.g.p, len, &s), 1);
	static const struct want want[] = {
	    {"type", "\"IPFIX\""},
	    {"sequence_num", "9"},
	    {"time_flow_start_ns", "1185523190000000000"},
	    {"time_flow_end_ns", "1185523199000000000"},
	    {"bytes", "4200000000"},
	    {"packets", "7"},
	    {"src_addr", "\"2001:db8::1\""},
	    {"dst_addr", "\"2001:db8::2\""},
	    {"etype", "\"IPv6\""},
	    {"proto", "\"OSPFIGP\""},
	    {"src_net", "\"::/0\""},
	    {"next_hop", "\"\""},
	    {"mpls_label", "[]"},
	    {"observation_domain_id", "42"},
	};
	check(&s.got[0], want, sizeof(want) / sizeof(want[0]));
	gv_free(&m);
}

static void test_sflow5(void **state)
{
	(void)state;
	struct gen_sflow_hdr h = {.sub_agent = 0, .seq = 11, .uptime_ms = 1000};
	ofd_ip_set4u(&h.agent, 0xc0000263);
	const struct gen_sflow_fs fs = {
	    .seq = 5, .src_index = 7, .rate = 2048, .pool = 4096, .in = 7, .out = 9};
	struct gen_frame fr = {.dst_mac = 0x001122334455ull,
			       .src_mac = 0x0a1b2c3d4e5full,
			       .vlan = 10,
			       .mpls_label = 300,
			       .src = {192, 0, 2, 1},
			       .dst = {198, 51, 100, 7},
			       .proto = 58 - 41, /* UDP */
			       .ttl = 64,
			       .sport = 53,
			       .dport = 40000};
	struct gen_buf g = {0};
	gen_sflow_simple(&g, &h, &fs, &fr, 0);
	struct sink s = {0};
	assert_int_equal(decode(g.p, g.len, &s), 1);
	static const struct want want[] = {
	    {"type", "\"SFLOW_5\""},
	    {"sampling_rate", "2048"},
	    {"sampler_address", "\"192.0.2.99\""},
	    {"packets", "1"},
	    {"src_addr", "\"192.0.2.1\""},
	    {"dst_addr", "\"198.51.100.7\""},
	    {"etype", "\"IPv4\""},
	    {"proto", "\"UDP\""},
	    {"src_port", "53"},
	    {"dst_port", "40000"},
	    {"in_if", "7"},
	    {"out_if", "9"},
	    {"src_mac", "\"0a:1b:2c:3d:4e:5f\""},
	    {"dst_mac", "\"00:11:22:33:44:55\""},
	    {"src_vlan", "0"}, /* goflow2: from extended_switch only, the tag gives vlan_id */
	    {"vlan_id", "10"},
	    {"ip_ttl", "64"},
	    {"mpls_label", "[300]"},
	    {"mpls_ttl", "[64]"}, /* goflow2: the TTLs of the sampled packet's stack */
	    {"bgp_communities", "[]"},
	    {"as_path", "[]"},
	};
	check(&s.got[0], want, sizeof(want) / sizeof(want[0]));
	gen_free(&g);
}

/* The names goflow2 v2.2 writes: IANA keywords for proto, "" for no etype. */
static void test_names(void **state)
{
	(void)state;
	static const struct {
		uint8_t proto;
		const char *json;
	} protos[] = {{0, "\"HOPOPT\""},     {1, "\"ICMP\""},	   {4, "\"IPv4\""},  {6, "\"TCP\""},
		      {17, "\"UDP\""},	     {41, "\"IPv6\""},	   {47, "\"GRE\""},  {50, "\"ESP\""},
		      {58, "\"IPv6-ICMP\""}, {89, "\"OSPFIGP\""},  {103, "\"PIM\""}, {112, "\"VRRP\""},
		      {132, "\"SCTP\""},     {136, "\"UDPLite\""}, {145, "\"NSH\""}, {61, "\"61\""},
		      {146, "\"146\""},	     {255, "\"255\""}};
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	char line[OFD_WBUF_RECORD_MAX];
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		f.proto = protos[i].proto;
		json_t *o = render(&f, line, sizeof(line));
		char *got = json_dumps(json_object_get(o, "proto"), JSON_ENCODE_ANY);
		assert_string_equal(got, protos[i].json);
		free(got);
		json_decref(o);
		/* read back to the number */
		struct ofd_flow g;
		assert_int_equal(ofd_flowjson_parse(&g, line, strlen(line), NULL, NULL), 0);
		assert_int_equal(g.proto, protos[i].proto);
	}
	static const struct {
		uint16_t etype;
		const char *json;
	} etypes[] = {{0, "\"\""},
		      {0x0800, "\"IPv4\""},
		      {0x86dd, "\"IPv6\""},
		      {0x0806, "\"ARP\""},
		      {0x88cc, "\"35020\""}};
	for (size_t i = 0; i < sizeof(etypes) / sizeof(etypes[0]); i++) {
		f.etype = etypes[i].etype;
		json_t *o = render(&f, line, sizeof(line));
		char *got = json_dumps(json_object_get(o, "etype"), JSON_ENCODE_ANY);
		assert_string_equal(got, etypes[i].json);
		free(got);
		json_decref(o);
		struct ofd_flow g;
		assert_int_equal(ofd_flowjson_parse(&g, line, strlen(line), NULL, NULL), 0);
		assert_int_equal(g.etype, etypes[i].etype);
	}
}

/* A line as goflow2 writes it: the label stack, empty lists, "" etype, keyword protos. */
static void test_parse_goflow2_line(void **state)
{
	(void)state;
	static const char line[] =
	    "{\"type\":\"IPFIX\",\"bytes\":10,\"etype\":\"\",\"proto\":\"IPv6-ICMP\",\"bgp_communities\":[],"
	    "\"as_path\":[],\"mpls_ttl\":[64,63],\"mpls_label\":[16001,17],\"mpls_ip\":[\"10.0.0.1\",\"\"],"
	    "\"layer_stack\":[\"Ethernet\",\"MPLS\"],\"layer_size\":[14,4],"
	    "\"ipv6_routing_header_addresses\":[],\"ipv6_routing_header_seg_left\":0}";
	struct ofd_flow f;
	assert_int_equal(ofd_flowjson_parse(&f, line, strlen(line), NULL, NULL), 0);
	assert_int_equal(f.type, OFD_FT_IPFIX);
	assert_int_equal(f.bytes, 10);
	assert_int_equal(f.etype, 0);
	assert_int_equal(f.proto, 58);
	assert_int_equal(f.mpls_label, 16001);
	assert_true(ofd_flow_has(&f, OFD_F_MPLS_LABEL));
	assert_false(ofd_flow_has(&f, OFD_F_AS_PATH));
	assert_false(ofd_flow_has(&f, OFD_F_BGP_COMMUNITIES));
	/* older overflowd output: short names and a number label */
	static const char old[] = "{\"proto\":\"ICMPv6\",\"mpls_label\":42,\"etype\":\"0\"}";
	assert_int_equal(ofd_flowjson_parse(&f, old, strlen(old), NULL, NULL), 0);
	assert_int_equal(f.proto, 58);
	assert_int_equal(f.mpls_label, 42);
	static const char ospf[] = "{\"proto\":\"OSPF\"}";
	assert_int_equal(ofd_flowjson_parse(&f, ospf, strlen(ospf), NULL, NULL), 0);
	assert_int_equal(f.proto, 89);
	static const char bad[] = "{\"mpls_label\":[\"x\"]}";
	assert_int_equal(ofd_flowjson_parse(&f, bad, strlen(bad), NULL, NULL), OFD_EFORMAT);
}

/* The decimal writer at each length boundary (one digit, 8-digit chunks, 20 digits). */
static void test_u64(void **state)
{
	(void)state;
	static const uint64_t v[] = {0,
				     9,
				     10,
				     99,
				     100,
				     4242,
				     99999999,
				     100000000,
				     100000001,
				     4200000000,
				     9999999999999999ull,
				     10000000000000000ull,
				     1185523199500000000ull,
				     10000000000000000000ull,
				     UINT64_MAX};
	char buf[64], want[32];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ofd_wbuf w = {.buf = buf, .cap = sizeof(buf)};
		ofd_wbuf_ch(&w, '[');
		ofd_wbuf_u64(&w, v[i]);
		ofd_wbuf_ch(&w, ']');
		snprintf(want, sizeof(want), "[%llu]", (unsigned long long)v[i]);
		assert_int_equal(w.len, strlen(want));
		assert_memory_equal(buf, want, w.len);
	}
}

/* IPv4 addresses from the octet table: every octet length, both ends. */
static void test_ipv4(void **state)
{
	(void)state;
	static const struct {
		uint32_t a;
		const char *json;
	} v[] = {{0, "\"0.0.0.0\""},
		 {0xffffffff, "\"255.255.255.255\""},
		 {0x0a09630c, "\"10.9.99.12\""},
		 {0x64c80109, "\"100.200.1.9\""}};
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	char line[OFD_WBUF_RECORD_MAX];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ofd_ip_set4u(&f.src_addr, v[i].a);
		json_t *o = render(&f, line, sizeof(line));
		char *got = json_dumps(json_object_get(o, "src_addr"), JSON_ENCODE_ANY);
		assert_string_equal(got, v[i].json);
		free(got);
		json_decref(o);
	}
	/* src_net: the masked network and the length as given */
	static const struct {
		uint32_t a;
		uint8_t len;
		const char *json;
	} nets[] = {{0xc0000281, 25, "\"192.0.2.128/25\""}, {0xc0000281, 0, "\"0.0.0.0/0\""},
		    {0xc0000281, 32, "\"192.0.2.129/32\""}, {0xc0000281, 33, "\"192.0.2.129/33\""},
		    {0xffffffff, 1, "\"128.0.0.0/1\""},	    {0xffffffff, 31, "\"255.255.255.254/31\""}};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		ofd_ip_set4u(&f.src_addr, nets[i].a);
		f.src_net = nets[i].len;
		json_t *o = render(&f, line, sizeof(line));
		char *got = json_dumps(json_object_get(o, "src_net"), JSON_ENCODE_ANY);
		assert_string_equal(got, nets[i].json);
		free(got);
		json_decref(o);
	}
	/* no address: goflow2's 0.0.0.0/len */
	memset(&f.src_addr, 0, sizeof(f.src_addr));
	f.src_net = 8;
	json_t *o = render(&f, line, sizeof(line));
	assert_string_equal(json_string_value(json_object_get(o, "src_net")), "0.0.0.0/8");
	assert_string_equal(json_string_value(json_object_get(o, "src_addr")), "");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netflow_v5), cmocka_unit_test(test_netflow_v9),
	    cmocka_unit_test(test_ipfix),      cmocka_unit_test(test_sflow5),
	    cmocka_unit_test(test_names),      cmocka_unit_test(test_parse_goflow2_line),
	    cmocka_unit_test(test_u64),	       cmocka_unit_test(test_ipv4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
