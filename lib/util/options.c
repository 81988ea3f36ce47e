/* options.c — defaults, the option table and value parsers. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "gather/options.h"
#include "util/hostpin.h"

#define OFF(f) offsetof(struct gather_opts, f)
#define G GATHER_CMD_GET
#define C GATHER_CMD_CRAWL
#define A GATHER_CMD_ALL

const struct gather_optdef gather_optdefs[] = {
	/* request */
	{ "method", 'X', GATHER_OPT_STR, OFF(method), A, "METHOD", "request method (default GET, POST with --data)" },
	{ "data", 'd', GATHER_OPT_STR, OFF(data), A, "DATA", "send DATA as the request body (a form, as curl -d; @FILE: the contents of FILE)" },
	{ "header", 'H', GATHER_OPT_STRV, OFF(headers), A, "'K: V'", "add a request header (repeatable)" },
	{ "user", 'u', GATHER_OPT_STR, OFF(user), A, "USER:PASS", "send Basic credentials, to the URL's own origin only (never across a redirect to another)" },
	{ "user-agent", 'A', GATHER_OPT_STR, OFF(user_agent), A, "UA", "User-Agent header and robots.txt token (default gather/" PACKAGE_VERSION ")" },
	{ "compressed", 0, GATHER_OPT_BOOL, OFF(compressed), A, NULL, "ask for and decode gzip, deflate, br, zstd (default on; --no-compressed)" },
	/* TLS */
	{ "insecure", 'k', GATHER_OPT_BOOL, OFF(insecure), A, NULL, "do not verify TLS peers and host names" },
	{ "cacert", 0, GATHER_OPT_STR, OFF(cacert), A, "FILE", "trust the CA certificates in FILE instead of the system store" },
	/* name resolution */
	{ "ipv4", '4', GATHER_OPT_BOOL, OFF(ipv4), A, NULL, "resolve and connect over IPv4 only (of -4 and -6 the last wins)" },
	{ "ipv6", '6', GATHER_OPT_BOOL, OFF(ipv6), A, NULL, "resolve and connect over IPv6 only (of -4 and -6 the last wins)" },
	{ "resolve", 0, GATHER_OPT_STRV, OFF(resolve), A, "HOST:PORT:ADDR", "use ADDR for HOST at PORT instead of resolving it, as curl; IPv6 in brackets, several as ADDR,ADDR (repeatable)" },
	/* time */
	{ "timeout", 0, GATHER_OPT_SECONDS, OFF(timeout_ms), A, "S", "total time per request, retries included (default 120; 0: no limit)" },
	{ "connect-timeout", 0, GATHER_OPT_SECONDS, OFF(connect_timeout_ms), A, "S", "time to resolve, connect and handshake (default 10; 0: no limit)" },
	{ "first-byte-timeout", 0, GATHER_OPT_SECONDS, OFF(first_byte_timeout_ms), A, "S", "time from the request sent to the first response byte (default 30; 0: no limit)" },
	{ "idle-timeout", 0, GATHER_OPT_SECONDS, OFF(idle_timeout_ms), A, "S", "time between reads once the response began (default 30; 0: no limit)" },
	{ "keepalive", 0, GATHER_OPT_SECONDS, OFF(keepalive_ms), A, "S", "how long an idle connection is kept for reuse (default 30)" },
	{ "retry-max-wait", 0, GATHER_OPT_SECONDS, OFF(retry_max_wait_ms), A, "S", "cap on retry backoff and Retry-After (default 60)" },
	/* limits */
	{ "max-body", 0, GATHER_OPT_SIZE, OFF(max_body), A, "SIZE", "largest decoded body, K/M/G suffixes (default 1G get, 64M crawl)" },
	{ "max-head", 0, GATHER_OPT_SIZE, OFF(max_head), A, "SIZE", "largest response head (default 64K)" },
	{ "max-headers", 0, GATHER_OPT_UINT, OFF(max_headers), A, "N", "most response header fields (default 256)" },
	{ "location", 'L', GATHER_OPT_BOOL, OFF(location), A, NULL, "follow redirects (default on; --no-location: the 3xx is the answer)" },
	{ "max-redirs", 0, GATHER_OPT_UINT, OFF(max_redirs), A, "N", "most redirects followed (default 10)" },
	{ "retries", 0, GATHER_OPT_UINT, OFF(retries), A, "N", "retries on connect errors, timeouts, 429, 502, 503, 504 (default 2)" },
	{ "concurrency", 'c', GATHER_OPT_UINT, OFF(concurrency), A, "N", "fetches in flight (default 64)" },
	{ "per-host", 0, GATHER_OPT_UINT, OFF(per_host), A, "N", "connections per host, at least 1 (default: --concurrency for get, 4 for crawl)" },
	/* processing */
	{ "workers", 0, GATHER_OPT_UINT, OFF(workers), A, "N", "processing threads (default: number of cores)" },
	{ "assets", 0, GATHER_OPT_BOOL, OFF(assets), C, NULL, "also follow page requisites: images, scripts, stylesheets" },
	{ "max-links", 0, GATHER_OPT_UINT, OFF(max_links), C, "N", "most links taken from one page (default 10000)" },
	{ "extract", 0, GATHER_OPT_STRV, OFF(extract), A, "NAME=XPATH", "field NAME: text of the first match; NAME[]=XPATH for all (repeatable)" },
	{ "regex", 0, GATHER_OPT_STRV, OFF(regex), A, "NAME=RE", "field NAME: PCRE2 match over the body (repeatable)" },
	/* crawl */
	{ "depth", 0, GATHER_OPT_UINT, OFF(depth), C, "N", "follow links up to N hops from a seed, or inf: no limit (default 5; 0: the seeds only)" },
	{ "max-pages", 0, GATHER_OPT_U64, OFF(max_pages), C, "N", "stop after N pages (default 0: no limit)" },
	{ "max-time", 0, GATHER_OPT_SECONDS, OFF(max_time_ms), C, "S", "stop the crawl after S seconds (default 0: no limit)" },
	{ "scope", 0, GATHER_OPT_SCOPE, OFF(scope), C, "SCOPE", "host, domain, prefix or any (default host)" },
	{ "allow", 0, GATHER_OPT_STRV, OFF(allow), C, "RE", "only follow URLs matching RE (repeatable)" },
	{ "deny", 0, GATHER_OPT_STRV, OFF(deny), C, "RE", "never follow URLs matching RE (repeatable)" },
	{ "robots", 0, GATHER_OPT_BOOL, OFF(robots), C, NULL, "obey robots.txt, rel=nofollow and robots meta tags (default on; --no-robots)" },
	{ "delay", 0, GATHER_OPT_SECONDS, OFF(delay_ms), C, "S", "seconds between request starts to one host, e.g. 0.25 or 250ms (default 0)" },
	{ "sitemaps", 0, GATHER_OPT_BOOL, OFF(sitemaps), C, NULL, "seed from robots.txt Sitemap: lines and sitemap.xml" },
	{ "state", 0, GATHER_OPT_STR, OFF(state), C, "DIR", "keep the crawl's state in DIR (created if missing): a crawl stopped or killed resumes where it was when run again, each page once in the outputs" },
	{ "queue-window", 0, GATHER_OPT_U64, OFF(queue_window), C, "N", "with --state, at most N queued URLs in memory, the rest on disk in DIR (default 200000)" },
	{ "max-url-length", 0, GATHER_OPT_UINT, OFF(max_url_len), C, "N", "longest URL followed (default 2048; 0: no limit)" },
	/* input and output */
	{ "input", 'i', GATHER_OPT_STRV, OFF(input), A, "FILE", "read URLs from FILE, one a line; - is stdin (repeatable)" },
	{ "jsonl", 0, GATHER_OPT_STR, OFF(jsonl), A, "FILE", "write JSON lines to FILE (default and -: stdout)" },
	{ "warc", 0, GATHER_OPT_STR, OFF(warc), A, "FILE", "write WARC/1.1 records to FILE (.gz: gzip per record)" },
	{ "warc-max-size", 0, GATHER_OPT_SIZE, OFF(warc_max_size), A, "SIZE", "rotate WARC files at SIZE (default 1G; 0: never)" },
	{ "mirror", 0, GATHER_OPT_STR, OFF(mirror), A, "DIR", "save pages under DIR/host/path like wget" },
	{ "output-dir", 0, GATHER_OPT_STR, OFF(outdir), G, "DIR", "save each body in DIR under a safe file name" },
	{ "progress", 0, GATHER_OPT_BOOL, OFF(progress), A, NULL, "progress line on stderr (default: on a terminal, unless the records go there too)" },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

