/* hostshare.h — politeness shared by every crawl on one reactor: for each
 * host ("host[:port]"), how many fetches all of them have out and when the
 * next may start.  gatherd runs many jobs at once; two that crawl one host
 * keep one --per-host / --delay budget between them, not one each (the
 * pipeline owns one share: gather_pipeline_hosts; each frontier counts its
 * starts and ends in it).
 *
 * Threads: the reactor's only. */
#ifndef GATHER_HOSTSHARE_H
#define GATHER_HOSTSHARE_H

#include <stddef.h>
#include <stdint.h>

struct gather_hostshare;

/* One host's shared counts. */
struct gather_hostslot {
	unsigned out;         /* fetches started and not ended, all crawls */
	uint64_t next_ms;     /* no start before this (the last start + its delay) */
};

struct gather_hostshare *gather_hostshare_new(void);
void gather_hostshare_free(struct gather_hostshare *s);   /* accepts NULL */

/* host's slot (made if need be: it lives as long as s); NULL on OOM. */
struct gather_hostslot *gather_hostshare_get(struct gather_hostshare *s, const char *host,
                                             size_t len);

#endif
