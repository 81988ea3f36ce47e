/* test_robots.c — RFC 9309 examples, cases from Google's robots.txt parser
 * test suite (robots_test.cc, from memory of its behaviour), limits, the
 * fetch policy and the cache. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "crawl/robots.h"
#include "ckmain.h"

struct rcase {
	const char *body;
	const char *ua;
	const char *url;
	bool allowed;
};

/* RFC 9309 §5.1 */
#define RFC_51 \
	"User-Agent: *\n" \
	"Disallow: *.gif$\n" \
	"Disallow: /example/\n" \
	"Allow: /publications/\n" \
	"\n" \
	"User-Agent: foobot\n" \
	"Disallow:/\n" \
	"Allow:/example/page.html\n" \
	"Allow:/example/allowed.gif\n" \
	"\n" \
	"User-Agent: barbot\n" \
	"User-Agent: bazbot\n" \
	"Disallow: /example/page.html\n" \
	"\n" \
	"User-Agent: quxbot\n" \
	"\n" \
	"EOF\n"

/* Google robots_test.cc ID_LineSyntax_Groups */
#define G_GROUPS \
	"allow: /foo/bar/\n" \
	"\n" \
	"user-agent: FooBot\n" \
	"disallow: /\n" \
	"allow: /x/\n" \
	"user-agent: BarBot\n" \
	"disallow: /\n" \
	"allow: /y/\n" \
	"\n" \
	"\n" \
	"allow: /w/\n" \
	"user-agent: BazBot\n" \
	"\n" \
	"user-agent: FooBot\n" \
	"allow: /z/\n" \
	"disallow: /\n"

