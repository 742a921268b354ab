/*
 * Tracer wire format: exact body bytes for a NetFlow v5 flow and an IPv6 IPFIX flow, source
 * types, classes, contact escaping, truncation under a small maximum, and the signed line
 * (layout, base64 of signature || body, verification round trip).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

/* The first 2016 prototype tracer's flow, plus an exporter and interfaces. */
static void flow_v5(struct ofd_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->type = OFD_FT_NETFLOW_V5;
	ofd_ip_set4u(&f->src_addr, 0x7aa652c4); /* 122.166.82.196 */
	ofd_ip_set4u(&f->dst_addr, 0x7aa64d4a); /* 122.166.77.74 */
	ofd_ip_set4u(&f->sampler_address, 0x7aa604f2);
	f->src_port = 4568;
	f->dst_port = 20999;
	f->proto = 6;
	f->packets = 17001;
	f->bytes = 682512;
	f->time_flow_start_ns = 1325252876ull * 1000000000ull + 999999999ull;
	f->time_flow_end_ns = 1325314888ull * 1000000000ull;
	f->tcp_flags = 16;
	f->in_if = 3;
	f->out_if = 4;
}

static const char body_v5[] =
    "{\"flowdata\": {\"sourcetype\": {\"type\": \"Netflow\", \"version\": 5}, \"data\": {\"saddr\": "
    "\"122.166.82.196\", \"daddr\": \"122.166.77.74\", \"sport\": 4568, \"dport\": 20999, \"protocol\": 6, "
    "\"pcount\": 17001, \"bcount\": 682512, \"stime\": 1325252876, \"etime\": 1325314888, \"flags\": 16, "
    "\"tos\": 0, \"exporter\": \"122.166.4.242\", \"in_if\": 3, \"out_if\": 4}}, \"metadata\": {\"info\": "
    "\"FLOWSEEN\", \"class\": \"INFORMATIONAL\", \"time\": 1477778027.138109}}";

static void flow_v6(struct ofd_flow *f)
{
	static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x80};
	memset(f, 0, sizeof(*f));
	f->type = OFD_FT_IPFIX;
	ofd_ip_set6(&f->src_addr, s6);
	ofd_ip_set6(&f->dst_addr, d6);
	ofd_ip_set4u(&f->sampler_address, 0xc000020a);
	f->src_port = 443;
	f->dst_port = 51000;
	f->proto = 6;
	f->packets = 12;
	f->bytes = 9000;
	f->time_flow_start_ns = 1700000000500000000ull;
	f->time_flow_end_ns = 1700000060000000000ull;
	f->tcp_flags = 0x1b;
	f->ip_tos = 0x28;
	f->sampling_rate = 1000;
	f->src_as = 64496;
	f->dst_as = 64511;
	f->in_if = 10;
	f->out_if = 20;
}

#define V6_HEAD                                                                                              \
	"{\"flowdata\": {\"sourcetype\": {\"type\": \"IPFIX\", \"version\": 10}, \"data\": {\"saddr\": "     \
	"\"2001:db8::1\", \"daddr\": \"2001:db8:0:1::80\", \"sport\": 443, \"dport\": 51000, \"protocol\": " \
	"6, \"pcount\": 12, \"bcount\": 9000, \"stime\": 1700000000, \"etime\": 1700000060, \"flags\": 27, " \
	"\"tos\": 40"
#define V6_OPTS                                                                                              \
	", \"exporter\": \"192.0.2.10\", \"sampling_rate\": 1000, \"src_as\": 64496, \"dst_as\": 64511, "    \
	"\"in_if\": 10, \"out_if\": 20"
#define V6_META                                                                                              \
	"}}, \"metadata\": {\"info\": \"FLOWSEEN\", \"class\": \"HUMAN_SUSPECTED\", \"time\": "              \
	"1700000100.250000, \"contact\": \"abuse@example.net\""

