/* job.c — job files: libconfuse's option tables and callbacks, the
 * diagnostics, and the public load/free API.
 *
 * One load reads the file given and the files it includes, each parsed on
 * its own by libconfuse (from the comment-blanked text of job-scan.c, so
 * line numbers are right), then builds one struct gather_job per `job`
 * section: gather_opts_init() for the job's command, then each key from the
 * last defaults block that sets it, or from the job itself.  Every fault
 * found on the way becomes one "FILE:LINE: message" diagnostic; the walk
 * goes on after a fault, so one run reports them all (libconfuse itself
 * stops a file at its first syntax error).
 *
 * The reading of the files, their chunked parsing and the include() walk
 * are job-load.c's (issue 11: one concern a file); the jobs are built by
 * job-build.c.  What stays here is what libconfuse calls back (it carries
 * no user pointer, so they reach the load through `current`, under
 * job_lock), the line and section bookkeeping those callbacks keep, and the
 * load's beginning and end. */
#include "config.h"

#include <confuse.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/job.h"
#include "job/job-internal.h"

/* Options that may also be written inside output { }. */
static const char *const output_keys[] = { "jsonl", "warc", "warc-max-size", "mirror", "output-dir" };

/* libconfuse's scanner keeps its state in globals (lexer.l), and its error
 * and validate callbacks carry no user pointer: so one load at a time, and
 * `current` says which one while job_lock is held.  Nothing else is global. */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static struct job_load *current; /* guarded by job_lock */

/* ------------------------------------------------------------------ faults */

void job_diag(struct job_load *l, size_t file, unsigned line, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < l->ndiags; i++) {
		const struct job_fault *f = &l->diags[i];
		if (f->file != file || f->line != line)
			continue;
		if (strcmp(f->msg, buf) == 0)
			return; /* each fault once (defaults shared by many jobs) */
		if (line && strncmp(f->msg, JOB_UNDEF_VAR, sizeof JOB_UNDEF_VAR - 1) == 0)
			return; /* the empty value is that fault's consequence */
	}
	struct job_fault *d = realloc(l->diags, (l->ndiags + 1) * sizeof *d);
	if (!d) {
		l->oom = 1;
		return;
	}
	l->diags = d;
	d[l->ndiags] = (struct job_fault){ file, line, l->ndiags, strdup(buf) };
	if (!d[l->ndiags].msg)
		l->oom = 1;
	else
		l->ndiags++;
}

/* The job's title and header line as written: libconfuse sees "\001N",
 * the index of its mark (job-scan.c's retitle()). */
const struct job_scan_mark *job_mark(const struct job_load *l, size_t fi, const char *title)
{
	char *end;
	unsigned long k;
	if (!title || title[0] != '\001')
		return NULL;
	k = strtoul(title + 1, &end, 10);
	if (*end || k >= l->files[fi].scan.njobs)
		return NULL;
	return &l->files[fi].scan.jobs[k];
}

/* libconfuse's error function: syntax errors and unknown keys, at the line
 * libconfuse is on (right, since job-scan.c blanked the comments). */
static void on_cfg_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct job_load *l = current;
	unsigned line = cfg ? (unsigned)cfg->line + l->line_base : 0;
	const char *where = cfg ? cfg->name : "root";
	const struct job_scan_mark *m = NULL;
	char buf[512];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (strncmp(buf, "no such option ", 15) != 0) {
		job_diag(l, l->cur, line, "%s", buf);
		return;
	}
	/* "no such option 'foo'" (libconfuse goes on after it: CFGF_KEYSTRVAL) */
	if (strcmp(where, "job") == 0 && cfg->title) {
		m = job_mark(l, l->cur, cfg->title);
	} else if (strcmp(where, "job") == 0) {
		/* a job still open: the last of the file's job sections */
		cfg_t *root = l->cur_cfg;
		unsigned n = root ? cfg_size(root, "job") : 0;
		if (n && cfg_getnsec(root, "job", n - 1) == cfg &&
		    l->job_base + n - 1 < l->files[l->cur].scan.njobs)
			m = &l->files[l->cur].scan.jobs[l->job_base + n - 1];
	}
	if (m)
		job_diag(l, l->cur, line, "unknown key %s in job '%s'", buf + 15, m->name);
	else if (strcmp(where, "root") == 0)
		job_diag(l, l->cur, line, "unknown key %s", buf + 15);
	else
		job_diag(l, l->cur, line, "unknown key %s in %s", buf + 15, where);
}

