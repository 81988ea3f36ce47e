/* test_html.c — page processing: link kinds, base, fragments, schemes,
 * refresh, assets, limits, dedup, charsets, title, XPath and regex fields,
 * refused specs, and hostile bodies (binary, a million deep, 5 MB, NULs). */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gather/error.h"
#include "html/html.h"
#include "url/url.h"
#include "gather/options.h"
#include "gather/result.h"
#include "ckmain.h"

#define PAGE "http://example.com/dir/page.html"

static struct gather_result *page(const char *ctype, const char *body, size_t len)
{
	struct gather_result *r = gather_result_new();
	ck_assert_ptr_nonnull(r);
	r->url = strdup("http://example.com/start");
	r->final_url = strdup(PAGE);
	r->status = 200;
	r->content_type = ctype ? strdup(ctype) : NULL;
	if (body) {
		r->body.data = malloc(len + 1);
		memcpy(r->body.data, body, len);
		r->body.data[len] = '\0';
		r->body.len = len;
	}
	return r;
}

static struct gather_extractor *extractor(bool assets, unsigned max_links,
                                          const char *const *extract,
                                          const char *const *regex)
{
	struct gather_opts o;
	char err[300] = "";
	struct gather_extractor *x;

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.assets = assets;
	if (max_links)
		o.max_links = max_links;
	for (; extract && *extract; extract++)
		gather_strv_push(&o.extract, *extract);
	for (; regex && *regex; regex++)
		gather_strv_push(&o.regex, *regex);
	x = gather_extractor_new(&o, err, sizeof(err));
	ck_assert_msg(x != NULL, "extractor: %s", err);
	gather_opts_free(&o);
	return x;
}

/* --- links, table-driven ------------------------------------------------- */

struct link_case {
	const char *name;
	const char *ctype;
	const char *body;
	size_t len;              /* 0: strlen(body) */
	bool assets;
	unsigned max_links;      /* 0: the default */
	const char *want[10];    /* in document order, NULL-terminated */
	size_t found;            /* expected n_links_found; 0: as many as want */
};

#define NUL_BODY "<title>t</title><a href=a1>x\0y</a>\0\0\0<p>\0<a href=a2>z</a>"
#define PNG_BODY "\x89PNG\r\n\x1a\n\0\0\0\rIHDR<a href=x>"

