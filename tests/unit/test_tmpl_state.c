/*
 * Template state files: templates, options templates and options state (sampling interval, per
 * sampler rates, systemInitTime) learned by one decoder decode data in another after a save and
 * a load; enterprise and variable-length fields survive; stale templates are skipped; bad files
 * (truncated, a flipped byte, another version, empty, a directory, malformed with a valid
 * checksum) are ignored whole and the decoder works on; several decoders merge; limits apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "decode/decode.h"
#include "decode/template.h"
#include "decode/tmpl_state.h"
#include "gen_v9ipfix.h"

#define S	 1000000000ull
#define T0_S	 1700000000u
#define T0	 ((uint64_t)T0_S * S)
#define IPFIX4	 0xc0000281u /* 192.0.2.129:4739, domain 42 */
#define V9_4	 0xc0000282u /* 192.0.2.130:2055, source id 7 */
#define INIT_MS	 1699990000000ull
#define SEED_NOW (T0 + 600 * S) /* fuzz/fuzz_tmpl_state.c loads its corpus at this time */

static struct gv_sink sink;
static char dir[256];

/* IPFIX data template 256: enterprise and variable-length fields between mapped ones. */
static const struct gv_field f256[] = {
    {8, 4, 0}, {12, 4, 0}, {100, 4, 9}, {82, GV_VARLEN, 0}, {7, 2, 0}, {11, 2, 0}, {200, GV_VARLEN, 29305},
    {4, 1, 0}, {1, 8, 0},  {2, 4, 0},	{22, 4, 0},	    {21, 4, 0}};
#define N256 (sizeof(f256) / sizeof(f256[0]))
/* IPFIX data template 257: sampler id; options 400: interval/space + init time; 401: per sampler. */
static const struct gv_field f257[] = {{8, 4, 0}, {302, 4, 0}};
static const struct gv_field sc400[] = {{149, 4, 0}};
static const struct gv_field o400[] = {{305, 4, 0}, {306, 4, 0}, {160, 8, 0}};
static const struct gv_field sc401[] = {{48, 2, 0}};
static const struct gv_field o401[] = {{34, 4, 0}};
/* v9 data template 300 and options template 301 (samplingInterval 34). */
static const struct gv_field f300[] = {{8, 4, 0},  {12, 4, 0}, {1, 4, 0},  {2, 4, 0}, {7, 2, 0},
				       {11, 2, 0}, {4, 1, 0},  {22, 4, 0}, {21, 4, 0}};
#define N300 (sizeof(f300) / sizeof(f300[0]))
static const struct gv_field sc301[] = {{1, 4, 0}};
static const struct gv_field o301[] = {{34, 4, 0}};

static struct ofd_decoder *new_decoder(const struct ofd_decode_limits *lim)
{
	struct ofd_decoder *d;
	assert_int_equal(ofd_decoder_new(&d, lim), 0);
	return d;
}

static int decode_msg(struct ofd_decoder *d, struct gv_msg *m, uint32_t src4, uint16_t port, uint64_t t)
{
	size_t len = gv_end(m);
	int n = gv_decode(d, m->g.p, len, src4, port, t, &sink);
	gv_free(m);
	return n;
}

/* The IPFIX exporter's templates and options data (datagram time t). */
static void learn_ipfix(struct ofd_decoder *d, uint64_t t)
{
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, (uint32_t)(t / S), 1, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, f256, N256);
	gv_template(&m, 257, f257, 2);
	gv_set_begin(&m, 3);
	gv_options_template(&m, 400, sc400, 1, o400, 3);
	gv_options_template(&m, 401, sc401, 1, o401, 1);
	/* per sampler first: the exporter's rate is the latest one stated, 100 */
	gv_set_begin(&m, 401);
	gv_record(&m, (const struct gv_field[]){{48, 2, 0}, {34, 4, 0}}, 2, (const uint64_t[]){7, 4096});
	gv_set_begin(&m, 400);
	gv_record(&m, (const struct gv_field[]){{149, 4, 0}, {305, 4, 0}, {306, 4, 0}, {160, 8, 0}}, 4,
		  (const uint64_t[]){1, 1, 99, INIT_MS});
	assert_int_equal(decode_msg(d, &m, IPFIX4, 4739, t), 0);
}

