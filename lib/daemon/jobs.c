/* jobs.c — gatherd's job registry: submission, the queue, runners on the
 * shared pipeline, pause / resume / cancel / delete, persistence in
 * STATE/jobs/ID/{job.conf,job.json}, recovery at start, pruning.
 *
 * A job's life:  queued ─► running ─► done | failed | cancelled
 *                  ▲  │        │ pause (runner stopped, then reaped)
 *                  │  ▼        ▼
 *                  └─ paused ◄─┘        resume: paused ─► queued
 * job.json is rewritten (write, fsync, rename) at every change of state,
 * so a kill -9 finds each job as it last was; "running" then means "was
 * running": it is queued again with restarts + 1. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/confine.h"
#include "daemon/daemon-internal.h"
#include "gather/error.h"
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

static void live_stats(struct djob *j)
{
	if (j->r)
		gather_runner_stats(j->r, &j->stats);
}

json_t *djob_json(struct djob *j)
{
	live_stats(j);
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

/* --- persistence ------------------------------------------------------ */

static int write_file(const char *path, const char *data, size_t len)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return GATHER_E_IO;
	size_t off = 0;
	while (off < len) {
		ssize_t k = write(fd, data + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(fd);
			unlink(tmp);
			return GATHER_E_IO;
		}
		off += (size_t)k;
	}
	/* the rename is only as durable as the data under it */
	if (fdatasync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return GATHER_E_IO;
	}
	return 0;
}

static void save(struct djob *j)
{
	live_stats(j);
	json_t *o = json_pack("{s:I, s:s, s:i, s:i, s:I, s:s, s:b, s:I, s:I, s:I, s:i, s:s,"
	                      " s:{s:I, s:I, s:I, s:I}}",
	                      "id", (json_int_t)j->id, "name", j->name, "cmd", (int)j->cmd,
	                      "priority", j->priority, "seq", (json_int_t)j->seq,
	                      "state", djob_state_name(j->state), "restart", j->restart,
	                      "created", (json_int_t)j->created_ms, "started", (json_int_t)j->started_ms,
	                      "finished", (json_int_t)j->finished_ms, "restarts", (int)j->restarts,
	                      "source", j->source ? j->source : "",
	                      "stats", "pages", (json_int_t)j->stats.done,
	                      "errors", (json_int_t)j->stats.failed,
	                      "bytes", (json_int_t)j->stats.bytes,
	                      "ok", (json_int_t)j->stats.ok);
	if (o && j->error) /* absent, not null, when there is none */
		json_object_set_new(o, "error", json_string(j->error));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char path[4200];
	snprintf(path, sizeof path, "%s/job.json", j->dir);
	if (!s || write_file(path, s, strlen(s)) < 0)
		gatherd_logf(j->d, GATHERD_LOG_ERR, j, "cannot save %s: %s", path,
		             s ? strerror(errno) : "out of memory");
	free(s);
	json_decref(o);
}

static void djob_free(struct djob *j)
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

static int insert(struct gatherd *d, struct djob *j)
{
	if (d->njobs == d->capjobs) {
		size_t cap = d->capjobs ? 2 * d->capjobs : 64;
		struct djob **v = realloc(d->jobs, cap * sizeof *v);
		if (!v)
			return GATHER_E_NOMEM;
		d->jobs = v;
		d->capjobs = cap;
	}
	size_t i = d->njobs;
	while (i > 0 && d->jobs[i - 1]->id > j->id) {
		d->jobs[i] = d->jobs[i - 1];
		i--;
	}
	d->jobs[i] = j;
	d->njobs++;
	return 0;
}

static void set_state(struct djob *j, enum djob_state s)
{
	free(j->json);
	j->json = NULL;
	j->state = s;
	if (s == DJ_RUNNING)
		j->started_ms = gatherd_now_ms();
	if (finished(j))
		j->finished_ms = gatherd_now_ms();
	save(j);
	gatherd_event(j->d, j);
}

static struct djob *djob_new(struct gatherd *d, uint64_t id)
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

