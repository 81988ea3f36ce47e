/* gather.h — the installed API of libgather, in one include.
 *
 *   #include <gather/gather.h>     cc app.c $(pkg-config --cflags --libs gather)
 *
 * The library exports these headers' functions and nothing else
 * (lib/gather.sym); everything else in lib/ is internal and may change.
 *   gather/error.h    the closed set of error codes and their texts
 *   gather/options.h  options (the command line's and job files'), parsers
 *   gather/result.h   one fetch's record, run counters
 *   gather/engine.h   many concurrent fetches on a libevent base
 *   gather/pipeline.h engine -> workers -> writer, shared by every run
 *   gather/crawl.h    a crawl: frontier, scope, robots.txt, outputs
 *   gather/runner.h   one job (a URL-list fetch or a crawl) end to end
 *   gather/job.h      job files (gather.conf(5))
 * Threads: see each header; the engine, crawl and runner live on the thread
 * that runs their event_base. */
#ifndef GATHER_GATHER_H
#define GATHER_GATHER_H

#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "gather/engine.h"
#include "gather/pipeline.h"
#include "gather/crawl.h"
#include "gather/runner.h"
#include "gather/job.h"

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *gather_version(void);

#endif
