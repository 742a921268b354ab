/*
 * bench_sign: tracers signed per CPU-second, next to libsodium's own Ed25519 rate on the same
 * messages, measured in the same run; the same for verification; and the cost of the odds.
 *
 *   bench_sign [--seconds S] [FILE]      (default FILE: $OFD_DATA/netflow_4M.pcap)
 *
 * The flows are real: every record of the capture, decoded into memory first. "tracer" is
 * ofd_tracer_body + ofd_tracer_sign per flow (JSON body, Ed25519, base64, the line); "sodium"
 * is crypto_sign_detached alone over the very same body bytes. The two run in alternating
 * rounds so that frequency changes hit both alike. Verification compares ofd_tracer_verify
 * (JSON parse, base64, Ed25519, parse of the signed bytes) with crypto_sign_verify_detached.
 * Prints:
 *
 *   RESULT bench=sign flows=N body_avg=B tracer_rate=R sodium_rate=R2 ratio=X
 *   RESULT bench=verify flows=N line_avg=L tracer_rate=R sodium_rate=R2 ratio=X
 *   RESULT bench=odds source=csprng|seeded flows=N rate=1e-06 ns_per_flow=T selected=K
 */
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "gen_load.h"
#include "tracer/tracer.h"

#define MAXFLOWS 8192 /* distinct flows cycled through (the first ones of the capture) */

struct flows {
	struct ofd_flow *f;
	size_t n;
};

static void collect(struct ofd_batch *b, void *ctx)
{
	struct flows *fl = ctx;
	for (uint32_t i = 0; i < b->n; i++)
		if (ofd_batch_is_live(b, i) && fl->n < MAXFLOWS)
			fl->f[fl->n++] = b->flows[i];
}

static int load_flows(const char *path, struct flows *fl)
{
	struct gen_dgrams s;
	struct ofd_decoder *d;
	struct ofd_batch *b = malloc(sizeof(*b));
	fl->f = malloc(MAXFLOWS * sizeof(*fl->f));
	fl->n = 0;
	if (!b || !fl->f || gen_load(path, &s) || ofd_decoder_new(&d, NULL))
		return -1;
	ofd_batch_init(b, collect, fl);
	for (size_t i = 0; i < s.n && fl->n < MAXFLOWS; i++)
		(void)ofd_decode(d, &s.dg[i], b);
	ofd_batch_flush(b);
	ofd_decoder_free(d);
	gen_load_free(&s);
	free(b);
	return fl->n ? 0 : -1;
}

struct ctx {
	struct flows fl;
	const struct ofd_key *key;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char (*bodies)[OFD_TRACER_MAX / 4]; /* the body of each flow, as ofd_tracer_body made it */
	size_t *blen;
	char (*lines)[OFD_TRACER_MAX / 2];
	size_t *llen;
	size_t pos;
};

static const struct ofd_tracer_meta meta = {OFD_TC_INFORMATIONAL, "abuse@example.net", 1477778027.138109};

/* Run one kind of operation for `seconds` of CPU time; operations done. */
typedef void (*op_fn)(struct ctx *c, size_t i);

static uint64_t run(struct ctx *c, op_fn op, double seconds, double *cpu)
{
	uint64_t n = 0;
	double t0 = gen_cpu_now(), t1;
	do {
		for (int k = 0; k < 32; k++, n++) {
			op(c, c->pos);
			c->pos = (c->pos + 1) % c->fl.n;
		}
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	*cpu += t1 - t0;
	return n;
}

static void op_tracer_sign(struct ctx *c, size_t i)
{
	static char body[OFD_TRACER_MAX], line[OFD_TRACER_MAX];
	int n = ofd_tracer_body(body, sizeof(body), &c->fl.f[i], &meta, OFD_TRACER_MAX);
	if (n < 0 || ofd_tracer_sign(line, sizeof(line), body, (size_t)n, c->key) < 0)
		abort();
}

static void op_sodium_sign(struct ctx *c, size_t i)
{
	uint8_t sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, (const uint8_t *)c->bodies[i], c->blen[i], c->sk);
}

static void op_tracer_verify(struct ctx *c, size_t i)
{
	static uint8_t scratch[OFD_TRACER_MAX];
	struct ofd_tracer_msg m;
	if (ofd_tracer_verify(c->lines[i], c->llen[i], NULL, scratch, &m) != OFD_TV_OK)
		abort();
}

static uint8_t (*sigs)[crypto_sign_BYTES]; /* libsodium's signature of each body */

static void op_sodium_verify_only(struct ctx *c, size_t i)
{
	if (crypto_sign_verify_detached(sigs[i], (const uint8_t *)c->bodies[i], c->blen[i], c->pk) != 0)
		abort();
}

