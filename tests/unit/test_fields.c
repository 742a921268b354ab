/*
 * The field table (include/ofd/fields.def): names unique and found by every spelling, offsets
 * and sizes those of struct ofd_flow, the layout guard, the fieldset helpers, and the fields
 * added from flowpipeline's EnrichedFlow through JSON, CSV and the stdin parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "format/flowjson_parse.h"
#include "format/fpcsv.h"
#include "gen_flow.h"

/* usable in a static initializer: what a segment descriptor will carry */
static const uint32_t layout_here = OFD_FLOW_LAYOUT;

static void fold(const char *s, char *out)
{
	size_t n = 0;
	for (; *s; s++)
		if (*s != '_')
			out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
	out[n] = 0;
}

static void test_names(void **state)
{
	(void)state;
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		const struct ofd_field_info *d = ofd_field_get(id);
		assert_non_null(d);
		assert_ptr_equal(d, &ofd_fields[id]);
		assert_true(d->name[0] && d->csv[0] && d->fp[0]);
		for (const char *c = d->name; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
		assert_true(d->fp[0] >= 'A' && d->fp[0] <= 'Z');
		assert_int_equal(ofd_field_by_name(d->name), id);
		assert_int_equal(ofd_field_by_name(d->csv), id);
		assert_int_equal(ofd_field_by_name(d->fp), id);
		assert_string_equal(ofd_fmt_field_get(id)->name, d->name);
		/* no other field has any of these names, not even with case and underscores ignored */
		const char *mine[3] = {d->name, d->csv, d->fp};
		for (unsigned o = 0; o < OFD_F__COUNT; o++) {
			if (o == id)
				continue;
			const char *theirs[3] = {ofd_fields[o].name, ofd_fields[o].csv, ofd_fields[o].fp};
			for (int i = 0; i < 3; i++)
				for (int j = 0; j < 3; j++) {
					char a[64], b[64];
					fold(mine[i], a);
					fold(theirs[j], b);
					if (strcmp(a, b) == 0)
						fail_msg("fields %s and %s share the name %s", d->name,
							 ofd_fields[o].name, a);
				}
		}
	}
	assert_null(ofd_field_get(OFD_F__COUNT));
	/* flowpipeline's spellings */
	assert_int_equal(ofd_field_by_name("SrcIfName"), OFD_F_IN_IF_NAME);
	assert_int_equal(ofd_field_by_name("DstIfSpeed"), OFD_F_OUT_IF_SPEED);
	assert_int_equal(ofd_field_by_name("TimeReceived"), OFD_F_TIME_RECEIVED_SEC); /* its seconds */
	assert_int_equal(ofd_field_by_name("TimeReceivedNs"), OFD_F_TIME_RECEIVED);
	assert_int_equal(ofd_field_by_name("time_received_ns"), OFD_F_TIME_RECEIVED);
	assert_int_equal(ofd_field_by_name("NextHopAS"), OFD_F_NEXT_HOP_AS);
	assert_int_equal(ofd_field_by_name("IngressVrfId"), OFD_F_SRC_VRF);
	assert_int_equal(ofd_field_by_name("ValidationStatus"), OFD_F_RPKI);
	assert_int_equal(ofd_field_by_name("RemoteAddr"), OFD_F_REMOTE_ADDR);
	assert_int_equal(ofd_field_by_name("remote_addr"), OFD_F_REMOTE_ADDR);
	assert_int_equal(ofd_field_by_name("SrcASName"), OFD_F_SRC_AS_NAME);
	assert_int_equal(ofd_field_by_name("src_as_name"), OFD_F_SRC_AS_NAME);
	assert_int_equal(ofd_field_by_name("Cid"), OFD_F_CID);
	assert_int_equal(ofd_field_by_name("NetId"), OFD_F_NET_ID);
	assert_int_equal(ofd_field_by_name("ProtoName"), OFD_F_PROTO_NAME);
	assert_int_equal(ofd_field_by_name("BgpCommunities"), OFD_F_BGP_COMMUNITIES);
	assert_int_equal(ofd_field_by_name("Note"), OFD_F_NOTE);
	assert_int_equal(ofd_field_by_name("SamplerAddrPreservedPrefixLen"),
			 OFD_F_SAMPLER_ADDR_PRESERVED_LEN);
	assert_int_equal(ofd_field_by_name("nope"), -1);
	assert_int_equal(ofd_field_by_name(""), -1);
	assert_int_equal(ofd_field_by_name("ns"), -1);
}

