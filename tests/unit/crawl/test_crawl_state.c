/* test_crawl_state.c — the crash-safe frontier (lib/crawl/crawl-state.c)
 * against the in-memory one on the same random link graphs (no network):
 * a crawl driven through the state frontier, its facts committed from time
 * to time as the writer thread would, and "killed" at random points (the
 * state freed without a last commit, every uncommitted done and every
 * fetch in flight lost), then resumed from the directory, until it ends.
 * The pages committed must be exactly those the in-memory frontier hands
 * out (the BFS set within the depth), each committed once, and with one
 * fetch at a time each at its BFS depth, as the in-memory frontier gives.
 * Half the runs keep a window of a few URLs in memory and the rest of the
 * queue on disk (--queue-window): the same pages at the same depths. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/crawl-state.h"
#include "crawl/frontier.h"
#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"
#include "fixture.h"
#include "graph.h"

/* The in-memory frontier's pages: fetched count per node. */
static unsigned *crawl_mem(const struct graph *g, unsigned depth, unsigned conc)
{
	struct gather_frontier_conf c = { .max_depth = depth, .per_host = 1000 };
	memcpy(c.key, "0123456789abcdef", 16);
	struct gather_frontier *f = gather_frontier_mem_new(&c);
	unsigned *count = calloc(g->n, sizeof *count);
	struct gather_frontier_item fl[32];
	size_t nfl = 0;
	gather_frontier_add(f, g->url[0], 0, NULL);
	for (int step = 0; step < 1000000; step++) {
		uint64_t at;
		while (nfl < conc && gather_frontier_next(f, 0, &fl[nfl], &at) == GATHER_FRONTIER_URL)
			count[graph_node_of(g, fl[nfl++].url)]++;
		if (!nfl)
			break;
		size_t i = (size_t)rand() % nfl, u = graph_node_of(g, fl[i].url);
		const char *links[64];
		for (size_t k = 0; k < g->nadj[u]; k++)
			links[k] = g->url[g->adj[u][k]];
		ck_assert_int_eq(gather_frontier_done(f, fl[i].id, 0, links, g->nadj[u]), 0);
		fl[i] = fl[--nfl];
	}
	gather_frontier_free(f);
	return count;
}

struct run {
	const struct graph *g;
	char dir[256];
	struct gather_opts o;
	struct gather_strv seeds;
	unsigned *committed;       /* per node: times committed */
	unsigned *cdepth;          /* depth it was committed at */
	size_t *pend;              /* nodes done since the last commit */
	unsigned *pdepth;
	size_t npend;
	unsigned kills, resumes;
};

static void commit(struct run *r, struct crawl_state *cs)
{
	struct gather_output_marks m = { 0 };
	crawl_state_synced(cs, &m);
	ck_assert(!crawl_state_error(cs, NULL, 0));
	for (size_t i = 0; i < r->npend; i++) {
		r->committed[r->pend[i]]++;
		r->cdepth[r->pend[i]] = r->pdepth[i];
	}
	r->npend = 0;
}

/* One life of the crawl: open (resume), run until done or killed.
 * Returns 1 when the crawl ended. */
static int life(struct run *r, unsigned conc, int kill_after)
{
	const struct graph *g = r->g;
	struct gather_frontier_conf fc = { .max_depth = r->o.depth, .per_host = 1000 };
	memcpy(fc.key, "fedcba9876543210", 16);
	struct crawl_state *cs;
	struct gather_frontier *f;
	char err[512];
	ck_assert_msg(crawl_state_open(&r->o, &r->seeds, &fc, &cs, &f, err, sizeof err) == 0,
	              "%s", err);
	if (crawl_state_resumed(cs))
		r->resumes++;
	gather_frontier_add(f, g->url[0], 0, NULL);
	struct gather_frontier_item fl[32];
	size_t nfl = 0;
	int ended = 0, dones = 0;
	for (int step = 0; step < 1000000; step++) {
		uint64_t at;
		while (nfl < conc && gather_frontier_next(f, 0, &fl[nfl], &at) == GATHER_FRONTIER_URL) {
			size_t u = graph_node_of(g, fl[nfl].url);
			ck_assert_msg(r->committed[u] == 0, "%s handed out after its commit",
			              fl[nfl].url);
			nfl++;
		}
		if (!nfl) {
			ended = 1;
			break;
		}
		if (kill_after >= 0 && dones >= kill_after)
			break;   /* killed: in flight and uncommitted are lost */
		size_t i = (size_t)rand() % nfl, u = graph_node_of(g, fl[i].url);
		/* the writer: the record with its links, then the reactor's done() */
		struct gather_result *res = gather_result_new();
		res->url = strdup(fl[i].url);
		res->frontier_id = fl[i].id;
		res->depth = fl[i].depth;
		res->processed = true;
		res->status = 200;
		const char *links[64];
		res->links.v = calloc(g->nadj[u] + 1, sizeof *res->links.v);
		for (size_t k = 0; k < g->nadj[u]; k++) {
			links[k] = g->url[g->adj[u][k]];
			res->links.v[k] = strdup(links[k]);
		}
		res->links.n = g->nadj[u];
		crawl_state_durable(cs, res);
		gather_result_free(res);
		r->pend[r->npend] = u;
		r->pdepth[r->npend++] = fl[i].depth;
		ck_assert_int_eq(gather_frontier_done(f, fl[i].id, 0, links, g->nadj[u]), 0);
		fl[i] = fl[--nfl];
		dones++;
		if (rand() % 16 == 0)
			commit(r, cs);
	}
	if (ended) {
		commit(r, cs);
		ck_assert_int_eq(crawl_state_finish(cs, err, sizeof err), 0);
	} else {
		r->kills++;
		r->npend = 0;
	}
	gather_frontier_free(f);
	crawl_state_free(cs);
	return ended;
}

