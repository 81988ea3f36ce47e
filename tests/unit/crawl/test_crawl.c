/* test_crawl.c — the crawl runner against generated sites on 127.0.0.1:
 * URL traps (dot segments, case, percent-encoding, <base href>, fragments,
 * query variants, mailto/javascript, other hosts), robots.txt, redirects
 * out of scope, exact depth with a deliberately slow page, politeness,
 * --max-pages, --max-time, --sitemaps. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "gather/crawl.h"
#include "crawlsite.h"
#include "gather/error.h"
#include "gather/options.h"
#include "gather/pipeline.h"
#include "ckmain.h"

struct run {
	struct event_base *base;
	struct crawlsite *site;
	struct gather_opts o;
	char dir[64];
	char out[128];
	json_t **rec;
	size_t nrec;
	struct gather_run_stats st;
	bool done;
	struct gather_pipeline *pipe;  /* made at the first crawl, as gather_runner_new does */
};

/* The crawl on r's pipeline (made with r->o's workers the first time). */
static struct gather_crawl *crawl_new(struct run *r, const struct gather_strv *seeds,
                                      char *err, size_t errlen)
{
	if (!r->pipe)
		r->pipe = gather_pipeline_new(r->base, r->o.workers, 2 * r->o.concurrency + 16,
		                              err, errlen);
	ck_assert_msg(r->pipe != NULL, "%s", err);
	return gather_crawl_new(r->pipe, &r->o, seeds, err, errlen);
}

