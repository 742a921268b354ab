/*
 * BMP v3 parser (src/net/bmp.h) on messages built here field by field: framing of a stream,
 * Initiation/Termination TLVs, Peer Up with both OPENs, Route Monitoring with 4- and 2-byte AS
 * paths (the A flag), Peer Down with a NOTIFICATION, Statistics and Route Mirroring skipped,
 * and hostile lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bgp_vec.h"
#include "net/bmp.h"
#include "ofd/err.h"
#include "ofd/rd.h"

static struct ofd_bmp_msg M;
static struct ofd_bgp_update U;

/* common header around a body */
static void bmp_msg(struct vec *out, unsigned type, const struct vec *body)
{
	out->n = 0;
	v_u8(out, 3);
	v_u32(out, (uint32_t)(6 + body->n));
	v_u8(out, type);
	v_bytes(out, body->d, body->n);
}

/* per-peer header: IPv4 192.0.2.1 (or IPv6 2001:db8::1 with V), AS, id 10.0.0.1, ts */
static void peer_hdr(struct vec *b, unsigned flags, uint32_t as)
{
	v_u8(b, 0);
	v_u8(b, flags);
	v_u32(b, 0);
	v_u32(b, 7);
	if (flags & OFD_BMP_F_V) {
		static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
		v_bytes(b, a6, 16);
	} else {
		static const uint8_t a4[16] = {[12] = 192, 0, 2, 1};
		v_bytes(b, a4, 16);
	}
	v_u32(b, as);
	v_u32(b, 0x0a000001);
	v_u32(b, 1764892800);
	v_u32(b, 250000);
}

static void test_frame_and_init(void **state)
{
	(void)state;
	static struct vec body, m, stream;
	body.n = 0;
	v_u16(&body, 2);
	v_u16(&body, 6);
	v_bytes(&body, "rtr-01", 6);
	v_u16(&body, 1);
	v_u16(&body, 9);
	v_bytes(&body, "BIRD\x01 2.0", 9);
	v_u16(&body, 0);
	v_u16(&body, 300);
	for (int i = 0; i < 300; i++)
		v_u8(&body, 'a' + i % 26);
	bmp_msg(&m, OFD_BMP_INITIATION, &body);
	vec_seed("bmp_init.bin", m.d, m.n);
	struct ofd_bmp_counts c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_int_equal(M.version, 3);
	assert_int_equal(M.type, OFD_BMP_INITIATION);
	assert_int_equal(M.has_peer, 0);
	assert_string_equal(M.sys_name, "rtr-01");
	assert_string_equal(M.sys_descr, "BIRD? 2.0");
	assert_int_equal(strlen(M.text), OFD_BMP_TEXT_MAX);
	assert_int_equal(M.text[26], 'a');
	assert_int_equal(M.tlvs, 3);
	assert_int_equal(c.msgs[OFD_BMP_INITIATION], 1);

	/* framing: the message twice in one buffer plus 3 bytes */
	stream.n = 0;
	v_bytes(&stream, m.d, m.n);
	v_bytes(&stream, m.d, m.n);
	v_bytes(&stream, m.d, 3);
	size_t off = 0, ml;
	assert_int_equal(ofd_bmp_frame(stream.d, stream.n, &ml), 1);
	assert_int_equal(ml, m.n);
	off += ml;
	assert_int_equal(ofd_bmp_frame(stream.d + off, stream.n - off, &ml), 1);
	off += ml;
	assert_int_equal(ofd_bmp_frame(stream.d + off, stream.n - off, &ml), 0);
	assert_int_equal(ml, 6);
	assert_int_equal(ofd_bmp_frame(m.d, 7, &ml), 0);
	assert_int_equal(ml, m.n);
	/* version 1, a length of 5 and one over the cap */
	stream.d[0] = 1;
	assert_int_equal(ofd_bmp_frame(stream.d, stream.n, &ml), OFD_EVERSION);
	assert_int_equal(ofd_bmp_parse(stream.d, m.n, &M, NULL, &c), OFD_EVERSION);
	stream.d[0] = 3;
	v_put16(&stream, 1, 0);
	v_put16(&stream, 3, 5);
	assert_int_equal(ofd_bmp_frame(stream.d, stream.n, &ml), OFD_EFORMAT);
	v_put16(&stream, 1, 2);
	assert_int_equal(ofd_bmp_frame(stream.d, stream.n, &ml), OFD_EFORMAT);
	/* a TLV overrunning the message */
	body.n = 0;
	v_u16(&body, 2);
	v_u16(&body, 10);
	v_bytes(&body, "rtr", 3);
	bmp_msg(&m, OFD_BMP_INITIATION, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), OFD_EFORMAT);
	assert_non_null(M.error);
	assert_int_equal(c.errors, 2);
	/* Termination: reason 4 and a string */
	body.n = 0;
	v_u16(&body, 0);
	v_u16(&body, 3);
	v_bytes(&body, "bye", 3);
	v_u16(&body, 1);
	v_u16(&body, 2);
	v_u16(&body, 4);
	bmp_msg(&m, OFD_BMP_TERMINATION, &body);
	vec_seed("bmp_term.bin", m.d, m.n);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_string_equal(M.text, "bye");
	assert_int_equal(M.has_term_reason, 1);
	assert_int_equal(M.term_reason, 4);
	/* a 300-byte UTF-8 text (150 x U+00E9) is cut at 254 bytes, not inside a character */
	body.n = 0;
	v_u16(&body, 0);
	v_u16(&body, 300);
	for (int i = 0; i < 150; i++)
		v_u8(&body, 0xc3), v_u8(&body, 0xa9);
	bmp_msg(&m, OFD_BMP_TERMINATION, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_int_equal(strlen(M.text), 254);
	assert_int_equal((uint8_t)M.text[253], 0xa9);
	/* unknown type 9 */
	m.d[5] = 9;
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), OFD_EFORMAT);
}

