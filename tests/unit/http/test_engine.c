/* test_engine.c — the fetch engine against the misbehaving test server:
 * every failure gives the right error code, and the rest of the batch (good
 * fetches before and after it, on a reused connection) is intact. */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "gather/engine.h"
#include "gather/error.h"
#include "fetchrun.h"

/* One behaviour: a path, the limits it runs under, what must come out. */
struct row {
	const char *path;
	int err;               /* expected gather_err */
	int status;            /* expected status (0: don't check) */
	const char *body;      /* expected body (KEEP_BODY), NULL: don't check */
	const char *msg;       /* substring of the message, NULL: don't check */
	uint64_t max_body, max_head, first_ms, idle_ms, total_ms;
	unsigned max_headers, max_redirs;
	int64_t bytes;         /* expected decoded bytes, -1: don't check */
	unsigned conns;        /* connections it needs beyond one */
};

#define T TESTSERVER_TEXT
static const struct row rows[] = {
	{ "/status/200", 0, 200, "status 200\n", NULL, .bytes = 11 },
	{ "/status/404", 0, 404, NULL, NULL, .bytes = -1 },
	{ "/status/204", 0, 204, "", NULL, .bytes = 0 },
	{ "/bytes/100000", 0, 200, NULL, NULL, .bytes = 100000 },
	{ "/bytes/100000", GATHER_E_TOO_LARGE, 200, NULL, "body over 1000 bytes", .max_body = 1000, .bytes = -1 },
	{ "/chunked", 0, 200, T, NULL, .bytes = -1 },
	{ "/gzip", 0, 200, T, NULL, .bytes = sizeof(T) - 1 },
	{ "/deflate", 0, 200, T, NULL, .bytes = -1 },
	{ "/deflate-raw", 0, 200, T, NULL, .bytes = -1 },
	{ "/br", 0, 200, T, NULL, .bytes = -1 },
	{ "/zstd", 0, 200, T, NULL, .bytes = -1 },
	{ "/gzip-br", 0, 200, T, NULL, .bytes = -1 },
	{ "/gzip-corrupt", GATHER_E_DECODE, 200, NULL, "gzip", .bytes = -1 },
	{ "/bomb/gzip", GATHER_E_TOO_LARGE, 200, NULL, "body over", .max_body = 1 << 20, .bytes = -1 },
	{ "/1xx", 0, 200, "ok\n", NULL, .bytes = -1 },
	{ "/garbage-after", 0, 200, "ok\n", NULL, .bytes = -1 },
	{ "/http10", 0, 200, "old style body\n", NULL, .bytes = -1 },
	{ "/cl-conflict", GATHER_E_BAD_RESPONSE, 0, NULL, "Content-Length", .bytes = -1 },
	{ "/cl-negative", GATHER_E_BAD_RESPONSE, 0, NULL, NULL, .bytes = -1 },
	{ "/chunk-bad", GATHER_E_BAD_RESPONSE, 200, NULL, "chunk", .bytes = -1 },
	{ "/chunk-overflow", GATHER_E_BAD_RESPONSE, 200, NULL, "overflow", .bytes = -1 },
	{ "/bad-status", GATHER_E_BAD_RESPONSE, 0, NULL, "status", .bytes = -1 },
	{ "/truncated", GATHER_E_BAD_RESPONSE, 200, NULL, "Content-Length mismatch", .bytes = -1 },
	{ "/reset-mid", GATHER_E_CONNECT, 200, NULL, "reset", .bytes = -1 },
	{ "/silence", GATHER_E_TIMEOUT, 0, NULL, "no response within 300 ms", .first_ms = 300, .bytes = -1 },
	/* first byte and idle are two limits: a slow first byte is timed by
	 * the one, a stall in the body by the other, each not by both */
	{ "/slow/600", GATHER_E_TIMEOUT, 0, NULL, "no response within 300 ms", .first_ms = 300, .idle_ms = 60000, .bytes = -1 },
	{ "/slow/600", 0, 200, NULL, NULL, .first_ms = 60000, .idle_ms = 300, .bytes = -1 },
	{ "/drip?ms=500&n=3", GATHER_E_TIMEOUT, 200, NULL, "no data for 300 ms", .first_ms = 60000, .idle_ms = 300, .bytes = -1 },
	{ "/drip?ms=500&n=3", 0, 200, "ddd", NULL, .first_ms = 300, .idle_ms = 60000, .bytes = 3 },
	{ "/drip?ms=20&n=100", GATHER_E_TIMEOUT, 200, NULL, "total timeout", .total_ms = 400, .bytes = -1 },
	{ "/drip?ms=5&n=20", 0, 200, "dddddddddddddddddddd", NULL, .total_ms = 2000, .bytes = -1 },
	{ "/endless", GATHER_E_TOO_LARGE, 200, NULL, "body over 200000", .max_body = 200000, .bytes = -1 },
	/* the limit is exact: bytes never passes it, by a read or a decode chunk */
	{ "/bytes/300000", GATHER_E_TOO_LARGE, 200, NULL, "body over 100000", .max_body = 100000, .bytes = 100000 },
	{ "/bomb/gzip", GATHER_E_TOO_LARGE, 200, NULL, "body over 100001", .max_body = 100001, .bytes = 100001 },
	{ "/bytes/100000", 0, 200, NULL, NULL, .max_body = 100000, .bytes = 100000 },
	{ "/headers/huge", GATHER_E_TOO_LARGE, 0, NULL, "response head over 65536 bytes", .bytes = -1 },
	{ "/headers/huge", 0, 200, "ok", NULL, .max_head = 128 << 10, .bytes = -1 },
	{ "/headers/many", GATHER_E_TOO_LARGE, 0, NULL, "more than 256 header fields", .bytes = -1 },
	{ "/headers/many", 0, 200, "ok", NULL, .max_headers = 5000, .bytes = -1 },
	{ "/redirect/3", 0, 200, "done\n", NULL, .bytes = -1 },
	{ "/redirect/3", GATHER_E_TOO_MANY_REDIRECTS, 302, NULL, "more than 2 redirects", .max_redirs = 2, .bytes = -1 },
	/* each hop's pooled connection is closed under it: one fresh retry per hop */
	{ "/redirect-close/10", 0, 200, "done\n", NULL, .bytes = -1, .conns = 10 },
	{ "/loop", GATHER_E_TOO_MANY_REDIRECTS, 302, NULL, "more than 10 redirects", .bytes = -1 },
	{ "/redirect-to?url=ftp%3A%2F%2Fexample.com%2Fx", GATHER_E_BAD_URL, 302, NULL, "ftp://example.com/x", .bytes = -1 },
	{ "/redirect-to?url=mailto%3Aa%40b.c", GATHER_E_BAD_URL, 302, NULL, "unsupported", .bytes = -1 },
};

