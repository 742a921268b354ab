/*
 * tracer: picks flows with odds min(1, rate × packets) (escalate rules raise the odds and the
 * class for flows that match a filter), signs a tracer about each and delivers it to both ends
 * of the flow (or to relays), and/or prints it. Flows pass on unchanged. A summary of tracers
 * and deliveries, with every one not sent by reason, goes to stderr when the pipeline ends.
 *
 * Admission (tracer/emit.h): records of unlisted exporters make no tracers (`from: listed`),
 * bytes sent about an exporter's records stay below `amplification` x the bytes it exported,
 * `redact` leaves fields out, and tracers are fitted to their transport. What is refused is
 * counted (unlisted, budget, failed, http_only) and logged at most once per 10 s per reason.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "net/prefix.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "tracer/emit.h"
#include "tracer/keypath.h"
#include "receiver/learned.h"
#include "tracer/policy.h"

#define TR_MAX_ESC   16
#define TR_MAX_PFX   256
#define TR_MAX_RELAY 16
#define TR_NOTE_NS   (10 * 1000000000ull) /* one log line per reason per 10 s at most */

/* The counters logged at a rate limit, in the order of `counters` after selected. */
enum { N_FAILED, N_UNLISTED, N_BUDGET, N_HTTP_ONLY, N_FITTED, N__COUNT };

struct tr_note {
	uint64_t reported; /* the count when last logged */
	uint64_t last_ns;
	int logged;
};

struct tracer_state {
	/* config */
	double rate;
	char *key;
	char *contact;
	int cls;
	struct ofd_cfg_list escalate; /* of struct tr_rule */
	int normalize, print;
	struct ofd_strlist send, send_to, allow, deny, seal;
	char *seal_learned; /* a receiver's database: sealing keys learned per network */
	uint64_t seal_min;
	double addr_rate, addr_burst, global_rate, global_burst, relay_rate, relay_burst;
	uint64_t dedup_ns, timeout_ns, connect_timeout_ns;
	uint64_t queue, udp_port, http_port, https_port, seed;
	int from_any;
	double amplification;
	struct ofd_strlist redact;
	/* running */
	struct tr_note note[N__COUNT];
	uint64_t counted[N__COUNT];
	struct ofd_escalate esc[TR_MAX_ESC];
	size_t nesc;
	struct ofd_prefix pallow[TR_MAX_PFX], pdeny[TR_MAX_PFX];
	const char *relays[TR_MAX_RELAY + 1];
	struct ofd_sender_recipient recip[TR_MAX_PFX];
	struct ofd_key *k;
	struct ofd_sender *snd;
	struct ofd_wbuf out;
	struct ofd_emit *emit;
};

static const char *const classes[] = {"INFORMATIONAL", "MACHINE_SUSPECTED", "HUMAN_SUSPECTED",
				      "HUMAN_CONFIRMED", NULL};
static const char *const counters[] = {"selected",  "failed", "unlisted", "budget",
				       "http_only", "fitted", NULL};
static const char *const froms[] = {"listed", "any", NULL};

/* One `escalate` rule as configured. */
struct tr_rule {
	char *filter;
	double mult;
	int cls;
};

static const struct ofd_cfg_key rule_keys[] = {
    OFD_KEY("filter", OFD_CFG_STRING, struct tr_rule, filter, .required = 1,
	    .help = "flowfilter expression: the flows this rule escalates"),
    OFD_KEY("multiplier", OFD_CFG_DOUBLE, struct tr_rule, mult, .def = "1", .min = 1, .max = 1e12,
	    .help = "odds multiplier (>= 1)"),
    OFD_KEY("class", OFD_CFG_ENUM, struct tr_rule, cls, .def = "MACHINE_SUSPECTED", .choices = classes,
	    .help = "class of the tracers this rule picks"),
    OFD_KEY_END,
};

