/*
 * Input segments through a real pipeline into a collector: pcap on the shared NetFlow capture,
 * udp receiving built NetFlow v5 datagrams on 127.0.0.1, stdin reading what the json output
 * wrote (every field back as it was), malformed and over-long lines counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "format/flowfmt.h"
#include "gen_nf5.h"
#include "gen_v9ipfix.h"
#include "seghelp.h"
#include "segments/builtin.h"
#include "segments/input/udp_seg.h"

static char dir[] = "/tmp/ofd-segin-XXXXXX";
static char capture[512];

static int setup(void **st)
{
	(void)st;
	const char *data = getenv("OFD_DATA");
	snprintf(capture, sizeof(capture), "%s/netflow_4M.pcap", data ? data : "../shared/data");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	collected_reset();
	return system(cmd) == 0 ? 0 : -1;
}

/* Run until every input ended by itself, then finish. */
static void run_to_end(struct seg_pipeline *sp)
{
	assert_int_equal(ofd_pipeline_start(sp->p), 0);
	while (!ofd_pipeline_wait(sp->p, 1000))
		;
	assert_int_equal(ofd_pipeline_finish(sp->p), 0);
}

/* The counters of entry i, and the printed summary (caller frees). */
static char *summary(struct seg_pipeline *sp)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	ofd_pipeline_print(sp->p, f);
	fclose(f);
	return s;
}

static void test_pcap(void **state)
{
	(void)state;
	if (access(capture, R_OK) != 0)
		skip();
	char yaml[2048];
	snprintf(yaml, sizeof(yaml), "- segment: pcap\n  config: {filename: [%s]}\n- segment: t_collect\n",
		 capture);
	const struct ofd_segment_type *const types[] = {&ofd_seg_pcap, NULL};
	struct seg_pipeline sp;
	collected_reset();
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	run_to_end(&sp);
	assert_int_equal(collected.n, 78684);
	uint64_t packets = 0, bytes = 0;
	for (size_t i = 0; i < collected.n; i++) {
		packets += collected.v[i].packets;
		bytes += collected.v[i].bytes;
		assert_int_equal(collected.v[i].type, OFD_FT_NETFLOW_V5);
	}
	assert_int_equal(packets, 2862857);
	assert_int_equal(bytes, 2048144412ull);
	struct ofd_pipeline_totals t;
	ofd_pipeline_totals(sp.p, &t);
	assert_int_equal(t.in, 78684);
	char *s = summary(&sp);
	assert_non_null(strstr(s, "capture_truncated")); /* the file is cut in its last frame */
	free(s);
	seg_pipeline_close(&sp);

	/* a list of two files: twice the records; a missing file refuses the start */
	snprintf(yaml, sizeof(yaml),
		 "- segment: pcap\n  config: {filename: [%s, %s]}\n- segment: t_collect\n", capture, capture);
	collected_reset();
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	run_to_end(&sp);
	assert_int_equal(collected.n, 2 * 78684);
	seg_pipeline_close(&sp);
	snprintf(yaml, sizeof(yaml),
		 "- segment: pcap\n  config: {filename: %s/none.pcap}\n- segment: t_collect\n", dir);
	assert_int_not_equal(seg_pipeline_open(&sp, yaml, types), 0);
	seg_pipeline_close(&sp);
}

/* ---- udp: the test learns the bound port through a wrapper of the segment's init ---- */

static void *udp_state;

static int udp_init_wrap(struct ofd_segment *seg, void *state)
{
	udp_state = state;
	return ofd_seg_udp.init(seg, state);
}

/* The udp segment with its state remembered in udp_state (for its port), as a type list. */
static const struct ofd_segment_type *const *udp_types(void)
{
	static struct ofd_segment_type udp;
	static const struct ofd_segment_type *types[] = {&udp, NULL};
	udp = ofd_seg_udp;
	udp.init = udp_init_wrap;
	return types;
}

