/* testserver.c — see testserver.h for the routes. */
#include "config.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <brotli/encode.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <zlib.h>
#include <zstd.h>

#include "testserver.h"

struct blob {
	unsigned char *data;
	size_t len;
};

struct counter {
	struct counter *next;
	unsigned hits;
	char target[];
};

enum mode { M_NONE, M_SLOW, M_DRIP, M_ENDLESS, M_RESET, M_SILENCE, M_CLOSE_IDLE };

struct tconn {
	struct testserver *ts;
	TAILQ_ENTRY(tconn) link;
	struct bufferevent *bev;
	struct event timer;
	enum mode mode;
	unsigned left, ms;
	bool close_after_write;
	bool reset_after_write;
	bool drop_next;          /* close on the next request, unanswered */
};

struct testserver {
	struct event_base *base;
	struct evconnlistener *lis, *lis6; /* lis6: ::1, NULL without IPv6 */
	SSL_CTX *tls;
	uint16_t port;
	unsigned conns, requests, resumed;
	unsigned open, peak;     /* connections open now, and at most at once */
	TAILQ_HEAD(, tconn) all;
	struct counter *counters;
	struct blob gz, defl, deflraw, br, zst, gzbr, bomb_member;
};

/* Tests open thousands of connections in one burst (issue 12): a short
 * accept queue would drop SYNs and spread their connects over seconds. */
#define TESTSERVER_BACKLOG 8192

#define BOMB_MEMBER_ZEROS (1u << 20)
#define BOMB_MEMBERS 1100

/* ---- encoded bodies, made once ------------------------------------------ */

static int zcompress(const void *in, size_t len, int wbits, struct blob *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len) + 64;
	out->data = malloc(cap);
	if (!out->data) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out->data;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	out->len = cap - z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

static int brcompress(const void *in, size_t len, struct blob *out)
{
	size_t cap = BrotliEncoderMaxCompressedSize(len) + 64;
	out->data = malloc(cap);
	out->len = cap;
	if (!out->data || !BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, len, in, &out->len, out->data))
		return -1;
	return 0;
}

static int make_bodies(struct testserver *ts)
{
	const char *t = TESTSERVER_TEXT;
	size_t tl = strlen(t);
	if (zcompress(t, tl, 16 + 15, &ts->gz) || zcompress(t, tl, 15, &ts->defl) ||
	    zcompress(t, tl, -15, &ts->deflraw) || brcompress(t, tl, &ts->br) ||
	    brcompress(ts->gz.data, ts->gz.len, &ts->gzbr))
		return -1;
	size_t cap = ZSTD_compressBound(tl);
	if (!(ts->zst.data = malloc(cap)))
		return -1;
	ts->zst.len = ZSTD_compress(ts->zst.data, cap, t, tl, 3);
	if (ZSTD_isError(ts->zst.len))
		return -1;
	void *zeros = calloc(1, BOMB_MEMBER_ZEROS);
	if (!zeros)
		return -1;
	int rc = zcompress(zeros, BOMB_MEMBER_ZEROS, 16 + 15, &ts->bomb_member);
	free(zeros);
	return rc;
}

/* ---- connections ---------------------------------------------------------- */

