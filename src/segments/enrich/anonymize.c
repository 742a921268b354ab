/*
 * anonymize: flowpipeline's anonymize segment. Replaces addresses by Crypto-PAn pseudonyms
 * (prefix-preserving: two addresses that share n leading bits share exactly n after), and/or
 * cuts them to a subnet (host bits zeroed), as flowpipeline's keys say:
 *
 *   - segment: anonymize
 *     config:
 *       key: "a 32 character key for tests 123"   # 32 bytes, or 0x + 64 hex digits (nfanon -K)
 *       mode: cryptopan        # cryptopan | subnet | all (Crypto-PAn, then the subnet cut)
 *       maskV4: 16             # subnet and all: prefix bits kept, 8..32
 *       maskV6: 52             # subnet and all: prefix bits kept, 4..128
 *       fields: "SrcAddr,DstAddr"   # default DstAddr,NextHop,SamplerAddress,SrcAddr
 *       cache: 65536           # ours: IPv4 result cache entries (0: none)
 *
 * IPv4 records (stored ::ffff:a.b.c.d) are anonymized as 32-bit addresses and stay v4-mapped;
 * IPv6 ones over 128 bits. Unset addresses (no family) are left alone, as flowpipeline does.
 * Per anonymized address it sets, as flowpipeline's EnrichedFlow means them, XAnon (the
 * AnonymizedType: CryptoPAN, Subnet, SubnetAndCryptoPAN) and, when a subnet cut was made,
 * XPreservedLen = the mask, or the earlier value when one was set and is shorter (a cut
 * after a cut keeps the shorter); Crypto-PAn alone leaves XPreservedLen as it was.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cryptopan.h"
#include "segments/common/fieldlist.h"
#include "ofd/segment.h"

enum { MODE_CRYPTOPAN, MODE_SUBNET, MODE_ALL };
static const char *const anon_modes[] = {"cryptopan", "subnet", "all", NULL};

/* The address fields it can anonymize, with their companions. */
struct afield {
	const char *name;
	unsigned id, anon_id, plen_id;
	size_t addr, anon, plen;
};
#define AF(NAME, ID, A, AID, P, PID, PL)                                                                     \
	{                                                                                                    \
		NAME, OFD_F_##ID, OFD_F_##AID, OFD_F_##PID, offsetof(struct ofd_flow, A),                    \
		    offsetof(struct ofd_flow, P), offsetof(struct ofd_flow, PL)                              \
	}
static const struct afield afields[] = {
    AF("SrcAddr", SRC_ADDR, src_addr, SRC_ADDR_ANON, src_addr_anon, SRC_ADDR_PRESERVED_LEN,
       src_addr_preserved_len),
    AF("DstAddr", DST_ADDR, dst_addr, DST_ADDR_ANON, dst_addr_anon, DST_ADDR_PRESERVED_LEN,
       dst_addr_preserved_len),
    AF("SamplerAddress", SAMPLER_ADDRESS, sampler_address, SAMPLER_ADDR_ANON, sampler_addr_anon,
       SAMPLER_ADDR_PRESERVED_LEN, sampler_addr_preserved_len),
    AF("NextHop", NEXT_HOP, next_hop, NEXT_HOP_ANON, next_hop_anon, NEXT_HOP_PRESERVED_LEN,
       next_hop_preserved_len),
};
#define NAF (sizeof(afields) / sizeof(afields[0]))

struct anonymize_state {
	/* config */
	char *key;
	int mode;
	uint64_t mask_v4, mask_v6;
	struct ofd_strlist fields;
	uint64_t cache;
	/* init */
	struct ofd_cpan *cp;
	unsigned nf;
	const struct afield *f[NAF];
	uint8_t anon_type;
	uint32_t m4;
	uint8_t m6[16];
	struct ofd_cpan_stats last;
};

enum { C_ADDRESSES, C_UNSET, C_CACHE_MISSES };
static const char *const anonymize_counters[] = {"addresses", "unset", "cache_misses", NULL};

