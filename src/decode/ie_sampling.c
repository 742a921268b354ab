/*
 * Sampling elements of NetFlow v9 / IPFIX records (RFC 3954, RFC 5477 selector algorithms): the
 * rate they make. See ofd_ie_rate() in ie.h for the rules.
 */
#include <string.h>

#include "ie.h"

_Static_assert(OFD_IE_SAMPLING_PROB - OFD_IE_SEL_ALGO == 6 && OFD_IEA_SAMPLING_PROB == OFD_IEA_SEL_ALGO << 6,
	       "the selector kinds and their OFD_IEA_ bits are in the same order");

/* Element `kind` of a, if the record had it: 1 and *v. */
static int sel(const struct ofd_ie_aux *a, enum ofd_ie_kind kind, uint64_t *v)
{
	unsigned i = (unsigned)kind - OFD_IE_SEL_ALGO;
	*v = a->sel[i];
	return (a->have & ((uint32_t)OFD_IEA_SEL_ALGO << i)) != 0;
}

/* (interval + space) / interval: `interval` packets (or microseconds) of every interval + space. */
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
	uint64_t interval, space;
	if (!sel(a, OFD_IE_TIME_INTERVAL, &interval))
		return 0;
	if (!sel(a, OFD_IE_TIME_SPACE, &space))
		space = 0;
	return systematic(interval, space);
}

/* n-out-of-N: N / n, rounded to the nearest. */
static uint64_t by_n_of_n(const struct ofd_ie_aux *a)
{
	uint64_t n, pop;
	if (!sel(a, OFD_IE_SAMPLING_SIZE, &n) || !sel(a, OFD_IE_SAMPLING_POP, &pop) || n == 0 || pop < n)
		return 0;
	return pop / n + (pop % n >= (n + 1) / 2);
}

/*
 * 1 / probability, rounded; a probability outside (0, 1] (or NaN) states nothing. The value is
 * float64 bits, or float32 bits (reduced size): a float64 whose top half is zero is a denormal,
 * never a probability in range, so the top half tells them apart.
 */
static uint64_t by_probability(const struct ofd_ie_aux *a)
{
	uint64_t v;
	if (!sel(a, OFD_IE_SAMPLING_PROB, &v))
		return 0;
	double p;
	if (v >> 32) {
		memcpy(&p, &v, sizeof(p));
	} else {
		uint32_t w = (uint32_t)v;
		float f;
		memcpy(&f, &w, sizeof(f));
		p = f;
	}
	if (!(p > 0.0 && p <= 1.0))
		return 0;
	double r = 1.0 / p + 0.5;
	return r >= 4294967295.0 ? UINT32_MAX : (uint64_t)r;
}

uint32_t ofd_ie_rate(const struct ofd_ie_aux *a)
{
	uint64_t r = 0, algo;
	if (sel(a, OFD_IE_SEL_ALGO, &algo)) {
		switch (algo) {
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
