/*
 * The simulator's own PRNG (never libc's): xoshiro256** seeded through splitmix64, as
 * tracer/odds.c does for --seed, and the draws the model needs. Every draw is a function of the
 * state only, so a seed gives the same numbers on every platform with IEEE doubles and libm.
 */
#ifndef OFD_SIM_RNG_H
#define OFD_SIM_RNG_H

#include <math.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

static inline uint64_t sim_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline void sim_rng_seed(struct sim_rng *g, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		g->s[i] = sim_splitmix64(&seed);
	if (!(g->s[0] | g->s[1] | g->s[2] | g->s[3]))
		g->s[0] = 1;
}

static inline uint64_t sim_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_next(struct sim_rng *g)
{
	uint64_t *s = g->s;
	uint64_t r = sim_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rotl(s[3], 45);
	return r;
}

/* uniform in [0, 1) with 53 bits */
static inline double sim_u01(struct sim_rng *g)
{
	return (double)(sim_next(g) >> 11) * 0x1.0p-53;
}

/* uniform in (0, 1]: safe under log() */
static inline double sim_u01_open(struct sim_rng *g)
{
	return 1.0 - sim_u01(g);
}

/* uniform integer in [0, n), n > 0 (Lemire's multiply, bias below 2^-32 for n < 2^32) */
static inline uint32_t sim_below(struct sim_rng *g, uint32_t n)
{
	return (uint32_t)(((sim_next(g) >> 32) * (uint64_t)n) >> 32);
}

/* exponential with rate lam > 0 */
static inline double sim_exp(struct sim_rng *g, double lam)
{
	return -log(sim_u01_open(g)) / lam;
}

/* failures before the first success of Bernoulli(q) trials: 0 when q >= 1, INFINITY when q <= 0 */
static inline double sim_geometric(struct sim_rng *g, double q)
{
	if (!(q > 0))
		return INFINITY;
	if (q >= 1)
		return 0;
	return floor(log(sim_u01_open(g)) / log1p(-q));
}

/* standard normal (Box-Muller, one of the pair) */
static inline double sim_normal(struct sim_rng *g)
{
	double u = sim_u01_open(g), v = sim_u01(g);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Poisson(m): exact (Knuth's product) below 30, else the normal approximation rounded */
static inline double sim_poisson(struct sim_rng *g, double m)
{
	if (!(m > 0))
		return 0;
	if (m < 30) {
		double l = exp(-m), p = 1;
		double k = -1;
		do {
			k++;
			p *= sim_u01(g);
		} while (p > l);
		return k;
	}
	double x = floor(m + sqrt(m) * sim_normal(g) + 0.5);
	return x < 0 ? 0 : x;
}

#endif
