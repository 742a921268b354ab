/*
 * geolocation (src/segments/enrich/geolocation.c): countries from MaxMind's GeoIP2 Country and
 * City test databases (../shared/data, facts in its README), the remote side only or both
 * sides, dropunmatched, the cache, SIGHUP reload, and every answer against mmdblookup (Debian
 * mmdb-bin) on the same addresses, IPv4 and IPv6, hits and misses, cached and not. Truncated
 * and foreign files are refused at start with the reason. Run as the ctest seg_geolocation.
 */
#include <dlfcn.h>
#include <maxminddb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/log.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_geolocation;

#define COUNTRY "GeoIP2-Country-Test.mmdb"
#define CITY	"GeoIP2-City-Test.mmdb"

static struct ofd_harness *geo(const char *file, const char *more)
{
	char cfg[1400];
	snprintf(cfg, sizeof(cfg), "{filename: \"%s\"%s%s}", file, more ? ", " : "", more ? more : "");
	return st_open(&ofd_seg_geolocation, cfg);
}

static void set_ip(struct ofd_ip *ip, const char *s)
{
	if (ofd_ip_parse(ip, s) != 0)
		fail_msg("bad address %s", s);
}

/* "GB", or "" when the field is not set. */
static const char *cc(const struct ofd_flow *f, enum ofd_field id)
{
	static char out[4][3];
	static int k;
	char *o = out[k++ & 3];
	const char *c = id == OFD_F_SRC_COUNTRY	  ? f->src_country
			: id == OFD_F_DST_COUNTRY ? f->dst_country
						  : f->remote_country;
	if (!ofd_flow_has(f, id)) {
		o[0] = 0;
		return o;
	}
	o[0] = c[0];
	o[1] = c[1];
	o[2] = 0;
	return o;
}

struct pair {
	const char *src, *dst, *src_cc, *dst_cc;
};

static const struct pair pairs[] = {
    {"81.2.69.160", "89.160.20.112", "GB", "SE"},
    {"216.160.83.56", "175.16.199.0", "US", "CN"},
    {"2001:218::1", "1.1.1.1", "JP", ""},
    {"67.43.156.1", "214.1.1.1", "BT", ""}, /* the country, not the registered one; no country */
    {"1.1.1.1", "::1", "", ""},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

static void test_matchboth(void **state)
{
	(void)state;
	struct ofd_harness *h = geo(st_data(COUNTRY), "matchboth: true");
	struct ofd_batch *b = ofd_harness_batch(h, NPAIRS);
	for (size_t i = 0; i < NPAIRS; i++) {
		set_ip(&b->flows[i].src_addr, pairs[i].src);
		set_ip(&b->flows[i].dst_addr, pairs[i].dst);
	}
	b->flows[1].remote_addr = OFD_REMOTE_DST;
	ofd_flow_set(&b->flows[1], OFD_F_REMOTE_ADDR);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), NPAIRS);
	for (size_t i = 0; i < NPAIRS; i++) {
		assert_string_equal(cc(&b->flows[i], OFD_F_SRC_COUNTRY), pairs[i].src_cc);
		assert_string_equal(cc(&b->flows[i], OFD_F_DST_COUNTRY), pairs[i].dst_cc);
	}
	/* RemoteCountry only where RemoteAddr says which side */
	assert_string_equal(cc(&b->flows[1], OFD_F_REMOTE_COUNTRY), "CN");
	assert_string_equal(cc(&b->flows[0], OFD_F_REMOTE_COUNTRY), "");
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 4);
	assert_int_equal(ofd_harness_counter(h, "dropped_unmatched"), 0);
	assert_int_equal(ofd_harness_counter(h, "lookups"), 9); /* 1.1.1.1 twice: cached */
	assert_int_equal(ofd_harness_counter(h, "cache_hits"), 1);
	ofd_harness_free(h);
}

