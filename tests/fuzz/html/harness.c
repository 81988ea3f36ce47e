/* html/harness.c — lib/html: the extraction of a page's title and links,
 * by the plain scan (html-scan.c, the fast path) and by libxml2's tree.
 *
 * Input: one byte of flags, then the body.  Flags: bit 0 page requisites
 * (--assets), bit 1 links normalized (a crawl), bit 2 the robots meta and
 * rel=nofollow obeyed, bits 3-4 the Content-Type (text/html, with
 * charset=utf-8, with charset=iso-8859-1, none).  Property: on every page
 * the scan claims (html_scan returns 1), gather_extract gives the same
 * title, the same links in the same order, the same count and the same
 * noindex without XPath fields (the scan's path, when the body is HTML at
 * all) and with one (the tree's); and it never fails on a page but for
 * memory. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "html/html-internal.h"
#include "html/html.h"

#define PAGE "http://example.com/dir/page.html"

/* [flags & 7][tree]: built once, read-only after. */
static struct gather_extractor *ex[8][2];

static struct gather_extractor *make(unsigned flags, bool tree)
{
	struct gather_opts o;
	char err[256];
	struct gather_extractor *x;

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.assets = flags & 1;
	o.max_links = 100000;
	if (tree)   /* an XPath field makes gather_extract build the tree */
		FUZZ_OOM(gather_strv_push(&o.extract, "h=//h1") == 0);
	x = gather_extractor_new(&o, err, sizeof(err));
	FUZZ_CHECK(x != NULL, "extractor: %s", err);
	if (flags & 2)
		gather_extractor_normalize_links(x);
	if (flags & 4)
		gather_extractor_obey_robots_meta(x);
	gather_opts_free(&o);
	return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned f = 0; f < 8; f++)
		for (int t = 0; t < 2; t++)
			ex[f][t] = make(f, t);
	return 0;
}

static struct gather_result *page(const char *ctype, const uint8_t *body, size_t len)
{
	struct gather_result *r = gather_result_new();

	FUZZ_OOM(r);
	FUZZ_OOM(r->url = strdup(PAGE));
	FUZZ_OOM(r->final_url = strdup(PAGE));
	r->status = 200;
	if (ctype)
		FUZZ_OOM(r->content_type = strdup(ctype));
	FUZZ_OOM(r->body.data = malloc(len + 1));
	memcpy(r->body.data, body, len);
	r->body.data[len] = '\0';
	r->body.len = len;
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = {
		"text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1", NULL,
	};
	unsigned flags;
	const char *ct;

	if (size < 1 || size > 256 * 1024)
		return 0;
	flags = data[0];
	ct = ctypes[(flags >> 3) & 3];
	data++;
	size--;

	struct gather_result *rs = page(ct, data, size), *rt = page(ct, data, size);
	const struct gather_extractor *xs = ex[flags & 7][0], *xt = ex[flags & 7][1];
	int claimed = html_scan(xs, rs, PAGE);

	FUZZ_CHECK(claimed == 0 || claimed == 1, "html_scan returned %d", claimed);
	gather_result_free(rs);
	if (claimed == 1) {
		rs = page(ct, data, size);
		FUZZ_CHECK(gather_extract(xs, rs) == 0, "gather_extract failed on a page the scan read");
		FUZZ_CHECK(gather_extract(xt, rt) == 0, "the tree failed on a page the scan read");
		FUZZ_CHECK((rs->title == NULL) == (rt->title == NULL) &&
		           (!rs->title || strcmp(rs->title, rt->title) == 0),
		           "title: scan \"%s\", tree \"%s\"", rs->title ? rs->title : "(none)",
		           rt->title ? rt->title : "(none)");
		for (size_t i = 0; i < rs->links.n || i < rt->links.n; i++)
			FUZZ_CHECK(i < rs->links.n && i < rt->links.n &&
			           strcmp(rs->links.v[i], rt->links.v[i]) == 0,
			           "link %zu: scan %s, tree %s", i,
			           i < rs->links.n ? rs->links.v[i] : "(none)",
			           i < rt->links.n ? rt->links.v[i] : "(none)");
		FUZZ_CHECK(rs->n_links_found == rt->n_links_found, "links found: scan %zu, tree %zu",
		           rs->n_links_found, rt->n_links_found);
		FUZZ_CHECK(rs->noindex == rt->noindex, "noindex: scan %d, tree %d", rs->noindex,
		           rt->noindex);
		gather_result_free(rs);
	}
	/* the whole path as a worker runs it, the scan's choice included */
	rs = page(ct, data, size);
	FUZZ_CHECK(gather_extract(xs, rs) == 0, "gather_extract failed");
	FUZZ_CHECK(rs->links.n <= rs->n_links_found, "%zu links kept of %zu found", rs->links.n,
	           rs->n_links_found);
	gather_result_free(rs);
	gather_result_free(rt);
	return 0;
}
