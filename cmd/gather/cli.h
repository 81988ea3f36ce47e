/* cli.h — shared pieces of the gather command line. */
#ifndef GATHER_CLI_H
#define GATHER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gather/options.h"

/* Exit codes (gather(1)). */
enum { EXIT_ALL_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };

/* Parse argv (argv[0] is the subcommand name) into o for command cmd
 * (GATHER_CMD_GET or GATHER_CMD_CRAWL); positional arguments are appended to
 * pos.  Prints one message on stderr and returns EXIT_USAGE on a bad option,
 * -1 after printing help (exit 0), 0 to go on. */
int cli_parse(int argc, char **argv, unsigned cmd, struct gather_opts *o,
              struct gather_strv *pos);

/* Print the option list for cmd, as --help shows it. */
void cli_print_options(FILE *f, unsigned cmd);

struct event_base;
struct gather_runner;
/* A fresh reactor with libevent's pthreads support (workers wake it). */
struct event_base *new_reactor(void);
/* Start the runners, run the reactor until all are done, stopping them
 * cleanly on SIGINT/SIGTERM; a progress line on stderr when asked.  Returns
 * the number of signals received, or -1 on a setup error. */
int run_runners(struct event_base *base, struct gather_runner **runners, size_t n,
                bool progress);

/* SIGINT/SIGTERM (cmd/gather/signals.c): the first calls cb(sig, arg) on
 * base's thread; the second ends the process at once with status 130, from
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
/* --max-job-size SIZE / --max-job-size=SIZE at argv[*i] (check and run;
 * *i moved past its value): 1 taken into *ret, 0 not this option, -1 a bad
 * value (said on stderr). */
int cli_max_job_size(const char *cmd, int argc, char **argv, int *i, uint64_t *ret);

#endif
