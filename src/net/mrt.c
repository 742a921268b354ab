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

/*
 * The path handed on and the path's final segment, built segment by segment: the path keeps
 * the AS_SEQUENCE ASNs up to OFD_MRT_PATH_MAX (the rest is cut), the final segment's type,
 * size and last ASN are kept whatever the length, so the origin is right for any path.
 */
struct pb {
	struct ofd_mrt_route *r;
	uint8_t last_type; /* 0: no segment yet */
	unsigned last_cnt;
	uint32_t last_as;
};

static void pb_seg(struct pb *b, uint8_t type, const uint8_t *p, unsigned cnt, unsigned asz)
{
	struct ofd_mrt_route *r = b->r;
	uint32_t a = 0;
	for (unsigned k = 0; k < cnt; k++, p += asz) {
		a = asz == 4 ? ofd_be32(p) : ofd_be16(p);
		if (type != SEG_AS_SEQUENCE)
			continue;
		if (r->path_len < OFD_MRT_PATH_MAX)
			r->path[r->path_len++] = a;
		else
			r->path_cut = 1;
	}
	if (cnt) {
		b->last_type = type;
		b->last_cnt = cnt;
		b->last_as = a;
	}
}

/*
 * Feed the segments of a path that path_fits() accepted. budget < 0: all of them; else only
 * the leading part holding budget ASNs as RFC 6793 counts them (an AS_SET 1, confederation
 * segments 0), an AS_SEQUENCE cut where the budget ends. skip_confed: leave confederation
 * segments out (RFC 6793 section 6, for AS4_PATH).
 */
static void pb_path(struct pb *b, const uint8_t *p, size_t n, unsigned asz, long budget, int skip_confed)
{
	size_t i = 0;
	while (i < n) {
		uint8_t type = p[i];
		unsigned cnt = p[i + 1];
		const uint8_t *as = p + i + 2;
		i += 2 + (size_t)cnt * asz;
		if (skip_confed && (type == SEG_CONFED_SEQUENCE || type == SEG_CONFED_SET))
			continue;
		if (budget >= 0) {
			if (budget == 0)
				break;
			if (type == SEG_AS_SEQUENCE) {
				if ((long)cnt > budget)
					cnt = (unsigned)budget;
				budget -= cnt;
			} else if (type == SEG_AS_SET) {
				budget--;
			}
		}
		pb_seg(b, type, as, cnt, asz);
	}
}

/* The origin from the final segment: the last ASN of an AS_SEQUENCE, the member of an AS_SET
   of one; undefined for a larger AS_SET, a confederation segment, an empty path. */
static void pb_finish(const struct pb *b, struct ofd_mrt_route *r, struct ofd_mrt_stats *st)
{
	if (b->last_type == SEG_AS_SEQUENCE) {
		r->origin = b->last_as;
		r->origin_ok = 1;
	} else if (b->last_type == SEG_AS_SET) {
		st->as_set++;
		if (b->last_cnt == 1) {
			r->origin = b->last_as;
			r->origin_ok = 1;
		}
	}
}

/*
 * The AS path of one entry's attributes: AS_PATH (4-byte ASNs, else 2-byte), AS4_PATH merged
 * into a 2-byte path (a malformed AS4_PATH is ignored, RFC 6793 section 6). 0 or a defect.
 */
static int entry_path(struct ofd_rd attrs, struct ofd_mrt_route *r, struct walk *w)
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
	struct pb b = {.r = r};
	r->path_len = 0;
	r->path_cut = 0;
	r->origin = 0;
	r->origin_ok = 0;
	if (asp) {
		if (path_fits(asp, asp_n, 4) >= 0) {
			pb_path(&b, asp, asp_n, 4, -1, 0);
		} else {
			int n2 = path_fits(asp, asp_n, 2);
			if (n2 < 0)
				return defect(w->st, "AS_PATH segments do not fill the attribute",
					      OFD_EFORMAT);
			w->st->as2_paths++;
			/* malformed (RFC 6793 section 6): shorter than one ASN, segments that do not
			   fill it, a segment of 0 ASNs or of an unknown type */
			int n4 = -1;
			if (as4 && (as4_n < 6 || (n4 = path_fits(as4, as4_n, 4)) < 0)) {
				w->st->as4_malformed++;
				n4 = -1;
			}
			if (n4 >= 0 && n4 <= n2) {
				/* the leading n2 - n4 counted ASNs of AS_PATH, then AS4_PATH */
				pb_path(&b, asp, asp_n, 2, n2 - n4, 0);
				pb_path(&b, as4, as4_n, 4, -1, 1);
				w->st->as4_merged++;
			} else {
				pb_path(&b, asp, asp_n, 2, -1, 0);
			}
		}
	}
	pb_finish(&b, r, w->st);
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
	       struct ofd_mrt_route *r)
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
		int rc = entry_path(ofd_rd_sub(rd, alen), r, w);
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
	struct walk w; /* about 17 KiB of stack in all */
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
		case SUB_RIB_IPV4_UNICAST: rc = rib(&body, 0, 0, &w, fn, ctx, &r); break;
		case SUB_RIB_IPV6_UNICAST: rc = rib(&body, 1, 0, &w, fn, ctx, &r); break;
		case SUB_RIB_IPV4_UNICAST_ADDPATH: rc = rib(&body, 0, 1, &w, fn, ctx, &r); break;
		case SUB_RIB_IPV6_UNICAST_ADDPATH: rc = rib(&body, 1, 1, &w, fn, ctx, &r); break;
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
