/* confine.h — keep the files of a submitted job inside its directory: the
 * API must not become a way to read or overwrite the daemon's other files.
 * Threads: any. */
#ifndef GATHER_DAEMON_CONFINE_H
#define GATHER_DAEMON_CONFINE_H

#include <stddef.h>

/* path as written in a job, relative to dir (an existing directory).  A
 * path that is absolute, has a ".." component, or leads (through a symlink
 * already on disk, at any component) outside realpath(dir) is refused:
 * GATHER_E_INVALID with err saying which.  Otherwise 0 and *ret the
 * malloc'ed "DIR/PATH" (the caller frees).  GATHER_E_NOMEM. */
int gatherd_confine(const char *dir, const char *path, char **ret, char *err, size_t errlen);

/* The same for a path the job loader made absolute already by joining it
 * to dir (the urls-file inputs): refused unless it is below dir. */
int gatherd_confine_joined(const char *dir, const char *joined, char *err, size_t errlen);

#endif
