/*
 * Answers for the read-only web pages (the receiver's --ui, the pipeline's /status): the
 * embedded files (util/assets.h), JSON documents, and the headers every answer of such a
 * server carries (as ofd_httpd_cfg.headers): a strict Content-Security-Policy (only this
 * origin's script, style and fetches; no inline script or style, no frames, no plugins),
 * X-Content-Type-Options nosniff, no referrer, no caching.
 */
#ifndef OFD_NET_HTTPD_PAGE_H
#define OFD_NET_HTTPD_PAGE_H

#include "net/httpd.h"

#define OFD_PAGE_CSP                                                                                         \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src "        \
	"'self'; "                                                                                           \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

#define OFD_HTTPD_JSON "application/json"

/* name, value pairs, NULL-terminated: for ofd_httpd_cfg.headers. */
extern const char *const ofd_page_headers[];

/* The embedded file name with its type, 200; 404 when there is none. */
void ofd_page_asset(struct ofd_httpd_resp *rs, const char *name);

struct json_t;
/* o as compact ASCII JSON (every non-ASCII character, and '/', escaped), 200; takes the
   reference (o NULL: 500 "out of memory"). */
void ofd_page_json(struct ofd_httpd_resp *rs, struct json_t *o);

#endif
