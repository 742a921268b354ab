/*
 * libFuzzer target: the config loader. The input is loaded as a config file (with two extra
 * arguments for $0 and $1; every other input with strict expansion), the tree is walked, and a
 * fixed key map with every type (an ignored key and edit distances to the map's keys included)
 * is applied to every entry's config (nested branches included) and released. LeakSanitizer checks that the
 * loaded file and the applied state free everything.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "ofd/log.h"

struct fuzz_state {
	int flag;
	int64_t i;
	uint64_t u;
	double d;
	char *s;
	struct ofd_strlist l;
	int e;
	uint64_t dur;
	uint64_t size;
	const struct ofd_cfg_node *node;
};

static const char *const fuzz_choices[] = {"none", "zstd", "gzip", NULL};

static const struct ofd_cfg_key fuzz_keys[] = {
    {.key = "flag", .type = OFD_CFG_BOOL, .offset = offsetof(struct fuzz_state, flag), .def = "no"},
    {.key = "int",
     .type = OFD_CFG_INT,
     .offset = offsetof(struct fuzz_state, i),
     .def = "-1",
     .min = -1000,
     .max = 1000},
    {.key = "uint", .type = OFD_CFG_UINT, .offset = offsetof(struct fuzz_state, u)},
    {.key = "rate", .type = OFD_CFG_DOUBLE, .offset = offsetof(struct fuzz_state, d), .def = "0.5", .max = 1},
    {.key = "filename", .type = OFD_CFG_STRING, .offset = offsetof(struct fuzz_state, s), .def = "out.txt"},
    {.key = "fields", .type = OFD_CFG_STRLIST, .offset = offsetof(struct fuzz_state, l), .def = "[a, b]"},
    {.key = "compression",
     .type = OFD_CFG_ENUM,
     .offset = offsetof(struct fuzz_state, e),
     .def = "none",
     .choices = fuzz_choices},
    {.key = "window", .type = OFD_CFG_DURATION, .offset = offsetof(struct fuzz_state, dur), .def = "10s"},
    {.key = "buffer",
     .type = OFD_CFG_SIZE,
     .offset = offsetof(struct fuzz_state, size),
     .def = "64k",
     .min = 1024,
     .max = 1 << 30},
    {.key = "rules", .type = OFD_CFG_NODE, .offset = offsetof(struct fuzz_state, node)},
    {.key = "buckets", .type = OFD_CFG_IGNORED, .help = "ignored"},
    {.key = NULL},
};

/* Sum of the text lengths in a subtree, to touch every node. */
static size_t fuzz_walk(const struct ofd_cfg_node *n)
{
	size_t sum = n->line + n->col;
	if (n->kind == OFD_CFGN_SCALAR)
		return sum + __builtin_strlen(n->text);
	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == OFD_CFGN_MAP)
			sum += __builtin_strlen(n->keys[i]) + n->key_lines[i];
		sum += fuzz_walk(n->items[i]);
	}
	return sum;
}

static size_t fuzz_pipeline(const struct ofd_cfg_pipeline *p, const char *path)
{
	size_t sum = 0;
	if (!p)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct ofd_cfg_entry *e = &p->v[i];
		struct fuzz_state st = {0};
		char err[256];
		sum += e->line + e->jobs;
		if (e->config)
			sum += fuzz_walk(e->config);
		for (size_t k = 0; e->config && k < e->config->n; k++)
			sum += ofd_cfg_is_close(e->config->keys[k], "compression");
		if (ofd_cfg_apply(fuzz_keys, e->config, &st, path, e->segment, e->line, err, sizeof(err)) ==
		    0)
			sum += st.l.n + (st.s ? 1 : 0) + (st.node ? st.node->n : 0);
		ofd_cfg_release(fuzz_keys, &st);
		sum += fuzz_pipeline(e->if_, path) + fuzz_pipeline(e->then_, path) +
		       fuzz_pipeline(e->else_, path);
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const args[] = {"first", "second"};
	struct ofd_cfg_file *f;
	char err[512];
	ofd_log_set_level(OFD_LOG_ERR); /* undefined variables warn: not in the fuzzer's output */
	if (ofd_cfg_load_string_flags(&f, "fuzz.yml", (const char *)data, size, args, 2,
				      size % 2 ? OFD_CFG_STRICT_ENV : 0, err, sizeof(err)))
		return 0;
	volatile size_t sum = fuzz_walk(ofd_cfg_root(f));
	sum += fuzz_pipeline(ofd_cfg_pipeline(f), ofd_cfg_path(f));
	(void)sum;
	ofd_cfg_free(f);
	return 0;
}
