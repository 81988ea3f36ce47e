/* crawl.c — the crawl runner (see crawl.h): pages and the step function;
 * robots.txt per origin and sitemaps are in crawl-robots.c.
 *
 * Everything here runs on the reactor thread; link extraction runs on the
 * pipeline's worker pool (gather/pipeline.h).  One step function, pump(),
 * called from the kick event and from timers, reads seeds and starts what
 * the frontier says is ready:
 *
 *   frontier item ─┬─ robots.txt of its origin unknown → wait for it (one
 *                  │  fetch per origin; the item waits in that origin's list)
 *                  ├─ disallowed → record with error "robots"
 *                  └─ fetch → workers (2xx with a body) → links normalized,
 *                     scope-checked → outputs
 *   record written (every output) → frontier done(id, links)
 *
 * The frontier contract (frontier.h): a URL is done only once its record is
 * in every output, so done() runs in the stream's written callback; a URL
 * handed out and never started (a stop, a limit) goes back to the queue
 * with requeue(), never done().  A redirect inside the scope is not
 * followed by the engine: its target goes to the frontier like a link (at
 * the same depth), so a page reached by a link and by a redirect is
 * fetched once.
 *
 * Backpressure: while the stream is busy nothing new starts (the pipeline
 * pauses the engine's reads and wakes us).  Politeness lives in the
 * frontier (per host: --per-host, --delay, Crawl-delay, Retry-After). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/event.h>

#include "crawl/crawl-internal.h"
#include "crawl/crawl-state.h"
#include "gather/crawl.h"
#include "gather/engine.h"
#include "gather/error.h"
#include "crawl/frontier.h"
#include "html/html.h"
#include "gather/pipeline.h"
#include "pipeline/input.h"
#include "pipeline/share.h"
#include "crawl/robots.h"
#include "crawl/scope.h"
#include "util/seen.h"
#include "url/url.h"
#include "util/clock.h"

uint64_t crawl_now_ms(void)
{
	return gather_now_ms();
}

void crawl_kick(struct gather_crawl *c)
{
	if (c->kick)
		event_active(c->kick, 0, 0);
}

void crawl_note_err(struct gather_crawl *c, const char *msg)
{
	if (!c->first_err[0])
		snprintf(c->first_err, sizeof c->first_err, "%s", msg);
}

/* Per crawl, so that pages cannot aim for fingerprint collisions. */
static void random_key(uint8_t key[16])
{
	if (getrandom(key, 16, 0) == 16)
		return;
	uint64_t t = crawl_now_ms() ^ (uint64_t)(uintptr_t)key;
	for (int i = 0; i < 16; i++) {
		t = t * 6364136223846793005ULL + 1442695040888963407ULL;
		key[i] = (uint8_t)(t >> 56);
	}
}

/* ---- records ------------------------------------------------------------- */

/* Stream: a record is final (reactor thread): count it.  Refusals by rule
 * (robots.txt, scope) are not failures; records a limit ended are counted
 * apart (the exit status tells them). */
static void on_record(struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	if (res->warc_only)
		return;   /* robots.txt for the WARC: no page */
	c->st.done++;
	if (res->err == 0 && res->status > 0 && res->status < 400)
		c->st.ok++;
	else if (res->err == GATHER_E_ROBOTS || res->err == GATHER_E_SCOPE)
		c->st.refused++;
	else if (res->err == GATHER_E_LIMIT)
		c->st.limited++;
	else
		c->st.failed++;
	c->st.bytes += res->bytes;
	/* A redirect's target to the frontier (like a link, at this page's
	 * depth) before the password is hidden from the record. */
	if (res->redirect_target && res->final_url && res->frontier_id &&
	    gather_frontier_add(c->frontier, res->final_url, res->depth, res->url) == GATHER_E_NOMEM)
		crawl_note_err(c, "out of memory in the frontier");
	res->redirect_target = false;
	/* passwords out of sight from here on (records, WARC, -v lines);
	 * the links were taken already (they keep theirs, as the frontier) */
	if (gather_url_redact_result(res) < 0)
		crawl_note_err(c, "out of memory hiding a password");
	if (c->on_record)
		c->on_record(res, c->on_record_arg);
}

/* Stream: the record is in every output.  Now, and only now, its URL is
 * done in the frontier (with its links). */
