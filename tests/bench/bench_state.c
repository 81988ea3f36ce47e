/* bench_state.c — the crash-safe crawl state (--state, issue 13) at scale.
 *
 *   bench_state queue N DIR    a state frontier holding N queued URLs: RSS
 *                              per queued URL (goal <= 32 bytes)
 *   bench_state resume N DIR   a state whose committed pages left N URLs
 *                              queued: time to resume it (goal < 2 s)
 *
 * queue: a seed page is done with 1,000 links, each of those is handed out
 * and done with N / 1,000 new links (about 60 bytes each, 50 hosts), as a
 * crawl's second level would be; RSS is read before the first add and
 * after the last, and divided by the URLs queued.
 * resume: the same crawl's facts written straight into a state (one commit
 * per 1,000 pages' worth), then crawl_state_open() timed; it must report N
 * queued.  Not a test; built with `make bench-state`. */
#include "config.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crawl/crawl-state.h"
#include "crawl/frontier.h"
#include "gather/error.h"
#include "benchutil.h"
#include "gather/options.h"
#include "store/state.h"
#include "util/seen.h"

#define SEED "http://h0.bench.test/"
#define FANOUT 1000u

static void url_of(char *b, size_t n, unsigned page, uint64_t k)
{
	snprintf(b, n, "http://h%u.bench.test/section-%u/article-%" PRIu64 ".html?lang=en",
	         (unsigned)(k % 50), page, k);
}

static void level1(char *b, size_t n, unsigned i)
{
	snprintf(b, n, "http://h0.bench.test/index-%u.html", i);
}

static int setup(const char *dir, struct gather_opts *o, struct gather_strv *seeds,
                 struct gather_frontier_conf *fc)
{
	gather_opts_init(o, GATHER_CMD_CRAWL);
	o->state = strdup(dir);
	o->depth = 3;
	gather_strv_push(seeds, SEED);
	memset(fc, 0, sizeof *fc);
	fc->max_depth = o->depth;
	fc->per_host = 1000000;
	fc->max_wait_ms = 60000;
	for (int i = 0; i < 16; i++)
		fc->key[i] = (uint8_t)(i * 37 + 1);
	return 0;
}

static int queue(uint64_t n, const char *dir)
{
	struct gather_opts o;
	struct gather_strv seeds = { 0 };
	struct gather_frontier_conf fc;
	struct crawl_state *cs;
	struct gather_frontier *f;
	char err[512];
	setup(dir, &o, &seeds, &fc);
	if (crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err) < 0) {
		fprintf(stderr, "bench_state: %s\n", err);
		return 1;
	}
	malloc_trim(0);
	long r0 = bench_rss_kib();
	double t0 = bench_now_s();
	gather_frontier_add(f, SEED, 0, NULL);
	struct gather_frontier_item it;
	uint64_t at;
	if (gather_frontier_next(f, 0, &it, &at) != GATHER_FRONTIER_URL)
		return 1;
	char **links = malloc(FANOUT * sizeof *links);
	uint64_t per = n / FANOUT;
	char **l2 = malloc(per * sizeof *l2);
	for (unsigned i = 0; i < FANOUT; i++) {
		links[i] = malloc(96);
		level1(links[i], 96, i);
	}
	gather_frontier_done(f, it.id, 0, (const char *const *)links, FANOUT);
	for (uint64_t i = 0; i < per; i++)
		l2[i] = malloc(128);
	uint64_t k = 0;
	for (unsigned p = 0; p < FANOUT; p++) {
		int rc = gather_frontier_next(f, 0, &it, &at);
		if (rc != GATHER_FRONTIER_URL || it.depth != 1) {
			fprintf(stderr, "bench_state: next() gave %d depth %u at page %u\n", rc,
			        it.depth, p);
			return 1;
		}
		for (uint64_t i = 0; i < per; i++)
			url_of(l2[i], 128, p, k++);
		if (gather_frontier_done(f, it.id, 0, (const char *const *)l2, per) < 0) {
			fprintf(stderr, "bench_state: done() failed\n");
			return 1;
		}
	}
	double t1 = bench_now_s();
	for (uint64_t i = 0; i < per; i++)
		free(l2[i]);
	for (unsigned i = 0; i < FANOUT; i++)
		free(links[i]);
	free(l2);
	free(links);
	malloc_trim(0);
	long r1 = bench_rss_kib();
	struct gather_frontier_stats st;
	gather_frontier_stats(f, &st);
	printf("queue: %" PRIu64 " URLs queued in %.2f s; RSS %ld -> %ld KiB: %.1f bytes per queued URL "
	       "(goal <= 32)\n", st.queued, t1 - t0, r0, r1,
	       st.queued ? (double)(r1 - r0) * 1024.0 / (double)st.queued : 0.0);
	gather_frontier_free(f);
	crawl_state_free(cs);
	gather_opts_free(&o);
	gather_strv_free(&seeds);
	return 0;
}

