/* warc.h — a WARC/1.1 writer (ISO 28500:2017): one warcinfo record at the
 * head of each file, then a request and a response record per fetch that got
 * a response.  Internal to libgather; used by the sink's writer thread.
 *
 * Threads: a gather_warc is used by one thread at a time (the sink's writer
 * thread after open). */
#ifndef GATHER_WARC_H
#define GATHER_WARC_H

#include <stddef.h>
#include <stdint.h>

#include "gather/options.h"
#include "gather/result.h"

struct gather_warc;

/* Create (truncate) path and write its warcinfo record, which lists o's
 * options (those of command cmd, GATHER_CMD_*; 0: all).  A name ending in ".gz" gets one gzip member per record.  When
 * max_size > 0 the writer moves on to a new file before a record pair that
 * would take the current one past max_size (unless the current one holds no
 * fetch yet): name.warc.gz, name-00001.warc.gz, name-00002.warc.gz, ...
 * (gather_warc_file_name).  o is read during this call only.  NULL with err
 * naming the file on failure. */
struct gather_warc *gather_warc_open(const char *path, uint64_t max_size,
                                     const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen);

/* The same, resuming a crawl (--state): file number file of the rotation
 * is kept up to off bytes (what was committed; the rest is cut off) and
 * written on; later files of the rotation are removed (begun after the
 * commit; with off 0 and file 0, a state never committed, all of them).  A file shorter than off was cut or replaced by
 * someone else: NULL with err saying so (GATHER_E_INVALID). */
struct gather_warc *gather_warc_open_at(const char *path, uint64_t max_size,
                                        const struct gather_opts *o, unsigned cmd,
                                        unsigned file, uint64_t off, char *err, size_t errlen);

/* fdatasync the file being written; *file and *off say where it ends (all
 * earlier files of the rotation were fsynced when left).  0 or
 * GATHER_E_IO with err. */
int gather_warc_sync(struct gather_warc *w, unsigned *file, uint64_t *off, char *err,
                     size_t errlen);

/* Write r's request and response records, each with one write(); nothing
 * when r got no response (status 0 or no resp_head).  A failed write is cut
 * back off the file, so the file always ends after a whole record.
 * Returns 0 or GATHER_E_IO / GATHER_E_NOMEM with err naming the file. */
int gather_warc_write(struct gather_warc *w, const struct gather_result *r,
                      char *err, size_t errlen);

/* fsync, close, free.  0 or GATHER_E_IO with err.  Accepts NULL. */
int gather_warc_close(struct gather_warc *w, char *err, size_t errlen);

/* Name of the n-th file of a rotated WARC (n = 0: path itself); malloc. */
char *gather_warc_file_name(const char *path, unsigned n);

/* "sha1:" + RFC 4648 base32 of SHA-1(p[0..n)) into out (38 bytes with NUL). */
void gather_warc_sha1_label(const void *p, size_t n, char out[38]);

#endif