#undef G
#undef C
#undef A

int gather_strv_push(struct gather_strv *sv, const char *s)
{
	char **v = realloc(sv->v, (sv->n + 1) * sizeof *v);
	if (!v)
		return GATHER_E_NOMEM;
	sv->v = v;
	v[sv->n] = strdup(s);
	if (!v[sv->n])
		return GATHER_E_NOMEM;
	sv->n++;
	return 0;
}

void gather_strv_free(struct gather_strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void gather_opts_init(struct gather_opts *o, unsigned cmd)
{
	memset(o, 0, sizeof *o);
	o->compressed = true;
	o->timeout_ms = 120000;
	o->connect_timeout_ms = 10000;
	o->first_byte_timeout_ms = 30000;
	o->idle_timeout_ms = 30000;
	o->keepalive_ms = 30000;
	o->retry_max_wait_ms = 60000;
	o->max_body = (cmd & GATHER_CMD_CRAWL) ? 64ull << 20 : 1ull << 30;
	o->max_head = 64 << 10;
	o->max_headers = 256;
	o->max_redirs = 10;
	o->location = true;
	o->retries = 2;
	o->concurrency = 64;
	o->per_host = (cmd & GATHER_CMD_CRAWL) ? 4 : 0;
	o->max_links = 10000;
	o->depth = 5;
	o->scope = GATHER_SCOPE_HOST;
	o->robots = true;
	o->max_url_len = 2048;
	o->warc_max_size = 1ull << 30;
}

void gather_opts_free(struct gather_opts *o)
{
	if (!o)
		return;
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++) {
		void *p = (char *)o + d->offset;
		if (d->type == GATHER_OPT_STR) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (d->type == GATHER_OPT_STRV) {
			gather_strv_free(p);
		}
	}
	free(o->output); /* not in the table (command line only) */
	memset(o, 0, sizeof *o);
}