static void test_peer_up(void **state)
{
	(void)state;
	static struct vec body, m;
	uint8_t sent[128], recv[128];
	struct ofd_bgp_open_cfg a = {
	    .asn = 64500, .hold_time = 90, .bgp_id = 0x0a000001, .ipv4 = 1, .ipv6 = 1};
	struct ofd_bgp_open_cfg b = {.asn = 4200000000u, .hold_time = 30, .bgp_id = 0xc0000201, .ipv4 = 1};
	int ns = ofd_bgp_open_build(sent, sizeof(sent), &a), nr = ofd_bgp_open_build(recv, sizeof(recv), &b);
	body.n = 0;
	peer_hdr(&body, OFD_BMP_F_V, 4200000000u);
	static const uint8_t la[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	v_bytes(&body, la, 16);
	v_u16(&body, 179);
	v_u16(&body, 50123);
	v_bytes(&body, sent, (size_t)ns);
	v_bytes(&body, recv, (size_t)nr);
	v_u16(&body, 0);
	v_u16(&body, 4);
	v_bytes(&body, "eth0", 4);
	bmp_msg(&m, OFD_BMP_PEER_UP, &body);
	vec_seed("bmp_peer_up.bin", m.d, m.n);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, NULL), 0);
	char s[OFD_IP_STRLEN];
	assert_int_equal(M.has_peer, 1);
	assert_int_equal(M.peer.flags, OFD_BMP_F_V);
	assert_int_equal(M.peer.distinguisher, 7);
	ofd_ip_str(&M.peer.addr, s);
	assert_string_equal(s, "2001:db8::1");
	assert_int_equal(M.peer.as, 4200000000u);
	assert_int_equal(M.peer.bgp_id, 0x0a000001);
	assert_int_equal(M.peer.ts_sec, 1764892800);
	assert_int_equal(M.peer.ts_usec, 250000);
	ofd_ip_str(&M.local_addr, s);
	assert_string_equal(s, "2001:db8::2");
	assert_int_equal(M.local_port, 179);
	assert_int_equal(M.remote_port, 50123);
	assert_int_equal(M.sent_open.asn, 64500);
	assert_int_equal(M.sent_open.n_mp, 2);
	assert_int_equal(M.recv_open.asn, 4200000000u);
	assert_int_equal(M.recv_open.my_as, OFD_BGP_AS_TRANS);
	assert_int_equal(M.recv_open.n_mp, 1);
	assert_string_equal(M.text, "eth0");
	/* a received OPEN cut short */
	body.n -= 8 + (size_t)nr;
	v_bytes(&body, recv, (size_t)nr - 3);
	bmp_msg(&m, OFD_BMP_PEER_UP, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, NULL), OFD_EFORMAT);
}