/* Without matchboth: the remote side only, into RemoteCountry; no RemoteAddr, no lookup. */
static void test_remote(void **state)
{
	(void)state;
	for (int drop = 0; drop < 2; drop++) {
		struct ofd_harness *h = geo(st_data(COUNTRY), drop ? "dropunmatched: true" : NULL);
		struct ofd_batch *b = ofd_harness_batch(h, 5);
		static const unsigned ra[5] = {OFD_REMOTE_SRC, OFD_REMOTE_DST, 0, OFD_REMOTE_DST,
					       OFD_REMOTE_SRC};
		for (int i = 0; i < 4; i++) {
			set_ip(&b->flows[i].src_addr, pairs[i].src);
			set_ip(&b->flows[i].dst_addr, pairs[i].dst);
			if (ra[i]) {
				b->flows[i].remote_addr = (uint8_t)ra[i];
				ofd_flow_set(&b->flows[i], OFD_F_REMOTE_ADDR);
			}
		}
		/* RemoteAddr 1 on a record whose source has no address */
		set_ip(&b->flows[4].dst_addr, "81.2.69.160");
		b->flows[4].remote_addr = OFD_REMOTE_SRC;
		ofd_flow_set(&b->flows[4], OFD_F_REMOTE_ADDR);
		ofd_harness_process(h, b);
		assert_string_equal(cc(&b->flows[0], OFD_F_REMOTE_COUNTRY), "GB");
		assert_string_equal(cc(&b->flows[1], OFD_F_REMOTE_COUNTRY), "CN");
		assert_string_equal(cc(&b->flows[2], OFD_F_REMOTE_COUNTRY), "");
		assert_string_equal(cc(&b->flows[3], OFD_F_REMOTE_COUNTRY), ""); /* 214.1.1.1: no country */
		for (int i = 0; i < 5; i++) {
			assert_false(ofd_flow_has(&b->flows[i], OFD_F_SRC_COUNTRY));
			assert_false(ofd_flow_has(&b->flows[i], OFD_F_DST_COUNTRY));
		}
		assert_true(ofd_batch_is_live(b, 0));
		assert_true(ofd_batch_is_live(b, 1));
		assert_int_equal(ofd_batch_is_live(b, 2) != 0, !drop);
		assert_int_equal(ofd_batch_is_live(b, 3) != 0, !drop);
		assert_int_equal(ofd_batch_is_live(b, 4) != 0, !drop);
		assert_int_equal(ofd_harness_counter(h, "no_remote"), 1);
		assert_int_equal(ofd_harness_counter(h, "unmatched"), 2);
		assert_int_equal(ofd_harness_counter(h, "dropped_unmatched"), drop ? 3 : 0);
		assert_int_equal(ofd_harness_counter(h, "lookups"), 3);
		ofd_harness_free(h);
	}
}

/* matchboth + dropunmatched: a flow goes when neither side has a country. */
static void test_matchboth_drop(void **state)
{
	(void)state;
	struct ofd_harness *h = geo(st_data(CITY), "matchboth: true, dropunmatched: true");
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	set_ip(&b->flows[0].src_addr, "2.125.160.216");
	set_ip(&b->flows[0].dst_addr, "1.1.1.1");
	set_ip(&b->flows[1].src_addr, "1.1.1.1");
	set_ip(&b->flows[1].dst_addr, "1.1.1.2");
	set_ip(&b->flows[2].src_addr, "10.0.0.1");
	set_ip(&b->flows[2].dst_addr, "89.160.20.112");
	ofd_harness_process(h, b);
	assert_true(ofd_batch_is_live(b, 0));
	assert_false(ofd_batch_is_live(b, 1));
	assert_true(ofd_batch_is_live(b, 2));
	assert_string_equal(cc(&b->flows[0], OFD_F_SRC_COUNTRY), "GB");
	assert_string_equal(cc(&b->flows[2], OFD_F_DST_COUNTRY), "SE");
	assert_int_equal(ofd_harness_counter(h, "dropped_unmatched"), 1);
	ofd_harness_free(h);
}

/* ---- against mmdblookup ---- */

