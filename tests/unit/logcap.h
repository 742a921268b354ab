/*
 * Log lines captured for the tests that assert on warnings (core/log.h's sink): logcap_start()
 * in a setup empties logcap_buf and sends every line there (plain text, info and up),
 * logcap_stop() in the teardown gives the lines back to stderr.
 */
#ifndef OFD_TEST_LOGCAP_H
#define OFD_TEST_LOGCAP_H

#include <stdio.h>
#include <string.h>

#include "ofd/log.h"

static char logcap_buf[8192];

static void logcap_line(enum ofd_log_level lvl, const char *line, void *ctx)
{
	(void)lvl;
	(void)ctx;
	size_t n = strlen(logcap_buf);
	snprintf(logcap_buf + n, sizeof(logcap_buf) - n, "%s", line);
}

static inline void logcap_start(void)
{
	logcap_buf[0] = 0;
	ofd_log_set_sink(logcap_line, NULL);
	ofd_log_set_json(0);
	ofd_log_set_level(OFD_LOG_INFO);
}

static inline void logcap_stop(void)
{
	ofd_log_set_sink(NULL, NULL);
	ofd_log_set_json(0);
}

#endif
