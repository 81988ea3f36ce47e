/* frontier-state.h — the frontier of a crawl with --state: a second
 * implementation of the ops table (frontier.h), the in-memory frontier
 * behind a layer that
 *   - reports every add() (seeds, sitemap URLs, redirect targets: what does
 *     not come in a page's links) to log_add, for the state's next commit;
 *   - keeps at most window URLs queued in memory, the shallowest; the
 *     others wait on disk (lib/store/spill.h, a file made new at start)
 *     with only their fingerprint and depth in memory (12 bytes a slot),
 *     and come back shallowest first as the window empties.
 * Depth stays exact: a link to a URL on disk lowers its depth there (or
 * brings it into memory), and the in-memory frontier is told the smallest
 * depth on disk, so that no page it holds settles too early.
 *
 * Threads: the reactor's only (log_add may take a lock of its own). */
#ifndef GATHER_FRONTIER_STATE_H
#define GATHER_FRONTIER_STATE_H

#include <stdint.h>

#include "crawl/frontier.h"

/* NULL with err filled (out of memory, queue_path not writable). */
struct gather_frontier *gather_frontier_state_new(const struct gather_frontier_conf *c,
                                                  uint64_t window, const char *queue_path,
                                                  int (*log_add)(void *arg, const char *url,
                                                                 unsigned depth,
                                                                 const char *parent),
                                                  void *arg, char *err, size_t errlen);

/* The in-memory frontier inside f: a resume replays committed pages
 * straight into it (its adds are in the state already). */
struct gather_frontier *gather_frontier_state_mem(struct gather_frontier *f);

/* A resume: the committed page id (url) is about to be taken out of the
 * queue (gather_frontier_mem_take); if it waits on disk, bring it into
 * memory first. */
void gather_frontier_state_pull(struct gather_frontier *f, uint64_t id, const char *url);

#endif
