/*
 * addrstrings (src/segments/enrich/addrstrings.c): the text forms of the addresses that are set,
 * as flowpipeline writes them (Go's netip forms), nothing for those that are not, and the arena
 * bound. Run as the ctest seg_addrstrings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_addrstrings;

static void v4(struct ofd_ip *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, sizeof(*a));
	a->family = OFD_AF_INET;
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = x, a->b[13] = y, a->b[14] = z, a->b[15] = w;
}

static void v6(struct ofd_ip *a, const uint8_t b[16])
{
	a->family = OFD_AF_INET6;
	memcpy(a->b, b, 16);
}

static void test_addresses(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_addrstrings, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	struct ofd_flow *f = &b->flows[0];
	v4(&f->src_addr, 192, 0, 2, 1);
	v4(&f->dst_addr, 10, 255, 0, 100);
	v4(&f->next_hop, 0, 0, 0, 0);
	v4(&f->sampler_address, 198, 51, 100, 7);
	f->src_mac = 0x0011223344aaULL;
	f->dst_mac = 0xfedcba987654ULL;

	struct ofd_flow *g = &b->flows[1];
	static const uint8_t doc[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
	static const uint8_t compat[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
	static const uint8_t ll[16] = {0xfe, 0x80, 0,	 0,    0,    0,	   0, 0,
				       0x02, 0x1b, 0x21, 0xff, 0xfe, 0x0a, 0, 0x0b};
	v6(&g->src_addr, doc);
	v6(&g->dst_addr, mapped);
	v6(&g->next_hop, compat);
	v6(&g->sampler_address, ll);

	/* a record with nothing set, and a dropped one */
	v4(&b->flows[2].src_addr, 1, 1, 1, 1);
	b->flows[2].src_addr.family = OFD_AF_NONE;
	ofd_harness_process(h, b);

	assert_string_equal(f->source_ip, "192.0.2.1");
	assert_string_equal(f->destination_ip, "10.255.0.100");
	assert_string_equal(f->next_hop_ip, "0.0.0.0");
	assert_string_equal(f->sampler_ip, "198.51.100.7");
	assert_string_equal(f->source_mac, "00:11:22:33:44:aa");
	assert_string_equal(f->destination_mac, "fe:dc:ba:98:76:54");
	for (unsigned id = OFD_F_SOURCE_IP; id <= OFD_F_DESTINATION_MAC; id++)
		assert_true(ofd_flow_has(f, id));

	assert_string_equal(g->source_ip, "2001:db8::1:0:0:1");
	assert_string_equal(g->destination_ip, "::ffff:1.2.3.4");
	assert_string_equal(g->next_hop_ip, "::102:304");
	assert_string_equal(g->sampler_ip, "fe80::21b:21ff:fe0a:b");
	assert_null(g->source_mac);
	assert_null(g->destination_mac);
	assert_false(ofd_flow_has(g, OFD_F_SOURCE_MAC));

	for (unsigned id = OFD_F_SOURCE_IP; id <= OFD_F_DESTINATION_MAC; id++)
		assert_false(ofd_flow_has(&b->flows[2], id));
	assert_null(b->flows[2].source_ip);
	assert_int_equal(ofd_batch_live_count(b), 3);
	assert_int_equal(ofd_harness_counter(h, "arena_full"), 0);
	ofd_harness_free(h);
}

static void test_dropped_and_names(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_addrstrings, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	v4(&b->flows[0].src_addr, 192, 0, 2, 1);
	ofd_batch_kill(b, 0);
	ofd_harness_process(h, b);
	assert_null(b->flows[0].source_ip);
	ofd_harness_free(h);
	/* the fields have flowpipeline's names */
	assert_int_equal(ofd_field_by_name("SourceIP"), OFD_F_SOURCE_IP);
	assert_int_equal(ofd_field_by_name("DestinationMAC"), OFD_F_DESTINATION_MAC);
	assert_int_equal(ofd_field_by_name("sampler_ip"), OFD_F_SAMPLER_IP);
	assert_int_equal(ofd_field_by_name("NextHopIP"), OFD_F_NEXT_HOP_IP);
}

static void test_arena_full(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_addrstrings, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	v4(&b->flows[0].src_addr, 192, 0, 2, 1);
	v4(&b->flows[1].src_addr, 192, 0, 2, 2);
	b->arena_used = OFD_BATCH_ARENA - 12; /* room for "192.0.2.1" and its NUL, not for more */
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].source_ip, "192.0.2.1");
	assert_null(b->flows[1].source_ip);
	assert_false(ofd_flow_has(&b->flows[1], OFD_F_SOURCE_IP));
	assert_int_equal(ofd_harness_counter(h, "arena_full"), 1);
	ofd_harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_dropped_and_names),
	    cmocka_unit_test(test_arena_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
