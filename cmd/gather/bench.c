/* bench.c — `gather bench`: crawl (or get) a generated site served by an
 * origin inside the process, check the result against the site, report
 * the figures.  The engine, the crawl and the outputs are the ones `gather
 * crawl` and `gather get` run (through the public runner API); only the
 * origin and the bookkeeping are the bench's. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bench/check.h"
#include "bench/origin.h"
#include "bench/site.h"
#include "cli.h"
#include "gather/error.h"
#include "gather/runner.h"

struct bench_args {
	uint64_t pages, size, seed;
	enum bench_mode mode;
	bool gzip, tls, json;
	const char *dump, *base;
	unsigned concurrency, per_host, workers;
	const char *jsonl, *warc, *mirror;
};

static const struct {
	const char *opt, *help;
} bench_help[] = {
	{ "    --pages N", "pages of the generated site (default 10000)" },
	{ "    --size BYTES", "about this many bytes per page, K/M suffixes (default 8K)" },
	{ "    --seed N", "the site's seed: one seed, one site (default 1)" },
	{ "    --mode MODE", "crawl: follow links from / (default); get: fetch the page list" },
	{ "    --gzip", "the origin compresses bodies (Content-Encoding: gzip)" },
	{ "    --tls", "https, with a certificate made at start and trusted for this run" },
	{ "    --dump DIR", "write the site as files under DIR (for nginx, wget2) and exit" },
	{ "    --base URL", "with --dump: the site's address in robots.txt and sitemap.xml" },
	{ "    --json", "print the figures as one JSON object on stdout" },
	{ "-c, --concurrency N", "fetches in flight (default 64)" },
	{ "    --per-host N", "connections to the origin (default: --concurrency)" },
	{ "    --workers N", "processing threads (default: number of cores)" },
	{ "    --jsonl FILE", "write the records to FILE (default: /dev/null)" },
	{ "    --warc FILE", "also write WARC/1.1 records to FILE" },
	{ "    --mirror DIR", "also save the pages under DIR" },
	{ "-h, --help", "show this help" },
};

static void bench_usage(FILE *f)
{
	fprintf(f, "Usage: gather bench [OPTIONS]\n\n"
	        "Crawl a generated site served inside the process on 127.0.0.1, check that\n"
	        "every page was fetched exactly once, and report the figures.\n\nOptions:\n");
	for (size_t i = 0; i < sizeof bench_help / sizeof *bench_help; i++)
		fprintf(f, "  %-28s %s\n", bench_help[i].opt, bench_help[i].help);
}

static int parse_uint(const char *name, const char *v, uint64_t max, uint64_t *ret)
{
	if (gather_parse_u64(v, max, ret) < 0) {
		fprintf(stderr, "gather bench: --%s: '%s' is not a number from 0 to %llu\n", name, v,
		        (unsigned long long)max);
		return -1;
	}
	return 0;
}

/* 0 to go on, -1 after --help, EXIT_USAGE on a bad option. */
static int bench_parse(int argc, char **argv, struct bench_args *a)
{
	enum { O_PAGES = 0x100, O_SIZE, O_SEED, O_MODE, O_GZIP, O_TLS, O_DUMP, O_BASE, O_JSON,
	       O_PERHOST, O_WORKERS, O_JSONL, O_WARC, O_MIRROR };
	static const struct option lo[] = {
		{ "pages", required_argument, NULL, O_PAGES },
		{ "size", required_argument, NULL, O_SIZE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "mode", required_argument, NULL, O_MODE },
		{ "gzip", no_argument, NULL, O_GZIP },
		{ "tls", no_argument, NULL, O_TLS },
		{ "dump", required_argument, NULL, O_DUMP },
		{ "base", required_argument, NULL, O_BASE },
		{ "json", no_argument, NULL, O_JSON },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "per-host", required_argument, NULL, O_PERHOST },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "jsonl", required_argument, NULL, O_JSONL },
		{ "warc", required_argument, NULL, O_WARC },
		{ "mirror", required_argument, NULL, O_MIRROR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	optind = 1;
	opterr = 0;
	for (int c; (c = getopt_long(argc, argv, ":c:h", lo, NULL)) != -1;) {
		switch (c) {
		case O_PAGES:
			if (parse_uint("pages", optarg, BENCH_MAX_PAGES, &a->pages) < 0)
				return EXIT_USAGE;
			if (a->pages == 0) {
				fprintf(stderr, "gather bench: --pages must be at least 1\n");
				return EXIT_USAGE;
			}
			break;
		case O_SIZE:
			if (gather_parse_size(optarg, &a->size) < 0 || a->size < BENCH_MIN_SIZE ||
			    a->size > BENCH_MAX_SIZE) {
				fprintf(stderr, "gather bench: --size must be %u to %u bytes\n",
				        BENCH_MIN_SIZE, BENCH_MAX_SIZE);
				return EXIT_USAGE;
			}
			break;
		case O_SEED:
			if (parse_uint("seed", optarg, UINT64_MAX, &a->seed) < 0)
				return EXIT_USAGE;
			break;
		case O_MODE:
			if (strcmp(optarg, "crawl") == 0) {
				a->mode = BENCH_CRAWL;
			} else if (strcmp(optarg, "get") == 0) {
				a->mode = BENCH_GET;
			} else {
				fprintf(stderr, "gather bench: --mode is crawl or get, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_GZIP: a->gzip = true; break;
		case O_TLS: a->tls = true; break;
		case O_JSON: a->json = true; break;
		case O_DUMP: a->dump = optarg; break;
		case O_BASE: a->base = optarg; break;
		case O_JSONL: a->jsonl = optarg; break;
		case O_WARC: a->warc = optarg; break;
		case O_MIRROR: a->mirror = optarg; break;
		case 'c': case O_PERHOST: case O_WORKERS:
			if (parse_uint(c == 'c' ? "concurrency" : c == O_PERHOST ? "per-host" : "workers",
			               optarg, 100000, &v) < 0)
				return EXIT_USAGE;
			if (c == 'c' && v == 0) {
				fprintf(stderr, "gather bench: --concurrency must be at least 1\n");
				return EXIT_USAGE;
			}
			*(c == 'c' ? &a->concurrency : c == O_PERHOST ? &a->per_host : &a->workers) = (unsigned)v;
			break;
		case 'h':
			bench_usage(stdout);
			return -1;
		case ':':
			fprintf(stderr, "gather bench: option %s needs an argument\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "gather bench: unknown option '%s' (see gather bench --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gather bench: takes no arguments ('%s')\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- what the run did, from the record hook (reactor thread) ------------- */

struct bench_run {
	struct bench_check check;
	uint32_t *time_ms;
	size_t n, cap;
	uint64_t bytes, records;
	uint64_t by_err[-GATHER_E__LAST + 1];   /* records per error code */
	uint64_t by_status[6];                  /* HTTP 1xx..5xx, unplanned */
	uint64_t planned_404, refused;
	bool oom;
};

static void on_record(const struct gather_result *res, void *arg)
{
	struct bench_run *b = arg;
	b->records++;
	int64_t id = bench_check_record(&b->check, res->url, res->final_url, res->status, res->err);
	if (res->err == GATHER_E_ROBOTS) {
		b->refused++;
		return;
	}
	if (res->err < 0 && res->err >= GATHER_E__LAST)
		b->by_err[-res->err]++;
	else if (res->status == 404 && id >= 0 && b->check.site->u[id].kind == BENCH_GONE)
		b->planned_404++;
	else if (res->status >= 400 && res->status < 600)
		b->by_status[res->status / 100]++;
	if (res->status <= 0)
		return;
	b->bytes += res->bytes;
	if (b->n == b->cap) {
		size_t nc = b->cap ? 2 * b->cap : 4096;
		uint32_t *t = realloc(b->time_ms, nc * sizeof *t);
		if (!t) {
			b->oom = true;
			return;
		}
		b->time_ms = t;
		b->cap = nc;
	}
	b->time_ms[b->n++] = res->time_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)res->time_ms;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* The p-th percentile (nearest rank) of the sorted v[0..n). */
static double pct(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? (k > n ? n - 1 : k - 1) : 0];
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_self_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long rss_now_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static long rss_peak_kb(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? strdup(v) : NULL;
	return v && !*dst ? -1 : 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_args a = { .pages = 10000, .size = 8192, .seed = 1, .mode = BENCH_CRAWL,
	                        .concurrency = 64 };
	struct bench_site *site = NULL;
	struct bench_origin *origin = NULL;
	struct event_base *base = NULL;
	struct gather_runner *r = NULL;
	struct gather_opts o;
	struct gather_strv urls = { 0 };
	struct bench_run run = { 0 };
	char err[512] = "";
	unsigned cmd;
	int ret = bench_parse(argc, argv, &a);

	cmd = a.mode == BENCH_GET ? GATHER_CMD_GET : GATHER_CMD_CRAWL;
	gather_opts_init(&o, cmd);
	if (ret != 0) {
		ret = ret < 0 ? EXIT_ALL_OK : ret;
		goto out;
	}
	ret = EXIT_USAGE;
	site = bench_site_new((uint32_t)a.pages, a.size, a.seed, err, sizeof err);
	if (!site) {
		fprintf(stderr, "gather bench: %s\n", err);
		goto out;
	}
	if (a.dump) {
		const char *b = a.base ? a.base : "http://127.0.0.1:8080";
		if (bench_site_dump(site, a.dump, b, err, sizeof err) < 0) {
			fprintf(stderr, "gather bench: %s\n", err);
			ret = EXIT_SOME_FAILED;
			goto out;
		}
		fprintf(stderr, "gather bench: wrote %u pages (seed %llu) under %s for %s; "
		        "redirects to configure are in %s/REDIRECTS\n", site->n_pages,
		        (unsigned long long)a.seed, a.dump, b, a.dump);
		ret = EXIT_ALL_OK;
		goto out;
	}
	if (!(base = new_reactor()))
		goto out;
	/* Test only (tests/integration/bench_cli.sh): the origin serves this
	 * URL id without links, so the check must find pages missing. */
	const char *bare = getenv("GATHER_BENCH_BARE_ID");
	struct bench_origin_conf oc = { .gzip = a.gzip, .tls = a.tls,
	                                .bare_id = bare && *bare ? atoll(bare) : -1 };
	origin = bench_origin_new(site, &oc, err, sizeof err);
	if (!origin || bench_origin_start(origin) < 0) {
		fprintf(stderr, "gather bench: %s\n", origin ? "cannot start the origin's thread" : err);
		goto out;
	}

	/* The run: what `gather crawl` / `gather get` would do, with the
	 * depth the site needs and robots.txt obeyed. */
	o.concurrency = a.concurrency;
	o.per_host = a.per_host ? a.per_host : a.concurrency;
	o.workers = a.workers;
	o.depth = (unsigned)site->max_depth + 2;
	o.progress = false;
	if (set_str(&o.jsonl, a.jsonl ? a.jsonl : "/dev/null") < 0 || set_str(&o.warc, a.warc) < 0 ||
	    set_str(&o.mirror, a.mirror) < 0 || set_str(&o.cacert, bench_origin_cacert(origin)) < 0)
		goto oom;
	if (bench_check_init(&run.check, site, a.mode, bench_origin_base(origin)) < 0)
		goto oom;
	if (a.mode == BENCH_CRAWL) {
		char seed[96];
		snprintf(seed, sizeof seed, "%s/", bench_origin_base(origin));
		if (gather_strv_push(&urls, seed) < 0)
			goto oom;
	} else {
		for (uint32_t id = 0; id < site->n; id++) {
			if (!run.check.expect_record[id])
				continue;
			char u[512];
			snprintf(u, sizeof u, "%s%s", bench_origin_base(origin), site->u[id].path);
			if (gather_strv_push(&urls, u) < 0)
				goto oom;
		}
	}
	r = gather_runner_new(base, &o, cmd, &urls, err, sizeof err);
	if (!r) {
		fprintf(stderr, "gather bench: %s\n", err);
		goto out;
	}
	gather_runner_on_record(r, on_record, &run);

	long rss0 = rss_now_kb();
	double cpu0 = cpu_self_s(), t0 = now_s();
	int sigs = run_runners(base, &r, 1, false);
	double wall = now_s() - t0, cpu = cpu_self_s() - cpu0;
	bench_origin_stop(origin);
	double ocpu = bench_origin_cpu_s(origin);
	long peak = rss_peak_kb();
	if (sigs < 0)
		goto out;
	const char *rerr = gather_runner_error(r);
	int ferr = gather_runner_free(r, err, sizeof err);
	r = NULL;

	const char *const *other;
	size_t nother;
	uint64_t others = bench_origin_others(origin, &other, &nother);
	bool exact = bench_check_finish(&run.check, bench_origin_counts(origin), others, other,
	                                nother) && !run.oom;
	uint64_t errors = 0;
	for (size_t i = 1; i < sizeof run.by_err / sizeof *run.by_err; i++)
		errors += run.by_err[i];
	for (size_t i = 0; i < 6; i++)
		errors += run.by_status[i];
	qsort(run.time_ms, run.n, sizeof *run.time_ms, cmp_u32);
	double secs = wall > 1e-6 ? wall : 1e-6;
	double pps = (double)run.check.pages / secs, mbps = (double)run.bytes / 1e6 / secs;
	double client_cpu = cpu - ocpu > 0 ? cpu - ocpu : 0;
	long grown = peak - rss0 > 0 ? peak - rss0 : 0;
	double per_page = run.check.pages ? (double)grown * 1024.0 / (double)run.check.pages : 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	fprintf(stderr, "gather bench: %s of %u pages of about %llu bytes (seed %llu), %s%s%s, "
	        "-c %u, per-host %u\n", a.mode == BENCH_CRAWL ? "crawl" : "get", site->n_pages,
	        (unsigned long long)a.size, (unsigned long long)a.seed, bench_origin_base(origin),
	        a.gzip ? ", gzip" : "", a.tls ? ", TLS" : "", o.concurrency, o.per_host);
	fprintf(stderr, "  pages:      %llu fetched with 200 of %u; %llu records; %llu requests to "
	        "the origin\n", (unsigned long long)run.check.pages, site->n_pages,
	        (unsigned long long)run.records,
	        (unsigned long long)bench_origin_requests(origin));
	fprintf(stderr, "  planned:    %llu 404 (dead links), %llu refused by robots.txt\n",
	        (unsigned long long)run.planned_404, (unsigned long long)run.refused);
	fprintf(stderr, "  errors:     %llu", (unsigned long long)errors);
	for (size_t i = 1; i < sizeof run.by_err / sizeof *run.by_err; i++)
		if (run.by_err[i])
			fprintf(stderr, ", %s %llu", gather_err_name(-(int)i),
			        (unsigned long long)run.by_err[i]);
	for (size_t i = 0; i < 6; i++)
		if (run.by_status[i])
			fprintf(stderr, ", HTTP %zuxx %llu", i, (unsigned long long)run.by_status[i]);
	fprintf(stderr, "\n  rate:       %.0f pages/s, %.1f MB/s of bodies (decoded), %.2f s; "
	        "the origin sent %.1f MB of bodies%s\n", pps, mbps, wall,
	        (double)bench_origin_bytes_sent(origin) / 1e6, a.gzip ? " (gzip)" : "");
	fprintf(stderr, "  fetch time: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms\n",
	        pct(run.time_ms, run.n, 50), pct(run.time_ms, run.n, 90),
	        pct(run.time_ms, run.n, 99), run.n ? (double)run.time_ms[run.n - 1] : 0.0);
	fprintf(stderr, "  CPU:        client %.2f s (user+sys), origin %.2f s; they share this "
	        "machine's %ld cores\n", client_cpu, ocpu, ncpu);
	fprintf(stderr, "  memory:     peak RSS %ld KiB (origin included), %.0f bytes per page "
	        "over the %ld KiB before the run\n", peak, per_page, rss0);
	if (exact) {
		fprintf(stderr, "  check:      exact: every page fetched once, nothing disallowed, "
		        "nothing else\n");
	} else {
		fprintf(stderr, "  check:      NOT exact: %llu differences; the first:\n",
		        (unsigned long long)run.check.diffs);
		for (size_t i = 0; i < BENCH_CHECK_SHOWN && run.check.shown[i]; i++)
			fprintf(stderr, "    %s\n", run.check.shown[i]);
	}
	if (rerr)
		fprintf(stderr, "gather bench: %s\n", rerr);
	if (ferr < 0)
		fprintf(stderr, "gather bench: %s\n", err);
	if (a.json) {
		json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:f,s:b,s:I,s:I,s:I}",
		                      "mode", a.mode == BENCH_CRAWL ? "crawl" : "get",
		                      "site_pages", (json_int_t)site->n_pages,
		                      "pages", (json_int_t)run.check.pages,
		                      "records", (json_int_t)run.records,
		                      "errors", (json_int_t)errors,
		                      "seconds", wall, "pages_per_s", pps, "mb_per_s", mbps,
		                      "p50_ms", pct(run.time_ms, run.n, 50),
		                      "p90_ms", pct(run.time_ms, run.n, 90),
		                      "p99_ms", pct(run.time_ms, run.n, 99),
		                      "max_ms", run.n ? (double)run.time_ms[run.n - 1] : 0.0,
		                      "cpu_s", client_cpu, "origin_cpu_s", ocpu,
		                      "rss_kb", (json_int_t)peak, "bytes_per_page", per_page,
		                      "exact", exact, "differences", (json_int_t)run.check.diffs,
		                      "bytes", (json_int_t)run.bytes,
		                      "origin_bytes", (json_int_t)bench_origin_bytes_sent(origin));
		if (!j || json_dumpf(j, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) == EOF) {
			json_decref(j);
			goto oom;
		}
		json_decref(j);
	}
	ret = sigs > 0 ? 130 : (exact && !rerr && ferr == 0) ? EXIT_ALL_OK : EXIT_SOME_FAILED;
	goto out;
oom:
	fprintf(stderr, "gather bench: out of memory\n");
	ret = EXIT_SOME_FAILED;
out:
	if (r)
		gather_runner_free(r, NULL, 0);
	bench_origin_free(origin);
	if (base)
		event_base_free(base);
	bench_check_free(&run.check);
	free(run.time_ms);
	bench_site_free(site);
	gather_strv_free(&urls);
	gather_opts_free(&o);
	return ret;
}
