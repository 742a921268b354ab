/*
 * tracer: picks flows with odds min(1, rate x packets), signs a tracer about each and delivers
 * it (here to a UDP relay on 127.0.0.1, the test's own socket); flows pass on unchanged. The
 * selection, signing and delivery themselves are tested in tests/unit/test_tracer_*.c and
 * tests/e2e/test_tracer.sh; this is the segment: its config, counters and a delivery.
 *
 * Admission, as attacks: records of an unlisted exporter make no tracer (counted, logged at a
 * rate limit); a flood of records in a listed exporter's name at 100 % odds sends at most
 * amplification x the bytes of export (measured on the receiving sockets); what `redact` leaves
 * out by default to flow ends and to relays; configurations that can never make a tracer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gen_flow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_tracer;

/* A UDP socket on 127.0.0.1 (the relay); *port gets its port. */
static int relay_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A UDP socket on 127.0.0.N:port (0: any), with room for a flood of datagrams; *port gets its port. */
static int end_socket(unsigned n, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	int big = 16 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)); /* root; else the default */
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(*port)};
	a.sin_addr.s_addr = htonl(0x7f000000u + n);
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* The bytes of the datagrams waiting on fd (*n: how many), not waiting for more. */
static uint64_t drain(int fd, uint64_t *n)
{
	static char buf[65536];
	uint64_t bytes = 0;
	ssize_t len;
	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		bytes += (uint64_t)len;
		(*n)++;
	}
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return bytes;
}

/* The datagrams waiting on fd, not waiting for more; each must hold needle. */
static unsigned datagrams(int fd, const char *needle)
{
	static char buf[65536];
	unsigned n = 0;
	ssize_t len;
	while ((len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[len] = 0;
		assert_non_null(memmem(buf, (size_t)len, needle, strlen(needle)));
		n++;
	}
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

/* h's batch of 4 sample flows to distinct destinations, flow 1 not live. */
static struct ofd_batch *flows(struct ofd_harness *h)
{
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	for (uint32_t i = 0; i < 4; i++) {
		gen_sample_flow(&b->flows[i]);
		ofd_ip_set4u(&b->flows[i].dst_addr, 0xc6336402 + i); /* 198.51.100.2 + i */
	}
	ofd_batch_kill(b, 1);
	return b;
}

static void test_tracer_relay(void **state)
{
	(void)state;
	uint16_t port;
	int fd = relay_socket(&port);
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "{rate: 1, seed: 7, key: '%s', contact: abuse@example.net, send: [], "
		 "send_to: ['udp://127.0.0.1:%u']}",
		 st_path("signing.key"), port);
	struct ofd_harness *h = st_open(&ofd_seg_tracer, cfg);
	assert_int_equal(ofd_harness_counter(h, "selected"), 0);
	struct ofd_batch *b = flows(h);
	struct ofd_flow before[4];
	memcpy(before, b->flows, sizeof(before));
	ofd_harness_process(h, b);
	/* every live flow picked (10 packets at rate 1), and passed on as it was */
	assert_int_equal(ofd_harness_counter(h, "selected"), 3);
	assert_int_equal(ofd_harness_counter(h, "failed"), 0);
	assert_int_equal(b->live[0], 0xd);
	assert_memory_equal(b->flows, before, sizeof(before));
	ofd_harness_tick(h, 0);
	ofd_harness_free(h); /* fini() waits for the deliveries */
	assert_int_equal(datagrams(fd, "abuse@example.net"), 3);
	/* the key file was created, and is used again */
	assert_int_equal(access(st_path("signing.key"), R_OK), 0);
	h = st_open(&ofd_seg_tracer, cfg);
	ofd_harness_free(h);
	close(fd);
}

static void test_tracer_rate_zero(void **state)
{
	(void)state;
	char cfg[600];
	snprintf(cfg, sizeof(cfg), "{rate: 0, seed: 7, key: '%s', send: []}", st_path("signing.key"));
	struct ofd_harness *h = st_open(&ofd_seg_tracer, cfg);
	struct ofd_batch *b = flows(h);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "selected"), 0);
	assert_int_equal(ofd_batch_live_count(b), 3);
	ofd_harness_free(h);
}

