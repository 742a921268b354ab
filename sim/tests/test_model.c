/*
 * The simulator's pieces against closed forms: the pick rate of R one-packet flows/s across d
 * deployers sampling 1:N (R r d with normalization, N times fewer without) and the mean wait
 * (its inverse); the odds of a record of Poisson packets; the long-flow windows (mean wait A/q);
 * PPM edge sampling (the exact expectation by inclusion-exclusion, Savage's formula, the
 * harmonic bound); path joins and the transit ranking; the real RIB subset's counts; and that a
 * seed reproduces a run byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "paths.h"
#include "runner.h"
#include "stats.h"

static const unsigned Ns[] = {1, 1000, 4096, 10000};

static void quiet(struct sim_scen *s)
{
	sim_scen_default(s);
	s->inactive = 0;
	s->delay_min = s->delay_max = 0;
	s->amplification = 0;
	s->addr_rate = 0;
}

static void test_rate_closed_form(void **state)
{
	(void)state;
	const double R = 1e5, r = 1e-6;
	for (unsigned d = 1; d <= 8; d++)
		for (unsigned i = 0; i < 4; i++) {
			double norm = 0, raw = 0;
			for (unsigned j = 0; j < d; j++) {
				norm += sim_rate_1pkt(R, Ns[i], r, 1);
				raw += sim_rate_1pkt(R, Ns[i], r, 0);
			}
			assert_true(fabs(norm - R * r * d) <= 1e-12 * R * r * d);
			assert_true(fabs(raw - R * r * d / Ns[i]) <= 1e-12 * R * r * d / Ns[i]);
		}
	/* saturation: r N >= 1 picks every sampled packet, R / N per s */
	assert_true(sim_rate_1pkt(1e5, 10000, 1e-3, 1) == 10.0);
	assert_true(sim_rate_1pkt(1e5, 0, 1e-3, 1) == 0);
}

/* mean of the first tracer over many runs against 1 / (R r d) (and N times that raw) */
static void wait_case(unsigned N, int normalize, double R, unsigned d)
{
	struct sim_scen s;
	quiet(&s);
	s.R = R, s.N = N, s.normalize = normalize, s.spoof = SIM_SPOOF_RANDOM, s.T = 1e9;
	struct sim_hop hops[8];
	for (unsigned i = 0; i < d; i++)
		hops[i].N = N;
	enum { RUNS = 20000 };
	static double t[RUNS], c[RUNS];
	for (unsigned i = 0; i < RUNS; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, sim_run_seed(7, i));
		struct sim_run out;
		sim_run_hops(&s, hops, d, &g, &out);
		t[i] = out.t_k[0];
		c[i] = out.tracers;
		assert_int_equal(out.deployers, d);
	}
	double lam = R * s.r * d / (normalize ? 1 : N);
	struct sim_ci m = sim_mean_ci(t, RUNS, INFINITY);
	/* exponential: sd = mean, so 3 % is over 4 standard errors at 20,000 runs */
	assert_true(fabs(m.mean - 1 / lam) < 0.03 / lam);
	assert_true(m.lo < 1 / lam && 1 / lam < m.hi + 0.01 / lam);
	struct sim_ci k = sim_mean_ci(c, RUNS, INFINITY);
	assert_true(fabs(k.mean - lam * s.T) < 0.01 * lam * s.T);
}

static void test_wait_inverse(void **state)
{
	(void)state;
	wait_case(1000, 1, 1e4, 4);  /* 0.04/s: 25 s */
	wait_case(1000, 0, 1e4, 4);  /* 1,000 times fewer: 25,000 s */
	wait_case(4096, 1, 1e6, 2);  /* 2/s */
	wait_case(10000, 0, 1e6, 1); /* 1e-4/s */
}

/* the amplification budget: 10 records/s (R = 1e5, N = 10,000) earn 0.5 x 48.8 bytes each; a
 * pick costs 2 x ((1114 + 48) + (1114 + 512)) = 5,576 bytes; 65,536 bytes saved up pay for 11:
 * in 1,000 s, 11 + 244,000 / 5,576 = 54.76 picks, far below the odds' 1,000 */