/* Recovery: one STATE/jobs/ID/job.json. */
static void recover_one(struct gatherd *d, uint64_t id)
{
	struct djob *j = djob_new(d, id);
	char path[4200];
	json_error_t jerr;
	if (!j)
		return;
	snprintf(path, sizeof path, "%s/job.json", j->dir);
	json_t *o = json_load_file(path, 0, &jerr);
	const char *name = NULL, *state = NULL, *source = NULL, *error = NULL;
	json_int_t seq = 0, created = 0, started = 0, fin = 0, pages = 0, errors = 0, bytes = 0, ok = 0;
	int cmd = 0, prio = 0, restarts = 0, restart = 0;
	if (!o || json_unpack_ex(o, &jerr, 0, "{s:s, s:i, s:i, s:I, s:s, s:b, s:I, s:I, s:I, s:i, s?s, s?s,"
	                         " s?{s?I, s?I, s?I, s?I}}",
	                         "name", &name, "cmd", &cmd, "priority", &prio, "seq", &seq,
	                         "state", &state, "restart", &restart, "created", &created,
	                         "started", &started, "finished", &fin, "restarts", &restarts,
	                         "source", &source, "error", &error, "stats", "pages", &pages,
	                         "errors", &errors, "bytes", &bytes, "ok", &ok) < 0 ||
	    djob_state_parse(state, &j->state) < 0 ||
	    (cmd != GATHER_CMD_GET && cmd != GATHER_CMD_CRAWL)) {
		gatherd_logf(d, GATHERD_LOG_WARNING, j, "%s: unreadable (%s:%d: %s), left alone", path,
		             jerr.source, jerr.line, jerr.text);
		json_decref(o);
		djob_free(j);
		return;
	}
	j->name = strdup(name);
	j->source = source ? strdup(source) : NULL;
	j->error = error ? strdup(error) : NULL;
	j->cmd = (unsigned)cmd;
	j->priority = prio;
	j->seq = (uint64_t)seq;
	j->restart = restart;
	j->created_ms = created;
	j->started_ms = started;
	j->finished_ms = fin;
	j->restarts = (unsigned)restarts;
	j->stats.done = (uint64_t)pages;
	j->stats.failed = (uint64_t)errors;
	j->stats.bytes = (uint64_t)bytes;
	j->stats.ok = (uint64_t)ok;
	json_decref(o);
	if (!j->name || insert(d, j) < 0) {
		djob_free(j);
		return;
	}
	if (id >= d->next_id)
		d->next_id = id + 1;
	if ((uint64_t)seq >= d->next_seq)
		d->next_seq = (uint64_t)seq + 1;
	if (j->state == DJ_RUNNING || (j->state == DJ_PAUSED && j->restart)) {
		const char *was = j->state == DJ_RUNNING ? "was running (the service stopped without a word)"
		                                         : "was paused by a stop";
		j->restarts++;
		j->restart = false;
		j->state = DJ_QUEUED;
		save(j);
		gatherd_logf(d, GATHERD_LOG_NOTICE, j, "recovered: %s; queued again (restart %u)", was,
		             j->restarts);
		gatherd_event(d, j);
	}
}

int djobs_recover(struct gatherd *d, char *err, size_t errlen)
{
	DIR *dir = opendir(d->jobs_dir);
	struct dirent *e;
	if (!dir) {
		snprintf(err, errlen, "%s: %s", d->jobs_dir, strerror(errno));
		return GATHER_E_IO;
	}
	d->next_id = d->next_id ? d->next_id : 1;
	while ((e = readdir(dir))) {
		uint64_t id;
		if (e->d_name[0] == '.' && strncmp(e->d_name, ".new-", 5) == 0) {
			/* a submission cut short by a crash: never a job */
			char p[4200];
			snprintf(p, sizeof p, "%s/%s/job.conf", d->jobs_dir, e->d_name);
			unlink(p);
			snprintf(p, sizeof p, "%s/%s", d->jobs_dir, e->d_name);
			rmdir(p);
			continue;
		}
		if (strspn(e->d_name, "0123456789") != strlen(e->d_name) ||
		    gather_parse_u64(e->d_name, UINT64_MAX - 1, &id) < 0)
			continue;
		recover_one(d, id);
	}
	closedir(dir);
	gatherd_logf(d, GATHERD_LOG_INFO, NULL, "recovered %zu jobs from %s", d->njobs, d->jobs_dir);
	return 0;
}

/* --- confinement and preparation -------------------------------------- */

struct faults {
	struct gatherd_fault *v;
	size_t n;
};

