/*
 * Capture reader: the real captures (plain, gzip, pcapng, cut short), every link type, IPv6,
 * fragments and frames that are not UDP, and NetFlow v5 decoded end to end from a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "decode/decode.h"
#include "decode/pcapfile.h"
#include "decode/pkt.h"
#include "gen.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ofd-test-pcapfile-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void data_path(char *buf, size_t n, const char *name)
{
	const char *dir = getenv("OFD_DATA");
	snprintf(buf, n, "%s/%s", dir ? dir : "../shared/data", name);
}

static void tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void gzip_file(const char *dst, const void *p, size_t n)
{
	gzFile gz = gzopen(dst, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, p, (unsigned)n), (int)n);
	assert_int_equal(gzclose(gz), Z_OK);
}

/* What one pass over a capture saw. */
struct seen {
	uint64_t n, bytes;
	uint64_t other_src; /* datagrams not from the first datagram's source */
	uint64_t other_dport;
	struct ofd_ip src0;
	uint16_t sport0, dport0;
	size_t len0;
	uint64_t time0;
	struct ofd_pcap_stats st;
};

static void read_all(const char *path, struct seen *s)
{
	struct ofd_pcapfile *pf = NULL;
	memset(s, 0, sizeof(*s));
	assert_int_equal(ofd_pcapfile_open(&pf, path), 0);
	struct ofd_dgram dg;
	uint16_t dport;
	while (ofd_pcapfile_next(pf, &dg, &dport) == 1) {
		if (s->n == 0) {
			s->src0 = dg.src;
			s->sport0 = dg.src_port;
			s->dport0 = dport;
			s->len0 = dg.len;
			s->time0 = dg.time_ns;
		} else {
			s->other_src +=
			    memcmp(&dg.src, &s->src0, sizeof(dg.src)) != 0 || dg.src_port != s->sport0;
			s->other_dport += dport != s->dport0;
		}
		s->n++;
		s->bytes += dg.len;
	}
	/* the end is sticky */
	assert_int_equal(ofd_pcapfile_next(pf, &dg, NULL), 0);
	s->st = *ofd_pcapfile_stats(pf);
	ofd_pcapfile_close(pf);
}

static void assert_ip(const struct ofd_ip *ip, const char *text)
{
	char buf[OFD_IP_STRLEN];
	ofd_ip_str(ip, buf);
	assert_string_equal(buf, text);
}

static void check_netflow(const struct seen *s)
{
	assert_int_equal(s->n, 2708);
	assert_int_equal(s->st.datagrams, 2708);
	assert_int_equal(s->st.frames, 2708);
	assert_int_equal(s->st.drops[OFD_DROP_CAPTURE_TRUNCATED], 1);
	assert_int_equal(s->st.drops[OFD_DROP_NOT_UDP], 0);
	assert_int_equal(s->st.drops[OFD_DROP_BAD_FRAME], 0);
	assert_int_equal(s->src0.family, OFD_AF_INET);
	assert_ip(&s->src0, "122.166.4.242");
	assert_int_equal(s->sport0, 35467);
	assert_int_equal(s->dport0, 9500);
	assert_int_equal(s->len0, 1424 - 8);
	assert_int_equal(s->time0, UINT64_C(1185554956122660000));
	assert_int_equal(s->other_src, 0);
	assert_int_equal(s->other_dport, 0);
}

static void check_sflow(const struct seen *s)
{
	assert_int_equal(s->n, 1000);
	assert_int_equal(s->st.frames, 1000);
	assert_int_equal(s->st.drops[OFD_DROP_CAPTURE_TRUNCATED], 0);
	assert_ip(&s->src0, "192.168.1.1");
	assert_int_equal(s->sport0, 54321);
	assert_int_equal(s->dport0, 6343);
	assert_int_equal(s->len0, 1212 - 8);
	assert_int_equal(s->time0, UINT64_C(1302306318468863000));
	assert_int_equal(s->other_src, 0);
	assert_int_equal(s->other_dport, 0);
}

static void test_netflow_capture(void **state)
{
	(void)state;
	char path[512];
	struct seen s;
	data_path(path, sizeof(path), "netflow_4M.pcap");
	read_all(path, &s);
	check_netflow(&s);
}