/* flowpipeline's EnrichedFlow field names as Go spells them, in declaration order, read from
   proto/enrichedflow.proto (the schema written down from flowpipeline's): protoc-gen-go drops an
   underscore before a lower-case letter and capitalises it, and keeps one before a digit
   (mpls_1_label -> Mpls_1Label). Returns the count. */
#define FP_MAX 200
static char fp_names[FP_MAX][64];

static size_t fp_load(void)
{
	const char *src = getenv("OFD_SRC");
	char path[4096];
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/proto/enrichedflow.proto", src);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	char line[512], type[64], name[64];
	unsigned num;
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		const char *l = line + strspn(line, " \t");
		if (strncmp(l, "//", 2) == 0)
			continue;
		if (strncmp(l, "repeated ", 9) == 0)
			l += 9;
		if (sscanf(l, "%63s %63s = %u ;", type, name, &num) != 3)
			continue;
		assert_true(n < FP_MAX);
		char *o = fp_names[n++];
		int up = 1;
		for (const char *c = name; *c; c++) {
			if (*c == '_' && c[1] >= 'a' && c[1] <= 'z') {
				up = 1;
				continue;
			}
			*o++ = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
			up = 0;
		}
		*o = 0;
	}
	fclose(f);
	return n;
}

static void test_flowpipeline_names(void **state)
{
	(void)state;
	size_t nfp = fp_load();
	assert_int_equal(nfp, 149);
	assert_string_equal(fp_names[0], "Type");
	assert_string_equal(fp_names[2], "TimeReceivedNs");
	static unsigned char seen[OFD_F__COUNT];
	memset(seen, 0, sizeof(seen));
	/* csv format: flowpipeline's default columns are the schema's, in its order */
	static struct ofd_fpcsv_col all[OFD_FPCSV_NCOLS];
	ofd_fpcsv_all(all);
	for (size_t i = 0; i < nfp; i++)
		assert_string_equal(all[i].name, fp_names[i]);
	for (size_t i = 0; i < nfp; i++) {
		int id = ofd_field_by_name(fp_names[i]);
		if (id < 0)
			fail_msg("flowpipeline field %s unknown", fp_names[i]);
		/* the table holds the name itself, but for the label list (our top label's JSON key) */
		if (strcmp(fp_names[i], "MplsLabel") == 0)
			assert_int_equal(id, OFD_F_MPLS_LABEL);
		else if (strcmp(ofd_fields[id].fp, fp_names[i]) != 0)
			fail_msg("%s resolves to %s (%s)", fp_names[i], ofd_fields[id].name,
				 ofd_fields[id].fp);
		seen[id]++;
	}
	/* 148 fields: MplsLabel and Mpls_1Label both name the top label */
	unsigned distinct = 0;
	for (unsigned id = 0; id < OFD_F__COUNT; id++)
		distinct += seen[id] != 0;
	assert_int_equal(distinct, 148);
	assert_int_equal(seen[OFD_F_MPLS_LABEL], 2);
	/* the kinds of some that overflowd did not have */
	assert_int_equal(ofd_fields[ofd_field_by_name("SourceIP")].kind, OFD_FK_STR);
	assert_int_equal(ofd_fields[ofd_field_by_name("SrcCountryBW")].kind, OFD_FK_STR);
	assert_int_equal(ofd_fields[ofd_field_by_name("FINFlagCount")].kind, OFD_FK_U64);
	assert_int_equal(ofd_fields[ofd_field_by_name("PacketBytesMean")].kind, OFD_FK_U32);
	assert_int_equal(ofd_fields[ofd_field_by_name("MplsLabelIp")].kind, OFD_FK_IP);
	assert_int_equal(ofd_fields[ofd_field_by_name("SrcAsPath")].kind, OFD_FK_COMMS);
	assert_int_equal(ofd_fields[ofd_field_by_name("HasMpls")].kind, OFD_FK_U8);
	/* distinct from the ns fields they resemble */
	assert_int_equal(ofd_field_by_name("TimeFlowStart"), OFD_F_TIME_FLOW_START_SEC);
	assert_int_equal(ofd_field_by_name("TimeFlowStartNs"), OFD_F_TIME_FLOW_START);
	assert_int_equal(ofd_field_by_name("TimeFlowEnd"), OFD_F_TIME_FLOW_END_SEC);
	assert_int_equal(ofd_field_by_name("Mpls_1Label"), OFD_F_MPLS_LABEL);
	assert_int_equal(ofd_field_by_name("mpls1label"), OFD_F_MPLS_LABEL);
	assert_int_equal(ofd_field_by_name("Mpls_1Ttl"), OFD_F_MPLS_1_TTL);
}

