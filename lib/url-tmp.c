/* url-tmp.c — TEMPORARY minimal stand-in for lib/url.c (branch crawl) so the
 * engine builds and tests; deleted once main has the real one. */
#include "config.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "error.h"
#include "url.h"

void gather_url_clear(struct gather_url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->target);
	memset(u, 0, sizeof(*u));
}

int gather_url_parse(const char *s, struct gather_url *ret)
{
	struct gather_url u = { 0 };
	const char *p;
	if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8, u.https = true;
	else
		return GATHER_E_BAD_URL;
	if (strpbrk(s, "\r\n \t"))
		return GATHER_E_BAD_URL;
	const char *hs = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (!he)
			return GATHER_E_BAD_URL;
		hs = p + 1;
		p = he + 1;
		u.ipv6 = true;
	} else {
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	if (he == hs)
		return GATHER_E_BAD_URL;
	unsigned long port = u.https ? 443 : 80;
	if (*p == ':') {
		char *end;
		port = strtoul(p + 1, &end, 10);
		if (end == p + 1 || port == 0 || port > 65535)
			return GATHER_E_BAD_URL;
		p = end;
	}
	if (*p && *p != '/' && *p != '?' && *p != '#')
		return GATHER_E_BAD_URL;
	size_t tl = strcspn(p, "#");
	u.scheme = strdup(u.https ? "https" : "http");
	u.host = strndup(hs, (size_t)(he - hs));
	u.target = malloc(tl + 2);
	if (!u.scheme || !u.host || !u.target) {
		gather_url_clear(&u);
		return GATHER_E_NOMEM;
	}
	for (char *h = u.host; *h; h++)
		*h = (char)tolower((unsigned char)*h);
	if (tl == 0 || *p != '/') {
		u.target[0] = '/';
		memcpy(u.target + 1, p, tl);
		u.target[tl + 1] = 0;
	} else {
		memcpy(u.target, p, tl);
		u.target[tl] = 0;
	}
	u.port = (uint16_t)port;
	*ret = u;
	return 0;
}

int gather_url_resolve(const char *base, const char *ref, char **ret)
{
	char *out;
	const char *se = strstr(base, "://");
	if (!se)
		return GATHER_E_BAD_URL;
	while (isspace((unsigned char)*ref))
		ref++;
	size_t rl = strcspn(ref, "#");
	const char *colon = strchr(ref, ':');
	if (colon && colon < ref + strcspn(ref, "/?#") && colon > ref) {
		out = strndup(ref, rl);
	} else if (ref[0] == '/' && ref[1] == '/') {
		size_t sl = (size_t)(se - base) + 1;
		out = malloc(sl + rl + 1);
		if (out)
			memcpy(out, base, sl), memcpy(out + sl, ref, rl), out[sl + rl] = 0;
	} else {
		const char *hostend = se + 3 + strcspn(se + 3, "/?#");
		size_t keep;
		if (ref[0] == '/')
			keep = (size_t)(hostend - base);
		else {
			const char *q = hostend + strcspn(hostend, "?#");
			const char *slash = q;
			while (slash > hostend && slash[-1] != '/')
				slash--;
			keep = (size_t)(slash - base);
			if (slash == hostend) {
				out = malloc(keep + rl + 2);
				if (out)
					memcpy(out, base, keep), out[keep] = '/', memcpy(out + keep + 1, ref, rl),
					out[keep + rl + 1] = 0;
				goto done;
			}
		}
		out = malloc(keep + rl + 1);
		if (out)
			memcpy(out, base, keep), memcpy(out + keep, ref, rl), out[keep + rl] = 0;
	}
done:
	if (!out)
		return GATHER_E_NOMEM;
	*ret = out;
	return 0;
}
