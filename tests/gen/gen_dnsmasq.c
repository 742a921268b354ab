/* dnsmasq for tests and benchmarks (gen_dnsmasq.h). */
#include "gen_dnsmasq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARGS_MAX 64

const char *gen_dnsmasq_path(void)
{
	if (access("/usr/sbin/dnsmasq", X_OK) == 0)
		return "/usr/sbin/dnsmasq";
	const char *path = getenv("PATH");
	static char buf[4096];
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len && len + sizeof("/dnsmasq") < sizeof(buf)) {
			memcpy(buf, path, len);
			memcpy(buf + len, "/dnsmasq", sizeof("/dnsmasq"));
			if (access(buf, X_OK) == 0)
				return buf;
		}
		path = end ? end + 1 : NULL;
	}
	return NULL;
}

/* A UDP port on 127.0.0.1 that was free a moment ago, or 0. */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int port = 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether a server on port answers a PTR query for 1.0.0.127.in-addr.arpa within 100 ms. */
static int answers(int fd, int port)
{
	static const uint8_t q[] = {0x4f, 0x66, 0x01, 0x00, 0,	 1,   0,   0,	0, 0,	0,   0,	  1,   '1',
				    1,	  '0',	1,    '0',  3,	 '1', '2', '7', 7, 'i', 'n', '-', 'a', 'd',
				    'd',  'r',	4,    'a',  'r', 'p', 'a', 0,	0, 12,	0,   1};
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (sendto(fd, q, sizeof(q), 0, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 100) <= 0)
		return 0;
	uint8_t buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	return n >= 12 && buf[0] == 0x4f && buf[1] == 0x66;
}

static int start_once(struct gen_dnsmasq *d, const char *bin, const char *const *args)
{
	char portarg[32];
	const char *argv[ARGS_MAX];
	int n = 0;
	d->port = free_port();
	if (!d->port)
		return -1;
	snprintf(portarg, sizeof(portarg), "--port=%d", d->port);
	argv[n++] = bin;
	argv[n++] = "--keep-in-foreground";
	argv[n++] = "--no-daemon";
	argv[n++] = "--conf-file=/dev/null";
	argv[n++] = "--pid-file=";
	argv[n++] = "--no-resolv";
	argv[n++] = "--no-hosts";
	argv[n++] = "--listen-address=127.0.0.1";
	argv[n++] = "--bind-interfaces";
	argv[n++] = "--user=root";
	argv[n++] = portarg;
	if (getenv("OFD_TEST_VERBOSE")) {
		argv[n++] = "--log-queries";
		argv[n++] = "--log-facility=-";
	}
	for (int i = 0; args && args[i]; i++) {
		if (n == ARGS_MAX - 1) {
			fprintf(stderr, "gen_dnsmasq: too many arguments\n");
			return -1;
		}
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	/* fork and exec rather than posix_spawn: the child asks to be killed when its parent dies,
	   so that a test that crashes leaves no dnsmasq behind */
	int quiet = !getenv("OFD_TEST_VERBOSE");
	pid_t parent = getpid();
	d->pid = fork();
	if (d->pid < 0) {
		fprintf(stderr, "gen_dnsmasq: fork: %s\n", strerror(errno));
		d->pid = 0;
		return -1;
	}
	if (d->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
				close(null);
			}
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	double deadline = mono_now() + 10;
	int ok = 0;
	while (!ok && mono_now() < deadline) {
		int st;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0; /* exited: the port was taken, or bad arguments */
			break;
		}
		ok = answers(fd, d->port);
	}
	close(fd);
	if (!ok && d->pid)
		gen_dnsmasq_stop(d);
	return ok ? 0 : -1;
}

int gen_dnsmasq_start(struct gen_dnsmasq *d, const char *const *args)
{
	const char *bin = gen_dnsmasq_path();
	d->pid = 0;
	d->port = 0;
	if (!bin) {
		fprintf(stderr, "gen_dnsmasq: dnsmasq is not installed (Debian package dnsmasq-base)\n");
		return -1;
	}
	for (int attempt = 0; attempt < 5; attempt++)
		if (start_once(d, bin, args) == 0)
			return 0;
	fprintf(stderr, "gen_dnsmasq: dnsmasq did not come up (run with OFD_TEST_VERBOSE=1 to see why)\n");
	return -1;
}

void gen_dnsmasq_stop(struct gen_dnsmasq *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM); /* dnsmasq exits at once on it */
	int st;
	while (waitpid(d->pid, &st, 0) < 0 && errno == EINTR)
		;
	d->pid = 0;
}
