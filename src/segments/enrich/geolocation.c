/*
 * geolocation: the country of a flow's addresses from a MaxMind DB (libmaxminddb), as
 * flowpipeline's geolocation segment does:
 *
 *   - segment: geolocation
 *     config:
 *       filename: GeoLite2-Country.mmdb   # required; a Country or City database
 *       dropunmatched: false
 *       matchboth: false
 *
 * Without matchboth only the remote side is looked up (RemoteAddr: 1 the source, 2 the
 * destination, set by `remoteaddress`) and its country.iso_code goes to RemoteCountry; a flow
 * without RemoteAddr passes unchanged. With matchboth both addresses are looked up into
 * SrcCountry and DstCountry (and, an addition of ours, RemoteCountry from the remote side when
 * RemoteAddr says which). dropunmatched drops the flows that got no country: without matchboth
 * those without RemoteAddr or without a country for it, with matchboth those that got none for
 * either side (flowpipeline's documentation; its code drops only flows without RemoteAddr).
 *
 * Lookups go through a per-instance direct-mapped cache (`cachesize` slots, an overflowd key;
 * 0 turns it off), misses cached too: an mmdb walk costs 200-500 ns. An IPv6 address in an
 * IPv4-only database is unmatched (no lookup error). SIGHUP (the reload generation) reopens the
 * file in tick(); a file that does not open keeps the old one (logged, reload_failed).
 */
#include <stdint.h>
#include <string.h>

#include "addrcache.h"
#include "mmdb.h"
#include "ofd/segment.h"

struct geo_state {
	char *filename;
	int dropunmatched;
	int matchboth;
	uint64_t cachesize;

	MMDB_s *db;
	struct addrcache cache;
	uint64_t gen;
	struct ofd_ratelimit rl;
};

enum { C_NO_REMOTE, C_UNMATCHED, C_DROPPED, C_ERRORS, C_HITS, C_LOOKUPS, C_RELOADS, C_RELOAD_FAILED };
static const char *const geo_counters[] = {
    "no_remote",     "unmatched", "dropped_unmatched", "lookup_errors", "cache_hits", "lookups", "reloads",
    "reload_failed", NULL,
};

/* Per-batch tallies, added to the counters once per batch. */
struct tally {
	uint64_t c[7];
};

/* The country of a as two letters packed into 16 bits (0: none). */
static uint32_t geo_find(struct ofd_segment *seg, struct geo_state *s, const struct ofd_ip *a,
			 struct tally *t)
{
	uint32_t v;
	if (addrcache_get(&s->cache, a, &v)) {
		t->c[C_HITS]++;
		return v;
	}
	t->c[C_LOOKUPS]++;
	v = 0;
	MMDB_lookup_result_s res;
	int merr;
	int rc = seg_mmdb_lookup(s->db, a, &res, &merr);
	if (rc < 0) {
		t->c[C_ERRORS]++;
		ofd_log_rl(&s->rl, OFD_LOG_WARN, "%s:%u: segment %s: lookup failed: %s",
			   ofd_segment_file(seg), ofd_segment_line(seg), ofd_segment_name(seg),
			   MMDB_strerror(merr));
	} else if (rc > 0) {
		MMDB_entry_data_s d;
		int g = MMDB_get_value(&res.entry, &d, "country", "iso_code", NULL);
		if (g == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING &&
		    d.data_size == 2)
			v = (uint32_t)(uint8_t)d.utf8_string[0] << 8 | (uint8_t)d.utf8_string[1];
		else if (g != MMDB_SUCCESS && g != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
			t->c[C_ERRORS]++; /* a corrupt data section: counted, cached as no country */
	}
	addrcache_put(&s->cache, a, v);
	return v;
}

static void put_cc(char cc[2], uint32_t v)
{
	cc[0] = (char)(v >> 8);
	cc[1] = (char)v;
}

static void geo_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct geo_state *s = state;
	struct tally t = {{0}};
	for (uint32_t i = 0; i < b->n; i++) {
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		unsigned ra = ofd_flow_has(f, OFD_F_REMOTE_ADDR) ? f->remote_addr : OFD_REMOTE_NEITHER;
		int matched = 0;
		if (!s->matchboth) {
			const struct ofd_ip *a = ra == OFD_REMOTE_SRC	? &f->src_addr
						 : ra == OFD_REMOTE_DST ? &f->dst_addr
									: NULL;
			if (!a) {
				t.c[C_NO_REMOTE]++;
			} else {
				uint32_t v = a->family ? geo_find(seg, s, a, &t) : 0;
				if (v) {
					put_cc(f->remote_country, v);
					ofd_flow_set(f, OFD_F_REMOTE_COUNTRY);
					matched = 1;
				} else {
					t.c[C_UNMATCHED]++;
				}
			}
		} else {
			uint32_t vs = f->src_addr.family ? geo_find(seg, s, &f->src_addr, &t) : 0;
			uint32_t vd = f->dst_addr.family ? geo_find(seg, s, &f->dst_addr, &t) : 0;
			if (vs) {
				put_cc(f->src_country, vs);
				ofd_flow_set(f, OFD_F_SRC_COUNTRY);
			}
			if (vd) {
				put_cc(f->dst_country, vd);
				ofd_flow_set(f, OFD_F_DST_COUNTRY);
			}
			uint32_t vr = ra == OFD_REMOTE_SRC ? vs : ra == OFD_REMOTE_DST ? vd : 0;
			if (vr) {
				put_cc(f->remote_country, vr);
				ofd_flow_set(f, OFD_F_REMOTE_COUNTRY);
			}
			t.c[C_UNMATCHED] += !vs + !vd;
			matched = vs || vd;
		}
		if (!matched && s->dropunmatched) {
			ofd_batch_kill(b, i);
			t.c[C_DROPPED]++;
		}
	}
	for (unsigned k = 0; k < C_RELOADS; k++)
		if (t.c[k])
			ofd_segment_count(seg, k, t.c[k]);
}

