/*
 * The tracer sender's private types, shared by send.c (life cycle, relays), sendthr.c (the
 * sender thread) and admit.c (the checks and the queue, any thread). Not for other modules.
 *
 * Tracers live in slots of a fixed pool (queue_max + http_queue + 1 slots: nothing is allocated
 * after ofd_sender_new). ofd_sender_queue() takes a free slot and appends its number to the
 * queue (a ring of queue_max numbers); the sender thread takes it from the queue, makes the UDP
 * attempts at once and queues the HTTP(S) attempts in the sendq (sendq.h), each holding a
 * reference to the slot; the slot returns to the free list when no attempt needs it. The queue
 * never holds more than queue_max tracers and the sendq never more than http_queue attempts, so
 * a free slot always exists when the queue has room.
 */
#ifndef OFD_TRACER_SEND_INT_H
#define OFD_TRACER_SEND_INT_H

#include <pthread.h>

#include <curl/curl.h>

#include "net/limiter.h"
#include "ofd/log.h"
#include "tracer/hostmem.h"
#include "tracer/policy.h"
#include "tracer/ratelimit.h"
#include "tracer/send.h"
#include "tracer/sendq.h"

/* The sealed form of the largest tracer: base64 of tracer + 48 bytes, in a small JSON object. */
#define SEAL_MAX       (4 * ((OFD_TRACER_MAX + 48 + 2) / 3) + 256)
#define QUEUE_LIMIT    65536u
#define INFLIGHT_LIMIT 4096u
#define HTTPQ_LIMIT    65536u
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
	uint32_t refs;	  /* sender thread: HTTP(S) attempts still to make */
	uint64_t sealed;  /* sender thread: bit 2 x dest + form: counted as sealed */
	struct ofd_send_dests d;
	char data[OFD_TRACER_HTTP_MAX];
	char udp[OFD_TRACER_UDP_MAX];
};

struct xfer {
	CURL *easy;
	int busy, kind;
	uint32_t job; /* its sendq job */
	struct ofd_sendq_job j;
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
	uint32_t *xfree, nxfree; /* free transfers (a stack) */
	uint32_t nslots;	 /* queue_max + http_queue + 1 */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	/* under mu */
	struct slot *slots;
	uint32_t *ring;	       /* the queue: slot numbers, queue_max of them */
	uint32_t *free, nfree; /* free slots (a stack) */
	uint32_t head, count;  /* the queue */
	uint32_t jobs;	       /* HTTP(S) attempts in the sendq */
	int stop, stopped;
	struct ofd_sender_stats st;
	/* sender thread only */
	struct ofd_sendq *q;
	struct ofd_hostmem *unreach; /* NULL with relays */
	struct ofd_ratelimit rl;
	char sealbuf[SEAL_MAX];
};

/* sendthr.c */
void *ofd_sender_main(void *arg);
/* Add to a counter of s->st (takes mu). */
void ofd_sender_stat_add(struct ofd_sender *s, uint64_t *c, uint64_t n);
/* The attempts of slot q to make, from relays and methods (its UDP and HTTP(S) ones). */
uint64_t ofd_sender_slot_attempts(const struct ofd_sender *s, const struct slot *q);
/* send.c: "ADDR" or "[ADDR]" for IPv6, into buf (OFD_IP_STRLEN + 2 bytes). */
void ofd_sender_ip_host(const struct ofd_ip *ip, char *buf);
/* admit.c: give slot i back (takes mu). */
void ofd_sender_slot_release(struct ofd_sender *s, uint32_t i);

#endif