static void apply(struct fetchrun *fr, const struct row *r)
{
	if (r->max_body)
		fr->o.max_body = r->max_body;
	if (r->max_head)
		fr->o.max_head = r->max_head;
	if (r->max_headers)
		fr->o.max_headers = r->max_headers;
	if (r->max_redirs)
		fr->o.max_redirs = r->max_redirs;
	if (r->first_ms)
		fr->o.first_byte_timeout_ms = r->first_ms;
	if (r->idle_ms)
		fr->o.idle_timeout_ms = r->idle_ms;
	if (r->total_ms)
		fr->o.timeout_ms = r->total_ms;
}

static void check_row(const struct row *r, const struct gather_result *res)
{
	ck_assert_msg(res->err == r->err, "%s: err %s (%s), want %s", r->path, gather_err_name(res->err),
	              res->message ? res->message : "-", gather_err_name(r->err));
	if (r->status)
		ck_assert_msg(res->status == r->status, "%s: status %d, want %d", r->path, res->status, r->status);
	if (r->msg)
		ck_assert_msg(res->message && strstr(res->message, r->msg), "%s: message \"%s\", want \"%s\"",
		              r->path, res->message ? res->message : "(null)", r->msg);
	if (!r->err)
		ck_assert_ptr_null(res->message);
	if (r->body) {
		ck_assert_uint_eq(res->body.len, strlen(r->body));
		ck_assert(memcmp(res->body.data ? res->body.data : "", r->body, res->body.len) == 0);
	}
	if (r->bytes >= 0)
		ck_assert_uint_eq(res->bytes, (uint64_t)r->bytes);
	ck_assert_uint_eq(res->attempts, 1);
	ck_assert_str_eq(res->ip, "127.0.0.1");
}

static void check_good(const struct gather_result *res, const char *what)
{
	ck_assert_msg(res->err == 0 && res->status == 200, "%s: good fetch got %s %d (%s)", what,
	              gather_err_name(res->err), res->status, res->message ? res->message : "");
	ck_assert_uint_eq(res->body.len, 11);
	ck_assert(memcmp(res->body.data, "status 200\n", 11) == 0);
}

/* The behaviour alone, at the engine's default concurrency. */
/* gather_engine_trace: every state change, named, in order; a redirect
 * goes back to pending (a new request), never to the start. */
struct trace {
	char log[2048];
	unsigned n;
};

