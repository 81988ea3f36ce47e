/* engine.c — the fetch engine: origins, the connection pool with per-host
 * and total limits, admission (concurrency), the per-host wait queues, and
 * the deferred work (admit, wake, reap) done from one "kick" event so that
 * nothing runs inside a caller's call and nothing is freed inside its own
 * callback chain. */
#include "config.h"

#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "gather/error.h"
#include "http/fetch-internal.h"
#include "net/tls.h"

uint64_t engine_random(struct gather_engine *e)
{
	/* xorshift64* — jitter only, per engine (no global state) */
	uint64_t x = e->prng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->prng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* ---- origins ------------------------------------------------------------- */

static unsigned key_hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % ENGINE_HOST_BUCKETS;
}

struct host *engine_host(struct gather_engine *e, const struct gather_url *u)
{
	char key[320];
	snprintf(key, sizeof(key), "%s://%s%s%s:%u", u->https ? "https" : "http", u->ipv6 ? "[" : "",
	         u->host, u->ipv6 ? "]" : "", u->port);
	unsigned b = key_hash(key);
	for (struct host *h = e->hosts[b]; h; h = h->next)
		if (!strcmp(h->key, key))
			return h;
	size_t kl = strlen(key);
	struct host *h = calloc(1, sizeof(*h) + kl + 1);
	if (!h)
		return NULL;
	memcpy(h->key, key, kl + 1);
	TAILQ_INIT(&h->idle);
	TAILQ_INIT(&h->waiting);
	h->next = e->hosts[b];
	e->hosts[b] = h;
	return h;
}

/* ---- the pool ------------------------------------------------------------ */

static void idle_remove(struct gather_engine *e, struct pconn *pc)
{
	if (!pc->idle)
		return;
	TAILQ_REMOVE(&pc->host->idle, pc, hidle);
	TAILQ_REMOVE(&e->idle, pc, eidle);
	pc->idle = false;
}

/* From whatever f waits in to the ready list, run on the next kick. */
static void make_ready(struct gather_engine *e, struct fetch *f)
{
	engine_unwait(e, f);
	TAILQ_INSERT_TAIL(&e->ready, f, wlink);
	f->wq = W_READY;
	engine_kick(e);
}

/* Wake the first fetch waiting for a slot of h, or else of any host. */
static void wake_one(struct gather_engine *e, struct host *h)
{
	if (!h || TAILQ_EMPTY(&h->waiting))
		h = TAILQ_FIRST(&e->waiting_hosts);
	if (h)
		make_ready(e, TAILQ_FIRST(&h->waiting));
}

/* Wake the first fetch waiting for a descriptor: called when one was
 * closed. */
static bool wake_fd(struct gather_engine *e)
{
	struct fetch *f = TAILQ_FIRST(&e->fdwait);
	if (!f)
		return false;
	make_ready(e, f);
	return true;
}

/* Retry waits for descriptors held by something other than our
 * connections (files, other threads, or ENFILE: the whole system). */
#define ENGINE_FD_RETRY_MS 100

static void fd_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gather_engine *e = arg;
	(void)fd, (void)what;
	while (wake_fd(e))
		;
}

void engine_wait_fd(struct gather_engine *e, struct fetch *f)
{
	TAILQ_INSERT_TAIL(&e->fdwait, f, wlink);
	f->wq = W_FD;
	if (!event_pending(&e->fd_timer, EV_TIMEOUT, NULL)) {
		struct timeval tv = { 0, ENGINE_FD_RETRY_MS * 1000 };
		event_add(&e->fd_timer, &tv);
	}
}

SSL_CTX *engine_ssl_ctx(struct gather_engine *e, char *msg, size_t msglen)
{
	if (!e->ssl_ctx)
		e->ssl_ctx = tls_ctx_new(e->o->cacert, e->o->insecure, msg, msglen);
	return e->ssl_ctx;
}

void engine_conn_close(struct gather_engine *e, struct pconn *pc)
{
	struct host *h = pc->host;
	idle_remove(e, pc);
	TAILQ_REMOVE(&e->conns, pc, all);
	conn_close(pc->c); /* inside its own handler: freed when that returns,
	                    * and no event reaches it before (so pc may go now) */
	free(pc);
	h->nconns--;
	e->nconns--;
	if (!e->freeing) {
		/* a descriptor is free now: first to one waiting for it */
		wake_fd(e);
		wake_one(e, h);
	}
}

struct pconn *engine_pool_take(struct gather_engine *e, struct host *h)
{
	struct pconn *pc = TAILQ_FIRST(&h->idle);
	if (!pc)
		return NULL;
	idle_remove(e, pc);
	return pc;
}