const struct gather_optdef *gather_opt_find(const char *name)
{
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

const struct gather_optdef *gather_opt_find_short(int c)
{
	for (const struct gather_optdef *d = gather_optdefs; d->name; d++)
		if (d->short_name && d->short_name == c)
			return d;
	return NULL;
}

int gather_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	if (!s || !*s)
		return GATHER_E_INVALID;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return GATHER_E_INVALID;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return GATHER_E_INVALID;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int seconds_ms(const char *s, uint64_t *ret_ms);

int gather_parse_size(const char *s, uint64_t *ret)
{
	char num[32];
	size_t n = s ? strlen(s) : 0;
	unsigned shift = 0;
	uint64_t v;

	if (n == 0 || n >= sizeof num)
		return GATHER_E_INVALID;
	memcpy(num, s, n + 1);
	/* Optional "B" after a suffix letter: 64KB, 10MiB are common spellings. */
	if (n > 1 && (num[n - 1] == 'B' || num[n - 1] == 'b') && !isdigit((unsigned char)num[n - 2]))
		num[--n] = '\0';
	if (n > 2 && num[n - 1] == 'i' && !isdigit((unsigned char)num[n - 2]))
		num[--n] = '\0';
	switch (num[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: break;
	}
	if (shift)
		num[--n] = '\0';
	if (gather_parse_u64(num, UINT64_MAX >> shift, &v) < 0)
		return GATHER_E_INVALID;
	*ret = v << shift;
	return 0;
}

/* Seconds with a fraction, or with a unit (ms, s, m, h): "0.25", "250ms",
 * "1.5s", "2m" (DESIGN.md: one family of time values everywhere). */
int gather_parse_seconds(const char *s, uint64_t *ret_ms)
{
	static const struct { const char *name; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	char num[32];
	size_t n = s ? strlen(s) : 0;
	uint64_t v;

	if (n == 0 || n >= sizeof num)
		return GATHER_E_INVALID;
	for (unsigned i = 0; i < sizeof units / sizeof *units; i++) {
		size_t ul = strlen(units[i].name);
		if (n > ul && strcmp(s + n - ul, units[i].name) == 0 &&
		    (s[n - ul - 1] == '.' || isdigit((unsigned char)s[n - ul - 1]))) {
			memcpy(num, s, n - ul);
			num[n - ul] = '\0';
			/* the number in seconds, then scaled: v ms * (unit / 1000) */
			if (seconds_ms(num, &v) < 0)
				return GATHER_E_INVALID;
			if (units[i].ms == 1) { /* "250ms": whole milliseconds */
				if (strchr(num, '.') || v / 1000 > UINT64_MAX / 2)
					return GATHER_E_INVALID;
				*ret_ms = v / 1000;
				return 0;
			}
			if (v > UINT64_MAX / 2 / (units[i].ms / 1000))
				return GATHER_E_INVALID;
			*ret_ms = v * (units[i].ms / 1000);
			return 0;
		}
	}
	return seconds_ms(s, ret_ms);
}

/* "1.5" seconds → 1500 ms (a fraction past milliseconds is dropped). */
static int seconds_ms(const char *s, uint64_t *ret_ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000;
	const char *dot;
	char buf[32];

	if (!s || !*s || strlen(s) >= sizeof buf)
		return GATHER_E_INVALID;
	dot = strchr(s, '.');
	if (dot) {
		size_t wl = (size_t)(dot - s);
		memcpy(buf, s, wl);
		buf[wl] = '\0';
		if (wl && gather_parse_u64(buf, UINT64_MAX / 1000 - 1, &whole) < 0)
			return GATHER_E_INVALID;
		const char *f = dot + 1;
		if (!*f && !wl)
			return GATHER_E_INVALID;
		for (; *f; f++) {
			if (*f < '0' || *f > '9')
				return GATHER_E_INVALID;
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*f - '0') * scale;
			}
		}
	} else if (gather_parse_u64(s, UINT64_MAX / 1000 - 1, &whole) < 0) {
		return GATHER_E_INVALID;
	}
	*ret_ms = whole * 1000 + frac;
	return 0;
}

static const char *const scope_names[] = {
	[GATHER_SCOPE_HOST] = "host",
	[GATHER_SCOPE_DOMAIN] = "domain",
	[GATHER_SCOPE_PREFIX] = "prefix",
	[GATHER_SCOPE_ANY] = "any",
};

const char *gather_scope_name(enum gather_scope s)
{
	return (unsigned)s < sizeof scope_names / sizeof *scope_names ? scope_names[s] : "?";
}

int gather_scope_parse(const char *s, enum gather_scope *ret)
{
	for (unsigned i = 0; i < sizeof scope_names / sizeof *scope_names; i++)
		if (s && strcmp(s, scope_names[i]) == 0) {
			*ret = (enum gather_scope)i;
			return 0;
		}
	return GATHER_E_INVALID;
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	for (unsigned i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) { *ret = true; return 0; }
		if (strcasecmp(s, no[i]) == 0) { *ret = false; return 0; }
	}
	return GATHER_E_INVALID;
}

