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

/* A host (host[:port]).  Owned by mem->hosts; lives as long as the frontier. */
struct fhost {
	uint64_t fp;
	unsigned inflight;
	size_t queued;
	uint64_t ready_at_ms;    /* no start before this */
	uint64_t delay_ms;       /* between starts; >= the frontier's */
	struct elist *q;         /* per depth, nq of them */
	unsigned nq;
	unsigned mind;           /* shallowest non-empty q when queued > 0 */
	enum { H_NONE, H_READY, H_WAITING } where;
	unsigned bucket;             /* H_READY: in ready[bucket] */
	struct fhost *rprev, *rnext;
	size_t heap_idx;             /* in waiting heap */
};

struct hlist {
	struct fhost *head, *tail;
};

struct mem {
	struct gather_frontier base;
	struct gather_frontier_conf c;
	uint64_t now_ms;
	struct gather_seen *seen;
	struct gather_u64map entries; /* fp -> struct fentry */
	struct gather_u64map hosts;   /* fp of host key -> struct fhost */
	size_t nhosts;
	/* Per depth 0..max_depth (allocated at creation). */
	uint64_t *unfin;         /* queued + in flight */
	struct elist *kept;      /* fetched, unsettled, with links */
	struct hlist *ready;
	unsigned ndepth;
	unsigned unfin_min, kept_min, ready_min; /* hints: nothing below */
	struct fhost **heap;
	size_t nheap, heapcap;
	struct fentry **stack;   /* pages whose links are to be offered again */
	size_t nstack, stackcap;
	struct gather_frontier_stats st;
};

const char *gather_frontier_host_key(const char *url, size_t *len)
{
	const char *p = strstr(url, "://");
	if (!p)
		return NULL;
	p += 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);
	while (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
		at = memchr(p, '@', n);
	}
	if (!n)
		return NULL;
	*len = n;
	return p;
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
		struct hlist *l = &m->ready[h->bucket];
		if (h->rprev)
			h->rprev->rnext = h->rnext;
		else
			l->head = h->rnext;
		if (h->rnext)
			h->rnext->rprev = h->rprev;
		else
			l->tail = h->rprev;
		h->rprev = h->rnext = NULL;
	} else if (h->where == H_WAITING) {
		heap_remove(m, h);
	}
	h->where = H_NONE;
}

/* Called whenever something about h changed (queue, in-flight count,
 * ready time): puts h where it belongs.  The heap cannot fail to grow
 * because it was sized to hold every host when the host was made. */
