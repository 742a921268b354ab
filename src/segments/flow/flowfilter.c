/* flowfilter: keep the flows that match a flowfilter expression (src/flowfilter), drop the rest. */
#include <stddef.h>
#include <stdio.h>

#include "flowfilter/flowfilter.h"
#include "ofd/segment.h"

struct flowfilter_state {
	char *filter;
	struct ofd_filter *f;
};

/* --check and start: the expression must compile. */
static int flowfilter_check(const void *state, char *err, size_t errlen)
{
	const struct flowfilter_state *s = state;
	char why[256] = "";
	struct ofd_filter *f = NULL;
	if (!s->filter || ofd_filter_compile(&f, s->filter, why, sizeof(why))) {
		snprintf(err, errlen, "key filter: %s", s->filter ? why : "required");
		return OFD_ECONFIG;
	}
	ofd_filter_free(f);
	return 0;
}

static int flowfilter_init(struct ofd_segment *seg, void *state)
{
	struct flowfilter_state *s = state;
	char why[256] = "";
	if (!s->filter) {
		ofd_err("%s:%u: segment %s: key filter: required", ofd_segment_file(seg),
			ofd_segment_line(seg), ofd_segment_name(seg));
		return OFD_ECONFIG;
	}
	if (ofd_filter_compile(&s->f, s->filter, why, sizeof(why))) {
		ofd_seg_log(seg, OFD_LOG_ERR, "key filter: %s", why);
		s->f = NULL;
		return OFD_ECONFIG;
	}
	return 0;
}

static void flowfilter_process(struct ofd_segment *seg, void *state, struct ofd_batch *b)
{
	struct flowfilter_state *s = state;
	(void)seg;
	(void)ofd_filter_batch(s->f, b);
}

static void flowfilter_fini(struct ofd_segment *seg, void *state)
{
	struct flowfilter_state *s = state;
	(void)seg;
	ofd_filter_free(s->f);
	s->f = NULL;
}

static const struct ofd_cfg_key flowfilter_keys[] = {
    {.key = "filter",
     .type = OFD_CFG_STRING,
     .offset = offsetof(struct flowfilter_state, filter),
     .required = 1,
     .help =
	 "flowfilter expression; flows that match go on, the others are dropped (a syntax error is refused "
	 "at start with its column)"},
    {.key = NULL},
};

const struct ofd_segment_type ofd_seg_flowfilter = {
    OFD_SEGMENT_VERSION,
    .name = "flowfilter",
    .kind = OFD_SEG_FLOW,
    .flags = OFD_SEGF_PARALLEL,
    .summary = "keep the flows matching a flowfilter expression",
    .state_size = sizeof(struct flowfilter_state),
    .config = flowfilter_keys,
    .check = flowfilter_check,
    .init = flowfilter_init,
    .process = flowfilter_process,
    .fini = flowfilter_fini,
};
