/*
 * generator: synthetic flows for tests and benchmarks (flowpipeline has no such segment; the
 * keys are ours). `count` flows (0: until stopped) at `rate` flows per second (0: as fast as
 * the pipeline takes them), from addresses drawn in `src` to addresses drawn in `dst`, TCP, UDP
 * and ICMP in the proportions `tcp`:`udp`:`icmp`, 1..`max_packets` packets of 40..1500 bytes.
 *
 *   - segment: generator
 *     config: {count: 100000, rate: 5000, seed: 7, src: 10.0.0.0/8, dst: 2001:db8::/64}
 *
 * Deterministic: the same seed and `start_time` give the same flows, field for field. Flow i
 * ends at start_time + i/rate (i ms when rate is 0) and lasted up to 10 s; start_time 0 is the
 * wall clock at start. The PRNG is splitmix64, our own (not the C library's).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net/prefix.h"
#include "ofd/segment.h"
#include "ofd/time.h"

#define NS 1000000000ull

struct generator_state {
	/* config */
	uint64_t count, rate, seed, max_packets, start_time;
	uint64_t w_tcp, w_udp, w_icmp;
	char *src, *dst;
	/* from the config */
	struct ofd_prefix src_p, dst_p;
	/* read by collect() */
	_Atomic uint64_t bytes;
};

enum { C_RECORDS };
static const char *const generator_counters[] = {"records", NULL};

enum { M_BYTES };
static const struct ofd_metric generator_metrics[] = {
    [M_BYTES] = {"generator_bytes_total", OFD_METRIC_COUNTER, 0, "Bytes of the flows generated.", {NULL}},
    {.name = NULL},
};

static int generator_check(const void *state, char *err, size_t errlen)
{
	const struct generator_state *s = state;
	struct ofd_prefix p, q;
	if (ofd_prefix_parse(&p, s->src) || ofd_prefix_parse(&q, s->dst)) {
		snprintf(err, errlen, "src and dst are prefixes such as 10.0.0.0/8 or 2001:db8::/64");
		return OFD_ECONFIG;
	}
	if (p.addr.family != q.addr.family) {
		snprintf(err, errlen, "src and dst are of one family (both IPv4 or both IPv6)");
		return OFD_ECONFIG;
	}
	if (s->w_tcp + s->w_udp + s->w_icmp == 0) {
		snprintf(err, errlen, "tcp, udp and icmp are all 0: no protocol to generate");
		return OFD_ECONFIG;
	}
	return 0;
}

static int generator_init(struct ofd_segment *seg, void *state)
{
	struct generator_state *s = state;
	(void)seg;
	if (ofd_prefix_parse(&s->src_p, s->src) || ofd_prefix_parse(&s->dst_p, s->dst))
		return OFD_ECONFIG; /* check() said so already */
	return 0;
}

static uint64_t gen_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* An address drawn uniformly inside p. */
static void gen_addr(struct ofd_ip *ip, const struct ofd_prefix *p, uint64_t *x)
{
	uint64_t r[2] = {gen_next(x), gen_next(x)};
	uint8_t rb[16];
	memcpy(rb, r, sizeof(rb));
	*ip = p->addr;
	for (unsigned k = 0; k < 16; k++) {
		unsigned first = k * 8; /* bits before this byte */
		uint8_t host = p->len <= first	     ? 0xff
			       : p->len >= first + 8 ? 0
						     : (uint8_t)(0xff >> (p->len - first));
		ip->b[k] = (uint8_t)((ip->b[k] & ~host) | (rb[k] & host));
	}
}

static void gen_flow(struct generator_state *s, struct ofd_flow *f, uint64_t *x, uint64_t end_ns)
{
	static const uint16_t tcp_ports[] = {80, 443, 22, 25, 993, 8080};
	static const uint16_t udp_ports[] = {53, 123, 443, 500, 1194, 4789};
	gen_addr(&f->src_addr, &s->src_p, x);
	gen_addr(&f->dst_addr, &s->dst_p, x);
	f->etype = f->src_addr.family == OFD_AF_INET ? 0x0800 : 0x86dd;
	uint64_t wsum = s->w_tcp + s->w_udp + s->w_icmp, pick = gen_next(x) % wsum, r = gen_next(x);
	if (pick < s->w_tcp) {
		f->proto = 6;
		f->src_port = (uint16_t)(32768 + r % 28232);
		f->dst_port = tcp_ports[(r >> 16) % 6];
		f->tcp_flags = 0x1b; /* FIN PSH ACK SYN */
	} else if (pick < s->w_tcp + s->w_udp) {
		f->proto = 17;
		f->src_port = (uint16_t)(32768 + r % 28232);
		f->dst_port = udp_ports[(r >> 16) % 6];
	} else {
		f->proto = f->src_addr.family == OFD_AF_INET ? 1 : 58;
		f->icmp_type = f->proto == 1 ? 8 : 128;	      /* echo request */
		f->dst_port = (uint16_t)(f->icmp_type * 256); /* as NetFlow v5 carries it */
	}
	f->packets = 1 + gen_next(x) % s->max_packets;
	f->bytes = f->packets * (40 + gen_next(x) % 1461);
	f->time_flow_end_ns = end_ns;
	f->time_flow_start_ns = end_ns - gen_next(x) % (10 * NS);
	f->time_received_ns = end_ns;
	f->sampling_rate = 1;
	static const unsigned fields[] = {OFD_F_SRC_ADDR,	 OFD_F_DST_ADDR,      OFD_F_ETYPE,
					  OFD_F_PROTO,		 OFD_F_SRC_PORT,      OFD_F_DST_PORT,
					  OFD_F_TCP_FLAGS,	 OFD_F_PACKETS,	      OFD_F_BYTES,
					  OFD_F_TIME_FLOW_START, OFD_F_TIME_FLOW_END, OFD_F_TIME_RECEIVED,
					  OFD_F_SAMPLING_RATE,	 OFD_F_ICMP_TYPE,     OFD_F_ICMP_CODE};
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		ofd_flow_set(f, fields[k]);
}

