/*
 * Logging to stderr: "overflowd: LEVEL: message" lines, or with ofd_log_set_json() one JSON
 * object per line as flowpipeline's `-j` writes them (zerolog's fields: {"level":"warn",
 * "time":UNIX_SECONDS,"message":"..."}, level one of debug, info, warn, error). A per-call-site
 * rate limit for anything driven by network input.
 *
 * When stderr is the journal (systemd sets $JOURNAL_STREAM to "DEVICE:INODE" of the stream it
 * connected; it must match stderr's, not one inherited by a child with stderr elsewhere), every
 * line starts with its syslog priority, "<3>" error, "<4>" warning, "<6>" info, "<7>" debug,
 * which journald strips and keeps as the entry's PRIORITY (sd-daemon(3)); the program name is
 * then left out of text lines (the journal names the unit).
 */
#include "ofd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ofd/time.h"

static enum ofd_log_level max_level = OFD_LOG_INFO;
static int json_logs;
static ofd_log_sink_fn sink_fn;
static void *sink_ctx;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const int syslog_prio[] = {3, 4, 6, 7}; /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
static int journal = -1;		       /* -1: not looked at yet */

int ofd_log_journal(void)
{
	if (journal >= 0)
		return journal;
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char tail;
	struct stat st;
	journal = js && sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
		  (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return journal;
}
static const char *const json_level_names[] = {"error", "warn", "info", "debug"};

void ofd_log_set_level(enum ofd_log_level lvl)
{
	max_level = lvl;
}

void ofd_log_set_json(int on)
{
	json_logs = on;
}

int ofd_log_json(void)
{
	return json_logs;
}

void ofd_log_set_sink(ofd_log_sink_fn fn, void *ctx)
{
	sink_fn = fn;
	sink_ctx = ctx;
}

int ofd_log_parse_level(const char *name, enum ofd_log_level *out)
{
	static const struct {
		const char *name;
		enum ofd_log_level lvl;
	} names[] = {
	    {"debug", OFD_LOG_DEBUG},  {"trace", OFD_LOG_DEBUG}, {"info", OFD_LOG_INFO},
	    {"warning", OFD_LOG_WARN}, {"warn", OFD_LOG_WARN},	 {"error", OFD_LOG_ERR},
	    {"fatal", OFD_LOG_ERR},    {"panic", OFD_LOG_ERR},
	};
	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].lvl;
			return 0;
		}
	}
	return -1;
}

/* msg as the body of a JSON string into out (always terminated; cut short when out is full). */
static void json_escape(char *out, size_t len, const char *msg)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 7 < len; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

__attribute__((format(printf, 2, 0))) static void vlog(enum ofd_log_level lvl, const char *fmt, va_list ap)
{
	char line[1024], out[1280], prio[8] = "";
	vsnprintf(line, sizeof(line), fmt, ap);
	if (ofd_log_journal())
		snprintf(prio, sizeof(prio), "<%d>", syslog_prio[lvl]);
	if (json_logs) {
		char esc[1100];
		json_escape(esc, sizeof(esc), line);
		snprintf(out, sizeof(out), "%s{\"level\":\"%s\",\"time\":%lld,\"message\":\"%s\"}\n", prio,
			 json_level_names[lvl], (long long)time(NULL), esc);
	} else {
		snprintf(out, sizeof(out), "%s%s: %s\n", prio[0] ? prio : "overflowd: ", level_names[lvl],
			 line);
	}
	if (sink_fn)
		sink_fn(lvl, out, sink_ctx);
	else
		fputs(out, stderr);
}

void ofd_log(enum ofd_log_level lvl, const char *fmt, ...)
{
	if (lvl > max_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void ofd_log_rl(struct ofd_ratelimit *rl, enum ofd_log_level lvl, const char *fmt, ...)
{
	if (lvl > max_level)
		return;
	uint64_t now = ofd_time_coarse_ns() / OFD_NS_PER_S;
	if (now != rl->window_s) {
		if (rl->suppressed)
			ofd_log(lvl, "(%u similar messages suppressed)", rl->suppressed);
		rl->window_s = now;
		rl->sent = 0;
		rl->suppressed = 0;
	}
	if (rl->sent >= OFD_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->sent++;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}
