/* frontier-state.c — the frontier of a crawl with --state (see
 * frontier-state.h): the in-memory frontier (frontier.c) behind a layer
 * that reports every add() to the crawl state, and keeps a window of the
 * queue in memory and the rest on disk (lib/store/spill.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/frontier-mem.h"
#include "crawl/frontier-state.h"
#include "crawl/frontier.h"
#include "gather/error.h"
#include "store/spill.h"
#include "util/seen.h"
#include "util/u64map.h"


/* The URLs kept on disk (the queue beyond the window): fingerprint ->
 * depth, 12 bytes a slot, so that a link to one of them is known without
 * its string, and its depth can drop. */
#define SP_GONE UINT32_MAX    /* taken back into memory */

struct spillmap {
	uint64_t *key;        /* 0: empty */
	uint32_t *depth;
	size_t cap, count;
};

static size_t sm_home(uint64_t fp, size_t cap)
{
	return (size_t)(((unsigned __int128)fp * cap) >> 64);
}

static size_t sm_find(const struct spillmap *m, uint64_t fp)
{
	if (!m->cap)
		return SIZE_MAX;
	for (size_t i = sm_home(fp, m->cap);; i = i + 1 == m->cap ? 0 : i + 1) {
		if (m->key[i] == fp)
			return i;
		if (!m->key[i])
			return SIZE_MAX;
	}
}

static int sm_put(struct spillmap *m, uint64_t fp, uint32_t depth)
{
	if ((m->count + 1) * 5 > m->cap * 4) {
		size_t cap = m->cap ? m->cap + m->cap / 2 : 1024;
		uint64_t *k = calloc(cap, sizeof *k);
		uint32_t *d = k ? malloc(cap * sizeof *d) : NULL;
		if (!d) {
			free(k);
			return GATHER_E_NOMEM;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->key[i])
				continue;
			size_t j = sm_home(m->key[i], cap);
			while (k[j])
				j = j + 1 == cap ? 0 : j + 1;
			k[j] = m->key[i];
			d[j] = m->depth[i];
		}
		free(m->key);
		free(m->depth);
		m->key = k;
		m->depth = d;
		m->cap = cap;
	}
	size_t i = sm_home(fp, m->cap);
	while (m->key[i] && m->key[i] != fp)
		i = i + 1 == m->cap ? 0 : i + 1;
	if (!m->key[i])
		m->count++;
	m->key[i] = fp;
	m->depth[i] = depth;
	return 0;
}

struct sfront {
	struct gather_frontier base;
	struct gather_frontier *mem;
	unsigned max_depth;
	int (*log_add)(void *arg, const char *url, unsigned depth, const char *parent);
	void *log_arg;
	/* the window: at most window URLs queued in memory, the rest on disk */
	struct gather_spill *disk;     /* NULL: everything in memory */
	uint64_t window;
	struct spillmap map;
	struct gather_u64map levels;   /* depth + 1 -> URLs of that depth on disk */
	uint64_t live;                 /* URLs on disk, not taken back */
	uint32_t smin;                 /* their smallest depth (SP_GONE: none) */
	bool loading;                  /* taking URLs back: the hook lets them in */
	bool failed;                   /* the disk failed: memory only from then */
};

static void level_add(struct sfront *s, uint32_t d, int64_t by)
{
	uint64_t k = (uint64_t)d + 1;
	uintptr_t n = (uintptr_t)gather_u64map_get(&s->levels, k);
	n = (uintptr_t)((int64_t)n + by);
	if (n)
		gather_u64map_put(&s->levels, k, (void *)n);
	else
		gather_u64map_del(&s->levels, k);
	s->live = (uint64_t)((int64_t)s->live + by);
}

/* smin again, and the in-memory frontier's floor with it. */
static void new_smin(struct sfront *s)
{
	uint32_t m = SP_GONE;
	for (size_t i = 0; i < s->levels.cap; i++)
		if (s->levels.key[i] && s->levels.key[i] - 1 < m)
			m = (uint32_t)(s->levels.key[i] - 1);
	s->smin = m;
	gather_frontier_mem_set_floor(s->mem, m == SP_GONE ? UINT64_MAX : m);
}