/* mmdblookup's country.iso_code of ip: "XX", or "" for not found / no such path. */
static void mmdb_cc(const char *file, const char *ip, char out[3])
{
	char cmd[9000], line[512];
	snprintf(cmd, sizeof(cmd), "mmdblookup --file '%s' --ip '%s' country iso_code 2>&1", file, ip);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = 0;
	int seen = 0;
	while (fgets(line, sizeof(line), p)) {
		char *q = strchr(line, '"');
		if (q && strstr(line, "<utf8_string>") && strlen(q) > 3 && q[3] == '"') {
			out[0] = q[1];
			out[1] = q[2];
			out[2] = 0;
			seen = 1;
		} else if (strstr(line, "Could not find an entry") ||
			   strstr(line, "lookup path does not match")) {
			seen = 1;
		}
	}
	int rc = pclose(p);
	if (!seen)
		fail_msg("mmdblookup %s: no answer (exit %d)", ip, rc);
}

static void test_against_mmdblookup(void **state)
{
	(void)state;
	if (system("command -v mmdblookup >/dev/null 2>&1") != 0)
		skip();
	/* around every network the README names, its edges and beyond; IPv4, IPv6, v4-mapped */
	static const char *const v4[] = {"81.2.69",   "89.160.20", "216.160.83", "175.16.199",	"67.43.156",
					 "2.125.160", "214.1.1",   "1.1.1",	 "202.196.224", "50.114.0"};
	static const unsigned last[] = {0, 1, 63, 128, 159, 160, 191, 200, 255};
	static const char *const v6[] = {
	    "2001:218::",  "2001:218:ffff::1",	 "2001:219::1",	   "2001:220::1", "2001:230::1",
	    "2001:480::1", "2a02:cf40::1",	 "2a02:d280::1",   "2001:db8::1", "2c0f:ff00::1",
	    "::1",	   "::ffff:81.2.69.160", "::ffff:1.1.1.1", "fe80::1"};
	char addrs[128][64];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		for (size_t k = 0; k < sizeof(last) / sizeof(last[0]); k++)
			snprintf(addrs[n++], sizeof(addrs[0]), "%s.%u", v4[i], last[k]);
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		snprintf(addrs[n++], sizeof(addrs[0]), "%s", v6[i]);
	assert_true(n <= 128);
	static const char *const files[] = {COUNTRY, CITY};
	for (int fi = 0; fi < 2; fi++) {
		char want[128][3];
		size_t hits = 0;
		for (size_t i = 0; i < n; i++) {
			mmdb_cc(st_data(files[fi]), addrs[i], want[i]);
			hits += want[i][0] != 0;
		}
		for (int cache = 0; cache < 2; cache++) {
			struct ofd_harness *h =
			    geo(st_data(files[fi]),
				cache ? "matchboth: true, cachesize: 64" : "matchboth: true, cachesize: 0");
			for (int round = 0; round < 2; round++) { /* the second from the cache */
				struct ofd_batch *b = ofd_harness_batch(h, (uint32_t)n);
				for (size_t i = 0; i < n; i++) {
					set_ip(&b->flows[i].src_addr, addrs[i]);
					set_ip(&b->flows[i].dst_addr, addrs[n - 1 - i]);
				}
				ofd_harness_process(h, b);
				for (size_t i = 0; i < n; i++) {
					const char *got = cc(&b->flows[i], OFD_F_SRC_COUNTRY);
					if (strcmp(got, want[i]) != 0)
						fail_msg("%s %s: \"%s\", mmdblookup \"%s\"", files[fi],
							 addrs[i], got, want[i]);
					assert_string_equal(cc(&b->flows[i], OFD_F_DST_COUNTRY),
							    want[n - 1 - i]);
				}
			}
			if (cache)
				assert_true(ofd_harness_counter(h, "cache_hits") > 0);
			else
				assert_int_equal(ofd_harness_counter(h, "cache_hits"), 0);
			ofd_harness_free(h);
		}
		print_message("%s: %zu addresses, %zu with a country, all as mmdblookup\n", files[fi], n,
			      hits);
		assert_true(hits >= 20 && hits < n);
	}
}

static char logbuf[4096];
static void sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	(void)ctx;
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 1);
}

/*
 * A MaxMind DB of our own, byte by byte: an IPv4-only tree (ip_version 4, record size 24) of one
 * node: 0.0.0.0/1 has country.iso_code DE, 128.0.0.0/1 nothing. mmdblookup reads it.
 */
