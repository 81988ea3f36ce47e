/* job.c — job files: libconfuse parsing, defaults, includes, validation.
 *
 * One load reads the file given and the files it includes, each parsed on
 * its own by libconfuse (from the comment-blanked text of job-scan.c, so
 * line numbers are right), then builds one struct gather_job per `job`
 * section: gather_opts_init() for the job's command, then each key from the
 * last defaults block that sets it, or from the job itself.  Every fault
 * found on the way becomes one "FILE:LINE: message" diagnostic; the walk
 * goes on after a fault, so one run reports them all (libconfuse itself
 * stops a file at its first syntax error). */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "job.h"
#include "job-check.h"
#include "job-internal.h"

/* Keys of a job (and of a defaults block) that are not options. */
#define KEY_SEEDS "seeds"
#define KEY_URLS_FILE "urls-file"
#define KEY_MODE "mode"
#define KEY_OUTPUT "output"

/* Options whose job-file form is a titled section, not a key. */
#define SEC_EXTRACT "extract"
#define SEC_REGEX "regex"

/* Options that may also be written inside output { }. */
static const char *const output_keys[] = { "jsonl", "warc", "warc-max-size", "mirror", "output-dir" };

struct diag {
	size_t file;      /* index into load.files */
	unsigned line;
	size_t seq;       /* order found, to keep the sort stable */
	char *msg;
};

/* Where a value was written: libconfuse keeps no line per option, so the
 * validate callback notes the line as each value is parsed. */
struct linerec {
	cfg_t *sec;
	const char *name; /* libconfuse's copy of the option name */
	unsigned idx;
	unsigned line;
};

struct incl {
	char *path;       /* resolved against the includer's directory */
	unsigned line;    /* of the include() */
	unsigned pos;     /* jobs of the includer before the include() */
	size_t file;      /* index of the included file; SIZE_MAX: not loaded */
};

struct jfile {
	char *path;       /* as given, or resolved against the includer */
	char *real;       /* realpath, for cycles; NULL when unreadable */
	char *dir;        /* directory for relative paths in this file */
	cfg_t *cfg;       /* NULL when the file could not be read */
	struct job_scan scan;
	struct incl *incl;
	size_t nincl;
	cfg_t **closed;   /* job sections parsed to their closing brace */
	size_t nclosed;
	size_t parent;    /* SIZE_MAX for the top file */
	unsigned depth;
};

struct load {
	struct jfile *files;
	size_t nfiles;
	size_t cur;                  /* the file libconfuse is parsing */
	struct diag *diags;
	size_t ndiags;
	struct linerec *lines;
	size_t nlines;
	struct gather_job *jobs;
	size_t njobs;
	int oom;
};

/* libconfuse's scanner keeps its state in globals (lexer.l), and its error
 * and validate callbacks carry no user pointer: so one load at a time, and
 * `current` says which one while job_lock is held.  Nothing else is global. */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static struct load *current; /* guarded by job_lock */

/* ------------------------------------------------------------------ faults */

static void diag(struct load *l, size_t file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void diag(struct load *l, size_t file, unsigned line, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < l->ndiags; i++)
		if (l->diags[i].file == file && l->diags[i].line == line &&
		    strcmp(l->diags[i].msg, buf) == 0)
			return; /* each fault once (defaults shared by many jobs) */
	struct diag *d = realloc(l->diags, (l->ndiags + 1) * sizeof *d);
	if (!d) {
		l->oom = 1;
		return;
	}
	l->diags = d;
	d[l->ndiags] = (struct diag){ file, line, l->ndiags, strdup(buf) };
	if (!d[l->ndiags].msg)
		l->oom = 1;
	else
		l->ndiags++;
}

/* The job's title and header line as written: libconfuse sees "\001N",
 * the index of its mark (job-scan.c's retitle()). */
static const struct job_scan_mark *job_mark(const struct load *l, size_t fi, const char *title)
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

