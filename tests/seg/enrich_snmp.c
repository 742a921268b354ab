/*
 * snmp (src/segments/enrich/snmp*.c) against a real snmpd (Debian's), started here on 127.0.0.1
 * with an ephemeral UDP port and a configuration that gives the interfaces' IF-MIB values by
 * `override` lines: names, descriptions through the regex, speeds (Mbit/s from the agent, bit/s in the
 * record), hostile text made safe, wrong types refused, a dead agent (a socket that never answers) and a
 * wrong community counted as timeouts without process() waiting, the queue bound. Run as the ctest seg_snmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ofd/time.h"
#include "segments/enrich/snmp_int.h"
#include "segtest.h"
#include "snmpd_peer.h"

extern const struct ofd_segment_type ofd_seg_snmp;

/* LeakSanitizer (make test-asan): net-snmp's transports, registered by netsnmp_tdomain_init
   under netsnmp_acquire, allocate their names once per process and never free them. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:netsnmp_acquire\n";
}

static const char conf_main[] = "rocommunity testcomm 127.0.0.1\n"
				"rocommunity6 testcomm ::1\n"
				"override " IFX "1.7 octet_str \"xe-0/0/7\"\n"
				"override " IFX "18.7 octet_str \"Customer A [123]\"\n"
				"override " IFX "15.7 unsigned 10000\n"
				"override " IFX "1.8 octet_str \"ge-0/0/8\"\n"
				"override " IFX "18.8 octet_str \"uplink\"\n"
				"override " IFX "15.8 unsigned 1000\n"
				"override " IFX "1.9 octet_str \"lo0\"\n"
				/* hostile: BEL, ESC, an invalid byte; a wrong type; a long text */
				"override " IFX "1.10 octet_str \"et-10\"\n"
				"override " IFX "18.10 octet_str 0x41071b5b33316d42ff\n"
				"override " IFX "1.11 integer 5\n"
				"override " IFX "15.11 octet_str \"fast\"\n"
				"override " IFX "18.11 octet_str \"%s\"\n";

static int setup(void **st)
{
	if (st_dir_make(st) != 0)
		return -1;
	char longdesc[301], conf[4096];
	memset(longdesc, 'x', 300);
	longdesc[300] = 0;
	snprintf(conf, sizeof(conf), conf_main, longdesc);
	snmpd_start(conf, 0);
	dead_open();
	return 0;
}

static int teardown(void **st)
{
	snmpd_stop();
	if (dead_fd >= 0)
		close(dead_fd);
	return st_dir_remove(st);
}

static void v4(struct ofd_ip *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->family = OFD_AF_INET;
	a->b[10] = a->b[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, text, a->b + 12), 1);
}

static struct ofd_harness *open_snmp(const char *more)
{
	char cfg[512];
	snprintf(cfg, sizeof(cfg), "{port: %u, timeout: 300ms, retries: 0%s}", snmpd_port, more);
	return st_open(&ofd_seg_snmp, cfg);
}

/* Poll (5 ms at a time, at most 10 s) until the metric family/value reaches n. */
static void wait_metric(struct ofd_harness *h, const char *family, const char *value, uint64_t n)
{
	uint64_t end = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
	while (ofd_harness_metric(h, family, value) < n) {
		if (ofd_time_mono_ns() > end)
			fail_msg("%s{%s} stays at %llu, below %llu", family, value ? value : "*",
				 (unsigned long long)ofd_harness_metric(h, family, value),
				 (unsigned long long)n);
		poll(NULL, 0, 5);
	}
}

static void wait_counter(struct ofd_harness *h, const char *name, uint64_t n)
{
	uint64_t end = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
	while (ofd_harness_counter(h, name) < n) {
		if (ofd_time_mono_ns() > end)
			fail_msg("counter %s stays at %llu, below %llu", name,
				 (unsigned long long)ofd_harness_counter(h, name), (unsigned long long)n);
		poll(NULL, 0, 5);
	}
}

/* A batch of records from sampler addr with the (in, out) interfaces given. */
static struct ofd_batch *flows(struct ofd_harness *h, const char *addr, const uint32_t (*ifs)[2], uint32_t n)
{
	struct ofd_batch *b = ofd_harness_batch(h, n);
	for (uint32_t i = 0; i < n; i++) {
		v4(&b->flows[i].sampler_address, addr);
		b->flows[i].in_if = ifs[i][0];
		b->flows[i].out_if = ifs[i][1];
	}
	return b;
}

