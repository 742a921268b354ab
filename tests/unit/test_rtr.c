/*
 * net/rtr (RFC 8210 / 6810 client state machine) on PDUs built byte by byte: a full Reset
 * Query exchange fed one byte at a time (the 6 VRPs of vrps-sample.json, every RFC 6811 answer
 * of data/README.md on the set made), a Serial Query with a withdrawal and an announcement,
 * Serial Notify, Cache Reset, Error Reports received (sanitised, bounded, No Data Available),
 * the fallback to version 0, bad lengths, unknown types and versions, withdrawals of unknown
 * VRPs, duplicates, expiry and the retry timer; then net/rtr_conn against a real stayrtr
 * (Debian) on 127.0.0.1 serving vrps-sample.json: the same answers, then a VRP removed and one
 * added in the file, seen by the client after stayrtr's Serial Notify.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/rtr.h"
#include "net/rtr_conn.h"
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

	/* Serial Notify when idle: a Serial Query at once */
	p.n = 0;
	hdr(&p, 1, OFD_RTR_SERIAL_NOTIFY, 0x1234, 12);
	u32(&p, 7);
	assert_int_equal(ofd_rtr_feed(r, p.b, p.n, now), OFD_RTR_EV_OUTPUT);
	const uint8_t q6[] = {1, 1, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 6};
	out_is(r, q6, 12);
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
	/* a query unanswered for the retry interval: closed */
	assert_int_equal(ofd_rtr_tick(r, 1000 + 900000), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
	assert_int_equal(ofd_rtr_next_ms(r, 1000 + 900000), 300000);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 1200000), OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR);
	ofd_rtr_disconnected(r, 1000 + 1200000);
	/* the set is older than expire (3600 s) with no refresh: reported once */
	assert_int_equal(ofd_rtr_tick(r, 1000 + 3599999), 0);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 3600000), OFD_RTR_EV_EXPIRED);
	assert_int_equal(ofd_rtr_tick(r, 1000 + 3700000), 0);
	assert_int_equal(ofd_rtr_stats(r)->expirations, 1);
	/* a reconnection resumes the session with a Serial Query */
	assert_int_equal(ofd_rtr_connected(r, 1000 + 3700000), OFD_RTR_EV_OUTPUT);
	out_is(r, SERIAL_Q5, 12);
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

/* ---- against a real stayrtr ---- */

#define STAYRTR "/usr/bin/stayrtr"

struct collector {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ofd_vrpset *set;
	unsigned sets;
	char log[4096];
};

static void on_set(void *ctx, struct ofd_vrpset *s)
{
	struct collector *c = ctx;
	pthread_mutex_lock(&c->mu);
	ofd_vrpset_free(c->set);
	c->set = s;
	c->sets++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void on_log(void *ctx, const char *msg)
{
	struct collector *c = ctx;
	pthread_mutex_lock(&c->mu);
	size_t l = strlen(c->log);
	snprintf(c->log + l, sizeof(c->log) - l, "%s\n", msg);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Wait (at most ms) until c->sets >= n: 1, or 0 on timeout. */
static int wait_sets(struct collector *c, unsigned n, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mu);
	while (c->sets < n)
		if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0)
			break;
	int ok = c->sets >= n;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

static unsigned free_tcp_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void write_atomic(const char *path, const char *text)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static void *run_conn(void *arg)
{
	ofd_rtr_conn_run(arg);
	return NULL;
}

/* A scratch directory with vrps.json = the sample; text gets the sample's bytes. */
static void scratch(char *dir, char *json, size_t jl, char *text, size_t tl)
{
	assert_non_null(mkdtemp(dir));
	snprintf(json, jl, "%s/vrps.json", dir);
	const char *data = getenv("OFD_DATA");
	char src[600];
	snprintf(src, sizeof(src), "%s/vrps-sample.json", data ? data : "../../shared/data");
	FILE *f = fopen(src, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, tl - 1, f);
	fclose(f);
	text[n] = 0;
	write_atomic(json, text);
}

/* Start stayrtr on a free port of 127.0.0.1 serving json (RTR protocol version `protocol`):
   no metrics listener, no staleness check of the JSON, the file polled every second. */
static pid_t stayrtr_start(const char *dir, const char *json, unsigned protocol, char *port, size_t pl)
{
	char logpath[600], bind_[64], proto[8];
	snprintf(logpath, sizeof(logpath), "%s/stayrtr.log", dir);
	unsigned p = free_tcp_port();
	snprintf(bind_, sizeof(bind_), "127.0.0.1:%u", p);
	snprintf(port, pl, "%u", p);
	snprintf(proto, sizeof(proto), "%u", protocol);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char *argv[] = {STAYRTR,
				"-bind",
				bind_,
				"-cache",
				(char *)json,
				"-metrics.addr",
				"",
				"-checktime=false",
				"-refresh",
				"1",
				"-protocol",
				proto,
				"-rtr.refresh",
				"3600",
				"-rtr.retry",
				"600",
				"-rtr.expire",
				"7200",
				NULL};
		execv(STAYRTR, argv);
		_exit(127);
	}
	return pid;
}

