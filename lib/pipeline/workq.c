/* workq.c — a bounded, locked queue in front of a pool of worker threads.
 *
 * Shape: two ring buffers under one mutex.  `todo` holds results pushed and
 * not yet taken by a worker; `done` holds results a worker has finished and
 * the reactor has not yet handed to done().  Workers sleep on `cv_todo`.  A
 * worker that puts the first item into an empty `done` ring (or any item
 * while no wake-up is outstanding) writes to an eventfd the reactor watches
 * (the notify event); a worker makes no libevent call.
 * The reactor drains `done` in batches of at most WORKQ_BATCH per callback,
 * re-arming itself when more is left, so a flood of finished pages cannot
 * starve the reactor's sockets and timers.
 *
 * Capacity counts every item between push and done(): queued, in a worker,
 * and waiting in `done`.  So memory held by the queue is bounded, and
 * push() can answer "full" without ever waiting.
 *
 * The notify event is added while anything is pending and deleted when the
 * last done() has run: the reactor really waits on it, so
 * event_base_dispatch() does not return while the only work left is in the
 * workers' hands (the last pages of a crawl), and returns once it is done,
 * with no timer to keep the loop alive. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "gather/error.h"
#include "pipeline/workq.h"
#include "util/clock.h"

/* Most results handed to done() per run of the notify callback. */
#define WORKQ_BATCH 64
/* Most items a worker takes per lock hold. */
#define WORKQ_TAKE 8
/* Sanity caps on the constructor's arguments (each ring is capacity
 * pointers; threads are real threads). */
#define WORKQ_MAX_CAPACITY ((size_t)1 << 24)
#define WORKQ_MAX_WORKERS 1024u

/* A fixed-size FIFO of result pointers.  Touched only under workq.mu. */
struct workq_ring {
	struct gather_result **v;
	size_t cap;   /* slots in v */
	size_t head;  /* index of the oldest item */
	size_t n;     /* items held */
};

/* One worker's progress stamp, for a watchdog (gather_workq_stuck_ms).
 * Written by its worker only, read by any thread: atomics, no lock (a
 * stamp is one word; a reader seeing the previous one is harmless). */
struct workq_worker {
	struct gather_workq *q;
	/* gather_now_ms() + 1 when it started its current item; 0 while it
	 * is between items or waiting for work (idle is never stuck) */
	_Atomic uint64_t busy_since;
	_Atomic uint64_t items;    /* items finished */
};

struct gather_workq {
	/* Set in gather_workq_new, read-only afterwards: any thread. */
	struct event_base *base;   /* the reactor's; used by the reactor only */
	gather_work_fn work;
	gather_work_done_fn done;
	void *arg;
	size_t capacity;
	unsigned nworkers;         /* threads started (and to join); set before
	                            * they start (they divide the queue by it) */
	pthread_t *threads;
	struct workq_worker *workers; /* nworkers, each its thread's */
	int efd;                   /* eventfd: workers write, the reactor reads */
	struct event *notify;      /* EV_READ on efd; added/deleted under mu (watch_locked) */

	/* Everything below is guarded by mu, on any thread. */
	pthread_mutex_t mu;
	pthread_cond_t cv_todo;    /* signalled on push and on stop */
	struct workq_ring todo;    /* pushed, not yet taken by a worker */
	struct workq_ring done_q;  /* processed, done() not yet called */
	size_t pending;            /* between push and done(): <= capacity */
	bool stopping;             /* set once by gather_workq_free */
	bool woken;                /* a wake-up is outstanding */
	bool watching;             /* notify is added (pending > 0) */
	unsigned idle;             /* workers waiting on cv_todo */
	atomic_bool halt;          /* set with stopping; read without mu between batch items */
};

/* Reactor thread, mu held: notify added iff something is pending. */
static void watch_locked(struct gather_workq *q)
{
	if (q->pending > 0 && !q->watching) {
		q->watching = event_add(q->notify, NULL) == 0;
	} else if (q->pending == 0 && q->watching) {
		event_del(q->notify);
		q->watching = false;
	}
}

/* A worker: wake the reactor (the counter only needs to be non-zero; a
 * full counter, EAGAIN, already wakes it). */
static void wake_reactor(struct gather_workq *q)
{
	uint64_t one = 1;
	ssize_t n = write(q->efd, &one, sizeof one);
	(void)n;
}

static int ring_init(struct workq_ring *rg, size_t cap)
{
	rg->v = calloc(cap, sizeof(*rg->v));
	rg->cap = cap;
	rg->head = rg->n = 0;
	return rg->v ? 0 : GATHER_E_NOMEM;
}

/* Callers check rg->n < rg->cap first (pending <= capacity guarantees it). */
static void ring_put(struct workq_ring *rg, struct gather_result *r)
{
	rg->v[(rg->head + rg->n) % rg->cap] = r;
	rg->n++;
}

/* Put r back in front of the oldest item (a batch given back unprocessed
 * at stop).  Callers check rg->n < rg->cap first. */
static void ring_unget(struct workq_ring *rg, struct gather_result *r)
{
	rg->head = (rg->head + rg->cap - 1) % rg->cap;
	rg->v[rg->head] = r;
	rg->n++;
}

