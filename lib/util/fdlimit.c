/* fdlimit.c — see fdlimit.h. */
#include "config.h"

#include <sys/resource.h>

#include "util/fdlimit.h"

uint64_t gather_fd_limit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return UINT64_MAX;
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

uint64_t gather_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return (uint64_t)rl.rlim_cur;
}

uint64_t gather_fd_reserve(uint64_t nfd)
{
	/* An eighth, within [32, 256]: 32 of 256, 128 of 1024, 256 of 20000. */
	uint64_t r = nfd / 8;
	return r < 32 ? 32 : r > 256 ? 256 : r;
}

unsigned gather_fd_concurrency(uint64_t nfd, unsigned want)
{
	if (nfd == UINT64_MAX)
		return want;
	uint64_t r = gather_fd_reserve(nfd);
	uint64_t room = nfd > r ? nfd - r : 1;
	return want > room ? (unsigned)room : want;
}