struct pconn *engine_conn_new(struct gather_engine *e, struct host *h, int *err)
{
	*err = 0;
	if (h->nconns >= e->per_host) {
		/* room for a fresh one only by dropping an idle one of this host */
		struct pconn *old = TAILQ_LAST(&h->idle, pconn_list);
		if (!old)
			return NULL;
		engine_conn_close(e, old);
	}
	if (e->max_conns && e->nconns >= e->max_conns) {
		struct pconn *old = TAILQ_LAST(&e->idle, pconn_list); /* least recently used */
		if (!old)
			return NULL;
		engine_conn_close(e, old);
	}
	struct pconn *pc = calloc(1, sizeof(*pc));
	if (!pc || !(pc->c = conn_new(e->base))) {
		free(pc);
		*err = GATHER_E_NOMEM;
		return NULL;
	}
	pc->e = e;
	pc->host = h;
	TAILQ_INSERT_TAIL(&e->conns, pc, all);
	h->nconns++;
	e->nconns++;
	return pc;
}

/* An idle pooled connection said something: the peer closed it, sent bytes
 * nobody asked for, or it idled past keepalive_ms.  Drop it. */
static void pool_conn_cb(struct conn *c, enum conn_ev ev, int err, const char *msg, void *arg)
{
	struct pconn *pc = arg;
	(void)c, (void)ev, (void)err, (void)msg;
	engine_conn_close(pc->e, pc);
}

void engine_conn_release(struct gather_engine *e, struct pconn *pc)
{
	/* Unasked-for bytes, or a request not all sent (the server answered
	 * before reading the whole body): not reusable either. */
	if (pc->keep && !conn_is_clean(pc->c))
		pc->keep = false;
	if (!pc->keep) {
		engine_conn_close(e, pc);
		return;
	}
	pc->f = NULL;
	conn_set_handler(pc->c, pool_conn_cb, pc);
	conn_set_read_timeout(pc->c, e->o->keepalive_ms);
	conn_reading(pc->c, true);
	TAILQ_INSERT_HEAD(&pc->host->idle, pc, hidle);
	TAILQ_INSERT_HEAD(&e->idle, pc, eidle);
	pc->idle = true;
	wake_one(e, pc->host);
}

void engine_wait_host(struct gather_engine *e, struct host *h, struct fetch *f)
{
	TAILQ_INSERT_TAIL(&h->waiting, f, wlink);
	f->wq = W_HOST;
	if (!h->in_wlist) {
		TAILQ_INSERT_TAIL(&e->waiting_hosts, h, wlink);
		h->in_wlist = true;
	}
}

void engine_unwait(struct gather_engine *e, struct fetch *f)
{
	if (f->wq == W_HOST) {
		struct host *h = f->host;
		TAILQ_REMOVE(&h->waiting, f, wlink);
		if (TAILQ_EMPTY(&h->waiting) && h->in_wlist) {
			TAILQ_REMOVE(&e->waiting_hosts, h, wlink);
			h->in_wlist = false;
		}
	} else if (f->wq == W_READY)
		TAILQ_REMOVE(&e->ready, f, wlink);
	else if (f->wq == W_FD)
		TAILQ_REMOVE(&e->fdwait, f, wlink);
	f->wq = W_NONE;
}

/* ---- deferred work ------------------------------------------------------- */

static void reap(struct gather_engine *e)
{
	struct fetch *f;
	while ((f = TAILQ_FIRST(&e->reap))) {
		TAILQ_REMOVE(&e->reap, f, link);
		fetch_free(f);
	}
}

static bool engine_may_admit(const struct gather_engine *e)
{
	return !e->max_running || e->nrunning < e->max_running;
}

/* Fetches run or admitted per kick: a slice, so that a burst of 10,000
 * admissions (each a connect) does not hold the loop from its I/O. */
#define ENGINE_KICK_SLICE 1024

/* The kick event: free finished fetches, admit pending ones up to the
 * concurrency, run the ones woken from host queues, at most a slice of
 * each per loop turn.  What is left re-arms the kick as a zero timer, so
 * it runs again after the loop has polled for I/O, until everything the
 * concurrency allows is admitted (no later event is needed to carry on). */
static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gather_engine *e = arg;
	(void)fd, (void)what;
	e->kick_armed = false;
	reap(e);
	for (unsigned n = 0; n < ENGINE_KICK_SLICE; n++) {
		struct fetch *f = TAILQ_FIRST(&e->ready);
		if (!f)
			break;
		engine_unwait(e, f);
		fetch_run(f);
	}
	for (unsigned n = 0; n < ENGINE_KICK_SLICE && engine_may_admit(e); n++) {
		struct fetch *f = TAILQ_FIRST(&e->pending);
		if (!f)
			break;
		TAILQ_REMOVE(&e->pending, f, link);
		e->npending--;
		TAILQ_INSERT_TAIL(&e->running, f, link);
		f->admitted = true;
		e->nrunning++;
		fetch_start(f);
	}
	if (e->kick_armed || e->freeing)
		return;
	if (!TAILQ_EMPTY(&e->ready) || (!TAILQ_EMPTY(&e->pending) && engine_may_admit(e))) {
		static const struct timeval now = { 0, 0 };
		e->kick_armed = true;
		event_add(&e->kick, &now);
	}
}

void engine_kick(struct gather_engine *e)
{
	if (e->kick_armed || e->freeing)
		return;
	e->kick_armed = true;
	event_active(&e->kick, EV_TIMEOUT, 1);
}

