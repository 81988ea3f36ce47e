/* test_jsonl.c — record shapes for get and crawl, nulls, invalid UTF-8,
 * control characters; the direct writer (lib/jsonw.c) against the former
 * jansson encoder (tests/jsonl_ref.c) on many generated records. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gather/error.h"
#include "output/jsonl.h"
#include "jsonl_ref.h"
#include "output/jsonw.h"
#include "gather/options.h"
#include "gather/result.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "ckmain.h"

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

/* --- the writer on its own ----------------------------------------------- */

/* Commas, nesting and numbers come out as json_dumps writes them. */
START_TEST(test_jsonw_shapes)
{
	struct gather_strbuf b = { 0 };
	struct gather_jsonw w;

	gather_strbuf_adds(&b, "x"); /* appends after what is there */
	gather_jsonw_init(&w, &b);
	gather_jsonw_begin_object(&w);
	gather_jsonw_keyz(&w, "a");
	gather_jsonw_begin_array(&w);
	gather_jsonw_begin_array(&w);
	gather_jsonw_end_array(&w);
	gather_jsonw_begin_object(&w);
	gather_jsonw_end_object(&w);
	gather_jsonw_int(&w, INT64_MIN);
	gather_jsonw_int(&w, -1);
	gather_jsonw_uint(&w, UINT64_MAX);
	gather_jsonw_bool(&w, true);
	gather_jsonw_bool(&w, false);
	gather_jsonw_null(&w);
	gather_jsonw_string(&w, "a\0b/\x7f", 5);
	gather_jsonw_end_array(&w);
	gather_jsonw_keyz(&w, "q\"\\");
	gather_jsonw_string_or_null(&w, NULL);
	gather_jsonw_end_object(&w);
	ck_assert(gather_jsonw_ok(&w));
	ck_assert_str_eq(b.p, "x{\"a\":[[],{},-9223372036854775808,-1,9223372036854775807,"
	                 "true,false,null,\"a\\u0000b/\x7f\"],\"q\\\"\\\\\":null}");
	ck_assert_uint_eq(b.len, strlen(b.p));
	free(b.p);
}
END_TEST

/* Misuse is reported by gather_jsonw_ok, never written past. */
START_TEST(test_jsonw_misuse)
{
	struct gather_strbuf b = { 0 };
	struct gather_jsonw w;

	gather_jsonw_init(&w, &b);
	gather_jsonw_begin_object(&w);
	ck_assert(!gather_jsonw_ok(&w)); /* not closed */
	gather_jsonw_keyz(&w, "k");
	ck_assert(!gather_jsonw_ok(&w)); /* key without value */
	gather_jsonw_end_object(&w);
	ck_assert(!gather_jsonw_ok(&w));
	free(b.p);

	memset(&b, 0, sizeof b);
	gather_jsonw_init(&w, &b);
	gather_jsonw_end_array(&w); /* nothing open */
	ck_assert(!gather_jsonw_ok(&w));
	free(b.p);

	memset(&b, 0, sizeof b);
	gather_jsonw_init(&w, &b);
	for (int i = 0; i < GATHER_JSONW_MAX_DEPTH; i++)
		gather_jsonw_begin_array(&w);
	for (int i = 0; i < GATHER_JSONW_MAX_DEPTH; i++)
		gather_jsonw_end_array(&w);
	ck_assert(gather_jsonw_ok(&w));
	ck_assert_uint_eq(b.len, 2 * GATHER_JSONW_MAX_DEPTH);
	for (int i = 0; i <= GATHER_JSONW_MAX_DEPTH; i++)
		gather_jsonw_begin_array(&w);
	ck_assert(!gather_jsonw_ok(&w)); /* one too deep */
	free(b.p);
}
END_TEST

/* --- exact lines --------------------------------------------------------- */

/* A crawl record whose strings hold everything that needs care: written
 * byte for byte as jansson wrote it. */
