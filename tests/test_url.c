/* test_url.c — gather_url_parse / resolve / normalize, table-driven:
 * RFC 3986 §5.4 (normal and abnormal), §6 equivalences, browser-style href
 * cleanup, IDN and hostile inputs. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "url.h"

/* ---- resolve ---------------------------------------------------------- */

struct resolve_case {
	const char *base, *ref, *want; /* want NULL: GATHER_E_BAD_URL */
};

#define RFC_BASE "http://a/b/c/d;p?q"

static const struct resolve_case resolve_cases[] = {
	/* RFC 3986 §5.4.1 normal examples (fragments dropped). */
	{ RFC_BASE, "g:h", "g:h" },
	{ RFC_BASE, "g", "http://a/b/c/g" },
	{ RFC_BASE, "./g", "http://a/b/c/g" },
	{ RFC_BASE, "g/", "http://a/b/c/g/" },
	{ RFC_BASE, "/g", "http://a/g" },
	{ RFC_BASE, "//g", "http://g" },
	{ RFC_BASE, "?y", "http://a/b/c/d;p?y" },
	{ RFC_BASE, "g?y", "http://a/b/c/g?y" },
	{ RFC_BASE, "#s", "http://a/b/c/d;p?q" },
	{ RFC_BASE, "g#s", "http://a/b/c/g" },
	{ RFC_BASE, "g?y#s", "http://a/b/c/g?y" },
	{ RFC_BASE, ";x", "http://a/b/c/;x" },
	{ RFC_BASE, "g;x", "http://a/b/c/g;x" },
	{ RFC_BASE, "g;x?y#s", "http://a/b/c/g;x?y" },
	{ RFC_BASE, "", "http://a/b/c/d;p?q" },
	{ RFC_BASE, ".", "http://a/b/c/" },
	{ RFC_BASE, "./", "http://a/b/c/" },
	{ RFC_BASE, "..", "http://a/b/" },
	{ RFC_BASE, "../", "http://a/b/" },
	{ RFC_BASE, "../g", "http://a/b/g" },
	{ RFC_BASE, "../..", "http://a/" },
	{ RFC_BASE, "../../", "http://a/" },
	{ RFC_BASE, "../../g", "http://a/g" },
	/* RFC 3986 §5.4.2 abnormal examples. */
	{ RFC_BASE, "../../../g", "http://a/g" },
	{ RFC_BASE, "../../../../g", "http://a/g" },
	{ RFC_BASE, "/./g", "http://a/g" },
	{ RFC_BASE, "/../g", "http://a/g" },
	{ RFC_BASE, "g.", "http://a/b/c/g." },
	{ RFC_BASE, ".g", "http://a/b/c/.g" },
	{ RFC_BASE, "g..", "http://a/b/c/g.." },
	{ RFC_BASE, "..g", "http://a/b/c/..g" },
	{ RFC_BASE, "./../g", "http://a/b/g" },
	{ RFC_BASE, "./g/.", "http://a/b/c/g/" },
	{ RFC_BASE, "g/./h", "http://a/b/c/g/h" },
	{ RFC_BASE, "g/../h", "http://a/b/c/h" },
	{ RFC_BASE, "g;x=1/./y", "http://a/b/c/g;x=1/y" },
	{ RFC_BASE, "g;x=1/../y", "http://a/b/c/y" },
	{ RFC_BASE, "g?y/./x", "http://a/b/c/g?y/./x" },
	{ RFC_BASE, "g?y/../x", "http://a/b/c/g?y/../x" },
	{ RFC_BASE, "g#s/./x", "http://a/b/c/g" },
	{ RFC_BASE, "g#s/../x", "http://a/b/c/g" },
	/* "http:g": the RFC's backward-compatible reading, as browsers do. */
	{ RFC_BASE, "http:g", "http://a/b/c/g" },
	/* hrefs as found in pages */
	{ "http://h/dir/page", "  other \n", "http://h/dir/other" },
	{ "http://h/dir/page", "\t/a\tb/c\r\n", "http://h/ab/c" },
	{ "http://h/dir/page", "a b", "http://h/dir/a%20b" },
	{ "http://h/dir/page", "caf\xc3\xa9", "http://h/dir/caf%C3%A9" },
	{ "http://h/dir/page", "?q=a b&x=\xc3\xa9", "http://h/dir/page?q=a%20b&x=%C3%A9" },
	{ "http://h/dir/page", "x?a[]=1", "http://h/dir/x?a%5B%5D=1" },
	{ "http://h/dir/page", "100%", "http://h/dir/100%25" },
	{ "http://h/dir/page", "%zz", "http://h/dir/%25zz" },
	{ "http://h/dir/page", "a%2fb", "http://h/dir/a%2fb" },
	{ "http://h/dir/page", "x#frag#more", "http://h/dir/x" },
	{ "http://h/dir/page", "https://other.example/p", "https://other.example/p" },
	{ "http://h/dir/page", "//other.example", "http://other.example" },
	{ "http://h/dir/page", "HTTP://Other.Example/A", "http://other.example/A" },
	{ "http://h/dir/page", "//b\xc3\xbc" "cher.example/x", "http://xn--bcher-kva.example/x" },
	{ "https://h:8443/a/b", "c", "https://h:8443/a/c" },
	{ "http://[::1]:8080/a/b", "../c", "http://[::1]:8080/c" },
	/* other schemes come out as they are (callers check for http) */
	{ "http://h/a/", "javascript:alert(1)", "javascript:alert(1)" },
	{ "http://h/a/", "  JavaScript:void(0)", "javascript:void(0)" },
	{ "http://h/a/", "mailto:a@b.example", "mailto:a@b.example" },
	{ "http://h/a/", "tel:+123", "tel:+123" },
	{ "http://h/a/", "ftp://h/x#y", "ftp://h/x" },
	{ "http://h/a/", "http://h:99999/", "http://h:99999/" },
	{ "mailto:a@b", "x", "mailto:x" },
	/* broken */
	{ "http://h/a/", "http://h:x/", NULL },
	{ "http://h/a/", "http://[::1/", NULL },
	{ "http://h/a/", "http://exa mple/", NULL },
	{ "/relative", "x", NULL },      /* base not absolute */
	{ "", "x", NULL },
};

