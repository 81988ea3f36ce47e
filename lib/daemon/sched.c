/* sched.c — gatherd's schedules: each job with `schedule = "CRON"` in a
 * job file of job-dir (*.conf, read at start and again on SIGHUP) is
 * submitted through the one entry point (djobs_submit, the job alone) at
 * each firing, with the rules of a submission: no include(), no ${VAR},
 * outputs in the job's own directory STATE/jobs/ID/.
 *
 *  - the firings are checked by the daemon's one-second tick against the
 *    wall clock (lib/util/cron in the job's timezone): a clock jump is
 *    followed, and a firing is at most a second late;
 *  - overlap = "skip" (the default, Kubernetes' Forbid): a firing while the
 *    schedule's last job is not finished (queued, running, paused) is
 *    dropped; "queue": it waits for that job to end, then submits (firings
 *    while one waits are merged into it, as systemd's timers do);
 *  - persistent = true: at start, a firing missed while the service was
 *    down (the next firing after the last one recorded is in the past)
 *    runs once, at once (systemd's Persistent=);
 *  - what each schedule last did is kept in STATE/schedules.json (its last
 *    firing, its last job, why a firing did not make one), so a restart
 *    knows what it missed and GET /v1/schedules tells the last outcome.
 *
 * Reactor thread only. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon-internal.h"
#include "gather/error.h"
#include "gather/job.h"
#include "util/cron.h"
#include "util/strbuf.h"

/* Most job files read from job-dir (the rest are logged and skipped). */
#define SCHED_MAX_FILES 1000

struct dsched {
	char *key;            /* "FILE:NAME", FILE relative to job-dir: the state's key */
	char *file;           /* the job file's path */
	char *name;           /* the job's name in it */
	char *spec, *tz;      /* schedule, timezone (NULL: local) */
	struct gather_cron cron;
	bool overlap_queue, persistent;
	char *text;           /* the file's text as read at load (changes wait for a reload) */
	size_t len;
	int64_t next;         /* next firing (schedule clock, s), 0: none */
	int64_t from;         /* the time next was computed from */
	int64_t base;         /* last firing, or when first seen: what a restart missed */
	int64_t last_run;     /* time of the last firing (its due time), 0: never */
	char *last_job;       /* id of the last job it made, NULL */
	char *outcome;        /* why the last firing made no job, NULL: ask last_job */
	bool pending;         /* overlap queue: a firing waits for last_job */
};

/* The schedules' clock: the wall clock, moved by GATHERD_TEST_CLOCK_OFFSET
 * seconds in tests (so a test sees a firing without waiting for a whole
 * minute, and a restart "hours later" without waiting hours). */
static int64_t sched_now(const struct gatherd *d)
{
	return (int64_t)time(NULL) + d->clock_offset_s;
}

static void sched_free(struct dsched *s)
{
	if (!s)
		return;
	free(s->key);
	free(s->file);
	free(s->name);
	free(s->spec);
	free(s->tz);
	free(s->text);
	free(s->last_job);
	free(s->outcome);
	free(s);
}

void dsched_free(struct gatherd *d)
{
	for (size_t i = 0; i < d->nscheds; i++)
		sched_free(d->scheds[i]);
	free(d->scheds);
	d->scheds = NULL;
	d->nscheds = 0;
	json_decref(d->sched_state);
	d->sched_state = NULL;
}

/* --- the state file ---------------------------------------------------- */

static void state_path(const struct gatherd *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/schedules.json", d->conf.state_dir);
}

/* Write what every schedule has seen (those gone since are dropped: a
 * schedule removed and put back starts afresh).  Written whole and
 * renamed, never seen half-written; not synced: the reactor does not wait
 * for the disk, and a record lost in a power cut costs at most one run of
 * a persistent schedule more, or one missed. */
