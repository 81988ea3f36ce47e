/* cf-socket.c — the bottom filter: a non-blocking TCP connect over a list
 * of addresses (next on failure), then one readv of up to CONN_READ_MAX
 * per wake-up into its input and one write of its output per flush, with
 * EV_WRITE armed only for what the socket did not take. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include "net/cfilter.h"
#include "gather/error.h"

/* Most bytes taken from the socket per read: a whole page of a typical
 * size in one system call. */
#define CONN_READ_MAX 65536

struct cf_socket {
	struct cfilter cf;            /* first: the filter head */
	struct event_base *base;
	int fd;                       /* the socket, -1 when none */
	bool connecting;              /* ev_connect is armed (fd is connecting) */
	struct event ev_connect;
	struct evbuffer *in, *out;
	struct event ev_read;         /* persistent; its timeout is the read timeout */
	struct event ev_write;        /* persistent, added only while out is not drained */
	bool reading;                 /* ev_read is added */
	bool want_read;               /* reading asked for (applied once connected) */
	uint64_t read_ms;             /* read timeout, 0: none */
	struct dns_addrs addrs;
	int next_addr;
	int last_errno;
	char ip[48];
};

static struct cf_socket *S(struct cfilter *cf)
{
	return (struct cf_socket *)cf;
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

/* (Re)adds ev_read with the current read timeout.  Re-adding a pending
 * event only moves its timeout (no system call); dropping a timeout needs
 * a delete first (event_add with NULL keeps the old one). */
static void arm_read(struct cf_socket *s, bool drop_timeout)
{
	struct timeval tv = ms_tv(s->read_ms);
	if (drop_timeout && s->reading)
		event_del(&s->ev_read);
	event_add(&s->ev_read, s->read_ms ? &tv : NULL);
	s->reading = true;
}

static void stop_read(struct cf_socket *s)
{
	if (s->reading)
		event_del(&s->ev_read);
	s->reading = false;
}

static void sock_read_timeout(struct cfilter *cf, uint64_t ms)
{
	struct cf_socket *s = S(cf);
	bool drop = s->read_ms && !ms;
	s->read_ms = ms;
	if (s->reading)
		arm_read(s, drop);
}

static void sock_reading(struct cfilter *cf, bool on)
{
	struct cf_socket *s = S(cf);
	s->want_read = on;
	if (!cf->connected || on == s->reading)
		return;
	if (on)
		arm_read(s, false);
	else
		stop_read(s);
}

static struct evbuffer *sock_input(struct cfilter *cf)
{
	return S(cf)->in;
}

static struct evbuffer *sock_output(struct cfilter *cf)
{
	return S(cf)->out;
}

static void sock_flush(struct cfilter *cf)
{
	struct cf_socket *s = S(cf);
	if (!cf->connected || evbuffer_get_length(s->out) == 0)
		return;
	/* Whatever the outcome: the rest, or the error, is the write event's. */
	if (evbuffer_write(s->out, s->fd) < 0 || evbuffer_get_length(s->out) > 0)
		event_add(&s->ev_write, NULL);
}

static int sock_query(struct cfilter *cf, enum cf_query q, void *ret)
{
	struct cf_socket *s = S(cf);
	switch (q) {
	case CF_QUERY_IP:
		*(const char **)ret = s->ip;
		return 0;
	case CF_QUERY_SOCKET:
		*(int *)ret = s->fd;
		return 0;
	}
	return GATHER_E_INVALID;
}

static void close_fd(struct cf_socket *s)
{
	if (s->connecting) {
		event_del(&s->ev_connect);
		s->connecting = false;
	}
	if (s->cf.connected) {
		stop_read(s);
		event_del(&s->ev_write);
		s->cf.connected = false;
	}
	if (s->fd >= 0) {
		evutil_closesocket(s->fd);
		s->fd = -1;
	}
}

static void sock_destroy(struct cfilter *cf)
{
	struct cf_socket *s = S(cf);
	close_fd(s);
	evbuffer_free(s->in);
	evbuffer_free(s->out);
	free(s);
}

/* The socket is readable, or the read timeout passed.  One read per
 * wake-up (the level-triggered event fires again if more is waiting). */
static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_socket *s = arg;
	struct conn *c = s->cf.conn;
	struct evbuffer_iovec v[2];
	char msg[256];

	conn_hold(c);
	if (what & EV_TIMEOUT) {
		/* as libevent's bufferevents do: a timeout turns reading off */
		stop_read(s);
		cf_up(&s->cf, CONN_TIMEOUT, 0, NULL);
		goto out;
	}
	int nv = evbuffer_reserve_space(s->in, CONN_READ_MAX, v, 2);
	if (nv < 1) {
		cf_up(&s->cf, CONN_ERROR, GATHER_E_NOMEM, "out of memory");
		goto out;
	}
	struct iovec iov[2];
	for (int i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	ssize_t n = readv(fd, iov, nv);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		evbuffer_commit_space(s->in, v, 0);
		goto out;
	}
	if (n <= 0) {
		int e = n < 0 ? errno : 0;
		evbuffer_commit_space(s->in, v, 0);
		stop_read(s);
		if (e == 0) {
			cf_up(&s->cf, CONN_EOF, 0, NULL);
			goto out;
		}
		cf_errno_msg(e, msg, sizeof(msg), NULL);
		cf_up(&s->cf, CONN_ERROR, GATHER_E_CONNECT, msg);
		goto out;
	}
	/* Commit what arrived: the first vector, then the rest of it in the
	 * second. */
	size_t left = (size_t)n;
	for (int i = 0; i < nv; i++) {
		size_t k = left < v[i].iov_len ? left : v[i].iov_len;
		v[i].iov_len = k;
		left -= k;
	}
	evbuffer_commit_space(s->in, v, nv);
	cf_up(&s->cf, CONN_READ, 0, NULL);
out:
	conn_unhold(c);
}

