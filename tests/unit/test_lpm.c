/*
 * net/lpm: nested IPv4 and IPv6 prefixes (/0 to /32, /0 to /128), default routes and the
 * separation of the families (::ffff:0:0/96), first and last address of prefixes and the
 * addresses just outside, duplicates (the last added wins), invalid prefixes, the empty table,
 * values that collide with the internal miss marker, and randomized cross-checks of single and
 * batch lookups against a linear scan and a per-length reference (fixed-seed xorshift).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/lpm.h"

static struct ofd_ip ip(const char *s)
{
	struct ofd_ip a;
	assert_int_equal(ofd_ip_parse(&a, s), 0);
	return a;
}

static void add(struct ofd_lpm *t, const char *s, uint32_t v)
{
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, s), 0);
	assert_int_equal(ofd_lpm_add(t, &p, v), 0);
}

static struct ofd_lpm *table(const char *const *pfx, size_t n)
{
	struct ofd_lpm *t;
	assert_int_equal(ofd_lpm_new(&t), 0);
	for (size_t i = 0; i < n; i++)
		add(t, pfx[i], (uint32_t)(i + 1));
	assert_int_equal(ofd_lpm_freeze(t), 0);
	return t;
}

/* The value for s, or 0 for a miss; the batch lookup of one address must agree. */
static uint32_t get(const struct ofd_lpm *t, const char *s)
{
	struct ofd_ip a = ip(s);
	const struct ofd_ip *pa = &a;
	uint32_t v = 0, b = 7;
	int hit = ofd_lpm_lookup(t, &a, &v);
	assert_int_equal(ofd_lpm_lookup_batch(t, &pa, 1, &b, 0), (size_t)hit);
	assert_int_equal(b, hit ? v : 0);
	return hit ? v : 0;
}

static void test_nested_v4(void **state)
{
	(void)state;
	static const char *const p[] = {"0.0.0.0/0",   "10.0.0.0/8",  "10.1.0.0/16",
					"10.1.2.0/24", "10.1.2.3/32", "10.1.2.128/25"};
	struct ofd_lpm *t = table(p, 6);
	assert_int_equal(ofd_lpm_count(t), 6);
	assert_int_equal(get(t, "192.0.2.1"), 1);
	assert_int_equal(get(t, "10.200.0.1"), 2);
	assert_int_equal(get(t, "10.1.200.1"), 3);
	assert_int_equal(get(t, "10.1.2.4"), 4);
	assert_int_equal(get(t, "10.1.2.3"), 5);
	assert_int_equal(get(t, "10.1.2.200"), 6);
	assert_int_equal(get(t, "2001:db8::1"), 0); /* IPv4 prefixes never match IPv6 */
	assert_int_equal(get(t, "::10.1.2.3"), 0);  /* IPv4-compatible is not v4-mapped */
	ofd_lpm_free(t);
}

static void test_nested_v6(void **state)
{
	(void)state;
	static const char *const p[] = {"::/0",
					"2001::/16",
					"2001:db8::/32",
					"2001:db8:1::/48",
					"2001:db8:1:2::/64",
					"2001:db8:1:2:3:4::/96",
					"2001:db8:1:2:3:4:5:0/112",
					"2001:db8:1:2:3:4:5:6/127",
					"2001:db8:1:2:3:4:5:7/128"};
	struct ofd_lpm *t = table(p, 9);
	assert_int_equal(get(t, "3000::1"), 1);
	assert_int_equal(get(t, "2001:1::1"), 2);
	assert_int_equal(get(t, "2001:db8:2::1"), 3);
	assert_int_equal(get(t, "2001:db8:1:3::1"), 4);
	assert_int_equal(get(t, "2001:db8:1:2:ffff::"), 5);
	assert_int_equal(get(t, "2001:db8:1:2:3:4:6:0"), 6);
	assert_int_equal(get(t, "2001:db8:1:2:3:4:5:ff"), 7);
	assert_int_equal(get(t, "2001:db8:1:2:3:4:5:6"), 8);
	assert_int_equal(get(t, "2001:db8:1:2:3:4:5:7"), 9);
	assert_int_equal(get(t, "2001:db8:1:2:3:4:5:5"), 7);
	/* ::/0 contains ::ffff:0:0/96: with no IPv4 prefix, IPv4 addresses take it */
	assert_int_equal(get(t, "192.0.2.1"), 1);
	ofd_lpm_free(t);
}

