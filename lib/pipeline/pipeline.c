/* pipeline.c — the one pipeline (see gather/pipeline.h).
 *
 * Reactor thread, bar the work trampoline.  A result's path:
 *
 *   submit ─┬─ process ─► to_work ─► workq (shared) ─► on_processed ─┐
 *           └───────────────────────────────────────────────────────┴─► to_record:
 *           record() ─► to_sink ─► writer (shared) ─► on_written ─► written()
 *
 * to_work and to_sink are the stream's own FIFOs for results that found no
 * room (the workq and the writer are bounded and shared by every stream);
 * while either holds anything, or the shared queues are full, the stream is
 * busy: its run starts nothing new and its engine's reads are paused.  Room
 * comes back through two wake-ups, the workers' (a processed result) and the
 * writer's (a written batch, or its room callback after a refusal); both
 * land in kick(), one deferred event that drains every stream's FIFOs in
 * order and wakes the streams that were busy.  So nothing polls, and one
 * full stream cannot stall the others' results for longer than a drain.
 *
 * Ownership: a result belongs to exactly one place at a time (a FIFO, the
 * workq, the writer); r->owner points at its stream while in the pipeline.
 * Teardown order, in one place (gather_pipeline_free): workers first (they
 * hand back what they hold), then what waits in FIFOs goes to the writer,
 * then the writer drains and closes every sink. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gather/engine.h"
#include "gather/error.h"
#include "gather/pipeline.h"
#include "pipeline/share.h"
#include "util/hostshare.h"
#include "output/sink.h"
#include "pipeline/resq.h"
#include "pipeline/workq.h"

struct gather_pipeline {
	struct event_base *base;
	struct gather_workq *workq;
	struct gather_writer *writer;
	struct event *kick;            /* drain every stream on the next turn */
	bool waiting;                  /* some stream is busy or holds results:
	                                * room must kick (else room is no news) */
	struct gather_stream *streams; /* every live or orphaned stream */
	struct gather_hostshare *hosts;/* politeness of every crawl on it */
};

struct gather_stream {
	struct gather_pipeline *p;
	struct gather_stream *prev, *next;
	struct gather_stream_conf c;
	struct gather_sink *sink;
	struct gather_resq to_work;    /* waiting for room in the workq */
	struct gather_resq to_sink;    /* recorded, waiting for room in the writer */
	size_t pending;                /* submitted, written() not yet run */
	bool stopped;                  /* no more processing */
	bool closing;                  /* close asked: when pending is 0 */
	bool close_sent;               /* the sink's close is with the writer */
	bool closed;                   /* closed() ran (or would have) */
	bool orphan;                   /* freed by its run while results were out */
	bool busy;                     /* said busy: wake() when no longer */
	bool paused;                   /* engine reads paused */
};

static void kick(struct gather_pipeline *p)
{
	event_active(p->kick, 0, 0);
}

static void stream_unlink_free(struct gather_stream *s)
{
	struct gather_pipeline *p = s->p;
	if (s->prev)
		s->prev->next = s->next;
	else
		p->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	gather_resq_free(&s->to_work);
	gather_resq_free(&s->to_sink);
	free(s);
}

/* The sink's close is done (reactor, from the writer's hand-back). */
static void on_sink_closed(int rc, const char *msg, void *arg)
{
	struct gather_stream *s = arg;
	s->sink = NULL; /* the writer frees it after this */
	s->closed = true;
	if (s->orphan) {
		stream_unlink_free(s);
		return;
	}
	if (s->c.closed)
		s->c.closed(rc, msg, s->c.arg);
}

static void maybe_close(struct gather_stream *s)
{
	if ((s->closing || s->orphan) && !s->close_sent && s->pending == 0) {
		s->close_sent = true;
		gather_sink_close_async(s->sink, on_sink_closed, s);
	}
}

static void on_written(struct gather_result *r, void *arg);
static void on_written_count(size_t n, void *arg);

/* Hand a recorded result to the writer, or queue it (keeping order). */
static void to_writer(struct gather_stream *s, struct gather_result *r)
{
	if (s->to_sink.n == 0 && gather_sink_put(s->sink, r) == 0)
		return;
	s->p->waiting = true;
	if (gather_resq_push(&s->to_sink, r) < 0) {
		/* Out of memory for one more pointer: the record cannot be
		 * written.  Its run still hears of it, as if written, with the
		 * error said (a crawl waits for every page's written() before it
		 * ends; with --state the page is not committed, so a resume
		 * fetches it again). */
		gather_result_fail(r, GATHER_E_NOMEM, "out of memory: the record was not written");
		gather_result_drop_bodies(r);
		if (s->c.written) {
			on_written(r, s);
		} else {
			gather_result_free(r);
			on_written_count(1, s);
		}
	}
}