START_TEST(test_resume_exact)
{
	fixture_mkdir("test_crawl_state");
	for (unsigned run = 0; run < 24; run++) {
		size_t n = 200 + run * 53 % 600;
		struct graph *g = graph_random(run + 77, n, 1 + run % 4, 2 + run % 6);
		unsigned depth = run % 6 == 5 ? GATHER_DEPTH_INF : 2 + run % 5;
		unsigned conc = run % 3 == 0 ? 1 : 1 + run % 16;
		srand(run * 31 + 1);
		unsigned *want = crawl_mem(g, depth, conc);
		size_t seed0 = 0;
		size_t *dist = graph_bfs(g, &seed0, 1);

		struct run r = { .g = g };
		char name[32];
		snprintf(name, sizeof name, "st%u", run);
		char *d = fixture_path(name);
		snprintf(r.dir, sizeof r.dir, "%s", d);
		free(d);
		gather_opts_init(&r.o, GATHER_CMD_CRAWL);
		r.o.depth = depth;
		r.o.state = strdup(r.dir);
		/* every other run with a window of a few URLs: most of the queue
		 * waits on disk and comes back as the window empties */
		r.o.queue_window = run % 2 ? 2 + run % 17 : 0;
		gather_strv_push(&r.seeds, g->url[0]);
		r.committed = calloc(n, sizeof *r.committed);
		r.cdepth = calloc(n, sizeof *r.cdepth);
		r.pend = calloc(n, sizeof *r.pend);
		r.pdepth = calloc(n, sizeof *r.pdepth);
		size_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += want[i];
		int lives = 0;
		/* killed after a random number of pages, a dozen times, then left
		 * to end */
		while (!life(&r, conc, lives < 12 ? rand() % (int)(total / 4 + 2) : -1))
			ck_assert_int_lt(++lives, 40);
		if (total >= 8) {
			ck_assert_uint_ge(r.kills, 1);
			ck_assert_uint_ge(r.resumes, 1);
		}
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(r.committed[i] == want[i],
			              "run %u node %zu (dist %zu): committed %u times, the in-memory "
			              "frontier fetched it %u times", run, i, dist[i], r.committed[i],
			              want[i]);
			if (r.committed[i] && conc == 1)
				ck_assert_msg(r.cdepth[i] == dist[i], "run %u node %zu at depth %u, BFS %zu",
				              run, i, r.cdepth[i], dist[i]);
			if (r.committed[i])
				ck_assert_uint_ge(r.cdepth[i], dist[i]);
		}
		/* run again: finished, nothing handed out */
		struct gather_frontier_conf fc = { .max_depth = depth, .per_host = 1000 };
		struct crawl_state *cs;
		struct gather_frontier *f;
		char err[512];
		ck_assert_int_eq(crawl_state_open(&r.o, &r.seeds, &fc, &cs, &f, err, sizeof err), 0);
		ck_assert(crawl_state_finished(cs));
		struct gather_frontier_stats st;
		gather_frontier_stats(f, &st);
		ck_assert_uint_eq(st.queued, 0);
		gather_frontier_free(f);
		crawl_state_free(cs);

		gather_opts_free(&r.o);
		gather_strv_free(&r.seeds);
		free(r.committed);
		free(r.cdepth);
		free(r.pend);
		free(r.pdepth);
		free(want);
		free(dist);
		graph_free(g);
	}
	fixture_rmdir();
}
END_TEST

/* Other options or seeds: refused, naming the difference; the state is
 * still usable with the right ones. */
START_TEST(test_refuse_other_options)
{
	fixture_mkdir("test_crawl_state");
	char *dir = fixture_path("refuse");
	struct gather_opts o;
	struct gather_strv seeds = { 0 };
	gather_opts_init(&o, GATHER_CMD_CRAWL);
	o.state = strdup(dir);
	gather_strv_push(&seeds, "http://a.example/");
	struct gather_frontier_conf fc = { .max_depth = o.depth, .per_host = 4 };
	struct crawl_state *cs;
	struct gather_frontier *f;
	char err[512];
	ck_assert_int_eq(crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err), 0);
	/* a second open while the first holds the lock */
	struct crawl_state *cs2;
	struct gather_frontier *f2;
	ck_assert_int_lt(crawl_state_open(&o, &seeds, &fc, &cs2, &f2, err, sizeof err), 0);
	ck_assert_msg(strstr(err, "in use by another crawl"), "%s", err);
	gather_frontier_free(f);
	crawl_state_free(cs);
	o.depth = 9;
	ck_assert_int_eq(crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err),
	                 GATHER_E_INVALID);
	ck_assert_msg(strstr(err, "other depth"), "%s", err);
	o.depth = 5;
	gather_strv_push(&seeds, "http://b.example/");
	ck_assert_int_eq(crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err),
	                 GATHER_E_INVALID);
	ck_assert_msg(strstr(err, "other seeds"), "%s", err);
	gather_strv_free(&seeds);
	gather_strv_push(&seeds, "http://a.example/");
	fc.max_depth = o.depth;
	ck_assert_int_eq(crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err), 0);
	ck_assert(crawl_state_resumed(cs));
	gather_frontier_free(f);
	crawl_state_free(cs);
	free(dir);
	gather_opts_free(&o);
	gather_strv_free(&seeds);
	fixture_rmdir();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crawl_state");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_resume_exact);
	tcase_add_test(tc, test_refuse_other_options);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
