/* test_url_redact.c — passwords in URLs: kept for the request (userinfo),
 * never shown (gather_url_redact and the record fields). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/result.h"
#include "url/url.h"
#include "ckmain.h"

static const struct {
	const char *in, *out; /* out NULL: nothing to hide */
} rows[] = {
	{ "http://user:pw@host/", "http://user:***@host/" },
	{ "https://u:p%40ss@h.example:8443/a?b#c", "https://u:***@h.example:8443/a?b#c" },
	{ "http://user@host/", NULL },               /* a name alone is no secret */
	{ "http://user:@host/", NULL },              /* nor an empty password */
	{ "http://host/a@b:c", NULL },               /* '@' in the path */
	{ "http://host/?u=http://x:y@z/", "http://host/?u=http://x:***@z/" },
	{ "http://a:b:c@host/", "http://a:***@host/" },
	{ "http://a:b@c@host/", "http://a:***@host/" }, /* the last '@' ends userinfo */
	{ "redirect to unsupported URL ftp://me:secret@ftp.example/x (and http://o:k@h/)",
	  "redirect to unsupported URL ftp://me:***@ftp.example/x (and http://o:***@h/)" },
	{ "://a:b@c", NULL },                         /* no scheme */
	{ "plain text", NULL },
	{ "", NULL },
};

START_TEST(test_redact)
{
	char *out = (char *)"untouched";
	int rc = gather_url_redact(rows[_i].in, &out);
	if (!rows[_i].out) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, "untouched");
		return;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, rows[_i].out);
	/* idempotent: what was redacted shows nothing more to hide */
	char *again = NULL;
	ck_assert_int_eq(gather_url_redact(out, &again), 1);
	ck_assert_str_eq(again, out);
	free(again);
	free(out);
}
END_TEST

START_TEST(test_redact_result)
{
	struct gather_result *r = gather_result_new();
	ck_assert_ptr_nonnull(r);
	r->url = strdup("http://a:b@h/");
	r->final_url = strdup("http://h/x");
	r->parent = strdup("http://c:d@h/p");
	r->message = strdup("malformed or unsupported URL: http://e:f@h");
	ck_assert_int_eq(gather_url_redact_result(r), 0);
	ck_assert_str_eq(r->url, "http://a:***@h/");
	ck_assert_str_eq(r->final_url, "http://h/x");
	ck_assert_str_eq(r->parent, "http://c:***@h/p");
	ck_assert_str_eq(r->message, "malformed or unsupported URL: http://e:***@h");
	gather_result_free(r);
	ck_assert_int_eq(gather_url_redact_result(NULL), 0);
	char *none = NULL;
	ck_assert_int_eq(gather_url_redact_field(&none), 0);
}
END_TEST

START_TEST(test_parse_userinfo)
{
	struct gather_url u;
	ck_assert_int_eq(gather_url_parse("http://us%20r:p%3Aw@Example.com:81/x", &u), 0);
	ck_assert_str_eq(u.host, "example.com");
	ck_assert_str_eq(u.target, "/x");
	ck_assert_ptr_nonnull(u.userinfo);
	ck_assert_str_eq(u.userinfo, "us%20r:p%3Aw");
	gather_url_clear(&u);
	ck_assert_int_eq(gather_url_parse("http://example.com/x", &u), 0);
	ck_assert_ptr_null(u.userinfo);
	gather_url_clear(&u);
	ck_assert_int_eq(gather_url_parse("https://a.b/c?d", &u), 0); /* the fast path */
	ck_assert_ptr_null(u.userinfo);
	gather_url_clear(&u);
	ck_assert_int_eq(gather_url_parse("http://@example.com/", &u), 0);
	ck_assert_ptr_null(u.userinfo);
	gather_url_clear(&u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("url_redact");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_redact, 0, sizeof rows / sizeof *rows);
	tcase_add_test(tc, test_redact_result);
	tcase_add_test(tc, test_parse_userinfo);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