static void fault(struct faults *f, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fault(struct faults *f, unsigned line, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	struct gatherd_fault *v = realloc(f->v, (f->n + 1) * sizeof *v);
	if (!v)
		return;
	f->v = v;
	v[f->n].line = line;
	if ((v[f->n].message = strdup(buf)))
		f->n++;
}

/* An output path of job gj, made DIR/PATH, or a fault. */
static void confine_opt(const char *dir, struct gather_job *gj, char **p, const char *key,
                        struct faults *f)
{
	char err[600], *full = NULL;
	if (!*p)
		return;
	if (strcmp(*p, "-") == 0) {
		fault(f, gj->line, "job '%s': %s: stdout is not an output in gatherd", gj->name, key);
		return;
	}
	if (gatherd_confine(dir, *p, &full, err, sizeof err) < 0) {
		fault(f, gj->line, "job '%s': %s: %s", gj->name, key, err);
		return;
	}
	free(*p);
	*p = full;
}

/* Make job gj of a loaded text fit to run in dir: outputs confined and
 * made absolute, records.jsonl when it has no jsonl, the crawl state in
 * dir/state, per-host capped and delay raised to the service's. */
static void prepare(struct gatherd *d, const char *dir, struct gather_job *gj, struct faults *f)
{
	struct gather_opts *o = &gj->opts;
	char err[600];
	confine_opt(dir, gj, &o->jsonl, "jsonl", f);
	confine_opt(dir, gj, &o->warc, "warc", f);
	confine_opt(dir, gj, &o->mirror, "mirror", f);
	confine_opt(dir, gj, &o->outdir, "output-dir", f);
	for (size_t i = 0; i < o->input.n; i++) {
		if (strcmp(o->input.v[i], "-") == 0)
			fault(f, gj->line, "job '%s': urls-file: stdin is not an input in gatherd", gj->name);
		else if (gatherd_confine_joined(dir, o->input.v[i], err, sizeof err) < 0)
			fault(f, gj->line, "job '%s': urls-file: %s", gj->name, err);
	}
	if (!o->jsonl) {
		size_t n = strlen(dir) + sizeof "/records.jsonl";
		if ((o->jsonl = malloc(n)))
			snprintf(o->jsonl, n, "%s/records.jsonl", dir);
	}
	free(o->state);
	o->state = NULL;
	if (gj->cmd == GATHER_CMD_CRAWL) {
		size_t n = strlen(dir) + sizeof "/state";
		if ((o->state = malloc(n)))
			snprintf(o->state, n, "%s/state", dir);
	}
	unsigned ph = o->per_host ? o->per_host : o->concurrency;
	if (d->conf.per_host && ph > d->conf.per_host)
		o->per_host = d->conf.per_host;
	if (o->delay_ms < d->conf.delay_ms)
		o->delay_ms = d->conf.delay_ms;
	o->progress = false;
}

/* "FILE:LINE: message" from the job loader → a fault. */
static void fault_from_diag(struct faults *f, const char *file, const char *diag)
{
	size_t n = strlen(file);
	const char *p = diag;
	unsigned line = 0;
	if (strncmp(diag, file, n) == 0 && diag[n] == ':') {
		char *end;
		unsigned long l = strtoul(diag + n + 1, &end, 10);
		if (end > diag + n + 1 && *end == ':') {
			line = (unsigned)l;
			p = end + 1;
			while (*p == ' ')
				p++;
		} else {
			p = diag + n + 1;
		}
	}
	fault(f, line, "%s", p);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Load dir/job.conf; the job named name (or every job when name is NULL)
 * prepared to run in dir.  0, or negative with faults. */
static int load_text(struct gatherd *d, const char *dir, struct gather_jobfile *jf, struct faults *f)
{
	char path[4200];
	struct gather_strv diags = { 0 };
	snprintf(path, sizeof path, "%s/job.conf", dir);
	int r = gather_jobfile_load_max(path, d->conf.max_body, jf, &diags);
	for (size_t i = 0; i < diags.n; i++)
		fault_from_diag(f, path, diags.v[i]);
	gather_strv_free(&diags);
	if (r < 0 && f->n == 0)
		fault(f, 0, "%s", r == GATHER_E_NOMEM ? "out of memory" : "cannot load the job file");
	return r;
}

void gatherd_submit_result_free(struct gatherd_submit_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->ids[i]);
	free(r->ids);
	for (size_t i = 0; i < r->nfaults; i++)
		free(r->faults[i].message);
	free(r->faults);
	memset(r, 0, sizeof *r);
}

/* include() would read files outside the job's directory: refused, by
 * line, before libconfuse sees the text. */
static void refuse_includes(const char *text, size_t len, struct faults *f)
{
	unsigned line = 1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			line++;
		if (len - i >= 7 && memcmp(text + i, "include", 7) == 0) {
			size_t k = i + 7;
			while (k < len && (text[k] == ' ' || text[k] == '\t'))
				k++;
			if (k < len && text[k] == '(')
				fault(f, line, "include() is not allowed in a submitted job");
		}
	}
}

