/*
 * csv: a header line, then one line per live record with the configured fields (every goflow2
 * field by default), quoted where needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gen_flow.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_csv;

/*
 * Write 3 sample flows (flow i with bytes 1000 + i, flow 1 not live, flow 2 with the interface
 * description desc2, every flow with desc when not NULL) with config, and check that the
 * output passed every record on.
 */
static void write_samples(const char *config, const char *desc2, const char *desc)
{
	struct ofd_harness *h = st_open(&ofd_seg_csv, config);
	struct ofd_batch *b = ofd_harness_batch(h, 3);
	for (uint32_t i = 0; i < 3; i++) {
		gen_sample_flow(&b->flows[i]);
		b->flows[i].bytes = 1000 + i;
		if (desc)
			b->flows[i].in_if_desc = desc;
	}
	if (desc2)
		b->flows[2].in_if_desc = desc2;
	ofd_batch_kill(b, 1);
	ofd_harness_process(h, b);
	assert_int_equal(ofd_batch_live_count(b), 2); /* outputs pass everything on */
	ofd_harness_free(h);
}

static void test_csv(void **state)
{
	(void)state;
	char cfg[600];
	const char *transit = "Transit, \"A\"";
	snprintf(cfg, sizeof(cfg), "{filename: %s, fields: [src_addr, SrcPort, 'bytes,proto', in_if_desc]}",
		 st_path("out.csv"));
	write_samples(cfg, transit, NULL);
	char *s = st_slurp(st_path("out.csv"), NULL);
	assert_string_equal(s, "src_addr,src_port,bytes,proto,in_if_desc\n"
			       "192.0.2.129,123,1000,UDP,\n"
			       "192.0.2.129,123,1002,UDP,\"Transit, \"\"A\"\"\"\n");
	free(s);
	/* default: every goflow2 field, as `overflowd dump --format csv` */
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("all.csv"));
	write_samples(cfg, transit, NULL);
	s = st_slurp(st_path("all.csv"), NULL);
	assert_true(strncmp(s, "type,time_received_ns,sequence_num,sampling_rate,sampler_address,", 65) == 0);
	assert_non_null(strstr(s, ",engine_type,engine_id\nNETFLOW_V5,1185523201000000000,4242,100,"));
	assert_non_null(
	    strstr(s, ",1000,10,192.0.2.129,198.51.100.2,IPv4,UDP,123,44321,3,4,0a:1b:2c:3d:4e:5f,"));
	free(s);
}

