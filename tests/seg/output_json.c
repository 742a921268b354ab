/*
 * json: one JSON object per live record, goflow2's fields in its order and names, then the
 * enriched fields that are present; or flowpipeline's protojson (format: protojson); pretty
 * (indented) in either; optionally zstd-compressed; write errors counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "gen_flow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_json;

static const char sample_json[] =
    "{\"type\":\"NETFLOW_V5\",\"time_received_ns\":1185523201000000000,\"sequence_num\":4242,"
    "\"sampling_rate\":100,\"sampler_address\":\"122.166.4.242\","
    "\"time_flow_start_ns\":1185523190500000000,\"time_flow_end_ns\":1185523199500000000,"
    "\"bytes\":15000,\"packets\":10,\"src_addr\":\"192.0.2.129\",\"dst_addr\":\"198.51.100.2\","
    "\"etype\":\"IPv4\",\"proto\":\"UDP\",\"src_port\":123,\"dst_port\":44321,\"in_if\":3,"
    "\"out_if\":4,\"src_mac\":\"0a:1b:2c:3d:4e:5f\",\"dst_mac\":\"00:00:00:00:00:00\","
    "\"src_vlan\":0,\"dst_vlan\":0,\"vlan_id\":0,\"ip_tos\":184,\"forwarding_status\":0,"
    "\"ip_ttl\":0,\"ip_flags\":0,\"tcp_flags\":0,\"icmp_type\":0,\"icmp_code\":0,"
    "\"ipv6_flow_label\":0,\"fragment_id\":0,\"fragment_offset\":0,\"src_as\":64496,"
    "\"dst_as\":4200000000,\"next_hop\":\"10.0.0.1\",\"next_hop_as\":0,"
    "\"src_net\":\"192.0.2.128/25\",\"dst_net\":\"0.0.0.0/0\",\"bgp_next_hop\":\"\","
    "\"bgp_communities\":[],\"as_path\":[],\"mpls_ttl\":[],\"mpls_label\":[],\"mpls_ip\":[],"
    "\"observation_domain_id\":0,\"observation_point_id\":0,\"layer_stack\":[],"
    "\"layer_size\":[],\"ipv6_routing_header_addresses\":[],"
    "\"ipv6_routing_header_seg_left\":0,"
    "\"engine_type\":0,\"engine_id\":7";

/* h's batch of n sample flows, flow i with bytes 1000 + i; flow 1 not live. */
static struct ofd_batch *samples(struct ofd_harness *h, uint32_t n)
{
	struct ofd_batch *b = ofd_harness_batch(h, n);
	for (uint32_t i = 0; i < n; i++) {
		gen_sample_flow(&b->flows[i]);
		b->flows[i].bytes = 1000 + i;
	}
	if (n > 1)
		ofd_batch_kill(b, 1);
	return b;
}

static void test_json(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("out.json"));
	struct ofd_harness *h = st_open(&ofd_seg_json, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	gen_sample_flow(&b->flows[0]);
	gen_sample_flow(&b->flows[1]);
	b->flows[1].in_if_name = "xe-0/0/0";
	b->flows[1].med = 50;
	b->flows[1].present.w[0] = OFD_W0(OFD_F_IN_IF_NAME) | OFD_W0(OFD_F_MED) | OFD_W0(OFD_F_BYTES);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 2); /* outputs pass everything on */
	ofd_harness_free(h);
	char *s = st_slurp(st_path("out.json"), NULL);
	char want[4096];
	snprintf(want, sizeof(want), "%s}\n%s,\"in_if_name\":\"xe-0/0/0\",\"med\":50}\n", sample_json,
		 sample_json);
	assert_string_equal(s, want);
	free(s);
}

