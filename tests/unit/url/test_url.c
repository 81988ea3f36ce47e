/* test_url.c — gather_url_parse / resolve / normalize, table-driven:
 * RFC 3986 §5.4 (normal and abnormal), §6 equivalences, browser-style href
 * cleanup, IDN and hostile inputs. */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "url/url.h"
#include "url/url-internal.h"
#include "ckmain.h"

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
	/* WHATWG URL: in special schemes '\\' is '/' in the authority and
	 * the path (issue 16): "\\\\host\\share" is a network-path reference;
	 * not in the query, nor in other schemes */
	{ "http://h/a/", "\\\\host\\share", "http://host/share" },
	{ "https://h/a/b", "\\x\\y", "https://h/x/y" },
	{ "http://h/a/", "sub\\page?q=a\\b", "http://h/a/sub/page?q=a%5Cb" },
	{ "http://h/a/", "http:\\\\other\\p", "http://other/p" },
	{ "http://h/a/", "HTTPS:\\\\o", "https://o" },
	{ "http://h/a/", "x:\\y", "x:%5Cy" },
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

/* What a request for in asks for (gather_url_compose, a get record's
 * final_url) is in normalized: norm. */
static void check_compose(const char *in, const char *norm)
{
	struct gather_url u;
	char *sent = NULL;
	if (gather_url_parse(in, &u) < 0)
		return;
	ck_assert_int_eq(gather_url_compose(&u, &sent), 0);
	/* an empty userinfo sends nothing: "http://@h/" asks for http://h/ */
	const char *at = strstr(norm, "://@");
	if (at)
		ck_assert_msg(strncmp(sent, norm, (size_t)(at - norm) + 3) == 0 &&
		              strcmp(sent + (at - norm) + 3, at + 4) == 0,
		              "compose(parse(%s)) = %s, normalize: %s", in, sent, norm);
	else
		ck_assert_msg(strcmp(sent, norm) == 0, "compose(parse(%s)) = %s, normalize: %s", in, sent, norm);
	free(sent);
	gather_url_clear(&u);
}

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
		check_compose(c->in, out);
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
			check_compose(s, out);
			check_compose(out, out);
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

/* ---- resolve_norm: one pass == normalize(resolve) ----------------------- */

/* What gather_url_resolve_norm must give: the composition, literally. */
static int composed(const struct gather_url_base *b, const char *ref, char **ret)
{
	char *res = NULL;
	int rc = gather_url_resolve_base(b, ref, &res);
	if (rc)
		return rc;
	rc = gather_url_normalize(res, ret);
	free(res);
	return rc;
}

/* Checks every entry point on (base, ref) against the composition; returns
 * whether the fast path made it.  ref is also passed inside a longer
 * buffer, with its length. */
static int check_one(const struct gather_url_base *b, const char *bs, const char *ref)
{
	char *want = NULL, *got = NULL, *res = NULL, *norm = NULL, *rb = NULL;
	int wrc = composed(b, ref, &want);
	int fast = -1, fast2 = -1;
	size_t n = strlen(ref);
	char buf[600];
	ck_assert(n + 8 < sizeof buf);
	memcpy(buf, ref, n);
	memcpy(buf + n, "/../%41x", 9);  /* must not be read */
	int rc = url_resolve_norm(b, buf, n, &got, &fast);
	ck_assert_msg(rc == wrc || (wrc != 0 && rc == GATHER_E_BAD_URL),
	              "resolve_norm(%s, \"%s\") = %d, composition %d (%s)", bs, ref, rc, wrc,
	              wrc == 0 ? want : "");
	if (wrc == 0)
		ck_assert_msg(strcmp(got, want) == 0, "resolve_norm(%s, \"%s\") = %s, want %s (fast %d)",
		              bs, ref, got, want, fast);
	ck_assert(fast == 0 || fast == 1);
	/* the pair: resolve as resolve_base, normalize as the composition */
	int rrc = gather_url_resolve_base(b, ref, &rb);
	rc = url_resolve_pair(b, buf, n, &res, &norm, &fast2);
	ck_assert_int_eq(rc, rrc);
	ck_assert_int_eq(fast2, fast);
	if (rrc == 0) {
		ck_assert_msg(strcmp(res, rb) == 0, "pair(%s, \"%s\") res %s, want %s (fast %d)", bs,
		              ref, res, rb, fast);
		ck_assert_msg((norm != NULL) == (wrc == 0), "pair(%s, \"%s\") norm %s", bs, ref,
		              norm ? norm : "NULL");
		if (norm)
			ck_assert_str_eq(norm, want);
	}
	if (norm != res)
		free(norm);
	free(res);
	free(rb);
	free(got);
	free(want);
	return fast;
}

