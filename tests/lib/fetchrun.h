/* fetchrun.h — test harness: a fresh event_base, a test server on it, an
 * engine, a batch of fetches run to completion under a time bound. */
#ifndef GATHER_FETCHRUN_H
#define GATHER_FETCHRUN_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "gather/engine.h"
#include "gather/options.h"
#include "gather/result.h"
#include "testserver.h"

#define FR_MAX 64

struct fetchrun;
struct fr_slot {
	struct fetchrun *fr;
	unsigned i;
};

struct fetchrun {
	struct event_base *base;
	struct gather_opts o;          /* test defaults; tweak before fr_engine */
	struct testserver *ts;
	struct gather_engine *e;
	bool https;
	unsigned n, ndone;
	struct gather_result *res[FR_MAX];
	struct fr_slot slot[FR_MAX];
	const char *refuse_redirects_to; /* redirect hook refuses URLs containing this */
};

/* tls: server context (NULL: plain HTTP).  Aborts the test on failure. */
void fr_init(struct fetchrun *fr, SSL_CTX *tls);
/* Creates the engine from fr->o; returns NULL (message in err) on failure. */
struct gather_engine *fr_engine(struct fetchrun *fr, char *err, size_t errlen);
/* Queues path on the test server (or an absolute URL). */
void fr_add(struct fetchrun *fr, const char *path, unsigned flags);
/* Runs the base until every fetch is done or timeout_ms passed; returns the
 * number done. */
unsigned fr_run(struct fetchrun *fr, unsigned timeout_ms);
/* Runs the base for ms (lets timers and closes happen). */
void fr_idle(struct fetchrun *fr, unsigned ms);
void fr_free(struct fetchrun *fr);

#endif
