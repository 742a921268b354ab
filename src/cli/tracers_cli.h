/* overflowd tracers / overflowd keys: listings of the receiver's store (src/receiver/query.h). */
#ifndef OFD_TRACERS_CLI_H
#define OFD_TRACERS_CLI_H

/*
 * overflowd tracers [--db FILE] [--mine PREFIX...] [--since T] [--class C] [--key K] [--spoofed]
 *                   [--format table|json|csv]
 * argv[0] is the command name. Returns the exit status (OFD_EXIT_*).
 */
int ofd_cmd_tracers(int argc, char **argv);
/* overflowd keys [--db FILE] [--key K] [--format table|json|csv] */
int ofd_cmd_keys(int argc, char **argv);

#endif
