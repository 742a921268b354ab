/*
 * Tracer messages, wire format v1: the signed body {"flowdata": ..., "metadata": ...} and the
 * signed line. Separators are ", " and ": " and every non-ASCII character is escaped as \uXXXX,
 * as Python's json.dumps writes them by default, so that our bytes look like the 2016
 * prototype's. The body never needs a re-encoding: a verifier checks and reads these bytes.
 *
 * Member order: flowdata.sourcetype {type, version}, flowdata.data {saddr, daddr, sport, dport,
 * protocol, pcount, bcount, stime, etime, flags, tos, then those of exporter, sampling_rate,
 * src_as, dst_as, in_if, out_if that are set (address family / non-zero)}, metadata {info,
 * class, time, contact (when set), truncated (when members were left out or shortened: ["data"]
 * for optional data members, ["contact"] for the contact, or both)}.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "tracer/tracer.h"
#include "util/utf8.h"

static const char *const class_names[] = {
    [OFD_TC_INFORMATIONAL] = "INFORMATIONAL",
    [OFD_TC_MACHINE_SUSPECTED] = "MACHINE_SUSPECTED",
    [OFD_TC_HUMAN_SUSPECTED] = "HUMAN_SUSPECTED",
    [OFD_TC_HUMAN_CONFIRMED] = "HUMAN_CONFIRMED",
};

#define NCLASSES (sizeof(class_names) / sizeof(class_names[0]))

const char *ofd_tracer_class_name(enum ofd_tracer_class c)
{
	return (unsigned)c < NCLASSES ? class_names[c] : "UNKNOWN";
}

int ofd_tracer_class_parse(const char *name)
{
	for (unsigned i = 0; name && i < NCLASSES; i++)
		if (strcasecmp(name, class_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- a bounded JSON writer: `over` is set, and nothing more written, once cap is reached ---- */

