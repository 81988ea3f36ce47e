/* url.c — URLs per RFC 3986 through uriparser, IDN hosts through libidn2.
 *
 * uriparser is strict RFC 3986: it rejects the spaces, raw non-ASCII bytes,
 * stray '%' and "[]{}|^`<>\"\\" characters that real pages put in links, and
 * knows nothing of IDN.  So every input first goes through url_prepare(),
 * which (1) drops the fragment, (2) converts the host to lower-case ASCII
 * (punycode for IDN, RFC 5891 via libidn2), (3) percent-encodes every byte
 * uriparser would reject outside the host (what browsers do to hrefs), and,
 * when asked, (4) normalizes percent-encodings (RFC 3986 §6.2.2.2: decode
 * unreserved, upper-case hex).  uriparser then does the RFC parsing, the
 * reference resolution (§5.2) and dot-segment removal (§6.2.2.3); the
 * normalized string is composed here so that the port can be
 * canonicalized (§6.2.3: default port and empty port dropped).
 * Resolving and normalizing in one pass (a crawl's links) is in
 * lib/url-fast.c; what the two share is in lib/url-internal.h.
 *
 * Thread-safe: no state outside the call. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <uriparser/Uri.h>

#include "gather/error.h"
#include "util/hex.h"
#include "util/strbuf.h"
#include "url/url.h"
#include "url/url-internal.h"

static void sb_pct(struct gather_strbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char t[3] = { '%', hex[c >> 4], hex[c & 15] };
	gather_strbuf_add(b, t, 3);
}

static void sb_range(struct gather_strbuf *b, const UriTextRangeA *r)
{
	if (r->first && r->afterLast > r->first)
		gather_strbuf_add(b, r->first, (size_t)(r->afterLast - r->first));
}

/* "userinfo@" when there is one, then the host, an IPv6 literal in
 * brackets, as uriparser holds them. */
static void add_userinfo_host(struct gather_strbuf *b, const UriUriA *u)
{
	if (u->userInfo.first) {
		sb_range(b, &u->userInfo);
		gather_strbuf_addc(b, '@');
	}
	if (u->hostData.ip6)
		gather_strbuf_addc(b, '[');
	sb_range(b, &u->hostText);
	if (u->hostData.ip6)
		gather_strbuf_addc(b, ']');
}

static int is_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Characters RFC 3986 allows literally outside the host (unreserved,
 * sub-delims, ':', '@', '/', '?').  '[' and ']' only belong in the host. */
static int is_plain(int c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '-': case '.': case '_': case '~':
	case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+':
	case ',': case ';': case '=': case ':': case '@': case '/': case '?':
		return 1;
	default:
		return 0;
	}
}

/* Called by url_prepare for every byte range outside the authority's host:
 * copies s[0..n) into b, percent-encoding what uriparser would reject and,
 * when norm, decoding %XX of unreserved characters and upper-casing the hex
 * of the others (RFC 3986 §6.2.2.1-2). */
static void encode_part(struct gather_strbuf *b, const char *s, size_t n, int norm)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int h = i + 2 < n ? gather_hexval((unsigned char)s[i + 1]) : -1;
			int l = h >= 0 ? gather_hexval((unsigned char)s[i + 2]) : -1;
			if (h < 0 || l < 0) {
				sb_pct(b, '%');   /* a stray '%' means itself */
				continue;
			}
			int v = h * 16 + l;
			if (norm && is_unreserved(v))
				gather_strbuf_addc(b, (char)v);
			else if (norm)
				sb_pct(b, (unsigned char)v);
			else
				gather_strbuf_add(b, s + i, 3);
			i += 2;
		} else if (is_plain(c)) {
			size_t j = i + 1;
			while (j < n && s[j] != '%' && is_plain((unsigned char)s[j]))
				j++;
			gather_strbuf_add(b, s + i, j - i);
			i = j - 1;
		} else {
			sb_pct(b, c);
		}
	}
}

/* Called by url_prepare with the host part of an authority (no brackets,
 * no port): percent-decodes it, converts IDN to punycode, lower-cases, and
 * accepts only LDH names plus '_' (seen in the wild).  Empty is allowed
 * here (callers decide).  0, GATHER_E_BAD_URL or GATHER_E_NOMEM. */
