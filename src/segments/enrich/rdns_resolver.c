/*
 * reversedns's background thread (rdns.h): takes queued misses, asks for their PTR records with
 * c-ares (at most `maxinflight` on the wire), reads each answer with net/dnsptr.h into its slot
 * and hands the slot to process() through the `done` ring; process() writes it into the cache
 * (rdns_apply_done) and gives the slot back through `freed`. The thread waits in poll() on
 * c-ares's sockets and an eventfd that process() writes when it queued a miss or gave slots
 * back while the thread slept, at most 100 ms at a time so that it sees the pipeline stopping.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/hostport.h"
#include "rdns.h"

#define RDNS_SERVERS_MAX 8

struct rdns_req {
	struct rdns *r;
	uint32_t idx;
	struct rdns_key key;
	int outcome; /* RQ_*, or -1: cancelled */
	uint32_t ttl;
	char qname[OFD_DNS_QNAME_MAX];
	char name[OFD_DNS_NAME_MAX];
};

/*
 * `resolver`: a comma-separated list of numeric addresses, each "ADDR", "ADDR:PORT",
 * "IPV6" or "[IPV6]:PORT" (port 53 when none), into nodes; the count, or OFD_ECONFIG.
 */
static int parse_servers(const char *spec, struct ares_addr_port_node *nodes, char *err, size_t errlen)
{
	int n = 0;
	const char *p = spec;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[OFD_HOSTPORT_STRLEN + 1];
		if (len == 0 || len >= sizeof(item)) {
			snprintf(err, errlen, "key resolver: an empty or overlong address in \"%s\"", spec);
			return OFD_ECONFIG;
		}
		if (n == RDNS_SERVERS_MAX) {
			snprintf(err, errlen, "key resolver: at most %d addresses", RDNS_SERVERS_MAX);
			return OFD_ECONFIG;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		struct ares_addr_port_node *a = &nodes[n];
		memset(a, 0, sizeof(*a));
		struct in_addr v4;
		struct in6_addr v6;
		struct sockaddr_storage ss;
		int dual;
		if (inet_pton(AF_INET, item, &v4) == 1) {
			a->family = AF_INET;
			a->addr.addr4 = v4;
			a->udp_port = a->tcp_port = 53;
		} else if (inet_pton(AF_INET6, item, &v6) == 1) {
			a->family = AF_INET6;
			memcpy(&a->addr.addr6, &v6, sizeof(v6));
			a->udp_port = a->tcp_port = 53;
		} else if (item[0] != ':' && ofd_hostport_parse(item, &ss, &dual) == 0 && !dual) {
			if (ss.ss_family == AF_INET) {
				const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
				a->family = AF_INET;
				a->addr.addr4 = s4->sin_addr;
				a->udp_port = a->tcp_port = ntohs(s4->sin_port);
			} else {
				const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
				a->family = AF_INET6;
				memcpy(&a->addr.addr6, &s6->sin6_addr, sizeof(s6->sin6_addr));
				a->udp_port = a->tcp_port = ntohs(s6->sin6_port);
			}
			if (a->udp_port == 0) {
				snprintf(err, errlen, "key resolver: \"%s\": port 0", item);
				return OFD_ECONFIG;
			}
		} else {
			snprintf(err, errlen,
				 "key resolver: \"%s\" is not a numeric address (expected ADDR, ADDR:PORT, "
				 "IPV6 or "
				 "[IPV6]:PORT, comma-separated)",
				 item);
			return OFD_ECONFIG;
		}
		if (n)
			nodes[n - 1].next = a;
		n++;
		p += len;
		if (*p == ',') {
			p++;
			if (!*p) {
				snprintf(err, errlen, "key resolver: a comma at the end of \"%s\"", spec);
				return OFD_ECONFIG;
			}
		}
	}
	return n;
}

int rdns_resolver_check(const char *spec, char *err, size_t errlen)
{
	struct ares_addr_port_node nodes[RDNS_SERVERS_MAX];
	if (!spec || !*spec)
		return 0;
	int n = parse_servers(spec, nodes, err, errlen);
	return n < 0 ? n : 0;
}

