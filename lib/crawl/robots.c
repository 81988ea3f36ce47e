/* robots.c — RFC 9309 robots.txt (see robots.h).
 *
 * Parsing follows RFC 9309 §2.1-2.2 and the behaviour of Google's
 * open-source parser where the RFC leaves room: keys are case-insensitive
 * and a few common misspellings are accepted ("useragent", "dissallow"...);
 * a line without ':' is split at whitespace ("disallow /"); lines the
 * parser does not know, Sitemap: lines and blank lines do not end a group;
 * rules before the first user-agent line belong to no group; several
 * groups naming our token are merged (§2.2.1), as are several '*' groups.
 *
 * Matching: greedy left-most matching of the '*'-separated pattern pieces
 * (correct for patterns with only '*' wildcards, and linear in the path),
 * so a hostile file full of '*' cannot make matching quadratic. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "util/hex.h"
#include "crawl/robots.h"
#include "util/seen.h"
#include "util/u64map.h"
#include "url/url.h"

struct rule {
	char *pat;      /* percent-encoding normalized */
	size_t len;
	bool allow;
};

struct rules {
	struct rule *v;
	size_t n, cap;
	double delay_s;   /* < 0: none */
	bool named;       /* a group named this agent (possibly empty) */
};

enum robots_mode { R_RULES, R_ALLOW_ALL, R_DISALLOW_ALL };

struct gather_robots {
	enum robots_mode mode;
	int why_err;           /* disallow_all from a fetch error: its code */
	int why_status;        /* ... or from this HTTP status */
	struct rules use;      /* the group(s) that apply */
	char **sitemap;
	size_t nsitemap;
};

/* ---- percent-encoding ----------------------------------------------------- */

static bool unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Normalizes s[0..n) for comparison (RFC 9309 §2.2.2 with RFC 3986 §6.2.2):
 * %XX of unreserved characters decoded, other %XX upper-cased, octets
 * outside printable ASCII percent-encoded.  A new string or NULL. */
static char *pct_norm(const char *s, size_t n, size_t *ret_len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(3 * n + 1);
	if (!out)
		return NULL;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && gather_hexval((unsigned char)s[i + 1]) >= 0 &&
		    gather_hexval((unsigned char)s[i + 2]) >= 0) {
			int v = gather_hexval((unsigned char)s[i + 1]) * 16 + gather_hexval((unsigned char)s[i + 2]);
			i += 2;
			if (unreserved(v)) {
				out[m++] = (char)v;
				continue;
			}
			c = (unsigned char)v;
		} else if (c > 0x20 && c < 0x7f) {
			out[m++] = (char)c;
			continue;
		}
		out[m++] = '%';
		out[m++] = hex[c >> 4];
		out[m++] = hex[c & 15];
	}
	out[m] = '\0';
	*ret_len = m;
	return out;
}

/* ---- matching ------------------------------------------------------------- */

/* Does pat (with '*' and a final '$') match a prefix of path (the whole
 * path with '$')?  RFC 9309 §2.2.3. */
static bool pat_match(const char *pat, size_t plen, const char *path, size_t n)
{
	bool anchored = plen > 0 && pat[plen - 1] == '$';
	if (anchored)
		plen--;
	size_t pos = 0, i = 0;
	for (bool first = true;; first = false) {
		size_t j = i;
		while (j < plen && pat[j] != '*')
			j++;
		size_t sl = j - i;
		bool last = j == plen;
		if (last && anchored) {
			if (first)
				return n == sl && memcmp(path, pat + i, sl) == 0;
			return sl <= n - pos && memcmp(path + n - sl, pat + i, sl) == 0;
		}
		if (first) {
			if (sl > n || memcmp(path, pat + i, sl) != 0)
				return false;
			pos = sl;
		} else if (sl) {
			const char *hit = memmem(path + pos, n - pos, pat + i, sl);
			if (!hit)
				return false;
			pos = (size_t)(hit - path) + sl;
		}
		if (last)
			return true;
		i = j + 1;
	}
}

/* The request-target of url: url itself if it starts with '/', else what
 * follows the authority ("" if nothing: then "/"). */
static const char *target_of(const char *url)
{
	if (url[0] == '/')
		return url;
	const char *p = strstr(url, "://");
	if (!p)
		return url;
	p += 3;
	p += strcspn(p, "/?#");
	return *p == '#' ? "" : p;
}

