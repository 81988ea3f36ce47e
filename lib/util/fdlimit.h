/* fdlimit.h — the descriptor limit (RLIMIT_NOFILE) and what it allows.
 *
 * Every fetch in flight holds a socket, so --concurrency past the soft
 * limit fails fetches with EMFILE (issue 16: ulimit -n 256 and -c 1000 lost
 * 758 of 1,000).  The CLI raises the soft limit to the hard one at start,
 * as nginx's worker_rlimit_nofile does, and caps concurrency to what is
 * left after a reserve; the engine waits for a descriptor when one still
 * runs out (lib/http/engine.c).  L0: libc only. */
#ifndef GATHER_FDLIMIT_H
#define GATHER_FDLIMIT_H

#include <stdint.h>

/* Raises the soft descriptor limit to the hard one; returns the soft limit
 * in force afterwards (UINT64_MAX: unlimited).  When raising is refused
 * the limit stays as it was and that is returned. */
uint64_t gather_fd_limit_raise(void);

/* The soft limit now (UINT64_MAX: unlimited or unknown). */
uint64_t gather_fd_limit(void);

/* Descriptors kept aside from fetches under a limit of nfd: the reactor's
 * own, DNS sockets, outputs, files the workers write, inherited ones. */
uint64_t gather_fd_reserve(uint64_t nfd);

/* The concurrency nfd descriptors allow for want fetches at once:
 * want, or nfd less the reserve if that is smaller (at least 1). */
unsigned gather_fd_concurrency(uint64_t nfd, unsigned want);

#endif
