/* The inputs' summary on stderr (see insum.h). */
#include "segments/common/insum.h"

#include <inttypes.h>
#include <stdio.h>

#define NS_PER_S UINT64_C(1000000000)

void ofd_insum_drops(const char *what, const uint64_t *drops)
{
	for (int i = 0; i < OFD_DROP__COUNT; i++)
		if (drops[i])
			fprintf(stderr, "  %s dropped %s: %" PRIu64 "\n", what,
				ofd_drop_name((enum ofd_drop)i), drops[i]);
}

void ofd_insum_state_loaded(const char *path, const struct ofd_tmpl_state_info *in, uint64_t now_ns)
{
	if (in->missing)
		fprintf(stderr, "template state %s: no file yet\n", path);
	else if (!in->ignored)
		fprintf(stderr,
			"template state %s: loaded %" PRIu32 " templates, %" PRIu32
			" options templates of %" PRIu32 " exporters (saved %" PRIu64
			" s ago; skipped %" PRIu32 " stale, %" PRIu32 " refused)\n",
			path, in->templates, in->options_templates, in->exporters,
			now_ns > in->saved_ns ? (now_ns - in->saved_ns) / NS_PER_S : 0, in->stale,
			in->refused);
}

void ofd_insum_state_saved(const char *path, uint32_t templates, uint32_t exporters)
{
	fprintf(stderr, "template state %s: saved %" PRIu32 " templates of %" PRIu32 " exporters\n", path,
		templates, exporters);
}
