/*
 * The emitter's thinning (candidates by geometric skips under an upper bound, accepted with
 * p/q) must pick every flow with exactly its own odds: per-flow frequencies over many seeded
 * batches, the 20-seed check on the shared capture, and escalation. Admission before
 * signing: a tracer that no destination admits (reserved, duplicate, rate-limited) costs no
 * signature unless it is printed, and the sender's counters keep their meaning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gen_load.h"
#include "tracer/emit.h"

static struct ofd_key *test_key(void)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	struct ofd_key *k;
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	return k;
}

/* 64 flows with distinct packet counts (odds 1e-3 to 1 at rate 1e-3); flow 7 is dead. */
static void fill(struct ofd_batch *b)
{
	ofd_batch_init(b, NULL, NULL);
	for (int i = 0; i < 64; i++) {
		struct ofd_flow *f = ofd_batch_add(b);
		f->packets = i < 60 ? (uint64_t)(i * 15 + 1) : (uint64_t)(5000 + i);
		ofd_ip_set4u(&f->src_addr, 0xc0000201u);
		ofd_ip_set4u(&f->dst_addr, 0xc6336402u);
		f->type = OFD_FT_NETFLOW_V5;
	}
	ofd_batch_kill(b, 7);
}

/* Whole batches, picks told apart by their pcount in the printed tracers. */
static void test_per_flow_odds(void **state)
{
	(void)state;
	struct ofd_key *k = test_key();
	struct ofd_batch *b = malloc(sizeof(*b));
	struct ofd_emit *e = malloc(sizeof(*e));
	assert_non_null(b);
	assert_non_null(e);
	fill(b);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, fileno(tmp), 1 << 20), 0);
	enum { RUNS = 4000 };
	for (unsigned r = 0; r < RUNS; r++) {
		struct ofd_emit_cfg c = {.rate = 1e-3, .key = k, .print = &w, .seeded = 1, .seed = 1000 + r};
		ofd_emit_init(e, &c);
		(void)ofd_emit_batch(e, b, 1);
	}
	ofd_wbuf_fini(&w);
	rewind(tmp);
	static unsigned hits[64];
	memset(hits, 0, sizeof(hits));
	char line[OFD_TRACER_MAX];
	while (fgets(line, sizeof(line), tmp)) {
		const char *pc = strstr(line, "\"pcount\": ");
		assert_non_null(pc);
		unsigned long n = strtoul(pc + 10, NULL, 10);
		int i = n >= 5000 ? (int)(n - 5000) : (int)((n - 1) / 15);
		assert_true(i >= 0 && i < 64 && i != 7);
		hits[i]++;
	}
	fclose(tmp);
	for (int i = 0; i < 64; i++) {
		double p = i == 7 ? 0 : fmin(1, 1e-3 * (double)b->flows[i].packets);
		double mean = p * RUNS, sd = sqrt(RUNS * p * (1 - p));
		if (fabs(hits[i] - mean) > 5 * sd + 1e-9)
			fail_msg("flow %d: p %.4f, %u picks in %d runs (expected %.1f +- %.1f)", i, p,
				 hits[i], RUNS, mean, sd);
	}
	free(e);
	free(b);
	ofd_key_free(k);
}

/* The whole batch at once: the total over many runs matches the sum of the odds. */
static void test_batch_total(void **state)
{
	(void)state;
	struct ofd_key *k = test_key();
	struct ofd_batch *b = malloc(sizeof(*b));
	struct ofd_emit *e = malloc(sizeof(*e));
	fill(b);
	double sum = 0, var = 0;
	for (int i = 0; i < 64; i++) {
		double p = i == 7 ? 0 : fmin(1, 1e-3 * (double)b->flows[i].packets);
		sum += p, var += p * (1 - p);
	}
	enum { RUNS = 4000 };
	uint64_t total = 0;
	for (unsigned r = 0; r < RUNS; r++) {
		struct ofd_emit_cfg c = {.rate = 1e-3, .key = k, .seeded = 1, .seed = 77 + r};
		ofd_emit_init(e, &c);
		total += ofd_emit_batch(e, b, 1);
		assert_int_equal(e->st.flows, 63);
	}
	double mean = sum * RUNS, sd = sqrt(var * RUNS);
	if (fabs((double)total - mean) > 5 * sd)
		fail_msg("%llu picks, expected %.1f +- %.1f", (unsigned long long)total, mean, sd);
	free(e);
	free(b);
	ofd_key_free(k);
}

struct capture_run {
	struct ofd_emit *e;
};

