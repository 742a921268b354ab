/*
 * mkspoofed OUT.pcap RATE SECONDS N SEED
 *
 * The export of one exporter sampling 1 in N under a flood of RATE packets/s with random
 * spoofed sources for SECONDS, as the traceback simulator (sim/model.h) models it: the sampled
 * packets are a Poisson process of rate RATE/N (exponential gaps from splitmix64(SEED)), each a
 * one-packet TCP SYN flow record (random source address and port, to 198.51.100.7:80, 60
 * bytes) exported after a 15 s inactive timeout, 30 records per NetFlow v5 datagram with the
 * sampling interval N in the header (mode 01), from 127.0.0.1:40000 to 127.0.0.1:2055 in an
 * Ethernet capture. For sim/tests/calib.sh (overflowd's picks against the simulator's count).
 * Prints the number of records. The same arguments give the same bytes.
 */
#include <math.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_nf5.h"

#include "udpframe.h"

#define BASE_S	  1700000000u
#define PER_DGRAM 30
#define INACTIVE  15.0

static uint64_t sm(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double u01_open(uint64_t *x)
{
	return 1.0 - (double)(sm(x) >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: mkspoofed OUT.pcap RATE SECONDS N SEED\n");
		return 2;
	}
	double rate = strtod(argv[2], NULL), secs = strtod(argv[3], NULL);
	unsigned long N = strtoul(argv[4], NULL, 10);
	uint64_t x = strtoull(argv[5], NULL, 0);
	if (!(rate > 0) || !(secs > 0) || N < 1 || N > 0x3fff) {
		fprintf(stderr, "mkspoofed: RATE and SECONDS > 0, 1 <= N <= 16383\n");
		return 2;
	}
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pd)
		return 1;
	pcap_dumper_t *out = pcap_dump_open(pd, argv[1]);
	if (!out) {
		fprintf(stderr, "mkspoofed: %s: %s\n", argv[1], pcap_geterr(pd));
		pcap_close(pd);
		return 1;
	}
	struct gen_nf5_rec rec[PER_DGRAM];
	struct gen_buf g = {0};
	static uint8_t fr[2048];
	unsigned n = 0;
	uint32_t seq = 0;
	uint64_t total = 0;
	double t = 0, lam = rate / (double)N;
	for (;;) {
		t += -log(u01_open(&x)) / lam;
		int done = t >= secs;
		if (!done) {
			struct gen_nf5_rec *r = &rec[n++];
			memset(r, 0, sizeof(*r));
			uint64_t v = sm(&x);
			r->src = (uint32_t)v;
			r->dst = 0xc6336407; /* 198.51.100.7 */
			r->src_port = (uint16_t)(1024 + (v >> 32) % 64512);
			r->dst_port = 80;
			r->packets = 1;
			r->bytes = 60;
			r->first = r->last = 3600000 + (uint32_t)(t * 1000);
			r->proto = 6;
			r->tcp_flags = 0x02;
			total++;
		}
		if (n && (n == PER_DGRAM || done)) {
			/* exported when the last record's inactive timeout runs out */
			double te = (done ? secs : t) + INACTIVE;
			uint32_t ms = (uint32_t)(te * 1000);
			struct gen_nf5_hdr h = {0};
			h.uptime_ms = 3600000 + ms;
			h.unix_secs = BASE_S + ms / 1000;
			h.unix_nsecs = (ms % 1000) * 1000000u;
			h.sequence = seq;
			h.sampling = (uint16_t)(0x4000 | N);
			seq += n;
			gen_reset(&g);
			gen_nf5(&g, &h, rec, n);
			size_t fl = udp_frame(fr, g.p, g.len, 2055);
			struct pcap_pkthdr ph;
			ph.ts.tv_sec = (time_t)h.unix_secs;
			ph.ts.tv_usec = (suseconds_t)(h.unix_nsecs / 1000);
			ph.caplen = ph.len = (bpf_u_int32)fl;
			pcap_dump((u_char *)out, &ph, fr);
			n = 0;
		}
		if (done)
			break;
	}
	gen_free(&g);
	int rc = pcap_dump_flush(out) == 0 ? 0 : 1;
	pcap_dump_close(out);
	pcap_close(pd);
	if (rc)
		fprintf(stderr, "mkspoofed: %s: write failed\n", argv[1]);
	else
		printf("%llu records\n", (unsigned long long)total);
	return rc;
}
