/*
 * Tracer odds: min(1, rate * packets) at its edges, seeded sequences against an independent
 * computation of splitmix64 + xoshiro256**, binomial bounds over many seeded draws, and the
 * issue's check on netflow_4M.pcap (rate 1e-5: 28.3 expected, averaged over 20 seeds).
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

#include "decode/decode.h"
#include "gen_load.h"
#include "tracer/tracer.h"

static void test_p_edges(void **state)
{
	(void)state;
	assert_true(ofd_odds_p(1e-6, 0) == 0);
	assert_true(ofd_odds_p(0, 1000) == 0);
	assert_true(ofd_odds_p(-1e-3, 1000) == 0);
	assert_true(ofd_odds_p(NAN, 1000) == 0);
	assert_true(ofd_odds_p(INFINITY, 0) == 0);
	assert_true(ofd_odds_p(INFINITY, 1) == 1);
	assert_true(ofd_odds_p(1e-6, 1000000) == 1);
	assert_true(ofd_odds_p(1e-6, 2000000) == 1);
	assert_true(ofd_odds_p(1e-6, UINT64_MAX) == 1);
	assert_true(ofd_odds_p(1, 1) == 1);
	assert_true(fabs(ofd_odds_p(1e-5, 1000) - 0.01) < 1e-15);
	assert_true(fabs(ofd_odds_p(1e-6, 999999) - 0.999999) < 1e-12);
	assert_true(fabs(ofd_odds_p(0.25, 3) - 0.75) < 1e-15);
}

static void test_pick_edges(void **state)
{
	(void)state;
	struct ofd_odds o, before;
	ofd_odds_init(&o, 1, 7);
	before = o;
	/* certain outcomes draw nothing */
	assert_int_equal(ofd_odds_pick(&o, 0), 0);
	assert_int_equal(ofd_odds_pick(&o, -0.5), 0);
	assert_int_equal(ofd_odds_pick(&o, NAN), 0);
	assert_int_equal(ofd_odds_pick(&o, 1), 1);
	assert_int_equal(ofd_odds_pick(&o, 2.5), 1);
	assert_memory_equal(o.s, before.s, sizeof(o.s));
	/* anything strictly between draws one word */
	(void)ofd_odds_pick(&o, 0.5);
	assert_memory_not_equal(o.s, before.s, sizeof(o.s));
	/* the smallest positive probability never picks on these seeds' first 100000 draws */
	int any = 0;
	for (int i = 0; i < 100000; i++)
		any |= ofd_odds_pick(&o, 1e-300);
	assert_int_equal(any, 0);
}

/* Expected values computed independently (Python) from the published algorithms. */
static void test_seeded_vectors(void **state)
{
	(void)state;
	struct ofd_odds o;
	ofd_odds_init(&o, 1, 0);
	assert_true(o.seeded);
	assert_true(o.s[0] == 0xe220a8397b1dcdafull); /* splitmix64(0), the well-known first value */
	assert_true(o.s[1] == 0x6e789e6aa1b965f4ull);
	assert_true(o.s[2] == 0x06c45d188009454full);
	assert_true(o.s[3] == 0xf88bb8a8724c81ecull);
	assert_true(ofd_odds_u64(&o) == 0x99ec5f36cb75f2b4ull);
	assert_true(ofd_odds_u64(&o) == 0xbf6e1f784956452aull);
	assert_true(ofd_odds_uniform(&o) == 0.10301998939503632);

	ofd_odds_init(&o, 1, 42);
	assert_true(ofd_odds_uniform(&o) == 0.08386297105988216);
	assert_true(ofd_odds_uniform(&o) == 0.3789802506626686);
	assert_true(ofd_odds_uniform(&o) == 0.6800434110281394);
}

static void test_seeded_reproducible(void **state)
{
	(void)state;
	struct ofd_odds a, b, c;
	ofd_odds_init(&a, 1, 12345);
	ofd_odds_init(&b, 1, 12345);
	ofd_odds_init(&c, 1, 12346);
	int differ = 0;
	for (int i = 0; i < 10000; i++) {
		double x = ofd_odds_uniform(&a);
		assert_true(x >= 0 && x < 1);
		assert_true(x == ofd_odds_uniform(&b));
		differ += x != ofd_odds_uniform(&c);
	}
	assert_true(differ > 9990);
}

static void test_csprng(void **state)
{
	(void)state;
	struct ofd_odds o;
	ofd_odds_init(&o, 0, 12345); /* the seed is ignored */
	assert_false(o.seeded);
	/* several pool refills; values in range, all distinct, mean near 1/2 */
	double sum = 0, prev = -1;
	int repeats = 0;
	for (int i = 0; i < 64 * 40; i++) {
		double x = ofd_odds_uniform(&o);
		assert_true(x >= 0 && x < 1);
		repeats += x == prev;
		prev = x;
		sum += x;
	}
	assert_int_equal(repeats, 0);
	double mean = sum / (64 * 40); /* sd of the mean: 0.289 / sqrt(2560) = 0.0057 */
	assert_true(fabs(mean - 0.5) < 5 * 0.0057);
	/* two unseeded instances do not repeat each other */
	struct ofd_odds p;
	ofd_odds_init(&p, 0, 12345);
	assert_true(ofd_odds_u64(&o) != ofd_odds_u64(&p));

	/* fast key erasure: each refill gives 60 words and wipes the 4 that became the next key */
	ofd_odds_init(&o, 0, 0);
	(void)ofd_odds_u64(&o);
	assert_int_equal(o.refills, 1);
	assert_int_equal(o.pool_left, 59);
	for (int i = 60; i < 64; i++)
		assert_true(o.pool[i] == 0);
	assert_true(o.pool[59] == 0); /* a word handed out is wiped too */
	/* past the rekeying from the OS (every 4096 refills): still uniform, p = 0.3 binomial */
	unsigned k = 0, n = 60 * 4096 * 2;
	for (unsigned i = 0; i < n; i++)
		k += (unsigned)ofd_odds_pick(&o, 0.3);
	assert_true(o.refills > 8192);
	double sd = sqrt(n * 0.3 * 0.7);
	assert_true(fabs(k - n * 0.3) < 5 * sd);
}

