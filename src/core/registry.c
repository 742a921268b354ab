#include "registry.h"

#include "core/config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFD_MODULE_TYPES_MAX 256 /* types per module; a longer array is not NULL-terminated */

struct reg_item {
	const struct ofd_segment_type *type;
	const char *origin; /* "built-in", or the module path (owned by a module entry) */
};

struct ofd_registry {
	struct reg_item *v;
	size_t n, cap;
	struct {
		void *handle;
		char *path;
	} * mod;
	size_t nmod;
	const struct ofd_registry_off *off;
};

int ofd_registry_new_empty(struct ofd_registry **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void ofd_registry_free(struct ofd_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmod; i++) {
		dlclose(r->mod[i].handle);
		free(r->mod[i].path);
	}
	free(r->mod);
	free(r->v);
	free(r);
}

/* Bytes a config key's value takes in the state (include/ofd/cfg.h); 0 for an unknown type. */
static size_t reg_key_size(enum ofd_cfg_type t)
{
	switch (t) {
	case OFD_CFG_BOOL:
	case OFD_CFG_ENUM: return sizeof(int);
	case OFD_CFG_INT: return sizeof(int64_t);
	case OFD_CFG_UINT:
	case OFD_CFG_DURATION:
	case OFD_CFG_SIZE: return sizeof(uint64_t);
	case OFD_CFG_DOUBLE: return sizeof(double);
	case OFD_CFG_STRING: return sizeof(char *);
	case OFD_CFG_STRLIST: return sizeof(struct ofd_strlist);
	case OFD_CFG_NODE: return sizeof(const struct ofd_cfg_node *);
	case OFD_CFG_LIST: return sizeof(struct ofd_cfg_list);
	case OFD_CFG_IGNORED: return 0;
	}
	return 0;
}

/* A config map against the state it is written into: every value inside it. */
static const char *reg_check_keys(const struct ofd_cfg_key *k, size_t size, int depth)
{
	for (; k && k->key; k++) {
		if (k->type == OFD_CFG_IGNORED)
			continue; /* takes no room in the state */
		size_t sz = reg_key_size(k->type);
		if (!sz)
			return "a config key of an unknown type";
		if (k->offset > size || sz > size - k->offset)
			return "a config key outside the segment's state (state_size)";
		if (k->type == OFD_CFG_ENUM && !k->choices)
			return "an enum config key without choices";
		if (k->type == OFD_CFG_LIST) {
			if (!k->sub || !k->elem_size || depth >= 4)
				return "a list config key without sub-keys or element size";
			const char *why = reg_check_keys(k->sub, k->elem_size, depth + 1);
			if (why)
				return why;
		}
	}
	return NULL;
}

