/* RPKI-to-Router client state machine (RFC 8210 / RFC 6810): see rtr.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtr_int.h"
#include "ofd/rd.h"

#define ENCAP_MAX 64
#define TEXT_MAX  255

int ofd_rtr_new(struct ofd_rtr **out, const struct ofd_rtr_opts *opts)
{
	struct ofd_rtr *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (opts)
		r->o = *opts;
	if (r->o.max_pdu < 64)
		r->o.max_pdu = 65536;
	if (!r->o.max_vrps)
		r->o.max_vrps = 4000000;
	if (!r->o.refresh_s)
		r->o.refresh_s = 3600;
	if (!r->o.retry_s)
		r->o.retry_s = 600;
	if (!r->o.expire_s)
		r->o.expire_s = 7200;
	r->version = r->o.version0 ? 0 : 1;
	r->refresh = r->o.refresh_s;
	r->retry = r->o.retry_s;
	r->expire = r->o.expire_s;
	r->in = malloc(r->o.max_pdu);
	if (!r->in) {
		free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void ofd_rtr_free(struct ofd_rtr *r)
{
	if (!r)
		return;
	ofd_vrp_table_clear(&r->cur);
	ofd_vrp_table_clear(&r->pend);
	ofd_vrpset_free(r->ready);
	free(r->in);
	free(r);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int queue(struct ofd_rtr *r, const uint8_t *pdu, size_t n)
{
	if (r->out_len + n > OUT_CAP)
		return 0; /* never with one query or report in flight; dropped rather than grown */
	memcpy(r->out + r->out_len, pdu, n);
	r->out_len += n;
	return OFD_RTR_EV_OUTPUT;
}

static int send_query(struct ofd_rtr *r, int64_t now)
{
	uint8_t q[12] = {(uint8_t)r->version};
	if (r->have_session) {
		q[1] = OFD_RTR_SERIAL_QUERY;
		put16(q + 2, r->session);
		put32(q + 4, 12);
		put32(q + 8, r->serial);
		r->query_reset = 0;
	} else {
		q[1] = OFD_RTR_RESET_QUERY;
		put32(q + 4, 8);
		r->query_reset = 1;
	}
	if (!r->have_session)
		r->stats.reset_queries++;
	r->st = ST_QUERY_SENT;
	r->query_at = now;
	return queue(r, q, r->have_session ? 12 : 8);
}

/* Close the session on an error: queue an Error Report (code, the offending PDU's first bytes,
   text), forget the session (the next connection starts with a Reset Query). */
static int fail(struct ofd_rtr *r, unsigned code, const uint8_t *pdu, size_t pdu_len, const char *text)
{
	size_t enc = pdu_len > ENCAP_MAX ? ENCAP_MAX : pdu_len, tl = strlen(text);
	uint8_t rep[8 + 4 + ENCAP_MAX + 4 + 128];
	if (tl > 128)
		tl = 128;
	size_t n = 8 + 4 + enc + 4 + tl;
	rep[0] = (uint8_t)r->version;
	rep[1] = OFD_RTR_ERROR_REPORT;
	put16(rep + 2, (uint16_t)code);
	put32(rep + 4, (uint32_t)n);
	put32(rep + 8, (uint32_t)enc);
	if (enc)
		memcpy(rep + 12, pdu, enc);
	put32(rep + 12 + enc, (uint32_t)tl);
	memcpy(rep + 16 + enc, text, tl);
	int ev = queue(r, rep, n);
	snprintf(r->err, sizeof(r->err), "sent Error Report %u: %s", code, text);
	r->stats.errors_sent++;
	r->have_session = 0;
	r->st = ST_CLOSED;
	ofd_vrp_table_clear(&r->pend);
	return ev | OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR;
}

static const char *code_name(unsigned c)
{
	static const char *const names[] = {"Corrupt Data",
					    "Internal Error",
					    "No Data Available",
					    "Invalid Request",
					    "Unsupported Protocol Version",
					    "Unsupported PDU Type",
					    "Withdrawal of Unknown Record",
					    "Duplicate Announcement Received",
					    "Unexpected Protocol Version"};
	return c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown code";
}

