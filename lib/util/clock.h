/* clock.h — the one clock of gather's timers and counters: milliseconds of
 * CLOCK_MONOTONIC (never jumps with the wall clock).  Wall-clock times
 * (WARC-Date) are taken where they are written, with CLOCK_REALTIME. */
#ifndef GATHER_CLOCK_H
#define GATHER_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t gather_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
