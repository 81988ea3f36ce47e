/* ctl.h — what the three files of `gather ctl` share (cmd/gather only).
 *
 * ctl.c parses the command line and runs the verb; ctl-http.c carries one
 * request to gatherd and its answer back (the transport); ctl-show.c prints
 * an answer (tables, JSON, the daemon's refusals).  All run on the one
 * thread of the gather process. */
#ifndef GATHER_CTL_H
#define GATHER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

enum ctl_out { OUT_TABLE, OUT_JSON };

/* One run of `gather ctl`, owned by cmd_ctl. */
struct ctl {
	const char *socket;       /* --socket, or NULL: the defaults */
	enum ctl_out out;
	uint64_t timeout_ms;
	uint64_t max_response;
	uint64_t max_job_size;
	const char *state;        /* jobs --state */
	bool follow;              /* records --follow, events --follow */
	bool timeout_given;       /* --timeout: streams wait no longer either */
	const char *since;        /* events --since */
	const char *verb;
	char **args;              /* the verb's arguments */
	int nargs;
	/* the one socket in use */
	char *path;               /* where it connected (ctl-http.c sets it; malloc'ed) */
};

/* What a response's body goes to.  The caller frees body.p and line.p. */
struct ctl_sink {
	struct gather_strbuf body;  /* kept (not a stream) */
	uint64_t max;
	bool stream;                /* lines go to on_line as they come */
	bool wait;                  /* a stream that may idle without limit */
	struct gather_strbuf line;  /* a stream's partial line */
	/* < 0 stops the answer; GATHER_E_IO: writing stdout failed */
	int (*on_line)(const char *line, size_t len, void *arg);
	void *arg;
	bool too_large;
	int write_err;              /* errno of a failed write to stdout */
};

struct ctl_answer {
	int status;
	char *location;             /* malloc'ed, the caller frees it */
};

/* ctl-http.c: send one request (method, target, and body_len bytes of body
 * when body is not NULL) to the daemon at --socket or the defaults, and read
 * its answer into sink.  0 with a->status set; -1 after saying on stderr
 * what went wrong (the caller exits 2); -2 when a stream's reader went away
 * (stdout failed, nothing said). */
int ctl_request(struct ctl *c, const char *method, const char *target, const char *body,
                size_t body_len, struct ctl_sink *sink, struct ctl_answer *a);

/* ctl-show.c: print a kept answer, as is with --json, else as the verb's
 * table. */
void ctl_show(const struct ctl *c, const char *body, size_t len);
/* ctl-show.c: the daemon's refusal on stderr (file: the job file sent, or
 * NULL); returns 1, the exit status. */
int ctl_refused(int status, const char *body, size_t len, const char *file);
/* ctl-show.c: a struct ctl_sink's on_line for streams (arg: the struct
 * ctl); GATHER_E_IO when stdout's reader went away. */
int ctl_stream_line(const char *line, size_t len, void *arg);

#endif
