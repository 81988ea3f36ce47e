/* mirror/harness.c — lib/output/mirror.c: the file names a URL is saved
 * under (--mirror's host/path tree and -o's flat names).
 *
 * Input: a URL (any bytes).  Properties of the tree path: never absolute,
 * no empty, "." or ".." component, no NUL, backslash or control byte, at
 * most GATHER_MIRROR_MAX_NAME bytes a component, so it never leaves the
 * mirror's root; the same URL always gives the same path.  Of the flat
 * name: letters, digits, '.', '_' and '-' only, never starting with '.',
 * never empty. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "output/mirror.h"

static void check_tree(const char *url)
{
	char *p = gather_mirror_path(url), *again;

	FUZZ_OOM(p);
	FUZZ_CHECK(p[0] && p[0] != '/', "'%s' -> absolute or empty '%s'", url, p);
	for (const char *c = p;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		FUZZ_CHECK(n > 0, "'%s' -> '%s': an empty component", url, p);
		FUZZ_CHECK(!(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'),
		           "'%s' -> '%s': a dot component", url, p);
		FUZZ_CHECK(n <= GATHER_MIRROR_MAX_NAME, "'%s' -> '%s': a component of %zu bytes",
		           url, p, n);
		if (!e)
			break;
		c = e + 1;
	}
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		FUZZ_CHECK(*c >= 0x20 && *c != 0x7f && *c != '\\', "'%s' -> '%s': byte 0x%02x", url, p, *c);
	FUZZ_OOM(again = gather_mirror_path(url));
	FUZZ_CHECK(strcmp(p, again) == 0, "'%s' -> '%s', then '%s'", url, p, again);
	free(again);
	free(p);
}

static void check_flat(const char *url)
{
	char *n = gather_mirror_flat_name(url);

	FUZZ_OOM(n);
	FUZZ_CHECK(n[0] && n[0] != '.', "'%s' -> flat name '%s'", url, n);
	for (const char *c = n; *c; c++)
		FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		           (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-',
		           "'%s' -> flat name '%s'", url, n);
	FUZZ_CHECK(strlen(n) < 255, "'%s' -> flat name of %zu bytes", url, strlen(n));
	free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url;

	if (size > 16384)
		return 0;
	url = malloc(size + 1);
	FUZZ_OOM(url);
	memcpy(url, data, size);
	url[size] = '\0';
	check_tree(url);
	check_flat(url);
	free(url);
	return 0;
}
