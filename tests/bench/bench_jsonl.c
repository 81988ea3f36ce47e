/* bench_jsonl.c — cost of writing one JSON line per record: the former
 * jansson encoder (tests/jsonl_ref.c: tree of copies + json_dumps), the
 * direct writer through gather_record_json (one malloc'ed line), and the
 * direct writer appending into a reused batch buffer as the sink does.
 *
 *   bench_jsonl [RECORDS] [ROUNDS]     (defaults 200000, 5)
 *
 * Records look like a crawl of tests/bench/crawl.sh's site (URL, parent,
 * title, content type, SHA-256), every fourth with two extracted fields.
 * The three encoders run alternately ROUNDS times; each prints its median
 * thread-CPU ns per record (CPU time, not wall time, so another process on
 * the machine disturbs it less), and the line lengths are checked equal.
 * Not a test; built with `make bench-jsonl`. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "output/jsonl.h"
#include "../jsonl_ref.h"
#include "gather/options.h"
#include "gather/result.h"
#include "output/sink.h"
#include "util/strbuf.h"

#define MAX_ROUNDS 15

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static struct gather_result *make(unsigned i)
{
	struct gather_result *r = gather_result_new();
	char s[128];

	if (!r)
		return NULL;
	snprintf(s, sizeof s, "http://localhost:18081/p/%05u.html", i % 20000);
	r->url = strdup(s);
	r->final_url = strdup(s);
	snprintf(s, sizeof s, "http://localhost:18081/p/%05u.html", (i * 7) % 20000);
	r->parent = strdup(s);
	snprintf(s, sizeof s, "Page %u \xe2\x80\x94 a \"generated\" site", i);
	r->title = strdup(s);
	r->content_type = strdup("text/html");
	r->status = 200;
	r->bytes = 8000 + i % 1000;
	r->attempts = 1;
	r->depth = 3 + i % 20;
	r->time_ms = i % 50;
	r->processed = true;
	r->n_links_found = 10;
	r->has_sha256 = true;
	for (unsigned k = 0; k < 32; k++)
		r->sha256[k] = (unsigned char)(i * 31 + k);
	if (i % 4 == 0)
		r->fields = json_pack("{s:s, s:[s,s]}", "h1", "Heading", "li", "one", "two");
	return r;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 200000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 5;
	struct gather_result **rs = calloc(n ? n : 1, sizeof *rs);
	double t[3][MAX_ROUNDS];
	size_t bytes[3] = { 0 };
	struct gather_strbuf batch = { 0 };

	if (rounds < 1 || rounds > MAX_ROUNDS || !rs) {
		fprintf(stderr, "usage: bench_jsonl [RECORDS] [ROUNDS 1..%d]\n", MAX_ROUNDS);
		return 2;
	}
	for (unsigned i = 0; i < n; i++)
		if (!(rs[i] = make(i)))
			return 1;
	for (unsigned round = 0; round < rounds; round++) {
		for (int e = 0; e < 3; e++) {
			size_t total = 0;
			double s = cpu_ns();
			for (unsigned i = 0; i < n; i++) {
				if (e == 2) {
					/* the sink: lines appended, the batch reset every 64 */
					if (i % 64 == 0)
						batch.len = 0;
					size_t at = batch.len;
					if (gather_jsonl_record(&batch, rs[i], GATHER_CMD_CRAWL) < 0)
						return 1;
					gather_strbuf_addc(&batch, '\n');
					total += batch.len - at - 1;
					continue;
				}
				char *j = e == 0 ? jsonl_ref_record(rs[i], GATHER_CMD_CRAWL)
				                 : gather_record_json(rs[i], GATHER_CMD_CRAWL);
				if (!j)
					return 1;
				total += strlen(j);
				free(j);
			}
			t[e][round] = (cpu_ns() - s) / n;
			bytes[e] = total;
		}
	}
	if (bytes[0] != bytes[1] || bytes[0] != bytes[2]) {
		fprintf(stderr, "bench_jsonl: encoders disagree: %zu %zu %zu bytes\n",
		        bytes[0], bytes[1], bytes[2]);
		return 1;
	}
	static const char *const names[] = { "jansson (old)", "gather_record_json", "append (sink)" };
	double med[3];
	for (int e = 0; e < 3; e++) {
		qsort(t[e], rounds, sizeof t[e][0], cmp);
		med[e] = t[e][rounds / 2];
	}
	printf("%u crawl records, %.0f bytes/line, %u rounds alternated, median CPU ns/record:\n",
	       n, (double)bytes[0] / n, rounds);
	for (int e = 0; e < 3; e++)
		printf("  %-20s %8.0f ns  (%.1fx faster than old)\n", names[e], med[e], med[0] / med[e]);
	for (unsigned i = 0; i < n; i++)
		gather_result_free(rs[i]);
	free(rs);
	free(batch.p);
	return 0;
}
