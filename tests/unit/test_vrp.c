/*
 * net/vrp and net/vrp_load: the RFC 6811 answers of data/README.md on vrps-sample.json, the
 * rpki-client -j variant and the same VRPs as rpki-client CSV (identical answers); nested VRPs
 * (a /16 with maxLength 24 and a /24 both covering a /24 route) and a randomized cross-check
 * against a linear RFC 6811 reference; the family separation; hostile files (not JSON with its
 * line, no "roas", bad entries counted with the index of the first, expired ROAs, the size
 * bound, CSV junk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/vrp.h"
#include "net/vrp_load.h"
#include "vrp_oracle.h"

static const char *data(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("OFD_DATA");
	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "../../shared/data", name);
	return buf;
}

static struct ofd_vrpset *load(const char *path, int64_t now, struct ofd_vrp_load_stats *st)
{
	struct ofd_vrpset *s = NULL;
	int rc = ofd_vrp_load_file(path, OFD_VRP_FILE_MAX, now, &s, st);
	if (rc)
		fail_msg("%s: %d %s line %d", path, rc, st->error, st->line);
	return s;
}

static void sample_routinator(void **state)
{
	(void)state;
	struct ofd_vrp_load_stats st;
	struct ofd_vrpset *s = load(data("vrps-sample.json"), 1700000000, &st);
	assert_int_equal(st.format, OFD_VRP_FMT_ROAS_JSON);
	assert_int_equal(st.entries, 6);
	assert_int_equal(st.loaded, 6);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.expired, 0);
	assert_int_equal(ofd_vrpset_count(s), 6);
	assert_true(ofd_vrpset_memory(s) > 0);
	assert_int_equal(vrp_check_sample(s), 21);
	ofd_vrpset_free(s);
}

static void sample_rpki_client(void **state)
{
	(void)state;
	struct ofd_vrp_load_stats st;
	struct ofd_vrpset *s = load(data("vrps-sample-rpki-client.json"), 1700000000, &st);
	assert_int_equal(st.format, OFD_VRP_FMT_RPKI_CLIENT_JSON);
	assert_int_equal(st.entries, 6);
	assert_int_equal(st.loaded, 6);
	assert_int_equal(ofd_vrpset_count(s), 6);
	vrp_check_sample(s);
	ofd_vrpset_free(s);
	/* after 2030-01-01 every ROA has expired: all dropped, counted, the set empty */
	s = load(data("vrps-sample-rpki-client.json"), 1893456000, &st);
	assert_int_equal(st.expired, 6);
	assert_int_equal(st.loaded, 0);
	assert_int_equal(ofd_vrpset_count(s), 0);
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, "192.0.2.0/24"), 0);
	assert_int_equal(ofd_vrpset_validate(s, &p, 64496), OFD_RPKI_NOTFOUND);
	ofd_vrpset_free(s);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void sample_csv(void **state)
{
	(void)state;
	char path[] = "/tmp/ofd-vrp-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "ASN,IP Prefix,Max Length,Trust Anchor,Expires\n"
			 "AS64496,192.0.2.0/24,24,test,1893456000\n"
			 "AS64510,198.51.100.0/24,24,test,1893456000\r\n"
			 "AS64511,198.51.100.0/24,24,test,1893456000\n"
			 "AS64498,203.0.113.0/25,25,test,1893456000\n"
			 "AS64496,2001:db8::/32,48,test,1893456000\n"
			 "AS0,3fff:0:0:ff00::/56,56,test,1893456000\n"
			 "AS64496,192.0.2.0/24,33,test,1893456000\n"
			 "ASx,192.0.2.0/24,24,test,1\n"
			 "AS1,192.0.2.0/24,24,test,1000\n"
			 "AS1,192.0.2.0/24\n");
	struct ofd_vrp_load_stats st;
	struct ofd_vrpset *s = load(path, 2000, &st);
	assert_int_equal(st.format, OFD_VRP_FMT_CSV);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.loaded, 6);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.bad, 3);
	assert_int_equal(st.first_bad_index, 8); /* line 8: maxLength 33 */
	assert_string_equal(st.first_bad, "maxLength below the prefix length or over 32/128");
	vrp_check_sample(s);
	ofd_vrpset_free(s);
	unlink(path);
}

