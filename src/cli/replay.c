/*
 * overflowd replay FILE... --to udp://HOST:PORT [--rate N] [--loop K] [--speed X]
 *                  [--allow-remote] [--quiet]
 *
 * Sends the UDP payloads (export datagrams) of capture files to a collector, in file order, from
 * one connected UDP socket: nfdump's nfreplay for every format the capture reader hands out.
 *
 * Pacing: every datagram gets a due time (none, --rate's steady clock, or --speed's scaled
 * capture time). A burst is up to BURST_MAX datagrams due within GRAIN_NS of the first one; it
 * is sent with one sendmmsg() at that first due time, slept to with clock_nanosleep(ABSTIME).
 * So the sender neither spins nor sleeps per datagram, and due times are absolute: a late burst
 * does not delay the ones after it.
 *
 * With --loop other than 1 the datagrams are read into memory once (at most HELD_MAX bytes);
 * a single pass streams them from the files, copying each burst into a slab.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "decode/pcapfile.h"
#include "ofd/log.h"
#include "ofd/time.h"

#define BURST_MAX  64
#define GRAIN_NS   1000000ull	/* a burst covers at most 1 ms of due times */
#define NAP_MAX_NS 100000000ull /* sleep in slices of at most 100 ms, so a signal stops us soon */
#define HELD_MAX   (1ull << 30) /* datagrams held in memory for --loop, index included */
#define DGRAM_MAX  65535u

struct held {
	uint64_t off, time_ns;
	uint32_t len;
};

struct replay {
	const char *to;
	double rate, speed; /* 0: not given */
	unsigned long loops;
	int allow_remote, quiet, nfiles;
	char **files;
	int fd;
	/* held datagrams (--loop != 1) */
	struct held *held;
	uint8_t *bytes;
	size_t nheld, held_cap, nbytes, bytes_cap, pos;
	/* streaming (one pass) */
	struct ofd_pcapfile *pf;
	int next_file;
	uint8_t *slab; /* BURST_MAX slots of DGRAM_MAX bytes */
	/* the next datagram to send, and its due time (0: at once) */
	const uint8_t *cur;
	uint32_t cur_len;
	uint64_t cur_ts, cur_due;
	/* timing */
	uint64_t t0_ns, pass_t0_ns, pass_ts0, last_due, seq;
	int pass_first;
	/* counters */
	uint64_t sent, bytes_sent, refused, passes;
	unsigned files_ok;
	int open_failed, last_err;
	struct mmsghdr msgs[BURST_MAX];
	struct iovec iov[BURST_MAX];
};

/* When the current datagram is due; the cast is clamped, or a tiny --speed would overflow it. */
static void set_due(struct replay *r)
{
	uint64_t due = 0;
	if (r->rate > 0) {
		due = r->t0_ns + (uint64_t)fmin((double)r->seq++ * 1e9 / r->rate, 1e18);
	} else if (r->speed > 0) {
		if (r->pass_first)
			r->pass_ts0 = r->cur_ts;
		uint64_t rel = r->cur_ts > r->pass_ts0 ? r->cur_ts - r->pass_ts0 : 0;
		due = r->pass_t0_ns + (uint64_t)fmin((double)rel / r->speed, 1e18);
	}
	r->pass_first = 0;
	if (due < r->last_due) /* capture time went backwards: send at once, never wait for it */
		due = r->last_due;
	r->cur_due = r->last_due = due;
}

/* Make the next datagram of this pass current. Returns 1, or 0 at the end of the pass. */
static int next_dgram(struct replay *r)
{
	for (;;) {
		if (r->held) {
			if (r->pos >= r->nheld)
				return 0;
			const struct held *h = &r->held[r->pos++];
			r->cur = r->bytes + h->off, r->cur_len = h->len, r->cur_ts = h->time_ns;
		} else {
			if (!r->pf) {
				if (r->next_file >= r->nfiles)
					return 0;
				if (ofd_pcapfile_open(&r->pf, r->files[r->next_file++])) {
					r->open_failed = 1; /* it could be opened a moment ago */
					continue;
				}
			}
			struct ofd_dgram dg;
			if (ofd_pcapfile_next(r->pf, &dg, NULL) <= 0) {
				ofd_pcapfile_close(r->pf);
				r->pf = NULL;
				continue;
			}
			if (dg.len > DGRAM_MAX) { /* a jumbogram: no slab slot, and no socket sends it */
				r->refused++;
				continue;
			}
			r->cur = dg.data, r->cur_len = (uint32_t)dg.len, r->cur_ts = dg.time_ns;
		}
		set_due(r);
		return 1;
	}
}