START_TEST(test_resolve_table)
{
	const struct resolve_case *c = &resolve_cases[_i];
	char *out = (char *)0x1;
	int rc = gather_url_resolve(c->base, c->ref, &out);
	if (c->want) {
		ck_assert_msg(rc == 0, "resolve(%s, %s) = %d", c->base, c->ref, rc);
		ck_assert_msg(strcmp(out, c->want) == 0, "resolve(%s, %s) = %s, want %s",
		              c->base, c->ref, out, c->want);
		free(out);
	} else {
		ck_assert_msg(rc == GATHER_E_BAD_URL, "resolve(%s, %s) = %d (%s)", c->base,
		              c->ref, rc, rc == 0 ? out : "");
		ck_assert_ptr_eq(out, (char *)0x1);  /* untouched on failure */
	}
	/* the same through a base parsed once */
	struct gather_url_base *b = NULL;
	int brc = gather_url_base_new(c->base, &b);
	out = (char *)0x1;
	rc = brc ? brc : gather_url_resolve_base(b, c->ref, &out);
	if (c->want) {
		ck_assert_msg(rc == 0 && strcmp(out, c->want) == 0, "resolve_base(%s, %s) = %d %s",
		              c->base, c->ref, rc, rc == 0 ? out : "");
		free(out);
	} else {
		ck_assert_int_eq(rc, GATHER_E_BAD_URL);
		ck_assert_ptr_eq(out, (char *)0x1);
	}
	gather_url_base_free(b);
}
END_TEST

/* ---- normalize -------------------------------------------------------- */

struct norm_case {
	const char *in, *want; /* want NULL: GATHER_E_BAD_URL */
};

