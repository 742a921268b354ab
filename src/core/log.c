#include "ofd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ofd/time.h"

static enum ofd_log_level max_level = OFD_LOG_INFO;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void ofd_log_set_level(enum ofd_log_level lvl)
{
	max_level = lvl;
}

__attribute__((format(printf, 2, 0))) static void vlog(enum ofd_log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "overflowd: %s: %s\n", level_names[lvl], line);
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
