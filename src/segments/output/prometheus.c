/*
 * prometheus: flowpipeline's export segment of that name. Counts the flows, bytes and packets
 * of the records by the values of the `labels` fields and serves them in the Prometheus text
 * format at http://ENDPOINT/FLOWDATAPATH (flowpipeline's flow_bits, bits = bytes * 8, and
 * flow_number, flow_packets), with its own meta counters at METRICSPATH; with export_as_pairs
 * and export_as_paths, the bytes per AS hop pair and per AS path of the as_path field too.
 * Every record is passed on unchanged.
 *
 * Bounded where flowpipeline is not (its issues #48, #80, #104): at most `max_series` label
 * sets per table, in a table sized at init (process() allocates nothing; a keyed SipHash, so
 * that chosen label values cannot aim at one probe run); a record of a new label set when the
 * table is full is counted into the series whose labels are all "other", and counted as
 * folded. A series not counted for `vacuum_interval` is removed (flowpipeline resets all of
 * them every interval instead).
 *
 * The endpoint is shared (obs/httpep.h): when the daemon's metrics server or another segment
 * listens on the same address, the paths are added to that server; when METRICSPATH is
 * served there already (the daemon's /metrics, which carries this segment's collect()
 * families), it is left to it.
 */
#include "segments/output/prometheus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "segments/common/fieldlist.h"

#define NS 1000000000ull

static const char *const prometheus_counters[] = {"folded", "vacuumed", "scrape_errors", NULL};

/* ---- labels ---- */

static size_t pm_key_size(const struct ofd_field_info *fi)
{
	switch (fi->kind) {
	case OFD_FK_STR: return PM_STR_KEY;
	case OFD_FK_ASPATH: return PM_ASPATH_KEY;
	default: return (size_t)fi->size + (fi->aux_size && fi->aux_off != fi->off ? fi->aux_size : 0);
	}
}

struct pm_parse {
	struct prometheus_state *s;
	char *err;
	size_t errlen;
	int failed; /* a reason is in err; the rest of the walk is skipped */
};

static int pm_add_label(void *ctx, const char *name)
{
	struct pm_parse *p = ctx;
	struct prometheus_state *s = p->s;
	if (p->failed)
		return 0;
	int id = ofd_field_by_name(name);
	if (id < 0)
		return OFD_FIELDLIST_UNKNOWN;
	if (s->nlabels == PM_LABELS_MAX)
		return OFD_FIELDLIST_FULL;
	for (unsigned i = 0; i < s->nlabels; i++)
		if (s->labels[i].id == id || strcmp(s->labels[i].name, name) == 0) {
			snprintf(p->err, p->errlen, "key labels: \"%s\" names a field twice", name);
			p->failed = 1;
			return 0;
		}
	if (!ofd_prom_label_name_ok(name)) {
		snprintf(p->err, p->errlen, "key labels: \"%s\" is not a Prometheus label name", name);
		p->failed = 1;
		return 0;
	}
	struct pm_label *l = &s->labels[s->nlabels];
	l->name = strdup(name);
	if (!l->name) {
		snprintf(p->err, p->errlen, "key labels: out of memory");
		p->failed = 1;
		return 0;
	}
	l->id = id;
	const struct ofd_field_info *fi = ofd_field_get((unsigned)id);
	l->size = ofd_field_stored((unsigned)id) ? (uint16_t)pm_key_size(fi) : 0;
	s->nlabels++;
	return 0;
}

/* Resolve labels_cfg; 0, or OFD_ECONFIG with the reason in err. */
static int pm_labels(struct prometheus_state *s, char *err, size_t errlen)
{
	struct pm_parse p = {s, err, errlen, 0};
	char werr[256] = "";
	int rc = ofd_fieldlist_walk(&s->labels_cfg, pm_add_label, &p, werr, sizeof(werr));
	if (rc)
		snprintf(err, errlen, "key labels: %s", werr);
	if (rc || p.failed)
		return OFD_ECONFIG;
	size_t off = 0;
	for (unsigned i = 0; i < s->nlabels; i++) {
		s->labels[i].off = (uint16_t)off;
		off += s->labels[i].size;
	}
	if (off > PM_KEY_MAX) {
		snprintf(err, errlen, "key labels: the label values take %zu bytes a series (at most %d)",
			 off, PM_KEY_MAX);
		return OFD_ECONFIG;
	}
	return 0;
}