uint64_t job_mix(uint64_t h)
{
	/* splitmix64's finalizer */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h ? h : 1;
}

uint64_t job_str_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return job_mix(h);
}

uint64_t job_ptr_key(const void *p)
{
	return job_mix((uint64_t)(uintptr_t)p);
}

uint64_t job_line_key(const cfg_t *sec, const char *name, unsigned idx)
{
	return job_mix(job_str_key(name) ^ job_ptr_key(sec) * 31 ^ idx);
}

/* Validate callback on every key: note its line.  Called by libconfuse after
 * each value (and once more at a list's closing brace: same index, skipped). */
static int on_cfg_value(cfg_t *cfg, cfg_opt_t *opt)
{
	struct job_load *l = current;
	unsigned idx = opt->nvalues ? opt->nvalues - 1 : 0;
	if (l->nlines) {
		struct job_linerec *last = &l->lines[l->nlines - 1];
		if (last->sec == cfg && last->name == opt->name && last->idx == idx)
			return 0;
	}
	if (l->nlines == l->caplines) {
		size_t cap = l->caplines ? 2 * l->caplines : 256;
		struct job_linerec *v = realloc(l->lines, cap * sizeof *v);
		if (!v) {
			l->oom = 1;
			return 0;
		}
		l->lines = v;
		l->caplines = cap;
	}
	l->lines[l->nlines++] = (struct job_linerec){ cfg, opt->name, idx,
	                                              (unsigned)cfg->line + l->line_base };
	/* the latest record of (sec, name, idx) wins, as before */
	if (gather_u64map_put(&l->line_index, job_line_key(cfg, opt->name, idx),
	                      (void *)(uintptr_t)l->nlines) < 0)
		l->oom = 1;
	return 0;
}

static int note_closed(struct job_load *l, struct job_file *f, cfg_t *s)
{
	if (gather_u64map_get(&f->closed_set, job_ptr_key(s)) == s)
		return 0;
	if (f->nclosed == f->capclosed) {
		size_t cap = f->capclosed ? 2 * f->capclosed : 64;
		cfg_t **v = realloc(f->closed, cap * sizeof *v);
		if (!v)
			return l->oom = 1, GATHER_E_NOMEM;
		f->closed = v;
		f->capclosed = cap;
	}
	if (gather_u64map_put(&f->closed_set, job_ptr_key(s), s) < 0)
		return l->oom = 1, GATHER_E_NOMEM;
	f->closed[f->nclosed++] = s;
	return 0;
}

bool job_is_closed(const struct job_file *f, cfg_t *js)
{
	return gather_u64map_get(&f->closed_set, job_ptr_key(js)) == js;
}

/* Validate callback on the job section itself: it is complete. */
static int on_job_closed(cfg_t *cfg, cfg_opt_t *opt)
{
	struct job_load *l = current;
	struct job_file *f = &l->files[l->cur];
	(void)cfg;
	if (!opt->nvalues)
		return 0;
	/* The section just closed is the last one (a new section: the usual
	 * case, O(1)), or one that replaced a section of the same title in
	 * place (no new section): then note every section not yet noted. */
	if (opt->nvalues > f->nvalues_seen) {
		cfg_t *s = opt->values[opt->nvalues - 1]->section;
		f->nvalues_seen = opt->nvalues;
		/* its title: "\001N", N its index in the file, as job_mark
		 * reads it (the text had its title taken out by job-scan.c) */
		if (!s->title && asprintf(&s->title, "\001%zu", l->job_base + opt->nvalues - 1) < 0) {
			s->title = NULL;
			l->oom = 1;
		}
		note_closed(l, f, s);
		return 0;
	}
	for (unsigned i = 0; i < opt->nvalues; i++)
		if (note_closed(l, f, opt->values[i]->section) < 0)
			break;
	return 0;
}

