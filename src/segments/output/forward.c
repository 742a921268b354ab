/*
 * forward: resend the export datagrams the records came in, byte for byte, to several collectors
 * (samplicator's job), each target with its own filters; the records pass on unchanged.
 *
 *   - segment: forward
 *     config:
 *       targets:
 *         - {address: 127.0.0.1, port: 2055, exporters: [10.0.0.0/8], filter: "proto udp"}
 *         - {address: "[::1]", port: 4739}
 *
 * The datagrams come with the batch (OFD_SEGF_DGRAMS, include/ofd/batch.h): the input's decoder
 * copied each into the batch that got its first records. Per datagram and target:
 *   - exporters: the datagram's source address must be in one of the prefixes (none: any);
 *   - filter: a flowfilter expression; the datagram goes if one of its records that is still live
 *     here matches. Regardless of the filter go: datagrams that carried templates, options
 *     templates or options data (the target needs them to decode the others) and datagrams split
 *     over two batches (not judged whole). Datagrams the decoder refused, or that gave no record
 *     (data for an unknown template, sFlow counters only), go only to targets without a filter.
 * A target without a filter gets every datagram of its exporters, whatever segments before this
 * one did to the records. No address spoofing: every target sees our address as the source (the
 * exporter's address is in our records: sampler_address, and in the datagram for sFlow and IPFIX).
 *
 * Sending: one connected UDP socket per target (export_send.h), the datagrams of a batch in
 * sendmmsg calls at the end of process(). Counters per target (sent, filtered by exporter or by
 * flows, send errors, bytes) are the metric families forward_datagrams_total and
 * forward_bytes_total; the sums are the segment's own counters.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowfilter/flowfilter.h"
#include "net/prefix.h"
#include "ofd/segment.h"
#include "ofd/time.h"
#include "segments/output/export_send.h"

#define FW_TARGETS_MAX 32

/* One item of the key targets, as the config writes it. */
struct fw_target_cfg {
	char *address;
	uint64_t port;
	struct ofd_strlist exporters;
	char *filter;
};

enum { R_SENT, R_FILTERED_EXPORTER, R_FILTERED_FLOWS, R_ERROR, R__COUNT };
static const char *const fw_results[R__COUNT] = {"sent", "filtered_exporter", "filtered_flows", "send_error"};

struct fw_target {
	struct fx_target tx;
	struct ofd_prefix *pfx; /* exporters; npfx 0: any */
	size_t npfx;
	struct ofd_filter *f; /* NULL: no flow filter */
	/* the datagrams of the batch in process(): pointers into its area, lengths */
	uint8_t **msg;
	size_t *len;
	uint32_t *lenrec; /* the lengths again: fx_target_send sums them for failed ones */
	unsigned nq;
	uint64_t nfe, nff; /* filtered in this process() call, by exporter and by flows */
	_Atomic uint64_t n[R__COUNT];
	_Atomic uint64_t bytes;
};

struct fw_state {
	struct ofd_cfg_list targets; /* struct fw_target_cfg */
	struct fw_target *t;
	unsigned nt;
};

enum { C_DATAGRAMS, C_SENT, C_FILTERED, C_SEND_ERRORS };
static const char *const fw_counters[] = {"datagrams", "sent", "filtered", "send_errors", NULL};

enum { M_DATAGRAMS, M_BYTES };
static const struct ofd_metric fw_metrics[] = {
    [M_DATAGRAMS] = {"forward_datagrams_total",
		     OFD_METRIC_COUNTER,
		     0,
		     "Source datagrams per target: sent, filtered_exporter (source not in the target's "
		     "exporters), filtered_flows (no live record matched its filter), send_error.",
		     {"target", "result"}},
    [M_BYTES] = {"forward_bytes_total",
		 OFD_METRIC_COUNTER,
		 0,
		 "Bytes of the datagrams sent to each target (UDP payload).",
		 {"target"}},
    {.name = NULL},
};

/* "ADDR:PORT" or "[IPV6]:PORT" from an item's address (brackets optional for IPv6) and port. */
static void fw_hostport(const struct fw_target_cfg *c, char *buf, size_t cap)
{
	const char *a = c->address ? c->address : "";
	int v6 = strchr(a, ':') != NULL && a[0] != '[';
	snprintf(buf, cap, "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", (unsigned)c->port);
}

