/* cf-tls.c — the TLS filter: OpenSSL over whatever filter is below it.
 *
 * OpenSSL reads and writes records through a BIO of our own whose bytes
 * are the lower filter's evbuffers (as libevent's bufferevent_openssl does
 * in filter mode): reading takes from input(next), writing appends to
 * output(next), which the filter then flushes.  So TLS neither knows nor
 * cares whether a socket, a proxy tunnel or anything else is below it.
 * OpenSSL's "want read" is a wait for the lower filter's next CONN_READ,
 * never an error; "want write" cannot happen (our BIO takes every byte).
 *
 * Events up: CONN_CONNECTED when the filter below is connected (the
 * handshake then starts), CONN_TLS_DONE once the handshake and the peer's
 * verification succeeded, CONN_READ when plaintext came in, and the lower
 * filter's EOF, timeouts and errors (socket errors during the handshake
 * become GATHER_E_TLS, as a failed handshake). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/bio.h>
#include <openssl/err.h>

#include "net/cfilter.h"
#include "gather/error.h"
#include "net/tls.h"

/* Plaintext taken from OpenSSL per SSL_read: one whole record. */
#define TLS_READ_CHUNK 16384

struct cf_tls {
	struct cfilter cf;            /* first: the filter head */
	SSL *ssl;                     /* owns the BIO */
	struct evbuffer *in, *out;    /* plaintext */
	bool handshaking;             /* the lower filter is up, the handshake is not */
	bool want_read;               /* what the layer above asked (applied after the handshake) */
	struct event ev_err;          /* an SSL_write failure, reported from the loop */
	char errmsg[200];
};

static struct cf_tls *T(struct cfilter *cf)
{
	return (struct cf_tls *)cf;
}

/* ---- the BIO: OpenSSL's records in the lower filter's buffers ------------ */

static int bio_read(BIO *b, char *out, int len)
{
	struct cf_tls *t = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (!out || len <= 0)
		return 0;
	int n = evbuffer_remove(cf_input(t->cf.next), out, (size_t)len);
	if (n <= 0) {
		/* nothing yet: a wait.  EOF is the lower filter's event, which
		 * the filter handles itself, so the BIO never reports it. */
		BIO_set_retry_read(b);
		return -1;
	}
	return n;
}

static int bio_write(BIO *b, const char *in, int len)
{
	struct cf_tls *t = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	return evbuffer_add(cf_output(t->cf.next), in, (size_t)len) == 0 ? len : -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct cf_tls *t = BIO_get_data(b);
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_GET_CLOSE:
		return BIO_get_shutdown(b);
	case BIO_CTRL_SET_CLOSE:
		BIO_set_shutdown(b, (int)num);
		return 1;
	case BIO_CTRL_PENDING:
		return t ? (long)evbuffer_get_length(cf_input(t->cf.next)) : 0;
	case BIO_CTRL_WPENDING:
		return 0;
	case BIO_CTRL_DUP:
	case BIO_CTRL_FLUSH: /* the filter flushes the lower one after each call */
		return 1;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	BIO_set_data(b, NULL);
	return 1;
}

static int bio_destroy(BIO *b)
{
	(void)b;
	return 1;
}

/* The BIO method is made once per process and never changed after
 * (OpenSSL's own methods are static too); pthread_once makes the first
 * use safe from any thread. */
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *bio_method;

static void bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gather-cfilter");
	if (!m)
		return;
	BIO_meth_set_write(m, bio_write);
	BIO_meth_set_read(m, bio_read);
	BIO_meth_set_ctrl(m, bio_ctrl);
	BIO_meth_set_create(m, bio_create);
	BIO_meth_set_destroy(m, bio_destroy);
	bio_method = m;
}

/* ---- the filter ---------------------------------------------------------- */

static struct evbuffer *tls_input(struct cfilter *cf)
{
	return T(cf)->in;
}

static struct evbuffer *tls_output(struct cfilter *cf)
{
	return T(cf)->out;
}

