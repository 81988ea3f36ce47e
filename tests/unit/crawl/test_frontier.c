/* test_frontier.c — the in-memory frontier on synthetic link graphs (no
 * network): exact depth under any completion order, politeness, memory. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "crawl/frontier.h"
#include "crawl/frontier-mem.h"
#include "gather/options.h"
#include "util/hostshare.h"
#include "util/seen.h"
#include "graph.h"
#include "ckmain.h"

static struct gather_frontier *mk(unsigned depth, unsigned per_host, uint64_t delay,
                                  uint64_t max_wait)
{
	struct gather_frontier_conf c = {
		.max_depth = depth, .per_host = per_host, .delay_ms = delay,
		.max_wait_ms = max_wait, .key = "0123456789abcdef",
	};
	struct gather_frontier *f = gather_frontier_mem_new(&c);
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_host_key)
{
	size_t n;
	const char *h = gather_frontier_host_key("http://a.example:8080/x", &n);
	ck_assert_int_eq((int)n, 14);
	ck_assert(strncmp(h, "a.example:8080", n) == 0);
	h = gather_frontier_host_key("https://u:p@b.example?q", &n);
	ck_assert(strncmp(h, "b.example", n) == 0 && n == 9);
	ck_assert_ptr_null(gather_frontier_host_key("nohost", &n));
	ck_assert_ptr_null(gather_frontier_host_key("http:///x", &n));
}
END_TEST

START_TEST(test_basic)
{
	struct gather_frontier *f = mk(2, 4, 0, 0);
	struct gather_frontier_item it;
	uint64_t at;
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_EMPTY);
	ck_assert_int_eq(gather_frontier_add(f, "http://a/", 0, NULL), 1);
	ck_assert_int_eq(gather_frontier_add(f, "http://a/", 0, NULL), 0);
	ck_assert_int_eq(gather_frontier_add(f, "http://a/deep", 3, "http://a/"), 0);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a/");
	ck_assert_ptr_null(it.parent);
	ck_assert_uint_eq(it.depth, 0);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, UINT64_MAX);
	const char *links[] = { "http://a/1", "http://a/2", "http://a/", "http://a/1" };
	ck_assert_int_eq(gather_frontier_done(f, it.id, 1, links, 4), 0);
	ck_assert_int_eq(gather_frontier_done(f, it.id, 1, links, 4), GATHER_E_INVALID);
	struct gather_frontier_stats st;
	gather_frontier_stats(f, &st);
	ck_assert_uint_eq(st.seen, 3);
	ck_assert_uint_eq(st.queued, 2);
	ck_assert_uint_eq(st.done, 1);
	ck_assert_int_eq(gather_frontier_next(f, 2, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a/1");
	ck_assert_str_eq(it.parent, "http://a/");
	ck_assert_uint_eq(it.depth, 1);
	gather_frontier_free(f);
	gather_frontier_free(NULL);
	/* nothing is sized by max_depth: any depth, and none at all, is fine */
	struct gather_frontier_conf c = { .max_depth = 2000000 };
	f = gather_frontier_mem_new(&c);
	ck_assert_ptr_nonnull(f);
	gather_frontier_free(f);
	c.max_depth = GATHER_DEPTH_INF;
	f = gather_frontier_mem_new(&c);
	ck_assert_ptr_nonnull(f);
	gather_frontier_free(f);
}
END_TEST

/* The slots next() touches, counted through the test hook. */
static uint64_t next_cost(struct gather_frontier *f, uint64_t now, int want,
                          struct gather_frontier_item *it)
{
	uint64_t at, t0 = gather_frontier_mem_touched(f);
	ck_assert_int_eq(gather_frontier_next(f, now, it, &at), want);
	return gather_frontier_mem_touched(f) - t0;
}

/* Issue 12: next() walked a per-depth array up to max_depth whenever
 * nothing was ready (1,000,000 slots at --depth 1000000), and each host had
 * max_depth + 1 queues.  With URLs at depth 0 and 999,999 and nothing
 * between, each call must look at a few slots, and only the depths in use
 * may hold memory. */
