/* test_html_corpus.c — the scan (html-scan.c) and libxml2's tree give the
 * same title, links and counts on a real corpus and a generated one
 * (issue 16: they disagreed on doctypes with quotes, "--!>" and tags with
 * over 1,000 attributes).
 *
 * Real: every page of the Python documentation (Debian's python3.11-doc,
 * installed by ./bootstrap; its absence is a failure, not a skip).
 * Generated: pages built from a fixed-seed grammar of the constructs where
 * the two could part: doctypes with and without literals, comments ended
 * every way, entities, raw text, odd tags, attributes in every quoting, rel
 * and robots meta.  Each page goes through both paths with the robots
 * directives ignored and obeyed; every difference is printed; the test
 * fails on any, and when the scan claimed too few pages to mean anything. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "html/html-internal.h"
#include "html/html.h"
#include "ckmain.h"

#define PAGE "https://docs.example.org/3/library/page.html"
#define PYDOCS "/usr/share/doc/python3.11/html"

static struct gather_extractor *xs[2], *xt[2];   /* [obey] scan, tree */
static size_t pages, claimed, diffs;

static struct gather_extractor *make(bool tree, bool obey)
{
	struct gather_opts o;
	char err[256];
	struct gather_extractor *x;

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.assets = true;
	o.max_links = 1000000;
	if (tree)
		gather_strv_push(&o.extract, "h=//h1");
	x = gather_extractor_new(&o, err, sizeof(err));
	ck_assert_msg(x != NULL, "%s", err);
	gather_extractor_normalize_links(x);
	if (obey)
		gather_extractor_obey_robots_meta(x);
	gather_opts_free(&o);
	return x;
}

static struct gather_result *page(const char *body, size_t len)
{
	struct gather_result *r = gather_result_new();
	r->url = strdup(PAGE);
	r->final_url = strdup(PAGE);
	r->status = 200;
	r->content_type = strdup("text/html; charset=utf-8");
	r->body.data = malloc(len + 1);
	memcpy(r->body.data, body, len);
	r->body.data[len] = '\0';
	r->body.len = len;
	return r;
}

/* Both paths on one page; differences printed and counted. */
static void compare(const char *name, const char *body, size_t len)
{
	pages++;
	for (int obey = 0; obey < 2; obey++) {
		struct gather_result *probe = page(body, len);
		int c = html_scan(xs[obey], probe, PAGE);
		gather_result_free(probe);
		if (c != 1)
			continue;
		claimed += !obey;
		struct gather_result *rs = page(body, len), *rt = page(body, len);
		ck_assert_int_eq(gather_extract(xs[obey], rs), 0);
		ck_assert_int_eq(gather_extract(xt[obey], rt), 0);
		bool same = ((rs->title == NULL) == (rt->title == NULL)) &&
		            (!rs->title || strcmp(rs->title, rt->title) == 0) &&
		            rs->links.n == rt->links.n && rs->n_links_found == rt->n_links_found &&
		            rs->noindex == rt->noindex;
		for (size_t i = 0; same && i < rs->links.n; i++)
			same = strcmp(rs->links.v[i], rt->links.v[i]) == 0;
		if (!same) {
			diffs++;
			fprintf(stderr, "%s (robots %s): scan title \"%s\" %zu links, tree \"%s\" %zu links\n",
			        name, obey ? "obeyed" : "ignored", rs->title ? rs->title : "(none)",
			        rs->links.n, rt->title ? rt->title : "(none)", rt->links.n);
		}
		gather_result_free(rs);
		gather_result_free(rt);
	}
}

static void walk(const char *dir, unsigned depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_msg(d != NULL, "%s: cannot open (install python3.11-doc: ./bootstrap)", dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 8) {
			walk(path, depth + 1);
		} else if (S_ISREG(st.st_mode) && strlen(e->d_name) > 5 &&
		           strcmp(e->d_name + strlen(e->d_name) - 5, ".html") == 0) {
			FILE *f = fopen(path, "rb");
			char *b = malloc((size_t)st.st_size + 1);
			size_t n = f && b ? fread(b, 1, (size_t)st.st_size, f) : 0;
			if (f)
				fclose(f);
			compare(path, b, n);
			free(b);
		}
	}
	closedir(d);
}

