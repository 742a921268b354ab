/*
 * The HTTP server's connection guard (contract in httpd.h, "Connection guard"; structures in
 * httpd_int.h). libmicrohttpd's own timeout is an idle timeout, which a client trickling one
 * byte at a time renews forever, and its connection limit is one pool for everybody; so every
 * connection gets a record here: admitted or refused at accept by its address's count and the
 * reserve, and shut down by a watchdog thread once past its absolute deadline. Shutting the
 * socket down (not closing it: MHD owns it) makes MHD see the end of the stream and close the
 * connection itself.
 *
 * The connection count per address is a scan of the records: the records are bounded by the
 * server's connection limit (hundreds), and a scan costs less than an accept.
 */
#include "net/httpd_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ofd/time.h"

#define DEFAULT_PER_ADDRESS 8
#define DEFAULT_HEADER_S    10
#define DEFAULT_REQUEST_S   30
#define WATCH_NS	    (200 * 1000000ull) /* the watchdog's period: deadlines are this late at most */

int ofd_hguard_init(struct hguard *g, const struct ofd_httpd_cfg *cfg)
{
	memset(g, 0, sizeof(*g));
	g->list.next = g->list.prev = &g->list;
	g->budget = cfg->connections;
	g->reserve_at = g->budget - g->budget / 4;
	g->per_address = cfg->per_address ? cfg->per_address : DEFAULT_PER_ADDRESS;
	g->header_ns = (uint64_t)(cfg->header_s ? cfg->header_s : DEFAULT_HEADER_S) * OFD_NS_PER_S;
	g->request_ns = (uint64_t)(cfg->request_s ? cfg->request_s : DEFAULT_REQUEST_S) * OFD_NS_PER_S;
	if (cfg->ntrusted) {
		g->trusted = malloc(cfg->ntrusted * sizeof(*g->trusted));
		if (!g->trusted)
			return -ENOMEM;
		memcpy(g->trusted, cfg->trusted, cfg->ntrusted * sizeof(*g->trusted));
		g->ntrusted = cfg->ntrusted;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void ofd_hguard_fini(struct hguard *g)
{
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g->trusted);
	g->trusted = NULL;
}

int ofd_hguard_trusted(const struct hguard *g, const struct ofd_ip *a)
{
	return g->ntrusted && ofd_prefix_longest(g->trusted, g->ntrusted, a) >= 0;
}

/* The key an address counts under: IPv4 (v4-mapped) whole, IPv6 by its /64. */
static void key_of(const struct ofd_ip *a, uint8_t key[16])
{
	memcpy(key, a->b, 16);
	if (!ofd_ip_is_v4mapped(a))
		memset(key + 8, 0, 8);
}

static void ip_of_sockaddr(const struct sockaddr *sa, struct ofd_ip *ip)
{
	static const uint8_t zero[4];
	ofd_ip_set4(ip, zero);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)(const void *)sa;
		ofd_ip_set4(ip, (const uint8_t *)&a4->sin_addr);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
			ofd_ip_set4(ip, a6->sin6_addr.s6_addr + 12);
		else
			ofd_ip_set6(ip, a6->sin6_addr.s6_addr);
	}
}

void ofd_httpd_peer_of(struct MHD_Connection *c, struct ofd_ip *ip)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	ip_of_sockaddr(ci ? ci->client_addr : NULL, ip);
}

/* Whether an address with key may hold one more connection (g->mu held); 0 admits, else the
   counter of the refusal's reason. */
static uint64_t *refusal(struct hguard *g, const uint8_t key[16])
{
	unsigned same = 0;
	for (struct hconn *r = g->list.next; r != &g->list; r = r->next)
		same += r->counted && memcmp(r->key, key, 16) == 0;
	if (same >= g->per_address)
		return &g->refused_per_address;
	if (same > 0 && g->held >= g->reserve_at)
		return &g->refused_reserved;
	return NULL;
}

