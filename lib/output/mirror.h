/* mirror.h — bodies saved as files: the --mirror DIR tree (host/path like
 * wget) and the flat -o DIR of `gather get`.  Whatever a URL holds, nothing
 * is ever written outside DIR: names are built by escaping, not by trusting
 * the URL, and every directory below DIR is opened with O_NOFOLLOW from a
 * descriptor of its parent (symbolic links inside DIR are never followed).
 * Internal to libgather; used by the sink's writer thread.
 *
 * Threads: a gather_mirror is used by one thread at a time.  The name
 * functions are pure and thread-safe. */
#ifndef GATHER_MIRROR_H
#define GATHER_MIRROR_H

#include <stdbool.h>
#include <stddef.h>

#include "gather/result.h"

/* Longest file name component written (bytes, below NAME_MAX 255); longer
 * ones are cut and get a hash of the whole (see gather_mirror_path). */
#define GATHER_MIRROR_MAX_NAME 200
/* Longest relative path and most components; beyond, the page is stored as
 * host/_long/<sha256 of the URL>. */
#define GATHER_MIRROR_MAX_PATH 1024
#define GATHER_MIRROR_MAX_DEPTH 64

struct gather_mirror;

/* Open dir (created with its parents when missing) for saving bodies: the
 * host/path tree when flat is false, flat names (-o) when true.  NULL with
 * err naming dir on failure. */
struct gather_mirror *gather_mirror_open(const char *dir, bool flat,
                                         char *err, size_t errlen);

/* Save r->body (the decoded body) when r is a success (err 0, status 2xx),
 * atomically: a temporary file in the target directory, renamed over the
 * final name.  The tree layout names it from r->final_url (else r->url), the
 * flat layout from r->url as given.  Returns 1 when saved, 0 when r is not
 * saved (not a success), GATHER_E_IO / GATHER_E_NOMEM with err. */
int gather_mirror_save(struct gather_mirror *m, const struct gather_result *r,
                       char *err, size_t errlen);

/* The same; when it returns 1 and ret_path is not NULL, *ret_path is the
 * file's path as a user opens it (DIR as given to gather_mirror_open, '/',
 * the relative name), malloc'ed, the caller's to free; NULL when out of
 * memory (the file is saved all the same). */
int gather_mirror_save_as(struct gather_mirror *m, const struct gather_result *r,
                          char **ret_path, char *err, size_t errlen);

/* Flush the file system (syncfs), close, free.  0 or GATHER_E_IO with err.
 * Accepts NULL. */
/* Flush every file saved so far to disk (syncfs of the directory's file
 * system): a crawl with --state, before a commit.  0 or GATHER_E_IO. */
int gather_mirror_sync(struct gather_mirror *m, char *err, size_t errlen);

int gather_mirror_close(struct gather_mirror *m, char *err, size_t errlen);

/* The relative path (components joined by '/') of url in the tree layout,
 * malloc'ed; NULL on OOM.  Never absolute, never has "." or ".." or empty
 * components, never a NUL, backslash or control byte:
 *   http://Host:8080/a/b/       -> host:8080/a/b/index.html
 *   http://h/p.php?x=1&y=/z     -> h/p.php@x=1&y=%2Fz
 *   http://h/a%2fb/%2e%2e/c     -> h/a%2Fb/%2E%2E/c
 * Each path segment is percent-decoded, then '%', '/', '\', '@', controls and
 * DEL are percent-encoded again (so the mapping is one-to-one and '@' only
 * ever starts the query); a segment "." or ".." becomes "%2E" / "%2E%2E". */
char *gather_mirror_path(const char *url);

/* The flat file name (-o) of url, malloc'ed; NULL on OOM: letters, digits,
 * '.', '_' and '-' only, never starting with '.', e.g.
 *   https://example.com/docs/page.html?q=1 -> example.com_docs_page_q_1-3f2a9c01b7de.html
 * (a readable stem of at most 100 bytes, '-', 12 hex digits of the SHA-256
 * of the URL, and the URL's extension when it has a short alphanumeric one). */
char *gather_mirror_flat_name(const char *url);

#endif
