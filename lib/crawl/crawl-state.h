/* crawl-state.h — a crawl's --state DIR: what the crawl runner (crawl.c)
 * calls to keep its state crash-safe and to resume from it.
 *
 * The rule (issue 13): a URL is done only once its record is in every
 * output and that is on disk.  The pipeline's writer thread writes records,
 * then at most every CRAWL_STATE_SYNC_MS fdatasyncs the outputs and calls
 * crawl_state_synced(), which commits in one SQLite transaction the pages
 * whose records those were, the links they brought, the URLs added from
 * outside (seeds, sitemaps, redirect targets: logged by the state frontier
 * below) and where each output ends.  On a resume the outputs are cut back
 * to those ends and the frontier is rebuilt by replaying the committed
 * pages in order of depth through the in-memory frontier, so depths come
 * out as an uninterrupted crawl gives them; pages written after the last
 * commit are fetched again.
 *
 * The frontier a crawl with --state uses is frontier-state.h's: a second
 * implementation of the ops table, with a window of the queue in memory
 * and the rest on disk. */
#ifndef GATHER_CRAWL_STATE_H
#define GATHER_CRAWL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crawl/frontier.h"
#include "gather/options.h"
#include "gather/result.h"

struct crawl_state;
struct gather_strv;

/* URLs queued in memory by default (--queue-window); the rest wait on
 * disk (files in DIR/queue/), 12 bytes each in memory. */
#define CRAWL_STATE_WINDOW 200000u

/* How often the writer commits while records come (ms). */
#define CRAWL_STATE_SYNC_MS 250u

/* Open (or create) the state in o->state for a crawl of seeds with o.
 * A state made with other seeds or options that choose pages is refused
 * (GATHER_E_INVALID, err naming the difference).  On success *frontier is
 * the crawl's frontier (fc's key replaced by the state's), already holding
 * the resumed crawl, and *ret the state. */
int crawl_state_open(const struct gather_opts *o, const struct gather_strv *seeds,
                     struct gather_frontier_conf *fc, struct crawl_state **ret,
                     struct gather_frontier **frontier, char *err, size_t errlen);
void crawl_state_free(struct crawl_state *cs);   /* accepts NULL */

/* Where the outputs are to be reopened (NULL: a new crawl: truncate). */
const struct gather_output_marks *crawl_state_marks(const struct crawl_state *cs);

/* What the state held when opened: counters carried over, pages done. */
void crawl_state_counters(const struct crawl_state *cs, struct gather_run_stats *st);
uint64_t crawl_state_pages(const struct crawl_state *cs);
bool crawl_state_resumed(const struct crawl_state *cs);
bool crawl_state_finished(const struct crawl_state *cs);

/* A record without a frontier id (a bad seed line) already written by an
 * earlier run: not again.  key: gather_seen_fingerprint of its url and
 * message (crawl_state_mark_key). */
uint64_t crawl_state_mark_key(const struct crawl_state *cs, const char *url, const char *msg);
bool crawl_state_marked(const struct crawl_state *cs, uint64_t key);

/* Stream callbacks (writer thread). */
void crawl_state_durable(struct crawl_state *cs, const struct gather_result *r);
void crawl_state_synced(struct crawl_state *cs, const struct gather_output_marks *m);

/* Reactor: the frontier's queued and in-flight counts, for the next
 * commit (gather state DIR shows them). */
void crawl_state_gauges(struct crawl_state *cs, uint64_t queued, uint64_t inflight);

/* The first commit error (disk full, read-only...), or NULL.  Any thread. */
bool crawl_state_error(struct crawl_state *cs, char *buf, size_t len);

/* The crawl ended with every page done: say so in the state (reactor,
 * after the outputs closed). */
int crawl_state_finish(struct crawl_state *cs, char *err, size_t errlen);

#endif