/* One datagram to 127.0.0.1:port, from fd (-1: a fresh socket, closed after). */
static void send_to(int fd, uint16_t port, const void *p, size_t len)
{
	int own = fd < 0 ? socket(AF_INET, SOCK_DGRAM, 0) : -1;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd < 0 ? own : fd, p, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	if (own >= 0)
		close(own);
}

static void send_nf5(uint16_t port, uint32_t seq, unsigned n)
{
	struct gen_buf g = {0};
	struct gen_nf5_hdr h = {.uptime_ms = 100000, .unix_secs = 1700000000, .sequence = seq};
	struct gen_nf5_rec r[30];
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < n; i++) {
		r[i].src = 0xc0000201;
		r[i].dst = 0xc6336400 + i;
		r[i].packets = 1;
		r[i].bytes = 100 + seq + i;
		r[i].first = 90000;
		r[i].last = 99000;
		r[i].src_port = 123;
		r[i].dst_port = (uint16_t)(1000 + i);
		r[i].proto = 17;
	}
	gen_nf5(&g, &h, r, n);
	send_to(-1, port, g.p, g.len);
	gen_free(&g);
}

static void test_udp(void **state)
{
	(void)state;
	const struct ofd_segment_type *const *types = udp_types();
	struct seg_pipeline sp;
	collected_reset();
	assert_int_equal(seg_pipeline_open(&sp,
					   "- segment: udp\n  config: {listen: 'netflow://127.0.0.1:0'}\n"
					   "- segment: t_collect\n",
					   types),
			 0);
	uint16_t port = ofd_seg_udp_port(udp_state, 0);
	assert_true(port != 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	send_nf5(port, 0, 30);
	collected_wait(30); /* handed on while the socket is quiet, not held for a full batch */
	send_nf5(port, 30, 5);
	send_nf5(port, 35, 7);
	collected_wait(42);
	ofd_pipeline_stop(sp.p);
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	assert_int_equal(collected.n, 42);
	uint64_t bytes = 0;
	for (size_t i = 0; i < collected.n; i++) {
		const struct ofd_flow *f = &collected.v[i];
		assert_int_equal(f->type, OFD_FT_NETFLOW_V5);
		assert_int_equal(f->src_port, 123);
		assert_int_equal(f->proto, 17);
		assert_int_equal(ofd_ip_v4(&f->src_addr), 0xc0000201);
		assert_int_equal(ofd_ip_v4(&f->sampler_address), 0x7f000001);
		bytes += f->bytes;
	}
	/* datagram seq s, record i: 100 + s + i */
	assert_int_equal(bytes, (30 * 100 + 435) + (5 * 130 + 10) + (7 * 135 + 21));
	seg_pipeline_close(&sp);

	/* a port that is taken refuses the start */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	char yaml[256];
	snprintf(yaml, sizeof(yaml),
		 "- segment: udp\n  config: {listen: 'udp://127.0.0.1:%u'}\n- segment: t_collect\n",
		 ntohs(a.sin_port));
	assert_int_not_equal(seg_pipeline_open(&sp, yaml, types), 0);
	seg_pipeline_close(&sp);
	close(fd);
}

/* Three workers on one port: every record arrives once, and the input's decoder counters are
   the sum over the workers (datagrams spread by their v5 sequence numbers). */
static void test_udp_workers(void **state)
{
	(void)state;
	const struct ofd_segment_type *const *types = udp_types();
	struct seg_pipeline sp;
	collected_reset();
	assert_int_equal(
	    seg_pipeline_open(&sp,
			      "- segment: udp\n  config: {listen: 'udp://127.0.0.1:0', workers: 3}\n"
			      "- segment: t_collect\n",
			      types),
	    0);
	uint16_t port = ofd_seg_udp_port(udp_state, 0);
	assert_int_equal(ofd_pipeline_start(sp.p), 0);
	uint64_t want_bytes = 0;
	for (unsigned d = 0; d < 40; d++) {
		send_nf5(port, d * 30, 30);
		for (unsigned i = 0; i < 30; i++)
			want_bytes += 100 + d * 30 + i;
	}
	/* malformed: v5 headers announcing 30 records and carrying none, spread over the workers */
	for (uint32_t i = 0; i < 12; i++) {
		uint8_t h[40] = {0, 5, 0, 30}; /* 32 bytes at least: spread, not a runt */
		uint32_t seq = htonl(i * 30);
		memcpy(h + 16, &seq, 4);
		send_to(-1, port, h, sizeof(h));
	}
	collected_wait(1200);
	ofd_pipeline_stop(sp.p);
	assert_int_equal(ofd_pipeline_finish(sp.p), 0);
	assert_int_equal(collected.n, 1200);
	uint64_t bytes = 0;
	for (size_t i = 0; i < collected.n; i++)
		bytes += collected.v[i].bytes;
	assert_int_equal(bytes, want_bytes);
	assert_int_equal(seg_metric(sp.p, "datagrams_total", NULL), 52);
	assert_int_equal(seg_metric(sp.p, "records_total", NULL), 1200);
	assert_int_equal(seg_metric(sp.p, "records_total", "netflow_v5"), 1200);
	/* the drops of one exporter, counted by several workers, are one series with their sum */
	assert_int_equal(seg_metric(sp.p, "drops_total", NULL), 12);
	size_t series;
	assert_int_equal(seg_metric_n(sp.p, "drops_by_exporter_total", "127.0.0.1", &series), 12);
	assert_int_equal(series, 1);
	assert_int_equal(seg_metric_n(sp.p, "drops_by_exporter_total", NULL, &series), 12);
	assert_int_equal(series, 2); /* and "other" */
	assert_int_equal(seg_metric(sp.p, "drops_by_exporter_total", "other"), 0);
	seg_pipeline_close(&sp);
}

/* IPFIX from one exporter socket: with templates (tmpl = 1) or data only; n records. */
static void send_ipfix(int fd, uint16_t port, int tmpl, uint32_t seq, unsigned n)
{
	static const struct gv_field f[] = {{8, 4, 0}, {12, 4, 0}, {2, 8, 0}, {1, 8, 0}, {4, 1, 0}};
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, 1700000000, seq, 7);
	if (tmpl) {
		gv_set_begin(&m, 2);
		gv_template(&m, 256, f, 5);
	}
	gv_set_begin(&m, 256);
	for (unsigned i = 0; i < n; i++)
		gv_record(&m, f, 5, (const uint64_t[]){0xc0000201, 0xc6336400 + i, 10 + i, 1000 + i, 17});
	size_t len = gv_end(&m);
	send_to(fd, port, m.g.p, len);
	gv_free(&m);
}

