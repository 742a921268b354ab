/* JSON lines back into records (format/flowjson_parse.c), and flowfmt's enriched additions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "format/flowjson_parse.h"
#include "gen_flow.h"

/* `present` is exactly the word-0 mask w0. */
static void assert_present(const struct ofd_fieldset *s, uint64_t w0)
{
	assert_int_equal(s->w[0], w0);
	for (unsigned i = 1; i < OFD_FIELDSET_WORDS; i++)
		assert_int_equal(s->w[i], 0);
}

/* Render into memory: a buffer large enough that the wbuf never writes. */
struct render {
	struct ofd_wbuf w;
	char text[65536];
};

static const char *render_json(struct render *r, const struct ofd_flow *f)
{
	assert_int_equal(ofd_wbuf_init(&r->w, -1, 1 << 16), 0);
	ofd_fmt_json_enriched(&r->w, f);
	assert_true(r->w.len < sizeof(r->text));
	memcpy(r->text, r->w.buf, r->w.len);
	r->text[r->w.len] = 0;
	r->w.len = 0;
	ofd_wbuf_fini(&r->w);
	return r->text;
}

/* The reference record with every other field set too. */
static void sample(struct ofd_flow *f)
{
	gen_sample_flow(f);
	f->dst_mac = 0xffeeddccbbaaull;
	f->src_vlan = 10;
	f->dst_vlan = 20;
	f->vlan_id = 30;
	f->forwarding_status = 129;
	f->ip_ttl = 64;
	f->ip_flags = 2;
	f->tcp_flags = 0x12;
	f->icmp_type = 3;
	f->icmp_code = 1;
	f->ipv6_flow_label = 0xabcde;
	f->fragment_id = 77;
	f->fragment_offset = 1480;
	f->next_hop_as = 64511;
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe};
	ofd_ip_set6(&f->bgp_next_hop, v6);
	f->mpls_label = 1048575;
	f->observation_domain_id = 0xffffffffu;
	f->observation_point_id = 5;
	f->engine_type = 1;
}

/* Every field but `present` and the string pointers (compared by content). */
static void assert_same(const struct ofd_flow *a, const struct ofd_flow *b)
{
	struct ofd_flow x = *a, y = *b;
	const char **xs[] = {&x.in_if_name, &x.in_if_desc, &x.out_if_name, &x.out_if_desc};
	const char **ys[] = {&y.in_if_name, &y.in_if_desc, &y.out_if_name, &y.out_if_desc};
	for (int i = 0; i < 4; i++) {
		if (*xs[i] || *ys[i]) {
			assert_non_null(*xs[i]);
			assert_non_null(*ys[i]);
			assert_string_equal(*xs[i], *ys[i]);
		}
		*xs[i] = *ys[i] = NULL;
	}
	memset(&x.present, 0, sizeof(x.present));
	memset(&y.present, 0, sizeof(y.present));
	assert_memory_equal(&x, &y, sizeof(x));
}

static void test_round_trip_base(void **state)
{
	(void)state;
	struct ofd_flow f, g;
	struct render r;
	sample(&f);
	const char *s = render_json(&r, &f);
	assert_int_equal(ofd_flowjson_parse(&g, s, strlen(s), NULL, NULL), 0);
	assert_same(&f, &g);
	/* every base key was in the line: every base bit is set, no enriched one */
	assert_true(ofd_fieldset_eq(&g.present, &ofd_fmt_base));
	assert_int_equal(g.sampler_address.family, OFD_AF_INET);
	assert_int_equal(g.bgp_next_hop.family, OFD_AF_INET6);
}