static void setup(struct run *r)
{
	memset(r, 0, sizeof *r);
	r->base = event_base_new();
	ck_assert_ptr_nonnull(r->base);
	r->site = crawlsite_new(r->base);
	ck_assert_ptr_nonnull(r->site);
	gather_opts_init(&r->o, GATHER_CMD_CRAWL);
	r->o.workers = 2;
	r->o.concurrency = 8;
	snprintf(r->dir, sizeof r->dir, "/tmp/gather-crawl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	snprintf(r->out, sizeof r->out, "%s/out.jsonl", r->dir);
	r->o.jsonl = strdup(r->out);
}

static void teardown(struct run *r)
{
	for (size_t i = 0; i < r->nrec; i++)
		json_decref(r->rec[i]);
	free(r->rec);
	unlink(r->out);
	rmdir(r->dir);
	gather_opts_free(&r->o);
	crawlsite_free(r->site);
	gather_pipeline_free(r->pipe);
	event_base_free(r->base);
}

static void on_done(struct gather_crawl *c, void *arg)
{
	struct run *r = arg;
	r->done = true;
	gather_crawl_stats(c, &r->st);
	event_base_loopbreak(r->base);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	gather_crawl_stop(arg);
}

/* Crawl from the given paths (on the site) and load the records. */
static void crawl(struct run *r, const char *const *paths, size_t n, unsigned stop_after_ms)
{
	struct gather_strv seeds = { 0 };
	for (size_t i = 0; i < n; i++) {
		char u[256];
		snprintf(u, sizeof u, "http://127.0.0.1:%u%s", crawlsite_port(r->site), paths[i]);
		gather_strv_push(&seeds, u);
	}
	char err[256] = "";
	struct gather_crawl *c = crawl_new(r, &seeds, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	gather_strv_free(&seeds);
	ck_assert_int_eq(gather_crawl_start(c, on_done, r), 0);
	/* Bounded: a crawl that does not end fails the test (Check's timeout). */
	struct event *stop = NULL;
	if (stop_after_ms) {
		stop = evtimer_new(r->base, on_stop, c);
		struct timeval tv = { stop_after_ms / 1000, (stop_after_ms % 1000) * 1000 };
		evtimer_add(stop, &tv);
	}
	while (!r->done)
		ck_assert_int_ge(event_base_loop(r->base, EVLOOP_ONCE), 0);
	if (stop)
		event_free(stop);
	ck_assert_int_eq(gather_crawl_free(c, err, sizeof err), 0);
	FILE *f = fopen(r->out, "r");
	ck_assert_ptr_nonnull(f);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		ck_assert_msg(j != NULL, "bad JSON line: %s", line);
		r->rec = realloc(r->rec, (r->nrec + 1) * sizeof *r->rec);
		r->rec[r->nrec++] = j;
	}
	free(line);
	fclose(f);
}

/* The record for path (URL http://127.0.0.1:PORT<path>), or NULL. */
static json_t *rec(struct run *r, const char *path)
{
	char u[256];
	snprintf(u, sizeof u, "http://127.0.0.1:%u%s", crawlsite_port(r->site), path);
	json_t *found = NULL;
	for (size_t i = 0; i < r->nrec; i++) {
		const char *url = json_string_value(json_object_get(r->rec[i], "url"));
		if (url && strcmp(url, u) == 0) {
			ck_assert_msg(found == NULL, "two records for %s", u);
			found = r->rec[i];
		}
	}
	return found;
}

static int status_of(json_t *j)
{
	return (int)json_integer_value(json_object_get(j, "status"));
}

static const char *error_of(json_t *j)
{
	return json_string_value(json_object_get(j, "error"));
}

static const char *const root[] = { "/" };

START_TEST(test_traps)
{
	struct run r;
	setup(&r);
	struct crawlsite *s = r.site;
	crawlsite_add(s, "/robots.txt", 200, "text/plain",
	              "User-agent: *\nDisallow: /private/\n", 0, NULL);
	crawlsite_add(s, "/", 200, NULL,
	              "<html><head><title>Home</title></head><body>"
	              "<a href=\"a/./b\">1</a>"
	              "<a href=\"a/x/../b\">2</a>"
	              "<a href=\"HTTP://127.0.0.1:{PORT}/a/b\">3</a>"
	              "<a href=\"http://127.0.0.1:{PORT}/a/b#top\">4</a>"
	              "<a href=\"/%61/%62\">5</a>"
	              "<a href=\"  /a/b  \">6</a>"
	              "<a href=\"/q?x=1\">q1</a><a href=\"/q?x=1#f\">q1f</a>"
	              "<a href=\"/q?x=2\">q2</a>"
	              "<a href=\"mailto:someone@example.com\">m</a>"
	              "<a href=\"javascript:void(0)\">j</a>"
	              "<a href=\"http://other.invalid/\">o</a>"
	              "<a href=\"http://localhost:{PORT}/a/b\">lh</a>"
	              "<a href=\"/private/secret\">p</a>"
	              "<a href=\"/base/page\">b</a>"
	              "<a href=\"/out\">r</a>"
	              "<a href=\"/in\">r2</a>"
	              "<a href=\"/missing\">404</a>"
	              "</body></html>", 0, NULL);
	crawlsite_add(s, "/a/b", 200, NULL, "<a href=\"../\">up</a><a href=\"b\">self</a>", 0, NULL);
	crawlsite_add(s, "/q?x=1", 200, NULL, "q1", 0, NULL);
	crawlsite_add(s, "/q?x=2", 200, NULL, "q2", 0, NULL);
	crawlsite_add(s, "/private/secret", 200, NULL, "secret", 0, NULL);
	crawlsite_add(s, "/base/page", 200, NULL,
	              "<html><head><base href=\"/other/dir/\"></head>"
	              "<body><a href=\"x\">x</a></body></html>", 0, NULL);
	crawlsite_add(s, "/other/dir/x", 200, NULL, "based", 0, NULL);
	crawlsite_add(s, "/out", 302, NULL, "", 0, "Location: http://other.invalid/away");
	crawlsite_add(s, "/in", 302, NULL, "", 0, "Location: /a/./b");
	crawl(&r, root, 1, 0);

	/* every spelling of /a/b fetched once, and the redirect to it does
	 * not fetch it again (its target goes through the frontier's seen
	 * set): the redirect's record says where it pointed */
	ck_assert_uint_eq(crawlsite_hits(s, "/a/b"), 1);
	json_t *in = rec(&r, "/in");
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(status_of(in), 302);
	ck_assert_ptr_null(error_of(in));
	ck_assert_int_eq((int)json_integer_value(json_object_get(in, "redirects")), 1);
	char target[80];
	snprintf(target, sizeof target, "http://127.0.0.1:%u/a/b", crawlsite_port(s));
	ck_assert_str_eq(json_string_value(json_object_get(in, "final_url")), target);
	json_t *j = rec(&r, "/a/b");
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(status_of(j), 200);
	ck_assert_int_eq((int)json_integer_value(json_object_get(j, "depth")), 1);
	char parent[64];
	snprintf(parent, sizeof parent, "http://127.0.0.1:%u/", crawlsite_port(s));
	ck_assert_str_eq(json_string_value(json_object_get(j, "parent")), parent);
	/* query variants are different pages, fragments are not */
	ck_assert_uint_eq(crawlsite_hits(s, "/q?x=1"), 1);
	ck_assert_uint_eq(crawlsite_hits(s, "/q?x=2"), 1);
	/* robots: a record, no request */
	ck_assert_uint_eq(crawlsite_hits(s, "/private/secret"), 0);
	j = rec(&r, "/private/secret");
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(error_of(j), "robots");
	ck_assert_uint_eq(crawlsite_hits(s, "/robots.txt"), 1);
	/* <base href> */
	ck_assert_uint_eq(crawlsite_hits(s, "/other/dir/x"), 1);
	/* out-of-scope redirect: recorded, not followed */
	j = rec(&r, "/out");
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(status_of(j), 302);
	ck_assert_str_eq(error_of(j), "scope");
	/* the home page: title, and a record per page, nothing else */
	j = rec(&r, "/");
	ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Home");
	ck_assert_int_eq((int)json_integer_value(json_object_get(j, "depth")), 0);
	ck_assert_ptr_nonnull(rec(&r, "/missing"));
	ck_assert_int_eq(status_of(rec(&r, "/missing")), 404);
	/* /, /a/b, /q?x=1, /q?x=2, /private/secret, /base/page, /other/dir/x,
	 * /out, /in, /missing */
	ck_assert_uint_eq(r.nrec, 10);
	ck_assert_uint_eq(r.st.done, 10);
	/* requests: 9 pages fetched (not /private) + robots.txt; the redirect's
	 * target is one of the 9, fetched once */
	ck_assert_uint_eq(crawlsite_total(s), 10);
	/* refusals by rule (robots.txt: /private/secret; scope: /out) are not
	 * failures (the exit status): only the 404 is */
	ck_assert_uint_eq(r.st.refused, 2);
	ck_assert_uint_eq(r.st.failed, 1);
	teardown(&r);
}
END_TEST

/* S → A → B → C → E → F and S → P → C, P slow.  At depth 3, C is first
 * reached through B at depth 3, then P makes it depth 2, so E (depth 3)
 * must be fetched, and F (depth 4) not; C only once. */
static void slow_site(struct crawlsite *s)
{
	crawlsite_add(s, "/s", 200, NULL, "<a href=/a>a</a><a href=/p>p</a>", 0, NULL);
	crawlsite_add(s, "/a", 200, NULL, "<a href=/b>b</a>", 0, NULL);
	crawlsite_add(s, "/b", 200, NULL, "<a href=/c>c</a>", 0, NULL);
	crawlsite_add(s, "/p", 200, NULL, "<a href=/c>c</a>", 400, NULL);
	crawlsite_add(s, "/c", 200, NULL, "<a href=/e>e</a>", 0, NULL);
	crawlsite_add(s, "/e", 200, NULL, "<a href=/f>f</a>", 0, NULL);
	crawlsite_add(s, "/f", 200, NULL, "end", 0, NULL);
}

START_TEST(test_exact_depth_slow_page)
{
	static const char *const seed[] = { "/s" };
	struct run r;
	setup(&r);
	slow_site(r.site);
	r.o.depth = 3;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/c"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/e"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/f"), 0);
	ck_assert_uint_eq(r.nrec, 6);   /* s a p b c e */
	teardown(&r);

	setup(&r);
	slow_site(r.site);
	r.o.depth = 2;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/c"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/e"), 0);
	ck_assert_uint_eq(r.nrec, 5);
	teardown(&r);

	setup(&r);
	slow_site(r.site);
	r.o.depth = 0;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(r.nrec, 1);
	teardown(&r);
}
END_TEST