unsigned job_line_of(const struct job_load *l, cfg_t *sec, const char *name, unsigned idx,
                        unsigned fallback)
{
	uintptr_t k = (uintptr_t)gather_u64map_get(&l->line_index, job_line_key(sec, name, idx));
	if (k && l->lines[k - 1].sec == sec && l->lines[k - 1].idx == idx &&
	    strcmp(l->lines[k - 1].name, name) == 0)
		return l->lines[k - 1].line;
	if (k) {
		/* two keys of one hash (never seen): the long way */
		for (size_t i = l->nlines; i-- > 0;)
			if (l->lines[i].sec == sec && l->lines[i].idx == idx &&
			    strcmp(l->lines[i].name, name) == 0)
				return l->lines[i].line;
	}
	return idx ? job_line_of(l, sec, name, 0, fallback) : fallback;
}

/* ---------------------------------------------------------------- parsing */

/* The libconfuse option tables, built from gather_optdefs[]: every option is
 * a string (or a list of strings for GATHER_OPT_STRV) without default, so
 * that cfg_size() tells whether a section sets it and gather_opt_set()
 * parses the value, exactly as on the command line. */
struct job_tables {
	cfg_opt_t *job, *output, *extract, *regex, *root;
};

bool job_is_output_key(const char *name)
{
	for (size_t i = 0; i < sizeof output_keys / sizeof *output_keys; i++)
		if (strcmp(output_keys[i], name) == 0)
			return true;
	return false;
}

bool job_is_section_key(const char *name)
{
	return strcmp(name, SEC_EXTRACT) == 0 || strcmp(name, SEC_REGEX) == 0;
}

static void tables_free(struct job_tables *t)
{
	free(t->job);
	free(t->output);
	free(t->extract);
	free(t->regex);
	free(t->root);
}

static int include_file(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv);

