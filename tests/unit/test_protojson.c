/*
 * flowpipeline's flow JSON (format/protojson.c, protojson_parse.c): the writer's exact text for
 * built records, compact and pretty; lines written the way flowpipeline writes them (built here
 * from proto/enrichedflow.proto) decode to the expected values; what a protojson reader also
 * accepts; hostile values refused; the per-line detection in the stdin parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowjson_parse.h"
#include "format/protojson.h"

struct render {
	struct ofd_wbuf w;
	char text[65536];
};

static const char *render(struct render *r, const struct ofd_flow *f, int pretty)
{
	assert_int_equal(ofd_wbuf_init(&r->w, -1, 1 << 16), 0);
	ofd_protojson_write(&r->w, f, pretty);
	assert_true(r->w.len < sizeof(r->text));
	memcpy(r->text, r->w.buf, r->w.len);
	r->text[r->w.len] = 0;
	r->w.len = 0;
	ofd_wbuf_fini(&r->w);
	return r->text;
}

static struct ofd_batch strs;

static int setup(void **st)
{
	(void)st;
	ofd_batch_init(&strs, NULL, NULL);
	return 0;
}

static void set(struct ofd_flow *f, unsigned id)
{
	ofd_flow_set(f, id);
}

/* A record with base and enriched fields, IPv4 and IPv6 addresses, names and lists. */
static void build(struct ofd_flow *f)
{
	memset(f, 0, sizeof(*f));
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t sampler[4] = {192, 0, 2, 1}, dst[4] = {198, 51, 100, 7};
	f->type = OFD_FT_IPFIX;
	f->time_received_ns = 1700000000123456789ull;
	f->sequence_num = 42;
	f->sampling_rate = 100;
	ofd_ip_set4(&f->sampler_address, sampler);
	f->time_flow_start_ns = 1700000000000000000ull;
	f->time_flow_end_ns = 1700000001000000000ull;
	f->bytes = 1500;
	f->packets = 3;
	ofd_ip_set6(&f->src_addr, v6);
	ofd_ip_set4(&f->dst_addr, dst);
	f->etype = 0x86dd;
	f->proto = 6;
	f->src_port = 443;
	f->dst_port = 51000;
	f->in_if = 7;
	f->src_mac = 0x001122334455ull;
	f->tcp_flags = 0x12;
	f->src_as = 64500;
	for (unsigned id = OFD_F_TYPE; id <= OFD_F_ENGINE_ID; id++)
		set(f, id);
	f->as_path[0] = 64500, f->as_path[1] = 65001, f->as_path_len = 2;
	f->bgp_communities.v[0] = 65000u << 16 | 100, f->bgp_communities.n = 1;
	f->flow_direction = OFD_DIR_EGRESS;
	f->rpki = OFD_RPKI_NOTFOUND;
	memcpy(f->src_country, "DE", 2);
	f->in_if_name = "et-0/0/1";
	f->in_if_desc = "uplink \"A\"";
	f->in_if_speed = 10000000000ull;
	f->normalized = 1;
	f->remote_addr = OFD_REMOTE_DST;
	f->src_addr_anon = OFD_ANON_CRYPTOPAN;
	f->note = "x";
	f->cid = 77;
	static const unsigned enriched[] = {OFD_F_AS_PATH,     OFD_F_BGP_COMMUNITIES, OFD_F_FLOW_DIRECTION,
					    OFD_F_RPKI,	       OFD_F_SRC_COUNTRY,     OFD_F_IN_IF_NAME,
					    OFD_F_IN_IF_DESC,  OFD_F_IN_IF_SPEED,     OFD_F_NORMALIZED,
					    OFD_F_REMOTE_ADDR, OFD_F_SRC_ADDR_ANON,   OFD_F_NOTE,
					    OFD_F_CID};
	for (size_t i = 0; i < sizeof(enriched) / sizeof(enriched[0]); i++)
		set(f, enriched[i]);
}

