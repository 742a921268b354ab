/*
 * forward: export datagrams decoded into batches (the datagrams carried with them, as the udp and
 * pcap inputs do) are resent to real UDP sockets on 127.0.0.1 (and ::1 when there is one), and
 * what the sockets receive is compared byte for byte with what went in:
 *   - the NetFlow v5 sample capture (2,708 datagrams, 3,841,824 bytes from 122.166.4.242) to two
 *     targets: each gets every datagram, equal and in order; records pass on unchanged;
 *   - per-target filters on that capture: exporters 122.166.4.0/24 (all) and 10.0.0.0/8 (none),
 *     and the flow filters "proto 50" (9 datagrams), "dst port 25" (379) and "proto icmp" (82),
 *     the counts tshark gives for datagrams with at least one such record;
 *   - the sFlow sample (1,000 datagrams) byte for byte;
 *   - built IPFIX: templates alone and with data go to a filtered target regardless of its filter,
 *     data without a template and a datagram that is not an export go only to unfiltered ones,
 *     records dropped before forward no longer make a datagram pass a filter;
 *   - bad configs are refused with their key.
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
#include <poll.h>
#include <sys/socket.h>

#include "decode/decode.h"
#include "decode/pcapfile.h"
#include "gen_v9ipfix.h"
#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_forward;

/* ---- receiving sockets ---- */

struct rx {
	int fd;
	uint16_t port;
	uint8_t *buf; /* the datagrams received, one after the other */
	size_t len, cap;
	size_t *lens;
	uint32_t n, ncap;
};

static int rx_open(struct rx *r, int v6)
{
	memset(r, 0, sizeof(*r));
	r->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	int sz = 32 << 20;
	if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		(void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	if (bind(r->fd, (struct sockaddr *)&ss, sl)) {
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&ss, &sl), 0);
	r->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static void rx_drain(struct rx *r)
{
	for (;;) {
		if (r->cap - r->len < 65536) {
			r->cap = r->cap ? 2 * r->cap : 1 << 20;
			r->buf = realloc(r->buf, r->cap);
			assert_non_null(r->buf);
		}
		ssize_t k = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
		if (k < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				print_error("recv: %s\n", strerror(errno));
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			return;
		}
		if (r->n == r->ncap) {
			r->ncap = r->ncap ? 2 * r->ncap : 4096;
			r->lens = realloc(r->lens, r->ncap * sizeof(*r->lens));
			assert_non_null(r->lens);
		}
		r->lens[r->n++] = (size_t)k;
		r->len += (size_t)k;
	}
}

/* Receive until n datagrams came (at most 5 s), then whatever else is there. */
static void rx_wait(struct rx *r, uint32_t n)
{
	uint64_t end = ofd_time_mono_ns() + 5000000000ull;
	rx_drain(r);
	while (r->n < n && ofd_time_mono_ns() < end) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		(void)poll(&p, 1, 100);
		rx_drain(r);
	}
}

