/* state.c — `gather state [--json] DIR`: what a crawl's state directory
 * (gather crawl --state DIR) holds: seeds and options, pages done, queued
 * and in flight at the last commit, the outputs and where they end, the
 * time of the last commit, and whether a crawl is running on it now.
 * Read-only: it never takes the crawl's lock, so it may look at a state a
 * crawl is writing (SQLite's WAL gives it the last commit). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "store/state.h"

static void state_usage(FILE *f)
{
	fprintf(f, "Usage: gather state [--json] DIR\n"
	           "\n"
	           "Show what the crawl state in DIR (gather crawl --state DIR) holds: seeds\n"
	           "and options, pages done, queued and in flight at the last commit, the\n"
	           "outputs and where they end, the time of the last commit, and whether a\n"
	           "crawl runs on it now.\n"
	           "\n"
	           "  --json      one JSON object\n"
	           "  -h, --help  this help\n"
	           "Exit status: 0, or 2 when DIR holds no crawl state.\n");
}

static int meta_put(const char *k, const char *v, size_t len, void *arg)
{
	json_t *o = arg;
	json_t *opts = json_object_get(o, "options"), *cnt = json_object_get(o, "counters");
	if (strcmp(k, "key") == 0)
		return 0;   /* the fingerprint key stays private */
	if (strncmp(k, "opt:", 4) == 0)
		return json_object_set_new(opts, k + 4, json_stringn(v, len)) < 0 ? -1 : 0;
	if (strncmp(k, "n:", 2) == 0)
		return json_object_set_new(cnt, k + 2, json_integer(strtoll(v, NULL, 10))) < 0 ? -1 : 0;
	if (strcmp(k, "created") == 0 || strcmp(k, "committed") == 0) {
		time_t t = (time_t)strtoll(v, NULL, 10);
		struct tm tm;
		char buf[40];
		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return json_object_set_new(o, k, json_string(buf));
	}
	if (strcmp(k, "finished") == 0)
		return json_object_set_new(o, k, json_boolean(strcmp(v, "1") == 0));
	if (strcmp(k, "queued") == 0 || strcmp(k, "inflight") == 0)
		return json_object_set_new(o, k, json_integer(strtoll(v, NULL, 10)));
	return json_object_set_new(o, k, json_stringn(v, len)) < 0 ? -1 : 0;
}

static int output_put(const struct gather_state_output *out, void *arg)
{
	json_t *a = arg;
	json_t *o = json_pack("{s:s, s:I, s:I}", "name", out->name, "file", (json_int_t)out->file,
	                      "offset", (json_int_t)out->off);
	return o && json_array_append_new(a, o) == 0 ? 0 : -1;
}

/* The pid of the crawl holding DIR's lock, 0 if none. */
static long running(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/lock", dir);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long pid = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		char b[32] = "";
		ssize_t k = pread(fd, b, sizeof b - 1, 0);
		b[k > 0 ? k : 0] = '\0';
		pid = strtol(b, NULL, 10);
		if (pid <= 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

static void print_text(const json_t *o)
{
	const char *k;
	json_t *v;
	printf("state:      %s\n", json_string_value(json_object_get(o, "dir")));
	long pid = (long)json_integer_value(json_object_get(o, "running_pid"));
	printf("crawl:      %s", json_is_true(json_object_get(o, "finished")) ? "finished"
	                         : pid ? "running" : "stopped (run the same command to resume)");
	if (pid > 0)
		printf(" (pid %ld)", pid);
	printf("\n");
	printf("created:    %s\n", json_string_value(json_object_get(o, "created")) ?: "?");
	printf("committed:  %s\n", json_string_value(json_object_get(o, "committed")) ?: "never");
	json_t *c = json_object_get(o, "counters");
	printf("pages:      %lld done (%lld ok, %lld failed, %lld refused, %lld limited), "
	       "%lld queued, %lld in flight\n",
	       (long long)json_integer_value(json_object_get(c, "done")),
	       (long long)json_integer_value(json_object_get(c, "ok")),
	       (long long)json_integer_value(json_object_get(c, "failed")),
	       (long long)json_integer_value(json_object_get(c, "refused")),
	       (long long)json_integer_value(json_object_get(c, "limited")),
	       (long long)json_integer_value(json_object_get(o, "queued")),
	       (long long)json_integer_value(json_object_get(o, "inflight")));
	printf("bytes:      %lld\n", (long long)json_integer_value(json_object_get(c, "bytes")));
	printf("urls known: %lld\n", (long long)json_integer_value(json_object_get(o, "urls")));
	printf("options:\n");
	json_object_foreach(json_object_get(o, "options"), k, v)
		printf("  %-15s %s\n", k, json_string_value(v));
	printf("outputs:\n");
	size_t i;
	json_array_foreach(json_object_get(o, "outputs"), i, v)
		printf("  %-6s file %lld, %lld bytes committed\n",
		       json_string_value(json_object_get(v, "name")),
		       (long long)json_integer_value(json_object_get(v, "file")),
		       (long long)json_integer_value(json_object_get(v, "offset")));
}

int cmd_state(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'j') {
			json = 1;
		} else if (ch == 'h') {
			state_usage(stdout);
			return 0;
		} else {
			state_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		state_usage(stderr);
		return EXIT_USAGE;
	}
	const char *dir = argv[optind];
	struct gather_state *st;
	char err[512];
	if (gather_state_open_ro(dir, &st, err, sizeof err) < 0) {
		fprintf(stderr, "gather state: %s\n", err);
		return EXIT_USAGE;
	}
	json_t *o = json_object();
	json_object_set_new(o, "dir", json_string(dir));
	json_object_set_new(o, "options", json_object());
	json_object_set_new(o, "counters", json_object());
	json_object_set_new(o, "finished", json_false());
	json_object_set_new(o, "outputs", json_array());
	uint64_t pages = 0, urls = 0, adds = 0;
	int rc = gather_state_each_meta(st, meta_put, o);
	if (rc == 0)
		rc = gather_state_outputs(st, output_put, json_object_get(o, "outputs"));
	if (rc == 0)
		rc = gather_state_counts(st, &pages, &urls, &adds);
	gather_state_close(st);
	if (rc < 0) {
		fprintf(stderr, "gather state: %s: cannot read the crawl state\n", dir);
		json_decref(o);
		return EXIT_USAGE;
	}
	json_object_set_new(o, "pages", json_integer((json_int_t)pages));
	json_object_set_new(o, "urls", json_integer((json_int_t)urls));
	json_object_set_new(o, "running_pid", json_integer(running(dir)));
	if (json) {
		char *s = json_dumps(o, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		print_text(o);
	}
	json_decref(o);
	return 0;
}
