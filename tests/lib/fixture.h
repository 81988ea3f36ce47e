/* fixture.h — what Check tests share instead of copying: a scratch
 * directory per test, paths in it, whole-file reads, and a bounded loop of
 * an event base until a condition holds.  Every helper fails the test
 * (ck_assert) rather than return an error. */
#ifndef GATHER_TEST_FIXTURE_H
#define GATHER_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;

/* A new directory under /tmp named for the test ("test_pipeline.XXXXXX");
 * the path is kept in a static buffer until fixture_rmdir. */
const char *fixture_mkdir(const char *name);
/* rm -rf of the directory fixture_mkdir made (nothing when none). */
void fixture_rmdir(void);
/* malloc'ed "DIR/name". */
char *fixture_path(const char *name);
/* The whole file, NUL-terminated, malloc'ed; *len set when not NULL.
 * NULL when it cannot be read. */
char *fixture_read(const char *path, size_t *len);
/* Lines in a file (0 when missing). */
size_t fixture_count_lines(const char *path);
/* Run base (EVLOOP_ONCE turns) until *flag is true; fails the test after
 * max_ms of wall time. */
void fixture_loop_until(struct event_base *base, const bool *flag, unsigned max_ms);

#endif
