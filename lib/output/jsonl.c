/* jsonl.c — one result record as one JSON line.
 *
 * Strings that come from the network (URLs, titles, header values, messages,
 * extracted field values) may hold any bytes: each byte that is not part of
 * a well-formed UTF-8 sequence becomes U+FFFD (the WHATWG decoder's choice;
 * Latin-1 mapping would be lossless but would silently change the meaning of
 * the valid UTF-8 around it).  gather_jsonl_string() does that for jansson
 * values; records are written straight into a buffer by lib/jsonw.c, which
 * does the same without copying — a record used to be a jansson tree of
 * copies dumped by json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER), and the
 * line is still exactly what that wrote (tests/test_jsonl.c keeps the old
 * code as a reference and compares).  Key order is the order of the
 * gather_jsonw_keyz calls below. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "output/jsonl.h"
#include "output/jsonw.h"
#include "gather/options.h"
#include "gather/result.h"
#include "output/sink.h"
#include "util/strbuf.h"
#include "util/utf8.h"

/* Nesting of a record's "fields" object we write; deeper values become
 * null (fields are flat: NAME -> string or array of strings). */
#define JSONL_MAX_DEPTH 8

json_t *gather_jsonl_string(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t bad = 0;

	for (size_t i = 0; i < len;) {
		size_t n = gather_utf8_seq(u + i, len - i);
		if (n == 0) {
			bad++;
			n = 1;
		}
		i += n;
	}
	if (bad == 0)
		return json_stringn_nocheck(s, len);

	/* each bad byte (1) becomes EF BF BD (3) */
	char *out = malloc(len + 2 * bad + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = gather_utf8_seq(u + i, len - i);
		if (n == 0) {
			out[o++] = (char)0xEF;
			out[o++] = (char)0xBF;
			out[o++] = (char)0xBD;
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	json_t *j = json_stringn_nocheck(out, o);
	free(out);
	return j;
}

json_t *gather_jsonl_string_or_null(const char *s)
{
	return s ? gather_jsonl_string(s, strlen(s)) : json_null();
}

static void put_sha256(struct gather_jsonw *w, const struct gather_result *r)
{
	static const char hex[] = "0123456789abcdef";
	char s[64];

	if (!r->has_sha256) {
		gather_jsonw_null(w);
		return;
	}
	for (size_t i = 0; i < 32; i++) {
		s[2 * i] = hex[r->sha256[i] >> 4];
		s[2 * i + 1] = hex[r->sha256[i] & 15];
	}
	gather_jsonw_string(w, s, sizeof s);
}

static void put_common_head(struct gather_jsonw *w, const struct gather_result *r)
{
	gather_jsonw_keyz(w, "status");
	if (r->status > 0)
		gather_jsonw_int(w, r->status);
	else
		gather_jsonw_null(w);
	gather_jsonw_keyz(w, "error");
	gather_jsonw_string_or_null(w, r->err ? gather_err_name(r->err) : NULL);
	gather_jsonw_keyz(w, "message");
	if (r->message)
		gather_jsonw_string_or_null(w, r->message);
	else
		gather_jsonw_string_or_null(w, r->err ? gather_err_text(r->err) : NULL);
}

/* "saved": where the body was saved (-o FILE, --output-dir, --mirror),
 * only when it was: a record without a saved body keeps its old shape. */
static void put_saved(struct gather_jsonw *w, const struct gather_result *r)
{
	if (!r->saved)
		return;
	gather_jsonw_keyz(w, "saved");
	gather_jsonw_string_or_null(w, r->saved);
}

static void get_record(struct gather_jsonw *w, const struct gather_result *r)
{
	gather_jsonw_begin_object(w);
	gather_jsonw_keyz(w, "url");
	gather_jsonw_string_or_null(w, r->url);
	gather_jsonw_keyz(w, "final_url");
	gather_jsonw_string_or_null(w, r->final_url);
	put_common_head(w, r);
	gather_jsonw_keyz(w, "bytes");
	gather_jsonw_uint(w, r->bytes);
	gather_jsonw_keyz(w, "content_type");
	gather_jsonw_string_or_null(w, r->content_type);
	gather_jsonw_keyz(w, "redirects");
	gather_jsonw_uint(w, r->redirects);
	gather_jsonw_keyz(w, "attempts");
	gather_jsonw_uint(w, r->attempts);
	gather_jsonw_keyz(w, "time_ms");
	gather_jsonw_uint(w, r->time_ms);
	put_saved(w, r);
	if (r->processed) {
		gather_jsonw_keyz(w, "title");
		gather_jsonw_string_or_null(w, r->title);
		gather_jsonw_keyz(w, "links");
		gather_jsonw_uint(w, r->n_links_found);
		gather_jsonw_keyz(w, "sha256");
		put_sha256(w, r);
		if (r->fields) {
			gather_jsonw_keyz(w, "fields");
			gather_jsonw_json(w, r->fields, JSONL_MAX_DEPTH);
		}
	}
	gather_jsonw_end_object(w);
}

static void crawl_record(struct gather_jsonw *w, const struct gather_result *r)
{
	bool redirected = r->redirects > 0 ||
		(r->final_url && r->url && strcmp(r->final_url, r->url) != 0);

	gather_jsonw_begin_object(w);
	gather_jsonw_keyz(w, "url");
	gather_jsonw_string_or_null(w, r->url);
	if (redirected) {
		gather_jsonw_keyz(w, "final_url");
		gather_jsonw_string_or_null(w, r->final_url);
		gather_jsonw_keyz(w, "redirects");
		gather_jsonw_uint(w, r->redirects);
	}
	put_common_head(w, r);
	gather_jsonw_keyz(w, "depth");
	gather_jsonw_uint(w, r->depth);
	gather_jsonw_keyz(w, "parent");
	gather_jsonw_string_or_null(w, r->parent);
	gather_jsonw_keyz(w, "bytes");
	gather_jsonw_uint(w, r->bytes);
	gather_jsonw_keyz(w, "content_type");
	gather_jsonw_string_or_null(w, r->content_type);
	gather_jsonw_keyz(w, "title");
	gather_jsonw_string_or_null(w, r->processed ? r->title : NULL);
	gather_jsonw_keyz(w, "links");
	gather_jsonw_uint(w, r->processed ? r->n_links_found : 0);
	gather_jsonw_keyz(w, "fields");
	gather_jsonw_json(w, r->processed ? r->fields : NULL, JSONL_MAX_DEPTH);
	gather_jsonw_keyz(w, "sha256");
	put_sha256(w, r);
	gather_jsonw_keyz(w, "time_ms");
	gather_jsonw_uint(w, r->time_ms);
	put_saved(w, r);
	gather_jsonw_end_object(w);
}

int gather_jsonl_record(struct gather_strbuf *b, const struct gather_result *r, unsigned cmd)
{
	size_t start = b->len;
	struct gather_jsonw w;

	if (b->oom)
		return GATHER_E_NOMEM;
	gather_jsonw_init(&w, b);
	if (cmd == GATHER_CMD_CRAWL)
		crawl_record(&w, r);
	else
		get_record(&w, r);
	if (gather_jsonw_ok(&w))
		return 0;
	/* as it was: the line is whole or absent */
	b->oom = false;
	b->len = start;
	if (b->p)
		b->p[start] = '\0';
	return GATHER_E_NOMEM;
}

char *gather_record_json(const struct gather_result *r, unsigned cmd)
{
	/* room for a typical crawl line at once (about 350 bytes) */
	struct gather_strbuf b = { .p = malloc(512), .cap = 512 };

	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	if (gather_jsonl_record(&b, r, cmd) < 0) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
