/* fetch.c — one fetch as a state machine (the C form of get_html):
 *
 *   PENDING → RESOLVE → CONNECT → TLS → SEND → HEAD → BODY → DONE
 *      ↑ (pooled: straight to SEND)                 DONE → REDIRECT | RETRY | end
 *      └── RETRY, REDIRECT, a dead pooled connection       any → FAIL → RETRY | end
 *
 * fetch_set_state() is the one place the state changes, with the entry
 * actions of the states that have them (so no call site repeats them) and
 * the trace.  Callbacks (connection events, DNS, timers) only record what
 * happened (fetch.evs, fetch.ev_err) and call fetch_run(); fetch_run()
 * loops over small step_<state>() functions that take those records and
 * return AGAIN (state changed, go on), WAIT (an event will call fetch_run
 * again) or DONE (finished).  Every outcome goes through fetch_finish(),
 * which calls done exactly once and hands the fetch to the engine's reap
 * list (freed on a later loop turn, never inside its own callback chain).
 *
 * Timers: total (armed once at start, never reset), connect (DNS + TCP +
 * TLS; armed when a new connection is started and not already armed, so pool
 * waits never extend it; stopped on entering SEND, so each attempt after a
 * retry gets its own), first byte (from the request sent to the first
 * response byte) and then idle (between reads), both the connection's read
 * timeout, retry (the backoff).
 *
 * What a response puts into the result is in fetch-response.c, where a
 * redirect goes and with which credentials in fetch-redirect.c. */
#include "config.h"

#include <assert.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "gather/error.h"
#include "http/fetch-internal.h"
#include "http/http1.h"
#include "net/tls.h"
#include "util/clock.h"

static const char *const state_names[FS__COUNT] = {
	[FS_PENDING] = "pending", [FS_RESOLVE] = "resolve", [FS_CONNECT] = "connect", [FS_TLS] = "tls",
	[FS_SEND] = "send",       [FS_HEAD] = "head",       [FS_BODY] = "body",
	[FS_DONE] = "done",       [FS_RETRY] = "retry",     [FS_REDIRECT] = "redirect",
	[FS_FAIL] = "fail",       [FS_END] = "end",
};

const char *fetch_state_name(enum fetch_state s)
{
	return (unsigned)s < FS__COUNT ? state_names[s] : "?";
}

static const struct gather_opts *O(struct fetch *f)
{
	return f->e->o;
}

static void set_fail(struct fetch *f, int err, const char *msg)
{
	f->err = err;
	snprintf(f->msg, sizeof(f->msg), "%s", msg ? msg : gather_err_text(err));
	fetch_set_state(f, FS_FAIL);
}

static enum step fail(struct fetch *f, int err, const char *msg)
{
	set_fail(f, err, msg);
	return STEP_AGAIN;
}

static void arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	event_add(ev, &tv);
}

/* ---- states -------------------------------------------------------------- */

static void drop_conn(struct fetch *f)
{
	if (f->pc) {
		engine_conn_close(f->e, f->pc);
		f->pc = NULL;
	}
	f->connecting = false;
}

/* Stop what the current attempt has under way: its DNS query, its place
 * in a wait queue, its connection, its connect timer. */
static void stop_attempt(struct fetch *f)
{
	dns_cancel(f->dnsq);
	f->dnsq = NULL;
	engine_unwait(f->e, f);
	drop_conn(f);
	event_del(&f->t_connect);
}

/* The one place a fetch changes state (curl's multistate()): the entry
 * actions, and a trace when the engine's owner asked for one
 * (gather_engine_trace). */
void fetch_set_state(struct fetch *f, enum fetch_state s)
{
	if (s == f->state)
		return;
	if (f->e->trace)
		f->e->trace(f->cur, state_names[f->state], state_names[s], f->e->trace_arg);
	switch (s) {
	case FS_PENDING:   /* a new request (retry, redirect, fresh connection) */
		fetch_reset_response(f);
		f->evs = 0;
		break;
	case FS_SEND:      /* the connection is up: its attempt's timer is done */
		event_del(&f->t_connect);
		break;
	case FS_FAIL:      /* stop whatever was under way */
		f->evs = 0;
		stop_attempt(f);
		break;
	default:
		break;
	}
	f->state = s;
}

