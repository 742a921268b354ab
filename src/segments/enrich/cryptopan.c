/*
 * Crypto-PAn over OpenSSL AES-128-ECB (see cryptopan.h). Every tree node is one AES block:
 * the first p address bits followed by pad bits p..127; the output bit is the top bit of its
 * encryption. A miss builds all the blocks it needs and encrypts them in one EVP call, so that
 * AES-NI works on many independent blocks at once.
 */
#include "cryptopan.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX_BITS 24
#define CACHE_MIN_BITS 6

struct c6_entry {
	uint64_t ih, il, oh, ol;
};

struct ofd_cpan {
	EVP_CIPHER_CTX *ctx;
	uint8_t pad[16];
	uint32_t padw;		 /* pad bits 0..31 */
	uint64_t padh, padl;	 /* the pad as two big-endian words */
	uint64_t *c4, *c24;	 /* (addr << 32 | anon), (prefix24 << 24 | anon24); NULL: none */
	struct c6_entry *c6;	 /* NULL: none */
	unsigned sh4, sh24, sh6; /* 64 - bits (hash shift) */
	struct ofd_cpan_stats st;
	uint16_t top16[65536]; /* anonymized first 16 bits of each 16-bit prefix */
};

/* Big-endian loads and stores (one bswap on little-endian hosts). */
static uint32_t be32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static uint64_t be64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static void put32(uint8_t *p, uint32_t v)
{
	v = be32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = be64(v);
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64(v);
}

/* n blocks of in encrypted into out. AES-128-ECB on whole blocks cannot fail once the context
   is set up; were it to, out is zeroed so that the result is deterministic. */
static void aes(struct ofd_cpan *c, const uint8_t *in, uint8_t *out, int n)
{
	int outl = 0;
	if (EVP_EncryptUpdate(c->ctx, out, &outl, in, n * 16) != 1 || outl != n * 16)
		memset(out, 0, (size_t)n * 16);
}

static uint64_t hash64(uint64_t x)
{
	return x * 0x9E3779B97F4A7C15ull;
}

/* High p bits of a 32-bit word set (p in 0..32). */
static uint32_t hi32(unsigned p)
{
	return p ? ~0u << (32 - p) : 0;
}

static uint64_t hi64(unsigned p)
{
	return p ? ~0ull << (64 - p) : 0;
}

int ofd_cpan_parse_key(const char *text, uint8_t key[32], char *why, size_t whylen)
{
	size_t n = strlen(text);
	if (n == 32) {
		memcpy(key, text, 32);
		return 0;
	}
	if (n == 66 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		for (unsigned i = 0; i < 32; i++) {
			unsigned v = 0;
			for (unsigned j = 0; j < 2; j++) {
				char ch = text[2 + 2 * i + j];
				unsigned d;
				if (ch >= '0' && ch <= '9')
					d = (unsigned)(ch - '0');
				else if (ch >= 'a' && ch <= 'f')
					d = (unsigned)(ch - 'a' + 10);
				else if (ch >= 'A' && ch <= 'F')
					d = (unsigned)(ch - 'A' + 10);
				else {
					snprintf(why, whylen,
						 "not a hex digit at character %u of the 0x form",
						 2 + 2 * i + j + 1);
					return -1;
				}
				v = v << 4 | d;
			}
			key[i] = (uint8_t)v;
		}
		return 0;
	}
	snprintf(
	    why, whylen,
	    "%zu characters; the key is 32 characters (32 bytes), or 0x and 64 hex digits (nfanon's -K form)",
	    n);
	return -1;
}

