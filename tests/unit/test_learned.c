/*
 * Sealing keys learned from a receiver's key history: a network (/24, /48) whose tracers came
 * over HTTP(S) signed by exactly one key, at least N of them over at least a day, maps to that
 * key; fewer tracers, a burst, two keys from one network, or tracers older than the window
 * teach nothing, and tracers over UDP never count (their sources can be forged). Configured
 * recipients come first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>

#include "store_help.h"
#include "tracer/keypath.h"
#include "receiver/learned.h"

#define NS UINT64_C(1000000000)

#define DAY   (24 * 3600)
#define NOW_S 1800000000ull

/* n distinct tracers signed by k from sender over transport, at t0, t0 + step, ... (seconds) */
static void feed(struct ofd_store *s, const struct ofd_key *k, const char *sender, unsigned n, uint64_t t0,
		 uint64_t step, int transport)
{
	static struct tr t;
	static uint64_t serial;
	for (unsigned i = 0; i < n; i++) {
		struct tflow tf = {.saddr = "192.0.2.1",
				   .daddr = "198.51.100.9",
				   .packets = ++serial,
				   .bytes = 1,
				   .stime = 1700000000,
				   .etime = 1700000001,
				   .time = 1700000002};
		th_make(&t, k, &tf);
		assert_int_equal(th_add_via(s, &t, sender, (t0 + i * step) * NS, transport), 1);
	}
}

static int has(const struct ofd_sender_recipient *r, size_t n, const char *addr, const struct ofd_key *k)
{
	struct ofd_ip ip;
	assert_int_equal(ofd_ip_parse(&ip, addr), 0);
	for (size_t i = 0; i < n; i++)
		if (ofd_prefix_match(&r[i].prefix, &ip) &&
		    memcmp(r[i].key, ofd_key_public(k), OFD_KEY_PUB_LEN) == 0)
			return 1;
	return 0;
}

static const struct ofd_learned_rule rule = {
    .min_count = 10, .min_span_s = DAY, .window_s = 30 * DAY, .now_s = NOW_S};

