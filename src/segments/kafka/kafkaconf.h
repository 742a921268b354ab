/*
 * What flowpipeline's two Kafka segments (kafkaproducer, kafkaconsumer) share: the connection
 * keys (server, user, pass, tls, auth, mechanism, kafka-version, properties), their checks and
 * their librdkafka settings. A segment embeds struct ofd_kafka_conn in its state, declares the
 * keys with OFD_KAFKA_CONN_KEYS(its state type, the member), and builds its rd_kafka_conf_t
 * with ofd_kafka_conf_new() before adding its own settings, then ofd_kafka_conf_properties()
 * last. Built into a segment's stanza (SOURCES ... kafka/kafkaconf.c PKGS rdkafka); CMake adds
 * the file once however many stanzas name it.
 */
#ifndef OFD_SEG_KAFKACONF_H
#define OFD_SEG_KAFKACONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "ofd/cfg.h"
#include "ofd/segment.h"

struct ofd_kafka_conn {
	char *server, *user, *pass, *kafka_version;
	int tls, auth, mechanism;
	const struct ofd_cfg_node *properties;
};

extern const char *const ofd_kafka_mechanisms[]; /* PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 */

#define OFD_KAFKA_CONN_KEYS(T, m)                                                                            \
	OFD_KEY("server", OFD_CFG_STRING, T, m.server, .required = 1,                                        \
		.help =                                                                                      \
		    "the brokers to start from, HOST:PORT[,HOST:PORT...] (librdkafka's bootstrap.servers)"), \
	    OFD_KEY("user", OFD_CFG_STRING, T, m.user, .help = "SASL user name (with auth: true)"),          \
	    OFD_KEY("pass", OFD_CFG_STRING, T, m.pass, .help = "SASL password (with auth: true)"),           \
	    OFD_KEY("tls", OFD_CFG_BOOL, T, m.tls, .def = "true",                                            \
		    .help = "TLS to the brokers, verified against the system's CA certificates and the "     \
			    "broker's name (flowpipeline's default: true)"),                                 \
	    OFD_KEY("auth", OFD_CFG_BOOL, T, m.auth, .def = "true",                                          \
		    .help = "SASL authentication with user and pass, both required: refused at start when "  \
			    "either is empty (flowpipeline's default: true)"),                               \
	    OFD_KEY(                                                                                         \
		"mechanism", OFD_CFG_ENUM, T, m.mechanism, .def = "PLAIN", .choices = ofd_kafka_mechanisms,  \
		.help = "the SASL mechanism: PLAIN (flowpipeline's, sarama's default), SCRAM-SHA-256 or "    \
			"SCRAM-SHA-512"),                                                                    \
	    OFD_KEY("kafka-version", OFD_CFG_STRING, T, m.kafka_version,                                     \
		    .help =                                                                                  \
			"the brokers' version, as librdkafka's broker.version.fallback: used only where a "  \
			"broker does not answer ApiVersionRequest (before Kafka 0.10); newer brokers say "   \
			"themselves"),                                                                       \
	    OFD_KEY("properties", OFD_CFG_NODE, T, m.properties,                                             \
		    .help = "a map of librdkafka settings applied last (e.g. {ssl.ca.location: "             \
			    "/etc/kafka/ca.pem, partitioner: murmur2_random}), for operators")

/* Set k to v, or OFD_ECONFIG with "librdkafka setting K: reason" in err. */
int ofd_kafka_set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen);
/* A duration in ns as milliseconds (at most max_ms). */
int ofd_kafka_set_ms(rd_kafka_conf_t *c, const char *k, uint64_t ns, uint64_t max_ms, char *err,
		     size_t errlen);

/* A configuration with the connection settings (bootstrap.servers, client.id, security.protocol,
   SASL, broker.version.fallback); NULL with the reason in err. */
rd_kafka_conf_t *ofd_kafka_conf_new(const struct ofd_kafka_conn *k, char *err, size_t errlen);
/* The `properties` map onto c (call last); 0 or OFD_ECONFIG with the reason in err. */
int ofd_kafka_conf_properties(rd_kafka_conf_t *c, const struct ofd_kafka_conn *k, char *err, size_t errlen);

/* At start (init): auth with an empty user or pass is refused (logged, OFD_ECONFIG); auth
   without tls is warned about. Not in check(): --check often runs where the secret is unset. */
int ofd_kafka_conn_start(struct ofd_segment *seg, const struct ofd_kafka_conn *k);

#endif
