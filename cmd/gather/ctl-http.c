/* ctl-http.c — the transport of `gather ctl`: one HTTP/1.1 request over
 * gatherd's Unix socket, its answer read back, kept in memory or passed on
 * line by line (a stream).  Split from ctl.c (issue 11) at the one call the
 * verbs make, ctl_request(): nothing here prints an answer, nothing in
 * ctl.c or ctl-show.c touches a socket.
 *
 * A small blocking client, not evhttp: one request at a time needs no
 * reactor, and the response goes through lib/http's strict llhttp parser
 * (http1.h), the one every fetch uses, with its head limits.  Every wait is
 * bounded by --timeout (connect, send, the response head, and each read of
 * a body that is not a stream); a body kept in memory by --max-response.
 * Single-threaded; what a request allocates is freed before it returns,
 * but c->path, the sink's buffers and a->location, which the caller frees. */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "gather/error.h"
#include "http/http1.h"
#include "util/strbuf.h"

#define CTL_MAX_HEAD (64u << 10)            /* as a fetch's response head */
#define CTL_MAX_LINE (1u << 20)             /* one line of a stream, shown as a table */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A connected non-blocking socket to path, or -1 with errno.  A Unix
 * socket connects at once or fails at once (ECONNREFUSED: no one listens),
 * but a blocking connect() waits without limit while the listener's
 * backlog is full (a daemon that stopped accepting); non-blocking, that is
 * EAGAIN, retried until deadline, then ETIMEDOUT. */
static int connect_unix(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && now_ms() < deadline) {
			/* bounded: at most --timeout of 10 ms naps */
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
			continue;
		}
		close(fd);
		errno = e == EAGAIN ? ETIMEDOUT : e;
		return -1;
	}
	return fd;
}

/* The candidates, in order (the daemon binds the first of the same list
 * that applies to it; /run/gather is where the packaged service listens,
 * tried last for a user whose own daemon is not running). */
static size_t default_paths(char paths[4][512])
{
	const char *v;
	size_t n = 0;
	if ((v = getenv("GATHER_SOCKET")) && *v) {
		snprintf(paths[n++], 512, "%s", v);
		return n;
	}
	if ((v = getenv("RUNTIME_DIRECTORY")) && *v)
		snprintf(paths[n++], 512, "%.*s/gatherd.sock", (int)strcspn(v, ":"), v);
	if (geteuid() != 0 && (v = getenv("XDG_RUNTIME_DIR")) && *v)
		snprintf(paths[n++], 512, "%s/gather/gatherd.sock", v);
	else if (geteuid() != 0 && (v = getenv("XDG_STATE_HOME")) && *v)
		/* gatherd with neither runtime directory binds in its state
		 * directory (gatherd_conf_defaults) */
		snprintf(paths[n++], 512, "%s/gather/gatherd.sock", v);
	else if (geteuid() != 0 && (v = getenv("HOME")) && *v)
		snprintf(paths[n++], 512, "%s/.local/state/gather/gatherd.sock", v);
	snprintf(paths[n++], 512, "/run/gather/gatherd.sock");
	return n;
}

/* Connect to --socket or the first default that answers; else say where
 * it looked, each path once, and return -1. */
static int ctl_connect(struct ctl *c)
{
	char paths[4][512];
	int errs[4];
	size_t n;

	if (c->socket) {
		snprintf(paths[0], sizeof paths[0], "%s", c->socket);
		n = 1;
	} else {
		n = default_paths(paths);
	}
	for (size_t i = 0; i < n; i++) {
		int fd = connect_unix(paths[i], now_ms() + c->timeout_ms);
		if (fd >= 0) {
			free(c->path);
			c->path = strdup(paths[i]);
			return fd;
		}
		errs[i] = errno;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "gather ctl: no gatherd at %s: %s\n", paths[i], strerror(errs[i]));
	return -1;
}

