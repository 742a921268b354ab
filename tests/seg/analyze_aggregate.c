/*
 * aggregate (src/segments/analyze/aggregate.c): which records merge (the key), what a merged
 * flow holds, the inactive and active timeouts, emission into the slots merged records left and
 * after the batch's records, eviction from a full cache, records passed unmerged, the batch's
 * capacity, arena strings, the drain at the end, and the config. Time is driven by tick(). Run as the ctest
 * seg_aggregate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_aggregate;

#define S 1000000000ull

/* A UDP record 192.0.2.<src>:5000 -> 198.51.100.1:<dport>. */
static void mk(struct ofd_flow *f, uint8_t src, uint16_t dport, uint64_t bytes, uint64_t packets)
{
	ofd_flow_zero(f);
	f->src_addr.family = f->dst_addr.family = OFD_AF_INET;
	f->src_addr.b[10] = f->src_addr.b[11] = f->dst_addr.b[10] = f->dst_addr.b[11] = 0xff;
	f->src_addr.b[12] = 192, f->src_addr.b[14] = 2, f->src_addr.b[15] = src;
	f->dst_addr.b[12] = 198, f->dst_addr.b[13] = 51, f->dst_addr.b[14] = 100, f->dst_addr.b[15] = 1;
	f->src_port = 5000;
	f->dst_port = dport;
	f->proto = 17;
	f->bytes = bytes;
	f->packets = packets;
	ofd_flow_set(f, OFD_F_BYTES);
	ofd_flow_set(f, OFD_F_PACKETS);
}

static void test_merge_and_inactive(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_aggregate, NULL);
	ofd_harness_tick(h, 100 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 6);
	mk(&b->flows[0], 1, 53, 100, 1);
	b->flows[0].tcp_flags = 0x02;
	b->flows[0].time_flow_start_ns = 10 * S;
	b->flows[0].time_flow_end_ns = 11 * S;
	mk(&b->flows[1], 2, 53, 1000, 10);
	mk(&b->flows[2], 1, 53, 200, 2);
	b->flows[2].tcp_flags = 0x10;
	b->flows[2].time_flow_start_ns = 9 * S;
	b->flows[2].time_flow_end_ns = 12 * S;
	mk(&b->flows[3], 1, 53, 7, 1);
	b->flows[3].ip_tos = 0xb8; /* another flow: ip_tos is in the key */
	mk(&b->flows[4], 1, 53, 5, 1);
	b->flows[4].in_if = 3; /* and in_if */
	mk(&b->flows[5], 1, 53, 9999, 9);
	ofd_batch_kill(b, 5); /* dropped before: not taken */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 0);
	assert_int_equal(ofd_harness_counter(h, "merged"), 1);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_cached", NULL), 4);

	ofd_harness_tick(h, 114 * S); /* inactive for 14 s of 15 */
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_waiting", NULL), 0);
	ofd_harness_tick(h, 115 * S);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_waiting", NULL), 4);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_cached", NULL), 0);

	b = ofd_harness_batch(h, 0); /* they leave with the next batch, after its records */
	ofd_harness_process(h, b);
	assert_int_equal(b->n, 4);
	assert_int_equal(ofd_batch_live_count(b), 4);
	/* least recently updated first: 2, then 1 (updated by the third record), the ip_tos one, in_if */
	assert_int_equal(b->flows[0].src_addr.b[15], 2);
	assert_int_equal(b->flows[0].bytes, 1000);
	const struct ofd_flow *a = &b->flows[1];
	assert_int_equal(a->src_addr.b[15], 1);
	assert_int_equal(a->ip_tos, 0);
	assert_int_equal(a->bytes, 300);
	assert_int_equal(a->packets, 3);
	assert_int_equal(a->tcp_flags, 0x12);
	assert_int_equal(a->time_flow_start_ns, 9 * S);
	assert_int_equal(a->time_flow_end_ns, 12 * S);
	assert_true(ofd_flow_has(a, OFD_F_BYTES));
	assert_int_equal(b->flows[2].ip_tos, 0xb8);
	assert_int_equal(b->flows[2].bytes, 7);
	assert_int_equal(b->flows[3].in_if, 3);
	assert_int_equal(b->flows[3].bytes, 5);
	assert_int_equal(ofd_harness_counter(h, "flows_out"), 4);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_waiting", NULL), 0);
	ofd_harness_free(h);
}

