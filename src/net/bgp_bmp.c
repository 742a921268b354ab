/*
 * The BMP station (see bgp_bmp.h): listener, connections, monitored peers, Route Monitoring
 * into the routers' RIBs.
 */
#include "net/bgp_bmp.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/bmp.h"
#include "ofd/err.h"

const char *const ofd_bgp_bmp_event_names[OFD_BMPE__N] = {
    "connections",     "refused_connections", "closed",	       "messages",	 "initiation",
    "termination",     "route_monitoring",    "statistics",    "peer_up",	 "peer_down",
    "route_mirroring", "malformed",	      "update_errors", "ignored_policy", "ignored_peers"};

#define READS_PER_ROUND 16 /* reads per connection and poll round: others get their turn */

/* A peer monitored by one router: its paths carry src = slot index + 1. */
struct mpeer {
	uint8_t used, type, has_open;
	uint64_t rd;
	uint8_t addr[16];
	struct ofd_bgp_sess sess; /* from Peer Up's OPENs (has_open) */
};

struct rtr {
	int fd;
	uint8_t *rx; /* OFD_BMP_MAX_LEN while connected */
	size_t rx_n;
	struct mpeer *peers;
	unsigned n_peers, cap_peers, last;
	char sys_name[OFD_BMP_TEXT_MAX + 1];
};

struct ofd_bgp_bmp {
	struct ofd_bgp_bmp_cfg c;
	struct ofd_bgp_speaker *sp;
	int lfd;
	uint16_t lport;
	struct rtr *r;
	size_t n;
	struct rtr *who[OFD_BGP_HOOK_FDS_MAX]; /* the pollfds handed out by fill(), NULL: listener */
	_Atomic uint64_t ev[OFD_BMPE__N];
	struct ofd_bmp_msg m;	 /* ~1 KB each: one for the thread */
	struct ofd_bgp_update u; /* */
	ofd_bgp_log_fn log;
	void *log_ctx;
};

static void count(struct ofd_bgp_bmp *st, enum ofd_bgp_bmp_event e)
{
	atomic_fetch_add_explicit(&st->ev[e], 1, memory_order_relaxed);
}

