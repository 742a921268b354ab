/*
 * udp: receives export datagrams on 127.0.0.1 (built NetFlow v5 and IPFIX), over one or
 * several workers; decoder families summed over the workers; templates kept across a restart
 * through state_file; the exporters allow-list and the records' origin and export_bytes (from
 * forged-looking sources in a private network namespace, when this process may make one). The
 * test learns the bound port from the segment's own header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gen_nf5.h"
#include "gen_v9ipfix.h"
#include "segments/input/udp_seg.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_udp;

/* One datagram to 127.0.0.1:port, from fd (-1: a fresh socket, closed after). */
static void send_to(int fd, uint16_t port, const void *p, size_t len)
{
	int own = fd < 0 ? socket(AF_INET, SOCK_DGRAM, 0) : -1;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd < 0 ? own : fd, p, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	if (own >= 0)
		close(own);
}

/* A NetFlow v5 datagram of n records with sequence seq; record i has 100 + seq + i bytes. */
static void build_nf5(struct gen_buf *g, uint32_t seq, unsigned n)
{
	struct gen_nf5_hdr h = {.uptime_ms = 100000, .unix_secs = 1700000000, .sequence = seq};
	struct gen_nf5_rec r[30];
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < n; i++) {
		r[i].src = 0xc0000201;
		r[i].dst = 0xc6336400 + i;
		r[i].packets = 1;
		r[i].bytes = 100 + seq + i;
		r[i].first = 90000;
		r[i].last = 99000;
		r[i].src_port = 123;
		r[i].dst_port = (uint16_t)(1000 + i);
		r[i].proto = 17;
	}
	gen_nf5(g, &h, r, n);
}

static void send_nf5(uint16_t port, uint32_t seq, unsigned n)
{
	struct gen_buf g = {0};
	build_nf5(&g, seq, n);
	send_to(-1, port, g.p, g.len);
	gen_free(&g);
}

/* The same from a socket bound to src4, to dst4:port. */
static void send_nf5_from(uint32_t src4, uint32_t dst4, uint16_t port, uint32_t seq, unsigned n)
{
	struct gen_buf g = {0};
	build_nf5(&g, seq, n);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in from = {.sin_family = AF_INET},
			   to = {.sin_family = AF_INET, .sin_port = htons(port)};
	from.sin_addr.s_addr = htonl(src4);
	to.sin_addr.s_addr = htonl(dst4);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(sendto(fd, g.p, g.len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)g.len);
	close(fd);
	gen_free(&g);
}

/* The port of the instance's first socket. */
static uint16_t port_of(struct ofd_harness *h)
{
	uint16_t port = ofd_seg_udp_port(ofd_harness_state(h), 0);
	assert_true(port != 0);
	return port;
}

/* Poll the instance's metric until it reaches want (at most 5 s); its value then. */
static uint64_t metric_until(struct ofd_harness *h, const char *family, const char *value, uint64_t want)
{
	uint64_t v = 0;
	for (int i = 0; i < 5000 && (v = ofd_harness_metric(h, family, value)) < want; i++) {
		sched_yield();
		usleep(1000);
	}
	return v;
}

static void test_udp(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_udp, "{listen: 'netflow://127.0.0.1:0'}");
	uint16_t port = port_of(h);
	assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
	send_nf5(port, 0, 30);
	st_collect_wait(&c, 30); /* handed on while the socket is quiet, not held for a full batch */
	send_nf5(port, 30, 5);
	send_nf5(port, 35, 7);
	st_collect_wait(&c, 42);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(c.n, 42);
	uint64_t bytes = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct ofd_flow *f = &c.v[i];
		assert_int_equal(f->type, OFD_FT_NETFLOW_V5);
		assert_int_equal(f->src_port, 123);
		assert_int_equal(f->proto, 17);
		assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0000201);
		assert_int_equal(ofd_ip_v4(&f->sampler_address), 0x7f000001);
		bytes += f->bytes;
	}
	/* datagram seq s, record i: 100 + s + i */
	assert_int_equal(bytes, (30 * 100 + 435) + (5 * 130 + 10) + (7 * 135 + 21));
	assert_int_equal(ofd_harness_metric(h, "datagrams_total", "netflow_v5"), 3);
	assert_int_equal(ofd_harness_metric(h, "records_total", "netflow_v5"), 42);
	ofd_harness_free(h);
	st_collect_reset(&c);

	/* a port that is taken refuses the start */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	char cfg[128], err[512] = "";
	snprintf(cfg, sizeof(cfg), "{listen: 'udp://127.0.0.1:%u'}", ntohs(a.sin_port));
	assert_true(ofd_harness_new(&h, &ofd_seg_udp, cfg, err, sizeof(err)) < 0);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment udp: ");
	close(fd);
}

