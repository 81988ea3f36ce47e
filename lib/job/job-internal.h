/* job-internal.h — what the files of lib/job's job-file loading share:
 * job-scan.c (the pre-pass), job.c (libconfuse's tables and callbacks,
 * diagnostics, the public API), job-load.c (reading, chunked parsing,
 * include()) and job-build.c (sections to jobs).  Not installed. */
#ifndef GATHER_JOB_INTERNAL_H
#define GATHER_JOB_INTERNAL_H

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gather/job.h"
#include "util/u64map.h"

/* What the pre-pass learns from the raw text of one job file.
 *
 * Why a pre-pass: libconfuse 3.3 counts the newline that ends a comment
 * twice (so every line number after a comment is wrong), keeps no line
 * number per option, silently merges two sections with the same title, and
 * expands an undefined ${VAR} to "".  The pre-pass follows libconfuse's
 * lexer (lexer.l) closely enough to blank out comments (keeping newlines, so
 * libconfuse's own counting is right again), to note where each top-level
 * `job "NAME" {` starts, and to find ${VAR} references to undefined
 * variables.  Values are still parsed by libconfuse alone. */
struct job_scan_mark {
	char *name;     /* job title, or the variable's name */
	unsigned line;
	size_t off;     /* a job: where its `job` keyword is in text */
};

struct job_scan {
	char *text;                   /* comments replaced by spaces */
	size_t len;
	struct job_scan_mark *jobs;   /* top-level `job "NAME" {`, in order */
	size_t njobs;
	struct job_scan_mark *undef;  /* ${NAME} with NAME unset and no :- default */
	size_t nundef;
	unsigned unterminated;        /* line of a string never closed, or 0 */
	unsigned unterminated_comment;/* line of a C comment never closed, or 0 */
	unsigned nul_line;            /* line of the first NUL byte, or 0 */
	bool nul_in_string;           /* ... and whether it is inside a string */
	/* Not a job file: its first token is none of job, defaults, include
	 * (a job file's top level holds nothing else).  Then nothing of it is
	 * parsed or quoted (include("/etc/shadow") must not print its lines). */
	bool not_job;
	unsigned first_line;          /* line of the first token, or 0 */
};

/* Scan len bytes of text.  0, or GATHER_E_NOMEM (ret zeroed). */
int job_scan(const char *text, size_t len, struct job_scan *ret);
/* Accepts a zeroed struct. */
void job_scan_free(struct job_scan *s);

/* ------------------------------------------------ one load (job.c) */

/* The prefix of the diagnostic for ${VAR} unset (job-load.c says it,
 * job_diag leaves out what follows from it). */
#define JOB_UNDEF_VAR "undefined environment variable "

/* Keys of a job (and of a defaults block) that are not options. */
#define KEY_SEEDS "seeds"
#define KEY_URLS_FILE "urls-file"
#define KEY_MODE "mode"
#define KEY_OUTPUT "output"
/* gatherd's schedule keys (issue 14): checked here, used by the daemon,
 * ignored by gather run (a scheduled job file still runs once there). */
#define KEY_SCHEDULE "schedule"
#define KEY_TIMEZONE "timezone"
#define KEY_OVERLAP "overlap"
#define KEY_PERSISTENT "persistent"

/* Options whose job-file form is a titled section, not a key. */
#define SEC_EXTRACT "extract"
#define SEC_REGEX "regex"

struct job_fault {
	size_t file;      /* index into load.files */
	unsigned line;
	size_t seq;       /* order found, to keep the sort stable */
	char *msg;
};

/* Where a value was written: libconfuse keeps no line per option, so the
 * validate callback notes the line as each value is parsed. */
struct job_linerec {
	cfg_t *sec;
	const char *name; /* libconfuse's copy of the option name */
	unsigned idx;
	unsigned line;
};

struct job_incl {
	char *path;       /* resolved against the includer's directory */
	unsigned line;    /* of the include() */
	unsigned pos;     /* jobs of the includer before the include() */
	size_t file;      /* index of the included file; SIZE_MAX: not loaded */
};

/* A job built as soon as its chunk was parsed (struct job_load, eager). */
struct job_pre {
	struct gather_job job;
	bool built;       /* false: the section never closed (a syntax error) */
};

