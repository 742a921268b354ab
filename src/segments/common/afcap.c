/* Live AF_PACKET capture into flows, in workers (see afcap.h). */
#include "afcap.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpus.h"
#include "decode/pcapfile.h"
#include "net/afpacket.h"
#include "ofd/time.h"

#define AFCAP_POLL_MS  100
#define AFCAP_QUIET    64	  /* fewer frames than this in one read: the ring went quiet */
#define AFCAP_PUB_NS   500000000u /* counters at least this often */
#define AFCAP_DRAIN_MS 120	  /* at the stop: more than a block's retire timeout */

struct afcap_worker {
	struct ofd_afcap *ac;
	struct ofd_afp *afp;
	struct ofd_meter *meter;
	struct ofd_batch *b;
	struct ofd_batch *own; /* workers after the first */
	int link;
	uint32_t in_if;
	pthread_t thread;
	int started, rc;
	/* as last counted */
	struct ofd_meter_stats pub;
	struct ofd_afp_stats apub;
	/* for the metrics (collect() runs on another thread) */
	_Atomic uint64_t m_packets, m_dropped, m_frozen;
};

struct ofd_afcap {
	struct ofd_afcap_cfg c;
	struct ofd_segment *seg;
	unsigned nw;
	struct afcap_worker *w;
	atomic_int failed;
};

unsigned ofd_afcap_workers(const struct ofd_afcap *ac)
{
	return ac ? ac->nw : 0;
}

void ofd_afcap_close(struct ofd_afcap *ac)
{
	if (!ac)
		return;
	for (unsigned i = 0; ac->w && i < ac->nw; i++) {
		ofd_afp_close(ac->w[i].afp);
		ofd_meter_free(ac->w[i].meter);
		free(ac->w[i].own);
	}
	free(ac->w);
	free(ac);
}

int ofd_afcap_open(struct ofd_afcap **out, struct ofd_segment *seg, const struct ofd_afcap_cfg *cfg)
{
	*out = NULL;
	struct ofd_afcap *ac = calloc(1, sizeof(*ac));
	if (!ac)
		return -ENOMEM;
	ac->c = *cfg;
	if (cfg->workers)
		ac->nw = cfg->workers;
	else {
		ac->nw = ofd_online_cpus();
		if (ac->nw > OFD_AFCAP_DEFAULT_MAX)
			ac->nw = OFD_AFCAP_DEFAULT_MAX;
	}
	if (ac->nw > OFD_AFCAP_MAX_WORKERS)
		ac->nw = OFD_AFCAP_MAX_WORKERS;
	if (!(ac->w = calloc(ac->nw, sizeof(*ac->w)))) {
		free(ac);
		return -ENOMEM;
	}
	struct ofd_meter_cfg mc = cfg->meter;
	mc.maxflows = mc.maxflows / ac->nw ? mc.maxflows / ac->nw : 1;
	int group = ac->nw > 1 ? OFD_AFP_FANOUT_NEW : OFD_AFP_FANOUT_NONE;
	int err = 0;
	for (unsigned i = 0; i < ac->nw && !err; i++) {
		struct afcap_worker *w = &ac->w[i];
		w->ac = ac;
		struct ofd_afp_cfg a = {.device = cfg->device,
					.filter = cfg->filter,
					.ring_bytes = cfg->buffersize,
					.snaplen = cfg->snaplen,
					.fanout = group,
					.promisc = 1};
		char why[512];
		err = ofd_afp_open(&w->afp, &a, why, sizeof(why));
		if (err) {
			ofd_seg_log(seg, OFD_LOG_ERR, "%s", why);
			break;
		}
		if (group == OFD_AFP_FANOUT_NEW)
			group = ofd_afp_fanout_group(w->afp);
		w->link = ofd_pcap_link_from_dlt(ofd_afp_dlt(w->afp));
		w->in_if = ofd_afp_ifindex(w->afp);
		err = ofd_meter_new(&w->meter, &mc);
		if (err)
			ofd_seg_log(seg, OFD_LOG_ERR, "cannot allocate a flow cache of %" PRIu32 " flows",
				    mc.maxflows);
		if (!err && i > 0 && !(w->own = malloc(sizeof(*w->own))))
			err = -ENOMEM;
	}
	if (err) {
		ofd_afcap_close(ac);
		return err;
	}
	uint32_t bs, bn;
	ofd_afp_ring(ac->w[0].afp, &bs, &bn);
	ofd_seg_log(seg, OFD_LOG_DEBUG, "device %s: %u workers%s, each a ring of %u blocks of %u bytes",
		    cfg->device, ac->nw, ac->nw > 1 ? " in one fanout group" : "", bn, bs);
	*out = ac;
	return 0;
}

static void afcap_count(struct ofd_afcap *ac, int which, uint64_t now, uint64_t before)
{
	int i = ac->c.counter[which];
	if (i >= 0 && now > before)
		ofd_segment_count(ac->seg, (unsigned)i, now - before);
}

