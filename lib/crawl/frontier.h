/* frontier.h — the crawl frontier: which URL to fetch next.
 *
 * An interface (an ops table) so that the one-shot CLI uses the in-memory
 * frontier below and the daemon a persistent one (SQLite, later Redis) with
 * the same calls.  The frontier owns:
 *   - the seen set (every URL ever added, as a 64-bit fingerprint: seen.h);
 *   - exact depth: a URL's depth is the length of the shortest link path
 *     from a seed known so far; the shallowest ready URL is started first;
 *     when a shorter path to a queued, in-flight or fetched page turns up,
 *     its depth drops and, for a fetched page, its links (kept while its
 *     depth may still drop) are offered again at the new depth, without a
 *     refetch.  So the pages handed out are exactly those within max_depth
 *     links of a seed, whatever order fetches complete in;
 *   - per-host politeness: at most per_host URLs of one host handed out
 *     whose fetch has not ended (fetched(), or done() for a page that never
 *     got to fetched()), delay_ms between two starts on one host, and a
 *     host can be slowed (Retry-After) until a given time.  A page being
 *     processed (parsed by a worker, links not in yet) does not hold its
 *     host's slot: counting it would leave connections idle while the
 *     workers catch up.
 * URLs given to the frontier must be normalized already (gather_url_normalize);
 * scope and robots are the caller's business.
 *
 * Depth is exact provided seeds are added before the first next(): a URL
 * added later at a depth below the shallowest unfinished one gets its right
 * depth, but pages already settled are not revisited for it.
 *
 * A persistent implementation (the daemon's, SQLite) keeps the same calls:
 * a table urls(id = fingerprint, url, depth, parent, state queued /
 * in flight / done, links blob while unsettled), hosts(key, ready_at_ms,
 * delay_ms) and the seen set as the id index; add/done write through a
 * batch flushed by a writer thread; next() serves from an in-memory window
 * of the shallowest queued rows; on start, rows left in flight go back to
 * queued (a URL is done only after its record is written, so kill -9 loses
 * nothing and repeats at most the fetches that were in flight).
 *
 * The contract callers keep (lib/crawl/crawl.c does):
 *   - done(id) only once the page's record is in every output (the
 *     pipeline's written callback, on the reactor thread);
 *   - a URL handed out by next() and never started (a stop, a limit, a
 *     robots.txt still coming at a stop) goes back with requeue(), never
 *     done(): it stays queued for a resumed crawl;
 *   - ids are fingerprints with the frontier's key (gather_frontier_key),
 *     fixed when the crawl is made and kept with its state, so ids survive
 *     a restart;
 *   - nothing blocks: a store that answers later (SQLite batches, Redis)
 *     says WAIT with UINT64_MAX from next() while it loads, and calls
 *     gather_frontier_ready() when next() may have something; callers
 *     register for that with gather_frontier_on_ready();
 *   - batches: add_batch / done_batch take many at once (a store makes one
 *     transaction of them); a frontier without them gets the loop.
 *
 * Threads: one owner thread (the reactor); no call blocks on the network. */
#ifndef GATHER_FRONTIER_H
#define GATHER_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gather_frontier;
struct gather_hostshare;

/* What next() hands out.  url and parent belong to the frontier and stay
 * valid until done(id). */
struct gather_frontier_item {
	uint64_t id;          /* the URL's fingerprint */
	const char *url;      /* normalized */
	const char *parent;   /* URL of the page that linked it; NULL for a seed */
	unsigned depth;       /* depth when handed out */
};

enum gather_frontier_next {
	GATHER_FRONTIER_URL = 0,   /* *ret filled: start it */
	GATHER_FRONTIER_WAIT = 1,  /* nothing ready now; *ret_at_ms is when the
	                            * next will be (UINT64_MAX: after a done()) */
	GATHER_FRONTIER_EMPTY = 2, /* nothing queued and nothing handed out */
};

/* One link for add_batch. */
struct gather_frontier_link {
	const char *url;      /* normalized */
	unsigned depth;
	const char *parent;   /* NULL for a seed */
};

/* One finished page for done_batch (as done()'s arguments). */
struct gather_frontier_page {
	uint64_t id;
	const char *const *links;
	const uint64_t *ids;  /* or NULL */
	size_t n;
};

struct gather_frontier_stats {
	uint64_t seen;        /* distinct URLs ever added */
	uint64_t queued;      /* waiting to be handed out */
	uint64_t inflight;    /* handed out, not done */
	uint64_t done;
	uint64_t lowered;     /* times a URL's depth dropped after it was known */
	uint64_t reoffered;   /* fetched pages whose links were offered again */
	uint64_t hosts;
	uint64_t seen_bytes;  /* memory of the seen set */
	uint64_t link_bytes;  /* memory of kept link lists */
};