/* The v9 exporter's templates and options data. */
static void learn_v9(struct ofd_decoder *d, uint64_t t)
{
	struct gv_msg m = {0};
	gv_v9_begin(&m, 100000, (uint32_t)(t / S), 1, 7);
	gv_set_begin(&m, 0);
	gv_template(&m, 300, f300, N300);
	gv_set_begin(&m, 1);
	gv_options_template(&m, 301, sc301, 1, o301, 1);
	gv_set_begin(&m, 301);
	gv_record(&m, (const struct gv_field[]){{1, 4, 0}, {34, 4, 0}}, 2, (const uint64_t[]){0, 1000});
	assert_int_equal(decode_msg(d, &m, V9_4, 2055, t), 0);
}

/* IPFIX data only: a 256 record (varlen fields of 3 and 300 bytes), two 257 records. */
static int ipfix_data(struct ofd_decoder *d, uint64_t t)
{
	static uint8_t big[300];
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, (uint32_t)(t / S), 2, 42);
	gv_set_begin(&m, 256);
	gv_ip4(&m, 0x0a000001);
	gv_ip4(&m, 0x0a000002);
	gv_uint(&m, 0xdeadbeef, 4);
	gv_varlen(&m, "et0", 3);
	gv_uint(&m, 5353, 2);
	gv_uint(&m, 53, 2);
	gv_varlen(&m, big, sizeof(big));
	gv_uint(&m, 17, 1);
	gv_uint(&m, 123456789012ull, 8);
	gv_uint(&m, 321, 4);
	gv_uint(&m, 1000, 4);
	gv_uint(&m, 5000, 4);
	gv_set_begin(&m, 257);
	gv_record(&m, f257, 2, (const uint64_t[]){0x0a000003, 7});
	gv_record(&m, f257, 2, (const uint64_t[]){0x0a000004, 8});
	return decode_msg(d, &m, IPFIX4, 4739, t);
}

static int v9_data(struct ofd_decoder *d, uint64_t t)
{
	struct gv_msg m = {0};
	gv_v9_begin(&m, 100000, (uint32_t)(t / S), 2, 7);
	gv_set_begin(&m, 300);
	gv_record(&m, f300, N300,
		  (const uint64_t[]){0x0b000001, 0x0b000002, 1500, 3, 443, 50000, 6, 90000, 99000});
	return decode_msg(d, &m, V9_4, 2055, t);
}

/* Assert the records of ipfix_data() then v9_data() in sink, as decoded with all state known. */
static void check_records(uint64_t t)
{
	assert_int_equal(sink.n, 4);
	const struct ofd_flow *f = &sink.got[0];
	assert_int_equal(f->type, OFD_FT_IPFIX);
	assert_int_equal(f->observation_domain_id, 42);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0x0a000001);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0x0a000002);
	assert_int_equal(f->src_port, 5353);
	assert_int_equal(f->dst_port, 53);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->bytes, 123456789012ull);
	assert_int_equal(f->packets, 321);
	/* uptime times need the exporter's systemInitTimeMilliseconds from the options data */
	assert_int_equal(f->time_flow_start_ns, (INIT_MS + 1000) * 1000000ull);
	assert_int_equal(f->time_flow_end_ns, (INIT_MS + 5000) * 1000000ull);
	/* samplingPacketInterval 1, samplingPacketSpace 99 */
	assert_int_equal(f->sampling_rate, 100);
	assert_true(ofd_flow_has(f, OFD_F_SAMPLING_RATE));
	/* sampler 7's own rate; sampler 8 never announced: no rate (not the exporter's), a note */
	assert_int_equal(ofd_ip_v4(&sink.got[1].src_addr), 0x0a000003);
	assert_int_equal(sink.got[1].sampling_rate, 4096);
	assert_int_equal(ofd_ip_v4(&sink.got[2].src_addr), 0x0a000004);
	assert_int_equal(sink.got[2].sampling_rate, 0);
	assert_false(ofd_flow_has(&sink.got[2], OFD_F_SAMPLING_RATE));
	assert_true(ofd_flow_has(&sink.got[2], OFD_F_NOTE));
	f = &sink.got[3];
	assert_int_equal(f->type, OFD_FT_NETFLOW_V9);
	assert_int_equal(f->observation_domain_id, 7);
	assert_int_equal(ofd_ip_v4(&f->src_addr), 0x0b000001);
	assert_int_equal(ofd_ip_v4(&f->dst_addr), 0x0b000002);
	assert_int_equal(f->bytes, 1500);
	assert_int_equal(f->packets, 3);
	assert_int_equal(f->src_port, 443);
	assert_int_equal(f->dst_port, 50000);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->sampling_rate, 1000);
	/* export time minus (sysUptime 100000 - 90000) ms */
	assert_int_equal(f->time_flow_start_ns, (t / S) * S - 10000 * 1000000ull);
}