/* Add what changed since this worker last counted (ofd_segment_count is thread-safe). */
static void afcap_publish(struct afcap_worker *w)
{
	struct ofd_afcap *ac = w->ac;
	const struct ofd_meter_stats *st = ofd_meter_stats(w->meter);
	struct ofd_afp_stats as;
	ofd_afp_stats(w->afp, &as);
	afcap_count(ac, OFD_AFCAP_C_PACKETS, st->packets, w->pub.packets);
	afcap_count(ac, OFD_AFCAP_C_SAMPLED_OUT, st->sampled_out, w->pub.sampled_out);
	afcap_count(ac, OFD_AFCAP_C_NOT_IP, st->not_ip, w->pub.not_ip);
	afcap_count(ac, OFD_AFCAP_C_FLOWS, st->exported, w->pub.exported);
	afcap_count(ac, OFD_AFCAP_C_EMERGENCY, st->emergency_expired, w->pub.emergency_expired);
	afcap_count(ac, OFD_AFCAP_C_FRAG_UNMATCHED, st->frag_unmatched, w->pub.frag_unmatched);
	afcap_count(ac, OFD_AFCAP_C_DROPPED, as.drops, w->apub.drops);
	afcap_count(ac, OFD_AFCAP_C_FROZEN, as.freeze_q, w->apub.freeze_q);
	w->pub = *st;
	w->apub = as;
	atomic_store_explicit(&w->m_packets, as.packets, memory_order_relaxed);
	atomic_store_explicit(&w->m_dropped, as.drops, memory_order_relaxed);
	atomic_store_explicit(&w->m_frozen, as.freeze_q, memory_order_relaxed);
}

const struct ofd_metric ofd_afcap_metrics[] = {
    {"capture_packets_total",
     OFD_METRIC_COUNTER,
     0,
     "Packets an AF_PACKET capture handed to its flow cache, by input segment and worker (a capture thread "
     "and its ring).",
     {"worker"}},
    {"capture_dropped_total",
     OFD_METRIC_COUNTER,
     0,
     "Packets that found a capture ring full (the kernel's PACKET_STATISTICS tp_drops), by input segment "
     "and worker.",
     {"worker"}},
    {"capture_ring_frozen_total",
     OFD_METRIC_COUNTER,
     OFD_METRIC_DETAIL,
     "Times a capture ring was full (tp_freeze_q_cnt), by input segment and worker.",
     {"worker"}},
    {NULL, 0, 0, NULL, {NULL}},
};

void ofd_afcap_collect(const struct ofd_afcap *ac, struct ofd_metric_sink *sink)
{
	for (unsigned i = 0; ac && i < ac->nw; i++) {
		char wk[12];
		snprintf(wk, sizeof(wk), "%u", i);
		const struct afcap_worker *w = &ac->w[i];
		ofd_metric_put(sink, &ofd_afcap_metrics[0], OFD_METRIC_VALUES(wk),
			       atomic_load_explicit(&w->m_packets, memory_order_relaxed));
		ofd_metric_put(sink, &ofd_afcap_metrics[1], OFD_METRIC_VALUES(wk),
			       atomic_load_explicit(&w->m_dropped, memory_order_relaxed));
		ofd_metric_put(sink, &ofd_afcap_metrics[2], OFD_METRIC_VALUES(wk),
			       atomic_load_explicit(&w->m_frozen, memory_order_relaxed));
	}
}

static void afcap_frame(void *ctx, const uint8_t *data, uint32_t caplen, uint32_t len, uint64_t ts_ns)
{
	struct afcap_worker *w = ctx;
	ofd_meter_frame(w->meter, w->link, data, caplen, len, ts_ns, w->in_if, w->b);
}

static void *afcap_worker_main(void *arg)
{
	struct afcap_worker *w = arg;
	struct ofd_afcap *ac = w->ac;
	uint64_t next_pub = 0;
	while (!ofd_segment_stopping(ac->seg) && !atomic_load(&ac->failed)) {
		int n = ofd_afp_read(w->afp, AFCAP_POLL_MS, afcap_frame, w);
		if (n < 0) {
			ofd_seg_log(ac->seg, OFD_LOG_ERR, "device %s: capture failed: %s", ac->c.device,
				    strerror(-n));
			w->rc = n;
			atomic_store(&ac->failed, 1);
			break;
		}
		uint64_t now = ofd_time_now_ns();
		ofd_meter_advance(w->meter, now, w->b);
		if (n < AFCAP_QUIET)
			ofd_batch_flush(w->b);
		if (n == 0 || now >= next_pub) {
			afcap_publish(w);
			next_pub = now + AFCAP_PUB_NS;
		}
	}
	/* what the ring still holds (a block not yet full is handed over by its retire timeout, 50
	   ms), then every flow */
	(void)ofd_afp_read(w->afp, AFCAP_DRAIN_MS, afcap_frame, w);
	ofd_meter_flush(w->meter, w->b);
	ofd_batch_flush(w->b);
	afcap_publish(w);
	return NULL;
}

int ofd_afcap_run(struct ofd_afcap *ac, struct ofd_segment *seg)
{
	int rc = 0;
	ac->seg = seg;
	ac->w[0].b = ofd_input_batch(seg);
	for (unsigned i = 1; i < ac->nw; i++) {
		struct afcap_worker *w = &ac->w[i];
		ofd_input_batch_init(seg, w->own);
		w->b = w->own;
		int e = pthread_create(&w->thread, NULL, afcap_worker_main, w);
		if (e) {
			ofd_seg_log(seg, OFD_LOG_ERR, "cannot start worker %u: %s", i, strerror(e));
			atomic_store(&ac->failed, 1);
			rc = -e;
			break;
		}
		w->started = 1;
	}
	if (!rc)
		afcap_worker_main(&ac->w[0]);
	for (unsigned i = 1; i < ac->nw; i++)
		if (ac->w[i].started)
			pthread_join(ac->w[i].thread, NULL);
	for (unsigned i = 0; i < ac->nw && !rc; i++)
		rc = ac->w[i].rc;
	return rc;
}