static void host_place(struct mem *m, struct fhost *h)
{
	host_unplace(m, h);
	if (!h->queued || h->inflight >= m->c.per_host)
		return;
	while (h->mind < h->nq && !h->q[h->mind].head)
		h->mind++;
	if (h->ready_at_ms > m->now_ms) {
		h->where = H_WAITING;
		h->heap_idx = m->nheap;
		m->heap[m->nheap++] = h;
		heap_fix(m, h->heap_idx);
		return;
	}
	h->where = H_READY;
	h->bucket = h->mind;
	struct hlist *l = &m->ready[h->mind];
	h->rnext = NULL;
	h->rprev = l->tail;
	if (l->tail)
		l->tail->rnext = h;
	else
		l->head = h;
	l->tail = h;
	if (h->mind < m->ready_min)
		m->ready_min = h->mind;
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
	h->q = calloc(m->ndepth, sizeof *h->q);
	if (!h->q || gather_u64map_put(&m->hosts, fp, h)) {
		free(h->q);
		free(h);
		return NULL;
	}
	h->fp = fp;
	h->nq = m->ndepth;
	h->delay_ms = m->c.delay_ms;
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

static void unfin_inc(struct mem *m, unsigned d)
{
	m->unfin[d]++;
	if (d < m->unfin_min)
		m->unfin_min = d;
}

/* Smallest depth with an unfinished URL, or ndepth if none. */
static unsigned unfin_min(struct mem *m)
{
	while (m->unfin_min < m->ndepth && !m->unfin[m->unfin_min])
		m->unfin_min++;
	return m->unfin_min;
}

static void queue_push(struct mem *m, struct fentry *e)
{
	struct fhost *h = e->host;
	el_push(&h->q[e->depth], e);
	h->queued++;
	if (h->queued == 1 || e->depth < h->mind)
		h->mind = e->depth;
	host_place(m, h);
}

/* Called by offer for a known, unsettled entry reached by a shorter path:
 * its depth drops to d (parent: the page that linked it). */
static void entry_lower(struct mem *m, struct fentry *e, unsigned d, const char *parent)
{
	m->st.lowered++;
	if (e->state == FE_QUEUED) {
		struct fhost *h = e->host;
		el_unlink(&h->q[e->depth], e);
		h->queued--;
		m->unfin[e->depth]--;
		e->depth = d;
		unfin_inc(m, d);
		/* The record names the parent on the path that counts. */
		char *p = parent ? strdup(parent) : NULL;
		if (p || !parent) {
			free(e->parent);
			e->parent = p;
		}
		queue_push(m, e);
	} else if (e->state == FE_INFLIGHT) {
		m->unfin[e->depth]--;
		e->depth = d;
		unfin_inc(m, d);
	} else {
		el_unlink(&m->kept[e->depth], e);
		e->depth = d;
		el_push(&m->kept[d], e);
		if (d < m->kept_min)
			m->kept_min = d;
		if (!e->on_stack) {
			/* Room was reserved: stackcap > number of entries. */
			e->on_stack = true;
			m->stack[m->nstack++] = e;
		}
	}
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
	if (e) {
		if (d < e->depth)
			entry_lower(m, e, d, parent);
		return 0;
	}
	if (gather_seen_has(m->seen, fp))
		return 0;   /* settled at a depth <= d (see the top of this file) */
	if (m->entries.count + 1 >= m->stackcap) {
		size_t cap = m->stackcap ? m->stackcap * 2 : 64;
		struct fentry **s = realloc(m->stack, cap * sizeof *s);
		if (!s)
			return GATHER_E_NOMEM;
		m->stack = s;
		m->stackcap = cap;
	}
	struct fhost *h = host_get(m, url);
	/* one allocation for the entry and its URL: a large frontier is
	 * mostly queued entries */
	e = h ? calloc(1, sizeof *e + ulen + 1) : NULL;
	if (!e)
		return GATHER_E_NOMEM;
	e->fp = fp;
	e->url = (char *)(e + 1);
	memcpy(e->url, url, ulen + 1);
	e->parent = parent ? strdup(parent) : NULL;
	e->host = h;
	e->depth = d;
	e->state = FE_QUEUED;
	if ((parent && !e->parent) || gather_u64map_put(&m->entries, fp, e)) {
		entry_free(e);
		return GATHER_E_NOMEM;
	}
	int rc = gather_seen_add(m->seen, fp);
	if (rc < 0) {
		gather_u64map_del(&m->entries, fp);
		entry_free(e);
		return rc;
	}
	unfin_inc(m, d);
	m->st.queued++;
	m->st.seen++;
	queue_push(m, e);
	return 1;
}

/* Offer the kept links of each page on the stack at its depth + 1. */
static int drain_stack(struct mem *m)
{
	int rc = 0;
	while (m->nstack) {
		struct fentry *e = m->stack[--m->nstack];
		e->on_stack = false;
		m->st.reoffered++;
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

/* Frees the kept lists of every depth that cannot drop any more. */
static void sweep(struct mem *m)
{
	unsigned mu = unfin_min(m);
	unsigned upto = mu >= m->ndepth ? m->ndepth : mu + 2;
	if (upto > m->ndepth)
		upto = m->ndepth;
	for (; m->kept_min < upto; m->kept_min++) {
		struct elist *l = &m->kept[m->kept_min];
		while (l->head) {
			struct fentry *e = l->head;
			el_unlink(l, e);
			settle(m, e);
		}
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
	while (m->ready_min < m->ndepth && !m->ready[m->ready_min].head)
		m->ready_min++;
	if (m->ready_min >= m->ndepth) {
		if (m->nheap)
			*ret_at_ms = m->heap[0]->ready_at_ms;
		else if (m->st.queued || m->st.inflight)
			*ret_at_ms = UINT64_MAX;
		else
			return GATHER_FRONTIER_EMPTY;
		return GATHER_FRONTIER_WAIT;
	}
	struct fhost *h = m->ready[m->ready_min].head;
	struct fentry *e = h->q[h->mind].head;
	el_unlink(&h->q[h->mind], e);
	h->queued--;
	h->inflight++;
	h->ready_at_ms = m->now_ms + h->delay_ms;
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
	m->unfin[e->depth]--;
	m->st.inflight--;
	m->st.done++;
	if (!e->released) {
		e->host->inflight--;
		host_place(m, e->host);
	}
	unsigned mu = unfin_min(m);
	if (mu >= m->ndepth || e->depth <= mu + 1) {
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
			el_push(&m->kept[e->depth], e);
			if (e->depth < m->kept_min)
				m->kept_min = e->depth;
		}
	}
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
	struct elist *l = &h->q[e->depth];
	/* first in line: its turn had come */
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	else
		l->tail = e;
	l->head = e;
	e->state = FE_QUEUED;
	if (!e->released)
		h->inflight--;
	e->released = false;
	h->queued++;
	if (h->queued == 1 || e->depth < h->mind)
		h->mind = e->depth;
	m->st.inflight--;
	m->st.queued++;
	host_place(m, h);
	return 0;
}

static void mem_stats(const struct gather_frontier *f, struct gather_frontier_stats *ret)
{
	const struct mem *m = (const struct mem *)f;
	*ret = m->st;
	ret->seen_bytes = gather_seen_bytes(m->seen);
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
			free(h->q);
			free(h);
		}
	gather_u64map_clear(&m->entries);
	gather_u64map_clear(&m->hosts);
	gather_seen_free(m->seen);
	free(m->unfin);
	free(m->kept);
	free(m->ready);
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

struct gather_frontier *gather_frontier_mem_new(const struct gather_frontier_conf *c)
{
	/* Per-depth arrays are sized max_depth + 1; refuse absurd depths
	 * rather than allocate gigabytes (options cap --depth far lower). */
	if (!c || c->max_depth > 1000000)
		return NULL;
	struct mem *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->base.ops = &mem_ops;
	memcpy(m->base.key, c->key, sizeof m->base.key);
	m->c = *c;
	if (!m->c.per_host)
		m->c.per_host = 1;
	m->ndepth = c->max_depth + 1;
	m->seen = gather_seen_new();
	m->unfin = calloc(m->ndepth, sizeof *m->unfin);
	m->kept = calloc(m->ndepth, sizeof *m->kept);
	m->ready = calloc(m->ndepth, sizeof *m->ready);
	if (!m->seen || !m->unfin || !m->kept || !m->ready) {
		mem_free(&m->base);
		return NULL;
	}
	m->unfin_min = m->kept_min = m->ready_min = m->ndepth;
	return &m->base;
}
