/*
 * Tracer delivery (contracts in send.h).
 *
 * Admission and queueing are in admit.c: ofd_sender_queue() copies a signed tracer into a
 * preallocated slot of a ring (queue_max slots of OFD_TRACER_MAX bytes: nothing is allocated
 * after ofd_sender_new).
 * The sender thread takes the head slot, sends UDP at once (non-blocking sendto) and hands
 * HTTP(S) attempts to a fixed pool of max_inflight curl easy handles driven by one curl multi
 * handle; when the pool is busy the head slot waits, and the queue fills up behind it. The head
 * slot is read without the mutex: queueing only writes the slot at head + count, and count only
 * shrinks once the thread is done with the head.
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
    [OFD_SD_RESERVED] = "reserved",	 [OFD_SD_DENIED] = "denied", [OFD_SD_DUPLICATE] = "duplicate",
    [OFD_SD_ADDR_RATE] = "address_rate", [OFD_SD_RATE] = "rate",     [OFD_SD_QUEUE_FULL] = "queue_full",
    [OFD_SD_TOO_LARGE] = "too_large",	 [OFD_SD_ERROR] = "error",
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

/* Add to a counter of s->st from the sender thread. */
static void stat_add(struct ofd_sender *s, uint64_t *c, uint64_t n)
{
	pthread_mutex_lock(&s->mu);
	*c += n;
	pthread_mutex_unlock(&s->mu);
}

/* ---- addresses ---- */

static socklen_t ip_sockaddr(const struct ofd_ip *ip, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ofd_ip_is_v4mapped(ip)) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, ip->b + 12, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, ip->b, 16);
	return sizeof(*in6);
}

/* "ADDR" or "[ADDR]" for IPv6, into buf (OFD_IP_STRLEN + 2 bytes). */
static void ip_host(const struct ofd_ip *ip, char *buf)
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

static const uint8_t *recipient_key(const struct ofd_sender *s, const struct ofd_ip *a)
{
	int best = -1;
	const uint8_t *key = NULL;
	for (size_t i = 0; i < s->cfg.nrecipients; i++) {
		if ((int)s->recip[i].prefix.len > best && ofd_prefix_match(&s->recip[i].prefix, a)) {
			best = s->recip[i].prefix.len;
			key = s->recip[i].key;
		}
	}
	return key;
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
		ip_host(&r->addr, addr);
		snprintf(entry, sizeof(entry), "%s:%u:%s", u.host, r->port, addr);
		if (!(r->resolve = curl_slist_append(NULL, entry)))
			return -ENOMEM;
	}
	return 0;
}

/* ---- attempts: (destination, method) pairs of a slot, in order ---- */

static uint32_t slot_attempts(const struct ofd_sender *s, const struct slot *q)
{
	return s->nrelays ? (uint32_t)s->nrelays : (uint32_t)q->d.ndest * K__COUNT;
}

/* Whether attempt i of slot q is to be made; its destination index, kind and address. */
static int slot_attempt(const struct ofd_sender *s, const struct slot *q, uint32_t i, int *dest, int *kind,
			const struct ofd_ip **addr)
{
	if (s->nrelays) {
		if (!(q->d.relays & (UINT64_C(1) << i)))
			return 0;
		*dest = (int)i;
		*kind = s->relay[i].kind;
		*addr = &s->relay[i].addr;
		return 1;
	}
	*dest = (int)(i / K__COUNT);
	*kind = (int)(i % K__COUNT);
	*addr = &q->d.dest[*dest];
	return (s->cfg.methods & (OFD_SEND_UDP << *kind)) != 0;
}

static uint64_t slot_remaining(const struct ofd_sender *s, const struct slot *q, uint32_t from)
{
	uint64_t n = 0;
	int dest, kind;
	const struct ofd_ip *addr;
	for (uint32_t i = from; i < slot_attempts(s, q); i++)
		n += (uint64_t)slot_attempt(s, q, i, &dest, &kind, &addr);
	return n;
}

/* ---- sending (sender thread) ---- */

