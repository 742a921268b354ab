/*
 * aslookup: the origin AS of a flow's source and destination, as flowpipeline's aslookup
 * segment adds them:
 *
 *   - segment: aslookup
 *     config:
 *       filename: rib.20240101.0000.mrt   # required
 *       type: db                          # db (default) or mrt
 *
 * `type: mrt`: an MRT TABLE_DUMP_V2 RIB dump (RouteViews, RIPE RIS; uncompressed), read at start
 * into a longest-prefix-match table (astable.h). `type: db`: a MaxMind DB with
 * autonomous_system_number (GeoLite2-ASN, GeoIP2-ISP); flowpipeline's `db` is asnlookup's own
 * binary dump, which is not read here (the file is refused as not an mmdb).
 *
 * SrcAs and DstAs are set where the exporter left them 0 (flowpipeline overwrites them); with
 * `type: mrt` the AS path of the destination's route goes to AsPath when the flow has none
 * (flowpipeline's aslookup sets no path). A route whose path ends in an AS_SET of several ASNs
 * has no origin: the AS stays 0 (counted no_origin). A file that cannot be read, is truncated
 * or corrupt is refused at start with the reason. SIGHUP (the reload generation): a background
 * thread of the segment reads the file again (a full RIB takes seconds: not in the pipeline's
 * thread) and hands the new table over; tick(), which runs in the thread of process(), swaps it
 * in and frees the old one. A file refused then keeps the old table (logged, reload_failed).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrcache.h"
#include "astable.h"
#include "mmdb.h"
#include "ofd/segment.h"

enum { TYPE_DB, TYPE_MRT };

struct asl_state {
	char *filename;
	int type;
	uint64_t cachesize;

	struct astable *table; /* TYPE_MRT */
	MMDB_s *db;	       /* TYPE_DB */
	struct addrcache cache;
	uint64_t gen; /* the reload generation loaded (the reloader thread's) */
	struct ofd_ratelimit rl;
	/* a table or database the reloader built, for tick() to swap in */
	_Atomic(struct astable *) pending_table;
	_Atomic(MMDB_s *) pending_db;
	/* batch lookups (TYPE_MRT): addresses and answers, allocated at init */
	const struct ofd_ip **addr;
	uint32_t *val;
	uint32_t *idx;
};

enum { C_SRC, C_DST, C_PATH, C_UNMATCHED, C_NO_ORIGIN, C_ERRORS, C_RELOADS, C_RELOAD_FAILED };
static const char *const asl_counters[] = {
    "src_as_set",    "dst_as_set", "as_path_set",   "unmatched", "no_origin",
    "lookup_errors", "reloads",	   "reload_failed", NULL,
};

#define NO_ROUTE ASTABLE_NO_ROUTE

/* type: db: the ASN of a (0: none). */
static uint32_t db_find(struct ofd_segment *seg, struct asl_state *s, const struct ofd_ip *a, uint64_t *c)
{
	uint32_t v;
	if (addrcache_get(&s->cache, a, &v))
		return v;
	v = 0;
	MMDB_lookup_result_s res;
	int merr;
	int rc = seg_mmdb_lookup(s->db, a, &res, &merr);
	if (rc < 0) {
		c[C_ERRORS]++;
		ofd_log_rl(&s->rl, OFD_LOG_WARN, "%s:%u: segment %s: lookup failed: %s",
			   ofd_segment_file(seg), ofd_segment_line(seg), ofd_segment_name(seg),
			   MMDB_strerror(merr));
	} else if (rc > 0) {
		MMDB_entry_data_s d;
		int g = MMDB_get_value(&res.entry, &d, "autonomous_system_number", NULL);
		if (g == MMDB_SUCCESS && d.has_data) {
			if (d.type == MMDB_DATA_TYPE_UINT32)
				v = d.uint32;
			else if (d.type == MMDB_DATA_TYPE_UINT16)
				v = d.uint16;
			else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
				v = (uint32_t)d.uint64;
		} else if (g != MMDB_SUCCESS && g != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
			c[C_ERRORS]++;
		}
	}
	addrcache_put(&s->cache, a, v);
	return v;
}

static void process_db(struct ofd_segment *seg, struct asl_state *s, struct ofd_batch *b, uint64_t *c)
{
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		if (!f->src_as && f->src_addr.family) {
			if ((f->src_as = db_find(seg, s, &f->src_addr, c)) != 0)
				c[C_SRC]++;
			else
				c[C_UNMATCHED]++;
		}
		if (!f->dst_as && f->dst_addr.family) {
			if ((f->dst_as = db_find(seg, s, &f->dst_addr, c)) != 0)
				c[C_DST]++;
			else
				c[C_UNMATCHED]++;
		}
	}
}

