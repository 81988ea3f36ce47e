/* test_scope.c — host, domain, prefix and any scopes; allow/deny; length. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/options.h"
#include "crawl/scope.h"
#include "ckmain.h"

struct scope_case {
	enum gather_scope mode;
	const char *seed;
	const char *url;
	int in;
};

static const struct scope_case cases[] = {
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "http://www.example.com/x", 1 },
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "https://www.example.com:8443/x", 1 },
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "http://u@www.example.com/x", 1 },
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "http://example.com/x", 0 },
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "http://www.example.com.evil.net/", 0 },
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "http://evil.net/?u=http://www.example.com/", 0 },
	{ GATHER_SCOPE_HOST, "http://www.example.com/a/b", "http://www.example.com@evil.net/", 0 },
	{ GATHER_SCOPE_HOST, "http://127.0.0.1:8080/", "http://127.0.0.1:9090/", 1 },
	{ GATHER_SCOPE_HOST, "http://[::1]:8080/", "http://[::1]/x", 1 },
	{ GATHER_SCOPE_HOST, "http://[::1]:8080/", "http://[::2]/x", 0 },
	{ GATHER_SCOPE_DOMAIN, "http://www.example.com/", "http://blog.example.com/x", 1 },
	{ GATHER_SCOPE_DOMAIN, "http://www.example.com/", "http://example.com/", 1 },
	{ GATHER_SCOPE_DOMAIN, "http://www.example.com/", "http://example.org/", 0 },
	{ GATHER_SCOPE_DOMAIN, "http://www.example.com/", "http://notexample.com/", 0 },
	{ GATHER_SCOPE_DOMAIN, "http://a.example.co.uk/", "http://b.example.co.uk/", 1 },
	{ GATHER_SCOPE_DOMAIN, "http://a.example.co.uk/", "http://other.co.uk/", 0 },
	/* public suffixes: different sites under github.io are different domains */
	{ GATHER_SCOPE_DOMAIN, "https://alice.github.io/", "https://bob.github.io/", 0 },
	{ GATHER_SCOPE_DOMAIN, "https://alice.github.io/", "https://www.alice.github.io/", 1 },
	{ GATHER_SCOPE_DOMAIN, "http://127.0.0.1/", "http://127.0.0.1:81/", 1 },
	{ GATHER_SCOPE_DOMAIN, "http://127.0.0.1/", "http://127.0.0.2/", 0 },
	{ GATHER_SCOPE_DOMAIN, "http://localhost/", "http://localhost/x", 1 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "http://h.example/docs/v1/", 1 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "http://h.example/docs/v1/a/b?x", 1 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "https://h.example/docs/v1/z", 1 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "http://h.example/docs/v2/", 0 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "http://h.example/docs/", 0 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "http://h.example/docs/v1", 0 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/index.html", "http://h.example.evil/docs/v1/", 0 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/docs/v1/", "http://h.example/docs/v1/x", 1 },
	{ GATHER_SCOPE_PREFIX, "http://h.example/?q=/a/", "http://h.example/b", 1 },
	{ GATHER_SCOPE_ANY, "http://h.example/", "https://anything.example/", 1 },
};

START_TEST(test_modes)
{
	const struct scope_case *c = &cases[_i];
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.scope = c->mode;
	char err[256] = "";
	struct gather_scope_rules *s = gather_scope_rules_new(&o, err, sizeof err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(gather_scope_rules_add_seed(s, c->seed), 0);
	ck_assert_int_eq(gather_scope_rules_check(s, c->seed), 0);
	int rc = gather_scope_rules_check(s, c->url);
	ck_assert_msg(rc == (c->in ? 0 : GATHER_E_SCOPE), "%s scope of %s: %s -> %d",
	              gather_scope_name(c->mode), c->seed, c->url, rc);
	gather_scope_rules_free(s);
	gather_opts_free(&o);
}
END_TEST

START_TEST(test_several_seeds)
{
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	struct gather_scope_rules *s = gather_scope_rules_new(&o, NULL, 0);
	ck_assert_int_eq(gather_scope_rules_add_seed(s, "http://a.example/"), 0);
	ck_assert_int_eq(gather_scope_rules_add_seed(s, "http://b.example/"), 0);
	ck_assert_int_eq(gather_scope_rules_add_seed(s, "http://a.example/again"), 0);
	ck_assert_int_eq(gather_scope_rules_add_seed(s, "not a url"), GATHER_E_BAD_URL);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://a.example/1"), 0);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://b.example/1"), 0);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://c.example/1"), GATHER_E_SCOPE);
	ck_assert_int_eq(gather_scope_rules_check(s, "garbage"), GATHER_E_SCOPE);
	gather_scope_rules_free(s);
	gather_scope_rules_free(NULL);
	gather_opts_free(&o);
}
END_TEST

START_TEST(test_allow_deny)
{
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	gather_strv_push(&o.allow, "/docs/");
	gather_strv_push(&o.allow, "\\.html$");
	gather_strv_push(&o.deny, "[?&]session=");
	gather_strv_push(&o.deny, "/private/");
	struct gather_scope_rules *s = gather_scope_rules_new(&o, NULL, 0);
	ck_assert_ptr_nonnull(s);
	gather_scope_rules_add_seed(s, "http://h/");
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/docs/a"), 0);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/x/page.html"), 0);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/x/page.htm"), GATHER_E_SCOPE);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/docs/a?session=1"), GATHER_E_SCOPE);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/docs/private/a"), GATHER_E_SCOPE);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://other/docs/a"), GATHER_E_SCOPE);
	gather_scope_rules_free(s);
	gather_opts_free(&o);
}
END_TEST

