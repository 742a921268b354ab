/*
 * bench_amp: what a forged-export flood makes the tracer sender send, and what the admission
 * costs on the hot path.
 *
 *   bench_amp [--seconds S] [--flood-seconds T]
 *
 * Amplification: NetFlow v5 exports forged in one exporter's name (30 records per datagram of
 * 1,464 bytes, so export_bytes 48 each; every record with 2^32 packets, so odds 1, to random
 * flow ends in 127/8), fed at R datagrams per second of simulated time for T seconds (60) to the
 * emitter and a real sender with its default limits (UDP to flow ends, 127/8 allowed); the bytes
 * that arrive at a UDP socket bound to the flow ends' port are the bytes out. Modes: `unlisted`
 * (the exporter is not on the list: the default admission), `listed` (on the list, or forged
 * in its name: the budget, 0.5), `any` (from: any, unlisted), and `before` (records of local
 * origin, neither origin rule nor budget: what the sender did with any export before). Prints
 *
 *   RESULT bench=amplification mode=M rate=R datagrams=D bytes_in=B bytes_out=O tracers=N factor=F
 *
 * Hot path: ofd_emit_batch on full batches at the default rate (1e-6, 1 packet per record: a
 * pick every million records) without a sender and with one (the budget is kept only with a
 * sender): records of local origin, of one listed exporter, of 1,000 listed exporters (a new one
 * every datagram: the table, not the cached slot), of an unlisted one. Prints
 *
 *   RESULT bench=emit_admission origin=O exporters=E records=N ns_per_record=T records_per_s=R
 *
 * Built against a tree without the admission (OFD_EMIT_AMPLIFICATION undefined), only the hot
 * path runs, with origin ignored: the figure before.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gen_load.h"
#include "tracer/emit.h"

#define PER_DGRAM 30
#define DGRAM_B	  1464

static struct ofd_key *bench_key(void)
{
	uint8_t seed[32] = {7};
	struct ofd_key *k = NULL;
	if (ofd_key_from_seed(&k, seed))
		exit(1);
	return k;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/* Records of datagram d (PER_DGRAM of them) appended to b. */
static void dgram_records(struct ofd_batch *b, uint64_t d, uint8_t origin, uint32_t exporters, uint64_t *s)
{
	for (int i = 0; i < PER_DGRAM; i++) {
		struct ofd_flow *f = ofd_batch_add(b);
		f->type = OFD_FT_NETFLOW_V5;
		ofd_ip_set4u(&f->sampler_address, 0xc0000200u + (uint32_t)(d % exporters));
		ofd_ip_set4u(&f->src_addr, 0x7f000000u | (uint32_t)(rnd(s) & 0xffffff));
		ofd_ip_set4u(&f->dst_addr, 0x7f000000u | (uint32_t)(rnd(s) & 0xffffff));
		f->src_port = (uint16_t)rnd(s);
		f->dst_port = 80;
		f->proto = 6;
		f->packets = 1;
		f->bytes = 40;
		f->time_flow_start_ns = f->time_flow_end_ns = UINT64_C(1700000000000000000);
#ifdef OFD_EMIT_AMPLIFICATION
		f->origin = origin;
		f->export_bytes = DGRAM_B / PER_DGRAM;
#else
		(void)origin;
#endif
	}
}

#ifdef OFD_EMIT_AMPLIFICATION
static uint64_t drain(int fd, uint64_t *n)
{
	static char buf[65536];
	uint64_t bytes = 0;
	ssize_t len;
	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
		bytes += (uint64_t)len, (*n)++;
	return bytes;
}