/* An Error Report from the cache: the text, bounded and sanitised, into r->err. */
static void error_report(struct ofd_rtr *r, const uint8_t *pdu, size_t len)
{
	struct ofd_rd rd = ofd_rd_make(pdu, len);
	ofd_rd_skip(&rd, 2);
	unsigned code = ofd_rd_u16(&rd);
	ofd_rd_skip(&rd, 4);
	uint32_t enc = ofd_rd_u32(&rd);
	ofd_rd_skip(&rd, enc);
	uint32_t tl = ofd_rd_u32(&rd);
	char text[TEXT_MAX + 1];
	size_t k = 0;
	if (!rd.err && tl > ofd_rd_left(&rd))
		rd.err = 1; /* the text runs past the PDU: keep what is there */
	if (ofd_rd_left(&rd) > 0 && rd.p < rd.end) {
		size_t avail = ofd_rd_left(&rd) < tl ? ofd_rd_left(&rd) : tl;
		for (size_t i = 0; i < avail && k < TEXT_MAX; i++) {
			uint8_t c = rd.p[i];
			text[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	text[k] = 0;
	r->stats.errors_recv++;
	snprintf(r->err, sizeof(r->err), "cache sent Error Report %u (%s)%s%s%s", code, code_name(code),
		 rd.err ? " (malformed)" : "", k ? ": " : "", text);
}

static unsigned clamp(uint32_t v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

static int prefix_pdu(struct ofd_rtr *r, const uint8_t *p, size_t len, int v6)
{
	if (r->st != ST_IN_RESPONSE)
		return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "prefix outside a Cache Response");
	unsigned flags = p[8], plen = p[9], maxlen = p[10], top = v6 ? 128 : 32;
	struct ofd_prefix pf;
	memset(&pf, 0, sizeof(pf));
	if (v6) {
		pf.addr.family = OFD_AF_INET6;
		memcpy(pf.addr.b, p + 12, 16);
	} else {
		pf.addr.family = OFD_AF_INET;
		pf.addr.b[10] = pf.addr.b[11] = 0xff;
		memcpy(pf.addr.b + 12, p + 12, 4);
	}
	uint32_t asn = ofd_be32(p + (v6 ? 28 : 16));
	pf.len = (uint8_t)(plen + (v6 ? 0 : 96));
	struct ofd_vrp v;
	if (plen > top || ofd_vrp_make(&v, &pf, maxlen, asn) != 0)
		return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "bad prefix, length or maxLength");
	struct ofd_vrp_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, v.prefix.addr.b, 16);
	k.len = v.prefix.len;
	k.maxlen = v.maxlen;
	k.asn = v.asn;
	r->changes++;
	if (flags & 1) {
		r->stats.announced++;
		if (r->pend.n >= r->o.max_vrps)
			return fail(r, OFD_RTR_ERR_INTERNAL, p, len, "too many VRPs");
		int rc = ofd_vrp_table_add(&r->pend, &k);
		if (rc == 1)
			return fail(r, OFD_RTR_ERR_DUPLICATE, p, len, "duplicate announcement");
		if (rc)
			return fail(r, OFD_RTR_ERR_INTERNAL, p, len, "out of memory");
	} else {
		r->stats.withdrawn++;
		if (ofd_vrp_table_del(&r->pend, &k) != 0)
			return fail(r, OFD_RTR_ERR_WITHDRAW_UNKNOWN, p, len, "withdrawal of an unknown VRP");
	}
	return 0;
}

static int end_of_data(struct ofd_rtr *r, const uint8_t *p, size_t len, int64_t now)
{
	if (r->st != ST_IN_RESPONSE)
		return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "End of Data outside a Cache Response");
	if (ofd_be16(p + 2) != r->session)
		return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "End of Data of another session");
	r->serial = ofd_be32(p + 8);
	if (r->version >= 1) {
		/* RFC 8210 section 6 ranges */
		r->refresh = clamp(ofd_be32(p + 12), 1, 86400);
		r->retry = clamp(ofd_be32(p + 16), 1, 7200);
		r->expire = clamp(ofd_be32(p + 20), 600, 172800);
	}
	/* a new set unless a Serial Query brought no change to a set still in force */
	int ev = OFD_RTR_EV_SET;
	if (r->query_reset || r->changes || r->expired_reported || !r->have_set) {
		struct ofd_vrpset *s;
		if (ofd_vrp_table_freeze(&r->pend, &s) != 0)
			return fail(r, OFD_RTR_ERR_INTERNAL, p, len, "out of memory");
		struct ofd_vrp_table t = r->cur;
		r->cur = r->pend;
		r->pend = t;
		ofd_vrpset_free(r->ready);
		r->ready = s;
		r->stats.updates++;
	} else {
		ev = 0;
		r->stats.unchanged++;
	}
	ofd_vrp_table_clear(&r->pend);
	r->have_session = 1;
	r->have_set = 1;
	r->expired_reported = 0;
	r->last_eod = now;
	r->next_query_at = now + (int64_t)r->refresh * 1000;
	r->st = ST_IDLE;
	if (r->notify_pending) {
		r->notify_pending = 0;
		ev |= send_query(r, now);
	}
	return ev;
}

