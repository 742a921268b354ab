/*
 * The collector-only BGP speaker (see bgp_session.h): sockets, FSM, timers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/bgp_session.h"
#include "ofd/time.h"

#define RX_CAP	     (OFD_BGP_EXT_MAX_LEN + 1)
#define TX_CAP	     4096
#define OPEN_HOLD_NS (240ull * 1000000000ull) /* RFC 4271 suggests a large hold time before OPEN */
#define SEC	     1000000000ull

struct peer {
	struct ofd_bgp_peer_cfg c;
	char name[64];
	struct ofd_bgp_rib *rib;
	_Atomic int state;
	_Atomic uint64_t n_paths, n_sets; /* copies for other threads */
	uint64_t refused_seen;
	int fd;
	uint8_t rx[RX_CAP];
	size_t rx_n;
	uint8_t tx[TX_CAP];
	size_t tx_n;
	struct ofd_bgp_open ours, theirs;
	struct ofd_bgp_sess sess;
	uint64_t hold_deadline, ka_next, connect_next, last_publish, stale_deadline;
	uint8_t stale, eor_need, eor_seen; /* GR: stale paths kept; families (bit 0 v4, 1 v6) */
};

struct ofd_bgp_speaker {
	struct ofd_bgp_speaker_cfg c;
	int lfd;
	uint16_t lport;
	struct peer *peers;
	size_t n;
	struct ofd_bgp_counters cnt;
	struct ofd_bgp_update u; /* ~1 KB: one for the thread */
	ofd_bgp_log_fn log;
	void *log_ctx;
};