/* Decode both data messages with d and check them; no drops. */
static void check_decodes(struct ofd_decoder *d, uint64_t t)
{
	sink.n = 0;
	uint64_t drops = ofd_decode_drops_total(&d->st);
	assert_int_equal(ipfix_data(d, t), 3);
	assert_int_equal(v9_data(d, t), 1);
	check_records(t);
	assert_int_equal(ofd_decode_drops_total(&d->st), drops);
}

/* Data without any state: all dropped as unknown-template. */
static void check_unknown(struct ofd_decoder *d, uint64_t t)
{
	sink.n = 0;
	uint64_t before = d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE];
	assert_int_equal(ipfix_data(d, t), 0);
	assert_int_equal(v9_data(d, t), 0);
	assert_int_equal(sink.n, 0);
	assert_int_equal(d->st.drops[OFD_DROP_UNKNOWN_TEMPLATE], before + 3);
}

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static struct ofd_decoder *learned(const struct ofd_decode_limits *lim, uint64_t t)
{
	struct ofd_decoder *d = new_decoder(lim);
	learn_ipfix(d, t);
	learn_v9(d, t);
	return d;
}

static void save1(const struct ofd_decoder *d, const char *path)
{
	assert_int_equal(ofd_tmpl_state_save(&d, 1, path), 0);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_roundtrip(void **state)
{
	(void)state;
	char path[512], tmp[520];
	path_in(path, sizeof(path), "state");
	struct ofd_decoder *a = learned(NULL, T0);
	check_decodes(a, T0 + S);
	save1(a, path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed away */

	struct ofd_decoder *b = new_decoder(NULL);
	check_unknown(b, T0 + 2 * S); /* what a restart without state does */
	ofd_decoder_free(b);

	b = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + 2 * S, &info), 0);
	assert_false(info.missing);
	assert_false(info.ignored);
	assert_int_equal(info.templates, 3);
	assert_int_equal(info.options_templates, 3);
	assert_int_equal(info.exporters, 2);
	assert_int_equal(info.stale, 0);
	assert_int_equal(info.refused, 0);
	assert_true(info.saved_ns >= T0); /* wall clock at the save */
	assert_int_equal(b->st.templates_loaded, 6);
	assert_int_equal(b->st.templates, 0);
	assert_int_equal(b->st.options_templates, 0);
	assert_int_equal(ofd_tmpl_cache_templates(b->tc), 6);
	assert_int_equal(ofd_tmpl_cache_options_templates(b->tc), 3);
	assert_int_equal(ofd_tmpl_cache_exporters(b->tc), 2);
	check_decodes(b, T0 + 2 * S);
	assert_int_equal(ofd_decode_drops_total(&b->st), 0);

	/* B saves what it loaded: the same bytes but the save time */
	char path2[512];
	path_in(path2, sizeof(path2), "state2");
	save1(b, path2);
	size_t l1, l2;
	uint8_t *p1 = read_file(path, &l1), *p2 = read_file(path2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, 16);
	assert_memory_equal(p1 + 24, p2 + 24, l1 - 24 - 32);
	free(p1);
	free(p2);
	ofd_decoder_free(a);
	ofd_decoder_free(b);
}