static void test_round_trip_enriched(void **state)
{
	(void)state;
	struct ofd_batch *t = malloc(sizeof(*t)); /* the strings' arena */
	assert_non_null(t);
	ofd_batch_init(t, NULL, NULL);
	struct ofd_flow f, g;
	struct render r;
	sample(&f);
	f.in_if_name = "et-0/0/1";
	f.in_if_desc = "Transit \"A\", \\ tab\there";
	f.out_if_speed = 100000000000ull;
	f.src_cid = 17;
	f.local_pref = 200;
	f.as_path_len = 3;
	f.as_path[0] = 64500;
	f.as_path[1] = 64511;
	f.as_path[2] = 4200000000u;
	memcpy(f.dst_country, "DE", 2);
	f.flow_direction = OFD_DIR_EGRESS;
	f.rpki = OFD_RPKI_INVALID;
	static const unsigned ids[] = {OFD_F_IN_IF_NAME,  OFD_F_IN_IF_DESC,	OFD_F_OUT_IF_SPEED,
				       OFD_F_SRC_CID,	  OFD_F_LOCAL_PREF,	OFD_F_AS_PATH,
				       OFD_F_DST_COUNTRY, OFD_F_FLOW_DIRECTION, OFD_F_RPKI};
	memset(&f.present, 0, sizeof(f.present));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ofd_flow_set(&f, ids[i]);
	const char *s = render_json(&r, &f);
	const char *tail = strstr(s, ",\"engine_id\":7");
	assert_non_null(tail);
	assert_string_equal(tail, ",\"engine_id\":7,\"in_if_name\":\"et-0/0/1\","
				  "\"in_if_desc\":\"Transit \\\"A\\\", \\\\ tab\\u0009here\","
				  "\"out_if_speed\":100000000000,\"src_cid\":17,\"local_pref\":200,"
				  "\"dst_country\":\"DE\","
				  "\"flow_direction\":1,\"rpki\":\"invalid\"}\n");
	assert_non_null(strstr(s, ",\"as_path\":[64500,64511,4200000000],\"mpls_ttl\":[],"));
	assert_int_equal(ofd_flowjson_parse(&g, s, strlen(s), t, NULL), 0);
	assert_same(&f, &g);
	struct ofd_fieldset ge = g.present;
	ofd_fieldset_and(&ge, &ofd_fmt_enriched);
	assert_true(ofd_fieldset_eq(&ge, &f.present));
	/* the strings are in the batch's arena */
	assert_true(g.in_if_name >= t->arena && g.in_if_name < t->arena + t->arena_used);
	assert_int_equal(t->arena_used, strlen("et-0/0/1") + 1 + strlen(f.in_if_desc) + 1);
	/* without an arena the strings stay unset */
	struct ofd_flow h;
	assert_int_equal(ofd_flowjson_parse(&h, s, strlen(s), NULL, NULL), 0);
	assert_null(h.in_if_name);
	assert_false(ofd_flow_has(&h, OFD_F_IN_IF_NAME));
	free(t);
}

static void test_no_enriched_same_as_base(void **state)
{
	(void)state;
	struct ofd_flow f;
	struct render r1, r2;
	sample(&f);
	f.present = (struct ofd_fieldset){{OFD_W0(OFD_F_BYTES)}}; /* base bits only */
	render_json(&r1, &f);
	assert_int_equal(ofd_wbuf_init(&r2.w, -1, 1 << 16), 0);
	ofd_fmt_json(&r2.w, &f);
	assert_int_equal(r2.w.len, strlen(r1.text));
	assert_memory_equal(r2.w.buf, r1.text, r2.w.len);
	r2.w.len = 0;
	ofd_wbuf_fini(&r2.w);
}

static int parse(const char *s, struct ofd_flow *f)
{
	return ofd_flowjson_parse(f, s, strlen(s), NULL, NULL);
}

