/* origin.h — the in-process origin of `gather bench`: an evhttp server on
 * 127.0.0.1 (ephemeral port) on its own thread and event_base, serving a
 * generated site (site.h) from memory, with gzip and TLS on request, and
 * counting what it was asked for.
 *
 * Threads: new/start/stop/free and every getter are for the owner's
 * thread; the origin thread touches the counters only while it runs, so
 * the owner reads them after bench_origin_stop (which joins it).
 * libevent must have threads enabled (evthread_use_pthreads) before new. */
#ifndef GATHER_BENCH_ORIGIN_H
#define GATHER_BENCH_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/site.h"

struct bench_origin_conf {
	bool gzip;          /* Content-Encoding: gzip to clients that accept it */
	bool tls;           /* https with a key and self-signed certificate made
	                     * at start for 127.0.0.1 */
	int64_t bare_id;    /* test-only: serve this HTML id without its links
	                     * (a crawl must then miss pages); -1: none */
};

/* Requests the origin could not match to a URL of the site as spelled: kept
 * (the first BENCH_ORIGIN_OTHERS) so a report can show them. */
#define BENCH_ORIGIN_OTHERS 16

struct bench_origin;

/* Bind 127.0.0.1:0 and make the certificate (tls).  site must outlive the
 * origin.  NULL with err filled on failure. */
struct bench_origin *bench_origin_new(const struct bench_site *site,
                                      const struct bench_origin_conf *conf,
                                      char *err, size_t errlen);
/* Start serving on the origin's thread.  0 or GATHER_E_NOMEM / GATHER_E_IO. */
int bench_origin_start(struct bench_origin *o);
/* Stop serving and join the thread (records its CPU time).  Idempotent. */
void bench_origin_stop(struct bench_origin *o);
/* Stops if needed, removes the certificate file, frees.  Accepts NULL. */
void bench_origin_free(struct bench_origin *o);

uint16_t bench_origin_port(const struct bench_origin *o);
/* "http://127.0.0.1:PORT" or "https://..." (no trailing slash). */
const char *bench_origin_base(const struct bench_origin *o);
/* tls: a PEM file holding the origin's certificate, for the client's
 * --cacert (this run only; removed by free); NULL without tls. */
const char *bench_origin_cacert(const struct bench_origin *o);

/* After stop: requests per site id (array of site->n), requests that
 * matched no id as sent (how many, and the first few targets), bytes of
 * bodies sent (after gzip), and the origin thread's CPU time (user+sys,
 * getrusage RUSAGE_THREAD) in seconds. */
const uint32_t *bench_origin_counts(const struct bench_origin *o);
uint64_t bench_origin_others(const struct bench_origin *o, const char *const **ret_first,
                             size_t *ret_n);
uint64_t bench_origin_requests(const struct bench_origin *o);
uint64_t bench_origin_bytes_sent(const struct bench_origin *o);
double bench_origin_cpu_s(const struct bench_origin *o);

#endif