static void pm_free_labels(struct prometheus_state *s)
{
	for (unsigned i = 0; i < s->nlabels; i++)
		free(s->labels[i].name);
	s->nlabels = 0;
}

static int prometheus_check(const void *state, char *err, size_t errlen)
{
	struct prometheus_state tmp = *(const struct prometheus_state *)state;
	tmp.nlabels = 0;
	err[0] = 0;
	int rc = pm_labels(&tmp, err, errlen);
	pm_free_labels(&tmp);
	if (rc)
		return rc;
	const char *paths[2] = {tmp.metricspath, tmp.flowdatapath};
	for (int i = 0; i < 2; i++)
		if (!paths[i] || paths[i][0] != '/') {
			snprintf(err, errlen, "key %s: a path starts with /",
				 i ? "flowdatapath" : "metricspath");
			return OFD_ECONFIG;
		}
	if (strcmp(tmp.metricspath, tmp.flowdatapath) == 0) {
		snprintf(err, errlen, "metricspath and flowdatapath are both %s", tmp.metricspath);
		return OFD_ECONFIG;
	}
	return 0;
}

/* ---- the tables ---- */

static int pm_table_init(struct pm_table *t, size_t key_len, uint64_t max)
{
	t->key_len = key_len;
	t->stride = (sizeof(struct pm_slot) + key_len + 7) & ~(size_t)7;
	t->max = max;
	t->cap = 16;
	while (t->cap < 2 * max) /* at most half full: short probe runs */
		t->cap <<= 1;
	t->mask = t->cap - 1;
	void *m = mmap(NULL, t->cap * t->stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->mem = m == MAP_FAILED ? NULL : m;
	t->other = calloc(1, t->stride);
	return t->mem && t->other ? 0 : -ENOMEM;
}

static void pm_table_fini(struct pm_table *t)
{
	if (t->mem)
		munmap(t->mem, t->cap * t->stride);
	free(t->other);
	t->mem = NULL;
	t->other = NULL;
}

static uint64_t pm_hash(const struct prometheus_state *s, const unsigned char *key, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, n, s->hkey);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return v | 1; /* 0 marks a free slot */
}

/* The series of key (hash h), made if there is room; else the other series (counted). */
static struct pm_slot *pm_find(struct pm_table *t, const unsigned char *key, uint64_t h)
{
	for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
		struct pm_slot *sl = pm_at(t, i);
		if (sl->hash == h && memcmp(sl->key, key, t->key_len) == 0)
			return sl;
		if (sl->hash)
			continue;
		if (t->n >= t->max) {
			t->folded++;
			return t->other;
		}
		sl->hash = h;
		memcpy(sl->key, key, t->key_len);
		t->n++;
		return sl;
	}
}

/* Remove slot i (backward-shift deletion: the probe runs stay unbroken). */
static void pm_remove(struct pm_table *t, uint64_t i)
{
	for (uint64_t j = (i + 1) & t->mask;; j = (j + 1) & t->mask) {
		struct pm_slot *sj = pm_at(t, j);
		if (!sj->hash)
			break;
		uint64_t home = sj->hash & t->mask;
		/* sj may move to i when its home is not in (i, j] (cyclically) */
		int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		memcpy(pm_at(t, i), sj, t->stride);
		i = j;
	}
	memset(pm_at(t, i), 0, t->stride);
	t->n--;
}

