/* check.c — a bench run against its site (see check.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/check.h"
#include "gather/error.h"

int bench_check_init(struct bench_check *c, const struct bench_site *site,
                     enum bench_mode mode, const char *base)
{
	memset(c, 0, sizeof *c);
	c->site = site;
	c->mode = mode;
	snprintf(c->base, sizeof c->base, "%s", base);
	c->expect_fetch = calloc(site->n, 1);
	c->expect_record = calloc(site->n, 1);
	c->seen = calloc(site->n, 1);
	if (!c->expect_fetch || !c->expect_record || !c->seen) {
		bench_check_free(c);
		return GATHER_E_NOMEM;
	}
	bench_site_expect(site, mode, c->expect_fetch, c->expect_record);
	return 0;
}

void bench_check_free(struct bench_check *c)
{
	free(c->expect_fetch);
	free(c->expect_record);
	free(c->seen);
	for (size_t i = 0; i < BENCH_CHECK_SHOWN; i++)
		free(c->shown[i]);
	memset(c, 0, sizeof *c);
}

static void diff(struct bench_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void diff(struct bench_check *c, const char *fmt, ...)
{
	if (c->diffs < BENCH_CHECK_SHOWN) {
		char buf[600];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		c->shown[c->diffs] = strdup(buf);
	}
	c->diffs++;
}

/* The site id of an absolute URL of the origin, or -1. */
static int64_t id_of(const struct bench_check *c, const char *url)
{
	size_t bl = strlen(c->base);
	if (!url || strncmp(url, c->base, bl) != 0 || url[bl] != '/')
		return -1;
	return bench_site_lookup(c->site, url + bl, strlen(url + bl));
}

int64_t bench_check_record(struct bench_check *c, const char *url, const char *final_url,
                        int status, int err)
{
	int64_t id = id_of(c, url);
	if (id < 0 || !c->expect_record[id]) {
		diff(c, "%s: a record the site does not call for (status %d, %s)", url ? url : "(null)",
		     status, gather_err_name(err));
		return id;
	}
	if (c->seen[id]++) {
		diff(c, "%s: recorded more than once", url);
		return id;
	}
	const struct bench_url *u = &c->site->u[id];
	int want = bench_site_status(c->site, (uint32_t)id);
	if (u->kind == BENCH_PRIVATE) {
		if (err != GATHER_E_ROBOTS)
			diff(c, "%s: disallowed by robots.txt, yet the record says status %d, %s", url,
			     status, gather_err_name(err));
		return id;
	}
	if (u->kind == BENCH_OLD) {   /* the 301, pointing at its NEW page */
		int64_t fid = id_of(c, final_url);
		if (err != 0 || status != 301 || fid != (int64_t)u->target)
			diff(c, "%s: expected a 301 to %s, got status %d, %s, final URL %s",
			     url, c->site->u[u->target].path, status, gather_err_name(err),
			     final_url ? final_url : "none");
		return id;
	}
	if (err != 0 || status != want) {
		diff(c, "%s: expected status %d, got status %d, %s", url, want, status,
		     gather_err_name(err));
		return id;
	}
	if (want == 200)
		c->pages++;
	return id;
}

bool bench_check_finish(struct bench_check *c, const uint32_t *counts, uint64_t others,
                        const char *const *other, size_t nother)
{
	for (uint32_t id = 0; id < c->site->n; id++) {
		const char *p = c->site->u[id].path;
		if (c->expect_record[id] && !c->seen[id])
			diff(c, "%s%s: no record (the run missed it)", c->base, p);
		if (counts && counts[id] != c->expect_fetch[id])
			diff(c, "%s%s: the origin served it %u times, expected %u", c->base, p,
			     counts[id], c->expect_fetch[id]);
	}
	for (size_t i = 0; i < nother; i++)
		diff(c, "%s%s: requested, but the site has no URL spelled so", c->base,
		     other[i] ? other[i] : "?");
	if (others > nother)
		diff(c, "%llu more requests of URLs the site has not",
		     (unsigned long long)(others - nother));
	return c->diffs == 0;
}