static const char built_line[] =
    "{\"type\":\"IPFIX\",\"timeReceivedNs\":\"1700000000123456789\",\"sequenceNum\":42,\"samplingRate\":"
    "\"100\","
    "\"flowDirection\":1,\"timeFlowStartNs\":\"1700000000000000000\",\"timeFlowEndNs\":"
    "\"1700000001000000000\","
    "\"samplerAddress\":\"wAACAQ==\",\"bytes\":\"1500\",\"packets\":\"3\",\"srcAddr\":"
    "\"IAENuAAAAAAAAAAAAAAAAQ==\","
    "\"dstAddr\":\"xjNkBw==\",\"etype\":34525,\"proto\":6,\"srcPort\":443,\"dstPort\":51000,\"inIf\":7,"
    "\"srcMac\":\"73588229205\",\"tcpFlags\":18,\"srcAs\":64500,\"bgpCommunities\":[4259840100],"
    "\"asPath\":[64500,65001],\"srcCountry\":\"DE\",\"Cid\":77,\"SrcAddrAnon\":\"CryptoPAN\","
    "\"ValidationStatus\":\"NotFound\",\"Normalized\":\"Yes\",\"RemoteAddr\":\"Dst\",\"SrcIfName\":\"et-0/0/"
    "1\","
    "\"SrcIfDesc\":\"uplink \\\"A\\\"\",\"SrcIfSpeed\":10000,\"Note\":\"x\"}\n";

static void test_write_compact(void **st)
{
	(void)st;
	struct ofd_flow f;
	static struct render r;
	build(&f);
	assert_string_equal(render(&r, &f, 0), built_line);
	/* an absent enriched field is not written even when its value is set; base ones by value */
	ofd_flow_clear(&f, OFD_F_NOTE);
	ofd_flow_clear(&f, OFD_F_BYTES);
	const char *s = render(&r, &f, 0);
	assert_null(strstr(s, "\"Note\""));
	assert_non_null(strstr(s, ",\"bytes\":\"1500\","));
	/* the empty record is {} */
	memset(&f, 0, sizeof(f));
	assert_string_equal(render(&r, &f, 0), "{}\n");
	assert_string_equal(render(&r, &f, 1), "{}\n");
}

static void test_write_pretty(void **st)
{
	(void)st;
	struct ofd_flow f;
	static struct render r;
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_NETFLOW_V9;
	f.bytes = 10;
	f.as_path[0] = 1, f.as_path[1] = 2, f.as_path_len = 2;
	ofd_flow_set(&f, OFD_F_AS_PATH);
	assert_string_equal(render(&r, &f, 1), "{\n"
					       "  \"type\": \"NETFLOW_V9\",\n"
					       "  \"bytes\": \"10\",\n"
					       "  \"asPath\": [\n"
					       "    1,\n"
					       "    2\n"
					       "  ]\n"
					       "}\n");
}

/* The label stack: labels and TTLs as two lists, the top label's address as a list of bytes. */
static void test_write_mpls(void **st)
{
	(void)st;
	struct ofd_flow f;
	static struct render r;
	memset(&f, 0, sizeof(f));
	f.mpls_label = 16001;
	assert_string_equal(render(&r, &f, 0), "{\"mplsLabel\":[16001]}\n");
	f.mpls_stack.lse[0] = 16001u << 12 | 64;
	f.mpls_stack.lse[1] = 16002u << 12 | 1u << 8 | 63;
	f.mpls_stack.n = 2;
	ofd_flow_set(&f, OFD_F_MPLS_STACK);
	static const uint8_t ip[4] = {10, 9, 8, 7};
	ofd_ip_set4(&f.mpls_ip, ip);
	ofd_flow_set(&f, OFD_F_MPLS_IP);
	assert_string_equal(render(&r, &f, 0),
			    "{\"mplsTtl\":[64,63],\"mplsLabel\":[16001,16002],\"mplsIp\":[\"CgkIBw==\"]}\n");
}

/* A line as flowpipeline's json segment writes it, built from the schema by hand. */
static const char fp_line[] =
    "{\"type\":\"SFLOW_5\",\"timeReceivedNs\":\"1712345678901234567\",\"sequenceNum\":1234,"
    "\"samplingRate\":\"512\",\"flowDirection\":1,\"timeFlowStartNs\":\"1712345678000000000\","
    "\"timeFlowEndNs\":\"1712345678500000000\",\"samplerAddress\":\"CgAAAQ==\","
    "\"bytes\":\"9223372036854775807\",\"packets\":\"4294967296\","
    "\"srcAddr\":\"IAENuKvNAAAAAAAAAAAAEA==\",\"dstAddr\":\"CgECAw==\",\"etype\":2048,\"proto\":17,"
    "\"srcPort\":53,\"dstPort\":33333,\"srcMac\":\"18838586676582\",\"bgpCommunities\":[4259840100],"
    "\"asPath\":[64496,64497,64498],\"mplsTtl\":[64,63],\"mplsLabel\":[16001,16002],"
    "\"srcCountry\":\"NL\",\"layerStack\":[\"Ethernet\",\"IPv4\",\"UDP\"],\"layerSize\":[14,20,8],"
    "\"ValidationStatus\":\"Invalid\",\"ProtoName\":\"UDP\",\"RemoteAddr\":\"Src\","
    "\"SrcIfName\":\"xe-1/0/0\",\"SrcIfSpeed\":100000}";

