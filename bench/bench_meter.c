/*
 * bench_meter: packets per CPU-second into flows (src/meter/), from a capture held in memory,
 * side by side with softflowd (and overflowd's packet input) reading the same capture as a file.
 *
 *   bench_meter [--packets N] [--concurrent C] [--passes P] [--seed S] [--maxflows M]
 *               [--softflowd] [--overflowd PATH] [--pcap FILE]
 *
 * Makes N packets (default 1000000) of C concurrent connections (default 10000) in memory:
 * Ethernet frames captured to 128 bytes (the wire and IP lengths count the payload), IPv4 and
 * 10 % IPv6; 70 % of the connections TCP (SYN, data both ways, FIN both ways: 3 to 42 packets,
 * one in ten up to 540), 25 % UDP (a query and an answer), 5 % ICMP echo; each packet from a
 * connection drawn at random, 20 us apart (20 s of traffic at 1M packets: ended flows expire
 * by the end timeout while the capture runs). Then P passes (default 5) each meter every frame
 * (ofd_meter_frame: parse, hash, update, expire) into batches and flush, timed with the
 * thread's CPU clock; the flows' packets must add up to N.
 *
 *   RESULT meter packets=N flows=F cpu_s=T rate=R ns_per_packet=X   (the median pass)
 *
 * With --softflowd (or --overflowd), the capture is written to a pcap file (--pcap, default
 * in $TMPDIR) and `softflowd -r FILE -m 1000000 -v 10` (exporting to a UDP socket this program
 * holds) and `overflowd -c packet.yml FILE` (packet -> count) run on it, their CPU time taken
 * from wait4():
 *
 *   RESULT softflowd packets=N cpu_s=T rate=R
 *   RESULT overflowd-packet packets=N cpu_s=T rate=R
 *   RESULT ratio meter/softflowd=X
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen_sflow.h"
#include "meter/meter.h"

#define SNAP	128
#define T0_SEC	1700000000ull
#define STEP_NS 20000ull

struct conn {
	uint8_t v6, proto;
	uint8_t a[16], b[16];
	uint16_t ap, bp;
	uint32_t left, sent;
};

struct capture {
	uint8_t *data;
	uint32_t *off;
	uint16_t *caplen, *len;
	uint64_t n, bytes;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void conn_new(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->v6 = rnd() % 10 == 0;
	uint64_t p = rnd() % 100;
	c->proto = p < 70 ? 6 : p < 95 ? 17 : (c->v6 ? 58 : 1);
	uint64_t x = rnd(), y = rnd();
	if (c->v6) {
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1}, b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
		memcpy(c->a, a, 16);
		memcpy(c->b, b, 16);
		memcpy(c->a + 8, &x, 8);
		memcpy(c->b + 8, &y, 8);
	} else {
		c->a[0] = 10, c->a[1] = (uint8_t)(x >> 8), c->a[2] = (uint8_t)(x >> 16),
		c->a[3] = (uint8_t)(x >> 24);
		c->b[0] = 198, c->b[1] = (uint8_t)(18 + (y & 1)), c->b[2] = (uint8_t)(y >> 8),
		c->b[3] = (uint8_t)(y >> 16);
	}
	static const uint16_t tcp_ports[] = {443, 443, 443, 80, 22, 25, 993, 8080};
	static const uint16_t udp_ports[] = {53, 53, 123, 443, 500, 4789};
	c->ap = (uint16_t)(32768 + rnd() % 28000);
	if (c->proto == 6) {
		c->bp = tcp_ports[rnd() % 8];
		c->left = 3 + (uint32_t)(rnd() % 40);
		if (rnd() % 10 == 0)
			c->left += (uint32_t)(rnd() % 500);
	} else if (c->proto == 17) {
		c->bp = udp_ports[rnd() % 6];
		c->left = 2;
	} else {
		c->left = 2 * (1 + (uint32_t)(rnd() % 4));
	}
}

/* The next packet of connection c into f. */
static void conn_packet(struct conn *c, struct gen_frame *f)
{
	memset(f, 0, sizeof(*f));
	int fwd;
	f->v6 = c->v6;
	f->proto = c->proto;
	f->ttl = 64;
	if (c->proto == 6) {
		if (c->sent == 0) {
			fwd = 1, f->tcp_flags = 0x02;
		} else if (c->sent == 1) {
			fwd = 0, f->tcp_flags = 0x12;
		} else if (c->left == 2) {
			fwd = 1, f->tcp_flags = 0x11;
		} else if (c->left == 1) {
			fwd = 0, f->tcp_flags = 0x11;
		} else {
			fwd = rnd() % 3 == 0;
			f->tcp_flags = 0x18;
			f->payload_len = fwd ? rnd() % 400 : 1448 - rnd() % 200 * (rnd() % 4 == 0);
		}
	} else if (c->proto == 17) {
		fwd = c->sent == 0;
		f->payload_len = fwd ? 40 + rnd() % 30 : 100 + rnd() % 400;
	} else {
		fwd = c->sent % 2 == 0;
		f->icmp_type = (uint8_t)(c->proto == 1 ? (fwd ? 8 : 0) : (fwd ? 128 : 129));
		f->payload_len = 56;
	}
	memcpy(f->src, fwd ? c->a : c->b, 16);
	memcpy(f->dst, fwd ? c->b : c->a, 16);
	f->sport = fwd ? c->ap : c->bp;
	f->dport = fwd ? c->bp : c->ap;
	f->src_mac = fwd ? 0x020000000001ull : 0x020000000002ull;
	f->dst_mac = fwd ? 0x020000000002ull : 0x020000000001ull;
	c->sent++;
	c->left--;
}