/* An UPDATE for 192.0.2.0/24 with AS_PATH 64511 64496 as 4-byte or 2-byte ASNs. */
static void mk_rm_update(struct vec *m, int as2)
{
	static struct vec a, n;
	a.n = 0;
	static const uint8_t origin[] = {0x40, 1, 1, 0}, nh[] = {0x40, 3, 4, 192, 0, 2, 254},
			     lp[] = {0x40, 5, 4, 0, 0, 0, 200};
	v_bytes(&a, origin, 4);
	if (as2) {
		static const uint8_t p[] = {2, 2, 0xfb, 0xff, 0xfb, 0xf0};
		v_attr(&a, 0x40, 2, p, sizeof(p));
	} else {
		static const uint8_t p[] = {2, 2, 0, 0, 0xfb, 0xff, 0, 0, 0xfb, 0xf0};
		v_attr(&a, 0x40, 2, p, sizeof(p));
	}
	v_bytes(&a, nh, sizeof(nh));
	v_bytes(&a, lp, sizeof(lp));
	n.n = 0;
	static const uint8_t p4[] = {24, 192, 0, 2};
	v_bytes(&n, p4, 4);
	v_update(m, NULL, &a, &n);
}

static void test_route_monitoring(void **state)
{
	(void)state;
	static struct vec body, m, upd;
	struct ofd_bmp_counts c;
	memset(&c, 0, sizeof(c));
	for (int as2 = 0; as2 < 2; as2++) {
		mk_rm_update(&upd, as2);
		body.n = 0;
		peer_hdr(&body, (as2 ? OFD_BMP_F_A : 0) | OFD_BMP_F_L, 64511);
		v_bytes(&body, upd.d, upd.n);
		bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
		vec_seed(as2 ? "bmp_rm_as2.bin" : "bmp_rm_as4.bin", m.d, m.n);
		assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, &U, &c), 0);
		assert_int_equal(M.peer.flags & OFD_BMP_F_L, OFD_BMP_F_L);
		char s[OFD_IP_STRLEN];
		ofd_ip_str(&M.peer.addr, s);
		assert_string_equal(s, "192.0.2.1");
		assert_int_equal(M.bgp_len, upd.n);
		assert_int_equal(U.outcome, OFD_BGP_OK);
		assert_int_equal(U.path.n_asn, 2);
		assert_int_equal(U.path.asn[0], 64511);
		assert_int_equal(U.path.asn[1], 64496);
		assert_int_equal(U.local_pref, 200); /* kept: BMP does not say iBGP or eBGP */
		assert_int_equal(U.nlri.count, 1);
	}
	/* a 2-byte path read as 4-byte (A flag clear): malformed AS_PATH, treat-as-withdraw */
	mk_rm_update(&upd, 1);
	body.n = 0;
	peer_hdr(&body, 0, 64511);
	v_bytes(&body, upd.d, upd.n);
	bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, &U, &c), 0);
	assert_int_equal(U.outcome, OFD_BGP_TREAT_AS_WITHDRAW);
	assert_int_equal(c.msgs[OFD_BMP_ROUTE_MONITORING], 3);
	/* trailing bytes after the UPDATE, a per-peer header cut short, no UPDATE at all */
	v_u8(&body, 0);
	bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, &U, &c), OFD_EFORMAT);
	body.n = 30;
	bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, &U, &c), OFD_EFORMAT);
	body.n = 42;
	bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, &U, &c), OFD_EFORMAT);
	/* a KEEPALIVE where the UPDATE should be */
	uint8_t ka[19];
	assert_int_equal(ofd_bgp_keepalive_build(ka, sizeof(ka)), 19);
	v_bytes(&body, ka, 19);
	bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, &U, &c), OFD_EFORMAT);
	assert_int_equal(c.errors, 4);
	/* every cut of a valid message: an error, never a crash */
	mk_rm_update(&upd, 0);
	body.n = 0;
	peer_hdr(&body, 0, 64511);
	v_bytes(&body, upd.d, upd.n);
	bmp_msg(&m, OFD_BMP_ROUTE_MONITORING, &body);
	for (size_t n = 0; n < m.n; n++) {
		uint8_t *b = malloc(n ? n : 1);
		memcpy(b, m.d, n);
		if (n >= 6) {
			b[1] = 0, b[2] = 0, b[3] = (uint8_t)(n >> 8), b[4] = (uint8_t)n;
		}
		assert_int_not_equal(ofd_bmp_parse(b, n, &M, &U, NULL), 0);
		free(b);
	}
}

