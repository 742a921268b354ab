/*
 * kafkaconsumer's parts (src/segments/input/kafkaconsumer*.c): the state shared by the
 * segment (kafkaconsumer.c: config, workers, the poll loop, rebalances), the librdkafka
 * configuration built from the keys (kafkaconsumer_conf.c), message decoding into records
 * (kafkaconsumer_decode.c) and the at-least-once offset bookkeeping (kafkaconsumer_offsets.c).
 */
#ifndef OFD_SEG_KAFKACONSUMER_H
#define OFD_SEG_KAFKACONSUMER_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ofd/segment.h"
#include "segments/kafka/kafkaconf.h"

#define KC_WORKERS_MAX	 64
#define KC_SNAPSHOTS_MAX 64 /* flush points waiting for their records to be through */

enum kc_format { KC_FMT_PROTOBUF, KC_FMT_JSON };
enum kc_delim { KC_DELIM_AUTO, KC_DELIM_YES, KC_DELIM_NO };
enum kc_startat { KC_START_NEWEST, KC_START_OLDEST };

/* Counters (ofd_segment_count), in this order. */
enum {
	KC_C_MESSAGES,
	KC_C_RECORDS,
	KC_C_DECODE_ERRORS,
	KC_C_CONSUMER_ERRORS,
	KC_C_COMMITS,
	KC_C_COMMIT_FAILURES,
	KC_C_STRINGS,
	KC_C_LOST, /* partitions whose assignment was lost (their uncommitted messages come again) */
};

/* The offsets consumed up to one flush point: through once ofd_segment_done() >= handed. */
struct kc_snapshot {
	uint64_t handed;
	rd_kafka_topic_partition_list_t *offs; /* next offset per partition */
};

struct kc_state;

/* One consumer of the group, in a thread of its own (worker 0: start()'s thread). */
struct kc_worker {
	struct kc_state *s;
	unsigned idx;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;   /* the consumer queue: messages, rebalances, errors */
	rd_kafka_queue_t *cq;  /* results of asynchronous commits */
	struct ofd_batch *b;   /* worker 0: ofd_input_batch(); the others: own */
	struct ofd_batch *own; /* workers after the first */
	pthread_t thread;
	int started;
	int rc;
	/* offsets: consumed since the last flush point, and the flush points not yet through */
	rd_kafka_topic_partition_list_t *dirty;
	rd_kafka_topic_partition_list_t *through; /* what may be committed (all of it, each time) */
	int pending;				  /* through has offsets not known committed */
	int last_idx; /* a cache into dirty: the element of the last message's partition */
	const char *last_topic;
	int32_t last_part;
	struct kc_snapshot snap[KC_SNAPSHOTS_MAX];
	unsigned nsnap;
	uint64_t flushes; /* flush points taken */
	int finishing;	  /* fini(): everything handed on is through, no more flushing */
	uint64_t next_commit_ns;
	struct ofd_ratelimit rl_decode, rl_err, rl_commit;
	unsigned npart;			     /* partitions assigned (its thread) */
	_Atomic uint64_t lag_pub, parts_pub; /* read by collect() */
	/* per message counts, published at flush points */
	uint64_t n_msgs, n_recs, n_bad, n_strs;
};

struct kc_state {
	/* config */
	struct ofd_kafka_conn conn; /* server, user, pass, tls, auth, mechanism, kafka-version, properties */
	struct ofd_strlist topic;
	char *group;
	int startat;
	char *strategy;
	uint64_t timeout_ns;
	int legacy;
	int format;
	int delimited;
	int commit;
	uint64_t commit_interval_ns;
	uint64_t workers;
	/* run */
	struct ofd_segment *seg;
	rd_kafka_topic_partition_list_t *subscription;
	pthread_mutex_t flushmu; /* one flush and its ofd_segment_handed() at a time */
	int mu_ok;
	unsigned nw;
	struct kc_worker *w;
};

/* kafkaconsumer_conf.c */
/* The librdkafka configuration of the keys for worker w (opaque), or NULL with the reason. */
rd_kafka_conf_t *kc_conf_new(const struct kc_state *s, char *err, size_t errlen);
/* The topics of `topic` (each item split at commas), or NULL with the reason. */
rd_kafka_topic_partition_list_t *kc_topics(const struct kc_state *s, char *err, size_t errlen);
/* partition.assignment.strategy for flowpipeline's strategy names; 0 or -1 with the reason;
 *dropped_sticky set when sticky was left out (mixed with eager assignors). */
int kc_strategy(const char *names, char *out, size_t outlen, int *dropped_sticky, char *err, size_t errlen);

/* kafkaconsumer_decode.c: one message's payload into records of w->b; 0, or -1 (not decoded,
   counted by the caller). */
int kc_decode(struct kc_worker *w, const uint8_t *p, size_t n);

/* kafkaconsumer_offsets.c */
void kc_off_init(struct kc_worker *w);
void kc_off_free(struct kc_worker *w);
/* A message of (topic, partition) at offset was consumed. */
void kc_off_consumed(struct kc_worker *w, const char *topic, int32_t partition, int64_t offset);
/* Pass the batch on and note the flush point (under the state's flushmu). */
void kc_off_flush(struct kc_worker *w);
/* Commit what is through (async, or sync on revocation and at the end); -1 when a synchronous
   commit (or queueing an asynchronous one) failed: it stays pending. */
int kc_off_commit(struct kc_worker *w, int sync);
/* Count the results of asynchronous commits that have arrived. */
void kc_off_serve(struct kc_worker *w);
/* Forget revoked partitions (their offsets are no longer ours to commit). */
void kc_off_forget(struct kc_worker *w, const rd_kafka_topic_partition_list_t *revoked);

#endif
