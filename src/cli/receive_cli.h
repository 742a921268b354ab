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

#endif
