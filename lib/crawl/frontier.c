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
#include "crawl/frontier.h"
#include "url/url.h"
#include "crawl/frontier-mem.h"
#include "util/hostshare.h"
#include "util/seen.h"
#include "util/u64map.h"

enum fe_state { FE_QUEUED, FE_INFLIGHT, FE_DONE };

struct fhost;

/* A URL that is not settled.  Owned by the map mem->entries. */
struct fentry {
	uint64_t fp;
	char *url;               /* in the same allocation, after the struct */
	char *parent;            /* NULL for seeds */
	struct fhost *host;
	unsigned depth;
	enum fe_state state;
	bool on_stack;
	bool released;           /* INFLIGHT: fetched() gave its host slot back */
	struct fentry *prev, *next; /* host queue (QUEUED) or kept list (DONE) */
	char *links;             /* DONE: NUL-separated, nlinks of them */
	size_t links_len, nlinks;
};

struct elist {
	struct fentry *head, *tail;
};

struct hlist {
	struct fhost *head, *tail;
};

/* A host's queued entries of one depth.  Owned by its host. */
struct hq {
	unsigned depth;
	struct elist l;
};

/* A host (host[:port]).  Owned by mem->hosts; lives as long as the frontier. */
struct fhost {
	uint64_t fp;
	unsigned inflight;
	size_t queued;
	uint64_t ready_at_ms;    /* no start before this */
	uint64_t delay_ms;       /* between starts; >= the frontier's */
	struct gather_hostslot *shared; /* counts of every crawl on the reactor
	                          * (gather_frontier_conf.share), or NULL */
	struct hq **q;           /* non-empty queues, by depth ascending */
	unsigned nq, qcap;
	enum { H_NONE, H_READY, H_WAITING } where;
	struct level *bucket;        /* H_READY: in bucket->ready */
	struct fhost *rprev, *rnext;
	size_t heap_idx;             /* in waiting heap */
};

enum { LV_UNFIN, LV_KEPT, LV_READY, LV_N };
#define LV_OUT SIZE_MAX

/* One depth in use.  Owned by mem->levels; freed as soon as all three
 * parts are empty. */
struct level {
	unsigned depth;
	uint64_t unfin;          /* queued + in flight */
	struct elist kept;       /* fetched, unsettled, with links */
	struct hlist ready;      /* hosts whose shallowest queued depth this is */
	size_t pos[LV_N];        /* index in mem->lv[k], or LV_OUT */
};

/* A min-heap of levels by depth. */
struct lheap {
	struct level **v;
	size_t n, cap;
};

struct mem {
	struct gather_frontier base;
	struct gather_frontier_conf c;
	uint64_t now_ms;
	struct gather_seen *seen;
	struct gather_u64map entries; /* fp -> struct fentry */
	struct gather_u64map hosts;   /* fp of host key -> struct fhost */
	size_t nhosts;
	struct gather_u64map levels;  /* depth + 1 -> struct level */
	struct lheap lv[LV_N];        /* levels with that part non-empty */
	uint64_t nhq;                 /* host queues held */
	uint64_t touched;             /* test hook: slots looked at */
	struct fhost **heap;
	size_t nheap, heapcap;
	/* A layer keeping part of the queue elsewhere (frontier-mem.h). */
	gather_frontier_spill_fn spill;
	void *spill_arg;
	uint64_t floor;          /* its shallowest depth (UINT64_MAX: none) */
	struct fentry **stack;   /* pages whose links are to be offered again */
	size_t nstack, stackcap;
	struct gather_frontier_stats st;
};

const char *gather_frontier_host_key(const char *url, size_t *len)
{
	return gather_url_host_port(url, len);
}

static uint64_t host_fp(const struct mem *m, const char *url)
{
	size_t n;
	const char *h = gather_frontier_host_key(url, &n);
	if (!h) {
		h = "";
		n = 0;
	}
	return gather_seen_fingerprint(m->c.key, h, n);
}

/* ---- lists --------------------------------------------------------------- */

