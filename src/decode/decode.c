#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofd/rd.h"
#include "template.h"

int ofd_decoder_new(struct ofd_decoder **out, const struct ofd_decode_limits *lim)
{
	static const struct ofd_decode_limits defaults = OFD_DECODE_LIMITS_DEFAULT;
	struct ofd_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->lim = lim ? *lim : defaults;
	int err = ofd_tmpl_cache_new(&d->tc, &d->lim);
	if (err)
		goto free_decoder;
	*out = d;
	return 0;
free_decoder:
	free(d);
	return err;
}

void ofd_decoder_free(struct ofd_decoder *d)
{
	if (!d)
		return;
	ofd_tmpl_cache_free(d->tc);
	free(d);
}

const char *ofd_tmpl_budget_name(enum ofd_tmpl_budget b)
{
	return b == OFD_TMPL_BUDGET_UNLISTED ? "unlisted" : "main";
}

const char *ofd_tmpl_evict_name(enum ofd_tmpl_evict e)
{
	return e == OFD_TMPL_EVICT_IDLE ? "idle" : "no_data";
}

const char *ofd_tmpl_refuse_name(enum ofd_tmpl_refuse r)
{
	static const char *const names[OFD_TMPL_REFUSE__COUNT] = {
	    [OFD_TMPL_REFUSE_FIELDS] = "fields",
	    [OFD_TMPL_REFUSE_EXPORTER_TEMPLATES] = "exporter_templates",
	    [OFD_TMPL_REFUSE_EXPORTER_BYTES] = "exporter_bytes",
	    [OFD_TMPL_REFUSE_BUDGET] = "budget_full",
	};
	return (unsigned)r < OFD_TMPL_REFUSE__COUNT ? names[r] : "unknown";
}

/* ---- drops by exporter (see decode.h) ---- */

static size_t exd_home(const struct ofd_ip *a)
{
	uint64_t x, y;
	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	uint64_t h = (x ^ (y * 0x9e3779b97f4a7c15ull) ^ a->family) * 0xbf58476d1ce4e5b9ull;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebull;
	return (size_t)(h >> 40) & (OFD_EXPORTER_DROP_SLOTS - 1);
}

void ofd_exporter_drops_add(struct ofd_exporter_drop_table *t, const struct ofd_ip *a, uint64_t n)
{
	struct ofd_exporter_drops *min = NULL;
	size_t home = exd_home(a);
	if (!n)
		return;
	/* Slots never become empty again, so an address is always found before the first empty
	   slot of its window: each address has at most one slot. */
	for (size_t i = 0; i < OFD_EXPORTER_DROP_WINDOW; i++) {
		struct ofd_exporter_drops *e = &t->slot[(home + i) & (OFD_EXPORTER_DROP_SLOTS - 1)];
		if (!e->drops) {
			e->addr = *a;
			e->drops = n;
			return;
		}
		if (e->addr.family == a->family && !memcmp(e->addr.b, a->b, sizeof(a->b))) {
			e->drops += n;
			return;
		}
		if (!min || e->drops < min->drops)
			min = e;
	}
	if (min->drops <= n) {
		t->other += min->drops;
		min->addr = *a;
		min->drops = n;
	} else {
		t->other += n;
	}
}

void ofd_exporter_drops_merge(struct ofd_exporter_drop_table *dst, const struct ofd_exporter_drop_table *src)
{
	for (size_t i = 0; i < OFD_EXPORTER_DROP_SLOTS; i++)
		if (src->slot[i].drops)
			ofd_exporter_drops_add(dst, &src->slot[i].addr, src->slot[i].drops);
	dst->other += src->other;
}

