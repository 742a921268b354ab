#include "model.h"

#include "tracer/tracer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const unsigned sim_sampling[4] = {1, 1000, 4096, 10000};
const double sim_sampling_w[4] = {0.25, 0.25, 0.25, 0.25};

void sim_scen_default(struct sim_scen *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "default");
	snprintf(s->group, sizeof(s->group), "default");
	s->R = 1e5;
	s->T = 600;
	s->spoof = SIM_SPOOF_RANDOM;
	s->f = 0.1;
	s->place = SIM_PLACE_RANDOM;
	s->N = 0;
	s->active = 60;
	s->inactive = 15;
	s->r = 1e-6;
	s->normalize = 1;
	s->esc_mult = 1;
	s->esc_after = 0;
	s->flows = 1000;
	s->pkt_bytes = 64;
	/* our encoder's printed tracer of a sampled IPv4 flow record (exporter and sampling_rate
	 * included): 1,114 bytes on average over the calibration capture (sim/tests/calib.sh); the
	 * 2016 prototype's samples are 1,016-1,035 */
	s->tracer_bytes = 1114;
	s->methods = 3;
	s->amplification = 0.5; /* OFD_EMIT_AMPLIFICATION */
	s->record_bytes = 48.8;
	s->burst_bytes = 65536;
	s->addr_rate = 1;  /* the tracer segment's addr_rate and addr_burst */
	s->addr_burst = 5; /* OFD_EMIT_BURST_MIN */
	/* iTrace (draft-ietf-itrace-01): ICMP type 6 with back/forward link, timestamp, the
	 * traced packet's first bytes and an HMAC: 128 bytes with IP and ICMP headers, a guess
	 * that favours it */
	s->itrace_bytes = 128;
	s->itrace_p = 1.0 / 20000;
	s->ppm_p = 0.04;
	s->delay_min = 0.02;
	s->delay_max = 0.2;
	s->confident_k = 2;
	s->runs = 10000;
}

static double odds_mean(double c, double m);

/* the sum below costs up to ~25 sqrt(m) terms: the last few (c, m) are remembered (one thread) */
double sim_odds_mean(double c, double m)
{
	static struct {
		double c, m, v;
	} memo[16];
	static unsigned next;
	for (unsigned i = 0; i < 16; i++)
		if (memo[i].c == c && memo[i].m == m && memo[i].c > 0)
			return memo[i].v;
	double v = odds_mean(c, m);
	memo[next].c = c, memo[next].m = m, memo[next].v = v;
	next = (next + 1) % 16;
	return v;
}

static double odds_mean(double c, double m)
{
	if (!(c > 0) || !(m > 0))
		return 0;
	double sd = sqrt(m);
	double lo = floor(m - 12 * sd - 5), hi = ceil(m + 12 * sd + 20);
	if (lo < 0)
		lo = 0;
	if (lo >= 1 && c * lo >= 1)
		return 1; /* every likely record is picked for sure */
	if (c * hi <= 1)
		return c * m; /* min() never binds: exactly c E[k] */
	double sum = 0;
	for (double k = lo; k <= hi; k++) {
		double pk = exp(k * log(m) - m - lgamma(k + 1));
		sum += pk * (c * k < 1 ? c * k : 1);
	}
	return sum > 1 ? 1 : sum;
}

double sim_pick_bytes(const struct sim_scen *s)
{
	double udp = s->methods & 1 ? s->tracer_bytes + 48 : 0;	  /* OFD_EMIT_UDP_OVERHEAD */
	double http = s->methods & 2 ? s->tracer_bytes + 512 : 0; /* OFD_EMIT_HTTP_OVERHEAD */
	return 2 * (udp + http);
}

/* the picks the budget lets through in T: the burst, then the credit records/s earn */
static double budget_cap(const struct sim_scen *s, double records_per_s)
{
	double pick = sim_pick_bytes(s);
	if (!(pick > 0) || !(s->amplification > 0))
		return INFINITY;
	return floor(s->burst_bytes / pick) +
	       records_per_s * s->T * s->amplification * s->record_bytes / pick;
}

double sim_rate_1pkt(double R, unsigned N, double r, int normalize)
{
	if (!N)
		return 0;
	/* a sampled packet is a one-packet record; overflowd's own odds (tracer/odds.c) of it,
	 * with the packets scaled by N as tracer/emit.c does when normalizing */
	return R / N * ofd_odds_p(r, normalize ? N : 1);
}

double sim_first_piecewise(struct sim_rng *g, double lam, double mult, double t_e)
{
	double u = -log(sim_u01_open(g)); /* Exp(1): the cumulative hazard at the first event */
	if (!(mult > 1) || !(t_e < INFINITY) || u < lam * t_e)
		return lam > 0 ? u / lam : INFINITY;
	return t_e + (u - lam * t_e) / (lam * mult);
}

