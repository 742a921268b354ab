/*
 * generator (src/segments/input/generator.c) through the harness: the records it produces
 * (count, addresses inside the prefixes, the protocol mix, packets and bytes in range, times
 * from start_time), the same seed giving the same flows and another seed others, its counter
 * and metric, the config. Run as the ctest seg_generator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_generator;

#define S 1000000000ull

static struct ofd_harness *run(const char *config, struct st_collect *c)
{
	struct ofd_harness *h = st_open(&ofd_seg_generator, config);
	st_run_to_end(h, c);
	return h;
}

static int in4(const struct ofd_ip *ip, uint32_t net, unsigned len)
{
	uint32_t mask = len ? ~0u << (32 - len) : 0;
	return ip->family == OFD_AF_INET && (ofd_ip_v4(ip) & mask) == net;
}

static void test_records(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h =
	    run("{count: 3000, seed: 42, start_time: 1700000000, src: 10.1.0.0/16, dst: 192.0.2.128/25, "
		"tcp: 2, udp: 1, icmp: 1, max_packets: 10}",
		&c);
	assert_int_equal(c.n, 3000);
	uint64_t bytes = 0, nproto[3] = {0, 0, 0};
	for (size_t i = 0; i < c.n; i++) {
		const struct ofd_flow *f = &c.v[i];
		assert_true(in4(&f->src_addr, 0x0a010000, 16));
		assert_true(in4(&f->dst_addr, 0xc0000280, 25));
		assert_int_equal(f->etype, 0x0800);
		assert_true(f->packets >= 1 && f->packets <= 10);
		assert_true(f->bytes >= 40 * f->packets && f->bytes <= 1500 * f->packets);
		assert_int_equal(f->time_flow_end_ns, 1700000000 * S + i * 1000000); /* 1 ms apart */
		assert_true(f->time_flow_start_ns <= f->time_flow_end_ns &&
			    f->time_flow_end_ns - f->time_flow_start_ns < 10 * S);
		assert_true(ofd_flow_has(f, OFD_F_DST_ADDR) && ofd_flow_has(f, OFD_F_BYTES));
		if (f->proto == 6)
			nproto[0]++;
		else if (f->proto == 17)
			nproto[1]++;
		else if (f->proto == 1)
			nproto[2]++, assert_int_equal(f->dst_port, 8 * 256),
			    assert_int_equal(f->icmp_type, 8);
		else
			fail();
		bytes += f->bytes;
	}
	/* 2:1:1 within a few percent */
	assert_true(nproto[0] > 1400 && nproto[0] < 1600);
	assert_true(nproto[1] > 650 && nproto[1] < 850);
	assert_true(nproto[2] > 650 && nproto[2] < 850);
	assert_int_equal(ofd_harness_counter(h, "records"), 3000);
	assert_int_equal(ofd_harness_metric(h, "generator_bytes_total", NULL), bytes);
	ofd_harness_free(h);

	/* the same seed: the same flows; another seed: others */
	struct st_collect c2 = ST_COLLECT_INIT, c3 = ST_COLLECT_INIT;
	h = run("{count: 3000, seed: 42, start_time: 1700000000, src: 10.1.0.0/16, dst: 192.0.2.128/25, "
		"tcp: 2, udp: 1, icmp: 1, max_packets: 10}",
		&c2);
	ofd_harness_free(h);
	assert_int_equal(c2.n, 3000);
	assert_memory_equal(c.v, c2.v, 3000 * sizeof(struct ofd_flow));
	h = run("{count: 3000, seed: 43, start_time: 1700000000, src: 10.1.0.0/16, dst: 192.0.2.128/25}",
		&c3);
	ofd_harness_free(h);
	size_t same = 0;
	for (size_t i = 0; i < 3000; i++)
		same += c.v[i].bytes == c3.v[i].bytes &&
			memcmp(&c.v[i].dst_addr, &c3.v[i].dst_addr, sizeof(struct ofd_ip)) == 0;
	assert_true(same < 30);
	st_collect_reset(&c);
	st_collect_reset(&c2);
	st_collect_reset(&c3);
}

static void test_ipv6_and_rate(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	/* 200 flows at 100000/s: 2 ms of pacing, flows 10 us apart */
	struct ofd_harness *h = run("{count: 200, rate: 100000, start_time: 1000, src: 2001:db8:1::/48, dst: "
				    "2001:db8:2::/120, icmp: 1, "
				    "tcp: 0, udp: 0}",
				    &c);
	assert_int_equal(c.n, 200);
	for (size_t i = 0; i < c.n; i++) {
		const struct ofd_flow *f = &c.v[i];
		assert_int_equal(f->src_addr.family, OFD_AF_INET6);
		assert_memory_equal(f->src_addr.b, "\x20\x01\x0d\xb8\x00\x01", 6);
		assert_memory_equal(f->dst_addr.b, "\x20\x01\x0d\xb8\x00\x02\0\0\0\0\0\0\0\0\0", 15);
		assert_int_equal(f->proto, 58);
		assert_int_equal(f->icmp_type, 128);
		assert_int_equal(f->etype, 0x86dd);
		assert_int_equal(f->time_flow_end_ns, 1000 * S + i * 10000);
	}
	ofd_harness_free(h);
	st_collect_reset(&c);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_generator, "{src: 10.0.0.1/8}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "prefixes"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_generator, "{dst: 2001:db8::/32}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "one family"));
	assert_int_equal(
	    ofd_harness_new(&h, &ofd_seg_generator, "{tcp: 0, udp: 0, icmp: 0}", err, sizeof(err)),
	    OFD_ECONFIG);
	assert_non_null(strstr(err, "no protocol"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_generator, "{max_packets: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	/* the defaults: 1000 flows from 10.0.0.0/8 to 192.0.2.0/24 */
	struct st_collect c = ST_COLLECT_INIT;
	h = run(NULL, &c);
	assert_int_equal(c.n, 1000);
	assert_true(in4(&c.v[999].src_addr, 0x0a000000, 8) && in4(&c.v[999].dst_addr, 0xc0000200, 24));
	ofd_harness_free(h);
	st_collect_reset(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_ipv6_and_rate),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