/* ---- admission ---- */

#define T0	 UINT64_C(1700000000000000000)
#define SEC	 UINT64_C(1000000000)
#define EXPORT_B 48 /* a NetFlow v5 record's share of a full datagram (1464 / 30) */

/* Flow ends on 127.0.0.1 and 127.0.0.2 at one port, everything allowed and unlimited. */
static const char *ends_cfg(char *buf, size_t cap, uint16_t port, const char *more)
{
	snprintf(
	    buf, cap,
	    "{rate: 1, seed: 7, key: '%s', contact: abuse@example.net, send: [udp], udp_port: %u, "
	    "allow: ['127.0.0.0/8'], addr_rate: 1e6, addr_burst: 1e6, global_rate: 1e9, global_burst: 1e9, "
	    "queue: 60000%s%s}",
	    st_path("signing.key"), port, more[0] ? ", " : "", more);
	return buf;
}

/* nb batches of 512 flows from 127.0.0.1 to 127.0.0.2 (distinct ports), of the given origin, in
   the name of exporter 122.166.4.242; returns the bytes of export they stand for. */
static uint64_t feed(struct ofd_harness *h, unsigned nb, uint8_t origin)
{
	static unsigned port;
	uint64_t in = 0;
	for (unsigned k = 0; k < nb; k++) {
		struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
		for (uint32_t i = 0; i < OFD_BATCH_CAP; i++) {
			struct ofd_flow *f = &b->flows[i];
			gen_sample_flow(f);
			ofd_ip_set4u(&f->src_addr, 0x7f000001);
			ofd_ip_set4u(&f->dst_addr, 0x7f000002);
			f->src_port = (uint16_t)(1024 + port++ % 60000);
			f->origin = origin;
			f->export_bytes = EXPORT_B;
			in += EXPORT_B;
		}
		ofd_harness_process(h, b);
	}
	return in;
}

/* Send fd (stdout, stderr) to a file named name in the scratch directory until fd_back(). */
static int saved_fd = -1;
static const char *fd_to_file(int which, const char *name)
{
	const char *p = st_path(name);
	fflush(which == 1 ? stdout : stderr);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved_fd = dup(which);
	assert_int_equal(dup2(fd, which), which);
	close(fd);
	return p;
}

static void fd_back(int which)
{
	fflush(which == 1 ? stdout : stderr);
	assert_int_equal(dup2(saved_fd, which), which);
	close(saved_fd);
}

static unsigned occurrences(const char *text, const char *needle)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A forged export in an unlisted exporter's name: no tracer, no byte out; counted and logged
   at most once per 10 s with the count. */
static void test_tracer_unlisted(void **state)
{
	(void)state;
	uint16_t port = 0;
	int a = end_socket(1, &port), b = end_socket(2, &port);
	char cfg[1024];
	struct ofd_harness *h = st_open(&ofd_seg_tracer, ends_cfg(cfg, sizeof(cfg), port, ""));
	const char *log = fd_to_file(2, "stderr.txt");
	feed(h, 4, OFD_ORIGIN_UNLISTED);
	ofd_harness_tick(h, T0);
	feed(h, 1, OFD_ORIGIN_UNLISTED);
	ofd_harness_tick(h, T0 + 5 * SEC); /* within 10 s of the last line: nothing */
	ofd_harness_tick(h, T0 + 11 * SEC);
	ofd_harness_tick(h, T0 + 30 * SEC); /* nothing new: nothing */
	fd_back(2);
	assert_int_equal(ofd_harness_counter(h, "unlisted"), 5 * OFD_BATCH_CAP);
	assert_int_equal(ofd_harness_counter(h, "selected"), 0);
	ofd_harness_free(h);
	uint64_t n = 0;
	assert_int_equal(drain(a, &n) + drain(b, &n), 0);
	assert_int_equal(n, 0);
	char *text = st_slurp(log, NULL);
	assert_int_equal(occurrences(text, "from exporters not on their input's exporters list"), 2);
	assert_non_null(strstr(text, "segment tracer: 2048 records from exporters not on"));
	assert_non_null(strstr(text, "segment tracer: 512 records from exporters not on"));
	free(text);
	close(a);
	close(b);
}

