/* The influx output's state, shared by influx.c (config, rendering) and influx_http.c (the
   writer pool's connections: libcurl). */
#ifndef OFD_SEG_INFLUX_H
#define OFD_SEG_INFLUX_H

#include <stdatomic.h>
#include <stdint.h>

#include "ofd/segment.h"
#include "segments/common/lineproto.h"
#include "segments/common/wpool.h"

enum { INFLUX_AUTO, INFLUX_V1, INFLUX_V2 };
enum { TS_NOW, TS_RECEIVED, TS_START, TS_END };

/* counters: the pool's first */
enum { C_WRITTEN, C_LOST, C_RETRIED, C_WAITS, C_REFUSED, C_TOO_LARGE, C_CLAMPED, C_FALLBACKS };

struct influx_state {
	/* config */
	char *address, *org, *bucket, *token, *measurement;
	struct ofd_strlist tags, fields;
	int api;       /* INFLUX_* */
	int time_from; /* TS_* */
	uint64_t batchsize, flush_ns, workers, retries, backoff_ns, timeout_ns;
	/* derived */
	char *url_v1, *url_v2;
	char *auth_header;  /* "Authorization: Token TOKEN" */
	char *userpwd;	    /* v1: "user:password" when the token has a colon, else NULL */
	atomic_int api_now; /* INFLUX_V1 or INFLUX_V2: what auto found */
	struct ofd_segment *seg;
	struct ofd_lp lp;
	struct ofd_wpool *wp;
	uint64_t last_ts; /* TS_NOW: the last timestamp given (strictly increasing) */
	int curl_inited;
};

extern const struct ofd_wpool_ops influx_ops;

/* curl_global_init and the URLs/headers from the config: 0, or an error logged. */
int influx_http_init(struct ofd_segment *seg, struct influx_state *s);
void influx_http_fini(struct influx_state *s);

#endif