bool gather_robots_allowed(const struct gather_robots *r, const char *url)
{
	if (!url)
		return false;
	const char *t = target_of(url);
	size_t tl = strcspn(t, "#");
	if (tl == 0)
		t = "/", tl = 1;
	if (tl == 11 && memcmp(t, "/robots.txt", 11) == 0)
		return true;   /* §2.2.2: implicitly allowed */
	if (r->mode != R_RULES)
		return r->mode == R_ALLOW_ALL;
	size_t n;
	char *path = pct_norm(t, tl, &n);
	if (!path)
		return false;   /* OOM: err on the side of not fetching */
	size_t best = 0;
	bool found = false, allow = true;
	for (size_t i = 0; i < r->use.n; i++) {
		const struct rule *ru = &r->use.v[i];
		if (found && (ru->len < best || (ru->len == best && !ru->allow)))
			continue;
		if (!pat_match(ru->pat, ru->len, path, n))
			continue;
		if (!found || ru->len > best) {
			best = ru->len;
			allow = ru->allow;
			found = true;
		} else {
			allow = true;   /* same length, and an Allow: it wins (§2.2.2) */
		}
	}
	free(path);
	return allow;
}

/* ---- parsing -------------------------------------------------------------- */

enum key { K_OTHER, K_UA, K_ALLOW, K_DISALLOW, K_SITEMAP, K_DELAY };

static enum key key_of(const char *k, size_t n)
{
	static const struct { const char *name; enum key key; } keys[] = {
		{ "user-agent", K_UA }, { "useragent", K_UA }, { "user agent", K_UA },
		{ "allow", K_ALLOW },
		{ "disallow", K_DISALLOW }, { "dissallow", K_DISALLOW },
		{ "dissalow", K_DISALLOW }, { "disalow", K_DISALLOW },
		{ "diasllow", K_DISALLOW }, { "disallaw", K_DISALLOW },
		{ "sitemap", K_SITEMAP }, { "site-map", K_SITEMAP },
		{ "crawl-delay", K_DELAY }, { "crawldelay", K_DELAY }, { "crawl delay", K_DELAY },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i].name) == n && strncasecmp(keys[i].name, k, n) == 0)
			return keys[i].key;
	return K_OTHER;
}

static int rules_add(struct rules *rs, const char *v, size_t n, bool allow)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct rule *nv = realloc(rs->v, cap * sizeof *nv);
		if (!nv)
			return GATHER_E_NOMEM;
		rs->v = nv;
		rs->cap = cap;
	}
	struct rule *ru = &rs->v[rs->n];
	ru->pat = pct_norm(v, n, &ru->len);
	if (!ru->pat)
		return GATHER_E_NOMEM;
	ru->allow = allow;
	rs->n++;
	return 0;
}

static void rules_free(struct rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i].pat);
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}

static bool is_token_char(int c) { return isalpha(c) || c == '-' || c == '_'; }

/* Length of the product token at the start of s. */
static size_t token_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_token_char((unsigned char)s[i]))
		i++;
	return i;
}

struct parser {
	struct gather_robots *r;
	struct rules spec, glob;   /* groups naming us, '*' groups */
	const char *tok;
	size_t toklen;
	bool in_ua;                /* last group line was a user-agent line */
	bool cur_spec, cur_glob;   /* the current group applies to us / is '*' */
};

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static double parse_delay(const char *v, size_t n)
{
	char b[32];
	if (!n || n >= sizeof b)
		return -1;
	memcpy(b, v, n);
	b[n] = '\0';
	char *end;
	double d = strtod(b, &end);
	if (end == b || *end || !(d >= 0) || d > 1e9)
		return -1;
	return d;
}

/* Called by gather_robots_parse for each line (comment and line end
 * already cut). */
