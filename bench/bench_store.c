/*
 * bench_store: the receiver's work per tracer on one core, without the network: verification
 * (ofd_tracer_verify_doc: envelope, signature, signed bytes, bounds) and the store (SQLite,
 * batches of 512 as the writer commits them), timed in the thread's CPU time, next to
 * libsodium's crypto_sign_verify_detached alone on the same messages. The ratio is the share
 * of libsodium's one-core rate the receiver keeps per core, the kernel's UDP receive aside (a
 * machine shared with other work changes wall times much more than CPU times).
 *
 *   bench_store [--count N] [--db FILE]
 *
 *   RESULT bench=store count=N line_avg=L verify_us=V store_us=S sodium_us=C ratio=X db_bytes_per_tracer=B
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "receiver/store.h"
#include "tracer/tracer.h"

static double thread_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_line(char *line, size_t cap, size_t i, const struct ofd_key *k)
{
	char body[OFD_TRACER_MAX];
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_IPFIX;
	ofd_ip_set4u(&f.src_addr, 0xc0000200u + (uint32_t)(i & 0xff));
	ofd_ip_set4u(&f.dst_addr, 0xc6336400u + (uint32_t)((i >> 8) & 0xff));
	ofd_ip_set4u(&f.sampler_address, 0xcb007101);
	f.src_port = (uint16_t)(1024 + i % 60000);
	f.dst_port = 443;
	f.proto = 6;
	f.packets = 1 + i;
	f.bytes = 1500 * (1 + i);
	f.time_flow_start_ns = (1700000000ull + i) * 1000000000ull;
	f.time_flow_end_ns = f.time_flow_start_ns + 30000000000ull;
	struct ofd_tracer_meta m = {(enum ofd_tracer_class)(i % 4), "abuse@example.net",
				    (double)time(NULL) - (double)(i % 3600)};
	int bn = ofd_tracer_body(body, sizeof(body), &f, &m, OFD_TRACER_UDP_MAX);
	return bn > 0 ? ofd_tracer_sign(line, cap, body, (size_t)bn, k) : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
					     {"db", required_argument, NULL, 'd'},
					     {NULL, 0, NULL, 0}};
	size_t count = 20000;
	const char *db = "/tmp/bench_store.db";
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			count = strtoul(optarg, NULL, 10);
		else if (c == 'd')
			db = optarg;
		else
			return 2;
	}
	uint8_t seed[32];
	memset(seed, 0x5a, sizeof(seed));
	struct ofd_key *k;
	if (count == 0 || count > 1000000 || sodium_init() < 0 || ofd_key_from_seed(&k, seed))
		return 2;
	char **lines = calloc(count, sizeof(*lines));
	size_t *lens = calloc(count, sizeof(*lens)), total = 0;
	for (size_t i = 0; i < count; i++) {
		char line[OFD_TRACER_MAX];
		int n = make_line(line, sizeof(line), i, k);
		if (n <= 0 || !(lines[i] = malloc((size_t)n)))
			return 1;
		memcpy(lines[i], line, (size_t)n);
		lens[i] = (size_t)n;
		total += (size_t)n;
	}
	char err[256];
	struct ofd_store *s;
	unlink(db);
	if (ofd_store_open(&s, db, err, sizeof(err))) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 1;
	}
	static uint8_t scratch[OFD_TRACER_MAX];
	struct ofd_tracer_msg *m = calloc(512, sizeof(*m));
	uint8_t(*bodies)[OFD_TRACER_MAX] = calloc(512, OFD_TRACER_MAX);
	struct ofd_ip from;
	ofd_ip_set4u(&from, 0xcb007107);
	double tv = 0, ts = 0;
	for (size_t i = 0; i < count; i += 512) {
		size_t b = count - i < 512 ? count - i : 512;
		double t0 = thread_s();
		for (size_t j = 0; j < b; j++) {
			if (ofd_tracer_verify_doc(lines[i + j], lens[i + j], NULL, scratch, &m[j]) !=
			    OFD_TV_OK)
				return 1;
			memcpy(bodies[j], m[j].body, m[j].body_len); /* as the writer's queue copies it */
			m[j].body = (const char *)bodies[j];
		}
		double t1 = thread_s();
		if (ofd_store_begin(s))
			return 1;
		for (size_t j = 0; j < b; j++) {
			if (ofd_store_add(s, &m[j], lines[i + j], lens[i + j], &from,
					  (uint64_t)time(NULL) * 1000000000u + i + j) != 1)
				return 1;
			ofd_tracer_msg_release(&m[j]);
		}
		if (ofd_store_commit(s))
			return 1;
		tv += t1 - t0;
		ts += thread_s() - t1;
	}
	/* libsodium alone over the same signed bytes */
	struct ofd_tracer_msg one;
	double tc = 0;
	for (size_t i = 0; i < count; i++) {
		if (ofd_tracer_verify(lines[i], lens[i], NULL, scratch, &one) != OFD_TV_OK)
			return 1;
		double t0 = thread_s();
		if (crypto_sign_verify_detached(scratch, (const uint8_t *)one.body, one.body_len, one.key) !=
		    0)
			return 1;
		tc += thread_s() - t0;
	}
	ofd_store_close(s);
	struct stat st;
	stat(db, &st);
	printf("RESULT bench=store count=%zu line_avg=%.0f verify_us=%.1f store_us=%.1f sodium_us=%.1f "
	       "ratio=%.3f "
	       "db_bytes_per_tracer=%.0f\n",
	       count, (double)total / (double)count, tv / (double)count * 1e6, ts / (double)count * 1e6,
	       tc / (double)count * 1e6, tc / (tv + ts), (double)st.st_size / (double)count);
	for (size_t i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
	free(lens);
	free(m);
	free(bodies);
	ofd_key_free(k);
	return 0;
}
