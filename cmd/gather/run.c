/* run.c — `gather run [--parallel] JOB.conf...`: load every job file first
 * (any fault: report all, run nothing, exit 2), then run the jobs in order,
 * or all together on one reactor with --parallel, through lib/runner.h.
 * One summary line per job on stderr.  Jobs whose files clash (an output
 * that is another output or an input, across all the jobs) run nothing.
 * Each job's status is get's and crawl's (gather(1) EXIT STATUS); the run's
 * is the worst of them (cli_exit_worse): a signal, 2, 1, 3, 0. */
#include "config.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gather/error.h"
#include "gather/job.h"
#include "gather/pipeline.h"
#include "gather/runner.h"

struct run;

struct run_job {
	const struct gather_job *job;  /* owned by run.files */
	struct gather_runner *r;       /* NULL before start and after reaping */
	struct run *run;
	bool started, done;
};

/* Reactor thread only. */
struct run {
	struct event_base *base;
	struct gather_pipeline *pipe;  /* one worker pool and writer for every job */
	struct gather_jobfile *files;
	size_t nfiles;
	struct run_job *jobs;
	size_t n;
	size_t next;                   /* first job not started */
	size_t active;
	bool parallel, stopping;
	int sig;                       /* the signal that stopped the run, or 0 */
	int exit;                      /* worst status so far */
	uint64_t max_job_size;         /* --max-job-size (0: the default) */
};

static void run_usage(FILE *f)
{
	fprintf(f, "Usage: gather run [--parallel] [--max-job-size SIZE] JOB.conf...\n"
	           "\n"
	           "Run the jobs of the job files (gather.conf(5)), in order, or all at once\n"
	           "with --parallel.  The files are checked first; any fault stops the run.\n"
	           "Exit status: the worst of the jobs': 0 all fetched, 3 a limit ended a job,\n"
	           "1 some fetches failed, 2 config error, 130/143 after SIGINT/SIGTERM.\n");
}

static void start_next(struct run *run);

/* One line per finished job: name, pages, errors, bytes, time. */
static void summary(const struct run_job *rj, const struct gather_run_stats *st)
{
	char who[300];
	snprintf(who, sizeof who, "gather run: job '%.250s'", rj->job->name);
	cli_summary(who, st);
}

/* Deferred from on_done (never free a runner inside its own callback
 * chain): write the summary, free the runner, start what comes next. */
static void reap(evutil_socket_t fd, short what, void *arg)
{
	struct run_job *rj = arg;
	struct run *run = rj->run;
	struct gather_run_stats st;
	char err[256];
	(void)fd;
	(void)what;

	bool broken = false;
	int sig = 0;

	gather_runner_stats(rj->r, &st);
	summary(rj, &st);
	if (gather_runner_error(rj->r)) {
		/* an unreadable urls-file met while running, ... */
		fprintf(stderr, "gather run: job '%s': %s\n", rj->job->name, gather_runner_error(rj->r));
		broken = true;
	}
	if (gather_runner_free(rj->r, err, sizeof err) < 0) {
		const char *j = rj->job->opts.jsonl;
		/* its records went to a reader that left (| head -1): the
		 * end asked for, quiet, 141 (the other jobs go on: their
		 * outputs may be files) */
		if ((!j || strcmp(j, "-") == 0) && cli_stdout_gone())
			sig = SIGPIPE;
		else
			fprintf(stderr, "gather run: job '%s': %s\n", rj->job->name, err);
		broken = true;
	}
	run->exit = cli_exit_worse(run->exit, cli_exit_status(&st, sig, broken));
	rj->r = NULL;
	run->active--;
	start_next(run);
	if (run->active == 0 && (run->next == run->n || run->stopping))
		event_base_loopexit(run->base, NULL);
}

static void on_done(struct gather_runner *r, void *arg)
{
	struct run_job *rj = arg;
	(void)r;
	rj->done = true;
	if (event_base_once(rj->run->base, -1, EV_TIMEOUT, reap, rj, NULL) < 0)
		reap(-1, 0, rj); /* no memory for the event: reap now, the runner is done */
}

/* Start the next job (sequential) or every job (--parallel).  A job whose
 * runner cannot be set up counts as failed; the others still run. */
static void start_next(struct run *run)
{
	while (!run->stopping && run->next < run->n && (run->parallel || run->active == 0)) {
		struct run_job *rj = &run->jobs[run->next++];
		char err[256] = "";
		rj->r = gather_runner_new_on(run->pipe, &rj->job->opts, rj->job->cmd, &rj->job->seeds,
		                          err, sizeof err);
		if (!rj->r || gather_runner_start(rj->r, on_done, rj) < 0) {
			fprintf(stderr, "gather run: job '%s' (%s:%u): %s\n", rj->job->name, rj->job->file,
			        rj->job->line, err[0] ? err : "cannot start");
			gather_runner_free(rj->r, NULL, 0);
			rj->r = NULL;
			run->exit = cli_exit_worse(run->exit, EXIT_SOME_FAILED);
			continue;
		}
		rj->started = true;
		run->active++;
	}
}

/* SIGINT / SIGTERM: start nothing new; every running job ends its fetches
 * as cancelled and flushes its records, then on_done follows. */
static void on_signal(int sig, void *arg)
{
	struct run *run = arg;
	if (run->stopping)
		return;
	fprintf(stderr, "gather run: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");

	run->stopping = true;
	run->sig = sig;
	for (size_t i = 0; i < run->n; i++)
		if (run->jobs[i].r && !run->jobs[i].done)
			gather_runner_stop(run->jobs[i].r);
	if (run->active == 0)
		event_base_loopexit(run->base, NULL);
}

