/*
 * Tracer delivery (contracts in send.h): names, relays, the life cycle. Admission and queueing
 * are in admit.c, the sender thread in sendthr.c, their shared data in send_int.h.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ofd/log.h"
#include "ofd/time.h"
#include "tracer/policy.h"
#include "tracer/ratelimit.h"
#include "tracer/send.h"
#include "tracer/send_int.h"

static const char *const drop_names[OFD_SD__COUNT] = {
    [OFD_SD_RESERVED] = "reserved",
    [OFD_SD_DENIED] = "denied",
    [OFD_SD_DUPLICATE] = "duplicate",
    [OFD_SD_ADDR_RATE] = "address_rate",
    [OFD_SD_RATE] = "rate",
    [OFD_SD_QUEUE_FULL] = "queue_full",
    [OFD_SD_TOO_LARGE] = "too_large",
    [OFD_SD_ERROR] = "error",
    [OFD_SD_UNREACHABLE] = "unreachable",
    [OFD_SD_DEST_FULL] = "dest_queue_full",
    [OFD_SD_HTTP_FULL] = "http_queue_full",
};

const char *ofd_send_drop_name(enum ofd_send_drop d)
{
	return (unsigned)d < OFD_SD__COUNT ? drop_names[d] : "unknown";
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- addresses ---- */

void ofd_sender_ip_host(const struct ofd_ip *ip, char *buf)
{
	struct ofd_ip a = *ip;
	if (ofd_ip_is_v4mapped(&a)) {
		a.family = OFD_AF_INET;
		ofd_ip_str(&a, buf);
		return;
	}
	buf[0] = '[';
	int n = ofd_ip_str(&a, buf + 1);
	buf[n + 1] = ']';
	buf[n + 2] = 0;
}

/* ---- relays ---- */

/* HOST (a literal, or a name resolved once) into r->addr. */
static int relay_resolve(struct relay *r, const char *host, char *err, size_t errlen)
{
	if (ofd_ip_parse(&r->addr, host) == 0)
		return 0;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = r->kind == K_UDP ? SOCK_DGRAM : SOCK_STREAM};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "relay host %s: %s", host, gai_strerror(rc));
		return OFD_ECONFIG;
	}
	if (res->ai_family == AF_INET)
		ofd_ip_set4(&r->addr, (const uint8_t *)&((struct sockaddr_in *)res->ai_addr)->sin_addr);
	else
		ofd_ip_set6(&r->addr, (const uint8_t *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr);
	freeaddrinfo(res);
	r->named = 1;
	return 0;
}

/* A relay URL (syntax in policy.h), its host resolved once. */
static int relay_parse(struct relay *r, const char *url, char *err, size_t errlen)
{
	struct ofd_dest_url u;
	if (ofd_dest_url_parse(&u, url) != 0) {
		snprintf(err, errlen,
			 "relay %s: expected udp://HOST:PORT, http://HOST[:PORT]/PATH or https://...", url);
		return OFD_ECONFIG;
	}
	r->kind = u.kind;
	r->port = u.port;
	int rc = relay_resolve(r, u.host, err, errlen);
	if (rc != 0 || r->kind == K_UDP)
		return rc;
	if (!(r->url = strdup(url)))
		return -ENOMEM;
	if (r->named) { /* pin the address for curl: it never resolves (nor blocks) on its own */
		char entry[sizeof(u.host) + OFD_IP_STRLEN + 16], addr[OFD_IP_STRLEN + 2];
		ofd_sender_ip_host(&r->addr, addr);
		snprintf(entry, sizeof(entry), "%s:%u:%s", u.host, r->port, addr);
		if (!(r->resolve = curl_slist_append(NULL, entry)))
			return -ENOMEM;
	}
	return 0;
}

/* ---- life cycle ---- */