/* Compile the escalate rules (with keep, into s->esc); errors into err. */
static int escalate_parse(struct tracer_state *s, int keep, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->escalate.n; i++) {
		const struct tr_rule *r = OFD_CFG_ITEM(s->escalate, struct tr_rule, i);
		struct ofd_escalate e = {NULL, r->mult, (enum ofd_tracer_class)r->cls};
		char why[256] = "";
		if (ofd_filter_compile(&e.filter, r->filter, why, sizeof(why))) {
			snprintf(err, errlen, "key escalate[%zu].filter: %s", i, why);
			return OFD_ECONFIG;
		}
		if (keep) {
			s->esc[s->nesc++] = e;
		} else {
			ofd_filter_free(e.filter);
			/* check() only: and/or read to the right, as flowpipeline (flowfilter.h) */
			if (ofd_filter_mixed(r->filter, why, sizeof(why)))
				ofd_warn("segment tracer: key escalate[%zu].filter: %s", i, why);
		}
	}
	return 0;
}

static int prefixes(const struct ofd_strlist *l, struct ofd_prefix *out, const char *key, char *err,
		    size_t errlen)
{
	if (l->n > TR_MAX_PFX) {
		snprintf(err, errlen, "key %s: at most %d prefixes", key, TR_MAX_PFX);
		return OFD_ECONFIG;
	}
	for (size_t i = 0; i < l->n; i++)
		if (ofd_prefix_parse(&out[i], l->v[i])) {
			snprintf(err, errlen, "key %s: '%s' is not an address prefix", key, l->v[i]);
			return OFD_ECONFIG;
		}
	return 0;
}

static int methods(const struct ofd_strlist *l, unsigned *m, char *err, size_t errlen)
{
	*m = 0;
	for (size_t i = 0; i < l->n; i++) {
		unsigned bit = ofd_send_method(l->v[i]);
		if (!bit) {
			snprintf(err, errlen, "key send: '%s' is not one of: udp, http, https", l->v[i]);
			return OFD_ECONFIG;
		}
		*m |= bit;
	}
	return 0;
}

/* The OFD_SEND_* kinds of the relays, from their URLs' schemes (checked by the sender). */
static unsigned relay_kinds(const struct tracer_state *s)
{
	unsigned k = 0;
	for (size_t i = 0; i < s->send_to.n; i++) {
		const char *u = s->send_to.v[i];
		k |= strncasecmp(u, "udp://", 6) == 0	  ? OFD_SEND_UDP
		     : strncasecmp(u, "https://", 8) == 0 ? OFD_SEND_HTTPS
							  : OFD_SEND_HTTP;
	}
	return k;
}

/* `redact` as a mask: auto (the default) is all four to flow ends, none to relays or for print. */
static int redact_mask(const struct tracer_state *s, unsigned methods, unsigned *mask, char *err,
		       size_t errlen)
{
	int aut = s->redact.n == 0;
	*mask = 0;
	for (size_t i = 0; i < s->redact.n; i++) {
		int r = strcasecmp(s->redact.v[i], "auto") == 0 ? 0 : ofd_redact_parse(s->redact.v[i]);
		if (r < 0) {
			snprintf(err, errlen,
				 "key redact: '%s' is not one of: exporter, interfaces, as, nexthop, all, "
				 "none, auto",
				 s->redact.v[i]);
			return OFD_ECONFIG;
		}
		aut |= strcasecmp(s->redact.v[i], "auto") == 0;
		*mask |= (unsigned)r;
	}
	if (aut && s->redact.n > 1) {
		snprintf(err, errlen, "key redact: auto stands alone");
		return OFD_ECONFIG;
	}
	if (aut)
		*mask = !s->send_to.n && methods ? OFD_REDACT_ALL : 0;
	return 0;
}

/* The full form's bound: lower when sealing, so that a sealed tracer stays below the same bound. */
static size_t full_max(const struct tracer_state *s)
{
	size_t l = OFD_TRACER_HTTP_MAX;
	if (s->seal.n || s->seal_learned)
		while (l > 1 && ofd_tracer_sealed_len(l - 1) >= OFD_TRACER_HTTP_MAX)
			l--;
	return l;
}