/* libconfuse's error function: syntax errors, unknown keys. */
static void on_cfg_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct load *l = current;
	char buf[512];
	const char *msg = buf;
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (strncmp(buf, "no such option ", 15) == 0)
		msg = buf + 15; /* "'foo'" */
	const struct job_scan_mark *m = cfg && strcmp(cfg->name, "job") == 0 ? job_mark(l, l->cur, cfg->title) : NULL;
	if (msg != buf && m)
		diag(l, l->cur, cfg ? (unsigned)cfg->line : 0, "unknown key %s in job '%s'", msg, m->name);
	else if (msg != buf)
		diag(l, l->cur, cfg ? (unsigned)cfg->line : 0, "unknown key %s%s%s", msg,
		     cfg && strcmp(cfg->name, "root") ? " in " : "", cfg && strcmp(cfg->name, "root") ? cfg->name : "");
	else
		diag(l, l->cur, cfg ? (unsigned)cfg->line : 0, "%s", buf);
}

/* Validate callback on every key: note its line.  Called by libconfuse after
 * each value (and once more at a list's closing brace: same index, skipped). */
static int on_cfg_value(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *l = current;
	unsigned idx = opt->nvalues ? opt->nvalues - 1 : 0;
	if (l->nlines) {
		struct linerec *last = &l->lines[l->nlines - 1];
		if (last->sec == cfg && last->name == opt->name && last->idx == idx)
			return 0;
	}
	struct linerec *v = realloc(l->lines, (l->nlines + 1) * sizeof *v);
	if (!v) {
		l->oom = 1;
		return 0;
	}
	l->lines = v;
	v[l->nlines++] = (struct linerec){ cfg, opt->name, idx, (unsigned)cfg->line };
	return 0;
}

/* Validate callback on the job section itself: it is complete. */
static int on_job_closed(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *l = current;
	struct jfile *f = &l->files[l->cur];
	(void)cfg;
	if (!opt->nvalues)
		return 0;
	/* The section just closed is the last one, or one that replaced a
	 * section of the same title in place: note every section not yet noted. */
	for (unsigned i = 0; i < opt->nvalues; i++) {
		cfg_t *s = opt->values[i]->section;
		bool seen = false;
		for (size_t k = 0; k < f->nclosed && !seen; k++)
			seen = f->closed[k] == s;
		if (seen)
			continue;
		cfg_t **v = realloc(f->closed, (f->nclosed + 1) * sizeof *v);
		if (!v) {
			l->oom = 1;
			return 0;
		}
		f->closed = v;
		v[f->nclosed++] = s;
	}
	return 0;
}

static unsigned line_of(const struct load *l, cfg_t *sec, const char *name, unsigned idx,
                        unsigned fallback)
{
	for (size_t i = l->nlines; i-- > 0;)
		if (l->lines[i].sec == sec && l->lines[i].idx == idx &&
		    strcmp(l->lines[i].name, name) == 0)
			return l->lines[i].line;
	return idx ? line_of(l, sec, name, 0, fallback) : fallback;
}

/* ---------------------------------------------------------------- parsing */

/* The libconfuse option tables, built from gather_optdefs[]: every option is
 * a string (or a list of strings for GATHER_OPT_STRV) without default, so
 * that cfg_size() tells whether a section sets it and gather_opt_set()
 * parses the value, exactly as on the command line. */
struct opt_tables {
	cfg_opt_t *job, *output, *extract, *regex, *root;
};

static bool is_output_key(const char *name)
{
	for (size_t i = 0; i < sizeof output_keys / sizeof *output_keys; i++)
		if (strcmp(output_keys[i], name) == 0)
			return true;
	return false;
}

static bool is_section_key(const char *name)
{
	return strcmp(name, SEC_EXTRACT) == 0 || strcmp(name, SEC_REGEX) == 0;
}

static void tables_free(struct opt_tables *t)
{
	free(t->job);
	free(t->output);
	free(t->extract);
	free(t->regex);
	free(t->root);
}

static int include_file(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv);