/* Wait until mono deadline (in slices, so that a stop is seen); 0, or 1 when stopping. */
static int gen_wait(struct ofd_segment *seg, uint64_t deadline)
{
	for (;;) {
		if (ofd_segment_stopping(seg))
			return 1;
		uint64_t now = ofd_time_mono_ns();
		if (now >= deadline)
			return 0;
		uint64_t d = deadline - now < 50000000 ? deadline - now : 50000000;
		struct timespec ts = ofd_time_ts(d);
		nanosleep(&ts, NULL);
	}
}

static int generator_start(struct ofd_segment *seg, void *state)
{
	struct generator_state *s = state;
	uint64_t x = s->seed, n = 0, bytes = 0;
	uint64_t base = s->start_time ? s->start_time * NS : ofd_time_now_ns();
	uint64_t step = s->rate ? NS / s->rate : 1000000;
	uint64_t mono0 = ofd_time_mono_ns();
	for (uint64_t i = 0; (s->count == 0 || i < s->count) && !ofd_segment_stopping(seg); i++) {
		if (s->rate && i % 64 == 0) { /* pace in steps of 64 flows */
			uint64_t due =
			    mono0 + i / s->rate * NS + i % s->rate * NS / s->rate; /* no i * NS overflow */
			if (due > ofd_time_mono_ns() + 1000000) {
				ofd_input_flush(seg);
				if (gen_wait(seg, due))
					break;
			}
		}
		struct ofd_flow *f = ofd_batch_add(ofd_input_batch(seg));
		gen_flow(s, f, &x, base + i * step);
		bytes += f->bytes;
		if (++n == OFD_BATCH_CAP) {
			ofd_segment_count(seg, C_RECORDS, n);
			atomic_fetch_add_explicit(&s->bytes, bytes, memory_order_relaxed);
			n = bytes = 0;
		}
	}
	ofd_segment_count(seg, C_RECORDS, n);
	atomic_fetch_add_explicit(&s->bytes, bytes, memory_order_relaxed);
	ofd_input_flush(seg);
	return 0;
}

static void generator_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct generator_state *s = state;
	(void)seg;
	ofd_metric_put(sink, &generator_metrics[M_BYTES], NULL,
		       atomic_load_explicit(&s->bytes, memory_order_relaxed));
}

static const struct ofd_cfg_key generator_keys[] = {
    OFD_KEY("count", OFD_CFG_UINT, struct generator_state, count, .def = "1000", .max = 1e15,
	    .help = "flows to generate before the input ends (0: until stopped)"),
    OFD_KEY("rate", OFD_CFG_UINT, struct generator_state, rate, .def = "0", .max = 1e9,
	    .help = "flows per second (0: as fast as the pipeline takes them)"),
    OFD_KEY("seed", OFD_CFG_UINT, struct generator_state, seed, .def = "1",
	    .help = "the PRNG seed: the same seed and start_time give the same flows"),
    OFD_KEY("start_time", OFD_CFG_UINT, struct generator_state, start_time, .def = "0", .max = 4e9,
	    .help = "unix seconds the first flow ends at (0: the wall clock at start)"),
    OFD_KEY("src", OFD_CFG_STRING, struct generator_state, src, .def = "10.0.0.0/8",
	    .help = "source addresses are drawn from this prefix"),
    OFD_KEY("dst", OFD_CFG_STRING, struct generator_state, dst, .def = "192.0.2.0/24",
	    .help = "destination addresses are drawn from this prefix"),
    OFD_KEY("tcp", OFD_CFG_UINT, struct generator_state, w_tcp, .def = "60", .max = 1e6,
	    .help = "weight of TCP flows in the mix"),
    OFD_KEY("udp", OFD_CFG_UINT, struct generator_state, w_udp, .def = "35", .max = 1e6,
	    .help = "weight of UDP flows in the mix"),
    OFD_KEY("icmp", OFD_CFG_UINT, struct generator_state, w_icmp, .def = "5", .max = 1e6,
	    .help = "weight of ICMP (ICMPv6) echo flows in the mix"),
    OFD_KEY("max_packets", OFD_CFG_UINT, struct generator_state, max_packets, .def = "100", .min = 1,
	    .max = 1e9, .help = "a flow has 1 to this many packets, each of 40 to 1500 bytes"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_generator = {
    OFD_SEGMENT_VERSION,
    .name = "generator",
    .kind = OFD_SEG_INPUT,
    .summary = "generate synthetic flows (seeded, deterministic) for tests and benchmarks",
    .state_size = sizeof(struct generator_state),
    .config = generator_keys,
    .counters = generator_counters,
    .metrics = generator_metrics,
    .collect = generator_collect,
    .check = generator_check,
    .init = generator_init,
    .start = generator_start,
};