/*
 * A contact that no tracer can carry whole is refused when no delivery can cut it (UDP tracers
 * carry it shortened; HTTP(S) and printed ones carry it whole).
 */
static int contact_check(const struct tracer_state *s, unsigned methods, char *err, size_t errlen)
{
	unsigned k = s->send_to.n ? relay_kinds(s) : methods;
	if (!s->contact || (k & OFD_SEND_UDP))
		return 0;
	enum ofd_tracer_class cls = (enum ofd_tracer_class)s->cls; /* the shortest class name in use */
	for (size_t i = 0; i < s->escalate.n; i++) {
		int c = OFD_CFG_ITEM(s->escalate, struct tr_rule, i)->cls;
		if (strlen(classes[c]) < strlen(classes[cls]))
			cls = (enum ofd_tracer_class)c;
	}
	size_t n = strlen(s->contact), fit = ofd_emit_contact_fit(s->contact, cls, full_max(s));
	if (fit == n)
		return 0;
	snprintf(
	    err, errlen,
	    "key contact: %zu bytes is too long for any tracer: HTTP(S) and printed tracers carry it whole "
	    "and hold at most %zu bytes of it here (UDP tracers carry it shortened: add udp to send)",
	    n, fit);
	return OFD_ECONFIG;
}

static int tracer_check(const void *state, char *err, size_t errlen)
{
	struct tracer_state *s = (struct tracer_state *)state; /* only scratch arrays are written */
	unsigned m, redact;
	if (s->send_to.n > TR_MAX_RELAY) {
		snprintf(err, errlen, "key send_to: at most %d relays", TR_MAX_RELAY);
		return OFD_ECONFIG;
	}
	if (s->amplification <= 0 || s->amplification >= 1) {
		snprintf(err, errlen, "key amplification: %g is not %s (bytes of tracers per byte of export)",
			 s->amplification, s->amplification <= 0 ? "above 0" : "below 1");
		return OFD_ECONFIG;
	}
	int rc = methods(&s->send, &m, err, errlen);
	if (!rc)
		rc = redact_mask(s, m, &redact, err, errlen);
	if (!rc)
		rc = prefixes(&s->allow, s->pallow, "allow", err, errlen);
	if (!rc)
		rc = prefixes(&s->deny, s->pdeny, "deny", err, errlen);
	if (!rc && s->seal.n > TR_MAX_PFX) {
		snprintf(err, errlen, "key seal: at most %d recipients", TR_MAX_PFX);
		rc = OFD_ECONFIG;
	}
	for (size_t i = 0; !rc && i < s->seal.n; i++)
		if (ofd_recipient_parse(&s->recip[i], s->seal.v[i])) {
			snprintf(err, errlen, "key seal: '%s' is not PREFIX=HEXKEY (64 hex digits)",
				 s->seal.v[i]);
			rc = OFD_ECONFIG;
		}
	if (!rc)
		rc = escalate_parse(s, 0, err, errlen);
	if (!rc)
		rc = contact_check(s, m, err, errlen);
	return rc;
}

