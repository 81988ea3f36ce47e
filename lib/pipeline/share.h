/* share.h — what every run on one pipeline shares besides the workers and
 * the writer: per-host politeness (util/hostshare.h), so that the crawls
 * of `gather run --parallel` and of gatherd keep one --per-host / --delay
 * budget per host between them. */
#ifndef GATHER_PIPELINE_SHARE_H
#define GATHER_PIPELINE_SHARE_H

#include <stdint.h>

struct gather_pipeline;
struct gather_hostshare;

/* The pipeline's share (lives as long as p).  Reactor thread. */
struct gather_hostshare *gather_pipeline_hosts(struct gather_pipeline *p);

/* gather_workq_stuck_ms of p's one worker pool (gatherd's watchdog: a
 * single stuck worker stops the pings).  Any thread. */
uint64_t gather_pipeline_stuck_ms(const struct gather_pipeline *p, unsigned *ret_worker);
/* The worker threads of p's pool (gatherd's status). */
unsigned gather_pipeline_workers(const struct gather_pipeline *p);

#endif