static void on_full(struct ofd_batch *b, void *ctx)
{
	struct capture_run *c = ctx;
	(void)ofd_emit_batch(c->e, b, 1);
}

/* The check: -r 1e-5 on netflow_4M.pcap, 20 seeds, average within binomial bounds of 28.3. */
static void test_capture_20_seeds(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/netflow_4M.pcap", getenv("OFD_DATA") ? getenv("OFD_DATA") : ".");
	struct gen_dgrams s;
	assert_int_equal(gen_load(path, &s), 0);
	struct ofd_key *k = test_key();
	struct ofd_emit *e = malloc(sizeof(*e));
	struct ofd_batch *b = malloc(sizeof(*b));
	struct capture_run run = {e};
	double total = 0, expect = 0, var = 0;
	for (int seed = 1; seed <= 20; seed++) {
		struct ofd_emit_cfg c = {.rate = 1e-5, .key = k, .seeded = 1, .seed = (uint64_t)seed * 7919};
		ofd_emit_init(e, &c);
		struct ofd_decoder *d;
		assert_int_equal(ofd_decoder_new(&d, NULL), 0);
		ofd_batch_init(b, on_full, &run);
		for (size_t i = 0; i < s.n; i++)
			(void)ofd_decode(d, &s.dg[i], b);
		ofd_batch_flush(b);
		assert_int_equal(e->st.flows, 78684);
		total += (double)e->st.selected;
		ofd_decoder_free(d);
	}
	/* the expectation, flow by flow */
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	for (size_t i = 0; i < s.n; i++) {
		ofd_batch_init(b, NULL, NULL);
		(void)ofd_decode(d, &s.dg[i], b);
		for (uint32_t j = 0; j < b->n; j++) {
			double p = ofd_odds_p(1e-5, b->flows[j].packets);
			expect += p, var += p * (1 - p);
		}
	}
	assert_true(expect > 28.2 && expect < 28.4);
	double mean = total / 20, sd = sqrt(var / 20);
	if (fabs(mean - expect) > 4 * sd)
		fail_msg("20-seed average %.2f, expected %.2f +- %.2f", mean, expect, sd);
	ofd_decoder_free(d);
	free(b);
	free(e);
	ofd_key_free(k);
	gen_load_free(&s);
}

/* Escalation: a matching flow gets the rule's multiplier and class; the others keep the default. */
static void test_escalate(void **state)
{
	(void)state;
	struct ofd_key *k = test_key();
	struct ofd_escalate esc = {NULL, 1000, OFD_TC_HUMAN_SUSPECTED};
	char err[128];
	assert_int_equal(ofd_filter_compile(&esc.filter, "proto udp and src port 123", err, sizeof(err)), 0);
	struct ofd_emit *e = malloc(sizeof(*e));
	struct ofd_emit_cfg c = {.rate = 1e-6, .key = k, .esc = &esc, .nesc = 1, .seeded = 1, .seed = 5};
	ofd_emit_init(e, &c);
	struct ofd_flow f = {0};
	f.packets = 100, f.proto = 17, f.src_port = 123;
	enum ofd_tracer_class cls;
	assert_true(fabs(ofd_emit_p(e, &f, &cls) - 0.1) < 1e-12);
	assert_int_equal(cls, OFD_TC_HUMAN_SUSPECTED);
	f.src_port = 124;
	assert_true(fabs(ofd_emit_p(e, &f, &cls) - 1e-4) < 1e-12);
	assert_int_equal(cls, OFD_TC_INFORMATIONAL);
	/* normalize: a flow sampled 1 in 1000 counts 1000 times its packets */
	e->cfg.normalize = 1;
	f.sampling_rate = 1000;
	assert_true(fabs(ofd_emit_p(e, &f, &cls) - 0.1) < 1e-12);
	f.normalized = 1; /* already scaled by a normalize segment: not again */
	assert_true(fabs(ofd_emit_p(e, &f, &cls) - 1e-4) < 1e-12);
	ofd_filter_free(esc.filter);
	free(e);
	ofd_key_free(k);
}

static void set_flow(struct ofd_flow *f, const char *src, uint16_t sport, const char *dst)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(ofd_ip_parse(&f->src_addr, src), 0);
	assert_int_equal(ofd_ip_parse(&f->dst_addr, dst), 0);
	f->src_port = sport;
	f->dst_port = 80;
	f->proto = 17;
	f->packets = 10;
	f->bytes = 1000;
	f->time_flow_start_ns = UINT64_C(1700000000000000000);
	f->time_flow_end_ns = UINT64_C(1700000001000000000);
	f->type = OFD_FT_NETFLOW_V5;
}