START_TEST(test_python_docs)
{
	pages = claimed = diffs = 0;
	walk(PYDOCS, 0);
	fprintf(stderr, "python docs: %zu pages, %zu read by the scan, %zu differences\n", pages,
	        claimed, diffs);
	ck_assert_uint_ge(pages, 100);
	ck_assert_uint_ge(claimed, pages / 2);   /* the scan really ran */
	ck_assert_uint_eq(diffs, 0);
}
END_TEST

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Pieces of markup where the scan and libxml2 could part. */
static const char *const pieces[] = {
	"<!DOCTYPE html>", "<!doctype html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">",
	"<!DOCTYPE html b 1x\"q>", "<!DOCTYPE html SYSTEM 'a>b'>", "<!DOCTYPE html PUBLIC \"x\">",
	"<!-- c -->", "<!-- a --!>", "<!--x--!>", "<!---->", "<!-- - -- -->", "<!-->", "-->", "--!>",
	"<title>", "</title>", "T&amp;t", "&eacute;", "&#x41;", "&#65;", "&nosuch;", "&amp", "&",
	"<a href=/a>", "<a href='/b?x=1&amp;y=2'>", "<a href=\"c d\">", "</a>", "<a rel=nofollow href=/nf>",
	"<a rel=\"x NOFOLLOW\" href=/nf2>", "<area href=/ar>", "<link rel=alternate href=/alt>",
	"<link rel=stylesheet href=/s.css>", "<img src=/i.png srcset=\"/1.png 1x, /2.png 2x\">",
	"<base href=/base/>", "<meta name=robots content=noindex>", "<meta name=robots content=\"nofollow\">",
	"<meta http-equiv=refresh content=\"0; url=/r\">", "<script>var a = '</a>';</script>",
	"<style>a{}</style>", "<script src=/j.js></script>", "<iframe src=/f></iframe>", "<p>", "</p>",
	"<div class=x id='y' data-z>", "</div>", "<br/>", "<ul><li>", "</li></ul>", "<table><tr><td>",
	"</td></tr></table>", "text ", "\n", " < ", "<b>", "</b>", "</x>", "<x-y z=1>", "<h1>h</h1>",
	"<a href=/q title=\"a>b\">", "<a href=/\xc3\xa9>", "<textarea><a href=/ta></textarea>",
};

START_TEST(test_generated)
{
	uint32_t seed = 0x5eed1e55;
	char *b = malloc(65536);

	pages = claimed = diffs = 0;
	for (unsigned i = 0; i < 4000; i++) {
		size_t len = 0, n = 1 + rnd(&seed) % 40;
		char name[32];
		for (size_t k = 0; k < n; k++) {
			const char *p = pieces[rnd(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = strlen(p);
			memcpy(b + len, p, pl);
			len += pl;
		}
		snprintf(name, sizeof(name), "generated page %u", i);
		compare(name, b, len);
	}
	free(b);
	fprintf(stderr, "generated: %zu pages, %zu read by the scan, %zu differences\n", pages,
	        claimed, diffs);
	ck_assert_uint_ge(claimed, pages / 10);
	ck_assert_uint_eq(diffs, 0);
}
END_TEST

static void setup(void)
{
	for (int obey = 0; obey < 2; obey++) {
		xs[obey] = make(false, obey);
		xt[obey] = make(true, obey);
	}
}

static void teardown(void)
{
	for (int obey = 0; obey < 2; obey++) {
		gather_extractor_free(xs[obey]);
		gather_extractor_free(xt[obey]);
	}
}

int main(void)
{
	Suite *s = suite_create("html_corpus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_generated);
	tcase_add_test(tc, test_python_docs);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
