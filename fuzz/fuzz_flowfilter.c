/*
 * libFuzzer target: the flowfilter compiler and evaluator. The input (NUL-terminated copy) is
 * compiled as an expression; when it compiles, it is evaluated on a few fixed records (IPv4 and
 * IPv6, with and without the enriched fields and communities) and on a batch of them, then
 * freed; the mixed `and`/`or` check runs on it too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter/flowfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fill(struct ofd_flow *r, unsigned k)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	memset(r, 0, sizeof(*r));
	if (k == 3)
		return; /* an empty record */
	if (k == 0) {
		r->present = ofd_fieldset_all();
	} else {
		ofd_flow_set(r, OFD_F_SRC_ADDR);
		ofd_flow_set(r, OFD_F_DST_ADDR);
		ofd_flow_set(r, OFD_F_PROTO);
	}
	if (k == 1) {
		ofd_ip_set4u(&r->src_addr, 0x0a000001);
		ofd_ip_set4u(&r->dst_addr, 0xc0000201);
	} else {
		ofd_ip_set6(&r->src_addr, v6);
		ofd_ip_set6(&r->dst_addr, v6);
	}
	ofd_ip_set4u(&r->sampler_address, 0x7f000001);
	r->proto = k == 0 ? 6 : (k == 1 ? 17 : 58);
	r->src_port = 123;
	r->dst_port = (uint16_t)(k == 2 ? 0x0303 : 443);
	r->bytes = 1500u * (k + 1);
	r->packets = k + 1;
	r->time_flow_start_ns = 1000000000ull;
	r->time_flow_end_ns = 1000000000ull * (k + 1);
	r->tcp_flags = 0x12;
	r->ip_tos = 0xb9;
	r->forwarding_status = 138;
	r->in_if_name = "Hu0/1/1/1";
	r->in_if_desc = "IX peering";
	r->out_if_name = NULL; /* present bit set on record 0, but no string */
	r->as_path_len = 3;
	r->as_path[0] = 553;
	r->as_path[1] = 3320;
	r->as_path[2] = 15169;
	r->src_country[0] = 'D';
	r->src_country[1] = 'E';
	r->rpki = OFD_RPKI_INVALID;
	r->normalized = 1;
	/* communities: read on record 0 (present); on records 1 and 2 set but not present */
	r->bgp_communities.v[0] = 65000u << 16 | 100;
	r->bgp_communities.v[1] = 0xffff029a;		    /* blackhole */
	r->bgp_communities.n = (uint8_t)(k == 2 ? 255 : 2); /* a count past the array */
	r->bgp_large_communities.v[0] = (struct ofd_large_community){65000, 100, 7};
	r->bgp_large_communities.n = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ofd_batch batch;
	char *expr = malloc(size + 1);
	if (!expr)
		return 0;
	memcpy(expr, data, size);
	expr[size] = 0;
	struct ofd_filter *f;
	char err[256];
	char mix[256];
	int mixed = ofd_filter_mixed(expr, mix, sizeof(mix));
	if (mixed && strncmp(mix, "column ", 7) != 0)
		abort();
	if (ofd_filter_compile(&f, expr, err, sizeof(err)) == 0) {
		ofd_batch_init(&batch, NULL, NULL);
		for (unsigned k = 0; k < 4; k++) {
			struct ofd_flow *r = ofd_batch_add(&batch);
			fill(r, k);
			(void)ofd_filter_match(f, r);
		}
		ofd_batch_kill(&batch, 2);
		uint32_t kept = ofd_filter_batch(f, &batch);
		if (kept > 3 || ofd_batch_is_live(&batch, 2))
			abort(); /* a dead record came back, or more kept than were live */
		ofd_filter_free(f);
	} else if ((err[0] != 'c' && err[0] != 0) || mixed) {
		abort(); /* every error message starts with "column N: "; only a filter mixes */
	}
	free(expr);
	return 0;
}
