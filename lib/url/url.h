/* url.h — URLs per RFC 3986, through uriparser.
 *
 * Thread-safe: pure functions, callable from any thread. */
#ifndef GATHER_URL_H
#define GATHER_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An absolute http or https URL taken apart for a request. */
struct gather_url {
	char *scheme;   /* "http" or "https" */
	char *host;     /* lower case; IPv6 literal without brackets; IDN as punycode */
	uint16_t port;  /* explicit, or 80 / 443 */
	bool https;
	bool ipv6;      /* host is an IPv6 literal (needs brackets in Host:) */
	char *target;   /* request-target: path ["?" query], never empty ("/"),
	                 * no fragment, CR/LF/space/controls/non-ASCII percent-encoded */
	char *userinfo; /* "user[:password]" as in the URL (percent-encoded), NULL
	                 * when none: credentials for Basic auth, never shown */
};

/* Parse s (absolute http/https with a host) into ret.  Returns 0, or
 * GATHER_E_BAD_URL (ret untouched) for anything else, including other
 * schemes, userinfo-only hosts, bad ports, raw CR/LF, empty host. */
int gather_url_parse(const char *s, struct gather_url *ret);
/* Free what u owns; u is left zeroed.  Accepts a zeroed struct. */
void gather_url_clear(struct gather_url *u);

/* Resolve ref against the absolute base per RFC 3986 §5.2, drop the
 * fragment; *ret is a new absolute URL string (malloc).  Leading and trailing
 * whitespace of ref is stripped and TAB/CR/LF inside it removed (HTML
 * attribute values, as browsers do); spaces and non-ASCII bytes come out
 * percent-encoded, IDN hosts as punycode.  Any scheme may come out
 * ("mailto:x", RFC 3986 §5.4.1's "g:h"): callers wanting http(s) check with
 * gather_url_parse or gather_url_normalize.  "http:g" against an http base
 * is read as "g" (§5.4.2's backward-compatible reading, as browsers do).
 * Returns 0 or GATHER_E_BAD_URL / GATHER_E_NOMEM. */
int gather_url_resolve(const char *base, const char *ref, char **ret);

/* The same with the base parsed once (a page's many links): new parses
 * base (0, GATHER_E_BAD_URL when it is not absolute, GATHER_E_NOMEM);
 * resolve_base gives what gather_url_resolve(base, ref) gives; free
 * accepts NULL.  A parsed base is read-only: any thread may use it. */
struct gather_url_base;
int gather_url_base_new(const char *base, struct gather_url_base **ret);
int gather_url_resolve_base(const struct gather_url_base *base, const char *ref, char **ret);
void gather_url_base_free(struct gather_url_base *base);
/* resolve_base on ref[0..n) (up to a NUL), with no copy of ref needed. */
int gather_url_resolve_base_n(const struct gather_url_base *base, const char *ref, size_t n,
                              char **ret);

/* Resolve and normalize in one pass (a crawl's links): *ret gets exactly
 * what gather_url_normalize(gather_url_resolve_base(base, ref)) gives, for
 * ref[0..n) (up to a NUL); GATHER_E_BAD_URL where that composition fails
 * (any result that is not http(s) included), GATHER_E_NOMEM.  Plain
 * references against a base already in normal form (the usual page) are
 * built by string concatenation, without uriparser (lib/url-fast.c). */
int gather_url_resolve_norm(const struct gather_url_base *base, const char *ref, size_t n,
                            char **ret);
/* Both at once, for callers that need the resolved string as well (a
 * page's links are told apart as resolved, lib/html-links.c): *res gets
 * what gather_url_resolve_base gives, *norm what gather_url_resolve_norm
 * gives or NULL where that fails.  Both are the caller's; *norm may be the
 * same pointer as *res (free it once).  Returns 0 (*res set),
 * GATHER_E_BAD_URL (resolution failed; both NULL) or GATHER_E_NOMEM. */
int gather_url_resolve_pair(const struct gather_url_base *base, const char *ref, size_t n,
                            char **res, char **norm);

/* The URL a request for u asks for, as one string (malloc):
 * "scheme://[userinfo@]host[:port]target", the port only when not the
 * scheme's default, an IPv6 host in brackets.  Since the parse normalizes,
 * this is gather_url_normalize() of what u was parsed from (but an empty
 * userinfo, "http://@h/", which sends nothing): what a record shows as
 * final_url is what was sent (no dot segments, no fragment).
 * 0 or GATHER_E_NOMEM. */
int gather_url_compose(const struct gather_url *u, char **ret);

/* Normalize per RFC 3986 §6: lower-case scheme and host, default port
 * dropped, dot segments removed, percent-encoding normalized (unreserved
 * decoded, hex upper-cased), fragment dropped, empty path → "/", IDN host to
 * punycode.  Only http/https.  Returns 0 with a new string in *ret, or
 * GATHER_E_BAD_URL / GATHER_E_NOMEM. */
int gather_url_normalize(const char *s, char **ret);

/* Where a normalized URL lives, found without a parse (lib/url/origin.c);
 * each returns a pointer into url and sets *len, or NULL when there is no
 * "scheme://authority":
 *   host_port  "host[:port]", userinfo skipped: the frontier's politeness unit
 *   host_of    "host" (an IPv6 literal with its brackets): the scope's
 *   origin_of  "scheme://[userinfo@]host[:port]": robots.txt's */
const char *gather_url_host_port(const char *url, size_t *len);
const char *gather_url_host_of(const char *url, size_t *len);
const char *gather_url_origin_of(const char *url, size_t *len);

/* Passwords out of sight (records, WARC headers, log lines): every
 * "scheme://user:password@" in the text s (a URL, or a message holding
 * URLs) becomes "scheme://user:***@".  Returns 1 with a new string in *ret,
 * 0 when s shows no password (*ret untouched), or GATHER_E_NOMEM. */
int gather_url_redact(const char *s, char **ret);
/* The same in place: *s (malloc, may be NULL) replaced when it changes.
 * 0 or GATHER_E_NOMEM (*s left as it was). */
int gather_url_redact_field(char **s);
/* Every URL-bearing text field of a record: url, final_url, parent and
 * message.  Call it where a record leaves the engine for output (not before
 * its links are taken: a password-less final_url would resolve them
 * without their credentials).  0 or GATHER_E_NOMEM. */
struct gather_result;
int gather_url_redact_result(struct gather_result *r);

#endif