static void state_save(struct gatherd *d)
{
	json_t *o = json_object();
	char path[4200], tmp[4300];
	for (size_t i = 0; o && i < d->nscheds; i++) {
		struct dsched *s = d->scheds[i];
		json_t *e = json_pack("{s:I, s:I, s:b}", "base", (json_int_t)s->base, "last_run",
		                      (json_int_t)s->last_run, "pending", s->pending);
		if (e && s->last_job)
			json_object_set_new(e, "last_job", json_string(s->last_job));
		if (e && s->outcome)
			json_object_set_new(e, "outcome", json_string(s->outcome));
		json_object_set_new(o, s->key, e);
	}
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d->sched_state);
	d->sched_state = o;
	state_path(d, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	size_t n = text ? strlen(text) : 0, off = 0;
	while (fd >= 0 && off < n) {
		ssize_t k = write(fd, text + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	bool ok = fd >= 0 && off == n;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (!ok || rename(tmp, path) < 0) {
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "cannot save %s: %s", path,
		             text ? strerror(errno) : "out of memory");
		if (fd >= 0)
			unlink(tmp);
	}
	free(text);
}

/* What the state file says of key, into s. */
static void state_restore(struct gatherd *d, struct dsched *s)
{
	json_t *e = d->sched_state ? json_object_get(d->sched_state, s->key) : NULL;
	json_int_t base = 0, last = 0;
	const char *job = NULL, *outcome = NULL;
	int pending = 0;
	if (!e || json_unpack(e, "{s:I, s:I, s?b, s?s, s?s}", "base", &base, "last_run", &last,
	                      "pending", &pending, "last_job", &job, "outcome", &outcome) < 0)
		return;
	s->pending = pending; /* a queued firing waits across a restart too */
	s->base = base;
	s->last_run = last;
	s->last_job = job ? strdup(job) : NULL;
	s->outcome = outcome ? strdup(outcome) : NULL;
}

/* --- firing ------------------------------------------------------------ */

/* The job s made last, when it is not finished (so a firing overlaps). */
static struct djob *unfinished(struct gatherd *d, const struct dsched *s)
{
	struct djob *j = s->last_job ? djob_find(d, s->last_job) : NULL;
	return j && (j->state == DJ_QUEUED || j->state == DJ_RUNNING || j->state == DJ_PAUSED) ? j : NULL;
}

static void set_outcome(struct dsched *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_outcome(struct dsched *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(s->outcome);
	s->outcome = strdup(buf);
}

/* Submit s's job now: from the text read at load, the job alone. */
static void submit_now(struct gatherd *d, struct dsched *s)
{
	struct gatherd_submit_result res;
	char src[600];
	snprintf(src, sizeof src, "schedule:%s", s->key);
	int rc = djobs_submit(d, s->text, s->len, src, 0, s->name, NULL, &res);
	if (rc == 0 && res.n > 0) {
		free(s->last_job);
		s->last_job = strdup(res.ids[0]);
		free(s->outcome);
		s->outcome = NULL;
		gatherd_logf(d, GATHERD_LOG_INFO, NULL, "schedule %s: job %s queued", s->key, res.ids[0]);
	} else {
		char why[800];
		if (res.nfaults && res.faults[0].line)
			snprintf(why, sizeof why, "%s:%u: %s", s->file, res.faults[0].line, res.faults[0].message);
		else
			snprintf(why, sizeof why, "%s", res.nfaults ? res.faults[0].message :
			         rc == GATHER_E_AGAIN ? "the service is stopping" : gather_err_text(rc));
		set_outcome(s, "refused: %s", why);
		gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "schedule %s: not submitted: %s", s->key, why);
	}
	gatherd_submit_result_free(&res);
}

/* s is due (at `at`, its firing time, or now for a missed one). */
static void fire(struct gatherd *d, struct dsched *s, int64_t at, const char *why)
{
	struct djob *j = unfinished(d, s);
	s->base = at;
	s->last_run = at;
	if (j && s->overlap_queue) {
		s->pending = true;
		set_outcome(s, "waiting for job %s (overlap queue)", j->idstr);
		gatherd_logf(d, GATHERD_LOG_INFO, NULL, "schedule %s: %s; waits for job %s", s->key, why,
		             j->idstr);
	} else if (j) {
		set_outcome(s, "skipped: job %s still unfinished (overlap skip)", j->idstr);
		gatherd_logf(d, GATHERD_LOG_NOTICE, NULL, "schedule %s: %s; skipped, job %s is %s", s->key,
		             why, j->idstr, djob_state_name(j->state));
	} else {
		gatherd_logf(d, GATHERD_LOG_INFO, NULL, "schedule %s: %s", s->key, why);
		submit_now(d, s);
	}
	state_save(d);
}

/* The next firing after t, from t. */
static void plan(struct gatherd *d, struct dsched *s, int64_t t)
{
	time_t next;
	s->from = t;
	if (gather_cron_next(&s->cron, s->tz, (time_t)t, &next) == 0) {
		s->next = (int64_t)next;
	} else {
		s->next = 0;
		gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "schedule %s: no next firing", s->key);
	}
}