static void udp_send(struct ofd_sender *s, int dest, const struct ofd_ip *addr, const char *body, size_t len)
{
	enum ofd_send_drop fail = OFD_SD_ERROR;
	if (len >= OFD_TRACER_UDP_MAX) {
		fail = OFD_SD_TOO_LARGE;
		goto failed;
	}
	struct sockaddr_storage ss;
	uint16_t port = s->nrelays ? s->relay[dest].port : s->cfg.udp_port;
	socklen_t sl = ip_sockaddr(addr, port, &ss);
	int fd = ss.ss_family == AF_INET ? s->fd4 : s->fd6;
	if (fd < 0)
		goto failed;
	ssize_t n = sendto(fd, body, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
	if (n != (ssize_t)len) {
		char a[OFD_IP_STRLEN];
		ofd_ip_str(addr, a);
		ofd_log_rl(&s->rl, OFD_LOG_DEBUG, "tracer to udp %s:%u: %s", a, port, strerror(errno));
		goto failed;
	}
	stat_add(s, &s->st.sent_udp, 1);
	return;
failed:
	stat_add(s, &s->st.not_sent[fail], 1);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static struct xfer *xfer_free(struct ofd_sender *s)
{
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++)
		if (!s->xfer[i].busy)
			return &s->xfer[i];
	return NULL;
}

/* Start a POST on x; 0, or an error (counted by the caller). */
static int http_start(struct ofd_sender *s, struct xfer *x, int dest, int kind, const struct ofd_ip *addr,
		      const char *body, size_t len)
{
	CURL *e = x->easy;
	const struct relay *r = s->nrelays ? &s->relay[dest] : NULL;
	memcpy(x->body, body, len);
	x->kind = kind;
	curl_easy_reset(e);
	if (r) {
		curl_easy_setopt(e, CURLOPT_URL, r->url);
		if (r->resolve)
			curl_easy_setopt(e, CURLOPT_RESOLVE, r->resolve);
	} else {
		char host[OFD_IP_STRLEN + 2];
		ip_host(addr, host);
		snprintf(x->url, sizeof(x->url), "%s://%s:%u" WELL_KNOWN, kind == K_HTTPS ? "https" : "http",
			 host, kind == K_HTTPS ? s->cfg.https_port : s->cfg.http_port);
		curl_easy_setopt(e, CURLOPT_URL, x->url);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L); /* flow ends are rarely asked twice */
	}
	long verify = r && r->named ? 1L : 0L; /* see send.h: bare addresses have nothing to verify */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)x);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->cfg.total_timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* no environment proxies */
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "overflowd");
	if (curl_multi_add_handle(s->multi, e) != CURLM_OK)
		return OFD_ELIMIT;
	x->busy = 1;
	pthread_mutex_lock(&s->mu);
	s->inflight++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/*
 * Seal *body for attempts to dest (once per destination and form: `form` tells the UDP form from
 * the other); the sealed body to send in *body, *len.
 */
static int seal_for(struct ofd_sender *s, int dest, int form, const uint8_t *key, const char **body,
		    size_t *len)
{
	if (s->sealed_dest != 2 * dest + form) {
		int n = ofd_tracer_seal(s->sealbuf, sizeof(s->sealbuf), *body, *len, key);
		if (n < 0)
			return n;
		s->sealed_dest = 2 * dest + form;
		s->seal_len = (size_t)n;
		stat_add(s, &s->st.sealed, 1);
	}
	*body = s->sealbuf;
	*len = s->seal_len;
	return 0;
}

/* Make attempt i of the head slot: 0 when done (sent, started or counted), 1 when no handle is free. */
static int attempt(struct ofd_sender *s, const struct slot *q, uint32_t i)
{
	int dest, kind;
	const struct ofd_ip *addr;
	if (!slot_attempt(s, q, i, &dest, &kind, &addr))
		return 0;
	struct xfer *x = NULL;
	if (kind != K_UDP && !(x = xfer_free(s)))
		return 1;
	int udp_form = kind == K_UDP && q->udp_len;
	const char *body = udp_form ? q->udp : q->data;
	size_t len = udp_form ? q->udp_len : q->len;
	const uint8_t *key = recipient_key(s, addr);
	if (key && seal_for(s, dest, udp_form, key, &body, &len) != 0) {
		stat_add(s, &s->st.not_sent[OFD_SD_ERROR], 1);
		return 0;
	}
	if (kind == K_UDP)
		udp_send(s, dest, addr, body, len);
	else if (http_start(s, x, dest, kind, addr, body, len) != 0)
		stat_add(s, &s->st.not_sent[OFD_SD_ERROR], 1);
	return 0;
}

