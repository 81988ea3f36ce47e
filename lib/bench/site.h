/* site.h — the generated site of `gather bench`: deterministic from a seed,
 * linked as a real site is, and able to say exactly what a crawl of it must
 * fetch.
 *
 * Every URL of the site is an entry of one table (its id is the index),
 * spelled in normal form (RFC 3986 §6, as gather_url_normalize gives it):
 *
 *   kind      path                     answer
 *   PAGE      /  and /s<k>/p<i>.html   200 HTML: the tree (page i links its
 *                                      children 10i+1..10i+10 and its parent)
 *                                      plus cross links
 *   LIST      /list?page=K&sort=name   200 HTML; also /list?sort=name&page=K:
 *                                      another URL (query order is the
 *                                      server's to interpret, RFC 3986 §6.2.2
 *                                      keeps it), so both are fetched
 *   OLD       /old/<k>.html            301 to the NEW page k
 *   NEW       /new/<k>.html            200 HTML, linked only through OLD k
 *                                      (a crawl records the 301 of OLD k, and
 *                                      NEW k as a page of its own)
 *   GONE      /gone/<k>.html           404
 *   PRIVATE   /private/<k>.html        200 HTML, but robots.txt disallows
 *                                      /private/; allowed pages link to it
 *   ROBOTS    /robots.txt, SITEMAP /sitemap.xml (every page URL)
 *
 * "Pages" are the 200 HTML URLs a crawl must fetch: PAGE, LIST and NEW;
 * there are exactly n_pages of them, all reachable from the seed "/".
 * Links are written in several spellings of one URL (relative, ./, ../,
 * /./, a fragment, a percent-encoded unreserved character with lower-case
 * hex); the table keeps each link's target id and spelling.
 *
 * Read-only once made: any thread may read it. */
#ifndef GATHER_BENCH_SITE_H
#define GATHER_BENCH_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bench_kind {
	BENCH_PAGE, BENCH_LIST, BENCH_OLD, BENCH_NEW, BENCH_GONE, BENCH_PRIVATE,
	BENCH_ROBOTS, BENCH_SITEMAP,
};

struct bench_link {
	uint32_t to;      /* target id */
	uint8_t form;     /* spelling, 0..BENCH_FORMS-1 */
};
#define BENCH_FORMS 7

struct bench_url {
	char *path;               /* normal form: path ["?" query] */
	enum bench_kind kind;
	uint32_t target;          /* OLD: its NEW id */
	struct bench_link *links; /* HTML kinds */
	uint32_t nlinks;
	int32_t depth;            /* hops from the seed following links (an OLD
	                           * and its NEW share one), -1: unreachable */
};

struct bench_site {
	uint64_t seed;
	size_t size;              /* body bytes aimed at per HTML page */
	uint32_t n_pages;         /* PAGE + LIST + NEW */
	struct bench_url *u;
	uint32_t n;               /* entries of u */
	uint32_t robots_id, sitemap_id;
	int32_t max_depth;        /* deepest reachable URL */
	/* path -> id + 1, open addressing (read-only after new) */
	uint32_t *slot;
	size_t nslot;
};

/* Limits of the generator (each checked by bench_site_new). */
#define BENCH_MAX_PAGES 1000000u   /* ~230 MB of site tables */
#define BENCH_MIN_SIZE 256u
#define BENCH_MAX_SIZE (16u << 20)

/* A site of n_pages pages of about size bytes.  NULL with err filled when
 * n_pages or size is out of range (BENCH_MAX_PAGES, BENCH_MIN_SIZE..
 * BENCH_MAX_SIZE) or on OOM. */
struct bench_site *bench_site_new(uint32_t n_pages, size_t size, uint64_t seed,
                                  char *err, size_t errlen);
void bench_site_free(struct bench_site *s);   /* accepts NULL */

/* The id of the normal-form path+query p[0..len), or -1. */
int64_t bench_site_lookup(const struct bench_site *s, const char *p, size_t len);

/* The href of link l as written on page `from`. Writes at most cap bytes
 * (NUL included); returns the length. */
size_t bench_site_href(const struct bench_site *s, uint32_t from, const struct bench_link *l,
                       char *buf, size_t cap);

/* The body of URL id: HTML for the HTML kinds (about s->size bytes),
 * robots.txt, the sitemap (page URLs under base, e.g. "http://127.0.0.1:8080"),
 * a short text for OLD and GONE.  A malloc'ed buffer in *ret (len in *ret_len);
 * 0 or GATHER_E_NOMEM. */
int bench_site_render(const struct bench_site *s, uint32_t id, const char *base,
                      char **ret, size_t *ret_len);

/* HTTP status the origin answers for id. */
int bench_site_status(const struct bench_site *s, uint32_t id);
const char *bench_site_content_type(const struct bench_site *s, uint32_t id);

/* What a run must do, per id (crawl: from the seed with robots.txt obeyed;
 * get: the page list).  expect_fetch: requests the origin must see for
 * the id (0 or 1); expect_record: 1 when a record must name it (the NEW
 * pages of a crawl are fetched under their OLD URL's record).  Arrays of
 * s->n, caller-owned. */
enum bench_mode { BENCH_CRAWL, BENCH_GET };
void bench_site_expect(const struct bench_site *s, enum bench_mode mode,
                       uint8_t *expect_fetch, uint8_t *expect_record);

/* The page list of --mode get: the n_pages page paths, in id order. */
size_t bench_site_page_ids(const struct bench_site *s, uint32_t *ids);

/* Write the site under dir as files a static server can serve: each URL at
 * its path (LIST URLs are left out: a file server cannot answer a query),
 * "/" as index.html, robots.txt, sitemap.xml (URLs under base), and
 * REDIRECTS (one "old new" pair a line: configure them in the server).
 * 0, or a negative gather_err with err filled. */
int bench_site_dump(const struct bench_site *s, const char *dir, const char *base,
                    char *err, size_t errlen);

#endif
