/* crawl.h — the crawl runner (`gather crawl SEED...`, job mode crawl): the
 * engine, the worker pool (link extraction), the frontier, scope, robots.txt,
 * sitemaps and the sink wired together.  Same shape as runner.h, which
 * dispatches GATHER_CMD_CRAWL here.
 *
 * One record per page handed out by the frontier: fetched (status, links,
 * title, fields...), refused by robots.txt (error "robots", not fetched), or
 * a redirect that left the scope (the 3xx, error "scope", not followed).
 *
 * Reactor thread only. */
#ifndef GATHER_CRAWL_H
#define GATHER_CRAWL_H

#include <stddef.h>

#include "gather/options.h"
#include "gather/result.h"

struct gather_crawl;
struct gather_pipeline;

/* A crawl of seeds (URLs, normalized here; a bad one gets a bad_url
 * record) with options o (must outlive the crawl; o->input files are read
 * for more seeds).  NULL with err filled on a setup error (bad regex,
 * XPath, unwritable output, ...).  It runs on pipeline p (gather/pipeline.h:
 * its reactor, workers and writer), which must outlive it. */
struct gather_crawl *gather_crawl_new(struct gather_pipeline *p, const struct gather_opts *o,
                                      const struct gather_strv *seeds,
                                      char *err, size_t errlen);

/* Start; done(c, arg) is called on the reactor thread when every record is
 * written (the frontier is empty, or --max-pages / --max-time / stop). */
int gather_crawl_start(struct gather_crawl *c, void (*done)(struct gather_crawl *, void *),
                       void *arg);

/* SIGINT/SIGTERM: start nothing new, end in-flight fetches as cancelled,
 * flush every record; done() follows. */
void gather_crawl_stop(struct gather_crawl *c);

/* As gather_runner_on_record (gather/runner.h). */
void gather_crawl_on_record(struct gather_crawl *c,
                            void (*fn)(const struct gather_result *, void *), void *arg);

void gather_crawl_stats(const struct gather_crawl *c, struct gather_run_stats *ret);

/* The first non-fatal error (a seed file that could not be read...), or
 * NULL. */
const char *gather_crawl_error(const struct gather_crawl *c);

/* 0 when the outputs closed cleanly, else GATHER_E_IO with err filled.
 * Frees.  Accepts NULL. */
/* With o->state: what the state held when the crawl was made ("resuming:
 * N pages done, M queued", or that it finished already), for the user;
 * NULL otherwise. */
const char *gather_crawl_note(const struct gather_crawl *c);

int gather_crawl_free(struct gather_crawl *c, char *err, size_t errlen);

#endif
