/* test_http1.c — request heads and the response parser glue, fed in pieces. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gather/error.h"
#include "http/http1.h"
#include "ckmain.h"

struct got {
	char body[4096];
	size_t len;
};

static int body_cb(const char *d, size_t len, void *arg)
{
	struct got *g = arg;
	if (g->len + len > sizeof(g->body))
		return GATHER_E_TOO_LARGE;
	memcpy(g->body + g->len, d, len);
	g->len += len;
	return 0;
}

/* Feeds resp in pieces of step bytes; returns the final rc (after EOF when
 * eof is set). */
static enum http1_rc parse(struct http1_resp *r, const char *resp, size_t step, bool eof, struct got *g,
                           bool head_req)
{
	struct evbuffer *in = evbuffer_new();
	enum http1_rc rc = HTTP1_MORE;
	bool in_head = true;
	http1_resp_init(r, 65536, 100, head_req, body_cb, g, NULL);
	size_t n = strlen(resp);
	for (size_t i = 0; i < n && rc != HTTP1_ERROR && rc != HTTP1_COMPLETE; i += step) {
		evbuffer_add(in, resp + i, n - i < step ? n - i : step);
		if (in_head) {
			rc = http1_feed_head(r, in);
			if (rc == HTTP1_HEAD) {
				in_head = false;
				rc = http1_feed_body(r, in);
			}
		} else
			rc = http1_feed_body(r, in);
	}
	if (eof && rc == HTTP1_MORE)
		rc = http1_eof(r);
	evbuffer_free(in);
	return rc;
}

static const struct {
	const char *resp;
	enum http1_rc rc;
	int status;
	const char *body;
	bool keepalive;
} cases[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", HTTP1_COMPLETE, 200, "hello", true },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", HTTP1_COMPLETE, 200, "hello", true },
	{ "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", HTTP1_COMPLETE, 200, "ok", false },
	{ "HTTP/1.0 200 OK\r\n\r\nuntil close", HTTP1_COMPLETE, 200, "until close", false },
	{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", HTTP1_COMPLETE, 304, "", true },
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", HTTP1_COMPLETE, 201, "x", true },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", HTTP1_ERROR, 200, "hel", false },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", HTTP1_ERROR, 0, "", false },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nab", HTTP1_ERROR, 0, "", false },
	{ "HTTP/1.1 2000 OK\r\n\r\n", HTTP1_ERROR, 0, "", false },
	/* found by tests/fuzz/http1: llhttp takes a status of fewer than three
	 * digits (or 0xx) that RFC 9112 §4 does not */
	{ "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", HTTP1_ERROR, 0, "", false },
	{ "HTTP/1.1 020 OK\r\nContent-Length: 0\r\n\r\n", HTTP1_ERROR, 0, "", false },
	{ "HTTP/1.1 2 OK\r\n\r\n", HTTP1_ERROR, 0, "", false },
	{ "HTTP/2 200\r\n\r\n", HTTP1_ERROR, 0, "", false },
	{ "SSH-2.0-OpenSSH\r\n", HTTP1_ERROR, 0, "", false },
	{ "HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 1\r\n\r\nx", HTTP1_ERROR, 0, "", false },
};

START_TEST(test_parse_cases)
{
	for (size_t step = 1; step <= 64; step *= 8) {
		struct http1_resp r;
		struct got g = { .len = 0 };
		memset(&r, 0, sizeof(r));
		enum http1_rc rc = parse(&r, cases[_i].resp, step, true, &g, false);
		ck_assert_msg(rc == cases[_i].rc, "case %d step %zu: rc %d (%s)", _i, step, rc, r.msg);
		if (cases[_i].status)
			ck_assert_int_eq(r.status, cases[_i].status);
		if (rc == HTTP1_COMPLETE) {
			ck_assert_uint_eq(g.len, strlen(cases[_i].body));
			ck_assert(memcmp(g.body, cases[_i].body, g.len) == 0);
			ck_assert_int_eq(r.keepalive, cases[_i].keepalive);
		} else
			ck_assert_int_eq(r.err, GATHER_E_BAD_RESPONSE);
		http1_resp_clear(&r);
	}
}
END_TEST

