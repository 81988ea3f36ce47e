/* writer.c — the writer thread of the sinks (see sink.h, and sink.c's
 * header for how records flow): batches, lingering, syncs for the crawl
 * state, the hand-back to the reactor, the keep-alive timer. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "gather/error.h"
#include "output/sink-internal.h"
#include "output/sink.h"

/* After a batch (writer thread): s has new records; sync it when due, else
 * keep it on the dirty list for the idle wait. */
static void sink_after_batch(struct gather_writer *w, struct gather_sink *s)
{
	if (!s->sync)
		return;
	if (!s->unsynced) {
		s->unsynced = true;
		if (w->ndirty < SINK_BATCH) {
			w->dirty[w->ndirty++] = s;
		} else {
			gather_sink_sync_now(s);   /* no room on the list: now */
			return;
		}
	}
	if (sink_mono_ms() - s->synced_at >= s->sync_ms)
		gather_sink_sync_now(s);
}

/* Sync the dirty sinks that are due (all of them when all is true) and
 * drop synced ones from the list; the ms until the next is due, or
 * UINT64_MAX (writer thread). */
static uint64_t sync_dirty(struct gather_writer *w, bool all)
{
	uint64_t now = sink_mono_ms(), next = UINT64_MAX;
	size_t k = 0;
	for (size_t i = 0; i < w->ndirty; i++) {
		struct gather_sink *s = w->dirty[i];
		if (s->unsynced && (all || now - s->synced_at >= s->sync_ms))
			gather_sink_sync_now(s);
		if (s->unsynced) {
			uint64_t due = s->synced_at + s->sync_ms;
			uint64_t in = due > now ? due - now : 0;
			if (in < next)
				next = in;
			w->dirty[k++] = s;
		}
	}
	w->ndirty = k;
	return next;
}

/* A sink about to close leaves the dirty list, synced (writer thread). */
static void sink_undirty(struct gather_writer *w, struct gather_sink *s)
{
	if (s->unsynced)
		gather_sink_sync_now(s);
	size_t k = 0;
	for (size_t i = 0; i < w->ndirty; i++)
		if (w->dirty[i] != s)
			w->dirty[k++] = w->dirty[i];
	w->ndirty = k;
}

/* Wait (mu held) up to SINK_LINGER_MS for a full batch, unless shutting
 * down or a put was refused (writer thread; called when the first record
 * after a lull woke it, rather than waking, and preempting the reactor,
 * once per record).  A timed wait on cv, not a sleep: a full batch, a
 * refused put, a close request or shutdown end it early. */
static void linger(struct gather_writer *w)
{
	struct timespec until;

	if (w->count >= SINK_BATCH || w->shutdown || w->hurry || w->closeq)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += SINK_LINGER_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (w->count < SINK_BATCH && !w->shutdown && !w->hurry && !w->closeq)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
}

/* Append to the hand-back list (mu held).  Grows it; on OOM the writer
 * retries after a short sleep rather than lose a record's done(). */
static void back_push_locked(struct gather_writer *w, struct gather_sink *s,
                             struct gather_result *r, size_t n)
{
	while (w->nback == w->capback) {
		size_t cap = w->capback ? 2 * w->capback : 256;
		struct wentry *v = realloc(w->back, cap * sizeof *v);
		if (v) {
			w->back = v;
			w->capback = cap;
			break;
		}
		pthread_mutex_unlock(&w->mu);
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&w->mu);
	}
	w->back[w->nback].s = s;
	w->back[w->nback].r = r;
	w->back[w->nback].n = n;
	w->nback++;
}

/* Wake the reactor once for everything handed back since it last ran
 * (mu held; lock order: mu, then the base's lock). */
static void wake_locked(struct gather_writer *w)
{
	if (w->base && !w->woken && (w->nback || w->refused)) {
		w->woken = true;
		event_active(w->notify, 0, 0);
	}
}

/* The writer thread: wait for records and close requests, write records in
 * batches, close sinks when their records are written, hand both back to
 * the reactor; end on shutdown once the queue is empty. */