static const uint32_t main_ifs[][2] = {{7, 8}, {9, 0}, {42, 7}, {0, 0}, {10, 11}};

static void test_interfaces(void **state)
{
	(void)state;
	struct ofd_harness *h = open_snmp(", community: testcomm, regex: \"^(.*) \\\\[.*\\\\]$\"");
	struct ofd_batch *b = flows(h, "127.0.0.1", main_ifs, 5);
	ofd_harness_process(h, b);
	/* nothing known yet: the records pass without the fields */
	assert_null(b->flows[0].in_if_name);
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_IN_IF_SPEED));
	assert_int_equal(ofd_harness_counter(h, "pending"), 7);

	wait_metric(h, "snmp_answers_total", "ok", 5);	 /* 7, 8, 9, 10, 11 */
	wait_metric(h, "snmp_answers_total", "none", 1); /* 42 */
	b = flows(h, "127.0.0.1", main_ifs, 5);
	ofd_harness_process(h, b);
	struct ofd_flow *f = &b->flows[0];
	assert_string_equal(f->in_if_name, "xe-0/0/7");
	assert_string_equal(f->in_if_desc, "Customer A"); /* group 1 of the regex */
	assert_int_equal(f->in_if_speed, 10000000000ull); /* ifHighSpeed's 10000 Mbit/s, in bit/s */
	assert_true(ofd_flow_has(f, OFD_F_IN_IF_NAME) && ofd_flow_has(f, OFD_F_IN_IF_DESC) &&
		    ofd_flow_has(f, OFD_F_IN_IF_SPEED));
	assert_string_equal(f->out_if_name, "ge-0/0/8");
	assert_string_equal(f->out_if_desc, "uplink"); /* no match: the description stays */
	assert_int_equal(f->out_if_speed, 1000000000ull);
	assert_true(ofd_flow_has(f, OFD_F_OUT_IF_SPEED));

	f = &b->flows[1]; /* only a name; no out_if */
	assert_string_equal(f->in_if_name, "lo0");
	assert_null(f->in_if_desc);
	assert_false(ofd_flow_has(f, OFD_F_IN_IF_DESC));
	assert_false(ofd_flow_has(f, OFD_F_IN_IF_SPEED));
	assert_false(ofd_flow_has(f, OFD_F_OUT_IF_NAME));

	f = &b->flows[2]; /* no such interface 42; out_if 7 */
	assert_null(f->in_if_name);
	assert_false(ofd_flow_has(f, OFD_F_IN_IF_NAME));
	assert_string_equal(f->out_if_name, "xe-0/0/7");
	assert_string_equal(f->out_if_desc, "Customer A");

	assert_false(ofd_flow_has(&b->flows[3], OFD_F_IN_IF_NAME)); /* interfaces 0 */

	f = &b->flows[4]; /* hostile text made safe, wrong types refused, a long text cut */
	assert_string_equal(f->in_if_name, "et-10");
	assert_string_equal(f->in_if_desc, "A??[31mB?");
	assert_null(f->out_if_name); /* ifName as INTEGER */
	assert_false(ofd_flow_has(f, OFD_F_OUT_IF_SPEED));
	assert_int_equal(strlen(f->out_if_desc), SNMP_TEXT_MAX);
	assert_true(ofd_harness_counter(h, "bad_answers") >= 1);

	assert_int_equal(ofd_harness_counter(h, "timeouts"), 0);
	assert_int_equal(ofd_harness_metric(h, "snmp_lookups_total", "hit"), 6);
	assert_int_equal(ofd_harness_metric(h, "snmp_lookups_total", "none"), 1);
	assert_int_equal(ofd_harness_counter(h, "arena_full"), 0);
	ofd_harness_free(h);
}