/* ---- what callbacks report ---------------------------------------------- */

/* Record an error for the current state's step to take (the first one
 * reported wins: what follows is its consequence). */
static void post_error(struct fetch *f, int err, const char *msg)
{
	if (f->ev_err)
		return;
	f->ev_err = err;
	snprintf(f->ev_msg, sizeof(f->ev_msg), "%s", msg ? msg : gather_err_text(err));
}

static void on_conn(struct conn *c, enum conn_ev ev, int err, const char *msg, void *arg)
{
	struct fetch *f = arg;
	char m[300];
	(void)c;
	switch (ev) {
	case CONN_CONNECTED:
		f->evs |= FEV_CONNECTED;
		break;
	case CONN_TLS_DONE:
		f->evs |= FEV_TLS_DONE;
		break;
	case CONN_READ:
		if (!f->got_byte && f->state == FS_HEAD) {
			/* the response has begun: from now on the idle timeout */
			f->got_byte = true;
			conn_set_read_timeout(f->pc->c, O(f)->idle_timeout_ms);
		}
		break;
	case CONN_TIMEOUT:
		if (f->got_byte)
			snprintf(m, sizeof(m), "no data for %" PRIu64 " ms", O(f)->idle_timeout_ms);
		else
			snprintf(m, sizeof(m), "no response within %" PRIu64 " ms", O(f)->first_byte_timeout_ms);
		post_error(f, GATHER_E_TIMEOUT, m);
		break;
	case CONN_EOF:
		f->evs |= FEV_EOF;
		break;
	case CONN_ERROR:
		post_error(f, err, msg);
		break;
	}
	fetch_run(f);
}

static void dns_cb(int err, const char *msg, const struct dns_addrs *a, void *arg)
{
	struct fetch *f = arg;
	f->dnsq = NULL;
	if (err)
		post_error(f, err, msg);
	else {
		f->addrs = *a;
		f->evs |= FEV_RESOLVED;
	}
	fetch_run(f);
}

static void total_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	char m[100];
	(void)fd, (void)what;
	f->no_retry = true;  /* nothing more is tried */
	f->ev_err = 0;       /* this one wins: it ends the fetch */
	snprintf(m, sizeof(m), "total timeout of %" PRIu64 " ms exceeded", O(f)->timeout_ms);
	post_error(f, GATHER_E_TIMEOUT, m);
	fetch_run(f);
}

static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	char m[300];
	(void)fd, (void)what;
	snprintf(m, sizeof(m), "%s timed out after %" PRIu64 " ms (%s)",
	         f->state == FS_TLS ? "TLS handshake" : f->state == FS_RESOLVE ? "DNS lookup" : "connect",
	         O(f)->connect_timeout_ms, f->url.host);
	post_error(f, GATHER_E_TIMEOUT, m);
	fetch_run(f);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	(void)fd, (void)what;
	f->evs |= FEV_BACKOFF;
	fetch_run(f);
}

/* Takes event ev if it was reported. */
static bool took(struct fetch *f, unsigned ev)
{
	if (!(f->evs & ev))
		return false;
	f->evs &= ~ev;
	return true;
}

/* ---- steps --------------------------------------------------------------- */

/* A reused connection died before any response byte: the server closed it
 * while idle (RFC 9112 §9.3.1 allows retrying).  Once, on a fresh one, not
 * counted as an attempt. */
static bool reuse_retry(struct fetch *f)
{
	if (!f->reused || f->reuse_retried || f->got_byte ||
	    evbuffer_get_length(conn_input(f->pc->c)) > 0)
		return false;
	drop_conn(f);
	f->reuse_retried = true;
	f->fresh_only = true;
	fetch_set_state(f, FS_PENDING);
	return true;
}

/* Out of descriptors (conn_connect's GATHER_E_AGAIN): wait for one, with
 * the connect timer stopped as while waiting for a host's slot; the total
 * timer still bounds the wait. */
static enum step wait_fd(struct fetch *f)
{
	f->connecting = false;
	event_del(&f->t_connect);
	engine_wait_fd(f->e, f);
	return STEP_WAIT;
}

