/* api.c — the control API: HTTP/1.1 + JSON (evhttp) on the Unix socket,
 * and on an optional TCP listener that takes a bearer token.
 *
 * Limits (gatherd.conf): max-body (413), max-header (evhttp refuses the
 * request), max-connections (past it the listeners stop accepting: new
 * connections wait in the kernel's backlog until one closes), idle-timeout.
 * Connections are counted through the bufferevent gatherd makes for each
 * (a pass-through filter whose free callback says the connection is gone).
 * Long answers (records and events with follow=1) are chunked and fed from
 * the tick; each is dropped when its client goes. */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/queue.h>
#include <sys/un.h>

#include <event2/keyvalq_struct.h>
#include <unistd.h>

#include "daemon/daemon-internal.h"
#include "pipeline/share.h"
#include "gather/error.h"
#include "gather/gather.h"
#include "util/clock.h"

/* Most bytes of a records file sent per feed of one follower, and most
 * waiting in its connection's output before it is fed again. */
#define FEED_CHUNK (256u << 10)
#define FEED_HIGH  (1u << 20)

enum follow_kind { FOLLOW_RECORDS, FOLLOW_EVENTS };

struct follower {
	struct follower *next;
	struct gatherd *d;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	enum follow_kind kind;
	uint64_t job_id;     /* records */
	int fd;              /* records: the file, or -1 until it exists */
	uint64_t off;        /* records: bytes sent */
	uint64_t since;      /* events: last id sent */
};

/* --- replies ---------------------------------------------------------- */

static void count_status(struct gatherd *d, int code)
{
	int c = code / 100;
	d->api_requests[c >= 1 && c <= 5 ? c : 0]++;
}

static void reply_json(struct gatherd *d, struct evhttp_request *req, int code, json_t *o)
{
	struct evbuffer *b = evbuffer_new();
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!b || !s) {
		free(s);
		if (b)
			evbuffer_free(b);
		count_status(d, 500);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	count_status(d, code);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

static void reply_error(struct gatherd *d, struct evhttp_request *req, int code, const char *msg)
{
	reply_json(d, req, code, json_pack("{s:s}", "error", msg));
}

/* --- who asks --------------------------------------------------------- */

static evutil_socket_t req_fd(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	struct bufferevent *under = bev ? bufferevent_get_underlying(bev) : NULL;
	return under ? bufferevent_getfd(under) : bev ? bufferevent_getfd(bev) : -1;
}

/* "uid 1000 pid 42" (Unix socket) or "127.0.0.1:PORT" (TCP): logged with
 * each request that changes something. */
static void peer_of(struct evhttp_request *req, char *buf, size_t len)
{
	evutil_socket_t fd = req_fd(req);
	struct ucred cr;
	socklen_t n = sizeof cr;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	snprintf(buf, len, "unknown peer");
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_UNIX) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) == 0)
			snprintf(buf, len, "uid %u pid %d", (unsigned)cr.uid, (int)cr.pid);
		return;
	}
	sl = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
	                NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(buf, len, "tcp %.100s:%.20s", host, serv);
}

/* TCP: "Authorization: Bearer TOKEN", compared in constant time. */
static bool authorized(struct gatherd *d, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!d->token || !h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	size_t n = strlen(h), m = strlen(d->token);
	/* compare as many bytes as the token has whatever the length given,
	 * so the time says nothing about how much matched */
	char *given = calloc(1, m + 1);
	if (!given)
		return false;
	memcpy(given, h, n < m ? n : m);
	bool ok = CRYPTO_memcmp(given, d->token, m) == 0 && n == m;
	free(given);
	return ok;
}

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
	if (d->nconn_bevs == d->capconn_bevs) {
		size_t cap = d->capconn_bevs ? 2 * d->capconn_bevs : 16;
		struct bufferevent **v = realloc(d->conn_bevs, cap * sizeof *v);
		if (!v)
			return bev;
		d->conn_bevs = v;
		d->capconn_bevs = cap;
	}
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

