#include "runner.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

uint64_t sim_run_seed(uint64_t seed, unsigned run)
{
	uint64_t x = seed ^ (UINT64_C(0x6a09e667f3bcc909) * (run + 1));
	return sim_splitmix64(&x);
}

double sim_equal_overhead_rate(const struct sim_scen *s)
{
	return s->itrace_p * s->itrace_bytes / sim_pick_bytes(s);
}

static const char *spoof_name[] = {"none", "random", "reflect"};

/* columns of a time metric: share within T (Wilson), mean of those within T, mean over all
 * finite ones (as if the flood lasted), median of all (inf: never) */
static void time_header(FILE *o, const char *m)
{
	fprintf(o, ",p_%s,p_%s_lo,p_%s_hi,%s,%s_lo,%s_hi,%s_all,%s_all_lo,%s_all_hi,%s_med", m, m, m, m, m, m,
		m, m, m, m);
}

static void num(FILE *o, double v)
{
	if (isnan(v))
		fputs(",", o);
	else if (isinf(v))
		fputs(v > 0 ? ",inf" : ",-inf", o);
	else
		fprintf(o, ",%.6g", v);
}

static void ci(FILE *o, struct sim_ci c)
{
	num(o, c.mean), num(o, c.lo), num(o, c.hi);
}

static void time_cols(FILE *o, double *v, size_t n, double T)
{
	ci(o, sim_share_ci(v, n, T));
	ci(o, sim_mean_ci(v, n, T));
	ci(o, sim_mean_ci(v, n, INFINITY));
	num(o, sim_median(v, n));
}

void sim_csv_header(FILE *o)
{
	fputs("group,name,x,spoof,R,T,f,place,N,active,inactive,r,normalize,esc_mult,esc_after,flows,runs,"
	      "hops,deployers",
	      o);
	char m[16];
	for (int k = 1; k <= SIM_KMAX; k++)
		snprintf(m, sizeof(m), "t%d", k), time_header(o, m);
	fputs(",frac_path,frac_path_lo,frac_path_hi", o);
	time_header(o, "owner1");
	time_header(o, "ownerc");
	fputs(",tracers_s,tracers_s_lo,tracers_s_hi,overhead,overhead_lo,overhead_hi,budget_cut", o);
	time_header(o, "it1");
	time_header(o, "it3");
	fputs(",it_frac_path,it_overhead,ppm_packets,ppm_packets_lo,ppm_packets_hi,ppm_exact,ppm_bound,ppm_"
	      "time,"
	      "ppm_time_lo,ppm_time_hi\n",
	      o);
}

enum {
	M_T1,
	M_OWNER1 = M_T1 + SIM_KMAX,
	M_OWNERC,
	M_FRAC,
	M_TRS,
	M_OVH,
	M_IT1,
	M_IT3,
	M_ITFRAC,
	M_ITOVH,
	M_PPM,
	M_PPMB,
	M_PPMT,
	M_HOPS,
	M_DEP,
	M_CUT,
	M_PPME,
	M__N
};

int sim_scen_run(const struct sim_scen *s, const struct sim_paths *p, uint64_t seed, FILE *o)
{
	size_t n = s->runs ? s->runs : 1;
	double *v = malloc(sizeof(double) * n * M__N);
	if (!v)
		return -ENOMEM;
#define V(m, i) v[(size_t)(m)*n + (i)]
	for (size_t i = 0; i < n; i++) {
		struct sim_rng g;
		sim_rng_seed(&g, sim_run_seed(seed, (unsigned)i));
		struct sim_run r;
		sim_run_one(s, p, &g, &r);
		for (int k = 0; k < SIM_KMAX; k++)
			V(M_T1 + k, i) = r.t_k[k];
		V(M_OWNER1, i) = r.owner_first;
		V(M_OWNERC, i) = r.owner_confident;
		V(M_FRAC, i) = r.frac_path;
		V(M_TRS, i) = r.tracers / s->T;
		V(M_OVH, i) = r.overhead;
		V(M_CUT, i) = r.picks + r.budget_cut > 0 ? r.budget_cut / (r.picks + r.budget_cut) : 0;
		V(M_IT1, i) = r.it_k[0];
		V(M_IT3, i) = r.it_k[2];
		V(M_ITFRAC, i) = r.it_frac_path;
		V(M_ITOVH, i) = r.it_overhead;
		V(M_PPM, i) = r.ppm_packets;
		V(M_PPMB, i) = r.ppm_bound;
		V(M_PPME, i) = r.ppm_exact;
		V(M_PPMT, i) = r.ppm_time;
		V(M_HOPS, i) = r.hops;
		V(M_DEP, i) = r.deployers;
	}
	fprintf(o, "%s,%s,%.6g,%s,%.6g,%.6g,%.6g,%s,%u,%.6g,%.6g,%.6g,%d,%.6g,%.6g,%u,%zu", s->group, s->name,
		s->x, spoof_name[s->spoof], s->R, s->T, s->f,
		s->place == SIM_PLACE_TRANSIT ? "transit" : "random", s->N, s->active, s->inactive, s->r,
		s->normalize, s->esc_mult, s->esc_after, s->flows, n);
	num(o, sim_mean_ci(&V(M_HOPS, 0), n, INFINITY).mean);
	num(o, sim_mean_ci(&V(M_DEP, 0), n, INFINITY).mean);
	for (int k = 0; k < SIM_KMAX; k++)
		time_cols(o, &V(M_T1 + k, 0), n, s->T);
	ci(o, sim_mean_ci(&V(M_FRAC, 0), n, INFINITY));
	time_cols(o, &V(M_OWNER1, 0), n, s->T);
	time_cols(o, &V(M_OWNERC, 0), n, s->T);
	ci(o, sim_mean_ci(&V(M_TRS, 0), n, INFINITY));
	ci(o, sim_mean_ci(&V(M_OVH, 0), n, INFINITY));
	num(o, sim_mean_ci(&V(M_CUT, 0), n, INFINITY).mean);
	time_cols(o, &V(M_IT1, 0), n, s->T);
	time_cols(o, &V(M_IT3, 0), n, s->T);
	num(o, sim_mean_ci(&V(M_ITFRAC, 0), n, INFINITY).mean);
	num(o, sim_mean_ci(&V(M_ITOVH, 0), n, INFINITY).mean);
	ci(o, sim_mean_ci(&V(M_PPM, 0), n, INFINITY));
	num(o, sim_mean_ci(&V(M_PPME, 0), n, INFINITY).mean);
	num(o, sim_mean_ci(&V(M_PPMB, 0), n, INFINITY).mean);
	ci(o, sim_mean_ci(&V(M_PPMT, 0), n, INFINITY));
	fputc('\n', o);
#undef V
	free(v);
	return 0;
}

