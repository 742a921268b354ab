/*
 * The prometheus output's text (prometheus.h): label values from series keys, and the
 * exposition of /flowdata and /metrics. A scrape copies the used series under the lock (a
 * memcpy each) and formats the copy without it, so process() waits for a copy, not for the
 * text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flowfmt.h"
#include "segments/output/prometheus.h"

#define PM_FIRST_BYTES (64u << 10)
#define PM_CONTENT     "text/plain; version=0.0.4; charset=utf-8"

/* ---- label values ---- */

void pm_label_value(const struct prometheus_state *s, unsigned i, const unsigned char *key, char *out)
{
	const struct pm_label *l = &s->labels[i];
	const struct ofd_field_info *fi = &ofd_fields[l->id];
	const unsigned char *k = key + l->off;
	out[0] = 0;
	int numeric = fi->kind <= OFD_FK_U64 || fi->kind == OFD_FK_ETYPE || fi->kind == OFD_FK_PROTO;
	if (!l->size) { /* a field overflowd does not store: its kind's zero */
		if (numeric)
			snprintf(out, PM_VALUE_MAX, "0");
		return;
	}
	if (numeric) { /* decimal, as flowpipeline writes its numbers (Proto "6", Etype "2048") */
		uint64_t v = 0;
		switch (fi->size) {
		case 1: v = k[0]; break;
		case 2: {
			uint16_t x;
			memcpy(&x, k, 2);
			v = x;
			break;
		}
		case 4: {
			uint32_t x;
			memcpy(&x, k, 4);
			v = x;
			break;
		}
		default: memcpy(&v, k, 8);
		}
		snprintf(out, PM_VALUE_MAX, "%llu", (unsigned long long)v);
		return;
	}
	switch (fi->kind) {
	case OFD_FK_STR: /* text from the network: the exposition escapes it */
		memcpy(out, k, PM_STR_KEY);
		out[PM_STR_KEY - 1] = 0;
		return;
	case OFD_FK_CC:
		memcpy(out, k, 2);
		out[2] = 0;
		out[strnlen(out, 2)] = 0;
		return;
	case OFD_FK_IP: {
		struct ofd_ip ip;
		memcpy(&ip, k, sizeof(ip));
		ofd_ip_str(&ip, out);
		return;
	}
	default: break;
	}
	/* the rest as the csv output writes them, from a record rebuilt around the value */
	static _Thread_local struct ofd_flow f;
	memset(&f, 0, sizeof(f));
	unsigned char *r = (unsigned char *)&f;
	if (fi->kind == OFD_FK_ASPATH) {
		r[fi->aux_off] = k[0];
		memcpy(r + fi->off, k + 1, 4u * k[0]);
	} else {
		memcpy(r + fi->off, k, fi->size);
		if (fi->aux_size && fi->aux_off != fi->off)
			memcpy(r + fi->aux_off, k + fi->size, fi->aux_size);
	}
	char buf[OFD_WBUF_RECORD_MAX];
	struct ofd_wbuf w = {.buf = buf, .cap = sizeof(buf), .fd = -1};
	ofd_fmt_fields[l->id].put(&w, &f, 0);
	size_t n = w.len < PM_VALUE_MAX - 1 ? w.len : PM_VALUE_MAX - 1;
	memcpy(out, buf, n);
	out[n] = 0;
}

/* ---- snapshots ---- */

struct pm_snap {
	unsigned char *mem; /* n slots of stride bytes, then the other series */
	size_t stride, n;
	uint64_t max, folded, vacuumed;
};

static int pm_snap_take(const struct pm_table *t, struct pm_snap *sn)
{
	*sn = (struct pm_snap){
	    .stride = t->stride, .max = t->max, .folded = t->folded, .vacuumed = t->vacuumed};
	if (!t->mem)
		return 0;
	sn->mem = malloc((t->n + 1) * t->stride);
	if (!sn->mem)
		return -ENOMEM;
	for (uint64_t i = 0; i < t->cap && sn->n < t->n; i++)
		if (pm_at(t, i)->hash)
			memcpy(sn->mem + sn->n++ * t->stride, pm_at(t, i), t->stride);
	memcpy(sn->mem + sn->n * t->stride, t->other, t->stride);
	return 0;
}

static const struct pm_slot *pm_snap_at(const struct pm_snap *sn, size_t i)
{
	return (const struct pm_slot *)(sn->mem + i * sn->stride);
}

struct pm_snaps {
	struct pm_snap flows, pairs, paths;
	uint64_t records;
};

