/* conn.c — a connection as a stack of filters: building the stack,
 * handing calls to its top, events to the handler, and the one place a
 * conn is freed (deferred while one of its filters' callbacks runs). */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "net/conn.h"
#include "gather/error.h"
#include "net/cfilter.h"

struct conn *conn_new(struct event_base *base)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base = base;
	return c;
}

void conn_set_handler(struct conn *c, conn_fn cb, void *arg)
{
	c->cb = cb;
	c->arg = arg;
}

void conn_push(struct conn *c, struct cfilter *cf)
{
	cf->conn = c;
	cf->next = c->top;
	cf->up = NULL;
	if (c->top)
		c->top->up = cf;
	c->top = cf;
}

/* Frees the filters, top first (a filter above may still point into the
 * buffers of the one below while it is torn down). */
static void stack_free(struct conn *c)
{
	struct cfilter *cf = c->top;
	c->top = NULL;
	while (cf) {
		struct cfilter *next = cf->next;
		cf->t->destroy(cf);
		cf = next;
	}
}

void cf_up(struct cfilter *cf, enum conn_ev ev, int err, const char *msg)
{
	struct conn *c = cf->conn;
	if (c->closing)
		return;
	if (cf->up)
		cf->up->t->event(cf->up, ev, err, msg);
	else if (c->cb)
		c->cb(c, ev, err, msg, c->arg);
}

int cf_query(struct cfilter *cf, enum cf_query q, void *ret)
{
	for (; cf; cf = cf->next)
		if (cf->t->query && cf->t->query(cf, q, ret) == 0)
			return 0;
	return GATHER_E_INVALID;
}

void conn_hold(struct conn *c)
{
	c->holds++;
}

/* The end of a filter's callback: the last one out frees a conn that was
 * closed while they ran. */
void conn_unhold(struct conn *c)
{
	if (--c->holds == 0 && c->closing) {
		stack_free(c);
		free(c);
	}
}

void conn_close(struct conn *c)
{
	if (!c || c->closing)
		return;
	c->closing = true;
	c->cb = NULL;
	if (c->holds)
		return; /* conn_unhold frees it when the callback returns */
	stack_free(c);
	free(c);
}

int conn_connect(struct conn *c, const struct dns_addrs *a, SSL *ssl, char *msg, size_t msglen)
{
	/* A call again after GATHER_E_AGAIN: a fresh stack with the new ssl.
	 * Never from inside c's own callbacks (a filter of the old stack may
	 * be running): the fetch waits for a descriptor on a later turn. */
	assert(c->holds == 0);
	stack_free(c);
	struct cfilter *sock = cf_socket_new(c->base, a);
	if (!sock) {
		if (ssl)
			SSL_free(ssl);
		snprintf(msg, msglen, "out of memory");
		return GATHER_E_NOMEM;
	}
	conn_push(c, sock);
	if (ssl) {
		struct cfilter *tls = cf_tls_new(c->base, ssl); /* takes ssl */
		if (!tls) {
			snprintf(msg, msglen, "out of memory");
			return GATHER_E_NOMEM;
		}
		conn_push(c, tls);
	}
	return cf_connect(c->top, msg, msglen);
}

struct evbuffer *conn_input(struct conn *c)
{
	return cf_input(c->top);
}

struct evbuffer *conn_output(struct conn *c)
{
	return cf_output(c->top);
}

void conn_flush(struct conn *c)
{
	if (c->top)
		cf_flush(c->top);
}

void conn_set_read_timeout(struct conn *c, uint64_t ms)
{
	if (c->top)
		cf_read_timeout(c->top, ms);
}

void conn_reading(struct conn *c, bool on)
{
	if (c->top)
		cf_reading(c->top, on);
}

bool conn_is_open(const struct conn *c)
{
	return c->top && c->top->connected;
}

bool conn_is_clean(struct conn *c)
{
	for (struct cfilter *cf = c->top; cf; cf = cf->next) {
		struct evbuffer *in = cf->t->input(cf), *out = cf->t->output(cf);
		if ((in && evbuffer_get_length(in) > 0) || (out && evbuffer_get_length(out) > 0) ||
		    (cf->t->pending && cf->t->pending(cf)))
			return false;
	}
	return true;
}

const char *conn_ip(struct conn *c)
{
	const char *ip = "";
	if (c->top)
		cf_query(c->top, CF_QUERY_IP, &ip);
	return ip;
}

void cf_errno_msg(int e, char *msg, size_t msglen, const char *ip)
{
	const char *what = e == ECONNREFUSED ? "connection refused"
	                 : e == ECONNRESET ? "connection reset by peer"
	                 : e == ENETUNREACH ? "network unreachable"
	                 : e == EHOSTUNREACH ? "host unreachable"
	                 : e == ETIMEDOUT ? "connection timed out" : strerror(e);
	snprintf(msg, msglen, "%s%s%s", what, ip && *ip ? " at " : "", ip ? ip : "");
}