static void test_sflow_capture(void **state)
{
	(void)state;
	char path[512];
	struct seen s;
	data_path(path, sizeof(path), "sflow.pcap");
	read_all(path, &s);
	check_sflow(&s);
}

static void test_gzip(void **state)
{
	(void)state;
	char path[512], gz[512];
	size_t n;
	struct seen s;
	data_path(path, sizeof(path), "netflow_4M.pcap");
	uint8_t *p = slurp(path, &n);
	tmp_path(gz, sizeof(gz), "netflow.pcap.gz");
	gzip_file(gz, p, n);
	read_all(gz, &s);
	check_netflow(&s);

	/* a gzip stream cut short: the datagrams before the cut, the end counted once */
	size_t zn;
	uint8_t *z = slurp(gz, &zn);
	tmp_path(gz, sizeof(gz), "cut.pcap.gz");
	spit(gz, z, zn / 2);
	read_all(gz, &s);
	assert_true(s.n > 1000 && s.n < 2708);
	assert_int_equal(s.st.drops[OFD_DROP_CAPTURE_TRUNCATED], 1);
	assert_int_equal(s.time0, UINT64_C(1185554956122660000));
	free(z);
	free(p);
}

struct sums {
	uint64_t records, packets, bytes, other_sampler;
};

static void sum_batch(struct ofd_batch *b, void *ctx)
{
	struct sums *sums = ctx;
	char buf[OFD_IP_STRLEN];
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		sums->records++;
		sums->packets += b->flows[i].packets;
		sums->bytes += b->flows[i].bytes;
		ofd_ip_str(&b->flows[i].sampler_address, buf);
		sums->other_sampler += strcmp(buf, "122.166.4.242") != 0;
	}
	ofd_batch_reset(b);
}

static void test_decode_netflow_end_to_end(void **state)
{
	(void)state;
	struct sums sums = {0, 0, 0, 0};
	char path[512];
	data_path(path, sizeof(path), "netflow_4M.pcap");
	struct ofd_decoder *d = NULL;
	struct ofd_pcapfile *pf = NULL;
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	assert_int_equal(ofd_decoder_new(&d, NULL), 0);
	assert_int_equal(ofd_pcapfile_open(&pf, path), 0);
	ofd_batch_init(b, sum_batch, &sums);
	struct ofd_dgram dg;
	while (ofd_pcapfile_next(pf, &dg, NULL) == 1)
		assert_true(ofd_decode(d, &dg, b) > 0);
	ofd_batch_flush(b);
	assert_int_equal(sums.records, 78684);
	assert_int_equal(sums.packets, 2862857);
	assert_int_equal(sums.bytes, UINT64_C(2048144412));
	assert_int_equal(sums.other_sampler, 0);
	assert_int_equal(d->st.datagrams, 2708);
	assert_int_equal(d->st.records, 78684);
	ofd_pcapfile_close(pf);
	ofd_decoder_free(d);
	free(b);
}

/* ---- pcapng written by hand: SHB, IDB (with if_tsresol 9), EPBs ---- */

static void le32(struct gen_buf *g, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		gen_u8(g, (uint8_t)(v >> (8 * i)));
}

static void le16(struct gen_buf *g, uint16_t v)
{
	gen_u8(g, (uint8_t)v);
	gen_u8(g, (uint8_t)(v >> 8));
}

static void ng_block_end(struct gen_buf *g, size_t start)
{
	while ((g->len - start) % 4)
		gen_u8(g, 0);
	uint32_t total = (uint32_t)(g->len - start + 4);
	le32(g, total);
	for (int i = 0; i < 4; i++)
		g->p[start + 4 + i] = (uint8_t)(total >> (8 * i));
}

static void ng_header(struct gen_buf *g, int linktype)
{
	size_t s = g->len;
	le32(g, 0x0a0d0d0a); /* SHB */
	le32(g, 0);
	le32(g, 0x1a2b3c4d);
	le16(g, 1);
	le16(g, 0);
	le32(g, 0xffffffff); /* section length unknown */
	le32(g, 0xffffffff);
	ng_block_end(g, s);
	s = g->len;
	le32(g, 1); /* IDB */
	le32(g, 0);
	le16(g, (uint16_t)linktype);
	le16(g, 0);
	le32(g, 0); /* snaplen: none */
	le16(g, 9); /* if_tsresol: 10^-9 */
	le16(g, 1);
	gen_u8(g, 9);
	gen_u8(g, 0);
	gen_u8(g, 0);
	gen_u8(g, 0);
	le16(g, 0); /* opt_endofopt */
	le16(g, 0);
	ng_block_end(g, s);
}

