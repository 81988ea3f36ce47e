/* url-fast.c — a page's links resolved and normalized in one pass.
 *
 * A crawl wants every link as gather_url_normalize(gather_url_resolve(...))
 * gives it; done literally that is two uriparser parses, a resolution and a
 * handful of mallocs per link.  Here:
 *
 *  - the fast path: when the base is already in normal form (decided once,
 *    in gather_url_base_new: the base equals its normalization) and the
 *    reference is plain (unreserved characters, sub-delims, '/', a query,
 *    %XX that normalization either decodes to a letter, digit, '-', '_', '~'
 *    or keeps as it is; no "//" authority, no scheme but the base's own
 *    origin, no whitespace inside), the result is the base's origin, or its
 *    directory, or its path, followed by the reference, with dot segments
 *    removed (RFC 3986 §5.2.4): plain string work, one malloc;
 *  - the slow path for everything else: the reference prepared with
 *    normalized percent-encodings, resolved with uriparser against the base
 *    (prepared the same way), normalized and composed as
 *    gather_url_normalize does (url_normal_finish, url_compose_normal).
 *
 * tests/test_url.c checks both against the literal composition on
 * thousands of generated references.
 *
 * Thread-safe: no state outside the call; the base is only read. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gather/error.h"
#include "util/hex.h"
#include "url/url.h"
#include "url/url-internal.h"

static bool is_unres(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 sub-delims plus ':' and '@': literal in a path or a query, and
 * left alone by normalization. */
static bool is_sub(unsigned c)
{
	switch (c) {
	case '!': case '$': case '&': case '\'': case '(': case ')': case '*':
	case '+': case ',': case ';': case '=': case ':': case '@':
		return true;
	default:
		return false;
	}
}

/* What normalization does to the %XX at s (3 bytes there): 1 decodes it
 * (an unreserved character other than '.', which could make a dot
 * segment), 2 keeps it as it is (upper-case hex of anything else but NUL),
 * 0 something the fast path leaves to uriparser. */
static int pct_kind(const char *s)
{
	int h = gather_hexval((unsigned char)s[1]), l = gather_hexval((unsigned char)s[2]);
	if (h < 0 || l < 0)
		return 0;
	unsigned v = (unsigned)(h * 16 + l);
	if (is_unres(v))
		return v == '.' ? 0 : 1;
	if (v == 0 || (s[1] >= 'a' && s[1] <= 'f') || (s[2] >= 'a' && s[2] <= 'f'))
		return 0;
	return 2;
}

void url_fast_base_init(struct gather_url_base *b, const char *base, char *norm)
{
	b->norm = NULL;
	if (!norm || strcmp(norm, base) != 0) {
		free(norm);
		return;
	}
	size_t len = strlen(norm);
	const char *sep = strstr(norm, "://");
	if (!sep) {
		free(norm);
		return;
	}
	size_t a = (size_t)(sep + 3 - norm), o = a;
	while (o < len && norm[o] != '/' && norm[o] != '?')
		o++;
	if (o == len || norm[o] != '/') {   /* a normalized URL has a path */
		free(norm);
		return;
	}
	size_t q = o;
	while (q < len && norm[q] != '?')
		q++;
	size_t d = q;
	while (norm[d - 1] != '/')
		d--;
	b->norm = norm;
	b->norm_len = len;
	b->origin_end = o;
	b->dir_end = d;
	b->path_end = q;
	b->userinfo = memchr(norm + a, '@', o - a) != NULL;
}

/* RFC 3986 §5.2.4 on p[0..len) (starts with '/'), in place; the new
 * length. */
static size_t remove_dots(char *p, size_t len)
{
	size_t w = 0, r = 0;
	while (r < len) {
		size_t s = r + 1, e = s;
		while (e < len && p[e] != '/')
			e++;
		size_t sl = e - s;
		bool last = e == len;
		if (sl == 1 && p[s] == '.') {
			if (last)
				p[w++] = '/';
		} else if (sl == 2 && p[s] == '.' && p[s + 1] == '.') {
			while (w > 0 && p[w - 1] != '/')
				w--;
			if (w > 0)
				w--;
			if (last)
				p[w++] = '/';
		} else {
			memmove(p + w, p + r, e - r);
			w += e - r;
		}
		r = e;
	}
	if (w == 0)
		p[w++] = '/';
	return w;
}

/* The fast path: 1 with *norm (and *res unless res is NULL; the same
 * pointer when equal) set, 0 when the reference is not plain enough (or
 * the base not normal), GATHER_E_NOMEM. */
