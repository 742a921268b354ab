/*
 * kafkaconsumer: one Kafka message's payload into records.
 *
 * protobuf: flowpipeline's EnrichedFlow, or goflow2's FlowMessage with `legacy`
 * (src/format/flowpb.h), either one bare message per Kafka message (flowpipeline before its
 * goflow2 v2 move, goflow2 v1, our kafkaproducer with delimited: false) or length-delimited
 * messages (flowpipeline's and our kafkaproducer's default, goflow2 v2's -format=bin,
 * protodelim: a varint length before each). `delimited: auto` (the default) takes a payload as delimited when
 * its prefixes chain exactly to its end and every message inside decodes, else as one bare
 * message: a bare message is taken for a delimited one only if its first bytes happen to be a
 * varint equal to the rest's length and the rest decodes as well. `delimited: true` / `false`
 * force either reading.
 *
 * json: one or more JSON lines (ours, goflow2's or flowpipeline's protojson, recognised per line
 * as the stdin segment does, src/format/flowjson_parse.h).
 *
 * The batch is passed on (kc_off_flush) before it would fill by itself or run out of arena, so
 * that every hand-over is a flush point the offsets can be tied to.
 */
#include <string.h>

#include "format/flowjson_parse.h"
#include "format/flowpb.h"
#include "kafkaconsumer.h"

/* Room for `recs` more records and `bytes` more arena bytes, flushing first if needed. */
static void kc_room(struct kc_worker *w, uint32_t recs, size_t bytes)
{
	struct ofd_batch *b = w->b;
	if (bytes > OFD_BATCH_ARENA)
		bytes = OFD_BATCH_ARENA;
	if (b->n + recs > OFD_BATCH_CAP || ofd_batch_arena_free(b) < bytes)
		kc_off_flush(w);
}

/* One bare message into a new record; 0 or an error (the record taken back). */
static int kc_one(struct kc_worker *w, const uint8_t *p, size_t n)
{
	enum ofd_pb_schema sc = w->s->legacy ? OFD_PB_LEGACY : OFD_PB_ENRICHED;
	kc_room(w, 1, n + 64);
	struct ofd_flow *f = ofd_batch_add(w->b);
	unsigned dropped = 0;
	int rc = ofd_pb_decode(f, p, n, sc, w->b, &dropped);
	w->n_strs += dropped;
	if (rc) {
		ofd_batch_unadd(w->b);
		return rc;
	}
	w->n_recs++;
	return 0;
}

/* The delimited messages of p[0..n): how many, or -1 when the prefixes do not chain to the end. */
static long kc_chain(const uint8_t *p, size_t n)
{
	size_t off = 0;
	long cnt = 0;
	const uint8_t *m;
	size_t len;
	int r;
	while ((r = ofd_pb_next_delim(p, n, &off, &m, &len)) == 1)
		cnt++;
	return r == 0 && off == n ? cnt : -1;
}

/* Every delimited message of p[0..n); with `all`, refuse (taking back the records) unless every
   one decodes. 0, or -1 when one did not (all: none added). */
static int kc_delimited(struct kc_worker *w, const uint8_t *p, size_t n, long cnt, int all)
{
	size_t off = 0, len;
	const uint8_t *m;
	int bad = 0;
	if (all && cnt <= OFD_BATCH_CAP)
		kc_room(w, (uint32_t)cnt, n + 64 * (size_t)cnt);
	uint32_t n0 = w->b->n;
	uint64_t r0 = w->n_recs, f0 = w->flushes;
	while (ofd_pb_next_delim(p, n, &off, &m, &len) == 1) {
		if (kc_one(w, m, len) == 0)
			continue;
		bad = 1;
		if (all && w->flushes == f0) { /* none of its records passed on: take them back */
			while (w->b->n > n0)
				ofd_batch_unadd(w->b);
			w->n_recs = r0;
			return -1;
		}
	}
	return bad ? -1 : 0;
}

static int kc_protobuf(struct kc_worker *w, const uint8_t *p, size_t n)
{
	long cnt;
	switch (w->s->delimited) {
	case KC_DELIM_YES: cnt = kc_chain(p, n); return kc_delimited(w, p, n, cnt, 0) || cnt < 0 ? -1 : 0;
	case KC_DELIM_NO: return kc_one(w, p, n) ? -1 : 0;
	default:
		cnt = kc_chain(p, n);
		if (cnt > 0) {
			uint64_t f0 = w->flushes;
			if (kc_delimited(w, p, n, cnt, 1) == 0)
				return 0;
			if (w->flushes != f0) /* some of its records passed on already: no second reading */
				return -1;
		}
		return kc_one(w, p, n) ? -1 : 0;
	}
}

/* JSON lines; a line that does not parse makes the message count as one decode error. */
static int kc_json(struct kc_worker *w, const uint8_t *p, size_t n)
{
	const char *s = (const char *)p, *end = s + n;
	int bad = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		size_t i = 0;
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i < len) {
			kc_room(w, 1, len + 64);
			struct ofd_flow *f = ofd_batch_add(w->b);
			unsigned dropped = 0;
			int rc = ofd_flowjson_parse(f, s, len, w->b, &dropped);
			w->n_strs += dropped;
			if (rc) {
				ofd_batch_unadd(w->b);
				bad = 1;
			} else {
				w->n_recs++;
			}
		}
		s += len + 1;
	}
	return bad ? -1 : 0;
}

int kc_decode(struct kc_worker *w, const uint8_t *p, size_t n)
{
	if (!p || n == 0)
		return -1; /* an empty message (or a tombstone) is no flow */
	return w->s->format == KC_FMT_JSON ? kc_json(w, p, n) : kc_protobuf(w, p, n);
}
