/*
 * The snmp segment's parts (snmp.c the segment, snmp_cache.c the shared cache and request
 * queue, snmp_poll.c the net-snmp poller thread, snmp_pdu.c requests and answers, snmp_text.c
 * what is made of an agent's text).
 *
 * Two threads share one `struct snmp_shared` under its mutex: process() (the pipeline's) looks
 * interfaces up, once per batch under the lock, and queues the misses; the poller (a thread of
 * the segment, the only one that calls net-snmp) takes the queue, asks the agents and publishes
 * the answers. Nothing in it grows: the cache has `maxentries` slots in buckets of 8 (a new key
 * replaces the least recently used entry of its bucket that is not being asked for), the queue
 * `queuesize` requests (a miss that finds it full is counted and asked again at a later miss).
 */
#ifndef OFD_SEG_SNMP_INT_H
#define OFD_SEG_SNMP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "net/lpm.h"
#include "ofd/segment.h"

#define SNMP_TEXT_MAX	255 /* bytes of a name or description kept (cut at a UTF-8 boundary) */
#define SNMP_BUCKET	8   /* entries per cache bucket */
#define SNMP_PER_PDU	8   /* interfaces asked for in one request (3 varbinds each) */
#define SNMP_DEAD_SLOTS 1024

/* The agent (a flow's sampler address) and one of its interfaces. */
struct snmp_key {
	uint8_t addr[16]; /* as struct ofd_ip: IPv4 v4-mapped */
	uint8_t family;	  /* OFD_AF_INET, OFD_AF_INET6 */
	uint32_t ifindex;
};

struct snmp_entry {
	struct snmp_key key;
	uint8_t used;	    /* the slot holds a key */
	uint8_t queued;	    /* a request for it is queued or in flight */
	uint8_t has_data;   /* an answer with at least one of the three values */
	uint8_t has_speed;  /* ifHighSpeed was answered */
	uint16_t name_len;  /* 0: none */
	uint16_t desc_len;  /* 0: none */
	uint64_t fetched;   /* monotonic ns of the data */
	uint64_t retry;	    /* no new request before this (monotonic ns) */
	uint64_t last_used; /* last lookup (monotonic ns), for the replacement */
	uint64_t speed;	    /* Mbit/s */
	char *text;	    /* name, NUL, description, NUL (malloc'ed by the poller); NULL: none */
};

/* A request: the key only (the entry may be replaced meanwhile). */
struct snmp_req {
	struct snmp_key key;
};

/* What the poller learned about one interface. */
enum snmp_outcome {
	SNMP_OK,      /* answered with at least one value */
	SNMP_NONE,    /* answered: no such interface (none of the three) */
	SNMP_FAILED,  /* no answer (timeout, error): ask again at `retry`, keep older data */
	SNMP_DROPPED, /* not asked (its agent is down): ask again at `retry` */
};

struct snmp_result {
	struct snmp_key key;
	enum snmp_outcome outcome;
	uint8_t has_speed;
	uint16_t name_len, desc_len;
	uint64_t speed;
	uint64_t retry; /* for SNMP_FAILED and SNMP_DROPPED */
	char *text;	/* as in the entry; handed over to the cache */
};

/* Counters (the segment's own, ofd_segment_count). */
enum {
	SNMP_C_PENDING,	    /* interface lookups that found no data (not known yet, asked for) */
	SNMP_C_QUEUE_FULL,  /* misses not queued: the queue was full */
	SNMP_C_CACHE_FULL,  /* misses not cached: every entry of the bucket was being asked for */
	SNMP_C_TIMEOUTS,    /* requests an agent did not answer in time (dead agent, wrong community) */
	SNMP_C_BAD_ANSWERS, /* answers with an error status, wrong types or OIDs not asked for */
	SNMP_C_AGENT_DOWN,  /* requests not sent: their agent timed out less than `backoff` ago */
	SNMP_C_SEND_ERRORS, /* requests that could not be sent (session, socket) */
	SNMP_C_ARENA_FULL,  /* strings not set: the batch's arena was full */
};

struct snmp_shared {
	pthread_mutex_t mu;
	struct snmp_entry *tab; /* nslots = nbuckets * SNMP_BUCKET */
	size_t nbuckets;	/* a power of two */
	size_t used;		/* slots with a key */
	struct snmp_req *q;	/* ring of qcap */
	size_t qcap, qhead, qlen;
	int wakefd;	  /* eventfd: process() -> poller, when it queued into an empty queue */
	int wake_pending; /* a wake-up is written and not yet read */
	int forget_dead;  /* SIGHUP: the poller forgets which agents are down */
	char **garbage;	  /* texts of entries process() replaced, freed by the poller */
	size_t ngarbage;
};
#define SNMP_GARBAGE 1024