enum MHD_Result ofd_hguard_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct hguard *g = cls;
	struct ofd_ip ip;
	uint8_t key[16];
	(void)len;
	ip_of_sockaddr(sa, &ip);
	if (ofd_hguard_trusted(g, &ip))
		return MHD_YES;
	key_of(&ip, key);
	pthread_mutex_lock(&g->mu);
	uint64_t *why = refusal(g, key);
	if (why)
		(*why)++;
	pthread_mutex_unlock(&g->mu);
	return why ? MHD_NO : MHD_YES;
}

/* A new connection: its record, admitted or shut down at once (the accept policy checked it,
   but another thread of a pool may have admitted one from the same address since). */
static void started(struct hguard *g, struct MHD_Connection *c, void **ctx)
{
	struct hconn *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ofd_ip ip;
	*ctx = r;
	ofd_httpd_peer_of(c, &ip);
	if (!r) {
		if (fi)
			shutdown(fi->connect_fd, SHUT_RDWR);
		return;
	}
	r->fd = fi ? fi->connect_fd : -1;
	r->trusted = (uint8_t)ofd_hguard_trusted(g, &ip);
	key_of(&ip, r->key);
	r->start_ns = ofd_time_mono_ns();
	pthread_mutex_lock(&g->mu);
	uint64_t *why = r->trusted ? NULL : refusal(g, r->key);
	if (why || r->fd < 0) {
		if (why)
			(*why)++;
		r->shut = 1;
		if (r->fd >= 0)
			shutdown(r->fd, SHUT_RDWR);
	} else {
		r->counted = 1;
		g->held++;
	}
	r->prev = g->list.prev, r->next = &g->list;
	g->list.prev->next = r, g->list.prev = r;
	pthread_mutex_unlock(&g->mu);
}

void ofd_hguard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	struct hguard *g = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		started(g, c, socket_context);
		return;
	}
	struct hconn *r = *socket_context;
	*socket_context = NULL;
	if (!r)
		return;
	pthread_mutex_lock(&g->mu);
	r->prev->next = r->next, r->next->prev = r->prev;
	if (r->counted)
		g->held--;
	pthread_mutex_unlock(&g->mu);
	free(r);
}

struct hconn *ofd_hguard_conn(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void ofd_hguard_headers(struct hguard *g, struct hconn *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&g->mu);
	r->headers_done = 1;
	pthread_mutex_unlock(&g->mu);
}

void ofd_hguard_waiting(struct hguard *g, struct hconn *r, int on)
{
	if (!r)
		return;
	pthread_mutex_lock(&g->mu);
	r->waiting = (uint8_t)on;
	if (!on) /* answered: the answer has a request's time to go out */
		r->start_ns = ofd_time_mono_ns();
	pthread_mutex_unlock(&g->mu);
}

void ofd_hguard_completed(struct hguard *g, struct hconn *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&g->mu);
	r->headers_done = 0;
	r->waiting = 0;
	r->start_ns = ofd_time_mono_ns();
	pthread_mutex_unlock(&g->mu);
}

/* Shut down every overdue connection (g->mu held). */
static void sweep(struct hguard *g, uint64_t now)
{
	for (struct hconn *r = g->list.next; r != &g->list; r = r->next) {
		if (r->shut || r->waiting || r->fd < 0)
			continue;
		uint64_t age = now > r->start_ns ? now - r->start_ns : 0;
		uint64_t *count = NULL;
		if (!r->headers_done && age > g->header_ns)
			count = &g->deadline_headers;
		else if (age > g->request_ns)
			count = &g->deadline_request;
		if (count) {
			(*count)++;
			r->shut = 1;
			shutdown(r->fd, SHUT_RDWR);
		}
	}
}

static void *watchdog(void *arg)
{
	struct hguard *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		uint64_t now = ofd_time_mono_ns();
		sweep(g, now);
		uint64_t until = now + WATCH_NS;
		struct timespec ts = {(time_t)(until / OFD_NS_PER_S), (long)(until % OFD_NS_PER_S)};
		(void)pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int ofd_hguard_start(struct hguard *g)
{
	int rc = pthread_create(&g->thread, NULL, watchdog, g);
	if (rc)
		return -rc;
	g->running = 1;
	return 0;
}

void ofd_hguard_stop(struct hguard *g)
{
	if (!g->running)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	g->running = 0;
}
