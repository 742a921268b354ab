/*
 * The snmp segment's poller: the one thread of an instance that calls net-snmp. It takes the
 * queued requests, groups them by agent (up to SNMP_PER_PDU interfaces, three varbinds each, in
 * one SNMPv2c GET), keeps at most `connlimit` agents asked at once (one session, i.e. one UDP
 * socket, per agent being asked), waits for answers and timeouts in select() together with the
 * wake-up eventfd, and publishes what it learned into the shared cache under its lock.
 *
 * net-snmp is set up without init_snmp(): no configuration files (none from $HOME), no MIBs
 * (the OIDs are numeric), no persistent state, its logging off; only the transports are
 * registered, while any poller runs (the last one out unregisters them). Its single-session
 * API keeps state per session, but parts of the library are process-wide, so every net-snmp
 * call of every instance is made under one global mutex (never held across the wait).
 *
 * An answer is checked before use: the error status here, the varbinds in snmp_pdu.c; the
 * description then goes through the regex. An agent that does not answer (timeout, or a wrong
 * community: agents drop those silently) is left alone for `backoff`: its queued requests are
 * dropped and counted (agent_down).
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ofd/time.h"
#include "segments/enrich/snmp_int.h"

static pthread_mutex_t netsnmp_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned netsnmp_users; /* pollers running: the transports are registered while any is */

static void netsnmp_setup(void)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
	snmp_disable_log();
	netsnmp_tdomain_init();
}

static void netsnmp_acquire(void)
{
	pthread_mutex_lock(&netsnmp_mu);
	if (netsnmp_users++ == 0)
		netsnmp_setup();
	pthread_mutex_unlock(&netsnmp_mu);
}

/* The last poller out unregisters the transports (what netsnmp_tdomain_init allocated). */
static void netsnmp_release(void)
{
	pthread_mutex_lock(&netsnmp_mu);
	if (--netsnmp_users == 0)
		netsnmp_clear_tdomain_list();
	pthread_mutex_unlock(&netsnmp_mu);
}

struct query {
	struct poller *p;
	void *sess;   /* NULL: the slot is free */
	int building; /* being filled in this pass */
	int done;     /* answered or given up: close after the read */
	struct snmp_key agent;
	uint32_t ifs[SNMP_PER_PDU];
	unsigned n;
};

struct dead {
	struct snmp_key agent; /* ifindex 0 */
	uint64_t until;	       /* 0: free */
};

struct poller {
	struct snmp_state *st;
	struct ofd_segment *seg;
	struct snmp_req *stage;
	size_t nstage, capstage;
	struct query *qs;
	size_t nq;
	struct snmp_result *res;
	size_t nres, capres;
	struct dead dead[SNMP_DEAD_SLOTS];
	uint64_t now;
	uint64_t inflight;
	uint64_t cnt[OFD_SEGMENT_COUNTERS_MAX]; /* counted once the results are published */
	uint64_t answered, none, refused;
	struct ofd_ratelimit rl;
};

void *snmp_poller_new(struct snmp_state *st)
{
	struct poller *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->st = st;
	p->capstage = st->queuesize;
	p->nq = st->connlimit;
	p->capres = st->connlimit * SNMP_PER_PDU + p->capstage;
	p->stage = calloc(p->capstage, sizeof(*p->stage));
	p->qs = calloc(p->nq, sizeof(*p->qs));
	p->res = calloc(p->capres, sizeof(*p->res));
	if (!p->stage || !p->qs || !p->res) {
		snmp_poller_free(p);
		return NULL;
	}
	for (size_t i = 0; i < p->nq; i++)
		p->qs[i].p = p;
	return p;
}

void snmp_poller_free(void *pp)
{
	struct poller *p = pp;
	if (!p)
		return;
	for (size_t i = 0; i < p->nres; i++)
		free(p->res[i].text);
	free(p->stage);
	free(p->qs);
	free(p->res);
	free(p);
}

static inline int agent_eq(const struct snmp_key *a, const struct snmp_key *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

static struct dead *dead_slot(struct poller *p, const struct snmp_key *a)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->addr[i]) * 16777619u;
	return &p->dead[(h % (SNMP_DEAD_SLOTS / 8)) * 8];
}

/* The time until which the agent is left alone, or 0. */
static uint64_t dead_until(struct poller *p, const struct snmp_key *a)
{
	struct dead *d = dead_slot(p, a);
	for (int i = 0; i < 8; i++)
		if (d[i].until > p->now && agent_eq(&d[i].agent, a))
			return d[i].until;
	return 0;
}