static void flood(const char *mode, double rate, double seconds)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 64 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	struct sockaddr_in a = {.sin_family = AF_INET}; /* any address: the flow ends are all of 127/8 */
	socklen_t al = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		exit(1);
	struct ofd_prefix loop;
	(void)ofd_prefix_parse(&loop, "127.0.0.0/8");
	struct ofd_sender_cfg sc = {
	    .methods = OFD_SEND_UDP, .udp_port = ntohs(a.sin_port), .allow = &loop, .nallow = 1};
	struct ofd_sender *snd = NULL;
	char err[256];
	if (ofd_sender_new(&snd, &sc, err, sizeof(err)))
		exit(1);
	struct ofd_key *k = bench_key();
	struct ofd_emit *e = calloc(1, sizeof(*e));
	struct ofd_emit_cfg c = {.rate = 1,
				 .key = k,
				 .sender = snd,
				 .seeded = 1,
				 .seed = 1,
				 .contact = "abuse@example.net",
				 .methods = OFD_SEND_UDP,
				 .redact = OFD_REDACT_ALL,
				 .from_any = strcmp(mode, "any") == 0};
	ofd_emit_init(e, &c);
	uint8_t origin = strcmp(mode, "before") == 0   ? OFD_ORIGIN_LOCAL
			 : strcmp(mode, "listed") == 0 ? OFD_ORIGIN_LISTED
						       : OFD_ORIGIN_UNLISTED;
	struct ofd_batch *b = malloc(sizeof(*b));
	uint64_t s = 88172645463325252ull, dgrams = (uint64_t)(rate * seconds), n = 0, out = 0;
	uint64_t t0 = UINT64_C(1800000000000000000), step = (uint64_t)(1e9 / rate);
	for (uint64_t d = 0; d < dgrams;) {
		ofd_batch_init(b, NULL, NULL);
		uint64_t now = t0 + d * step;
		for (int j = 0; j < 17 && d < dgrams; j++, d++) /* the datagrams of one ms... at most 17 */
			dgram_records(b, d, origin, 1, &s);
		(void)ofd_emit_batch(e, b, now);
		out += drain(fd, &n);
	}
	ofd_sender_flush(snd, 10000);
	out += drain(fd, &n);
	uint64_t in = dgrams * DGRAM_B;
	printf("RESULT bench=amplification mode=%s rate=%g datagrams=%" PRIu64 " bytes_in=%" PRIu64
	       " bytes_out=%" PRIu64 " tracers=%" PRIu64 " factor=%.4f\n",
	       mode, rate, dgrams, in, out, n, (double)out / (double)in);
	ofd_sender_free(snd);
	ofd_key_free(k);
	free(e);
	free(b);
	close(fd);
}
#endif

static void hotpath(const char *name, uint8_t origin, uint32_t exporters, int with_sender, double seconds)
{
	struct ofd_sender *snd = NULL;
	char err[256];
	struct ofd_sender_cfg sc = {.methods = OFD_SEND_UDP};
	if (with_sender && ofd_sender_new(&snd, &sc, err, sizeof(err)))
		exit(1);
	struct ofd_key *k = bench_key();
	struct ofd_emit *e = calloc(1, sizeof(*e));
	struct ofd_emit_cfg c = {.rate = 1e-6, .key = k, .sender = snd, .seeded = 1, .seed = 2};
	ofd_emit_init(e, &c);
	enum { NB = 2 }; /* two batches cycled through: in cache, as a batch just decoded is */
	struct ofd_batch *b = malloc(NB * sizeof(*b));
	uint64_t s = 1234567, d = 0;
	for (int i = 0; i < NB; i++) {
		ofd_batch_init(&b[i], NULL, NULL);
		for (int j = 0; j < 17; j++)
			dgram_records(&b[i], d++, origin, exporters, &s);
	}
	uint64_t n = 0;
	double t0 = gen_cpu_now(), t1;
	do {
		for (int i = 0; i < NB; i++)
			(void)ofd_emit_batch(e, &b[i], UINT64_C(1800000000000000000));
		n += NB * 17 * PER_DGRAM;
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	printf("RESULT bench=emit_admission origin=%s exporters=%u sender=%s records=%" PRIu64
	       " ns_per_record=%.2f records_per_s=%.0f\n",
	       name, exporters, with_sender ? "yes" : "no", n, (t1 - t0) * 1e9 / (double)n,
	       (double)n / (t1 - t0));
	if (snd)
		ofd_sender_free(snd);
	ofd_key_free(k);
	free(e);
	free(b);
}

int main(int argc, char **argv)
{
	double seconds = 1, flood_s = 60;
	static const struct option opts[] = {{"seconds", required_argument, NULL, 's'},
					     {"flood-seconds", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 's')
			seconds = strtod(optarg, NULL);
		else if (o == 'f')
			flood_s = strtod(optarg, NULL);
		else
			return 2;
	}
#ifdef OFD_EMIT_AMPLIFICATION
	static const char *const modes[] = {"before", "unlisted", "listed", "any"};
	static const double rates[] = {1, 10, 100, 1000};
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++)
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
			flood(modes[m], rates[r], flood_s);
	hotpath("local", OFD_ORIGIN_LOCAL, 1, 0, seconds);
	hotpath("local", OFD_ORIGIN_LOCAL, 1, 1, seconds);
	hotpath("listed", OFD_ORIGIN_LISTED, 1, 1, seconds);
	hotpath("listed", OFD_ORIGIN_LISTED, 1000, 1, seconds);
	hotpath("unlisted", OFD_ORIGIN_UNLISTED, 1, 1, seconds);
#else
	(void)flood_s;
	hotpath("ignored", 0, 1, 0, seconds);
	hotpath("ignored", 0, 1, 1, seconds);
#endif
	return 0;
}
