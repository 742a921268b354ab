/* The tracer receiver, composed (see receiver.h). */
#include "receiver/receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpus.h"
#include "format/promtext.h"
#include "ofd/log.h"
#include "receiver/learned.h"
#include "net/hostport.h"
#include "receiver/store.h"
#include "receiver/ui.h"
#include "receiver/writer.h"

struct ofd_receiver {
	struct ofd_receiver_opts o;
	char *udp, *http, *db, *tls_cert, *tls_key, *ui; /* the copies o points to */
	struct ofd_prefix *trusted, *mine;
	struct ofd_ui *page; /* the web page, while it runs */
	struct ofd_store *store;
	struct ofd_writer *writer; /* NULL once stopped */
	struct ofd_listen *l;	   /* set by ofd_listen_start before any tracer arrives */
};

/* In a verifying thread: queue the tracer to the store writer (its result comes to done()).
   An HTTP request's (token) never waits for room: busy, answered 503. */
static int receiver_accept(void *ctx, const struct ofd_tracer_msg *m, const char *raw, size_t len,
			   const struct ofd_ip *sender, uint64_t recv_ns, void *token)
{
	struct ofd_receiver *r = ctx;
	int rc = token ? ofd_writer_offer(r->writer, m, raw, len, sender, recv_ns, token)
		       : ofd_writer_submit(r->writer, m, raw, len, sender, recv_ns);
	return rc == 0 ? OFD_LISTEN_QUEUED : rc == -EAGAIN ? OFD_LISTEN_BUSY : OFD_EFORMAT;
}

/* In the writer thread: an add's committed result, into the listener's counters and, for an
   HTTP tracer, its answer. */
static void receiver_done(void *ctx, int rc, void *token)
{
	struct ofd_receiver *r = ctx;
	if (r->l) /* NULL when the listener failed to start: nothing to count into */
		ofd_listen_result(r->l, rc, token);
}

/* In an HTTP thread: the store's counters in /metrics (as of the writer's last commit). */
static void receiver_metrics(void *ctx, struct ofd_prom *w)
{
	struct ofd_receiver *r = ctx;
	struct ofd_store_stats st;
	ofd_receiver_store_stats(r, &st);
	ofd_prom_family(w, "overflowd_store_refused_total", OFD_PROM_COUNTER,
			"Valid tracers the store refused: over its disk budget (full), over the hourly "
			"quota of their key (key_quota) or of their sender's network (net_quota).");
	ofd_prom_u64(w, OFD_PROM_LABELS({"reason", "full"}), st.full);
	ofd_prom_u64(w, OFD_PROM_LABELS({"reason", "key_quota"}), st.quota_key);
	ofd_prom_u64(w, OFD_PROM_LABELS({"reason", "net_quota"}), st.quota_net);
	ofd_prom_single(w, "overflowd_store_pruned_total", OFD_PROM_COUNTER,
			"Tracers deleted by retention (age, rows, the disk budget).", st.pruned);
	ofd_prom_single(w, "overflowd_store_history_pruned_total", OFD_PROM_COUNTER,
			"Key history rows (keys, their networks and contacts) deleted with their tracers.",
			st.history_pruned);
	ofd_prom_single(w, "overflowd_store_errors_total", OFD_PROM_COUNTER,
			"Tracers the store failed to add (SQLite errors).", st.errors);
}

/* The port of a hostport address, or -1 when it is in no hostport form. */
static int rc_port(const char *addr)
{
	struct sockaddr_storage ss;
	if (ofd_hostport_parse(addr, &ss, NULL))
		return -1;
	return ss.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A copy of s into *dst (NULL stays NULL); 0 or -ENOMEM. */
static int receiver_dup(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? -ENOMEM : 0;
}

int ofd_receiver_new(struct ofd_receiver **out, const struct ofd_receiver_opts *o, char *err, size_t errlen)
{
	struct ofd_receiver *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->o = *o;
	if (receiver_dup(&r->udp, o->udp) || receiver_dup(&r->http, o->http) || receiver_dup(&r->db, o->db) ||
	    receiver_dup(&r->tls_cert, o->tls_cert) || receiver_dup(&r->tls_key, o->tls_key) ||
	    receiver_dup(&r->ui, o->ui)) {
		ofd_receiver_free(r);
		return -ENOMEM;
	}
	r->o.udp = r->udp, r->o.http = r->http, r->o.db = r->db;
	r->o.tls_cert = r->tls_cert, r->o.tls_key = r->tls_key, r->o.ui = r->ui;
	if (o->nmine) {
		r->mine = malloc(o->nmine * sizeof(*r->mine));
		if (!r->mine) {
			ofd_receiver_free(r);
			return -ENOMEM;
		}
		memcpy(r->mine, o->mine, o->nmine * sizeof(*r->mine));
	}
	r->o.mine = r->mine;
	if (r->ui &&
	    (rc_port(r->ui) < 0 || (r->http && rc_port(r->ui) && rc_port(r->ui) == rc_port(r->http)))) {
		snprintf(err, errlen,
			 rc_port(r->ui) < 0 ? "ui: address \"%s\": expected " OFD_HOSTPORT_FORMS
					    : "ui: %s: the page is never served on the tracer port",
			 r->ui);
		ofd_receiver_free(r);
		return OFD_ECONFIG;
	}
	if (o->ntrusted_proxies) {
		r->trusted = malloc(o->ntrusted_proxies * sizeof(*r->trusted));
		if (!r->trusted) {
			ofd_receiver_free(r);
			return -ENOMEM;
		}
		memcpy(r->trusted, o->trusted_proxies, o->ntrusted_proxies * sizeof(*r->trusted));
	}
	r->o.trusted_proxies = r->trusted;
	char why[512] = "";
	int rc = ofd_store_open(&r->store, r->db ? r->db : "", why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "%s: %s", r->db ? r->db : "(no database)", why);
		ofd_receiver_free(r);
		return rc;
	}
	ofd_store_set_limits(r->store, &o->limits);
	*out = r;
	return 0;
}

