/* fetch.c — `gather get` and `gather crawl`: parse options, refuse outputs
 * that would destroy an input or each other, run one runner on a fresh
 * reactor with signal handling and the progress line, pick the exit code
 * (gather(1) EXIT STATUS). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/result.h"
#include "gather/runner.h"
#include "url/url.h"
#include "util/fileid.h"

struct run_ctx {
	struct event_base *base;
	struct gather_runner **runners;
	size_t n, finished;
	int sig;                 /* the first signal (SIGPIPE: stdout's reader gone) */
	bool progress;
	struct event *tick;
	struct event *watch;     /* stdout's reader, when the records go there */
};

static void on_done(struct gather_runner *r, void *arg)
{
	struct run_ctx *c = arg;
	(void)r;
	if (++c->finished == c->n)
		event_base_loopbreak(c->base);
}

/* SIGINT/SIGTERM, the first (signals.c ends the process on a second):
 * stop the runners cleanly, records flushed. */
static void on_signal(int sig, void *arg)
{
	struct run_ctx *c = arg;
	if (!c->sig)
		c->sig = sig;
	for (size_t i = 0; i < c->n; i++)
		gather_runner_stop(c->runners[i]);
}

bool cli_stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	/* a pipe or socket without a reader polls as POLLERR (or POLLHUP);
	 * a file or terminal never does */
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* Every 250 ms while the records go to stdout: a reader gone (`| head -1`)
 * stops the run as a signal would, rather than fetching on for nothing. */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct run_ctx *c = arg;
	(void)fd;
	(void)what;
	if (!c->sig && cli_stdout_gone())
		on_signal(SIGPIPE, c);
}

int cli_exit_status(const struct gather_run_stats *st, int sig, bool broken)
{
	if (sig == SIGINT)
		return EXIT_SIGINT;
	if (sig == SIGTERM)
		return EXIT_SIGTERM;
	if (sig == SIGPIPE)
		return EXIT_SIGPIPE;
	if (st && st->fatal)   /* the crawl state could not be kept */
		return EXIT_USAGE;
	if (broken || (st && st->failed))
		return EXIT_SOME_FAILED;
	if (st && st->limit_hit)
		return EXIT_LIMIT;
	return EXIT_ALL_OK;
}

/* How bad a status is; the order of cli_exit_worse. */
static int severity(int status)
{
	switch (status) {
	case EXIT_ALL_OK: return 0;
	case EXIT_LIMIT: return 1;
	case EXIT_SOME_FAILED: return 2;
	case EXIT_USAGE: return 3;
	default: return 4; /* a signal */
	}
}

int cli_exit_worse(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}

void cli_summary(const char *who, const struct gather_run_stats *st)
{
	char extra[96] = "";
	if (st->refused)
		snprintf(extra, sizeof extra, ", %" PRIu64 " refused", st->refused);
	if (st->limit_hit)
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", stopped by a limit");
	fprintf(stderr, "%s: %" PRIu64 " pages, %" PRIu64 " errors, %" PRIu64 " bytes, %" PRIu64
	        ".%03" PRIu64 " s%s\n", who, st->done, st->failed, st->bytes, st->elapsed_ms / 1000,
	        st->elapsed_ms % 1000, extra);
}

static void human_bytes(char *buf, size_t len, double b)
{
	const char *u = "B";
	if (b >= 1e9) { b /= 1e9; u = "GB"; }
	else if (b >= 1e6) { b /= 1e6; u = "MB"; }
	else if (b >= 1e3) { b /= 1e3; u = "kB"; }
	snprintf(buf, len, "%.1f %s", b, u);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run_ctx *c = arg;
	struct gather_run_stats t = { 0 };
	char rate[32];
	(void)fd;
	(void)what;
	for (size_t i = 0; i < c->n; i++) {
		struct gather_run_stats s;
		gather_runner_stats(c->runners[i], &s);
		t.done += s.done;
		t.failed += s.failed;
		t.inflight += s.inflight;
		t.queued += s.queued;
		t.bytes += s.bytes;
		if (s.elapsed_ms > t.elapsed_ms)
			t.elapsed_ms = s.elapsed_ms;
	}
	double secs = t.elapsed_ms ? (double)t.elapsed_ms / 1000.0 : 1e-3;
	human_bytes(rate, sizeof rate, (double)t.bytes / secs);
	fprintf(stderr, "\r\033[K%llu done, %llu in flight, %llu queued, %.0f req/s, %s/s, %llu errors",
	        (unsigned long long)t.done, (unsigned long long)t.inflight,
	        (unsigned long long)t.queued, (double)t.done / secs, rate,
	        (unsigned long long)t.failed);
}

int run_runners(struct event_base *base, struct gather_runner **runners, size_t n,
                bool progress)
{
	return run_runners_watch(base, runners, n, progress, false);
}