static void logf_(struct ofd_bgp_speaker *sp, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(struct ofd_bgp_speaker *sp, int err, const char *fmt, ...)
{
	if (!sp->log)
		return;
	char m[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	sp->log(sp->log_ctx, err, m);
}

static void ip_of(struct ofd_ip *ip, const struct sockaddr_storage *ss)
{
	memset(ip, 0, sizeof(*ip));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		ip->family = OFD_AF_INET;
		ip->b[10] = ip->b[11] = 0xff;
		memcpy(ip->b + 12, &a->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		memcpy(ip->b, &a->sin6_addr, 16);
		ip->family = ofd_ip_is_v4mapped(ip) ? OFD_AF_INET : OFD_AF_INET6;
	}
}

static socklen_t sa_of(struct sockaddr_storage *ss, const struct ofd_ip *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (ofd_ip_is_v4mapped(ip)) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, ip->b + 12, 4);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	memcpy(&a->sin6_addr, ip->b, 16);
	return sizeof(*a);
}

int ofd_bgp_speaker_new(struct ofd_bgp_speaker **out, const struct ofd_bgp_speaker_cfg *c,
			const struct ofd_bgp_peer_cfg *peers, size_t n, char *err, size_t errlen)
{
	struct ofd_bgp_speaker *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->c = *c;
	sp->lfd = -1;
	sp->peers = calloc(n ? n : 1, sizeof(*sp->peers));
	if (!sp->peers) {
		free(sp);
		return -ENOMEM;
	}
	sp->n = n;
	for (size_t i = 0; i < n; i++) {
		struct peer *p = &sp->peers[i];
		p->c = peers[i];
		snprintf(p->name, sizeof(p->name), "%s", peers[i].name ? peers[i].name : "?");
		p->c.name = p->name;
		p->fd = -1;
		atomic_init(&p->state, OFD_BGPS_IDLE);
		if (ofd_bgp_rib_new(&p->rib, c->max_paths)) {
			ofd_bgp_speaker_free(sp);
			return -ENOMEM;
		}
	}
	if (c->listen.family) {
		struct sockaddr_storage ss;
		socklen_t sl = sa_of(&ss, &c->listen, c->listen_port);
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 16)) {
			int e = errno;
			snprintf(err, errlen, "listen on port %u: %s", c->listen_port, strerror(e));
			if (fd >= 0)
				close(fd);
			ofd_bgp_speaker_free(sp);
			return -e;
		}
		sp->lfd = fd;
		sl = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		sp->lport = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
							  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	*out = sp;
	return 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

static void flush(struct peer *p)
{
	while (p->tx_n && p->fd >= 0) {
		ssize_t w = send(p->fd, p->tx, p->tx_n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w <= 0)
			return;
		memmove(p->tx, p->tx + w, p->tx_n - (size_t)w);
		p->tx_n -= (size_t)w;
	}
}

static void queue(struct peer *p, const uint8_t *m, int len)
{
	if (len > 0 && p->tx_n + (size_t)len <= TX_CAP) {
		memcpy(p->tx + p->tx_n, m, (size_t)len);
		p->tx_n += (size_t)len;
	}
	flush(p);
}

static void send_notification(struct peer *p, uint8_t code, uint8_t sub, const uint8_t *d, size_t dl)
{
	uint8_t m[OFD_BGP_MAX_LEN];
	queue(p, m, ofd_bgp_notification_build(m, sizeof(m), code, sub, d, dl));
}

/* ---- session loss ------------------------------------------------------------------------ */

/* gr: the session ended without a NOTIFICATION either way (TCP failure): graceful restart
 * applies (RFC 4724 4.2) when the peer announced it; after a NOTIFICATION it does not (no
 * RFC 8538 N bit in our OPEN). */
static void peer_close(struct ofd_bgp_speaker *sp, struct peer *p, const char *why, int gr)
{
	if (p->fd < 0)
		return;
	flush(p);
	close(p->fd);
	p->fd = -1;
	p->rx_n = p->tx_n = 0;
	uint64_t now = ofd_time_mono_ns();
	if (atomic_load(&p->state) == OFD_BGPS_ESTABLISHED) {
		atomic_fetch_add(&sp->cnt.down, 1);
		if (gr && p->theirs.has_gr && p->theirs.gr_time) {
			uint64_t t = p->theirs.gr_time * SEC;
			if (sp->c.gr_max_ns && t > sp->c.gr_max_ns)
				t = sp->c.gr_max_ns;
			size_t n = ofd_bgp_rib_mark_stale(p->rib);
			atomic_fetch_add(&sp->cnt.stale_kept, n);
			p->stale = 1;
			p->stale_deadline = now + t;
			logf_(sp, 0,
			      "router %s: session down (%s), %zu paths kept stale for %us (graceful restart)",
			      p->name, why, n, (unsigned)(t / SEC));
		} else {
			ofd_bgp_rib_clear(p->rib);
			p->stale = 0;
			logf_(sp, 0, "router %s: session down (%s), routes removed", p->name, why);
		}
	}
	atomic_store(&p->state, OFD_BGPS_IDLE);
	p->connect_next = now + sp->c.connect_retry_ns;
}

static void reset(struct ofd_bgp_speaker *sp, struct peer *p, const struct ofd_bgp_err *e)
{
	send_notification(p, e->code, e->subcode, e->data, e->data_len);
	atomic_fetch_add(&sp->cnt.resets, 1);
	logf_(sp, 1, "router %s: NOTIFICATION %u/%u sent (%s), session reset", p->name, e->code, e->subcode,
	      e->reason ? e->reason : "?");
	peer_close(sp, p, e->reason ? e->reason : "error", 0);
}

/* ---- connection start -------------------------------------------------------------------- */

static void start_open(struct ofd_bgp_speaker *sp, struct peer *p)
{
	struct ofd_bgp_open_cfg oc = {
	    .asn = p->c.local_asn ? p->c.local_asn : sp->c.asn,
	    .hold_time = sp->c.hold_time,
	    .bgp_id = p->c.router_id ? p->c.router_id : sp->c.router_id,
	    .gr_time = sp->c.gr_time,
	    .ipv4 = 1,
	    .ipv6 = 1,
	};
	memset(&p->sess, 0, sizeof(p->sess));
	memset(&p->theirs, 0, sizeof(p->theirs));
	uint8_t m[256];
	int len = ofd_bgp_open_build(m, sizeof(m), &oc);
	struct ofd_bgp_err e;
	if (len < 0 || ofd_bgp_open_parse(m, (size_t)len, &p->ours, &e)) {
		logf_(sp, 1, "router %s: cannot build our OPEN", p->name);
		peer_close(sp, p, "bad local config", 0);
		return;
	}
	int one = 1;
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	queue(p, m, len);
	atomic_store(&p->state, OFD_BGPS_OPENSENT);
	p->hold_deadline = ofd_time_mono_ns() + OPEN_HOLD_NS;
}

static void do_accept(struct ofd_bgp_speaker *sp)
{
	for (int k = 0; k < 16; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(sp->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ofd_ip ip;
		ip_of(&ip, &ss);
		struct peer *p = NULL;
		for (size_t i = 0; i < sp->n && !p; i++)
			for (unsigned j = 0; j < sp->peers[i].c.n_addr; j++)
				if (!memcmp(sp->peers[i].c.addr[j].b, ip.b, 16))
					p = &sp->peers[i];
		if (!p || atomic_load(&p->state) == OFD_BGPS_ESTABLISHED) {
			char a[OFD_IP_STRLEN];
			ofd_ip_str(&ip, a);
			atomic_fetch_add(&sp->cnt.refused_peers, 1);
			logf_(sp, 1, "connection from %s refused (%s)", a,
			      p ? "session established" : "not a router");
			close(fd);
			continue;
		}
		if (p->fd >= 0)
			peer_close(sp, p, "replaced by an incoming connection", 1);
		p->fd = fd;
		start_open(sp, p);
	}
}

static void do_connect(struct ofd_bgp_speaker *sp, struct peer *p, uint64_t now)
{
	p->connect_next = now + sp->c.connect_retry_ns;
	struct sockaddr_storage ss;
	socklen_t sl = sa_of(&ss, &p->c.addr[0], p->c.port);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		close(fd);
		return;
	}
	p->fd = fd;
	atomic_store(&p->state, OFD_BGPS_CONNECT);
	p->hold_deadline = now + 30 * SEC;
}

/* ---- messages ---------------------------------------------------------------------------- */

static void on_open(struct ofd_bgp_speaker *sp, struct peer *p, const uint8_t *m, size_t len)
{
	struct ofd_bgp_err e;
	if (ofd_bgp_open_parse(m, len, &p->theirs, &e)) {
		reset(sp, p, &e);
		return;
	}
	if (p->c.asn && p->theirs.asn != p->c.asn) {
		uint8_t d[2] = {(uint8_t)(p->theirs.my_as >> 8), (uint8_t)p->theirs.my_as};
		e = (struct ofd_bgp_err){OFD_BGP_ERR_OPEN, 2, d, 2, "peer AS is not the configured one"};
		reset(sp, p, &e);
		return;
	}
	ofd_bgp_negotiate(&p->ours, &p->theirs, &p->sess);
	uint8_t ka[OFD_BGP_HDR_LEN];
	queue(p, ka, ofd_bgp_keepalive_build(ka, sizeof(ka)));
	atomic_store(&p->state, OFD_BGPS_OPENCONFIRM);
	uint64_t now = ofd_time_mono_ns();
	p->hold_deadline = p->sess.hold_time ? now + p->sess.hold_time * SEC : UINT64_MAX;
	p->ka_next = p->sess.hold_time ? now + p->sess.hold_time * SEC / 3 : UINT64_MAX;
	/* families to wait an End-of-RIB for before sweeping stale paths */
	p->eor_need = 0;
	for (unsigned i = 0; i < p->theirs.n_mp; i++)
		if (p->theirs.mp[i].safi == OFD_BGP_SAFI_UNICAST && p->theirs.mp[i].afi <= 2)
			p->eor_need |= (uint8_t)(1u << (p->theirs.mp[i].afi - 1));
	if (!p->theirs.n_mp)
		p->eor_need = 1;
	p->eor_seen = 0;
}

static void on_eor(struct ofd_bgp_speaker *sp, struct peer *p, uint16_t afi)
{
	atomic_fetch_add(&sp->cnt.eor, 1);
	if (afi >= 1 && afi <= 2)
		p->eor_seen |= (uint8_t)(1u << (afi - 1));
	if (p->stale && (p->eor_seen & p->eor_need) == p->eor_need) {
		size_t n = ofd_bgp_rib_sweep_stale(p->rib);
		atomic_fetch_add(&sp->cnt.stale_swept, n);
		p->stale = 0;
	}
}

static void on_update(struct ofd_bgp_speaker *sp, struct peer *p, const uint8_t *m, size_t len)
{
	struct ofd_bgp_update *u = &sp->u;
	enum ofd_bgp_outcome o = ofd_bgp_update_parse(m, len, &p->sess, u);
	atomic_fetch_add(&sp->cnt.updates, 1);
	if (o == OFD_BGP_SESSION_RESET) {
		atomic_fetch_add(&sp->cnt.malformed, 1);
		reset(sp, p, &u->err);
		return;
	}
	if (o == OFD_BGP_TREAT_AS_WITHDRAW) {
		atomic_fetch_add(&sp->cnt.treat_as_withdraw, 1);
		logf_(sp, 1, "router %s: UPDATE treated as withdraw (%s)", p->name, u->err.reason);
	}
	if (u->eor) {
		on_eor(sp, p, u->eor_afi);
		return;
	}
	if (ofd_bgp_rib_apply(p->rib, u) < 0)
		logf_(sp, 1, "router %s: out of memory applying an UPDATE", p->name);
}

/* Handle one whole message. */
static void on_msg(struct ofd_bgp_speaker *sp, struct peer *p, const uint8_t *m, size_t len)
{
	int st = atomic_load(&p->state);
	uint8_t type = m[18];
	struct ofd_bgp_err fsm = {OFD_BGP_ERR_FSM, 0, NULL, 0, "unexpected message in this state"};
	if (type == OFD_BGP_NOTIFICATION) {
		struct ofd_bgp_notification n;
		atomic_fetch_add(&sp->cnt.notif_recv, 1);
		if (!ofd_bgp_notification_parse(m, len, &n))
			logf_(sp, 1, "router %s: NOTIFICATION %u/%u received%s%s", p->name, n.code, n.subcode,
			      n.has_text ? ": " : "", n.has_text ? n.text : "");
		peer_close(sp, p, "NOTIFICATION received", 0);
		return;
	}
	if (p->sess.hold_time)
		p->hold_deadline = ofd_time_mono_ns() + p->sess.hold_time * SEC;
	switch (type) {
	case OFD_BGP_OPEN:
		if (st != OFD_BGPS_OPENSENT)
			return reset(sp, p, &fsm);
		return on_open(sp, p, m, len);
	case OFD_BGP_KEEPALIVE:
		if (st == OFD_BGPS_OPENCONFIRM) {
			atomic_store(&p->state, OFD_BGPS_ESTABLISHED);
			atomic_fetch_add(&sp->cnt.up, 1);
			logf_(sp, 0, "router %s: session established (AS %u)", p->name, p->theirs.asn);
		} else if (st != OFD_BGPS_ESTABLISHED) {
			reset(sp, p, &fsm);
		}
		return;
	case OFD_BGP_UPDATE:
		if (st != OFD_BGPS_ESTABLISHED)
			return reset(sp, p, &fsm);
		return on_update(sp, p, m, len);
	case OFD_BGP_ROUTE_REFRESH: /* we announce nothing: nothing to refresh */ return;
	default: return;
	}
}

static void on_readable(struct ofd_bgp_speaker *sp, struct peer *p)
{
	for (int rounds = 0; rounds < 64 && p->fd >= 0; rounds++) {
		ssize_t r = recv(p->fd, p->rx + p->rx_n, RX_CAP - p->rx_n, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			peer_close(sp, p, r == 0 ? "connection closed" : strerror(errno), 1);
			return;
		}
		if (r < 0)
			return;
		p->rx_n += (size_t)r;
		size_t off = 0;
		while (p->fd >= 0) {
			size_t ml;
			struct ofd_bgp_err e;
			size_t max = p->sess.ext_msg ? OFD_BGP_EXT_MAX_LEN : OFD_BGP_MAX_LEN;
			int rc = ofd_bgp_frame(p->rx + off, p->rx_n - off, max, &ml, &e);
			if (rc < 0) {
				atomic_fetch_add(&sp->cnt.malformed, 1);
				reset(sp, p, &e);
				return;
			}
			if (rc == 0)
				break;
			on_msg(sp, p, p->rx + off, ml);
			off += ml;
		}
		if (p->fd < 0)
			return;
		memmove(p->rx, p->rx + off, p->rx_n - off);
		p->rx_n -= off;
	}
}

static void on_connected(struct ofd_bgp_speaker *sp, struct peer *p)
{
	int e = 0;
	socklen_t l = sizeof(e);
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &l) || e) {
		close(p->fd);
		p->fd = -1;
		atomic_store(&p->state, OFD_BGPS_IDLE);
		return;
	}
	start_open(sp, p);
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void timers(struct ofd_bgp_speaker *sp, struct peer *p, uint64_t now)
{
	int st = atomic_load(&p->state);
	if (p->fd >= 0 && now >= p->hold_deadline) {
		if (st == OFD_BGPS_CONNECT) {
			close(p->fd);
			p->fd = -1;
			atomic_store(&p->state, OFD_BGPS_IDLE);
		} else {
			struct ofd_bgp_err e = {OFD_BGP_ERR_HOLD, 0, NULL, 0, "hold timer expired"};
			reset(sp, p, &e);
		}
	}
	st = atomic_load(&p->state);
	if (p->fd >= 0 && st >= OFD_BGPS_OPENCONFIRM && now >= p->ka_next) {
		uint8_t ka[OFD_BGP_HDR_LEN];
		queue(p, ka, ofd_bgp_keepalive_build(ka, sizeof(ka)));
		p->ka_next = now + p->sess.hold_time * SEC / 3;
	}
	if (p->fd < 0 && p->c.active && now >= p->connect_next)
		do_connect(sp, p, now);
	if (p->stale && now >= p->stale_deadline) {
		size_t n = ofd_bgp_rib_sweep_stale(p->rib);
		atomic_fetch_add(&sp->cnt.stale_swept, n);
		p->stale = 0;
		logf_(sp, 0, "router %s: restart time over, %zu stale paths removed", p->name, n);
	}
	atomic_store_explicit(&p->n_paths, ofd_bgp_rib_paths(p->rib, NULL), memory_order_relaxed);
	uint64_t sets;
	ofd_bgp_rib_paths(p->rib, &sets);
	atomic_store_explicit(&p->n_sets, sets, memory_order_relaxed);
	uint64_t refused = ofd_bgp_rib_refused(p->rib);
	if (refused != p->refused_seen) {
		if (!p->refused_seen)
			logf_(sp, 1, "router %s: more than %zu paths: the rest refused (counted)", p->name,
			      sp->c.max_paths);
		atomic_fetch_add(&sp->cnt.routes_refused, refused - p->refused_seen);
		p->refused_seen = refused;
	}
	if (ofd_bgp_rib_dirty(p->rib) && now - p->last_publish >= sp->c.snapshot_ns) {
		if (ofd_bgp_rib_publish(p->rib, 0) > 0) {
			p->last_publish = now;
#ifdef __GLIBC__
			/* the lpm's build list and the retired snapshot's pages go back to the system:
			   glibc keeps freed chunks under its (grown) mmap threshold resident otherwise */
			malloc_trim(0);
#endif
		}
	} else {
		ofd_bgp_rib_reap(p->rib);
	}
}

