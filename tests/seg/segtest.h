/*
 * Helpers shared by the segment tests (tests/seg/<kind>_<name>.c), on top of the public
 * harness (include/ofd/harness.h) only; include after <cmocka.h>.
 *
 *   st_open(&type, "{key: value}")       an instance, or the test fails with the harness's error
 *   st_assert_prefix(err, "test.yml:1: ") fails unless err starts so
 *   st_dir_make/st_dir_remove, st_path    a scratch directory for files a test writes
 *   st_slurp(path, &len)                  a whole file, NUL-terminated (caller frees)
 *   st_write(path, text)                  a file with that text
 *   st_assert_symlink_refused(&type, more) an output refuses a symbolic link at its filename
 *   struct st_collect                     an input's records, copied as ofd_harness_start hands
 *                                         them over (st_collect_batch), with st_collect_wait
 *   st_run_to_end(h, &c)                  run an input that ends by itself (files) to its end
 *
 * Built-in segments' descriptors are declared by the test that uses them
 * (`extern const struct ofd_segment_type ofd_seg_NAME;`), as a custom segment's test would.
 */
#ifndef OFD_TEST_SEGTEST_H
#define OFD_TEST_SEGTEST_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ofd/harness.h"

/* Build and init an instance; fail the test (printing why) if that fails. */
static inline struct ofd_harness *st_open(const struct ofd_segment_type *t, const char *config)
{
	struct ofd_harness *h = NULL;
	char err[512] = "";
	int rc = ofd_harness_new(&h, t, config, err, sizeof(err));
	if (rc)
		print_error("%s (%d)\n", err, rc);
	assert_int_equal(rc, 0);
	return h;
}

/* Fail unless s starts with prefix (an error message with its position, say). */
static inline void st_assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0) {
		print_error("\"%s\" does not start with \"%s\"\n", s, prefix);
		fail();
	}
}

/* ---- a scratch directory ---- */

static char st_dir[] = "/tmp/ofd-seg-XXXXXX";

static inline int st_dir_make(void **st)
{
	(void)st;
	return mkdtemp(st_dir) ? 0 : -1;
}

static inline int st_dir_remove(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", st_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* st_dir/name, in one of two rotating buffers (two paths may be used at once). */
static inline const char *st_path(const char *name)
{
	static char buf[2][512];
	static unsigned k;
	char *p = buf[k++ & 1];
	snprintf(p, sizeof(buf[0]), "%s/%s", st_dir, name);
	return p;
}

/* The whole file, NUL-terminated; *len (when not NULL) gets its size. */
/* A file of the shared data directory ($OFD_DATA, set by ctest; else ../shared/data), in one of
   four rotating buffers (valid until the fourth call after). */
static inline const char *st_data(const char *name)
{
	static char buf[4][1024];
	static unsigned k;
	const char *d = getenv("OFD_DATA");
	char *p = buf[k++ & 3];
	snprintf(p, sizeof(buf[0]), "%s/%s", d ? d : "../shared/data", name);
	return p;
}

static inline char *st_slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return s;
}

/* Write text to path (created or truncated). */
static inline void st_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/*
 * An output given a symbolic link planted at its filename: st_dir/victim holds "precious\n",
 * st_dir/link points to it; opening "{filename: LINK<more>}" must fail, and the victim and the
 * link stay as they were.
 */
static inline void st_assert_symlink_refused(const struct ofd_segment_type *t, const char *more)
{
	char victim[512], link[512], cfg[1200], err[512] = "";
	snprintf(victim, sizeof(victim), "%s", st_path("victim"));
	snprintf(link, sizeof(link), "%s", st_path("link"));
	unlink(link);
	st_write(victim, "precious\n");
	assert_int_equal(symlink(victim, link), 0);
	snprintf(cfg, sizeof(cfg), "{filename: %s%s}", link, more);
	struct ofd_harness *h = NULL;
	assert_int_equal(ofd_harness_new(&h, t, cfg, err, sizeof(err)), -ELOOP);
	assert_null(h);
	char *s = st_slurp(victim, NULL);
	assert_string_equal(s, "precious\n");
	free(s);
	char target[512];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	assert_string_equal(target, victim);
	assert_int_equal(unlink(link), 0);
}

/* ---- an input's records ---- */

struct st_collect {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ofd_flow *v;
	size_t n, cap;
};

#define ST_COLLECT_INIT                                                                                      \
	{                                                                                                    \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0                              \
	}

/* Every string field of f (the field table's STR kind) through fn. */
static inline void st_strings(struct ofd_flow *f, void (*fn)(const char **p))
{
	for (unsigned id = 0; id < OFD_F__STORED; id++) /* storage-less ones have no member */
		if (ofd_fields[id].kind == OFD_FK_STR)
			fn((const char **)(void *)((char *)f + ofd_fields[id].off));
}

static inline void st_strdup(const char **p)
{
	if (*p && !(*p = strdup(*p)))
		abort();
}

static inline void st_strfree(const char **p)
{
	free((char *)*p);
	*p = NULL;
}

/* The ofd_harness_start callback: copies every live record (and its strings, which live in the
   batch's arena) into the st_collect given as ctx. */
static inline void st_collect_batch(void *ctx, const struct ofd_batch *b)
{
	struct st_collect *c = ctx;
	pthread_mutex_lock(&c->mu);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 4096;
			c->v = realloc(c->v, c->cap * sizeof(*c->v));
			if (!c->v)
				abort();
		}
		struct ofd_flow *f = &c->v[c->n++];
		*f = b->flows[i];
		st_strings(f, st_strdup);
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Forget the records (and free their strings). */
static inline void st_collect_reset(struct st_collect *c)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++)
		st_strings(&c->v[i], st_strfree);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
	pthread_mutex_unlock(&c->mu);
}

/* Wait until at least n records were collected (no timeout: ctest's ends a hung test). */
static inline void st_collect_wait(struct st_collect *c, size_t n)
{
	pthread_mutex_lock(&c->mu);
	while (c->n < n)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* Start the input into c, wait until it returned by itself, drain: its start() result is 0. */
static inline void st_run_to_end(struct ofd_harness *h, struct st_collect *c)
{
	assert_int_equal(ofd_harness_start(h, st_collect_batch, c), 0);
	while (!ofd_harness_wait(h, 1000))
		;
	assert_int_equal(ofd_harness_stop(h), 0);
}

#endif