int run_runners_watch(struct event_base *base, struct gather_runner **runners, size_t n,
                      bool progress, bool watch_stdout)
{
	struct run_ctx c = { .base = base, .runners = runners, .n = n, .progress = progress };
	struct cli_signals *sig = cli_signals_open(base, on_signal, &c);
	struct timeval tv = { 0, 250000 };

	if (!sig) {
		fprintf(stderr, "gather: cannot set up signal handling\n");
		return -1;
	}
	if (progress) {
		c.tick = event_new(base, -1, EV_PERSIST, on_tick, &c);
		if (c.tick)
			event_add(c.tick, &tv);
	}
	if (watch_stdout) {
		c.watch = event_new(base, -1, EV_PERSIST, on_watch, &c);
		if (c.watch)
			event_add(c.watch, &tv);
	}
	for (size_t i = 0; i < n; i++)
		gather_runner_start(runners[i], on_done, &c);
	/* A runner may finish inside start (nothing to do): loopbreak before
	 * the loop runs is forgotten by libevent, so do not enter it then. */
	if (c.finished < n)
		event_base_dispatch(base);
	if (c.tick) {
		on_tick(-1, 0, &c);
		fputc('\n', stderr);
		event_free(c.tick);
	}
	if (c.watch)
		event_free(c.watch);
	cli_signals_close(sig);
	return c.sig;
}

struct event_base *new_reactor(void)
{
	struct event_base *base;
	if (evthread_use_pthreads() < 0) {
		fprintf(stderr, "gather: libevent has no pthreads support\n");
		return NULL;
	}
	base = event_base_new();
	if (!base)
		fprintf(stderr, "gather: cannot create the event loop\n");
	return base;
}

/* Whether --progress or --no-progress was given (before any "--"). */
static bool progress_asked(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--progress") == 0 || strcmp(argv[i], "--no-progress") == 0)
			return true;
	return false;
}

/* The progress line is on by default when stderr is a terminal, unless the
 * records go to that same terminal, where it would cut them (curl turns its
 * meter off likewise). */
static bool records_to_stdout(const struct gather_opts *o);

static bool progress_default(const struct gather_opts *o)
{
	return isatty(STDERR_FILENO) && !(records_to_stdout(o) && isatty(STDOUT_FILENO));
}

/* -o -: the body goes to stdout. */
static bool body_to_stdout(const struct gather_opts *o)
{
	return o->output && strcmp(o->output, "-") == 0;
}

/* Records go to stdout (no --jsonl, or --jsonl -), or the body does: what
 * stdout carries, for the progress line and a reader gone. */
static bool records_to_stdout(const struct gather_opts *o)
{
	return !o->jsonl || strcmp(o->jsonl, "-") == 0 || body_to_stdout(o);
}

/* -o FILE (curl's -o): the body of one URL given on the command line.
 * With -o - the body is stdout's: the records go to --jsonl FILE, or
 * nowhere (/dev/null) when none is named, never into the body.  0, or
 * EXIT_USAGE after one message. */
static int check_output(const char *cmdname, const struct gather_strv *pos,
                        struct gather_opts *o)
{
	if (!o->output)
		return 0;
	if (pos->n != 1 || o->input.n) {
		fprintf(stderr, "gather %s: -o FILE takes exactly one URL on the command line "
		        "(%zu given%s); --output-dir DIR saves the bodies of several\n", cmdname,
		        pos->n, o->input.n ? ", and -i" : "");
		return EXIT_USAGE;
	}
	if (!*o->output) {
		fprintf(stderr, "gather %s: -o needs a file name (- for stdout)\n", cmdname);
		return EXIT_USAGE;
	}
	if (!body_to_stdout(o))
		return 0;
	if (o->jsonl && strcmp(o->jsonl, "-") == 0) {
		fprintf(stderr, "gather %s: -o - and --jsonl - would both write to stdout: "
		        "name a file for one of them\n", cmdname);
		return EXIT_USAGE;
	}
	if (!o->jsonl && !(o->jsonl = strdup("/dev/null"))) {
		fprintf(stderr, "gather %s: out of memory\n", cmdname);
		return EXIT_USAGE;
	}
	return 0;
}

/* Refuse, before any output is opened (--jsonl truncates), two outputs
 * that are one file or an output that is an input: print each clash once.
 * 0 or EXIT_USAGE. */
static int check_files(const char *cmdname, const struct gather_opts *o)
{
	struct gather_files fs = { 0 };
	struct gather_strv faults = { 0 };
	int rc = gather_files_add_opts(&fs, o, NULL, &faults);
	for (size_t i = 0; i < faults.n; i++)
		fprintf(stderr, "gather %s: %s\n", cmdname, faults.v[i]);
	if (rc == GATHER_E_NOMEM)
		fprintf(stderr, "gather %s: out of memory\n", cmdname);
	gather_strv_free(&faults);
	gather_files_free(&fs);
	return rc < 0 ? EXIT_USAGE : 0;
}

/* Files named on the command line are checked before any fetch starts, as
 * wget does (a typo in -i is not a run that "fetched nothing"): 0, or
 * EXIT_USAGE after one message. */
