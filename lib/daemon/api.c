/* api.c — the control API's routes: HTTP/1.1 + JSON (evhttp), one
 * request at a time on the reactor, from the Unix socket or from the TCP
 * listener (which takes a bearer token).  Each route's handler reads the
 * registry (jobs.c) and answers at once; the two long answers (records
 * and events, chunked and fed as they grow) are api-stream.c's, and the
 * sockets, connections and their limits api-listen.c's.  The seams are
 * where a handler hands a request over for good (api_records,
 * api_events) and where evhttp hands one in (api_on_request), so the
 * followers and the listeners keep their state to themselves. */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include "daemon/api-internal.h"
#include "daemon/daemon-internal.h"
#include "gather/error.h"
#include "gather/gather.h"
#include "pipeline/share.h"
#include "util/clock.h"

/* --- replies ---------------------------------------------------------- */

void api_count_status(struct gatherd *d, int code)
{
	int c = code / 100;
	d->api_requests[c >= 1 && c <= 5 ? c : 0]++;
}

void api_reply_json(struct gatherd *d, struct evhttp_request *req, int code, json_t *o)
{
	struct evbuffer *b = evbuffer_new();
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!b || !s) {
		free(s);
		if (b)
			evbuffer_free(b);
		api_count_status(d, 500);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	api_count_status(d, code);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

void api_reply_error(struct gatherd *d, struct evhttp_request *req, int code, const char *msg)
{
	api_reply_json(d, req, code, json_pack("{s:s}", "error", msg));
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
	api_reply_json(d, req, 200, json_pack("{s:s, s:I, s:o, s:i, s:i, s:f, s:I, s:b}",
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
		api_reply_error(d, req, 400, "unknown state (queued, running, paused, done, failed, cancelled)");
		return;
	}
	/* the jobs' texts joined: no JSON tree of every job per request */
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		api_reply_error(d, req, 500, "out of memory");
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
	api_count_status(d, 200);
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
			api_reply_error(d, req, 400, "priority: an integer from -1000 to 1000");
			return;
		}
		prio = (int)v;
	}
	if (len > d->conf.max_body) {
		api_reply_error(d, req, 413, "the job text is over max-body");
		return;
	}
	char *text = malloc(len + 1);
	if (!text) {
		api_reply_error(d, req, 500, "out of memory");
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
		api_reply_json(d, req, rc == GATHER_E_TOO_LARGE ? 413 : 400,
		               json_pack("{s:s, s:o}", "error",
		                         rc == GATHER_E_TOO_LARGE ? "the job text is over max-body"
		                                                  : "the job file has faults", "errors", errs));
	} else if (rc == GATHER_E_AGAIN) {
		api_reply_error(d, req, 503, "the service is stopping");
	} else if (rc < 0) {
		api_reply_error(d, req, 500, res.nfaults ? res.faults[0].message : "cannot save the job");
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
		api_reply_json(d, req, 201, json_pack("{s:o}", "jobs", a));
	}
	gatherd_submit_result_free(&res);
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
		api_reply_error(d, req, 500, "out of memory");
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
	api_count_status(d, 200);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void method_not_allowed(struct gatherd *d, struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	api_reply_error(d, req, 405, "method not allowed");
}

/* /v1/jobs/ID[/VERB] */
static void h_job(struct gatherd *d, struct evhttp_request *req, enum evhttp_cmd_type m, const char *rest,
                  struct evkeyvalq *q)
{
	char id[32];
	size_t n = strcspn(rest, "/");
	const char *verb = rest[n] == '/' ? rest + n + 1 : NULL;
	if (n == 0 || n >= sizeof id) {
		api_reply_error(d, req, 404, "no such job");
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	struct djob *j = djob_find(d, id);
	if (!j) {
		api_reply_error(d, req, 404, "no such job");
		return;
	}
	if (!verb) {
		if (m == EVHTTP_REQ_GET) {
			api_reply_json(d, req, 200, djob_json(j));
		} else if (m == EVHTTP_REQ_DELETE) {
			char who[200];
			peer_of(req, who, sizeof who);
			if (d->shutting_down) {
				api_reply_error(d, req, 503, "the service is stopping");
			} else if (djob_delete_allowed(j)) {
				gatherd_logf(d, GATHERD_LOG_INFO, j, "deleted by %s", who);
				djob_delete(j);
				api_count_status(d, 204);
				evhttp_send_reply(req, 204, "No Content", NULL);
			} else {
				api_reply_json(d, req, 409, json_pack("{s:s, s:s}", "error", "the job is running",
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
			api_records(d, req, j, q);
		return;
	}
	int (*fn)(struct djob *) = strcmp(verb, "pause") == 0 ? djob_pause
	                         : strcmp(verb, "resume") == 0 ? djob_resume
	                         : strcmp(verb, "cancel") == 0 ? djob_cancel : NULL;
	if (!fn) {
		api_reply_error(d, req, 404, "no such resource");
		return;
	}
	if (m != EVHTTP_REQ_POST) {
		method_not_allowed(d, req, "POST");
		return;
	}
	if (d->shutting_down) {
		api_reply_error(d, req, 503, "the service is stopping");
		return;
	}
	char who[200];
	peer_of(req, who, sizeof who);
	enum djob_state was = j->state;
	if (fn(j) < 0) {
		api_reply_json(d, req, 409, json_pack("{s:s, s:s}", "error", "the job's state forbids it", "state",
		                                      djob_state_name(j->state)));
		return;
	}
	gatherd_logf(d, GATHERD_LOG_INFO, j, "%s by %s (was %s)", verb, who, djob_state_name(was));
	api_reply_json(d, req, 200, djob_json(j));
}

void api_on_request(struct evhttp_request *req, void *arg)
{
	struct gatherd *d = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *qs = u ? evhttp_uri_get_query(u) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct evkeyvalq q;

	TAILQ_INIT(&q);
	if (!path) {
		api_reply_error(d, req, 400, "bad request target");
		return;
	}
	if (d->http_tcp && evhttp_connection_get_server(evhttp_request_get_connection(req)) == d->http_tcp &&
	    !authorized(d, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
		api_reply_error(d, req, 401, "a bearer token is needed (Authorization: Bearer TOKEN)");
		return;
	}
	if (qs && evhttp_parse_query_str(qs, &q) < 0) {
		api_reply_error(d, req, 400, "bad query string");
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
			api_events(d, req, &q);
		else
			method_not_allowed(d, req, "GET");
	} else if (strcmp(path, "/v1/schedules") == 0) {
		if (m == EVHTTP_REQ_GET)
			api_reply_json(d, req, 200, dsched_json(d));
		else
			method_not_allowed(d, req, "GET");
	} else if (strcmp(path, "/metrics") == 0) {
		if (m == EVHTTP_REQ_GET)
			h_metrics(d, req);
		else
			method_not_allowed(d, req, "GET");
	} else {
		api_reply_error(d, req, 404, "no such resource");
	}
	evhttp_clear_headers(&q);
}