static const char body_v6[] = V6_HEAD V6_OPTS V6_META "}}";
static const char body_v6_trunc[] = V6_HEAD V6_META ", \"truncated\": [\"data\"]}}";
static const char body_v6_trunc2[] =
    V6_HEAD ", \"exporter\": \"192.0.2.10\", \"sampling_rate\": 1000" V6_META ", \"truncated\": [\"data\"]}}";

static const struct ofd_tracer_meta meta_v6 = {OFD_TC_HUMAN_SUSPECTED, "abuse@example.net", 1700000100.25};

static void test_body_v5(void **state)
{
	(void)state;
	struct ofd_flow f;
	flow_v5(&f);
	struct ofd_tracer_meta m = {OFD_TC_INFORMATIONAL, NULL, 1477778027.138109};
	char buf[OFD_TRACER_MAX];
	int n = ofd_tracer_body(buf, sizeof(buf), &f, &m, OFD_TRACER_MAX);
	assert_int_equal(n, (int)strlen(body_v5));
	assert_string_equal(buf, body_v5);
	/* without exporter and interfaces, the prototype's fields alone */
	memset(&f.sampler_address, 0, sizeof(f.sampler_address));
	f.in_if = f.out_if = 0;
	n = ofd_tracer_body(buf, sizeof(buf), &f, &m, 0);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"tos\": 0}}, \"metadata\""));
}

static void test_body_v6(void **state)
{
	(void)state;
	struct ofd_flow f;
	flow_v6(&f);
	char buf[OFD_TRACER_MAX];
	int n = ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, OFD_TRACER_MAX);
	assert_int_equal(n, (int)strlen(body_v6));
	assert_string_equal(buf, body_v6);
	/* it is JSON, and says what it should */
	json_error_t jerr;
	json_t *j = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(j);
	json_t *d = json_object_get(json_object_get(j, "flowdata"), "data");
	assert_string_equal(json_string_value(json_object_get(d, "daddr")), "2001:db8:0:1::80");
	assert_int_equal(json_integer_value(json_object_get(d, "dst_as")), 64511);
	json_decref(j);
	/* after normalize the counts are scaled already: the body says so beside the rate */
	f.normalized = 1;
	ofd_flow_set(&f, OFD_F_NORMALIZED);
	n = ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, OFD_TRACER_MAX);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"sampling_rate\": 1000, \"normalized\": true, \"src_as\": 64496"));
}

static void test_sourcetypes_classes(void **state)
{
	(void)state;
	static const struct {
		unsigned type;
		const char *want;
	} st[] = {
	    {OFD_FT_NETFLOW_V5, "{\"type\": \"Netflow\", \"version\": 5}"},
	    {OFD_FT_NETFLOW_V9, "{\"type\": \"Netflow\", \"version\": 9}"},
	    {OFD_FT_IPFIX, "{\"type\": \"IPFIX\", \"version\": 10}"},
	    {OFD_FT_SFLOW_5, "{\"type\": \"sFlow\", \"version\": 5}"},
	    {OFD_FT_UNKNOWN, "{\"type\": \"unknown\", \"version\": 0}"},
	};
	struct ofd_flow f;
	char buf[OFD_TRACER_MAX], want[128];
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		flow_v5(&f);
		f.type = (uint8_t)st[i].type;
		for (int c = 0; c < 4; c++) {
			struct ofd_tracer_meta m = {(enum ofd_tracer_class)c, NULL, 1.5};
			assert_true(ofd_tracer_body(buf, sizeof(buf), &f, &m, 0) > 0);
			snprintf(want, sizeof(want), "{\"flowdata\": {\"sourcetype\": %s, \"data\"",
				 st[i].want);
			assert_int_equal(strncmp(buf, want, strlen(want)), 0);
			snprintf(want, sizeof(want), "\"class\": \"%s\", \"time\": 1.500000}}",
				 ofd_tracer_class_name((enum ofd_tracer_class)c));
			assert_non_null(strstr(buf, want));
		}
	}
	assert_string_equal(ofd_tracer_class_name(OFD_TC_INFORMATIONAL), "INFORMATIONAL");
	assert_string_equal(ofd_tracer_class_name(OFD_TC_MACHINE_SUSPECTED), "MACHINE_SUSPECTED");
	assert_string_equal(ofd_tracer_class_name(OFD_TC_HUMAN_SUSPECTED), "HUMAN_SUSPECTED");
	assert_string_equal(ofd_tracer_class_name(OFD_TC_HUMAN_CONFIRMED), "HUMAN_CONFIRMED");
	assert_string_equal(ofd_tracer_class_name((enum ofd_tracer_class)9), "UNKNOWN");
	assert_int_equal(ofd_tracer_class_parse("human_confirmed"), OFD_TC_HUMAN_CONFIRMED);
	assert_int_equal(ofd_tracer_class_parse("Machine_Suspected"), OFD_TC_MACHINE_SUSPECTED);
	assert_int_equal(ofd_tracer_class_parse("INFORMATIONAL"), OFD_TC_INFORMATIONAL);
	assert_int_equal(ofd_tracer_class_parse("HUMAN"), -1);
	assert_int_equal(ofd_tracer_class_parse(""), -1);
	assert_int_equal(ofd_tracer_class_parse(NULL), -1);
	struct ofd_tracer_meta bad = {(enum ofd_tracer_class)9, NULL, 1};
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &bad, 0), OFD_EFORMAT);
	/* times that cannot be written as JSON numbers become 0 */
	struct ofd_tracer_meta nan_time = {OFD_TC_INFORMATIONAL, NULL, NAN};
	assert_true(ofd_tracer_body(buf, sizeof(buf), &f, &nan_time, 0) > 0);
	assert_non_null(strstr(buf, "\"time\": 0.000000}}"));
}

