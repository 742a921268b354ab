/*
 * MRT TABLE_DUMP_V2 walker (see mrt.h): bounded reads over hostile bytes, no allocation.
 */
#include <string.h>

#include "net/mrt.h"
#include "ofd/rd.h"

enum {
	MRT_TABLE_DUMP_V2 = 13,
	SUB_PEER_INDEX = 1,
	SUB_RIB_IPV4_UNICAST = 2,
	SUB_RIB_IPV6_UNICAST = 4,
	SUB_RIB_IPV4_UNICAST_ADDPATH = 8,
	SUB_RIB_IPV6_UNICAST_ADDPATH = 10,
	ATTR_AS_PATH = 2,
	ATTR_AS4_PATH = 17,
	SEG_AS_SET = 1,
	SEG_AS_SEQUENCE = 2,
	SEG_CONFED_SEQUENCE = 3,
	SEG_CONFED_SET = 4,
	MRT_HDR = 12,
};

struct walk {
	struct ofd_mrt_stats *st;
	uint32_t npeers;
	int have_peers;
	uint32_t peer_as[OFD_MRT_PEERS_MAX];
};

static int defect(struct ofd_mrt_stats *st, const char *why, int rc)
{
	st->error = why;
	return rc;
}

/*
 * Does an AS_PATH value of n bytes consist of whole segments of asz-byte ASNs? Returns the
 * number of ASNs as RFC 6793 counts them (a set counts 1, confederation segments 0), or -1.
 */
static int path_fits(const uint8_t *p, size_t n, unsigned asz)
{
	size_t i = 0;
	int count = 0;
	while (i < n) {
		if (n - i < 2)
			return -1;
		uint8_t type = p[i], cnt = p[i + 1];
		if (type < SEG_AS_SET || type > SEG_CONFED_SET || cnt == 0)
			return -1;
		size_t need = (size_t)cnt * asz;
		if (n - i - 2 < need)
			return -1;
		count += type == SEG_AS_SEQUENCE ? cnt : type == SEG_AS_SET ? 1 : 0;
		i += 2 + need;
	}
	return count;
}

/* The ASN list as RFC 6793 counts (sets count 1), with each position's segment type. */
struct seq {
	unsigned n;
	uint32_t as[256 * 8]; /* for sets: the members follow, marked by type */
	uint8_t type[256 * 8];
};

/* Decode a path that path_fits() accepted, appending (asn, segment type) pairs. */
static void path_decode(const uint8_t *p, size_t n, unsigned asz, struct seq *s)
{
	size_t i = 0;
	while (i < n) {
		uint8_t type = p[i], cnt = p[i + 1];
		i += 2;
		for (unsigned k = 0; k < cnt; k++, i += asz) {
			if (s->n < sizeof(s->as) / sizeof(s->as[0])) {
				s->as[s->n] = asz == 4 ? ofd_be32(p + i) : ofd_be16(p + i);
				s->type[s->n++] = type;
			}
		}
	}
}

/* Fill r's path and origin from the decoded sequence. */
static void path_finish(const struct seq *s, struct ofd_mrt_route *r, struct ofd_mrt_stats *st)
{
	r->path_len = 0;
	r->path_cut = 0;
	r->origin_ok = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->type[i] != SEG_AS_SEQUENCE)
			continue;
		if (r->path_len < OFD_MRT_PATH_MAX)
			r->path[r->path_len++] = s->as[i];
		else
			r->path_cut = 1;
	}
	if (s->n == 0)
		return;
	uint8_t last = s->type[s->n - 1];
	if (last == SEG_AS_SEQUENCE) {
		r->origin = s->as[s->n - 1];
		r->origin_ok = 1;
	} else if (last == SEG_AS_SET) {
		st->as_set++;
		unsigned k = s->n - 1;
		while (k > 0 && s->type[k - 1] == SEG_AS_SET)
			k--;
		/* k..n-1: the members of the final set(s); one member is an origin */
		if (s->n - k == 1) {
			r->origin = s->as[k];
			r->origin_ok = 1;
		}
	}
}

/*
 * The AS path of one entry's attributes: AS_PATH (4-byte ASNs, else 2-byte), AS4_PATH merged
 * into a 2-byte path. 0 or a defect.
 */