static void test_missing_and_empty_decoder(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof(path), "none");
	struct ofd_decoder *d = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(d, path, T0, &info), 0);
	assert_true(info.missing);
	assert_false(info.ignored);
	assert_int_equal(info.templates, 0);
	/* a decoder without templates saves a valid, empty state */
	path_in(path, sizeof(path), "empty-state");
	save1(d, path);
	size_t len;
	uint8_t *p = read_file(path, &len);
	assert_int_equal(len, 64);
	free(p);
	assert_int_equal(ofd_tmpl_state_load(d, path, T0, &info), 0);
	assert_false(info.ignored);
	assert_int_equal(info.templates + info.options_templates, 0);
	/* saving where no file can be: an error, nothing left behind */
	path_in(path, sizeof(path), "no/such/dir/state");
	assert_true(ofd_tmpl_state_save((const struct ofd_decoder *const[]){d}, 1, path) < 0);
	ofd_decoder_free(d);
}

/* Templates older than template_timeout_s at load are skipped; loaded ones keep their age. */
static void test_stale(void **state)
{
	(void)state;
	const struct ofd_decode_limits lim = {16, 16, 64, 64, 60, 0, 0, 0};
	char path[512];
	path_in(path, sizeof(path), "stale");
	struct ofd_decoder *a = new_decoder(&lim);
	learn_ipfix(a, T0);	  /* 4 templates at T0 */
	learn_v9(a, T0 + 30 * S); /* 2 at T0 + 30 s */
	save1(a, path);
	ofd_decoder_free(a);

	struct ofd_tmpl_state_info info;
	struct ofd_decoder *b = new_decoder(&lim);
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + 61 * S, &info), 0);
	assert_false(info.ignored);
	assert_int_equal(info.stale, 4);
	assert_int_equal(info.templates, 1);
	assert_int_equal(info.options_templates, 1);
	assert_int_equal(info.exporters, 1);
	sink.n = 0;
	assert_int_equal(ipfix_data(b, T0 + 61 * S), 0);
	assert_int_equal(v9_data(b, T0 + 61 * S), 1);
	assert_int_equal(sink.got[0].sampling_rate, 1000);
	/* the loaded template expires 60 s after its last refresh (T0 + 30 s), not after the load */
	assert_int_equal(v9_data(b, T0 + 91 * S), 0);
	assert_int_equal(b->st.templates_expired, 1);
	ofd_decoder_free(b);

	/* timeout 0: nothing is stale */
	const struct ofd_decode_limits forever = {16, 16, 64, 64, 0, 0, 0, 0};
	b = new_decoder(&forever);
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + 86400 * S, &info), 0);
	assert_int_equal(info.stale, 0);
	assert_int_equal(info.templates + info.options_templates, 6);
	ofd_decoder_free(b);
}

/* Recompute the trailing checksum after an edit, so that only the edit is wrong. */
static void rehash(uint8_t *p, size_t len)
{
	crypto_generichash(p + len - 32, 32, p, len - 32, NULL, 0);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Load path (ignored, with why) into a fresh decoder, which must then work as a fresh one. */
static void expect_ignored(const char *path, const char *why)
{
	struct ofd_decoder *d = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(d, path, T0 + S, &info), 0);
	assert_true(info.ignored);
	assert_false(info.missing);
	assert_non_null(info.why);
	if (why && strcmp(info.why, why) != 0)
		fail_msg("%s: ignored as '%s', want '%s'", path, info.why, why);
	assert_int_equal(info.templates + info.options_templates + info.exporters, 0);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 0);
	assert_int_equal(d->st.templates_loaded, 0);
	assert_int_equal(ofd_decode_drops_total(&d->st), 0);
	check_unknown(d, T0 + S);
	learn_ipfix(d, T0 + S);
	learn_v9(d, T0 + S);
	check_decodes(d, T0 + 2 * S);
	ofd_decoder_free(d);
}

