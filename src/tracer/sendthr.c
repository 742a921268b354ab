/*
 * The sender thread (contracts in send.h, the data in send_int.h).
 *
 * It takes the queue's head tracer and makes its attempts: UDP at once (non-blocking sendto),
 * HTTP(S) into the per-destination queues of the sendq (skipped when the host is remembered as
 * not answering). Then it starts transfers from the sendq, round robin over destinations, on a
 * fixed pool of max_inflight curl easy handles driven by one curl multi handle, and collects
 * the finished ones: an answer forgets the host, a failure without one remembers it (hostmem.h)
 * and drops its waiting attempts of that method. A slot is read without the mutex: queueing
 * only writes free slots, and a slot is freed only by this thread.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "ofd/log.h"
#include "ofd/time.h"
#include "tracer/send_int.h"

void ofd_sender_stat_add(struct ofd_sender *s, uint64_t *c, uint64_t n)
{
	pthread_mutex_lock(&s->mu);
	*c += n;
	pthread_mutex_unlock(&s->mu);
}

static void count(struct ofd_sender *s, enum ofd_send_drop why)
{
	ofd_sender_stat_add(s, &s->st.not_sent[why], 1);
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

/* ---- attempts: (destination, method) pairs of a slot, in order ---- */

static uint32_t slot_nattempts(const struct ofd_sender *s, const struct slot *q)
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

uint64_t ofd_sender_slot_attempts(const struct ofd_sender *s, const struct slot *q)
{
	uint64_t n = 0;
	int dest, kind;
	const struct ofd_ip *addr;
	for (uint32_t i = 0; i < slot_nattempts(s, q); i++)
		n += (uint64_t)slot_attempt(s, q, i, &dest, &kind, &addr);
	return n;
}

static void slot_unref(struct ofd_sender *s, uint32_t si)
{
	if (--s->slots[si].refs == 0)
		ofd_sender_slot_release(s, si);
}

/*
 * The body of an attempt of slot q to dest in `form` (1: the UDP form), sealed into buf when the
 * address has a recipient key (counted once per destination and form). 0, or an error.
 */
static int body_for(struct ofd_sender *s, struct slot *q, int dest, int form, const struct ofd_ip *addr,
		    char *buf, size_t cap, const char **body, size_t *len)
{
	*body = form ? q->udp : q->data;
	*len = form ? q->udp_len : q->len;
	const uint8_t *key = recipient_key(s, addr);
	if (!key)
		return 0;
	int n = ofd_tracer_seal(buf, cap, *body, *len, key);
	if (n < 0)
		return n;
	uint64_t bit = UINT64_C(1) << (2 * dest + form);
	if (!(q->sealed & bit)) {
		q->sealed |= bit;
		ofd_sender_stat_add(s, &s->st.sealed, 1);
	}
	*body = buf;
	*len = (size_t)n;
	return 0;
}

/* ---- UDP ---- */

