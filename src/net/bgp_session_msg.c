/*
 * net/bgp_session: messages from a router (see bgp_session.h): framing, OPEN, KEEPALIVE,
 * UPDATE into the RIB with its RFC 7606 outcome, End-of-RIB (graceful restart sweep),
 * NOTIFICATION; the FSM transitions they cause.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net/bgp_session_int.h"
#include "ofd/time.h"

static void on_open(struct ofd_bgp_speaker *sp, struct peer *p, const uint8_t *m, size_t len)
{
	struct ofd_bgp_err e;
	if (ofd_bgp_open_parse(m, len, &p->theirs, &e)) {
		bgp_reset(sp, p, &e);
		return;
	}
	if (p->c.asn && p->theirs.asn != p->c.asn) {
		uint8_t d[2] = {(uint8_t)(p->theirs.my_as >> 8), (uint8_t)p->theirs.my_as};
		e = (struct ofd_bgp_err){OFD_BGP_ERR_OPEN, 2, d, 2, "peer AS is not the configured one"};
		bgp_reset(sp, p, &e);
		return;
	}
	ofd_bgp_negotiate(&p->ours, &p->theirs, &p->sess);
	uint8_t ka[OFD_BGP_HDR_LEN];
	bgp_queue(p, ka, ofd_bgp_keepalive_build(ka, sizeof(ka)));
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
		bgp_reset(sp, p, &u->err);
		return;
	}
	if (o == OFD_BGP_TREAT_AS_WITHDRAW) {
		atomic_fetch_add(&sp->cnt.treat_as_withdraw, 1);
		bgp_logf(sp, 1, "router %s: UPDATE treated as withdraw (%s)", p->name, u->err.reason);
	}
	if (u->eor) {
		on_eor(sp, p, u->eor_afi);
		return;
	}
	if (ofd_bgp_rib_apply_src(p->rib, u, 0) < 0) /* feed 0: BMP feeds keep theirs */
		bgp_logf(sp, 1, "router %s: out of memory applying an UPDATE", p->name);
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
			bgp_logf(sp, 1, "router %s: NOTIFICATION %u/%u received%s%s", p->name, n.code,
				 n.subcode, n.has_text ? ": " : "", n.has_text ? n.text : "");
		bgp_peer_close(sp, p, "NOTIFICATION received", 0);
		return;
	}
	if (p->sess.hold_time)
		p->hold_deadline = ofd_time_mono_ns() + p->sess.hold_time * SEC;
	switch (type) {
	case OFD_BGP_OPEN:
		if (st != OFD_BGPS_OPENSENT)
			return bgp_reset(sp, p, &fsm);
		return on_open(sp, p, m, len);
	case OFD_BGP_KEEPALIVE:
		if (st == OFD_BGPS_OPENCONFIRM) {
			atomic_store(&p->state, OFD_BGPS_ESTABLISHED);
			atomic_fetch_add(&sp->cnt.up, 1);
			bgp_logf(sp, 0, "router %s: session established (AS %u)", p->name, p->theirs.asn);
		} else if (st != OFD_BGPS_ESTABLISHED) {
			bgp_reset(sp, p, &fsm);
		}
		return;
	case OFD_BGP_UPDATE:
		if (st != OFD_BGPS_ESTABLISHED)
			return bgp_reset(sp, p, &fsm);
		return on_update(sp, p, m, len);
	case OFD_BGP_ROUTE_REFRESH: /* we announce nothing: nothing to refresh */ return;
	default: return;
	}
}

void bgp_on_readable(struct ofd_bgp_speaker *sp, struct peer *p)
{
	for (int rounds = 0; rounds < 64 && p->fd >= 0; rounds++) {
		ssize_t r = recv(p->fd, p->rx + p->rx_n, RX_CAP - p->rx_n, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			bgp_peer_close(sp, p, r == 0 ? "connection closed" : strerror(errno), 1);
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
				bgp_reset(sp, p, &e);
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
