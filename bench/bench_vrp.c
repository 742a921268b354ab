/*
 * bench_vrp: RPKI origin validation (net/vrp.h) on an RPKI-shaped VRP set.
 *
 *   bench_vrp [--vrps N] [--routes M] [--json PATH]
 *
 * Makes N (default 500,000) synthetic VRPs shaped like the real RPKI: 70 % IPv4 (85 % /24 with
 * maxLength 24, 10 % /16-/23 with maxLength = length, 5 % /16 with maxLength 24), 30 % IPv6
 * (80 % /48 with maxLength 48, 15 % /32 with maxLength 48, 5 % /29-/36 with maxLength =
 * length); origins 1-400,000, 10 % of the prefixes with a second origin. Writes them as
 * Routinator JSON (to PATH, default /tmp/bench_vrp.json) and measures:
 *   - load: ofd_vrp_load_file (jansson, ROA by ROA) plus the freeze, wall and CPU seconds;
 *   - build: ofd_vrpset_add + freeze from a list (what a caller with its own list pays);
 *   - rtr: the RTR client's commit (500k VRPs into its hash set, then the freeze);
 *   - memory: ofd_vrpset_memory, bytes per VRP;
 *   - validate: validations per CPU-second on one thread over M (default 2,000,000) routes: a
 *     third VRP prefixes with their origin (valid), a third with another origin (invalid, or
 *     valid through a covering VRP), a third random prefixes (mostly not found); one at a
 *     time (ofd_vrpset_validate) and in batches of 512 (ofd_vrpset_validate_batch).
 * Fixed seed (xorshift). Prints RESULT lines.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_load.h"
#include "net/vrp.h"
#include "net/vrp_load.h"
#include "net/vrp_table.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct gv {
	struct ofd_prefix p;
	unsigned maxlength; /* as written */
	uint32_t asn;
};

static void make_v4(struct gv *g)
{
	unsigned r = (unsigned)(xorshift() % 100), len, ml;
	if (r < 85)
		len = ml = 24;
	else if (r < 95)
		len = ml = 16 + (unsigned)(xorshift() % 8);
	else {
		len = 16;
		ml = 24;
	}
	uint32_t a = (uint32_t)(1 + xorshift() % 223) << 24 | (uint32_t)(xorshift() & 0xffffff);
	a &= ~0u << (32 - len);
	memset(&g->p, 0, sizeof(g->p));
	g->p.addr.family = OFD_AF_INET;
	g->p.addr.b[10] = g->p.addr.b[11] = 0xff;
	g->p.addr.b[12] = (uint8_t)(a >> 24);
	g->p.addr.b[13] = (uint8_t)(a >> 16);
	g->p.addr.b[14] = (uint8_t)(a >> 8);
	g->p.addr.b[15] = (uint8_t)a;
	g->p.len = (uint8_t)(96 + len);
	g->maxlength = ml;
}

static void make_v6(struct gv *g)
{
	static const uint16_t blocks[] = {0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c0f};
	unsigned r = (unsigned)(xorshift() % 100), len, ml;
	if (r < 80)
		len = ml = 48;
	else if (r < 95) {
		len = 32;
		ml = 48;
	} else
		len = ml = 29 + (unsigned)(xorshift() % 8);
	memset(&g->p, 0, sizeof(g->p));
	g->p.addr.family = OFD_AF_INET6;
	uint16_t blk = blocks[xorshift() % 6];
	uint64_t x = xorshift();
	g->p.addr.b[0] = (uint8_t)(blk >> 8);
	g->p.addr.b[1] = (uint8_t)(blk | (x & 0x0f));
	for (int i = 2; i < 6; i++)
		g->p.addr.b[i] = (uint8_t)(x >> (8 * i));
	/* clear the bits after len */
	for (unsigned bit = len; bit < 128; bit++)
		g->p.addr.b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	g->p.len = (uint8_t)len;
	g->maxlength = ml;
}

