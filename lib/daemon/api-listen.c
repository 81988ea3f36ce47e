/* api-listen.c — the control API's sockets: the Unix socket (bound here,
 * or passed by systemd) and the optional TCP listener, each an evhttp
 * whose requests go to api_on_request (api.c); start and stop.
 *
 * Limits (gatherd.conf): max-body (413), max-header (evhttp refuses the
 * request), max-connections (past it the listeners stop accepting: new
 * connections wait in the kernel's backlog until one closes), idle-timeout.
 * Connections are counted through the bufferevent gatherd makes for each
 * (a pass-through filter whose free callback says the connection is gone).
 * Apart from the routes because none of this looks into a request: it
 * hands evhttp the callback and keeps the counts, the feed timer and the
 * listeners to itself.
 * Reactor thread only. */
#include "config.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/api-internal.h"
#include "daemon/daemon-internal.h"
#include "util/clock.h"
#include "util/vec.h"

/* --- connections ------------------------------------------------------ */

static void listeners_enable(struct gatherd *d, bool on)
{
	struct evconnlistener *v[2] = { d->lis_unix, d->lis_tcp };
	for (int i = 0; i < 2; i++)
		if (v[i]) {
			if (on)
				evconnlistener_enable(v[i]);
			else
				evconnlistener_disable(v[i]);
		}
}

/* evhttp asks for the bufferevent of each connection it accepts: gatherd
 * makes it and keeps a reference, so that when evhttp frees the
 * connection the bufferevent stays until the sweep below counts it gone.
 * evhttp closes the socket itself (the bufferevent is made without
 * BEV_OPT_CLOSE_ON_FREE), and bufferevent_free clears its callbacks: a
 * bufferevent with no event callback is a closed connection.  (evhttp 2.1
 * has no connection limit of its own and says nothing when a connection
 * that never sent a request closes.) */
static struct bufferevent *conn_new(struct event_base *base, void *arg)
{
	struct gatherd *d = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	if (!bev)
		return NULL; /* evhttp makes one itself (not counted) */
	/* no CLOSE_ON_FREE: the socket is evhttp's to close */
	struct bufferevent **v = gather_grow(d->conn_bevs, d->nconn_bevs, &d->capconn_bevs, sizeof *v, 16);
	if (!v)
		return bev;
	d->conn_bevs = v;
	bufferevent_incref(bev);
	d->conn_bevs[d->nconn_bevs++] = bev;
	if (++d->conns >= d->conf.max_connections)
		listeners_enable(d, false);
	return bev;
}

/* From the feed timer (evhttp has set each one's fd long since): drop
 * the connections evhttp has closed; accept again when below the limit. */
static void conn_sweep(struct gatherd *d, bool all)
{
	size_t k = 0;
	for (size_t i = 0; i < d->nconn_bevs; i++) {
		struct bufferevent *bev = d->conn_bevs[i];
		bufferevent_event_cb ecb = NULL;
		bufferevent_getcb(bev, NULL, NULL, &ecb, NULL);
		if (all || !ecb) {
			bufferevent_decref(bev);
			d->conns--;
		} else {
			d->conn_bevs[k++] = bev;
		}
	}
	d->nconn_bevs = k;
	if (!d->api_stopping && d->conns < d->conf.max_connections &&
	    gather_now_ms() >= d->accept_paused_until)
		listeners_enable(d, true);
}

/* accept() failed.  Out of descriptors (or kernel memory) the listening
 * socket stays readable, and libevent would call again at once for ever: a
 * busy loop that starves every job.  Stop accepting for a second instead
 * (the sweep above starts again), and say so once per episode. */
static struct gatherd *accept_owner;   /* the process's one control API:
                                        * evhttp_bind_listener makes the
                                        * listener's argument its evhttp */

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct gatherd *d = accept_owner;
	int e = EVUTIL_SOCKET_ERROR();
	(void)arg;
	if (!d) {
		evconnlistener_disable(l);
		return;
	}
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		if (gather_now_ms() >= d->accept_paused_until + 1000)
			gatherd_logf(d, GATHERD_LOG_WARNING, NULL,
			             "control API: cannot accept a connection: %s; trying again in 1 s",
			             strerror(e));
		d->accept_paused_until = gather_now_ms() + 1000;
		listeners_enable(d, false);
	} else {
		gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "control API: accept: %s", strerror(e));
	}
}

/* A faster feed for followers than the 1 s tick: every 200 ms. */
static void on_feed(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_sweep(arg, false);
	gatherd_api_tick(arg);
}

/* --- listeners -------------------------------------------------------- */

static struct evhttp *http_new(struct gatherd *d)
{
	struct evhttp *h = evhttp_new(d->base);
	if (!h)
		return NULL;
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(h, api_on_request, d);
	evhttp_set_bevcb(h, conn_new, d);
	return h;
}

