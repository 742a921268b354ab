/*
 * net/rtr (RFC 8210 / 6810 client state machine) on PDUs built byte by byte: a full Reset
 * Query exchange fed one byte at a time (the 6 VRPs of vrps-sample.json, every RFC 6811 answer
 * of data/README.md on the set made), a Serial Query with a withdrawal and an announcement,
 * Serial Notify, Cache Reset, Error Reports received (sanitised, bounded, No Data Available),
 * the fallback to version 0, bad lengths, unknown types and versions, withdrawals of unknown
 * VRPs, duplicates, expiry and the retry timer, a Serial Query left unanswered (the session
 * forgotten, a Reset Query next, the VRPs kept until its End of Data). The socket driver
 * against a real stayrtr: test_rtr_conn.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/rtr.h"
#include "net/vrp.h"
#include "vrp_oracle.h"

/* ---- PDU builders ---- */

struct pdus {
	uint8_t b[4096];
	size_t n;
};

static void u8(struct pdus *p, unsigned v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = (uint8_t)v;
}
static void u16(struct pdus *p, unsigned v)
{
	u8(p, v >> 8);
	u8(p, v & 255);
}
static void u32(struct pdus *p, uint32_t v)
{
	u16(p, v >> 16);
	u16(p, v & 0xffff);
}
static void hdr(struct pdus *p, unsigned ver, unsigned type, unsigned sess, uint32_t len)
{
	u8(p, ver);
	u8(p, type);
	u16(p, sess);
	u32(p, len);
}
static void v4(struct pdus *p, unsigned ver, int announce, const char *a, unsigned plen, unsigned maxlen,
	       uint32_t asn)
{
	unsigned x[4];
	assert_int_equal(sscanf(a, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]), 4);
	hdr(p, ver, OFD_RTR_IPV4_PREFIX, 0, 20);
	u8(p, announce ? 1 : 0);
	u8(p, plen);
	u8(p, maxlen);
	u8(p, 0);
	for (int i = 0; i < 4; i++)
		u8(p, x[i]);
	u32(p, asn);
}
static void v6(struct pdus *p, unsigned ver, int announce, const char *a, unsigned plen, unsigned maxlen,
	       uint32_t asn)
{
	struct ofd_ip ip;
	assert_int_equal(ofd_ip_parse(&ip, a), 0);
	hdr(p, ver, OFD_RTR_IPV6_PREFIX, 0, 32);
	u8(p, announce ? 1 : 0);
	u8(p, plen);
	u8(p, maxlen);
	u8(p, 0);
	for (int i = 0; i < 16; i++)
		u8(p, ip.b[i]);
	u32(p, asn);
}
static void eod(struct pdus *p, unsigned ver, unsigned sess, uint32_t serial, uint32_t refresh,
		uint32_t retry, uint32_t expire)
{
	hdr(p, ver, OFD_RTR_END_OF_DATA, sess, ver ? 24 : 12);
	u32(p, serial);
	if (ver) {
		u32(p, refresh);
		u32(p, retry);
		u32(p, expire);
	}
}
static void sample_vrps(struct pdus *p, unsigned ver)
{
	v4(p, ver, 1, "192.0.2.0", 24, 24, 64496);
	v4(p, ver, 1, "198.51.100.0", 24, 24, 64510);
	v4(p, ver, 1, "198.51.100.0", 24, 24, 64511);
	v4(p, ver, 1, "203.0.113.0", 25, 25, 64498);
	v6(p, ver, 1, "2001:db8::", 32, 48, 64496);
	v6(p, ver, 1, "3fff:0:0:ff00::", 56, 56, 0);
}
static void error_pdu(struct pdus *p, unsigned ver, unsigned code, const char *text, size_t tl)
{
	hdr(p, ver, OFD_RTR_ERROR_REPORT, code, (uint32_t)(8 + 4 + 8 + 4 + tl));
	u32(p, 8);
	hdr(p, ver, OFD_RTR_RESET_QUERY, 0, 8);
	u32(p, (uint32_t)tl);
	memcpy(p->b + p->n, text, tl);
	p->n += tl;
}

