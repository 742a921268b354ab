/*
 * Running scenarios: many seeded runs of one scenario summarised into one CSV row, and the
 * default scenario set (the sweeps docs/traceback.md plots). Run i of every scenario starts
 * from the seed sim_run_seed(seed, i), so scenarios that differ in one parameter see the same
 * paths and deployment draws.
 */
#ifndef OFD_SIM_RUNNER_H
#define OFD_SIM_RUNNER_H

#include <stdio.h>

#include "model.h"

uint64_t sim_run_seed(uint64_t seed, unsigned run);

void sim_csv_header(FILE *out);
/* Run s->runs runs on paths p and write the CSV row; returns 0 or -ENOMEM. */
int sim_scen_run(const struct sim_scen *s, const struct sim_paths *p, uint64_t seed, FILE *csv);

/* The default set into out[0..cap); returns how many (quick: fewer runs per scenario). */
unsigned sim_default_set(struct sim_scen *out, unsigned cap, int quick);

/* r at which overflowd's bytes per flood byte equal iTrace's at one deployer (normalized,
 * unsaturated, within the budget: r x pick bytes = itrace_p x itrace_bytes) */
double sim_equal_overhead_rate(const struct sim_scen *s);

#endif
