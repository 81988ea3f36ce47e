/* test_sitemap.c — urlset, sitemapindex, text, gzip, limits, hostile XML. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gather/error.h"
#include "crawl/sitemap.h"
#include "ckmain.h"

/* gzip s[0..n) into a new buffer. */
static unsigned char *gz(const char *s, size_t n, size_t *ret_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
	                              Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, n) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)s;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*ret_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static const char urlset[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
	"  <url><loc>http://h.example/a</loc><lastmod>2024-01-01</lastmod></url>\n"
	"  <url>\n    <loc>\n      http://h.example/b?x=1&amp;y=2\n    </loc>\n  </url>\n"
	"  <url><loc><![CDATA[http://h.example/c]]></loc></url>\n"
	"  <url><priority>0.5</priority></url>\n"
	"</urlset>\n";

static void check_urlset(const struct gather_sitemap *s)
{
	ck_assert(!s->index);
	ck_assert(!s->truncated);
	ck_assert_uint_eq(s->n, 3);
	ck_assert_str_eq(s->urls[0], "http://h.example/a");
	ck_assert_str_eq(s->urls[1], "http://h.example/b?x=1&y=2");
	ck_assert_str_eq(s->urls[2], "http://h.example/c");
}

START_TEST(test_urlset)
{
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(urlset, strlen(urlset), 0, 0, &s), 0);
	check_urlset(&s);
	gather_sitemap_clear(&s);
	gather_sitemap_clear(&s);
	/* and gzip-compressed */
	size_t n;
	unsigned char *z = gz(urlset, strlen(urlset), &n);
	ck_assert_int_eq(gather_sitemap_parse(z, n, 0, 0, &s), 0);
	check_urlset(&s);
	gather_sitemap_clear(&s);
	/* a gzip stream cut short: what came is kept */
	ck_assert_int_eq(gather_sitemap_parse(z, n / 2 + 10, 0, 0, &s), 0);
	ck_assert(s.truncated);
	gather_sitemap_clear(&s);
	/* corrupted gzip */
	z[n / 2] ^= 0xff;
	z[n / 2 + 1] ^= 0xff;
	int rc = gather_sitemap_parse(z, n, 0, 0, &s);
	ck_assert(rc == GATHER_E_DECODE || (rc == 0 && (gather_sitemap_clear(&s), 1)));
	free(z);
	ck_assert_int_eq(gather_sitemap_parse("\x1f\x8bjunkjunkjunk", 13, 0, 0, &s),
	                 GATHER_E_DECODE);
}
END_TEST

START_TEST(test_index)
{
	const char *x =
		"<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
		"<sitemap><loc>http://h.example/s1.xml</loc></sitemap>"
		"<sitemap><loc>http://h.example/s2.xml.gz</loc><lastmod>x</lastmod></sitemap>"
		"</sitemapindex>";
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(x, strlen(x), 0, 0, &s), 0);
	ck_assert(s.index);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.urls[1], "http://h.example/s2.xml.gz");
	gather_sitemap_clear(&s);
}
END_TEST

START_TEST(test_text)
{
	const char *t = "\xef\xbb\xbfhttp://h.example/1\r\n\r\n  https://h.example/2  \n"
	                "ftp://no\nnot a url\nhttp://h.example/3";
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(t, strlen(t), 0, 0, &s), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.urls[1], "https://h.example/2");
	ck_assert_str_eq(s.urls[2], "http://h.example/3");
	gather_sitemap_clear(&s);
}
END_TEST

/* A text-sitemap line with a NUL byte is no URL: not kept cut at the NUL
 * with the spaces before it (found by the sitemap fuzzer); the other
 * lines are. */
START_TEST(test_text_nul)
{
	static const char t[] = "http://h.example/1 \0x\n"
		"http://h.example/2\t\0\n"
		"http://h.example/3 \n";
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(t, sizeof t - 1, 0, 0, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.urls[0], "http://h.example/3");
	gather_sitemap_clear(&s);
	/* nothing but such lines: not a sitemap */
	static const char only[] = "http://h.example/1 \0x\nhttps://h.example/2 \0\n";
	ck_assert_int_eq(gather_sitemap_parse(only, sizeof only - 1, 0, 0, &s), GATHER_E_BAD_RESPONSE);
}
END_TEST