static int entry_path(struct ofd_rd attrs, struct ofd_mrt_route *r, struct walk *w, struct seq *s)
{
	const uint8_t *asp = NULL, *as4 = NULL;
	size_t asp_n = 0, as4_n = 0;
	while (ofd_rd_left(&attrs) > 0) {
		uint8_t flags = ofd_rd_u8(&attrs), type = ofd_rd_u8(&attrs);
		size_t alen = (flags & 0x10) ? ofd_rd_u16(&attrs) : ofd_rd_u8(&attrs);
		if (attrs.err || ofd_rd_left(&attrs) < alen)
			return defect(w->st, "attribute longer than its entry", OFD_EFORMAT);
		if (type == ATTR_AS_PATH && !asp) {
			asp = attrs.p;
			asp_n = alen;
		} else if (type == ATTR_AS4_PATH && !as4) {
			as4 = attrs.p;
			as4_n = alen;
		}
		ofd_rd_skip(&attrs, alen);
	}
	s->n = 0;
	if (asp) {
		if (path_fits(asp, asp_n, 4) >= 0) {
			path_decode(asp, asp_n, 4, s);
		} else {
			int n2 = path_fits(asp, asp_n, 2);
			if (n2 < 0)
				return defect(w->st, "AS_PATH segments do not fill the attribute",
					      OFD_EFORMAT);
			w->st->as2_paths++;
			int n4 = as4 ? path_fits(as4, as4_n, 4) : -1;
			if (as4 && n4 < 0)
				return defect(w->st, "AS4_PATH segments do not fill the attribute",
					      OFD_EFORMAT);
			if (n4 >= 0 && n4 <= n2) {
				/* keep the first n2 - n4 counted positions of AS_PATH, then AS4_PATH */
				struct seq *t = s;
				path_decode(asp, asp_n, 2, t);
				unsigned keep = 0, counted = 0;
				while (keep < t->n && counted < (unsigned)(n2 - n4)) {
					uint8_t ty = t->type[keep];
					if (ty == SEG_AS_SET) {
						while (keep < t->n && t->type[keep] == SEG_AS_SET)
							keep++;
						counted++;
					} else {
						keep++;
						counted += ty == SEG_AS_SEQUENCE;
					}
				}
				t->n = keep;
				path_decode(as4, as4_n, 4, t);
				w->st->as4_merged++;
			} else {
				path_decode(asp, asp_n, 2, s);
			}
		}
	}
	path_finish(s, r, w->st);
	return 0;
}

static int peer_index(struct ofd_rd *rd, struct walk *w)
{
	ofd_rd_skip(rd, 4); /* collector BGP ID */
	uint16_t vlen = ofd_rd_u16(rd);
	ofd_rd_skip(rd, vlen);
	uint16_t n = ofd_rd_u16(rd);
	if (rd->err)
		return defect(w->st, "PEER_INDEX_TABLE truncated", OFD_EFORMAT);
	if (n > OFD_MRT_PEERS_MAX)
		return defect(w->st, "PEER_INDEX_TABLE has too many peers", OFD_ELIMIT);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t type = ofd_rd_u8(rd);
		ofd_rd_skip(rd, 4 + ((type & 1) ? 16 : 4));
		w->peer_as[i] = (type & 2) ? ofd_rd_u32(rd) : ofd_rd_u16(rd);
	}
	if (rd->err)
		return defect(w->st, "PEER_INDEX_TABLE truncated", OFD_EFORMAT);
	if (ofd_rd_left(rd))
		return defect(w->st, "bytes after the PEER_INDEX_TABLE's peers", OFD_EFORMAT);
	w->npeers = n;
	w->have_peers = 1;
	w->st->peers = n;
	return 0;
}