int main(int argc, char **argv)
{
	size_t n = 500000, m = 2000000;
	const char *json = "/tmp/bench_vrp.json";
	static const struct option opts[] = {{"vrps", required_argument, NULL, 'n'},
					     {"routes", required_argument, NULL, 'm'},
					     {"json", required_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			n = strtoull(optarg, NULL, 10);
		else if (c == 'm')
			m = strtoull(optarg, NULL, 10);
		else if (c == 'j')
			json = optarg;
		else
			return 2;
	}
	struct gv *g = malloc(n * sizeof(*g));
	if (!g)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && xorshift() % 10 == 0) { /* a second origin for the previous prefix */
			g[i] = g[i - 1];
		} else if (xorshift() % 100 < 70) {
			make_v4(&g[i]);
		} else {
			make_v6(&g[i]);
		}
		g[i].asn = 1 + (uint32_t)(xorshift() % 400000);
	}
	/* the JSON file */
	FILE *f = fopen(json, "w");
	if (!f)
		return 1;
	fputs("{\"roas\":[\n", f);
	for (size_t i = 0; i < n; i++) {
		char buf[OFD_PREFIX_STRLEN];
		ofd_prefix_str(&g[i].p, buf);
		fprintf(f, "%s{\"asn\":\"AS%u\",\"prefix\":\"%s\",\"maxLength\":%u,\"ta\":\"bench\"}\n",
			i ? "," : "", g[i].asn, buf, g[i].maxlength);
	}
	fputs("]}\n", f);
	long bytes = ftell(f);
	fclose(f);

	/* load */
	struct ofd_vrp_load_stats st;
	struct ofd_vrpset *s = NULL;
	double w0 = wall(), c0 = gen_cpu_now();
	int rc = ofd_vrp_load_file(json, OFD_VRP_FILE_MAX, 0, &s, &st);
	double lw = wall() - w0, lc = gen_cpu_now() - c0;
	if (rc) {
		fprintf(stderr, "load: %d %s\n", rc, st.error);
		return 1;
	}
	printf("RESULT bench=vrp_load vrps=%zu file_bytes=%ld loaded=%zu bad=%zu distinct=%zu wall_s=%.3f "
	       "cpu_s=%.3f\n",
	       n, bytes, st.loaded, st.bad, ofd_vrpset_count(s), lw, lc);
	size_t mem = ofd_vrpset_memory(s);
	printf("RESULT bench=vrp_memory vrps=%zu memory_bytes=%zu bytes_per_vrp=%.1f\n", ofd_vrpset_count(s),
	       mem, (double)mem / (double)ofd_vrpset_count(s));

	/* build from a list */
	struct ofd_vrpset *s2;
	c0 = gen_cpu_now();
	if (ofd_vrpset_new(&s2) != 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		struct ofd_vrp v;
		if (ofd_vrp_make(&v, &g[i].p, g[i].maxlength, g[i].asn) != 0 || ofd_vrpset_add(s2, &v) != 0)
			return 1;
	}
	if (ofd_vrpset_freeze(s2) != 0)
		return 1;
	printf("RESULT bench=vrp_build vrps=%zu cpu_s=%.3f\n", n, gen_cpu_now() - c0);
	ofd_vrpset_free(s2);

	/* the RTR client's commit: hash set, then freeze */
	struct ofd_vrp_table t = {0};
	c0 = gen_cpu_now();
	for (size_t i = 0; i < n; i++) {
		struct ofd_vrp v;
		if (ofd_vrp_make(&v, &g[i].p, g[i].maxlength, g[i].asn) != 0)
			return 1;
		struct ofd_vrp_key k = {.len = v.prefix.len, .maxlen = v.maxlen, .asn = v.asn};
		memcpy(k.addr, v.prefix.addr.b, 16);
		if (ofd_vrp_table_add(&t, &k) < 0)
			return 1;
	}
	double tc = gen_cpu_now() - c0;
	c0 = gen_cpu_now();
	if (ofd_vrp_table_freeze(&t, &s2) != 0)
		return 1;
	printf("RESULT bench=vrp_rtr_commit vrps=%zu table_cpu_s=%.3f freeze_cpu_s=%.3f table_bytes=%zu\n",
	       t.n, tc, gen_cpu_now() - c0, (t.mask + 1) * sizeof(*t.slot));
	ofd_vrpset_free(s2);
	ofd_vrp_table_clear(&t);

	/* validations */
	struct ofd_prefix *q = malloc(m * sizeof(*q));
	uint32_t *o = malloc(m * sizeof(*o));
	if (!q || !o)
		return 1;
	for (size_t i = 0; i < m; i++) {
		unsigned kind = (unsigned)(i % 3);
		struct gv *x = &g[xorshift() % n];
		if (kind == 0) {
			q[i] = x->p;
			o[i] = x->asn;
		} else if (kind == 1) {
			q[i] = x->p;
			o[i] = 1 + (uint32_t)(xorshift() % 400000);
		} else {
			struct gv y;
			if (xorshift() % 100 < 70)
				make_v4(&y);
			else
				make_v6(&y);
			q[i] = y.p;
			o[i] = 1 + (uint32_t)(xorshift() % 400000);
		}
	}
	size_t cnt[4] = {0};
	int rounds = 0;
	c0 = gen_cpu_now();
	double el;
	do {
		for (size_t i = 0; i < m; i++)
			cnt[ofd_vrpset_validate(s, &q[i], o[i])]++;
		rounds++;
		el = gen_cpu_now() - c0;
	} while (el < 2.0);
	double total = (double)m * rounds;
	printf("RESULT bench=vrp_validate vrps=%zu routes=%zu validations=%.0f cpu_s=%.3f rate=%.0f "
	       "ns_per_validation=%.1f "
	       "valid=%.3f invalid=%.3f notfound=%.3f\n",
	       ofd_vrpset_count(s), m, total, el, total / el, el * 1e9 / total,
	       (double)cnt[OFD_RPKI_VALID] / total, (double)cnt[OFD_RPKI_INVALID] / total,
	       (double)cnt[OFD_RPKI_NOTFOUND] / total);
	/* the batch form, 512 routes at a time as a pipeline batch */
	const struct ofd_prefix **qp = malloc(m * sizeof(*qp));
	uint8_t *res = malloc(m);
	if (!qp || !res)
		return 1;
	for (size_t i = 0; i < m; i++)
		qp[i] = &q[i];
	rounds = 0;
	c0 = gen_cpu_now();
	do {
		for (size_t i = 0; i < m; i += 512)
			ofd_vrpset_validate_batch(s, qp + i, o + i, m - i < 512 ? m - i : 512, res + i);
		rounds++;
		el = gen_cpu_now() - c0;
	} while (el < 2.0);
	total = (double)m * rounds;
	printf("RESULT bench=vrp_validate_batch vrps=%zu routes=%zu validations=%.0f cpu_s=%.3f rate=%.0f "
	       "ns_per_validation=%.1f\n",
	       ofd_vrpset_count(s), m, total, el, total / el, el * 1e9 / total);
	free(qp);
	free(res);
	ofd_vrpset_free(s);
	free(q);
	free(o);
	free(g);
	remove(json);
	return 0;
}
