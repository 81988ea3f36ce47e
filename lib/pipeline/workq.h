/* workq.h — a bounded, locked queue in front of a pool of worker threads.
 *
 * The reactor pushes finished results; a worker runs work() on each; the
 * processed result comes back to the reactor thread through one wake channel
 * (event_active on a notify event), where done() is called, in batches.
 * Workers never touch the reactor's libevent objects; push never blocks. */
#ifndef GATHER_WORKQ_H
#define GATHER_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

#include "gather/result.h"

struct event_base;
struct gather_workq;

/* Runs on a worker thread; may modify r, must not free it. */
typedef void (*gather_work_fn)(struct gather_result *r, void *arg);
/* Runs on the reactor thread; receives ownership of r back. */
typedef void (*gather_work_done_fn)(struct gather_result *r, void *arg);

/* nworkers 0 means the number of online CPUs; capacity (1 .. 2^24) bounds
 * the items queued, in process and awaiting done() together.  base must
 * have been created after evthread_use_pthreads().  work, done and arg are
 * borrowed for q's lifetime.  NULL on failure (err says why).  done() must
 * not call gather_workq_free. */
struct gather_workq *gather_workq_new(struct event_base *base, unsigned nworkers,
                                      size_t capacity, gather_work_fn work,
                                      gather_work_done_fn done, void *arg,
                                      char *err, size_t errlen);

/* Queue r (ownership passes to the queue).  Never blocks: returns
 * GATHER_E_AGAIN, keeping ownership with the caller, when full, and
 * GATHER_E_CANCELLED (ownership kept too) once gather_workq_free has begun
 * (e.g. from a done() it calls).  Any thread; done() still runs on the
 * reactor thread. */
int gather_workq_push(struct gather_workq *q, struct gather_result *r);

/* Both thread-safe (any thread); the answer may be stale at once when other
 * threads push or the reactor drains. */
bool gather_workq_full(const struct gather_workq *q);
/* Items pushed whose done() has not run yet. */
size_t gather_workq_pending(const struct gather_workq *q);

/* How long the worker busiest on one item has been on it, in ms (0: every
 * worker is idle or between items); *ret_worker (when not NULL and the
 * answer is not 0) gets its index.  A watchdog's question: a worker busy
 * on one item for longer than any item should take is stuck, whatever
 * the others do.  Any thread; lock-free. */
uint64_t gather_workq_stuck_ms(const struct gather_workq *q, unsigned *ret_worker);
/* The worker threads q runs (nworkers 0 made: the online CPUs). */
unsigned gather_workq_workers(const struct gather_workq *q);

/* Stop the workers and join them.  Items not yet processed are handed to
 * done() unprocessed (r->processed false) before this returns, so nothing is
 * lost or leaked.  Accepts NULL.  Reactor thread only. */
void gather_workq_free(struct gather_workq *q);

#endif
