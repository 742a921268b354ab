/* dropfields: clears the listed fields (policy drop) or every other one (policy keep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "format/flowfmt.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_dropfields;

static void full_flow(struct ofd_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->present = ofd_fieldset_all();
	f->bytes = 1000;
	f->packets = 10;
	ofd_ip_set4u(&f->src_addr, 0xc0000201);
	ofd_ip_set4u(&f->dst_addr, 0xc0000202);
	f->src_port = 53;
	f->proto = 17;
	f->in_if_desc = "uplink";
	f->as_path_len = 2;
	f->as_path[0] = 64500;
	f->as_path[1] = 64501;
	memcpy(f->src_country, "SE", 2);
	f->time_received_ns = 99;
}

static void test_dropfields_drop(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_dropfields, "{policy: drop, fields: [src_addr, 'Bytes,AsPath', SrcIfDesc]}");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	full_flow(&b->flows[0]);
	full_flow(&b->flows[1]);
	ofd_batch_kill(b, 1); /* not live: untouched */
	ofd_harness_process(h, b);
	struct ofd_flow want;
	full_flow(&want);
	memset(&want.src_addr, 0, sizeof(want.src_addr));
	want.bytes = 0;
	want.in_if_desc = NULL;
	want.as_path_len = 0;
	memset(want.as_path, 0, sizeof(want.as_path));
	want.present.w[0] &= ~(OFD_W0(OFD_F_SRC_ADDR) | OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_AS_PATH) |
			       OFD_W0(OFD_F_IN_IF_DESC));
	struct ofd_fieldset stored = ofd_fieldset_stored();
	ofd_fieldset_and(&want.present, &stored); /* storage-less fields' bits go, whatever they were */
	want.sparse = 1;			  /* the JSON output leaves the dropped fields out */
	assert_memory_equal(&b->flows[0], &want, sizeof(want));
	full_flow(&want);
	assert_memory_equal(&b->flows[1], &want, sizeof(want));
	ofd_harness_free(h);
}

static void test_dropfields_keep(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_dropfields, "{policy: keep, fields: 'bytes, packets,src_country'}");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	full_flow(&b->flows[0]);
	ofd_harness_process(h, b);
	struct ofd_flow want;
	memset(&want, 0, sizeof(want));
	want.bytes = 1000;
	want.packets = 10;
	memcpy(want.src_country, "SE", 2);
	want.present.w[0] = OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_PACKETS) | OFD_W0(OFD_F_SRC_COUNTRY);
	want.sparse = 1;
	assert_memory_equal(&b->flows[0], &want, sizeof(want));
	ofd_harness_free(h);
}

/* Fields of the table's tail, by their snake_case and flowpipeline names. */
static void test_dropfields_new_fields(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_dropfields, "{policy: drop, fields: [Note, bgp_communities, RemoteAddr]}");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	for (int i = 0; i < 2; i++) {
		full_flow(&b->flows[i]);
		b->flows[i].note = "hello";
		b->flows[i].cid = 17;
		b->flows[i].remote_addr = OFD_REMOTE_SRC;
		b->flows[i].bgp_communities.n = 1;
		b->flows[i].bgp_communities.v[0] = 65000;
		memcpy(b->flows[i].remote_country, "NL", 2);
	}
	ofd_harness_process(h, b);
	struct ofd_flow *f = &b->flows[0];
	assert_null(f->note);
	assert_int_equal(f->bgp_communities.n, 0);
	assert_int_equal(f->bgp_communities.v[0], 0);
	assert_int_equal(f->remote_addr, 0);
	assert_false(ofd_flow_has(f, OFD_F_NOTE) || ofd_flow_has(f, OFD_F_BGP_COMMUNITIES) ||
		     ofd_flow_has(f, OFD_F_REMOTE_ADDR));
	assert_int_equal(f->cid, 17);
	assert_true(ofd_flow_has(f, OFD_F_CID) && ofd_flow_has(f, OFD_F_REMOTE_COUNTRY));
	ofd_harness_free(h);
	h = st_open(&ofd_seg_dropfields, "{policy: keep, fields: 'Cid, bytes'}");
	b = ofd_harness_batch(h, 2);
	full_flow(&b->flows[1]);
	b->flows[1].note = "hello";
	b->flows[1].cid = 17;
	memcpy(b->flows[1].remote_country, "NL", 2);
	ofd_harness_process(h, b);
	f = &b->flows[1];
	assert_int_equal(f->cid, 17);
	assert_int_equal(f->bytes, 1000);
	assert_null(f->note);
	assert_int_equal(f->remote_country[0], 0);
	assert_int_equal(f->present.w[0], OFD_W0(OFD_F_BYTES));
	assert_int_equal(f->present.w[1], OFD_FS_BIT(OFD_F_CID)); /* Cid's bit is in word 1 */
	assert_int_equal(f->present.w[2] | f->present.w[3], 0);
	ofd_harness_free(h);
}

static char *json_of(const struct ofd_flow *f)
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

/* What dropfields clears is left out of the JSON output, base fields too; what it keeps is
   written, zero or not, as the JSON output writes it. */
