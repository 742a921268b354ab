/*
 * addcid (src/segments/enrich/addcid.c on segments/common/idtag.c, prefixfile.c, prefixsrc.c):
 * real prefix files with overlaps (IPv4 and IPv6, /0, /32, /128, a hole of id 0), the local
 * side by RemoteAddr, matchboth, dropunmatched, string ids; file errors refused with FILE:LINE;
 * reloads by SIGHUP generation and by file change while a stream of batches is processed, each
 * batch seeing one whole table (the ids flip once, never mixed); a bad reload keeps the old
 * table. Run as the ctest seg_addcid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "ofd/time.h"
#include "segtest.h"

extern const struct ofd_segment_type ofd_seg_addcid;
extern const struct ofd_segment_type ofd_seg_addnetid;

/* ---- log capture (the reasons init and reloads give) ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_text[16384];

static void log_sink(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl, (void)ctx;
	pthread_mutex_lock(&log_mu);
	size_t n = strlen(log_text);
	snprintf(log_text + n, sizeof(log_text) - n, "%s", line);
	pthread_mutex_unlock(&log_mu);
}

static int log_has(const char *s)
{
	pthread_mutex_lock(&log_mu);
	int r = strstr(log_text, s) != NULL;
	pthread_mutex_unlock(&log_mu);
	return r;
}

static void log_reset(void)
{
	pthread_mutex_lock(&log_mu);
	log_text[0] = 0;
	pthread_mutex_unlock(&log_mu);
}

/* ---- flows ---- */

/* a.b.c.d or an IPv6 literal (family as ofd_ip_parse sets it: "::ffff:a.b.c.d" is IPv6) */
static void ip(struct ofd_ip *a, const char *s)
{
	assert_int_equal(ofd_ip_parse(a, s), 0);
}

static struct ofd_harness *open_cfg(const struct ofd_segment_type *t, const char *file, const char *more)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg), "{filename: %s%s}", st_path(file), more);
	return st_open(t, cfg);
}

/* An overlapping list: IPv4 /0../32 and IPv6 /0../128, a header, comments, blanks, quotes, CRLF. */
static const char OVERLAPS[] = "prefix,cid\n"
			       "# customers\n"
			       "\n"
			       "0.0.0.0/0,1\n"
			       "10.0.0.0/8,10\r\n"
			       "  10.1.0.0/16 , 11\n"
			       "10.1.2.0/24,12\n"
			       "10.1.2.3/32,13\n"
			       "10.1.3.0/24,0\n" /* a hole: no customer */
			       "\"192.0.2.0/24\",\"20\",extra,fields\n"
			       "::/0,100\n"
			       "2001:db8::/32,101\n"
			       "2001:db8:1::/48,102\n"
			       "2001:db8:1::1/128,103\n"
			       "192.0.2.0/24,21\n"; /* the same prefix again: the later line wins */

struct want {
	const char *local;
	uint32_t cid; /* 0: unmatched */
};

static void test_overlaps(void **state)
{
	(void)state;
	st_write(st_path("overlaps.csv"), OVERLAPS);
	struct ofd_harness *h = open_cfg(&ofd_seg_addcid, "overlaps.csv", "");
	static const struct want w[] = {
	    {"8.8.8.8", 1},	     {"10.200.0.1", 10},     {"10.1.200.1", 11},     {"10.1.2.4", 12},
	    {"10.1.2.3", 13},	     {"10.1.3.9", 0},	     {"192.0.2.77", 21},     {"2a00::1", 100},
	    {"2001:db8:ff::1", 101}, {"2001:db8:1::2", 102}, {"2001:db8:1::1", 103}, {"::ffff:10.1.2.3", 13},
	};
	size_t n = sizeof(w) / sizeof(w[0]);
	struct ofd_batch *b = ofd_harness_batch(h, (uint32_t)(2 * n));
	for (size_t i = 0; i < n; i++) {
		/* RemoteAddr 1: the source is remote, the destination local; 2: the other way */
		struct ofd_flow *f = &b->flows[2 * i], *g = &b->flows[2 * i + 1];
		ip(&f->src_addr, "203.0.113.9");
		ip(&f->dst_addr, w[i].local);
		f->remote_addr = OFD_REMOTE_SRC;
		ip(&g->src_addr, w[i].local);
		ip(&g->dst_addr, "2001:db8:1::1");
		g->remote_addr = OFD_REMOTE_DST;
	}
	ofd_harness_process(h, b);
	for (size_t i = 0; i < 2 * n; i++) {
		const struct want *x = &w[i / 2];
		if (b->flows[i].cid != x->cid)
			print_error("%s: cid %u, want %u\n", x->local, b->flows[i].cid, x->cid);
		assert_int_equal(b->flows[i].cid, x->cid);
		assert_int_equal(ofd_flow_has(&b->flows[i], OFD_F_CID), x->cid != 0);
		assert_int_equal(b->flows[i].src_cid, 0); /* not matchboth */
	}
	assert_int_equal(ofd_batch_live_count(b), 2 * n);
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 2);
	ofd_harness_free(h);
}

