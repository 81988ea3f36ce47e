/* frontier.c — the in-memory frontier (see frontier.h for the contract).
 *
 * Every URL ever added has its fingerprint in the seen set (<= 16 bytes).
 * URLs that are queued, in flight, or fetched but whose depth may still
 * drop ("unsettled") also have an entry in the entry map with their depth.
 *
 * Exact depth.  Let m be the smallest depth of an unfinished (queued or in
 * flight) URL.  Every depth assigned from now on comes from a link on an
 * unfinished page or on a page whose depth drops because of one, so it is
 * >= m + 1.  A fetched page of depth <= m + 1 is therefore settled: its
 * entry and links are dropped and only its fingerprint stays.  A fetched
 * page deeper than that keeps its links (one NUL-separated blob) on the
 * kept list of its depth; if its depth drops, the links are offered again at
 * the new depth + 1, recursively (an explicit stack, no recursion).  As m
 * grows the kept lists at depth <= m + 1 are freed, so only a window of
 * link lists is held.  m only grows, unless a URL is added from outside
 * below it (see frontier.h).
 *
 * Depth levels.  Nothing is sized by max_depth (which may be
 * GATHER_DEPTH_INF): a depth has a level (its count of unfinished URLs,
 * its kept list and its ready bucket) only while one of these is not
 * empty, found through a map, and three min-heaps of levels keyed by
 * depth (non-empty unfinished count, kept list, ready bucket) give the
 * shallowest of each in O(log levels), however many depths lie empty
 * between them.  A host likewise holds a FIFO only per depth it has
 * queued URLs at, in a small array sorted by depth.
 *
 * Politeness.  Each host has a FIFO of queued entries per depth.  A host
 * with queued entries is in one of: the ready bucket of its shallowest
 * queued depth (can start now), the waiting heap ordered by ready_at_ms
 * (delay or Retry-After), or nowhere while it has per_host entries out.
 * next() takes the first host of the shallowest non-empty ready bucket and
 * moves it to the bucket's tail (round robin among hosts). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "crawl/frontier-internal.h"
#include "url/url.h"

/* ---- entries ------------------------------------------------------------- */

static void entry_free(struct fentry *e)
{
	free(e->parent);
	free(e->links);
	free(e);
}

/* Queues e (QUEUED, counted unfinished at its depth) on hq, its host's
 * queue of its depth, at the tail or, when first, at the head. */
static void queue_push(struct mem *m, struct fentry *e, struct hq *hq, bool first)
{
	struct fhost *h = e->host;
	struct elist *l = &hq->l;
	if (first) {
		e->prev = NULL;
		e->next = l->head;
		if (l->head)
			l->head->prev = e;
		else
			l->tail = e;
		l->head = e;
	} else {
		fr_el_push(l, e);
	}
	h->queued++;
	fr_host_place(m, h);
}

/* Called by offer for a known, unsettled entry reached by a shorter path:
 * its depth drops to d (parent: the page that linked it).  0, or
 * GATHER_E_NOMEM with nothing changed. */
static int entry_lower(struct mem *m, struct fentry *e, unsigned d, const char *parent)
{
	struct level *L = fr_level_need(m, d);
	if (!L)
		return GATHER_E_NOMEM;
	if (e->state == FE_QUEUED) {
		struct fhost *h = e->host;
		struct hq *to = fr_hq_need(m, h, d);
		if (!to) {
			fr_level_update(m, L);   /* frees it if it was made for this */
			return GATHER_E_NOMEM;
		}
		struct hq *from = fr_hq_get(m, h, e->depth);
		fr_el_unlink(&from->l, e);
		fr_hq_trim(m, h, from);
		h->queued--;
		L->unfin++;
		fr_level_update(m, L);
		fr_unfin_dec(m, e->depth);
		e->depth = d;
		/* The record names the parent on the path that counts. */
		char *p = parent ? strdup(parent) : NULL;
		if (p || !parent) {
			free(e->parent);
			e->parent = p;
		}
		queue_push(m, e, to, false);
	} else if (e->state == FE_INFLIGHT) {
		L->unfin++;
		fr_level_update(m, L);
		fr_unfin_dec(m, e->depth);
		e->depth = d;
	} else {
		struct level *old = fr_level_get(m, e->depth);
		fr_el_unlink(&old->kept, e);
		fr_level_update(m, old);
		e->depth = d;
		fr_el_push(&L->kept, e);
		fr_level_update(m, L);
		if (!e->on_stack) {
			/* Room was reserved: stackcap > number of entries. */
			e->on_stack = true;
			m->stack[m->nstack++] = e;
		}
	}
	m->st.lowered++;
	return 0;
}

