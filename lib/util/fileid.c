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

/* One identity among the files added: for each kind of file a new one
 * may clash with, the first of them, as an index into v plus one (0: none
 * yet).  Kinds: input or output, and the descriptor: stdin, stdout, or
 * none (a path). */
struct files_seen {
	size_t first[2][3];
};

static int fd_kind(int fd)
{
	return fd == STDIN_FILENO ? 0 : fd == STDOUT_FILENO ? 1 : 2;
}

static uint64_t mix(uint64_t h)
{
	/* splitmix64's finalizer; never 0 (u64map's empty key) */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h ? h : 1;
}

static uint64_t id_key(const struct gather_fileid *id)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	if (id->exists)
		return mix((uint64_t)id->dev * 0x9e3779b97f4a7c15ull ^ (uint64_t)id->ino);
	for (const char *p = id->path; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return mix(h);
}

/* A file recorded in s, to compare identities with. */
static const struct gather_fileid *seen_id(const struct gather_files *fs,
                                           const struct files_seen *s)
{
	for (int o = 0; o < 2; o++)
		for (int k = 0; k < 3; k++)
			if (s->first[o][k])
				return &fs->v[s->first[o][k] - 1].id;
	return NULL;
}

/* Called by gather_files_add for a file that counts: the record of id's
 * identity, made empty when new; NULL on OOM. */
static struct files_seen *seen_of(struct gather_files *fs, const struct gather_fileid *id)
{
	uint64_t key = id_key(id);
	uintptr_t k;

	/* another identity of the same hash (never seen) is told apart by
	 * probing on */
	while ((k = (uintptr_t)gather_u64map_get(&fs->index, key)) != 0) {
		const struct gather_fileid *other = seen_id(fs, &fs->seen[k - 1]);
		if (other && gather_fileid_same(other, id))
			return &fs->seen[k - 1];
		key = mix(key + 1);
	}
	if (fs->nseen == fs->capseen) {
		size_t cap = fs->capseen ? 2 * fs->capseen : 16;
		struct files_seen *v = realloc(fs->seen, cap * sizeof *v);
		if (!v)
			return NULL;
		fs->seen = v;
		fs->capseen = cap;
	}
	if (gather_u64map_put(&fs->index, key, (void *)(uintptr_t)(fs->nseen + 1)) < 0)
		return NULL;
	fs->seen[fs->nseen] = (struct files_seen){ 0 };
	return &fs->seen[fs->nseen++];
}

int gather_files_add(struct gather_files *fs, const char *path, bool output,
                     const char *label, struct gather_strv *faults)
{
	struct gather_file f = { .output = output };
	struct files_seen *s = NULL;
	int rc = 0;

	if (!path || strcmp(path, "-") == 0)
		gather_fileid_of_fd(output ? STDOUT_FILENO : STDIN_FILENO, &f.id);
	else if (gather_fileid_of_path(path, &f.id) < 0)
		return GATHER_E_NOMEM;
	f.label = strdup(label);
	if (f.label && fs->n == fs->cap) {
		size_t cap = fs->cap ? 2 * fs->cap : 16;
		struct gather_file *v = realloc(fs->v, cap * sizeof *v);
		if (v) {
			fs->v = v;
			fs->cap = cap;
		}
	}
	/* a device, pipe or socket is never the same file as another
	 * (fileid.h): no record, no clash */
	bool oom = !f.label || fs->n == fs->cap || (f.id.counts && !(s = seen_of(fs, &f.id)));
	if (oom) {
		gather_fileid_clear(&f.id);
		free(f.label);
		return GATHER_E_NOMEM;
	}
	fs->v[fs->n++] = f;
	if (!s)
		return 0;
	/* The first earlier file it clashes with: an output, or any file
	 * when this one is an output (two readers of one file harm nobody);
	 * never one on the same descriptor (one stream shared: every job's
	 * records on stdout).  One message per file, naming that one. */
	size_t first = 0;
	int mine = fd_kind(f.id.fd);
	for (int o = output ? 0 : 1; o < 2; o++)
		for (int k = 0; k < 3; k++) {
			size_t at = s->first[o][k];
			if (at && !(f.id.fd >= 0 && k == mine) && (!first || at < first))
				first = at;
		}
	if (!s->first[output][mine])
		s->first[output][mine] = fs->n;
	if (first) {
		const struct gather_file *o = &fs->v[first - 1];
		char msg[1024];
		snprintf(msg, sizeof msg, "%s and %s are the same file: %s", o->label, label,
		         output && o->output ? "the outputs would overwrite each other"
		                             : "the output would destroy the input");
		if (faults && gather_strv_push(faults, msg) < 0)
			rc = GATHER_E_NOMEM;
		else
			rc = GATHER_E_INVALID;
	}
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
	if (o->output)
		rc = worse(rc, add_one(fs, o->output, true, job, "output",
		                       strcmp(o->output, "-") == 0 ? "- (stdout)" : o->output, faults));
	return rc;
}

void gather_files_free(struct gather_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		gather_fileid_clear(&fs->v[i].id);
		free(fs->v[i].label);
	}
	free(fs->v);
	free(fs->seen);
	gather_u64map_clear(&fs->index);
	*fs = (struct gather_files){ 0 };
}