static void tconn_free(struct tconn *c, bool reset)
{
	if (reset) {
		struct linger lg = { 1, 0 }; /* close → RST */
		setsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	TAILQ_REMOVE(&c->ts->all, c, link);
	c->ts->open--;
	event_del(&c->timer);
	bufferevent_free(c->bev);
	free(c);
}

static void out(struct tconn *c, const char *s)
{
	evbuffer_add(bufferevent_get_output(c->bev), s, strlen(s));
}

static void outf(struct tconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct tconn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

static void respond(struct tconn *c, int status, const char *extra, const void *body, size_t len)
{
	outf(c, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status, len, extra ? extra : "");
	evbuffer_add(bufferevent_get_output(c->bev), body, len);
}

static void respond_text(struct tconn *c, int status, const char *text)
{
	respond(c, status, "Content-Type: text/plain\r\n", text, strlen(text));
}

static void arm(struct tconn *c, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_add(&c->timer, &tv);
}

static unsigned long num_after(const char *path, const char *prefix)
{
	return strtoul(path + strlen(prefix), NULL, 10);
}

static const char *query_param(const char *query, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	for (const char *p = query; p && *p;) {
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t o = 0;
			while (*v && *v != '&' && o + 1 < len) {
				if (*v == '%' && v[1] && v[2]) {
					char hex[3] = { v[1], v[2], 0 };
					buf[o++] = (char)strtol(hex, NULL, 16);
					v += 3;
				} else
					buf[o++] = *v++ == '+' ? ' ' : v[-1];
			}
			buf[o] = 0;
			return buf;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return NULL;
}

static unsigned counter_hit(struct testserver *ts, const char *target)
{
	struct counter *k;
	for (k = ts->counters; k; k = k->next)
		if (!strcmp(k->target, target))
			return ++k->hits;
	size_t l = strlen(target);
	if (!(k = calloc(1, sizeof(*k) + l + 1)))
		return 1;
	memcpy(k->target, target, l + 1);
	k->next = ts->counters;
	ts->counters = k;
	return k->hits = 1;
}

static void encoded(struct tconn *c, const char *ce, const struct blob *b)
{
	char h[128];
	snprintf(h, sizeof(h), "Content-Type: text/plain\r\nContent-Encoding: %s\r\n", ce);
	respond(c, 200, h, b->data, b->len);
}

/* Answers one request; returns false when the connection must not read
 * further requests (an asynchronous route owns it). */
static bool route(struct tconn *c, const char *method, const char *target,
                  const char *head, size_t headlen, const char *body, size_t bodylen)
{
	struct testserver *ts = c->ts;
	char path[1024], qbuf[1024], tmp[2048];
	const char *q = strchr(target, '?');
	size_t pl = q ? (size_t)(q - target) : strlen(target);
	if (pl >= sizeof(path))
		pl = sizeof(path) - 1;
	memcpy(path, target, pl);
	path[pl] = 0;
	q = q ? q + 1 : "";
	(void)method;

	if (!strncmp(path, "/status/", 8)) {
		int code = (int)num_after(path, "/status/");
		if (code < 200 || code == 204 || code == 304)
			outf(c, "HTTP/1.1 %d X\r\n\r\n", code);
		else {
			snprintf(tmp, sizeof(tmp), "status %d\n", code);
			respond_text(c, code, tmp);
		}
	} else if (!strncmp(path, "/bytes/", 7)) {
		unsigned long n = num_after(path, "/bytes/");
		if (n > (1ul << 30))
			n = 1ul << 30;
		outf(c, "HTTP/1.1 200 OK\r\nContent-Length: %lu\r\n\r\n", n);
		char chunk[16384];
		memset(chunk, 'x', sizeof(chunk));
		for (unsigned long sent = 0; sent < n; sent += sizeof(chunk))
			evbuffer_add(bufferevent_get_output(c->bev), chunk, n - sent < sizeof(chunk) ? n - sent : sizeof(chunk));
	} else if (!strcmp(path, "/stats")) {
		/* Seen from the server's side: how many connections were open
		 * at once is what a client's concurrency really was. */
		snprintf(tmp, sizeof(tmp), "conns %u open %u peak %u requests %u\n",
		         ts->conns, ts->open, ts->peak, ts->requests);
		respond_text(c, 200, tmp);
	} else if (!strcmp(path, "/echo")) {
		outf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", headlen + bodylen);
		evbuffer_add(bufferevent_get_output(c->bev), head, headlen);
		evbuffer_add(bufferevent_get_output(c->bev), body, bodylen);
	} else if (!strncmp(path, "/redirect/", 10)) {
		unsigned long n = num_after(path, "/redirect/");
		if (n == 0)
			respond_text(c, 200, "done\n");
		else {
			snprintf(tmp, sizeof(tmp), "Location: /redirect/%lu\r\n", n - 1);
			respond(c, 302, tmp, "", 0);
		}
	} else if (!strncmp(path, "/redirect-close/", 16)) {
		/* a server that closes after each answer without saying so */
		unsigned long n = num_after(path, "/redirect-close/");
		if (n == 0)
			respond_text(c, 200, "done\n");
		else {
			snprintf(tmp, sizeof(tmp), "Location: /redirect-close/%lu\r\n", n - 1);
			respond(c, 302, tmp, "", 0);
		}
		c->close_after_write = true;
	} else if (!strcmp(path, "/redirect-to")) {
		char st[16];
		int code = query_param(q, "status", st, sizeof(st)) ? atoi(st) : 302;
		if (!query_param(q, "url", qbuf, sizeof(qbuf)))
			qbuf[0] = 0;
		snprintf(tmp, sizeof(tmp), "Location: %s\r\n", qbuf);
		respond(c, code, tmp, "", 0);
	} else if (!strcmp(path, "/loop")) {
		respond(c, 302, "Location: /loop\r\n", "", 0);
	} else if (!strncmp(path, "/slow/", 6)) {
		c->mode = M_SLOW;
		arm(c, (unsigned)num_after(path, "/slow/"));
		return false;
	} else if (!strcmp(path, "/chunked")) {
		const char *t = TESTSERVER_TEXT;
		out(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (size_t i = 0, n = strlen(t); i < n; i += 7) {
			size_t l = n - i < 7 ? n - i : 7;
			outf(c, "%zx\r\n%.*s\r\n", l, (int)l, t + i);
		}
		out(c, "0\r\n\r\n");
	} else if (!strcmp(path, "/gzip")) {
		encoded(c, "gzip", &ts->gz);
	} else if (!strcmp(path, "/deflate")) {
		encoded(c, "deflate", &ts->defl);
	} else if (!strcmp(path, "/deflate-raw")) {
		encoded(c, "deflate", &ts->deflraw);
	} else if (!strcmp(path, "/br")) {
		encoded(c, "br", &ts->br);
	} else if (!strcmp(path, "/zstd")) {
		encoded(c, "zstd", &ts->zst);
	} else if (!strcmp(path, "/gzip-br")) {
		encoded(c, "gzip, br", &ts->gzbr);
	} else if (!strcmp(path, "/gzip-corrupt")) {
		struct blob b = { (unsigned char *)"this is not gzip at all", 23 };
		encoded(c, "gzip", &b);
	} else if (!strcmp(path, "/bomb/gzip")) {
		size_t total = ts->bomb_member.len * BOMB_MEMBERS;
		outf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", total);
		for (unsigned i = 0; i < BOMB_MEMBERS; i++)
			evbuffer_add_reference(bufferevent_get_output(c->bev), ts->bomb_member.data,
			                       ts->bomb_member.len, NULL, NULL);
	} else if (!strcmp(path, "/drip")) {
		char v[32];
		c->ms = query_param(q, "ms", v, sizeof(v)) ? (unsigned)atoi(v) : 10;
		c->left = query_param(q, "n", v, sizeof(v)) ? (unsigned)atoi(v) : 100;
		outf(c, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", c->left);
		c->mode = M_DRIP;
		arm(c, c->ms);
		return false;
	} else if (!strcmp(path, "/silence")) {
		c->mode = M_SILENCE;
		return false;
	} else if (!strcmp(path, "/reset-mid")) {
		out(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
		memset(tmp, 'r', 1000);
		evbuffer_add(bufferevent_get_output(c->bev), tmp, 1000);
		c->mode = M_RESET;
		c->reset_after_write = true;
		return false;
	} else if (!strcmp(path, "/truncated")) {
		out(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
		memset(tmp, 't', 500);
		evbuffer_add(bufferevent_get_output(c->bev), tmp, 500);
		c->close_after_write = true;
		return false;
	} else if (!strcmp(path, "/endless")) {
		out(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		c->mode = M_ENDLESS;
		return false; /* the write callback keeps feeding */
	} else if (!strcmp(path, "/headers/huge")) {
		out(c, "HTTP/1.1 200 OK\r\nX-Huge: ");
		for (int i = 0; i < 70; i++) {
			memset(tmp, 'h', 1000);
			evbuffer_add(bufferevent_get_output(c->bev), tmp, 1000);
		}
		out(c, "\r\nContent-Length: 2\r\n\r\nok");
	} else if (!strcmp(path, "/headers/many")) {
		out(c, "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i < 3000; i++)
			outf(c, "X-H%d: v\r\n", i);
		out(c, "Content-Length: 2\r\n\r\nok");
	} else if (!strcmp(path, "/1xx")) {
		out(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
		       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
	} else if (!strcmp(path, "/garbage-after")) {
		out(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\nJUNK JUNK JUNK\r\n");
	} else if (!strcmp(path, "/cl-conflict")) {
		out(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
	} else if (!strcmp(path, "/cl-negative")) {
		out(c, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello");
	} else if (!strcmp(path, "/chunk-bad")) {
		out(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
	} else if (!strcmp(path, "/chunk-overflow")) {
		out(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nhello\r\n0\r\n\r\n");
	} else if (!strcmp(path, "/bad-status")) {
		out(c, "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok");
	} else if (!strcmp(path, "/http10")) {
		out(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold style body\n");
		c->close_after_write = true;
		return false;
	} else if (!strncmp(path, "/retry-after/", 13)) {
		unsigned long n = num_after(path, "/retry-after/");
		char v[32];
		if (counter_hit(ts, target) <= n) {
			if (query_param(q, "date", v, sizeof(v))) {
				time_t t = time(NULL) + 1;
				struct tm tm;
				gmtime_r(&t, &tm);
				strftime(v, sizeof(v), "%a, %d %b %Y %H:%M:%S GMT", &tm);
			} else if (!query_param(q, "s", v, sizeof(v)))
				strcpy(v, "1");
			snprintf(tmp, sizeof(tmp), "Retry-After: %s\r\n", v);
			respond(c, 503, tmp, "busy\n", 5);
		} else
			respond_text(c, 200, "ok\n");
	} else if (!strcmp(path, "/close")) {
		respond(c, 200, "Connection: close\r\n", "closing\n", 8);
		c->close_after_write = true;
		return false;
	} else if (!strcmp(path, "/drop-next")) {
		respond_text(c, 200, "ok\n");
		c->drop_next = true;
	} else if (!strcmp(path, "/close-idle")) {
		respond_text(c, 200, "ok\n");
		c->mode = M_CLOSE_IDLE;
		arm(c, 50);
		return false;
	} else {
		respond_text(c, 404, "not found\n");
	}
	return true;
}

/* Parses and answers every complete request in the input. */
static void serve(struct tconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	for (unsigned guard = 0; guard < 1000 && c->mode == M_NONE && !c->close_after_write; guard++) {
		struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos < 0) {
			if (evbuffer_get_length(in) > 1 << 20)
				tconn_free(c, false);
			return;
		}
		size_t headlen = (size_t)end.pos + 4;
		char *head = malloc(headlen + 1); /* NUL-terminated copy to scan */
		if (!head) {
			tconn_free(c, false);
			return;
		}
		evbuffer_copyout(in, head, headlen);
		head[headlen] = 0;
		char method[16], target[4096];
		if (sscanf(head, "%15s %4095s", method, target) != 2) {
			free(head);
			tconn_free(c, false);
			return;
		}
		size_t bodylen = 0;
		const char *cl = strcasestr(head, "\r\ncontent-length:");
		if (cl)
			bodylen = strtoul(cl + 17, NULL, 10);
		bool conn_close = strcasestr(head, "\r\nconnection: close") != NULL;
		if (evbuffer_get_length(in) < headlen + bodylen) {
			free(head);
			return;
		}
		if (c->drop_next) {
			free(head);
			tconn_free(c, false);
			return;
		}
		const char *all = (const char *)evbuffer_pullup(in, (ev_ssize_t)(headlen + bodylen));
		c->ts->requests++;
		bool more = route(c, method, target, head, headlen, all + headlen, bodylen);
		free(head);
		if (conn_close)
			c->close_after_write = true;
		evbuffer_drain(in, headlen + bodylen);
		if (!more)
			return;
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	serve(arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct tconn *c = arg;
	(void)bev;
	if (c->mode == M_ENDLESS) {
		char chunk[8192];
		memset(chunk, 'e', sizeof(chunk));
		outf(c, "%zx\r\n", sizeof(chunk));
		evbuffer_add(bufferevent_get_output(c->bev), chunk, sizeof(chunk));
		out(c, "\r\n");
	} else if (c->reset_after_write) {
		c->reset_after_write = false;
		arm(c, 30); /* let the bytes arrive, then RST */
	} else if (c->close_after_write)
		tconn_free(c, false);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_CONNECTED) { /* TLS handshake done */
		SSL *ssl = bufferevent_openssl_get_ssl(bev);
		struct tconn *c = arg;
		if (ssl && SSL_session_reused(ssl))
			c->ts->resumed++;
		return;
	}
	tconn_free(arg, false);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tconn *c = arg;
	(void)fd, (void)what;
	switch (c->mode) {
	case M_SLOW:
		c->mode = M_NONE;
		respond_text(c, 200, "slow\n");
		serve(c);
		break;
	case M_DRIP:
		out(c, "d");
		if (--c->left == 0) {
			c->mode = M_NONE;
			serve(c);
		} else
			arm(c, c->ms);
		break;
	case M_RESET:
		tconn_free(c, true);
		break;
	case M_CLOSE_IDLE:
		tconn_free(c, false);
		break;
	default:
		break;
	}
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	struct testserver *ts = arg;
	(void)lis, (void)sa, (void)len;
	struct tconn *c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->ts = ts;
	if (ts->tls) {
		SSL *ssl = SSL_new(ts->tls);
		c->bev = ssl ? bufferevent_openssl_socket_new(ts->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                              BEV_OPT_CLOSE_ON_FREE) : NULL;
	} else
		c->bev = bufferevent_socket_new(ts->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	ts->conns++;
	if (++ts->open > ts->peak)
		ts->peak = ts->open;
	event_assign(&c->timer, ts->base, -1, 0, timer_cb, c);
	TAILQ_INSERT_TAIL(&ts->all, c, link);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct testserver *testserver_new(struct event_base *base, SSL_CTX *tls)
{
	struct testserver *ts = calloc(1, sizeof(*ts));
	if (!ts)
		return NULL;
	ts->base = base;
	TAILQ_INIT(&ts->all);
	if (make_bodies(ts) < 0)
		goto fail;
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ts->lis = evconnlistener_new_bind(base, accept_cb, ts, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                                  LEV_OPT_CLOSE_ON_EXEC, TESTSERVER_BACKLOG, (struct sockaddr *)&sin, sizeof(sin));
	if (!ts->lis)
		goto fail;
	socklen_t sl = sizeof(sin);
	getsockname(evconnlistener_get_fd(ts->lis), (struct sockaddr *)&sin, &sl);
	ts->port = ntohs(sin.sin_port);
	/* also ::1 on the same port, when the host has IPv6 loopback */
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons(ts->port);
	ts->lis6 = evconnlistener_new_bind(base, accept_cb, ts, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                                   LEV_OPT_CLOSE_ON_EXEC, TESTSERVER_BACKLOG, (struct sockaddr *)&sin6, sizeof(sin6));
	if (tls) {
		SSL_CTX_up_ref(tls);
		ts->tls = tls;
	}
	return ts;
fail:
	testserver_free(ts);
	return NULL;
}

void testserver_free(struct testserver *ts)
{
	if (!ts)
		return;
	struct tconn *c;
	while ((c = TAILQ_FIRST(&ts->all)))
		tconn_free(c, false);
	if (ts->lis)
		evconnlistener_free(ts->lis);
	if (ts->lis6)
		evconnlistener_free(ts->lis6);
	while (ts->counters) {
		struct counter *k = ts->counters;
		ts->counters = k->next;
		free(k);
	}
	struct blob *b[] = { &ts->gz, &ts->defl, &ts->deflraw, &ts->br, &ts->zst, &ts->gzbr, &ts->bomb_member };
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		free(b[i]->data);
	SSL_CTX_free(ts->tls);
	free(ts);
}

uint16_t testserver_port(const struct testserver *ts)
{
	return ts->port;
}

unsigned testserver_conns(const struct testserver *ts)
{
	return ts->conns;
}

unsigned testserver_requests(const struct testserver *ts)
{
	return ts->requests;
}

unsigned testserver_peak(const struct testserver *ts)
{
	return ts->peak;
}

unsigned testserver_resumed(const struct testserver *ts)
{
	return ts->resumed;
}

bool testserver_has_ipv6(const struct testserver *ts)
{
	return ts->lis6 != NULL;
}
