/* testcerts.h — certificates made at test time with OpenSSL: a CA, a leaf
 * for 127.0.0.1 / ::1 / localhost signed by it, an expired one, one for the
 * wrong host, and a self-signed one.  Nothing is committed, nothing expires
 * in the repository. */
#ifndef GATHER_TESTCERTS_H
#define GATHER_TESTCERTS_H

#include <openssl/ssl.h>

struct testcerts {
	EVP_PKEY *ca_key, *key;   /* key: shared by every leaf */
	X509 *ca, *good, *expired, *wronghost, *selfsigned;
};

/* 0 or -1. */
int testcerts_make(struct testcerts *tc);
void testcerts_free(struct testcerts *tc);
/* Writes ca.pem, key.pem, good.pem, expired.pem, wronghost.pem,
 * selfsigned.pem into dir.  0 or -1. */
int testcerts_write(const struct testcerts *tc, const char *dir);
/* A server context presenting cert with tc->key; NULL on failure. */
SSL_CTX *testcerts_server_ctx(const struct testcerts *tc, X509 *cert);

#endif