START_TEST(test_limits_and_headers)
{
	struct http1_resp r;
	struct got g = { .len = 0 };
	struct evbuffer *in = evbuffer_new();
	memset(&r, 0, sizeof(r));
	http1_resp_init(&r, 100, 3, false, body_cb, &g, NULL);
	evbuffer_add_printf(in, "HTTP/1.1 200 OK\r\nX-Long: %0120d\r\n", 0);
	ck_assert_int_eq(http1_feed_head(&r, in), HTTP1_ERROR);
	ck_assert_int_eq(r.err, GATHER_E_TOO_LARGE);
	ck_assert_str_eq(r.msg, "response head over 100 bytes");

	evbuffer_drain(in, evbuffer_get_length(in));
	http1_resp_init(&r, 1000, 3, false, body_cb, &g, NULL);
	evbuffer_add_printf(in, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
	ck_assert_int_eq(http1_feed_head(&r, in), HTTP1_ERROR);
	ck_assert_int_eq(r.err, GATHER_E_TOO_LARGE);
	ck_assert_str_eq(r.msg, "more than 3 header fields");

	struct gather_buf raw = { 0 };
	evbuffer_drain(in, evbuffer_get_length(in));
	http1_resp_init(&r, 1000, 10, false, body_cb, &g, &raw);
	evbuffer_add_printf(in, "HTTP/1.1 301 Moved\r\nlocation: /x\r\nContent-Type: text/html\r\n"
	                        "Content-Encoding: gzip\r\ncontent-encoding: br\r\nRetry-After: 5\r\n"
	                        "Content-Length: 0\r\n\r\nNEXT");
	ck_assert_int_eq(http1_feed_head(&r, in), HTTP1_COMPLETE);
	ck_assert_str_eq(r.location, "/x");
	ck_assert_str_eq(r.content_type, "text/html");
	ck_assert_str_eq(r.content_encoding, "gzip, br");
	ck_assert_str_eq(r.retry_after, "5");
	ck_assert_uint_eq(evbuffer_get_length(in), 4); /* the next bytes are left */
	ck_assert(raw.len > 20 && memcmp(raw.data + raw.len - 4, "\r\n\r\n", 4) == 0);
	free(raw.data);
	http1_resp_clear(&r);

	/* HEAD: Content-Length without a body */
	http1_resp_init(&r, 1000, 10, true, body_cb, &g, NULL);
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add_printf(in, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n");
	ck_assert_int_eq(http1_feed_head(&r, in), HTTP1_COMPLETE);
	ck_assert(r.keepalive);
	http1_resp_clear(&r);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_request)
{
	struct gather_opts o;
	struct http1_fixed fx;
	char err[200];
	gather_opts_init(&o, GATHER_CMD_GET);
	gather_strv_push(&o.headers, "accept: text/html");
	ck_assert_int_eq(http1_fixed_init(&fx, &(struct http1_head_conf){ o.method, &o.headers, o.user_agent, o.compressed }, err, sizeof(err)), 0);
	struct gather_url u = { .scheme = (char *)"https", .host = (char *)"::1", .port = 8443, .https = true, .ipv6 = true,
	                        .target = (char *)"/a%20b?c" };
	struct evbuffer *out = evbuffer_new();
	struct gather_buf raw = { 0 };
	ck_assert_int_eq(http1_request(out, "PUT", &u, &fx, NULL, "xyz", 3, &raw), 0);
	size_t n = evbuffer_get_length(out);
	char *s = calloc(1, n + 1);
	evbuffer_remove(out, s, n);
	ck_assert(strncmp(s, "PUT /a%20b?c HTTP/1.1\r\nHost: [::1]:8443\r\n", 41) == 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\naccept: text/html\r\n"));
	ck_assert_ptr_null(strstr(s, "Accept: */*"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Length: 3\r\n\r\nxyz"));
	ck_assert_uint_eq(raw.len, n - 3);
	free(s);
	free(raw.data);
	http1_fixed_clear(&fx);

	/* RFC 9110 methods are tokens: no space, CR/LF or second request line */
	static const char *const bad_methods[] = { "GET /admin HTTP/1.1\r\nX:", "GE T", "", "GET\n", "G(ET" };
	for (size_t i = 0; i < sizeof(bad_methods) / sizeof(bad_methods[0]); i++) {
		free(o.method);
		o.method = strdup(bad_methods[i]);
		ck_assert_int_eq(http1_fixed_init(&fx, &(struct http1_head_conf){ o.method, &o.headers, o.user_agent, o.compressed }, err, sizeof(err)), GATHER_E_INVALID);
		ck_assert_ptr_nonnull(strstr(err, "invalid method"));
	}
	free(o.method);
	o.method = strdup("M-SEARCH");
	ck_assert_int_eq(http1_fixed_init(&fx, &(struct http1_head_conf){ o.method, &o.headers, o.user_agent, o.compressed }, err, sizeof(err)), 0);
	http1_fixed_clear(&fx);

	/* Basic credentials (RFC 7617): a URL's percent-decoded, -u's as is;
	 * a form body gets curl's Content-Type; the user's headers win */
	char *a = NULL;
	ck_assert_int_eq(http1_basic_auth("Aladdin:open%20sesame", true, &a), 0);
	ck_assert_str_eq(a, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	free(a);
	ck_assert_int_eq(http1_basic_auth("Aladdin:open%20sesame", false, &a), 0);
	ck_assert_str_eq(a, "Basic QWxhZGRpbjpvcGVuJTIwc2VzYW1l");
	free(a);
	ck_assert_int_eq(http1_basic_auth("user", true, &a), 0);
	ck_assert_str_eq(a, "Basic dXNlcjo=");
	ck_assert_int_eq(http1_fixed_init(&fx, &(struct http1_head_conf){ o.method, &o.headers, o.user_agent, o.compressed }, err, sizeof(err)), 0);
	ck_assert_int_eq(http1_request(out, "POST", &u, &fx, a, "a=1", 3, NULL), 0);
	n = evbuffer_get_length(out);
	s = calloc(1, n + 1);
	evbuffer_remove(out, s, n);
	ck_assert_ptr_nonnull(strstr(s, "\r\nAuthorization: Basic dXNlcjo=\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
	free(s);
	http1_fixed_clear(&fx);
	gather_strv_push(&o.headers, "Authorization: Bearer t");
	gather_strv_push(&o.headers, "content-type: application/json");
	ck_assert_int_eq(http1_fixed_init(&fx, &(struct http1_head_conf){ o.method, &o.headers, o.user_agent, o.compressed }, err, sizeof(err)), 0);
	ck_assert_int_eq(http1_request(out, "POST", &u, &fx, a, "{}", 2, NULL), 0);
	n = evbuffer_get_length(out);
	s = calloc(1, n + 1);
	evbuffer_remove(out, s, n);
	ck_assert_ptr_null(strstr(s, "Basic"));
	ck_assert_ptr_null(strstr(s, "x-www-form-urlencoded"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nAuthorization: Bearer t\r\n"));
	free(s);
	free(a);
	http1_fixed_clear(&fx);

	gather_strv_push(&o.headers, "NoColon");
	ck_assert_int_eq(http1_fixed_init(&fx, &(struct http1_head_conf){ o.method, &o.headers, o.user_agent, o.compressed }, err, sizeof(err)), GATHER_E_INVALID);
	evbuffer_free(out);
	gather_opts_free(&o);
}
END_TEST

/* Mutated responses, fed in random pieces: never a crash, always one of the
 * three outcomes, an error always with a code and a message.  Fixed seed. */
START_TEST(test_mutations)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	char buf[512];
	for (int iter = 0; iter < 20000; iter++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		const char *src = cases[x % (sizeof(cases) / sizeof(cases[0]))].resp;
		size_t n = strlen(src);
		memcpy(buf, src, n);
		for (int m = 0; m < 1 + (int)(x >> 60); m++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (x >> 8) % n;
			switch (x % 4) {
			case 0: buf[at] = (char)(x >> 32); break;                     /* flip a byte */
			case 1: if (n > 1) memmove(buf + at, buf + at + 1, n - at - 1), n--; break; /* drop */
			case 2: if (n < sizeof(buf) - 1) memmove(buf + at + 1, buf + at, n - at), n++; break; /* dup */
			case 3: n = at + 1; break;                                   /* truncate */
			}
		}
		buf[n] = 0; /* parse() takes a C string: an inner NUL truncates */
		struct http1_resp r;
		struct got g = { .len = 0 };
		memset(&r, 0, sizeof(r));
		enum http1_rc rc = parse(&r, buf, 1 + (x >> 40) % 17, (x >> 20) & 1, &g, (x >> 21) % 8 == 0);
		ck_assert(rc == HTTP1_MORE || rc == HTTP1_COMPLETE || rc == HTTP1_ERROR);
		if (rc == HTTP1_ERROR)
			ck_assert(r.err < 0 && r.msg[0]);
		http1_resp_clear(&r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http1");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_parse_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_limits_and_headers);
	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