static void *writer_main(void *arg)
{
	struct gather_writer *w = arg;
	struct wentry batch[SINK_BATCH];
	struct gather_sink *touched[SINK_BATCH];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool slept = false;
		while (w->count == 0 && !w->closeq && !w->shutdown) {
			if (w->ndirty) {
				/* idle with records not on disk: sync them when due,
				 * not at the next record (which may never come) */
				pthread_mutex_unlock(&w->mu);
				uint64_t in = sync_dirty(w, false);
				pthread_mutex_lock(&w->mu);
				if (in != UINT64_MAX && w->count == 0 && !w->closeq && !w->shutdown) {
					struct timespec until;
					clock_gettime(CLOCK_MONOTONIC, &until);
					until.tv_sec += (time_t)(in / 1000);
					until.tv_nsec += (long)(in % 1000) * 1000000L;
					if (until.tv_nsec >= 1000000000L) {
						until.tv_sec++;
						until.tv_nsec -= 1000000000L;
					}
					pthread_cond_timedwait(&w->cv, &w->mu, &until);
				}
				slept = true;
				continue;
			}
			pthread_cond_wait(&w->cv, &w->mu);
			slept = true;
		}
		if (slept && w->count)
			linger(w); /* woken after a lull: let a batch gather */
		if (w->count == 0 && !w->closeq)
			break; /* shutdown, everything written */
		size_t n = 0, nt = 0;
		w->hurry = false;
		while (w->count > 0 && n < SINK_BATCH) {
			batch[n] = w->q[w->head];
			w->q[w->head].r = NULL;
			w->head = (w->head + 1) % SINK_QUEUE_MAX;
			w->count--;
			w->q_bytes -= sink_record_bytes(batch[n].r);
			n++;
		}
		if (n)
			pthread_cond_broadcast(&w->cv_room);
		pthread_mutex_unlock(&w->mu);

		for (size_t i = 0; i < n; i++) {
			struct gather_sink *s = batch[i].s;
			gather_sink_write_record(s, batch[i].r);
			if (!s->touched) {
				s->touched = true;
				touched[nt++] = s;
			}
		}
		for (size_t i = 0; i < nt; i++) {
			gather_sink_flush_lines(touched[i]);
			touched[i]->touched = false;
		}
		/* The written callbacks first (a sync covers the records whose
		 * written callback ran), then the syncs that are due. */
		bool any_sync = false;
		for (size_t i = 0; i < n; i++) {
			struct gather_sink *s = batch[i].s;
			if (s->written)
				s->written(batch[i].r, s->written_arg);
			any_sync |= s->sync != NULL;
			if (w->base && s->done) {
				/* the record goes back to the reactor, slim */
				gather_result_drop_bodies(batch[i].r);
			} else {
				/* freed here, off the reactor; a count goes back */
				gather_result_free(batch[i].r);
				batch[i].r = NULL;
				s->freed++;
			}
		}

		for (size_t i = 0; any_sync && i < nt; i++)
			sink_after_batch(w, touched[i]);

		pthread_mutex_lock(&w->mu);
		w->seq_out += n;
		for (size_t i = 0; i < n; i++) {
			struct gather_sink *s = batch[i].s;
			if (batch[i].r)
				back_push_locked(w, s, batch[i].r, 0);
			else if (w->base && s->freed) {
				back_push_locked(w, s, NULL, s->freed);
				s->freed = 0;
			}
		}
		/* Close the sinks whose records are all written now. */
		while (w->closeq && w->closeq->close_seq <= w->seq_out) {
			struct gather_sink *s = w->closeq;
			w->closeq = s->close_next;
			if (!w->closeq)
				w->closeq_tail = NULL;
			pthread_mutex_unlock(&w->mu);
			char m[1024] = "";
			if (s->sync)
				sink_undirty(w, s);
			s->err = gather_sink_close_files(s, m, sizeof m);
			snprintf(s->errmsg, sizeof s->errmsg, "%s", m);
			pthread_mutex_lock(&w->mu);
			back_push_locked(w, s, NULL, 0);
		}
		wake_locked(w);
	}
	pthread_mutex_unlock(&w->mu);
	sync_dirty(w, true);   /* a sink's own writer: its close joins us */
	return NULL;
}

/* Keep the reactor's loop alive exactly while something is out (reactor
 * thread). */
void gather_writer_keepalive(struct gather_writer *w)
{
	if (w->out > 0 && !w->kept_alive) {
		struct timeval tv = { SINK_KEEPALIVE_S, 0 };
		w->kept_alive = event_add(w->keepalive, &tv) == 0;
	} else if (w->out == 0 && w->kept_alive) {
		event_del(w->keepalive);
		w->kept_alive = false;
	}
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct gather_writer *w = arg;
	(void)fd;
	(void)what;
	w->kept_alive = false;
	gather_writer_keepalive(w);
}

