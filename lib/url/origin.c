/* origin.c — the parts of a normalized URL that name where it lives, found
 * without a parse: one place for the crawl's units (the frontier's host
 * key for politeness, the scope's host, robots.txt's origin).  The URL is
 * one gather_url_normalize made (or any "scheme://authority/..." string):
 * these only split it. */
#include "config.h"

#include <string.h>

#include "url/url.h"

/* The authority of url ("[userinfo@]host[:port]"): *len set; NULL if there
 * is no "scheme://" or nothing after it. */
static const char *authority(const char *url, size_t *len)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p || p == url)
		return NULL;
	p += 3;
	*len = strcspn(p, "/?#");
	return p;
}

const char *gather_url_host_port(const char *url, size_t *len)
{
	size_t n;
	const char *p = authority(url, &n);
	if (!p)
		return NULL;
	for (const char *at = memchr(p, '@', n); at; at = memchr(p, '@', n)) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (!n)
		return NULL;
	*len = n;
	return p;
}

const char *gather_url_host_of(const char *url, size_t *len)
{
	size_t n, h;
	const char *p = gather_url_host_port(url, &n);
	if (!p)
		return NULL;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', n);
		h = rb ? (size_t)(rb + 1 - p) : n;
	} else {
		const char *colon = memchr(p, ':', n);
		h = colon ? (size_t)(colon - p) : n;
	}
	if (!h)
		return NULL;
	*len = h;
	return p;
}

const char *gather_url_origin_of(const char *url, size_t *len)
{
	size_t n;
	const char *p = authority(url, &n);
	if (!p || !n)
		return NULL;
	*len = (size_t)(p - url) + n;
	return url;
}
