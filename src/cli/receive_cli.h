/*
 * overflowd receive [--udp ADDR:PORT] [--http ADDR:PORT] [--db FILE] [-k KEYFILE]
 *                   [--max-age DURATION] [--max-rows N]
 *
 * Receive tracers (UDP, and HTTP POST /.well-known/overflowd, with /metrics), verify them and
 * store the valid ones in the SQLite database, until SIGINT/SIGTERM; prints the counters at exit.
 */
#ifndef OFD_CLI_RECEIVE_H
#define OFD_CLI_RECEIVE_H

#include <stdint.h>

int ofd_cmd_receive(int argc, char **argv);

/* "90", "90s", "15m", "12h", "30d", "2w" into seconds; 0 or OFD_EFORMAT. */
int ofd_duration_parse(const char *s, uint64_t *out_s);

#endif
