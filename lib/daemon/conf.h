/* conf.h — gatherd.conf (gatherd(8)): the daemon's own settings, read with
 * libconfuse.  Every key has a default that works for a non-root user with
 * no file at all (see gatherd_conf_defaults).  Job files are not read here
 * (gather/job.h).
 *
 * Threads: the reactor thread (libconfuse keeps scanner state in globals;
 * gatherd loads its config and its jobs on one thread). */
#ifndef GATHER_DAEMON_CONF_H
#define GATHER_DAEMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gather/options.h"

/* Defaults (each also a key of gatherd.conf and a line of gatherd(8)). */
#define GATHERD_MAX_JOBS        4
#define GATHERD_KEEP_JOBS       1000            /* finished jobs kept */
#define GATHERD_MAX_BODY        (1ull << 20)    /* POST body: a job file */
#define GATHERD_MAX_HEADER      (16ull << 10)   /* request head */
#define GATHERD_MAX_CONNECTIONS 64              /* API connections open at once */
#define GATHERD_IDLE_TIMEOUT_MS 60000           /* API connection idle */
#define GATHERD_PER_HOST        8               /* cap on a job's per-host */
#define GATHERD_DELAY_MS        0               /* floor of a job's delay */
#define GATHERD_MAX_EVENTS      4096            /* events kept for /v1/events */

struct gatherd_conf {
	char *file;               /* the file read, or NULL (defaults only) */
	char *state_dir;          /* jobs/ID/... live here */
	char *socket_path;        /* the control socket (unless systemd passes one) */
	char *spool_dir;          /* the spool watcher's; NULL: STATE/spool */
	char *job_dir;            /* scheduled job files (*.conf) */
	char *listen;             /* "HOST:PORT" TCP listener, NULL: off */
	char *token_file;         /* bearer token for the TCP listener */
	unsigned max_jobs;        /* jobs running at once */
	unsigned workers;         /* worker threads of the one pipeline; 0: cores */
	unsigned keep_jobs;       /* finished jobs kept before pruning, oldest first */
	unsigned max_connections; /* API connections open at once */
	unsigned per_host;        /* a job's per-host is capped at this */
	uint64_t delay_ms;        /* a job's delay is at least this */
	uint64_t max_body;        /* API request body bytes */
	uint64_t max_header;      /* API request head bytes */
	uint64_t idle_timeout_ms; /* API connection idle time */
	unsigned max_events;      /* events kept for GET /v1/events */
	unsigned socket_mode;     /* mode of a socket gatherd binds itself */
};

/* Fill c with the defaults; paths from the environment: state under
 * $STATE_DIRECTORY, else $XDG_STATE_HOME/gather, else
 * $HOME/.local/state/gather; the socket under $RUNTIME_DIRECTORY, else
 * $XDG_RUNTIME_DIR/gather, else the state directory; job-dir
 * $CONFIGURATION_DIRECTORY/jobs, else $XDG_CONFIG_HOME/gather/jobs, else
 * $HOME/.config/gather/jobs, else SYSCONFDIR/gather/jobs (a file loaded
 * without job-dir: jobs/ beside it); spool-dir NULL (the daemon's
 * STATE/spool).  0 or GATHER_E_NOMEM. */
int gatherd_conf_defaults(struct gatherd_conf *c);

/* Defaults, then the file at path.  Every fault is appended to diags as
 * "FILE:LINE: message".  0 with *ret filled (free with gatherd_conf_free),
 * GATHER_E_INVALID (faults in diags; *ret zeroed), GATHER_E_IO (path
 * unreadable: in diags), GATHER_E_NOMEM.  path NULL: defaults only. */
int gatherd_conf_load(const char *path, struct gatherd_conf *ret, struct gather_strv *diags);

/* A deep copy of src into *dst.  0 or GATHER_E_NOMEM (dst zeroed). */
int gatherd_conf_copy(struct gatherd_conf *dst, const struct gatherd_conf *src);

/* Accepts a zeroed struct; leaves c zeroed. */
void gatherd_conf_free(struct gatherd_conf *c);

#endif