void dsched_tick(struct gatherd *d)
{
	if (d->shutting_down)
		return;
	int64_t now = sched_now(d);
	for (size_t i = 0; i < d->nscheds; i++) {
		struct dsched *s = d->scheds[i];
		if (s->pending && !unfinished(d, s)) {
			s->pending = false;
			gatherd_logf(d, GATHERD_LOG_INFO, NULL, "schedule %s: the waiting firing goes", s->key);
			submit_now(d, s);
			state_save(d);
		}
		if (now < s->from) /* the clock went back: plan again from now */
			plan(d, s, now);
		if (s->next && now >= s->next) {
			/* several firings missed at once (a suspend, a clock
			 * jump) run once */
			fire(d, s, s->next, "due");
			plan(d, s, now);
		}
	}
}

/* --- job-dir ----------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text of path, at most max bytes; NULL (errno set; EFBIG: larger). */
static char *read_text(const char *path, uint64_t max, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	struct gather_strbuf b = { 0 };
	char chunk[16384];
	size_t n;
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= max)
		gather_strbuf_add(&b, chunk, n);
	bool err = ferror(f);
	fclose(f);
	if (err || b.oom || b.len > max) {
		free(b.p);
		errno = err ? EIO : b.oom ? ENOMEM : EFBIG;
		return NULL;
	}
	*ret_len = b.len;
	return b.p ? b.p : strdup("");
}

static struct dsched *find_key(struct dsched **v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && strcmp(v[i]->key, key) == 0)
			return v[i];
	return NULL;
}

/* The scheduled jobs of one file of job-dir, checked as a submission,
 * appended to *v (old: the schedules before a reload, whose state a
 * schedule of the same key takes over).  Faults are logged as FILE:LINE
 * and the file skipped whole (a half-read file would run half its jobs). */
static void load_file(struct gatherd *d, const char *name, struct dsched ***v, size_t *n, size_t *cap,
                      struct dsched **old, size_t nold)
{
	char path[4200];
	size_t len;
	struct gather_jobfile jf = { 0 };
	struct gatherd_submit_result res;

	snprintf(path, sizeof path, "%s/%s", d->conf.job_dir, name);
	char *text = read_text(path, d->conf.max_body, &len);
	if (!text) {
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "%s: %s; its schedules are not loaded", path,
		             errno == EFBIG ? "larger than max-body" : strerror(errno));
		return;
	}
	int rc = djobs_submit(d, text, len, "schedule", 0, NULL, &jf, &res);
	if (rc < 0) {
		for (size_t i = 0; i < res.nfaults; i++)
			gatherd_logf(d, GATHERD_LOG_ERR, NULL, "%s:%u: %s", path, res.faults[i].line,
			             res.faults[i].message);
		if (!res.nfaults)
			gatherd_logf(d, GATHERD_LOG_ERR, NULL, "%s: %s", path, gather_err_text(rc));
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "%s: not loaded (its schedules do not run)", path);
		gatherd_submit_result_free(&res);
		free(text);
		return;
	}
	gatherd_submit_result_free(&res);
	for (size_t i = 0; i < jf.n; i++) {
		const struct gather_job *gj = &jf.jobs[i];
		char key[4200], err[256];
		struct dsched *s;
		if (!gj->schedule) {
			gatherd_logf(d, GATHERD_LOG_INFO, NULL,
			             "%s:%u: job '%s' has no schedule: job-dir holds scheduled jobs; not run",
			             path, gj->line, gj->name);
			continue;
		}
		snprintf(key, sizeof key, "%s:%s", name, gj->name);
		if (find_key(*v, *n, key)) {
			gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "%s:%u: a second job '%s': ignored", path,
			             gj->line, gj->name);
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 8;
			struct dsched **nv = realloc(*v, nc * sizeof *nv);
			if (!nv)
				break;
			*v = nv;
			*cap = nc;
		}
		if (!(s = calloc(1, sizeof *s)) || !(s->key = strdup(key)) || !(s->file = strdup(path)) ||
		    !(s->name = strdup(gj->name)) || !(s->spec = strdup(gj->schedule)) ||
		    (gj->timezone && !(s->tz = strdup(gj->timezone))) || !(s->text = malloc(len + 1)) ||
		    gather_cron_parse(gj->schedule, &s->cron, err, sizeof err) < 0) {
			/* the loader checked the spec: only memory fails here */
			gatherd_logf(d, GATHERD_LOG_ERR, NULL, "%s: job '%s': out of memory", path, gj->name);
			sched_free(s);
			continue;
		}
		memcpy(s->text, text, len);
		s->text[len] = '\0';
		s->len = len;
		s->overlap_queue = gj->overlap_queue;
		s->persistent = gj->persistent;
		struct dsched *o = find_key(old, nold, key);
		if (o) { /* a reload: what it has seen stays */
			s->base = o->base;
			s->last_run = o->last_run;
			s->pending = o->pending;
			s->last_job = o->last_job;
			s->outcome = o->outcome;
			o->last_job = o->outcome = NULL;
		} else {
			state_restore(d, s);
		}
		(*v)[(*n)++] = s;
	}
	gather_jobfile_free(&jf);
	free(text);
}

