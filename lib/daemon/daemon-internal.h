/* daemon-internal.h — what the files of lib/daemon share (jobs*.c and
 * api*.c share more among themselves: jobs-internal.h, api-internal.h).
 * Reactor thread only, bar struct probe's fields marked otherwise. */
#ifndef GATHER_DAEMON_INTERNAL_H
#define GATHER_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/conf.h"
#include "daemon/daemon.h"
#include "gather/job.h"
#include "gather/result.h"

struct event;
struct evhttp;
struct evhttp_request;
struct evconnlistener;
struct bufferevent;
struct gather_pipeline;
struct gather_stream;
struct gather_runner;

enum djob_state { DJ_QUEUED, DJ_RUNNING, DJ_PAUSED, DJ_DONE, DJ_FAILED, DJ_CANCELLED, DJ__N };
enum djob_stop { STOP_NONE, STOP_PAUSE, STOP_CANCEL, STOP_SHUTDOWN };

/* Fetch-duration histogram buckets (seconds), Prometheus style. */
#define DJOB_NBUCKETS 10
extern const double djob_buckets[DJOB_NBUCKETS];

struct djob {
	struct gatherd *d;
	uint64_t id;
	char idstr[24];
	char *name;
	unsigned cmd;                /* GATHER_CMD_GET / GATHER_CMD_CRAWL */
	int priority;
	uint64_t seq;                /* submission order */
	enum djob_state state;
	bool restart;                /* paused by a stop: resumes at start */
	enum djob_stop stop;         /* why the running runner was stopped */
	int64_t created_ms, started_ms, finished_ms; /* Unix ms, 0: not yet */
	unsigned restarts;
	char *dir;                   /* STATE/jobs/ID */
	char *records;               /* its jsonl output (absolute) */
	char *source;
	char *error;                 /* why it failed, NULL */
	struct gather_jobfile jf;    /* loaded while it runs */
	struct gather_runner *r;     /* while running (and until reaped) */
	struct gather_run_stats stats; /* live while running, else the last */
	uint64_t rate_done;          /* stats.done at the last rate tick */
	double pps;                  /* pages/s over the last tick */
	uint64_t hist[DJOB_NBUCKETS + 1]; /* fetch durations; last: +Inf */
	double hist_sum;
	char *json;                  /* djob_json_text of a finished job, or NULL */
	char *json_live;             /* that of a live one, until the next call */
};

struct devent {
	uint64_t id;
	char *line;                  /* one JSON object, no newline */
};

struct follower;                 /* api-stream.c: a chunked response being fed */

struct gatherd {
	struct event_base *base;
	struct gatherd_conf conf;
	gatherd_log_fn log;
	void *log_arg;
	char *jobs_dir;              /* STATE/jobs */
	struct gather_pipeline *pipe;

	struct djob **jobs;          /* by id, ascending */
	size_t njobs, capjobs;
	uint64_t next_id, next_seq;
	unsigned running;

	struct devent *events;       /* ring of conf.max_events */
	uint64_t next_event;         /* id of the next event (first is 1) */

	int64_t start_ms;            /* Unix ms */
	uint64_t start_mono_ms;
	double pps;                  /* all jobs */
	struct event *tick;          /* every second: rates, follow feeds */

	/* API */
	struct evhttp *http_unix, *http_tcp;
	struct evconnlistener *lis_unix, *lis_tcp;
	char *bound_path;            /* a socket we bound (unlinked at free) */
	char *token;                 /* TCP bearer token */
	unsigned conns;              /* API connections open */
	struct bufferevent **conn_bevs; /* theirs, each with our reference */
	size_t nconn_bevs, capconn_bevs;
	bool api_stopping;
	uint64_t accept_paused_until; /* no accept before (ms, monotonic): out of descriptors */
	struct event *feed;          /* every 200 ms: followers of records */
	struct follower *followers;
	uint64_t api_requests[6];    /* by status class 1xx..5xx, [0] other */

