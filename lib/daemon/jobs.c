/* jobs.c — gatherd's job registry and the jobs' life cycle: the jobs by
 * id, their JSON, the queue, runners on the shared pipeline, pause /
 * resume / cancel / delete, pruning.  The files under STATE/jobs (job.json
 * at every change of state, recovery at start) are jobs-store.c's, the
 * texts (checks, confinement, submission) jobs-submit.c's: the registry
 * hands the store a job to save and takes back the jobs it recovers or
 * makes, so what crosses is the few calls of jobs-internal.h.
 *
 * A job's life:  queued ─► running ─► done | failed | cancelled
 *                  ▲  │        │ pause (runner stopped, then reaped)
 *                  │  ▼        ▼
 *                  └─ paused ◄─┘        resume: paused ─► queued
 * Every change of state is saved (djob_save) before it is told, so a
 * kill -9 finds each job as it last was.
 * Reactor thread only. */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/daemon-internal.h"
#include "daemon/jobs-internal.h"
#include "gather/error.h"
#include "util/vec.h"
#include "gather/job.h"
#include "gather/runner.h"

const double djob_buckets[DJOB_NBUCKETS] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 };

static const char *const state_names[DJ__N] = { "queued", "running", "paused", "done", "failed",
	                                         "cancelled" };

const char *djob_state_name(enum djob_state s)
{
	return s < DJ__N ? state_names[s] : "unknown";
}

int djob_state_parse(const char *s, enum djob_state *ret)
{
	for (int i = 0; i < DJ__N; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*ret = (enum djob_state)i;
			return 0;
		}
	return GATHER_E_INVALID;
}

bool djob_active(const struct djob *j)
{
	return j->state == DJ_QUEUED || j->state == DJ_RUNNING;
}

static bool finished(const struct djob *j)
{
	return j->state == DJ_DONE || j->state == DJ_FAILED || j->state == DJ_CANCELLED;
}

/* --- the registry: d->jobs, sorted by id ---------------------------- */

struct djob *djob_find(struct gatherd *d, const char *idstr)
{
	uint64_t id;
	if (!idstr || !*idstr || strspn(idstr, "0123456789") != strlen(idstr) ||
	    gather_parse_u64(idstr, UINT64_MAX, &id) < 0)
		return NULL;
	size_t lo = 0, hi = d->njobs; /* jobs are sorted by id */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->jobs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->njobs && d->jobs[lo]->id == id ? d->jobs[lo] : NULL;
}

struct djob *djob_new(struct gatherd *d, uint64_t id)
{
	struct djob *j = calloc(1, sizeof *j);
	size_t n;
	if (!j)
		return NULL;
	j->d = d;
	j->id = id;
	snprintf(j->idstr, sizeof j->idstr, "%llu", (unsigned long long)id);
	n = strlen(d->jobs_dir) + sizeof j->idstr + 2;
	if (!(j->dir = malloc(n))) {
		free(j);
		return NULL;
	}
	snprintf(j->dir, n, "%s/%s", d->jobs_dir, j->idstr);
	return j;
}

int djob_insert(struct gatherd *d, struct djob *j)
{
	struct djob **v = gather_grow(d->jobs, d->njobs, &d->capjobs, sizeof *v, 64);
	if (!v)
		return GATHER_E_NOMEM;
	d->jobs = v;
	size_t i = d->njobs;
	while (i > 0 && d->jobs[i - 1]->id > j->id) {
		d->jobs[i] = d->jobs[i - 1];
		i--;
	}
	d->jobs[i] = j;
	d->njobs++;
	return 0;
}

void djob_free(struct djob *j)
{
	if (!j)
		return;
	if (j->r)
		gather_runner_free(j->r, NULL, 0);
	gather_jobfile_free(&j->jf);
	free(j->name);
	free(j->dir);
	free(j->records);
	free(j->source);
	free(j->error);
	free(j->json);
	free(j->json_live);
	free(j);
}

/* --- views ------------------------------------------------------------ */

