/*
 * NetFlow v9 / IPFIX template cache: keyed by exporter (address, port, version, source id or
 * observation domain) and template id; each template compiled once into a copy plan (ie.h).
 *
 * Budgets. Exporters and their templates live in one of two budgets (decode.h): the main one
 * (struct ofd_decode_limits: max_exporters, max_templates_total, OFD_TMPL_MEM_MAX bytes) and the
 * unlisted one (unlisted_exporters, unlisted_templates, 4 KiB per template of it), chosen when
 * the exporter's first template arrives, by the budget its datagram was decoded under
 * (ofd_decode_from): inputs with an `exporters` list put the exporters off the list in the
 * unlisted budget, which can never take room from the main one. Per exporter: at most
 * max_templates_per_exporter templates and max_bytes_per_exporter bytes (entry, plans and
 * fields), and max_fields fields per template; beyond these a template is refused.
 *
 * Eviction. When a new template does not fit its budget, whole exporters of that budget are
 * evicted with their templates until it does: first those that never had data (or options data)
 * decoded with their templates, least recently heard of first (any message counts), then those
 * that did, alike; never the newcomer's own exporter. A template that could not fit even with
 * every other exporter gone is refused without evicting anything. So a flood of template-only
 * messages from forged exporters evicts itself, and an exporter appearing after it (or one that
 * restarted with a new source port) has its templates accepted and its data decoded at once.
 * Evictions and refusals are counted by budget and reason (st.template_evictions,
 * st.template_refusals), refusals also as drops (OFD_DROP_TEMPLATE_LIMIT). A redefinition that
 * is refused removes the template: its old layout is no longer the exporter's.
 *
 * An exporter entry lives while it has a template; it also holds the sampling rates and
 * systemInitTimeMilliseconds learned from its options data. Templates not refreshed for
 * lim.template_timeout_s (in datagram time) expire, counted in st.templates_expired.
 *
 * Each template also keeps its fields as received, so that the cache can be saved and a
 * restarted collector can define the same templates again through the same checks
 * (ofd_tmpl_cache_each, ofd_tmpl_restore; the state file itself is tmpl_state.h's). Restored
 * templates go to the main budget, as exporters that had no data yet.
 *
 * Not thread safe: one cache per decoder, one decoder per thread.
 */
#ifndef OFD_TEMPLATE_H
#define OFD_TEMPLATE_H

#include "decode.h"
#include "ie.h"
#include "ofd/rd.h"

#define OFD_TMPL_MEM_MAX  (64u << 20) /* the main budget's bytes of exporters, templates, plans, fields */
#define OFD_TMPL_SAMPLERS 8	      /* per-sampler rates remembered per exporter */
#define OFD_TMPL_IFACES	  16	      /* per-interface rates remembered per exporter */

/*
 * An exporter as templates are keyed: the address and port its datagrams come from, the
 * protocol version, and the v9 source id / IPFIX observation domain id.
 */
struct ofd_tmpl_key {
	struct ofd_ip addr;
	uint16_t port;
	uint8_t version; /* 9 or 10 */
	uint32_t domain;
};

/* A sampling rate keyed by sampler / selector id or by interface. */
struct ofd_tmpl_rate {
	uint64_t id;
	uint32_t rate;
};

/*
 * What an exporter's options data said: sampling rates and systemInitTimeMilliseconds. Where an
 * options record's rate goes depends on its scope (RFC 3954 6.1, RFC 7011 3.4.2.1): one naming a
 * sampler or selector id (48, 302, in the scope or not) sets that sampler's rate only; one scoped
 * by an interface (v9 scope type 2, IPFIX ingressInterface 10) that interface's only; any other
 * (System, line card, cache, template, observation domain...) the exporter-wide rate. The
 * per-interface rates are not saved with the templates (tmpl_state.h): options data restates them.
 */
struct ofd_tmpl_opts {
	uint64_t opts_ns; /* datagram time of the options data that last set a value; 0: restored */
	uint32_t rate;	  /* latest exporter-wide sampling rate from options data, 0: none */
	uint8_t has_sys_init;
	uint8_t nsamplers;
	uint8_t nifaces;
	uint64_t sys_init_ms;
	struct ofd_tmpl_rate samplers[OFD_TMPL_SAMPLERS];
	struct ofd_tmpl_rate ifaces[OFD_TMPL_IFACES]; /* id: ifIndex */
};

/* Merge what o says into `into`: the newer (opts_ns) wins, the older fills in what the newer
   lacks (a rate, the init time, samplers and interfaces while room is left). */
void ofd_tmpl_opts_merge(struct ofd_tmpl_opts *into, const struct ofd_tmpl_opts *o);

int ofd_tmpl_cache_new(struct ofd_tmpl_cache **out, const struct ofd_decode_limits *lim) OFD_MUST_CHECK;
void ofd_tmpl_cache_free(struct ofd_tmpl_cache *tc);

struct ofd_tmpl_exporter;

/* What one message's sets share: the exporter, its times, header values for the records. */
struct ofd_tmpl_msg {
	const struct ofd_dgram *dg;
	struct ofd_tmpl_exporter *ex; /* NULL while the cache does not know the exporter */
	struct ofd_ie_ctx ctx;
	uint32_t domain; /* v9 source id / IPFIX observation domain id */
	uint32_t seq;
	uint8_t version; /* 9 or 10 */
	uint8_t type;	 /* OFD_FT_NETFLOW_V9 or OFD_FT_IPFIX */
	uint8_t budget;	 /* enum ofd_tmpl_budget of a new exporter entry (the decoder's, at begin) */
};

/* Start a message: look the exporter up (it counts as heard of now) and fill m (ctx.export_ns,
   ctx.uptime_ms set by caller). */
