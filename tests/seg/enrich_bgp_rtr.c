/*
 * bgp (src/segments/enrich/bgp.c) with `rtr: 127.0.0.1:PORT`: the RPKI states come from a real
 * RTR cache, Debian's stayrtr (tests/unit/stayrtr.h), serving a scratch copy of
 * vrps-sample.json; the routes from a live BIRD 2 (bird_peer.h, bird-test.conf):
 *
 *   - every flow's rpki equals RFC 6811 computed here, directly and naively, from the VRP file
 *     stayrtr serves and the flow's route (dst_addr/dst_net, origin dst_as), and the fixed table
 *     of bird-test.conf's comments (bgp_bird_cases.h);
 *   - the file changed (192.0.2.0/24 now AS64511's): stayrtr sends a Serial Notify, the segment's
 *     client fetches the delta, and the flows to 192.0.2.7 turn invalid (bounded poll); every
 *     flow again equals the computation from the new file;
 *   - stayrtr killed: the client logs the lost connection, and the states stay as they were;
 *     stayrtr restarted on the same port (a new session id) with the original file: the client
 *     resets (its old session's Serial Query refused or unanswered, logged, counted in
 *     bgp_rpki_total{event="rtr_resets"}) and the flows to 192.0.2.7 are valid again within
 *     10 s, under the segment's default 1 s backoff, never unknown in between. An
 *     expiry cannot be shown in a test: the client takes the expire interval from the cache's
 *     End of Data, clamped to RFC 8210's 600 s minimum (net/rtr.c), and the segment has no
 *     key to shorten it; flows turn unknown only 600 s (stayrtr's -rtr.expire, here 7200 s)
 *     after the last End of Data.
 * No sleeps: bounded polls of the harness and of the log.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../unit/stayrtr.h"
#include "bgp_bird_cases.h"
#include "bird_peer.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_bgp;

/* ---- RFC 6811 computed naively from the VRP JSON text ---- */

/* 1 when prefix a/alen (a VRP's) covers b/blen (a route's): the same family, alen <= blen and
   the first alen bits equal (lengths in the family's bits). */
static int covers(const struct ofd_ip *a, unsigned alen, const struct ofd_ip *b, unsigned blen)
{
	if (a->family != b->family || alen > blen)
		return 0;
	unsigned off = a->family == OFD_AF_INET ? 96 : 0; /* IPv4 as ::ffff:a.b.c.d */
	for (unsigned i = 0; i < alen; i++) {
		unsigned bit = off + i;
		unsigned x = (a->b[bit / 8] >> (7 - bit % 8)) & 1, y = (b->b[bit / 8] >> (7 - bit % 8)) & 1;
		if (x != y)
			return 0;
	}
	return 1;
}

/* The state of route addr/len with origin against the VRPs of json (Routinator's format, one
   object a line as in vrps-sample.json). */
static uint8_t rfc6811(const char *json, const struct ofd_ip *addr, unsigned len, uint32_t origin)
{
	int covered = 0;
	for (const char *p = strstr(json, "\"asn\""); p; p = strstr(p + 1, "\"asn\"")) {
		unsigned asn, maxlen, plen;
		char pfx[64];
		if (sscanf(p, "\"asn\": \"AS%u\", \"prefix\": \"%63[^/]/%u\", \"maxLength\": %u", &asn, pfx,
			   &plen, &maxlen) != 4)
			fail_msg("VRP not understood: %.60s", p);
		struct ofd_ip v;
		assert_int_equal(ofd_ip_parse(&v, pfx), 0);
		if (!covers(&v, plen, addr, len))
			continue;
		covered = 1;
		if (asn == origin && origin != 0 && len <= maxlen)
			return OFD_RPKI_VALID;
	}
	return covered ? OFD_RPKI_INVALID : OFD_RPKI_NOTFOUND;
}