/* the output equals want[0..n), then is consumed */
static void out_is(struct ofd_rtr *r, const uint8_t *want, size_t n)
{
	size_t len;
	const uint8_t *o = ofd_rtr_output(r, &len);
	assert_int_equal(len, n);
	assert_memory_equal(o, want, n);
	ofd_rtr_sent(r, len);
}

static const uint8_t RESET_V1[] = {1, 2, 0, 0, 0, 0, 0, 8};
static const uint8_t RESET_V0[] = {0, 2, 0, 0, 0, 0, 0, 8};

static enum ofd_rpki state(const struct ofd_vrpset *s, const char *route, uint32_t origin)
{
	struct ofd_prefix p;
	assert_int_equal(ofd_prefix_parse(&p, route), 0);
	return ofd_vrpset_validate(s, &p, origin);
}

/* A client synchronised on the sample (session 0x1234, serial 5), the set checked. */
static struct ofd_rtr *synced(int64_t now, int bytewise)
{
	struct ofd_rtr *r;
	assert_int_equal(ofd_rtr_new(&r, NULL), 0);
	assert_int_equal(ofd_rtr_connected(r, now), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	struct pdus p = {.n = 0};
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x1234, 8);
	sample_vrps(&p, 1);
	eod(&p, 1, 0x1234, 5, 900, 300, 3600);
	int ev = 0;
	if (bytewise) {
		for (size_t i = 0; i < p.n; i++) {
			ev |= ofd_rtr_feed(r, p.b + i, 1, now);
			if (i + 1 < p.n)
				assert_int_equal(ev, 0);
		}
	} else {
		ev = ofd_rtr_feed(r, p.b, p.n, now);
	}
	assert_int_equal(ev, OFD_RTR_EV_SET);
	struct ofd_vrpset *s = ofd_rtr_take_set(r);
	assert_non_null(s);
	assert_null(ofd_rtr_take_set(r));
	assert_int_equal(ofd_vrpset_count(s), 6);
	vrp_check_sample(s);
	ofd_vrpset_free(s);
	uint16_t sid;
	uint32_t serial;
	assert_int_equal(ofd_rtr_session(r, &sid, &serial), 1);
	assert_int_equal(sid, 0x1234);
	assert_int_equal(serial, 5);
	unsigned a, b, c;
	ofd_rtr_intervals(r, &a, &b, &c);
	assert_int_equal(a, 900);
	assert_int_equal(b, 300);
	assert_int_equal(c, 3600);
	assert_int_equal(ofd_rtr_count(r), 6);
	assert_int_equal(ofd_rtr_stats(r)->announced, 6);
	return r;
}

static void full_exchange(void **state_)
{
	(void)state_;
	ofd_rtr_free(synced(1000, 1));
	ofd_rtr_free(synced(1000, 0));
}

static const uint8_t SERIAL_Q5[] = {1, 1, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 5};