/* --- followers -------------------------------------------------------- */

static void follower_drop(struct follower *f)
{
	struct follower **pp = &f->d->followers;
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

/* The client went.  libevent frees a request with its connection only
 * once the reply was ended; a chunked reply still going (ours) is taken
 * off the connection instead and left to us (evhttp_connection_fail_ ->
 * evhttp_connection_incoming_fail): free it, or every follower a client
 * hangs up on leaks its request. */
static void follower_closed(struct evhttp_connection *c, void *arg)
{
	struct follower *f = arg;
	(void)c;
	if (!evhttp_request_get_connection(f->req))
		evhttp_request_free(f->req);
	follower_drop(f);
}

static void follower_end(struct follower *f)
{
	evhttp_connection_set_closecb(f->evcon, NULL, NULL);
	evhttp_send_reply_end(f->req);
	follower_drop(f);
}

static struct follower *follower_new(struct gatherd *d, struct evhttp_request *req, enum follow_kind k)
{
	struct follower *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->d = d;
	f->req = req;
	f->kind = k;
	f->fd = -1;
	f->evcon = evhttp_request_get_connection(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/x-ndjson");
	count_status(d, 200);
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(f->evcon, follower_closed, f);
	f->next = d->followers;
	d->followers = f;
	return f;
}

static bool backed_up(struct follower *f)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(f->evcon);
	return bev && evbuffer_get_length(bufferevent_get_output(bev)) > FEED_HIGH;
}

/* Send the complete lines of the records file written since the last
 * feed; end once the job is over and everything is sent. */
static void feed_records(struct follower *f)
{
	struct djob *j = NULL;
	char idstr[24];
	snprintf(idstr, sizeof idstr, "%llu", (unsigned long long)f->job_id);
	j = djob_find(f->d, idstr);
	if (backed_up(f))
		return;
	if (f->fd < 0 && j && j->records)
		f->fd = open(j->records, O_RDONLY | O_CLOEXEC);
	bool more = false;
	if (f->fd >= 0) {
		struct stat st;
		if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size < f->off)
			f->off = 0; /* rewritten from the start (a job run again) */
		char *buf = malloc(FEED_CHUNK);
		ssize_t n = buf ? pread(f->fd, buf, FEED_CHUNK, (off_t)f->off) : -1;
		if (n > 0) {
			size_t upto = (size_t)n;
			while (upto > 0 && buf[upto - 1] != '\n')
				upto--;
			if (upto > 0) {
				struct evbuffer *b = evbuffer_new();
				if (b) {
					evbuffer_add(b, buf, upto);
					evhttp_send_reply_chunk(f->req, b);
					evbuffer_free(b);
					f->off += upto;
				}
			}
			more = (size_t)n == FEED_CHUNK || upto < (size_t)n;
		}
		free(buf);
	}
	if (!j || (!djob_active(j) && !more))
		follower_end(f);
}

static void feed_events(struct follower *f)
{
	struct gatherd *d = f->d;
	if (backed_up(f))
		return;
	struct evbuffer *b = evbuffer_new();
	if (!b)
		return;
	for (uint64_t id = f->since + 1; id < d->next_event; id++) {
		struct devent *e = &d->events[id % d->conf.max_events];
		if (e->id == id && e->line) {
			evbuffer_add(b, e->line, strlen(e->line));
			evbuffer_add(b, "\n", 1);
		}
		f->since = id;
	}
	if (evbuffer_get_length(b))
		evhttp_send_reply_chunk(f->req, b);
	evbuffer_free(b);
}