static void tls_read_timeout(struct cfilter *cf, uint64_t ms)
{
	cf_read_timeout(cf->next, ms);
}

static void tls_reading(struct cfilter *cf, bool on)
{
	struct cf_tls *t = T(cf);
	t->want_read = on;
	/* the handshake reads whatever the layer above wants */
	if (!t->handshaking)
		cf_reading(cf->next, on);
}

static bool tls_pending(struct cfilter *cf)
{
	return SSL_pending(T(cf)->ssl) > 0;
}

/* Reports an SSL_write failure from the loop (flush never calls up). */
static void err_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_tls *t = arg;
	struct conn *c = t->cf.conn;
	(void)fd, (void)what;
	conn_hold(c);
	cf_up(&t->cf, CONN_ERROR, GATHER_E_TLS, t->errmsg);
	conn_unhold(c);
}

static void ossl_msg(char *msg, size_t msglen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(msg, msglen, "TLS error%s%s: %s", what ? " " : "", what ? what : "",
	         r ? r : "unknown");
	ERR_clear_error();
}

/* Encrypts what the layer above put in out, into the lower filter's
 * output, and flushes that. */
static void tls_flush(struct cfilter *cf)
{
	struct cf_tls *t = T(cf);
	if (!cf->connected)
		return; /* sent once the handshake is done */
	while (evbuffer_get_length(t->out) > 0) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(t->out, -1, NULL, &v, 1) < 1)
			break;
		size_t n = v.iov_len > TLS_READ_CHUNK ? TLS_READ_CHUNK : v.iov_len;
		ERR_clear_error();
		int r = SSL_write(t->ssl, v.iov_base, (int)n);
		if (r <= 0) {
			ossl_msg(t->errmsg, sizeof(t->errmsg), "writing");
			event_active(&t->ev_err, EV_TIMEOUT, 1);
			break;
		}
		evbuffer_drain(t->out, (size_t)r);
	}
	cf_flush(cf->next);
}

/* Decrypts what the lower filter read into in; CONN_READ if any
 * plaintext came, then CONN_EOF at the peer's close_notify or CONN_ERROR
 * on a bad record.  Called inside a held callback. */
static void tls_pump(struct cf_tls *t)
{
	struct conn *c = t->cf.conn;
	bool got = false, eof = false, bad = false;
	char msg[256];

	/* bounded by the lower filter's input: each round takes a record */
	for (;;) {
		struct evbuffer_iovec v;
		if (evbuffer_reserve_space(t->in, TLS_READ_CHUNK, &v, 1) < 1) {
			snprintf(msg, sizeof(msg), "out of memory");
			bad = true;
			break;
		}
		ERR_clear_error();
		int r = SSL_read(t->ssl, v.iov_base, (int)(v.iov_len > INT32_MAX ? INT32_MAX : v.iov_len));
		if (r > 0) {
			v.iov_len = (size_t)r;
			evbuffer_commit_space(t->in, &v, 1);
			got = true;
			continue;
		}
		evbuffer_commit_space(t->in, &v, 0);
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		if (e == SSL_ERROR_ZERO_RETURN)
			eof = true;
		else {
			ossl_msg(msg, sizeof(msg), NULL);
			bad = true;
		}
		break;
	}
	/* reading may have written (a key update answered, an alert) */
	cf_flush(t->cf.next);
	if (got) {
		cf_up(&t->cf, CONN_READ, 0, NULL);
		if (conn_closing(c))
			return;
	}
	if (eof)
		cf_up(&t->cf, CONN_EOF, 0, NULL);
	else if (bad)
		cf_up(&t->cf, CONN_ERROR, GATHER_E_TLS, msg);
}

/* Moves the handshake on with what came in; called inside a held
 * callback. */