static void on_trace(const char *url, const char *from, const char *to, void *arg)
{
	struct trace *t = arg;
	size_t len = strlen(t->log);
	(void)url;
	snprintf(t->log + len, sizeof t->log - len, "%s%s>%s", t->n++ ? " " : "", from, to);
}

START_TEST(test_trace_states)
{
	struct fetchrun fr;
	struct trace t = { "", 0 };
	char err[256];
	fr_init(&fr, NULL);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	gather_engine_trace(fr.e, on_trace, &t);
	fr_add(&fr, "/redirect/1", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 8000), 1);
	ck_assert_int_eq(fr.res[0]->status, 200);
	/* the 302 (no body), then the target on the same kept-alive
	 * connection (pending finds it pooled: no resolve, no connect) */
	ck_assert_msg(strcmp(t.log, "pending>resolve resolve>connect connect>send send>head head>done "
	                            "done>redirect redirect>pending pending>send send>head "
	                            "head>body body>done done>end") == 0, "%s", t.log);
	/* trace off: nothing more is logged */
	gather_engine_trace(fr.e, NULL, NULL);
	unsigned n = t.n;
	fr_add(&fr, "/status/200", 0);
	ck_assert_uint_eq(fr_run(&fr, 8000), 2);
	ck_assert_uint_eq(t.n, n);
	fr_free(&fr);
}
END_TEST

START_TEST(test_row_alone)
{
	const struct row *r = &rows[_i];
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	apply(&fr, r);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, r->path, GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 8000), 1);
	check_row(r, fr.res[0]);
	ck_assert_str_eq(fr.res[0]->url + strlen(fr.res[0]->url) - strlen(r->path), r->path);
	fr_free(&fr);
}
END_TEST

/* The behaviour between good fetches on one connection (concurrency 1,
 * per_host 1): the good ones succeed, and they share connections. */
START_TEST(test_row_in_batch)
{
	const struct row *r = &rows[_i];
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	apply(&fr, r);
	fr.o.concurrency = 1;
	fr.o.per_host = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, r->path, GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 10000), 5);
	check_good(fr.res[0], r->path);
	check_good(fr.res[1], r->path);
	check_row(r, fr.res[2]);
	check_good(fr.res[3], r->path);
	check_good(fr.res[4], r->path);
	/* keep-alive: the two before share one connection, so do the two after */
	ck_assert_msg(testserver_conns(fr.ts) <= 3 + r->max_redirs + r->conns + (strstr(r->path, "loop") ? 10 : 0),
	              "%s: %u connections", r->path, testserver_conns(fr.ts));
	struct gather_engine_stats st;
	gather_engine_stats(fr.e, &st);
	ck_assert_uint_ge(st.conns_reused, 2);
	fr_free(&fr);
}
END_TEST

static bool row_plain(const struct row *r)
{
	return !r->max_body && !r->max_head && !r->max_headers && !r->max_redirs && !r->first_ms && !r->idle_ms && !r->total_ms;
}

/* Every default-limit behaviour at once, shuffled, 8 at a time over 3
 * connections: each still gets its own outcome. */
START_TEST(test_mixed_batch)
{
	struct fetchrun fr;
	char err[256];
	const struct row *picked[FR_MAX];
	unsigned n = 0, conns = 0;
	uint64_t x = 12345;
	fr_init(&fr, NULL);
	fr.o.concurrency = 8;
	fr.o.per_host = 3;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	for (unsigned round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && n < FR_MAX; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			const struct row *r = &rows[(i + x) % (sizeof(rows) / sizeof(rows[0]))];
			if (!row_plain(r))
				continue;
			picked[n++] = r;
			conns += r->conns;
			fr_add(&fr, r->path, GATHER_FETCH_KEEP_BODY);
		}
	ck_assert_uint_eq(fr_run(&fr, 15000), n);
	for (unsigned i = 0; i < n; i++)
		check_row(picked[i], fr.res[i]);
	ck_assert_uint_le(testserver_conns(fr.ts), n + conns);
	fr_free(&fr);
}
END_TEST

START_TEST(test_keepalive_reuse)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	for (int i = 0; i < 20; i++)
		fr_add(&fr, i % 2 ? "/chunked" : "/status/200", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 20);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(fr.res[i]->status, 200);
	ck_assert_uint_eq(testserver_conns(fr.ts), 1);
	ck_assert_uint_eq(testserver_requests(fr.ts), 20);
	struct gather_engine_stats st;
	gather_engine_stats(fr.e, &st);
	ck_assert_uint_eq(st.conns_opened, 1);
	ck_assert_uint_eq(st.conns_reused, 19);
	ck_assert_uint_eq(st.completed, 20);
	fr_free(&fr);
}
END_TEST

