/* daemon.c — gatherd's service object: state directory, the one pipeline,
 * the event log, the liveness probe, the once-a-second tick, shutdown.
 * See daemon.h. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon-internal.h"
#include "gather/error.h"
#include "gather/pipeline.h"
#include "pipeline/share.h"
#include "util/clock.h"

/* Wall-clock milliseconds since the epoch, for the times the API shows
 * (created, started, finished); durations use gather_now_ms. */
int64_t gatherd_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gatherd_logf(struct gatherd *d, int prio, const struct djob *j, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!d->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->log(prio, j ? j->idstr : NULL, msg, d->log_arg);
}

/* A job changed state: one event with the next id, kept in the ring of
 * the last max-events (GET /v1/events), and sent to those following. */
void gatherd_event(struct gatherd *d, const struct djob *j)
{
	char when[40];
	struct tm tm;
	int64_t ms = gatherd_unix_ms();
	time_t t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03dZ", (int)(ms % 1000));

	uint64_t id = d->next_event++;
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "time", when, "job",
	                      j->idstr, "name", j->name ? j->name : "", "state", djob_state_name(j->state));
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	struct devent *e = &d->events[id % d->conf.max_events];
	free(e->line);
	e->id = line ? id : 0;
	e->line = line;
	gatherd_api_event(d);
}

/* --- liveness probe --------------------------------------------------- */

#define HANG_URL "gatherd:hang"

/* Worker thread: a probe has nothing to do but be done.  The test hook
 * GATHERD_TEST_HANG_WORKER=FILE: while FILE exists the daemon sends one
 * item of its own (HANG_URL) that hangs the worker taking it (at most
 * 120 s), as a stuck parser would, while the other workers go on (the
 * probes too: so only the per-worker stamps can see it). */
static void probe_work(struct gather_result *r, void *arg)
{
	const struct gatherd *d = arg; /* hang_file: set before the stream, read-only since */
	const char *hang = d->hang_file;
	if (!hang || strcmp(r->url, HANG_URL) != 0)
		return;
	for (int i = 0; i < 2400 && access(hang, F_OK) == 0; i++)
		usleep(50 * 1000);
}

static void probe_written(struct gather_result *r, void *arg)
{
	struct gatherd *d = arg;
	if (strcmp(r->url, HANG_URL) == 0) {
		d->hang_out = false;
	} else {
		d->probe_out = false;
		d->probes++;
	}
	gather_result_free(r);
}

static bool send_item(struct gatherd *d, const char *url)
{
	struct gather_result *r = gather_result_new();
	if (r && !(r->url = strdup(url))) {
		gather_result_free(r);
		r = NULL;
	}
	if (!r)
		return false;
	r->err = GATHER_E_CANCELLED;
	gather_stream_submit(d->probe, r, true);
	return true;
}

bool gatherd_alive(struct gatherd *d, uint64_t period_ms)
{
	unsigned w = 0;
	uint64_t stuck = gather_pipeline_stuck_ms(d->pipe, &w);
	bool ok = true;
	if (period_ms && stuck > period_ms) {
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "worker %u has been busy on one item for %.1f s "
		             "(more than the watchdog's %.1f s): no watchdog ping", w, (double)stuck / 1000,
		             (double)period_ms / 1000);
		ok = false;
	}
	if (d->probe_out) {
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "the worker pool has not answered a probe: no watchdog ping");
		return false;
	}
	if (d->hang_file && !d->hang_out && access(d->hang_file, F_OK) == 0) {
		/* alone in the queue (no probe with it this time), so one
		 * worker takes it and the others stay free */
		d->hang_out = send_item(d, HANG_URL);
		return ok;
	}
	d->probe_out = send_item(d, "gatherd:probe");
	return ok;
}

/* --- the tick, shutdown --------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gatherd *d = arg;
	static const double dt = 1.0;
	(void)fd;
	(void)what;
	djobs_tick(d, dt);
	dsched_tick(d);
	gatherd_api_tick(d);
}

void gatherd_status_line(struct gatherd *d, char *buf, size_t len)
{
	size_t queued = 0;
	for (size_t i = 0; i < d->njobs; i++)
		queued += d->jobs[i]->state == DJ_QUEUED;
	snprintf(buf, len, "%u jobs running, %zu queued, %.1f pages/s%s", d->running, queued, d->pps,
	         d->shutting_down ? ", stopping" : "");
}

static void shutdown_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gatherd *d = arg;
	(void)fd;
	(void)what;
	if (d->shutdown_done)
		d->shutdown_done(d->shutdown_arg);
}

void gatherd_check_shutdown(struct gatherd *d)
{
	if (d->shutting_down && d->running == 0 && d->shutdown_ev && !d->shutdown_done_sent) {
		d->shutdown_done_sent = true;
		event_active(d->shutdown_ev, 0, 0);
	}
}

void gatherd_shutdown(struct gatherd *d, void (*done)(void *), void *arg)
{
	if (d->shutting_down)
		return;
	d->shutting_down = true;
	d->shutdown_done = done;
	d->shutdown_arg = arg;
	gatherd_logf(d, GATHERD_LOG_NOTICE, NULL, "stopping: %u jobs running are paused for the restart",
	             d->running);
	gatherd_spool_stop(d); /* files dropped from now wait for the next start */
	djobs_stop_all(d);
	gatherd_check_shutdown(d);
}

/* --- life ------------------------------------------------------------ */

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