static int encode_host(struct gather_strbuf *b, const char *s, size_t n)
{
	char *raw = malloc(n + 1);
	if (!raw)
		return GATHER_E_NOMEM;
	size_t m = 0;
	int high = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && gather_hexval((unsigned char)s[i + 1]) >= 0 &&
		    gather_hexval((unsigned char)s[i + 2]) >= 0) {
			c = (unsigned char)(gather_hexval((unsigned char)s[i + 1]) * 16 +
			                    gather_hexval((unsigned char)s[i + 2]));
			i += 2;
		}
		if (c == 0) {
			free(raw);
			return GATHER_E_BAD_URL;
		}
		high |= c >= 0x80;
		raw[m++] = (char)c;
	}
	raw[m] = '\0';
	char *ascii = NULL;
	if (high) {
		/* IDNA2008 (nontransitional) first, as browsers do; UTS#46
		 * transitional as a fallback for names IDNA2008 refuses. */
		int rc = idn2_to_ascii_8z(raw, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			rc = idn2_to_ascii_8z(raw, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
		free(raw);
		if (rc == IDN2_MALLOC)
			return GATHER_E_NOMEM;
		if (rc != IDN2_OK)
			return GATHER_E_BAD_URL;
		raw = ascii;
		m = strlen(raw);
	}
	for (size_t i = 0; i < m; i++) {
		int c = tolower((unsigned char)raw[i]);
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_')) {
			if (ascii)
				idn2_free(raw);
			else
				free(raw);
			return GATHER_E_BAD_URL;
		}
		gather_strbuf_addc(b, (char)c);
	}
	if (ascii)
		idn2_free(raw);
	else
		free(raw);
	return b->oom ? GATHER_E_NOMEM : 0;
}

/* Called by url_prepare for "//authority": userinfo (encoded like a path),
 * host (encode_host, or an IP literal in brackets copied for uriparser to
 * check) and ":port" (copied; checked after parsing). */
static int encode_authority(struct gather_strbuf *b, const char *s, size_t n, int norm)
{
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (at) {
		encode_part(b, s, (size_t)(at - s), norm);
		gather_strbuf_addc(b, '@');
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	size_t hl;
	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (!rb)
			return GATHER_E_BAD_URL;
		hl = (size_t)(rb + 1 - s);
		for (size_t i = 0; i < hl; i++)
			gather_strbuf_addc(b, (char)tolower((unsigned char)s[i]));
	} else {
		const char *colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
		int rc = encode_host(b, s, hl);
		if (rc)
			return rc;
	}
	for (size_t i = hl; i < n; i++) {
		if (i == hl ? s[i] != ':' : !isdigit((unsigned char)s[i]))
			return GATHER_E_BAD_URL;
		gather_strbuf_addc(b, s[i]);
	}
	return 0;
}

size_t url_scheme_len(const char *s, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			return i;
		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/* Turns s[0..n) (a URI or relative reference) into a string uriparser
 * accepts, as described at the top of this file. */
int url_prepare(const char *s, size_t n, int norm, UriUriA *uri, char **text)
{
	if (n > URL_MAX_INPUT)
		return GATHER_E_BAD_URL;
	const char *hash = memchr(s, '#', n);
	if (hash)
		n = (size_t)(hash - s);
	struct gather_strbuf b = { 0 };
	size_t i = url_scheme_len(s, n);
	if (i) {
		for (size_t k = 0; k < i; k++)
			gather_strbuf_addc(&b, (char)tolower((unsigned char)s[k]));
		gather_strbuf_addc(&b, ':');
		i++;
	}
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		size_t end = i + 2;
		while (end < n && s[end] != '/' && s[end] != '?')
			end++;
		gather_strbuf_adds(&b, "//");
		int rc = encode_authority(&b, s + i + 2, end - i - 2, norm);
		if (rc) {
			free(b.p);
			return rc;
		}
		i = end;
	}
	encode_part(&b, s + i, n - i, norm);
	gather_strbuf_adds(&b, "");
	if (b.oom) {
		free(b.p);
		return GATHER_E_NOMEM;
	}
	const char *err = NULL;
	int rc = uriParseSingleUriA(uri, b.p, &err);
	if (rc != URI_SUCCESS) {
		free(b.p);
		return rc == URI_ERROR_MALLOC ? GATHER_E_NOMEM : GATHER_E_BAD_URL;
	}
	*text = b.p;
	return 0;
}

/* Called after parsing/resolving: is uri an http(s) URL with a usable host
 * and port?  Sets *https and *port. */
