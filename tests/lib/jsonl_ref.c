/* jsonl_ref.c — the record encoder gather used before lib/jsonw.c, kept
 * verbatim (a jansson tree of sanitized copies, then json_dumps) as the
 * reference the differential test and the benchmark compare the direct
 * writer with.  Test-only: compiled into tests/test_jsonl and
 * tests/bench/bench_jsonl, never into libgather. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "output/jsonl.h"
#include "jsonl_ref.h"
#include "gather/options.h"
#include "gather/result.h"

#define JSONL_MAX_DEPTH 8

/* A copy of v with every string (and object key) made valid UTF-8; called
 * for a record's extracted fields, which a worker may have built with the
 * _nocheck jansson calls from document bytes. */
static json_t *copy_sanitized(json_t *v, int depth)
{
	if (!v || depth > JSONL_MAX_DEPTH)
		return json_null();
	switch (json_typeof(v)) {
	case JSON_STRING:
		return gather_jsonl_string(json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		json_t *a = json_array();
		size_t i;
		json_t *e;
		if (!a)
			return NULL;
		json_array_foreach(v, i, e) {
			if (json_array_append_new(a, copy_sanitized(e, depth + 1)) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case JSON_OBJECT: {
		json_t *o = json_object();
		const char *k;
		json_t *e;
		if (!o)
			return NULL;
		json_object_foreach(v, k, e) {
			json_t *ks = gather_jsonl_string(k, strlen(k));
			int rc = ks ? json_object_set_new_nocheck(o, json_string_value(ks),
			                                          copy_sanitized(e, depth + 1)) : -1;
			json_decref(ks);
			if (rc < 0) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	default:
		return json_deep_copy(v);
	}
}

static json_t *sha256_hex(const struct gather_result *r)
{
	static const char hex[] = "0123456789abcdef";
	char s[65];

	if (!r->has_sha256)
		return json_null();
	for (size_t i = 0; i < 32; i++) {
		s[2 * i] = hex[r->sha256[i] >> 4];
		s[2 * i + 1] = hex[r->sha256[i] & 15];
	}
	s[64] = '\0';
	return json_string(s);
}

static json_t *message_of(const struct gather_result *r)
{
	if (r->err == 0 && !r->message)
		return json_null();
	if (r->message)
		return gather_jsonl_string_or_null(r->message);
	return json_string(gather_err_text(r->err));
}

/* json_object_set_new that remembers a failure (OOM) in *ok. */
static void put(json_t *o, const char *k, json_t *v, bool *ok)
{
	if (!v || json_object_set_new_nocheck(o, k, v) < 0)
		*ok = false;
}

static json_t *u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static void put_common_head(json_t *o, const struct gather_result *r, bool *ok)
{
	put(o, "status", r->status > 0 ? json_integer(r->status) : json_null(), ok);
	put(o, "error", r->err ? json_string(gather_err_name(r->err)) : json_null(), ok);
	put(o, "message", message_of(r), ok);
}

static json_t *get_record(const struct gather_result *r, bool *ok)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	put(o, "url", gather_jsonl_string_or_null(r->url), ok);
	put(o, "final_url", gather_jsonl_string_or_null(r->final_url), ok);
	put_common_head(o, r, ok);
	put(o, "bytes", u64(r->bytes), ok);
	put(o, "content_type", gather_jsonl_string_or_null(r->content_type), ok);
	put(o, "redirects", json_integer(r->redirects), ok);
	put(o, "attempts", json_integer(r->attempts), ok);
	put(o, "time_ms", u64(r->time_ms), ok);
	if (r->saved)
		put(o, "saved", gather_jsonl_string_or_null(r->saved), ok);
	if (r->processed) {
		put(o, "title", gather_jsonl_string_or_null(r->title), ok);
		put(o, "links", u64(r->n_links_found), ok);
		put(o, "sha256", sha256_hex(r), ok);
		if (r->fields)
			put(o, "fields", copy_sanitized(r->fields, 0), ok);
	}
	return o;
}

static json_t *crawl_record(const struct gather_result *r, bool *ok)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	bool redirected = r->redirects > 0 ||
		(r->final_url && r->url && strcmp(r->final_url, r->url) != 0);

	put(o, "url", gather_jsonl_string_or_null(r->url), ok);
	if (redirected) {
		put(o, "final_url", gather_jsonl_string_or_null(r->final_url), ok);
		put(o, "redirects", json_integer(r->redirects), ok);
	}
	put_common_head(o, r, ok);
	put(o, "depth", json_integer(r->depth), ok);
	put(o, "parent", gather_jsonl_string_or_null(r->parent), ok);
	put(o, "bytes", u64(r->bytes), ok);
	put(o, "content_type", gather_jsonl_string_or_null(r->content_type), ok);
	put(o, "title", gather_jsonl_string_or_null(r->processed ? r->title : NULL), ok);
	put(o, "links", u64(r->processed ? r->n_links_found : 0), ok);
	put(o, "fields", r->processed && r->fields ? copy_sanitized(r->fields, 0) : json_null(), ok);
	put(o, "sha256", sha256_hex(r), ok);
	put(o, "time_ms", u64(r->time_ms), ok);
	if (r->saved)
		put(o, "saved", gather_jsonl_string_or_null(r->saved), ok);
	return o;
}

char *jsonl_ref_record(const struct gather_result *r, unsigned cmd)
{
	bool ok = true;
	json_t *o = cmd == GATHER_CMD_CRAWL ? crawl_record(r, &ok) : get_record(r, &ok);
	char *s = NULL;

	if (o && ok)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