/* A UDP socket on 127.0.0.1 (any port) that the tracers to flow ends go to. */
static int udp_sink(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * Five selected flows (rate 1), sent to flow ends over UDP with loopback allowed, one token per
 * address: reserved ends (10/8 to 192.168/16), a flow between two loopback addresses (admitted:
 * the only signature), another flow between them (no tokens left: address_rate), the first flow
 * again (duplicate), one reserved end and one without tokens. Without print exactly one tracer
 * is signed; with print every selected one is, and the sender counts the same.
 */
static void run_admission(int print, uint64_t signatures)
{
	struct ofd_key *k = test_key();
	uint16_t port;
	int sink = udp_sink(&port);
	struct ofd_prefix loop;
	assert_int_equal(ofd_prefix_parse(&loop, "127.0.0.0/8"), 0);
	struct ofd_sender_cfg sc = {.methods = OFD_SEND_UDP,
				    .udp_port = port,
				    .allow = &loop,
				    .nallow = 1,
				    .addr_rate = 0.001,
				    .addr_burst = 1};
	struct ofd_sender *snd = NULL;
	char err[256] = "";
	assert_int_equal(ofd_sender_new(&snd, &sc, err, sizeof(err)), 0);
	char path[] = "/tmp/ofd-emit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	struct ofd_wbuf out;
	assert_int_equal(ofd_wbuf_init(&out, fd, 1 << 16), 0);
	struct ofd_emit *e = malloc(sizeof(*e));
	struct ofd_emit_cfg c = {
	    .rate = 1, .key = k, .sender = snd, .print = print ? &out : NULL, .seeded = 1, .seed = 3};
	ofd_emit_init(e, &c);
	struct ofd_batch *b = malloc(sizeof(*b));
	ofd_batch_init(b, NULL, NULL);
	set_flow(ofd_batch_add(b), "10.0.0.1", 1000, "192.168.0.1");
	set_flow(ofd_batch_add(b), "127.0.0.1", 1000, "127.0.0.2");
	set_flow(ofd_batch_add(b), "127.0.0.1", 1001, "127.0.0.2");
	set_flow(ofd_batch_add(b), "127.0.0.1", 1000, "127.0.0.2");
	set_flow(ofd_batch_add(b), "10.0.0.1", 1002, "127.0.0.2");
	assert_int_equal(ofd_emit_batch(e, b, UINT64_C(1700000002000000000)), 5);
	assert_int_equal(e->st.selected, 5);
	assert_int_equal(e->st.failed, 0);
	assert_int_equal(e->st.signatures, signatures);
	ofd_sender_flush(snd, 5000);
	struct ofd_sender_stats st;
	ofd_sender_stats(snd, &st);
	assert_int_equal(st.offered, 5);
	assert_int_equal(st.sent_udp, 2);
	assert_int_equal(st.not_sent[OFD_SD_RESERVED], 3);
	assert_int_equal(st.not_sent[OFD_SD_ADDR_RATE], 3);
	assert_int_equal(st.not_sent[OFD_SD_DUPLICATE], 2);
	assert_int_equal(st.not_sent[OFD_SD_RATE] + st.not_sent[OFD_SD_QUEUE_FULL] +
			     st.not_sent[OFD_SD_ERROR] + st.not_sent[OFD_SD_DENIED] +
			     st.not_sent[OFD_SD_TOO_LARGE],
			 0);
	/* the printed tracers: one line each */
	assert_int_equal(ofd_wbuf_flush(&out), 0);
	assert_int_equal(out.errors, 0);
	char text[65536];
	ssize_t got = pread(fd, text, sizeof(text), 0);
	assert_true(got >= 0);
	uint64_t lines = 0;
	for (ssize_t i = 0; i < got; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, print ? 5 : 0);
	ofd_wbuf_fini(&out);
	close(fd);
	ofd_sender_free(snd);
	close(sink);
	free(b);
	free(e);
	ofd_key_free(k);
}

static void test_admission_without_print(void **state)
{
	(void)state;
	run_admission(0, 1);
}

static void test_admission_with_print(void **state)
{
	(void)state;
	run_admission(1, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_per_flow_odds),	    cmocka_unit_test(test_batch_total),
	    cmocka_unit_test(test_capture_20_seeds),	    cmocka_unit_test(test_escalate),
	    cmocka_unit_test(test_admission_without_print), cmocka_unit_test(test_admission_with_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