static unsigned kind_size(unsigned kind)
{
	switch (kind) {
	case OFD_FK_U8:
	case OFD_FK_NET:
	case OFD_FK_FLOWTYPE:
	case OFD_FK_PROTO:
	case OFD_FK_RPKI: return 1;
	case OFD_FK_U16:
	case OFD_FK_ETYPE:
	case OFD_FK_CC: return 2;
	case OFD_FK_U32: return 4;
	case OFD_FK_U64:
	case OFD_FK_MAC: return 8;
	case OFD_FK_IP: return sizeof(struct ofd_ip);
	case OFD_FK_STR: return sizeof(const char *);
	case OFD_FK_ASPATH: return 4 * OFD_AS_PATH_MAX;
	case OFD_FK_COMMS: return sizeof(struct ofd_communities);
	case OFD_FK_LCOMMS: return sizeof(struct ofd_large_communities);
	case OFD_FK_MPLS: return sizeof(struct ofd_mpls_stack);
	default: return 0;
	}
}

static void test_layout(void **state)
{
	(void)state;
	static unsigned char owner[sizeof(struct ofd_flow)]; /* field id + 1 of each byte */
	memset(owner, 0, sizeof(owner));
	unsigned used = 0;
	for (unsigned id = 0; id < OFD_F__COUNT; id++) {
		const struct ofd_field_info *d = &ofd_fields[id];
		assert_true(d->kind < OFD_FK__COUNT);
		if (!ofd_field_stored(id)) { /* storage-less: no bytes, its offset past the record */
			assert_int_equal(d->cls, OFD_FC_NAMED);
			assert_int_equal(d->size, 0);
			assert_int_equal(d->aux_size, 0);
			assert_int_equal(d->off, sizeof(struct ofd_flow));
			assert_int_equal(d->aux_off, sizeof(struct ofd_flow));
			assert_false(ofd_fieldset_has(&ofd_fmt_enriched, id) ||
				     ofd_fieldset_has(&ofd_fmt_base, id));
			continue;
		}
		assert_true(d->cls != OFD_FC_NAMED);
		assert_int_equal(d->size, kind_size(d->kind));
		assert_true(d->off + d->size <= sizeof(struct ofd_flow));
		assert_true(d->aux_off + d->aux_size <= sizeof(struct ofd_flow));
		for (unsigned i = 0; i < d->size; i++) {
			if (owner[d->off + i])
				fail_msg("%s overlaps %s", d->name, ofd_fields[owner[d->off + i] - 1].name);
			owner[d->off + i] = (unsigned char)(id + 1);
		}
		used += d->size;
		if (d->kind == OFD_FK_NET) /* the address it is the network of */
			assert_int_equal(d->aux_size, sizeof(struct ofd_ip));
		else if (d->kind == OFD_FK_ASPATH) /* the count */
			assert_int_equal(d->aux_size, 1);
		else
			assert_int_equal(d->aux_off, d->off);
		assert_int_equal(ofd_fieldset_has(&ofd_fmt_enriched, id), d->cls == OFD_FC_ENRICHED);
		assert_int_equal(ofd_fieldset_has(&ofd_fmt_base, id), d->cls == OFD_FC_BASE);
	}
	/* the hot counters open the record, `present` follows them; tail fields in table order */
	assert_int_equal(ofd_fields[OFD_F_TIME_RECEIVED].off, 0);
	assert_true(ofd_fields[OFD_F_PACKETS].off + 8 <= 64);
	assert_int_equal(offsetof(struct ofd_flow, present), 64);
	for (unsigned id = OFD_F_PROTO_NAME + 1; id < OFD_F__STORED; id++)
		assert_true(ofd_fields[id].off > ofd_fields[id - 1].off);
	/* bytes no field owns: as_path_len, `present` and alignment padding */
	unsigned spare = (unsigned)sizeof(struct ofd_flow) - used;
	print_message("sizeof(struct ofd_flow) %zu, %u fields, %u bytes of fields, %u other, layout %08x\n",
		      sizeof(struct ofd_flow), (unsigned)OFD_F__COUNT, used, spare, OFD_FLOW_LAYOUT);
	assert_true(spare <= sizeof(struct ofd_fieldset) + 1 + 24);
	/* the guard: one value in this file, in the core and in any static initializer */
	assert_int_equal(layout_here, ofd_flow_layout());
	assert_int_equal(layout_here, OFD_FLOW_LAYOUT);
	assert_true(layout_here != 0);
}

