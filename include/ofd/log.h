/* Logging to stderr, with a per-call-site rate limit for anything driven by network input. */
#ifndef OFD_LOG_H
#define OFD_LOG_H

#include "api.h"

#include <stdint.h>

enum ofd_log_level { OFD_LOG_ERR, OFD_LOG_WARN, OFD_LOG_INFO, OFD_LOG_DEBUG };

OFD_API void ofd_log_set_level(enum ofd_log_level lvl);

/* The command line's: -l LEVEL (debug, info, warning, error; also trace, warn, fatal, panic as
   flowpipeline takes them) into *out, 0 or -1; -j: JSON lines as flowpipeline's zerolog writes
   them ({"level":"warn","time":UNIX_SECONDS,"message":"..."}). Not for segments. */
int ofd_log_parse_level(const char *name, enum ofd_log_level *out);
void ofd_log_set_json(int on);
int ofd_log_json(void);
/* True when stderr is the journal ($JOURNAL_STREAM names it): lines then start with "<N>", their
   syslog priority. Looked at once. */
int ofd_log_journal(void);

/* Tests: every formatted line (with its newline) goes to fn instead of stderr; NULL: stderr. */
typedef void (*ofd_log_sink_fn)(enum ofd_log_level lvl, const char *line, void *ctx);
void ofd_log_set_sink(ofd_log_sink_fn fn, void *ctx);
OFD_API void ofd_log(enum ofd_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At most `burst` messages per second; the count of suppressed ones is reported with the next. */
struct ofd_ratelimit {
	uint64_t window_s;
	uint32_t sent;
	uint32_t suppressed;
};

#define OFD_RL_BURST 5

OFD_API void ofd_log_rl(struct ofd_ratelimit *rl, enum ofd_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ofd_err(...)   ofd_log(OFD_LOG_ERR, __VA_ARGS__)
#define ofd_warn(...)  ofd_log(OFD_LOG_WARN, __VA_ARGS__)
#define ofd_info(...)  ofd_log(OFD_LOG_INFO, __VA_ARGS__)
#define ofd_debug(...) ofd_log(OFD_LOG_DEBUG, __VA_ARGS__)

#endif
