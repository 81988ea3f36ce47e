/* intake.c — gatherd's spool: job files dropped into spool-dir are
 * submitted through gatherd_submit as the API's POST /v1/jobs would be
 * (same rules: no include(), no ${VAR}, outputs confined to the job's
 * directory), then moved to spool-dir/accepted/ or spool-dir/rejected/
 * with NAME.err holding the faults as NAME:LINE: message.  The watching
 * itself (inotify, complete files only) is lib/daemon/spool. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon-internal.h"
#include "daemon/spool.h"
#include "gather/error.h"
#include "util/strbuf.h"

/* The file at path whole, at most max bytes.  NULL with *why set (a
 * static string) when it is larger, not a regular file, or unreadable
 * (errno then). */
static char *read_spooled(const char *path, uint64_t max, size_t *ret_len, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char *text = NULL;
	size_t n = 0;

	*why = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		*why = "larger than max-body";
		goto out;
	}
	/* one byte more than it says: a file still growing is caught */
	if (!(text = malloc((size_t)st.st_size + 2)))
		goto out;
	for (;;) {
		ssize_t k = read(fd, text + n, (size_t)st.st_size + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(text);
			text = NULL;
			goto out;
		}
		n += (size_t)k;
		if (k == 0 || n > (size_t)st.st_size)
			break;
	}
	if (n > max) {
		free(text);
		text = NULL;
		*why = "larger than max-body";
		goto out;
	}
	text[n] = '\0';
	*ret_len = n;
out:
	close(fd);
	return text;
}

/* The reactor, for each complete file of the spool: submit it, then move
 * it to accepted/ or rejected/.  A file the service cannot take now
 * (stopping, out of memory, disk) stays for the next start. */
static void on_spooled(const char *path, void *arg)
{
	struct gatherd *d = arg;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *why = NULL;
	size_t len = 0;
	char src[300], *moved = NULL;
	struct gatherd_submit_result res;
	struct gather_strbuf err = { 0 };

	char *text = read_spooled(path, d->conf.max_body, &len, &why);
	if (!text && !why) {
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "spool: %s: %s; left in place", path, strerror(errno));
		return;
	}
	if (!text) {
		gather_strbuf_printf(&err, "%s: %s (%llu bytes)\n", name, why,
		                     (unsigned long long)d->conf.max_body);
		goto reject;
	}
	snprintf(src, sizeof src, "spool:%s", name);
	int rc = gatherd_submit(d, text, len, src, 0, &res);
	free(text);
	if (rc == 0) {
		int r = gather_spool_accept(path, &moved), e = errno;
		gather_strbuf_printf(&err, "%zu job%s:", res.n, res.n == 1 ? "" : "s");
		for (size_t i = 0; i < res.n; i++)
			gather_strbuf_printf(&err, " %s", res.ids[i]);
		gatherd_logf(d, GATHERD_LOG_INFO, NULL, "spool: %s accepted (%s)%s%s", name,
		             err.p ? err.p : "", r < 0 ? "; cannot move it to accepted/: " : "",
		             r < 0 ? strerror(e) : "");
		gatherd_submit_result_free(&res);
		free(err.p);
		free(moved);
		return;
	}
	if (rc != GATHER_E_INVALID && rc != GATHER_E_TOO_LARGE) {
		/* not the file's fault: it is submitted again at the next start */
		gatherd_logf(d, GATHERD_LOG_ERR, NULL, "spool: %s: %s; left in place", name,
		             res.nfaults ? res.faults[0].message :
		             rc == GATHER_E_AGAIN ? "the service is stopping" : gather_err_text(rc));
		gatherd_submit_result_free(&res);
		return;
	}
	for (size_t i = 0; i < res.nfaults; i++) {
		if (res.faults[i].line)
			gather_strbuf_printf(&err, "%s:%u: %s\n", name, res.faults[i].line,
			                     res.faults[i].message);
		else
			gather_strbuf_printf(&err, "%s: %s\n", name, res.faults[i].message);
	}
	gatherd_submit_result_free(&res);
reject:
	if (err.oom || !err.p) {
		free(err.p);
		err.p = strdup("refused\n");
	}
	int r = gather_spool_reject(path, err.p ? err.p : "refused", &moved), e = errno;
	gatherd_logf(d, GATHERD_LOG_NOTICE, NULL, "spool: %s rejected: %.*s%s%s", name,
	             err.p ? (int)strcspn(err.p, "\n") : 0, err.p ? err.p : "",
	             r < 0 ? "; moving it: " : "", r < 0 ? strerror(e) : "");
	free(err.p);
	free(moved);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

int gatherd_spool_start(struct gatherd *d, char *err, size_t errlen)
{
	const char *dir = d->conf.spool_dir;
	if (!dir) {
		size_t n = strlen(d->conf.state_dir) + sizeof "/spool";
		if (!(d->spool_dir = malloc(n))) {
			snprintf(err, errlen, "out of memory");
			return GATHER_E_NOMEM;
		}
		snprintf(d->spool_dir, n, "%s/spool", d->conf.state_dir);
	} else if (!(d->spool_dir = strdup(dir))) {
		snprintf(err, errlen, "out of memory");
		return GATHER_E_NOMEM;
	}
	if (mkdir_p(d->spool_dir, 0750) < 0) {
		snprintf(err, errlen, "spool-dir %s: %s", d->spool_dir, strerror(errno));
		return GATHER_E_IO;
	}
	int r = gather_spool_open(d->base, d->spool_dir, on_spooled, d, &d->spool);
	if (r < 0) {
		snprintf(err, errlen, "spool-dir %s: %s", d->spool_dir,
		         r == GATHER_E_IO ? strerror(errno) : gather_err_text(r));
		return r;
	}
	gatherd_logf(d, GATHERD_LOG_INFO, NULL, "spool: watching %s", d->spool_dir);
	return 0;
}

void gatherd_spool_stop(struct gatherd *d)
{
	gather_spool_close(d->spool);
	d->spool = NULL;
}
