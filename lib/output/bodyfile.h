/* bodyfile.h — one response body saved as one file: `gather get -o FILE`
 * (curl's -o).  Internal to libgather; called on a worker thread.
 *
 * Thread-safe: no state. */
#ifndef GATHER_BODYFILE_H
#define GATHER_BODYFILE_H

#include <stddef.h>

/* Write len bytes of data to path, whole or not at all: into a new file
 * beside it, synced, then renamed over path, so that a reader (or a crash)
 * never sees a partial file and a failure leaves path as it was.  "-" is
 * stdout.  A path that exists and is not a regular file (/dev/null, a
 * FIFO, a terminal) is written in place: it cannot be replaced.  0, or
 * GATHER_E_IO with err naming the file and the cause. */
int gather_bodyfile_save(const char *path, const void *data, size_t len,
                         char *err, size_t errlen);

#endif
