/*
 * bench_bmp: the BMP station (net/bgp_bmp.h) on one core: Route Monitoring messages into a
 * router's RIB.
 *
 *   bench_bmp [--messages N] [MRT_FILE]
 *
 * Builds a Peer Up and N (default 200,000) Route Monitoring messages (pre-policy, 4-byte ASNs),
 * each holding one UPDATE of bench_bgp_upd.h (one route of the MRT dump with its real AS path,
 * MED, communities; the dump's prefixes moved to another /3 (IPv4) or /16 (IPv6) on each pass
 * over it, so that N routes are distinct up to 8 passes). Then:
 *   in memory: the messages through ofd_bgp_bmp_input (BMP parse, UPDATE parse, RIB apply),
 *     once into an empty RIB (new routes) and once more (every route replaced by itself);
 *     CPU time of the thread;
 *   loopback: the same stream sent by a thread over TCP on 127.0.0.1 to the station's listener,
 *     the speaker's poll loop (recv, framing, the same path, snapshot publication once a second)
 *     on this thread until all N are counted; wall time and this thread's CPU time.
 *
 *   RESULT bench=bmp_rm mode=new|replace|loopback messages=N cpu_s=S rate=R ns_per_msg=X [wall_s=W]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_bgp_upd.h"
#include "net/bgp_bmp.h"
#include "net/bmp.h"
#include "ofd/time.h"

static uint8_t *stream;
static size_t stream_len, peer_up_len;
static uint16_t lport;

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the BMP common header and a per-peer header (192.0.2.1, AS 6447, pre-policy) at p */
static size_t bmp_hdr(uint8_t *p, unsigned type, size_t body)
{
	size_t len = 6 + 42 + body;
	p[0] = 3;
	put32(p + 1, (uint32_t)len);
	p[5] = (uint8_t)type;
	memset(p + 6, 0, 42);
	static const uint8_t a[4] = {192, 0, 2, 1};
	memcpy(p + 6 + 10 + 12, a, 4);
	put32(p + 6 + 26, 6447);
	put32(p + 6 + 30, 0xc0000201);
	return 48;
}

static size_t peer_up(uint8_t *p)
{
	uint8_t body[512], *b = body;
	memset(b, 0, 20);
	b[10] = b[11] = 0xff, b[12] = 192, b[13] = 0, b[14] = 2, b[15] = 254;
	b += 16;
	*b++ = 0, *b++ = 179, *b++ = 0x9c, *b++ = 0x40;
	const struct ofd_bgp_open_cfg oc[2] = {
	    {.asn = 64500, .hold_time = 90, .bgp_id = 1, .ipv4 = 1, .ipv6 = 1},
	    {.asn = 6447, .hold_time = 90, .bgp_id = 2, .ipv4 = 1, .ipv6 = 1}};
	for (int i = 0; i < 2; i++) {
		int n = ofd_bgp_open_build(b, 256, &oc[i]);
		if (n < 0)
			abort();
		b += n;
	}
	size_t bl = (size_t)(b - body);
	size_t h = bmp_hdr(p, OFD_BMP_PEER_UP, bl);
	memcpy(p + h, body, bl);
	return h + bl;
}