static const struct rcase cases[] = {
	/* RFC 9309 §5.1 */
	{ RFC_51, "foobot", "/example/page.html", true },
	{ RFC_51, "foobot", "/example/allowed.gif", true },
	{ RFC_51, "foobot", "/other", false },
	{ RFC_51, "FooBot/2.1 (+http://foo)", "/other", false },
	{ RFC_51, "barbot", "/example/page.html", false },
	{ RFC_51, "bazbot", "/example/page.html", false },
	{ RFC_51, "barbot", "/example/other.gif", true },   /* '*' group not used */
	{ RFC_51, "quxbot", "/example/", true },           /* empty group: all */
	{ RFC_51, "otherbot", "/a/b.gif", false },
	{ RFC_51, "otherbot", "/a/b.gif?x", true },         /* '$' anchors */
	{ RFC_51, "otherbot", "/example/x", false },
	{ RFC_51, "otherbot", "/publications/x", true },
	{ RFC_51, "otherbot", "/", true },
	/* RFC 9309 §5.2: longest match */
	{ "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
	  "foobot", "/example/page/disallowed.gif", false },
	{ "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
	  "foobot", "/example/page/x", true },
	/* RFC 9309 §2.2.2 percent-encoding table */
	{ "user-agent: *\ndisallow: /\nallow: /foo/bar?baz=quz\n", "x", "/foo/bar?baz=quz", true },
	{ "user-agent: *\ndisallow: /\nallow: /foo/bar/\xe3\x83\x84\n", "x", "/foo/bar/%E3%83%84", true },
	{ "user-agent: *\ndisallow: /\nallow: /foo/bar/%E3%83%84\n", "x", "/foo/bar/%e3%83%84", true },
	{ "user-agent: *\ndisallow: /\nallow: /foo/bar/%62%61%7A\n", "x", "/foo/bar/baz", true },
	{ "user-agent: *\ndisallow: /\nallow: /foo/bar/baz\n", "x", "/foo/bar/%62%61%7a", true },
	{ "user-agent: *\ndisallow: /a%2Fb\n", "x", "/a/b", true },   /* reserved stays */
	{ "user-agent: *\ndisallow: /a%2fb\n", "x", "/a%2Fb", false },
	/* RFC 9309 §2.2.3 special characters */
	{ "user-agent: *\ndisallow: /path*\n", "x", "/path/x", false },
	{ "user-agent: *\ndisallow: /path$\n", "x", "/path", false },
	{ "user-agent: *\ndisallow: /path$\n", "x", "/path/", true },
	{ "user-agent: *\ndisallow: /path$\n", "x", "/path?q", true },
	{ "user-agent: *\ndisallow: /*/x/*.php$\n", "x", "/a/x/b.php", false },
	{ "user-agent: *\ndisallow: /*/x/*.php$\n", "x", "/a/x/b.php5", true },
	{ "user-agent: *\ndisallow: /a$b\n", "x", "/a$b", false },     /* '$' inside: literal */
	{ "user-agent: *\ndisallow: /\n", "x", "/robots.txt", true },  /* implicit */
	/* Google: ID_LineSyntax_Line */
	{ "user-agent: FooBot\ndisallow: /\n", "FooBot", "/x/y", false },
	{ "foo: FooBot\nbar: /\n", "FooBot", "/x/y", true },
	{ "user-agent FooBot\ndisallow /\n", "FooBot", "/x/y", false },
	/* Google: ID_LineSyntax_Groups */
	{ G_GROUPS, "FooBot", "/x/b", true },
	{ G_GROUPS, "FooBot", "/z/d", true },
	{ G_GROUPS, "FooBot", "/y/c", false },
	{ G_GROUPS, "BarBot", "/y/c", true },
	{ G_GROUPS, "BarBot", "/w/a", true },
	{ G_GROUPS, "BarBot", "/z/d", false },
	{ G_GROUPS, "BazBot", "/z/d", true },
	{ G_GROUPS, "QuxBot", "/foo/bar/", true },
	/* Google: ID_LineSyntax_Groups_OtherRules */
	{ "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n",
	  "FooBot", "/", false },
	{ "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n",
	  "BarBot", "/", false },
	{ "User-agent: FooBot\nInvalid-Unknown-Line: unknown\nUser-agent: *\nDisallow: /\n",
	  "FooBot", "/", false },
	/* Google: ID_REPLineNamesCaseInsensitive, ID_UserAgentValueCaseInsensitive */
	{ "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n", "FooBot", "/x/y", true },
	{ "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n", "FooBot", "/a/b", false },
	{ "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "Foo", "/x/y", true },
	{ "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "foo", "/a/b", false },
	{ "User-Agent: foo/1.2\nDisallow: /\n", "Foo", "/a/b", false },
	{ "User-Agent: foobar\nDisallow: /\n", "foo", "/a/b", true },  /* whole token */
	/* Google: ID_GlobalGroups_Secondary */
	{ "", "FooBot", "/x/y", true },
	{ "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "FooBot", "/x/y", false },
	{ "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "BarBot", "/x/y", true },
	{ "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\n"
	  "disallow: /\n", "QuxBot", "/x/y", true },
	/* Google: ID_AllowDisallow_Value_CaseSensitive */
	{ "user-agent: FooBot\ndisallow: /x/\n", "FooBot", "/x/y", false },
	{ "user-agent: FooBot\ndisallow: /X/\n", "FooBot", "/x/y", true },
	/* Google: ID_LongestMatch */
	{ "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n", "FooBot",
	  "/x/page.html", true },
	{ "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/page.html\n", "FooBot",
	  "/x/page.html", true },
	{ "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n", "FooBot", "/x/", true },
	{ "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n", "FooBot", "/x/page.html", false },
	{ "user-agent: FooBot\nallow: \ndisallow: \n", "FooBot", "/x/page.html", true },
	{ "user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x", false },
	{ "user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x/", true },
	{ "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n", "FooBot",
	  "/x/page.html", true },
	{ "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "/page.html", false },
	{ "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "/page", true },
	{ "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "/x/page.html", true },
	{ "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "/x/y.html", false },
	{ "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot",
	  "/x/page", true },
	{ "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot",
	  "/y/page", false },
	{ "user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "/", true },
	{ "user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "/page.html", false },
	/* Google: ID_SpecialCharacters */
	{ "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot",
	  "/foo/bar/quz", false },
	{ "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot",
	  "/foo/quz", true },
	{ "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot",
	  "/foo//quz", true },
	{ "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot",
	  "/foo/bax/quz", true },
	{ "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar", false },
	{ "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar/qux", true },
	{ "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar/", true },
	{ "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar/baz", true },
	{ "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n", "FooBot", "/foo/bar", true },
	{ "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n", "FooBot", "/foo/quz", false },
	/* line endings, BOM, typos, whitespace */
	{ "user-agent: FooBot\r\ndisallow: /a\r\n", "FooBot", "/a", false },
	{ "user-agent: FooBot\rdisallow: /a\r", "FooBot", "/a", false },
	{ "\xef\xbb\xbfuser-agent: FooBot\ndisallow: /a\n", "FooBot", "/a", false },
	{ "useragent: FooBot\ndissallow: /a\n", "FooBot", "/a", false },
	{ "  User-Agent :  FooBot  \n  Disallow :  /a  \n", "FooBot", "/a", false },
	/* absolute URLs are matched on their target */
	{ "user-agent: *\ndisallow: /private\n", "x", "http://h.example/private/a", false },
	{ "user-agent: *\ndisallow: /private\n", "x", "http://h.example/public?private", true },
	{ "user-agent: *\ndisallow: /$\n", "x", "http://h.example", false },
	/* garbage never crashes, allows by default */
	{ "\x01\x02:::\n:\n\n::a\nuser-agent\n:disallow\n", "x", "/a", true },
};

START_TEST(test_cases)
{
	const struct rcase *c = &cases[_i];
	struct gather_robots *r = gather_robots_parse(c->body, strlen(c->body), c->ua);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(gather_robots_allowed(r, c->url) == c->allowed,
	              "case %d: ua %s url %s: want %s", _i, c->ua, c->url,
	              c->allowed ? "allowed" : "disallowed");
	gather_robots_free(r);
}
END_TEST

START_TEST(test_delay_and_sitemaps)
{
	const char *body =
		"Sitemap: http://h.example/s1.xml\n"
		"User-agent: *\nCrawl-delay: 2.5\nDisallow: /x\n"
		"User-agent: slowbot\nCrawl-delay: 3600\n"
		"User-agent: badbot\nCrawl-delay: soon\n"
		"sitemap: http://h.example/s2.xml.gz # comment\n";
	struct gather_robots *r = gather_robots_parse(body, strlen(body), "gather/1.0");
	ck_assert_uint_eq(gather_robots_crawl_delay_ms(r, 10000), 2500);
	const char *const *sm;
	ck_assert_uint_eq(gather_robots_sitemaps(r, &sm), 2);
	ck_assert_str_eq(sm[0], "http://h.example/s1.xml");
	ck_assert_str_eq(sm[1], "http://h.example/s2.xml.gz");
	gather_robots_free(r);
	r = gather_robots_parse(body, strlen(body), "slowbot");
	ck_assert_uint_eq(gather_robots_crawl_delay_ms(r, 10000), 10000);   /* capped */
	ck_assert(gather_robots_allowed(r, "/x"));
	gather_robots_free(r);
	r = gather_robots_parse(body, strlen(body), "badbot");
	ck_assert_uint_eq(gather_robots_crawl_delay_ms(r, 10000), 0);
	gather_robots_free(r);
}
END_TEST

/* Only the first 500 KiB count: a rule past it is ignored. */
START_TEST(test_size_limit)
{
	size_t pad = GATHER_ROBOTS_MAX_BYTES;
	char *body = malloc(pad + 200);
	size_t n = (size_t)sprintf(body, "user-agent: *\ndisallow: /early\n");
	memset(body + n, '#', pad - n - 1);
	body[pad - 1] = '\n';
	n = pad + (size_t)sprintf(body + pad, "disallow: /late\n");
	struct gather_robots *r = gather_robots_parse(body, n, "x");
	ck_assert(!gather_robots_allowed(r, "/early"));
	ck_assert(gather_robots_allowed(r, "/late"));
	gather_robots_free(r);
	/* Just inside the limit, it counts. */
	memmove(body + pad - 40, "\ndisallow: /late\n", 17);
	r = gather_robots_parse(body, n, "x");
	ck_assert(!gather_robots_allowed(r, "/late"));
	gather_robots_free(r);
	free(body);
}
END_TEST

/* A hostile file of many '*' patterns against a long path stays fast
 * (greedy matching is linear per pattern). */
START_TEST(test_hostile_patterns)
{
	size_t cap = GATHER_ROBOTS_MAX_BYTES;
	char *body = malloc(cap + 1);
	size_t n = (size_t)sprintf(body, "user-agent: *\n");
	while (n + 64 < cap)
		n += (size_t)sprintf(body + n, "disallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n");
	struct gather_robots *r = gather_robots_parse(body, n, "x");
	char path[2049];
	path[0] = '/';
	memset(path + 1, 'a', 2047);
	path[2048] = '\0';
	for (int i = 0; i < 5; i++)
		ck_assert(gather_robots_allowed(r, path));
	path[2047] = 'b';
	ck_assert(!gather_robots_allowed(r, path));
	gather_robots_free(r);
	free(body);
}
END_TEST

START_TEST(test_policy)
{
	uint64_t ttl;
	const char *body = "user-agent: *\ndisallow: /no\n";
	struct gather_robots *r = gather_robots_for_response(0, 200, body, strlen(body), "x", &ttl);
	ck_assert(!gather_robots_allowed(r, "/no"));
	ck_assert(gather_robots_allowed(r, "/yes"));
	ck_assert_uint_eq(ttl, GATHER_ROBOTS_TTL_MS);
	gather_robots_free(r);
	static const struct { int err, status; bool allowed; uint64_t ttl; } p[] = {
		{ 0, 404, true, GATHER_ROBOTS_TTL_MS },
		{ 0, 401, true, GATHER_ROBOTS_TTL_MS },
		{ 0, 403, true, GATHER_ROBOTS_TTL_MS },
		{ 0, 410, true, GATHER_ROBOTS_TTL_MS },
		{ GATHER_E_TOO_MANY_REDIRECTS, 301, true, GATHER_ROBOTS_TTL_MS },
		{ 0, 429, false, GATHER_ROBOTS_RETRY_MS },
		{ 0, 500, false, GATHER_ROBOTS_RETRY_MS },
		{ 0, 503, false, GATHER_ROBOTS_RETRY_MS },
		{ GATHER_E_CONNECT, 0, false, GATHER_ROBOTS_RETRY_MS },
		{ GATHER_E_TIMEOUT, 0, false, GATHER_ROBOTS_RETRY_MS },
		{ GATHER_E_DNS, 0, false, GATHER_ROBOTS_RETRY_MS },
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		r = gather_robots_for_response(p[i].err, p[i].status, body, strlen(body), "x", &ttl);
		ck_assert_msg(gather_robots_allowed(r, "/no") == p[i].allowed, "case %zu", i);
		ck_assert_msg(gather_robots_allowed(r, "/other") == p[i].allowed, "case %zu", i);
		ck_assert(gather_robots_allowed(r, "/robots.txt"));
		ck_assert_uint_eq(ttl, p[i].ttl);
		gather_robots_free(r);
	}
}
END_TEST

START_TEST(test_cache)
{
	size_t n;
	const char *o = gather_robots_origin("https://h.example:8443/a?b", &n);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(n, strlen("https://h.example:8443"));
	ck_assert_ptr_null(gather_robots_origin("/path", &n));
	ck_assert_ptr_null(gather_robots_origin("http:///x", &n));

	struct gather_robots_cache *c = gather_robots_cache_new();
	ck_assert_ptr_null(gather_robots_cache_get(c, "http://a.example/x", 0));
	ck_assert_int_eq(gather_robots_cache_put(c, "http://a.example/x",
	                                         gather_robots_disallow_all(), 1000, 500), 0);
	const struct gather_robots *r = gather_robots_cache_get(c, "http://a.example/y", 1200);
	ck_assert_ptr_nonnull(r);
	ck_assert(!gather_robots_allowed(r, "/y"));
	/* another origin: scheme and port count */
	ck_assert_ptr_null(gather_robots_cache_get(c, "https://a.example/y", 1200));
	ck_assert_ptr_null(gather_robots_cache_get(c, "http://a.example:81/y", 1200));
	/* expired */
	ck_assert_ptr_null(gather_robots_cache_get(c, "http://a.example/y", 1500));
	/* replaced */
	ck_assert_int_eq(gather_robots_cache_put(c, "http://a.example/",
	                                         gather_robots_allow_all(), 1500, 500), 0);
	r = gather_robots_cache_get(c, "http://a.example/y", 1600);
	ck_assert(gather_robots_allowed(r, "/y"));
	ck_assert_int_eq(gather_robots_cache_put(c, "nourl", gather_robots_allow_all(), 0, 1),
	                 GATHER_E_BAD_URL);
	gather_robots_cache_free(c);
	gather_robots_cache_free(NULL);
}
END_TEST

/* Random files from robots-ish pieces against random paths: no crash. */
START_TEST(test_random)
{
	static const char *const piece[] = {
		"user-agent:", "User-Agent: ", "*", "foobot", "allow:", "disallow:", "Disallow: ",
		"/", "/a", "*", "$", "%", "%2F", "%61", "#", "\n", "\r", "\r\n", " ", ":",
		"crawl-delay:", "1.5", "-3", "sitemap:", "http://x/", "\xef\xbb\xbf", "\xff",
	};
	srand(9);
	for (int i = 0; i < 5000; i++) {
		char body[512] = "", path[64] = "/";
		int n = 1 + rand() % 30;
		for (int k = 0; k < n; k++)
			strncat(body, piece[rand() % (int)(sizeof piece / sizeof piece[0])],
			        sizeof body - strlen(body) - 1);
		n = rand() % 6;
		for (int k = 0; k < n; k++)
			strncat(path, piece[5 + rand() % 10], sizeof path - strlen(path) - 1);
		struct gather_robots *r = gather_robots_parse(body, strlen(body), "foobot/1");
		ck_assert_ptr_nonnull(r);
		(void)gather_robots_allowed(r, path);
		(void)gather_robots_crawl_delay_ms(r, 1000);
		ck_assert(gather_robots_allowed(r, "/robots.txt"));
		gather_robots_free(r);
	}
}
END_TEST

/* A Sitemap: value holding a NUL byte is no URL: neither an empty string
 * (NULs right after the colon, found by the robots fuzzer) nor the part
 * before the NUL is kept; the lines around it still count. */
START_TEST(test_sitemap_nul)
{
	static const char body[] = "Sitemap:\0\0\n"
		"Sitemap: http://h.example/a.xml\0junk\n"
		"Sitemap: \0 \n"
		"Sitemap: http://h.example/ok.xml\n"
		"User-agent: *\nDisallow: /x\n";
	struct gather_robots *r = gather_robots_parse(body, sizeof body - 1, "gather/1.0");
	const char *const *sm;
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(gather_robots_sitemaps(r, &sm), 1);
	ck_assert_str_eq(sm[0], "http://h.example/ok.xml");
	ck_assert(!gather_robots_allowed(r, "/x"));
	gather_robots_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("robots");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cases, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_delay_and_sitemaps);
	tcase_add_test(tc, test_sitemap_nul);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_hostile_patterns);
	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