static void test_fieldset(void **state)
{
	(void)state;
	struct ofd_flow f;
	ofd_flow_zero(&f);
	for (size_t i = 0; i < sizeof(f); i++)
		assert_int_equal(((unsigned char *)&f)[i], 0);
	static const unsigned ids[] = {0, 63, 64, 91, 127, 128, 255};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_false(ofd_flow_has(&f, ids[i]));
		ofd_flow_set(&f, ids[i]);
		assert_true(ofd_flow_has(&f, ids[i]));
	}
	assert_int_equal(f.present.w[0], (UINT64_C(1) << 63) | 1);
	assert_int_equal(f.present.w[1], (UINT64_C(1) << 63) | (UINT64_C(1) << 27) | 1);
	assert_int_equal(f.present.w[2], 1);
	assert_int_equal(f.present.w[3], UINT64_C(1) << 63);
	ofd_flow_clear(&f, 64);
	assert_false(ofd_flow_has(&f, 64));
	assert_true(ofd_flow_has(&f, 63));
	struct ofd_fieldset all = ofd_fieldset_all(), none = {{0}};
	unsigned n = 0;
	for (unsigned i = 0; i < OFD_FIELDSET_WORDS; i++)
		n += (unsigned)__builtin_popcountll(all.w[i]);
	assert_int_equal(n, OFD_F__COUNT);
	assert_true(ofd_fieldset_any(&all, NULL));
	assert_false(ofd_fieldset_any(&none, NULL));
	struct ofd_fieldset s = all;
	ofd_fieldset_andnot(&s, &ofd_fmt_enriched);
	assert_false(ofd_fieldset_any(&s, &ofd_fmt_enriched));
	ofd_fieldset_or(&s, &ofd_fmt_enriched);
	assert_true(ofd_fieldset_eq(&s, &all));
	assert_int_equal(OFD_W0(OFD_F_BYTES), UINT64_C(1) << OFD_F_BYTES);
}

/* ---- the new fields through JSON, CSV and back ---- */