static const struct norm_case norm_cases[] = {
	{ "http://example.com/a", "http://example.com/a" },
	{ "HTTP://Example.COM/b", "http://example.com/b" },
	{ "http://example.com", "http://example.com/" },
	{ "http://example.com?x", "http://example.com/?x" },
	{ "http://example.com:80/a", "http://example.com/a" },
	{ "http://example.com:/a", "http://example.com/a" },
	{ "http://example.com:0080/a", "http://example.com/a" },
	{ "https://example.com:443/a", "https://example.com/a" },
	{ "https://example.com:80/a", "https://example.com:80/a" },
	{ "http://example.com:443/a", "http://example.com:443/a" },
	{ "http://example.com:8080/a", "http://example.com:8080/a" },
	{ "http://example.com/a/./b", "http://example.com/a/b" },
	{ "http://example.com/a/x/../b", "http://example.com/a/b" },
	{ "http://example.com/a/../../../b", "http://example.com/b" },
	{ "http://example.com/a/.", "http://example.com/a/" },
	{ "http://example.com/a/%2E%2E/b", "http://example.com/b" },
	{ "http://example.com/%41%42%43", "http://example.com/ABC" },
	{ "http://example.com/%7e%7Euser", "http://example.com/~~user" },
	{ "http://example.com/a%2fb", "http://example.com/a%2Fb" },
	{ "http://example.com/a%2Fb", "http://example.com/a%2Fb" },
	{ "http://example.com/%3f?%3d=%26", "http://example.com/%3F?%3D=%26" },
	{ "http://example.com/%c3%a9", "http://example.com/%C3%A9" },
	{ "http://example.com/a?q=%41&r=%2d", "http://example.com/a?q=A&r=-" },
	{ "http://example.com/a?b/./c", "http://example.com/a?b/./c" },
	{ "http://example.com/a#frag", "http://example.com/a" },
	{ "http://example.com/a#", "http://example.com/a" },
	{ "http://example.com/a?", "http://example.com/a?" },
	{ "http://example.com/a b", "http://example.com/a%20b" },
	{ "http://example.com/\xc3\xa9t\xc3\xa9", "http://example.com/%C3%A9t%C3%A9" },
	{ "http://b\xc3\xbc" "cher.example/", "http://xn--bcher-kva.example/" },
	{ "http://B\xc3\x9c" "CHER.example/", "http://xn--bcher-kva.example/" },
	{ "http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/" },
	{ "http://b%C3%BCcher.example/", "http://xn--bcher-kva.example/" },
	{ "http://user:pw@Example.com/", "http://user:pw@example.com/" },
	{ "http://[::1]:8080/x", "http://[::1]:8080/x" },
	{ "http://[::1]:80/x", "http://[::1]/x" },
	{ "http://[2001:DB8::1]/", "http://[2001:db8::1]/" },
	{ "http://127.0.0.1:8080", "http://127.0.0.1:8080/" },
	{ "http://my_host.example/", "http://my_host.example/" },
	/* not http(s) URLs or broken */
	{ "javascript:alert(1)", NULL },
	{ "mailto:a@example.com", NULL },
	{ "ftp://example.com/", NULL },
	{ "file:///etc/passwd", NULL },
	{ "/relative/path", NULL },
	{ "example.com/path", NULL },
	{ "", NULL },
	{ "http://", NULL },
	{ "http:///path", NULL },
	{ "http://:80/", NULL },
	{ "http://user@/", NULL },
	{ "http://example.com:0/", NULL },
	{ "http://example.com:65536/", NULL },
	{ "http://example.com:99999999999999999999/", NULL },
	{ "http://example.com:-1/", NULL },
	{ "http://example.com:8o/", NULL },
	{ "http://exa mple.com/", NULL },
	{ "http://exa<mple.com/", NULL },
	{ "http://[::1/", NULL },
	{ "http://[zz::1]/", NULL },
	{ "http://[v1.x]/", NULL },
	{ "http://%00/", NULL },
	{ "http://a..b\xff/", NULL },
	{ "ht tp://example.com/", NULL },
	{ "://example.com/", NULL },
};

START_TEST(test_normalize_table)
{
	const struct norm_case *c = &norm_cases[_i];
	char *out = (char *)0x1;
	int rc = gather_url_normalize(c->in, &out);
	if (c->want) {
		ck_assert_msg(rc == 0, "normalize(%s) = %d", c->in, rc);
		ck_assert_msg(strcmp(out, c->want) == 0, "normalize(%s) = %s, want %s",
		              c->in, out, c->want);
		/* idempotent */
		char *again = NULL;
		ck_assert_int_eq(gather_url_normalize(out, &again), 0);
		ck_assert_str_eq(again, out);
		free(again);
		free(out);
	} else {
		ck_assert_msg(rc == GATHER_E_BAD_URL, "normalize(%s) = %d (%s)", c->in, rc,
		              rc == 0 ? out : "");
		ck_assert_ptr_eq(out, (char *)0x1);
	}
}
END_TEST

/* The duplicates our peers fetch: every spelling normalizes to one URL. */
START_TEST(test_normalize_equivalent)
{
	static const char *const spellings[] = {
		"http://host.example/a/b",
		"HTTP://HOST.EXAMPLE/a/b",
		"http://host.example:80/a/b",
		"http://host.example/a/./b",
		"http://host.example/a/x/../b",
		"http://host.example/./a/b#top",
		"http://host.example/%61/%62",
		"http://Host.Example:/a/x/y/../../b",
	};
	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		char *out = NULL;
		ck_assert_int_eq(gather_url_normalize(spellings[i], &out), 0);
		ck_assert_msg(strcmp(out, "http://host.example/a/b") == 0, "%s -> %s",
		              spellings[i], out);
		free(out);
	}
}
END_TEST