static void make_capture(struct capture *cap, uint64_t n, uint32_t conc)
{
	struct conn *cs = calloc(conc, sizeof(*cs));
	cap->data = malloc(n * SNAP);
	cap->off = malloc(n * sizeof(*cap->off));
	cap->caplen = malloc(n * sizeof(*cap->caplen));
	cap->len = malloc(n * sizeof(*cap->len));
	if (!cs || !cap->data || !cap->off || !cap->caplen || !cap->len) {
		fprintf(stderr, "bench_meter: out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < conc; i++)
		conn_new(&cs[i]);
	struct gen_buf g = {0};
	uint64_t pos = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct conn *c = &cs[rnd() % conc];
		if (!c->left)
			conn_new(c);
		struct gen_frame f;
		conn_packet(c, &f);
		gen_reset(&g);
		gen_frame(&g, &f);
		uint32_t cl = g.len < SNAP ? (uint32_t)g.len : SNAP;
		memcpy(cap->data + pos, g.p, cl);
		cap->off[i] = (uint32_t)pos;
		cap->caplen[i] = (uint16_t)cl;
		cap->len[i] = (uint16_t)g.len;
		cap->bytes += g.len;
		pos += cl;
	}
	cap->n = n;
	gen_free(&g);
	free(cs);
}

static int write_pcap(const struct capture *cap, const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAP);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
	if (!d) {
		fprintf(stderr, "bench_meter: cannot write %s\n", path);
		return -1;
	}
	for (uint64_t i = 0; i < cap->n; i++) {
		uint64_t t = i * STEP_NS;
		struct pcap_pkthdr h = {.caplen = cap->caplen[i], .len = cap->len[i]};
		h.ts.tv_sec = (time_t)(T0_SEC + t / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(t % 1000000000u / 1000u);
		pcap_dump((u_char *)d, &h, cap->data + cap->off[i]);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

struct count {
	uint64_t flows, packets;
};

static void on_full(struct ofd_batch *b, void *ctx)
{
	struct count *c = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		c->flows++;
		c->packets += b->flows[i].packets;
	}
}

static uint64_t thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* One pass: CPU ns; the flows and their packets into *c. */
static uint64_t pass(const struct capture *cap, uint32_t maxflows, struct ofd_batch *b, struct count *c)
{
	struct ofd_meter_cfg cfg;
	ofd_meter_cfg_default(&cfg);
	cfg.maxflows = maxflows;
	struct ofd_meter *m;
	if (ofd_meter_new(&m, &cfg)) {
		fprintf(stderr, "bench_meter: cannot make the meter\n");
		exit(1);
	}
	memset(c, 0, sizeof(*c));
	ofd_batch_init(b, on_full, c);
	const uint64_t base = T0_SEC * 1000000000ull;
	uint64_t t0 = thread_ns();
	for (uint64_t i = 0; i < cap->n; i++)
		ofd_meter_frame(m, OFD_LINK_ETHERNET, cap->data + cap->off[i], cap->caplen[i], cap->len[i],
				base + i * STEP_NS, 0, b);
	ofd_meter_flush(m, b);
	ofd_batch_flush(b);
	uint64_t ns = thread_ns() - t0;
	if (ofd_meter_stats(m)->emergency_expired)
		fprintf(stderr, "bench_meter: %" PRIu64 " emergency expiries (raise --maxflows)\n",
			ofd_meter_stats(m)->emergency_expired);
	ofd_meter_free(m);
	return ns;
}

/* softflowd's "Packets processed" + "Ignored packets" through softflowctl, or -1. */
static long long sf_seen(const char *ctl)
{
	char cmd[700], line[256];
	snprintf(cmd, sizeof(cmd), "softflowctl -c '%s' statistics 2>/dev/null", ctl);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	long long seen = -1, v;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "Packets processed: %lld", &v) == 1 ||
		    sscanf(line, "Ignored packets: %lld", &v) == 1)
			seen = (seen < 0 ? 0 : seen) + v;
	pclose(p);
	return seen;
}