/* RFC 3339 in UTC with milliseconds, or JSON null for 0. */
static json_t *rfc3339(int64_t ms)
{
	char buf[40];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	if (ms <= 0 || !gmtime_r(&t, &tm))
		return json_null();
	size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
	return json_string(buf);
}

void djob_live_stats(struct djob *j)
{
	if (j->r)
		gather_runner_stats(j->r, &j->stats);
}

json_t *djob_json(struct djob *j)
{
	djob_live_stats(j);
	json_t *st = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}",
	                       "pages", (json_int_t)j->stats.done,
	                       "errors", (json_int_t)j->stats.failed,
	                       "bytes", (json_int_t)j->stats.bytes,
	                       "queued", (json_int_t)j->stats.queued,
	                       "inflight", (json_int_t)j->stats.inflight,
	                       "pages_per_s", j->state == DJ_RUNNING ? j->pps : 0.0);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:i, s:s, s:o}",
	                      "id", j->idstr, "name", j->name,
	                      "kind", j->cmd == GATHER_CMD_CRAWL ? "crawl" : "get",
	                      "state", djob_state_name(j->state), "priority", j->priority,
	                      "created", rfc3339(j->created_ms), "started", rfc3339(j->started_ms),
	                      "finished", rfc3339(j->finished_ms), "restarts", (int)j->restarts,
	                      "source", j->source ? j->source : "", "stats", st);
	if (o && j->error)
		json_object_set_new(o, "error", json_string(j->error));
	if (o && j->stop != STOP_NONE)
		json_object_set_new(o, "stopping", json_true());
	return o;
}

const char *djob_json_text(struct djob *j)
{
	if (j->json)
		return j->json;
	json_t *o = djob_json(j);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (finished(j) && j->stop == STOP_NONE)
		return j->json = t;
	/* a live job: fresh each time, kept only until the next call */
	free(j->json_live);
	return j->json_live = t;
}

/* Every change of state goes through here: the cached JSON dropped, the
 * time stamped, job.json saved, then the change told (event log,
 * followers). */
static void set_state(struct djob *j, enum djob_state s)
{
	free(j->json);
	j->json = NULL;
	j->state = s;
	if (s == DJ_RUNNING)
		j->started_ms = gatherd_unix_ms();
	if (finished(j))
		j->finished_ms = gatherd_unix_ms();
	djob_save(j);
	gatherd_event(j->d, j);
}

/* --- running ---------------------------------------------------------- */

static void prune(struct gatherd *d);

/* Deferred from on_done (never free a runner inside its own callback
 * chain): the job's final state, the next job. */
static void reap(evutil_socket_t fd, short what, void *arg)
{
	struct djob *j = arg;
	struct gatherd *d = j->d;
	char err[256] = "";
	(void)fd;
	(void)what;

	gather_runner_stats(j->r, &j->stats);
	const char *rerr = gather_runner_error(j->r);
	if (rerr && !j->error)
		j->error = strdup(rerr);
	if (gather_runner_free(j->r, err, sizeof err) < 0 && !j->error)
		j->error = strdup(err);
	j->r = NULL;
	gather_jobfile_free(&j->jf);
	d->running--;
	enum djob_stop why = j->stop;
	j->stop = STOP_NONE;
	switch (why) {
	case STOP_PAUSE:
		j->restart = false;
		set_state(j, DJ_PAUSED);
		gatherd_logf(d, GATHERD_LOG_INFO, j, "paused: %llu pages", (unsigned long long)j->stats.done);
		break;
	case STOP_SHUTDOWN:
		j->restart = true;
		set_state(j, DJ_PAUSED);
		gatherd_logf(d, GATHERD_LOG_INFO, j, "paused for the restart: %llu pages",
		             (unsigned long long)j->stats.done);
		break;
	case STOP_CANCEL:
		set_state(j, DJ_CANCELLED);
		gatherd_logf(d, GATHERD_LOG_INFO, j, "cancelled: %llu pages", (unsigned long long)j->stats.done);
		break;
	case STOP_NONE:
		if (j->error) {
			set_state(j, DJ_FAILED);
			gatherd_logf(d, GATHERD_LOG_WARNING, j, "failed: %s", j->error);
		} else {
			set_state(j, DJ_DONE);
			gatherd_logf(d, GATHERD_LOG_INFO, j,
			             "finished: %llu pages, %llu errors, %llu bytes in %.1f s",
			             (unsigned long long)j->stats.done, (unsigned long long)j->stats.failed,
			             (unsigned long long)j->stats.bytes, (double)j->stats.elapsed_ms / 1000);
		}
		break;
	}
	prune(d);
	djobs_schedule(d);
	gatherd_check_shutdown(d);
}

