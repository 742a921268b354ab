/*
 * The bgp segment's flows against BIRD's routes (../shared/data/bird-test.conf, through
 * bird_peer.h): ten destinations, one in each of BIRD's 10 routes (the most specific where two
 * overlap), and the RPKI state of each destination's route against vrps-sample.json as the
 * file's comments give it (BIRD's roa_check agrees, ../shared/data/README.md). Used by
 * tests/seg/enrich_bgp.c (rpkifile) and tests/seg/enrich_bgp_rtr.c (rtr). Include after
 * <cmocka.h> and segtest.h.
 */
#ifndef OFD_TEST_BGP_BIRD_CASES_H
#define OFD_TEST_BGP_BIRD_CASES_H

#include <poll.h>
#include <stdint.h>

#include "ofd/flow.h"
#include "ofd/harness.h"
#include "ofd/time.h"

#define BIRD_NADDRS 10

static const char *const bird_addrs[BIRD_NADDRS] = {
    "192.0.2.7",   "198.51.100.9",     "203.0.113.5",		"203.0.113.70", "203.0.113.200",
    "2001:db8::5", "2001:db8:1000::1", "2001:db8:ffff:ff00::1", "3fff::1",	"3fff:0:0:ff00::9"};

static const uint8_t bird_want_rpki[BIRD_NADDRS] = {
    OFD_RPKI_VALID, OFD_RPKI_INVALID, OFD_RPKI_INVALID, OFD_RPKI_VALID,	   OFD_RPKI_NOTFOUND,
    OFD_RPKI_VALID, OFD_RPKI_INVALID, OFD_RPKI_INVALID, OFD_RPKI_NOTFOUND, OFD_RPKI_INVALID};

/* A batch of the 10 addresses as destinations (source 203.0.113.130) from sampler, processed. */
static inline struct ofd_batch *bird_flows(struct ofd_harness *h, const char *sampler)
{
	struct ofd_batch *b = ofd_harness_batch(h, BIRD_NADDRS);
	for (int i = 0; i < BIRD_NADDRS; i++) {
		struct ofd_flow *f = &b->flows[i];
		assert_int_equal(ofd_ip_parse(&f->dst_addr, bird_addrs[i]), 0);
		assert_int_equal(ofd_ip_parse(&f->src_addr, "203.0.113.130"), 0);
		assert_int_equal(ofd_ip_parse(&f->sampler_address, sampler), 0);
	}
	ofd_harness_process(h, b);
	return b;
}

/* Process batches from 127.0.0.1 until exactly n of the 10 destinations have a route (bounded:
   20 s); the last batch; the time it took into *took_ns (may be NULL). */
static inline struct ofd_batch *bird_wait_routes_t(struct ofd_harness *h, int n, uint64_t *took_ns)
{
	uint64_t t0 = ofd_time_mono_ns();
	for (;;) {
		struct ofd_batch *b = bird_flows(h, "127.0.0.1");
		int k = 0;
		for (int i = 0; i < BIRD_NADDRS; i++)
			k += ofd_flow_has(&b->flows[i], OFD_F_DST_AS);
		uint64_t dt = ofd_time_mono_ns() - t0;
		if (k == n) {
			if (took_ns)
				*took_ns = dt;
			return b;
		}
		if (dt > 20000000000ull) {
			print_error("%d routes, waited for %d\n", k, n);
			fail();
		}
		poll(NULL, 0, 10);
	}
}

static inline struct ofd_batch *bird_wait_routes(struct ofd_harness *h, int n)
{
	return bird_wait_routes_t(h, n, NULL);
}

#endif
