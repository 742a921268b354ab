/*
 * bench_pb: records per CPU-second of our protobuf codec (format/flowpb.c) and of protobuf-c on
 * the same records, side by side.
 *
 *   bench_pb [--seconds S] [--records N] [--cpu C] [--prefetch] FILE...
 *
 * The capture's datagrams are decoded with the project's decoder (as bench_decode does) and the
 * first N records kept (default 65536). Every record's encoding is checked equal to protobuf-c's
 * packing of the same message first (tests/gen/gen_pbc.h builds it). Then, for two sets of
 * records (the first 512, one batch: in cache, as an output segment finds the records it was
 * handed; then all N: records streamed from memory), for each schema (EnrichedFlow,
 * FlowMessage), each of four loops runs over the set until S seconds of this thread's CPU time
 * have passed (CLOCK_THREAD_CPUTIME_ID), pinned to CPU C when given:
 *
 *   ofd encode     ofd_pb_encode into one buffer (--prefetch: the first 320 bytes of the record
 *                  two ahead prefetched first, as a caller streaming records from memory could)
 *   ofd decode     ofd_pb_decode of the encoded records into one record (strings into a batch)
 *   pbc pack       protobuf-c's message built from the record, then protobuf_c_message_pack
 *   pbc unpack     protobuf-c unpack of the encoded records, then free_unpacked
 *
 * Prints a table and one line per loop:
 *
 *   RESULT schema=enriched op=ofd_encode set=512 records=N cpu_s=T rate=R ns_per_record=X bytes=B
 */
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "format/flowpb.h"
#include "gen_load.h"
#include "gen_pbc.h"

struct recs {
	struct ofd_flow *f;
	size_t n, cap;
};

