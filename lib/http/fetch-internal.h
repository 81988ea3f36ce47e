/* fetch-internal.h — the engine's insides shared by lib/engine.c (engine,
 * origins, connection pool, queues) and lib/fetch.c (the per-fetch state
 * machine).  Not installed.
 *
 * Threads: everything here lives on the reactor thread of its engine. */
#ifndef GATHER_FETCH_INTERNAL_H
#define GATHER_FETCH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event_struct.h>
#include <openssl/ssl.h>

#include "net/conn.h"
#include "http/decode.h"
#include "net/dns.h"
#include "gather/engine.h"
#include "http/http1.h"
#include "url/url.h"

TAILQ_HEAD(pconn_list, pconn);
TAILQ_HEAD(fetch_list, fetch);

/* A connection as the engine keeps it: the transport (lib/net's conn,
 * which knows nothing of pools or fetches) and the pool's bookkeeping. */
struct pconn {
	struct conn *c;               /* the transport; owned */
	struct gather_engine *e;
	struct host *host;            /* origin it belongs to */
	struct fetch *f;              /* user, or NULL when idle in the pool */
	TAILQ_ENTRY(pconn) all;       /* engine: every connection */
	TAILQ_ENTRY(pconn) hidle;     /* host: idle connections */
	TAILQ_ENTRY(pconn) eidle;     /* engine: idle connections, LRU */
	bool idle;
	/* Fit to carry another request once this exchange ends: set when a
	 * request goes out on it, cleared by whatever makes it unfit (the
	 * response says close, bytes past the response, a request not all
	 * sent, any error); read in one place, engine_conn_release (h2o's
	 * keepalive flag). */
	bool keep;
	unsigned requests;            /* requests sent on it */
};

/* An origin (scheme, host, port): its pooled connections, its queue of
 * fetches waiting for a connection slot, its TLS session. */
struct host {
	struct host *next;            /* hash chain */
	struct pconn_list idle;       /* most recently used first */
	unsigned nconns;              /* connecting, busy and idle */
	struct fetch_list waiting;    /* over the per-host limit, FIFO */
	TAILQ_ENTRY(host) wlink;      /* in engine->waiting_hosts when waiting is not empty */
	bool in_wlist;
	SSL_SESSION *session;         /* for resumption; owned reference */
	char key[];                   /* "https://host:port" */
};
TAILQ_HEAD(host_list, host);

#define ENGINE_HOST_BUCKETS 1024

struct gather_engine {
	struct event_base *base;
	const struct gather_opts *o;
	struct dns *dns;
	SSL_CTX *ssl_ctx;
	struct http1_fixed fixed;     /* request head lines sent every time */

	struct host *hosts[ENGINE_HOST_BUCKETS];
	struct pconn_list conns;      /* every connection */
	struct pconn_list idle;       /* idle ones, LRU at the tail */
	unsigned nconns, max_conns, per_host;
	struct host_list waiting_hosts;

	struct fetch_list pending;    /* accepted, not yet admitted (concurrency) */
	struct fetch_list running;    /* admitted, not finished */
	struct fetch_list ready;      /* woken from a host queue, to run next turn */
	struct fetch_list reap;       /* finished, freed at a safe point */
	struct fetch_list fdwait;     /* socket() failed with EMFILE/ENFILE: wait
	                               * for a descriptor (engine_wait_fd) */
	struct event fd_timer;        /* retries them if no connection closes */
	unsigned nrunning, max_running;
	size_t npending;
	struct event kick;            /* admits, wakes, reaps (never inside a caller) */
	bool kick_armed, paused, freeing;

	uint64_t prng;                /* xorshift64*, for retry jitter */
	struct gather_engine_stats st;
	gather_fetch_trace_fn trace;  /* gather_engine_trace: every state change */
	void *trace_arg;
};

/* The states (curl's multi states, in their spirit).  Events (the
 * connection's, DNS answers, timers) never pick the next state: they are
 * recorded in the fetch (evs, ev_err) and the current state's step decides
 * what they mean. */
enum fetch_state {
	FS_PENDING,   /* waiting for a connection: a pooled one, or a free slot
	               * of its host (queued behind the per-host limit) */
	FS_RESOLVE,   /* the host's addresses (cache, pins, DNS) */
	FS_CONNECT,   /* TCP connect under way (or waiting for a descriptor) */
	FS_TLS,       /* TLS handshake under way */
	FS_SEND,      /* write the request */
	FS_HEAD,      /* read the response head (first-byte timeout) */
	FS_BODY,      /* read the body (idle timeout) */
	FS_DONE,      /* a whole response: finish, redirect or retry */
	FS_RETRY,     /* waiting out the backoff */
	FS_REDIRECT,  /* follow Location */
	FS_FAIL,      /* an error: retry or finish */
	FS_END,       /* finished, waiting to be reaped */
};
#define FS__COUNT (FS_END + 1)
/* The states' names ("pending", "resolve", ...), for traces. */
const char *fetch_state_name(enum fetch_state s);
/* Steps one fetch_run may take before it must have waited or ended: more
 * means two states hand the fetch back and forth (a bug, not an input:
 * an assertion). */
#define FETCH_MAX_STEPS 100000u

/* What the callbacks report (struct fetch's evs), taken by the steps. */
enum {
	FEV_RESOLVED = 1u << 0,   /* DNS answered: addrs are set */
	FEV_CONNECTED = 1u << 1,  /* TCP connected */
	FEV_TLS_DONE = 1u << 2,   /* handshake and verification done */
	FEV_EOF = 1u << 3,        /* the peer closed */
	FEV_BACKOFF = 1u << 4,    /* the retry backoff ran out */
};