static void test_partial_and_names(void **state)
{
	(void)state;
	struct ofd_flow f;
	assert_int_equal(
	    parse("  {\"bytes\":5,\"proto\":\"250\",\"etype\":\"IPv6\",\"type\":\"IPFIX\","
		  "\"src_addr\":\"2001:db8::1\",\"src_net\":\"2001:db8::/48\",\"what\":[1,{}]}\r\n",
		  &f),
	    0);
	assert_int_equal(f.bytes, 5);
	assert_int_equal(f.proto, 250);
	assert_int_equal(f.etype, 0x86dd);
	assert_int_equal(f.type, OFD_FT_IPFIX);
	assert_int_equal(f.src_addr.family, OFD_AF_INET6);
	assert_int_equal(f.src_net, 48);
	assert_present(&f.present, OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_PROTO) | OFD_W0(OFD_F_ETYPE) |
				       OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_SRC_ADDR) | OFD_W0(OFD_F_SRC_NET));
	assert_int_equal(parse("{\"proto\":\"ICMPv6\",\"etype\":2054,\"type\":0,\"src_net\":17,"
			       "\"rpki\":\"notfound\",\"dst_addr\":\"\"}",
			       &f),
			 0);
	assert_int_equal(f.proto, 58);
	assert_int_equal(f.etype, 0x0806);
	assert_int_equal(f.src_net, 17);
	assert_int_equal(f.rpki, OFD_RPKI_NOTFOUND);
	assert_int_equal(f.dst_addr.family, OFD_AF_NONE);
	assert_int_equal(parse("{}", &f), 0);
	assert_false(ofd_fieldset_any(&f.present, NULL));
	assert_int_equal(parse("{\"as_path\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14]}", &f), 0);
	assert_int_equal(f.as_path_len, OFD_AS_PATH_MAX);
	assert_int_equal(f.as_path[11], 12);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[1,2]",
	    "\"bytes\"",
	    "{\"bytes\":1",
	    "{\"bytes\":1} {\"bytes\":2}",
	    "{\"bytes\":-1}",
	    "{\"bytes\":1.5}",
	    "{\"bytes\":99999999999999999999}",
	    "{\"src_port\":65536}",
	    "{\"ip_tos\":256}",
	    "{\"sequence_num\":4294967296}",
	    "{\"type\":\"NETFLOW_V6\"}",
	    "{\"type\":6}",
	    "{\"proto\":\"UDPX\"}",
	    "{\"proto\":\"256\"}",
	    "{\"etype\":\"IPv5\"}",
	    "{\"src_addr\":\"1.2.3.256\"}",
	    "{\"src_addr\":7}",
	    "{\"src_mac\":\"0a:1b:2c:3d:4e\"}",
	    "{\"src_mac\":\"0a:1b:2c:3d:4e:5g\"}",
	    "{\"src_mac\":\"0a-1b-2c-3d-4e-5f\"}",
	    "{\"src_net\":\"10.0.0.0\"}",
	    "{\"src_net\":\"10.0.0.0/129\"}",
	    "{\"src_net\":\"10.0.0.0/\"}",
	    "{\"as_path\":[1,-2]}",
	    "{\"as_path\":\"1 2\"}",
	    "{\"dst_country\":\"DEU\"}",
	    "{\"dst_country\":\"D\\u0000\"}",
	    "{\"rpki\":\"maybe\"}",
	    "{\"in_if_name\":5}",
	    "{\"bytes\":1,\"bytes\":2}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_flow f;
		memset(&f, 0xa5, sizeof(f));
		if (parse(bad[i], &f) != OFD_EFORMAT)
			fail_msg("accepted: %s", bad[i]);
		assert_false(ofd_fieldset_any(&f.present, NULL)); /* zeroed on failure */
	} /* what our format refuses but flowpipeline's protojson reads (format/protojson.h): a uint64 as a
     string, null as absent, flow type 5 (EBPF, unknown to us) */
	struct ofd_flow f;
	assert_int_equal(parse("{\"bytes\":\"1\"}", &f), 0);
	assert_int_equal(f.bytes, 1);
	assert_int_equal(parse("{\"bytes\":null}", &f), 0);
	assert_false(ofd_flow_has(&f, OFD_F_BYTES));
	assert_int_equal(parse("{\"type\":5}", &f), 0);
	assert_int_equal(f.type, OFD_FT_UNKNOWN);
}

static void test_arena_bound(void **state)
{
	(void)state;
	struct ofd_batch *t = malloc(sizeof(*t));
	assert_non_null(t);
	ofd_batch_init(t, NULL, NULL);
	/* an arena with room for "b" and its NUL only: the first string is dropped and counted */
	t->arena_used = OFD_BATCH_ARENA - 3;
	struct ofd_flow f;
	unsigned dropped = 0;
	const char *s = "{\"in_if_name\":\"xyz\",\"out_if_name\":\"b\"}";
	assert_int_equal(ofd_flowjson_parse(&f, s, strlen(s), t, &dropped), 0);
	assert_null(f.in_if_name);
	assert_string_equal(f.out_if_name, "b");
	assert_int_equal(dropped, 1);
	assert_true(ofd_fieldset_eq(&f.present, &(struct ofd_fieldset){{OFD_W0(OFD_F_OUT_IF_NAME)}}));
	/* long strings are cut at OFD_FMT_TEXT_MAX on a UTF-8 boundary */
	char longs[400];
	memset(longs, 'x', 254);
	memcpy(longs + 254, "\xc3\xa4", 2); /* a two-byte character across the limit */
	char line[512];
	snprintf(line, sizeof(line), "{\"note\":\"%.256s\"}", longs);
	ofd_batch_reset(t);
	assert_int_equal(ofd_flowjson_parse(&f, line, strlen(line), t, NULL), 0);
	assert_int_equal(strlen(f.note), 254);
	free(t);
}

/* Records copied between batches take their strings along; other strings are kept. */
static void test_arena_copy(void **state)
{
	(void)state;
	struct ofd_batch *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	ofd_batch_init(a, NULL, NULL);
	ofd_batch_init(b, NULL, NULL);
	static const char config_text[] = "from the config";
	for (int i = 0; i < 3; i++) {
		struct ofd_flow *f = ofd_batch_add(a);
		char name[16];
		snprintf(name, sizeof(name), "host-%d", i);
		f->src_host_name = ofd_batch_strdup(a, name, strlen(name));
		f->note = config_text;
		f->bytes = (uint64_t)i;
	}
	ofd_batch_kill(a, 1);
	ofd_batch_copy_live(b, a);
	assert_int_equal(b->n, 2);
	assert_int_equal(b->arena_used, a->arena_used);
	assert_string_equal(b->flows[0].src_host_name, "host-0");
	assert_string_equal(b->flows[1].src_host_name, "host-2");
	assert_true(b->flows[1].src_host_name >= b->arena &&
		    b->flows[1].src_host_name < b->arena + b->arena_used);
	assert_ptr_equal(b->flows[0].note, config_text);
	assert_int_equal(b->flows[1].bytes, 2);
	/* a's arena may be reused at once: b's strings are its own */
	ofd_batch_reset(a);
	memset(a->arena, 'Z', 64);
	assert_string_equal(b->flows[1].src_host_name, "host-2");
	/* swapping hands the arena over with the records */
	ofd_batch_swap(a, b);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->flows[0].src_host_name, "host-0");
	assert_int_equal(b->arena_used, 0);
	/* a full arena refuses */
	a->arena_used = OFD_BATCH_ARENA - 4;
	assert_null(ofd_batch_strdup(a, "abcd", 4));
	assert_non_null(ofd_batch_strdup(a, "abc", 3));
	assert_int_equal(ofd_batch_arena_free(a), 0);
	free(a);
	free(b);
}