static int cfg_apply(struct ofd_sender_cfg *c, char *err, size_t errlen)
{
	if (!c->methods)
		c->methods = OFD_SEND_UDP;
	c->udp_port = c->udp_port ? c->udp_port : 65535;
	c->http_port = c->http_port ? c->http_port : 80;
	c->https_port = c->https_port ? c->https_port : 443;
	double *rates[6] = {&c->addr_rate,    &c->addr_burst, &c->global_rate,
			    &c->global_burst, &c->relay_rate, &c->relay_burst};
	static const double defaults[6] = {1, 5, 100, 200, 1000, 1000};
	for (int i = 0; i < 6; i++) {
		if (*rates[i] != *rates[i]) {
			snprintf(err, errlen, "sender: a rate is not a number");
			return OFD_ECONFIG;
		}
		if (*rates[i] == 0)
			*rates[i] = defaults[i];
	}
	if (c->dedup_window_s == 0)
		c->dedup_window_s = 300;
	else if (c->dedup_window_s == OFD_SEND_DEDUP_OFF)
		c->dedup_window_s = 0;
	c->queue_max = c->queue_max ? c->queue_max : 1024;
	c->max_inflight = c->max_inflight ? c->max_inflight : 128;
	c->connect_timeout_ms = c->connect_timeout_ms ? c->connect_timeout_ms : 2000;
	c->total_timeout_ms = c->total_timeout_ms ? c->total_timeout_ms : 5000;
	c->end_connect_timeout_ms = c->end_connect_timeout_ms ? c->end_connect_timeout_ms : 1000;
	c->http_queue = c->http_queue ? c->http_queue : 1024;
	c->dest_inflight = c->dest_inflight ? c->dest_inflight : 1;
	c->dest_queue = c->dest_queue ? c->dest_queue : 4;
	if (!c->relay_inflight)
		c->relay_inflight = c->max_inflight < 32 ? c->max_inflight : 32;
	c->unreachable_table = c->unreachable_table ? c->unreachable_table : 4096;
	c->unreachable_min_s = c->unreachable_min_s ? c->unreachable_min_s : 600;
	c->unreachable_max_s = c->unreachable_max_s ? c->unreachable_max_s : 86400;
	c->addr_table = c->addr_table ? c->addr_table : 4096;
	c->dedup_table = c->dedup_table ? c->dedup_table : 16384;
	if (c->methods & ~(unsigned)(OFD_SEND_UDP | OFD_SEND_HTTP | OFD_SEND_HTTPS) ||
	    c->queue_max > QUEUE_LIMIT || c->max_inflight > INFLIGHT_LIMIT || c->http_queue > HTTPQ_LIMIT ||
	    c->dest_inflight > c->max_inflight || c->relay_inflight > c->max_inflight ||
	    c->dest_queue > c->http_queue || c->unreachable_max_s < c->unreachable_min_s) {
		snprintf(
		    err, errlen,
		    "sender: methods, queue size (max %u), concurrency (max %u), HTTP queue (max %u), "
		    "per-destination bounds (at most the global ones) or unreachable backoff (min <= max) "
		    "out of range",
		    QUEUE_LIMIT, INFLIGHT_LIMIT, HTTPQ_LIMIT);
		return OFD_ECONFIG;
	}
	return 0;
}

static void *dup_array(const void *p, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	void *c = calloc(n, size);
	if (c)
		memcpy(c, p, n * size);
	return c;
}

static int copy_lists(struct ofd_sender *s, const struct ofd_sender_cfg *cfg)
{
	s->allow = dup_array(cfg->allow, cfg->nallow, sizeof(*s->allow));
	s->deny = dup_array(cfg->deny, cfg->ndeny, sizeof(*s->deny));
	s->recip = dup_array(cfg->recipients, cfg->nrecipients, sizeof(*s->recip));
	if ((cfg->nallow && !s->allow) || (cfg->ndeny && !s->deny) || (cfg->nrecipients && !s->recip))
		return -ENOMEM;
	s->cfg.allow = s->allow;
	s->cfg.deny = s->deny;
	s->cfg.recipients = s->recip;
	s->cfg.relays = NULL;
	s->policy = (struct ofd_policy){s->allow, cfg->nallow, s->deny, cfg->ndeny};
	return 0;
}

static int relays_setup(struct ofd_sender *s, const char *const *relays, char *err, size_t errlen)
{
	size_t n = 0;
	while (relays && relays[n])
		n++;
	if (n == 0)
		return 0;
	if (n > OFD_SEND_MAX_RELAYS) {
		snprintf(err, errlen, "sender: more than %d relays", OFD_SEND_MAX_RELAYS);
		return OFD_ECONFIG;
	}
	s->relay = calloc(n, sizeof(*s->relay));
	if (!s->relay)
		return -ENOMEM;
	s->nrelays = n;
	for (size_t i = 0; i < n; i++) {
		int rc = relay_parse(&s->relay[i], relays[i], err, errlen);
		if (rc != 0)
			return rc;
		ofd_bucket_init(&s->relay[i].bucket, s->cfg.relay_rate, s->cfg.relay_burst, 0);
	}
	return 0;
}

/* Sockets, curl handles, queue, locks: everything the thread needs. */
static int io_setup(struct ofd_sender *s)
{
	s->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); /* may fail: no IPv6 */
	if (s->fd4 < 0)
		return -errno;
	s->multi = curl_multi_init();
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h = s->headers ? curl_slist_append(s->headers, "Expect:") : NULL;
	s->nslots = s->cfg.queue_max + s->cfg.http_queue + 1; /* see send_int.h */
	s->xfer = calloc(s->cfg.max_inflight, sizeof(*s->xfer));
	s->xfree = calloc(s->cfg.max_inflight, sizeof(*s->xfree));
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	s->ring = calloc(s->cfg.queue_max, sizeof(*s->ring));
	s->free = calloc(s->nslots, sizeof(*s->free));
	if (!s->multi || !h || !s->xfer || !s->xfree || !s->slots || !s->ring || !s->free)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nslots; i++)
		s->free[s->nfree++] = s->nslots - 1 - i;
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++) {
		if (!(s->xfer[i].easy = curl_easy_init()))
			return -ENOMEM;
		s->xfree[s->nxfree++] = s->cfg.max_inflight - 1 - i;
	}
	int rc = ofd_sendq_new(&s->q, s->cfg.http_queue);
	if (rc == 0 && !s->nrelays)
		rc = ofd_hostmem_new(&s->unreach, s->cfg.unreachable_table, s->cfg.unreachable_min_s,
				     s->cfg.unreachable_max_s);
	if (rc != 0)
		return rc;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&s->idle, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -rc;
	rc = pthread_mutex_init(&s->mu, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&s->idle);
		return -rc;
	}
	return 0;
}