/* Offer url at depth d, found on parent: new → queued; known and unsettled
 * at a greater depth → lowered.  1 new, 0 known, or an error. */
/* fp: url's fingerprint, or 0 to compute it here. */
static int offer(struct mem *m, const char *url, uint64_t fp, unsigned d, const char *parent)
{
	if (d > m->c.max_depth)
		return 0;
	size_t ulen = strlen(url);
	if (!fp)
		fp = gather_seen_fingerprint(m->c.key, url, ulen);
	struct fentry *e = gather_u64map_get(&m->entries, fp);
	if (e)
		return d < e->depth ? entry_lower(m, e, d, parent) : 0;
	if (gather_seen_has(m->seen, fp))
		return 0;   /* settled at a depth <= d (see the top of this file) */
	if (m->spill && m->spill(m->spill_arg, url, fp, d, parent))
		return 0;   /* kept outside (or known there at <= d) */
	if (m->entries.count + 1 >= m->stackcap) {
		size_t cap = m->stackcap ? m->stackcap * 2 : 64;
		struct fentry **s = realloc(m->stack, cap * sizeof *s);
		if (!s)
			return GATHER_E_NOMEM;
		m->stack = s;
		m->stackcap = cap;
	}
	struct fhost *h = fr_host_get(m, url);
	if (!h)
		return GATHER_E_NOMEM;
	struct level *L = fr_level_need(m, d);
	if (!L)
		return GATHER_E_NOMEM;
	struct hq *hq = fr_hq_need(m, h, d);
	/* one allocation for the entry and its URL: a large frontier is
	 * mostly queued entries */
	e = hq ? calloc(1, sizeof *e + ulen + 1) : NULL;
	if (!e)
		goto fail;
	e->fp = fp;
	e->url = (char *)(e + 1);
	memcpy(e->url, url, ulen + 1);
	e->parent = parent ? strdup(parent) : NULL;
	e->host = h;
	e->depth = d;
	e->state = FE_QUEUED;
	if ((parent && !e->parent) || gather_u64map_put(&m->entries, fp, e)) {
		entry_free(e);
		goto fail;
	}
	int rc = gather_seen_add(m->seen, fp);
	if (rc < 0) {
		gather_u64map_del(&m->entries, fp);
		entry_free(e);
		if (hq)
			fr_hq_trim(m, h, hq);
		fr_level_update(m, L);
		return rc;
	}
	L->unfin++;
	fr_level_update(m, L);
	m->st.queued++;
	m->st.seen++;
	queue_push(m, e, hq, false);
	return 1;
fail:
	if (hq)
		fr_hq_trim(m, h, hq);
	fr_level_update(m, L);
	return GATHER_E_NOMEM;
}

/* Offer the kept links of each page on the stack at its depth + 1. */
static int drain_stack(struct mem *m)
{
	int rc = 0;
	while (m->nstack) {
		struct fentry *e = m->stack[--m->nstack];
		e->on_stack = false;
		m->st.reoffered++;
		/* (depth + 1 would wrap at GATHER_DEPTH_INF) */
		if (e->depth >= m->c.max_depth)
			continue;
		const char *l = e->links;
		for (size_t i = 0; i < e->nlinks; i++, l += strlen(l) + 1) {
			int r = offer(m, l, 0, e->depth + 1, e->url);
			if (r < 0)
				rc = r;
		}
	}
	return rc;
}

static void settle(struct mem *m, struct fentry *e)
{
	gather_u64map_del(&m->entries, e->fp);
	m->st.link_bytes -= e->links_len;
	entry_free(e);
}

