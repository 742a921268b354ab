/*
 * Summaries over the runs of a scenario: means with 95 % confidence intervals (normal, 1.96
 * standard errors: every scenario has hundreds of runs), proportions with Wilson intervals,
 * medians.
 */
#ifndef OFD_SIM_STATS_H
#define OFD_SIM_STATS_H

#include <stddef.h>

struct sim_ci {
	double mean, lo, hi;
	size_t n; /* values it is over */
};

/* mean and CI of the values of v[0..n) that are finite and <= cap (cap INFINITY: all finite) */
struct sim_ci sim_mean_ci(const double *v, size_t n, double cap);
/* share of v[0..n) that is <= cap, with its Wilson interval (NaN values left out) */
struct sim_ci sim_share_ci(const double *v, size_t n, double cap);
/* median of the non-NaN values (INFINITY counts as the largest); sorts v */
double sim_median(double *v, size_t n);

#endif
