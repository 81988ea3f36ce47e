/* conn.c — the TCP and TLS layer under a fetch. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>

#include "net/conn.h"
#include "gather/error.h"
#include "net/tls.h"

void conn_init(struct conn *c, struct event_base *base, struct host *host)
{
	c->base = base;
	c->host = host;
	c->fd = -1;
	c->sock = -1;
}

void conn_set_handler(struct conn *c, conn_fn cb, void *arg)
{
	c->cb = cb;
	c->arg = arg;
}

struct evbuffer *conn_input(struct conn *c)
{
	return c->bev ? bufferevent_get_input(c->bev) : c->in;
}

struct evbuffer *conn_output(struct conn *c)
{
	return c->bev ? bufferevent_get_output(c->bev) : c->out;
}

bool conn_is_open(const struct conn *c)
{
	return c->bev || c->sock >= 0;
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

/* Plain TCP: (re)add ev_read with the current read timeout.  Re-adding a
 * pending event only moves its timeout (no system call); dropping a
 * timeout needs a delete first (event_add with NULL keeps the old one). */
static void raw_arm_read(struct conn *c, bool drop_timeout)
{
	struct timeval tv = ms_tv(c->read_ms);
	if (drop_timeout && c->reading)
		event_del(&c->ev_read);
	event_add(&c->ev_read, c->read_ms ? &tv : NULL);
	c->reading = true;
}

void conn_set_read_timeout(struct conn *c, uint64_t ms)
{
	if (c->bev) {
		struct timeval tv = ms_tv(ms);
		bufferevent_set_timeouts(c->bev, ms ? &tv : NULL, NULL);
		return;
	}
	if (c->sock < 0)
		return;
	bool drop = c->read_ms && !ms;
	c->read_ms = ms;
	if (c->reading)
		raw_arm_read(c, drop);
}

void conn_reading(struct conn *c, bool on)
{
	if (c->bev) {
		if (on)
			bufferevent_enable(c->bev, EV_READ);
		else
			bufferevent_disable(c->bev, EV_READ);
		return;
	}
	if (c->sock < 0 || on == c->reading)
		return;
	if (on)
		raw_arm_read(c, false);
	else {
		event_del(&c->ev_read);
		c->reading = false;
	}
}

void conn_flush(struct conn *c)
{
	if (c->sock < 0 || evbuffer_get_length(c->out) == 0)
		return;
	/* Whatever the outcome: the rest, or the error, is the write event's. */
	if (evbuffer_write(c->out, c->sock) < 0 || evbuffer_get_length(c->out) > 0)
		event_add(&c->ev_write, NULL);
}

void conn_shutdown(struct conn *c)
{
	if (c->sock >= 0) {
		event_del(&c->ev_read);
		event_del(&c->ev_write);
		evutil_closesocket(c->sock);
		c->sock = -1;
		c->reading = false;
	}
	if (c->in) {
		evbuffer_free(c->in);
		c->in = NULL;
	}
	if (c->out) {
		evbuffer_free(c->out);
		c->out = NULL;
	}
	if (c->fd >= 0) {
		event_del(&c->ev_connect);
		evutil_closesocket(c->fd);
		c->fd = -1;
	}
	if (c->bev) {
		/* Without this, OpenSSL marks the origin's cached session not
		 * resumable when a healthy connection is closed without a
		 * close_notify (SSL_free → ssl_clear_bad_session). */
		if (c->ssl && SSL_is_init_finished(c->ssl))
			SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN);
		bufferevent_free(c->bev); /* frees ssl too (BEV_OPT_CLOSE_ON_FREE) */
		c->bev = NULL;
		c->ssl = NULL;
	}
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
}

static void errno_msg(int e, char *msg, size_t msglen, const char *ip)
{
	const char *what = e == ECONNREFUSED ? "connection refused"
	                 : e == ECONNRESET ? "connection reset by peer"
	                 : e == ENETUNREACH ? "network unreachable"
	                 : e == EHOSTUNREACH ? "host unreachable"
	                 : e == ETIMEDOUT ? "connection timed out" : strerror(e);
	snprintf(msg, msglen, "%s%s%s", what, ip && *ip ? " at " : "", ip ? ip : "");
}