START_TEST(test_bad_regex)
{
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	gather_strv_push(&o.allow, "ok");
	gather_strv_push(&o.deny, "fine");
	gather_strv_push(&o.deny, "broken(");
	char err[256] = "";
	ck_assert_ptr_null(gather_scope_rules_new(&o, err, sizeof err));
	ck_assert_msg(strstr(err, "--deny 'broken('") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "parenthes") != NULL, "%s", err);
	gather_strv_free(&o.deny);
	gather_strv_push(&o.allow, "[z-a]");
	ck_assert_ptr_null(gather_scope_rules_new(&o, err, sizeof err));
	ck_assert_msg(strstr(err, "--allow '[z-a]'") != NULL, "%s", err);
	gather_opts_free(&o);
}
END_TEST

START_TEST(test_max_url_len)
{
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	ck_assert_uint_eq(o.max_url_len, 2048);   /* the default this guards */
	o.max_url_len = 30;
	struct gather_scope_rules *s = gather_scope_rules_new(&o, NULL, 0);
	gather_scope_rules_add_seed(s, "http://h/");
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/123456789012345678901"), 0);
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h/1234567890123456789012"), GATHER_E_SCOPE);
	gather_scope_rules_free(s);
	/* The default refuses a 3000-byte URL. */
	o.max_url_len = 2048;
	s = gather_scope_rules_new(&o, NULL, 0);
	gather_scope_rules_add_seed(s, "http://h/");
	char *u = malloc(3001);
	strcpy(u, "http://h/");
	memset(u + 9, 'a', 2991);
	u[3000] = '\0';
	ck_assert_int_eq(gather_scope_rules_check(s, u), GATHER_E_SCOPE);
	u[2048] = '\0';
	ck_assert_int_eq(gather_scope_rules_check(s, u), 0);
	free(u);
	gather_scope_rules_free(s);
	gather_opts_free(&o);
}
END_TEST

/* Workers check links while the reactor adds seeds (TSan-clean). */
struct checker {
	struct gather_scope_rules *s;
	unsigned in;
};

static void *check_loop(void *arg)
{
	struct checker *ck = arg;
	for (int i = 0; i < 20000; i++)
		ck->in += gather_scope_rules_check(ck->s, "http://h0.example/x") == 0;
	return NULL;
}

START_TEST(test_threads)
{
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	gather_strv_push(&o.deny, "/never/");
	struct gather_scope_rules *s = gather_scope_rules_new(&o, NULL, 0);
	ck_assert_int_eq(gather_scope_rules_add_seed(s, "http://h0.example/"), 0);
	pthread_t t[4];
	struct checker ck[4];
	for (int i = 0; i < 4; i++) {
		ck[i] = (struct checker){ s, 0 };
		pthread_create(&t[i], NULL, check_loop, &ck[i]);
	}
	for (int i = 1; i < 300; i++) {
		char u[64];
		snprintf(u, sizeof u, "http://h%d.example/", i);
		ck_assert_int_eq(gather_scope_rules_add_seed(s, u), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_uint_eq(ck[i].in, 20000);
	}
	ck_assert_int_eq(gather_scope_rules_check(s, "http://h299.example/y"), 0);
	gather_scope_rules_free(s);
	gather_opts_free(&o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scope");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_modes, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_several_seeds);
	tcase_add_test(tc, test_allow_deny);
	tcase_add_test(tc, test_bad_regex);
	tcase_add_test(tc, test_max_url_len);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
