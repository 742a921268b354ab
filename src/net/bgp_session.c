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

#include "net/bgp_session_int.h"
#include "ofd/time.h"

void bgp_logf(struct ofd_bgp_speaker *sp, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bgp_logf(struct ofd_bgp_speaker *sp, int err, const char *fmt, ...)
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

int ofd_bgp_listen(const struct ofd_ip *ip, uint16_t port, int *fd_out, uint16_t *port_out, char *err,
		   size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sa_of(&ss, ip, port);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 16)) {
		int e = errno;
		snprintf(err, errlen, "listen on port %u: %s", port, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*fd_out = fd;
	*port_out = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
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
		int rc = ofd_bgp_listen(&c->listen, c->listen_port, &sp->lfd, &sp->lport, err, errlen);
		if (rc) {
			ofd_bgp_speaker_free(sp);
			return rc;
		}
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

void bgp_queue(struct peer *p, const uint8_t *m, int len)
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
	bgp_queue(p, m, ofd_bgp_notification_build(m, sizeof(m), code, sub, d, dl));
}

/* ---- session loss ------------------------------------------------------------------------ */

/* gr: the session ended without a NOTIFICATION either way (TCP failure): graceful restart
 * applies (RFC 4724 4.2) when the peer announced it; after a NOTIFICATION it does not (no
 * RFC 8538 N bit in our OPEN). */
void bgp_peer_close(struct ofd_bgp_speaker *sp, struct peer *p, const char *why, int gr)
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
			size_t n = ofd_bgp_rib_mark_stale_src(p->rib, 0);
			atomic_fetch_add(&sp->cnt.stale_kept, n);
			p->stale = 1;
			p->stale_deadline = now + t;
			bgp_logf(
			    sp, 0,
			    "router %s: session down (%s), %zu paths kept stale for %us (graceful restart)",
			    p->name, why, n, (unsigned)(t / SEC));
		} else {
			ofd_bgp_rib_remove_src(p->rib, 0); /* the session's; a BMP feed's stay */
			p->stale = 0;
			bgp_logf(sp, 0, "router %s: session down (%s), routes removed", p->name, why);
		}
	}
	atomic_store(&p->state, OFD_BGPS_IDLE);
	p->connect_next = now + sp->c.connect_retry_ns;
}

void bgp_reset(struct ofd_bgp_speaker *sp, struct peer *p, const struct ofd_bgp_err *e)
{
	send_notification(p, e->code, e->subcode, e->data, e->data_len);
	atomic_fetch_add(&sp->cnt.resets, 1);
	bgp_logf(sp, 1, "router %s: NOTIFICATION %u/%u sent (%s), session reset", p->name, e->code,
		 e->subcode, e->reason ? e->reason : "?");
	bgp_peer_close(sp, p, e->reason ? e->reason : "error", 0);
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
		bgp_logf(sp, 1, "router %s: cannot build our OPEN", p->name);
		bgp_peer_close(sp, p, "bad local config", 0);
		return;
	}
	int one = 1;
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bgp_queue(p, m, len);
	atomic_store(&p->state, OFD_BGPS_OPENSENT);
	p->hold_deadline = ofd_time_mono_ns() + OPEN_HOLD_NS;
}

int ofd_bgp_accept(const struct ofd_bgp_speaker *sp, int lfd, struct ofd_ip *ip, int *router)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	ip_of(ip, &ss);
	*router = -1;
	for (size_t i = 0; i < sp->n && *router < 0; i++)
		for (unsigned j = 0; j < sp->peers[i].c.n_addr; j++)
			if (!memcmp(sp->peers[i].c.addr[j].b, ip->b, 16))
				*router = (int)i;
	return fd;
}

static void do_accept(struct ofd_bgp_speaker *sp)
{
	for (int k = 0; k < 16; k++) {
		struct ofd_ip ip;
		int i, fd = ofd_bgp_accept(sp, sp->lfd, &ip, &i);
		if (fd < 0)
			return;
		struct peer *p = i >= 0 ? &sp->peers[i] : NULL;
		if (!p || atomic_load(&p->state) == OFD_BGPS_ESTABLISHED) {
			char a[OFD_IP_STRLEN];
			ofd_ip_str(&ip, a);
			atomic_fetch_add(&sp->cnt.refused_peers, 1);
			bgp_logf(sp, 1, "connection from %s refused (%s)", a,
				 p ? "session established" : "not a router");
			close(fd);
			continue;
		}
		if (p->fd >= 0)
			bgp_peer_close(sp, p, "replaced by an incoming connection", 1);
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
			bgp_reset(sp, p, &e);
		}
	}
	st = atomic_load(&p->state);
	if (p->fd >= 0 && st >= OFD_BGPS_OPENCONFIRM && now >= p->ka_next) {
		uint8_t ka[OFD_BGP_HDR_LEN];
		bgp_queue(p, ka, ofd_bgp_keepalive_build(ka, sizeof(ka)));
		p->ka_next = now + p->sess.hold_time * SEC / 3;
	}
	if (p->fd < 0 && p->c.active && now >= p->connect_next)
		do_connect(sp, p, now);
	if (p->stale && now >= p->stale_deadline) {
		size_t n = ofd_bgp_rib_sweep_stale(p->rib);
		atomic_fetch_add(&sp->cnt.stale_swept, n);
		p->stale = 0;
		bgp_logf(sp, 0, "router %s: restart time over, %zu stale paths removed", p->name, n);
	}
	atomic_store_explicit(&p->n_paths, ofd_bgp_rib_paths(p->rib, NULL), memory_order_relaxed);
	uint64_t sets;
	ofd_bgp_rib_paths(p->rib, &sets);
	atomic_store_explicit(&p->n_sets, sets, memory_order_relaxed);
	uint64_t refused = ofd_bgp_rib_refused(p->rib);
	if (refused != p->refused_seen) {
		if (!p->refused_seen)
			bgp_logf(sp, 1, "router %s: more than %zu paths: the rest refused (counted)", p->name,
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
	struct pollfd pf[OFD_BGP_PEERS_MAX + 1 + OFD_BGP_HOOK_FDS_MAX];
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
	nfds_t own = n, ext = 0;
	if (sp->hook.fill) {
		ext = sp->hook.fill(sp->hook.ctx, pf + own, OFD_BGP_HOOK_FDS_MAX);
		if (ext > OFD_BGP_HOOK_FDS_MAX)
			ext = OFD_BGP_HOOK_FDS_MAX;
		n += ext;
	}
	int rc = poll(pf, n, timeout_ms);
	for (nfds_t i = 0; rc > 0 && i < own; i++) {
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
			bgp_on_readable(sp, p);
	}
	if (sp->hook.ready && ext)
		sp->hook.ready(sp->hook.ctx, pf + own, (unsigned)ext); /* revents 0 after a timeout */
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
void ofd_bgp_speaker_set_hook(struct ofd_bgp_speaker *sp, const struct ofd_bgp_poll_hook *h)
{
	if (h)
		sp->hook = *h;
	else
		memset(&sp->hook, 0, sizeof(sp->hook));
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
