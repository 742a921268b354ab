/*
 * remoteaddress: which side of a flow is the remote one (RemoteAddr: 0 neither, 1 the source,
 * 2 the destination), by flowpipeline's policies:
 *
 *   - segment: remoteaddress
 *     config:
 *       policy: border
 *
 *   cidr    `filename` lists our networks (prefix,id lines as addcid reads them, a non-zero id
 *           meaning ours; here the id may also be left out); the source is looked up first:
 *           if it is ours the destination is remote (2), else if the destination is ours the
 *           source is (1); neither: RemoteAddr stays as it was (counted `unmatched`, dropped
 *           with `dropunmatched`). This is what flowpipeline's package documentation says;
 *           its CONFIGURATION.md and its code take the matching side as remote (1 when the
 *           source matches) and never drop: see the README.
 *   border  flows exported on our border interfaces: FlowDirection 0 (ingress, also when the
 *           exporter sent no direction, as flowpipeline reads a missing one) came in from the
 *           remote source (1), 1 (egress) goes out to a remote destination (2).
 *   user    flows exported on interfaces towards users: ingress comes from the user, so the
 *           destination is remote (2); egress: the source (1).
 *   clear   RemoteAddr 0 on every flow.
 *
 * Flows without a direction are counted (`nodirection`) under border and user. cidr's file is
 * reloaded on SIGHUP and when it changes (segments/common/prefixsrc.c).
 */
#include <stdio.h>
#include <string.h>

#include "segments/common/prefixfile.h"

enum { POL_CIDR, POL_BORDER, POL_USER, POL_CLEAR };
enum { C_UNMATCHED, C_NODIRECTION, C_RELOADS, C_RELOAD_FAILED };

struct remoteaddress_state {
	int policy;
	char *filename;
	int dropunmatched;
	uint64_t check_ns;
	struct pfx_src src;
};

static int remoteaddress_check(const void *state, char *err, size_t errlen)
{
	const struct remoteaddress_state *s = state;
	if (s->policy == POL_CIDR && (!s->filename || !s->filename[0])) {
		snprintf(err, errlen, "policy cidr needs `filename` (the prefixes of our networks)");
		return OFD_ECONFIG;
	}
	return 0;
}

static int remoteaddress_init(struct ofd_segment *seg, void *state)
{
	struct remoteaddress_state *s = state;
	if (s->policy != POL_CIDR)
		return 0;
	return pfx_src_open(&s->src, seg, s->filename, PFX_FLAG, s->check_ns, C_RELOADS, C_RELOAD_FAILED);
}

static inline void set_remote(struct ofd_flow *f, uint8_t r)
{
	f->remote_addr = r;
	ofd_flow_set(f, OFD_F_REMOTE_ADDR);
}

/*
 * The sources of a batch are looked up together, then the destinations of the flows whose
 * source was not ours (flowpipeline's order: a source that is ours decides).
 */
static void process_cidr(struct ofd_segment *seg, struct remoteaddress_state *s, struct ofd_batch *b)
{
	struct pfx_table *t = pfx_src_begin(&s->src);
	const struct ofd_ip *a[OFD_BATCH_CAP];
	uint16_t at[OFD_BATCH_CAP];
	uint32_t v[OFD_BATCH_CAP];
	size_t n = 0, m = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		pfx_prefetch(b, i + PFX_PREFETCH_AHEAD);
		if (!ofd_batch_is_live(b, i))
			continue;
		a[n] = pfx_addr(&b->flows[i].src_addr);
		at[n++] = (uint16_t)i;
	}
	pfx_lookup(t, a, n, v);
	for (size_t k = 0; k < n; k++) {
		struct ofd_flow *f = &b->flows[at[k]];
		if (v[k]) {
			set_remote(f, OFD_REMOTE_DST);
		} else { /* the source is not ours: its destination next */
			a[m] = pfx_addr(&f->dst_addr);
			at[m++] = at[k];
		}
	}
	pfx_lookup(t, a, m, v);
	uint64_t unmatched = 0;
	for (size_t k = 0; k < m; k++) {
		struct ofd_flow *f = &b->flows[at[k]];
		if (v[k]) {
			set_remote(f, OFD_REMOTE_SRC);
			continue;
		}
		unmatched++;
		if (s->dropunmatched)
			ofd_batch_kill(b, at[k]);
	}
	if (unmatched)
		ofd_segment_count(seg, C_UNMATCHED, unmatched);
}