static void test_active_timeout_and_slots(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_aggregate, "{activetimeout: 10s, inactivetimeout: 1h}");
	ofd_harness_tick(h, 100 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	mk(&b->flows[0], 1, 80, 10, 1);
	ofd_harness_process(h, b);
	ofd_harness_tick(h, 109 * S);
	b = ofd_harness_batch(h, 1);
	mk(&b->flows[0], 1, 80, 20, 1); /* updated: the active timeout still counts from 100 s */
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 0);
	ofd_harness_tick(h, 110 * S);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_waiting", NULL), 1);
	/* a batch of a new flow and one dropped record: the expired flow takes the freed slot 1 */
	b = ofd_harness_batch(h, 3);
	mk(&b->flows[0], 7, 80, 1, 1);
	ofd_batch_kill(b, 0); /* dropped before: its slot is not reused */
	mk(&b->flows[1], 2, 80, 5, 1);
	mk(&b->flows[2], 2, 80, 6, 1);
	ofd_harness_process(h, b);
	assert_int_equal(b->n, 3);
	assert_int_equal(ofd_batch_live_count(b), 1);
	assert_true(ofd_batch_is_live(b, 1));
	assert_int_equal(b->flows[1].src_addr.b[15], 1);
	assert_int_equal(b->flows[1].bytes, 30);
	assert_int_equal(b->flows[1].packets, 2);
	assert_int_equal(b->flows[0].src_addr.b[15], 7); /* untouched */
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_cached", NULL), 1);
	ofd_harness_free(h);
}

static void test_full_cache(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_aggregate, "{maxflows: 2, inactivetimeout: 1s}");
	ofd_harness_tick(h, 100 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	mk(&b->flows[0], 1, 1, 10, 1);
	mk(&b->flows[1], 2, 1, 20, 1);
	mk(&b->flows[2], 3, 1, 30, 1);
	ofd_harness_process(h, b);
	/* the third evicts the first, which leaves in its place */
	assert_int_equal(ofd_batch_live_count(b), 1);
	assert_true(ofd_batch_is_live(b, 2));
	assert_int_equal(b->flows[2].src_addr.b[15], 1);
	assert_int_equal(b->flows[2].bytes, 10);
	assert_int_equal(ofd_harness_counter(h, "evicted"), 1);
	assert_int_equal(ofd_harness_counter(h, "flows_out"), 1);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_cached", NULL), 2);

	/* both expire; while they wait for room no entry is free: a new record passes unmerged */
	ofd_harness_tick(h, 102 * S);
	b = ofd_harness_batch(h, 1);
	mk(&b->flows[0], 9, 1, 90, 1);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "bypassed"), 1);
	assert_int_equal(b->n, 3);
	assert_int_equal(ofd_batch_live_count(b), 3);
	assert_int_equal(b->flows[0].src_addr.b[15], 9);
	assert_int_equal(b->flows[0].bytes, 90);
	assert_int_equal(b->flows[1].src_addr.b[15], 2);
	assert_int_equal(b->flows[2].src_addr.b[15], 3);
	ofd_harness_free(h);
}