static int make_sender(struct tracer_state *s, char *err, size_t errlen)
{
	struct ofd_sender_cfg sc = {0};
	if (methods(&s->send, &sc.methods, err, errlen))
		return OFD_ECONFIG;
	if (!sc.methods && !s->send_to.n)
		return 0; /* print only */
	for (size_t i = 0; i < s->send_to.n; i++)
		s->relays[i] = s->send_to.v[i];
	sc.relays = s->send_to.n ? s->relays : NULL;
	sc.udp_port = (uint16_t)s->udp_port, sc.http_port = (uint16_t)s->http_port;
	sc.https_port = (uint16_t)s->https_port;
	sc.allow = s->pallow, sc.nallow = s->allow.n, sc.deny = s->pdeny, sc.ndeny = s->deny.n;
	sc.recipients = s->recip, sc.nrecipients = s->seal.n;
	struct ofd_sender_recipient *all = NULL;
	if (s->seal_learned) {
		int n = ofd_learned_recipients(s->seal_learned, s->seal_min, s->recip, s->seal.n, &all,
					       &sc.nrecipients, err, errlen);
		if (n < 0)
			return n;
		ofd_info("tracer: %d sealing keys learned from %s", n, s->seal_learned);
		sc.recipients = all;
	}
	sc.addr_rate = s->addr_rate, sc.addr_burst = s->addr_burst;
	sc.global_rate = s->global_rate, sc.global_burst = s->global_burst;
	sc.relay_rate = s->relay_rate, sc.relay_burst = s->relay_burst;
	sc.dedup_window_s = s->dedup_ns ? (uint32_t)(s->dedup_ns / 1000000000u) : OFD_SEND_DEDUP_OFF;
	sc.queue_max = (uint32_t)s->queue;
	sc.total_timeout_ms = (uint32_t)(s->timeout_ns / 1000000u);
	sc.connect_timeout_ms = (uint32_t)(s->connect_timeout_ns / 1000000u);
	sc.end_connect_timeout_ms = sc.connect_timeout_ms;
	int rc = ofd_sender_new(&s->snd, &sc, err, errlen); /* copies the recipients */
	free(all);
	return rc;
}

static int tracer_init(struct ofd_segment *seg, void *state)
{
	struct tracer_state *s = state;
	char err[512] = "";
	int rc = tracer_check(s, err, sizeof(err));
	if (!rc)
		rc = escalate_parse(s, 1, err, sizeof(err));
	if (!rc)
		rc = ofd_keypath_open(&s->k, s->key, 1, err, sizeof(err));
	if (!rc)
		rc = make_sender(s, err, sizeof(err));
	if (!rc && s->print)
		rc = ofd_wbuf_init(&s->out, STDOUT_FILENO, 1 << 16);
	if (!rc && !(s->emit = calloc(1, sizeof(*s->emit))))
		rc = -ENOMEM;
	if (rc) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err[0] ? err : ofd_strerror(rc));
		return rc;
	}
	unsigned m = 0, redact = 0;
	(void)methods(&s->send, &m, err, sizeof(err));
	(void)redact_mask(s, m, &redact, err, sizeof(err));
	struct ofd_emit_cfg ec = {.rate = s->rate,
				  .normalize = s->normalize,
				  .cls = (enum ofd_tracer_class)s->cls,
				  .contact = s->contact,
				  .esc = s->esc,
				  .nesc = s->nesc,
				  .key = s->k,
				  .sender = s->snd,
				  .print = s->print ? &s->out : NULL,
				  .seeded = s->seed != 0,
				  .seed = s->seed,
				  .from_any = s->from_any,
				  .amplification = s->amplification,
				  .redact = redact,
				  .methods = m,
				  .relay_kinds = relay_kinds(s),
				  .nrelays = (unsigned)s->send_to.n,
				  .sealing = s->seal.n || s->seal_learned,
				  .full_max = full_max(s)};
	ofd_emit_init(s->emit, &ec);
	return 0;
}

/* The emitter's counters in `counters` order from failed on (index 1 + N_*). */
static void emitter_counts(const struct ofd_emit *e, uint64_t c[N__COUNT])
{
	c[N_FAILED] = e->st.failed;
	c[N_UNLISTED] = e->st.unlisted;
	c[N_BUDGET] = e->st.budget;
	c[N_HTTP_ONLY] = e->st.http_only;
	c[N_FITTED] = e->st.fitted;
}

static void tracer_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct tracer_state *s = state;
	uint64_t sel = s->emit->st.selected, c[N__COUNT];
	(void)ofd_emit_batch(s->emit, b, ofd_time_now_ns());
	if (s->emit->st.selected != sel)
		ofd_segment_count(seg, 0, s->emit->st.selected - sel);
	emitter_counts(s->emit, c);
	for (unsigned i = 0; i < N__COUNT; i++)
		if (c[i] != s->counted[i]) {
			ofd_segment_count(seg, 1 + i, c[i] - s->counted[i]);
			s->counted[i] = c[i];
		}
}

