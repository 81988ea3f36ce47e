/* job-build.c — from parsed sections to struct gather_job: the job's
 * command, gather_opts_init(), then every key from the job or the last
 * defaults block that sets it, through gather_opt_set(); extract and regex
 * sections; seeds and URL-list files; and the checks that need more than one
 * key (duplicate names, crawl keys in get jobs, no seeds).  Every fault goes
 * to job_diag() and the walk goes on.  Runs under job.c's lock. */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/error.h"
#include "http/http1.h"
#include "job/job-check.h"
#include "job/job-internal.h"
#include "util/cron.h"


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
static void collect_defaults(struct job_load *l, size_t fi, struct unit *u)
{
	for (size_t i = 0; i < l->files[fi].nincl; i++)
		if (l->files[fi].incl[i].file != SIZE_MAX)
			collect_defaults(l, l->files[fi].incl[i].file, u);
	for (size_t c = 0; c < l->files[fi].ncfg; c++)
	for (unsigned k = 0; l->files[fi].cfgs[c] && k < cfg_size(l->files[fi].cfgs[c], "defaults"); k++) {
		cfg_t *d = cfg_getnsec(l->files[fi].cfgs[c], "defaults", k);
		static const char *const job_only[] = { KEY_SEEDS, KEY_URLS_FILE, KEY_SCHEDULE };
		for (size_t j = 0; j < sizeof job_only / sizeof *job_only; j++)
			if (cfg_size(d, job_only[j]))
				job_diag(l, fi, job_line_of(l, d, job_only[j], 0, (unsigned)d->line),
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
static bool find_in(struct job_load *l, cfg_t *sec, size_t file, const char *key, struct src *ret)
{
	cfg_t *out = job_is_output_key(key) ? cfg_getsec(sec, KEY_OUTPUT) : NULL;
	bool top = cfg_size(sec, key) > 0, in_out = out && cfg_size(out, key) > 0;
	if (top && in_out)
		job_diag(l, file, job_line_of(l, out, key, 0, (unsigned)sec->line),
		     "'%s' is set both in output { } and outside it", key);
	if (!top && !in_out)
		return false;
	ret->sec = in_out ? out : sec;
	ret->file = file;
	return true;
}

/* The job's own setting of key, else the last defaults block's. */
static bool find_key(struct job_load *l, cfg_t *js, size_t fi, const struct unit *u,
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
static void add_input(struct job_load *l, struct gather_job *j, const struct src *s,
                      const char *key, unsigned i, unsigned line)
{
	const char *v = cfg_getnstr(s->sec, key, i);
	char *p = strcmp(v, "-") == 0 ? strdup(v) : job_path_join(l->files[s->file].dir, v);
	char err[256];
	if (!p) {
		l->oom = 1;
		return;
	}
	if (strcmp(p, "-") != 0) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			job_diag(l, s->file, line, "cannot read %s '%s': %s", key, p, strerror(errno));
		else
			close(fd);
	}
	const struct gather_optdef *d = gather_opt_find("input");
	if (gather_opt_set(&j->opts, d, p, err, sizeof err) < 0)
		l->oom = 1;
	free(p);
}

/* Set option d of job j from the section that sets it. */
static void apply_opt(struct job_load *l, struct gather_job *j, const struct gather_optdef *d,
                      const struct src *s, unsigned jline)
{
	char err[512];
	unsigned n = cfg_size(s->sec, d->name);

	if (s->from_job && !(d->cmds & j->cmd)) {
		job_diag(l, s->file, job_line_of(l, s->sec, d->name, 0, jline),
		     "'%s' applies to %s jobs only, and job '%s' is a %s job", d->name,
		     d->cmds & GATHER_CMD_CRAWL ? "crawl" : "get", j->name,
		     j->cmd == GATHER_CMD_CRAWL ? "crawl" : "get");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(s->sec, d->name, i);
		unsigned line = job_line_of(l, s->sec, d->name, i, jline);
		if (!v)
			v = "";
		if (strcmp(d->name, "input") == 0) {
			add_input(l, j, s, d->name, i, line);
			continue;
		}
		if (gather_opt_set(&j->opts, d, v, err, sizeof err) < 0) {
			job_diag(l, s->file, line, "%s", err);
			continue;
		}
		if (strcmp(d->name, "allow") == 0 || strcmp(d->name, "deny") == 0) {
			if (job_check_regex(v, err, sizeof err) < 0)
				job_diag(l, s->file, line, "bad regular expression '%s' in %s: %s", v, d->name, err);
		} else if (strcmp(d->name, "header") == 0) {
			const char *c = strchr(v, ':');
			if (!c || c == v || strpbrk(v, "\r\n"))
				job_diag(l, s->file, line, "bad header '%s': expected 'Name: value'", v);
		} else if (strcmp(d->name, "method") == 0 && !http1_is_token(v)) {
			/* as the command line refuses it (RFC 9110 section 9.1) */
			job_diag(l, s->file, line, "bad method: not an RFC 9110 token");
		}
	}
}

/* extract "NAME" { xpath = "..." all = BOOL } and regex "NAME" { pattern =
 * "..." } sections: the job's own, else the last defaults block's. */
static void apply_fields(struct job_load *l, struct gather_job *j, cfg_t *js, size_t fi,
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
		unsigned line = job_line_of(l, es, key, 0, job_line_of(l, es, "all", 0, jline));
		int b = 0;
		char *f;
		if (!name || !*name || strpbrk(name, "=[]")) {
			job_diag(l, file, line, "bad field name '%s' in %s: no '=', '[' or ']'", name ? name : "", sec);
			continue;
		}
		if (!v) {
			job_diag(l, file, line, "%s '%s' has no %s", sec, name, key);
			continue;
		}
		if (is_x && (all = cfg_getstr(es, "all")) && (b = cfg_parse_boolean(all)) < 0) {
			job_diag(l, file, job_line_of(l, es, "all", 0, line),
			     "invalid value '%s' for all: expected true or false", all);
			continue;
		}
		if ((is_x ? job_check_xpath(v, err, sizeof err) : job_check_regex(v, err, sizeof err)) < 0) {
			job_diag(l, file, line, "bad %s '%s' in %s '%s': %s", is_x ? "XPath" : "regular expression",
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

/* The schedule keys of job j (section js of file fi, or the defaults for
 * all but schedule): the cron spec and time zone parsed as gatherd will
 * (util/cron.h), so a bad one is a FILE:LINE fault here and not a surprise
 * in the daemon.  timezone, overlap and persistent written in a job with no
 * schedule are faults too (a typo'd schedule key would leave them unused). */
static void apply_schedule(struct job_load *l, struct gather_job *j, cfg_t *js, size_t fi,
                           const struct unit *u, unsigned jline)
{
	static const char *const deps[] = { KEY_TIMEZONE, KEY_OVERLAP, KEY_PERSISTENT };
	struct gather_cron c;
	struct src s;
	char err[320];

	if (cfg_size(js, KEY_SCHEDULE)) {
		const char *v = cfg_getstr(js, KEY_SCHEDULE);
		j->schedule_line = job_line_of(l, js, KEY_SCHEDULE, 0, jline);
		if (!v)
			v = "";
		if (gather_cron_parse(v, &c, err, sizeof err) < 0)
			job_diag(l, fi, j->schedule_line, "bad schedule '%s': %s", v, err);
		else if (!(j->schedule = strdup(v)))
			l->oom = 1;
	} else {
		for (size_t i = 0; i < sizeof deps / sizeof *deps; i++)
			if (cfg_size(js, deps[i]))
				job_diag(l, fi, job_line_of(l, js, deps[i], 0, jline),
				     "'%s' without a schedule in job '%s'", deps[i], j->name);
		return;
	}
	if (find_key(l, js, fi, u, KEY_TIMEZONE, &s)) {
		const char *v = cfg_getstr(s.sec, KEY_TIMEZONE);
		unsigned line = job_line_of(l, s.sec, KEY_TIMEZONE, 0, jline);
		if (gather_cron_tz_check(v ? v : "", err, sizeof err) < 0)
			job_diag(l, s.file, line, "bad timezone: %s", err);
		else if (!(j->timezone = strdup(v)))
			l->oom = 1;
	}
	if (find_key(l, js, fi, u, KEY_OVERLAP, &s)) {
		const char *v = cfg_getstr(s.sec, KEY_OVERLAP);
		if (v && strcmp(v, "queue") == 0)
			j->overlap_queue = true;
		else if (!v || strcmp(v, "skip") != 0)
			job_diag(l, s.file, job_line_of(l, s.sec, KEY_OVERLAP, 0, jline),
			     "invalid value '%s' for overlap: expected skip or queue", v ? v : "");
	}
	if (find_key(l, js, fi, u, KEY_PERSISTENT, &s)) {
		const char *v = cfg_getstr(s.sec, KEY_PERSISTENT);
		int b = v ? cfg_parse_boolean(v) : -1;
		if (b < 0)
			job_diag(l, s.file, job_line_of(l, s.sec, KEY_PERSISTENT, 0, jline),
			     "invalid value '%s' for persistent: expected true or false", v ? v : "");
		j->persistent = b > 0;
	}
}

/* Build one job from section js of file fi into *ret; faults go to
 * diags.  0, or -1 when out of memory (l->oom set, nothing in *ret). */
static int build_job(struct job_load *l, size_t fi, cfg_t *js, const struct unit *u,
                     struct gather_job *ret)
{
	struct gather_job j = { 0 };
	struct src s;
	const struct job_scan_mark *m = job_mark(l, fi, cfg_title(js));
	unsigned jline = m ? m->line : (unsigned)js->line;

	j.name = strdup(m ? m->name : "");
	j.file = strdup(l->files[fi].path);
	j.line = jline;
	if (!j.name || !*j.name)
		job_diag(l, fi, jline, "job name is empty");
	j.cmd = cfg_size(js, KEY_SEEDS) ? GATHER_CMD_CRAWL : GATHER_CMD_GET;
	if (find_key(l, js, fi, u, KEY_MODE, &s)) {
		const char *mode = cfg_getstr(s.sec, KEY_MODE);
		if (mode && strcmp(mode, "crawl") == 0)
			j.cmd = GATHER_CMD_CRAWL;
		else if (mode && strcmp(mode, "get") == 0)
			j.cmd = GATHER_CMD_GET;
		else
			job_diag(l, s.file, job_line_of(l, s.sec, KEY_MODE, 0, jline),
			     "invalid value '%s' for mode: expected crawl or get", mode ? mode : "");
	}
	gather_opts_init(&j.opts, j.cmd);
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		if (!job_is_section_key(d->name) && find_key(l, js, fi, u, d->name, &s))
			apply_opt(l, &j, d, &s, jline);
	apply_fields(l, &j, js, fi, u, SEC_EXTRACT, jline);
	apply_fields(l, &j, js, fi, u, SEC_REGEX, jline);
	apply_schedule(l, &j, js, fi, u, jline);

	for (unsigned i = 0; i < cfg_size(js, KEY_SEEDS); i++) {
		const char *v = cfg_getnstr(js, KEY_SEEDS, i);
		char err[256];
		if (job_check_url(v, err, sizeof err) < 0)
			job_diag(l, fi, job_line_of(l, js, KEY_SEEDS, i, jline), "bad seed URL '%s': %s", v, err);
		else if (gather_strv_push(&j.seeds, v) < 0)
			l->oom = 1;
	}
	s = (struct src){ js, fi, true };
	for (unsigned i = 0; i < cfg_size(js, KEY_URLS_FILE); i++)
		add_input(l, &j, &s, KEY_URLS_FILE, i, job_line_of(l, js, KEY_URLS_FILE, i, jline));
	if (!cfg_size(js, KEY_SEEDS) && !j.opts.input.n)
		job_diag(l, fi, jline, "job '%s' has no seeds and no urls-file", j.name);

	if (!j.name || !j.file) {
		l->oom = 1;
		job_free_one(&j);
		return -1;
	}
	*ret = j;
	return 0;
}

/* Append j to l->jobs (which takes it over), or free it. */
static void push_job(struct job_load *l, struct gather_job *j)
{
	/* the array doubles when its count reaches a power of two */
	struct gather_job *v = (l->njobs & (l->njobs - 1)) == 0 ?
		realloc(l->jobs, (l->njobs ? 2 * l->njobs : 1) * sizeof *v) : l->jobs;
	if (!v) {
		l->oom = 1;
		job_free_one(j);
		return;
	}
	l->jobs = v;
	v[l->njobs++] = *j;
}

void job_build_chunk(struct job_load *l, size_t fi, cfg_t *cfg)
{
	struct unit u = { 0 };
	unsigned n = cfg_size(cfg, "job");
	struct job_file *f = &l->files[fi];

	if (n == 0)
		return;
	if (f->nsec + n > f->cappre) {
		size_t cap = f->cappre ? f->cappre : 64;
		while (cap < f->nsec + n)
			cap *= 2;
		struct job_pre *v = realloc(f->pre, cap * sizeof *v);
		if (!v) {
			l->oom = 1;
			return;
		}
		f->pre = v;
		f->cappre = cap;
	}
	collect_defaults(l, 0, &u);
	l->built_any = true;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *js = cfg_getnsec(cfg, "job", i);
		struct job_pre *p = &f->pre[f->nsec++];
		p->built = job_is_closed(f, js) && build_job(l, fi, js, &u, &p->job) == 0;
	}
	free(u.defaults);
}

/* Jobs of file fi in file order, each included file's jobs where its
 * include() stands. */
static void emit(struct job_load *l, size_t fi, const struct unit *u)
{
	const struct job_file *f = &l->files[fi];
	size_t n = 0, c = 0;
	unsigned local = 0;   /* index of job k in chunk c */
	for (size_t i = 0; i < f->ncfg; i++)
		n += cfg_size(f->cfgs[i], "job");
	for (size_t k = 0; k <= n; k++) {
		for (size_t i = 0; i < f->nincl; i++) {
			const struct job_incl *in = &f->incl[i];
			if (in->file != SIZE_MAX && (in->pos == k || (k == n && in->pos > n)))
				emit(l, in->file, u);
		}
		if (k == n)
			break;
		while (local >= cfg_size(f->cfgs[c], "job"))
			c++, local = 0;
		cfg_t *js = cfg_getnsec(f->cfgs[c], "job", local++);
		struct gather_job j;
		if (job_is_closed(f, js) && build_job(l, fi, js, u, &j) == 0)
			push_job(l, &j);
	}
}

/* emit() for an eager load: the jobs were built chunk by chunk (moved from
 * pre to l->jobs here). */
static void emit_pre(struct job_load *l, size_t fi)
{
	struct job_file *f = &l->files[fi];
	size_t n = f->nsec;
	for (size_t k = 0; k <= n; k++) {
		for (size_t i = 0; i < f->nincl; i++) {
			const struct job_incl *in = &f->incl[i];
			if (in->file != SIZE_MAX && (in->pos == k || (k == n && in->pos > n)))
				emit_pre(l, in->file);
		}
		if (k == n)
			break;
		if (f->pre[k].built) {
			f->pre[k].built = false;
			push_job(l, &f->pre[k].job);
		}
	}
}

/* Where a job name was first written (check_duplicates). */
struct first_name {
	size_t file;
	const struct job_scan_mark *mark;
};

/* Two jobs of one name in the file and the files it includes: each name
 * once in a hash map, so 100,000 jobs cost 100,000 lookups. */
static void check_duplicates(struct job_load *l)
{
	struct gather_u64map seen = { 0 };
	struct first_name *firsts;
	size_t total = 0, nf = 0;

	for (size_t f = 0; f < l->nfiles; f++)
		total += l->files[f].scan.njobs;
	if (!(firsts = calloc(total ? total : 1, sizeof *firsts))) {
		l->oom = 1;
		return;
	}
	for (size_t f = 0; f < l->nfiles; f++)
		for (size_t i = 0; i < l->files[f].scan.njobs; i++) {
			const struct job_scan_mark *m = &l->files[f].scan.jobs[i];
			uint64_t key = job_str_key(m->name);
			const struct first_name *p = gather_u64map_get(&seen, key);
			/* a different name of the same hash (never seen) is
			 * told apart the long way: it is not a duplicate */
			while (p && strcmp(p->mark->name, m->name) != 0)
				p = gather_u64map_get(&seen, key = job_mix(key + 1));
			if (p) {
				job_diag(l, f, m->line, "duplicate job name '%s' (first at %s:%u)",
				     m->name, l->files[p->file].path, p->mark->line);
				continue;
			}
			firsts[nf] = (struct first_name){ f, m };
			if (gather_u64map_put(&seen, key, &firsts[nf++]) < 0)
				l->oom = 1;
		}
	gather_u64map_clear(&seen);
	free(firsts);
}

void job_build_all(struct job_load *l)
{
	struct unit u = { 0 };
	check_duplicates(l);
	collect_defaults(l, 0, &u);
	if (l->eager)
		emit_pre(l, 0);
	else
		emit(l, 0, &u);
	free(u.defaults);
}