START_TEST(test_not_sitemap)
{
	struct gather_sitemap s;
	memset(&s, 0x5a, sizeof s);
	const char *html = "<html><body><a href=\"http://h/\">x</a></body></html>";
	ck_assert_int_eq(gather_sitemap_parse(html, strlen(html), 0, 0, &s), GATHER_E_BAD_RESPONSE);
	ck_assert_int_eq(gather_sitemap_parse("", 0, 0, 0, &s), GATHER_E_BAD_RESPONSE);
	ck_assert_int_eq(gather_sitemap_parse("<<<>>>", 6, 0, 0, &s), GATHER_E_BAD_RESPONSE);
	ck_assert_int_eq(gather_sitemap_parse("just text", 9, 0, 0, &s), GATHER_E_BAD_RESPONSE);
	ck_assert_int_eq(gather_sitemap_parse(NULL, 0, 0, 0, &s), GATHER_E_BAD_RESPONSE);
	ck_assert_uint_eq(s.n, 0x5a5a5a5a5a5a5a5aULL);   /* untouched */
}
END_TEST

START_TEST(test_broken_xml)
{
	const char *x = "<urlset><url><loc>http://h/1</loc></url><url><loc>http://h/2</loc></url>"
	                "<url><loc>http://h/3</lo";
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(x, strlen(x), 0, 0, &s), 0);
	ck_assert(s.truncated);
	ck_assert_uint_ge(s.n, 2);
	ck_assert_str_eq(s.urls[0], "http://h/1");
	gather_sitemap_clear(&s);
}
END_TEST

START_TEST(test_limits)
{
	char *x = malloc(100000);
	size_t n = (size_t)sprintf(x, "<urlset>");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(x + n, "<url><loc>http://h/%d</loc></url>", i);
	n += (size_t)sprintf(x + n, "</urlset>");
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(x, n, 0, 10, &s), 0);
	ck_assert_uint_eq(s.n, 10);
	ck_assert(s.truncated);
	gather_sitemap_clear(&s);
	ck_assert_int_eq(gather_sitemap_parse(x, n, 0, 0, &s), 0);
	ck_assert_uint_eq(s.n, 100);
	ck_assert(!s.truncated);
	gather_sitemap_clear(&s);
	/* max_bytes cuts the document */
	ck_assert_int_eq(gather_sitemap_parse(x, n, 500, 0, &s), 0);
	ck_assert(s.truncated);
	ck_assert_uint_lt(s.n, 100);
	gather_sitemap_clear(&s);
	free(x);
	/* A gzip bomb: 64 MiB of spaces inside <urlset>, limit 1 MiB. */
	size_t big = 64u << 20;
	char *bomb = malloc(big);
	memcpy(bomb, "<urlset><url><loc>http://h/1</loc></url>", 40);
	memset(bomb + 40, ' ', big - 40);
	size_t zn;
	unsigned char *z = gz(bomb, big, &zn);
	free(bomb);
	ck_assert_uint_lt(zn, 1u << 20);
	ck_assert_int_eq(gather_sitemap_parse(z, zn, 1u << 20, 0, &s), 0);
	ck_assert(s.truncated);
	ck_assert_uint_eq(s.n, 1);
	gather_sitemap_clear(&s);
	free(z);
}
END_TEST

/* External entities are never fetched or expanded; a billion laughs does
 * not blow up. */
START_TEST(test_hostile_xml)
{
	const char *xxe =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE urlset [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n"
		"<urlset><url><loc>http://h/&e;</loc></url></urlset>";
	struct gather_sitemap s;
	ck_assert_int_eq(gather_sitemap_parse(xxe, strlen(xxe), 0, 0, &s), 0);
	for (size_t i = 0; i < s.n; i++)
		ck_assert_msg(strstr(s.urls[i], "root:") == NULL, "%s", s.urls[i]);
	gather_sitemap_clear(&s);
	const char *lol =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [\n"
		"<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		"<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
		"<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
		"<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
		"<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
		"]>\n<urlset><url><loc>http://h/&h;</loc></url>"
		"<url><loc>http://h/ok</loc></url></urlset>";
	int rc = gather_sitemap_parse(lol, strlen(lol), 0, 0, &s);
	if (rc == 0) {
		for (size_t i = 0; i < s.n; i++)
			ck_assert_uint_lt(strlen(s.urls[i]), 1u << 20);
		gather_sitemap_clear(&s);
	} else {
		ck_assert_int_eq(rc, GATHER_E_BAD_RESPONSE);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sitemap");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_urlset);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_text_nul);
	tcase_add_test(tc, test_not_sitemap);
	tcase_add_test(tc, test_broken_xml);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_hostile_xml);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
