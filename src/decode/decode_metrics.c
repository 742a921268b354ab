#include "decode/decode_metrics.h"

#include <stdlib.h>
#include <string.h>

enum {
	DM_DATAGRAMS,
	DM_RECORDS,
	DM_DROPS,
	DM_TEMPLATES,
	DM_EXPORTERS,
	DM_EVICTIONS,
	DM_REFUSALS,
	DM_BY_EXPORTER
};

const struct ofd_metric ofd_decode_metrics[] = {
    [DM_DATAGRAMS] = {"datagrams_total",
		      OFD_METRIC_COUNTER,
		      0,
		      "Export datagrams decoded, by input segment and format (unknown: no NetFlow v5/v9, "
		      "IPFIX or sFlow v5 version).",
		      {"format"}},
    [DM_RECORDS] = {"records_total",
		    OFD_METRIC_COUNTER,
		    0,
		    "Flow records decoded, by input segment and format.",
		    {"format"}},
    [DM_DROPS] = {"drops_total",
		  OFD_METRIC_COUNTER,
		  0,
		  "Datagrams, records, samples or frames not delivered, by input segment and reason.",
		  {"reason"}},
    [DM_TEMPLATES] = {"templates",
		      OFD_METRIC_GAUGE,
		      0,
		      "NetFlow v9/IPFIX templates held now, by input segment and kind.",
		      {"kind"}},
    [DM_EXPORTERS] = {"template_exporters",
		      OFD_METRIC_GAUGE,
		      0,
		      "Exporters (address, port, domain) with templates held now, by input segment.",
		      {NULL}},
    [DM_EVICTIONS] = {"template_evictions_total",
		      OFD_METRIC_COUNTER,
		      0,
		      "Exporters whose templates were evicted to make room for another's, by input segment, "
		      "template budget (main, unlisted) and reason (no_data: none of its templates ever "
		      "decoded data; idle: it had, and was heard of least recently).",
		      {"budget", "reason"}},
    [DM_REFUSALS] =
	{"template_refusals_total",
	 OFD_METRIC_COUNTER,
	 0,
	 "NetFlow v9/IPFIX templates refused, by input segment, template budget and reason "
	 "(fields, exporter_templates, exporter_bytes, budget_full); each is a template_limit drop.",
	 {"budget", "reason"}},
    [DM_BY_EXPORTER] = {"drops_by_exporter_total",
			OFD_METRIC_COUNTER,
			OFD_METRIC_GLOBAL | OFD_METRIC_DETAIL,
			"Drops by the decoders, by exporter address: the exporters with the most drops, the "
			"rest under exporter=\"other\".",
			{"exporter"}},
    {NULL, 0, 0, NULL, {NULL}},
};

/* Label values of enum ofd_flow_type. */
static const char *const dm_format[5] = {"unknown", "sflow_v5", "netflow_v5", "netflow_v9", "ipfix"};

static int dm_exp_cmp(const void *a, const void *b)
{
	const struct ofd_exporter_drops *x = *(const struct ofd_exporter_drops *const *)a;
	const struct ofd_exporter_drops *y = *(const struct ofd_exporter_drops *const *)b;
	if (x->drops != y->drops)
		return x->drops > y->drops ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(x->addr.b, y->addr.b, sizeof(x->addr.b));
}

void ofd_decode_metrics_exporters(struct ofd_metric_sink *s, const struct ofd_exporter_drop_table *t,
				  unsigned top)
{
	const struct ofd_metric *m = &ofd_decode_metrics[DM_BY_EXPORTER];
	const struct ofd_exporter_drops *v[OFD_EXPORTER_DROP_SLOTS];
	size_t n = 0;
	uint64_t other = t->other;
	char addr[OFD_IP_STRLEN];
	for (size_t i = 0; i < OFD_EXPORTER_DROP_SLOTS; i++)
		if (t->slot[i].drops)
			v[n++] = &t->slot[i];
	qsort(v, n, sizeof(v[0]), dm_exp_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i >= top) {
			other += v[i]->drops;
			continue;
		}
		ofd_ip_str(&v[i]->addr, addr);
		ofd_metric_put(s, m, OFD_METRIC_VALUES(addr), v[i]->drops);
	}
	ofd_metric_put(s, m, OFD_METRIC_VALUES("other"), other);
}

void ofd_decode_metrics_put(struct ofd_metric_sink *s, const struct ofd_decode_stats *st)
{
	const struct ofd_metric *m = ofd_decode_metrics;
	uint64_t known = 0;
	for (int t = 1; t < 5; t++) {
		known += st->datagrams_by_type[t];
		ofd_metric_put(s, &m[DM_DATAGRAMS], &dm_format[t], st->datagrams_by_type[t]);
	}
	ofd_metric_put(s, &m[DM_DATAGRAMS], &dm_format[0], st->datagrams > known ? st->datagrams - known : 0);
	for (int t = 1; t < 5; t++)
		ofd_metric_put(s, &m[DM_RECORDS], &dm_format[t], st->records_by_type[t]);
	for (int k = 0; k < OFD_DROP__COUNT; k++)
		ofd_metric_put(s, &m[DM_DROPS], OFD_METRIC_VALUES(ofd_drop_name((enum ofd_drop)k)),
			       st->drops[k]);
	uint64_t tmpl = st->templates_active, opts = st->options_templates_active;
	ofd_metric_put(s, &m[DM_TEMPLATES], OFD_METRIC_VALUES("template"), tmpl > opts ? tmpl - opts : 0);
	ofd_metric_put(s, &m[DM_TEMPLATES], OFD_METRIC_VALUES("options"), opts);
	ofd_metric_put(s, &m[DM_EXPORTERS], NULL, st->template_exporters_active);
	for (int b = 0; b < OFD_TMPL_BUDGET__COUNT; b++) {
		const char *bn = ofd_tmpl_budget_name((enum ofd_tmpl_budget)b);
		for (int k = 0; k < OFD_TMPL_EVICT__COUNT; k++)
			ofd_metric_put(s, &m[DM_EVICTIONS],
				       OFD_METRIC_VALUES(bn, ofd_tmpl_evict_name((enum ofd_tmpl_evict)k)),
				       st->template_evictions[b][k]);
		for (int k = 0; k < OFD_TMPL_REFUSE__COUNT; k++)
			ofd_metric_put(s, &m[DM_REFUSALS],
				       OFD_METRIC_VALUES(bn, ofd_tmpl_refuse_name((enum ofd_tmpl_refuse)k)),
				       st->template_refusals[b][k]);
	}
	ofd_decode_metrics_exporters(s, &st->by_exporter, OFD_METRICS_TOP_EXPORTERS);
}