static void serial_update(void **state_)
{
	(void)state_;
	struct ofd_rtr *r = synced(1000, 0);
	/* nothing before the refresh interval; then a Serial Query */
	assert_int_equal(ofd_rtr_next_ms(r, 1000), 300000); /* at most the retry interval */
	assert_int_equal(ofd_rtr_tick(r, 1000 + 899999), 0);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 900000), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	int64_t now = 1000 + 900000;
	struct pdus p = {.n = 0};
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x1234, 8);
	v4(&p, 1, 0, "198.51.100.0", 24, 24, 64511); /* withdrawn */
	v4(&p, 1, 1, "10.0.0.0", 8, 16, 64512);	     /* announced */
	v6(&p, 1, 0, "3fff:0:0:ff00::", 56, 56, 0);  /* the AS0 VRP withdrawn */
	eod(&p, 1, 0x1234, 6, 900, 300, 3600);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), OFD_RTR_EV_SET);
	struct ofd_vrpset *s = ofd_rtr_take_set(r);
	assert_int_equal(ofd_vrpset_count(s), 5);
	assert_int_equal(state(s, "198.51.100.0/24", 64511), OFD_RPKI_INVALID);
	assert_int_equal(state(s, "198.51.100.0/24", 64510), OFD_RPKI_VALID);
	assert_int_equal(state(s, "10.1.0.0/16", 64512), OFD_RPKI_VALID);
	assert_int_equal(state(s, "10.1.1.0/24", 64512), OFD_RPKI_INVALID);
	assert_int_equal(state(s, "3fff:0:0:ff00::/56", 64496), OFD_RPKI_NOTFOUND);
	assert_int_equal(state(s, "192.0.2.0/24", 64496), OFD_RPKI_VALID);
	ofd_vrpset_free(s);
	uint16_t sid;
	uint32_t serial;
	assert_int_equal(ofd_rtr_session(r, &sid, &serial), 1);
	assert_int_equal(serial, 6);
	assert_int_equal(ofd_rtr_stats(r)->withdrawn, 2);

	/* a refresh without change: End of Data, no new set, the serial moves on */
	assert_int_equal(ofd_rtr_tick(r, now + 900000), OFD_RTR_EV_OUTPUT);
	const uint8_t q6a[] = {1, 1, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 6};
	out_is(r, q6a, 12);
	now += 900000;
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x1234, 8);
	eod(&p, 1, 0x1234, 7, 900, 300, 3600);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), 0);
	assert_null(ofd_rtr_take_set(r));
	assert_int_equal(ofd_rtr_stats(r)->unchanged, 1);
	assert_int_equal(ofd_rtr_count(r), 5);

	/* Serial Notify when idle: a Serial Query at once */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_SERIAL_NOTIFY, 0x1234, 12);
	u32(&p, 7);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), OFD_RTR_EV_OUTPUT);
	const uint8_t q7[] = {1, 1, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 7};
	out_is(r, q7, 12);
	/* a Cache Reset answers it: a Reset Query, then a whole new set */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESET, 0, 8);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	assert_int_equal(ofd_rtr_session(r, &sid, &serial), 0);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x4321, 8);
	v4(&p, 1, 1, "192.0.2.0", 24, 32, 1);
	eod(&p, 1, 0x4321, 1, 900, 300, 3600);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), OFD_RTR_EV_SET);
	s = ofd_rtr_take_set(r);
	assert_int_equal(ofd_vrpset_count(s), 1);
	assert_int_equal(state(s, "192.0.2.0/24", 64496), OFD_RPKI_INVALID);
	assert_int_equal(state(s, "192.0.2.128/25", 1), OFD_RPKI_VALID);
	assert_int_equal(state(s, "10.0.0.0/8", 64512), OFD_RPKI_NOTFOUND);
	ofd_vrpset_free(s);
	assert_int_equal(ofd_rtr_stats(r)->resets, 1);
	assert_int_equal(ofd_rtr_stats(r)->notifies, 1);
	ofd_rtr_free(r);
}