/* Count picks over n seeded draws with p = ofd_odds_p(rate, packets); within 5 sigma of n*p. */
static void binomial_check(uint64_t seed, double rate, uint64_t packets, double want_p)
{
	const unsigned n = 200000;
	struct ofd_odds o;
	ofd_odds_init(&o, 1, seed);
	double p = ofd_odds_p(rate, packets);
	assert_true(fabs(p - want_p) < 1e-12);
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		k += (unsigned)ofd_odds_pick(&o, p);
	double mean = n * p, sd = sqrt(n * p * (1 - p));
	if (fabs(k - mean) > 5 * sd + 1e-9) {
		fprintf(stderr, "rate %g packets %llu: %u picks, expected %.1f +- %.1f\n", rate,
			(unsigned long long)packets, k, mean, sd);
		fail();
	}
}

static void test_binomial(void **state)
{
	(void)state;
	binomial_check(1, 1e-6, 1000, 0.001);
	binomial_check(2, 1e-6, 50000, 0.05);
	binomial_check(3, 1e-4, 3000, 0.3);
	binomial_check(4, 1e-5, 50000, 0.5);
	binomial_check(5, 1e-3, 900, 0.9);
	binomial_check(6, 1e-5, 99999, 0.99999);
	binomial_check(7, 0.5, 1, 0.5);
}

/* Pearson chi-square of 1,000,000 uniforms over 100 bins: 99 degrees of freedom. */
static void test_chi_square(void **state)
{
	(void)state;
	unsigned bins[100] = {0};
	struct ofd_odds o;
	ofd_odds_init(&o, 1, 2016);
	const unsigned n = 1000000;
	for (unsigned i = 0; i < n; i++)
		bins[(unsigned)(ofd_odds_uniform(&o) * 100)]++;
	double chi = 0, e = n / 100.0;
	for (int i = 0; i < 100; i++)
		chi += (bins[i] - e) * (bins[i] - e) / e;
	/* mean 99, sd sqrt(2 * 99) = 14.1: within 5 sd */
	assert_true(chi > 99 - 5 * 14.1 && chi < 99 + 5 * 14.1);
}

struct packets {
	uint64_t *v;
	size_t n, cap;
};

static void collect(struct ofd_batch *b, void *ctx)
{
	struct packets *p = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 4096;
			p->v = realloc(p->v, p->cap * sizeof(*p->v));
			assert_non_null(p->v);
		}
		p->v[p->n++] = b->flows[i].packets;
	}
}

/* The check: -r 1e-5 on netflow_4M.pcap over 20 seeds. */
static void test_netflow_4m(void **state)
{
	(void)state;
	char path[1024];
	const char *dir = getenv("OFD_DATA");
	snprintf(path, sizeof(path), "%s/netflow_4M.pcap", dir ? dir : "../shared/data");
	struct gen_dgrams s;
	assert_int_equal(gen_load(path, &s), 0);
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	struct packets pk = {0};
	ofd_batch_init(b, collect, &pk);
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(d, &s.dg[i], b);
	ofd_batch_flush(b);
	assert_int_equal(pk.n, 78684);

	const double rate = 1e-5;
	double expect = 0, var = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < pk.n; i++) {
		double p = ofd_odds_p(rate, pk.v[i]);
		expect += p;
		var += p * (1 - p);
		total += pk.v[i];
	}
	assert_int_equal(total, 2862857);
	assert_true(expect > 28.2 && expect < 28.4);

	const unsigned seeds = 20;
	uint64_t picked = 0;
	for (unsigned seed = 1; seed <= seeds; seed++) {
		struct ofd_odds o;
		ofd_odds_init(&o, 1, seed);
		for (size_t i = 0; i < pk.n; i++)
			picked += (unsigned)ofd_odds_pick(&o, ofd_odds_p(rate, pk.v[i]));
	}
	double avg = (double)picked / seeds, sd = sqrt(var / seeds);
	printf("netflow_4M.pcap, rate 1e-5: expected %.2f (sd of a 20-seed average %.2f), got %.2f\n", expect,
	       sd, avg);
	assert_true(fabs(avg - expect) <= 5 * sd);

	free(pk.v);
	free(b);
	ofd_decoder_free(d);
	gen_load_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_p_edges),	   cmocka_unit_test(test_pick_edges),
	    cmocka_unit_test(test_seeded_vectors), cmocka_unit_test(test_seeded_reproducible),
	    cmocka_unit_test(test_csprng),	   cmocka_unit_test(test_binomial),
	    cmocka_unit_test(test_chi_square),	   cmocka_unit_test(test_netflow_4m),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
