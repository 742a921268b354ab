/*
 * flowfilter evaluator: truth tables on records built in code, for every keyword, both
 * directions and none, IPv4/IPv6 prefixes including /0, range edges, fields that are not present,
 * and ofd_filter_batch over a batch with dead records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter/flowfilter.h"

#define SEC 1000000000ull

/* A record with every field set (IPv4, incoming, all enriched fields present). */
static void base(struct ofd_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->present = ofd_fieldset_all();
	ofd_ip_set4u(&r->src_addr, 0x0a010203);	       /* 10.1.2.3 */
	ofd_ip_set4u(&r->dst_addr, 0xc000024d);	       /* 192.0.2.77 */
	ofd_ip_set4u(&r->sampler_address, 0xc6336401); /* 198.51.100.1 */
	ofd_ip_set4u(&r->next_hop, 0x0a0000fe);	       /* 10.0.0.254 */
	r->proto = 6;
	r->src_port = 443;
	r->dst_port = 51000;
	r->src_as = 553;
	r->dst_as = 64512;
	r->src_net = 16;
	r->dst_net = 24;
	r->in_if = 5;
	r->out_if = 7;
	r->in_if_speed = 100000000000ull;
	r->out_if_speed = 10000000000ull;
	r->in_if_name = "Hu0/1/1/1";
	r->in_if_desc = "Peering: DE-CIX";
	r->out_if_name = "Te0/0/0/1";
	r->out_if_desc = "customer tunnel";
	r->src_cid = 100;
	r->dst_cid = 20000;
	r->src_vrf = 1;
	r->dst_vrf = 2;
	r->next_hop_as = 3320;
	r->bytes = 1500000;
	r->packets = 1000;
	r->time_flow_start_ns = 10 * SEC;
	r->time_flow_end_ns = 20 * SEC; /* 10 s: 1,200,000 bit/s, 100 packets/s */
	r->ip_tos = 0xb9;		/* DSCP 46 (EF), ECN 1 (ECT(1)) */
	r->sampling_rate = 512;
	r->med = 150;
	r->local_pref = 200;
	r->etype = 0x0800;
	r->forwarding_status = 138; /* dropped: policer */
	r->tcp_flags = 0x12;	    /* SYN+ACK */
	r->as_path[0] = 553;
	r->as_path[1] = 3320;
	r->as_path[2] = 15169;
	r->as_path_len = 3;
	memcpy(r->src_country, "DE", 2);
	memcpy(r->dst_country, "US", 2);
	memcpy(r->remote_country, "DE", 2);
	r->flow_direction = OFD_DIR_INGRESS;
	r->normalized = 1;
	r->rpki = OFD_RPKI_VALID;
}

static int match(const char *expr, const struct ofd_flow *r)
{
	struct ofd_filter *f;
	char err[256];
	if (ofd_filter_compile(&f, expr, err, sizeof(err)))
		fail_msg("'%s' did not compile: %s", expr, err);
	int m = ofd_filter_match(f, r);
	ofd_filter_free(f);
	return m;
}

struct row {
	const char *expr;
	int want;
};

static void table(const struct row *rows, size_t n, const struct ofd_flow *r)
{
	for (size_t i = 0; i < n; i++) {
		int m = match(rows[i].expr, r);
		if (m != rows[i].want)
			fail_msg("'%s': %d, want %d", rows[i].expr, m, rows[i].want);
	}
}

#define TABLE(r, ...)                                                                                        \
	do {                                                                                                 \
		static const struct row rows_[] = {__VA_ARGS__};                                             \
		table(rows_, sizeof(rows_) / sizeof(rows_[0]), r);                                           \
	} while (0)

