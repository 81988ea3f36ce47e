/* url-internal.h — what lib/url.c and lib/url-fast.c share.  Not
 * installed; nothing outside lib/url*.c includes it except tests/test_url.c
 * (to check that the fast path is taken).
 *
 * Thread-safe: pure functions; a gather_url_base is read-only once built. */
#ifndef GATHER_URL_INTERNAL_H
#define GATHER_URL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <uriparser/Uri.h>

#include "url/url.h"

/* Longest input taken at all; far above any real URL (browsers stop near
 * 2 MB, servers near 8 KB) and keeps every pass here cheaply bounded.  The
 * crawl's own, much smaller, limit is opts->max_url_len (lib/scope.c). */
#define URL_MAX_INPUT (1024 * 1024)

/* A base URL parsed once, for many references (a page's links).  Built by
 * gather_url_base_new, then read-only. */
struct gather_url_base {
	UriUriA uri;         /* prepared as given (norm 0): resolve_base */
	char *text;          /* what uri points into */
	UriUriA nuri;        /* prepared with norm 1 (resolve_norm's slow path), */
	char *ntext;         /* only when the base has a '%' and it parsed */
	bool has_nuri;       /* else uri serves (same text) */
	bool nuri_bad;       /* norm 1 did not parse, or the base has a %2E:
	                      * the slow path composes */
	size_t len;          /* strlen of the base as given */
	/* The fast path (url-fast.c), only when the base is its own
	 * normalization (gather_url_normalize(base) == base): */
	char *norm;          /* that string, or NULL (no fast path) */
	size_t norm_len;
	size_t origin_end;   /* "scheme://[userinfo@]host[:port]" */
	size_t dir_end;      /* just after the path's last '/' */
	size_t path_end;     /* the '?' of the query, or norm_len */
	bool userinfo;
};

/* url.c: s[0..n) made acceptable to uriparser (fragment dropped, host to
 * lower-case ASCII, bytes it rejects percent-encoded, and when norm the
 * percent-encodings normalized) and parsed into *uri, which points into
 * *text (free it after uriFreeUriMembersA).  0, GATHER_E_BAD_URL or
 * GATHER_E_NOMEM. */
int url_prepare(const char *s, size_t n, int norm, UriUriA *uri, char **text);
/* Length of a scheme at s followed by ':' (RFC 3986 §3.1), or 0. */
size_t url_scheme_len(const char *s, size_t n);
/* Is uri http(s) with a usable host and port (sets *https, *port), then
 * normalized in place (RFC 3986 §6.2.2: case, percent-encoding, dot
 * segments).  0, GATHER_E_BAD_URL or GATHER_E_NOMEM. */
int url_normal_finish(UriUriA *uri, int *https, unsigned *port);
/* The normalized string of a uri url_normal_finish accepted, into *ret
 * (malloc).  0 or GATHER_E_NOMEM. */
int url_compose_normal(const UriUriA *uri, int https, unsigned port, char **ret);
/* clean_ref on ref[0..n) (browsers' href cleanup: outer C0/space
 * trimmed, TAB/CR/LF removed): a new string, NULL on OOM. */
char *url_clean_ref(const char *ref, size_t n);

/* url-fast.c: whether s[0..n) has a "%2E" (any case): resolve_norm's
 * slow path must then resolve before it decodes, as the composition does. */
bool url_has_pct_dot(const char *s, size_t n);
/* url-fast.c: base_new's part: decide whether b->norm (the normalization
 * of the base, taken over) equals the base, and set the offsets. */
void url_fast_base_init(struct gather_url_base *b, const char *base, char *norm);

/* gather_url_resolve_pair, and *fast = 1 when the string fast path made
 * the strings (no uriparser), else 0.  The slow path is the composition
 * itself: resolve_base, then normalize. */
int url_resolve_pair(const struct gather_url_base *b, const char *ref, size_t n,
                     char **res, char **norm, int *fast);

/* gather_url_parse for a URL already in normal form with nothing to
 * escape (url-fast.c): 1 with *ret filled, exactly as the full parse fills
 * it; 0 when s is not such a URL (take the full parse); GATHER_E_NOMEM. */
int url_parse_fast(const char *s, struct gather_url *ret);
/* gather_url_parse without the fast path (the reference in tests). */
int url_parse_full(const char *s, struct gather_url *ret);

/* gather_url_resolve_norm with *fast as above. */
int url_resolve_norm(const struct gather_url_base *b, const char *ref, size_t n,
                     char **ret, int *fast);

#endif