static int check_http(const UriUriA *uri, int *https, unsigned *port)
{
	size_t sl = (size_t)(uri->scheme.afterLast - uri->scheme.first);
	if (!uri->scheme.first)
		return GATHER_E_BAD_URL;
	if (sl == 4 && strncasecmp(uri->scheme.first, "http", 4) == 0)
		*https = 0;
	else if (sl == 5 && strncasecmp(uri->scheme.first, "https", 5) == 0)
		*https = 1;
	else
		return GATHER_E_BAD_URL;
	if (!uri->hostText.first || uri->hostText.afterLast == uri->hostText.first)
		return GATHER_E_BAD_URL;
	if (uri->hostData.ipFuture.first)
		return GATHER_E_BAD_URL;
	unsigned p = 0;
	if (uri->portText.first && uri->portText.afterLast > uri->portText.first) {
		for (const char *c = uri->portText.first; c < uri->portText.afterLast; c++) {
			if (!isdigit((unsigned char)*c))
				return GATHER_E_BAD_URL;
			p = p * 10 + (unsigned)(*c - '0');
			if (p > 65535)
				return GATHER_E_BAD_URL;
		}
		if (p == 0)
			return GATHER_E_BAD_URL;
	} else {
		p = *https ? 443 : 80;   /* absent or empty (§6.2.3) */
	}
	*port = p;
	return 0;
}

/* Appends path ["?" query] of uri; an empty path becomes "/" when slash
 * (a request-target or a normalized URL), stays empty otherwise (resolve
 * keeps RFC 3986 §5.4's "http://g"). */
static void add_target(struct gather_strbuf *b, const UriUriA *uri, bool slash)
{
	if (!uri->pathHead && slash)
		gather_strbuf_addc(b, '/');
	for (const UriPathSegmentA *seg = uri->pathHead; seg; seg = seg->next) {
		gather_strbuf_addc(b, '/');
		sb_range(b, &seg->text);
	}
	if (uri->query.first) {
		gather_strbuf_addc(b, '?');
		sb_range(b, &uri->query);
	}
}

int url_normal_finish(UriUriA *uri, int *https, unsigned *port)
{
	int rc = check_http(uri, https, port);
	if (rc)
		return rc;
	unsigned mask = URI_NORMALIZE_SCHEME | URI_NORMALIZE_HOST | URI_NORMALIZE_PATH |
	                URI_NORMALIZE_QUERY | URI_NORMALIZE_USER_INFO;
	int nrc = uriNormalizeSyntaxExA(uri, mask);
	if (nrc != URI_SUCCESS)
		return nrc == URI_ERROR_MALLOC ? GATHER_E_NOMEM : GATHER_E_BAD_URL;
	return 0;
}

/* Parses and normalizes s into *uri (owned; free with uriFreeUriMembersA
 * then free(*text)), checks http(s).  Shared by parse and normalize. */
static int url_normal_uri(const char *s, UriUriA *uri, char **text, int *https,
                          unsigned *port)
{
	if (!s)
		return GATHER_E_BAD_URL;
	int rc = url_prepare(s, strlen(s), 1, uri, text);
	if (rc)
		return rc;
	rc = url_normal_finish(uri, https, port);
	if (rc) {
		uriFreeUriMembersA(uri);
		free(*text);
		*text = NULL;
	}
	return rc;
}

int gather_url_parse(const char *s, struct gather_url *ret)
{
	/* Most URLs a crawl starts are its frontier's, normalized already:
	 * taken apart without uriparser (url-fast.c). */
	int rc = s ? url_parse_fast(s, ret) : 0;
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return url_parse_full(s, ret);
}

int url_parse_full(const char *s, struct gather_url *ret)
{
	/* A request line must not carry raw CR/LF; refuse rather than guess. */
	if (!s || strpbrk(s, "\r\n"))
		return GATHER_E_BAD_URL;
	UriUriA uri;
	char *text = NULL;
	int https;
	unsigned port;
	int rc = url_normal_uri(s, &uri, &text, &https, &port);
	if (rc)
		return rc;
	struct gather_strbuf host = { 0 }, target = { 0 }, ui = { 0 };
	sb_range(&host, &uri.hostText);
	sb_range(&ui, &uri.userInfo); /* an empty one ("http://@h/") stays NULL */
	add_target(&target, &uri, true);
	struct gather_url u = {
		.scheme = strdup(https ? "https" : "http"),
		.host = host.p,
		.port = (uint16_t)port,
		.https = https,
		.ipv6 = uri.hostData.ip6 != NULL,
		.target = target.p,
		.userinfo = ui.p,
	};
	uriFreeUriMembersA(&uri);
	free(text);
	if (!u.scheme || host.oom || target.oom || ui.oom || !u.host || !u.target) {
		free(u.scheme);
		free(host.p);
		free(target.p);
		free(ui.p);
		return GATHER_E_NOMEM;
	}
	*ret = u;
	return 0;
}