/* feeding p closes the session with an Error Report of code `code` */
static void closes_with(struct ofd_rtr *r, const struct pdus *p, unsigned ver, unsigned code)
{
	int ev = ofd_rtr_feed(r, p->b, p->n, 5000);
	assert_int_equal(ev, OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR | OFD_RTR_EV_OUTPUT);
	size_t len;
	const uint8_t *o = ofd_rtr_output(r, &len);
	assert_true(len >= 16);
	assert_int_equal(o[0], ver);
	assert_int_equal(o[1], OFD_RTR_ERROR_REPORT);
	assert_int_equal(o[2] << 8 | o[3], code);
	assert_int_equal((uint32_t)o[4] << 24 | o[5] << 16 | o[6] << 8 | o[7], len);
	assert_non_null(strstr(ofd_rtr_last_error(r), "sent Error Report"));
	assert_null(ofd_rtr_take_set(r));
	/* further bytes are ignored until a new connection, which starts from a Reset Query */
	assert_int_equal(ofd_rtr_feed(r, p->b, p->n, 5000), 0);
	ofd_rtr_sent(r, len);
	assert_int_equal(ofd_rtr_connected(r, 5000), OFD_RTR_EV_OUTPUT);
	out_is(r, ver ? RESET_V1 : RESET_V0, 8);
}

