/*
 * BGP-4 codec (src/net/bgp_msg.h): framing, OPEN, NOTIFICATION and ROUTE-REFRESH on vectors
 * built here field by field, and the real BIRD 2 session of ../shared/data/bgp-bird-ibgp.pcap
 * (its oracle: data/README.md and bird-test.conf's comments) split and parsed whole. UPDATE
 * vectors: test_bgp_update.c; a live BIRD: test_bgp_bird.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "bgp_vec.h"
#include "bird_routes.h"
#include "net/bgp_msg.h"
#include "ofd/err.h"
#include "ofd/rd.h"

static struct ofd_bgp_update U; /* big: keep it off the stack */

/* ---------------------------------------------------------------------------------------- */

static void test_frame(void **state)
{
	(void)state;
	struct vec v, m;
	struct ofd_bgp_err e;
	size_t ml;
	uint8_t ka[19];
	assert_int_equal(ofd_bgp_keepalive_build(ka, sizeof(ka)), 19);
	assert_int_equal(ofd_bgp_frame(ka, 10, OFD_BGP_MAX_LEN, &ml, &e), 0);
	assert_int_equal(ml, 19);
	assert_int_equal(ofd_bgp_frame(ka, 19, OFD_BGP_MAX_LEN, &ml, &e), 1);
	assert_int_equal(ml, 19);
	/* a stream of KEEPALIVE + UPDATE(23) + half a KEEPALIVE */
	v.n = 0;
	v_bytes(&v, ka, 19);
	v_update(&m, NULL, NULL, NULL);
	v_bytes(&v, m.d, m.n);
	v_bytes(&v, ka, 7);
	size_t off = 0;
	assert_int_equal(ofd_bgp_frame(v.d + off, v.n - off, 4096, &ml, &e), 1);
	off += ml;
	assert_int_equal(ofd_bgp_frame(v.d + off, v.n - off, 4096, &ml, &e), 1);
	assert_int_equal(ml, 23);
	off += ml;
	assert_int_equal(ofd_bgp_frame(v.d + off, v.n - off, 4096, &ml, &e), 0);
	/* bad marker: 1/1 */
	memcpy(v.d, ka, 19);
	v.d[3] = 0xfe;
	assert_int_equal(ofd_bgp_frame(v.d, 19, 4096, &ml, &e), OFD_EFORMAT);
	assert_int_equal(e.code, 1);
	assert_int_equal(e.subcode, 1);
	/* KEEPALIVE of 20: 1/2 with the length as data */
	memcpy(v.d, ka, 19);
	v_put16(&v, 16, 20);
	assert_int_equal(ofd_bgp_frame(v.d, 19, 4096, &ml, &e), OFD_EFORMAT);
	assert_int_equal(e.code, 1);
	assert_int_equal(e.subcode, 2);
	assert_int_equal(e.data_len, 2);
	assert_int_equal(ofd_be16(e.data), 20);
	/* type 9: 1/3 */
	memcpy(v.d, ka, 19);
	v.d[18] = 9;
	assert_int_equal(ofd_bgp_frame(v.d, 19, 4096, &ml, &e), OFD_EFORMAT);
	assert_int_equal(e.subcode, 3);
	assert_int_equal(e.data[0], 9);
	/* UPDATE of 5000: refused at 4096, taken with extended messages; OPEN of 5000 never */
	memcpy(v.d, ka, 19);
	v.d[18] = 2;
	v_put16(&v, 16, 5000);
	assert_int_equal(ofd_bgp_frame(v.d, 19, OFD_BGP_MAX_LEN, &ml, &e), OFD_EFORMAT);
	assert_int_equal(e.subcode, 2);
	assert_int_equal(ofd_bgp_frame(v.d, 19, OFD_BGP_EXT_MAX_LEN, &ml, &e), 0);
	assert_int_equal(ml, 5000);
	v.d[18] = 1;
	assert_int_equal(ofd_bgp_frame(v.d, 19, OFD_BGP_EXT_MAX_LEN, &ml, &e), OFD_EFORMAT);
	/* UPDATE of 22: too short */
	v.d[18] = 2;
	v_put16(&v, 16, 22);
	assert_int_equal(ofd_bgp_frame(v.d, 22, OFD_BGP_MAX_LEN, &ml, &e), OFD_EFORMAT);
}

