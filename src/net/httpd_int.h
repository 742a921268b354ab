/*
 * The HTTP server's private parts, shared by httpd.c (routing, answers, deferred answers) and
 * httpd_guard.c (the connection guard: per-address and reserve bounds, absolute deadlines).
 *
 * One mutex (guard.mu) covers the connection records, the counters and the list of requests
 * waiting for a deferred answer. A connection record is created on MHD's STARTED notification
 * and freed on CLOSED, which MHD sends before it closes the socket: so a socket that the
 * watchdog shuts down under the mutex is always the record's own.
 */
#ifndef OFD_NET_HTTPD_INT_H
#define OFD_NET_HTTPD_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/httpd.h"

/* One connection. */
struct hconn {
	struct hconn *prev, *next;
	int fd;
	uint8_t key[16];      /* the address: IPv4 v4-mapped, IPv6 its /64 */
	uint8_t counted;      /* admitted: counts toward held and its address */
	uint8_t trusted;      /* from a trusted proxy */
	uint8_t headers_done; /* the current request's headers are in */
	uint8_t waiting;      /* the current request waits for a deferred answer */
	uint8_t shut;	      /* shut down by the guard (refused or overdue) */
	uint64_t start_ns;    /* accepted, or the previous answer completed */
};

struct hguard {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* the watchdog's naps; stop; deferred answers completed */
	struct hconn list; /* circular, list.next the oldest */
	unsigned held, budget, reserve_at, per_address;
	uint64_t header_ns, request_ns;
	struct ofd_prefix *trusted;
	size_t ntrusted;
	uint64_t refused_per_address, refused_reserved, deadline_headers, deadline_request;
	unsigned deferred; /* requests waiting for their answer */
	pthread_t thread;
	int running, stopping;
};

/* Set up g from cfg (copies the trusted list). 0 or -ENOMEM. */
int ofd_hguard_init(struct hguard *g, const struct ofd_httpd_cfg *cfg);
/* Start / stop the watchdog thread (stop: idempotent). */
int ofd_hguard_start(struct hguard *g);
void ofd_hguard_stop(struct hguard *g);
void ofd_hguard_fini(struct hguard *g);

/* MHD's accept policy: MHD_YES if a connection from sa may be admitted now (counts a refusal). */
enum MHD_Result ofd_hguard_accept(void *cls, const struct sockaddr *sa, socklen_t len);
/* MHD's connection notification: records, admission, release. */
void ofd_hguard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode code);
/* The record of c (NULL when unknown). */
struct hconn *ofd_hguard_conn(struct MHD_Connection *c);
/* The current request's headers are in / it waits for an answer (on) or not / it completed. */
void ofd_hguard_headers(struct hguard *g, struct hconn *r);
void ofd_hguard_waiting(struct hguard *g, struct hconn *r, int on);
void ofd_hguard_completed(struct hguard *g, struct hconn *r);
/* 1 if a is a trusted proxy. */
int ofd_hguard_trusted(const struct hguard *g, const struct ofd_ip *a);

/* The peer of c as an address (0.0.0.0 when unknown). */
void ofd_httpd_peer_of(struct MHD_Connection *c, struct ofd_ip *ip);

#endif
