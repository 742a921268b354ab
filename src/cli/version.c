/* overflowd --version: the version, the commit it was built from and the optional segments. */
#include <stdio.h>

#include "cli.h"
#include "segments/builtin.h"

#ifndef OFD_GIT_COMMIT
#define OFD_GIT_COMMIT "unknown"
#endif

int ofd_cli_version(FILE *f)
{
	fprintf(f, "overflowd %s\ncommit: %s\noptional segments built in:", OFD_VERSION, OFD_GIT_COMMIT);
	size_t n = 0;
	for (const struct ofd_registry_off *o = ofd_builtin_optional; o->name; o++, n++)
		fprintf(f, " %s", o->name);
	fprintf(f, "%s\nsegments left out:%s\n", n ? "" : " none", ofd_builtin_off[0].name ? "" : " none");
	for (const struct ofd_registry_off *o = ofd_builtin_off; o->name; o++)
		fprintf(f, "  %s: %s\n", o->name, o->reason);
	return fflush(f) || ferror(f) ? OFD_EXIT_FAIL : OFD_EXIT_OK;
}