static void bev_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	(void)bev;
	c->cb(c, CONN_READ, 0, NULL, c->arg);
}

/* bufferevent events: the TLS handshake result, EOF, errors, timeouts. */
static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	char msg[256];

	if (what & BEV_EVENT_CONNECTED) {
		c->cb(c, CONN_TLS_DONE, 0, NULL, c->arg);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		c->cb(c, CONN_TIMEOUT, 0, NULL, c->arg);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->cb(c, CONN_EOF, 0, NULL, c->arg);
		return;
	}
	/* BEV_EVENT_ERROR */
	int e = EVUTIL_SOCKET_ERROR();
	unsigned long oe = c->ssl ? bufferevent_get_openssl_error(bev) : 0;
	if (c->ssl && !SSL_is_init_finished(c->ssl)) {
		tls_describe_error(c->ssl, oe, msg, sizeof(msg));
		c->cb(c, CONN_ERROR, GATHER_E_TLS, msg, c->arg);
		return;
	}
	if (oe) {
		const char *r = ERR_reason_error_string(oe);
		snprintf(msg, sizeof(msg), "TLS error: %s", r ? r : "unknown");
		ERR_clear_error();
		c->cb(c, CONN_ERROR, GATHER_E_TLS, msg, c->arg);
		return;
	}
	if (e == 0) {
		c->cb(c, CONN_EOF, 0, NULL, c->arg); /* e.g. TLS close without an errno */
		return;
	}
	errno_msg(e, msg, sizeof(msg), NULL);
	c->cb(c, CONN_ERROR, GATHER_E_CONNECT, msg, c->arg);
}

/* Most bytes taken from the socket per read: a whole page of a typical
 * size in one system call. */
#define CONN_READ_MAX 65536

/* Plain TCP: the socket is readable, or the read timeout passed.  One read
 * per wake-up (the level-triggered event fires again if more is waiting),
 * and c's handler is called last: it may close and free c. */
static void raw_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct evbuffer_iovec v[2];
	char msg[256];

	if (what & EV_TIMEOUT) {
		/* as the bufferevent did: a timeout turns reading off */
		event_del(&c->ev_read);
		c->reading = false;
		c->cb(c, CONN_TIMEOUT, 0, NULL, c->arg);
		return;
	}
	int nv = evbuffer_reserve_space(c->in, CONN_READ_MAX, v, 2);
	if (nv < 1) {
		c->cb(c, CONN_ERROR, GATHER_E_NOMEM, "out of memory", c->arg);
		return;
	}
	struct iovec iov[2];
	for (int i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	ssize_t n = readv(fd, iov, nv);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		evbuffer_commit_space(c->in, v, 0);
		return;
	}
	if (n <= 0) {
		int e = n < 0 ? errno : 0;
		evbuffer_commit_space(c->in, v, 0);
		event_del(&c->ev_read);
		c->reading = false;
		if (e == 0) {
			c->cb(c, CONN_EOF, 0, NULL, c->arg);
			return;
		}
		errno_msg(e, msg, sizeof(msg), NULL);
		c->cb(c, CONN_ERROR, GATHER_E_CONNECT, msg, c->arg);
		return;
	}
	/* Commit what arrived: the first vector, then the rest of it in the
	 * second. */
	size_t left = (size_t)n;
	for (int i = 0; i < nv; i++) {
		size_t k = left < v[i].iov_len ? left : v[i].iov_len;
		v[i].iov_len = k;
		left -= k;
	}
	evbuffer_commit_space(c->in, v, nv);
	c->cb(c, CONN_READ, 0, NULL, c->arg);
}

/* Plain TCP: the socket takes more of what conn_flush could not send. */
static void raw_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char msg[256];
	(void)what;

	int n = evbuffer_write(c->out, fd);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		int e = errno;
		event_del(&c->ev_write);
		errno_msg(e, msg, sizeof(msg), NULL);
		c->cb(c, CONN_ERROR, GATHER_E_CONNECT, msg, c->arg);
		return;
	}
	if (evbuffer_get_length(c->out) == 0)
		event_del(&c->ev_write);
}