static struct gather_result *ring_take(struct workq_ring *rg)
{
	struct gather_result *r;

	if (rg->n == 0)
		return NULL;
	r = rg->v[rg->head];
	rg->v[rg->head] = NULL;
	rg->head = (rg->head + 1) % rg->cap;
	rg->n--;
	return r;
}

/* Worker thread body.  Takes up to WORKQ_TAKE items per lock hold (a fair
 * share of what is queued, so one worker does not hoard a burst while
 * others sleep), hands them all back under one lock hold, and wakes the
 * reactor at most once per batch.  On stop it leaves whatever is still
 * queued for gather_workq_free to hand back unprocessed. */
static void *workq_thread(void *p)
{
	struct workq_worker *w = p;
	struct gather_workq *q = w->q;
	struct gather_result *batch[WORKQ_TAKE];

	/* Processing is throughput work: as SCHED_BATCH a worker woken by
	 * the reactor does not preempt it (wakeup preemption), so the
	 * reactor finishes its loop iteration and keeps the sockets busy.
	 * Best effort: the policy needs no privilege, but a failure changes
	 * nothing but scheduling. */
	struct sched_param sp = { 0 };
	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);

	for (;;) {
		size_t n = 0, share;
		bool wake;

		pthread_mutex_lock(&q->mu);
		while (!q->stopping && q->todo.n == 0) {
			q->idle++;
			pthread_cond_wait(&q->cv_todo, &q->mu);
			q->idle--;
		}
		if (q->stopping) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		share = q->todo.n / q->nworkers + 1;
		while (n < WORKQ_TAKE && n < share && (batch[n] = ring_take(&q->todo)))
			n++;
		pthread_mutex_unlock(&q->mu);

		size_t k = 0;
		/* A stop between two items of a batch gives the rest back
		 * unprocessed, as if they had not been taken. */
		while (k < n && !atomic_load_explicit(&q->halt, memory_order_relaxed)) {
			atomic_store_explicit(&w->busy_since, gather_now_ms() + 1, memory_order_relaxed);
			q->work(batch[k++], q->arg);
			atomic_fetch_add_explicit(&w->items, 1, memory_order_relaxed);
		}
		atomic_store_explicit(&w->busy_since, 0, memory_order_relaxed);

		pthread_mutex_lock(&q->mu);
		for (size_t i = 0; i < k; i++)
			ring_put(&q->done_q, batch[i]);
		while (n > k)
			ring_unget(&q->todo, batch[--n]);
		wake = !q->woken;
		q->woken = true;
		pthread_mutex_unlock(&q->mu);
		if (wake)
			wake_reactor(q);
	}
	return NULL;
}

/* Reactor thread, when a worker has written to the eventfd (or this
 * callback activated itself).  Hands at most WORKQ_BATCH results to
 * done(); if more are waiting it activates itself again so other events
 * get their turn in between. */
static void on_notify(evutil_socket_t fd, short what, void *p)
{
	struct gather_workq *q = p;
	struct gather_result *batch[WORKQ_BATCH];
	size_t n = 0;
	bool more;

	(void)fd;
	(void)what;
	uint64_t count;
	ssize_t r = read(q->efd, &count, sizeof count);  /* reset; EAGAIN: self-activated */
	(void)r;
	/* Take the whole batch under one lock hold, then call done() with
	 * the lock released (done() may push). */
	pthread_mutex_lock(&q->mu);
	while (n < WORKQ_BATCH && (batch[n] = ring_take(&q->done_q)))
		n++;
	/* Counted out before done() runs, so done() may push again. */
	q->pending -= n;
	more = q->done_q.n > 0;
	if (!more)
		q->woken = false;
	watch_locked(q);
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < n; i++)
		q->done(batch[i], q->arg);
	/* Batch used up with more waiting: stay "woken" (workers need not
	 * call us) and run again on the next loop iteration. */
	if (more)
		event_active(q->notify, EV_READ, 0);
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1u : n > (long)WORKQ_MAX_WORKERS ? WORKQ_MAX_WORKERS : (unsigned)n;
}

/* Tell the threads started so far to stop and join them (constructor
 * failure and gather_workq_free). */
static void workq_stop_join(struct gather_workq *q, unsigned started)
{
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	atomic_store(&q->halt, true);
	pthread_cond_broadcast(&q->cv_todo);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(q->threads[i], NULL);
}