static void remoteaddress_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct remoteaddress_state *s = state;
	if (s->policy == POL_CIDR) {
		process_cidr(seg, s, b);
		return;
	}
	/* by direction: [policy - POL_BORDER][direction] */
	static const uint8_t by_dir[2][2] = {{OFD_REMOTE_SRC, OFD_REMOTE_DST},
					     {OFD_REMOTE_DST, OFD_REMOTE_SRC}};
	uint64_t nodir = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		pfx_prefetch(b, i + PFX_PREFETCH_AHEAD);
		if (!ofd_batch_is_live(b, i))
			continue;
		struct ofd_flow *f = &b->flows[i];
		if (s->policy == POL_CLEAR) {
			f->remote_addr = OFD_REMOTE_NEITHER;
			ofd_flow_clear(f, OFD_F_REMOTE_ADDR);
			continue;
		}
		uint8_t dir = f->flow_direction;
		if (!ofd_flow_has(f, OFD_F_FLOW_DIRECTION)) {
			nodir++;
			dir = OFD_DIR_INGRESS;
		}
		if (dir <= OFD_DIR_EGRESS)
			set_remote(f, by_dir[s->policy - POL_BORDER][dir]);
	}
	if (nodir)
		ofd_segment_count(seg, C_NODIRECTION, nodir);
}

static void remoteaddress_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	struct remoteaddress_state *s = state;
	(void)seg, (void)now_ns;
	if (s->policy == POL_CIDR && atomic_load_explicit(&s->src.pending, memory_order_relaxed))
		pfx_src_adopt(&s->src);
}

static void remoteaddress_fini(struct ofd_segment *seg, void *state)
{
	struct remoteaddress_state *s = state;
	(void)seg;
	pfx_src_close(&s->src);
}

static const char *const policies[] = {"cidr", "border", "user", "clear", NULL};
static const char *const counters[] = {"unmatched", "nodirection", "reloads", "reload_failed", NULL};

static const struct ofd_cfg_key remoteaddress_keys[] = {
    OFD_KEY("policy", OFD_CFG_ENUM, struct remoteaddress_state, policy, .required = 1, .choices = policies,
	    .help =
		"cidr: the side not in `filename`'s networks is remote; border: by flow direction on border "
		"interfaces (ingress: the source); user: on user interfaces (ingress: the destination); "
		"clear: none"),
    OFD_KEY("filename", OFD_CFG_STRING, struct remoteaddress_state, filename,
	    .help =
		"policy cidr: CSV of our networks (prefix[,id]; a non-zero id or none: ours); reloaded on "
		"SIGHUP and when the file changes"),
    OFD_KEY("dropunmatched", OFD_CFG_BOOL, struct remoteaddress_state, dropunmatched, .def = "false",
	    .help = "policy cidr: drop flows with neither address in our networks"),
    OFD_KEY(
	"checkinterval", OFD_CFG_DURATION, struct remoteaddress_state, check_ns, .def = "1s",
	.help =
	    "policy cidr: how often the file is checked for changes (0: only on SIGHUP); overflowd's own"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_remoteaddress = {
    OFD_SEGMENT_VERSION,
    .name = "remoteaddress",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary =
	"set RemoteAddr (1 source, 2 destination) by our networks (cidr), flow direction (border, user), "
	"or clear it",
    .state_size = sizeof(struct remoteaddress_state),
    .config = remoteaddress_keys,
    .counters = counters,
    .check = remoteaddress_check,
    .init = remoteaddress_init,
    .process = remoteaddress_process,
    .tick = remoteaddress_tick,
    .fini = remoteaddress_fini,
};
