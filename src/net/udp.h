/*
 * UDP listeners from a flowpipeline-style listen string:
 * "udp://:2055,sflow://[::]:6343,netflow://127.0.0.1:9995" (netflow:// and sflow:// are aliases
 * of udp://; an empty address listens on all IPv4 and IPv6 addresses). Datagrams are received
 * with recvmmsg() in bursts into a preallocated slab; the receive time is taken per burst.
 */
#ifndef OFD_UDP_H
#define OFD_UDP_H

#include <stdint.h>

#include "net/dgram.h"
#include "ofd/err.h"
#include "ofd/stats.h"

struct ofd_udp;

struct ofd_udp_stats {
	uint64_t datagrams;
	uint64_t bytes;
	uint64_t drops[OFD_DROP__COUNT]; /* OFD_DROP_SOCKET, OFD_DROP_KERNEL (SO_RXQ_OVFL) */
};

typedef void (*ofd_udp_fn)(const struct ofd_dgram *dg, void *ctx);

/* Open and bind every socket in `listen`; rcvbuf 0 keeps the system default. */
int ofd_udp_open(struct ofd_udp **out, const char *listen, int rcvbuf) OFD_MUST_CHECK;

/*
 * Open the listeners of `listen` once per worker (1..OFD_UDP_MAX_WORKERS) into out[0..workers):
 * with more than one, every worker binds the same addresses and ports with SO_REUSEPORT and the
 * kernel hands each datagram to one of them: NetFlow v5 and sFlow v5 spread by their sequence
 * numbers (a reuseport BPF program), NetFlow v9 and IPFIX by the exporter's address and port,
 * so that an exporter's templates are learned by the worker that decodes its data. Each worker
 * polls its own handle from its own thread.
 */
#define OFD_UDP_MAX_WORKERS 64
int ofd_udp_open_workers(struct ofd_udp **out, unsigned workers, const char *listen,
			 int rcvbuf) OFD_MUST_CHECK;

/* The local port of socket i (0 when there is no such socket): tests bind port 0. */
uint16_t ofd_udp_port(const struct ofd_udp *u, unsigned i);

/*
 * Wait up to timeout_ms for datagrams on any socket and hand each to fn. Returns the number of
 * datagrams delivered, 0 on timeout or EINTR, a negative error otherwise.
 */
int ofd_udp_poll(struct ofd_udp *u, int timeout_ms, ofd_udp_fn fn, void *ctx);

const struct ofd_udp_stats *ofd_udp_stats(const struct ofd_udp *u);

void ofd_udp_close(struct ofd_udp *u);

#endif
