/* TEMPORARY stand-in for wpool.c (being written on main): synchronous, one connection, sends in
   the caller's thread. Removed when main's wpool.c is merged. */
#include "wpool.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "ofd/log.h"
#include "ofd/segment.h"

struct ofd_wpool {
	struct ofd_segment *seg;
	const struct ofd_wpool_ops *ops;
	void *arg;
	struct ofd_wpool_conf conf;
	void *conn;
	struct ofd_wpool_chunk ch;
	uint64_t lost;
};

int ofd_wpool_start(struct ofd_wpool **out, struct ofd_segment *seg, const struct ofd_wpool_ops *ops,
		    void *arg, const struct ofd_wpool_conf *conf)
{
	struct ofd_wpool *wp = calloc(1, sizeof(*wp));
	if (!wp)
		return -ENOMEM;
	wp->seg = seg, wp->ops = ops, wp->arg = arg, wp->conf = *conf;
	wp->ch.data = malloc(conf->chunk_bytes);
	if (!wp->ch.data) {
		free(wp);
		return -ENOMEM;
	}
	wp->ch.cap = conf->chunk_bytes;
	char err[256] = "";
	wp->conn = ops->open(arg, 0, err, sizeof(err));
	if (!wp->conn)
		ofd_seg_log(seg, OFD_LOG_WARN, "connect: %s", err);
	*out = wp;
	return 0;
}

struct ofd_wpool_chunk *ofd_wpool_chunk(struct ofd_wpool *wp)
{
	return &wp->ch;
}

static void nap(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	nanosleep(&ts, NULL);
}

void ofd_wpool_submit(struct ofd_wpool *wp)
{
	if (!wp->ch.rows)
		return;
	char err[512] = "";
	uint64_t back = wp->conf.backoff_ns;
	int rc = OFD_WP_RETRY;
	for (unsigned a = 0; a <= wp->conf.retries; a++) {
		if (a) {
			ofd_segment_count(wp->seg, wp->conf.c_retried, 1);
			nap(back);
			back *= 2;
		}
		if (!wp->conn)
			wp->conn = wp->ops->open(wp->arg, 0, err, sizeof(err));
		if (!wp->conn)
			continue;
		rc = wp->ops->send(wp->arg, wp->conn, wp->ch.data, wp->ch.len, wp->ch.rows, err, sizeof(err));
		if (rc == OFD_WP_OK || rc == OFD_WP_FAIL)
			break;
		if (rc == OFD_WP_RECONNECT) {
			if (wp->ops->close)
				wp->ops->close(wp->arg, wp->conn);
			wp->conn = NULL;
		}
	}
	if (rc == OFD_WP_OK) {
		ofd_segment_count(wp->seg, wp->conf.c_written, wp->ch.rows);
	} else {
		ofd_seg_log(wp->seg, OFD_LOG_ERR, "%u rows lost: %s", wp->ch.rows, err);
		ofd_segment_count(wp->seg, wp->conf.c_lost, wp->ch.rows);
		wp->lost += wp->ch.rows;
		ofd_segment_not_through(wp->seg);
	}
	wp->ch.len = 0, wp->ch.rows = 0, wp->ch.opened_ns = 0;
}

void ofd_wpool_flush_old(struct ofd_wpool *wp, uint64_t now_ns, uint64_t age_ns)
{
	if (wp->ch.rows && now_ns - wp->ch.opened_ns >= age_ns)
		ofd_wpool_submit(wp);
}

uint64_t ofd_wpool_drain(struct ofd_wpool *wp)
{
	ofd_wpool_submit(wp);
	uint64_t l = wp->lost;
	wp->lost = 0;
	return l;
}

void ofd_wpool_stop(struct ofd_wpool *wp)
{
	if (!wp)
		return;
	ofd_wpool_submit(wp);
	if (wp->conn && wp->ops->close)
		wp->ops->close(wp->arg, wp->conn);
	free(wp->ch.data);
	free(wp);
}
