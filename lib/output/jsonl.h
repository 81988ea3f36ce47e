/* jsonl.h — records as JSON lines, and strings from the network as valid
 * JSON strings.  Internal to libgather (gather_record_json, the public entry,
 * is declared in sink.h).
 *
 * Thread-safe: pure functions, callable from any thread (a buffer passed in
 * belongs to the calling thread). */
#ifndef GATHER_JSONL_H
#define GATHER_JSONL_H

#include <stddef.h>

#include <jansson.h>

#include "util/strbuf.h"

struct gather_result;

/* Append r's JSON line (no newline) for command cmd (GATHER_CMD_GET or
 * GATHER_CMD_CRAWL) to b: the same bytes as gather_record_json() returns,
 * without a malloc per record once b has grown.  0, or GATHER_E_NOMEM with
 * b as it was before the call (.oom cleared, nothing appended). */
int gather_jsonl_record(struct gather_strbuf *b, const struct gather_result *r, unsigned cmd);

/* A JSON string for the bytes s[0..len) whatever they hold: every byte that
 * is not part of a well-formed UTF-8 sequence (Unicode 15 table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF, no truncated sequence)
 * becomes U+FFFD, one U+FFFD per bad byte.  Control characters are kept;
 * jansson escapes them when dumping.  NULL only on OOM. */
json_t *gather_jsonl_string(const char *s, size_t len);

/* gather_jsonl_string for a C string, or JSON null when s is NULL. */
json_t *gather_jsonl_string_or_null(const char *s);


#endif