/* The error a callback reported, as the current state sees it. */
static enum step take_error(struct fetch *f)
{
	int err = f->ev_err;
	char m[320];
	f->ev_err = 0;
	if (f->no_retry)  /* the total timeout */
		return fail(f, err, f->ev_msg);
	/* a pooled connection that turns out dead (not a slow server) */
	if (f->state == FS_HEAD && err != GATHER_E_TIMEOUT && reuse_retry(f))
		return STEP_AGAIN;
	if (f->state == FS_CONNECT && err == GATHER_E_AGAIN)
		return wait_fd(f);  /* the next address found no descriptor */
	if (f->state == FS_BODY && err == GATHER_E_CONNECT) {
		snprintf(m, sizeof(m), "%.280s after %" PRIu64 " body bytes", f->ev_msg, f->wire_bytes);
		return fail(f, err, m);
	}
	return fail(f, err, f->ev_msg);
}

/* The peer closed (FEV_EOF), as the current state sees it. */
static enum step take_eof(struct fetch *f)
{
	switch (f->state) {
	case FS_HEAD:
		if (reuse_retry(f))
			return STEP_AGAIN;
		if (evbuffer_get_length(conn_input(f->pc->c)) == 0 && !f->got_byte)
			return fail(f, GATHER_E_CONNECT, "connection closed before any response");
		return fail(f, GATHER_E_BAD_RESPONSE, "connection closed inside the response head");
	case FS_BODY:
		if (http1_eof(&f->resp) == HTTP1_COMPLETE) {
			f->pc->keep = false;
			fetch_set_state(f, FS_DONE);
			return STEP_AGAIN;
		}
		return fail(f, f->resp.err, f->resp.msg);
	case FS_TLS:
		return fail(f, GATHER_E_TLS, "connection closed during the TLS handshake");
	default:
		return fail(f, GATHER_E_CONNECT, "connection closed during connect");
	}
}

static void attach(struct fetch *f, struct pconn *pc)
{
	f->pc = pc;
	f->reused = pc->requests > 0;
	pc->f = f;
	conn_set_handler(pc->c, on_conn, f);
}

static void arm_connect_timer(struct fetch *f)
{
	if (O(f)->connect_timeout_ms && !event_pending(&f->t_connect, EV_TIMEOUT, NULL))
		arm(&f->t_connect, O(f)->connect_timeout_ms);
}

/* A connection: a pooled one (→ SEND), a new one in a free slot of the
 * host (→ RESOLVE), or wait in the host's queue for either. */
static enum step step_pending(struct fetch *f)
{
	struct gather_engine *e = f->e;
	if (f->wq != W_NONE)
		return STEP_WAIT;
	struct pconn *pc = f->fresh_only ? NULL : engine_pool_take(e, f->host);
	if (pc) {
		attach(f, pc);
		fetch_set_state(f, FS_SEND);
		return STEP_AGAIN;
	}
	int err = 0;
	if (!(pc = engine_conn_new(e, f->host, &err))) {
		if (err)
			return fail(f, err, NULL);
		engine_wait_host(e, f->host, f);
		return STEP_WAIT;
	}
	attach(f, pc);
	f->fresh_only = false;
	fetch_set_state(f, FS_RESOLVE);
	return STEP_AGAIN;
}

static enum step step_resolve(struct fetch *f)
{
	char m[300];
	if (took(f, FEV_RESOLVED)) {
		fetch_set_state(f, FS_CONNECT);
		return STEP_AGAIN;
	}
	if (f->dnsq)
		return STEP_WAIT;
	arm_connect_timer(f);
	int rc = dns_lookup_now(f->e->dns, f->url.host, f->url.port, &f->addrs, m, sizeof(m));
	if (rc < 0)
		return fail(f, rc, m);
	if (rc > 0) {
		fetch_set_state(f, FS_CONNECT);
		return STEP_AGAIN;
	}
	if (!(f->dnsq = dns_resolve(f->e->dns, f->url.host, f->url.port, dns_cb, f)))
		return fail(f, GATHER_E_NOMEM, NULL);
	return STEP_WAIT;
}