/* Remove the series not counted since before `before`; returns how many. */
static uint64_t pm_vacuum(struct pm_table *t, uint64_t before)
{
	uint64_t removed = 0;
	for (uint64_t i = 0; i < t->cap; i++) {
		struct pm_slot *sl = pm_at(t, i);
		while (sl->hash && sl->last_ns < before) { /* a shift may bring another one here */
			pm_remove(t, i);
			removed++;
		}
	}
	if (t->other->flows && t->other->last_ns < before) {
		memset(t->other, 0, t->stride);
		removed++;
	}
	t->vacuumed += removed;
	return removed;
}

static int prometheus_init(struct ofd_segment *seg, void *state)
{
	struct prometheus_state *s = state;
	s->seg = seg;
	char err[512] = "";
	int rc = pm_labels(s, err, sizeof(err));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return rc;
	}
	size_t key_len = s->nlabels ? s->labels[s->nlabels - 1].off + s->labels[s->nlabels - 1].size : 0;
	if (pm_table_init(&s->flows, key_len, s->max_series) ||
	    (s->export_as_pairs && pm_table_init(&s->pairs, 12, s->max_series)) ||
	    (s->export_as_paths && pm_table_init(&s->paths, PM_ASPATH_KEY, s->max_series))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot allocate tables of %llu series",
			    (unsigned long long)s->max_series);
		return -ENOMEM;
	}
	s->keys = malloc((size_t)OFD_BATCH_CAP * (key_len ? key_len : 1));
	s->hashes = malloc(OFD_BATCH_CAP * sizeof(*s->hashes));
	if (!s->keys || !s->hashes)
		return -ENOMEM;
	randombytes_buf(s->hkey, sizeof(s->hkey));
	pthread_mutex_init(&s->mu, NULL);
	s->mu_ok = 1;
	rc = ofd_httpep_get(&s->ep, s->endpoint, err, sizeof(err));
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key endpoint: %s", err);
		return rc;
	}
	const struct ofd_httpd_route fd = {
	    .path = s->flowdatapath, .methods = "GET, HEAD", .handle = pm_on_flowdata, .ctx = s};
	if ((rc = ofd_httpep_route(s->ep, &fd, err, sizeof(err))) != 0) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key flowdatapath: %s", err);
		return rc;
	}
	s->routed_flowdata = 1;
	if (!(ofd_httpep_is_daemons(s->ep) && ofd_httpep_serves(s->ep, s->metricspath))) {
		const struct ofd_httpd_route mp = {
		    .path = s->metricspath, .methods = "GET, HEAD", .handle = pm_on_metrics, .ctx = s};
		if ((rc = ofd_httpep_route(s->ep, &mp, err, sizeof(err))) != 0) {
			ofd_seg_log(seg, OFD_LOG_ERR, "key metricspath: %s", err);
			return rc;
		}
		s->routed_metrics = 1;
	}
	ofd_seg_log(seg, OFD_LOG_INFO, "serving %s%s%s on port %u%s", s->flowdatapath,
		    s->routed_metrics ? " and " : "", s->routed_metrics ? s->metricspath : "",
		    ofd_httpep_port(s->ep),
		    ofd_httpep_is_daemons(s->ep) ? " (the daemon's metrics server)" : "");
	return 0;
}

/* ---- counting ---- */

