#include "segdoc.h"

#include "core/config_int.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static const char *const segdoc_kinds[] = {"input", "flow", "enrich", "analyze", "output"};
static const char *const segdoc_kind_titles[] = {"Input", "Flow", "Enrich", "Analyze", "Output"};
#define SEGDOC_NKINDS	 (sizeof(segdoc_kinds) / sizeof(segdoc_kinds[0]))
#define SEGDOC_DEPTH_MAX 4 /* lists of maps in lists of maps... */
/* flowpipeline's skip, which the config loader rewrites into a branch (core/config_shape.c) */
#define SEGDOC_SKIP_SUMMARY "the flows matching condition skip the next segments (flowpipeline's skip)"

/* --- the plain list ------------------------------------------------------------------------ */

/* The name of a key of a list's element: "rules[].filter" (a top-level key: its own name). */
static const char *segdoc_key_name(const char *parent, const char *key, char *buf, size_t len)
{
	if (!parent)
		return key;
	snprintf(buf, len, "%s[].%s", parent, key);
	return buf;
}

/* One line per config key, under its segment: name, type, default or "required", help; the
   keys of a list's elements follow the list as LIST[].KEY. */
static void segdoc_list_keys(const struct ofd_cfg_key *k, const char *parent, int depth, FILE *f)
{
	static const char *const types[] = {"bool", "int",	"uint", "number", "string", "list",
					    "enum", "duration", "size", "tree",	  "maps",   "ignored"};
	char name[128];
	for (; k && k->key; k++) {
		const char *n = segdoc_key_name(parent, k->key, name, sizeof(name));
		fprintf(f, "    %-14s %-8s", n,
			(unsigned)k->type < sizeof(types) / sizeof(types[0]) ? types[k->type] : "?");
		if (k->required)
			fprintf(f, " required");
		else if (k->def)
			fprintf(f, " default %s", k->def);
		if (k->type == OFD_CFG_ENUM && k->choices) {
			fprintf(f, " (");
			for (const char *const *c = k->choices; *c; c++)
				fprintf(f, "%s%s", c == k->choices ? "" : "|", *c);
			fprintf(f, ")");
		}
		fprintf(f, "\n      %s\n", k->help ? k->help : "");
		if (k->type == OFD_CFG_LIST && depth < SEGDOC_DEPTH_MAX)
			segdoc_list_keys(k->sub, n, depth + 1, f);
	}
}

int ofd_segdoc_list(const struct ofd_registry *r, FILE *f)
{
	const char *origin;
	const struct ofd_segment_type *t;
	for (size_t i = 0; (t = ofd_registry_at(r, i, &origin)) != NULL; i++) {
		fprintf(f, "%-16s %-8s %s", t->name, segdoc_kinds[t->kind], t->summary ? t->summary : "");
		if (strcmp(origin, "built-in"))
			fprintf(f, " (%s)", origin);
		fputc('\n', f);
		const char *alias, *target;
		for (size_t a = 0; (alias = ofd_registry_alias_at(r, a, &target)) != NULL; a++)
			if (!strcmp(target, t->name))
				fprintf(f, "    also accepted as %s (flowpipeline's name)\n", alias);
		segdoc_list_keys(t->config, NULL, 0, f);
	}
	fprintf(f, "%-16s %-8s %s\n", "skip", "flow", SEGDOC_SKIP_SUMMARY);
	segdoc_list_keys(ofd_cfg_skip_keys, NULL, 0, f);
	fprintf(f, "%-16s %-8s %s\n", "branch", "flow",
		"route flows: if, then (survivors of if), else (the others)");
	fprintf(f, "    %-14s %-8s default false\n      %s\n", "bypass-messages", "bool",
		"every flow that entered the branch leaves it, whether then or else dropped it");
	return ferror(f) ? -EIO : 0;
}

/* --- markdown ------------------------------------------------------------------------------ */

/* Text in a table cell: `|` escaped (also inside code spans, as GitHub's tables want it), line
   breaks as spaces. */
static void segdoc_cell(const char *s, FILE *f)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

/* A code span in a table cell. */
static void segdoc_code(const char *s, FILE *f)
{
	fputc('`', f);
	segdoc_cell(s, f);
	fputc('`', f);
}

static const char *segdoc_type_words(enum ofd_cfg_type t)
{
	static const char *const words[] = {
	    [OFD_CFG_BOOL] = "bool",
	    [OFD_CFG_INT] = "integer",
	    [OFD_CFG_UINT] = "unsigned integer",
	    [OFD_CFG_DOUBLE] = "number",
	    [OFD_CFG_STRING] = "string",
	    [OFD_CFG_STRLIST] = "list of strings",
	    [OFD_CFG_ENUM] = "choice",
	    [OFD_CFG_DURATION] = "duration",
	    [OFD_CFG_SIZE] = "size",
	    [OFD_CFG_NODE] = "YAML tree",
	    [OFD_CFG_LIST] = "list of maps",
	    [OFD_CFG_IGNORED] = "accepted, ignored",
	};
	return (unsigned)t < sizeof(words) / sizeof(words[0]) && words[t] ? words[t] : "?";
}