static void el_push(struct elist *l, struct fentry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

static void el_unlink(struct elist *l, struct fentry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

/* ---- depth levels ---------------------------------------------------- */

static void lh_swap(struct lheap *h, int k, size_t a, size_t b)
{
	struct level *t = h->v[a];
	h->v[a] = h->v[b];
	h->v[b] = t;
	h->v[a]->pos[k] = a;
	h->v[b]->pos[k] = b;
}

static void lh_fix(struct mem *m, int k, size_t i)
{
	struct lheap *h = &m->lv[k];
	while (i > 0 && h->v[(i - 1) / 2]->depth > h->v[i]->depth) {
		m->touched++;
		lh_swap(h, k, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i;
		m->touched++;
		if (l < h->n && h->v[l]->depth < h->v[s]->depth)
			s = l;
		if (r < h->n && h->v[r]->depth < h->v[s]->depth)
			s = r;
		if (s == i)
			return;
		lh_swap(h, k, i, s);
		i = s;
	}
}

/* Puts L in or takes it out of heap k.  Room was reserved when L was
 * made (level_need), so this cannot fail. */
static void lh_set(struct mem *m, int k, struct level *L, bool in)
{
	struct lheap *h = &m->lv[k];
	if (in && L->pos[k] == LV_OUT) {
		L->pos[k] = h->n;
		h->v[h->n++] = L;
		lh_fix(m, k, L->pos[k]);
	} else if (!in && L->pos[k] != LV_OUT) {
		size_t i = L->pos[k];
		L->pos[k] = LV_OUT;
		h->n--;
		if (i != h->n) {
			h->v[i] = h->v[h->n];
			h->v[i]->pos[k] = i;
			lh_fix(m, k, i);
		}
	}
}

static struct level *lh_min(struct mem *m, int k)
{
	m->touched++;
	return m->lv[k].n ? m->lv[k].v[0] : NULL;
}

static struct level *level_get(struct mem *m, unsigned d)
{
	m->touched++;
	return gather_u64map_get(&m->levels, (uint64_t)d + 1);
}

/* Called after any part of L changed: keeps its heap places right, and
 * frees it when all its parts are empty (L is invalid after that). */
static void level_update(struct mem *m, struct level *L)
{
	lh_set(m, LV_UNFIN, L, L->unfin > 0);
	lh_set(m, LV_KEPT, L, L->kept.head != NULL);
	lh_set(m, LV_READY, L, L->ready.head != NULL);
	if (!L->unfin && !L->kept.head && !L->ready.head) {
		gather_u64map_del(&m->levels, (uint64_t)L->depth + 1);
		free(L);
	}
}

/* The level of depth d, made if need be; NULL on OOM.  A new level is
 * empty: the caller puts something in it and calls level_update. */
static struct level *level_need(struct mem *m, unsigned d)
{
	struct level *L = level_get(m, d);
	if (L)
		return L;
	size_t want = m->levels.count + 1;
	for (int k = 0; k < LV_N; k++) {
		struct lheap *h = &m->lv[k];
		if (h->cap >= want)
			continue;
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct level **v = realloc(h->v, cap * sizeof *v);
		if (!v)
			return NULL;
		h->v = v;
		h->cap = cap;
	}
	L = calloc(1, sizeof *L);
	if (!L)
		return NULL;
	L->depth = d;
	for (int k = 0; k < LV_N; k++)
		L->pos[k] = LV_OUT;
	if (gather_u64map_put(&m->levels, (uint64_t)d + 1, L)) {
		free(L);
		return NULL;
	}
	return L;
}

/* Smallest depth with an unfinished URL, or UINT64_MAX if none. */
/* The smallest depth of an unfinished URL, here or (floor) kept outside
 * by a layer above: what settles kept pages. */
static uint64_t unfin_min(struct mem *m)
{
	struct level *L = lh_min(m, LV_UNFIN);
	uint64_t d = L ? L->depth : UINT64_MAX;
	return m->floor < d ? m->floor : d;
}

/* L must exist (it holds an unfinished URL at depth d). */
static void unfin_dec(struct mem *m, unsigned d)
{
	struct level *L = level_get(m, d);
	L->unfin--;
	level_update(m, L);
}

/* ---- host depth queues --------------------------------------------------- */

/* Index of the first queue of h with depth >= d (binary search). */
static unsigned hq_lower(struct mem *m, const struct fhost *h, unsigned d)
{
	unsigned lo = 0, hi = h->nq;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		m->touched++;
		if (h->q[mid]->depth < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct hq *hq_get(struct mem *m, const struct fhost *h, unsigned d)
{
	unsigned i = hq_lower(m, h, d);
	return i < h->nq && h->q[i]->depth == d ? h->q[i] : NULL;
}

/* h's queue of depth d, made if need be; NULL on OOM.  A queue made here
 * is empty: the caller puts an entry in it at once. */
static struct hq *hq_need(struct mem *m, struct fhost *h, unsigned d)
{
	unsigned i = hq_lower(m, h, d);
	if (i < h->nq && h->q[i]->depth == d)
		return h->q[i];
	if (h->nq == h->qcap) {
		unsigned cap = h->qcap ? h->qcap * 2 : 2;
		struct hq **q = realloc(h->q, cap * sizeof *q);
		if (!q)
			return NULL;
		h->q = q;
		h->qcap = cap;
	}
	struct hq *hq = calloc(1, sizeof *hq);
	if (!hq)
		return NULL;
	hq->depth = d;
	memmove(h->q + i + 1, h->q + i, (h->nq - i) * sizeof *h->q);
	m->touched += h->nq - i;
	h->q[i] = hq;
	h->nq++;
	m->nhq++;
	return hq;
}

/* Frees hq if it is empty. */
static void hq_trim(struct mem *m, struct fhost *h, struct hq *hq)
{
	if (hq->l.head)
		return;
	unsigned i = hq_lower(m, h, hq->depth);
	memmove(h->q + i, h->q + i + 1, (h->nq - i - 1) * sizeof *h->q);
	m->touched += h->nq - i - 1;
	h->nq--;
	m->nhq--;
	free(hq);
	if (!h->nq) {
		/* A host between bursts holds no array at all. */
		free(h->q);
		h->q = NULL;
		h->qcap = 0;
	}
}

/* ---- waiting heap (min ready_at_ms) -------------------------------------- */

static void heap_swap(struct mem *m, size_t a, size_t b)
{
	struct fhost *t = m->heap[a];
	m->heap[a] = m->heap[b];
	m->heap[b] = t;
	m->heap[a]->heap_idx = a;
	m->heap[b]->heap_idx = b;
}

static void heap_fix(struct mem *m, size_t i)
{
	while (i > 0 && m->heap[(i - 1) / 2]->ready_at_ms > m->heap[i]->ready_at_ms) {
		heap_swap(m, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i;
		if (l < m->nheap && m->heap[l]->ready_at_ms < m->heap[s]->ready_at_ms)
			s = l;
		if (r < m->nheap && m->heap[r]->ready_at_ms < m->heap[s]->ready_at_ms)
			s = r;
		if (s == i)
			return;
		heap_swap(m, i, s);
		i = s;
	}
}

static void heap_remove(struct mem *m, struct fhost *h)
{
	size_t i = h->heap_idx;
	m->nheap--;
	if (i != m->nheap) {
		m->heap[i] = m->heap[m->nheap];
		m->heap[i]->heap_idx = i;
		heap_fix(m, i);
	}
}

/* ---- host placement ---------------------------------------------------- */

static void host_unplace(struct mem *m, struct fhost *h)
{
	if (h->where == H_READY) {
		struct level *L = h->bucket;
		struct hlist *l = &L->ready;
		if (h->rprev)
			h->rprev->rnext = h->rnext;
		else
			l->head = h->rnext;
		if (h->rnext)
			h->rnext->rprev = h->rprev;
		else
			l->tail = h->rprev;
		h->rprev = h->rnext = NULL;
		h->bucket = NULL;
		level_update(m, L);
	} else if (h->where == H_WAITING) {
		heap_remove(m, h);
	}
	h->where = H_NONE;
}

/* Called whenever something about h changed (queue, in-flight count,
 * ready time): puts h where it belongs.  The heap cannot fail to grow
 * because it was sized to hold every host when the host was made, and
 * the level of h's shallowest queued depth exists: it counts those URLs
 * as unfinished. */
/* Other crawls hold h's shared budget: no start before a retry (they do
 * not tell this frontier when they end their fetches). */
#define SHARE_RETRY_MS 20u

/* True when the crawls sharing h's host leave it no start now; its ready
 * time then moves to when it may have one. */
static bool shared_blocked(struct mem *m, struct fhost *h)
{
	struct gather_hostslot *s = h->shared;
	if (!s)
		return false;
	uint64_t at = h->ready_at_ms;
	if (s->next_ms > at)
		at = s->next_ms;
	if (s->out >= m->c.per_host && m->now_ms + SHARE_RETRY_MS > at)
		at = m->now_ms + SHARE_RETRY_MS;
	if (at <= m->now_ms)
		return false;
	h->ready_at_ms = at;
	return true;
}

static void host_place(struct mem *m, struct fhost *h)
{
	host_unplace(m, h);
	if (!h->queued || h->inflight >= m->c.per_host)
		return;
	shared_blocked(m, h);
	if (h->ready_at_ms > m->now_ms) {
		h->where = H_WAITING;
		h->heap_idx = m->nheap;
		m->heap[m->nheap++] = h;
		heap_fix(m, h->heap_idx);
		return;
	}
	struct level *L = level_get(m, h->q[0]->depth);
	h->where = H_READY;
	h->bucket = L;
	struct hlist *l = &L->ready;
	h->rnext = NULL;
	h->rprev = l->tail;
	if (l->tail)
		l->tail->rnext = h;
	else
		l->head = h;
	l->tail = h;
	level_update(m, L);
}

static struct fhost *host_get(struct mem *m, const char *url)
{
	uint64_t fp = host_fp(m, url);
	struct fhost *h = gather_u64map_get(&m->hosts, fp);
	if (h)
		return h;
	if (m->nheap == m->heapcap || m->nhosts == m->heapcap) {
		size_t cap = m->heapcap ? m->heapcap * 2 : 16;
		struct fhost **heap = realloc(m->heap, cap * sizeof *heap);
		if (!heap)
			return NULL;
		m->heap = heap;
		m->heapcap = cap;
	}
	h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	if (gather_u64map_put(&m->hosts, fp, h)) {
		free(h);
		return NULL;
	}
	h->fp = fp;
	h->delay_ms = m->c.delay_ms;
	if (m->c.share) {
		size_t n;
		const char *k = gather_frontier_host_key(url, &n);
		/* on OOM the host is polite alone */
		h->shared = gather_hostshare_get(m->c.share, k ? k : "", k ? n : 0);
	}
	m->nhosts++;
	m->st.hosts = m->nhosts;
	return h;
}

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
		el_push(l, e);
	}
	h->queued++;
	host_place(m, h);
}

/* Called by offer for a known, unsettled entry reached by a shorter path:
 * its depth drops to d (parent: the page that linked it).  0, or
 * GATHER_E_NOMEM with nothing changed. */
static int entry_lower(struct mem *m, struct fentry *e, unsigned d, const char *parent)
{
	struct level *L = level_need(m, d);
	if (!L)
		return GATHER_E_NOMEM;
	if (e->state == FE_QUEUED) {
		struct fhost *h = e->host;
		struct hq *to = hq_need(m, h, d);
		if (!to) {
			level_update(m, L);   /* frees it if it was made for this */
			return GATHER_E_NOMEM;
		}
		struct hq *from = hq_get(m, h, e->depth);
		el_unlink(&from->l, e);
		hq_trim(m, h, from);
		h->queued--;
		L->unfin++;
		level_update(m, L);
		unfin_dec(m, e->depth);
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
		level_update(m, L);
		unfin_dec(m, e->depth);
		e->depth = d;
	} else {
		struct level *old = level_get(m, e->depth);
		el_unlink(&old->kept, e);
		level_update(m, old);
		e->depth = d;
		el_push(&L->kept, e);
		level_update(m, L);
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
	struct fhost *h = host_get(m, url);
	if (!h)
		return GATHER_E_NOMEM;
	struct level *L = level_need(m, d);
	if (!L)
		return GATHER_E_NOMEM;
	struct hq *hq = hq_need(m, h, d);
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
			hq_trim(m, h, hq);
		level_update(m, L);
		return rc;
	}
	L->unfin++;
	level_update(m, L);
	m->st.queued++;
	m->st.seen++;
	queue_push(m, e, hq, false);
	return 1;
fail:
	if (hq)
		hq_trim(m, h, hq);
	level_update(m, L);
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
	uint64_t mu = unfin_min(m);
	uint64_t upto = mu == UINT64_MAX ? UINT64_MAX : mu + 2;
	struct level *L;
	while ((L = lh_min(m, LV_KEPT)) && L->depth < upto) {
		while (L->kept.head) {
			struct fentry *e = L->kept.head;
			el_unlink(&L->kept, e);
			settle(m, e);
		}
		level_update(m, L);
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
		host_place(m, m->heap[0]);
	struct level *L = lh_min(m, LV_READY);
	/* hosts whose shared budget another crawl took since they were
	 * placed go to wait (each once: host_place leaves them waiting) */
	while (L && shared_blocked(m, L->ready.head)) {
		host_place(m, L->ready.head);
		L = lh_min(m, LV_READY);
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
	el_unlink(&hq->l, e);
	hq_trim(m, h, hq);
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
	host_place(m, h);
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
	host_place(m, e->host);
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
		host_place(m, e->host);
	}
	/* e's level must live until e's links are on its kept list or e is
	 * settled: fix its heap place by hand, level_update (which may free
	 * it) comes after. */
	struct level *L = level_get(m, e->depth);
	L->unfin--;
	lh_set(m, LV_UNFIN, L, L->unfin > 0);
	uint64_t mu = unfin_min(m);
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
			el_push(&L->kept, e);
		}
	}
	level_update(m, L);
	sweep(m);
	return rc;
}

static void mem_slow(struct gather_frontier *f, const char *url, uint64_t now_ms,
                     uint64_t until_ms)
{
	struct mem *m = (struct mem *)f;
	if (now_ms > m->now_ms)
		m->now_ms = now_ms;
	struct fhost *h = gather_u64map_get(&m->hosts, host_fp(m, url));
	if (!h)
		return;
	uint64_t cap = m->now_ms + m->c.max_wait_ms;
	if (until_ms > cap)
		until_ms = cap;
	if (until_ms > h->ready_at_ms) {
		h->ready_at_ms = until_ms;
		host_place(m, h);
	}
}

static void mem_host_delay(struct gather_frontier *f, const char *url, uint64_t now_ms,
                           uint64_t delay_ms)
{
	struct mem *m = (struct mem *)f;
	if (now_ms > m->now_ms)
		m->now_ms = now_ms;
	struct fhost *h = host_get(m, url);
	if (!h)
		return;
	h->delay_ms = delay_ms > m->c.delay_ms ? delay_ms : m->c.delay_ms;
	if (m->now_ms + h->delay_ms > h->ready_at_ms) {
		h->ready_at_ms = m->now_ms + h->delay_ms;
		host_place(m, h);
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
	struct hq *hq = hq_need(m, h, e->depth);
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
	struct hq *hq = hq_get(m, h, e->depth);
	el_unlink(&hq->l, e);
	hq_trim(m, h, hq);
	h->queued--;
	e->state = FE_INFLIGHT;
	e->released = true;   /* never fetched: holds no politeness slot */
	m->st.queued--;
	m->st.inflight++;
	host_place(m, h);
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
