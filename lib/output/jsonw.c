/* jsonw.c — see jsonw.h.
 *
 * The escapes are jansson 2.14's dump_string() without JSON_ENSURE_ASCII
 * and without JSON_ESCAPE_SLASH (the flags gather never used): only '"',
 * '\\' and bytes below 0x20 are escaped.  The differential test in
 * tests/test_jsonl.c holds this writer to jansson's output. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "output/jsonl.h"
#include "output/jsonw.h"
#include "util/utf8.h"

/* One byte, inline when there is room (the common case). */
static inline void put1(struct gather_strbuf *b, char c)
{
	if (b->len + 2 <= b->cap && !b->oom) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
	} else {
		gather_strbuf_add(b, &c, 1);
	}
}

static inline void putn(struct gather_strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 <= b->cap && !b->oom) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else {
		gather_strbuf_add(b, s, n);
	}
}

/* The escape of c (< 0x20, '"' or '\\'), as jansson writes it. */
static void put_escape(struct gather_strbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"': putn(b, "\\\"", 2); break;
	case '\\': putn(b, "\\\\", 2); break;
	case '\b': putn(b, "\\b", 2); break;
	case '\f': putn(b, "\\f", 2); break;
	case '\n': putn(b, "\\n", 2); break;
	case '\r': putn(b, "\\r", 2); break;
	case '\t': putn(b, "\\t", 2); break;
	default: putn(b, e, sizeof e); break;
	}
}

/* The first i' >= i such that u[i'..i'+8) holds a byte that is not plain
 * ASCII (below 0x20, '"', '\\' or 0x80 and up), or fewer than 8 bytes are
 * left: eight bytes per step (the "has a zero byte" trick of Bit Twiddling
 * Hacks, exact as a yes/no, which is all that is asked of it). */
static inline size_t skip_plain8(const unsigned char *u, size_t i, size_t len)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t highs = UINT64_C(0x8080808080808080);

	while (len - i >= 8) {
		uint64_t x, q, bs;
		memcpy(&x, u + i, 8);
		q = x ^ (ones * '"');
		bs = x ^ (ones * '\\');
		if ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs)
			break;
		i += 8;
	}
	return i;
}

/* s[0..len) quoted: runs of bytes that need nothing are copied whole. */
static void put_string(struct gather_strbuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0; /* start of the run not yet copied */

	put1(b, '"');
	for (size_t i = 0; i < len;) {
		i = skip_plain8(u, i, len);
		if (i == len)
			break;
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = gather_utf8_seq(u + i, len - i);
			if (n > 0) {
				i += n;
				continue;
			}
		}
		putn(b, s + run, i - run);
		if (c >= 0x80)
			putn(b, "\xEF\xBF\xBD", 3); /* U+FFFD for the bad byte */
		else
			put_escape(b, c);
		run = ++i;
	}
	putn(b, s + run, len - run);
	put1(b, '"');
}

/* Digits of v, no sign. */
static void put_u64(struct gather_strbuf *b, uint64_t v)
{
	char d[20];
	size_t i = sizeof d;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	putn(b, d + i, sizeof d - i);
}

/* Before a value or key: the comma, unless first in its container or the
 * value of a key just written. */
static void sep(struct gather_jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	uint64_t bit = UINT64_C(1) << w->depth;
	if (w->has_member & bit)
		put1(w->b, ',');
	else
		w->has_member |= bit;
}