/* per_host bounds the connections to one origin; without it (0) the same
 * batch opens one connection per fetch. */
START_TEST(test_per_host)
{
	for (int limited = 1; limited >= 0; limited--) {
		struct fetchrun fr;
		char err[256];
		fr_init(&fr, NULL);
		fr.o.concurrency = 8;
		fr.o.per_host = limited ? 2 : 0;
		ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
		for (int i = 0; i < 8; i++)
			fr_add(&fr, "/slow/100", 0);
		ck_assert_uint_eq(fr_run(&fr, 5000), 8);
		for (int i = 0; i < 8; i++)
			ck_assert_int_eq(fr.res[i]->status, 200);
		if (limited)
			ck_assert_uint_eq(testserver_conns(fr.ts), 2);
		else
			ck_assert_uint_eq(testserver_conns(fr.ts), 8);
		fr_free(&fr);
	}
}
END_TEST

/* The server closes a pooled connection as the next request arrives: the
 * request is repeated once on a fresh connection, not counted as a retry. */
START_TEST(test_reused_connection_retry)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/drop-next", 0);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 5000), 2);
	ck_assert_int_eq(fr.res[0]->status, 200);
	check_good(fr.res[1], "after drop");
	ck_assert_uint_eq(fr.res[1]->attempts, 1);
	ck_assert_uint_eq(testserver_conns(fr.ts), 2);
	fr_free(&fr);
}
END_TEST

/* A pooled connection closed by the peer while idle is dropped, not used. */
START_TEST(test_idle_close_detected)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/close-idle", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 1);
	fr_idle(&fr, 150);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 5000), 2);
	check_good(fr.res[1], "after idle close");
	ck_assert_uint_eq(testserver_conns(fr.ts), 2);
	struct gather_engine_stats st;
	gather_engine_stats(fr.e, &st);
	ck_assert_uint_eq(st.conns_reused, 0);
	fr_free(&fr);
}
END_TEST

/* keepalive_ms: an idle pooled connection is closed after it. */
START_TEST(test_keepalive_timeout)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.concurrency = 1;
	fr.o.keepalive_ms = 100;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/status/200", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 1);
	fr_idle(&fr, 250);
	fr_add(&fr, "/status/200", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 2);
	ck_assert_uint_eq(testserver_conns(fr.ts), 2);
	fr_free(&fr);
}
END_TEST

START_TEST(test_retry_after)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.retries = 2;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/retry-after/2?s=0", GATHER_FETCH_KEEP_BODY);   /* succeeds on the 3rd */
	fr_add(&fr, "/retry-after/5?s=0&k=1", GATHER_FETCH_KEEP_BODY); /* retries run out */
	fr_add(&fr, "/retry-after/1", GATHER_FETCH_KEEP_BODY);       /* Retry-After: 1 */
	fr_add(&fr, "/retry-after/1?date=1", GATHER_FETCH_KEEP_BODY); /* an HTTP-date */
	ck_assert_uint_eq(fr_run(&fr, 8000), 4);
	ck_assert_int_eq(fr.res[3]->status, 200);
	ck_assert_uint_eq(fr.res[3]->attempts, 2);
	ck_assert_int_eq(fr.res[0]->status, 200);
	ck_assert_int_eq(fr.res[0]->err, 0);
	ck_assert_uint_eq(fr.res[0]->attempts, 3);
	ck_assert_uint_eq(fr.res[0]->body.len, 3);
	ck_assert_int_eq(fr.res[1]->status, 503);
	ck_assert_int_eq(fr.res[1]->err, 0);
	ck_assert_uint_eq(fr.res[1]->attempts, 3);
	ck_assert_int_eq(fr.res[2]->status, 200);
	ck_assert_uint_eq(fr.res[2]->attempts, 2);
	/* a retried-then-200 answer keeps no Retry-After */
	ck_assert_uint_eq(fr.res[2]->retry_after_ms, 0);
	ck_assert_uint_eq(fr.res[3]->retry_after_ms, 0);
	ck_assert_uint_ge(fr.res[2]->time_ms, 900);
	fr_free(&fr);
}
END_TEST

/* retries = 0: no retry; retry_max_wait_ms caps Retry-After; the total
 * timeout is never crossed by a wait. */