static void test_batch_capacity(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_aggregate, "{maxflows: 1000, inactivetimeout: 1s}");
	ofd_harness_tick(h, 100 * S);
	for (int k = 0; k < 2; k++) { /* 600 flows */
		uint32_t n = k ? 88 : OFD_BATCH_CAP;
		struct ofd_batch *b = ofd_harness_batch(h, n);
		for (uint32_t i = 0; i < n; i++)
			mk(&b->flows[i], (uint8_t)k, (uint16_t)i, i, 1);
		ofd_harness_process(h, b);
		assert_int_equal(ofd_batch_live_count(b), 0);
	}
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_cached", NULL), 600);
	ofd_harness_tick(h, 101 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 0);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), OFD_BATCH_CAP);
	assert_int_equal(b->flows[511].dst_port, 511);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_waiting", NULL), 88);
	b = ofd_harness_batch(h, 0);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 88);
	assert_int_equal(b->flows[87].src_addr.b[15], 1);
	assert_int_equal(b->flows[87].dst_port, 87);
	assert_int_equal(ofd_harness_counter(h, "flows_out"), 600);
	ofd_harness_free(h);
}

static void test_strings(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_aggregate, "{inactivetimeout: 1s}");
	ofd_harness_tick(h, 100 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	mk(&b->flows[0], 1, 1, 1, 1);
	b->flows[0].proto_name = ofd_batch_strdup(b, "UDP", 3); /* in the arena: cleared */
	ofd_flow_set(&b->flows[0], OFD_F_PROTO_NAME);
	mk(&b->flows[1], 2, 1, 1, 1);
	b->flows[1].proto_name = "static text"; /* outlives the batch: kept */
	ofd_flow_set(&b->flows[1], OFD_F_PROTO_NAME);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "strings_cleared"), 1);
	ofd_harness_tick(h, 102 * S);
	b = ofd_harness_batch(h, 0);
	ofd_harness_process(h, b);
	assert_int_equal(b->n, 2);
	assert_null(b->flows[0].proto_name);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_PROTO_NAME));
	assert_string_equal(b->flows[1].proto_name, "static text");
	ofd_harness_free(h);
}

static void test_drain(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_aggregate, "{maxflows: 1000, activetimeout: 1h, inactivetimeout: 1h}");
	ofd_harness_tick(h, 100 * S);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	mk(&b->flows[0], 1, 1, 10, 1);
	mk(&b->flows[1], 1, 1, 20, 1);
	ofd_harness_process(h, b);
	b = ofd_harness_batch(h, 0); /* nothing expired: an ordinary batch takes nothing */
	ofd_harness_process(h, b);
	assert_int_equal(b->n, 0);
	for (int k = 0; k < 2; k++) { /* 600 more */
		uint32_t n = k ? 88 : OFD_BATCH_CAP;
		b = ofd_harness_batch(h, n);
		for (uint32_t i = 0; i < n; i++)
			mk(&b->flows[i], (uint8_t)(10 + k), (uint16_t)i, 1, 1);
		ofd_harness_process(h, b);
	}
	/* the end: everything leaves, a batch at a time, oldest first */
	b = ofd_harness_batch(h, 0);
	ofd_harness_drain(h, b);
	assert_int_equal(ofd_batch_live_count(b), OFD_BATCH_CAP);
	assert_int_equal(b->flows[0].src_addr.b[15], 1);
	assert_int_equal(b->flows[0].bytes, 30);
	assert_int_equal(b->flows[0].packets, 2);
	b = ofd_harness_batch(h, 0);
	ofd_harness_drain(h, b);
	assert_int_equal(ofd_batch_live_count(b), 89);
	b = ofd_harness_batch(h, 0);
	ofd_harness_drain(h, b);
	assert_int_equal(b->n, 0);
	assert_int_equal(ofd_harness_counter(h, "flows_out"), 601);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_cached", NULL), 0);
	assert_int_equal(ofd_harness_metric(h, "aggregate_flows_waiting", NULL), 0);
	ofd_harness_free(h);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_aggregate, "{maxflows: 0}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "segment aggregate: key maxflows: "));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_aggregate, "{activetimeout: soon}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "key activetimeout: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_and_inactive),
	    cmocka_unit_test(test_active_timeout_and_slots),
	    cmocka_unit_test(test_full_cache),
	    cmocka_unit_test(test_batch_capacity),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_drain),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