static int fw_check(const void *state, char *err, size_t errlen)
{
	const struct fw_state *s = state;
	if (s->targets.n == 0 || s->targets.n > FW_TARGETS_MAX) {
		snprintf(err, errlen, "key targets: 1 to %d collectors, each {address: ADDR, port: PORT}",
			 FW_TARGETS_MAX);
		return OFD_ECONFIG;
	}
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct fw_target_cfg *c = OFD_CFG_ITEM(s->targets, struct fw_target_cfg, i);
		char hp[300];
		struct fx_target t;
		fw_hostport(c, hp, sizeof(hp));
		if (strlen(c->address) > 256 || fx_target_parse(&t, hp, 0, 0)) {
			snprintf(
			    err, errlen,
			    "key targets[%zu].address: \"%.64s\" is not a collector's numeric IPv4 or IPv6 "
			    "address (no name, no wildcard address)",
			    i, c->address);
			return OFD_ECONFIG;
		}
		for (size_t k = 0; k < c->exporters.n; k++) {
			struct ofd_prefix p;
			if (ofd_prefix_parse(&p, c->exporters.v[k])) {
				snprintf(
				    err, errlen,
				    "key targets[%zu].exporters[%zu]: \"%.64s\" is not an address or prefix "
				    "(one per item, host bits clear)",
				    i, k, c->exporters.v[k]);
				return OFD_ECONFIG;
			}
		}
		if (c->filter) {
			char why[256] = "";
			struct ofd_filter *f = NULL;
			if (ofd_filter_compile(&f, c->filter, why, sizeof(why))) {
				snprintf(err, errlen, "key targets[%zu].filter: %s", i, why);
				return OFD_ECONFIG;
			}
			ofd_filter_free(f);
		}
	}
	return 0;
}

static int fw_init(struct ofd_segment *seg, void *state)
{
	struct fw_state *s = state;
	char err[512];
	if (fw_check(s, err, sizeof(err))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
		return OFD_ECONFIG;
	}
	if (!(s->t = calloc(s->targets.n, sizeof(*s->t))))
		return -ENOMEM;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct fw_target_cfg *c = OFD_CFG_ITEM(s->targets, struct fw_target_cfg, i);
		struct fw_target *t = &s->t[s->nt++];
		char hp[300];
		t->tx.fd = -1;
		fw_hostport(c, hp, sizeof(hp));
		if (fx_target_parse(&t->tx, hp, 0, 0))
			return OFD_ECONFIG;
		t->msg = calloc(OFD_BATCH_DGRAMS, sizeof(*t->msg));
		t->len = calloc(OFD_BATCH_DGRAMS, sizeof(*t->len));
		t->lenrec = calloc(OFD_BATCH_DGRAMS, sizeof(*t->lenrec));
		if (!t->msg || !t->len || !t->lenrec)
			return -ENOMEM;
		if (c->exporters.n) {
			if (!(t->pfx = calloc(c->exporters.n, sizeof(*t->pfx))))
				return -ENOMEM;
			for (size_t k = 0; k < c->exporters.n; k++)
				if (ofd_prefix_parse(&t->pfx[t->npfx++], c->exporters.v[k]))
					return OFD_ECONFIG;
		}
		if (c->filter && ofd_filter_compile(&t->f, c->filter, err, sizeof(err))) {
			t->f = NULL;
			return OFD_ECONFIG;
		}
		int e = fx_target_open(&t->tx);
		if (e) {
			ofd_seg_log(seg, OFD_LOG_ERR, "target %s: cannot open a socket: %s", t->tx.name,
				    strerror(-e));
			return e;
		}
	}
	return 0;
}

/* Whether datagram i of b passes target t's flow filter (see the top of the file). */
static int fw_flows_pass(const struct fw_target *t, const struct ofd_batch *b, uint32_t i)
{
	const struct ofd_batch_dgram *d = &b->dg->d[i];
	if (!t->f || (d->flags & OFD_DGRAM_CONTROL) || d->state == OFD_DGRAM_SPLIT)
		return 1;
	for (uint32_t r = d->first, end = ofd_batch_dgram_end(b, i); r < end; r++)
		if (ofd_batch_is_live(b, r) && ofd_filter_match(t->f, &b->flows[r]))
			return 1;
	return 0;
}

