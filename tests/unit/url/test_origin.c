/* test_origin.c — host / host:port / origin of normalized URLs
 * (lib/url/origin.c), table-driven. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "url/url.h"
#include "ckmain.h"

static const struct {
	const char *url, *host_port, *host, *origin; /* NULL: none */
} cases[] = {
	{ "http://a.example:8080/x", "a.example:8080", "a.example", "http://a.example:8080" },
	{ "https://u:p@b.example?q", "b.example", "b.example", "https://u:p@b.example" },
	{ "http://u@v@c.example/", "c.example", "c.example", "http://u@v@c.example" },
	{ "http://[::1]:81/p#f", "[::1]:81", "[::1]", "http://[::1]:81" },
	{ "http://[::1]/", "[::1]", "[::1]", "http://[::1]" },
	{ "https://h.example:8443/a?b", "h.example:8443", "h.example", "https://h.example:8443" },
	{ "http:///x", NULL, NULL, NULL },
	{ "http://u@/x", NULL, NULL, "http://u@" },
	{ "http://:80/", ":80", NULL, "http://:80" },
	{ "nohost", NULL, NULL, NULL },
	{ "/path", NULL, NULL, NULL },
	{ "://x/", NULL, NULL, NULL },
};

static void check(const char *what, const char *url, const char *got, size_t n,
                  const char *want)
{
	if (!want) {
		ck_assert_msg(got == NULL, "%s(%s): want none, got %.*s", what, url, (int)n,
		              got ? got : "");
		return;
	}
	ck_assert_msg(got != NULL, "%s(%s): want %s, got none", what, url, want);
	ck_assert_msg(n == strlen(want) && !memcmp(got, want, n), "%s(%s): want %s, got %.*s",
	              what, url, want, (int)n, got);
}

START_TEST(test_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = 0;
		const char *u = cases[i].url, *p;
		p = gather_url_host_port(u, &n);
		check("host_port", u, p, n, cases[i].host_port);
		p = gather_url_host_of(u, &n);
		check("host_of", u, p, n, cases[i].host);
		p = gather_url_origin_of(u, &n);
		check("origin_of", u, p, n, cases[i].origin);
	}
	size_t n;
	ck_assert_ptr_null(gather_url_origin_of(NULL, &n));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("origin");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