static int parse_line(struct parser *p, const char *s, size_t n)
{
	trim(&s, &n);
	if (!n)
		return 0;
	const char *colon = memchr(s, ':', n);
	const char *k = s, *v;
	size_t kl, vl;
	if (colon) {
		kl = (size_t)(colon - s);
		v = colon + 1;
		vl = n - kl - 1;
	} else {
		/* "disallow /": key and value separated by whitespace. */
		kl = 0;
		while (kl < n && !isspace((unsigned char)s[kl]))
			kl++;
		v = s + kl;
		vl = n - kl;
	}
	trim(&k, &kl);
	trim(&v, &vl);
	enum key key = key_of(k, kl);
	int rc = 0;
	switch (key) {
	case K_UA: {
		if (!p->in_ua)
			p->cur_spec = p->cur_glob = false;   /* a new group */
		p->in_ua = true;
		size_t tl = token_len(v, vl);
		if (vl && v[0] == '*' && (vl == 1 || isspace((unsigned char)v[1]))) {
			p->cur_glob = true;
			p->glob.named = true;
		} else if (tl && tl == p->toklen && strncasecmp(v, p->tok, tl) == 0) {
			p->cur_spec = true;
			p->spec.named = true;
		}
		break;
	}
	case K_ALLOW:
	case K_DISALLOW:
		p->in_ua = false;
		if (!vl)
			break;   /* "Disallow:" with no path disallows nothing */
		if (p->cur_spec)
			rc = rules_add(&p->spec, v, vl, key == K_ALLOW);
		if (!rc && p->cur_glob)
			rc = rules_add(&p->glob, v, vl, key == K_ALLOW);
		break;
	case K_DELAY: {
		p->in_ua = false;
		double d = parse_delay(v, vl);
		if (d >= 0 && p->cur_spec && p->spec.delay_s < 0)
			p->spec.delay_s = d;
		if (d >= 0 && p->cur_glob && p->glob.delay_s < 0)
			p->glob.delay_s = d;
		break;
	}
	case K_SITEMAP:
		/* a value with a NUL byte is no URL: kept, it would be cut
		 * at the NUL, down to "" when NULs follow the colon */
		if (vl && !memchr(v, '\0', vl) && p->r->nsitemap < GATHER_ROBOTS_MAX_SITEMAPS) {
			char *u = strndup(v, vl);
			if (!u)
				return GATHER_E_NOMEM;
			p->r->sitemap[p->r->nsitemap++] = u;
		}
		break;
	case K_OTHER:
		break;
	}
	return rc;
}

static struct gather_robots *robots_new(enum robots_mode mode)
{
	struct gather_robots *r = calloc(1, sizeof *r);
	if (r) {
		r->mode = mode;
		r->use.delay_s = -1;
	}
	return r;
}

struct gather_robots *gather_robots_allow_all(void) { return robots_new(R_ALLOW_ALL); }
struct gather_robots *gather_robots_disallow_all(void) { return robots_new(R_DISALLOW_ALL); }

bool gather_robots_blocks_all(const struct gather_robots *r, int *ret_err, int *ret_status)
{
	if (!r || r->mode != R_DISALLOW_ALL)
		return false;
	*ret_err = r->why_err;
	*ret_status = r->why_status;
	return true;
}

void gather_robots_free(struct gather_robots *r)
{
	if (!r)
		return;
	rules_free(&r->use);
	for (size_t i = 0; i < r->nsitemap; i++)
		free(r->sitemap[i]);
	free(r->sitemap);
	free(r);
}

struct gather_robots *gather_robots_parse(const char *body, size_t len,
                                          const char *user_agent)
{
	struct gather_robots *r = robots_new(R_RULES);
	if (!r)
		return NULL;
	r->sitemap = calloc(GATHER_ROBOTS_MAX_SITEMAPS, sizeof *r->sitemap);
	if (!r->sitemap) {
		free(r);
		return NULL;
	}
	struct parser p = { .r = r, .spec.delay_s = -1, .glob.delay_s = -1 };
	p.tok = user_agent ? user_agent : "";
	p.toklen = token_len(p.tok, strlen(p.tok));
	if (!body)
		len = 0;
	if (len > GATHER_ROBOTS_MAX_BYTES)
		len = GATHER_ROBOTS_MAX_BYTES;
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		body += 3, len -= 3;
	int rc = 0;
	for (size_t i = 0; i < len && !rc;) {
		size_t e = i;
		while (e < len && body[e] != '\n' && body[e] != '\r')
			e++;
		const char *hash = memchr(body + i, '#', e - i);
		rc = parse_line(&p, body + i, (size_t)((hash ? hash : body + e) - (body + i)));
		i = e + 1;
	}
	/* §2.2.1: the groups naming us; else the '*' groups; else nothing. */
	if (p.spec.named) {
		r->use = p.spec;
		rules_free(&p.glob);
	} else {
		r->use = p.glob;
		rules_free(&p.spec);
	}
	if (rc) {
		gather_robots_free(r);
		return NULL;
	}
	return r;
}