static void errors_sent(void **state_)
{
	(void)state_;
	struct pdus p;
	struct ofd_rtr *r = synced(1000, 0);
	/* a withdrawal of an absent VRP */
	assert_int_equal(ofd_rtr_tick(r, 1000 + 900000), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x1234, 8);
	v4(&p, 1, 0, "198.51.100.0", 24, 25, 64511);
	closes_with(r, &p, 1, OFD_RTR_ERR_WITHDRAW_UNKNOWN);
	/* the committed VRPs did not change */
	assert_int_equal(ofd_rtr_count(r), 6);

	/* a duplicate announcement in a reset response */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	v4(&p, 1, 1, "192.0.2.0", 24, 24, 1);
	v4(&p, 1, 1, "192.0.2.0", 24, 24, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_DUPLICATE);

	/* lengths: under 8, over the cap, wrong for the type */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 7);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 0x7fffffff);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	hdr(&p, 1, OFD_RTR_IPV4_PREFIX, 0, 24);
	u32(&p, 0x01181800);
	u32(&p, 0xc0000200);
	u32(&p, 1);
	u32(&p, 0);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	/* a version 0 End of Data (12 bytes) in a version 1 session */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	hdr(&p, 1, OFD_RTR_END_OF_DATA, 1, 12);
	u32(&p, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	/* an unknown type; an ASPA (type 11) too */
	p.n = 0;
	hdr(&p, 1, 99, 0, 8);
	closes_with(r, &p, 1, OFD_RTR_ERR_UNSUPPORTED_PDU);
	p.n = 0;
	hdr(&p, 1, 11, 0, 12);
	u32(&p, 0);
	closes_with(r, &p, 1, OFD_RTR_ERR_UNSUPPORTED_PDU);
	/* version 2, and version 0 after version 1 was established */
	p.n = 0;
	hdr(&p, 2, OFD_RTR_CACHE_RESPONSE, 1, 8);
	closes_with(r, &p, 1, OFD_RTR_ERR_UNSUPPORTED_VERSION);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	v4(&p, 0, 1, "192.0.2.0", 24, 24, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_UNEXPECTED_VERSION);
	/* a prefix outside a response; a maxLength below the length; over 32 */
	p.n = 0;
	v4(&p, 1, 1, "192.0.2.0", 24, 24, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	v4(&p, 1, 1, "192.0.2.0", 24, 23, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	v4(&p, 1, 1, "192.0.2.0", 24, 33, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	v6(&p, 1, 1, "2001:db8::1", 32, 48, 1); /* host bits */
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	/* an End of Data of another session */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	eod(&p, 1, 2, 1, 1, 1, 600);
	closes_with(r, &p, 1, OFD_RTR_ERR_CORRUPT);
	assert_true(ofd_rtr_stats(r)->errors_sent >= 15);
	assert_int_equal(ofd_rtr_count(r), 6);
	ofd_rtr_free(r);

	/* the VRP bound */
	struct ofd_rtr_opts o = {.max_vrps = 2};
	assert_int_equal(ofd_rtr_new(&r, &o), 0);
	assert_int_equal(ofd_rtr_connected(r, 0), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	sample_vrps(&p, 1);
	closes_with(r, &p, 1, OFD_RTR_ERR_INTERNAL);
	ofd_rtr_free(r);
}

static void errors_received(void **state_)
{
	(void)state_;
	struct ofd_rtr *r;
	assert_int_equal(ofd_rtr_new(&r, NULL), 0);
	assert_int_equal(ofd_rtr_connected(r, 0), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	/* No Data Available: not fatal, a new query after the retry interval (600 s) */
	struct pdus p = {.n = 0};
	error_pdu(&p, 1, OFD_RTR_ERR_NO_DATA, "not\x01yet\n", 8);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 0), OFD_RTR_EV_ERROR);
	assert_string_equal(ofd_rtr_last_error(r), "cache sent Error Report 2 (No Data Available): not?yet?");
	out_is(r, NULL, 0);
	assert_int_equal(ofd_rtr_tick(r, 599999), 0);
	assert_int_equal(ofd_rtr_tick(r, 600000), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	/* a fatal one with a long text: bounded to 255 characters, closes */
	static char text[3000];
	memset(text, 'x', sizeof(text));
	p.n = 0;
	error_pdu(&p, 1, OFD_RTR_ERR_INTERNAL, text, 1000);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 0), OFD_RTR_EV_ERROR | OFD_RTR_EV_CLOSE);
	const char *e = ofd_rtr_last_error(r);
	assert_int_equal(strlen(e), strlen("cache sent Error Report 1 (Internal Error): ") + 255);
	out_is(r, NULL, 0); /* never an Error Report about an Error Report */
	/* a malformed one (text length past the end) */
	assert_int_equal(ofd_rtr_connected(r, 0), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	p.n = 0;
	hdr(&p, 1, OFD_RTR_ERROR_REPORT, 3, 16);
	u32(&p, 0);
	u32(&p, 1000);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 0), OFD_RTR_EV_ERROR | OFD_RTR_EV_CLOSE);
	assert_non_null(strstr(ofd_rtr_last_error(r), "(malformed)"));
	assert_int_equal(ofd_rtr_stats(r)->errors_recv, 3);
	ofd_rtr_free(r);

	/* a cache restarted with a new session id answers our Serial Query with Corrupt Data
	   (stayrtr: "Session ID mismatch"): the session is forgotten, the next connection resets */
	r = synced(1000, 0);
	assert_int_equal(ofd_rtr_connected(r, 2000), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	p.n = 0;
	error_pdu(&p, 1, OFD_RTR_ERR_CORRUPT, "Session ID mismatch", 19);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 2000),
			 OFD_RTR_EV_ERROR | OFD_RTR_EV_CLOSE | OFD_RTR_EV_RESET); /* reconnect at once */
	uint16_t sid;
	uint32_t serial;
	assert_int_equal(ofd_rtr_session(r, &sid, &serial), 0);
	assert_int_equal(ofd_rtr_count(r), 6); /* the VRPs in force stay until the reset's End of Data */
	assert_int_equal(ofd_rtr_connected(r, 2000), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	ofd_rtr_free(r);
}

static void version_fallback(void **state_)
{
	(void)state_;
	struct ofd_rtr *r;
	assert_int_equal(ofd_rtr_new(&r, NULL), 0);
	assert_int_equal(ofd_rtr_version(r), 1);
	assert_int_equal(ofd_rtr_connected(r, 0), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	/* a version 0 cache: Unsupported Protocol Version in a version 0 PDU */
	struct pdus p = {.n = 0};
	error_pdu(&p, 0, OFD_RTR_ERR_UNSUPPORTED_VERSION, "v0 only", 7);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 0), OFD_RTR_EV_ERROR | OFD_RTR_EV_CLOSE);
	assert_int_equal(ofd_rtr_version(r), 0);
	assert_non_null(strstr(ofd_rtr_last_error(r), "falling back to RTR version 0"));
	out_is(r, NULL, 0);
	/* the next connection speaks version 0: 12-byte End of Data, default intervals */
	assert_int_equal(ofd_rtr_connected(r, 10), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V0, 8);
	p.n = 0;
	hdr(&p, 0, OFD_RTR_CACHE_RESPONSE, 7, 8);
	sample_vrps(&p, 0);
	eod(&p, 0, 7, 42, 0, 0, 0);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 10), OFD_RTR_EV_SET);
	struct ofd_vrpset *s = ofd_rtr_take_set(r);
	vrp_check_sample(s);
	ofd_vrpset_free(s);
	unsigned a, b, c;
	ofd_rtr_intervals(r, &a, &b, &c);
	assert_int_equal(a, 3600);
	assert_int_equal(b, 600);
	assert_int_equal(c, 7200);
	/* a version 1 PDU now is unexpected */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_SERIAL_NOTIFY, 7, 12);
	u32(&p, 43);
	closes_with(r, &p, 0, OFD_RTR_ERR_UNSUPPORTED_VERSION);
	assert_int_equal(ofd_rtr_stats(r)->downgrades, 1);
	ofd_rtr_free(r);

	/* a version 0 Cache Response to a version 1 query: fall back too */
	assert_int_equal(ofd_rtr_new(&r, NULL), 0);
	assert_int_equal(ofd_rtr_connected(r, 0), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	p.n = 0;
	hdr(&p, 0, OFD_RTR_CACHE_RESPONSE, 7, 8);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 0), OFD_RTR_EV_ERROR | OFD_RTR_EV_CLOSE);
	assert_int_equal(ofd_rtr_version(r), 0);
	ofd_rtr_free(r);
}