static const struct link_case link_cases[] = {
	{ "a href", "text/html", "<a href='x.html'>x</a><a href=\"/abs\">y</a>", 0, false, 0,
	  { "http://example.com/dir/x.html", "http://example.com/abs" }, 0 },
	{ "area href", "text/html", "<map name=m><area href='/area' shape=rect></map>", 0, false, 0,
	  { "http://example.com/area" }, 0 },
	{ "frame and iframe src", "text/html",
	  "<frameset><frame src='f1.html'></frameset>", 0, false, 0,
	  { "http://example.com/dir/f1.html" }, 0 },
	{ "iframe src", "text/html", "<body><iframe src='//cdn.example.org/i'></iframe>", 0, false, 0,
	  { "http://cdn.example.org/i" }, 0 },
	{ "link rel tokens", "text/html",
	  "<head><link rel='Next' href='p2'><link rel=' alternate  nofollow' href='feed.xml'>"
	  "<link rel=prev href=p0><link rel=canonical href=c><link rel=preload href=pl>"
	  "<link href=norel></head>", 0, false, 0,
	  { "http://example.com/dir/p2", "http://example.com/dir/feed.xml",
	    "http://example.com/dir/p0" }, 0 },
	{ "base href, first wins", "text/html",
	  "<head><base target=_top><base href='http://other.org/b/'><base href='/ignored/'></head>"
	  "<a href=y>y</a><a href='/z'>z</a>", 0, false, 0,
	  { "http://other.org/b/y", "http://other.org/z" }, 0 },
	{ "relative base href", "text/html",
	  "<base href='../up/'><a href=q>q</a>", 0, false, 0,
	  { "http://example.com/up/q" }, 0 },
	{ "fragments dropped", "text/html",
	  "<a href='#top'>t</a><a href='z.html#frag'>z</a><a href='z.html#other'>z</a>", 0, false, 0,
	  { PAGE, "http://example.com/dir/z.html" }, 0 },
	{ "whitespace stripped", "text/html",
	  "<a href='  \n q.html \t'>q</a><a href='\r\nhttp://example.com/r \n'>r</a>", 0, false, 0,
	  { "http://example.com/dir/q.html", "http://example.com/r" }, 0 },
	{ "schemes skipped", "text/html",
	  "<a href='mailto:a@b.c'>m</a><a href='javascript:void(0)'>j</a>"
	  "<a href='data:text/html,hi'>d</a><a href='tel:+123'>t</a><a href='ftp://f.org/x'>f</a>"
	  "<a href=' JavaScript:alert(1)'>j2</a><a href='HTTPS://Secure.example.com/s'>s</a>",
	  0, false, 0, { "https://secure.example.com/s" }, 0 },
	{ "meta refresh", "text/html",
	  "<head><meta http-equiv='Refresh' content=\"5; url='next.html'\">"
	  "<meta http-equiv=refresh content='0;URL=http://a.org/n'>"
	  "<meta http-equiv=refresh content='3'>"
	  "<meta http-equiv=refresh content='1, later.html'>"
	  "<meta name=refresh content='0;url=notme'></head>", 0, false, 0,
	  { "http://example.com/dir/next.html", "http://a.org/n", "http://example.com/dir/later.html" }, 0 },
	{ "assets off", "text/html",
	  "<link rel=stylesheet href=s.css><link rel='shortcut icon' href=i.ico>"
	  "<script src=j.js></script><img src=p.png srcset='p2.png 2x'><a href=page2>n</a>",
	  0, false, 0, { "http://example.com/dir/page2" }, 0 },
	{ "assets on", "text/html",
	  "<link rel=stylesheet href=s.css><link rel='shortcut icon' href=i.ico>"
	  "<script src=j.js></script><img src=p.png srcset='p2.png 2x, /p3.png 3x'>"
	  "<picture><source srcset='w.webp'></picture><a href=page2>n</a>",
	  0, true, 0,
	  { "http://example.com/dir/s.css", "http://example.com/dir/i.ico",
	    "http://example.com/dir/j.js", "http://example.com/dir/p.png",
	    "http://example.com/dir/p2.png", "http://example.com/p3.png",
	    "http://example.com/dir/w.webp", "http://example.com/dir/page2" }, 0 },
	{ "max_links cut", "text/html",
	  "<a href=1>1</a><a href=2>2</a><a href=3>3</a><a href=4>4</a><a href=5>5</a>",
	  0, false, 2, { "http://example.com/dir/1", "http://example.com/dir/2" }, 5 },
	{ "dedup", "text/html",
	  "<a href=d>1</a><a href='d#x'>2</a><a href=' d '>3</a><area href=d>"
	  "<a href='http://example.com/dir/d'>4</a><a href=e>5</a><a href=d>6</a>", 0, false, 0,
	  { "http://example.com/dir/d", "http://example.com/dir/e" }, 0 },
	{ "empty body", "text/html", "", 0, false, 0, { NULL }, 0 },
	{ "NUL bytes inside", "text/html",
	  NUL_BODY, sizeof(NUL_BODY) - 1, false, 0,
	  { "http://example.com/dir/a1", "http://example.com/dir/a2" }, 0 },
	{ "binary body not parsed", "image/png",
	  PNG_BODY, sizeof(PNG_BODY) - 1, false, 0, { NULL }, 0 },
	{ "json body not parsed", "application/json",
	  "{\"a\": \"<a href=x>\"}", 0, false, 0, { NULL }, 0 },
	{ "sniffed without content type", NULL,
	  "\xEF\xBB\xBF  <!DOCTYPE html><a href=s>s</a>", 0, false, 0,
	  { "http://example.com/dir/s" }, 0 },
	{ "sniffed text/plain that is HTML", "text/plain",
	  "\n<html><a href=s2>s</a>", 0, false, 0, { "http://example.com/dir/s2" }, 0 },
	{ "xhtml", "application/xhtml+xml; charset=utf-8",
	  "<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'><body>"
	  "<a href='x1'>x</a></body></html>", 0, false, 0, { "http://example.com/dir/x1" }, 0 },
	{ "broken markup recovers", "text/html",
	  "<table><tr><td><a href=one>1<td><a href=two><b>2</table></div></span><a href=three",
	  0, false, 0, { "http://example.com/dir/one", "http://example.com/dir/two",
	                 "http://example.com/dir/three" }, 0 },
};