/* Grow *p (elements of `size`) to hold at least `need`, doubling. Returns 0 or -1. */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	void *q = c == *cap ? *p : realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q, *cap = c;
	return 0;
}

/* Keep a copy of dg for the passes. Returns 0, or -1 (with the message) when it cannot. */
static int hold(struct replay *r, const struct ofd_dgram *dg)
{
	if (r->nbytes + dg->len + (r->nheld + 1) * sizeof(struct held) > HELD_MAX) {
		fprintf(stderr, "replay: more than %llu MiB of datagrams to hold for --loop; use --loop 1\n",
			HELD_MAX >> 20);
		return -1;
	}
	if (grow((void **)&r->held, &r->held_cap, r->nheld + 1, sizeof(struct held)) ||
	    grow((void **)&r->bytes, &r->bytes_cap, r->nbytes + dg->len, 1)) {
		fprintf(stderr, "replay: out of memory holding the input for --loop\n");
		return -1;
	}
	memcpy(r->bytes + r->nbytes, dg->data, dg->len);
	r->held[r->nheld++] = (struct held){r->nbytes, dg->time_ns, (uint32_t)dg->len};
	r->nbytes += dg->len;
	return 0;
}

/*
 * Open every file before sending anything, so that a missing one stops the command; with
 * `keep` (--loop other than 1) hold its datagrams too. Returns an exit status.
 */
static int load(struct replay *r, int keep)
{
	for (int i = 0; i < r->nfiles && !ofd_stop; i++) {
		struct ofd_pcapfile *pf;
		struct ofd_dgram dg;
		int err = 0;
		if (ofd_pcapfile_open(&pf, r->files[i]))
			return OFD_EXIT_FAIL;
		r->files_ok++;
		while (keep && !err && !ofd_stop && ofd_pcapfile_next(pf, &dg, NULL) > 0)
			err = hold(r, &dg);
		ofd_pcapfile_close(pf);
		if (err)
			return OFD_EXIT_FAIL;
	}
	return OFD_EXIT_OK;
}

static void sleep_until(uint64_t due)
{
	for (uint64_t now; !ofd_stop && (now = ofd_time_mono_ns()) < due;) {
		uint64_t t = due - now > NAP_MAX_NS ? now + NAP_MAX_NS : due;
		struct timespec ts = ofd_time_ts(t);
		(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR: loop */
	}
}

/* Send msgs[0..n): a full queue is waited for, any other error skips one datagram. */
static void send_burst(struct replay *r, unsigned n)
{
	unsigned i = 0;
	while (i < n && !ofd_stop) {
		int k = sendmmsg(r->fd, r->msgs + i, n - i, 0);
		if (k > 0) {
			for (unsigned j = i; j < i + (unsigned)k; j++)
				r->bytes_sent += r->iov[j].iov_len;
			r->sent += (unsigned)k, i += (unsigned)k;
			continue;
		}
		int err = k < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == ENOBUFS) {
			/* the socket or device queue is full: wait, never drop. A UDP socket reports
			 * POLLOUT at once after ENOBUFS, hence the timeout as the short wait. */
			struct pollfd p = {.fd = r->fd, .events = POLLOUT};
			(void)poll(&p, 1, err == ENOBUFS ? 1 : 100);
			continue;
		}
		/* ECONNREFUSED (an ICMP port unreachable for an earlier datagram) and the like: one
		 * datagram not sent. Each new error is logged once; the count is in the summary. */
		r->refused++, i++;
		if (err != r->last_err)
			ofd_warn("send to %s: %s (such datagrams are counted as refused)", r->to,
				 strerror(err));
		r->last_err = err;
	}
}