static int rib(struct ofd_rd *rd, int v6, int addpath, struct walk *w, ofd_mrt_route_fn fn, void *ctx,
	       struct seq *s, struct ofd_mrt_route *r)
{
	if (!w->have_peers)
		return defect(w->st, "RIB record before the PEER_INDEX_TABLE", OFD_EFORMAT);
	ofd_rd_skip(rd, 4); /* sequence number */
	unsigned plen = ofd_rd_u8(rd);
	unsigned max = v6 ? 128 : 32;
	if (rd->err || plen > max)
		return defect(w->st, "prefix length out of range", OFD_EFORMAT);
	uint8_t a[16] = {0};
	ofd_rd_bytes(rd, a, (plen + 7) / 8);
	memset(&r->prefix, 0, sizeof(r->prefix));
	if (v6) {
		ofd_ip_set6(&r->prefix.addr, a);
		r->prefix.len = (uint8_t)plen;
	} else {
		ofd_ip_set4(&r->prefix.addr, a);
		r->prefix.len = (uint8_t)(96 + plen);
	}
	uint16_t n = ofd_rd_u16(rd);
	if (rd->err)
		return defect(w->st, "RIB record truncated", OFD_EFORMAT);
	if (ofd_prefix_check(&r->prefix) != 0)
		return defect(w->st, "prefix has host bits set", OFD_EFORMAT);
	w->st->rib_records++;
	for (uint16_t e = 0; e < n; e++) {
		uint16_t peer = ofd_rd_u16(rd);
		ofd_rd_skip(rd, addpath ? 8 : 4); /* originated time, path identifier */
		uint16_t alen = ofd_rd_u16(rd);
		if (rd->err || ofd_rd_left(rd) < alen)
			return defect(w->st, "RIB entry longer than its record", OFD_EFORMAT);
		if (peer >= w->npeers)
			return defect(w->st, "peer index beyond the PEER_INDEX_TABLE", OFD_EFORMAT);
		int rc = entry_path(ofd_rd_sub(rd, alen), r, w, s);
		if (rc)
			return rc;
		r->peer = peer;
		r->entry = e;
		r->peer_as = w->peer_as[peer];
		w->st->entries++;
		if ((rc = fn(ctx, r)) != 0)
			return rc;
	}
	if (ofd_rd_left(rd))
		return defect(w->st, "bytes after the RIB record's entries", OFD_EFORMAT);
	return 0;
}

int ofd_mrt_walk(const uint8_t *buf, size_t len, ofd_mrt_route_fn fn, void *ctx, struct ofd_mrt_stats *st)
{
	struct walk w; /* about 27 KiB of stack in all */
	struct seq s;
	struct ofd_mrt_route r;
	memset(st, 0, sizeof(*st));
	w.st = st;
	w.npeers = 0;
	w.have_peers = 0;
	struct ofd_rd rd = ofd_rd_make(buf, len);
	while (ofd_rd_left(&rd) > 0) {
		st->err_offset = (uint64_t)(rd.p - buf);
		st->err_record = st->records;
		if (ofd_rd_left(&rd) < MRT_HDR)
			return defect(st, "truncated record header", OFD_ETRUNC);
		ofd_rd_skip(&rd, 4); /* timestamp */
		uint16_t type = ofd_rd_u16(&rd), sub = ofd_rd_u16(&rd);
		uint32_t blen = ofd_rd_u32(&rd);
		if (ofd_rd_left(&rd) < blen)
			return defect(st, "record body past the end of the file (truncated)", OFD_ETRUNC);
		struct ofd_rd body = ofd_rd_sub(&rd, blen);
		st->records++;
		int rc = 0;
		if (type != MRT_TABLE_DUMP_V2) {
			st->skipped++;
			continue;
		}
		switch (sub) {
		case SUB_PEER_INDEX:
			if (w.have_peers)
				return defect(st, "a second PEER_INDEX_TABLE", OFD_EFORMAT);
			rc = peer_index(&body, &w);
			break;
		case SUB_RIB_IPV4_UNICAST: rc = rib(&body, 0, 0, &w, fn, ctx, &s, &r); break;
		case SUB_RIB_IPV6_UNICAST: rc = rib(&body, 1, 0, &w, fn, ctx, &s, &r); break;
		case SUB_RIB_IPV4_UNICAST_ADDPATH: rc = rib(&body, 0, 1, &w, fn, ctx, &s, &r); break;
		case SUB_RIB_IPV6_UNICAST_ADDPATH: rc = rib(&body, 1, 1, &w, fn, ctx, &s, &r); break;
		default: st->skipped++; break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

const char *ofd_mrt_compressed(const uint8_t *buf, size_t len)
{
	if (len >= 3 && memcmp(buf, "BZh", 3) == 0)
		return "bzip2";
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return "gzip";
	if (len >= 6 && memcmp(buf,
			       "\xfd"
			       "7zXZ\0",
			       6) == 0)
		return "xz";
	if (len >= 4 && memcmp(buf, "\x28\xb5\x2f\xfd", 4) == 0)
		return "zstd";
	return NULL;
}