START_TEST(test_links)
{
	const struct link_case *c = &link_cases[_i];
	struct gather_extractor *x = extractor(c->assets, c->max_links, NULL, NULL);
	struct gather_result *r = page(c->ctype, c->body, c->len ? c->len : strlen(c->body));
	size_t nwant = 0;

	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert(r->processed);
	ck_assert(r->has_sha256);
	while (c->want[nwant])
		nwant++;
	for (size_t i = 0; i < r->links.n && i < nwant; i++)
		ck_assert_msg(strcmp(r->links.v[i], c->want[i]) == 0, "%s: link %zu is %s, want %s",
		              c->name, i, r->links.v[i], c->want[i]);
	for (size_t i = nwant; i < r->links.n; i++)
		ck_assert_msg(0, "%s: extra link %s", c->name, r->links.v[i]);
	ck_assert_msg(r->links.n == nwant, "%s: %zu links, want %zu", c->name, r->links.n, nwant);
	ck_assert_msg(r->n_links_found == (c->found ? c->found : nwant), "%s: found %zu",
	              c->name, r->n_links_found);
	ck_assert_ptr_null(r->fields); /* no field specs */
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* gather_extractor_normalize_links (a crawl): the same links, normalized,
 * those that do not normalize left out; n_links_found as without it. */
static void check_normalized(const struct link_case *c, const char *const *want)
{
	struct gather_extractor *x = extractor(c->assets, c->max_links, NULL, NULL);
	struct gather_extractor *xn = extractor(c->assets, c->max_links, NULL, NULL);
	size_t len = c->len ? c->len : strlen(c->body), k = 0;
	struct gather_result *r = page(c->ctype, c->body, len);
	struct gather_result *rn = page(c->ctype, c->body, len);

	gather_extractor_normalize_links(xn);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_int_eq(gather_extract(xn, rn), 0);
	ck_assert_uint_eq(rn->n_links_found, r->n_links_found);
	for (size_t i = 0; i < r->links.n; i++) {
		char *n = NULL;
		if (gather_url_normalize(r->links.v[i], &n) != 0)
			continue;
		ck_assert_msg(k < rn->links.n, "%s: missing %s", c->name, n);
		ck_assert_str_eq(rn->links.v[k], n);
		k++;
		free(n);
	}
	ck_assert_uint_eq(rn->links.n, k);
	for (size_t i = 0; want && i < k; i++)
		ck_assert_str_eq(rn->links.v[i], want[i]);
	ck_assert(!want || !want[k]);
	gather_result_free(r);
	gather_result_free(rn);
	gather_extractor_free(x);
	gather_extractor_free(xn);
}

START_TEST(test_links_normalized)
{
	check_normalized(&link_cases[_i], NULL);
}
END_TEST

START_TEST(test_links_normalized_count)
{
	/* distinct as resolved, cut at max_links, then normalized: "/%41" and
	 * "/A" both stay, the bad port goes, "x" was past the cut */
	static const struct link_case c = { "norm", "text/html",
		"<a href='/%41'>1</a><a href=/A>2</a><a href='HTTP://example.COM:99999/p'>3</a>"
		"<a href=x>4</a><a href=/A>5</a>", 0, false, 3, { NULL }, 0 };
	static const char *const want[] = { "http://example.com/A", "http://example.com/A", NULL };
	check_normalized(&c, want);
}
END_TEST

/* --- title, digest, charsets ------------------------------------------- */

START_TEST(test_title_and_sha256)
{
	struct gather_extractor *x = extractor(false, 0, NULL, NULL);
	const char *b = "<html><head><title>  Hello \n\t World  </title></head>"
	                "<body><title>second</title></body></html>";
	struct gather_result *r = page("text/html", b, strlen(b));
	static const unsigned char empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
		0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
		0x78, 0x52, 0xb8, 0x55 };
	/* sha256("abc") */
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad };

	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_str_eq(r->title, "Hello World");
	/* a second run on the same result replaces, not leaks */
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_str_eq(r->title, "Hello World");
	gather_result_free(r);

	r = page("text/html", "", 0);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert(r->has_sha256);
	ck_assert_mem_eq(r->sha256, empty, 32);
	ck_assert_ptr_null(r->title);
	gather_result_free(r);

	r = page("application/octet-stream", "abc", 3);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_mem_eq(r->sha256, abc, 32);
	gather_result_free(r);

	/* no response at all: nothing to digest */
	r = gather_result_new();
	r->url = strdup("http://example.com/");
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert(r->processed);
	ck_assert(!r->has_sha256);
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

