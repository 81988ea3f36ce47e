/* sitemap.h — sitemaps (sitemaps.org protocol 0.9): <urlset> and
 * <sitemapindex> XML, the plain-text form (one URL per line), each
 * possibly gzip-compressed (.gz).
 *
 * Parsed with libxml2's reader with the network off and no entity
 * substitution or DTD loading; decompressed size and URL count limited.
 *
 * Threads: safe from any thread (no shared state; libxml2 must have been
 * initialised, which xmlInitParser does and libxml2 does on first use). */
#ifndef GATHER_SITEMAP_H
#define GATHER_SITEMAP_H

#include <stdbool.h>
#include <stddef.h>

/* The protocol's own limits: 50,000 URLs, 50 MB uncompressed per file. */
#define GATHER_SITEMAP_MAX_URLS 50000u
#define GATHER_SITEMAP_MAX_BYTES (50u * 1024u * 1024u)

struct gather_sitemap {
	bool index;       /* a sitemap index: urls are further sitemaps */
	bool truncated;   /* broken XML or a limit hit: urls holds what came before */
	char **urls;      /* <loc> values, trimmed, as written (not normalized) */
	size_t n;
};

/* Parse body (len bytes: XML or text, gzip-compressed or not).  At most
 * max_bytes of (decompressed) input and max_urls URLs are taken (0: the
 * protocol limits above).  Returns 0 and fills *ret; GATHER_E_DECODE for a
 * broken gzip stream; GATHER_E_BAD_RESPONSE when it is not a sitemap at all
 * (ret untouched); GATHER_E_NOMEM. */
int gather_sitemap_parse(const void *body, size_t len, size_t max_bytes, size_t max_urls,
                         struct gather_sitemap *ret);
/* Free what s owns; s is left zeroed.  Accepts a zeroed struct. */
void gather_sitemap_clear(struct gather_sitemap *s);

#endif
