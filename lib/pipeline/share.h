/* share.h — what every run on one pipeline shares besides the workers and
 * the writer: per-host politeness (util/hostshare.h), so that the crawls
 * of `gather run --parallel` and of gatherd keep one --per-host / --delay
 * budget per host between them. */
#ifndef GATHER_PIPELINE_SHARE_H
#define GATHER_PIPELINE_SHARE_H

struct gather_pipeline;
struct gather_hostshare;

/* The pipeline's share (lives as long as p).  Reactor thread. */
struct gather_hostshare *gather_pipeline_hosts(struct gather_pipeline *p);

#endif
