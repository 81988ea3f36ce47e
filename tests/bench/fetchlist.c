/* fetchlist.c — benchmark driver: fetch every URL of a file (one a line)
 * through the engine at concurrency C, print requests per second.
 * Built only on demand: make tests/bench/fetchlist
 *
 *   tests/bench/fetchlist FILE [C [keep]]   (C defaults to 64; keep: KEEP_BODY) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "gather/engine.h"
#include "gather/error.h"
#include "gather/options.h"
#include "gather/result.h"

struct state {
	struct event_base *base;
	size_t total, done, failed;
	uint64_t bytes;
};

static void done_cb(struct gather_result *r, void *arg)
{
	struct state *s = arg;
	if (r->err || r->status != 200) {
		if (s->failed++ < 5)
			fprintf(stderr, "%s: %s %d %s\n", r->url, gather_err_name(r->err), r->status,
			        r->message ? r->message : "");
	}
	s->bytes += r->bytes;
	gather_result_free(r);
	if (++s->done == s->total)
		event_base_loopbreak(s->base);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fetchlist FILE [CONCURRENCY]\n");
		return 2;
	}
	FILE *fp = fopen(argv[1], "r");
	if (!fp) {
		perror(argv[1]);
		return 1;
	}
	evthread_use_pthreads();
	struct state s = { .base = event_base_new() };
	struct gather_opts o;
	gather_opts_init(&o, GATHER_CMD_GET);
	o.concurrency = argc > 2 ? (unsigned)atoi(argv[2]) : 64;
	char err[256];
	struct gather_engine *e = gather_engine_new(s.base, &o, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "engine: %s\n", err);
		return 1;
	}
	unsigned flags = argc > 3 && !strcmp(argv[3], "keep") ? GATHER_FETCH_KEEP_BODY : 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char line[4096];
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!*line)
			continue;
		s.total++;
		if (gather_engine_fetch(e, line, flags, NULL, done_cb, NULL, &s) < 0)
			return 1;
	}
	fclose(fp);
	if (s.total)
		event_base_dispatch(s.base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct gather_engine_stats st;
	gather_engine_stats(e, &st);
	printf("gather   %.3f s  %.0f req/s  (%zu urls, %zu failed, %llu body bytes, %llu conns, %llu reused)\n",
	       secs, (double)s.total / secs, s.total, s.failed, (unsigned long long)s.bytes,
	       (unsigned long long)st.conns_opened, (unsigned long long)st.conns_reused);
	gather_engine_free(e);
	gather_opts_free(&o);
	event_base_free(s.base);
	return s.failed ? 1 : 0;
}
