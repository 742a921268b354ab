/*
 * normalize: bytes and packets times the sampling rate, as flowpipeline's normalize segment
 * does:
 *
 *   - segment: normalize
 *     config:
 *       fallback: 1000
 *
 * A flow with a sampling rate (> 0) gets bytes and packets multiplied by it and Normalized = 1
 * (a rate of 1 too); the rate stays in SamplingRate, so a reader can tell the sampled counts.
 * A flow without one gets `fallback` (when not 0) as its rate: multiplied, SamplingRate set to
 * it, Normalized = 1; without a fallback it passes unchanged (counted `nosamplingrate`).
 *
 * Unlike flowpipeline, a flow already normalized (Normalized = 1: a second normalize, or a
 * record that came normalized through Kafka) is not multiplied again (counted `already`); the
 * tracer segment's own `normalize` also skips such flows, and toptalkers sums what it is given.
 * A product that does not fit in 64 bits is saturated (counted `saturated`).
 */
#include <stddef.h>
#include <stdint.h>

#include "ofd/segment.h"

enum { C_NOSAMPLINGRATE, C_ALREADY, C_SATURATED };

struct normalize_state {
	uint64_t fallback;
};

static inline uint64_t mul_sat(uint64_t x, uint64_t m, uint64_t *sat)
{
	uint64_t r;
	if (__builtin_mul_overflow(x, m, &r)) {
		(*sat)++;
		return UINT64_MAX;
	}
	return r;
}

static void normalize_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	const struct normalize_state *s = state;
	uint32_t fallback = (uint32_t)s->fallback;
	uint64_t none = 0, already = 0, sat = 0;
	for (unsigned w = 0; w < (b->n + 63) / 64; w++) {
		for (uint64_t live = b->live[w]; live; live &= live - 1) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(live);
			if (i + 8 < b->n) { /* the lines it reads and writes, a few records ahead */
				const char *p = (const char *)&b->flows[i + 8];
				__builtin_prefetch(p, 1);
				__builtin_prefetch(p + offsetof(struct ofd_flow, present), 1);
				__builtin_prefetch(p + offsetof(struct ofd_flow, normalized), 1);
			}
			struct ofd_flow *f = &b->flows[i];
			if (f->normalized) {
				already++;
				continue;
			}
			uint32_t rate = f->sampling_rate;
			if (!rate) {
				if (!fallback) {
					none++;
					continue;
				}
				rate = f->sampling_rate = fallback;
				ofd_flow_set(f, OFD_F_SAMPLING_RATE);
			}
			f->bytes = mul_sat(f->bytes, rate, &sat);
			f->packets = mul_sat(f->packets, rate, &sat);
			f->normalized = 1;
			ofd_flow_set(f, OFD_F_NORMALIZED);
		}
	}
	if (none)
		ofd_segment_count(seg, C_NOSAMPLINGRATE, none);
	if (already)
		ofd_segment_count(seg, C_ALREADY, already);
	if (sat)
		ofd_segment_count(seg, C_SATURATED, sat);
}

static const char *const counters[] = {"nosamplingrate", "already", "saturated", NULL};

static const struct ofd_cfg_key normalize_keys[] = {
    OFD_KEY("fallback", OFD_CFG_UINT, struct normalize_state, fallback, .def = "0", .min = 0,
	    .max = 4294967295.0,
	    .help = "the sampling rate assumed for flows that carry none (0: leave them unchanged)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_normalize = {
    OFD_SEGMENT_VERSION,
    .name = "normalize",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "multiply bytes and packets by the sampling rate (or `fallback`), set Normalized",
    .state_size = sizeof(struct normalize_state),
    .config = normalize_keys,
    .counters = counters,
    .process = normalize_process,
};