static void test_dropfields_json(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(
	    &ofd_seg_dropfields, "{policy: keep, fields: 'SrcAddr,DstAddr,Bytes,SrcIfDesc,DstPort,Proto'}");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	struct ofd_flow *f = &b->flows[0];
	full_flow(f);
	memset(&f->present, 0, sizeof(f->present)); /* a decoder's bits do not matter */
	ofd_flow_set(f, OFD_F_IN_IF_DESC);
	f->note = "gone";
	ofd_flow_set(f, OFD_F_NOTE);
	ofd_harness_process(h, b);
	char *s = json_of(f);
	assert_string_equal(s, "{\"bytes\":1000,\"src_addr\":\"192.0.2.1\",\"dst_addr\":\"192.0.2.2\","
			       "\"proto\":\"UDP\",\"dst_port\":0,\"in_if_desc\":\"uplink\"}\n");
	free(s);
	ofd_harness_free(h);

	h = st_open(&ofd_seg_dropfields, "{policy: drop, fields: 'Bytes, SrcIfDesc, AsPath, Type'}");
	b = ofd_harness_batch(h, 1);
	f = &b->flows[0];
	full_flow(f);
	ofd_harness_process(h, b);
	s = json_of(f);
	assert_non_null(strstr(s, "{\"time_received_ns\":99,\"sequence_num\":0,\"sampling_rate\":0,"));
	assert_non_null(strstr(s, ",\"packets\":10,\"src_addr\":\"192.0.2.1\","));
	assert_non_null(strstr(s, ",\"bgp_next_hop\":\"\",\"mpls_label\":[0],\"observation_domain_id\":0,"));
	assert_null(strstr(s, "\"bytes\""));
	assert_null(strstr(s, "\"type\""));
	assert_null(strstr(s, "in_if_desc"));
	assert_null(strstr(s, "\"as_path\""));
	assert_null(strstr(s, "src_as_path")); /* storage-less: never written, present bit or not */
	free(s);
	/* a record dropfields did not touch: every base key, zeros included */
	full_flow(f);
	f->present = (struct ofd_fieldset){{0}};
	s = json_of(f);
	assert_non_null(strstr(s, "{\"type\":\"UNKNOWN\",\"time_received_ns\":99,"));
	assert_non_null(strstr(s, ",\"bytes\":1000,"));
	free(s);
	ofd_harness_free(h);
}

/* Storage-less fields (fields.def OFD_FIELD_NAME) are taken by name; clearing them does nothing. */
static void test_dropfields_storage_less(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_dropfields,
		    "{policy: drop, fields: 'FINFlagCount, HasMpls, src_as_path, Bytes, TimeFlowEnd'}");
	struct ofd_harness *g = st_open(&ofd_seg_dropfields, "{policy: drop, fields: Bytes}");
	struct ofd_batch *b = ofd_harness_batch(h, 1), *c = ofd_harness_batch(g, 1);
	full_flow(&b->flows[0]);
	full_flow(&c->flows[0]);
	ofd_harness_process(h, b);
	ofd_harness_process(g, c);
	/* byte for byte what dropping Bytes alone leaves */
	assert_int_equal(b->flows[0].bytes, 0);
	assert_memory_equal(&b->flows[0], &c->flows[0], sizeof(struct ofd_flow));
	ofd_harness_free(h);
	ofd_harness_free(g);
	/* keep: a storage-less name keeps nothing (it has no value), the others as ever */
	h = st_open(&ofd_seg_dropfields, "{policy: keep, fields: 'HasMpls, packets, PacketIATMean'}");
	b = ofd_harness_batch(h, 1);
	full_flow(&b->flows[0]);
	ofd_harness_process(h, b);
	struct ofd_flow want;
	memset(&want, 0, sizeof(want));
	want.packets = 10;
	want.present.w[0] = OFD_W0(OFD_F_PACKETS);
	want.sparse = 1;
	assert_memory_equal(&b->flows[0], &want, sizeof(want));
	char *s = json_of(&b->flows[0]);
	assert_string_equal(s, "{\"packets\":10}\n");
	free(s);
	ofd_harness_free(h);
}

static void test_dropfields_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "{policy: drop, fields: [src_addr, no_such_field]}", "{policy: drop, fields: 'bytes,,packets'}",
	    "{policy: maybe, fields: bytes}", /* refused by the config map */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_harness *h;
		char err[512] = "";
		/* the first two fail in init(): fini() runs after the failed init */
		assert_int_equal(ofd_harness_new(&h, &ofd_seg_dropfields, bad[i], err, sizeof(err)),
				 OFD_ECONFIG);
		assert_null(h);
		st_assert_prefix(err, "test.yml:1: segment dropfields: ");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dropfields_drop),	    cmocka_unit_test(test_dropfields_keep),
	    cmocka_unit_test(test_dropfields_new_fields),   cmocka_unit_test(test_dropfields_json),
	    cmocka_unit_test(test_dropfields_storage_less), cmocka_unit_test(test_dropfields_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
