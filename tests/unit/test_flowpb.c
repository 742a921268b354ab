/*
 * Flows as protobuf (format/flowpb.c): with protobuf-c (ofd_pbc), our encoding byte for byte
 * equal to protobuf-c's packing of the same message built field by field (tests/gen/gen_pbc.h),
 * protobuf-c's bytes decoded by us and ours unpacked by protobuf-c, FlowMessage held against
 * EnrichedFlow; always: round trips of every field each schema carries, every truncation of a
 * valid message, hostile varints, wire types and lengths, unknown fields of each wire type,
 * packed and unpacked lists, value ranges, legacy times, strings, the delimited helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowpb.h"
#include "format/protojson.h"
#ifdef OFD_HAVE_PROTOBUF_C
#include "gen_pbc.h"
#endif

static struct ofd_batch strs;
static uint8_t buf[OFD_PB_MAX], buf2[OFD_PB_MAX];

static int setup(void **st)
{
	(void)st;
	ofd_batch_init(&strs, NULL, NULL);
	return 0;
}

/* FlowMessage's field numbers, from proto/flow.proto (held against protobuf-c's descriptor). */
static const unsigned legacy_nums[] = {1,  3,	4,   6,	  7,   9,   10,	 11,  12,  13,	14, 15, 16,
				       17, 18,	19,  20,  21,  22,  23,	 24,  25,  26,	27, 28, 29,
				       30, 31,	32,  33,  34,  35,  36,	 37,  38,  70,	71, 80, 81,
				       82, 100, 101, 102, 103, 104, 105, 106, 110, 111, 112};

static int is_legacy(unsigned num)
{
	for (size_t i = 0; i < sizeof(legacy_nums) / sizeof(legacy_nums[0]); i++)
		if (legacy_nums[i] == num)
			return 1;
	return 0;
}

/* ---- records ---- */

static void base_present(struct ofd_flow *f)
{
	for (unsigned id = OFD_F_TYPE; id <= OFD_F_ENGINE_ID; id++)
		ofd_flow_set(f, id);
}

/* A NetFlow v9 record as the decoder makes it: base fields only. */
static void rec_v4_plain(struct ofd_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->type = OFD_FT_NETFLOW_V9;
	f->time_received_ns = 1733300000123456789ull;
	f->time_flow_start_ns = 1733299990000000000ull;
	f->time_flow_end_ns = 1733299999500000000ull;
	f->sequence_num = 987654;
	f->sampling_rate = 1000;
	ofd_ip_set4u(&f->sampler_address, 0x0a000001);
	f->bytes = 1234567;
	f->packets = 890;
	ofd_ip_set4u(&f->src_addr, 0xc0000281);
	ofd_ip_set4u(&f->dst_addr, 0xc6336402);
	f->etype = 0x0800;
	f->proto = 6;
	f->src_port = 443;
	f->dst_port = 51234;
	f->in_if = 3;
	f->out_if = 700;
	f->src_mac = 0x0011223344ull;
	f->dst_mac = 0xa0b0c0d0e0f0ull;
	f->src_vlan = 100;
	f->ip_tos = 0x28;
	f->forwarding_status = 64;
	f->ip_ttl = 57;
	f->ip_flags = 2;
	f->tcp_flags = 0x1b;
	f->fragment_id = 54321;
	f->src_as = 64500;
	f->dst_as = 4200000000u;
	ofd_ip_set4u(&f->next_hop, 0x0a0000fe);
	f->src_net = 24;
	f->dst_net = 16;
	ofd_ip_set4u(&f->bgp_next_hop, 0x0a0000fd);
	f->observation_domain_id = 256;
	f->engine_type = 1; /* in neither schema */
	f->engine_id = 2;
	base_present(f);
}

/* The same with what a v9 template adds besides: direction, VRFs, the top MPLS label. */
static void rec_v4(struct ofd_flow *f)
{
	rec_v4_plain(f);
	f->flow_direction = OFD_DIR_EGRESS;
	f->src_vrf = 10;
	f->mpls_label = 16004;
	ofd_flow_set(f, OFD_F_FLOW_DIRECTION);
	ofd_flow_set(f, OFD_F_SRC_VRF);
}