/* ---- parse ------------------------------------------------------------ */

struct parse_case {
	const char *in;
	const char *scheme, *host; /* scheme NULL: GATHER_E_BAD_URL */
	unsigned port;
	int https, ipv6;
	const char *target;
};

static const struct parse_case parse_cases[] = {
	{ "http://example.com", "http", "example.com", 80, 0, 0, "/" },
	{ "http://example.com/", "http", "example.com", 80, 0, 0, "/" },
	{ "https://Example.COM/a?b=c#d", "https", "example.com", 443, 1, 0, "/a?b=c" },
	{ "HTTPS://example.com:8443/x", "https", "example.com", 8443, 1, 0, "/x" },
	{ "http://example.com:/", "http", "example.com", 80, 0, 0, "/" },
	{ "http://example.com:65535/", "http", "example.com", 65535, 0, 0, "/" },
	{ "http://example.com:1/", "http", "example.com", 1, 0, 0, "/" },
	{ "http://[::1]:8080/p", "http", "::1", 8080, 0, 1, "/p" },
	{ "https://[::1]/", "https", "::1", 443, 1, 1, "/" },
	{ "http://127.0.0.1:8080/a/../b", "http", "127.0.0.1", 8080, 0, 0, "/b" },
	{ "http://b\xc3\xbc" "cher.example/", "http", "xn--bcher-kva.example", 80, 0, 0, "/" },
	{ "http://user:pw@host.example/x", "http", "host.example", 80, 0, 0, "/x" },
	{ "http://h/a b\x01\x7f\xc3\xa9", "http", "h", 80, 0, 0, "/a%20b%01%7F%C3%A9" },
	{ "http://h/?q=\"<>\"", "http", "h", 80, 0, 0, "/?q=%22%3C%3E%22" },
	{ "http://h/a\r\nHost: evil", NULL, NULL, 0, 0, 0, NULL },
	{ "http://h/a\n", NULL, NULL, 0, 0, 0, NULL },
	{ "http://h/a\r", NULL, NULL, 0, 0, 0, NULL },
	{ "javascript:alert(1)", NULL, NULL, 0, 0, 0, NULL },
	{ "mailto:x@example.com", NULL, NULL, 0, 0, 0, NULL },
	{ "http://user@/", NULL, NULL, 0, 0, 0, NULL },
	{ "http:///x", NULL, NULL, 0, 0, 0, NULL },
	{ "http://h:0/", NULL, NULL, 0, 0, 0, NULL },
	{ "http://h:65536/", NULL, NULL, 0, 0, 0, NULL },
	{ "http://h:1a/", NULL, NULL, 0, 0, 0, NULL },
	{ "//h/x", NULL, NULL, 0, 0, 0, NULL },
	{ "h/x", NULL, NULL, 0, 0, 0, NULL },
	{ "", NULL, NULL, 0, 0, 0, NULL },
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	struct gather_url u;
	memset(&u, 0xa5, sizeof u);
	int rc = gather_url_parse(c->in, &u);
	if (!c->scheme) {
		ck_assert_msg(rc == GATHER_E_BAD_URL, "parse(%s) = %d", c->in, rc);
		unsigned char *p = (unsigned char *)&u;
		for (size_t i = 0; i < sizeof u; i++)
			ck_assert_int_eq(p[i], 0xa5);   /* ret untouched */
		return;
	}
	ck_assert_msg(rc == 0, "parse(%s) = %d", c->in, rc);
	ck_assert_str_eq(u.scheme, c->scheme);
	ck_assert_str_eq(u.host, c->host);
	ck_assert_uint_eq(u.port, c->port);
	ck_assert_int_eq(u.https, c->https);
	ck_assert_int_eq(u.ipv6, c->ipv6);
	ck_assert_str_eq(u.target, c->target);
	for (const char *t = u.target; *t; t++)
		ck_assert_msg((unsigned char)*t > 0x20 && (unsigned char)*t < 0x7f,
		              "raw byte 0x%02x in target", (unsigned char)*t);
	gather_url_clear(&u);
	ck_assert_ptr_null(u.host);
	gather_url_clear(&u);   /* zeroed struct is fine */
}
END_TEST

