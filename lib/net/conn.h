/* conn.h — one TCP (+TLS) connection to an origin: non-blocking connect over
 * a list of addresses (IPv4 and IPv6, in order, next on failure), then
 * either an OpenSSL bufferevent (https) or, for plain TCP, two evbuffers
 * and two events of our own (libevent's socket bufferevent reads at most
 * 4 KiB per readv and asks FIONREAD before each, and turns EV_WRITE on and
 * off around every request: 9 system calls for an 8 KiB page where one
 * send and one read do).  http and https differ only in that layer;
 * everything above sees evbuffers.
 *
 * Threads: reactor thread only.  Owned by the engine (lib/engine.c), lent to
 * one fetch at a time. */
#ifndef GATHER_CONN_H
#define GATHER_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event_struct.h>
#include <openssl/ssl.h>

#include "net/dns.h"

struct bufferevent;
struct host;
struct fetch;
struct conn;

enum conn_ev {
	CONN_CONNECTED,  /* TCP connected (for TLS the handshake starts) */
	CONN_TLS_DONE,   /* TLS handshake and verification done */
	CONN_READ,       /* bytes in the input buffer */
	CONN_EOF,        /* the peer closed */
	CONN_ERROR,      /* err and msg say what */
	CONN_TIMEOUT,    /* no bytes within the read timeout */
};

/* err is a gather_err for CONN_ERROR, else 0; msg valid during the call.
 * The handler may close c. */
typedef void (*conn_fn)(struct conn *c, enum conn_ev ev, int err, const char *msg, void *arg);

struct conn {
	struct event_base *base;
	struct host *host;           /* origin it belongs to (engine) */
	struct fetch *f;             /* user, or NULL when idle in the pool */
	TAILQ_ENTRY(conn) all;       /* engine: every connection */
	TAILQ_ENTRY(conn) hidle;     /* host: idle connections */
	TAILQ_ENTRY(conn) eidle;     /* engine: idle connections, LRU */
	bool idle;
	struct bufferevent *bev;     /* https: NULL until connected */
	SSL *ssl;                    /* https, owned until the bev takes it */
	int fd;                      /* while connecting, else -1 */
	struct event ev_connect;
	/* Plain TCP once connected (bev stays NULL): */
	int sock;                    /* the socket, -1 when none */
	struct evbuffer *in, *out;
	struct event ev_read;        /* persistent; its timeout is the read timeout */
	struct event ev_write;       /* persistent, added only while out is not drained */
	bool reading;                /* ev_read is added */
	uint64_t read_ms;            /* read timeout, 0: none */
	struct dns_addrs addrs;
	int next_addr;
	int last_errno;
	unsigned requests;           /* responses read on it */
	char ip[48];
	conn_fn cb;
	void *arg;
};

/* Fills c (zeroed by the caller) for base. */
void conn_init(struct conn *c, struct event_base *base, struct host *host);

/* Starts connecting to a (copied) with ssl (NULL for plain TCP; the conn
 * takes it).  Returns 0 (events follow), GATHER_E_CONNECT with msg when
 * every address failed at once, or GATHER_E_AGAIN when no descriptor is
 * free (EMFILE, ENFILE): call again once one may be (c keeps ssl until
 * then; a new ssl given again replaces it).  A later
 * address that finds no descriptor comes as CONN_ERROR with GATHER_E_AGAIN. */
int conn_connect(struct conn *c, const struct dns_addrs *a, SSL *ssl, char *msg, size_t msglen);

void conn_set_handler(struct conn *c, conn_fn cb, void *arg);
/* Read timeout in ms (0: none), counted while reading is enabled. */
void conn_set_read_timeout(struct conn *c, uint64_t ms);
void conn_reading(struct conn *c, bool on);
struct evbuffer *conn_input(struct conn *c);
struct evbuffer *conn_output(struct conn *c);
/* Start sending what was added to conn_output(c): plain TCP writes at once
 * and waits for EV_WRITE only for what the socket did not take (a write
 * error then comes as CONN_ERROR from the loop, never from this call);
 * TLS's bufferevent sends by itself.  Never calls c's handler. */
void conn_flush(struct conn *c);
/* Connected (TCP, and for https the bufferevent exists). */
bool conn_is_open(const struct conn *c);

/* Closes the socket and frees everything c holds (not c itself).  Safe
 * inside c's own callbacks (libevent keeps the bufferevent alive until its
 * callback returns). */
void conn_shutdown(struct conn *c);

#endif