/* ---- public API ---------------------------------------------------------- */

struct gather_engine *gather_engine_new(struct event_base *base, const struct gather_opts *o,
                                        char *err, size_t errlen)
{
	struct gather_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->base = base;
	e->o = o;
	TAILQ_INIT(&e->conns);
	TAILQ_INIT(&e->idle);
	TAILQ_INIT(&e->waiting_hosts);
	TAILQ_INIT(&e->pending);
	TAILQ_INIT(&e->running);
	TAILQ_INIT(&e->ready);
	TAILQ_INIT(&e->reap);
	TAILQ_INIT(&e->fdwait);
	e->max_running = o->concurrency;
	e->max_conns = o->concurrency;
	e->per_host = o->per_host ? o->per_host : o->concurrency ? o->concurrency : ~0u;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	e->prng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)e;
	if (!e->prng)
		e->prng = 88172645463325252ull;
	event_assign(&e->kick, base, -1, 0, kick_cb, e);
	event_assign(&e->fd_timer, base, -1, 0, fd_timer_cb, e);
	struct http1_head_conf hc = { o->method, &o->headers, o->user_agent, o->compressed };
	if (http1_fixed_init(&e->fixed, &hc, err, errlen) < 0)
		goto fail;
	/* The TLS context is made when the first https fetch needs it
	 * (engine_ssl_ctx): loading the system's CA bundle costs ~15 ms that
	 * an http-only run need not pay.  A --cacert file is loaded now, so a
	 * bad one is a start-up error rather than every https fetch's. */
	if (o->cacert && !(e->ssl_ctx = tls_ctx_new(o->cacert, o->insecure, err, errlen)))
		goto fail;
	if (!(e->dns = dns_new(base, err, errlen)))
		goto fail;
	dns_set_family(e->dns, o->ipv4 ? AF_INET : o->ipv6 ? AF_INET6 : AF_UNSPEC);
	for (size_t i = 0; i < o->resolve.n; i++)
		if (dns_add_pin(e->dns, o->resolve.v[i], err, errlen) < 0)
			goto fail;
	return e;
fail:
	dns_free(e->dns);
	tls_ctx_free(e->ssl_ctx);
	http1_fixed_clear(&e->fixed);
	free(e);
	return NULL;
}

int gather_engine_fetch(struct gather_engine *e, const char *url, unsigned flags,
                        struct gather_result *res, gather_fetch_done_fn done,
                        gather_redirect_fn redirect, void *arg)
{
	struct fetch *f = fetch_new(e, url, flags, res, done, redirect, arg);
	if (!f) {
		gather_result_free(res);
		return GATHER_E_NOMEM;
	}
	e->st.started++;
	TAILQ_INSERT_TAIL(&e->pending, f, link);
	e->npending++;
	engine_kick(e);
	return 0;
}

size_t gather_engine_inflight(const struct gather_engine *e)
{
	return e->npending + e->nrunning;
}

/* Cancels at most n fetches, taken from the front (fetches started by the
 * callbacks join at the back). */
static void cancel_some(struct gather_engine *e, size_t n)
{
	while (n-- > 0) {
		struct fetch *f = TAILQ_FIRST(&e->running);
		if (!f)
			f = TAILQ_FIRST(&e->pending);
		if (!f)
			return;
		fetch_finish(f, GATHER_E_CANCELLED, NULL);
	}
}

void gather_engine_cancel_all(struct gather_engine *e)
{
	cancel_some(e, gather_engine_inflight(e));
}

void gather_engine_free(struct gather_engine *e)
{
	if (!e)
		return;
	for (unsigned round = 0; round < 100 && gather_engine_inflight(e) > 0; round++)
		cancel_some(e, gather_engine_inflight(e));
	e->freeing = true;
	struct pconn *pc;
	while ((pc = TAILQ_FIRST(&e->conns)))
		engine_conn_close(e, pc);
	reap(e);
	event_del(&e->kick);
	event_del(&e->fd_timer);
	for (int i = 0; i < ENGINE_HOST_BUCKETS; i++)
		while (e->hosts[i]) {
			struct host *h = e->hosts[i];
			e->hosts[i] = h->next;
			if (h->session)
				SSL_SESSION_free(h->session);
			free(h);
		}
	dns_free(e->dns);
	tls_ctx_free(e->ssl_ctx);
	http1_fixed_clear(&e->fixed);
	free(e);
}

void gather_engine_pause_reads(struct gather_engine *e, int paused)
{
	struct pconn *pc;
	e->paused = paused != 0;
	TAILQ_FOREACH(pc, &e->conns, all)
		if (pc->f && conn_is_open(pc->c) && pc->f->state >= FS_HEAD)
			conn_reading(pc->c, !e->paused);
}

void gather_engine_stats(const struct gather_engine *e, struct gather_engine_stats *ret)
{
	*ret = e->st;
}

void gather_engine_trace(struct gather_engine *e, gather_fetch_trace_fn fn, void *arg)
{
	e->trace = fn;
	e->trace_arg = arg;
}
