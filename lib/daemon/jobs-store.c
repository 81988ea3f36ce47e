/* jobs-store.c — gatherd's jobs on disk: STATE/jobs/ID/job.conf (the
 * submitted text, as written) and job.json (the job's record), read back
 * at start.  Apart from jobs.c's registry because only these functions
 * know the layout of a job's directory: the registry calls djob_save at
 * each change of state and takes the jobs made here (djob_create) or
 * recovered; they cross through jobs-internal.h.
 *
 * job.json is rewritten (write, fsync, rename) at every change of state,
 * so a kill -9 finds each job as it last was; "running" then means "was
 * running": it is queued again with restarts + 1.
 * Reactor thread only. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon-internal.h"
#include "daemon/jobs-internal.h"
#include "gather/error.h"
#include "gather/job.h"

int djobs_write_file(const char *path, const char *data, size_t len)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return GATHER_E_IO;
	size_t off = 0;
	while (off < len) {
		ssize_t k = write(fd, data + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(fd);
			unlink(tmp);
			return GATHER_E_IO;
		}
		off += (size_t)k;
	}
	/* the rename is only as durable as the data under it */
	if (fdatasync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return GATHER_E_IO;
	}
	return 0;
}

void djob_save(struct djob *j)
{
	djob_live_stats(j);
	json_t *o = json_pack("{s:I, s:s, s:i, s:i, s:I, s:s, s:b, s:I, s:I, s:I, s:i, s:s,"
	                      " s:{s:I, s:I, s:I, s:I}}",
	                      "id", (json_int_t)j->id, "name", j->name, "cmd", (int)j->cmd,
	                      "priority", j->priority, "seq", (json_int_t)j->seq,
	                      "state", djob_state_name(j->state), "restart", j->restart,
	                      "created", (json_int_t)j->created_ms, "started", (json_int_t)j->started_ms,
	                      "finished", (json_int_t)j->finished_ms, "restarts", (int)j->restarts,
	                      "source", j->source ? j->source : "",
	                      "stats", "pages", (json_int_t)j->stats.done,
	                      "errors", (json_int_t)j->stats.failed,
	                      "bytes", (json_int_t)j->stats.bytes,
	                      "ok", (json_int_t)j->stats.ok);
	if (o && j->error) /* absent, not null, when there is none */
		json_object_set_new(o, "error", json_string(j->error));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char path[4200];
	snprintf(path, sizeof path, "%s/job.json", j->dir);
	if (!s || djobs_write_file(path, s, strlen(s)) < 0)
		gatherd_logf(j->d, GATHERD_LOG_ERR, j, "cannot save %s: %s", path,
		             s ? strerror(errno) : "out of memory");
	free(s);
	json_decref(o);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void djobs_rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Recovery: one STATE/jobs/ID/job.json. */
static void recover_one(struct gatherd *d, uint64_t id)
{
	struct djob *j = djob_new(d, id);
	char path[4200];
	json_error_t jerr;
	if (!j)
		return;
	snprintf(path, sizeof path, "%s/job.json", j->dir);
	json_t *o = json_load_file(path, 0, &jerr);
	const char *name = NULL, *state = NULL, *source = NULL, *error = NULL;
	json_int_t seq = 0, created = 0, started = 0, fin = 0, pages = 0, errors = 0, bytes = 0, ok = 0;
	int cmd = 0, prio = 0, restarts = 0, restart = 0;
	if (!o || json_unpack_ex(o, &jerr, 0, "{s:s, s:i, s:i, s:I, s:s, s:b, s:I, s:I, s:I, s:i, s?s, s?s,"
	                         " s?{s?I, s?I, s?I, s?I}}",
	                         "name", &name, "cmd", &cmd, "priority", &prio, "seq", &seq,
	                         "state", &state, "restart", &restart, "created", &created,
	                         "started", &started, "finished", &fin, "restarts", &restarts,
	                         "source", &source, "error", &error, "stats", "pages", &pages,
	                         "errors", &errors, "bytes", &bytes, "ok", &ok) < 0 ||
	    djob_state_parse(state, &j->state) < 0 ||
	    (cmd != GATHER_CMD_GET && cmd != GATHER_CMD_CRAWL)) {
		gatherd_logf(d, GATHERD_LOG_WARNING, j, "%s: unreadable (%s:%d: %s), left alone", path,
		             jerr.source, jerr.line, jerr.text);
		json_decref(o);
		djob_free(j);
		return;
	}
	j->name = strdup(name);
	j->source = source ? strdup(source) : NULL;
	j->error = error ? strdup(error) : NULL;
	j->cmd = (unsigned)cmd;
	j->priority = prio;
	j->seq = (uint64_t)seq;
	j->restart = restart;
	j->created_ms = created;
	j->started_ms = started;
	j->finished_ms = fin;
	j->restarts = (unsigned)restarts;
	j->stats.done = (uint64_t)pages;
	j->stats.failed = (uint64_t)errors;
	j->stats.bytes = (uint64_t)bytes;
	j->stats.ok = (uint64_t)ok;
	json_decref(o);
	if (!j->name || djob_insert(d, j) < 0) {
		djob_free(j);
		return;
	}
	if (id >= d->next_id)
		d->next_id = id + 1;
	if ((uint64_t)seq >= d->next_seq)
		d->next_seq = (uint64_t)seq + 1;
	if (j->state == DJ_RUNNING || (j->state == DJ_PAUSED && j->restart)) {
		const char *was = j->state == DJ_RUNNING ? "was running (the service stopped without a word)"
		                                         : "was paused by a stop";
		j->restarts++;
		j->restart = false;
		j->state = DJ_QUEUED;
		djob_save(j);
		gatherd_logf(d, GATHERD_LOG_NOTICE, j, "recovered: %s; queued again (restart %u)", was,
		             j->restarts);
		gatherd_event(d, j);
	}
}

int djobs_recover(struct gatherd *d, char *err, size_t errlen)
{
	DIR *dir = opendir(d->jobs_dir);
	struct dirent *e;
	if (!dir) {
		snprintf(err, errlen, "%s: %s", d->jobs_dir, strerror(errno));
		return GATHER_E_IO;
	}
	d->next_id = d->next_id ? d->next_id : 1;
	while ((e = readdir(dir))) {
		uint64_t id;
		if (e->d_name[0] == '.' && strncmp(e->d_name, ".new-", 5) == 0) {
			/* a submission cut short by a crash: never a job */
			char p[4200];
			snprintf(p, sizeof p, "%s/%s/job.conf", d->jobs_dir, e->d_name);
			unlink(p);
			snprintf(p, sizeof p, "%s/%s", d->jobs_dir, e->d_name);
			rmdir(p);
			continue;
		}
		if (strspn(e->d_name, "0123456789") != strlen(e->d_name) ||
		    gather_parse_u64(e->d_name, UINT64_MAX - 1, &id) < 0)
			continue;
		recover_one(d, id);
	}
	closedir(dir);
	gatherd_logf(d, GATHERD_LOG_INFO, NULL, "recovered %zu jobs from %s", d->njobs, d->jobs_dir);
	return 0;
}

struct djob *djob_create(struct gatherd *d, const char *name, unsigned cmd, const char *source,
                         int priority, const char *text, size_t len, char *err, size_t errlen)
{
	char path[4300];
	struct djob *j = djob_new(d, d->next_id++);
	if (!j || mkdir(j->dir, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", j ? j->dir : "job", j ? strerror(errno) : "out of memory");
		djob_free(j);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/job.conf", j->dir);
	j->name = strdup(name);
	j->source = strdup(source);
	j->cmd = cmd;
	j->priority = priority;
	j->seq = d->next_seq++;
	j->created_ms = gatherd_unix_ms();
	j->state = DJ_QUEUED;
	if (!j->name || !j->source || djobs_write_file(path, text, len) < 0 || djob_insert(d, j) < 0) {
		snprintf(err, errlen, "%s: cannot save the job", j->dir);
		djobs_rm_tree(j->dir);
		djob_free(j);
		return NULL;
	}
	djob_save(j);
	return j;
}