static int pm_snaps_take(struct prometheus_state *s, struct pm_snaps *a)
{
	pthread_mutex_lock(&s->mu);
	int rc = pm_snap_take(&s->flows, &a->flows);
	if (!rc)
		rc = pm_snap_take(&s->pairs, &a->pairs);
	if (!rc)
		rc = pm_snap_take(&s->paths, &a->paths);
	a->records = s->records;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void pm_snaps_free(struct pm_snaps *a)
{
	free(a->flows.mem);
	free(a->pairs.mem);
	free(a->paths.mem);
}

/* ---- /flowdata ---- */

enum { V_BITS, V_FLOWS, V_PACKETS };

static void pm_write_family(const struct prometheus_state *s, struct ofd_prom *w, const struct pm_snap *sn,
			    int which)
{
	static const char *const names[] = {"flow_bits", "flow_number", "flow_packets"};
	static const char *const help[] = {"Bits (bytes times 8) of the flows, by label set.",
					   "Flows counted, by label set.",
					   "Packets of the flows, by label set."};
	ofd_prom_family(w, names[which], OFD_PROM_COUNTER, help[which]);
	static _Thread_local char vals[PM_LABELS_MAX][PM_VALUE_MAX];
	struct ofd_prom_label lb[PM_LABELS_MAX];
	for (size_t i = 0; i <= sn->n; i++) {
		const struct pm_slot *sl = pm_snap_at(sn, i);
		int other = i == sn->n;
		if (other && !sl->flows)
			break;
		for (unsigned j = 0; j < s->nlabels; j++) {
			if (other)
				snprintf(vals[j], PM_VALUE_MAX, "other");
			else
				pm_label_value(s, j, sl->key, vals[j]);
			lb[j] = (struct ofd_prom_label){s->labels[j].name, vals[j]};
		}
		uint64_t v = which == V_BITS ? sl->bytes * 8 : which == V_FLOWS ? sl->flows : sl->packets;
		ofd_prom_u64(w, lb, s->nlabels, v);
	}
}

static void pm_write_pairs(struct ofd_prom *w, const struct pm_snap *sn)
{
	ofd_prom_family(w, "flow_as_hop_pair_bytes", OFD_PROM_COUNTER,
			"Bytes of the flows whose AS path has the hop from AS `from` to AS `to`.");
	for (size_t i = 0; i <= sn->n; i++) {
		const struct pm_slot *sl = pm_snap_at(sn, i);
		char from[16] = "other", to[16] = "other";
		if (i == sn->n && !sl->flows)
			break;
		if (i < sn->n) {
			uint32_t a, b;
			memcpy(&a, sl->key, 4);
			memcpy(&b, sl->key + 4, 4);
			snprintf(from, sizeof(from), "%u", a);
			snprintf(to, sizeof(to), "%u", b);
		}
		ofd_prom_u64(w,
			     OFD_PROM_LABELS({"from", from}, {"to", to}, {"path_direction", "Destination"}),
			     sl->bytes);
	}
}

static void pm_write_paths(struct ofd_prom *w, const struct pm_snap *sn)
{
	ofd_prom_family(w, "flow_as_path_bytes", OFD_PROM_COUNTER, "Bytes of the flows by their AS path.");
	for (size_t i = 0; i <= sn->n; i++) {
		const struct pm_slot *sl = pm_snap_at(sn, i);
		char path[16 * OFD_AS_PATH_MAX] = "other";
		if (i == sn->n && !sl->flows)
			break;
		if (i < sn->n) { /* as Go prints a []uint32: "[64500 64501]" */
			size_t n = 0;
			path[n++] = '[';
			for (unsigned j = 0; j < sl->key[0] && j < OFD_AS_PATH_MAX; j++) {
				uint32_t a;
				memcpy(&a, sl->key + 1 + 4 * j, 4);
				n += (size_t)snprintf(path + n, sizeof(path) - n, "%s%u", j ? " " : "", a);
			}
			snprintf(path + n, sizeof(path) - n, "]");
		}
		ofd_prom_u64(w, OFD_PROM_LABELS({"as_path", path}), sl->bytes);
	}
}

static void pm_write_all(const struct prometheus_state *s, struct ofd_prom *w, const struct pm_snaps *a)
{
	pm_write_family(s, w, &a->flows, V_BITS);
	pm_write_family(s, w, &a->flows, V_FLOWS);
	pm_write_family(s, w, &a->flows, V_PACKETS);
	if (a->pairs.mem)
		pm_write_pairs(w, &a->pairs);
	if (a->paths.mem)
		pm_write_paths(w, &a->paths);
}

/* ---- /metrics (the segment's own) ---- */

static void pm_write_meta_snap(struct ofd_prom *w, const struct pm_snaps *a)
{
	ofd_prom_single(w, "kafka_messages_total", OFD_PROM_COUNTER,
			"Records counted by the prometheus output (flowpipeline's name).", a->records);
	static const char *const tn[] = {"flows", "as_pairs", "as_paths"};
	const struct pm_snap *t[] = {&a->flows, &a->pairs, &a->paths};
	ofd_prom_family(w, "overflowd_prometheus_series", OFD_PROM_GAUGE, "Label sets held, by table.");
	for (int i = 0; i < 3; i++)
		if (t[i]->mem)
			ofd_prom_u64(w, OFD_PROM_LABELS({"table", tn[i]}), t[i]->n);
	ofd_prom_family(w, "overflowd_prometheus_series_max", OFD_PROM_GAUGE,
			"The most label sets a table holds.");
	for (int i = 0; i < 3; i++)
		if (t[i]->mem)
			ofd_prom_u64(w, OFD_PROM_LABELS({"table", tn[i]}), t[i]->max);
	ofd_prom_family(w, "overflowd_prometheus_folded_total", OFD_PROM_COUNTER,
			"Records counted under labels \"other\": their table was full.");
	for (int i = 0; i < 3; i++)
		if (t[i]->mem)
			ofd_prom_u64(w, OFD_PROM_LABELS({"table", tn[i]}), t[i]->folded);
	ofd_prom_family(w, "overflowd_prometheus_vacuumed_total", OFD_PROM_COUNTER,
			"Series removed after vacuum_interval without records.");
	for (int i = 0; i < 3; i++)
		if (t[i]->mem)
			ofd_prom_u64(w, OFD_PROM_LABELS({"table", tn[i]}), t[i]->vacuumed);
}

/* ---- the answers ---- */

typedef void (*pm_writer)(const struct prometheus_state *s, struct ofd_prom *w, const struct pm_snaps *a);

static void pm_meta_writer(const struct prometheus_state *s, struct ofd_prom *w, const struct pm_snaps *a)
{
	(void)s;
	pm_write_meta_snap(w, a);
}

/* Build the text into a buffer that doubles until it fits; the response takes it. */
static void pm_answer(struct prometheus_state *s, struct ofd_httpd_resp *rs, pm_writer fn)
{
	struct pm_snaps a = {0};
	if (pm_snaps_take(s, &a)) {
		pm_snaps_free(&a);
		ofd_segment_count(s->seg, C_SCRAPE_ERRORS, 1);
		ofd_log_rl(&s->rl, OFD_LOG_ERR, "segment %s: out of memory for a scrape's copy",
			   ofd_segment_name(s->seg));
		ofd_httpd_text(rs, 500, "out of memory\n");
		return;
	}
	size_t cap = s->hint ? s->hint : PM_FIRST_BYTES;
	for (;; cap *= 2) {
		char *buf = malloc(cap);
		if (!buf) {
			ofd_segment_count(s->seg, C_SCRAPE_ERRORS, 1);
			ofd_log_rl(&s->rl, OFD_LOG_ERR, "segment %s: out of memory for a scrape of %zu bytes",
				   ofd_segment_name(s->seg), cap);
			ofd_httpd_text(rs, 500, "out of memory\n");
			break;
		}
		struct ofd_prom w;
		ofd_prom_init(&w, buf, cap);
		fn(s, &w, &a);
		int n = ofd_prom_end(&w);
		if (n >= 0) {
			s->hint = cap;
			*rs = (struct ofd_httpd_resp){
			    .status = 200, .type = PM_CONTENT, .body = buf, .len = (size_t)n, .owned = 1};
			break;
		}
		free(buf);
		if (n != OFD_ELIMIT || cap >= PM_EXPO_MAX) {
			ofd_segment_count(s->seg, C_SCRAPE_ERRORS, 1);
			ofd_log_rl(&s->rl, OFD_LOG_ERR, "segment %s: cannot build the exposition: %s",
				   ofd_segment_name(s->seg), ofd_strerror(n));
			ofd_httpd_text(rs, 500, "flow data unavailable\n");
			break;
		}
	}
	pm_snaps_free(&a);
}

void pm_on_flowdata(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	struct prometheus_state *s = ctx;
	(void)rq;
	pthread_mutex_lock(&s->mu);
	s->scrapes++;
	pthread_mutex_unlock(&s->mu);
	pm_answer(s, rs, pm_write_all);
}

void pm_on_metrics(void *ctx, const struct ofd_httpd_req *rq, struct ofd_httpd_resp *rs)
{
	(void)rq;
	pm_answer(ctx, rs, pm_meta_writer);
}

int pm_write_flowdata(struct prometheus_state *s, struct ofd_prom *w)
{
	struct pm_snaps a = {0};
	int rc = pm_snaps_take(s, &a);
	if (!rc)
		pm_write_all(s, w, &a);
	pm_snaps_free(&a);
	return rc;
}

void pm_write_meta(struct prometheus_state *s, struct ofd_prom *w)
{
	struct pm_snaps a = {0};
	if (!pm_snaps_take(s, &a))
		pm_write_meta_snap(w, &a);
	pm_snaps_free(&a);
}