static void check_fp_line(const struct ofd_flow *f)
{
	assert_int_equal(f->type, OFD_FT_SFLOW_5);
	assert_true(f->time_received_ns == 1712345678901234567ull);
	assert_int_equal(f->sequence_num, 1234);
	assert_int_equal(f->sampling_rate, 512);
	assert_int_equal(f->flow_direction, 1);
	assert_true(f->time_flow_start_ns == 1712345678000000000ull);
	assert_true(f->time_flow_end_ns == 1712345678500000000ull);
	assert_int_equal(f->sampler_address.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&f->sampler_address), 0x0a000001);
	assert_true(f->bytes == INT64_MAX);
	assert_true(f->packets == 4294967296ull);
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, [15] = 0x10};
	assert_int_equal(f->src_addr.family, OFD_AF_INET6);
	assert_memory_equal(f->src_addr.b, v6, 16);
	assert_int_equal(f->dst_addr.family, OFD_AF_INET);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0x0a010203);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->src_port, 53);
	assert_int_equal(f->dst_port, 33333);
	assert_true(f->src_mac == 0x112233445566ull);
	assert_int_equal(f->bgp_communities.n, 1);
	assert_int_equal(f->bgp_communities.v[0], 65000u << 16 | 100);
	assert_int_equal(f->as_path_len, 3);
	assert_int_equal(f->as_path[2], 64498);
	assert_int_equal(f->mpls_label, 16001);
	assert_int_equal(f->mpls_stack.n, 2);
	assert_int_equal(f->mpls_stack.lse[0], 16001u << 12 | 64);
	assert_int_equal(f->mpls_stack.lse[1], 16002u << 12 | 1u << 8 | 63);
	assert_memory_equal(f->src_country, "NL", 2);
	assert_int_equal(f->rpki, OFD_RPKI_INVALID);
	assert_string_equal(f->proto_name, "UDP");
	assert_int_equal(f->remote_addr, OFD_REMOTE_SRC);
	assert_string_equal(f->in_if_name, "xe-1/0/0");
	assert_true(f->in_if_speed == 100000000000ull);
	static const unsigned present[] = {OFD_F_TYPE,	      OFD_F_BYTES,	   OFD_F_SRC_ADDR,
					   OFD_F_MPLS_LABEL,  OFD_F_MPLS_STACK,	   OFD_F_RPKI,
					   OFD_F_PROTO_NAME,  OFD_F_IN_IF_SPEED,   OFD_F_AS_PATH,
					   OFD_F_SRC_COUNTRY, OFD_F_FLOW_DIRECTION};
	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
		assert_true(ofd_flow_has(f, present[i]));
	assert_false(ofd_flow_has(f, OFD_F_NOTE));
	assert_false(ofd_flow_has(f, OFD_F_DST_COUNTRY));
	assert_false(ofd_flow_has(f, OFD_F_MPLS_IP));
}

static void test_read_flowpipeline_line(void **st)
{
	(void)st;
	struct ofd_flow f;
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_protojson_parse(&f, fp_line, strlen(fp_line), &strs, NULL), 0);
	check_fp_line(&f);
	/* the stdin parser recognises it as protojson */
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_flowjson_parse(&f, fp_line, strlen(fp_line), &strs, NULL), 0);
	check_fp_line(&f);
}

/* Written, read back: every mapped value comes back. */
static void test_round_trip(void **st)
{
	(void)st;
	struct ofd_flow f, g;
	static struct render r, r2;
	build(&f);
	const char *s = render(&r, &f, 0);
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_protojson_parse(&g, s, strlen(s), &strs, NULL), 0);
	assert_string_equal(render(&r2, &g, 0), s);
	assert_string_equal(g.in_if_desc, "uplink \"A\"");
	assert_int_equal(g.rpki, OFD_RPKI_NOTFOUND);
	/* pretty text reads back the same */
	s = render(&r, &f, 1);
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_protojson_parse(&g, s, strlen(s), &strs, NULL), 0);
	assert_string_equal(render(&r2, &g, 0), built_line);
}