/* IPv6 with every kind of enriched field: strings, lists, the label stack, enums. */
static void rec_v6(struct ofd_flow *f)
{
	static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
	static const uint8_t d6[16] = {0x2a, 0x00, 0x14, 0x50, 0x40, 0x01, 0x08, 0x0e, [15] = 0x0e};
	static const uint8_t n6[16] = {0xfe, 0x80, [15] = 1};
	memset(f, 0, sizeof(*f));
	f->type = OFD_FT_IPFIX;
	f->time_received_ns = 1733300000999999999ull;
	f->time_flow_start_ns = 1733300000000000000ull;
	f->time_flow_end_ns = 1733300000500000000ull;
	f->sequence_num = 7;
	f->sampling_rate = 1;
	ofd_ip_set6(&f->sampler_address, n6);
	f->bytes = 9000000000ull;
	f->packets = 6000000;
	ofd_ip_set6(&f->src_addr, s6);
	ofd_ip_set6(&f->dst_addr, d6);
	f->etype = 0x86dd;
	f->proto = 17;
	f->src_port = 53;
	f->dst_port = 33000;
	f->in_if = 100000;
	f->out_if = 2;
	f->ipv6_flow_label = 0xabcde;
	f->icmp_type = 0;
	f->ip_ttl = 64;
	f->src_as = 15169;
	f->dst_as = 3320;
	f->next_hop_as = 3320;
	ofd_ip_set6(&f->next_hop, n6);
	ofd_ip_set6(&f->bgp_next_hop, d6);
	f->src_net = 48;
	f->dst_net = 32;
	f->observation_point_id = 5;
	f->vlan_id = 4000;
	f->dst_vlan = 12;
	f->fragment_offset = 185;
	f->rpki = OFD_RPKI_VALID;
	base_present(f);
	f->mpls_stack.lse[0] = 16004u << 12 | 255;
	f->mpls_stack.lse[1] = 24001u << 12 | 254;
	f->mpls_stack.lse[2] = 3u << 12 | 1u << 8 | 253;
	f->mpls_stack.n = 3;
	f->mpls_label = 16004;
	ofd_ip_set4u(&f->mpls_ip, 0x0a090807);
	f->as_path[0] = 15169, f->as_path[1] = 4200000000u, f->as_path[2] = 3320, f->as_path_len = 3;
	f->bgp_communities.v[0] = 3320u << 16 | 100, f->bgp_communities.v[1] = 1, f->bgp_communities.n = 2;
	f->in_if_name = "xe-0/0/1";
	f->in_if_desc = "uplink \xe2\x86\x92 Z\xc3\xbcrich";
	f->in_if_speed = 10000000000ull;
	f->out_if_name = "et-1/2/3";
	f->out_if_speed = 400000000000ull;
	f->src_host_name = "dns.google";
	f->proto_name = "UDP";
	f->note = "seen by flowpb";
	f->cid_string = "customer 7";
	f->src_as_name = "GOOGLE";
	f->sampler_host_name = "r1.example.net";
	f->src_country[0] = 'U', f->src_country[1] = 'S';
	f->dst_country[0] = 'D', f->dst_country[1] = 'E';
	f->remote_country[0] = 'U', f->remote_country[1] = 'S';
	f->rpki = OFD_RPKI_NOTFOUND;
	f->src_addr_anon = OFD_ANON_CRYPTOPAN;
	f->src_addr_preserved_len = 48;
	f->normalized = 1;
	f->remote_addr = OFD_REMOTE_SRC;
	f->src_cid = 77;
	f->med = 50;
	f->local_pref = 200;
	f->src_vrf = 10;
	f->dst_vrf = 20;
	f->bi_flow_direction = 2;
	f->cid = 9;
	f->net_id = 3;
	f->dst_id = 300;
	f->flow_direction = OFD_DIR_INGRESS;
	static const unsigned ids[] = {OFD_F_MPLS_STACK,
				       OFD_F_MPLS_IP,
				       OFD_F_AS_PATH,
				       OFD_F_BGP_COMMUNITIES,
				       OFD_F_IN_IF_NAME,
				       OFD_F_IN_IF_DESC,
				       OFD_F_IN_IF_SPEED,
				       OFD_F_OUT_IF_NAME,
				       OFD_F_OUT_IF_SPEED,
				       OFD_F_SRC_HOST_NAME,
				       OFD_F_PROTO_NAME,
				       OFD_F_NOTE,
				       OFD_F_CID_STRING,
				       OFD_F_SRC_AS_NAME,
				       OFD_F_SAMPLER_HOST_NAME,
				       OFD_F_SRC_COUNTRY,
				       OFD_F_DST_COUNTRY,
				       OFD_F_REMOTE_COUNTRY,
				       OFD_F_RPKI,
				       OFD_F_SRC_ADDR_ANON,
				       OFD_F_SRC_ADDR_PRESERVED_LEN,
				       OFD_F_NORMALIZED,
				       OFD_F_REMOTE_ADDR,
				       OFD_F_SRC_CID,
				       OFD_F_MED,
				       OFD_F_LOCAL_PREF,
				       OFD_F_SRC_VRF,
				       OFD_F_DST_VRF,
				       OFD_F_BI_FLOW_DIRECTION,
				       OFD_F_CID,
				       OFD_F_NET_ID,
				       OFD_F_DST_ID,
				       OFD_F_FLOW_DIRECTION};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ofd_flow_set(f, ids[i]);
}

/* rpki Invalid and the other enum values; sparse: dropfields took bytes and src_port. */
static void rec_sparse(struct ofd_flow *f)
{
	rec_v4(f);
	f->rpki = OFD_RPKI_INVALID;
	f->remote_addr = OFD_REMOTE_DST;
	f->dst_addr_anon = OFD_ANON_BOTH;
	ofd_flow_set(f, OFD_F_RPKI);
	ofd_flow_set(f, OFD_F_REMOTE_ADDR);
	ofd_flow_set(f, OFD_F_DST_ADDR_ANON);
	f->sparse = 1;
	ofd_flow_clear(f, OFD_F_BYTES);
	ofd_flow_clear(f, OFD_F_SRC_PORT);
}

static void rec_zero(struct ofd_flow *f)
{
	memset(f, 0, sizeof(*f));
}

typedef void (*rec_fn)(struct ofd_flow *);
static const rec_fn recs[] = {rec_v4_plain, rec_v4, rec_v6, rec_sparse, rec_zero};
#define NRECS (sizeof(recs) / sizeof(recs[0]))
static const enum ofd_pb_schema schemas[] = {OFD_PB_ENRICHED, OFD_PB_LEGACY};

/* ---- comparing records ---- */

/* Whether a schema carries field id (a written entry of protojson_fields.def for it). */
static int carried(unsigned id, enum ofd_pb_schema s)
{
	for (unsigned i = 0; i < ofd_pj_nfields; i++) {
		const struct ofd_pj_field *e = &ofd_pj_fields[i];
		if (e->field == (int)id && e->conv != OFD_PJ_SKIP && e->conv != OFD_PJ_SEC &&
		    e->conv != OFD_PJ_MS && (s == OFD_PB_ENRICHED || is_legacy(e->number)))
			return 1;
	}
	return 0;
}

/* got has every field of want the schema carries (and sparse-dropped base fields zero), and
   nothing else. */
