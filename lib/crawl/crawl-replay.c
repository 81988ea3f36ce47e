/* crawl-replay.c — the resume of a crawl's --state (see crawl-replay.h):
 * the committed facts read back (URLs, pages with their links, adds), the
 * depths an uninterrupted crawl gives computed from them, and the pages
 * replayed through the in-memory frontier in order of depth. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawl-replay.h"
#include "crawl/frontier-mem.h"
#include "crawl/frontier-state.h"
#include "crawl/frontier.h"
#include "gather/error.h"
#include "store/state.h"
#include "util/clock.h"
#include "util/seen.h"
#include "util/strbuf.h"
#include "util/u64map.h"
#include "util/vec.h"

#if UINTPTR_MAX > 0xffffffffu
#define PTR_BITS 64
#define OFF_BITS 38                                /* 256 GiB of URL text */
#else   /* 32-bit pointers: 128 MiB of text, paths of 30 hops, else "no memory" */
#define PTR_BITS 32
#define OFF_BITS 27
#endif
#define OFF_MASK ((UINT64_C(1) << OFF_BITS) - 1)
#define DIST_MAX ((UINT64_C(1) << (PTR_BITS - OFF_BITS)) - 2)   /* 67 million hops */

struct rpage {
	uint64_t id;
	unsigned dist;            /* UINT_MAX: not reached */
	uint64_t *links;
	size_t n;
};

struct replay {
	struct gather_seen *known;    /* every URL id the state names */
	unsigned max_depth;
	struct gather_frontier *sf;   /* the state frontier ... */
	struct gather_frontier *mem;  /* ... and the in-memory one in it */
	/* id -> (dist + 1) << OFF_BITS | (offset + 1 in text): one map, one
	 * probe for both (0 in a part: no URL / not reached) */
	struct gather_u64map urls;
	struct gather_strbuf text;    /* every URL, NUL-terminated */
	struct gather_u64map pidx;    /* page id -> index + 1 */
	VEC(struct rpage) pages;
	VEC(struct gather_state_add) adds;
	int rc;
};

static int load_url(uint64_t id, const char *url, size_t len, void *arg)
{
	struct replay *r = arg;
	if (!id)
		return 0;
	/* one arena for the strings: a million URLs are not a million
	 * mallocs */
	size_t off = r->text.len;
	gather_strbuf_add(&r->text, url, len + 1);
	if (r->text.oom || off + 1 > OFF_MASK ||
	    gather_u64map_put(&r->urls, id, (void *)(uintptr_t)(off + 1)) < 0)
		return GATHER_E_NOMEM;
	if (gather_seen_add(r->known, id) < 0)
		return GATHER_E_NOMEM;
	return 0;
}

static int load_page(uint64_t id, unsigned depth, uint64_t parent, const unsigned char *links,
                     size_t n, void *arg)
{
	struct replay *r = arg;
	(void)depth;
	(void)parent;
	struct rpage p = { id, UINT32_MAX, n ? malloc(n * 8) : NULL, n };
	if (n && !p.links)
		return GATHER_E_NOMEM;
	if (n)
		memcpy(p.links, links, n * 8);
	VEC_PUSH(r->pages, p);
	if (r->pages.oom) {
		free(p.links);
		return GATHER_E_NOMEM;
	}
	if (gather_u64map_put(&r->pidx, id, (void *)(uintptr_t)r->pages.n) < 0)
		return GATHER_E_NOMEM;
	return 0;
}

static int load_add(uint64_t id, unsigned depth, uint64_t parent, void *arg)
{
	struct replay *r = arg;
	struct gather_state_add a = { id, depth, parent };
	VEC_PUSH(r->adds, a);
	return r->adds.oom ? GATHER_E_NOMEM : 0;
}

static const char *url_of(struct replay *r, uint64_t id)
{
	uint64_t off = (uintptr_t)gather_u64map_get(&r->urls, id) & OFF_MASK;
	return off ? r->text.p + off - 1 : NULL;
}

static unsigned get_dist(struct replay *r, uint64_t id)
{
	uint64_t d = (uintptr_t)gather_u64map_get(&r->urls, id) >> OFF_BITS;
	return d ? (unsigned)(d - 1) : UINT32_MAX;
}

/* dist of id := d (its URL offset kept).  0 or GATHER_E_NOMEM (also for
 * a path longer than DIST_MAX: no crawl gets there). */
static int set_dist(struct replay *r, uint64_t id, unsigned d)
{
	if (d > DIST_MAX)
		return GATHER_E_NOMEM;
	uint64_t v = (uintptr_t)gather_u64map_get(&r->urls, id);
	v = (v & OFF_MASK) | ((uint64_t)d + 1) << OFF_BITS;
	return gather_u64map_put(&r->urls, id, (void *)(uintptr_t)v);
}

static int by_dist(const void *a, const void *b)
{
	const struct rpage *x = a, *y = b;
	return x->dist < y->dist ? -1 : x->dist > y->dist;
}

/* Shortest paths (depths) over the committed pages' links, from the adds
 * at their depths: a breadth-first search by levels. */
typedef VEC(uint64_t) idvec;

