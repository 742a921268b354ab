/* The bgp segment's RPKI sources and validation: see bgp_rpki.h. */
#include "segments/enrich/bgp_rpki.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net/vrp_load.h"
#include "ofd/segment.h"
#include "ofd/time.h"

/* A new set from either source: replaces one not taken yet (freed here, never seen by flows). */
static void hand_over(struct bgp_rpki *k, struct ofd_vrpset *set)
{
	atomic_store(&k->vrps, ofd_vrpset_count(set));
	struct ofd_vrpset *old = atomic_exchange(&k->pending, set);
	ofd_vrpset_free(old);
}

/* Load the file into a new set: 0, or an error logged with the reason and line. */
static int load_file(struct bgp_rpki *k)
{
	struct ofd_vrpset *set = NULL;
	struct ofd_vrp_load_stats st;
	memset(&st, 0, sizeof(st));
	int rc = ofd_vrp_load_file(k->file, OFD_VRP_FILE_MAX, (int64_t)time(NULL), &set, &st);
	if (rc) {
		atomic_fetch_add(&k->load_failures, 1);
		if (rc == OFD_EFORMAT)
			ofd_seg_log(k->seg, OFD_LOG_ERR, "rpkifile %s:%d: %s", k->file, st.line, st.error);
		else
			ofd_seg_log(k->seg, OFD_LOG_ERR, "rpkifile %s: %s", k->file,
				    rc == OFD_ELIMIT ? "larger than 512 MiB" : strerror(rc < 0 ? -rc : EIO));
		return rc;
	}
	if (st.bad)
		ofd_seg_log(k->seg, OFD_LOG_WARN, "rpkifile %s: %zu bad entries skipped, the first (%zu): %s",
			    k->file, st.bad, st.first_bad_index, st.first_bad);
	ofd_seg_log(k->seg, OFD_LOG_INFO, "rpkifile %s: %zu VRPs (%s; %zu expired)", k->file,
		    ofd_vrpset_count(set), ofd_vrp_format_name(st.format), st.expired);
	atomic_fetch_add(&k->loads, 1);
	hand_over(k, set);
	return 0;
}

static void on_set(void *ctx, struct ofd_vrpset *set)
{
	struct bgp_rpki *k = ctx;
	atomic_fetch_add(&k->rtr_sets, 1);
	atomic_store(&k->expired, 0);
	hand_over(k, set);
}

static void on_expired(void *ctx)
{
	struct bgp_rpki *k = ctx;
	atomic_fetch_add(&k->expirations, 1);
	atomic_store(&k->expired, 1);
	ofd_seg_log(k->seg, OFD_LOG_WARN,
		    "rtr %s: the VRPs outlived the cache's expire interval: flows "
		    "get rpki unknown until the cache answers",
		    k->rtr);
}

static void on_log(void *ctx, const char *msg)
{
	struct bgp_rpki *k = ctx;
	static struct ofd_ratelimit rl; /* the RTR thread's only */
	ofd_log_rl(&rl, OFD_LOG_WARN, "%s:%u: segment %s: rtr %s: %s", ofd_segment_file(k->seg),
		   ofd_segment_line(k->seg), ofd_segment_name(k->seg), k->rtr, msg);
}

/* The file's reloads on SIGHUP; at the stop, it ends the RTR thread's run(). */
static void watch_thread(struct ofd_segment *seg, void *arg)
{
	struct bgp_rpki *k = arg;
	while (!ofd_segment_thread_wait(seg, 100000000ull)) {
		uint64_t g = ofd_reload_generation();
		if (g == k->reload_gen)
			continue;
		k->reload_gen = g;
		if (k->file && *k->file)
			(void)load_file(k); /* a failure keeps the set in force, logged and counted */
	}
	if (k->conn)
		ofd_rtr_conn_stop(k->conn);
}

static void rtr_thread(struct ofd_segment *seg, void *arg)
{
	struct bgp_rpki *k = arg;
	(void)seg;
	ofd_rtr_conn_run(k->conn);
}