static void write_v4_mmdb(const char *path)
{
	static const uint8_t tree[6] = {0, 0, 17, 0, 0, 1}; /* left: data at 0; right: none */
	static const uint8_t sep[16];
	static const uint8_t dat[] = "\xe1\x47"
				     "country\xe1\x48iso_codeB"
				     "DE";
	static const uint8_t meta[] = "\xab\xcd\xefMaxMind.com\xe9"
				      "\x4anode_count\xc1\x01"
				      "\x4brecord_size\xa1\x18"
				      "\x4aip_version\xa1\x04"
				      "\x4d"
				      "database_type\x49Test-IPv4"
				      "\x49languages\x00\x04"
				      "\x5b"
				      "binary_format_major_version\xa1\x02"
				      "\x5b"
				      "binary_format_minor_version\xa0"
				      "\x4b"
				      "build_epoch\x01\x02\x01"
				      "\x4b"
				      "description\xe0";
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(tree, 1, sizeof(tree), f), sizeof(tree));
	assert_int_equal(fwrite(sep, 1, sizeof(sep), f), sizeof(sep));
	assert_int_equal(fwrite(dat, 1, sizeof(dat) - 1, f), sizeof(dat) - 1);
	assert_int_equal(fwrite(meta, 1, sizeof(meta) - 1, f), sizeof(meta) - 1);
	fclose(f);
}

/* An IPv6 address in an IPv4-only database: unmatched, no lookup error, no warning. */
static void test_ipv6_in_ipv4_db(void **state)
{
	(void)state;
	write_v4_mmdb(st_path("v4.mmdb"));
	char want[3];
	if (system("command -v mmdblookup >/dev/null 2>&1") == 0) {
		mmdb_cc(st_path("v4.mmdb"), "10.1.2.3", want);
		assert_string_equal(want, "DE");
	}
	logbuf[0] = 0;
	ofd_log_set_sink(sink, NULL);
	struct ofd_harness *h = geo(st_path("v4.mmdb"), "matchboth: true, cachesize: 0");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	set_ip(&b->flows[0].src_addr, "2001:db8::1");
	set_ip(&b->flows[0].dst_addr, "10.1.2.3");
	set_ip(&b->flows[1].src_addr, "::ffff:10.9.9.9"); /* v4-mapped: an IPv4 address */
	set_ip(&b->flows[1].dst_addr, "200.1.1.1");
	ofd_harness_process(h, b);
	ofd_log_set_sink(NULL, NULL);
	assert_string_equal(cc(&b->flows[0], OFD_F_SRC_COUNTRY), "");
	assert_string_equal(cc(&b->flows[0], OFD_F_DST_COUNTRY), "DE");
	assert_string_equal(cc(&b->flows[1], OFD_F_SRC_COUNTRY), "DE");
	assert_string_equal(cc(&b->flows[1], OFD_F_DST_COUNTRY), "");
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 2);
	assert_int_equal(ofd_harness_counter(h, "lookup_errors"), 0);
	if (strstr(logbuf, "lookup failed"))
		fail_msg("warned: %s", logbuf);
	ofd_harness_free(h);
}

/* A SIGHUP while the database is opened at start is not lost: the first tick reopens it. */
static int hup_in_open;
int MMDB_open(const char *const filename, uint32_t flags, MMDB_s *const mmdb)
{
	static int (*real)(const char *, uint32_t, MMDB_s *);
	if (!real) {
		void *sym = dlsym(RTLD_NEXT, "MMDB_open");
		assert_non_null(sym);
		memcpy(&real, &sym, sizeof(real));
	}
	if (hup_in_open) {
		hup_in_open = 0;
		ofd_reload_request();
	}
	return real(filename, flags, mmdb);
}

static void test_hup_during_open(void **state)
{
	(void)state;
	hup_in_open = 1;
	struct ofd_harness *h = geo(st_data(COUNTRY), NULL);
	assert_int_equal(hup_in_open, 0); /* the open went through our MMDB_open */
	ofd_harness_tick(h, 1);
	assert_int_equal(ofd_harness_counter(h, "reloads"), 1);
	ofd_harness_tick(h, 2);
	assert_int_equal(ofd_harness_counter(h, "reloads"), 1);
	ofd_harness_free(h);
}

