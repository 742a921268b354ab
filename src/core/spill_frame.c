/* A batch as the raw bytes of one spill frame, and back (core/spill_int.h). */
#include <pthread.h>
#include <string.h>

#include "core/spill_int.h"

static uint16_t str_off[OFD_F__COUNT], str_id[OFD_F__COUNT];
static unsigned nstr;
static pthread_once_t str_once = PTHREAD_ONCE_INIT;

static void str_fields(void)
{
	for (unsigned i = 0; i < OFD_F__STORED; i++)
		if (ofd_fields[i].kind == OFD_FK_STR) {
			str_id[nstr] = (uint16_t)i;
			str_off[nstr++] = ofd_fields[i].off;
		}
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

size_t ofd_spill_encode(unsigned char *raw, const struct ofd_batch *b, uint32_t *nrec)
{
	const size_t fs = sizeof(struct ofd_flow);
	pthread_once(&str_once, str_fields);
	uint32_t n = ofd_batch_live_count(b), k = 0;
	unsigned char *rec = raw + 8;
	char *ar = (char *)rec + (size_t)n * fs;
	uint32_t alen = b->arena_used;
	memcpy(ar, b->arena, alen);
	for (unsigned w = 0; w < OFD_BATCH_CAP / 64; w++) {
		for (uint64_t m = b->live[w]; m; m &= m - 1) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(m);
			struct ofd_flow f = b->flows[i];
			for (unsigned s = 0; s < nstr; s++) {
				const char *p;
				uint64_t o = 0;
				memcpy(&p, (char *)&f + str_off[s], sizeof(p));
				if (p && (uintptr_t)p >= (uintptr_t)b->arena &&
				    (uintptr_t)p < (uintptr_t)b->arena + b->arena_used) {
					o = (uint64_t)(p - b->arena) + 1;
				} else if (p) { /* text outside the arena (configuration): copied in */
					size_t len = strlen(p);
					if (alen + len + 1 <= OFD_BATCH_ARENA) {
						memcpy(ar + alen, p, len + 1);
						o = alen + 1u;
						alen += (uint32_t)len + 1;
					} else {
						ofd_flow_clear(&f, str_id[s]);
					}
				}
				memcpy((char *)&f + str_off[s], &o, sizeof(o));
			}
			memcpy(rec + (size_t)k++ * fs, &f, fs);
		}
	}
	put32(raw, n);
	put32(raw + 4, alen);
	*nrec = n;
	return 8 + (size_t)n * fs + alen;
}

static void sp_sanitize(struct ofd_flow *f)
{
	for (unsigned i = 0; i < OFD_F__STORED; i++) {
		const struct ofd_field_info *fi = &ofd_fields[i];
		unsigned char *p = (unsigned char *)f + fi->off;
		switch (fi->kind) {
		case OFD_FK_IP: {
			struct ofd_ip *ip = (struct ofd_ip *)(void *)p;
			if (ip->family != OFD_AF_INET && ip->family != OFD_AF_INET6)
				ip->family = OFD_AF_NONE;
			break;
		}
		case OFD_FK_ASPATH:
			if (fi->aux_size == 1 && ((unsigned char *)f)[fi->aux_off] > OFD_AS_PATH_MAX)
				((unsigned char *)f)[fi->aux_off] = OFD_AS_PATH_MAX;
			break;
		case OFD_FK_COMMS: {
			struct ofd_communities *c = (struct ofd_communities *)(void *)p;
			if (c->n > OFD_COMMUNITIES_MAX)
				c->n = OFD_COMMUNITIES_MAX;
			break;
		}
		case OFD_FK_LCOMMS: {
			struct ofd_large_communities *c = (struct ofd_large_communities *)(void *)p;
			if (c->n > OFD_LARGE_COMMUNITIES_MAX)
				c->n = OFD_LARGE_COMMUNITIES_MAX;
			break;
		}
		case OFD_FK_MPLS: {
			struct ofd_mpls_stack *m = (struct ofd_mpls_stack *)(void *)p;
			if (m->n > OFD_MPLS_MAX)
				m->n = OFD_MPLS_MAX;
			break;
		}
		case OFD_FK_FLOWTYPE:
			if (*p > OFD_FT_IPFIX)
				*p = OFD_FT_UNKNOWN;
			break;
		case OFD_FK_RPKI:
			if (*p > OFD_RPKI_NOTFOUND)
				*p = OFD_RPKI_UNKNOWN;
			break;
		default: break;
		}
	}
}

int ofd_spill_decode(const unsigned char *raw, size_t len, uint32_t nrec, struct ofd_batch *b)
{
	const size_t fs = sizeof(struct ofd_flow);
	pthread_once(&str_once, str_fields);
	if (len < 8)
		return -1;
	uint32_t n = get32(raw), alen = get32(raw + 4);
	if (n != nrec || n > OFD_BATCH_CAP || alen > OFD_BATCH_ARENA || len != 8 + (size_t)n * fs + alen)
		return -1;
	const unsigned char *rec = raw + 8;
	const char *ar = (const char *)rec + (size_t)n * fs;
	memcpy(b->arena, ar, alen);
	for (uint32_t i = 0; i < n; i++) {
		struct ofd_flow *f = &b->flows[i];
		memcpy(f, rec + (size_t)i * fs, fs);
		for (unsigned s = 0; s < nstr; s++) {
			uint64_t o;
			const char *p = NULL;
			memcpy(&o, (char *)f + str_off[s], sizeof(o));
			if (o) {
				if (o > alen || !memchr(ar + o - 1, 0, alen - (o - 1)))
					return -1;
				p = b->arena + o - 1;
			}
			memcpy((char *)f + str_off[s], &p, sizeof(p));
		}
		sp_sanitize(f);
		b->live[i >> 6] |= UINT64_C(1) << (i & 63);
	}
	b->n = n;
	b->arena_used = alen;
	return 0;
}