START_TEST(test_retry_limits)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.retries = 0;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/retry-after/1?s=0", 0);
	fr_add(&fr, "/retry-after/1?s=7", 0);
	fr_add(&fr, "/retry-after/1?s=soon", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 3);
	ck_assert_int_eq(fr.res[0]->status, 503);
	ck_assert_uint_eq(fr.res[0]->attempts, 1);
	/* the final 503's Retry-After is in the result, 0 when none or bad */
	ck_assert_uint_eq(fr.res[0]->retry_after_ms, 0);
	ck_assert_int_eq(fr.res[1]->status, 503);
	ck_assert_uint_eq(fr.res[1]->retry_after_ms, 7000);
	ck_assert_int_eq(fr.res[2]->status, 503);
	ck_assert_uint_eq(fr.res[2]->retry_after_ms, 0);
	fr_free(&fr);

	fr_init(&fr, NULL);
	fr.o.retries = 1;
	fr.o.retry_max_wait_ms = 100;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/retry-after/1?s=30", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 1);
	ck_assert_int_eq(fr.res[0]->status, 200);
	ck_assert_uint_lt(fr.res[0]->time_ms, 1000);
	fr_free(&fr);

	fr_init(&fr, NULL);
	fr.o.retries = 3;
	fr.o.timeout_ms = 500;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/retry-after/3?s=1", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 1);
	ck_assert_int_eq(fr.res[0]->status, 503); /* the wait would cross 500 ms */
	ck_assert_uint_eq(fr.res[0]->attempts, 1);
	ck_assert_uint_lt(fr.res[0]->time_ms, 500);
	fr_free(&fr);
}
END_TEST

static uint16_t closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	close(fd);
	return ntohs(sin.sin_port);
}

START_TEST(test_connect_refused_retries)
{
	struct fetchrun fr;
	char err[256], url[64];
	fr_init(&fr, NULL);
	fr.o.retries = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", closed_port());
	fr_add(&fr, url, 0);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 5000), 2);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_CONNECT);
	ck_assert_ptr_nonnull(strstr(fr.res[0]->message, "connection refused"));
	ck_assert_uint_eq(fr.res[0]->attempts, 2);
	ck_assert_uint_ge(fr.res[0]->time_ms, 200); /* one backoff of >= 250 ms */
	ck_assert_int_eq(fr.res[0]->status, 0);
	check_good(fr.res[1], "beside refused");
	fr_free(&fr);
}
END_TEST

/* A listener whose accept queue is full drops SYNs: connect() hangs and
 * the connect timer ends it (and it is retried, as a connect error). */
START_TEST(test_connect_timeout)
{
	struct fetchrun fr;
	char err[256], url[64];
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[3];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	for (int i = 0; i < 3; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	fr_init(&fr, NULL);
	fr.o.connect_timeout_ms = 300;
	fr.o.retries = 1;
	fr.o.retry_max_wait_ms = 50;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sin.sin_port));
	fr_add(&fr, url, 0);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 5000), 2);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_TIMEOUT);
	ck_assert_msg(strstr(fr.res[0]->message, "connect timed out after 300 ms"), "%s", fr.res[0]->message);
	ck_assert_uint_eq(fr.res[0]->attempts, 2);
	ck_assert_uint_ge(fr.res[0]->time_ms, 600);
	check_good(fr.res[1], "beside a hanging connect");
	fr_free(&fr);
	for (int i = 0; i < 3; i++)
		close(fill[i]);
	close(lfd);
}
END_TEST

/* localhost goes through evdns (/etc/hosts); ::1 (if listed first) is
 * refused, 127.0.0.1 answers. */
START_TEST(test_dns_localhost)
{
	struct fetchrun fr;
	char err[256], url[64];
	fr_init(&fr, NULL);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	snprintf(url, sizeof(url), "http://localhost:%u/status/200", testserver_port(fr.ts));
	fr_add(&fr, url, GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "http://no-such-host.invalid./", 0);
	ck_assert_uint_eq(fr_run(&fr, 8000), 2);
	check_good(fr.res[0], "localhost");
	ck_assert_int_eq(fr.res[1]->err, GATHER_E_DNS);
	fr_free(&fr);
}
END_TEST

START_TEST(test_bad_url_async)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "notaurl", 0);
	fr_add(&fr, "ftp://example.com/", 0);
	ck_assert_uint_eq(fr.ndone, 0); /* never from inside gather_engine_fetch */
	ck_assert_uint_eq(fr_run(&fr, 2000), 2);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_BAD_URL);
	ck_assert_int_eq(fr.res[1]->err, GATHER_E_BAD_URL);
	ck_assert_ptr_null(fr.res[0]->final_url);
	ck_assert_str_eq(fr.res[0]->url, "notaurl");
	fr_free(&fr);
}
END_TEST

static void cancel_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	gather_engine_cancel_all(arg);
}

