/*
 * mkbgpflows OUT.pcap DST...
 *
 * Writes an Ethernet capture of one IPFIX message (127.0.0.1:40000 -> 127.0.0.1:4739, domain 1)
 * for tests/e2e/test_bgp.sh: an IPv4 and an IPv6 template, then one flow record per DST (an
 * IPv4 or IPv6 address, in the order given): TCP from 203.0.113.130 (IPv6: 2001:db8::130),
 * port 40000+i to 443, packets i+1, bytes 1000*(i+1), start and end 1700000000.000 and .500 s.
 * The same bytes on every run; prints the number of records.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"
#include "gen_v9ipfix.h"

#include "udpframe.h"

#define BASE_S	1700000000u
#define MAX_DST 64

static const struct gv_field f4[] = {{8, 4, 0}, {12, 4, 0}, {4, 1, 0},	 {7, 2, 0},  {11, 2, 0},
				     {2, 8, 0}, {1, 8, 0},  {152, 8, 0}, {153, 8, 0}};
static const struct gv_field f6[] = {{27, 16, 0}, {28, 16, 0}, {4, 1, 0},   {7, 2, 0},	{11, 2, 0},
				     {2, 8, 0},	  {1, 8, 0},   {152, 8, 0}, {153, 8, 0}};
#define NF (sizeof(f4) / sizeof(f4[0]))

/* One record of template f (v6 or not) to dst. */
static void record(struct gv_msg *m, int v6, const uint8_t *dst, unsigned i)
{
	uint8_t src[16];
	if (v6)
		inet_pton(AF_INET6, "2001:db8::130", src);
	else
		inet_pton(AF_INET, "203.0.113.130", src);
	size_t al = v6 ? 16 : 4;
	gv_bytes(m, src, al);
	gv_bytes(m, dst, al);
	gv_uint(m, 6, 1);
	gv_uint(m, 40000 + i, 2);
	gv_uint(m, 443, 2);
	gv_uint(m, i + 1, 8);
	gv_uint(m, 1000ull * (i + 1), 8);
	gv_uint(m, BASE_S * 1000ull, 8);
	gv_uint(m, BASE_S * 1000ull + 500, 8);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc - 2 > MAX_DST) {
		fprintf(stderr, "usage: mkbgpflows OUT.pcap DST... (at most %d)\n", MAX_DST);
		return 2;
	}
	unsigned n = (unsigned)argc - 2;
	uint8_t dst[MAX_DST][16];
	int v6[MAX_DST];
	for (unsigned i = 0; i < n; i++) {
		v6[i] = strchr(argv[i + 2], ':') != NULL;
		if (inet_pton(v6[i] ? AF_INET6 : AF_INET, argv[i + 2], dst[i]) != 1) {
			fprintf(stderr, "mkbgpflows: bad address '%s'\n", argv[i + 2]);
			return 2;
		}
	}
	struct gv_msg m;
	memset(&m, 0, sizeof(m));
	gv_ipfix_begin(&m, BASE_S + 1, 1, 1);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, f4, NF);
	gv_template(&m, 257, f6, NF);
	for (int fam = 0; fam < 2; fam++) {
		int open = 0;
		for (unsigned i = 0; i < n; i++) {
			if (v6[i] != fam)
				continue;
			if (!open)
				gv_set_begin(&m, (uint16_t)(256 + fam));
			open = 1;
			record(&m, fam, dst[i], i);
		}
	}
	gv_set_end(&m, 0);
	size_t len = gv_end(&m);

	static uint8_t fr[70000];
	size_t fl = udp_frame(fr, m.g.p, len, 4739);
	gv_free(&m);
	int rc = 1;
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pd)
		return 1;
	pcap_dumper_t *out = pcap_dump_open(pd, argv[1]);
	if (!out) {
		fprintf(stderr, "mkbgpflows: %s: %s\n", argv[1], pcap_geterr(pd));
		goto close_pd;
	}
	struct pcap_pkthdr h;
	h.ts.tv_sec = BASE_S + 1;
	h.ts.tv_usec = 0;
	h.caplen = h.len = (bpf_u_int32)fl;
	pcap_dump((u_char *)out, &h, fr);
	if (pcap_dump_flush(out) == 0)
		rc = 0;
	else
		fprintf(stderr, "mkbgpflows: %s: write failed\n", argv[1]);
	pcap_dump_close(out);
	if (rc == 0)
		printf("%u records\n", n);
close_pd:
	pcap_close(pd);
	return rc;
}
