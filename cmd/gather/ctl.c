/* ctl.c — `gather ctl VERB ...`: gatherd's control API (issue 14) from the
 * command line.  One HTTP/1.1 request per verb (per file for submit) over
 * the daemon's Unix socket, answered with JSON; shown as a table on a
 * terminal, passed through as JSON (or JSON lines) with --json or into a
 * pipe.
 *
 * This file is the command: options, the verbs and the request each makes.
 * The request travels through ctl-http.c (ctl_request) and its answer is
 * printed by ctl-show.c (ctl_show, ctl_refused, ctl_stream_line); the seam
 * is those four calls and the structs of ctl.h (issue 11: one concern a
 * file).  Single-threaded.
 *
 * Exit: 0 done; 1 the daemon answered an error (its "error" printed); 2
 * usage, no daemon at the socket, or no sensible answer from it. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "gather/error.h"
#include "gather/job.h"
#include "gather/options.h"
#include "util/strbuf.h"

#define CTL_TIMEOUT_MS 30000u               /* --timeout default */
#define CTL_MAX_RESPONSE (64ull << 20)      /* --max-response default */

static void ctl_usage(FILE *f)
{
	fprintf(f,
	"Usage: gather ctl [OPTIONS] VERB [ARGS]\n"
	"\n"
	"Talk to gatherd over its control socket.\n"
	"\n"
	"Verbs:\n"
	"  status                 version, uptime, jobs by state, workers, pages/s\n"
	"  jobs [--state S]       the jobs (S: queued running paused done failed cancelled)\n"
	"  submit FILE...         submit job files (- reads standard input)\n"
	"  show ID                one job\n"
	"  pause ID | resume ID | cancel ID\n"
	"  rm ID                  remove a job that is not running, with its files\n"
	"  records ID [--follow]  its records (JSON lines); --follow: until the job ends\n"
	"  events [--since N] [--follow]\n"
	"                         job state changes kept (from event N); --follow: and\n"
	"                         then as they happen, until interrupted\n"
	"  schedules              scheduled jobs, next run and last outcome\n"
	"\n"
	"Options:\n"
	"  --socket PATH          the control socket (default: $GATHER_SOCKET, else\n"
	"                         $RUNTIME_DIRECTORY/gatherd.sock, else for root\n"
	"                         /run/gather/gatherd.sock, for others\n"
	"                         $XDG_RUNTIME_DIR/gather/gatherd.sock (without it\n"
	"                         gatherd's own default, its state directory's\n"
	"                         gatherd.sock) then /run/gather/gatherd.sock)\n"
	"  --json                 JSON (JSON lines for streams), not a table\n"
	"  --table                a table even when standard output is no terminal\n"
	"  --timeout SECS         longest wait for the daemon (default 30; streams wait\n"
	"                         for their next line without limit unless given)\n"
	"  --max-response SIZE    largest answer kept in memory, K/M/G (default 64M)\n"
	"  --max-job-size SIZE    largest job file submitted (default 16M)\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 done, 1 the daemon refused (its error is shown), 2 usage or\n"
	"no daemon at the socket.\n");
}

