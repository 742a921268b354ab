/*
 * The odds of reporting a flow: min(1, rate * packets), drawn from xoshiro256** (seeded through
 * splitmix64, for --seed and tests) or from a CSPRNG.
 *
 * The CSPRNG is ChaCha20 with fast key erasure: 64 words of keystream per refill under a
 * 256-bit key held in s; the last 4 words become the next key and are wiped, so the state never
 * reveals past output. The key comes from libsodium's randombytes_buf (the OS) at the first
 * refill and again every RESEED_EVERY refills. Why not randombytes_buf into the pool directly:
 * libsodium's default source makes one getrandom() system call per call, about 1.4 us, which is
 * 22 ns per flow at 64 words a refill, a third of the cost of decoding a flow; the keystream
 * costs about 2 ns a word.
 *
 * Contract of ofd_odds_pick(): p <= 0 (or NaN) gives 0 and p >= 1 gives 1, both without drawing,
 * so a seeded run's sequence depends only on the flows whose odds are strictly between 0 and 1.
 * Otherwise one 64-bit word is drawn and its top 53 bits, as a fraction of 2^53, are compared
 * with p: the flow is picked with probability p rounded to a multiple of 2^-53.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

#define POOL_WORDS   (sizeof(((struct ofd_odds *)0)->pool) / sizeof(uint64_t))
#define KEY_WORDS    4
#define RESEED_EVERY 4096 /* refills, about 246,000 draws */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro256ss(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

void ofd_odds_init(struct ofd_odds *o, int seeded, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->seeded = seeded != 0;
	if (o->seeded) {
		uint64_t x = seed;
		for (int i = 0; i < 4; i++)
			o->s[i] = splitmix64(&x);
		/* xoshiro must not start from all zeroes; splitmix64 never gives four of them */
		if (!(o->s[0] | o->s[1] | o->s[2] | o->s[3]))
			o->s[0] = 1;
		return;
	}
	if (sodium_init() < 0)
		abort();
	o->pool_left = 0; /* keyed and filled on first use */
	o->refills = 0;
}

static void csprng_refill(struct ofd_odds *o)
{
	static const uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES]; /* each key is used once */
	if (o->refills++ % RESEED_EVERY == 0)
		randombytes_buf(o->s, sizeof(o->s));
	crypto_stream_chacha20_ietf((uint8_t *)o->pool, sizeof(o->pool), nonce, (const uint8_t *)o->s);
	memcpy(o->s, o->pool + POOL_WORDS - KEY_WORDS, sizeof(o->s));
	sodium_memzero(o->pool + POOL_WORDS - KEY_WORDS, sizeof(o->s));
	o->pool_left = POOL_WORDS - KEY_WORDS;
}

uint64_t ofd_odds_u64(struct ofd_odds *o)
{
	if (o->seeded)
		return xoshiro256ss(o->s);
	if (o->pool_left == 0)
		csprng_refill(o);
	uint64_t v = o->pool[--o->pool_left];
	o->pool[o->pool_left] = 0; /* a word is used once; do not leave it behind */
	return v;
}

double ofd_odds_uniform(struct ofd_odds *o)
{
	return (double)(ofd_odds_u64(o) >> 11) * 0x1.0p-53;
}

double ofd_odds_p(double rate, uint64_t packets)
{
	if (packets == 0 || !(rate > 0)) /* also NaN */
		return 0;
	double p = rate * (double)packets;
	return p >= 1 ? 1 : p;
}

int ofd_odds_pick(struct ofd_odds *o, double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return 1;
	return ofd_odds_uniform(o) < p;
}
