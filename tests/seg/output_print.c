/* print: one human-readable line per live record (verbose, numeric, highlighted on request). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <time.h>

#include "gen_flow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_print;

/* h's batch of 4 records: the sample flow (bytes 1000 + i; flow 1 not live), flow 0 of
   15000 bytes, flow 2 ICMP to IPv6 and dropped by the router, flow 3 a large TCP flow. */
static struct ofd_batch *records(struct ofd_harness *h)
{
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (uint32_t i = 0; i < 4; i++) {
		gen_sample_flow(&b->flows[i]);
		b->flows[i].bytes = 1000 + i;
	}
	ofd_batch_kill(b, 1);
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
	return b;
}

static void test_print(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s, format: overflowd}", st_path("out.txt"));
	struct ofd_harness *h = st_open(&ofd_seg_print, cfg);
	struct ofd_batch *b = records(h);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 3); /* outputs pass everything on */
	ofd_harness_free(h);
	char *s = st_slurp(st_path("out.txt"), NULL);
	assert_string_equal(
	    s,
	    "07:59:59: 192.0.2.129:123 -> 198.51.100.2:44321 [3 → @122.166.4.242 → 4], UDP, 9s, 15000 B, "
	    "10 pkts, 13.33 kbps, 1.11 pps\n"
	    "07:59:59: 192.0.2.129:123 -> [2001:db8::1]:769 [3 → DROP/129 @122.166.4.242 → cust\\x1b[2J], "
	    "ICMP "
	    "(type 3, code 1), 1s, 1002 B, 10 pkts, 8.02 kbps, 10.00 pps\n"
	    "07:59:59: 192.0.2.129:123 -> 198.51.100.2:44321 [3 → @122.166.4.242 → 4], TCP, 9s, 3000000000 "
	    "B, 2500000 pkts, 2.67 Gbps, 277.78 kpps\n");
	free(s);

	/* verbose, numbers, highlight */
	snprintf(cfg, sizeof(cfg),
		 "{filename: %s, format: overflowd, verbose: true, useprotoname: false, highlight: true}",
		 st_path("v.txt"));
	h = st_open(&ofd_seg_print, cfg);
	b = records(h);
	b->flows[0].forwarding_status = 66;
	ofd_batch_kill(b, 2);
	ofd_batch_kill(b, 3);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 1);
	ofd_harness_free(h);
	s = st_slurp(st_path("v.txt"), NULL);
	assert_string_equal(
	    s, "\033[31m07:59:59: AS64496/192.0.2.129:123 -> AS4200000000/198.51.100.2:44321 [3 → "
	       "FORWARD/66 (not fragmented) @122.166.4.242 → 4], 17, 9s, 15000 B, 10 pkts, 13.33 "
	       "kbps, 1.11 pps\033[0m\n");
	free(s);
}

/* format: flowpipeline (the default): printflowdump's lines, in each of its modes */
static void test_printflowdump(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("fp.txt"));
	struct ofd_harness *h = st_open(&ofd_seg_print, cfg);
	struct ofd_batch *b = records(h);
	b->flows[0].proto_name = "udp"; /* protomap's name comes first */
	b->flows[3].note = "big";
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	char *s = st_slurp(st_path("fp.txt"), NULL);
	/* no status exported: UNKNOWN/0; forwarded (64): nothing; flow 2 has no start: its end is its
	   duration, as in flowpipeline */
	assert_string_equal(
	    s, "\033[0m07:59:59: 192.0.2.129:123 → 198.51.100.2:44321 [3 → UNKNOWN/0@122.166.4.242 → 4], "
	       "udp, 9s, 13.333 kbps, 1 pps \n"
	       "\033[0m07:59:59: 192.0.2.129:123 → 2001:db8::1:769 [3 → DROP/129@122.166.4.242 → "
	       "cust\\x1b[2J], ICMP (type 3, code 1), 1185523199s, 0 bps, 0 pps \n"
	       "\033[0m07:59:59: 192.0.2.129:123 → 198.51.100.2:44321 [3 → @122.166.4.242 → 4], TCP, 9s, "
	       "2.666667 Gbps, 277.777 kpps - big \n");
	free(s);

	snprintf(cfg, sizeof(cfg), "{filename: %s, verbose: true, useprotoname: false, highlight: true}",
		 st_path("fpv.txt"));
	h = st_open(&ofd_seg_print, cfg);
	b = records(h);
	b->flows[0].src_host_name = "ntp.example.";
	b->flows[0].forwarding_status = 64;
	b->flows[3].forwarding_status = 133;
	b->flows[3].proto_name = "tcp"; /* numbers without useprotoname */
	b->flows[3].bytes = 0;
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	s = st_slurp(st_path("fpv.txt"), NULL);
	/* verbose: AS numbers and the reverse-DNS name glued before the address, the status with
	   flowpipeline's reason */
	assert_string_equal(
	    s, "\033[31m07:59:59: AS64496/ntp.example.192.0.2.129:123 → "
	       "AS4200000000/198.51.100.2:44321 [3 → FORWARD/64 (regular)@122.166.4.242 → 4], 17, "
	       "9s, 13.333 kbps, 1 pps \n"
	       "\033[31m07:59:59: AS64496/192.0.2.129:123 → AS4200000000/2001:db8::1:769 [3 → "
	       "DROP/129 (ACL deny)@122.166.4.242 → cust\\x1b[2J], 1, 1185523199s, 0 bps, 0 pps \n"
	       "\033[31m07:59:59: AS64496/192.0.2.129:123 → AS4200000000/198.51.100.2:44321 [3 → "
	       "DROP/133 (fragmentation but DF set)@122.166.4.242 → 4], 6, 9s, 0 bps, 277.777 kpps \n");
	free(s);
}

static void test_print_symlink(void **state)
{
	(void)state;
	st_assert_symlink_refused(&ofd_seg_print, ", highlight: true");
}

int main(void)
{
	setenv("TZ", "UTC", 1); /* printflowdump prints local time */
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_print_symlink),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_printflowdump),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
