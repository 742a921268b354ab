#include "decode.h"

#include <stdio.h>
#include <stdlib.h>

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

int ofd_decode_drop(struct ofd_decoder *d, const struct ofd_dgram *dg, enum ofd_drop why, int err,
		    const char *what)
{
	char addr[OFD_IP_STRLEN];
	d->st.drops[why]++;
	ofd_ip_str(&dg->src, addr);
	ofd_log_rl(&d->rl, OFD_LOG_WARN, "exporter %s:%u: %s: %s", addr, dg->src_port, ofd_drop_name(why),
		   what);
	return err;
}

int ofd_decode(struct ofd_decoder *d, const struct ofd_dgram *dg, struct ofd_batch *b)
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
	if (n > 0) {
		d->st.records += (uint64_t)n;
		d->st.records_by_type[t] += (uint64_t)n;
	}
	return n;
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
	if (st->templates || st->options_templates)
		fprintf(stderr,
			"%s  templates %llu, options templates %llu, withdrawn %llu, expired %llu, options "
			"records %llu\n",
			prefix, (unsigned long long)st->templates, (unsigned long long)st->options_templates,
			(unsigned long long)st->template_withdrawals,
			(unsigned long long)st->templates_expired, (unsigned long long)st->options_records);
	if (st->sflow_counter_samples)
		fprintf(stderr, "%s  sflow counter samples %llu\n", prefix,
			(unsigned long long)st->sflow_counter_samples);
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		if (st->drops[i])
			fprintf(stderr, "%s  dropped %s: %llu\n", prefix, ofd_drop_name((enum ofd_drop)i),
				(unsigned long long)st->drops[i]);
}
