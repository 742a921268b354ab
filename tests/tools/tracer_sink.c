/*
 * tracer_sink: a stand-in for a tracer receiver in end-to-end tests. Listens on 127.0.0.1 for
 * UDP datagrams and HTTP POSTs to /.well-known/overflowd and appends each payload as one line
 * to OUT (UDP lines to OUT.udp, HTTP lines to OUT.http); writes "PORT_UDP PORT_HTTP" to OUT.ports
 * once listening (ports chosen by the kernel). Runs until SIGTERM/SIGINT.
 *
 *   tracer_sink OUT
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_MAX 65536

static volatile sig_atomic_t stop;
static FILE *http_out;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct req {
	char buf[BODY_MAX];
	size_t len;
	int bad;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **ctx)
{
	(void)cls, (void)version;
	struct req *r = *ctx;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->bad = strcmp(method, "POST") != 0 || strcmp(url, "/.well-known/overflowd") != 0;
		*ctx = r;
		return MHD_YES;
	}
	if (*size) {
		size_t n = *size < BODY_MAX - r->len ? *size : BODY_MAX - r->len;
		memcpy(r->buf + r->len, data, n);
		r->len += n;
		*size = 0;
		return MHD_YES;
	}
	unsigned status = r->bad ? MHD_HTTP_NOT_FOUND : MHD_HTTP_ACCEPTED;
	if (!r->bad) {
		fwrite(r->buf, 1, r->len, http_out);
		fputc('\n', http_out);
		fflush(http_out);
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode tc)
{
	(void)cls, (void)c, (void)tc;
	free(*ctx);
	*ctx = NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tracer_sink OUT\n");
		return 2;
	}
	char path[4096];
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(path, sizeof(path), "%s.udp", argv[1]);
	FILE *udp_out = fopen(path, "w");
	snprintf(path, sizeof(path), "%s.http", argv[1]);
	http_out = fopen(path, "w");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int rcvbuf = 8 << 20; /* the sender bursts: a loopback test must not lose datagrams here */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!udp_out || !http_out || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		perror("tracer_sink");
		return 1;
	}
	struct sockaddr_in ha = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request,
						NULL, MHD_OPTION_SOCK_ADDR, &ha, MHD_OPTION_NOTIFY_COMPLETED,
						on_done, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *di = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!di) {
		fprintf(stderr, "tracer_sink: cannot start the HTTP server\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s.ports", argv[1]);
	FILE *pf = fopen(path, "w");
	if (!pf)
		return 1;
	fprintf(pf, "%u %u\n", ntohs(sa.sin_port), (unsigned)di->port);
	fclose(pf);
	static char buf[BODY_MAX];
	while (!stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, udp_out);
			fputc('\n', udp_out);
			fflush(udp_out);
		}
	}
	MHD_stop_daemon(d);
	fclose(udp_out);
	fclose(http_out);
	close(fd);
	return 0;
}
