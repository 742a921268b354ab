/* The RTR client's state (net/rtr.c, net/rtr_info.c): private to them. */
#ifndef OFD_NET_RTR_INT_H
#define OFD_NET_RTR_INT_H

#include <stdint.h>

#include "net/rtr.h"
#include "net/vrp_table.h"

#define OUT_CAP 512 /* queued output: one query or one Error Report */

enum { ST_CLOSED = 0, ST_IDLE, ST_QUERY_SENT, ST_IN_RESPONSE };

struct ofd_rtr {
	struct ofd_rtr_opts o;
	unsigned version;
	int version_fixed; /* a PDU of our version came on this connection */
	int st;
	int query_reset;    /* the query in flight is a Reset Query */
	int notify_pending; /* a Serial Notify came during a response */
	size_t changes;	    /* prefix PDUs in the response being read */
	int have_session;
	uint16_t session;
	uint32_t serial;
	unsigned refresh, retry, expire;
	int have_set;
	int expired_reported;
	int64_t last_eod, query_at, next_query_at;
	struct ofd_vrp_table cur, pend;
	uint8_t *in;
	size_t in_len;
	uint8_t out[OUT_CAP];
	size_t out_len;
	struct ofd_vrpset *ready;
	char err[321];
	struct ofd_rtr_stats stats;
};

#endif
