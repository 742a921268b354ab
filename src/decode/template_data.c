/*
 * The template cache's data side (see template.h): data sets decoded with a template's copy
 * plan, options data (sampling rates, the system init time), and the options state's merge.
 * Data sets allocate nothing.
 */
#include "template_int.h"

/* Rate of `id` in table t of n entries: 1 and *rate if there. */
static int rate_get(const struct ofd_tmpl_rate *t, unsigned n, uint64_t id, uint32_t *rate)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].id == id) {
			*rate = t[i].rate;
			return 1;
		}
	return 0;
}

/* Set the rate of `id` in table t (*n entries, room for cap); when full, reuse slot *next. */
static void rate_put(struct ofd_tmpl_rate *t, uint8_t *n, unsigned cap, uint8_t *next, uint64_t id,
		     uint32_t rate)
{
	unsigned i = 0;
	while (i < *n && t[i].id != id)
		i++;
	if (i == *n) {
		if (*n < cap)
			(*n)++;
		else
			i = (*next)++ % cap;
	}
	t[i].id = id;
	t[i].rate = rate;
}

/* Add the entries of `older` that t lacks, while room is left. */
static void rate_fill(struct ofd_tmpl_rate *t, uint8_t *n, unsigned cap, const struct ofd_tmpl_rate *older,
		      unsigned on)
{
	if (*n > cap)
		*n = (uint8_t)cap;
	uint32_t r;
	for (unsigned i = 0; i < on && i < cap && *n < cap; i++)
		if (!rate_get(t, *n, older[i].id, &r))
			t[(*n)++] = older[i];
}

void ofd_tmpl_opts_merge(struct ofd_tmpl_opts *into, const struct ofd_tmpl_opts *o)
{
	struct ofd_tmpl_opts older = *o;
	if (o->opts_ns > into->opts_ns) {
		older = *into;
		*into = *o;
	}
	if (!into->rate)
		into->rate = older.rate;
	if (!into->has_sys_init && older.has_sys_init) {
		into->has_sys_init = 1;
		into->sys_init_ms = older.sys_init_ms;
	}
	rate_fill(into->samplers, &into->nsamplers, OFD_TMPL_SAMPLERS, older.samplers, older.nsamplers);
	rate_fill(into->ifaces, &into->nifaces, OFD_TMPL_IFACES, older.ifaces, older.nifaces);
}

/*
 * The interface an options record (rl bytes at p) is scoped to: a v9 scope field of type 2
 * (Interface) or an IPFIX scope field ingressInterface (10). 1 and *ifindex if it has one.
 */
static int scope_iface(const struct ofd_tmpl *t, int v9, const uint8_t *p, size_t rl, uint64_t *ifindex)
{
	size_t at = 0;
	for (uint32_t i = 0; i < t->nscope && i < t->nfields; i++) {
		const struct ofd_tmpl_field *f = &t->fields[i];
		size_t len = f->len;
		if (!v9 && len == OFD_IE_VARLEN) {
			if (at >= rl)
				return 0;
			len = p[at++];
			if (len == 255) {
				if (rl - at < 2)
					return 0;
				len = ofd_be16(p + at);
				at += 2;
			}
		}
		if (rl - at < len)
			return 0;
		if ((v9 ? f->id == 2 : f->id == 10 && f->pen == 0) && len >= 1 && len <= 8) {
			*ifindex = ofd_be_uint(p + at, len);
			return 1;
		}
		at += len;
	}
	return 0;
}

/* A rate an options record states, stored by its scope (see struct ofd_tmpl_opts). */
static void options_rate(struct ofd_tmpl_exporter *ex, const struct ofd_tmpl *t, int v9, const uint8_t *p,
			 size_t rl, const struct ofd_ie_aux *a, uint32_t rate)
{
	struct ofd_tmpl_opts *e = &ex->o;
	uint64_t ifindex;
	if (a->have & OFD_IEA_SAMPLER_ID)
		rate_put(e->samplers, &e->nsamplers, OFD_TMPL_SAMPLERS, &ex->next_sampler, a->sampler_id,
			 rate);
	else if (scope_iface(t, v9, p, rl, &ifindex))
		rate_put(e->ifaces, &e->nifaces, OFD_TMPL_IFACES, &ex->next_iface, ifindex, rate);
	else
		e->rate = rate;
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
		if (rate)
			options_rate(m->ex, t, m->version == 9, p, rl, &a, rate);
		if (a.have & OFD_IEA_SYS_INIT) {
			e->has_sys_init = m->ctx.has_sys_init = 1;
			e->sys_init_ms = m->ctx.sys_init_ms = a.sys_init_ms;
		}
		p += rl;
		len -= rl;
		if (!m->ex->had_data)
			ofd_tmpl_had_data(d->tc, m->ex);
	}
	return 0;
}