/* May a URL of depth d be queued in memory?  The shallowest stay there:
 * one shallower than everything on disk always, one as deep while the
 * window has room, a deeper one never while URLs wait on disk. */
static bool admit(const struct sfront *s, unsigned d)
{
	bool room = gather_frontier_mem_queued(s->mem) < s->window;
	if (s->smin == SP_GONE)
		return room;
	return room ? d <= s->smin : d < s->smin;
}

/* The in-memory frontier's hook: a URL it does not know. */
static int sf_spill(void *arg, const char *url, uint64_t fp, unsigned d, const char *parent)
{
	struct sfront *s = arg;
	if (s->loading || s->failed)
		return 0;
	size_t i = sm_find(&s->map, fp);
	if (i != SIZE_MAX && s->map.depth[i] != SP_GONE) {
		uint32_t was = s->map.depth[i];
		if (d >= was)
			return 1;   /* on disk at <= d */
		/* a shorter path: out of the disk's count at its old depth */
		level_add(s, was, -1);
		if (admit(s, d)) {
			s->map.depth[i] = SP_GONE;
			if (was == s->smin && !gather_u64map_get(&s->levels, (uint64_t)was + 1))
				new_smin(s);
			return 0;   /* into memory at d */
		}
		/* again on disk at d (the row at the old depth is skipped) */
	} else if (i != SIZE_MAX || admit(s, d)) {
		return 0;
	}
	if (gather_spill_put(s->disk, d, url, parent) < 0 || sm_put(&s->map, fp, d) < 0) {
		s->failed = true;   /* memory only from now on: still exact */
		return 0;
	}
	level_add(s, d, 1);
	if (d < s->smin) {
		s->smin = d;
		gather_frontier_mem_set_floor(s->mem, d);
	}
	return 1;
}

static int take_row(const char *url, const char *parent, void *arg)
{
	struct sfront *s = arg;
	uint64_t fp = gather_seen_fingerprint(s->base.key, url, strlen(url));
	size_t i = sm_find(&s->map, fp);
	if (i == SIZE_MAX || s->map.depth[i] != s->smin)
		return 0;   /* taken already, or moved to another depth */
	s->map.depth[i] = SP_GONE;
	level_add(s, s->smin, -1);
	int rc = s->mem->ops->add(s->mem, url, s->smin, parent);
	return rc == GATHER_E_NOMEM ? rc : 0;
}

/* Take URLs back from disk, shallowest first, while the window has room
 * (below half of it, or force: the memory queue ran dry). */
static void refill(struct sfront *s, bool force)
{
	for (int rounds = 0; s->live && !s->failed && rounds < 1000; rounds++) {
		uint64_t q = gather_frontier_mem_queued(s->mem);
		if (q >= s->window || (!force && q >= s->window / 2))
			return;
		s->loading = true;
		long n = gather_spill_take(s->disk, s->smin, s->window - q, take_row, s);
		s->loading = false;
		if (n < 0) {
			s->failed = true;
			return;
		}
		if (n == 0) {
			/* no row left at smin: nothing can be counted there */
			uintptr_t left = (uintptr_t)gather_u64map_get(&s->levels, (uint64_t)s->smin + 1);
			if (left)
				level_add(s, s->smin, -(int64_t)left);
		}
		if (!gather_u64map_get(&s->levels, (uint64_t)s->smin + 1))
			new_smin(s);
		if (gather_frontier_mem_queued(s->mem) > q)
			force = false;   /* something came: the usual rule again */
	}
}

static int sf_add(struct gather_frontier *f, const char *url, unsigned depth, const char *parent)
{
	struct sfront *s = (struct sfront *)f;
	int rc;
	if (url && depth <= s->max_depth && (rc = s->log_add(s->log_arg, url, depth, parent)) < 0)
		return rc;
	return s->mem->ops->add(s->mem, url, depth, parent);
}

static int sf_next(struct gather_frontier *f, uint64_t now_ms, struct gather_frontier_item *ret,
                   uint64_t *ret_at_ms)
{
	struct sfront *s = (struct sfront *)f;
	if (s->live)
		refill(s, false);
	int rc = s->mem->ops->next(s->mem, now_ms, ret, ret_at_ms);
	if (rc != GATHER_FRONTIER_URL && s->live) {
		refill(s, true);
		rc = s->mem->ops->next(s->mem, now_ms, ret, ret_at_ms);
	}
	return rc;
}

