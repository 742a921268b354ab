/*
 * packet: a capture written by the test (a TCP connection closed both ways, a DNS exchange, an
 * ICMP echo, IPv6 UDP, an ARP frame) metered into flows with method file, plain and gzip; the
 * BPF filter, sampling, and the keys refused at start (live capture: tests/e2e/test_packet_live.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gen_sflow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_packet;

#define T0 1700000000ull

enum { FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10 };

static char plain[512], gz[512];
static pcap_dumper_t *dumper;

static void put(const struct gen_frame *f, uint64_t t_us)
{
	struct gen_buf g = {0};
	gen_frame(&g, f);
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)g.len, .len = (bpf_u_int32)g.len};
	h.ts.tv_sec = (time_t)(T0 + t_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
	pcap_dump((u_char *)dumper, &h, g.p);
	gen_free(&g);
}

static void tcp(int from_client, uint8_t flags, size_t payload, uint64_t t_us)
{
	struct gen_frame f = {.proto = 6,
			      .ttl = 64,
			      .tcp_flags = flags,
			      .payload_len = payload,
			      .src_mac = 0x020000000001ull,
			      .dst_mac = 0x020000000002ull};
	uint8_t c[4] = {10, 0, 0, 1}, s[4] = {192, 0, 2, 80};
	memcpy(f.src, from_client ? c : s, 4);
	memcpy(f.dst, from_client ? s : c, 4);
	f.sport = from_client ? 40000 : 443;
	f.dport = from_client ? 443 : 40000;
	put(&f, t_us);
}

static int setup(void **st)
{
	int rc = st_dir_make(st);
	if (rc)
		return rc;
	snprintf(plain, sizeof(plain), "%s", st_path("in.pcap"));
	snprintf(gz, sizeof(gz), "%s", st_path("in.pcap.gz"));
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	dumper = pcap_dump_open(dead, plain);
	if (!dumper)
		return -1;
	/* TCP: 5 packets 10.0.0.1 -> 192.0.2.80, 3 back */
	tcp(1, SYN, 0, 0);
	tcp(0, SYN | ACK, 0, 1000);
	tcp(1, ACK, 0, 2000);
	tcp(1, PSH | ACK, 200, 3000);
	tcp(0, PSH | ACK, 1000, 4000);
	tcp(1, FIN | ACK, 0, 5000);
	tcp(0, FIN | ACK, 0, 6000);
	tcp(1, ACK, 0, 7000);
	/* DNS query and answer */
	struct gen_frame d = {.proto = 17,
			      .ttl = 64,
			      .sport = 5353,
			      .dport = 53,
			      .payload_len = 30,
			      .src = {10, 0, 0, 1},
			      .dst = {10, 0, 0, 53}};
	put(&d, 10000);
	struct gen_frame a = d;
	memcpy(a.src, d.dst, 4);
	memcpy(a.dst, d.src, 4);
	a.sport = 53;
	a.dport = 5353;
	a.payload_len = 100;
	put(&a, 11000);
	/* ICMP echo request, twice */
	struct gen_frame e = {.proto = 1,
			      .ttl = 64,
			      .icmp_type = 8,
			      .payload_len = 56,
			      .src = {10, 0, 0, 1},
			      .dst = {10, 0, 0, 9}};
	put(&e, 12000);
	put(&e, 1012000);
	/* IPv6 UDP */
	struct gen_frame v6 = {
	    .v6 = 1, .proto = 17, .ttl = 64, .sport = 1000, .dport = 2000, .payload_len = 10};
	v6.src[0] = 0x20, v6.src[1] = 0x01, v6.src[15] = 1;
	v6.dst[0] = 0x20, v6.dst[1] = 0x01, v6.dst[15] = 2;
	put(&v6, 13000);
	/* ARP: not IP */
	uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
	struct pcap_pkthdr h = {.caplen = 42, .len = 42};
	h.ts.tv_sec = (time_t)T0 + 2;
	pcap_dump((u_char *)dumper, &h, arp);
	pcap_dump_close(dumper);
	pcap_close(dead);
	/* the same, gzip-compressed */
	size_t n;
	char *bytes = st_slurp(plain, &n);
	gzFile z = gzopen(gz, "wb");
	if (!bytes || !z || gzwrite(z, bytes, (unsigned)n) != (int)n)
		return -1;
	gzclose(z);
	free(bytes);
	return 0;
}

static const struct ofd_flow *find(const struct st_collect *c, uint8_t proto, uint16_t sport)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].proto == proto && c->v[i].src_port == sport)
			return &c->v[i];
	fail_msg("no flow of protocol %u from port %u", proto, sport);
	return NULL;
}

