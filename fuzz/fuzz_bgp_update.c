/*
 * libFuzzer target: BGP UPDATE parsing (net/bgp_msg.h, bgp_update.c). The first byte picks
 * the session options (bit 0 4-octet AS, 1 ADD-PATH IPv4, 2 ADD-PATH IPv6, 3 iBGP, 4 extended
 * messages, 5 BMP monitoring); the rest is the byte stream, split with ofd_bgp_frame and every
 * UPDATE parsed. Invariants: a parse that does not reset has NLRI blocks that walk to their
 * end with the counts it gave; prefixes are well formed; caps hold.
 */
#include <stdint.h>
#include <stdlib.h>

#include "net/bgp_msg.h"

static struct ofd_bgp_update U;

static void walk(const struct ofd_bgp_nlri *b)
{
	struct ofd_bgp_nlri_it it;
	struct ofd_prefix p;
	uint32_t n = 0, pid;
	int rc;
	ofd_bgp_nlri_begin(&it, b);
	while ((rc = ofd_bgp_nlri_next(&it, &p, &pid)) == 1) {
		if (ofd_prefix_check(&p) != 0)
			abort();
		n++;
	}
	if (rc != 0 || n != b->count)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ofd_bgp_sess s = {.as4 = data[0] & 1,
				 .addpath_v4 = data[0] >> 1 & 1,
				 .addpath_v6 = data[0] >> 2 & 1,
				 .ibgp = data[0] >> 3 & 1,
				 .ext_msg = data[0] >> 4 & 1,
				 .monitor = data[0] >> 5 & 1};
	data++, size--;
	size_t max = s.ext_msg ? OFD_BGP_EXT_MAX_LEN : OFD_BGP_MAX_LEN;
	while (size > 0) {
		size_t ml;
		struct ofd_bgp_err e;
		int rc = ofd_bgp_frame(data, size, max, &ml, &e);
		if (rc < 0 && !e.reason)
			abort();
		if (rc != 1) {
			/* the rest as one message, whatever its header says */
			(void)ofd_bgp_update_parse(data, size, &s, &U);
			break;
		}
		if (ml < OFD_BGP_HDR_LEN || ml > size)
			abort();
		enum ofd_bgp_outcome o = ofd_bgp_update_parse(data, ml, &s, &U);
		if (o != OFD_BGP_OK && !U.err.reason)
			abort();
		if (U.path.n_asn > OFD_BGP_PATH_MAX || U.path.n_seg > OFD_BGP_SEGS_MAX ||
		    U.n_unknown > OFD_BGP_UNKATTRS_MAX)
			abort();
		if (o != OFD_BGP_SESSION_RESET) {
			walk(&U.withdrawn);
			walk(&U.nlri);
			walk(&U.mp_reach);
			walk(&U.mp_unreach);
			volatile uint32_t sink = 0;
			for (unsigned i = 0; i < U.n_comms; i++)
				sink += ofd_bgp_comm(&U, i);
			for (unsigned i = 0; i < U.n_lcomms; i++) {
				uint32_t g, a, b;
				ofd_bgp_lcomm(&U, i, &g, &a, &b);
				sink += g + a + b;
			}
			for (unsigned i = 0; i < U.n_ecomms; i++)
				sink += ofd_bgp_ecomm(&U, i)[7];
			for (unsigned i = 0; i < U.n_unknown; i++)
				if (U.unknown[i].len)
					sink += U.unknown[i].data[U.unknown[i].len - 1];
			(void)sink;
		}
		data += ml, size -= ml;
	}
	return 0;
}
