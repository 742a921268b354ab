#include "stats.h"

#include <math.h>
#include <stdlib.h>

#define Z95 1.959963984540054

struct sim_ci sim_mean_ci(const double *v, size_t n, double cap)
{
	struct sim_ci c = {NAN, NAN, NAN, 0};
	double sum = 0, sq = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] <= cap)
			c.n++, sum += v[i];
	if (!c.n)
		return c;
	c.mean = sum / c.n;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] <= cap)
			sq += (v[i] - c.mean) * (v[i] - c.mean);
	double se = c.n > 1 ? sqrt(sq / (c.n - 1) / c.n) : 0;
	c.lo = c.mean - Z95 * se;
	c.hi = c.mean + Z95 * se;
	return c;
}

struct sim_ci sim_share_ci(const double *v, size_t n, double cap)
{
	struct sim_ci c = {NAN, NAN, NAN, 0};
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			c.n++, k += v[i] <= cap;
	if (!c.n)
		return c;
	double p = (double)k / c.n, z2 = Z95 * Z95, nn = (double)c.n;
	double mid = (p + z2 / (2 * nn)) / (1 + z2 / nn);
	double half = Z95 * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
	c.mean = p;
	c.lo = mid - half < 0 ? 0 : mid - half;
	c.hi = mid + half > 1 ? 1 : mid + half;
	return c;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double sim_median(double *v, size_t n)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[m++] = v[i];
	if (!m)
		return NAN;
	qsort(v, m, sizeof(*v), cmp);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}