/* The key of f's label values into key (key_len bytes, zeroed first). */
static void pm_key(const struct prometheus_state *s, const struct ofd_flow *f, unsigned char *key)
{
	memset(key, 0, s->flows.key_len);
	const unsigned char *r = (const unsigned char *)f;
	for (unsigned i = 0; i < s->nlabels; i++) {
		const struct pm_label *l = &s->labels[i];
		if (!l->size)
			continue;
		const struct ofd_field_info *fi = &ofd_fields[l->id];
		unsigned char *k = key + l->off;
		switch (fi->kind) {
		case OFD_FK_STR: {
			const char *t;
			memcpy(&t, r + fi->off, sizeof(t));
			if (t)
				memcpy(k, t, strnlen(t, PM_STR_KEY - 1));
			break;
		}
		case OFD_FK_ASPATH: {
			uint8_t n = r[fi->aux_off];
			if (n > OFD_AS_PATH_MAX)
				n = OFD_AS_PATH_MAX;
			k[0] = n;
			memcpy(k + 1, r + fi->off, 4u * n);
			break;
		}
		case OFD_FK_COMMS: {
			const struct ofd_communities *c = (const void *)(r + fi->off);
			struct ofd_communities v = {.n = c->n < OFD_COMMUNITIES_MAX ? c->n
										    : OFD_COMMUNITIES_MAX};
			memcpy(v.v, c->v, v.n * sizeof(v.v[0]));
			memcpy(k, &v, sizeof(v));
			break;
		}
		case OFD_FK_LCOMMS: {
			const struct ofd_large_communities *c = (const void *)(r + fi->off);
			struct ofd_large_communities v = {
			    .n = c->n < OFD_LARGE_COMMUNITIES_MAX ? c->n : OFD_LARGE_COMMUNITIES_MAX};
			memcpy(v.v, c->v, v.n * sizeof(v.v[0]));
			memcpy(k, &v, sizeof(v));
			break;
		}
		case OFD_FK_MPLS: {
			const struct ofd_mpls_stack *c = (const void *)(r + fi->off);
			struct ofd_mpls_stack v = {.n = c->n < OFD_MPLS_MAX ? c->n : OFD_MPLS_MAX};
			memcpy(v.lse, c->lse, v.n * sizeof(v.lse[0]));
			memcpy(k, &v, sizeof(v));
			break;
		}
		default:
			memcpy(k, r + fi->off, fi->size);
			if (fi->aux_size && fi->aux_off != fi->off)
				memcpy(k + fi->size, r + fi->aux_off, fi->aux_size);
		}
	}
}

static void pm_count(struct pm_table *t, struct pm_slot *sl, uint64_t flows, uint64_t bytes, uint64_t packets,
		     uint64_t now)
{
	(void)t;
	sl->flows += flows;
	sl->bytes += bytes;
	sl->packets += packets;
	sl->last_ns = now;
}

/* The AS path of f without consecutive repeats (flowpipeline's dedup) into p; its length. */
static unsigned pm_aspath(const struct ofd_flow *f, uint32_t *p)
{
	unsigned n = f->as_path_len < OFD_AS_PATH_MAX ? f->as_path_len : OFD_AS_PATH_MAX, m = 0;
	for (unsigned i = 0; i < n; i++)
		if (m == 0 || p[m - 1] != f->as_path[i])
			p[m++] = f->as_path[i];
	return m;
}

static void pm_pair(struct prometheus_state *s, uint32_t from, uint32_t to, uint64_t bytes)
{
	unsigned char k[12] = {0};
	memcpy(k, &from, 4);
	memcpy(k + 4, &to, 4);
	k[8] = 'D'; /* path_direction="Destination": the as_path field is the path to the destination */
	pm_count(&s->pairs, pm_find(&s->pairs, k, pm_hash(s, k, sizeof(k))), 1, bytes, 0, s->now_ns);
}

static void pm_as(struct prometheus_state *s, const struct ofd_flow *f)
{
	uint32_t p[OFD_AS_PATH_MAX];
	unsigned n = pm_aspath(f, p);
	if (n < 2)
		return;
	if (s->export_as_pairs) {
		for (unsigned i = 0; i + 1 < n; i++)
			pm_pair(s, p[i], p[i + 1], f->bytes);
		pm_pair(s, p[n - 1], p[n - 1], f->bytes);
	}
	if (s->export_as_paths) {
		unsigned char k[PM_ASPATH_KEY] = {0};
		k[0] = (unsigned char)n;
		memcpy(k + 1, p, 4u * n);
		pm_count(&s->paths, pm_find(&s->paths, k, pm_hash(s, k, sizeof(k))), 1, f->bytes, 0,
			 s->now_ns);
	}
}

/*
 * In two passes over the batch, so that the table's cache misses overlap: every record's key
 * and hash (outside the lock), prefetching its home slot; then, under the lock, each series
 * found or made and counted.
 */
