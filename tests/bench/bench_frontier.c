/* bench_frontier.c — memory of the in-memory crawl frontier (lib/frontier.c)
 * with a large number of URLs.
 *
 *   bench_frontier [N] [HOSTS]     (defaults 1000000 and 1000)
 *
 * Adds N distinct normalized URLs (about 50 bytes each, spread over HOSTS
 * hosts, parent = one seed page) and reports the process's resident memory
 * growth per URL and the seen set's own bytes per URL (stats.seen_bytes);
 * then hands every URL out and marks it done (no links), as a finished
 * crawl would, and reports again: what stays is the seen set and the
 * per-host state.  Not a test; built with `make bench-frontier`. */
#include "config.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gather/error.h"
#include "benchutil.h"
#include "crawl/frontier.h"

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long hosts = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	struct gather_frontier_conf conf = {
		.max_depth = 10, .per_host = 1u << 30, .delay_ms = 0, .max_wait_ms = 1000,
		.key = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
	};
	struct gather_frontier_stats st;
	struct gather_frontier_item it;
	char url[128];
	uint64_t at;
	unsigned long done = 0;

	if (!n || !hosts) {
		fprintf(stderr, "usage: bench_frontier [N] [HOSTS]\n");
		return 2;
	}
	malloc_trim(0);
	long rss0 = bench_rss_kib();
	struct gather_frontier *f = gather_frontier_mem_new(&conf);
	if (!f) {
		fprintf(stderr, "bench_frontier: out of memory\n");
		return 1;
	}
	double t0 = bench_now_s();
	for (unsigned long i = 0; i < n; i++) {
		snprintf(url, sizeof url, "http://www.host%05lu.example/section/%lu/page-%08lu.html",
		         i % hosts, (i / hosts) % 100, i);
		if (gather_frontier_add(f, url, 1, "http://seed.example/") != 1) {
			fprintf(stderr, "bench_frontier: add %s failed\n", url);
			return 1;
		}
	}
	double t1 = bench_now_s();
	long rss1 = bench_rss_kib();
	gather_frontier_stats(f, &st);
	printf("added %lu URLs on %lu hosts in %.2f s (%.0f adds/s)\n", n, hosts, t1 - t0,
	       (double)n / (t1 - t0));
	printf("  queued: RSS +%ld KiB = %.1f bytes/URL (URL strings and queue included); "
	       "seen set %" PRIu64 " bytes = %.1f bytes/URL\n",
	       rss1 - rss0, (double)(rss1 - rss0) * 1024 / (double)n, st.seen_bytes,
	       (double)st.seen_bytes / (double)n);
	for (;;) {
		int rc = gather_frontier_next(f, 1000, &it, &at);
		if (rc != GATHER_FRONTIER_URL)
			break;
		if (gather_frontier_done(f, it.id, 1000, NULL, 0) != 0) {
			fprintf(stderr, "bench_frontier: done failed\n");
			return 1;
		}
		done++;
	}
	double t2 = bench_now_s();
	malloc_trim(0);
	long rss2 = bench_rss_kib();
	gather_frontier_stats(f, &st);
	printf("  all %lu handed out and done in %.2f s: RSS +%ld KiB = %.1f bytes/URL; "
	       "seen set %" PRIu64 " bytes = %.1f bytes/URL; %" PRIu64 " hosts\n",
	       done, t2 - t1, rss2 - rss0, (double)(rss2 - rss0) * 1024 / (double)n, st.seen_bytes,
	       (double)st.seen_bytes / (double)n, st.hosts);
	gather_frontier_free(f);
	return done == n ? 0 : 1;
}
