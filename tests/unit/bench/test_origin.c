/* test_origin.c — lib/bench: the generated site (page count, every page
 * reachable from the seed through its rendered HTML as gather resolves and
 * normalizes links, the disallowed part linked from allowed pages and
 * disallowed by its own robots.txt, one seed one site), the origin over
 * loopback (plain, gzip, TLS trusted through its certificate file, counts,
 * unnormalized targets counted apart) and the checker (exact on a perfect
 * run, not exact when a record is missing). */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/thread.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "bench/check.h"
#include "bench/origin.h"
#include "bench/site.h"
#include "crawl/robots.h"
#include "gather/error.h"
#include "url/url.h"
#include "ckmain.h"

#define BASE "http://127.0.0.1:9"

static struct bench_site *site(uint32_t n, uint64_t seed)
{
	char err[200];
	struct bench_site *s = bench_site_new(n, 1024, seed, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

static size_t count_pages(const struct bench_site *s)
{
	size_t n = 0;
	for (uint32_t i = 0; i < s->n; i++)
		n += s->u[i].kind == BENCH_PAGE || s->u[i].kind == BENCH_LIST || s->u[i].kind == BENCH_NEW;
	return n;
}

START_TEST(test_page_count)
{
	static const uint32_t sizes[] = { 1, 2, 9, 99, 100, 199, 200, 2000, 10001 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		struct bench_site *s = site(sizes[i], 7);
		uint32_t *ids = malloc(s->n * sizeof *ids);
		ck_assert_uint_eq(count_pages(s), sizes[i]);
		ck_assert_uint_eq(bench_site_page_ids(s, ids), sizes[i]);
		free(ids);
		bench_site_free(s);
	}
	char err[200];
	ck_assert_ptr_null(bench_site_new(0, 1024, 1, err, sizeof err));
	ck_assert_ptr_null(bench_site_new(10, 10, 1, err, sizeof err));
	ck_assert_ptr_null(bench_site_new(BENCH_MAX_PAGES + 1, 1024, 1, err, sizeof err));
}
END_TEST

/* The ids page id links to, read from its rendered HTML: every href
 * resolved against the page's URL and normalized by gather's URL code,
 * then looked up in the site. */
static size_t rendered_links(const struct bench_site *s, uint32_t id, int64_t *out, size_t cap)
{
	char *body, page[512];
	size_t len, n = 0;
	snprintf(page, sizeof page, "%s%s", BASE, s->u[id].path);
	ck_assert_int_eq(bench_site_render(s, id, BASE, &body, &len), 0);
	ck_assert_uint_eq(strlen(body), len);
	for (const char *p = body; (p = strstr(p, "href=\"")); ) {
		p += 6;
		const char *e = strchr(p, '"');
		char ref[512], *abs = NULL, *norm = NULL;
		snprintf(ref, sizeof ref, "%.*s", (int)(e - p), p);
		ck_assert_int_eq(gather_url_resolve(page, ref, &abs), 0);
		ck_assert_int_eq(gather_url_normalize(abs, &norm), 0);
		ck_assert_msg(strncmp(norm, BASE "/", strlen(BASE) + 1) == 0, "%s -> %s", ref, norm);
		int64_t t = bench_site_lookup(s, norm + strlen(BASE), strlen(norm + strlen(BASE)));
		ck_assert_msg(t >= 0, "%s on %s resolves to %s, not a URL of the site", ref, page, norm);
		ck_assert_uint_lt(n, cap);
		out[n++] = t;
		free(abs);
		free(norm);
		p = e;
	}
	free(body);
	return n;
}

START_TEST(test_reachable)
{
	struct bench_site *s = site(2000, 3);
	char *rb;
	size_t rl;
	ck_assert_int_eq(bench_site_render(s, s->robots_id, BASE, &rb, &rl), 0);
	struct gather_robots *rules = gather_robots_parse(rb, rl, "gather/1");
	int8_t *state = calloc(s->n, 1);   /* 1 queued, 2 refused */
	uint32_t *q = malloc(s->n * sizeof *q);
	size_t head = 0, tail = 0, forms[BENCH_FORMS] = { 0 }, private_links = 0;
	int64_t links[256];

	q[tail++] = 0;
	state[0] = 1;
	while (head < tail) {
		uint32_t id = q[head++];
		const struct bench_url *u = &s->u[id];
		char url[512];
		snprintf(url, sizeof url, "%s%s", BASE, u->path);
		ck_assert_msg(gather_robots_allowed(rules, url), "%s disallowed", url);
		if (u->kind == BENCH_OLD) {   /* the origin's 301 */
			ck_assert_int_eq(bench_site_status(s, id), 301);
			if (!state[u->target]) {
				state[u->target] = 1;
				q[tail++] = u->target;
			}
			continue;
		}
		if (u->kind == BENCH_GONE) {
			ck_assert_int_eq(bench_site_status(s, id), 404);
			continue;
		}
		size_t n = rendered_links(s, id, links, 256);
		ck_assert_uint_eq(n, u->nlinks);   /* the table is what the HTML says */
		for (size_t k = 0; k < n; k++) {
			ck_assert_int_eq(links[k], (int64_t)u->links[k].to);
			forms[u->links[k].form]++;
			const struct bench_url *t = &s->u[links[k]];
			char tu[512];
			snprintf(tu, sizeof tu, "%s%s", BASE, t->path);
			if (t->kind == BENCH_PRIVATE) {
				ck_assert_msg(!gather_robots_allowed(rules, tu), "%s allowed", tu);
				private_links++;
				state[links[k]] = 2;
				continue;
			}
			if (!state[links[k]]) {
				state[links[k]] = 1;
				q[tail++] = (uint32_t)links[k];
			}
		}
	}
	size_t pages = 0;
	for (uint32_t id = 0; id < s->n; id++) {
		enum bench_kind k = s->u[id].kind;
		if (k == BENCH_PAGE || k == BENCH_LIST || k == BENCH_NEW) {
			ck_assert_msg(state[id] == 1, "%s unreachable", s->u[id].path);
			pages++;
		}
		if (k == BENCH_PRIVATE)
			ck_assert_msg(state[id] == 2, "%s never linked", s->u[id].path);
	}
	ck_assert_uint_eq(pages, 2000);
	ck_assert_uint_gt(private_links, 0);
	for (int f = 0; f < BENCH_FORMS; f++)   /* every spelling is used */
		ck_assert_uint_gt(forms[f], 10);
	/* The site's own expectation says the same. */
	uint8_t *ef = calloc(s->n, 1), *er = calloc(s->n, 1);
	bench_site_expect(s, BENCH_CRAWL, ef, er);
	for (uint32_t id = 0; id < s->n; id++) {
		enum bench_kind k = s->u[id].kind;
		bool fetched = state[id] == 1;
		ck_assert_int_eq(ef[id], k == BENCH_ROBOTS ? 1 : fetched);
		ck_assert_int_eq(er[id], fetched || state[id] == 2); /* NEW: a record of its own */
	}
	free(ef);
	free(er);
	gather_robots_free(rules);
	free(rb);
	free(state);
	free(q);
	bench_site_free(s);
}
END_TEST

static bool same_site(const struct bench_site *a, const struct bench_site *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t id = 0; id < a->n; id++) {
		char *x, *y;
		size_t xl, yl;
		ck_assert_int_eq(bench_site_render(a, id, BASE, &x, &xl), 0);
		ck_assert_int_eq(bench_site_render(b, id, BASE, &y, &yl), 0);
		bool same = strcmp(a->u[id].path, b->u[id].path) == 0 && xl == yl && memcmp(x, y, xl) == 0;
		free(x);
		free(y);
		if (!same)
			return false;
	}
	return true;
}

START_TEST(test_seed)
{
	struct bench_site *a = site(500, 42), *b = site(500, 42), *c = site(500, 43);
	ck_assert(same_site(a, b));
	ck_assert(!same_site(a, c));
	bench_site_free(a);
	bench_site_free(b);
	bench_site_free(c);
}
END_TEST

/* ---- the origin over loopback ------------------------------------------- */

struct reply {
	int status;
	char head[4096];
	char *body;
	size_t len;
};

static int connect_to(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { 5, 0 };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* One request with Connection: close, read to EOF (bounded by the socket
 * timeouts and a size cap), through ssl when given. */
static void get(uint16_t port, SSL_CTX *tls, const char *target, const char *extra, struct reply *r)
{
	int fd = connect_to(port);
	SSL *ssl = NULL;
	char req[1024], *buf = malloc(1 << 20);
	size_t n = 0;
	if (tls) {
		ssl = SSL_new(tls);
		SSL_set_fd(ssl, fd);
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
		ck_assert_int_eq(SSL_connect(ssl), 1);
		ck_assert_int_eq(SSL_get_verify_result(ssl), X509_V_OK);
	}
	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
	         target, extra);
	if (ssl)
		ck_assert_int_gt(SSL_write(ssl, req, (int)strlen(req)), 0);
	else
		ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (int i = 0; i < 10000 && n < (1 << 20) - 1; i++) {
		int k = ssl ? SSL_read(ssl, buf + n, (int)((1 << 20) - 1 - n))
		            : (int)read(fd, buf + n, (1 << 20) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	char *eoh = strstr(buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(eoh);
	snprintf(r->head, sizeof r->head, "%.*s", (int)(eoh - buf), buf);
	ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
	r->len = n - (size_t)(eoh + 4 - buf);
	r->body = malloc(r->len + 1);
	memcpy(r->body, eoh + 4, r->len);
	r->body[r->len] = '\0';
	free(buf);
	if (ssl)
		SSL_free(ssl);
	close(fd);
}

static void expect_page(const struct bench_site *s, const struct bench_origin *o, uint32_t id,
                        const struct reply *r)
{
	char *want;
	size_t wl;
	ck_assert_int_eq(bench_site_render(s, id, bench_origin_base(o), &want, &wl), 0);
	ck_assert_uint_eq(r->len, wl);
	ck_assert(memcmp(r->body, want, wl) == 0);
	free(want);
}

static struct bench_origin *origin(const struct bench_site *s, bool gzip, bool tls)
{
	char err[200];
	struct bench_origin_conf c = { .gzip = gzip, .tls = tls, .bare_id = -1 };
	struct bench_origin *o = bench_origin_new(s, &c, err, sizeof err);
	ck_assert_msg(o != NULL, "%s", err);
	ck_assert_int_eq(bench_origin_start(o), 0);
	ck_assert_uint_gt(bench_origin_port(o), 0);
	return o;
}

START_TEST(test_serve)
{
	struct bench_site *s = site(300, 5);
	struct bench_origin *o = origin(s, false, false);
	struct reply r;
	uint32_t page = 17, old = 0, gone = 0;
	for (uint32_t id = 0; id < s->n; id++) {
		if (!old && s->u[id].kind == BENCH_OLD)
			old = id;
		if (!gone && s->u[id].kind == BENCH_GONE)
			gone = id;
	}
	ck_assert_ptr_null(bench_origin_cacert(o));
	get(bench_origin_port(o), NULL, s->u[page].path, "", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: text/html"));
	expect_page(s, o, page, &r);
	free(r.body);
	get(bench_origin_port(o), NULL, s->u[old].path, "", &r);
	ck_assert_int_eq(r.status, 301);
	char loc[300];
	snprintf(loc, sizeof loc, "Location: %s%s", bench_origin_base(o), s->u[s->u[old].target].path);
	ck_assert_ptr_nonnull(strstr(r.head, loc));
	free(r.body);
	get(bench_origin_port(o), NULL, s->u[gone].path, "", &r);
	ck_assert_int_eq(r.status, 404);
	free(r.body);
	get(bench_origin_port(o), NULL, "/robots.txt", "", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "Disallow: /private/"));
	free(r.body);
	/* A spelling the origin still answers, but counts apart. */
	char odd[300];
	snprintf(odd, sizeof odd, "/x/../%s", s->u[page].path + 1);
	get(bench_origin_port(o), NULL, odd, "", &r);
	ck_assert_int_eq(r.status, 200);
	expect_page(s, o, page, &r);
	free(r.body);
	get(bench_origin_port(o), NULL, "/nothing-here", "", &r);
	ck_assert_int_eq(r.status, 404);
	free(r.body);

	bench_origin_stop(o);
	const uint32_t *cnt = bench_origin_counts(o);
	ck_assert_uint_eq(cnt[page], 1);
	ck_assert_uint_eq(cnt[old], 1);
	ck_assert_uint_eq(cnt[gone], 1);
	ck_assert_uint_eq(cnt[s->robots_id], 1);
	ck_assert_uint_eq(cnt[s->u[old].target], 0);
	const char *const *other;
	size_t nother;
	ck_assert_uint_eq(bench_origin_others(o, &other, &nother), 2);
	ck_assert_uint_eq(nother, 2);
	ck_assert_str_eq(other[0], odd);
	ck_assert_uint_eq(bench_origin_requests(o), 6);
	ck_assert(bench_origin_cpu_s(o) >= 0);
	bench_origin_free(o);
	bench_site_free(s);
}
END_TEST

START_TEST(test_gzip)
{
	struct bench_site *s = site(100, 5);
	struct bench_origin *o = origin(s, true, false);
	struct reply r;
	get(bench_origin_port(o), NULL, "/", "Accept-Encoding: gzip, br\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Encoding: gzip"));
	char *plain = malloc(1 << 16);
	z_stream z = { .next_in = (Bytef *)r.body, .avail_in = (uInt)r.len,
	               .next_out = (Bytef *)plain, .avail_out = 1 << 16 };
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	struct reply pr = { .body = plain, .len = z.total_out };
	inflateEnd(&z);
	expect_page(s, o, 0, &pr);
	ck_assert_uint_lt(r.len, pr.len);
	free(plain);
	free(r.body);
	/* no gzip for a client that does not ask */
	get(bench_origin_port(o), NULL, "/", "", &r);
	ck_assert_ptr_null(strstr(r.head, "Content-Encoding"));
	expect_page(s, o, 0, &r);
	free(r.body);
	bench_origin_free(o);
	bench_site_free(s);
}
END_TEST

START_TEST(test_tls)
{
	struct bench_site *s = site(50, 5);
	struct bench_origin *o = origin(s, false, true);
	struct reply r;
	const char *ca = bench_origin_cacert(o);
	char path[128];
	ck_assert_ptr_nonnull(ca);
	ck_assert(strncmp(bench_origin_base(o), "https://127.0.0.1:", 18) == 0);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
	get(bench_origin_port(o), ctx, "/", "", &r);
	ck_assert_int_eq(r.status, 200);
	expect_page(s, o, 0, &r);
	free(r.body);
	SSL_CTX_free(ctx);
	snprintf(path, sizeof path, "%s", ca);
	ck_assert_int_eq(access(path, R_OK), 0);
	bench_origin_free(o);
	ck_assert_int_ne(access(path, F_OK), 0);   /* trusted for this run only */
	bench_site_free(s);
}
END_TEST

/* Keep-alive over TLS: the origin writes a response as several TLS records;
 * without TCP_NODELAY the last waits for the client's delayed ACK (40 ms on
 * Linux), so 50 requests in a row on one connection took seconds.  With it,
 * each is a round trip on loopback: a second for all is very generous. */
START_TEST(test_tls_keepalive_latency)
{
	struct bench_site *s = site(50, 5);
	struct bench_origin *o = origin(s, false, true);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, bench_origin_cacert(o), NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int fd = connect_to(bench_origin_port(o));
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	ck_assert_int_eq(SSL_connect(ssl), 1);
	char *buf = malloc(1 << 16);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 50; i++) {
		char req[256];
		snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", s->u[i % 40].path);
		ck_assert_int_gt(SSL_write(ssl, req, (int)strlen(req)), 0);
		size_t n = 0, want = 0;
		for (int k = 0; k < 1000 && (want == 0 || n < want); k++) {
			int r = SSL_read(ssl, buf + n, (int)((1 << 16) - 1 - n));
			ck_assert_int_gt(r, 0);
			n += (size_t)r;
			buf[n] = '\0';
			char *eoh = strstr(buf, "\r\n\r\n"), *cl = strstr(buf, "Content-Length: ");
			if (eoh && cl && want == 0)
				want = (size_t)(eoh + 4 - buf) + strtoul(cl + 16, NULL, 10);
		}
		ck_assert_uint_eq(n, want);
		ck_assert(strncmp(buf, "HTTP/1.1 200", 12) == 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_msg(ms < 1000, "50 requests on one TLS connection took %.0f ms", ms);
	free(buf);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	bench_origin_free(o);
	bench_site_free(s);
}
END_TEST

/* ---- the checker --------------------------------------------------------- */

/* Feed c the records and counts of a perfect crawl of s, leaving out the
 * record of id skip (-1: none). */
static bool perfect_run(const struct bench_site *s, enum bench_mode mode, int64_t skip)
{
	struct bench_check c;
	uint32_t *counts = calloc(s->n, sizeof *counts);
	ck_assert_int_eq(bench_check_init(&c, s, mode, BASE), 0);
	for (uint32_t id = 0; id < s->n; id++) {
		const struct bench_url *u = &s->u[id];
		char url[512], fin[512];
		counts[id] = c.expect_fetch[id];
		if (!c.expect_record[id] || id == skip)
			continue;
		snprintf(url, sizeof url, "%s%s", BASE, u->path);
		snprintf(fin, sizeof fin, "%s%s", BASE, s->u[u->kind == BENCH_OLD ? u->target : id].path);
		if (u->kind == BENCH_PRIVATE)
			bench_check_record(&c, url, NULL, 0, GATHER_E_ROBOTS);
		else
			bench_check_record(&c, url, fin,
			                   u->kind == BENCH_GONE ? 404 : u->kind == BENCH_OLD ? 301 : 200, 0);
	}
	bool exact = bench_check_finish(&c, counts, 0, NULL, 0);
	if (skip < 0)
		ck_assert_uint_eq(c.pages, s->n_pages);
	else
		ck_assert_ptr_nonnull(strstr(c.shown[0], "no record"));
	bench_check_free(&c);
	free(counts);
	return exact;
}

START_TEST(test_check)
{
	struct bench_site *s = site(1000, 9);
	ck_assert(perfect_run(s, BENCH_CRAWL, -1));
	ck_assert(perfect_run(s, BENCH_GET, -1));
	ck_assert(!perfect_run(s, BENCH_CRAWL, 5));
	/* a duplicate record, and a request the site has not */
	struct bench_check c;
	ck_assert_int_eq(bench_check_init(&c, s, BENCH_GET, BASE), 0);
	bench_check_record(&c, BASE "/", BASE "/", 200, 0);
	bench_check_record(&c, BASE "/", BASE "/", 200, 0);
	const char *odd = "/p%31.html";
	ck_assert(!bench_check_finish(&c, NULL, 1, &odd, 1));
	ck_assert_ptr_nonnull(strstr(c.shown[0], "more than once"));
	bench_check_free(&c);
	/* a crawler that ignores robots.txt: a private page served */
	uint32_t *counts = calloc(s->n, sizeof *counts);
	uint32_t priv = 0;
	ck_assert_int_eq(bench_check_init(&c, s, BENCH_CRAWL, BASE), 0);
	for (uint32_t id = 0; id < s->n; id++) {
		counts[id] = c.expect_fetch[id];
		c.seen[id] = c.expect_record[id];   /* every record there */
		if (s->u[id].kind == BENCH_PRIVATE)
			priv = id;
	}
	ck_assert_uint_eq(counts[priv], 0);
	counts[priv] = 1;
	ck_assert(!bench_check_finish(&c, counts, 0, NULL, 0));
	ck_assert_uint_eq(c.diffs, 1);
	ck_assert_ptr_nonnull(strstr(c.shown[0], "served it 1 times, expected 0"));
	bench_check_free(&c);
	free(counts);
	bench_site_free(s);
}
END_TEST

int main(void)
{
	evthread_use_pthreads();
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_page_count);
	tcase_add_test(tc, test_reachable);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_serve);
	tcase_add_test(tc, test_gzip);
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_tls_keepalive_latency);
	tcase_add_test(tc, test_check);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
