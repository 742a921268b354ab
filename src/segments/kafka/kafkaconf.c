#include "kafkaconf.h"

#include <stdio.h>

const char *const ofd_kafka_mechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", NULL};

int ofd_kafka_set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen)
{
	char why[256];
	if (rd_kafka_conf_set(c, k, v, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "librdkafka setting %s: %s", k, why);
	return OFD_ECONFIG;
}

int ofd_kafka_set_ms(rd_kafka_conf_t *c, const char *k, uint64_t ns, uint64_t max_ms, char *err,
		     size_t errlen)
{
	char v[24];
	uint64_t ms = ns / 1000000u;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(ms > max_ms ? max_ms : ms));
	return ofd_kafka_set(c, k, v, err, errlen);
}

rd_kafka_conf_t *ofd_kafka_conf_new(const struct ofd_kafka_conn *k, char *err, size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	const char *proto =
	    k->tls ? (k->auth ? "SASL_SSL" : "SSL") : (k->auth ? "SASL_PLAINTEXT" : "PLAINTEXT");
	int rc = ofd_kafka_set(c, "bootstrap.servers", k->server, err, errlen);
	rc = rc ? rc : ofd_kafka_set(c, "client.id", "overflowd", err, errlen);
	rc = rc ? rc : ofd_kafka_set(c, "security.protocol", proto, err, errlen);
	if (k->auth) {
		rc =
		    rc ? rc
		       : ofd_kafka_set(c, "sasl.mechanisms", ofd_kafka_mechanisms[k->mechanism], err, errlen);
		if (!rc && k->user)
			rc = ofd_kafka_set(c, "sasl.username", k->user, err, errlen);
		if (!rc && k->pass)
			rc = ofd_kafka_set(c, "sasl.password", k->pass, err, errlen);
	}
	if (!rc && k->kafka_version && *k->kafka_version)
		rc = ofd_kafka_set(c, "broker.version.fallback", k->kafka_version, err, errlen);
	if (rc) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	return c;
}

int ofd_kafka_conf_properties(rd_kafka_conf_t *c, const struct ofd_kafka_conn *k, char *err, size_t errlen)
{
	const struct ofd_cfg_node *p = k->properties;
	if (!p)
		return 0;
	if (p->kind != OFD_CFGN_MAP) {
		snprintf(err, errlen, "key properties: a map of librdkafka settings expected");
		return OFD_ECONFIG;
	}
	for (size_t i = 0; i < p->n; i++) {
		char why[300];
		if (p->items[i]->kind != OFD_CFGN_SCALAR) {
			snprintf(err, errlen, "key properties.%.64s: a scalar expected", p->keys[i]);
			return OFD_ECONFIG;
		}
		if (ofd_kafka_set(c, p->keys[i], p->items[i]->text, why, sizeof(why))) {
			snprintf(err, errlen, "key properties: %s", why);
			return OFD_ECONFIG;
		}
	}
	return 0;
}

int ofd_kafka_conn_start(struct ofd_segment *seg, const struct ofd_kafka_conn *k)
{
	if (k->auth && (!k->user || !*k->user || !k->pass || !*k->pass)) {
		ofd_seg_log(seg, OFD_LOG_ERR, "auth is true but %s empty (set user and pass, or auth: false)",
			    !k->user || !*k->user ? "user is" : "pass is");
		return OFD_ECONFIG;
	}
	if (k->auth && !k->tls)
		ofd_seg_log(seg, OFD_LOG_WARN, "auth without tls: the password crosses the network in clear");
	return 0;
}