/* A wide site: /n/I links to /n/(2I+1), /n/(2I+2) (a binary tree). */
static void tree_site(struct crawlsite *s, int n, unsigned delay_ms)
{
	for (int i = 0; i < n; i++) {
		char t[32], b[128];
		snprintf(t, sizeof t, "/n/%d", i);
		snprintf(b, sizeof b, "<a href=/n/%d>l</a><a href=/n/%d>r</a>", 2 * i + 1, 2 * i + 2);
		crawlsite_add(s, t, 200, NULL, b, delay_ms, NULL);
	}
}

START_TEST(test_politeness)
{
	static const char *const seed[] = { "/n/0" };
	struct run r;
	setup(&r);
	tree_site(r.site, 15, 0);
	r.o.per_host = 1;
	r.o.delay_ms = 40;
	r.o.robots = false;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(r.nrec, 31);   /* 15 pages + their 16 missing children */
	ck_assert_uint_eq(crawlsite_max_open(r.site), 1);
	ck_assert_uint_ge(crawlsite_min_gap_ms(r.site), 35);   /* timer slack */
	teardown(&r);

	/* per_host 3: never more than 3 at once, but more than 1 */
	setup(&r);
	tree_site(r.site, 63, 20);   /* depth 5 reaches exactly /n/0../n/62 */
	r.o.per_host = 3;
	r.o.robots = false;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(r.nrec, 63);
	ck_assert_uint_le(crawlsite_max_open(r.site), 3);
	ck_assert_uint_ge(crawlsite_max_open(r.site), 2);
	teardown(&r);
}
END_TEST