static void test_contact_escaping(void **state)
{
	(void)state;
	struct ofd_flow f;
	flow_v5(&f);
	/* quote, backslash, controls, DEL, 2-, 3- and 4-byte UTF-8, then invalid bytes */
	struct ofd_tracer_meta m = {OFD_TC_MACHINE_SUSPECTED,
				    "Ann \"NOC\" \\ x\n\t\r\b\f\x01\x1f\x7f \xc3\xa9 \xe2\x82\xac "
				    "\xf0\x9f\x98\x80 \xff \xc0\xaf \xed\xa0\x80 "
				    "\xe2\x82",
				    2.0};
	char buf[OFD_TRACER_MAX];
	int n = ofd_tracer_body(buf, sizeof(buf), &f, &m, 0);
	assert_true(n > 0);
	const char *want =
	    "\"contact\": \"Ann \\\"NOC\\\" \\\\ x\\n\\t\\r\\b\\f\\u0001\\u001f\x7f \\u00e9 \\u20ac "
	    "\\ud83d\\ude00 \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"}}";
	const char *got = strstr(buf, "\"contact\"");
	assert_non_null(got);
	assert_string_equal(got, want);
	/* all ASCII, and jansson reads back the intended text */
	for (int i = 0; i < n; i++)
		assert_true((unsigned char)buf[i] < 0x80);
	json_error_t jerr;
	json_t *j = json_loadb(buf, (size_t)n, 0, &jerr);
	assert_non_null(j);
	const char *c = json_string_value(json_object_get(json_object_get(j, "metadata"), "contact"));
	assert_string_equal(c,
			    "Ann \"NOC\" \\ x\n\t\r\b\f\x01\x1f\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
			    "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
			    "\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	/* an empty contact is still written */
	m.contact = "";
	assert_true(ofd_tracer_body(buf, sizeof(buf), &f, &m, 0) > 0);
	assert_non_null(strstr(buf, ", \"contact\": \"\"}}"));
}

