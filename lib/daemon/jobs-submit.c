/* jobs-submit.c — gatherd's job texts: a submitted text checked (no
 * include(), no ${VAR}, max-body), loaded in a directory of its own, each
 * job's paths confined to it and its options fitted to the service, the
 * faults handed back by line; then one job per job of the text
 * (djob_create).  The same loading and fitting at each start (djob_load),
 * so a job runs as it was checked.  Apart from jobs.c because the checks
 * are a concern of their own that the life cycle needs only through
 * djob_load; the faults never leave this file.
 * Reactor thread only. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/confine.h"
#include "daemon/daemon-internal.h"
#include "daemon/jobs-internal.h"
#include "gather/error.h"
#include "gather/job.h"

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
 * line, before libconfuse sees the text.  Only where libconfuse would call
 * it: a word "include" followed by "(", outside quoted strings ("..." and
 * '...', with backslash escapes) and comments (#, //, slash-star). */
static void refuse_includes(const char *text, size_t len, struct faults *f)
{
	enum { CODE, DQ, SQ, LINE, BLOCK } st = CODE;
	unsigned line = 1;
	for (size_t i = 0; i < len; i++) {
		char c = text[i], n = i + 1 < len ? text[i + 1] : 0;
		if (c == '\n') {
			line++;
			if (st == LINE)
				st = CODE;
			continue;
		}
		switch (st) {
		case DQ:
		case SQ:
			if (c == '\\' && n != '\n')
				i++;  /* an escaped character (a newline is counted above) */
			else if (c == (st == DQ ? '"' : '\''))
				st = CODE;
			continue;
		case LINE:
			continue;
		case BLOCK:
			if (c == '*' && n == '/')
				st = CODE, i++;
			continue;
		case CODE:
			break;
		}
		if (c == '"' || c == '\'') {
			st = c == '"' ? DQ : SQ;
		} else if (c == '#' || (c == '/' && n == '/')) {
			st = LINE;
		} else if (c == '/' && n == '*') {
			st = BLOCK, i++;
		} else if (len - i >= 7 && memcmp(text + i, "include", 7) == 0 &&
		           (i == 0 || !(isalnum((unsigned char)text[i - 1]) || text[i - 1] == '_' || text[i - 1] == '-'))) {
			size_t k = i + 7;
			while (k < len && (text[k] == ' ' || text[k] == '\t'))
				k++;
			if (k < len && text[k] == '(')
				fault(f, line, "include() is not allowed in a submitted job");
			i += 6;
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
	if (djobs_write_file(path, text, len) < 0) {
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
		char err[600];
		struct djob *j = djob_create(d, jf.jobs[i].name, jf.jobs[i].cmd, source_name ? source_name : "api",
		                             priority, text, len, err, sizeof err);
		if (!j) {
			fault(&f, 0, "%s", err);
			rc = GATHER_E_IO;
			break;
		}
		ret->ids[ret->n++] = strdup(j->idstr);
		gatherd_logf(d, GATHERD_LOG_INFO, j, "queued: '%s' (%s) from %s, priority %d", j->name,
		             j->cmd == GATHER_CMD_CRAWL ? "crawl" : "get", j->source, j->priority);
		gatherd_event(d, j);
	}
out_tmp:
	gather_jobfile_free(&jf);
	djobs_rm_tree(tmpl);
out:
	ret->faults = f.v;
	ret->nfaults = f.n;
	if (ret->n)
		djobs_schedule(d);
	return rc;
}

/* From jobs.c's start, each time the job starts (jobs-internal.h): a job
 * keeps its loaded text (j->jf) only while it runs, and it is loaded and
 * fitted with the same functions as at submission so it runs as checked. */
struct gather_job *djob_load(struct djob *j, char *err, size_t errlen)
{
	struct faults f = { 0 };
	struct gather_job *gj = NULL;

	if (load_text(j->d, j->dir, &j->jf, &f) == 0) {
		for (size_t i = 0; i < j->jf.n; i++)
			if (strcmp(j->jf.jobs[i].name, j->name) == 0)
				gj = &j->jf.jobs[i];
		if (!gj)
			fault(&f, 0, "job '%s' is no longer in %s/job.conf", j->name, j->dir);
		else
			prepare(j->d, j->dir, gj, &f);
	}
	if (f.n) {
		snprintf(err, errlen, "job.conf:%u: %s", f.v[0].line, f.v[0].message);
		for (size_t i = 0; i < f.n; i++)
			free(f.v[i].message);
		free(f.v);
		return NULL;
	}
	if (!gj) /* the faults themselves could not be kept */
		snprintf(err, errlen, "out of memory");
	return gj;
}