/* The socket takes more of what sock_flush could not send. */
static void write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_socket *s = arg;
	struct conn *c = s->cf.conn;
	char msg[256];
	(void)what;

	int n = evbuffer_write(s->out, fd);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		int e = errno;
		event_del(&s->ev_write);
		cf_errno_msg(e, msg, sizeof(msg), NULL);
		conn_hold(c);
		cf_up(&s->cf, CONN_ERROR, GATHER_E_CONNECT, msg);
		conn_unhold(c);
		return;
	}
	if (evbuffer_get_length(s->out) == 0)
		event_del(&s->ev_write);
}

static void set_ip(struct cf_socket *s, const struct sockaddr_storage *sa)
{
	const void *a = sa->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
	                                         : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!evutil_inet_ntop(sa->ss_family, a, s->ip, sizeof(s->ip)))
		s->ip[0] = 0;
}

static void connect_cb(evutil_socket_t fd, short what, void *arg);

/* Opens a socket to the next address and starts connect(); 0 when one is
 * under way, -1 when none is left (s->last_errno says why), -2 when no
 * descriptor is free (EMFILE, ENFILE): the address is not used up, the
 * caller may try again later. */
static int try_next(struct cf_socket *s)
{
	while (s->next_addr < s->addrs.n) {
		int i = s->next_addr++;
		const struct sockaddr_storage *sa = &s->addrs.a[i];
		int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			s->last_errno = errno;
			if (errno == EMFILE || errno == ENFILE) {
				s->next_addr--;
				return -2;
			}
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_ip(s, sa);
		if (connect(fd, (const struct sockaddr *)sa, s->addrs.len[i]) == 0 || errno == EINPROGRESS) {
			s->fd = fd;
			event_assign(&s->ev_connect, s->base, fd, EV_WRITE, connect_cb, s);
			event_add(&s->ev_connect, NULL);
			s->connecting = true;
			return 0;
		}
		s->last_errno = errno;
		close(fd);
	}
	return -1;
}

/* The socket became writable: connected, or failed (then the next
 * address). */
static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_socket *s = arg;
	struct conn *c = s->cf.conn;
	int err = 0;
	socklen_t len = sizeof(err);
	char msg[256];
	(void)what;

	s->connecting = false;
	conn_hold(c);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		s->last_errno = err;
		evutil_closesocket(fd);
		s->fd = -1;
		int rc = try_next(s);
		if (rc != 0) {
			cf_errno_msg(s->last_errno, msg, sizeof(msg), s->ip);
			cf_up(&s->cf, CONN_ERROR, rc == -2 ? GATHER_E_AGAIN : GATHER_E_CONNECT, msg);
		}
		goto out;
	}
	event_assign(&s->ev_read, s->base, fd, EV_READ | EV_PERSIST, read_cb, s);
	event_assign(&s->ev_write, s->base, fd, EV_WRITE | EV_PERSIST, write_cb, s);
	s->cf.connected = true;
	if (s->want_read)
		arm_read(s, false);
	cf_up(&s->cf, CONN_CONNECTED, 0, NULL);
out:
	conn_unhold(c);
}

static int sock_connect(struct cfilter *cf, char *msg, size_t msglen)
{
	struct cf_socket *s = S(cf);
	close_fd(s);
	s->next_addr = 0;
	int rc = try_next(s);
	if (rc == 0)
		return 0;
	cf_errno_msg(s->last_errno, msg, msglen, s->ip);
	return rc == -2 ? GATHER_E_AGAIN : GATHER_E_CONNECT;
}

static const struct cf_type cf_socket_type = {
	.name = "socket",
	.connect = sock_connect,
	.destroy = sock_destroy,
	.input = sock_input,
	.output = sock_output,
	.flush = sock_flush,
	.reading = sock_reading,
	.read_timeout = sock_read_timeout,
	.event = NULL,            /* the bottom: nothing below sends it events */
	.pending = NULL,
	.query = sock_query,
};

struct cfilter *cf_socket_new(struct event_base *base, const struct dns_addrs *addrs)
{
	struct cf_socket *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cf.t = &cf_socket_type;
	s->base = base;
	s->fd = -1;
	s->addrs = *addrs;
	/* Reading starts on with the connection (a response, or the peer
	 * closing an idle one, is always of interest): the layer above
	 * turns it off for backpressure. */
	s->want_read = true;
	s->in = evbuffer_new();
	s->out = evbuffer_new();
	if (!s->in || !s->out) {
		if (s->in)
			evbuffer_free(s->in);
		if (s->out)
			evbuffer_free(s->out);
		free(s);
		return NULL;
	}
	return &s->cf;
}