void gatherd_api_tick(struct gatherd *d)
{
	struct follower *f = d->followers, *next;
	for (; f; f = next) {
		next = f->next;
		if (f->kind == FOLLOW_RECORDS)
			feed_records(f);
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

void gatherd_api_event(struct gatherd *d)
{
	struct follower *f = d->followers, *next;
	for (; f; f = next) {
		next = f->next;
		if (f->kind == FOLLOW_EVENTS)
			feed_events(f);
	}
}

/* --- handlers --------------------------------------------------------- */

static const char *query_get(struct evkeyvalq *q, const char *k)
{
	return evhttp_find_header(q, k);
}

static void h_status(struct gatherd *d, struct evhttp_request *req)
{
	json_t *by = json_object();
	size_t n[DJ__N] = { 0 };
	for (size_t i = 0; i < d->njobs; i++)
		n[d->jobs[i]->state]++;
	for (int s = 0; s < DJ__N; s++)
		json_object_set_new(by, djob_state_name((enum djob_state)s), json_integer((json_int_t)n[s]));
	reply_json(d, req, 200, json_pack("{s:s, s:I, s:o, s:i, s:i, s:f, s:I, s:b}",
	                                  "version", gather_version(),
	                                  "uptime_s", (json_int_t)((gather_now_ms() - d->start_mono_ms) / 1000),
	                                  "jobs", by, "max_jobs", (int)d->conf.max_jobs,
	                                  "workers", d->pipe ? (int)gather_pipeline_workers(d->pipe) : 0, "pages_per_s", d->pps,
	                                  "probes", (json_int_t)d->probes, "stopping", d->shutting_down));
}

static void h_jobs_list(struct gatherd *d, struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *st = query_get(q, "state");
	enum djob_state want = DJ_QUEUED;
	if (st && djob_state_parse(st, &want) < 0) {
		reply_error(d, req, 400, "unknown state (queued, running, paused, done, failed, cancelled)");
		return;
	}
	/* the jobs' texts joined: no JSON tree of every job per request */
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		reply_error(d, req, 500, "out of memory");
		return;
	}
	evbuffer_add(b, "{\"jobs\":[", 9);
	bool first = true;
	for (size_t i = 0; i < d->njobs; i++) {
		if (st && d->jobs[i]->state != want)
			continue;
		const char *t = djob_json_text(d->jobs[i]);
		if (!t)
			continue;
		if (!first)
			evbuffer_add(b, ",", 1);
		evbuffer_add(b, t, strlen(t));
		first = false;
	}
	evbuffer_add(b, "]}\n", 3);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	count_status(d, 200);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void h_submit(struct gatherd *d, struct evhttp_request *req, struct evkeyvalq *q)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	int prio = 0;
	const char *p = query_get(q, "priority");
	if (p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || *end || v < -1000 || v > 1000) {
			reply_error(d, req, 400, "priority: an integer from -1000 to 1000");
			return;
		}
		prio = (int)v;
	}
	if (len > d->conf.max_body) {
		reply_error(d, req, 413, "the job text is over max-body");
		return;
	}
	char *text = malloc(len + 1);
	if (!text) {
		reply_error(d, req, 500, "out of memory");
		return;
	}
	evbuffer_copyout(in, text, len);
	text[len] = '\0';
	char who[200], src[256];
	peer_of(req, who, sizeof who);
	snprintf(src, sizeof src, "api (%s)", who);
	struct gatherd_submit_result res;
	int rc = gatherd_submit(d, text, len, src, prio, &res);
	free(text);
	if (rc == GATHER_E_INVALID || rc == GATHER_E_TOO_LARGE) {
		json_t *errs = json_array();
		for (size_t i = 0; i < res.nfaults; i++)
			json_array_append_new(errs, json_pack("{s:i, s:s}", "line", (int)res.faults[i].line,
			                                      "message", res.faults[i].message));
		gatherd_logf(d, GATHERD_LOG_NOTICE, NULL, "submission refused (%s): %zu faults%s%s", who,
		             res.nfaults, res.nfaults ? ", first: " : "",
		             res.nfaults ? res.faults[0].message : "");
		reply_json(d, req, rc == GATHER_E_TOO_LARGE ? 413 : 400,
		           json_pack("{s:s, s:o}", "error",
		                     rc == GATHER_E_TOO_LARGE ? "the job text is over max-body"
		                                              : "the job file has faults", "errors", errs));
	} else if (rc == GATHER_E_AGAIN) {
		reply_error(d, req, 503, "the service is stopping");
	} else if (rc < 0) {
		reply_error(d, req, 500, res.nfaults ? res.faults[0].message : "cannot save the job");
	} else {
		json_t *a = json_array();
		for (size_t i = 0; i < res.n; i++) {
			struct djob *j = djob_find(d, res.ids[i]);
			if (j)
				json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "id", j->idstr, "name",
				                                   j->name, "state", djob_state_name(j->state)));
		}
		char loc[64];
		snprintf(loc, sizeof loc, "/v1/jobs/%s", res.n ? res.ids[0] : "");
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location", loc);
		reply_json(d, req, 201, json_pack("{s:o}", "jobs", a));
	}
	gatherd_submit_result_free(&res);
}