static int check_inputs_exist(const char *cmdname, const struct gather_opts *o)
{
	for (size_t i = 0; i < o->input.n; i++) {
		const char *f = o->input.v[i];
		if (strcmp(f, "-") != 0 && access(f, R_OK) < 0) {
			fprintf(stderr, "gather %s: -i %s: %s\n", cmdname, f, strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (o->cacert && access(o->cacert, R_OK) < 0) {
		fprintf(stderr, "gather %s: --cacert %s: %s\n", cmdname, o->cacert, strerror(errno));
		return EXIT_USAGE;
	}
	return 0;
}

/* -v: each finished fetch on stderr, before the outputs (reactor thread). */
static void print_record(const struct gather_result *res, void *arg)
{
	char *shown = NULL;
	const char *u = res->final_url ? res->final_url : res->url ? res->url : "";
	(void)arg;
	if (gather_url_redact(u, &shown) < 0)
		return;
	if (res->err)
		fprintf(stderr, "* %s %s: %s\n", gather_err_name(res->err), shown ? shown : u,
		        res->message ? res->message : "");
	else
		fprintf(stderr, "* %d %s (%llu bytes, %llu ms)%s%s\n", res->status, shown ? shown : u,
		        (unsigned long long)res->bytes, (unsigned long long)res->time_ms,
		        res->saved ? ", saved to " : "", res->saved ? res->saved : "");
	free(shown);
}

static int fetch_main(int argc, char **argv, unsigned cmd)
{
	struct gather_opts o;
	struct gather_strv pos = { 0 };
	struct cli_flags fl = { 0 };
	struct event_base *base = NULL;
	struct gather_runner *r = NULL;
	struct gather_run_stats st;
	char err[512] = "";
	bool broken = false;
	int ret, sig;

	gather_opts_init(&o, cmd);
	ret = cli_parse(argc, argv, cmd, &o, &pos, &fl);
	if (ret == 0 && !progress_asked(argc, argv))
		o.progress = progress_default(&o) && !fl.silent;
	if (ret == 0)
		ret = check_inputs_exist(argv[0], &o);
	if (ret != 0) {
		ret = ret < 0 ? EXIT_ALL_OK : ret;
		goto out;
	}
	if (cmd == GATHER_CMD_CRAWL && pos.n == 0 && o.input.n == 0) {
		fprintf(stderr, "gather crawl: no seed URL given (see gather crawl --help)\n");
		ret = EXIT_USAGE;
		goto out;
	}
	if (cmd == GATHER_CMD_GET && pos.n == 0 && o.input.n == 0) {
		fprintf(stderr, "gather get: no URL given; name URLs or -i FILE (see gather get --help)\n");
		ret = EXIT_USAGE;
		goto out;
	}
	/* the clash first: -o FILE on an input is the graver fault */
	if ((ret = check_files(argv[0], &o)) != 0 || (ret = check_output(argv[0], &pos, &o)) != 0)
		goto out;
	base = new_reactor();
	if (!base) {
		ret = EXIT_USAGE;
		goto out;
	}
	r = gather_runner_new(base, &o, cmd, &pos, err, sizeof err);
	if (!r) {
		fprintf(stderr, "gather %s: %s\n", argv[0], err);
		ret = EXIT_USAGE;
		goto out;
	}
	if (gather_runner_note(r) && !fl.silent)
		fprintf(stderr, "gather %s: %s\n", argv[0], gather_runner_note(r));
	if (fl.verbose)
		gather_runner_on_record(r, print_record, NULL);
	sig = run_runners_watch(base, &r, 1, o.progress, records_to_stdout(&o));
	if (sig < 0) {
		gather_runner_free(r, NULL, 0);
		ret = EXIT_USAGE;
		goto out;
	}
	gather_runner_stats(r, &st);
	if (gather_runner_error(r)) { /* an unreadable -i file, ...: not all done */
		fprintf(stderr, "gather %s: %s\n", argv[0], gather_runner_error(r));
		broken = true;
	}
	/* -o - to a reader that went away: the end it asked for, quietly */
	if (!sig && body_to_stdout(&o) && cli_stdout_gone())
		sig = SIGPIPE;
	if (gather_runner_free(r, err, sizeof err) < 0) {
		/* records to a reader that went away (| head -1): the end it
		 * asked for, not an error to report (wget dies of SIGPIPE) */
		if (!sig && records_to_stdout(&o) && cli_stdout_gone())
			sig = SIGPIPE;
		if (sig != SIGPIPE)
			fprintf(stderr, "gather %s: %s\n", argv[0], err);
		broken = true;
	}
	/* the crawl's end, as gather run reports each job's */
	if (cmd == GATHER_CMD_CRAWL && sig != SIGPIPE && !fl.silent)
		cli_summary("gather crawl", &st);
	ret = cli_exit_status(&st, sig, broken);
out:
	if (base)
		event_base_free(base);
	gather_strv_free(&pos);
	gather_opts_free(&o);
	return ret;
}

int cmd_get(int argc, char **argv)
{
	return fetch_main(argc, argv, GATHER_CMD_GET);
}

int cmd_crawl(int argc, char **argv)
{
	return fetch_main(argc, argv, GATHER_CMD_CRAWL);
}