static void test_open_build_parse(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct ofd_bgp_open_cfg c = {
	    .asn = 4200000000u, .hold_time = 90, .bgp_id = 0xc0000201, .gr_time = 120, .ipv4 = 1, .ipv6 = 1};
	int n = ofd_bgp_open_build(buf, sizeof(buf), &c);
	assert_true(n > 29);
	vec_seed("open_ours.bin", buf, (size_t)n);
	assert_int_equal(ofd_bgp_open_build(buf, 40, &c), OFD_ELIMIT);
	struct ofd_bgp_open o;
	struct ofd_bgp_err e;
	n = ofd_bgp_open_build(buf, sizeof(buf), &c);
	assert_int_equal(ofd_bgp_open_parse(buf, (size_t)n, &o, &e), 0);
	assert_int_equal(o.version, 4);
	assert_int_equal(o.my_as, OFD_BGP_AS_TRANS);
	assert_int_equal(o.asn, 4200000000u);
	assert_int_equal(o.hold_time, 90);
	assert_int_equal(o.bgp_id, 0xc0000201);
	assert_int_equal(o.n_mp, 2);
	assert_int_equal(o.mp[0].afi, 1);
	assert_int_equal(o.mp[1].afi, 2);
	assert_int_equal(o.mp[1].safi, 1);
	assert_true(o.has_route_refresh && o.has_as4 && o.has_ext_msg && o.has_gr && o.has_addpath);
	assert_false(o.has_llgr || o.has_enhanced_rr);
	assert_int_equal(o.gr_time, 120);
	assert_int_equal(o.n_gr, 0);
	assert_int_equal(o.n_addpath, 2);
	assert_int_equal(o.addpath[0].flags, OFD_BGP_ADDPATH_RX);
	assert_int_equal(o.addpath[1].afi, 2);
	assert_int_equal(o.n_unknown, 0);
	/* bad config */
	c.hold_time = 2;
	assert_int_equal(ofd_bgp_open_build(buf, sizeof(buf), &c), OFD_EFORMAT);
}

/* An OPEN with the given optional parameters (raw), classic or RFC 9072 form. */
static void mk_open(struct vec *m, unsigned ver, unsigned as, unsigned hold, uint32_t id,
		    const struct vec *params, int ext)
{
	struct vec b = {.n = 0};
	v_u8(&b, ver);
	v_u16(&b, as);
	v_u16(&b, hold);
	v_u32(&b, id);
	if (ext) {
		v_u8(&b, 255);
		v_u8(&b, 255);
		v_u16(&b, (unsigned)params->n);
	} else {
		v_u8(&b, (unsigned)params->n);
	}
	v_bytes(&b, params->d, params->n);
	v_msg(m, 1, b.d, b.n);
}