static void expect_carried(const struct ofd_flow *want, const struct ofd_flow *got, enum ofd_pb_schema s)
{
	for (unsigned id = 0; id < OFD_F__STORED; id++) {
		const struct ofd_field_info *d = &ofd_fields[id];
		int c = carried(id, s) &&
			(!want->sparse || d->cls == OFD_FC_ENRICHED || ofd_flow_has(want, id)) &&
			(d->cls != OFD_FC_ENRICHED || ofd_flow_has(want, id));
		const unsigned char *a = (const unsigned char *)want + d->off,
				    *b = (const unsigned char *)got + d->off;
		if (d->kind == OFD_FK_STR) {
			const char *x, *y;
			memcpy(&x, a, sizeof(x));
			memcpy(&y, b, sizeof(y));
			if (!c || !x) {
				if (y)
					fail_msg("field %s: \"%s\" not expected", d->name, y);
			} else {
				if (!y || strcmp(x, y) != 0)
					fail_msg("field %s: \"%s\" expected, got \"%s\"", d->name, x,
						 y ? y : "(null)");
			}
			continue;
		}
		static const unsigned char zero[sizeof(struct ofd_flow)];
		if (memcmp(c ? a : zero, b, d->size) != 0)
			fail_msg("field %s differs", d->name);
		if (d->aux_off != d->off && memcmp(c ? (const unsigned char *)want + d->aux_off : zero,
						   (const unsigned char *)got + d->aux_off, d->aux_size) != 0)
			fail_msg("field %s: companion differs", d->name);
		/* present when it has a value (proto3 leaves zero out: an enriched 0 comes back absent) */
		if (c && d->cls == OFD_FC_ENRICHED && memcmp(a, zero, d->size) != 0 && !ofd_flow_has(got, id))
			fail_msg("field %s: not present", d->name);
	}
}

static size_t enc(const struct ofd_flow *f, enum ofd_pb_schema s, uint8_t *out)
{
	size_t n = ofd_pb_encode(f, s, out, OFD_PB_MAX);
	assert_true(n > 0 || f->present.w[0] == 0);
	return n;
}

static void hexdiff(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	size_t i = 0;
	while (i < na && i < nb && a[i] == b[i])
		i++;
	fprintf(stderr, "lengths %zu %zu, first difference at %zu:", na, nb, i);
	for (size_t k = i; k < i + 12 && k < na; k++)
		fprintf(stderr, " %02x", a[k]);
	fprintf(stderr, " |");
	for (size_t k = i; k < i + 12 && k < nb; k++)
		fprintf(stderr, " %02x", b[k]);
	fprintf(stderr, "\n");
}

/* ---- round trips ---- */

static void test_round_trip(void **st)
{
	(void)st;
	for (size_t r = 0; r < NRECS; r++)
		for (size_t k = 0; k < 2; k++) {
			struct ofd_flow f, g;
			recs[r](&f);
			size_t n = enc(&f, schemas[k], buf);
			ofd_batch_reset(&strs);
			assert_int_equal(ofd_pb_decode(&g, buf, n, schemas[k], &strs, NULL), 0);
			expect_carried(&f, &g, schemas[k]);
			/* and once more: the same bytes */
			assert_int_equal(ofd_pb_encode(&g, schemas[k], buf2, OFD_PB_MAX), n);
			assert_memory_equal(buf, buf2, n);
		}
}

/* Known bytes of a small record: tags, varints, packed lists, strings in number order. */
static void test_exact_bytes(void **st)
{
	(void)st;
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.type = OFD_FT_NETFLOW_V5;
	f.bytes = 300;
	ofd_ip_set4u(&f.src_addr, 0x01020304);
	f.proto = 6;
	f.as_path[0] = 1, f.as_path[1] = 200, f.as_path_len = 2;
	f.rpki = OFD_RPKI_INVALID;
	f.med = 7; /* not present: not written */
	f.note = "hi";
	ofd_flow_set(&f, OFD_F_AS_PATH);
	ofd_flow_set(&f, OFD_F_RPKI);
	ofd_flow_set(&f, OFD_F_NOTE);
	static const uint8_t want[] = {
	    0x08, 0x02,				/* 1 type */
	    0x32, 0x04, 1,    2,    3,	  4,	/* 6 src_addr */
	    0x48, 0xac, 0x02,			/* 9 bytes 300 */
	    0xa0, 0x01, 0x06,			/* 20 proto */
	    0xb2, 0x06, 0x03, 0x01, 0xc8, 0x01, /* 102 as_path, packed */
	    0x82, 0x7e, 0x02, 'h',  'i',	/* 2016 Note */
	    0xf0, 0x87, 0x01, 0x03,		/* 2174 ValidationStatus Invalid (3) */
	};
	size_t n = ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, sizeof(buf));
	if (n != sizeof(want) || memcmp(buf, want, n))
		hexdiff(buf, n, want, sizeof(want));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, n);
	/* legacy: no Note, no ValidationStatus */
	n = ofd_pb_encode(&f, OFD_PB_LEGACY, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want) - 9);
	assert_memory_equal(buf, want, n);
	/* exactly the room it takes, and one byte less */
	n = ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, sizeof(want));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, n);
	assert_int_equal(ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, sizeof(want) - 1), 0);
	assert_int_equal(ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, 0), 0);
}

