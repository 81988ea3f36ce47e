/* crawl-robots.c — the crawl's robots.txt (one fetch per origin before its
 * first page, cached; RFC 9309 policy from lib/robots.c), Crawl-delay,
 * Retry-After slow-downs, seeds and --sitemaps.
 * Reactor thread only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawl-internal.h"
#include "gather/engine.h"
#include "gather/error.h"
#include "gather/pipeline.h"
#include "crawl/robots.h"
#include "crawl/scope.h"
#include "crawl/sitemap.h"
#include "url/url.h"

/* ---- origins waiting for robots.txt ---------------------------------------- */

static struct crawl_origin *origin_find(struct gather_crawl *c, const char *url)
{
	size_t n;
	const char *o = gather_robots_origin(url, &n);
	if (!o)
		return NULL;
	for (struct crawl_origin *w = c->waiting; w; w = w->next)
		if (strlen(w->origin) == n && strncmp(w->origin, o, n) == 0)
			return w;
	return NULL;
}

static void origin_unlink(struct gather_crawl *c, struct crawl_origin *w)
{
	for (struct crawl_origin **p = &c->waiting; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	c->nwaiting -= w->n;
	free(w->items);
	free(w->origin);
	free(w);
}

/* Stop: the items never started go back to the frontier's queue (never
 * done: the frontier contract), in the order they came. */
void crawl_robots_drop_waiting(struct gather_crawl *c)
{
	while (c->waiting) {
		struct crawl_origin *w = c->waiting;
		for (size_t i = w->n; i-- > 0;)
			gather_frontier_requeue(c->frontier, w->items[i].id);
		origin_unlink(c, w);
	}
}

/* ---- sitemaps ---------------------------------------------------------- */

static void on_sitemap(struct gather_result *res, void *arg);

/* Fetch a sitemap (level 0: named by robots.txt or /sitemap.xml; higher:
 * from a sitemap index).  The level rides in res->depth: sitemap fetches
 * make no records. */
static void fetch_sitemap(struct gather_crawl *c, const char *url, unsigned level)
{
	if (c->stopping || c->sitemap_fetches >= CRAWL_MAX_SITEMAP_FETCHES)
		return;
	struct gather_result *res = gather_result_new();
	if (!res || !(res->url = strdup(url))) {
		gather_result_free(res);
		return;
	}
	res->depth = level;
	c->sitemap_fetches++;
	gather_engine_fetch(c->engine, url, GATHER_FETCH_KEEP_BODY, res, on_sitemap, NULL, c);
}

/* Engine callback: a sitemap arrived.  Index entries are fetched in turn;
 * page URLs in scope become seeds (depth 0, no scope of their own). */
static void on_sitemap(struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	struct gather_sitemap sm;
	if (!c->stopping && res->err == 0 && res->status >= 200 && res->status < 300 &&
	    gather_sitemap_parse(res->body.data, res->body.len, c->o->max_body, 0, &sm) == 0) {
		for (size_t i = 0; i < sm.n; i++) {
			char *n = NULL;
			if (gather_url_normalize(sm.urls[i], &n) < 0)
				continue;
			if (sm.index) {
				if (res->depth < CRAWL_MAX_SITEMAP_LEVEL)
					fetch_sitemap(c, n, res->depth + 1);
			} else if (gather_scope_rules_check(c->scope, n) == 0) {
				if (gather_frontier_add(c->frontier, n, 0, NULL) < 0)
					crawl_note_err(c, "out of memory adding sitemap URLs");
			}
			free(n);
		}
		gather_sitemap_clear(&sm);
	}
	gather_result_free(res);
	crawl_kick(c);
}

/* The sitemaps of url's origin, once, if it is a seed origin. */
static void sitemaps_for(struct gather_crawl *c, const char *url,
                         const struct gather_robots *rules)
{
	size_t n;
	const char *o = gather_robots_origin(url, &n);
	struct gather_strv *so = &c->sitemap_origins;
	size_t i = 0;
	while (o && i < so->n && !(strlen(so->v[i]) == n && strncmp(so->v[i], o, n) == 0))
		i++;
	if (!o || i == so->n)
		return;
	free(so->v[i]);
	so->v[i] = so->v[--so->n];   /* done with this origin */
	const char *const *sm = NULL;
	size_t k = rules ? gather_robots_sitemaps(rules, &sm) : 0;
	for (size_t j = 0; j < k; j++) {
		char *u = NULL;
		if (gather_url_normalize(sm[j], &u) == 0)
			fetch_sitemap(c, u, 0);
		free(u);
	}
	if (k == 0) {
		char buf[2100];
		snprintf(buf, sizeof buf, "%.*s/sitemap.xml", (int)(n < 2048 ? n : 2048), o);
		fetch_sitemap(c, buf, 0);
	}
}

int crawl_add_seed(struct gather_crawl *c, const char *url)
{
	int rc = gather_scope_rules_add_seed(c->scope, url);
	if (rc < 0)
		return rc;
	rc = gather_frontier_add(c->frontier, url, 0, NULL);
	if (rc < 0)
		return rc;
	if (c->o->sitemaps) {
		size_t n;
		const char *o = gather_robots_origin(url, &n);
		for (size_t i = 0; o && i < c->sitemap_origins.n; i++)
			if (strlen(c->sitemap_origins.v[i]) == n &&
			    strncmp(c->sitemap_origins.v[i], o, n) == 0)
				return 0;
		char *s = o ? strndup(o, n) : NULL;
		if (!s || gather_strv_push(&c->sitemap_origins, s) < 0) {
			free(s);
			return GATHER_E_NOMEM;
		}
		free(s);
		if (!c->o->robots)   /* no robots.txt to name them */
			sitemaps_for(c, url, NULL);
	}
	return 0;
}

/* ---- robots.txt ---------------------------------------------------------- */

/* When robots.txt's fetch ended (on_robots): a response that came goes to
 * the WARC, when there is one, so the archive shows the rules the crawl
 * obeyed (as wget and Heritrix keep it); it makes no JSON line and is no
 * page.  Takes res (freed when there is nothing to keep). */
static void keep_in_warc(struct gather_crawl *c, struct gather_result *res)
{
	if (!(c->fetch_flags & GATHER_FETCH_KEEP_RAW) || res->status <= 0) {
		gather_result_free(res);
		return;
	}
	res->warc_only = true;
	if (gather_url_redact_result(res) < 0) /* as a page's record: no password */
		crawl_note_err(c, "out of memory hiding a password");
	gather_stream_submit(c->stream, res, false);
}

/* Engine callback: robots.txt of an origin came (or failed). */
static void on_robots(struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	uint64_t now = crawl_now_ms(), ttl;
	struct crawl_origin *w = origin_find(c, res->url);
	if (c->stopping || !w) {
		gather_result_free(res);
		crawl_kick(c);
		return;
	}
	struct gather_robots *r = gather_robots_for_response(
		res->err, res->status, res->body.data, res->body.len, c->ua, &ttl);
	const struct gather_robots *rules = NULL;
	if (r) {
		uint64_t d = gather_robots_crawl_delay_ms(r, c->o->retry_max_wait_ms);
		if (d)
			gather_frontier_host_delay(c->frontier, res->url, now, d);
		if (c->o->sitemaps)
			sitemaps_for(c, res->url, r);
		if (gather_robots_cache_put(c->robots, res->url, r, now, ttl) == 0)
			rules = gather_robots_cache_get(c->robots, res->url, now);
	}
	if (!rules)
		crawl_note_err(c, "out of memory keeping robots.txt");
	keep_in_warc(c, res);
	/* The first waiting item starts now; the others go back to the
	 * frontier, to come out under the host's (maybe new) Crawl-delay.
	 * Dispatch does not add to w (it only fetches or refuses). */
	for (size_t i = 0; i < w->n; i++) {
		if (i == 0 || gather_frontier_requeue(c->frontier, w->items[i].id) < 0)
			crawl_dispatch(c, &w->items[i], rules);
	}
	origin_unlink(c, w);
	crawl_kick(c);
}

void crawl_robots_route(struct gather_crawl *c, const struct gather_frontier_item *it,
                        uint64_t now)
{
	if (!c->o->robots) {
		crawl_dispatch(c, it, NULL);
		return;
	}
	const struct gather_robots *rules = gather_robots_cache_get(c->robots, it->url, now);
	if (rules) {
		crawl_dispatch(c, it, rules);
		return;
	}
	struct crawl_origin *w = origin_find(c, it->url);
	if (!w) {
		size_t n;
		const char *o = gather_robots_origin(it->url, &n);
		w = o ? calloc(1, sizeof *w) : NULL;
		if (w && !(w->origin = strndup(o, n))) {
			free(w);
			w = NULL;
		}
		if (!w) {
			crawl_note_err(c, "out of memory waiting for robots.txt");
			crawl_dispatch(c, it, NULL);
			return;
		}
		char *url = malloc(n + sizeof "/robots.txt");
		struct gather_result *res = gather_result_new();
		if (url) {
			memcpy(url, o, n);
			memcpy(url + n, "/robots.txt", sizeof "/robots.txt");
		}
		if (res)
			res->url = url;
		else
			free(url);
		/* Redirects are followed (RFC 9309 §2.3.1.2), up to
		 * --max-redirs; then "unavailable". */
		/* c->fetch_flags: the body, and what the WARC keeps */
		if (!url || !res || gather_engine_fetch(c->engine, url, c->fetch_flags,
		                                        res, on_robots, NULL, c) < 0) {
			if (!url)
				gather_result_free(res);
			free(w->origin);
			free(w);
			crawl_note_err(c, "out of memory fetching robots.txt");
			crawl_dispatch(c, it, NULL);
			return;
		}
		w->next = c->waiting;
		c->waiting = w;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct gather_frontier_item *v = realloc(w->items, cap * sizeof *v);
		if (!v) {
			crawl_note_err(c, "out of memory waiting for robots.txt");
			crawl_dispatch(c, it, NULL);
			return;
		}
		w->items = v;
		w->cap = cap;
	}
	w->items[w->n++] = *it;
	c->nwaiting++;
}

/* ---- Retry-After ----------------------------------------------------------- */

void crawl_slow_host(struct gather_crawl *c, const struct gather_result *res, uint64_t now)
{
	/* The engine already retried with Retry-After; the final answer still
	 * says "slow down", so the whole host waits (capped by the frontier at
	 * --retry-max-wait) as long as the engine read from its Retry-After
	 * (res->retry_after_ms), or a default when there was none. */
	uint64_t wait = res->retry_after_ms ? res->retry_after_ms : CRAWL_DEFAULT_BACKOFF_MS;
	gather_frontier_slow(c->frontier, res->url, now, now + wait);
}
