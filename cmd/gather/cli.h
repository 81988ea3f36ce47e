/* cli.h — shared pieces of the gather command line. */
#ifndef GATHER_CLI_H
#define GATHER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gather/options.h"

/* Exit codes (gather(1) EXIT STATUS; systemd/gather@.service.in's
 * SuccessExitStatus= follows them).  The signal ones are the shell's
 * 128 + signal number, as if the signal had ended the process. */
enum {
	EXIT_ALL_OK = 0,       /* every page fetched (refusals are not failures) */
	EXIT_SOME_FAILED = 1,  /* some fetches failed */
	EXIT_USAGE = 2,        /* usage or config error; nothing run */
	EXIT_LIMIT = 3,        /* a limit (max-time, max-pages) ended the run */
	EXIT_SIGINT = 130,
	EXIT_SIGPIPE = 141,    /* the reader of stdout went away (| head -1) */
	EXIT_SIGTERM = 143,
};

struct gather_run_stats;
/* The status of one run from its counters; sig is the signal that stopped
 * it (SIGINT, SIGTERM, SIGPIPE for a reader gone) or 0; broken is true
 * when the run could not do all it was asked (an unreadable input, an
 * output that failed).  st may be NULL (no run: a signal alone). */
int cli_exit_status(const struct gather_run_stats *st, int sig, bool broken);
/* The worse of two statuses, for gather run's jobs: a signal, then usage,
 * then failures, then a limit, then success. */
int cli_exit_worse(int a, int b);
/* Whether stdout is a pipe or socket whose reader has gone away. */
bool cli_stdout_gone(void);
/* One summary line on stderr: "WHO: N pages, E errors, B bytes, S s", then
 * ", R refused" and ", stopped by a limit" when they apply. */
void cli_summary(const char *who, const struct gather_run_stats *st);

/* Parse argv (argv[0] is the subcommand name) into o for command cmd
 * (GATHER_CMD_GET or GATHER_CMD_CRAWL); positional arguments are appended to
 * pos; command-line-only flags go to fl.  Prints one message on stderr
 * and returns EXIT_USAGE on a bad option, -1 after printing help (exit 0),
 * 0 to go on. */
struct cli_flags {
	bool silent;   /* -s: no progress line */
	bool verbose;  /* -v: a line per finished fetch on stderr */
};
int cli_parse(int argc, char **argv, unsigned cmd, struct gather_opts *o,
              struct gather_strv *pos, struct cli_flags *fl);

/* `gather --version`: ours and the libraries' versions (version.c). */
void cli_print_version(FILE *f);

/* Lower o->concurrency to what the descriptor limit allows (each fetch
 * holds a socket), saying so once per process on stderr.  cmd names the
 * subcommand in the message. */
void cli_cap_concurrency(const char *cmd, struct gather_opts *o);

/* Print the option list for cmd, as --help shows it. */
void cli_print_options(FILE *f, unsigned cmd);

struct event_base;
struct gather_runner;
/* A fresh reactor with libevent's pthreads support (workers wake it). */
struct event_base *new_reactor(void);
/* Start the runners, run the reactor until all are done, stopping them
 * cleanly on SIGINT/SIGTERM; a progress line on stderr when asked.  Returns
 * the signal that stopped the run (SIGINT, SIGTERM), 0 when none, or -1 on
 * a setup error. */
int run_runners(struct event_base *base, struct gather_runner **runners, size_t n,
                bool progress);
/* run_runners, and with watch_stdout (the records go to stdout) also stop
 * the runners when stdout's reader goes away, returning SIGPIPE: wget and
 * every Unix filter die of SIGPIPE there; we stop as cleanly as for a
 * signal, without an error message. */
int run_runners_watch(struct event_base *base, struct gather_runner **runners, size_t n,
                      bool progress, bool watch_stdout);

/* SIGINT/SIGTERM (cmd/gather/signals.c): the first calls cb(sig, arg) on
 * base's thread; the second ends the process at once with status 128 +
 * signal (130, 143), from
 * the handler itself, wherever the reactor's thread is (blocked draining
 * output, or past its loop).  Open at most one at a time; close frees the
 * event (the handler stays for the rest of the process). */
struct cli_signals;
typedef void (*cli_signal_fn)(int sig, void *arg);
struct cli_signals *cli_signals_open(struct event_base *base, cli_signal_fn cb, void *arg);
void cli_signals_close(struct cli_signals *s);

int cmd_get(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_ctl(int argc, char **argv);   /* ctl.c: gatherd's control API */
/* --max-job-size SIZE / --max-job-size=SIZE at argv[*i] (check and run;
 * *i moved past its value): 1 taken into *ret, 0 not this option, -1 a bad
 * value (said on stderr). */
int cli_max_job_size(const char *cmd, int argc, char **argv, int *i, uint64_t *ret);

#endif