static const unsigned new_ids[] = {OFD_F_PROTO_NAME,
				   OFD_F_SRC_HOST_NAME,
				   OFD_F_DST_HOST_NAME,
				   OFD_F_NEXT_HOP_HOST_NAME,
				   OFD_F_SAMPLER_HOST_NAME,
				   OFD_F_SRC_AS_NAME,
				   OFD_F_DST_AS_NAME,
				   OFD_F_NEXT_HOP_AS_NAME,
				   OFD_F_NOTE,
				   OFD_F_CID_STRING,
				   OFD_F_NET_ID_STRING,
				   OFD_F_SRC_ID_STRING,
				   OFD_F_DST_ID_STRING,
				   OFD_F_BGP_COMMUNITIES,
				   OFD_F_BGP_LARGE_COMMUNITIES,
				   OFD_F_CID,
				   OFD_F_NET_ID,
				   OFD_F_SRC_ID,
				   OFD_F_DST_ID,
				   OFD_F_REMOTE_ADDR,
				   OFD_F_BI_FLOW_DIRECTION,
				   OFD_F_SRC_ADDR_ANON,
				   OFD_F_DST_ADDR_ANON,
				   OFD_F_SRC_ADDR_PRESERVED_LEN,
				   OFD_F_DST_ADDR_PRESERVED_LEN,
				   OFD_F_SAMPLER_ADDR_ANON,
				   OFD_F_SAMPLER_ADDR_PRESERVED_LEN,
				   OFD_F_NEXT_HOP_ANON,
				   OFD_F_NEXT_HOP_PRESERVED_LEN,
				   OFD_F_REMOTE_COUNTRY};
#define NNEW (sizeof(new_ids) / sizeof(new_ids[0]))

static void new_fields(struct ofd_flow *f)
{
	gen_sample_flow(f);
	f->proto_name = "TCP";
	f->src_host_name = "a.example";
	f->dst_host_name = "b.example";
	f->next_hop_host_name = "nh.example";
	f->sampler_host_name = "r1.example";
	f->src_as_name = "EXAMPLE-AS";
	f->dst_as_name = "OTHER, AS";
	f->next_hop_as_name = "NH-AS";
	f->note = "n\"1";
	f->cid_string = "c17";
	f->net_id_string = "net9";
	f->src_id_string = "s1";
	f->dst_id_string = "d2";
	f->bgp_communities.n = 2;
	f->bgp_communities.v[0] = 4259840100u;
	f->bgp_communities.v[1] = 65000;
	f->bgp_large_communities.n = 2;
	f->bgp_large_communities.v[0] = (struct ofd_large_community){64496, 1, 2};
	f->bgp_large_communities.v[1] = (struct ofd_large_community){4200000000u, 0, 4294967295u};
	f->cid = 17;
	f->net_id = 9;
	f->src_id = 1;
	f->dst_id = 2;
	f->remote_addr = OFD_REMOTE_DST;
	f->bi_flow_direction = 1;
	f->src_addr_anon = OFD_ANON_CRYPTOPAN;
	f->dst_addr_anon = OFD_ANON_BOTH;
	f->src_addr_preserved_len = 24;
	f->dst_addr_preserved_len = 48;
	f->sampler_addr_anon = OFD_ANON_SUBNET;
	f->sampler_addr_preserved_len = 16;
	f->next_hop_anon = OFD_ANON_CRYPTOPAN;
	f->next_hop_preserved_len = 8;
	memcpy(f->remote_country, "NL", 2);
	for (size_t i = 0; i < NNEW; i++)
		ofd_flow_set(f, new_ids[i]);
}