static void ng_packet(struct gen_buf *g, uint64_t ns, const uint8_t *frame, uint32_t caplen, uint32_t len)
{
	size_t s = g->len;
	le32(g, 6); /* EPB */
	le32(g, 0);
	le32(g, 0); /* interface 0 */
	le32(g, (uint32_t)(ns >> 32));
	le32(g, (uint32_t)ns);
	le32(g, caplen);
	le32(g, len);
	gen_bytes(g, frame, caplen);
	ng_block_end(g, s);
}

/* sflow.pcap rewritten as pcapng (frames copied through libpcap), then read back */
static void test_pcapng(void **state)
{
	(void)state;
	char path[512], ng[512], errbuf[PCAP_ERRBUF_SIZE];
	data_path(path, sizeof(path), "sflow.pcap");
	pcap_t *in = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	assert_non_null(in);
	struct gen_buf g = {0};
	ng_header(&g, 1);
	struct pcap_pkthdr *h;
	const u_char *data;
	while (pcap_next_ex(in, &h, &data) == 1)
		ng_packet(&g, (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec + 7, data,
			  h->caplen, h->len);
	pcap_close(in);
	struct seen s;
	tmp_path(ng, sizeof(ng), "sflow.pcapng");
	spit(ng, g.p, g.len);
	read_all(ng, &s);
	s.time0 -= 7; /* the nanoseconds survive */
	check_sflow(&s);
	/* and compressed */
	tmp_path(ng, sizeof(ng), "sflow.pcapng.gz");
	gzip_file(ng, g.p, g.len);
	read_all(ng, &s);
	s.time0 -= 7;
	check_sflow(&s);
	gen_free(&g);
}

/* ---- frames built in code, written with pcap_dump ---- */

#define T0 UINT64_C(1700000000123456789)

static void udp_hdr(struct gen_buf *g, uint16_t sport, uint16_t dport, size_t plen)
{
	gen_u16(g, sport);
	gen_u16(g, dport);
	gen_u16(g, (uint16_t)(plen + 8));
	gen_u16(g, 0);
}

static void payload(struct gen_buf *g, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		gen_u8(g, (uint8_t)(seed + i));
}

/* IPv4 header; flags_frag = flags << 13 | offset / 8 */
static void ipv4_hdr(struct gen_buf *g, uint8_t proto, uint32_t src, uint32_t dst, size_t l4len,
		     uint16_t flags_frag)
{
	gen_u8(g, 0x45);
	gen_u8(g, 0);
	gen_u16(g, (uint16_t)(20 + l4len));
	gen_u16(g, 0x1234);
	gen_u16(g, flags_frag);
	gen_u8(g, 64);
	gen_u8(g, proto);
	gen_u16(g, 0);
	gen_u32(g, src);
	gen_u32(g, dst);
}

static const uint8_t V6SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t V6DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static void ipv6_hdr(struct gen_buf *g, uint8_t nh, size_t plen)
{
	gen_u32(g, 0x60000000);
	gen_u16(g, (uint16_t)plen);
	gen_u8(g, nh);
	gen_u8(g, 64);
	gen_bytes(g, V6SRC, 16);
	gen_bytes(g, V6DST, 16);
}

/* Link-layer header for a network packet of EtherType et (0x0800 / 0x86dd / 0x0806). */
static void link_hdr(struct gen_buf *g, int dlt, uint16_t et)
{
	static const uint8_t mac[12] = {0, 1, 2, 3, 4, 5, 0, 0x1c, 0xc4, 0x47, 0xd3, 0xf9};
	int v6 = et == 0x86dd;
	switch (dlt) {
	case DLT_EN10MB:
		gen_bytes(g, mac, 12);
		gen_u16(g, et);
		break;
	case DLT_LINUX_SLL:
		gen_u16(g, 0); /* to us */
		gen_u16(g, 1); /* ARPHRD_ETHER */
		gen_u16(g, 6);
		gen_bytes(g, mac, 8);
		gen_u16(g, et);
		break;
	case 276: /* SLL2 */
		gen_u16(g, et);
		gen_u16(g, 0);
		gen_u32(g, 2); /* ifindex */
		gen_u16(g, 1);
		gen_u8(g, 0);
		gen_u8(g, 6);
		gen_bytes(g, mac, 8);
		break;
	case DLT_NULL: /* host byte order (little-endian here); 30: AF_INET6 on macOS */
		gen_u8(g, v6 ? 30 : 2);
		gen_u8(g, 0);
		gen_u8(g, 0);
		gen_u8(g, 0);
		break;
	case DLT_LOOP: gen_u32(g, v6 ? 24 : 2); break;
	default: break; /* raw IP */
	}
}

struct dumper {
	pcap_t *dead;
	pcap_dumper_t *d;
	uint64_t t;
};

static void dump_open(struct dumper *w, int dlt, const char *path)
{
	w->dead = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
	assert_non_null(w->dead);
	w->d = pcap_dump_open(w->dead, path);
	assert_non_null(w->d);
	w->t = T0;
}

static void dump_frame(struct dumper *w, const struct gen_buf *g, uint32_t caplen)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(w->t / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(w->t % 1000000000u); /* ns: the dead handle is nano */
	h.caplen = caplen;
	h.len = (uint32_t)g->len;
	pcap_dump((u_char *)w->d, &h, g->p);
	w->t += 1000;
}

static void dump_close(struct dumper *w)
{
	pcap_dump_close(w->d);
	pcap_close(w->dead);
}

/*
 * The mixed capture: per link type, in order
 *  1 IPv4 UDP 10.0.0.1:2055 -> 10.0.0.2:9995, 100 bytes (datagram)
 *  2 IPv6 UDP [2001:db8::1]:4739 -> [2001:db8::2]:4739, 60 bytes (datagram)
 *  3 IPv4 TCP (not UDP)
 *  4 IPv4 first fragment of UDP (MF set)       5 IPv4 later fragment (offset 185)
 *  6 IPv6 UDP first fragment (fragment header)
 *  7 IPv4 UDP whose UDP length exceeds the IP payload (bad frame)
 *  8 IPv4 UDP cut by the snaplen (caplen < len): the 100 bytes captured (datagram)
 *  9 IPv4 header with version 5 in an Ethernet frame (bad frame; raw links: not IP)
 * 10 ARP on Ethernet-like links only (not UDP)
 * 11 ICMPv6 (not UDP)
 * 12 IPv4 UDP, empty payload (datagram)
 */
static void write_mixed(const char *path, int dlt)
{
	struct dumper w;
	struct gen_buf g = {0};
	int has_et = dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == 276;
	dump_open(&w, dlt, path);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0x0a000001, 0x0a000002, 108, 0);
	udp_hdr(&g, 2055, 9995, 100);
	payload(&g, 100, 1);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x86dd);
	ipv6_hdr(&g, 17, 68);
	udp_hdr(&g, 4739, 4739, 60);
	payload(&g, 60, 2);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 6, 0x0a000001, 0x0a000002, 20, 0);
	payload(&g, 20, 0);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0x0a000001, 0x0a000002, 1480, 1 << 13);
	udp_hdr(&g, 2055, 9995, 2000);
	payload(&g, 1472, 3);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0x0a000001, 0x0a000002, 528, 185);
	payload(&g, 528, 4);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x86dd);
	ipv6_hdr(&g, 44, 8 + 8 + 32);
	gen_u8(&g, 17); /* fragment header: next header UDP, offset 0, M=1 */
	gen_u8(&g, 0);
	gen_u16(&g, 1);
	gen_u32(&g, 0xabcd);
	udp_hdr(&g, 4739, 4739, 100);
	payload(&g, 32, 5);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0x0a000001, 0x0a000002, 8 + 50, 0);
	udp_hdr(&g, 2055, 9995, 500); /* says 500 bytes, 50 follow */
	payload(&g, 50, 6);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0x0a000001, 0x0a000002, 8 + 1000, 0);
	udp_hdr(&g, 2055, 9995, 1000);
	payload(&g, 1000, 7);
	dump_frame(&w, &g, (uint32_t)g.len - 900); /* snaplen */

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0x0a000001, 0x0a000002, 8 + 10, 0);
	g.p[g.len - 20] = 0x55;
	udp_hdr(&g, 2055, 9995, 10);
	payload(&g, 10, 8);
	dump_frame(&w, &g, (uint32_t)g.len);

	if (has_et) {
		gen_reset(&g);
		link_hdr(&g, dlt, 0x0806);
		payload(&g, 28, 9);
		dump_frame(&w, &g, (uint32_t)g.len);
	}

	gen_reset(&g);
	link_hdr(&g, dlt, 0x86dd);
	ipv6_hdr(&g, 58, 8);
	payload(&g, 8, 10);
	dump_frame(&w, &g, (uint32_t)g.len);

	gen_reset(&g);
	link_hdr(&g, dlt, 0x0800);
	ipv4_hdr(&g, 17, 0xc0000201, 0x0a000002, 8, 0);
	udp_hdr(&g, 1, 2, 0);
	dump_frame(&w, &g, (uint32_t)g.len);

	dump_close(&w);
	gen_free(&g);
}