static void tls_handshake(struct cf_tls *t)
{
	struct conn *c = t->cf.conn;
	char msg[256];

	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	cf_flush(t->cf.next); /* ClientHello, Finished, alerts */
	if (r != 1) {
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return;
		tls_describe_error(t->ssl, 0, msg, sizeof(msg));
		cf_up(&t->cf, CONN_ERROR, GATHER_E_TLS, msg);
		return;
	}
	t->handshaking = false;
	t->cf.connected = true;
	if (!t->want_read)
		cf_reading(t->cf.next, false);
	cf_up(&t->cf, CONN_TLS_DONE, 0, NULL);
	if (conn_closing(c))
		return;
	if (evbuffer_get_length(t->out) > 0)
		tls_flush(&t->cf);
	/* records after the Finished (tickets, early data) came in the same read */
	if (evbuffer_get_length(cf_input(t->cf.next)) > 0)
		tls_pump(t);
}

static void tls_event(struct cfilter *cf, enum conn_ev ev, int err, const char *msg)
{
	struct cf_tls *t = T(cf);
	char m[300];

	switch (ev) {
	case CONN_CONNECTED:
		cf_up(cf, CONN_CONNECTED, 0, NULL);
		if (conn_closing(cf->conn))
			return;
		t->handshaking = true;
		cf_reading(cf->next, true);
		tls_handshake(t);
		return;
	case CONN_READ:
		if (t->handshaking)
			tls_handshake(t);
		else if (cf->connected)
			tls_pump(t);
		return;
	case CONN_ERROR:
		if (t->handshaking && err == GATHER_E_CONNECT) {
			snprintf(m, sizeof(m), "TLS handshake failed: %s", msg);
			cf_up(cf, CONN_ERROR, GATHER_E_TLS, m);
			return;
		}
		cf_up(cf, ev, err, msg);
		return;
	case CONN_TLS_DONE:   /* a TLS filter below this one: it is our CONNECTED */
		tls_event(cf, CONN_CONNECTED, 0, NULL);
		return;
	case CONN_EOF:
	case CONN_TIMEOUT:
		cf_up(cf, ev, err, msg);
		return;
	}
}

static int tls_connect(struct cfilter *cf, char *msg, size_t msglen)
{
	struct cf_tls *t = T(cf);
	t->handshaking = false;
	cf->connected = false;
	return cf_connect(cf->next, msg, msglen);
}

static void tls_destroy(struct cfilter *cf)
{
	struct cf_tls *t = T(cf);
	event_del(&t->ev_err);
	/* Without this, OpenSSL marks the origin's cached session not
	 * resumable when a healthy connection is closed without a
	 * close_notify (SSL_free → ssl_clear_bad_session). */
	if (SSL_is_init_finished(t->ssl))
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN);
	SSL_free(t->ssl); /* and the BIO */
	evbuffer_free(t->in);
	evbuffer_free(t->out);
	free(t);
}

static const struct cf_type cf_tls_type = {
	.name = "tls",
	.connect = tls_connect,
	.destroy = tls_destroy,
	.input = tls_input,
	.output = tls_output,
	.flush = tls_flush,
	.reading = tls_reading,
	.read_timeout = tls_read_timeout,
	.event = tls_event,
	.pending = tls_pending,
	.query = NULL,            /* everything is the socket's */
};

struct cfilter *cf_tls_new(struct event_base *base, SSL *ssl)
{
	pthread_once(&bio_once, bio_method_init);
	struct cf_tls *t = calloc(1, sizeof(*t));
	BIO *bio = bio_method && t ? BIO_new(bio_method) : NULL;
	if (t) {
		t->in = evbuffer_new();
		t->out = evbuffer_new();
	}
	if (!t || !bio || !t->in || !t->out) {
		if (bio)
			BIO_free(bio);
		if (t && t->in)
			evbuffer_free(t->in);
		if (t && t->out)
			evbuffer_free(t->out);
		free(t);
		SSL_free(ssl);
		return NULL;
	}
	t->cf.t = &cf_tls_type;
	t->ssl = ssl;
	t->want_read = true;
	BIO_set_data(bio, t);
	SSL_set_bio(ssl, bio, bio); /* one reference, both ways */
	SSL_set_connect_state(ssl);
	event_assign(&t->ev_err, base, -1, 0, err_cb, t);
	return &t->cf;
}
