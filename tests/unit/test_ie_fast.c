/*
 * ofd_ie_specialise (ie_fast.c): a fixed plan's specialised steps decode every record to the same
 * flow and aux values as the generic steps, for each width an element may have; the steps it
 * rewrites and the ones it leaves (masked values, odd widths, addresses of both families,
 * variable-length plans).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "decode/ie.h"

#define NF 40

static const struct ofd_tmpl_field fields[] = {
    {1, 8, 0},	 /* octetDeltaCount, 8 bytes: ST_U64 */
    {2, 4, 0},	 /* packetDeltaCount, 4 bytes: ST_U64_4 */
    {4, 1, 0},	 /* protocolIdentifier: ST_U8 */
    {5, 2, 0},	 /* ipClassOfService, 2 bytes: ST_U8 from the last byte */
    {6, 1, 0},	 /* tcpControlBits, 1 byte: ST_U16_1 */
    {7, 2, 0},	 /* sourceTransportPort: ST_U16 */
    {11, 4, 0},	 /* destinationTransportPort, 4 bytes: ST_U16 from the last two */
    {8, 4, 0},	 /* sourceIPv4Address, alone: ST_ADDR4 */
    {28, 16, 0}, /* destinationIPv6Address, alone: ST_ADDR6 */
    {10, 2, 0},	 /* ingressInterface, 2 bytes: ST_U32_2 */
    {14, 8, 0},	 /* egressInterface, 8 bytes: ST_U32 from the last four */
    {16, 3, 0},	 /* bgpSourceAsNumber, 3 bytes: generic */
    {17, 1, 0},	 /* bgpDestinationAsNumber, 1 byte: generic */
    {128, 4, 0}, /* bgpNextAdjacentAsNumber: ST_U32 */
    {22, 4, 0},	 /* flowStartSysUpTime: ST_UP_START */
    {21, 8, 0},	 /* flowEndSysUpTime, 8 bytes: generic */
    {136, 1, 0}, /* flowEndReason: ST_U8 */
    {58, 2, 0},	 /* vlanId: masked, generic */
    {234, 4, 0}, /* ingressVRFID: ST_U32 */
    {61, 1, 0},	 /* flowDirection: masked, generic */
    {253, 4, 0}, /* egressPhysicalInterface with 14: ST_U32 */
    {227, 2, 0}, /* postNAPTSourceTransportPort: ST_U16 */
    {15, 4, 0},	 /* ipNextHopIPv4Address, alone: ST_ADDR4 */
};
#define N (sizeof(fields) / sizeof(fields[0]))

static const uint8_t expect_kind[N] = {
    OFD_IE_ST_U64, OFD_IE_ST_U64_4,  OFD_IE_ST_U8,	 OFD_IE_ST_U8,	    OFD_IE_ST_U16_1, OFD_IE_ST_U16,
    OFD_IE_ST_U16, OFD_IE_ST_ADDR4,  OFD_IE_ST_ADDR6,	 OFD_IE_ST_U32_2,   OFD_IE_ST_U32,   OFD_IE_SRC_AS,
    OFD_IE_DST_AS, OFD_IE_ST_U32,    OFD_IE_ST_UP_START, OFD_IE_END_UPTIME, OFD_IE_ST_U8,    OFD_IE_VLAN,
    OFD_IE_ST_U32, OFD_IE_DIRECTION, OFD_IE_ST_U32,	 OFD_IE_ST_U16,	    OFD_IE_ST_ADDR4,
};

/* Apply plan/steps to rec into a zeroed flow and aux. */
static void apply(const struct ofd_ie_plan *plan, const struct ofd_ie_step *steps, const uint8_t *rec,
		  struct ofd_flow *f, struct ofd_ie_aux *a)
{
	static const struct ofd_ie_ctx ctx = {1700000000000000000ull, 0, 5000, 0, 0};
	ofd_flow_zero(f);
	memset(a, 0, sizeof(*a));
	ofd_ie_apply(plan, steps, rec, f, a, &ctx);
}

