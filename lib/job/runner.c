/* runner.c — a URL-list fetch (`gather get`, job mode get): input → engine →
 * (workers, when fields are extracted) → sink.  See runner.h.
 *
 * Everything here runs on the reactor thread.  The runner never blocks: when
 * the worker queue or the sink is full it stops starting fetches and pauses
 * the engine's reads, and a short timer tries again. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "gather/crawl.h"
#include "gather/engine.h"
#include "gather/error.h"
#include "html/html.h"
#include "pipeline/input.h"
#include "pipeline/resq.h"
#include "gather/runner.h"
#include "output/sink.h"
#include "url/url.h"
#include "pipeline/workq.h"

struct gather_runner {
	struct event_base *base;
	const struct gather_opts *o;
	unsigned cmd;

	struct gather_engine *engine;
	struct gather_extractor *x;    /* NULL when nothing is extracted */
	struct gather_workq *workq;    /* NULL when nothing is extracted */
	struct gather_sink *sink;
	struct gather_input *input;
	unsigned fetch_flags;

	struct gather_resq to_work;           /* fetched, waiting for a worker slot */
	struct gather_resq to_sink;           /* finished, waiting for the sink */
	struct event *kick;            /* runs pump() on the next loop turn */
	struct event *retry;           /* pump() again shortly (queue was full) */

	bool input_done, input_waiting, stopping, finished, paused;
	struct gather_run_stats st;
	uint64_t t0_ms;
	char first_err[256];           /* first input or sink error */

	void (*done)(struct gather_runner *, void *);
	void *done_arg;
	gather_record_fn on_record;
	void *on_record_arg;
	struct gather_crawl *crawl;    /* GATHER_CMD_CRAWL: everything is there */
};