static int parse(struct ofd_flow *f, const char *s)
{
	ofd_batch_reset(&strs);
	return ofd_protojson_parse(f, s, strlen(s), &strs, NULL);
}

/* What protojson readers accept besides the canonical form. */
static void test_read_lenient(void **st)
{
	(void)st;
	struct ofd_flow f;
	/* proto names, numbers as strings and strings as numbers, enums by number */
	assert_int_equal(parse(&f, "{\"src_port\":\"80\",\"bytes\":7,\"ValidationStatus\":2,\"type\":4}"), 0);
	assert_int_equal(f.src_port, 80);
	assert_int_equal(f.bytes, 7);
	assert_int_equal(f.rpki, OFD_RPKI_NOTFOUND);
	assert_int_equal(f.type, OFD_FT_IPFIX);
	/* base64: unpadded, URL-safe */
	assert_int_equal(parse(&f, "{\"srcAddr\":\"wAACAQ\",\"dstAddr\":\"-_-__g\"}"), 0);
	assert_int_equal(ofd_ip_v4(&f.src_addr), 0xc0000201);
	assert_int_equal(ofd_ip_v4(&f.dst_addr), 0xfbffbffe);
	/* null and empty bytes: absent; unknown keys ignored; an eBPF flow's type is unknown to us */
	assert_int_equal(parse(&f, "{\"srcAddr\":null,\"dstAddr\":\"\",\"Foo\":{\"a\":1},\"type\":\"EBPF\","
				   "\"bytes\":\"3\"}"),
			 0);
	assert_false(ofd_flow_has(&f, OFD_F_SRC_ADDR));
	assert_false(ofd_flow_has(&f, OFD_F_DST_ADDR));
	assert_int_equal(f.type, OFD_FT_UNKNOWN);
	assert_int_equal(f.bytes, 3);
	/* legacy seconds and milliseconds, when the *_ns field is absent; the ns field wins */
	assert_int_equal(parse(&f, "{\"timeReceived\":\"1700000000\",\"timeFlowStartMs\":\"1700000000123\"}"),
			 0);
	assert_true(f.time_received_ns == 1700000000000000000ull);
	assert_true(f.time_flow_start_ns == 1700000000123000000ull);
	assert_int_equal(parse(&f, "{\"timeReceivedNs\":\"5\",\"timeReceived\":\"1\"}"), 0);
	assert_int_equal(f.time_received_ns, 5);
	assert_int_equal(parse(&f, "{\"timeReceived\":\"1\",\"timeReceivedNs\":\"5\"}"), 0);
	assert_int_equal(f.time_received_ns, 5);
	/* one label: the top label, no stack */
	assert_int_equal(parse(&f, "{\"mplsLabel\":[16001]}"), 0);
	assert_int_equal(f.mpls_label, 16001);
	assert_false(ofd_flow_has(&f, OFD_F_MPLS_STACK));
	/* lists longer than we keep: their first entries */
	assert_int_equal(parse(&f, "{\"asPath\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14]}"), 0);
	assert_int_equal(f.as_path_len, OFD_AS_PATH_MAX);
	assert_int_equal(f.as_path[11], 12);
}

/* Hostile or wrong values refuse the line, and leave the record zeroed. */
static void test_read_refused(void **st)
{
	(void)st;
	static const char *const bad[] = {
	    "{\"srcAddr\":\"wAAC\"}",			      /* 3 bytes: not an address */
	    "{\"srcAddr\":\"wAACAQID\"}",		      /* 6 bytes */
	    "{\"srcAddr\":\"IAENuAAAAAAAAAAAAAAAAQIDBA==\"}", /* 20 bytes */
	    "{\"srcAddr\":\"wAACAQ==AAAA\"}",		      /* padding inside */
	    "{\"srcAddr\":\"!!!!\"}",			      /* not base64 */
	    "{\"srcAddr\":5}",
	    "{\"mplsIp\":[\"wAAC\"]}",
	    "{\"bytes\":\"18446744073709551616\"}", /* 2^64 */
	    "{\"bytes\":\"9223372036854775808\"}",  /* 2^63: beyond what our format carries */
	    "{\"bytes\":\"123456789012345678901\"}",
	    "{\"bytes\":1e300}",
	    "{\"bytes\":-1}",
	    "{\"bytes\":\"1x\"}",
	    "{\"bytes\":true}",
	    "{\"proto\":256}", /* beyond our field */
	    "{\"srcPort\":70000}",
	    "{\"sequenceNum\":\"4294967296\"}",
	    "{\"srcNet\":129}",
	    "{\"type\":\"NOPE\"}",
	    "{\"type\":9}",
	    "{\"ValidationStatus\":\"valid\"}",
	    "{\"srcMac\":\"281474976710656\"}", /* 2^48 */
	    "{\"asPath\":[1,\"x\"]}",
	    "{\"asPath\":5}",
	    "{\"srcCountry\":\"DEU\"}",
	    "{\"mplsLabel\":[1048576]}",	  /* 21 bits */
	    "{\"timeReceived\":\"18446744074\"}", /* overflows as nanoseconds */
	    "{\"SrcIfName\":3}",
	    "{\"SrcIfSpeed\":\"4294967296\"}",
	    "[1]",
	    "\"text\"",
	    "{\"bytes\":\"1\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_flow f;
		memset(&f, 0xa5, sizeof(f));
		if (parse(&f, bad[i]) != OFD_EFORMAT) {
			print_error("accepted: %s\n", bad[i]);
			fail();
		}
		struct ofd_flow z;
		memset(&z, 0, sizeof(z));
		assert_memory_equal(&f, &z, sizeof(f));
	}
}

