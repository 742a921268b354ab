/* Output segments on built records: json (and zstd), csv, print, count; exact text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "seghelp.h"
#include "segments/builtin.h"
#include "gen_flow.h"

static char dir[] = "/tmp/ofd-segout-XXXXXX";

static int setup(void **st)
{
	(void)st;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* The whole file, NUL-terminated; *len gets its size. */
static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return s;
}

static void sample(struct ofd_flow *f)
{
	gen_sample_flow(f);
}

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
    "\"mpls_label\":0,\"observation_domain_id\":0,\"observation_point_id\":0,"
    "\"engine_type\":0,\"engine_id\":7";

/* A batch of n sample flows, flow i with bytes 1000 + i; flow 1 not live. */
static struct ofd_batch *samples(uint32_t n)
{
	struct ofd_batch *b = batch_new(n);
	for (uint32_t i = 0; i < n; i++) {
		sample(&b->flows[i]);
		b->flows[i].bytes = 1000 + i;
	}
	if (n > 1)
		ofd_batch_kill(b, 1);
	return b;
}

static void run_output(const struct ofd_segment_type *t, const char *config, struct ofd_batch *b)
{
	struct seg_fixture fx;
	seg_open(&fx, t, config);
	assert_int_equal(fx.init_rc, 0);
	uint32_t live = ofd_batch_live_count(b);
	seg_run(&fx, b);
	assert_int_equal(ofd_batch_live_count(b), live); /* outputs pass everything on */
	seg_close(&fx);
}

static void test_json(void **state)
{
	(void)state;
	struct ofd_batch *b = batch_new(2);
	sample(&b->flows[0]);
	sample(&b->flows[1]);
	b->flows[1].in_if_name = "xe-0/0/0";
	b->flows[1].med = 50;
	b->flows[1].present.w[0] = OFD_W0(OFD_F_IN_IF_NAME) | OFD_W0(OFD_F_MED) | OFD_W0(OFD_F_BYTES);
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path("out.json"));
	run_output(&ofd_seg_json, cfg, b);
	char *s = slurp(path("out.json"), NULL);
	char want[4096];
	snprintf(want, sizeof(want), "%s}\n%s,\"in_if_name\":\"xe-0/0/0\",\"med\":50}\n", sample_json,
		 sample_json);
	assert_string_equal(s, want);
	free(s);
	free(b);
}

static void test_json_zstd(void **state)
{
	(void)state;
	char cfg[600];
	/* plain and compressed from the same records, with flushes (ticks) in between */
	const char *const modes[] = {"", ", compression: zstd", ", zstd: 9"};
	const char *const files[] = {"plain.json", "z.json.zst", "z9.json.zst"};
	for (int m = 0; m < 3; m++) {
		struct seg_fixture fx;
		snprintf(cfg, sizeof(cfg), "{filename: %s%s}", path(files[m]), modes[m]);
		seg_open(&fx, &ofd_seg_json, cfg);
		assert_int_equal(fx.init_rc, 0);
		for (int round = 0; round < 20; round++) {
			struct ofd_batch *b = samples(OFD_BATCH_CAP);
			for (uint32_t i = 0; i < b->n; i++)
				b->flows[i].packets = (uint64_t)round * 1000 + i;
			seg_run(&fx, b);
			if (round % 7 == 3)
				fx.type->tick(&fx.seg, fx.state, 0);
			free(b);
		}
		seg_close(&fx);
	}
	size_t plain_len, zlen;
	char *plain = slurp(path("plain.json"), &plain_len);
	for (int m = 1; m < 3; m++) {
		char *z = slurp(path(files[m]), &zlen);
		assert_true(zlen < plain_len / 10);
		char *out = malloc(plain_len + 1);
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

static void test_csv(void **state)
{
	(void)state;
	char cfg[600];
	struct ofd_batch *b = samples(3);
	b->flows[2].in_if_desc = "Transit, \"A\"";
	snprintf(cfg, sizeof(cfg), "{filename: %s, fields: [src_addr, SrcPort, 'bytes,proto', in_if_desc]}",
		 path("out.csv"));
	run_output(&ofd_seg_csv, cfg, b);
	char *s = slurp(path("out.csv"), NULL);
	assert_string_equal(s, "src_addr,src_port,bytes,proto,in_if_desc\n"
			       "192.0.2.129,123,1000,UDP,\n"
			       "192.0.2.129,123,1002,UDP,\"Transit, \"\"A\"\"\"\n");
	free(s);
	/* default: every goflow2 field, as `overflowd dump --format csv` */
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path("all.csv"));
	run_output(&ofd_seg_csv, cfg, b);
	s = slurp(path("all.csv"), NULL);
	assert_true(strncmp(s, "type,time_received_ns,sequence_num,sampling_rate,sampler_address,", 65) == 0);
	assert_non_null(strstr(s, ",engine_type,engine_id\nNETFLOW_V5,1185523201000000000,4242,100,"));
	assert_non_null(
	    strstr(s, ",1000,10,192.0.2.129,198.51.100.2,IPv4,UDP,123,44321,3,4,0a:1b:2c:3d:4e:5f,"));
	free(s);
	/* records larger than the room kept per record still come out whole and in order */
	char *big = malloc(8192);
	size_t bl = (size_t)snprintf(big, 8192, "{filename: %s, fields: [bytes", path("big.csv"));
	for (int i = 0; i < 100; i++)
		bl += (size_t)snprintf(big + bl, 8192 - bl, ", in_if_desc");
	snprintf(big + bl, 8192 - bl, "]}");
	char desc[201];
	memset(desc, '"', 200);
	desc[200] = 0;
	for (uint32_t i = 0; i < b->n; i++)
		b->flows[i].in_if_desc = desc;
	run_output(&ofd_seg_csv, big, b);
	size_t len;
	s = slurp(path("big.csv"), &len);
	/* header: "bytes" + 100 names; 2 rows: 4 digits + 100 cells of 402 quoted bytes */
	assert_int_equal(len, 5 + 100 * 11 + 1 + 2 * (4 + 100 * 403 + 1));
	assert_int_equal(strncmp(s + 5 + 100 * 11 + 1, "1000,\"\"\"", 8), 0);
	free(s);
	free(big);
	free(b);
	/* an unknown field refuses the start */
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_csv, "{fields: [bytes, byte]}");
	assert_int_equal(fx.init_rc, OFD_ECONFIG);
	seg_close(&fx);
}