/* IPv4 and IPv6 apart: an IPv6 ::/0 does not give IPv4 addresses an id. */
static void test_families_apart(void **state)
{
	(void)state;
	st_write(st_path("v6only.csv"), "::/0,7\n198.51.100.0/24,8\n");
	struct ofd_harness *h = open_cfg(&ofd_seg_addcid, "v6only.csv", ", dropunmatched: true");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	const char *local[4] = {"8.8.8.8", "198.51.100.1", "2001:db8::1", "::"};
	for (int i = 0; i < 4; i++) {
		ip(&b->flows[i].src_addr, local[i]);
		ip(&b->flows[i].dst_addr, "192.0.2.1");
		b->flows[i].remote_addr = OFD_REMOTE_DST;
	}
	ofd_harness_process(h, b);
	assert_int_equal(b->live[0], 0xe); /* 8.8.8.8 dropped */
	assert_int_equal(b->flows[1].cid, 8);
	assert_int_equal(b->flows[2].cid, 7);
	assert_int_equal(b->flows[3].cid, 7);
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 1);
	ofd_harness_free(h);
}

/* A UTF-8 byte order mark before the first prefix (a spreadsheet's "CSV UTF-8") is no part of it. */
static void test_bom(void **state)
{
	(void)state;
	st_write(st_path("bom.csv"), "\xef\xbb\xbf"
				     "10.0.0.0/8,5\n");
	struct ofd_harness *h = open_cfg(&ofd_seg_addcid, "bom.csv", "");
	struct ofd_batch *b = ofd_harness_batch(h, 1);
	ip(&b->flows[0].src_addr, "10.1.2.3");
	ip(&b->flows[0].dst_addr, "192.0.2.1");
	b->flows[0].remote_addr = OFD_REMOTE_DST;
	ofd_harness_process(h, b);
	assert_int_equal(b->flows[0].cid, 5);
	ofd_harness_free(h);
}

/* No remote side marked: passed untouched, or dropped with dropunmatched. */
static void test_noremote(void **state)
{
	(void)state;
	st_write(st_path("overlaps.csv"), OVERLAPS);
	for (int drop = 0; drop < 2; drop++) {
		struct ofd_harness *h =
		    open_cfg(&ofd_seg_addcid, "overlaps.csv", drop ? ", dropunmatched: true" : "");
		struct ofd_batch *b = ofd_harness_batch(h, 3);
		for (int i = 0; i < 3; i++) {
			ip(&b->flows[i].src_addr, "10.1.2.3");
			ip(&b->flows[i].dst_addr, "10.1.3.1");
		}
		b->flows[1].remote_addr = OFD_REMOTE_SRC;  /* local 10.1.3.1: the hole */
		b->flows[2].remote_addr = OFD_REMOTE_DST;  /* local 10.1.2.3: 13 */
		b->flows[2].src_addr.family = OFD_AF_NONE; /* ... but no address: no lookup */
		ofd_harness_process(h, b);
		assert_int_equal(b->flows[0].cid, 0);
		assert_int_equal(b->flows[2].cid, 0);
		assert_int_equal(ofd_harness_counter(h, "noremote"), 1);
		assert_int_equal(ofd_harness_counter(h, "unmatched"), 2);
		assert_int_equal(b->live[0], drop ? 0 : 7);
		ofd_harness_free(h);
	}
}

