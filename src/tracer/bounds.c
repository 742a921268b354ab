/*
 * Bounds of a tracer's signed values (see tracer.h, ofd_tracer_check_values): every number a
 * verifier hands on is one the store and the reports can hold and add up. Checked on the parsed
 * signed bytes after the signature, by every verification, so a tracer that a receiver refuses
 * for its values is one that `overflowd verify` calls invalid too.
 */
#include <jansson.h>
#include <math.h>

#include "tracer/tracer.h"

/* An integer member in [0, max]; absent is fine. */
static int int_ok(const json_t *o, const char *name, uint64_t max)
{
	const json_t *v = json_object_get(o, name);
	if (!v)
		return 1;
	if (!json_is_integer(v))
		return 0;
	json_int_t i = json_integer_value(v);
	return i >= 0 && (uint64_t)i <= max;
}

/* A time in seconds (integer or real) in [0, OFD_TRACER_TIME_MAX]; absent is fine. */
static int time_ok(const json_t *o, const char *name, double *out)
{
	const json_t *v = json_object_get(o, name);
	if (!v)
		return 1;
	if (!json_is_number(v))
		return 0;
	double t = json_number_value(v);
	if (!isfinite(t) || t < 0 || t > (double)OFD_TRACER_TIME_MAX)
		return 0;
	if (out)
		*out = t;
	return 1;
}

/* An IP address string; absent is fine. */
static int addr_ok(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);
	struct ofd_ip ip;
	if (!v)
		return 1;
	return json_is_string(v) && json_string_length(v) < OFD_IP_STRLEN &&
	       ofd_ip_parse(&ip, json_string_value(v)) == 0;
}

enum ofd_tv_error ofd_tracer_check_values(const void *doc, double *time)
{
	const json_t *fd = json_object_get(doc, "flowdata");
	const json_t *d = json_object_get(fd, "data"), *src = json_object_get(fd, "sourcetype");
	const json_t *meta = json_object_get(doc, "metadata");
	static const char *const u32s[] = {"sampling_rate", "src_as", "dst_as", "in_if", "out_if"};
	*time = 0;
	if ((d && !json_is_object(d)) || (src && !json_is_object(src)) || !json_is_object(meta))
		return OFD_TV_BAD_VALUE;
	int ok = int_ok(d, "sport", 65535) && int_ok(d, "dport", 65535) && int_ok(d, "protocol", 255) &&
		 int_ok(d, "tos", 255) && int_ok(d, "flags", 65535) &&
		 int_ok(d, "pcount", OFD_TRACER_COUNT_MAX) && int_ok(d, "bcount", OFD_TRACER_COUNT_MAX) &&
		 time_ok(d, "stime", NULL) && time_ok(d, "etime", NULL) && time_ok(meta, "time", time) &&
		 addr_ok(d, "saddr") && addr_ok(d, "daddr") && addr_ok(d, "exporter") &&
		 int_ok(src, "version", 65535);
	for (size_t i = 0; ok && i < sizeof(u32s) / sizeof(u32s[0]); i++)
		ok = int_ok(d, u32s[i], UINT32_MAX);
	if (!ok)
		*time = 0;
	return ok ? OFD_TV_OK : OFD_TV_BAD_VALUE;
}

const char *ofd_transport_name(int t)
{
	switch (t) {
	case OFD_TRANSPORT_UDP: return "udp";
	case OFD_TRANSPORT_HTTP: return "http";
	case OFD_TRANSPORT_HTTPS: return "https";
	default: return NULL;
	}
}