uint64_t gather_robots_crawl_delay_ms(const struct gather_robots *r, uint64_t cap_ms)
{
	if (!r || r->use.delay_s < 0)
		return 0;
	double ms = r->use.delay_s * 1000.0;
	return ms >= (double)cap_ms ? cap_ms : (uint64_t)ms;
}

size_t gather_robots_sitemaps(const struct gather_robots *r, const char *const **ret)
{
	*ret = (const char *const *)r->sitemap;
	return r->nsitemap;
}

struct gather_robots *gather_robots_for_response(int err, int status, const char *body,
                                                 size_t len, const char *user_agent,
                                                 uint64_t *ret_ttl_ms)
{
	*ret_ttl_ms = GATHER_ROBOTS_TTL_MS;
	if (err == GATHER_E_TOO_MANY_REDIRECTS)
		return gather_robots_allow_all();   /* §2.3.1.2: may assume unavailable */
	if (err == 0 && status >= 200 && status < 300)
		return gather_robots_parse(body, len, user_agent);
	/* 429 is "slow down", not "no file": treated as unreachable, as Google
	 * does, rather than as §2.3.1.3's allow-all. */
	if (err == 0 && status >= 300 && status < 500 && status != 429)
		return gather_robots_allow_all();
	*ret_ttl_ms = GATHER_ROBOTS_RETRY_MS;
	struct gather_robots *r = gather_robots_disallow_all();
	if (r) {
		r->why_err = err;
		r->why_status = status;
	}
	return r;
}

/* ---- cache ---------------------------------------------------------------- */

const char *gather_robots_origin(const char *url, size_t *len)
{
	return gather_url_origin_of(url, len);
}

struct centry {
	char *origin;
	struct gather_robots *r;
	uint64_t expires_ms;
};

struct gather_robots_cache {
	struct gather_u64map map;   /* fingerprint of origin -> centry */
};

static const uint8_t cache_key[16] = "robots-cache-key";

struct gather_robots_cache *gather_robots_cache_new(void)
{
	return calloc(1, sizeof(struct gather_robots_cache));
}

void gather_robots_cache_free(struct gather_robots_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->map.cap; i++)
		if (c->map.key[i]) {
			struct centry *e = c->map.val[i];
			gather_robots_free(e->r);
			free(e->origin);
			free(e);
		}
	gather_u64map_clear(&c->map);
	free(c);
}

/* The entry for url's origin (compared in full: a fingerprint collision is
 * a miss, never another origin's rules), or NULL. */
static struct centry *cache_find(struct gather_robots_cache *c, const char *url,
                                 uint64_t *ret_fp)
{
	size_t n;
	const char *o = gather_robots_origin(url, &n);
	if (!o)
		return NULL;
	*ret_fp = gather_seen_fingerprint(cache_key, o, n);
	struct centry *e = gather_u64map_get(&c->map, *ret_fp);
	if (e && (!e->origin || strlen(e->origin) != n || strncasecmp(e->origin, o, n) != 0))
		return NULL;
	return e;
}

const struct gather_robots *gather_robots_cache_get(struct gather_robots_cache *c,
                                                    const char *url, uint64_t now_ms)
{
	uint64_t fp;
	struct centry *e = cache_find(c, url, &fp);
	return e && now_ms < e->expires_ms ? e->r : NULL;
}

int gather_robots_cache_put(struct gather_robots_cache *c, const char *url,
                            struct gather_robots *r, uint64_t now_ms, uint64_t ttl_ms)
{
	size_t n;
	const char *o = url ? gather_robots_origin(url, &n) : NULL;
	if (!o) {
		gather_robots_free(r);
		return GATHER_E_BAD_URL;
	}
	uint64_t fp = gather_seen_fingerprint(cache_key, o, n);
	struct centry *e = gather_u64map_get(&c->map, fp);
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e || gather_u64map_put(&c->map, fp, e)) {
			free(e);
			gather_robots_free(r);
			return GATHER_E_NOMEM;
		}
	}
	char *origin = strndup(o, n);
	if (!origin) {
		gather_robots_free(r);
		return GATHER_E_NOMEM;   /* e keeps its old contents (or is empty) */
	}
	free(e->origin);
	gather_robots_free(e->r);
	e->origin = origin;
	e->r = r;
	e->expires_ms = ttl_ms > UINT64_MAX - now_ms ? UINT64_MAX : now_ms + ttl_ms;
	return 0;
}
