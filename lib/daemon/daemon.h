/* daemon.h — gatherd's service: the job registry, the control API and the
 * liveness probe, on one reactor and one pipeline shared by every job.
 *
 *   API (POST /v1/jobs) ─┐
 *   spool (intake.c) ────┼─► gatherd_submit ─► STATE/jobs/ID/ ─► queue ─► runner
 *   schedules (sched.c) ┘                      job.conf, job.json         (max-jobs at once)
 *
 * cmd/gatherd owns the process: the config file, signals, sd_notify.  This
 * library does not print: every event goes to the log callback, once.
 *
 * Threads: everything here on the reactor thread. */
#ifndef GATHER_DAEMON_H
#define GATHER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/conf.h"

struct event_base;
struct gatherd;

/* Log priorities: syslog's (sd-daemon.h's <N> prefixes). */
enum { GATHERD_LOG_ERR = 3, GATHERD_LOG_WARNING = 4, GATHERD_LOG_NOTICE = 5, GATHERD_LOG_INFO = 6 };

/* One line per event: job is the job's id (NULL for the service's own
 * events); msg has no newline. */
typedef void (*gatherd_log_fn)(int prio, const char *job, const char *msg, void *arg);

/* A service on base, as c says (c is copied).  Makes the state directory,
 * recovers the jobs it holds (those that were running, or paused by a
 * stop, are queued again with restarts + 1), starts the pipeline and the
 * listeners: listen_fd >= 0 is a socket systemd passed (sd_listen_fds;
 * gatherd takes it over), else gatherd binds c->socket_path itself; the
 * TCP listener when c->listen is set.  Jobs start at once.  NULL with err
 * filled. */
struct gatherd *gatherd_new(struct event_base *base, const struct gatherd_conf *c, int listen_fd,
                            gatherd_log_fn log, void *log_arg, char *err, size_t errlen);

/* SIGHUP: take the settings of c that can change while running (max-jobs,
 * keep-jobs, the API limits, per-host, delay; not the paths, the listeners
 * or workers: those are logged as needing a restart).  0 or negative. */
int gatherd_reload(struct gatherd *d, const struct gatherd_conf *c);

/* SIGTERM: stop accepting changes, stop every running job (they are
 * marked paused for restart and resume on the next start), and call
 * done(arg) on the reactor once all of them have written their records.
 * Once only. */
void gatherd_shutdown(struct gatherd *d, void (*done)(void *), void *arg);

/* Frees (after gatherd_shutdown's done, or at any point on an error
 * path).  Accepts NULL. */
void gatherd_free(struct gatherd *d);

/* What a submission made. */
struct gatherd_fault {
	unsigned line;    /* line in the submitted text, 0 for the whole */
	char *message;
};
struct gatherd_submit_result {
	char **ids;       /* the new jobs' ids, in file order */
	size_t n;
	struct gatherd_fault *faults; /* with GATHER_E_INVALID */
	size_t nfaults;
};
void gatherd_submit_result_free(struct gatherd_submit_result *r); /* accepts zeroed */

/* THE entry point for new jobs: the API's POST /v1/jobs, the spool watcher
 * and the scheduler all call it.  job_text (len bytes, need not end in a
 * NUL) is a job file as `gather run` takes it, with these differences:
 *  - include() is refused (the text must stand alone);
 *  - so is a ${VAR} reference where the loader would expand it (from the
 *    daemon's environment, which the submitter must not read), by line;
 *  - every path in it (outputs, urls-file) is relative to the job's own
 *    directory STATE/jobs/ID/: an absolute path, "..", or a symlink out is
 *    a fault;
 *  - a job with no jsonl output gets records.jsonl in its directory (what
 *    GET /v1/jobs/ID/records serves); a crawl gets state = STATE/jobs/ID/
 *    state (the crash-safe crawl state: it resumes by itself).
 * source_name says where the text came from ("api", "spool:NAME",
 * "schedule:NAME"; logged, kept with the job).  priority orders the queue
 * (higher first; equal: submission order).  Each job of the text becomes
 * one daemon job, queued (and started when a slot is free).
 * Returns 0 with ret->ids; GATHER_E_INVALID with ret->faults (nothing
 * made); GATHER_E_TOO_LARGE over max-body; GATHER_E_AGAIN while shutting
 * down; GATHER_E_IO / GATHER_E_NOMEM (ret->faults says what).  ret is
 * always filled (free it with gatherd_submit_result_free). */
int gatherd_submit(struct gatherd *d, const char *job_text, size_t len, const char *source_name,
                   int priority, struct gatherd_submit_result *ret);

/* For sd_notify STATUS=: "N jobs running, M queued, P pages/s". */
void gatherd_status_line(struct gatherd *d, char *buf, size_t len);

/* The watchdog's question, asked every half WATCHDOG_USEC (period_ms is
 * WATCHDOG_USEC in ms): true when the reactor is here to ask, no worker
 * has been busy on one item for longer than period_ms (each worker keeps
 * a progress stamp: a single stuck worker is caught while the others go
 * on; a worker waiting for work is not stuck), and the pool processed the
 * probe sent at the previous call (a probe record goes through a worker
 * and the writer and back: the queue and the way back work); then a new
 * probe goes out.  Each false is logged once per call, saying why. */
bool gatherd_alive(struct gatherd *d, uint64_t period_ms);

#endif
