/*
 * Clocks in nanoseconds as uint64_t, and the conversion back to a timespec (deadlines for
 * pthread_cond_timedwait, clock_nanosleep).
 *
 *   ofd_time_now_ns()    CLOCK_REALTIME: wall time since the epoch (record and receive times).
 *   ofd_time_mono_ns()   CLOCK_MONOTONIC: intervals, deadlines, rate limits; never goes back.
 *   ofd_time_coarse_ns() CLOCK_MONOTONIC_COARSE where it exists (cheaper, tick resolution, a few
 *                        ms), else CLOCK_MONOTONIC: for once-a-second decisions.
 *   ofd_time_ts(ns)      the timespec of a time in ns.
 *
 * Header-only (static inline): a module may use it without linking anything. clock_gettime
 * needs _POSIX_C_SOURCE >= 199309L (or _GNU_SOURCE, as the project builds) defined before the
 * first system header.
 */
#ifndef OFD_TIME_H
#define OFD_TIME_H

#include <stdint.h>
#include <time.h>

#define OFD_NS_PER_S UINT64_C(1000000000)

static inline uint64_t ofd_time_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * OFD_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ofd_time_now_ns(void)
{
	return ofd_time_clock_ns(CLOCK_REALTIME);
}

static inline uint64_t ofd_time_mono_ns(void)
{
	return ofd_time_clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t ofd_time_coarse_ns(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
	return ofd_time_clock_ns(CLOCK_MONOTONIC_COARSE);
#else
	return ofd_time_clock_ns(CLOCK_MONOTONIC);
#endif
}

static inline struct timespec ofd_time_ts(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / OFD_NS_PER_S), .tv_nsec = (long)(ns % OFD_NS_PER_S)};
	return ts;
}

#endif
