/* sd_notify(3)'s datagram protocol, see sdnotify.h. */
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int ofd_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: the length below counts the name only */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	ssize_t w = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	int rc = w < 0 ? -errno : 1;
	close(fd);
	return rc;
}

uint64_t ofd_sd_watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	if (!us || !getenv("NOTIFY_SOCKET"))
		return 0;
	char *end;
	if (pid) {
		unsigned long long p = strtoull(pid, &end, 10);
		if (*end || p != (unsigned long long)getpid())
			return 0;
	}
	unsigned long long v = strtoull(us, &end, 10);
	return *us && !*end ? (uint64_t)v : 0;
}

void ofd_sd_watchdog_tick(void)
{
	static int checked;
	static uint64_t interval_ns, last_ns;
	if (!checked) {
		checked = 1;
		interval_ns = ofd_sd_watchdog_usec() * 1000u;
	}
	if (!interval_ns)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (last_ns && now - last_ns < interval_ns / 2)
		return;
	last_ns = now;
	(void)ofd_sd_notify("WATCHDOG=1");
}
