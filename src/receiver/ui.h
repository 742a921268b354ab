/*
 * The receiver's read-only web page (`overflowd receive --ui ADDR:PORT`), on its own HTTP
 * server (net/httpd.h: one thread, the connection guard's bounds), never on the tracer port:
 *
 *   GET /               the page (src/receiver/ui/index.html), /ui.js, /ui.css: embedded
 *   GET /api/tracers    recent tracers, newest first: class, key, net (reporting network as
 *                       stored, "198.51.100.0/24"), since (query.h's time forms), mine=1 (only
 *                       flows from or to the --mine prefixes), limit (default 100, at most
 *                       OFD_UI_MAX_ROWS) -> {"limit":N,"truncated":B,"rows":[tracer...]}
 *   GET /api/keys       the key history -> {"limit":N,"truncated":B,"rows":[key...]}
 *   GET /api/key?key=K  one key: {"key":K,"networks":[...],"contacts":[...]}
 *   GET /api/spoofing   the spoofing report for the --mine prefixes (since, class, key, net):
 *                       {"mine":["192.0.2.0/24",...],"limit":N,"truncated":B,"rows":[...]}
 *   GET /api/hourly     tracers per hour: by=network|class, since (default 48h), the other
 *                       filters as /api/tracers -> {"by":"network","since":"ISO","rows":[...]}
 *
 * Rows are query.h's (the same columns as `overflowd tracers --format json`); a bad argument
 * gets 400 with the reason. Every answer carries the page headers (net/httpd_page.h: a strict
 * Content-Security-Policy, nosniff). The store is read through its own read-only connection;
 * a query is stopped after OFD_UI_QUERY_MS (503).
 */
#ifndef OFD_RECEIVER_UI_H
#define OFD_RECEIVER_UI_H

#include <stddef.h>
#include <stdint.h>

#include "net/prefix.h"
#include "ofd/err.h"

#define OFD_UI_MAX_ROWS	    1000
#define OFD_UI_DEFAULT_ROWS 100
#define OFD_UI_QUERY_MS	    5000

struct ofd_ui;

struct ofd_ui_cfg {
	const char *addr;	       /* hostport form (net/hostport.h) */
	const char *db;		       /* the receiver's database (exists: opened read-only) */
	const struct ofd_prefix *mine; /* the spoofing report's prefixes (copied) */
	size_t nmine;
};

/* Open the store and start serving; 0, or a negative error with the reason in err. */
int ofd_ui_start(struct ofd_ui **out, const struct ofd_ui_cfg *cfg, char *err, size_t errlen) OFD_MUST_CHECK;

uint16_t ofd_ui_port(const struct ofd_ui *u);

/* Stop serving, close the store, free u (NULL: nothing). */
void ofd_ui_stop(struct ofd_ui *u);

#endif