START_TEST(test_resolve_norm_table)
{
	const struct resolve_case *c = &resolve_cases[_i];
	struct gather_url_base *b = NULL;
	if (gather_url_base_new(c->base, &b) != 0)
		return;
	check_one(b, c->base, c->ref);
	/* and the expected value itself: the table's resolution, normalized */
	char *got = NULL, *want = NULL;
	int rc = gather_url_resolve_norm(b, c->ref, strlen(c->ref), &got);
	if (c->want && gather_url_normalize(c->want, &want) == 0) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(got, want);
	} else {
		ck_assert_int_eq(rc, GATHER_E_BAD_URL);
	}
	free(got);
	free(want);
	gather_url_base_free(b);
}
END_TEST

/* A fixed-seed xorshift: the same refs on every run. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Thousands of generated refs against normal and odd bases: new ==
 * normalize(resolve(...)), errors included. */
START_TEST(test_resolve_norm_differential)
{
	static const char *const bases[] = {
		"http://a/b/c/d;p?q", "http://example.com/", "http://localhost:18081/p/00001.html",
		"https://example.com:8443/dir/page.html?x=1&y", "http://user:pw@host/p/q",
		"http://[::1]:8080/p/q", "http://xn--bcher-kva.example/x/y",
		"HTTP://EXAMPLE.com:80/a/./b/../c", "https://host:443/", "http://host",
		"http://example.com/%7euser/%41b/%2f/", "http://example.com/a%2Fb/c%2e%2E/d",
		"http://b\xc3\xbc" "cher.example/x/y", "http://[::A]/p", "http://host/a/b/..",
		"http://host/a?", "ftp://host/a/", "http://host:99999/a", "http://h/a b/c",
	};
	static const char *const piece[] = {
		"/", "/", "/", ".", "..", "a", "B", "z9", "x.y", "-", "_", "~", "./", "../",
		"%41", "%7e", "%7E", "%2F", "%2f", "%2e", "%2E%2E", "%20", "%00", "%3", "%",
		"%68ttp:", "%2", "%6", "E", "e", "?", "?", "#", "&", "=", ":", "@", ";", "!", "'", "(", "*", "+", ",",
		"$", "[", "]", "\\", " ", "\t", "\n", "\xc3\xa9", "\xff", "//host", "//HOST:80/",
		"HTTP:", "http:", "https:", "mailto:", "javascript:", "http://a", "HTTP://A/",
		"http://localhost:18081", "HTTP://LOCALHOST:18081/", "http://example.com/",
		"HTTPS://EXAMPLE.COM:8443", "http://[::1]:8080/", "http://user:pw@host/",
		"http://xn--BCHER-kva.example/",
	};
	static const char plain[] = "abcXYZ019-._~/";
	/* what longer runs of this test found once */
	static const char *const found[] = {
		"%2E%2E/..?", "https:..///host", "HTTP:.///host", "%68ttp:x", "../..//b",
		"..///HOST:80/HTTP://LOCALHOST:18081/", "https:.///HOST:80/?/%68ttp:",
		"%2\tE%2\nE/..?", "%6\t8ttp:x",
	};
	uint32_t seed = 0x9e3779b9u;
	int fast = 0, total = 0;
	for (size_t bi = 0; bi < sizeof bases / sizeof bases[0]; bi++) {
		struct gather_url_base *b = NULL;
		ck_assert_int_eq(gather_url_base_new(bases[bi], &b), 0);
		for (size_t i = 0; i < sizeof found / sizeof found[0]; i++)
			check_one(b, bases[bi], found[i]);
		for (int i = 0; i < 400; i++) {
			char ref[512] = "";
			size_t len = 0;
			int k = (int)(rnd(&seed) % 9);
			bool simple = rnd(&seed) % 3 == 0;
			for (int j = 0; j < k; j++) {
				if (simple) {
					ref[len++] = plain[rnd(&seed) % (sizeof plain - 1)];
					ref[len] = '\0';
					continue;
				}
				const char *pc = piece[rnd(&seed) % (sizeof piece / sizeof piece[0])];
				size_t pl = strlen(pc);
				memcpy(ref + len, pc, pl + 1);
				len += pl;
			}
			fast += check_one(b, bases[bi], ref);
			total++;
		}
		gather_url_base_free(b);
	}
	/* the fast path is exercised, not only the slow one */
	ck_assert_msg(fast > total / 5, "fast path %d of %d", fast, total);
}
END_TEST