static void test_families(void **state)
{
	(void)state;
	static const char *const only4[] = {"0.0.0.0/0"};
	struct ofd_lpm *t = table(only4, 1);
	assert_int_equal(get(t, "198.51.100.7"), 1);
	assert_int_equal(get(t, "::ffff:198.51.100.7"), 1);
	assert_int_equal(get(t, "2001:db8::7"), 0);
	assert_int_equal(get(t, "::"), 0);
	ofd_lpm_free(t);
	static const char *const both[] = {"::/0", "0.0.0.0/0", "::/1", "10.0.0.0/8"};
	t = table(both, 4);
	assert_int_equal(get(t, "198.51.100.7"), 2); /* 0.0.0.0/0 is /96: longer than ::/1 */
	assert_int_equal(get(t, "10.0.0.1"), 4);
	assert_int_equal(get(t, "2001:db8::7"), 3);
	assert_int_equal(get(t, "8000::"), 1);
	ofd_lpm_free(t);
	static const char *const wide[] = {"::/64", "::fffe:0:0/95", "ffff::/16"};
	t = table(wide, 3);
	assert_int_equal(get(t, "10.0.0.1"), 2); /* the longest IPv6 prefix over ::ffff:0:0/96 */
	assert_int_equal(get(t, "::1"), 1);
	assert_int_equal(get(t, "::1:0:0:0:1"), 0);
	ofd_lpm_free(t);
}

/* First and last address of prefixes that cross the 6-bit steps, and the neighbours outside. */
static void test_boundaries(void **state)
{
	(void)state;
	static const char *const p[] = {"172.16.0.0/12",	  "198.18.0.0/15",	"203.0.112.0/23",
					"192.0.2.128/25",	  "2001:db8:8000::/33", "2001:db8:fffe::/47",
					"2001:db8::8000:0:0:0/65"};
	struct ofd_lpm *t = table(p, 7);
	static const struct {
		const char *a;
		uint32_t v;
	} c[] = {
	    {"172.16.0.0", 1},
	    {"172.31.255.255", 1},
	    {"172.15.255.255", 0},
	    {"172.32.0.0", 0},
	    {"198.18.0.0", 2},
	    {"198.19.255.255", 2},
	    {"198.17.255.255", 0},
	    {"198.20.0.0", 0},
	    {"203.0.112.0", 3},
	    {"203.0.113.255", 3},
	    {"203.0.111.255", 0},
	    {"203.0.114.0", 0},
	    {"192.0.2.128", 4},
	    {"192.0.2.255", 4},
	    {"192.0.2.127", 0},
	    {"192.0.3.0", 0},
	    {"2001:db8:8000::", 5},
	    {"2001:db8:fffd:ffff:ffff:ffff:ffff:ffff", 5}, /* the /33's last is in the /47 */
	    {"2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", 0},
	    {"2001:db9::", 0},
	    {"2001:db8:fffe::", 6},
	    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 6},
	    {"2001:db9::", 0},
	    {"2001:db8::8000:0:0:0", 7},
	    {"2001:db8::ffff:ffff:ffff:ffff", 7},
	    {"2001:db8::7fff:ffff:ffff:ffff", 0},
	    {"2001:db8:0:1::", 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (get(t, c[i].a) != c[i].v)
			fail_msg("%s: %u, expected %u", c[i].a, get(t, c[i].a), c[i].v);
	ofd_lpm_free(t);
}

static void test_duplicates_invalid_empty(void **state)
{
	(void)state;
	struct ofd_lpm *t;
	assert_int_equal(ofd_lpm_new(&t), 0);
	add(t, "10.0.0.0/8", 1);
	add(t, "10.0.0.0/8", 2);
	add(t, "::ffff:10.0.0.0/104", 3); /* the same prefix written as IPv6 */
	add(t, "10.0.0.0/9", 4);
	add(t, "10.0.0.0/8", 5);
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, "192.0.2.0/24"), 0);
	p.addr.b[15] = 1; /* host bit */
	assert_int_equal(ofd_lpm_add(t, &p, 9), OFD_EFORMAT);
	p.addr.b[15] = 0;
	p.len = 129;
	assert_int_equal(ofd_lpm_add(t, &p, 9), OFD_EFORMAT);
	p.len = 95; /* an IPv4 family shorter than /96 */
	assert_int_equal(ofd_lpm_add(t, &p, 9), OFD_EFORMAT);
	assert_int_equal(get(t, "10.0.0.1"), 0); /* not frozen yet */
	assert_int_equal(ofd_lpm_freeze(t), 0);
	assert_int_equal(ofd_lpm_count(t), 2);
	assert_int_equal(get(t, "10.0.0.1"), 4);
	assert_int_equal(get(t, "10.128.0.1"), 5);
	assert_int_equal(get(t, "192.0.2.0"), 0);
	assert_int_equal(ofd_lpm_add(t, &p, 1), -EBUSY);
	assert_int_equal(ofd_lpm_freeze(t), -EBUSY);
	ofd_lpm_free(t);

	assert_int_equal(ofd_lpm_new(&t), 0);
	assert_int_equal(ofd_lpm_freeze(t), 0);
	assert_int_equal(ofd_lpm_count(t), 0);
	assert_int_equal(get(t, "10.0.0.1"), 0);
	assert_int_equal(get(t, "::"), 0);
	assert_true(ofd_lpm_memory(t) > 0);
	ofd_lpm_free(t);
	ofd_lpm_free(NULL);
}