static void prometheus_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct prometheus_state *s = state;
	size_t kl = s->flows.key_len;
	uint16_t rec[OFD_BATCH_CAP];
	uint32_t n = 0;
	for (uint32_t w = 0; w < (b->n + 63) / 64; w++) {
		uint64_t live = b->live[w];
		while (live) {
			uint32_t i = w * 64 + (unsigned)__builtin_ctzll(live);
			live &= live - 1;
			unsigned char *k = s->keys + (size_t)n * kl;
			pm_key(s, &b->flows[i], k);
			s->hashes[n] = pm_hash(s, k, kl);
			__builtin_prefetch(pm_at(&s->flows, s->hashes[n] & s->flows.mask), 1);
			rec[n++] = (uint16_t)i;
		}
	}
	pthread_mutex_lock(&s->mu);
	uint64_t folded0 = s->flows.folded + s->pairs.folded + s->paths.folded;
	for (uint32_t j = 0; j < n; j++) {
		const struct ofd_flow *f = &b->flows[rec[j]];
		struct pm_slot *sl = pm_find(&s->flows, s->keys + (size_t)j * kl, s->hashes[j]);
		pm_count(&s->flows, sl, 1, f->bytes, f->packets, s->now_ns);
		if (s->export_as_pairs || s->export_as_paths)
			pm_as(s, f);
	}
	s->records += n;
	uint64_t folded = s->flows.folded + s->pairs.folded + s->paths.folded - folded0;
	pthread_mutex_unlock(&s->mu);
	if (folded)
		ofd_segment_count(seg, C_FOLDED, folded);
}

static void prometheus_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct prometheus_state *s = state;
	pthread_mutex_lock(&s->mu);
	s->now_ns = now_ns;
	uint64_t removed = 0;
	if (s->vacuum_ns && now_ns >= s->vacuum_ns && now_ns - s->last_vacuum_ns >= NS / 4) {
		s->last_vacuum_ns = now_ns;
		uint64_t before = now_ns - s->vacuum_ns;
		removed = pm_vacuum(&s->flows, before);
		if (s->export_as_pairs)
			removed += pm_vacuum(&s->pairs, before);
		if (s->export_as_paths)
			removed += pm_vacuum(&s->paths, before);
	}
	pthread_mutex_unlock(&s->mu);
	if (removed)
		ofd_segment_count(seg, C_VACUUMED, removed);
}

/* ---- metrics, end ---- */

static const struct ofd_metric prometheus_metrics[] = {
    {"prometheus_series",
     OFD_METRIC_GAUGE,
     0,
     "Label sets the prometheus output holds, by table.",
     {"table"}},
    {"prometheus_series_max",
     OFD_METRIC_GAUGE,
     OFD_METRIC_DETAIL,
     "The most label sets a table holds (max_series).",
     {"table"}},
    {"prometheus_folded_total",
     OFD_METRIC_COUNTER,
     0,
     "Records counted into the series labelled other: their table was full.",
     {"table"}},
    {"prometheus_vacuumed_total",
     OFD_METRIC_COUNTER,
     0,
     "Series removed because nothing was counted in them for vacuum_interval.",
     {"table"}},
    {"prometheus_scrapes_total",
     OFD_METRIC_COUNTER,
     OFD_METRIC_DETAIL,
     "Answers to GET flowdatapath.",
     {NULL}},
    {.name = NULL},
};

static void pm_collect_table(struct ofd_metric_sink *k, const char *name, const struct pm_table *t)
{
	if (!t->mem)
		return;
	ofd_metric_put(k, &prometheus_metrics[0], OFD_METRIC_VALUES(name), t->n);
	ofd_metric_put(k, &prometheus_metrics[1], OFD_METRIC_VALUES(name), t->max);
	ofd_metric_put(k, &prometheus_metrics[2], OFD_METRIC_VALUES(name), t->folded);
	ofd_metric_put(k, &prometheus_metrics[3], OFD_METRIC_VALUES(name), t->vacuumed);
}