/* ---- reload, refusals ---- */

static void test_reload(void **state)
{
	(void)state;
	char cmd[20000];
	char *r = strdup(st_path("r.mmdb")), *rn = strdup(st_path("r.mmdb.new")); /* st_path: one buffer */
	assert_true(r && rn);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", st_data(CITY), r);
	assert_int_equal(system(cmd), 0);
	struct ofd_harness *h = geo(st_path("r.mmdb"), "matchboth: true");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	set_ip(&b->flows[0].src_addr, "50.114.0.1"); /* in the Country database only */
	ofd_harness_process(h, b);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_SRC_COUNTRY));
	/* a broken file: the old database stays */
	st_write(rn, "not a database");
	assert_int_equal(rename(rn, r), 0);
	ofd_reload_request();
	ofd_harness_tick(h, 1);
	assert_int_equal(ofd_harness_counter(h, "reloads"), 0);
	assert_int_equal(ofd_harness_counter(h, "reload_failed"), 1);
	b = ofd_harness_batch(h, 1);
	set_ip(&b->flows[0].src_addr, "81.2.69.160");
	ofd_harness_process(h, b);
	assert_string_equal(cc(&b->flows[0], OFD_F_SRC_COUNTRY), "GB");
	/* the Country database in its place: the cached miss is gone with the old one */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && mv '%s' '%s'", st_data(COUNTRY), rn, rn, r);
	assert_int_equal(system(cmd), 0);
	ofd_reload_request();
	ofd_harness_tick(h, 2);
	assert_int_equal(ofd_harness_counter(h, "reloads"), 1);
	b = ofd_harness_batch(h, 1);
	set_ip(&b->flows[0].src_addr, "50.114.0.1");
	ofd_harness_process(h, b);
	assert_string_equal(cc(&b->flows[0], OFD_F_SRC_COUNTRY), "US");
	ofd_harness_free(h);
	free(r);
	free(rn);
}

static void refused(const char *file, const char *reason)
{
	char cfg[1400], err[512] = "";
	snprintf(cfg, sizeof(cfg), "{filename: \"%s\"}", file);
	struct ofd_harness *h = NULL;
	logbuf[0] = 0;
	ofd_log_set_sink(sink, NULL);
	int rc = ofd_harness_new(&h, &ofd_seg_geolocation, cfg, err, sizeof(err));
	ofd_log_set_sink(NULL, NULL);
	assert_int_not_equal(rc, 0);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment geolocation: ");
	if (!strstr(logbuf, reason))
		fail_msg("log \"%s\" does not say \"%s\"", logbuf, reason);
}

static void test_refused(void **state)
{
	(void)state;
	size_t len;
	char *m = st_slurp(st_data(COUNTRY), &len);
	FILE *f = fopen(st_path("cut.mmdb"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(m, 1, len - 200, f), len - 200); /* the metadata is at the end */
	fclose(f);
	free(m);
	refused(st_path("cut.mmdb"), "cut.mmdb: not a usable MaxMind DB (truncated or corrupt?)");
	st_write(st_path("text.mmdb"), "hello\n");
	refused(st_path("text.mmdb"), "text.mmdb: not a usable MaxMind DB");
	refused(st_path("absent.mmdb"), "absent.mmdb: cannot open");
	refused(st_data("routeviews-jinx-rib-20140530-2200-subset.mrt"), "not a usable MaxMind DB");
	/* keys: filename is required; bools are bools */
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_geolocation, "{matchboth: true}", err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "filename"));
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_geolocation,
					     "{filename: x.mmdb, dropunmatched: maybe}", err, sizeof(err)),
			     0);
	st_assert_prefix(err, "test.yml:1: segment geolocation: key dropunmatched: ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matchboth),	    cmocka_unit_test(test_remote),
	    cmocka_unit_test(test_matchboth_drop),  cmocka_unit_test(test_against_mmdblookup),
	    cmocka_unit_test(test_reload),	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_ipv6_in_ipv4_db), cmocka_unit_test(test_hup_during_open),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
