/* job-internal.h — pieces of lib/job.c shared with lib/job-scan.c. */
#ifndef GATHER_JOB_INTERNAL_H
#define GATHER_JOB_INTERNAL_H

#include <stddef.h>

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
};

struct job_scan {
	char *text;                   /* comments replaced by spaces */
	size_t len;
	struct job_scan_mark *jobs;   /* top-level `job "NAME" {`, in order */
	size_t njobs;
	struct job_scan_mark *undef;  /* ${NAME} with NAME unset and no :- default */
	size_t nundef;
};

/* Scan len bytes of text.  0, or GATHER_E_NOMEM (ret zeroed). */
int job_scan(const char *text, size_t len, struct job_scan *ret);
/* Accepts a zeroed struct. */
void job_scan_free(struct job_scan *s);

#endif
