/*
 * Storage-less fields (fields.def OFD_FIELD_NAME): their names resolve, they have no member and
 * are never present; every writer renders them as their kind's zero, the JSON reader skips their
 * keys, and no consumer reads a byte at their offset: the record under test is followed by 0xff
 * bytes (where a storage-less field's offset points), which a read would turn into a non-zero.
 */
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
#include "format/fpcsv.h"
#include "gen_flow.h"

/* A sample record, and just past it the bytes a read by a storage-less field's offset finds. */
struct trapped {
	struct ofd_flow f;
	unsigned char trap[64];
};

static struct trapped *trapped_new(unsigned char fill)
{
	struct trapped *t = malloc(sizeof(*t));
	assert_non_null(t);
	memset(t, fill, sizeof(*t));
	gen_sample_flow(&t->f);
	assert_int_equal(offsetof(struct trapped, trap), sizeof(struct ofd_flow));
	return t;
}

/* The text a writer leaves in w, as a string (w emptied). */
static char *take(struct ofd_wbuf *w)
{
	char *s = calloc(1, w->len + 1);
	assert_non_null(s);
	memcpy(s, w->buf, w->len);
	w->len = 0;
	return s;
}

static void test_names(void **state)
{
	(void)state;
	/* the storage-less fields are the table's last 52; the addrstrings strings have members */
	assert_int_equal(OFD_F__NAMED, 52);
	assert_int_equal(OFD_F__STORED, OFD_F__COUNT - 52);
	assert_int_equal(OFD_F__STORED, OFD_F_DESTINATION_MAC + 1);
	assert_true(ofd_field_stored(OFD_F_SOURCE_IP) && ofd_field_stored(OFD_F_FLOW_END_REASON));
	assert_false(ofd_field_stored(OFD_F__COUNT));
	static const struct {
		const char *name;
		int id;
	} named[] = {
	    {"TimeReceived", OFD_F_TIME_RECEIVED_SEC},
	    {"time_flow_start_ms", OFD_F_TIME_FLOW_START_MS},
	    {"FINFlagCount", OFD_F_FIN_FLAG_COUNT},
	    {"HasMpls", OFD_F_HAS_MPLS},
	    {"mplslabelip", OFD_F_MPLS_LABEL_IP},
	    {"SrcAsPath", OFD_F_SRC_AS_PATH},
	    {"SrcCountryBW", OFD_F_SRC_COUNTRY_BW},
	    {"Ipv6RoutingHeaderSegLeft", OFD_F_IPV6_RH_SEG_LEFT},
	    {"MplsTtl", OFD_F_MPLS_TTL},
	    {"IngressVrfIDBW", OFD_F_INGRESS_VRF_ID_BW},
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		int id = ofd_field_by_name(named[i].name);
		assert_int_equal(id, named[i].id);
		assert_false(ofd_field_stored((unsigned)id));
		assert_int_equal(ofd_fields[id].cls, OFD_FC_NAMED);
		assert_int_equal(ofd_fields[id].size, 0);
		assert_string_equal(ofd_fmt_field_get((unsigned)id)->name, ofd_fields[id].name);
	}
	/* the sets: base and enriched are the stored fields, the rest is storage-less */
	struct ofd_fieldset s = ofd_fmt_base, all = ofd_fieldset_all();
	ofd_fieldset_or(&s, &ofd_fmt_enriched);
	struct ofd_fieldset stored = ofd_fieldset_stored();
	assert_true(ofd_fieldset_eq(&s, &stored));
	assert_false(ofd_fieldset_any(&ofd_fmt_base, &ofd_fmt_enriched));
	ofd_fieldset_andnot(&all, &stored);
	for (unsigned id = 0; id < OFD_F__COUNT; id++)
		assert_int_equal(ofd_fieldset_has(&all, id), ofd_fields[id].cls == OFD_FC_NAMED);
}

/* Each field's own writer (JSON and CSV): the kind's zero, whatever lies past the record. */
static void test_writers(void **state)
{
	(void)state;
	struct trapped *t = trapped_new(0xff);
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 16), 0);
	for (unsigned id = OFD_F__STORED; id < OFD_F__COUNT; id++) {
		const char *json = "?", *csv = "?";
		switch (ofd_fields[id].kind) {
		case OFD_FK_U8:
		case OFD_FK_U32:
		case OFD_FK_U64: json = "0", csv = "0"; break;
		case OFD_FK_STR:
		case OFD_FK_IP: json = "\"\"", csv = ""; break;
		case OFD_FK_COMMS: json = "[]", csv = ""; break;
		default: fail_msg("storage-less %s of an unexpected kind", ofd_fields[id].name);
		}
		ofd_wbuf_reserve(&w);
		ofd_fmt_field_get(id)->put(&w, &t->f, 1);
		char *s = take(&w);
		if (strcmp(s, json) != 0)
			fail_msg("%s: JSON %s, want %s", ofd_fields[id].name, s, json);
		free(s);
		ofd_wbuf_reserve(&w);
		ofd_fmt_field_get(id)->put(&w, &t->f, 0);
		s = take(&w);
		if (strcmp(s, csv) != 0)
			fail_msg("%s: CSV %s, want %s", ofd_fields[id].name, s, csv);
		free(s);
	}
	/* csv `fields` naming them: zeros and empty cells */
	const uint8_t ids[] = {OFD_F_BYTES,	  OFD_F_TIME_FLOW_END_SEC, OFD_F_SRC_COUNTRY_BW,
			       OFD_F_LAYER_STACK, OFD_F_MPLS_LABEL_IP,	   OFD_F_HAS_MPLS};
	ofd_fmt_csv_ids_header(&w, ids, sizeof(ids));
	ofd_fmt_csv_ids(&w, &t->f, ids, sizeof(ids));
	char *s = take(&w);
	assert_string_equal(s, "bytes,time_flow_end,src_country_bw,fp_layer_stack,mpls_label_ip,has_mpls\n"
			       "15000,0,,,,0\n");
	free(s);
	/* JSON never writes them, not even with every present bit set (which nothing does) */
	t->f.present = ofd_fieldset_all();
	for (int sparse = 0; sparse < 2; sparse++) {
		t->f.sparse = (uint8_t)sparse;
		ofd_fmt_json_enriched(&w, &t->f);
		ofd_fmt_json(&w, &t->f);
		s = take(&w);
		for (unsigned id = OFD_F__STORED; id < OFD_F__COUNT; id++) {
			char key[64];
			snprintf(key, sizeof(key), "\"%s\":", ofd_fields[id].name);
			if (strstr(s, key))
				fail_msg("JSON wrote %s: %s", ofd_fields[id].name, s);
		}
		assert_non_null(strstr(s, "\"bytes\":15000,"));
		free(s);
	}
	w.len = 0;
	ofd_wbuf_fini(&w);
	free(t);
}