/*
 * Templates survive a restart through state_file: the first pipeline learns them and saves at
 * its end; the second (two workers, each loading the file) decodes data-only datagrams from
 * the same exporter at once. Without the file the same data is dropped as unknown-template.
 */
static void test_udp_state(void **state)
{
	(void)state;
	const struct ofd_segment_type *const *types = udp_types();
	struct seg_pipeline sp;
	char yaml[512];
	int fd = socket(AF_INET, SOCK_DGRAM, 0); /* the exporter: one source port throughout */
	struct sockaddr_in self = {.sin_family = AF_INET};
	self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&self, sizeof(self)), 0);
	for (int run = 0; run < 3; run++) {
		collected_reset();
		snprintf(yaml, sizeof(yaml),
			 "- segment: udp\n  config: {listen: 'udp://127.0.0.1:0', workers: %d, state_file: "
			 "'%s/%s', state_interval: 0}\n- segment: t_collect\n",
			 run + 1, dir, run == 2 ? "other.state" : "templates.state");
		assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
		uint16_t port = ofd_seg_udp_port(udp_state, 0);
		assert_int_equal(ofd_pipeline_start(sp.p), 0);
		if (run == 0) {
			send_ipfix(fd, port, 1, 1, 2);
			collected_wait(2);
		} else {
			send_ipfix(fd, port, 0, 10, 3);
			if (run == 1)
				collected_wait(3);
		}
		if (run == 2) { /* nothing to wait for: poll the counters until the drop shows */
			for (int i = 0; i < 5000; i++) { /* at most 5 s */
				if (seg_metric(sp.p, "drops_total", "unknown_template") > 0)
					break;
				sched_yield();
				usleep(1000);
			}
		}
		ofd_pipeline_stop(sp.p);
		assert_int_equal(ofd_pipeline_finish(sp.p), 0);
		if (run == 0) {
			assert_int_equal(collected.n, 2);
			assert_int_equal(seg_metric(sp.p, "templates", "template"), 1);
		} else if (run == 1) {
			assert_int_equal(collected.n, 3);
			assert_int_equal(ofd_ip_v4(&collected.v[2].dst_addr) & 0xff, 2);
			assert_int_equal(
			    collected.v[0].packets + collected.v[1].packets + collected.v[2].packets, 33);
			assert_int_equal(seg_metric(sp.p, "drops_total", "unknown_template"), 0);
			/* both workers loaded it, and each holds it */
			assert_int_equal(seg_metric(sp.p, "templates", "template"), 2);
		} else {
			assert_int_equal(collected.n, 0);
			assert_int_equal(seg_metric(sp.p, "drops_total", "unknown_template"), 1);
		}
		seg_pipeline_close(&sp);
	}
	close(fd);
}

