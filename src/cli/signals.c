#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ofd/segment.h"

volatile int ofd_stop;

static void on_stop(int sig)
{
	(void)sig;
	ofd_stop = 1;
}

/* SIGHUP: segments with data files reload them (ofd_reload_request); the run goes on */
static void on_reload(int sig)
{
	(void)sig;
	ofd_reload_request();
}

void ofd_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_reload;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ofd_cli_stdout_gone(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
	return ferror(stdout) && poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}