/* Frees the kept lists of every depth that cannot drop any more: those
 * <= m + 1 (all of them when nothing is unfinished). */
static void sweep(struct mem *m)
{
	uint64_t mu = fr_unfin_min(m);
	uint64_t upto = mu == UINT64_MAX ? UINT64_MAX : mu + 2;
	struct level *L;
	while ((L = fr_lh_min(m, LV_KEPT)) && L->depth < upto) {
		while (L->kept.head) {
			struct fentry *e = L->kept.head;
			fr_el_unlink(&L->kept, e);
			settle(m, e);
		}
		fr_level_update(m, L);
	}
}

/* ---- ops ----------------------------------------------------------------- */

static int mem_add(struct gather_frontier *f, const char *url, unsigned depth,
                   const char *parent)
{
	struct mem *m = (struct mem *)f;
	if (!url)
		return GATHER_E_INVALID;
	int rc = offer(m, url, 0, depth, parent);
	int rc2 = drain_stack(m);
	return rc < 0 ? rc : rc2 < 0 ? rc2 : rc;
}

static int mem_next(struct gather_frontier *f, uint64_t now_ms,
                    struct gather_frontier_item *ret, uint64_t *ret_at_ms)
{
	struct mem *m = (struct mem *)f;
	if (now_ms > m->now_ms)
		m->now_ms = now_ms;
	while (m->nheap && m->heap[0]->ready_at_ms <= m->now_ms)
		fr_host_place(m, m->heap[0]);
	struct level *L = fr_lh_min(m, LV_READY);
	/* hosts whose shared budget another crawl took since they were
	 * placed go to wait (each once: fr_host_place leaves them waiting) */
	while (L && fr_shared_blocked(m, L->ready.head)) {
		fr_host_place(m, L->ready.head);
		L = fr_lh_min(m, LV_READY);
	}
	if (!L) {
		if (m->nheap)
			*ret_at_ms = m->heap[0]->ready_at_ms;
		else if (m->st.queued || m->st.inflight)
			*ret_at_ms = UINT64_MAX;
		else
			return GATHER_FRONTIER_EMPTY;
		return GATHER_FRONTIER_WAIT;
	}
	struct fhost *h = L->ready.head;
	struct hq *hq = h->q[0];
	struct fentry *e = hq->l.head;
	fr_el_unlink(&hq->l, e);
	fr_hq_trim(m, h, hq);
	h->queued--;
	h->inflight++;
	h->ready_at_ms = m->now_ms + h->delay_ms;
	if (h->shared) {
		h->shared->out++;
		if (h->ready_at_ms > h->shared->next_ms)
			h->shared->next_ms = h->ready_at_ms;
	}
	e->state = FE_INFLIGHT;
	m->st.queued--;
	m->st.inflight++;
	fr_host_place(m, h);
	ret->id = e->fp;
	ret->url = e->url;
	ret->parent = e->parent;
	ret->depth = e->depth;
	return GATHER_FRONTIER_URL;
}

static int mem_fetched(struct gather_frontier *f, uint64_t id)
{
	struct mem *m = (struct mem *)f;
	struct fentry *e = gather_u64map_get(&m->entries, id);
	if (!e || e->state != FE_INFLIGHT || e->released)
		return GATHER_E_INVALID;
	e->released = true;
	e->host->inflight--;
	if (e->host->shared)
		e->host->shared->out--;
	fr_host_place(m, e->host);
	return 0;
}

