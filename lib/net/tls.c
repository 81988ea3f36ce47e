/* tls.c — OpenSSL client setup for the fetch engine. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "net/tls.h"

/* OpenSSL calls this when the server issues a session (TLS 1.3: after the
 * handshake, with the first records).  Keep it for the next connection to
 * the origin; returning 1 takes the reference. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	SSL_SESSION **slot = SSL_get_app_data(ssl);
	if (!slot)
		return 0;
	if (*slot)
		SSL_SESSION_free(*slot);
	*slot = sess;
	return 1;
}

SSL_CTX *tls_ctx_new(const char *cacert, bool insecure, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "cannot create TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (cacert) {
		if (SSL_CTX_load_verify_locations(ctx, cacert, NULL) != 1) {
			snprintf(err, errlen, "cannot load CA certificates from %s: %s", cacert,
			         ERR_reason_error_string(ERR_peek_last_error()));
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ERR_clear_error(); /* no system store: verification will fail, clearly */
	}
	SSL_CTX_set_verify(ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	static const unsigned char alpn[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn));
	return ctx;
}

void tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

SSL *tls_new(SSL_CTX *ctx, const char *host, bool insecure, SSL_SESSION **sess_slot)
{
	SSL *ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	unsigned char tmp[16];
	bool ip = inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
	/* RFC 6066 §3: no SNI for IP literals */
	if (!ip)
		SSL_set_tlsext_host_name(ssl, host);
	if (!insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		if (ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, host);
		else {
			X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			SSL_set1_host(ssl, host);
		}
	}
	SSL_set_app_data(ssl, sess_slot);
	if (sess_slot && *sess_slot)
		SSL_set_session(ssl, *sess_slot);
	return ssl;
}

void tls_describe_error(SSL *ssl, unsigned long ossl_err, char *msg, size_t msglen)
{
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (vr != X509_V_OK) {
		snprintf(msg, msglen, "certificate verify failed: %s",
		         X509_verify_cert_error_string(vr));
	} else if (ossl_err) {
		const char *r = ERR_reason_error_string(ossl_err);
		snprintf(msg, msglen, "TLS handshake failed: %s", r ? r : "unknown error");
	} else {
		unsigned long e = ERR_peek_last_error();
		const char *r = e ? ERR_reason_error_string(e) : NULL;
		snprintf(msg, msglen, "TLS handshake failed: %s", r ? r : "connection closed");
	}
	ERR_clear_error();
}