/* Set *as from route v (NO_ROUTE: none) if it has an origin; counts. */
static void set_as(uint32_t *as, const struct astable *t, uint32_t v, uint64_t *c, unsigned which)
{
	if (v == NO_ROUTE) {
		c[C_UNMATCHED]++;
	} else if (!t->paths[v].origin) {
		c[C_NO_ORIGIN]++;
	} else {
		*as = t->paths[v].origin;
		c[which]++;
	}
}

static void process_mrt(struct asl_state *s, struct ofd_batch *b, uint64_t *c)
{
	const struct astable *t = s->table;
	/* gather the addresses to look up: sources then destinations, in one batch lookup */
	size_t n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		const struct ofd_flow *f = &b->flows[i];
		if (!f->src_as && f->src_addr.family) {
			s->idx[n] = i << 1;
			s->addr[n++] = &f->src_addr;
		}
		if ((!f->dst_as || !ofd_flow_has(f, OFD_F_AS_PATH)) && f->dst_addr.family) {
			s->idx[n] = i << 1 | 1;
			s->addr[n++] = &f->dst_addr;
		}
	}
	if (!n)
		return;
	ofd_lpm_lookup_batch(t->lpm, s->addr, n, s->val, NO_ROUTE);
	for (size_t k = 0; k < n; k++) {
		struct ofd_flow *f = &b->flows[s->idx[k] >> 1];
		uint32_t v = s->val[k];
		if (!(s->idx[k] & 1)) {
			set_as(&f->src_as, t, v, c, C_SRC);
			continue;
		}
		if (!f->dst_as)
			set_as(&f->dst_as, t, v, c, C_DST);
		if (v != NO_ROUTE && !ofd_flow_has(f, OFD_F_AS_PATH) && t->paths[v].len) {
			const struct astable_path *p = &t->paths[v];
			memcpy(f->as_path, p->as, p->len * sizeof(p->as[0]));
			f->as_path_len = p->len;
			ofd_flow_set(f, OFD_F_AS_PATH);
			c[C_PATH]++;
		}
	}
}

static void asl_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct asl_state *s = state;
	uint64_t c[7] = {0};
	if (s->type == TYPE_MRT)
		process_mrt(s, b, c);
	else
		process_db(seg, s, b, c);
	for (unsigned k = 0; k < C_RELOADS; k++)
		if (c[k])
			ofd_segment_count(seg, k, c[k]);
}

/* Load the configured file into *table or *db; logs the reason on failure. */
static int asl_load(struct ofd_segment *seg, struct asl_state *s, struct astable **table, MMDB_s **db)
{
	char err[512];
	int rc;
	if (s->type == TYPE_MRT) {
		rc = astable_load_mrt(s->filename, table, err, sizeof(err));
		if (!rc) {
			const struct astable *t = *table;
			ofd_seg_log(
			    seg, OFD_LOG_INFO,
			    "%s: %llu prefixes (%llu without an origin, %llu default routes and %llu IPv6 "
			    "prefixes inside ::ffff:0:0/96 left out, %llu seen again in a later record), "
			    "%zu paths (%llu cut to %u ASNs), %zu bytes of table; %llu MRT records (%llu "
			    "skipped), %llu RIB entries (%llu ending in an AS_SET; %llu 2-byte AS_PATHs, "
			    "%llu AS4_PATHs merged, %llu malformed AS4_PATHs ignored), %u peers",
			    s->filename, (unsigned long long)t->prefixes, (unsigned long long)t->no_origin,
			    (unsigned long long)t->defaults_skipped, (unsigned long long)t->v6_mapped_skipped,
			    (unsigned long long)t->duplicates, t->npaths, (unsigned long long)t->paths_cut,
			    (unsigned)OFD_AS_PATH_MAX,
			    ofd_lpm_memory(t->lpm) + t->npaths * sizeof(t->paths[0]),
			    (unsigned long long)t->st.records, (unsigned long long)t->st.skipped,
			    (unsigned long long)t->st.entries, (unsigned long long)t->st.as_set,
			    (unsigned long long)t->st.as2_paths, (unsigned long long)t->st.as4_merged,
			    (unsigned long long)t->st.as4_malformed, t->st.peers);
		}
	} else {
		rc = seg_mmdb_open(s->filename, db, err, sizeof(err));
		if (!rc)
			ofd_seg_log(seg, OFD_LOG_INFO, "%s: %s, %u nodes", s->filename,
				    (*db)->metadata.database_type ? (*db)->metadata.database_type : "?",
				    (unsigned)(*db)->metadata.node_count);
	}
	if (rc)
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
	return rc;
}