START_TEST(test_cancel_all)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.concurrency = 2;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	for (int i = 0; i < 4; i++)
		fr_add(&fr, "/silence", 0); /* two running, two pending */
	struct timeval tv = { 0, 100000 };
	event_base_once(fr.base, -1, EV_TIMEOUT, cancel_cb, fr.e, &tv);
	ck_assert_uint_eq(fr_run(&fr, 3000), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(fr.res[i]->err, GATHER_E_CANCELLED);
	ck_assert_uint_eq(gather_engine_inflight(fr.e), 0);
	/* the engine still works */
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 3000), 5);
	check_good(fr.res[4], "after cancel");
	fr_free(&fr);
}
END_TEST

START_TEST(test_free_cancels)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/silence", 0);
	fr_add(&fr, "/slow/1000", 0);
	fr_idle(&fr, 100);
	ck_assert_uint_eq(gather_engine_inflight(fr.e), 2);
	gather_engine_free(fr.e);
	fr.e = NULL;
	ck_assert_uint_eq(fr.ndone, 2);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_CANCELLED);
	ck_assert_int_eq(fr.res[1]->err, GATHER_E_CANCELLED);
	fr_free(&fr);
}
END_TEST

START_TEST(test_request_head)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.data = strdup("a=1&b");
	gather_strv_push(&fr.o.headers, "User-Agent: tester/1");
	gather_strv_push(&fr.o.headers, "X-Extra: yes");
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/echo?q=1", GATHER_FETCH_KEEP_BODY | GATHER_FETCH_KEEP_RAW);
	ck_assert_uint_eq(fr_run(&fr, 3000), 1);
	struct gather_result *r = fr.res[0];
	ck_assert_int_eq(r->status, 200);
	char *b = strndup(r->body.data, r->body.len);
	char host[64];
	snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%u\r\n", testserver_port(fr.ts));
	ck_assert_ptr_nonnull(strstr(b, "POST /echo?q=1 HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(b, host));
	ck_assert_ptr_nonnull(strstr(b, "\r\nUser-Agent: tester/1\r\n"));
	ck_assert_ptr_null(strstr(b, "gather/"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nX-Extra: yes\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nAccept: */*\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nContent-Length: 5\r\n\r\na=1&b"));
	/* KEEP_RAW: the head as sent is the head the server echoed */
	ck_assert_uint_eq(r->req_head.len + 5, r->body.len);
	ck_assert(memcmp(r->req_head.data, r->body.data, r->req_head.len) == 0);
	ck_assert_ptr_nonnull(r->resp_head.data);
	ck_assert(strncmp(r->resp_head.data, "HTTP/1.1 200", 12) == 0);
	ck_assert_uint_eq(r->raw_body.len, r->body.len);
	ck_assert_str_eq(r->content_type, "text/plain");
	ck_assert_uint_gt(r->start_unix_ms, 1600000000000ull);
	free(b);
	fr_free(&fr);
}
END_TEST

/* A request far larger than the socket buffer: the first write takes
 * part of it, the rest goes out as the socket drains (conn.c's write
 * event), and the server gets every byte in order. */
START_TEST(test_large_request_body)
{
	struct fetchrun fr;
	char err[256];
	const size_t n = 8u << 20;
	fr_init(&fr, NULL);
	fr.o.data = malloc(n + 1);
	ck_assert_ptr_nonnull(fr.o.data);
	for (size_t i = 0; i < n; i++)
		fr.o.data[i] = (char)('a' + (i * 7 + i / 4093) % 26);
	fr.o.data[n] = '\0';
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/echo", GATHER_FETCH_KEEP_BODY | GATHER_FETCH_KEEP_RAW);
	ck_assert_uint_eq(fr_run(&fr, 20000), 1);
	struct gather_result *r = fr.res[0];
	ck_assert_int_eq(r->err, 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->body.len, r->req_head.len + n);
	ck_assert(memcmp(r->body.data + r->req_head.len, fr.o.data, n) == 0);
	fr_free(&fr);
}
END_TEST

/* 303 (and 302 after POST) turns the request into a GET without a body. */
START_TEST(test_redirect_post_to_get)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.data = strdup("payload");
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/redirect-to?url=%2Fecho&status=303", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/redirect-to?url=%2Fecho&status=307", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 3000), 2);
	char *b0 = strndup(fr.res[0]->body.data, fr.res[0]->body.len);
	char *b1 = strndup(fr.res[1]->body.data, fr.res[1]->body.len);
	ck_assert_ptr_nonnull(strstr(b0, "GET /echo HTTP/1.1"));
	ck_assert_ptr_null(strstr(b0, "payload"));
	ck_assert_ptr_nonnull(strstr(b1, "POST /echo HTTP/1.1"));
	ck_assert_ptr_nonnull(strstr(b1, "payload"));
	ck_assert_uint_eq(fr.res[0]->redirects, 1);
	ck_assert_ptr_nonnull(strstr(fr.res[0]->final_url, "/echo"));
	free(b0);
	free(b1);
	fr_free(&fr);
}
END_TEST

