/*
 * The netflow9 output on 127.0.0.1 over UDP, its datagrams read back and decoded by our decoder:
 * every record arrives with its times, the header counts the records (templates and options
 * included) and numbers the messages, the templates lead every Nth message; a replayed record
 * (2007) before the uptime origin moves the origin (clock_rebases) and still decodes exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "gen_flow.h"
#include "gen_v9ipfix.h"
#include "ofd/rd.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_netflow9;

static struct gv_sink sink;

static void test_udp(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{targets: [\"127.0.0.1:%u\"], template_refresh_packets: 4, source_id: 7}",
		 (unsigned)ntohs(a.sin_port));
	struct ofd_harness *h = st_open(&ofd_seg_netflow9, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 400);
	uint64_t old_ms = 1185554955571ull; /* 2007-07-27: a replayed capture */
	for (unsigned i = 0; i < 400; i++) {
		gen_sample_flow(&b->flows[i]);
		b->flows[i].src_port = (uint16_t)i;
		b->flows[i].time_received_ns = (old_ms + 60000) * 1000000ull;
		b->flows[i].time_flow_start_ns = (old_ms + i) * 1000000ull + 77; /* below a ms: cut */
		b->flows[i].time_flow_end_ns = (old_ms + 1000 + i) * 1000000ull;
	}
	ofd_harness_process(h, b);
	ofd_harness_tick(h, 0);
	struct ofd_decoder *d = gv_decoder_new(&sink);
	uint8_t m[2048];
	unsigned msgs = 0, recs = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			break;
		ssize_t n = recv(fd, m, sizeof(m), 0);
		assert_true(n > 20 && n <= 1400);
		assert_int_equal(ofd_be16(m), 9);
		assert_int_equal(ofd_be32(m + 8), (old_ms + 60999) / 1000); /* the records' time, up to s */
		assert_int_equal(ofd_be32(m + 12), msgs);		    /* messages before */
		assert_int_equal(ofd_be32(m + 16), 7);
		sink.n = 0;
		int k = gv_decode(d, m, (size_t)n, 0x7f000001u, 2055, 1, &sink);
		assert_true(k > 0);
		/* count: the data records, and 4 templates, 1 options template, 1 options record */
		assert_int_equal(ofd_be16(m + 2), (unsigned)k + (msgs % 4 == 0 ? 6 : 0));
		for (unsigned i = 0; i < (unsigned)k; i++) {
			const struct ofd_flow *f = &sink.got[i];
			assert_int_equal(f->src_port, recs + i);
			assert_int_equal(f->time_flow_start_ns, (old_ms + recs + i) * 1000000ull);
			assert_int_equal(f->time_flow_end_ns, (old_ms + 1000 + recs + i) * 1000000ull);
			assert_int_equal(f->type, OFD_FT_NETFLOW_V9);
		}
		recs += (unsigned)k;
		msgs++;
	}
	assert_int_equal(recs, 400);
	assert_int_equal(ofd_harness_counter(h, "messages"), msgs);
	assert_int_equal(ofd_harness_counter(h, "clock_rebases"), 1);
	assert_int_equal(ofd_harness_counter(h, "send_errors"), 0);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	ofd_decoder_free(d);
	ofd_harness_free(h);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