static void on_written(struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	if (res->frontier_id) {
		uint64_t now = crawl_now_ms();
		size_t n = res->processed ? res->links.n : 0;
		if (gather_frontier_done_ids(c->frontier, res->frontier_id, now,
		                             (const char *const *)res->links.v, res->link_ids,
		                             n) == GATHER_E_NOMEM)
			crawl_note_err(c, "out of memory in the frontier");
		c->pages_out--;
	}
	gather_result_free(res);
	if (c->state) {
		struct gather_frontier_stats fs;
		gather_frontier_stats(c->frontier, &fs);
		crawl_state_gauges(c->state, fs.queued, fs.inflight);
	}
	char e[512];
	if (c->state && !c->st.fatal && crawl_state_error(c->state, e, sizeof e)) {
		/* the state cannot follow (disk full...): stop at its last
		 * commit, which a resume takes up */
		c->st.fatal = true;
		crawl_note_err(c, e);
		gather_crawl_stop(c);
	}
	crawl_kick(c);
}

/* Stream (writer thread): the record is in every output: its facts go to
 * the state's next commit. */
static void on_durable(const struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	if (!res->warc_only)   /* robots.txt for the WARC: no page to commit */
		crawl_state_durable(c->state, res);
}

/* Stream (writer thread): the outputs are on disk up to m: commit. */
static void on_synced(const struct gather_output_marks *m, void *arg)
{
	struct gather_crawl *c = arg;
	crawl_state_synced(c->state, m);
}

/* Frontier: next() may have something now. */
static void on_frontier_ready(void *arg)
{
	crawl_kick(arg);
}

/* Stream: room again. */
static void on_wake(void *arg)
{
	crawl_kick(arg);
}

/* Stream: the outputs are closed: the crawl is over. */
static void on_closed(int rc, const char *msg, void *arg)
{
	struct gather_crawl *c = arg;
	if (rc < 0)
		snprintf(c->close_err, sizeof c->close_err, "%s", msg ? msg : "error writing the outputs");
	c->close_rc = rc;
	c->finished = true;
	/* Every page done, every record on disk: the state says the crawl
	 * is over (a run again does nothing). */
	char se[512];
	if (c->state && crawl_state_error(c->state, se, sizeof se) && !c->st.fatal) {
		/* the outputs or the state failed at the end (disk full) */
		c->st.fatal = true;
		crawl_note_err(c, se);
	} else if (c->state && rc == 0 && !c->stopping && !c->limit_hit && !c->st.fatal) {
		char e[512];
		if (crawl_state_finish(c->state, e, sizeof e) < 0) {
			c->st.fatal = true;
			crawl_note_err(c, e);
		}
	}
	c->st.elapsed_ms = crawl_now_ms() - c->t0_ms;
	evtimer_del(c->wake);
	evtimer_del(c->deadline);
	if (c->done)
		c->done(c, c->done_arg);
}

/* A record for a URL we do not fetch (bad seed: id 0; robots: the
 * frontier's id, done when written). */
static void refuse(struct gather_crawl *c, const char *url, unsigned depth,
                   const char *parent, uint64_t id, int err, const char *msg)
{
	/* A bad seed line an earlier run of this state wrote already. */
	if (!id && c->state && crawl_state_marked(c->state, crawl_state_mark_key(c->state, url, msg)))
		return;
	struct gather_result *res = gather_result_new();
	if (!res || !(res->url = strdup(url)) || (parent && !(res->parent = strdup(parent)))) {
		gather_result_free(res);
		crawl_note_err(c, "out of memory making a record");
		if (id)
			gather_frontier_done(c->frontier, id, crawl_now_ms(), NULL, 0);
		return;
	}
	res->depth = depth;
	res->frontier_id = id;
	if (id)
		c->pages_out++;
	gather_result_fail(res, err, msg);
	gather_stream_submit(c->stream, res, false);
	/* made inside pump(): no fetch will wake us for it */
	crawl_kick(c);
}

/* ---- pages ------------------------------------------------------------- */

/* Engine redirect hook: outside the scope, the fetch ends with the 3xx,
 * error "scope"; inside, it ends too (GATHER_E_AGAIN: see on_fetched) and
 * the target goes to the frontier, which fetches it unless it is known. */
static int on_redirect(const char *url, void *arg)
{
	struct gather_crawl *c = arg;
	char *n = NULL;
	int rc = gather_url_normalize(url, &n);
	if (rc == 0)
		rc = gather_scope_rules_check(c->scope, n);
	free(n);
	return rc == 0 ? GATHER_E_AGAIN : GATHER_E_SCOPE;
}

