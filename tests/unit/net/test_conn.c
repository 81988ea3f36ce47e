/* test_conn.c — a connection as a filter stack (socket, TLS over socket)
 * against the test server on 127.0.0.1, each test on a fresh event_base:
 * a request and its answer through conn_input/conn_output; the handler
 * closing the connection from inside any of its events (the conn is freed
 * after the event returns, no event follows, the socket is closed); the
 * next address after a refused one; read timeouts; reading paused. */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "fixture.h"
#include "gather/error.h"
#include "net/conn.h"
#include "testcerts.h"
#include "testserver.h"

struct t {
	struct event_base *base;
	struct testserver *ts;
	SSL_CTX *sctx, *cctx;
	struct testcerts tc;
	bool tls;
	struct conn *c;
	const char *path;           /* requested once connected */
	int close_on;               /* close inside this event (-1: at the answer's end) */
	enum conn_ev evs[64];
	unsigned nev;
	int err;
	char msg[256];
	char ip[48];
	char body[4096];
	bool done;
};

static void add_addr(struct dns_addrs *a, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&a->a[a->n];
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->len[a->n++] = sizeof(*s);
}

/* A port on 127.0.0.1 nothing listens on (bound, then closed). */
static uint16_t dead_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(s);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&s, &len), 0);
	close(fd);
	return ntohs(s.sin_port);
}

