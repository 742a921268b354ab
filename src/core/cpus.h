/* How many cores this process may run on: the default number of worker threads. */
#ifndef OFD_CORE_CPUS_H
#define OFD_CORE_CPUS_H

/* The CPUs in this thread's affinity mask (taskset, cpusets), at least 1, at most 64. */
unsigned ofd_online_cpus(void);

#endif