/* the JSON text refused: OFD_EFORMAT with the reason and line */
static void refused(const char *text, const char *why, int line)
{
	struct ofd_vrpset *s;
	assert_int_equal(ofd_vrpset_new(&s), 0);
	struct ofd_vrp_load_stats st;
	int rc = ofd_vrp_load_buf(s, text, strlen(text), 0, &st);
	if (rc != OFD_EFORMAT)
		fail_msg("accepted: %s", text);
	if (!strstr(st.error, why))
		fail_msg("%s: error '%s', wanted '%s'", text, st.error, why);
	if (line && st.line != line)
		fail_msg("%s: line %d, wanted %d", text, st.line, line);
	ofd_vrpset_free(s);
}

static void hostile_whole_file(void **state)
{
	(void)state;
	refused("", "neither JSON nor", 1);
	refused("hello", "neither JSON nor", 1);
	refused("[]", "not a JSON object", 1);
	refused("{}", "no \"roas\" array", 1);
	refused("{\"foo\": [1,2,3]}", "no \"roas\" array", 1);
	refused("{\"roas\": {}}", "not an array", 1);
	refused("{\"roas\": [], \"roas\": []}", "given twice", 1);
	refused("{\n\"roas\": [\n{\"asn\": \"AS1\", \"prefix\": \"10.0.0.0/8\", \"maxLength\": "
		"8},\n{\"asn\": tru }\n]}",
		"not JSON", 4);
	refused("{\n\n\"roas\": [\n]\n}\nx", "after the top-level object", 6);
	refused("{\"roas\": [", "not JSON", 1);
	refused("{\"roas\": [{}", "',' or ']' expected", 1);
	refused("{\"roas\" 5}", "':' expected", 1);
	refused("{\"metadata\": {\"a\": [1, 2, {\"b\": \"c\"}]}, \"roas\": []", "',' or '}' expected", 1);
	/* a nesting bomb: jansson's depth bound, not our stack */
	char *bomb = malloc(200010);
	assert_non_null(bomb);
	memcpy(bomb, "{\"x\":", 5);
	memset(bomb + 5, '[', 200000);
	bomb[200005] = 0;
	refused(bomb, "not JSON", 1);
	free(bomb);
}

static void hostile_entries(void **state)
{
	(void)state;
	const char *text =
	    "{\"metadata\": {\"buildtime\": \"x\"}, \"roas\": [\n"
	    " {\"asn\": 64496, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24, \"expires\": 3000},\n"
	    " {\"asn\": \"ASX\", \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24},\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"192.0.2.0/24\", \"maxLength\": 23},\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"192.0.2.0/24\", \"maxLength\": 33},\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"2001:db8::/32\", \"maxLength\": 129},\n"
	    " [1],\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"192.0.2.0/24\"},\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"192.0.2.1/24\", \"maxLength\": 24},\n"
	    " {\"asn\": 4294967296, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24},\n"
	    " {\"asn\": \"AS4294967296\", \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24},\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"::ffff:192.0.2.0/120\", \"maxLength\": 120},\n"
	    " {\"asn\": \"AS1\", \"prefix\": 5, \"maxLength\": 24},\n"
	    " {\"asn\": \"AS1\", \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24, \"expires\": \"soon\"},\n"
	    " {\"asn\": \"AS7\", \"prefix\": \"10.0.0.0/8\", \"maxLength\": 8, \"expires\": 1000},\n"
	    " {\"asn\": \"AS4294967295\", \"prefix\": \"2001:db8::/32\", \"maxLength\": 128, \"ta\": \"x\"}\n"
	    "], \"bgpsec_keys\": [], \"provider_authorizations\": {\"ipv4\": [], \"ipv6\": []}}\n";
	struct ofd_vrpset *s;
	assert_int_equal(ofd_vrpset_new(&s), 0);
	struct ofd_vrp_load_stats st;
	assert_int_equal(ofd_vrp_load_buf(s, text, strlen(text), 2000, &st), 0);
	assert_int_equal(st.format, OFD_VRP_FMT_RPKI_CLIENT_JSON);
	assert_int_equal(st.entries, 15);
	assert_int_equal(st.loaded, 2);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.bad, 12);
	assert_int_equal(st.first_bad_index, 1);
	assert_string_equal(st.first_bad, "asn missing or not AS<number>");
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	assert_int_equal(ofd_vrpset_count(s), 2);
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, "192.0.2.0/24"), 0);
	assert_int_equal(ofd_vrpset_validate(s, &p, 64496), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &p, 1), OFD_RPKI_INVALID);
	assert_int_equal(ofd_prefix_parse(&p, "10.0.0.0/8"), 0);
	assert_int_equal(ofd_vrpset_validate(s, &p, 7), OFD_RPKI_NOTFOUND); /* expired */
	assert_int_equal(ofd_prefix_parse(&p, "2001:db8:1:2:3:4:5:6/128"), 0);
	assert_int_equal(ofd_vrpset_validate(s, &p, 4294967295u), OFD_RPKI_VALID);
	/* frozen: adding refused */
	struct ofd_vrp v;
	assert_int_equal(ofd_vrp_make(&v, &p, 128, 1), 0);
	assert_int_equal(ofd_vrpset_add(s, &v), -EBUSY);
	assert_int_equal(ofd_vrp_load_buf(s, text, strlen(text), 0, &st), -EBUSY);
	ofd_vrpset_free(s);
}

