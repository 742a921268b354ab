/*
 * addnetid: the network id of a flow's local side (or of both sides, `matchboth`) from a CSV
 * of prefix,id lines, as flowpipeline's addnetid segment sets it:
 *
 *   - segment: addnetid
 *     config:
 *       filename: networks.csv
 *       matchboth: true
 *
 * Ids are text by default (NetIdString; SrcIdString/DstIdString with matchboth), integers with
 * `useintids: true` (NetId; SrcId/DstId). The matching, the file format and its reloading are
 * in segments/common/idtag.c, prefixfile.c and prefixsrc.c.
 */
#include "segments/common/idtag.h"

static const struct idtag_fields addnetid_fields = {
    .id = OFD_F_NET_ID,
    .id_str = OFD_F_NET_ID_STRING,
    .src = OFD_F_SRC_ID,
    .src_str = OFD_F_SRC_ID_STRING,
    .dst = OFD_F_DST_ID,
    .dst_str = OFD_F_DST_ID_STRING,
};

static int addnetid_init(struct ofd_segment *seg, void *state)
{
	return idtag_init(seg, state, &addnetid_fields);
}

static void addnetid_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	idtag_process(seg, state, b);
}

static void addnetid_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	(void)seg, (void)now_ns;
	idtag_tick(state);
}

static void addnetid_fini(struct ofd_segment *seg, void *state)
{
	(void)seg;
	idtag_fini(state);
}

static const struct ofd_cfg_key addnetid_keys[] = {
    IDTAG_KEYS("false"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_addnetid = {
    OFD_SEGMENT_VERSION,
    .name = "addnetid",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "set NetId/NetIdString of the local side, or the Src/Dst ids, from a CSV of prefix,id "
	       "(longest prefix; reloaded on SIGHUP and file change)",
    .state_size = sizeof(struct idtag_state),
    .config = addnetid_keys,
    .counters = idtag_counters,
    .init = addnetid_init,
    .process = addnetid_process,
    .tick = addnetid_tick,
    .fini = addnetid_fini,
};