static void h_records(struct gatherd *d, struct evhttp_request *req, struct djob *j, struct evkeyvalq *q)
{
	const char *fl = query_get(q, "follow");
	if (fl && (strcmp(fl, "1") == 0 || strcmp(fl, "true") == 0)) {
		struct follower *f = follower_new(d, req, FOLLOW_RECORDS);
		if (!f) {
			reply_error(d, req, 500, "out of memory");
			return;
		}
		f->job_id = j->id;
		feed_records(f);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	int fd = j->records ? open(j->records, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (!b) {
		if (fd >= 0)
			close(fd);
		reply_error(d, req, 500, "out of memory");
		return;
	}
	/* a job not started yet has no records: an empty answer */
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		if (evbuffer_add_file(b, fd, 0, st.st_size) < 0)
			close(fd);
	} else if (fd >= 0) {
		close(fd);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/x-ndjson");
	count_status(d, 200);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void h_events(struct gatherd *d, struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *s = query_get(q, "since"), *fl = query_get(q, "follow");
	uint64_t since = 0;
	if (s && gather_parse_u64(s, UINT64_MAX - 1, &since) < 0) {
		reply_error(d, req, 400, "since: an event id");
		return;
	}
	uint64_t last = d->next_event - 1;
	uint64_t oldest = last >= d->conf.max_events ? last - d->conf.max_events + 1 : 1;
	if (since + 1 < oldest) {
		reply_json(d, req, 410, json_pack("{s:s, s:I}", "error", "events after that id are gone",
		                                  "oldest", (json_int_t)oldest));
		return;
	}
	struct follower *f = follower_new(d, req, FOLLOW_EVENTS);
	if (!f) {
		reply_error(d, req, 500, "out of memory");
		return;
	}
	f->since = since;
	feed_events(f);
	if (!(fl && (strcmp(fl, "1") == 0 || strcmp(fl, "true") == 0)))
		follower_end(f);
}

static void metric_head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Prometheus text format 0.0.4; labels per job, never per URL or host. */
static void h_metrics(struct gatherd *d, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	size_t n[DJ__N] = { 0 };
	if (!b) {
		reply_error(d, req, 500, "out of memory");
		return;
	}
	for (size_t i = 0; i < d->njobs; i++)
		n[d->jobs[i]->state]++;
	metric_head(b, "gatherd_uptime_seconds", "gauge", "Seconds since the service started.");
	evbuffer_add_printf(b, "gatherd_uptime_seconds %.3f\n", (double)(gather_now_ms() - d->start_mono_ms) / 1000);
	metric_head(b, "gatherd_jobs", "gauge", "Jobs kept, by state.");
	for (int s = 0; s < DJ__N; s++)
		evbuffer_add_printf(b, "gatherd_jobs{state=\"%s\"} %zu\n", djob_state_name((enum djob_state)s), n[s]);
	metric_head(b, "gatherd_api_requests_total", "counter", "API requests answered, by status class.");
	for (int c = 1; c <= 5; c++)
		evbuffer_add_printf(b, "gatherd_api_requests_total{code=\"%dxx\"} %llu\n", c,
		                    (unsigned long long)d->api_requests[c]);
	metric_head(b, "gatherd_worker_probes_total", "counter", "Liveness probes through the worker pool.");
	evbuffer_add_printf(b, "gatherd_worker_probes_total %llu\n", (unsigned long long)d->probes);

	static const struct {
		const char *name, *type, *help;
	} per_job[] = {
		{ "gatherd_job_pages_total", "counter", "Records written (pages fetched, refused or failed)." },
		{ "gatherd_job_errors_total", "counter", "Fetches that failed (errors and status >= 400)." },
		{ "gatherd_job_bytes_total", "counter", "Decoded body bytes received." },
		{ "gatherd_job_frontier_queued", "gauge", "URLs known and not started." },
		{ "gatherd_job_frontier_inflight", "gauge", "Fetches in flight." },
	};
	for (size_t m = 0; m < sizeof per_job / sizeof per_job[0]; m++) {
		metric_head(b, per_job[m].name, per_job[m].type, per_job[m].help);
		for (size_t i = 0; i < d->njobs; i++) {
			struct djob *j = d->jobs[i];
			if (j->r)
				gather_runner_stats(j->r, &j->stats);
			uint64_t v[] = { j->stats.done, j->stats.failed, j->stats.bytes, j->stats.queued,
				         j->stats.inflight };
			evbuffer_add_printf(b, "%s{job=\"%s\"} %llu\n", per_job[m].name, j->idstr,
			                    (unsigned long long)v[m]);
		}
	}
	metric_head(b, "gatherd_fetch_duration_seconds", "histogram",
	            "Time of each fetch, retries included (jobs run since the service started).");
	for (size_t i = 0; i < d->njobs; i++) {
		struct djob *j = d->jobs[i];
		uint64_t cum = 0;
		for (size_t k = 0; k <= DJOB_NBUCKETS; k++) {
			cum += j->hist[k];
			if (k < DJOB_NBUCKETS)
				evbuffer_add_printf(b, "gatherd_fetch_duration_seconds_bucket{job=\"%s\",le=\"%g\"} %llu\n",
				                    j->idstr, djob_buckets[k], (unsigned long long)cum);
			else
				evbuffer_add_printf(b, "gatherd_fetch_duration_seconds_bucket{job=\"%s\",le=\"+Inf\"} %llu\n",
				                    j->idstr, (unsigned long long)cum);
		}
		evbuffer_add_printf(b, "gatherd_fetch_duration_seconds_sum{job=\"%s\"} %.6f\n", j->idstr, j->hist_sum);
		evbuffer_add_printf(b, "gatherd_fetch_duration_seconds_count{job=\"%s\"} %llu\n", j->idstr,
		                    (unsigned long long)cum);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; version=0.0.4; charset=utf-8");
	count_status(d, 200);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void method_not_allowed(struct gatherd *d, struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	reply_error(d, req, 405, "method not allowed");
}

/* /v1/jobs/ID[/VERB] */
static void h_job(struct gatherd *d, struct evhttp_request *req, enum evhttp_cmd_type m, const char *rest,
                  struct evkeyvalq *q)
{
	char id[32];
	size_t n = strcspn(rest, "/");
	const char *verb = rest[n] == '/' ? rest + n + 1 : NULL;
	if (n == 0 || n >= sizeof id) {
		reply_error(d, req, 404, "no such job");
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	struct djob *j = djob_find(d, id);
	if (!j) {
		reply_error(d, req, 404, "no such job");
		return;
	}
	if (!verb) {
		if (m == EVHTTP_REQ_GET) {
			reply_json(d, req, 200, djob_json(j));
		} else if (m == EVHTTP_REQ_DELETE) {
			char who[200];
			peer_of(req, who, sizeof who);
			if (d->shutting_down) {
				reply_error(d, req, 503, "the service is stopping");
			} else if (djob_delete_allowed(j)) {
				gatherd_logf(d, GATHERD_LOG_INFO, j, "deleted by %s", who);
				djob_delete(j);
				count_status(d, 204);
				evhttp_send_reply(req, 204, "No Content", NULL);
			} else {
				reply_json(d, req, 409, json_pack("{s:s, s:s}", "error", "the job is running",
				                                  "state", djob_state_name(j->state)));
			}
		} else {
			method_not_allowed(d, req, "GET, DELETE");
		}
		return;
	}
	if (strcmp(verb, "records") == 0) {
		if (m != EVHTTP_REQ_GET)
			method_not_allowed(d, req, "GET");
		else
			h_records(d, req, j, q);
		return;
	}
	int (*fn)(struct djob *) = strcmp(verb, "pause") == 0 ? djob_pause
	                         : strcmp(verb, "resume") == 0 ? djob_resume
	                         : strcmp(verb, "cancel") == 0 ? djob_cancel : NULL;
	if (!fn) {
		reply_error(d, req, 404, "no such resource");
		return;
	}
	if (m != EVHTTP_REQ_POST) {
		method_not_allowed(d, req, "POST");
		return;
	}
	if (d->shutting_down) {
		reply_error(d, req, 503, "the service is stopping");
		return;
	}
	char who[200];
	peer_of(req, who, sizeof who);
	enum djob_state was = j->state;
	if (fn(j) < 0) {
		reply_json(d, req, 409, json_pack("{s:s, s:s}", "error", "the job's state forbids it", "state",
		                                  djob_state_name(j->state)));
		return;
	}
	gatherd_logf(d, GATHERD_LOG_INFO, j, "%s by %s (was %s)", verb, who, djob_state_name(was));
	reply_json(d, req, 200, djob_json(j));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct gatherd *d = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *qs = u ? evhttp_uri_get_query(u) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct evkeyvalq q;

	TAILQ_INIT(&q);
	if (!path) {
		reply_error(d, req, 400, "bad request target");
		return;
	}
	if (d->http_tcp && evhttp_connection_get_server(evhttp_request_get_connection(req)) == d->http_tcp &&
	    !authorized(d, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
		reply_error(d, req, 401, "a bearer token is needed (Authorization: Bearer TOKEN)");
		return;
	}
	if (qs && evhttp_parse_query_str(qs, &q) < 0) {
		reply_error(d, req, 400, "bad query string");
		return;
	}
	if (strcmp(path, "/v1/status") == 0) {
		if (m == EVHTTP_REQ_GET)
			h_status(d, req);
		else
			method_not_allowed(d, req, "GET");
	} else if (strcmp(path, "/v1/jobs") == 0) {
		if (m == EVHTTP_REQ_GET)
			h_jobs_list(d, req, &q);
		else if (m == EVHTTP_REQ_POST)
			h_submit(d, req, &q);
		else
			method_not_allowed(d, req, "GET, POST");
	} else if (strncmp(path, "/v1/jobs/", 9) == 0) {
		h_job(d, req, m, path + 9, &q);
	} else if (strcmp(path, "/v1/events") == 0) {
		if (m == EVHTTP_REQ_GET)
			h_events(d, req, &q);
		else
			method_not_allowed(d, req, "GET");
	} else if (strcmp(path, "/v1/schedules") == 0) {
		if (m == EVHTTP_REQ_GET)
			reply_json(d, req, 200, dsched_json(d));
		else
			method_not_allowed(d, req, "GET");
	} else if (strcmp(path, "/metrics") == 0) {
		if (m == EVHTTP_REQ_GET)
			h_metrics(d, req);
		else
			method_not_allowed(d, req, "GET");
	} else {
		reply_error(d, req, 404, "no such resource");
	}
	evhttp_clear_headers(&q);
}

/* --- listeners -------------------------------------------------------- */

static struct evhttp *http_new(struct gatherd *d)
{
	struct evhttp *h = evhttp_new(d->base);
	if (!h)
		return NULL;
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(h, on_request, d);
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
	while (d->followers)
		follower_end(d->followers);
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