static int compute_depths(struct replay *r)
{
	idvec cur = { 0 }, next = { 0 };
	int rc = 0;
	unsigned maxd = r->max_depth;
	/* sources: every add at its smallest depth */
	for (size_t i = 0; i < r->adds.n; i++) {
		const struct gather_state_add *a = &r->adds.v[i];
		if (a->depth <= maxd && a->depth < get_dist(r, a->id) && set_dist(r, a->id, a->depth) < 0)
			return GATHER_E_NOMEM;
	}
	for (unsigned d = 0; rc == 0; d++) {
		/* this level: adds at d, and what the level before reached */
		for (size_t i = 0; i < r->adds.n; i++)
			if (r->adds.v[i].depth == d && get_dist(r, r->adds.v[i].id) == d)
				VEC_PUSH(cur, r->adds.v[i].id);
		if (!cur.n) {
			/* nothing at d: go on only if adds lie deeper */
			bool more = false;
			for (size_t i = 0; i < r->adds.n && !more; i++)
				more = r->adds.v[i].depth > d && r->adds.v[i].depth <= maxd;
			if (!more || d >= maxd)
				break;
			continue;
		}
		next.n = 0;
		for (size_t i = 0; i < cur.n; i++) {
			uint64_t id = cur.v[i];
			uintptr_t k = (uintptr_t)gather_u64map_get(&r->pidx, id);
			if (!k || get_dist(r, id) != d)
				continue;
			struct rpage *p = &r->pages.v[k - 1];
			if (p->dist != UINT32_MAX)
				continue;   /* reached twice at d */
			p->dist = d;
			if (d >= maxd)
				continue;
			for (size_t j = 0; j < p->n; j++) {
				uint64_t l;
				memcpy(&l, p->links + j, 8);
				if (d + 1 < get_dist(r, l)) {
					if (set_dist(r, l, d + 1) < 0) {
						rc = GATHER_E_NOMEM;
						break;
					}
					VEC_PUSH(next, l);
				}
			}
		}
		if (cur.oom || next.oom)
			rc = GATHER_E_NOMEM;
		/* next level */
		idvec t = cur;
		cur = next;
		next = t;
		if (d >= maxd)
			break;
	}
	free(cur.v);
	free(next.v);
	return rc;
}

/* Replay: the adds, then each committed page in order of depth taken out of
 * the frontier and done with its links, as the first run did (without the
 * fetches).  What stays queued is what the crawl has left to do. */
static int replay(struct replay *r)
{
	struct gather_frontier *m = r->mem;
	uint64_t now = gather_now_ms();
	int rc = compute_depths(r);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < r->adds.n; i++) {
		const struct gather_state_add *a = &r->adds.v[i];
		const char *u = url_of(r, a->id);
		const char *par = a->parent ? url_of(r, a->parent) : NULL;
		if (u && a->depth <= r->max_depth && (rc = m->ops->add(m, u, a->depth, par)) < 0)
			return rc;
	}
	if (r->pages.n)
		qsort(r->pages.v, r->pages.n, sizeof *r->pages.v, by_dist);
	const char **lv = NULL;
	uint64_t *li = NULL;
	size_t lcap = 0;
	for (size_t i = 0; i < r->pages.n; i++) {
		struct rpage *p = &r->pages.v[i];
		if (p->dist == UINT32_MAX)
			break;   /* sorted last: pages no committed path reaches */
		if (gather_frontier_mem_take(m, p->id) < 0) {
			gather_frontier_state_pull(r->sf, p->id, url_of(r, p->id));
			if (gather_frontier_mem_take(m, p->id) < 0)
				continue;
		}
		if (p->n > lcap) {
			const char **t = realloc(lv, p->n * sizeof *lv);
			if (t)
				lv = t;
			uint64_t *t2 = t ? realloc(li, p->n * sizeof *li) : NULL;
			if (!t2) {
				free(lv);
				free(li);
				return GATHER_E_NOMEM;
			}
			li = t2;
			lcap = p->n;
		}
		size_t k = 0;
		for (size_t j = 0; j < p->n; j++) {
			uint64_t l;
			memcpy(&l, p->links + j, 8);
			const char *u = url_of(r, l);
			if (u) {
				li[k] = l;   /* the fingerprints are known: no hashing */
				lv[k++] = u;
			}
		}
		if ((rc = m->ops->done(m, p->id, now, lv, li, k)) < 0 && rc != GATHER_E_INVALID) {
			free(lv);
			free(li);
			return rc;
		}
	}
	free(lv);
	free(li);
	return 0;
}

static void replay_free(struct replay *r)
{
	gather_u64map_clear(&r->urls);
	free(r->text.p);
	gather_u64map_clear(&r->pidx);
	for (size_t i = 0; i < r->pages.n; i++)
		free(r->pages.v[i].links);
	free(r->pages.v);
	free(r->adds.v);
}

int crawl_replay(struct gather_state *db, struct gather_seen *known, unsigned max_depth,
                 struct gather_frontier *sf, uint64_t *pages, char *err, size_t errlen)
{
	struct replay r = { .known = known, .max_depth = max_depth, .sf = sf,
	                    .mem = gather_frontier_state_mem(sf) };
	uint64_t npages = 0, nurls = 0, nadds = 0;
	int rc = gather_state_counts(db, &npages, &nurls, &nadds);
	if (rc < 0) {
		gather_state_why(db, err, errlen);
		return rc;
	}
	if (gather_u64map_reserve(&r.urls, nurls) < 0 || gather_seen_reserve(known, nurls) < 0 ||
	    gather_u64map_reserve(&r.pidx, npages) < 0) {
		rc = GATHER_E_NOMEM;
	} else if ((rc = gather_state_each_url(db, load_url, &r)) < 0 ||
	           (rc = gather_state_each_page(db, load_page, &r)) < 0 ||
	           (rc = gather_state_each_add(db, load_add, &r)) < 0) {
		if (rc != GATHER_E_NOMEM)
			gather_state_why(db, err, errlen);
	} else {
		*pages = r.pages.n;
		rc = replay(&r);
	}
	if (rc == GATHER_E_NOMEM)
		snprintf(err, errlen, "out of memory resuming the crawl");
	replay_free(&r);
	return rc;
}