/* Three workers on one port: every record arrives once, and the input's decoder counters are
   the sum over the workers (datagrams spread by their v5 sequence numbers). */
static void test_udp_workers(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_udp, "{listen: 'udp://127.0.0.1:0', workers: 3}");
	uint16_t port = port_of(h);
	assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
	uint64_t want_bytes = 0;
	for (unsigned d = 0; d < 40; d++) {
		send_nf5(port, d * 30, 30);
		for (unsigned i = 0; i < 30; i++)
			want_bytes += 100 + d * 30 + i;
	}
	/* malformed: v5 headers announcing 30 records and carrying none, spread over the workers */
	for (uint32_t i = 0; i < 12; i++) {
		uint8_t hdr[40] = {0, 5, 0, 30}; /* 32 bytes at least: spread, not a runt */
		uint32_t seq = htonl(i * 30);
		memcpy(hdr + 16, &seq, 4);
		send_to(-1, port, hdr, sizeof(hdr));
	}
	st_collect_wait(&c, 1200);
	/* the drops of one exporter, counted by several workers, are one series with their sum
	   (asked of the running input, as a scrape does) */
	assert_int_equal(metric_until(h, "drops_total", NULL, 12), 12);
	size_t n;
	assert_int_equal(ofd_harness_metric_n(h, "drops_by_exporter_total", "127.0.0.1", &n), 12);
	assert_int_equal(n, 1);
	assert_int_equal(ofd_harness_metric_n(h, "drops_by_exporter_total", NULL, &n), 12);
	assert_int_equal(n, 2); /* and "other" */
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(c.n, 1200);
	uint64_t bytes = 0;
	for (size_t i = 0; i < c.n; i++)
		bytes += c.v[i].bytes;
	assert_int_equal(bytes, want_bytes);
	assert_int_equal(ofd_harness_metric(h, "datagrams_total", NULL), 52);
	assert_int_equal(ofd_harness_metric(h, "records_total", NULL), 1200);
	assert_int_equal(ofd_harness_metric(h, "records_total", "netflow_v5"), 1200);
	assert_int_equal(ofd_harness_metric(h, "drops_total", NULL), 12);
	assert_int_equal(ofd_harness_metric(h, "drops_by_exporter_total", "127.0.0.1"), 12);
	assert_int_equal(ofd_harness_metric(h, "drops_by_exporter_total", NULL), 12);
	assert_int_equal(ofd_harness_metric(h, "drops_by_exporter_total", "other"), 0);
	ofd_harness_free(h);
	st_collect_reset(&c);
}

/* IPFIX from one exporter socket: with templates (tmpl = 1) or data only; n records. */
static void send_ipfix(int fd, uint16_t port, int tmpl, uint32_t seq, unsigned n)
{
	static const struct gv_field f[] = {{8, 4, 0}, {12, 4, 0}, {2, 8, 0}, {1, 8, 0}, {4, 1, 0}};
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, 1700000000, seq, 7);
	if (tmpl) {
		gv_set_begin(&m, 2);
		gv_template(&m, 256, f, 5);
	}
	gv_set_begin(&m, 256);
	for (unsigned i = 0; i < n; i++)
		gv_record(&m, f, 5, (const uint64_t[]){0xc0000201, 0xc6336400 + i, 10 + i, 1000 + i, 17});
	size_t len = gv_end(&m);
	send_to(fd, port, m.g.p, len);
	gv_free(&m);
}

/*
 * Templates survive a restart through state_file: the first pipeline learns them and saves at
 * its end; the second (two workers, each loading the file) decodes data-only datagrams from
 * the same exporter at once. Without the file the same data is dropped as unknown-template.
 */