static void test_json_zstd(void **state)
{
	(void)state;
	char cfg[600];
	/* plain and compressed from the same records, with flushes (ticks) in between */
	const char *const modes[] = {"", ", compression: zstd", ", zstd: 9"};
	const char *const files[] = {"plain.json", "z.json.zst", "z9.json.zst"};
	for (int m = 0; m < 3; m++) {
		snprintf(cfg, sizeof(cfg), "{filename: %s%s}", st_path(files[m]), modes[m]);
		struct ofd_harness *h = st_open(&ofd_seg_json, cfg);
		for (int round = 0; round < 20; round++) {
			struct ofd_batch *b = samples(h, OFD_BATCH_CAP);
			for (uint32_t i = 0; i < b->n; i++)
				b->flows[i].packets = (uint64_t)round * 1000 + i;
			ofd_harness_process(h, b);
			if (round % 7 == 3)
				ofd_harness_tick(h, 0);
		}
		ofd_harness_free(h);
	}
	size_t plain_len, zlen;
	char *plain = st_slurp(st_path("plain.json"), &plain_len);
	for (int m = 1; m < 3; m++) {
		char *z = st_slurp(st_path(files[m]), &zlen);
		assert_true(zlen < plain_len / 10);
		char *out = malloc(plain_len + 1);
		assert_non_null(out);
		size_t got = ZSTD_decompress(out, plain_len + 1, z, zlen);
		assert_false(ZSTD_isError(got));
		assert_int_equal(got, plain_len);
		assert_memory_equal(out, plain, plain_len);
		free(out);
		free(z);
	}
	/* 20 batches of 511 live records */
	size_t lines = 0;
	for (size_t i = 0; i < plain_len; i++)
		lines += plain[i] == '\n';
	assert_int_equal(lines, 20 * (OFD_BATCH_CAP - 1));
	free(plain);
}

static void test_json_write_errors(void **state)
{
	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	struct ofd_harness *h = st_open(&ofd_seg_json, "{filename: /dev/full}");
	assert_int_equal(ofd_harness_counter(h, "write_errors"), 0);
	ofd_harness_process(h, samples(h, OFD_BATCH_CAP));
	ofd_harness_tick(h, 0);
	assert_true(ofd_harness_counter(h, "write_errors") >= 1);
	ofd_harness_free(h);
}

/* filename is a symbolic link (planted, or dangling towards a file to create), an existing
   file, a device, a new file; follow_symlinks: true writes through a link. */
