/* engine.h — the fetch engine: many concurrent HTTP/1.1 fetches driven by one
 * libevent reactor (the C form of asyncio.gather over get_html coroutines).
 *
 * Threads: every function here is called on the reactor thread (the thread
 * running event_base_dispatch on the base given to gather_engine_new), and
 * every callback is made on it.
 *
 * The process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN) in main): a
 * write to a connection the peer closed is then an error the engine handles
 * (libevent and OpenSSL write without MSG_NOSIGNAL).
 *
 * Outcomes (struct gather_result): err 0 with the final status (also when
 * retries on 429/502/503/504 ran out: the last status stands); a redirect to
 * a URL that is not http(s) ends with GATHER_E_BAD_URL, the 3xx status and
 * final_url = that URL; more than max_redirs redirects end with
 * GATHER_E_TOO_MANY_REDIRECTS and the last 3xx status.  Retries (connect
 * errors, timeouts other than the total one, 429/502/503/504) back off
 * exponentially from 250 ms with jitter, or wait Retry-After, both capped at
 * retry_max_wait_ms, and never past the total timeout.  A request that fails
 * on a reused keep-alive connection before any response byte is repeated
 * once on a fresh connection without counting as an attempt. */
#ifndef GATHER_ENGINE_H
#define GATHER_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "gather/options.h"
#include "gather/result.h"

struct event_base;
struct gather_engine;

/* Flags for gather_engine_fetch: GATHER_FETCH_KEEP_* in gather/result.h. */

/* Called once per fetch, on the reactor thread, with a result the callee now
 * owns (free it with gather_result_free or pass it on). */
typedef void (*gather_fetch_done_fn)(struct gather_result *res, void *arg);

/* Asked before following a redirect to url (absolute, resolved).  Return 0 to
 * follow; a negative gather_err (e.g. GATHER_E_SCOPE) to stop: the fetch then
 * ends with the 3xx status, that err and final_url set to url. */
typedef int (*gather_redirect_fn)(const char *url, void *arg);

/* A new engine on base with options o (o must outlive the engine).  Returns
 * NULL and writes a message into err on failure (e.g. unreadable --cacert). */
struct gather_engine *gather_engine_new(struct event_base *base,
                                        const struct gather_opts *o,
                                        char *err, size_t errlen);

/* Ends every fetch still running as cancelled (their callbacks run before
 * this returns), closes pooled connections, frees.  Accepts NULL. */
void gather_engine_free(struct gather_engine *e);

/* Start fetching url.  res, when not NULL, is a result the engine takes over
 * and fills (the crawler presets url, depth, parent); when NULL the engine
 * makes one with url copied.  done is always called exactly once, never from
 * inside this call (a bad URL completes on the next loop turn).  Returns 0, or
 * GATHER_E_NOMEM (then done is not called and res is freed). */
int gather_engine_fetch(struct gather_engine *e, const char *url, unsigned flags,
                        struct gather_result *res,
                        gather_fetch_done_fn done, gather_redirect_fn redirect,
                        void *arg);

/* Fetches started and not yet completed. */
size_t gather_engine_inflight(const struct gather_engine *e);

/* End every running fetch as cancelled (callbacks run before this returns);
 * new fetches may still be started afterwards. */
void gather_engine_cancel_all(struct gather_engine *e);

/* Stop (1) or resume (0) reading from sockets: backpressure when the
 * consumer of results is full.  Timers keep running. */
void gather_engine_pause_reads(struct gather_engine *e, int paused);

/* Counters for the progress line. */
struct gather_engine_stats {
	uint64_t started, completed, failed;
	uint64_t bytes_in;        /* wire bytes read */
	uint64_t conns_opened, conns_reused;
};
void gather_engine_stats(const struct gather_engine *e, struct gather_engine_stats *ret);

/* Debugging (curl's verbose state log): fn(url, from, to, arg) on the
 * reactor thread at every state change of every fetch, with the states'
 * names ("resolve", "connect", "tls", "send", "head", "body", "done",
 * "retry", "redirect", "fail", "end").  NULL turns it off. */
typedef void (*gather_fetch_trace_fn)(const char *url, const char *from, const char *to,
                                      void *arg);
void gather_engine_trace(struct gather_engine *e, gather_fetch_trace_fn fn, void *arg);

#endif