static int cache_response(struct ofd_rtr *r, const uint8_t *p, size_t len)
{
	if (r->st != ST_QUERY_SENT)
		return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "unexpected Cache Response");
	uint16_t sid = ofd_be16(p + 2);
	if (r->query_reset) {
		r->session = sid;
		ofd_vrp_table_clear(&r->pend);
	} else {
		if (sid != r->session)
			return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "Cache Response of another session");
		if (ofd_vrp_table_copy(&r->pend, &r->cur) != 0)
			return fail(r, OFD_RTR_ERR_INTERNAL, p, len, "out of memory");
	}
	r->st = ST_IN_RESPONSE;
	r->changes = 0;
	return 0;
}

/* Expected length of a fixed-size PDU type in version v (0: variable). */
static uint32_t fixed_len(unsigned type, unsigned v)
{
	switch (type) {
	case OFD_RTR_SERIAL_NOTIFY: return 12;
	case OFD_RTR_CACHE_RESPONSE: return 8;
	case OFD_RTR_IPV4_PREFIX: return 20;
	case OFD_RTR_IPV6_PREFIX: return 32;
	case OFD_RTR_END_OF_DATA: return v ? 24 : 12;
	case OFD_RTR_CACHE_RESET: return 8;
	default: return 0;
	}
}

static int pdu(struct ofd_rtr *r, const uint8_t *p, uint32_t len, int64_t now)
{
	unsigned ver = p[0], type = p[1];
	int ev;
	r->stats.pdus++;
	if (ver != r->version) {
		if (ver == 0 && r->version == 1 && !r->version_fixed) {
			/* a version 0 cache: fall back for good, reconnect */
			r->version = 0;
			r->stats.downgrades++;
			r->have_session = 0;
			r->st = ST_CLOSED;
			if (type == OFD_RTR_ERROR_REPORT)
				error_report(r, p, len);
			size_t l = strlen(r->err);
			snprintf(r->err + l, sizeof(r->err) - l, "%sfalling back to RTR version 0",
				 l ? "; " : "");
			return OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR;
		}
		if (type == OFD_RTR_ERROR_REPORT) {
			error_report(r, p, len);
			r->st = ST_CLOSED;
			r->have_session = 0;
			return OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR;
		}
		if (ver > 1)
			return fail(r, OFD_RTR_ERR_UNSUPPORTED_VERSION, p, len,
				    "unsupported protocol version");
		return fail(r, r->version ? OFD_RTR_ERR_UNEXPECTED_VERSION : OFD_RTR_ERR_UNSUPPORTED_VERSION,
			    p, len, "unexpected protocol version");
	}
	r->version_fixed = 1;
	uint32_t want = fixed_len(type, ver);
	if (want && len != want)
		return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "bad PDU length");
	switch (type) {
	case OFD_RTR_SERIAL_NOTIFY:
		r->stats.notifies++;
		if (r->st == ST_IDLE)
			return send_query(r, now);
		r->notify_pending = 1;
		return 0;
	case OFD_RTR_CACHE_RESPONSE: return cache_response(r, p, len);
	case OFD_RTR_IPV4_PREFIX: return prefix_pdu(r, p, len, 0);
	case OFD_RTR_IPV6_PREFIX: return prefix_pdu(r, p, len, 1);
	case OFD_RTR_END_OF_DATA: return end_of_data(r, p, len, now);
	case OFD_RTR_CACHE_RESET:
		if (r->st != ST_QUERY_SENT && r->st != ST_IDLE)
			return fail(r, OFD_RTR_ERR_CORRUPT, p, len, "unexpected Cache Reset");
		r->stats.resets++;
		r->have_session = 0;
		return send_query(r, now);
	case OFD_RTR_ROUTER_KEY:
		if (ver < 1 || len < 8 + 20 + 4)
			return fail(r, ver < 1 ? OFD_RTR_ERR_UNSUPPORTED_PDU : OFD_RTR_ERR_CORRUPT, p, len,
				    "bad Router Key");
		r->stats.router_keys++;
		return 0;
	case OFD_RTR_ERROR_REPORT:
		error_report(r, p, len);
		if (ofd_be16(p + 2) == OFD_RTR_ERR_NO_DATA) {
			r->st = ST_IDLE; /* ask again after the retry interval */
			r->next_query_at = now + (int64_t)r->retry * 1000;
			return OFD_RTR_EV_ERROR;
		}
		/* fatal: the session is forgotten, the next connection starts from a Reset Query (a
		   cache restarted with a new session id answers our Serial Query with Corrupt Data:
		   then OFD_RTR_EV_RESET, as for a Serial Query left unanswered) */
		ev = r->st == ST_QUERY_SENT && !r->query_reset && r->have_session ? OFD_RTR_EV_RESET : 0;
		r->st = ST_CLOSED;
		r->have_session = 0;
		ofd_vrp_table_clear(&r->pend);
		return ev | OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR;
	default: return fail(r, OFD_RTR_ERR_UNSUPPORTED_PDU, p, len, "unsupported PDU type");
	}
}