static int tables_init(struct opt_tables *t)
{
	size_t n = 0, k = 0, o = 0;
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		n++;
	memset(t, 0, sizeof *t);
	t->job = calloc(n + 8, sizeof *t->job);
	t->output = calloc(sizeof output_keys / sizeof *output_keys + 1, sizeof *t->output);
	t->extract = calloc(3, sizeof *t->extract);
	t->regex = calloc(2, sizeof *t->regex);
	t->root = calloc(4, sizeof *t->root);
	if (!t->job || !t->output || !t->extract || !t->regex || !t->root) {
		tables_free(t);
		return GATHER_E_NOMEM;
	}
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++) {
		if (is_section_key(d->name))
			continue;
		if (d->type == GATHER_OPT_STRV)
			t->job[k++] = (cfg_opt_t)CFG_STR_LIST(d->name, NULL, CFGF_NODEFAULT);
		else
			t->job[k++] = (cfg_opt_t)CFG_STR(d->name, NULL, CFGF_NODEFAULT);
		if (is_output_key(d->name))
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
	t->job[k++] = (cfg_opt_t)CFG_SEC(KEY_OUTPUT, t->output, CFGF_NONE);
	t->job[k++] = (cfg_opt_t)CFG_SEC(SEC_EXTRACT, t->extract, CFGF_MULTI | CFGF_TITLE);
	t->job[k++] = (cfg_opt_t)CFG_SEC(SEC_REGEX, t->regex, CFGF_MULTI | CFGF_TITLE);
	t->job[k] = (cfg_opt_t)CFG_END();
	t->root[0] = (cfg_opt_t)CFG_SEC("job", t->job, CFGF_MULTI | CFGF_TITLE);
	t->root[1] = (cfg_opt_t)CFG_SEC("defaults", t->job, CFGF_MULTI);
	t->root[2] = (cfg_opt_t)CFG_FUNC("include", include_file);
	t->root[3] = (cfg_opt_t)CFG_END();
	return 0;
}

/* Hook the line-noting callback on every key of a job-like section. */
static void set_callbacks(cfg_t *cfg, const struct opt_tables *t, const char *sec)
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

