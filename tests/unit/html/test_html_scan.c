/* test_html_scan.c — lib/html-scan.c, the plain scan that reads the title
 * and links of ordinary pages without libxml2: on each page below, the
 * scan (an extractor without XPath fields) and libxml2's tree (the same
 * with a field, which forces the tree) must give the same title and the
 * same links in the same order; and the scan must really take the
 * ordinary pages (html_scan returns 1) and leave the odd ones to libxml2
 * (returns 0). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "html/html-internal.h"
#include "html/html.h"
#include "gather/options.h"
#include "gather/result.h"
#include "ckmain.h"

#define PAGE "http://example.com/dir/page.html"

static struct gather_result *page(const char *ctype, const char *body, size_t len)
{
	struct gather_result *r = gather_result_new();
	ck_assert_ptr_nonnull(r);
	r->url = strdup(PAGE);
	r->final_url = strdup(PAGE);
	r->status = 200;
	r->content_type = ctype ? strdup(ctype) : NULL;
	r->body.data = malloc(len + 1);
	memcpy(r->body.data, body, len);
	r->body.data[len] = '\0';
	r->body.len = len;
	return r;
}

static struct gather_extractor *extractor(bool assets, bool tree)
{
	struct gather_opts o;
	char err[300] = "";
	struct gather_extractor *x;

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.assets = assets;
	if (tree)
		gather_strv_push(&o.extract, "h=//h1");
	x = gather_extractor_new(&o, err, sizeof(err));
	ck_assert_msg(x != NULL, "extractor: %s", err);
	gather_opts_free(&o);
	return x;
}

struct scan_case {
	const char *name;
	const char *ctype;
	const char *body;
	size_t len;         /* 0: strlen */
	bool scanned;       /* the scan takes it (else libxml2 does) */
	size_t min_links;   /* at least this many links (the case is not empty) */
};

#define NUL_PAGE "<title>t</title><a href=a1>x\0y</a>"