START_TEST(test_sparse_depth)
{
	const unsigned depths[] = { 1000000, GATHER_DEPTH_INF };
	for (unsigned k = 0; k < 2; k++) {
		struct gather_frontier *f = mk(depths[k], 1, 0, 0);
		struct gather_frontier_item it, deep;
		ck_assert_int_eq(gather_frontier_add(f, "http://a/", 0, NULL), 1);
		ck_assert_int_eq(gather_frontier_add(f, "http://b/deep", 999999, "http://a/"), 1);
		ck_assert_uint_eq(gather_frontier_mem_levels(f), 2);
		ck_assert_uint_eq(gather_frontier_mem_host_queues(f), 2);
		ck_assert_uint_le(next_cost(f, 0, GATHER_FRONTIER_URL, &it), 32);
		ck_assert_uint_eq(it.depth, 0);
		ck_assert_uint_le(next_cost(f, 0, GATHER_FRONTIER_URL, &deep), 32);
		ck_assert_uint_eq(deep.depth, 999999);
		/* nothing ready: the case that walked every depth */
		for (int i = 0; i < 3; i++)
			ck_assert_uint_le(next_cost(f, 0, GATHER_FRONTIER_WAIT, &it), 32);
		ck_assert_uint_eq(gather_frontier_mem_host_queues(f), 0);
		const char *links[] = { "http://b/deeper" };
		ck_assert_int_eq(gather_frontier_done(f, deep.id, 0, links, 1), 0);
		/* depth 1,000,000 is within both limits */
		ck_assert_uint_le(next_cost(f, 0, GATHER_FRONTIER_URL, &deep), 32);
		ck_assert_uint_eq(deep.depth, 1000000);
		ck_assert_uint_le(next_cost(f, 0, GATHER_FRONTIER_WAIT, &it), 32);
		const char *more[] = { "http://b/deepest" };
		ck_assert_int_eq(gather_frontier_done(f, deep.id, 0, more, 1), 0);
		struct gather_frontier_stats st;
		gather_frontier_stats(f, &st);
		/* --depth 1000000 stops there; inf goes on */
		ck_assert_uint_eq(st.queued, k == 0 ? 0 : 1);
		gather_frontier_free(f);
	}
}
END_TEST

/* A chain of 3,000 pages, one link each, with no depth limit: every call
 * costs a few slots at any depth, and the frontier holds a level or two
 * and a queue or two whatever the depth reached. */
START_TEST(test_deep_chain)
{
	struct gather_frontier *f = mk(GATHER_DEPTH_INF, 1, 0, 0);
	ck_assert_int_eq(gather_frontier_add(f, "http://h0.example/p0", 0, NULL), 1);
	struct gather_frontier_item it;
	uint64_t worst = 0;
	unsigned n = 0;
	for (;;) {
		uint64_t at, t0 = gather_frontier_mem_touched(f);
		int rc = gather_frontier_next(f, n, &it, &at);
		uint64_t cost = gather_frontier_mem_touched(f) - t0;
		worst = cost > worst ? cost : worst;
		if (rc == GATHER_FRONTIER_EMPTY)
			break;
		ck_assert_int_eq(rc, GATHER_FRONTIER_URL);
		ck_assert_uint_eq(it.depth, n);
		ck_assert_uint_le(next_cost(f, n, GATHER_FRONTIER_WAIT, &(struct gather_frontier_item){ 0 }), 32);
		ck_assert_uint_le(gather_frontier_mem_levels(f), 2);
		ck_assert_uint_le(gather_frontier_mem_host_queues(f), 2);
		char b[64];
		const char *links[] = { b };
		snprintf(b, sizeof b, "http://h%u.example/p%u", (n + 1) % 7, n + 1);
		ck_assert_int_eq(gather_frontier_done(f, it.id, n, links, n + 1 < 3000 ? 1 : 0), 0);
		n++;
		ck_assert_uint_le(n, 3000);
	}
	ck_assert_uint_eq(n, 3000);
	ck_assert_uint_le(worst, 32);
	ck_assert_uint_eq(gather_frontier_mem_levels(f), 0);
	ck_assert_uint_eq(gather_frontier_mem_host_queues(f), 0);
	gather_frontier_free(f);
}
END_TEST