/* Strings: cut at 255 bytes on a UTF-8 boundary, invalid bytes written as '?'. */
static void test_strings(void **st)
{
	(void)st;
	char longs[400];
	memset(longs, 'a', sizeof(longs));
	memcpy(longs + 254, "\xc3\xbc", 2); /* a two-byte character across the cut */
	longs[399] = 0;
	struct ofd_flow f, g;
	memset(&f, 0, sizeof(f));
	f.note = longs;
	f.proto_name = "a\xff\xc3z";
	ofd_flow_set(&f, OFD_F_NOTE);
	ofd_flow_set(&f, OFD_F_PROTO_NAME);
	size_t n = ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, sizeof(buf));
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_pb_decode(&g, buf, n, OFD_PB_ENRICHED, &strs, NULL), 0);
	assert_int_equal(strlen(g.note), 254);
	assert_memory_equal(g.note, longs, 254);
	assert_string_equal(g.proto_name, "a??z");
	/* no arena: strings left unset, nothing counted */
	unsigned dropped = 0;
	assert_int_equal(ofd_pb_decode(&g, buf, n, OFD_PB_ENRICHED, NULL, &dropped), 0);
	assert_null(g.note);
	assert_false(ofd_flow_has(&g, OFD_F_NOTE));
	assert_int_equal(dropped, 0);
}

static void test_mbps_and_enums(void **st)
{
	(void)st;
	struct ofd_flow f, g;
	memset(&f, 0, sizeof(f));
	f.in_if_speed = 999999; /* under 1 Mbit/s: 0, not written */
	f.out_if_speed = UINT64_C(1) << 62;
	ofd_flow_set(&f, OFD_F_IN_IF_SPEED);
	ofd_flow_set(&f, OFD_F_OUT_IF_SPEED);
	size_t n = ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, sizeof(buf));
	static const uint8_t want[] = {0xc0, 0x7d, 0xff, 0xff, 0xff, 0xff, 0x0f}; /* 2008: UINT32_MAX */
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, n);
	assert_int_equal(ofd_pb_decode(&g, buf, n, OFD_PB_ENRICHED, &strs, NULL), 0);
	assert_int_equal(g.out_if_speed, UINT64_C(4294967295) * 1000000);
	/* ValidationStatus 2 is NotFound, 3 Invalid; FlowType EBPF (5) reads as unknown */
	static const uint8_t m[] = {0xf0, 0x87, 0x01, 0x02, 0x08, 0x05};
	assert_int_equal(ofd_pb_decode(&g, m, sizeof(m), OFD_PB_ENRICHED, &strs, NULL), 0);
	assert_int_equal(g.rpki, OFD_RPKI_NOTFOUND);
	assert_int_equal(g.type, 0);
	assert_true(ofd_flow_has(&g, OFD_F_RPKI));
}

/* ---- hostile input ---- */

/* The offsets at which a field of p[0..n) ends (valid input). */
static size_t boundaries(const uint8_t *p, size_t n, size_t *at, size_t cap)
{
	size_t i = 0, k = 0;
	while (i < n && k < cap) {
		uint64_t tag = 0, v = 0;
		for (unsigned sh = 0;; sh += 7) {
			tag |= (uint64_t)(p[i] & 0x7f) << sh;
			if (!(p[i++] & 0x80))
				break;
		}
		switch (tag & 7) {
		case 0:
			while (p[i++] & 0x80)
				;
			break;
		case 2:
			for (unsigned sh = 0;; sh += 7) {
				v |= (uint64_t)(p[i] & 0x7f) << sh;
				if (!(p[i++] & 0x80))
					break;
			}
			i += v;
			break;
		default: fail();
		}
		at[k++] = i;
	}
	return k;
}

static void test_truncated(void **st)
{
	(void)st;
	for (size_t r = 0; r < NRECS; r++)
		for (size_t s = 0; s < 2; s++) {
			struct ofd_flow f, g, h;
			recs[r](&f);
			size_t n = enc(&f, schemas[s], buf);
			size_t at[256], nb = boundaries(buf, n, at, 256), b = 0;
			for (size_t k = 0; k < n; k++) {
				uint8_t *cut = malloc(k ? k : 1); /* exact size: ASan sees reads past it */
				assert_non_null(cut);
				memcpy(cut, buf, k);
				ofd_batch_reset(&strs);
				unsigned dropped = 0;
				int rc = ofd_pb_decode(&g, cut, k, schemas[s], &strs, &dropped);
				int boundary = k == 0 || (b < nb && at[b] == k);
				if (b < nb && at[b] == k)
					b++;
				if (!boundary) {
					assert_true(rc == OFD_ETRUNC || rc == OFD_EFORMAT);
					assert_int_equal(strs.arena_used, 0);
					assert_memory_equal(&g.present, &(struct ofd_fieldset){{0}},
							    sizeof(g.present));
				} else {
					/* a prefix of whole fields: what it holds, written again the same
					   (the label stack's TTLs alone, before its labels, are not kept) */
					assert_int_equal(rc, 0);
					size_t m = ofd_pb_encode(&g, schemas[s], buf2, sizeof(buf2));
					if (!ofd_flow_has(&f, OFD_F_MPLS_STACK)) {
						assert_int_equal(m, k);
						assert_memory_equal(buf2, buf, k);
					}
					assert_int_equal(ofd_pb_decode(&h, buf2, m, schemas[s], &strs, NULL),
							 0);
				}
				free(cut);
			}
			assert_int_equal(b, nb - (nb && at[nb - 1] == n));
		}
}

static int dec(const uint8_t *p, size_t n, struct ofd_flow *g)
{
	ofd_batch_reset(&strs);
	return ofd_pb_decode(g, p, n, OFD_PB_ENRICHED, &strs, NULL);
}
#define DEC(g, ...) dec((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), (g))