static void *sender(void *arg)
{
	(void)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(lport)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		abort();
	size_t off = 0;
	while (off < stream_len) {
		ssize_t w = send(fd, stream + off, stream_len - off, MSG_NOSIGNAL);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	char c;
	(void)!recv(fd, &c, 1, 0); /* until the station closes */
	close(fd);
	return NULL;
}

static void result(const char *mode, size_t n, double cpu, double wall)
{
	printf("RESULT bench=bmp_rm mode=%s messages=%zu cpu_s=%.3f rate=%.0f ns_per_msg=%.1f", mode, n, cpu,
	       (double)n / cpu, cpu * 1e9 / (double)n);
	if (wall > 0)
		printf(" wall_s=%.3f wall_rate=%.0f", wall, (double)n / wall);
	printf("\n");
}

int main(int argc, char **argv)
{
	size_t n_msg = 200000;
	int c;
	static const struct option lo[] = {{"messages", 1, 0, 'm'}, {0, 0, 0, 0}};
	while ((c = getopt_long(argc, argv, "m:", lo, NULL)) != -1) {
		if (c == 'm')
			n_msg = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (load_routes(optind < argc ? argv[optind] : NULL))
		return 1;
	stream = malloc(512 + n_msg * 400);
	size_t *off = malloc((n_msg + 1) * sizeof(size_t));
	if (!stream || !off)
		return 1;
	size_t total = peer_up_len = peer_up(stream);
	for (size_t i = 0; i < n_msg; i++) {
		struct rt r = routes[i % n_routes];
		unsigned pass = (unsigned)(i / n_routes);
		if (r.p.addr.family == OFD_AF_INET)
			r.p.addr.b[12] = (uint8_t)(r.p.addr.b[12] + 32 * pass);
		else
			r.p.addr.b[1] = (uint8_t)(r.p.addr.b[1] + pass);
		off[i] = total;
		size_t ul = build(stream + total + 48, &r, (unsigned)i);
		bmp_hdr(stream + total, OFD_BMP_ROUTE_MONITORING, ul);
		total += 48 + ul;
	}
	off[n_msg] = stream_len = total;
	printf("messages: %zu Route Monitoring (%zu bytes, %.1f avg)\n", n_msg, total - peer_up_len,
	       (double)(total - peer_up_len) / (double)n_msg);

	/* in memory */
	static struct ofd_bgp_peer_cfg pc = {.name = "r", .n_addr = 1, .asn = 64500};
	if (ofd_ip_parse(&pc.addr[0], "127.0.0.1"))
		return 1;
	struct ofd_bgp_speaker_cfg sc = {.asn = 64500,
					 .router_id = 1,
					 .max_paths = 4u << 20,
					 .snapshot_ns = 1000000000ull,
					 .connect_retry_ns = 1};
	char err[256];
	struct ofd_bgp_speaker *sp;
	struct ofd_bgp_bmp *st;
	struct ofd_bgp_bmp_cfg bc = {0};
	if (ofd_bgp_speaker_new(&sp, &sc, &pc, 1, err, sizeof(err)) ||
	    ofd_bgp_bmp_new(&st, &bc, sp, err, sizeof(err)))
		return 1;
	if (ofd_bgp_bmp_input(st, 0, stream, peer_up_len))
		return 1;
	for (int pass = 0; pass < 2; pass++) {
		double t0 = cpu_now();
		for (size_t i = 0; i < n_msg; i++)
			if (ofd_bgp_bmp_input(st, 0, stream + off[i], off[i + 1] - off[i]))
				return 1;
		double cpu = cpu_now() - t0;
		struct ofd_bgp_rib_stats rs;
		ofd_bgp_rib_stats(ofd_bgp_speaker_rib(sp, 0), &rs);
		printf("RIB: %llu prefixes, %llu paths, %llu attribute sets; update errors %llu\n",
		       (unsigned long long)rs.prefixes, (unsigned long long)rs.paths,
		       (unsigned long long)rs.attr_sets,
		       (unsigned long long)ofd_bgp_bmp_count(st, OFD_BMPE_UPDATE_ERRORS));
		result(pass ? "replace" : "new", n_msg, cpu, 0);
	}
	ofd_bgp_bmp_free(st);
	ofd_bgp_speaker_free(sp);

	/* loopback */
	if (ofd_bgp_speaker_new(&sp, &sc, &pc, 1, err, sizeof(err)))
		return 1;
	bc.listen = pc.addr[0];
	if (ofd_bgp_bmp_new(&st, &bc, sp, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	lport = ofd_bgp_bmp_port(st);
	pthread_t th;
	uint64_t w0 = ofd_time_mono_ns();
	double t0 = cpu_now();
	if (pthread_create(&th, NULL, sender, NULL))
		return 1;
	while (ofd_bgp_bmp_count(st, OFD_BMPE_ROUTE_MONITORING) < n_msg)
		ofd_bgp_speaker_poll(sp, 100);
	double cpu = cpu_now() - t0;
	double wall = (double)(ofd_time_mono_ns() - w0) / 1e9;
	printf("RIB: %llu paths; malformed %llu\n",
	       (unsigned long long)ofd_bgp_rib_paths(ofd_bgp_speaker_rib(sp, 0), NULL),
	       (unsigned long long)ofd_bgp_bmp_count(st, OFD_BMPE_MALFORMED));
	result("loopback", n_msg, cpu, wall);
	ofd_bgp_bmp_free(st); /* closes: the sender returns */
	pthread_join(th, NULL);
	ofd_bgp_speaker_free(sp);
	free(stream);
	free(off);
	free(routes);
	return 0;
}