static void set_ip(struct conn *c, const struct sockaddr_storage *sa)
{
	const void *a = sa->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
	                                         : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!evutil_inet_ntop(sa->ss_family, a, c->ip, sizeof(c->ip)))
		c->ip[0] = 0;
}

/* Opens a socket to the next address and starts connect(); 0 when one is
 * under way, -1 when none is left (c->last_errno says why), -2 when no
 * descriptor is free (EMFILE, ENFILE): the address is not used up, the
 * caller may try again later. */
static int try_next(struct conn *c)
{
	while (c->next_addr < c->addrs.n) {
		int i = c->next_addr++;
		const struct sockaddr_storage *sa = &c->addrs.a[i];
		int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			c->last_errno = errno;
			if (errno == EMFILE || errno == ENFILE) {
				c->next_addr--;
				return -2;
			}
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_ip(c, sa);
		if (connect(fd, (const struct sockaddr *)sa, c->addrs.len[i]) == 0 || errno == EINPROGRESS) {
			c->fd = fd;
			return 0;
		}
		c->last_errno = errno;
		close(fd);
	}
	return -1;
}

static void connect_cb(evutil_socket_t fd, short what, void *arg);

/* 0, or try_next's -1 / -2. */
static int start(struct conn *c)
{
	int rc = try_next(c);
	if (rc < 0)
		return rc;
	event_assign(&c->ev_connect, c->base, c->fd, EV_WRITE, connect_cb, c);
	event_add(&c->ev_connect, NULL);
	return 0;
}

/* The socket became writable: connected, or failed (then the next address). */
static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);
	char msg[256];
	(void)what;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		c->last_errno = err;
		evutil_closesocket(fd);
		c->fd = -1;
		int rc = start(c);
		if (rc == 0)
			return;
		errno_msg(c->last_errno, msg, sizeof(msg), c->ip);
		c->cb(c, CONN_ERROR, rc == -2 ? GATHER_E_AGAIN : GATHER_E_CONNECT, msg, c->arg);
		return;
	}
	c->fd = -1;
	if (!c->ssl) {
		c->in = evbuffer_new();
		c->out = evbuffer_new();
		if (!c->in || !c->out) {
			evutil_closesocket(fd);
			c->cb(c, CONN_ERROR, GATHER_E_NOMEM, "out of memory", c->arg);
			return;
		}
		c->sock = fd;
		event_assign(&c->ev_read, c->base, fd, EV_READ | EV_PERSIST, raw_read_cb, c);
		event_assign(&c->ev_write, c->base, fd, EV_WRITE | EV_PERSIST, raw_write_cb, c);
		raw_arm_read(c, false);
		c->cb(c, CONN_CONNECTED, 0, NULL, c->arg);
		return;
	}
	c->bev = bufferevent_openssl_socket_new(c->base, fd, c->ssl, BUFFEREVENT_SSL_CONNECTING,
	                                        BEV_OPT_CLOSE_ON_FREE);
	if (c->bev)
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	if (!c->bev) {
		evutil_closesocket(fd);
		c->cb(c, CONN_ERROR, GATHER_E_NOMEM, "out of memory", c->arg);
		return;
	}
	bufferevent_setcb(c->bev, bev_read_cb, NULL, bev_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->cb(c, CONN_CONNECTED, 0, NULL, c->arg);
}

int conn_connect(struct conn *c, const struct dns_addrs *a, SSL *ssl, char *msg, size_t msglen)
{
	c->addrs = *a;
	c->next_addr = 0;
	if (c->ssl && c->ssl != ssl)
		SSL_free(c->ssl);   /* a call again after GATHER_E_AGAIN */
	c->ssl = ssl;
	int rc = start(c);
	if (rc == 0)
		return 0;
	errno_msg(c->last_errno, msg, msglen, c->ip);
	return rc == -2 ? GATHER_E_AGAIN : GATHER_E_CONNECT;
}
