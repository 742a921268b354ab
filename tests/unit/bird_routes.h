/*
 * The 10 routes bird-test.conf announces (../shared/data: its comments and data/README.md),
 * the oracle of the tests that read BIRD's UPDATEs (test_bgp_msg's capture, test_bgp_bird's
 * live session). Include after cmocka.h and net/bgp_msg.h.
 */
#ifndef OFD_TEST_BIRD_ROUTES_H
#define OFD_TEST_BIRD_ROUTES_H

#include <string.h>

#include "net/bgp_msg.h"

struct route {
	const char *prefix;
	uint32_t path[3];
	unsigned path_n;
	uint32_t med, lp;
	uint32_t comms[2];
	unsigned n_comms;
	uint32_t lc[3]; /* global 0: none */
};

/* bird-test.conf's comments: every route also carries community 64500:1 */
static const struct route ROUTES[10] = {
    {"192.0.2.0/24", {64511, 64496}, 2, 10, 200, {64500u << 16 | 1, 64511u << 16 | 100}, 2, {64500, 1, 2}},
    {"198.51.100.0/24", {64511, 64510, 64497}, 3, 20, 150, {64500u << 16 | 1, 65535u << 16 | 666}, 2, {0}},
    {"203.0.113.0/25", {64511, 64498}, 2, 30, 100, {64500u << 16 | 1}, 1, {0}},
    {"203.0.113.0/26", {64511, 64498}, 2, 31, 100, {64500u << 16 | 1}, 1, {0}},
    {"203.0.113.128/25", {65536, 65551}, 2, 0, 50, {64500u << 16 | 1}, 1, {65551, 7, 8}},
    {"2001:db8::/32", {64511, 64496}, 2, 10, 200, {64500u << 16 | 1}, 1, {0}},
    {"2001:db8:1000::/36", {64511, 64499}, 2, 40, 120, {64500u << 16 | 1}, 1, {0}},
    {"2001:db8:ffff:ff00::/56", {64511, 64496}, 2, 41, 120, {64500u << 16 | 1}, 1, {0}},
    {"3fff::/20", {64505}, 1, 5, 100, {64500u << 16 | 1}, 1, {0}},
    {"3fff:0:0:ff00::/56", {64505}, 1, 6, 100, {64500u << 16 | 1}, 1, {0}},
};

/* u announced p: check it against the table and count it in seen[] */
static void check_route(const struct ofd_bgp_update *u, const struct ofd_prefix *p, int *seen)
{
	char ps[OFD_PREFIX_STRLEN];
	ofd_prefix_str(p, ps);
	int k = -1;
	for (int i = 0; i < 10; i++)
		if (!strcmp(ps, ROUTES[i].prefix))
			k = i;
	if (k < 0)
		print_error("unexpected route %s\n", ps);
	assert_true(k >= 0);
	seen[k]++;
	const struct route *r = &ROUTES[k];
	assert_int_equal(u->origin, 0);
	assert_int_equal(u->path.n_asn, r->path_n);
	for (unsigned i = 0; i < r->path_n; i++)
		assert_int_equal(u->path.asn[i], r->path[i]);
	assert_int_equal(u->med, r->med);
	assert_int_equal(u->local_pref, r->lp);
	assert_int_equal(u->n_comms, r->n_comms);
	for (unsigned i = 0; i < r->n_comms; i++)
		assert_int_equal(ofd_bgp_comm(u, i), r->comms[i]);
	if (r->lc[0]) {
		assert_int_equal(u->n_lcomms, 1);
		uint32_t g, a, b;
		ofd_bgp_lcomm(u, 0, &g, &a, &b);
		assert_int_equal(g, r->lc[0]);
		assert_int_equal(a, r->lc[1]);
		assert_int_equal(b, r->lc[2]);
	} else {
		assert_int_equal(u->n_lcomms, 0);
	}
	char nh[OFD_IP_STRLEN];
	if (p->addr.family == OFD_AF_INET) {
		assert_int_equal(u->next_hop, 0xc00002fe);
	} else {
		ofd_ip_str(&u->mp_nh, nh);
		assert_string_equal(nh, "2001:db8::254");
	}
}

#endif