/* The keys with a good history in the store (before the writer uses it), or NULL with *n 0
   (without UDP, or when the store cannot say: the start goes on without them). */
static struct ofd_learned_good *receiver_good_keys(struct ofd_receiver *r, size_t *n)
{
	*n = 0;
	if (!r->o.udp)
		return NULL;
	struct ofd_learned_good *g = malloc(OFD_RECEIVER_GOOD_MAX * sizeof(*g));
	int k = g ? ofd_learned_good_keys(r->store, r->o.good_min ? r->o.good_min : OFD_RECEIVER_GOOD_MIN, g,
					  OFD_RECEIVER_GOOD_MAX)
		  : -ENOMEM;
	if (k <= 0) {
		if (k < 0)
			ofd_warn("receiver: key history unreadable (%d): no key starts with UDP priority", k);
		free(g);
		return NULL;
	}
	*n = (size_t)k;
	return g;
}

/* Trust the good keys, the least active first: a key the table has no room for evicts the
   oldest of the fewest tracers, so the most active ones stay. */
static void receiver_trust(struct ofd_receiver *r, const struct ofd_learned_good *g, size_t n)
{
	while (n--)
		ofd_listen_trust_key(r->l, g[n].key, g[n].net.family ? &g[n].net : NULL);
}

int ofd_receiver_start(struct ofd_receiver *r, char *err, size_t errlen)
{
	size_t ngood;
	struct ofd_learned_good *good = receiver_good_keys(r, &ngood);
	struct ofd_writer_cfg wcfg = {.store = r->store,
				      .max_age_s = r->o.max_age_s,
				      .max_rows = r->o.max_rows,
				      .done = receiver_done,
				      .ctx = r};
	if (ofd_writer_start(&r->writer, &wcfg)) {
		free(good);
		r->writer = NULL;
		snprintf(err, errlen, "cannot start the store writer");
		return -ENOMEM;
	}
	struct ofd_listen_cfg cfg = {.udp = r->o.udp,
				     .http = r->o.http,
				     .ours = r->o.ours,
				     .accept = receiver_accept,
				     .ctx = r,
				     .accept_concurrent = 1,
				     .tls_cert = r->o.tls_cert,
				     .tls_key = r->o.tls_key,
				     .trusted_proxies = r->o.trusted_proxies,
				     .ntrusted_proxies = r->o.ntrusted_proxies,
				     .proxy_header = r->o.proxy_header,
				     .metrics = receiver_metrics,
				     .udp_budget = r->o.udp_budget,
				     .udp_share = r->o.udp_share,
				     .udp_workers = r->o.workers ? r->o.workers : ofd_online_cpus()};
	cfg.limits = (struct ofd_tv_limits){r->o.max_tracer, r->o.max_past_s, r->o.max_future_s};
	int rc = ofd_listen_start(&r->l, &cfg);
	if (!rc)
		receiver_trust(r, good, ngood);
	free(good);
	if (!rc && r->o.ui) {
		const struct ofd_ui_cfg ucfg = {
		    .addr = r->o.ui, .db = r->db, .mine = r->mine, .nmine = r->o.nmine};
		rc = ofd_ui_start(&r->page, &ucfg, err, errlen);
		if (rc) {
			ofd_receiver_stop(r);
			ofd_listen_stop(r->l);
			r->l = NULL;
			return rc;
		}
	}
	if (rc) {
		r->l = NULL;
		ofd_writer_stop(r->writer);
		r->writer = NULL;
		if (errlen)
			err[0] = 0; /* the listener logged why */
		return rc;
	}
	return 0;
}

uint16_t ofd_receiver_http_port(const struct ofd_receiver *r)
{
	return r->l ? ofd_listen_http_port(r->l) : 0;
}

uint16_t ofd_receiver_ui_port(const struct ofd_receiver *r)
{
	return ofd_ui_port(r->page);
}

uint16_t ofd_receiver_udp_port(const struct ofd_receiver *r, unsigned i)
{
	return r->l ? ofd_listen_udp_port(r->l, i) : 0;
}

void ofd_receiver_counters(const struct ofd_receiver *r, struct ofd_listen_counters *c)
{
	if (r->l)
		ofd_listen_counters(r->l, c);
	else
		memset(c, 0, sizeof(*c));
}

void ofd_receiver_store_stats(const struct ofd_receiver *r, struct ofd_store_stats *st)
{
	if (r->writer)
		ofd_writer_stats(r->writer, st); /* the writer thread owns the store */
	else
		ofd_store_get_stats(r->store, st);
}

void ofd_receiver_stop(struct ofd_receiver *r)
{
	ofd_ui_stop(r->page); /* the page reads the store: first */
	r->page = NULL;
	if (r->l)
		ofd_listen_halt(r->l); /* everything received is verified and queued */
	if (r->writer)
		ofd_writer_stop(r->writer); /* and stored */
	r->writer = NULL;
}

void ofd_receiver_free(struct ofd_receiver *r)
{
	if (!r)
		return;
	ofd_receiver_stop(r);
	ofd_listen_stop(r->l);
	ofd_store_close(r->store);
	free(r->udp);
	free(r->http);
	free(r->db);
	free(r->tls_cert);
	free(r->tls_key);
	free(r->trusted);
	free(r->mine);
	free(r->ui);
	free(r);
}
