/*
 * Files shipped inside the binary: the web pages' HTML, CSS and JavaScript (src/receiver/ui/,
 * src/obs/status/), turned into C arrays at build time by cmake/embed.cmake. Nothing is read
 * from disk or fetched at run time.
 */
#ifndef OFD_UTIL_ASSETS_H
#define OFD_UTIL_ASSETS_H

#include <stddef.h>

struct ofd_asset {
	const char *name; /* the file's base name: "ui.js" */
	const char *type; /* its Content-Type, from the extension */
	const unsigned char *data;
	size_t len;
};

/* Every embedded file, ended by an entry whose name is NULL. */
extern const struct ofd_asset ofd_assets[];

/* The file named name, or NULL. */
const struct ofd_asset *ofd_asset_find(const char *name);

#endif