static void dead_mark(struct poller *p, const struct snmp_key *a, uint64_t until)
{
	struct dead *d = dead_slot(p, a), *v = &d[0];
	for (int i = 0; i < 8; i++) {
		if (agent_eq(&d[i].agent, a) || d[i].until <= p->now) {
			v = &d[i];
			break;
		}
		if (d[i].until < v->until)
			v = &d[i]; /* all taken: the one that ends first */
	}
	v->agent = *a;
	v->agent.ifindex = 0;
	v->until = until;
}

static struct snmp_result *result(struct poller *p, const struct snmp_key *agent, uint32_t ifindex,
				  enum snmp_outcome o, uint64_t retry)
{
	if (p->nres == p->capres)
		return NULL; /* cannot happen: capres covers a pass */
	struct snmp_result *r = &p->res[p->nres++];
	memset(r, 0, sizeof(*r));
	r->key = *agent;
	r->key.ifindex = ifindex;
	r->outcome = o;
	r->retry = retry;
	return r;
}

static void agent_text(const struct snmp_key *a, char *buf, size_t len)
{
	if (a->family == OFD_AF_INET)
		inet_ntop(AF_INET, a->addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->addr, buf, (socklen_t)len);
}

/* A response: 0, or 1 when something in it was refused (counted once per answer). */
static int take_answer(struct poller *p, struct query *q, const netsnmp_pdu *pdu)
{
	struct snmp_state *st = p->st;
	struct snmp_ifvals vals[SNMP_PER_PDU];
	int bad = snmp_answer_parse(pdu, q->ifs, q->n, vals);
	uint64_t retry = p->now + st->cache_interval;
	for (unsigned i = 0; i < q->n; i++) {
		struct snmp_ifvals *x = &vals[i];
		size_t dstart = 0;
		if (st->re && x->desc_len) {
			long l = snmp_regex_apply(st->re, x->desc, x->desc_len, &dstart);
			if (l < 0) {
				atomic_fetch_add_explicit(&st->regex_errors, 1, memory_order_relaxed);
				dstart = 0; /* the description stays */
			} else {
				x->desc_len = (size_t)l;
			}
		}
		int any = (x->has_name && x->name_len) || (x->has_desc && x->desc_len) || x->has_speed;
		struct snmp_result *r = result(p, &q->agent, q->ifs[i], any ? SNMP_OK : SNMP_NONE, retry);
		if (!r)
			break;
		r->speed = x->speed;
		r->has_speed = (uint8_t)x->has_speed;
		if (x->name_len || x->desc_len) {
			r->text = malloc(x->name_len + x->desc_len + 2);
			if (r->text) {
				memcpy(r->text, x->name, x->name_len);
				r->text[x->name_len] = 0;
				memcpy(r->text + x->name_len + 1, x->desc + dstart, x->desc_len);
				r->text[x->name_len + 1 + x->desc_len] = 0;
				r->name_len = (uint16_t)x->name_len;
				r->desc_len = (uint16_t)x->desc_len;
			}
		}
		if (any)
			p->answered++;
		else
			p->none++;
	}
	return bad;
}

static int on_answer(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic)
{
	(void)sess;
	(void)reqid;
	struct query *q = magic;
	struct poller *p = q->p;
	struct snmp_state *st = p->st;
	char who[INET6_ADDRSTRLEN];
	if (q->done)
		return 1;
	q->done = 1;
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu && pdu->errstat == SNMP_ERR_NOERROR) {
		if (take_answer(p, q, pdu))
			p->cnt[SNMP_C_BAD_ANSWERS]++;
		return 1;
	}
	uint64_t retry = p->now + st->backoff;
	agent_text(&q->agent, who, sizeof(who));
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
		p->cnt[SNMP_C_BAD_ANSWERS]++;
		ofd_log_rl(&p->rl, OFD_LOG_WARN, "%s:%u: segment %s: agent %s answered error status %ld",
			   ofd_segment_file(p->seg), ofd_segment_line(p->seg), ofd_segment_name(p->seg), who,
			   pdu ? pdu->errstat : -1L);
	} else if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		p->cnt[SNMP_C_TIMEOUTS]++;
		dead_mark(p, &q->agent, retry);
		ofd_log_rl(&p->rl, OFD_LOG_WARN,
			   "%s:%u: segment %s: agent %s did not answer (down, or not our community): left "
			   "alone for %llu s",
			   ofd_segment_file(p->seg), ofd_segment_line(p->seg), ofd_segment_name(p->seg), who,
			   (unsigned long long)(st->backoff / OFD_NS_PER_S));
	} else {
		p->cnt[SNMP_C_SEND_ERRORS]++;
	}
	for (unsigned i = 0; i < q->n; i++)
		result(p, &q->agent, q->ifs[i], SNMP_FAILED, retry);
	return 1;
}