static void test_ipv6_agent(void **state)
{
	(void)state;
	struct ofd_harness *h = open_snmp(", community: testcomm");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	b->flows[0].sampler_address.family = OFD_AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::1", b->flows[0].sampler_address.b), 1);
	b->flows[0].in_if = 7;
	struct ofd_flow keep = b->flows[0];
	ofd_harness_process(h, b);
	wait_metric(h, "snmp_answers_total", "ok", 1);
	b = ofd_harness_batch(h, 1);
	b->flows[0] = keep;
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].in_if_name, "xe-0/0/7");
	assert_int_equal(b->flows[0].in_if_speed, 10000000000ull);
	ofd_harness_free(h);
}

static void test_dead_agent(void **state)
{
	(void)state;
	struct ofd_harness *h = open_snmp(", community: testcomm, backoff: 1h");
	static const uint32_t ifs[][2] = {{7, 8}};
	struct ofd_batch *b = flows(h, DEAD_ADDR, ifs, 1);
	uint64_t t0 = ofd_time_mono_ns();
	ofd_harness_process(h, b);
	b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	assert_true(ofd_time_mono_ns() - t0 < 100 * 1000 * 1000); /* process() never waits */
	wait_counter(h, "timeouts", 1);
	wait_metric(h, "snmp_answers_total", "ok", 2);
	/* the dead agent's interfaces stay unknown; the live agent is served all the while */
	b = flows(h, DEAD_ADDR, ifs, 1);
	t0 = ofd_time_mono_ns();
	ofd_harness_process(h, b);
	assert_true(ofd_time_mono_ns() - t0 < 100 * 1000 * 1000);
	assert_null(b->flows[0].in_if_name);
	b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].in_if_name, "xe-0/0/7");
	/* a new interface of the dead agent is not asked for while it is left alone */
	static const uint32_t more[][2] = {{9, 0}};
	b = flows(h, DEAD_ADDR, more, 1);
	ofd_harness_process(h, b);
	wait_counter(h, "agent_down", 1);
	assert_int_equal(ofd_harness_counter(h, "timeouts"), 1);
	assert_int_equal(ofd_harness_counter(h, "bad_answers"), 0);
	/* SIGHUP: the agent is asked again (and times out again) */
	ofd_reload_request();
	ofd_harness_tick(h, ofd_time_now_ns());
	b = flows(h, DEAD_ADDR, more, 1);
	ofd_harness_process(h, b);
	wait_counter(h, "timeouts", 2);
	ofd_harness_free(h);
}

static void test_wrong_community(void **state)
{
	(void)state;
	struct ofd_harness *h = open_snmp(", community: notours");
	static const uint32_t ifs[][2] = {{7, 8}};
	struct ofd_batch *b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	wait_counter(h, "timeouts", 1); /* snmpd drops it without an answer */
	b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	assert_null(b->flows[0].in_if_name);
	assert_null(b->flows[0].out_if_desc);
	assert_int_equal(ofd_harness_metric(h, "snmp_answers_total", NULL), 0);
	ofd_harness_free(h);
}

static void test_agents(void **state)
{
	(void)state;
	/* only 127.0.0.2 and 2001:db8::/32 may be asked: 127.0.0.1's interfaces are not */
	struct ofd_harness *h = open_snmp(", community: testcomm, agents: [127.0.0.2, \"2001:db8::/32\"]");
	static const uint32_t ifs[][2] = {{7, 8}};
	struct ofd_batch *b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	wait_metric(h, "snmp_agents_refused_total", NULL, 2);
	b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	assert_null(b->flows[0].in_if_name);
	assert_int_equal(ofd_harness_metric(h, "snmp_answers_total", NULL), 0);
	assert_int_equal(ofd_harness_counter(h, "timeouts"), 0);
	assert_int_equal(ofd_harness_metric(h, "snmp_queue_depth", NULL), 0); /* not asked again soon */
	ofd_harness_free(h);
	/* listed: asked */
	h = open_snmp(", community: testcomm, agents: [127.0.0.0/8]");
	b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	wait_metric(h, "snmp_answers_total", "ok", 2);
	assert_int_equal(ofd_harness_metric(h, "snmp_agents_refused_total", NULL), 0);
	ofd_harness_free(h);
}