int gather_opt_set(struct gather_opts *o, const struct gather_optdef *d,
                   const char *value, char *err, size_t errlen)
{
	void *p = (char *)o + d->offset;
	uint64_t v;
	int r = 0;
	const char *want = "";

	switch (d->type) {
	case GATHER_OPT_BOOL:
		if (!value)
			*(bool *)p = true;
		else if ((r = parse_bool(value, p)) < 0) {
			want = "true or false";
			break;
		}
		/* -4 and -6: the one given last wins, as in curl */
		if (*(bool *)p && d->offset == OFF(ipv4))
			o->ipv6 = false;
		else if (*(bool *)p && d->offset == OFF(ipv6))
			o->ipv4 = false;
		return 0;
	case GATHER_OPT_UINT: {
		/* --depth inf, as wget's -l inf: no limit, GATHER_DEPTH_INF, so
		 * the largest number is one below it. */
		bool depth = d->offset == OFF(depth);
		uint64_t max = depth ? GATHER_DEPTH_INF - 1u : UINT32_MAX;
		if (depth && value && strcmp(value, "inf") == 0) {
			*(unsigned *)p = GATHER_DEPTH_INF;
			return 0;
		}
		r = gather_parse_u64(value, max, &v);
		if (r == 0)
			*(unsigned *)p = (unsigned)v;
		else if (value && *value && strspn(value, "0123456789") == strlen(value)) {
			/* digits only: it failed by size, so say that */
			if (err && errlen)
				snprintf(err, errlen, "invalid value '%s' for %s: too large (at most %llu%s)",
				         value, d->name, (unsigned long long)max, depth ? ", or inf" : "");
			return GATHER_E_INVALID;
		}
		want = depth ? "a whole number or inf" : "a whole number";
		break;
	}
	case GATHER_OPT_U64:
		r = gather_parse_u64(value, UINT64_MAX, p);
		want = "a whole number";
		break;
	case GATHER_OPT_SIZE:
		r = gather_parse_size(value, p);
		want = "a size such as 512K, 64M or 1G";
		break;
	case GATHER_OPT_SECONDS:
		r = gather_parse_seconds(value, p);
		want = "a number of seconds such as 10, 2.5 or 250ms";
		break;
	case GATHER_OPT_MS:
		r = gather_parse_u64(value, UINT64_MAX / 2, p);
		want = "a number of milliseconds";
		break;
	case GATHER_OPT_STR: {
		char *s = strdup(value ? value : "");
		if (!s)
			return GATHER_E_NOMEM;
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	}
	case GATHER_OPT_STRV: {
		struct hostpin pin;
		/* a bad --resolve is a usage error now, naming it, not a DNS
		 * failure of every fetch later */
		if (d->offset == OFF(resolve) && hostpin_parse(value, &pin) < 0) {
			if (err && errlen)
				snprintf(err, errlen, "invalid value '%s' for %s: expected HOST:PORT:ADDR[,ADDR...] "
				         "with numeric addresses, IPv6 in brackets (e.g. example.org:443:[::1])",
				         value ? value : "", d->name);
			return GATHER_E_INVALID;
		}
		return gather_strv_push(p, value ? value : "");
	}
	case GATHER_OPT_SCOPE:
		r = gather_scope_parse(value, p);
		want = "host, domain, prefix or any";
		break;
	}
	/* 0 connections per host would never fetch: refuse it (the default
	 * 0, "as many as --concurrency", is not given by the user). */
	if (r == 0 && d->offset == OFF(per_host) && *(unsigned *)p == 0) {
		if (err && errlen)
			snprintf(err, errlen, "invalid value '%s' for %s: expected at least 1", value, d->name);
		return GATHER_E_INVALID;
	}
	if (r < 0 && err && errlen)
		snprintf(err, errlen, "invalid value '%s' for %s: expected %s",
		         value ? value : "", d->name, want);
	return r < 0 ? GATHER_E_INVALID : 0;
}

const char *gather_default_user_agent(void)
{
	return PACKAGE_NAME "/" PACKAGE_VERSION;
}
