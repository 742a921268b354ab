/* Flow segments on built records: flowfilter, drop, pass, elephant, sync_timestamps, dropfields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "seghelp.h"
#include "segments/builtin.h"

/* `present` is exactly the word-0 mask w0. */
static void assert_present(const struct ofd_fieldset *s, uint64_t w0)
{
	assert_int_equal(s->w[0], w0);
	for (unsigned i = 1; i < OFD_FIELDSET_WORDS; i++)
		assert_int_equal(s->w[i], 0);
}

static uint32_t live_mask32(const struct ofd_batch *b)
{
	return (uint32_t)b->live[0];
}

/* ---- flowfilter, drop, pass ---- */

static void test_flowfilter(void **state)
{
	(void)state;
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_flowfilter, "{filter: proto udp and src port 123}");
	assert_int_equal(fx.init_rc, 0);
	struct ofd_batch *b = batch_new(4);
	b->flows[0].proto = 17, b->flows[0].src_port = 123; /* kept */
	b->flows[1].proto = 6, b->flows[1].src_port = 123;
	b->flows[2].proto = 17, b->flows[2].src_port = 124;
	b->flows[3].proto = 17, b->flows[3].src_port = 123; /* kept */
	for (int i = 0; i < 4; i++)
		b->flows[i].present.w[0] = OFD_W0(OFD_F_PROTO) | OFD_W0(OFD_F_SRC_PORT);
	ofd_batch_kill(b, 3); /* already dropped: stays dropped */
	seg_run(&fx, b);
	assert_int_equal(live_mask32(b), 0x1);
	seg_close(&fx);

	seg_open(&fx, &ofd_seg_flowfilter, "{filter: 'tcpflags syn and not tcpflags ack'}");
	assert_int_equal(fx.init_rc, 0);
	b->n = 0;
	memset(b->live, 0, sizeof(b->live));
	for (int i = 0; i < 3; i++)
		ofd_batch_add(b)->proto = 6;
	b->flows[0].tcp_flags = 0x02; /* SYN */
	b->flows[1].tcp_flags = 0x12; /* SYN ACK */
	b->flows[2].tcp_flags = 0x10; /* ACK */
	seg_run(&fx, b);
	assert_int_equal(live_mask32(b), 0x1);
	seg_close(&fx);
	free(b);
}

static void test_flowfilter_errors(void **state)
{
	(void)state;
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_flowfilter, "{filter: 'proto udp and and'}");
	assert_int_equal(fx.init_rc, OFD_ECONFIG);
	seg_close(&fx);				  /* fini after a failed init */
	seg_open(&fx, &ofd_seg_flowfilter, NULL); /* filter is required */
	assert_int_equal(fx.init_rc, OFD_ECONFIG);
	seg_close(&fx);
}

static void test_drop_pass(void **state)
{
	(void)state;
	struct seg_fixture fx;
	struct ofd_batch *b = batch_new(OFD_BATCH_CAP);
	seg_open(&fx, &ofd_seg_pass, NULL);
	seg_run(&fx, b);
	assert_int_equal(ofd_batch_live_count(b), OFD_BATCH_CAP);
	seg_close(&fx);
	seg_open(&fx, &ofd_seg_drop, NULL);
	seg_run(&fx, b);
	assert_int_equal(ofd_batch_live_count(b), 0);
	seg_close(&fx);
	free(b);
}

/* ---- elephant ---- */

/* Bytes 1..n in a scrambled order (i * 37 mod n), all at time t seconds. */
static struct ofd_batch *ramp(uint32_t n, uint64_t t)
{
	struct ofd_batch *b = batch_new(n);
	for (uint32_t i = 0; i < n; i++) {
		b->flows[i].bytes = (i * 37u) % n + 1;
		b->flows[i].packets = 1;
		b->flows[i].time_received_ns = t * 1000000000ull;
	}
	return b;
}

