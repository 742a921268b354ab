/* JSON and CSV rendering of flow records: exact text for known records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/flowfmt.h"
#include "format/fpcsv.h"
#include "gen_flow.h"

/* Render into a pipe-free buffer: a wbuf whose fd is a temp file we read back. */
static char *render(void (*fn)(struct ofd_wbuf *, const struct ofd_flow *), const struct ofd_flow *f)
{
	char path[] = "/tmp/ofd-fmt-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, fd, 0), 0);
	fn(&w, f);
	ofd_wbuf_fini(&w);
	off_t n = lseek(fd, 0, SEEK_END);
	char *s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(pread(fd, s, (size_t)n, 0), n);
	close(fd);
	return s;
}

static void json(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	ofd_fmt_json(w, f);
}
static void csv(struct ofd_wbuf *w, const struct ofd_flow *f)
{
	ofd_fmt_csv(w, f);
}

static void sample(struct ofd_flow *f)
{
	gen_sample_flow(f);
}

static void test_json_v5(void **state)
{
	(void)state;
	struct ofd_flow f;
	sample(&f);
	char *s = render(json, &f);
	assert_string_equal(
	    s, "{\"type\":\"NETFLOW_V5\",\"time_received_ns\":1185523201000000000,\"sequence_num\":4242,"
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
	       "\"engine_type\":0,\"engine_id\":7}\n");
	free(s);
}

static void test_ipv6_and_names(void **state)
{
	(void)state;
	struct ofd_flow f;
	sample(&f);
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	ofd_ip_set6(&f.src_addr, a);
	f.src_net = 48;
	f.etype = 0x86dd;
	f.proto = 250;
	char *s = render(json, &f);
	assert_non_null(strstr(s, "\"src_addr\":\"2001:db8::1\""));
	assert_non_null(strstr(s, "\"src_net\":\"2001:db8::/48\""));
	assert_non_null(strstr(s, "\"etype\":\"IPv6\""));
	assert_non_null(strstr(s, "\"proto\":\"250\""));
	free(s);
}

static void test_csv(void **state)
{
	(void)state;
	struct ofd_flow f;
	sample(&f);
	char *s = render(csv, &f);
	assert_true(strncmp(s, "NETFLOW_V5,1185523201000000000,4242,100,122.166.4.242,", 54) == 0);
	assert_non_null(strstr(s, ",192.0.2.129,198.51.100.2,IPv4,UDP,123,44321,3,4,0a:1b:2c:3d:4e:5f,"));
	assert_true(s[strlen(s) - 1] == '\n');
	free(s);
	assert_int_equal(ofd_fmt_field_id("src_addr"), OFD_F_SRC_ADDR);
	assert_int_equal(ofd_fmt_field_id("SrcAddr"), OFD_F_SRC_ADDR);
	assert_int_equal(ofd_fmt_field_id("nope"), -1);
}