static void check_mixed(int dlt, const char *name)
{
	char path[512];
	int has_et = dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == 276;
	tmp_path(path, sizeof(path), name);
	write_mixed(path, dlt);

	struct ofd_pcapfile *pf = NULL;
	assert_int_equal(ofd_pcapfile_open(&pf, path), 0);
	struct ofd_dgram dg;
	uint16_t dport = 0;

	assert_int_equal(ofd_pcapfile_next(pf, &dg, &dport), 1);
	assert_int_equal(dg.src.family, OFD_AF_INET);
	assert_ip(&dg.src, "10.0.0.1");
	assert_int_equal(dg.src_port, 2055);
	assert_int_equal(dport, 9995);
	assert_int_equal(dg.len, 100);
	assert_int_equal(dg.data[0], 1);
	assert_int_equal(dg.data[99], 100);
	assert_int_equal(dg.time_ns, T0);

	assert_int_equal(ofd_pcapfile_next(pf, &dg, &dport), 1);
	assert_int_equal(dg.src.family, OFD_AF_INET6);
	assert_ip(&dg.src, "2001:db8::1");
	assert_int_equal(dg.src_port, 4739);
	assert_int_equal(dport, 4739);
	assert_int_equal(dg.len, 60);
	assert_int_equal(dg.data[0], 2);
	assert_int_equal(dg.time_ns, T0 + 1000);

	/* cut by the snaplen after its UDP header: handed over as captured, and counted */
	assert_int_equal(ofd_pcapfile_next(pf, &dg, &dport), 1);
	assert_ip(&dg.src, "10.0.0.1");
	assert_int_equal(dg.len, 100);
	assert_int_equal(dg.data[0], 7);

	assert_int_equal(ofd_pcapfile_next(pf, &dg, &dport), 1);
	assert_ip(&dg.src, "192.0.2.1");
	assert_int_equal(dg.src_port, 1);
	assert_int_equal(dport, 2);
	assert_int_equal(dg.len, 0);

	assert_int_equal(ofd_pcapfile_next(pf, &dg, &dport), 0);
	const struct ofd_pcap_stats *st = ofd_pcapfile_stats(pf);
	assert_int_equal(st->frames, has_et ? 12 : 11);
	assert_int_equal(st->datagrams, 4);
	assert_int_equal(st->drops[OFD_DROP_FRAGMENT], 3);
	assert_int_equal(st->drops[OFD_DROP_CAPTURE_TRUNCATED], 1); /* the cut one, also handed over */
	/* version 5: an impossible IPv4 header after EtherType 0x0800; on raw links not IP at all */
	assert_int_equal(st->drops[OFD_DROP_BAD_FRAME], dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL ||
								dlt == 276 || dlt == DLT_NULL ||
								dlt == DLT_LOOP || dlt == 228
							    ? 2
							    : 1);
	assert_int_equal(st->drops[OFD_DROP_NOT_UDP], st->frames - 3 - 3 - 1 - st->drops[OFD_DROP_BAD_FRAME]);
	ofd_pcapfile_close(pf);
}