static struct sim_scen *add(struct sim_scen *out, unsigned cap, unsigned *n, const char *group, double x)
{
	if (*n >= cap)
		return NULL;
	struct sim_scen *s = &out[(*n)++];
	sim_scen_default(s);
	snprintf(s->group, sizeof(s->group), "%s", group);
	snprintf(s->name, sizeof(s->name), "%s=%g", group, x);
	s->x = x;
	return s;
}

unsigned sim_default_set(struct sim_scen *out, unsigned cap, int quick)
{
	static const double rates[] = {1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7};
	static const double fracs[] = {0.01, 0.03, 0.1, 0.3, 1};
	static const double rs[] = {1e-7, 1e-6, 1e-5, 1e-4};
	static const double mults[] = {1, 10, 100, 1000};
	static const double actives[] = {10, 60, 300, 1800};
	unsigned n = 0;
	struct sim_scen *s;
	for (unsigned i = 0; i < sizeof(rates) / sizeof(*rates); i++) {
		if ((s = add(out, cap, &n, "rate", rates[i])))
			s->R = rates[i];
		if ((s = add(out, cap, &n, "rate_raw", rates[i])))
			s->R = rates[i], s->normalize = 0;
		if ((s = add(out, cap, &n, "rate_none", rates[i])))
			s->R = rates[i], s->spoof = SIM_SPOOF_NONE;
		if ((s = add(out, cap, &n, "rate_reflect", rates[i])))
			s->R = rates[i], s->spoof = SIM_SPOOF_REFLECT;
	}
	for (unsigned i = 0; i < sizeof(fracs) / sizeof(*fracs); i++) {
		/* reflection: the owner of the spoofed source hears as the flows' other end */
		if ((s = add(out, cap, &n, "deploy_reflect_random", fracs[i])))
			s->f = fracs[i], s->spoof = SIM_SPOOF_REFLECT;
		if ((s = add(out, cap, &n, "deploy_reflect_transit", fracs[i])))
			s->f = fracs[i], s->spoof = SIM_SPOOF_REFLECT, s->place = SIM_PLACE_TRANSIT;
		if ((s = add(out, cap, &n, "deploy_random", fracs[i])))
			s->f = fracs[i];
		if ((s = add(out, cap, &n, "deploy_transit", fracs[i])))
			s->f = fracs[i], s->place = SIM_PLACE_TRANSIT;
	}
	for (unsigned i = 0; i < 4; i++) {
		if ((s = add(out, cap, &n, "sampling", sim_sampling[i])))
			s->N = sim_sampling[i];
		if ((s = add(out, cap, &n, "sampling_raw", sim_sampling[i])))
			s->N = sim_sampling[i], s->normalize = 0;
	}
	for (unsigned i = 0; i < sizeof(rs) / sizeof(*rs); i++)
		if ((s = add(out, cap, &n, "r", rs[i])))
			s->r = rs[i];
	for (unsigned i = 0; i < 3; i++)
		if ((s = add(out, cap, &n, "spoof", i)))
			s->spoof = (enum sim_spoof)i;
	/* escalation on a weaker flood: rate x mult after the first minute */
	for (unsigned i = 0; i < sizeof(mults) / sizeof(*mults); i++)
		if ((s = add(out, cap, &n, "escalate", mults[i])))
			s->R = 1e4, s->esc_mult = mults[i], s->esc_after = 60;
	for (unsigned i = 0; i < sizeof(actives) / sizeof(*actives); i++)
		if ((s = add(out, cap, &n, "active", actives[i])))
			s->active = actives[i], s->spoof = SIM_SPOOF_NONE, s->T = 3600;
	/* overflowd at iTrace's overhead, beside iTrace (its columns in every row) */
	if ((s = add(out, cap, &n, "equal_overhead", 0))) {
		s->r = sim_equal_overhead_rate(s);
		s->x = s->r;
	}
	for (unsigned i = 0; i < n; i++)
		if (quick)
			out[i].runs = 200;
	return n;
}