/* other top-level keys of any JSON type are skipped, before and after "roas" */
static void other_keys(void **state)
{
	(void)state;
	const char *text =
	    "  {\"x\": 5, \"y\": \"s\", \"z\": null, \"n\": -1.5e3, \"roas\": [ {\"asn\": \"AS5\", "
	    "\"prefix\": \"10.0.0.0/8\", \"maxLength\": 9} ] , \"w\": true, \"v\": 12}  \n";
	struct ofd_vrpset *s;
	assert_int_equal(ofd_vrpset_new(&s), 0);
	struct ofd_vrp_load_stats st;
	assert_int_equal(ofd_vrp_load_buf(s, text, strlen(text), 0, &st), 0);
	assert_int_equal(st.format, OFD_VRP_FMT_ROAS_JSON);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, "10.128.0.0/9"), 0);
	assert_int_equal(ofd_vrpset_validate(s, &p, 5), OFD_RPKI_VALID);
	ofd_vrpset_free(s);
	/* Routinator's metadata is not rpki-client's */
	assert_int_equal(ofd_vrpset_new(&s), 0);
	const char *rt =
	    "{\"metadata\": {\"generated\": 1626853335, \"generatedTime\": \"2021-07-21T07:42:15Z\"}, "
	    "\"roas\": [{\"asn\": \"AS13335\", \"prefix\": \"1.0.0.0/24\", \"maxLength\": 24, \"ta\": "
	    "\"apnic\"}]}";
	assert_int_equal(ofd_vrp_load_buf(s, rt, strlen(rt), 0, &st), 0);
	assert_int_equal(st.format, OFD_VRP_FMT_ROAS_JSON);
	assert_int_equal(st.loaded, 1);
	ofd_vrpset_free(s);
	/* an empty "roas": fine, nothing loaded */
	assert_int_equal(ofd_vrpset_new(&s), 0);
	assert_int_equal(ofd_vrp_load_buf(s, "{\"roas\":[]}", 11, 0, &st), 0);
	assert_int_equal(st.entries, 0);
	ofd_vrpset_free(s);
}

static void size_bound(void **state)
{
	(void)state;
	struct ofd_vrpset *s = NULL;
	struct ofd_vrp_load_stats st;
	assert_int_equal(ofd_vrp_load_file(data("vrps-sample.json"), 100, 0, &s, &st), OFD_ELIMIT);
	assert_null(s);
	assert_int_equal(ofd_vrp_load_file("/nonexistent/vrps.json", 100, 0, &s, &st), -ENOENT);
	assert_int_equal(ofd_vrp_load_file("/tmp", 1000, 0, &s, &st), OFD_EFORMAT);
}

static struct ofd_prefix pfx(const char *s)
{
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, s), 0);
	return p;
}

static void add(struct ofd_vrpset *s, const char *prefix, unsigned maxlength, uint32_t asn)
{
	struct ofd_prefix p = pfx(prefix);
	struct ofd_vrp v;
	assert_int_equal(ofd_vrp_make(&v, &p, maxlength, asn), 0);
	assert_int_equal(ofd_vrpset_add(s, &v), 0);
}