static char *path_join(const char *dir, const char *name)
{
	char *p;
	if (name[0] == '/' || !dir || !*dir || strcmp(dir, ".") == 0)
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

static int read_all(const char *path, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? 2 * cap : 8192;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static size_t load_file(struct load *l, const struct opt_tables *t, const char *path,
                        size_t parent, unsigned depth, unsigned line);

/* libconfuse calls this for include("FILE") (at the top level only): note
 * the file; it is parsed on its own after the including file (parsing it now
 * would re-enter libconfuse's scanner).  Paths are relative to the including
 * file's directory. */
static int include_file(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	struct load *l = current;
	struct jfile *f = &l->files[l->cur];
	(void)opt;
	if (argc != 1) {
		diag(l, l->cur, (unsigned)cfg->line, "include() takes one file name");
		return 0;
	}
	struct incl *v = realloc(f->incl, (f->nincl + 1) * sizeof *v);
	if (!v) {
		l->oom = 1;
		return 0;
	}
	f->incl = v;
	v[f->nincl] = (struct incl){ path_join(f->dir, argv[0]), (unsigned)cfg->line,
	                             cfg_size(cfg, "job"), SIZE_MAX };
	if (!v[f->nincl].path)
		l->oom = 1;
	else
		f->nincl++;
	return 0;
}

/* Read, scan and parse one file, then the files it includes.  Returns the
 * file's index, or SIZE_MAX when it was not loaded (fault noted). */
static size_t load_file(struct load *l, const struct opt_tables *t, const char *path,
                        size_t parent, unsigned depth, unsigned line)
{
	char *real = realpath(path, NULL), *buf = NULL;
	size_t len = 0, idx;
	int r;

	if (parent != SIZE_MAX && depth > GATHER_JOB_MAX_INCLUDE_DEPTH) {
		diag(l, parent, line, "includes nested deeper than %d files", GATHER_JOB_MAX_INCLUDE_DEPTH);
		free(real);
		return SIZE_MAX;
	}
	for (size_t p = parent; p != SIZE_MAX && real; p = l->files[p].parent)
		if (l->files[p].real && strcmp(l->files[p].real, real) == 0) {
			diag(l, parent, line, "include cycle: '%s' is already being read", path);
			free(real);
			return SIZE_MAX;
		}
	r = read_all(path, &buf, &len);
	if (r < 0) {
		if (parent == SIZE_MAX) {
			/* The top file: the fault is the file's own. */
			struct jfile *v = realloc(l->files, sizeof *v);
			if (v) {
				l->files = v;
				v[0] = (struct jfile){ .path = strdup(path), .parent = SIZE_MAX };
				l->nfiles = 1;
				diag(l, 0, 0, "cannot read: %s", strerror(-r));
			} else {
				l->oom = 1;
			}
		} else {
			diag(l, parent, line, "cannot read included file '%s': %s", path, strerror(-r));
		}
		free(real);
		return SIZE_MAX;
	}

	struct jfile *v = realloc(l->files, (l->nfiles + 1) * sizeof *v);
	if (!v) {
		free(real);
		free(buf);
		l->oom = 1;
		return SIZE_MAX;
	}
	l->files = v;
	idx = l->nfiles++;
	v[idx] = (struct jfile){ .path = strdup(path), .real = real, .dir = dir_of(path),
	                         .parent = parent, .depth = depth };
	if (!v[idx].path || !v[idx].dir || job_scan(buf, len, &v[idx].scan) < 0) {
		free(buf);
		l->oom = 1;
		return idx;
	}
	free(buf);
	for (size_t i = 0; i < v[idx].scan.nundef; i++)
		diag(l, idx, v[idx].scan.undef[i].line,
		     "undefined environment variable '%s' (write ${%s:-} to allow it unset)",
		     v[idx].scan.undef[i].name, v[idx].scan.undef[i].name);

	cfg_t *cfg = cfg_init(t->root, CFGF_KEYSTRVAL);
	if (!cfg) {
		l->oom = 1;
		return idx;
	}
	v[idx].cfg = cfg;
	cfg_set_error_function(cfg, on_cfg_error);
	set_callbacks(cfg, t, "job");
	set_callbacks(cfg, t, "defaults");
	cfg_set_validate_func(cfg, "job", on_job_closed);
	free(cfg->filename);
	cfg->filename = strdup(path); /* cfg_parse_fp keeps a name set before */
	if (v[idx].scan.len) {
		FILE *fp = fmemopen(v[idx].scan.text, v[idx].scan.len, "r");
		if (!fp) {
			l->oom = 1;
			return idx;
		}
		l->cur = idx;
		cfg_parse_fp(cfg, fp); /* faults arrive through on_cfg_error */
		fclose(fp);
	}
	for (size_t i = 0; i < l->files[idx].nincl; i++) {
		struct incl in = l->files[idx].incl[i];
		size_t k = load_file(l, t, in.path, idx, depth + 1, in.line);
		l->files[idx].incl[i].file = k; /* l->files may have moved */
	}
	return idx;
}

/* ---------------------------------------------------------------- building */

struct src {
	cfg_t *sec;       /* the section holding the key (maybe an output block) */
	size_t file;
	bool from_job;
};

struct unit {
	struct src *defaults; /* in order: later ones win */
	size_t ndefaults;
};

/* Defaults of file fi and the files it includes: included files first, so
 * that a file's own defaults win over those it includes. */
static void collect_defaults(struct load *l, size_t fi, struct unit *u)
{
	for (size_t i = 0; i < l->files[fi].nincl; i++)
		if (l->files[fi].incl[i].file != SIZE_MAX)
			collect_defaults(l, l->files[fi].incl[i].file, u);
	cfg_t *cfg = l->files[fi].cfg;
	for (unsigned k = 0; cfg && k < cfg_size(cfg, "defaults"); k++) {
		cfg_t *d = cfg_getnsec(cfg, "defaults", k);
		static const char *const job_only[] = { KEY_SEEDS, KEY_URLS_FILE };
		for (size_t j = 0; j < 2; j++)
			if (cfg_size(d, job_only[j]))
				diag(l, fi, line_of(l, d, job_only[j], 0, (unsigned)d->line),
				     "'%s' belongs in a job, not in defaults", job_only[j]);
		struct src *v = realloc(u->defaults, (u->ndefaults + 1) * sizeof *v);
		if (!v) {
			l->oom = 1;
			return;
		}
		u->defaults = v;
		v[u->ndefaults++] = (struct src){ d, fi, false };
	}
}

/* Where key is set in section sec (job or defaults): the section itself or
 * its output block. */
static bool find_in(struct load *l, cfg_t *sec, size_t file, const char *key, struct src *ret)
{
	cfg_t *out = is_output_key(key) ? cfg_getsec(sec, KEY_OUTPUT) : NULL;
	bool top = cfg_size(sec, key) > 0, in_out = out && cfg_size(out, key) > 0;
	if (top && in_out)
		diag(l, file, line_of(l, out, key, 0, (unsigned)sec->line),
		     "'%s' is set both in output { } and outside it", key);
	if (!top && !in_out)
		return false;
	ret->sec = in_out ? out : sec;
	ret->file = file;
	return true;
}

/* The job's own setting of key, else the last defaults block's. */
static bool find_key(struct load *l, cfg_t *js, size_t fi, const struct unit *u,
                     const char *key, struct src *ret)
{
	if (find_in(l, js, fi, key, ret)) {
		ret->from_job = true;
		return true;
	}
	for (size_t k = u->ndefaults; k-- > 0;)
		if (find_in(l, u->defaults[k].sec, u->defaults[k].file, key, ret)) {
			ret->from_job = false;
			return true;
		}
	return false;
}

/* A URL-list file named in a job: relative to the job file's directory;
 * it must be readable now.  Appends the resolved path to o->input. */
static void add_input(struct load *l, struct gather_job *j, const struct src *s,
                      const char *key, unsigned i, unsigned line)
{
	const char *v = cfg_getnstr(s->sec, key, i);
	char *p = strcmp(v, "-") == 0 ? strdup(v) : path_join(l->files[s->file].dir, v);
	char err[256];
	if (!p) {
		l->oom = 1;
		return;
	}
	if (strcmp(p, "-") != 0) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			diag(l, s->file, line, "cannot read %s '%s': %s", key, p, strerror(errno));
		else
			close(fd);
	}
	const struct gather_optdef *d = gather_opt_find("input");
	if (gather_opt_set(&j->opts, d, p, err, sizeof err) < 0)
		l->oom = 1;
	free(p);
}

/* Set option d of job j from the section that sets it. */
static void apply_opt(struct load *l, struct gather_job *j, const struct gather_optdef *d,
                      const struct src *s, unsigned jline)
{
	char err[512];
	unsigned n = cfg_size(s->sec, d->name);

	if (s->from_job && !(d->cmds & j->cmd)) {
		diag(l, s->file, line_of(l, s->sec, d->name, 0, jline),
		     "'%s' applies to %s jobs only, and job '%s' is a %s job", d->name,
		     d->cmds & GATHER_CMD_CRAWL ? "crawl" : "get", j->name,
		     j->cmd == GATHER_CMD_CRAWL ? "crawl" : "get");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(s->sec, d->name, i);
		unsigned line = line_of(l, s->sec, d->name, i, jline);
		if (!v)
			v = "";
		if (strcmp(d->name, "input") == 0) {
			add_input(l, j, s, d->name, i, line);
			continue;
		}
		if (gather_opt_set(&j->opts, d, v, err, sizeof err) < 0) {
			diag(l, s->file, line, "%s", err);
			continue;
		}
		if (strcmp(d->name, "allow") == 0 || strcmp(d->name, "deny") == 0) {
			if (job_check_regex(v, err, sizeof err) < 0)
				diag(l, s->file, line, "bad regular expression '%s' in %s: %s", v, d->name, err);
		} else if (strcmp(d->name, "header") == 0) {
			const char *c = strchr(v, ':');
			if (!c || c == v || strpbrk(v, "\r\n"))
				diag(l, s->file, line, "bad header '%s': expected 'Name: value'", v);
		}
	}
}

/* extract "NAME" { xpath = "..." all = BOOL } and regex "NAME" { pattern =
 * "..." } sections: the job's own, else the last defaults block's. */
static void apply_fields(struct load *l, struct gather_job *j, cfg_t *js, size_t fi,
                         const struct unit *u, const char *sec, unsigned jline)
{
	cfg_t *from = cfg_size(js, sec) ? js : NULL;
	size_t file = fi;
	bool is_x = strcmp(sec, SEC_EXTRACT) == 0;
	const char *key = is_x ? "xpath" : "pattern";
	char err[512];

	for (size_t k = u->ndefaults; !from && k-- > 0;)
		if (cfg_size(u->defaults[k].sec, sec)) {
			from = u->defaults[k].sec;
			file = u->defaults[k].file;
		}
	for (unsigned i = 0; from && i < cfg_size(from, sec); i++) {
		cfg_t *es = cfg_getnsec(from, sec, i);
		const char *name = cfg_title(es), *v = cfg_getstr(es, key), *all = NULL;
		unsigned line = line_of(l, es, key, 0, line_of(l, es, "all", 0, jline));
		int b = 0;
		char *f;
		if (!name || !*name || strpbrk(name, "=[]")) {
			diag(l, file, line, "bad field name '%s' in %s: no '=', '[' or ']'", name ? name : "", sec);
			continue;
		}
		if (!v) {
			diag(l, file, line, "%s '%s' has no %s", sec, name, key);
			continue;
		}
		if (is_x && (all = cfg_getstr(es, "all")) && (b = cfg_parse_boolean(all)) < 0) {
			diag(l, file, line_of(l, es, "all", 0, line),
			     "invalid value '%s' for all: expected true or false", all);
			continue;
		}
		if ((is_x ? job_check_xpath(v, err, sizeof err) : job_check_regex(v, err, sizeof err)) < 0) {
			diag(l, file, line, "bad %s '%s' in %s '%s': %s", is_x ? "XPath" : "regular expression",
			     v, sec, name, err);
			continue;
		}
		if (asprintf(&f, "%s%s=%s", name, b > 0 ? "[]" : "", v) < 0 ||
		    gather_opt_set(&j->opts, gather_opt_find(sec), f, err, sizeof err) < 0)
			l->oom = 1;
		else
			free(f);
	}
}

/* Build one job from section js of file fi; faults go to diags. */
static void build_job(struct load *l, size_t fi, cfg_t *js, const struct unit *u)
{
	struct gather_job j = { 0 };
	struct src s;
	const struct job_scan_mark *m = job_mark(l, fi, cfg_title(js));
	unsigned jline = m ? m->line : (unsigned)js->line;

	j.name = strdup(m ? m->name : "");
	j.file = strdup(l->files[fi].path);
	j.line = jline;
	j.cmd = cfg_size(js, KEY_SEEDS) ? GATHER_CMD_CRAWL : GATHER_CMD_GET;
	if (find_key(l, js, fi, u, KEY_MODE, &s)) {
		const char *mode = cfg_getstr(s.sec, KEY_MODE);
		if (mode && strcmp(mode, "crawl") == 0)
			j.cmd = GATHER_CMD_CRAWL;
		else if (mode && strcmp(mode, "get") == 0)
			j.cmd = GATHER_CMD_GET;
		else
			diag(l, s.file, line_of(l, s.sec, KEY_MODE, 0, jline),
			     "invalid value '%s' for mode: expected crawl or get", mode ? mode : "");
	}
	gather_opts_init(&j.opts, j.cmd);
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		if (!is_section_key(d->name) && find_key(l, js, fi, u, d->name, &s))
			apply_opt(l, &j, d, &s, jline);
	apply_fields(l, &j, js, fi, u, SEC_EXTRACT, jline);
	apply_fields(l, &j, js, fi, u, SEC_REGEX, jline);

	for (unsigned i = 0; i < cfg_size(js, KEY_SEEDS); i++) {
		const char *v = cfg_getnstr(js, KEY_SEEDS, i);
		char err[256];
		if (job_check_url(v, err, sizeof err) < 0)
			diag(l, fi, line_of(l, js, KEY_SEEDS, i, jline), "bad seed URL '%s': %s", v, err);
		else if (gather_strv_push(&j.seeds, v) < 0)
			l->oom = 1;
	}
	s = (struct src){ js, fi, true };
	for (unsigned i = 0; i < cfg_size(js, KEY_URLS_FILE); i++)
		add_input(l, &j, &s, KEY_URLS_FILE, i, line_of(l, js, KEY_URLS_FILE, i, jline));
	if (!cfg_size(js, KEY_SEEDS) && !j.opts.input.n)
		diag(l, fi, jline, "job '%s' has no seeds and no urls-file", j.name);

	struct gather_job *v = realloc(l->jobs, (l->njobs + 1) * sizeof *v);
	if (!v || !j.name || !j.file) {
		l->oom = 1;
		if (v)
			l->jobs = v;
		free(j.name);
		free(j.file);
		gather_opts_free(&j.opts);
		gather_strv_free(&j.seeds);
		return;
	}
	l->jobs = v;
	v[l->njobs++] = j;
}

static bool is_closed(const struct jfile *f, cfg_t *js)
{
	for (size_t i = 0; i < f->nclosed; i++)
		if (f->closed[i] == js)
			return true;
	return false;
}

/* Jobs of file fi in file order, each included file's jobs where its
 * include() stands. */
static void emit(struct load *l, size_t fi, const struct unit *u)
{
	cfg_t *cfg = l->files[fi].cfg;
	unsigned n = cfg ? cfg_size(cfg, "job") : 0;
	for (unsigned k = 0; k <= n; k++) {
		for (size_t i = 0; i < l->files[fi].nincl; i++) {
			const struct incl *in = &l->files[fi].incl[i];
			if (in->file != SIZE_MAX && (in->pos == k || (k == n && in->pos > n)))
				emit(l, in->file, u);
		}
		if (k < n && is_closed(&l->files[fi], cfg_getnsec(cfg, "job", k)))
			build_job(l, fi, cfg_getnsec(cfg, "job", k), u);
	}
}

/* Two jobs of one name in the file and the files it includes. */
static void check_duplicates(struct load *l)
{
	for (size_t f = 0; f < l->nfiles; f++)
		for (size_t i = 0; i < l->files[f].scan.njobs; i++) {
			const struct job_scan_mark *m = &l->files[f].scan.jobs[i];
			bool found = false;
			for (size_t g = 0; g <= f && !found; g++)
				for (size_t k = 0; k < l->files[g].scan.njobs && !found; k++) {
					const struct job_scan_mark *p = &l->files[g].scan.jobs[k];
					if (g == f && k == i)
						break;
					if (strcmp(p->name, m->name) == 0) {
						diag(l, f, m->line, "duplicate job name '%s' (first at %s:%u)",
						     m->name, l->files[g].path, p->line);
						found = true;
					}
				}
		}
}

static int cmp_diag(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void free_jobs(struct gather_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(jobs[i].name);
		free(jobs[i].file);
		gather_opts_free(&jobs[i].opts);
		gather_strv_free(&jobs[i].seeds);
	}
	free(jobs);
}

int gather_jobfile_load(const char *path, struct gather_jobfile *ret,
                        struct gather_strv *diags)
{
	struct load l = { 0 };
	struct opt_tables t;
	struct unit u = { 0 };
	int r;

	memset(ret, 0, sizeof *ret);
	if (tables_init(&t) < 0)
		return GATHER_E_NOMEM;
	pthread_mutex_lock(&job_lock);
	current = &l;
	if (load_file(&l, &t, path, SIZE_MAX, 0, 0) != SIZE_MAX) {
		check_duplicates(&l);
		collect_defaults(&l, 0, &u);
		emit(&l, 0, &u);
	}
	for (size_t i = 0; i < l.nfiles; i++)
		if (l.files[i].cfg)
			cfg_free(l.files[i].cfg);
	current = NULL;
	pthread_mutex_unlock(&job_lock);
	tables_free(&t);
	free(u.defaults);

	/* Stable order for the reader: by file (as loaded), then line. */
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
	if (r == 0) {
		ret->jobs = l.jobs;
		ret->n = l.njobs;
	} else {
		free_jobs(l.jobs, l.njobs);
	}
	for (size_t i = 0; i < l.nfiles; i++) {
		struct jfile *f = &l.files[i];
		free(f->path);
		free(f->real);
		free(f->dir);
		job_scan_free(&f->scan);
		for (size_t k = 0; k < f->nincl; k++)
			free(f->incl[k].path);
		free(f->incl);
		free(f->closed);
	}
	free(l.files);
	free(l.diags);
	free(l.lines);
	return r;
}

void gather_jobfile_free(struct gather_jobfile *jf)
{
	if (!jf)
		return;
	free_jobs(jf->jobs, jf->n);
	memset(jf, 0, sizeof *jf);
}