int rdns_resolver_init(struct rdns *r, char *err, size_t errlen)
{
	int rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return OFD_ECONFIG;
	}
	r->ares_lib = 1;
	struct ares_options o;
	memset(&o, 0, sizeof(o));
	o.timeout = (int)(r->timeout_ns / 1000000u);
	o.tries = (int)r->tries;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	ares_channel ch;
	rc = ares_init_options(&ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: cannot set up the resolver (/etc/resolv.conf): %s",
			 ares_strerror(rc));
		return OFD_ECONFIG;
	}
	r->channel = ch;
	if (r->resolver && *r->resolver) {
		struct ares_addr_port_node nodes[RDNS_SERVERS_MAX];
		int n = parse_servers(r->resolver, nodes, err, errlen);
		if (n < 0)
			return n;
		rc = ares_set_servers_ports(ch, &nodes[0]);
		if (rc != ARES_SUCCESS) {
			snprintf(err, errlen, "c-ares: resolver %s: %s", r->resolver, ares_strerror(rc));
			return OFD_ECONFIG;
		}
	}
	r->reqs = calloc(r->maxinflight, sizeof(*r->reqs));
	r->free_slots = calloc(r->maxinflight, sizeof(*r->free_slots));
	if (!r->reqs || !r->free_slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < r->maxinflight; i++) {
		r->reqs[i].r = r;
		r->reqs[i].idx = i;
		r->free_slots[r->nfree++] = i;
	}
	r->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->evfd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void rdns_resolver_fini(struct rdns *r)
{
	if (r->channel)
		ares_destroy(r->channel); /* the thread has been joined: callbacks only cancel */
	r->channel = NULL;
	if (r->ares_lib)
		ares_library_cleanup();
	r->ares_lib = 0;
	if (r->evfd >= 0)
		close(r->evfd);
	r->evfd = -1;
	free(r->reqs);
	r->reqs = NULL;
	free(r->free_slots);
	r->free_slots = NULL;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rdns_req *q = arg;
	struct rdns *r = q->r;
	(void)timeouts;
	switch (status) {
	case ARES_SUCCESS:
		switch (ofd_dns_ptr_answer(abuf, alen > 0 ? (size_t)alen : 0, q->qname, q->name, &q->ttl)) {
		case OFD_DNS_PTR_FOUND: q->outcome = RQ_ANSWER; break;
		case OFD_DNS_PTR_NODATA: q->outcome = RQ_NODATA; break;
		case OFD_DNS_PTR_BADNAME:
			q->outcome = RQ_BADNAME;
			ofd_log_rl(
			    &r->rl_bad, OFD_LOG_WARN,
			    "segment %s: the PTR answer for %s is not a host name (counted as badname)",
			    ofd_segment_name(r->seg), q->qname);
			break;
		default:
			q->outcome = RQ_ERROR;
			ofd_log_rl(&r->rl_err, OFD_LOG_WARN, "segment %s: a malformed answer for %s",
				   ofd_segment_name(r->seg), q->qname);
			break;
		}
		break;
	case ARES_ENOTFOUND: q->outcome = RQ_NXDOMAIN; break;
	case ARES_ENODATA: q->outcome = RQ_NODATA; break;
	case ARES_ETIMEOUT: q->outcome = RQ_TIMEOUT; break;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION: q->outcome = -1; break;
	default:
		q->outcome = RQ_ERROR;
		ofd_log_rl(&r->rl_err, OFD_LOG_WARN, "segment %s: query %s: %s", ofd_segment_name(r->seg),
			   q->qname, ares_strerror(status));
		break;
	}
	if (q->outcome < 0) {
		r->free_slots[r->nfree++] = q->idx; /* cancelled: stopping */
		return;
	}
	if (q->outcome == RQ_TIMEOUT)
		ofd_segment_count(r->seg, RC_TIMEOUTS, 1);
	else if (q->outcome == RQ_ERROR)
		ofd_segment_count(r->seg, RC_ERRORS, 1);
	else if (q->outcome == RQ_BADNAME)
		ofd_segment_count(r->seg, RC_BADNAME, 1);
	atomic_fetch_add_explicit(&r->queries[q->outcome], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&r->inflight, 1, memory_order_relaxed);
	/* never full: it has room for every slot */
	if (rdns_ring_push(&r->done, &q->idx))
		abort();
}

/* Clamp an answer's TTL; with `cache`, refresh at least every refreshinterval. */
static uint32_t fresh_for(const struct rdns *r, uint32_t ttl)
{
	uint32_t t = ttl < r->minttl_s ? r->minttl_s : ttl > r->maxttl_s ? r->maxttl_s : ttl;
	if (r->cache && t > r->refresh_s)
		t = r->refresh_s;
	return t;
}