static void sender_release(struct ofd_sender *s, int locks)
{
	for (size_t i = 0; i < s->nrelays; i++) {
		free(s->relay[i].url);
		curl_slist_free_all(s->relay[i].resolve);
	}
	free(s->relay);
	if (s->xfer)
		for (uint32_t i = 0; i < s->cfg.max_inflight; i++)
			if (s->xfer[i].easy)
				curl_easy_cleanup(s->xfer[i].easy);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->headers);
	free(s->xfer);
	free(s->xfree);
	free(s->slots);
	free(s->ring);
	free(s->free);
	ofd_sendq_free(s->q);
	ofd_hostmem_free(s->unreach);
	if (s->fd4 >= 0)
		close(s->fd4);
	if (s->fd6 >= 0)
		close(s->fd6);
	ofd_limiter_free(s->addrlim);
	ofd_dedup_free(s->dedup);
	free(s->allow);
	free(s->deny);
	free(s->recip);
	if (locks) {
		pthread_cond_destroy(&s->idle);
		pthread_mutex_destroy(&s->mu);
	}
	free(s);
}

static int limits_setup(struct ofd_sender *s)
{
	const struct ofd_sender_cfg *c = &s->cfg;
	int rc = ofd_limiter_new(&s->addrlim, c->addr_table, c->addr_rate, c->addr_burst, 128);
	if (rc == 0 && c->dedup_window_s)
		rc = ofd_dedup_new(&s->dedup, c->dedup_table, c->dedup_window_s);
	ofd_bucket_init(&s->global, c->global_rate, c->global_burst, 0);
	return rc;
}

int ofd_sender_new(struct ofd_sender **out, const struct ofd_sender_cfg *cfg, char *err, size_t errlen)
{
	int rc, locks = 0;
	if (errlen)
		err[0] = 0;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "sender: curl_global_init: %s", curl_easy_strerror(curl_init_rc));
		return OFD_ECONFIG;
	}
	struct ofd_sender *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd4 = s->fd6 = -1;
	s->cfg = *cfg;
	if ((rc = cfg_apply(&s->cfg, err, errlen)) != 0 || (rc = copy_lists(s, cfg)) != 0 ||
	    (rc = relays_setup(s, cfg->relays, err, errlen)) != 0 || (rc = limits_setup(s)) != 0 ||
	    (rc = io_setup(s)) != 0)
		goto fail;
	locks = 1;
	if ((rc = -pthread_create(&s->thread, NULL, ofd_sender_main, s)) != 0)
		goto fail;
	s->started = 1;
	*out = s;
	return 0;
fail:
	if (errlen && !err[0])
		snprintf(err, errlen, "sender: %s", rc == -ENOMEM ? "out of memory" : ofd_strerror(rc));
	sender_release(s, locks);
	return rc;
}

/* After the thread has stopped: count what is left as errors. */
static void count_leftovers(struct ofd_sender *s)
{
	uint64_t left = 0;
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++) {
		if (s->xfer[i].busy) {
			curl_multi_remove_handle(s->multi, s->xfer[i].easy);
			s->xfer[i].busy = 0;
			left++;
		}
	}
	left += ofd_sendq_waiting(s->q);
	pthread_mutex_lock(&s->mu);
	for (uint32_t i = 0; i < s->count; i++)
		left += ofd_sender_slot_attempts(s, &s->slots[s->ring[(s->head + i) % s->cfg.queue_max]]);
	s->count = 0;
	s->jobs = 0;
	s->stopped = 1;
	s->st.not_sent[OFD_SD_ERROR] += left;
	pthread_mutex_unlock(&s->mu);
}

void ofd_sender_flush(struct ofd_sender *s, unsigned timeout_ms)
{
	if (!s->started)
		return;
	struct timespec dl = ofd_time_ts(ofd_time_mono_ns() + (uint64_t)timeout_ms * 1000000u);
	pthread_mutex_lock(&s->mu);
	while (s->count || s->jobs)
		if (pthread_cond_timedwait(&s->idle, &s->mu, &dl) != 0)
			break;
	s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	curl_multi_wakeup(s->multi);
	pthread_join(s->thread, NULL);
	s->started = 0;
	count_leftovers(s);
}

void ofd_sender_stats(struct ofd_sender *s, struct ofd_sender_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
}

void ofd_sender_free(struct ofd_sender *s)
{
	if (!s)
		return;
	ofd_sender_flush(s, 0);
	sender_release(s, 1);
}
