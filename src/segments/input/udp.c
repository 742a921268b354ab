/*
 * udp: receives NetFlow v5/v9, IPFIX and sFlow v5 export datagrams on the sockets of a listen
 * string (src/net/udp.h) and decodes them (src/decode/decode.h) into the pipeline, in `workers`
 * threads, each with its own SO_REUSEPORT sockets, decoder and batch (ofd_udp_open_workers says
 * which datagrams go to which worker). The sockets are bound at init, so that a taken port
 * refuses the start. Records go on when a batch is full, and at once whenever the sockets go
 * quiet; ofd_segment_stopping() is checked at least every 100 ms. Decoder and socket counters
 * are reported, summed over the workers, as they change. summary prints what `overflowd dump`
 * shows on stderr (summary.h) when the input ends: datagrams and socket drops, the state file's
 * load and save, the decoder's counters, each summed over the workers.
 *
 * listen: flowpipeline's goflow syntax, comma-separated `scheme://[address]:port` items with the
 * schemes sflow, netflow, nfl (goflow2's NetFlow v5 legacy) and flow, and ours, udp; every
 * scheme is alike (each datagram tells its format). Spaces around items are ignored; a URL query
 * (`?count=4`, goflow2's per-listener options) is accepted and ignored with a warning (`workers`
 * sets the threads). check() refuses a bad scheme, address or port, so that --check does.
 *
 * exporters / unlisted: the allow-list (segments/common/exporters.h). Each datagram is judged by
 * its UDP source address: loopback is local, listed is listed, anything else is dropped (counted
 * as the decoder drop unlisted_exporter, logged at a rate limit) or, with `unlisted: decode`,
 * decoded with its templates in the small unlisted budget. Without a list everything but
 * loopback is decoded as unlisted, in the main budget. The decoder gives each record its
 * origin and export_bytes (decode.h).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/cpus.h"
#include "decode/decode.h"
#include "decode/decode_metrics.h"
#include "decode/template.h"
#include "decode/tmpl_state.h"
#include "net/udp.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/common/exporters.h"
#include "segments/common/insum.h"
#include "udp_seg.h"

#define UDP_POLL_MS 100
#define UDP_QUIET   64 /* fewer datagrams than this in one poll: the sockets went quiet */

struct udp_state;

/* One receiving thread: its sockets (SO_REUSEPORT siblings of the others'), its decoder with
   its own templates, and its batch (worker 0: the input's own). */
struct udp_worker {
	struct udp_state *s;
	struct ofd_udp *udp;
	struct ofd_decoder *dec;
	struct ofd_batch *b;
	struct ofd_batch *own; /* workers after the first */
	pthread_t thread;
	int started;
	int rc;
	uint64_t next_save_ns; /* CLOCK_MONOTONIC */
};

struct udp_state {
	char *listen;
	char *norm; /* listen in net/udp.h's form (init to fini) */
	uint64_t rcvbuf;
	uint64_t workers; /* 0: one per core */
	char *
	    state_file; /* templates and options state: loaded at init, saved at an interval and at the end */
	uint64_t state_interval_ns;
	int summary; /* print dump's summary to stderr at the end */
	struct ofd_strlist exporters;
	int unlisted;		 /* enum ofd_unlisted */
	struct ofd_exporters ex; /* the list, shared by the workers (read only) */
	unsigned nw;
	struct udp_worker *w;
	struct ofd_segment *seg; /* during start() */
	atomic_int failed;
	pthread_mutex_t mu;	      /* pub and the sums reported */
	struct ofd_decode_stats *pub; /* each worker's counters as it last reported them */
	/* snap, and writing the state file: apart from mu, so that a write with its fsyncs does not
	   hold up the other workers' reports */
	pthread_mutex_t snap_mu;
	struct ofd_tmpl_snap **snap; /* each worker's templates as it last took them (state_file) */
};

static void udp_free_workers(struct udp_state *s)
{
	for (unsigned i = 0; s->w && i < s->nw; i++) {
		ofd_udp_close(s->w[i].udp);
		ofd_decoder_free(s->w[i].dec);
		free(s->w[i].own);
	}
	for (unsigned i = 0; s->snap && i < s->nw; i++)
		ofd_tmpl_snap_free(s->snap[i]);
	free(s->w);
	free(s->pub);
	free(s->snap);
	s->w = NULL;
	s->pub = NULL;
	s->snap = NULL;
}