/* ---- hostile inputs --------------------------------------------------- */

START_TEST(test_hostile)
{
	/* Over-long: a long path is fine, beyond 1 MiB is refused. */
	size_t n = 100000;
	char *s = malloc(n + 32);
	strcpy(s, "http://h.example/");
	memset(s + strlen(s), 'a', n);
	s[n + 17] = '\0';
	char *out = NULL;
	ck_assert_int_eq(gather_url_normalize(s, &out), 0);
	ck_assert_uint_eq(strlen(out), n + 17);
	free(out);
	free(s);
	n = 2u << 20;
	s = malloc(n + 32);
	strcpy(s, "http://h.example/");
	memset(s + strlen(s), '/', n);
	s[n + 17] = '\0';
	out = NULL;
	ck_assert_int_eq(gather_url_normalize(s, &out), GATHER_E_BAD_URL);
	ck_assert_int_eq(gather_url_resolve("http://h/", s, &out), GATHER_E_BAD_URL);
	free(s);
	/* An over-long host label is not an IDN we can encode. */
	char host[300] = "http://";
	memset(host + 7, 'x', 80);
	strcpy(host + 87, "\xc3\xbc.example/");
	ck_assert_int_eq(gather_url_normalize(host, &out), GATHER_E_BAD_URL);
	/* Every byte value in a path: never a crash, output all printable. */
	for (int c = 1; c < 256; c++) {
		char in[64];
		snprintf(in, sizeof in, "http://h/%c%%%c/?%c", c, c, c);
		out = NULL;
		int rc = gather_url_normalize(in, &out);
		if (rc == 0) {
			for (const char *t = out; *t; t++)
				ck_assert((unsigned char)*t > 0x20 && (unsigned char)*t < 0x7f);
			free(out);
		} else {
			ck_assert_int_eq(rc, GATHER_E_BAD_URL);
		}
		char *r = NULL;
		rc = gather_url_resolve("http://h/d/", in + 9, &r);
		if (rc == 0)
			free(r);
		else
			ck_assert_int_eq(rc, GATHER_E_BAD_URL);
	}
	/* NULLs */
	ck_assert_int_eq(gather_url_normalize(NULL, &out), GATHER_E_BAD_URL);
	ck_assert_int_eq(gather_url_resolve(NULL, "x", &out), GATHER_E_BAD_URL);
	ck_assert_int_eq(gather_url_resolve("http://h/", NULL, &out), GATHER_E_BAD_URL);
	struct gather_url u;
	ck_assert_int_eq(gather_url_parse(NULL, &u), GATHER_E_BAD_URL);
}
END_TEST

/* Random strings built from URL-ish pieces: never a crash, and every
 * success is an idempotent normalization / a parseable result. */
START_TEST(test_random)
{
	static const char *const piece[] = {
		"http://", "https://", "HTTP://", "//", "/", "..", ".", "%", "%2", "%2e", "%41",
		"?", "#", "@", ":", "[", "]", "::1", "h", "b\xc3\xbc", "\xff", " ", "\t", "\n",
		"a", "80", "65536", "xn--", "-", "_", "~", "javascript:", "&", "=", "\x01",
	};
	srand(7);
	for (int i = 0; i < 20000; i++) {
		char s[256] = "";
		int n = 1 + rand() % 12;
		for (int k = 0; k < n; k++)
			strncat(s, piece[rand() % (int)(sizeof piece / sizeof piece[0])],
			        sizeof s - strlen(s) - 1);
		char *out = NULL, *again = NULL;
		if (gather_url_normalize(s, &out) == 0) {
			ck_assert_int_eq(gather_url_normalize(out, &again), 0);
			ck_assert_str_eq(again, out);
			struct gather_url u;
			ck_assert_int_eq(gather_url_parse(out, &u), 0);
			gather_url_clear(&u);
			free(again);
			free(out);
		}
		if (gather_url_resolve("http://base.example/a/b?c", s, &out) == 0)
			free(out);
		struct gather_url u;
		if (gather_url_parse(s, &u) == 0)
			gather_url_clear(&u);
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_resolve_table, 0, N(resolve_cases));
	tcase_add_loop_test(tc, test_normalize_table, 0, N(norm_cases));
	tcase_add_test(tc, test_normalize_equivalent);
	tcase_add_loop_test(tc, test_parse_table, 0, N(parse_cases));
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