/* ${VAR} in a job file is expanded from the environment of the process
 * that loads it (gather.conf(5)): in gatherd that would hand the daemon's
 * environment (tokens, paths, credentials of the unit) to whoever may
 * submit, and read it back in the records.  So a submitted text may not
 * hold "${" where the loader expands it: in double-quoted strings and bare
 * words.  Single-quoted strings and '#' comments are not expanded and stay
 * allowed; "\${" is a literal "${" already.  Refused by line, before the
 * loader sees the text. */
static void refuse_vars(const char *text, size_t len, struct faults *f)
{
	unsigned line = 1, last = 0;
	char quote = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n')
			line++;
		if (quote) {
			if (c == '\\' && i + 1 < len) {
				if (text[i + 1] == '\n')
					line++;
				i++;
			} else if (c == quote) {
				quote = 0;
				continue;
			}
		} else if (c == '#') {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
			continue;
		} else if (c == '"' || c == '\'') {
			quote = c;
			continue;
		}
		if (c == '$' && quote != '\'' && i + 1 < len && text[i + 1] == '{' && line != last) {
			fault(f, line, "${...} is not expanded in a submitted job (the daemon's environment "
			      "is not the submitter's): write the value itself");
			last = line;
		}
	}
}

int gatherd_submit(struct gatherd *d, const char *text, size_t len, const char *source_name,
                   int priority, struct gatherd_submit_result *ret)
{
	return djobs_submit(d, text, len, source_name, priority, NULL, NULL, ret);
}