START_TEST(test_crawl_exact_escapes)
{
	struct gather_result *r = rec("http://h/a\"b\\c/d\x01\xff");
	r->final_url = strdup("http://h/\xe2\x80\xa8");
	r->status = 301;
	r->err = GATHER_E_TOO_MANY_REDIRECTS;
	r->depth = 4294967295u;
	r->bytes = (uint64_t)INT64_MAX + 1;
	r->time_ms = 7;
	r->processed = true;
	r->title = strdup("\b\f\n\r\t\x1f\x7f \xf0\x9f\x98\x80\xc0\xaf");
	r->n_links_found = 12;
	r->fields = json_object();
	json_object_set_new(r->fields, "h1", json_stringn_nocheck("x\0y", 3));
	json_object_set_new(r->fields, "li", json_pack("[s,n,[i]]", "\xc3\xa9", (json_int_t)-5));
	char *line = gather_record_json(r, GATHER_CMD_CRAWL);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line,
		"{\"url\":\"http://h/a\\\"b\\\\c/d\\u0001\xef\xbf\xbd\","
		"\"final_url\":\"http://h/\xe2\x80\xa8\",\"redirects\":0,"
		"\"status\":301,\"error\":\"too_many_redirects\",\"message\":\"too many redirects\","
		"\"depth\":4294967295,\"parent\":null,\"bytes\":9223372036854775807,"
		"\"content_type\":null,"
		"\"title\":\"\\b\\f\\n\\r\\t\\u001F\x7f \xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\","
		"\"links\":12,\"fields\":{\"h1\":\"x\\u0000y\",\"li\":[\"\xc3\xa9\",null,[-5]]},"
		"\"sha256\":null,\"time_ms\":7}");
	char *ref = jsonl_ref_record(r, GATHER_CMD_CRAWL);
	ck_assert_str_eq(line, ref);
	free(ref);
	free(line);
	gather_result_free(r);
}
END_TEST

/* Field names that differ only in invalid bytes become one member, at the
 * first one's place with the last one's value (json_object_set replaced
 * it); values nested deeper than 8 levels are null. */
START_TEST(test_fields_merge_and_depth)
{
	struct gather_result *r = rec("http://h/");
	r->processed = true;
	r->fields = json_object();
	json_object_set_new_nocheck(r->fields, "k\xff", json_string("first"));
	json_object_set_new_nocheck(r->fields, "z", json_string("z"));
	json_object_set_new_nocheck(r->fields, "k\xfe", json_string("last"));
	json_t *deep = json_string("bottom");
	for (int i = 0; i < 10; i++) {
		json_t *a = json_array();
		json_array_append_new(a, deep);
		deep = a;
	}
	json_object_set_new(r->fields, "deep", deep);
	json_object_set_new(r->fields, "n", json_real(0.5));
	char *line = gather_record_json(r, GATHER_CMD_GET);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(strstr(line,
		",\"fields\":{\"k\xef\xbf\xbd\":\"last\",\"z\":\"z\","
		"\"deep\":[[[[[[[[null]]]]]]]],\"n\":0.5}}"));
	char *ref = jsonl_ref_record(r, GATHER_CMD_GET);
	ck_assert_str_eq(line, ref);
	free(ref);
	free(line);
	gather_result_free(r);
}
END_TEST

/* gather_jsonl_record appends after what a buffer holds (the sink's batch)
 * and writes the same bytes as gather_record_json. */
START_TEST(test_record_append)
{
	struct gather_result *r = rec("http://h/");
	r->status = 200;
	struct gather_strbuf b = { 0 };
	gather_strbuf_adds(&b, "prev\n");
	ck_assert_int_eq(gather_jsonl_record(&b, r, GATHER_CMD_CRAWL), 0);
	char *one = gather_record_json(r, GATHER_CMD_CRAWL);
	ck_assert_ptr_nonnull(one);
	ck_assert_uint_eq(b.len, 5 + strlen(one));
	ck_assert_str_eq(b.p + 5, one);
	ck_assert(strncmp(b.p, "prev\n", 5) == 0);
	free(one);
	free(b.p);
	gather_result_free(r);
}
END_TEST