/* r's processing (if any) is over: it is final. */
static void record(struct gather_stream *s, struct gather_result *r)
{
	if (s->c.record && !s->orphan)
		s->c.record(r, s->c.arg);
	to_writer(s, r);
}

/* Writer hand-back: r is in every output of its stream. */
static void on_written(struct gather_result *r, void *arg)
{
	struct gather_stream *s = arg;
	r->owner = NULL;
	s->pending--;
	if (s->c.written && !s->orphan)
		s->c.written(r, s->c.arg);
	else
		gather_result_free(r);
	maybe_close(s);
	if (s->p->waiting)
		kick(s->p); /* the writer made room */
}

/* Writer hand-back of a stream without written(): n records are in every
 * output and freed already. */
static void on_written_count(size_t n, void *arg)
{
	struct gather_stream *s = arg;
	s->pending -= n;
	if (s->c.written_count && !s->orphan)
		s->c.written_count(n, s->c.arg);
	maybe_close(s);
	if (s->p->waiting)
		kick(s->p);
}

/* Worker thread: the stream's own processing. */
static void work_trampoline(struct gather_result *r, void *arg)
{
	struct gather_stream *s = r->owner;
	(void)arg;
	if (s->c.work)
		s->c.work(r, s->c.arg);
}

/* Reactor: a worker is done with r. */
static void on_processed(struct gather_result *r, void *arg)
{
	struct gather_pipeline *p = arg;
	struct gather_stream *s = r->owner;
	record(s, r);
	if (p->waiting)
		kick(p); /* a workq slot is free */
}

static void on_writer_room(void *arg)
{
	kick(arg);
}

static bool stream_blocked(struct gather_stream *s)
{
	return s->to_work.n || s->to_sink.n || gather_writer_full(s->p->writer) ||
	       (s->c.work && !s->stopped && gather_workq_full(s->p->workq));
}

static void update_pause(struct gather_stream *s, bool blocked)
{
	if (blocked)
		s->p->waiting = true;
	if (s->c.engine && blocked != s->paused && !s->orphan) {
		gather_engine_pause_reads(s->c.engine, blocked);
		s->paused = blocked;
	}
}

/* Move s's waiting results on as far as there is room. */
static void drain(struct gather_stream *s)
{
	struct gather_result *r;
	while ((r = gather_resq_peek(&s->to_work))) {
		if (s->stopped) {
			gather_resq_pop(&s->to_work);
			record(s, r);
			continue;
		}
		if (gather_workq_push(s->p->workq, r) < 0)
			break;
		gather_resq_pop(&s->to_work);
	}
	while ((r = gather_resq_peek(&s->to_sink))) {
		if (gather_sink_put(s->sink, r) < 0)
			break;
		gather_resq_pop(&s->to_sink);
	}
}

/* The deferred drain: every stream's FIFOs, then wake those no longer
 * busy.  Streams may be freed by their wake() (a run that finished):
 * walk with the next pointer taken first. */
static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct gather_pipeline *p = arg;
	(void)fd;
	(void)what;
	for (struct gather_stream *s = p->streams; s; s = s->next)
		drain(s);
	p->waiting = false;
	for (struct gather_stream *s = p->streams, *next; s; s = next) {
		next = s->next;
		bool blocked = stream_blocked(s);
		if (blocked)
			p->waiting = true;
		update_pause(s, blocked);
		if (s->busy && !blocked && !s->orphan) {
			s->busy = false;
			if (s->c.wake)
				s->c.wake(s->c.arg);
		}
	}
}

struct gather_pipeline *gather_pipeline_new(struct event_base *base, unsigned workers,
                                            size_t work_capacity, char *err, size_t errlen)
{
	struct gather_pipeline *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base = base;
	p->kick = event_new(base, -1, 0, on_kick, p);
	p->hosts = gather_hostshare_new();
	if (!p->kick || !p->hosts) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->workq = gather_workq_new(base, workers, work_capacity ? work_capacity : 64,
	                            work_trampoline, on_processed, p, err, errlen);
	if (!p->workq)
		goto fail;
	p->writer = gather_writer_new(base, err, errlen);
	if (!p->writer)
		goto fail;
	gather_writer_on_room(p->writer, on_writer_room, p);
	return p;
fail:
	gather_pipeline_free(p);
	return NULL;
}

struct event_base *gather_pipeline_base(const struct gather_pipeline *p)
{
	return p->base;
}