static int url_fast(const struct gather_url_base *b, const char *ref, size_t n, char **res,
                    char **norm)
{
	if (!b->norm)
		return 0;
	/* url_clean_ref's trimming, then the fragment goes */
	while (n > 0 && (unsigned char)ref[0] <= 0x20) {
		ref++;
		n--;
	}
	while (n > 0 && (unsigned char)ref[n - 1] <= 0x20)
		n--;
	const char *hash = memchr(ref, '#', n);
	if (hash)
		n = (size_t)(hash - ref);
	if (n > URL_MAX_INPUT / 2 || b->norm_len > URL_MAX_INPUT / 2)
		return 0;
	const char *p = ref, *end = ref + n;
	size_t head;          /* the result starts with norm[0..head) */
	bool rel = false;
	if (n == 0) {
		head = b->norm_len;
	} else if (ref[0] == '?') {
		head = b->path_end;
	} else if (ref[0] == '/') {
		if (n > 1 && ref[1] == '/')
			return 0;
		head = b->origin_end;
	} else if (url_scheme_len(ref, n)) {
		/* only the base's own origin, in any case ("HTTP://Host/") */
		size_t o = b->origin_end;
		if (b->userinfo || n <= o || strncasecmp(ref, b->norm, o) != 0 || ref[o] != '/' ||
		    (n > o + 1 && ref[o + 1] == '/'))
			return 0;
		head = o;
		p = ref + o;
	} else {
		head = b->dir_end;
		rel = true;
	}
	const char *q = NULL;    /* the query's '?' */
	bool slash = !rel, decode = false;
	for (const char *c = p; c < end; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch == '%') {
			int k = end - c >= 3 ? pct_kind(c) : 0;
			if (!k)
				return 0;
			decode |= k == 1;
			c += 2;
		} else if (ch == ':') {
			if (!slash && !q)   /* "a:b" would be a scheme */
				return 0;
		} else if (ch == '/') {
			slash = true;
		} else if (ch == '?') {
			if (!q)
				q = c;
		} else if (!is_unres(ch) && !is_sub(ch)) {
			return 0;
		}
	}
	const char *pe = q ? q : end;
	size_t plen = (size_t)(pe - p);
	char *out = malloc(head + n + 2);
	if (!out)
		return GATHER_E_NOMEM;
	memcpy(out, b->norm, head);
	size_t len = head;
	memcpy(out + len, p, plen);
	len += plen;
	if (plen && memchr(p, '.', plen))
		len = b->origin_end + remove_dots(out + b->origin_end, len - b->origin_end);
	if (len > b->origin_end + 1 && out[b->origin_end + 1] == '/') {
		/* a path starting "//" (after "a/..//b"): uriparser writes it
		 * "/.//", leave that to it */
		free(out);
		return 0;
	}
	memcpy(out + len, pe, (size_t)(end - pe));
	len += (size_t)(end - pe);
	out[len] = '\0';
	if (!decode) {
		if (res)
			*res = out;
		*norm = out;
		return 1;
	}
	if (res) {
		if (!(*res = malloc(len + 1))) {
			free(out);
			return GATHER_E_NOMEM;
		}
		memcpy(*res, out, len + 1);
	}
	/* %XX of an unreserved character decoded (the base, normal, has none) */
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '%') {
			unsigned v = (unsigned)(gather_hexval((unsigned char)out[i + 1]) * 16 +
			                        gather_hexval((unsigned char)out[i + 2]));
			if (is_unres(v)) {
				out[w++] = (char)v;
				i += 2;
				continue;
			}
		}
		out[w++] = out[i];
	}
	out[w] = '\0';
	*norm = out;
	return 1;
}

