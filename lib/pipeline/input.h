/* input.h — URL lists read as capacity frees: positional URLs first, then
 * each -i FILE ("-" is stdin) line by line.  Blank lines and lines starting
 * with '#' are skipped; surrounding whitespace is trimmed.  Regular files are
 * read directly (local disk); pipes and terminals are read non-blocking
 * through an event on the reactor, so a slow producer never stalls fetches.
 * Reactor thread only. */
#ifndef GATHER_INPUT_H
#define GATHER_INPUT_H

#include <stddef.h>

#include "gather/options.h"

struct event_base;
struct gather_input;

/* Called when lines became available after gather_input_next returned
 * GATHER_E_AGAIN. */
typedef void (*gather_input_ready_fn)(void *arg);

/* Why a line came back refused (*ret_toolong of gather_input_next). */
enum {
	GATHER_INPUT_TOOLONG = 1,  /* longer than max_line: its head, the rest dropped */
	GATHER_INPUT_NUL = 2,      /* held NUL bytes (shown as U+FFFD) */
};

/* urls (may be NULL) are copied; files are opened lazily.  max_line bounds
 * a line: a longer one, or one holding a NUL byte, still counts as exactly
 * one line (one call, its true line number; the next call starts at the
 * next line) and comes back with *ret_toolong set to why. */
struct gather_input *gather_input_new(struct event_base *base,
                                      const struct gather_strv *urls,
                                      const struct gather_strv *files,
                                      size_t max_line,
                                      gather_input_ready_fn ready, void *arg);
void gather_input_free(struct gather_input *in); /* accepts NULL */

/* Next URL: 0 with *ret (malloc'ed, caller frees) and *ret_src set to a
 * "FILE:LINE" or "argument N" label (valid until the next call); 1 at the
 * end of all input; GATHER_E_AGAIN when a pipe has no full line yet (ready()
 * follows); GATHER_E_IO with *ret_src naming the file that failed to open or
 * read (that file is skipped, later files still read). */
int gather_input_next(struct gather_input *in, char **ret, const char **ret_src,
                      int *ret_toolong);

/* Stop reading (SIGINT): the next call returns 1. */
void gather_input_close(struct gather_input *in);

#endif