/* ---- stdin: what the json output wrote comes back field for field ---- */

static void assert_same(const struct ofd_flow *a, const struct ofd_flow *b)
{
	struct ofd_flow x = *a, y = *b;
	const char **xs[] = {&x.in_if_name, &x.in_if_desc, &x.out_if_name, &x.out_if_desc};
	const char **ys[] = {&y.in_if_name, &y.in_if_desc, &y.out_if_name, &y.out_if_desc};
	for (int i = 0; i < 4; i++) {
		if (*xs[i] || *ys[i]) {
			assert_non_null(*xs[i]);
			assert_non_null(*ys[i]);
			assert_string_equal(*xs[i], *ys[i]);
		}
		*xs[i] = *ys[i] = NULL;
	}
	/* base fields are always written, so they come back present; enriched ones as they were */
	struct ofd_fieldset want = ofd_fieldset_all(), xe = x.present;
	ofd_fieldset_andnot(&want, &ofd_fmt_enriched);
	ofd_fieldset_and(&xe, &ofd_fmt_enriched);
	ofd_fieldset_or(&want, &xe);
	assert_true(ofd_fieldset_eq(&y.present, &want));
	memset(&x.present, 0, sizeof(x.present));
	memset(&y.present, 0, sizeof(y.present));
	assert_memory_equal(&x, &y, sizeof(x));
}

