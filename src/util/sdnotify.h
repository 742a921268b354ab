/*
 * systemd's service notification protocol (sd_notify(3)) without libsystemd: one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). Without $NOTIFY_SOCKET (not run by systemd as Type=notify) every call
 * does nothing. The watchdog interval is $WATCHDOG_USEC, when $WATCHDOG_PID is unset or ours.
 */
#ifndef OFD_UTIL_SDNOTIFY_H
#define OFD_UTIL_SDNOTIFY_H

#include <stdint.h>

/* Send state ("READY=1", "STOPPING=1", ...): 1 sent, 0 no $NOTIFY_SOCKET, -errno on failure. */
int ofd_sd_notify(const char *state);

/* The watchdog interval asked for in microseconds, 0: none. */
uint64_t ofd_sd_watchdog_usec(void);

/* From a main loop that turns at least every few seconds: "WATCHDOG=1" once half the interval
   has passed since the last one (nothing without a watchdog). Not thread-safe: one caller. */
void ofd_sd_watchdog_tick(void);

#endif