static void test_truncation(void **state)
{
	(void)state;
	struct ofd_flow f;
	flow_v6(&f);
	char buf[OFD_TRACER_MAX];
	size_t full = ofd_tracer_signed_len(strlen(body_v6));
	size_t t0 = ofd_tracer_signed_len(strlen(body_v6_trunc));
	size_t t2 = ofd_tracer_signed_len(strlen(body_v6_trunc2));
	assert_true(t0 < t2 && t2 < full);
	/* the whole line must stay strictly below the maximum */
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, full + 1), (int)strlen(body_v6));
	assert_string_equal(buf, body_v6);
	/* optional fields go from the last one until it fits */
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, t2 + 1),
			 (int)strlen(body_v6_trunc2));
	assert_string_equal(buf, body_v6_trunc2);
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, t0 + 1), (int)strlen(body_v6_trunc));
	assert_string_equal(buf, body_v6_trunc);
	/* even the required fields do not fit */
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, t0), OFD_ELIMIT);
	/* a buffer too small */
	assert_int_equal(ofd_tracer_body(buf, 100, &f, &meta_v6, 0), OFD_ELIMIT);
	assert_int_equal(ofd_tracer_body(buf, 0, &f, &meta_v6, 0), OFD_ELIMIT);
	/* the UDP limit with this flow: the line stays below 1200 */
	int n = ofd_tracer_body(buf, sizeof(buf), &f, &meta_v6, OFD_TRACER_UDP_MAX);
	assert_true(n > 0);
	assert_true(ofd_tracer_signed_len((size_t)n) < OFD_TRACER_UDP_MAX);
	/* a contact too long for any tracer */
	static char big[OFD_TRACER_MAX];
	memset(big, 'a', sizeof(big) - 1);
	struct ofd_tracer_meta m = meta_v6;
	m.contact = big;
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &m, 0), OFD_ELIMIT);
}

/* The UDP form: optional fields first, then the contact cut at a character boundary, marked. */
static void test_cut_contact(void **state)
{
	(void)state;
	struct ofd_flow f;
	flow_v6(&f);
	char buf[OFD_TRACER_MAX];
	/* a contact of 60 two-byte characters (each written \u00e9: 6 bytes) */
	char contact[121];
	for (int i = 0; i < 60; i++)
		contact[2 * i] = (char)0xc3, contact[2 * i + 1] = (char)0xa9;
	contact[120] = 0;
	struct ofd_tracer_meta m = meta_v6;
	m.contact = contact;
	assert_int_equal(ofd_tracer_body(buf, sizeof(buf), &f, &m, OFD_TRACER_UDP_MAX), OFD_ELIMIT);
	int n = ofd_tracer_body_cut(buf, sizeof(buf), &f, &m, OFD_TRACER_UDP_MAX);
	assert_true(n > 0);
	assert_true(ofd_tracer_signed_len((size_t)n) < OFD_TRACER_UDP_MAX);
	assert_null(strstr(buf, "\"exporter\""));
	assert_non_null(strstr(buf, "\"truncated\": [\"data\", \"contact\"]}}"));
	/* cut at a character boundary, the longest that fits */
	json_t *j = json_loadb(buf, (size_t)n, 0, NULL);
	assert_non_null(j);
	const char *c = json_string_value(json_object_get(json_object_get(j, "metadata"), "contact"));
	size_t kept = strlen(c);
	assert_true(kept > 0 && kept % 2 == 0 && kept < 120);
	assert_memory_equal(c, contact, kept);
	json_decref(j);
	/* one more character (6 bytes written) would not fit */
	assert_true(ofd_tracer_signed_len((size_t)n + 6) >= OFD_TRACER_UDP_MAX);
	/* cutting the contact is not needed: as ofd_tracer_body */
	m.contact = "abuse@example.net";
	assert_int_equal(ofd_tracer_body_cut(buf, sizeof(buf), &f, &m, OFD_TRACER_UDP_MAX),
			 ofd_tracer_body(buf, sizeof(buf), &f, &m, OFD_TRACER_UDP_MAX));
	assert_null(strstr(buf, "contact\"]"));
	/* no room for one character: the contact is left out, still marked */
	size_t bare = ofd_tracer_signed_len(
	    strlen(body_v6_trunc) - strlen(", \"contact\": \"abuse@example.net\"") + strlen(", \"contact\""));
	m.contact = contact;
	n = ofd_tracer_body_cut(buf, sizeof(buf), &f, &m, bare + 1);
	assert_true(n > 0);
	assert_null(strstr(buf, "\"contact\": "));
	assert_non_null(strstr(buf, "\"truncated\": [\"data\", \"contact\"]}}"));
	/* the required fields alone do not fit */
	assert_int_equal(ofd_tracer_body_cut(buf, sizeof(buf), &f, &m, 600), OFD_ELIMIT);
	/* only the contact cut: a flow without optional fields */
	memset(&f.sampler_address, 0, sizeof(f.sampler_address));
	f.sampling_rate = f.src_as = f.dst_as = f.in_if = f.out_if = 0;
	n = ofd_tracer_body_cut(buf, sizeof(buf), &f, &m, OFD_TRACER_UDP_MAX);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"truncated\": [\"contact\"]}}"));
}