static void test_bad_files(void **state)
{
	(void)state;
	char good[512], path[512];
	path_in(good, sizeof(good), "good");
	struct ofd_decoder *a = learned(NULL, T0);
	save1(a, good);
	ofd_decoder_free(a);
	size_t len;
	uint8_t *p = read_file(good, &len);
	uint8_t *q = malloc(len + 1);
	assert_non_null(q);
	path_in(path, sizeof(path), "bad");

	/* truncated: every length short of the whole file */
	for (size_t n = 0; n < len; n += (n < 80 ? 1 : 37)) {
		write_file(path, p, n);
		expect_ignored(path, n == 0   ? "empty file"
				     : n < 64 ? "shorter than a header and checksum"
					      : "checksum mismatch (truncated or corrupt)");
	}
	/* one flipped bit anywhere but the magic and version: the checksum tells */
	for (size_t i = 12; i < len; i += 7) {
		memcpy(q, p, len);
		q[i] ^= 0x10;
		write_file(path, q, len);
		expect_ignored(path, "checksum mismatch (truncated or corrupt)");
	}
	memcpy(q, p, len);
	q[3] ^= 1;
	write_file(path, q, len);
	expect_ignored(path, "not a template state file");
	/* another format version, with a checksum that matches */
	memcpy(q, p, len);
	put32(q + 8, 2);
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "written in another format version");
	/* valid checksums over malformed content */
	memcpy(q, p, len);
	put32(q + 12, 1);
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "malformed header");
	memcpy(q, p, len);
	put32(q + 28, 7); /* template count */
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "template record cut short");
	memcpy(q, p, len);
	put32(q + 24, 1000); /* exporter count */
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "record counts larger than the file");
	memcpy(q, p, len - 32); /* every record valid, then a stray byte: nothing may be loaded */
	q[len - 32] = 0;
	rehash(q, len + 1);
	write_file(path, q, len + 1);
	expect_ignored(path, "bytes after the last record");
	memcpy(q, p, len);
	q[32] = 5; /* the first exporter's address family */
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "exporter with a bad address family");
	/* the last template (v9 301, 2 fields): v9 fields have no enterprise number */
	memcpy(q, p, len);
	q[len - 32 - 16 + 7] = 9;
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "template field with a bad element id or enterprise number");
	/* its id: 3 */
	memcpy(q, p, len);
	q[len - 32 - 16 - 20 + 4] = 0;
	q[len - 32 - 16 - 20 + 5] = 3;
	rehash(q, len);
	write_file(path, q, len);
	expect_ignored(path, "template with a bad id or flags");
	/* not a file */
	expect_ignored(dir, "not a regular file");
	free(q);
	free(p);
}

/* Two decoders (two input threads): merged, the newest definition of a template id wins. */
static void test_merge(void **state)
{
	(void)state;
	static const struct gv_field old256[] = {{11, 2, 0}};
	char path[512];
	path_in(path, sizeof(path), "merged");
	struct ofd_decoder *a1 = new_decoder(NULL), *a2 = new_decoder(NULL);
	/* a1: an older layout of the IPFIX exporter's 256, and the v9 exporter */
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, T0_S, 1, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, old256, 1);
	assert_int_equal(decode_msg(a1, &m, IPFIX4, 4739, T0), 0);
	learn_v9(a1, T0 + 5 * S);
	/* a2: the IPFIX exporter's current templates and options */
	learn_ipfix(a2, T0 + 10 * S);
	assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a1, a2}, 2, path), 0);
	/* either order of the decoders gives the same result */
	char path2[512];
	path_in(path2, sizeof(path2), "merged2");
	assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a2, a1}, 2, path2), 0);
	size_t l1, l2;
	uint8_t *p1 = read_file(path, &l1), *p2 = read_file(path2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1 + 24, p2 + 24, l1 - 24 - 32);
	free(p1);
	free(p2);

	struct ofd_decoder *b = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + 20 * S, &info), 0);
	assert_int_equal(info.templates, 3);
	assert_int_equal(info.options_templates, 3);
	assert_int_equal(info.exporters, 2);
	check_decodes(b, T0 + 20 * S);
	ofd_decoder_free(b);
	ofd_decoder_free(a1);
	ofd_decoder_free(a2);
}