/* Worker thread, after extraction: res->links (normalized already: the
 * extractor was told to, gather_extractor_normalize_links) becomes the
 * links to follow, those in scope (records carry only the count found,
 * n_links_found, which stays as it was). */
static void filter_links(struct gather_crawl *c, struct gather_result *res)
{
	size_t k = 0;
	for (size_t i = 0; i < res->links.n; i++) {
		if (gather_scope_rules_check(c->scope, res->links.v[i]) == 0)
			res->links.v[k++] = res->links.v[i];
		else
			free(res->links.v[i]);
	}
	res->links.n = k;
	/* Their frontier ids, hashed here rather than on the reactor (NULL on
	 * OOM: the frontier hashes them itself). */
	free(res->link_ids);
	res->link_ids = k ? malloc(k * sizeof *res->link_ids) : NULL;
	for (size_t i = 0; res->link_ids && i < k; i++)
		res->link_ids[i] = gather_seen_fingerprint(c->key, res->links.v[i],
		                                           strlen(res->links.v[i]));
}

/* Engine callback: a page fetch ended. */
static void on_fetched(struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	uint64_t now = crawl_now_ms();
	/* The host's politeness slot is free once the response is in; the
	 * page stays unfinished (depth, links) until its record is written. */
	(void)gather_frontier_fetched(c->frontier, res->frontier_id);
	if (res->status == 429 || res->status == 503)
		crawl_slow_host(c, res, now);
	if (res->err == GATHER_E_AGAIN) {
		/* a redirect in scope, not followed here: on_record queues
		 * final_url (normalized here) in the frontier */
		char *n = NULL;
		res->err = 0;
		free(res->message);
		res->message = NULL;
		res->redirects++;
		if (res->final_url && gather_url_normalize(res->final_url, &n) == 0) {
			free(res->final_url);
			res->final_url = n;
			res->redirect_target = true;
		}
	}
	if (res->err == GATHER_E_CANCELLED && c->state) {
		/* Stopped or limited with a state: the page was not fetched and
		 * stays queued for the resume, without a record (which would be
		 * doubled by the resume's). */
		gather_frontier_requeue(c->frontier, res->frontier_id);
		c->pages_out--;
		c->pages_started--;
		gather_result_free(res);
		crawl_kick(c);
		return;
	}
	if (res->err == GATHER_E_CANCELLED && c->limit_hit) {
		gather_result_fail(res, GATHER_E_LIMIT, c->limit_why[0] ? c->limit_why : NULL);
	}
	/* Links are followed from 2xx pages only, as wget does. */
	bool process = !c->stopping && res->err == 0 && res->status >= 200 &&
	               res->status < 300 && res->body.len > 0;
	gather_stream_submit(c->stream, res, process);
	crawl_kick(c);
}

/* Worker thread: links, title, fields. */
static void process(struct gather_result *res, void *arg)
{
	struct gather_crawl *c = arg;
	gather_extract(c->x, res);
	filter_links(c, res);
}

/* Start fetching a frontier item its robots.txt allows. */
static void fetch_page(struct gather_crawl *c, const struct gather_frontier_item *it)
{
	struct gather_result *res = gather_result_new();
	if (!res || !(res->url = strdup(it->url)) ||
	    (it->parent && !(res->parent = strdup(it->parent)))) {
		gather_result_free(res);
		crawl_note_err(c, "out of memory starting a fetch");
		gather_frontier_requeue(c->frontier, it->id);
		return;
	}
	res->depth = it->depth;
	res->frontier_id = it->id;
	c->pages_out++;
	c->pages_started++;
	if (gather_engine_fetch(c->engine, it->url, c->fetch_flags, res, on_fetched,
	                        on_redirect, c) < 0) {
		c->pages_out--;   /* the engine freed res */
		c->pages_started--;
		crawl_note_err(c, "out of memory starting a fetch");
		gather_frontier_requeue(c->frontier, it->id);
	}
}