static void test_sign(void **state)
{
	(void)state;
	uint8_t seed[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(i * 7 + 1);
	struct ofd_key *k;
	assert_int_equal(ofd_key_from_seed(&k, seed), 0);
	char hex[65];
	ofd_key_public_hex(k, hex);

	size_t blen = strlen(body_v5);
	char line[OFD_TRACER_MAX];
	int n = ofd_tracer_sign(line, sizeof(line), body_v5, blen, k);
	assert_true(n > 0);
	assert_int_equal((size_t)n, ofd_tracer_signed_len(blen));
	assert_int_equal(strlen(line), (size_t)n);
	/* {body's members, "signature": {"key": HEX, "signature": B64}} */
	assert_memory_equal(line, body_v5, blen - 1);
	char want[256];
	snprintf(want, sizeof(want), ", \"signature\": {\"key\": \"%s\", \"signature\": \"", hex);
	assert_memory_equal(line + blen - 1, want, strlen(want));
	assert_memory_equal(line + n - 3, "\"}}", 3);
	const char *b64 = line + blen - 1 + strlen(want);
	size_t b64len = (size_t)(line + n - 3 - b64);
	uint8_t sm[OFD_SIG_LEN + sizeof(body_v5)];
	size_t smlen = 0;
	assert_int_equal(sodium_base642bin(sm, sizeof(sm), b64, b64len, NULL, &smlen, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(smlen, OFD_SIG_LEN + blen);
	assert_memory_equal(sm + OFD_SIG_LEN, body_v5, blen);
	assert_int_equal(crypto_sign_verify_detached(sm, sm + OFD_SIG_LEN, blen, ofd_key_public(k)), 0);
	/* Ed25519 is deterministic: signing again gives the same line */
	char again[OFD_TRACER_MAX];
	assert_int_equal(ofd_tracer_sign(again, sizeof(again), body_v5, blen, k), n);
	assert_string_equal(again, line);

	/* and it verifies */
	uint8_t scratch[OFD_TRACER_MAX];
	struct ofd_tracer_msg msg;
	assert_int_equal(ofd_tracer_verify(line, (size_t)n, NULL, scratch, &msg), OFD_TV_OK);
	assert_int_equal(msg.body_len, blen);
	assert_memory_equal(msg.body, body_v5, blen);
	assert_memory_equal(msg.key, ofd_key_public(k), OFD_KEY_PUB_LEN);
	assert_int_equal(msg.sealed, 0);

	/* refusals: not an object, a buffer too small (the terminator counts) */
	assert_int_equal(ofd_tracer_sign(again, sizeof(again), "[1]", 3, k), OFD_EFORMAT);
	assert_int_equal(ofd_tracer_sign(again, sizeof(again), "{}", 2, k), OFD_EFORMAT);
	assert_int_equal(ofd_tracer_sign(again, (size_t)n, body_v5, blen, k), OFD_ELIMIT);
	assert_int_equal(ofd_tracer_sign(again, (size_t)n + 1, body_v5, blen, k), n);
	ofd_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_body_v5),
	    cmocka_unit_test(test_body_v6),
	    cmocka_unit_test(test_sourcetypes_classes),
	    cmocka_unit_test(test_contact_escaping),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_cut_contact),
	    cmocka_unit_test(test_sign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
