/*
 * anonymize (src/segments/enrich/anonymize.c, Crypto-PAn in cryptopan.c): every published
 * Crypto-PAn vector in ../shared/data/cryptopan-vectors.json (IPv4 and IPv6, all keys) through
 * the cached path, the cache-less path and the textbook 32-block path; flowpipeline's own
 * test values (its anonymize_test.go: modes cryptopan, subnet, all); v4-mapped records stay
 * v4-mapped; prefix preservation on random addresses; small caches with collisions; config
 * refusals (key length, fields). Run as the ctest seg_anonymize.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <string.h>

#include "segments/enrich/cryptopan.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_anonymize;

static void v4(struct ofd_ip *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, sizeof(*a));
	a->family = OFD_AF_INET;
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = x, a->b[13] = y, a->b[14] = z, a->b[15] = w;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		print_error("bad IPv4 %s\n", s);
		fail();
	}
	return ntohl(a.s_addr);
}

static void ip6(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET6, s, out) != 1) {
		print_error("bad IPv6 %s\n", s);
		fail();
	}
}

static void hexkey(const char *hex, uint8_t key[32])
{
	char buf[80];
	char why[200];
	assert_int_equal(strlen(hex), 64);
	snprintf(buf, sizeof(buf), "0x%s", hex);
	assert_int_equal(ofd_cpan_parse_key(buf, key, why, sizeof(why)), 0);
}

/* Check every [in, out] pair of arr with key; returns the number checked. */
static unsigned check_pairs(const uint8_t key[32], json_t *arr, int v6)
{
	char why[200];
	struct ofd_cpan *cached = ofd_cpan_new(key, 4096, why, sizeof(why));
	struct ofd_cpan *bare = ofd_cpan_new(key, 0, why, sizeof(why));
	assert_non_null(cached);
	assert_non_null(bare);
	size_t i;
	json_t *pair;
	unsigned n = 0;
	json_array_foreach(arr, i, pair)
	{
		const char *in = json_string_value(json_array_get(pair, 0));
		const char *want = json_string_value(json_array_get(pair, 1));
		assert_non_null(in);
		assert_non_null(want);
		if (!v6) {
			uint32_t a = ip4(in), w = ip4(want);
			for (int round = 0; round < 2; round++) /* a miss, then a hit */
				if (ofd_cpan_anon4(cached, a) != w) {
					print_error("key %02x..: %s -> %08x, want %s\n", key[0], in,
						    ofd_cpan_anon4(cached, a), want);
					fail();
				}
			assert_int_equal(ofd_cpan_anon4(bare, a), w);
			assert_int_equal(ofd_cpan_anon4_plain(bare, a), w);
		} else {
			uint8_t a[16], w[16], got[16];
			ip6(in, a);
			ip6(want, w);
			for (int round = 0; round < 2; round++) {
				ofd_cpan_anon6(cached, a, got);
				if (memcmp(got, w, 16) != 0) {
					char t[64];
					inet_ntop(AF_INET6, got, t, sizeof(t));
					print_error("key %02x..: %s -> %s, want %s\n", key[0], in, t, want);
					fail();
				}
			}
			ofd_cpan_anon6(bare, a, got);
			assert_memory_equal(got, w, 16);
		}
		n++;
	}
	ofd_cpan_free(cached);
	ofd_cpan_free(bare);
	return n;
}

static void test_vectors(void **state)
{
	(void)state;
	const char *path = st_data("cryptopan-vectors.json");
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		print_error("%s: %s\n", path, jerr.text);
		fail();
	}
	uint8_t key[32];
	hexkey(json_string_value(json_object_get(root, "key")), key);
	unsigned n4 = 0, n6 = 0;
	n4 += check_pairs(key, json_object_get(root, "pairs"), 0);
	n4 += check_pairs(key, json_object_get(json_object_get(root, "more_pairs"), "pairs"), 0);
	n6 += check_pairs(key, json_object_get(json_object_get(root, "ipv6"), "pairs"), 1);
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(root, "other_keys"), i, o)
	{
		hexkey(json_string_value(json_object_get(o, "key")), key);
		if (json_object_get(o, "ipv4_pairs"))
			n4 += check_pairs(key, json_object_get(o, "ipv4_pairs"), 0);
		if (json_object_get(o, "ipv6_pairs"))
			n6 += check_pairs(key, json_object_get(o, "ipv6_pairs"), 1);
	}
	/* the README's counts: 100 + 7 IPv4 and 5 IPv6 for the first key, 31 + 31 under other_keys */
	assert_int_equal(n4, 100 + 7 + 31);
	assert_int_equal(n6, 5 + 31);
	json_decref(root);
}