/* Every flow of b has a route and the rpki state computed from json. */
static void check_states(const struct ofd_batch *b, const char *json)
{
	for (int i = 0; i < BIRD_NADDRS; i++) {
		const struct ofd_flow *f = &b->flows[i];
		assert_true(ofd_flow_has(f, OFD_F_DST_AS));
		assert_true(ofd_flow_has(f, OFD_F_RPKI));
		uint8_t want = rfc6811(json, &f->dst_addr, f->dst_net, f->dst_as);
		if (f->rpki != want)
			fail_msg("%s (route /%u AS%u): rpki %u, computed %u", bird_addrs[i], f->dst_net,
				 f->dst_as, f->rpki, want);
	}
}

/* Process batches until flow i's rpki is want (bounded: s seconds); the last batch. With
   was != 0, every batch before has flow i's rpki equal to was (the set in force kept). */
static struct ofd_batch *wait_state_s(struct ofd_harness *h, int i, uint8_t want, uint8_t was, uint64_t *took,
				      unsigned s)
{
	uint64_t t0 = ofd_time_mono_ns();
	for (;;) {
		struct ofd_batch *b = bird_flows(h, "127.0.0.1");
		uint64_t dt = ofd_time_mono_ns() - t0;
		if (ofd_flow_has(&b->flows[i], OFD_F_RPKI) && b->flows[i].rpki == want) {
			if (took)
				*took = dt;
			return b;
		}
		if (was && b->flows[i].rpki != was)
			fail_msg("%s: rpki %u before %u came, not %u", bird_addrs[i], b->flows[i].rpki, want,
				 was);
		if (dt > (uint64_t)s * 1000000000ull)
			fail_msg("%s: rpki %u, waited for %u", bird_addrs[i], b->flows[i].rpki, want);
		poll(NULL, 0, 10);
	}
}

/* The same, bounded at 20 s. */
static struct ofd_batch *wait_state(struct ofd_harness *h, int i, uint8_t want, uint64_t *took)
{
	return wait_state_s(h, i, want, 0, took, 20);
}

/* ---- the segment's log (the RTR thread writes it) ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[16384];

static void log_sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	(void)ctx;
	pthread_mutex_lock(&log_mu);
	size_t l = strlen(log_buf);
	snprintf(log_buf + l, sizeof(log_buf) - l, "%s\n", line);
	pthread_mutex_unlock(&log_mu);
}

static int logged(const char *s)
{
	pthread_mutex_lock(&log_mu);
	int r = strstr(log_buf, s) != NULL;
	pthread_mutex_unlock(&log_mu);
	return r;
}

/* The peers of the test, stopped by the teardown when an assertion ended it early (BIRD
   drops its privileges, which clears the parent-death signal: it would outlive the test). */
static struct bird bd;
static pid_t rtr;
static char dir[] = "/tmp/ofd-bgprtr-XXXXXX";

static int stop_peers(void **state)
{
	(void)state;
	bird_stop(&bd, SIGTERM);
	if (rtr > 0) {
		stayrtr_kill(rtr);
		rtr = 0;
		rtr = 0;
	}
	if (strcmp(dir + strlen(dir) - 6, "XXXXXX") != 0)
		stayrtr_clean(dir);
	ofd_log_set_sink(NULL, NULL);
	return 0;
}

