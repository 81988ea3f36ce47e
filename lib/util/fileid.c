/* fileid.c — whether two paths name the same file (fileid.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/error.h"
#include "util/fileid.h"

static void from_stat(struct gather_fileid *id, const struct stat *st)
{
	id->exists = true;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->counts = S_ISREG(st->st_mode) || S_ISDIR(st->st_mode);
}

/* path does not exist (yet): realpath of its directory + its base name, so
 * that "out", "./out" and "/abs/dir/out" agree.  Trailing slashes (a
 * mirror's "dir/") are dropped first. */
static int resolve_new(const char *path, struct gather_fileid *id)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	char *p = strndup(path, len);
	if (!p)
		return GATHER_E_NOMEM;
	char *slash = strrchr(p, '/');
	const char *base = slash ? slash + 1 : p;
	const char *dir = slash ? (slash == p ? "/" : p) : ".";
	if (slash)
		*slash = '\0';
	char *rdir = realpath(dir, NULL);
	if (!rdir) {
		/* the directory is missing too: opening will fail, or create
		 * it; the name as given still tells two equal outputs apart */
		id->path = slash ? (*slash = '/', p) : p;
		return 0;
	}
	size_t n = strlen(rdir) + strlen(base) + 2;
	id->path = malloc(n);
	if (id->path)
		snprintf(id->path, n, "%s%s%s", rdir, strcmp(rdir, "/") == 0 ? "" : "/", base);
	free(rdir);
	free(p);
	return id->path ? 0 : GATHER_E_NOMEM;
}

int gather_fileid_of_path(const char *path, struct gather_fileid *ret)
{
	struct stat st;
	*ret = (struct gather_fileid){ .fd = -1 };
	if (stat(path, &st) == 0) {
		from_stat(ret, &st);
		return 0;
	}
	ret->counts = true;
	return resolve_new(path, ret);
}

int gather_fileid_of_fd(int fd, struct gather_fileid *ret)
{
	struct stat st;
	*ret = (struct gather_fileid){ .fd = fd };
	if (fstat(fd, &st) == 0)
		from_stat(ret, &st);
	return 0;
}

bool gather_fileid_same(const struct gather_fileid *a, const struct gather_fileid *b)
{
	if (!a->counts || !b->counts || a->exists != b->exists)
		return false;
	if (a->exists)
		return a->dev == b->dev && a->ino == b->ino;
	return a->path && b->path && strcmp(a->path, b->path) == 0;
}

void gather_fileid_clear(struct gather_fileid *id)
{
	free(id->path);
	*id = (struct gather_fileid){ .fd = -1 };
}

int gather_files_add(struct gather_files *fs, const char *path, bool output,
                     const char *label, struct gather_strv *faults)
{
	struct gather_file f = { .output = output };
	int rc = 0;

	if (!path || strcmp(path, "-") == 0)
		gather_fileid_of_fd(output ? STDOUT_FILENO : STDIN_FILENO, &f.id);
	else if (gather_fileid_of_path(path, &f.id) < 0)
		return GATHER_E_NOMEM;
	f.label = strdup(label);
	struct gather_file *v = f.label ? realloc(fs->v, (fs->n + 1) * sizeof *v) : NULL;
	if (!v) {
		gather_fileid_clear(&f.id);
		free(f.label);
		return GATHER_E_NOMEM;
	}
	fs->v = v;
	for (size_t i = 0; i < fs->n; i++) {
		const struct gather_file *o = &fs->v[i];
		if (!output && !o->output)
			continue; /* two readers of one file harm nobody */
		if (f.id.fd >= 0 && f.id.fd == o->id.fd)
			continue; /* one stream shared (every job's records on stdout) */
		if (!gather_fileid_same(&f.id, &o->id))
			continue;
		char msg[1024];
		snprintf(msg, sizeof msg, "%s and %s are the same file: %s", o->label, label,
		         output && o->output ? "the outputs would overwrite each other"
		                             : "the output would destroy the input");
		if (faults && gather_strv_push(faults, msg) < 0)
			rc = GATHER_E_NOMEM;
		else if (rc == 0)
			rc = GATHER_E_INVALID;
		break; /* one message per file: the first it clashes with */
	}
	fs->v[fs->n++] = f;
	return rc;
}

/* Add one file labelled for the command line or for job `job`. */
static int add_one(struct gather_files *fs, const char *path, bool output, const char *job,
                   const char *flag, const char *shown, struct gather_strv *faults)
{
	char label[600];
	if (job)
		snprintf(label, sizeof label, "job '%.100s' %s '%.400s'", job, flag, shown);
	else if (strcmp(flag, "input") == 0)
		snprintf(label, sizeof label, "-i %.400s", shown);
	else
		snprintf(label, sizeof label, "--%s %.400s", flag, shown);
	return gather_files_add(fs, path, output, label, faults);
}

/* The worse of two returns: NOMEM over INVALID over 0. */
static int worse(int a, int b)
{
	return a < b ? a : b;
}

int gather_files_add_opts(struct gather_files *fs, const struct gather_opts *o,
                          const char *job, struct gather_strv *faults)
{
	int rc = 0;
	/* inputs first: each output is then checked against all of them */
	for (size_t i = 0; i < o->input.n; i++) {
		const char *p = o->input.v[i];
		rc = worse(rc, add_one(fs, p, false, job, "input",
		                       strcmp(p, "-") == 0 ? "- (stdin)" : p, faults));
	}
	rc = worse(rc, add_one(fs, o->jsonl, true, job, "jsonl",
	                       !o->jsonl || strcmp(o->jsonl, "-") == 0 ? "- (stdout)" : o->jsonl, faults));
	if (o->warc)
		rc = worse(rc, add_one(fs, o->warc, true, job, "warc", o->warc, faults));
	if (o->mirror)
		rc = worse(rc, add_one(fs, o->mirror, true, job, "mirror", o->mirror, faults));
	if (o->outdir)
		rc = worse(rc, add_one(fs, o->outdir, true, job, "output-dir", o->outdir, faults));
	return rc;
}

void gather_files_free(struct gather_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		gather_fileid_clear(&fs->v[i].id);
		free(fs->v[i].label);
	}
	free(fs->v);
	*fs = (struct gather_files){ 0 };
}