struct charset_case {
	const char *ctype;
	const char *body;
	const char *title;
};

static const struct charset_case charset_cases[] = {
	/* Latin-1 bytes, said by the header */
	{ "text/html; charset=ISO-8859-1", "<title>caf\xe9 \xfc</title>", "caf\xc3\xa9 \xc3\xbc" },
	{ "text/html;charset=\"iso-8859-1\"", "<title>caf\xe9</title>", "caf\xc3\xa9" },
	/* Latin-1 bytes, said by <meta charset> and by http-equiv */
	{ "text/html", "<head><meta charset=iso-8859-1><title>caf\xe9</title>", "caf\xc3\xa9" },
	{ "text/html", "<head><meta http-equiv=Content-Type content='text/html; charset=iso-8859-1'>"
	  "<title>caf\xe9</title>", "caf\xc3\xa9" },
	/* header wins over meta: UTF-8 body whose meta lies */
	{ "text/html; charset=utf-8", "<head><meta charset=iso-8859-1><title>caf\xc3\xa9</title>",
	  "caf\xc3\xa9" },
	/* and the other way round */
	{ "text/html; charset=windows-1252", "<head><meta charset=utf-8><title>caf\xe9</title>",
	  "caf\xc3\xa9" },
	/* UTF-8 by default; an unknown charset name is ignored */
	{ "text/html", "<title>caf\xc3\xa9</title>", "caf\xc3\xa9" },
	{ "text/html; charset=no-such-charset", "<title>caf\xc3\xa9</title>", "caf\xc3\xa9" },
	/* entities */
	{ "text/html", "<title>a &amp; b &eacute; &#x263A;</title>", "a & b \xc3\xa9 \xe2\x98\xba" },
};

