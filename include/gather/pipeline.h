/* pipeline.h — the one pipeline every run goes through:
 *
 *   engine ──► (work queue ──► worker threads) ──► writer thread ──► written
 *   fetches       process: parse, links, fields     jsonl, warc, mirror
 *
 * A pipeline belongs to one reactor (event_base) and owns one worker pool and
 * one writer thread, shared by every run on that reactor: `gather get`,
 * `gather crawl`, each job of `gather run --parallel` and of the daemon.  A
 * run attaches a stream: its outputs (opened from its options) and its
 * callbacks.  The pipeline moves each result on, keeps memory bounded (a
 * stream is "busy" while its results wait for room: start nothing new; its
 * engine's reads are paused meanwhile), and says when there is room again
 * (the workers and the writer wake the reactor: nobody polls).  Every
 * result ends in exactly one written() call on the reactor thread, after
 * its record is in every output of its stream.
 *
 * Threads: everything here on the reactor thread, bar the work callback
 * (worker threads). */
#ifndef GATHER_PIPELINE_H
#define GATHER_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "gather/options.h"
#include "gather/result.h"

struct event_base;
struct gather_engine;
struct gather_pipeline;
struct gather_stream;

/* A pipeline on base (made after evthread_use_pthreads()) with workers
 * worker threads (0: one per online CPU) and room for work_capacity results
 * between the reactor and the workers.  NULL with err filled. */
struct gather_pipeline *gather_pipeline_new(struct event_base *base, unsigned workers,
                                            size_t work_capacity, char *err, size_t errlen);

struct event_base *gather_pipeline_base(const struct gather_pipeline *p);

/* Stops the workers (results not yet processed go on unprocessed), writes
 * everything queued, joins the threads, closes the outputs of streams freed
 * while results were out, frees.  Streams not freed yet must not be used
 * again.  Accepts NULL. */
void gather_pipeline_free(struct gather_pipeline *p);

struct gather_stream_conf {
	const struct gather_opts *o; /* outputs: o->jsonl (or stdout), warc, mirror, outdir */
	unsigned cmd;                /* GATHER_CMD_GET or GATHER_CMD_CRAWL (record shape) */
	struct gather_engine *engine;/* its reads pause while the stream is busy; may be NULL */
	/* Worker thread: process r (may modify it, must not free it). */
	void (*work)(struct gather_result *r, void *arg);
	/* Reactor: r is final and about to be written (count it, observe it). */
	void (*record)(struct gather_result *r, void *arg);
	/* Reactor: r is in every output; ownership passes (free it).  Bodies
	 * and heads are freed already; url, links, ids... are as they were. */
	void (*written)(struct gather_result *r, void *arg);
	/* Or, when written is NULL (a run that needs nothing back): records
	 * are freed on the writer thread, and this says n more are written. */
	void (*written_count)(size_t n, void *arg);
	/* Reactor: the stream was busy and has room again. */
	void (*wake)(void *arg);
	/* Reactor: the outputs are closed (after gather_stream_close): rc 0 or
	 * GATHER_E_IO with msg naming the first write error. */
	void (*closed)(int rc, const char *msg, void *arg);
	void *arg;

	/* Crash-safe state (a crawl's --state), all optional: */
	/* Writer thread: r is in every output (lent; r->body and heads still
	 * there), in submit order.  Must not block for long. */
	void (*durable)(const struct gather_result *r, void *arg);
	/* Writer thread: the outputs were fdatasync'ed and end at m; every
	 * record durable() saw is on disk.  At most every sync_interval_ms
	 * (0: 200) while records come, when the writer idles, and before the
	 * outputs close. */
	void (*synced)(const struct gather_output_marks *m, void *arg);
	unsigned sync_interval_ms;
	/* Reopen the outputs at these marks (a resume), not truncated. */
	const struct gather_output_marks *resume_at;
};

/* A stream on p: opens the outputs c->o names.  NULL with err naming the
 * file (or the problem). */
struct gather_stream *gather_stream_new(struct gather_pipeline *p,
                                        const struct gather_stream_conf *c,
                                        char *err, size_t errlen);

/* What fetches must keep (GATHER_FETCH_KEEP_*) for the outputs. */
unsigned gather_stream_fetch_flags(const struct gather_stream *s);

/* Hand over a result (ownership passes): to the workers first when process
 * is true (and the stream has a work callback and is not stopped), then to
 * the outputs.  Never fails and never blocks: when there is no room it
 * waits in the stream, which is busy meanwhile. */
void gather_stream_submit(struct gather_stream *s, struct gather_result *r, bool process);

/* True while results wait for room: start no new fetch (wake() follows). */
bool gather_stream_busy(struct gather_stream *s);

/* Results submitted whose written() has not run yet. */
size_t gather_stream_pending(const struct gather_stream *s);

/* From now on nothing more is processed: results waiting for a worker go
 * to the outputs as they are (a stop). */
void gather_stream_stop(struct gather_stream *s);

/* No more submits: once every result is written, close the outputs on the
 * writer thread, then call closed().  Once only. */
void gather_stream_close(struct gather_stream *s);

/* Frees.  After closed() this is all; earlier (teardown with results still
 * out) the stream stays alive inside the pipeline until they are written
 * and its outputs closed, with no more callbacks.  Accepts NULL. */
void gather_stream_free(struct gather_stream *s);

#endif
