/* job-load.c — the files of one job-file load: each read whole (bounded,
 * never a FIFO or a device), scanned by job-scan.c, parsed by libconfuse in
 * chunks of JOB_CHUNK_JOBS jobs (built and freed at once by an eager load),
 * then the files it include()s, depth first, with cycles and depth refused.
 *
 * Split from job.c (issue 11) where the fewest calls cross: job.c calls
 * job_load_file() once per load; this file calls back job_cfg_new() (a
 * libconfuse parser with job.c's option tables and callbacks) and
 * job_line_key() (to forget a freed chunk's lines).  include() itself is
 * noted by job.c's libconfuse callback, as the other callbacks are, since
 * only job.c sees the load libconfuse is in (`current`); this file reads
 * the files that callback noted.  Runs under job.c's lock, on the loading
 * thread; everything it allocates hangs off the struct job_load, which
 * job.c frees. */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/error.h"
#include "gather/job.h"
#include "job/job-internal.h"

char *job_path_join(const char *dir, const char *name)
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

/* A file too large to read (read_all). */
#define E_TOO_BIG (-EFBIG)
/* Not a regular file (read_all). */
#define E_NOT_REGULAR (-EINVAL)

/* Read a whole regular file of at most max bytes.  Opened with O_NONBLOCK
 * so that a FIFO is never waited on (it is then refused, as is any device:
 * /dev/zero or /dev/urandom would never end).  0, E_TOO_BIG, E_NOT_REGULAR
 * or -errno. */
