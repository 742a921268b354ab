/*
 * The Prometheus text exposition (format 0.0.4, as format/promtext.h writes it) as JSON, for the
 * status page (metrics_http.h's /api/status): {"families":[{"name":N,"type":T,"help":H,
 * "samples":[{"labels":{"segment":"in",...},"value":V},...]},...]} in the text's order. V is a
 * number (NaN and infinities: null). Label values are unescaped (\\ \" \n). A sample line before
 * any # TYPE of its family gets a family of type "untyped".
 */
#ifndef OFD_OBS_PROMJSON_H
#define OFD_OBS_PROMJSON_H

#include <stddef.h>

#include "ofd/err.h"

struct json_t;

/* 0 with *out set (a new reference), OFD_EFORMAT for a malformed line, -ENOMEM. */
int ofd_promjson(const char *text, size_t len, struct json_t **out) OFD_MUST_CHECK;

#endif