void ofd_bgp_speaker_poll(struct ofd_bgp_speaker *sp, int timeout_ms)
{
	struct pollfd pf[OFD_BGP_PEERS_MAX + 1];
	struct peer *who[OFD_BGP_PEERS_MAX + 1];
	nfds_t n = 0;
	if (sp->lfd >= 0) {
		pf[n] = (struct pollfd){sp->lfd, POLLIN, 0};
		who[n++] = NULL;
	}
	for (size_t i = 0; i < sp->n && n < OFD_BGP_PEERS_MAX + 1; i++) {
		struct peer *p = &sp->peers[i];
		if (p->fd < 0)
			continue;
		short ev = atomic_load(&p->state) == OFD_BGPS_CONNECT ? POLLOUT : POLLIN;
		if (p->tx_n)
			ev |= POLLOUT;
		pf[n] = (struct pollfd){p->fd, ev, 0};
		who[n++] = p;
	}
	int rc = poll(pf, n, timeout_ms);
	for (nfds_t i = 0; rc > 0 && i < n; i++) {
		if (!pf[i].revents)
			continue;
		struct peer *p = who[i];
		if (!p) {
			do_accept(sp);
			continue;
		}
		if (p->fd != pf[i].fd)
			continue; /* replaced meanwhile */
		if (atomic_load(&p->state) == OFD_BGPS_CONNECT) {
			on_connected(sp, p);
			continue;
		}
		if (pf[i].revents & POLLOUT)
			flush(p);
		if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
			on_readable(sp, p);
	}
	uint64_t now = ofd_time_mono_ns();
	for (size_t i = 0; i < sp->n; i++)
		timers(sp, &sp->peers[i], now);
}