/* Wait for fd to be ready for events until deadline (0: no limit). 1
 * ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		uint64_t now = now_ms();
		int ms = -1;
		if (deadline) {
			if (now >= deadline)
				return 0;
			ms = deadline - now > 60000 ? 60000 : (int)(deadline - now);
		}
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n) {
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w <= 0) {
			errno = w == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k < 0)
			return -1;
		p += k, n -= (size_t)k;
	}
	return 0;
}

static int on_body(const char *data, size_t len, void *arg)
{
	struct ctl_sink *s = arg;
	if (!s->stream) {
		if (s->body.len + len > s->max) {
			s->too_large = true;
			return GATHER_E_TOO_LARGE;
		}
		gather_strbuf_add(&s->body, data, len);
		return s->body.oom ? GATHER_E_NOMEM : 0;
	}
	/* a stream: whole lines to on_line, the rest kept for the next bytes */
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t k = nl ? (size_t)(nl - data) + 1 : len;
		if (s->line.len + k > CTL_MAX_LINE) {
			s->too_large = true;
			return GATHER_E_TOO_LARGE;
		}
		gather_strbuf_add(&s->line, data, k);
		if (s->line.oom)
			return GATHER_E_NOMEM;
		data += k, len -= k;
		if (nl) {
			int r = s->on_line(s->line.p, s->line.len, s->arg);
			s->line.len = 0;
			if (r == GATHER_E_IO)
				s->write_err = errno ? errno : EPIPE;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Send one request and read its answer into sink.  0 with a->status set;
 * -1 after saying on stderr what went wrong (the caller exits 2). */
int ctl_request(struct ctl *c, const char *method, const char *target, const char *body,
                size_t body_len, struct ctl_sink *sink, struct ctl_answer *a)
{
	struct gather_strbuf req = { 0 };
	struct evbuffer *in = evbuffer_new();
	struct http1_resp r = { 0 }; /* init frees what a reused one kept */
	int fd = -1, ret = -1;
	bool head = true;
	const char *what = "reading the answer";

	if (!in) {
		fprintf(stderr, "gather ctl: out of memory\n");
		return -1;
	}
	http1_resp_init(&r, CTL_MAX_HEAD, 100, false, on_body, sink, NULL);
	if ((fd = ctl_connect(c)) < 0)
		goto out;
	gather_strbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: gatherd\r\n", method, target);
	gather_strbuf_printf(&req, "User-Agent: gather-ctl/%s\r\nAccept: application/json\r\n",
	                     PACKAGE_VERSION);
	if (body)
		gather_strbuf_printf(&req, "Content-Type: text/plain; charset=utf-8\r\n"
		                     "Content-Length: %zu\r\n", body_len);
	else if (strcmp(method, "POST") == 0)
		gather_strbuf_adds(&req, "Content-Length: 0\r\n");
	gather_strbuf_adds(&req, "Connection: close\r\n\r\n");
	if (body)
		gather_strbuf_add(&req, body, body_len);
	if (req.oom) {
		fprintf(stderr, "gather ctl: out of memory\n");
		goto out;
	}
	uint64_t deadline = now_ms() + c->timeout_ms;
	if (send_all(fd, req.p, req.len, deadline) < 0) {
		/* the daemon may answer before reading all (413): read on */
		if (errno != EPIPE && errno != ECONNRESET) {
			fprintf(stderr, "gather ctl: %s: sending the request: %s\n", c->path, strerror(errno));
			goto out;
		}
	}
	deadline = now_ms() + c->timeout_ms;
	for (;;) {
		enum http1_rc rc = HTTP1_MORE;
		/* a followed stream waits for its next line as long as it
		 * takes (records --follow, events), unless --timeout was given */
		int w = wait_fd(fd, POLLIN, !head && sink->wait ? 0 : deadline);
		if (w == 0) {
			fprintf(stderr, "gather ctl: %s: no answer within %.3g s (--timeout)\n", c->path,
			        c->timeout_ms / 1000.0);
			goto out;
		}
		int n = w < 0 ? -1 : evbuffer_read(in, fd, 64 * 1024);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			fprintf(stderr, "gather ctl: %s: %s: %s\n", c->path, what, strerror(errno));
			goto out;
		}
		if (n <= 0) {
			rc = http1_eof(&r);
		} else {
			deadline = now_ms() + c->timeout_ms; /* an idle limit, per read */
			if (head && (rc = http1_feed_head(&r, in)) == HTTP1_HEAD) {
				head = false;
				a->status = r.status;
				/* an error is one JSON object to report, not a stream */
				if (sink->stream && r.status / 100 != 2)
					sink->stream = sink->wait = false;
				rc = http1_feed_body(&r, in);
			} else if (!head) {
				rc = http1_feed_body(&r, in);
			}
		}
		if (head && rc == HTTP1_COMPLETE)
			a->status = r.status;
		if (rc == HTTP1_COMPLETE) {
			/* a stream's last line may lack its newline */
			if (sink->stream && sink->line.len)
				sink->on_line(sink->line.p, sink->line.len, sink->arg);
			if (r.location)
				a->location = strdup(r.location);
			ret = 0;
			break;
		}
		if (rc == HTTP1_ERROR || n <= 0) {
			if (sink->write_err)
				ret = -2; /* stdout went away: not the daemon's fault */
			else if (sink->too_large)
				fprintf(stderr, "gather ctl: %s: the answer is larger than %llu bytes "
				        "(--max-response)\n", c->path, (unsigned long long)(sink->stream ?
				        CTL_MAX_LINE : sink->max));
			else
				fprintf(stderr, "gather ctl: %s: bad answer: %s\n", c->path,
				        r.msg[0] ? r.msg : "connection closed");
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(req.p);
	http1_resp_clear(&r);
	evbuffer_free(in);
	return ret;
}