/* v9 options data of the v9 exporter stating sampling interval `rate`. */
static void v9_rate(struct ofd_decoder *d, uint64_t t, uint64_t rate)
{
	struct gv_msg m = {0};
	gv_v9_begin(&m, 100000, (uint32_t)(t / S), 3, 7);
	gv_set_begin(&m, 301);
	gv_record(&m, (const struct gv_field[]){{1, 4, 0}, {34, 4, 0}}, 2, (const uint64_t[]){0, rate});
	assert_int_equal(decode_msg(d, &m, V9_4, 2055, t), 0);
}

/*
 * After a restart every worker holds the exporter's saved options; one worker then hears the
 * exporter's new sampling rate. Saving the workers merges them: the newer statement wins,
 * whatever the order of the workers, and the next start decodes with the new rate.
 */
static void test_options_newest_wins(void **state)
{
	(void)state;
	char path[512], path2[512];
	path_in(path, sizeof(path), "opts1");
	path_in(path2, sizeof(path2), "opts2");
	struct ofd_decoder *a = learned(NULL, T0);
	save1(a, path);
	struct ofd_decoder *w0 = new_decoder(NULL), *w1 = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(w0, path, T0 + S, &info), 0);
	assert_int_equal(ofd_tmpl_state_load(w1, path, T0 + S, &info), 0);
	v9_rate(w1, T0 + 2 * S, 2000);
	for (int order = 0; order < 2; order++) {
		const struct ofd_decoder *const ws[2] = {order ? w1 : w0, order ? w0 : w1};
		assert_int_equal(ofd_tmpl_state_save(ws, 2, path2), 0);
		struct ofd_decoder *b = new_decoder(NULL);
		assert_int_equal(ofd_tmpl_state_load(b, path2, T0 + 3 * S, &info), 0);
		sink.n = 0;
		assert_int_equal(v9_data(b, T0 + 3 * S), 1);
		assert_int_equal(sink.got[0].sampling_rate, 2000);
		ofd_decoder_free(b);
	}
	/* and a worker that loaded the file keeps what it hears over what it loaded */
	sink.n = 0;
	assert_int_equal(v9_data(w1, T0 + 3 * S), 1);
	assert_int_equal(sink.got[0].sampling_rate, 2000);
	ofd_decoder_free(a);
	ofd_decoder_free(w0);
	ofd_decoder_free(w1);
}