struct fetch {
	struct gather_engine *e;
	TAILQ_ENTRY(fetch) link;      /* in pending, running or reap */
	TAILQ_ENTRY(fetch) wlink;     /* in host->waiting, e->ready or e->fdwait */
	enum { W_NONE, W_HOST, W_READY, W_FD } wq;
	enum fetch_state state;
	struct host *host;
	struct pconn *pc;             /* the connection in use, or NULL */
	struct dns_req *dnsq;
	struct dns_addrs addrs;

	/* the request */
	struct gather_url url;
	char *cur;                    /* current URL (after redirects), malloc */
	char *auth;                   /* Authorization value for this origin, malloc;
	                               * NULL once a redirect left the origin */
	const char *method;
	bool with_body, head_request;
	unsigned flags;
	struct gather_result *res;
	gather_fetch_done_fn done;
	gather_redirect_fn redirect;
	void *arg;

	/* timers: total and connect armed once (see fetch.c), retry backoff */
	struct event t_total, t_connect, t_retry;
	uint64_t t0_ms;

	/* the response */
	struct http1_resp resp;
	struct gather_decoder *dec;
	uint64_t wire_bytes;
	size_t body_cap, raw_cap;

	/* reported by callbacks, not yet taken by a step */
	unsigned evs;                 /* FEV_* */
	int ev_err;                   /* an error (negative gather_err), 0: none */
	char ev_msg[320];

	/* outcome so far */
	int err;
	char msg[320];
	bool running, again;          /* fetch_run re-entrancy guard */
	bool fresh_only, reuse_retried, reused, no_retry, got_byte, connecting;
	bool sent, bad_url, admitted;
	bool own_res;                 /* res made here (get): its URLs are redacted here */
	unsigned attempts;
	uint64_t retry_after_ms;
	bool has_retry_after;
};

/* engine.c: connection slots and the pool */
struct host *engine_host(struct gather_engine *e, const struct gather_url *u);
/* An idle connection of h (removed from the pool), NULL if none. */
struct pconn *engine_pool_take(struct gather_engine *e, struct host *h);
/* A new, unconnected connection counted against the limits, or NULL when a
 * limit is reached (*err 0: wait; GATHER_E_NOMEM). */
struct pconn *engine_conn_new(struct gather_engine *e, struct host *h, int *err);
/* The exchange on pc is over: back to the pool (idle, watched for the peer
 * closing) if pc->keep and nothing is left in its buffers, else closed. */
void engine_conn_release(struct gather_engine *e, struct pconn *pc);
/* The TLS client context, made on first use (NULL with msg on failure;
 * the next call tries again). */
SSL_CTX *engine_ssl_ctx(struct gather_engine *e, char *msg, size_t msglen);
/* Closes and frees pc, freeing its slot (wakes a waiting fetch). */
void engine_conn_close(struct gather_engine *e, struct pconn *pc);
/* Queue f until h has a free slot. */
void engine_wait_host(struct gather_engine *e, struct host *h, struct fetch *f);
/* Queue f (in FS_CONNECT) until a descriptor may be free: a connection
 * of the engine closes (one waiter is woken per close) or, since files and
 * other threads hold descriptors too, ENGINE_FD_RETRY_MS pass (all are). */
void engine_wait_fd(struct gather_engine *e, struct fetch *f);
void engine_unwait(struct gather_engine *e, struct fetch *f);
void engine_kick(struct gather_engine *e);
uint64_t engine_random(struct gather_engine *e);

/* fetch.c */
/* What a step did: changed the state (go on), waits for an event, or
 * finished the fetch. */
enum step { STEP_AGAIN, STEP_WAIT, STEP_DONE };
/* The one place a fetch changes state: entry actions, trace. */
void fetch_set_state(struct fetch *f, enum fetch_state s);
struct fetch *fetch_new(struct gather_engine *e, const char *url, unsigned flags,
                        struct gather_result *res, gather_fetch_done_fn done,
                        gather_redirect_fn redirect, void *arg);
/* Admitted: arm the total timer and run. */
void fetch_start(struct fetch *f);
/* Run the state machine (called when something it waits for happened). */
void fetch_run(struct fetch *f);
/* End f with err (e.g. GATHER_E_CANCELLED) now; done is called. */
void fetch_finish(struct fetch *f, int err, const char *msg);
void fetch_free(struct fetch *f);

/* fetch-response.c: the response into f->res */
/* http1's body sink (arg: the fetch): decode, bound, keep. */
int fetch_on_body(const char *d, size_t len, void *arg);
/* Forget the response so far (before a retry or a redirect). */
void fetch_reset_response(struct fetch *f);
/* The final response head is in: record it, set up content decoding. */
int fetch_got_head(struct fetch *f);
bool fetch_redirect_status(int status);
bool fetch_retry_status(int status);
/* Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
bool fetch_parse_retry_after(const char *v, uint64_t *ms);

/* fetch-redirect.c: requests after the first */
/* Credentials for the first request: the URL's own, else -u's. */
int fetch_initial_auth(struct fetch *f);
/* f->cur becomes the URL u asks for (0 or GATHER_E_NOMEM). */
int fetch_set_cur(struct fetch *f, const struct gather_url *u);
/* FS_REDIRECT: follow Location, or end the fetch. */
enum step fetch_step_redirect(struct fetch *f);

#endif