static const struct scan_case cases[] = {
	{ "ordinary page, link spellings", "text/html; charset=UTF-8",
	  "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>  Page\n 3 </title></head>\n"
	  "<body><h1>Page 3</h1><ul class=nav>\n<li><a href=\"/p/00031.html\">a</a></li>"
	  "<li><a href=\"http://example.com/p/00032.html\">b</a></li>"
	  "<li><a href=\"HTTP://EXAMPLE.COM/p/00033.html\">c</a></li>"
	  "<li><a href=\"/p/%300034.html\">d</a></li><li><a href=\"/p/./00035.html#s0\">e</a></li>"
	  "<li><a href=\"00036.html\">f</a></li><li><a href=\"./00037.html\">g</a></li>"
	  "<li><a href=\"../p/00038.html\">h</a></li></ul><p>text &amp; more</p></body></html>\n",
	  0, true, 8 },
	{ "references in values and title", "text/html",
	  "<title>Caf&eacute; &amp; &#233;t&#xE9; &lt;b&gt; &foo; &amp x</title>"
	  "<a href='?a=1&amp;b=2'>1</a><a href='?a=1&b=2&c'>2</a><a href='/x&#x41;&#66;y'>3</a>"
	  "<a href='/q?u=&unknown;v'>4</a><a href='/&quot;q&quot;'>5</a><a href='/&'>6</a>",
	  0, true, 6 },
	{ "comments, doctype with literals, raw script and style", NULL,
	  "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" "
	  "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">"
	  "<html><head><title>t</title><!-- <a href=/commented>x</a> -->"
	  "<script>var s = '<a href=/in-script>'; if (a<b) x = '</scr' + 'ipt>';</script>"
	  "<STYLE type=text/css>a::after { content: '<a href=/in-style>' }</style></head>"
	  "<body><!----><a href=/after>a</a><!-- -- --><a href=/after2>b</a></body></html>",
	  0, true, 2 },
	{ "attributes: unquoted, bare, duplicates, no blanks, case", "text/html",
	  "<A HREF=/up>1</A><a href=/a/>2</a><a href>3</a><a href=/first href=/second>4</a>"
	  "<a class=\"x\"href='/noblank'>5</a><a\nhref\n=\n'/spaced'\n>6</a>"
	  "<a title='a > b' href='/gt'>7</a><a href='/self'/><area HREF=/area>"
	  "<a href=\"/dq'sq\">8</a><a href='/é/ü?q=ß'>9</a>",
	  0, true, 9 },
	{ "less-than signs as text", "text/html",
	  "<title>a &lt; b</title><p>1 < 2 and 3 <= 4 <> <a href=/lt>lt</a> << <a href=/lt2>x</a>",
	  0, true, 2 },
	{ "base after the links, link kinds", "text/html",
	  "<a href=before>b</a><head><base href='http://other.org/b/'><base href=/no/></head>"
	  "<link rel='next' href=n2><link rel=stylesheet href=s.css><iframe src=if></iframe>"
	  "<frameset><frame src=fr></frameset><meta http-equiv=refresh content='0; url=\"rf\"'>"
	  "<img src=i.png srcset='a.png 1x, b.png 2x'><script src=j.js></script><a href=after>a</a>",
	  0, true, 5 },
	{ "end tags that close nothing, nesting", "text/html",
	  "<div><div><span></b></i></div><p><a href=/deep>d</a></span></div></div></x></table>"
	  "<a href=/out>o</a>", 0, true, 2 },
	{ "CRLF and tabs in values", "text/html",
	  "<a href='\r\n/crlf\r\n'>c</a><a href='\t/tab'>t</a>"
	  "<meta http-equiv=refresh content=\"1;\r\nurl=/ref\">", 0, true, 3 },
	{ "textarea, noscript, svg, two titles, bare base", "text/html",
	  "<title>one</title><title>two</title><base target=x><base href=/b/>"
	  "<textarea><a href=ta>t</a></textarea><noscript><a href=ns>n</a></noscript>"
	  "<svg><a href=sv>s</a></svg><SCRIPT>'</style><a href=no>'</SCRIPT >"
	  "<a href='/&frac12;&#x10FFFF;'>f</a>", 0, true, 4 },
	{ "xmp, plaintext-like and iframe content, entities in text", "text/html",
	  "<xmp><a href=/in-xmp>x</a></xmp><iframe src=/f><a href=/in-iframe>i</a></iframe>"
	  "<noembed><a href=/ne>n</a></noembed><p>&copy; &#169; &nbsp;</p>"
	  "<a href=/last title=\"a&quot;b\">l</a>", 0, true, 3 },
	{ "upper-case charset label, BOM", "text/html; Charset=\"UTF-8\"",
	  "\xEF\xBB\xBF<title>bom</title><a href=/b>b</a>", 0, true, 1 },
	{ "markup inside title goes to libxml2", "text/html",
	  "<title>a<b>bold</b>c</title><a href=/t>t</a>", 0, false, 1 },
	{ "end tag inside title goes to libxml2", "text/html",
	  "<html><head><title>a</head>b</title><a href=/t>t</a>", 0, false, 1 },
	{ "unterminated comment goes to libxml2", "text/html",
	  "<a href=/before>b</a><!-- <a href=/x>", 0, false, 1 },
	{ "odd comment start goes to libxml2", "text/html",
	  "<a href=/one>1</a><!--><a href=/two>2</a>-->", 0, false, 1 },
	{ "script closed oddly goes to libxml2", "text/html",
	  "<script>x</scriptx><a href=/s>s</a></script><a href=/t>t</a>", 0, false, 1 },
	{ "bogus attribute goes to libxml2", "text/html",
	  "<a $x=1 href=/bogus>b</a><a href=/fine>f</a>", 0, false, 1 },
	{ "numeric reference without ';' goes to libxml2", "text/html",
	  "<a href='/n&#65x'>n</a><a href='/z&#0;z'>z</a>", 0, false, 1 },
	{ "processing instruction goes to libxml2", "text/html",
	  "<?php echo 1 ?><a href=/pi>p</a>", 0, false, 1 },
	{ "NUL bytes go to libxml2", "text/html", NUL_PAGE, sizeof(NUL_PAGE) - 1, false, 1 },
	{ "Latin-1 goes to libxml2", "text/html; charset=iso-8859-1",
	  "<title>caf\xe9</title><a href='/\xe9'>e</a>", 0, false, 1 },
	{ "invalid UTF-8 goes to libxml2", "text/html",
	  "<title>caf\xe9</title><a href='/x'>e</a>", 0, false, 1 },
	/* issue 16: where the scan and libxml2 disagreed */
	{ "quotes in a doctype that are no literal", "text/html",
	  "<!DOCTYPE html b 1x\"barsetm><a href=\"/a\">g\"/l><a href=/b>b</a>", 0, false, 2 },
	{ "doctype public and system literals", "text/html",
	  "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\"\n"
	  " \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\"><title>x</title><a href=/p>p</a>",
	  0, true, 1 },
	{ "doctype system literal with '>'", "text/html",
	  "<!doctype html system 'a>b'><a href=/s>s</a>", 0, true, 1 },
	{ "'--!>' ends a comment", "text/html",
	  "<p>x<!-- a --!><a href=/c2>2</a> --><a href=/c3>3</a>", 0, true, 2 },
	{ "'--!>' after the end of a comment", "text/html",
	  "<p>x<!-- a --><a href=/c4>4</a> --!><a href=/c5>5</a>", 0, true, 2 },
};