/* A host answering 503 (Retry-After) is slowed: the next start on it waits
 * as long as the engine read from Retry-After (the result's retry_after_ms,
 * with or without WARC), capped by --retry-max-wait at 400 ms. */
START_TEST(test_slowed_host)
{
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/", 200, NULL, "<a href=/a>a</a><a href=/b>b</a>", 0, NULL);
	crawlsite_add(r.site, "/a", 503, NULL, "busy", 0, "Retry-After: 30");
	crawlsite_add(r.site, "/b", 200, NULL, "b", 0, NULL);
	r.o.robots = false;
	r.o.retries = 0;
	r.o.per_host = 1;
	r.o.retry_max_wait_ms = 400;
	crawl(&r, root, 1, 0);
	ck_assert_int_eq(status_of(rec(&r, "/a")), 503);
	ck_assert_int_eq(status_of(rec(&r, "/b")), 200);
	uint64_t a = crawlsite_first_ms(r.site, "/a"), b = crawlsite_first_ms(r.site, "/b");
	ck_assert_msg(b >= a + 350, "/b started %llu ms after /a", (unsigned long long)(b - a));
	ck_assert_msg(b < a + 3000, "/b started %llu ms after /a", (unsigned long long)(b - a));
	teardown(&r);
}
END_TEST

/* The wait is the Retry-After of the final answer (1 s here, under a 10 s
 * cap), not the 5 s default: the crawler reads it from the result, without
 * WARC's raw head.  A 200 does not slow its host. */
START_TEST(test_slowed_host_retry_after)
{
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/", 200, NULL, "<a href=/a>a</a><a href=/b>b</a>", 0, NULL);
	crawlsite_add(r.site, "/a", 429, NULL, "slow down", 0, "Retry-After: 1");
	crawlsite_add(r.site, "/b", 200, NULL, "b", 0, NULL);
	r.o.robots = false;
	r.o.retries = 0;
	r.o.per_host = 1;
	r.o.retry_max_wait_ms = 10000;
	crawl(&r, root, 1, 0);
	ck_assert_int_eq(status_of(rec(&r, "/a")), 429);
	ck_assert_int_eq(status_of(rec(&r, "/b")), 200);
	uint64_t a = crawlsite_first_ms(r.site, "/a"), b = crawlsite_first_ms(r.site, "/b");
	ck_assert_msg(b >= a + 900, "/b started %llu ms after /a", (unsigned long long)(b - a));
	ck_assert_msg(b < a + 3000, "/b started %llu ms after /a", (unsigned long long)(b - a));
	teardown(&r);
}
END_TEST