static int mem_done(struct gather_frontier *f, uint64_t id, uint64_t now_ms,
                    const char *const *links, const uint64_t *ids, size_t n)
{
	struct mem *m = (struct mem *)f;
	struct fentry *e = gather_u64map_get(&m->entries, id);
	if (!e || e->state != FE_INFLIGHT)
		return GATHER_E_INVALID;
	if (now_ms > m->now_ms)
		m->now_ms = now_ms;
	/* Offer the links while e still counts as unfinished at its depth, so
	 * that nothing settles under it meanwhile. */
	int rc = 0;
	if (e->depth < m->c.max_depth)
		for (size_t i = 0; i < n; i++) {
			int r = offer(m, links[i], ids ? ids[i] : 0, e->depth + 1, e->url);
			if (r < 0)
				rc = r;
		}
	int r = drain_stack(m);
	if (r < 0)
		rc = r;
	e->state = FE_DONE;
	m->st.inflight--;
	m->st.done++;
	if (!e->released) {
		e->host->inflight--;
		if (e->host->shared)
			e->host->shared->out--;
		fr_host_place(m, e->host);
	}
	/* e's level must live until e's links are on its kept list or e is
	 * settled: fix its heap place by hand, fr_level_update (which may free
	 * it) comes after. */
	struct level *L = fr_level_get(m, e->depth);
	L->unfin--;
	fr_lh_set(m, LV_UNFIN, L, L->unfin > 0);
	uint64_t mu = fr_unfin_min(m);
	if (mu == UINT64_MAX || e->depth <= mu + 1) {
		settle(m, e);
	} else {
		/* Its depth may still drop: keep its links. */
		size_t len = 0;
		for (size_t i = 0; i < n; i++)
			len += strlen(links[i]) + 1;
		e->links = len ? malloc(len) : NULL;
		if (len && !e->links) {
			settle(m, e);
			rc = GATHER_E_NOMEM;
		} else {
			char *p = e->links;
			for (size_t i = 0; i < n; i++) {
				size_t k = strlen(links[i]) + 1;
				memcpy(p, links[i], k);
				p += k;
			}
			e->links_len = len;
			e->nlinks = n;
			m->st.link_bytes += len;
			fr_el_push(&L->kept, e);
		}
	}
	fr_level_update(m, L);
	sweep(m);
	return rc;
}

static void mem_slow(struct gather_frontier *f, const char *url, uint64_t now_ms,
                     uint64_t until_ms)
{
	struct mem *m = (struct mem *)f;
	if (now_ms > m->now_ms)
		m->now_ms = now_ms;
	struct fhost *h = gather_u64map_get(&m->hosts, fr_host_fp(m, url));
	if (!h)
		return;
	uint64_t cap = m->now_ms + m->c.max_wait_ms;
	if (until_ms > cap)
		until_ms = cap;
	if (until_ms > h->ready_at_ms) {
		h->ready_at_ms = until_ms;
		fr_host_place(m, h);
	}
}

static void mem_host_delay(struct gather_frontier *f, const char *url, uint64_t now_ms,
                           uint64_t delay_ms)
{
	struct mem *m = (struct mem *)f;
	if (now_ms > m->now_ms)
		m->now_ms = now_ms;
	struct fhost *h = fr_host_get(m, url);
	if (!h)
		return;
	h->delay_ms = delay_ms > m->c.delay_ms ? delay_ms : m->c.delay_ms;
	if (m->now_ms + h->delay_ms > h->ready_at_ms) {
		h->ready_at_ms = m->now_ms + h->delay_ms;
		fr_host_place(m, h);
	}
}

static int mem_requeue(struct gather_frontier *f, uint64_t id)
{
	struct mem *m = (struct mem *)f;
	struct fentry *e = gather_u64map_get(&m->entries, id);
	if (!e || e->state != FE_INFLIGHT)
		return GATHER_E_INVALID;
	struct fhost *h = e->host;
	/* its queue went when it was taken out, if it was the last */
	struct hq *hq = fr_hq_need(m, h, e->depth);
	if (!hq)
		return GATHER_E_NOMEM;
	e->state = FE_QUEUED;
	if (!e->released) {
		h->inflight--;
		if (h->shared)
			h->shared->out--;
	}
	e->released = false;
	m->st.inflight--;
	m->st.queued++;
	/* first in line: its turn had come */
	queue_push(m, e, hq, true);
	return 0;
}

void gather_frontier_mem_set_spill(struct gather_frontier *f, gather_frontier_spill_fn fn,
                                   void *arg)
{
	struct mem *m = (struct mem *)f;
	m->spill = fn;
	m->spill_arg = arg;
}

