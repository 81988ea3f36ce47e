/* job.h — job files (gather.conf(5)): parse, validate and turn into options.
 *
 * A job file holds one or more `job "NAME" { ... }` sections, `defaults
 * { ... }` blocks and `include("FILE")` lines.  The keys of a job are built
 * from gather_optdefs[] (options.h), so every command-line option of get and
 * crawl has a job-file key of the same name; values are parsed by
 * gather_opt_set(), exactly as on the command line.
 *
 * Threads: any thread.  libconfuse keeps its scanner state in globals, so
 * loads are serialized by a lock inside job.c; loads on several threads at
 * once are safe but do not run in parallel. */
#ifndef GATHER_JOB_H
#define GATHER_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gather/options.h"

struct gather_job {
	char *name;               /* the section title */
	char *file;               /* file the job is written in (as given, or the
	                           * resolved path of an included file) */
	unsigned line;            /* line of `job "NAME" {` */
	unsigned cmd;             /* GATHER_CMD_GET or GATHER_CMD_CRAWL */
	struct gather_opts opts;  /* defaults, then defaults blocks, then the job;
	                           * input paths resolved against the job file's
	                           * directory */
	struct gather_strv seeds; /* seeds (crawl) or URLs (get) */
	/* gatherd's schedule (gather.conf(5) JOB KEYS), checked when loaded;
	 * gather run ignores it and runs the job once */
	char *schedule;           /* cron spec (util/cron.h syntax); NULL: none */
	unsigned schedule_line;   /* line of `schedule =`, 0 when none */
	char *timezone;           /* tz database name; NULL: the local zone */
	bool overlap_queue;       /* overlap = "queue": a firing while the last
	                           * run is still going waits for it; false
	                           * ("skip", the default): it is dropped */
	bool persistent;          /* persistent = true: a firing missed while
	                           * gatherd was down runs once at its start */
};

struct gather_jobfile {
	struct gather_job *jobs;  /* in file order, included files in place */
	size_t n;
};

/* Parse and validate the job file at path (and the files it includes).
 * Every fault is appended to diags (which may be NULL) as "FILE:LINE:
 * message", each once, sorted by file and line.  Returns 0 with *ret filled
 * (the caller frees it with gather_jobfile_free), or GATHER_E_INVALID when
 * there was any fault (*ret zeroed), GATHER_E_NOMEM. */
int gather_jobfile_load(const char *path, struct gather_jobfile *ret,
                        struct gather_strv *diags);

/* The same, with max_size the most bytes read of each file (the file given
 * and each one it includes); 0 means GATHER_JOB_MAX_SIZE.  Only regular
 * files are read (a FIFO, a device or a directory is a fault, never waited
 * on); a larger file is a fault.  gather_jobfile_load uses the default. */
int gather_jobfile_load_max(const char *path, uint64_t max_size, struct gather_jobfile *ret,
                            struct gather_strv *diags);

/* Frees what jf owns; jf is left zeroed.  Accepts a zeroed struct. */
void gather_jobfile_free(struct gather_jobfile *jf);

/* Refuse jobs that would destroy files: two outputs that are the same file,
 * or an output that is an input (an urls file), within one job or across
 * all the jobs of files[0..n) (they may run together: gather run
 * --parallel).  Files are compared by device and inode, or by resolved path
 * when not there yet, before anything is opened.  Each fault is appended to
 * diags as "FILE:LINE: LABEL and LABEL are the same file: ...", naming both.
 * Returns 0, GATHER_E_INVALID when there was any fault, GATHER_E_NOMEM. */
int gather_jobfiles_check_files(const struct gather_jobfile *files, size_t n,
                                struct gather_strv *diags);

/* Job files include each other at most this deep (a cycle is a fault). */
#define GATHER_JOB_MAX_INCLUDE_DEPTH 8
/* Default largest job file (gather check/run --max-job-size): far above
 * any hand-written file (100,000 jobs fit), far below what would hurt. */
#define GATHER_JOB_MAX_SIZE (16ull << 20)

#endif