/* Two crawls on one reactor share a host's budget (gatherd's jobs, gather
 * run --parallel): one fetch out at a time for both with per_host 1, and
 * delay_ms between any two starts; a crawl freed with a fetch out gives
 * its slot back. */
START_TEST(test_shared_politeness)
{
	struct gather_hostshare *share = gather_hostshare_new();
	struct gather_frontier_conf c = { .max_depth = 3, .per_host = 1, .delay_ms = 100,
		                          .max_wait_ms = 1000, .key = "0123456789abcdef",
		                          .share = share };
	struct gather_frontier *f1 = gather_frontier_mem_new(&c);
	memcpy(c.key, "fedcba9876543210", 16);
	struct gather_frontier *f2 = gather_frontier_mem_new(&c);
	struct gather_frontier_item a, b;
	uint64_t at = 0;
	ck_assert_int_eq(gather_frontier_add(f1, "http://h.example/a", 0, NULL), 1);
	ck_assert_int_eq(gather_frontier_add(f2, "http://h.example/b", 0, NULL), 1);
	ck_assert_int_eq(gather_frontier_add(f2, "http://other.example/c", 0, NULL), 1);
	ck_assert_int_eq(gather_frontier_next(f1, 0, &a, &at), GATHER_FRONTIER_URL);
	/* f2: its own host is free, the shared one is not */
	ck_assert_int_eq(gather_frontier_next(f2, 0, &b, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(b.url, "http://other.example/c");
	ck_assert_int_eq(gather_frontier_next(f2, 0, &b, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_gt(at, 0);
	ck_assert_int_eq(gather_frontier_done(f1, a.id, 10, NULL, 0), 0);
	/* the slot is free, the delay since f1's start is not over */
	ck_assert_int_eq(gather_frontier_next(f2, 30, &b, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 100);
	ck_assert_int_eq(gather_frontier_next(f2, 100, &b, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(b.url, "http://h.example/b");
	/* f2 freed with b out: f1 may start on h again after the delay */
	gather_frontier_free(f2);
	ck_assert_int_eq(gather_frontier_add(f1, "http://h.example/d", 0, NULL), 1);
	ck_assert_int_eq(gather_frontier_next(f1, 150, &a, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 200);
	ck_assert_int_eq(gather_frontier_next(f1, 200, &a, &at), GATHER_FRONTIER_URL);
	gather_frontier_free(f1);
	gather_hostshare_free(share);
}
END_TEST

/* ---- synthetic graphs ---------------------------------------------------- */

struct sim {
	size_t fetched, maxinflight;
	unsigned *count;   /* per node fetch count */
};

/* Runs a crawl of g: up to conc fetches at once, each completing after a
 * random number of steps; slow (if not SIZE_MAX) takes far longer.  Time
 * advances 1 ms per step.  Checks politeness on the way. */
static void simulate(struct gather_frontier *f, const struct graph *g, unsigned conc,
                     size_t slow, unsigned per_host, uint64_t delay, struct sim *sim)
{
	struct { struct gather_frontier_item it; uint64_t end; size_t node; } *fl;
	fl = calloc(conc, sizeof *fl);
	size_t nfl = 0;
	uint64_t now = 0;
	uint64_t *last_start = calloc(g->n, sizeof *last_start);
	unsigned *host_inflight = calloc(g->n, sizeof *host_inflight);
	int *started = calloc(g->n, sizeof *started);
	sim->count = calloc(g->n, sizeof *sim->count);
	for (size_t step = 0; step < 10000000; step++, now++) {
		/* Start what is ready. */
		while (nfl < conc) {
			uint64_t at;
			int rc = gather_frontier_next(f, now, &fl[nfl].it, &at);
			if (rc == GATHER_FRONTIER_EMPTY) {
				ck_assert_uint_eq(nfl, 0);
				goto out;
			}
			if (rc == GATHER_FRONTIER_WAIT) {
				ck_assert(at > now);
				break;
			}
			ck_assert_int_eq(rc, GATHER_FRONTIER_URL);
			size_t u = graph_node_of(g, fl[nfl].it.url);
			size_t h = (size_t)atoi(fl[nfl].it.url + 8);  /* "http://h<N>." */
			ck_assert_uint_lt(host_inflight[h], per_host);
			if (started[h])
				ck_assert_uint_ge(now - last_start[h], delay);
			started[h] = 1;
			last_start[h] = now;
			host_inflight[h]++;
			sim->count[u]++;
			sim->fetched++;
			fl[nfl].node = u;
			fl[nfl].end = now + 1 + (uint64_t)(rand() % 20) + (u == slow ? 5000 : 0);
			nfl++;
		}
		if (nfl > sim->maxinflight)
			sim->maxinflight = nfl;
		/* Complete, in random order, those whose time has come. */
		for (size_t i = 0; i < nfl;) {
			if (fl[i].end > now || rand() % 2) {
				i++;
				continue;
			}
			size_t u = fl[i].node;
			const char *links[64];
			for (size_t k = 0; k < g->nadj[u]; k++)
				links[k] = g->url[g->adj[u][k]];
			host_inflight[(size_t)atoi(fl[i].it.url + 8)]--;
			ck_assert_int_eq(gather_frontier_done(f, fl[i].it.id, now, links,
			                                      g->nadj[u]), 0);
			fl[i] = fl[--nfl];
		}
	}
	ck_abort_msg("simulation did not end");
out:
	free(fl);
	free(last_start);
	free(host_inflight);
	free(started);
}

/* The pages fetched are exactly the BFS set within depth, each once. */
static void check_exact(const struct graph *g, const size_t *seeds, size_t nseeds,
                        unsigned depth, const struct sim *sim)
{
	size_t *dist = graph_bfs(g, seeds, nseeds);
	size_t want = 0;
	for (size_t i = 0; i < g->n; i++) {
		int in = dist[i] != SIZE_MAX && dist[i] <= depth;
		want += in;
		ck_assert_msg(sim->count[i] == (unsigned)in, "node %zu dist %zu fetched %u times",
		              i, dist[i], sim->count[i]);
	}
	ck_assert_uint_eq(sim->fetched, want);
	free(dist);
}

/* S -> A -> B -> C -> E and S -> P -> C with P slow, depth 3: C is first
 * fetched at depth 3 (links not followed), then P finishes and C's depth
 * drops to 2, so E (depth 3) must be fetched, without refetching C. */
START_TEST(test_slow_shortcut)
{
	struct graph *g = calloc(1, sizeof *g);
	enum { S, A, B, C, E, P, F, NN };
	g->n = NN;
	g->url = calloc(NN, sizeof *g->url);
	g->adj = calloc(NN, sizeof *g->adj);
	g->nadj = calloc(NN, sizeof *g->nadj);
	static const size_t edges[][2] = { { S, A }, { A, B }, { B, C }, { C, E },
	                                   { S, P }, { P, C }, { E, F } };
	for (size_t i = 0; i < NN; i++) {
		char b[64];
		snprintf(b, sizeof b, "http://h0.example/p%zu", i);
		g->url[i] = strdup(b);
		g->adj[i] = calloc(4, sizeof **g->adj);
	}
	for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++)
		g->adj[edges[k][0]][g->nadj[edges[k][0]]++] = edges[k][1];
	for (int run = 0; run < 20; run++) {
		srand((unsigned)run);
		struct gather_frontier *f = mk(3, 100, 0, 0);
		ck_assert_int_eq(gather_frontier_add(f, g->url[S], 0, NULL), 1);
		struct sim sim = { 0 };
		simulate(f, g, 8, P, 100, 0, &sim);
		size_t seeds[] = { S };
		check_exact(g, seeds, 1, 3, &sim);
		ck_assert_uint_eq(sim.count[E], 1);
		ck_assert_uint_eq(sim.count[F], 0);
		struct gather_frontier_stats st;
		gather_frontier_stats(f, &st);
		ck_assert_uint_ge(st.lowered, 1);
		ck_assert_uint_ge(st.reoffered, 1);
		ck_assert_uint_eq(st.link_bytes, 0);
		free(sim.count);
		gather_frontier_free(f);
	}
	graph_free(g);
}
END_TEST

/* Random graphs, random completion order, many at once: exactly BFS. */
START_TEST(test_random_graphs)
{
	for (unsigned run = 0; run < 60; run++) {
		size_t n = 50 + run * 37 % 400;
		struct graph *g = graph_random(run, n, 1 + run % 5, 1 + run % 7);
		/* every seventh with no limit: all reachable pages, each once */
		unsigned depth = run % 7 == 6 ? GATHER_DEPTH_INF : run % 6;
		size_t seeds[3] = { 0, (size_t)(run * 7) % n, (size_t)(run * 13) % n };
		struct gather_frontier *f = mk(depth, 1000, 0, 0);
		for (size_t s = 0; s < 3; s++)
			gather_frontier_add(f, g->url[seeds[s]], 0, NULL);
		struct sim sim = { 0 };
		srand(run * 101);
		simulate(f, g, 1 + run % 32, (size_t)rand() % n, 1000, 0, &sim);
		check_exact(g, seeds, 3, depth, &sim);
		struct gather_frontier_stats st;
		gather_frontier_stats(f, &st);
		ck_assert_uint_eq(st.queued, 0);
		ck_assert_uint_eq(st.inflight, 0);
		ck_assert_uint_eq(st.done, sim.fetched);
		ck_assert_uint_eq(st.link_bytes, 0);
		free(sim.count);
		gather_frontier_free(f);
		graph_free(g);
	}
}
END_TEST

/* The same with politeness on: still exact, per-host limit and delay kept
 * (checked inside simulate). */
START_TEST(test_random_polite)
{
	for (unsigned run = 0; run < 20; run++) {
		size_t n = 100 + run * 31;
		struct graph *g = graph_random(run + 1000, n, 2 + run % 4, 4);
		unsigned depth = 2 + run % 4;
		size_t seeds[1] = { 0 };
		unsigned per_host = 1 + run % 3;
		uint64_t delay = run % 3 * 5;
		struct gather_frontier *f = mk(depth, per_host, delay, 0);
		gather_frontier_add(f, g->url[0], 0, NULL);
		struct sim sim = { 0 };
		srand(run);
		simulate(f, g, 16, SIZE_MAX, per_host, delay, &sim);
		check_exact(g, seeds, 1, depth, &sim);
		free(sim.count);
		gather_frontier_free(f);
		graph_free(g);
	}
}
END_TEST

START_TEST(test_politeness)
{
	struct gather_frontier *f = mk(1, 2, 100, 1000);
	char b[64];
	for (int i = 0; i < 5; i++) {
		snprintf(b, sizeof b, "http://a.example/%d", i);
		gather_frontier_add(f, b, 0, NULL);
	}
	gather_frontier_add(f, "http://b.example/0", 0, NULL);
	struct gather_frontier_item it, a0, a1;
	uint64_t at = 0;
	ck_assert_int_eq(gather_frontier_next(f, 0, &a0, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(a0.url, "http://a.example/0");
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://b.example/0");
	ck_assert_int_eq(gather_frontier_next(f, 50, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 100);
	ck_assert_int_eq(gather_frontier_next(f, 100, &a1, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(a1.url, "http://a.example/1");
	/* two of a.example out: wait for a done, whatever the time */
	ck_assert_int_eq(gather_frontier_next(f, 500, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, UINT64_MAX);
	ck_assert_int_eq(gather_frontier_done(f, a0.id, 500, NULL, 0), 0);
	ck_assert_int_eq(gather_frontier_next(f, 500, &a0, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(a0.url, "http://a.example/2");
	ck_assert_int_eq(gather_frontier_done(f, a0.id, 500, NULL, 0), 0);
	/* Retry-After far away is capped at max_wait (1000). */
	gather_frontier_slow(f, "http://a.example/x", 500, 1000000);
	ck_assert_int_eq(gather_frontier_next(f, 700, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 1500);
	ck_assert_int_eq(gather_frontier_next(f, 1499, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_int_eq(gather_frontier_next(f, 1500, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a.example/3");
	ck_assert_int_eq(gather_frontier_done(f, it.id, 1500, NULL, 0), 0);
	/* Crawl-delay raises the host's delay. */
	gather_frontier_host_delay(f, "http://a.example/", 1500, 400);
	ck_assert_int_eq(gather_frontier_next(f, 1600, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 1900);
	ck_assert_int_eq(gather_frontier_next(f, 1900, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a.example/4");
	/* given back (it waited for robots.txt): first in line again, and
	 * the host's clock is not reset by the requeue */
	ck_assert_int_eq(gather_frontier_requeue(f, it.id), 0);
	ck_assert_int_eq(gather_frontier_requeue(f, it.id), GATHER_E_INVALID);
	gather_frontier_add(f, "http://a.example/5", 0, NULL);
	ck_assert_int_eq(gather_frontier_next(f, 2000, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 2300);
	ck_assert_int_eq(gather_frontier_next(f, 2300, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a.example/4");
	ck_assert_int_eq(gather_frontier_done(f, it.id, 2300, NULL, 0), 0);
	ck_assert_int_eq(gather_frontier_next(f, 2400, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_uint_eq(at, 2700);
	ck_assert_int_eq(gather_frontier_done(f, a1.id, 2400, NULL, 0), 0);
	struct gather_frontier_stats st;
	gather_frontier_stats(f, &st);
	ck_assert_uint_eq(st.queued, 1);      /* a.example/5 */
	ck_assert_uint_eq(st.inflight, 1);    /* b.example/0, never done */
	gather_frontier_free(f);
}
END_TEST

/* fetched(): a page whose response is in gives its host's slot back while
 * its links are still being extracted; done() afterwards does not give it
 * back twice; done() alone still does. */
START_TEST(test_fetched_frees_host_slot)
{
	struct gather_frontier *f = mk(2, 1, 0, 0);
	gather_frontier_add(f, "http://a.example/0", 0, NULL);
	gather_frontier_add(f, "http://a.example/1", 0, NULL);
	gather_frontier_add(f, "http://a.example/2", 0, NULL);
	struct gather_frontier_item a0, a1, it;
	uint64_t at = 0;
	ck_assert_int_eq(gather_frontier_next(f, 0, &a0, &at), GATHER_FRONTIER_URL);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_WAIT);
	ck_assert_int_eq(gather_frontier_fetched(f, a0.id), 0);
	ck_assert_int_eq(gather_frontier_fetched(f, a0.id), GATHER_E_INVALID);
	/* a0 is still unfinished (no done yet) but its slot is free */
	ck_assert_int_eq(gather_frontier_next(f, 0, &a1, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(a1.url, "http://a.example/1");
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_WAIT);
	/* a0's links come in later; its done() must not free a1's slot */
	const char *links[] = { "http://a.example/3" };
	ck_assert_int_eq(gather_frontier_done(f, a0.id, 0, links, 1), 0);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_WAIT);
	/* done() without fetched() gives the slot back */
	ck_assert_int_eq(gather_frontier_done(f, a1.id, 0, NULL, 0), 0);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a.example/2");
	ck_assert_int_eq(gather_frontier_fetched(f, it.id), 0);
	/* given back after fetched (not a real sequence, but no double count):
	 * the host's slot is not freed a second time */
	ck_assert_int_eq(gather_frontier_requeue(f, it.id), 0);
	ck_assert_int_eq(gather_frontier_next(f, 0, &a0, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(a0.url, "http://a.example/2");
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_WAIT);
	struct gather_frontier_stats st;
	gather_frontier_stats(f, &st);
	ck_assert_uint_eq(st.inflight, 1);
	ck_assert_uint_eq(st.queued, 1);      /* a.example/3 at depth 1 */
	gather_frontier_free(f);
}
END_TEST

/* done_ids: the fingerprints given with the links are the ones used (a
 * worker hashed them), the frontier does not hash them again. */
START_TEST(test_done_ids)
{
	struct gather_frontier *f = mk(3, 4, 0, 0);
	const uint8_t key[16] = "0123456789abcdef";
	gather_frontier_add(f, "http://a.example/", 0, NULL);
	struct gather_frontier_item it;
	uint64_t at = 0;
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	const char *links[] = { "http://a.example/x", "http://a.example/y" };
	/* /y is given /z's fingerprint: the frontier must take it as is */
	uint64_t ids[] = { gather_seen_fingerprint(key, links[0], strlen(links[0])),
	                   gather_seen_fingerprint(key, "http://a.example/z", 18) };
	ck_assert_int_eq(gather_frontier_done_ids(f, it.id, 0, links, ids, 2), 0);
	ck_assert_int_eq(gather_frontier_add(f, "http://a.example/x", 1, NULL), 0); /* known */
	ck_assert_int_eq(gather_frontier_add(f, "http://a.example/z", 1, NULL), 0); /* known by id */
	ck_assert_int_eq(gather_frontier_add(f, "http://a.example/y", 1, NULL), 1); /* new to it */
	gather_frontier_free(f);
}
END_TEST

/* Shallowest first: a depth-1 URL queued after depth-2 ones starts first. */
START_TEST(test_shallowest_first)
{
	struct gather_frontier *f = mk(3, 10, 0, 0);
	gather_frontier_add(f, "http://a/x", 2, "http://a/");
	gather_frontier_add(f, "http://b/y", 2, "http://a/");
	gather_frontier_add(f, "http://c/z", 1, "http://a/");
	gather_frontier_add(f, "http://b/y", 1, "http://c/");  /* lowered */
	struct gather_frontier_item it;
	uint64_t at;
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_uint_eq(it.depth, 1);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_uint_eq(it.depth, 1);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_URL);
	ck_assert_str_eq(it.url, "http://a/x");
	ck_assert_uint_eq(it.depth, 2);
	gather_frontier_free(f);
}
END_TEST

/* 200,000 URLs through the frontier: the seen set stays <= 16 bytes per
 * URL, and nothing unsettled is left. */
START_TEST(test_memory)
{
	struct gather_frontier *f = mk(2, 1000000, 0, 0);
	gather_frontier_add(f, "http://h.example/", 0, NULL);
	struct gather_frontier_item it;
	uint64_t at;
	char **links = calloc(1000, sizeof *links);
	size_t made = 0;
	while (gather_frontier_next(f, 0, &it, &at) == GATHER_FRONTIER_URL) {
		size_t n = it.depth < 2 ? 450 : 0;
		for (size_t i = 0; i < n; i++) {
			char b[64];
			snprintf(b, sizeof b, "http://h.example/%zu", made++);
			links[i] = strdup(b);
		}
		ck_assert_int_eq(gather_frontier_done(f, it.id, 0, (const char *const *)links, n), 0);
		for (size_t i = 0; i < n; i++)
			free(links[i]);
	}
	struct gather_frontier_stats st;
	gather_frontier_stats(f, &st);
	ck_assert_uint_eq(st.seen, made + 1);
	ck_assert_uint_ge(st.seen, 200000);
	ck_assert_msg(st.seen_bytes <= 16 * st.seen, "%.2f bytes per URL",
	              (double)st.seen_bytes / (double)st.seen);
	ck_assert_uint_eq(st.link_bytes, 0);
	ck_assert_int_eq(gather_frontier_next(f, 0, &it, &at), GATHER_FRONTIER_EMPTY);
	free(links);
	gather_frontier_free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frontier");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_host_key);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_sparse_depth);
	tcase_add_test(tc, test_deep_chain);
	tcase_add_test(tc, test_slow_shortcut);
	tcase_add_test(tc, test_random_graphs);
	tcase_add_test(tc, test_shared_politeness);
	tcase_add_test(tc, test_random_polite);
	tcase_add_test(tc, test_politeness);
	tcase_add_test(tc, test_fetched_frees_host_slot);
	tcase_add_test(tc, test_done_ids);
	tcase_add_test(tc, test_shallowest_first);
	tcase_add_test(tc, test_memory);
	suite_add_tcase(s, tc);
	return ckmain_run(s);
}
