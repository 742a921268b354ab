/*
 * IPFIX (RFC 7011): a 16-byte header (version 10, length, export time, sequence, observation
 * domain) and sets: 2 templates, 3 options templates, >= 256 data (others are skipped).
 *
 * A header length beyond the datagram (a capture's snaplen) is counted once, and the sets that fit
 * are decoded; bytes after the header length are counted as BAD_LENGTH and ignored. A set whose
 * length is below 4 or runs past the message ends the message (BAD_LENGTH / TRUNCATED, counted
 * once); records of earlier sets are kept. A data set cut by the end of the datagram yields the
 * whole records that fit and is counted as PARTIAL_SET (instead of TRUNCATED); a cut template set
 * is dropped (TRUNCATED). Template records with field count
 * 0 withdraw their template (id 2 in a template set: all templates; id 3 in an options template set: all
 * options templates). Enterprise elements (bit 15 of the id, a 4-byte PEN follows) and variable-length fields
 * (length 65535) are parsed whether mapped or not. Malformed templates are counted as
 * BAD_TEMPLATE and end their set; trailing bytes too short for a template, or zero, are padding.
 */
#include "decode.h"
#include "ofd/rd.h"
#include "template.h"

#define IPFIX_HDR_LEN 16

/* Read n field specifiers, keeping at most max of them in f. Returns 0, or -1 if cut short. */
static int ipfix_fields(struct ofd_rd *r, struct ofd_tmpl_field *f, uint32_t n, uint32_t max)
{
	for (uint32_t i = 0; i < n && !r->err; i++) {
		uint16_t id = ofd_rd_u16(r), len = ofd_rd_u16(r);
		uint32_t pen = id & 0x8000 ? ofd_rd_u32(r) : 0;
		if (i < max)
			f[i] = (struct ofd_tmpl_field){(uint16_t)(id & 0x7fff), len, pen};
	}
	return r->err ? -1 : 0;
}

/* One set of templates (options: set id 3). Stops at the first malformed record. */
static void ipfix_templates(struct ofd_decoder *d, struct ofd_tmpl_msg *m, int options, const uint8_t *p,
			    size_t len)
{
	struct ofd_rd r = ofd_rd_make(p, len);
	struct ofd_tmpl_field *f = ofd_tmpl_fields(d->tc);
	while (ofd_rd_left(&r) >= 4) {
		if (ofd_tmpl_padding(&r))
			return; /* padding */
		uint16_t tid = ofd_rd_u16(&r), n = ofd_rd_u16(&r);
		if (n == 0 && (tid >= 256 || tid == (options ? 3 : 2))) {
			ofd_tmpl_withdraw(d, m, tid);
			continue;
		}
		if (tid < 256 || n == 0) {
			ofd_tmpl_bad(d, m, "IPFIX template with id below 256");
			return;
		}
		uint16_t nscope = options ? ofd_rd_u16(&r) : 0;
		if (options && (nscope == 0 || nscope > n)) {
			ofd_tmpl_bad(d, m, "IPFIX options template with a bad scope count");
			return;
		}
		if (ipfix_fields(&r, f, n, d->lim.max_fields)) {
			ofd_tmpl_bad(d, m, "IPFIX template longer than its set");
			return;
		}
		(void)ofd_tmpl_define(d, m, tid, options, n, nscope);
	}
}

/* The message length to walk: the header's, bounded by the datagram (mismatches counted). */
static int ipfix_msg_len(struct ofd_decoder *d, const struct ofd_dgram *dg, size_t *out)
{
	size_t mlen = ofd_be16(dg->data + 2);
	if (mlen < IPFIX_HDR_LEN)
		return ofd_decode_drop(d, dg, OFD_DROP_BAD_LENGTH, OFD_EFORMAT,
				       "IPFIX length below its header");
	*out = mlen;
	if (mlen > dg->len) {
		*out = dg->len;
		return OFD_ETRUNC; /* counted by the caller: TRUNCATED, or PARTIAL_SET for a cut data set */
	}
	if (mlen < dg->len)
		ofd_decode_drop(d, dg, OFD_DROP_BAD_LENGTH, OFD_EFORMAT, "bytes after the IPFIX message");
	return 0;
}

/* The sets of a message (len bytes at p). *cut: the message is cut short (counted once here). */
static int ipfix_sets(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const uint8_t *p, size_t len, int cut,
		      struct ofd_batch *b)
{
	const struct ofd_dgram *dg = m->dg;
	struct ofd_rd r = ofd_rd_make(p, len);
	int n = 0, err = 0, counted = 0;
	while (ofd_rd_left(&r) >= 4) {
		const uint8_t *s = r.p;
		uint16_t id = ofd_be16(s), slen = ofd_be16(s + 2);
		if (slen < 4) {
			err = ofd_decode_drop(d, dg, OFD_DROP_BAD_LENGTH, OFD_EFORMAT,
					      "IPFIX set length below 4");
			break;
		}
		if (slen > ofd_rd_left(&r)) {
			if (id >= 256 && cut) {
				int k = ofd_tmpl_data_cut(d, m, id, s + 4, ofd_rd_left(&r) - 4u, b);
				n += k;
				err = k ? 0 : OFD_ETRUNC;
				counted = 1;
			} else if (!cut) {
				err = ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC,
						      "IPFIX set longer than the message");
			}
			break;
		}
		ofd_rd_skip(&r, slen);
		if (id == 2 || id == 3)
			ipfix_templates(d, m, id == 3, s + 4, slen - 4u);
		else if (id >= 256)
			n += ofd_tmpl_data(d, m, id, s + 4, slen - 4u, b);
	}
	if (cut && !counted)
		err = ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC, "IPFIX message cut short");
	else if (ofd_rd_left(&r) && !cut && !err)
		err = ofd_decode_drop(d, dg, OFD_DROP_BAD_LENGTH, OFD_EFORMAT,
				      "IPFIX message ends inside a set header");
	return n ? n : err;
}

int ofd_ipfix_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	if (dg->len < IPFIX_HDR_LEN)
		return ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC, "IPFIX header cut short");
	const uint8_t *h = dg->data;
	size_t mlen = 0;
	int err = ipfix_msg_len(d, dg, &mlen);
	if (err == OFD_EFORMAT)
		return err;
	struct ofd_tmpl_msg m;
	ofd_tmpl_msg_begin(d, &m, dg, 10, ofd_be32(h + 12), ofd_be32(h + 8));
	m.ctx.export_ns = (uint64_t)ofd_be32(h + 4) * 1000000000u;
	return ipfix_sets(d, &m, h + IPFIX_HDR_LEN, mlen - IPFIX_HDR_LEN, err != 0, b);
}