/* Load every file; print every fault.  0, or EXIT_USAGE. */
static int load_all(struct run *run, int nfiles, char **paths)
{
	int ret = 0;
	run->files = calloc((size_t)nfiles, sizeof *run->files);
	if (!run->files)
		return EXIT_USAGE;
	run->nfiles = (size_t)nfiles;
	for (int i = 0; i < nfiles; i++) {
		struct gather_strv diags = { 0 };
		int r = gather_jobfile_load_max(paths[i], run->max_job_size, &run->files[i], &diags);
		for (size_t k = 0; k < diags.n; k++)
			fprintf(stderr, "%s\n", diags.v[k]);
		if (r == GATHER_E_NOMEM)
			fprintf(stderr, "gather run: %s: out of memory\n", paths[i]);
		if (r < 0)
			ret = EXIT_USAGE;
		gather_strv_free(&diags);
		run->n += run->files[i].n;
	}
	if (ret)
		return ret;
	/* before any job opens its outputs (a jsonl file is truncated) */
	struct gather_strv diags = { 0 };
	int r = gather_jobfiles_check_files(run->files, run->nfiles, &diags);
	for (size_t k = 0; k < diags.n; k++)
		fprintf(stderr, "%s\n", diags.v[k]);
	gather_strv_free(&diags);
	if (r == GATHER_E_NOMEM)
		fprintf(stderr, "gather run: out of memory\n");
	if (r < 0)
		return EXIT_USAGE;
	if (run->n == 0) {
		fprintf(stderr, "gather run: no job in the files given\n");
		return EXIT_USAGE;
	}
	run->jobs = calloc(run->n, sizeof *run->jobs);
	if (!run->jobs)
		return EXIT_USAGE;
	for (size_t f = 0, k = 0; f < run->nfiles; f++)
		for (size_t j = 0; j < run->files[f].n; j++, k++) {
			cli_cap_concurrency("run", &run->files[f].jobs[j].opts);
			run->jobs[k] = (struct run_job){ .job = &run->files[f].jobs[j], .run = run };
		}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run run = { .exit = EXIT_ALL_OK };
	struct cli_signals *sig = NULL;
	int first = 1, ret;

	/* Options anywhere, as in get and crawl; after "--" only files.  The
	 * files are moved to the front of argv[first..]. */
	int nfiles = 0;
	bool dashdash = false;
	for (int i = first; i < argc; i++) {
		if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
			int m = cli_max_job_size("run", argc, argv, &i, &run.max_job_size);
			if (m < 0)
				return EXIT_USAGE;
			if (m > 0)
				continue;
			if (strcmp(argv[i], "--parallel") == 0) {
				run.parallel = true;
			} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
				run_usage(stdout);
				return EXIT_ALL_OK;
			} else if (strcmp(argv[i], "--") == 0) {
				dashdash = true;
			} else {
				fprintf(stderr, "gather run: unknown option '%s'\n", argv[i]);
				run_usage(stderr);
				return EXIT_USAGE;
			}
			continue;
		}
		argv[first + nfiles++] = argv[i];
	}
	if (nfiles == 0) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	ret = load_all(&run, nfiles, argv + first);
	if (ret)
		goto out;

	signal(SIGPIPE, SIG_IGN); /* a closed output pipe is a write error, not death */
	if (evthread_use_pthreads() < 0 || !(run.base = event_base_new())) {
		fprintf(stderr, "gather run: cannot set up the event loop\n");
		ret = EXIT_USAGE;
		goto out;
	}
	/* One pipeline for every job (sequential or --parallel): as many
	 * workers as the hungriest job asks (0: one per CPU wins), room for
	 * the work of all jobs that may run at once. */
	{
		unsigned workers = 1;
		size_t cap = 0;
		char perr[256];
		for (size_t i = 0; i < run.n; i++) {
			const struct gather_opts *jo = &run.jobs[i].job->opts;
			size_t c = 2 * (size_t)jo->concurrency + 16;
			if (jo->workers == 0 || workers == 0)
				workers = 0;
			else if (jo->workers > workers)
				workers = jo->workers;
			cap = run.parallel ? cap + c : (c > cap ? c : cap);
		}
		if (!(run.pipe = gather_pipeline_new(run.base, workers, cap, perr, sizeof perr))) {
			fprintf(stderr, "gather run: %s\n", perr);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	/* A second signal leaves at once, even while a job's end (inside
	 * the loop) drains outputs that block. */
	if (!(sig = cli_signals_open(run.base, on_signal, &run))) {
		fprintf(stderr, "gather run: cannot catch signals\n");
		ret = EXIT_USAGE;
		goto out;
	}
	start_next(&run);
	if (run.active)
		event_base_dispatch(run.base);
	ret = run.sig ? cli_exit_worse(run.exit, cli_exit_status(NULL, run.sig, false)) : run.exit;
out:
	cli_signals_close(sig);
	for (size_t i = 0; run.jobs && i < run.n; i++) /* NULL after a load fault */
		if (run.jobs[i].r)
			gather_runner_free(run.jobs[i].r, NULL, 0);
	gather_pipeline_free(run.pipe);
	if (run.base)
		event_base_free(run.base);
	for (size_t f = 0; f < run.nfiles; f++)
		gather_jobfile_free(&run.files[f]);
	free(run.files);
	free(run.jobs);
	return ret;
}