/* The sorted bytes of the live records, as "a b c". */
static char *kept_bytes(const struct ofd_batch *b, char *out, size_t cap)
{
	uint8_t seen[1024] = {0};
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && b->flows[i].bytes < sizeof(seen))
			seen[b->flows[i].bytes] = 1;
	size_t n = 0;
	out[0] = 0;
	for (unsigned v = 0; v < sizeof(seen); v++)
		if (seen[v])
			n += (size_t)snprintf(out + n, cap - n, "%s%u", n ? " " : "", v);
	return out;
}

static void test_elephant_percentiles(void **state)
{
	(void)state;
	char buf[4096];
	struct seg_fixture fx;
	struct ofd_batch *b = ramp(100, 1000);
	seg_open(&fx, &ofd_seg_elephant, NULL); /* bytes, 99th percentile */
	assert_int_equal(fx.init_rc, 0);
	seg_run(&fx, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "100");
	seg_close(&fx);
	free(b);

	b = ramp(100, 1000);
	seg_open(&fx, &ofd_seg_elephant, "{percentile: 90}");
	seg_run(&fx, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "91 92 93 94 95 96 97 98 99 100");
	/* a second batch in the same window: 200 samples now, threshold the 180th = 90 again */
	struct ofd_batch *c = ramp(100, 1010);
	seg_run(&fx, c);
	assert_string_equal(kept_bytes(c, buf, sizeof(buf)), "91 92 93 94 95 96 97 98 99 100");
	/* 70 s later the first two batches left the 60 s window: only 1..10 count */
	struct ofd_batch *d = ramp(10, 1080);
	seg_run(&fx, d);
	assert_string_equal(kept_bytes(d, buf, sizeof(buf)), "10");
	seg_close(&fx);
	free(b);
	free(c);
	free(d);

	/* percentile 0: everything above the smallest */
	b = ramp(100, 5);
	seg_open(&fx, &ofd_seg_elephant, "{percentile: 0}");
	seg_run(&fx, b);
	assert_int_equal(ofd_batch_live_count(b), 99);
	seg_close(&fx);
	free(b);
}

static void test_elephant_aspects_and_bounds(void **state)
{
	(void)state;
	char buf[4096];
	struct seg_fixture fx;
	/* pps: packets over the duration (at least 1 s) */
	struct ofd_batch *b = batch_new(4);
	for (int i = 0; i < 4; i++) {
		b->flows[i].time_flow_start_ns = 1000000000000ull;
		b->flows[i].bytes = (uint64_t)i + 1; /* labels */
	}
	b->flows[0].packets = 100,
	b->flows[0].time_flow_end_ns = 1000000000000ull + 100000000000ull;			  /* 1 pps */
	b->flows[1].packets = 50, b->flows[1].time_flow_end_ns = 1000000000000ull + 500000000ull; /* 50 pps */
	b->flows[2].packets = 30,
	b->flows[2].time_flow_end_ns = 1000000000000ull + 10000000000ull; /* 3 pps */
	b->flows[3].packets = 20,
	b->flows[3].time_flow_end_ns = 1000000000000ull + 1000000000ull; /* 20 pps */
	seg_open(&fx, &ofd_seg_elephant, "{aspect: pps, percentile: 50}");
	seg_run(&fx, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "2 4");
	seg_close(&fx);
	free(b);

	/* samples bound the memory: only the most recent 16 flows count */
	seg_open(&fx, &ofd_seg_elephant, "{samples: 16, percentile: 50}");
	b = ramp(100, 1);
	seg_run(&fx, b);
	/* the last 16 flows of ramp(100) (i = 84..99) have bytes 5 9 16 20 27 31 42 46 53 57 64 68 79 83 90
	   94: the 8th is 46, and 54 of the batch's 1..100 are above it */
	assert_int_equal(ofd_batch_live_count(b), 54);
	seg_close(&fx);
	free(b);

	/* ramp-up: everything dropped for 30 s of flow time after the first flow */
	seg_open(&fx, &ofd_seg_elephant, "{percentile: 0, rampuptime: 30s}");
	b = ramp(10, 100);
	seg_run(&fx, b);
	assert_int_equal(ofd_batch_live_count(b), 0);
	free(b);
	b = ramp(10, 131);
	seg_run(&fx, b);
	assert_string_equal(kept_bytes(b, buf, sizeof(buf)), "2 3 4 5 6 7 8 9 10");
	seg_close(&fx);
	free(b);
}