void gather_pipeline_free(struct gather_pipeline *p)
{
	if (!p)
		return;
	/* Workers first: what they hold comes back through on_processed,
	 * unprocessed (r->processed false), into the writer or to_sink. */
	for (struct gather_stream *s = p->streams; s; s = s->next)
		s->stopped = true;
	gather_workq_free(p->workq);
	p->workq = NULL;
	/* Then every waiting result into the writer (it makes room as it
	 * writes: the one wait of a teardown, on its condition variable), and
	 * every sink closed after its records. */
	for (struct gather_stream *s = p->streams; s; s = s->next) {
		struct gather_result *r;
		while ((r = gather_resq_peek(&s->to_work))) {
			gather_resq_pop(&s->to_work);
			if (s->c.record && !s->orphan)
				s->c.record(r, s->c.arg);
			if (gather_resq_push(&s->to_sink, r) < 0)
				gather_result_free(r);
		}
		while ((r = gather_resq_peek(&s->to_sink))) {
			gather_resq_pop(&s->to_sink);
			gather_sink_put_wait(s->sink, r);
		}
		if (s->sink && !s->close_sent) {
			s->close_sent = true;
			gather_sink_close_async(s->sink, NULL, NULL);
		}
		s->sink = NULL;
	}
	gather_writer_free(p->writer); /* joins: all written and closed */
	while (p->streams)
		stream_unlink_free(p->streams);
	if (p->kick)
		event_free(p->kick);
	gather_hostshare_free(p->hosts);
	free(p);
}

struct gather_hostshare *gather_pipeline_hosts(struct gather_pipeline *p)
{
	return p->hosts;
}

uint64_t gather_pipeline_stuck_ms(const struct gather_pipeline *p, unsigned *ret_worker)
{
	return gather_workq_stuck_ms(p->workq, ret_worker);
}

unsigned gather_pipeline_workers(const struct gather_pipeline *p)
{
	return gather_workq_workers(p->workq);
}

struct gather_stream *gather_stream_new(struct gather_pipeline *p,
                                        const struct gather_stream_conf *c,
                                        char *err, size_t errlen)
{
	struct gather_stream *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->p = p;
	s->c = *c;
	s->sink = gather_sink_open_at(p->writer, c->o, c->cmd, c->resume_at, err, errlen);
	if (!s->sink) {
		free(s);
		return NULL;
	}
	if (c->durable)
		gather_sink_on_written(s->sink, c->durable, c->arg);
	if (c->synced)
		gather_sink_on_sync(s->sink, c->synced, c->arg,
		                    c->sync_interval_ms ? c->sync_interval_ms : 200);
	if (c->written)
		gather_sink_on_done(s->sink, on_written, s);
	else
		gather_sink_on_done_count(s->sink, on_written_count, s);
	s->next = p->streams;
	if (p->streams)
		p->streams->prev = s;
	p->streams = s;
	return s;
}

unsigned gather_stream_fetch_flags(const struct gather_stream *s)
{
	return gather_sink_fetch_flags(s->sink);
}

void gather_stream_submit(struct gather_stream *s, struct gather_result *r, bool process)
{
	r->owner = s;
	s->pending++;
	if (process && s->c.work && !s->stopped) {
		if (s->to_work.n == 0 && gather_workq_push(s->p->workq, r) == 0)
			return;
		if (gather_resq_push(&s->to_work, r) == 0) {
			update_pause(s, true);
			return;
		}
		/* no memory to wait: write it unprocessed */
	}
	record(s, r);
	if (s->to_sink.n)
		update_pause(s, true);
}

bool gather_stream_busy(struct gather_stream *s)
{
	bool b = stream_blocked(s);
	if (b) {
		s->busy = true; /* wake() when the pipeline drains it */
		s->p->waiting = true;
	}
	return b;
}

size_t gather_stream_pending(const struct gather_stream *s)
{
	return s->pending;
}

void gather_stream_stop(struct gather_stream *s)
{
	s->stopped = true;
	s->p->waiting = true;
	kick(s->p); /* to_work goes to the outputs now */
}

void gather_stream_close(struct gather_stream *s)
{
	s->closing = true;
	maybe_close(s);
}

void gather_stream_free(struct gather_stream *s)
{
	if (!s)
		return;
	if (s->closed) {
		stream_unlink_free(s);
		return;
	}
	/* Results are still out (or the outputs were never closed): the
	 * stream lives on, silent, until they are written and its outputs
	 * closed (on_sink_closed frees it), or until the pipeline goes.  Its
	 * run freed the engine already (the engine completes its fetches into
	 * the stream as it goes): not touched again. */
	s->c.engine = NULL;
	s->orphan = true;
	s->stopped = true;
	maybe_close(s);
	kick(s->p);
}