static void compare(struct ctx *c, const char *what, op_fn ours, op_fn theirs, double seconds, double avg)
{
	const int rounds = 6;
	uint64_t n1 = 0, n2 = 0;
	double t1 = 0, t2 = 0;
	for (int r = 0; r < rounds; r++) {
		n1 += run(c, ours, seconds / rounds, &t1);
		n2 += run(c, theirs, seconds / rounds, &t2);
	}
	double r1 = (double)n1 / t1, r2 = (double)n2 / t2;
	printf("RESULT bench=%s flows=%zu %s=%.0f tracer_rate=%.0f sodium_rate=%.0f ratio=%.3f cpu_s=%.2f\n",
	       what, c->fl.n, strcmp(what, "sign") == 0 ? "body_avg" : "line_avg", avg, r1, r2, r1 / r2,
	       t1 + t2);
}

static void bench_odds(struct ctx *c, int seeded, double seconds)
{
	struct ofd_odds o;
	ofd_odds_init(&o, seeded, 1);
	uint64_t n = 0, picked = 0;
	double t0 = gen_cpu_now(), t1;
	do {
		for (size_t i = 0; i < c->fl.n; i++)
			picked += (unsigned)ofd_odds_pick(&o, ofd_odds_p(1e-6, c->fl.f[i].packets));
		n += c->fl.n;
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	printf("RESULT bench=odds source=%s flows=%" PRIu64 " rate=1e-06 ns_per_flow=%.2f selected=%" PRIu64
	       "\n",
	       seeded ? "seeded" : "csprng", n, (t1 - t0) * 1e9 / (double)n, picked);
}

static int prepare(struct ctx *c, double *bavg, double *lavg)
{
	size_t n = c->fl.n;
	c->bodies = malloc(n * sizeof(*c->bodies));
	c->lines = malloc(n * sizeof(*c->lines));
	c->blen = malloc(n * sizeof(*c->blen));
	c->llen = malloc(n * sizeof(*c->llen));
	sigs = malloc(n * sizeof(*sigs));
	if (!c->bodies || !c->lines || !c->blen || !c->llen || !sigs)
		return -1;
	double bsum = 0, lsum = 0;
	for (size_t i = 0; i < n; i++) {
		int bl =
		    ofd_tracer_body(c->bodies[i], sizeof(c->bodies[i]), &c->fl.f[i], &meta, OFD_TRACER_MAX);
		if (bl < 0)
			return -1;
		int ll = ofd_tracer_sign(c->lines[i], sizeof(c->lines[i]), c->bodies[i], (size_t)bl, c->key);
		if (ll < 0)
			return -1;
		c->blen[i] = (size_t)bl;
		c->llen[i] = (size_t)ll;
		crypto_sign_detached(sigs[i], NULL, (const uint8_t *)c->bodies[i], c->blen[i], c->sk);
		bsum += bl;
		lsum += ll;
	}
	*bavg = bsum / (double)n;
	*lavg = lsum / (double)n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"seconds", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
	double seconds = 3;
	int ch;
	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (ch != 's') {
			fprintf(stderr, "usage: bench_sign [--seconds S] [FILE]\n");
			return 2;
		}
		seconds = strtod(optarg, NULL);
	}
	char path[1024];
	const char *dir = getenv("OFD_DATA");
	if (optind < argc)
		snprintf(path, sizeof(path), "%s", argv[optind]);
	else
		snprintf(path, sizeof(path), "%s/netflow_4M.pcap", dir ? dir : "../shared/data");
	ofd_log_set_level(OFD_LOG_ERR);
	if (sodium_init() < 0)
		return 1;

	struct ctx c = {0};
	uint8_t seed[32];
	memset(seed, 0x5a, sizeof(seed));
	struct ofd_key *key;
	if (load_flows(path, &c.fl) || ofd_key_from_seed(&key, seed)) {
		fprintf(stderr, "%s: cannot load flows\n", path);
		return 1;
	}
	c.key = key;
	crypto_sign_seed_keypair(c.pk, c.sk, seed); /* the same key, for libsodium's loop */
	double bavg, lavg;
	if (prepare(&c, &bavg, &lavg)) {
		fprintf(stderr, "cannot build tracers\n");
		return 1;
	}
	compare(&c, "sign", op_tracer_sign, op_sodium_sign, seconds, bavg);
	compare(&c, "verify", op_tracer_verify, op_sodium_verify_only, seconds, lavg);
	bench_odds(&c, 0, seconds / 3);
	bench_odds(&c, 1, seconds / 3);
	sodium_memzero(c.sk, sizeof(c.sk));
	ofd_key_free(key);
	free(c.fl.f);
	free(c.bodies);
	free(c.lines);
	free(c.blen);
	free(c.llen);
	free(sigs);
	return 0;
}
