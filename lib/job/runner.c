/* runner.c — one job on a pipeline: a URL-list fetch (`gather get`, job
 * mode get) here, a crawl handed to lib/crawl.  See gather/runner.h.
 *
 *   input ─► engine ─► stream (workers when fields are extracted) ─► outputs
 *
 * Everything here runs on the reactor thread.  The runner never blocks and
 * never polls: it starts fetches while the concurrency and the stream allow
 * (gather_stream_busy), and the pipeline wakes it when there is room. */
#include "config.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/crawl.h"
#include "gather/engine.h"
#include "gather/error.h"
#include "gather/pipeline.h"
#include "gather/runner.h"
#include "html/html.h"
#include "output/bodyfile.h"
#include "pipeline/input.h"
#include "url/url.h"
#include "util/clock.h"

struct gather_runner {
	struct event_base *base;
	const struct gather_opts *o;
	unsigned cmd;
	struct gather_pipeline *own_pipe; /* made by gather_runner_new, else NULL */
	struct gather_pipeline *pipe;

	struct gather_engine *engine;
	struct gather_extractor *x;    /* NULL when nothing is extracted */
	struct gather_stream *stream;
	struct gather_input *input;
	unsigned fetch_flags;
	struct event *kick;            /* runs pump() on the next loop turn */

	bool input_done, input_waiting, stopping, closing, finished;
	struct gather_run_stats st;
	uint64_t t0_ms;
	char first_err[256];           /* first input error */
	int close_rc;                  /* the outputs' close: 0 or GATHER_E_IO */
	char close_err[256];

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

static void kick(struct gather_runner *r)
{
	event_active(r->kick, 0, 0);
}

static void note_err(struct gather_runner *r, const char *msg)
{
	if (!r->first_err[0])
		snprintf(r->first_err, sizeof r->first_err, "%s", msg);
}

/* Stream: a record is final (reactor thread): count it. */
static void on_record(struct gather_result *res, void *arg)
{
	struct gather_runner *r = arg;
	r->st.done++;
	if (res->err == 0 && res->status > 0 && res->status < 400)
		r->st.ok++;
	else
		r->st.failed++;
	r->st.bytes += res->bytes;
	/* passwords out of sight from here on (records, WARC, -v lines) */
	if (gather_url_redact_result(res) < 0)
		note_err(r, "out of memory hiding a password");
	if (r->on_record)
		r->on_record(res, r->on_record_arg);
}

/* Stream: n more records are in every output (freed by the writer: a get
 * needs nothing of them back). */
static void on_written(size_t n, void *arg)
{
	struct gather_runner *r = arg;
	(void)n;
	if (r->stopping || r->input_done)
		kick(r); /* maybe the last ones */
}

/* Stream: room again. */
static void on_wake(void *arg)
{
	kick(arg);
}

/* Stream: the outputs are closed: the run is over. */
static void on_closed(int rc, const char *msg, void *arg)
{
	struct gather_runner *r = arg;
	if (rc < 0)
		snprintf(r->close_err, sizeof r->close_err, "%s", msg ? msg : "error writing the outputs");
	r->close_rc = rc;
	r->finished = true;
	r->st.elapsed_ms = gather_now_ms() - r->t0_ms;
	if (r->done)
		r->done(r, r->done_arg);
}

/* Engine callback, reactor thread: a fetch ended.  A response whose body
 * -o saves goes to a worker too (a file is written there, never here). */
static void on_fetched(struct gather_result *res, void *arg)
{
	struct gather_runner *r = arg;
	bool save = r->o->output && res->err == 0 && res->status > 0;
	gather_stream_submit(r->stream, res, save || (r->x && res->err == 0 && res->body.len > 0));
	kick(r);
}

/* Worker thread: -o FILE's body, as curl -o: any response that arrived
 * whole, whatever its status; a failed save is the record's error (io). */
static void save_body(struct gather_runner *r, struct gather_result *res)
{
	char err[600];
	if (gather_bodyfile_save(r->o->output, res->body.data ? res->body.data : "", res->body.len,
	                         err, sizeof err) < 0) {
		gather_result_fail(res, GATHER_E_IO, err);
		return;
	}
	res->saved = strdup(r->o->output); /* out of memory: not said, still saved */
}

/* Worker thread: the CPU-heavy part. */
static void process(struct gather_result *res, void *arg)
{
	struct gather_runner *r = arg;
	if (r->x && res->body.len > 0)
		gather_extract(r->x, res);
	if (r->o->output && res->err == 0 && res->status > 0)
		save_body(r, res);
}

/* Input callback: a pipe has lines again. */
static void on_input_ready(void *arg)
{
	struct gather_runner *r = arg;
	r->input_waiting = false;
	kick(r);
}

/* A record for a line we never fetch (malformed URL, over-long line, a
 * NUL byte in it: why is gather_input_next's *ret_toolong). */
static void refuse_url(struct gather_runner *r, char *url, const char *src, int why)
{
	struct gather_result *res = gather_result_new();
	char msg[600];
	if (!res) {
		free(url);
		return;
	}
	res->url = url;
	snprintf(msg, sizeof msg, "%s (%s)",
	         why == GATHER_INPUT_TOOLONG ? "line too long for a URL"
	         : why == GATHER_INPUT_NUL   ? "NUL byte in the line"
	                                     : "malformed URL, or not http/https", src);
	gather_result_fail(res, GATHER_E_BAD_URL, msg);
	gather_stream_submit(r->stream, res, false);
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
		note_err(r, src);
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
	if (ret < 0)
		note_err(r, "out of memory starting a fetch");
	return ret == 0;
}

/* The runner's one step: start fetches, notice the end.  Called from the
 * kick event, never re-entered. */
static void pump(evutil_socket_t fd, short what, void *arg)
{
	struct gather_runner *r = arg;
	(void)fd;
	(void)what;

	while (!r->stopping && !r->input_done && !r->input_waiting &&
	       gather_engine_inflight(r->engine) < r->o->concurrency &&
	       !gather_stream_busy(r->stream))
		if (!start_one(r))
			break;

	if (!r->closing && (r->input_done || r->stopping) &&
	    gather_engine_inflight(r->engine) == 0 && gather_stream_pending(r->stream) == 0) {
		r->closing = true;
		gather_stream_close(r->stream); /* on_closed follows */
	}
}

static struct gather_runner *runner_new(struct gather_pipeline *pipe, bool own,
                                        const struct gather_opts *o, unsigned cmd,
                                        const struct gather_strv *urls,
                                        char *err, size_t errlen)
{
	struct gather_runner *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		if (own)
			gather_pipeline_free(pipe);
		return NULL;
	}
	r->pipe = pipe;
	r->own_pipe = own ? pipe : NULL;
	r->base = gather_pipeline_base(pipe);
	r->o = o;
	r->cmd = cmd;
	if (cmd == GATHER_CMD_CRAWL) {
		r->crawl = gather_crawl_new(pipe, o, urls, err, errlen);
		if (!r->crawl)
			goto fail;
		return r;
	}
	if (o->concurrency == 0) {
		snprintf(err, errlen, "concurrency must be at least 1");
		goto fail;
	}
	if (o->extract.n || o->regex.n) {
		r->x = gather_extractor_new(o, err, errlen);
		if (!r->x)
			goto fail;
	}
	r->engine = gather_engine_new(r->base, o, err, errlen);
	if (!r->engine)
		goto fail;
	struct gather_stream_conf sc = {
		.o = o,
		.cmd = cmd,
		.engine = r->engine,
		.work = r->x || o->output ? process : NULL,
		.record = on_record,
		.written_count = on_written,
		.wake = on_wake,
		.closed = on_closed,
		.arg = r,
	};
	r->stream = gather_stream_new(pipe, &sc, err, errlen);
	if (!r->stream)
		goto fail;
	r->fetch_flags = gather_stream_fetch_flags(r->stream);
	if (r->x || o->output)
		r->fetch_flags |= GATHER_FETCH_KEEP_BODY;
	r->input = gather_input_new(r->base, urls, &o->input, 65536, on_input_ready, r);
	r->kick = event_new(r->base, -1, 0, pump, r);
	if (!r->input || !r->kick) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return r;
fail:
	gather_runner_free(r, NULL, 0);
	return NULL;
}

