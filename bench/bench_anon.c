/*
 * bench_anon: Crypto-PAn addresses per CPU-second (one core) on real traffic, and nfdump's
 * nfanon on an nfcapd file of the same records.
 *
 *   bench_anon [--seconds S] [--key KEY] [--no-nfanon] [FILE]
 *
 * Decodes every record of the capture (default $OFD_DATA/netflow_4M.pcap, else
 * /work/shared/data/netflow_4M.pcap) and keeps the four addresses nfanon anonymizes per
 * NetFlow v5 record: source, destination, next hop and exporter (SrcAddr, DstAddr, NextHop,
 * SamplerAddress). Then, each until S seconds of CPU time have passed (over and over the same
 * list, i.e. the traffic's own repetition, as a long capture of the same network would show):
 *
 *   cached     ofd_cpan_anon4 with the segment's default caches (65,536 IPv4 results, /24s)
 *   first      one pass with a fresh instance, its init (the 16-bit top table) included
 *   uncached   no caches: the top table and 16 AES blocks per address
 *   plain      the textbook way: 32 AES blocks per address, no table
 *   segment    the anonymize segment's process() (harness), default fields, on batches of the
 *              records (only the address fields are filled; they are restored before each batch,
 *              outside the timed region)
 *   ipv6       ofd_cpan_anon6 without cache on the IPv4 addresses mapped into 2001:db8::/96
 *
 * nfanon: the capture's datagrams are sent to nfcapd on 127.0.0.1 (a free port, paced), nfcapd is
 * stopped, and `nfanon -K KEY` runs on its file; its CPU time (user + sys, wait4) counts, and so
 * does `nfdump -r FILE -w COPY` (read and write without anonymizing) to show the file I/O share.
 * Prints RESULT lines: mode=..., addresses=N cpu_s=T rate=R (addresses per CPU-second).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "gen_load.h"
#include "ofd/harness.h"
#include "segments/enrich/cryptopan.h"

extern char **environ;
extern const struct ofd_segment_type ofd_seg_anonymize;

struct rec4 {
	struct ofd_ip a[4]; /* src, dst, next hop, sampler */
};

struct coll {
	struct rec4 *r;
	size_t n, cap;
	uint32_t *addr; /* the IPv4 ones, 4 per record */
	size_t naddr;
};

static void consume(struct ofd_batch *b, void *ctx)
{
	struct coll *c = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 65536;
			c->r = realloc(c->r, c->cap * sizeof(*c->r));
			c->addr = realloc(c->addr, 4 * c->cap * sizeof(*c->addr));
			if (!c->r || !c->addr) {
				perror("bench_anon");
				exit(1);
			}
		}
		const struct ofd_flow *f = &b->flows[i];
		struct rec4 *r = &c->r[c->n++];
		r->a[0] = f->src_addr, r->a[1] = f->dst_addr, r->a[2] = f->next_hop,
		r->a[3] = f->sampler_address;
		for (int k = 0; k < 4; k++)
			if (r->a[k].family == OFD_AF_INET) {
				const uint8_t *p = r->a[k].b + 12;
				c->addr[c->naddr++] =
				    (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
			}
	}
	b->n = 0;
}