/* A bound as it would be written in the config: 1, 0.5, 10s, 64k (durations are kept in ns,
   sizes in bytes). */
static void segdoc_bound(enum ofd_cfg_type t, double x, FILE *f)
{
	static const struct {
		const char *name;
		double mult;
	} dur[] = {{"d", 86400e9}, {"h", 3600e9}, {"m", 60e9}, {"s", 1e9},
		   {"ms", 1e6},	   {"us", 1e3},	  {"ns", 1}},
	  size[] = {{"G", 1073741824.0}, {"M", 1048576.0}, {"k", 1024.0}, {"", 1}};
	if ((t == OFD_CFG_DURATION || t == OFD_CFG_SIZE) && x > 0 && x < 1.8e19 && x == floor(x)) {
		size_t n =
		    t == OFD_CFG_DURATION ? sizeof(dur) / sizeof(dur[0]) : sizeof(size) / sizeof(size[0]);
		for (size_t i = 0; i < n; i++) {
			double m = t == OFD_CFG_DURATION ? dur[i].mult : size[i].mult;
			if (fmod(x, m) == 0) {
				fprintf(f, "%.0f%s", x / m,
					t == OFD_CFG_DURATION ? dur[i].name : size[i].name);
				return;
			}
		}
	}
	if (x == floor(x) && fabs(x) < 9e18)
		fprintf(f, "%lld", (long long)x);
	else
		fprintf(f, "%g", x);
}

/* The bounds cell: MIN to MAX for numbers, durations and sizes; at most MAX items for a list. */
static void segdoc_bounds(const struct ofd_cfg_key *k, FILE *f)
{
	if (!(k->min < k->max))
		return;
	switch (k->type) {
	case OFD_CFG_INT:
	case OFD_CFG_UINT:
	case OFD_CFG_DOUBLE:
	case OFD_CFG_DURATION:
	case OFD_CFG_SIZE:
		segdoc_bound(k->type, k->min, f);
		fputs(" to ", f);
		segdoc_bound(k->type, k->max, f);
		break;
	case OFD_CFG_LIST:
		fputs("at most ", f);
		segdoc_bound(k->type, k->max, f);
		fputs(" items", f);
		break;
	default: break;
	}
}

/* One row of the config table per key: key, type, default, required, bounds, choices, help; the
   keys of a list's elements follow the list as LIST[].KEY. */
static void segdoc_key_rows(const struct ofd_cfg_key *k, const char *parent, int depth, FILE *f)
{
	char name[128];
	for (; k && k->key; k++) {
		const char *n = segdoc_key_name(parent, k->key, name, sizeof(name));
		fputs("| ", f);
		segdoc_code(n, f);
		fprintf(f, " | %s | ", segdoc_type_words(k->type));
		if (k->def)
			segdoc_code(k->def[0] ? k->def : "\"\"", f); /* an empty default is not none */
		fprintf(f, " | %s | ", k->required ? "yes" : "");
		segdoc_bounds(k, f);
		fputs(" | ", f);
		if (k->type == OFD_CFG_ENUM && k->choices)
			for (const char *const *c = k->choices; *c; c++) {
				fputs(c == k->choices ? "" : ", ", f);
				segdoc_code(*c, f);
			}
		fputs(" | ", f);
		segdoc_cell(k->help, f);
		fputs(" |\n", f);
		if (k->type == OFD_CFG_LIST && depth < SEGDOC_DEPTH_MAX)
			segdoc_key_rows(k->sub, n, depth + 1, f);
	}
}

/* A summary as a sentence: a capital first letter and a full stop. */
static void segdoc_sentence(const char *s, FILE *f)
{
	size_t n = strlen(s);
	if (!n)
		return;
	fputc(s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0], f);
	fputs(s + 1, f);
	if (s[n - 1] != '.')
		fputc('.', f);
	fputc('\n', f);
}

/* The aliases that stand for t, as "Also accepted as `a`, `b`." */
static void segdoc_aliases(const struct ofd_registry *r, const struct ofd_segment_type *t, FILE *f)
{
	const char *alias, *target;
	int n = 0;
	for (size_t i = 0; (alias = ofd_registry_alias_at(r, i, &target)) != NULL; i++) {
		if (strcmp(target, t->name))
			continue;
		fprintf(f, "%s`%s`", n++ ? ", " : "Also accepted as ", alias);
	}
	if (n)
		fputs(".\n", f);
}