/* Every worker loads the whole state file: an exporter's datagrams may go to any of them. */
static int udp_load_state(struct ofd_segment *seg, struct udp_state *s)
{
	struct ofd_tmpl_state_info info;
	uint64_t now = ofd_time_now_ns();
	for (unsigned i = 0; i < s->nw; i++) {
		int err = ofd_tmpl_state_load(s->w[i].dec, s->state_file, now, &info);
		if (err == -ENOMEM)
			return err;
		ofd_decode_stats_refresh(s->w[i].dec); /* the template gauges, before any datagram */
	}
	if (s->summary)
		ofd_insum_state_loaded(s->state_file, &info, now);
	else if (info.missing)
		ofd_info("segment %s: state file %s: none yet", ofd_segment_name(seg), s->state_file);
	else if (!info.ignored)
		ofd_info(
		    "segment %s: state file %s: %u templates, %u options templates of %u exporters loaded "
		    "(%u stale, %u refused)",
		    ofd_segment_name(seg), s->state_file, info.templates, info.options_templates,
		    info.exporters, info.stale, info.refused);
	return 0;
}

/* Take this worker's snapshot (in its own thread); with `write`, write every worker's latest. */
static void udp_save_state(struct udp_worker *w, int write)
{
	struct udp_state *s = w->s;
	struct ofd_tmpl_snap *snap;
	if (ofd_tmpl_snap_take(&snap, w->dec) != 0) {
		ofd_warn("segment %s: no memory for a state snapshot", ofd_segment_name(s->seg));
		return;
	}
	pthread_mutex_lock(&s->snap_mu);
	ofd_tmpl_snap_free(s->snap[w - s->w]);
	s->snap[w - s->w] = snap;
	if (write) {
		unsigned n = 0;
		const struct ofd_tmpl_snap *all[OFD_UDP_MAX_WORKERS];
		for (unsigned i = 0; i < s->nw; i++)
			if (s->snap[i])
				all[n++] = s->snap[i];
		(void)ofd_tmpl_state_write(all, n, s->state_file); /* failures are logged */
	}
	pthread_mutex_unlock(&s->snap_mu);
}

/*
 * flowpipeline's listen string into net/udp.h's ("udp://HOST:PORT,..."), into out (outlen >= the
 * input's length + 1 + 3 per item). Returns 0, or -1 with the reason in err; *query is set when
 * an item had a `?query` (dropped).
 */