int url_resolve_pair(const struct gather_url_base *b, const char *ref, size_t n,
                     char **res, char **norm, int *fast)
{
	*res = *norm = NULL;
	*fast = 0;
	if (!b || !ref || (n = strnlen(ref, n)) > URL_MAX_INPUT)
		return GATHER_E_BAD_URL;
	int rc = url_fast(b, ref, n, res, norm);
	if (rc == 1) {
		*fast = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = gather_url_resolve_base_n(b, ref, n, res);
	if (rc)
		return rc;
	rc = gather_url_normalize(*res, norm);
	if (rc == GATHER_E_NOMEM) {
		free(*res);
		*res = NULL;
		return rc;
	}
	return 0;
}

/* Whether s[0..n) has a %2E ('.'), which resolving as given and then
 * normalizing treats as a plain segment, but normalizing first as a dot
 * segment. */
bool url_has_pct_dot(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
			return true;
	return false;
}

/* The definition itself: resolve, then normalize. */
static int resolve_then_normalize(const struct gather_url_base *b, const char *ref, size_t n,
                                  char **ret)
{
	char *res = NULL;
	int rc = gather_url_resolve_base_n(b, ref, n, &res);
	if (rc)
		return rc;
	rc = gather_url_normalize(res, ret);
	free(res);
	return rc;
}

int url_resolve_norm(const struct gather_url_base *b, const char *ref, size_t n, char **ret,
                     int *fast)
{
	*fast = 0;
	if (!b || !ref || (n = strnlen(ref, n)) > URL_MAX_INPUT)
		return GATHER_E_BAD_URL;
	int rc = url_fast(b, ref, n, NULL, ret);
	if (rc == 1)
		*fast = 1;
	if (rc)
		return rc < 0 ? rc : 0;
	/* Where the resolved string could pass URL_MAX_INPUT (normalize's
	 * limit; encoding triples bytes, punycode grows a host), or the base
	 * only parses as given, take the long way, which knows. */
	if (b->nuri_bad || 8 * (b->len + n) + 64 > URL_MAX_INPUT)
		return resolve_then_normalize(b, ref, n, ret);
	char *cref = url_clean_ref(ref, n);
	if (!cref)
		return GATHER_E_NOMEM;
	size_t cl = strlen(cref);
	if (url_has_pct_dot(cref, cl)) {   /* "%2\tE" is one once cleaned */
		free(cref);
		return resolve_then_normalize(b, ref, n, ret);
	}
	UriUriA ur, abs;
	char *tr = NULL;
	size_t sl = url_scheme_len(cref, cl);
	rc = url_prepare(cref, cl, 1, &ur, &tr);
	free(cref);
	if (rc)
		return rc;
	if (!sl && ur.scheme.first) {
		/* "%68ttp:x" decoded to a scheme: as given, uriparser refuses
		 * a ':' in a relative reference's first segment */
		rc = GATHER_E_BAD_URL;
	} else {
		/* the same compat mode as gather_url_resolve_base */
		const UriUriA *bu = b->has_nuri ? &b->nuri : &b->uri;
		int urc = uriAddBaseUriExA(&abs, &ur, bu, URI_RESOLVE_IDENTICAL_SCHEME_COMPAT);
		if (urc != URI_SUCCESS) {
			rc = urc == URI_ERROR_MALLOC ? GATHER_E_NOMEM : GATHER_E_BAD_URL;
		} else {
			int https;
			unsigned port;
			rc = url_normal_finish(&abs, &https, &port);
			if (!rc)
				rc = url_compose_normal(&abs, https, port, ret);
			/* "https:..///h": no host, but the resolved string
			 * "https://h" has one when read again: compose */
			bool again = rc == GATHER_E_BAD_URL && !abs.hostText.first;
			uriFreeUriMembersA(&abs);
			if (again) {
				uriFreeUriMembersA(&ur);
				free(tr);
				return resolve_then_normalize(b, ref, n, ret);
			}
		}
	}
	uriFreeUriMembersA(&ur);
	free(tr);
	return rc;
}

int gather_url_resolve_norm(const struct gather_url_base *base, const char *ref, size_t n,
                            char **ret)
{
	int fast;
	return url_resolve_norm(base, ref, n, ret, &fast);
}

int gather_url_resolve_pair(const struct gather_url_base *base, const char *ref, size_t n,
                            char **res, char **norm)
{
	int fast;
	return url_resolve_pair(base, ref, n, res, norm, &fast);
}

/* --- gather_url_parse's fast path ------------------------------------------ */

/* A path or query segment run of s[i..j): no "." or ".." segment. */
static bool dot_segment(const char *seg, size_t n)
{
	return (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.');
}

int url_parse_fast(const char *s, struct gather_url *ret)
{
	bool https;
	size_t i;
	if (strncmp(s, "http://", 7) == 0)
		https = false, i = 7;
	else if (strncmp(s, "https://", 8) == 0)
		https = true, i = 8;
	else
		return 0;
	size_t h0 = i;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
	       s[i] == '.' || s[i] == '_')
		i++;
	size_t h1 = i;
	if (h1 == h0)
		return 0;
	unsigned port = https ? 443 : 80;
	if (s[i] == ':') {
		/* only a port normalization keeps as written: no leading zero,
		 * not the default, 1..65535 */
		unsigned p = 0;
		size_t p0 = ++i;
		while (s[i] >= '0' && s[i] <= '9' && i - p0 < 5)
			p = p * 10 + (unsigned)(s[i++] - '0');
		if (i == p0 || s[p0] == '0' || p > 65535 || p == port)
			return 0;
		port = p;
	}
	if (s[i] != '/')
		return 0;
	/* path: plain characters, no dot segment; then an optional query */
	size_t t0 = i, seg = i + 1;
	for (i++;; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/' || c == '?' || c == '\0') {
			if (dot_segment(s + seg, i - seg))
				return 0;
			seg = i + 1;
			if (c != '/')
				break;
		} else if (!is_unres(c) && !is_sub(c)) {
			return 0;
		}
	}
	if (s[i] == '?')
		for (i++; s[i]; i++)
			if (!is_unres((unsigned char)s[i]) && !is_sub((unsigned char)s[i]) &&
			    s[i] != '/' && s[i] != '?')
				return 0;
	struct gather_url u = {
		.scheme = strdup(https ? "https" : "http"),
		.host = strndup(s + h0, h1 - h0),
		.port = (uint16_t)port,
		.https = https,
		.ipv6 = false,
		.target = strdup(s + t0),
	};
	if (!u.scheme || !u.host || !u.target) {
		gather_url_clear(&u);
		return GATHER_E_NOMEM;
	}
	*ret = u;
	return 1;
}
