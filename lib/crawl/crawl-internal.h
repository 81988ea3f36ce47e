/* crawl-internal.h — what lib/crawl.c (pages, the step function) and
 * lib/crawl-robots.c (robots.txt per origin, sitemaps) share.
 * Reactor thread only, like everything in the crawl runner. */
#ifndef GATHER_CRAWL_INTERNAL_H
#define GATHER_CRAWL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gather/crawl.h"
#include "crawl/frontier.h"
#include "gather/result.h"

struct event;
struct gather_engine;
struct gather_extractor;
struct gather_stream;
struct gather_input;
struct gather_scope_rules;
struct gather_robots;
struct gather_robots_cache;
struct crawl_state;

/* Frontier items waiting for their origin's robots.txt. */
struct crawl_origin {
	struct crawl_origin *next;
	char *origin;                       /* "scheme://host[:port]" */
	struct gather_frontier_item *items; /* strings owned by the frontier */
	size_t n, cap;
};

struct gather_crawl {
	struct event_base *base;
	const struct gather_opts *o;
	const char *ua;                /* o->user_agent or the default */
	uint8_t key[16];               /* the frontier's fingerprint key */

	struct gather_engine *engine;
	struct gather_extractor *x;
	struct gather_stream *stream;   /* the pipeline: workers, outputs */
	struct gather_input *input;
	struct gather_frontier *frontier;
	struct gather_scope_rules *scope;
	struct gather_robots_cache *robots;
	struct crawl_state *state;     /* --state DIR, or NULL */
	char note[300];                /* what a resume found, for the user */
	unsigned fetch_flags;

	struct event *kick;            /* pump() on the next loop turn */
	struct event *wake;            /* pump() when the frontier is ready */
	struct event *deadline;        /* --max-time */

	struct crawl_origin *waiting;  /* origins whose robots.txt is coming */
	size_t nwaiting;               /* items in those lists */
	struct gather_strv sitemap_origins; /* seed origins not yet sitemapped */
	unsigned sitemap_fetches;
	uint64_t pages_started;        /* for --max-pages */
	uint64_t pages_out;            /* pages handed out, not yet done() */

	bool input_done, input_waiting, stopping, limit_hit, closing, finished;
	char limit_why[80];            /* which limit ended the crawl */
	int close_rc;                  /* the outputs' close: 0 or GATHER_E_IO */
	char close_err[256];
	struct gather_run_stats st;
	uint64_t t0_ms;
	char first_err[256];

	void (*done)(struct gather_crawl *, void *);
	void *done_arg;
	void (*on_record)(const struct gather_result *, void *);
	void *on_record_arg;
};

/* Sitemap fetches per crawl, and levels of sitemap index followed. */
#define CRAWL_MAX_SITEMAP_FETCHES 1000u
#define CRAWL_MAX_SITEMAP_LEVEL 2u
/* Slow-down for a 429/503 without a usable Retry-After. */
#define CRAWL_DEFAULT_BACKOFF_MS 5000u

uint64_t crawl_now_ms(void);
void crawl_kick(struct gather_crawl *c);
void crawl_note_err(struct gather_crawl *c, const char *msg);

/* crawl.c: fetch the item, or refuse it when rules (may be NULL: no
 * robots) disallow it. */
void crawl_dispatch(struct gather_crawl *c, const struct gather_frontier_item *it,
                    const struct gather_robots *rules);

/* crawl-robots.c */
/* Route an item through its origin's robots.txt (fetched first if needed). */
void crawl_robots_route(struct gather_crawl *c, const struct gather_frontier_item *it,
                        uint64_t now);
/* Forget waiting items (stop, free); their fetches never start. */
void crawl_robots_drop_waiting(struct gather_crawl *c);
/* A normalized seed: scope, frontier, and (--sitemaps) its origin. */
int crawl_add_seed(struct gather_crawl *c, const char *url);
/* A 429/503 page: slow its host per Retry-After (or a default). */
void crawl_slow_host(struct gather_crawl *c, const struct gather_result *res, uint64_t now);

#endif