/* Collect finished transfers; how many finished. */
static int reap(struct ofd_sender *s)
{
	CURLMsg *m;
	int left, done = 0;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct xfer *x = NULL;
		long status = 0;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(s->multi, e);
		int ok = rc == CURLE_OK && status >= 200 && status < 300;
		if (!ok)
			ofd_log_rl(&s->rl, OFD_LOG_DEBUG, "tracer POST: %s, status %ld",
				   curl_easy_strerror(rc), status);
		x->busy = 0;
		done++;
		pthread_mutex_lock(&s->mu);
		s->inflight--;
		if (!ok)
			s->st.not_sent[OFD_SD_ERROR]++;
		else if (x->kind == K_HTTPS)
			s->st.sent_https++;
		else
			s->st.sent_http++;
		pthread_mutex_unlock(&s->mu);
	}
	return done;
}

static void *sender_main(void *arg)
{
	struct ofd_sender *s = arg;
	for (;;) {
		const struct slot *q = NULL;
		pthread_mutex_lock(&s->mu);
		int stop = s->stop;
		if (s->count)
			q = &s->slots[s->head];
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		int blocked = 0;
		if (q) {
			while (s->cursor < slot_attempts(s, q) && !(blocked = attempt(s, q, s->cursor)))
				s->cursor++;
			if (!blocked) {
				s->cursor = 0;
				s->sealed_dest = -1;
				pthread_mutex_lock(&s->mu);
				s->head = (s->head + 1) % s->cfg.queue_max;
				s->count--;
				pthread_mutex_unlock(&s->mu);
			}
		}
		int running;
		curl_multi_perform(s->multi, &running);
		int freed = reap(s);
		pthread_mutex_lock(&s->mu);
		if (s->count == 0 && s->inflight == 0)
			pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->mu);
		if (!q || (blocked && !freed))
			curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
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
	c->max_inflight = c->max_inflight ? c->max_inflight : 32;
	c->connect_timeout_ms = c->connect_timeout_ms ? c->connect_timeout_ms : 2000;
	c->total_timeout_ms = c->total_timeout_ms ? c->total_timeout_ms : 5000;
	c->addr_table = c->addr_table ? c->addr_table : 4096;
	c->dedup_table = c->dedup_table ? c->dedup_table : 16384;
	if (c->methods & ~(unsigned)(OFD_SEND_UDP | OFD_SEND_HTTP | OFD_SEND_HTTPS) ||
	    c->queue_max > QUEUE_LIMIT || c->max_inflight > INFLIGHT_LIMIT) {
		snprintf(err, errlen,
			 "sender: methods, queue size (max %u) or concurrency (max %u) out of range",
			 QUEUE_LIMIT, INFLIGHT_LIMIT);
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
	s->xfer = calloc(s->cfg.max_inflight, sizeof(*s->xfer));
	s->slots = calloc(s->cfg.queue_max, sizeof(*s->slots));
	if (!s->multi || !h || !s->xfer || !s->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->cfg.max_inflight; i++)
		if (!(s->xfer[i].easy = curl_easy_init()))
			return -ENOMEM;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&s->idle, &ca);
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
	free(s->slots);
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
	s->sealed_dest = -1;
	s->cfg = *cfg;
	if ((rc = cfg_apply(&s->cfg, err, errlen)) != 0 || (rc = copy_lists(s, cfg)) != 0 ||
	    (rc = relays_setup(s, cfg->relays, err, errlen)) != 0 || (rc = limits_setup(s)) != 0 ||
	    (rc = io_setup(s)) != 0)
		goto fail;
	locks = 1;
	if ((rc = -pthread_create(&s->thread, NULL, sender_main, s)) != 0)
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
	pthread_mutex_lock(&s->mu);
	for (uint32_t i = 0; i < s->count; i++) {
		const struct slot *q = &s->slots[(s->head + i) % s->cfg.queue_max];
		left += slot_remaining(s, q, i == 0 ? s->cursor : 0);
	}
	s->count = 0;
	s->inflight = 0;
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
	while (s->count || s->inflight)
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
