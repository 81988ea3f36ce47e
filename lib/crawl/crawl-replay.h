/* crawl-replay.h — rebuilding a crawl's frontier from its --state (used
 * by crawl-state.c when it opens a state that holds a crawl). */
#ifndef GATHER_CRAWL_REPLAY_H
#define GATHER_CRAWL_REPLAY_H

#include <stddef.h>
#include <stdint.h>

struct gather_frontier;
struct gather_seen;
struct gather_state;

/* Read db's committed URLs, pages and adds; put every URL id in known;
 * compute each page's depth (shortest paths from the adds, up to
 * max_depth); then, in sf (a state frontier: gather_frontier_state_new),
 * add the adds and take out and finish each reached page with its links,
 * in order of depth, as the first run did without the fetches.  What stays
 * queued is what the crawl has left.  *pages := the pages read.  0, or
 * GATHER_E_NOMEM / GATHER_E_IO with err. */
int crawl_replay(struct gather_state *db, struct gather_seen *known, unsigned max_depth,
                 struct gather_frontier *sf, uint64_t *pages, char *err, size_t errlen);

#endif