/* The Crypto-PAn reference key, in the ASCII form the segment's `key` takes when printable:
   here through the 0x form, as nfanon's -K. */
static const char ref_key_cfg[] =
    "{key: \"0x1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202\"}";

static void test_record_v4_v6(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_anonymize, ref_key_cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	struct ofd_flow *f = &b->flows[0];
	v4(&f->src_addr, 24, 5, 0, 80);	     /* -> 100.9.15.210 */
	v4(&f->dst_addr, 127, 0, 0, 1);	     /* -> 33.0.243.129 */
	v4(&f->sampler_address, 0, 0, 0, 0); /* -> 120.255.240.1 */
	struct ofd_flow *g = &b->flows[1];
	g->src_addr.family = OFD_AF_INET6;
	ip6("2001:db8::1", g->src_addr.b);
	g->dst_addr.family = OFD_AF_INET6;
	ip6("::1", g->dst_addr.b);
	ofd_harness_process(h, b);

	assert_int_equal(f->src_addr.family, OFD_AF_INET);
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	assert_memory_equal(f->src_addr.b, mapped, 12);
	assert_memory_equal(f->dst_addr.b, mapped, 12);
	assert_int_equal(f->src_addr.b[12], 100);
	assert_int_equal(f->src_addr.b[13], 9);
	assert_int_equal(f->src_addr.b[14], 15);
	assert_int_equal(f->src_addr.b[15], 210);
	assert_int_equal(f->dst_addr.b[12] << 24 | f->dst_addr.b[13] << 16 | f->dst_addr.b[14] << 8 |
			     f->dst_addr.b[15],
			 ip4("33.0.243.129"));
	assert_int_equal(f->sampler_address.b[12], 120);
	assert_int_equal(f->sampler_address.b[15], 1);
	assert_int_equal(f->next_hop.family, OFD_AF_NONE); /* unset stays unset */
	assert_int_equal(f->src_addr_anon, OFD_ANON_CRYPTOPAN);
	assert_true(ofd_flow_has(f, OFD_F_SRC_ADDR_ANON));
	assert_true(ofd_flow_has(f, OFD_F_SAMPLER_ADDR_ANON));
	assert_false(ofd_flow_has(f, OFD_F_NEXT_HOP_ANON));
	assert_false(ofd_flow_has(f, OFD_F_SRC_ADDR_PRESERVED_LEN)); /* Crypto-PAn cuts nothing */

	uint8_t w[16];
	ip6("4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e", w);
	assert_memory_equal(g->src_addr.b, w, 16);
	ip6("78ff:f001:9fc0:20df:8380:b1f1:704:ed", w);
	assert_memory_equal(g->dst_addr.b, w, 16);
	assert_int_equal(g->dst_addr.family, OFD_AF_INET6);

	assert_int_equal(ofd_harness_counter(h, "addresses"), 5);
	assert_int_equal(ofd_harness_counter(h, "unset"), 1 + 2); /* f's NextHop, g's sampler and NextHop */
	/* 0.0.0.0 is a hit: every cache slot starts out holding 0.0.0.0 and its image */
	assert_int_equal(ofd_harness_counter(h, "cache_misses"), 4);
	ofd_harness_free(h);
}

/* flowpipeline's anonymize_test.go, same key, addresses and expected values. */
static void fp_record(struct ofd_batch *b)
{
	struct ofd_flow *f = &b->flows[0];
	v4(&f->src_addr, 192, 168, 88, 142);
	v4(&f->dst_addr, 192, 168, 88, 123);
	v4(&f->next_hop, 193, 168, 88, 2);
}

