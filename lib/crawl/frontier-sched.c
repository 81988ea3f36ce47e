/* frontier-sched.c — the in-memory frontier's scheduling parts (see
 * frontier.c for the design): entry lists, the depth levels and their
 * heaps, each host's queues by depth, the waiting heap (delays,
 * Retry-After), and where a host stands (ready bucket, waiting, or out). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "crawl/frontier-internal.h"
#include "url/url.h"

const char *gather_frontier_host_key(const char *url, size_t *len)
{
	return gather_url_host_port(url, len);
}

uint64_t fr_host_fp(const struct mem *m, const char *url)
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

void fr_el_push(struct elist *l, struct fentry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

void fr_el_unlink(struct elist *l, struct fentry *e)
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
 * made (fr_level_need), so this cannot fail. */
void fr_lh_set(struct mem *m, int k, struct level *L, bool in)
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

struct level *fr_lh_min(struct mem *m, int k)
{
	m->touched++;
	return m->lv[k].n ? m->lv[k].v[0] : NULL;
}

struct level *fr_level_get(struct mem *m, unsigned d)
{
	m->touched++;
	return gather_u64map_get(&m->levels, (uint64_t)d + 1);
}

/* Called after any part of L changed: keeps its heap places right, and
 * frees it when all its parts are empty (L is invalid after that). */
void fr_level_update(struct mem *m, struct level *L)
{
	fr_lh_set(m, LV_UNFIN, L, L->unfin > 0);
	fr_lh_set(m, LV_KEPT, L, L->kept.head != NULL);
	fr_lh_set(m, LV_READY, L, L->ready.head != NULL);
	if (!L->unfin && !L->kept.head && !L->ready.head) {
		gather_u64map_del(&m->levels, (uint64_t)L->depth + 1);
		free(L);
	}
}

/* The level of depth d, made if need be; NULL on OOM.  A new level is
 * empty: the caller puts something in it and calls fr_level_update. */
struct level *fr_level_need(struct mem *m, unsigned d)
{
	struct level *L = fr_level_get(m, d);
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
uint64_t fr_unfin_min(struct mem *m)
{
	struct level *L = fr_lh_min(m, LV_UNFIN);
	uint64_t d = L ? L->depth : UINT64_MAX;
	return m->floor < d ? m->floor : d;
}

/* L must exist (it holds an unfinished URL at depth d). */
void fr_unfin_dec(struct mem *m, unsigned d)
{
	struct level *L = fr_level_get(m, d);
	L->unfin--;
	fr_level_update(m, L);
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

struct hq *fr_hq_get(struct mem *m, const struct fhost *h, unsigned d)
{
	unsigned i = hq_lower(m, h, d);
	return i < h->nq && h->q[i]->depth == d ? h->q[i] : NULL;
}

/* h's queue of depth d, made if need be; NULL on OOM.  A queue made here
 * is empty: the caller puts an entry in it at once. */
struct hq *fr_hq_need(struct mem *m, struct fhost *h, unsigned d)
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
void fr_hq_trim(struct mem *m, struct fhost *h, struct hq *hq)
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
		fr_level_update(m, L);
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
bool fr_shared_blocked(struct mem *m, struct fhost *h)
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

void fr_host_place(struct mem *m, struct fhost *h)
{
	host_unplace(m, h);
	if (!h->queued || h->inflight >= m->c.per_host)
		return;
	fr_shared_blocked(m, h);
	if (h->ready_at_ms > m->now_ms) {
		h->where = H_WAITING;
		h->heap_idx = m->nheap;
		m->heap[m->nheap++] = h;
		heap_fix(m, h->heap_idx);
		return;
	}
	struct level *L = fr_level_get(m, h->q[0]->depth);
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
	fr_level_update(m, L);
}

struct fhost *fr_host_get(struct mem *m, const char *url)
{
	uint64_t fp = fr_host_fp(m, url);
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
