/* spool.h — gatherd's spool directory (issue 14): job files dropped into it
 * are reported as soon as they are complete, then moved to accepted/ or
 * rejected/ (with NAME.err holding the faults).
 *
 * A file is complete when its writer closes it (IN_CLOSE_WRITE) or when it
 * is renamed or moved into the directory (IN_MOVED_TO).  Names starting
 * with '.' are never reported: write to ".NAME" and rename it to "NAME",
 * the one way to drop a file that no reader can see half-written (the
 * start-up scan cannot tell a file being written from a finished one).
 * Only regular files in the directory itself count (no subdirectories, no
 * symlinks followed to elsewhere: a symlink is skipped).
 *
 * Usage by the daemon, on its reactor thread:
 *
 *	static void on_spooled(const char *path, void *arg)
 *	{
 *		struct gather_jobfile jf;
 *		struct gather_strv diags = { 0 };
 *		if (gather_jobfile_load(path, &jf, &diags) == 0 && jf.n > 0) {
 *			... submit jf's jobs, as POST /v1/jobs does ...
 *			gather_spool_accept(path, NULL);
 *		} else {
 *			... join diags (FILE:LINE: message) with '\n' into text ...
 *			gather_spool_reject(path, text, NULL);
 *		}
 *	}
 *	struct gather_spool *sp;
 *	int r = gather_spool_open(base, cfg->spool_dir, on_spooled, daemon, &sp);
 *	... r < 0: log "spool-dir DIR: <gather_strerror(r)>" ...
 *	... on shutdown or reload: gather_spool_close(sp) ...
 *
 * fn must move the file away (accept, reject, or unlink it): a file left in
 * place is reported again on its next close-write or rename and on every
 * start.  A file may be reported twice when it is written again, or when it
 * arrived while gather_spool_open was scanning; a path already moved away
 * is not reported (it is checked just before fn is called).
 *
 * Threads: the event_base's thread only; fn runs there.  accept and reject
 * rename and write small files without fsync: cheap enough for the reactor
 * at the rate files are dropped by hand or by scripts. */
#ifndef GATHER_SPOOL_H
#define GATHER_SPOOL_H

#include <stddef.h>

struct event_base;
struct gather_spool;

/* path: dir/NAME, valid during the call only.  arg: as given to open. */
typedef void (*gather_spool_fn)(const char *path, void *arg);

/* Limits: names longer than this are skipped (never reported); a scan
 * reports at most this many files (the rest at the next scan: after an
 * inotify queue overflow, or at the next start). */
#define GATHER_SPOOL_MAX_NAME 255
#define GATHER_SPOOL_MAX_SCAN 100000

/* Watch dir (it must exist; accepted/ and rejected/ are made in it when
 * missing, mode 0750).  The files already there are reported from base's
 * loop, in name order, right after the watch starts, never from inside
 * this call.  0 with *ret set, GATHER_E_IO (dir missing or not a
 * directory, inotify limits: errno tells which), GATHER_E_NOMEM. */
int gather_spool_open(struct event_base *base, const char *dir, gather_spool_fn fn, void *arg,
                      struct gather_spool **ret);

/* Stop watching and free; no fn call after it.  Accepts NULL.  Safe from
 * inside fn (the rest of that batch is dropped, freed once fn returns). */
void gather_spool_close(struct gather_spool *s);

/* Move path (dir/NAME) to dir/accepted/NAME, or dir/accepted/NAME.N (N =
 * 1, 2, ...) when that name is taken: an earlier file is never
 * overwritten.  *ret_path (when ret_path is not NULL) gets the new path,
 * malloc'ed.  0, GATHER_E_IO (errno set), GATHER_E_NOMEM, GATHER_E_INVALID
 * (no free name among 1000). */
int gather_spool_accept(const char *path, char **ret_path);

/* Move path to dir/rejected/NAME (or NAME.N as above) and write why to
 * rejected/NAME.err (a newline added if missing), written under a dot-name
 * and renamed so a reader never sees it half-written.  Return values as
 * gather_spool_accept; when the .err file cannot be written the file has
 * still been moved (GATHER_E_IO, *ret_path set). */
int gather_spool_reject(const char *path, const char *why, char **ret_path);

#endif
