/*
 * ofd-sim: the traceback simulator (issue 19). Floods cross AS paths from a RIB; overflowd's
 * deployers pick flows with its odds; iTrace and PPM run on the same paths. See model.h.
 *
 *   ofd-sim [--mrt FILE] [--seed N] [--runs N] [--csv FILE] [--quick]       the default set
 *   ofd-sim --one [scenario options]                                        one scenario
 *   ofd-sim --calib --rate R --duration T --sampling N -r R [--raw]         one deployer's count
 *
 * Scenario options: --rate PPS --duration S --spoof none|random|reflect --deploy F
 * --place random|transit --sampling N|mix --active S --inactive S -r R --raw
 * --escalate MULT@S --flows N --pkt-bytes B --tracer-bytes B --methods udp,http
 * --amplification A (0: no budget) --name NAME
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "runner.h"
#include "stats.h"

#define DEFAULT_MRT "../shared/data/routeviews-jinx-rib-20140530-2200-subset.mrt"
#define SET_MAX	    256

static void usage(FILE *o)
{
	fputs(
	    "usage: ofd-sim [--mrt FILE] [--seed N] [--runs N] [--csv FILE] [--quick] [--list] [--top N]\n"
	    "       ofd-sim --one [--rate PPS] [--duration S] [--spoof none|random|reflect] [--deploy F]\n"
	    "               [--place random|transit] [--sampling N|mix] [--active S] [--inactive S] [-r R]\n"
	    "               [--raw] [--escalate MULT@S] [--flows N] [--pkt-bytes B] [--tracer-bytes B]\n"
	    "       ofd-sim --calib --rate PPS --duration S --sampling N -r R [--raw] [--runs N]\n",
	    o);
}

static int num_arg(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0) {
		fprintf(stderr, "ofd-sim: not a number: %s\n", s);
		return -1;
	}
	*out = v;
	return 0;
}

/* --calib: the tracers one deployer sampling 1:N emits for a spoofed flood of one-packet flows
 * (the count the calibration test holds overflowd's against): the closed form, the mean over the
 * runs with its 95 % CI, the standard deviation of one run's count and its quantiles */
static int calib(struct sim_scen *s, uint64_t seed)
{
	struct sim_hop hop = {s->N ? s->N : 1};
	size_t n = s->runs;
	double *c = malloc(n * sizeof(*c));
	if (!c)
		return 1;
	s->spoof = SIM_SPOOF_RANDOM;
	s->amplification = 0; /* overflowd -f --print: no sender, no budget, no buckets */
	s->addr_rate = 0;
	for (size_t i = 0; i < n; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, sim_run_seed(seed, (unsigned)i));
		struct sim_run r;
		sim_run_hops(s, &hop, 1, &g, &r);
		c[i] = r.tracers;
	}
	struct sim_ci m = sim_mean_ci(c, n, INFINITY);
	double expect = sim_rate_1pkt(s->R, hop.N, s->r, s->normalize) * s->T;
	double sd = (m.hi - m.lo) / (2 * 1.959963984540054) * sqrt((double)n);
	sim_median(c, n); /* sorts */
#define Q(q) c[(size_t)((q) * (n - 1) + 0.5)]
	printf("records %.0f expected %.4f mean %.4f ci %.4f %.4f sd %.4f q0005 %.0f q025 %.0f q975 %.0f "
	       "q9995 %.0f "
	       "runs %zu\n",
	       s->R * s->T / hop.N, expect, m.mean, m.lo, m.hi, sd, Q(0.0005), Q(0.025), Q(0.975), Q(0.9995),
	       n);