/* ---- sync_timestamps ---- */

static void test_sync_timestamps(void **state)
{
	(void)state;
	struct seg_fixture fx;
	struct ofd_batch *b = batch_new(5);
	b->flows[0].time_flow_end_ns = 50, b->flows[0].time_received_ns = 60;	/* start from end */
	b->flows[1].time_flow_start_ns = 40, b->flows[1].time_received_ns = 60; /* end from start */
	b->flows[2].time_received_ns = 70;					/* both from received */
	b->flows[3].time_flow_start_ns = 10, b->flows[3].time_flow_end_ns = 20; /* received from end */
	b->flows[4].time_flow_start_ns = 1, b->flows[4].time_flow_end_ns = 2,
	b->flows[4].time_received_ns = 3;
	seg_open(&fx, &ofd_seg_sync_timestamps, NULL);
	seg_run(&fx, b);
	const uint64_t want[5][3] = {{50, 50, 60}, {40, 40, 60}, {70, 70, 70}, {10, 20, 20}, {1, 2, 3}};
	const uint64_t bits[5] = {OFD_W0(OFD_F_TIME_FLOW_START), OFD_W0(OFD_F_TIME_FLOW_END),
				  OFD_W0(OFD_F_TIME_FLOW_START) | OFD_W0(OFD_F_TIME_FLOW_END),
				  OFD_W0(OFD_F_TIME_RECEIVED), 0};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b->flows[i].time_flow_start_ns, want[i][0]);
		assert_int_equal(b->flows[i].time_flow_end_ns, want[i][1]);
		assert_int_equal(b->flows[i].time_received_ns, want[i][2]);
		assert_present(&b->flows[i].present, bits[i]);
	}
	seg_close(&fx);
	free(b);
}

/* ---- dropfields ---- */

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
	struct seg_fixture fx;
	struct ofd_batch *b = batch_new(2);
	full_flow(&b->flows[0]);
	full_flow(&b->flows[1]);
	ofd_batch_kill(b, 1); /* not live: untouched */
	seg_open(&fx, &ofd_seg_dropfields, "{policy: drop, fields: [src_addr, 'Bytes,AsPath', SrcIfDesc]}");
	assert_int_equal(fx.init_rc, 0);
	seg_run(&fx, b);
	struct ofd_flow want;
	full_flow(&want);
	memset(&want.src_addr, 0, sizeof(want.src_addr));
	want.bytes = 0;
	want.in_if_desc = NULL;
	want.as_path_len = 0;
	memset(want.as_path, 0, sizeof(want.as_path));
	want.present.w[0] &= ~(OFD_W0(OFD_F_SRC_ADDR) | OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_AS_PATH) |
			       OFD_W0(OFD_F_IN_IF_DESC));
	assert_memory_equal(&b->flows[0], &want, sizeof(want));
	full_flow(&want);
	assert_memory_equal(&b->flows[1], &want, sizeof(want));
	seg_close(&fx);
	free(b);
}

static void test_dropfields_keep(void **state)
{
	(void)state;
	struct seg_fixture fx;
	struct ofd_batch *b = batch_new(1);
	full_flow(&b->flows[0]);
	seg_open(&fx, &ofd_seg_dropfields, "{policy: keep, fields: 'bytes, packets,src_country'}");
	assert_int_equal(fx.init_rc, 0);
	seg_run(&fx, b);
	struct ofd_flow want;
	memset(&want, 0, sizeof(want));
	want.bytes = 1000;
	want.packets = 10;
	memcpy(want.src_country, "SE", 2);
	want.present.w[0] = OFD_W0(OFD_F_BYTES) | OFD_W0(OFD_F_PACKETS) | OFD_W0(OFD_F_SRC_COUNTRY);
	assert_memory_equal(&b->flows[0], &want, sizeof(want));
	seg_close(&fx);
	free(b);
}

