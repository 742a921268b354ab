/*
 * The benchmarks' sample: a capture's datagrams (gen_load.h) decoded once into stored batches of
 * live records, so that a timed loop sees records and not decoding. Shared by bench_seg,
 * bench_postgres and bench_influx. Header-only: include after decode/decode.h and gen_load.h.
 */
#ifndef OFD_BENCH_SAMPLE_H
#define OFD_BENCH_SAMPLE_H

#include <stdio.h>
#include <stdlib.h>

struct stored {
	struct ofd_batch **b;
	size_t n, cap;
	uint64_t records;
};

/* The batch callback: a copy of b's live records joins st. */
static void stored_keep(struct ofd_batch *b, void *ctx)
{
	struct stored *st = ctx;
	if (!ofd_batch_live_count(b))
		return;
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 64;
		struct ofd_batch **nb = realloc(st->b, cap * sizeof(*nb));
		if (!nb)
			return;
		st->b = nb;
		st->cap = cap;
	}
	struct ofd_batch *c = malloc(sizeof(*c));
	if (!c)
		return;
	ofd_batch_init(c, NULL, NULL);
	ofd_batch_copy_live(c, b);
	st->records += ofd_batch_live_count(c);
	st->b[st->n++] = c;
}

/* Decode the capture at path into st: 0, or -1 (said on stderr as prog). */
static int stored_load(const char *prog, const char *path, struct stored *st)
{
	struct gen_dgrams s;
	struct ofd_decoder *dec = NULL;
	struct ofd_batch *b = malloc(sizeof(*b));
	int rc = -1;
	if (!b || gen_load(path, &s) || s.n == 0) {
		fprintf(stderr, "%s: %s: no datagrams\n", prog, path);
		free(b);
		return -1;
	}
	if (ofd_decoder_new(&dec, NULL) == 0) {
		ofd_batch_init(b, stored_keep, st);
		for (size_t i = 0; i < s.n; i++)
			(void)ofd_decode(dec, &s.dg[i], b);
		ofd_batch_flush(b);
		rc = st->n ? 0 : -1;
	}
	ofd_decoder_free(dec);
	gen_load_free(&s);
	free(b);
	return rc;
}

#endif