struct job_file {
	char *path;       /* as given, or resolved against the includer */
	char *real;       /* realpath, for cycles; NULL when unreadable */
	char *dir;        /* directory for relative paths in this file */
	/* The file as parsed: libconfuse grows a section list by one element
	 * at a time (a realloc and copy per section: quadratic), so a file is
	 * parsed in chunks of at most JOB_CHUNK_JOBS jobs, each its own
	 * cfg_t, in file order; lines and job indices are the file's. */
	cfg_t **cfgs;
	size_t ncfg;      /* 0 when the file could not be read */
	struct job_scan scan;
	struct job_incl *incl;
	size_t nincl;
	cfg_t **closed;   /* job sections parsed to their closing brace */
	size_t nclosed, capclosed;
	struct gather_u64map closed_set; /* job_ptr_key(section) -> section */
	unsigned nvalues_seen;           /* job sections at the last close */
	/* eager loads: job section k of the file (all chunks) built into
	 * pre[k]; nsec sections in all */
	struct job_pre *pre;
	size_t nsec, cappre;
	size_t parent;    /* SIZE_MAX for the top file */
	unsigned depth;
};

struct job_load {
	struct job_file *files;
	size_t nfiles;
	size_t cur;                  /* the file libconfuse is parsing */
	cfg_t *cur_cfg;              /* ... the chunk of it */
	unsigned line_base;          /* ... lines before the chunk */
	size_t job_base;             /* ... jobs before the chunk */
	struct job_fault *diags;
	size_t ndiags;
	struct job_linerec *lines;
	size_t nlines, caplines;
	struct gather_u64map line_index; /* job_line_key -> index + 1 into lines */
	struct gather_job *jobs;
	size_t njobs;
	uint64_t max_size;           /* most bytes read of one file */
	int oom;
	/* Eager: each chunk's jobs are built as soon as it is parsed and the
	 * chunk is freed (a libconfuse section costs about 11 KB: 100,000 jobs
	 * held 1.3 GB at once).  Valid only while every defaults block is
	 * known before the first job is built (defaults apply to every job of
	 * a load, wherever they stand); a defaults block parsed after sets
	 * late, and the load is done again without eager. */
	bool eager;
	bool built_any;
	bool late;
};

/* Free what job j holds (not j itself). */
void job_free_one(struct gather_job *j);

/* Jobs parsed by one libconfuse parse, at most (struct job_file). */
#define JOB_CHUNK_JOBS 512

/* Note a fault of file index file at line (0: the file as a whole); each
 * distinct fault once. */
void job_diag(struct job_load *l, size_t file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The line where value idx of key name in section sec was written, else
 * fallback. */
unsigned job_line_of(const struct job_load *l, cfg_t *sec, const char *name, unsigned idx,
                     unsigned fallback);
/* Keys of the hash maps that keep checking linear in the number of jobs
 * (issue 16: it was cubic): well mixed (u64map takes the slot from the
 * high bits) and never 0. */
uint64_t job_mix(uint64_t h);
uint64_t job_str_key(const char *s);
uint64_t job_ptr_key(const void *p);
/* Where value idx of key name of section sec was written: the key of
 * struct job_load's line_index. */
uint64_t job_line_key(const cfg_t *sec, const char *name, unsigned idx);
/* Whether job section js of file f has been parsed to its closing brace. */
bool job_is_closed(const struct job_file *f, cfg_t *js);

/* The title and header line of the job libconfuse calls title ("\001N"). */
const struct job_scan_mark *job_mark(const struct job_load *l, size_t fi, const char *title);
/* dir/name, or name when absolute; malloc'ed, NULL on OOM. */
char *job_path_join(const char *dir, const char *name);
bool job_is_output_key(const char *name);
bool job_is_section_key(const char *name);

/* job.c: the libconfuse option tables of one load (built from
 * gather_optdefs[] by job.c, read by the parsers it makes). */
struct job_tables;
/* job.c: a libconfuse parser for one chunk of a file, with the tables t and
 * job.c's error, line-noting and include() callbacks; NULL on OOM.  Freed by
 * cfg_free(). */
cfg_t *job_cfg_new(const struct job_tables *t);

/* job-load.c: read, scan and parse the file at path (relative paths were
 * resolved by the includer), then the files it includes, depth first;
 * parent is the including file's index (SIZE_MAX: the top file), line the
 * include()'s.  Returns the file's index in l->files, or SIZE_MAX when it
 * was not loaded (the fault noted).  What it loads belongs to l. */
size_t job_load_file(struct job_load *l, const struct job_tables *t, const char *path,
                     size_t parent, unsigned depth, unsigned line);

/* job-build.c: build l->jobs from the loaded files (l->files[0] and what it
 * includes), noting faults. */
void job_build_all(struct job_load *l);
/* Eager loads: build the job sections of cfg, a chunk of file fi just
 * parsed, into l->files[fi].pre, with the defaults known now. */
void job_build_chunk(struct job_load *l, size_t fi, cfg_t *cfg);

#endif