int ofd_rtr_feed(struct ofd_rtr *r, const void *buf, size_t n, int64_t now)
{
	const uint8_t *b = buf;
	int ev = 0;
	while (n > 0 && r->st != ST_CLOSED) {
		if (r->in_len < 8) {
			size_t take = 8 - r->in_len < n ? 8 - r->in_len : n;
			memcpy(r->in + r->in_len, b, take);
			r->in_len += take;
			b += take;
			n -= take;
			if (r->in_len < 8)
				break;
		}
		uint32_t len = ofd_be32(r->in + 4);
		if (len < 8 || len > r->o.max_pdu) {
			ev |= fail(r, OFD_RTR_ERR_CORRUPT, r->in, 8, "bad PDU length");
			break;
		}
		size_t take = len - r->in_len < n ? len - r->in_len : n;
		memcpy(r->in + r->in_len, b, take);
		r->in_len += take;
		b += take;
		n -= take;
		if (r->in_len < len)
			break;
		r->in_len = 0;
		ev |= pdu(r, r->in, len, now);
	}
	return ev;
}

/* The connection ends (EOF, socket error, the retry interval passed) while a Serial Query has
   had no answer at all (no Cache Response, Cache Reset or Error Report): a cache restarted with
   a new session id may just drop it, and asking the same again would fail the same way. The
   session is forgotten: the next connection starts with a Reset Query (RFC 8210 section 8.1:
   a router that "fears that it has otherwise lost its way" resets). The VRPs in force stay
   (r->cur, and the set the caller holds) until the Reset's End of Data replaces them at once.
   A Reset Query unanswered changes nothing (the next one is a Reset Query anyway).
   OFD_RTR_EV_RESET | OFD_RTR_EV_ERROR, or 0 for any other state. */
static int unanswered(struct ofd_rtr *r, const char *why)
{
	if (r->st != ST_QUERY_SENT || r->query_reset || !r->have_session)
		return 0;
	r->have_session = 0;
	r->stats.unanswered++;
	snprintf(r->err, sizeof(r->err),
		 "%s before any answer to the Serial Query (session %u, serial %u): session forgotten, a "
		 "Reset Query next",
		 why, r->session, r->serial);
	return OFD_RTR_EV_RESET | OFD_RTR_EV_ERROR;
}

int ofd_rtr_connected(struct ofd_rtr *r, int64_t now)
{
	r->in_len = 0;
	r->out_len = 0;
	r->version_fixed = 0;
	r->notify_pending = 0;
	ofd_vrp_table_clear(&r->pend);
	return send_query(r, now);
}

int ofd_rtr_disconnected(struct ofd_rtr *r, int64_t now)
{
	(void)now;
	int ev = unanswered(r, "connection ended");
	r->st = ST_CLOSED;
	r->in_len = 0;
	ofd_vrp_table_clear(&r->pend);
	return ev;
}

int ofd_rtr_tick(struct ofd_rtr *r, int64_t now)
{
	int ev = 0;
	if (r->have_set && !r->expired_reported && now - r->last_eod >= (int64_t)r->expire * 1000) {
		r->expired_reported = 1;
		r->stats.expirations++;
		ev |= OFD_RTR_EV_EXPIRED;
	}
	if (r->st == ST_IDLE && now >= r->next_query_at)
		ev |= send_query(r, now);
	else if ((r->st == ST_QUERY_SENT || r->st == ST_IN_RESPONSE) &&
		 now - r->query_at >= (int64_t)r->retry * 1000) {
		char why[64];
		snprintf(why, sizeof(why), "the retry interval (%u s) passed", r->retry);
		int rs = unanswered(r, why);
		if (!rs)
			snprintf(r->err, sizeof(r->err),
				 "no answer from the cache within the retry interval (%u s)", r->retry);
		r->st = ST_CLOSED;
		ofd_vrp_table_clear(&r->pend);
		ev |= rs | OFD_RTR_EV_CLOSE | OFD_RTR_EV_ERROR;
	}
	return ev;
}

int64_t ofd_rtr_next_ms(const struct ofd_rtr *r, int64_t now)
{
	int64_t next = now + (int64_t)r->retry * 1000;
	if (r->have_set && !r->expired_reported && r->last_eod + (int64_t)r->expire * 1000 < next)
		next = r->last_eod + (int64_t)r->expire * 1000;
	if (r->st == ST_IDLE && r->next_query_at < next)
		next = r->next_query_at;
	if ((r->st == ST_QUERY_SENT || r->st == ST_IN_RESPONSE) &&
	    r->query_at + (int64_t)r->retry * 1000 < next)
		next = r->query_at + (int64_t)r->retry * 1000;
	return next > now ? next - now : 0;
}