/*
 * Sampling rate of data record f (aux a), first found: its own sampling elements, its sampler's,
 * its ingress interface's, the exporter's. A non-zero sampler id never announced: 0 and a note.
 */
static uint32_t record_rate(const struct ofd_tmpl_opts *e, const struct ofd_ie_aux *a, struct ofd_flow *f)
{
	uint32_t r = ofd_ie_rate(a);
	if (r)
		return r;
	if (a->have & OFD_IEA_SAMPLER_ID) {
		if (rate_get(e->samplers, e->nsamplers, a->sampler_id, &r))
			return r;
		if (a->sampler_id) {
			f->note = OFD_TMPL_NOTE_UNKNOWN_SAMPLER;
			ofd_flow_set(f, OFD_F_NOTE);
			return 0;
		}
	}
	if (e->nifaces && ofd_flow_has(f, OFD_F_IN_IF) && rate_get(e->ifaces, e->nifaces, f->in_if, &r))
		return r;
	return e->rate;
}

#define MSG_PRESENT                                                                                          \
	(OFD_W0(OFD_F_TYPE) | OFD_W0(OFD_F_TIME_RECEIVED) | OFD_W0(OFD_F_SEQUENCE_NUM) |                     \
	 OFD_W0(OFD_F_SAMPLER_ADDRESS) | OFD_W0(OFD_F_OBSERVATION_DOMAIN_ID))

/* What every record of a data set shares (ofd_tmpl_data). */
struct set_ctx {
	struct ofd_fieldset present; /* every record of the set has these */
	uint32_t rate;
	int per_record; /* rates not the same for the whole set: SET_RATE_* */
};

/*
 * How a data set's records get their sampling rate, decided once per set from the template's
 * plan: SET_RATE_SET, the exporter-wide rate for all (no sampling elements, and no per-interface
 * rates or no ingress interface in the template); SET_RATE_IFACE, the rate of the record's
 * ingress interface else the exporter-wide one (no sampling elements: record_rate() would come
 * to the same); SET_RATE_FULL, record_rate().
 */
enum { SET_RATE_SET = 0, SET_RATE_IFACE = 1, SET_RATE_FULL = 2 };

/* Record p of data set t (its forward record, for a biflow template) into f; a: its aux values. */
static inline __attribute__((always_inline)) void data_record(struct ofd_tmpl_msg *m,
							      const struct ofd_tmpl *t,
							      const struct set_ctx *sc, const uint8_t *p,
							      struct ofd_flow *f, struct ofd_ie_aux *a)
{
	const struct ofd_dgram *dg = m->dg;
	f->present = sc->present;
	f->type = m->type;
	f->time_received_ns = dg->time_ns;
	f->sequence_num = m->seq;
	f->sampling_rate = sc->rate;
	f->sampler_address = dg->src;
	f->observation_domain_id = m->domain;
	a->have = 0;
	ofd_ie_apply(&t->plan, t->steps, p, f, a, &m->ctx);
	if (sc->per_record) {
		const struct ofd_tmpl_opts *e = &m->ex->o;
		uint32_t r;
		if (sc->per_record == SET_RATE_IFACE) { /* the set's present bits lack the rate's */
			if (e->nifaces == 1) /* one interface's rate (softflowd's Interface 0 scope) */
				r = f->in_if == e->ifaces[0].id ? e->ifaces[0].rate : e->rate;
			else if (!rate_get(e->ifaces, e->nifaces, f->in_if, &r))
				r = e->rate;
			f->sampling_rate = r;
			f->present.w[0] |= (uint64_t)(r != 0) << OFD_F_SAMPLING_RATE;
		} else {
			f->sampling_rate = r = record_rate(e, a, f);
			if (r)
				f->present.w[0] |= OFD_W0(OFD_F_SAMPLING_RATE);
			else
				f->present.w[0] &= ~OFD_W0(OFD_F_SAMPLING_RATE);
		}
	}
	ofd_ie_post(f, a, &m->ctx);
}

/*
 * The reverse record of biflow record p (forward record f finished, aux a): added after f when
 * its reverse octet or packet count is not zero. When f took the batch's last slot, adding
 * another hands the batch on (ofd_batch_add): f is read from a copy then. Returns 1 if added.
 */