static void test_matchboth(void **state)
{
	(void)state;
	st_write(st_path("overlaps.csv"), OVERLAPS);
	struct ofd_harness *h =
	    open_cfg(&ofd_seg_addcid, "overlaps.csv", ", matchboth: true, dropunmatched: true");
	struct ofd_batch *b = ofd_harness_batch(h, 5);
	struct ofd_flow *f = b->flows;
	ip(&f[0].src_addr, "10.1.2.3"), ip(&f[0].dst_addr, "10.1.3.1");	   /* src only: cid 13 */
	ip(&f[1].src_addr, "10.1.3.1"), ip(&f[1].dst_addr, "2001:db8::5"); /* dst only: 101 */
	ip(&f[2].src_addr, "10.9.9.9"), ip(&f[2].dst_addr, "192.0.2.1");   /* both, no remote: cid unset */
	ip(&f[3].src_addr, "10.9.9.9"), ip(&f[3].dst_addr, "192.0.2.1");   /* both, source remote: dst's */
	f[3].remote_addr = OFD_REMOTE_SRC;
	ip(&f[4].src_addr, "10.1.3.1"), ip(&f[4].dst_addr, "10.1.3.2"); /* neither: dropped */
	ofd_harness_process(h, b);
	assert_int_equal(f[0].src_cid, 13), assert_int_equal(f[0].dst_cid, 0), assert_int_equal(f[0].cid, 13);
	assert_int_equal(f[1].src_cid, 0), assert_int_equal(f[1].dst_cid, 101),
	    assert_int_equal(f[1].cid, 101);
	assert_int_equal(f[2].src_cid, 10), assert_int_equal(f[2].dst_cid, 21), assert_int_equal(f[2].cid, 0);
	assert_false(ofd_flow_has(&f[2], OFD_F_CID));
	assert_int_equal(f[3].cid, 21);
	assert_true(ofd_flow_has(&f[0], OFD_F_SRC_CID));
	assert_false(ofd_flow_has(&f[0], OFD_F_DST_CID));
	assert_int_equal(b->live[0], 0xf);
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 1);
	ofd_harness_free(h);
}

/* Text ids (useintids: false): CidString, one arena copy per id and batch. */
static void test_string_ids(void **state)
{
	(void)state;
	st_write(st_path("names.csv"), "10.0.0.0/8,acme\n10.1.0.0/16,\"beta, inc.\"\n10.2.0.0/16,\n");
	struct ofd_harness *h = open_cfg(&ofd_seg_addcid, "names.csv", ", useintids: false");
	struct ofd_batch *b = ofd_harness_batch(h, 4);
	const char *local[4] = {"10.9.0.1", "10.1.0.1", "10.9.0.2", "10.2.0.1"};
	for (int i = 0; i < 4; i++) {
		ip(&b->flows[i].src_addr, local[i]);
		ip(&b->flows[i].dst_addr, "192.0.2.1");
		b->flows[i].remote_addr = OFD_REMOTE_DST;
	}
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].cid_string, "acme");
	assert_string_equal(b->flows[1].cid_string, "beta, inc.");
	assert_ptr_equal(b->flows[0].cid_string, b->flows[2].cid_string); /* one copy */
	assert_null(b->flows[3].cid_string);				  /* "" is no id */
	assert_true(ofd_flow_has(&b->flows[0], OFD_F_CID_STRING));
	assert_false(ofd_flow_has(&b->flows[0], OFD_F_CID));
	/* the copies are in the batch's arena */
	const char *lo = b->arena, *hi = lo + OFD_BATCH_ARENA;
	assert_true(b->flows[0].cid_string >= lo && b->flows[0].cid_string < hi);
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 1);
	ofd_harness_free(h);
}