static void test_directional(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"port 443", 1}, {"port 51000", 1}, {"src port 443", 1}, {"dst port 443", 0},
	      {"src port 51000", 0}, {"dst port 51000", 1}, {"port 80", 0}, {"not port 80", 1},
	      {"not port 443", 0}, {"port <1000", 1}, {"dst port <1000", 0}, {"src port 443-443", 1},
	      {"src port 444-65535", 0}, {"src port >442", 1}, {"src port >443", 0}, {"src port >=443", 1},
	      {"src port <443", 0}, {"src port <=443", 1}, {"src port <444", 1}, {"asn 553", 1},
	      {"src asn 553", 1}, {"dst asn 553", 0}, {"asn 64512-65534", 1}, {"dst asn 64512-65534", 1},
	      {"src asn 64512-65534", 0}, {"netsize 24", 1}, {"src netsize <24", 1}, {"dst netsize <24", 0},
	      {"netsize >24", 0}, {"iface 5", 1}, {"iface 7", 1}, {"src iface 7", 0}, {"dst iface 7", 1},
	      {"interface id 5", 1}, {"src iface id 5", 1}, {"dst iface id 5", 0}, {"iface 6", 0},
	      {"iface name \"hu\"", 1}, {"src iface name 'HU0/1'", 1}, {"dst iface name 'hu'", 0},
	      {"dst iface name 'te0/0/0/1'", 1}, {"iface name 'xe'", 0}, {"iface name ''", 1},
	      {"iface name '1/1/1/1'", 0}, {"iface desc 'IX'", 1}, {"src iface desc 'de-cix'", 1},
	      {"dst iface desc 'IX'", 0}, {"dst iface desc 'tunnel'", 1}, {"iface desc 'PNI'", 0},
	      {"iface speed 100G", 1}, {"iface speed 100", 1}, {"iface speed 100000", 0},
	      {"src iface speed 100G", 1}, {"dst iface speed 100G", 0}, {"dst iface speed 10G", 1},
	      {"iface speed >100G", 0}, {"iface speed 1G-10G", 1}, {"src iface speed 1G-10G", 0},
	      {"iface speed <10G", 0}, {"cid 100", 1}, {"cid 20000", 1}, {"cid <20000", 1},
	      {"dst cid <20000", 0}, {"src cid 20000", 0}, {"vrf 1", 1}, {"src vrf 2", 0}, {"dst vrf 2", 1},
	      {"vrf 3", 0}, {"country DE", 1}, {"country US", 0}, {"country de", 1}, {"src country de", 1},
	      {"dst country us", 1}, {"dst country de", 0});
}

static void test_addresses(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"address 10.1.2.3", 1}, {"src address 10.1.2.3", 1}, {"dst address 10.1.2.3", 0},
	      {"address 10.0.0.0/8", 1}, {"src address 10.1.2.0/24", 1}, {"src address 10.1.2.2/32", 0},
	      {"src address 10.1.2.2/31", 1}, {"src address 10.1.2.4/31", 0}, {"address 192.0.2.0/24", 1},
	      {"dst address 192.0.2.64/26", 1}, {"dst address 192.0.2.128/25", 0}, {"address 0.0.0.0/0", 1},
	      {"src address 0.0.0.0/0", 1}, {"address 255.255.255.255/0", 1}, {"address ::/0", 0},
	      {"address ::ffff:10.1.2.3", 0}, {"address ::ffff:0:0/96", 0}, {"address 11.0.0.0/8", 0},
	      {"not address 10.0.0.0/8", 0}, {"address 10.0.0.0/7", 1}, {"address 12.0.0.0/7", 0},
	      {"address 128.0.0.0/1", 1}, {"src address 128.0.0.0/1", 0}, {"router 198.51.100.1", 1},
	      {"router 198.51.100.0/24", 1}, {"router 198.51.101.0/24", 0}, {"router ::/0", 0},
	      {"nexthop 10.0.0.254", 1}, {"nexthop 10.0.0.0/24", 1}, {"nexthop 10.0.1.0/24", 0});

	static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
	static const uint8_t b6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
	ofd_ip_set6(&r.src_addr, a6);
	ofd_ip_set6(&r.dst_addr, b6);
	ofd_ip_set6(&r.sampler_address, b6);
	TABLE(&r, {"address ::/0", 1}, {"src address ::/0", 1}, {"dst address ::/0", 1},
	      {"address 0.0.0.0/0", 0}, {"address 2001:db8::/32", 1}, {"src address 2001:db8:1234::/48", 1},
	      {"src address 2001:db8:1235::/48", 0}, {"dst address 2001:db8::/32", 0},
	      {"address 2001:db8:1234::1", 1}, {"address 2001:db8:1234::1/128", 1},
	      {"address 2001:db8:1234::/127", 1}, {"address 2001:db8:1234::2/127", 0},
	      {"dst address fe80::/10", 1}, {"dst address fec0::/10", 0}, {"src address 8000::/1", 0},
	      {"dst address 8000::/1", 1}, {"address ::/1", 1}, {"router fe80::2", 1},
	      {"router fe80::/64", 1}, {"router 0.0.0.0/0", 0}, {"address 2001:db8:1234::/33", 1},
	      {"address 2001:db8:8000::/33", 0});

	/* no address at all (family none): no prefix matches, not even /0 */
	memset(&r.src_addr, 0, sizeof(r.src_addr));
	memset(&r.dst_addr, 0, sizeof(r.dst_addr));
	TABLE(&r, {"address 0.0.0.0/0", 0}, {"address ::/0", 0}, {"not address ::/0", 1});
}