/* Values 0, 1 and UINT32_MAX are values like any other. */
static void test_values(void **state)
{
	(void)state;
	struct ofd_lpm *t;
	assert_int_equal(ofd_lpm_new(&t), 0);
	add(t, "10.0.0.0/8", UINT32_MAX);
	add(t, "10.1.0.0/16", 0);
	add(t, "2001:db8::/32", 1);
	assert_int_equal(ofd_lpm_freeze(t), 0);
	uint32_t v = 5;
	struct ofd_ip a = ip("10.2.0.0"), b = ip("10.1.0.0"), c = ip("2001:db8::"), d = ip("11.0.0.0");
	assert_int_equal(ofd_lpm_lookup(t, &a, &v), 1);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(ofd_lpm_lookup(t, &b, &v), 1);
	assert_int_equal(v, 0);
	assert_int_equal(ofd_lpm_lookup(t, &c, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(ofd_lpm_lookup(t, &d, &v), 0);
	assert_int_equal(v, 1);
	const struct ofd_ip *all[4] = {&a, &b, &c, &d};
	uint32_t out[4];
	assert_int_equal(ofd_lpm_lookup_batch(t, all, 4, out, 2), 3);
	assert_int_equal(out[0], UINT32_MAX);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 1);
	assert_int_equal(out[3], 2);
	ofd_lpm_free(t);
}

/* ---- randomized cross-checks ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Clear the bits of a after len. */
static void mask_to(struct ofd_ip *a, unsigned len)
{
	for (unsigned bit = len; bit < 128; bit++)
		a->b[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

/*
 * A random prefix: a third nested inside an earlier one (so that prefixes nest deeply), the
 * rest fresh; IPv4 (v4-mapped, /8-/32) or IPv6 (/8-/128, mostly inside 2000::/4 and fd00::/8).
 */
static struct ofd_prefix random_prefix(const struct ofd_prefix *prev, size_t nprev, int v4share)
{
	struct ofd_prefix p;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < 16; i++)
		p.addr.b[i] = (uint8_t)xorshift();
	uint64_t r = xorshift();
	if (nprev > 0 && r % 3 == 0) {
		const struct ofd_prefix *up = &prev[(r >> 8) % nprev];
		unsigned len = up->len + (unsigned)((r >> 40) % (129 - up->len));
		for (unsigned bit = 0; bit < up->len; bit++) { /* up's bits, then random ones */
			uint8_t m = (uint8_t)(0x80u >> (bit % 8));
			p.addr.b[bit / 8] = (uint8_t)((p.addr.b[bit / 8] & ~m) | (up->addr.b[bit / 8] & m));
		}
		p.addr.family = up->addr.family;
		p.len = (uint8_t)len;
	} else if ((int)(r % 100) < v4share) {
		memset(p.addr.b, 0, 10);
		p.addr.b[10] = p.addr.b[11] = 0xff;
		p.addr.family = OFD_AF_INET;
		p.len = (uint8_t)(104 + (r >> 16) % 25);
	} else {
		p.addr.b[0] = (r >> 16) % 4 ? (uint8_t)(0x20 | (p.addr.b[0] & 0x0f)) : 0xfd;
		p.addr.family = OFD_AF_INET6;
		p.len = (uint8_t)(8 + (r >> 24) % 121);
	}
	mask_to(&p.addr, p.len);
	return p;
}

/* An address inside a random prefix of the list, or a random one near the same space. */
static struct ofd_ip random_addr(const struct ofd_prefix *l, size_t n)
{
	struct ofd_ip a;
	for (int i = 0; i < 16; i++)
		a.b[i] = (uint8_t)xorshift();
	uint64_t r = xorshift();
	const struct ofd_prefix *p = &l[r % n];
	unsigned keep = (r >> 32) % 2 ? p->len : (unsigned)((r >> 40) % (p->len + 1u));
	for (unsigned bit = 0; bit < keep; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));
		a.b[bit / 8] = (uint8_t)((a.b[bit / 8] & ~m) | (p->addr.b[bit / 8] & m));
	}
	a.family = ofd_ip_is_v4mapped(&a) ? OFD_AF_INET : OFD_AF_INET6;
	return a;
}