void ofd_decode_stats_add(struct ofd_decode_stats *dst, const struct ofd_decode_stats *src)
{
	dst->datagrams += src->datagrams;
	dst->records += src->records;
	for (size_t t = 0; t < sizeof(dst->datagrams_by_type) / sizeof(dst->datagrams_by_type[0]); t++) {
		dst->datagrams_by_type[t] += src->datagrams_by_type[t];
		dst->records_by_type[t] += src->records_by_type[t];
	}
	dst->templates += src->templates;
	dst->options_templates += src->options_templates;
	dst->template_withdrawals += src->template_withdrawals;
	dst->templates_expired += src->templates_expired;
	dst->templates_loaded += src->templates_loaded;
	dst->options_records += src->options_records;
	dst->sflow_counter_samples += src->sflow_counter_samples;
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		dst->drops[i] += src->drops[i];
	dst->templates_active += src->templates_active;
	dst->options_templates_active += src->options_templates_active;
	dst->template_exporters_active += src->template_exporters_active;
	for (int p = 0; p < OFD_TMPL_BUDGET__COUNT; p++) {
		for (int k = 0; k < OFD_TMPL_EVICT__COUNT; k++)
			dst->template_evictions[p][k] += src->template_evictions[p][k];
		for (int k = 0; k < OFD_TMPL_REFUSE__COUNT; k++)
			dst->template_refusals[p][k] += src->template_refusals[p][k];
	}
	ofd_exporter_drops_merge(&dst->by_exporter, &src->by_exporter);
}

void ofd_decode_stats_refresh(struct ofd_decoder *d)
{
	d->st.templates_active = ofd_tmpl_cache_templates(d->tc);
	d->st.options_templates_active = ofd_tmpl_cache_options_templates(d->tc);
	d->st.template_exporters_active = ofd_tmpl_cache_exporters(d->tc);
}

int ofd_decode_drop(struct ofd_decoder *d, const struct ofd_dgram *dg, enum ofd_drop why, int err,
		    const char *what)
{
	char addr[OFD_IP_STRLEN];
	d->st.drops[why]++;
	ofd_exporter_drops_add(&d->st.by_exporter, &dg->src, 1);
	ofd_ip_str(&dg->src, addr);
	ofd_log_rl(&d->rl, OFD_LOG_WARN, "exporter %s:%u: %s: %s", addr, dg->src_port, ofd_drop_name(why),
		   what);
	return err;
}

/* Decode by the version field (see ofd_decode_from). */
static int decode_any(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	d->st.datagrams++;
	if (dg->len < 4)
		return ofd_decode_drop(d, dg, OFD_DROP_TRUNCATED, OFD_ETRUNC,
				       "datagram shorter than a version field");
	uint16_t v16 = ofd_be16(dg->data);
	int n;
	enum ofd_flow_type t;
	switch (v16) {
	case 5:
		t = OFD_FT_NETFLOW_V5;
		n = ofd_nf5_decode(d, dg, b);
		break;
	case 9:
		t = OFD_FT_NETFLOW_V9;
		n = ofd_nf9_decode(d, dg, b);
		break;
	case 10:
		t = OFD_FT_IPFIX;
		n = ofd_ipfix_decode(d, dg, b);
		break;
	case 0:
		if (ofd_be32(dg->data) == 5) {
			t = OFD_FT_SFLOW_5;
			n = ofd_sflow5_decode(d, dg, b);
			break;
		}
		/* fall through */
	default:
		return ofd_decode_drop(d, dg, OFD_DROP_BAD_VERSION, OFD_EVERSION,
				       "not NetFlow v5/v9, IPFIX or sFlow v5");
	}
	d->st.datagrams_by_type[t]++;
	if (t == OFD_FT_NETFLOW_V9 || t == OFD_FT_IPFIX)
		ofd_decode_stats_refresh(d); /* only these messages change the cache */
	if (n > 0) {
		d->st.records += (uint64_t)n;
		d->st.records_by_type[t] += (uint64_t)n;
	}
	return n;
}

/*
 * The n records of the datagram just decoded get their share of its length. They are the last
 * n of b, or, when b was handed on in the middle, all of b (those handed on keep 0). Then the
 * hint of records per datagram: the most of the last window of 256 datagrams, or more at once.
 */
static void share(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b, uint32_t n)
{
	size_t per = dg->len / n;
	uint16_t v = per < 1 ? 1 : per > UINT16_MAX ? UINT16_MAX : (uint16_t)per;
	for (struct ofd_flow *f = b->flows + (b->n >= n ? b->n - n : 0), *end = b->flows + b->n; f < end; f++)
		f->export_bytes = v;
	uint16_t h = n > OFD_DECODE_HINT_MAX ? OFD_DECODE_HINT_MAX : (uint16_t)n;
	if (h > d->hint_max)
		d->hint_max = h;
	if (h > d->hint)
		d->hint = h;
	if (++d->hint_seen == 256) {
		d->hint = d->hint_max;
		d->hint_max = 0;
		d->hint_seen = 0;
	}
}