/* One line per reason with what was counted since the last one, at most once per TR_NOTE_NS. */
static void tracer_notes(struct ofd_segment *seg, struct tracer_state *s, uint64_t now_ns)
{
	for (unsigned i = 0; i < N__COUNT; i++) {
		struct tr_note *n = &s->note[i];
		uint64_t d = s->counted[i] - n->reported;
		if (!d || i == N_FITTED || (n->logged && now_ns - n->last_ns < TR_NOTE_NS))
			continue;
		n->reported = s->counted[i], n->last_ns = now_ns, n->logged = 1;
		unsigned long long v = (unsigned long long)d;
		switch (i) {
		case N_FAILED:
			ofd_seg_log(seg, OFD_LOG_WARN, "%llu tracers could not be made: %s", v,
				    s->emit->st.why ? s->emit->st.why : "?");
			break;
		case N_UNLISTED:
			ofd_seg_log(
			    seg, OFD_LOG_WARN,
			    "%llu records from exporters not on their input's exporters list: no tracers "
			    "about them (from: listed)",
			    v);
			break;
		case N_BUDGET:
			ofd_seg_log(
			    seg, OFD_LOG_INFO,
			    "%llu tracers not sent: their exporter's budget (%g bytes of tracers per byte "
			    "of export) was spent",
			    v, s->amplification);
			break;
		case N_HTTP_ONLY:
			ofd_seg_log(
			    seg, OFD_LOG_INFO,
			    "%llu tracers too long for one UDP datagram even shortened: sent over HTTP(S) "
			    "only",
			    v);
			break;
		}
	}
}

static void tracer_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct tracer_state *s = state;
	if (s->print && s->out.buf)
		(void)ofd_wbuf_flush(&s->out);
	if (s->print && s->out.reader_gone == 1) {
		s->out.reader_gone = 2;
		ofd_seg_log(seg, OFD_LOG_INFO, "output closed by its reader (broken pipe); stopping");
		ofd_segment_stop_pipeline(seg);
	}
	if (s->emit)
		tracer_notes(seg, s, now_ns);
}

static void tracer_fini(struct ofd_segment *seg, void *state)
{
	struct tracer_state *s = state;
	if (s->snd) {
		ofd_sender_flush(s->snd, (unsigned)(s->timeout_ns / 1000000u) + 1000);
		struct ofd_sender_stats st;
		ofd_sender_stats(s->snd, &st);
		fprintf(stderr,
			"%s: tracers offered %llu, sent udp %llu, http %llu, https %llu, sealed %llu\n",
			ofd_segment_name(seg), (unsigned long long)st.offered,
			(unsigned long long)st.sent_udp, (unsigned long long)st.sent_http,
			(unsigned long long)st.sent_https, (unsigned long long)st.sealed);
		for (int i = 0; i < OFD_SD__COUNT; i++)
			if (st.not_sent[i])
				fprintf(stderr, "%s: tracers not sent %s: %llu\n", ofd_segment_name(seg),
					ofd_send_drop_name((enum ofd_send_drop)i),
					(unsigned long long)st.not_sent[i]);
		ofd_sender_free(s->snd);
		s->snd = NULL;
	}
	const struct ofd_emit_stats *e = s->emit ? &s->emit->st : NULL;
	if (e && (e->failed || e->unlisted || e->budget || e->http_only || e->fitted))
		fprintf(stderr,
			"%s: tracers failed %llu, over budget %llu, http only %llu, udp form shortened %llu; "
			"records of unlisted exporters %llu\n",
			ofd_segment_name(seg), (unsigned long long)e->failed, (unsigned long long)e->budget,
			(unsigned long long)e->http_only, (unsigned long long)e->fitted,
			(unsigned long long)e->unlisted);
	ofd_wbuf_fini(&s->out);
	for (size_t i = 0; i < s->nesc; i++)
		ofd_filter_free(s->esc[i].filter);
	s->nesc = 0;
	free(s->emit);
	s->emit = NULL;
	ofd_key_free(s->k);
	s->k = NULL;
}

