/*
 * A real DNS server for tests and benchmarks: Debian's dnsmasq (package dnsmasq-base) on
 * 127.0.0.1 at a free port, in the foreground, reading no configuration, no /etc/hosts and no
 * upstream servers, serving what the caller's arguments say (--ptr-record=NAME,TARGET,
 * --addn-hosts=FILE, --local=/in-addr.arpa/ for NXDOMAIN, --local-ttl=S, ...).
 */
#ifndef OFD_GEN_DNSMASQ_H
#define OFD_GEN_DNSMASQ_H

#include <sys/types.h>

struct gen_dnsmasq {
	pid_t pid;
	int port;
};

/* The dnsmasq binary ("/usr/sbin/dnsmasq" or one on PATH), or NULL when none is installed. */
const char *gen_dnsmasq_path(void);

/*
 * Start dnsmasq with the extra arguments (NULL-terminated) on a free port and wait until it
 * answers a query (at most 10 s, polling; a port taken meanwhile is retried). 0, or -1 with
 * the reason on stderr. Its output goes to /dev/null unless OFD_TEST_VERBOSE is set.
 */
int gen_dnsmasq_start(struct gen_dnsmasq *d, const char *const *args);

/* SIGTERM and reap it. */
void gen_dnsmasq_stop(struct gen_dnsmasq *d);

#endif