static int sf_fetched(struct gather_frontier *f, uint64_t id)
{
	struct sfront *s = (struct sfront *)f;
	return s->mem->ops->fetched(s->mem, id);
}

/* The page's facts were taken from its record on the writer thread
 * (crawl_state_durable): done() only moves the in-memory frontier on. */
static int sf_done(struct gather_frontier *f, uint64_t id, uint64_t now_ms,
                   const char *const *links, const uint64_t *ids, size_t n)
{
	struct sfront *s = (struct sfront *)f;
	return s->mem->ops->done(s->mem, id, now_ms, links, ids, n);
}

static void sf_slow(struct gather_frontier *f, const char *url, uint64_t now_ms, uint64_t until)
{
	struct sfront *s = (struct sfront *)f;
	s->mem->ops->slow(s->mem, url, now_ms, until);
}

static void sf_host_delay(struct gather_frontier *f, const char *url, uint64_t now_ms,
                          uint64_t delay_ms)
{
	struct sfront *s = (struct sfront *)f;
	s->mem->ops->host_delay(s->mem, url, now_ms, delay_ms);
}

static int sf_requeue(struct gather_frontier *f, uint64_t id)
{
	struct sfront *s = (struct sfront *)f;
	return s->mem->ops->requeue(s->mem, id);
}

static void sf_stats(const struct gather_frontier *f, struct gather_frontier_stats *ret)
{
	const struct sfront *s = (const struct sfront *)f;
	s->mem->ops->stats(s->mem, ret);
	ret->queued += s->live;
	ret->seen += s->live;
	ret->seen_bytes += s->map.cap * (sizeof *s->map.key + sizeof *s->map.depth);
}

static void sf_free(struct gather_frontier *f)
{
	struct sfront *s = (struct sfront *)f;
	gather_frontier_free(s->mem);
	gather_spill_close(s->disk);
	free(s->map.key);
	free(s->map.depth);
	gather_u64map_clear(&s->levels);
	free(s);
}

/* A resume: the committed page id (url) is to be taken out of the queue;
 * if the window put it on disk, bring it into memory first. */
void gather_frontier_state_pull(struct gather_frontier *f, uint64_t id, const char *url)
{
	struct sfront *s = (struct sfront *)f;
	size_t i = sm_find(&s->map, id);
	if (!url || i == SIZE_MAX || s->map.depth[i] == SP_GONE)
		return;
	uint32_t d = s->map.depth[i];
	s->map.depth[i] = SP_GONE;
	level_add(s, d, -1);
	s->loading = true;
	s->mem->ops->add(s->mem, url, d, NULL);
	s->loading = false;
	if (d == s->smin && !gather_u64map_get(&s->levels, (uint64_t)d + 1))
		new_smin(s);
}

static const struct gather_frontier_ops sf_ops = {
	.add = sf_add,
	.next = sf_next,
	.fetched = sf_fetched,
	.done = sf_done,
	.slow = sf_slow,
	.host_delay = sf_host_delay,
	.requeue = sf_requeue,
	.stats = sf_stats,
	.free = sf_free,
};

struct gather_frontier *gather_frontier_state_new(const struct gather_frontier_conf *c,
                                                  uint64_t window, const char *queue_path,
                                                  int (*log_add)(void *arg, const char *url,
                                                                 unsigned depth,
                                                                 const char *parent),
                                                  void *arg, char *err, size_t errlen)
{
	struct sfront *s = calloc(1, sizeof *s);
	if (!s || !(s->mem = gather_frontier_mem_new(c))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &sf_ops;
	memcpy(s->base.key, c->key, sizeof s->base.key);
	s->max_depth = c->max_depth;
	s->log_add = log_add;
	s->log_arg = arg;
	s->smin = SP_GONE;
	s->window = window ? window : 1;
	if (gather_spill_open(queue_path, &s->disk, err, errlen) < 0) {
		sf_free(&s->base);
		return NULL;
	}
	gather_frontier_mem_set_spill(s->mem, sf_spill, s);
	return &s->base;
}

struct gather_frontier *gather_frontier_state_mem(struct gather_frontier *f)
{
	return ((struct sfront *)f)->mem;
}