struct ref { /* prefixes sorted by (len, address), the last duplicate kept */
	struct ofd_prefix p;
	uint32_t v;
	uint32_t seq;
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref *a = pa, *b = pb;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	int c = memcmp(a->p.addr.b, b->p.addr.b, 16);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The reference by scanning every prefix: the longest match, the last added among equals. */
static int linear(const struct ref *r, size_t n, const struct ofd_ip *a, uint32_t *v)
{
	int best = -1;
	for (size_t i = 0; i < n; i++)
		if ((int)r[i].p.len >= best && ofd_prefix_match(&r[i].p, a))
			best = r[i].p.len, *v = r[i].v;
	return best >= 0;
}

/* The reference by length, longest first: a binary search among the prefixes of each length. */
static int by_length(const struct ref *r, size_t n, const size_t *start, const struct ofd_ip *a, uint32_t *v)
{
	for (int len = 128; len >= 0; len--) {
		size_t lo = start[len], hi = start[len + 1];
		struct ofd_ip m = *a;
		mask_to(&m, (unsigned)len);
		while (lo < hi) { /* the last of the equal ones */
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(r[mid].p.addr.b, m.b, 16) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > start[len] && memcmp(r[lo - 1].p.addr.b, m.b, 16) == 0) {
			*v = r[lo - 1].v;
			return 1;
		}
	}
	(void)n;
	return 0;
}

static void cross_check(size_t nprefix, size_t naddr, size_t nlinear, int v4share)
{
	struct ofd_prefix *l = malloc(nprefix * sizeof(*l));
	struct ref *r = malloc(nprefix * sizeof(*r));
	struct ofd_ip *a = malloc(naddr * sizeof(*a));
	const struct ofd_ip **pa = malloc(naddr * sizeof(*pa));
	uint32_t *out = malloc(naddr * sizeof(*out));
	size_t start[130] = {0};
	assert_non_null(l);
	assert_non_null(r);
	assert_non_null(a);
	assert_non_null(pa);
	assert_non_null(out);
	struct ofd_lpm *t;
	assert_int_equal(ofd_lpm_new(&t), 0);
	for (size_t i = 0; i < nprefix; i++) {
		l[i] = i > 0 && xorshift() % 50 == 0 ? l[xorshift() % i] : random_prefix(l, i, v4share);
		uint32_t v = (uint32_t)xorshift();
		assert_int_equal(ofd_lpm_add(t, &l[i], v), 0);
		r[i] = (struct ref){l[i], v, (uint32_t)i};
		start[l[i].len + 1]++;
	}
	assert_int_equal(ofd_lpm_freeze(t), 0);
	qsort(r, nprefix, sizeof(*r), ref_cmp);
	for (int len = 1; len < 130; len++)
		start[len] += start[len - 1];
	size_t hits = 0;
	for (size_t i = 0; i < naddr; i++) {
		a[i] = random_addr(l, nprefix);
		pa[i] = &a[i];
		uint32_t want = 0, got = 0, lin = 0;
		int hw = by_length(r, nprefix, start, &a[i], &want);
		if (i < nlinear) {
			int hl = linear(r, nprefix, &a[i], &lin);
			assert_int_equal(hl, hw);
			assert_int_equal(lin, want);
		}
		int hg = ofd_lpm_lookup(t, &a[i], &got);
		if (hg != hw || (hw && got != want)) {
			char s[OFD_IP_STRLEN];
			ofd_ip_str(&a[i], s);
			fail_msg("%s: hit %d value %u, expected hit %d value %u", s, hg, got, hw, want);
		}
		hits += (size_t)hw;
	}
	assert_int_equal(ofd_lpm_lookup_batch(t, pa, naddr, out, 0xdeadbeef), hits);
	for (size_t i = 0; i < naddr; i++) {
		uint32_t v = 0xdeadbeef;
		(void)ofd_lpm_lookup(t, &a[i], &v);
		assert_int_equal(out[i], v);
	}
	if (naddr >= 10000) /* both hits and misses tested */
		assert_true(hits > naddr / 4 && naddr - hits > naddr / 20);
	ofd_lpm_free(t);
	free(l);
	free(r);
	free(a);
	free(pa);
	free(out);
}

static void test_random_small(void **state)
{
	(void)state;
	rng = 0x2545f4914f6cdd1dull;
	for (int round = 0; round < 50; round++)
		cross_check(1 + (size_t)round * 7, 2000, 2000, 50);
}

static void test_random_20k(void **state)
{
	(void)state;
	rng = 0x9e3779b97f4a7c15ull;
	cross_check(20000, 200000, 5000, 50);
}

static void test_random_v4_large(void **state)
{
	(void)state;
	rng = 0xd1b54a32d192ed03ull;
	cross_check(80000, 50000, 500, 100); /* over 2^16 IPv4 prefixes: the 18-bit root */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nested_v4),
	    cmocka_unit_test(test_nested_v6),
	    cmocka_unit_test(test_families),
	    cmocka_unit_test(test_boundaries),
	    cmocka_unit_test(test_duplicates_invalid_empty),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_random_small),
	    cmocka_unit_test(test_random_20k),
	    cmocka_unit_test(test_random_v4_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