/* format: flowpipeline writes them as flowpipeline prints an unset field of their Go type. */
static void test_fpcsv(void **state)
{
	(void)state;
	struct trapped *t = trapped_new(0xff), *u = trapped_new(0);
	static const char *const names[] = {"Bytes",	       "TimeReceived",
					    "TimeFlowEnd",     "FINFlagCount",
					    "PacketBytesMean", "HasMpls",
					    "MplsCount",       "Mpls_2Label",
					    "MplsLabelIp",     "SrcAsPath",
					    "LayerStack",      "MplsTtl",
					    "SrcCountryBW",    "Ipv6RoutingHeaderAddresses",
					    "EgressVrfIDBW",   "SourceIP"};
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct ofd_fpcsv_col cols[N];
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(ofd_fpcsv_col_by_name(&cols[i], names[i]), 0);
	t->f.source_ip = "192.0.2.129";
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 16), 0);
	ofd_fpcsv_header(&w, cols, N);
	ofd_fpcsv_row(&w, &t->f, cols, N);
	char *s = take(&w);
	assert_string_equal(s,
			    "Bytes,TimeReceived,TimeFlowEnd,FINFlagCount,PacketBytesMean,HasMpls,MplsCount,"
			    "Mpls_2Label,MplsLabelIp,SrcAsPath,LayerStack,MplsTtl,SrcCountryBW,"
			    "Ipv6RoutingHeaderAddresses,EgressVrfIDBW,SourceIP\n"
			    "15000,0,0,0,0,false,0,0,,[],[],[],,[],0,192.0.2.129\n");
	free(s);
	/* all 149 columns: the same row whatever lies past the record */
	static struct ofd_fpcsv_col all[OFD_FPCSV_NCOLS];
	ofd_fpcsv_all(all);
	u->f.source_ip = t->f.source_ip;
	ofd_fpcsv_row(&w, &t->f, all, OFD_FPCSV_NCOLS);
	s = take(&w);
	ofd_fpcsv_row(&w, &u->f, all, OFD_FPCSV_NCOLS);
	char *z = take(&w);
	assert_string_equal(s, z);
	assert_non_null(strstr(s, ",0,0,0,[],[]\n")); /* ... TimeFlowStart, SrcAsPath, DstAsPath */
	free(s);
	free(z);
	w.len = 0;
	ofd_wbuf_fini(&w);
	free(t);
	free(u);
}

/* The JSON reader skips their keys, whatever the value: nothing set, nothing present. */
static void test_json_reader(void **state)
{
	(void)state;
	struct ofd_batch *b = malloc(sizeof(*b)); /* the strings' arena */
	assert_non_null(b);
	ofd_batch_init(b, NULL, NULL);
	static const char line[] =
	    "{\"bytes\":5,\"time_received\":7,\"fin_flag_count\":\"many\",\"src_as_path\":[1,2],"
	    "\"has_mpls\":true,\"fp_mpls_ttl\":{},\"mpls_label_ip\":\"10.0.0.1\",\"src_country_bw\":\"DE\","
	    "\"fp_ipv6_routing_header_seg_left\":-1,\"packet_bytes_mean\":1e99}";
	struct ofd_flow f, g;
	assert_int_equal(ofd_flowjson_parse(&f, line, strlen(line), b, NULL), 0);
	assert_int_equal(ofd_flowjson_parse(&g, "{\"bytes\":5}", 11, b, NULL), 0);
	assert_int_equal(f.bytes, 5);
	assert_int_equal(f.present.w[0], OFD_W0(OFD_F_BYTES));
	assert_int_equal(f.present.w[1] | f.present.w[2] | f.present.w[3], 0);
	assert_memory_equal(&f, &g, sizeof(f));
	assert_int_equal(b->arena_used, 0); /* no string kept */
	/* a storage-less key does not hide a bad value of a stored one */
	static const char bad[] = "{\"has_mpls\":true,\"bytes\":-1}";
	assert_int_equal(ofd_flowjson_parse(&f, bad, strlen(bad), b, NULL), OFD_EFORMAT);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_writers),
	    cmocka_unit_test(test_fpcsv),
	    cmocka_unit_test(test_json_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