static void nested(void **state)
{
	(void)state;
	struct ofd_vrpset *s;
	assert_int_equal(ofd_vrpset_new(&s), 0);
	add(s, "10.0.0.0/16", 24, 1);
	add(s, "10.0.1.0/24", 24, 2);
	add(s, "10.0.1.0/24", 24, 2); /* a duplicate: merged */
	add(s, "10.0.1.128/25", 32, 3);
	add(s, "0.0.0.0/0", 0, 9);
	add(s, "::/0", 128, 5); /* covers every IPv6 route, never an IPv4 one */
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	assert_int_equal(ofd_vrpset_count(s), 5);
	struct ofd_prefix r = pfx("10.0.1.0/24");
	assert_int_equal(ofd_vrpset_validate(s, &r, 1), OFD_RPKI_VALID); /* by the /16 */
	assert_int_equal(ofd_vrpset_validate(s, &r, 2), OFD_RPKI_VALID); /* by the /24 */
	assert_int_equal(ofd_vrpset_validate(s, &r, 3), OFD_RPKI_INVALID);
	r = pfx("10.0.1.128/25");
	assert_int_equal(ofd_vrpset_validate(s, &r, 1), OFD_RPKI_INVALID); /* /25 > 24 */
	assert_int_equal(ofd_vrpset_validate(s, &r, 3), OFD_RPKI_VALID);
	r = pfx("10.0.1.129/32");
	assert_int_equal(ofd_vrpset_validate(s, &r, 3), OFD_RPKI_VALID);
	r = pfx("10.0.0.0/15"); /* only 0/0 covers it */
	assert_int_equal(ofd_vrpset_validate(s, &r, 1), OFD_RPKI_INVALID);
	r = pfx("0.0.0.0/0");
	assert_int_equal(ofd_vrpset_validate(s, &r, 9), OFD_RPKI_VALID);
	r = pfx("2001:db8::/32");
	assert_int_equal(ofd_vrpset_validate(s, &r, 5), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &r, 9), OFD_RPKI_INVALID);
	ofd_vrpset_free(s);

	/* without 0.0.0.0/0, ::/0 does not cover IPv4 */
	assert_int_equal(ofd_vrpset_new(&s), 0);
	add(s, "::/0", 128, 5);
	add(s, "::/8", 128, 6);
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	r = pfx("192.0.2.0/24");
	assert_int_equal(ofd_vrpset_validate(s, &r, 5), OFD_RPKI_NOTFOUND);
	assert_int_equal(ofd_vrpset_validate(s, &r, 6), OFD_RPKI_NOTFOUND);
	ofd_vrpset_free(s);

	/* ofd_vrp_make's bounds */
	struct ofd_vrp v;
	struct ofd_prefix p = pfx("192.0.2.0/24");
	assert_int_equal(ofd_vrp_make(&v, &p, 23, 1), OFD_EFORMAT);
	assert_int_equal(ofd_vrp_make(&v, &p, 33, 1), OFD_EFORMAT);
	assert_int_equal(ofd_vrp_make(&v, &p, 32, 1), 0);
	assert_int_equal(v.maxlen, 128);
	p = pfx("2001:db8::/32");
	assert_int_equal(ofd_vrp_make(&v, &p, 129, 1), OFD_EFORMAT);
	assert_int_equal(ofd_vrp_make(&v, &p, 31, 1), OFD_EFORMAT);

	/* more origins for one prefix than a node holds inline: still exact */
	assert_int_equal(ofd_vrpset_new(&s), 0);
	for (uint32_t a = 1; a <= 70000; a++)
		add(s, "192.0.2.0/24", 24, a);
	add(s, "192.0.0.0/16", 24, 70001);
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	assert_int_equal(ofd_vrpset_count(s), 70001);
	r = pfx("192.0.2.0/24");
	assert_int_equal(ofd_vrpset_validate(s, &r, 1), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &r, 65536), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &r, 65537), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &r, 70000), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &r, 70001), OFD_RPKI_VALID);
	assert_int_equal(ofd_vrpset_validate(s, &r, 70002), OFD_RPKI_INVALID);
	ofd_vrpset_free(s);

	/* the empty set, and an unfrozen one */
	assert_int_equal(ofd_vrpset_new(&s), 0);
	r = pfx("192.0.2.0/24");
	assert_int_equal(ofd_vrpset_validate(s, &r, 1), OFD_RPKI_NOTFOUND);
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	assert_int_equal(ofd_vrpset_freeze(s), -EBUSY);
	assert_int_equal(ofd_vrpset_validate(s, &r, 1), OFD_RPKI_NOTFOUND);
	ofd_vrpset_free(s);
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