static const struct ofd_cfg_key anonymize_keys[] = {
    OFD_KEY("key", OFD_CFG_STRING, struct anonymize_state, key,
	    .help =
		"the Crypto-PAn key: 32 characters taken as bytes (flowpipeline, nfanon), or 0x and 64 hex "
		"digits (nfanon's -K); required for the modes cryptopan and all"),
    OFD_KEY("mode", OFD_CFG_ENUM, struct anonymize_state, mode, .def = "cryptopan", .choices = anon_modes,
	    .help = "cryptopan (prefix-preserving pseudonyms), subnet (zero the host bits), all (both)"),
    OFD_KEY("maskV4", OFD_CFG_UINT, struct anonymize_state, mask_v4, .def = "16", .min = 8, .max = 32,
	    .help = "subnet and all: IPv4 prefix bits kept"),
    OFD_KEY("maskV6", OFD_CFG_UINT, struct anonymize_state, mask_v6, .def = "52", .min = 4, .max = 128,
	    .help = "subnet and all: IPv6 prefix bits kept"),
    OFD_KEY("fields", OFD_CFG_STRLIST, struct anonymize_state, fields, .def = "",
	    .help =
		"the address fields, comma-separated: SrcAddr, DstAddr, SamplerAddress, NextHop (empty: all "
		"four)"),
    OFD_KEY("cache", OFD_CFG_UINT, struct anonymize_state, cache, .def = "65536", .min = 0, .max = 16777216,
	    .help =
		"entries of the IPv4 result cache (a quarter as many for /24 prefixes and IPv6; 0: none)"),
    OFD_KEY_END,
};

struct pick_ctx {
	const struct afield **f;
	unsigned n;
	char bad[64];
};

static int pick(void *ctx, const char *name)
{
	struct pick_ctx *c = ctx;
	int id = ofd_field_by_name(name);
	for (unsigned i = 0; i < NAF; i++) {
		if (id >= 0 && (unsigned)id == afields[i].id) {
			for (unsigned j = 0; j < c->n; j++)
				if (c->f[j] == &afields[i])
					return 0; /* named twice: once is enough */
			c->f[c->n++] = &afields[i];
			return 0;
		}
	}
	snprintf(c->bad, sizeof(c->bad), "%s", name);
	return OFD_FIELDLIST_UNKNOWN;
}

/* The fields to anonymize into f (NAF of room); 0, or OFD_ECONFIG with the reason. */
static int pick_fields(const struct anonymize_state *s, const struct afield **f, unsigned *n, char *err,
		       size_t errlen)
{
	struct pick_ctx c = {f, 0, ""};
	int empty = s->fields.n == 0 || (s->fields.n == 1 && s->fields.v[0][0] == 0);
	if (empty) {
		for (unsigned i = 0; i < NAF; i++)
			f[i] = &afields[i];
		*n = NAF;
		return 0;
	}
	/* the generic list walk, with our own picker and our own message for a field it refuses */
	char why[160];
	if (ofd_fieldlist_walk(&s->fields, pick, &c, why, sizeof(why)) != 0) {
		if (c.bad[0])
			snprintf(err, errlen,
				 "key fields: \"%s\" is not an address field anonymize handles (SrcAddr, "
				 "DstAddr, SamplerAddress, NextHop)",
				 c.bad);
		else
			snprintf(err, errlen, "key fields: %s", why);
		return OFD_ECONFIG;
	}
	*n = c.n;
	return 0;
}

static int anonymize_check(const void *state, char *err, size_t errlen)
{
	const struct anonymize_state *s = state;
	if (s->mode != MODE_SUBNET) {
		uint8_t k[32];
		char why[160];
		if (!s->key || !s->key[0]) {
			snprintf(err, errlen,
				 "key key: missing; modes cryptopan and all need the Crypto-PAn key");
			return OFD_ECONFIG;
		}
		if (ofd_cpan_parse_key(s->key, k, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "key key: %s", why);
			return OFD_ECONFIG;
		}
	}
	const struct afield *f[NAF];
	unsigned n;
	return pick_fields(s, f, &n, err, errlen);
}