static void test_print(void **state)
{
	(void)state;
	char cfg[600];
	struct ofd_batch *b = samples(4);
	b->flows[0].bytes = 15000;
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	ofd_ip_set6(&b->flows[2].dst_addr, v6);
	b->flows[2].proto = 1;
	b->flows[2].dst_port = 0x0301;
	b->flows[2].forwarding_status = 129;
	b->flows[2].time_flow_start_ns = 0;
	b->flows[2].out_if_desc = "cust\x1b[2J";
	b->flows[3].proto = 6;
	b->flows[3].bytes = 3000000000ull;
	b->flows[3].packets = 2500000;
	b->flows[3].forwarding_status = 64;
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path("out.txt"));
	run_output(&ofd_seg_print, cfg, b);
	char *s = slurp(path("out.txt"), NULL);
	assert_string_equal(
	    s,
	    "07:59:59: 192.0.2.129:123 -> 198.51.100.2:44321 [3 → @122.166.4.242 → 4], UDP, 9s, 15000 B, "
	    "10 pkts, 13.33 kbps, 1.11 pps\n"
	    "07:59:59: 192.0.2.129:123 -> [2001:db8::1]:769 [3 → DROP/129 @122.166.4.242 → cust?[2J], ICMP "
	    "(type 3, code 1), 1s, 1002 B, 10 pkts, 8.02 kbps, 10.00 pps\n"
	    "07:59:59: 192.0.2.129:123 -> 198.51.100.2:44321 [3 → @122.166.4.242 → 4], TCP, 9s, 3000000000 "
	    "B, 2500000 pkts, 2.67 Gbps, 277.78 kpps\n");
	free(s);
	/* verbose, numbers, highlight */
	snprintf(cfg, sizeof(cfg), "{filename: %s, verbose: true, useprotoname: false, highlight: true}",
		 path("v.txt"));
	b->flows[0].forwarding_status = 66;
	ofd_batch_kill(b, 2);
	ofd_batch_kill(b, 3);
	run_output(&ofd_seg_print, cfg, b);
	s = slurp(path("v.txt"), NULL);
	assert_string_equal(
	    s, "\033[31m07:59:59: AS64496/192.0.2.129:123 -> AS4200000000/198.51.100.2:44321 [3 → "
	       "FORWARD/66 (not fragmented) @122.166.4.242 → 4], 17, 9s, 15000 B, 10 pkts, 13.33 "
	       "kbps, 1.11 pps\033[0m\n");
	free(s);
	free(b);
}

static void test_count(void **state)
{
	(void)state;
	char cfg[600];
	struct ofd_batch *b = samples(5); /* 4 live: bytes 1000 1002 1003 1004, 10 packets each */
	snprintf(cfg, sizeof(cfg), "{filename: %s, prefix: 'pre-filter: '}", path("count.txt"));
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_count, cfg);
	assert_int_equal(fx.init_rc, 0);
	seg_run(&fx, b);
	seg_run(&fx, b);
	seg_close(&fx);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", path("count.txt")); /* appends */
	run_output(&ofd_seg_count, cfg, b);
	char *s = slurp(path("count.txt"), NULL);
	assert_string_equal(s,
			    "pre-filter: 8 flows, 80 packets, 8018 bytes\n4 flows, 40 packets, 4009 bytes\n");
	free(s);
	free(b);
}

static void test_write_errors(void **state)
{
	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_json, "{filename: /dev/full}");
	assert_int_equal(fx.init_rc, 0);
	struct ofd_batch *b = samples(OFD_BATCH_CAP);
	seg_run(&fx, b);
	fx.type->tick(&fx.seg, fx.state, 0);
	assert_true(seg_counter(&fx, 0) >= 1);
	seg_close(&fx);
	free(b);
	/* an unwritable file refuses the start */
	seg_open(&fx, &ofd_seg_csv, "{filename: /nonexistent/dir/x.csv}");
	assert_true(fx.init_rc < 0);
	seg_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),  cmocka_unit_test(test_json_zstd),
	    cmocka_unit_test(test_csv),	  cmocka_unit_test(test_print),
	    cmocka_unit_test(test_count), cmocka_unit_test(test_write_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