/* The operations every frontier implements.  Return values: 0 or a
 * negative gather_err unless said otherwise. */
struct gather_frontier_ops {
	/* Add url at depth (0 for a seed) found on parent (NULL for a seed).
	 * Returns 1 if new and queued, 0 if known (its depth dropped to depth
	 * if that is shorter), or an error.  URLs deeper than max_depth are not
	 * added (0). */
	int (*add)(struct gather_frontier *f, const char *url, unsigned depth,
	           const char *parent);
	/* The shallowest URL ready at now_ms (milliseconds, any monotonic
	 * clock), or when one will be: enum gather_frontier_next, or an error. */
	int (*next)(struct gather_frontier *f, uint64_t now_ms,
	            struct gather_frontier_item *ret, uint64_t *ret_at_ms);
	/* The fetch of id (handed out by next()) has ended: its host's
	 * politeness slot is free now, while its links are still being
	 * extracted.  Optional before done().  0 or GATHER_E_INVALID (not
	 * handed out, or already said). */
	int (*fetched)(struct gather_frontier *f, uint64_t id);
	/* The page id is finished (its record written) and had these links
	 * (normalized, in scope; n may be 0; strings are copied).  The
	 * frontier queues those within max_depth.  ids, when not NULL, are
	 * the links' fingerprints (gather_seen_fingerprint with the
	 * frontier's key), made elsewhere (a worker thread) to spare the
	 * owner thread the hashing. */
	int (*done)(struct gather_frontier *f, uint64_t id, uint64_t now_ms,
	            const char *const *links, const uint64_t *ids, size_t n);
	/* Do not start anything on url's host before until_ms (capped at
	 * now + max_wait_ms given at creation): 429/503 with Retry-After. */
	void (*slow)(struct gather_frontier *f, const char *url, uint64_t now_ms,
	             uint64_t until_ms);
	/* Delay between starts on url's host, e.g. robots.txt Crawl-delay;
	 * the larger of this and the frontier's delay_ms applies, counted
	 * from now_ms (a start on the host is about to happen). */
	void (*host_delay)(struct gather_frontier *f, const char *url, uint64_t now_ms,
	                   uint64_t delay_ms);
	/* Give back a URL handed out by next() and not started (e.g. it
	 * waited for robots.txt): it is queued again first in line, as if
	 * never handed out.  0 or GATHER_E_INVALID (not handed out). */
	int (*requeue)(struct gather_frontier *f, uint64_t id);
	void (*stats)(const struct gather_frontier *f, struct gather_frontier_stats *ret);
	void (*free)(struct gather_frontier *f);
	/* Optional (NULL: a loop of add / done).  Return the number of new
	 * URLs queued (add_batch) or 0 (done_batch), or the first error. */
	int (*add_batch)(struct gather_frontier *f, const struct gather_frontier_link *v,
	                 size_t n);
	int (*done_batch)(struct gather_frontier *f, uint64_t now_ms,
	                  const struct gather_frontier_page *v, size_t n);
};

/* Every implementation starts with this. */
struct gather_frontier {
	const struct gather_frontier_ops *ops;
	/* The fingerprint key, set by the implementation when made (from the
	 * conf for a new crawl, from its state for a resumed one). */
	uint8_t key[16];
	/* "ready" notification (gather_frontier_on_ready); owner thread. */
	void (*ready_fn)(void *arg);
	void *ready_arg;
	bool said_wait;       /* next() said WAIT(UINT64_MAX) or EMPTY since */
};

struct gather_frontier_conf {
	unsigned max_depth;        /* links followed from a seed (--depth) */
	unsigned per_host;         /* fetches out per host (see above); 0: 1 */
	uint64_t delay_ms;         /* between starts on one host */
	uint64_t max_wait_ms;      /* cap for slow() (retry_max_wait_ms) */
	uint8_t key[16];           /* fingerprint key of a new crawl (random) */
	/* Politeness shared with the other crawls on the reactor (per_host
	 * fetches out and delay_ms between starts count theirs too), or NULL:
	 * this crawl's alone.  Must outlive the frontier. */
	struct gather_hostshare *share;
};

/* The in-memory frontier.  NULL on OOM. */
struct gather_frontier *gather_frontier_mem_new(const struct gather_frontier_conf *c);

/* The host part of a normalized URL ("host" or "host:port", userinfo
 * skipped): the unit of politeness.  Sets *len; NULL if there is none. */
const char *gather_frontier_host_key(const char *url, size_t *len);