static void test_varints(void **st)
{
	(void)st;
	struct ofd_flow g;
	/* 4 sequence_num: ten bytes, all 64 bits, cut to 32 as protobuf reads a uint32 */
	assert_int_equal(DEC(&g, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 0);
	assert_int_equal(g.sequence_num, UINT32_MAX);
	/* eleven bytes, or a tenth byte beyond 64 bits */
	assert_int_equal(DEC(&g, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00),
			 OFD_EFORMAT);
	assert_int_equal(DEC(&g, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02),
			 OFD_EFORMAT);
	/* a padded (non-minimal) varint is a varint: 5 as three bytes */
	assert_int_equal(DEC(&g, 0x20, 0x85, 0x80, 0x00), 0);
	assert_int_equal(g.sequence_num, 5);
	/* an overlong tag; a tag cut short; field number 0 */
	assert_int_equal(DEC(&g, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
			 OFD_EFORMAT);
	assert_int_equal(DEC(&g, 0x80), OFD_ETRUNC);
	assert_int_equal(DEC(&g, 0x00, 0x01), OFD_EFORMAT);
	assert_int_equal(DEC(&g, 0x20, 0x80), OFD_ETRUNC);
	/* a number beyond 2^29 - 1 */
	assert_int_equal(DEC(&g, 0xf8, 0xff, 0xff, 0xff, 0x7f, 0x01), OFD_EFORMAT);
}

static void test_wire_types(void **st)
{
	(void)st;
	struct ofd_flow g;
	assert_int_equal(DEC(&g, 0x4a, 0x01, 0x05), OFD_EFORMAT);	      /* 9 bytes as bytes */
	assert_int_equal(DEC(&g, 0x30, 0x04), OFD_EFORMAT);		      /* 6 src_addr as a varint */
	assert_int_equal(DEC(&g, 0x49, 1, 2, 3, 4, 5, 6, 7, 8), OFD_EFORMAT); /* 9 as fixed64 */
	assert_int_equal(DEC(&g, 0x4d, 1, 2, 3, 4), OFD_EFORMAT);	      /* 9 as fixed32 */
	assert_int_equal(DEC(&g, 0x93, 0x7d, 0x94, 0x7d), OFD_EFORMAT);	      /* a group (2002) */
	assert_int_equal(DEC(&g, 0xc3, 0xb8, 0x02, 0xc4, 0xb8, 0x02), OFD_EFORMAT); /* an unknown group */
	assert_int_equal(DEC(&g, 0xc6, 0xb8, 0x02, 0x00), OFD_EFORMAT);		    /* wire type 6 */
	assert_int_equal(DEC(&g, 0xc7, 0xb8, 0x02, 0x00), OFD_EFORMAT);		    /* wire type 7 */
	assert_int_equal(DEC(&g, 0xb2, 0x06, 0x01, 0x80), OFD_EFORMAT);		    /* packed, varint cut */
}

static void test_lengths(void **st)
{
	(void)st;
	struct ofd_flow g;
	assert_int_equal(DEC(&g, 0x32, 0x10, 1, 2, 3, 4), OFD_ETRUNC);	     /* 6: 16 bytes of 4 */
	assert_int_equal(DEC(&g, 0xc2, 0xb8, 0x02, 0x05, 1, 2), OFD_ETRUNC); /* unknown LEN */
	assert_int_equal(DEC(&g, 0xc1, 0xb8, 0x02, 1, 2, 3), OFD_ETRUNC);    /* unknown fixed64 */
	assert_int_equal(DEC(&g, 0xc5, 0xb8, 0x02, 1, 2, 3), OFD_ETRUNC);    /* unknown fixed32 */
	assert_int_equal(DEC(&g, 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
			 OFD_ETRUNC);
	assert_int_equal(DEC(&g, 0x32, 0x05, 1, 2, 3, 4, 5), OFD_EFORMAT); /* an address of 5 bytes */
	assert_int_equal(DEC(&g, 0x32, 0x00), 0);			   /* of none: unset */
	assert_false(ofd_flow_has(&g, OFD_F_SRC_ADDR));
	assert_int_equal(g.src_addr.family, OFD_AF_NONE);
}

/* Unknown fields of each wire type, SKIP fields and fields of the other schema, in any order. */
static void test_unknown_skipped(void **st)
{
	(void)st;
	struct ofd_flow g;
	static const uint8_t m[] = {
	    0xa0, 0x01, 0x11,	    /* 20 proto 17 */
	    0xc0, 0x3e, 0xff, 0x01, /* 1000: varint (src_country takes LEN: refused) */
	};
	assert_int_equal(dec(m, sizeof(m), &g), OFD_EFORMAT);
	static const uint8_t u[] = {
	    0xa0, 0x01, 0x11,					/* 20 proto 17 */
	    0xc0, 0xb8, 0x02, 0xff, 0x01,			/* 5000: varint */
	    0xc9, 0xb8, 0x02, 1,    2,	  3,   4,   5, 6, 7, 8, /* 5001: fixed64 */
	    0xd2, 0xb8, 0x02, 0x03, 'a',  'b', 'c',		/* 5002: LEN */
	    0xdd, 0xb8, 0x02, 1,    2,	  3,   4,		/* 5003: fixed32 */
	    0xa8, 0x03, 0x01,					/* 53 has_mpls (SKIP) */
	    0xba, 0x06, 0x02, 0x01, 0x03,			/* 103 layer_stack (SKIP) */
	    0x48, 0x64,						/* 9 bytes 100, after 20 */
	    0x08, 0x03,						/* 1 type */
	    0xe0, 0x87, 0x01, 0x07,				/* 2172 Med 7 */
	    0xd0, 0x02, 0x01,					/* 42 flow_direction 1 */
	    0xc2, 0x3e, 0x02, 'N',  'L',			/* 1000 src_country */
	};
	assert_int_equal(dec(u, sizeof(u), &g), 0);
	assert_int_equal(g.proto, 17);
	assert_int_equal(g.bytes, 100);
	assert_int_equal(g.type, OFD_FT_NETFLOW_V9);
	assert_int_equal(g.med, 7);
	assert_int_equal(g.flow_direction, 1);
	assert_memory_equal(g.src_country, "NL", 2);
	assert_true(ofd_flow_has(&g, OFD_F_MED));
	/* FlowMessage has none of Med, flow_direction, src_country: skipped, as unknown */
	ofd_batch_reset(&strs);
	assert_int_equal(ofd_pb_decode(&g, u, sizeof(u), OFD_PB_LEGACY, &strs, NULL), 0);
	assert_int_equal(g.proto, 17);
	assert_int_equal(g.bytes, 100);
	assert_int_equal(g.med, 0);
	assert_int_equal(g.flow_direction, 0);
	assert_false(ofd_flow_has(&g, OFD_F_MED));
	assert_int_equal(g.src_country[0], 0);
}

static void test_repeated(void **st)
{
	(void)st;
	struct ofd_flow g;
	/* 102 as_path: two unpacked elements, a packed chunk, one more unpacked; 101 unpacked */
	assert_int_equal(DEC(&g, 0xb0, 0x06, 0x01, 0xb0, 0x06, 0x02, 0xb2, 0x06, 0x02, 0x03, 0x04, 0xb0, 0x06,
			     0x05, 0xa8, 0x06, 0x09),
			 0);
	assert_int_equal(g.as_path_len, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(g.as_path[i], i + 1);
	assert_int_equal(g.bgp_communities.n, 1);
	assert_int_equal(g.bgp_communities.v[0], 9);
	assert_true(ofd_flow_has(&g, OFD_F_AS_PATH) && ofd_flow_has(&g, OFD_F_BGP_COMMUNITIES));
	/* longer than we keep: the first 12; an empty packed list: nothing */
	uint8_t m[64] = {0xb2, 0x06, 14};
	for (unsigned i = 0; i < 14; i++)
		m[3 + i] = (uint8_t)(i + 1);
	assert_int_equal(dec(m, 17, &g), 0);
	assert_int_equal(g.as_path_len, OFD_AS_PATH_MAX);
	assert_int_equal(g.as_path[11], 12);
	assert_int_equal(DEC(&g, 0xb2, 0x06, 0x00), 0);
	assert_false(ofd_flow_has(&g, OFD_F_AS_PATH));
	/* the label stack: labels unpacked, TTLs packed, in either order */
	assert_int_equal(DEC(&g, 0x88, 0x05, 0x10, 0x88, 0x05, 0x11, 0x82, 0x05, 0x02, 0x40, 0x3f), 0);
	assert_int_equal(g.mpls_label, 0x10);
	assert_int_equal(g.mpls_stack.n, 2);
	assert_int_equal(g.mpls_stack.lse[0], 0x10u << 12 | 0x40);
	assert_int_equal(g.mpls_stack.lse[1], 0x11u << 12 | 1u << 8 | 0x3f);
	/* TTLs of 0 are no TTLs: one label and a TTL of 0 make the top label alone (as written back) */
	assert_int_equal(DEC(&g, 0x88, 0x05, 0x05, 0x82, 0x05, 0x01, 0x00), 0);
	assert_int_equal(g.mpls_label, 5);
	assert_false(ofd_flow_has(&g, OFD_F_MPLS_STACK));
	/* a label beyond 20 bits */
	assert_int_equal(DEC(&g, 0x88, 0x05, 0x80, 0x80, 0x40), OFD_EFORMAT);
	/* 82 mpls_ip: the first address kept, every one checked */
	assert_int_equal(DEC(&g, 0x92, 0x05, 0x04, 10, 0, 0, 1, 0x92, 0x05, 0x04, 10, 0, 0, 2), 0);
	assert_int_equal(ofd_ip_v4(&g.mpls_ip), 0x0a000001);
	assert_int_equal(DEC(&g, 0x92, 0x05, 0x04, 10, 0, 0, 1, 0x92, 0x05, 0x03, 10, 0, 0), OFD_EFORMAT);
}

static void test_ranges(void **st)
{
	(void)st;
	struct ofd_flow g;
	assert_int_equal(DEC(&g, 0xb8, 0x01, 0x80, 0x02), OFD_EFORMAT); /* 23 ip_tos 256 */
	assert_int_equal(DEC(&g, 0xb8, 0x01, 0xff, 0x01), 0);		/* 255 */
	assert_int_equal(g.ip_tos, 255);
	assert_int_equal(DEC(&g, 0x80, 0x01, 0x81, 0x01), OFD_EFORMAT);		    /* 16 src_net 129 */
	assert_int_equal(DEC(&g, 0x08, 0x06), OFD_EFORMAT);			    /* type 6 */
	assert_int_equal(DEC(&g, 0x18, 0x80, 0x80, 0x80, 0x80, 0x10), OFD_EFORMAT); /* sampling 2^32 */
	/* 27 src_mac beyond 48 bits; 9 bytes beyond INT64_MAX */
	assert_int_equal(DEC(&g, 0xd8, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40), OFD_EFORMAT);
	assert_int_equal(DEC(&g, 0x48, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
			 OFD_EFORMAT);
	/* 18 in_if (uint32): 2^32 + 5 reads as 5, as protobuf cuts a uint32 */
	assert_int_equal(DEC(&g, 0x90, 0x01, 0x85, 0x80, 0x80, 0x80, 0x10), 0);
	assert_int_equal(g.in_if, 5);
	/* countries: two printable letters */
	assert_int_equal(DEC(&g, 0xc2, 0x3e, 0x01, 'D'), OFD_EFORMAT);
	assert_int_equal(DEC(&g, 0xc2, 0x3e, 0x02, 'D', 0x01), OFD_EFORMAT);
	/* strings: invalid UTF-8 refused; a NUL drops the string (counted), the rest stays */
	assert_int_equal(DEC(&g, 0x82, 0x7e, 0x02, 'a', 0xc3), OFD_EFORMAT);
	ofd_batch_reset(&strs);
	unsigned dropped = 0;
	static const uint8_t nul[] = {0x82, 0x7e, 0x03, 'a', 0, 'b', 0x48, 0x05};
	assert_int_equal(ofd_pb_decode(&g, nul, sizeof(nul), OFD_PB_ENRICHED, &strs, &dropped), 0);
	assert_int_equal(dropped, 1);
	assert_null(g.note);
	assert_int_equal(g.bytes, 5);
	/* a refused message leaves nothing: arena and count as they were, record zeroed */
	static const uint8_t bad[] = {0x82, 0x7e, 0x02, 'o', 'k', 0x32, 0x01, 0x00, 0x48, 0x09};
	ofd_batch_reset(&strs);
	dropped = 0;
	assert_int_equal(ofd_pb_decode(&g, bad, sizeof(bad), OFD_PB_ENRICHED, &strs, &dropped), OFD_EFORMAT);
	assert_int_equal(strs.arena_used, 0);
	assert_int_equal(dropped, 0);
	assert_null(g.note);
}

/* Seconds and milliseconds fill a *_ns field that did not come, before or after. */
static void test_legacy_times(void **st)
{
	(void)st;
	struct ofd_flow g;
	/* 2 time_received (s), 63 time_flow_start_ms */
	assert_int_equal(DEC(&g, 0x10, 0x64, 0xf8, 0x03, 0xe8, 0x07), 0);
	assert_int_equal(g.time_received_ns, 100000000000ull);
	assert_int_equal(g.time_flow_start_ns, 1000000000ull);
	assert_true(ofd_flow_has(&g, OFD_F_TIME_RECEIVED));
	/* 5 time_flow_end (s) before and after 112 time_flow_end_ns: the ns one wins */
	assert_int_equal(DEC(&g, 0x28, 0x02, 0x80, 0x07, 0x07, 0x28, 0x03, 0x80, 0x04, 0x01), 0);
	assert_int_equal(g.time_flow_end_ns, 7);
	/* two legacy ones: the last; seconds beyond what ns hold: refused */
	assert_int_equal(DEC(&g, 0x28, 0x02, 0x80, 0x04, 0x05), 0);
	assert_int_equal(g.time_flow_end_ns, 5000000);
	assert_int_equal(DEC(&g, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), OFD_EFORMAT);
	/* never written */
	struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	f.time_flow_start_ns = 1;
	ofd_flow_set(&f, OFD_F_TIME_FLOW_START);
	assert_int_equal(ofd_pb_encode(&f, OFD_PB_ENRICHED, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, ((const uint8_t[]){0xf8, 0x06, 0x01}), 3);
}

static void test_delimited(void **st)
{
	(void)st;
	uint8_t s[4096];
	size_t n = 0, lens[NRECS];
	for (size_t r = 0; r < NRECS; r++) {
		struct ofd_flow f;
		recs[r](&f);
		size_t m = enc(&f, OFD_PB_ENRICHED, buf);
		n += ofd_pb_put_len(s + n, m);
		memcpy(s + n, buf, m);
		n += m;
		lens[r] = m;
	}
	size_t off = 0, len;
	const uint8_t *msg;
	for (size_t r = 0; r < NRECS; r++) {
		assert_int_equal(ofd_pb_next_delim(s, n, &off, &msg, &len), 1);
		assert_int_equal(len, lens[r]);
		struct ofd_flow f, g;
		recs[r](&f);
		ofd_batch_reset(&strs);
		assert_int_equal(ofd_pb_decode(&g, msg, len, OFD_PB_ENRICHED, &strs, NULL), 0);
		expect_carried(&f, &g, OFD_PB_ENRICHED);
	}
	assert_int_equal(off, n);
	assert_int_equal(ofd_pb_next_delim(s, n, &off, &msg, &len), 0);
	/* the last message cut short; a prefix cut short; an overlong prefix */
	off = 0;
	for (size_t r = 0; r + 1 < NRECS; r++)
		assert_int_equal(ofd_pb_next_delim(s, n - 1, &off, &msg, &len), 1);
	assert_int_equal(ofd_pb_next_delim(s, n - 1, &off, &msg, &len), lens[NRECS - 1] ? OFD_ETRUNC : 0);
	off = 0; /* the first message cut short */
	assert_int_equal(ofd_pb_next_delim(s, lens[0], &off, &msg, &len), OFD_ETRUNC);
	assert_int_equal(off, 0);
	assert_int_equal(ofd_pb_next_delim((const uint8_t[]){0x80}, 1, &off, &msg, &len), OFD_ETRUNC);
	static const uint8_t over[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	off = 0;
	assert_int_equal(ofd_pb_next_delim(over, sizeof(over), &off, &msg, &len), OFD_EFORMAT);
	/* lengths of every size */
	uint8_t v[10];
	assert_int_equal(ofd_pb_put_len(v, 0), 1);
	assert_int_equal(ofd_pb_put_len(v, 127), 1);
	assert_int_equal(ofd_pb_put_len(v, 128), 2);
	assert_memory_equal(v, ((const uint8_t[]){0x80, 0x01}), 2);
	assert_int_equal(ofd_pb_put_len(v, UINT64_MAX), 10);
}

#ifdef OFD_HAVE_PROTOBUF_C
/* ---- against protobuf-c ---- */

static size_t pbc_pack(struct gen_pbc *b, const struct ofd_flow *f, enum ofd_pb_schema s, uint8_t *out)
{
	if (s == OFD_PB_ENRICHED) {
		gen_pbc_enriched(b, f);
		assert_true(protobuf_c_message_get_packed_size(&b->m.base) <= OFD_PB_MAX);
		return protobuf_c_message_pack(&b->m.base, out);
	}
	gen_pbc_legacy(b, f);
	return protobuf_c_message_pack(&b->l.base, out);
}

static void test_pbc_bytes(void **st)
{
	(void)st;
	for (size_t r = 0; r < NRECS; r++)
		for (size_t s = 0; s < 2; s++) {
			struct ofd_flow f;
			struct gen_pbc b;
			recs[r](&f);
			size_t n = enc(&f, schemas[s], buf), m = pbc_pack(&b, &f, schemas[s], buf2);
			if (n != m || memcmp(buf, buf2, n)) {
				fprintf(stderr, "record %zu schema %zu: ", r, s);
				hexdiff(buf, n, buf2, m);
			}
			assert_int_equal(n, m);
			assert_memory_equal(buf, buf2, n);
		}
}

/* protobuf-c's bytes decoded by us; ours unpacked by protobuf-c. */
static void test_pbc_both_ways(void **st)
{
	(void)st;
	for (size_t r = 0; r < NRECS; r++)
		for (size_t s = 0; s < 2; s++) {
			struct ofd_flow f, g;
			struct gen_pbc b;
			recs[r](&f);
			size_t m = pbc_pack(&b, &f, schemas[s], buf2);
			ofd_batch_reset(&strs);
			assert_int_equal(ofd_pb_decode(&g, buf2, m, schemas[s], &strs, NULL), 0);
			expect_carried(&f, &g, schemas[s]);

			size_t n = enc(&f, schemas[s], buf);
			if (schemas[s] == OFD_PB_ENRICHED) {
				Flowpb__EnrichedFlow *u = flowpb__enriched_flow__unpack(NULL, n, buf);
				assert_non_null(u);
				assert_int_equal(u->base.n_unknown_fields, 0);
				assert_int_equal(u->bytes,
						 ofd_flow_has(&f, OFD_F_BYTES) || !f.sparse ? f.bytes : 0);
				assert_int_equal(u->n_as_path,
						 ofd_flow_has(&f, OFD_F_AS_PATH) ? f.as_path_len : 0);
				/* flowpipeline's ValidationStatus: Unknown 0, Valid 1, NotFound 2, Invalid 3
				 */
				assert_int_equal(u->validationstatus, f.rpki == OFD_RPKI_VALID	    ? 1
								      : f.rpki == OFD_RPKI_INVALID  ? 3
								      : f.rpki == OFD_RPKI_NOTFOUND ? 2
												    : 0);
				if (f.in_if_desc)
					assert_string_equal(u->srcifdesc, f.in_if_desc);
				flowpb__enriched_flow__free_unpacked(u, NULL);
			} else {
				Flowpb__FlowMessage *u = flowpb__flow_message__unpack(NULL, n, buf);
				assert_non_null(u);
				assert_int_equal(u->base.n_unknown_fields, 0);
				assert_int_equal(u->dst_as, f.dst_as);
				assert_int_equal(u->n_mpls_label, ofd_flow_has(&f, OFD_F_MPLS_STACK)
								      ? f.mpls_stack.n
								  : f.mpls_label ? 1
										 : 0);
				flowpb__flow_message__free_unpacked(u, NULL);
			}
		}
}

/* FlowMessage is EnrichedFlow's subset: same numbers, types, labels, packing; our list of its
   numbers is its own. */
static void test_legacy_schema(void **st)
{
	(void)st;
	const ProtobufCMessageDescriptor *fm = &flowpb__flow_message__descriptor,
					 *ef = &flowpb__enriched_flow__descriptor;
	assert_int_equal(fm->n_fields, sizeof(legacy_nums) / sizeof(legacy_nums[0]));
	for (unsigned i = 0; i < fm->n_fields; i++) {
		const ProtobufCFieldDescriptor *a = &fm->fields[i];
		const ProtobufCFieldDescriptor *b = protobuf_c_message_descriptor_get_field(ef, a->id);
		assert_true(is_legacy(a->id));
		if (!b)
			fail_msg("FlowMessage's %s (%u) is not in EnrichedFlow", a->name, a->id);
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->type, b->type);
		assert_int_equal(a->label, b->label);
		assert_int_equal(a->flags & PROTOBUF_C_FIELD_FLAG_PACKED,
				 b->flags & PROTOBUF_C_FIELD_FLAG_PACKED);
		if (a->type ==
		    PROTOBUF_C_TYPE_ENUM) { /* FlowType, LayerStack: EnrichedFlow's has every value */
			const ProtobufCEnumDescriptor *x = a->descriptor, *y = b->descriptor;
			for (unsigned k = 0; k < x->n_values; k++) {
				const ProtobufCEnumValue *v =
				    protobuf_c_enum_descriptor_get_value(y, x->values[k].value);
				assert_non_null(v);
				assert_string_equal(v->name, x->values[k].name);
			}
		}
	}
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),	    cmocka_unit_test(test_exact_bytes),
	    cmocka_unit_test(test_strings),	    cmocka_unit_test(test_mbps_and_enums),
	    cmocka_unit_test(test_truncated),	    cmocka_unit_test(test_varints),
	    cmocka_unit_test(test_wire_types),	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_unknown_skipped), cmocka_unit_test(test_repeated),
	    cmocka_unit_test(test_ranges),	    cmocka_unit_test(test_legacy_times),
	    cmocka_unit_test(test_delimited),
#ifdef OFD_HAVE_PROTOBUF_C
	    cmocka_unit_test(test_pbc_bytes),	    cmocka_unit_test(test_pbc_both_ways),
	    cmocka_unit_test(test_legacy_schema),
#endif
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
