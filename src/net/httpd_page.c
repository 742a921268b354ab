/* Answers for the read-only web pages (httpd_page.h). */
#include "net/httpd_page.h"

#include <jansson.h>
#include <string.h>

#include "util/assets.h"

const char *const ofd_page_headers[] = {
    "Content-Security-Policy",
    OFD_PAGE_CSP,
    "X-Content-Type-Options",
    "nosniff",
    "Referrer-Policy",
    "no-referrer",
    "X-Frame-Options",
    "DENY",
    "Cache-Control",
    "no-store",
    NULL,
};

void ofd_page_asset(struct ofd_httpd_resp *rs, const char *name)
{
	const struct ofd_asset *a = ofd_asset_find(name);
	if (!a) {
		ofd_httpd_text(rs, 404, "not found\n");
		return;
	}
	*rs = (struct ofd_httpd_resp){
	    .status = 200, .type = a->type, .body = (const char *)a->data, .len = a->len};
}

void ofd_page_json(struct ofd_httpd_resp *rs, json_t *o)
{
	char *s =
	    o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH)
	      : NULL;
	json_decref(o);
	if (!s) {
		ofd_httpd_text(rs, 500, "out of memory\n");
		return;
	}
	*rs = (struct ofd_httpd_resp){
	    .status = 200, .type = OFD_HTTPD_JSON, .body = s, .len = strlen(s), .owned = 1};
}
