/* robots.h — robots.txt per RFC 9309: parser, matcher, fetch policy and a
 * per-origin cache.
 *
 * Threads: a parsed struct gather_robots is immutable, so matching is safe
 * from any thread; the cache has one owner (the reactor). */
#ifndef GATHER_ROBOTS_H
#define GATHER_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 9309 §2.5: parse at least 500 KiB; we parse exactly that much. */
#define GATHER_ROBOTS_MAX_BYTES (500u * 1024u)
/* Sitemap: lines kept from one file. */
#define GATHER_ROBOTS_MAX_SITEMAPS 1000u
/* How long a fetched robots.txt (2xx, or 4xx: allow all) is trusted:
 * RFC 9309 §2.4 says not more than 24 hours. */
#define GATHER_ROBOTS_TTL_MS (24ull * 3600 * 1000)
/* An unreachable robots.txt (5xx, 429, network error) disallows the whole
 * origin for this long; then it is fetched again (RFC 9309 §2.3.1.4). */
#define GATHER_ROBOTS_RETRY_MS (10ull * 60 * 1000)

struct gather_robots;

/* The rules of body (len bytes; only the first GATHER_ROBOTS_MAX_BYTES are
 * read) that apply to the product token of user_agent: the token is
 * user_agent up to the first character that is not a letter, '-' or '_'
 * ("gather/1.0 (+http://x)" → "gather"), matched case-insensitively; the
 * '*' groups apply when no group names it.  NULL on OOM only: any input
 * parses. */
struct gather_robots *gather_robots_parse(const char *body, size_t len,
                                          const char *user_agent);
/* Fixed policies: everything allowed / everything disallowed. */
struct gather_robots *gather_robots_allow_all(void);
struct gather_robots *gather_robots_disallow_all(void);
/* True for the rules of an unreachable robots.txt (disallow_all), with
 * why: the fetch's error code (dns, connect, ...) or else its HTTP status
 * (0 when the rules were made by gather_robots_disallow_all directly), so a
 * refusal can say why. */
bool gather_robots_blocks_all(const struct gather_robots *r, int *ret_err, int *ret_status);
void gather_robots_free(struct gather_robots *r);   /* accepts NULL */

/* Does r allow url?  url is a request-target ("/path?query") or an
 * absolute URL (its target is used).  Longest matching pattern wins, Allow
 * wins a tie, "*" and a final "$" as in RFC 9309 §2.2.3, percent-encoding
 * compared normalized (§2.2.2).  "/robots.txt" is always allowed. */
bool gather_robots_allowed(const struct gather_robots *r, const char *url);

/* Crawl-delay of the matched group in ms, at most cap_ms; 0 if none. */
uint64_t gather_robots_crawl_delay_ms(const struct gather_robots *r, uint64_t cap_ms);

/* Sitemap: URLs of the whole file (every group), in order.  The array and
 * strings belong to r. */
size_t gather_robots_sitemaps(const struct gather_robots *r, const char *const **ret);

/* The rules to use after fetching /robots.txt (RFC 9309 §2.3.1): err is the
 * fetch's gather_err (0 if a response came), status its HTTP status.
 * 2xx → parsed; too many redirects and 4xx except 429 → allow all ("unavailable");
 * 429, 5xx and network errors → disallow all ("unreachable").  Sets
 * *ret_ttl_ms to how long to keep the answer.  NULL on OOM. */
struct gather_robots *gather_robots_for_response(int err, int status, const char *body,
                                                 size_t len, const char *user_agent,
                                                 uint64_t *ret_ttl_ms);

/* The origin ("scheme://host[:port]") of an absolute URL: sets *len,
 * NULL if url has none. */
const char *gather_robots_origin(const char *url, size_t *len);

/* A cache of rules per origin. */
struct gather_robots_cache;
struct gather_robots_cache *gather_robots_cache_new(void);
void gather_robots_cache_free(struct gather_robots_cache *c);   /* accepts NULL */
/* The rules for url's origin if cached and not expired at now_ms, else NULL
 * (then fetch robots.txt).  The result belongs to the cache and stays
 * valid until the next put for that origin or the cache's free. */
const struct gather_robots *gather_robots_cache_get(struct gather_robots_cache *c,
                                                    const char *url, uint64_t now_ms);
/* Store r (taken over, even on error) for url's origin until
 * now_ms + ttl_ms.  0, GATHER_E_BAD_URL or GATHER_E_NOMEM. */
int gather_robots_cache_put(struct gather_robots_cache *c, const char *url,
                            struct gather_robots *r, uint64_t now_ms, uint64_t ttl_ms);

#endif