void gather_frontier_mem_set_floor(struct gather_frontier *f, uint64_t depth)
{
	struct mem *m = (struct mem *)f;
	uint64_t was = m->floor;
	m->floor = depth;
	if (depth > was)
		sweep(m);   /* pages it held unsettled may settle now */
}

uint64_t gather_frontier_mem_queued(const struct gather_frontier *f)
{
	return ((const struct mem *)f)->st.queued;
}

bool gather_frontier_mem_knows(const struct gather_frontier *f, uint64_t fp)
{
	const struct mem *m = (const struct mem *)f;
	return gather_u64map_get(&m->entries, fp) || gather_seen_has(m->seen, fp);
}

int gather_frontier_mem_take(struct gather_frontier *f, uint64_t id)
{
	struct mem *m = (struct mem *)f;
	struct fentry *e = gather_u64map_get(&m->entries, id);
	if (!e || e->state != FE_QUEUED)
		return GATHER_E_INVALID;
	struct fhost *h = e->host;
	struct hq *hq = fr_hq_get(m, h, e->depth);
	fr_el_unlink(&hq->l, e);
	fr_hq_trim(m, h, hq);
	h->queued--;
	e->state = FE_INFLIGHT;
	e->released = true;   /* never fetched: holds no politeness slot */
	m->st.queued--;
	m->st.inflight++;
	fr_host_place(m, h);
	return 0;
}

static void mem_stats(const struct gather_frontier *f, struct gather_frontier_stats *ret)
{
	const struct mem *m = (const struct mem *)f;
	*ret = m->st;
	ret->seen_bytes = gather_seen_bytes(m->seen);
}

uint64_t gather_frontier_mem_touched(const struct gather_frontier *f)
{
	return ((const struct mem *)f)->touched;
}

uint64_t gather_frontier_mem_levels(const struct gather_frontier *f)
{
	return ((const struct mem *)f)->levels.count;
}

uint64_t gather_frontier_mem_host_queues(const struct gather_frontier *f)
{
	return ((const struct mem *)f)->nhq;
}

static void mem_free(struct gather_frontier *f)
{
	struct mem *m = (struct mem *)f;
	for (size_t i = 0; i < m->entries.cap; i++)
		if (m->entries.key[i])
			entry_free(m->entries.val[i]);
	for (size_t i = 0; i < m->hosts.cap; i++)
		if (m->hosts.key[i]) {
			struct fhost *h = m->hosts.val[i];
			/* fetches it never said ended no longer hold the share */
			if (h->shared)
				h->shared->out -= h->inflight;
			for (unsigned k = 0; k < h->nq; k++)
				free(h->q[k]);
			free(h->q);
			free(h);
		}
	for (size_t i = 0; i < m->levels.cap; i++)
		if (m->levels.key[i])
			free(m->levels.val[i]);
	gather_u64map_clear(&m->entries);
	gather_u64map_clear(&m->hosts);
	gather_u64map_clear(&m->levels);
	gather_seen_free(m->seen);
	for (int k = 0; k < LV_N; k++)
		free(m->lv[k].v);
	free(m->heap);
	free(m->stack);
	free(m);
}

static const struct gather_frontier_ops mem_ops = {
	.add = mem_add,
	.next = mem_next,
	.fetched = mem_fetched,
	.done = mem_done,
	.slow = mem_slow,
	.host_delay = mem_host_delay,
	.requeue = mem_requeue,
	.stats = mem_stats,
	.free = mem_free,
};

/* Nothing here is sized by c->max_depth: any depth, GATHER_DEPTH_INF
 * (no limit) included, costs the same. */
struct gather_frontier *gather_frontier_mem_new(const struct gather_frontier_conf *c)
{
	if (!c)
		return NULL;
	struct mem *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->base.ops = &mem_ops;
	memcpy(m->base.key, c->key, sizeof m->base.key);
	m->c = *c;
	m->floor = UINT64_MAX;
	if (!m->c.per_host)
		m->c.per_host = 1;
	m->seen = gather_seen_new();
	if (!m->seen) {
		mem_free(&m->base);
		return NULL;
	}
	return &m->base;
}