START_TEST(test_head_request)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.method = strdup("HEAD");
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/bytes/5000", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/bytes/10", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 3000), 2);
	/* the server sends bodies anyway (it ignores HEAD): the first response's
	 * body is junk after a complete bodiless response, so no reuse */
	ck_assert_int_eq(fr.res[0]->status, 200);
	ck_assert_uint_eq(fr.res[0]->bytes, 0);
	ck_assert_int_eq(fr.res[1]->status, 200);
	ck_assert_uint_eq(testserver_conns(fr.ts), 2);
	fr_free(&fr);
}
END_TEST

START_TEST(test_redirect_hook)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.refuse_redirects_to = "/redirect/1";
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/redirect/3", 0);
	ck_assert_uint_eq(fr_run(&fr, 3000), 1);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_SCOPE);
	ck_assert_int_eq(fr.res[0]->status, 302);
	ck_assert_uint_eq(fr.res[0]->redirects, 1);
	ck_assert_ptr_nonnull(strstr(fr.res[0]->final_url, "/redirect/1"));
	/* the refused 302 came from /redirect/2: the WARC files it there */
	ck_assert_ptr_nonnull(fr.res[0]->sent_url);
	ck_assert_ptr_nonnull(strstr(fr.res[0]->sent_url, "/redirect/2"));
	fr_free(&fr);
}
END_TEST

/* A redirect followed to its end, or not followed because of the limit:
 * the last response answered final_url, and sent_url stays NULL. */
START_TEST(test_sent_url_only_when_not_followed)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.max_redirs = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/redirect/1", 0);
	fr_add(&fr, "/redirect/3", 0);
	fr_add(&fr, "/redirect-to?url=ftp%3A%2F%2Fexample.com%2Fx", 0);
	ck_assert_uint_eq(fr_run(&fr, 3000), 3);
	for (int i = 0; i < 3; i++) {
		const struct gather_result *r = fr.res[i];
		if (strstr(r->url, "/redirect-to")) {
			ck_assert_int_eq(r->err, GATHER_E_BAD_URL);
			ck_assert_str_eq(r->final_url, "ftp://example.com/x");
			ck_assert_ptr_nonnull(r->sent_url);
			ck_assert_ptr_nonnull(strstr(r->sent_url, "/redirect-to?url=ftp"));
		} else {
			ck_assert_ptr_null(r->sent_url);
			ck_assert_ptr_nonnull(r->final_url);
		}
	}
	fr_free(&fr);
}
END_TEST

START_TEST(test_bad_header_option)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	gather_strv_push(&fr.o.headers, "X-Evil: a\r\nInjected: b");
	ck_assert_ptr_null(fr_engine(&fr, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "CR/LF"));
	fr_free(&fr);
}
END_TEST

/* compressed off: no Accept-Encoding, bodies kept as sent. */
START_TEST(test_not_compressed)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.compressed = false;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/echo", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/gzip", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 3000), 2);
	ck_assert_ptr_null(memmem(fr.res[0]->body.data, fr.res[0]->body.len, "Accept-Encoding", 15));
	ck_assert_uint_ne(fr.res[1]->body.len, strlen(TESTSERVER_TEXT));
	ck_assert_uint_eq((unsigned char)fr.res[1]->body.data[0], 0x1f);
	fr_free(&fr);
}
END_TEST

/* IPv6 literal: brackets in the URL and in Host, the address in ip. */
START_TEST(test_ipv6_literal)
{
	struct fetchrun fr;
	char err[256], url[64], host[64];
	fr_init(&fr, NULL);
	if (!testserver_has_ipv6(fr.ts)) {
		fr_free(&fr);
		return; /* no ::1 here */
	}
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	snprintf(url, sizeof(url), "http://[::1]:%u/echo", testserver_port(fr.ts));
	fr_add(&fr, url, GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 3000), 1);
	ck_assert_int_eq(fr.res[0]->status, 200);
	snprintf(host, sizeof(host), "\r\nHost: [::1]:%u\r\n", testserver_port(fr.ts));
	ck_assert_ptr_nonnull(memmem(fr.res[0]->body.data, fr.res[0]->body.len, host, strlen(host)));
	ck_assert_str_eq(fr.res[0]->ip, "::1");
	fr_free(&fr);
}
END_TEST

/* The total connection limit (= concurrency): reaching another origin
 * closes an idle connection of the first. */
