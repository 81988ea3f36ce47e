/* sink.h — where records go: JSON lines, WARC/1.1, mirror directory and the
 * -o body directory, written by a writer thread, never on the reactor.
 *
 * Two objects:
 *   - a writer: one thread and one bounded queue, shared by every sink put
 *     on it (so a service running many jobs runs one writer, not one per
 *     job).  Made on a reactor's event_base, it hands written records back
 *     to that reactor (event_active on a notify event) and tells it when it
 *     has room again: nobody polls.
 *   - a sink: the outputs of one run (its files), attached to a writer.
 *
 * gather_sink_open() makes a sink with a writer of its own and no reactor
 * (records are freed on the writer thread; close joins it): the simple form,
 * for tools and tests.  gather_sink_open_on() puts a sink on a shared writer
 * (lib/pipeline does that for every run). */
#ifndef GATHER_SINK_H
#define GATHER_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "gather/options.h"
#include "gather/result.h"

struct event_base;
struct gather_sink;
struct gather_writer;

/* ---- the writer --------------------------------------------------------- */

/* A writer thread handing records back to base's reactor.  base must have
 * been created after evthread_use_pthreads().  NULL with err filled. */
struct gather_writer *gather_writer_new(struct event_base *base, char *err, size_t errlen);

/* Reactor thread: fn(arg) is called on the reactor when the writer made room
 * after a put was refused or gather_writer_full() said full. */
void gather_writer_on_room(struct gather_writer *w, void (*fn)(void *), void *arg);

bool gather_writer_full(const struct gather_writer *w);

/* Joins the thread and frees.  Every sink on w must be closed (their
 * closed() called) first.  Accepts NULL.  Reactor thread. */
void gather_writer_free(struct gather_writer *w);

/* ---- sinks -------------------------------------------------------------- */

/* Open the outputs o names (o->jsonl or stdout, o->warc, o->mirror,
 * o->outdir) for records of command cmd (GATHER_CMD_GET: url as given;
 * GATHER_CMD_CRAWL: depth, parent, title, links, fields), on writer w.
 * NULL with err naming the file on failure. */
struct gather_sink *gather_sink_open_on(struct gather_writer *w, const struct gather_opts *o,
                                        unsigned cmd, char *err, size_t errlen);

/* The same, resuming a crawl (--state): outputs reopened at the marks
 * (cut back to them; a WARC rotation goes on from the marked file) rather
 * than truncated.  A file shorter than its mark was cut or replaced since:
 * NULL with err saying so.  at NULL: as gather_sink_open_on. */
struct gather_sink *gather_sink_open_at(struct gather_writer *w, const struct gather_opts *o,
                                        unsigned cmd, const struct gather_output_marks *at,
                                        char *err, size_t errlen);

/* The same with a writer of its own and no reactor. */
struct gather_sink *gather_sink_open(const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen);

/* GATHER_FETCH_KEEP_BODY / GATHER_FETCH_KEEP_RAW as the outputs need. */
unsigned gather_sink_fetch_flags(const struct gather_sink *s);

/* Hand r to the writer (ownership passes).  Never blocks: GATHER_E_AGAIN,
 * ownership kept by the caller, when the writer's bounded queue is full
 * (then on_room, if set, follows when there is room). */
int gather_sink_put(struct gather_sink *s, struct gather_result *r);
bool gather_sink_full(const struct gather_sink *s);
/* At a teardown only (nothing else runs on the reactor any more): put r,
 * waiting for the writer to make room (on its condition variable). */
void gather_sink_put_wait(struct gather_sink *s, struct gather_result *r);

/* A sink on a shared writer: fn(r, arg) is called on the reactor thread for
 * each record once all its outputs are written (its JSON line included), in
 * put order; ownership of r passes to fn (bodies and heads already freed:
 * the rest, url, links, ids..., is as it was put).  Without it, records are
 * freed on the writer thread.  Set before the first put. */
typedef void (*gather_sink_done_fn)(struct gather_result *r, void *arg);
void gather_sink_on_done(struct gather_sink *s, gather_sink_done_fn fn, void *arg);

/* Or, for a run that needs nothing of its records once written: they are
 * freed on the writer thread (the reactor never touches them again) and
 * fn(n, arg) on the reactor says n more are written, once per batch. */
typedef void (*gather_sink_count_fn)(size_t n, void *arg);
void gather_sink_on_done_count(struct gather_sink *s, gather_sink_count_fn fn, void *arg);

/* Optional, set before the first put: fn(r, arg) is called on the writer
 * thread for each record once all its outputs are written, in put order,
 * just before r is freed or handed back; r is only lent.  fn must not call
 * back into the sink. */
typedef void (*gather_sink_written_fn)(const struct gather_result *r, void *arg);
void gather_sink_on_written(struct gather_sink *s, gather_sink_written_fn fn, void *arg);

/* Optional, set before the first put (a crawl with --state): on the writer
 * thread, at most every interval_ms while records are written (and when
 * the writer goes idle after them, and before the outputs close), the
 * outputs are flushed to disk (fdatasync) and fn(marks, arg) says where
 * they end: every record whose written callback ran before is on disk up
 * to there.  After a write or sync error it is called once more with
 * m->error set (the sink has failed: what came after the call before is
 * redone by a resume), then never again. */
typedef void (*gather_sink_sync_fn)(const struct gather_output_marks *m, void *arg);
void gather_sink_on_sync(struct gather_sink *s, gather_sink_sync_fn fn, void *arg,
                         unsigned interval_ms);

/* Records put and not yet handed back by the done callback (a sink on a
 * shared writer; 0 otherwise).  Reactor thread. */
size_t gather_sink_pending(const struct gather_sink *s);

/* A sink on a shared writer: close its outputs on the writer thread once
 * every record put before is written (flush, fsync), then call closed(rc,
 * msg, arg) on the reactor thread: rc 0, or GATHER_E_IO with msg naming the
 * first write error.  The sink is freed when closed() returns.  No put
 * after this. */
typedef void (*gather_sink_closed_fn)(int rc, const char *msg, void *arg);
void gather_sink_close_async(struct gather_sink *s, gather_sink_closed_fn closed, void *arg);

/* A sink with a writer of its own: write everything queued, flush, fsync
 * files, join the writer, free.  Returns 0 or the first write error
 * (GATHER_E_IO) with err filled.  Accepts NULL. */
int gather_sink_close(struct gather_sink *s, char *err, size_t errlen);

/* The JSON line (no newline) for r, as the sink writes it; malloc'ed,
 * NULL on OOM.  (The sink itself appends lines to its batch buffer with
 * gather_jsonl_record, lib/output/jsonl.h, without a malloc per record.) */
char *gather_record_json(const struct gather_result *r, unsigned cmd);

#endif