/* Frees q's memory, not the results (there are none left when called). */
static void workq_release(struct gather_workq *q)
{
	if (q->notify)
		event_free(q->notify);
	if (q->efd >= 0)
		close(q->efd);
	free(q->todo.v);
	free(q->done_q.v);
	free(q->threads);
	free(q->workers);
	pthread_cond_destroy(&q->cv_todo);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

struct gather_workq *gather_workq_new(struct event_base *base, unsigned nworkers,
                                      size_t capacity, gather_work_fn work,
                                      gather_work_done_fn done, void *arg,
                                      char *err, size_t errlen)
{
	struct gather_workq *q;
	sigset_t all, old;
	unsigned started = 0;
	int rc = 0;

	if (!base || !work || !done) {
		set_err(err, errlen, "work queue: base, work and done are required");
		return NULL;
	}
	if (capacity == 0 || capacity > WORKQ_MAX_CAPACITY) {
		set_err(err, errlen, "work queue: capacity must be between 1 and 16777216");
		return NULL;
	}
	if (nworkers == 0)
		nworkers = online_cpus();
	if (nworkers > WORKQ_MAX_WORKERS) {
		set_err(err, errlen, "work queue: at most 1024 worker threads");
		return NULL;
	}

	q = calloc(1, sizeof(*q));
	if (!q) {
		set_err(err, errlen, "work queue: out of memory");
		return NULL;
	}
	q->efd = -1;
	q->base = base;
	q->work = work;
	q->done = done;
	q->arg = arg;
	q->capacity = capacity;
	/* Held for a few ring operations at a time by the reactor and every
	 * worker: an adaptive mutex spins briefly before sleeping, which
	 * spares a futex round trip (and a context switch) per collision. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&q->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_cond_init(&q->cv_todo, NULL);
	q->threads = calloc(nworkers, sizeof(*q->threads));
	q->workers = calloc(nworkers, sizeof(*q->workers));
	if (!q->threads || !q->workers || ring_init(&q->todo, capacity) < 0 ||
	    ring_init(&q->done_q, capacity) < 0) {
		set_err(err, errlen, "work queue: out of memory");
		workq_release(q);
		return NULL;
	}
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		set_err(err, errlen, "work queue: cannot create its eventfd");
		workq_release(q);
		return NULL;
	}
	q->notify = event_new(base, q->efd, EV_READ | EV_PERSIST, on_notify, q);
	if (!q->notify) {
		set_err(err, errlen, "work queue: cannot create the notify event");
		workq_release(q);
		return NULL;
	}

	q->nworkers = nworkers;
	/* Workers block every signal, so signals reach the reactor thread
	 * (the program's handlers) and never interrupt a parse. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; started < nworkers; started++) {
		q->workers[started].q = q;
		rc = pthread_create(&q->threads[started], NULL, workq_thread, &q->workers[started]);
		if (rc != 0)
			break;
		/* for top -H, ps -L and perf --comm; best effort */
		(void)pthread_setname_np(q->threads[started], "gather-work");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		if (err && errlen)
			snprintf(err, errlen, "work queue: cannot start worker thread %u of %u: %s",
			         started + 1, nworkers, strerror(rc));
		workq_stop_join(q, started);
		workq_release(q);
		return NULL;
	}
	return q;
}

int gather_workq_push(struct gather_workq *q, struct gather_result *r)
{
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	if (q->stopping)
		rc = GATHER_E_CANCELLED;
	else if (q->pending >= q->capacity)
		rc = GATHER_E_AGAIN;
	else {
		q->pending++;
		watch_locked(q);
		ring_put(&q->todo, r);
		/* Only a sleeping worker needs the signal. */
		if (q->idle > 0)
			pthread_cond_signal(&q->cv_todo);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* The mutex is not part of the queue's logical state; locking it through a
 * const pointer is what lets these read-only queries be thread-safe. */
static pthread_mutex_t *workq_mu(const struct gather_workq *q)
{
	return (pthread_mutex_t *)&q->mu;
}

bool gather_workq_full(const struct gather_workq *q)
{
	bool full;

	pthread_mutex_lock(workq_mu(q));
	full = q->pending >= q->capacity;
	pthread_mutex_unlock(workq_mu(q));
	return full;
}

size_t gather_workq_pending(const struct gather_workq *q)
{
	size_t n;

	pthread_mutex_lock(workq_mu(q));
	n = q->pending;
	pthread_mutex_unlock(workq_mu(q));
	return n;
}

uint64_t gather_workq_stuck_ms(const struct gather_workq *q, unsigned *ret_worker)
{
	uint64_t now = gather_now_ms(), worst = 0;
	for (unsigned i = 0; i < q->nworkers; i++) {
		uint64_t since = atomic_load_explicit(&q->workers[i].busy_since, memory_order_relaxed);
		if (since && now + 1 > since && now + 1 - since > worst) {
			worst = now + 1 - since;
			if (ret_worker)
				*ret_worker = i;
		}
	}
	return worst;
}

void gather_workq_free(struct gather_workq *q)
{
	struct gather_result *r;

	if (!q)
		return;
	workq_stop_join(q, q->nworkers);
	/* No worker runs any more: the rings are ours without the lock, and
	 * nothing writes to the eventfd. */
	event_free(q->notify);
	q->notify = NULL;
	/* Finished work first, then what no worker took.  done() may call
	 * push, which now answers GATHER_E_CANCELLED. */
	while ((r = ring_take(&q->done_q))) {
		q->pending--;
		q->done(r, q->arg);
	}
	while ((r = ring_take(&q->todo))) {
		q->pending--;
		r->processed = false;
		q->done(r, q->arg);
	}
	workq_release(q);
}

unsigned gather_workq_workers(const struct gather_workq *q)
{
	return q->nworkers;
}
