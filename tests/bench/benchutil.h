/* benchutil.h — what the benchmark drivers in tests/bench share. */
#ifndef GATHER_BENCHUTIL_H
#define GATHER_BENCHUTIL_H

#include <stdio.h>
#include <time.h>

/* VmRSS of this process, KiB (-1 if unknown). */
static inline long bench_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
