/*
 * libmaxminddb helpers for the enrich segments (see mmdb.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mmdb.h"
#include "ofd/err.h"
#include "net/prefix.h"

int seg_mmdb_open(const char *path, MMDB_s **out, char *err, size_t errlen)
{
	*out = NULL;
	MMDB_s *db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	errno = 0;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (rc != MMDB_SUCCESS) {
		if (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR)
			snprintf(err, errlen, "%s: cannot open: %s%s%s", path, MMDB_strerror(rc),
				 errno ? ": " : "", errno ? strerror(errno) : "");
		else
			snprintf(err, errlen, "%s: not a usable MaxMind DB (truncated or corrupt?): %s", path,
				 MMDB_strerror(rc));
		free(db);
		return OFD_ECONFIG;
	}
	if (db->metadata.node_count == 0) {
		snprintf(err, errlen, "%s: not a usable MaxMind DB: empty search tree", path);
		MMDB_close(db);
		free(db);
		return OFD_ECONFIG;
	}
	*out = db;
	return 0;
}

void seg_mmdb_close(MMDB_s *db)
{
	if (!db)
		return;
	MMDB_close(db);
	free(db);
}

int seg_mmdb_lookup(const MMDB_s *db, const struct ofd_ip *a, MMDB_lookup_result_s *res, int *mmdb_err)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	memset(&u, 0, sizeof(u));
	if (ofd_ip_is_v4mapped(a)) {
		u.in.sin_family = AF_INET;
		memcpy(&u.in.sin_addr, a->b + 12, 4);
	} else {
		if (db->metadata.ip_version == 4) {
			*mmdb_err = MMDB_SUCCESS; /* an IPv4-only database has no IPv6 addresses */
			memset(res, 0, sizeof(*res));
			return 0;
		}
		u.in6.sin6_family = AF_INET6;
		memcpy(&u.in6.sin6_addr, a->b, 16);
	}
	*mmdb_err = MMDB_SUCCESS;
	*res = MMDB_lookup_sockaddr((MMDB_s *)db, &u.sa, mmdb_err);
	if (*mmdb_err != MMDB_SUCCESS)
		return -1;
	return res->found_entry ? 1 : 0;
}
