/* jsonw.h — a small streaming JSON writer that appends to a gather_strbuf.
 *
 * It writes what jansson's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER)
 * writes for the same values, byte for byte, so a record built with it is
 * the line gather always wrote: no spaces; in strings '"' and '\\' escaped,
 * \b \f \n \r \t by name, every other byte below 0x20 as \u00XX (upper-case
 * hex), everything else — '/', DEL, U+2028, any non-ASCII — as is; integers
 * in decimal.  Strings are made valid UTF-8 the way gather_jsonl_string does
 * (one U+FFFD per byte outside a well-formed sequence), without copying.
 *
 * Commas are the writer's business: a caller writes keys and values in
 * order and never a separator.  Nothing is allocated but the buffer's own
 * growth; on OOM the buffer's .oom is set and later calls do nothing, so a
 * caller checks gather_jsonw_ok() once at the end.
 *
 * Thread-safety: a writer and its buffer belong to one thread at a time. */
#ifndef GATHER_JSONW_H
#define GATHER_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/strbuf.h"

/* Containers nested deeper than this make the writer fail (.bad). */
#define GATHER_JSONW_MAX_DEPTH 63

struct gather_jsonw {
	struct gather_strbuf *b;  /* appended to; owned by the caller */
	unsigned depth;           /* containers open */
	uint64_t has_member;      /* bit d: the container at depth d has one */
	bool after_key;           /* a key was written, its value is next */
	bool bad;                 /* misuse (too deep, unbalanced end) */
};

/* Start writing at the end of b (which may already hold text). */
void gather_jsonw_init(struct gather_jsonw *w, struct gather_strbuf *b);
/* True when everything was written: no OOM, no misuse, all closed. */
bool gather_jsonw_ok(const struct gather_jsonw *w);

void gather_jsonw_begin_object(struct gather_jsonw *w);
void gather_jsonw_end_object(struct gather_jsonw *w);
void gather_jsonw_begin_array(struct gather_jsonw *w);
void gather_jsonw_end_array(struct gather_jsonw *w);

/* An object key: the bytes s[0..len), sanitized and escaped like a string. */
void gather_jsonw_key(struct gather_jsonw *w, const char *s, size_t len);
/* A key that is a C string literal (escaped all the same). */
void gather_jsonw_keyz(struct gather_jsonw *w, const char *k);

/* The bytes s[0..len) as a JSON string (see the file comment). */
void gather_jsonw_string(struct gather_jsonw *w, const char *s, size_t len);
/* A C string, or null when s is NULL. */
void gather_jsonw_string_or_null(struct gather_jsonw *w, const char *s);
void gather_jsonw_null(struct gather_jsonw *w);
void gather_jsonw_bool(struct gather_jsonw *w, bool v);
void gather_jsonw_int(struct gather_jsonw *w, int64_t v);
/* v capped at INT64_MAX, as json_integer would hold it. */
void gather_jsonw_uint(struct gather_jsonw *w, uint64_t v);

/* A jansson value as jsonl.c's former copy-then-json_dumps wrote it:
 * strings and object keys sanitized; NULL, and any value nested deeper than
 * max_depth (v itself is at depth 0), written as null; object members whose
 * sanitized keys collide merged the way json_object_set merged them (first
 * one's position, last one's value).  Reals are formatted by jansson. */
void gather_jsonw_json(struct gather_jsonw *w, json_t *v, int max_depth);

#endif
