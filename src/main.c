/* overflowd: flow collector, pipeline and tracer daemon. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/receive_cli.h"
#include "cli/tracers_cli.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: overflowd COMMAND [OPTIONS]\n"
	    "       overflowd [-c CONFIG.yml] [--check] [-l LEVEL] [-j] [-n N] [-p MODULE.so]... [ARG...]\n"
	    "commands:\n"
	    "  [-c CONFIG.yml] [ARG...] run the pipeline in CONFIG.yml (default config.yml; also:\n"
	    "                           overflowd run ...); ARGs are $0, $1...; --check validates it,\n"
	    "                           -p loads custom segments, --segments lists the segments,\n"
	    "                           -v, --version prints the version, commit and segments\n"
	    "  dump [--format json|csv] [--limit N] SOURCE...   print decoded flow records\n"
	    "  replay FILE... --to udp://HOST:PORT [--rate N]   send captured datagrams to a collector\n"
	    "  -f FILE... | -u [PORT] [-r RATE] [--send] ...     signed tracers about flows\n"
	    "  keygen [-k KEYFILE]                              create a signing key\n"
	    "  verify [-k KEYFILE] [FILE|-]                     check tracers\n"
	    "  receive [--udp ADDR:PORT] [--http ADDR:PORT] [--db FILE]  receive and store tracers\n"
	    "  tracers [--db FILE] [--mine PREFIX...] [--spoofed] ...  list received tracers\n"
	    "  keys [--db FILE]                                 signing keys seen, with history\n"
	    "run 'overflowd COMMAND --help' (or 'overflowd -c x --help') for a command's options\n");
}

int main(int argc, char **argv)
{
	/* a closed stdout (`| head -1`) is an EPIPE each command handles: it ends the run */
	signal(SIGPIPE, SIG_IGN);
	/* flowpipeline's `flowpipeline` and `flowpipeline "proto tcp"`: config.yml in the current
	   directory, when there is one (looked for only where no command is named) */
	if (argc < 2) {
		if (access("config.yml", F_OK) == 0)
			return ofd_cmd_run(argc, argv);
		usage(stderr);
		return OFD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "dump") == 0)
		return ofd_cmd_dump(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return ofd_cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return fflush(stdout) ? OFD_EXIT_FAIL : OFD_EXIT_OK;
	}
	if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)
		return ofd_cli_version(stdout);
	if (strcmp(argv[1], "run") == 0)
		return ofd_cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "keygen") == 0)
		return ofd_cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return ofd_cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "receive") == 0)
		return ofd_cmd_receive(argc - 1, argv + 1);
	if (strcmp(argv[1], "tracers") == 0)
		return ofd_cmd_tracers(argc - 1, argv + 1);
	if (strcmp(argv[1], "keys") == 0)
		return ofd_cmd_keys(argc - 1, argv + 1);
	for (int i = 1; i < argc; i++) /* the prototype's -f / -u modes */
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--file") == 0 ||
		    strncmp(argv[i], "-u", 2) == 0 || strncmp(argv[i], "--udp", 5) == 0)
			return ofd_cmd_tracer(argc, argv);
	if (argv[1][0] == '-' || access("config.yml", F_OK) == 0)
		return ofd_cmd_run(argc, argv);
	fprintf(stderr, "overflowd: unknown command '%s' (and no config.yml here to run it as $0)\n",
		argv[1]);
	usage(stderr);
	return OFD_EXIT_USAGE;
}
