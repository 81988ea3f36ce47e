/* tls.h — OpenSSL 3 client contexts and per-connection SSL objects: peer and
 * host name verification (unless insecure), SNI, ALPN "http/1.1", session
 * resumption per origin.
 *
 * Threads: one SSL_CTX per engine, reactor thread only. */
#ifndef GATHER_TLS_H
#define GATHER_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* A client context trusting the CA certificates in cacert (NULL: the
 * system's), verifying peers unless insecure.  NULL with a message in err
 * (e.g. unreadable cacert). */
SSL_CTX *tls_ctx_new(const char *cacert, bool insecure, char *err, size_t errlen);
void tls_ctx_free(SSL_CTX *ctx);

/* A client SSL for host (name or IP literal).  *sess_slot is the origin's
 * session cache: used for resumption, and replaced (owned reference) when
 * the server hands out a new session.  sess_slot must outlive the SSL.
 * NULL on OOM. */
SSL *tls_new(SSL_CTX *ctx, const char *host, bool insecure, SSL_SESSION **sess_slot);

/* Why the handshake on ssl failed, in words ("certificate has expired",
 * "hostname mismatch", ...), from the verify result and the error queue
 * (ossl_err: an error code from the bufferevent, or 0). */
void tls_describe_error(SSL *ssl, unsigned long ossl_err, char *msg, size_t msglen);

#endif