/* Loaded templates meet the loading decoder's limits; templates it has are not replaced. */
static void test_limits_and_kept(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof(path), "limits");
	struct ofd_decoder *a = learned(NULL, T0);
	save1(a, path);
	ofd_decoder_free(a);

	/* 8 fields at most: 256 (12 fields) and 300 (9) are refused, counted as drops */
	const struct ofd_decode_limits small = {16, 16, 64, 8, 1800, 0, 0, 0};
	struct ofd_decoder *b = new_decoder(&small);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + S, &info), 0);
	assert_false(info.ignored);
	assert_int_equal(info.refused, 2);
	assert_int_equal(info.templates, 1);
	assert_int_equal(info.options_templates, 3);
	assert_int_equal(b->st.drops[OFD_DROP_TEMPLATE_LIMIT], 2);
	ofd_decoder_free(b);

	/* one exporter at most: the one loaded later evicts the other (neither had data) */
	const struct ofd_decode_limits one = {1, 16, 64, 64, 1800, 0, 0, 0};
	b = new_decoder(&one);
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + S, &info), 0);
	assert_int_equal(info.exporters, 1);
	assert_int_equal(ofd_tmpl_cache_exporters(b->tc), 1);
	assert_int_equal(info.refused, 0);
	assert_int_equal(b->st.template_evictions[OFD_TMPL_BUDGET_MAIN][OFD_TMPL_EVICT_NO_DATA], 1);
	ofd_decoder_free(b);

	/* a template the decoder learned already stays as it is */
	static const struct gv_field mine[] = {{11, 2, 0}};
	b = new_decoder(NULL);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, T0_S, 1, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 256, mine, 1);
	assert_int_equal(decode_msg(b, &m, IPFIX4, 4739, T0 + 2 * S), 0);
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + 2 * S, &info), 0);
	assert_int_equal(info.kept, 1);
	assert_int_equal(info.templates, 2);
	sink.n = 0;
	gv_ipfix_begin(&m, T0_S, 2, 42);
	gv_set_begin(&m, 256);
	gv_record(&m, mine, 1, (const uint64_t[]){8080});
	assert_int_equal(decode_msg(b, &m, IPFIX4, 4739, T0 + 2 * S), 1);
	assert_int_equal(sink.got[0].dst_port, 8080);
	assert_int_equal(sink.got[0].sampling_rate, 100); /* the options state was restored */
	ofd_decoder_free(b);
}

/* The cache's count of options templates follows definitions, redefinitions and removals. */
static void test_options_count(void **state)
{
	(void)state;
	struct ofd_decoder *d = learned(NULL, T0);
	assert_int_equal(ofd_tmpl_cache_options_templates(d->tc), 3);
	struct gv_msg m = {0};
	gv_ipfix_begin(&m, T0_S, 3, 42);
	gv_set_begin(&m, 2);
	gv_template(&m, 400, f257, 2); /* options template 400 becomes a data template */
	assert_int_equal(decode_msg(d, &m, IPFIX4, 4739, T0), 0);
	assert_int_equal(ofd_tmpl_cache_options_templates(d->tc), 2);
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 6);
	gv_ipfix_begin(&m, T0_S, 4, 42);
	gv_set_begin(&m, 3);
	gv_withdraw(&m, 3); /* all options templates of the IPFIX exporter */
	gv_set_end(&m, 2);
	assert_int_equal(decode_msg(d, &m, IPFIX4, 4739, T0), 0);
	assert_int_equal(ofd_tmpl_cache_options_templates(d->tc), 1); /* v9's 301 */
	assert_int_equal(ofd_tmpl_cache_templates(d->tc), 5);
	ofd_decoder_free(d);
}

/*
 * The fuzz target's seed (fuzz/corpus/tmpl_state/valid.bin): byte 0 (0: a whole file) and the
 * state of learned() saved at T0 + 60 s. OFD_TMPL_STATE_SEED=PATH writes it; with OFD_SRC set
 * the committed seed must be current.
 */
static void test_seed(void **state)
{
	(void)state;
	struct ofd_decoder *a = learned(NULL, T0);
	struct ofd_tmpl_snap *s;
	assert_int_equal(ofd_tmpl_snap_take(&s, a), 0);
	uint8_t *buf;
	size_t len;
	assert_int_equal(
	    ofd_tmpl_state_encode((const struct ofd_tmpl_snap *const[]){s}, 1, T0 + 60 * S, &buf, &len), 0);
	ofd_tmpl_snap_free(s);
	ofd_decoder_free(a);
	struct ofd_decoder *b = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load_mem(b, buf, len, SEED_NOW, &info), 0);
	assert_int_equal(info.saved_ns, T0 + 60 * S);
	assert_int_equal(info.templates + info.options_templates, 6);
	check_decodes(b, SEED_NOW);
	ofd_decoder_free(b);

	uint8_t *seed = malloc(len + 1);
	assert_non_null(seed);
	seed[0] = 0;
	memcpy(seed + 1, buf, len);
	const char *out = getenv("OFD_TMPL_STATE_SEED");
	if (out)
		write_file(out, seed, len + 1);
	const char *src = getenv("OFD_SRC");
	if (src) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/fuzz/corpus/tmpl_state/valid.bin", src);
		size_t got;
		uint8_t *committed = read_file(path, &got);
		assert_int_equal(got, len + 1);
		assert_memory_equal(committed, seed, len + 1);
		free(committed);
	}
	free(seed);
	free(buf);
}

