/* The embedded files (assets.h); the table itself is generated. */
#include "util/assets.h"

#include <string.h>

const struct ofd_asset *ofd_asset_find(const char *name)
{
	for (const struct ofd_asset *a = ofd_assets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}