static void udp_send(struct ofd_sender *s, struct slot *q, int dest, const struct ofd_ip *addr)
{
	const char *body;
	size_t len;
	if (body_for(s, q, dest, q->udp_len != 0, addr, s->sealbuf, sizeof(s->sealbuf), &body, &len) != 0) {
		count(s, OFD_SD_ERROR);
		return;
	}
	if (len >= OFD_TRACER_UDP_MAX) {
		count(s, OFD_SD_TOO_LARGE);
		return;
	}
	struct sockaddr_storage ss;
	uint16_t port = s->nrelays ? s->relay[dest].port : s->cfg.udp_port;
	socklen_t sl = ip_sockaddr(addr, port, &ss);
	int fd = ss.ss_family == AF_INET ? s->fd4 : s->fd6;
	ssize_t n =
	    fd < 0 ? -1 : sendto(fd, body, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
	if (n != (ssize_t)len) {
		char a[OFD_IP_STRLEN];
		ofd_ip_str(addr, a);
		ofd_log_rl(&s->rl, OFD_LOG_DEBUG, "tracer to udp %s:%u: %s", a, port,
			   fd < 0 ? "no socket" : strerror(errno));
		count(s, OFD_SD_ERROR);
		return;
	}
	ofd_sender_stat_add(s, &s->st.sent_udp, 1);
}

/* ---- HTTP(S): the per-destination queues ---- */

static uint16_t http_port(const struct ofd_sender *s, int kind)
{
	return kind == K_HTTPS ? s->cfg.https_port : s->cfg.http_port;
}

/* Queue an HTTP(S) attempt of slot si (or count why not). */
static void http_queue(struct ofd_sender *s, uint32_t si, int dest, int kind, const struct ofd_ip *addr,
		       uint64_t now_ns)
{
	if (s->unreach && ofd_hostmem_skip(s->unreach, addr, http_port(s, kind), now_ns)) {
		count(s, OFD_SD_UNREACHABLE);
		return;
	}
	struct ofd_sendq_key k = {.addr = *addr, .relay = s->nrelays ? (uint8_t)(dest + 1) : 0};
	struct ofd_sendq_job j = {.slot = si, .kind = (uint8_t)kind, .dest = (uint8_t)dest};
	int rc = s->nrelays ? ofd_sendq_push(s->q, &k, &j, s->cfg.relay_inflight, s->cfg.http_queue)
			    : ofd_sendq_push(s->q, &k, &j, s->cfg.dest_inflight, s->cfg.dest_queue);
	if (rc == OFD_SENDQ_DEST_FULL || rc == OFD_SENDQ_FULL) {
		count(s, rc == OFD_SENDQ_FULL ? OFD_SD_HTTP_FULL : OFD_SD_DEST_FULL);
		return;
	}
	s->slots[si].refs++;
	pthread_mutex_lock(&s->mu);
	s->jobs++;
	pthread_mutex_unlock(&s->mu);
}

/* Every attempt of slot si: UDP now, HTTP(S) queued. */
static void take(struct ofd_sender *s, uint32_t si, uint64_t now_ns)
{
	struct slot *q = &s->slots[si];
	int dest, kind;
	const struct ofd_ip *addr;
	q->refs = 1; /* held while its attempts are made */
	for (uint32_t i = 0; i < slot_nattempts(s, q); i++) {
		if (!slot_attempt(s, q, i, &dest, &kind, &addr))
			continue;
		if (kind == K_UDP)
			udp_send(s, q, dest, addr);
		else
			http_queue(s, si, dest, kind, addr, now_ns);
	}
	slot_unref(s, si);
}

/* A job is over (sent, failed, dropped or never started): its slot, its transfer, the count. */
static void job_end(struct ofd_sender *s, uint32_t slot)
{
	slot_unref(s, slot);
	pthread_mutex_lock(&s->mu);
	s->jobs--;
	pthread_mutex_unlock(&s->mu);
}

/* ---- HTTP(S): transfers ---- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* Start the POST of x->body (len bytes) to x->j's destination; 0, or an error. */
static int http_start(struct ofd_sender *s, struct xfer *x, const struct ofd_ip *addr, size_t len)
{
	CURL *e = x->easy;
	const struct relay *r = s->nrelays ? &s->relay[x->j.dest] : NULL;
	curl_easy_reset(e);
	if (r) {
		curl_easy_setopt(e, CURLOPT_URL, r->url);
		if (r->resolve)
			curl_easy_setopt(e, CURLOPT_RESOLVE, r->resolve);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg.connect_timeout_ms);
	} else {
		char host[OFD_IP_STRLEN + 2];
		ofd_sender_ip_host(addr, host);
		snprintf(x->url, sizeof(x->url), "%s://%s:%u" WELL_KNOWN,
			 x->kind == K_HTTPS ? "https" : "http", host, http_port(s, x->kind));
		curl_easy_setopt(e, CURLOPT_URL, x->url);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L); /* flow ends are rarely asked twice */
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg.end_connect_timeout_ms);
	}
	long verify = r && r->named ? 1L : 0L; /* see send.h: bare addresses have nothing to verify */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)x);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->cfg.total_timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* no environment proxies */
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "overflowd");
	if (curl_multi_add_handle(s->multi, e) != CURLM_OK)
		return OFD_ELIMIT;
	x->busy = 1;
	return 0;
}

static void xfer_put(struct ofd_sender *s, struct xfer *x)
{
	x->busy = 0;
	s->xfree[s->nxfree++] = (uint32_t)(x - s->xfer);
}