void crawl_dispatch(struct gather_crawl *c, const struct gather_frontier_item *it,
                    const struct gather_robots *rules)
{
	if (c->stopping || c->limit_hit) {
		/* never started: it stays queued (the frontier contract) */
		gather_frontier_requeue(c->frontier, it->id);
		return;
	}
	if (rules && !gather_robots_allowed(rules, it->url)) {
		int why_err = 0, why_status = 0, err = GATHER_E_ROBOTS;
		char msg[200] = "disallowed by robots.txt";
		if (gather_robots_blocks_all(rules, &why_err, &why_status)) {
			/* RFC 9309 §2.3.1.4: an unreachable robots.txt disallows the
			 * site for a while.  When the host itself cannot be reached,
			 * the page could not have been fetched either: say so with
			 * the fetch's own error code. */
			if (why_err < 0)
				err = why_err;
			if (why_err < 0)
				snprintf(msg, sizeof msg, "robots.txt unreachable (%s): site not fetched",
				         gather_err_text(why_err));
			else
				snprintf(msg, sizeof msg, "robots.txt answered %d: the site is treated "
				         "as disallowed for now (RFC 9309 section 2.3.1.4)", why_status);
		}
		refuse(c, it->url, it->depth, it->parent, it->id, err, msg);
		return;
	}
	fetch_page(c, it);
}

/* ---- the step function ------------------------------------------------- */

static void arm_in(struct event *ev, uint64_t delay_ms)
{
	struct timeval tv = { (time_t)(delay_ms / 1000), (suseconds_t)(delay_ms % 1000) * 1000 };
	evtimer_add(ev, &tv);
}

/* Read the seeds that are available now. */
static void read_seeds(struct gather_crawl *c)
{
	while (!c->input_done && !c->input_waiting && !c->stopping) {
		char *url, *n = NULL;
		const char *src;
		int toolong;
		int rc = gather_input_next(c->input, &url, &src, &toolong);
		if (rc == 1) {
			c->input_done = true;
			break;
		}
		if (rc == GATHER_E_AGAIN) {
			c->input_waiting = true;
			break;
		}
		if (rc < 0) {
			crawl_note_err(c, src);
			continue;
		}
		if (toolong || gather_url_normalize(url, &n) < 0) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s (%s)",
			         toolong == GATHER_INPUT_TOOLONG ? "line too long for a URL"
			         : toolong == GATHER_INPUT_NUL   ? "NUL byte in the line"
			                                         : "malformed URL, or not http/https", src);
			refuse(c, url, 0, NULL, 0, GATHER_E_BAD_URL, msg);
		} else if (crawl_add_seed(c, n) < 0) {
			crawl_note_err(c, "out of memory adding a seed");
		}
		free(url);
		free(n);
	}
}

/* --max-pages reached while pages remain: a limit ended the crawl. */
static void hit_page_limit(struct gather_crawl *c)
{
	c->limit_hit = true;
	snprintf(c->limit_why, sizeof c->limit_why, "--max-pages %llu reached",
	         (unsigned long long)c->o->max_pages);
}

/* Take ready URLs from the frontier while there is room. */
static void start_pages(struct gather_crawl *c)
{
	uint64_t now = crawl_now_ms();
	while (!c->stopping && !c->limit_hit &&
	       gather_engine_inflight(c->engine) + c->nwaiting < c->o->concurrency &&
	       !gather_stream_busy(c->stream)) {
		/* Items waiting for robots.txt may become pages: wait for them
		 * (some may be refused, leaving room). */
		if (c->o->max_pages && c->pages_started + c->nwaiting >= c->o->max_pages &&
		    c->pages_started < c->o->max_pages)
			break;
		struct gather_frontier_item it;
		uint64_t at = 0;
		int rc = gather_frontier_next(c->frontier, now, &it, &at);
		if (rc == GATHER_FRONTIER_URL) {
			if (c->o->max_pages && c->pages_started >= c->o->max_pages) {
				/* one more page was ready: the limit ends the crawl */
				gather_frontier_requeue(c->frontier, it.id);
				hit_page_limit(c);
				break;
			}
			crawl_robots_route(c, &it, now);
			continue;
		}
		if (rc == GATHER_FRONTIER_WAIT && at != UINT64_MAX)
			arm_in(c->wake, at > now ? at - now : 0);
		break;
	}
}

/* Every record written and nothing more to start? */
static bool all_done(struct gather_crawl *c)
{
	if (!c->input_done && !c->stopping)
		return false;
	if (gather_engine_inflight(c->engine) || gather_stream_pending(c->stream) ||
	    c->nwaiting || c->pages_out)
		return false;
	if (c->stopping || c->limit_hit)
		return true;
	/* Nothing in flight: done unless URLs wait on a politeness timer. */
	struct gather_frontier_stats st;
	gather_frontier_stats(c->frontier, &st);
	return st.queued == 0 && st.inflight == 0;
}