/* Generic and specialised plans of fields f[0..n) agree on record rec. */
static void check_same(const struct ofd_tmpl_field *f, uint32_t n, const uint8_t *rec,
		       struct ofd_ie_step *special)
{
	struct ofd_ie_plan gp, sp;
	struct ofd_ie_step generic[NF];
	static struct ofd_flow gf, sf;
	static struct ofd_ie_aux ga, sa;
	assert_int_equal(ofd_ie_compile(f, n, 0, 0, &gp, generic), 0);
	assert_int_equal(ofd_ie_compile(f, n, 0, 0, &sp, special), 0);
	ofd_ie_specialise(&sp, special);
	assert_memory_equal(&gp, &sp, sizeof(gp)); /* the plan itself is unchanged */
	apply(&gp, generic, rec, &gf, &ga);
	apply(&sp, special, rec, &sf, &sa);
	assert_memory_equal(&gf, &sf, sizeof(gf));
	assert_memory_equal(&ga, &sa, sizeof(ga));
}

static void test_widths(void **state)
{
	(void)state;
	uint8_t rec[512];
	struct ofd_ie_step s[NF];
	for (unsigned seed = 0; seed < 4; seed++) {
		for (unsigned i = 0; i < sizeof(rec); i++)
			rec[i] = (uint8_t)(i * 37 + seed * 101 + 1);
		if (seed == 3)
			memset(rec, 0, sizeof(rec)); /* zero addresses too */
		check_same(fields, N, rec, s);
	}
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(s[i].kind, expect_kind[i]);
	/* concrete values through the specialised steps */
	for (unsigned i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)i;
	struct ofd_ie_plan p;
	struct ofd_flow f;
	struct ofd_ie_aux a;
	assert_int_equal(ofd_ie_compile(fields, N, 0, 0, &p, s), 0);
	ofd_ie_specialise(&p, s);
	apply(&p, s, rec, &f, &a);
	assert_int_equal(f.bytes, 0x0001020304050607ull);
	assert_int_equal(f.packets, 0x08090a0bu);
	assert_int_equal(f.proto, 0x0c);
	assert_int_equal(f.ip_tos, 0x0e);
	assert_int_equal(f.tcp_flags, 0x0f);
	assert_int_equal(f.src_port, 0x1011);
	assert_int_equal(f.dst_port, 0x1415);
	assert_int_equal(ofd_ip_v4(&f.src_addr), 0x16171819u);
	assert_int_equal(f.dst_addr.family, OFD_AF_INET6);
	assert_int_equal(f.dst_addr.b[0], 0x1a);
	assert_int_equal(f.in_if, 0x2a2b);
	assert_int_equal(f.out_if, 0x30313233u);
	assert_int_equal(a.up_start, 0x3c3d3e3fu);
	assert_true(a.have & OFD_IEA_UP_START);
}

static void test_left_alone(void **state)
{
	(void)state;
	uint8_t rec[64] = {0};
	struct ofd_ie_step s[NF];
	rec[3] = 9; /* the IPv4 source is 0.0.0.9, the IPv6 one zero */
	/* addresses of both families (IOS XR): the zero check stays */
	const struct ofd_tmpl_field mixed[] = {{8, 4, 0}, {27, 16, 0}, {12, 4, 0}, {28, 16, 0}, {6, 2, 0}};
	check_same(mixed, 5, rec, s);
	assert_int_equal(s[0].kind, OFD_IE_SRC_ADDR4);
	assert_int_equal(s[1].kind, OFD_IE_SRC_ADDR6);
	assert_int_equal(s[4].kind, OFD_IE_TCP_FLAGS); /* 2 bytes: masked */
	/* the same element twice: each keeps its check */
	const struct ofd_tmpl_field twice[] = {{8, 4, 0}, {8, 4, 0}};
	check_same(twice, 2, rec, s);
	assert_int_equal(s[0].kind, OFD_IE_SRC_ADDR4);
	/* a variable-length plan is not touched */
	const struct ofd_tmpl_field var[] = {{1, 4, 0}, {315, OFD_IE_VARLEN, 0}};
	struct ofd_ie_plan p;
	assert_int_equal(ofd_ie_compile(var, 2, 0, 0, &p, s), 0);
	ofd_ie_specialise(&p, s);
	assert_int_equal(s[0].kind, OFD_IE_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_widths),
	    cmocka_unit_test(test_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
