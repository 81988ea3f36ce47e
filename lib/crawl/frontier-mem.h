/* frontier-mem.h — test hooks of the in-memory frontier (frontier.c).
 * Not for the crawl: the tests use them to check costs by count, not time. */
#ifndef GATHER_FRONTIER_MEM_H
#define GATHER_FRONTIER_MEM_H

#include <stdint.h>

#include "crawl/frontier.h"

/* Slots the in-memory frontier f has looked at since it was made: depth
 * levels looked up, heap entries compared, host depth queues searched.
 * A call's cost is the difference before and after it.  f must come from
 * gather_frontier_mem_new. */
uint64_t gather_frontier_mem_touched(const struct gather_frontier *f);

/* Depth levels (of queued, in-flight or kept pages) held now, and depth
 * queues held by all hosts: neither depends on max_depth. */
uint64_t gather_frontier_mem_levels(const struct gather_frontier *f);
uint64_t gather_frontier_mem_host_queues(const struct gather_frontier *f);

#endif