/* The crawl's one step (kick event and timers; never re-entered). */
static void pump(evutil_socket_t fd, short what, void *arg)
{
	struct gather_crawl *c = arg;
	(void)fd;
	(void)what;

	read_seeds(c);
	start_pages(c);
	if (!c->closing && all_done(c)) {
		c->closing = true;
		gather_stream_close(c->stream); /* on_closed follows */
	}
}

static void on_input_ready(void *arg)
{
	struct gather_crawl *c = arg;
	c->input_waiting = false;
	crawl_kick(c);
}

/* --max-time: a limit ends the crawl; fetches in flight end with "limit". */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct gather_crawl *c = arg;
	(void)fd;
	(void)what;
	c->limit_hit = true;
	snprintf(c->limit_why, sizeof c->limit_why, "--max-time reached (%llu ms)",
	         (unsigned long long)c->o->max_time_ms);
	gather_crawl_stop(c);
}

/* ---- public ------------------------------------------------------------- */

struct gather_crawl *gather_crawl_new(struct gather_pipeline *pipe, const struct gather_opts *o,
                                      const struct gather_strv *seeds,
                                      char *err, size_t errlen)
{
	struct gather_crawl *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	err[0] = '\0';
	c->base = gather_pipeline_base(pipe);
	c->o = o;
	c->ua = o->user_agent ? o->user_agent : gather_default_user_agent();
	if (o->concurrency == 0) {
		snprintf(err, errlen, "concurrency must be at least 1");
		goto fail;
	}
	c->scope = gather_scope_rules_new(o, err, errlen);
	if (!c->scope)
		goto fail;
	struct gather_frontier_conf fc = {
		.max_depth = o->depth,
		.per_host = o->per_host ? o->per_host : o->concurrency,
		.delay_ms = o->delay_ms,
		.max_wait_ms = o->retry_max_wait_ms,
		/* one budget per host with the other crawls on this pipeline */
		.share = gather_pipeline_hosts(pipe),
	};
	/* A new crawl's key; a frontier that keeps state keeps the key it
	 * was made with, and the crawl hashes with the frontier's own. */
	random_key(fc.key);
	if (o->state) {
		/* the crash-safe frontier, resumed from the state if it holds one */
		if (crawl_state_open(o, seeds, &fc, &c->state, &c->frontier, err, errlen) < 0)
			goto fail;
		crawl_state_counters(c->state, &c->st);
		c->pages_started = crawl_state_pages(c->state);
		if (crawl_state_finished(c->state)) {
			c->input_done = true;   /* nothing to do: no seed read again */
			snprintf(c->note, sizeof c->note, "%s: the crawl is finished already "
			         "(%llu pages); nothing to do", o->state,
			         (unsigned long long)c->pages_started);
		} else if (crawl_state_resumed(c->state)) {
			struct gather_frontier_stats fs;
			gather_frontier_stats(c->frontier, &fs);
			snprintf(c->note, sizeof c->note, "%s: resuming the crawl: %llu pages done, "
			         "%llu queued", o->state, (unsigned long long)c->pages_started,
			         (unsigned long long)fs.queued);
		}
	} else {
		c->frontier = gather_frontier_mem_new(&fc);
	}
	if (!c->frontier)
		goto fail_oom;
	memcpy(c->key, gather_frontier_key(c->frontier), sizeof c->key);
	gather_frontier_on_ready(c->frontier, on_frontier_ready, c);
	c->robots = gather_robots_cache_new();
	if (!c->robots)
		goto fail_oom;
	c->x = gather_extractor_new(o, err, errlen);
	if (!c->x)
		goto fail;
	gather_extractor_normalize_links(c->x);   /* filter_links wants them so */
	/* rel=nofollow and <meta name=robots content=nofollow>, as wget2
	 * does; --no-robots turns it off with robots.txt */
	if (o->robots)
		gather_extractor_obey_robots_meta(c->x);
	c->engine = gather_engine_new(c->base, o, err, errlen);
	if (!c->engine)
		goto fail;
	struct gather_stream_conf sc = {
		.o = o,
		.cmd = GATHER_CMD_CRAWL,
		.engine = c->engine,
		.work = process,
		.record = on_record,
		.written = on_written,
		.wake = on_wake,
		.closed = on_closed,
		.arg = c,
		.durable = c->state ? on_durable : NULL,
		.synced = c->state ? on_synced : NULL,
		.sync_interval_ms = CRAWL_STATE_SYNC_MS,
		.resume_at = c->state ? crawl_state_marks(c->state) : NULL,
	};
	c->stream = gather_stream_new(pipe, &sc, err, errlen);
	if (!c->stream)
		goto fail;
	c->fetch_flags = gather_stream_fetch_flags(c->stream) | GATHER_FETCH_KEEP_BODY;
	c->input = gather_input_new(c->base, seeds, &o->input, 65536, on_input_ready, c);
	c->kick = event_new(c->base, -1, 0, pump, c);
	c->wake = evtimer_new(c->base, pump, c);
	c->deadline = evtimer_new(c->base, on_deadline, c);
	if (!c->input || !c->kick || !c->wake || !c->deadline)
		goto fail_oom;
	return c;
fail_oom:
	if (!err[0])
		snprintf(err, errlen, "out of memory");
fail:
	gather_crawl_free(c, NULL, 0);
	return NULL;
}