static void rx_close(struct rx *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->lens);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* A list of datagrams without a socket (what went in, what is expected). */
static void rx_list(struct rx *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* The datagrams that went in, kept the same way. */
static void rx_keep(struct rx *r, const uint8_t *p, size_t len)
{
	if (r->cap - r->len < len) {
		r->cap = (r->cap ? 2 * r->cap : 1 << 20) + len;
		r->buf = realloc(r->buf, r->cap);
		assert_non_null(r->buf);
	}
	if (r->n == r->ncap) {
		r->ncap = r->ncap ? 2 * r->ncap : 4096;
		r->lens = realloc(r->lens, r->ncap * sizeof(*r->lens));
		assert_non_null(r->lens);
	}
	memcpy(r->buf + r->len, p, len);
	r->lens[r->n++] = len;
	r->len += len;
}

/* got holds exactly the datagrams of sent (all of them: equal; else an in-order subsequence of
   `want` of them). */
static void rx_assert(const struct rx *got, const struct rx *sent, uint32_t want)
{
	assert_int_equal(got->n, want);
	size_t go = 0, so = 0;
	uint32_t s = 0;
	for (uint32_t i = 0; i < got->n; i++) {
		while (s < sent->n && (sent->lens[s] != got->lens[i] ||
				       memcmp(sent->buf + so, got->buf + go, got->lens[i]) != 0)) {
			assert_true(want < sent->n); /* all of them: no gap allowed */
			so += sent->lens[s++];
		}
		if (s == sent->n) {
			print_error("datagram %u received (%zu bytes) is not among those sent, in order\n", i,
				    got->lens[i]);
			fail();
		}
		so += sent->lens[s++];
		go += got->lens[i];
	}
}

/* ---- a capture through the segment ---- */

struct run {
	struct ofd_harness *h;
	struct rx *rx;
	unsigned nrx;
	uint64_t batches, records;
};

/* The batch is full: through forward, which must leave the records as they are; then receive. */
static void run_full(struct ofd_batch *b, void *ctx)
{
	struct run *r = ctx;
	uint64_t live[OFD_BATCH_CAP / 64];
	memcpy(live, b->live, sizeof(live));
	uint32_t n = b->n;
	ofd_harness_process(r->h, b);
	assert_int_equal(b->n, n);
	assert_memory_equal(live, b->live, sizeof(live));
	r->batches++;
	r->records += ofd_batch_live_count(b);
	for (unsigned i = 0; i < r->nrx; i++)
		rx_drain(&r->rx[i]);
}

/* Every datagram of the capture decoded into the harness's batch (flushed through forward). */
static void run_capture(struct run *r, const char *path, struct rx *sent)
{
	struct ofd_decoder *dec;
	struct ofd_pcapfile *pf;
	assert_int_equal(ofd_decoder_new(&dec, NULL), 0);
	assert_int_equal(ofd_pcapfile_open(&pf, path), 0);
	struct ofd_batch *b = ofd_harness_batch(r->h, 0);
	assert_non_null(b->dg);
	b->full = run_full;
	b->full_ctx = r;
	struct ofd_dgram dg;
	while (ofd_pcapfile_next(pf, &dg, NULL) == 1) {
		rx_keep(sent, dg.data, dg.len);
		(void)ofd_decode(dec, &dg, b);
	}
	ofd_batch_flush(b);
	ofd_pcapfile_close(pf);
	ofd_decoder_free(dec);
}

static char *cfgf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *cfgf(const char *fmt, ...)
{
	static char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

static char *tname(uint16_t port)
{
	static char buf[4][64];
	static unsigned k;
	char *p = buf[k++ & 3];
	snprintf(p, sizeof(buf[0]), "127.0.0.1:%u", port);
	return p;
}

#define NF5_DGRAMS 2708u
#define NF5_BYTES  3841824u
#define NF5_RECS   78684u

static void test_nf5_two_targets(void **st)
{
	(void)st;
	struct rx rx[2], sent;
	assert_int_equal(rx_open(&rx[0], 0), 0);
	assert_int_equal(rx_open(&rx[1], 0), 0);
	rx_list(&sent);
	struct run r = {.rx = rx, .nrx = 2};
	r.h = st_open(&ofd_seg_forward,
		      cfgf("{targets: [{address: 127.0.0.1, port: %u}, {address: 127.0.0.1, port: %u}]}",
			   rx[0].port, rx[1].port));
	run_capture(&r, st_data("netflow_4M.pcap"), &sent);
	assert_int_equal(sent.n, NF5_DGRAMS);
	assert_int_equal(sent.len, NF5_BYTES);
	assert_int_equal(r.records, NF5_RECS);
	for (int i = 0; i < 2; i++) {
		rx_wait(&rx[i], NF5_DGRAMS);
		rx_assert(&rx[i], &sent, NF5_DGRAMS);
		assert_int_equal(rx[i].len, NF5_BYTES);
		assert_int_equal(
		    ofd_harness_metric_n(r.h, "forward_datagrams_total", tname(rx[i].port), NULL),
		    NF5_DGRAMS);
	}
	assert_int_equal(ofd_harness_counter(r.h, "datagrams"), NF5_DGRAMS);
	assert_int_equal(ofd_harness_counter(r.h, "sent"), 2 * NF5_DGRAMS);
	assert_int_equal(ofd_harness_counter(r.h, "filtered"), 0);
	assert_int_equal(ofd_harness_counter(r.h, "send_errors"), 0);
	assert_int_equal(ofd_harness_metric(r.h, "forward_bytes_total", NULL), 2ull * NF5_BYTES);
	ofd_harness_free(r.h);
	for (int i = 0; i < 2; i++)
		rx_close(&rx[i]);
	rx_close(&sent);
}

/* Every datagram is counted once per target (sent, filtered or a send error): the sum of the
   target's series. */
static uint64_t target_total(struct ofd_harness *h, uint16_t port)
{
	return ofd_harness_metric(h, "forward_datagrams_total", tname(port));
}

static void test_nf5_filters(void **st)
{
	(void)st;
	enum { ALL, NONE, ESP, SMTP, ICMP, N };
	struct rx rx[N], sent;
	for (int i = 0; i < N; i++)
		assert_int_equal(rx_open(&rx[i], 0), 0);
	rx_list(&sent);
	struct run r = {.rx = rx, .nrx = N};
	r.h = st_open(&ofd_seg_forward,
		      cfgf("{targets: [{address: 127.0.0.1, port: %u, exporters: [122.166.4.0/24]},"
			   " {address: 127.0.0.1, port: %u, exporters: [10.0.0.0/8, \"2001:db8::/32\"]},"
			   " {address: 127.0.0.1, port: %u, filter: proto 50},"
			   " {address: 127.0.0.1, port: %u, filter: dst port 25, exporters: [122.166.4.242]},"
			   " {address: 127.0.0.1, port: %u, filter: proto icmp}]}",
			   rx[ALL].port, rx[NONE].port, rx[ESP].port, rx[SMTP].port, rx[ICMP].port));
	run_capture(&r, st_data("netflow_4M.pcap"), &sent);
	const uint32_t want[N] = {NF5_DGRAMS, 0, 9, 379, 82};
	for (int i = 0; i < N; i++) {
		rx_wait(&rx[i], want[i]);
		rx_assert(&rx[i], &sent, want[i]);
		assert_int_equal(target_total(r.h, rx[i].port), NF5_DGRAMS);
	}
	uint64_t sum = 0;
	for (int i = 0; i < N; i++)
		sum += want[i];
	assert_int_equal(ofd_harness_counter(r.h, "sent"), sum);
	assert_int_equal(ofd_harness_counter(r.h, "filtered"), (uint64_t)N * NF5_DGRAMS - sum);
	assert_int_equal(ofd_harness_counter(r.h, "send_errors"), 0);
	assert_int_equal(r.records, NF5_RECS); /* every record passed on */
	ofd_harness_free(r.h);
	for (int i = 0; i < N; i++)
		rx_close(&rx[i]);
	rx_close(&sent);
}

static void test_sflow_v6(void **st)
{
	(void)st;
	struct rx rx[2], sent;
	assert_int_equal(rx_open(&rx[0], 0), 0);
	int v6 = rx_open(&rx[1], 1) == 0;
	if (!v6)
		print_message("no ::1 here: the IPv6 target is left out\n");
	rx_list(&sent);
	struct run r = {.rx = rx, .nrx = v6 ? 2 : 1};
	r.h = st_open(&ofd_seg_forward,
		      v6 ? cfgf("{targets: [{address: 127.0.0.1, port: %u}, {address: \"[::1]\", port: %u}]}",
				rx[0].port, rx[1].port)
			 : cfgf("{targets: [{address: 127.0.0.1, port: %u}]}", rx[0].port));
	run_capture(&r, st_data("sflow.pcap"), &sent);
	assert_int_equal(sent.n, 1000);
	for (unsigned i = 0; i < r.nrx; i++) {
		rx_wait(&rx[i], 1000);
		rx_assert(&rx[i], &sent, 1000);
	}
	if (v6)
		assert_int_equal(
		    ofd_harness_metric(r.h, "forward_datagrams_total", cfgf("[::1]:%u", rx[1].port)), 1000);
	assert_int_equal(target_total(r.h, rx[0].port), 1000);
	ofd_harness_free(r.h);
	for (int i = 0; i < 2; i++)
		rx_close(&rx[i]);
	rx_close(&sent);
}

/* ---- built IPFIX: templates, data, undecodable ---- */

static size_t ipfix_msg(struct gv_msg *m, int tmpl, int data, uint32_t from, uint16_t data_tid)
{
	memset(m, 0, sizeof(*m));
	gv_ipfix_begin(m, 1700000000, from, 7);
	if (tmpl) {
		gv_set_begin(m, 2);
		gv_template(m, 256, gv_v4_fields, gv_v4_nfields);
	}
	if (data) {
		gv_set_begin(m, data_tid);
		for (uint32_t i = from; i < from + 10; i++)
			gv_v4_record(m, i);
	}
	return gv_end(m);
}

static void add_dgram(struct ofd_decoder *dec, struct ofd_batch *b, struct rx *sent, const uint8_t *p,
		      size_t len, uint32_t src4)
{
	struct ofd_dgram dg = {.data = p, .len = len, .src_port = 4739, .time_ns = 1};
	ofd_ip_set4u(&dg.src, src4);
	rx_keep(sent, p, len);
	(void)ofd_decode(dec, &dg, b);
}

static void test_ipfix_control(void **st)
{
	(void)st;
	enum { ALL, F1030, F1130, EXP, N };
	struct rx rx[N], sent;
	for (int i = 0; i < N; i++)
		assert_int_equal(rx_open(&rx[i], 0), 0);
	rx_list(&sent);
	struct ofd_harness *h =
	    st_open(&ofd_seg_forward,
		    cfgf("{targets: [{address: 127.0.0.1, port: %u}, {address: 127.0.0.1, port: %u, filter: "
			 "src port 1030}, {address: 127.0.0.1, port: %u, filter: src port 1130},"
			 " {address: 127.0.0.1, port: %u, exporters: [192.0.2.0/24]}]}",
			 rx[ALL].port, rx[F1030].port, rx[F1130].port, rx[EXP].port));
	struct ofd_decoder *dec;
	assert_int_equal(ofd_decoder_new(&dec, NULL), 0);
	struct ofd_batch *b = ofd_harness_batch(h, 0);
	struct gv_msg m;
	const uint32_t ex = 0x0a010203, other = 0xc0000207; /* 10.1.2.3, 192.0.2.7 */
	size_t len = ipfix_msg(&m, 1, 0, 0, 0);		    /* 0: the template alone */
	add_dgram(dec, b, &sent, m.g.p, len, ex);
	gv_free(&m);
	len = ipfix_msg(&m, 0, 1, 0, 256); /* 1: records 0-9, src ports 1024-1033 */
	add_dgram(dec, b, &sent, m.g.p, len, ex);
	gv_free(&m);
	len = ipfix_msg(&m, 1, 0, 0, 0); /* 2: the other exporter's template */
	add_dgram(dec, b, &sent, m.g.p, len, other);
	gv_free(&m);
	len = ipfix_msg(&m, 0, 1, 100, 256); /* 3: records 100-109 from the other, ports 1124-1133 */
	add_dgram(dec, b, &sent, m.g.p, len, other);
	gv_free(&m);
	len = ipfix_msg(&m, 0, 1, 200, 300); /* 4: data for a template nobody sent */
	add_dgram(dec, b, &sent, m.g.p, len, ex);
	gv_free(&m);
	static const uint8_t junk[40] = {0, 77, 1, 2, 3};
	add_dgram(dec, b, &sent, junk, sizeof(junk), ex); /* 5: not an export datagram */
	len = ipfix_msg(&m, 1, 1, 300, 256);		  /* 6: template and records 300-309 */
	add_dgram(dec, b, &sent, m.g.p, len, ex);
	gv_free(&m);
	assert_int_equal(b->dg->n, 7);
	assert_int_equal(b->n, 30);
	assert_int_equal(b->dg->d[0].flags, OFD_DGRAM_CONTROL);
	assert_int_equal(b->dg->d[1].flags, 0);
	assert_int_equal(b->dg->d[1].first, 0);
	assert_int_equal(b->dg->d[3].first, 10);
	assert_int_equal(b->dg->d[5].state, OFD_DGRAM_FAILED);
	assert_int_equal(b->dg->d[6].first, 20);
	assert_int_equal(b->dg->d[6].flags, OFD_DGRAM_CONTROL);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 30);
	struct rx want[N];
	for (int i = 0; i < N; i++)
		rx_list(&want[i]);
	/* ALL: every one; 1030: templates (0, 2, 6) and 1; 1130: templates and 3; EXP: 2 and 3 */
	static const int pick[N][7] = {
	    {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0, 1}, {1, 0, 1, 1, 0, 0, 1}, {0, 0, 1, 1, 0, 0, 0}};
	for (int i = 0; i < N; i++) {
		size_t off = 0;
		for (uint32_t k = 0; k < sent.n; k++) {
			if (pick[i][k])
				rx_keep(&want[i], sent.buf + off, sent.lens[k]);
			off += sent.lens[k];
		}
		rx_wait(&rx[i], want[i].n);
		rx_assert(&rx[i], &want[i], want[i].n);
		assert_memory_equal(rx[i].buf, want[i].buf, want[i].len);
	}
	assert_int_equal(ofd_harness_counter(h, "sent"), 7 + 4 + 4 + 2);
	assert_int_equal(ofd_harness_counter(h, "filtered"), 0 + 3 + 3 + 5);

	/* records dropped before forward: 1 and 3 again, every record killed; only ALL gets them */
	for (int i = 0; i < N; i++) {
		rx_close(&rx[i]);
		assert_int_equal(rx_open(&rx[i], 0), 0);
		rx_close(&want[i]);
	}
	ofd_harness_free(h);
	h = st_open(&ofd_seg_forward,
		    cfgf("{targets: [{address: 127.0.0.1, port: %u}, {address: 127.0.0.1, port: %u, filter: "
			 "src port 1030}, {address: 127.0.0.1, port: %u, filter: src port 1130}]}",
			 rx[ALL].port, rx[F1030].port, rx[F1130].port));
	b = ofd_harness_batch(h, 0);
	len = ipfix_msg(&m, 0, 1, 0, 256);
	add_dgram(dec, b, &sent, m.g.p, len, ex);
	gv_free(&m);
	len = ipfix_msg(&m, 0, 1, 100, 256);
	add_dgram(dec, b, &sent, m.g.p, len, other);
	gv_free(&m);
	assert_int_equal(b->n, 20);
	for (uint32_t k = 0; k < b->n; k++)
		ofd_batch_kill(b, k);
	ofd_harness_process(h, b);
	rx_wait(&rx[ALL], 2);
	assert_int_equal(rx[ALL].n, 2);
	rx_drain(&rx[F1030]);
	rx_drain(&rx[F1130]);
	assert_int_equal(rx[F1030].n + rx[F1130].n, 0);
	assert_int_equal(ofd_harness_counter(h, "filtered"), 4);
	ofd_harness_free(h);
	ofd_decoder_free(dec);
	for (int i = 0; i < N; i++)
		rx_close(&rx[i]);
	rx_close(&sent);
}

/* A batch without datagrams (a pipeline's flush, an input that carries none): nothing sent. */
static void test_no_datagrams(void **st)
{
	(void)st;
	struct rx rx;
	assert_int_equal(rx_open(&rx, 0), 0);
	struct ofd_harness *h =
	    st_open(&ofd_seg_forward, cfgf("{targets: {address: 127.0.0.1, port: %u}}", rx.port));
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 5);
	assert_int_equal(ofd_harness_counter(h, "datagrams"), 0);
	rx_drain(&rx);
	assert_int_equal(rx.n, 0);
	ofd_harness_free(h);
	rx_close(&rx);
}

