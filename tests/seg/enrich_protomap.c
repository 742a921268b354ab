/*
 * protomap (src/segments/enrich/protomap.c): proto_name as flowpipeline names the protocol
 * numbers (IANA keywords but its own spellings, "UNKWOWN" above 143) and with `names: iana`.
 * Run as the ctest seg_protomap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_protomap;

struct want {
	uint8_t proto;
	const char *name;
};

/* proto_name of one record of each protocol in w, through one instance configured so. */
static void check(const char *config, const struct want *w, uint32_t n)
{
	struct ofd_harness *h = st_open(&ofd_seg_protomap, config);
	struct ofd_batch *b = ofd_harness_batch(h, n + 1);
	for (uint32_t i = 0; i < n; i++)
		b->flows[i].proto = w[i].proto;
	b->flows[n].proto = 6;
	ofd_batch_kill(b, n); /* a dropped record is left alone */
	ofd_harness_process(h, b);
	for (uint32_t i = 0; i < n; i++) {
		assert_true(ofd_flow_has(&b->flows[i], OFD_F_PROTO_NAME));
		if (strcmp(b->flows[i].proto_name, w[i].name) != 0)
			fail_msg("proto %u: \"%s\", want \"%s\"", w[i].proto, b->flows[i].proto_name,
				 w[i].name);
	}
	assert_false(ofd_flow_has(&b->flows[n], OFD_F_PROTO_NAME));
	assert_null(b->flows[n].proto_name);
	assert_int_equal(ofd_batch_live_count(b), n);
	ofd_harness_free(h);
}

static void test_flowpipeline_names(void **state)
{
	(void)state;
	static const struct want w[] = {
	    {0, "HOPOPT"},
	    {1, "ICMP"},
	    {4, "IPIP"},
	    {6, "TCP"},
	    {17, "UDP"},
	    {41, "IPv6"},
	    {47, "GRE"},
	    {50, "ESP"},
	    {53, "SwIPe"},
	    {55, "MOBILE"},
	    {58, "IPv6-ICMP"},
	    {61, "Any host internal protocol"},
	    {63, "Any local network"},
	    {68, "Any distributed file system"},
	    {71, "IPCU"},
	    {84, "TTP"},
	    {89, "OSPF"},
	    {94, "OS"},
	    {99, "Any private encryption scheme"},
	    {103, "PIM"},
	    {114, "Any 0-hop protocol"},
	    {124, "IS-IS over IPv4"},
	    {132, "SCTP"},
	    {135, "Mobility Header"},
	    {143, "Ethernet"},
	    {144, "UNKWOWN"},
	    {200, "UNKWOWN"},
	    {255, "UNKWOWN"},
	};
	check(NULL, w, sizeof(w) / sizeof(w[0]));
	check("{names: flowpipeline}", w, sizeof(w) / sizeof(w[0]));
}

static void test_iana_names(void **state)
{
	(void)state;
	static const struct want w[] = {
	    {4, "IPv4"},  {6, "TCP"},	    {61, "61"},	  {89, "OSPFIGP"},
	    {94, "IPIP"}, {144, "AGGFRAG"}, {200, "200"}, {255, "255"},
	};
	check("{names: iana}", w, sizeof(w) / sizeof(w[0]));
}

static void test_overwrites_and_config(void **state)
{
	(void)state;
	struct ofd_harness *h = st_open(&ofd_seg_protomap, NULL);
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	b->flows[0].proto = 17;
	b->flows[0].proto_name = "stale";
	ofd_flow_set(&b->flows[0], OFD_F_PROTO_NAME);
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].proto_name, "UDP");
	ofd_harness_free(h);

	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_protomap, "{names: wikipedia}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	assert_non_null(strstr(err, "segment protomap: key names: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flowpipeline_names),
	    cmocka_unit_test(test_iana_names),
	    cmocka_unit_test(test_overwrites_and_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