/* gather_url_parse's fast path gives what the full parse gives: URLs
 * generated from pieces (scheme and host case, ports with zeros, defaults
 * and out of range, userinfo, IPv6, dot segments, %XX, queries, fragments,
 * spaces), each compared field by field; and plain URLs do take it. */
START_TEST(test_parse_fast_differential)
{
	static const char *const schemes[] = { "http://", "https://", "HTTP://", "ftp://", "http:/" };
	static const char *const hosts[] = {
		"localhost", "example.com", "EXAMPLE.com", "a_b.c-d.9", "1.2.3.4", "[::1]",
		"u@h", "h%41", "xn--bcher-kva.de", "b\xc3\xbc" "cher.de", "", "a..b", "-x.",
	};
	static const char *const ports[] = { "", ":", ":0", ":80", ":443", ":8080", ":080",
	                                     ":65535", ":65536", ":123456", ":x" };
	static const char *const parts[] = {
		"/", "a", "B", ".", "..", "%41", "%2f", "%", "?", "q=1&r", "#f", " ", "~",
		"!$'()*+,;=", ":", "@", "|", "\\", "-_.", "//", "\xc3\xa9",
	};
	uint32_t seed = 0x9e3779b9u;
	int fast = 0, total = 0;
	for (int n = 0; n < 20000; n++) {
		char s[256];
		size_t k = (size_t)snprintf(s, sizeof s, "%s%s%s",
		                            schemes[rnd(&seed) % 5 ? rnd(&seed) % 2
		                                                   : rnd(&seed) % (sizeof schemes / sizeof *schemes)],
		                            hosts[rnd(&seed) % 3 ? rnd(&seed) % 2
		                                                 : rnd(&seed) % (sizeof hosts / sizeof *hosts)],
		                            ports[rnd(&seed) % 2 ? 0 : rnd(&seed) % (sizeof ports / sizeof *ports)]);
		unsigned np = rnd(&seed) % 8;
		for (unsigned j = 0; j < np && k < sizeof s - 16; j++) {
			const char *p = parts[rnd(&seed) % 3 ? rnd(&seed) % 4
			                                     : rnd(&seed) % (sizeof parts / sizeof *parts)];
			k += (size_t)snprintf(s + k, sizeof s - k, "%s", p);
		}
		struct gather_url a = { 0 }, b = { 0 };
		int ra = gather_url_parse(s, &a), rb = url_parse_full(s, &b);
		ck_assert_msg(ra == rb, "\"%s\": %d vs %d", s, ra, rb);
		if (ra == 0) {
			ck_assert_msg(strcmp(a.scheme, b.scheme) == 0 && strcmp(a.host, b.host) == 0 &&
			              a.port == b.port && a.https == b.https && a.ipv6 == b.ipv6 &&
			              strcmp(a.target, b.target) == 0,
			              "\"%s\": %s %s %u %s vs %s %s %u %s", s, a.scheme, a.host, a.port,
			              a.target, b.scheme, b.host, b.port, b.target);
		}
		struct gather_url c = { 0 };
		int rc = url_parse_fast(s, &c);
		ck_assert_int_ge(rc, 0);
		fast += rc;
		total++;
		gather_url_clear(&a);
		gather_url_clear(&b);
		gather_url_clear(&c);
	}
	/* about 1 in 13 of these is plain: enough to compare it on */
	ck_assert_msg(fast > total / 20, "fast path %d of %d", fast, total);
	/* a crawl's own URLs take it */
	struct gather_url u = { 0 };
	ck_assert_int_eq(url_parse_fast("http://localhost:18081/p/00001.html?a=b", &u), 1);
	ck_assert_str_eq(u.host, "localhost");
	ck_assert_uint_eq(u.port, 18081);
	ck_assert_str_eq(u.target, "/p/00001.html?a=b");
	gather_url_clear(&u);
	ck_assert_int_eq(url_parse_fast("https://example.com:443/", &u), 0);
	ck_assert_int_eq(url_parse_fast("http://example.com/a/../b", &u), 0);
	ck_assert_int_eq(url_parse_fast("http://example.com", &u), 0);
}
END_TEST

/* Plain references against a normal base take the fast path (and give
 * the right strings); others do not. */
