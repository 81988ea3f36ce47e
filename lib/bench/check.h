/* check.h — does a run of the bench match its site?  Every URL the site
 * says a run must fetch was requested from the origin exactly once and
 * named by exactly one record with the right outcome (200; a redirect to
 * its NEW page; 404; a robots.txt refusal), and nothing else was asked for
 * or recorded.
 *
 * One owner thread: records are fed from the runner's record hook
 * (reactor thread), the origin's counts after it stopped. */
#ifndef GATHER_BENCH_CHECK_H
#define GATHER_BENCH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/site.h"

/* Differences kept as text (the first ones; all are counted). */
#define BENCH_CHECK_SHOWN 10

struct bench_check {
	const struct bench_site *site;
	enum bench_mode mode;
	char base[64];              /* "http://127.0.0.1:PORT" */
	uint8_t *expect_fetch, *expect_record, *seen;
	uint64_t diffs;
	char *shown[BENCH_CHECK_SHOWN];
	uint64_t pages;             /* records of the site's pages that came out right */
};

/* 0, or GATHER_E_NOMEM.  base: the origin's base URL. */
int bench_check_init(struct bench_check *c, const struct bench_site *site,
                     enum bench_mode mode, const char *base);
void bench_check_free(struct bench_check *c);   /* accepts zeroed */

/* One record of the run: its URL, final URL (or NULL), HTTP status (0
 * when none) and error (0 or a negative gather_err).  Returns the site id
 * of url, or -1 when the site has no such URL. */
int64_t bench_check_record(struct bench_check *c, const char *url, const char *final_url,
                        int status, int err);

/* After the run: the origin's requests per id and those it could not
 * match (count and the first ones); records never seen are reported too.
 * Returns true when the run was exact. */
bool bench_check_finish(struct bench_check *c, const uint32_t *counts, uint64_t others,
                        const char *const *other, size_t nother);

#endif