/* The masked networks (src_net/dst_net) and the table-written values at their edges. */
static void test_nets_and_edges(void **state)
{
	(void)state;
	struct ofd_flow f;
	sample(&f);
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8};
	ofd_ip_set6(&f.src_addr, a);
	f.src_net = 33;
	ofd_ip_set4u(&f.dst_addr, 0xffffffffu);
	f.dst_net = 32;
	f.type = OFD_FT_IPFIX;
	f.etype = 0x8847; /* no name: the number */
	f.proto = 255;
	f.src_mac = 0xffffffffffffull;
	f.bytes = UINT64_MAX;
	f.packets = 0;
	f.time_flow_start_ns = 999999999999999999ull; /* 18 digits */
	f.src_port = 65535;
	f.in_if = UINT32_MAX;
	char *s = render(json, &f);
	assert_non_null(strstr(s, "{\"type\":\"IPFIX\","));
	assert_non_null(strstr(s, "\"src_addr\":\"2001:db8:ffff:ffff:102:304:506:708\""));
	assert_non_null(strstr(s, "\"src_net\":\"2001:db8:8000::/33\""));
	assert_non_null(strstr(s, "\"dst_addr\":\"255.255.255.255\""));
	assert_non_null(strstr(s, "\"dst_net\":\"255.255.255.255/32\""));
	assert_non_null(strstr(s, "\"etype\":\"34887\",\"proto\":\"255\""));
	assert_non_null(strstr(s, "\"src_mac\":\"ff:ff:ff:ff:ff:ff\""));
	assert_non_null(strstr(s, "\"time_flow_start_ns\":999999999999999999,"));
	assert_non_null(strstr(s, "\"bytes\":18446744073709551615,\"packets\":0,"));
	assert_non_null(strstr(s, "\"src_port\":65535,"));
	assert_non_null(strstr(s, "\"in_if\":4294967295,"));
	free(s);
	f.src_net = 0;
	f.dst_net = 0;
	f.etype = 0;
	f.proto = 132;
	s = render(json, &f);
	assert_non_null(strstr(s, "\"src_net\":\"::/0\",\"dst_net\":\"0.0.0.0/0\""));
	assert_non_null(strstr(s, "\"etype\":\"\",\"proto\":\"SCTP\""));
	free(s);
	f.src_net = 128;
	f.proto = 134; /* the longest registry keyword */
	s = render(json, &f);
	assert_non_null(strstr(s, "\"src_net\":\"2001:db8:ffff:ffff:102:304:506:708/128\""));
	assert_non_null(strstr(s, "\"proto\":\"RSVP-E2E-IGNORE\""));
	free(s);
}

/* flowpipeline's CSV columns: each of the 149 names resolves to the field of that name */
static void test_fpcsv_columns(void **state)
{
	(void)state;
	static struct ofd_fpcsv_col cols[OFD_FPCSV_NCOLS];
	ofd_fpcsv_all(cols);
	for (unsigned i = 0; i < OFD_FPCSV_NCOLS; i++) {
		struct ofd_fpcsv_col c;
		assert_int_equal(ofd_fpcsv_col_by_name(&c, cols[i].name), 0);
		assert_int_equal(c.id, cols[i].id);
		if (strcmp(c.name, "MplsLabel") == 0)
			assert_int_equal(c.id, OFD_F_MPLS_STACK);
		else if (strcmp(ofd_fields[c.id].fp, c.name) != 0)
			fail_msg("column %s renders %s", c.name, ofd_fields[c.id].fp);
	}
	assert_string_equal(cols[0].name, "Type");
	assert_string_equal(cols[OFD_FPCSV_NCOLS - 1].name, "DstAsPath");
	/* our own names: the field, headed by its flowpipeline name */
	struct ofd_fpcsv_col c;
	assert_int_equal(ofd_fpcsv_col_by_name(&c, "src_addr"), 0);
	assert_string_equal(c.name, "SrcAddr");
	assert_int_equal(c.id, OFD_F_SRC_ADDR);
	assert_int_equal(ofd_fpcsv_col_by_name(&c, "in_if_name"), 0);
	assert_string_equal(c.name, "SrcIfName");
	assert_int_equal(ofd_fpcsv_col_by_name(&c, "NoSuchField"), -1);
}

/* Interface speeds: bit/s in the record, Mbit/s in flowpipeline's CSV (as in its protobuf). */
static void test_fpcsv_speed(void **state)
{
	(void)state;
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.in_if_speed = 10000000000ull, f.out_if_speed = 2500000000ull;
	ofd_flow_set(&f, OFD_F_IN_IF_SPEED);
	ofd_flow_set(&f, OFD_F_OUT_IF_SPEED);
	struct ofd_fpcsv_col c[2];
	assert_int_equal(ofd_fpcsv_col_by_name(&c[0], "SrcIfSpeed"), 0);
	assert_int_equal(ofd_fpcsv_col_by_name(&c[1], "out_if_speed"), 0);
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 12), 0);
	ofd_wbuf_reserve(&w);
	ofd_fpcsv_row(&w, &f, c, 2);
	assert_true(w.len >= 10);
	assert_memory_equal(w.buf, "10000,2500", 10);
	ofd_wbuf_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_v5),	cmocka_unit_test(test_fpcsv_columns),
	    cmocka_unit_test(test_fpcsv_speed), cmocka_unit_test(test_ipv6_and_names),
	    cmocka_unit_test(test_csv),		cmocka_unit_test(test_nets_and_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