#undef Q
	free(c);
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		O_MRT = 256,
		O_SEED,
		O_RUNS,
		O_CSV,
		O_QUICK,
		O_LIST,
		O_ONE,
		O_CALIB,
		O_RATE,
		O_DUR,
		O_SPOOF,
		O_DEPLOY,
		O_PLACE,
		O_SAMP,
		O_ACTIVE,
		O_INACTIVE,
		O_RAW,
		O_ESC,
		O_FLOWS,
		O_PKTB,
		O_TRB,
		O_NAME,
		O_METHODS,
		O_AMP,
		O_TOP
	};
	static const struct option opts[] = {
	    {"mrt", 1, 0, O_MRT},	    {"seed", 1, 0, O_SEED},	  {"runs", 1, 0, O_RUNS},
	    {"csv", 1, 0, O_CSV},	    {"quick", 0, 0, O_QUICK},	  {"list", 0, 0, O_LIST},
	    {"one", 0, 0, O_ONE},	    {"calib", 0, 0, O_CALIB},	  {"rate", 1, 0, O_RATE},
	    {"duration", 1, 0, O_DUR},	    {"spoof", 1, 0, O_SPOOF},	  {"deploy", 1, 0, O_DEPLOY},
	    {"place", 1, 0, O_PLACE},	    {"sampling", 1, 0, O_SAMP},	  {"active", 1, 0, O_ACTIVE},
	    {"inactive", 1, 0, O_INACTIVE}, {"raw", 0, 0, O_RAW},	  {"escalate", 1, 0, O_ESC},
	    {"flows", 1, 0, O_FLOWS},	    {"pkt-bytes", 1, 0, O_PKTB},  {"tracer-bytes", 1, 0, O_TRB},
	    {"name", 1, 0, O_NAME},	    {"methods", 1, 0, O_METHODS}, {"amplification", 1, 0, O_AMP},
	    {"top", 1, 0, O_TOP},	    {"help", 0, 0, 'h'},	  {0, 0, 0, 0}};
	const char *mrt = getenv("OFD_DATA") ? NULL : DEFAULT_MRT, *csv = NULL;
	char mrtbuf[4096];
	if (!mrt) {
		snprintf(mrtbuf, sizeof(mrtbuf), "%s/routeviews-jinx-rib-20140530-2200-subset.mrt",
			 getenv("OFD_DATA"));
		mrt = mrtbuf;
	}
	uint64_t seed = 1;
	unsigned runs = 0;
	int quick = 0, list = 0, one = 0, cal = 0;
	unsigned top = 0;
	struct sim_scen sc;
	sim_scen_default(&sc);
	int o;
	double v;
	while ((o = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (o) {
		case O_MRT: mrt = optarg; break;
		case O_SEED: seed = strtoull(optarg, NULL, 0); break;
		case O_RUNS:
			if (num_arg(optarg, &v) || v < 1)
				return 2;
			runs = (unsigned)v;
			break;
		case O_CSV: csv = optarg; break;
		case O_QUICK: quick = 1; break;
		case O_LIST: list = 1; break;
		case O_ONE: one = 1; break;
		case O_CALIB: cal = 1; break;
		case O_RATE:
			if (num_arg(optarg, &sc.R))
				return 2;
			break;
		case O_DUR:
			if (num_arg(optarg, &sc.T))
				return 2;
			break;
		case O_SPOOF:
			if (!strcmp(optarg, "none"))
				sc.spoof = SIM_SPOOF_NONE;
			else if (!strcmp(optarg, "random"))
				sc.spoof = SIM_SPOOF_RANDOM;
			else if (!strcmp(optarg, "reflect"))
				sc.spoof = SIM_SPOOF_REFLECT;
			else
				return usage(stderr), 2;
			break;
		case O_DEPLOY:
			if (num_arg(optarg, &sc.f) || sc.f > 1)
				return 2;
			break;
		case O_PLACE:
			if (!strcmp(optarg, "random"))
				sc.place = SIM_PLACE_RANDOM;
			else if (!strcmp(optarg, "transit"))
				sc.place = SIM_PLACE_TRANSIT;
			else
				return usage(stderr), 2;
			break;
		case O_SAMP:
			if (!strcmp(optarg, "mix"))
				sc.N = 0;
			else if (num_arg(optarg, &v) || v < 1)
				return 2;
			else
				sc.N = (unsigned)v;
			break;
		case O_ACTIVE:
			if (num_arg(optarg, &sc.active) || !(sc.active > 0))
				return 2;
			break;
		case O_INACTIVE:
			if (num_arg(optarg, &sc.inactive))
				return 2;
			break;
		case 'r':
			if (num_arg(optarg, &sc.r))
				return 2;
			break;
		case O_RAW: sc.normalize = 0; break;
		case O_ESC:
			if (sscanf(optarg, "%lf@%lf", &sc.esc_mult, &sc.esc_after) != 2)
				return usage(stderr), 2;
			break;
		case O_FLOWS:
			if (num_arg(optarg, &v) || v < 1)
				return 2;
			sc.flows = (unsigned)v;
			break;
		case O_PKTB:
			if (num_arg(optarg, &sc.pkt_bytes) || !(sc.pkt_bytes > 0))
				return 2;
			break;
		case O_TRB:
			if (num_arg(optarg, &sc.tracer_bytes))
				return 2;
			break;
		case O_NAME: snprintf(sc.name, sizeof(sc.name), "%s", optarg); break;
		case O_METHODS:
			sc.methods = (strstr(optarg, "udp") ? 1 : 0) | (strstr(optarg, "http") ? 2 : 0);
			if (!sc.methods)
				return usage(stderr), 2;
			break;
		case O_TOP:
			if (num_arg(optarg, &v))
				return 2;
			top = (unsigned)v;
			break;
		case O_AMP:
			if (num_arg(optarg, &sc.amplification))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return usage(stderr), 2;
	if (runs)
		sc.runs = runs;
	if (cal)
		return calib(&sc, seed);

	static struct sim_scen set[SET_MAX];
	unsigned n;
	if (one) {
		set[0] = sc;
		n = 1;
	} else {
		n = sim_default_set(set, SET_MAX, quick);
		for (unsigned i = 0; runs && i < n; i++)
			set[i].runs = runs;
	}
	if (list) {
		for (unsigned i = 0; i < n; i++)
			printf("%s\t%s\truns %u\n", set[i].group, set[i].name, set[i].runs);
		return 0;
	}
	struct sim_paths p;
	const char *why = "";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sim_paths_load(&p, mrt, &why) < 0) {
		fprintf(stderr, "ofd-sim: %s: %s\n", mrt, why);
		sim_paths_free(&p);
		return 1;
	}
	if (top) {
		/* the transit ranking: AS, joined sample paths it is in the middle of, and the
		 * deployment fraction at which transit-first placement reaches it */
		for (uint32_t r = 0; r < top && r < p.nas; r++)
			for (uint32_t i = 0; i < p.nas; i++)
				if (p.rank[i] == r)
					printf("%u\tAS%u\t%llu\t%.4f\n", r + 1, p.asn[i],
					       (unsigned long long)p.transit[i], (r + 1.0) / p.nas);
		sim_paths_free(&p);
		return 0;
	}
	FILE *out = csv ? fopen(csv, "w") : stdout;
	if (!out) {
		fprintf(stderr, "ofd-sim: %s: %s\n", csv, strerror(errno));
		sim_paths_free(&p);
		return 1;
	}
	fprintf(stderr, "ofd-sim: %s: %u routes, %u ASes, %u peers; %u scenarios, seed %llu\n", mrt,
		p.nroutes, p.nas, p.peers, n, (unsigned long long)seed);
	sim_csv_header(out);
	int rc = 0;
	for (unsigned i = 0; i < n && !rc; i++)
		rc = sim_scen_run(&set[i], &p, seed, out) < 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (csv && fclose(out))
		rc = 1;
	fprintf(stderr, "ofd-sim: %.2f s\n",
		(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
	sim_paths_free(&p);
	return rc;
}
