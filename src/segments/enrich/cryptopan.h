/*
 * Crypto-PAn (Xu, Fan, Ammar, Moon: prefix-preserving IP address anonymization) over OpenSSL's
 * AES-128 (EVP, ECB, one block per tree node), for the anonymize segment and its test and bench.
 *
 * Key: 32 bytes, the first 16 the AES-128 key, the last 16 encrypted once to make the 128-bit pad.
 * Bit i of the output is bit i of the input XOR the top bit of AES(first i input bits followed by
 * pad bits i..127); IPv4 is the 32-bit case (Fan's reference code), IPv6 the same rule over 128
 * bits (Yawning/cryptopan, yacryptopan, libanon). Both share the tree's top: the first 16 output
 * bits of every 16-bit prefix are one table built at init (65,535 AES blocks, about 10 ms).
 *
 * Caches (all direct-mapped, fixed size from init, no allocation afterwards): IPv4 results,
 * anonymized /24 prefixes (an IPv4 miss whose /24 is known costs 8 AES blocks, else 16) and
 * IPv6 results. One instance is one thread's (the caches are not shared).
 */
#ifndef OFD_SEG_CRYPTOPAN_H
#define OFD_SEG_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

struct ofd_cpan;

struct ofd_cpan_stats {
	uint64_t hits4, misses4, hits24, hits6, misses6;
};

/* A 32-byte key's text: exactly 32 characters taken as bytes (flowpipeline's and nfanon's
   string form), or "0x" and 64 hex digits (nfanon's -K hex form). 0, or -1 with the reason. */
int ofd_cpan_parse_key(const char *text, uint8_t key[32], char *why, size_t whylen);

/* A new instance; cache_entries (0 = no caches, else rounded up to a power of two, at most
   2^24) sizes the IPv4 cache; the /24 and IPv6 caches get a quarter each. NULL on failure
   (OpenSSL or memory), with the reason in why. */
struct ofd_cpan *ofd_cpan_new(const uint8_t key[32], uint32_t cache_entries, char *why, size_t whylen);
void ofd_cpan_free(struct ofd_cpan *c);

/* IPv4 (host order), through the caches. */
uint32_t ofd_cpan_anon4(struct ofd_cpan *c, uint32_t a);
/* IPv4 without any cache or table: 32 AES blocks, the textbook way (for tests and the bench). */
uint32_t ofd_cpan_anon4_plain(struct ofd_cpan *c, uint32_t a);
/* IPv6 (network order bytes), through the IPv6 cache; in and out may be the same. */
void ofd_cpan_anon6(struct ofd_cpan *c, const uint8_t in[16], uint8_t out[16]);

void ofd_cpan_get_stats(const struct ofd_cpan *c, struct ofd_cpan_stats *st);

#endif
