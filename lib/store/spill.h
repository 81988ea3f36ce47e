/* spill.h — an on-disk queue of URLs by depth, for a frontier too large
 * for memory (lib/crawl/crawl-state.c keeps a window of the queue in
 * memory and the rest here).  A directory of flat files, made new at
 * open and removed at close: what it holds is derived from the crawl
 * state, which rebuilds it on a resume, so it is written without fsync.
 *
 * Rows are (depth, url, parent); take() reads those of one depth in the
 * order they were put, each once.  Puts are buffered in memory, made
 * visible to take() first.
 *
 * Threads: one at a time (the reactor). */
#ifndef GATHER_SPILL_H
#define GATHER_SPILL_H

#include <stddef.h>

struct gather_spill;

/* Make path new (removed first if there).  0 or GATHER_E_IO with err. */
int gather_spill_open(const char *path, struct gather_spill **ret, char *err, size_t errlen);
/* Close and remove the file.  Accepts NULL. */
void gather_spill_close(struct gather_spill *s);

/* Queue url at depth, found on parent (NULL for none).  0 or GATHER_E_IO. */
int gather_spill_put(struct gather_spill *s, unsigned depth, const char *url,
                     const char *parent);

/* Call fn(url, parent, arg) for up to max rows of depth not taken yet, in
 * put order.  The number of rows given (0: none left at depth), or
 * GATHER_E_IO, or fn's negative return. */
long gather_spill_take(struct gather_spill *s, unsigned depth, size_t max,
                       int (*fn)(const char *url, const char *parent, void *arg), void *arg);

/* Bytes of the file (for stats). */
unsigned long long gather_spill_bytes(const struct gather_spill *s);

#endif
