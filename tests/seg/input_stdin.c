/*
 * stdin: reads JSON lines in the json output's formats (from a file here): what the json output
 * wrote comes back field for field, in our format and through flowpipeline's protojson;
 * both formats mix line by line; malformed and over-long lines are counted and skipped; the
 * input stays up at the end of its file unless eofcloses. The round trips also need the pcap
 * and json segments (skipped in a build without them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_stdin;
#if defined(OFD_HAVE_SEGMENT_PCAP) && defined(OFD_HAVE_SEGMENT_JSON)
extern const struct ofd_segment_type ofd_seg_pcap, ofd_seg_json;
#endif

/* The enriched fields (IN_IF_NAME and after): written only when present. */

static char capture[512];

static int setup(void **st)
{
	snprintf(capture, sizeof(capture), "%s", st_data("netflow_4M.pcap"));
	return st_dir_make(st);
}

#if defined(OFD_HAVE_SEGMENT_PCAP) && defined(OFD_HAVE_SEGMENT_JSON)
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
	/* base fields are always written, so they come back present; enriched ones as they were;
	   storage-less ones never */
	struct ofd_fieldset enriched = {{0}}, want = {{0}};
	for (unsigned id = 0; id < OFD_F__COUNT; id++)
		if (ofd_fields[id].cls == OFD_FC_ENRICHED)
			ofd_fieldset_set(&enriched, id);
		else if (ofd_fields[id].cls == OFD_FC_BASE)
			ofd_fieldset_set(&want, id);
	struct ofd_fieldset xe = x.present;
	ofd_fieldset_and(&xe, &enriched);
	ofd_fieldset_or(&want, &xe);
	assert_true(ofd_fieldset_eq(&y.present, &want));
	memset(&x.present, 0, sizeof(x.present));
	memset(&y.present, 0, sizeof(y.present));
	/* provenance is set by each input, not written or parsed */
	x.origin = y.origin = 0;
	x.export_bytes = y.export_bytes = 0;
	assert_memory_equal(&x, &y, sizeof(x));
}

/* Write the n records of orig with the json output to file, in full batches. */
static void write_json(const char *file, const struct ofd_flow *orig, size_t n)
{
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", file);
	struct ofd_harness *h = st_open(&ofd_seg_json, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 0);
	for (size_t i = 0; i < n; i++) {
		if (b->n == OFD_BATCH_CAP) {
			ofd_harness_process(h, b);
			ofd_batch_reset(b);
		}
		*ofd_batch_add(b) = orig[i];
	}
	ofd_harness_process(h, b);
	ofd_harness_free(h);
}
#endif

static void test_stdin_round_trip(void **state)
{
	(void)state;
#if defined(OFD_HAVE_SEGMENT_PCAP) && defined(OFD_HAVE_SEGMENT_JSON)
	if (access(capture, R_OK) != 0)
		skip();
	/* the capture's records, with enriched fields on some */
	char cfg[1200];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", capture);
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_pcap, cfg);
	st_run_to_end(h, &c);
	ofd_harness_free(h);
	size_t n = c.n;
	assert_int_equal(n, 78684);
	struct ofd_flow *orig = c.v; /* pcap sets no strings: nothing to free but the array */
	c.v = NULL;
	c.n = c.cap = 0;
	for (size_t i = 0; i < n; i += 97) {
		orig[i].in_if_desc = i % 2 ? "uplink \"1\"" : "ü-link";
		orig[i].src_cid = (uint32_t)i;
		orig[i].as_path_len = 2;
		orig[i].as_path[0] = 64500;
		orig[i].as_path[1] = (uint32_t)i;
		memcpy(orig[i].dst_country, "NL", 2);
		orig[i].rpki = OFD_RPKI_VALID;
		orig[i].present.w[0] |= OFD_W0(OFD_F_IN_IF_DESC) | OFD_W0(OFD_F_SRC_CID) |
					OFD_W0(OFD_F_AS_PATH) | OFD_W0(OFD_F_DST_COUNTRY) |
					OFD_W0(OFD_F_RPKI);
	}
	/* written by the json output, in batches */
	const char *file = st_path("flows.json");
	write_json(file, orig, n);
	/* read back */
	snprintf(cfg, sizeof(cfg), "{filename: %s, eofcloses: true}", file);
	h = st_open(&ofd_seg_stdin, cfg);
	st_run_to_end(h, &c);
	assert_int_equal(c.n, n);
	for (size_t i = 0; i < n; i++)
		assert_same(&orig[i], &c.v[i]);
	assert_int_equal(ofd_harness_counter(h, "malformed"), 0);
	assert_int_equal(ofd_harness_counter(h, "too_long"), 0);
	ofd_harness_free(h);
	st_collect_reset(&c);
	free(orig);