static void test_budget(void **state)
{
	(void)state;
	struct sim_scen s;
	quiet(&s);
	s.amplification = 0.5, s.R = 1e5, s.N = 10000, s.r = 1e-5, s.T = 1000;
	assert_true(sim_pick_bytes(&s) == 5576);
	struct sim_hop hop = {10000};
	for (unsigned i = 0; i < 100; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, i);
		struct sim_run out;
		sim_run_hops(&s, &hop, 1, &g, &out);
		assert_true(out.tracers == 54);
		assert_true(out.budget_cut > 800 && out.budget_cut < 1100);
		assert_true(fabs(out.overhead - 54 * 5576 / (1e5 * 1000 * 64)) < 1e-12);
	}
	s.methods = 1;
	assert_true(sim_pick_bytes(&s) == 2 * 1162);
	/* the per-address bucket: 1/s and a burst of 5 to the victim, whatever the picks */
	s.amplification = 0, s.addr_rate = 1, s.addr_burst = 5, s.T = 100, s.r = 1e-4;
	for (unsigned i = 0; i < 100; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, i);
		struct sim_run out;
		sim_run_hops(&s, &hop, 1, &g, &out);
		assert_true(out.tracers == 105);
		assert_true(out.picks > 850 && out.picks < 1150); /* 10 records/s, all picked, 100 s */
	}
}

static void test_odds_mean(void **state)
{
	(void)state;
	assert_true(sim_odds_mean(1e-6, 100) == 1e-6 * 100);
	assert_true(sim_odds_mean(1e-2, 1e6) == 1);
	assert_true(sim_odds_mean(0, 10) == 0);
	/* c = 0.5, m = 1: 0.5 P(k = 1) + P(k >= 2) = 0.5/e + 1 - 2/e */
	assert_true(fabs(sim_odds_mean(0.5, 1) - (1 - 1.5 / M_E)) < 1e-12);
}

/* one long flow, N = 1, R = 10/s, A = 60 s, r = 1e-3: a record of ~600 packets is picked
 * with 0.6, so the first tracer waits A / 0.6 = 100 s on average */
static void test_windows(void **state)
{
	(void)state;
	struct sim_scen s;
	quiet(&s);
	s.spoof = SIM_SPOOF_NONE, s.flows = 1, s.N = 1, s.R = 10, s.active = 60, s.r = 1e-3, s.T = 6000;
	struct sim_hop hop = {1};
	enum { RUNS = 20000 };
	static double t[RUNS], c[RUNS];
	for (unsigned i = 0; i < RUNS; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, sim_run_seed(3, i));
		struct sim_run out;
		sim_run_hops(&s, &hop, 1, &g, &out);
		t[i] = out.t_k[0];
		c[i] = out.tracers;
		assert_true(fmod(t[i], 60) == 0);
	}
	assert_true(fabs(sim_mean_ci(t, RUNS, INFINITY).mean - 100) < 2);
	/* 100 windows x 0.6 */
	assert_true(fabs(sim_mean_ci(c, RUNS, INFINITY).mean - 60) < 0.5);
	/* escalation x 10 from 120 s: windows ending at 120 s and later pick for sure */
	s.esc_mult = 10, s.esc_after = 120;
	for (unsigned i = 0; i < RUNS; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, sim_run_seed(3, i));
		struct sim_run out;
		sim_run_hops(&s, &hop, 1, &g, &out);
		t[i] = out.t_k[0];
	}
	/* 60 s with 0.6, else 120 s: 0.6 x 60 + 0.4 x 120 = 84 */
	assert_true(fabs(sim_mean_ci(t, RUNS, INFINITY).mean - 84) < 1.5);
}

static void test_ppm(void **state)
{
	(void)state;
	const double p = 0.04;
	/* d = 1: 1/p; d = 2: 1/q0 + 1/q1 - 1/(q0 + q1) */
	assert_true(fabs(sim_ppm_expected(1, p) - 25) < 1e-9);
	double q1 = p * (1 - p);
	assert_true(fabs(sim_ppm_expected(2, p) - (25 + 1 / q1 - 1 / (p + q1))) < 1e-9);
	for (unsigned d = 2; d <= 12; d += 5) {
		enum { RUNS = 20000 };
		static double x[RUNS];
		struct sim_rng g;
		sim_rng_seed(&g, 11 + d);
		for (unsigned i = 0; i < RUNS; i++)
			x[i] = sim_ppm_packets(&g, d, p);
		double e = sim_ppm_expected(d, p), mean = sim_mean_ci(x, RUNS, INFINITY).mean;
		assert_true(fabs(mean - e) < 0.03 * e);
		/* the coupon collector's bound with every edge at its rarest: H_d / (p (1-p)^(d-1)) */
		double h = 0;
		for (unsigned i = 1; i <= d; i++)
			h += 1.0 / i;
		double qmin = p * pow(1 - p, d - 1);
		assert_true(e < h / qmin);
		/* Savage et al.'s ln(d) / qmin leaves out the harmonic number's constant: below the
		 * exact expectation on short paths */
		assert_true(log(d) / qmin < e);
	}
	assert_true(isnan(sim_ppm_expected(21, p)));
}

