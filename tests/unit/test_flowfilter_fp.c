/*
 * flowfilter as flowpipeline reads it (BelWü flowfilter): the facts its parser, matching and
 * segment tests establish, rebuilt here as data: expressions the reference flow matches and does
 * not match, expressions that compile and expressions that are refused. One test per rule where
 * our reading once differed is in test_flowfilter_rules.c.
 */
#include "test_flowfilter_fp.h"

/* Expressions the reference flow matches. */
static void test_fp_match(void **state)
{
	(void)state;
	static const char *const yes[] = {
	    "",
	    "address 10.0.0.200",
	    "address 10.0.0.0/24",
	    "src address 10.0.0.200",
	    "dst address 2001:7c0:0:254::6",
	    "address 2001:7c0:0:254::/64",
	    "address 2001:7C0:0:254::/64",
	    "address 10.0.0.200 or address 8.8.8.8",
	    "iface 1",
	    "src interface 1",
	    "iface name 'Hu'",
	    "iface name \"Te\"",
	    "iface desc 'cust'",
	    "iface speed >0",
	    "src iface speed 10-1000000",
	    "port 0",
	    "port 0-100",
	    "port 1024-1024",
	    "port 0-10000",
	    "src port 0-10000",
	    "dst port 0-10000",
	    "src port 0",
	    "dst port 1024",
	    "port >1",
	    "port <1",
	    "asn 553",
	    "asn <65000",
	    "src asn 553",
	    "netsize <24",
	    "vrf 1",
	    "dst vrf >1",
	    "router 10.0.0.1",
	    "nexthop 10.11.0.1",
	    "bytes 20490000",
	    "bytes >1000",
	    "packets 0-400",
	    "packets <1000",
	    "country dE",
	    "direction incoming",
	    "incoming and country de",
	    "not normalized",
	    "duration >100 and not status dropped",
	    "duration 250",
	    "dscp default",
	    "ecn ce",
	    "etype 0x0800",
	    "etype 2048",
	    "etype ipv4",
	    "proto 1",
	    "proto icmp",
	    "not proto 7",
	    "status forwarded",
	    "not tcpflags ack",
	    "iptos 0b0-0b11",
	    "samplingrate 32",
	    "samplingrate <512",
	    "cid 123",
	    "src cid 1-100",
	    "not cid 1283",
	    "icmp type 4",
	    "icmp code 0",
	    "bps 655680",
	    "bps >100",
	    "pps >0",
	    "passes-through 553",
	    "passes-through 553 554 555",
	    "med <200",
	    "localpref >99",
	    "nexthopasn 553",
	    "rpki notfound",
	};
	struct ofd_flow r;
	ref_flow(&r);
	expect_all(yes, NELEM(yes), &r, 1);
}

/* Expressions the reference flow does not match. */
static void test_fp_nomatch(void **state)
{
	(void)state;
	static const char *const no[] = {
	    "address 10.0.0.201",
	    "address 10.0.0.0/30",
	    "src address 10.0.0.201",
	    "dst address 2001:7c0:0:254::8",
	    "address 2001:7c0:0:255::/64",
	    "address 10.0.0.201 or address 8.8.8.8",
	    "iface 8",
	    "src interface 2",
	    "iface name 'gi'",
	    "iface desc 'king'",
	    "iface speed <0",
	    "src iface speed 10-10",
	    "port 1",
	    "port 1-100",
	    "port 1-1023",
	    "src port 1-10000",
	    "dst port 0-1023",
	    "src port 1",
	    "dst port 1023",
	    "port <0",
	    "asn 554",
	    "asn >65000",
	    "src asn 551",
	    "netsize >24",
	    "vrf 0",
	    "dst vrf <1",
	    "router 10.0.0.2",
	    "nexthop 10.11.0.2",
	    "bytes 2049",
	    "bytes <1000",
	    "packets 1110-1400",
	    "packets >1000",
	    "country Es",
	    "direction outgoing",
	    "outgoing and country de",
	    "normalized",
	    "duration <100 and not status dropped",
	    "duration 251",
	    "etype 0x0801",
	    "etype 0x08dD",
	    "etype 2042",
	    "etype ipv6",
	    "proto 2",
	    "proto tcp",
	    "not proto 1",
	    "status acldeny",
	    "tcpflags ack",
	    "samplingrate 31",
	    "samplingrate >512",
	    "cid 1234",
	    "not cid 123",
	    "not dst cid 123",
	    "icmp type 2",
	    "icmp code 1",
	    "bps 655681",
	    "bps <100",
	    "pps <0",
	    "passes-through 666",
	    "passes-through 555 554",
	    "passes-through 553 554 555 556",
	    "med >200",
	    "localpref <99",
	    "nexthopasn 554",
	    "rpki valid",
	};
	struct ofd_flow r;
	ref_flow(&r);
	expect_all(no, NELEM(no), &r, 0);
}