/*
 * A flood at 100 % odds of records in an exporter's name (listed, so it may have been forged
 * in its name; or unlisted with from: any): the tracer bytes received by the flow ends stay at
 * most amplification x the bytes of export. The budget is a bound, and it is used: the ratio
 * measured is close to it.
 */
static void flood(uint8_t origin, const char *more, double ratio)
{
	uint16_t port = 0;
	int a = end_socket(1, &port), b = end_socket(2, &port);
	char cfg[1024];
	struct ofd_harness *h = st_open(&ofd_seg_tracer, ends_cfg(cfg, sizeof(cfg), port, more));
	uint64_t in = feed(h, 40, origin);
	assert_int_equal(ofd_harness_counter(h, "selected"), 40 * OFD_BATCH_CAP);
	uint64_t refused = ofd_harness_counter(h, "budget");
	ofd_harness_free(h); /* the sender delivers what it queued */
	uint64_t n = 0, out = drain(a, &n) + drain(b, &n);
	double measured = (double)out / (double)in;
	print_message("flood: %llu bytes of export in, %llu tracer bytes out in %llu datagrams: %.4f "
		      "(budget %.2f), %llu tracers refused\n",
		      (unsigned long long)in, (unsigned long long)out, (unsigned long long)n, measured, ratio,
		      (unsigned long long)refused);
	assert_true(out <= (uint64_t)(ratio * (double)in));
	assert_true(measured > 0.85 * ratio); /* headers, the last tracer's credit: a few % */
	assert_true(refused > 0 && refused < 40 * OFD_BATCH_CAP);
	close(a);
	close(b);
}

static void test_tracer_flood_listed(void **state)
{
	(void)state;
	flood(OFD_ORIGIN_LISTED, "", 0.5);
	flood(OFD_ORIGIN_LISTED, "amplification: 0.2", 0.2);
}

static void test_tracer_flood_from_any(void **state)
{
	(void)state;
	flood(OFD_ORIGIN_UNLISTED, "from: any", 0.5);
}

/* Local records (files, loopback exporters) are not budgeted: every one is sent. */
static void test_tracer_local_not_budgeted(void **state)
{
	(void)state;
	uint16_t port = 0;
	int a = end_socket(1, &port), b = end_socket(2, &port);
	char cfg[1024];
	struct ofd_harness *h = st_open(&ofd_seg_tracer, ends_cfg(cfg, sizeof(cfg), port, ""));
	feed(h, 1, OFD_ORIGIN_LOCAL);
	assert_int_equal(ofd_harness_counter(h, "budget"), 0);
	ofd_harness_free(h);
	uint64_t n = 0;
	(void)drain(a, &n);
	(void)drain(b, &n);
	assert_int_equal(n, 2 * OFD_BATCH_CAP);
	close(a);
	close(b);
}