static void report(const char *mode, uint64_t n, double cpu, const char *extra)
{
	printf("RESULT mode=%s addresses=%" PRIu64 " cpu_s=%.3f rate=%.0f ns_per_address=%.1f%s%s\n", mode, n,
	       cpu, (double)n / cpu, cpu * 1e9 / (double)n, extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

static volatile uint32_t sink;

static void bench_core(const struct coll *c, const uint8_t key[32], uint32_t cache, int plain,
		       const char *mode, double seconds)
{
	char why[200];
	struct ofd_cpan *cp = ofd_cpan_new(key, cache, why, sizeof(why));
	if (!cp) {
		fprintf(stderr, "bench_anon: %s\n", why);
		exit(1);
	}
	uint64_t n = 0;
	uint32_t x = 0;
	double t0 = gen_cpu_now(), t1;
	do {
		for (size_t i = 0; i < c->naddr; i++)
			x ^= plain ? ofd_cpan_anon4_plain(cp, c->addr[i]) : ofd_cpan_anon4(cp, c->addr[i]);
		n += c->naddr;
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	sink = x;
	struct ofd_cpan_stats st;
	ofd_cpan_get_stats(cp, &st);
	char extra[160];
	snprintf(extra, sizeof(extra), "hits=%" PRIu64 " misses=%" PRIu64 " hits24=%" PRIu64, st.hits4,
		 st.misses4, st.hits24);
	report(mode, n, t1 - t0, extra);
	ofd_cpan_free(cp);
}

static void bench_first(const struct coll *c, const uint8_t key[32])
{
	char why[200];
	double t0 = gen_cpu_now();
	struct ofd_cpan *cp = ofd_cpan_new(key, 65536, why, sizeof(why));
	if (!cp)
		exit(1);
	double ti = gen_cpu_now();
	uint32_t x = 0;
	for (size_t i = 0; i < c->naddr; i++)
		x ^= ofd_cpan_anon4(cp, c->addr[i]);
	sink = x;
	double t1 = gen_cpu_now();
	char extra[80];
	snprintf(extra, sizeof(extra), "init_ms=%.1f", (ti - t0) * 1e3);
	report("first", c->naddr, t1 - t0, extra);
	ofd_cpan_free(cp);
}

static void bench_v6(const struct coll *c, const uint8_t key[32], double seconds)
{
	char why[200];
	struct ofd_cpan *cp = ofd_cpan_new(key, 0, why, sizeof(why));
	if (!cp)
		exit(1);
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, o[16];
	uint64_t n = 0;
	double t0 = gen_cpu_now(), t1;
	do {
		for (size_t i = 0; i < c->naddr && i < 100000; i++) {
			uint32_t v = c->addr[i];
			a[12] = (uint8_t)(v >> 24), a[13] = (uint8_t)(v >> 16), a[14] = (uint8_t)(v >> 8),
			a[15] = (uint8_t)v;
			ofd_cpan_anon6(cp, a, o);
			n++;
		}
		t1 = gen_cpu_now();
	} while (t1 - t0 < seconds);
	sink = o[15];
	report("ipv6_uncached", n, t1 - t0, NULL);
	ofd_cpan_free(cp);
}

static void bench_segment(const struct coll *c, const char *key, double seconds)
{
	char cfg[256], err[512];
	struct ofd_harness *h = NULL;
	snprintf(cfg, sizeof(cfg), "{key: \"%s\"}", key);
	if (ofd_harness_new(&h, &ofd_seg_anonymize, cfg, err, sizeof(err))) {
		fprintf(stderr, "bench_anon: %s\n", err);
		exit(1);
	}
	uint64_t n = 0;
	double cpu = 0;
	size_t i = 0;
	do {
		uint32_t m = c->n - i < OFD_BATCH_CAP ? (uint32_t)(c->n - i) : OFD_BATCH_CAP;
		struct ofd_batch *b = ofd_harness_batch(h, m);
		for (uint32_t k = 0; k < m; k++) {
			const struct rec4 *r = &c->r[i + k];
			struct ofd_flow *f = &b->flows[k];
			f->src_addr = r->a[0], f->dst_addr = r->a[1], f->next_hop = r->a[2],
			f->sampler_address = r->a[3];
			n += (r->a[0].family != 0) + (r->a[1].family != 0) + (r->a[2].family != 0) +
			     (r->a[3].family != 0);
		}
		double t0 = gen_cpu_now();
		ofd_harness_process(h, b);
		cpu += gen_cpu_now() - t0;
		i += m;
		if (i >= c->n)
			i = 0;
	} while (cpu < seconds);
	char extra[120];
	snprintf(extra, sizeof(extra), "records_per_s=%.0f cache_misses=%" PRIu64, (double)n / 4 / cpu,
		 ofd_harness_counter(h, "cache_misses"));
	report("segment", n, cpu, extra);
	ofd_harness_free(h);
}

/* ---- nfanon ---- */

/* Run argv, wait; its CPU seconds (user + sys) or -1. Output to /dev/null unless keep. */
static double run_cpu(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "bench_anon: %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_anon: %s failed (status %d)\n", argv[0], status);
		return -1;
	}
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static int free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		return -1;
	close(fd);
	return ntohs(sa.sin_port);
}

static void bench_nfanon(const char *path, const struct coll *c, const char *key)
{
	char dir[] = "/tmp/bench-anon-XXXXXX";
	if (!mkdtemp(dir))
		return;
	int port = free_udp_port();
	char ports[16], file[512] = "", out[600], copy[600];
	snprintf(ports, sizeof(ports), "%d", port);
	char *capd[] = {"nfcapd", "-b", "127.0.0.1", "-p", ports,      "-w",
			dir,	  "-t", "3600",	     "-B", "16777216", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	if (posix_spawnp(&pid, "nfcapd", &fa, NULL, capd, environ)) {
		fprintf(stderr, "bench_anon: nfcapd not found: no nfanon figure\n");
		posix_spawn_file_actions_destroy(&fa);
		return;
	}
	posix_spawn_file_actions_destroy(&fa);
	struct timespec ms100 = {0, 100000000}, ms1 = {0, 1000000};
	nanosleep(&ms100, NULL);
	nanosleep(&ms100, NULL); /* a bench, not a test: let it bind */
	struct gen_dgrams s;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd >= 0 && gen_load(path, &s) == 0) {
		for (size_t i = 0; i < s.n; i++) {
			(void)sendto(fd, s.dg[i].data, s.dg[i].len, 0, (struct sockaddr *)&sa, sizeof(sa));
			if (i % 16 == 15)
				nanosleep(&ms1, NULL);
		}
		gen_load_free(&s);
	}
	if (fd >= 0)
		close(fd);
	nanosleep(&ms100, NULL);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "nfcapd.2", 8) == 0)
			snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
	if (!file[0]) {
		fprintf(stderr, "bench_anon: nfcapd wrote no file\n");
		return;
	}
	snprintf(out, sizeof(out), "%s/anon.nf", dir);
	snprintf(copy, sizeof(copy), "%s/copy.nf", dir);
	char *anon[] = {"nfanon", "-q", "-K", (char *)key, "-r", file, "-w", out, NULL};
	char *cp[] = {"nfdump", "-r", file, "-w", copy, NULL};
	double ta = run_cpu(anon), tc = run_cpu(cp);
	if (ta > 0) {
		/* nfanon anonymizes the same four addresses per v5 record as the list holds */
		char extra[200];
		snprintf(extra, sizeof(extra), "records=%zu nfdump_copy_cpu_s=%.3f rate_minus_copy=%.0f",
			 c->n, tc, tc > 0 && ta > tc ? (double)c->naddr / (ta - tc) : 0.0);
		report("nfanon", c->naddr, ta, extra);
	}
	unlink(out), unlink(copy), unlink(file);
	rmdir(dir);
}