static void prometheus_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *k)
{
	struct prometheus_state *s = state;
	(void)seg;
	pthread_mutex_lock(&s->mu);
	pm_collect_table(k, "flows", &s->flows);
	pm_collect_table(k, "as_pairs", &s->pairs);
	pm_collect_table(k, "as_paths", &s->paths);
	ofd_metric_put(k, &prometheus_metrics[4], NULL, s->scrapes);
	pthread_mutex_unlock(&s->mu);
}

static void prometheus_fini(struct ofd_segment *seg, void *state)
{
	struct prometheus_state *s = state;
	(void)seg;
	if (s->routed_flowdata)
		ofd_httpep_unroute(s->ep, s->flowdatapath);
	if (s->routed_metrics)
		ofd_httpep_unroute(s->ep, s->metricspath);
	ofd_httpep_put(s->ep);
	s->ep = NULL;
	pm_table_fini(&s->flows);
	pm_table_fini(&s->pairs);
	pm_table_fini(&s->paths);
	if (s->mu_ok)
		pthread_mutex_destroy(&s->mu);
	pm_free_labels(s);
	free(s->keys);
	free(s->hashes);
}

static const struct ofd_cfg_key prometheus_keys[] = {
    OFD_KEY("endpoint", OFD_CFG_STRING, struct prometheus_state, endpoint, .def = ":8080",
	    .help = "the address to serve on (ADDR:PORT, [IPV6]:PORT or :PORT); the daemon's metrics address "
		    "shares its server"),
    OFD_KEY("metricspath", OFD_CFG_STRING, struct prometheus_state, metricspath, .def = "/metrics",
	    .help = "the path of the segment's own counters (left to the daemon's /metrics when that is the "
		    "same endpoint and path)"),
    OFD_KEY("flowdatapath", OFD_CFG_STRING, struct prometheus_state, flowdatapath, .def = "/flowdata",
	    .help = "the path of the flow counters (flow_bits, flow_number, flow_packets)"),
    OFD_KEY("labels", OFD_CFG_STRLIST, struct prometheus_state, labels_cfg, .def = "Etype,Proto",
	    .help = "the fields to label the counters with, by any of their names (the name written is the "
		    "label's name), comma-separated or a list"),
    OFD_KEY("vacuum_interval", OFD_CFG_DURATION, struct prometheus_state, vacuum_ns, .def = "0",
	    .max = 864e13, .help = "remove a series nothing was counted in for this long (0: never)"),
    OFD_KEY("export_as_pairs", OFD_CFG_BOOL, struct prometheus_state, export_as_pairs, .def = "false",
	    .help = "also count bytes per AS hop pair of as_path (flow_as_hop_pair_bytes)"),
    OFD_KEY("export_as_paths", OFD_CFG_BOOL, struct prometheus_state, export_as_paths, .def = "false",
	    .help = "also count bytes per AS path (flow_as_path_bytes)"),
    OFD_KEY("max_series", OFD_CFG_UINT, struct prometheus_state, max_series, .def = "10000", .min = 1,
	    .max = 1 << 20,
	    .help = "the most label sets per table (fixed at start); records of further ones are counted "
		    "under labels \"other\""),
    {.key = "buckets",
     .type = OFD_CFG_IGNORED,
     .help = "the older prometheus segment's top-talker mode (toptalkers_metrics has it now); flowpipeline "
	     "ignores it here too"},
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_prometheus = {
    OFD_SEGMENT_VERSION,
    .name = "prometheus",
    .kind = OFD_SEG_OUTPUT,
    .summary = "serve flow, byte and packet counters per label set for Prometheus to scrape",
    .state_size = sizeof(struct prometheus_state),
    .config = prometheus_keys,
    .counters = prometheus_counters,
    .metrics = prometheus_metrics,
    .collect = prometheus_collect,
    .check = prometheus_check,
    .init = prometheus_init,
    .process = prometheus_process,
    .tick = prometheus_tick,
    .fini = prometheus_fini,
};