static void logf_(struct ofd_bgp_bmp *st, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(struct ofd_bgp_bmp *st, int err, const char *fmt, ...)
{
	if (!st->log)
		return;
	char m[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	st->log(st->log_ctx, err, m);
}

static const char *rname(const struct ofd_bgp_bmp *st, const struct rtr *r)
{
	return ofd_bgp_speaker_peer(st->sp, (size_t)(r - st->r))->name;
}

static struct ofd_bgp_rib *rib_of(struct ofd_bgp_bmp *st, const struct rtr *r)
{
	return ofd_bgp_speaker_rib(st->sp, (size_t)(r - st->r));
}

/* ---- monitored peers --------------------------------------------------------------------- */

static int peer_is(const struct mpeer *p, const struct ofd_bmp_peer *h)
{
	return p->used && p->type == h->type && p->rd == h->distinguisher && !memcmp(p->addr, h->addr.b, 16);
}

/* The slot of the per-peer header h, created when create; NULL when absent or over the cap. */
static struct mpeer *peer_find(struct ofd_bgp_bmp *st, struct rtr *r, const struct ofd_bmp_peer *h,
			       int create)
{
	if (r->last < r->n_peers && peer_is(&r->peers[r->last], h))
		return &r->peers[r->last];
	unsigned free_i = r->n_peers;
	for (unsigned i = 0; i < r->n_peers; i++) {
		if (peer_is(&r->peers[i], h)) {
			r->last = i;
			return &r->peers[i];
		}
		if (!r->peers[i].used && free_i == r->n_peers)
			free_i = i;
	}
	if (!create)
		return NULL;
	if (free_i == r->n_peers) {
		if (r->n_peers == OFD_BGP_BMP_PEERS_MAX) {
			count(st, OFD_BMPE_IGNORED_PEERS);
			return NULL;
		}
		if (r->n_peers == r->cap_peers) {
			unsigned nc = r->cap_peers ? 2 * r->cap_peers : 8;
			if (nc > OFD_BGP_BMP_PEERS_MAX)
				nc = OFD_BGP_BMP_PEERS_MAX;
			struct mpeer *v = realloc(r->peers, nc * sizeof(*v));
			if (!v) {
				count(st, OFD_BMPE_IGNORED_PEERS);
				return NULL;
			}
			r->peers = v;
			r->cap_peers = nc;
		}
		r->n_peers++;
	}
	struct mpeer *p = &r->peers[free_i];
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->type = h->type;
	p->rd = h->distinguisher;
	memcpy(p->addr, h->addr.b, 16);
	r->last = free_i;
	return p;
}

static void peer_drop(struct ofd_bgp_bmp *st, struct rtr *r, struct mpeer *p)
{
	ofd_bgp_rib_remove_src(rib_of(st, r), (uint32_t)(p - r->peers) + 1);
	p->used = 0;
}

void ofd_bgp_bmp_reset(struct ofd_bgp_bmp *st, size_t i)
{
	struct rtr *r = &st->r[i];
	unsigned used = 0;
	for (unsigned k = 0; k < r->n_peers; k++)
		used += r->peers[k].used;
	if (used) /* one pass over the RIB for all of them */
		ofd_bgp_rib_remove_src(rib_of(st, r), OFD_BGP_RIB_SRC_ANY);
	r->n_peers = 0;
	r->last = 0;
}

/* ---- messages ---------------------------------------------------------------------------- */

static void route_monitoring(struct ofd_bgp_bmp *st, struct rtr *r, const struct ofd_bmp_msg *m)
{
	count(st, OFD_BMPE_ROUTE_MONITORING);
	const struct ofd_bmp_peer *h = &m->peer;
	int post = !!(h->flags & OFD_BMP_F_L);
	if (h->type > 2 || post != st->c.post_policy) { /* 3: Loc-RIB (RFC 9069) */
		count(st, OFD_BMPE_IGNORED_POLICY);
		return;
	}
	struct mpeer *p = peer_find(st, r, h, 1);
	if (!p)
		return;
	struct ofd_bgp_sess s;
	if (p->has_open)
		s = p->sess;
	else
		ofd_bmp_sess(h, &s);
	s.as4 = !(h->flags & OFD_BMP_F_A); /* the message's own encoding */
	if (ofd_bgp_update_parse(m->bgp, m->bgp_len, &s, &st->u) == OFD_BGP_SESSION_RESET) {
		count(st, OFD_BMPE_UPDATE_ERRORS);
		return;
	}
	if (ofd_bgp_rib_apply_src(rib_of(st, r), &st->u, (uint32_t)(p - r->peers) + 1) < 0)
		logf_(st, 1, "router %s: BMP: out of memory, routes lost", rname(st, r));
}

static void peer_up(struct ofd_bgp_bmp *st, struct rtr *r, const struct ofd_bmp_msg *m)
{
	count(st, OFD_BMPE_PEER_UP);
	struct mpeer *p = peer_find(st, r, &m->peer, 0);
	if (p) /* a Peer Up without a Peer Down: a new session replaces the old one */
		peer_drop(st, r, p);
	if (!(p = peer_find(st, r, &m->peer, 1)))
		return;
	/* the router's OPEN is ours, the peer's theirs: ADD-PATH the router receives */
	ofd_bgp_negotiate(&m->sent_open, &m->recv_open, &p->sess);
	p->sess.ibgp = 0;
	p->sess.monitor = 1;
	p->sess.ext_msg = 1;
	p->has_open = 1;
}

static void peer_down(struct ofd_bgp_bmp *st, struct rtr *r, const struct ofd_bmp_msg *m)
{
	count(st, OFD_BMPE_PEER_DOWN);
	struct mpeer *p = peer_find(st, r, &m->peer, 0);
	if (p)
		peer_drop(st, r, p);
}

static int handle(struct ofd_bgp_bmp *st, struct rtr *r, const uint8_t *msg, size_t len)
{
	struct ofd_bmp_msg *m = &st->m;
	int rc = ofd_bmp_parse(msg, len, m, NULL, NULL);
	if (rc) {
		count(st, OFD_BMPE_MALFORMED);
		logf_(st, 1, "router %s: BMP message refused (%s), connection closed", rname(st, r),
		      m->error ? m->error : "?");
		return rc;
	}
	count(st, OFD_BMPE_MESSAGES);
	switch (m->type) {
	case OFD_BMP_ROUTE_MONITORING: route_monitoring(st, r, m); break;
	case OFD_BMP_PEER_UP: peer_up(st, r, m); break;
	case OFD_BMP_PEER_DOWN: peer_down(st, r, m); break;
	case OFD_BMP_STATS: count(st, OFD_BMPE_STATISTICS); break;
	case OFD_BMP_ROUTE_MIRRORING: count(st, OFD_BMPE_ROUTE_MIRRORING); break;
	case OFD_BMP_INITIATION:
		count(st, OFD_BMPE_INITIATION);
		if (strcmp(r->sys_name, m->sys_name)) {
			memcpy(r->sys_name, m->sys_name, sizeof(r->sys_name));
			logf_(st, 0, "router %s: BMP from \"%s\"", rname(st, r), m->sys_name);
		}
		break;
	case OFD_BMP_TERMINATION: count(st, OFD_BMPE_TERMINATION); return 1;
	}
	return 0;
}

int ofd_bgp_bmp_input(struct ofd_bgp_bmp *st, size_t router, const uint8_t *msg, size_t len)
{
	return handle(st, &st->r[router], msg, len);
}

/* ---- connections ------------------------------------------------------------------------- */

static void conn_close(struct ofd_bgp_bmp *st, struct rtr *r, const char *why)
{
	if (r->fd < 0)
		return;
	close(r->fd);
	r->fd = -1;
	free(r->rx);
	r->rx = NULL;
	r->rx_n = 0;
	ofd_bgp_bmp_reset(st, (size_t)(r - st->r));
	count(st, OFD_BMPE_CLOSED);
	logf_(st, 0, "router %s: BMP connection closed (%s), its routes removed", rname(st, r), why);
}

static void do_accept(struct ofd_bgp_bmp *st)
{
	for (int k = 0; k < 16; k++) {
		struct ofd_ip ip;
		int i, fd = ofd_bgp_accept(st->sp, st->lfd, &ip, &i);
		if (fd < 0)
			return;
		struct rtr *r = i >= 0 ? &st->r[i] : NULL;
		uint8_t *rx = r ? malloc(OFD_BMP_MAX_LEN) : NULL;
		if (!rx) {
			char a[OFD_IP_STRLEN];
			ofd_ip_str(&ip, a);
			count(st, OFD_BMPE_REFUSED);
			logf_(st, 1, "BMP connection from %s refused (%s)", a,
			      r ? "out of memory" : "not a router");
			close(fd);
			continue;
		}
		/* BMP has no keepalive: TCP's finds a router gone silently (about 90 s) */
		int one = 1, idle = 60, intvl = 10, cnt = 3;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
		if (r->fd >= 0)
			conn_close(st, r, "replaced by a new connection");
		r->fd = fd;
		r->rx = rx;
		r->rx_n = 0;
		count(st, OFD_BMPE_CONNECTIONS);
		logf_(st, 0, "router %s: BMP connection", rname(st, r));
	}
}

/* Handle every whole message in rx; 0, or the reason to close. */
static const char *drain(struct ofd_bgp_bmp *st, struct rtr *r)
{
	size_t off = 0;
	const char *why = NULL;
	while (!why) {
		size_t ml;
		int f = ofd_bmp_frame(r->rx + off, r->rx_n - off, &ml);
		if (f == 0)
			break;
		if (f < 0) {
			count(st, OFD_BMPE_MALFORMED);
			why = f == OFD_EVERSION ? "not BMP version 3" : "bad message length";
			break;
		}
		int rc = handle(st, r, r->rx + off, ml);
		off += ml;
		if (rc == 1)
			why = "Termination";
		else if (rc)
			why = "malformed message";
	}
	if (off) {
		memmove(r->rx, r->rx + off, r->rx_n - off);
		r->rx_n -= off;
	}
	return why;
}

static void on_readable(struct ofd_bgp_bmp *st, struct rtr *r)
{
	for (int k = 0; k < READS_PER_ROUND && r->fd >= 0; k++) {
		ssize_t got = recv(r->fd, r->rx + r->rx_n, OFD_BMP_MAX_LEN - r->rx_n, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (got <= 0) {
			if (r->rx_n) /* the stream ended inside a message */
				count(st, OFD_BMPE_MALFORMED);
			conn_close(st, r,
				   got == 0 ? (r->rx_n ? "closed inside a message" : "closed by the router")
					    : strerror(errno));
			return;
		}
		r->rx_n += (size_t)got;
		const char *why = drain(st, r);
		if (why) {
			conn_close(st, r, why);
			return;
		}
	}
}

static unsigned hook_fill(void *ctx, struct pollfd *pf, unsigned max)
{
	struct ofd_bgp_bmp *st = ctx;
	unsigned n = 0;
	if (st->lfd >= 0 && n < max) {
		pf[n] = (struct pollfd){st->lfd, POLLIN, 0};
		st->who[n++] = NULL;
	}
	for (size_t i = 0; i < st->n && n < max; i++)
		if (st->r[i].fd >= 0) {
			pf[n] = (struct pollfd){st->r[i].fd, POLLIN, 0};
			st->who[n++] = &st->r[i];
		}
	return n;
}

static void hook_ready(void *ctx, const struct pollfd *pf, unsigned n)
{
	struct ofd_bgp_bmp *st = ctx;
	for (unsigned i = 0; i < n; i++) {
		if (!pf[i].revents)
			continue;
		struct rtr *r = st->who[i];
		if (!r)
			do_accept(st);
		else if (r->fd == pf[i].fd) /* else replaced meanwhile */
			on_readable(st, r);
	}
}

/* ---- life -------------------------------------------------------------------------------- */

int ofd_bgp_bmp_new(struct ofd_bgp_bmp **out, const struct ofd_bgp_bmp_cfg *c, struct ofd_bgp_speaker *sp,
		    char *err, size_t errlen)
{
	struct ofd_bgp_bmp *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->c = *c;
	st->sp = sp;
	st->lfd = -1;
	st->n = ofd_bgp_speaker_npeers(sp);
	st->r = calloc(st->n ? st->n : 1, sizeof(*st->r));
	if (!st->r) {
		free(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->n; i++)
		st->r[i].fd = -1;
	if (c->listen.family) {
		int rc = ofd_bgp_listen(&c->listen, c->port, &st->lfd, &st->lport, err, errlen);
		if (rc) {
			ofd_bgp_bmp_free(st);
			return rc;
		}
	}
	struct ofd_bgp_poll_hook h = {hook_fill, hook_ready, st};
	ofd_bgp_speaker_set_hook(sp, &h);
	*out = st;
	return 0;
}

void ofd_bgp_bmp_free(struct ofd_bgp_bmp *st)
{
	if (!st)
		return;
	ofd_bgp_speaker_set_hook(st->sp, NULL);
	for (size_t i = 0; i < st->n; i++) {
		if (st->r[i].fd >= 0)
			close(st->r[i].fd);
		free(st->r[i].rx);
		free(st->r[i].peers);
	}
	if (st->lfd >= 0)
		close(st->lfd);
	free(st->r);
	free(st);
}

uint16_t ofd_bgp_bmp_port(const struct ofd_bgp_bmp *st)
{
	return st->lport;
}

uint64_t ofd_bgp_bmp_count(const struct ofd_bgp_bmp *st, enum ofd_bgp_bmp_event e)
{
	return atomic_load_explicit(&((struct ofd_bgp_bmp *)st)->ev[e], memory_order_relaxed);
}

void ofd_bgp_bmp_set_log(struct ofd_bgp_bmp *st, ofd_bgp_log_fn fn, void *ctx)
{
	st->log = fn;
	st->log_ctx = ctx;
}
