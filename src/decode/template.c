/*
 * The template cache (see template.h): two chained hash tables, exporters by key and templates
 * by (exporter, id), and one list of all templates in refresh order whose head is the next to
 * expire. Allocations happen only when a template is new or grows; data sets allocate nothing.
 */
#include "template.h"

#include <stdlib.h>

struct ofd_tmpl_exporter {
	struct ofd_tmpl_exporter *hnext;
	struct ofd_tmpl_key k;
	uint32_t serial; /* hashes templates; unique for the cache's life */
	uint32_t ntemplates;
	uint8_t next_sampler; /* the sampler slot to reuse when all are taken */
	struct ofd_tmpl_opts o;
};

struct ofd_tmpl {
	struct ofd_tmpl *hnext;
	struct ofd_tmpl *older, *newer; /* refresh order */
	struct ofd_tmpl_exporter *ex;
	uint64_t seen_ns;
	uint16_t id;
	uint8_t options;
	uint32_t cap; /* steps allocated */
	struct ofd_ie_plan plan;
	struct ofd_ie_step *steps;
	/* the definition as received, kept for saving the cache (tmpl_state.h) */
	struct ofd_tmpl_field *fields;
	uint32_t nfields, nscope, fcap;
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
	struct ofd_tmpl_field *fields; /* lim->max_fields */
	struct ofd_ie_step *steps;     /* lim->max_fields, compile scratch */
};

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;
	while (p < n && p < (1u << 20))
		p <<= 1;
	return p;
}

int ofd_tmpl_cache_new(struct ofd_tmpl_cache **out, const struct ofd_decode_limits *lim)
{
	int err = -ENOMEM;
	struct ofd_tmpl_cache *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	tc->lim = lim;
	uint32_t tn = pow2_at_least(lim->max_templates_total), en = pow2_at_least(lim->max_exporters);
	uint32_t nf = lim->max_fields ? lim->max_fields : 1;
	tc->tmask = tn - 1;
	tc->emask = en - 1;
	tc->tb = calloc(tn, sizeof(*tc->tb));
	tc->eb = calloc(en, sizeof(*tc->eb));
	tc->fields = calloc(nf, sizeof(*tc->fields));
	tc->steps = calloc(nf, sizeof(*tc->steps));
	if (!tc->tb || !tc->eb || !tc->fields || !tc->steps)
		goto free_cache;
	*out = tc;
	return 0;
free_cache:
	ofd_tmpl_cache_free(tc);
	return err;
}

void ofd_tmpl_cache_free(struct ofd_tmpl_cache *tc)
{
	if (!tc)
		return;
	for (struct ofd_tmpl *t = tc->oldest, *next; t; t = next) {
		next = t->newer;
		free(t->steps);
		free(t->fields);
		free(t);
	}
	for (uint32_t i = 0; tc->eb && i <= tc->emask; i++)
		for (struct ofd_tmpl_exporter *e = tc->eb[i], *next; e; e = next) {
			next = e->hnext;
			free(e);
		}
	free(tc->tb);
	free(tc->eb);
	free(tc->fields);
	free(tc->steps);
	free(tc);
}

struct ofd_tmpl_field *ofd_tmpl_fields(struct ofd_tmpl_cache *tc)
{
	return tc->fields;
}

uint32_t ofd_tmpl_cache_templates(const struct ofd_tmpl_cache *tc)
{
	return tc->ntemplates;
}

uint32_t ofd_tmpl_cache_options_templates(const struct ofd_tmpl_cache *tc)
{
	return tc->noptions;
}

uint32_t ofd_tmpl_cache_exporters(const struct ofd_tmpl_cache *tc)
{
	return tc->nexporters;
}

size_t ofd_tmpl_cache_mem(const struct ofd_tmpl_cache *tc)
{
	return tc->mem;
}

/* ---- exporters ---- */

