/*
 * The template cache's insides, shared by template.c (the cache, its budgets and eviction) and
 * template_data.c (data and options data sets). Nothing outside these two files includes it.
 */
#ifndef OFD_TEMPLATE_INT_H
#define OFD_TEMPLATE_INT_H

#include "template.h"

struct ofd_tmpl;

struct ofd_tmpl_exporter {
	struct ofd_tmpl_exporter *hnext;
	struct ofd_tmpl_exporter *newer, *older; /* in its budget's list, by last message */
	struct ofd_tmpl *templates;		 /* its templates (sibling list) */
	struct ofd_tmpl_key k;
	size_t mem;	 /* bytes of the entry and its templates */
	uint32_t serial; /* hashes templates; unique for the cache's life */
	uint32_t ntemplates;
	uint8_t budget;	      /* enum ofd_tmpl_budget */
	uint8_t had_data;     /* data (or options data) was decoded with one of its templates */
	uint8_t next_sampler; /* the sampler slot to reuse when all are taken */
	uint8_t next_iface;   /* the interface slot to reuse when all are taken */
	struct ofd_tmpl_opts o;
};

struct ofd_tmpl {
	struct ofd_tmpl *hnext;
	struct ofd_tmpl *older, *newer;	      /* refresh order (expiry) */
	struct ofd_tmpl *sib_prev, *sib_next; /* the exporter's templates */
	struct ofd_tmpl_exporter *ex;
	uint64_t seen_ns;
	uint16_t id;
	uint8_t options;
	uint32_t cap;	/* steps allocated */
	uint8_t biflow; /* 1: RFC 5103 reverse elements, bi holds the second plan (ie_biflow.c) */
	struct ofd_ie_plan plan;
	struct ofd_ie_step *steps; /* plan's, then (biflow) bi.plan's */
	struct ofd_ie_biflow bi;
	/* the definition as received, kept for saving the cache (tmpl_state.h) */
	struct ofd_tmpl_field *fields;
	uint32_t nfields, nscope, fcap;
};

/* Exporters of one budget, most recently heard of first; [1]: those that had data. */
struct ofd_tmpl_pool {
	struct {
		struct ofd_tmpl_exporter *newest, *oldest;
	} list[2];
	uint32_t nexporters, ntemplates;
	uint32_t max_exporters, max_templates;
	size_t mem, max_mem;
};

struct ofd_tmpl_cache {
	const struct ofd_decode_limits *lim;
	struct ofd_tmpl **tb; /* template buckets */
	struct ofd_tmpl_exporter **eb;
	uint32_t tmask, emask;
	uint32_t ntemplates, nexporters, serial;
	uint32_t noptions; /* of ntemplates, options templates */
	size_t mem;
	struct ofd_tmpl *oldest, *newest;
	struct ofd_tmpl_pool pool[OFD_TMPL_BUDGET__COUNT];
	struct ofd_tmpl_field *fields; /* 2 * lim->max_fields: the fields, then compile scratch */
	struct ofd_ie_step *steps;     /* 2 * lim->max_fields, compile scratch: forward, reverse */
};

/* Template tid of m's exporter, NULL if none; one that has expired by m's time is removed
   (counted) and NULL returned. */
struct ofd_tmpl *ofd_tmpl_live(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid);

/* Data was decoded with one of e's templates: it is kept over exporters that had none. */
void ofd_tmpl_had_data(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e);

#endif