static void keep(struct ofd_batch *b, void *ctx)
{
	struct recs *r = ctx;
	for (uint32_t i = 0; i < b->n && r->n < r->cap; i++)
		if (ofd_batch_is_live(b, i))
			r->f[r->n++] = b->flows[i]; /* NetFlow/IPFIX records carry no strings */
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The encoded records, back to back. */
struct encoded {
	uint8_t *bytes;
	size_t *off, *len, total;
};

enum op { OFD_ENCODE, OFD_DECODE, PBC_PACK, PBC_UNPACK };
static const char *const op_names[] = {"ofd_encode", "ofd_decode", "pbc_pack", "pbc_unpack"};

static volatile size_t sink; /* keeps the loops' results alive */
static int prefetch;	     /* --prefetch: ofd encode prefetches the record two ahead */

/* One pass over the records; the bytes produced or consumed. */
static size_t pass(enum op op, enum ofd_pb_schema s, const struct recs *r, const struct encoded *e,
		   struct ofd_batch *strs, struct gen_pbc *pbc, uint8_t *out)
{
	size_t bytes = 0;
	struct ofd_flow g;
	for (size_t i = 0; i < r->n; i++) {
		switch (op) {
		case OFD_ENCODE:
			if (prefetch && i + 2 < r->n) /* what a caller streaming records could do */
				for (unsigned c = 0; c < 320; c += 64)
					__builtin_prefetch((const char *)&r->f[i + 2] + c);
			bytes += ofd_pb_encode(&r->f[i], s, out, OFD_PB_MAX);
			break;
		case OFD_DECODE:
			if ((i & (OFD_BATCH_CAP - 1)) == 0)
				ofd_batch_reset(strs);
			if (ofd_pb_decode(&g, e->bytes + e->off[i], e->len[i], s, strs, NULL) == 0)
				bytes += e->len[i];
			sink += g.bytes;
			break;
		case PBC_PACK:
			if (s == OFD_PB_ENRICHED) {
				gen_pbc_enriched(pbc, &r->f[i]);
				bytes += protobuf_c_message_pack(&pbc->m.base, out);
			} else {
				gen_pbc_legacy(pbc, &r->f[i]);
				bytes += protobuf_c_message_pack(&pbc->l.base, out);
			}
			break;
		case PBC_UNPACK:
			if (s == OFD_PB_ENRICHED) {
				Flowpb__EnrichedFlow *m =
				    flowpb__enriched_flow__unpack(NULL, e->len[i], e->bytes + e->off[i]);
				if (m) {
					bytes += e->len[i];
					sink += m->bytes;
					flowpb__enriched_flow__free_unpacked(m, NULL);
				}
			} else {
				Flowpb__FlowMessage *m =
				    flowpb__flow_message__unpack(NULL, e->len[i], e->bytes + e->off[i]);
				if (m) {
					bytes += e->len[i];
					sink += m->bytes;
					flowpb__flow_message__free_unpacked(m, NULL);
				}
			}
			break;
		}
	}
	return bytes;
}

static int encode_all(const struct recs *r, enum ofd_pb_schema s, struct encoded *e, struct gen_pbc *pbc,
		      uint8_t *tmp)
{
	e->bytes = malloc(r->n * 512 + OFD_PB_MAX);
	e->off = malloc(r->n * sizeof(size_t));
	e->len = malloc(r->n * sizeof(size_t));
	if (!e->bytes || !e->off || !e->len)
		return -1;
	e->total = 0;
	size_t mismatch = 0;
	for (size_t i = 0; i < r->n; i++) {
		size_t n = ofd_pb_encode(&r->f[i], s, e->bytes + e->total, OFD_PB_MAX);
		size_t m = s == OFD_PB_ENRICHED
			       ? (gen_pbc_enriched(pbc, &r->f[i]), protobuf_c_message_pack(&pbc->m.base, tmp))
			       : (gen_pbc_legacy(pbc, &r->f[i]), protobuf_c_message_pack(&pbc->l.base, tmp));
		if (n != m || memcmp(tmp, e->bytes + e->total, n) != 0)
			mismatch++;
		e->off[i] = e->total;
		e->len[i] = n;
		e->total += n;
		if (e->total > r->n * 512)
			return -1;
	}
	if (mismatch) {
		fprintf(stderr, "bench_pb: %zu of %zu records encode otherwise than protobuf-c\n", mismatch,
			r->n);
		return -1;
	}
	return 0;
}

static int run(const char *path, size_t nrec, double seconds)
{
	struct gen_dgrams d;
	if (gen_load(path, &d) || d.n == 0) {
		fprintf(stderr, "%s: no datagrams\n", path);
		return -1;
	}
	struct recs r = {malloc(nrec * sizeof(struct ofd_flow)), 0, nrec};
	struct ofd_decoder *dec;
	struct ofd_batch *b = malloc(sizeof(*b)), *strs = malloc(sizeof(*strs));
	struct gen_pbc *pbc = malloc(sizeof(*pbc));
	uint8_t *out = malloc(OFD_PB_MAX), *tmp = malloc(OFD_PB_MAX);
	if (!r.f || !b || !strs || !pbc || !out || !tmp || ofd_decoder_new(&dec, NULL))
		return -1;
	ofd_batch_init(b, keep, &r);
	ofd_batch_init(strs, NULL, NULL);
	for (size_t i = 0; i < d.n && r.n < nrec; i++)
		(void)ofd_decode(dec, &d.dg[i], b);
	ofd_batch_flush(b);
	size_t enriched = 0;
	for (size_t i = 0; i < r.n; i++) {
		struct ofd_fieldset s = r.f[i].present;
		for (unsigned id = 0; id < OFD_F__STORED; id++)
			if (ofd_fields[id].cls != OFD_FC_ENRICHED)
				ofd_fieldset_clear(&s, id);
		enriched += ofd_fieldset_any(&s, NULL);
	}
	printf("%s: %zu records (%zu with enriched fields present)\n\n", path, r.n, enriched);
	printf("%-9s %-11s %8s %12s %10s %9s\n", "schema", "op", "set", "records/s", "ns/record",
	       "bytes/rec");
	static const enum ofd_pb_schema schemas[] = {OFD_PB_ENRICHED, OFD_PB_LEGACY};
	static const char *const schema_names[] = {"enriched", "legacy"};
	char results[16][256];
	unsigned nres = 0;
	/* one batch's records (in cache, as an output segment finds them), then all (from memory) */
	size_t sets[2] = {r.n < OFD_BATCH_CAP ? r.n : OFD_BATCH_CAP, r.n};
	for (unsigned w = 0; w < 2; w++) {
		struct recs v = {r.f, sets[w], sets[w]};
		for (unsigned k = 0; k < 2; k++) {
			struct encoded e;
			if (encode_all(&v, schemas[k], &e, pbc, tmp))
				return -1;
			for (enum op op = OFD_ENCODE; op <= PBC_UNPACK; op++) {
				(void)pass(op, schemas[k], &v, &e, strs, pbc, out); /* warm-up */
				uint64_t records = 0, bytes = 0;
				double t0 = thread_cpu(), t1;
				do {
					bytes += pass(op, schemas[k], &v, &e, strs, pbc, out);
					records += v.n;
					t1 = thread_cpu();
				} while (t1 - t0 < seconds);
				double cpu = t1 - t0, rate = (double)records / cpu;
				printf("%-9s %-11s %8zu %12.0f %10.1f %9.1f\n", schema_names[k], op_names[op],
				       v.n, rate, cpu * 1e9 / (double)records,
				       (double)bytes / (double)records);
				snprintf(results[nres++], sizeof(results[0]),
					 "RESULT schema=%s op=%s set=%zu records=%" PRIu64
					 " cpu_s=%.3f rate=%.0f ns_per_record=%.1f bytes=%.1f",
					 schema_names[k], op_names[op], v.n, records, cpu, rate,
					 cpu * 1e9 / (double)records, (double)bytes / (double)records);
			}
			free(e.bytes);
			free(e.off);
			free(e.len);
		}
	}
	printf("\n");
	for (unsigned i = 0; i < nres; i++)
		printf("%s\n", results[i]);
	ofd_decoder_free(dec);
	free(r.f);
	free(b);
	free(strs);
	free(pbc);
	free(out);
	free(tmp);
	gen_load_free(&d);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"records", required_argument, NULL, 'n'},
	    {"cpu", required_argument, NULL, 'c'},
	    {"prefetch", no_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 2;
	size_t nrec = 65536;
	int c, cpu = -1;
	while ((c = getopt_long(argc, argv, "s:n:c:p", opts, NULL)) != -1) {
		switch (c) {
		case 's': seconds = strtod(optarg, NULL); break;
		case 'n': nrec = strtoul(optarg, NULL, 10); break;
		case 'c': cpu = (int)strtol(optarg, NULL, 10); break;
		case 'p': prefetch = 1; break;
		default:
			fprintf(
			    stderr,
			    "usage: bench_pb [--seconds S] [--records N] [--cpu C] [--prefetch] FILE...\n");
			return 2;
		}
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("sched_setaffinity");
			return 1;
		}
	}
	if (!nrec)
		return 2;
	ofd_log_set_level(OFD_LOG_ERR);
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (run(argv[i], nrec, seconds))
			rc = 1;
	return rc;
}
