/* runner.h — one job (a URL-list fetch or a crawl) on a reactor: the engine,
 * the worker pool, the frontier and the sink wired together.
 * Reactor thread only. */
#ifndef GATHER_RUNNER_H
#define GATHER_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "gather/options.h"
#include "gather/result.h"

struct event_base;
struct gather_runner;

/* A runner for cmd (GATHER_CMD_GET or GATHER_CMD_CRAWL) with options o (must
 * outlive the runner) and the given URLs or seeds; o->input files are read as
 * capacity frees.  NULL with err filled on a setup error (bad regex, XPath,
 * unwritable output, ...). */
struct gather_runner *gather_runner_new(struct event_base *base,
                                        const struct gather_opts *o, unsigned cmd,
                                        const struct gather_strv *urls,
                                        char *err, size_t errlen);

/* The same on a pipeline shared with other runs (gather/pipeline.h): one
 * worker pool and one writer for all; p must outlive the runner. */
struct gather_pipeline;
struct gather_runner *gather_runner_new_on(struct gather_pipeline *p,
                                           const struct gather_opts *o, unsigned cmd,
                                           const struct gather_strv *urls,
                                           char *err, size_t errlen);

/* Start; done(r, arg) is called on the reactor thread when every record is
 * written. */
int gather_runner_start(struct gather_runner *r,
                        void (*done)(struct gather_runner *, void *), void *arg);

/* SIGINT/SIGTERM: start nothing new, end in-flight fetches as cancelled,
 * flush every record; done() follows. */
void gather_runner_stop(struct gather_runner *r);

/* Optional, before start: fn(res, arg) is called on the reactor thread for
 * every record of the run (fetched, refused or failed), just before it goes
 * to the outputs; res is only lent.  For observers such as `gather bench`. */
typedef void (*gather_record_fn)(const struct gather_result *res, void *arg);
void gather_runner_on_record(struct gather_runner *r, gather_record_fn fn, void *arg);

void gather_runner_stats(const struct gather_runner *r, struct gather_run_stats *ret);

/* The first input or setup problem met while running (an unreadable -i
 * file, ...), NULL when none; valid until free. */
const char *gather_runner_error(const struct gather_runner *r);

/* 0 when the outputs closed cleanly, else GATHER_E_IO with err filled.
 * Frees.  Accepts NULL. */
/* A crawl with a state: what it resumed (gather_crawl_note), or NULL. */
const char *gather_runner_note(const struct gather_runner *r);

int gather_runner_free(struct gather_runner *r, char *err, size_t errlen);

#endif
