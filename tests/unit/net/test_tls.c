/* test_tls.c — https through the engine against test certificates made at
 * test time: verification failures say why; --cacert and --insecure work;
 * keep-alive over TLS. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/error.h"
#include "fetchrun.h"
#include "testcerts.h"
#include "ckmain.h"

static struct testcerts tc;
static char dir[] = "/tmp/gather-tls-XXXXXX";
static char ca_path[64];

static void setup(void)
{
	ck_assert_int_eq(testcerts_make(&tc), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(testcerts_write(&tc, dir), 0);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
}

static void teardown(void)
{
	static const char *files[] = { "ca.pem", "key.pem", "good.pem", "expired.pem", "wronghost.pem", "selfsigned.pem" };
	char p[128];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	testcerts_free(&tc);
}

enum which { GOOD, EXPIRED, WRONGHOST, SELFSIGNED };

static const struct {
	enum which cert;
	bool insecure;
	int err;
	const char *msg;
} cases[] = {
	{ GOOD, false, 0, NULL },
	{ EXPIRED, false, GATHER_E_TLS, "certificate has expired" },
	{ WRONGHOST, false, GATHER_E_TLS, "mismatch" },
	{ SELFSIGNED, false, GATHER_E_TLS, "self-signed" },
	{ SELFSIGNED, true, 0, NULL },
	{ EXPIRED, true, 0, NULL },
};

START_TEST(test_verify)
{
	X509 *certs[] = { tc.good, tc.expired, tc.wronghost, tc.selfsigned };
	SSL_CTX *sctx = testcerts_server_ctx(&tc, certs[cases[_i].cert]);
	ck_assert_ptr_nonnull(sctx);
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, sctx);
	SSL_CTX_free(sctx);
	fr.o.cacert = strdup(ca_path);
	fr.o.insecure = cases[_i].insecure;
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/status/200", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/chunked", GATHER_FETCH_KEEP_BODY);
	fr_add(&fr, "/gzip", GATHER_FETCH_KEEP_BODY);
	ck_assert_uint_eq(fr_run(&fr, 5000), 3);
	for (int i = 0; i < 3; i++) {
		struct gather_result *r = fr.res[i];
		ck_assert_msg(r->err == cases[_i].err, "case %d: %s (%s)", _i, gather_err_name(r->err),
		              r->message ? r->message : "");
		if (cases[_i].msg)
			ck_assert_msg(strstr(r->message, cases[_i].msg), "message \"%s\"", r->message);
		else {
			ck_assert_int_eq(r->status, 200);
			ck_assert_uint_gt(r->body.len, 0);
		}
	}
	if (!cases[_i].err)
		ck_assert_uint_eq(testserver_conns(fr.ts), 1); /* keep-alive over TLS */
	fr_free(&fr);
}
END_TEST

/* A second connection to the origin resumes the first one's TLS session. */
START_TEST(test_session_resumption)
{
	SSL_CTX *sctx = testcerts_server_ctx(&tc, tc.good);
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, sctx);
	SSL_CTX_free(sctx);
	fr.o.cacert = strdup(ca_path);
	fr.o.concurrency = 1;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/close", 0);       /* the server closes: next one reconnects */
	fr_add(&fr, "/status/200", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 2);
	ck_assert_int_eq(fr.res[0]->status, 200);
	ck_assert_int_eq(fr.res[1]->status, 200);
	ck_assert_uint_eq(testserver_conns(fr.ts), 2);
	ck_assert_uint_eq(testserver_resumed(fr.ts), 1);
	fr_free(&fr);
}
END_TEST

/* Without --cacert the test CA is unknown to the system store. */
START_TEST(test_system_store_rejects_test_ca)
{
	SSL_CTX *sctx = testcerts_server_ctx(&tc, tc.good);
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, sctx);
	SSL_CTX_free(sctx);
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	fr_add(&fr, "/status/200", 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 1);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_TLS);
	ck_assert_ptr_nonnull(strstr(fr.res[0]->message, "certificate"));
	fr_free(&fr);
}
END_TEST

START_TEST(test_bad_cacert)
{
	struct fetchrun fr;
	char err[256];
	fr_init(&fr, NULL);
	fr.o.cacert = strdup("/nonexistent/ca.pem");
	ck_assert_ptr_null(fr_engine(&fr, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ca.pem"));
	fr_free(&fr);
}
END_TEST

/* A plain-HTTP server spoken to with https: it waits for a request head
 * that never comes; the connect timer (covering the handshake) ends it. */
START_TEST(test_tls_to_plain)
{
	struct fetchrun fr;
	char err[256], url[64];
	fr_init(&fr, NULL);
	fr.o.connect_timeout_ms = 300;
	ck_assert_ptr_nonnull(fr_engine(&fr, err, sizeof(err)));
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", testserver_port(fr.ts));
	fr_add(&fr, url, 0);
	ck_assert_uint_eq(fr_run(&fr, 5000), 1);
	ck_assert_int_eq(fr.res[0]->err, GATHER_E_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(fr.res[0]->message, "TLS handshake timed out after 300 ms"));
	fr_free(&fr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *t = tcase_create("core");
	tcase_add_unchecked_fixture(t, setup, teardown);
	tcase_add_loop_test(t, test_verify, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(t, test_session_resumption);
	tcase_add_test(t, test_system_store_rejects_test_ca);
	tcase_add_test(t, test_bad_cacert);
	tcase_add_test(t, test_tls_to_plain);
	suite_add_tcase(s, t);
	return ckmain_run(s);
}