static void send_request(struct t *t)
{
	evbuffer_add_printf(conn_output(t->c), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", t->path);
	conn_flush(t->c);
}

static void handler(struct conn *c, enum conn_ev ev, int err, const char *msg, void *arg)
{
	struct t *t = arg;
	ck_assert_ptr_eq(c, t->c);
	ck_assert_msg(!t->done, "event %d after the conn was closed", ev);
	ck_assert_uint_lt(t->nev, 64);
	t->evs[t->nev++] = ev;
	if (ev == CONN_ERROR) {
		t->err = err;
		snprintf(t->msg, sizeof(t->msg), "%s", msg);
	}
	if ((ev == CONN_CONNECTED && !t->tls) || ev == CONN_TLS_DONE) {
		snprintf(t->ip, sizeof(t->ip), "%s", conn_ip(c));
		if (t->path)
			send_request(t);
	}
	if (ev == CONN_READ) {
		struct evbuffer *in = conn_input(c);
		size_t n = evbuffer_get_length(in), have = strlen(t->body);
		if (n > sizeof(t->body) - 1 - have)
			n = sizeof(t->body) - 1 - have;
		evbuffer_remove(in, t->body + have, n);
		t->body[have + n] = 0;
	}
	bool answered = strstr(t->body, "\r\n\r\n") && strstr(t->body, "status 200\n");
	if ((int)ev == t->close_on || (t->close_on == -1 && answered) || ev == CONN_ERROR ||
	    ev == CONN_EOF || ev == CONN_TIMEOUT) {
		t->done = true;
		conn_close(c);    /* inside c's own event: freed when it returns */
		t->c = NULL;
	}
}

static void t_init(struct t *t, bool tls)
{
	memset(t, 0, sizeof(*t));
	t->base = event_base_new();
	ck_assert_ptr_nonnull(t->base);
	t->tls = tls;
	if (tls) {
		ck_assert_int_eq(testcerts_make(&t->tc), 0);
		t->sctx = testcerts_server_ctx(&t->tc, t->tc.good);
		ck_assert_ptr_nonnull(t->sctx);
		t->cctx = SSL_CTX_new(TLS_client_method());
		ck_assert_ptr_nonnull(t->cctx);
		X509_STORE_add_cert(SSL_CTX_get_cert_store(t->cctx), t->tc.ca);
		SSL_CTX_set_verify(t->cctx, SSL_VERIFY_PEER, NULL);
	}
	t->ts = testserver_new(t->base, t->sctx);
	ck_assert_ptr_nonnull(t->ts);
	t->close_on = -1;
}

static void t_free(struct t *t)
{
	conn_close(t->c);
	testserver_free(t->ts);
	if (t->tls) {
		SSL_CTX_free(t->sctx);
		SSL_CTX_free(t->cctx);
		testcerts_free(&t->tc);
	}
	event_base_free(t->base);
}

/* Connects t->c to addrs; asserts conn_connect started. */
static void t_connect(struct t *t, const struct dns_addrs *a)
{
	char m[256];
	t->c = conn_new(t->base);
	ck_assert_ptr_nonnull(t->c);
	conn_set_handler(t->c, handler, t);
	SSL *ssl = NULL;
	if (t->tls) {
		ssl = SSL_new(t->cctx);
		ck_assert_ptr_nonnull(ssl);
		SSL_set1_host(ssl, "127.0.0.1");
	}
	ck_assert_int_eq(conn_connect(t->c, a, ssl, m, sizeof(m)), 0);
}

/* Runs base for ms (closes and stray events happen). */
static void t_idle(struct t *t, unsigned ms)
{
	struct timeval tv = { 0, (suseconds_t)ms * 1000 };
	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
}

/* The test server's /stats "open" count, asked on a connection of its own. */
static unsigned server_open(struct t *t)
{
	struct t s;
	memset(&s, 0, sizeof(s));
	s.base = t->base;
	s.tls = t->tls;
	s.cctx = t->cctx;
	s.path = "/stats";
	s.close_on = -2;       /* only at EOF/error, or below */
	struct dns_addrs a = { 0 };
	add_addr(&a, testserver_port(t->ts));
	t_connect(&s, &a);
	for (unsigned i = 0; i < 200 && !strstr(s.body, "requests"); i++)
		event_base_loop(t->base, EVLOOP_ONCE);
	const char *p = strstr(s.body, "open ");
	ck_assert_msg(p, "no /stats answer: \"%s\"", s.body);
	unsigned open = (unsigned)strtoul(p + 5, NULL, 10);
	conn_close(s.c);
	return open - 1;       /* not counting the /stats connection itself */
}

START_TEST(test_request)
{
	struct t t;
	t_init(&t, _i);
	struct dns_addrs a = { 0 };
	add_addr(&a, testserver_port(t.ts));
	t.path = "/status/200";
	t_connect(&t, &a);
	fixture_loop_until(t.base, &t.done, 5000);
	ck_assert_msg(strncmp(t.body, "HTTP/1.1 200", 12) == 0, "answer \"%s\"", t.body);
	ck_assert_str_eq(t.ip, "127.0.0.1");
	ck_assert_int_eq(t.evs[0], CONN_CONNECTED);
	unsigned i = 1;
	if (_i)
		ck_assert_int_eq(t.evs[i++], CONN_TLS_DONE);
	for (; i < t.nev; i++)
		ck_assert_int_eq(t.evs[i], CONN_READ);
	/* closed inside its own CONN_READ: nothing more comes, and the
	 * socket is really closed */
	unsigned nev = t.nev;
	t_idle(&t, 50);
	ck_assert_uint_eq(t.nev, nev);
	ck_assert_uint_eq(server_open(&t), 0);
	t_free(&t);
}
END_TEST

/* The handler closes the conn in each event it can get before the answer:
 * the stack must stop there (no handshake after a close in CONNECTED, no
 * read after a close in TLS_DONE) and free itself once the event returns. */
START_TEST(test_close_inside)
{
	static const int on[] = { CONN_CONNECTED, CONN_TLS_DONE };
	bool tls = _i / 2, skip = !tls && on[_i % 2] == CONN_TLS_DONE;
	if (skip)
		return;
	struct t t;
	t_init(&t, tls);
	struct dns_addrs a = { 0 };
	add_addr(&a, testserver_port(t.ts));
	t.path = "/status/200";
	t.close_on = on[_i % 2];
	t_connect(&t, &a);
	fixture_loop_until(t.base, &t.done, 5000);
	ck_assert_int_eq(t.evs[t.nev - 1], t.close_on);
	unsigned nev = t.nev;
	t_idle(&t, 50);
	ck_assert_uint_eq(t.nev, nev);
	ck_assert_uint_eq(server_open(&t), 0);
	t_free(&t);
}
END_TEST

/* A refused first address: the next one is tried; all refused: one error
 * naming the last address. */
START_TEST(test_next_address)
{
	struct t t;
	t_init(&t, _i);
	struct dns_addrs a = { 0 };
	add_addr(&a, dead_port());
	add_addr(&a, testserver_port(t.ts));
	t.path = "/status/200";
	t_connect(&t, &a);
	fixture_loop_until(t.base, &t.done, 5000);
	ck_assert_msg(strncmp(t.body, "HTTP/1.1 200", 12) == 0, "answer \"%s\" (%s)", t.body, t.msg);

	struct dns_addrs dead = { 0 };
	add_addr(&dead, dead_port());
	add_addr(&dead, dead_port());
	t.done = false;
	t.nev = 0;
	t_connect(&t, &dead);
	fixture_loop_until(t.base, &t.done, 5000);
	ck_assert_int_eq(t.evs[t.nev - 1], CONN_ERROR);
	ck_assert_int_eq(t.err, GATHER_E_CONNECT);
	ck_assert_msg(strstr(t.msg, "connection refused at 127.0.0.1"), "message \"%s\"", t.msg);
	t_free(&t);
}
END_TEST

/* The read timeout fires when the server says nothing; reading turned
 * off holds the answer back until it is turned on again. */
START_TEST(test_timeout_and_pause)
{
	struct t t;
	t_init(&t, _i);
	struct dns_addrs a = { 0 };
	add_addr(&a, testserver_port(t.ts));
	t.path = "/silence";
	t_connect(&t, &a);
	for (unsigned i = 0; i < 200 && t.nev < (_i ? 2u : 1u); i++)
		event_base_loop(t.base, EVLOOP_ONCE);
	conn_set_read_timeout(t.c, 100);
	fixture_loop_until(t.base, &t.done, 5000);
	ck_assert_int_eq(t.evs[t.nev - 1], CONN_TIMEOUT);

	t.done = false;
	t.nev = 0;
	t.path = "/status/200";
	t_connect(&t, &a);
	for (unsigned i = 0; i < 200 && t.nev < (_i ? 2u : 1u); i++)
		event_base_loop(t.base, EVLOOP_ONCE);
	ck_assert_uint_eq(t.nev, _i ? 2u : 1u); /* connected (and handshaken), request sent */
	conn_reading(t.c, false);
	t_idle(&t, 100);
	ck_assert_uint_eq(t.nev, _i ? 2u : 1u); /* the answer waits in the socket */
	ck_assert_str_eq(t.body, "");
	conn_reading(t.c, true);
	fixture_loop_until(t.base, &t.done, 5000);
	ck_assert_msg(strncmp(t.body, "HTTP/1.1 200", 12) == 0, "answer \"%s\"", t.body);
	t_free(&t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_request, 0, 2);            /* plain, TLS */
	tcase_add_loop_test(tc, test_close_inside, 0, 4);
	tcase_add_loop_test(tc, test_next_address, 0, 2);
	tcase_add_loop_test(tc, test_timeout_and_pause, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* as gather does (cmd/gather/main.c): a write to a peer that closed
	 * (the in-process server's TLS tickets after test_close_inside's
	 * close) is an EPIPE to handle, not a signal */
	signal(SIGPIPE, SIG_IGN);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
