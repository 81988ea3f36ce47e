/* testcerts.c — see testcerts.h. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testcerts.h"

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int rc = X509_add_ext(cert, ex, -1) ? 0 : -1;
	X509_EXTENSION_free(ex);
	return rc;
}

/* A certificate for cn/san with key, signed by (issuer, ikey) or by itself
 * when issuer is NULL; valid from days_from to days_to relative to now. */
static X509 *make_cert(const char *cn, const char *san, bool ca, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *ikey, long days_from, long days_to, long serial)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), days_to * 86400);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"gather tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509 *iss = issuer ? issuer : x;
	if (add_ext(x, iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE") ||
	    (ca && add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign")) ||
	    add_ext(x, iss, NID_subject_key_identifier, "hash") ||
	    (san && add_ext(x, iss, NID_subject_alt_name, san)) ||
	    !X509_sign(x, issuer ? ikey : key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int testcerts_make(struct testcerts *tc)
{
	memset(tc, 0, sizeof(*tc));
	const char *good_san = "DNS:localhost,IP:127.0.0.1,IP:::1";
	if (!(tc->ca_key = EVP_EC_gen("P-256")) || !(tc->key = EVP_EC_gen("P-256")))
		goto fail;
	if (!(tc->ca = make_cert("gather test CA", NULL, true, tc->ca_key, NULL, NULL, -1, 30, 1)) ||
	    !(tc->good = make_cert("localhost", good_san, false, tc->key, tc->ca, tc->ca_key, -1, 30, 2)) ||
	    !(tc->expired = make_cert("localhost", good_san, false, tc->key, tc->ca, tc->ca_key, -10, -1, 3)) ||
	    !(tc->wronghost = make_cert("wrong.example", "DNS:wrong.example,IP:10.9.9.9", false, tc->key,
	                                tc->ca, tc->ca_key, -1, 30, 4)) ||
	    !(tc->selfsigned = make_cert("localhost", good_san, false, tc->key, NULL, NULL, -1, 30, 5)))
		goto fail;
	return 0;
fail:
	testcerts_free(tc);
	return -1;
}

void testcerts_free(struct testcerts *tc)
{
	EVP_PKEY_free(tc->ca_key);
	EVP_PKEY_free(tc->key);
	X509_free(tc->ca);
	X509_free(tc->good);
	X509_free(tc->expired);
	X509_free(tc->wronghost);
	X509_free(tc->selfsigned);
	memset(tc, 0, sizeof(*tc));
}

static int write_cert(const char *dir, const char *name, X509 *x)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	int ok = PEM_write_X509(fp, x);
	return fclose(fp) == 0 && ok ? 0 : -1;
}

int testcerts_write(const struct testcerts *tc, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	int ok = PEM_write_PrivateKey(fp, tc->key, NULL, NULL, 0, NULL, NULL);
	if (fclose(fp) != 0 || !ok)
		return -1;
	return write_cert(dir, "ca.pem", tc->ca) || write_cert(dir, "good.pem", tc->good) ||
	       write_cert(dir, "expired.pem", tc->expired) || write_cert(dir, "wronghost.pem", tc->wronghost) ||
	       write_cert(dir, "selfsigned.pem", tc->selfsigned) ? -1 : 0;
}

SSL_CTX *testcerts_server_ctx(const struct testcerts *tc, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, tc->key) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