/* The top table: level i of the tree has 2^i nodes (i bits of prefix), 65,535 in all. */
static int build_top(struct ofd_cpan *c)
{
	uint8_t *flips = malloc(65536);
	uint8_t *in = malloc(256 * 16), *out = malloc(256 * 16);
	if (!flips || !in || !out) {
		free(flips), free(in), free(out);
		return -1;
	}
	for (unsigned i = 0; i < 256; i++)
		memcpy(in + 16 * i, c->pad, 16);
	for (unsigned lvl = 0; lvl < 16; lvl++) {
		uint32_t nodes = 1u << lvl;
		for (uint32_t q0 = 0; q0 < nodes; q0 += 256) {
			uint32_t n = nodes - q0 < 256 ? nodes - q0 : 256;
			for (uint32_t k = 0; k < n; k++) {
				uint32_t q = q0 + k;
				uint32_t w = (lvl ? q << (32 - lvl) : 0) | (c->padw & ~hi32(lvl));
				put32(in + 16 * k, w);
			}
			aes(c, in, out, (int)n);
			for (uint32_t k = 0; k < n; k++)
				flips[nodes - 1 + q0 + k] = out[16 * k] >> 7;
		}
	}
	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t f = 0;
		for (unsigned lvl = 0; lvl < 16; lvl++)
			f |= (uint32_t)flips[(1u << lvl) - 1 + (p >> (16 - lvl))] << (15 - lvl);
		c->top16[p] = (uint16_t)(p ^ f);
	}
	free(flips), free(in), free(out);
	return 0;
}

/* The bits start..31 of the flip word of a (blocks for those levels only). */
static uint32_t flips4(struct ofd_cpan *c, uint32_t a, unsigned start)
{
	uint8_t in[32 * 16], out[32 * 16];
	unsigned n = 32 - start;
	for (unsigned k = 0; k < n; k++) {
		unsigned p = start + k;
		memcpy(in + 16 * k, c->pad, 16);
		put32(in + 16 * k, (a & hi32(p)) | (c->padw & ~hi32(p)));
	}
	aes(c, in, out, (int)n);
	uint32_t f = 0;
	for (unsigned k = 0; k < n; k++)
		f |= (uint32_t)(out[16 * k] >> 7) << (31 - (start + k));
	return f;
}

uint32_t ofd_cpan_anon4_plain(struct ofd_cpan *c, uint32_t a)
{
	return a ^ flips4(c, a, 0);
}

static uint32_t anon4_miss(struct ofd_cpan *c, uint32_t a)
{
	uint32_t top = c->top16[a >> 16];
	uint32_t p24 = a >> 8;
	uint64_t *e24 = NULL;
	if (c->c24) {
		e24 = &c->c24[hash64(p24) >> c->sh24];
		uint64_t v = *e24;
		if ((uint32_t)(v >> 24) == p24) {
			c->st.hits24++;
			uint32_t anon24 = (uint32_t)v & 0xffffff;
			return anon24 << 8 | ((a ^ flips4(c, a, 24)) & 0xff);
		}
	}
	uint32_t x = a ^ flips4(c, a, 16);
	if (e24)
		*e24 = (uint64_t)p24 << 24 | top << 8 | (x >> 8 & 0xff);
	return top << 16 | (x & 0xffff);
}

uint32_t ofd_cpan_anon4(struct ofd_cpan *c, uint32_t a)
{
	uint64_t *e = NULL;
	if (c->c4) {
		e = &c->c4[hash64(a) >> c->sh4];
		uint64_t v = *e;
		if ((uint32_t)(v >> 32) == a) {
			c->st.hits4++;
			return (uint32_t)v;
		}
	}
	c->st.misses4++;
	uint32_t r = anon4_miss(c, a);
	if (e)
		*e = (uint64_t)a << 32 | r;
	return r;
}

static void anon6_miss(struct ofd_cpan *c, uint64_t ih, uint64_t il, uint64_t *oh, uint64_t *ol)
{
	enum { N = 112 };
	uint8_t in[N * 16], out[N * 16];
	for (unsigned p = 16; p < 128; p++) {
		uint8_t *b = in + 16 * (p - 16);
		uint64_t h, l;
		if (p < 64) {
			h = (ih & hi64(p)) | (c->padh & ~hi64(p));
			l = c->padl;
		} else {
			h = ih;
			l = (il & hi64(p - 64)) | (c->padl & ~hi64(p - 64));
		}
		put64(b, h);
		put64(b + 8, l);
	}
	aes(c, in, out, N);
	uint64_t fh = 0, fl = 0;
	for (unsigned p = 16; p < 64; p++)
		fh |= (uint64_t)(out[16 * (p - 16)] >> 7) << (63 - p);
	for (unsigned p = 64; p < 128; p++)
		fl |= (uint64_t)(out[16 * (p - 16)] >> 7) << (127 - p);
	*oh = (uint64_t)c->top16[ih >> 48] << 48 | ((ih ^ fh) & 0xffffffffffffull);
	*ol = il ^ fl;
}