/* Fields of the table's tail, by their snake_case and flowpipeline names. */
static void test_dropfields_new_fields(void **state)
{
	(void)state;
	struct seg_fixture fx;
	struct ofd_batch *b = batch_new(2);
	for (int i = 0; i < 2; i++) {
		full_flow(&b->flows[i]);
		b->flows[i].note = "hello";
		b->flows[i].cid = 17;
		b->flows[i].remote_addr = OFD_REMOTE_SRC;
		b->flows[i].bgp_communities.n = 1;
		b->flows[i].bgp_communities.v[0] = 65000;
		memcpy(b->flows[i].remote_country, "NL", 2);
	}
	seg_open(&fx, &ofd_seg_dropfields, "{policy: drop, fields: [Note, bgp_communities, RemoteAddr]}");
	assert_int_equal(fx.init_rc, 0);
	seg_run(&fx, b);
	struct ofd_flow *f = &b->flows[0];
	assert_null(f->note);
	assert_int_equal(f->bgp_communities.n, 0);
	assert_int_equal(f->bgp_communities.v[0], 0);
	assert_int_equal(f->remote_addr, 0);
	assert_false(ofd_flow_has(f, OFD_F_NOTE) || ofd_flow_has(f, OFD_F_BGP_COMMUNITIES) ||
		     ofd_flow_has(f, OFD_F_REMOTE_ADDR));
	assert_int_equal(f->cid, 17);
	assert_true(ofd_flow_has(f, OFD_F_CID) && ofd_flow_has(f, OFD_F_REMOTE_COUNTRY));
	seg_close(&fx);
	seg_open(&fx, &ofd_seg_dropfields, "{policy: keep, fields: 'Cid, bytes'}");
	assert_int_equal(fx.init_rc, 0);
	seg_run(&fx, b);
	f = &b->flows[1];
	assert_int_equal(f->cid, 17);
	assert_int_equal(f->bytes, 1000);
	assert_null(f->note);
	assert_int_equal(f->remote_country[0], 0);
	assert_int_equal(f->present.w[0], OFD_W0(OFD_F_BYTES));
	assert_int_equal(f->present.w[1], OFD_FS_BIT(OFD_F_CID)); /* Cid's bit is in word 1 */
	assert_int_equal(f->present.w[2] | f->present.w[3], 0);
	seg_close(&fx);
	free(b);
}

static void test_dropfields_errors(void **state)
{
	(void)state;
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_dropfields, "{policy: drop, fields: [src_addr, no_such_field]}");
	assert_int_equal(fx.init_rc, OFD_ECONFIG);
	seg_close(&fx);
	seg_open(&fx, &ofd_seg_dropfields, "{policy: drop, fields: 'bytes,,packets'}");
	assert_int_equal(fx.init_rc, OFD_ECONFIG);
	seg_close(&fx);
	seg_open(&fx, &ofd_seg_dropfields, "{policy: maybe, fields: bytes}"); /* refused by the config map */
	assert_int_equal(fx.init_rc, OFD_ECONFIG);
	seg_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flowfilter),
	    cmocka_unit_test(test_flowfilter_errors),
	    cmocka_unit_test(test_drop_pass),
	    cmocka_unit_test(test_elephant_percentiles),
	    cmocka_unit_test(test_elephant_aspects_and_bounds),
	    cmocka_unit_test(test_sync_timestamps),
	    cmocka_unit_test(test_dropfields_drop),
	    cmocka_unit_test(test_dropfields_keep),
	    cmocka_unit_test(test_dropfields_new_fields),
	    cmocka_unit_test(test_dropfields_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