#define O(f) offsetof(struct tracer_state, f)
static const struct ofd_cfg_key tracer_keys[] = {
    {.key = "rate",
     .type = OFD_CFG_DOUBLE,
     .offset = O(rate),
     .def = "1e-6",
     .max = 1,
     .help = "odds per packet: a flow is picked with min(1, rate x packets)"},
    {.key = "key",
     .type = OFD_CFG_STRING,
     .offset = O(key),
     .help =
	 "signing key file (default $OVERFLOWD_KEY or /var/lib/overflowd/signing.key; created when missing)"},
    {.key = "contact",
     .type = OFD_CFG_STRING,
     .offset = O(contact),
     .help = "abuse contact in every tracer: e-mail, RDAP/whois handle or free text"},
    {.key = "class",
     .type = OFD_CFG_ENUM,
     .offset = O(cls),
     .def = "INFORMATIONAL",
     .choices = classes,
     .help = "class of tracers not escalated"},
    {.key = "escalate",
     .type = OFD_CFG_LIST,
     .offset = O(escalate),
     .max = TR_MAX_ESC,
     .sub = rule_keys,
     .elem_size = sizeof(struct tr_rule),
     .help = "list of {filter: EXPR, multiplier: M, class: C}: flows matching EXPR (first rule wins) get "
	     "odds x M and class C"},
    {.key = "normalize",
     .type = OFD_CFG_BOOL,
     .offset = O(normalize),
     .def = "true",
     .help = "scale packets by the exporter's sampling rate before computing the odds"},
    {.key = "from",
     .type = OFD_CFG_ENUM,
     .offset = O(from_any),
     .def = "listed",
     .choices = froms,
     .help = "whose records may produce tracers: listed (local inputs and the exporters on a network "
	     "input's exporters list) or any (also unlisted exporters: anyone who can forge an export then "
	     "gets tracers signed and sent where he likes, bounded only by amplification)"},
    {.key = "amplification",
     .type = OFD_CFG_DOUBLE,
     .offset = O(amplification),
     .def = "0.5",
     .min = 0,
     .max = 1,
     .help = "bytes of tracers sent per byte of export received, per exporter (above 0, below 1); "
	     "local records are not counted"},
    {.key = "redact",
     .type = OFD_CFG_STRLIST,
     .offset = O(redact),
     .def = "[auto]",
     .help = "fields left out of tracers: exporter, interfaces, as, nexthop, all or none; auto: all to "
	     "flow ends, none to relays or when only printing"},
    {.key = "print",
     .type = OFD_CFG_BOOL,
     .offset = O(print),
     .def = "false",
     .help = "also print every tracer as a JSON line on stdout"},
    {.key = "send",
     .type = OFD_CFG_STRLIST,
     .offset = O(send),
     .def = "[udp, http]",
     .help = "delivery to both ends of the flow: udp (port 65535), http, https (POST "
	     "/.well-known/overflowd); [] for "
	     "none"},
    {.key = "send_to",
     .type = OFD_CFG_STRLIST,
     .offset = O(send_to),
     .def = "[]",
     .help = "relays (udp://HOST:PORT, http://..., https://...) that get every tracer instead of the flow's "
	     "ends"},
    {.key = "allow",
     .type = OFD_CFG_STRLIST,
     .offset = O(allow),
     .def = "[]",
     .help = "prefixes that may be sent to although reserved or denied"},
    {.key = "deny",
     .type = OFD_CFG_STRLIST,
     .offset = O(deny),
     .def = "[]",
     .help = "prefixes never sent to (besides the reserved ranges)"},
    {.key = "seal",
     .type = OFD_CFG_STRLIST,
     .offset = O(seal),
     .def = "[]",
     .help = "PREFIX=HEXKEY entries: tracers to addresses in PREFIX are sealed to that Ed25519 public key "
	     "(sent over "
	     "HTTP(S): a sealed tracer is too large for one UDP datagram)"},
    {.key = "seal_learned",
     .type = OFD_CFG_STRING,
     .offset = O(seal_learned),
     .help =
	 "a receiver's database (overflowd receive --db): tracers to a network from which exactly one key "
	 "sent us tracers, at least seal_min of them, are sealed to that key (read at start)"},
    {.key = "seal_min",
     .type = OFD_CFG_UINT,
     .offset = O(seal_min),
     .def = "10",
     .help = "tracers a network's one key must have sent before it is used for sealing"},
    {.key = "addr_rate",
     .type = OFD_CFG_DOUBLE,
     .offset = O(addr_rate),
     .def = "1",
     .max = 1e6,
     .help = "tracers per second to one address"},
    {.key = "addr_burst",
     .type = OFD_CFG_DOUBLE,
     .offset = O(addr_burst),
     .def = "5",
     .max = 1e6,
     .help = "burst to one address"},
    {.key = "global_rate",
     .type = OFD_CFG_DOUBLE,
     .offset = O(global_rate),
     .def = "100",
     .max = 1e9,
     .help = "tracers per second to flow ends in all"},
    {.key = "global_burst",
     .type = OFD_CFG_DOUBLE,
     .offset = O(global_burst),
     .def = "200",
     .max = 1e9,
     .help = "burst to flow ends in all"},
    {.key = "relay_rate",
     .type = OFD_CFG_DOUBLE,
     .offset = O(relay_rate),
     .def = "1000",
     .max = 1e9,
     .help = "tracers per second to each relay"},
    {.key = "relay_burst",
     .type = OFD_CFG_DOUBLE,
     .offset = O(relay_burst),
     .def = "2000",
     .max = 1e9,
     .help = "burst to each relay"},
    {.key = "dedup",
     .type = OFD_CFG_DURATION,
     .offset = O(dedup_ns),
     .def = "300s",
     .help = "the same flow to the same address at most once per this window"},
    {.key = "queue",
     .type = OFD_CFG_UINT,
     .offset = O(queue),
     .def = "1024",
     .min = 1,
     .max = 1e6,
     .help = "tracers waiting to be sent; more are counted as queue_full"},
    {.key = "timeout",
     .type = OFD_CFG_DURATION,
     .offset = O(timeout_ns),
     .def = "5s",
     .help = "total time for one HTTP(S) delivery"},
    {.key = "connect_timeout",
     .type = OFD_CFG_DURATION,
     .offset = O(connect_timeout_ns),
     .def = "3s",
     .help = "TCP connect time for HTTP(S) (3 s lets one lost SYN be sent again); a flow end that "
	     "does not connect in time is remembered and skipped (10 min, doubling up to 24 h)"},
    {.key = "udp_port",
     .type = OFD_CFG_UINT,
     .offset = O(udp_port),
     .def = "65535",
     .min = 1,
     .max = 65535,
     .help = "UDP port of flow ends"},
    {.key = "http_port",
     .type = OFD_CFG_UINT,
     .offset = O(http_port),
     .def = "80",
     .min = 1,
     .max = 65535,
     .help = "HTTP port of flow ends"},
    {.key = "https_port",
     .type = OFD_CFG_UINT,
     .offset = O(https_port),
     .def = "443",
     .min = 1,
     .max = 65535,
     .help = "HTTPS port of flow ends"},
    {.key = "seed",
     .type = OFD_CFG_UINT,
     .offset = O(seed),
     .def = "0",
     .help = "non-zero: reproducible selection (tests); 0: a CSPRNG"},
    {.key = NULL},
};
#undef O

const struct ofd_segment_type ofd_seg_tracer = {
    OFD_SEGMENT_VERSION,
    .name = "tracer",
    .kind = OFD_SEG_ANALYZE,
    .summary = "sign tracers about flows (odds grow with packets) and deliver them to both ends of the flow",
    .state_size = sizeof(struct tracer_state),
    .config = tracer_keys,
    .counters = counters,
    .check = tracer_check,
    .init = tracer_init,
    .process = tracer_process,
    .tick = tracer_tick,
    .fini = tracer_fini,
};