static void assert_v4(const struct ofd_ip *a, const char *want)
{
	assert_int_equal(a->family, OFD_AF_INET);
	assert_int_equal((uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
			     a->b[15],
			 ip4(want));
}

static void test_flowpipeline_modes(void **state)
{
	(void)state;
	struct ofd_harness *h =
	    st_open(&ofd_seg_anonymize, "{key: ExampleKeyWithExactly32Character, "
					"fields: \"SrcAddr,DstAddr,NextHop\", mode: cryptopan}");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	fp_record(b);
	v4(&b->flows[0].sampler_address, 10, 0, 0, 1);
	ofd_harness_process(h, b);
	struct ofd_flow *f = &b->flows[0];
	assert_v4(&f->src_addr, "71.207.64.145");
	assert_v4(&f->dst_addr, "71.207.64.4");
	assert_v4(&f->next_hop, "70.87.71.154");
	assert_v4(&f->sampler_address, "10.0.0.1"); /* not in fields */
	assert_int_equal(f->next_hop_anon, OFD_ANON_CRYPTOPAN);
	assert_int_equal(f->sampler_addr_anon, OFD_ANON_NONE);
	assert_false(ofd_flow_has(f, OFD_F_SAMPLER_ADDR_ANON));
	ofd_harness_free(h);

	h = st_open(&ofd_seg_anonymize,
		    "{key: ExampleKeyWithExactly32Character, fields: \"SrcAddr,DstAddr,NextHop\", "
		    "mode: subnet, maskV4: 24, maskV6: 112}");
	b = ofd_harness_batch(h, 1);
	fp_record(b);
	ofd_harness_process(h, b);
	f = &b->flows[0];
	assert_v4(&f->src_addr, "192.168.88.0");
	assert_v4(&f->dst_addr, "192.168.88.0");
	assert_v4(&f->next_hop, "193.168.88.0");
	assert_int_equal(f->src_addr_preserved_len, 24);
	assert_int_equal(f->dst_addr_preserved_len, 24);
	assert_int_equal(f->next_hop_preserved_len, 24);
	assert_true(ofd_flow_has(f, OFD_F_NEXT_HOP_PRESERVED_LEN));
	assert_int_equal(f->src_addr_anon, OFD_ANON_SUBNET);
	assert_int_equal(f->sampler_addr_anon, OFD_ANON_NONE);
	ofd_harness_free(h);

	h = st_open(&ofd_seg_anonymize,
		    "{key: ExampleKeyWithExactly32Character, fields: \"SrcAddr,DstAddr,NextHop\", "
		    "mode: all, maskV4: 24, maskV6: 112}");
	b = ofd_harness_batch(h, 2);
	fp_record(b);
	/* an IPv6 address with a shorter earlier cut: 112 bits of it, and the earlier 100 kept */
	struct ofd_flow *g = &b->flows[1];
	g->src_addr.family = OFD_AF_INET6;
	ip6("2001:db8::1:2:3", g->src_addr.b);
	g->src_addr_preserved_len = 100;
	ofd_harness_process(h, b);
	f = &b->flows[0];
	assert_v4(&f->src_addr, "71.207.64.0");
	assert_v4(&f->dst_addr, "71.207.64.0");
	assert_v4(&f->next_hop, "70.87.71.0");
	assert_int_equal(f->dst_addr_preserved_len, 24);
	assert_int_equal(f->dst_addr_anon, OFD_ANON_BOTH);
	assert_int_equal(g->src_addr_preserved_len, 100);
	assert_int_equal(g->src_addr.b[14], 0);
	assert_int_equal(g->src_addr.b[15], 0);
	assert_int_equal(g->src_addr_anon, OFD_ANON_BOTH);
	ofd_harness_free(h);

	/* subnet needs no key; the default masks are flowpipeline's 16 and 52 */
	h = st_open(&ofd_seg_anonymize, "{mode: subnet}");
	b = ofd_harness_batch(h, 1);
	fp_record(b);
	ofd_harness_process(h, b);
	assert_v4(&b->flows[0].src_addr, "192.168.0.0");
	assert_int_equal(b->flows[0].src_addr_preserved_len, 16);
	assert_v4(&b->flows[0].next_hop, "193.168.0.0"); /* default fields: all four */
	ofd_harness_free(h);
}

static unsigned common_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8)))
			return i;
	return bits;
}

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint32_t next32(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Random pairs that share a random prefix share exactly as many bits after; small caches with
   collisions give what the textbook path gives. */
static void test_prefix_and_cache(void **state)
{
	(void)state;
	uint8_t key[32];
	char why[200];
	for (unsigned i = 0; i < 32; i++)
		key[i] = (uint8_t)next32();
	struct ofd_cpan *c = ofd_cpan_new(key, 64, why, sizeof(why));
	struct ofd_cpan *plain = ofd_cpan_new(key, 0, why, sizeof(why));
	assert_non_null(c);
	for (unsigned t = 0; t < 20000; t++) {
		uint32_t a = next32(), b = next32();
		unsigned n = next32() % 33;
		if (n < 32)
			b = (a & ~(~0u >> n)) | ((b ^ (0x80000000u >> n)) & (~0u >> n)); /* bit n differs */
		else
			b = a;
		if (t % 4 == 0)
			b = (a & 0xffffff00u) | (b & 0xff); /* /24 neighbours: the /24 cache */
		uint32_t x = ofd_cpan_anon4(c, a), y = ofd_cpan_anon4(c, b);
		assert_int_equal(x, ofd_cpan_anon4_plain(plain, a));
		assert_int_equal(y, ofd_cpan_anon4_plain(plain, b));
		uint8_t ab[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
		uint8_t bb[4] = {(uint8_t)(b >> 24), (uint8_t)(b >> 16), (uint8_t)(b >> 8), (uint8_t)b};
		uint8_t xb[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
		uint8_t yb[4] = {(uint8_t)(y >> 24), (uint8_t)(y >> 16), (uint8_t)(y >> 8), (uint8_t)y};
		assert_int_equal(common_prefix(ab, bb, 32), common_prefix(xb, yb, 32));
	}
	for (unsigned t = 0; t < 2000; t++) {
		uint8_t a[16], b[16], x[16], y[16], z[16];
		for (unsigned i = 0; i < 16; i++)
			a[i] = b[i] = (uint8_t)next32();
		unsigned n = next32() % 128;
		b[n / 8] ^= (uint8_t)(0x80 >> (n % 8));
		for (unsigned i = n / 8 + 1; i < 16; i++)
			b[i] = (uint8_t)next32();
		ofd_cpan_anon6(c, a, x);
		ofd_cpan_anon6(c, b, y);
		ofd_cpan_anon6(plain, a, z);
		assert_memory_equal(x, z, 16);
		assert_int_equal(common_prefix(x, y, 128), n);
	}
	struct ofd_cpan_stats st;
	ofd_cpan_get_stats(c, &st);
	assert_true(st.hits24 > 0);
	ofd_cpan_free(c);
	ofd_cpan_free(plain);
}

static void refused(const char *cfg, const char *why)
{
	struct ofd_harness *h;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_anonymize, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	if (!strstr(err, why)) {
		print_error("\"%s\" does not say \"%s\"\n", err, why);
		fail();
	}
}

static void test_refused(void **state)
{
	(void)state;
	refused("{key: \"a 31 character key for tests!!!\"}",
		"segment anonymize: key key: 31 characters; the key is 32 characters (32 bytes), or 0x and "
		"64 hex digits");
	refused("{key: \"a 33 character key for tests 1234\"}", "key key: 33 characters");
	refused("{mode: cryptopan}", "key key: missing");
	refused("{mode: all, maskV4: 24}", "key key: missing");
	refused("{key: \"0x1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a84220g\"}",
		"key key: not a hex digit at character 66");
	refused("{key: ExampleKeyWithExactly32Character, fields: \"SrcAddr,Proto\"}",
		"key fields: \"Proto\" is not an address field");
	refused("{key: ExampleKeyWithExactly32Character, fields: \"SrcAddr,,DstAddr\"}", "key fields: empty");
	refused("{mode: subnet, maskV4: 7}", "maskV4");
	refused("{mode: subnet, maskV6: 129}", "maskV6");
	refused("{key: ExampleKeyWithExactly32Character, mode: hash}", "mode");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_record_v4_v6),
	    cmocka_unit_test(test_flowpipeline_modes),
	    cmocka_unit_test(test_prefix_and_cache),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