static void test_stdin_round_trip(void **state)
{
	(void)state;
	if (access(capture, R_OK) != 0)
		skip();
	/* the capture's records, with enriched fields on some */
	char yaml[2048];
	snprintf(yaml, sizeof(yaml), "- segment: pcap\n  config: {filename: %s}\n- segment: t_collect\n",
		 capture);
	const struct ofd_segment_type *const types[] = {&ofd_seg_pcap, &ofd_seg_stdin, NULL};
	struct seg_pipeline sp;
	collected_reset();
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	run_to_end(&sp);
	seg_pipeline_close(&sp);
	size_t n = collected.n;
	assert_int_equal(n, 78684);
	struct ofd_flow *orig = collected.v;
	collected.v = NULL;
	collected.n = collected.cap = 0;
	collected_reset();
	for (size_t i = 0; i < n; i += 97) {
		orig[i].in_if_desc = i % 2 ? "uplink \"1\"" : "ü-link";
		orig[i].src_cid = (uint32_t)i;
		orig[i].as_path_len = 2;
		orig[i].as_path[0] = 64500;
		orig[i].as_path[1] = (uint32_t)i;
		memcpy(orig[i].dst_country, "NL", 2);
		orig[i].rpki = OFD_RPKI_VALID;
		orig[i].present.w[0] |= OFD_W0(OFD_F_IN_IF_DESC) | OFD_W0(OFD_F_SRC_CID) |
					OFD_W0(OFD_F_AS_PATH) | OFD_W0(OFD_F_DST_COUNTRY) |
					OFD_W0(OFD_F_RPKI);
	}
	/* written by the json output, in batches */
	char file[256], cfg[300];
	snprintf(file, sizeof(file), "%s/flows.json", dir);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", file);
	struct seg_fixture fx;
	seg_open(&fx, &ofd_seg_json, cfg);
	assert_int_equal(fx.init_rc, 0);
	struct ofd_batch *b = batch_new(0);
	for (size_t i = 0; i < n; i++) {
		if (b->n == OFD_BATCH_CAP) {
			seg_run(&fx, b);
			ofd_batch_reset(b);
		}
		*ofd_batch_add(b) = orig[i];
	}
	seg_run(&fx, b);
	seg_close(&fx);
	free(b);
	/* read back */
	snprintf(yaml, sizeof(yaml), "- segment: stdin\n  config: {filename: %s}\n- segment: t_collect\n",
		 file);
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	run_to_end(&sp);
	assert_int_equal(collected.n, n);
	for (size_t i = 0; i < n; i++)
		assert_same(&orig[i], &collected.v[i]);
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(sp.p, 0, &c);
	assert_int_equal(c.own[0], 0);
	seg_pipeline_close(&sp);
	free(orig);
}

static void test_stdin_bad_lines(void **state)
{
	(void)state;
	char file[256], yaml[512];
	snprintf(file, sizeof(file), "%s/bad.json", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("{\"bytes\":1}\n", f);
	fputs("not json\n", f);
	fputs("\n   \n", f);
	fputs("{\"bytes\":-2}\n", f);
	fputs("{\"bytes\":3,\"x\":\"", f);
	for (int i = 0; i < 70000; i++)
		fputc('a', f);
	fputs("\"}\n", f);
	fputs("{\"bytes\":4,\"proto\":\"TCP\"}\n", f);
	fputs("{\"bytes\":5}", f); /* no newline at the end */
	fclose(f);
	snprintf(yaml, sizeof(yaml), "- segment: stdin\n  config: {filename: %s}\n- segment: t_collect\n",
		 file);
	const struct ofd_segment_type *const types[] = {&ofd_seg_stdin, NULL};
	struct seg_pipeline sp;
	collected_reset();
	assert_int_equal(seg_pipeline_open(&sp, yaml, types), 0);
	run_to_end(&sp);
	assert_int_equal(collected.n, 3);
	assert_int_equal(collected.v[0].bytes, 1);
	assert_int_equal(collected.v[1].bytes, 4);
	assert_int_equal(collected.v[1].proto, 6);
	assert_int_equal(collected.v[2].bytes, 5);
	struct ofd_seg_counters c;
	ofd_pipeline_entry_counters(sp.p, 0, &c);
	assert_int_equal(c.own[0], 2); /* malformed */
	assert_int_equal(c.own[1], 1); /* too long */
	seg_pipeline_close(&sp);
	/* a missing file refuses the start */
	snprintf(yaml, sizeof(yaml),
		 "- segment: stdin\n  config: {filename: %s/none}\n- segment: t_collect\n", dir);
	assert_int_not_equal(seg_pipeline_open(&sp, yaml, types), 0);
	seg_pipeline_close(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pcap),
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_udp_workers),
	    cmocka_unit_test(test_udp_state),
	    cmocka_unit_test(test_stdin_round_trip),
	    cmocka_unit_test(test_stdin_bad_lines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