struct gather_runner *gather_runner_new_on(struct gather_pipeline *p,
                                           const struct gather_opts *o, unsigned cmd,
                                           const struct gather_strv *urls,
                                           char *err, size_t errlen)
{
	return runner_new(p, false, o, cmd, urls, err, errlen);
}

struct gather_runner *gather_runner_new(struct event_base *base,
                                        const struct gather_opts *o, unsigned cmd,
                                        const struct gather_strv *urls,
                                        char *err, size_t errlen)
{
	size_t cap = 2 * (size_t)(o->concurrency ? o->concurrency : 1) + 16;
	struct gather_pipeline *p = gather_pipeline_new(base, o->workers, cap, err, errlen);
	if (!p)
		return NULL;
	return runner_new(p, true, o, cmd, urls, err, errlen);
}

int gather_runner_start(struct gather_runner *r,
                        void (*done)(struct gather_runner *, void *), void *arg)
{
	r->done = done;
	r->done_arg = arg;
	r->t0_ms = gather_now_ms();
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
	gather_stream_stop(r->stream);
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
		ret->elapsed_ms = gather_now_ms() - r->t0_ms;
}

const char *gather_runner_note(const struct gather_runner *r)
{
	return r->crawl ? gather_crawl_note(r->crawl) : NULL;
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
	} else {
		/* Not finished (freed early): stop, and let the reactor write
		 * what is out and close the outputs; a free is never inside
		 * this base's callbacks, so the loop may run here. */
		if (r->stream && !r->finished) {
			gather_runner_stop(r);
			while (!r->finished && event_base_loop(r->base, EVLOOP_ONCE) == 0)
				;
		}
		if (r->close_rc < 0) {
			ret = GATHER_E_IO;
			if (err)
				snprintf(err, errlen, "%s", r->close_err);
		}
		/* The engine first (it completes fetches into the stream), then
		 * the stream (closed by now, or left to the pipeline). */
		gather_engine_free(r->engine);
		gather_stream_free(r->stream);
		if (r->finished || !r->stream)
			gather_extractor_free(r->x);
		/* else: results may still be in a worker's hands with it */
		gather_input_free(r->input);
		if (r->kick)
			event_free(r->kick);
	}
	gather_pipeline_free(r->own_pipe);
	free(r);
	return ret;
}