static int geo_open(struct ofd_segment *seg, struct geo_state *s, MMDB_s **db)
{
	char err[512];
	int rc = seg_mmdb_open(s->filename, db, err, sizeof(err));
	if (rc)
		ofd_seg_log(seg, OFD_LOG_ERR, "%s", err);
	return rc;
}

static int geo_init(struct ofd_segment *seg, void *state)
{
	struct geo_state *s = state;
	/* the generation before opening: a SIGHUP meanwhile reopens at the first tick */
	s->gen = ofd_reload_generation();
	int rc = geo_open(seg, s, &s->db);
	if (rc)
		return rc;
	if (addrcache_init(&s->cache, s->cachesize) != 0)
		return -ENOMEM;
	ofd_seg_log(seg, OFD_LOG_INFO, "%s: %s, IPv%u tree, %u nodes; cache %llu slots", s->filename,
		    s->db->metadata.database_type ? s->db->metadata.database_type : "?",
		    (unsigned)s->db->metadata.ip_version, (unsigned)s->db->metadata.node_count,
		    (unsigned long long)(s->cache.slot ? s->cache.mask + 1 : 0));
	return 0;
}

/* SIGHUP: open the file again; the new database and an empty cache from the next batch on. */
static void geo_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct geo_state *s = state;
	(void)now_ns;
	uint64_t g = ofd_reload_generation();
	if (g == s->gen)
		return;
	s->gen = g;
	MMDB_s *db;
	if (geo_open(seg, s, &db) != 0) {
		ofd_seg_log(seg, OFD_LOG_WARN, "reload failed: keeping the database loaded before");
		ofd_segment_count(seg, C_RELOAD_FAILED, 1);
		return;
	}
	seg_mmdb_close(s->db);
	s->db = db;
	addrcache_clear(&s->cache);
	ofd_segment_count(seg, C_RELOADS, 1);
	ofd_seg_log(seg, OFD_LOG_INFO, "%s reloaded", s->filename);
}

static void geo_fini(struct ofd_segment *seg, void *state)
{
	struct geo_state *s = state;
	(void)seg;
	seg_mmdb_close(s->db);
	s->db = NULL;
	addrcache_free(&s->cache);
}

static const struct ofd_cfg_key geo_keys[] = {
    OFD_KEY("filename", OFD_CFG_STRING, struct geo_state, filename, .required = 1,
	    .help = "MaxMind DB (GeoIP2/GeoLite2 Country or City) whose country.iso_code is used"),
    OFD_KEY("dropunmatched", OFD_CFG_BOOL, struct geo_state, dropunmatched, .def = "false",
	    .help = "drop flows that got no country (no RemoteAddr, or no country for it; with matchboth: "
		    "for neither address)"),
    OFD_KEY("matchboth", OFD_CFG_BOOL, struct geo_state, matchboth, .def = "false",
	    .help = "look up both addresses into SrcCountry and DstCountry instead of the remote one into "
		    "RemoteCountry"),
    OFD_KEY("cachesize", OFD_CFG_UINT, struct geo_state, cachesize, .def = "65536", .min = 0, .max = 1 << 26,
	    .help = "overflowd: slots of the per-instance address cache (rounded up to a power of two; 0: "
		    "none)"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_geolocation = {
    OFD_SEGMENT_VERSION,
    .name = "geolocation",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "set RemoteCountry (or SrcCountry and DstCountry) from a MaxMind DB",
    .state_size = sizeof(struct geo_state),
    .config = geo_keys,
    .counters = geo_counters,
    .init = geo_init,
    .process = geo_process,
    .tick = geo_tick,
    .fini = geo_fini,
};