static void test_json_filename(void **state)
{
	(void)state;
	char cfg[1200];
	st_assert_symlink_refused(&ofd_seg_json, "");
	st_assert_symlink_refused(&ofd_seg_json, ", compression: zstd");
	/* a dangling link is refused too, and its target is not created */
	char link[512], target[512], err[512] = "";
	struct ofd_harness *h = NULL;
	snprintf(link, sizeof(link), "%s", st_path("dangling.json"));
	snprintf(target, sizeof(target), "%s", st_path("created-through-the-link"));
	assert_int_equal(symlink(target, link), 0);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", link);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_json, cfg, err, sizeof(err)), -ELOOP);
	assert_int_not_equal(access(target, F_OK), 0);
	/* with follow_symlinks: true the link is written through, its target created */
	snprintf(cfg, sizeof(cfg), "{filename: %s, follow_symlinks: true}", link);
	h = st_open(&ofd_seg_json, cfg);
	ofd_harness_process(h, samples(h, 1));
	ofd_harness_free(h);
	char *s = st_slurp(target, NULL);
	st_assert_prefix(s, "{\"type\":\"NETFLOW_V5\",");
	assert_non_null(strstr(s, "\"bytes\":1000,"));
	free(s);
	/* an existing regular file is truncated */
	st_write(st_path("old.json"), "old old old old old old old old old old old old\n");
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("old.json"));
	h = st_open(&ofd_seg_json, cfg);
	ofd_harness_free(h);
	size_t len = 99;
	free(st_slurp(st_path("old.json"), &len));
	assert_int_equal(len, 0);
	/* a new file: mode 0644 less the umask */
	mode_t old = umask(027);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("new.json"));
	h = st_open(&ofd_seg_json, cfg);
	umask(old);
	ofd_harness_free(h);
	struct stat st;
	assert_int_equal(lstat(st_path("new.json"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	/* a device is written as it is */
	h = st_open(&ofd_seg_json, "{filename: /dev/null}");
	ofd_harness_process(h, samples(h, 4));
	ofd_harness_free(h);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* The sample flow as flowpipeline writes it: lowerCamel keys in the schema's order, uint64 as
   strings, addresses as base64, zero fields left out (engine_id has no field there). */
static const char sample_protojson[] =
    "{\"type\":\"NETFLOW_V5\",\"timeReceivedNs\":\"1185523201000000000\",\"sequenceNum\":4242,"
    "\"samplingRate\":\"100\",\"timeFlowStartNs\":\"1185523190500000000\","
    "\"timeFlowEndNs\":\"1185523199500000000\",\"samplerAddress\":\"eqYE8g==\",\"bytes\":\"15000\","
    "\"packets\":\"10\",\"srcAddr\":\"wAACgQ==\",\"dstAddr\":\"xjNkAg==\",\"etype\":2048,\"proto\":17,"
    "\"srcPort\":123,\"dstPort\":44321,\"inIf\":3,\"outIf\":4,\"srcMac\":\"11111822610015\",\"ipTos\":184,"
    "\"srcAs\":64496,\"dstAs\":4200000000,\"nextHop\":\"CgAAAQ==\",\"srcNet\":25";

static void test_json_protojson(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s, format: protojson}", st_path("out.json"));
	struct ofd_harness *h = st_open(&ofd_seg_json, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	gen_sample_flow(&b->flows[0]);
	gen_sample_flow(&b->flows[1]);
	b->flows[1].in_if_name = "xe-0/0/0";
	b->flows[1].med = 50;
	b->flows[1].present.w[0] |= OFD_W0(OFD_F_IN_IF_NAME) | OFD_W0(OFD_F_MED);
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	char *s = st_slurp(st_path("out.json"), NULL);
	char want[4096];
	snprintf(want, sizeof(want), "%s}\n%s,\"Med\":50,\"SrcIfName\":\"xe-0/0/0\"}\n", sample_protojson,
		 sample_protojson);
	assert_string_equal(s, want);
	free(s);
}

/* pretty: Go's multi-line form, in both formats; one key a line. */
static void test_json_pretty(void **state)
{
	(void)state;
	char cfg[600];
	for (int fmt = 0; fmt < 2; fmt++) {
		snprintf(cfg, sizeof(cfg), "{filename: %s, pretty: true%s}", st_path("out.json"),
			 fmt ? ", format: protojson" : "");
		struct ofd_harness *h = st_open(&ofd_seg_json, cfg);
		struct ofd_batch *b = ofd_harness_batch(h, 1);
		gen_sample_flow(&b->flows[0]);
		b->flows[0].as_path[0] = 64500, b->flows[0].as_path[1] = 64501, b->flows[0].as_path_len = 2;
		b->flows[0].in_if_desc = "a,\"b\":[c]";
		b->flows[0].present.w[0] |= OFD_W0(OFD_F_AS_PATH) | OFD_W0(OFD_F_IN_IF_DESC);
		ofd_harness_process(h, b);
		ofd_harness_free(h);
		char *s = st_slurp(st_path("out.json"), NULL);
		if (fmt == 0) {
			st_assert_prefix(
			    s,
			    "{\n  \"type\": \"NETFLOW_V5\",\n  \"time_received_ns\": 1185523201000000000,\n");
			assert_non_null(strstr(s, ",\n  \"bgp_communities\": [],\n  \"as_path\": [\n    "
						  "64500,\n    64501\n  ],\n"));
			assert_non_null(
			    strstr(s, ",\n  \"engine_id\": 7,\n  \"in_if_desc\": \"a,\\\"b\\\":[c]\"\n}\n"));
		} else {
			st_assert_prefix(s, "{\n  \"type\": \"NETFLOW_V5\",\n  \"timeReceivedNs\": "
					    "\"1185523201000000000\",\n");
			assert_non_null(strstr(
			    s, ",\n  \"srcNet\": 25,\n  \"asPath\": [\n    64500,\n    64501\n  ],\n"));
			assert_non_null(strstr(s, ",\n  \"SrcIfDesc\": \"a,\\\"b\\\":[c]\"\n}\n"));
		}
		unsigned lines = 0;
		for (const char *p = s; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, fmt ? 30 : 58);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_zstd),
	    cmocka_unit_test(test_json_write_errors),
	    cmocka_unit_test(test_json_filename),
	    cmocka_unit_test(test_json_protojson),
	    cmocka_unit_test(test_json_pretty),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