START_TEST(test_total_conn_limit)
{
	struct fetchrun fr;
	char err[256], url[64];
	fr_init(&fr, NULL);
	struct testserver *other = testserver_new(fr.base, NULL);
	ck_assert_ptr_nonnull(other);
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/status/200", testserver_port(other));
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, url, GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 3000), 4);
	for (int i = 0; i < 4; i++)
		check_good(fr.res[i], "two origins");
	ck_assert_uint_eq(testserver_conns(fr.ts), 2);
	ck_assert_uint_eq(testserver_conns(other), 1);
	gather_engine_free(fr.e);
	fr.e = NULL;
	testserver_free(other);
	fr_free(&fr);
}
END_TEST

/* KEEP_RAW keeps the transfer-decoded body, KEEP_BODY the content-decoded. */
START_TEST(test_raw_vs_decoded)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/gzip", GATHER_FETCH_KEEP_BODY | GATHER_FETCH_KEEP_RAW);
	fr_add(&fr, "/chunked", GATHER_FETCH_KEEP_BODY | GATHER_FETCH_KEEP_RAW);
	ck_assert_uint_eq(fr_run(&fr, 3000), 2);
	struct gather_result *g = fr.res[0], *c = fr.res[1];
	ck_assert_uint_eq(g->body.len, strlen(TESTSERVER_TEXT));
	ck_assert_uint_eq(g->bytes, strlen(TESTSERVER_TEXT));
	ck_assert((unsigned char)g->raw_body.data[0] == 0x1f && (unsigned char)g->raw_body.data[1] == 0x8b);
	ck_assert_ptr_nonnull(strstr(g->resp_head.data, "Content-Encoding: gzip"));
	ck_assert_uint_eq(c->raw_body.len, strlen(TESTSERVER_TEXT)); /* chunk framing removed */
	ck_assert(memcmp(c->raw_body.data, TESTSERVER_TEXT, c->raw_body.len) == 0);
	fr_free(&fr);
}
END_TEST

static void unpause_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetchrun *fr = arg;
	(void)fd, (void)what;
	ck_assert_uint_eq(fr->ndone, 0); /* nothing read while paused */
	gather_engine_pause_reads(fr->e, 0);
}

START_TEST(test_pause_reads)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	gather_engine_pause_reads(fr.e, 1);
	fr_add(&fr, "/bytes/1000", 0);
	fr_add(&fr, "/status/200", 0);
	struct timeval tv = { 0, 200000 };
	event_base_once(fr.base, -1, EV_TIMEOUT, unpause_cb, &fr, &tv);
	ck_assert_uint_eq(fr_run(&fr, 3000), 2);
	ck_assert_int_eq(fr.res[0]->status, 200);
	ck_assert_uint_eq(fr.res[0]->bytes, 1000);
	ck_assert_uint_ge(fr.res[0]->time_ms, 190);
	struct gather_engine_stats st;
	gather_engine_stats(fr.e, &st);
	ck_assert_uint_gt(st.bytes_in, 1000);
	fr_free(&fr);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("rows");
	tcase_set_timeout(tc, 30);
	int nrows = (int)(sizeof(rows) / sizeof(rows[0]));
	tcase_add_loop_test(tc, test_row_alone, 0, nrows);
	tcase_add_loop_test(tc, test_row_in_batch, 0, nrows);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mixed_batch);
	tcase_add_test(tc, test_keepalive_reuse);
	tcase_add_test(tc, test_trace_states);
	tcase_add_test(tc, test_per_host);
	tcase_add_test(tc, test_reused_connection_retry);
	tcase_add_test(tc, test_idle_close_detected);
	tcase_add_test(tc, test_keepalive_timeout);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_retry_limits);
	tcase_add_test(tc, test_connect_refused_retries);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_dns_localhost);
	tcase_add_test(tc, test_bad_url_async);
	tcase_add_test(tc, test_cancel_all);
	tcase_add_test(tc, test_free_cancels);
	tcase_add_test(tc, test_request_head);
	tcase_add_test(tc, test_large_request_body);
	tcase_add_test(tc, test_redirect_post_to_get);
	tcase_add_test(tc, test_head_request);
	tcase_add_test(tc, test_redirect_hook);
	tcase_add_test(tc, test_sent_url_only_when_not_followed);
	tcase_add_test(tc, test_bad_header_option);
	tcase_add_test(tc, test_not_compressed);
	tcase_add_test(tc, test_pause_reads);
	tcase_add_test(tc, test_ipv6_literal);
	tcase_add_test(tc, test_total_conn_limit);
	tcase_add_test(tc, test_raw_vs_decoded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