START_TEST(test_charset)
{
	const struct charset_case *c = &charset_cases[_i];
	struct gather_extractor *x = extractor(false, 0, NULL, NULL);
	struct gather_result *r = page(c->ctype, c->body, strlen(c->body));

	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_msg(r->title != NULL, "case %d: no title", _i);
	ck_assert_msg(strcmp(r->title, c->title) == 0, "case %d: title '%s', want '%s'", _i,
	              r->title, c->title);
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* --- fields --------------------------------------------------------------- */

static const char *json_field(const json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);
	ck_assert_msg(v != NULL, "field %s missing", name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

START_TEST(test_xpath_fields)
{
	static const char *const ex[] = {
		"h=//h1", "items[]=//li", "n=count(//a)", "missing=//nope", "none[]=//nope",
		"href=//a/@href", "s=string(//h1)", "b=boolean(//h1)", "nb=boolean(//nope)",
		"num[]=count(//li)", "cls=//p[@class='x y']", NULL,
	};
	struct gather_extractor *x = extractor(false, 0, ex, NULL);
	const char *b = "<h1>  Big\n  Title </h1><ul><li>one</li><li> two  <b>2</b></li><li></li></ul>"
	                "<a href=' u1 '>1</a><a>2</a><a>3</a><p class='x y'>para</p><h1>second</h1>";
	struct gather_result *r = page("text/html", b, strlen(b));
	json_t *f, *items;

	ck_assert_int_eq(gather_extract(x, r), 0);
	f = r->fields;
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(json_field(f, "h"), "Big Title");
	items = json_object_get(f, "items");
	ck_assert(json_is_array(items));
	ck_assert_uint_eq(json_array_size(items), 3);
	ck_assert_str_eq(json_string_value(json_array_get(items, 0)), "one");
	ck_assert_str_eq(json_string_value(json_array_get(items, 1)), "two 2");
	ck_assert_str_eq(json_string_value(json_array_get(items, 2)), "");
	ck_assert_str_eq(json_field(f, "n"), "3");
	ck_assert(json_is_null(json_object_get(f, "missing")));
	ck_assert(json_is_array(json_object_get(f, "none")));
	ck_assert_uint_eq(json_array_size(json_object_get(f, "none")), 0);
	ck_assert_str_eq(json_field(f, "href"), "u1");
	ck_assert_str_eq(json_field(f, "s"), "  Big\n  Title "); /* a string result stays as is */
	ck_assert_str_eq(json_field(f, "b"), "true");
	ck_assert_str_eq(json_field(f, "nb"), "false");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "num"), 0)), "3");
	ck_assert_str_eq(json_field(f, "cls"), "para");
	gather_result_free(r);

	/* not HTML: XPath fields are null, but present */
	r = page("image/gif", "GIF89a", 6);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert(json_is_null(json_object_get(r->fields, "h")));
	ck_assert(json_is_null(json_object_get(r->fields, "items")));
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