double sim_ppm_packets(struct sim_rng *g, unsigned d, double p)
{
	if (!d)
		return 0;
	/* the mark a packet arrives with is the last router's that marked: i routers after it
	 * (0..d-1, i.e. the edge i hops from the victim) with probability p (1 - p)^i */
	uint64_t seen[(SIM_PATH_MAX * 2 + 63) / 64] = {0};
	unsigned have = 0;
	double n = 0;
	while (have < d) {
		n++;
		double i = sim_geometric(g, p);
		if (i < d) {
			unsigned e = (unsigned)i;
			if (!(seen[e / 64] >> (e % 64) & 1)) {
				seen[e / 64] |= UINT64_C(1) << (e % 64);
				have++;
			}
		}
	}
	return n;
}

double sim_ppm_expected(unsigned d, double p)
{
	if (!d || d > 20)
		return NAN;
	double q[20];
	for (unsigned i = 0; i < d; i++)
		q[i] = p * pow(1 - p, i);
	double e = 0;
	for (uint32_t s = 1; s < (UINT32_C(1) << d); s++) {
		double qs = 0;
		for (unsigned i = 0; i < d; i++)
			if (s >> i & 1)
				qs += q[i];
		e += (__builtin_popcount(s) & 1 ? 1 : -1) / qs;
	}
	return e;
}

static double uniform(struct sim_rng *g, double a, double b)
{
	return a + (b - a) * sim_u01(g);
}

