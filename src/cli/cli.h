/* Subcommands of the overflowd binary. Each returns the process exit status. */
#ifndef OFD_CLI_H
#define OFD_CLI_H

#include <stdio.h>

/* Exit statuses shared by all subcommands. */
enum { OFD_EXIT_OK = 0, OFD_EXIT_FAIL = 1, OFD_EXIT_USAGE = 2 };

int ofd_cmd_dump(int argc, char **argv);
/* overflowd replay FILE... --to udp://HOST:PORT [...]: send a capture's datagrams to a collector */
int ofd_cmd_replay(int argc, char **argv);
/* overflowd -c CONFIG.yml [--check] [-p MODULE.so]... [ARG...] (argv[0] is the program) */
int ofd_cmd_run(int argc, char **argv);
/* overflowd -f FILE... | -u [PORT] [options]: tracers, the 2016 prototype's command line */
int ofd_cmd_tracer(int argc, char **argv);
int ofd_cmd_keygen(int argc, char **argv);
/* overflowd --version: version, git commit, optional segments built in and left out */
int ofd_cli_version(FILE *f);
int ofd_cmd_verify(int argc, char **argv);

/* Set by SIGINT/SIGTERM; long-running loops poll it. */
extern volatile int ofd_stop;
void ofd_signals_install(void);

/*
 * With SIGPIPE ignored (every command ignores it), a reader that closed its end of our standard
 * output shows as EPIPE on the next write. True when stdout's reader is gone: a failed write on
 * stdout and a pipe or socket without a reader (poll reports POLLERR). A command then ends as
 * tcpdump does: a one-line note on stderr, its summary, status 0.
 */
int ofd_cli_stdout_gone(void);

#endif
