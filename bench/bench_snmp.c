/*
 * bench_snmp: records per CPU-second through the snmp segment with a warm cache.
 *
 *   bench_snmp [--passes N] [FILE...]
 *
 * Decodes every record of each capture (default: $OFD_DATA/netflow_4M.pcap, else
 * /work/shared/data/netflow_4M.pcap) once into memory, fills the segment's cache with an entry
 * for every (sampler, interface) the records name, as the poller publishes an answer (a name, a
 * 17-byte description, a speed), then runs the records through process() N times (default 100),
 * 512 to a batch, copying them into a fresh batch first. process() and the copy are timed
 * apart on the thread's CPU clock. Prints:
 *
 *   RESULT file=F mode=snmp-warm records=N interfaces=I process_cpu_s=T rate=R ns_per_record=X
 *          copy_ns_per_record=C rate_with_copy=W set=S pending=P
 *
 * where rate is records per CPU-second of process() alone, set counts the records that got an
 * in_if or out_if name in the last pass and pending the lookups that found nothing (0: warm).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "gen_load.h"
#include "ofd/harness.h"
#include "ofd/time.h"
#include "segments/enrich/snmp_int.h"

extern const struct ofd_segment_type ofd_seg_snmp;

struct recs {
	struct ofd_flow *v;
	size_t n, cap;
};

static void keep(struct ofd_batch *b, void *ctx)
{
	struct recs *r = ctx;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 65536;
			struct ofd_flow *v = realloc(r->v, r->cap * sizeof(*v));
			if (!v)
				abort();
			r->v = v;
		}
		r->v[r->n++] = b->flows[i];
	}
}

/* An answer for (sampler, ifindex) into the cache; how many were new. */
static size_t warm(struct snmp_state *st, const struct ofd_flow *f, uint32_t ifindex)
{
	if (!ifindex || !f->sampler_address.family)
		return 0;
	struct snmp_result r;
	memset(&r, 0, sizeof(r));
	memcpy(r.key.addr, f->sampler_address.b, 16);
	r.key.family = f->sampler_address.family;
	r.key.ifindex = ifindex;
	if (snmp_cache_find(&st->sh, &r.key))
		return 0;
	char text[64];
	int nl = snprintf(text, sizeof(text), "xe-0/0/%u", ifindex);
	int dl = snprintf(text + nl + 1, sizeof(text) - (size_t)nl - 1, "Customer %08u", ifindex);
	r.text = malloc((size_t)nl + (size_t)dl + 2);
	if (!r.text)
		abort();
	memcpy(r.text, text, (size_t)nl + (size_t)dl + 2);
	r.name_len = (uint16_t)nl;
	r.desc_len = (uint16_t)dl;
	r.speed = 10000;
	r.has_speed = 1;
	r.outcome = SNMP_OK;
	uint64_t now = ofd_time_coarse_ns();
	r.retry = now + 3600 * OFD_NS_PER_S;
	snmp_cache_publish(&st->sh, &r, now);
	return 1;
}

static int run(const char *path, unsigned passes)
{
	struct gen_dgrams s;
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *db = NULL;
	struct ofd_harness *h = NULL;
	struct recs r = {0};
	int rc = -1;
	char err[256];
	if (gen_load(path, &s) || s.n == 0) {
		fprintf(stderr, "%s: no datagrams\n", path);
		return -1;
	}
	if (ofd_decoder_new(&dec, NULL) || !(db = malloc(sizeof(*db))))
		goto out;
	ofd_batch_init(db, keep, &r);
	for (size_t i = 0; i < s.n; i++)
		(void)ofd_decode(dec, &s.dg[i], db);
	ofd_batch_flush(db);
	if (ofd_harness_new(&h, &ofd_seg_snmp, "{maxentries: 1048576}", err, sizeof(err))) {
		fprintf(stderr, "bench_snmp: %s\n", err);
		goto out;
	}
	struct snmp_state *st = ofd_harness_state(h);
	size_t ifs = 0;
	pthread_mutex_lock(&st->sh.mu);
	for (size_t i = 0; i < r.n; i++)
		ifs += warm(st, &r.v[i], r.v[i].in_if) + warm(st, &r.v[i], r.v[i].out_if);
	pthread_mutex_unlock(&st->sh.mu);

	/* the copy into the batch and process() each timed on this thread's CPU clock */
	double copy_s = 0, proc_s = 0;
	uint64_t set = 0;
	for (unsigned p = 0; p < passes; p++) {
		for (size_t i = 0; i < r.n; i += OFD_BATCH_CAP) {
			uint32_t n = (uint32_t)(r.n - i < OFD_BATCH_CAP ? r.n - i : OFD_BATCH_CAP);
			uint64_t t0 = ofd_time_clock_ns(CLOCK_THREAD_CPUTIME_ID);
			struct ofd_batch *b = ofd_harness_batch(h, n);
			memcpy(b->flows, r.v + i, n * sizeof(*b->flows));
			uint64_t t1 = ofd_time_clock_ns(CLOCK_THREAD_CPUTIME_ID);
			ofd_harness_process(h, b);
			uint64_t t2 = ofd_time_clock_ns(CLOCK_THREAD_CPUTIME_ID);
			copy_s += (double)(t1 - t0) / 1e9;
			proc_s += (double)(t2 - t1) / 1e9;
			if (p + 1 == passes)
				for (uint32_t j = 0; j < n; j++)
					set += b->flows[j].in_if_name || b->flows[j].out_if_name;
		}
	}
	double total = (double)r.n * passes;
	printf("RESULT file=%s mode=snmp-warm records=%.0f interfaces=%zu process_cpu_s=%.3f rate=%.0f "
	       "ns_per_record=%.1f copy_ns_per_record=%.1f rate_with_copy=%.0f set=%" PRIu64
	       " pending=%" PRIu64 "\n",
	       path, total, ifs, proc_s, total / proc_s, proc_s * 1e9 / total, copy_s * 1e9 / total,
	       total / (proc_s + copy_s), set, ofd_harness_counter(h, "pending"));
	rc = 0;
out:
	ofd_harness_free(h);
	free(db);
	free(r.v);
	ofd_decoder_free(dec);
	gen_load_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"passes", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	unsigned passes = 100;
	int c;
	while ((c = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': passes = (unsigned)strtoul(optarg, NULL, 10); break;
		default: fprintf(stderr, "usage: bench_snmp [--passes N] [FILE...]\n"); return 2;
		}
	}
	if (!passes)
		passes = 1;
	ofd_log_set_level(OFD_LOG_ERR);
	char def[4096];
	const char *data = getenv("OFD_DATA");
	snprintf(def, sizeof(def), "%s/netflow_4M.pcap", data ? data : "/work/shared/data");
	int rc = 0;
	if (optind == argc && run(def, passes))
		rc = 1;
	for (int i = optind; i < argc; i++)
		if (run(argv[i], passes))
			rc = 1;
	return rc;
}