/* a count of mean m and variance v: Poisson when v ~ m and m small, else normal, rounded */
static double draw_count(struct sim_rng *g, double m, double v)
{
	if (!(m > 0))
		return 0;
	if (m < 30 && v > 0.9 * m)
		return sim_poisson(g, m);
	double x = floor(m + sqrt(v) * sim_normal(g) + 0.5);
	return x < 0 ? 0 : x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* kth (0-based) smallest of t[0..n) into out[0..SIM_KMAX), INFINITY beyond n */
static void order_stats(double *t, unsigned n, double *out)
{
	qsort(t, n, sizeof(*t), cmp_double);
	for (unsigned k = 0; k < SIM_KMAX; k++)
		out[k] = k < n ? t[k] : INFINITY;
}

/* one deployer under a long-flow flood: (first pick time, tracers within T) */
static void deployer_windows(const struct sim_scen *s, unsigned N, struct sim_rng *g, double *first,
			     double *count, double *cut)
{
	double A = s->active, F = s->flows ? s->flows : 1;
	double m = s->R * A / (F * N);
	double c = s->r * (s->normalize ? N : 1);
	double p1 = sim_odds_mean(c, m);
	int esc = s->esc_mult > 1;
	double p2 = esc ? sim_odds_mean(c * s->esc_mult, m) : p1;
	double q1 = -expm1(F * log1p(-(p1 < 1 ? p1 : 1 - 1e-16)));
	double q2 = -expm1(F * log1p(-(p2 < 1 ? p2 : 1 - 1e-16)));
	if (p1 >= 1)
		q1 = 1;
	if (p2 >= 1)
		q2 = 1;
	/* the record of window j leaves the cache at (j + 1) A and meets the odds then */
	double n1 = esc ? ceil(s->esc_after / A - 1e-9) - 1 : INFINITY;
	if (n1 < 0)
		n1 = 0;
	double j = sim_geometric(g, q1);
	if (j >= n1)
		j = n1 + sim_geometric(g, q2);
	*first = j < INFINITY ? (j + 1) * A + uniform(g, s->delay_min, s->delay_max) : INFINITY;
	double nw = floor(s->T / A + 1e-9);
	double w1 = nw < n1 ? nw : n1, w2 = nw - w1;
	*count = draw_count(g, F * (p1 * w1 + p2 * w2), F * (p1 * (1 - p1) * w1 + p2 * (1 - p2) * w2));
	/* a flow has a record in a window when one of its packets was sampled */
	double cap = budget_cap(s, F / A * -expm1(-m));
	*cut = *count > cap ? *count - floor(cap) : 0;
	*count -= *cut;
}

/* one deployer under one-packet flows: (first pick time, tracers within T) */
static void deployer_1pkt(const struct sim_scen *s, unsigned N, struct sim_rng *g, double *first,
			  double *count, double *cut)
{
	double lam = sim_rate_1pkt(s->R, N, s->r, s->normalize);
	double lam2 = sim_rate_1pkt(s->R, N, s->r * (s->esc_mult > 1 ? s->esc_mult : 1), s->normalize);
	double mult = lam > 0 ? lam2 / lam : 1;
	double t_e = s->esc_mult > 1 ? s->esc_after : INFINITY;
	double t = sim_first_piecewise(g, lam, mult, t_e);
	*first = t < INFINITY ? t + s->inactive + uniform(g, s->delay_min, s->delay_max) : INFINITY;
	double before = s->T < t_e ? s->T : t_e;
	double m = lam * before + lam2 * (s->T - before);
	*count = draw_count(g, m, m);
	double cap = budget_cap(s, s->R / N);
	*cut = *count > cap ? *count - floor(cap) : 0;
	*count -= *cut;
}

void sim_run_hops(const struct sim_scen *s, const struct sim_hop *hops, unsigned n, struct sim_rng *g,
		  struct sim_run *out)
{
	double t[2 * SIM_PATH_MAX], it[2 * SIM_PATH_MAX];
	unsigned nd = 0;
	double count = 0, picks = 0, it_count = 0;
	unsigned heard = 0, it_heard = 0;
	memset(out, 0, sizeof(*out));
	out->hops = n;
	for (unsigned i = 0; i < n; i++) {
		unsigned N = hops[i].N;
		if (!N)
			continue;
		double first, c, cut;
		if (s->spoof == SIM_SPOOF_RANDOM)
			deployer_1pkt(s, N, g, &first, &c, &cut);
		else
			deployer_windows(s, N, g, &first, &c, &cut);
		out->budget_cut += cut;
		/* iTrace at the same deployer: its routers see every packet */
		double lam_it = s->R * s->itrace_p;
		double itf = sim_exp(g, lam_it) + uniform(g, s->delay_min, s->delay_max);
		it_count += sim_poisson(g, lam_it * s->T);
		t[nd] = first;
		it[nd] = itf;
		heard += first <= s->T;
		it_heard += itf <= s->T;
		picks += c;
		/* the sender's per-address bucket: what one deployer sends the victim in T */
		double addr_cap = s->addr_rate > 0 ? s->addr_burst + s->addr_rate * s->T : INFINITY;
		count += c < addr_cap ? c : floor(addr_cap);
		nd++;
	}
	out->deployers = nd;
	order_stats(t, nd, out->t_k);
	order_stats(it, nd, out->it_k);
	out->frac_path = n ? (double)heard / n : 0;
	out->it_frac_path = n ? (double)it_heard / n : 0;
	out->tracers = count;
	double flood = s->R * s->T * s->pkt_bytes;
	out->picks = picks;
	out->overhead = picks * sim_pick_bytes(s) / flood;
	out->it_overhead = it_count * s->itrace_bytes / flood;
	if (s->spoof == SIM_SPOOF_REFLECT) {
		/* the owner of the spoofed source is the flows' other end: it gets every tracer */
		out->owner_first = out->t_k[0];
		unsigned k = s->confident_k ? s->confident_k : 1;
		out->owner_confident = k <= SIM_KMAX ? out->t_k[k - 1] : NAN;
	} else {
		out->owner_first = out->owner_confident = NAN;
	}
	/* PPM: every AS on the path marks (its classic full deployment) */
	out->ppm_packets = sim_ppm_packets(g, n, s->ppm_p);
	out->ppm_exact = sim_ppm_expected(n, s->ppm_p);
	out->ppm_bound = n >= 2 ? log(n) / (s->ppm_p * pow(1 - s->ppm_p, n - 1)) : 1 / s->ppm_p;
	out->ppm_time = out->ppm_packets / s->R;
}

void sim_run_one(const struct sim_scen *s, const struct sim_paths *p, struct sim_rng *g, struct sim_run *out)
{
	uint32_t path[2 * SIM_PATH_MAX];
	struct sim_hop hops[2 * SIM_PATH_MAX];
	unsigned n = sim_paths_pick(p, g, path);
	if (n < 2) {
		memset(out, 0, sizeof(*out));
		return;
	}
	n--; /* the victim's own AS tells it nothing about the path */
	double top = ceil(s->f * p->nas);
	for (unsigned i = 0; i < n; i++) {
		int dep = s->place == SIM_PLACE_TRANSIT ? p->rank[path[i]] < top : sim_u01(g) < s->f;
		unsigned N = s->N;
		if (!N) {
			double u = sim_u01(g), acc = 0;
			N = sim_sampling[3];
			for (int j = 0; j < 4; j++)
				if (u < (acc += sim_sampling_w[j])) {
					N = sim_sampling[j];
					break;
				}
		}
		hops[i].N = dep ? N : 0;
	}
	/* the events from a stream of their own: scenarios with the same seed share paths and
	 * deployment draws (common random numbers), whatever their events consume */
	struct sim_rng ev;
	sim_rng_seed(&ev, sim_next(g));
	sim_run_hops(s, hops, n, &ev, out);
}