static void test_text_rendering(void **state)
{
	(void)state;
	struct ofd_flow f;
	struct render r;
	memset(&f, 0, sizeof(f));
	f.in_if_desc = "ok\xc3\xa4 bad\xff\xc3 end"; /* valid 2-byte char, invalid bytes */
	f.present = (struct ofd_fieldset){{OFD_W0(OFD_F_IN_IF_DESC)}};
	const char *s = render_json(&r, &f);
	assert_non_null(strstr(s, ",\"in_if_desc\":\"ok\xc3\xa4 bad?? end\"}\n"));
	/* CSV: quoted when needed */
	assert_int_equal(ofd_wbuf_init(&r.w, -1, 1 << 16), 0);
	uint8_t ids[] = {OFD_F_BYTES,	OFD_F_IN_IF_NAME,  OFD_F_IN_IF_DESC,
			 OFD_F_AS_PATH, OFD_F_SRC_COUNTRY, OFD_F_RPKI};
	f.in_if_desc = "a,\"b\"";
	f.in_if_name = NULL;
	f.bytes = 9;
	f.as_path_len = 2;
	f.as_path[0] = 1;
	f.as_path[1] = 2;
	ofd_fmt_csv_ids_header(&r.w, ids, 6);
	ofd_fmt_csv_ids(&r.w, &f, ids, 6);
	r.w.buf[r.w.len] = 0;
	assert_string_equal(r.w.buf, "bytes,in_if_name,in_if_desc,as_path,src_country,rpki\n"
				     "9,,\"a,\"\"b\"\"\",1 2,,unknown\n");
	r.w.len = 0;
	ofd_wbuf_fini(&r.w);
}

static void test_field_names(void **state)
{
	(void)state;
	assert_int_equal(ofd_fmt_field_id("src_addr"), OFD_F_SRC_ADDR);
	assert_int_equal(ofd_fmt_field_id("rpki"), OFD_F_RPKI);
	assert_int_equal(ofd_fmt_field_id("SrcAddr"), OFD_F_SRC_ADDR);
	assert_int_equal(ofd_fmt_field_id("Bytes"), OFD_F_BYTES);
	assert_int_equal(ofd_fmt_field_id("TimeReceived"),
			 OFD_F_TIME_RECEIVED_SEC); /* flowpipeline: seconds */
	assert_int_equal(ofd_fmt_field_id("TimeReceivedNs"), OFD_F_TIME_RECEIVED);
	assert_int_equal(ofd_fmt_field_id("TimeFlowStartNs"), OFD_F_TIME_FLOW_START);
	assert_int_equal(ofd_fmt_field_id("NextHopAS"), OFD_F_NEXT_HOP_AS);
	assert_int_equal(ofd_fmt_field_id("SrcIfDesc"), OFD_F_IN_IF_DESC);
	assert_int_equal(ofd_fmt_field_id("DstIfSpeed"), OFD_F_OUT_IF_SPEED);
	assert_int_equal(ofd_fmt_field_id("AsPath"), OFD_F_AS_PATH);
	assert_int_equal(ofd_fmt_field_id("nope"), -1);
	assert_int_equal(ofd_fmt_field_id(""), -1);
	assert_int_equal(ofd_fmt_field_id("ns"), -1);
	for (unsigned id = 0; id < OFD_F__COUNT; id++)
		assert_int_equal(ofd_fmt_field_id(ofd_fmt_field_get(id)->name), id);
	assert_null(ofd_fmt_field_get(OFD_F__COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_base),
	    cmocka_unit_test(test_round_trip_enriched),
	    cmocka_unit_test(test_no_enriched_same_as_base),
	    cmocka_unit_test(test_partial_and_names),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_arena_bound),
	    cmocka_unit_test(test_arena_copy),
	    cmocka_unit_test(test_text_rendering),
	    cmocka_unit_test(test_field_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