/* The datagrams on fd: how many, and how many hold needle. */
static unsigned holding(int fd, const char *needle, unsigned *total)
{
	static char buf[65536];
	unsigned n = 0;
	ssize_t len;
	*total = 0;
	while ((len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[len] = 0;
		(*total)++;
		n += strstr(buf, needle) != NULL;
	}
	return n;
}

/*
 * One local sample flow (exporter, interfaces, AS numbers, sampling rate) printed with cfg (and
 * maybe sent: the printed tracer is the full form, the one HTTP(S) gets); the members it holds
 * as a bit mask: 1 exporter, 2 in_if, 4 src_as, 8 sampling_rate.
 */
static unsigned printed_members(const char *cfg)
{
	static const char *const m[] = {
	    "\"exporter\": ", "\"in_if\": ", "\"src_as\": ", "\"sampling_rate\": "};
	const char *out = fd_to_file(1, "stdout.txt");
	struct ofd_harness *h = st_open(&ofd_seg_tracer, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	gen_sample_flow(&b->flows[0]);
	ofd_ip_set4u(&b->flows[0].src_addr, 0x7f000001);
	ofd_ip_set4u(&b->flows[0].dst_addr, 0x7f000002);
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	fd_back(1);
	char *text = st_slurp(out, NULL);
	char *nl = strchr(text, '\n');
	assert_non_null(nl);
	*nl = 0; /* one tracer: its signed bytes are base64, the members are read in the plain copy */
	unsigned mask = 0;
	for (unsigned i = 0; i < 4; i++)
		mask |= strstr(text, m[i]) ? 1u << i : 0;
	assert_null(strstr(text, "truncated"));
	free(text);
	return mask;
}

static void test_tracer_redact(void **state)
{
	(void)state;
	uint16_t port = 0;
	int a = end_socket(1, &port), b = end_socket(2, &port);
	char cfg[1024];
	/* to flow ends: exporter, interfaces, AS numbers left out by default; the sampling rate kept */
	assert_int_equal(printed_members(ends_cfg(cfg, sizeof(cfg), port, "print: true")), 8);
	assert_int_equal(printed_members(ends_cfg(cfg, sizeof(cfg), port, "print: true, redact: none")), 15);
	assert_int_equal(
	    printed_members(ends_cfg(cfg, sizeof(cfg), port, "print: true, redact: [interfaces, as]")), 9);
	unsigned total;
	assert_int_equal(holding(a, "", &total), 3); /* and they were sent */
	assert_int_equal(holding(b, "", &total), 3);
	/* to a relay: everything by default */
	uint16_t rport;
	int r = relay_socket(&rport);
	snprintf(cfg, sizeof(cfg),
		 "{rate: 1, key: '%s', print: true, send: [], send_to: ['udp://127.0.0.1:%u']}",
		 st_path("signing.key"), rport);
	assert_int_equal(printed_members(cfg), 15);
	snprintf(cfg, sizeof(cfg),
		 "{rate: 1, key: '%s', print: true, send: [], send_to: ['udp://127.0.0.1:%u'], redact: all}",
		 st_path("signing.key"), rport);
	assert_int_equal(printed_members(cfg), 8);
	assert_int_equal(holding(r, "", &total), 2);
	/* printed only: everything, unless redact says otherwise */
	snprintf(cfg, sizeof(cfg), "{rate: 1, key: '%s', print: true, send: []}", st_path("signing.key"));
	assert_int_equal(printed_members(cfg), 15);
	snprintf(cfg, sizeof(cfg), "{rate: 1, key: '%s', print: true, send: [], redact: exporter}",
		 st_path("signing.key"));
	assert_int_equal(printed_members(cfg), 14);
	close(r);
	close(a);
	close(b);
}

/* A contact no datagram can hold whole: the UDP form carries it cut, marked, below 1,200 bytes. */
static void test_tracer_long_contact_udp(void **state)
{
	(void)state;
	static char big[5001];
	memset(big, 'a', sizeof(big) - 1);
	uint16_t rport;
	int r = relay_socket(&rport);
	char cfg[6000];
	snprintf(cfg, sizeof(cfg),
		 "{rate: 1, key: '%s', send: [], send_to: ['udp://127.0.0.1:%u'], contact: %s}",
		 st_path("signing.key"), rport, big);
	struct ofd_harness *h = st_open(&ofd_seg_tracer, cfg);
	struct ofd_batch *b = flows(h);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_harness_counter(h, "failed"), 0);
	assert_int_equal(ofd_harness_counter(h, "fitted"), 3);
	ofd_harness_free(h);
	static char buf[65536];
	unsigned n = 0;
	ssize_t len;
	while ((len = recv(r, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[len] = 0;
		assert_true(len < 1200);
		assert_non_null(strstr(buf, "\"truncated\": [\"data\", \"contact\"]"));
		assert_non_null(strstr(buf, "\"contact\": \"aaaa"));
		n++;
	}
	assert_int_equal(n, 3);
	close(r);
}

static void test_tracer_config_errors(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
	    {"{send: [smtp]}",
	     "test.yml:1: segment tracer: key send: 'smtp' is not one of: udp, http, https"},
	    {"{deny: [10.0.0.0/33]}",
	     "test.yml:1: segment tracer: key deny: '10.0.0.0/33' is not an address prefix"},
	    {"{seal: [10.0.0.0/8=abc]}", "test.yml:1: segment tracer: key seal: '10.0.0.0/8=abc' is not "
					 "PREFIX=HEXKEY (64 hex digits)"},
	    {"{escalate: [{multiplier: 2}]}",
	     "test.yml:1: segment tracer: key escalate[0].filter: missing required key"},
	    {"{escalate: [{filter: proto udp}, {filter: proto xyz}]}",
	     "test.yml:1: segment tracer: key escalate[1].filter: column 7: expected a protocol"},
	    {"{escalate: {filter: proto udp, multiplier: 0.5}}",
	     "test.yml:1: segment tracer: key escalate[0].multiplier: 0.5 is below the minimum 1"},
	    {"{rate: 2}", "test.yml:1: segment tracer: key rate: "},
	    {"{amplification: 1}", "test.yml:1: segment tracer: key amplification: 1 is not below 1"},
	    {"{amplification: 0}", "test.yml:1: segment tracer: key amplification: 0 is not above 0"},
	    {"{amplification: 1.5}", "test.yml:1: segment tracer: key amplification: "},
	    {"{from: everyone}", "test.yml:1: segment tracer: key from: "},
	    {"{redact: [exporter, macs]}", "test.yml:1: segment tracer: key redact: 'macs' is not one of: "
					   "exporter, interfaces, as, nexthop, all, none, auto"},
	    {"{redact: [auto, as]}", "test.yml:1: segment tracer: key redact: auto stands alone"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ofd_harness *h;
		char err[512] = "";
		assert_int_equal(ofd_harness_new(&h, &ofd_seg_tracer, bad[i][0], err, sizeof(err)),
				 OFD_ECONFIG);
		assert_null(h);
		st_assert_prefix(err, bad[i][1]);
	}
	/* a contact too long for every tracer the configuration makes (whole: HTTP(S), print) */
	static char cfg[6000], big[5001];
	memset(big, 'a', sizeof(big) - 1);
	static const char *const sends[] = {"send: [http, https]", "send: [], print: true",
					    "send: [], send_to: ['http://127.0.0.1:1/x']"};
	for (size_t i = 0; i < sizeof(sends) / sizeof(sends[0]); i++) {
		struct ofd_harness *h;
		char err[512] = "";
		snprintf(cfg, sizeof(cfg), "{%s, contact: %s}", sends[i], big);
		assert_int_equal(ofd_harness_new(&h, &ofd_seg_tracer, cfg, err, sizeof(err)), OFD_ECONFIG);
		st_assert_prefix(err,
				 "test.yml:1: segment tracer: key contact: 5000 bytes is too long for any "
				 "tracer: HTTP(S) and printed tracers carry it whole and hold at most ");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tracer_relay),
	    cmocka_unit_test(test_tracer_rate_zero),
	    cmocka_unit_test(test_tracer_config_errors),
	    cmocka_unit_test(test_tracer_unlisted),
	    cmocka_unit_test(test_tracer_flood_listed),
	    cmocka_unit_test(test_tracer_flood_from_any),
	    cmocka_unit_test(test_tracer_local_not_budgeted),
	    cmocka_unit_test(test_tracer_redact),
	    cmocka_unit_test(test_tracer_long_contact_udp),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
