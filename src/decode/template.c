/* STUB: replaced by the real template cache. */
#include "template.h"

#include <stdlib.h>

struct ofd_tmpl_cache {
	int unused;
};

int ofd_tmpl_cache_new(struct ofd_tmpl_cache **out, const struct ofd_decode_limits *lim)
{
	(void)lim;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void ofd_tmpl_cache_free(struct ofd_tmpl_cache *tc)
{
	free(tc);
}