static void test_link_ethernet(void **state)
{
	(void)state;
	check_mixed(DLT_EN10MB, "eth.pcap");
}

static void test_link_sll(void **state)
{
	(void)state;
	check_mixed(DLT_LINUX_SLL, "sll.pcap");
	check_mixed(276, "sll2.pcap");
}

static void test_link_raw_null_loop(void **state)
{
	(void)state;
	check_mixed(DLT_RAW, "raw.pcap");
	check_mixed(DLT_NULL, "null.pcap");
	check_mixed(DLT_LOOP, "loop.pcap");
}

static void test_link_unsupported(void **state)
{
	(void)state;
	char path[512];
	tmp_path(path, sizeof(path), "wifi.pcap");
	pcap_t *dead = pcap_open_dead(DLT_IEEE802_11, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	pcap_dump_close(d);
	pcap_close(dead);
	struct ofd_pcapfile *pf = NULL;
	assert_int_equal(ofd_pcapfile_open(&pf, path), OFD_EUNSUPPORTED);
	assert_null(pf);
}

static void test_open_errors(void **state)
{
	(void)state;
	char path[512];
	struct ofd_pcapfile *pf = NULL;
	tmp_path(path, sizeof(path), "missing.pcap");
	assert_int_equal(ofd_pcapfile_open(&pf, path), -ENOENT);
	tmp_path(path, sizeof(path), "text.pcap");
	spit(path, "hello, this is not a capture\n", 29);
	assert_int_equal(ofd_pcapfile_open(&pf, path), OFD_EFORMAT);
	tmp_path(path, sizeof(path), "empty.pcap");
	spit(path, "", 0);
	assert_int_equal(ofd_pcapfile_open(&pf, path), OFD_EFORMAT);
	tmp_path(path, sizeof(path), "text.gz");
	gzip_file(path, "hello, this is not a capture\n", 29);
	assert_int_equal(ofd_pcapfile_open(&pf, path), OFD_EFORMAT);
	assert_null(pf);
}

/* Complete frames of a classic little-endian pcap within the first n bytes. */
static uint64_t frames_within(const uint8_t *p, size_t n)
{
	uint64_t k = 0;
	size_t off = 24;
	while (off + 16 <= n) {
		uint32_t caplen = (uint32_t)p[off + 8] | (uint32_t)p[off + 9] << 8 |
				  (uint32_t)p[off + 10] << 16 | (uint32_t)p[off + 11] << 24;
		if (off + 16 + caplen > n)
			break;
		off += 16 + caplen;
		k++;
	}
	return k;
}

static void test_truncated_copies(void **state)
{
	(void)state;
	char path[512], cut[512];
	size_t n;
	data_path(path, sizeof(path), "sflow.pcap");
	uint8_t *p = slurp(path, &n);
	assert_int_equal(p[0], 0xd4); /* little-endian microsecond pcap */
	tmp_path(cut, sizeof(cut), "cut.pcap");
	/* inside a frame's data, inside a record header, at a frame boundary, inside the file header */
	size_t first = 24 + 16 + 1246;
	const size_t cuts[] = {100000, first + 8, first, 10, 24};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct seen s;
		spit(cut, p, cuts[i]);
		if (cuts[i] < 24) {
			struct ofd_pcapfile *pf = NULL;
			assert_int_equal(ofd_pcapfile_open(&pf, cut), OFD_EFORMAT);
			continue;
		}
		read_all(cut, &s);
		uint64_t want = frames_within(p, cuts[i]);
		assert_int_equal(s.n, want);
		assert_int_equal(s.st.frames, want);
		int at_boundary = cuts[i] == first || cuts[i] == 24;
		assert_int_equal(s.st.drops[OFD_DROP_CAPTURE_TRUNCATED], at_boundary ? 0 : 1);
	}
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netflow_capture),
	    cmocka_unit_test(test_sflow_capture),
	    cmocka_unit_test(test_gzip),
	    cmocka_unit_test(test_decode_netflow_end_to_end),
	    cmocka_unit_test(test_pcapng),
	    cmocka_unit_test(test_link_ethernet),
	    cmocka_unit_test(test_link_sll),
	    cmocka_unit_test(test_link_raw_null_loop),
	    cmocka_unit_test(test_link_unsupported),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_truncated_copies),
	};
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