/* gather_crawl's done() → ours. */
static void crawl_done(struct gather_crawl *c, void *arg)
{
	struct gather_runner *r = arg;
	(void)c;
	r->finished = true;
	if (r->done)
		r->done(r, r->done_arg);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void kick(struct gather_runner *r)
{
	event_active(r->kick, 0, 0);
}

/* A finished record: count it and queue it for the sink. */
static void finish_record(struct gather_runner *r, struct gather_result *res)
{
	r->st.done++;
	if (res->err == 0 && res->status > 0 && res->status < 400)
		r->st.ok++;
	else
		r->st.failed++;
	r->st.bytes += res->bytes;
	if (r->on_record)
		r->on_record(res, r->on_record_arg);
	if (gather_resq_push(&r->to_sink, res) < 0) {
		gather_result_free(res); /* out of memory: the count above stands */
		if (!r->first_err[0])
			snprintf(r->first_err, sizeof r->first_err, "out of memory queueing a record");
	}
}

/* Engine callback, reactor thread: a fetch ended. */
static void on_fetched(struct gather_result *res, void *arg)
{
	struct gather_runner *r = arg;
	if (r->workq && res->err == 0 && res->body.len > 0) {
		if (gather_resq_push(&r->to_work, res) == 0) {
			kick(r);
			return;
		}
	}
	finish_record(r, res);
	kick(r);
}

/* Worker-queue callback, reactor thread: a page was processed. */
static void on_processed(struct gather_result *res, void *arg)
{
	struct gather_runner *r = arg;
	finish_record(r, res);
	kick(r);
}

/* Worker thread: the CPU-heavy part. */
static void process(struct gather_result *res, void *arg)
{
	struct gather_runner *r = arg;
	gather_extract(r->x, res);
}

/* Input callback: a pipe has lines again. */
static void on_input_ready(void *arg)
{
	struct gather_runner *r = arg;
	r->input_waiting = false;
	kick(r);
}

/* A record for a line we never fetch (malformed URL). */
static void refuse_url(struct gather_runner *r, char *url, const char *src, bool toolong)
{
	struct gather_result *res = gather_result_new();
	char msg[600];
	if (!res) {
		free(url);
		return;
	}
	res->url = url;
	snprintf(msg, sizeof msg, "%s (%s)",
	         toolong ? "line too long for a URL" : "malformed URL, or not http/https", src);
	gather_result_fail(res, GATHER_E_BAD_URL, msg);
	finish_record(r, res);
}

/* Start one fetch from the input.  Returns false when nothing can start now. */
static bool start_one(struct gather_runner *r)
{
	char *url;
	const char *src;
	int toolong;
	struct gather_url u;
	int ret = gather_input_next(r->input, &url, &src, &toolong);

	if (ret == 1) {
		r->input_done = true;
		return false;
	}
	if (ret == GATHER_E_AGAIN) {
		r->input_waiting = true;
		return false;
	}
	if (ret < 0) {
		if (!r->first_err[0])
			snprintf(r->first_err, sizeof r->first_err, "%s", src);
		r->st.failed++;
		return true; /* that file is skipped; go on with the next */
	}
	if (toolong || gather_url_parse(url, &u) < 0) {
		refuse_url(r, url, src, toolong);
		return true;
	}
	gather_url_clear(&u);
	ret = gather_engine_fetch(r->engine, url, r->fetch_flags, NULL, on_fetched, NULL, r);
	free(url);
	if (ret < 0 && !r->first_err[0])
		snprintf(r->first_err, sizeof r->first_err, "out of memory starting a fetch");
	return ret == 0;
}

static void arm_retry(struct gather_runner *r)
{
	struct timeval tv = { 0, 2000 };
	if (!evtimer_pending(r->retry, NULL))
		evtimer_add(r->retry, &tv);
}

/* Hand queued records to the sink; false when it is full (some remain). */
static bool drain_sink(struct gather_runner *r)
{
	struct gather_result *res;
	while ((res = gather_resq_peek(&r->to_sink))) {
		if (gather_sink_put(r->sink, res) < 0)
			return false;
		gather_resq_pop(&r->to_sink);
	}
	return true;
}

/* The runner's one step: move results on, start fetches, notice the end.
 * Called from the kick event and the retry timer, never re-entered. */
static void pump(evutil_socket_t fd, short what, void *arg)
{
	struct gather_runner *r = arg;
	struct gather_result *res;
	bool blocked = false;
	(void)fd;
	(void)what;

	while ((res = gather_resq_peek(&r->to_work))) {
		if (r->stopping) { /* no processing after a stop: write as fetched */
			gather_resq_pop(&r->to_work);
			finish_record(r, res);
			continue;
		}
		if (gather_workq_push(r->workq, res) < 0) {
			blocked = true;
			break;
		}
		gather_resq_pop(&r->to_work);
	}
	if (!drain_sink(r))
		blocked = true;
	if (blocked != r->paused) { /* backpressure on the sockets */
		gather_engine_pause_reads(r->engine, blocked);
		r->paused = blocked;
	}
	if (blocked)
		arm_retry(r);

	while (!blocked && !r->stopping && !r->input_done && !r->input_waiting &&
	       gather_engine_inflight(r->engine) < r->o->concurrency &&
	       r->to_sink.n == 0 && r->to_work.n == 0 &&
	       !(r->workq && gather_workq_full(r->workq)) && !gather_sink_full(r->sink)) {
		if (!start_one(r))
			break;
		/* A refused line made a record right here: hand it on now, for
		 * no fetch callback will come to kick us for it. */
		if (r->to_sink.n && !drain_sink(r)) {
			arm_retry(r);
			break;
		}
	}
	/* Stopped by a full sink or worker queue: the writer and the workers
	 * do not wake us when they make room, so look again shortly. */
	if (!r->stopping && !r->input_done && !r->input_waiting &&
	    (gather_sink_full(r->sink) || (r->workq && gather_workq_full(r->workq))))
		arm_retry(r);

	if (!r->finished && (r->input_done || r->stopping) &&
	    gather_engine_inflight(r->engine) == 0 &&
	    (!r->workq || gather_workq_pending(r->workq) == 0) &&
	    r->to_work.n == 0 && r->to_sink.n == 0) {
		r->finished = true;
		r->st.elapsed_ms = now_ms() - r->t0_ms;
		if (r->done)
			r->done(r, r->done_arg);
	}
}

struct gather_runner *gather_runner_new(struct event_base *base,
                                        const struct gather_opts *o, unsigned cmd,
                                        const struct gather_strv *urls,
                                        char *err, size_t errlen)
{
	struct gather_runner *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->base = base;
	r->o = o;
	r->cmd = cmd;
	if (cmd == GATHER_CMD_CRAWL) {
		r->crawl = gather_crawl_new(base, o, urls, err, errlen);
		if (!r->crawl)
			goto fail;
		return r;
	}
	if (o->concurrency == 0) {
		snprintf(err, errlen, "concurrency must be at least 1");
		goto fail;
	}
	r->sink = gather_sink_open(o, cmd, err, errlen);
	if (!r->sink)
		goto fail;
	r->fetch_flags = gather_sink_fetch_flags(r->sink);
	if (o->extract.n || o->regex.n) {
		r->x = gather_extractor_new(o, err, errlen);
		if (!r->x)
			goto fail;
		r->workq = gather_workq_new(base, o->workers, 2 * (size_t)o->concurrency + 16,
		                            process, on_processed, r, err, errlen);
		if (!r->workq)
			goto fail;
		r->fetch_flags |= GATHER_FETCH_KEEP_BODY;
	}
	r->engine = gather_engine_new(base, o, err, errlen);
	if (!r->engine)
		goto fail;
	r->input = gather_input_new(base, urls, &o->input, 65536, on_input_ready, r);
	r->kick = event_new(base, -1, 0, pump, r);
	r->retry = evtimer_new(base, pump, r);
	if (!r->input || !r->kick || !r->retry) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return r;
fail:
	gather_runner_free(r, NULL, 0);
	return NULL;
}

int gather_runner_start(struct gather_runner *r,
                        void (*done)(struct gather_runner *, void *), void *arg)
{
	r->done = done;
	r->done_arg = arg;
	r->t0_ms = now_ms();
	if (r->crawl)
		return gather_crawl_start(r->crawl, crawl_done, r);
	kick(r);
	return 0;
}

void gather_runner_stop(struct gather_runner *r)
{
	if (r->crawl) {
		gather_crawl_stop(r->crawl);
		return;
	}
	if (r->stopping)
		return;
	r->stopping = true;
	gather_input_close(r->input);
	gather_engine_cancel_all(r->engine);
	kick(r);
}

void gather_runner_on_record(struct gather_runner *r, gather_record_fn fn, void *arg)
{
	if (r->crawl) {
		gather_crawl_on_record(r->crawl, fn, arg);
		return;
	}
	r->on_record = fn;
	r->on_record_arg = arg;
}

void gather_runner_stats(const struct gather_runner *r, struct gather_run_stats *ret)
{
	if (r->crawl) {
		gather_crawl_stats(r->crawl, ret);
		return;
	}
	*ret = r->st;
	ret->inflight = r->engine ? gather_engine_inflight(r->engine) : 0;
	if (!r->finished)
		ret->elapsed_ms = now_ms() - r->t0_ms;
}

const char *gather_runner_error(const struct gather_runner *r)
{
	if (r->crawl)
		return gather_crawl_error(r->crawl);
	return r->first_err[0] ? r->first_err : NULL;
}

int gather_runner_free(struct gather_runner *r, char *err, size_t errlen)
{
	int ret = 0;
	if (!r)
		return 0;
	if (r->crawl) {
		ret = gather_crawl_free(r->crawl, err, errlen);
		free(r);
		return ret;
	}
	/* Order: nothing may call back into a freed part.  The engine goes
	 * first (it may still complete fetches into to_work/to_sink), then the
	 * workers hand back what they hold, then the sink drains. */
	gather_engine_free(r->engine);
	r->engine = NULL;
	gather_workq_free(r->workq);
	r->workq = NULL;
	if (r->sink) {
		struct gather_result *res;
		while ((res = gather_resq_peek(&r->to_work))) {
			gather_resq_pop(&r->to_work);
			finish_record(r, res);
		}
		gather_resq_flush_to_sink(&r->to_sink, r->sink);
		char buf[256] = "";
		ret = gather_sink_close(r->sink, buf, sizeof buf);
		if (ret < 0 && err)
			snprintf(err, errlen, "%s", buf);
	}
	gather_extractor_free(r->x);
	gather_input_free(r->input);
	gather_resq_free(&r->to_work);
	gather_resq_free(&r->to_sink);
	if (r->kick)
		event_free(r->kick);
	if (r->retry)
		event_free(r->retry);
	free(r);
	return ret;
}