/* The segment's state (config first, written by the core). */
struct snmp_state {
	/* config */
	char *community;
	char *regex;
	uint64_t connlimit;
	uint64_t cache_interval;
	uint64_t port;
	uint64_t timeout;
	uint64_t retries;
	uint64_t backoff;
	uint64_t maxentries;
	uint64_t queuesize;
	struct ofd_strlist agents;
	/* built in init() */
	struct ofd_lpm *agents_lpm; /* NULL: every sampler address is asked */
	void *re; /* pcre2_code_8 *, NULL: no capture group rule (the default keeps the text) */
	uint32_t re_groups;
	struct snmp_shared sh;
	int sh_ready;
	void *poller;
	const char *comm;    /* the community ("" or none: flowpipeline's default, public) */
	uint64_t reload_gen; /* ofd_reload_generation() last seen (tick) */
	struct ofd_segment *seg;
	/* published for collect() */
	_Atomic uint64_t hits, stale, misses, lookups_none;				   /* process() */
	_Atomic uint64_t answered, none, regex_errors, refused, entries, qdepth, inflight; /* the poller */
};

/* snmp_cache.c: the shared table and queue; every call but _init/_fini under sh->mu. */
int snmp_shared_init(struct snmp_shared *sh, size_t maxentries, size_t queuesize);
void snmp_shared_fini(struct snmp_shared *sh);
/* The entry of k, or NULL. */
struct snmp_entry *snmp_cache_find(struct snmp_shared *sh, const struct snmp_key *k);
/* A slot for k: its entry, a free one, or the least recently used one not queued of its bucket
   (emptied); NULL when every entry of the bucket is queued. *fresh says it is new. With defer
   (process()), a replaced entry's text goes to the garbage for the poller to free. */
struct snmp_entry *snmp_cache_slot(struct snmp_shared *sh, const struct snmp_key *k, int *fresh, int defer);
/* Free the texts process() replaced (the poller). */
void snmp_cache_collect(struct snmp_shared *sh);
/* Queue a request for k; 0, or -1 when the queue is full. */
int snmp_queue_push(struct snmp_shared *sh, const struct snmp_key *k);
/* Take up to n requests; how many. */
size_t snmp_queue_pop(struct snmp_shared *sh, struct snmp_req *out, size_t n);
/* Put r into the cache (the entry's old text is freed); now is monotonic ns. */
void snmp_cache_publish(struct snmp_shared *sh, struct snmp_result *r, uint64_t now);

/* snmp_text.c */
/* An agent's octets made text: trailing NULs dropped, controls (C0, DEL, C1) and bytes of no
   valid UTF-8 sequence replaced by '?', cut to at most SNMP_TEXT_MAX bytes; its length. out has
   room for SNMP_TEXT_MAX + 1 bytes and is NUL-terminated. */
size_t snmp_text_clean(char *out, const unsigned char *in, size_t n);
/* Compile the regex (PCRE2, UTF, $ at the very end only, as Go's); NULL and the reason in err. */
void *snmp_regex_compile(const char *re, char *err, size_t errlen);
void snmp_regex_free(void *re);
/* flowpipeline's rule on a description d[0..n) (not empty): when the regex matches and has a
   capture group, the description becomes group 1 ("" when it took no part); otherwise it
   stays. Returns the new length, with *start its offset in d; -1 on a match error (limits). */
long snmp_regex_apply(void *re, const char *d, size_t n, size_t *start);

/* snmp_pdu.c: requests and answers (net-snmp's struct snmp_pdu). */
struct snmp_pdu;
struct snmp_ifvals {
	char name[SNMP_TEXT_MAX + 1], desc[SNMP_TEXT_MAX + 1]; /* snmp_text_clean'ed */
	size_t name_len, desc_len;
	uint64_t speed;
	int has_name, has_desc, has_speed;
};
/* Ask for ifName, ifAlias and ifHighSpeed of ifindex in a GET. */
void snmp_request_add(struct snmp_pdu *pdu, uint32_t ifindex);
/* The values of the n interfaces ifs[] in an answer into vals[0..n); 1 when something in it was
   refused (an OID not asked for, a wrong type, more varbinds than asked for), else 0. */
int snmp_answer_parse(const struct snmp_pdu *pdu, const uint32_t *ifs, unsigned n, struct snmp_ifvals *vals);

/* snmp_poll.c: the poller (allocated in init, run as a thread of the segment, freed in fini
   after the thread was joined). */
void *snmp_poller_new(struct snmp_state *st);
void snmp_poller_free(void *p);
void snmp_poller_run(struct ofd_segment *seg, void *p);

#endif