static void compare(const struct scan_case *c, bool assets)
{
	size_t len = c->len ? c->len : strlen(c->body);
	struct gather_extractor *xs = extractor(assets, false), *xt = extractor(assets, true);
	struct gather_result *rs = page(c->ctype, c->body, len), *rt = page(c->ctype, c->body, len);
	struct gather_result *probe = page(c->ctype, c->body, len);

	ck_assert_int_eq(html_scan(xs, probe, PAGE), c->scanned ? 1 : 0);
	ck_assert_int_eq(gather_extract(xs, rs), 0);
	ck_assert_int_eq(gather_extract(xt, rt), 0);
	ck_assert_msg((rs->title == NULL) == (rt->title == NULL) &&
	              (!rs->title || strcmp(rs->title, rt->title) == 0),
	              "%s: title scan \"%s\" tree \"%s\"", c->name,
	              rs->title ? rs->title : "(none)", rt->title ? rt->title : "(none)");
	for (size_t i = 0; i < rs->links.n || i < rt->links.n; i++)
		ck_assert_msg(i < rs->links.n && i < rt->links.n && !strcmp(rs->links.v[i], rt->links.v[i]),
		              "%s (assets %d): link %zu scan %s tree %s", c->name, assets, i,
		              i < rs->links.n ? rs->links.v[i] : "(none)",
		              i < rt->links.n ? rt->links.v[i] : "(none)");
	ck_assert_uint_eq(rs->n_links_found, rt->n_links_found);
	ck_assert_uint_ge(rs->links.n, c->min_links);
	gather_result_free(rs);
	gather_result_free(rt);
	gather_result_free(probe);
	gather_extractor_free(xs);
	gather_extractor_free(xt);
}

START_TEST(test_scan_matches_tree)
{
	compare(&cases[_i], false);
	compare(&cases[_i], true);
}
END_TEST

