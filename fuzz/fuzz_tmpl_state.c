/*
 * libFuzzer target: template state files (src/decode/tmpl_state.h) loaded into a decoder.
 *
 * Input: byte 0 bit 0 clear: the rest is a whole file, checksum included; set: the rest is a
 * file without its checksum, which the target appends, so that the fuzzer gets past the
 * checksum to the parser. Each input is loaded into a fresh decoder with small limits at a fixed
 * time (the seed corpus, written by tests/unit/test_tmpl_state.c, is current then). Then:
 *   - the decoder's state, encoded, must load into another decoder and encode to the same bytes
 *     (what a collector saves it can load again, unchanged);
 *   - one data set per loaded template (the input's bytes as records) is decoded, so that plans
 *     compiled from loaded templates meet data.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/template.h"
#include "decode/tmpl_state.h"
#include "ofd/rd.h"

#define NOW_NS	 (1700000600ull * 1000000000ull)
#define SUM_LEN	 32
#define MAX_DATA 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ofd_decode_limits lim = {.max_exporters = 4,
					     .max_templates_per_exporter = 16,
					     .max_templates_total = 32,
					     .max_fields = 64,
					     .template_timeout_s = 3600};

static int encode(const struct ofd_decoder *d, uint8_t **out, size_t *len)
{
	struct ofd_tmpl_snap *s;
	if (ofd_tmpl_snap_take(&s, d))
		return -1;
	int err = ofd_tmpl_state_encode((const struct ofd_tmpl_snap *const[]){s}, 1, NOW_NS, out, len);
	ofd_tmpl_snap_free(s);
	return err;
}

/* Save d and load the result into a second decoder: saving that again must give the same bytes. */
static void check_roundtrip(const struct ofd_decoder *d)
{
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t l1 = 0, l2 = 0;
	struct ofd_decoder *d2 = NULL;
	struct ofd_tmpl_state_info info;
	if (encode(d, &e1, &l1) || ofd_decoder_new(&d2, &lim))
		goto out;
	if (ofd_tmpl_state_load_mem(d2, e1, l1, NOW_NS, &info) || info.ignored || info.stale || info.refused)
		abort(); /* what we wrote, we read whole */
	if (encode(d2, &e2, &l2))
		goto out;
	if (l1 != l2 || memcmp(e1, e2, l1) != 0)
		abort();
out:
	ofd_decoder_free(d2);
	free(e1);
	free(e2);
}

struct data_ctx {
	struct ofd_decoder *d;
	const uint8_t *rec;
	size_t len;
	unsigned n;
	struct {
		struct ofd_tmpl_key key;
		uint16_t id;
	} t[32];
};

static int note_template(const struct ofd_tmpl_view *v, void *ctx)
{
	struct data_ctx *c = ctx;
	if (c->n < 32) {
		c->t[c->n].key = *v->key;
		c->t[c->n].id = v->id;
		c->n++;
	}
	return 0;
}

/* A v9 or IPFIX message of the template's exporter with one data set of its id. */
static void decode_data(struct ofd_decoder *d, const struct ofd_tmpl_key *k, uint16_t id, const uint8_t *rec,
			size_t len)
{
	static uint8_t msg[20 + 4 + MAX_DATA];
	static struct ofd_batch batch;
	size_t hl = k->version == 9 ? 20 : 16, ml = hl + 4 + len;
	memset(msg, 0, hl);
	msg[1] = k->version;
	if (k->version == 9) {
		msg[3] = 1;
		msg[7] = 100;				/* sysUptime */
		memcpy(msg + 8, "\x65\x53\xf1\x00", 4); /* unix secs */
		msg[16] = (uint8_t)(k->domain >> 24);
		msg[17] = (uint8_t)(k->domain >> 16);
		msg[18] = (uint8_t)(k->domain >> 8);
		msg[19] = (uint8_t)k->domain;
	} else {
		msg[2] = (uint8_t)(ml >> 8);
		msg[3] = (uint8_t)ml;
		memcpy(msg + 4, "\x65\x53\xf1\x00", 4);
		msg[12] = (uint8_t)(k->domain >> 24);
		msg[13] = (uint8_t)(k->domain >> 16);
		msg[14] = (uint8_t)(k->domain >> 8);
		msg[15] = (uint8_t)k->domain;
	}
	msg[hl] = (uint8_t)(id >> 8);
	msg[hl + 1] = (uint8_t)id;
	msg[hl + 2] = (uint8_t)((len + 4) >> 8);
	msg[hl + 3] = (uint8_t)(len + 4);
	memcpy(msg + hl + 4, rec, len);
	struct ofd_dgram dg = {
	    .data = msg, .len = ml, .src = k->addr, .src_port = k->port, .time_ns = NOW_NS};
	ofd_batch_init(&batch, NULL, NULL);
	(void)ofd_decode(d, &dg, &batch);
	ofd_batch_reset(&batch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		ofd_log_set_level(OFD_LOG_ERR);
		if (sodium_init() < 0)
			return 0;
		init = 1;
	}
	if (size < 1)
		return 0;
	size_t len = size - 1;
	uint8_t *file = malloc(len + SUM_LEN);
	if (!file)
		return 0;
	memcpy(file, data + 1, len);
	if (data[0] & 1) {
		crypto_generichash(file + len, SUM_LEN, file, len, NULL, 0);
		len += SUM_LEN;
	}
	struct ofd_decoder *d;
	if (ofd_decoder_new(&d, &lim)) {
		free(file);
		return 0;
	}
	struct ofd_tmpl_state_info info;
	if (ofd_tmpl_state_load_mem(d, file, len, NOW_NS, &info) == 0 && !info.ignored) {
		check_roundtrip(d);
		struct data_ctx c = {.d = d};
		(void)ofd_tmpl_cache_each(d->tc, note_template, &c);
		size_t dl = size - 1 < MAX_DATA ? size - 1 : MAX_DATA;
		for (unsigned i = 0; i < c.n; i++)
			decode_data(d, &c.t[i].key, c.t[i].id, data + 1, dl);
	}
	ofd_decoder_free(d);
	free(file);
	return 0;
}
