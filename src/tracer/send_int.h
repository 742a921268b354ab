/*
 * The tracer sender's private types, shared by send.c (the sender thread, life cycle) and
 * admit.c (the checks and the queue, any thread). Not for other modules.
 */
#ifndef OFD_TRACER_SEND_INT_H
#define OFD_TRACER_SEND_INT_H

#include <pthread.h>

#include <curl/curl.h>

#include "net/limiter.h"
#include "ofd/log.h"
#include "tracer/policy.h"
#include "tracer/ratelimit.h"
#include "tracer/send.h"

/* The sealed form of the largest tracer: base64 of tracer + 48 bytes, in a small JSON object. */
#define SEAL_MAX       (4 * ((OFD_TRACER_MAX + 48 + 2) / 3) + 256)
#define QUEUE_LIMIT    65536u
#define INFLIGHT_LIMIT 4096u
#define WELL_KNOWN     "/.well-known/overflowd"

/* attempt kinds; bit k of cfg.methods is OFD_SEND_UDP << k */
enum { K_UDP = OFD_DEST_UDP, K_HTTP = OFD_DEST_HTTP, K_HTTPS = OFD_DEST_HTTPS, K__COUNT };

struct relay {
	int kind;
	int named;		    /* HOST was a name, resolved once in ofd_sender_new */
	char *url;		    /* http(s): as configured */
	struct curl_slist *resolve; /* named http(s): HOST:PORT:ADDR, so that curl never resolves */
	struct ofd_ip addr;	    /* recipients' prefixes are matched against it */
	uint16_t port;
	struct ofd_bucket bucket;
};

struct slot {
	uint32_t len;
	uint32_t udp_len; /* 0: data is the UDP form too */
	struct ofd_send_dests d;
	char data[OFD_TRACER_MAX];
	char udp[OFD_TRACER_UDP_MAX];
};

struct xfer {
	CURL *easy;
	int busy, kind;
	char url[96];
	char body[SEAL_MAX];
};

struct ofd_sender {
	struct ofd_sender_cfg cfg; /* defaults applied; arrays point at the copies below */
	struct ofd_prefix *allow, *deny;
	struct ofd_sender_recipient *recip;
	struct relay *relay;
	size_t nrelays;
	struct ofd_policy policy;
	struct ofd_limiter *addrlim;
	struct ofd_dedup *dedup; /* NULL: off */
	struct ofd_bucket global;
	int fd4, fd6;
	CURLM *multi;
	struct curl_slist *headers;
	struct xfer *xfer;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	/* under mu */
	struct slot *slots;
	uint32_t head, count, inflight;
	int stop, stopped;
	struct ofd_sender_stats st;
	/* sender thread only */
	uint32_t cursor; /* next attempt in the head slot */
	int sealed_dest; /* 2 x destination + form (1: UDP form) sealed in sealbuf, or -1 */
	size_t seal_len;
	struct ofd_ratelimit rl;
	char sealbuf[SEAL_MAX];
};

#endif
