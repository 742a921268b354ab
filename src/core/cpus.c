/* The number of usable cores (see cpus.h). */
#include "core/cpus.h"

#include <sched.h>
#include <unistd.h>

unsigned ofd_online_cpus(void)
{
	cpu_set_t set;
	long n =
	    sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1u : n > 64 ? 64u : (unsigned)n;
}