static bool good_id(const char *id)
{
	size_t n = strlen(id);
	/* the daemon's ids go into a URL path as they are: nothing to escape */
	return n > 0 && n <= 128 &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
	       strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

/* One request whose answer is kept and shown; 0, 1 or 2. */
static int simple(struct ctl *c, const char *method, const char *target)
{
	struct ctl_sink s = { .max = c->max_response };
	struct ctl_answer a = { 0 };
	int r = ctl_request(c, method, target, NULL, 0, &s, &a);
	if (r < 0) {
		free(s.body.p);
		return EXIT_USAGE;
	}
	if (a.status / 100 != 2) {
		r = ctl_refused(a.status, s.body.p, s.body.len, NULL);
	} else {
		if (a.status == 204 && c->out == OUT_TABLE && strcmp(c->verb, "rm") == 0)
			printf("removed %s\n", c->args[0]);
		ctl_show(c, s.body.p ? s.body.p : "", s.body.len);
		r = 0;
	}
	free(s.body.p);
	free(a.location);
	return r;
}

/* A stream of lines, each shown as it comes; waits: it may idle (follow). */
static int stream(struct ctl *c, const char *target, bool waits)
{
	struct ctl_sink s = { .stream = true, .on_line = ctl_stream_line, .arg = c,
	                  .wait = waits && !c->timeout_given, .max = c->max_response };
	struct ctl_answer a = { 0 };
	int r = ctl_request(c, "GET", target, NULL, 0, &s, &a);
	free(s.line.p);
	if (r >= 0 && a.status / 100 != 2)
		r = ctl_refused(a.status, s.body.p, s.body.len, NULL);
	free(s.body.p);
	free(a.location);
	if (r == -2)
		return EXIT_SIGPIPE;
	return r < 0 ? EXIT_USAGE : r;
}

/* Read a job file whole (regular file, FIFO or stdin), up to max bytes. */
static char *read_file(const char *name, uint64_t max, size_t *ret_len)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	struct gather_strbuf b = { 0 };
	char chunk[16384];
	size_t n;
	if (!f) {
		fprintf(stderr, "gather ctl: %s: %s\n", name, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= max)
		gather_strbuf_add(&b, chunk, n);
	bool err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (err || b.oom || b.len > max) {
		fprintf(stderr, "gather ctl: %s: %s\n", name, err ? "cannot read it" : b.oom ?
		        "out of memory" : "larger than --max-job-size");
		free(b.p);
		return NULL;
	}
	*ret_len = b.len;
	return b.p ? b.p : strdup("");
}

/* submit FILE...: each file one POST; every file is tried, the worst
 * status wins. */
static int submit(struct ctl *c)
{
	int ret = 0;
	for (int i = 0; i < c->nargs; i++) {
		size_t len;
		char *text = read_file(c->args[i], c->max_job_size, &len);
		struct ctl_sink s = { .max = c->max_response };
		struct ctl_answer a = { 0 };
		if (!text) {
			ret = EXIT_USAGE;
			continue;
		}
		int r = ctl_request(c, "POST", "/v1/jobs", text, len, &s, &a);
		free(text);
		if (r < 0) {
			free(s.body.p);
			return EXIT_USAGE; /* no daemon: the next file would fail too */
		}
		if (a.status / 100 != 2) {
			ctl_refused(a.status, s.body.p, s.body.len, c->args[i]);
			if (ret == 0)
				ret = 1;
		} else {
			ctl_show(c, s.body.p ? s.body.p : "", s.body.len);
		}
		free(s.body.p);
		free(a.location);
	}
	return ret;
}

static const char *const states[] = { "queued", "running", "paused", "done", "failed", "cancelled", NULL };

/* Run the verb; its exit status. */
static int run_verb(struct ctl *c)
{
	static const struct {
		const char *verb;
		int nargs;        /* -1: one or more */
	} verbs[] = {
		{ "status", 0 }, { "jobs", 0 }, { "submit", -1 }, { "show", 1 }, { "pause", 1 },
		{ "resume", 1 }, { "cancel", 1 }, { "rm", 1 }, { "records", 1 }, { "events", 0 },
		{ "schedules", 0 },
	};
	char target[512];
	int want = -2;

	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
		if (strcmp(c->verb, verbs[i].verb) == 0)
			want = verbs[i].nargs;
	if (want == -2) {
		fprintf(stderr, "gather ctl: unknown verb '%s' (see gather ctl --help)\n", c->verb);
		return EXIT_USAGE;
	}
	if ((want == -1 && c->nargs < 1) || (want >= 0 && c->nargs != want)) {
		fprintf(stderr, "gather ctl %s: %s\n", c->verb, want == 0 ? "takes no arguments" :
		        want == 1 ? "needs one job ID" : "needs one or more job files");
		return EXIT_USAGE;
	}
	if (c->state && strcmp(c->verb, "jobs") != 0) {
		fprintf(stderr, "gather ctl %s: --state is an option of jobs\n", c->verb);
		return EXIT_USAGE;
	}
	if (c->follow && strcmp(c->verb, "records") != 0 && strcmp(c->verb, "events") != 0) {
		fprintf(stderr, "gather ctl %s: --follow is an option of records and events\n", c->verb);
		return EXIT_USAGE;
	}
	if (c->since && strcmp(c->verb, "events") != 0) {
		fprintf(stderr, "gather ctl %s: --since is an option of events\n", c->verb);
		return EXIT_USAGE;
	}
	if (want == 1 && !good_id(c->args[0])) {
		fprintf(stderr, "gather ctl %s: '%s' is not a job ID\n", c->verb, c->args[0]);
		return EXIT_USAGE;
	}
	const char *id = want == 1 ? c->args[0] : "";
	if (strcmp(c->verb, "status") == 0)
		return simple(c, "GET", "/v1/status");
	if (strcmp(c->verb, "jobs") == 0) {
		if (c->state) {
			bool ok = false;
			for (size_t i = 0; states[i]; i++)
				ok |= strcmp(c->state, states[i]) == 0;
			if (!ok) {
				fprintf(stderr, "gather ctl jobs: --state '%s': expected queued, running, "
				        "paused, done, failed or cancelled\n", c->state);
				return EXIT_USAGE;
			}
		}
		snprintf(target, sizeof target, "/v1/jobs%s%s", c->state ? "?state=" : "",
		         c->state ? c->state : "");
		return simple(c, "GET", target);
	}
	if (strcmp(c->verb, "submit") == 0)
		return submit(c);
	if (strcmp(c->verb, "show") == 0) {
		snprintf(target, sizeof target, "/v1/jobs/%s", id);
		return simple(c, "GET", target);
	}
	if (strcmp(c->verb, "rm") == 0) {
		snprintf(target, sizeof target, "/v1/jobs/%s", id);
		return simple(c, "DELETE", target);
	}
	if (strcmp(c->verb, "records") == 0) {
		snprintf(target, sizeof target, "/v1/jobs/%s/records%s", id, c->follow ? "?follow=1" : "");
		return stream(c, target, c->follow);
	}
	if (strcmp(c->verb, "events") == 0) {
		uint64_t n;
		if (c->since && gather_parse_u64(c->since, UINT64_MAX, &n) < 0) {
			fprintf(stderr, "gather ctl events: --since '%s': expected an event number\n", c->since);
			return EXIT_USAGE;
		}
		/* without follow=1 gatherd sends the events it keeps and ends */
		if (c->since)
			snprintf(target, sizeof target, "/v1/events?since=%llu%s", (unsigned long long)n,
			         c->follow ? "&follow=1" : "");
		else
			snprintf(target, sizeof target, "/v1/events%s", c->follow ? "?follow=1" : "");
		return stream(c, target, c->follow);
	}
	if (strcmp(c->verb, "schedules") == 0)
		return simple(c, "GET", "/v1/schedules");
	/* pause, resume, cancel */
	snprintf(target, sizeof target, "/v1/jobs/%s/%s", id, c->verb);
	return simple(c, "POST", target);
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"), *i
 * moved past it; NULL when argv[*i] is not that option.  *bad set when it
 * is but lacks its value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

int cmd_ctl(int argc, char **argv)
{
	struct ctl c = { .timeout_ms = CTL_TIMEOUT_MS, .max_response = CTL_MAX_RESPONSE,
	                 .max_job_size = GATHER_JOB_MAX_SIZE };
	bool json = false, table = false, opts = true;
	char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, ret;

	if (!pos)
		return EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool bad = false;
		int m;
		if (!opts || a[0] != '-' || !a[1]) {
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			ctl_usage(stdout);
			free(pos);
			return EXIT_ALL_OK;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--table") == 0) {
			table = true;
		} else if (strcmp(a, "--follow") == 0) {
			c.follow = true;
		} else if ((v = opt_value(argc, argv, &i, "--socket", &bad))) {
			c.socket = v;
		} else if ((v = opt_value(argc, argv, &i, "--state", &bad))) {
			c.state = v;
		} else if ((v = opt_value(argc, argv, &i, "--since", &bad))) {
			c.since = v;
		} else if ((v = opt_value(argc, argv, &i, "--timeout", &bad))) {
			if (gather_parse_seconds(v, &c.timeout_ms) < 0 || c.timeout_ms == 0) {
				fprintf(stderr, "gather ctl: --timeout needs a time above 0 (e.g. 5, 250ms)\n");
				free(pos);
				return EXIT_USAGE;
			}
			c.timeout_given = true;
		} else if ((v = opt_value(argc, argv, &i, "--max-response", &bad))) {
			if (gather_parse_size(v, &c.max_response) < 0 || c.max_response == 0) {
				fprintf(stderr, "gather ctl: --max-response needs a size above 0 (e.g. 64K, 16M)\n");
				free(pos);
				return EXIT_USAGE;
			}
		} else if ((m = cli_max_job_size("ctl", argc, argv, &i, &c.max_job_size)) != 0) {
			if (m < 0) {
				free(pos);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "gather ctl: %s '%s' (see gather ctl --help)\n",
			        bad ? "an argument is missing after" : "unknown option", a);
			free(pos);
			return EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "gather ctl: an argument is missing after '%s'\n", a);
			free(pos);
			return EXIT_USAGE;
		}
	}
	if (npos == 0 || (json && table)) {
		if (json && table)
			fprintf(stderr, "gather ctl: --json or --table, not both\n");
		ctl_usage(stderr);
		free(pos);
		return EXIT_USAGE;
	}
	if (c.socket && !*c.socket) {
		fprintf(stderr, "gather ctl: --socket needs a path\n");
		free(pos);
		return EXIT_USAGE;
	}
	c.verb = pos[0];
	c.args = pos + 1;
	c.nargs = npos - 1;
	/* a table for a person at a terminal; JSON for a program */
	c.out = json ? OUT_JSON : table ? OUT_TABLE : isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
	ret = run_verb(&c);
	if (fflush(stdout) != 0 && ret == 0)
		ret = cli_stdout_gone() ? EXIT_SIGPIPE : EXIT_USAGE;
	free(c.path);
	free(pos);
	return ret;
}