/* A state file path that is not a regular file: a device node (a copy of /dev/null made here),
   a FIFO, a directory, a symbolic link to a file; none is replaced by a save (the link's target
   is untouched), none is loaded. Junk at path.tmp is never written through either. */
static void test_not_regular(void **state)
{
	(void)state;
	char sub[512], path[600], target[600], tmp[700];
	path_in(sub, sizeof(sub), "nonreg");
	assert_int_equal(mkdir(sub, 0700), 0);
	struct ofd_decoder *a = learned(NULL, T0);
	struct stat st;
	/* a device node, when we may make one */
	snprintf(path, sizeof(path), "%s/null", sub);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0) {
		assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a}, 1, path),
				 -EEXIST);
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(st.st_rdev, makedev(1, 3));
		expect_ignored(path, "not a regular file");
	}
	snprintf(path, sizeof(path), "%s/fifo", sub);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a}, 1, path), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	expect_ignored(path, "not a regular file");
	snprintf(path, sizeof(path), "%s/dir", sub);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a}, 1, path), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* a symbolic link to a good state file: neither replaced nor followed */
	snprintf(target, sizeof(target), "%s/target", sub);
	save1(a, target);
	size_t len0, len1;
	uint8_t *before = read_file(target, &len0);
	snprintf(path, sizeof(path), "%s/link", sub);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a}, 1, path), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	uint8_t *after = read_file(target, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
	expect_ignored(path, "a symbolic link (not followed)");
	/* path.tmp: a FIFO there is refused (the save must not hang on it), a leftover regular
	   file is replaced */
	snprintf(path, sizeof(path), "%s/state", sub);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkfifo(tmp, 0600), 0);
	assert_int_equal(ofd_tmpl_state_save((const struct ofd_decoder *const[]){a}, 1, path), -EEXIST);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(unlink(tmp), 0);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	save1(a, path);
	assert_int_not_equal(access(tmp, F_OK), 0);
	struct ofd_decoder *b = new_decoder(NULL);
	struct ofd_tmpl_state_info info;
	assert_int_equal(ofd_tmpl_state_load(b, path, T0 + S, &info), 0);
	assert_false(info.ignored);
	check_decodes(b, T0 + 2 * S);
	ofd_decoder_free(b);
	ofd_decoder_free(a);
}

static int setup(void **state)
{
	(void)state;
	ofd_log_set_level(OFD_LOG_ERR);
	snprintf(dir, sizeof(dir), "%s/ofd-tstate.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = {"state",  "state2",	 "empty-state", "stale", "good", "bad",
					    "merged", "merged2", "limits",	"opts1", "opts2"};
	char path[512];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in(path, sizeof(path), names[i]);
		unlink(path);
	}
	static const char *const nonreg[] = {"null", "fifo",  "dir",	   "target",
					     "link", "state", "state.tmp", ""};
	for (size_t i = 0; i < sizeof(nonreg) / sizeof(nonreg[0]); i++) {
		snprintf(path, sizeof(path), "%s/nonreg/%s", dir, nonreg[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_missing_and_empty_decoder),
	    cmocka_unit_test(test_stale),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_not_regular),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_options_newest_wins),
	    cmocka_unit_test(test_limits_and_kept),
	    cmocka_unit_test(test_options_count),
	    cmocka_unit_test(test_seed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