static void on_done(struct gather_runner *r, void *arg)
{
	struct djob *j = arg;
	(void)r;
	if (event_base_once(j->d->base, -1, EV_TIMEOUT, reap, j, NULL) < 0)
		reap(-1, 0, j);
}

/* Every record of a running job (reactor): the fetch-duration histogram. */
static void on_record(const struct gather_result *res, void *arg)
{
	struct djob *j = arg;
	double s = (double)res->time_ms / 1000;
	size_t b = 0;
	while (b < DJOB_NBUCKETS && s > djob_buckets[b])
		b++;
	j->hist[b]++;
	j->hist_sum += s;
}

static void fail_start(struct djob *j, const char *msg)
{
	free(j->error);
	j->error = strdup(msg);
	gather_jobfile_free(&j->jf);
	set_state(j, DJ_FAILED);
	gatherd_logf(j->d, GATHERD_LOG_WARNING, j, "failed to start: %s", msg);
}

/* The directories between dir and the file path (below dir). */
static void mkdir_parents(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	char buf[4200];
	if (strncmp(path, dir, n) != 0 || path[n] != '/' || strlen(path) >= sizeof buf)
		return;
	strcpy(buf, path);
	for (char *p = buf + n + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0700);
		*p = '/';
	}
}

/* Load the job's text again and start a runner on the shared pipeline. */
static void start(struct djob *j)
{
	struct gatherd *d = j->d;
	char err[512] = "";

	free(j->error);
	j->error = NULL;
	struct gather_job *gj = djob_load(j, err, sizeof err);
	if (!gj) {
		fail_start(j, err);
		return;
	}
	/* "out/r.jsonl": the directories under the job's are made here
	 * (the paths are confined already) */
	const char *outs[] = { gj->opts.jsonl, gj->opts.warc, gj->opts.mirror, gj->opts.outdir };
	for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
		if (outs[i])
			mkdir_parents(j->dir, outs[i]);
	free(j->records);
	j->records = strdup(gj->opts.jsonl);
	memset(&j->stats, 0, sizeof j->stats);
	j->rate_done = 0;
	j->r = gather_runner_new_on(d->pipe, &gj->opts, gj->cmd, &gj->seeds, err, sizeof err);
	if (j->r)
		gather_runner_on_record(j->r, on_record, j);
	if (!j->r || gather_runner_start(j->r, on_done, j) < 0) {
		gather_runner_free(j->r, NULL, 0);
		j->r = NULL;
		fail_start(j, err[0] ? err : "cannot start");
		return;
	}
	d->running++;
	set_state(j, DJ_RUNNING);
	gatherd_logf(d, GATHERD_LOG_INFO, j, "started: '%s'%s", j->name,
	             j->restarts ? " (resumed after a restart)" : "");
}

void djobs_schedule(struct gatherd *d)
{
	while (!d->shutting_down && d->running < d->conf.max_jobs) {
		struct djob *best = NULL;
		for (size_t i = 0; i < d->njobs; i++) {
			struct djob *j = d->jobs[i];
			if (j->state != DJ_QUEUED)
				continue;
			if (!best || j->priority > best->priority ||
			    (j->priority == best->priority && j->seq < best->seq))
				best = j;
		}
		if (!best)
			return;
		start(best);
	}
}