/* The key ids are made with (gather_seen_fingerprint): 16 bytes. */
static inline const uint8_t *gather_frontier_key(const struct gather_frontier *f)
{
	return f->key;
}

/* fn(arg) is called on the owner thread when next() may hand out a URL
 * after it said WAIT with UINT64_MAX (or EMPTY): a done() brought links, a
 * fetched() freed a host, a store finished loading.  It may be called from
 * inside a frontier call: it must not call the frontier (schedule instead). */
static inline void gather_frontier_on_ready(struct gather_frontier *f, void (*fn)(void *),
                                            void *arg)
{
	f->ready_fn = fn;
	f->ready_arg = arg;
}

/* For implementations (and the wrappers below): something may be ready. */
static inline void gather_frontier_ready(struct gather_frontier *f)
{
	if (f->said_wait && f->ready_fn) {
		f->said_wait = false;
		f->ready_fn(f->ready_arg);
	}
}

static inline int gather_frontier_add(struct gather_frontier *f, const char *url,
                                      unsigned depth, const char *parent)
{
	int rc = f->ops->add(f, url, depth, parent);
	if (rc > 0)
		gather_frontier_ready(f);
	return rc;
}
static inline int gather_frontier_next(struct gather_frontier *f, uint64_t now_ms,
                                       struct gather_frontier_item *ret,
                                       uint64_t *ret_at_ms)
{
	int rc = f->ops->next(f, now_ms, ret, ret_at_ms);
	if (rc == GATHER_FRONTIER_EMPTY || (rc == GATHER_FRONTIER_WAIT && *ret_at_ms == UINT64_MAX))
		f->said_wait = true;
	return rc;
}
static inline int gather_frontier_fetched(struct gather_frontier *f, uint64_t id)
{
	int rc = f->ops->fetched(f, id);
	gather_frontier_ready(f);
	return rc;
}
static inline int gather_frontier_done_ids(struct gather_frontier *f, uint64_t id,
                                           uint64_t now_ms, const char *const *links,
                                           const uint64_t *ids, size_t n)
{
	int rc = f->ops->done(f, id, now_ms, links, ids, n);
	gather_frontier_ready(f);
	return rc;
}
static inline int gather_frontier_done(struct gather_frontier *f, uint64_t id,
                                       uint64_t now_ms, const char *const *links,
                                       size_t n)
{
	return gather_frontier_done_ids(f, id, now_ms, links, NULL, n);
}
/* Many adds at once: the number of new URLs queued, or the first error. */
static inline int gather_frontier_add_batch(struct gather_frontier *f,
                                            const struct gather_frontier_link *v, size_t n)
{
	int rc = 0, added = 0;
	if (f->ops->add_batch) {
		rc = f->ops->add_batch(f, v, n);
		added = rc > 0 ? rc : 0;
	} else {
		for (size_t i = 0; i < n && rc >= 0; i++)
			if ((rc = f->ops->add(f, v[i].url, v[i].depth, v[i].parent)) > 0)
				added++;
	}
	if (added)
		gather_frontier_ready(f);
	return rc < 0 ? rc : added;
}
/* Many done()s at once: 0 or the first error. */
static inline int gather_frontier_done_batch(struct gather_frontier *f, uint64_t now_ms,
                                             const struct gather_frontier_page *v, size_t n)
{
	int rc = 0;
	if (f->ops->done_batch) {
		rc = f->ops->done_batch(f, now_ms, v, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			int r = f->ops->done(f, v[i].id, now_ms, v[i].links, v[i].ids, v[i].n);
			if (r < 0 && rc == 0)
				rc = r;
		}
	}
	gather_frontier_ready(f);
	return rc;
}
static inline void gather_frontier_slow(struct gather_frontier *f, const char *url,
                                        uint64_t now_ms, uint64_t until_ms)
{
	f->ops->slow(f, url, now_ms, until_ms);
}
static inline void gather_frontier_host_delay(struct gather_frontier *f,
                                              const char *url, uint64_t now_ms,
                                              uint64_t delay_ms)
{
	f->ops->host_delay(f, url, now_ms, delay_ms);
}
static inline int gather_frontier_requeue(struct gather_frontier *f, uint64_t id)
{
	int rc = f->ops->requeue(f, id);
	gather_frontier_ready(f);
	return rc;
}
static inline void gather_frontier_stats(const struct gather_frontier *f,
                                         struct gather_frontier_stats *ret)
{
	f->ops->stats(f, ret);
}
static inline void gather_frontier_free(struct gather_frontier *f)
{
	if (f)
		f->ops->free(f);
}

#endif