void gatherd_api_apply_limits(struct gatherd *d)
{
	struct evhttp *v[2] = { d->http_unix, d->http_tcp };
	struct timeval tv = { (time_t)(d->conf.idle_timeout_ms / 1000),
		              (suseconds_t)(d->conf.idle_timeout_ms % 1000) * 1000 };
	for (int i = 0; i < 2; i++) {
		if (!v[i])
			continue;
		/* the body limit is checked in h_submit with a JSON answer;
		 * evhttp's own, 4 times as high, ends at once (from its
		 * Content-Length) a body far over it */
		evhttp_set_max_body_size(v[i], (ev_ssize_t)(4 * d->conf.max_body));
		evhttp_set_max_headers_size(v[i], (ev_ssize_t)d->conf.max_header);
		evhttp_set_timeout_tv(v[i], &tv);
	}
	listeners_enable(d, d->conns < d->conf.max_connections);
}

/* Bind the Unix socket at path (a stale one from a crash is replaced; one
 * a live gatherd answers on is not). */
static int bind_unix(const char *path, unsigned mode, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* its directory ($XDG_RUNTIME_DIR/gather) may not be there yet */
	char dir[sizeof sa.sun_path];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(probe);
		close(fd);
		snprintf(err, errlen, "%s: another gatherd is listening there", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	mode_t old = umask(0777 & ~mode);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0 || chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int bind_tcp(const char *hostport, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof host) {
		snprintf(err, errlen, "listen: '%s' is not HOST:PORT", hostport);
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (host[0] == '[') { /* [::1]:PORT */
		size_t n = strlen(host);
		if (host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		                  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai = NULL;
	int r = getaddrinfo(host, colon + 1, &hints, &ai);
	if (r != 0) {
		snprintf(err, errlen, "listen: '%s': %s (a numeric address)", hostport, gai_strerror(r));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "listen %s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int read_token(struct gatherd *d, char *err, size_t errlen)
{
	FILE *fp = fopen(d->conf.token_file, "re");
	char buf[1024];
	if (!fp) {
		snprintf(err, errlen, "token-file %s: %s", d->conf.token_file, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) < 16) {
		snprintf(err, errlen, "token-file %s: the token must have 16 characters or more",
		         d->conf.token_file);
		return -1;
	}
	return (d->token = strdup(buf)) ? 0 : -1;
}

static struct evconnlistener *listener_on(struct gatherd *d, struct evhttp *h, int fd, char *err,
                                          size_t errlen)
{
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	struct evconnlistener *l = evconnlistener_new(d->base, NULL, NULL,
	                                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!l || !evhttp_bind_listener(h, l)) {
		snprintf(err, errlen, "cannot listen: out of memory");
		if (l)
			evconnlistener_free(l);
		else
			close(fd);
		return NULL;
	}
	accept_owner = d;
	evconnlistener_set_error_cb(l, on_accept_error);
	return l;
}

int gatherd_api_start(struct gatherd *d, int listen_fd, char *err, size_t errlen)
{
	int fd = listen_fd;
	if (!(d->http_unix = http_new(d))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (fd < 0) {
		if ((fd = bind_unix(d->conf.socket_path, d->conf.socket_mode, err, errlen)) < 0)
			return -1;
		d->bound_path = strdup(d->conf.socket_path);
	}
	/* evhttp_bind_listener takes the listener: freed with the evhttp */
	if (!(d->lis_unix = listener_on(d, d->http_unix, fd, err, errlen)))
		return -1;
	if (d->conf.listen) {
		if (read_token(d, err, errlen) < 0)
			return -1;
		if (!(d->http_tcp = http_new(d)))
			return -1;
		if ((fd = bind_tcp(d->conf.listen, err, errlen)) < 0)
			return -1;
		if (!(d->lis_tcp = listener_on(d, d->http_tcp, fd, err, errlen)))
			return -1;
	}
	struct timeval t = { 0, 200 * 1000 };
	if (!(d->feed = event_new(d->base, -1, EV_PERSIST, on_feed, d)) || event_add(d->feed, &t) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	gatherd_api_apply_limits(d);
	gatherd_logf(d, GATHERD_LOG_INFO, NULL, "control API on %s%s%s",
	             listen_fd >= 0 ? "the socket systemd passed" : d->conf.socket_path,
	             d->conf.listen ? " and tcp " : "", d->conf.listen ? d->conf.listen : "");
	return 0;
}

void gatherd_api_stop(struct gatherd *d)
{
	d->api_stopping = true;
	api_streams_end(d);
	if (d->feed)
		event_free(d->feed);
	d->feed = NULL;
	if (d->http_tcp)
		evhttp_free(d->http_tcp);
	if (d->http_unix)
		evhttp_free(d->http_unix);
	d->http_tcp = d->http_unix = NULL;
	d->lis_unix = d->lis_tcp = NULL;
	if (accept_owner == d)
		accept_owner = NULL;
	conn_sweep(d, true);
	free(d->conn_bevs);
	d->conn_bevs = NULL;
	if (d->bound_path)
		unlink(d->bound_path);
	free(d->bound_path);
	d->bound_path = NULL;
	if (d->token)
		OPENSSL_cleanse(d->token, strlen(d->token));
	free(d->token);
	d->token = NULL;
}