void gather_url_clear(struct gather_url *u)
{
	if (!u)
		return;
	free(u->scheme);
	free(u->host);
	free(u->target);
	free(u->userinfo);
	memset(u, 0, sizeof *u);
}

int url_compose_normal(const UriUriA *uri, int https, unsigned port, char **ret)
{
	struct gather_strbuf b = { 0 };
	gather_strbuf_adds(&b, https ? "https://" : "http://");
	add_userinfo_host(&b, uri);
	if (port != (https ? 443u : 80u)) {
		char p[8];
		snprintf(p, sizeof p, ":%u", port);
		gather_strbuf_adds(&b, p);
	}
	add_target(&b, uri, true);
	if (b.oom) {
		free(b.p);
		return GATHER_E_NOMEM;
	}
	*ret = b.p;
	return 0;
}

int gather_url_compose(const struct gather_url *u, char **ret)
{
	struct gather_strbuf b = { 0 };
	gather_strbuf_adds(&b, u->https ? "https://" : "http://");
	if (u->userinfo) {
		gather_strbuf_adds(&b, u->userinfo);
		gather_strbuf_addc(&b, '@');
	}
	if (u->ipv6)
		gather_strbuf_addc(&b, '[');
	gather_strbuf_adds(&b, u->host);
	if (u->ipv6)
		gather_strbuf_addc(&b, ']');
	if (u->port != (u->https ? 443u : 80u))
		gather_strbuf_printf(&b, ":%u", (unsigned)u->port);
	gather_strbuf_adds(&b, u->target);
	if (b.oom || !b.p) {
		free(b.p);
		return GATHER_E_NOMEM;
	}
	*ret = b.p;
	return 0;
}

int gather_url_normalize(const char *s, char **ret)
{
	UriUriA uri;
	char *text = NULL;
	int https;
	unsigned port;
	int rc = url_normal_uri(s, &uri, &text, &https, &port);
	if (rc)
		return rc;
	rc = url_compose_normal(&uri, https, port, ret);
	uriFreeUriMembersA(&uri);
	free(text);
	return rc;
}

/* Whether ref (n bytes) is in a WHATWG "special" scheme (http, https, ws,
 * wss, ftp, file), or has no scheme: an href is resolved against a web
 * page, whose scheme is http(s), so a relative one is special too. */
static bool ref_is_special(const char *ref, size_t n)
{
	static const char *const special[] = { "http", "https", "ws", "wss", "ftp", "file" };
	size_t i = 0;

	if (n == 0 || !((ref[0] | 0x20) >= 'a' && (ref[0] | 0x20) <= 'z'))
		return true;
	while (i < n && (((ref[i] | 0x20) >= 'a' && (ref[i] | 0x20) <= 'z') ||
	                 (ref[i] >= '0' && ref[i] <= '9') || ref[i] == '+' ||
	                 ref[i] == '-' || ref[i] == '.'))
		i++;
	if (i == n || ref[i] != ':')
		return true;
	for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++)
		if (strlen(special[k]) == i && strncasecmp(ref, special[k], i) == 0)
			return true;
	return false;
}

/* Browsers' treatment of an href value (WHATWG URL "basic URL parser"):
 * leading and trailing C0 controls and spaces stripped, TAB/CR/LF anywhere
 * removed, and in special schemes a '\' before the query or fragment read
 * as '/' (the authority and path states do so: "\\host\share" is
 * "//host/share"). */
char *url_clean_ref(const char *ref, size_t n)
{
	while (n > 0 && ((unsigned char)ref[0] <= 0x20)) {
		ref++;
		n--;
	}
	while (n > 0 && ((unsigned char)ref[n - 1] <= 0x20))
		n--;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (ref[i] != '\t' && ref[i] != '\r' && ref[i] != '\n')
			out[m++] = ref[i];
	out[m] = '\0';
	if (memchr(out, '\\', m) && ref_is_special(out, m))
		for (size_t i = 0; i < m && out[i] != '?' && out[i] != '#'; i++)
			if (out[i] == '\\')
				out[i] = '/';
	return out;
}

