/* test_jsonl.c — record shapes for get and crawl, nulls, invalid UTF-8,
 * control characters. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "jsonl.h"
#include "options.h"
#include "result.h"
#include "sink.h"

static struct gather_result *rec(const char *url)
{
	struct gather_result *r = gather_result_new();
	ck_assert_ptr_nonnull(r);
	r->url = strdup(url);
	return r;
}

/* Dump r, check it is one line of valid JSON, return it parsed. */
static json_t *dump_parse(const struct gather_result *r, unsigned cmd, char **line)
{
	char *s = gather_record_json(r, cmd);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(strchr(s, '\n'));
	ck_assert_ptr_null(strchr(s, '\r'));
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	ck_assert_msg(j != NULL, "not JSON: %s: %s", e.text, s);
	if (line)
		*line = s;
	else
		free(s);
	return j;
}

START_TEST(test_get_success)
{
	struct gather_result *r = rec("http://Example.com/a?b=1");
	r->final_url = strdup("http://example.com/b");
	r->status = 200;
	r->content_type = strdup("text/html; charset=utf-8");
	r->bytes = 1234;
	r->redirects = 1;
	r->attempts = 2;
	r->time_ms = 56;
	char *line;
	json_t *j = dump_parse(r, GATHER_CMD_GET, &line);
	ck_assert_str_eq(line,
		"{\"url\":\"http://Example.com/a?b=1\",\"final_url\":\"http://example.com/b\","
		"\"status\":200,\"error\":null,\"message\":null,\"bytes\":1234,"
		"\"content_type\":\"text/html; charset=utf-8\",\"redirects\":1,"
		"\"attempts\":2,\"time_ms\":56}");
	free(line);
	json_decref(j);
	gather_result_free(r);
}
END_TEST

START_TEST(test_get_failure_nulls)
{
	struct gather_result *r = rec("http://nonexistent.invalid/");
	gather_result_fail(r, GATHER_E_DNS, NULL);
	r->attempts = 1;
	json_t *j = dump_parse(r, GATHER_CMD_GET, NULL);
	ck_assert(json_is_null(json_object_get(j, "final_url")));
	ck_assert(json_is_null(json_object_get(j, "status")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "dns");
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")),
	                 gather_err_text(GATHER_E_DNS));
	ck_assert(json_is_null(json_object_get(j, "content_type")));
	ck_assert_ptr_null(json_object_get(j, "title")); /* not processed */
	json_decref(j);

	/* an error without a message still says something */
	free(r->message);
	r->message = NULL;
	r->err = GATHER_E_TIMEOUT;
	j = dump_parse(r, GATHER_CMD_GET, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "timeout");
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")), "timed out");
	json_decref(j);

	/* a 404 is a status, not an error */
	r->err = 0;
	r->status = 404;
	j = dump_parse(r, GATHER_CMD_GET, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 404);
	ck_assert(json_is_null(json_object_get(j, "error")));
	ck_assert(json_is_null(json_object_get(j, "message")));
	json_decref(j);
	gather_result_free(r);
}
END_TEST

START_TEST(test_get_processed)
{
	struct gather_result *r = rec("http://h/");
	r->status = 200;
	r->processed = true;
	r->title = strdup("Hello");
	r->n_links_found = 7;
	r->has_sha256 = true;
	for (int i = 0; i < 32; i++)
		r->sha256[i] = (unsigned char)i;
	r->fields = json_pack("{s:s, s:[s,s]}", "h1", "Big", "li", "a", "b");
	char *line;
	json_t *j = dump_parse(r, GATHER_CMD_GET, &line);
	ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Hello");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "links")), 7);
	ck_assert_str_eq(json_string_value(json_object_get(j, "sha256")),
	                 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "fields"), "h1")), "Big");
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "fields"), "li")), 2);
	/* key order is stable: fields last */
	ck_assert_ptr_nonnull(strstr(line, "\"time_ms\":0,\"title\":\"Hello\",\"links\":7,\"sha256\":"));
	ck_assert_ptr_nonnull(strstr(line, ",\"fields\":{\"h1\":\"Big\",\"li\":[\"a\",\"b\"]}}"));
	free(line);
	json_decref(j);

	/* processed without title, hash or fields */
	free(r->title);
	r->title = NULL;
	r->has_sha256 = false;
	json_decref(r->fields);
	r->fields = NULL;
	j = dump_parse(r, GATHER_CMD_GET, NULL);
	ck_assert(json_is_null(json_object_get(j, "title")));
	ck_assert(json_is_null(json_object_get(j, "sha256")));
	ck_assert_ptr_null(json_object_get(j, "fields"));
	json_decref(j);
	gather_result_free(r);
}
END_TEST