START_TEST(test_resolve_norm_fast)
{
	static const struct {
		const char *ref, *want;
		int fast;
	} cases[] = {
		{ "c.html", "http://example.com/a/c.html", 1 },
		{ "/x/y", "http://example.com/x/y", 1 },
		{ "?q=1&r=a:b/c?", "http://example.com/a/b.html?q=1&r=a:b/c?", 1 },
		{ "", "http://example.com/a/b.html", 1 },
		{ "#frag", "http://example.com/a/b.html", 1 },
		{ " c.html#x y\t", "http://example.com/a/c.html", 1 },
		{ "./c", "http://example.com/a/c", 1 },
		{ "../p/c.html", "http://example.com/p/c.html", 1 },
		{ "/p/./c/..", "http://example.com/p/", 1 },
		{ "/p/%30.html", "http://example.com/p/0.html", 1 },
		{ "/p/%2F%20", "http://example.com/p/%2F%20", 1 },
		{ "HTTP://EXAMPLE.COM/x", "http://example.com/x", 1 },
		{ "b:c/d", NULL, 0 },                     /* a scheme */
		{ "x/a:b", "http://example.com/a/x/a:b", 1 },
		{ "a b", "http://example.com/a/a%20b", 0 },
		{ "//other/x", "http://other/x", 0 },
		{ "mailto:x@y", NULL, 0 },
		{ "http://example.com:80/x", "http://example.com/x", 0 },
		{ "/%2e%2E/x", "http://example.com/x", 0 },
		{ "/%7e", "http://example.com/~", 1 },
		{ "/%7c", "http://example.com/%7C", 0 },
		{ "../..//b", "http://example.com//b", 0 },
		{ "a/..//b", "http://example.com/a//b", 1 },
		{ "\xc3\xa9", "http://example.com/a/%C3%A9", 0 },
	};
	struct gather_url_base *b = NULL, *odd = NULL;
	ck_assert_int_eq(gather_url_base_new("http://example.com/a/b.html", &b), 0);
	ck_assert_int_eq(gather_url_base_new("http://EXAMPLE.com/a/b.html", &odd), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = NULL;
		int fast = -1;
		int rc = url_resolve_norm(b, cases[i].ref, strlen(cases[i].ref), &out, &fast);
		ck_assert_msg(fast == cases[i].fast, "\"%s\": fast %d", cases[i].ref, fast);
		if (cases[i].want) {
			ck_assert_msg(rc == 0 && strcmp(out, cases[i].want) == 0, "\"%s\" = %d %s",
			              cases[i].ref, rc, rc == 0 ? out : "");
		} else {
			ck_assert_int_eq(rc, GATHER_E_BAD_URL);
		}
		free(out);
		out = NULL;
		/* a base not in normal form never takes it */
		rc = url_resolve_norm(odd, cases[i].ref, strlen(cases[i].ref), &out, &fast);
		ck_assert_int_eq(fast, 0);
		if (cases[i].want)
			ck_assert_str_eq(out, cases[i].want);
		free(out);
	}
	/* the pair: "%30" gives two strings, a plain ref one */
	char *res = NULL, *norm = NULL;
	int fast = 0;
	ck_assert_int_eq(gather_url_resolve_pair(b, "%30", 3, &res, &norm), 0);
	ck_assert_str_eq(res, "http://example.com/a/%30");
	ck_assert_str_eq(norm, "http://example.com/a/0");
	free(res);
	free(norm);
	ck_assert_int_eq(url_resolve_pair(b, "x", 1, &res, &norm, &fast), 0);
	ck_assert_int_eq(fast, 1);
	ck_assert_ptr_eq(res, norm);
	free(res);
	ck_assert_int_eq(gather_url_resolve_pair(b, "mailto:x", 8, &res, &norm), 0);
	ck_assert_str_eq(res, "mailto:x");
	ck_assert_ptr_null(norm);
	free(res);
	ck_assert_int_eq(gather_url_resolve_pair(b, "http://[::1/", 12, &res, &norm),
	                 GATHER_E_BAD_URL);
	ck_assert_ptr_null(res);
	ck_assert_ptr_null(norm);
	ck_assert_int_eq(gather_url_resolve_norm(NULL, "x", 1, &res), GATHER_E_BAD_URL);
	ck_assert_int_eq(gather_url_resolve_norm(b, NULL, 1, &res), GATHER_E_BAD_URL);
	gather_url_base_free(b);
	gather_url_base_free(odd);
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
	tcase_add_loop_test(tc, test_resolve_norm_table, 0, N(resolve_cases));
	tcase_add_test(tc, test_resolve_norm_differential);
	tcase_add_test(tc, test_resolve_norm_fast);
	tcase_add_test(tc, test_parse_fast_differential);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