int gather_url_base_new(const char *base, struct gather_url_base **ret)
{
	if (!base)
		return GATHER_E_BAD_URL;
	struct gather_url_base *b = calloc(1, sizeof(*b));
	if (!b)
		return GATHER_E_NOMEM;
	b->len = strlen(base);
	int rc = url_prepare(base, b->len, 0, &b->uri, &b->text);
	if (rc) {
		free(b);
		return rc;
	}
	if (!b->uri.scheme.first) {   /* the base must be absolute */
		gather_url_base_free(b);
		return GATHER_E_BAD_URL;
	}
	/* Only percent-encodings differ between norm 0 and norm 1. */
	if (memchr(base, '%', b->len)) {
		rc = url_prepare(base, b->len, 1, &b->nuri, &b->ntext);
		if (rc == GATHER_E_NOMEM) {
			gather_url_base_free(b);
			return rc;
		}
		b->has_nuri = rc == 0;
		b->nuri_bad = rc != 0 || url_has_pct_dot(base, b->len);
	}
	char *norm = NULL;
	rc = gather_url_normalize(base, &norm);
	if (rc == GATHER_E_NOMEM) {
		gather_url_base_free(b);
		return rc;
	}
	url_fast_base_init(b, base, norm);
	*ret = b;
	return 0;
}

void gather_url_base_free(struct gather_url_base *b)
{
	if (!b)
		return;
	uriFreeUriMembersA(&b->uri);
	free(b->text);
	if (b->has_nuri) {
		uriFreeUriMembersA(&b->nuri);
		free(b->ntext);
	}
	free(b->norm);
	free(b);
}

int gather_url_resolve(const char *base, const char *ref, char **ret)
{
	struct gather_url_base *b = NULL;
	if (!base || !ref || strlen(ref) > URL_MAX_INPUT)
		return GATHER_E_BAD_URL;
	int rc = gather_url_base_new(base, &b);
	if (rc)
		return rc;
	rc = gather_url_resolve_base(b, ref, ret);
	gather_url_base_free(b);
	return rc;
}

int gather_url_resolve_base(const struct gather_url_base *base, const char *ref, char **ret)
{
	if (!base || !ref)
		return GATHER_E_BAD_URL;
	return gather_url_resolve_base_n(base, ref, strlen(ref), ret);
}

int gather_url_resolve_base_n(const struct gather_url_base *base, const char *ref, size_t n,
                              char **ret)
{
	if (!base || !ref || (n = strnlen(ref, n)) > URL_MAX_INPUT)
		return GATHER_E_BAD_URL;
	char *cref = url_clean_ref(ref, n);
	if (!cref)
		return GATHER_E_NOMEM;
	UriUriA ur, abs;
	char *tr = NULL;
	int https;
	unsigned port;
	int rc = url_prepare(cref, strlen(cref), 0, &ur, &tr);
	free(cref);
	if (rc)
		return rc;
	/* Compat mode: "http:g" against an http base is "http://a/b/c/g", the
	 * RFC 3986 §5.4.2 "backward compatibility" reading, which browsers use. */
	int urc = uriAddBaseUriExA(&abs, &ur, &base->uri, URI_RESOLVE_IDENTICAL_SCHEME_COMPAT);
	if (urc != URI_SUCCESS) {
		rc = urc == URI_ERROR_MALLOC ? GATHER_E_NOMEM : GATHER_E_BAD_URL;
	} else {
		struct gather_strbuf b = { 0 };
		if (check_http(&abs, &https, &port) != 0) {
			/* Any other absolute URI (mailto:, "g:h", http with a
			 * bad port...): as uriparser writes it; callers that
			 * want http(s) check (gather_url_parse / normalize). */
			int len = 0;
			if (uriToStringCharsRequiredA(&abs, &len) != URI_SUCCESS || len < 0) {
				rc = GATHER_E_BAD_URL;
			} else if (!(b.p = malloc((size_t)len + 1))) {
				rc = GATHER_E_NOMEM;
			} else if (uriToStringA(b.p, &abs, len + 1, NULL) != URI_SUCCESS) {
				free(b.p);
				rc = GATHER_E_BAD_URL;
			} else {
				*ret = b.p;
			}
		} else {
			/* uriparser keeps the port text as written, so compose
			 * here rather than with uriToStringA. */
			sb_range(&b, &abs.scheme);
			gather_strbuf_adds(&b, "://");
			add_userinfo_host(&b, &abs);
			if (abs.portText.first) {
				gather_strbuf_addc(&b, ':');
				sb_range(&b, &abs.portText);
			}
			add_target(&b, &abs, false);
			if (b.oom) {
				free(b.p);
				rc = GATHER_E_NOMEM;
			} else {
				*ret = b.p;
			}
		}
		uriFreeUriMembersA(&abs);
	}
	uriFreeUriMembersA(&ur);
	free(tr);
	return rc;
}