static void test_regular(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"nexthopasn 3320", 1}, {"nexthopasn 3321", 0}, {"nexthopasn 3000-4000", 1},
	      {"bytes 1500000", 1}, {"bytes >1499999", 1}, {"bytes >1500000", 0}, {"bytes <1500000", 0},
	      {"bytes <=1500000", 1}, {"bytes 0-0xffffffffffffffff", 1}, {"packets 1000", 1},
	      {"packets >1", 1}, {"packets <1000", 0}, {"duration 10", 1}, {"duration >9", 1},
	      {"duration >10", 0}, {"duration >0", 1}, {"samplingrate 512", 1}, {"samplingrate <512", 0},
	      {"samplingrate <=512", 1}, {"bps 1200000", 1}, {"bps >1048576", 1}, {"bps >1200000", 0},
	      {"pps 100", 1}, {"pps >100", 0}, {"med 150", 1}, {"med <200", 1}, {"med <150", 0},
	      {"localpref 200", 1}, {"localpref >100", 1}, {"localpref >200", 0}, {"iptos 0xb9", 1},
	      {"iptos 0xb8", 0}, {"dsfield 0xb0-0xbf", 1}, {"iptos ect1", 1}, {"iptos ect0", 0},
	      {"iptos ce", 0}, {"dsfield ect1", 1}, {"dscp 46", 1}, {"dscp ef", 1}, {"dscp af41", 0},
	      {"dscp 40-47", 1}, {"dscp default", 0}, {"ecn 1", 1}, {"ecn ect1", 1}, {"ecn ect0", 0},
	      {"ecn ce", 0}, {"ecn notect", 0}, {"etype ipv4", 1}, {"etype 0x0800", 1}, {"etype ipv6", 0},
	      {"etype arp", 0}, {"proto tcp", 1}, {"proto 6", 1}, {"proto udp", 0}, {"proto 1-6", 1},
	      {"proto >6", 0}, {"status 138", 1}, {"status policerdrop", 1}, {"status dropped", 1},
	      {"status forwarded", 0}, {"status consumed", 0}, {"status acldeny", 0},
	      {"status 0b10000000", 0}, {"status >=128", 1}, {"tcpflags syn", 1}, {"tcpflags ack", 1},
	      {"tcpflags synack", 1}, {"tcpflags fin", 0}, {"tcpflags rst", 0}, {"tcpflags 0x12", 1},
	      {"tcpflags 2", 0}, {"tcpflags 0b010000", 0}, {"tcpflags syn and not tcpflags ack", 0},
	      {"country DE", 1}, {"country US", 0}, {"direction incoming", 1}, {"direction outgoing", 0},
	      {"incoming", 1}, {"outgoing", 0}, {"normalized", 1}, {"not normalized", 0}, {"rpki valid", 1},
	      {"rpki invalid", 0}, {"rpki notfound", 0}, {"rpki unknown", 0}, {"passes-through 553", 1},
	      {"passes-through 15169", 1}, {"passes-through 553 3320", 1}, {"passes-through 3320 15169", 1},
	      {"passes-through 553 3320 15169", 1}, {"passes-through 553 15169", 0},
	      {"passes-through 3320 553", 0}, {"passes-through 64512", 0},
	      {"passes-through 553 3320 15169 1", 0}, {"passes-through 553 and passes-through 15169", 1});

	/* every tcpflags word on its own (flowpipeline's values: cwr 0x80, ece 0x100) */
	static const struct {
		const char *w;
		uint16_t bit;
	} flags[] = {{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08},
		     {"ack", 0x10}, {"urg", 0x20}, {"cwr", 0x80}, {"ece", 0x100}};
	for (unsigned i = 0; i < 8; i++) {
		char e[32];
		r.tcp_flags = flags[i].bit;
		for (unsigned j = 0; j < 8; j++) {
			snprintf(e, sizeof(e), "tcpflags %s", flags[j].w);
			assert_int_equal(match(e, &r), i == j);
		}
		assert_int_equal(match("tcpflags synack", &r), 0);
	}
	/* tcpflags also needs proto tcp */
	r.tcp_flags = 0x02;
	r.proto = 17;
	assert_int_equal(match("tcpflags syn", &r), 0);
	assert_int_equal(match("tcpflags 2", &r), 0);
	assert_int_equal(match("not tcpflags syn", &r), 1);
}

