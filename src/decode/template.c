/*
 * The template cache (see template.h): two chained hash tables, exporters by key and templates
 * by (exporter, id); one list of all templates in refresh order, whose head is the next to
 * expire; each exporter's list of its templates; and per budget two lists of its exporters by
 * their last message, those that never had data and those that did, whose old ends are the
 * eviction candidates. Allocations happen only when a template is new or grows.
 */
#include "template_int.h"

#include <stdlib.h>

#define UNLISTED_BYTES_PER_TEMPLATE 4096 /* the unlisted budget's bytes, per template it may hold */

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 16;
	while (p < n && p < (1u << 20))
		p <<= 1;
	return p;
}

static void pool_init(struct ofd_tmpl_pool *p, uint32_t exporters, uint32_t templates, size_t mem)
{
	p->max_exporters = exporters;
	p->max_templates = templates;
	p->max_mem = mem;
}

int ofd_tmpl_cache_new(struct ofd_tmpl_cache **out, const struct ofd_decode_limits *lim)
{
	int err = -ENOMEM;
	struct ofd_tmpl_cache *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	tc->lim = lim;
	uint32_t tn = pow2_at_least((uint64_t)lim->max_templates_total + lim->unlisted_templates);
	uint32_t en = pow2_at_least((uint64_t)lim->max_exporters + lim->unlisted_exporters);
	uint32_t nf = lim->max_fields ? lim->max_fields : 1;
	tc->tmask = tn - 1;
	tc->emask = en - 1;
	pool_init(&tc->pool[OFD_TMPL_BUDGET_MAIN], lim->max_exporters, lim->max_templates_total,
		  OFD_TMPL_MEM_MAX);
	pool_init(&tc->pool[OFD_TMPL_BUDGET_UNLISTED], lim->unlisted_exporters, lim->unlisted_templates,
		  (size_t)lim->unlisted_templates * UNLISTED_BYTES_PER_TEMPLATE);
	tc->tb = calloc(tn, sizeof(*tc->tb));
	tc->eb = calloc(en, sizeof(*tc->eb));
	tc->fields = calloc(2 * (size_t)nf, sizeof(*tc->fields)); /* the second half: biflow scratch */
	tc->steps = calloc(2 * (size_t)nf, sizeof(*tc->steps));	  /* forward, reverse */
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

uint32_t ofd_tmpl_cache_budget_exporters(const struct ofd_tmpl_cache *tc, enum ofd_tmpl_budget b)
{
	return tc->pool[b].nexporters;
}

uint32_t ofd_tmpl_cache_budget_templates(const struct ofd_tmpl_cache *tc, enum ofd_tmpl_budget b)
{
	return tc->pool[b].ntemplates;
}

/* ---- memory, exporters and their lists ---- */

static void mem_add(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e, size_t n)
{
	tc->mem += n;
	tc->pool[e->budget].mem += n;
	e->mem += n;
}

static void mem_sub(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e, size_t n)
{
	tc->mem -= n;
	tc->pool[e->budget].mem -= n;
	e->mem -= n;
}

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

/* Take e out of its budget's list (newest first). */
static void ex_list_unlink(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e)
{
	struct ofd_tmpl_pool *p = &tc->pool[e->budget];
	if (e->newer)
		e->newer->older = e->older;
	else
		p->list[e->had_data].newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		p->list[e->had_data].oldest = e->newer;
	e->newer = e->older = NULL;
}

static void ex_list_push(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e)
{
	struct ofd_tmpl_pool *p = &tc->pool[e->budget];
	e->newer = NULL;
	e->older = p->list[e->had_data].newest;
	if (e->older)
		e->older->newer = e;
	else
		p->list[e->had_data].oldest = e;
	p->list[e->had_data].newest = e;
}

void ofd_tmpl_had_data(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e)
{
	ex_list_unlink(tc, e);
	e->had_data = 1;
	ex_list_push(tc, e);
}

/* Free exporter e (it has no template left). */
static void ex_unlink(struct ofd_tmpl_cache *tc, struct ofd_tmpl_exporter *e)
{
	uint32_t h = ex_hash(&e->k.addr, e->k.port, e->k.version, e->k.domain) & tc->emask;
	for (struct ofd_tmpl_exporter **pp = &tc->eb[h]; *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	ex_list_unlink(tc, e);
	tc->nexporters--;
	tc->pool[e->budget].nexporters--;
	mem_sub(tc, e, sizeof(*e));
	free(e);
}

/* A new exporter entry for m's exporter, in m's budget; becomes m->ex. NULL: out of memory. */
static struct ofd_tmpl_exporter *ex_new(struct ofd_tmpl_cache *tc, struct ofd_tmpl_msg *m)
{
	struct ofd_tmpl_exporter *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->k.addr = m->dg->src;
	e->k.port = m->dg->src_port;
	e->k.version = m->version;
	e->k.domain = m->domain;
	e->serial = ++tc->serial;
	e->budget = m->budget;
	*ex_slot(tc, m) = e;
	tc->nexporters++;
	tc->pool[e->budget].nexporters++;
	mem_add(tc, e, sizeof(*e));
	ex_list_push(tc, e);
	m->ex = e;
	m->ctx.has_sys_init = 0;
	return e;
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
	m->budget = d->budget;
	m->ctx.v9 = version == 9;
	struct ofd_tmpl_exporter *e = m->ex = *ex_slot(d->tc, m);
	if (e && d->tc->pool[e->budget].list[e->had_data].newest != e) {
		ex_list_unlink(d->tc, e); /* heard of now: the newest of its list */
		ex_list_push(d->tc, e);
	}
	m->ctx.has_sys_init = e ? e->o.has_sys_init : 0;
	m->ctx.sys_init_ms = e ? e->o.sys_init_ms : 0;
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

/* The bytes template t holds. */
static size_t t_bytes(const struct ofd_tmpl *t)
{
	return sizeof(*t) + t->cap * sizeof(*t->steps) + t->fcap * sizeof(*t->fields);
}

/* Remove a template; frees its exporter when it was the last one (and clears m->ex then). */
static void t_remove(struct ofd_tmpl_cache *tc, struct ofd_tmpl_msg *m, struct ofd_tmpl *t)
{
	struct ofd_tmpl **pp = t_slot(tc, t->ex, t->id);
	if (*pp == t)
		*pp = t->hnext;
	age_unlink(tc, t);
	struct ofd_tmpl_exporter *e = t->ex;
	if (t->sib_prev)
		t->sib_prev->sib_next = t->sib_next;
	else
		e->templates = t->sib_next;
	if (t->sib_next)
		t->sib_next->sib_prev = t->sib_prev;
	tc->ntemplates--;
	tc->pool[e->budget].ntemplates--;
	tc->noptions -= t->options;
	mem_sub(tc, e, t_bytes(t));
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

struct ofd_tmpl *ofd_tmpl_live(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid)
{
	struct ofd_tmpl *t = m->ex ? *t_slot(d->tc, m->ex, tid) : NULL;
	if (t && t_expired(d, t, m->dg->time_ns)) {
		t_remove(d->tc, m, t);
		d->st.templates_expired++;
		t = NULL;
	}
	return t;
}

/* ---- budgets: refusal and eviction ---- */

/* The budget m's exporter's templates go to. */
static enum ofd_tmpl_budget budget_of(const struct ofd_tmpl_msg *m)
{
	return (enum ofd_tmpl_budget)(m->ex ? m->ex->budget : m->budget);
}

static int refuse(struct ofd_decoder *d, struct ofd_tmpl_msg *m, enum ofd_tmpl_refuse why, const char *what)
{
	d->st.template_refusals[budget_of(m)][why]++;
	return ofd_decode_drop(d, m->dg, OFD_DROP_TEMPLATE_LIMIT, OFD_ELIMIT, what);
}

/* Evict exporter e with its templates (counted; e is freed). */
static void ex_evict(struct ofd_decoder *d, struct ofd_tmpl_msg *m, struct ofd_tmpl_exporter *e)
{
	d->st.template_evictions[e->budget][e->had_data ? OFD_TMPL_EVICT_IDLE : OFD_TMPL_EVICT_NO_DATA]++;
	if (e->had_data) {
		char addr[OFD_IP_STRLEN];
		ofd_ip_str(&e->k.addr, addr);
		ofd_log_rl(&d->rl, OFD_LOG_WARN,
			   "exporter %s:%u: its %u templates evicted for a newcomer's (%s budget full)", addr,
			   e->k.port, e->ntemplates, ofd_tmpl_budget_name((enum ofd_tmpl_budget)e->budget));
	}
	for (uint32_t n = e->ntemplates; n; n--)
		t_remove(d->tc, m, e->templates); /* the last one frees e */
}

/*
 * Room in m's budget for `bytes` more of m's exporter (`newt`: for a new template; no m->ex:
 * of a new exporter, whose entry `bytes` includes): evict the exporter heard of least recently
 * among those that never had data, else among those that did, never m's own, until it fits.
 * What could not fit with every other exporter gone is refused at once, evicting nothing.
 */
static int make_room(struct ofd_decoder *d, struct ofd_tmpl_msg *m, size_t bytes, int newt)
{
	struct ofd_tmpl_pool *p = &d->tc->pool[budget_of(m)];
	const struct ofd_tmpl_exporter *self = m->ex;
	if ((!self && p->max_exporters == 0) ||
	    (self ? self->ntemplates : 0) + (uint32_t)(newt != 0) > p->max_templates ||
	    (self ? self->mem : 0) + bytes > p->max_mem)
		return refuse(d, m, OFD_TMPL_REFUSE_BUDGET, "template budget too small for this exporter");
	for (;;) {
		if ((self || p->nexporters < p->max_exporters) &&
		    (!newt || p->ntemplates < p->max_templates) && p->mem + bytes <= p->max_mem)
			return 0;
		struct ofd_tmpl_exporter *v = NULL;
		for (int l = 0; l < 2 && !v; l++) {
			v = p->list[l].oldest;
			if (v && v == self)
				v = v->newer;
		}
		if (!v) /* not reached: self alone fits */
			return refuse(d, m, OFD_TMPL_REFUSE_BUDGET, "template budget full");
		ex_evict(d, m, v);
	}
}

/* The exporter's own bounds, then room in its budget, for template t (NULL: a new one) growing
   by `bytes`. 0 or OFD_ELIMIT (refused, counted). */
static int admit(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_tmpl *t, size_t bytes)
{
	const struct ofd_decode_limits *lim = &d->lim;
	const struct ofd_tmpl_exporter *e = m->ex;
	if (!e)
		bytes += sizeof(struct ofd_tmpl_exporter);
	if (!t && (e ? e->ntemplates : 0) >= lim->max_templates_per_exporter)
		return refuse(d, m, OFD_TMPL_REFUSE_EXPORTER_TEMPLATES,
			      "too many templates from one exporter");
	if (lim->max_bytes_per_exporter && (e ? e->mem : 0) + bytes > lim->max_bytes_per_exporter)
		return refuse(d, m, OFD_TMPL_REFUSE_EXPORTER_BYTES,
			      "one exporter's templates take too many bytes");
	if (t && !bytes)
		return 0;
	return make_room(d, m, bytes, !t);
}

/* A new template tid of m's exporter (and the exporter's entry if new), linked everywhere, with
   no definition yet. NULL: out of memory (nothing changed). */
static struct ofd_tmpl *t_new(struct ofd_tmpl_cache *tc, struct ofd_tmpl_msg *m, uint16_t tid)
{
	int fresh = !m->ex;
	if (fresh && !ex_new(tc, m))
		return NULL;
	struct ofd_tmpl_exporter *e = m->ex;
	struct ofd_tmpl *t = calloc(1, sizeof(*t));
	if (!t) {
		if (fresh) {
			m->ex = NULL;
			ex_unlink(tc, e);
		}
		return NULL;
	}
	t->ex = e;
	t->id = tid;
	t->sib_next = e->templates;
	if (e->templates)
		e->templates->sib_prev = t;
	e->templates = t;
	e->ntemplates++;
	tc->ntemplates++;
	tc->pool[e->budget].ntemplates++;
	mem_add(tc, e, sizeof(*t));
	age_push(tc, t);
	*t_slot(tc, e, tid) = t;
	return t;
}

/* Bytes a definition of n fields and nsteps steps needs beyond what t holds (NULL: all). */
static size_t t_growth(const struct ofd_tmpl *t, uint32_t n, uint32_t nsteps)
{
	uint32_t nf = n ? n : 1, ns = nsteps ? nsteps : 1; /* arrays are never NULL */
	size_t g = t ? 0 : sizeof(struct ofd_tmpl);
	uint32_t fcap = t ? t->fcap : 0, cap = t ? t->cap : 0;
	if (nf > fcap)
		g += (nf - fcap) * sizeof(struct ofd_tmpl_field);
	if (ns > cap)
		g += (ns - cap) * sizeof(struct ofd_ie_step);
	return g;
}

/* Store the n scratch fields and their compiled plan into t (growing its arrays if needed). */
static int t_store(struct ofd_tmpl_cache *tc, struct ofd_tmpl *t, const struct ofd_ie_plan *plan,
		   const struct ofd_ie_biflow *bi, uint32_t n, uint32_t nscope)
{
	uint32_t all = plan->nsteps + (bi ? bi->plan.nsteps : 0);
	uint32_t nf = n ? n : 1, need = all ? all : 1; /* arrays are never NULL */
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
		mem_add(tc, t->ex, (nf - t->fcap) * sizeof(*f));
		t->fields = f;
		t->fcap = nf;
	}
	if (s) {
		free(t->steps);
		mem_add(tc, t->ex, (need - t->cap) * sizeof(*s));
		t->steps = s;
		t->cap = need;
	}
	t->plan = *plan;
	t->biflow = bi != NULL;
	if (bi)
		t->bi = *bi;
	if (all) /* the reverse steps were compiled right after the forward ones */
		memcpy(t->steps, tc->steps, all * sizeof(*t->steps));
	memcpy(t->fields, tc->fields, n * sizeof(*t->fields));
	t->nfields = n;
	t->nscope = nscope;
	return 0;
}

/*
 * ofd_tmpl_define(), and ofd_tmpl_restore() with `loaded` set. A redefinition that is refused
 * removes the template: its old layout is no longer the exporter's.
 */
static int define(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, int options, uint32_t n,
		  uint32_t nscope, int loaded)
{
	struct ofd_tmpl_cache *tc = d->tc;
	struct ofd_ie_plan plan;
	t_expire(d, m);
	struct ofd_tmpl *t = m->ex ? *t_slot(tc, m->ex, tid) : NULL;
	int err;
	if (n > d->lim.max_fields) {
		err = refuse(d, m, OFD_TMPL_REFUSE_FIELDS, "template has too many fields");
		if (t)
			t_remove(tc, m, t);
		return err;
	}
	if (ofd_ie_compile(tc->fields, n, nscope, m->version == 9, &plan, tc->steps))
		return ofd_decode_drop(d, m->dg, OFD_DROP_BAD_TEMPLATE, OFD_EFORMAT,
				       "template records empty or longer than a message");
	ofd_ie_specialise(&plan, tc->steps);
	struct ofd_ie_biflow bi;
	int biflow = m->version == 10 && !options &&
		     ofd_ie_biflow_compile(tc->fields, n, &bi, tc->steps + plan.nsteps, tc->fields + n) == 1;
	err = admit(d, m, t, t_growth(t, n, plan.nsteps + (biflow ? bi.plan.nsteps : 0)));
	if (err) {
		if (t)
			t_remove(tc, m, t);
		return err;
	}
	int created = !t;
	if (created && !(t = t_new(tc, m, tid)))
		return -ENOMEM;
	if (!created) {
		age_unlink(tc, t);
		age_push(tc, t);
	}
	err = t_store(tc, t, &plan, biflow ? &bi : NULL, n, nscope);
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
 * received templates take (in the main budget). dg has no data: only the address, port and
 * time are read.
 */
static void restore_msg(struct ofd_decoder *d, struct ofd_tmpl_msg *m, struct ofd_dgram *dg,
			const struct ofd_tmpl_key *k, uint64_t time_ns)
{
	*dg = (struct ofd_dgram){
	    .data = NULL, .len = 0, .src = k->addr, .src_port = k->port, .time_ns = time_ns};
	ofd_tmpl_msg_begin(d, m, dg, k->version, k->domain, 0);
	m->budget = OFD_TMPL_BUDGET_MAIN;
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
	/* withdraw all (options) templates of the exporter */
	struct ofd_tmpl_exporter *e = m->ex;
	for (struct ofd_tmpl *t = e->templates, *next; t; t = next) {
		next = t->sib_next;
		if (t->options != (tid == 3))
			continue;
		int last = e->ntemplates == 1;
		t_remove(tc, m, t);
		if (last)
			break; /* e is gone */
	}
}