static void test_peer_down_stats_mirroring(void **state)
{
	(void)state;
	static struct vec body, m;
	uint8_t nb[64];
	const uint8_t text[] = {5, 'm', 'a', 'i', 'n', 't'};
	int nn = ofd_bgp_notification_build(nb, sizeof(nb), 6, 2, text, sizeof(text));
	struct ofd_bmp_counts c;
	memset(&c, 0, sizeof(c));
	body.n = 0;
	peer_hdr(&body, 0, 64511);
	v_u8(&body, 3);
	v_bytes(&body, nb, (size_t)nn);
	bmp_msg(&m, OFD_BMP_PEER_DOWN, &body);
	vec_seed("bmp_peer_down.bin", m.d, m.n);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_int_equal(M.down_reason, 3);
	assert_int_equal(M.has_notification, 1);
	assert_int_equal(M.notification.code, 6);
	assert_int_equal(M.notification.subcode, 2);
	assert_string_equal(M.notification.text, "maint");
	/* reason 2: FSM event */
	body.n = 0;
	peer_hdr(&body, 0, 64511);
	v_u8(&body, 2);
	v_u16(&body, 24);
	bmp_msg(&m, OFD_BMP_PEER_DOWN, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_int_equal(M.fsm_event, 24);
	assert_int_equal(M.has_notification, 0);
	/* reason 1 without its NOTIFICATION */
	body.n -= 2;
	body.d[body.n - 1] = 1;
	bmp_msg(&m, OFD_BMP_PEER_DOWN, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), OFD_EFORMAT);
	/* statistics: skipped, counted */
	body.n = 0;
	peer_hdr(&body, 0, 64511);
	v_u32(&body, 1);
	v_u16(&body, 7);
	v_u16(&body, 8);
	v_u32(&body, 0);
	v_u32(&body, 12345);
	bmp_msg(&m, OFD_BMP_STATS, &body);
	vec_seed("bmp_stats.bin", m.d, m.n);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_int_equal(M.stats_count, 1);
	assert_int_equal(c.stats_skipped, 1);
	/* route mirroring: skipped, counted */
	body.n = 0;
	peer_hdr(&body, 0, 64511);
	v_u16(&body, 1);
	v_u16(&body, 2);
	v_u16(&body, 0);
	bmp_msg(&m, OFD_BMP_ROUTE_MIRRORING, &body);
	assert_int_equal(ofd_bmp_parse(m.d, m.n, &M, NULL, &c), 0);
	assert_int_equal(c.mirroring_skipped, 1);
	assert_int_equal(c.msgs[OFD_BMP_PEER_DOWN], 2);
	assert_int_equal(c.errors, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_and_init),
	    cmocka_unit_test(test_peer_up),
	    cmocka_unit_test(test_route_monitoring),
	    cmocka_unit_test(test_peer_down_stats_mirroring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
