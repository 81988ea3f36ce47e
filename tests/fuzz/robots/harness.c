/* robots/harness.c — lib/crawl/robots.c: robots.txt (RFC 9309) parsed for
 * a user agent and matched against paths.
 *
 * Input: the robots.txt; the paths asked about are taken from its own
 * Allow/Disallow values (the interesting ones) and a few fixed ones.
 * Properties: any input parses; /robots.txt is always allowed; asking twice
 * gives the same answer; an absolute URL is judged by its target; the
 * crawl delay respects its cap; every Sitemap: kept is non-empty. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crawl/robots.h"
#include "../fuzz.h"

static void ask(const struct gather_robots *r, const char *path)
{
	char abs[600];
	bool a = gather_robots_allowed(r, path);

	FUZZ_CHECK(a == gather_robots_allowed(r, path), "two answers for %s", path);
	if (path[0] == '/' && strlen(path) < 500) {
		snprintf(abs, sizeof(abs), "http://example.com%s", path);
		FUZZ_CHECK(a == gather_robots_allowed(r, abs), "%s and %s judged apart", path, abs);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "/", "/a", "/a/b?c=d", "/%7Ex", "/~x", "/x$", "" };
	struct gather_robots *r = gather_robots_parse((const char *)data, size, "gather/1.0 (+http://x)");
	const char *const *maps;
	size_t nmaps;

	FUZZ_OOM(r);
	FUZZ_CHECK(gather_robots_allowed(r, "/robots.txt"), "/robots.txt disallowed");
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		ask(r, fixed[i]);
	/* the values written in the file, as paths */
	char *copy = malloc(size + 1), *line, *save = NULL;
	unsigned asked = 0;
	FUZZ_OOM(copy);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (line = strtok_r(copy, "\r\n", &save); line && asked < 64;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		ask(r, v);
		asked++;
	}
	free(copy);
	FUZZ_CHECK(gather_robots_crawl_delay_ms(r, 5000) <= 5000, "crawl delay past its cap");
	nmaps = gather_robots_sitemaps(r, &maps);
	FUZZ_CHECK(nmaps <= GATHER_ROBOTS_MAX_SITEMAPS, "%zu sitemaps kept", nmaps);
	for (size_t i = 0; i < nmaps; i++)
		FUZZ_CHECK(maps[i] && maps[i][0], "sitemap %zu empty", i);
	gather_robots_free(r);
	return 0;
}