static void run_pass(struct replay *r)
{
	r->pass_t0_ns = ofd_time_mono_ns(), r->pass_first = 1, r->pos = 0, r->next_file = 0;
	int more = next_dgram(r);
	if (more)
		r->passes++;
	while (more && !ofd_stop) {
		uint64_t due = r->cur_due;
		unsigned n = 0;
		do {
			uint8_t *p = (uint8_t *)(uintptr_t)r->cur;
			if (r->slab) /* the reader's buffer is reused by the next call */
				p = memcpy(r->slab + (size_t)n * DGRAM_MAX, r->cur, r->cur_len);
			r->iov[n] = (struct iovec){p, r->cur_len};
			n++;
			more = next_dgram(r);
		} while (more && n < BURST_MAX && r->cur_due <= due + GRAIN_NS);
		sleep_until(due);
		send_burst(r, n);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: overflowd replay FILE... --to udp://HOST:PORT [--rate N] [--loop K] [--speed X]\n"
		   "                        [--allow-remote] [--quiet]\n"
		   "  FILE: a capture (pcap or pcapng, plain or .gz); its UDP payloads are sent in order\n"
		   "  --to udp://HOST:PORT  the collector (an IPv6 address in brackets)\n"
		   "  --allow-remote        allow a destination outside 127.0.0.0/8 and ::1\n"
		   "  --rate N              datagrams per second (50k, 1.5M); default: as fast as possible\n"
		   "  --speed X             keep the capture's timing, X times faster (not with --rate)\n"
		   "  --loop K              send the input K times (default 1; 0: until SIGINT/SIGTERM)\n"
		   "  --quiet               no warnings and no summary line, only errors\n");
}

/* "20000", "50k", "1.5M": a positive, finite number. */
static int parse_num(const char *s, int suffixes, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || !isdigit((unsigned char)s[0]))
		return -1;
	if (suffixes && (*end == 'k' || *end == 'K'))
		v *= 1e3, end++;
	else if (suffixes && *end == 'M')
		v *= 1e6, end++;
	if (*end || errno || !isfinite(v) || v <= 0 || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

static int bad_arg(const char *opt, const char *what, const char *val)
{
	fprintf(stderr, "replay: %s needs %s, not '%s'\n", opt, what, val);
	return -1;
}

static int parse_args(struct replay *r, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},     {"rate", required_argument, NULL, 'r'},
	    {"loop", required_argument, NULL, 'l'},   {"speed", required_argument, NULL, 's'},
	    {"allow-remote", no_argument, NULL, 'A'}, {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	int c;
	char *end;
	r->loops = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:r:l:s:qh", opts, NULL)) != -1) {
		switch (c) {
		case 't': r->to = optarg; break;
		case 'A': r->allow_remote = 1; break;
		case 'q': r->quiet = 1; break;
		case 'r':
			if (parse_num(optarg, 1, &r->rate))
				return bad_arg("--rate", "datagrams per second (20000, 50k, 1.5M)", optarg);
			break;
		case 's':
			if (parse_num(optarg, 0, &r->speed))
				return bad_arg("--speed", "a factor above 0 (2, 0.5)", optarg);
			break;
		case 'l':
			errno = 0;
			r->loops = strtoul(optarg, &end, 10);
			if (!isdigit((unsigned char)optarg[0]) || *end || errno)
				return bad_arg("--loop", "a whole number (0: forever)", optarg);
			break;
		case 'h': usage(stdout); exit(OFD_EXIT_OK);
		default: return -1;
		}
	}
	r->files = argv + optind, r->nfiles = argc - optind;
	if (r->nfiles && r->to && !(r->rate > 0 && r->speed > 0))
		return 0;
	fprintf(stderr, "replay: %s\n",
		!r->nfiles ? "no FILE given"
		: !r->to   ? "--to udp://HOST:PORT is required"
			   : "--rate and --speed cannot be combined (--speed keeps the capture's timing)");
	return -1;
}

