/* sitemap/harness.c — lib/crawl/sitemap.c: sitemaps in XML or text,
 * gzip-compressed or not.
 *
 * Input: one byte choosing the URL limit (0..255; 0 is the protocol's),
 * then the body.  Properties: at most that many URLs come out; each is
 * non-empty and trimmed; a result that is not 0 leaves ret empty. */
#include "config.h"

#include <string.h>

#include "crawl/sitemap.h"
#include "../fuzz.h"
#include "gather/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gather_sitemap sm = { 0 };
	size_t max_urls;
	int rc;

	if (size < 1)
		return 0;
	max_urls = data[0];
	/* a small byte cap too, so the decompressed-size limit is reached */
	rc = gather_sitemap_parse(data + 1, size - 1, 1u << 20, max_urls, &sm);
	FUZZ_CHECK(rc == 0 || rc == GATHER_E_DECODE || rc == GATHER_E_BAD_RESPONSE ||
	           rc == GATHER_E_NOMEM, "returned %d", rc);
	if (rc != 0) {
		FUZZ_CHECK(sm.n == 0 && sm.urls == NULL, "%zu URLs after an error", sm.n);
		return 0;
	}
	FUZZ_CHECK(sm.n <= (max_urls ? max_urls : GATHER_SITEMAP_MAX_URLS), "%zu URLs, limit %zu",
	           sm.n, max_urls);
	for (size_t i = 0; i < sm.n; i++) {
		size_t l = strlen(sm.urls[i]);
		FUZZ_CHECK(l > 0, "URL %zu empty", i);
		FUZZ_CHECK(sm.urls[i][0] != ' ' && sm.urls[i][l - 1] != ' ' &&
		           sm.urls[i][0] != '\n' && sm.urls[i][l - 1] != '\n',
		           "URL %zu not trimmed: '%s'", i, sm.urls[i]);
	}
	gather_sitemap_clear(&sm);
	return 0;
}