void ofd_cpan_anon6(struct ofd_cpan *c, const uint8_t in[16], uint8_t out[16])
{
	uint64_t ih = get64(in), il = get64(in + 8), oh, ol;
	struct c6_entry *e = NULL;
	if (c->c6) {
		e = &c->c6[hash64(ih ^ hash64(il)) >> c->sh6];
		if (e->ih == ih && e->il == il) {
			c->st.hits6++;
			put64(out, e->oh);
			put64(out + 8, e->ol);
			return;
		}
	}
	c->st.misses6++;
	anon6_miss(c, ih, il, &oh, &ol);
	if (e)
		*e = (struct c6_entry){ih, il, oh, ol};
	put64(out, oh);
	put64(out + 8, ol);
}

void ofd_cpan_get_stats(const struct ofd_cpan *c, struct ofd_cpan_stats *st)
{
	*st = c->st;
}

static unsigned cache_bits(uint32_t entries)
{
	unsigned bits = CACHE_MIN_BITS;
	while (bits < CACHE_MAX_BITS && (1u << bits) < entries)
		bits++;
	return bits;
}

struct ofd_cpan *ofd_cpan_new(const uint8_t key[32], uint32_t cache_entries, char *why, size_t whylen)
{
	struct ofd_cpan *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx || EVP_EncryptInit_ex(c->ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c->ctx, 0) != 1) {
		snprintf(why, whylen, "OpenSSL: AES-128-ECB could not be set up");
		ofd_cpan_free(c);
		return NULL;
	}
	aes(c, key + 16, c->pad, 1);
	c->padw =
	    (uint32_t)c->pad[0] << 24 | (uint32_t)c->pad[1] << 16 | (uint32_t)c->pad[2] << 8 | c->pad[3];
	c->padh = get64(c->pad);
	c->padl = get64(c->pad + 8);
	if (build_top(c) != 0) {
		snprintf(why, whylen, "out of memory");
		ofd_cpan_free(c);
		return NULL;
	}
	if (cache_entries) {
		/* every slot starts valid: it holds the address 0 (or prefix 0) and its true image,
		   so no slot needs a valid bit (computed before the caches exist) */
		uint32_t z4 = anon4_miss(c, 0);
		uint64_t oh, ol;
		anon6_miss(c, 0, 0, &oh, &ol);
		unsigned b4 = cache_bits(cache_entries);
		unsigned b24 = b4 - 2 < CACHE_MIN_BITS ? CACHE_MIN_BITS : b4 - 2;
		size_t n4 = (size_t)1 << b4, n24 = (size_t)1 << b24;
		c->c4 = malloc(n4 * sizeof(*c->c4));
		c->c24 = malloc(n24 * sizeof(*c->c24));
		c->c6 = malloc(n24 * sizeof(*c->c6));
		if (!c->c4 || !c->c24 || !c->c6) {
			snprintf(why, whylen, "out of memory for a cache of %u entries", cache_entries);
			ofd_cpan_free(c);
			return NULL;
		}
		c->sh4 = 64 - b4;
		c->sh24 = c->sh6 = 64 - b24;
		for (size_t i = 0; i < n4; i++)
			c->c4[i] = z4;
		for (size_t i = 0; i < n24; i++)
			c->c24[i] = z4 >> 8;
		for (size_t i = 0; i < n24; i++)
			c->c6[i] = (struct c6_entry){0, 0, oh, ol};
		c->st = (struct ofd_cpan_stats){0};
	}
	return c;
}

void ofd_cpan_free(struct ofd_cpan *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx);
	free(c->c4), free(c->c24), free(c->c6);
	free(c);
}