static void timers(void **state_)
{
	(void)state_;
	struct ofd_rtr *r = synced(1000, 0); /* refresh 900, retry 300, expire 3600 */
	/* a Serial Query unanswered for the retry interval: closed, the session forgotten */
	assert_int_equal(ofd_rtr_tick(r, 1000 + 900000), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	assert_int_equal(ofd_rtr_next_ms(r, 1000 + 900000), 300000);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 1200000),
			 OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR | OFD_RTR_EV_RESET);
	assert_string_equal(ofd_rtr_last_error(r),
			    "the retry interval (300 s) passed before any answer to the Serial Query "
			    "(session 4660, serial 5): session forgotten, a Reset Query next");
	assert_int_equal(ofd_rtr_disconnected(r, 1000 + 1200000), 0);
	/* the set is older than expire (3600 s) with no refresh: reported once */
	assert_int_equal(ofd_rtr_tick(r, 1000 + 3599999), 0);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 3600000), OFD_RTR_EV_EXPIRED);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 3700000), 0);
	assert_int_equal(ofd_rtr_stats(r)->expirations, 1);
	/* a reconnection starts again with a Reset Query; the VRPs are still held */
	assert_int_equal(ofd_rtr_connected(r, 1000 + 3700000), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	assert_int_equal(ofd_rtr_count(r), 6);
	assert_int_equal(ofd_rtr_stats(r)->unanswered, 1);
	ofd_rtr_free(r);
	/* out-of-range intervals are clamped to RFC 8210's ranges */
	assert_int_equal(ofd_rtr_new(&r, NULL), 0);
	(void)ofd_rtr_connected(r, 0);
	ofd_rtr_sent(r, 8);
	struct pdus p = {.n = 0};
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 1, 8);
	eod(&p, 1, 1, 1, 0, 1000000, 1);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, 0), OFD_RTR_EV_SET);
	ofd_vrpset_free(ofd_rtr_take_set(r));
	unsigned a, b, c;
	ofd_rtr_intervals(r, &a, &b, &c);
	assert_int_equal(a, 1);
	assert_int_equal(b, 7200);
	assert_int_equal(c, 600);
	ofd_rtr_free(r);
}