static char *render(int json, const struct ofd_flow *f, const uint8_t *ids, unsigned n)
{
	struct ofd_wbuf w;
	assert_int_equal(ofd_wbuf_init(&w, -1, 1 << 16), 0);
	if (json)
		ofd_fmt_json_enriched(&w, f);
	else if (f)
		ofd_fmt_csv_ids(&w, f, ids, n);
	else
		ofd_fmt_csv_ids_header(&w, ids, n);
	char *s = calloc(1, w.len + 1);
	assert_non_null(s);
	memcpy(s, w.buf, w.len);
	w.len = 0;
	ofd_wbuf_fini(&w);
	return s;
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct ofd_flow f, g;
	new_fields(&f);
	char *s = render(1, &f, NULL, 0);
	const char *tail = strstr(s, ",\"proto_name\"");
	assert_non_null(tail);
	assert_string_equal(
	    tail,
	    ",\"proto_name\":\"TCP\",\"src_host_name\":\"a.example\",\"dst_host_name\":\"b.example\","
	    "\"next_hop_host_name\":\"nh.example\",\"sampler_host_name\":\"r1.example\","
	    "\"src_as_name\":\"EXAMPLE-AS\",\"dst_as_name\":\"OTHER, AS\",\"next_hop_as_name\":\"NH-AS\","
	    "\"note\":\"n\\\"1\",\"cid_string\":\"c17\",\"net_id_string\":\"net9\","
	    "\"src_id_string\":\"s1\",\"dst_id_string\":\"d2\","
	    "\"bgp_large_communities\":[\"64496:1:2\",\"4200000000:0:4294967295\"],\"cid\":17,"
	    "\"net_id\":9,\"src_id\":1,\"dst_id\":2,\"remote_addr\":2,\"bi_flow_direction\":1,"
	    "\"src_addr_anon\":1,\"dst_addr_anon\":3,\"src_addr_preserved_len\":24,"
	    "\"dst_addr_preserved_len\":48,\"sampler_addr_anon\":2,\"sampler_addr_preserved_len\":16,"
	    "\"next_hop_anon\":1,\"next_hop_preserved_len\":8,\"remote_country\":\"NL\"}\n");
	/* bgp_communities is one of goflow2's always-written keys: with the base fields */
	assert_non_null(strstr(s, ",\"bgp_communities\":[4259840100,65000],\"as_path\":[],"));
	/* without their present bits the new fields are not written: the line of today */
	struct ofd_flow h = f;
	for (size_t i = 0; i < NNEW; i++)
		ofd_flow_clear(&h, new_ids[i]);
	char *plain = render(1, &h, NULL, 0);
	assert_null(strstr(plain, "proto_name"));
	assert_int_equal(strlen(plain), (size_t)(tail - s) + 2);

	struct ofd_batch *t = malloc(sizeof(*t)); /* the strings' arena */
	assert_non_null(t);
	ofd_batch_init(t, NULL, NULL);
	assert_int_equal(ofd_flowjson_parse(&g, s, strlen(s), t, NULL), 0);
	for (size_t i = 0; i < NNEW; i++)
		assert_true(ofd_flow_has(&g, new_ids[i]));
	/* strings by content, then everything else byte for byte */
	for (unsigned id = 0; id < OFD_F__STORED; id++) {
		if (ofd_fields[id].kind != OFD_FK_STR)
			continue;
		const char **a = (const char **)(void *)((char *)&f + ofd_fields[id].off);
		const char **b = (const char **)(void *)((char *)&g + ofd_fields[id].off);
		if (*a || *b)
			assert_string_equal(*a, *b);
		*a = *b = NULL;
	}
	memset(&f.present, 0, sizeof(f.present));
	memset(&g.present, 0, sizeof(g.present));
	assert_memory_equal(&f, &g, sizeof(f));
	/* values out of range or of the wrong type are refused */
	assert_int_equal(ofd_flowjson_parse(&g, "{\"remote_addr\":256}", 19, t, NULL), OFD_EFORMAT);
	assert_int_equal(ofd_flowjson_parse(&g, "{\"bgp_communities\":[-1]}", 24, t, NULL), OFD_EFORMAT);
	static const char *bad_large[] = {
	    "{\"bgp_large_communities\":[\"1:2\"]}", "{\"bgp_large_communities\":[\"1:2:4294967296\"]}",
	    "{\"bgp_large_communities\":[\"1:2:3:\"]}", "{\"bgp_large_communities\":[7]}"};
	for (size_t i = 0; i < sizeof(bad_large) / sizeof(bad_large[0]); i++)
		assert_int_equal(ofd_flowjson_parse(&g, bad_large[i], strlen(bad_large[i]), t, NULL),
				 OFD_EFORMAT);
	free(t);
	free(s);
	free(plain);
}

