/*
 * kafka_mock: librdkafka's mock cluster as a stand-alone Kafka for tests and benchmarks. The
 * mock brokers listen on 127.0.0.1 (ports chosen by the kernel) and speak the Kafka protocol
 * over TCP, so overflowd, kcat and test programs talk to it as to a real cluster.
 *
 *   kafka_mock [-b BROKERS] [-p] [NAME:PARTITIONS...]
 *
 * Creates B brokers (-b, default 1), then each topic NAME with PARTITIONS partitions
 * (replication factor 1), prints the bootstrap address ("127.0.0.1:PORT,...") as one line on
 * stdout and flushes it, and runs until SIGTERM/SIGINT or end of file on stdin (-p: ignore
 * stdin, for when it is /dev/null). Topics not created here are auto-created by the mock on
 * first use (4 partitions) unless a client turns that off (allow.auto.create.topics=false on a
 * consumer; a producer always asks). Exit 0, or 1 with a reason on stderr.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: kafka_mock [-b BROKERS] [-p] [NAME:PARTITIONS...]\n");
	return 1;
}

static int parse_uint(const char *s, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long brokers = 1;
	int ignore_stdin = 0, opt;
	while ((opt = getopt(argc, argv, "b:p")) != -1) {
		if (opt == 'b' && parse_uint(optarg, 16, &brokers) == 0)
			continue;
		if (opt == 'p') {
			ignore_stdin = 1;
			continue;
		}
		return usage();
	}

	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	/* the handle only hosts the cluster; keep its own logging quiet */
	if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
	if (!mc) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		char name[256];
		const char *colon = strrchr(argv[i], ':');
		long parts;
		size_t nlen = colon ? (size_t)(colon - argv[i]) : 0;
		if (!colon || !nlen || nlen >= sizeof(name) || parse_uint(colon + 1, 10000, &parts) != 0) {
			fprintf(stderr, "kafka_mock: bad topic \"%s\": NAME:PARTITIONS expected\n", argv[i]);
			rc = 1;
			break;
		}
		memcpy(name, argv[i], nlen);
		name[nlen] = '\0';
		rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, (int)parts, 1);
		if (e) {
			fprintf(stderr, "kafka_mock: topic %s: %s\n", name, rd_kafka_err2str(e));
			rc = 1;
			break;
		}
	}
	if (rc == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
		fflush(stdout);
		while (!stop) {
			struct pollfd p = {.fd = ignore_stdin ? -1 : 0, .events = POLLIN};
			int n = poll(&p, 1, 200);
			if (n > 0) {
				char buf[256];
				ssize_t r = read(0, buf, sizeof(buf));
				if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
					break; /* end of file: the parent is gone */
			}
		}
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return rc;
}