static void refused(const char *config, const char *why)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_forward, config, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	if (!strstr(err, why)) {
		print_error("\"%s\" does not say \"%s\"\n", err, why);
		fail();
	}
	st_assert_prefix(err, "test.yml:1: segment forward: key ");
}

static void test_config_refused(void **st)
{
	(void)st;
	refused("{}", "targets");
	refused("{targets: []}", "targets");
	refused("{targets: [{address: collector.example, port: 2055}]}",
		"key targets[0].address: \"collector.example\" is not a collector's numeric");
	refused("{targets: [{address: 0.0.0.0, port: 2055}]}", "targets[0].address");
	refused("{targets: [{address: 127.0.0.1}]}", "port");
	refused("{targets: [{address: 127.0.0.1, port: 70000}]}", "port");
	refused("{targets: [{address: 127.0.0.1, port: 1}, {address: \"::1\", port: 2, exporters: "
		"[10.1.0.0/8]}]}",
		"key targets[1].exporters[0]: \"10.1.0.0/8\" is not an address or prefix");
	refused("{targets: [{address: 127.0.0.1, port: 1, filter: \"proto\"}]}",
		"key targets[0].filter: column");
	refused("{targets: [{address: 127.0.0.1, port: 1, ports: 2}]}", "ports");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nf5_two_targets), cmocka_unit_test(test_nf5_filters),
	    cmocka_unit_test(test_sflow_v6),	    cmocka_unit_test(test_ipfix_control),
	    cmocka_unit_test(test_no_datagrams),    cmocka_unit_test(test_config_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