int gather_crawl_start(struct gather_crawl *c, void (*done)(struct gather_crawl *, void *),
                       void *arg)
{
	c->done = done;
	c->done_arg = arg;
	c->t0_ms = crawl_now_ms();
	if (c->o->max_time_ms)
		arm_in(c->deadline, c->o->max_time_ms);
	crawl_kick(c);
	return 0;
}

void gather_crawl_stop(struct gather_crawl *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	gather_input_close(c->input);
	crawl_robots_drop_waiting(c);
	gather_stream_stop(c->stream);
	gather_engine_cancel_all(c->engine);
	crawl_kick(c);
}

void gather_crawl_on_record(struct gather_crawl *c,
                            void (*fn)(const struct gather_result *, void *), void *arg)
{
	c->on_record = fn;
	c->on_record_arg = arg;
}

void gather_crawl_stats(const struct gather_crawl *c, struct gather_run_stats *ret)
{
	*ret = c->st;
	ret->inflight = c->engine ? gather_engine_inflight(c->engine) : 0;
	struct gather_frontier_stats fs = { 0 };
	if (c->frontier)
		gather_frontier_stats(c->frontier, &fs);
	ret->queued = fs.queued;
	ret->limit_hit = c->limit_hit;
	if (!c->finished)
		ret->elapsed_ms = crawl_now_ms() - c->t0_ms;
}

const char *gather_crawl_note(const struct gather_crawl *c)
{
	return c->note[0] ? c->note : NULL;
}

const char *gather_crawl_error(const struct gather_crawl *c)
{
	return c->first_err[0] ? c->first_err : NULL;
}

int gather_crawl_free(struct gather_crawl *c, char *err, size_t errlen)
{
	int ret = 0;
	if (!c)
		return 0;
	/* Not finished (freed early): stop, and let the reactor write what is
	 * out and close the outputs (a free is never inside this base's
	 * callbacks, so the loop may run here). */
	if (c->stream && !c->finished) {
		gather_crawl_stop(c);
		while (!c->finished && event_base_loop(c->base, EVLOOP_ONCE) == 0)
			;
	}
	if (c->close_rc < 0) {
		ret = GATHER_E_IO;
		if (err)
			snprintf(err, errlen, "%s", c->close_err);
	}
	/* The engine first (it completes fetches into the stream), then the
	 * stream (closed by now, or left to the pipeline). */
	c->stopping = true;
	gather_engine_free(c->engine);
	c->engine = NULL;
	crawl_robots_drop_waiting(c);
	gather_stream_free(c->stream);
	gather_strv_free(&c->sitemap_origins);
	if (c->finished || !c->stream)
		gather_extractor_free(c->x);
	/* else: results may still be in a worker's hands with it */
	gather_input_free(c->input);
	gather_frontier_free(c->frontier);
	crawl_state_free(c->state);
	gather_scope_rules_free(c->scope);
	gather_robots_cache_free(c->robots);
	if (c->kick)
		event_free(c->kick);
	if (c->wake)
		event_free(c->wake);
	if (c->deadline)
		event_free(c->deadline);
	free(c);
	return ret;
}
