/* sink.h — where records go: JSON lines, WARC/1.1, mirror directory and the
 * -o body directory.  Writing happens on the sink's own writer thread, never
 * on the reactor; put() never blocks. */
#ifndef GATHER_SINK_H
#define GATHER_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "gather/options.h"
#include "gather/result.h"

struct gather_sink;

/* Open the outputs o names (o->jsonl or stdout, o->warc, o->mirror,
 * o->outdir) for records of command cmd (GATHER_CMD_GET: url as given;
 * GATHER_CMD_CRAWL: depth, parent, title, links, fields).  NULL with err
 * naming the file on failure. */
struct gather_sink *gather_sink_open(const struct gather_opts *o, unsigned cmd,
                                     char *err, size_t errlen);

/* GATHER_FETCH_KEEP_BODY / GATHER_FETCH_KEEP_RAW as the outputs need. */
unsigned gather_sink_fetch_flags(const struct gather_sink *s);

/* Hand r to the writer (ownership passes).  Never blocks: GATHER_E_AGAIN,
 * ownership kept by the caller, when the sink's bounded queue is full. */
int gather_sink_put(struct gather_sink *s, struct gather_result *r);
bool gather_sink_full(const struct gather_sink *s);

/* Optional, set before the first put: fn(r, arg) is called on the writer
 * thread for each record once all its outputs are written (its JSON line
 * included), in put order, just before r is freed; r is only lent.  For
 * "written" counters and for marking a URL done only after its record is
 * on disk.  fn must not call back into the sink. */
typedef void (*gather_sink_written_fn)(const struct gather_result *r, void *arg);
void gather_sink_on_written(struct gather_sink *s, gather_sink_written_fn fn, void *arg);

/* Write everything queued, flush, fsync files, join the writer, free.
 * Returns 0 or the first write error (GATHER_E_IO) with err filled. */
int gather_sink_close(struct gather_sink *s, char *err, size_t errlen);

/* The JSON line (no newline) for r, as the sink writes it; malloc'ed,
 * NULL on OOM.  (The sink itself appends lines to its batch buffer with
 * gather_jsonl_record, lib/jsonl.h, without a malloc per record.) */
char *gather_record_json(const struct gather_result *r, unsigned cmd);

#endif