/*
 * Run argv to its end; its CPU seconds (wait4), or -1. With ctl (softflowd), once it has seen
 * `want` packets it is told to expire everything and shut down (softflowd -r waits at the end
 * of the file), polled every 20 ms.
 */
static double run_cpu(char *const argv[], int quiet, const char *ctl, uint64_t want)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet && !freopen("/dev/null", "w", stdout))
			_exit(127);
		if (quiet && !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	pid_t w;
	int asked = 0;
	while ((w = wait4(pid, &status, ctl ? WNOHANG : 0, &ru)) == 0) {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
		if (!asked && sf_seen(ctl) >= (long long)want) {
			char cmd[700];
			snprintf(cmd, sizeof(cmd),
				 "softflowctl -c '%s' expire-all >/dev/null 2>&1; "
				 "softflowctl -c '%s' shutdown >/dev/null 2>&1",
				 ctl, ctl);
			if (system(cmd) == -1)
				kill(pid, SIGTERM);
			asked = 1;
		}
	}
	if (w < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_meter: %s exited with status %d\n", argv[0], status);
		return -1;
	}
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, passes = 5;
	uint32_t conc = 10000, maxflows = 1u << 18;
	int softflowd = 0;
	const char *ofd = NULL;
	char pcap_path[512] = "";
	int tmp_pcap = 0; /* pcap_path is ours to remove */
	static const struct option opts[] = {
	    {"packets", required_argument, NULL, 'n'},
	    {"concurrent", required_argument, NULL, 'c'},
	    {"passes", required_argument, NULL, 'p'},
	    {"seed", required_argument, NULL, 's'},
	    {"maxflows", required_argument, NULL, 'm'},
	    {"softflowd", no_argument, NULL, 'S'},
	    {"overflowd", required_argument, NULL, 'o'},
	    {"pcap", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'c': conc = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'p': passes = strtoull(optarg, NULL, 10); break;
		case 's': rng = strtoull(optarg, NULL, 10); break;
		case 'm': maxflows = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': softflowd = 1; break;
		case 'o': ofd = optarg; break;
		case 'f': snprintf(pcap_path, sizeof(pcap_path), "%s", optarg); break;
		default:
			fprintf(stderr,
				"usage: bench_meter [--packets N] [--concurrent C] [--passes P] [--seed S] "
				"[--maxflows M] [--softflowd] [--overflowd PATH] [--pcap FILE]\n");
			return 2;
		}
	}
	if (!n || !conc || !passes)
		return 2;
	struct capture cap = {0};
	make_capture(&cap, n, conc);
	fprintf(stderr,
		"bench_meter: %" PRIu64 " packets (%" PRIu64
		" bytes on the wire), %u concurrent connections\n",
		cap.n, cap.bytes, conc);

	struct ofd_batch *b = malloc(sizeof(*b));
	uint64_t *ns = calloc(passes, sizeof(*ns));
	if (!b || !ns)
		return 1;
	struct count c;
	(void)pass(&cap, maxflows, b, &c); /* warm-up */
	for (uint64_t i = 0; i < passes; i++) {
		ns[i] = pass(&cap, maxflows, b, &c);
		if (c.packets != cap.n) {
			fprintf(stderr, "bench_meter: the flows hold %" PRIu64 " packets of %" PRIu64 "\n",
				c.packets, cap.n);
			return 1;
		}
	}
	qsort(ns, passes, sizeof(*ns), cmp_u64);
	uint64_t med = ns[passes / 2];
	double rate = (double)cap.n / ((double)med / 1e9);
	printf("RESULT meter packets=%" PRIu64 " flows=%" PRIu64 " cpu_s=%.4f rate=%.0f ns_per_packet=%.1f "
	       "best_rate=%.0f\n",
	       cap.n, c.flows, (double)med / 1e9, rate, (double)med / (double)cap.n,
	       (double)cap.n / ((double)ns[0] / 1e9));
	fflush(stdout);

	if (softflowd || ofd) {
		if (!*pcap_path) {
			const char *tmp = getenv("TMPDIR");
			snprintf(pcap_path, sizeof(pcap_path), "%s/bench_meter.%d.pcap", tmp ? tmp : "/tmp",
				 (int)getpid());
			tmp_pcap = 1;
		}
		if (write_pcap(&cap, pcap_path))
			return 1;
	}
	if (softflowd) {
		/* a socket of ours to export to: softflowd's datagrams are dropped when its buffer fills */
		int sk = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof(sa);
		if (sk < 0 || bind(sk, (struct sockaddr *)&sa, sizeof(sa)) ||
		    getsockname(sk, (struct sockaddr *)&sa, &sl))
			return 1;
		char dest[64], ctl[600], maxf[32];
		snprintf(dest, sizeof(dest), "127.0.0.1:%u", ntohs(sa.sin_port));
		snprintf(ctl, sizeof(ctl), "%s.ctl", pcap_path);
		snprintf(maxf, sizeof(maxf), "%u", maxflows);
		char *sargv[] = {"softflowd", "-r", pcap_path, "-n", dest, "-v", "10",
				 "-m",	      maxf, "-d",      "-c", ctl,  NULL};
		double cpu = run_cpu(sargv, 1, ctl, cap.n);
		close(sk);
		unlink(ctl);
		if (cpu > 0) {
			printf("RESULT softflowd packets=%" PRIu64 " cpu_s=%.4f rate=%.0f\n", cap.n, cpu,
			       (double)cap.n / cpu);
			printf("RESULT ratio meter/softflowd=%.1f\n", rate / ((double)cap.n / cpu));
		}
	}
	if (ofd) {
		char yml[600];
		snprintf(yml, sizeof(yml), "%s.yml", pcap_path);
		FILE *f = fopen(yml, "w");
		if (!f)
			return 1;
		fprintf(f,
			"- segment: packet\n  config: {method: file, source: $0, maxflows: %u}\n"
			"- segment: count\n",
			maxflows);
		fclose(f);
		char *oargv[] = {(char *)ofd, "-c", yml, pcap_path, NULL};
		double cpu = run_cpu(oargv, 1, NULL, 0);
		unlink(yml);
		if (cpu > 0)
			printf("RESULT overflowd-packet packets=%" PRIu64 " cpu_s=%.4f rate=%.0f\n", cap.n,
			       cpu, (double)cap.n / cpu);
	}
	if (tmp_pcap)
		unlink(pcap_path);
	free(ns);
	free(b);
	free(cap.data);
	free(cap.off);
	free(cap.caplen);
	free(cap.len);
	return 0;
}