static int anonymize_init(struct ofd_segment *seg, void *state)
{
	struct anonymize_state *s = state;
	char why[256];
	if (anonymize_check(s, why, sizeof(why)) != 0) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", why);
		return OFD_ECONFIG;
	}
	(void)pick_fields(s, s->f, &s->nf, why, sizeof(why));
	if (s->mode != MODE_SUBNET) {
		uint8_t k[32];
		(void)ofd_cpan_parse_key(s->key, k, why, sizeof(why));
		s->cp = ofd_cpan_new(k, (uint32_t)s->cache, why, sizeof(why));
		memset(k, 0, sizeof(k));
		if (!s->cp) {
			ofd_seg_log(seg, OFD_LOG_ERR, "%s", why);
			return -ENOMEM;
		}
	}
	s->anon_type = s->mode == MODE_CRYPTOPAN ? OFD_ANON_CRYPTOPAN
		       : s->mode == MODE_SUBNET	 ? OFD_ANON_SUBNET
						 : OFD_ANON_BOTH;
	s->m4 = s->mask_v4 >= 32 ? ~0u : ~(~0u >> s->mask_v4);
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = s->mask_v6 > 8 * i ? (unsigned)s->mask_v6 - 8 * i : 0;
		s->m6[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
	}
	return 0;
}

static void anon_ip(struct anonymize_state *s, struct ofd_ip *ip)
{
	if (ip->family == OFD_AF_INET) {
		uint8_t *p = ip->b + 12;
		uint32_t a = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		if (s->cp)
			a = ofd_cpan_anon4(s->cp, a);
		if (s->mode != MODE_CRYPTOPAN)
			a &= s->m4;
		p[0] = (uint8_t)(a >> 24), p[1] = (uint8_t)(a >> 16), p[2] = (uint8_t)(a >> 8),
		p[3] = (uint8_t)a;
	} else {
		if (s->cp)
			ofd_cpan_anon6(s->cp, ip->b, ip->b);
		if (s->mode != MODE_CRYPTOPAN)
			for (unsigned i = 0; i < 16; i++)
				ip->b[i] &= s->m6[i];
	}
}

static void anonymize_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct anonymize_state *s = state;
	uint64_t done = 0, unset = 0;
	const int cut = s->mode != MODE_CRYPTOPAN;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		char *base = (char *)f;
		for (unsigned k = 0; k < s->nf; k++) {
			const struct afield *af = s->f[k];
			struct ofd_ip *ip = (struct ofd_ip *)(void *)(base + af->addr);
			if (!ip->family) {
				unset++;
				continue;
			}
			anon_ip(s, ip);
			done++;
			*(uint8_t *)(base + af->anon) = s->anon_type;
			ofd_flow_set(f, af->anon_id);
			if (cut) {
				uint8_t *pl = (uint8_t *)(base + af->plen);
				uint8_t m = (uint8_t)(ip->family == OFD_AF_INET ? s->mask_v4 : s->mask_v6);
				if (*pl == 0 || m < *pl)
					*pl = m;
				ofd_flow_set(f, af->plen_id);
			}
		}
	}
	if (done)
		ofd_segment_count(seg, C_ADDRESSES, done);
	if (unset)
		ofd_segment_count(seg, C_UNSET, unset);
	if (s->cp) {
		struct ofd_cpan_stats st;
		ofd_cpan_get_stats(s->cp, &st);
		uint64_t miss = st.misses4 + st.misses6 - s->last.misses4 - s->last.misses6;
		if (miss)
			ofd_segment_count(seg, C_CACHE_MISSES, miss);
		s->last = st;
	}
}

static void anonymize_fini(struct ofd_segment *seg, void *state)
{
	struct anonymize_state *s = state;
	(void)seg;
	ofd_cpan_free(s->cp);
	s->cp = NULL;
}

const struct ofd_segment_type ofd_seg_anonymize = {
    OFD_SEGMENT_VERSION,
    .name = "anonymize",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "pseudonymize addresses with Crypto-PAn (prefix-preserving, AES-128 from OpenSSL) and/or cut "
	       "them to a subnet; sets SrcAddrAnon... as flowpipeline",
    .state_size = sizeof(struct anonymize_state),
    .config = anonymize_keys,
    .counters = anonymize_counters,
    .check = anonymize_check,
    .init = anonymize_init,
    .process = anonymize_process,
    .fini = anonymize_fini,
};