/* Open a session to the query's agent and send its GET; on failure the query is done. */
static void query_send(struct poller *p, struct query *q)
{
	struct snmp_state *st = p->st;
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN + 32];
	agent_text(&q->agent, host, sizeof(host));
	if (q->agent.family == OFD_AF_INET)
		snprintf(peer, sizeof(peer), "udp:%s:%u", host, (unsigned)st->port);
	else
		snprintf(peer, sizeof(peer), "udp6:[%s]:%u", host, (unsigned)st->port);
	netsnmp_session s;
	snmp_sess_init(&s);
	s.peername = peer;
	s.version = SNMP_VERSION_2c;
	s.community = (u_char *)st->comm;
	s.community_len = strlen(st->comm);
	s.timeout = (long)(st->timeout / 1000);
	s.retries = (int)st->retries;
	s.callback = on_answer;
	s.callback_magic = q;
	q->done = 0;
	q->sess = snmp_sess_open(&s);
	netsnmp_pdu *pdu = q->sess ? snmp_pdu_create(SNMP_MSG_GET) : NULL;
	if (pdu) {
		for (unsigned i = 0; i < q->n; i++)
			snmp_request_add(pdu, q->ifs[i]);
		if (snmp_sess_async_send(q->sess, pdu, on_answer, q) == 0) {
			snmp_free_pdu(pdu);
			pdu = NULL;
		}
	}
	if (!pdu) {
		ofd_log_rl(&p->rl, OFD_LOG_WARN, "%s:%u: segment %s: cannot ask agent %s: %s",
			   ofd_segment_file(p->seg), ofd_segment_line(p->seg), ofd_segment_name(p->seg), peer,
			   q->sess ? "the request was not sent" : snmp_api_errstring(s.s_snmp_errno));
		if (q->sess)
			snmp_sess_close(q->sess);
		q->sess = NULL;
		on_answer(NETSNMP_CALLBACK_OP_SEND_FAILED, NULL, 0, NULL, q);
		return;
	}
	p->inflight++;
}

/* Move the staged requests into queries: dead agents' are dropped, the rest grouped. */
static void dispatch(struct poller *p)
{
	struct snmp_state *st = p->st;
	size_t keep = 0;
	uint64_t down = 0;
	for (size_t i = 0; i < p->nstage; i++) {
		const struct snmp_key *k = &p->stage[i].key;
		if (st->agents_lpm) {
			struct ofd_ip a = {.family = k->family};
			uint32_t v;
			memcpy(a.b, k->addr, 16);
			if (!ofd_lpm_lookup(st->agents_lpm, &a,
					    &v)) { /* not ours to ask: not asked again soon */
				result(p, k, k->ifindex, SNMP_DROPPED, p->now + st->cache_interval);
				p->refused++;
				continue;
			}
		}
		uint64_t until = dead_until(p, k);
		if (until) {
			result(p, k, k->ifindex, SNMP_DROPPED, until);
			down++;
			continue;
		}
		struct query *free_q = NULL, *mine = NULL;
		for (size_t j = 0; j < p->nq; j++) {
			struct query *q = &p->qs[j];
			if (!q->sess && !q->building) {
				if (!free_q)
					free_q = q;
			} else if (agent_eq(&q->agent, k)) {
				mine = q;
				break;
			}
		}
		if (mine && mine->building) {
			unsigned n = 0;
			while (n < mine->n && mine->ifs[n] != k->ifindex)
				n++;
			if (n < mine->n)
				continue; /* asked for twice: one answer serves both */
			if (mine->n < SNMP_PER_PDU) {
				mine->ifs[mine->n++] = k->ifindex;
				continue;
			}
		} else if (!mine && free_q) {
			free_q->building = 1;
			free_q->agent = *k;
			free_q->agent.ifindex = 0;
			free_q->ifs[0] = k->ifindex;
			free_q->n = 1;
			continue;
		}
		p->stage[keep++] = p->stage[i]; /* its agent is being asked, or no slot is free */
	}
	p->nstage = keep;
	p->cnt[SNMP_C_AGENT_DOWN] += down;
	for (size_t j = 0; j < p->nq; j++) {
		if (!p->qs[j].building)
			continue;
		p->qs[j].building = 0;
		query_send(p, &p->qs[j]);
	}
}

/* Publish the results and, with take, take new requests; under the shared lock. The counters
   follow, so that what they say is in the cache when they say it. */