static void test_udp_state(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	char cfg[512];
	int fd = socket(AF_INET, SOCK_DGRAM, 0); /* the exporter: one source port throughout */
	struct sockaddr_in self = {.sin_family = AF_INET};
	self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&self, sizeof(self)), 0);
	for (int run = 0; run < 3; run++) {
		snprintf(cfg, sizeof(cfg),
			 "{listen: 'udp://127.0.0.1:0', workers: %d, state_file: '%s', state_interval: 0}",
			 run + 1, st_path(run == 2 ? "other.state" : "templates.state"));
		struct ofd_harness *h = st_open(&ofd_seg_udp, cfg);
		uint16_t port = port_of(h);
		assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
		if (run == 0) {
			send_ipfix(fd, port, 1, 1, 2);
			st_collect_wait(&c, 2);
		} else {
			send_ipfix(fd, port, 0, 10, 3);
			if (run == 1)
				st_collect_wait(&c, 3);
		}
		if (run == 2) /* nothing to wait for: poll the counters until the drop shows */
			(void)metric_until(h, "drops_total", "unknown_template", 1);
		assert_int_equal(ofd_harness_stop(h), 0);
		if (run == 0) {
			assert_int_equal(c.n, 2);
			assert_int_equal(ofd_harness_metric(h, "templates", "template"), 1);
		} else if (run == 1) {
			assert_int_equal(c.n, 3);
			assert_int_equal(ofd_ip_v4(&c.v[2].dst_addr) & 0xff, 2);
			assert_int_equal(c.v[0].packets + c.v[1].packets + c.v[2].packets, 33);
			assert_int_equal(ofd_harness_metric(h, "drops_total", "unknown_template"), 0);
			/* both workers loaded it, and each holds it */
			assert_int_equal(ofd_harness_metric(h, "templates", "template"), 2);
		} else {
			assert_int_equal(c.n, 0);
			assert_int_equal(ofd_harness_metric(h, "drops_total", "unknown_template"), 1);
		}
		ofd_harness_free(h);
		st_collect_reset(&c);
	}
	close(fd);
}

/* Loopback is local whatever the list says; a bad list item is refused with its index. */
static void test_udp_exporters_loopback(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(
	    &ofd_seg_udp, "{listen: 'udp://127.0.0.1:0', workers: 1, exporters: [192.0.2.0/24, '::1']}");
	assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
	send_nf5(port_of(h), 0, 2);
	st_collect_wait(&c, 2);
	assert_int_equal(ofd_harness_stop(h), 0);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.v[i].origin, OFD_ORIGIN_LOCAL);
		assert_int_equal(c.v[i].export_bytes, (24 + 2 * 48) / 2);
	}
	ofd_harness_free(h);
	st_collect_reset(&c);

	char err[512] = "";
	assert_true(ofd_harness_new(&h, &ofd_seg_udp,
				    "{listen: 'udp://127.0.0.1:0', exporters: [192.0.2.1, 10.1.2.3/8]}", err,
				    sizeof(err)) < 0);
	st_assert_prefix(
	    err, "test.yml:1: segment udp: key exporters[1]: '10.1.2.3/8' is not an address or prefix");
	assert_true(ofd_harness_new(&h, &ofd_seg_udp, "{listen: 'udp://127.0.0.1:0', unlisted: keep}", err,
				    sizeof(err)) < 0);
}

/* flowpipeline's goflow listen syntax: nfl:// and flow:// schemes, spaces, a ?query ignored;
   a bad scheme refused before anything is bound */
static void test_udp_goflow_listen(void **state)
{
	(void)state;
	struct st_collect c = ST_COLLECT_INIT;
	struct ofd_harness *h = st_open(&ofd_seg_udp, "{listen: ' nfl://127.0.0.1:0?count=4 ', workers: 1}");
	uint16_t port = port_of(h);
	assert_int_not_equal(port, 0);
	assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
	send_nf5(port, 0, 5);
	st_collect_wait(&c, 5);
	assert_int_equal(ofd_harness_stop(h), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.v[0].type, OFD_FT_NETFLOW_V5);
	ofd_harness_free(h);
	st_collect_reset(&c);
	h = st_open(&ofd_seg_udp, "{listen: 'flow://127.0.0.1:0,sflow://[::1]:0', workers: 1}");
	assert_int_not_equal(port_of(h), 0);
	ofd_harness_free(h);

	char err[512] = "";
	assert_true(ofd_harness_new(&h, &ofd_seg_udp, "{listen: 'netflow://:2055, ipfix://:4739'}", err,
				    sizeof(err)) < 0);
	assert_string_equal(err, "test.yml:1: segment udp: key listen: \"ipfix://:4739\": expected "
				 "scheme://[address]:port with scheme sflow, netflow, nfl, flow or udp");
}