/* The stdin parser: our lines stay ours, protojson by key case or by values ours refuses. */
static void test_detection(void **st)
{
	(void)st;
	struct ofd_flow f;
	const char *ours = "{\"type\":\"IPFIX\",\"bytes\":5,\"src_addr\":\"192.0.2.1\",\"proto\":\"TCP\"}";
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_flowjson_parse(&f, ours, strlen(ours), &strs, NULL), 0);
	assert_int_equal(f.bytes, 5);
	assert_int_equal(f.proto, 6);
	assert_int_equal(ofd_ip_v4(&f.src_addr), 0xc0000201);
	/* proto names with protojson values: ours refuses "7" and base64, protojson takes them */
	const char *pn = "{\"time_received_ns\":\"7\",\"src_addr\":\"wAACAQ==\",\"etype\":2048}";
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_flowjson_parse(&f, pn, strlen(pn), &strs, NULL), 0);
	assert_int_equal(f.time_received_ns, 7);
	assert_int_equal(ofd_ip_v4(&f.src_addr), 0xc0000201);
	assert_int_equal(f.etype, 0x0800);
	/* refused by both */
	const char *bad = "{\"bytes\":-2}";
	assert_int_equal(ofd_flowjson_parse(&f, bad, strlen(bad), &strs, NULL), OFD_EFORMAT);
	const char *bad2 = "{\"srcAddr\":\"1.2.3.4\"}";
	assert_int_equal(ofd_flowjson_parse(&f, bad2, strlen(bad2), &strs, NULL), OFD_EFORMAT);
	/* a bad value under a key of ours alone is not taken for protojson */
	const char *bad3 = "{\"bytes\":1,\"rpki\":\"maybe\"}";
	assert_int_equal(ofd_flowjson_parse(&f, bad3, strlen(bad3), &strs, NULL), OFD_EFORMAT);
	assert_int_equal(ofd_protojson_known("src_addr"), 1);
	assert_int_equal(ofd_protojson_known("SrcIfName"), 1);
	assert_int_equal(ofd_protojson_known("rpki"), 0);
	assert_int_equal(ofd_protojson_key("timeReceivedNs"), 1);
	assert_int_equal(ofd_protojson_key("time_received_ns"), 0);
}

/* The table: numbers unique, and every mapped field of ours exists. */
static void test_table(void **st)
{
	(void)st;
	assert_int_equal(ofd_pj_nfields, 149); /* the fields of proto/enrichedflow.proto */
	for (unsigned i = 0; i < ofd_pj_nfields; i++) {
		const struct ofd_pj_field *e = &ofd_pj_fields[i];
		assert_true(e->field < (int)OFD_F__COUNT);
		assert_true((e->field < 0) == (e->conv == OFD_PJ_SKIP));
		for (unsigned k = i + 1; k < ofd_pj_nfields; k++) {
			assert_int_not_equal(e->number, ofd_pj_fields[k].number);
			assert_string_not_equal(e->json, ofd_pj_fields[k].json);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_compact), cmocka_unit_test(test_write_pretty),
	    cmocka_unit_test(test_write_mpls),	  cmocka_unit_test(test_read_flowpipeline_line),
	    cmocka_unit_test(test_round_trip),	  cmocka_unit_test(test_read_lenient),
	    cmocka_unit_test(test_read_refused),  cmocka_unit_test(test_detection),
	    cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
