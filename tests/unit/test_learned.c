/*
 * Sealing keys learned from a receiver's key history: a network (/24, /48) whose tracers came
 * signed by exactly one key, at least N of them, maps to that key; fewer tracers, or two keys
 * from one network, teach nothing. Configured recipients come first.
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

/* n distinct tracers signed by k from sender, at times t0, t0 + 1 s, ... */
static void feed(struct ofd_store *s, const struct ofd_key *k, const char *sender, unsigned n, uint64_t t0)
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
		assert_int_equal(th_add(s, &t, sender, (t0 + i) * NS), 1);
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

static void test_learned(void **state)
{
	(void)state;
	struct tdir d;
	th_dir(&d);
	struct ofd_store *s = th_open(d.db);
	struct ofd_key *a = th_key(21), *b = th_key(22), *c = th_key(23), *dk = th_key(24), *e = th_key(25);
	feed(s, a, "198.51.100.7", 12, 100); /* learned */
	feed(s, b, "203.0.113.5", 3, 200);   /* too few */
	feed(s, c, "192.0.2.10", 12, 300);   /* two keys from one /24: neither */
	feed(s, dk, "192.0.2.20", 12, 400);
	feed(s, e, "2001:db8:5::1", 10, 500); /* exactly the minimum, IPv6 /48 */
	ofd_store_close(s);

	struct ofd_sender_recipient conf[1];
	char hex[2 * OFD_KEY_PUB_LEN + 1], entry[160], err[256] = "";
	sodium_bin2hex(hex, sizeof(hex), ofd_key_public(b), OFD_KEY_PUB_LEN);
	snprintf(entry, sizeof(entry), "10.0.0.0/8=%s", hex);
	assert_int_equal(ofd_recipient_parse(&conf[0], entry), 0);

	struct ofd_sender_recipient *r;
	size_t n;
	assert_int_equal(ofd_learned_recipients(d.db, 10, conf, 1, &r, &n, err, sizeof(err)), 2);
	assert_int_equal(n, 3);
	assert_true(has(r, 1, "10.1.2.3", b)); /* the configured one first */
	assert_true(has(r, n, "198.51.100.200", a));
	assert_true(has(r, n, "2001:db8:5:ffff::1", e));
	assert_false(has(r, n, "2001:db8:6::1", e)); /* another /48 */
	assert_false(has(r, n, "192.0.2.10", c));
	assert_false(has(r, n, "192.0.2.20", dk));
	assert_false(has(r, n, "203.0.113.5", b));
	assert_true(has(&r[1], 1, "198.51.100.200", a)); /* the busiest network first */
	free(r);

	/* no minimum: the network with three tracers teaches its key too */
	assert_int_equal(ofd_learned_recipients(d.db, 0, NULL, 0, &r, &n, err, sizeof(err)), 3);
	assert_true(has(r, n, "203.0.113.77", b));
	free(r);
	/* a minimum nobody reaches: nothing, and nothing allocated */
	assert_int_equal(ofd_learned_recipients(d.db, 1000, NULL, 0, &r, &n, err, sizeof(err)), 0);
	assert_null(r);
	assert_int_equal(n, 0);
	/* no database */
	assert_true(ofd_learned_recipients("/nonexistent/x.db", 10, NULL, 0, &r, &n, err, sizeof(err)) < 0);
	assert_true(strlen(err) > 0);

	ofd_key_free(a);
	ofd_key_free(b);
	ofd_key_free(c);
	ofd_key_free(dk);
	ofd_key_free(e);
	th_dir_rm(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_learned)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