static void test_open_caps(void **state)
{
	(void)state;
	static struct vec m, caps, p;
	struct ofd_bgp_open o;
	struct ofd_bgp_err e;
	caps.n = 0;
	/* GR: R bit, time 300, IPv4 unicast with F bit; ADD-PATH v4 send+receive, v6 send;
	   LLGR v6 stale 3600; enhanced RR; unknown 73 (FQDN) and 128 */
	static const uint8_t gr[] = {64, 6, 0x81, 0x2c, 0, 1, 1, 0x80};
	static const uint8_t ap[] = {69, 8, 0, 1, 1, 3, 0, 2, 1, 2};
	static const uint8_t llgr[] = {71, 7, 0, 2, 1, 0x80, 0, 0x0e, 0x10};
	static const uint8_t rest[] = {70, 0, 73, 3, 1, 'a', 0, 128, 0, 65, 4, 0, 1, 0, 0};
	v_bytes(&caps, gr, sizeof(gr));
	v_bytes(&caps, ap, sizeof(ap));
	v_bytes(&caps, llgr, sizeof(llgr));
	v_bytes(&caps, rest, sizeof(rest));
	p.n = 0;
	v_u8(&p, 2);
	v_u8(&p, (unsigned)caps.n);
	v_bytes(&p, caps.d, caps.n);
	mk_open(&m, 4, OFD_BGP_AS_TRANS, 180, 0x0a000001, &p, 0);
	vec_seed("open_caps.bin", m.d, m.n);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), 0);
	assert_int_equal(o.asn, 65536);
	assert_int_equal(o.gr_flags, 0x8);
	assert_int_equal(o.gr_time, 300);
	assert_int_equal(o.n_gr, 1);
	assert_int_equal(o.gr[0].afi, 1);
	assert_int_equal(o.gr[0].flags, 0x80);
	assert_int_equal(o.n_addpath, 2);
	assert_int_equal(o.addpath[0].flags, 3);
	assert_int_equal(o.addpath[1].afi, 2);
	assert_int_equal(o.addpath[1].flags, 2);
	assert_int_equal(o.n_llgr, 1);
	assert_int_equal(o.llgr[0].afi, 2);
	assert_int_equal(o.llgr[0].flags, 0x80);
	assert_int_equal(o.llgr[0].time, 3600);
	assert_true(o.has_enhanced_rr);
	assert_int_equal(o.n_unknown, 2);
	assert_int_equal(o.unknown[0].code, 73);
	assert_int_equal(o.unknown[0].len, 3);
	assert_int_equal(o.unknown[0].data[1], 'a');
	assert_int_equal(o.unknown[1].code, 128);
	assert_int_equal(o.n_caps, 7);
	assert_int_equal(o.ext_params, 0);

	/* the same in RFC 9072's extended form, capability lengths staying 1 byte */
	static struct vec px;
	px.n = 0;
	v_u8(&px, 2);
	v_u16(&px, (unsigned)caps.n);
	v_bytes(&px, caps.d, caps.n);
	mk_open(&m, 4, OFD_BGP_AS_TRANS, 180, 0x0a000001, &px, 1);
	vec_seed("open_rfc9072.bin", m.d, m.n);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), 0);
	assert_int_equal(o.ext_params, 1);
	assert_int_equal(o.asn, 65536);
	assert_int_equal(o.n_addpath, 2);

	/* errors */
	mk_open(&m, 3, 64500, 90, 1, &p, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
	assert_int_equal(e.code, 2);
	assert_int_equal(e.subcode, 1);
	assert_int_equal(ofd_be16(e.data), 4);
	mk_open(&m, 4, 64500, 2, 1, &p, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
	assert_int_equal(e.subcode, 6);
	mk_open(&m, 4, 64500, 0, 0, &p, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
	assert_int_equal(e.subcode, 3);
	mk_open(&m, 4, 0, 0, 1, &p, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
	assert_int_equal(e.subcode, 2);
	/* hold time 0 is fine */
	mk_open(&m, 4, 64500, 0, 1, &p, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), 0);
	/* a capability overrunning its parameter: 2/0 */
	p.d[1] = (uint8_t)(caps.n - 1);
	mk_open(&m, 4, 64500, 90, 1, &p, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
	assert_int_equal(e.code, 2);
	assert_int_equal(e.subcode, 0);
	/* a 4-octet AS capability of 3 bytes */
	static const uint8_t bad65[] = {2, 5, 65, 3, 0, 0, 1};
	struct vec pb = {.n = 0};
	v_bytes(&pb, bad65, sizeof(bad65));
	mk_open(&m, 4, 64500, 90, 1, &pb, 0);
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
	/* parameter length that is not the rest of the OPEN */
	mk_open(&m, 4, 64500, 90, 1, &pb, 0);
	m.d[28] = 9;
	assert_int_equal(ofd_bgp_open_parse(m.d, m.n, &o, &e), OFD_EFORMAT);
}

static void test_negotiate(void **state)
{
	(void)state;
	struct ofd_bgp_open a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.has_as4 = b.has_as4 = 1;
	a.has_ext_msg = 1;
	a.asn = b.asn = 64500;
	a.hold_time = 90;
	b.hold_time = 30;
	a.n_addpath = 2;
	a.addpath[0] = (struct ofd_bgp_af){1, 1, OFD_BGP_ADDPATH_RX, 0};
	a.addpath[1] = (struct ofd_bgp_af){2, 1, OFD_BGP_ADDPATH_RX, 0};
	b.n_addpath = 1;
	b.addpath[0] = (struct ofd_bgp_af){2, 1, 3, 0};
	struct ofd_bgp_sess s;
	ofd_bgp_negotiate(&a, &b, &s);
	assert_int_equal(s.as4, 1);
	assert_int_equal(s.ext_msg, 0);
	assert_int_equal(s.addpath_v4, 0);
	assert_int_equal(s.addpath_v6, 1);
	assert_int_equal(s.ibgp, 1);
	assert_int_equal(s.hold_time, 30);
}

static void test_notification(void **state)
{
	(void)state;
	uint8_t buf[600];
	const uint8_t text[] = {13, 'm', 'a', 'i', 'n', 't', '\n', 'n', 'a', 'n', 'c', 'e', 0xc3, 0xa9};
	int n = ofd_bgp_notification_build(buf, sizeof(buf), 6, 2, text, sizeof(text));
	assert_int_equal(n, 21 + 14);
	vec_seed("notification_shutdown.bin", buf, (size_t)n);
	struct ofd_bgp_notification nt;
	assert_int_equal(ofd_bgp_notification_parse(buf, (size_t)n, &nt), 0);
	assert_int_equal(nt.code, 6);
	assert_int_equal(nt.subcode, 2);
	assert_int_equal(nt.data_len, 14);
	assert_int_equal(nt.has_text, 1);
	assert_string_equal(nt.text, "maint?nance\xc3\xa9"); /* 13 claimed; the newline -> '?', UTF-8 kept */
	/* invalid UTF-8, a C1 control, an ESC and a bidi override: each a '?' */
	const uint8_t evil[] = {0xff, 'a', 0xc2, 0x9b, 0x1b, '[', 0xe2, 0x80, 0xae, 'b', 0xe2, 0x82};
	char clean[sizeof(evil) + 1];
	assert_int_equal(ofd_bgp_text_clean(clean, evil, sizeof(evil)), 9);
	assert_string_equal(clean, "?a??[?b??"); /* 13 claimed, control and non-ASCII bytes -> '?' */
	/* length byte overrunning the data: no text */
	buf[21] = 200;
	assert_int_equal(ofd_bgp_notification_parse(buf, (size_t)n, &nt), 0);
	assert_int_equal(nt.has_text, 0);
	/* 255-byte text kept whole and terminated */
	uint8_t big[256];
	big[0] = 255;
	memset(big + 1, 'x', 255);
	n = ofd_bgp_notification_build(buf, sizeof(buf), 6, 4, big, sizeof(big));
	assert_int_equal(ofd_bgp_notification_parse(buf, (size_t)n, &nt), 0);
	assert_int_equal(strlen(nt.text), 255);
	/* plain 3/1 with data, short message */
	n = ofd_bgp_notification_build(buf, sizeof(buf), 3, 1, NULL, 0);
	assert_int_equal(n, 21);
	assert_int_equal(ofd_bgp_notification_parse(buf, 21, &nt), 0);
	assert_int_equal(nt.has_text, 0);
	assert_int_equal(ofd_bgp_notification_parse(buf, 20, &nt), OFD_EFORMAT);
	/* ROUTE-REFRESH */
	uint16_t afi;
	uint8_t safi, sub;
	struct ofd_bgp_err e;
	n = ofd_bgp_route_refresh_build(buf, sizeof(buf), 2, 1, 1);
	assert_int_equal(n, 23);
	assert_int_equal(ofd_bgp_route_refresh_parse(buf, 23, &afi, &safi, &sub, &e), 0);
	assert_int_equal(afi, 2);
	assert_int_equal(safi, 1);
	assert_int_equal(sub, 1);
	assert_int_equal(ofd_bgp_route_refresh_parse(buf, 22, &afi, &safi, &sub, &e), OFD_EFORMAT);
	assert_int_equal(e.code, 7);
}

/* ---------------------------------------------------------------------------------------- */
/* The real BIRD 2 session */

struct stream {
	uint8_t d[8192];
	size_t n;
	uint32_t next_seq;
	int started;
};

/* TCP payloads of the capture, per direction (to port 1179 = BIRD's side, from it = peer). */
static void read_capture(struct stream *bird, struct stream *peer)
{
	const char *dir = getenv("OFD_DATA");
	char path[512];
	snprintf(path, sizeof(path), "%s/bgp-bird-ibgp.pcap", dir ? dir : "../shared/data");
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	if (!pc)
		print_error("%s: %s\n", path, eb);
	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *f;
	while (pcap_next_ex(pc, &h, &f) == 1) {
		if (h->caplen < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00)
			continue;
		const u_char *ip = f + 14;
		size_t ihl = (size_t)(ip[0] & 15) * 4, tot = ofd_be16(ip + 2);
		if (ip[9] != 6 || 14 + tot > h->caplen)
			continue;
		const u_char *tcp = ip + ihl;
		size_t thl = (size_t)(tcp[12] >> 4) * 4;
		uint16_t sp = ofd_be16(tcp), dp = ofd_be16(tcp + 2);
		uint32_t seq = ofd_be32(tcp + 4);
		size_t plen = tot - ihl - thl;
		struct stream *s = dp == 1179 ? bird : sp == 1179 ? peer : NULL;
		if (!s || plen == 0)
			continue;
		if (s->started && seq != s->next_seq)
			continue; /* a retransmission (none in this capture) */
		assert_true(s->n + plen <= sizeof(s->d));
		memcpy(s->d + s->n, tcp + thl, plen);
		s->n += plen;
		s->next_seq = seq + (uint32_t)plen;
		s->started = 1;
	}
	pcap_close(pc);
}

static void test_bird_capture(void **state)
{
	(void)state;
	static struct stream bird, peer;
	read_capture(&bird, &peer);
	size_t off = 0, ml;
	struct ofd_bgp_err e;
	int types[6] = {0}, seen[10] = {0}, eor4 = 0, eor6 = 0, updates = 0;
	struct ofd_bgp_open o;
	struct ofd_bgp_notification nt;
	struct ofd_bgp_sess s = {0};
	int notif = 0;
	while (off < bird.n) {
		assert_int_equal(ofd_bgp_frame(bird.d + off, bird.n - off, OFD_BGP_MAX_LEN, &ml, &e), 1);
		const uint8_t *msg = bird.d + off;
		types[msg[18]]++;
		char fn[64];
		switch (msg[18]) {
		case OFD_BGP_OPEN:
			vec_seed("open_bird.bin", msg, ml);
			assert_int_equal(ofd_bgp_open_parse(msg, ml, &o, &e), 0);
			assert_int_equal(o.asn, 64500);
			assert_int_equal(o.my_as, 64500);
			assert_int_equal(o.hold_time, 30);
			assert_int_equal(o.bgp_id, 0xc00002fe);
			assert_int_equal(o.n_mp, 2);
			assert_int_equal(o.mp[0].afi, 1);
			assert_int_equal(o.mp[0].safi, 1);
			assert_int_equal(o.mp[1].afi, 2);
			assert_true(o.has_route_refresh && o.has_gr && o.has_as4 && o.has_enhanced_rr &&
				    o.has_llgr);
			assert_false(o.has_addpath || o.has_ext_msg);
			assert_int_equal(o.as4, 64500);
			assert_int_equal(o.gr_time, 120);
			assert_int_equal(o.gr_flags, 0);
			assert_int_equal(o.n_gr, 0);
			assert_int_equal(o.n_llgr, 0);
			assert_int_equal(o.n_unknown, 0);
			assert_int_equal(o.n_caps, 7);
			/* our side of that session: 4-octet AS, iBGP */
			struct ofd_bgp_open ours;
			uint8_t ob[128];
			struct ofd_bgp_open_cfg c = {
			    .asn = 64500, .hold_time = 30, .bgp_id = 0xc00002fd, .ipv4 = 1, .ipv6 = 1};
			int on = ofd_bgp_open_build(ob, sizeof(ob), &c);
			assert_int_equal(ofd_bgp_open_parse(ob, (size_t)on, &ours, &e), 0);
			ofd_bgp_negotiate(&ours, &o, &s);
			assert_int_equal(s.as4, 1);
			assert_int_equal(s.ibgp, 1);
			assert_int_equal(s.addpath_v4, 0);
			break;
		case OFD_BGP_UPDATE: {
			snprintf(fn, sizeof(fn), "update_bird_%02d.bin", updates++);
			static uint8_t sb[4200];
			sb[0] = (uint8_t)(s.as4 | s.ibgp << 3);
			memcpy(sb + 1, msg, ml);
			vec_seed(fn, sb, ml + 1);
			assert_int_equal(ofd_bgp_update_parse(msg, ml, &s, &U), OFD_BGP_OK);
			if (U.eor) {
				if (U.eor_afi == 1)
					eor4++;
				else
					eor6++;
				break;
			}
			struct ofd_bgp_nlri_it it;
			struct ofd_prefix p;
			int k = 0;
			ofd_bgp_nlri_begin(&it, &U.nlri);
			while (ofd_bgp_nlri_next(&it, &p, NULL) == 1)
				check_route(&U, &p, seen), k++;
			ofd_bgp_nlri_begin(&it, &U.mp_reach);
			while (ofd_bgp_nlri_next(&it, &p, NULL) == 1)
				check_route(&U, &p, seen), k++;
			assert_int_equal(k, 1);
			assert_int_equal(U.withdrawn.count, 0);
			break;
		}
		case OFD_BGP_NOTIFICATION:
			vec_seed("notification_bird.bin", msg, ml);
			assert_int_equal(ofd_bgp_notification_parse(msg, ml, &nt), 0);
			assert_int_equal(nt.code, 6);
			assert_int_equal(nt.subcode, 2);
			assert_int_equal(nt.has_text, 0);
			notif++;
			break;
		}
		off += ml;
	}
	assert_int_equal(off, bird.n);
	assert_int_equal(types[OFD_BGP_OPEN], 1);
	assert_int_equal(types[OFD_BGP_KEEPALIVE], 1);
	assert_int_equal(types[OFD_BGP_UPDATE], 12);
	assert_int_equal(notif, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(eor4, 1);
	assert_int_equal(eor6, 1);

	/* the passive peer: OPEN (id 192.0.2.253), KEEPALIVE, the two End-of-RIBs */
	off = 0;
	eor4 = eor6 = 0;
	int n = 0;
	while (off < peer.n) {
		assert_int_equal(ofd_bgp_frame(peer.d + off, peer.n - off, OFD_BGP_MAX_LEN, &ml, &e), 1);
		const uint8_t *msg = peer.d + off;
		if (msg[18] == OFD_BGP_OPEN) {
			assert_int_equal(ofd_bgp_open_parse(msg, ml, &o, &e), 0);
			assert_int_equal(o.bgp_id, 0xc00002fd);
		} else if (msg[18] == OFD_BGP_UPDATE) {
			assert_int_equal(ofd_bgp_update_parse(msg, ml, &s, &U), OFD_BGP_OK);
			assert_int_equal(U.eor, 1);
			*(U.eor_afi == 1 ? &eor4 : &eor6) += 1;
		}
		off += ml;
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(eor4, 1);
	assert_int_equal(eor6, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame),	 cmocka_unit_test(test_open_build_parse),
	    cmocka_unit_test(test_open_caps),	 cmocka_unit_test(test_negotiate),
	    cmocka_unit_test(test_notification), cmocka_unit_test(test_bird_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