/* ---- the fields of devices' elements (issue 12, defect 8) through JSON, CSV and back ---- */

static const unsigned more_ids[] = {OFD_F_MPLS_STACK,	     OFD_F_IN_IF_PHYS,	      OFD_F_OUT_IF_PHYS,
				    OFD_F_POST_NAT_SRC_PORT, OFD_F_POST_NAT_DST_PORT, OFD_F_SRC_CVLAN,
				    OFD_F_DST_CVLAN,	     OFD_F_MPLS_IP,	      OFD_F_POST_NAT_SRC_ADDR,
				    OFD_F_POST_NAT_DST_ADDR, OFD_F_FLOW_END_REASON};
#define NMORE (sizeof(more_ids) / sizeof(more_ids[0]))

static void more_fields(struct ofd_flow *f)
{
	gen_sample_flow(f);
	f->mpls_label = 16001;
	f->mpls_stack.n = 2;
	f->mpls_stack.lse[0] = 16001u << 12 | 5u << 9 | 64;
	f->mpls_stack.lse[1] = 17u << 12 | 1u << 8 | 63;
	f->in_if_phys = 4000000000u;
	f->out_if_phys = 12;
	f->post_nat_src_port = 65535;
	f->post_nat_dst_port = 80;
	f->src_cvlan = 4095;
	f->dst_cvlan = 1;
	ofd_ip_set4u(&f->mpls_ip, 0x0a0000fe);
	ofd_ip_set4u(&f->post_nat_src_addr, 0xc6336401);
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07};
	ofd_ip_set6(&f->post_nat_dst_addr, v6);
	f->flow_end_reason = 5;
	for (size_t i = 0; i < NMORE; i++)
		ofd_flow_set(f, more_ids[i]);
}