/* What flowfilter's parser takes (and its segment then loads). */
static void test_fp_accepted(void **state)
{
	(void)state;
	static const char *const ok[] = {
	    "",
	    "   ",
	    "address 10.0.0.1",
	    "src address 10.0.0.1",
	    "address 255.255.255.255",
	    "dst address 255.255.255.255",
	    "address 2001:db8::1",
	    "src address 2001:db8::1",
	    "address 2001:db8:efef:affe::1",
	    "dst address 2001:db8:efef:affe::1",
	    "address 1.0.0.1/0",
	    "src address 10.0.0.1/10",
	    "dst address 255.255.255.255/255",
	    "address 2001:db8::1/128",
	    "dst address 2001:db8:efef::affe:1/48",
	    "src address 2001:db8:efef::affe:1/0",
	    "src port 1",
	    "dst port 42",
	    "port 65535",
	    "port <1000",
	    "port >1000",
	    "src port 500-5000",
	    "port 1 -4",
	    "port 1- 4",
	    "port 1 - 4",
	    "port < 1000",
	    "port 0xff2",
	    "src port 0b1-0x23",
	    "src iface 1",
	    "src interface 4",
	    "not dst iface 42",
	    "dst iface 42",
	    "dst iface name 'Te'",
	    "src iface desc 'hello'",
	    "src iface speed 123",
	    "dst iface speed >123",
	    "src iface speed 1-23",
	    "not proto 1",
	    "proto 4",
	    "etype 1",
	    "etype 0x800",
	    "(proto 6 and port 456) or src iface 0 and address 1.1.1.1",
	    "cid 1",
	    "src cid 1-2",
	    "dscp besteffort",
	    "dscp default",
	    "not (not port 4)",
	    "proto ipip or proto vrrp or proto icmpv6",
	    "tcpflags synack or tcpflags cwr or tcpflags ece",
	    "status consumed or status unroutable or status policerdrop or status acldrop",
	    "rpki unknown or rpki invalid",
	};
	expect_compiles(ok, NELEM(ok), 1);
}

/* What it refuses: bad addresses, `not not`, wrong literal kinds, reversed ranges (its segment
 * refuses those when it first evaluates the filter), units and words it does not know. */
static void test_fp_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "address 10.0.1",
	    "src address 10.0.0.1.3",
	    "address 255.255.255.256",
	    "dst address 255.257.255.255",
	    "address 2001:db8:::1",
	    "src address 2001:db8::1:",
	    "address 2001:db8:efef:affe:0:1",
	    "dst address 2001:db8:efef:affe:::",
	    "address 1.0.0.1/-0",
	    "src address 10.0.0.1//",
	    "dst address 255.255.255.257/255",
	    "not not port 4",
	    "dst iface id 'bla'",
	    "dst iface name 4",
	    "src iface desc \"lksj'",
	    "port 7-1",
	    "port 1024-10",
	    "iface speed 1024-10",
	    "protoo 4",
	    "bps 10M",
	    "remotecountry DE",
	    "tcpflags finack",
	    "port 08",
	    "()",
	    "proto tcp and",
	    "or proto tcp",
	};
	expect_compiles(bad, NELEM(bad), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fp_match),
	    cmocka_unit_test(test_fp_nomatch),
	    cmocka_unit_test(test_fp_accepted),
	    cmocka_unit_test(test_fp_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