static void fw_add(_Atomic uint64_t *c, uint64_t n)
{
	if (n)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void fw_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct fw_state *s = state;
	const struct ofd_dgrams *g = b->dg;
	if (!g || !g->n)
		return;
	uint64_t filtered = 0, sent = 0, errors = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		const struct ofd_batch_dgram *d = &g->d[i];
		for (unsigned k = 0; k < s->nt; k++) {
			struct fw_target *t = &s->t[k];
			if (t->npfx && ofd_prefix_longest(t->pfx, t->npfx, &d->src) < 0) {
				t->nfe++;
				filtered++;
				continue;
			}
			if (!fw_flows_pass(t, b, i)) {
				t->nff++;
				filtered++;
				continue;
			}
			t->msg[t->nq] = (uint8_t *)g->bytes + d->off;
			t->len[t->nq] = d->len;
			t->lenrec[t->nq] = d->len;
			t->nq++;
		}
	}
	uint64_t now = ofd_time_mono_ns();
	for (unsigned k = 0; k < s->nt; k++) {
		struct fw_target *t = &s->t[k];
		fw_add(&t->n[R_FILTERED_EXPORTER], t->nfe);
		fw_add(&t->n[R_FILTERED_FLOWS], t->nff);
		t->nfe = t->nff = 0;
		if (!t->nq)
			continue;
		uint64_t bytes = 0;
		for (unsigned q = 0; q < t->nq; q++)
			bytes += t->len[q];
		struct fx_send_stats st = {0};
		fx_target_send(&t->tx, t->msg, t->len, t->lenrec, t->nq, now, &st);
		fw_add(&t->n[R_SENT], t->nq - st.errors);
		fw_add(&t->n[R_ERROR], st.errors);
		fw_add(&t->bytes, bytes - st.lost_records); /* lenrec: the failed ones' bytes */
		sent += t->nq - st.errors;
		errors += st.errors;
		t->nq = 0;
	}
	ofd_segment_count(seg, C_DATAGRAMS, g->n);
	ofd_segment_count(seg, C_SENT, sent);
	ofd_segment_count(seg, C_FILTERED, filtered);
	ofd_segment_count(seg, C_SEND_ERRORS, errors);
}

static void fw_collect(struct ofd_segment *seg, void *state, struct ofd_metric_sink *sink)
{
	struct fw_state *s = state;
	(void)seg;
	for (unsigned k = 0; k < s->nt; k++) {
		struct fw_target *t = &s->t[k];
		for (int r = 0; r < R__COUNT; r++)
			ofd_metric_put(sink, &fw_metrics[M_DATAGRAMS],
				       OFD_METRIC_VALUES(t->tx.name, fw_results[r]),
				       atomic_load_explicit(&t->n[r], memory_order_relaxed));
		ofd_metric_put(sink, &fw_metrics[M_BYTES], OFD_METRIC_VALUES(t->tx.name),
			       atomic_load_explicit(&t->bytes, memory_order_relaxed));
	}
}

static void fw_fini(struct ofd_segment *seg, void *state)
{
	struct fw_state *s = state;
	(void)seg;
	for (unsigned k = 0; s->t && k < s->nt; k++) {
		struct fw_target *t = &s->t[k];
		fx_target_close(&t->tx);
		ofd_filter_free(t->f);
		free(t->pfx);
		free(t->msg);
		free(t->len);
		free(t->lenrec);
	}
	free(s->t);
	s->t = NULL;
	s->nt = 0;
}

static const struct ofd_cfg_key fw_target_keys[] = {
    OFD_KEY("address", OFD_CFG_STRING, struct fw_target_cfg, address, .required = 1,
	    .help = "the collector's numeric IPv4 or IPv6 address (brackets around IPv6 optional)"),
    OFD_KEY("port", OFD_CFG_UINT, struct fw_target_cfg, port, .required = 1, .min = 1, .max = 65535,
	    .help = "the collector's UDP port"),
    OFD_KEY("exporters", OFD_CFG_STRLIST, struct fw_target_cfg, exporters,
	    .help = "only datagrams from these exporters (their UDP source address): addresses or prefixes, "
		    "one per item (none: every exporter)"),
    OFD_KEY("filter", OFD_CFG_STRING, struct fw_target_cfg, filter,
	    .help = "a flowfilter expression: only datagrams with a live record that matches (templates "
		    "and options go regardless; datagrams without records do not)"),
    OFD_KEY_END,
};

static const struct ofd_cfg_key fw_keys[] = {
    OFD_KEY("targets", OFD_CFG_LIST, struct fw_state, targets, .required = 1, .sub = fw_target_keys,
	    .elem_size = sizeof(struct fw_target_cfg), .min = 1, .max = FW_TARGETS_MAX,
	    .help = "the collectors (at most 32), each {address, port, exporters, filter}: every received "
		    "datagram that passes a target's filters is sent to it unchanged"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_forward = {
    OFD_SEGMENT_VERSION,
    .name = "forward",
    .kind = OFD_SEG_OUTPUT,
    .flags = OFD_SEGF_DGRAMS,
    .summary = "resend the received export datagrams unchanged to collectors, with per-target filters",
    .state_size = sizeof(struct fw_state),
    .config = fw_keys,
    .counters = fw_counters,
    .metrics = fw_metrics,
    .collect = fw_collect,
    .check = fw_check,
    .init = fw_init,
    .process = fw_process,
    .fini = fw_fini,
};