	/* liveness probe: one record through a worker and back */
	struct gather_stream *probe;
	struct gather_opts probe_opts;
	bool probe_out;
	bool hang_out;               /* the test hook's item is in a worker */
	uint64_t probes;
	char *hang_file;             /* GATHERD_TEST_HANG_WORKER */

	/* spool (intake.c): job files dropped into spool-dir */
	struct gather_spool *spool;
	char *spool_dir;             /* conf.spool_dir, or STATE/spool */

	/* schedules (sched.c): job files of job-dir with a schedule */
	struct dsched **scheds;
	size_t nscheds;
	json_t *sched_state;         /* STATE/schedules.json as loaded and kept */
	int64_t clock_offset_s;      /* GATHERD_TEST_CLOCK_OFFSET (tests only) */

	bool shutting_down, shutdown_done_sent;
	void (*shutdown_done)(void *);
	void *shutdown_arg;
	struct event *shutdown_ev;
};

/* daemon.c */
void gatherd_logf(struct gatherd *d, int prio, const struct djob *j, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void gatherd_event(struct gatherd *d, const struct djob *j);
int64_t gatherd_unix_ms(void);
void gatherd_check_shutdown(struct gatherd *d);

/* jobs.c; djobs_recover: jobs-store.c; djobs_submit: jobs-submit.c */
const char *djob_state_name(enum djob_state s);
int djob_state_parse(const char *s, enum djob_state *ret);
struct djob *djob_find(struct gatherd *d, const char *idstr);
json_t *djob_json(struct djob *j);
/* The same as compact text: cached once a job is finished (it no longer
 * changes), so listing many kept jobs is a copy.  NULL on OOM. */
const char *djob_json_text(struct djob *j);
int djobs_recover(struct gatherd *d, char *err, size_t errlen);
void djobs_schedule(struct gatherd *d);
/* 0, or GATHER_E_AGAIN when the state forbids it (409). */
int djob_pause(struct djob *j);
int djob_resume(struct djob *j);
int djob_cancel(struct djob *j);
int djob_delete(struct djob *j);
bool djob_delete_allowed(const struct djob *j);
void djobs_tick(struct gatherd *d, double dt_s);
void djobs_free(struct gatherd *d);
void djobs_stop_all(struct gatherd *d);
bool djob_active(const struct djob *j); /* queued or running */

/* gatherd_submit with two more: only, the name of the one job of the text
 * to submit (a schedule's; NULL: all), and check: when not NULL, nothing
 * is made: the text is loaded and checked as a submission would be, and
 * its jobs are handed back in *check (free with gather_jobfile_free; their
 * paths point into a directory that is gone). */
int djobs_submit(struct gatherd *d, const char *text, size_t len, const char *source_name,
                 int priority, const char *only, struct gather_jobfile *check,
                 struct gatherd_submit_result *ret);

/* intake.c: the spool */
int gatherd_spool_start(struct gatherd *d, char *err, size_t errlen);
void gatherd_spool_stop(struct gatherd *d);

/* sched.c: schedules.  load reads job-dir (again, keeping what each
 * schedule that stays has seen); at_start: STATE/schedules.json is read
 * first and persistent schedules that missed a firing run once.  0, or
 * negative (err says; only for the state file: a job file's faults are
 * logged and the file skipped). */
int dsched_load(struct gatherd *d, bool at_start, char *err, size_t errlen);
void dsched_tick(struct gatherd *d);
json_t *dsched_json(struct gatherd *d);
void dsched_free(struct gatherd *d);

/* api-listen.c; gatherd_api_tick and gatherd_api_event: api-stream.c */
int gatherd_api_start(struct gatherd *d, int listen_fd, char *err, size_t errlen);
void gatherd_api_apply_limits(struct gatherd *d);
void gatherd_api_tick(struct gatherd *d);
void gatherd_api_event(struct gatherd *d);
void gatherd_api_stop(struct gatherd *d);

#endif
