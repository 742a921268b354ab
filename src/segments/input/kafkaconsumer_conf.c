/*
 * kafkaconsumer: the librdkafka configuration of the segment's keys (flowpipeline's meanings,
 * see kafkaconsumer.c) and the topic list. Built once by check() (so a bad value or property is
 * refused by --check, nothing opened) and once per worker by init().
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kafkaconsumer.h"

static int kc_set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen)
{
	char e[256];
	if (rd_kafka_conf_set(c, k, v, e, sizeof(e)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "%s", e);
	return -1;
}

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

/* N.N[.N[.N]] */
static int kc_version_ok(const char *v)
{
	int parts = 0, digits = 0;
	for (const char *p = v;; p++) {
		if (isdigit((unsigned char)*p)) {
			digits++;
			continue;
		}
		if (!digits || digits > 5)
			return 0;
		parts++, digits = 0;
		if (*p == '\0')
			break;
		if (*p != '.')
			return 0;
	}
	return parts >= 2 && parts <= 4;
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

static int kc_properties(rd_kafka_conf_t *c, const struct ofd_cfg_node *m, char *err, size_t errlen)
{
	if (!m)
		return 0;
	if (m->kind != OFD_CFGN_MAP) {
		snprintf(err, errlen, "key properties: a map of librdkafka settings expected (name: value)");
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct ofd_cfg_node *v = m->items[i];
		if (v->kind != OFD_CFGN_SCALAR) {
			snprintf(err, errlen, "key properties.%s: a scalar value expected", m->keys[i]);
			return -1;
		}
		char e[256];
		if (kc_set(c, m->keys[i], v->text ? v->text : "", e, sizeof(e))) {
			snprintf(err, errlen, "key properties.%s: %s", m->keys[i], e);
			return -1;
		}
	}
	return 0;
}

rd_kafka_conf_t *kc_conf_new(const struct kc_state *s, char *err, size_t errlen)
{
	char strat[64], num[32], e[256];
	int dropped;
	if (s->auth && (!s->user || !s->user[0] || !s->pass || !s->pass[0])) {
		snprintf(err, errlen,
			 "keys user and pass are required while auth is true (auth: false for none)");
		return NULL;
	}
	if (s->kafka_version && s->kafka_version[0] && !kc_version_ok(s->kafka_version)) {
		snprintf(err, errlen, "key kafka-version: '%s' is not a version (such as 2.4.0)",
			 s->kafka_version);
		return NULL;
	}
	if (kc_strategy(s->strategy, strat, sizeof(strat), &dropped, err, errlen))
		return NULL;
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	const char *proto =
	    s->tls ? (s->auth ? "SASL_SSL" : "SSL") : (s->auth ? "SASL_PLAINTEXT" : "PLAINTEXT");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)(s->timeout_ns / 1000000));
	int bad = kc_set(c, "bootstrap.servers", s->server, e, sizeof(e)) ||
		  kc_set(c, "group.id", s->group, e, sizeof(e)) ||
		  kc_set(c, "client.id", "overflowd", e, sizeof(e)) ||
		  kc_set(c, "security.protocol", proto, e, sizeof(e)) ||
		  kc_set(c, "auto.offset.reset", s->startat == KC_START_OLDEST ? "earliest" : "latest", e,
			 sizeof(e)) ||
		  kc_set(c, "partition.assignment.strategy", strat, e, sizeof(e)) ||
		  kc_set(c, "socket.connection.setup.timeout.ms", num, e, sizeof(e)) ||
		  kc_set(c, "enable.auto.commit", s->commit ? "false" : "true", e, sizeof(e)) ||
		  kc_set(c, "enable.auto.offset.store", s->commit ? "false" : "true", e, sizeof(e));
	if (!bad && s->auth)
		bad = kc_set(c, "sasl.mechanism", "PLAIN", e, sizeof(e)) ||
		      kc_set(c, "sasl.username", s->user, e, sizeof(e)) ||
		      kc_set(c, "sasl.password", s->pass, e, sizeof(e));
	if (!bad && s->kafka_version && s->kafka_version[0])
		bad = kc_set(c, "broker.version.fallback", s->kafka_version, e, sizeof(e));
	if (bad) {
		snprintf(err, errlen, "%s", e);
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	if (kc_properties(c, s->properties, err, errlen)) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	return c;
}