/* robots.txt Crawl-delay spaces the starts on the host (capped by
 * --retry-max-wait). */
START_TEST(test_crawl_delay)
{
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain",
	              "User-agent: *\nCrawl-delay: 0.3\n", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "<a href=/a>a</a><a href=/b>b</a>", 0, NULL);
	crawlsite_add(r.site, "/a", 200, NULL, "a", 0, NULL);
	crawlsite_add(r.site, "/b", 200, NULL, "b", 0, NULL);
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(r.nrec, 3);
	uint64_t t0 = crawlsite_first_ms(r.site, "/"), ta = crawlsite_first_ms(r.site, "/a");
	uint64_t tb = crawlsite_first_ms(r.site, "/b");
	ck_assert_uint_ge(ta, t0 + 250);
	ck_assert_uint_ge(tb > ta ? tb - ta : ta - tb, 250);
	teardown(&r);

	/* a huge Crawl-delay is capped */
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain",
	              "User-agent: *\nCrawl-delay: 86400\n", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "<a href=/a>a</a>", 0, NULL);
	crawlsite_add(r.site, "/a", 200, NULL, "a", 0, NULL);
	r.o.retry_max_wait_ms = 200;
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(r.nrec, 2);
	teardown(&r);
}
END_TEST

START_TEST(test_max_pages)
{
	static const char *const seed[] = { "/n/0" };
	struct run r;
	setup(&r);
	tree_site(r.site, 63, 0);
	r.o.max_pages = 10;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(r.nrec, 10);
	ck_assert_uint_eq(crawlsite_total(r.site), 11);   /* + robots.txt */
	teardown(&r);

	/* Refused URLs are records but not pages: still 10 pages fetched. */
	setup(&r);
	tree_site(r.site, 63, 0);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain",
	              "User-agent: *\nDisallow: /n/2\n", 0, NULL);
	r.o.max_pages = 10;
	crawl(&r, seed, 1, 0);
	size_t fetched = 0, refused = 0;
	for (size_t i = 0; i < r.nrec; i++) {
		fetched += status_of(r.rec[i]) == 200;
		refused += error_of(r.rec[i]) && !strcmp(error_of(r.rec[i]), "robots");
	}
	ck_assert_uint_eq(fetched, 10);
	ck_assert_uint_ge(refused, 1);
	ck_assert_uint_eq(crawlsite_total(r.site), 11);
	teardown(&r);
}
END_TEST

START_TEST(test_max_time_and_stop)
{
	static const char *const seed[] = { "/s" };
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/s", 200, NULL, "<a href=/slow>x</a>", 0, NULL);
	crawlsite_add(r.site, "/slow", 200, NULL, "late", 5000, NULL);
	r.o.max_time_ms = 500;
	uint64_t t0 = (uint64_t)time(NULL);
	crawl(&r, seed, 1, 0);
	ck_assert_uint_le((uint64_t)time(NULL) - t0, 3);
	json_t *j = rec(&r, "/slow");
	ck_assert_ptr_nonnull(j);
	/* a limit, not a Ctrl-C: its own error code, and the run says so */
	ck_assert_str_eq(error_of(j), "limit");
	ck_assert(r.st.limit_hit);
	ck_assert_uint_eq(r.st.limited, 1);
	ck_assert_uint_eq(r.st.failed, 0);
	teardown(&r);

	/* gather_crawl_stop (SIGINT) likewise */
	setup(&r);
	crawlsite_add(r.site, "/s", 200, NULL, "<a href=/slow>x</a>", 0, NULL);
	crawlsite_add(r.site, "/slow", 200, NULL, "late", 5000, NULL);
	crawl(&r, seed, 1, 500);
	ck_assert_str_eq(error_of(rec(&r, "/slow")), "cancelled");
	ck_assert_int_eq(status_of(rec(&r, "/s")), 200);
	teardown(&r);
}
END_TEST

