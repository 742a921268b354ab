/* flowfilter: keep the flows that match a flowfilter expression (src/flowfilter), drop the rest. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "flowfilter/flowfilter.h"
#include "ofd/segment.h"
#include "util/termtext.h"

struct flowfilter_state {
	char *filter;
	struct ofd_filter *f;
};

/*
 * --check and start: the expression must compile. Where it mixes `and` and `or` without
 * parentheses, a warning says how it is read (to the right, as flowpipeline reads it), since a
 * reader used to `and` binding tighter would expect another selection.
 */
static int flowfilter_check(const void *state, char *err, size_t errlen)
{
	const struct flowfilter_state *s = state;
	char why[384] = "";
	struct ofd_filter *f = NULL;
	const char *expr = s->filter ? s->filter : "";
	if (ofd_filter_compile(&f, expr, why, sizeof(why))) {
		snprintf(err, errlen, "key filter: %s", why);
		return OFD_ECONFIG;
	}
	ofd_filter_free(f);
	if (ofd_filter_mixed(expr, why, sizeof(why))) {
		char shown[OFD_TERMTEXT_CAP(120)];
		size_t n = strlen(expr);
		ofd_termtext_escape(shown, sizeof(shown), expr, n > 120 ? 120 : n);
		ofd_warn("segment flowfilter: key filter \"%s%s\": %s", shown, n > 120 ? "..." : "", why);
	}
	return 0;
}

static int flowfilter_init(struct ofd_segment *seg, void *state)
{
	struct flowfilter_state *s = state;
	char why[256] = "";
	if (ofd_filter_compile(&s->f, s->filter ? s->filter : "", why, sizeof(why))) {
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
     .help =
	 "flowfilter expression, read as flowpipeline reads it (`and` and `or` group to the right); flows "
	 "that match go on, the others are dropped; empty or absent: every flow passes (a syntax error is "
	 "refused at start with its column, `and` and `or` mixed without parentheses are warned about)"},
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