static void test_json_round_trip_more(void **state)
{
	(void)state;
	struct ofd_flow f, g;
	more_fields(&f);
	char *s = render(1, &f, NULL, 0);
	/* goflow2's keys from the stack and the address, then ours in table order */
	assert_non_null(
	    strstr(s, ",\"mpls_ttl\":[64,63],\"mpls_label\":[16001,17],\"mpls_ip\":[\"10.0.0.254\"],"));
	const char *tail = strstr(s, ",\"mpls_stack\"");
	assert_non_null(tail);
	char want[512];
	snprintf(want, sizeof(want),
		 ",\"mpls_stack\":[%u,%u],\"in_if_phys\":4000000000,\"out_if_phys\":12,"
		 "\"post_nat_src_port\":65535,\"post_nat_dst_port\":80,\"src_cvlan\":4095,\"dst_cvlan\":1,"
		 "\"post_nat_src_addr\":\"198.51.100.1\",\"post_nat_dst_addr\":\"2001:db8::7\","
		 "\"flow_end_reason\":5}\n",
		 f.mpls_stack.lse[0], f.mpls_stack.lse[1]);
	assert_string_equal(tail, want);
	assert_int_equal(ofd_flowjson_parse(&g, s, strlen(s), NULL, NULL), 0);
	for (size_t i = 0; i < NMORE; i++)
		assert_true(ofd_flow_has(&g, more_ids[i]));
	memset(&f.present, 0, sizeof(f.present));
	memset(&g.present, 0, sizeof(g.present));
	assert_memory_equal(&f, &g, sizeof(f));
	/* the stack's top label alone (a record parsed from older output): [label] */
	struct ofd_flow h;
	more_fields(&h);
	ofd_flow_clear(&h, OFD_F_MPLS_STACK);
	ofd_flow_clear(&h, OFD_F_MPLS_IP);
	char *t = render(1, &h, NULL, 0);
	assert_non_null(strstr(t, ",\"mpls_ttl\":[],\"mpls_label\":[16001],\"mpls_ip\":[],"));
	assert_null(strstr(t, "mpls_stack"));
	/* values of the wrong type or out of range are refused */
	static const char *bad[] = {"{\"mpls_stack\":[4294967296]}", "{\"mpls_stack\":7}",
				    "{\"mpls_ip\":[7]}", "{\"post_nat_src_port\":65536}",
				    "{\"flow_end_reason\":256}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ofd_flowjson_parse(&g, bad[i], strlen(bad[i]), NULL, NULL), OFD_EFORMAT);
	/* a longer stack than the record holds keeps its first OFD_MPLS_MAX entries */
	static const char longer[] = "{\"mpls_stack\":[1,2,3,4,5,6,7,8,9,10,11]}";
	assert_int_equal(ofd_flowjson_parse(&g, longer, strlen(longer), NULL, NULL), 0);
	assert_int_equal(g.mpls_stack.n, OFD_MPLS_MAX);
	assert_int_equal(g.mpls_stack.lse[9], 10);
	/* CSV: the labels joined by '/', the rest as numbers and addresses */
	const uint8_t ids[] = {OFD_F_MPLS_STACK,	OFD_F_MPLS_IP,	  OFD_F_POST_NAT_DST_ADDR,
			       OFD_F_POST_NAT_SRC_PORT, OFD_F_IN_IF_PHYS, OFD_F_SRC_CVLAN,
			       OFD_F_FLOW_END_REASON};
	char *hd = render(0, NULL, ids, sizeof(ids));
	assert_string_equal(hd,
			    "mpls_labels,mpls_ip,post_nat_dst_addr,post_nat_src_port,in_if_phys,src_cvlan,"
			    "flow_end_reason\n");
	more_fields(&f);
	char *c = render(0, &f, ids, sizeof(ids));
	assert_string_equal(c, "16001/17,10.0.0.254,2001:db8::7,65535,4000000000,4095,5\n");
	/* names: ours, the CSV column, and the other tools' */
	assert_int_equal(ofd_field_by_name("mpls_labels"), OFD_F_MPLS_STACK);
	assert_int_equal(ofd_field_by_name("SrcAddrNAT"), OFD_F_POST_NAT_SRC_ADDR);
	assert_int_equal(ofd_field_by_name("DstPortNAT"), OFD_F_POST_NAT_DST_PORT);
	assert_int_equal(ofd_field_by_name("ingressPhysicalInterface"), OFD_F_IN_IF_PHYS);
	assert_int_equal(ofd_field_by_name("flowEndReason"), OFD_F_FLOW_END_REASON);
	free(s);
	free(t);
	free(hd);
	free(c);
}

static void test_csv(void **state)
{
	(void)state;
	struct ofd_flow f;
	new_fields(&f);
	const uint8_t ids[] = {OFD_F_BYTES,	      OFD_F_CID,
			       OFD_F_DST_AS_NAME,     OFD_F_NOTE,
			       OFD_F_BGP_COMMUNITIES, OFD_F_BGP_LARGE_COMMUNITIES,
			       OFD_F_REMOTE_ADDR,     OFD_F_REMOTE_COUNTRY};
	char *h = render(0, NULL, ids, sizeof(ids));
	assert_string_equal(h, "bytes,cid,dst_as_name,note,bgp_communities,bgp_large_communities,remote_addr,"
			       "remote_country\n");
	char *s = render(0, &f, ids, sizeof(ids));
	char want[256];
	snprintf(want, sizeof(want),
		 "%llu,17,\"OTHER, AS\",\"n\"\"1\",4259840100 65000,64496:1:2 4200000000:0:4294967295,2,NL\n",
		 (unsigned long long)f.bytes);
	assert_string_equal(s, want);
	/* unset: empty cells and zeros */
	struct ofd_flow z;
	memset(&z, 0, sizeof(z));
	char *e = render(0, &z, ids, sizeof(ids));
	assert_string_equal(e, "0,0,,,,,0,\n");
	free(h);
	free(s);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_flowpipeline_names),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_fieldset),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_json_round_trip_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
