/* url/harness.c — lib/url: parse, normalize, resolve and the one-pass
 * resolve-and-normalize of a crawl's links (url-fast.c).
 *
 * Input: "BASE\nREF" (no newline: the whole input is both).  Properties:
 *  - normalize is idempotent: normalize(normalize(s)) == normalize(s), and
 *    what it gives parses (gather_url_parse);
 *  - the fast path equals the composition it stands for:
 *    resolve_norm(base, ref) == normalize(resolve(base, ref)), failing
 *    together; resolve_pair gives both halves of that;
 *  - gather_url_parse's fast path equals its full parse. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "gather/error.h"
#include "url/url.h"
#include "url/url-internal.h"

static void check_normalize(const char *s)
{
	char *n1 = NULL, *n2 = NULL;
	struct gather_url u = { 0 };

	if (gather_url_normalize(s, &n1) != 0)
		return;
	FUZZ_CHECK(gather_url_normalize(n1, &n2) == 0, "normalize(%s) = %s does not normalize", s, n1);
	FUZZ_CHECK(strcmp(n1, n2) == 0, "normalize not idempotent: %s -> %s -> %s", s, n1, n2);
	FUZZ_CHECK(gather_url_parse(n1, &u) == 0, "normalize(%s) = %s does not parse", s, n1);
	gather_url_clear(&u);
	free(n1);
	free(n2);
}

static void check_parse(const char *s)
{
	struct gather_url a = { 0 }, b = { 0 };
	int ra = gather_url_parse(s, &a), rb = url_parse_full(s, &b);

	FUZZ_CHECK(ra == rb, "parse(%s): %d, full parse %d", s, ra, rb);
	if (ra == 0) {
		FUZZ_CHECK(strcmp(a.scheme, b.scheme) == 0 && strcmp(a.host, b.host) == 0 &&
		           a.port == b.port && a.https == b.https && a.ipv6 == b.ipv6 &&
		           strcmp(a.target, b.target) == 0,
		           "parse(%s): fast %s %s %u %s, full %s %s %u %s", s, a.scheme, a.host,
		           a.port, a.target, b.scheme, b.host, b.port, b.target);
	}
	gather_url_clear(&a);
	gather_url_clear(&b);
}

static void check_resolve(const char *base, const char *ref, size_t reflen)
{
	struct gather_url_base *b = NULL;
	char *res = NULL, *want = NULL, *got = NULL, *pres = NULL, *pnorm = NULL;
	int rr, rw, rg, rp;

	if (gather_url_base_new(base, &b) != 0)
		return;
	rr = gather_url_resolve_base_n(b, ref, reflen, &res);
	rw = rr == 0 ? gather_url_normalize(res, &want) : rr;
	rg = gather_url_resolve_norm(b, ref, reflen, &got);
	FUZZ_CHECK((rw == 0) == (rg == 0), "base %s ref %.*s: resolve %s normalize %s, resolve_norm %s",
	           base, (int)reflen, ref, rr == 0 ? res : "fails", rw == 0 ? want : "fails",
	           rg == 0 ? got : "fails");
	if (rw == 0)
		FUZZ_CHECK(strcmp(want, got) == 0, "base %s ref %.*s: normalize(resolve) %s, resolve_norm %s",
		           base, (int)reflen, ref, want, got);
	rp = gather_url_resolve_pair(b, ref, reflen, &pres, &pnorm);
	FUZZ_CHECK((rp == 0) == (rr == 0), "resolve_pair %d, resolve %d", rp, rr);
	if (rp == 0) {
		FUZZ_CHECK(strcmp(pres, res) == 0, "resolve_pair %s, resolve %s", pres, res);
		FUZZ_CHECK((pnorm != NULL) == (rw == 0) && (!pnorm || strcmp(pnorm, want) == 0),
		           "resolve_pair's normal form %s, want %s", pnorm ? pnorm : "(none)",
		           rw == 0 ? want : "(none)");
		if (pnorm != pres)
			free(pnorm);
		free(pres);
	}
	if (rg == 0)
		check_normalize(got);
	free(res);
	free(want);
	free(got);
	gather_url_base_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;

	if (size > 8192)   /* URL_MAX_INPUT and a little: longer is refused early */
		size = 8192;
	FUZZ_OOM(s);
	memcpy(s, data, size);
	s[size] = '\0';
	nl = memchr(s, '\n', size);
	if (nl) {
		*nl = '\0';
		check_resolve(s, nl + 1, size - (size_t)(nl + 1 - s));
		check_normalize(nl + 1);
		check_parse(nl + 1);
	} else {
		check_resolve(s, s, size);
	}
	check_normalize(s);
	check_parse(s);
	free(s);
	return 0;
}