static uint32_t ex_hash(const struct ofd_ip *a, uint16_t port, uint8_t version, uint32_t domain)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 0x100000001b3ull;
	h = (h ^ ((uint64_t)port << 40 | (uint64_t)version << 32 | domain)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

static struct ofd_tmpl_exporter **ex_slot(struct ofd_tmpl_cache *tc, const struct ofd_tmpl_msg *m)
{
	const struct ofd_dgram *dg = m->dg;
	uint32_t h = ex_hash(&dg->src, dg->src_port, m->version, m->domain) & tc->emask;
	struct ofd_tmpl_exporter **pp = &tc->eb[h];
	for (; *pp; pp = &(*pp)->hnext) {
		const struct ofd_tmpl_key *k = &(*pp)->k;
		if (k->domain == m->domain && k->port == dg->src_port && k->version == m->version &&
		    k->addr.family == dg->src.family && memcmp(k->addr.b, dg->src.b, 16) == 0)
			break;
	}
	return pp;
}

static void ex_unlink(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e)
{
	uint32_t h = ex_hash(&e->k.addr, e->k.port, e->k.version, e->k.domain) & tc->emask;
	for (struct ofd_tmpl_exporter **pp = &tc->eb[h]; *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	tc->nexporters--;
	tc->mem -= sizeof(*e);
	free(e);
}

void ofd_tmpl_msg_begin(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_dgram *dg,
			uint8_t version, uint32_t domain, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->dg = dg;
	m->version = version;
	m->type = version == 9 ? OFD_FT_NETFLOW_V9 : OFD_FT_IPFIX;
	m->domain = domain;
	m->seq = seq;
	m->ctx.v9 = version == 9;
	m->ex = *ex_slot(d->tc, m);
	m->ctx.has_sys_init = m->ex ? m->ex->o.has_sys_init : 0;
	m->ctx.sys_init_ms = m->ex ? m->ex->o.sys_init_ms : 0;
}

/* ---- templates ---- */

static uint32_t t_hash(const struct ofd_tmpl_cache *tc, const struct ofd_tmpl_exporter *e, uint16_t id)
{
	uint64_t h = ((uint64_t)e->serial << 16 | id) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 40) & tc->tmask;
}

static struct ofd_tmpl **t_slot(struct ofd_tmpl_cache *tc, const struct ofd_tmpl_exporter *e, uint16_t id)
{
	struct ofd_tmpl **pp = &tc->tb[t_hash(tc, e, id)];
	while (*pp && ((*pp)->ex != e || (*pp)->id != id))
		pp = &(*pp)->hnext;
	return pp;
}

static void age_unlink(struct ofd_tmpl_cache *tc, struct ofd_tmpl *t)
{
	if (t->older)
		t->older->newer = t->newer;
	else
		tc->oldest = t->newer;
	if (t->newer)
		t->newer->older = t->older;
	else
		tc->newest = t->older;
	t->older = t->newer = NULL;
}

static void age_push(struct ofd_tmpl_cache *tc, struct ofd_tmpl *t)
{
	t->older = tc->newest;
	t->newer = NULL;
	if (tc->newest)
		tc->newest->newer = t;
	else
		tc->oldest = t;
	tc->newest = t;
}

/* Remove a template; frees its exporter when it was the last one (and clears m->ex then). */
static void t_remove(struct ofd_tmpl_cache *tc, struct ofd_tmpl_msg *m, struct ofd_tmpl *t)
{
	struct ofd_tmpl **pp = t_slot(tc, t->ex, t->id);
	if (*pp == t)
		*pp = t->hnext;
	age_unlink(tc, t);
	struct ofd_tmpl_exporter *e = t->ex;
	tc->ntemplates--;
	tc->noptions -= t->options;
	tc->mem -= sizeof(*t) + t->cap * sizeof(*t->steps) + t->fcap * sizeof(*t->fields);
	free(t->steps);
	free(t->fields);
	free(t);
	if (--e->ntemplates == 0) {
		if (m && m->ex == e)
			m->ex = NULL;
		ex_unlink(tc, e);
	}
}

static int t_expired(const struct ofd_decoder *d, const struct ofd_tmpl *t, uint64_t now_ns)
{
	uint64_t to = d->lim.template_timeout_s;
	return to && now_ns > t->seen_ns && now_ns - t->seen_ns > to * 1000000000ull;
}

/* Expire templates from the old end of the refresh list. */
static void t_expire(struct ofd_decoder *d, struct ofd_tmpl_msg *m)
{
	struct ofd_tmpl_cache *tc = d->tc;
	while (tc->oldest && t_expired(d, tc->oldest, m->dg->time_ns)) {
		t_remove(tc, m, tc->oldest);
		d->st.templates_expired++;
	}
}

static int refuse(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const char *what)
{
	return ofd_decode_drop(d, m->dg, OFD_DROP_TEMPLATE_LIMIT, OFD_ELIMIT, what);
}

static struct ofd_tmpl_exporter *ex_get(struct ofd_decoder *d, struct ofd_tmpl_msg *m)
{
	struct ofd_tmpl_cache *tc = d->tc;
	if (m->ex)
		return m->ex;
	if (tc->nexporters >= d->lim.max_exporters || tc->mem + sizeof(*m->ex) > OFD_TMPL_MEM_MAX) {
		refuse(d, m, "too many exporters keep templates");
		return NULL;
	}
	struct ofd_tmpl_exporter *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->k.addr = m->dg->src;
	e->k.port = m->dg->src_port;
	e->k.version = m->version;
	e->k.domain = m->domain;
	e->serial = ++tc->serial;
	struct ofd_tmpl_exporter **pp = ex_slot(tc, m);
	*pp = e;
	tc->nexporters++;
	tc->mem += sizeof(*e);
	m->ex = e;
	m->ctx.has_sys_init = 0;
	return e;
}

/* Store the n scratch fields and their compiled plan into t (growing its arrays if needed). */
static int t_store(struct ofd_tmpl_cache *tc, struct ofd_tmpl *t, const struct ofd_ie_plan *plan, uint32_t n,
		   uint32_t nscope)
{
	uint32_t nf = n ? n : 1, need = plan->nsteps ? plan->nsteps : 1; /* arrays are never NULL */
	/* both allocations first: on failure t stays as it was, consistent */
	struct ofd_tmpl_field *f = nf > t->fcap ? malloc(nf * sizeof(*f)) : NULL;
	struct ofd_ie_step *s = need > t->cap ? malloc(need * sizeof(*s)) : NULL;
	if ((nf > t->fcap && !f) || (need > t->cap && !s)) {
		free(f);
		free(s);
		return -ENOMEM;
	}
	if (f) {
		free(t->fields);
		tc->mem += (nf - t->fcap) * sizeof(*f);
		t->fields = f;
		t->fcap = nf;
	}
	if (s) {
		free(t->steps);
		tc->mem += (need - t->cap) * sizeof(*s);
		t->steps = s;
		t->cap = need;
	}
	t->plan = *plan;
	if (plan->nsteps)
		memcpy(t->steps, tc->steps, plan->nsteps * sizeof(*t->steps));
	memcpy(t->fields, tc->fields, n * sizeof(*t->fields));
	t->nfields = n;
	t->nscope = nscope;
	return 0;
}

static int t_new(struct ofd_decoder *d, struct ofd_tmpl_msg *m, struct ofd_tmpl **out)
{
	struct ofd_tmpl_cache *tc = d->tc;
	if (tc->ntemplates >= d->lim.max_templates_total)
		return refuse(d, m, "template cache full");
	if (m->ex && m->ex->ntemplates >= d->lim.max_templates_per_exporter)
		return refuse(d, m, "too many templates from one exporter");
	if (tc->mem + sizeof(struct ofd_tmpl) +
		d->lim.max_fields * (sizeof(struct ofd_ie_step) + sizeof(struct ofd_tmpl_field)) >
	    OFD_TMPL_MEM_MAX)
		return refuse(d, m, "template memory exhausted");
	struct ofd_tmpl_exporter *e = ex_get(d, m);
	if (!e)
		return OFD_ELIMIT;
	struct ofd_tmpl *t = calloc(1, sizeof(*t));
	if (!t) {
		if (e->ntemplates == 0) {
			m->ex = NULL;
			ex_unlink(tc, e);
		}
		return -ENOMEM;
	}
	t->ex = e;
	e->ntemplates++;
	tc->ntemplates++;
	tc->mem += sizeof(*t);
	age_push(tc, t);
	*out = t;
	return 0;
}

/* ofd_tmpl_define(), and ofd_tmpl_restore() with `loaded` set. */
static int define(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, int options, uint32_t n,
		  uint32_t nscope, int loaded)
{
	struct ofd_tmpl_cache *tc = d->tc;
	struct ofd_ie_plan plan;
	if (n > d->lim.max_fields)
		return refuse(d, m, "template has too many fields");
	if (ofd_ie_compile(tc->fields, n, nscope, m->version == 9, &plan, tc->steps))
		return ofd_decode_drop(d, m->dg, OFD_DROP_BAD_TEMPLATE, OFD_EFORMAT,
				       "template records empty or longer than a message");
	t_expire(d, m);
	struct ofd_tmpl *t = m->ex ? *t_slot(tc, m->ex, tid) : NULL;
	int created = 0, err;
	if (!t) {
		err = t_new(d, m, &t);
		if (err)
			return err;
		t->id = tid;
		struct ofd_tmpl **pp = t_slot(tc, m->ex, tid);
		*pp = t;
		created = 1;
	} else {
		age_unlink(tc, t);
		age_push(tc, t);
	}
	err = t_store(tc, t, &plan, n, nscope);
	if (err) {
		if (created)
			t_remove(tc, m, t);
		return err;
	}
	tc->noptions -= t->options; /* a redefinition may change the kind */
	t->options = (uint8_t)(options != 0);
	tc->noptions += t->options;
	t->seen_ns = m->dg->time_ns;
	if (loaded)
		d->st.templates_loaded++;
	else if (options)
		d->st.options_templates++;
	else
		d->st.templates++;
	return 0;
}

int ofd_tmpl_define(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, int options, uint32_t n,
		    uint32_t nscope)
{
	return define(d, m, tid, options, n, nscope, 0);
}

/*
 * A message from exporter k at time_ns, for restoring saved state through the same paths as
 * received templates take. dg has no data: only the address, port and time are read.
 */
static void restore_msg(struct ofd_decoder *d, struct ofd_tmpl_msg *m, struct ofd_dgram *dg,
			const struct ofd_tmpl_key *k, uint64_t time_ns)
{
	*dg = (struct ofd_dgram){
	    .data = NULL, .len = 0, .src = k->addr, .src_port = k->port, .time_ns = time_ns};
	ofd_tmpl_msg_begin(d, m, dg, k->version, k->domain, 0);
}

int ofd_tmpl_restore(struct ofd_decoder *d, const struct ofd_tmpl_key *k, uint16_t tid, int options,
		     uint32_t n, uint32_t nscope, uint64_t seen_ns)
{
	struct ofd_dgram dg;
	struct ofd_tmpl_msg m;
	restore_msg(d, &m, &dg, k, seen_ns);
	if (m.ex && *t_slot(d->tc, m.ex, tid))
		return 1;
	return define(d, &m, tid, options, n, nscope, 1);
}

int ofd_tmpl_restore_opts(struct ofd_decoder *d, const struct ofd_tmpl_key *k, const struct ofd_tmpl_opts *o)
{
	struct ofd_dgram dg;
	struct ofd_tmpl_msg m;
	restore_msg(d, &m, &dg, k, 0);
	if (!m.ex)
		return OFD_ENOTFOUND;
	struct ofd_tmpl_opts restored = *o;
	restored.opts_ns = 0; /* older than anything the exporter says from now on */
	ofd_tmpl_opts_merge(&m.ex->o, &restored);
	return 0;
}

int ofd_tmpl_cache_each(const struct ofd_tmpl_cache *tc, int (*fn)(const struct ofd_tmpl_view *v, void *ctx),
			void *ctx)
{
	for (const struct ofd_tmpl *t = tc->oldest; t; t = t->newer) {
		const struct ofd_tmpl_view v = {.key = &t->ex->k,
						.fields = t->fields,
						.seen_ns = t->seen_ns,
						.nfields = t->nfields,
						.nscope = t->nscope,
						.id = t->id,
						.options = t->options};
		int rc = fn(&v, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int ofd_tmpl_cache_each_exporter(const struct ofd_tmpl_cache *tc,
				 int (*fn)(const struct ofd_tmpl_key *k, const struct ofd_tmpl_opts *o,
					   void *ctx),
				 void *ctx)
{
	for (uint32_t i = 0; i <= tc->emask; i++)
		for (const struct ofd_tmpl_exporter *e = tc->eb[i]; e; e = e->hnext) {
			int rc = fn(&e->k, &e->o, ctx);
			if (rc)
				return rc;
		}
	return 0;
}

void ofd_tmpl_withdraw(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid)
{
	struct ofd_tmpl_cache *tc = d->tc;
	d->st.template_withdrawals++;
	if (!m->ex)
		return;
	if (tid >= 256) {
		struct ofd_tmpl *t = *t_slot(tc, m->ex, tid);
		if (t)
			t_remove(tc, m, t);
		return;
	}
	/* withdraw all (options) templates: walk the exporter's ids through the age list */
	struct ofd_tmpl_exporter *e = m->ex;
	for (struct ofd_tmpl *t = tc->oldest, *next; t && m->ex == e; t = next) {
		next = t->newer;
		if (t->ex == e && t->options == (tid == 3))
			t_remove(tc, m, t);
	}
}

void ofd_tmpl_opts_merge(struct ofd_tmpl_opts *into, const struct ofd_tmpl_opts *o)
{
	struct ofd_tmpl_opts older = *o;
	if (o->opts_ns > into->opts_ns) {
		older = *into;
		*into = *o;
	}
	if (into->nsamplers > OFD_TMPL_SAMPLERS)
		into->nsamplers = OFD_TMPL_SAMPLERS;
	if (!into->rate)
		into->rate = older.rate;
	if (!into->has_sys_init && older.has_sys_init) {
		into->has_sys_init = 1;
		into->sys_init_ms = older.sys_init_ms;
	}
	for (unsigned i = 0;
	     i < older.nsamplers && i < OFD_TMPL_SAMPLERS && into->nsamplers < OFD_TMPL_SAMPLERS; i++) {
		unsigned j = 0;
		while (j < into->nsamplers && into->samplers[j].id != older.samplers[i].id)
			j++;
		if (j == into->nsamplers) {
			into->samplers[j].id = older.samplers[i].id;
			into->samplers[j].rate = older.samplers[i].rate;
			into->nsamplers++;
		}
	}
}

/* Options data: learn sampling rates and the system init time. */
static int options_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_tmpl *t,
			const uint8_t *p, size_t len)
{
	struct ofd_tmpl_opts *e = &m->ex->o;
	struct ofd_flow scratch = {0};
	for (;;) {
		size_t rl = t->plan.varlen ? ofd_ie_var_len(&t->plan, t->steps, p, len) : t->plan.min_len;
		if (rl == 0 || rl > len)
			break;
		struct ofd_ie_aux a = {0};
		ofd_ie_apply(&t->plan, t->steps, p, &scratch, &a, &m->ctx);
		d->st.options_records++;
		uint32_t rate = ofd_ie_rate(&a);
		if (rate || (a.have & OFD_IEA_SYS_INIT))
			e->opts_ns = m->dg->time_ns;
		if (rate) {
			e->rate = rate;
			if (a.have & OFD_IEA_SAMPLER_ID) {
				unsigned i = 0;
				while (i < e->nsamplers && e->samplers[i].id != a.sampler_id)
					i++;
				if (i == e->nsamplers) {
					if (e->nsamplers < OFD_TMPL_SAMPLERS)
						e->nsamplers++;
					else
						i = m->ex->next_sampler++ % OFD_TMPL_SAMPLERS;
				}
				e->samplers[i].id = a.sampler_id;
				e->samplers[i].rate = rate;
			}
		}
		if (a.have & OFD_IEA_SYS_INIT) {
			e->has_sys_init = m->ctx.has_sys_init = 1;
			e->sys_init_ms = m->ctx.sys_init_ms = a.sys_init_ms;
		}
		p += rl;
		len -= rl;
	}
	return 0;
}

/* Sampling rate of a data record with its own sampling elements. */
static uint32_t record_rate(const struct ofd_tmpl_opts *e, const struct ofd_ie_aux *a)
{
	uint32_t r = ofd_ie_rate(a);
	if (r)
		return r;
	if (a->have & OFD_IEA_SAMPLER_ID)
		for (unsigned i = 0; i < e->nsamplers; i++)
			if (e->samplers[i].id == a->sampler_id)
				return e->samplers[i].rate;
	return e->rate;
}

#define MSG_PRESENT                                                                                          \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SEQUENCE_NUM) |                     \
	 OFD_W0(OFD_F_SAMPLER_ADDRESS) | OFD_W0(OFD_F_OBSERVATION_DOMAIN_ID))

int ofd_tmpl_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, const uint8_t *p, size_t len,
		  struct ofd_batch *b)
{
	struct ofd_tmpl *t = m->ex ? *t_slot(d->tc, m->ex, tid) : NULL;
	if (t && t_expired(d, t, m->dg->time_ns)) {
		t_remove(d->tc, m, t);
		d->st.templates_expired++;
		t = NULL;
	}
	if (!t) {
		ofd_decode_drop(d, m->dg, OFD_DROP_UNKNOWN_TEMPLATE, OFD_ENOTFOUND,
				"data set without template");
		return 0;
	}
	if (t->options)
		return options_data(d, m, t, p, len);
	const struct ofd_ie_plan *plan = &t->plan;
	const struct ofd_dgram *dg = m->dg;
	uint32_t rate = m->ex->o.rate;
	struct ofd_fieldset present = plan->present; /* every record of the set has these */
	present.w[0] |= MSG_PRESENT | (rate ? OFD_W0(OFD_F_SAMPLING_RATE) : 0);
	int n = 0;
	for (;;) {
		size_t rl = plan->varlen ? ofd_ie_var_len(plan, t->steps, p, len) : plan->min_len;
		if (rl == 0 || rl > len)
			break; /* the rest is padding */
		struct ofd_flow *f = ofd_batch_add(b);
		f->present = present;
		f->type = m->type;
		f->time_received_ns = dg->time_ns;
		f->sequence_num = m->seq;
		f->sampling_rate = rate;
		f->sampler_address = dg->src;
		f->observation_domain_id = m->domain;
		struct ofd_ie_aux a;
		a.have = 0;
		ofd_ie_apply(plan, t->steps, p, f, &a, &m->ctx);
		if (plan->sampling) {
			f->sampling_rate = record_rate(&m->ex->o, &a);
			if (f->sampling_rate)
				f->present.w[0] |= OFD_W0(OFD_F_SAMPLING_RATE);
		}
		ofd_ie_post(f, &a, &m->ctx);
		p += rl;
		len -= rl;
		n++;
	}
	return n;
}

int ofd_tmpl_padding(const struct ofd_rd *r)
{
	for (const uint8_t *p = r->p; p < r->end; p++)
		if (*p)
			return 0;
	return 1;
}

int ofd_tmpl_bad(struct ofd_decoder *d, const struct ofd_tmpl_msg *m, const char *what)
{
	return ofd_decode_drop(d, m->dg, OFD_DROP_BAD_TEMPLATE, OFD_EFORMAT, what);
}
