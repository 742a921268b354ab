/*
 * Helpers of the flowfilter-as-flowpipeline tests (test_flowfilter_fp.c, test_flowfilter_rules.c):
 * the reference flow of flowfilter's matching cases, and tables of expressions with verdicts.
 */
#ifndef TEST_FLOWFILTER_FP_H
#define TEST_FLOWFILTER_FP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter/flowfilter.h"

#define SEC	 1000000000ull
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline void set_v6(struct ofd_ip *ip, const char *text)
{
	if (ofd_ip_parse(ip, text))
		fail_msg("bad address %s", text);
}

/*
 * The reference flow of the matching cases: an ICMP flow (type 4 code 0 in the destination port)
 * from 10.0.0.200 to 2001:7c0:0:254::6 that carries every enriched field flowpipeline fills.
 */
static inline void ref_flow(struct ofd_flow *r)
{
	memset(r, 0, sizeof(*r));
	r->present = ofd_fieldset_all();
	ofd_ip_set4u(&r->src_addr, 0x0a0000c8); /* 10.0.0.200 */
	set_v6(&r->dst_addr, "2001:7c0:0:254::6");
	ofd_ip_set4u(&r->sampler_address, 0x0a000001); /* 10.0.0.1 */
	ofd_ip_set4u(&r->next_hop, 0x0a0b0001);	       /* 10.11.0.1 */
	r->src_port = 0;
	r->dst_port = 1024;
	r->src_as = 553;
	r->dst_as = 12345;
	r->in_if = 1;
	r->out_if = 2;
	r->in_if_name = "Hu0/1/1/4";
	r->in_if_desc = "some IX";
	r->in_if_speed = 100000000000ull; /* 100000 Mbit/s */
	r->out_if_name = "Te1/1/1/1";
	r->out_if_desc = "customer";
	r->out_if_speed = 10000000000ull; /* 10000 Mbit/s */
	r->src_net = 24;
	r->dst_net = 11;
	r->src_vrf = 1;
	r->dst_vrf = 2;
	r->as_path[0] = 553;
	r->as_path[1] = 554;
	r->as_path[2] = 555;
	r->as_path_len = 3;
	r->bytes = 20490000;
	r->packets = 400;
	r->flow_direction = OFD_DIR_INGRESS;
	r->normalized = 0;
	r->time_flow_start_ns = 10000 * SEC;
	r->time_flow_end_ns = 10250 * SEC; /* 250 s: 655680 bit/s, 1 packet/s */
	memcpy(r->remote_country, "DE", 2);
	r->etype = 0x0800;
	r->proto = 1;
	r->forwarding_status = 0x42; /* forwarded, not fragmented */
	r->tcp_flags = 0x12;
	r->ip_tos = 0x03;
	r->sampling_rate = 32;
	r->cid = 123;
	r->src_cid = 10;
	r->dst_cid = 123;
	r->med = 100;
	r->local_pref = 100;
	r->next_hop_as = 553;
	r->rpki = OFD_RPKI_NOTFOUND;
}

static inline int verdict(const char *expr, const struct ofd_flow *r)
{
	struct ofd_filter *f;
	char err[256];
	if (ofd_filter_compile(&f, expr, err, sizeof(err)))
		fail_msg("'%s' did not compile: %s", expr, err);
	int m = ofd_filter_match(f, r);
	ofd_filter_free(f);
	return m;
}

static inline void expect_all(const char *const *exprs, size_t n, const struct ofd_flow *r, int want)
{
	for (size_t i = 0; i < n; i++) {
		int m = verdict(exprs[i], r);
		if (m != want)
			fail_msg("'%s': %d, want %d", exprs[i], m, want);
	}
}

struct row {
	const char *expr;
	int want;
};

static inline void table(const struct row *rows, size_t n, const struct ofd_flow *r)
{
	for (size_t i = 0; i < n; i++) {
		int m = verdict(rows[i].expr, r);
		if (m != rows[i].want)
			fail_msg("'%s': %d, want %d", rows[i].expr, m, rows[i].want);
	}
}

#define TABLE(r, ...)                                                                                        \
	do {                                                                                                 \
		static const struct row rows_[] = {__VA_ARGS__};                                             \
		table(rows_, NELEM(rows_), r);                                                               \
	} while (0)

static inline void expect_compiles(const char *const *exprs, size_t n, int want)
{
	for (size_t i = 0; i < n; i++) {
		struct ofd_filter *f = NULL;
		char err[256] = "";
		int rc = ofd_filter_compile(&f, exprs[i], err, sizeof(err));
		if ((rc == 0) != want)
			fail_msg("'%s': %s, want %s (%s)", exprs[i], rc ? "refused" : "compiled",
				 want ? "compiled" : "refused", err);
		if (rc && strncmp(err, "column ", 7) != 0)
			fail_msg("'%s': message without a column: %s", exprs[i], err);
		ofd_filter_free(f);
	}
}

#endif