/* Reactor thread: the writer handed records and closed sinks back. */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct gather_writer *w = arg;
	(void)fd;
	(void)what;

	pthread_mutex_lock(&w->mu);
	struct wentry *v = w->back;
	size_t n = w->nback, cap = w->capback;
	bool room = w->refused;
	w->back = w->spare;
	w->capback = w->spare_cap;
	w->nback = 0;
	w->refused = false;
	w->woken = false;
	pthread_mutex_unlock(&w->mu);

	for (size_t i = 0; i < n; i++) {
		struct gather_sink *s = v[i].s;
		if (v[i].r) {
			w->out--;
			s->pending--;
			if (s->done)
				s->done(v[i].r, s->done_arg);
			else
				gather_result_free(v[i].r);
			continue;
		}
		if (v[i].n) {   /* written and freed on the writer thread */
			w->out -= v[i].n;
			s->pending -= v[i].n;
			if (s->done_n)
				s->done_n(v[i].n, s->done_n_arg);
			continue;
		}
		w->out--;
		/* s is closed: its last call */
		if (s->closed)
			s->closed(s->err, s->err ? s->errmsg : NULL, s->closed_arg);
		free(s);
	}
	w->spare = v;
	w->spare_cap = cap;
	gather_writer_keepalive(w);
	if (room && w->room_fn)
		w->room_fn(w->room_arg);
}

void gather_writer_destroy(struct gather_writer *w)
{
	for (size_t i = 0; i < w->count; i++)
		gather_result_free(w->q[(w->head + i) % SINK_QUEUE_MAX].r);
	for (size_t i = 0; i < w->nback; i++)
		gather_result_free(w->back[i].r);
	free(w->back);
	free(w->spare);
	if (w->notify)
		event_free(w->notify);
	if (w->keepalive)
		event_free(w->keepalive);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->cv_room);
	free(w);
}

struct gather_writer *gather_writer_create(struct event_base *base, char *err, size_t errlen)
{
	struct gather_writer *w = calloc(1, sizeof *w);
	sigset_t all, old;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->base = base;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_cond_init(&w->cv_room, &ca);
	pthread_condattr_destroy(&ca);
	if (base) {
		w->notify = event_new(base, -1, 0, on_notify, w);
		w->keepalive = evtimer_new(base, on_keepalive, w);
		if (!w->notify || !w->keepalive) {
			snprintf(err, errlen, "out of memory");
			gather_writer_destroy(w);
			return NULL;
		}
	}
	/* the writer inherits a mask with every signal blocked (file comment) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(rc));
		gather_writer_destroy(w);
		return NULL;
	}
	w->started = true;
	(void)pthread_setname_np(w->thread, "gather-sink"); /* for top -H; best effort */
	return w;
}

struct gather_writer *gather_writer_new(struct event_base *base, char *err, size_t errlen)
{
	if (!base) {
		snprintf(err, errlen, "a shared writer needs an event base");
		return NULL;
	}
	return gather_writer_create(base, err, errlen);
}

void gather_writer_on_room(struct gather_writer *w, void (*fn)(void *), void *arg)
{
	w->room_fn = fn;
	w->room_arg = arg;
}

bool gather_writer_full(const struct gather_writer *cw)
{
	/* the mutex and the refused flag are the mutable part of a const writer */
	struct gather_writer *w = (struct gather_writer *)cw;
	pthread_mutex_lock(&w->mu);
	bool full = w->count == SINK_QUEUE_MAX || w->q_bytes >= SINK_QUEUE_BYTES;
	if (full)
		w->refused = true; /* the caller waits for room: say when */
	pthread_mutex_unlock(&w->mu);
	return full;
}

/* Stop the thread once everything queued is written, join it. */
void gather_writer_join(struct gather_writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->shutdown = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

void gather_writer_free(struct gather_writer *w)
{
	if (!w)
		return;
	gather_writer_join(w);
	/* hand-backs nobody will run any more (every sink should be closed) */
	for (size_t i = 0; i < w->nback; i++)
		if (!w->back[i].r && !w->back[i].n)
			free(w->back[i].s);
	gather_writer_destroy(w);
}