/* --to udp://HOST:PORT into an address. Returns an exit status. */
static int resolve_to(const char *to, struct sockaddr_storage *sa, socklen_t *salen)
{
	char buf[300], *host = buf, *port, *end;
	if (strncmp(to, "udp://", 6) != 0 || (size_t)snprintf(buf, sizeof(buf), "%s", to + 6) >= sizeof(buf))
		goto bad;
	int bracket = host[0] == '[';
	if (bracket) {
		if (!(end = strchr(host, ']')) || end[1] != ':')
			goto bad;
		*end = 0, host++, port = end + 2;
	} else {
		if (!(port = strchr(host, ':')) || strchr(port + 1, ':')) /* IPv6 needs brackets */
			goto bad;
		*port++ = 0;
	}
	unsigned long p = strtoul(port, &end, 10);
	if (!host[0] || !isdigit((unsigned char)port[0]) || *end || p == 0 || p > 65535)
		goto bad;
	/* a literal is taken as it is (getaddrinfo asks no resolver for one); a name is resolved */
	struct addrinfo *ai,
	    hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV | (bracket ? AI_NUMERICHOST : 0)};
	int err = getaddrinfo(host, port, &hints, &ai);
	if (err && bracket)
		goto bad;
	if (err) {
		fprintf(stderr, "replay: cannot resolve '%s': %s\n", host, gai_strerror(err));
		return OFD_EXIT_FAIL;
	}
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	*salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return OFD_EXIT_OK;
bad:
	fprintf(stderr, "replay: --to must be udp://HOST:PORT (an IPv6 address in brackets), not '%s'\n", to);
	return OFD_EXIT_USAGE;
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 */
static int is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ((const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr)[0] == 127;
	if (sa->ss_family != AF_INET6)
		return 0;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

static int open_socket(struct replay *r)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	char host[NI_MAXHOST] = "?";
	int rc = resolve_to(r->to, &sa, &salen);
	if (rc)
		return rc;
	(void)getnameinfo((struct sockaddr *)&sa, salen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	if (!r->allow_remote && !is_loopback(&sa)) {
		fprintf(stderr,
			"replay: %s (%s) is not a loopback address; give --allow-remote to send there\n",
			r->to, host);
		return OFD_EXIT_USAGE;
	}
	r->fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, salen)) {
		fprintf(stderr, "replay: cannot send to %s (%s): %s\n", r->to, host, strerror(errno));
		return OFD_EXIT_FAIL;
	}
	int sndbuf = 4 << 20; /* bursts at full speed: a larger send queue means fewer waits */
	(void)setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return OFD_EXIT_OK;
}

int ofd_cmd_replay(int argc, char **argv)
{
	struct replay *r = calloc(1, sizeof(*r));
	if (!r)
		return OFD_EXIT_FAIL;
	r->fd = -1;
	int rc = OFD_EXIT_USAGE;
	if (parse_args(r, argc, argv)) {
		usage(stderr);
		goto out;
	}
	if (r->quiet)
		ofd_log_set_level(OFD_LOG_ERR);
	if ((rc = open_socket(r)))
		goto out;
	ofd_signals_install();
	if ((rc = load(r, r->loops != 1)))
		goto out;
	for (int i = 0; i < BURST_MAX; i++)
		r->msgs[i].msg_hdr = (struct msghdr){.msg_iov = &r->iov[i], .msg_iovlen = 1};
	if (r->loops == 1 && !(r->slab = malloc((size_t)BURST_MAX * DGRAM_MAX))) {
		rc = OFD_EXIT_FAIL;
		goto out;
	}
	r->t0_ns = ofd_time_mono_ns();
	/* held input: an empty one would make --loop 0 spin through empty passes */
	for (unsigned long k = 0; (r->loops == 0 || k < r->loops) && !ofd_stop && (r->slab || r->nheld); k++)
		run_pass(r);
	double wall = (double)(ofd_time_mono_ns() - r->t0_ns) / 1e9;
	if (!r->quiet)
		fprintf(stderr,
			"replay: datagrams=%" PRIu64 " bytes=%" PRIu64 " files=%u passes=%" PRIu64
			" refused=%" PRIu64 " wall_s=%.3f rate=%.0f/s\n",
			r->sent, r->bytes_sent, r->files_ok, r->passes, r->refused, wall,
			wall > 0 ? (double)r->sent / wall : 0.0);
	rc = r->open_failed || r->sent == 0 ? OFD_EXIT_FAIL : OFD_EXIT_OK;
out:
	if (r->pf)
		ofd_pcapfile_close(r->pf);
	if (r->fd >= 0)
		close(r->fd);
	free(r->slab);
	free(r->held);
	free(r->bytes);
	free(r);
	return rc;
}
