/*
 * NetFlow v9 (RFC 3954): a 20-byte header (version, count, sysUptime ms, unix secs, sequence,
 * source id) and flowsets: 0 templates, 1 options templates, >= 256 data (2..255 are skipped).
 *
 * The header's `count` is wrong in many exporters and is not used. A flowset whose length is
 * below 4 or runs past the datagram ends the datagram (counted as BAD_LENGTH / TRUNCATED); the
 * records of the flowsets before it are kept. A data flowset cut by the end of the datagram (a
 * capture's snaplen) yields the whole records that fit and is counted as PARTIAL_SET; a cut
 * template flowset is dropped (TRUNCATED). Within a template flowset a malformed template
 * (id below 256, no fields, fields past the flowset, options lengths not multiples of 4) is
 * counted as BAD_TEMPLATE and ends that flowset; trailing bytes too short for a template, or
 * all zero, are padding. v9 has no template withdrawal.
 */
#include "decode.h"
#include "ofd/rd.h"
#include "template.h"

#define NF9_HDR_LEN 20

/* Read n (type, length) pairs, keeping at most max of them in f. */
static void nf9_fields(struct ofd_rd *r, struct ofd_tmpl_field *f, uint32_t n, uint32_t max)
{
	for (uint32_t i = 0; i < n; i++) {
		uint16_t id = ofd_rd_u16(r), len = ofd_rd_u16(r);
		if (i < max)
			f[i] = (struct ofd_tmpl_field){id, len, 0};
	}
}

static void nf9_templates(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const uint8_t *p, size_t len)
{
	struct ofd_rd r = ofd_rd_make(p, len);
	struct ofd_tmpl_field *f = ofd_tmpl_fields(d->tc);
	while (ofd_rd_left(&r) >= 4) {
		if (ofd_tmpl_padding(&r))
			return; /* padding */
		uint16_t tid = ofd_rd_u16(&r), n = ofd_rd_u16(&r);
		if (tid < 256 || n == 0) {
			ofd_tmpl_bad(d, m, "v9 template with id below 256 or no fields");
			return;
		}
		if ((size_t)n * 4 > ofd_rd_left(&r)) {
			ofd_tmpl_bad(d, m, "v9 template longer than its flowset");
			return;
		}
		nf9_fields(&r, f, n, d->lim.max_fields);
		(void)ofd_tmpl_define(d, m, tid, 0, n, 0);
	}
}

static void nf9_options_templates(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const uint8_t *p, size_t len)
{
	struct ofd_rd r = ofd_rd_make(p, len);
	struct ofd_tmpl_field *f = ofd_tmpl_fields(d->tc);
	while (ofd_rd_left(&r) >= 6) {
		if (ofd_tmpl_padding(&r))
			return; /* padding */
		uint16_t tid = ofd_rd_u16(&r), slen = ofd_rd_u16(&r), olen = ofd_rd_u16(&r);
		if (tid < 256 || slen % 4 || olen % 4 || slen + olen == 0) {
			ofd_tmpl_bad(d, m, "v9 options template with a bad id or lengths");
			return;
		}
		if ((size_t)slen + olen > ofd_rd_left(&r)) {
			ofd_tmpl_bad(d, m, "v9 options template longer than its flowset");
			return;
		}
		uint32_t nscope = slen / 4u, n = nscope + olen / 4u;
		nf9_fields(&r, f, n, d->lim.max_fields);
		(void)ofd_tmpl_define(d, m, tid, 1, n, nscope);
	}
}

int ofd_nf9_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	if (dg->len < NF9_HDR_LEN)
		return ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC, "NetFlow v9 header cut short");
	const uint8_t *h = dg->data;
	struct ofd_tmpl_msg m;
	ofd_tmpl_msg_begin(d, &m, dg, 9, ofd_be32(h + 16), ofd_be32(h + 12));
	m.ctx.uptime_ms = ofd_be32(h + 4);
	m.ctx.export_ns = (uint64_t)ofd_be32(h + 8) * 1000000000u;

	struct ofd_rd r = ofd_rd_make(h + NF9_HDR_LEN, dg->len - NF9_HDR_LEN);
	int n = 0, err = 0;
	while (ofd_rd_left(&r) >= 4) {
		const uint8_t *s = r.p;
		uint16_t id = ofd_be16(s), slen = ofd_be16(s + 2);
		if (slen < 4) {
			err = ofd_decode_drop(d, dg, OFD_DROP_BAD_LENGTH, OFD_EFORMAT,
					      "v9 flowset length below 4");
			break;
		}
		if (slen > ofd_rd_left(&r)) {
			if (id >= 256) {
				int k = ofd_tmpl_data_cut(d, &m, id, s + 4, ofd_rd_left(&r) - 4u, b);
				n += k;
				err = k ? 0 : OFD_ETRUNC;
			} else
				err = ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC,
						      "v9 flowset longer than the datagram");
			break;
		}
		ofd_rd_skip(&r, slen);
		if (id == 0)
			nf9_templates(d, &m, s + 4, slen - 4u);
		else if (id == 1)
			nf9_options_templates(d, &m, s + 4, slen - 4u);
		else if (id >= 256)
			n += ofd_tmpl_data(d, &m, id, s + 4, slen - 4u, b);
	}
	return n ? n : err;
}