static enum step step_connect(struct fetch *f)
{
	char m[256];
	if (took(f, FEV_EOF))
		return take_eof(f);
	if (took(f, FEV_CONNECTED)) {
		f->connecting = false;
		fetch_set_state(f, f->url.https ? FS_TLS : FS_SEND);
		return STEP_AGAIN;
	}
	if (f->connecting || f->wq != W_NONE)
		return STEP_WAIT;
	arm_connect_timer(f);
	SSL *ssl = NULL;
	if (f->url.https) {
		SSL_CTX *ctx = engine_ssl_ctx(f->e, m, sizeof(m));
		if (!ctx)
			return fail(f, GATHER_E_TLS, m);
		if (!(ssl = tls_new(ctx, f->url.host, O(f)->insecure, &f->host->session)))
			return fail(f, GATHER_E_NOMEM, NULL);
	}
	int rc = conn_connect(f->pc->c, &f->addrs, ssl, m, sizeof(m));
	if (rc == GATHER_E_AGAIN)
		return wait_fd(f);
	if (rc < 0)
		return fail(f, rc, m);
	f->connecting = true;
	f->e->st.conns_opened++;
	return STEP_WAIT;
}

static enum step step_tls(struct fetch *f)
{
	if (took(f, FEV_EOF))
		return take_eof(f);
	if (took(f, FEV_TLS_DONE)) {
		fetch_set_state(f, FS_SEND);
		return STEP_AGAIN;
	}
	return STEP_WAIT;
}

static enum step step_send(struct fetch *f)
{
	struct gather_result *r = f->res;
	struct pconn *pc = f->pc;
	bool raw = f->flags & GATHER_FETCH_KEEP_RAW;
	struct timespec ts;

	if (f->reused)
		f->e->st.conns_reused++;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->start_unix_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	snprintf(r->ip, sizeof(r->ip), "%s", conn_ip(pc->c));
	f->sent = true;
	const char *data = f->with_body ? O(f)->data : NULL;
	if (http1_request(conn_output(pc->c), f->method, &f->url, &f->e->fixed, f->auth, data,
	                  data ? strlen(data) : 0, raw ? &r->req_head : NULL) < 0)
		return fail(f, GATHER_E_NOMEM, NULL);
	pc->requests++;
	pc->keep = true;
	conn_flush(pc->c);
	http1_resp_init(&f->resp, O(f)->max_head, O(f)->max_headers, f->head_request, fetch_on_body, f,
	                raw ? &r->resp_head : NULL);
	f->got_byte = false;
	conn_set_read_timeout(pc->c, O(f)->first_byte_timeout_ms);
	conn_reading(pc->c, !f->e->paused);
	fetch_set_state(f, FS_HEAD);
	return STEP_AGAIN;
}

static enum step step_read(struct fetch *f, bool head)
{
	struct evbuffer *in = conn_input(f->pc->c);
	size_t before = evbuffer_get_length(in);
	enum http1_rc rc = head ? http1_feed_head(&f->resp, in) : http1_feed_body(&f->resp, in);
	f->e->st.bytes_in += before - evbuffer_get_length(in);
	switch (rc) {
	case HTTP1_MORE:
		/* what was read is taken first: the close may end a body */
		return took(f, FEV_EOF) ? take_eof(f) : STEP_WAIT;
	case HTTP1_ERROR:
		return fail(f, f->resp.err ? f->resp.err : GATHER_E_BAD_RESPONSE, f->resp.msg);
	case HTTP1_HEAD:
	case HTTP1_COMPLETE:
		break;
	}
	if (head) {
		int err = fetch_got_head(f);
		if (err < 0)
			return fail(f, err, f->resp.msg);
	}
	fetch_set_state(f, rc == HTTP1_COMPLETE ? FS_DONE : FS_BODY);
	return STEP_AGAIN;
}

