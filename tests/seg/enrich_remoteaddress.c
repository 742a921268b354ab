/*
 * remoteaddress (src/segments/enrich/remoteaddress.c): each policy on concrete flows. cidr on a
 * real file of our networks (IPv4 and IPv6, one-column lines and ids, a hole of id 0): the side
 * not ours is remote, the source tried first, unmatched flows kept as they were or dropped;
 * border and user by FlowDirection (a missing direction read as ingress, counted); clear.
 * Run as the ctest seg_remoteaddress.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_remoteaddress;

static void ip(struct ofd_ip *a, const char *s)
{
	assert_int_equal(ofd_ip_parse(a, s), 0);
}

static void test_cidr(void **state)
{
	(void)state;
	st_write(st_path("ours.csv"), "# our networks\n10.0.0.0/8\n2001:db8::/32,1\n10.66.0.0/16,0\n");
	for (int drop = 0; drop < 2; drop++) {
		char cfg[600];
		snprintf(cfg, sizeof(cfg), "{policy: cidr, filename: %s%s}", st_path("ours.csv"),
			 drop ? ", dropunmatched: true" : "");
		struct ofd_harness *h = st_open(&ofd_seg_remoteaddress, cfg);
		struct ofd_batch *b = ofd_harness_batch(h, 6);
		struct ofd_flow *f = b->flows;
		ip(&f[0].src_addr, "10.1.1.1"), ip(&f[0].dst_addr, "192.0.2.1"); /* ours -> out: dst remote */
		ip(&f[1].src_addr, "192.0.2.1"), ip(&f[1].dst_addr, "2001:db8::1");   /* in: src remote */
		ip(&f[2].src_addr, "10.1.1.1"), ip(&f[2].dst_addr, "10.2.2.2");	      /* both: source first */
		ip(&f[3].src_addr, "192.0.2.1"), ip(&f[3].dst_addr, "198.51.100.1");  /* neither */
		f[3].remote_addr = OFD_REMOTE_SRC;				      /* ... kept as it was */
		ip(&f[4].src_addr, "10.66.1.1"), ip(&f[4].dst_addr, "10.66.2.2");     /* the hole: neither */
		ip(&f[5].src_addr, "2a00::1"), ip(&f[5].dst_addr, "::ffff:10.9.9.9"); /* v4-mapped in v6 */
		ofd_harness_process(h, b);
		assert_int_equal(f[0].remote_addr, OFD_REMOTE_DST);
		assert_int_equal(f[1].remote_addr, OFD_REMOTE_SRC);
		assert_int_equal(f[2].remote_addr, OFD_REMOTE_DST);
		assert_int_equal(f[5].remote_addr, OFD_REMOTE_SRC);
		assert_true(ofd_flow_has(&f[0], OFD_F_REMOTE_ADDR));
		if (!drop) {
			assert_int_equal(f[3].remote_addr, OFD_REMOTE_SRC);
			assert_int_equal(f[4].remote_addr, OFD_REMOTE_NEITHER);
			assert_false(ofd_flow_has(&f[4], OFD_F_REMOTE_ADDR));
		}
		assert_int_equal(b->live[0], drop ? 0x27 : 0x3f);
		assert_int_equal(ofd_harness_counter(h, "unmatched"), 2);
		ofd_harness_free(h);
	}
}

static void by_direction(const char *policy, uint8_t in, uint8_t out)
{
	char cfg[100];
	snprintf(cfg, sizeof(cfg), "{policy: %s}", policy);
	struct ofd_harness *h = st_open(&ofd_seg_remoteaddress, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	struct ofd_flow *f = b->flows;
	f[0].flow_direction = OFD_DIR_INGRESS, ofd_flow_set(&f[0], OFD_F_FLOW_DIRECTION);
	f[1].flow_direction = OFD_DIR_EGRESS, ofd_flow_set(&f[1], OFD_F_FLOW_DIRECTION);
	/* f[2]: no direction exported: ingress, as flowpipeline reads a missing one */
	f[3].flow_direction = 7, ofd_flow_set(&f[3], OFD_F_FLOW_DIRECTION); /* neither: untouched */
	ofd_harness_process(h, b);
	assert_int_equal(f[0].remote_addr, in);
	assert_int_equal(f[1].remote_addr, out);
	assert_int_equal(f[2].remote_addr, in);
	assert_int_equal(f[3].remote_addr, OFD_REMOTE_NEITHER);
	assert_false(ofd_flow_has(&f[3], OFD_F_REMOTE_ADDR));
	assert_int_equal(ofd_harness_counter(h, "nodirection"), 1);
	assert_int_equal(ofd_batch_live_count(b), 4);
	ofd_harness_free(h);
}

static void test_border_user(void **state)
{
	(void)state;
	by_direction("border", OFD_REMOTE_SRC, OFD_REMOTE_DST);
	by_direction("user", OFD_REMOTE_DST, OFD_REMOTE_SRC);
}

static void test_clear(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_remoteaddress, "{policy: clear}");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	b->flows[0].remote_addr = OFD_REMOTE_DST, ofd_flow_set(&b->flows[0], OFD_F_REMOTE_ADDR);
	ofd_harness_process(h, b);
	assert_int_equal(b->flows[0].remote_addr, 0);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_REMOTE_ADDR));
	ofd_harness_free(h);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_remoteaddress, "{policy: cidr}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_string_equal(err, "test.yml:1: segment remoteaddress: policy cidr needs `filename` (the "
				 "prefixes of our networks)");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_remoteaddress, "{policy: edge}", err, sizeof(err)),
			 OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment remoteaddress: key policy");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_remoteaddress, "{}", err, sizeof(err)), OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment remoteaddress: key policy");
	/* a bad line refuses the start */
	st_write(st_path("bad.csv"), "10.0.0.0/8\n10.0.0.1/8\n");
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{policy: cidr, filename: %s}", st_path("bad.csv"));
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_remoteaddress, cfg, err, sizeof(err)), 0);
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_border_user),
	    cmocka_unit_test(test_clear),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