static void test_rtr_states(void **state)
{
	(void)state;
	if (access(BIRD_BIN, X_OK) || access(BIRDC_BIN, X_OK) || access(STAYRTR, X_OK)) {
		skip();
		return;
	}
	char json[600], port[16] = "";
	static char text[8192];
	stayrtr_scratch(dir, json, sizeof(json), text, sizeof(text));
	rtr = stayrtr_start(dir, json, 2, port, sizeof(port));

	unsigned bgp_port = test_free_port(SOCK_STREAM);
	char y[512], cfg[1200];
	snprintf(
	    y, sizeof(y),
	    "asn: 64500\nrouterid: 192.0.2.253\nlisten: 127.0.0.1\nport: %u\nholdtime: 30\n"
	    "snapshotinterval: 100ms\nrouters:\n  - name: bird\n    address: 127.0.0.1\n    asn: 64500\n",
	    bgp_port);
	st_write(st_path("s.yml"), y);
	snprintf(cfg, sizeof(cfg), "{filename: %s, rtr: \"127.0.0.1:%s\"}", st_path("s.yml"), port);
	log_buf[0] = 0;
	ofd_log_set_sink(log_sink, NULL);
	struct ofd_harness *h = st_open(&ofd_seg_bgp, cfg);
	bird_start(&bd, bgp_port, NULL);
	bird_wait_routes(h, BIRD_NADDRS);
	/* until the first set is in (stayrtr listening, Reset Query answered): flow 0 valid */
	uint64_t took;
	struct ofd_batch *b = wait_state(h, 0, OFD_RPKI_VALID, &took);
	print_message("routes and the first VRP set in after %.0f ms more\n", (double)took / 1e6);
	check_states(b, text);
	for (int i = 0; i < BIRD_NADDRS; i++)
		if (b->flows[i].rpki != bird_want_rpki[i])
			fail_msg("%s: rpki %u, bird-test.conf says %u", bird_addrs[i], b->flows[i].rpki,
				 bird_want_rpki[i]);

	/* 192.0.2.0/24's VRP now AS64511's (the route's origin is 64496): stayrtr polls the file
	   every second, sends a Serial Notify, the client's Serial Query gets the delta */
	char *at = strstr(text, "\"AS64496\", \"prefix\": \"192.0.2.0/24\"");
	assert_non_null(at);
	memcpy(at + 5, "511", 3);
	stayrtr_write(json, text);
	b = wait_state(h, 0, OFD_RPKI_INVALID, &took);
	print_message("changed VRP served and seen after %.0f ms\n", (double)took / 1e6);
	check_states(b, text);
	assert_int_equal(b->flows[5].rpki, OFD_RPKI_VALID); /* 2001:db8::/32 AS64496 kept */

	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "rtr_sets"), 2);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "rtr_resets"), 0);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_vrps", NULL), 6);

	/* stayrtr gone: the client notices (EOF), the set in force stays (its expiry: >= 600 s) */
	stayrtr_kill(rtr);
	rtr = 0;
	uint64_t t0 = ofd_time_mono_ns();
	while (!logged("connection closed by the cache") && ofd_time_mono_ns() - t0 < 20000000000ull)
		poll(NULL, 0, 10);
	if (!logged("connection closed by the cache"))
		fail_msg("log:\n%s", log_buf);
	b = bird_flows(h, "127.0.0.1");
	check_states(b, text);
	assert_int_equal(b->flows[0].rpki, OFD_RPKI_INVALID);
	assert_false(logged("outlived the cache's expire interval"));

	/* stayrtr back on the same port (a new session id) with 192.0.2.0/24 AS64496's again: the
	   segment's client (default backoff: 1 s doubling) has its old session's Serial Query
	   refused or just closed, forgets the session, resets at once, and the flows to 192.0.2.7
	   turn valid within 10 s; until then they kept the old set (never an empty one) */
	memcpy(at + 5, "496", 3);
	stayrtr_write(json, text);
	rtr = stayrtr_start(dir, json, 2, port, sizeof(port));
	b = wait_state_s(h, 0, OFD_RPKI_VALID, OFD_RPKI_INVALID, &took, 10);
	print_message("restarted cache's set seen after %.0f ms\n", (double)took / 1e6);
	check_states(b, text);
	if (!logged("session forgotten, a Reset Query next") && !logged("Session ID mismatch"))
		fail_msg("no reset logged:\n%s", log_buf);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "rtr_resets"), 1);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "rtr_sets"), 3);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "rtr_expirations"), 0);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_total", "file_loads"), 0);
	assert_true(ofd_harness_metric(h, "bgp_rpki_total", "rtr_connects") >= 2);
	assert_int_equal(ofd_harness_metric(h, "bgp_rpki_vrps", NULL), 6);

	ofd_harness_free(h);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_rtr_states, stop_peers),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