static int read_all(const char *path, uint64_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int e = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		e = -errno;
	else if (!S_ISREG(st.st_mode))
		e = E_NOT_REGULAR;
	else if ((uint64_t)st.st_size > max)
		e = E_TOO_BIG;
	/* the size may change under us: read at most max + 1 bytes */
	while (e == 0) {
		if (len == cap) {
			size_t want = cap ? 2 * cap : 8192;
			if (want > max + 1)
				want = (size_t)max + 1;
			if (want <= len)
				want = len + 1;
			char *nb = realloc(buf, want + 1);
			if (!nb) {
				e = -ENOMEM;
				break;
			}
			buf = nb;
			cap = want;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = -errno;
		else if (r == 0)
			break;
		else if ((len += (size_t)r) > max)
			e = E_TOO_BIG;
	}
	close(fd);
	if (e) {
		free(buf);
		return e;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The text of a read_all fault. */
static const char *read_fault(int r, char *buf, size_t n, uint64_t max)
{
	if (r == E_TOO_BIG)
		snprintf(buf, n, "larger than %llu bytes (--max-job-size)", (unsigned long long)max);
	else if (r == E_NOT_REGULAR)
		snprintf(buf, n, "not a regular file");
	else
		snprintf(buf, n, "%s", strerror(-r));
	return buf;
}

/* Called by parse_chunks after a chunk is parsed: its sections were
 * given lines counted from the chunk's start; make them the file's. */
static void shift_lines(cfg_t *sec, unsigned base)
{
	sec->line += (int)base;
	for (cfg_opt_t *o = sec->opts; o && o->name; o++)
		if (o->type == CFGT_SEC)
			for (unsigned i = 0; i < o->nvalues; i++)
				shift_lines(o->values[i]->section, base);
}

/* Where the chunk after the one starting at job `from` of file f starts:
 * at a job at least JOB_CHUNK_JOBS jobs on whose `job` keyword follows a
 * closed statement ('}' or ')' before it; comments are blanks by now), so
 * each chunk is whole statements.  Returns the job's index, or njobs (the
 * rest is one chunk). */
static size_t next_chunk(const struct job_scan *sc, size_t from)
{
	for (size_t k = from + JOB_CHUNK_JOBS; k < sc->njobs; k++) {
		size_t i = sc->jobs[k].off;
		while (i > 0 && (sc->text[i - 1] == ' ' || sc->text[i - 1] == '\t' ||
		                 sc->text[i - 1] == '\n' || sc->text[i - 1] == '\r'))
			i--;
		if (i > 0 && (sc->text[i - 1] == '}' || sc->text[i - 1] == ')'))
			return k;
	}
	return sc->njobs;
}

/* An eager load, after the last chunk of file fi was parsed (its records
 * of lines from l->lines[lines_start] on): build its jobs now, then free it
 * unless it holds defaults (every job built later needs them).  Its lines
 * and closed sections go too: a section made later may get the address of
 * one freed here.  -1 when a defaults block came after a job was built. */
static int eager_chunk(struct job_load *l, size_t fi, size_t lines_start)
{
	struct job_file *f = &l->files[fi];
	cfg_t *cfg = f->cfgs[f->ncfg - 1];
	unsigned ndef = cfg_size(cfg, "defaults");

	if (ndef && l->built_any) {
		l->late = true;
		return -1;
	}
	job_build_chunk(l, fi, cfg);
	if (ndef)
		return 0;
	for (size_t i = lines_start; i < l->nlines; i++) {
		const struct job_linerec *r = &l->lines[i];
		uint64_t k = job_line_key(r->sec, r->name, r->idx);
		if ((uintptr_t)gather_u64map_get(&l->line_index, k) == i + 1)
			gather_u64map_del(&l->line_index, k);
	}
	l->nlines = lines_start;
	for (unsigned i = 0; i < cfg_size(cfg, "job"); i++) {
		cfg_t *js = cfg_getnsec(cfg, "job", i);
		if (gather_u64map_get(&f->closed_set, job_ptr_key(js)) == js)
			gather_u64map_del(&f->closed_set, job_ptr_key(js));
	}
	f->nclosed = 0;   /* the list is only appended to; the set is what is read */
	cfg_free(cfg);
	f->cfgs[f->ncfg - 1] = NULL;
	return 0;
}

/* Parse the scanned text of file idx with libconfuse, chunk by chunk
 * (struct job_file); the chunks after one with a syntax error are not
 * parsed, as libconfuse stops a file there. */
static void parse_chunks(struct job_load *l, const struct job_tables *t, size_t idx)
{
	struct job_file *f = &l->files[idx];
	const struct job_scan *sc = &f->scan;
	size_t start = 0, from = 0;
	unsigned lines = 0;

	while (start < sc->len || (start == 0 && f->ncfg == 0)) {
		size_t to = next_chunk(sc, from);
		size_t end = to < sc->njobs ? sc->jobs[to].off : sc->len;
		cfg_t **v = realloc(f->cfgs, (f->ncfg + 1) * sizeof *v);
		cfg_t *cfg = v ? job_cfg_new(t) : NULL;
		if (v)
			f->cfgs = v;
		if (!cfg) {
			l->oom = 1;
			return;
		}
		f->cfgs[f->ncfg++] = cfg;
		free(cfg->filename);
		cfg->filename = strdup(f->path); /* cfg_parse_fp keeps a name set before */
		if (end == start)
			return;
		FILE *fp = fmemopen(sc->text + start, end - start, "r");
		if (!fp) {
			l->oom = 1;
			return;
		}
		l->cur = idx;
		l->cur_cfg = cfg;
		l->line_base = lines;
		l->job_base = from;
		f->nvalues_seen = 0;
		size_t lines_start = l->nlines;
		/* faults arrive through on_cfg_error */
		int rc = cfg_parse_fp(cfg, fp);
		fclose(fp);
		l->line_base = 0;
		l->job_base = 0;
		l->cur_cfg = NULL;
		for (const char *const *sec = (const char *const[]){ "job", "defaults", NULL }; *sec; sec++)
			for (unsigned i = 0; lines && i < cfg_size(cfg, *sec); i++)
				shift_lines(cfg_getnsec(cfg, *sec, i), lines);
		if (l->eager && eager_chunk(l, idx, lines_start) < 0)
			return;   /* late: the load is done again */
		if (rc == CFG_PARSE_ERROR)
			return;
		for (size_t i = start; i < end; i++)
			lines += sc->text[i] == '\n';
		start = end;
		from = to;
	}
}

/* Read, scan and parse one file, then the files it includes (see
 * job-internal.h). */
size_t job_load_file(struct job_load *l, const struct job_tables *t, const char *path,
                     size_t parent, unsigned depth, unsigned line)
{
	char *real = realpath(path, NULL), *buf = NULL;
	size_t len = 0, idx;
	int r;

	if (parent != SIZE_MAX && depth > GATHER_JOB_MAX_INCLUDE_DEPTH) {
		job_diag(l, parent, line, "includes nested deeper than %d files", GATHER_JOB_MAX_INCLUDE_DEPTH);
		free(real);
		return SIZE_MAX;
	}
	for (size_t p = parent; p != SIZE_MAX && real; p = l->files[p].parent)
		if (l->files[p].real && strcmp(l->files[p].real, real) == 0) {
			job_diag(l, parent, line, "include cycle: '%s' is already being read", path);
			free(real);
			return SIZE_MAX;
		}
	r = read_all(path, l->max_size, &buf, &len);
	if (r < 0) {
		char why[128];
		read_fault(r, why, sizeof why, l->max_size);
		if (parent == SIZE_MAX) {
			/* The top file: the fault is the file's own. */
			struct job_file *v = realloc(l->files, sizeof *v);
			if (v) {
				l->files = v;
				v[0] = (struct job_file){ .path = strdup(path), .parent = SIZE_MAX };
				l->nfiles = 1;
				job_diag(l, 0, 0, "cannot read: %s", why);
			} else {
				l->oom = 1;
			}
		} else {
			job_diag(l, parent, line, "cannot read included file '%s': %s", path, why);
		}
		free(real);
		return SIZE_MAX;
	}

	struct job_file *v = realloc(l->files, (l->nfiles + 1) * sizeof *v);
	if (!v) {
		free(real);
		free(buf);
		l->oom = 1;
		return SIZE_MAX;
	}
	l->files = v;
	idx = l->nfiles++;
	v[idx] = (struct job_file){ .path = strdup(path), .real = real, .dir = dir_of(path),
	                         .parent = parent, .depth = depth };
	if (!v[idx].path || !v[idx].dir || job_scan(buf, len, &v[idx].scan) < 0) {
		free(buf);
		l->oom = 1;
		return idx;
	}
	free(buf);
	if (v[idx].scan.not_job) {
		/* Say so, and nothing of what it holds (it may be a secret). */
		if (parent == SIZE_MAX)
			job_diag(l, idx, v[idx].scan.first_line, "not a job file");
		else
			job_diag(l, parent, line, "included file '%s' is not a job file", path);
		return idx;
	}
	if (v[idx].scan.nul_line) {
		/* libconfuse's scanner (flex) would cut a string there, or
		 * worse: the file is not parsed at all */
		job_diag(l, idx, v[idx].scan.nul_line, "a NUL byte%s", v[idx].scan.nul_in_string ?
		         " in a string" : "");
		return idx;
	}
	if (v[idx].scan.unterminated_comment)
		job_diag(l, idx, v[idx].scan.unterminated_comment, "unterminated /* comment");
	for (size_t i = 0; i < v[idx].scan.nundef; i++)
		job_diag(l, idx, v[idx].scan.undef[i].line,
		     JOB_UNDEF_VAR "'%s' (write ${%s:-} to allow it unset)",
		     v[idx].scan.undef[i].name, v[idx].scan.undef[i].name);

	/* libconfuse takes a double-quoted string cut by the end of the file
	 * for the end of the file, silently. */
	if (v[idx].scan.unterminated)
		job_diag(l, idx, v[idx].scan.unterminated, "unterminated string");

	parse_chunks(l, t, idx);
	for (size_t i = 0; i < l->files[idx].nincl && !l->late; i++) {
		struct job_incl in = l->files[idx].incl[i];
		/* the index the file gets if it is loaded: an eager load
		 * collects the defaults of the files included so far, this
		 * one among them, while it is parsed */
		l->files[idx].incl[i].file = l->nfiles;
		size_t k = job_load_file(l, t, in.path, idx, depth + 1, in.line);
		l->files[idx].incl[i].file = k; /* l->files may have moved */
	}
	return idx;
}