struct rv {
	uint32_t addr;
	unsigned len, maxlen;
	uint32_t asn;
};

static enum ofd_rpki reference(const struct rv *v, size_t n, uint32_t addr, unsigned len, uint32_t origin)
{
	int covered = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t mask = v[i].len ? ~0u << (32 - v[i].len) : 0;
		if (v[i].len > len || (addr & mask) != v[i].addr)
			continue;
		covered = 1;
		if (origin && v[i].asn == origin && len <= v[i].maxlen)
			return OFD_RPKI_VALID;
	}
	return covered ? OFD_RPKI_INVALID : OFD_RPKI_NOTFOUND;
}

static struct ofd_prefix v4(uint32_t a, unsigned len)
{
	char buf[40];
	snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, len);
	return pfx(buf);
}

static void random_cross_check(void **state)
{
	(void)state;
	enum { N = 3000, Q = 30000 };
	static struct rv v[N];
	struct ofd_vrpset *s;
	assert_int_equal(ofd_vrpset_new(&s), 0);
	for (size_t i = 0; i < N; i++) {
		/* a small space (10.0.0.0/12) so that VRPs nest and collide */
		unsigned len = 12 + rnd() % 13;
		uint32_t addr = (0x0a000000u | (rnd() & 0x000fffffu)) & (~0u << (32 - len));
		v[i] = (struct rv){addr, len, len + rnd() % (33 - len), rnd() % 8};
		struct ofd_prefix p = v4(addr, len);
		struct ofd_vrp x;
		assert_int_equal(ofd_vrp_make(&x, &p, v[i].maxlen, v[i].asn), 0);
		assert_int_equal(ofd_vrpset_add(s, &x), 0);
	}
	assert_int_equal(ofd_vrpset_freeze(s), 0);
	size_t counts[4] = {0};
	static struct ofd_prefix qp[Q];
	static const struct ofd_prefix *qptr[Q];
	static uint32_t qo[Q];
	static uint8_t want_[Q], batch[Q];
	for (size_t q = 0; q < Q; q++) {
		unsigned len = 10 + rnd() % 23;
		uint32_t addr = (0x0a000000u | (rnd() & 0x001fffffu)) & (~0u << (32 - len));
		uint32_t origin = rnd() % 9;
		struct ofd_prefix p = v4(addr, len);
		enum ofd_rpki want = reference(v, N, addr, len, origin);
		enum ofd_rpki got = ofd_vrpset_validate(s, &p, origin);
		if (got != want)
			fail_msg("%08x/%u AS%u: got %d want %d", addr, len, origin, (int)got, (int)want);
		counts[want]++;
		qp[q] = p;
		qptr[q] = &qp[q];
		qo[q] = origin;
		want_[q] = (uint8_t)want;
	}
	/* the batch form gives the same answers (several batches and a partial one) */
	ofd_vrpset_validate_batch(s, qptr, qo, Q, batch);
	assert_memory_equal(batch, want_, Q);
	/* every state was exercised */
	assert_true(counts[OFD_RPKI_VALID] > 100);
	assert_true(counts[OFD_RPKI_INVALID] > 100);
	assert_true(counts[OFD_RPKI_NOTFOUND] > 100);
	ofd_vrpset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sample_routinator),  cmocka_unit_test(sample_rpki_client),
	    cmocka_unit_test(sample_csv),	  cmocka_unit_test(hostile_whole_file),
	    cmocka_unit_test(hostile_entries),	  cmocka_unit_test(size_bound),
	    cmocka_unit_test(other_keys),	  cmocka_unit_test(nested),
	    cmocka_unit_test(random_cross_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