static void test_learned(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *a = th_key(21), *b = th_key(22), *c = th_key(23), *dk = th_key(24), *e = th_key(25);
	struct ofd_key *f = th_key(26), *g = th_key(27), *h = th_key(28), *i = th_key(29);
	const uint64_t t0 = NOW_S - 3 * DAY, hour = 3600;
	const int https = OFD_TRANSPORT_HTTPS, http = OFD_TRANSPORT_HTTP;
	feed(s, a, "198.51.100.7", 12, t0, 5 * hour, https); /* learned: 12 over 55 hours */
	feed(s, b, "203.0.113.5", 3, t0, 12 * hour, http);   /* too few */
	feed(s, c, "192.0.2.10", 12, t0, 5 * hour, http);    /* two keys from one /24: neither */
	feed(s, dk, "192.0.2.20", 12, t0, 5 * hour, http);
	feed(s, e, "2001:db8:5::1", 10, t0, 3 * hour, http); /* exactly the minimum, IPv6 /48, 27 h */
	feed(s, f, "100.64.1.1", 50, t0, 60, https);	     /* a burst: 50 in 49 minutes */
	feed(s, g, "100.64.2.1", 12, NOW_S - 40 * DAY, 5 * hour, https); /* out of the window */
	feed(s, h, "100.64.3.1", 12, t0, 5 * hour, https); /* learned: i there is out of the window */
	feed(s, i, "100.64.3.2", 12, NOW_S - 60 * DAY, 5 * hour, https);
	ofd_store_close(s);

	struct ofd_sender_recipient conf[1];
	char hex[2 * OFD_KEY_PUB_LEN + 1], entry[160], err[256] = "";
	sodium_bin2hex(hex, sizeof(hex), ofd_key_public(b), OFD_KEY_PUB_LEN);
	snprintf(entry, sizeof(entry), "10.0.0.0/8=%s", hex);
	assert_int_equal(ofd_recipient_parse(&conf[0], entry), 0);

	struct ofd_sender_recipient *r;
	size_t n;
	assert_int_equal(ofd_learned_recipients_rule(d.db, &rule, conf, 1, &r, &n, err, sizeof(err)), 3);
	assert_int_equal(n, 4);
	assert_true(has(r, 1, "10.1.2.3", b)); /* the configured one first */
	assert_true(has(r, n, "198.51.100.200", a));
	assert_true(has(r, n, "2001:db8:5:ffff::1", e));
	assert_true(has(r, n, "100.64.3.9", h));
	assert_false(has(r, n, "2001:db8:6::1", e)); /* another /48 */
	assert_false(has(r, n, "192.0.2.10", c));
	assert_false(has(r, n, "192.0.2.20", dk));
	assert_false(has(r, n, "203.0.113.5", b));
	assert_false(has(r, n, "100.64.1.1", f));
	assert_false(has(r, n, "100.64.2.1", g));
	free(r);

	/* no span asked: the burst teaches its key too; a minimum nobody reaches: nothing */
	struct ofd_learned_rule any = rule;
	any.min_span_s = 0;
	assert_int_equal(ofd_learned_recipients_rule(d.db, &any, NULL, 0, &r, &n, err, sizeof(err)), 4);
	assert_true(has(r, n, "100.64.1.200", f));
	assert_true(has(r, 1, "100.64.1.200", f)); /* the busiest network first */
	free(r);
	any.min_count = 1000;
	assert_int_equal(ofd_learned_recipients_rule(d.db, &any, NULL, 0, &r, &n, err, sizeof(err)), 0);
	assert_null(r);
	assert_int_equal(n, 0);
	/* the defaults (a day, 30 days) against the clock: everything here is older than 30 days
	   by now only if the clock is past 2027; the call works either way */
	assert_true(ofd_learned_recipients(d.db, 10, NULL, 0, &r, &n, err, sizeof(err)) >= 0);
	free(r);
	/* no database */
	assert_true(ofd_learned_recipients("/nonexistent/x.db", 10, NULL, 0, &r, &n, err, sizeof(err)) < 0);
	assert_true(strlen(err) > 0);

	struct ofd_key *keys[] = {a, b, c, dk, e, f, g, h, i};
	for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
		ofd_key_free(keys[j]);
	th_dir_rm(&d);
}

/*
 * The attack of the issue: a victim network 198.51.100.0/24 whose key is learned over HTTPS;
 * an attacker signs twelve tracers with its own key and sends them over UDP with sources forged
 * in the victim's /24, and in a /24 nobody reported from, over three days. Nothing is learned
 * from them: the victim's key stays, the other /24 stays unknown.
 */
static void test_spoofed_udp_teaches_nothing(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *victim = th_key(31), *attacker = th_key(32);
	const uint64_t t0 = NOW_S - 3 * DAY, hour = 3600;
	feed(s, attacker, "203.0.113.66", 12, t0, 5 * hour, OFD_TRANSPORT_UDP);
	feed(s, attacker, "198.51.100.66", 12, t0, 5 * hour, OFD_TRANSPORT_UDP);
	ofd_store_close(s);
	struct ofd_sender_recipient *r;
	size_t n;
	char err[256] = "";
	assert_int_equal(ofd_learned_recipients_rule(d.db, &rule, NULL, 0, &r, &n, err, sizeof(err)), 0);
	assert_null(r);

	s = th_open(d.db);
	feed(s, victim, "198.51.100.7", 12, t0, 5 * hour, OFD_TRANSPORT_HTTPS);
	ofd_store_close(s);
	assert_int_equal(ofd_learned_recipients_rule(d.db, &rule, NULL, 0, &r, &n, err, sizeof(err)), 1);
	assert_int_equal(n, 1);
	assert_true(has(r, 1, "198.51.100.1", victim));
	assert_false(has(r, 1, "198.51.100.1", attacker));
	assert_false(has(r, 1, "203.0.113.1", attacker));
	free(r);
	ofd_key_free(victim);
	ofd_key_free(attacker);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_learned),
					   cmocka_unit_test(test_spoofed_udp_teaches_nothing)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