static void test_connlimit(void **state)
{
	(void)state;
	/* two agents that never answer, one asked at a time */
	int fd2 = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd2 >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)snmpd_port)};
	assert_int_equal(inet_pton(AF_INET, "127.0.0.4", &a.sin_addr), 1);
	assert_int_equal(bind(fd2, (struct sockaddr *)&a, sizeof(a)), 0);
	struct ofd_harness *h = open_snmp(", community: testcomm, connlimit: 1");
	static const uint32_t ifs[][2] = {{7, 8}};
	struct ofd_batch *b = flows(h, DEAD_ADDR, ifs, 1);
	ofd_harness_process(h, b);
	b = flows(h, "127.0.0.4", ifs, 1);
	ofd_harness_process(h, b);
	uint64_t end = ofd_time_mono_ns() + 10 * OFD_NS_PER_S, most = 0;
	while (ofd_harness_counter(h, "timeouts") < 2) {
		uint64_t asked = ofd_harness_metric(h, "snmp_agents_asked", NULL);
		most = asked > most ? asked : most;
		assert_true(ofd_time_mono_ns() < end);
		poll(NULL, 0, 2);
	}
	assert_int_equal(most, 1);
	ofd_harness_free(h);
	close(fd2);
}

static void test_queue_bound(void **state)
{
	(void)state;
	struct ofd_harness *h = open_snmp(", community: testcomm, queuesize: 2, maxentries: 8, connlimit: 1");
	uint32_t ifs[40][2];
	for (uint32_t i = 0; i < 40; i++)
		ifs[i][0] = 100 + i, ifs[i][1] = 0;
	struct ofd_batch *b = flows(h, DEAD_ADDR, (const uint32_t(*)[2])ifs, 40);
	ofd_harness_process(h, b);
	assert_true(ofd_harness_counter(h, "queue_full") >= 30);
	assert_int_equal(ofd_harness_counter(h, "pending"), 40);
	wait_counter(h, "timeouts", 1);
	assert_true(ofd_harness_metric(h, "snmp_cache_entries", NULL) <= 8);
	ofd_harness_free(h);
}

static void test_eviction(void **state)
{
	(void)state;
	/* one bucket of 8: answered interfaces make room for new ones, those being asked stay */
	struct ofd_harness *h = open_snmp(", community: testcomm, maxentries: 8");
	static const uint32_t known[][2] = {{7, 0}, {8, 0}, {9, 0}, {10, 0}};
	struct ofd_batch *b = flows(h, "127.0.0.1", known, 4);
	ofd_harness_process(h, b);
	wait_metric(h, "snmp_answers_total", "ok", 4);
	uint32_t many[16][2];
	for (uint32_t i = 0; i < 16; i++)
		many[i][0] = 200 + i, many[i][1] = 0;
	b = flows(h, "127.0.0.1", (const uint32_t(*)[2])many, 16);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "cache_full"), 8); /* 8 asked for, 8 not cached */
	wait_metric(h, "snmp_answers_total", "none", 8);
	b = flows(h, "127.0.0.1", known, 4); /* replaced: asked for again */
	ofd_harness_process(h, b);
	assert_null(b->flows[0].in_if_name);
	wait_metric(h, "snmp_answers_total", "ok", 8);
	b = flows(h, "127.0.0.1", known, 4);
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[3].in_if_name, "et-10");
	assert_true(ofd_harness_metric(h, "snmp_cache_entries", NULL) <= 8);
	ofd_harness_free(h);
}

static void test_refresh(void **state)
{
	(void)state;
	struct ofd_harness *h = open_snmp(", community: testcomm, cache_interval: 1s");
	static const uint32_t ifs[][2] = {{7, 0}};
	struct ofd_batch *b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	wait_metric(h, "snmp_answers_total", "ok", 1);
	b = flows(h, "127.0.0.1", ifs, 1);
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].in_if_desc, "Customer A [123]"); /* the default regex keeps it */
	/* the agent's description changes: after cache_interval the old one is served while the
	   new one is asked for, then the new one */
	snmpd_stop();
	snmpd_start("rocommunity testcomm 127.0.0.1\n"
		    "rocommunity6 testcomm ::1\n"
		    "override " IFX "1.7 octet_str \"xe-0/0/7\"\n"
		    "override " IFX "18.7 octet_str \"Customer B\"\n",
		    snmpd_port);
	uint64_t end = ofd_time_mono_ns() + 10 * OFD_NS_PER_S;
	for (;;) {
		b = flows(h, "127.0.0.1", ifs, 1);
		ofd_harness_process(h, b);
		assert_non_null(b->flows[0].in_if_desc); /* never without data meanwhile */
		if (strcmp(b->flows[0].in_if_desc, "Customer B") == 0)
			break;
		assert_string_equal(b->flows[0].in_if_desc, "Customer A [123]");
		assert_true(ofd_time_mono_ns() < end);
		poll(NULL, 0, 5);
	}
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_IN_IF_SPEED)); /* gone from the agent */
	assert_true(ofd_harness_metric(h, "snmp_lookups_total", "stale") >= 1);
	ofd_harness_free(h);
	snmpd_stop();
	char longdesc[301], conf[4096];
	memset(longdesc, 'x', 300);
	longdesc[300] = 0;
	snprintf(conf, sizeof(conf), conf_main, longdesc);
	snmpd_start(conf, snmpd_port);
}