START_TEST(test_regex_fields)
{
	static const char *const re[] = {
		"price=\\$([0-9]+\\.[0-9]+)", "sku=[A-Z]{3}-[0-9]+", "none=zzz(q)",
		"opt=SKU(x)?-", "latin=caf.", NULL,
	};
	struct gather_extractor *x = extractor(false, 0, NULL, re);
	const char *b = "<p>Price: $12.50 (was $20.00)</p><p>ABC-123 SKU-9 caf\xe9</p>";
	struct gather_result *r = page("text/html; charset=iso-8859-1", b, strlen(b));
	json_t *f;

	ck_assert_int_eq(gather_extract(x, r), 0);
	f = r->fields;
	ck_assert_str_eq(json_field(f, "price"), "12.50");     /* group 1 */
	ck_assert_str_eq(json_field(f, "sku"), "ABC-123");     /* whole match */
	ck_assert(json_is_null(json_object_get(f, "none")));
	ck_assert(json_is_null(json_object_get(f, "opt")));     /* group did not take part */
	ck_assert_str_eq(json_field(f, "latin"), "caf\xc3\xa9"); /* Latin-1 byte made UTF-8 */
	gather_result_free(r);

	/* regexes run over any body, HTML or not */
	r = page("text/plain", "SKU XYZ-7", 9);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_str_eq(json_field(r->fields, "sku"), "XYZ-7");
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

struct bad_spec {
	const char *extract;
	const char *regex;
	const char *want;        /* in the message */
};

static const struct bad_spec bad_specs[] = {
	{ "x=//[", NULL, "x=//[\": Invalid expression" },
	{ "x=//a[", NULL, "x=//a[" },
	{ "f=nosuchfn(//a)", NULL, "f=nosuchfn(//a)\": Unregistered function" },
	{ "v=$undefined", NULL, "v=$undefined\": Undefined variable" },
	{ "noequals", NULL, "NAME=XPATH" },
	{ "=//a", NULL, "NAME=XPATH" },
	{ "x=", NULL, "NAME=XPATH" },
	{ NULL, "r=(unclosed", "r=(unclosed" },
	{ NULL, "r=a{2,1}", "r=a{2,1}" },
	{ NULL, "nothing", "NAME=REGEX" },
	{ "dup=//a", "dup=x", "twice" },
};

START_TEST(test_bad_specs)
{
	const struct bad_spec *c = &bad_specs[_i];
	struct gather_opts o;
	char err[300] = "";
	int fd, saved;
	off_t size;
	char path[] = "/tmp/test_html_stderr_XXXXXX";

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	if (c->extract)
		gather_strv_push(&o.extract, c->extract);
	if (c->regex)
		gather_strv_push(&o.regex, c->regex);
	/* libxml2 must not print the compile error: catch stderr */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	ck_assert_ptr_null(gather_extractor_new(&o, err, sizeof(err)));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	ck_assert_msg(size == 0, "case %d printed %lld bytes to stderr", _i, (long long)size);
	ck_assert_msg(strstr(err, c->want) != NULL, "case %d: message '%s' lacks '%s'", _i, err,
	              c->want);
	gather_opts_free(&o);
}
END_TEST

/* Broken HTML and broken encodings print nothing either. */
START_TEST(test_nothing_printed)
{
	static const char *const ex[] = { "t=//title", NULL };
	struct gather_extractor *x = extractor(false, 0, ex, NULL);
	static const char *const bodies[] = {
		"<html><bad<<>></\x01\x02><a href=x>&bogus;&#xFFFFFFFF;</a></html>",
		"<meta charset=utf-16><title>\xff\xfe</title>",
		"<title>\xc3\x28 invalid utf-8 \xed\xa0\x80</title>",
	};
	char path[] = "/tmp/test_html_stderr_XXXXXX";
	int fd = mkstemp(path), saved;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct gather_result *r = page("text/html; charset=utf-8", bodies[i], strlen(bodies[i]));
		gather_extract(x, r);
		gather_result_free(r);
		r = page("text/html; charset=shift_jis", bodies[i], strlen(bodies[i]));
		gather_extract(x, r);
		gather_result_free(r);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	close(fd);
	gather_extractor_free(x);
}
END_TEST

/* --- hostile sizes ----------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_million_deep)
{
	static const char *const ex[] = { "divs=count(//div)", "deep=//div", NULL };
	struct gather_extractor *x = extractor(false, 0, ex, NULL);
	const size_t depth = 1000000;
	const char *head = "<html><head><title>deep</title></head><body><a href=before>b</a>";
	size_t hl = strlen(head), len = hl + depth * 5 + 64, o = hl;
	char *b = malloc(len);
	struct gather_result *r;
	double t0;

	memcpy(b, head, hl);
	for (size_t i = 0; i < depth; i++, o += 5)
		memcpy(b + o, "<div>", 5);
	o += (size_t)sprintf(b + o, "<a href=after>a</a>");
	r = page("text/html", b, o);
	free(b);
	t0 = now_s();
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_msg(now_s() - t0 < 20, "took %.1f s", now_s() - t0);
	ck_assert(r->processed);
	ck_assert_str_eq(r->title, "deep");
	ck_assert_uint_ge(r->links.n, 1);
	ck_assert_str_eq(r->links.v[0], "http://example.com/dir/before");
	/* libxml2 stops nesting at its depth limit (256) instead of building a
	 * million-deep tree */
	ck_assert_int_lt(atoi(json_string_value(json_object_get(r->fields, "divs"))), 1000);
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

START_TEST(test_huge_page)
{
	static const char *const ex[] = { "n=count(//a)", "last=//p[last()]", NULL };
	struct gather_extractor *x = extractor(false, 0, ex, NULL);
	size_t cap = 5u << 20, o = 0;
	char *b = malloc(cap + 256);
	struct gather_result *r;
	unsigned i = 0;
	double t0;

	o += (size_t)sprintf(b, "<html><head><title>huge</title></head><body>");
	while (o < cap) {
		o += (size_t)sprintf(b + o, "<p>para %u with <a href='/l/%u'>link %u</a> text</p>\n",
		                     i, i, i);
		i++;
	}
	r = page("text/html", b, o);
	free(b);
	t0 = now_s();
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_msg(now_s() - t0 < 30, "took %.1f s", now_s() - t0);
	ck_assert_uint_ge(r->body.len, 5u << 20);
	ck_assert_str_eq(r->title, "huge");
	ck_assert_uint_eq(r->n_links_found, i);
	ck_assert_uint_eq(r->links.n, 10000); /* the default --max-links */
	ck_assert_str_eq(r->links.v[9999], "http://example.com/l/9999");
	ck_assert_uint_eq((unsigned)atoi(json_string_value(json_object_get(r->fields, "n"))), i);
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* One start tag with 200,000 attributes: libxml2 2.9 alone checks them
 * pairwise (minutes); cut at HTML_MAX_ATTRS, it is a blink, and the page
 * after the tag is still parsed. */
START_TEST(test_attribute_bomb)
{
	static const char *const ex[] = { "p=count(//p/@*)", NULL };
	struct gather_extractor *x = extractor(false, 0, ex, NULL);
	size_t cap = 200000 * 12 + 256, o = 0;
	char *b = malloc(cap);
	struct gather_result *r;
	double t0;

	o += (size_t)sprintf(b, "<title>bomb</title><a href=before>b</a><p ");
	for (unsigned i = 0; i < 200000; i++)
		o += (size_t)sprintf(b + o, "a%u=\"1\" ", i);
	o += (size_t)sprintf(b + o, "><a href=after>a</a>");
	r = page("text/html", b, o);
	free(b);
	t0 = now_s();
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_msg(now_s() - t0 < 30, "took %.1f s", now_s() - t0);
	ck_assert_str_eq(r->title, "bomb");
	ck_assert_uint_eq(r->links.n, 2);
	ck_assert_str_eq(r->links.v[1], "http://example.com/dir/after");
	ck_assert_str_eq(json_string_value(json_object_get(r->fields, "p")), "1000");
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* Names longer than 100 characters are several attributes to libxml2:
 * 80 names of 10,000 letters make 8,000 attributes, cut to 1000. */
START_TEST(test_attribute_bomb_long_names)
{
	static const char *const ex[] = { "p=count(//p/@*)", NULL };
	struct gather_extractor *x = extractor(false, 0, ex, NULL);
	size_t names = 80, len = 10000, o = 0;
	char *b = malloc(names * (len + 1) + 256);
	struct gather_result *r;
	unsigned seed = 12345;
	double t0;

	o += (size_t)sprintf(b, "<p ");
	for (size_t i = 0; i < names; i++) {
		for (size_t j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			b[o++] = (char)('a' + (seed >> 16) % 26);
		}
		b[o++] = ' ';
	}
	o += (size_t)sprintf(b + o, "><a href=after>a</a>");
	r = page("text/html", b, o);
	free(b);
	t0 = now_s();
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_msg(now_s() - t0 < 30, "took %.1f s", now_s() - t0);
	ck_assert_str_eq(json_string_value(json_object_get(r->fields, "p")), "1000");
	ck_assert_uint_eq(r->links.n, 1);
	ck_assert_str_eq(r->links.v[0], "http://example.com/dir/after");
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* UTF-16 pages are read as UTF-16 (BOM or header), the long-tag guard
 * included; UTF-7 is not honoured (browsers do not either). */
START_TEST(test_utf16_and_refused_encodings)
{
	struct gather_extractor *x = extractor(false, 0, NULL, NULL);
	const char *src = "<title>caf\xc3\xa9</title><a href=u16>x</a>";
	char *b = malloc(2 * 100000 * 12 + 512);
	size_t o = 0;
	struct gather_result *r;
	double t0;

	/* UTF-16LE with a BOM, no header charset; é is U+00E9 */
	b[o++] = (char)0xFF;
	b[o++] = (char)0xFE;
	for (const char *p = src; *p; p++) {
		if ((unsigned char)*p == 0xc3) {
			b[o++] = (char)0xE9;
			b[o++] = 0;
			p++;
			continue;
		}
		b[o++] = *p;
		b[o++] = 0;
	}
	r = page("text/html", b, o);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_str_eq(r->title, "caf\xc3\xa9");
	ck_assert_uint_eq(r->links.n, 1);
	ck_assert_str_eq(r->links.v[0], "http://example.com/dir/u16");
	gather_result_free(r);

	/* UTF-16BE said by the header, with an attribute bomb */
	o = 0;
	{
		char tmp[32];
		const char *parts[] = { "<p ", NULL };
		for (const char *p = parts[0]; *p; p++) {
			b[o++] = 0;
			b[o++] = *p;
		}
		for (unsigned i = 0; i < 100000; i++) {
			int n = snprintf(tmp, sizeof(tmp), "a%u=1 ", i);
			for (int j = 0; j < n; j++) {
				b[o++] = 0;
				b[o++] = tmp[j];
			}
		}
		for (const char *p = "><a href=be>x</a>"; *p; p++) {
			b[o++] = 0;
			b[o++] = *p;
		}
	}
	r = page("text/html; charset=UTF-16BE", b, o);
	t0 = now_s();
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_msg(now_s() - t0 < 10, "took %.1f s", now_s() - t0);
	ck_assert_uint_eq(r->links.n, 1);
	ck_assert_str_eq(r->links.v[0], "http://example.com/dir/be");
	gather_result_free(r);
	free(b);

	/* UTF-7 would turn "+ADw-" into "<": not honoured, so no link */
	r = page("text/html; charset=utf-7", "<p>+ADw-a href=seven+AD4-x+ADw-/a+AD4-</p>", 42);
	ck_assert_int_eq(gather_extract(x, r), 0);
	ck_assert_uint_eq(r->links.n, 0);
	gather_result_free(r);
	gather_extractor_free(x);
}
END_TEST

/* --- many threads on one extractor (TSan) ---------------------------- */

struct thr {
	const struct gather_extractor *x;
	int bad;
};

static void *extract_many(void *p)
{
	struct thr *t = p;
	char b[512];

	for (int i = 0; i < 100; i++) {
		int n = snprintf(b, sizeof(b), "<title>t%d</title><h1>h%d</h1><a href='/p/%d#f'>x</a>"
		                 "<span>id-%d</span>", i, i, i, i);
		struct gather_result *r = page("text/html", b, (size_t)n);
		char want[64];
		snprintf(want, sizeof(want), "http://example.com/p/%d", i);
		if (gather_extract(t->x, r) != 0 || r->links.n != 1 || strcmp(r->links.v[0], want) ||
		    !json_is_string(json_object_get(r->fields, "h")) ||
		    !json_is_string(json_object_get(r->fields, "id")))
			t->bad++;
		gather_result_free(r);
	}
	return NULL;
}

START_TEST(test_threads_share_extractor)
{
	static const char *const ex[] = { "h=//h1", "n=count(//a)", NULL };
	static const char *const re[] = { "id=id-([0-9]+)", NULL };
	struct gather_extractor *x = extractor(false, 0, ex, re);
	pthread_t th[4];
	struct thr t[4];

	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ x, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, extract_many, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(t[i].bad, 0);
	}
	gather_extractor_free(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_links, 0, (int)(sizeof(link_cases) / sizeof(link_cases[0])));
	tcase_add_loop_test(tc, test_links_normalized, 0,
	                    (int)(sizeof(link_cases) / sizeof(link_cases[0])));
	tcase_add_test(tc, test_links_normalized_count);
	tcase_add_test(tc, test_title_and_sha256);
	tcase_add_loop_test(tc, test_charset, 0,
	                    (int)(sizeof(charset_cases) / sizeof(charset_cases[0])));
	tcase_add_test(tc, test_xpath_fields);
	tcase_add_test(tc, test_regex_fields);
	tcase_add_loop_test(tc, test_bad_specs, 0, (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	tcase_add_test(tc, test_nothing_printed);
	tcase_add_test(tc, test_million_deep);
	tcase_add_test(tc, test_huge_page);
	tcase_add_test(tc, test_attribute_bomb);
	tcase_add_test(tc, test_attribute_bomb_long_names);
	tcase_add_test(tc, test_utf16_and_refused_encodings);
	tcase_add_test(tc, test_threads_share_extractor);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