/* format: flowpipeline: EnrichedFlow's names and flowpipeline's renderings, exactly */
static void test_csv_flowpipeline(void **state)
{
	(void)state;
	char cfg[900];
	snprintf(cfg, sizeof(cfg),
		 "{filename: %s, format: flowpipeline, fields: 'Type,TimeReceivedNs,SamplerAddress,Bytes,"
		 "SrcAddr,DstAddr,Etype,Proto,SrcMac,SrcNet,MplsLabel,MplsIp,Mpls_1Label,HasMpls,AsPath,"
		 "BgpCommunities,ValidationStatus,Normalized,RemoteAddr,SrcAddrAnon,LayerStack,SrcIfDesc,"
		 "Note,SrcCountry,TimeFlowEnd,SourceIP,bgp_large_communities'}",
		 st_path("fp.csv"));
	struct ofd_harness *h = st_open(&ofd_seg_csv, cfg);
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	gen_sample_flow(&b->flows[0]);
	gen_sample_flow(&b->flows[1]);
	struct ofd_flow *f = &b->flows[1];
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	ofd_ip_set6(&f->dst_addr, v6);
	f->etype = 0x86dd;
	f->proto = 58;
	f->mpls_stack.n = 2;
	f->mpls_stack.lse[0] = 16001u << 12 | 64;
	f->mpls_stack.lse[1] = 17u << 12 | 1u << 8 | 63;
	ofd_flow_set(f, OFD_F_MPLS_STACK);
	f->mpls_label = 16001;
	ofd_ip_set4u(&f->mpls_ip, 0x0a000001);
	ofd_flow_set(f, OFD_F_MPLS_IP);
	f->as_path_len = 2;
	f->as_path[0] = 64500;
	f->as_path[1] = 64501;
	f->bgp_communities.n = 1;
	f->bgp_communities.v[0] = 65000u << 16 | 100;
	f->rpki = OFD_RPKI_NOTFOUND;
	f->normalized = 1;
	f->remote_addr = OFD_REMOTE_DST;
	f->src_addr_anon = OFD_ANON_BOTH;
	f->in_if_desc = " uplink, \"A\"";
	f->note = "x\x1b[2J";
	memcpy(f->src_country, "DE", 2);
	f->source_ip = "192.0.2.129";
	f->bgp_large_communities.n = 1;
	f->bgp_large_communities.v[0] = (struct ofd_large_community){64496, 1, 2};
	ofd_harness_process(h, b);
	ofd_harness_free(h);
	char *s = st_slurp(st_path("fp.csv"), NULL);
	assert_string_equal(
	    s, "Type,TimeReceivedNs,SamplerAddress,Bytes,SrcAddr,DstAddr,Etype,Proto,SrcMac,SrcNet,MplsLabel,"
	       "MplsIp,Mpls_1Label,HasMpls,AsPath,BgpCommunities,ValidationStatus,Normalized,RemoteAddr,"
	       "SrcAddrAnon,LayerStack,SrcIfDesc,Note,SrcCountry,TimeFlowEnd,SourceIP,BgpLargeCommunities\n"
	       /* a NetFlow v5 record: no enrichment, the zero values */
	       "NETFLOW_V5,1185523201000000000,122.166.4.242,15000,192.0.2.129,198.51.100.2,2048,17,"
	       "11111822610015,25,[],[],0,false,[],[],Unknown,No,Neither,NotAnonymized,[],,,,0,,[]\n"
	       /* and one with everything: lists, enums by name, a quoted cell, an escaped control;
		  HasMpls, LayerStack and TimeFlowEnd are storage-less (nothing produces them): as unset */
	       "NETFLOW_V5,1185523201000000000,122.166.4.242,15000,192.0.2.129,2001:db8::1,34525,58,"
	       "11111822610015,25,[16001 17],[[10 0 0 1]],16001,false,[64500 64501],[4259840100],NotFound,"
	       "Yes,Dst,SubnetAndCryptoPAN,[],\" uplink, \"\"A\"\"\",x\\x1b[2J,DE,"
	       "0,192.0.2.129,[64496:1:2]\n");
	free(s);

	/* by default EnrichedFlow's 149 fields in its order */
	snprintf(cfg, sizeof(cfg), "{filename: %s, format: flowpipeline}", st_path("fpall.csv"));
	write_samples(cfg, NULL, NULL);
	s = st_slurp(st_path("fpall.csv"), NULL);
	const char *row = strchr(s, '\n') + 1;
	unsigned commas = 0;
	for (const char *c = s; c < row; c++)
		commas += *c == ',';
	assert_int_equal(commas, 148);
	static const char head[] = "Type,TimeReceived,TimeReceivedNs,SequenceNum,SamplingRate,FlowDirection,"
				   "TimeFlowStartNs,TimeFlowEndNs,SamplerAddress,TimeFlowEnd,";
	assert_int_equal(strncmp(s, head, sizeof(head) - 1), 0);
	assert_non_null(strstr(s, ",IngressVrfIDBW,EgressVrfIDBW,TimeFlowStart,SrcAsPath,DstAsPath\n"));
	assert_int_equal(strncmp(row, "NETFLOW_V5,0,1185523201000000000,4242,100,0,", 44), 0);
	assert_non_null(strstr(row, ",1000,10,192.0.2.129,198.51.100.2,2048,17,123,44321,3,4,"));
	assert_non_null(
	    strstr(row, ",0,,,,,,,,0,0,0,[],[]\n")); /* DstIfSpeed, Note, addrstrings, VRFs, AS paths */
	free(s);

	/* a name neither project knows is refused */
	char err[512] = "";
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_csv, "{format: flowpipeline, fields: 'Bytes,SrcAdr'}",
					 err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment csv: ");
}

static void test_csv_big_records(void **state)
{
	(void)state;
	/* records larger than the room kept per record still come out whole and in order */
	char *big = malloc(8192);
	assert_non_null(big);
	size_t bl = (size_t)snprintf(big, 8192, "{filename: %s, fields: [bytes", st_path("big.csv"));
	for (int i = 0; i < 100; i++)
		bl += (size_t)snprintf(big + bl, 8192 - bl, ", in_if_desc");
	snprintf(big + bl, 8192 - bl, "]}");
	char desc[201];
	memset(desc, '"', 200);
	desc[200] = 0;
	write_samples(big, NULL, desc);
	size_t len;
	char *s = st_slurp(st_path("big.csv"), &len);
	/* header: "bytes" + 100 names; 2 rows: 4 digits + 100 cells of 402 quoted bytes */
	assert_int_equal(len, 5 + 100 * 11 + 1 + 2 * (4 + 100 * 403 + 1));
	assert_int_equal(strncmp(s + 5 + 100 * 11 + 1, "1000,\"\"\"", 8), 0);
	free(s);
	free(big);
}

static void test_csv_errors(void **state)
{
	(void)state;
	struct ofd_harness *h;
	char err[512] = "";
	/* an unknown field refuses the start */
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_csv, "{fields: [bytes, byte]}", err, sizeof(err)),
			 OFD_ECONFIG);
	assert_null(h);
	st_assert_prefix(err, "test.yml:1: segment csv: ");
	/* an unwritable file refuses the start */
	assert_true(
	    ofd_harness_new(&h, &ofd_seg_csv, "{filename: /nonexistent/dir/x.csv}", err, sizeof(err)) < 0);
	assert_null(h);
}

static void test_csv_symlink(void **state)
{
	(void)state;
	st_assert_symlink_refused(&ofd_seg_csv, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_symlink),	     cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_csv_flowpipeline), cmocka_unit_test(test_csv_big_records),
	    cmocka_unit_test(test_csv_errors),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