START_TEST(test_crawl_shape)
{
	struct gather_result *r = rec("http://h/a");
	r->final_url = strdup("http://h/a");
	r->status = 200;
	r->depth = 2;
	r->parent = strdup("http://h/");
	r->processed = true;
	r->title = strdup("T");
	r->n_links_found = 3;
	char *line;
	json_t *j = dump_parse(r, GATHER_CMD_CRAWL, &line);
	ck_assert_str_eq(line,
		"{\"url\":\"http://h/a\",\"status\":200,\"error\":null,\"message\":null,"
		"\"depth\":2,\"parent\":\"http://h/\",\"bytes\":0,\"content_type\":null,"
		"\"title\":\"T\",\"links\":3,\"fields\":null,\"sha256\":null,\"time_ms\":0}");
	free(line);
	json_decref(j);

	/* a seed that was redirected */
	free(r->parent);
	r->parent = NULL;
	free(r->final_url);
	r->final_url = strdup("http://h/b");
	r->redirects = 1;
	j = dump_parse(r, GATHER_CMD_CRAWL, NULL);
	ck_assert(json_is_null(json_object_get(j, "parent")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "final_url")), "http://h/b");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "redirects")), 1);
	json_decref(j);
	gather_result_free(r);
}
END_TEST

/* Bytes that are not UTF-8 become U+FFFD, one per byte; valid sequences
 * (2, 3, 4 bytes) pass unchanged. */
START_TEST(test_invalid_utf8)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },                 /* never valid */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },           /* overlong '/' */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
		{ "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd" },          /* truncated at end */
		{ "\xe2\x82" "A", "\xef\xbf\xbd\xef\xbf\xbd" "A" },    /* truncated in middle */
		{ "\x80", "\xef\xbf\xbd" },                            /* lone continuation */
		{ "\xe9t\xe9", "\xef\xbf\xbdt\xef\xbf\xbd" },          /* Latin-1 */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		json_t *s = gather_jsonl_string(t[i].in, strlen(t[i].in));
		ck_assert_ptr_nonnull(s);
		ck_assert_msg(strcmp(json_string_value(s), t[i].out) == 0, "case %zu", i);
		json_decref(s);
	}

	/* in a whole record, in every network string */
	struct gather_result *r = rec("http://h/\xff\xfe");
	r->final_url = strdup("http://h/\xc3");
	r->status = 200;
	r->content_type = strdup("text/html\x80");
	r->message = strdup("bad \xc0 thing");
	r->processed = true;
	r->title = strdup("Ti\xe9tle");
	r->fields = json_object();
	json_object_set_new_nocheck(r->fields, "k\xff", json_stringn_nocheck("v\xfe", 2));
	json_t *arr = json_array();
	json_array_append_new(arr, json_stringn_nocheck("\xe2\x28\xa1", 3));
	json_object_set_new(r->fields, "list", arr);
	json_t *j = dump_parse(r, GATHER_CMD_GET, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "url")), "http://h/\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Ti\xef\xbf\xbdtle");
	ck_assert_str_eq(json_string_value(json_object_get(j, "message")), "bad \xef\xbf\xbd thing");
	json_t *f = json_object_get(j, "fields");
	ck_assert_str_eq(json_string_value(json_object_get(f, "k\xef\xbf\xbd")), "v\xef\xbf\xbd");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(f, "list"), 0)),
	                 "\xef\xbf\xbd(\xef\xbf\xbd");
	json_decref(j);
	j = dump_parse(r, GATHER_CMD_CRAWL, NULL);
	json_decref(j);
	gather_result_free(r);
}
END_TEST

START_TEST(test_control_chars)
{
	struct gather_result *r = rec("http://h/");
	r->status = 200;
	r->processed = true;
	r->title = strdup("line1\nline2\r\t\x01\x1f\x7f\"\\ end\xe2\x80\xa8");
	char *line;
	json_t *j = dump_parse(r, GATHER_CMD_GET, &line);
	ck_assert_str_eq(json_string_value(json_object_get(j, "title")), r->title);
	ck_assert_ptr_nonnull(strstr(line, "line1\\nline2\\r\\t\\u0001\\u001F"));
	for (const char *p = line; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20, "raw control char in line");
	free(line);
	json_decref(j);
	gather_result_free(r);
}
END_TEST

START_TEST(test_huge_numbers)
{
	struct gather_result *r = rec("http://h/");
	r->bytes = UINT64_MAX;
	json_t *j = dump_parse(r, GATHER_CMD_GET, NULL);
	ck_assert(json_integer_value(json_object_get(j, "bytes")) == INT64_MAX);
	json_decref(j);
	gather_result_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_get_success);
	tcase_add_test(tc, test_get_failure_nulls);
	tcase_add_test(tc, test_get_processed);
	tcase_add_test(tc, test_crawl_shape);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_huge_numbers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