static void check_all(const struct st_collect *c)
{
	assert_int_equal(c->n, 6);
	const struct ofd_flow *f = find(c, 6, 40000);
	assert_int_equal(f->packets, 5);
	assert_int_equal(f->bytes, 40 * 4 + 240);
	assert_int_equal(f->tcp_flags, FIN | SYN | PSH | ACK);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0xc0000250);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->time_flow_start_ns, T0 * 1000000000ull);
	assert_int_equal(f->time_flow_end_ns, T0 * 1000000000ull + 7000000);
	assert_int_equal(f->origin, OFD_ORIGIN_LOCAL);
	f = find(c, 6, 443);
	assert_int_equal(f->packets, 3);
	assert_int_equal(f->bytes, 40 * 2 + 1040);
	assert_int_equal(find(c, 17, 5353)->bytes, 58);
	assert_int_equal(find(c, 17, 53)->bytes, 128);
	f = find(c, 1, 0);
	assert_int_equal(f->packets, 2);
	assert_int_equal(f->bytes, 2 * 84);
	assert_int_equal(f->dst_port, 8 * 256);
	assert_int_equal(f->icmp_type, 8);
	f = find(c, 17, 1000);
	assert_int_equal(f->src_addr.family, OFD_AF_INET6);
	assert_int_equal(f->bytes, 58);
}

static void test_file(void **state)
{
	(void)state;
	const char *files[] = {plain, gz};
	for (int k = 0; k < 2; k++) {
		char cfg[1200];
		snprintf(cfg, sizeof(cfg), "{method: file, source: %s}", files[k]);
		struct st_collect c = ST_COLLECT_INIT;
		struct ofd_harness *h = st_open(&ofd_seg_packet, cfg);
		st_run_to_end(h, &c);
		check_all(&c);
		assert_int_equal(ofd_harness_counter(h, "packets"), 14);
		assert_int_equal(ofd_harness_counter(h, "not_ip"), 1);
		assert_int_equal(ofd_harness_counter(h, "flows"), 6);
		assert_int_equal(ofd_harness_counter(h, "filtered"), 0);
		assert_int_equal(ofd_harness_counter(h, "emergency_expired"), 0);
		ofd_harness_free(h);
		st_collect_reset(&c);
	}
}

static void test_filter_sample_maxflows(void **state)
{
	(void)state;
	char cfg[1200];
	struct st_collect c = ST_COLLECT_INIT;
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s, filter: \"tcp port 443\"}", plain);
	struct ofd_harness *h = st_open(&ofd_seg_packet, cfg);
	st_run_to_end(h, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(ofd_harness_counter(h, "filtered"), 6);
	assert_int_equal(ofd_harness_counter(h, "packets"), 14);
	ofd_harness_free(h);
	st_collect_reset(&c);

	/* 1 in 3 frames, deterministically: the 3rd, 6th, 9th and 12th of 14 */
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s, sample: 3}", plain);
	h = st_open(&ofd_seg_packet, cfg);
	st_run_to_end(h, &c);
	uint64_t pk = 0;
	for (size_t i = 0; i < c.n; i++) {
		pk += c.v[i].packets;
		assert_int_equal(c.v[i].sampling_rate, 3);
	}
	assert_int_equal(pk, 4);
	assert_int_equal(ofd_harness_counter(h, "sampled_out"), 10);
	ofd_harness_free(h);
	st_collect_reset(&c);

	/* two flows at most: the others are expired early, every packet still counted */
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s, maxflows: 2}", plain);
	h = st_open(&ofd_seg_packet, cfg);
	st_run_to_end(h, &c);
	pk = 0;
	for (size_t i = 0; i < c.n; i++)
		pk += c.v[i].packets;
	assert_int_equal(pk, 13);
	assert_int_equal(c.n, 6);
	assert_int_equal(ofd_harness_counter(h, "emergency_expired"), 4);
	ofd_harness_free(h);
	st_collect_reset(&c);
}

static void test_refused(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char cfg[1200], err[512] = "";
	/* method pcapgo: the AF_PACKET engine of the bpf input refuses what it does */
	snprintf(cfg, sizeof(cfg), "{method: pcapgo, source: nosuchif0}");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment packet: ");
	assert_non_null(strstr(err, "init failed: configuration error")); /* the device: seg_bpf */
	snprintf(cfg, sizeof(cfg), "{method: pcapgo, source: lo, buffersize: 0}");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "key buffersize: 0 is below the minimum 1"));
	snprintf(cfg, sizeof(cfg), "{method: pcapgo, source: lo, filter: \"udp and\"}");
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "filter: "));
	/* the default method is pcapgo (flowpipeline's): AF_PACKET workers, one metric series each */
	if (geteuid() == 0) {
		h = st_open(&ofd_seg_packet, "{source: lo, workers: 3}");
		size_t ns = 0;
		assert_int_equal(ofd_harness_metric_n(h, "capture_packets_total", NULL, &ns), 0);
		assert_int_equal(ns, 3);
		ofd_harness_free(h);
	}
	/* an interface that is not there refuses the start */
	assert_true(
	    ofd_harness_new(&h, &ofd_seg_packet, "{method: pcap, source: nosuchif0}", err, sizeof(err)) < 0);
	assert_null(h);
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s, filter: \"tcp port\"}", plain);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "filter: "));
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s, maxflows: 0}", plain);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "maxflows"));
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s, sampel: 2}", plain);
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)), OFD_ECONFIG);
	assert_non_null(strstr(err, "sampel"));
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_packet, "{method: file}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_non_null(strstr(err, "source"));
	/* a missing file refuses the start */
	snprintf(cfg, sizeof(cfg), "{method: file, source: %s}", st_path("none.pcap"));
	assert_true(ofd_harness_new(&h, &ofd_seg_packet, cfg, err, sizeof(err)) < 0);
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_filter_sample_maxflows),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, st_dir_remove);
}