/* A private network namespace where 10.0.0.1 and 10.0.0.2 are local addresses (aliases of lo);
   0, or -1 when this process may not make one. */
static int netns_with_two_addresses(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	for (int i = 1; i <= 2; i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo:%d", i);
		struct sockaddr_in a = {.sin_family = AF_INET};
		a.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
		memcpy(&ifr.ifr_addr, &a, sizeof(a));
		assert_int_equal(ioctl(fd, SIOCSIFADDR, &ifr), 0);
	}
	close(fd);
	return 0;
}

#define LISTED_A   0x0a000001u /* 10.0.0.1 */
#define UNLISTED_A 0x0a000002u /* 10.0.0.2 */

/* The records of c from exporter a: how many, and each one's origin and export_bytes checked. */
static size_t from(const struct st_collect *c, uint32_t a, enum ofd_origin origin, uint16_t share)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (ofd_ip_v4(&c->v[i].sampler_address) != a)
			continue;
		assert_int_equal(c->v[i].origin, origin);
		assert_int_equal(c->v[i].export_bytes, share);
		n++;
	}
	return n;
}

/*
 * Exporters judged by their UDP source (in a private network namespace, run last: the process
 * stays in it): listed ones decode as listed, others are dropped and counted (unlisted: drop)
 * or decoded as unlisted (unlisted: decode); loopback is local; without a list, unlisted.
 * export_bytes is each datagram's length over its records: 24 + 48 n bytes over n.
 */
static void test_udp_exporters_netns(void **state)
{
	(void)state;
	if (netns_with_two_addresses() != 0)
		skip(); /* not root, or no user namespaces: nothing to test here */
	static const char *const cfgs[3] = {
	    "{listen: 'udp://:0', workers: 1, exporters: ['10.0.0.1', '2001:db8::/32']}",
	    "{listen: 'udp://:0', workers: 1, exporters: ['10.0.0.0/31'], unlisted: decode}",
	    "{listen: 'udp://:0', workers: 2}",
	};
	for (int k = 0; k < 3; k++) {
		struct st_collect c = ST_COLLECT_INIT;
		struct ofd_harness *h = st_open(&ofd_seg_udp, cfgs[k]);
		uint16_t port = port_of(h);
		assert_int_equal(ofd_harness_start(h, st_collect_batch, &c), 0);
		send_nf5_from(LISTED_A, LISTED_A, port, 0, 3);
		send_nf5_from(UNLISTED_A, LISTED_A, port, 100, 5);
		send_nf5_from(0x7f000001, 0x7f000001, port, 200, 2);
		size_t want = k == 0 ? 5 : 10;
		st_collect_wait(&c, want);
		if (k == 0)
			assert_int_equal(metric_until(h, "drops_total", "unlisted_exporter", 1), 1);
		assert_int_equal(ofd_harness_stop(h), 0);
		assert_int_equal(c.n, want);
		assert_int_equal(from(&c, LISTED_A, k == 2 ? OFD_ORIGIN_UNLISTED : OFD_ORIGIN_LISTED, 56), 3);
		assert_int_equal(from(&c, UNLISTED_A, OFD_ORIGIN_UNLISTED, 52), k == 0 ? 0 : 5);
		assert_int_equal(from(&c, 0x7f000001, OFD_ORIGIN_LOCAL, 60), 2);
		assert_int_equal(ofd_harness_metric(h, "drops_total", "unlisted_exporter"), k == 0);
		assert_int_equal(ofd_harness_metric(h, "drops_by_exporter_total", "10.0.0.2"), k == 0);
		assert_int_equal(ofd_harness_metric(h, "records_total", "netflow_v5"), want);
		ofd_harness_free(h);
		st_collect_reset(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_udp_workers),
	    cmocka_unit_test(test_udp_goflow_listen),
	    cmocka_unit_test(test_udp_state),
	    cmocka_unit_test(test_udp_exporters_loopback),
	    cmocka_unit_test(test_udp_exporters_netns), /* last: leaves the process in its namespace */
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