/* Text ids that do not fit into the batch's arena: counted, the field left unset, the rest set. */
static void test_arena_full(void **state)
{
	(void)state;
	FILE *f = fopen(st_path("long.csv"), "w");
	assert_non_null(f);
	char id[256];
	memset(id, 'x', 250);
	id[250] = 0;
	for (unsigned i = 0; i < 512; i++) /* 512 distinct ids of 255 bytes: 128 KiB > the arena */
		fprintf(f, "10.%u.%u.0/24,%04u%s\n", i >> 8, i & 255, i, id);
	assert_int_equal(fclose(f), 0);
	struct ofd_harness *h = open_cfg(&ofd_seg_addcid, "long.csv", ", useintids: false");
	struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
	for (uint32_t i = 0; i < OFD_BATCH_CAP; i++) {
		ofd_ip_set4u(&b->flows[i].src_addr, 0x0a000001u | i << 8);
		ip(&b->flows[i].dst_addr, "192.0.2.1");
		b->flows[i].remote_addr = OFD_REMOTE_DST;
	}
	ofd_harness_process(h, b);
	uint64_t full = ofd_harness_counter(h, "arena_full");
	unsigned set = 0;
	for (uint32_t i = 0; i < OFD_BATCH_CAP; i++) {
		const char *c = b->flows[i].cid_string;
		if (!c) {
			assert_false(ofd_flow_has(&b->flows[i], OFD_F_CID_STRING));
			continue;
		}
		set++;
		char want[8];
		snprintf(want, sizeof(want), "%04u", i);
		assert_memory_equal(c, want, 4);
		assert_int_equal(strlen(c), 254);
	}
	assert_int_equal(set + full, OFD_BATCH_CAP);
	assert_true(set >= 200 && full > 0); /* 64 KiB hold 255 of them */
	assert_int_equal(ofd_harness_counter(h, "unmatched"), 0);
	assert_int_equal(ofd_batch_live_count(b), OFD_BATCH_CAP);
	ofd_harness_free(h);
}

/* The initial load refuses the start with FILE:LINE and the reason. */
static void test_file_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} c[] = {
	    {"10.0.0.0/8,1\n10.1.2.3/8,2\n", "bad.csv:2: bad prefix '10.1.2.3/8'"},
	    {"# x\n10.0.0.0/8,one\n", "bad.csv:2: id 'one' is not an integer"},
	    {"10.0.0.0/8\n", "bad.csv:1: no id after the prefix"},
	    {"10.0.0.0/8,1\n\"10.1.0.0/16,2\n", "bad.csv:2: a quoted field is not closed"},
	    {"10.0.0.0/8,1\n10.0.0.0/33,1\n", "bad.csv:2: bad prefix"},
	    {"10.0.0.0/8,4294967296\n", "bad.csv:1: id '4294967296'"},
	    {"prefix,cid\nnot-a-prefix,3\n", "bad.csv:2: bad prefix 'not-a-prefix'"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		st_write(st_path("bad.csv"), c[i].text);
		log_reset();
		char cfg[600], err[512] = "";
		struct ofd_harness *h = NULL;
		snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("bad.csv"));
		assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_addcid, cfg, err, sizeof(err)), 0);
		assert_null(h);
		st_assert_prefix(err, "test.yml:1: segment addcid: init failed");
		if (!log_has(c[i].want))
			print_error("log \"%s\" lacks \"%s\"\n", log_text, c[i].want);
		assert_true(log_has(c[i].want));
	}
	/* a missing file, a directory, a long line */
	char cfg[600], err[512];
	struct ofd_harness *h = NULL;
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("absent.csv"));
	log_reset();
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_addcid, cfg, err, sizeof(err)), -ENOENT);
	assert_true(log_has("absent.csv: No such file or directory"));
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_dir);
	log_reset();
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_addcid, cfg, err, sizeof(err)), 0);
	assert_true(log_has("not a regular file"));
	char *lng = malloc(6000);
	assert_non_null(lng);
	memset(lng, ' ', 5000);
	memcpy(lng + 5000, "10.0.0.0/8,1\n", sizeof("10.0.0.0/8,1\n"));
	st_write(st_path("bad.csv"), lng);
	free(lng);
	snprintf(cfg, sizeof(cfg), "{filename: %s}", st_path("bad.csv"));
	log_reset();
	assert_int_not_equal(ofd_harness_new(&h, &ofd_seg_addcid, cfg, err, sizeof(err)), 0);
	assert_true(log_has("bad.csv:1: line longer than 4096 bytes"));
	/* the key itself */
	assert_int_equal(ofd_harness_new(&h, &ofd_seg_addcid, "{dropunmatched: true}", err, sizeof(err)),
			 OFD_ECONFIG);
	st_assert_prefix(err, "test.yml:1: segment addcid: key filename");
}