struct jw {
	char *p;
	size_t cap, len;
	int over;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

#define jw_lit(w, s) jw_raw((w), (s), sizeof(s) - 1)

static void jw_u64(struct jw *w, uint64_t v)
{
	char b[20];
	size_t i = sizeof(b);
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_raw(w, b + i, sizeof(b) - i);
}

static void jw_ip(struct jw *w, const struct ofd_ip *ip)
{
	char b[OFD_IP_STRLEN];
	int n = ofd_ip_str(ip, b);
	jw_lit(w, "\"");
	jw_raw(w, b, (size_t)n);
	jw_lit(w, "\"");
}

static void jw_u16esc(struct jw *w, unsigned cp)
{
	static const char hex[] = "0123456789abcdef";
	char b[6] = {'\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15]};
	jw_raw(w, b, 6);
}

/* A JSON string of str[0..n): quote, backslash and controls escaped, non-ASCII as \uXXXX, bad
   UTF-8 as FFFD. */
static void jw_str(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	jw_lit(w, "\"");
	while (n > 0 && !w->over) {
		size_t run = 0; /* plain ASCII copied as is */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		jw_raw(w, (const char *)s, run);
		s += run;
		n -= run;
		if (n == 0)
			break;
		uint32_t cp;
		size_t len = ofd_utf8_decode(s, n, &cp);
		if (len == 0)
			cp = 0xfffd, len = 1;
		s += len;
		n -= len;
		switch (cp) {
		case '"': jw_lit(w, "\\\""); break;
		case '\\': jw_lit(w, "\\\\"); break;
		case '\n': jw_lit(w, "\\n"); break;
		case '\r': jw_lit(w, "\\r"); break;
		case '\t': jw_lit(w, "\\t"); break;
		case '\b': jw_lit(w, "\\b"); break;
		case '\f': jw_lit(w, "\\f"); break;
		default:
			if (cp >= 0x10000) {
				cp -= 0x10000;
				jw_u16esc(w, 0xd800 | cp >> 10);
				jw_u16esc(w, 0xdc00 | (cp & 0x3ff));
			} else {
				jw_u16esc(w, cp);
			}
		}
	}
	jw_lit(w, "\"");
}

/* Epoch seconds with exactly six decimals, as "%.6f" writes them (without printf's cost). */
static void jw_time(struct jw *w, double t)
{
	if (!isfinite(t) || t < 0 || t > 1e15)
		t = 0;
	double whole = floor(t);
	uint64_t s = (uint64_t)whole, us = (uint64_t)llround((t - whole) * 1e6);
	if (us >= 1000000) {
		s++;
		us -= 1000000;
	}
	char frac[7] = {'.'};
	for (int i = 6; i > 0; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	jw_u64(w, s);
	jw_raw(w, frac, sizeof(frac));
}

/* ---- the body ---- */

enum opt { OPT_EXPORTER, OPT_SAMPLING, OPT_SRC_AS, OPT_DST_AS, OPT_IN_IF, OPT_OUT_IF, OPT__COUNT };

static void sourcetype(struct jw *w, unsigned type)
{
	switch (type) {
	case OFD_FT_NETFLOW_V5: jw_lit(w, "{\"type\": \"Netflow\", \"version\": 5}"); break;
	case OFD_FT_NETFLOW_V9: jw_lit(w, "{\"type\": \"Netflow\", \"version\": 9}"); break;
	case OFD_FT_IPFIX: jw_lit(w, "{\"type\": \"IPFIX\", \"version\": 10}"); break;
	case OFD_FT_SFLOW_5: jw_lit(w, "{\"type\": \"sFlow\", \"version\": 5}"); break;
	default: jw_lit(w, "{\"type\": \"unknown\", \"version\": 0}"); break;
	}
}

static void opt_field(struct jw *w, const struct ofd_flow *f, enum opt o)
{
	switch (o) {
	case OPT_EXPORTER: jw_lit(w, ", \"exporter\": "), jw_ip(w, &f->sampler_address); break;
	case OPT_SAMPLING: /* with normalize before the tracer, the counts are scaled already: one member
			      pair, kept or cut together, so a reader never scales twice */
		jw_lit(w, ", \"sampling_rate\": "), jw_u64(w, f->sampling_rate);
		if (f->normalized)
			jw_lit(w, ", \"normalized\": true");
		break;
	case OPT_SRC_AS: jw_lit(w, ", \"src_as\": "), jw_u64(w, f->src_as); break;
	case OPT_DST_AS: jw_lit(w, ", \"dst_as\": "), jw_u64(w, f->dst_as); break;
	case OPT_IN_IF: jw_lit(w, ", \"in_if\": "), jw_u64(w, f->in_if); break;
	case OPT_OUT_IF: jw_lit(w, ", \"out_if\": "), jw_u64(w, f->out_if); break;
	case OPT__COUNT: break;
	}
}

/* The optional fields f has, in output order; their number. */
static unsigned opt_list(const struct ofd_flow *f, enum opt out[OPT__COUNT])
{
	unsigned n = 0;
	if (f->sampler_address.family != OFD_AF_NONE)
		out[n++] = OPT_EXPORTER;
	if (f->sampling_rate)
		out[n++] = OPT_SAMPLING;
	if (f->src_as)
		out[n++] = OPT_SRC_AS;
	if (f->dst_as)
		out[n++] = OPT_DST_AS;
	if (f->in_if)
		out[n++] = OPT_IN_IF;
	if (f->out_if)
		out[n++] = OPT_OUT_IF;
	return n;
}

/* What a body holds besides the flow: the contact as written (NULL: none) and what was cut. */
struct body_opts {
	const enum opt *opts;
	unsigned nopts;	     /* the optional fields kept (a prefix of opts) */
	unsigned dropped;    /* bit o: optional field o left out */
	const char *contact; /* NULL: not written */
	size_t clen;
	int contact_cut; /* the contact was shortened or left out */
};

/* "truncated": "data" when optional data members were left out, "contact" when it was cut. */
static void truncated_list(struct jw *w, const struct body_opts *o)
{
	if (o->dropped && o->contact_cut)
		jw_lit(w, ", \"truncated\": [\"data\", \"contact\"]");
	else if (o->dropped)
		jw_lit(w, ", \"truncated\": [\"data\"]");
	else
		jw_lit(w, ", \"truncated\": [\"contact\"]");
}

static void body_build(struct jw *w, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
		       const struct body_opts *o)
{
	jw_lit(w, "{\"flowdata\": {\"sourcetype\": ");
	sourcetype(w, f->type);
	jw_lit(w, ", \"data\": {\"saddr\": ");
	jw_ip(w, &f->src_addr);
	jw_lit(w, ", \"daddr\": ");
	jw_ip(w, &f->dst_addr);
	jw_lit(w, ", \"sport\": ");
	jw_u64(w, f->src_port);
	jw_lit(w, ", \"dport\": ");
	jw_u64(w, f->dst_port);
	jw_lit(w, ", \"protocol\": ");
	jw_u64(w, f->proto);
	jw_lit(w, ", \"pcount\": ");
	jw_u64(w, f->packets);
	jw_lit(w, ", \"bcount\": ");
	jw_u64(w, f->bytes);
	jw_lit(w, ", \"stime\": ");
	jw_u64(w, f->time_flow_start_ns / 1000000000u);
	jw_lit(w, ", \"etime\": ");
	jw_u64(w, f->time_flow_end_ns / 1000000000u);
	jw_lit(w, ", \"flags\": ");
	jw_u64(w, f->tcp_flags);
	jw_lit(w, ", \"tos\": ");
	jw_u64(w, f->ip_tos);
	for (unsigned i = 0; i < o->nopts; i++)
		opt_field(w, f, o->opts[i]);
	jw_lit(w, "}}, \"metadata\": {\"info\": \"FLOWSEEN\", \"class\": \"");
	const char *cls = ofd_tracer_class_name(m->cls);
	jw_raw(w, cls, strlen(cls));
	jw_lit(w, "\", \"time\": ");
	jw_time(w, m->time);
	if (o->contact) {
		jw_lit(w, ", \"contact\": ");
		jw_str(w, o->contact, o->clen);
	}
	if (o->dropped || o->contact_cut)
		truncated_list(w, o);
	jw_lit(w, "}}");
}

/* Build with o into buf; the length when the signed line stays below max_tracer, else -1. */
static int body_try(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
		    const struct body_opts *o, size_t max_tracer)
{
	struct jw w = {.p = buf, .cap = cap > 0 ? cap - 1 : 0};
	body_build(&w, f, m, o);
	if (w.over || ofd_tracer_signed_len(w.len) >= max_tracer)
		return -1;
	buf[w.len] = 0;
	return (int)w.len;
}

/*
 * The contact cut to the longest prefix (at a UTF-8 boundary, at least one byte) with which the
 * body fits, else left out; o has every optional field dropped. The length, or OFD_ELIMIT.
 */
static int body_cut_contact(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
			    struct body_opts *o, size_t max_tracer)
{
	const char *c = o->contact;
	size_t n = o->clen, lo = 0, hi = n; /* the longest cut that fits is in [lo, hi) */
	o->contact_cut = 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		o->clen = ofd_utf8_cut(c, n, mid);
		if (o->clen && body_try(buf, cap, f, m, o, max_tracer) >= 0)
			lo = mid;
		else
			hi = mid;
	}
	o->clen = ofd_utf8_cut(c, n, lo);
	if (!o->clen)
		o->contact = NULL;
	int len = body_try(buf, cap, f, m, o, max_tracer);
	if (len < 0 && o->contact) { /* cannot happen: lo was tried; left out as a last resort */
		o->contact = NULL;
		len = body_try(buf, cap, f, m, o, max_tracer);
	}
	return len < 0 ? OFD_ELIMIT : len;
}

static int body_fit(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
		    size_t max_tracer, int cut)
{
	enum opt opts[OPT__COUNT];
	unsigned nopts = opt_list(f, opts);
	if ((unsigned)m->cls >= NCLASSES)
		return OFD_EFORMAT;
	if (max_tracer == 0 || max_tracer > OFD_TRACER_MAX)
		max_tracer = OFD_TRACER_MAX;
	struct body_opts o = {
	    .opts = opts, .contact = m->contact, .clen = m->contact ? strlen(m->contact) : 0};
	/* all optional fields first; then leave them out from the last until the tracer fits */
	for (unsigned keep = nopts + 1; keep-- > 0;) {
		o.nopts = keep;
		o.dropped = 0;
		for (unsigned i = keep; i < nopts; i++)
			o.dropped |= 1u << opts[i];
		int len = body_try(buf, cap, f, m, &o, max_tracer);
		if (len >= 0)
			return len;
	}
	if (!cut || !m->contact)
		return OFD_ELIMIT;
	return body_cut_contact(buf, cap, f, m, &o, max_tracer);
}

int ofd_tracer_body(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
		    size_t max_tracer)
{
	return body_fit(buf, cap, f, m, max_tracer, 0);
}

int ofd_tracer_body_cut(char *buf, size_t cap, const struct ofd_flow *f, const struct ofd_tracer_meta *m,
			size_t max_tracer)
{
	return body_fit(buf, cap, f, m, max_tracer, 1);
}

/* ---- the signed line ---- */

#define SIG_KEY_LIT  ", \"signature\": {\"key\": \""
#define SIG_SIG_LIT  "\", \"signature\": \""
#define SIG_TAIL_LIT "\"}}"

/*
 * Standard base64 with padding (sodium_base64_VARIANT_ORIGINAL) of in[n] into out; its length,
 * 4 * ceil(n / 3). Table-driven: the signature and the body are public, so libsodium's
 * constant-time encoder (several times slower) buys nothing here.
 */
static size_t b64_encode(char *out, const uint8_t *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0, o = 0;
	for (; n - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i > 0) {
		uint32_t v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = n - i == 2 ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

size_t ofd_tracer_signed_len(size_t blen)
{
	size_t b64 = sodium_base64_encoded_len(OFD_SIG_LEN + blen, sodium_base64_VARIANT_ORIGINAL) - 1;
	/* "{" + the body's members + the signature member + "}" */
	return 1 + (blen > 2 ? blen - 2 : 0) + (sizeof(SIG_KEY_LIT) - 1) + 2 * OFD_KEY_PUB_LEN +
	       (sizeof(SIG_SIG_LIT) - 1) + b64 + (sizeof(SIG_TAIL_LIT) - 1);
}

int ofd_tracer_sign(char *out, size_t cap, const char *body, size_t blen, const struct ofd_key *k)
{
	uint8_t sm[OFD_SIG_LEN + OFD_TRACER_MAX]; /* signature || body, NaCl's attached form */
	if (blen < 3 || body[0] != '{' || body[blen - 1] != '}')
		return OFD_EFORMAT;
	if (blen > OFD_TRACER_MAX)
		return OFD_ELIMIT;
	size_t need = ofd_tracer_signed_len(blen);
	if (need > OFD_TRACER_MAX || need >= cap)
		return OFD_ELIMIT;
	ofd_key_sign(k, (const uint8_t *)body, blen, sm);
	memcpy(sm + OFD_SIG_LEN, body, blen);

	struct jw w = {.p = out, .cap = cap};
	jw_lit(&w, "{");
	jw_raw(&w, body + 1, blen - 2);
	jw_lit(&w, SIG_KEY_LIT);
	ofd_key_public_hex(k, out + w.len); /* need < cap leaves room for its terminator */
	w.len += 2 * OFD_KEY_PUB_LEN;
	jw_lit(&w, SIG_SIG_LIT);
	w.len += b64_encode(out + w.len, sm, OFD_SIG_LEN + blen);
	jw_lit(&w, SIG_TAIL_LIT);
	if (w.over || w.len != need)
		return OFD_ELIMIT; /* cannot happen: need was checked */
	out[w.len] = 0;
	return (int)w.len;
}