#else
	skip(); /* needs the pcap and json segments */
#endif
}

static void test_stdin_bad_lines(void **state)
{
	(void)state;
	char cfg[600];
	const char *file = st_path("bad.json");
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("{\"bytes\":1}\n", f);
	fputs("not json\n", f);
	fputs("\n   \n", f);
	fputs("{\"bytes\":-2}\n", f);
	fputs("{\"bytes\":3,\"x\":\"", f);
	for (int i = 0; i < 70000; i++)
		fputc('a', f);
	fputs("\"}\n", f);
	fputs("{\"bytes\":4,\"proto\":\"TCP\"}\n", f);
	fputs("{\"bytes\":5}", f); /* no newline at the end */
	fclose(f);
	snprintf(cfg, sizeof(cfg), "{filename: %s, eofcloses: true}", file);
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_stdin, cfg);
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.v[0].bytes, 1);
	assert_int_equal(c.v[1].bytes, 4);
	assert_int_equal(c.v[1].proto, 6);
	assert_int_equal(c.v[2].bytes, 5);
	assert_int_equal(ofd_harness_counter(h, "malformed"), 2);
	assert_int_equal(ofd_harness_counter(h, "too_long"), 1);
	assert_int_equal(ofd_harness_counter(h, "strings_dropped"), 0);
	ofd_harness_free(h);
	st_collect_reset(&c);
	/* a missing file refuses the start */
	char err[512] = "";
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("none"));
	assert_true(ofd_harness_new(&h, &ofd_seg_stdin, cfg, err, sizeof(err)) < 0);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment stdin: ");
}

#if defined(OFD_HAVE_SEGMENT_PCAP) && defined(OFD_HAVE_SEGMENT_JSON)
/* Run the json output with config extra over recs into file; read file back with stdin into c. */
static void json_stdin(const char *file, const char *extra, const struct ofd_flow *recs, size_t n,
		       struct st_collect *c)
{
	char cfg[1200];
	snprintf(cfg, sizeof(cfg), "{filename: %s%s}", file, extra);
	struct ofd_harness *h = st_open(&ofd_seg_json, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 0);
	for (size_t i = 0; i < n; i++) {
		if (b->n == OFD_BATCH_CAP) {
			ofd_harness_process(h, b);
			ofd_batch_reset(b);
		}
		*ofd_batch_add(b) = recs[i];
	}
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	snprintf(cfg, sizeof(cfg), "{filename: %s, eofcloses: true}", file);
	h = st_open(&ofd_seg_stdin, cfg);
	st_run_to_end(h, c);
	assert_int_equal(ofd_harness_counter(h, "malformed"), 0);
	ofd_harness_free(h);
}
#endif

/*
 * Our json -> stdin -> protojson -> stdin -> json: the same text. The capture's records with
 * enriched fields on some; engine_type/engine_id are cleared, as EnrichedFlow has no field for
 * them (proto/enrichedflow.proto), and so is a zero-valued enriched field (protojson omits zeros).
 */
