/*
 * bench_lpm: the longest-prefix-match table (net/lpm.h) on a million prefixes per family.
 *
 *   bench_lpm [--seconds S] [--prefixes N] [--addrs M] [--family 4|6]
 *
 * Builds a table of N (default 1,000,000) random IPv4 prefixes (60 % /24, 35 % /16-/23, 5 %
 * /8-/15, inside 1.0.0.0-223.255.255.255) and one of N IPv6 prefixes (80 % /32-/48, 15 %
 * /56-/64, 5 % /20-/31, below six /12 blocks like the RIRs' 2001::, 2400::, 2600::, 2800::,
 * 2a00::, 2c00::), each prefix with its own value. Then, for each family, measures lookups per
 * CPU-second on one thread over M (default 1,000,000) addresses, for single lookups
 * (ofd_lpm_lookup in a loop) and batches of 512 (ofd_lpm_lookup_batch), on random addresses
 * (IPv4: 1.0.0.0-223.255.255.255; IPv6: anywhere in the six /12 blocks) and on addresses that
 * hit (inside a random prefix of the table). Fixed seed (xorshift). Prints:
 *
 *   RESULT bench=lpm_build family=F prefixes=N distinct=D build_s=T memory_bytes=B bytes_per_prefix=X
 *   RESULT bench=lpm family=F mode=single|batch addrs=random|hit lookups=L cpu_s=T rate=R
 *          ns_per_lookup=X hit_ratio=H
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_load.h"
#include "net/lpm.h"

#define BATCH 512

/* The IPv6 prefixes' /12 blocks, as the RIRs' */
static const uint16_t BLOCKS[] = {0x2000, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mask_to(struct ofd_ip *a, unsigned len)
{
	for (unsigned bit = len; bit < 128; bit++)
		a->b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

static struct ofd_prefix prefix4(void)
{
	struct ofd_prefix p;
	uint64_t r = xorshift();
	unsigned pick = r % 100, len = pick < 60 ? 24 : pick < 95 ? 16 + (r >> 8) % 8 : 8 + (r >> 8) % 8;
	uint32_t a = (uint32_t)(1 + (r >> 16) % 223) << 24 | ((uint32_t)(r >> 40) & 0xffffff);
	ofd_ip_set4u(&p.addr, a);
	p.len = (uint8_t)(96 + len);
	mask_to(&p.addr, p.len);
	return p;
}

static struct ofd_prefix prefix6(void)
{
	struct ofd_prefix p;
	memset(&p, 0, sizeof(p));
	uint64_t r = xorshift(), lo = xorshift();
	unsigned pick = r % 100;
	unsigned len = pick < 80 ? 32 + (r >> 8) % 17 : pick < 95 ? 56 + (r >> 8) % 9 : 20 + (r >> 8) % 12;
	uint16_t top = (uint16_t)(BLOCKS[(r >> 16) % 6] | ((r >> 24) & 0xf));
	p.addr.family = OFD_AF_INET6;
	p.addr.b[0] = (uint8_t)(top >> 8);
	p.addr.b[1] = (uint8_t)top;
	for (int i = 2; i < 8; i++)
		p.addr.b[i] = (uint8_t)(lo >> (8 * i));
	p.len = (uint8_t)len;
	mask_to(&p.addr, p.len);
	return p;
}

/* An address inside p: its bits, then random ones. */
static struct ofd_ip inside(const struct ofd_prefix *p)
{
	struct ofd_ip a = p->addr;
	uint64_t r1 = xorshift(), r2 = xorshift();
	for (unsigned bit = p->len; bit < 128; bit++) {
		uint64_t r = bit < 64 ? r1 : r2;
		if (r >> (bit % 64) & 1)
			a.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	return a;
}

static struct ofd_ip random_addr(int fam)
{
	struct ofd_ip a;
	if (fam == 4) {
		ofd_ip_set4u(&a, (uint32_t)(1 + xorshift() % 223) << 24 | ((uint32_t)xorshift() & 0xffffff));
		return a;
	}
	uint64_t hi = xorshift(), lo = xorshift();
	a.family = OFD_AF_INET6;
	for (int i = 0; i < 8; i++) {
		a.b[i] = (uint8_t)(hi >> (56 - 8 * i));
		a.b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	uint16_t top = (uint16_t)(BLOCKS[hi % 6] | (hi >> 8 & 0xf)); /* inside the six /12 */
	a.b[0] = (uint8_t)(top >> 8);
	a.b[1] = (uint8_t)top;
	return a;
}

struct run {
	const struct ofd_lpm *t;
	const struct ofd_ip *a;
	const struct ofd_ip **pa;
	size_t n;
	uint32_t *out;
};

/* Lookups over r->a until `seconds` of CPU time have passed; prints one RESULT line. */
static void measure(const struct run *r, int fam, int batch, const char *addrs, double seconds)
{
	uint64_t lookups = 0, hits = 0, sum = 0;
	double t0 = gen_cpu_now(), t1;
	do {
		if (batch) {
			for (size_t i = 0; i < r->n; i += BATCH) {
				size_t k = r->n - i < BATCH ? r->n - i : BATCH;
				hits += ofd_lpm_lookup_batch(r->t, r->pa + i, k, r->out, 0);
				sum += r->out[k - 1];
			}
		} else {
			for (size_t i = 0; i < r->n; i++) {
				uint32_t v = 0;
				hits += (uint64_t)ofd_lpm_lookup(r->t, &r->a[i], &v);
				sum += v;
			}
		}
		lookups += r->n;
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	double cpu = t1 - t0;
	printf("RESULT bench=lpm family=ipv%d mode=%s addrs=%s lookups=%" PRIu64
	       " cpu_s=%.3f rate=%.0f ns_per_lookup=%.2f hit_ratio=%.3f check=%" PRIu64 "\n",
	       fam, batch ? "batch" : "single", addrs, lookups, cpu, (double)lookups / cpu,
	       cpu * 1e9 / (double)lookups, (double)hits / (double)lookups, sum % 1000);
	fflush(stdout);
}

static int bench_family(int fam, size_t np, size_t na, double seconds)
{
	struct ofd_prefix *p = malloc(np * sizeof(*p));
	struct ofd_ip *a = malloc(na * sizeof(*a));
	const struct ofd_ip **pa = malloc(na * sizeof(*pa));
	uint32_t *out = malloc(BATCH * sizeof(*out));
	struct ofd_lpm *t = NULL;
	int rc = 1;
	if (!p || !a || !pa || !out)
		goto out;
	for (size_t i = 0; i < np; i++)
		p[i] = fam == 4 ? prefix4() : prefix6();
	double t0 = gen_cpu_now();
	if (ofd_lpm_new(&t))
		goto out;
	for (size_t i = 0; i < np; i++)
		if (ofd_lpm_add(t, &p[i], (uint32_t)i))
			goto out;
	if (ofd_lpm_freeze(t))
		goto out;
	double build = gen_cpu_now() - t0;
	size_t mem = ofd_lpm_memory(t), d = ofd_lpm_count(t);
	printf("RESULT bench=lpm_build family=ipv%d prefixes=%zu distinct=%zu build_s=%.3f memory_bytes=%zu "
	       "bytes_per_prefix=%.1f\n",
	       fam, np, d, build, mem, (double)mem / (double)(d ? d : 1));
	struct run r = {t, a, pa, na, out};
	for (size_t i = 0; i < na; i++)
		pa[i] = &a[i];
	for (int hit = 0; hit < 2; hit++) {
		for (size_t i = 0; i < na; i++)
			a[i] = hit ? inside(&p[xorshift() % np]) : random_addr(fam);
		for (int batch = 0; batch < 2; batch++)
			measure(&r, fam, batch, hit ? "hit" : "random", seconds);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_lpm: IPv%d table failed\n", fam);
	ofd_lpm_free(t);
	free(p);
	free(a);
	free(pa);
	free(out);
	return rc;
}

int main(int argc, char **argv)
{
	double seconds = 1;
	size_t np = 1000000, na = 1000000;
	int fam = 0, c;
	static const struct option opts[] = {{"seconds", required_argument, NULL, 's'},
					     {"prefixes", required_argument, NULL, 'p'},
					     {"addrs", required_argument, NULL, 'a'},
					     {"family", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': seconds = strtod(optarg, NULL); break;
		case 'p': np = strtoul(optarg, NULL, 10); break;
		case 'a': na = strtoul(optarg, NULL, 10); break;
		case 'f': fam = (int)strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr,
				"usage: bench_lpm [--seconds S] [--prefixes N] [--addrs M] [--family 4|6]\n");
			return 2;
		}
	}
	if (np == 0 || na == 0 || (fam != 0 && fam != 4 && fam != 6)) {
		fprintf(stderr, "bench_lpm: bad arguments\n");
		return 2;
	}
	if ((fam == 0 || fam == 4) && bench_family(4, np, na, seconds))
		return 1;
	if ((fam == 0 || fam == 6) && bench_family(6, np, na, seconds))
		return 1;
	return 0;
}