int dsched_load(struct gatherd *d, bool at_start, char *err, size_t errlen)
{
	char path[4200];
	struct dsched **v = NULL;
	size_t n = 0, cap = 0;

	if (at_start) {
		const char *off = getenv("GATHERD_TEST_CLOCK_OFFSET");
		if (off && *off)
			d->clock_offset_s = strtoll(off, NULL, 10);
		state_path(d, path, sizeof path);
		json_error_t jerr;
		if (access(path, F_OK) == 0 && !(d->sched_state = json_load_file(path, 0, &jerr))) {
			/* not fatal: the schedules start afresh (a missed
			 * firing of a persistent one is not run) */
			gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "%s:%d: %s; schedules start afresh", path,
			             jerr.line, jerr.text);
		}
	}
	(void)err;
	(void)errlen;
	DIR *dir = d->conf.job_dir ? opendir(d->conf.job_dir) : NULL;
	char **names = NULL;
	size_t nnames = 0;
	if (!dir) {
		if (errno != ENOENT)
			gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "job-dir %s: %s; no schedules",
			             d->conf.job_dir ? d->conf.job_dir : "(none)", strerror(errno));
	} else {
		struct dirent *e;
		while ((e = readdir(dir))) {
			size_t l = strlen(e->d_name);
			if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".conf") != 0)
				continue;
			if (nnames == SCHED_MAX_FILES) {
				gatherd_logf(d, GATHERD_LOG_WARNING, NULL, "job-dir %s: more than %d job files: "
				             "the rest are not read", d->conf.job_dir, SCHED_MAX_FILES);
				break;
			}
			char **nv = realloc(names, (nnames + 1) * sizeof *nv);
			if (!nv || !(nv[nnames] = strdup(e->d_name))) {
				names = nv ? nv : names;
				break;
			}
			names = nv;
			nnames++;
		}
		closedir(dir);
	}
	/* in name order: the same order on every start */
	if (nnames)
		qsort(names, nnames, sizeof *names, by_name);
	for (size_t i = 0; i < nnames; i++) {
		load_file(d, names[i], &v, &n, &cap, d->scheds, d->nscheds);
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < d->nscheds; i++)
		sched_free(d->scheds[i]);
	free(d->scheds);
	d->scheds = v;
	d->nscheds = n;

	int64_t now = sched_now(d);
	for (size_t i = 0; i < n; i++) {
		struct dsched *s = v[i];
		time_t due;
		if (at_start && s->persistent && s->base &&
		    gather_cron_next(&s->cron, s->tz, (time_t)s->base, &due) == 0 && (int64_t)due <= now)
			fire(d, s, now, "missed while the service was down (persistent)");
		if (!s->base) /* first seen: a restart measures what it missed from here */
			s->base = now;
		plan(d, s, now);
	}
	state_save(d);
	gatherd_logf(d, GATHERD_LOG_INFO, NULL, "%zu schedules from %s", n,
	             d->conf.job_dir ? d->conf.job_dir : "(no job-dir)");
	return 0;
}

/* --- GET /v1/schedules --------------------------------------------------- */

static json_t *rfc3339_s(int64_t t)
{
	char buf[40];
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm))
		return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *dsched_json(struct gatherd *d)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->nscheds; i++) {
		struct dsched *s = d->scheds[i];
		struct djob *j = s->last_job ? djob_find(d, s->last_job) : NULL;
		const char *outcome = s->outcome ? s->outcome : j ? djob_state_name(j->state) :
		                      s->last_job ? "removed" : NULL;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o, s:o}",
		                                   "name", s->name, "file", s->file, "schedule", s->spec,
		                                   "timezone", s->tz ? json_string(s->tz) : json_null(),
		                                   "overlap", s->overlap_queue ? "queue" : "skip",
		                                   "persistent", s->persistent,
		                                   "next_run", rfc3339_s(s->next),
		                                   "last_run", rfc3339_s(s->last_run),
		                                   "last_job", s->last_job ? json_string(s->last_job) : json_null(),
		                                   "last_outcome", outcome ? json_string(outcome) : json_null()));
	}
	return json_pack("{s:o}", "schedules", a);
}
