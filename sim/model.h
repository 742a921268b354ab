/*
 * The traceback model: a flood crosses an AS path; the ASes on it that run overflowd (the
 * deployers) see it through their exporters' sampling 1:N and flow caches, and pick flow records
 * with overflowd's odds min(1, rate x packets x (N if normalized)); each pick is a tracer to both
 * ends of the flow, delayed by the export (flow cache timeout) and the delivery.
 *
 * Events are flows, never packets, and every draw is a closed form of the same distribution:
 *  - one-packet flows (random spoofed sources): at a deployer, the picks are a thinned Poisson
 *    process of rate R/N x min(1, r x (N | 1)); its first pick is exponential (with escalation,
 *    piecewise: rate x mult after esc_after), its count in the flood Poisson; the record leaves
 *    the cache after the inactive timeout;
 *  - F long flows (no spoofing, or one spoofed source address for reflection): each flow is cut
 *    into records every active timeout A; a record holds k ~ Poisson(R A / (F N)) sampled
 *    packets and is picked with probability E[min(1, c k)] (sim_odds_mean), so the first window
 *    with a pick among the F flows is geometric and the count per window binomial.
 * The emitter's amplification budget caps the picks an exporter's records pay for: credit of
 * amplification x record_bytes per record, a pick costs sim_pick_bytes (its deliveries to both
 * ends, as tracer/emit.c counts them); the exporter starts the flood with burst_bytes saved up
 * (background traffic), so the first picks are never held back, the count is capped.
 * The sender's per-address bucket (addr_rate/s, addr_burst) caps what each deployer sends the
 * victim; the overhead counts every pick's deliveries (an upper bound: a delivery refused by a
 * bucket costs nothing).
 * Baselines on the same path and deployers: iTrace (each deployer sends 1 in 20,000 packets to
 * the destination only) and PPM edge sampling (every AS on the path marks with p = 0.04).
 */
#ifndef OFD_SIM_MODEL_H
#define OFD_SIM_MODEL_H

#include <stdint.h>

#include "paths.h"
#include "rng.h"

enum sim_spoof { SIM_SPOOF_NONE, SIM_SPOOF_RANDOM, SIM_SPOOF_REFLECT };
enum sim_place { SIM_PLACE_RANDOM, SIM_PLACE_TRANSIT };

#define SIM_KMAX 4 /* distinct on-path ASes tracked: times to 1..SIM_KMAX */

struct sim_scen {
	char name[64];
	char group[32]; /* the sweep it belongs to (plots) */
	double x;	/* the swept value */
	double R;	/* flood packets/s */
	double T;	/* flood duration, s */
	enum sim_spoof spoof;
	double f; /* deployment fraction */
	enum sim_place place;
	unsigned N;	      /* sampling 1:N at every deployer; 0: drawn per deployer from sim_sampling */
	double active;	      /* active timeout, s */
	double inactive;      /* inactive timeout, s */
	double r;	      /* overflowd's rate */
	int normalize;	      /* packets scaled by the sampling rate */
	double esc_mult;      /* escalation: rate x esc_mult once the flood has lasted esc_after */
	double esc_after;     /* s; esc_mult <= 1: none */
	unsigned flows;	      /* concurrent flows of a long-flow flood (none, reflect) */
	double pkt_bytes;     /* flood packet size */
	double tracer_bytes;  /* one tracer's JSON line */
	unsigned methods;     /* deliveries to each end: 1 UDP, 2 HTTP, 3 both (overflowd's default) */
	double amplification; /* the emitter's budget: tracer bytes per export byte, per exporter */
	double record_bytes;  /* export bytes per record (NetFlow v5: (24 + 30 x 48) / 30) */
	double addr_rate;     /* the sender's bucket per address: tracers/s (0: none) */
	double addr_burst;    /* ... and its burst */
	double burst_bytes;   /* credit an exporter starts the flood with (the budget's cap) */
	double itrace_bytes;  /* one iTrace message (IP + ICMP + payload) */
	double itrace_p;      /* iTrace odds per packet */
	double ppm_p;	      /* PPM marking probability */
	double delay_min;     /* delivery delay, uniform in [min, max] s */
	double delay_max;
	unsigned confident_k; /* the spoofed owner is confident with tracers from this many ASes */
	unsigned runs;
};

/* The exporters' sampling distribution when N = 0: values and weights. */
extern const unsigned sim_sampling[4];
extern const double sim_sampling_w[4];

void sim_scen_default(struct sim_scen *s);

/* One deployer on the path: its sampling. A path position that does not deploy has N = 0. */
struct sim_hop {
	unsigned N;
};

/* The outcome of one run. Times are s from the flood's start, INFINITY when never. */
struct sim_run {
	unsigned hops;		/* ASes before the victim's (the attacker's included) */
	unsigned deployers;	/* of them */
	double t_k[SIM_KMAX];	/* victim holds tracers from k+1 distinct ASes */
	double frac_path;	/* of the hops, the share the victim heard from within T */
	double owner_first;	/* owner of the spoofed source: first tracer (reflect only, else NAN) */
	double owner_confident; /* ... from confident_k distinct ASes */
	double tracers;		/* tracers at the victim within T (after the per-address buckets) */
	double picks;		/* tracers signed in T (after the budget): overhead counts their deliveries */
	double budget_cut;	/* picks the amplification budget held back */
	double overhead;	/* tracer bytes (both ends) per flood byte */
	double it_k[SIM_KMAX];	/* iTrace: victim holds messages from k+1 distinct deployers */
	double it_frac_path;	/* iTrace: share of the hops heard from within T */
	double it_overhead;	/* iTrace bytes per flood byte */
	double ppm_packets;	/* PPM: packets until every edge is collected (all ASes mark) */
	double ppm_exact;	/* its exact expectation (sim_ppm_expected; NAN beyond 20 hops) */
	double ppm_bound;	/* ln(d) / (p (1 - p)^(d - 1)) */
	double ppm_time;	/* PPM: time at rate R */
};

/* Bytes one pick costs: its deliveries to both ends (tracer/emit.h's overheads). */
double sim_pick_bytes(const struct sim_scen *s);

/* Odds of one record with k ~ Poisson(m) packets: E[min(1, c k)]. */
double sim_odds_mean(double c, double m);
/* Pick rate (per s) at one deployer sampling 1:N for one-packet flows at R packets/s. */
double sim_rate_1pkt(double R, unsigned N, double r, int normalize);
/* First event of a Poisson process of rate lam, lam * mult from t_e on. */
double sim_first_piecewise(struct sim_rng *g, double lam, double mult, double t_e);
/* PPM edge sampling on a path of d marking routers: packets until all d edges are held. */
double sim_ppm_packets(struct sim_rng *g, unsigned d, double p);
/* The exact expectation of that (inclusion-exclusion over the 2^d subsets; d <= 20). */
double sim_ppm_expected(unsigned d, double p);

/* One run on a given path (hops[0] the attacker's AS, hops[n-1] the AS before the victim's). */
void sim_run_hops(const struct sim_scen *s, const struct sim_hop *hops, unsigned n, struct sim_rng *g,
		  struct sim_run *out);
/* One run: a random path from p, deployers drawn by s->place. */
void sim_run_one(const struct sim_scen *s, const struct sim_paths *p, struct sim_rng *g, struct sim_run *out);

#endif