static int cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"key", required_argument, NULL, 'k'},
	    {"no-nfanon", no_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 2;
	const char *key = "ExampleKeyWithExactly32Character";
	int nfanon = 1, ch;
	while ((ch = getopt_long(argc, argv, "s:k:n", opts, NULL)) != -1) {
		switch (ch) {
		case 's': seconds = strtod(optarg, NULL); break;
		case 'k': key = optarg; break;
		case 'n': nfanon = 0; break;
		default:
			fprintf(stderr, "usage: bench_anon [--seconds S] [--key KEY] [--no-nfanon] [FILE]\n");
			return 2;
		}
	}
	ofd_log_set_level(OFD_LOG_ERR);
	char def[4096], why[200];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	const char *path = optind < argc ? argv[optind] : def;
	uint8_t k[32];
	if (ofd_cpan_parse_key(key, k, why, sizeof(why))) {
		fprintf(stderr, "bench_anon: key: %s\n", why);
		return 2;
	}
	struct gen_dgrams s;
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *b = malloc(sizeof(*b));
	struct coll c = {0};
	if (!b || gen_load(path, &s) || s.n == 0 || ofd_decoder_new(&dec, NULL)) {
		fprintf(stderr, "bench_anon: %s: no datagrams\n", path);
		return 1;
	}
	ofd_batch_init(b, consume, &c);
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(dec, &s.dg[i], b);
	ofd_batch_flush(b);
	ofd_decoder_free(dec);
	gen_load_free(&s);
	free(b);
	/* distinct addresses, for the report */
	uint32_t *sorted = malloc(c.naddr * sizeof(*sorted));
	size_t distinct = 0;
	if (sorted) {
		memcpy(sorted, c.addr, c.naddr * sizeof(*sorted));
		qsort(sorted, c.naddr, sizeof(*sorted), cmp);
		for (size_t i = 0; i < c.naddr; i++)
			distinct += i == 0 || sorted[i] != sorted[i - 1];
		free(sorted);
	}
	printf("INFO file=%s records=%zu ipv4_addresses=%zu distinct=%zu\n", path, c.n, c.naddr, distinct);
	bench_core(&c, k, 65536, 0, "cached", seconds);
	bench_first(&c, k);
	bench_core(&c, k, 0, 0, "uncached", seconds);
	bench_core(&c, k, 0, 1, "plain", seconds);
	bench_segment(&c, key, seconds);
	bench_v6(&c, k, seconds);
	if (nfanon)
		bench_nfanon(path, &c, key);
	free(c.r);
	free(c.addr);
	return 0;
}