static void test_paths(void **state)
{
	(void)state;
	static const uint32_t r0[] = {1, 2, 3, 4}, r1[] = {1, 2, 2, 2, 5, 6}, r2[] = {7, 8}, r3[] = {1, 9, 6};
	const uint32_t *routes[] = {r0, r1, r2, r3};
	const unsigned len[] = {4, 6, 2, 3};
	struct sim_paths p;
	assert_int_equal(sim_paths_from(&p, 4, routes, len), 0);
	assert_int_equal(p.nroutes, 4);
	assert_int_equal(p.nas, 9);
	uint32_t out[2 * SIM_PATH_MAX];
	/* 4 3 2 5 6: up to AS2 where the routes part, down to 6 (prepending collapsed) */
	unsigned n = sim_paths_join(&p, 0, 1, out);
	assert_int_equal(n, 5);
	static const uint32_t want[] = {4, 3, 2, 5, 6};
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(p.asn[out[i]], want[i]);
	/* different peers: they meet at the collector, which is not on the path */
	n = sim_paths_join(&p, 2, 0, out);
	static const uint32_t want2[] = {8, 7, 1, 2, 3, 4};
	assert_int_equal(n, 6);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(p.asn[out[i]], want2[i]);
	/* same origin (6): no path */
	assert_int_equal(sim_paths_join(&p, 1, 3, out), 0);
	/* AS1 (the shared peer) and AS2 are in the middle of 4 of the 5 pairs of origins each,
	 * AS3 of 3: they rank first (either way round) and third; origins never transit */
	for (uint32_t i = 0; i < p.nas; i++) {
		uint32_t a = p.asn[i];
		if (a == 1 || a == 2)
			assert_true(p.rank[i] <= 1);
		if (a == 3)
			assert_int_equal(p.rank[i], 2);
		if (a == 4 || a == 6 || a == 8)
			assert_true(p.transit[i] == 0);
	}
	sim_paths_free(&p);
}

static void test_rib_subset(void **state)
{
	(void)state;
	char file[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(file, sizeof(file), "%s/routeviews-jinx-rib-20140530-2200-subset.mrt",
		 data ? data : "../shared/data");
	struct sim_paths p;
	const char *why = NULL;
	assert_int_equal(sim_paths_load(&p, file, &why), 0);
	/* every RIB entry of the file (25,531, ../shared/data/README.md) has a path */
	assert_int_equal(p.nroutes, 25531);
	assert_int_equal(p.peers, 14);
	assert_int_equal(p.nas, 4724);
	/* AS30844 (the peer every IPv4 prefix is seen from) starts every IPv4 route */
	uint32_t i30844 = p.as_idx[p.off[0]];
	assert_int_equal(p.asn[i30844], 30844);
	sim_paths_free(&p);
}

static char *run_set(uint64_t seed, size_t *len)
{
	static const uint32_t r0[] = {1, 2, 3, 4}, r1[] = {1, 2, 5, 6}, r2[] = {1, 10, 11, 12},
			      r3[] = {1, 13, 14};
	const uint32_t *routes[] = {r0, r1, r2, r3};
	const unsigned rl[] = {4, 4, 4, 3};
	struct sim_paths p;
	assert_int_equal(sim_paths_from(&p, 4, routes, rl), 0);
	struct sim_scen set[128];
	unsigned n = sim_default_set(set, 128, 1);
	assert_true(n > 40);
	char *buf = NULL;
	FILE *o = open_memstream(&buf, len);
	assert_non_null(o);
	sim_csv_header(o);
	for (unsigned i = 0; i < n; i++) {
		set[i].runs = 50;
		assert_int_equal(sim_scen_run(&set[i], &p, seed, o), 0);
	}
	assert_int_equal(fclose(o), 0);
	sim_paths_free(&p);
	return buf;
}

static void test_seed_reproducible(void **state)
{
	(void)state;
	size_t la, lb, lc;
	char *a = run_set(42, &la), *b = run_set(42, &lb), *c = run_set(43, &lc);
	assert_true(la > 1000);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_true(la != lc || memcmp(a, c, la) != 0);
	free(a), free(b), free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate_closed_form),
	    cmocka_unit_test(test_wait_inverse),
	    cmocka_unit_test(test_odds_mean),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_windows),
	    cmocka_unit_test(test_ppm),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_rib_subset),
	    cmocka_unit_test(test_seed_reproducible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
