/* bench_process.c — throughput of page processing through the real work
 * queue: read HTML files into memory, push them as results through
 * gather_workq with N workers running gather_extract (parse, links, three
 * XPath fields, SHA-256), and time from the first push to the last done().
 *
 *   bench_process [-w WORKERS] [-r PASSES] [-b BASE_URL] [-x NAME=XPATH]...
 *                 (-l LISTFILE | FILE...)
 *
 * Prints one line: workers, docs, MB, wall seconds, MB/s, docs/s, CPU
 * seconds (all threads) and MB per CPU second, links kept.
 * Not a test (tests/bench/process.sh runs it); built with `make bench-process`. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "gather/error.h"
#include "html/html.h"
#include "gather/options.h"
#include "gather/result.h"
#include "pipeline/workq.h"

struct file {
	char *url;
	char *data;
	size_t len;
};

struct bench {
	struct event_base *base;
	struct gather_workq *q;
	const struct gather_extractor *x;
	struct file *files;
	size_t nfiles;
	size_t total;       /* documents to process: nfiles * passes */
	size_t next;        /* next document to push */
	size_t ndone;
	uint64_t bytes;
	uint64_t links;
	unsigned failed;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process (all threads). */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int read_file(const char *path, struct file *f, const char *base_url)
{
	FILE *fp = fopen(path, "rb");
	long n;

	if (!fp)
		return -1;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return -1;
	}
	f->data = malloc((size_t)n + 1);
	f->len = (size_t)n;
	if (!f->data || fread(f->data, 1, f->len, fp) != f->len) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	f->url = malloc(strlen(base_url) + strlen(name) + 1);
	sprintf(f->url, "%s%s", base_url, name);
	return 0;
}

/* One path a line. */
static int read_list(const char *path, struct gather_strv *paths)
{
	FILE *fp = fopen(path, "r");
	char line[4096];

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			gather_strv_push(paths, line);
	}
	fclose(fp);
	return 0;
}

/* Worker thread. */
static void work(struct gather_result *r, void *arg)
{
	const struct bench *b = arg;
	if (gather_extract(b->x, r) < 0)
		r->err = GATHER_E_DECODE;
}

static void fill(struct bench *b);

/* Reactor thread. */
static void done(struct gather_result *r, void *arg)
{
	struct bench *b = arg;

	b->ndone++;
	b->bytes += r->body.len;
	b->links += r->links.n;
	if (!r->processed || r->err)
		b->failed++;
	gather_result_free(r);
	if (b->ndone == b->total)
		event_base_loopbreak(b->base);
	else
		fill(b);
}

/* Push documents until the queue is full (reactor thread). */
static void fill(struct bench *b)
{
	while (b->next < b->total) {
		const struct file *f = &b->files[b->next % b->nfiles];
		struct gather_result *r = gather_result_new();
		r->url = strdup(f->url);
		r->status = 200;
		r->content_type = strdup("text/html");
		r->body.data = malloc(f->len);
		memcpy(r->body.data, f->data, f->len);
		r->body.len = f->len;
		if (gather_workq_push(b->q, r) != 0) {
			gather_result_free(r);
			return;
		}
		b->next++;
	}
}

int main(int argc, char **argv)
{
	struct gather_opts o;
	struct bench b = { 0 };
	unsigned workers = 1, passes = 1;
	const char *base_url = "https://docs.python.org/3.11/library/";
	struct gather_strv paths = { 0 };
	char err[256];
	int c;
	double t0, t1, c0, c1;

	gather_opts_init(&o, GATHER_CMD_CRAWL);
	while ((c = getopt(argc, argv, "w:r:b:x:l:")) != -1) {
		switch (c) {
		case 'w': workers = (unsigned)atoi(optarg); break;
		case 'r': passes = (unsigned)atoi(optarg); break;
		case 'b': base_url = optarg; break;
		case 'x': gather_strv_push(&o.extract, optarg); break;
		case 'l':
			if (read_list(optarg, &paths) < 0) {
				fprintf(stderr, "%s: %s: %s\n", argv[0], optarg, strerror(errno));
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [-w N] [-r PASSES] [-b BASE] [-x NAME=XPATH]... (-l LIST | FILE...)\n",
			        argv[0]);
			return 2;
		}
	}
	for (int i = optind; i < argc; i++)
		gather_strv_push(&paths, argv[i]);
	b.nfiles = paths.n;
	if (b.nfiles == 0 || passes == 0) {
		fprintf(stderr, "%s: no files\n", argv[0]);
		return 2;
	}
	b.files = calloc(b.nfiles, sizeof(*b.files));
	for (size_t i = 0; i < b.nfiles; i++) {
		if (read_file(paths.v[i], &b.files[i], base_url) < 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], paths.v[i], strerror(errno));
			return 1;
		}
	}
	b.total = b.nfiles * passes;

	b.x = gather_extractor_new(&o, err, sizeof(err));
	if (!b.x) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 2;
	}
	evthread_use_pthreads();
	b.base = event_base_new();
	b.q = gather_workq_new(b.base, workers, 4 * (workers ? workers : 2) + 8, work, done, &b,
	                       err, sizeof(err));
	if (!b.q) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	t0 = now_s();
	c0 = cpu_s();
	fill(&b);
	event_base_dispatch(b.base);
	t1 = now_s();
	c1 = cpu_s();
	printf("workers=%u docs=%zu MB=%.1f s=%.3f MB/s=%.1f docs/s=%.0f cpu_s=%.3f MB/cpu_s=%.1f "
	       "links=%llu failed=%u\n",
	       workers, b.ndone, b.bytes / 1e6, t1 - t0, b.bytes / 1e6 / (t1 - t0),
	       (double)b.ndone / (t1 - t0), c1 - c0, b.bytes / 1e6 / (c1 - c0),
	       (unsigned long long)b.links, b.failed);
	gather_workq_free(b.q);
	event_base_free(b.base);
	gather_extractor_free((struct gather_extractor *)b.x);
	for (size_t i = 0; i < b.nfiles; i++) {
		free(b.files[i].url);
		free(b.files[i].data);
	}
	free(b.files);
	gather_opts_free(&o);
	gather_strv_free(&paths);
	return b.failed ? 1 : 0;
}