static int reverse_record(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_tmpl *t,
			  const uint8_t *p, const struct ofd_flow *f, const struct ofd_ie_aux *a,
			  struct ofd_batch *b)
{
	struct ofd_flow keep;
	if (b->n == OFD_BATCH_CAP) {
		keep = *f;
		f = &keep;
	}
	struct ofd_flow *r = ofd_decode_add(d, b);
	ofd_ie_biflow_start(r, f);
	struct ofd_ie_aux ra;
	ra.have = a->have & OFD_IEA_SYS_INIT; /* the record's own systemInitTimeMilliseconds */
	ra.sys_init_ms = a->sys_init_ms;
	ofd_ie_apply(&t->bi.plan, t->steps + t->plan.nsteps, p, r, &ra, &m->ctx);
	if (!r->bytes && !r->packets) {
		ofd_batch_unadd(b);
		return 0;
	}
	ofd_fieldset_or(&r->present, &t->bi.plan.present);
	int dir = ofd_ie_biflow_dir_reverse(ofd_ie_biflow_dir(&t->bi, t->steps, p));
	if (dir >= 0) {
		r->bi_flow_direction = (uint8_t)dir;
		ofd_flow_set(r, OFD_F_BI_FLOW_DIRECTION);
	}
	ofd_ie_post(r, &ra, &m->ctx);
	return 1;
}

/* ofd_tmpl_data() for a template with reverse elements (RFC 5103): two records per record. */
static int biflow_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_tmpl *t,
		       const struct set_ctx *sc, const uint8_t *p, size_t len, struct ofd_batch *b)
{
	int n = 0;
	for (;;) {
		size_t rl = t->plan.varlen ? ofd_ie_var_len(&t->plan, t->steps, p, len) : t->plan.min_len;
		if (rl == 0 || rl > len)
			break; /* the rest is padding */
		struct ofd_flow *f = ofd_decode_add(d, b);
		struct ofd_ie_aux a;
		data_record(m, t, sc, p, f, &a);
		int dir = ofd_ie_biflow_dir(&t->bi, t->steps, p);
		if (dir >= 0) {
			f->bi_flow_direction = (uint8_t)dir;
			ofd_flow_set(f, OFD_F_BI_FLOW_DIRECTION);
		}
		n += 1 + reverse_record(d, m, t, p, f, &a, b);
		p += rl;
		len -= rl;
	}
	return n;
}

int ofd_tmpl_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, const uint8_t *p, size_t len,
		  struct ofd_batch *b)
{
	struct ofd_tmpl *t = ofd_tmpl_live(d, m, tid);
	if (!t) {
		ofd_decode_drop(d, m->dg, OFD_DROP_UNKNOWN_TEMPLATE, OFD_ENOTFOUND,
				"data set without template");
		return 0;
	}
	if (t->options)
		return options_data(d, m, t, p, len);
	const struct ofd_ie_plan *plan = &t->plan;
	struct set_ctx sc;
	sc.rate = m->ex->o.rate;
	sc.present = plan->present;
	sc.present.w[0] |= MSG_PRESENT;
	if (plan->sampling)
		sc.per_record = SET_RATE_FULL;
	else if (m->ex->o.nifaces && (plan->present.w[0] & OFD_W0(OFD_F_IN_IF)))
		sc.per_record = SET_RATE_IFACE;
	else
		sc.per_record = SET_RATE_SET;
	if (sc.rate && sc.per_record != SET_RATE_IFACE)
		sc.present.w[0] |= OFD_W0(OFD_F_SAMPLING_RATE);
	int n = 0;
	if (t->biflow) {
		n = biflow_data(d, m, t, &sc, p, len, b);
	} else {
		for (;;) {
			size_t rl = plan->varlen ? ofd_ie_var_len(plan, t->steps, p, len) : plan->min_len;
			if (rl == 0 || rl > len)
				break; /* the rest is padding */
			struct ofd_ie_aux a;
			data_record(m, t, &sc, p, ofd_decode_add(d, b), &a);
			p += rl;
			len -= rl;
			n++;
		}
	}
	if (n && !m->ex->had_data)
		ofd_tmpl_had_data(d->tc, m->ex);
	return n;
}

int ofd_tmpl_data_cut(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, const uint8_t *p,
		      size_t len, struct ofd_batch *b)
{
	if (!ofd_tmpl_live(d, m, tid))
		return ofd_tmpl_data(d, m, tid, p, len, b); /* counted as UNKNOWN_TEMPLATE */
	int n = ofd_tmpl_data(d, m, tid, p, len, b);
	ofd_decode_drop(d, m->dg, OFD_DROP_PARTIAL_SET, OFD_ETRUNC,
			"data set cut by the end of the datagram");
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