/* The facts of that crawl, committed as a writer would. */
static int write_state(uint64_t n, const char *dir, const uint8_t key[16])
{
	struct gather_state *st;
	char err[512];
	if (gather_state_open(dir, &st, err, sizeof err) < 0) {
		fprintf(stderr, "bench_state: %s\n", err);
		return 1;
	}
	uint64_t per = n / FANOUT;
	size_t cap = per + FANOUT + 1;
	struct gather_state_url *urls = malloc(cap * sizeof *urls);
	uint64_t *ids = malloc(cap * sizeof *ids);
	char *text = malloc(cap * 128);
	struct gather_state_page pg;
	struct gather_state_add add;
	char b[128];
	uint64_t seed = gather_seen_fingerprint(key, SEED, strlen(SEED));
	/* the seed page and its 1,000 links */
	size_t nu = 0, tl = 0;
	urls[nu++] = (struct gather_state_url){ seed, 0, strlen(SEED) };
	memcpy(text, SEED, strlen(SEED));
	tl = strlen(SEED);
	for (unsigned i = 0; i < FANOUT; i++) {
		level1(b, sizeof b, i);
		size_t l = strlen(b);
		ids[i] = gather_seen_fingerprint(key, b, l);
		urls[nu++] = (struct gather_state_url){ ids[i], tl, l };
		memcpy(text + tl, b, l);
		tl += l;
	}
	pg = (struct gather_state_page){ seed, 0, 0, 0, FANOUT };
	add = (struct gather_state_add){ seed, 0, 0 };
	struct gather_state_batch bt = { .pages = &pg, .npages = 1, .ids = ids, .urls = urls,
		                         .nurls = nu, .text = text, .adds = &add, .nadds = 1 };
	if (gather_state_commit(st, &bt, err, sizeof err) < 0)
		goto fail;
	uint64_t k = 0;
	for (unsigned p = 0; p < FANOUT; p++) {
		level1(b, sizeof b, p);
		uint64_t id = gather_seen_fingerprint(key, b, strlen(b));
		nu = 0;
		tl = 0;
		for (uint64_t i = 0; i < per; i++) {
			url_of(b, sizeof b, p, k++);
			size_t l = strlen(b);
			ids[i] = gather_seen_fingerprint(key, b, l);
			urls[nu++] = (struct gather_state_url){ ids[i], tl, l };
			memcpy(text + tl, b, l);
			tl += l;
		}
		pg = (struct gather_state_page){ id, 1, seed, 0, per };
		struct gather_state_batch b2 = { .pages = &pg, .npages = 1, .ids = ids, .urls = urls,
			                         .nurls = nu, .text = text };
		if (gather_state_commit(st, &b2, err, sizeof err) < 0)
			goto fail;
	}
	free(urls);
	free(ids);
	free(text);
	gather_state_close(st);
	return 0;
fail:
	fprintf(stderr, "bench_state: %s\n", err);
	gather_state_close(st);
	return 1;
}

static int resume(uint64_t n, const char *dir)
{
	struct gather_opts o;
	struct gather_strv seeds = { 0 };
	struct gather_frontier_conf fc;
	struct crawl_state *cs;
	struct gather_frontier *f;
	char err[512];
	setup(dir, &o, &seeds, &fc);
	/* a first open writes the options and the key, as a crawl would
	 * (BENCH_STATE_REOPEN set: DIR holds the state already: time the
	 * resume alone, e.g. under perf) */
	if (crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err) < 0) {
		fprintf(stderr, "bench_state: %s\n", err);
		return 1;
	}
	uint8_t key[16];
	memcpy(key, gather_frontier_key(f), 16);
	gather_frontier_free(f);
	crawl_state_free(cs);
	double w0 = bench_now_s();
	if (!getenv("BENCH_STATE_REOPEN") && write_state(n, dir, key))
		return 1;
	double t0 = bench_now_s();
	if (crawl_state_open(&o, &seeds, &fc, &cs, &f, err, sizeof err) < 0) {
		fprintf(stderr, "bench_state: %s\n", err);
		return 1;
	}
	double t1 = bench_now_s();
	struct gather_frontier_stats st;
	gather_frontier_stats(f, &st);
	printf("resume: state written in %.2f s; resumed in %.2f s (goal < 2 s): %" PRIu64
	       " pages done, %" PRIu64 " queued\n", t0 - w0, t1 - t0, crawl_state_pages(cs),
	       st.queued);
	int bad = st.queued != n / FANOUT * FANOUT;
	if (bad)
		fprintf(stderr, "bench_state: %" PRIu64 " queued, want %" PRIu64 "\n", st.queued,
		        n / FANOUT * FANOUT);
	gather_frontier_free(f);
	crawl_state_free(cs);
	gather_opts_free(&o);
	gather_strv_free(&seeds);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "queue") && strcmp(argv[1], "resume"))) {
		fprintf(stderr, "usage: bench_state queue|resume N DIR (DIR: a new directory)\n");
		return 2;
	}
	uint64_t n = strtoull(argv[2], NULL, 10);
	if (n < FANOUT) {
		fprintf(stderr, "bench_state: N must be at least %u\n", FANOUT);
		return 2;
	}
	return strcmp(argv[1], "queue") == 0 ? queue(n, argv[3]) : resume(n, argv[3]);
}