/* --- differential: the writer against the former jansson encoder -------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *g)
{
	/* xorshift64*: deterministic, so a failure names a reproducible case */
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * UINT64_C(2685821657736338717);
}

static unsigned below(struct rng *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

/* Pieces strings are made of: plain text and everything that needs care. */
static const char *const pieces[] = {
	"a", "example", "/", "//", "?q=1&r=2", "#", " ", "\"", "\\", "\\u0041",
	"\x01", "\x08", "\x09", "\x0a", "\x0c", "\x0d", "\x1b", "\x1f", "\x7f",
	"\xc3\xa9", "\xe2\x82\xac", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbf\xbd",
	"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xef\xbb\xbf",
	"\xff", "\xfe", "\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	"\xe2\x82", "\xf0\x9f\x98", "\xc3", "\xe9", "caf\xe9", "<title>",
};

/* A random string of up to max pieces into b (reset first); with_nul adds
 * NUL bytes and arbitrary bytes (for length-counted field values). */
static void rand_bytes(struct rng *g, struct gather_strbuf *b, unsigned max, bool with_nul)
{
	unsigned n = below(g, max + 1);

	b->len = 0;
	gather_strbuf_add(b, "", 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = below(g, 10);
		if (k == 0) {
			char c = (char)below(g, 256);
			if (c == 0 && !with_nul)
				c = 'z';
			gather_strbuf_addc(b, c);
		} else if (k == 1 && with_nul) {
			gather_strbuf_addc(b, '\0');
		} else {
			gather_strbuf_adds(b, pieces[below(g, sizeof pieces / sizeof pieces[0])]);
		}
	}
	ck_assert(!b->oom);
}

/* A random C string, or NULL one time in five. */
static char *rand_cstr(struct rng *g, struct gather_strbuf *tmp, unsigned max)
{
	if (below(g, 5) == 0)
		return NULL;
	rand_bytes(g, tmp, max, false);
	return strdup(tmp->p);
}

static uint64_t rand_u64(struct rng *g)
{
	static const uint64_t edge[] = {
		0, 1, 9, 10, 99, 100, 1000000007, UINT32_MAX, (uint64_t)INT64_MAX,
		(uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX,
	};
	switch (below(g, 3)) {
	case 0: return edge[below(g, sizeof edge / sizeof edge[0])];
	case 1: return rnd(g) >> below(g, 64);
	default: return below(g, 100000);
	}
}

/* A random jansson value, nested up to 11 levels (past the cap of 8). */
static json_t *rand_json(struct rng *g, struct gather_strbuf *tmp, int depth)
{
	unsigned k = below(g, depth > 10 ? 6 : 9);

	switch (k) {
	case 0: case 1: case 2:
		rand_bytes(g, tmp, 12, true);
		return json_stringn_nocheck(tmp->p, tmp->len);
	case 3: return json_null();
	case 4: return json_integer((json_int_t)rnd(g) >> below(g, 64));
	case 5: {
		static const double reals[] = { 0.5, -1.25, 1e300, 3.0, 0.1, 123456789.125 };
		return below(g, 3) == 0 ? json_real(reals[below(g, 6)]) : json_boolean(below(g, 2));
	}
	case 6: case 7: {
		json_t *a = json_array();
		unsigned n = below(g, 4);
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(a, rand_json(g, tmp, depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		unsigned n = below(g, 5);
		for (unsigned i = 0; i < n; i++) {
			/* short keys from few pieces, so sanitized keys collide */
			rand_bytes(g, tmp, 2, below(g, 8) == 0);
			json_t *v = rand_json(g, tmp, depth + 1);
			rand_bytes(g, tmp, 2, below(g, 8) == 0);
			json_object_setn_new_nocheck(o, tmp->p, tmp->len, v);
		}
		return o;
	}
	}
}

static struct gather_result *rand_result(struct rng *g, struct gather_strbuf *tmp)
{
	struct gather_result *r = gather_result_new();
	ck_assert_ptr_nonnull(r);
	r->url = rand_cstr(g, tmp, 12);
	if (below(g, 3) == 0)
		r->final_url = r->url ? strdup(r->url) : NULL;
	else
		r->final_url = rand_cstr(g, tmp, 12);
	static const int statuses[] = { 0, -1, 200, 301, 404, 503, 999, INT_MAX, INT_MIN };
	r->status = statuses[below(g, sizeof statuses / sizeof statuses[0])];
	if (below(g, 3) == 0)
		r->err = below(g, 8) == 0 ? (int)rnd(g) : -(int)below(g, 40);
	r->message = below(g, 2) ? rand_cstr(g, tmp, 8) : NULL;
	r->content_type = rand_cstr(g, tmp, 4);
	r->bytes = rand_u64(g);
	r->redirects = (unsigned)rand_u64(g);
	r->attempts = (unsigned)rand_u64(g);
	r->time_ms = rand_u64(g);
	r->depth = (unsigned)rand_u64(g);
	r->parent = rand_cstr(g, tmp, 12);
	r->processed = below(g, 4) != 0;
	r->title = rand_cstr(g, tmp, 16);
	r->n_links_found = (size_t)rand_u64(g);
	r->saved = below(g, 3) == 0 ? rand_cstr(g, tmp, 12) : NULL;
	r->has_sha256 = below(g, 2);
	for (size_t i = 0; i < sizeof r->sha256; i++)
		r->sha256[i] = (unsigned char)rnd(g);
	if (below(g, 3) != 0) {
		json_t *f = json_object();
		unsigned n = below(g, 5);
		for (unsigned i = 0; i < n; i++) {
			json_t *v = rand_json(g, tmp, 1);
			rand_bytes(g, tmp, 3, below(g, 8) == 0);
			json_object_setn_new_nocheck(f, tmp->p, tmp->len, v);
		}
		r->fields = below(g, 20) == 0 ? rand_json(g, tmp, 0) : f;
		if (r->fields != f)
			json_decref(f);
	}
	return r;
}

START_TEST(test_differential)
{
	struct rng g = { UINT64_C(0x9E3779B97F4A7C15) };
	struct gather_strbuf tmp = { 0 }, batch = { 0 };
	size_t n_fields = 0, n_bad_keys = 0;

	for (unsigned i = 0; i < 20000; i++) {
		struct gather_result *r = rand_result(&g, &tmp);
		unsigned cmd = i % 2 ? GATHER_CMD_CRAWL : GATHER_CMD_GET;
		char *want = jsonl_ref_record(r, cmd);
		char *got = gather_record_json(r, cmd);
		ck_assert_ptr_nonnull(want);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strcmp(want, got) == 0, "record %u differs:\n want %s\n got  %s",
		              i, want, got);
		/* and appended to a batch, as the sink does */
		size_t at = batch.len;
		ck_assert_int_eq(gather_jsonl_record(&batch, r, cmd), 0);
		ck_assert_str_eq(batch.p + at, want);
		if (batch.len > 65536)
			batch.len = 0;
		n_fields += r->fields != NULL;
		n_bad_keys += strstr(want, "\xef\xbf\xbd\":") != NULL;
		free(want);
		free(got);
		gather_result_free(r);
	}
	/* the generator reached what it is for */
	ck_assert_uint_gt(n_fields, 10000);
	ck_assert_uint_gt(n_bad_keys, 1000);
	free(tmp.p);
	free(batch.p);
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
	tcase_add_test(tc, test_jsonw_shapes);
	tcase_add_test(tc, test_jsonw_misuse);
	tcase_add_test(tc, test_crawl_exact_escapes);
	tcase_add_test(tc, test_fields_merge_and_depth);
	tcase_add_test(tc, test_record_append);
	tcase_add_test(tc, test_differential);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