static void test_status(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	static const struct {
		uint8_t v;
		const char *yes, *no;
	} cases[] = {
	    {64, "status forwarded", "status dropped"},	   {66, "status forwarded", "status consumed"},
	    {128, "status dropped", "status acldeny"},	   {129, "status acldeny", "status acldrop"},
	    {130, "status acldrop", "status unroutable"},  {131, "status unroutable", "status policerdrop"},
	    {138, "status policerdrop", "status acldeny"}, {143, "status dropped", "status forwarded"},
	    {192, "status consumed", "status acldeny"},	   {195, "status consumed", "status policerdrop"},
	    {0, "status 0", "status forwarded"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.forwarding_status = cases[i].v;
		assert_int_equal(match(cases[i].yes, &r), 1);
		assert_int_equal(match(cases[i].no, &r), 0);
	}
	/* words are bit masks: a consumed status has the forwarded and the dropped bit */
	r.forwarding_status = 0xc0;
	TABLE(&r, {"status dropped", 1}, {"status forwarded", 1}, {"status 192", 1}, {"status 128", 0});
	r.forwarding_status = 0x83;
	TABLE(&r, {"status acldeny", 1}, {"status acldrop", 1}, {"status unroutable", 1}, {"status 129", 0});
	/* not exported: reads as 0 */
	ofd_flow_clear(&r, OFD_F_FORWARDING_STATUS);
	TABLE(&r, {"status 0", 1}, {"status forwarded", 0}, {"not status dropped", 1});
}

/* flowpipeline: protocol 1 only, type and code from the destination port. */
static void test_icmp(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	r.proto = 1;
	r.dst_port = 0x0303;
	r.icmp_type = 8; /* the ICMP fields are not read */
	r.icmp_code = 0;
	TABLE(&r, {"icmp type 3", 1}, {"icmp code 3", 1}, {"icmp type 3 and icmp code 3", 1},
	      {"icmp type 8", 0}, {"icmp code 0", 0}, {"icmp type <4", 1});
	r.dst_port = 0x0800;
	TABLE(&r, {"icmp type 8", 1}, {"icmp code 0", 1}, {"icmp type 3", 0});
	/* ICMPv6 (58) is not protocol 1 */
	r.proto = 58;
	r.dst_port = 0x8700;
	TABLE(&r, {"icmp type 135", 0}, {"icmp code 0", 0}, {"not icmp type 135", 1});
	/* other protocols never match */
	r.proto = 17;
	r.dst_port = 0x0301;
	TABLE(&r, {"icmp type 3", 0}, {"icmp code 1", 0}, {"not icmp type 3", 1});
}

/* duration in whole seconds (each end rounded down), rates by integer division, 0 s as 1 s */
static void test_rates(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	r.time_flow_end_ns = r.time_flow_start_ns;
	TABLE(&r, {"duration 0", 1}, {"bps 12000000", 1}, {"pps 1000", 1});
	/* within one second */
	r.time_flow_end_ns = r.time_flow_start_ns + SEC / 2;
	TABLE(&r, {"duration 0", 1}, {"bps 12000000", 1}, {"pps 1000", 1});
	/* across a second boundary: 10.9 s to 11.1 s is one second */
	r.time_flow_start_ns = 10 * SEC + 9 * SEC / 10;
	r.time_flow_end_ns = 11 * SEC + SEC / 10;
	TABLE(&r, {"duration 1", 1}, {"bps 12000000", 1}, {"pps 1000", 1});
	/* 10.0 s to 12.9 s is two seconds */
	r.time_flow_start_ns = 10 * SEC;
	r.time_flow_end_ns = 12 * SEC + 9 * SEC / 10;
	TABLE(&r, {"duration 2", 1}, {"bps 6000000", 1}, {"pps 500", 1});
	r.packets = 1001;
	TABLE(&r, {"pps 500", 1}, {"pps >500", 0});
	/* an end before the start wraps (unsigned), as in flowpipeline: a huge duration, rate 0 */
	r.time_flow_end_ns = r.time_flow_start_ns - SEC;
	TABLE(&r, {"duration 18446744073709551615", 1}, {"duration >0", 1}, {"pps 0", 1}, {"bps 0", 1});
	r.time_flow_end_ns = r.time_flow_start_ns + 2 * SEC;
	r.bytes = UINT64_MAX;
	TABLE(&r, {"pps 500", 1}, {"bytes 18446744073709551615", 1}, {"bytes >18446744073709551615", 0},
	      {"bytes <0", 0}, {"bytes >=0", 1});
}

/* `country` reads remote_country; `src country` / `dst country` one side. */
static void test_country(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r, {"country DE", 1}, {"country de", 1}, {"country US", 0}, {"src country DE", 1},
	      {"dst country us", 1});
	/* the direction does not matter */
	r.flow_direction = OFD_DIR_EGRESS;
	TABLE(&r, {"country DE", 1}, {"country US", 0});
	/* without remote_country: no country matches, whatever the sides say */
	ofd_flow_clear(&r, OFD_F_REMOTE_COUNTRY);
	TABLE(&r, {"country DE", 0}, {"country US", 0}, {"src country DE", 1});
	ofd_flow_clear(&r, OFD_F_SRC_COUNTRY);
	ofd_flow_clear(&r, OFD_F_DST_COUNTRY);
	TABLE(&r, {"src country DE", 0}, {"dst country US", 0});
}