/* Start transfers while one is free and a destination has its turn. */
static void start_some(struct ofd_sender *s)
{
	while (s->nxfree) {
		struct xfer *x = &s->xfer[s->xfree[s->nxfree - 1]];
		int64_t id = ofd_sendq_next(s->q, &x->j);
		if (id < 0)
			return;
		s->nxfree--;
		x->job = (uint32_t)id;
		x->kind = x->j.kind;
		struct slot *q = &s->slots[x->j.slot];
		const struct ofd_ip *addr = s->nrelays ? &s->relay[x->j.dest].addr : &q->d.dest[x->j.dest];
		const char *body;
		size_t len;
		if (body_for(s, q, x->j.dest, 0, addr, x->body, sizeof(x->body), &body, &len) == 0) {
			if (body != x->body)
				memcpy(x->body, body, len);
			if (http_start(s, x, addr, len) == 0)
				continue;
		}
		count(s, OFD_SD_ERROR);
		ofd_sendq_done(s->q, x->job);
		job_end(s, x->j.slot);
		xfer_put(s, x);
	}
}

/* Whether a failed transfer got no answer at all (the host is then remembered). */
static int no_answer(CURLcode rc, long status)
{
	if (status > 0)
		return 0;
	switch (rc) {
	case CURLE_COULDNT_CONNECT: /* refused, unreachable, connect timeout */
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR: /* reset */
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING: return 1;
	default: return 0;
	}
}

static void drop_job(void *ctx, const struct ofd_sendq_job *j)
{
	struct ofd_sender *s = ctx;
	count(s, OFD_SD_UNREACHABLE);
	job_end(s, j->slot);
}

/* The outcome of transfer x for the host table: remember a silent host and drop what waits. */
static void judge(struct ofd_sender *s, struct xfer *x, CURLcode rc, long status, uint64_t now_ns)
{
	if (!s->unreach)
		return;
	const struct ofd_ip *addr = &s->slots[x->j.slot].d.dest[x->j.dest];
	uint16_t port = http_port(s, x->kind);
	if (!no_answer(rc, status)) {
		if (status > 0)
			ofd_hostmem_answered(s->unreach, addr, port);
	} else {
		uint32_t secs = ofd_hostmem_failed(s->unreach, addr, port, now_ns);
		uint32_t n = ofd_sendq_drop(s->q, x->job, (uint8_t)x->kind, drop_job, s);
		char a[OFD_IP_STRLEN];
		ofd_ip_str(addr, a);
		ofd_log_rl(&s->rl, OFD_LOG_DEBUG,
			   "tracer POST to %s port %u: no answer (%s), skipped for %u s, %u waiting dropped",
			   a, port, curl_easy_strerror(rc), secs, n);
	}
	pthread_mutex_lock(&s->mu);
	s->st.unreachable_hosts = ofd_hostmem_used(s->unreach);
	pthread_mutex_unlock(&s->mu);
}

/* Collect finished transfers; how many finished. */
static int reap(struct ofd_sender *s, uint64_t now_ns)
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
		judge(s, x, rc, status, now_ns);
		ofd_sender_stat_add(s,
				    ok ? (x->kind == K_HTTPS ? &s->st.sent_https : &s->st.sent_http)
				       : &s->st.not_sent[OFD_SD_ERROR],
				    1);
		ofd_sendq_done(s->q, x->job);
		job_end(s, x->j.slot);
		xfer_put(s, x);
		done++;
	}
	return done;
}

/* Take the queue's tracers one by one (the head stays counted until its attempts are made, so
   that a flush waits for them); how many. */
static int take_all(struct ofd_sender *s, uint64_t now_ns)
{
	int n = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		int more = s->count && !s->stop;
		uint32_t si = more ? s->ring[s->head] : 0;
		pthread_mutex_unlock(&s->mu);
		if (!more)
			return n;
		take(s, si, now_ns);
		pthread_mutex_lock(&s->mu);
		s->head = (s->head + 1) % s->cfg.queue_max;
		s->count--;
		pthread_mutex_unlock(&s->mu);
		n++;
	}
}

void *ofd_sender_main(void *arg)
{
	struct ofd_sender *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		int stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		int took = take_all(s, ofd_time_mono_ns());
		start_some(s);
		int running;
		curl_multi_perform(s->multi, &running);
		int freed = reap(s, ofd_time_mono_ns());
		if (freed)
			start_some(s);
		pthread_mutex_lock(&s->mu);
		if (s->count == 0 && s->jobs == 0)
			pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->mu);
		if (!took && !freed)
			curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}