/* ---- reloads under a stream of batches ---- */

/* Everything to `id`, in several overlapping prefixes of both families. */
static void write_all(const char *name, unsigned id)
{
	char text[512], tmp[600];
	snprintf(text, sizeof(text),
		 "0.0.0.0/0,%u\n0.0.0.0/1,%u\n128.0.0.0/1,%u\n10.0.0.0/8,%u\n10.1.2.3/32,%u\n"
		 "::/0,%u\n2001:db8::/32,%u\n2001:db8::1/128,%u\n",
		 id, id, id, id, id, id, id, id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", st_path(name));
	st_write(tmp, text);
	assert_int_equal(rename(tmp, st_path(name)), 0); /* replaced whole */
}

static void fill_stream(struct ofd_batch *b, uint32_t seed)
{
	for (uint32_t i = 0; i < b->n; i++) {
		struct ofd_flow *f = &b->flows[i];
		uint32_t x = (seed + i) * 2654435761u;
		if (i % 3 == 0) {
			uint8_t a[16] = {0x20,
					 0x01,
					 0x0d,
					 0xb8,
					 (uint8_t)(x >> 24),
					 (uint8_t)(x >> 16),
					 0,
					 0,
					 0,
					 0,
					 0,
					 0,
					 0,
					 0,
					 (uint8_t)(x >> 8),
					 1};
			ofd_ip_set6(&f->src_addr, a);
		} else {
			ofd_ip_set4u(&f->src_addr, x);
		}
		ofd_ip_set4u(&f->dst_addr, 0xc0000201);
		f->remote_addr = OFD_REMOTE_DST;
		f->cid = 0;
		ofd_flow_clear(f, OFD_F_CID);
	}
}

/* The id every record of the batch got: 1 or 2, the same for all (else the test fails). */
static uint32_t batch_id(const struct ofd_batch *b)
{
	uint32_t id = b->flows[0].cid;
	assert_true(id == 1 || id == 2);
	for (uint32_t i = 1; i < b->n; i++)
		if (b->flows[i].cid != id) {
			print_error("record %u has cid %u, record 0 %u: a mix\n", i, b->flows[i].cid, id);
			fail();
		}
	return id;
}

struct writer {
	atomic_uint batches; /* processed so far (set by the stream) */
	int sighup;	     /* reload by ofd_reload_request, else by the file's change */
	const char *name;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	while (atomic_load(&w->batches) < 50) /* the stream is running */
		sched_yield();
	write_all(w->name, 2);
	if (w->sighup)
		ofd_reload_request();
	return NULL;
}

/*
 * Batches go through while another thread replaces the file (and raises the reload
 * generation): every batch is all 1 or all 2, and the ids go 1...1 2...2 (one flip).
 */
static void stream_flip(const char *name, const char *more, int sighup)
{
	write_all(name, 1);
	struct ofd_harness *h = open_cfg(&ofd_seg_addcid, name, more);
	struct writer w = {.sighup = sighup, .name = name};
	atomic_init(&w.batches, 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
	uint64_t deadline = ofd_time_mono_ns() + 20000000000ull;
	unsigned flips = 0, after = 0, n = 0;
	uint32_t last = 1;
	while (after < 200) {
		assert_true(ofd_time_mono_ns() < deadline); /* bounded wait for the reload */
		struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
		fill_stream(b, n++);
		ofd_harness_process(h, b);
		uint32_t id = batch_id(b);
		if (id != last)
			flips++, last = id;
		if (id == 2)
			after++;
		if ((n & 63) == 0)
			ofd_harness_tick(h, ofd_time_now_ns());
		atomic_store(&w.batches, n);
	}
	assert_int_equal(flips, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(ofd_harness_counter(h, "reloads"), 1);
	assert_int_equal(ofd_harness_counter(h, "reload_failed"), 0);

	/* a bad file: the reload fails (FILE:LINE logged, counted), the old table stays */
	log_reset();
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", st_path(name));
	st_write(tmp, "0.0.0.0/0,3\n::/0,x3\n");
	assert_int_equal(rename(tmp, st_path(name)), 0);
	if (sighup)
		ofd_reload_request();
	while (ofd_harness_counter(h, "reload_failed") == 0) {
		assert_true(ofd_time_mono_ns() < deadline);
		struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
		fill_stream(b, n++);
		ofd_harness_process(h, b);
		assert_int_equal(batch_id(b), 2);
		sched_yield();
	}
	struct ofd_batch *b = ofd_harness_batch(h, OFD_BATCH_CAP);
	fill_stream(b, n++);
	ofd_harness_process(h, b);
	assert_int_equal(batch_id(b), 2);
	char want[600];
	snprintf(want, sizeof(want), "%s:2: id 'x3' is not an integer", st_path(name));
	assert_true(log_has(want));
	assert_true(log_has("keeping the prefixes loaded before"));
	assert_int_equal(ofd_harness_counter(h, "reloads"), 1);
	ofd_harness_free(h);
}

static void test_reload_sighup(void **state)
{
	(void)state;
	/* no file watching: only the generation can make it reload */
	stream_flip("hup.csv", ", checkinterval: 0", 1);
}

static void test_reload_file_change(void **state)
{
	(void)state;
	stream_flip("watched.csv", ", checkinterval: 10ms", 0);
}

/* addnetid: text ids by default, SrcIdString/DstIdString with matchboth; integers with useintids. */
static void test_addnetid(void **state)
{
	(void)state;
	st_write(st_path("nets.csv"), "192.168.88.0/25,1\n192.168.88.128/25,experiment-1\n2001:db8:1::/48,1\n"
				      "2001:db8:2::/48,experiment-1\n");
	struct ofd_harness *h = open_cfg(&ofd_seg_addnetid, "nets.csv", ", matchboth: true");
	struct ofd_batch *b = ofd_harness_batch(h, 2);
	ip(&b->flows[0].src_addr, "192.168.88.200");
	ip(&b->flows[0].dst_addr, "2001:db8:1::9");
	ip(&b->flows[1].src_addr, "192.0.2.1");
	ip(&b->flows[1].dst_addr, "2001:db8:2::9");
	ofd_harness_process(h, b);
	assert_string_equal(b->flows[0].src_id_string, "experiment-1");
	assert_string_equal(b->flows[0].dst_id_string, "1");
	assert_null(b->flows[0].net_id_string); /* both matched, no remote side: left alone */
	assert_null(b->flows[1].src_id_string);
	assert_string_equal(b->flows[1].net_id_string, "experiment-1");
	ofd_harness_free(h);

	st_write(st_path("nets.csv"), "192.168.88.0/25,1\n192.168.88.128/25,2\n");
	h = open_cfg(&ofd_seg_addnetid, "nets.csv", ", useintids: true");
	b = ofd_harness_batch(h, 1);
	ip(&b->flows[0].src_addr, "192.0.2.1");
	ip(&b->flows[0].dst_addr, "192.168.88.129");
	b->flows[0].remote_addr = OFD_REMOTE_SRC;
	ofd_harness_process(h, b);
	assert_int_equal(b->flows[0].net_id, 2);
	assert_true(ofd_flow_has(&b->flows[0], OFD_F_NET_ID));
	ofd_harness_free(h);
}

int main(void)
{
	ofd_log_set_sink(log_sink, NULL);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlaps),	   cmocka_unit_test(test_bom),
	    cmocka_unit_test(test_families_apart), cmocka_unit_test(test_noremote),
	    cmocka_unit_test(test_matchboth),	   cmocka_unit_test(test_string_ids),
	    cmocka_unit_test(test_arena_full),	   cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_reload_sighup),  cmocka_unit_test(test_reload_file_change),
	    cmocka_unit_test(test_addnetid),
	};
	return cmocka_run_group_tests(tests, st_dir_make, st_dir_remove);
}
