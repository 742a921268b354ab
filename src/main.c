/* overflowd: flow collector, pipeline and tracer daemon. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: overflowd COMMAND [OPTIONS]\n"
		   "commands:\n"
		   "  dump [--format json|csv] [--limit N] SOURCE...   print decoded flow records\n"
		   "run 'overflowd COMMAND --help' for a command's options\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return OFD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "dump") == 0)
		return ofd_cmd_dump(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return OFD_EXIT_OK;
	}
	fprintf(stderr, "overflowd: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return OFD_EXIT_USAGE;
}