static void test_config(void **state)
{
	(void)state;
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_snmp, "{connlimit: 0}", err, sizeof(err)), OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment snmp: key connlimit");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_snmp, "{regex: \"(open\"}", err, sizeof(err)),
			 OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment snmp: key regex: does not compile");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_snmp, "{cache_interval: 0s}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "key cache_interval"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_snmp, "{agents: [10.0.0.1/8]}", err, sizeof(err)),
			 OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment snmp: key agents[0]: '10.0.0.1/8' is not an address");
	assert_null(h);
	/* flowpipeline's keys as its configs write them */
	h = st_open(&ofd_seg_snmp, "{community: public, regex: \".*\", connlimit: 16, synchronous: true, "
				   "cache_interval: 30m}");
	ofd_harness_free(h);
}

static void test_text(void **state)
{
	(void)state;
	char out[SNMP_TEXT_MAX + 1];
	static const unsigned char hostile[] = {'a',  0x1b, '[',  '2', 'J', 0x7f, 0xc2, 0x85, 0xc3,
						0xa9, 0xe2, 0x82, 'x', 0,   'y',  0,	0};
	assert_int_equal(snmp_text_clean(out, hostile, sizeof(hostile)), 14);
	assert_string_equal(out, "a?[2J??\xc3\xa9??x?y"); /* ESC, DEL, C1 NEL, a cut sequence, inner NUL */
	unsigned char big[600];
	for (size_t i = 0; i < sizeof(big); i += 2)
		big[i] = 0xc3, big[i + 1] = 0xa9; /* é: never cut in two */
	assert_int_equal(snmp_text_clean(out, big, sizeof(big)), 254);
	char why[256];
	void *re = snmp_regex_compile("^(?:cust-(\\d+)|other) -", why, sizeof(why));
	assert_non_null(re);
	size_t start = 99;
	const char *d = "cust-42 - rack 3";
	assert_int_equal(snmp_regex_apply(re, d, strlen(d), &start), 2);
	assert_int_equal(start, 5);
	d = "other - x"; /* matched, group 1 took no part: empty, as Go's FindStringSubmatch */
	assert_int_equal(snmp_regex_apply(re, d, strlen(d), &start), 0);
	d = "nothing";
	assert_int_equal(snmp_regex_apply(re, d, strlen(d), &start), 7);
	assert_int_equal(start, 0);
	snmp_regex_free(re);
	re = snmp_regex_compile("rack", why, sizeof(why)); /* no group: stays */
	d = "cust-42 - rack 3";
	assert_int_equal(snmp_regex_apply(re, d, strlen(d), &start), (long)strlen(d));
	snmp_regex_free(re);
	assert_null(snmp_regex_compile("a(", why, sizeof(why)));
	assert_non_null(strstr(why, "does not compile at offset 2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),	cmocka_unit_test(test_config),
	    cmocka_unit_test(test_interfaces),	cmocka_unit_test(test_ipv6_agent),
	    cmocka_unit_test(test_dead_agent),	cmocka_unit_test(test_wrong_community),
	    cmocka_unit_test(test_agents),	cmocka_unit_test(test_connlimit),
	    cmocka_unit_test(test_queue_bound), cmocka_unit_test(test_eviction),
	    cmocka_unit_test(test_refresh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