/* The reloader thread: on a new reload generation, load the file aside and hand it to tick(). */
static void asl_reloader(struct ofd_segment *seg, void *arg)
{
	struct asl_state *s = arg;
	while (!ofd_segment_thread_wait(seg, 50 * 1000000ull)) {
		uint64_t g = ofd_reload_generation();
		if (g == s->gen)
			continue;
		s->gen = g;
		struct astable *table = NULL;
		MMDB_s *db = NULL;
		if (asl_load(seg, s, &table, &db) != 0) {
			ofd_seg_log(seg, OFD_LOG_WARN, "reload failed: keeping the table loaded before");
			ofd_segment_count(seg, C_RELOAD_FAILED, 1);
			continue;
		}
		/* one not taken yet is replaced by the newer one */
		astable_free(atomic_exchange(&s->pending_table, table));
		seg_mmdb_close(atomic_exchange(&s->pending_db, db));
	}
}

static int asl_init(struct ofd_segment *seg, void *state)
{
	struct asl_state *s = state;
	atomic_init(&s->pending_table, NULL);
	atomic_init(&s->pending_db, NULL);
	/* the generation before loading: a SIGHUP during a long first load reloads after it */
	s->gen = ofd_reload_generation();
	int rc = asl_load(seg, s, &s->table, &s->db);
	if (rc)
		return rc;
	if (s->type == TYPE_MRT) {
		s->addr = calloc(2 * OFD_BATCH_CAP, sizeof(*s->addr));
		s->val = calloc(2 * OFD_BATCH_CAP, sizeof(*s->val));
		s->idx = calloc(2 * OFD_BATCH_CAP, sizeof(*s->idx));
		if (!s->addr || !s->val || !s->idx)
			return -ENOMEM;
	} else if ((rc = addrcache_init(&s->cache, s->cachesize)) != 0) {
		return rc;
	}
	return ofd_segment_spawn(seg, asl_reloader, s);
}

/* Swap in what the reloader built (this is process()'s thread: nobody reads the old one). */
static void asl_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct asl_state *s = state;
	(void)now_ns;
	struct astable *table = atomic_exchange(&s->pending_table, NULL);
	MMDB_s *db = atomic_exchange(&s->pending_db, NULL);
	if (table) {
		astable_free(s->table);
		s->table = table;
	}
	if (db) {
		seg_mmdb_close(s->db);
		s->db = db;
		addrcache_clear(&s->cache);
	}
	if (table || db) {
		ofd_segment_count(seg, C_RELOADS, 1);
		ofd_seg_log(seg, OFD_LOG_INFO, "%s reloaded", s->filename);
	}
}

static void asl_fini(struct ofd_segment *seg, void *state)
{
	struct asl_state *s = state;
	(void)seg;
	astable_free(s->table);
	seg_mmdb_close(s->db);
	astable_free(atomic_exchange(&s->pending_table, NULL));
	seg_mmdb_close(atomic_exchange(&s->pending_db, NULL));
	addrcache_free(&s->cache);
	free(s->addr);
	free(s->val);
	free(s->idx);
	s->table = NULL;
	s->db = NULL;
	s->addr = NULL;
	s->val = NULL;
	s->idx = NULL;
}

static const char *const asl_types[] = {"db", "mrt", NULL};

static const struct ofd_cfg_key asl_keys[] = {
    OFD_KEY("filename", OFD_CFG_STRING, struct asl_state, filename, .required = 1,
	    .help = "type db: a MaxMind DB with autonomous_system_number (GeoLite2-ASN); type mrt: an "
		    "uncompressed MRT TABLE_DUMP_V2 RIB dump"),
    OFD_KEY("type", OFD_CFG_ENUM, struct asl_state, type, .def = "db", .choices = asl_types,
	    .help = "db: a MaxMind ASN database; mrt: a RIB dump (origin AS and AS path of the longest "
		    "matching prefix)"),
    OFD_KEY("cachesize", OFD_CFG_UINT, struct asl_state, cachesize, .def = "65536", .min = 0, .max = 1 << 26,
	    .help = "overflowd, type db: slots of the per-instance address cache (0: none)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_aslookup = {
    OFD_SEGMENT_VERSION,
    .name = "aslookup",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "set SrcAs/DstAs left 0 (and AsPath) from an MRT RIB dump or a MaxMind ASN database",
    .state_size = sizeof(struct asl_state),
    .config = asl_keys,
    .counters = asl_counters,
    .init = asl_init,
    .process = asl_process,
    .tick = asl_tick,
    .fini = asl_fini,
};