static void test_stdin_protojson_round_trip(void **state)
{
	(void)state;
#if defined(OFD_HAVE_SEGMENT_PCAP) && defined(OFD_HAVE_SEGMENT_JSON)
	if (access(capture, R_OK) != 0)
		skip();
	char cfg[1200];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", capture);
	struct st_collect c0 = ST_COLLECT_INIT, c1 = ST_COLLECT_INIT, c2 = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_pcap, cfg);
	st_run_to_end(h, &c0);
	ofd_harness_free(h);
	if (c0.n > 10000)
		c0.n = 10000; /* enough for every kind of record in the capture, and fast */
	for (size_t i = 0; i < c0.n; i++) {
		struct ofd_flow *f = &c0.v[i];
		f->engine_type = f->engine_id = 0;
		if (i % 101)
			continue;
		f->in_if_name = "ge-0/0/1 \"x\"";
		f->src_cid = (uint32_t)i + 1;
		f->as_path_len = 2;
		f->as_path[0] = 64500;
		f->as_path[1] = (uint32_t)i + 1;
		memcpy(f->dst_country, "NL", 2);
		f->rpki = OFD_RPKI_NOTFOUND;
		f->present.w[0] |= OFD_W0(OFD_F_IN_IF_NAME) | OFD_W0(OFD_F_SRC_CID) | OFD_W0(OFD_F_AS_PATH) |
				   OFD_W0(OFD_F_DST_COUNTRY) | OFD_W0(OFD_F_RPKI);
	}
	json_stdin(st_path("a.json"), "", c0.v, c0.n, &c1);
	assert_int_equal(c1.n, c0.n);
	json_stdin(st_path("b.json"), ", format: protojson", c1.v, c1.n, &c2);
	assert_int_equal(c2.n, c0.n);
	st_collect_reset(&c1);
	json_stdin(st_path("c.json"), "", c2.v, c2.n, &c1);
	char *a = st_slurp(st_path("a.json"), NULL), *cc = st_slurp(st_path("c.json"), NULL);
	assert_true(strlen(a) > 5000000);
	assert_string_equal(a, cc);
	/* and flowpipeline's form it went through is protojson */
	char *b = st_slurp(st_path("b.json"), NULL);
	assert_non_null(
	    strstr(b, "\"ValidationStatus\":\"NotFound\",\"SrcIfName\":\"ge-0/0/1 \\\"x\\\"\"}\n"));
	assert_null(strstr(b, "\"src_addr\""));
	free(a);
	free(b);
	free(cc);
	free(c0.v); /* pcap sets no strings, and ours are literals: nothing else to free */
	st_collect_reset(&c1);
	st_collect_reset(&c2);
#else
	skip(); /* needs the pcap and json segments */
#endif
}

/* Our lines and flowpipeline's in one file, line by line. */
static void test_stdin_mixed(void **state)
{
	(void)state;
	const char *file = st_path("mixed.json");
	st_write(file, "{\"type\":\"IPFIX\",\"bytes\":11,\"src_addr\":\"192.0.2.1\"}\n"
		       "{\"type\":\"SFLOW_5\",\"bytes\":\"22\",\"srcAddr\":\"IAENuAAAAAAAAAAAAAAAAQ==\","
		       "\"SrcIfName\":\"eth0\"}\n"
		       "{\"bytes\":\"33\",\"srcAddr\":\"wAAC\"}\n" /* 3 bytes of address: refused */
		       "{\"bytes\":\"9223372036854775807\"}\n");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s, eofcloses: true}", file);
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_stdin, cfg);
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.v[0].type, OFD_FT_IPFIX);
	assert_int_equal(c.v[0].bytes, 11);
	assert_int_equal(ofd_ip_v4(&c.v[0].src_addr), 0xc0000201);
	assert_int_equal(c.v[1].type, OFD_FT_SFLOW_5);
	assert_int_equal(c.v[1].bytes, 22);
	assert_int_equal(c.v[1].src_addr.family, OFD_AF_INET6);
	assert_int_equal(c.v[1].src_addr.b[15], 1);
	assert_string_equal(c.v[1].in_if_name, "eth0");
	assert_true(c.v[2].bytes == INT64_MAX);
	assert_int_equal(ofd_harness_counter(h, "malformed"), 1);
	ofd_harness_free(h);
	st_collect_reset(&c);
}

/* eofcloses false (the default, as flowpipeline's): the input stays up after its file's end. */
static void test_stdin_eof_stays(void **state)
{
	(void)state;
	const char *file = st_path("two.json");
	st_write(file, "{\"bytes\":1}\n{\"bytes\":2}\n");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", file);
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_stdin, cfg);
	assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
	st_collect_wait(&c, 2);
	assert_int_equal(ofd_harness_wait(h, 300), 0); /* still running */
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[1].bytes, 2);
	ofd_harness_free(h);
	st_collect_reset(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stdin_round_trip),
	    cmocka_unit_test(test_stdin_bad_lines),
	    cmocka_unit_test(test_stdin_protojson_round_trip),
	    cmocka_unit_test(test_stdin_mixed),
	    cmocka_unit_test(test_stdin_eof_stays),
	};
	return cmocka_run_group_tests(tests, setup, st_dir_remove);
}