/* The connection ends before any answer to a Serial Query (stayrtr restarted with a new session
   id may close it without an Error Report): the session is forgotten, the next connection sends
   a Reset Query, and the VRPs in force stay until that query's End of Data replaces them */
static void unanswered_serial(void **state_)
{
	(void)state_;
	struct ofd_rtr *r = synced(1000, 0);
	int64_t now = 1000 + 900000;
	/* a connection lost while idle: the session is kept (a Serial Query next) */
	assert_int_equal(ofd_rtr_disconnected(r, now), 0);
	assert_int_equal(ofd_rtr_connected(r, now), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	/* lost after the Cache Response began: answered, kept too */
	struct pdus p = {.n = 0};
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x1234, 8);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), 0);
	assert_int_equal(ofd_rtr_disconnected(r, now), 0);
	assert_int_equal(ofd_rtr_connected(r, now), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	/* lost with the Serial Query unanswered: forgotten */
	assert_int_equal(ofd_rtr_disconnected(r, now), OFD_RTR_EV_RESET | OFD_RTR_EV_ERROR);
	assert_string_equal(ofd_rtr_last_error(r),
			    "connection ended before any answer to the Serial Query (session 4660, "
			    "serial 5): session forgotten, a Reset Query next");
	uint16_t sid;
	uint32_t serial;
	assert_int_equal(ofd_rtr_session(r, &sid, &serial), 0);
	assert_int_equal(ofd_rtr_stats(r)->unanswered, 1);
	assert_null(ofd_rtr_take_set(r));
	assert_int_equal(ofd_rtr_count(r), 6);
	assert_int_equal(ofd_rtr_tick(r, now + 1), 0); /* closed: no query of its own */
	/* the next connection resets */
	assert_int_equal(ofd_rtr_connected(r, now), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	assert_int_equal(ofd_rtr_stats(r)->reset_queries, 2);
	/* a Reset Query unanswered changes nothing more */
	assert_int_equal(ofd_rtr_disconnected(r, now), 0);
	assert_int_equal(ofd_rtr_stats(r)->unanswered, 1);
	assert_int_equal(ofd_rtr_connected(r, now), OFD_RTR_EV_OUTPUT);
	out_is(r, RESET_V1, 8);
	/* the new session's data: the old VRPs stay in force until its End of Data */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_CACHE_RESPONSE, 0x5678, 8);
	v4(&p, 1, 1, "192.0.2.0", 24, 24, 64511);
	v6(&p, 1, 1, "2001:db8::", 32, 48, 64496);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), 0);
	assert_null(ofd_rtr_take_set(r));
	assert_int_equal(ofd_rtr_count(r), 6);
	p.n = 0;
	eod(&p, 1, 0x5678, 1, 900, 300, 3600);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), OFD_RTR_EV_SET);
	struct ofd_vrpset *s = ofd_rtr_take_set(r);
	assert_int_equal(ofd_vrpset_count(s), 2);
	assert_int_equal(state(s, "192.0.2.0/24", 64496), OFD_RPKI_INVALID);
	assert_int_equal(state(s, "192.0.2.0/24", 64511), OFD_RPKI_VALID);
	assert_int_equal(state(s, "198.51.100.0/24", 64510), OFD_RPKI_NOTFOUND);
	assert_int_equal(state(s, "2001:db8::/32", 64496), OFD_RPKI_VALID);
	ofd_vrpset_free(s);
	assert_int_equal(ofd_rtr_count(r), 2);
	assert_int_equal(ofd_rtr_session(r, &sid, &serial), 1);
	assert_int_equal(sid, 0x5678);
	assert_int_equal(serial, 1);
	ofd_rtr_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(full_exchange),	 cmocka_unit_test(serial_update),
	    cmocka_unit_test(errors_sent),	 cmocka_unit_test(errors_received),
	    cmocka_unit_test(version_fallback),	 cmocka_unit_test(timers),
	    cmocka_unit_test(unanswered_serial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
