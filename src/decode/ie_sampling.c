/*
 * Sampling elements of NetFlow v9 / IPFIX records (RFC 3954, RFC 5477 selector algorithms):
 * what a record says, and the rate it makes. See ofd_ie_rate() in ie.h for the rules.
 */
#include <string.h>

#include "ie.h"

#include "ofd/rd.h"

void ofd_ie_sampling_one(struct ofd_ie_aux *a, unsigned kind, const uint8_t *p, uint32_t n)
{
	uint64_t v = ofd_be_uint(p, n);
	switch (kind) {
	case OFD_IE_SEL_ALGO:
		a->sel_algo = v;
		a->have |= OFD_IEA_SEL_ALGO;
		break;
	case OFD_IE_SAMPLING_ALGO:
		a->sampling_algo = v;
		a->have |= OFD_IEA_SAMPLING_ALGO;
		break;
	case OFD_IE_TIME_INTERVAL:
		a->time_interval = v;
		a->have |= OFD_IEA_TIME_INTERVAL;
		break;
	case OFD_IE_TIME_SPACE:
		a->time_space = v;
		a->have |= OFD_IEA_TIME_SPACE;
		break;
	case OFD_IE_SAMPLING_SIZE:
		a->sampling_size = v;
		a->have |= OFD_IEA_SAMPLING_SIZE;
		break;
	case OFD_IE_SAMPLING_POP:
		a->sampling_pop = v;
		a->have |= OFD_IEA_SAMPLING_POP;
		break;
	case OFD_IE_SAMPLING_PROB:
		if (n == 8) {
			double d;
			memcpy(&d, &v, sizeof(d));
			a->sampling_prob = d;
		} else { /* reduced-size encoding (RFC 7011 6.2): float32 */
			uint32_t w = (uint32_t)v;
			float f;
			memcpy(&f, &w, sizeof(f));
			a->sampling_prob = f;
		}
		a->have |= OFD_IEA_SAMPLING_PROB;
		break;
	default: break;
	}
}

/* (interval + space) / interval: one packet (or time unit) of `interval` is selected. */
static uint64_t systematic(uint64_t interval, uint64_t space)
{
	return interval ? (interval + space) / interval : 0;
}

static uint64_t by_count(const struct ofd_ie_aux *a)
{
	if (!(a->have & OFD_IEA_PKT_INTERVAL))
		return 0;
	return systematic(a->pkt_interval, a->have & OFD_IEA_PKT_SPACE ? a->pkt_space : 0);
}

static uint64_t by_time(const struct ofd_ie_aux *a)
{
	if (!(a->have & OFD_IEA_TIME_INTERVAL))
		return 0;
	return systematic(a->time_interval, a->have & OFD_IEA_TIME_SPACE ? a->time_space : 0);
}

/* n-out-of-N: N / n, rounded to the nearest. */
static uint64_t by_n_of_n(const struct ofd_ie_aux *a)
{
	uint32_t both = OFD_IEA_SAMPLING_SIZE | OFD_IEA_SAMPLING_POP;
	if ((a->have & both) != both || a->sampling_size == 0 || a->sampling_pop < a->sampling_size)
		return 0;
	return a->sampling_pop / a->sampling_size +
	       (a->sampling_pop % a->sampling_size >= (a->sampling_size + 1) / 2);
}

/* 1 / probability, rounded; a probability outside (0, 1] (or NaN) states nothing. */
static uint64_t by_probability(const struct ofd_ie_aux *a)
{
	double p = a->sampling_prob;
	if (!(a->have & OFD_IEA_SAMPLING_PROB) || !(p > 0.0 && p <= 1.0))
		return 0;
	double r = 1.0 / p + 0.5;
	return r >= 4294967295.0 ? UINT32_MAX : (uint64_t)r;
}

uint32_t ofd_ie_rate(const struct ofd_ie_aux *a)
{
	uint64_t r = 0;
	if (a->have & OFD_IEA_SEL_ALGO) {
		switch (a->sel_algo) {
		case 1: r = by_count(a); break;
		case 2: r = by_count(a) ? by_count(a) : by_time(a); break;
		case 3: r = by_n_of_n(a); break;
		case 4:
		case 5: r = by_probability(a); break;
		default: break;
		}
	}
	if (!r)
		r = by_n_of_n(a);
	if (!r)
		r = by_count(a);
	if (!r)
		r = by_time(a);
	if (!r)
		r = by_probability(a);
	if (!r && (a->have & OFD_IEA_SAMPLING))
		r = a->sampling;
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}