START_TEST(test_sitemaps)
{
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain",
	              "Sitemap: http://127.0.0.1:{PORT}/index.xml\nUser-agent: *\nDisallow:\n",
	              0, NULL);
	crawlsite_add(r.site, "/index.xml", 200, "application/xml",
	              "<sitemapindex><sitemap><loc>http://127.0.0.1:{PORT}/sm.xml</loc></sitemap>"
	              "</sitemapindex>", 0, NULL);
	crawlsite_add(r.site, "/sm.xml", 200, "application/xml",
	              "<urlset><url><loc>http://127.0.0.1:{PORT}/orphan</loc></url>"
	              "<url><loc>http://other.invalid/x</loc></url></urlset>", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "home", 0, NULL);
	crawlsite_add(r.site, "/orphan", 200, NULL, "<a href=/child>c</a>", 0, NULL);
	crawlsite_add(r.site, "/child", 200, NULL, "child", 0, NULL);
	r.o.sitemaps = true;
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/orphan"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/child"), 1);
	ck_assert_int_eq((int)json_integer_value(json_object_get(rec(&r, "/orphan"), "depth")), 0);
	ck_assert_uint_eq(r.nrec, 3);   /* sitemaps and robots.txt make no records */
	teardown(&r);

	/* sitemap indexes are followed CRAWL_MAX_SITEMAP_LEVEL (2) levels deep */
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain",
	              "Sitemap: http://127.0.0.1:{PORT}/i0.xml\n", 0, NULL);
	for (int i = 0; i < 3; i++) {
		char t[32], b[256];
		snprintf(t, sizeof t, "/i%d.xml", i);
		snprintf(b, sizeof b, "<sitemapindex><sitemap><loc>http://127.0.0.1:{PORT}/%s"
		         "</loc></sitemap></sitemapindex>", i < 2 ? (i ? "i2.xml" : "i1.xml") : "sm.xml");
		crawlsite_add(r.site, t, 200, "application/xml", b, 0, NULL);
	}
	crawlsite_add(r.site, "/sm.xml", 200, "application/xml",
	              "<urlset><url><loc>http://127.0.0.1:{PORT}/deep</loc></url></urlset>", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "home", 0, NULL);
	r.o.sitemaps = true;
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/i2.xml"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/sm.xml"), 0);
	teardown(&r);

	/* without --sitemaps the orphan is not found */
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain",
	              "Sitemap: http://127.0.0.1:{PORT}/sm.xml\n", 0, NULL);
	crawlsite_add(r.site, "/sm.xml", 200, "application/xml",
	              "<urlset><url><loc>http://127.0.0.1:{PORT}/orphan</loc></url></urlset>", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "home", 0, NULL);
	crawlsite_add(r.site, "/orphan", 200, NULL, "o", 0, NULL);
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/orphan"), 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/sm.xml"), 0);
	teardown(&r);
}
END_TEST

/* robots.txt answering 503: the origin is disallowed (records, no fetch). */
START_TEST(test_robots_unreachable)
{
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 500, "text/plain", "oops", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "home", 0, NULL);
	r.o.retries = 0;
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/"), 0);
	ck_assert_str_eq(error_of(rec(&r, "/")), "robots");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(rec(&r, "/"), "message")),
	                             "robots.txt answered 500"));
	teardown(&r);

	/* Only refusals left to make: the crawl still ends (every record
	 * moves on without another fetch to wake it). */
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain", "User-agent: *\nDisallow: /x\n", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "<a href=/x1>1</a><a href=/x2>2</a><a href=/x3>3</a>", 0, NULL);
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(r.nrec, 4);
	ck_assert_str_eq(error_of(rec(&r, "/x3")), "robots");
	ck_assert_str_eq(json_string_value(json_object_get(rec(&r, "/x3"), "message")),
	                 "disallowed by robots.txt");
	teardown(&r);

	/* --no-robots: not even asked */
	setup(&r);
	crawlsite_add(r.site, "/robots.txt", 200, "text/plain", "User-agent: *\nDisallow: /\n", 0, NULL);
	crawlsite_add(r.site, "/", 200, NULL, "home", 0, NULL);
	r.o.robots = false;
	crawl(&r, root, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/robots.txt"), 0);
	ck_assert_int_eq(status_of(rec(&r, "/")), 200);
	teardown(&r);
}
END_TEST