/* A field the record does not have reads as zero (flowpipeline's unset protobuf fields). */
static void test_absent(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	static const enum ofd_field enriched[] = {
	    OFD_F_IN_IF_NAME,  OFD_F_IN_IF_DESC,   OFD_F_IN_IF_SPEED,	 OFD_F_OUT_IF_NAME,
	    OFD_F_OUT_IF_DESC, OFD_F_OUT_IF_SPEED, OFD_F_SRC_CID,	 OFD_F_DST_CID,
	    OFD_F_CID,	       OFD_F_SRC_VRF,	   OFD_F_DST_VRF,	 OFD_F_MED,
	    OFD_F_LOCAL_PREF,  OFD_F_AS_PATH,	   OFD_F_REMOTE_COUNTRY, OFD_F_FLOW_DIRECTION,
	    OFD_F_NORMALIZED,  OFD_F_RPKI};
	for (size_t i = 0; i < sizeof(enriched) / sizeof(enriched[0]); i++)
		ofd_flow_clear(&r, enriched[i]);
	/* the members still hold values: they are not read */
	r.flow_direction = OFD_DIR_EGRESS;
	r.rpki = OFD_RPKI_VALID;
	TABLE(&r, {"iface name ''", 1}, {"iface name 'hu'", 0}, {"iface desc ''", 1}, {"iface speed 0", 1},
	      {"iface speed >0", 0}, {"cid 0", 1}, {"cid 100", 0}, {"vrf 0", 1}, {"vrf 1", 0}, {"med 0", 1},
	      {"med 150", 0}, {"localpref 0", 1}, {"localpref 200", 0}, {"passes-through 553", 0},
	      {"country DE", 0}, {"incoming", 1}, {"direction incoming", 1}, {"outgoing", 0},
	      {"normalized", 0}, {"not normalized", 1}, {"rpki unknown", 1}, {"rpki valid", 0},
	      /* plain fields still match */
	      {"iface 5", 1}, {"port 443", 1}, {"proto tcp", 1});
	/* a present name bit but no string: an empty name */
	base(&r);
	r.in_if_name = NULL;
	r.out_if_name = NULL;
	TABLE(&r, {"iface name ''", 1}, {"iface name 'hu'", 0}, {"iface desc 'IX'", 1});
	/* a zero flag is "not normalized" */
	r.normalized = 0;
	TABLE(&r, {"normalized", 0}, {"not normalized", 1});
	/* as_path_len beyond the array is cut at OFD_AS_PATH_MAX */
	base(&r);
	for (unsigned i = 0; i < OFD_AS_PATH_MAX; i++)
		r.as_path[i] = 100 + i;
	r.as_path_len = 255;
	TABLE(&r, {"passes-through 111", 1}, {"passes-through 110 111", 1}, {"passes-through 112", 0},
	      {"passes-through 100 101 102 103 104 105 106 107 108 109 110 111", 1});
	r.as_path_len = 0;
	TABLE(&r, {"passes-through 100", 0});
}

