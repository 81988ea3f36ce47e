/* fileid.h — whether two paths name the same file, decided before any of
 * them is opened, so that an output opened with O_TRUNC never destroys an
 * input or another output (issue 15).
 *
 * Names are not enough (l.txt, ./l.txt, a symlink, a hard link): an existing
 * file is known by (device, inode).  A file that does not exist yet cannot be
 * an input, but two outputs may still name the same new file: it is known by
 * the resolved path of its directory plus its base name.
 *
 * Only regular files and directories (a mirror's root) count: a device, pipe
 * or socket (/dev/null, a terminal on both stdin and stdout) is shared by
 * design and never clobbered by O_TRUNC.
 *
 * Any thread; nothing global.  lib/ does not print: conflicts come back as
 * messages. */
#ifndef GATHER_FILEID_H
#define GATHER_FILEID_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "gather/options.h"
#include "util/u64map.h"

struct gather_fileid {
	bool exists;      /* dev and ino are valid */
	bool counts;      /* a regular file or directory, or not there yet */
	dev_t dev;
	ino_t ino;
	char *path;       /* !exists: realpath(directory) + "/" + base name, or
	                   * the path as given when its directory does not
	                   * resolve either; owned */
	int fd;           /* >= 0: made from this descriptor (stdin, stdout) */
};

/* The identity of path (which need not exist).  0, or GATHER_E_NOMEM.
 * *ret is always set (clear it with gather_fileid_clear). */
int gather_fileid_of_path(const char *path, struct gather_fileid *ret);
/* The identity of what descriptor fd is open on (stdin, stdout); a closed
 * descriptor counts as nothing.  Always 0. */
int gather_fileid_of_fd(int fd, struct gather_fileid *ret);
/* Whether a and b are the same file (both must count). */
bool gather_fileid_same(const struct gather_fileid *a, const struct gather_fileid *b);
/* Frees what id owns.  Accepts a zeroed struct. */
void gather_fileid_clear(struct gather_fileid *id);

/* The files a run (or several runs that may go at once) reads and writes. */
struct gather_file {
	struct gather_fileid id;
	bool output;
	char *label;      /* e.g. "--jsonl out.jsonl", "job 'a' urls-file 'l.txt'" */
};
struct files_seen;
struct gather_files {
	struct gather_file *v;
	size_t n, cap;
	/* identity -> index + 1 into seen: the first files of each identity,
	 * so that adding the files of 100,000 jobs is not a walk over all
	 * the files before each (fileid.c) */
	struct gather_u64map index;
	struct files_seen *seen;
	size_t nseen, capseen;
};

/* Add one file; path "-" (or NULL for an output) means stdin for an input
 * and stdout for an output.  A conflict (an output that is a file already
 * added; an input that is an output already added) is appended to faults
 * as "LABEL and LABEL are the same file: ..." and the file is added anyway,
 * so that later conflicts name it too.  Two uses of the same descriptor
 * (every job's records on stdout) are one stream, not a conflict.
 * Returns 0, GATHER_E_INVALID after a conflict, GATHER_E_NOMEM. */
int gather_files_add(struct gather_files *fs, const char *path, bool output,
                     const char *label, struct gather_strv *faults);

/* Add every input and output of o: -i files, --jsonl, --warc, --mirror,
 * --output-dir, -o.  job is NULL on the command line (labels "--jsonl FILE"),
 * else the job's name (labels "job 'NAME' jsonl 'FILE'").  Same returns. */
int gather_files_add_opts(struct gather_files *fs, const struct gather_opts *o,
                          const char *job, struct gather_strv *faults);

/* Frees what fs owns; fs is left zeroed.  Accepts a zeroed struct. */
void gather_files_free(struct gather_files *fs);

#endif