/* A home page with a rel=nofollow link and a page whose robots meta says
 * nofollow (its own link not to be followed). */
static void nofollow_site(struct run *r)
{
	crawlsite_add(r->site, "/", 200, NULL,
	              "<a href=/a>a</a><a rel=\"nofollow noopener\" href=/nf>n</a>"
	              "<a href=/m>m</a>", 0, NULL);
	crawlsite_add(r->site, "/a", 200, NULL, "a", 0, NULL);
	crawlsite_add(r->site, "/nf", 200, NULL, "nf", 0, NULL);
	crawlsite_add(r->site, "/m", 200, NULL,
	              "<meta name=robots content=\"noindex, nofollow\"><a href=/deep>d</a>", 0, NULL);
	crawlsite_add(r->site, "/deep", 200, NULL, "deep", 0, NULL);
}

START_TEST(test_nofollow)
{
	static const char *const seed[] = { "/" };
	struct run r;
	setup(&r);
	nofollow_site(&r);
	crawl(&r, seed, 1, 0);
	/* obeyed by default, as wget2 does */
	ck_assert_uint_eq(crawlsite_hits(r.site, "/a"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/nf"), 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/m"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/deep"), 0);
	teardown(&r);

	/* --no-robots: followed like any link */
	setup(&r);
	nofollow_site(&r);
	r.o.robots = false;
	crawl(&r, seed, 1, 0);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/nf"), 1);
	ck_assert_uint_eq(crawlsite_hits(r.site, "/deep"), 1);
	teardown(&r);
}
END_TEST

START_TEST(test_bad_setup)
{
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	gather_strv_push(&o.deny, "(unclosed");
	struct event_base *base = event_base_new();
	char err[256] = "";
	struct gather_pipeline *p = gather_pipeline_new(base, 1, 8, err, sizeof err);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(gather_crawl_new(p, &o, NULL, err, sizeof err));
	ck_assert_msg(strstr(err, "--deny '(unclosed'") != NULL, "%s", err);
	ck_assert_int_eq(gather_crawl_free(NULL, NULL, 0), 0);
	gather_pipeline_free(p);
	event_base_free(base);
	gather_opts_free(&o);
}
END_TEST

START_TEST(test_bad_seed)
{
	struct run r;
	setup(&r);
	crawlsite_add(r.site, "/", 200, NULL, "home", 0, NULL);
	struct gather_strv seeds = { 0 };
	gather_strv_push(&seeds, "javascript:alert(1)");
	char u[64];
	snprintf(u, sizeof u, "http://127.0.0.1:%u/", crawlsite_port(r.site));
	gather_strv_push(&seeds, u);
	char err[256] = "";
	struct gather_crawl *c = crawl_new(&r, &seeds, err, sizeof err);
	gather_strv_free(&seeds);
	ck_assert_ptr_nonnull(c);
	gather_crawl_start(c, on_done, &r);
	while (!r.done)
		event_base_loop(r.base, EVLOOP_ONCE);
	ck_assert_uint_eq(r.st.done, 2);
	ck_assert_uint_eq(r.st.failed, 1);
	ck_assert_uint_eq(r.st.ok, 1);
	gather_crawl_free(c, NULL, 0);
	teardown(&r);
}
END_TEST

int main(void)
{
	evthread_use_pthreads();
	Suite *s = suite_create("crawl");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_traps);
	tcase_add_test(tc, test_exact_depth_slow_page);
	tcase_add_test(tc, test_politeness);
	tcase_add_test(tc, test_max_pages);
	tcase_add_test(tc, test_slowed_host);
	tcase_add_test(tc, test_slowed_host_retry_after);
	tcase_add_test(tc, test_crawl_delay);
	tcase_add_test(tc, test_max_time_and_stop);
	tcase_add_test(tc, test_sitemaps);
	tcase_add_test(tc, test_robots_unreachable);
	tcase_add_test(tc, test_bad_setup);
	tcase_add_test(tc, test_nofollow);
	tcase_add_test(tc, test_bad_seed);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
