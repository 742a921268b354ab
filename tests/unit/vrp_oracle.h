/*
 * The RFC 6811 answers of ../shared/data/vrps-sample.json (data/README.md lists them; checked
 * there with BIRD's roa_check()), for the tests of every way a VRP set is made: the two JSON
 * formats, the CSV, and RTR from stayrtr.
 */
#ifndef OFD_TEST_VRP_ORACLE_H
#define OFD_TEST_VRP_ORACLE_H

#include "net/vrp.h"

struct vrp_case {
	const char *route;
	uint32_t origin;
	enum ofd_rpki want;
};

static const struct vrp_case vrp_sample_cases[] = {
    /* valid */
    {"192.0.2.0/24", 64496, OFD_RPKI_VALID},
    {"203.0.113.0/25", 64498, OFD_RPKI_VALID},
    {"2001:db8::/32", 64496, OFD_RPKI_VALID},
    {"2001:db8:abcd::/48", 64496, OFD_RPKI_VALID},
    {"198.51.100.0/24", 64510, OFD_RPKI_VALID},
    {"198.51.100.0/24", 64511, OFD_RPKI_VALID},
    /* invalid: wrong origin */
    {"198.51.100.0/24", 64497, OFD_RPKI_INVALID},
    {"2001:db8:1000::/36", 64499, OFD_RPKI_INVALID},
    {"192.0.2.0/24", 0, OFD_RPKI_INVALID},
    /* invalid: longer than maxLength */
    {"203.0.113.0/26", 64498, OFD_RPKI_INVALID},
    {"192.0.2.128/25", 64496, OFD_RPKI_INVALID},
    {"2001:db8:ffff:ff00::/56", 64496, OFD_RPKI_INVALID},
    /* invalid: only an AS0 VRP covers it, whatever the origin (0: no origin, an AS_SET) */
    {"3fff:0:0:ff00::/56", 64496, OFD_RPKI_INVALID},
    {"3fff:0:0:ff00::/56", 0, OFD_RPKI_INVALID},
    {"3fff:0:0:ff00::/64", 65000, OFD_RPKI_INVALID},
    /* not found */
    {"203.0.113.128/25", 64498, OFD_RPKI_NOTFOUND},
    {"203.0.113.128/25", 0, OFD_RPKI_NOTFOUND},
    {"203.0.113.0/24", 64498, OFD_RPKI_NOTFOUND},
    {"3fff::/20", 64496, OFD_RPKI_NOTFOUND},
    {"10.0.0.0/8", 64496, OFD_RPKI_NOTFOUND},
    {"::ffff:0:0/96", 64496, OFD_RPKI_NOTFOUND},
};

/* Assert every case on s; the number checked. */
static inline size_t vrp_check_sample(const struct ofd_vrpset *s)
{
	size_t n = sizeof(vrp_sample_cases) / sizeof(vrp_sample_cases[0]);
	for (size_t i = 0; i < n; i++) {
		struct ofd_prefix p;
		assert_int_equal(ofd_prefix_parse(&p, vrp_sample_cases[i].route), 0);
		enum ofd_rpki got = ofd_vrpset_validate(s, &p, vrp_sample_cases[i].origin);
		if (got != vrp_sample_cases[i].want)
			fail_msg("%s AS%u: got %d, want %d", vrp_sample_cases[i].route,
				 vrp_sample_cases[i].origin, (int)got, (int)vrp_sample_cases[i].want);
	}
	return n;
}

#endif