static int decode_plain(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	int n = decode_any(d, dg, b);
	if (n > 0)
		share(d, dg, b, (uint32_t)n);
	return n;
}

int ofd_decode_from(struct ofd_decoder *d, const struct ofd_dgram *dg, enum ofd_origin origin,
		    enum ofd_tmpl_budget budget, struct ofd_batch *b)
{
	d->origin = (uint8_t)origin;
	d->budget = (uint8_t)budget;
	if (b->full && b->n && b->n + d->hint > OFD_BATCH_CAP)
		ofd_batch_flush(b); /* room for this datagram's records, as far as recent ones tell */
	if (!b->dg)
		return decode_plain(d, dg, b);
	/* the batch carries its source datagrams (batch.h): this one goes with its first records */
	if (b->full && (b->n == OFD_BATCH_CAP || !ofd_batch_dgram_room(b, dg->len)))
		ofd_batch_flush(b);
	int i = ofd_batch_dgram_add(b, dg->data, dg->len, &dg->src, dg->src_port);
	uint64_t control =
	    d->st.templates + d->st.options_templates + d->st.template_withdrawals + d->st.options_records;
	int n = decode_plain(d, dg, b);
	control = d->st.templates + d->st.options_templates + d->st.template_withdrawals +
		  d->st.options_records - control;
	ofd_batch_dgram_done(b, i, n < 0 ? OFD_DGRAM_FAILED : OFD_DGRAM_DECODED,
			     control ? OFD_DGRAM_CONTROL : 0);
	return n;
}

int ofd_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
{
	return ofd_decode_from(d, dg, OFD_ORIGIN_LOCAL, OFD_TMPL_BUDGET_MAIN, b);
}

uint64_t ofd_decode_drops_total(const struct ofd_decode_stats *st)
{
	uint64_t n = 0;
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		n += st->drops[i];
	return n;
}

void ofd_decode_stats_print(const struct ofd_decode_stats *st, const char *prefix)
{
	static const char *const tn[5] = {"unknown", "sflow5", "netflow5", "netflow9", "ipfix"};
	fprintf(stderr, "%sdatagrams %llu, records %llu\n", prefix, (unsigned long long)st->datagrams,
		(unsigned long long)st->records);
	for (int t = 1; t < 5; t++)
		if (st->datagrams_by_type[t])
			fprintf(stderr, "%s  %s: datagrams %llu, records %llu\n", prefix, tn[t],
				(unsigned long long)st->datagrams_by_type[t],
				(unsigned long long)st->records_by_type[t]);
	if (st->templates || st->options_templates || st->templates_loaded)
		fprintf(stderr,
			"%s  templates %llu, options templates %llu, loaded from state %llu, withdrawn %llu, "
			"expired %llu, options records %llu\n",
			prefix, (unsigned long long)st->templates, (unsigned long long)st->options_templates,
			(unsigned long long)st->templates_loaded,
			(unsigned long long)st->template_withdrawals,
			(unsigned long long)st->templates_expired, (unsigned long long)st->options_records);
	for (int p = 0; p < OFD_TMPL_BUDGET__COUNT; p++) {
		for (int k = 0; k < OFD_TMPL_EVICT__COUNT; k++)
			if (st->template_evictions[p][k])
				fprintf(stderr, "%s  template exporters evicted (%s budget, %s): %llu\n",
					prefix, ofd_tmpl_budget_name((enum ofd_tmpl_budget)p),
					ofd_tmpl_evict_name((enum ofd_tmpl_evict)k),
					(unsigned long long)st->template_evictions[p][k]);
		for (int k = 0; k < OFD_TMPL_REFUSE__COUNT; k++)
			if (st->template_refusals[p][k])
				fprintf(stderr, "%s  templates refused (%s budget, %s): %llu\n", prefix,
					ofd_tmpl_budget_name((enum ofd_tmpl_budget)p),
					ofd_tmpl_refuse_name((enum ofd_tmpl_refuse)k),
					(unsigned long long)st->template_refusals[p][k]);
	}
	if (st->sflow_counter_samples)
		fprintf(stderr, "%s  sflow counter samples %llu\n", prefix,
			(unsigned long long)st->sflow_counter_samples);
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		if (st->drops[i])
			fprintf(stderr, "%s  dropped %s: %llu\n", prefix, ofd_drop_name((enum ofd_drop)i),
				(unsigned long long)st->drops[i]);
}
