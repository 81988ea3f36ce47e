/* conn.h — one connection to an origin, as a stack of connection filters
 * (net/cfilter.h): a socket filter (non-blocking connect over a list of
 * addresses, IPv4 and IPv6, in order, next on failure; then one read and
 * one send per wake-up on two evbuffers of its own: libevent's socket
 * bufferevent reads at most 4 KiB per readv and asks FIONREAD before each,
 * and turns EV_WRITE on and off around every request, 9 system calls for
 * an 8 KiB page where one send and one read do), and for https a TLS
 * filter on top of it.  http and https differ only in the stack;
 * everything above sees the top filter's evbuffers.
 *
 * A conn is a transport and nothing else: the pool that keeps it between
 * requests, the origin it belongs to and the fetch that uses it are the
 * engine's, in its own wrapper (lib/http: struct pconn).
 *
 * Ownership: the engine (lib/http/engine.c) makes a conn with conn_new and
 * ends it with conn_close; it lends it to one fetch at a time.  conn_close
 * may be called from inside the conn's own handler: the conn is freed
 * when the event that called the handler returns (the filters hold it
 * across their callbacks), so nothing relies on "the handler runs last".
 *
 * Threads: reactor thread only. */
#ifndef GATHER_CONN_H
#define GATHER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "net/dns.h"

struct evbuffer;
struct event_base;
struct conn;  /* opaque: its insides are lib/net's (net/cfilter.h) */

enum conn_ev {
	CONN_CONNECTED,  /* TCP connected (for TLS the handshake starts) */
	CONN_TLS_DONE,   /* TLS handshake and verification done */
	CONN_READ,       /* bytes in the input buffer */
	CONN_EOF,        /* the peer closed */
	CONN_ERROR,      /* err and msg say what */
	CONN_TIMEOUT,    /* no bytes within the read timeout */
};

/* err is a gather_err for CONN_ERROR, else 0; msg valid during the call.
 * The handler may close c (conn_close): c stays valid until the handler
 * returns, and no further event reaches a closed conn. */
typedef void (*conn_fn)(struct conn *c, enum conn_ev ev, int err, const char *msg, void *arg);

/* A new conn for base, not connected, owned by the caller.  NULL on OOM. */
struct conn *conn_new(struct event_base *base);

/* Starts connecting to a (copied) with ssl (NULL for plain TCP; the conn
 * takes it): the stack is built here, a TLS filter over a socket filter
 * for https.  Returns 0 (events follow), GATHER_E_CONNECT with msg when
 * every address failed at once, GATHER_E_NOMEM, or GATHER_E_AGAIN when
 * no descriptor is free (EMFILE, ENFILE): call again once one may be (the
 * stack, with ssl, is then built anew), from outside c's callbacks.  A later address that finds no
 * descriptor comes as CONN_ERROR with GATHER_E_AGAIN. */
int conn_connect(struct conn *c, const struct dns_addrs *a, SSL *ssl, char *msg, size_t msglen);

void conn_set_handler(struct conn *c, conn_fn cb, void *arg);
/* Read timeout in ms (0: none), counted while reading is enabled. */
void conn_set_read_timeout(struct conn *c, uint64_t ms);
void conn_reading(struct conn *c, bool on);
/* The top filter's buffers: the response bytes, and the request bytes to
 * send.  Only while the stack exists (after conn_connect). */
struct evbuffer *conn_input(struct conn *c);
struct evbuffer *conn_output(struct conn *c);
/* Start sending what was added to conn_output(c): plain TCP writes at once
 * and waits for EV_WRITE only for what the socket did not take (a write
 * error then comes as CONN_ERROR from the loop, never from this call).
 * Never calls c's handler. */
void conn_flush(struct conn *c);
/* Connected: the stack is up to the top filter. */
bool conn_is_open(const struct conn *c);
/* No byte waits anywhere in the stack, in or out: fit for reuse. */
bool conn_is_clean(struct conn *c);
/* The peer's address ("" before connect). */
const char *conn_ip(struct conn *c);

/* Closes the socket and frees c with its stack: now, or, inside one of
 * c's own callbacks, when that callback returns.  Accepts NULL. */
void conn_close(struct conn *c);

#endif