/* Finished jobs past keep-jobs go, oldest first, files and all. */
static void prune(struct gatherd *d)
{
	size_t nfin = 0;
	for (size_t i = 0; i < d->njobs; i++)
		nfin += finished(d->jobs[i]);
	while (nfin > d->conf.keep_jobs) {
		struct djob *old = NULL;
		for (size_t i = 0; i < d->njobs; i++) {
			struct djob *j = d->jobs[i];
			if (finished(j) && (!old || j->finished_ms < old->finished_ms ||
			                    (j->finished_ms == old->finished_ms && j->id < old->id)))
				old = j;
		}
		if (!old)
			return;
		gatherd_logf(d, GATHERD_LOG_INFO, old, "pruned (keep-jobs %u)", d->conf.keep_jobs);
		djob_delete(old);
		nfin--;
	}
}

int djob_pause(struct djob *j)
{
	if (j->stop != STOP_NONE || !djob_active(j))
		return GATHER_E_AGAIN;
	if (j->state == DJ_QUEUED) {
		set_state(j, DJ_PAUSED);
		gatherd_logf(j->d, GATHERD_LOG_INFO, j, "paused (was queued)");
		return 0;
	}
	j->stop = STOP_PAUSE;
	gather_runner_stop(j->r);
	return 0;
}

int djob_resume(struct djob *j)
{
	if (j->state != DJ_PAUSED)
		return GATHER_E_AGAIN;
	j->restart = false;
	set_state(j, DJ_QUEUED);
	gatherd_logf(j->d, GATHERD_LOG_INFO, j, "resumed: queued");
	djobs_schedule(j->d);
	return 0;
}

int djob_cancel(struct djob *j)
{
	if (finished(j) || j->stop == STOP_CANCEL || j->stop == STOP_SHUTDOWN)
		return GATHER_E_AGAIN;
	if (j->state == DJ_RUNNING) {
		if (j->stop == STOP_NONE)
			gather_runner_stop(j->r);
		j->stop = STOP_CANCEL; /* a pause under way becomes a cancel */
		return 0;
	}
	set_state(j, DJ_CANCELLED);
	gatherd_logf(j->d, GATHERD_LOG_INFO, j, "cancelled (was %s)",
	             j->state == DJ_PAUSED ? "paused" : "queued");
	return 0;
}

bool djob_delete_allowed(const struct djob *j)
{
	return j->state != DJ_RUNNING;
}

int djob_delete(struct djob *j)
{
	struct gatherd *d = j->d;
	if (j->state == DJ_RUNNING)
		return GATHER_E_AGAIN;
	djobs_rm_tree(j->dir);
	for (size_t i = 0; i < d->njobs; i++)
		if (d->jobs[i] == j) {
			memmove(&d->jobs[i], &d->jobs[i + 1], (d->njobs - i - 1) * sizeof *d->jobs);
			d->njobs--;
			break;
		}
	djob_free(j);
	return 0;
}

/* Every second: each running job's pages/s over the last tick. */
void djobs_tick(struct gatherd *d, double dt_s)
{
	double total = 0;
	for (size_t i = 0; i < d->njobs; i++) {
		struct djob *j = d->jobs[i];
		if (j->state != DJ_RUNNING || !j->r)
			continue;
		djob_live_stats(j);
		j->pps = dt_s > 0 ? (double)(j->stats.done - j->rate_done) / dt_s : 0;
		j->rate_done = j->stats.done;
		total += j->pps;
	}
	d->pps = total;
}

/* Shutdown: every running job stops and is marked paused for restart as
 * it is reaped. */
void djobs_stop_all(struct gatherd *d)
{
	for (size_t i = 0; i < d->njobs; i++) {
		struct djob *j = d->jobs[i];
		if (j->state != DJ_RUNNING || !j->r)
			continue;
		if (j->stop == STOP_NONE) { /* a pause or cancel under way stays one */
			gather_runner_stop(j->r);
			j->stop = STOP_SHUTDOWN;
		}
	}
}

void djobs_free(struct gatherd *d)
{
	for (size_t i = 0; i < d->njobs; i++)
		djob_free(d->jobs[i]);
	free(d->jobs);
	d->jobs = NULL;
	d->njobs = d->capjobs = 0;
}