/* Split "host:port" of the rtr key into the buffers. */
static int split_rtr(const char *s, char *host, size_t hl, char *port, size_t pl)
{
	const char *c = strrchr(s, ':');
	if (!c || c == s || !c[1])
		return -1;
	const char *h = s, *he = c;
	if (*h == '[' && he > h + 1 && he[-1] == ']')
		h++, he--;
	if ((size_t)(he - h) >= hl || strlen(c + 1) >= pl)
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = 0;
	snprintf(port, pl, "%s", c + 1);
	return 0;
}

int bgp_rpki_check(const struct bgp_rpki *k, char *err, size_t errlen)
{
	char h[256], p[32];
	if (k->rtr && *k->rtr && split_rtr(k->rtr, h, sizeof(h), p, sizeof(p))) {
		snprintf(err, errlen, "rtr \"%s\": expected HOST:PORT (an IPv6 address in brackets)", k->rtr);
		return OFD_ECONFIG;
	}
	return 0;
}

int bgp_rpki_init(struct bgp_rpki *k, struct ofd_segment *seg)
{
	k->seg = seg;
	k->reload_gen = ofd_reload_generation();
	if (!bgp_rpki_on(k))
		return 0;
	if (k->file && *k->file) {
		int rc = load_file(k);
		if (rc)
			return rc == -ENOMEM ? rc : OFD_ECONFIG;
	}
	if (k->rtr && *k->rtr) {
		char h[256], p[32];
		if (split_rtr(k->rtr, h, sizeof(h), p, sizeof(p)))
			return OFD_ECONFIG;
		struct ofd_rtr_conn_opts o = {.host = h,
					      .port = p,
					      .on_set = on_set,
					      .on_expired = on_expired,
					      .on_log = on_log,
					      .ctx = k};
		int rc = ofd_rtr_conn_new(&k->conn, &o);
		if (rc)
			return rc;
	}
	int rc = ofd_segment_spawn(seg, watch_thread, k);
	if (!rc && k->conn)
		rc = ofd_segment_spawn(seg, rtr_thread, k);
	if (rc)
		ofd_seg_log(seg, OFD_LOG_ERR, "cannot start the RPKI threads: %s", ofd_strerror(rc));
	return rc;
}

void bgp_rpki_take(struct bgp_rpki *k)
{
	if (!atomic_load_explicit(&k->pending, memory_order_relaxed))
		return;
	struct ofd_vrpset *set = atomic_exchange(&k->pending, NULL);
	if (!set)
		return;
	ofd_vrpset_free(k->cur); /* only this thread reads it */
	k->cur = set;
}

void bgp_rpki_batch(const struct bgp_rpki *k, const struct ofd_prefix *const *routes, const uint32_t *origins,
		    size_t n, uint8_t *out)
{
	if (!k->cur || atomic_load_explicit(&k->expired, memory_order_relaxed)) {
		memset(out, OFD_RPKI_UNKNOWN, n);
		return;
	}
	ofd_vrpset_validate_batch(k->cur, routes, origins, n, out);
}

void bgp_rpki_collect(const struct bgp_rpki *k, struct ofd_metric_sink *sink, const struct ofd_metric *events,
		      const struct ofd_metric *vrps)
{
	const struct ofd_rtr_conn_stats *c = k->conn ? ofd_rtr_conn_stats(k->conn) : NULL;
	const struct {
		const char *name;
		uint64_t v;
	} ev[] = {{"file_loads", atomic_load(&k->loads)},
		  {"file_load_failures", atomic_load(&k->load_failures)},
		  {"rtr_sets", atomic_load(&k->rtr_sets)},
		  {"rtr_expirations", atomic_load(&k->expirations)},
		  {"rtr_connects", c ? atomic_load(&c->connects) : 0},
		  {"rtr_connect_failures", c ? atomic_load(&c->connect_failures) : 0},
		  {"rtr_disconnects", c ? atomic_load(&c->disconnects) : 0},
		  {"rtr_resets", c ? atomic_load(&c->resets) : 0}};
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		ofd_metric_put(sink, events, OFD_METRIC_VALUES(ev[i].name), ev[i].v);
	ofd_metric_put(sink, vrps, NULL, atomic_load(&k->vrps));
}

void bgp_rpki_fini(struct bgp_rpki *k)
{
	ofd_rtr_conn_free(k->conn);
	k->conn = NULL;
	ofd_vrpset_free(atomic_exchange(&k->pending, NULL));
	ofd_vrpset_free(k->cur);
	k->cur = NULL;
}