static void stayrtr_stop(pid_t pid, const char *dir)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	char path[600];
	snprintf(path, sizeof(path), "%s/stayrtr.log", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vrps.json", dir);
	unlink(path);
	rmdir(dir);
}

/* A driver on 127.0.0.1:port (20..200 ms backoff: it retries until the server listens). */
static struct ofd_rtr_conn *client(struct collector *col, const char *port, pthread_t *th)
{
	struct ofd_rtr_conn_opts o = {.host = "127.0.0.1",
				      .port = port,
				      .connect_timeout_ms = 1000,
				      .backoff_min_ms = 20,
				      .backoff_max_ms = 200,
				      .on_set = on_set,
				      .on_log = on_log,
				      .ctx = col};
	struct ofd_rtr_conn *c;
	assert_int_equal(ofd_rtr_conn_new(&c, &o), 0);
	assert_int_equal(pthread_create(th, NULL, run_conn, c), 0);
	return c;
}

static void stayrtr(void **state_)
{
	(void)state_;
	if (access(STAYRTR, X_OK) != 0)
		skip();
	char dir[] = "/tmp/ofd-rtr-XXXXXX", json[600], port[16];
	static char text[8192];
	scratch(dir, json, sizeof(json), text, sizeof(text));
	pid_t pid = stayrtr_start(dir, json, 2, port, sizeof(port)); /* its default: 8210bis */
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client(&col, port, &th);
	/* until stayrtr listens and answers: 15 s at most */
	int ok = wait_sets(&col, 1, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	vrp_check_sample(col.set);
	pthread_mutex_unlock(&col.mu);

	/* a VRP removed (AS64511's), one added (10.0.0.0/8-16 AS64512): stayrtr sees the file
	   change within its 1 s refresh, sends a Serial Notify, the client asks for the deltas */
	char *cut = strstr(text, "\t\t{ \"asn\": \"AS64511\"");
	assert_non_null(cut);
	char *eol = strchr(cut, '\n');
	memmove(cut, eol + 1, strlen(eol + 1) + 1);
	char *last = strstr(text, "\t]");
	assert_non_null(last);
	char tail[256];
	snprintf(tail, sizeof(tail), "%s", last);
	snprintf(last - 1, sizeof(text) - (size_t)(last - 1 - text),
		 ",\n\t\t{ \"asn\": \"AS64512\", \"prefix\": \"10.0.0.0/8\", \"maxLength\": 16, \"ta\": "
		 "\"test\" }\n%s",
		 tail);
	write_atomic(json, text);
	ok = wait_sets(&col, 2, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	assert_int_equal(state(col.set, "198.51.100.0/24", 64511), OFD_RPKI_INVALID);
	assert_int_equal(state(col.set, "198.51.100.0/24", 64510), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.1.0.0/16", 64512), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "10.1.1.0/24", 64512), OFD_RPKI_INVALID);
	assert_int_equal(state(col.set, "192.0.2.0/24", 64496), OFD_RPKI_VALID);
	assert_int_equal(state(col.set, "3fff:0:0:ff00::/56", 64496), OFD_RPKI_INVALID);
	pthread_mutex_unlock(&col.mu);

	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	const struct ofd_rtr *r = ofd_rtr_conn_rtr(c);
	assert_int_equal(ofd_rtr_version(r), 1);
	assert_true(ofd_rtr_stats(r)->notifies >= 1);
	assert_int_equal(ofd_rtr_stats(r)->withdrawn, 1); /* the second set came as a delta */
	assert_int_equal(ofd_rtr_stats(r)->announced, 7);
	assert_int_equal(ofd_rtr_stats(r)->errors_sent, 0);
	assert_int_equal(atomic_load(&ofd_rtr_conn_stats(c)->sets), 2);
	ofd_rtr_conn_free(c);
	ofd_vrpset_free(col.set);
	stayrtr_stop(pid, dir);
}

/* stayrtr limited to RFC 6810 answers our version 1 Reset Query in version 0: the client falls
   back, reconnects in version 0 and gets the same set */
static void stayrtr_version0(void **state_)
{
	(void)state_;
	if (access(STAYRTR, X_OK) != 0)
		skip();
	char dir[] = "/tmp/ofd-rtr-XXXXXX", json[600], port[16];
	static char text[8192];
	scratch(dir, json, sizeof(json), text, sizeof(text));
	pid_t pid = stayrtr_start(dir, json, 0, port, sizeof(port));
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client(&col, port, &th);
	int ok = wait_sets(&col, 1, 15000);
	if (!ok)
		print_message("client log:\n%s", col.log);
	assert_true(ok);
	pthread_mutex_lock(&col.mu);
	assert_int_equal(ofd_vrpset_count(col.set), 6);
	vrp_check_sample(col.set);
	assert_non_null(strstr(col.log, "falling back to RTR version 0"));
	pthread_mutex_unlock(&col.mu);
	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	const struct ofd_rtr *r = ofd_rtr_conn_rtr(c);
	assert_int_equal(ofd_rtr_version(r), 0);
	assert_int_equal(ofd_rtr_stats(r)->downgrades, 1);
	unsigned a, b, e;
	ofd_rtr_intervals(r, &a, &b, &e);
	assert_int_equal(a, 3600);
	assert_int_equal(e, 7200);
	assert_true(atomic_load(&ofd_rtr_conn_stats(c)->connects) >= 2);
	ofd_rtr_conn_free(c);
	ofd_vrpset_free(col.set);
	stayrtr_stop(pid, dir);
}

/* nothing listens: connect failures are counted and logged, stop ends run() at once */
static void refused_connect(void **state_)
{
	(void)state_;
	char port[16];
	snprintf(port, sizeof(port), "%u", free_tcp_port());
	struct collector col = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	struct ofd_rtr_conn *c = client(&col, port, &th);
	/* wait (10 s at most) for two failed attempts: the first at once, the next after 20 ms;
	   each is logged, and the log wakes us */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	int n = 0;
	pthread_mutex_lock(&col.mu);
	while ((n = (int)atomic_load(&ofd_rtr_conn_stats(c)->connect_failures)) < 2)
		if (pthread_cond_timedwait(&col.cv, &col.mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&col.mu);
	n = (int)atomic_load(&ofd_rtr_conn_stats(c)->connect_failures);
	assert_true(n >= 2);
	ofd_rtr_conn_stop(c);
	pthread_join(th, NULL);
	assert_non_null(strstr(col.log, "Connection refused"));
	assert_int_equal(atomic_load(&ofd_rtr_conn_stats(c)->connects), 0);
	ofd_rtr_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(full_exchange),	cmocka_unit_test(serial_update),
	    cmocka_unit_test(errors_sent),	cmocka_unit_test(errors_received),
	    cmocka_unit_test(version_fallback), cmocka_unit_test(timers),
	    cmocka_unit_test(stayrtr),		cmocka_unit_test(stayrtr_version0),
	    cmocka_unit_test(refused_connect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