/* Whole expressions from the documentation and the issue. */
static void test_expressions(void **state)
{
	(void)state;
	struct ofd_flow r;
	base(&r);
	TABLE(&r,
	      {"incoming and (iface desc \"IX\" or iface desc \"PNI\") and (address 10.0.0.0/8 or address "
	       "192.168.0.0/16)",
	       1},
	      {"dst asn 64512 and bps >1048576", 1}, {"status policerdrop or dsfield ce", 1},
	      {"bps >1000000 and proto tcp and not (tcpflags ack or tcpflags fin)", 0},
	      {"(src address 10.0.0.0/8 or dst asn 64512-65534) and not iface desc \"IX\"", 0},
	      {"proto udp and src port 123", 0}, {"tcpflags syn and not tcpflags ack and pps > 9000", 0});
	r.proto = 17;
	r.src_port = 123;
	r.dst_port = 0;
	TABLE(&r, {"proto udp and src port 123", 1}, {"proto udp and src port 123 and port 0", 1},
	      {"proto udp and src port 123 and packets > 1", 1},
	      {"proto udp and src port 123 and packets > 1000", 0});
	r.proto = 6;
	r.tcp_flags = 0x02;
	r.packets = 100000;
	TABLE(&r, {"tcpflags syn and not tcpflags ack and pps > 9000", 1});
}

static void test_batch(void **state)
{
	(void)state;
	struct ofd_filter *f;
	char err[128];
	assert_int_equal(ofd_filter_compile(&f, "src port 0-99", err, sizeof(err)), 0);
	struct ofd_batch *b = malloc(sizeof(*b));
	assert_non_null(b);
	ofd_batch_init(b, NULL, NULL);
	/* 200 records crossing three live words; src_port = index */
	for (unsigned i = 0; i < 200; i++) {
		struct ofd_flow *r = ofd_batch_add(b);
		r->src_port = (uint16_t)i;
	}
	/* kill every third record */
	for (unsigned i = 0; i < 200; i += 3)
		ofd_batch_kill(b, i);
	uint32_t kept = ofd_filter_batch(f, b);
	uint32_t want = 0;
	for (unsigned i = 0; i < 200; i++) {
		int live = i % 3 != 0 && i < 100;
		want += (uint32_t)live;
		assert_int_equal(ofd_batch_is_live(b, i), live);
	}
	assert_int_equal(kept, want);
	assert_int_equal(ofd_batch_live_count(b), want);
	/* a second pass keeps the same records */
	assert_int_equal(ofd_filter_batch(f, b), want);
	ofd_filter_free(f);

	/* a filter that keeps everything leaves dead records dead */
	assert_int_equal(ofd_filter_compile(&f, "port >=0", err, sizeof(err)), 0);
	ofd_batch_reset(b);
	for (unsigned i = 0; i < OFD_BATCH_CAP; i++)
		(void)ofd_batch_add(b);
	ofd_batch_kill(b, 0);
	ofd_batch_kill(b, 63);
	ofd_batch_kill(b, 64);
	ofd_batch_kill(b, OFD_BATCH_CAP - 1);
	assert_int_equal(ofd_filter_batch(f, b), OFD_BATCH_CAP - 4);
	assert_false(ofd_batch_is_live(b, 63));
	assert_true(ofd_batch_is_live(b, 62));
	ofd_filter_free(f);

	/* an empty batch, and one with all records dead */
	assert_int_equal(ofd_filter_compile(&f, "port <0", err, sizeof(err)), 0);
	ofd_batch_reset(b);
	assert_int_equal(ofd_filter_batch(f, b), 0);
	for (unsigned i = 0; i < 70; i++)
		(void)ofd_batch_add(b);
	for (unsigned i = 0; i < 70; i++)
		ofd_batch_kill(b, i);
	assert_int_equal(ofd_filter_batch(f, b), 0);
	ofd_filter_free(f);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_directional), cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_regular),	cmocka_unit_test(test_status),
	    cmocka_unit_test(test_icmp),	cmocka_unit_test(test_rates),
	    cmocka_unit_test(test_country),	cmocka_unit_test(test_absent),
	    cmocka_unit_test(test_expressions), cmocka_unit_test(test_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