static int reg_name_ok(const char *s)
{
	if (!s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* Metric families: names and labels valid, none named like the engine's own families. */
static const char *reg_check_metrics(const struct ofd_segment_type *t)
{
	static const char *const engine[] = {"pipeline_", "segment_",	   "pool_",
					     "stage_",	  "output_queue_", "metric_series_"};
	if (!t->metrics)
		return t->collect ? "collect() without metric families" : NULL;
	if (!t->collect)
		return "metric families without collect()";
	for (const struct ofd_metric *m = t->metrics; m->name; m++) {
		if (!reg_name_ok(m->name) || (unsigned)m->kind > OFD_METRIC_GAUGE)
			return "a metric family with an invalid name or kind";
		for (size_t i = 0; i < sizeof(engine) / sizeof(engine[0]); i++)
			if (strncmp(m->name, engine[i], strlen(engine[i])) == 0)
				return "a metric family named like the engine's own";
		for (unsigned l = 0; l < OFD_METRIC_LABELS_MAX && m->labels[l]; l++)
			if (!reg_name_ok(m->labels[l]) || strcmp(m->labels[l], "segment") == 0 ||
			    strncmp(m->labels[l], "__", 2) == 0)
				return "a metric family with an invalid label name";
	}
	return NULL;
}

int ofd_registry_check(const struct ofd_segment_type *t, char *err, size_t errlen)
{
	if (t->abi != OFD_SEGMENT_ABI) {
		snprintf(err, errlen,
			 "segment ABI version %u, this overflowd has %u (rebuild it against its headers)",
			 t->abi, OFD_SEGMENT_ABI);
		return OFD_EVERSION;
	}
	if (t->layout != OFD_SEGMENT_LAYOUT) {
		snprintf(err, errlen,
			 "segment %s: built against record layout %08x, this overflowd has %08x "
			 "(rebuild it against its headers)",
			 t->name ? t->name : "?", (unsigned)t->layout, (unsigned)OFD_SEGMENT_LAYOUT);
		return OFD_EVERSION;
	}
	const char *why = NULL;
	size_t nc = 0;
	if (t->counters)
		while (t->counters[nc] && nc <= OFD_SEGMENT_COUNTERS_MAX)
			nc++;
	if (!t->name || !t->name[0])
		why = "a segment type without a name";
	else if (strcasecmp(t->name, "branch") == 0)
		why = "the name 'branch' is reserved for the engine";
	else if (strcasecmp(t->name, "skip") == 0)
		why = "the name 'skip' is reserved for the engine (the config loader turns it into a branch)";
	else if ((unsigned)t->kind > OFD_SEG_OUTPUT)
		why = "an unknown kind";
	else if (t->kind == OFD_SEG_INPUT && !t->start)
		why = "an input without start()";
	else if (t->kind != OFD_SEG_INPUT && !t->process)
		why = "a segment without process()";
	else if (nc > OFD_SEGMENT_COUNTERS_MAX)
		why = "more counters than OFD_SEGMENT_COUNTERS_MAX";
	else if (t->flags &
		 ~(unsigned)(OFD_SEGF_BLOCKING | OFD_SEGF_PARALLEL | OFD_SEGF_EMITS | OFD_SEGF_DGRAMS))
		why = "unknown flags";
	else if ((t->flags & OFD_SEGF_DGRAMS) && (t->kind == OFD_SEG_INPUT || (t->flags & OFD_SEGF_BLOCKING)))
		why = "OFD_SEGF_DGRAMS on an input or a blocking segment (its copies carry no datagrams)";
	else if ((t->flags & OFD_SEGF_EMITS) &&
		 (t->kind == OFD_SEG_INPUT || (t->flags & (OFD_SEGF_BLOCKING | OFD_SEGF_PARALLEL))))
		why = "OFD_SEGF_EMITS on an input, a blocking or a parallel segment (a drain batch reaches "
		      "one instance)";
	if (!why)
		why = reg_check_keys(t->config, t->state_size, 0);
	if (!why)
		why = reg_check_metrics(t);
	if (why) {
		snprintf(err, errlen, "segment %s: %s", t->name ? t->name : "?", why);
		return OFD_ECONFIG;
	}
	return 0;
}

int ofd_registry_add(struct ofd_registry *r, const struct ofd_segment_type *t, const char *origin, char *err,
		     size_t errlen)
{
	int rc = ofd_registry_check(t, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->n; i++) {
		if (strcasecmp(r->v[i].type->name, t->name) == 0) {
			snprintf(err, errlen, "segment %s: already defined (%s)", t->name, r->v[i].origin);
			return OFD_ECONFIG;
		}
	}
	const char *target;
	for (size_t a = 0; ofd_registry_alias_at(r, a, &target); a++) {
		if (strcasecmp(ofd_registry_alias_at(r, a, NULL), t->name) == 0) {
			snprintf(err, errlen, "segment %s: already defined (the name flowpipeline gives %s)",
				 t->name, target);
			return OFD_ECONFIG;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct reg_item *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct reg_item){t, origin};
	return 0;
}

/* Check every type of a module against the registry and against each other. */
static int registry_check_module(const struct ofd_registry *r, const struct ofd_segment_type *const *types,
				 size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int rc = ofd_registry_check(types[i], err, errlen);
		if (rc)
			return rc;
		if (ofd_registry_find(r, types[i]->name)) {
			snprintf(err, errlen, "segment %s: already defined", types[i]->name);
			return OFD_ECONFIG;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(types[j]->name, types[i]->name) == 0) {
				snprintf(err, errlen, "segment %s: defined twice", types[i]->name);
				return OFD_ECONFIG;
			}
		}
	}
	return 0;
}

static int registry_add_module(struct ofd_registry *r, void *handle, const char *path,
			       const struct ofd_segment_type *const *types, size_t n, char *err,
			       size_t errlen)
{
	int rc = -ENOMEM;
	void *mod = realloc(r->mod, (r->nmod + 1) * sizeof(*r->mod));
	if (!mod)
		return rc;
	r->mod = mod;
	char *copy = strdup(path);
	if (!copy)
		return rc;
	size_t n0 = r->n;
	for (size_t i = 0; i < n; i++) {
		if ((rc = ofd_registry_add(r, types[i], copy, err, errlen)) != 0) {
			r->n = n0;
			free(copy);
			return rc;
		}
	}
	r->mod[r->nmod].handle = handle;
	r->mod[r->nmod].path = copy;
	r->nmod++;
	return 0;
}

int ofd_registry_load(struct ofd_registry *r, const char *path, char *err, size_t errlen)
{
	char why[256];
	int rc = OFD_ECONFIG;
	/* dlopen searches the library path for a bare name: make a file name a path */
	char buf[4096];
	if (!strchr(path, '/'))
		snprintf(buf, sizeof(buf), "./%s", path);
	void *h = dlopen(strchr(path, '/') ? path : buf, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "%s", dlerror());
		return OFD_ECONFIG;
	}
	const struct ofd_segment_type *const *types = dlsym(h, "ofd_segments");
	if (!types) {
		snprintf(err, errlen, "%s: exports no ofd_segments[] (a custom segment module must)", path);
		goto close;
	}
	size_t n = 0;
	while (n < OFD_MODULE_TYPES_MAX && types[n])
		n++;
	if (n == OFD_MODULE_TYPES_MAX || n == 0) {
		snprintf(err, errlen, "%s: ofd_segments[] is %s", path,
			 n ? "not NULL-terminated (or too long)" : "empty");
		goto close;
	}
	if ((rc = registry_check_module(r, types, n, why, sizeof(why))) != 0 ||
	    (rc = registry_add_module(r, h, path, types, n, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s: %s", path, rc == -ENOMEM ? "out of memory" : why);
		goto close;
	}
	return 0;

close:
	dlclose(h);
	return rc;
}

/* flowpipeline's names for segments we call otherwise, so that its configs load unchanged
   (flowpipeline's own names that are also ours need no alias) */
static const char *const aliases[][2] = {
    {"printflowdump", "print"},
    {"goflow", "udp"},
    {"blackhole", "drop"},     /* older flowpipeline releases' name for drop */
    {"snmpinterface", "snmp"}, /* older flowpipeline releases' name for snmp */
};

/* Names are matched in any letter case: `Goflow`, `FlowFilter` and `goflow` are one segment. */
const struct ofd_segment_type *ofd_registry_find(const struct ofd_registry *r, const char *name)
{
	for (size_t a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
		if (strcasecmp(name, aliases[a][0]) == 0)
			name = aliases[a][1];
	for (size_t i = 0; i < r->n; i++)
		if (strcasecmp(r->v[i].type->name, name) == 0)
			return r->v[i].type;
	return NULL;
}

/* Every segment name flowpipeline registers (its segments/ directory, current and older releases) */
static const char *const fp_names[] = {
    "addcid",
    "addrstrings",
    "aggregate",
    "anonymize",
    "aslookup",
    "bgp",
    "blackhole",
    "bpf",
    "branch",
    "clickhouse",
    "count",
    "csv",
    "delay_monitoring",
    "diskbuffer",
    "drop",
    "dropfields",
    "elephant",
    "filegate",
    "flowfilter",
    "generator",
    "geolocation",
    "goflow",
    "http",
    "influx",
    "json",
    "kafkaconsumer",
    "kafkaproducer",
    "lumberjack",
    "mongodb",
    "normalize",
    "packet",
    "pass",
    "printdots",
    "printflowdump",
    "prometheus",
    "protomap",
    "remoteaddress",
    "replay",
    "reversedns",
    "skip",
    "snmp",
    "snmpinterface",
    "sqlite",
    "stdin",
    "subpipeline",
    "sync_timestamps",
    "toptalkers",
    "toptalkers_metrics",
    "traffic_specific_toptalkers",
};

const char *ofd_registry_flowpipeline_name(size_t i)
{
	return i < sizeof(fp_names) / sizeof(fp_names[0]) ? fp_names[i] : NULL;
}

int ofd_registry_is_flowpipeline(const char *name)
{
	for (size_t i = 0; i < sizeof(fp_names) / sizeof(fp_names[0]); i++)
		if (strcasecmp(name, fp_names[i]) == 0)
			return 1;
	return 0;
}

void ofd_registry_set_off(struct ofd_registry *r, const struct ofd_registry_off *off)
{
	r->off = off;
}

const char *ofd_registry_off_reason(const struct ofd_registry *r, const char *name)
{
	for (const struct ofd_registry_off *o = r->off; o && o->name; o++)
		if (strcasecmp(name, o->name) == 0)
			return o->reason;
	return NULL;
}

const char *ofd_registry_closest(const struct ofd_registry *r, const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < r->n + sizeof(aliases) / sizeof(aliases[0]) + 1; i++) {
		const char *cand = i < r->n    ? r->v[i].type->name
				   : i == r->n ? "branch"
					       : aliases[i - r->n - 1][0];
		size_t d = ofd_cfg_edit_distance(name, cand);
		if (ofd_cfg_is_close(name, cand) && d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	return best;
}

const struct ofd_segment_type *ofd_registry_at(const struct ofd_registry *r, size_t i, const char **origin)
{
	if (i >= r->n)
		return NULL;
	if (origin)
		*origin = r->v[i].origin;
	return r->v[i].type;
}

const char *ofd_registry_alias_at(const struct ofd_registry *r, size_t i, const char **target)
{
	(void)r; /* the aliases are the same for every registry, for now */
	if (i >= sizeof(aliases) / sizeof(aliases[0]))
		return NULL;
	if (target)
		*target = aliases[i][1];
	return aliases[i][0];
}
