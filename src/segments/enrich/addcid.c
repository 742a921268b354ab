/*
 * addcid: the customer id of a flow's local side (or of both sides, `matchboth`) from a CSV of
 * prefix,id lines, as flowpipeline's addcid segment sets it:
 *
 *   - segment: addcid
 *     config:
 *       filename: customer-prefixes.csv
 *       dropunmatched: true
 *
 * Sets Cid (cid), and with matchboth SrcCid/DstCid; with `useintids: false` (overflowd's: in
 * flowpipeline addcid's ids are always integers) the ids are text and go to CidString. The
 * matching, the file format and its reloading are in segments/common/idtag.c, prefixfile.c and
 * prefixsrc.c.
 */
#include "segments/common/idtag.h"

static const struct idtag_fields addcid_fields = {
    .id = OFD_F_CID,
    .id_str = OFD_F_CID_STRING,
    .src = OFD_F_SRC_CID,
    .src_str = OFD_F__COUNT,
    .dst = OFD_F_DST_CID,
    .dst_str = OFD_F__COUNT,
};

static int addcid_init(struct ofd_segment *seg, void *state)
{
	return idtag_init(seg, state, &addcid_fields);
}

static void addcid_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	idtag_process(seg, state, b);
}

static void addcid_tick(struct ofd_segment *seg, void *state, uint64_t now_ns)
{
	(void)seg, (void)now_ns;
	idtag_tick(state);
}

static void addcid_fini(struct ofd_segment *seg, void *state)
{
	(void)seg;
	idtag_fini(state);
}

static const struct ofd_cfg_key addcid_keys[] = {
    IDTAG_KEYS("true"),
    OFD_KEY_END,
};

const struct ofd_segment_type ofd_seg_addcid = {
    OFD_SEGMENT_VERSION,
    .name = "addcid",
    .kind = OFD_SEG_ENRICH,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "set Cid (customer id) of the local side, or SrcCid/DstCid, from a CSV of prefix,id "
	       "(longest prefix; reloaded on SIGHUP and file change)",
    .state_size = sizeof(struct idtag_state),
    .config = addcid_keys,
    .counters = idtag_counters,
    .init = addcid_init,
    .process = addcid_process,
    .tick = addcid_tick,
    .fini = addcid_fini,
};