static int tables_init(struct job_tables *t)
{
	size_t n = 0, k = 0, o = 0;
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		n++;
	memset(t, 0, sizeof *t);
	t->job = calloc(n + 12, sizeof *t->job);
	t->output = calloc(sizeof output_keys / sizeof *output_keys + 1, sizeof *t->output);
	t->extract = calloc(3, sizeof *t->extract);
	t->regex = calloc(2, sizeof *t->regex);
	t->root = calloc(4, sizeof *t->root);
	if (!t->job || !t->output || !t->extract || !t->regex || !t->root) {
		tables_free(t);
		return GATHER_E_NOMEM;
	}
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++) {
		if (job_is_section_key(d->name))
			continue;
		if (d->type == GATHER_OPT_STRV)
			t->job[k++] = (cfg_opt_t)CFG_STR_LIST(d->name, NULL, CFGF_NODEFAULT);
		else
			t->job[k++] = (cfg_opt_t)CFG_STR(d->name, NULL, CFGF_NODEFAULT);
		if (job_is_output_key(d->name))
			t->output[o++] = (cfg_opt_t)CFG_STR(d->name, NULL, CFGF_NODEFAULT);
	}
	t->output[o] = (cfg_opt_t)CFG_END();
	t->extract[0] = (cfg_opt_t)CFG_STR("xpath", NULL, CFGF_NODEFAULT);
	t->extract[1] = (cfg_opt_t)CFG_STR("all", NULL, CFGF_NODEFAULT);
	t->extract[2] = (cfg_opt_t)CFG_END();
	t->regex[0] = (cfg_opt_t)CFG_STR("pattern", NULL, CFGF_NODEFAULT);
	t->regex[1] = (cfg_opt_t)CFG_END();
	t->job[k++] = (cfg_opt_t)CFG_STR_LIST(KEY_SEEDS, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_STR_LIST(KEY_URLS_FILE, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_STR(KEY_MODE, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_STR(KEY_SCHEDULE, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_STR(KEY_TIMEZONE, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_STR(KEY_OVERLAP, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_STR(KEY_PERSISTENT, NULL, CFGF_NODEFAULT);
	t->job[k++] = (cfg_opt_t)CFG_SEC(KEY_OUTPUT, t->output, CFGF_NONE);
	t->job[k++] = (cfg_opt_t)CFG_SEC(SEC_EXTRACT, t->extract, CFGF_MULTI | CFGF_TITLE);
	t->job[k++] = (cfg_opt_t)CFG_SEC(SEC_REGEX, t->regex, CFGF_MULTI | CFGF_TITLE);
	t->job[k] = (cfg_opt_t)CFG_END();
	/* untitled for libconfuse: job-scan.c took the titles out */
	t->root[0] = (cfg_opt_t)CFG_SEC("job", t->job, CFGF_MULTI);
	t->root[1] = (cfg_opt_t)CFG_SEC("defaults", t->job, CFGF_MULTI);
	t->root[2] = (cfg_opt_t)CFG_FUNC("include", include_file);
	t->root[3] = (cfg_opt_t)CFG_END();
	return 0;
}

/* Hook the line-noting callback on every key of a job-like section. */
static void set_callbacks(cfg_t *cfg, const struct job_tables *t, const char *sec)
{
	char path[128];
	for (const cfg_opt_t *o = t->job; o->name; o++) {
		if (o->type == CFGT_SEC)
			continue;
		snprintf(path, sizeof path, "%s|%s", sec, o->name);
		cfg_set_validate_func(cfg, path, on_cfg_value);
	}
	for (const cfg_opt_t *o = t->output; o->name; o++) {
		snprintf(path, sizeof path, "%s|" KEY_OUTPUT "|%s", sec, o->name);
		cfg_set_validate_func(cfg, path, on_cfg_value);
	}
	for (const cfg_opt_t *o = t->extract; o->name; o++) {
		snprintf(path, sizeof path, "%s|" SEC_EXTRACT "|%s", sec, o->name);
		cfg_set_validate_func(cfg, path, on_cfg_value);
	}
	snprintf(path, sizeof path, "%s|" SEC_REGEX "|pattern", sec);
	cfg_set_validate_func(cfg, path, on_cfg_value);
}

/* libconfuse calls this for include("FILE") (at the top level only): note
 * the file; it is parsed on its own after the including file (parsing it now
 * would re-enter libconfuse's scanner).  Paths are relative to the including
 * file's directory. */
static int include_file(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	struct job_load *l = current;
	struct job_file *f = &l->files[l->cur];
	(void)opt;
	if (argc != 1) {
		job_diag(l, l->cur, (unsigned)cfg->line + l->line_base, "include() takes one file name");
		return 0;
	}
	struct job_incl *v = realloc(f->incl, (f->nincl + 1) * sizeof *v);
	if (!v) {
		l->oom = 1;
		return 0;
	}
	f->incl = v;
	v[f->nincl] = (struct job_incl){ job_path_join(f->dir, argv[0]),
	                                 (unsigned)cfg->line + l->line_base,
	                                 (unsigned)l->job_base + cfg_size(cfg, "job"), SIZE_MAX };
	if (!v[f->nincl].path)
		l->oom = 1;
	else
		f->nincl++;
	return 0;
}

/* A libconfuse parser for one chunk of a job file, with the option tables t
 * and every callback of this file set; NULL on OOM.  The caller frees it
 * with cfg_free(). */
cfg_t *job_cfg_new(const struct job_tables *t)
{
	cfg_t *cfg = cfg_init(t->root, CFGF_KEYSTRVAL);
	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, on_cfg_error);
	set_callbacks(cfg, t, "job");
	set_callbacks(cfg, t, "defaults");
	cfg_set_validate_func(cfg, "job", on_job_closed);
	return cfg;
}

static int cmp_diag(const void *a, const void *b)
{
	const struct job_fault *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void job_free_one(struct gather_job *j)
{
	free(j->name);
	free(j->file);
	free(j->schedule);
	free(j->timezone);
	gather_opts_free(&j->opts);
	gather_strv_free(&j->seeds);
}

static void free_jobs(struct gather_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		job_free_one(&jobs[i]);
	free(jobs);
}

int gather_jobfile_load(const char *path, struct gather_jobfile *ret,
                        struct gather_strv *diags)
{
	return gather_jobfile_load_max(path, 0, ret, diags);
}

/* One load of path (see gather_jobfile_load_max), eager or not.  An eager
 * load that meets a defaults block after it built a job sets *late and
 * gives nothing (no jobs, no diagnostics): load again without eager. */
static int load_once(const char *path, uint64_t max_size, bool eager,
                     struct gather_jobfile *ret, struct gather_strv *diags, bool *late)
{
	struct job_load l = { .max_size = max_size ? max_size : GATHER_JOB_MAX_SIZE,
	                      .eager = eager };
	struct job_tables t;
	int r;

	memset(ret, 0, sizeof *ret);
	if (tables_init(&t) < 0)
		return GATHER_E_NOMEM;
	pthread_mutex_lock(&job_lock);
	current = &l;
	if (job_load_file(&l, &t, path, SIZE_MAX, 0, 0) != SIZE_MAX && !l.late) {
		job_build_all(&l);
	}
	for (size_t i = 0; i < l.nfiles; i++)
		for (size_t k = 0; k < l.files[i].ncfg; k++)
			if (l.files[i].cfgs[k])
				cfg_free(l.files[i].cfgs[k]);
	current = NULL;
	pthread_mutex_unlock(&job_lock);
	tables_free(&t);
	*late = l.late;
	if (l.late)
		diags = NULL;   /* the load again says them */

	/* Stable order for the reader: by file (as loaded), then line. */
	if (l.ndiags > 1)
		qsort(l.diags, l.ndiags, sizeof *l.diags, cmp_diag);
	for (size_t i = 0; i < l.ndiags; i++) {
		char *m;
		const char *fp = l.files[l.diags[i].file].path;
		int n = l.diags[i].line ? asprintf(&m, "%s:%u: %s", fp, l.diags[i].line, l.diags[i].msg)
		                        : asprintf(&m, "%s: %s", fp, l.diags[i].msg);
		if (n < 0 || (diags && gather_strv_push(diags, m) < 0))
			l.oom = 1;
		if (n >= 0)
			free(m);
		free(l.diags[i].msg);
	}
	r = l.oom ? GATHER_E_NOMEM : l.ndiags ? GATHER_E_INVALID : 0;
	if (r == 0 && !l.late) {
		ret->jobs = l.jobs;
		ret->n = l.njobs;
	} else {
		free_jobs(l.jobs, l.njobs);
	}
	for (size_t i = 0; i < l.nfiles; i++) {
		struct job_file *f = &l.files[i];
		free(f->path);
		free(f->real);
		free(f->dir);
		job_scan_free(&f->scan);
		for (size_t k = 0; k < f->nincl; k++)
			free(f->incl[k].path);
		free(f->incl);
		free(f->closed);
		free(f->cfgs);
		gather_u64map_clear(&f->closed_set);
		for (size_t k = 0; k < f->nsec; k++)
			if (f->pre[k].built)   /* not emitted: a fault or a late load */
				job_free_one(&f->pre[k].job);
		free(f->pre);
	}
	free(l.files);
	free(l.diags);
	free(l.lines);
	gather_u64map_clear(&l.line_index);
	return r;
}

int gather_jobfile_load_max(const char *path, uint64_t max_size, struct gather_jobfile *ret,
                            struct gather_strv *diags)
{
	/* Eagerly (memory for one chunk of jobs, not all), unless a defaults
	 * block stands after a job: then as a whole. */
	bool late = false;
	int r = load_once(path, max_size, true, ret, diags, &late);
	if (late)
		r = load_once(path, max_size, false, ret, diags, &late);
	return r;
}

void gather_jobfile_free(struct gather_jobfile *jf)
{
	if (!jf)
		return;
	free_jobs(jf->jobs, jf->n);
	memset(jf, 0, sizeof *jf);
}