uint16_t ofd_bgp_speaker_port(const struct ofd_bgp_speaker *sp)
{
	return sp->lport;
}
size_t ofd_bgp_speaker_npeers(const struct ofd_bgp_speaker *sp)
{
	return sp->n;
}
struct ofd_bgp_rib *ofd_bgp_speaker_rib(struct ofd_bgp_speaker *sp, size_t i)
{
	return sp->peers[i].rib;
}
const struct ofd_bgp_peer_cfg *ofd_bgp_speaker_peer(const struct ofd_bgp_speaker *sp, size_t i)
{
	return &sp->peers[i].c;
}
enum ofd_bgp_state ofd_bgp_speaker_state(const struct ofd_bgp_speaker *sp, size_t i)
{
	return (enum ofd_bgp_state)atomic_load(&sp->peers[i].state);
}
uint64_t ofd_bgp_speaker_routes(const struct ofd_bgp_speaker *sp, size_t i, uint64_t *sets)
{
	if (sets)
		*sets = atomic_load_explicit(&sp->peers[i].n_sets, memory_order_relaxed);
	return atomic_load_explicit(&sp->peers[i].n_paths, memory_order_relaxed);
}
struct ofd_bgp_counters *ofd_bgp_speaker_counters(struct ofd_bgp_speaker *sp)
{
	return &sp->cnt;
}
void ofd_bgp_speaker_set_log(struct ofd_bgp_speaker *sp, ofd_bgp_log_fn fn, void *ctx)
{
	sp->log = fn;
	sp->log_ctx = ctx;
}

void ofd_bgp_speaker_free(struct ofd_bgp_speaker *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->n; i++) {
		struct peer *p = &sp->peers[i];
		if (p->fd >= 0) {
			struct ofd_bgp_err e = {OFD_BGP_ERR_CEASE, 2, NULL, 0, "shutting down"};
			send_notification(p, e.code, e.subcode, NULL, 0);
			close(p->fd);
		}
		ofd_bgp_rib_free(p->rib);
	}
	if (sp->lfd >= 0)
		close(sp->lfd);
	free(sp->peers);
	free(sp);
}
