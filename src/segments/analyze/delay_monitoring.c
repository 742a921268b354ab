/*
 * delay_monitoring: how old the flows are when they pass, as flowpipeline's delay_monitoring
 * segment measures it: on every samplingRate-th live record (the first, then every
 * samplingRate-th after it) the total delay (now - time_flow_end) and the processing delay
 * (now - time_received) go into exponentially weighted moving averages,
 * avg = alpha * delay + (1 - alpha) * avg, seeded with the first sample. Records pass unchanged.
 *
 *   - segment: delay_monitoring
 *     config: {samplingRate: 1000, alpha: 0.2}
 *
 * The averages are gauges on overflowd's metrics server (`--metrics ADDR` or the config's
 * `metrics:`) in milliseconds: overflowd_delay_monitoring_total_delay_ms and
 * overflowd_delay_monitoring_processing_delay_ms, with the samples taken as a counter.
 * Differences from flowpipeline, on purpose: its own HTTP server (`endpoint`, ":8080" with
 * total_delay and processing_delay in whole seconds on /delay) is not started: the key is
 * accepted with a warning, the values are on the pipeline's /metrics; its total average is
 * updated from the processing average (a defect), here each from its own; a sampled record
 * without the time is not taken as a delay of 56 years but counted (missing_time) and logged,
 * rate-limited, with the hint to use sync_timestamps; a time in the future counts as 0.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ofd/segment.h"
#include "ofd/time.h"

struct delay_state {
	/* config */
	char *endpoint;
	uint64_t rate;
	double alpha;
	/* process() only */
	uint64_t until; /* records to pass before the next sample */
	int seeded_total, seeded_proc;
	double avg_total_ms, avg_proc_ms;
	struct ofd_ratelimit rl;
	/* read by collect() */
	_Atomic uint64_t total_ms, proc_ms, samples;
};

enum { C_MISSING_TIME };
static const char *const delay_counters[] = {"missing_time", NULL};

enum { M_TOTAL, M_PROC, M_SAMPLES };
static const struct ofd_metric delay_metrics[] = {
    [M_TOTAL] = {"delay_monitoring_total_delay_ms",
		 OFD_METRIC_GAUGE,
		 0,
		 "Moving average of now - time_flow_end of the sampled records, in milliseconds.",
		 {NULL}},
    [M_PROC] = {"delay_monitoring_processing_delay_ms",
		OFD_METRIC_GAUGE,
		0,
		"Moving average of now - time_received of the sampled records, in milliseconds.",
		{NULL}},
    [M_SAMPLES] =
	{"delay_monitoring_samples", OFD_METRIC_COUNTER, 0, "Records sampled for the delays.", {NULL}},
    {.name = NULL},
};

static const struct ofd_cfg_key delay_keys[] = {
    OFD_KEY("samplingRate", OFD_CFG_UINT, struct delay_state, rate, .def = "1000", .min = 1, .max = 1e12,
	    .help = "sample every samplingRate-th record (the first, then every samplingRate-th after it)"),
    OFD_KEY("alpha", OFD_CFG_DOUBLE, struct delay_state, alpha, .def = "0.2", .min = 1e-9, .max = 1,
	    .help = "weight of a new sample in the moving averages (0 < alpha <= 1)"),
    OFD_KEY("endpoint", OFD_CFG_STRING, struct delay_state, endpoint,
	    .help =
		"flowpipeline's own metrics server: accepted and not started (a warning); the delays are on "
		"overflowd's metrics server (--metrics)"),
    OFD_KEY_END,
};

static int delay_init(struct ofd_segment *seg, void *state)
{
	struct delay_state *s = state;
	if (s->endpoint)
		ofd_seg_log(
		    seg, OFD_LOG_WARN,
		    "endpoint %s is not served: the delays are overflowd_delay_monitoring_* on overflowd's "
		    "metrics server (--metrics ADDR or the config's metrics:)",
		    s->endpoint);
	return 0;
}

static double ewma(double avg, double x, double alpha, int *seeded)
{
	if (!*seeded) {
		*seeded = 1;
		return x;
	}
	return alpha * x + (1.0 - alpha) * avg;
}

/* now - t in ms (0 when t is later). */
static double age_ms(uint64_t now, uint64_t t)
{
	return t < now ? (double)(now - t) / 1e6 : 0.0;
}

static void delay_sample(struct ofd_segment *seg, struct delay_state *s, const struct ofd_flow *f,
			 uint64_t now)
{
	atomic_fetch_add_explicit(&s->samples, 1, memory_order_relaxed);
	if (f->time_flow_end_ns) {
		s->avg_total_ms =
		    ewma(s->avg_total_ms, age_ms(now, f->time_flow_end_ns), s->alpha, &s->seeded_total);
		atomic_store_explicit(&s->total_ms, (uint64_t)(s->avg_total_ms + 0.5), memory_order_relaxed);
	}
	if (f->time_received_ns) {
		s->avg_proc_ms =
		    ewma(s->avg_proc_ms, age_ms(now, f->time_received_ns), s->alpha, &s->seeded_proc);
		atomic_store_explicit(&s->proc_ms, (uint64_t)(s->avg_proc_ms + 0.5), memory_order_relaxed);
	}
	if (!f->time_flow_end_ns || !f->time_received_ns) {
		ofd_segment_count(seg, C_MISSING_TIME, 1);
		ofd_log_rl(
		    &s->rl, OFD_LOG_WARN,
		    "%s:%u: segment %s: a sampled record without %s (consider sync_timestamps before it)",
		    ofd_segment_file(seg), ofd_segment_line(seg), ofd_segment_name(seg),
		    f->time_flow_end_ns ? "time_received" : "time_flow_end");
	}
}

static void delay_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct delay_state *s = state;
	uint64_t now = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (s->until) {
			s->until--;
			continue;
		}
		s->until = s->rate - 1;
		if (!now)
			now = ofd_time_now_ns();
		delay_sample(seg, s, &b->flows[i], now);
	}
}

static void delay_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct delay_state *s = state;
	(void)seg;
	ofd_metric_put(sink, &delay_metrics[M_TOTAL], NULL,
		       atomic_load_explicit(&s->total_ms, memory_order_relaxed));
	ofd_metric_put(sink, &delay_metrics[M_PROC], NULL,
		       atomic_load_explicit(&s->proc_ms, memory_order_relaxed));
	ofd_metric_put(sink, &delay_metrics[M_SAMPLES], NULL,
		       atomic_load_explicit(&s->samples, memory_order_relaxed));
}

const struct ofd_segment_type ofd_seg_delay_monitoring = {
    OFD_SEGMENT_VERSION,
    .name = "delay_monitoring",
    .kind = OFD_SEG_ANALYZE,
    .summary = "moving averages of the flows' age (now - time_flow_end, now - time_received) as gauges",
    .state_size = sizeof(struct delay_state),
    .config = delay_keys,
    .counters = delay_counters,
    .metrics = delay_metrics,
    .collect = delay_collect,
    .init = delay_init,
    .process = delay_process,
};