void gather_jsonw_init(struct gather_jsonw *w, struct gather_strbuf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

bool gather_jsonw_ok(const struct gather_jsonw *w)
{
	return !w->b->oom && !w->bad && w->depth == 0 && !w->after_key;
}

static void begin(struct gather_jsonw *w, char c)
{
	sep(w);
	if (w->depth >= GATHER_JSONW_MAX_DEPTH) {
		w->bad = true;
		return;
	}
	put1(w->b, c);
	w->depth++;
	w->has_member &= ~(UINT64_C(1) << w->depth);
}

static void end(struct gather_jsonw *w, char c)
{
	if (w->depth == 0 || w->after_key) {
		w->bad = true;
		return;
	}
	put1(w->b, c);
	w->depth--;
}

void gather_jsonw_begin_object(struct gather_jsonw *w)
{
	begin(w, '{');
}

void gather_jsonw_end_object(struct gather_jsonw *w)
{
	end(w, '}');
}

void gather_jsonw_begin_array(struct gather_jsonw *w)
{
	begin(w, '[');
}

void gather_jsonw_end_array(struct gather_jsonw *w)
{
	end(w, ']');
}

void gather_jsonw_key(struct gather_jsonw *w, const char *s, size_t len)
{
	sep(w);
	put_string(w->b, s, len);
	put1(w->b, ':');
	w->after_key = true;
}

void gather_jsonw_keyz(struct gather_jsonw *w, const char *k)
{
	gather_jsonw_key(w, k, strlen(k));
}

void gather_jsonw_string(struct gather_jsonw *w, const char *s, size_t len)
{
	sep(w);
	put_string(w->b, s, len);
}

void gather_jsonw_null(struct gather_jsonw *w)
{
	sep(w);
	putn(w->b, "null", 4);
}

void gather_jsonw_string_or_null(struct gather_jsonw *w, const char *s)
{
	if (s)
		gather_jsonw_string(w, s, strlen(s));
	else
		gather_jsonw_null(w);
}

void gather_jsonw_bool(struct gather_jsonw *w, bool v)
{
	sep(w);
	if (v)
		putn(w->b, "true", 4);
	else
		putn(w->b, "false", 5);
}

void gather_jsonw_int(struct gather_jsonw *w, int64_t v)
{
	sep(w);
	if (v < 0) {
		put1(w->b, '-');
		put_u64(w->b, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(w->b, (uint64_t)v);
	}
}

void gather_jsonw_uint(struct gather_jsonw *w, uint64_t v)
{
	sep(w);
	put_u64(w->b, v > INT64_MAX ? INT64_MAX : v);
}

/* --- jansson values ------------------------------------------------------ */

static void put_json(struct gather_jsonw *w, json_t *v, int depth, int max);

/* True when key k (klen bytes, jansson's own length) reaches the output as
 * is: no NUL (the former copy keyed by C string) and valid UTF-8. */
static bool key_clean(const char *k, size_t klen)
{
	const unsigned char *u = (const unsigned char *)k;

	for (size_t i = 0; i < klen;) {
		size_t n = u[i] ? gather_utf8_seq(u + i, klen - i) : 0;
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* k up to its first NUL, made valid UTF-8, into a fresh buffer (the rare
 * path of objects with unclean keys). */
static char *key_sanitized(const char *k)
{
	const unsigned char *u = (const unsigned char *)k;
	size_t len = strlen(k);
	struct gather_strbuf s = { 0 };

	gather_strbuf_add(&s, "", 0);
	for (size_t i = 0; i < len;) {
		size_t n = gather_utf8_seq(u + i, len - i);
		if (n == 0) {
			gather_strbuf_add(&s, "\xEF\xBF\xBD", 3);
			i++;
		} else {
			gather_strbuf_add(&s, k + i, n);
			i += n;
		}
	}
	if (s.oom) {
		free(s.p);
		return NULL;
	}
	return s.p;
}

/* An object some of whose keys change when sanitized, so two may become
 * one: each distinct sanitized key at its first member's place, with its
 * last member's value (json_object_set replaces a value in place). */
static void put_object_merged(struct gather_jsonw *w, json_t *v, int depth, int max)
{
	size_t n = json_object_size(v), i = 0;
	char **keys = calloc(n ? n : 1, sizeof *keys);
	json_t **vals = calloc(n ? n : 1, sizeof *vals);
	const char *k;
	json_t *e;

	if (!keys || !vals)
		goto oom;
	json_object_foreach(v, k, e) {
		if (i == n)
			break;
		keys[i] = key_sanitized(k);
		vals[i] = e;
		if (!keys[i++])
			goto oom;
	}
	n = i;
	for (i = 0; i < n; i++) {
		size_t j, last = i;
		for (j = 0; j < i && strcmp(keys[j], keys[i]) != 0; j++)
			;
		if (j < i)
			continue; /* written at its first place */
		for (j = i + 1; j < n; j++)
			if (strcmp(keys[j], keys[i]) == 0)
				last = j;
		gather_jsonw_key(w, keys[i], strlen(keys[i]));
		put_json(w, vals[last], depth + 1, max);
	}
	goto done;
oom:
	w->b->oom = true;
done:
	for (i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(vals);
}

static void put_object(struct gather_jsonw *w, json_t *v, int depth, int max)
{
	const char *k;
	size_t klen;
	json_t *e;
	bool clean = true;

	json_object_keylen_foreach(v, k, klen, e) {
		if (!key_clean(k, klen)) {
			clean = false;
			break;
		}
	}
	gather_jsonw_begin_object(w);
	if (clean) {
		json_object_keylen_foreach(v, k, klen, e) {
			gather_jsonw_key(w, k, klen);
			put_json(w, e, depth + 1, max);
		}
	} else {
		put_object_merged(w, v, depth, max);
	}
	gather_jsonw_end_object(w);
}

/* A real as jansson formats it (precision 17, ".0" added, locale-proof):
 * rare in records, so jansson does it. */
static void put_real(struct gather_jsonw *w, json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	sep(w);
	if (!s) {
		w->b->oom = true;
		return;
	}
	putn(w->b, s, strlen(s));
	free(s);
}

static void put_json(struct gather_jsonw *w, json_t *v, int depth, int max)
{
	if (!v || depth > max) {
		gather_jsonw_null(w);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		gather_jsonw_string(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		gather_jsonw_begin_array(w);
		json_array_foreach(v, i, e)
			put_json(w, e, depth + 1, max);
		gather_jsonw_end_array(w);
		break;
	}
	case JSON_OBJECT:
		put_object(w, v, depth, max);
		break;
	case JSON_INTEGER:
		gather_jsonw_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(w, v);
		break;
	case JSON_TRUE:
		gather_jsonw_bool(w, true);
		break;
	case JSON_FALSE:
		gather_jsonw_bool(w, false);
		break;
	default:
		gather_jsonw_null(w);
		break;
	}
}

void gather_jsonw_json(struct gather_jsonw *w, json_t *v, int max_depth)
{
	put_json(w, v, 0, max_depth);
}
