/* cfilter.h — connection filters: the pieces a connection is stacked from
 * (in the spirit of curl's lib/cfilters.h; our own code and shape).
 *
 * A connection (net/conn.h) is a stack of filters, top first: today a
 * socket filter alone (http) or a TLS filter on a socket filter (https);
 * later an HTTP CONNECT proxy filter slots in between, and HTTP/2 sits on
 * top, each without touching the others.  Every filter has one shape:
 *
 *   - data goes down through evbuffers: the layer above writes into
 *     output(cf) and calls flush(cf); the filter turns it into bytes for
 *     the filter below (TLS: records) and flushes that one in turn;
 *   - data comes up the same way: a filter reads its lower filter's
 *     input(cf->next) when told CONN_READ, and leaves what it made in its
 *     own input(cf) before telling the layer above CONN_READ;
 *   - events (enum conn_ev) go up, one filter at a time: the bottom filter
 *     sees the socket, each filter above gets its lower one's events in
 *     event(), and the top one's reach the connection's handler.
 *
 * Lifetime: filters belong to their conn and are destroyed with it.  A
 * filter that runs from a libevent callback takes a hold on its conn
 * (conn_hold / conn_unhold) for the length of the callback, so that the
 * handler may close the connection from inside any event: the stack is
 * then freed when the outermost callback returns, never under a filter
 * still running.  After any cf_up() a filter checks conn_closing() and
 * stops doing work if it is set.
 *
 * Threads: reactor thread only.  Not installed. */
#ifndef GATHER_CFILTER_H
#define GATHER_CFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

struct evbuffer;
struct cfilter;

/* A connection: its filter stack and its handler (net/conn.h's opaque
 * type; only lib/net sees inside). */
struct conn {
	struct event_base *base;
	struct cfilter *top;         /* the filter stack, top first; NULL: none */
	unsigned holds;              /* callbacks of its filters under way */
	bool closing;                /* conn_close called while held */
	conn_fn cb;
	void *arg;
};

/* What a filter may be asked about (query); unknown ones go down. */
enum cf_query {
	CF_QUERY_IP,       /* const char *: the peer's address, "" before connect */
	CF_QUERY_SOCKET,   /* int: the socket descriptor, -1 when none */
};

struct cf_type {
	const char *name;             /* "socket", "tls", ... for traces */
	/* Start connecting this filter and the ones below it (a filter above
	 * the bottom calls cf_connect(cf->next) and waits for its
	 * CONN_CONNECTED).  0, or a negative gather_err with msg; see
	 * conn_connect for GATHER_E_AGAIN. */
	int (*connect)(struct cfilter *cf, char *msg, size_t msglen);
	/* Frees the filter's own state (not the filters below).  Never calls
	 * up; stops every event it has armed. */
	void (*destroy)(struct cfilter *cf);
	struct evbuffer *(*input)(struct cfilter *cf);
	struct evbuffer *(*output)(struct cfilter *cf);
	/* Send what output(cf) holds; errors come later as CONN_ERROR, never
	 * from inside this call. */
	void (*flush)(struct cfilter *cf);
	/* Reading on or off (for backpressure and idle pooled connections). */
	void (*reading)(struct cfilter *cf, bool on);
	/* Read timeout in ms, 0: none; counted while reading is on. */
	void (*read_timeout)(struct cfilter *cf, uint64_t ms);
	/* An event from the filter below (never called on the bottom one). */
	void (*event)(struct cfilter *cf, enum conn_ev ev, int err, const char *msg);
	/* Bytes the filter holds that the layer above has not seen (e.g. a
	 * decrypted record inside OpenSSL): a pooled connection with any is
	 * not clean.  NULL: none. */
	bool (*pending)(struct cfilter *cf);
	/* 0 with *ret set, or GATHER_E_INVALID: not this filter's (ask the
	 * one below).  NULL: knows nothing. */
	int (*query)(struct cfilter *cf, enum cf_query q, void *ret);
};

/* The common head of every filter (each type embeds it first). */
struct cfilter {
	const struct cf_type *t;
	struct cfilter *next;         /* the filter below, NULL at the bottom */
	struct cfilter *up;           /* the filter above, NULL at the top */
	struct conn *conn;            /* the connection owning the stack */
	bool connected;               /* this filter and those below are up */
};

/* The constructors: a filter not yet in a stack (conn_push puts it on
 * top).  NULL on OOM. */
/* A TCP socket to the first of addrs (copied) that answers, IPv4 and
 * IPv6 alike, in the order given. */
struct cfilter *cf_socket_new(struct event_base *base, const struct dns_addrs *addrs);
/* TLS over the filter below with ssl, which the filter takes (freed with
 * it, or by this call on failure). */
struct cfilter *cf_tls_new(struct event_base *base, SSL *ssl);

/* Puts cf on top of c's stack. */
void conn_push(struct conn *c, struct cfilter *cf);

/* A filter's event for the layer above it: the next filter's event(),
 * or, from the top one, c's handler.  The caller holds the conn. */
void cf_up(struct cfilter *cf, enum conn_ev ev, int err, const char *msg);

/* A filter's operations, for the filter above it (or the conn, on its top
 * one); cf must not be NULL. */
static inline int cf_connect(struct cfilter *cf, char *msg, size_t msglen)
{
	return cf->t->connect(cf, msg, msglen);
}
static inline struct evbuffer *cf_input(struct cfilter *cf) { return cf->t->input(cf); }
static inline struct evbuffer *cf_output(struct cfilter *cf) { return cf->t->output(cf); }
static inline void cf_flush(struct cfilter *cf) { cf->t->flush(cf); }
static inline void cf_reading(struct cfilter *cf, bool on) { cf->t->reading(cf, on); }
static inline void cf_read_timeout(struct cfilter *cf, uint64_t ms) { cf->t->read_timeout(cf, ms); }
/* Asks cf, then the filters below it in turn. */
int cf_query(struct cfilter *cf, enum cf_query q, void *ret);

/* The hold a filter takes around its libevent callbacks (see the top). */
void conn_hold(struct conn *c);
void conn_unhold(struct conn *c);
/* c was closed inside the current callback: do no more work for it. */
static inline bool conn_closing(const struct conn *c) { return c->closing; }

/* "connection refused at 192.0.2.1" and the like, for errno e. */
void cf_errno_msg(int e, char *msg, size_t msglen, const char *ip);

#endif