/* The type's metric families: a table of the names as /metrics shows them, kind, labels, help. */
static void segdoc_metrics(const struct ofd_metric *m, FILE *f)
{
	fputs("\n| metric | type | labels | help |\n|---|---|---|---|\n", f);
	for (; m->name; m++) {
		fprintf(f, "| `overflowd_%s` | %s%s | ", m->name,
			m->kind == OFD_METRIC_GAUGE ? "gauge" : "counter",
			m->flags & OFD_METRIC_DETAIL ? " (not in the exit summary)" : "");
		int n = 0;
		if (!(m->flags & OFD_METRIC_GLOBAL))
			fprintf(f, "%s`segment`", n++ ? ", " : "");
		for (size_t i = 0; i < OFD_METRIC_LABELS_MAX && m->labels[i]; i++)
			fprintf(f, "%s`%s`", n++ ? ", " : "", m->labels[i]);
		fputs(" | ", f);
		segdoc_cell(m->help, f);
		fputs(" |\n", f);
	}
}

static void segdoc_type(const struct ofd_registry *r, const struct ofd_segment_type *t, const char *origin,
			FILE *f)
{
	fprintf(f, "\n##### `%s`\n\n", t->name);
	if (t->summary)
		segdoc_sentence(t->summary, f);
	segdoc_aliases(r, t, f);
	if (t->flags & OFD_SEGF_BLOCKING)
		fputs("Runs in its own thread, on a copy of the flows, behind a bounded queue.\n", f);
	if (t->flags & OFD_SEGF_PARALLEL)
		fputs("Stateless per flow: `jobs: N` may run N instances.\n", f);
	if (strcmp(origin, "built-in"))
		fprintf(f, "Custom segment from `%s`.\n", origin);
	if (t->config && t->config[0].key) {
		fputs("\n| key | type | default | required | bounds | choices | help |\n", f);
		fputs("|---|---|---|---|---|---|---|\n", f);
		segdoc_key_rows(t->config, NULL, 0, f);
	}
	if (t->counters && t->counters[0]) {
		fputs("\nCounters:", f);
		for (size_t i = 0; t->counters[i]; i++)
			fprintf(f, "%s `%s`", i ? "," : "", t->counters[i]);
		fputs(".\n", f);
	}
	if (t->metrics && t->metrics[0].name)
		segdoc_metrics(t->metrics, f);
}

/* skip: no segment type but a rewrite of the config into a branch; its keys as a segment's, after
   the built-in flow segments. Returns 1. */
static int segdoc_skip(FILE *f)
{
	fputs("\n##### `skip`\n\n", f);
	segdoc_sentence(SEGDOC_SKIP_SUMMARY, f);
	fputs("The config loader rewrites it into a `branch` whose `if` is a `flowfilter` on `condition` "
	      "(same line, same `jobs`) and whose other side holds the skipped segments: the exit "
	      "summary and /metrics show those.\n",
	      f);
	fputs("\n| key | type | default | required | bounds | choices | help |\n", f);
	fputs("|---|---|---|---|---|---|---|\n", f);
	segdoc_key_rows(ofd_cfg_skip_keys, NULL, 0, f);
	return 1;
}

int ofd_segdoc_markdown(const struct ofd_registry *r, FILE *f)
{
	fputs(
	    "<!-- generated by `overflowd --segments --markdown` from the segment descriptors: edit those,\n"
	    "     then run `make readme` -->\n\n"
	    "Every segment counts the flows in, out and dropped; the counters listed are its own, beside\n"
	    "those, and the metrics table names the families it adds to /metrics (see *Metrics*). A\n"
	    "*duration* is written 500ms, 10s, 5m, 1h or 2d (a bare number is seconds), a *size* 64k, 16M\n"
	    "or 1G (powers of 1024; a bare number is bytes), a *bool* true/false, yes/no, on/off or 1/0,\n"
	    "a *list of strings* as a YAML list or one string (a list of one).\n",
	    f);
	for (size_t kind = 0; kind < SEGDOC_NKINDS; kind++) {
		const char *origin;
		const struct ofd_segment_type *t;
		int heading = 0, skip = 0;
		for (size_t i = 0; (t = ofd_registry_at(r, i, &origin)) != NULL; i++) {
			if ((size_t)t->kind != kind)
				continue;
			if (!heading++)
				fprintf(f, "\n#### %s segments\n", segdoc_kind_titles[kind]);
			if (kind == OFD_SEG_FLOW && !skip &&
			    strcmp(origin, "built-in")) /* before custom ones */
				skip = segdoc_skip(f);
			segdoc_type(r, t, origin, f);
		}
		if (kind == OFD_SEG_FLOW && !skip)
			skip = segdoc_skip(f);
	}
	return ferror(f) ? -EIO : 0;
}