static int udp_listen_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen,
				int *query)
{
	static const char *const schemes[] = {"udp", "netflow", "sflow", "nfl", "flow"};
	size_t o = 0;
	*query = 0;
	out[0] = '\0';
	for (const char *p = in;;) {
		const char *comma = strchr(p, ','), *e = comma ? comma : p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		const char *sep = p, *q;
		while (sep + 2 < e && memcmp(sep, "://", 3))
			sep++;
		size_t sl = (size_t)(sep - p), i = 0;
		while (i < sizeof(schemes) / sizeof(schemes[0]) &&
		       (strlen(schemes[i]) != sl || strncasecmp(p, schemes[i], sl)))
			i++;
		if (sep + 2 >= e || i == sizeof(schemes) / sizeof(schemes[0])) {
			snprintf(err, errlen,
				 "key listen: \"%.*s\": expected scheme://[address]:port with scheme sflow, "
				 "netflow, nfl, flow or udp",
				 (int)(e - p > 64 ? 64 : e - p), p);
			return -1;
		}
		const char *h = sep + 3;
		if ((q = memchr(h, '?', (size_t)(e - h))) != NULL) {
			*query = 1;
			e = q;
		}
		const char *colon = h < e && *h == '[' ? memchr(h, ']', (size_t)(e - h)) : h;
		colon = colon ? memrchr(colon, ':', (size_t)(e - colon)) : NULL;
		char host[64] = "";
		size_t hl = colon ? (size_t)(colon - h) : 0;
		int ok = colon && e - colon >= 2 && e - colon <= 6 &&
			 strspn(colon + 1, "0123456789") >= (size_t)(e - colon - 1) && hl < sizeof(host) &&
			 strtoul(colon + 1, NULL, 10) <= 65535;
		if (ok && hl) {
			unsigned char a[16];
			int v6 = h[0] == '[';
			memcpy(host, h + v6, hl - 2 * (size_t)v6);
			host[hl - 2 * (size_t)v6] = '\0';
			ok = (!v6 || h[hl - 1] == ']') &&
			     (inet_pton(v6 ? AF_INET6 : AF_INET, host, a) == 1 || (v6 && !host[0]));
		}
		if (!ok) {
			snprintf(
			    err, errlen,
			    "key listen: \"%.*s\": expected [address]:port with an IPv4 address, an IPv6 "
			    "one in brackets or none, and a port 0-65535 (names are not resolved)",
			    (int)(e - h > 64 ? 64 : e - h), h);
			return -1;
		}
		int n = snprintf(out + o, outlen - o, "%sudp://%.*s", o ? "," : "", (int)(e - h), h);
		if (n < 0 || (size_t)n >= outlen - o) {
			snprintf(err, errlen, "key listen: too long");
			return -1;
		}
		o += (size_t)n;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int udp_init(struct ofd_segment *seg, void *state)
{
	struct udp_state *s = state;
	struct ofd_udp *socks[OFD_UDP_MAX_WORKERS];
	int err;
	if (s->rcvbuf > INT32_MAX) {
		ofd_err("%s:%u: segment %s: key rcvbuf: at most 2G", ofd_segment_file(seg),
			ofd_segment_line(seg), ofd_segment_name(seg));
		return OFD_ECONFIG;
	}
	char why[256];
	int query;
	size_t cap = strlen(s->listen) * 2 + 64;
	if (!(s->norm = malloc(cap)))
		return -ENOMEM;
	if (udp_listen_normalize(s->listen, s->norm, cap, why, sizeof(why), &query)) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", why);
		return OFD_ECONFIG;
	}
	if (query)
		ofd_seg_log(
		    seg, OFD_LOG_WARN,
		    "key listen: \"?...\" options of a listener are ignored (workers sets the threads)");
	err = ofd_exporters_init(&s->ex, &s->exporters, s->unlisted, why, sizeof(why));
	if (err) {
		ofd_err("%s:%u: segment %s: %s", ofd_segment_file(seg), ofd_segment_line(seg),
			ofd_segment_name(seg), why);
		return err;
	}
	s->nw = s->workers ? (unsigned)s->workers : ofd_online_cpus();
	s->w = calloc(s->nw, sizeof(*s->w));
	s->pub = calloc(s->nw, sizeof(*s->pub));
	s->snap = calloc(s->nw, sizeof(*s->snap));
	if (!s->w || !s->pub || !s->snap) {
		udp_free_workers(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->snap_mu, NULL);
	err = ofd_udp_open_workers(socks, s->nw, s->norm, (int)s->rcvbuf);
	if (err) {
		ofd_err("%s:%u: segment %s: cannot listen on %s: %s", ofd_segment_file(seg),
			ofd_segment_line(seg), ofd_segment_name(seg), s->listen, ofd_strerror(err));
		udp_free_workers(s);
		return err;
	}
	for (unsigned i = 0; i < s->nw; i++) {
		struct udp_worker *w = &s->w[i];
		w->s = s;
		w->udp = socks[i];
		if (!err)
			err = ofd_decoder_new(&w->dec, NULL);
		if (!err && i > 0 && !(w->own = malloc(sizeof(*w->own))))
			err = -ENOMEM;
	}
	if (!err && s->state_file)
		err = udp_load_state(seg, s);
	if (err)
		udp_free_workers(s);
	return err;
}

uint16_t ofd_seg_udp_port(const void *state, unsigned i)
{
	const struct udp_state *s = state;
	return s->w ? ofd_udp_port(s->w[0].udp, i) : 0;
}

static void on_dgram(const struct ofd_dgram *dg, void *ctx)
{
	struct udp_worker *w = ctx;
	enum ofd_origin origin;
	enum ofd_tmpl_budget budget;
	if (ofd_exporters_judge(&w->s->ex, &dg->src, &origin, &budget))
		(void)ofd_decode_from(w->dec, dg, origin, budget, w->b);
	else
		(void)ofd_decode_drop(w->dec, dg, OFD_DROP_UNLISTED_EXPORTER, 0, "not on the exporters list");
}

/* Publish this worker's decoder counters (with its sockets' drops): each worker's counters are
   written by its own thread only; udp_collect() sums them. */
static void udp_report(struct udp_worker *w)
{
	struct udp_state *s = w->s;
	struct ofd_decode_stats st = w->dec->st;
	const struct ofd_udp_stats *us = ofd_udp_stats(w->udp);
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		st.drops[i] += us->drops[i];
	pthread_mutex_lock(&s->mu);
	s->pub[w - s->w] = st;
	pthread_mutex_unlock(&s->mu);
}

/* Metrics: the sum of what the workers published. */
static void udp_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct udp_state *s = state;
	struct ofd_decode_stats *sum = malloc(sizeof(*sum));
	(void)seg;
	if (!sum)
		return;
	pthread_mutex_lock(&s->mu);
	*sum = s->pub[0];
	for (unsigned k = 1; k < s->nw; k++)
		ofd_decode_stats_add(sum, &s->pub[k]);
	pthread_mutex_unlock(&s->mu);
	ofd_decode_metrics_put(sink, sum);
	free(sum);
}

static void *udp_worker_main(void *arg)
{
	struct udp_worker *w = arg;
	struct udp_state *s = w->s;
	unsigned polls = 0;
	while (!ofd_segment_stopping(s->seg) && !atomic_load(&s->failed)) {
		int n = ofd_udp_poll(w->udp, UDP_POLL_MS, on_dgram, w);
		if (n < 0) {
			ofd_err("segment %s: receive failed: %s", ofd_segment_name(s->seg), ofd_strerror(n));
			w->rc = n;
			atomic_store(&s->failed, 1);
			break;
		}
		if (n < UDP_QUIET)
			ofd_batch_flush(w->b);
		if (n == 0 || ++polls % 64 == 0) {
			udp_report(w);
			if (s->state_file && s->state_interval_ns && ofd_time_mono_ns() >= w->next_save_ns) {
				udp_save_state(w, w == s->w); /* worker 0 writes what all took */
				w->next_save_ns = ofd_time_mono_ns() + s->state_interval_ns;
			}
		}
	}
	ofd_batch_flush(w->b);
	udp_report(w);
	if (s->state_file)
		udp_save_state(w, 0); /* written once all workers are done */
	return NULL;
}

/* The summary (key summary), once every worker is done: the sums over the workers. */
static void udp_summary(struct udp_state *s, int saved)
{
	struct ofd_decode_stats sum = s->w[0].dec->st;
	uint64_t datagrams = 0, drops[OFD_DROP__COUNT] = {0};
	uint32_t templates = 0, exporters = 0;
	for (unsigned i = 0; i < s->nw; i++) {
		const struct ofd_udp_stats *us = ofd_udp_stats(s->w[i].udp);
		datagrams += us->datagrams;
		for (int k = 0; k < OFD_DROP__COUNT; k++)
			drops[k] += us->drops[k];
		if (i)
			ofd_decode_stats_add(&sum, &s->w[i].dec->st);
		templates += ofd_tmpl_cache_templates(s->w[i].dec->tc);
		exporters += ofd_tmpl_cache_exporters(s->w[i].dec->tc);
	}
	fprintf(stderr, "%s: udp datagrams %" PRIu64 "\n", s->listen, datagrams);
	ofd_insum_drops("socket", drops);
	if (saved)
		ofd_insum_state_saved(s->state_file, templates, exporters);
	ofd_decode_stats_print(&sum, "");
}

static int udp_start(struct ofd_segment *seg, void *state)
{
	struct udp_state *s = state;
	int rc = 0;
	s->seg = seg;
	s->w[0].b = ofd_input_batch(seg);
	for (unsigned i = 0; i < s->nw; i++)
		s->w[i].next_save_ns = ofd_time_mono_ns() + s->state_interval_ns;
	for (unsigned i = 1; i < s->nw; i++) {
		struct udp_worker *w = &s->w[i];
		ofd_input_batch_init(seg, w->own);
		w->b = w->own;
		int e = pthread_create(&w->thread, NULL, udp_worker_main, w);
		if (e) {
			ofd_err("segment %s: cannot start worker %u: %s", ofd_segment_name(seg), i,
				strerror(e));
			atomic_store(&s->failed, 1);
			rc = -e;
			break;
		}
		w->started = 1;
	}
	if (!rc)
		udp_worker_main(&s->w[0]);
	for (unsigned i = 1; i < s->nw; i++)
		if (s->w[i].started)
			pthread_join(s->w[i].thread, NULL);
	int saved = 0;
	if (s->state_file && !rc) {
		const struct ofd_tmpl_snap *all[OFD_UDP_MAX_WORKERS];
		unsigned n = 0;
		for (unsigned i = 0; i < s->nw; i++)
			if (s->snap[i])
				all[n++] = s->snap[i];
		saved = ofd_tmpl_state_write(all, n, s->state_file) == 0;
	}
	if (s->summary)
		udp_summary(s, saved);
	for (unsigned i = 0; i < s->nw && !rc; i++)
		rc = s->w[i].rc;
	return rc;
}

static void udp_fini(struct ofd_segment *seg, void *state)
{
	struct udp_state *s = state;
	(void)seg;
	if (s->w) {
		pthread_mutex_destroy(&s->mu);
		pthread_mutex_destroy(&s->snap_mu);
	}
	udp_free_workers(s);
	ofd_exporters_fini(&s->ex);
	free(s->norm);
	s->norm = NULL;
}

static int udp_check(const void *state, char *err, size_t errlen)
{
	const struct udp_state *s = state;
	if (s->rcvbuf > INT32_MAX) {
		snprintf(err, errlen, "key rcvbuf: at most 2G");
		return OFD_ECONFIG;
	}
	size_t cap = strlen(s->listen) * 2 + 64;
	char *norm = malloc(cap);
	int query, rc = norm ? udp_listen_normalize(s->listen, norm, cap, err, errlen, &query) : -1;
	free(norm);
	if (rc) {
		if (!norm)
			snprintf(err, errlen, "out of memory");
		return OFD_ECONFIG;
	}
	return ofd_exporters_check(&s->exporters, err, errlen);
}

static const struct ofd_cfg_key udp_keys[] = {
    {.key = "listen",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct udp_state, listen),
     .def = "sflow://:6343,netflow://:2055",
     .help =
	 "comma-separated sockets, scheme://[address]:port with scheme sflow, netflow, nfl, flow or udp (all "
	 "alike: the format is told by each datagram; a ?query is ignored); no address: every IPv4 and IPv6 "
	 "address"},
    {.key = "rcvbuf",
     .type = OFD_CFG_SIZE,
     .offset = offsetof(struct udp_state, rcvbuf),
     .def = "8M",
     .help = "socket receive buffer (SO_RCVBUF) of each worker's socket: room for about 5,000 full "
	     "datagrams while the worker is descheduled; as root granted in full (SO_RCVBUFFORCE), else "
	     "up to net.core.rmem_max; 0 keeps the system default"},
    {.key = "workers",
     .type = OFD_CFG_UINT,
     .offset = offsetof(struct udp_state, workers),
     .def = "0",
     .max = OFD_UDP_MAX_WORKERS,
     .help = "receiving threads, each with its own SO_REUSEPORT socket, decoder and templates (0: one per "
	     "core); `overflowd -n N` and `jobs: N` set it when it is not given"},
    {.key = "state_file",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct udp_state, state_file),
     .help = "NetFlow v9/IPFIX templates and options (sampling) state: loaded at start, saved every "
	     "state_interval "
	     "and at the end, so that a restart decodes at once (none: not kept)"},
    {.key = "state_interval",
     .type = OFD_CFG_DURATION,
     .offset = offsetof(struct udp_state, state_interval_ns),
     .def = "60s",
     .help = "how often the state file is written (0: only at the end)"},
    {.key = "exporters",
     .type = OFD_CFG_STRLIST,
     .offset = offsetof(struct udp_state, exporters),
     .help = "the exporters whose datagrams are accepted, by UDP source address: addresses or prefixes "
	     "(192.0.2.1, 198.51.100.0/24, 2001:db8::/32), one per item; loopback is always accepted (its "
	     "records are local). Their records are marked listed (tracers may be sent about them); "
	     "without a list, every exporter but loopback is decoded and marked unlisted"},
    {.key = "unlisted",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct udp_state, unlisted),
     .def = "drop",
     .choices = ofd_unlisted_choices,
     .help = "with exporters: what becomes of a datagram from an exporter not on the list: drop (counted "
	     "as unlisted_exporter, logged at a rate limit) or decode (marked unlisted, its templates in a "
	     "small budget of their own: 64 exporters, 512 templates)"},
    {.key = "summary",
     .type = OFD_CFG_BOOL,
     .offset = offsetof(struct udp_state, summary),
     .def = "false",
     .help = "print the datagrams and drops, the state file's load and save and the decoder's counters to "
	     "stderr when the input ends (as overflowd dump does; summed over the workers)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_udp = {
    OFD_SEGMENT_VERSION,
    .name = "udp",
    .kind = OFD_SEG_INPUT,
    .flags = 0,
    .summary = "receive and decode NetFlow v5/v9, IPFIX and sFlow v5 on UDP sockets (flowpipeline's goflow)",
    .state_size = sizeof(struct udp_state),
    .config = udp_keys,
    .metrics = ofd_decode_metrics,
    .collect = udp_collect,
    .check = udp_check,
    .init = udp_init,
    .start = udp_start,
    .fini = udp_fini,
};