int djobs_submit(struct gatherd *d, const char *text, size_t len, const char *source_name,
                 int priority, const char *only, struct gather_jobfile *check, struct gatherd_submit_result *ret)
{
	struct faults f = { 0 };
	struct gather_jobfile jf = { 0 };
	char tmpl[4200], path[4300];
	int rc = 0;

	memset(ret, 0, sizeof *ret);
	if (d->shutting_down)
		return GATHER_E_AGAIN;
	if (len > d->conf.max_body) {
		fault(&f, 0, "the job text is over max-body (%llu bytes)", (unsigned long long)d->conf.max_body);
		rc = GATHER_E_TOO_LARGE;
		goto out;
	}
	if (memchr(text, '\0', len)) {
		fault(&f, 0, "the job text holds a NUL byte");
		rc = GATHER_E_INVALID;
		goto out;
	}
	refuse_includes(text, len, &f);
	refuse_vars(text, len, &f);
	if (f.n) {
		rc = GATHER_E_INVALID;
		goto out;
	}
	/* Loaded and checked in a directory of its own, as it will run. */
	snprintf(tmpl, sizeof tmpl, "%s/.new-XXXXXX", d->jobs_dir);
	if (!mkdtemp(tmpl)) {
		fault(&f, 0, "%s: %s", d->jobs_dir, strerror(errno));
		rc = GATHER_E_IO;
		goto out;
	}
	snprintf(path, sizeof path, "%s/job.conf", tmpl);
	if (write_file(path, text, len) < 0) {
		fault(&f, 0, "%s: %s", path, strerror(errno));
		rc = GATHER_E_IO;
		goto out_tmp;
	}
	rc = load_text(d, tmpl, &jf, &f);
	if (rc < 0)
		goto out_tmp;
	if (jf.n == 0) {
		fault(&f, 0, "no job in the text (job \"NAME\" { ... })");
		rc = GATHER_E_INVALID;
		goto out_tmp;
	}
	for (size_t i = 0; i < jf.n; i++)
		prepare(d, tmpl, &jf.jobs[i], &f);
	/* outputs that are the same file, within each job: jobs of one text
	 * each get a directory of their own, so they never clash */
	for (size_t i = 0; !f.n && i < jf.n; i++) {
		struct gather_strv diags = { 0 };
		struct gather_jobfile one = { .jobs = &jf.jobs[i], .n = 1 };
		if (gather_jobfiles_check_files(&one, 1, &diags) < 0 && !diags.n)
			fault(&f, 0, "out of memory");
		for (size_t k = 0; k < diags.n; k++)
			fault_from_diag(&f, path, diags.v[k]);
		gather_strv_free(&diags);
	}
	if (only) {
		size_t k = 0;
		for (size_t i = 0; i < jf.n; i++)
			k += strcmp(jf.jobs[i].name, only) == 0;
		if (k == 0)
			fault(&f, 0, "no job '%s' in the text", only);
	}
	if (f.n) {
		rc = GATHER_E_INVALID;
		goto out_tmp;
	}
	if (check) {
		/* a check: nothing made; the loaded jobs go to the caller (their
		 * paths point into a directory that is gone: read, never open) */
		*check = jf;
		memset(&jf, 0, sizeof jf);
		goto out_tmp;
	}
	if (!(ret->ids = calloc(jf.n, sizeof *ret->ids))) {
		rc = GATHER_E_NOMEM;
		goto out_tmp;
	}
	for (size_t i = 0; i < jf.n; i++) {
		if (only && strcmp(jf.jobs[i].name, only) != 0)
			continue;
		struct djob *j = djob_new(d, d->next_id++);
		if (!j || mkdir(j->dir, 0700) < 0) {
			fault(&f, 0, "%s: %s", j ? j->dir : "job", j ? strerror(errno) : "out of memory");
			djob_free(j);
			rc = GATHER_E_IO;
			break;
		}
		snprintf(path, sizeof path, "%s/job.conf", j->dir);
		j->name = strdup(jf.jobs[i].name);
		j->source = strdup(source_name ? source_name : "api");
		j->cmd = jf.jobs[i].cmd;
		j->priority = priority;
		j->seq = d->next_seq++;
		j->created_ms = gatherd_now_ms();
		j->state = DJ_QUEUED;
		if (!j->name || !j->source || write_file(path, text, len) < 0 || insert(d, j) < 0) {
			fault(&f, 0, "%s: cannot save the job", j->dir);
			rm_tree(j->dir);
			djob_free(j);
			rc = GATHER_E_IO;
			break;
		}
		ret->ids[ret->n++] = strdup(j->idstr);
		save(j);
		gatherd_logf(d, GATHERD_LOG_INFO, j, "queued: '%s' (%s) from %s, priority %d", j->name,
		             j->cmd == GATHER_CMD_CRAWL ? "crawl" : "get", j->source, j->priority);
		gatherd_event(d, j);
	}
out_tmp:
	gather_jobfile_free(&jf);
	rm_tree(tmpl);
out:
	ret->faults = f.v;
	ret->nfaults = f.n;
	if (ret->n)
		djobs_schedule(d);
	return rc;
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

/* Load the job's text again (from its own directory, so paths confine to
 * it), and start a runner on the shared pipeline. */
static void start(struct djob *j)
{
	struct gatherd *d = j->d;
	struct faults f = { 0 };
	char err[512] = "";
	struct gather_job *gj = NULL;

	free(j->error);
	j->error = NULL;
	if (load_text(d, j->dir, &j->jf, &f) == 0) {
		for (size_t i = 0; i < j->jf.n; i++)
			if (strcmp(j->jf.jobs[i].name, j->name) == 0)
				gj = &j->jf.jobs[i];
		if (!gj)
			fault(&f, 0, "job '%s' is no longer in %s/job.conf", j->name, j->dir);
		else
			prepare(d, j->dir, gj, &f);
	}
	if (f.n) {
		snprintf(err, sizeof err, "job.conf:%u: %s", f.v[0].line, f.v[0].message);
		for (size_t i = 0; i < f.n; i++)
			free(f.v[i].message);
		free(f.v);
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
	rm_tree(j->dir);
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
		live_stats(j);
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