unsigned rdns_apply_done(struct rdns *r, uint32_t now, unsigned *evicted)
{
	uint32_t idx;
	unsigned n = 0;
	while (rdns_ring_pop(&r->done, &idx) == 0) {
		struct rdns_req *q = &r->reqs[idx];
		n++;
		uint64_t h = rdns_hash(&r->c, q->key.k0, q->key.k1);
		struct rdns_entry *e = rdns_find(&r->c, h, q->key.k0, q->key.k1);
		if (!e) {
			int ev;
			e = rdns_take(&r->c, h, q->key.k0, q->key.k1, &ev);
			*evicted += (unsigned)ev;
			e->used = now;
		}
		e->flags = 0;
		e->memo = 0;
		if (q->outcome == RQ_ANSWER) {
			rdns_set_name(&r->c, e, q->name, strlen(q->name));
			e->state = RDNS_POS;
			e->fresh = now + fresh_for(r, q->ttl);
		} else if (e->state == RDNS_POS && (q->outcome == RQ_TIMEOUT || q->outcome == RQ_ERROR)) {
			/* a refresh that failed: keep the name, ask again after negativettl */
			e->fresh = now + r->negttl_s;
		} else {
			e->state = RDNS_NEG;
			e->namelen = 0;
			e->fresh = now + r->negttl_s;
		}
		if (rdns_ring_push(&r->freed, &idx)) /* never full: room for every slot */
			abort();
	}
	return n;
}

/* Take back freed slots, then queued misses while there are free slots, and ask. */
static void start_queries(struct rdns *r)
{
	uint32_t idx;
	while (rdns_ring_pop(&r->freed, &idx) == 0)
		r->free_slots[r->nfree++] = idx;
	unsigned n = 0;
	struct rdns_key k;
	while (r->nfree && rdns_ring_pop(&r->misses, &k) == 0) {
		struct rdns_req *q = &r->reqs[r->free_slots[--r->nfree]];
		q->key = k;
		struct ofd_ip a;
		memcpy(a.b, &k.k0, 8);
		memcpy(a.b + 8, &k.k1, 8);
		ofd_dns_ptr_qname(&a, q->qname);
		q->outcome = -1;
		n++;
		unsigned inflight = atomic_fetch_add_explicit(&r->inflight, 1, memory_order_relaxed) + 1;
		if (inflight > atomic_load_explicit(&r->inflight_peak, memory_order_relaxed))
			atomic_store_explicit(&r->inflight_peak, inflight, memory_order_relaxed);
		/* may call on_answer at once (a closed channel) */
		ares_query(r->channel, q->qname, 1 /* IN */, 12 /* PTR */, on_answer, q);
	}
	if (n)
		atomic_fetch_add_explicit(&r->sent, n, memory_order_relaxed);
}

void rdns_resolver_thread(struct ofd_segment *seg, void *arg)
{
	struct rdns *r = arg;
	ares_channel ch = r->channel;
	while (!ofd_segment_thread_stopping(seg)) {
		start_queries(r);
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		/* c-ares's ARES_GETSOCK_WRITABLE shifts an int by up to 31: read the bits unsigned */
		unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		struct pollfd pfd[ARES_GETSOCK_MAXNUM + 1];
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){.fd = r->evfd, .events = POLLIN};
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (short)((bits >> i & 1u ? POLLIN : 0) |
					   (bits >> (i + ARES_GETSOCK_MAXNUM) & 1u ? POLLOUT : 0));
			if (ev)
				pfd[n++] = (struct pollfd){.fd = socks[i], .events = ev};
		}
		struct timeval maxtv = {0, 100000}, tv;
		struct timeval *tvp = ares_timeout(ch, &maxtv, &tv);
		int ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
		atomic_store(&r->sleeping, 1);
		atomic_thread_fence(memory_order_seq_cst); /* pairs with wake() in reversedns.c */
		if ((r->nfree && rdns_ring_len(&r->misses)) || rdns_ring_len(&r->freed))
			ms = 0; /* process() queued more, or gave slots back, while we were busy */
		int rc = poll(pfd, n, ms);
		atomic_store(&r->sleeping, 0);
		if (rc > 0 && pfd[0].revents) {
			uint64_t v;
			if (read(r->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				ofd_seg_log(seg, OFD_LOG_DEBUG, "eventfd: %s", strerror(errno));
		}
		for (nfds_t i = 1; rc > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			ares_socket_t rd =
			    pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD;
			ares_socket_t wr = pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD;
			ares_process_fd(ch, rd, wr);
		}
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
	}
	ares_cancel(ch);
}
