/* jobs-internal.h — what jobs.c (the registry and the life cycle),
 * jobs-store.c (the files under STATE/jobs) and jobs-submit.c (job texts:
 * checked, confined, made into jobs) share; the rest of the daemon sees
 * only daemon-internal.h.  Not installed.  Reactor thread only. */
#ifndef GATHER_DAEMON_JOBS_INTERNAL_H
#define GATHER_DAEMON_JOBS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon-internal.h"

/* jobs.c: the registry. */

/* A job with its id and STATE/jobs/ID path and nothing else (the caller
 * fills it), or NULL on OOM.  Not in the registry yet: djob_insert. */
struct djob *djob_new(struct gatherd *d, uint64_t id);
/* Into d->jobs, kept sorted by id; the registry owns j from then on.
 * 0 or GATHER_E_NOMEM (j is still the caller's). */
int djob_insert(struct gatherd *d, struct djob *j);
/* A job not (or no longer) in the registry, its runner too.  NULL is
 * fine. */
void djob_free(struct djob *j);
/* j->stats from its runner while it has one (else they stay the last). */
void djob_live_stats(struct djob *j);

/* jobs-store.c: the files. */

/* data written to path through path.tmp, synced, renamed: a crash leaves
 * the old file or the new one.  0 or GATHER_E_IO (errno says). */
int djobs_write_file(const char *path, const char *data, size_t len);
/* STATE/jobs/ID/job.json rewritten from j; a failure is logged (the job
 * goes on in memory). */
void djob_save(struct djob *j);
/* path and everything below it, as far as it goes. */
void djobs_rm_tree(const char *path);
/* A new queued job named name of a submitted text: STATE/jobs/ID made with
 * text as its job.conf and its job.json, the job in the registry (which
 * owns it).  NULL when it cannot be made, err saying why; nothing of it is
 * left then. */
struct djob *djob_create(struct gatherd *d, const char *name, unsigned cmd, const char *source,
                         int priority, const char *text, size_t len, char *err, size_t errlen);

/* jobs-submit.c: the texts. */

/* At start: j's text loaded again from its own directory into j->jf (so
 * its paths confine to it) and the job named j->name in it made fit to run
 * there.  That job (it points into j->jf), or NULL with err saying why
 * ("job.conf:LINE: message"). */
struct gather_job *djob_load(struct djob *j, char *err, size_t errlen);

#endif