/* What the scan found, exactly, on the ordinary page. */
START_TEST(test_scan_values)
{
	struct gather_extractor *x = extractor(false, false);
	struct gather_result *r = page("text/html", cases[1].body, strlen(cases[1].body));

	ck_assert_int_eq(html_scan(x, r, PAGE), 1);
	ck_assert_str_eq(r->title, "Caf\xc3\xa9 & \xc3\xa9t\xc3\xa9 <b> &foo; &amp x");
	ck_assert_uint_eq(r->links.n, 6);
	ck_assert_str_eq(r->links.v[0], "http://example.com/dir/page.html?a=1&b=2");
	ck_assert_str_eq(r->links.v[2], "http://example.com/xAB" "y");
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* A tag with more attributes than html-input.c keeps (it cuts the tag,
 * and the rest is text to the tree: here, a link): libxml2's. */
START_TEST(test_scan_many_attributes)
{
	size_t n = 1100, len = 0;
	char *b = malloc(n * 12 + 256);

	len += (size_t)sprintf(b + len, "<title>t</title><div");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(b + len, " a%zu=1", i);
	len += (size_t)sprintf(b + len, " b=\"<a href=/in-value>\">x</div><a href=/after>a</a>");
	struct scan_case c = { "1100 attributes on one tag", "text/html", b, len, false, 1 };
	compare(&c, false);
	compare(&c, true);
	free(b);
}
END_TEST

/* Robots directives (issue 15 item 8), obeyed only when asked, the same
 * on both paths: rel=nofollow links are not taken (nor counted), a robots
 * meta nofollow/none takes every link away, noindex/none sets noindex. */
static const struct robots_case {
	const char *body;
	size_t links, links_ignored;  /* obeyed / not obeyed */
	bool noindex;
} robots_cases[] = {
	{ "<a href=/a rel=nofollow>a</a><a href=/b rel=\"external NoFollow\">b</a>"
	  "<a href=/c>c</a><link rel=\"nofollow alternate\" href=/l><area href=/ar rel=nofollow>",
	  1, 5, false },
	{ "<meta name=robots content=\"noindex, nofollow\"><a href=/a>a</a>", 0, 1, true },
	{ "<meta name=\"ROBOTS\" content=\"None\"><a href=/a>a</a>", 0, 1, true },
	{ "<meta name=robots content=noindex><a href=/a>a</a>", 1, 1, true },
	{ "<a href=/a>a</a><p><meta name=robots content=\"nofollow\"></p>", 0, 1, false },
	{ "<meta name=googlebot content=nofollow><meta name=robots content=\"index,follow\">"
	  "<a href=/a>a</a>", 1, 1, false },
	{ "<meta name=robots content=\"noindexx nofollowx\"><a href=/a>a</a>", 1, 1, false },
};

START_TEST(test_robots_meta)
{
	const struct robots_case *c = &robots_cases[_i];

	for (int obey = 0; obey < 2; obey++)
		for (int tree = 0; tree < 2; tree++) {
			struct gather_extractor *x = extractor(false, tree);
			struct gather_result *r = page("text/html", c->body, strlen(c->body));
			if (obey)
				gather_extractor_obey_robots_meta(x);
			if (!tree) {  /* the scan reads these pages itself */
				struct gather_result *probe = page("text/html", c->body, strlen(c->body));
				ck_assert_int_eq(html_scan(x, probe, PAGE), 1);
				gather_result_free(probe);
			}
			ck_assert_int_eq(gather_extract(x, r), 0);
			ck_assert_msg(r->links.n == (obey ? c->links : c->links_ignored),
			              "case %d obey %d tree %d: %zu links", _i, obey, tree, r->links.n);
			ck_assert_uint_eq(r->n_links_found, r->links.n);
			ck_assert_int_eq(r->noindex, obey && c->noindex);
			gather_result_free(r);
			gather_extractor_free(x);
		}
}
END_TEST

/* Nesting deeper than the scan follows goes to libxml2, which cuts it. */
START_TEST(test_scan_deep)
{
	struct gather_extractor *x = extractor(false, false);
	size_t n = 300, len = 0;
	char *b = malloc(n * 5 + 64);

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(b + len, "<div>");
	len += (size_t)sprintf(b + len, "<a href=/deep>d</a>");
	struct gather_result *r = page("text/html", b, len);
	ck_assert_int_eq(html_scan(x, r, PAGE), 0);
	ck_assert_ptr_null(r->title);
	ck_assert_uint_eq(r->links.n, 0);
	gather_result_free(r);
	free(b);
	gather_extractor_free(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html_scan");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_scan_matches_tree, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_scan_values);
	tcase_add_test(tc, test_scan_deep);
	tcase_add_test(tc, test_scan_many_attributes);
	tcase_add_loop_test(tc, test_robots_meta, 0, (int)(sizeof(robots_cases) / sizeof(robots_cases[0])));
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