struct gatherd *gatherd_new(struct event_base *base, const struct gatherd_conf *c, int listen_fd,
                            gatherd_log_fn log, void *log_arg, char *err, size_t errlen)
{
	struct gatherd *d = calloc(1, sizeof *d);
	char perr[256];
	if (!d || gatherd_conf_copy(&d->conf, c) < 0) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->base = base;
	d->log = log;
	d->log_arg = log_arg;
	d->next_event = 1;
	d->next_id = 1;
	d->start_ms = gatherd_unix_ms();
	d->start_mono_ms = gather_now_ms();
	size_t n = strlen(c->state_dir) + sizeof "/jobs";
	if (!(d->jobs_dir = malloc(n)) ||
	    !(d->events = calloc(d->conf.max_events, sizeof *d->events))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(d->jobs_dir, n, "%s/jobs", c->state_dir);
	if (mkdir_p(d->jobs_dir, 0700) < 0) {
		snprintf(err, errlen, "cannot make %s: %s", d->jobs_dir, strerror(errno));
		goto fail;
	}
	/* one worker pool and writer for every job: room for the work of
	 * max-jobs jobs at their usual concurrency */
	size_t cap = (size_t)d->conf.max_jobs * (2 * 64 + 16) + 16;
	if (!(d->pipe = gather_pipeline_new(base, d->conf.workers, cap, perr, sizeof perr))) {
		snprintf(err, errlen, "%s", perr);
		goto fail;
	}
	const char *hang = getenv("GATHERD_TEST_HANG_WORKER");
	if (hang && *hang && !(d->hang_file = strdup(hang))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	gather_opts_init(&d->probe_opts, GATHER_CMD_GET);
	free(d->probe_opts.jsonl);
	d->probe_opts.jsonl = strdup("/dev/null");
	struct gather_stream_conf sc = {
		.o = &d->probe_opts, .cmd = GATHER_CMD_GET, .work = probe_work,
		.written = probe_written, .arg = d,
	};
	if (!d->probe_opts.jsonl || !(d->probe = gather_stream_new(d->pipe, &sc, perr, sizeof perr))) {
		snprintf(err, errlen, "probe: %s", d->probe_opts.jsonl ? perr : "out of memory");
		goto fail;
	}
	if (djobs_recover(d, err, errlen) < 0)
		goto fail;
	if (gatherd_spool_start(d, err, errlen) < 0 || dsched_load(d, true, err, errlen) < 0)
		goto fail;
	if (gatherd_api_start(d, listen_fd, err, errlen) < 0)
		goto fail;
	struct timeval one = { 1, 0 };
	if (!(d->tick = event_new(base, -1, EV_PERSIST, on_tick, d)) || event_add(d->tick, &one) < 0 ||
	    !(d->shutdown_ev = event_new(base, -1, 0, shutdown_cb, d))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	djobs_schedule(d);
	return d;
fail:
	gatherd_free(d);
	return NULL;
}

int gatherd_reload(struct gatherd *d, const struct gatherd_conf *c)
{
	struct gatherd_conf *o = &d->conf;
	if (strcmp(o->state_dir, c->state_dir) != 0 || strcmp(o->socket_path, c->socket_path) != 0 ||
	    o->workers != c->workers || (o->listen == NULL) != (c->listen == NULL) ||
	    (o->listen && strcmp(o->listen, c->listen) != 0) || o->max_events != c->max_events)
		gatherd_logf(d, GATHERD_LOG_WARNING, NULL,
		             "reload: state-dir, socket, listen, workers and max-events take a restart");
	o->max_jobs = c->max_jobs;
	o->keep_jobs = c->keep_jobs;
	o->max_connections = c->max_connections;
	o->per_host = c->per_host;
	o->delay_ms = c->delay_ms;
	o->max_body = c->max_body;
	o->max_header = c->max_header;
	o->idle_timeout_ms = c->idle_timeout_ms;
	gatherd_api_apply_limits(d);
	/* job-dir may change: the schedules are read again from it */
	if ((o->job_dir == NULL) != (c->job_dir == NULL) || (o->job_dir && strcmp(o->job_dir, c->job_dir) != 0)) {
		char *j = c->job_dir ? strdup(c->job_dir) : NULL;
		if (c->job_dir && !j)
			return GATHER_E_NOMEM;
		free(o->job_dir);
		o->job_dir = j;
	}
	if ((o->spool_dir == NULL) != (c->spool_dir == NULL) ||
	    (o->spool_dir && strcmp(o->spool_dir, c->spool_dir) != 0))
		gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "reload: spool-dir takes a restart");
	char err[256];
	if (!d->shutting_down) /* no new job while stopping: the next start reads them */
		dsched_load(d, false, err, sizeof err);
	gatherd_logf(d, GATHERD_LOG_NOTICE, NULL, "reloaded %s: max-jobs %u, keep-jobs %u",
	             c->file ? c->file : "(defaults)", o->max_jobs, o->keep_jobs);
	djobs_schedule(d);
	return 0;
}

void gatherd_free(struct gatherd *d)
{
	if (!d)
		return;
	gatherd_api_stop(d);
	gatherd_spool_stop(d);
	if (d->tick)
		event_free(d->tick);
	if (d->shutdown_ev)
		event_free(d->shutdown_ev);
	/* runners first (their streams), then the probe, then the pipeline */
	dsched_free(d);
	djobs_free(d);
	gather_stream_free(d->probe);
	gather_pipeline_free(d->pipe);
	gather_opts_free(&d->probe_opts);
	for (size_t i = 0; d->events && i < d->conf.max_events; i++)
		free(d->events[i].line);
	free(d->events);
	free(d->jobs_dir);
	free(d->hang_file);
	free(d->spool_dir);
	gatherd_conf_free(&d->conf);
	free(d);
}