static enum step step_done(struct fetch *f)
{
	const struct gather_opts *o = O(f);
	char m[100];
	if (f->dec && gather_decoder_finish(f->dec, f->resp.msg, sizeof(f->resp.msg)) < 0)
		return fail(f, GATHER_E_DECODE, f->resp.msg);
	/* "close", HTTP/1.0, bytes past the response; or the peer has closed */
	if (!f->resp.keepalive || took(f, FEV_EOF))
		f->pc->keep = false;
	engine_conn_release(f->e, f->pc);
	f->pc = NULL;
	int s = f->resp.status;
	if (fetch_redirect_status(s) && f->resp.location && o->location) {
		if (f->res->redirects >= o->max_redirs) {
			snprintf(m, sizeof(m), "more than %u redirects", o->max_redirs);
			fetch_finish(f, GATHER_E_TOO_MANY_REDIRECTS, m);
			return STEP_DONE;
		}
		fetch_set_state(f, FS_REDIRECT);
		return STEP_AGAIN;
	}
	if (fetch_retry_status(s) && !f->no_retry && f->attempts <= o->retries) {
		f->has_retry_after = fetch_parse_retry_after(f->resp.retry_after, &f->retry_after_ms);
		f->err = 0;
		fetch_set_state(f, FS_RETRY);
		return STEP_AGAIN;
	}
	/* The final answer still says "slow down": tell the caller how long
	 * (lib/crawl.c slows the whole host with it). */
	uint64_t ra;
	if ((s == 429 || s == 503) && fetch_parse_retry_after(f->resp.retry_after, &ra))
		f->res->retry_after_ms = ra;
	fetch_finish(f, 0, NULL);
	return STEP_DONE;
}

static enum step step_retry(struct fetch *f)
{
	const struct gather_opts *o = O(f);
	if (took(f, FEV_BACKOFF)) {
		f->attempts++;
		f->err = 0;
		fetch_set_state(f, FS_PENDING);
		return STEP_AGAIN;
	}
	if (event_pending(&f->t_retry, EV_TIMEOUT, NULL))
		return STEP_WAIT;
	drop_conn(f);
	/* exponential backoff from 250 ms with up to 50 % jitter */
	unsigned n = f->attempts > 10 ? 10 : f->attempts;
	uint64_t base = 250ull << (n - 1);
	uint64_t delay = base + engine_random(f->e) % (base / 2 + 1);
	if (f->has_retry_after)
		delay = f->retry_after_ms;
	if (delay > o->retry_max_wait_ms)
		delay = o->retry_max_wait_ms;
	if (o->timeout_ms && gather_now_ms() + delay >= f->t0_ms + o->timeout_ms) {
		/* waiting would cross the total timeout: the last outcome stands */
		fetch_finish(f, f->err, f->err ? f->msg : NULL);
		return STEP_DONE;
	}
	arm(&f->t_retry, delay);
	return STEP_WAIT;
}

static bool retry_error(int err)
{
	return err == GATHER_E_CONNECT || err == GATHER_E_TIMEOUT;
}

/* Entered with everything under way stopped (fetch_set_state). */
static enum step step_fail(struct fetch *f)
{
	if (retry_error(f->err) && !f->no_retry && f->attempts <= O(f)->retries) {
		f->has_retry_after = false;
		fetch_set_state(f, FS_RETRY);
		return STEP_AGAIN;
	}
	fetch_finish(f, f->err, f->msg);
	return STEP_DONE;
}

static enum step fetch_step(struct fetch *f)
{
	/* an error a callback reported ends whatever the state waited for
	 * (DONE, REDIRECT and FAIL never wait: no callback runs in them) */
	if (f->ev_err && (f->state < FS_DONE || f->state == FS_RETRY))
		return take_error(f);
	switch (f->state) {
	case FS_PENDING:  return step_pending(f);
	case FS_RESOLVE:  return step_resolve(f);
	case FS_CONNECT:  return step_connect(f);
	case FS_TLS:      return step_tls(f);
	case FS_SEND:     return step_send(f);
	case FS_HEAD:     return step_read(f, true);
	case FS_BODY:     return step_read(f, false);
	case FS_DONE:     return step_done(f);
	case FS_RETRY:    return step_retry(f);
	case FS_REDIRECT: return fetch_step_redirect(f);
	case FS_FAIL:     return step_fail(f);
	case FS_END:      return STEP_DONE;
	}
	return STEP_DONE;
}

void fetch_run(struct fetch *f)
{
	if (f->running) {       /* called from inside a step: loop once more */
		f->again = true;
		return;
	}
	f->running = true;
	unsigned steps = 0;
	while (f->state != FS_END) {
		/* every step either waits, ends or moves on; a cycle of steps
		 * that never waits is a bug: stop here, loudly */
		assert(++steps < FETCH_MAX_STEPS && "fetch state machine cycles without waiting");
		(void)steps;
		f->again = false;
		enum step s = fetch_step(f);
		if (s == STEP_DONE || (s == STEP_WAIT && !f->again))
			break;
	}
	f->running = false;
}