void ofd_tmpl_msg_begin(struct ofd_decoder *d, struct ofd_tmpl_msg *m, const struct ofd_dgram *dg,
			uint8_t version, uint32_t domain, uint32_t seq);

/* Scratch room for lim.max_fields fields, where a decoder parses a template before defining it. */
struct ofd_tmpl_field *ofd_tmpl_fields(struct ofd_tmpl_cache *tc);

/*
 * Define, refresh or redefine template `tid` of m's exporter from the n fields in the scratch
 * array (the first nscope are scope fields of an options template). Counts st.templates or
 * st.options_templates on success; refusals and malformed templates are counted as drops.
 * Returns 0, OFD_ELIMIT, OFD_EFORMAT or -ENOMEM.
 */
int ofd_tmpl_define(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, int options, uint32_t n,
		    uint32_t nscope);

/* Withdraw template tid (IPFIX); tid 2 withdraws all templates, 3 all options templates. */
void ofd_tmpl_withdraw(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid);

/*
 * Decode the body of data set `tid` (len bytes at p) into b. Trailing bytes too short for a
 * record are padding. A set without a (live) template is counted as OFD_DROP_UNKNOWN_TEMPLATE.
 * Options data updates the exporter's sampling state (see struct ofd_tmpl_opts). A flow
 * record's sampling rate is, first found: what its own sampling elements state (ie.h,
 * ofd_ie_rate); its sampler's (48/302; a non-zero id never announced gives no rate and the note
 * OFD_TMPL_NOTE_UNKNOWN_SAMPLER); its ingress interface's; the exporter-wide rate. Returns the
 * number of flow records added.
 */
int ofd_tmpl_data(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, const uint8_t *p, size_t len,
		  struct ofd_batch *b);

/*
 * A data set cut short by the end of the datagram (p, len: the bytes of it that are there):
 * the whole records that fit are decoded as by ofd_tmpl_data() and the set is counted once as
 * PARTIAL_SET (without a template: UNKNOWN_TEMPLATE only). Returns the records added.
 */
int ofd_tmpl_data_cut(struct ofd_decoder *d, struct ofd_tmpl_msg *m, uint16_t tid, const uint8_t *p,
		      size_t len, struct ofd_batch *b);

/* The `note` of a record whose sampler id no options data announced (it has no rate). */
#define OFD_TMPL_NOTE_UNKNOWN_SAMPLER "sampler id not announced: no sampling rate"

/* True if the rest of a template set is padding (all zero bytes). */
int ofd_tmpl_padding(const struct ofd_rd *r);

/* Count a malformed template (OFD_DROP_BAD_TEMPLATE) and log it. Returns OFD_EFORMAT. */
int ofd_tmpl_bad(struct ofd_decoder *d, const struct ofd_tmpl_msg *m, const char *what);

/* One cached template as it was received (what a saved state holds, see tmpl_state.h). */
struct ofd_tmpl_view {
	const struct ofd_tmpl_key *key;
	const struct ofd_tmpl_field *fields;
	uint64_t seen_ns; /* last definition or refresh, in datagram time */
	uint32_t nfields;
	uint32_t nscope; /* scope fields (options templates) */
	uint16_t id;
	uint8_t options;
};

/*
 * Call fn for every template in refresh order, least recently refreshed first, and stop at the
 * first non-zero return, which is returned. The cache must not change meanwhile.
 */
int ofd_tmpl_cache_each(const struct ofd_tmpl_cache *tc, int (*fn)(const struct ofd_tmpl_view *v, void *ctx),
			void *ctx);

/* Call fn for every exporter (each keeps at least one template) and its options state, alike. */
int ofd_tmpl_cache_each_exporter(const struct ofd_tmpl_cache *tc,
				 int (*fn)(const struct ofd_tmpl_key *k, const struct ofd_tmpl_opts *o,
					   void *ctx),
				 void *ctx);

/*
 * Define template tid of exporter k from saved state, without a datagram: the n fields are in
 * the ofd_tmpl_fields() scratch array as for ofd_tmpl_define(), and go through the same
 * compilation, limits and checks (refusals counted as drops alike). The template counts as
 * last refreshed at seen_ns, and under st.templates_loaded instead of st.templates. A template
 * the cache holds already is newer than any saved one and is kept: returns 1 then. Otherwise
 * returns what ofd_tmpl_define() does.
 */
int ofd_tmpl_restore(struct ofd_decoder *d, const struct ofd_tmpl_key *k, uint16_t tid, int options,
		     uint32_t n, uint32_t nscope, uint64_t seen_ns);

/*
 * Merge saved options state into exporter k's: what the exporter's own options data has said
 * since takes precedence (a rate, the init time, each sampler id). Returns 0, or OFD_ENOTFOUND
 * when the cache keeps no template of k (an exporter entry lives only with its templates).
 */
int ofd_tmpl_restore_opts(struct ofd_decoder *d, const struct ofd_tmpl_key *k, const struct ofd_tmpl_opts *o);

/* Introspection for tests and metrics. */
uint32_t ofd_tmpl_cache_templates(const struct ofd_tmpl_cache *tc); /* options templates included */
uint32_t ofd_tmpl_cache_options_templates(const struct ofd_tmpl_cache *tc);
uint32_t ofd_tmpl_cache_exporters(const struct ofd_tmpl_cache *tc);
size_t ofd_tmpl_cache_mem(const struct ofd_tmpl_cache *tc);
uint32_t ofd_tmpl_cache_budget_exporters(const struct ofd_tmpl_cache *tc, enum ofd_tmpl_budget b);
uint32_t ofd_tmpl_cache_budget_templates(const struct ofd_tmpl_cache *tc, enum ofd_tmpl_budget b);

#endif
