/* frontier-mem.h — extras of the in-memory frontier (frontier.c): test
 * hooks that count costs (the tests check costs by count, not time), and
 * what a resume needs to rebuild one. */
#ifndef GATHER_FRONTIER_MEM_H
#define GATHER_FRONTIER_MEM_H

#include <stdbool.h>
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

/* A resume (crawl-state.c): take the queued URL id out of the queue as if
 * next() had handed it out and its fetch had ended (it holds no host
 * slot), so that done() can follow with the links its committed page had.
 * 0, or GATHER_E_INVALID when id is not queued. */
int gather_frontier_mem_take(struct gather_frontier *f, uint64_t id);

/* A layer that keeps part of the queue elsewhere (crawl-state.c's window:
 * the queue on disk).  fn is called for every URL offered (add, a done()'s
 * links, links offered again) that this frontier does not know: it returns
 * 1 when it keeps the URL (or knows it at a depth <= depth), 0 to let this
 * frontier queue it.  It must not call this frontier. */
typedef int (*gather_frontier_spill_fn)(void *arg, const char *url, uint64_t fp,
                                        unsigned depth, const char *parent);
void gather_frontier_mem_set_spill(struct gather_frontier *f, gather_frontier_spill_fn fn,
                                   void *arg);
/* The shallowest depth of the URLs kept outside (UINT64_MAX: none): no
 * page deeper than floor + 1 settles while they may still bring links. */
void gather_frontier_mem_set_floor(struct gather_frontier *f, uint64_t depth);
/* URLs queued here; whether fp is known here (queued, out, kept, or seen). */
uint64_t gather_frontier_mem_queued(const struct gather_frontier *f);
bool gather_frontier_mem_knows(const struct gather_frontier *f, uint64_t fp);

#endif