/* ---- life cycle ---------------------------------------------------------- */

struct fetch *fetch_new(struct gather_engine *e, const char *url, unsigned flags,
                        struct gather_result *res, gather_fetch_done_fn done,
                        gather_redirect_fn redirect, void *arg)
{
	const struct gather_opts *o = e->o;
	struct fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	bool own = !res;
	if (own && (!(res = gather_result_new()) || !(res->url = strdup(url)))) {
		gather_result_free(res);
		free(f);
		return NULL;
	}
	if (!(f->cur = strdup(url))) {
		if (own)
			gather_result_free(res);
		free(f);
		return NULL; /* a result given by the caller: the caller frees it */
	}
	f->e = e;
	f->res = res;
	f->flags = flags;
	f->done = done;
	f->redirect = redirect;
	f->arg = arg;
	f->method = o->method ? o->method : o->data ? "POST" : "GET";
	f->with_body = o->data != NULL;
	f->head_request = !strcasecmp(f->method, "HEAD");
	f->bad_url = gather_url_parse(url, &f->url) < 0;
	f->own_res = own;
	/* Our own record never shows a password (the caller's redacts its own,
	 * see gather_url_redact_result). */
	if ((own && gather_url_redact_field(&res->url) < 0) ||
	    (!f->bad_url && (fetch_initial_auth(f) < 0 || fetch_set_cur(f, &f->url) < 0))) {
		gather_url_clear(&f->url);
		free(f->auth);
		free(f->cur);
		if (own)
			gather_result_free(res);
		free(f);
		return NULL;
	}
	event_assign(&f->t_total, e->base, -1, 0, total_cb, f);
	event_assign(&f->t_connect, e->base, -1, 0, connect_cb, f);
	event_assign(&f->t_retry, e->base, -1, 0, retry_cb, f);
	f->state = FS_PENDING;
	return f;
}

void fetch_start(struct fetch *f)
{
	char m[300];
	f->t0_ms = gather_now_ms();
	f->attempts = 1;
	if (f->bad_url) {
		snprintf(m, sizeof(m), "malformed or unsupported URL: %.250s", f->cur);
		fetch_finish(f, GATHER_E_BAD_URL, m);
		return;
	}
	if (!(f->host = engine_host(f->e, &f->url))) {
		fetch_finish(f, GATHER_E_NOMEM, NULL);
		return;
	}
	if (O(f)->timeout_ms)
		arm(&f->t_total, O(f)->timeout_ms);
	fetch_run(f);  /* in FS_PENDING since fetch_new */
}

void fetch_finish(struct fetch *f, int err, const char *msg)
{
	struct gather_engine *e = f->e;
	struct gather_result *r = f->res;
	if (f->state == FS_END || !r)
		return;
	fetch_set_state(f, FS_END);
	event_del(&f->t_total);
	event_del(&f->t_retry);
	stop_attempt(f);
	gather_decoder_free(f->dec);
	f->dec = NULL;
	http1_resp_clear(&f->resp);

	if (err)
		gather_result_fail(r, err, msg);
	if (f->sent && !r->final_url)
		r->final_url = f->cur, f->cur = NULL;
	else if (f->sent) {
		free(r->final_url);
		r->final_url = f->cur;
		f->cur = NULL;
	}
	if (f->own_res)
		gather_url_redact_result(r); /* out of memory: nothing better to do */
	r->attempts = f->attempts;
	r->time_ms = f->t0_ms ? gather_now_ms() - f->t0_ms : 0;
	if (err)
		e->st.failed++;
	else
		e->st.completed++;

	TAILQ_REMOVE(f->admitted ? &e->running : &e->pending, f, link);
	if (f->admitted)
		e->nrunning--;
	else
		e->npending--;
	TAILQ_INSERT_TAIL(&e->reap, f, link);
	engine_kick(e);
	f->res = NULL;
	f->done(r, f->arg);
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	gather_url_clear(&f->url);
	free(f->cur);
	free(f->auth);
	http1_resp_clear(&f->resp);
	gather_decoder_free(f->dec);
	gather_result_free(f->res);
	free(f);
}
