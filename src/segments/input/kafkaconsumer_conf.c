/*
 * kafkaconsumer: the librdkafka configuration of the segment's keys (flowpipeline's meanings,
 * see kafkaconsumer.c; the connection keys shared with kafkaproducer in
 * src/segments/kafka/kafkaconf.h) and the topic list. Built once by check() (so a bad value or property is
 * refused by --check, nothing opened) and once per worker by init().
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kafkaconsumer.h"

/* One name of a comma-separated list: p[0..n) without surrounding blanks. */
static void kc_trim(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p))
		(*p)++, (*n)--;
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

static int kc_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && !strncasecmp(p, name, n);
}

int kc_strategy(const char *names, char *out, size_t outlen, int *dropped_sticky, char *err, size_t errlen)
{
	int sticky = 0, range = 0, rr = 0;
	const char *p = names ? names : "";
	*dropped_sticky = 0;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		const char *q = p;
		kc_trim(&q, &n);
		if (kc_is(q, n, "sticky") || kc_is(q, n, "cooperative-sticky")) {
			sticky = 1;
		} else if (kc_is(q, n, "roundrobin")) {
			rr = rr ? rr : 1 + range;
		} else if (kc_is(q, n, "range")) {
			range = range ? range : 1 + rr;
		} else if (n) {
			snprintf(err, errlen,
				 "key strategy: unknown strategy '%.*s' (sticky, roundrobin, range)",
				 (int)(n > 64 ? 64 : n), q);
			return -1;
		}
		if (!c)
			break;
		p = c + 1;
	}
	if (!sticky && !rr && !range) {
		snprintf(err, errlen, "key strategy: no strategy given (sticky, roundrobin, range)");
		return -1;
	}
	/* librdkafka has no eager sticky assignor and refuses to mix the cooperative one with
	   eager ones: with roundrobin or range, sticky is left out */
	if (sticky && (rr || range))
		*dropped_sticky = 1;
	if (!rr && !range)
		snprintf(out, outlen, "cooperative-sticky");
	else if (rr && range)
		snprintf(out, outlen, "%s", rr < range ? "roundrobin,range" : "range,roundrobin");
	else
		snprintf(out, outlen, "%s", rr ? "roundrobin" : "range");
	return 0;
}

rd_kafka_topic_partition_list_t *kc_topics(const struct kc_state *s, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
	for (size_t i = 0; i < s->topic.n; i++) {
		const char *p = s->topic.v[i];
		for (;;) {
			const char *c = strchr(p, ',');
			size_t n = c ? (size_t)(c - p) : strlen(p);
			const char *q = p;
			kc_trim(&q, &n);
			if (n) {
				char name[256];
				if (n >= sizeof(name)) {
					snprintf(err, errlen,
						 "key topic: a topic name of %zu bytes (at most 249)", n);
					rd_kafka_topic_partition_list_destroy(l);
					return NULL;
				}
				memcpy(name, q, n);
				name[n] = '\0';
				if (!rd_kafka_topic_partition_list_find(l, name, RD_KAFKA_PARTITION_UA))
					rd_kafka_topic_partition_list_add(l, name, RD_KAFKA_PARTITION_UA);
			}
			if (!c)
				break;
			p = c + 1;
		}
	}
	if (l->cnt == 0) {
		snprintf(err, errlen, "key topic: no topic given");
		rd_kafka_topic_partition_list_destroy(l);
		return NULL;
	}
	return l;
}

rd_kafka_conf_t *kc_conf_new(const struct kc_state *s, char *err, size_t errlen)
{
	char strat[64];
	int dropped;
	if (kc_strategy(s->strategy, strat, sizeof(strat), &dropped, err, errlen))
		return NULL;
	rd_kafka_conf_t *c = ofd_kafka_conf_new(&s->conn, err, errlen);
	if (!c)
		return NULL;
	int rc = ofd_kafka_set(c, "group.id", s->group, err, errlen);
	rc = rc ? rc
		: ofd_kafka_set(c, "auto.offset.reset", s->startat == KC_START_OLDEST ? "earliest" : "latest",
				err, errlen);
	rc = rc ? rc : ofd_kafka_set(c, "partition.assignment.strategy", strat, err, errlen);
	rc = rc ? rc
		: ofd_kafka_set_ms(c, "socket.connection.setup.timeout.ms", s->timeout_ns, INT32_MAX, err,
				   errlen);
	rc = rc ? rc : ofd_kafka_conf_properties(c, &s->conn, err, errlen);
	/* after `properties`: with commit, an auto commit or offset store there would commit what is
	   not through (use commit: false for that) */
	rc = rc ? rc : ofd_kafka_set(c, "enable.auto.commit", s->commit ? "false" : "true", err, errlen);
	rc =
	    rc ? rc : ofd_kafka_set(c, "enable.auto.offset.store", s->commit ? "false" : "true", err, errlen);
	if (rc) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	return c;
}
