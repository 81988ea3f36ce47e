/* test_sink_live.c — the sink fed by the real engine against the test
 * server: what the engine keeps (KEEP_BODY / KEEP_RAW as the sink asks)
 * comes out as JSON lines, a WARC whose records match the wire, mirror
 * files and -o files.
 *
 * test_sink_live --samples DIR writes DIR/live.warc.gz and DIR/live.warc from
 * live fetches for tests/warc_warcio.sh to read with warcio. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/engine.h"
#include "gather/error.h"
#include "fetchrun.h"
#include "output/mirror.h"
#include "output/sink.h"

static const char *const paths[] = {
	"/status/200", "/chunked", "/gzip", "/deflate", "/bytes/5000", "/status/404",
	"/redirect/2", "/http10", "/truncated", "/1xx", "/echo",
};
#define N_PATHS (sizeof paths / sizeof paths[0])

static char top[256];

static char *in_top(const char *name)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", top, name);
	return strdup(p);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static size_t count(const char *p, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	for (const char *q = p; (q = memmem(q, len - (size_t)(q - p), needle, nl)); q++)
		n++;
	return n;
}

/* Fetch every path through an engine into a sink with outputs set in o by
 * the caller; returns the port. */
static unsigned run(struct fetchrun *fr)
{
	char err[512];
	struct gather_sink *s = gather_sink_open(&fr->o, GATHER_CMD_GET, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	unsigned flags = gather_sink_fetch_flags(s);
	ck_assert_msg(fr_engine(fr, err, sizeof err) != NULL, "%s", err);
	for (size_t i = 0; i < N_PATHS; i++)
		fr_add(fr, paths[i], flags);
	ck_assert_uint_eq(fr_run(fr, 10000), N_PATHS);
	for (unsigned i = 0; i < fr->n; i++) {
		ck_assert_int_eq(gather_sink_put(s, fr->res[i]), 0);
		fr->res[i] = NULL; /* the sink's now */
	}
	ck_assert_msg(gather_sink_close(s, err, sizeof err) == 0, "%s", err);
	return testserver_port(fr->ts);
}

static void setup(void)
{
	snprintf(top, sizeof top, "/tmp/test_sink_live.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_live_outputs)
{
	struct fetchrun fr;
	char path[600], url[128];
	size_t len;

	fr_init(&fr, NULL);
	fr.o.jsonl = in_top("out.jsonl");
	fr.o.warc = in_top("out.warc");
	fr.o.mirror = in_top("mirror");
	fr.o.outdir = in_top("flat");
	unsigned port = run(&fr);

	/* one line per fetch */
	char *j = slurp(fr.o.jsonl, &len);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += j[i] == '\n';
	ck_assert_uint_eq(lines, N_PATHS);
	ck_assert_ptr_nonnull(strstr(j, "/truncated\",\"status\":200,\"error\":\"bad_response\""));
	free(j);

	/* mirror: decoded bodies under host:port/ */
	snprintf(path, sizeof path, "%s/127.0.0.1:%u/chunked", fr.o.mirror, port);
	char *b = slurp(path, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, TESTSERVER_TEXT);
	free(b);
	snprintf(path, sizeof path, "%s/127.0.0.1:%u/gzip", fr.o.mirror, port);
	b = slurp(path, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, TESTSERVER_TEXT);
	free(b);
	/* the redirect's page is named by its final URL */
	snprintf(path, sizeof path, "%s/127.0.0.1:%u/redirect/0", fr.o.mirror, port);
	b = slurp(path, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, "done\n");
	free(b);
	/* not saved: 404, errors */
	snprintf(path, sizeof path, "%s/127.0.0.1:%u/truncated", fr.o.mirror, port);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/127.0.0.1:%u/status/404", fr.o.mirror, port);
	ck_assert_int_ne(access(path, F_OK), 0);

	/* -o: flat names from the URL as given */
	snprintf(url, sizeof url, "http://127.0.0.1:%u/bytes/5000", port);
	char *name = gather_mirror_flat_name(url);
	snprintf(path, sizeof path, "%s/%s", fr.o.outdir, name);
	free(name);
	b = slurp(path, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(len, 5000);
	free(b);

	/* WARC: the chunked response is stored de-chunked with its length */
	/* (bodies hold NULs: memmem, not strstr) */
	char *w = slurp(fr.o.warc, &len);
	ck_assert_uint_eq(count(w, len, "WARC-Type: response\r\n"), N_PATHS);
	ck_assert_uint_eq(count(w, len, "WARC-Type: request\r\n"), N_PATHS);
	ck_assert_uint_eq(count(w, len, "Transfer-Encoding"), 0);
	ck_assert_uint_eq(count(w, len, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                        "Content-Length: 86\r\n\r\n" TESTSERVER_TEXT), 1);
	ck_assert_uint_eq(count(w, len, "WARC-Truncated: disconnect\r\n"), 1); /* /truncated */
	free(w);
	fr_free(&fr);
}
END_TEST

static const char *samples_dir;

START_TEST(test_samples)
{
	char p[600];
	for (int gz = 0; gz < 2; gz++) {
		struct fetchrun fr;
		fr_init(&fr, NULL);
		snprintf(p, sizeof p, "%s/live.warc%s", samples_dir, gz ? ".gz" : "");
		fr.o.warc = strdup(p);
		snprintf(p, sizeof p, "%s/live%d.jsonl", samples_dir, gz);
		fr.o.jsonl = strdup(p);
		run(&fr);
		fr_free(&fr);
	}
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("sink_live");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	if (argc == 3 && strcmp(argv[1], "--samples") == 0) {
		samples_dir = argv[2];
		tcase_add_test(tc, test_samples);
	} else {
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, test_live_outputs);
	}
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, argc == 3 ? CK_SILENT : CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