static void exchange(struct poller *p, int take)
{
	struct snmp_shared *sh = &p->st->sh;
	pthread_mutex_lock(&sh->mu);
	snmp_cache_collect(sh);
	for (size_t i = 0; i < p->nres; i++) {
		struct snmp_result *r = &p->res[i];
		if (sh->forget_dead && (r->outcome == SNMP_FAILED || r->outcome == SNMP_DROPPED))
			r->retry = p->now; /* decided before a SIGHUP that asks for everything again */
		snmp_cache_publish(sh, r, p->now);
	}
	if (take) {
		p->nstage += snmp_queue_pop(sh, p->stage + p->nstage, p->capstage - p->nstage);
		sh->wake_pending = 0;
		if (sh->forget_dead) {
			memset(p->dead, 0, sizeof(p->dead));
			sh->forget_dead = 0;
		}
	}
	size_t used = sh->used, qlen = sh->qlen;
	pthread_mutex_unlock(&sh->mu);
	p->nres = 0;
	for (unsigned c = 0; c < OFD_SEGMENT_COUNTERS_MAX; c++) {
		if (p->cnt[c])
			ofd_segment_count(p->seg, c, p->cnt[c]);
		p->cnt[c] = 0;
	}
	atomic_fetch_add_explicit(&p->st->answered, p->answered, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->st->none, p->none, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->st->refused, p->refused, memory_order_relaxed);
	p->answered = p->none = p->refused = 0;
	atomic_store_explicit(&p->st->entries, used, memory_order_relaxed);
	atomic_store_explicit(&p->st->qdepth, qlen + p->nstage, memory_order_relaxed);
}

void snmp_poller_run(struct ofd_segment *seg, void *pp)
{
	struct poller *p = pp;
	struct snmp_state *st = p->st;
	p->seg = seg;
	netsnmp_acquire();
	netsnmp_large_fd_set fds;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	while (!ofd_segment_thread_stopping(seg)) {
		p->now = ofd_time_coarse_ns();
		exchange(p, 1);
		pthread_mutex_lock(&netsnmp_mu);
		dispatch(p);
		pthread_mutex_unlock(&netsnmp_mu);
		if (p->nres)
			exchange(p, 0); /* dropped requests and failed sends */
		pthread_mutex_lock(&netsnmp_mu);
		NETSNMP_LARGE_FD_ZERO(&fds);
		int nfds = st->sh.wakefd + 1, block = 0;
		struct timeval tv = {0, 100000};
		netsnmp_large_fd_setfd(st->sh.wakefd, &fds);
		for (size_t j = 0; j < p->nq; j++)
			if (p->qs[j].sess)
				snmp_sess_select_info2_flags(p->qs[j].sess, &nfds, &fds, &tv, &block,
							     NETSNMP_SELECT_NOALARMS);
		pthread_mutex_unlock(&netsnmp_mu);
		if (block || tv.tv_sec > 0 || tv.tv_usec > 100000)
			tv = (struct timeval){0, 100000};
		atomic_store_explicit(&st->inflight, p->inflight, memory_order_relaxed);
		int n = netsnmp_large_fd_set_select(nfds, &fds, NULL, NULL, &tv);
		if (n < 0 && errno != EINTR) {
			ofd_seg_log(seg, OFD_LOG_ERR, "select: %s", strerror(errno));
			ofd_segment_thread_wait(seg, 100 * 1000 * 1000);
			continue;
		}
		if (n > 0 && netsnmp_large_fd_is_set(st->sh.wakefd, &fds)) {
			uint64_t v;
			if (read(st->sh.wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				ofd_seg_log(seg, OFD_LOG_ERR, "wake-up read: %s", strerror(errno));
		}
		p->now = ofd_time_coarse_ns();
		pthread_mutex_lock(&netsnmp_mu);
		for (size_t j = 0; j < p->nq; j++) {
			struct query *q = &p->qs[j];
			if (!q->sess)
				continue;
			if (n > 0)
				snmp_sess_read2(q->sess, &fds);
			if (!q->done)
				snmp_sess_timeout(q->sess);
			if (q->done) {
				snmp_sess_close(q->sess);
				q->sess = NULL;
				p->inflight--;
			}
		}
		pthread_mutex_unlock(&netsnmp_mu);
	}
	pthread_mutex_lock(&netsnmp_mu);
	for (size_t j = 0; j < p->nq; j++) {
		if (p->qs[j].sess) {
			p->qs[j].done = 1; /* no callback work while closing */
			snmp_sess_close(p->qs[j].sess);
			p->qs[j].sess = NULL;
		}
	}
	pthread_mutex_unlock(&netsnmp_mu);
	netsnmp_large_fd_set_cleanup(&fds);
	netsnmp_release();
}
